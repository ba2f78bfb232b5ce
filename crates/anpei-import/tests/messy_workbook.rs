//! A workbook as officials really send it — columns out of order, extra columns, title-less
//! and full-width-padded cells, every date form, true date cells, lowercase x — reads with
//! exactly its bad rows rejected, each with the right sheet, row, column and reason.

mod common;

use anpei_core::ids::{IdNumber, Uscc};
use anpei_core::kinds::{CertType, Post, TrainingForm, TrainingType};
use anpei_core::ledger::Table;
use anpei_import::{read_bytes, ImportError, Row};
use chrono::{NaiveDate, NaiveDateTime};
use common::{reference, Collect};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

fn id(first17: &str) -> String {
    format!("{first17}{}", IdNumber::check_char(first17).unwrap())
}

fn uscc(first17: &str) -> String {
    format!("{first17}{}", Uscc::check_char(first17).unwrap())
}

/// A cell of the test workbook.
enum V<'a> {
    T(&'a str),
    N(f64),
    /// A true Excel date cell.
    D(u16, u8, u8),
    /// A true Excel date-time cell.
    Dt(u16, u8, u8, u16, u8),
}
use V::*;

fn write(ws: &mut Worksheet, rows: &[Vec<V>]) {
    let date = Format::new().set_num_format("yyyy/m/d");
    let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match v {
                T("") => {}
                T(s) => {
                    ws.write_string(r, c, *s).unwrap();
                }
                N(n) => {
                    ws.write_number(r, c, *n).unwrap();
                }
                D(y, m, d) => {
                    let dt = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                    ws.write_datetime_with_format(r, c, &dt, &date).unwrap();
                }
                Dt(y, m, d, h, mi) => {
                    let dt = ExcelDateTime::from_ymd(*y, *m, *d)
                        .unwrap()
                        .and_hms(*h, *mi, 0)
                        .unwrap();
                    ws.write_datetime_with_format(r, c, &dt, &datetime).unwrap();
                }
            }
        }
    }
}

struct Codes {
    a: String,
    b_bad: String,
    c: String,
    d: String,
    e: String,
    f: String,
    ids: Vec<String>,
}

fn codes() -> Codes {
    let mut b_bad = uscc("91500112MA5U7L3B0");
    let last = b_bad.pop().unwrap();
    b_bad.push(if last == '1' { '2' } else { '1' });
    let ids = (1..=12)
        .map(|i| id(&format!("500112198503124{i:02}")))
        .collect();
    Codes {
        a: uscc("91500112MA5U7L3A0"),
        b_bad,
        c: uscc("52500112MJP123450"),
        d: uscc("91500112MA5U7L3D0"),
        e: uscc("91500112MA5U7L3E0"),
        f: uscc("91500112MA5U7L3F0"),
        ids,
    }
}

