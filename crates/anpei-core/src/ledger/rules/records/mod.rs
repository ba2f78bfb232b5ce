//! The fifteen checks on training institutions' and exam sites' records (issue 6):
//! classes kept as 一期一档, exam sessions, recordings, staff credentials, equipment, and
//! the signals of collusion (shared staff, pass rates far above the district's).
//!
//! Like the ledger checks these are pure and deterministic: the caller hands over
//! [`Records`] with opaque numeric ids and opaque identity keys (a blind index of an ID
//! number or a phone number), and [`scan_records`] returns the findings as of a date D.
//! The semantics of each check are the definitions in the catalogue
//! ([`Rule::definition`]); the numbers they read are in [`Params`].

use super::catalogue::{fmt_amount, fmt_hours};
use super::{Finding, RecordId, RecordRef, Rule, Who, HOURS_EPSILON, YEAR};
use crate::params::Params;
use chrono::{NaiveDate, NaiveDateTime};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

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

/// The full mark of a score (满分).
const FULL_MARKS: f64 = 100.0;

/// Pass rates are ratios of counts; a gap within this of the minimum counts as equal to it.
const RATE_EPSILON: f64 = 1e-9;

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

/// A length of time for people: 1 小时 59 分 59 秒, 45 分 0 秒, 30 秒.
fn duration(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{sign}{h} 小时 {m} 分 {s} 秒")
    } else if m > 0 {
        format!("{sign}{m} 分 {s} 秒")
    } else {
        format!("{sign}{s} 秒")
    }
}

