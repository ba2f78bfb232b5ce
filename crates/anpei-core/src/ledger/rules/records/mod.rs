//! The fifteen checks on training institutions' and exam sites' records:
//! classes kept as 一期一档, exam sessions, recordings, staff credentials, equipment, and
//! the signals of collusion (shared staff, pass rates far above the district's).
//!
//! Like the ledger checks these are pure and deterministic: the caller hands over
//! [`Records`] with opaque numeric ids and opaque identity keys (a blind index of an ID
//! number or a phone number), and [`scan_records`] returns the findings as of a date D.
//! The semantics of each check are the definitions in the catalogue
//! ([`Rule::definition`]); the numbers they read are in [`Params`].
//!
//! The checks live by subject in `classes` (training classes and uniform scores), `exams`
//! (exam sessions, recordings, staff, equipment) and `collusion` (shared staff, pass
//! rates); this module holds the facts, [`scan_records`] and the indexes they all read.

mod classes;
mod collusion;
mod exams;

use super::{Finding, RecordId, RecordRef, Rule, Who};
use crate::params::Params;
use chrono::{NaiveDate, NaiveDateTime};
use std::collections::HashMap;

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
/// rule, then records (then topic); one finding per [`Finding::key`], whatever the order
/// of the input. Record ids are assumed unique within their kind.
pub fn scan_records(records: &Records, as_of: NaiveDate, params: &Params) -> Vec<Finding> {
    let cx = Cx::new(records, as_of, params);
    let mut out = Vec::new();
    cx.class_hours(&mut out);
    cx.class_capacity(&mut out);
    cx.teacher_double_booked(&mut out);
    cx.trainee_double_booked(&mut out);
    cx.uniform_scores(&mut out);
    cx.exam_sessions(&mut out);
    cx.video_retention(&mut out);
    cx.exam_staff(&mut out);
    cx.staff_conflict(&mut out);
    cx.equipment(&mut out);
    cx.pass_rates(&mut out);
    out.sort_by(|a, b| {
        (a.subject_id, a.rule, &a.records, &a.topic, &a.detail)
            .cmp(&(b.subject_id, b.rule, &b.records, &b.topic, &b.detail))
            .then_with(|| who_order(a).cmp(&who_order(b)))
    });
    out.dedup_by(|b, a| {
        (a.subject_id, a.rule, &a.records, &a.topic) == (b.subject_id, b.rule, &b.records, &b.topic)
    });
    out
}

fn who_order(f: &Finding) -> Option<(&str, &str)> {
    f.who
        .as_ref()
        .map(|w| (w.name.as_str(), w.id_masked.as_str()))
}

fn who(name: &str, id_masked: &str) -> Option<Who> {
    Some(Who {
        name: name.to_string(),
        id_masked: id_masked.to_string(),
    })
}

fn finding(
    rule: Rule,
    subject_id: RecordId,
    who: Option<Who>,
    mut records: Vec<RecordRef>,
    detail: String,
) -> Finding {
    records.sort_unstable();
    records.dedup();
    Finding {
        rule,
        subject_id,
        person_id: None,
        who,
        topic: None,
        records,
        detail,
    }
}

fn minutes(from: NaiveDateTime, to: NaiveDateTime) -> f64 {
    (to - from).num_milliseconds() as f64 / 60_000.0
}

