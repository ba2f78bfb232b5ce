//! A training institution's class file (一期一档) as one xlsx workbook: the sheets
//! 师资, 场地, 设备, 培训班, 课次, 学员 and 签到 (any of them may be missing, see
//! [`SHEETS`]). Reading is strict: every cell is checked, every bad cell is reported with its
//! sheet, row and column, and the caller stores nothing unless there is no error at all.
//! Checks that need the database (a teacher named in 课次 who is neither in 师资 nor already
//! recorded) are the store's.
//!
//! Workbooks are small (one institution's classes), so this reader takes whole sheets with
//! calamine's `worksheet_range` rather than the ledger's streaming machinery.

use crate::cells::{self, format_datetime, format_number};
use crate::write::neutralise;
use crate::ImportError;
pub use anpei_core::class_file::*;
use anpei_core::ids::{parse_phone, IdNumber};
use calamine::{Data, Reader, Xlsx};
use chrono::{NaiveDate, NaiveDateTime};
use std::collections::{HashMap, HashSet};
use std::io::Cursor;

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => crate::sheets::restore_neutralised(cells::trim(s)).to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => cells::trim(s).to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            let mut s = String::new();
            format_number(*f, &mut s);
            s
        }
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(dt) => match cells::excel_serial(dt.as_f64()) {
            Ok(v) => {
                let mut s = String::new();
                format_datetime(v, &mut s);
                s
            }
            Err(_) => dt.as_f64().to_string(),
        },
    }
}

/// One row's cells by column name, collecting the problems of its bad cells.
struct RowReader<'a> {
    sheet: &'static str,
    row: usize,
    cols: &'a HashMap<&'static str, usize>,
    cells: &'a [Data],
    problems: &'a mut Vec<Problem>,
}

impl RowReader<'_> {
    fn raw(&self, col: &str) -> String {
        self.cols
            .get(col)
            .and_then(|&i| self.cells.get(i))
            .map(cell_text)
            .unwrap_or_default()
    }

    fn bad(&mut self, col: &str, reason: impl Into<String>) {
        self.problems
            .push(Problem::at(self.sheet, self.row, col, reason));
    }

    /// A cell that may be empty.
    fn opt(&mut self, col: &str) -> Option<String> {
        let v = self.raw(col);
        (!v.is_empty()).then_some(v)
    }

    /// A cell that must not be empty.
    fn req(&mut self, col: &str) -> Option<String> {
        let v = self.opt(col);
        if v.is_none() {
            self.bad(col, "不能为空");
        }
        v
    }

    /// The value of `r`, or a problem at `col` saying why not.
    fn checked<T, E: std::fmt::Display>(&mut self, col: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.bad(col, e.to_string());
                None
            }
        }
    }

    /// A cell that must not be empty when `required`; `Some(None)` for an allowed blank.
    fn cell(&mut self, col: &str, required: bool) -> Option<Option<String>> {
        if required {
            self.req(col).map(Some)
        } else {
            Some(self.opt(col))
        }
    }

    fn id(&mut self, col: &str) -> Option<IdNumber> {
        let v = self.req(col)?;
        self.checked(col, IdNumber::parse(&v))
    }

    fn number(&mut self, col: &str, required: bool) -> Option<Option<f64>> {
        let Some(v) = self.cell(col, required)? else {
            return Some(None);
        };
        match self.checked(col, cells::parse_number(&v))? {
            n if n >= 0.0 => Some(Some(n)),
            _ => {
                self.bad(col, "不能为负数");
                None
            }
        }
    }

    fn count(&mut self, col: &str) -> Option<i32> {
        let n = self.number(col, true)??;
        if n.fract() != 0.0 || n > 1_000_000.0 {
            self.bad(col, format!("应为整数，实际为“{}”", self.raw(col)));
            return None;
        }
        Some(n as i32)
    }

    fn date(&mut self, col: &str) -> Option<NaiveDate> {
        let v = self.req(col)?;
        self.checked(col, cells::parse_date(&v))
    }

    fn datetime(&mut self, col: &str, required: bool) -> Option<Option<NaiveDateTime>> {
        let Some(v) = self.cell(col, required)? else {
            return Some(None);
        };
        match self.checked(col, cells::parse_datetime(&v))? {
            (d, Some(t)) => Some(Some(d.and_time(t))),
            (_, None) => {
                self.bad(col, format!("应包含时刻，如2021-03-05 09:00，实际为“{v}”"));
                None
            }
        }
    }
}