// The sheets are tables: one line per row reads better than rustfmt's one line per cell.
#[rustfmt::skip]
fn messy_workbook(k: &Codes) -> Vec<u8> {
    let mut wb = Workbook::new();
    let i = &k.ids;
    let id1 = i[0].replace('X', "x");
    let bad_id = {
        let mut s = i[3].clone();
        let last = s.pop().unwrap();
        s.push(if last == '1' { '2' } else { '1' });
        s
    };
    let impossible_birth = id("50011219850230123");

    let ws = wb.add_worksheet();
    ws.set_name("单位").unwrap();
    write(ws, &[
        vec![T("序号"), T("单位名称"), T(" 统一社会信用代码 "), T("单位类型"), T("行业"), T("所属镇街"), T("联系电话")],
        vec![N(1.0), T("重庆甲化工有限公司"), T(&k.a.to_lowercase()), T("生产经营单位"), T("危险化学品"), T("\u{3000}龙兴镇 "), T("")],
        vec![N(2.0), T("重庆乙机械有限公司"), T(&k.b_bad), T("生产经营单位"), T("工贸"), T("龙兴镇"), T("")],
        vec![N(3.0), T("重庆丙安全培训学校"), T(&k.c), T("安全培训机构"), T(""), T("龙兴镇"), T("023-67824066")],
        vec![N(4.0), T("重庆丁有限公司"), T(&k.d), T("生产经营单位"), T("魔法"), T("龙兴镇"), T("")],
        vec![N(5.0), T("重庆戊有限公司"), T(&k.e), T("生产经营单位"), T("工贸"), T("火星镇"), T("")],
        vec![],
        vec![N(6.0), T("重庆己有限公司"), T(&k.f), T("生产经营单位"), T("工贸"), T("龙兴镇"), T("1381234")],
        vec![N(7.0)],
        vec![N(8.0), T(""), T("\u{3000}")],
    ]);

    let ws = wb.add_worksheet();
    ws.set_name("人员").unwrap();
    write(ws, &[
        vec![T("统一社会信用代码"), T("姓名"), T("身份证号"), T("手机号"), T("岗位类别"), T("作业类别"), T("任职日期"), T("备注")],
        vec![T(&k.a), T(" 张\u{3000}三 "), T(&id1), N(13812341234.0), T("主要负责人"), T(""), D(2021, 3, 5), T("法人")],
        vec![T(&k.a), T("李四"), T(&i[1]), T(""), T("特种作业人员"), T("电工作业"), T("2021/3/5")],
        vec![T(&k.a), T("王五"), T(&i[2]), T(""), T("安全生产管理人员"), T(""), T("2021年3月5日")],
        vec![T(&k.a), T("赵六"), T(&bad_id), T(""), T("一般从业人员"), T(""), T("2021-03-05")],
        vec![T(&k.a), T("钱七"), T(&i[4]), T(""), T("保安"), T(""), T("2021-03-05")],
        vec![T(&k.a), T("孙八"), T(&i[5]), T(""), T("一般从业人员"), T(""), T("2021-02-30")],
        vec![T(&k.a), T("周九"), T(&i[6]), T(""), T("一般从业人员"), T(""), N(44260.0)],
        vec![T(&k.e), T("吴十"), T(&i[7]), T(""), T("一般从业人员"), T(""), T("20210305")],
        vec![T(&k.a), T("郑十一"), T(&impossible_birth), T(""), T("一般从业人员"), T(""), T("2021.3.5")],
        vec![T(&k.a), T("冯十二"), T(&i[8]), T(""), T("特种作业人员"), T("魔法作业"), T("2021.3.5")],
        vec![T(&k.a), T("陈十三"), N(500112198503124000.0), T(""), T("一般从业人员"), T(""), T("2021.3.5")],
    ]);

    let ws = wb.add_worksheet();
    ws.set_name("证书").unwrap();
    let mc = "安全生产知识和管理能力考核合格证";
    let t_id2 = format!("T{}", i[1]);
    write(ws, &[
        vec![T("身份证号"), T("姓名"), T("证书类型"), T("证书编号"), T("作业类别"), T("操作项目"), T("初领日期"), T("有效期起"), T("有效期止"), T("应复审日期"), T("实际复审日期"), T("发证机关")],
        vec![T(&id1), T("张三"), T(mc), T(" 渝安管A001 "), T(""), T(""), T(""), D(2021, 4, 1), T("2024.3.31"), T(""), T(""), T("重庆市应急管理局")],
        vec![T(&i[1]), T("李四"), T("特种作业操作证"), T(&t_id2), T("电工作业"), T("低压电工作业"), T(""), T("2021/4/1"), T("2027/3/31"), T("2024/4/1")],
        vec![T(&i[2]), T("王五"), T("安全证"), T("A003"), T(""), T(""), T(""), T("2021/4/1")],
        vec![T(&i[2]), T("王五"), T(mc), T("A004")],
        vec![T(&i[2]), T("王五"), T(mc), T("A005"), T(""), T(""), T(""), T("2024-01-01"), T("2023-01-01")],
        vec![T(&i[4]), T("钱七"), T(mc), T("A006"), T(""), T(""), T(""), T("2024-01-01"), T("2027-01-01")],
    ]);

    let ws = wb.add_worksheet();
    ws.set_name("培训").unwrap();
    // Columns shuffled: names first, hours before times.
    write(ws, &[
        vec![T("姓名"), T("身份证号"), T("统一社会信用代码"), T("培训类型"), T("培训形式"), T("理论学时"), T("实操学时"), T("开始时间"), T("结束时间"), T("培训机构"), T("考核成绩"), T("考核结果")],
        vec![T("张三"), T(&id1), T(&k.a), T("再培训"), T("线下"), N(8.0), T(""), T("2024-03-05 09:00"), T("2024/3/5 17:00"), T("重庆丙安全培训学校"), N(92.0), T("合格")],
        vec![T("李四"), T(&i[1]), T(&k.a), T("岗前培训"), T("线上"), T("6"), T("2"), Dt(2024, 3, 6, 9, 0), T("2024年3月6日 17:30")],
        vec![T("王五"), T(&i[2]), T(&k.a), T("再培训"), T("线下"), N(8.0), N(0.0), T("2024-03-07 17:00"), T("2024-03-07 09:00")],
        vec![T("王五"), T(&i[2]), T(&k.a), T("再培训"), T("线下"), T("-2"), N(0.0), T("2024-03-08 09:00"), T("2024-03-08 17:00")],
        vec![T("王五"), T(&i[2]), T(&k.a), T("安全培训"), T("线下"), N(8.0), N(0.0), T("2024-03-09 09:00"), T("2024-03-09 17:00")],
        vec![T("王五"), T(&i[2]), T(&k.a), T("再培训"), T("线下"), N(8.0), N(0.0), T("2024-03-10 25:00"), T("2024-03-10 17:00")],
        vec![T("王五"), T(&i[2]), T(&k.a), T("三级教育"), T("线下"), N(4.0), T(""), T("2024-03-11"), T("2024/3/11")],
        vec![T("钱七"), T(&i[4]), T(&k.a), T("再培训"), T("线下"), N(8.0), N(0.0), T("2024-03-12 09:00"), T("2024-03-12 17:00")],
    ]);

    let ws = wb.add_worksheet();
    ws.set_name("Sheet5").unwrap();
    ws.write_string(0, 0, "随手记").unwrap();
    wb.save_to_buffer().unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
    date(y, m, d).and_hms_opt(h, mi, s).unwrap()
}

