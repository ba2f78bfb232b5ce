//! What the writers produce reads back: the demo export re-imports to the same records, the
//! template's examples are valid, error reports and table exports hold what they should.

mod common;

use anpei_core::ledger::{Fault, RowError, SheetHeader, Table};
use anpei_import::{
    error_report_xlsx, export_district, read_bytes, read_path, template_workbook,
    write_error_report, write_table_xlsx, Row,
};
use calamine::{Data, Reader, Xlsx};
use common::{district, reference, Collect};
use std::io::{Cursor, Read};

/// The XML of one part of an xlsx file.
fn part(xlsx: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

fn sheet_rows(xlsx: &[u8], sheet: &str) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(xlsx.to_vec())).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::Float(f) => f.to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

fn records(sink: &Collect, table: Table) -> Vec<Row> {
    sink.of(table).into_iter().cloned().collect()
}

#[test]
fn the_exported_demo_district_reimports_to_the_same_records() {
    let d = district(40, 600);
    let dir = tempfile::tempdir().unwrap();
    let summary = export_district(dir.path(), &d).unwrap();
    assert_eq!(summary.files.len(), 6);
    assert_eq!(summary.rows[&Table::Trainings], d.trainings.len());

    let want = |table: Table| -> Vec<Row> {
        match table {
            Table::Subjects => d.subjects.iter().cloned().map(Row::Subject).collect(),
            Table::Persons => d.persons.iter().cloned().map(Row::Person).collect(),
            Table::Certificates => d
                .certificates
                .iter()
                .cloned()
                .map(Row::Certificate)
                .collect(),
            Table::Trainings => d.trainings.iter().cloned().map(Row::Training).collect(),
            Table::Registry => d.registry.iter().cloned().map(Row::Certificate).collect(),
            // The demo export holds no online-training logs.
            _ => Vec::new(),
        }
    };

    for table in Table::LEDGER {
        let mut sink = Collect::default();
        let path = dir.path().join(format!("{}.csv", table.sheet()));
        let s = read_path(&path, None, &reference(), &mut sink).unwrap();
        assert_eq!(sink.errors, vec![], "{table:?}");
        assert_eq!(sink.warnings, Vec::<String>::new());
        assert_eq!(s.read_of(table), want(table).len());
        assert!(records(&sink, table) == want(table), "{table:?} from CSV");
    }

    let mut sink = Collect::default();
    let s = read_path(
        &dir.path().join("ledger.xlsx"),
        None,
        &reference(),
        &mut sink,
    )
    .unwrap();
    assert_eq!(sink.errors, vec![]);
    assert_eq!(sink.warnings, Vec::<String>::new());
    assert_eq!(s.sheets, vec!["单位", "人员", "证书", "培训", "登记库"]);
    for table in Table::LEDGER {
        assert!(
            records(&sink, table) == want(table),
            "{table:?} from the workbook"
        );
    }
    // Dates are true date cells in the workbook.
    let bytes = std::fs::read(dir.path().join("ledger.xlsx")).unwrap();
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let persons = wb.worksheet_range("人员").unwrap();
    assert!(matches!(persons.get((1, 6)), Some(Data::DateTime(_))));
}