/// Reads a class file. `Err` holds every problem found (the caller stores nothing then).
pub fn read_class_file(bytes: &[u8]) -> Result<ClassFile, Vec<Problem>> {
    let whole = |reason: String| vec![Problem::at("", 0, "", reason)];
    let mut wb = Xlsx::new(Cursor::new(bytes)).map_err(|source| {
        whole(
            ImportError::Workbook {
                file: "上传的文件".into(),
                source,
            }
            .to_string(),
        )
    })?;
    let names = wb.sheet_names();
    let mut problems = Vec::new();
    let mut out = ClassFile::default();
    let mut any = false;
    for &(sheet, columns) in SHEETS {
        let Some(actual) = names.iter().find(|n| cells::trim(n) == sheet) else {
            continue;
        };
        any = true;
        let range = match wb.worksheet_range(actual) {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem::at(
                    sheet,
                    0,
                    "",
                    format!("工作表“{sheet}”无法读取：{e}"),
                ));
                continue;
            }
        };
        let mut rows = range.rows();
        let Some(header) = rows.next() else { continue };
        let mut cols = HashMap::new();
        for (i, h) in header.iter().enumerate() {
            let h = cell_text(h);
            if let Some(c) = columns.iter().find(|c| **c == h) {
                cols.insert(*c, i);
            }
        }
        let missing: Vec<&str> = columns
            .iter()
            .filter(|c| !cols.contains_key(*c) && !OPTIONAL.contains(&(sheet, **c)))
            .copied()
            .collect();
        if !missing.is_empty() {
            problems.push(Problem::at(
                sheet,
                1,
                "",
                format!("缺少列：{}", missing.join("、")),
            ));
            continue;
        }
        for (i, cells) in rows.enumerate() {
            if cells.iter().all(|c| cell_text(c).is_empty()) {
                continue;
            }
            let mut r = RowReader {
                sheet,
                row: i + 2 + range.start().map_or(0, |(r, _)| r as usize),
                cols: &cols,
                cells,
                problems: &mut problems,
            };
            let row = r.row;
            match sheet {
                "师资" => {
                    let name = r.req("姓名");
                    let id = r.id("身份证号");
                    let emp = r.req("专兼职");
                    let full_time = match emp.as_deref() {
                        Some("专职") => Some(true),
                        Some("兼职") => Some(false),
                        Some(o) => {
                            r.bad("专兼职", format!("应为“专职”或“兼职”，实际为“{o}”"));
                            None
                        }
                        None => None,
                    };
                    let qualification = r.opt("资质").unwrap_or_default();
                    let phone = r.opt("联系电话");
                    let phone = match phone.as_deref().map(parse_phone) {
                        None => Some(None),
                        Some(Ok(p)) => Some(Some(p)),
                        Some(Err(e)) => {
                            r.bad("联系电话", e);
                            None
                        }
                    };
                    if let (Some(name), Some(id), Some(full_time), Some(phone)) =
                        (name, id, full_time, phone)
                    {
                        if let Some(p) = phone {
                            out.teacher_phones.insert(row, p);
                        }
                        out.teachers.push(TeacherRow {
                            row,
                            name,
                            id,
                            full_time,
                            qualification,
                        });
                    }
                }
                "场地" => {
                    let name = r.req("场地名称");
                    let capacity = r.count("容纳人数");
                    if let (Some(name), Some(capacity)) = (name, capacity) {
                        out.venues.push(VenueRow {
                            row,
                            name,
                            capacity,
                        });
                    }
                }
                "设备" => {
                    let name = r.req("设备名称");
                    let quantity = r.count("数量");
                    if let (Some(name), Some(quantity)) = (name, quantity) {
                        out.equipment.push(EquipmentRow {
                            row,
                            name,
                            quantity,
                        });
                    }
                }
                "培训班" => {
                    let code = r.req("班级编号");
                    let course_type = r.req("培训类型");
                    let hours = r.number("大纲学时", true).flatten();
                    let start = r.date("开班日期");
                    let end = r.date("结业日期");
                    let venue = r.opt("场地");
                    let capacity = r.count("计划人数");
                    if let (Some(s), Some(e)) = (start, end) {
                        if e < s {
                            r.bad("结业日期", "早于开班日期");
                        }
                    }
                    if let (
                        Some(code),
                        Some(course_type),
                        Some(syllabus_hours),
                        Some(start_on),
                        Some(end_on),
                        Some(capacity),
                    ) = (code, course_type, hours, start, end, capacity)
                    {
                        out.classes.push(ClassRow {
                            row,
                            code,
                            course_type,
                            syllabus_hours,
                            start_on,
                            end_on,
                            venue,
                            capacity,
                        });
                    }
                }
                "课次" => {
                    let class_code = r.req("班级编号");
                    let seq = r.count("课次");
                    let start = r.datetime("开始时间", true).flatten();
                    let end = r.datetime("结束时间", true).flatten();
                    if let (Some(s), Some(e)) = (start, end) {
                        if e <= s {
                            r.bad("结束时间", "不晚于开始时间");
                        }
                    }
                    let teacher = r.opt("授课教师");
                    let online = match r.req("形式").as_deref() {
                        Some("线下") => Some(false),
                        Some("线上") => Some(true),
                        Some(o) => {
                            r.bad("形式", format!("应为“线下”或“线上”，实际为“{o}”"));
                            None
                        }
                        None => None,
                    };
                    let video_file = r.opt("录像文件名");
                    let video_sha256 = r.opt("录像SHA256").map(|s| s.to_ascii_lowercase());
                    if let Some(h) = &video_sha256 {
                        if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                            r.bad("录像SHA256", "应为64位十六进制数");
                        }
                    }
                    let minutes = r.number("录像时长（分钟）", false).flatten();
                    if let (
                        Some(class_code),
                        Some(seq),
                        Some(start_at),
                        Some(end_at),
                        Some(online),
                    ) = (class_code, seq, start, end, online)
                    {
                        out.sessions.push(SessionRow {
                            row,
                            class_code,
                            seq,
                            start_at,
                            end_at,
                            teacher,
                            online,
                            video_file,
                            video_sha256,
                            video_seconds: minutes.map(|m| (m * 60.0).round() as i32),
                        });
                    }
                }
                "学员" => {
                    let class_code = r.req("班级编号");
                    let name = r.req("姓名");
                    let id = r.id("身份证号");
                    let score = r.number("考核成绩", false);
                    if let Some(Some(s)) = score {
                        if s > 100.0 {
                            r.bad("考核成绩", "应在0至100之间");
                        }
                    }
                    if let (Some(class_code), Some(name), Some(id), Some(score)) =
                        (class_code, name, id, score)
                    {
                        out.trainees.push(TraineeRow {
                            row,
                            class_code,
                            name,
                            id,
                            score,
                        });
                    }
                }
                _ => {
                    let class_code = r.req("班级编号");
                    let seq = r.count("课次");
                    let id = r.id("身份证号");
                    let sign_in = r.datetime("签到时间", false);
                    let sign_out = r.datetime("签退时间", false);
                    if let (Some(Some(a)), Some(Some(b))) = (sign_in, sign_out) {
                        if b < a {
                            r.bad("签退时间", "早于签到时间");
                        }
                    }
                    if let (Some(class_code), Some(seq), Some(id), Some(sign_in), Some(sign_out)) =
                        (class_code, seq, id, sign_in, sign_out)
                    {
                        out.attendance.push(AttendanceRow {
                            row,
                            class_code,
                            seq,
                            id,
                            sign_in,
                            sign_out,
                        });
                    }
                }
            }
        }
    }
    if !any {
        let names: Vec<&str> = SHEETS.iter().map(|s| s.0).collect();
        problems.push(Problem::at(
            "",
            0,
            "",
            format!("工作簿中没有可识别的工作表，应有：{}", names.join("、")),
        ));
    }
    cross_check(&out, &mut problems);
    if problems.is_empty() {
        Ok(out)
    } else {
        problems.sort_by_key(|p| {
            (
                SHEETS.iter().position(|s| s.0 == p.sheet).unwrap_or(0),
                p.row,
            )
        });
        Err(problems)
    }
}