fn hm(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// Groups `items` by `key`, each group sorted by `order` (so that sums and picks do not
/// depend on the order of the input).
fn group_by<'a, T, K: std::hash::Hash + Eq, O: Ord>(
    items: impl IntoIterator<Item = &'a T>,
    key: impl Fn(&'a T) -> Option<K>,
    order: impl Fn(&T) -> O,
) -> HashMap<K, Vec<&'a T>>
where
    T: 'a,
{
    let mut map: HashMap<K, Vec<&T>> = HashMap::new();
    for x in items {
        if let Some(k) = key(x) {
            map.entry(k).or_default().push(x);
        }
    }
    for v in map.values_mut() {
        v.sort_by_key(|x| order(x));
    }
    map
}

/// The indexes every check reads. Rows pointing at ids that are not there are left out.
struct Cx<'a> {
    r: &'a Records,
    p: &'a Params,
    d: NaiveDate,
    subjects: HashMap<RecordId, &'a SubjectFacts>,
    classes: HashMap<RecordId, &'a ClassFacts>,
    /// Class sessions of known classes.
    sessions: HashMap<RecordId, &'a ClassSessionFacts>,
    /// By class, sorted by (start, id).
    sessions_of: HashMap<RecordId, Vec<&'a ClassSessionFacts>>,
    teachers: HashMap<RecordId, &'a TeacherFacts>,
    trainees: HashMap<RecordId, &'a TraineeFacts>,
    /// Trainees of known classes by class, sorted by id.
    roster: HashMap<RecordId, Vec<&'a TraineeFacts>>,
    /// Attendance rows of known sessions and trainees with a sign-in, sorted and deduplicated
    /// (session id, trainee id).
    signed_in: Vec<(RecordId, RecordId)>,
    /// Minutes of (session, trainee) covered by a sign-in to sign-out (the longest row).
    attended: HashMap<(RecordId, RecordId), f64>,
    exam_sessions: HashMap<RecordId, &'a ExamSessionFacts>,
}

impl<'a> Cx<'a> {
    fn new(r: &'a Records, d: NaiveDate, p: &'a Params) -> Cx<'a> {
        let classes: HashMap<_, _> = r.classes.iter().map(|c| (c.id, c)).collect();
        let known = |s: &&ClassSessionFacts| classes.contains_key(&s.class_id);
        let sessions: HashMap<_, _> = r
            .class_sessions
            .iter()
            .filter(known)
            .map(|s| (s.id, s))
            .collect();
        let sessions_of = group_by(
            r.class_sessions.iter().filter(known),
            |s| Some(s.class_id),
            |s| (s.start, s.id),
        );
        let roster = group_by(
            &r.trainees,
            |t| classes.contains_key(&t.class_id).then_some(t.class_id),
            |t| t.id,
        );
        let trainees: HashMap<_, _> = r.trainees.iter().map(|t| (t.id, t)).collect();
        let mut signed_in = Vec::new();
        let mut attended: HashMap<(RecordId, RecordId), f64> = HashMap::new();
        for a in &r.attendance {
            let Some(s) = sessions.get(&a.session_id) else {
                continue;
            };
            if !trainees.contains_key(&a.trainee_id) {
                continue;
            }
            let Some(sign_in) = a.sign_in else {
                continue;
            };
            signed_in.push((a.session_id, a.trainee_id));
            if let Some(sign_out) = a.sign_out {
                let overlap = minutes(sign_in.max(s.start), sign_out.min(s.end)).max(0.0);
                let slot = attended.entry((a.session_id, a.trainee_id)).or_default();
                *slot = slot.max(overlap);
            }
        }
        signed_in.sort_unstable();
        signed_in.dedup();
        Cx {
            r,
            p,
            d,
            subjects: r.subjects.iter().map(|s| (s.id, s)).collect(),
            sessions,
            sessions_of,
            teachers: r.teachers.iter().map(|t| (t.id, t)).collect(),
            trainees,
            roster,
            signed_in,
            attended,
            exam_sessions: r.exam_sessions.iter().map(|s| (s.id, s)).collect(),
            classes,
        }
    }

    /// Minutes in one class hour (学时) of a session.
    fn hour_minutes(&self, online: bool) -> f64 {
        self.p.minutes_per_class_hour(online)
    }

    fn class_sessions(&self, class_id: RecordId) -> &[&'a ClassSessionFacts] {
        self.sessions_of.get(&class_id).map_or(&[], Vec::as_slice)
    }

    fn roster(&self, class_id: RecordId) -> &[&'a TraineeFacts] {
        self.roster.get(&class_id).map_or(&[], Vec::as_slice)
    }

    fn subject_name(&self, id: RecordId) -> String {
        match self.subjects.get(&id) {
            Some(s) => format!("「{}」", s.name),
            None => format!("单位（编号 {id}）"),
        }
    }

    /// Held on or before D.
    fn held(&self, s: &ExamSessionFacts) -> bool {
        s.started_at.date() <= self.d
    }
}