/// Names for a detail: 张三、李四 等 12 人 (at most `SHOWN` names).
fn names<'a>(all: impl IntoIterator<Item = &'a str>) -> String {
    const SHOWN: usize = 5;
    let all: Vec<&str> = all.into_iter().collect();
    let mut s = all[..all.len().min(SHOWN)].join("、");
    if all.len() > SHOWN {
        let _ = write!(s, " 等 {} 人", all.len());
    }
    s
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
        let (offline, on) = self.p.class_hour_minutes;
        f64::from(if online { on } else { offline })
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

    // ----- training classes -------------------------------------------------------------

    /// CLASS_HOURS_SHORT
    fn class_hours(&self, out: &mut Vec<Finding>) {
        for c in self.r.classes.iter().filter(|c| c.start_on <= self.d) {
            let sessions = self.class_sessions(c.id);
            let scheduled: f64 = sessions
                .iter()
                .map(|s| minutes(s.start, s.end).max(0.0) / self.hour_minutes(s.online))
                .sum();
            if scheduled < c.syllabus_hours - HOURS_EPSILON {
                let detail = format!(
                    "培训班 {}（{}）开班日期 {}，{} 个课次计划学时合计 {} 学时，低于大纲学时 {} 学时",
                    c.code,
                    c.course_type,
                    c.start_on,
                    sessions.len(),
                    fmt_amount(scheduled),
                    fmt_hours(c.syllabus_hours),
                );
                out.push(finding(
                    Rule::ClassHoursShort,
                    c.subject_id,
                    None,
                    vec![RecordRef::Class(c.id)],
                    detail,
                ));
            }
            if c.end_on > self.d {
                continue;
            }
            for t in self.roster(c.id) {
                let (mut hours, mut present) = (0.0, 0);
                for s in sessions {
                    if let Some(m) = self.attended.get(&(s.id, t.id)) {
                        hours += m / self.hour_minutes(s.online);
                        present += 1;
                    }
                }
                if hours < c.syllabus_hours - HOURS_EPSILON {
                    let detail = format!(
                        "学员 {} 在培训班 {}（结业日期 {}）{} 个课次中签到签退 {} 个，实到学时合计 {} 学时，低于大纲学时 {} 学时",
                        t.name,
                        c.code,
                        c.end_on,
                        sessions.len(),
                        present,
                        fmt_amount(hours),
                        fmt_hours(c.syllabus_hours),
                    );
                    out.push(finding(
                        Rule::ClassHoursShort,
                        c.subject_id,
                        who(&t.name, &t.id_masked),
                        vec![RecordRef::Class(c.id), RecordRef::Trainee(t.id)],
                        detail,
                    ));
                }
            }
        }
    }

    /// CLASS_OVER_CAPACITY
    fn class_capacity(&self, out: &mut Vec<Finding>) {
        let mut signed: HashMap<RecordId, i64> = HashMap::new();
        for &(session, _) in &self.signed_in {
            *signed.entry(session).or_default() += 1;
        }
        for c in &self.r.classes {
            let mut reasons = Vec::new();
            let n = self.roster(c.id).len() as i64;
            if n > c.capacity {
                reasons.push(format!("花名册 {n} 人，超过核定人数 {} 人", c.capacity));
            }
            if let Some(v) = c.venue_capacity {
                if n > v {
                    reasons.push(format!("花名册 {n} 人，超过场地容量 {v} 人"));
                }
                for s in self.class_sessions(c.id).iter().filter(|s| !s.online) {
                    let k = signed.get(&s.id).copied().unwrap_or(0);
                    if k > v {
                        reasons.push(format!(
                            "第 {} 课次（{}）签到 {k} 人，超过场地容量 {v} 人",
                            s.seq,
                            hm(s.start)
                        ));
                    }
                }
            }
            if !reasons.is_empty() {
                let detail = format!("培训班 {}：{}", c.code, reasons.join("；"));
                out.push(finding(
                    Rule::ClassOverCapacity,
                    c.subject_id,
                    None,
                    vec![RecordRef::Class(c.id)],
                    detail,
                ));
            }
        }
    }

    /// 「某机构」培训班 B-01 第 2 课次（2024-03-01 09:00 至 2024-03-01 11:15）.
    fn session_text(&self, s: &ClassSessionFacts) -> String {
        let code = self
            .classes
            .get(&s.class_id)
            .map_or("", |c| c.code.as_str());
        format!(
            "{}培训班 {code} 第 {} 课次（{} 至 {}）",
            self.subject_name(s.subject_id),
            s.seq,
            hm(s.start),
            hm(s.end)
        )
    }

    /// TEACHER_DOUBLE_BOOKED
    fn teacher_double_booked(&self, out: &mut Vec<Finding>) {
        let mut by_key: HashMap<&str, Vec<Slot>> = HashMap::new();
        for s in self.sessions.values() {
            if let Some(t) = s.teacher_id.and_then(|t| self.teachers.get(&t)) {
                by_key.entry(&t.id_key).or_default().push(Slot {
                    start: s.start,
                    end: s.end,
                    session: s.id,
                    person: t.id,
                });
            }
        }
        for slots in by_key.values_mut() {
            for (a, b) in overlapping_pairs(slots) {
                let (sa, sb) = (self.sessions[&a.session], self.sessions[&b.session]);
                let records = vec![
                    RecordRef::ClassSession(sa.id),
                    RecordRef::ClassSession(sb.id),
                ];
                let detail = |t: &TeacherFacts| {
                    format!(
                        "教师 {} 的两个课次时间重叠：{}；{}",
                        t.name,
                        self.session_text(sa),
                        self.session_text(sb)
                    )
                };
                for (s, slot) in [(sa, a), (sb, b)] {
                    if s.id == sb.id && sb.subject_id == sa.subject_id {
                        continue;
                    }
                    let t = self.teachers[&slot.person];
                    out.push(finding(
                        Rule::TeacherDoubleBooked,
                        s.subject_id,
                        who(&t.name, &t.id_masked),
                        records.clone(),
                        detail(t),
                    ));
                }
            }
        }
    }

    /// TRAINEE_DOUBLE_BOOKED: one finding per pair of sessions and subject, naming every
    /// trainee of the subject signed in at both.
    fn trainee_double_booked(&self, out: &mut Vec<Finding>) {
        let mut by_key: HashMap<&str, Vec<Slot>> = HashMap::new();
        for &(session, trainee) in &self.signed_in {
            let (s, t) = (self.sessions[&session], self.trainees[&trainee]);
            by_key.entry(&t.id_key).or_default().push(Slot {
                start: s.start,
                end: s.end,
                session,
                person: trainee,
            });
        }
        type Pair = (RecordId, RecordId, RecordId);
        let mut found: BTreeMap<Pair, BTreeSet<RecordId>> = BTreeMap::new();
        for slots in by_key.values_mut() {
            // One slot per session and person: the trainee row with the smallest id.
            slots.sort_unstable_by_key(|s| (s.session, s.person));
            slots.dedup_by_key(|s| s.session);
            for (a, b) in overlapping_pairs(slots) {
                for slot in [a, b] {
                    let subject = self.sessions[&slot.session].subject_id;
                    found
                        .entry((subject, a.session, b.session))
                        .or_default()
                        .insert(slot.person);
                }
            }
        }
        for ((subject, a, b), trainees) in found {
            let trainees: Vec<&TraineeFacts> = trainees.iter().map(|t| self.trainees[t]).collect();
            let detail = format!(
                "学员 {} 在两个时间重叠的课次都有签到：{}；{}",
                names(trainees.iter().map(|t| t.name.as_str())),
                self.session_text(self.sessions[&a]),
                self.session_text(self.sessions[&b]),
            );
            out.push(finding(
                Rule::TraineeDoubleBooked,
                subject,
                who(&trainees[0].name, &trainees[0].id_masked),
                vec![RecordRef::ClassSession(a), RecordRef::ClassSession(b)],
                detail,
            ));
        }
    }

    /// UNIFORM_SCORES
    fn uniform_scores(&self, out: &mut Vec<Finding>) {
        for c in &self.r.classes {
            let scores: Vec<f64> = self.roster(c.id).iter().filter_map(|t| t.score).collect();
            if let Some(how) = self.uniform(&scores) {
                let detail = format!("培训班 {} 的 {} 个学员考核成绩{how}", c.code, scores.len());
                out.push(finding(
                    Rule::UniformScores,
                    c.subject_id,
                    None,
                    vec![RecordRef::Class(c.id)],
                    detail,
                ));
            }
        }
        let by_session = group_by(
            &self.r.candidates,
            |c| {
                self.exam_sessions
                    .contains_key(&c.session_id)
                    .then_some(c.session_id)
            },
            |c| c.id,
        );
        for (id, candidates) in &by_session {
            let s = self.exam_sessions[id];
            let scores: Vec<f64> = candidates.iter().filter_map(|c| c.score).collect();
            if let Some(how) = self.uniform(&scores) {
                let detail = format!(
                    "考试场次（{}，{}，{}）的 {} 个考生成绩{how}",
                    s.category,
                    s.room,
                    hm(s.started_at),
                    scores.len()
                );
                out.push(finding(
                    Rule::UniformScores,
                    s.subject_id,
                    None,
                    vec![RecordRef::ExamSession(s.id)],
                    detail,
                ));
            }
        }
    }

    /// How the scores are uniform, if they are.
    fn uniform(&self, scores: &[f64]) -> Option<String> {
        let n = scores.len();
        if n == 0 || n < self.p.uniform_scores_min_count as usize {
            return None;
        }
        if scores.iter().all(|&x| x == FULL_MARKS) {
            return Some(format!("全部为满分（{} 分）", fmt_hours(FULL_MARKS)));
        }
        if scores.iter().all(|&x| x == scores[0]) {
            return Some(format!("全部为 {} 分", fmt_hours(scores[0])));
        }
        let mean = scores.iter().sum::<f64>() / n as f64;
        let sd = (scores.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        (sd < self.p.uniform_scores_max_sd).then(|| {
            format!(
                "总体标准差仅 {sd:.2} 分（平均 {mean:.1} 分），低于 {} 分",
                fmt_hours(self.p.uniform_scores_max_sd)
            )
        })
    }

    // ----- exam sessions ----------------------------------------------------------------

    /// 考试场次（低压电工作业，第一考场，2024-03-01 09:00 至 2024-03-01 11:00）.
    fn exam_text(s: &ExamSessionFacts) -> String {
        format!(
            "考试场次（{}，{}，{} 至 {}）",
            s.category,
            s.room,
            hm(s.started_at),
            hm(s.ended_at)
        )
    }

    /// EXAM_OUTSIDE_PLAN, EXAM_VIDEO_MISSING, EXAM_VIDEO_SHORT, HIGH_RISK_PAPER_EXAM
    fn exam_sessions(&self, out: &mut Vec<Finding>) {
        let plans: HashMap<_, _> = self.r.plans.iter().map(|p| (p.id, p)).collect();
        let videos = group_by(&self.r.videos, |v| Some(v.session_id), |v| v.id);
        for s in &self.r.exam_sessions {
            let me = RecordRef::ExamSession(s.id);
            let text = Self::exam_text(s);
            let held = self.held(s);

            // EXAM_OUTSIDE_PLAN
            if held {
                let (mut records, mut reasons) = (vec![me], Vec::new());
                match s.plan_id.map(|id| (id, plans.get(&id))) {
                    None => reasons.push("未关联考试计划".to_string()),
                    Some((id, None)) => reasons.push(format!("关联的考试计划（编号 {id}）不存在")),
                    Some((_, Some(plan))) => {
                        records.push(RecordRef::ExamPlan(plan.id));
                        if plan.site_id != s.site_id {
                            reasons.push(format!(
                                "考试点为{}，与计划的考试点{}不符",
                                self.subject_name(s.site_id),
                                self.subject_name(plan.site_id)
                            ));
                        }
                        if s.started_at < plan.starts_at {
                            reasons
                                .push(format!("开始时间早于计划开始时间 {}", hm(plan.starts_at)));
                        }
                        if s.ended_at > plan.ends_at {
                            reasons.push(format!("结束时间晚于计划结束时间 {}", hm(plan.ends_at)));
                        }
                    }
                }
                if !reasons.is_empty() {
                    let detail = format!("{text}{}", reasons.join("；"));
                    out.push(finding(
                        Rule::ExamOutsidePlan,
                        s.subject_id,
                        None,
                        records,
                        detail,
                    ));
                }
            }

            // EXAM_VIDEO_MISSING, EXAM_VIDEO_SHORT
            match videos.get(&s.id) {
                None if held => out.push(finding(
                    Rule::ExamVideoMissing,
                    s.subject_id,
                    None,
                    vec![me],
                    format!("{text}无任何录像记录"),
                )),
                None => {}
                Some(vs) => {
                    let total = vs
                        .iter()
                        .fold(0i64, |t, v| t.saturating_add(v.duration_secs));
                    let length = (s.ended_at - s.started_at).num_seconds();
                    let tolerance = i64::from(self.p.exam_video_tolerance_secs);
                    if total.saturating_add(tolerance) < length {
                        let detail = format!(
                            "{text}时长 {}，{} 段录像合计仅 {}，短缺 {}（允许误差 {tolerance} 秒）",
                            duration(length),
                            vs.len(),
                            duration(total),
                            duration(length.saturating_sub(total)),
                        );
                        out.push(finding(
                            Rule::ExamVideoShort,
                            s.subject_id,
                            None,
                            vec![me],
                            detail,
                        ));
                    }
                }
            }

            // HIGH_RISK_PAPER_EXAM
            if held && s.high_risk_manager && !s.national_system {
                let detail =
                    format!("{text}考生为高危行业主要负责人或安全生产管理人员，未使用国家考试系统");
                out.push(finding(
                    Rule::HighRiskPaperExam,
                    s.subject_id,
                    None,
                    vec![me],
                    detail,
                ));
            }
        }
    }

    /// EXAM_VIDEO_RETENTION
    fn video_retention(&self, out: &mut Vec<Finding>) {
        let years = self.p.exam_video_retention_years;
        for v in &self.r.videos {
            let (Some(deleted), Some(s)) = (v.deleted_on, self.exam_sessions.get(&v.session_id))
            else {
                continue;
            };
            let on = s.started_at.date();
            let Some(keep_until) = years
                .checked_mul(12)
                .and_then(|m| on.checked_add_months(chrono::Months::new(m)))
            else {
                continue;
            };
            if deleted < keep_until {
                let detail = format!(
                    "{}的录像 {} 于 {deleted} 删除，早于保存期满之日 {keep_until}（保存 {years} 年）",
                    Self::exam_text(s),
                    v.file_name,
                );
                out.push(finding(
                    Rule::ExamVideoRetention,
                    s.subject_id,
                    None,
                    vec![RecordRef::ExamSession(s.id), RecordRef::Video(v.id)],
                    detail,
                ));
            }
        }
    }

    /// PROCTOR_NO_CREDENTIAL, PROCTOR_ABSENT
    fn exam_staff(&self, out: &mut Vec<Finding>) {
        let credentials = group_by(
            &self.r.credentials,
            |c| Some((c.id_key.as_str(), c.role)),
            |c| (c.valid_until, c.id),
        );
        for m in &self.r.exam_staff {
            let Some(s) = self
                .exam_sessions
                .get(&m.session_id)
                .filter(|s| self.held(s))
            else {
                continue;
            };
            let records = vec![RecordRef::ExamSession(s.id), RecordRef::ExamStaff(m.id)];
            let person = format!("{} {}（{}）", m.role.label(), m.name, m.id_masked);
            let on = s.started_at.date();

            // PROCTOR_NO_CREDENTIAL
            let held = credentials.get(&(m.id_key.as_str(), m.role));
            let held = held.map_or(&[][..], Vec::as_slice);
            if !held
                .iter()
                .any(|c| c.valid_from <= on && on <= c.valid_until)
            {
                let mut detail = format!(
                    "{}的{person}在考试日期 {on} 无有效的{}",
                    Self::exam_text(s),
                    m.role.credential()
                );
                if let Some(c) = held.last() {
                    let _ = write!(
                        detail,
                        "（所持{}有效期 {} 至 {}）",
                        m.role.credential(),
                        c.valid_from,
                        c.valid_until
                    );
                }
                out.push(finding(
                    Rule::ProctorNoCredential,
                    s.subject_id,
                    who(&m.name, &m.id_masked),
                    records.clone(),
                    detail,
                ));
            }

            // PROCTOR_ABSENT
            let mut reasons = Vec::new();
            match m.present_from {
                None => reasons.push("未登记到场时间".to_string()),
                Some(t) if t > s.started_at => reasons.push(format!("{} 才到场", hm(t))),
                Some(_) => {}
            }
            match m.present_to {
                None => reasons.push("未登记离场时间".to_string()),
                Some(t) if t < s.ended_at => reasons.push(format!("{} 即离场", hm(t))),
                Some(_) => {}
            }
            if !reasons.is_empty() {
                let detail = format!(
                    "{}的{person}未全程在场：{}",
                    Self::exam_text(s),
                    reasons.join("，")
                );
                out.push(finding(
                    Rule::ProctorAbsent,
                    s.subject_id,
                    who(&m.name, &m.id_masked),
                    records,
                    detail,
                ));
            }
        }
    }

    /// FACILITY_INSPECTION_EXPIRED
    fn equipment(&self, out: &mut Vec<Finding>) {
        for e in self.r.equipment.iter().filter(|e| e.valid_until < self.d) {
            let detail = format!(
                "设施设备 {} 的检验合格证（编号 {}）有效期止 {}，截至 {} 已过期 {} 天",
                e.name,
                e.cert_number,
                e.valid_until,
                self.d,
                (self.d - e.valid_until).num_days()
            );
            out.push(finding(
                Rule::FacilityInspectionExpired,
                e.subject_id,
                None,
                vec![RecordRef::Equipment(e.id)],
                detail,
            ));
        }
    }
}

// ----- double bookings ------------------------------------------------------------------

/// A person's place in a session, for the overlap sweep.
#[derive(Debug, Clone, Copy)]
struct Slot {
    start: NaiveDateTime,
    end: NaiveDateTime,
    session: RecordId,
    person: RecordId,
}

/// Every pair of slots of different sessions whose times overlap (`a.start < b.end &&
/// b.start < a.end`; touching is no overlap), each pair once, the smaller session id first.
///
/// A sweep by start time: the slots still running when one starts are the only ones it
/// can overlap, so the cost is a sort plus the size of the answer (times the greatest
/// number running at once). Reversed slots (end < start; imports reject them) are compared
/// with all the others one by one.
fn overlapping_pairs(slots: &mut [Slot]) -> Vec<(Slot, Slot)> {
    slots.sort_unstable_by_key(|s| (s.start > s.end, s.start, s.end, s.session, s.person));
    let k = slots.partition_point(|s| s.start <= s.end);
    let mut pairs = Vec::new();
    let mut push = |a: Slot, b: Slot| {
        if a.session != b.session && a.start < b.end && b.start < a.end {
            pairs.push(if a.session < b.session {
                (a, b)
            } else {
                (b, a)
            });
        }
    };
    let mut running: Vec<Slot> = Vec::new();
    for &b in &slots[..k] {
        running.retain(|a| a.end > b.start);
        for &a in &running {
            push(a, b);
        }
        running.push(b);
    }
    for (i, &b) in slots.iter().enumerate().skip(k) {
        for &a in &slots[..i] {
            push(a, b);
        }
    }
    pairs
}

// ----- conflicts of interest ------------------------------------------------------------

/// A person on the exam side: a credential holder or a session's staff member.
#[derive(Debug, Clone, Copy)]
enum ExamSide<'a> {
    Credential(&'a CredentialFacts),
    Staff(&'a ExamStaffFacts),
}

impl<'a> ExamSide<'a> {
    fn subject_id(&self) -> RecordId {
        match self {
            ExamSide::Credential(c) => c.subject_id,
            ExamSide::Staff(s) => s.subject_id,
        }
    }

    fn id_key(&self) -> &'a str {
        match self {
            ExamSide::Credential(c) => &c.id_key,
            ExamSide::Staff(s) => &s.id_key,
        }
    }

    fn phone_key(&self) -> Option<&'a str> {
        match self {
            ExamSide::Credential(c) => c.phone_key.as_deref(),
            ExamSide::Staff(_) => None,
        }
    }

    fn record(&self) -> RecordRef {
        match self {
            ExamSide::Credential(c) => RecordRef::Credential(c.id),
            ExamSide::Staff(s) => RecordRef::ExamStaff(s.id),
        }
    }

    fn who(&self) -> (&'a str, &'a str) {
        match self {
            ExamSide::Credential(c) => (&c.name, &c.id_masked),
            ExamSide::Staff(s) => (&s.name, &s.id_masked),
        }
    }

    fn role(&self) -> String {
        match self {
            ExamSide::Credential(c) => format!("{}持有人", c.role.credential()),
            ExamSide::Staff(s) => s.role.label().to_string(),
        }
    }
}