#[test]
fn a_messy_workbook_rejects_exactly_its_bad_rows() {
    let k = codes();
    let bytes = messy_workbook(&k);
    let mut sink = Collect::default();
    let summary = read_bytes(&bytes, "台账.xlsx", None, &reference(), &mut sink).unwrap();

    let got: Vec<(&str, usize, String)> = sink
        .errors
        .iter()
        .map(|e| (e.sheet.as_str(), e.row, e.message()))
        .collect();
    // Each message names the column and what is expected (the lists of towns and industries
    // are checked to the first value).
    let want = vec![
        ("单位", 3, "统一社会信用代码：校验位错误（按GB 32100计算应为H）"),
        ("单位", 5, "行业：“魔法”不在监管行业名单中，应为：农业机械/"),
        ("单位", 6, "所属镇街：“火星镇”不是本区的镇街，应为：两路街道/"),
        ("单位", 8, "联系电话：“1381234”不是有效的电话号码，应为11位手机号或带区号的固定电话，如13812345678或023-67824066"),
        ("人员", 5, "身份证号：校验位错误（按GB 11643计算应为4）"),
        ("人员", 6, "岗位类别：“保安”不是可选值，应为：主要负责人/安全生产管理人员/特种作业人员/一般从业人员"),
        ("人员", 7, "任职日期：日期2021-02-30不存在，应为日历上有的日期，如2022-03-31"),
        ("人员", 9, "统一社会信用代码：所属单位在“单位”表第6行已被拒绝，应先改正该行"),
        ("人员", 10, "身份证号：第7至14位的出生日期19850230不存在，应为真实的出生日期，如19900101"),
        ("人员", 11, "作业类别：“魔法作业”不是可选值，应为：电工作业/焊接与热切割作业/高处作业/制冷与空调作业/煤矿安全作业/金属非金属矿山安全作业/石油天然气安全作业/冶金（有色）生产安全作业/危险化学品安全作业/烟花爆竹安全作业"),
        ("人员", 12, "身份证号：被Excel存成了数字，末几位已丢失：请把该列设为文本格式后重新填写"),
        ("证书", 4, "证书类型：“安全证”不是可选值，应为：安全生产知识和管理能力考核合格证/特种作业操作证"),
        ("证书", 5, "有效期起：有效期起、初领日期、有效期止至少填写一项，应为日期，如2022-03-31"),
        ("证书", 6, "有效期止：有效期止2023-01-01早于有效期起2024-01-01，应不早于有效期起"),
        ("证书", 7, "身份证号：该人员在“人员”表第6行已被拒绝，应先改正该行"),
        ("培训", 4, "结束时间：结束时间2024-03-07 09:00早于开始时间2024-03-07 17:00，应晚于开始时间"),
        ("培训", 5, "理论学时：“-2”不是有效的学时，应为不小于0的数字，如8或1.5"),
        ("培训", 6, "培训类型：“安全培训”不是可选值，应为：初次培训/岗前培训/再培训/复审培训/转岗培训/三级教育/其他"),
        ("培训", 7, "开始时间：时间25:00不存在，应在0:00至23:59之间，如09:00"),
        ("培训", 9, "身份证号：该人员在“人员”表第6行已被拒绝，应先改正该行"),
    ];
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for ((sheet, row, message), (w_sheet, w_row, w_message)) in got.iter().zip(&want) {
        assert_eq!((*sheet, *row), (*w_sheet, *w_row), "{message}");
        if w_message.ends_with('/') {
            assert!(message.starts_with(w_message), "{message}");
        } else {
            assert_eq!(message, w_message);
        }
    }

    // The error keeps the row's original cells, in the file's column order.
    let phone = sink
        .errors
        .iter()
        .find(|e| e.columns() == "联系电话")
        .unwrap();
    assert_eq!(phone.cells[1], "重庆己有限公司");
    assert_eq!(phone.cells[6], "1381234");

    // Counts reconcile, per table. (单位 rows 9 and 10 hold only a 序号: they are no rows.)
    for (table, read, rejected) in [
        (Table::Subjects, 6, 4),
        (Table::Persons, 11, 7),
        (Table::Certificates, 6, 4),
        (Table::Trainings, 8, 5),
    ] {
        assert_eq!(
            (summary.read_of(table), summary.rejected_of(table)),
            (read, rejected),
            "{table:?}"
        );
        assert_eq!(sink.of(table).len(), read - rejected);
    }
    assert_eq!(summary.sheets, vec!["单位", "人员", "证书", "培训"]);

    // One warning per sheet with unknown columns, one for the unknown sheet.
    assert_eq!(
        sink.warnings,
        vec![
            "工作表“Sheet5”不是可导入的工作表（单位、人员、证书、培训、登记库），已忽略"
                .to_string(),
            "工作表“单位”的列“序号”不在导入格式中，已忽略".to_string(),
            "工作表“人员”的列“备注”不在导入格式中，已忽略".to_string(),
        ]
    );

    // The accepted rows are normalised.
    let Row::Subject(a) = sink.of(Table::Subjects)[0] else {
        panic!()
    };
    assert_eq!(a.uscc.as_str(), k.a);
    assert_eq!(a.town, "龙兴镇");
    assert_eq!(a.department, None);
    let Row::Subject(c) = sink.of(Table::Subjects)[1] else {
        panic!()
    };
    assert_eq!(
        (c.industry.as_deref(), c.contact_phone.as_deref()),
        (None, Some("023-67824066"))
    );

    let persons: Vec<_> = sink
        .of(Table::Persons)
        .into_iter()
        .map(|r| match r {
            Row::Person(p) => p,
            _ => panic!(),
        })
        .collect();
    assert_eq!(persons.len(), 4);
    assert_eq!(persons[0].name, "张三");
    assert_eq!(persons[0].id_number.as_str(), k.ids[0]);
    assert_eq!(persons[0].phone.as_deref(), Some("13812341234"));
    assert_eq!(persons[0].post, Post::PrincipalManager);
    assert_eq!(persons[1].special_category.as_deref(), Some("电工作业"));
    for p in &persons {
        assert_eq!(p.appointed_on, date(2021, 3, 5), "{}", p.name);
    }

    let certs: Vec<_> = sink
        .of(Table::Certificates)
        .into_iter()
        .map(|r| match r {
            Row::Certificate(c) => c,
            _ => panic!(),
        })
        .collect();
    assert_eq!(certs[0].cert_no, "渝安管A001");
    assert_eq!(certs[0].cert_type, CertType::ManagerCompetency);
    assert_eq!(
        (certs[0].valid_from, certs[0].valid_until),
        (Some(date(2021, 4, 1)), Some(date(2024, 3, 31)))
    );
    assert_eq!(certs[1].cert_no, k.ids[1], "T + ID is the ID");
    assert_eq!(certs[1].review_due, Some(date(2024, 4, 1)));

    let trainings: Vec<_> = sink
        .of(Table::Trainings)
        .into_iter()
        .map(|r| match r {
            Row::Training(t) => t,
            _ => panic!(),
        })
        .collect();
    assert_eq!(trainings.len(), 3);
    assert_eq!(
        (trainings[0].start, trainings[0].end),
        (at(2024, 3, 5, 9, 0, 0), at(2024, 3, 5, 17, 0, 0))
    );
    assert_eq!(
        (trainings[0].theory_hours, trainings[0].practical_hours),
        (8.0, 0.0)
    );
    assert_eq!(trainings[0].score, Some(92.0));
    assert_eq!(trainings[1].form, TrainingForm::Online);
    assert_eq!(
        (trainings[1].start, trainings[1].end),
        (at(2024, 3, 6, 9, 0, 0), at(2024, 3, 6, 17, 30, 0))
    );
    assert_eq!(trainings[1].hours(), 8.0);
    // A bare date: the class runs from the start of its first day to the end of its last.
    assert_eq!(trainings[2].training_type, TrainingType::ThreeLevel);
    assert_eq!(
        (trainings[2].start, trainings[2].end),
        (at(2024, 3, 11, 0, 0, 0), at(2024, 3, 11, 23, 59, 59))
    );
}