#[test]
fn the_template_workbook_reads_back_with_its_examples_valid() {
    let bytes = template_workbook(&reference()).unwrap();
    let mut sink = Collect::default();
    let summary = read_bytes(&bytes, "模板.xlsx", None, &reference(), &mut sink).unwrap();
    assert_eq!(sink.errors, vec![]);
    assert_eq!(
        sink.warnings,
        Vec::<String>::new(),
        "说明 and 下拉选项 are not reported"
    );
    for table in [
        Table::Subjects,
        Table::Persons,
        Table::Certificates,
        Table::Trainings,
    ] {
        assert_eq!(summary.accepted_of(table), 1, "{table:?}");
    }
    let Row::Subject(s) = &sink.rows[0].2 else {
        panic!()
    };
    assert_eq!(
        (s.industry.as_deref(), s.town.as_str()),
        (Some("危险化学品"), "龙兴镇")
    );

    // Drop-down lists on the enumerated columns, from the hidden list sheet.
    let workbook = part(&bytes, "xl/workbook.xml");
    assert!(
        workbook.contains(r#"name="下拉选项" sheetId="6" state="hidden""#),
        "{workbook}"
    );
    let subjects = part(&bytes, "xl/worksheets/sheet1.xml");
    assert_eq!(
        subjects.matches("<dataValidation ").count(),
        4,
        "单位类型, 行业, 所属镇街, 行业主管部门"
    );
    assert!(subjects.contains("'下拉选项'!$C$2:$C$31"), "30 towns");
    let trainings = part(&bytes, "xl/worksheets/sheet4.xml");
    assert_eq!(trainings.matches("<dataValidation ").count(), 2);
    let persons = part(&bytes, "xl/worksheets/sheet2.xml");
    assert_eq!(persons.matches("<dataValidation ").count(), 2);
    let explain = sheet_rows(&bytes, "说明");
    assert!(explain
        .iter()
        .any(|r| r.iter().any(|c| c.contains("2021年3月5日"))));
}

fn errors() -> Vec<RowError> {
    let mut persons = RowError::new(
        "人员",
        5,
        "身份证号",
        "校验位错误（按GB 11643计算应为X）",
        vec![
            "1".into(),
            "91110000600037341L".into(),
            "张三".into(),
            "110105194912310021".into(),
        ],
    );
    persons.faults.push(Fault::new(
        "岗位类别",
        "不能为空，应为：主要负责人/安全生产管理人员/特种作业人员/一般从业人员",
    ));
    vec![
        RowError::new(
            "培训",
            9,
            "",
            "含有无法识别的字符",
            vec!["=HYPERLINK(\"http://x\")".into()],
        ),
        persons,
        RowError::new("人员", 3, "姓名", "不能为空，应填写姓名", vec!["0".into()]),
    ]
}

fn headers() -> Vec<SheetHeader> {
    let cells = |c: &[&str]| c.iter().map(|s| s.to_string()).collect();
    vec![
        SheetHeader {
            name: "人员".into(),
            table: Table::Persons,
            cells: cells(&["序号", "统一社会信用代码", "姓名", "身份证号", "岗位类别"]),
        },
        SheetHeader {
            name: "证书".into(),
            table: Table::Certificates,
            cells: cells(&["身份证号"]),
        },
        SheetHeader {
            name: "培训".into(),
            table: Table::Trainings,
            cells: cells(&["姓名", "错误原因"]),
        },
    ]
}

#[test]
fn error_reports_give_the_users_own_sheets_back_with_a_reason_column() {
    let xlsx = error_report_xlsx(&errors(), &headers()).unwrap();
    let names = Xlsx::new(Cursor::new(xlsx.clone())).unwrap().sheet_names();
    assert_eq!(
        names,
        vec!["人员", "培训"],
        "only sheets with errors, in file order"
    );
    let rows = sheet_rows(&xlsx, "人员");
    assert_eq!(
        rows[0],
        vec![
            "序号",
            "统一社会信用代码",
            "姓名",
            "身份证号",
            "岗位类别",
            "错误原因"
        ]
    );
    assert_eq!(
        rows[1],
        vec!["0", "", "", "", "", "第3行：姓名：不能为空，应填写姓名"]
    );
    assert_eq!(
        rows[2],
        vec![
            "1",
            "91110000600037341L",
            "张三",
            "110105194912310021",
            "",
            "第5行：身份证号：校验位错误（按GB 11643计算应为X）；岗位类别：不能为空，应为：主要负责人/安全生产管理人员/特种作业人员/一般从业人员"
        ]
    );
    // The 错误原因 of an earlier report is replaced, not repeated; a formula stays text.
    let rows = sheet_rows(&xlsx, "培训");
    assert_eq!(rows[0], vec!["姓名", "错误原因"]);
    assert_eq!(
        rows[1],
        vec!["'=HYPERLINK(\"http://x\")", "第9行：含有无法识别的字符"]
    );
    assert!(!part(&xlsx, "xl/worksheets/sheet1.xml").contains("<f>"));

    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("errors.csv");
    let one_sheet: Vec<RowError> = errors().into_iter().filter(|e| e.sheet == "人员").collect();
    write_error_report(&csv_path, &one_sheet, &headers()).unwrap();
    let csv = std::fs::read(&csv_path).unwrap();
    assert!(
        csv.starts_with(b"\xEF\xBB\xBF"),
        "a BOM, so that Excel opens it as UTF-8"
    );
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "序号,统一社会信用代码,姓名,身份证号,岗位类别,错误原因"
    );
    assert_eq!(lines[1], "0,,,,,第3行：姓名：不能为空，应填写姓名");
    assert_eq!(lines.len(), 3);
    // Several sheets in one CSV: each under a line naming it.
    let all = String::from_utf8(
        anpei_import::error_report_csv(&errors(), &headers()).unwrap()[3..].to_vec(),
    )
    .unwrap();
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines[0], "【人员】");
    assert!(lines.contains(&"【培训】"));
    assert!(lines.contains(&"\"'=HYPERLINK(\"\"http://x\"\")\",第9行：含有无法识别的字符"));

    let xlsx_path = dir.path().join("errors.xlsx");
    write_error_report(&xlsx_path, &errors(), &headers()).unwrap();
    assert!(std::fs::read(&xlsx_path)
        .unwrap()
        .starts_with(b"PK\x03\x04"));
    assert!(write_error_report(&dir.path().join("errors.txt"), &errors(), &headers()).is_err());
}

