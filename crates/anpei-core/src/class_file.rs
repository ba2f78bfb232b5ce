//! The rows of a training institution's class file (一期一档), as the xlsx reader
//! (`anpei_import::training`) produces them and the store (`anpei_store::records::training`)
//! stores them, and the row-level problem both report.

use crate::ids::IdNumber;
use chrono::{NaiveDate, NaiveDateTime};
use std::collections::HashMap;

/// The sheets of the class-file workbook and their columns (the first row of each sheet
/// names its columns), in the order the export writes them.
pub const SHEETS: &[(&str, &[&str])] = &[
    ("师资", &["姓名", "身份证号", "专兼职", "资质", "联系电话"]),
    ("场地", &["场地名称", "容纳人数"]),
    ("设备", &["设备名称", "数量"]),
    (
        "培训班",
        &[
            "班级编号",
            "培训类型",
            "大纲学时",
            "开班日期",
            "结业日期",
            "场地",
            "计划人数",
        ],
    ),
    (
        "课次",
        &[
            "班级编号",
            "课次",
            "开始时间",
            "结束时间",
            "授课教师",
            "形式",
            "录像文件名",
            "录像SHA256",
            "录像时长（分钟）",
        ],
    ),
    ("学员", &["班级编号", "姓名", "身份证号", "考核成绩"]),
    (
        "签到",
        &["班级编号", "课次", "身份证号", "签到时间", "签退时间"],
    ),
];

/// Columns that may be left empty, or left out of the sheet (a workbook made before
/// 联系电话 was added still reads).
pub const OPTIONAL: &[(&str, &str)] = &[
    ("师资", "资质"),
    ("师资", "联系电话"),
    ("培训班", "场地"),
    ("课次", "授课教师"),
    ("课次", "录像文件名"),
    ("课次", "录像SHA256"),
    ("课次", "录像时长（分钟）"),
    ("学员", "考核成绩"),
    ("签到", "签到时间"),
    ("签到", "签退时间"),
];

/// One bad cell (or a whole-file problem when `row` is 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub sheet: String,
    pub row: usize,
    pub column: String,
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row == 0 {
            return write!(f, "{}", self.reason);
        }
        write!(f, "{} 第{}行", self.sheet, self.row)?;
        if !self.column.is_empty() {
            write!(f, " {}", self.column)?;
        }
        write!(f, "：{}", self.reason)
    }
}

impl Problem {
    pub fn at(sheet: &str, row: usize, column: &str, reason: impl Into<String>) -> Problem {
        Problem {
            sheet: sheet.into(),
            row,
            column: column.into(),
            reason: reason.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct TeacherRow {
    pub row: usize,
    pub name: String,
    pub id: IdNumber,
    pub full_time: bool,
    pub qualification: String,
}

#[derive(Debug, Clone)]
pub struct VenueRow {
    pub row: usize,
    pub name: String,
    pub capacity: i32,
}

#[derive(Debug, Clone)]
pub struct EquipmentRow {
    pub row: usize,
    pub name: String,
    pub quantity: i32,
}

#[derive(Debug, Clone)]
pub struct ClassRow {
    pub row: usize,
    pub code: String,
    pub course_type: String,
    pub syllabus_hours: f64,
    pub start_on: NaiveDate,
    pub end_on: NaiveDate,
    pub venue: Option<String>,
    pub capacity: i32,
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub row: usize,
    pub class_code: String,
    pub seq: i32,
    pub start_at: NaiveDateTime,
    pub end_at: NaiveDateTime,
    pub teacher: Option<String>,
    pub online: bool,
    pub video_file: Option<String>,
    pub video_sha256: Option<String>,
    pub video_seconds: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct TraineeRow {
    pub row: usize,
    pub class_code: String,
    pub name: String,
    pub id: IdNumber,
    pub score: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct AttendanceRow {
    pub row: usize,
    pub class_code: String,
    pub seq: i32,
    pub id: IdNumber,
    pub sign_in: Option<NaiveDateTime>,
    pub sign_out: Option<NaiveDateTime>,
}

/// A whole class file, every row valid.
#[derive(Debug, Clone, Default)]
pub struct ClassFile {
    pub teachers: Vec<TeacherRow>,
    pub venues: Vec<VenueRow>,
    pub equipment: Vec<EquipmentRow>,
    pub classes: Vec<ClassRow>,
    pub sessions: Vec<SessionRow>,
    pub trainees: Vec<TraineeRow>,
    pub attendance: Vec<AttendanceRow>,
    /// The optional 联系电话 of 师资 rows, by row number, as `ids::parse_phone` returns it.
    /// Kept beside [`TeacherRow`] rather than in it so that rows built in code (the demo)
    /// need not name it; a teacher without an entry keeps the phone already recorded.
    pub teacher_phones: HashMap<usize, String>,
}

impl ClassFile {
    /// The 联系电话 given for a 师资 row, if any.
    pub fn teacher_phone(&self, t: &TeacherRow) -> Option<&str> {
        self.teacher_phones.get(&t.row).map(String::as_str)
    }
}
