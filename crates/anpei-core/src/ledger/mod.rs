//! Plain ledger records (台账) as they come from an import or the demo generator, already
//! validated: every layer behind the parser can trust their identifiers and vocabularies.

pub mod rules;

use crate::ids::{IdNumber, Uscc};
use crate::kinds::{CertType, Post, SubjectKind, TrainingForm, TrainingType};
use chrono::{NaiveDate, NaiveDateTime};

/// A supervised subject (单位).
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectRecord {
    pub uscc: Uscc,
    pub name: String,
    pub kind: SubjectKind,
    /// 行业; institutions (training, exam) may have none.
    pub industry: Option<String>,
    /// 行业主管部门; `None` means the department that supervises the industry.
    pub department: Option<String>,
    /// 所属镇街 (a known town or street).
    pub town: String,
    /// 所属区县 (name or GB/T 2260 code), optional: needed only where the town's name is
    /// one that several districts of a city share.
    pub district: Option<String>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

/// A person on a subject's ledger of key personnel (人员).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRecord {
    pub employer: Uscc,
    pub name: String,
    pub id_number: IdNumber,
    pub phone: Option<String>,
    pub post: Post,
    /// 作业类别 of a 特种作业人员 (one of `SPECIAL_OP_CATEGORIES`).
    pub special_category: Option<String>,
    /// 任职日期 (S in the rules' definitions).
    pub appointed_on: NaiveDate,
}

/// A certificate (证书), as held by a person or as listed in the registry (登记库).
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateRecord {
    pub id_number: IdNumber,
    pub name: String,
    pub cert_type: CertType,
    /// 证书编号, normalised: a leading `T` before an ID number is dropped.
    pub cert_no: String,
    pub category: Option<String>,
    pub operation_item: Option<String>,
    pub first_issued: Option<NaiveDate>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub review_due: Option<NaiveDate>,
    pub reviewed_on: Option<NaiveDate>,
    pub issuer: Option<String>,
}

/// A training record (培训).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingRecord {
    pub employer: Uscc,
    pub id_number: IdNumber,
    pub name: String,
    pub training_type: TrainingType,
    pub form: TrainingForm,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub theory_hours: f64,
    pub practical_hours: f64,
    pub institution: Option<String>,
    pub score: Option<f64>,
    /// 考核结果, e.g. 合格 / 不合格.
    pub result: Option<String>,
}

impl TrainingRecord {
    /// 理论学时 + 实操学时.
    pub fn hours(&self) -> f64 {
        self.theory_hours + self.practical_hours
    }
}

/// One learning session (学习记录) of an online-training platform's log: who studied which
/// course, when, how much of its video the session covered, on which device.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    pub platform: String,
    /// The trainee's employer.
    pub employer: Uscc,
    pub id_number: IdNumber,
    pub name: String,
    pub course_no: String,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    /// 视频进度秒数: seconds of course video covered in the session.
    pub progress_secs: i64,
    /// 设备标识, as the platform records it.
    pub device: Option<String>,
    pub ip: Option<String>,
}

/// One face check (人脸核验) of a trainee on a platform.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceCheckRecord {
    pub platform: String,
    pub id_number: IdNumber,
    pub at: NaiveDateTime,
    /// 核验结果: 通过 (true) or 不通过.
    pub passed: bool,
    /// 比对相似度, 0–100.
    pub similarity: Option<f64>,
}

/// A course (课程) of a platform.
#[derive(Debug, Clone, PartialEq)]
pub struct CourseRecord {
    pub platform: String,
    pub course_no: String,
    pub title: String,
    pub video_secs: i64,
    /// 学时 the course counts for.
    pub hours: f64,
}

/// An online exam (在线考试) taken on a platform.
#[derive(Debug, Clone, PartialEq)]
pub struct OnlineExamRecord {
    pub platform: String,
    pub id_number: IdNumber,
    pub exam_no: String,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    /// 题量.
    pub questions: i64,
    pub score: f64,
}

/// The sheet (table) an imported row comes from; `sheet()` is its name in workbooks: the five
/// of the ledger ([`Table::LEDGER`]) and the four of an online-training platform's logs
/// ([`Table::ONLINE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Subjects,
    Persons,
    Certificates,
    Trainings,
    Registry,
    Sessions,
    FaceChecks,
    Courses,
    OnlineExams,
}

impl Table {
    pub const ALL: [Table; 9] = [
        Table::Subjects,
        Table::Persons,
        Table::Certificates,
        Table::Trainings,
        Table::Registry,
        Table::Sessions,
        Table::FaceChecks,
        Table::Courses,
        Table::OnlineExams,
    ];

    /// The tables of the ledger workbook (台账), in the order a workbook is read.
    pub const LEDGER: [Table; 5] = [
        Table::Subjects,
        Table::Persons,
        Table::Certificates,
        Table::Trainings,
        Table::Registry,
    ];

    /// The sheets of an online-training platform's logs, in the order a workbook is read.
    pub const ONLINE: [Table; 4] = [
        Table::Sessions,
        Table::FaceChecks,
        Table::Courses,
        Table::OnlineExams,
    ];