#[test]
fn a_sheet_the_report_knows_no_header_of_has_its_columns_lettered() {
    let xlsx = error_report_xlsx(&errors(), &[]).unwrap();
    let rows = sheet_rows(&xlsx, "人员");
    assert_eq!(rows[0], vec!["A", "B", "C", "D", "错误原因"]);
    let empty = error_report_xlsx(&[], &headers()[..1]).unwrap();
    assert_eq!(
        sheet_rows(&empty, "人员")[0],
        vec![
            "序号",
            "统一社会信用代码",
            "姓名",
            "身份证号",
            "岗位类别",
            "错误原因"
        ]
    );
}

#[test]
fn table_exports_have_a_bold_frozen_header_and_no_formulas() {
    let rows = vec![
        vec![
            "CERT_EXPIRED".to_string(),
            "=1+1".to_string(),
            "张三".to_string(),
        ],
        vec![
            "REVIEW_OVERDUE".to_string(),
            "-5".to_string(),
            "@x".to_string(),
        ],
    ];
    let xlsx = write_table_xlsx("问题线索", &["规则", "详情", "姓名"], rows.into_iter()).unwrap();
    let read = sheet_rows(&xlsx, "问题线索");
    assert_eq!(read[0], vec!["规则", "详情", "姓名"]);
    assert_eq!(read[1], vec!["CERT_EXPIRED", "'=1+1", "张三"]);
    assert_eq!(read[2], vec!["REVIEW_OVERDUE", "'-5", "'@x"]);
    let sheet = part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains(r#"state="frozen""#));
    assert!(sheet.contains("<cols>"));
    assert!(!sheet.contains("<f>"), "no formula cells");
    assert!(part(&xlsx, "xl/styles.xml").contains("<b/>"));
}

#[test]
fn the_online_template_reads_back_as_one_valid_row_a_sheet() {
    let bytes = anpei_import::online_template_workbook().unwrap();
    let mut sink = Collect::default();
    let summary = read_bytes(
        &bytes,
        "网络培训日志模板.xlsx",
        anpei_import::Select::Online,
        &reference(),
        &mut sink,
    )
    .unwrap();
    assert_eq!(sink.errors, vec![]);
    assert_eq!(sink.warnings, Vec::<String>::new());
    for table in Table::ONLINE {
        assert_eq!(summary.accepted_of(table), 1, "{table:?}");
    }
    let Row::Session(s) = &sink.rows[0].2 else {
        panic!("the first row is a session: {:?}", sink.rows[0].2)
    };
    assert_eq!((s.end - s.start).num_minutes(), 45);
    assert_eq!(s.device.as_deref(), Some("PC-0101"));
    // The ledger's reading of the same file finds none of its sheets.
    let mut other = Collect::default();
    assert!(read_bytes(&bytes, "x.xlsx", None, &reference(), &mut other).is_err());
}