/// References inside the workbook: unique class codes, sessions, trainees; every row of
/// 课次, 学员 and 签到 names a class of 培训班; every 签到 row a session and a trainee.
fn cross_check(f: &ClassFile, problems: &mut Vec<Problem>) {
    let mut codes = HashSet::new();
    for c in &f.classes {
        if !codes.insert(c.code.as_str()) {
            problems.push(Problem::at(
                "培训班",
                c.row,
                "班级编号",
                format!("“{}”重复", c.code),
            ));
        }
        if let Some(v) = &c.venue {
            if !f.venues.is_empty() && !f.venues.iter().any(|x| &x.name == v) {
                problems.push(Problem::at(
                    "培训班",
                    c.row,
                    "场地",
                    format!("场地表中没有“{v}”"),
                ));
            }
        }
    }
    let no_class = |code: &str| format!("培训班表中没有“{code}”");
    let mut seqs = HashSet::new();
    for s in &f.sessions {
        if !codes.contains(s.class_code.as_str()) {
            problems.push(Problem::at(
                "课次",
                s.row,
                "班级编号",
                no_class(&s.class_code),
            ));
        }
        if !seqs.insert((s.class_code.as_str(), s.seq)) {
            problems.push(Problem::at(
                "课次",
                s.row,
                "课次",
                format!("第{}课次重复", s.seq),
            ));
        }
    }
    let mut people = HashSet::new();
    for t in &f.trainees {
        if !codes.contains(t.class_code.as_str()) {
            problems.push(Problem::at(
                "学员",
                t.row,
                "班级编号",
                no_class(&t.class_code),
            ));
        }
        if !people.insert((t.class_code.as_str(), t.id.as_str())) {
            problems.push(Problem::at("学员", t.row, "身份证号", "同一班级中重复"));
        }
    }
    let mut seen = HashSet::new();
    for a in &f.attendance {
        if !codes.contains(a.class_code.as_str()) {
            problems.push(Problem::at(
                "签到",
                a.row,
                "班级编号",
                no_class(&a.class_code),
            ));
            continue;
        }
        if !seqs.contains(&(a.class_code.as_str(), a.seq)) {
            problems.push(Problem::at(
                "签到",
                a.row,
                "课次",
                format!("课次表中没有该班第{}课次", a.seq),
            ));
        }
        if !people.contains(&(a.class_code.as_str(), a.id.as_str())) {
            problems.push(Problem::at("签到", a.row, "身份证号", "不在该班学员表中"));
        }
        if !seen.insert((a.class_code.as_str(), a.seq, a.id.as_str())) {
            problems.push(Problem::at("签到", a.row, "身份证号", "同一课次重复签到"));
        }
    }
}

