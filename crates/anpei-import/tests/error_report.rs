//! One pass: a row lists every one of its problems, the error report gives the user's own
//! sheets back with a 错误原因 column, and the report, its cells corrected in place, reads
//! back with every row accepted.

mod common;

use anpei_core::ids::{IdNumber, Uscc};
use anpei_core::ledger::Table;
use anpei_import::{error_report_xlsx, read_bytes};
use common::{reference, Collect};
use rust_xlsxwriter::Workbook;
use std::io::{Cursor, Read, Write};

fn id(first17: &str) -> String {
    format!("{first17}{}", IdNumber::check_char(first17).unwrap())
}

fn uscc(first17: &str) -> String {
    format!("{first17}{}", Uscc::check_char(first17).unwrap())
}

/// `code` with its last character replaced by a wrong one.
fn wrong_check(code: &str) -> String {
    let last = if code.ends_with('0') { '1' } else { '0' };
    format!("{}{last}", &code[..17])
}

/// What a clerk sends: a title above the header, a 序号 and a 备注 column of their own.
fn upload(rows: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut wb = Workbook::new();
    for (name, cells) in rows {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        ws.write_string(0, 0, format!("{name}台账（2024年）"))
            .unwrap();
        for (r, row) in cells.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// The workbook with the text of some cells replaced, every other byte of every part kept:
/// what a clerk does in Excel, done on the file itself.
fn edit_cells(xlsx: &[u8], fixes: &[(&str, &str)]) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let mut applied = vec![false; fixes.len()];
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).unwrap();
        let name = part.name().unwrap().to_string();
        let mut bytes = Vec::new();
        part.read_to_end(&mut bytes).unwrap();
        if name.starts_with("xl/worksheets/") {
            let mut xml = String::from_utf8(bytes).unwrap();
            for (k, (from, to)) in fixes.iter().enumerate() {
                let (from, to) = (format!(">{from}</t>"), format!(">{to}</t>"));
                applied[k] |= xml.contains(&from);
                xml = xml.replace(&from, &to);
            }
            bytes = xml.into_bytes();
        }
        out.start_file(name, options).unwrap();
        out.write_all(&bytes).unwrap();
    }
    assert!(applied.iter().all(|a| *a), "every cell found: {applied:?}");
    out.finish().unwrap().into_inner()
}

#[test]
fn a_report_corrected_in_place_reads_back_with_every_row_accepted() {
    let u_good = uscc("91500112MA5U7L3K0");
    let u_bad = wrong_check(&uscc("91500112MA5U7L4K0"));
    let u_fixed = uscc("91500112MA5U7L4K0");
    // An ID whose area code does not exist and whose check digit is wrong.
    let id_bad = wrong_check(&id("99999919850312451"));
    let id_fixed = id("50011219850312451");
    let id_ok = id("50022119700101002");
    let subjects_header: &[&str] = &[
        "序号",
        "统一社会信用代码",
        "单位名称",
        "单位类型",
        "行业",
        "所属镇街",
        "备注",
    ];
    let persons_header: &[&str] = &[
        "序号",
        "姓名",
        "统一社会信用代码",
        "身份证号",
        "手机号",
        "岗位类别",
        "作业类别",
        "任职日期",
        "备注",
    ];
    let bytes = upload(&[
        (
            "单位",
            &[
                subjects_header,
                &[
                    "1",
                    &u_good,
                    "重庆甲有限公司",
                    "生产经营单位",
                    "工贸",
                    "龙兴镇",
                    "",
                ],
                &[
                    "2",
                    &u_bad,
                    "重庆乙有限公司",
                    "企业",
                    "工贸",
                    "龙兴镇",
                    "新建",
                ],
            ],
        ),
        (
            "人员",
            &[
                persons_header,
                &[
                    "1",
                    "张三",
                    &u_good,
                    &id_ok,
                    "",
                    "一般从业人员",
                    "",
                    "2021-03-05",
                    "",
                ],
                // Five columns at fault, the ID number twice.
                &[
                    "2",
                    "李四",
                    &u_good,
                    &id_bad,
                    "1381234",
                    "保安",
                    "魔法作业",
                    "2021-02-30",
                    "待核",
                ],
            ],
        ),
    ]);
    let mut first = Collect::default();
    let summary = read_bytes(&bytes, "台账.xlsx", None, &reference(), &mut first).unwrap();
    assert_eq!(summary.rejected_of(Table::Subjects), 1);
    assert_eq!(summary.rejected_of(Table::Persons), 1);

    let person = first.errors.iter().find(|e| e.sheet == "人员").unwrap();
    assert_eq!(person.row, 4, "the row as the user sees it");
    let message = person.message();
    let parts: Vec<&str> = message.split('；').collect();
    assert_eq!(parts.len(), 6, "{message}");
    assert_eq!(
        parts[0],
        "身份证号：前6位地区码999999不是有效的行政区划代码"
    );
    let expected = IdNumber::check_char(&id_bad[..17]).unwrap();
    assert_eq!(
        parts[1],
        format!("身份证号：校验位错误（按GB 11643计算应为{expected}）")
    );
    assert!(parts[2].starts_with("手机号：“1381234”不是有效的电话号码"));
    assert!(parts[3].starts_with("岗位类别：“保安”不是可选值，应为：主要负责人/"));
    assert!(parts[4].starts_with("作业类别：“魔法作业”不是可选值，应为：电工作业/"));
    assert_eq!(
        parts[5],
        "任职日期：日期2021-02-30不存在，应为日历上有的日期，如2022-03-31"
    );
    let subject = first.errors.iter().find(|e| e.sheet == "单位").unwrap();
    assert_eq!(subject.faults.len(), 2, "{}", subject.message());

    // The report: the user's sheets and headers, the failed rows as uploaded, 错误原因 last.
    let report = error_report_xlsx(&first.errors, &first.headers).unwrap();
    let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(report.clone())).unwrap();
    use calamine::Reader;
    assert_eq!(wb.sheet_names(), vec!["单位", "人员"]);
    let rows: Vec<Vec<String>> = wb
        .worksheet_range("人员")
        .unwrap()
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let mut header: Vec<String> = persons_header.iter().map(|s| s.to_string()).collect();
    header.push("错误原因".into());
    assert_eq!(rows[0], header);
    assert_eq!(rows.len(), 2, "only the failed row");
    assert_eq!(
        rows[1][..9],
        [
            "2",
            "李四",
            &u_good,
            &id_bad,
            "1381234",
            "保安",
            "魔法作业",
            "2021-02-30",
            "待核"
        ]
    );
    assert_eq!(rows[1][9], format!("第4行：{message}"));

    // Corrected in place and uploaded as it is: every row goes in, 错误原因 unremarked.
    let fixed = edit_cells(
        &report,
        &[
            (&u_bad, &u_fixed),
            ("企业", "生产经营单位"),
            (&id_bad, &id_fixed),
            ("1381234", "13812341234"),
            ("保安", "特种作业人员"),
            ("魔法作业", "电工作业"),
            ("2021-02-30", "2021-02-28"),
        ],
    );
    let mut second = Collect::default();
    let summary = read_bytes(&fixed, "错误报告.xlsx", None, &reference(), &mut second).unwrap();
    assert!(second.errors.is_empty(), "{:#?}", second.errors);
    assert_eq!(summary.accepted_of(Table::Subjects), 1);
    assert_eq!(summary.accepted_of(Table::Persons), 1);
    assert!(
        second.warnings.iter().all(|w| !w.contains("错误原因")),
        "{:?}",
        second.warnings
    );
}