    /// A sheet of an online-training platform's logs.
    pub fn is_online(self) -> bool {
        Table::ONLINE.contains(&self)
    }

    /// 单位, 人员, 证书, 培训, 登记库.
    pub fn sheet(self) -> &'static str {
        match self {
            Table::Subjects => "单位",
            Table::Persons => "人员",
            Table::Certificates => "证书",
            Table::Trainings => "培训",
            Table::Registry => "登记库",
            Table::Sessions => "学习记录",
            Table::FaceChecks => "人脸核验",
            Table::Courses => "课程",
            Table::OnlineExams => "在线考试",
        }
    }

    pub fn from_sheet(name: &str) -> Option<Table> {
        let name = crate::ids::trim_cell(name);
        Table::ALL.into_iter().find(|t| t.sheet() == name)
    }
}

/// One problem of a rejected row: its column (the name of the import format's column, empty
/// for the row as a whole) and, in Chinese, what is wrong and what is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub column: String,
    pub reason: String,
}

impl Fault {
    pub fn new(column: impl Into<String>, reason: impl Into<String>) -> Fault {
        Fault {
            column: column.into(),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{}：{}", self.column, self.reason)
        }
    }
}

/// A rejected row: where (sheet, spreadsheet row number counting the header as 1) and every
/// problem found in it, so that one pass fixes them all, with the row's original cells (in
/// the file's column order) for the error report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub sheet: String,
    pub row: usize,
    /// Never empty; in the order of the import format's columns.
    pub faults: Vec<Fault>,
    pub cells: Vec<String>,
}

/// How the problems of one row are joined in a message.
pub const FAULT_SEPARATOR: &str = "；";

impl RowError {
    /// A row with one problem.
    pub fn new(
        sheet: impl Into<String>,
        row: usize,
        column: impl Into<String>,
        reason: impl Into<String>,
        cells: Vec<String>,
    ) -> RowError {
        RowError {
            sheet: sheet.into(),
            row,
            faults: vec![Fault::new(column, reason)],
            cells,
        }
    }

    /// Every problem as `列名：问题`, joined with `；`.
    pub fn message(&self) -> String {
        let parts: Vec<String> = self.faults.iter().map(Fault::to_string).collect();
        parts.join(FAULT_SEPARATOR)
    }

    /// The columns at fault, each once, joined with `、`.
    pub fn columns(&self) -> String {
        let mut seen: Vec<&str> = Vec::new();
        for f in &self.faults {
            if !f.column.is_empty() && !seen.contains(&f.column.as_str()) {
                seen.push(&f.column);
            }
        }
        seen.join("、")
    }

    /// The first problem (a row error always has one).
    pub fn first(&self) -> Option<&Fault> {
        self.faults.first()
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} 第{}行", self.sheet, self.row)?;
        let by_column = self.first().is_some_and(|x| !x.column.is_empty());
        write!(
            f,
            "{}{}",
            if by_column { " " } else { "：" },
            self.message()
        )
    }
}

/// A sheet of an imported file as its user laid it out: its name, the table it was read as,
/// and its header row's cells as they were, for an error report in the user's own layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetHeader {
    pub name: String,
    pub table: Table,
    pub cells: Vec<String>,
}

/// Normalises a certificate number: `T` + ID number and the ID number are one number.
pub fn normalize_cert_no(raw: &str) -> String {
    let s = crate::ids::trim_cell(raw).to_ascii_uppercase();
    // The number after the T goes through the same normalisation as an ID number
    // ("T 11010519491231002x" and "11010519491231002X" are one certificate).
    match s.strip_prefix('T').map(IdNumber::parse) {
        Some(Ok(id)) => id.as_str().to_string(),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_t_before_an_id_number_is_the_same_certificate_number() {
        assert_eq!(
            normalize_cert_no("T11010519491231002x"),
            "11010519491231002X"
        );
        assert_eq!(
            normalize_cert_no("11010519491231002X"),
            "11010519491231002X"
        );
        assert_eq!(normalize_cert_no("TX2021001"), "TX2021001");
    }

    #[test]
    fn a_row_error_lists_every_problem_with_its_column() {
        let mut e = RowError::new(
            "人员",
            12,
            "身份证号",
            "校验位错误（按GB 11643计算应为X）",
            vec![],
        );
        assert_eq!(
            e.to_string(),
            "人员 第12行 身份证号：校验位错误（按GB 11643计算应为X）"
        );
        e.faults.push(Fault::new("岗位类别", "不能为空"));
        e.faults.push(Fault::new(
            "身份证号",
            "前6位地区码999999不是有效的行政区划代码",
        ));
        assert_eq!(
            e.message(),
            "身份证号：校验位错误（按GB 11643计算应为X）；岗位类别：不能为空；身份证号：前6位地区码999999不是有效的行政区划代码"
        );
        assert_eq!(e.columns(), "身份证号、岗位类别");
        let whole = RowError::new("登记库", 3, "", "只有区级用户可以导入证书登记库", vec![]);
        assert_eq!(
            whole.to_string(),
            "登记库 第3行：只有区级用户可以导入证书登记库"
        );
    }
}