/// One sheet to write: its name, its column headers, its rows of text cells.
pub type SheetData<'a> = (&'a str, Vec<&'a str>, Vec<Vec<String>>);

/// Writes sheets of text cells (an export of an institution's records), headers bold-free
/// and plain; text that a spreadsheet would take for a formula is neutralised.
pub fn write_sheets(sheets: &[SheetData<'_>]) -> Result<Vec<u8>, ImportError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, headers, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name)?;
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(0, c as u16, *h)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, neutralise(v).as_ref())?;
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    fn book(sheets: &[SheetData<'_>]) -> Vec<u8> {
        write_sheets(sheets).unwrap()
    }

    fn class_sheet(rows: Vec<Vec<String>>) -> SheetData<'static> {
        ("培训班", SHEETS[3].1.to_vec(), rows)
    }

    #[test]
    fn reads_a_class_with_messy_cells() {
        let bytes = book(&[
            class_sheet(vec![r(&[
                " A-1\u{3000}",
                "再培训",
                "１６",
                "2026.3.2",
                "2026年3月5日",
                "",
                "30",
            ])]),
            (
                "课次",
                SHEETS[4].1.to_vec(),
                vec![r(&[
                    "A-1",
                    "1",
                    "2026/3/2 9:00",
                    "2026-03-02 12:00",
                    "",
                    "线下",
                    "",
                    "",
                    "",
                ])],
            ),
        ]);
        let f = read_class_file(&bytes).unwrap();
        assert_eq!(f.classes[0].code, "A-1");
        assert_eq!(f.classes[0].syllabus_hours, 16.0);
        assert_eq!(f.classes[0].start_on.to_string(), "2026-03-02");
        assert_eq!(f.sessions[0].start_at.to_string(), "2026-03-02 09:00:00");
        assert_eq!(f.sessions[0].row, 2);
    }

    #[test]
    fn names_sheet_row_and_column_of_every_bad_cell() {
        let bytes = book(&[
            class_sheet(vec![
                r(&["A-1", "再培训", "16", "2026-02-30", "2026-03-05", "", "30"]),
                r(&["A-1", "再培训", "x", "2026-03-01", "2026-03-05", "", "30"]),
            ]),
            ("学员", vec!["班级编号", "姓名"], vec![r(&["A-1", "张三"])]),
            (
                "签到",
                SHEETS[6].1.to_vec(),
                vec![r(&["B-9", "1", "11010519491231002X", "", ""])],
            ),
        ]);
        let errs: Vec<String> = read_class_file(&bytes)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            errs.contains(
                &"培训班 第2行 开班日期：日期2026-02-30不存在，应为日历上有的日期，如2022-03-31"
                    .to_string()
            ),
            "{errs:?}"
        );
        assert!(
            errs.contains(&"培训班 第3行 大纲学时：“x”不是数字，应为数字".to_string()),
            "{errs:?}"
        );
        assert!(
            errs.contains(&"学员 第1行：缺少列：身份证号".to_string()),
            "{errs:?}"
        );
        assert!(
            errs.contains(&"签到 第2行 班级编号：培训班表中没有“B-9”".to_string()),
            "{errs:?}"
        );
    }

    #[test]
    fn reads_a_teachers_phone_and_names_the_row_of_a_bad_one() {
        let teachers = |phone: &str| {
            book(&[(
                "师资",
                SHEETS[0].1.to_vec(),
                vec![
                    r(&["甲", "11010519491231002X", "专职", "", " 138 0013 8000"]),
                    r(&["乙", "110105197001010011", "兼职", "", phone]),
                ],
            )])
        };
        let f = read_class_file(&teachers("")).unwrap();
        assert_eq!(f.teacher_phone(&f.teachers[0]), Some("13800138000"));
        assert_eq!(f.teacher_phone(&f.teachers[1]), None);
        let f = read_class_file(&teachers("010-12345678")).unwrap();
        assert_eq!(f.teacher_phone(&f.teachers[1]), Some("010-12345678"));
        let errs = read_class_file(&teachers("2345")).unwrap_err();
        assert_eq!(
            errs.iter().map(ToString::to_string).collect::<Vec<_>>(),
            vec!["师资 第3行 联系电话：应为11位手机号或带区号的固定电话".to_string()]
        );
        // A workbook made before the column was added still reads.
        let old = book(&[(
            "师资",
            vec!["姓名", "身份证号", "专兼职", "资质"],
            vec![r(&["甲", "11010519491231002X", "专职", "高级技师"])],
        )]);
        let f = read_class_file(&old).unwrap();
        assert!(f.teacher_phones.is_empty());
    }

    #[test]
    fn text_the_export_neutralised_reads_back_as_it_was() {
        let bytes = book(&[(
            "设备",
            SHEETS[2].1.to_vec(),
            vec![r(&["=HYPERLINK(\"x\")", "2"])],
        )]);
        let f = read_class_file(&bytes).unwrap();
        assert_eq!(f.equipment[0].name, "=HYPERLINK(\"x\")");
    }

    #[test]
    fn a_workbook_without_known_sheets_is_refused() {
        let bytes = book(&[("Sheet1", vec!["a"], vec![r(&["1"])])]);
        let errs = read_class_file(&bytes).unwrap_err();
        assert!(errs[0]
            .to_string()
            .starts_with("工作簿中没有可识别的工作表"));
        assert!(read_class_file(b"not a zip").is_err());
    }
}