/// A person on the training side: a teacher or a person on the institution's ledger.
#[derive(Debug, Clone, Copy)]
enum TrainingSide<'a> {
    Teacher(&'a TeacherFacts),
    Staff(&'a StaffPersonFacts),
}

impl<'a> TrainingSide<'a> {
    fn subject_id(&self) -> RecordId {
        match self {
            TrainingSide::Teacher(t) => t.subject_id,
            TrainingSide::Staff(s) => s.subject_id,
        }
    }

    fn id_key(&self) -> &'a str {
        match self {
            TrainingSide::Teacher(t) => &t.id_key,
            TrainingSide::Staff(s) => &s.id_key,
        }
    }

    fn phone_key(&self) -> Option<&'a str> {
        match self {
            TrainingSide::Teacher(t) => t.phone_key.as_deref(),
            TrainingSide::Staff(s) => s.phone_key.as_deref(),
        }
    }

    fn record(&self) -> RecordRef {
        match self {
            TrainingSide::Teacher(t) => RecordRef::Teacher(t.id),
            TrainingSide::Staff(s) => RecordRef::Person(s.id),
        }
    }

    fn name(&self) -> &'a str {
        match self {
            TrainingSide::Teacher(t) => &t.name,
            TrainingSide::Staff(s) => &s.name,
        }
    }

    fn role(&self) -> &'static str {
        match self {
            TrainingSide::Teacher(_) => "教师",
            TrainingSide::Staff(_) => "台账人员",
        }
    }
}