#[test]
fn reading_the_same_workbook_twice_gives_the_same_rows_and_errors() {
    let bytes = messy_workbook(&codes());
    let mut a = Collect::default();
    let mut b = Collect::default();
    read_bytes(&bytes, "a.xlsx", None, &reference(), &mut a).unwrap();
    read_bytes(&bytes, "b.xlsx", None, &reference(), &mut b).unwrap();
    assert_eq!(a.rows, b.rows);
    assert_eq!(a.errors, b.errors);
}

#[test]
fn one_table_of_a_workbook_can_be_read_alone() {
    let bytes = messy_workbook(&codes());
    let mut sink = Collect::default();
    let summary = read_bytes(
        &bytes,
        "台账.xlsx",
        Some(Table::Persons),
        &reference(),
        &mut sink,
    )
    .unwrap();
    assert_eq!(summary.sheets, vec!["人员"]);
    // Without the 单位 sheet, 吴十's employer is not known to be rejected: the sink decides.
    assert_eq!(sink.errors.len(), 6);
    assert!(sink
        .warnings
        .iter()
        .any(|w| w == "工作表“单位”本次只导入人员，已忽略"));
}

#[test]
fn a_sheet_without_a_required_column_is_refused_naming_the_columns() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("人员").unwrap();
    write(
        ws,
        &[
            vec![T("姓名"), T("身份证号"), T("手机号")],
            vec![T("张三"), T("11010519491231002X")],
        ],
    );
    let bytes = wb.save_to_buffer().unwrap();
    let err = read_bytes(
        &bytes,
        "x.xlsx",
        None,
        &reference(),
        &mut Collect::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ImportError::MissingColumns { sheet, columns } if sheet == "人员" && columns == &["统一社会信用代码", "岗位类别", "任职日期"])
    );
    assert_eq!(
        err.to_string(),
        "工作表“人员”缺少必填列：统一社会信用代码、岗位类别、任职日期，请在表头行加上这些列（列名可对照导入模板）"
    );
}

