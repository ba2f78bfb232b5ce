//! CSV files in every encoding Chinese offices produce read to the same records.

mod common;

use anpei_core::ids::IdNumber;
use anpei_core::ledger::Table;
use anpei_import::{read_bytes, read_path, ImportError, Row};
use common::{reference, Collect};

fn id(first17: &str) -> String {
    format!("{first17}{}", IdNumber::check_char(first17).unwrap())
}

fn trainings_csv() -> String {
    let a = id("50011219850312451").replace('X', "x");
    let b = id("50011219900101002");
    let uscc = "91110000600037341L";
    format!(
        "统一社会信用代码,身份证号,姓名,培训类型,培训形式,开始时间,结束时间,理论学时,实操学时,培训机构,考核成绩,考核结果,备注,序号\r\n\
         {uscc},{a},王建国,再培训,线下,2024-03-05 09:00,2024/3/5 17:00,8,,重庆市安全生产培训中心,92,合格,,1\r\n\
         {uscc},{b},\u{3000}李　丽 ,岗前培训,线上,2024年3月6日 9:00,2024年3月6日 17:30,6,2,,,,,2\r\n\
         \r\n\
         {uscc},{b},李丽,复审培训,线下,2024-03-07 17:00,2024-03-07 09:00,8,0,,,,,3\r\n\
         {uscc},{b},李丽,\"再培训\",线下,\"2024-03-08 09:00\",2024-03-08 17:00,\"7.5\",0.5,\"机构,带逗号\",,,,4\r\n"
    )
}

fn read(bytes: &[u8]) -> Collect {
    let mut sink = Collect::default();
    read_bytes(bytes, "培训.csv", None, &reference(), &mut sink).unwrap();
    sink
}

#[test]
fn utf8_utf8_with_bom_and_gb18030_give_identical_records() {
    let text = trainings_csv();
    let utf8 = read(text.as_bytes());
    let with_bom = read(&[b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat());
    let (gb, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    assert_ne!(gb.as_ref(), text.as_bytes());
    let gb18030 = read(&gb);

    assert_eq!(utf8.rows.len(), 3);
    assert_eq!(utf8.rows, with_bom.rows);
    assert_eq!(utf8.rows, gb18030.rows);
    assert_eq!(utf8.errors, gb18030.errors);
    assert_eq!(utf8.warnings, gb18030.warnings);

    let Row::Training(second) = &utf8.rows[1].2 else {
        panic!()
    };
    assert_eq!(second.name, "李丽");
    let Row::Training(fourth) = &utf8.rows[2].2 else {
        panic!()
    };
    assert_eq!(fourth.institution.as_deref(), Some("机构,带逗号"));
    assert_eq!(fourth.hours(), 8.0);

    // Rows are numbered by record, as Excel numbers them; an empty text line is no row.
    assert_eq!(
        utf8.rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        vec![2, 3, 5]
    );
    assert_eq!(utf8.errors.len(), 1);
    assert_eq!(
        (utf8.errors[0].row, utf8.errors[0].columns().as_str()),
        (4, "结束时间")
    );
    assert_eq!(utf8.errors[0].sheet, "培训");
}

#[test]
fn unknown_columns_give_one_warning() {
    let sink = read(trainings_csv().as_bytes());
    assert_eq!(
        sink.warnings,
        vec!["工作表“培训”的列“备注”、“序号”不在导入格式中，已忽略".to_string()]
    );
}

#[test]
fn utf16_tab_separated_text_from_excel_reads_too() {
    let text = trainings_csv()
        .replace(',', "\t")
        .replace("\"机构\t带逗号\"", "机构");
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let sink = read(&bytes);
    assert_eq!(sink.rows.len(), 3);
}

#[test]
fn a_csv_without_required_columns_is_refused() {
    let err = read_bytes(
        "姓名,身份证号\n张三,1\n".as_bytes(),
        "人员.csv",
        None,
        &reference(),
        &mut Collect::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "工作表“人员”缺少必填列：统一社会信用代码、岗位类别、任职日期，请在表头行加上这些列（列名可对照导入模板）"
    );
}

#[test]
fn the_table_of_a_csv_comes_from_the_caller_or_the_file_name() {
    let text = "统一社会信用代码,姓名,身份证号,岗位类别,任职日期\n91110000600037341L,张三,11010519491231002X,主要负责人,2021-03-05\n";
    let mut sink = Collect::default();
    read_bytes(
        text.as_bytes(),
        "upload.csv",
        Some(Table::Persons),
        &reference(),
        &mut sink,
    )
    .unwrap();
    assert_eq!(sink.of(Table::Persons).len(), 1);
    let err = read_bytes(
        text.as_bytes(),
        "upload.csv",
        None,
        &reference(),
        &mut Collect::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::UnknownCsvTable { .. }));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("人员.csv");
    std::fs::write(&path, text).unwrap();
    let mut sink = Collect::default();
    let summary = read_path(&path, None, &reference(), &mut sink).unwrap();
    assert_eq!(summary.read_of(Table::Persons), 1);
    assert_eq!(summary.accepted_of(Table::Persons), 1);
}

#[test]
fn bytes_that_are_neither_utf8_nor_gb18030_reject_the_row_not_the_file() {
    // A UTF-8 header (so the file is taken as UTF-8) and a row with a stray Latin-1 byte.
    let mut bytes = "统一社会信用代码,姓名,身份证号,岗位类别,任职日期\n"
        .as_bytes()
        .to_vec();
    bytes.extend_from_slice(&vec![b'a'; 70_000]);
    bytes.extend_from_slice(b"\n91110000600037341L,Jos\xe9,11010519491231002X,\xd6\xf7\xd2\xaa\xb8\xba\xd4\xf0\xc8\xcb,2021-03-05\n");
    let mut sink = Collect::default();
    read_bytes(&bytes, "人员.csv", None, &reference(), &mut sink).unwrap();
    let last = sink.errors.last().unwrap();
    assert_eq!(last.row, 3);
    assert!(
        last.message().contains("无法识别的字符"),
        "{}",
        last.message()
    );
}