/// 监考员证持有人、监考员 张三（1101**********002X）.
fn exam_people(rows: &[ExamSide]) -> String {
    let roles: BTreeSet<String> = rows.iter().map(ExamSide::role).collect();
    let (name, masked) = rows[0].who();
    format!(
        "{} {name}（{masked}）",
        roles.into_iter().collect::<Vec<_>>().join("、")
    )
}

/// 教师 李四、台账人员 李四.
fn training_people(rows: &[TrainingSide]) -> String {
    let mut people: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {}", r.role(), r.name()))
        .collect();
    people.sort();
    people.dedup();
    people.join("、")
}

impl Cx<'_> {
    /// STAFF_CONFLICT
    fn staff_conflict(&self, out: &mut Vec<Finding>) {
        let side = |id: RecordId| self.subjects.get(&id).map(|s| s.side);
        let exam_side = |id| matches!(side(id), Some(Side::ExamSite | Side::ExamInstitution));
        // Exam-side rows by (subject, ID key).
        let mut exam: BTreeMap<(RecordId, &str), Vec<ExamSide>> = BTreeMap::new();
        let rows = self
            .r
            .credentials
            .iter()
            .filter(|c| exam_side(c.subject_id));
        let rows = rows
            .map(ExamSide::Credential)
            .chain(self.r.exam_staff.iter().map(ExamSide::Staff))
            .filter(|x| side(x.subject_id()).is_some());
        for x in rows {
            exam.entry((x.subject_id(), x.id_key()))
                .or_default()
                .push(x);
        }
        let training = self
            .r
            .teachers
            .iter()
            .map(TrainingSide::Teacher)
            .chain(self.r.training_staff.iter().map(TrainingSide::Staff))
            .filter(|x| side(x.subject_id()).is_some());
        let (mut by_id, mut by_phone): (HashMap<&str, Vec<TrainingSide>>, HashMap<&str, Vec<_>>) =
            Default::default();
        for x in training {
            by_id.entry(x.id_key()).or_default().push(x);
            if let Some(phone) = x.phone_key() {
                by_phone.entry(phone).or_default().push(x);
            }
        }
        for ((e, key), rows) in &mut exam {
            rows.sort_by_key(ExamSide::record);
            // Per training subject: confirmed?, the exam rows and the training rows matched.
            type Match<'b> = (bool, Vec<ExamSide<'b>>, Vec<TrainingSide<'b>>);
            let mut matches: BTreeMap<RecordId, Match> = BTreeMap::new();
            for t in by_id.get(key).into_iter().flatten() {
                if t.subject_id() != *e {
                    let m = matches
                        .entry(t.subject_id())
                        .or_insert_with(|| (true, rows.clone(), Vec::new()));
                    m.2.push(*t);
                }
            }
            for x in rows.iter() {
                let Some(phone) = x.phone_key() else {
                    continue;
                };
                for t in by_phone.get(phone).into_iter().flatten() {
                    if t.subject_id() == *e || t.id_key() == *key {
                        continue;
                    }
                    let m = matches
                        .entry(t.subject_id())
                        .or_insert_with(|| (false, Vec::new(), Vec::new()));
                    if !m.0 {
                        m.1.push(*x);
                        m.2.push(*t);
                    }
                }
            }
            for (t, (confirmed, mut xs, mut ts)) in matches {
                xs.sort_by_key(ExamSide::record);
                xs.dedup_by_key(|x| x.record());
                ts.sort_by_key(TrainingSide::record);
                ts.dedup_by_key(|x| x.record());
                let how = if confirmed {
                    "身份证号相同（确认）"
                } else {
                    "身份证号不同但联系电话相同（疑似）"
                };
                let e_label = match side(*e) {
                    Some(Side::ExamInstitution) => "考试机构",
                    _ => "考试点",
                };
                let (name, masked) = xs[0].who();
                let mut records: Vec<RecordRef> = xs.iter().map(ExamSide::record).collect();
                records.extend(ts.iter().map(TrainingSide::record));
                let mut at_exam = records.clone();
                at_exam.push(RecordRef::Subject(t));
                let detail = format!(
                    "本单位{}与培训机构{}的{}{how}",
                    exam_people(&xs),
                    self.subject_name(t),
                    training_people(&ts)
                );
                out.push(finding(
                    Rule::StaffConflict,
                    *e,
                    who(name, masked),
                    at_exam,
                    detail,
                ));
                records.push(RecordRef::Subject(*e));
                let detail = format!(
                    "本机构{}与{e_label}{}的{}{how}",
                    training_people(&ts),
                    self.subject_name(*e),
                    exam_people(&xs)
                );
                out.push(finding(
                    Rule::StaffConflict,
                    t,
                    who(name, masked),
                    records,
                    detail,
                ));
            }
        }
    }

    /// PASS_RATE_ANOMALY
    fn pass_rates(&self, out: &mut Vec<Finding>) {
        let from = self.d.checked_sub_months(YEAR).unwrap_or(NaiveDate::MIN);
        // The training institutions of each ID key.
        let mut trained: HashMap<&str, Vec<RecordId>> = HashMap::new();
        for t in &self.r.trainees {
            trained.entry(&t.id_key).or_default().push(t.subject_id);
        }
        // (passed, candidates) per (unit, category) and per category.
        let mut units: HashMap<(RecordId, &str), (u64, u64)> = HashMap::new();
        let mut totals: HashMap<&str, (u64, u64)> = HashMap::new();
        let mut mine = Vec::new();
        for c in &self.r.candidates {
            let Some(s) = self.exam_sessions.get(&c.session_id) else {
                continue;
            };
            let on = s.started_at.date();
            if on <= from || on > self.d {
                continue;
            }
            let passed = u64::from(c.passed);
            let total = totals.entry(&s.category).or_default();
            total.0 += passed;
            total.1 += 1;
            mine.clear();
            mine.extend([s.subject_id, s.site_id]);
            mine.extend(trained.get(c.id_key.as_str()).into_iter().flatten());
            mine.sort_unstable();
            mine.dedup();
            for &u in &mine {
                let unit = units.entry((u, &s.category)).or_default();
                unit.0 += passed;
                unit.1 += 1;
            }
        }
        let min = u64::from(self.p.pass_rate_min_candidates);
        for ((unit, category), (x1, n1)) in units {
            let (x, n) = totals[category];
            let (x0, n0) = (x - x1, n - n1);
            if n1 < min || n0 < min || n1 == 0 || n0 == 0 {
                continue;
            }
            let (p1, p0) = (x1 as f64 / n1 as f64, x0 as f64 / n0 as f64);
            if p1 - p0 < self.p.pass_rate_min_gap - RATE_EPSILON {
                continue;
            }
            let pooled = (x1 + x0) as f64 / (n1 + n0) as f64;
            let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n0 as f64)).sqrt();
            let z = if se > 0.0 {
                (p1 - p0) / se
            } else if p1 > p0 {
                f64::INFINITY
            } else {
                0.0
            };
            if z < self.p.pass_rate_z {
                continue;
            }
            let detail = format!(
                "{} 至 {} 开始的{category}考试：本单位考生 {n1} 人、通过 {x1} 人，通过率 {:.1}%；\
                 全区其余考生 {n0} 人、通过 {x0} 人，通过率 {:.1}%；高出 {:.1} 个百分点，\
                 z = {z:.2}（临界值 {}）",
                from.succ_opt().unwrap_or(from),
                self.d,
                p1 * 100.0,
                p0 * 100.0,
                (p1 - p0) * 100.0,
                fmt_hours(self.p.pass_rate_z),
            );
            out.push(Finding {
                topic: Some(category.to_string()),
                ..finding(Rule::PassRateAnomaly, unit, None, Vec::new(), detail)
            });
        }
    }
}