#[test]
fn title_rows_above_the_header_are_skipped_with_a_warning() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("单位").unwrap();
    let k = codes();
    write(
        ws,
        &[
            vec![T("某某街道安全生产监管对象台账")],
            vec![T("填报日期：2024年3月")],
            vec![
                T("统一社会信用代码"),
                T("单位名称"),
                T("单位类型"),
                T("行业"),
                T("所属镇街"),
            ],
            vec![
                T(&k.a),
                T("重庆甲化工有限公司"),
                T("生产经营单位"),
                T("危险化学品"),
                T("龙兴镇"),
            ],
        ],
    );
    let bytes = wb.save_to_buffer().unwrap();
    let mut sink = Collect::default();
    read_bytes(&bytes, "x.xlsx", None, &reference(), &mut sink).unwrap();
    assert_eq!(sink.rows.len(), 1);
    assert_eq!(sink.rows[0].1, 4, "row numbers stay those of the sheet");
    assert_eq!(
        sink.warnings,
        vec!["工作表“单位”表头之前的2行已跳过".to_string()]
    );
}

#[test]
fn a_workbook_without_any_known_sheet_is_refused() {
    let mut wb = Workbook::new();
    wb.add_worksheet().write_string(0, 0, "x").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let err = read_bytes(
        &bytes,
        "x.xlsx",
        None,
        &reference(),
        &mut Collect::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::NoKnownSheet { .. }), "{err}");
    // Told which table it holds, its first sheet is read as that table.
    let err = read_bytes(
        &bytes,
        "x.xlsx",
        Some(Table::Persons),
        &reference(),
        &mut Collect::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::MissingColumns { .. }), "{err}");
}

