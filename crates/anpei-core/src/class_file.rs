//! The rows of a training institution's class file (issue 6, 一期一档), as the xlsx reader
//! (`anpei_import::training`) produces them and the store (`anpei_store::training_records`)
//! stores them, and the row-level problem both report.

use crate::ids::IdNumber;
use chrono::{NaiveDate, NaiveDateTime};

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
}