#[test]
fn a_file_that_is_no_spreadsheet_is_refused_in_chinese() {
    let err = read_bytes(
        b"PK\x03\x04garbage",
        "x.xlsx",
        None,
        &reference(),
        &mut Collect::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("无法作为xlsx工作簿读取"), "{err}");
    let err = read_bytes(
        &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1],
        "x.xls",
        None,
        &reference(),
        &mut Collect::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains(".xls"), "{err}");
}

#[test]
fn an_excel_date_cell_on_the_phantom_29_february_1900_is_refused() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("人员").unwrap();
    let k = codes();
    write(
        ws,
        &[vec![
            T("统一社会信用代码"),
            T("姓名"),
            T("身份证号"),
            T("岗位类别"),
            T("任职日期"),
        ]],
    );
    for (r, serial) in [(1u32, 60.0), (2, 61.0)] {
        for (c, v) in [&k.a, "张三", &k.ids[r as usize], "一般从业人员"]
            .iter()
            .enumerate()
        {
            ws.write_string(r, c as u16, *v).unwrap();
        }
        let date = Format::new().set_num_format("yyyy-mm-dd");
        ws.write_number_with_format(r, 4, serial, &date).unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();
    let mut sink = Collect::default();
    read_bytes(&bytes, "x.xlsx", None, &reference(), &mut sink).unwrap();
    assert_eq!(sink.errors.len(), 1);
    assert_eq!(
        sink.errors[0].message(),
        "任职日期：日期1900-02-29不存在，应为日历上有的日期，如2022-03-31"
    );
    let Row::Person(p) = &sink.rows[0].2 else {
        panic!()
    };
    assert_eq!(p.appointed_on, date(1900, 3, 1));
}
