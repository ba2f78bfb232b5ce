//! The automated checks of the rule catalogue ([`catalogue`], the rule engine): pure, deterministic
//! and fast.
//!
//! The caller (store, CLI, tests) hands over the facts the checks read as a [`Ledger`]:
//! persons, their certificates and training records, each with an opaque numeric id, and
//! optionally the certificate registry (登记库). Identity is by opaque keys the caller
//! computes (a blind index of the ID number, of the normalised certificate number), so
//! `T`+ID normalisation and hashing are the caller's job, never the engine's.
//!
//! [`scan`] evaluates every rule as of a date. Its cost is linear in the ledger (plus small
//! per-person sorts), so a one-subject scan is cheap either way: pass a ledger holding
//! only that subject's records, or the whole ledger to [`scan_subject`].
//!
//! The checks of training and exam records are in [`records`], those of online-training
//! platforms' logs in [`online`].

mod catalogue;
#[cfg(test)]
mod crosscheck;
pub mod online;
#[cfg(test)]
mod online_tests;
#[cfg(test)]
mod proptests;
pub mod records;
#[cfg(test)]
mod records_tests;
#[cfg(test)]
mod tests;

pub use catalogue::{Rule, Severity};

use crate::kinds::{CertType, Post, TrainingForm, TrainingType};
use crate::params::Params;
use catalogue::{fmt_amount, fmt_hours};
use chrono::{Months, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};

pub type RecordId = i64;

/// "Annual" (每年) and "new" (新上岗) in the rules' definitions both mean the year before D: a
/// definition of the rules, not a tunable regulatory parameter.
const YEAR: Months = Months::new(12);

/// Class hours are decimals held in binary floating point: sums such as 0.1 × 120 land a
/// hair below 12. Amounts within this many 学时 of a threshold count as equal to it.
const HOURS_EPSILON: f64 = 1e-6;

/// A person on a subject's ledger, as the checks see him.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonFacts {
    pub id: RecordId,
    pub subject_id: RecordId,
    pub name: String,
    pub post: Post,
    /// 作业类别 of a 特种作业人员.
    pub special_category: Option<String>,
    /// 任职日期 (S).
    pub appointed_on: NaiveDate,
    /// The employer's industry is high-risk (高危行业).
    pub high_risk: bool,
    /// Opaque key of the ID number (a blind index); equal IDs ⇔ equal keys.
    pub holder_key: String,
}

/// A certificate held by a person.
#[derive(Debug, Clone, PartialEq)]
pub struct CertFacts {
    pub id: RecordId,
    pub person_id: RecordId,
    pub cert_type: CertType,
    /// Opaque key of the normalised certificate number (`T`+ID and ID give one key).
    pub cert_no_key: String,
    pub category: Option<String>,
    pub operation_item: Option<String>,
    pub first_issued: Option<NaiveDate>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub review_due: Option<NaiveDate>,
    pub reviewed_on: Option<NaiveDate>,
}

/// A training record of a person.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingFacts {
    pub id: RecordId,
    pub person_id: RecordId,
    pub training_type: TrainingType,
    pub form: TrainingForm,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub theory_hours: f64,
    pub practical_hours: f64,
}

impl TrainingFacts {
    /// 理论学时 + 实操学时.
    pub fn hours(&self) -> f64 {
        self.theory_hours + self.practical_hours
    }
}

/// The registry (登记库) by certificate-number key: the holder's ID key and name there.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryEntry {
    pub holder_key: String,
    pub name: String,
}

/// Everything the checks read. Records need not be sorted. Certificates and training
/// records whose `person_id` names no person take no part in any check.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ledger {
    pub persons: Vec<PersonFacts>,
    pub certificates: Vec<CertFacts>,
    pub trainings: Vec<TrainingFacts>,
    /// None: no registry imported (CERT_NOT_IN_REGISTRY never fires).
    pub registry: Option<HashMap<String, RegistryEntry>>,
}

/// A record a finding points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RecordRef {
    Person(RecordId),
    Certificate(RecordId),
    Training(RecordId),
    /// A training class (培训班), a class session (课次), a trainee, a teacher.
    Class(RecordId),
    ClassSession(RecordId),
    Trainee(RecordId),
    Teacher(RecordId),
    /// An exam plan, exam session, a session's staff member, a candidate, a recording,
    /// a staff credential, a piece of site equipment.
    ExamPlan(RecordId),
    ExamSession(RecordId),
    ExamStaff(RecordId),
    Candidate(RecordId),
    Video(RecordId),
    Credential(RecordId),
    Equipment(RecordId),
    /// A subject (单位) as a whole, e.g. the other side of a conflict of interest.
    Subject(RecordId),
    /// A study session (学习记录), a face check (人脸核验) and an online exam (在线考试) of
    /// an online-training platform's log.
    OnlineSession(RecordId),
    FaceCheck(RecordId),
    OnlineExam(RecordId),
}

/// Someone a records finding is about who is not on the ledger of persons (a teacher, a
/// proctor, a trainee): the name and the masked ID number, as the pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Who {
    pub name: String,
    pub id_masked: String,
}

/// One violation of one rule: by one person of the ledger (`person_id`), or, for the
/// checks on training and exam records, by one class, session, recording… of a subject, or,
/// for the online-training checks, by a person or a device on a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    pub subject_id: RecordId,
    /// The ledger person; `None` for the checks on records and for ONLINE_DEVICE_SHARED.
    pub person_id: Option<RecordId>,
    /// For the checks on records: the person concerned, if one is.
    pub who: Option<Who>,
    /// Part of the identity of a finding that no record carries (the exam category of a
    /// PASS_RATE_ANOMALY, the day of an online finding per day, `device|day` of an
    /// ONLINE_DEVICE_SHARED).
    pub topic: Option<String>,
    /// The records that triggered it, sorted: the person, then the certificate(s) or
    /// training record(s) the finding is about. The rules about a missing certificate or
    /// missing hours name only the person (the hours counted are in `detail`).
    pub records: Vec<RecordRef>,
    /// Chinese, specific: dates, hours, thresholds.
    pub detail: String,
}

impl Finding {
    /// A stable key for "the same finding" across scans: rule + person + the triggering
    /// certificate/training ids (not the detail text), e.g. `CERT_EXPIRED:12:c34`; for
    /// the checks on records rule + `s` subject + records (+ topic), e.g.
    /// `EXAM_VIDEO_MISSING:s7:es12`.
    pub fn key(&self) -> String {
        let mut k = match self.person_id {
            Some(p) => format!("{}:{p}", self.rule.code()),
            None => format!("{}:s{}", self.rule.code(), self.subject_id),
        };
        for r in &self.records {
            // Writing to a String cannot fail.
            let _ = match r {
                RecordRef::Person(id) if self.person_id.is_none() => write!(k, ":p{id}"),
                RecordRef::Person(_) => Ok(()),
                RecordRef::Certificate(id) => write!(k, ":c{id}"),
                RecordRef::Training(id) => write!(k, ":t{id}"),
                RecordRef::Class(id) => write!(k, ":cl{id}"),
                RecordRef::ClassSession(id) => write!(k, ":cs{id}"),
                RecordRef::Trainee(id) => write!(k, ":tr{id}"),
                RecordRef::Teacher(id) => write!(k, ":te{id}"),
                RecordRef::ExamPlan(id) => write!(k, ":ep{id}"),
                RecordRef::ExamSession(id) => write!(k, ":es{id}"),
                RecordRef::ExamStaff(id) => write!(k, ":st{id}"),
                RecordRef::Candidate(id) => write!(k, ":ca{id}"),
                RecordRef::Video(id) => write!(k, ":v{id}"),
                RecordRef::Credential(id) => write!(k, ":cr{id}"),
                RecordRef::Equipment(id) => write!(k, ":eq{id}"),
                RecordRef::Subject(id) => write!(k, ":u{id}"),
                RecordRef::OnlineSession(id) => write!(k, ":os{id}"),
                RecordRef::FaceCheck(id) => write!(k, ":fc{id}"),
                RecordRef::OnlineExam(id) => write!(k, ":oe{id}"),
            };
        }
        if let Some(t) = &self.topic {
            let _ = write!(k, ":{t}");
        }
        k
    }
}

/// Evaluates every check as of `as_of` over the whole ledger. Deterministic order: by
/// person id, then rule, then records. Linear in the ledger, so a ledger of one subject's
/// records scans in proportion to that subject alone.
pub fn scan(ledger: &Ledger, as_of: NaiveDate, params: &Params) -> Vec<Finding> {
    let persons = (0..ledger.persons.len()).collect();
    run(ledger, persons, as_of, params)
}

/// The findings of one subject's persons in a ledger that may hold others too (one
/// linear pass over the certificates and training records, no sorting of the others).
pub fn scan_subject(
    ledger: &Ledger,
    subject_id: RecordId,
    as_of: NaiveDate,
    params: &Params,
) -> Vec<Finding> {
    let persons = (0..ledger.persons.len())
        .filter(|&i| ledger.persons[i].subject_id == subject_id)
        .collect();
    run(ledger, persons, as_of, params)
}

/// The effective 有效期止 the checks use: as recorded, else 有效期起 (or 初领日期) +
/// validity − 1 day (6 years for 特种作业操作证, 3 for 考核合格证, from `Params`).
pub fn effective_valid_until(c: &CertFacts, p: &Params) -> Option<NaiveDate> {
    c.valid_until.or_else(|| {
        let years = match c.cert_type {
            CertType::SpecialOperation => p.special_cert_validity_years,
            CertType::ManagerCompetency => p.manager_cert_validity_years,
        };
        plus_years(c.valid_from.or(c.first_issued)?, years)?.pred_opt()
    })
}

/// The effective 应复审日期 the checks use: as recorded, else, for a 特种作业操作证,
/// 有效期起 (or 初领日期) + the review period (3 years).
pub fn effective_review_due(c: &CertFacts, p: &Params) -> Option<NaiveDate> {
    c.review_due.or_else(|| match c.cert_type {
        CertType::SpecialOperation => plus_years(
            c.valid_from.or(c.first_issued)?,
            p.special_cert_review_years,
        ),
        CertType::ManagerCompetency => None,
    })
}

/// Valid on D: the effective 有效期止 ≥ D.
pub fn valid_on(c: &CertFacts, d: NaiveDate, p: &Params) -> bool {
    effective_valid_until(c, p).is_some_and(|u| u >= d)
}

fn plus_years(d: NaiveDate, years: u32) -> Option<NaiveDate> {
    d.checked_add_months(Months::new(years.checked_mul(12)?))
}

// ---------------------------------------------------------------------------------------
// The engine.

/// Groups the indices of one kind of record by person: `items[starts[g]..starts[g + 1]]`
/// are the records of group `g`, sorted by record id.
struct Groups {
    starts: Vec<u32>,
    items: Vec<u32>,
}

impl Groups {
    /// A counting sort by group: two linear passes, one allocation each.
    fn build<T>(
        records: &[T],
        person_of: impl Fn(&T) -> RecordId,
        id_of: impl Fn(&T) -> RecordId,
        index: &IdIndex,
        groups: usize,
    ) -> Groups {
        let group_of: Vec<u32> = records.iter().map(|r| index.get(person_of(r))).collect();
        let mut starts = vec![0u32; groups + 1];
        for &g in &group_of {
            if g != NONE {
                starts[g as usize + 1] += 1;
            }
        }
        for g in 0..groups {
            starts[g + 1] += starts[g];
        }
        let mut next = starts.clone();
        let mut items = vec![0u32; starts[groups] as usize];
        for (i, &g) in group_of.iter().enumerate() {
            if g != NONE {
                let slot = &mut next[g as usize];
                items[*slot as usize] = i as u32;
                *slot += 1;
            }
        }
        for g in 0..groups {
            let group = &mut items[starts[g] as usize..starts[g + 1] as usize];
            if group.len() > 1 {
                group.sort_unstable_by_key(|&i| (id_of(&records[i as usize]), i));
            }
        }
        Groups { starts, items }
    }

    fn get(&self, g: usize) -> &[u32] {
        &self.items[self.starts[g] as usize..self.starts[g + 1] as usize]
    }
}

const NONE: u32 = u32::MAX;

/// Person id → group number: a table when the ids are dense (database ids usually are),
/// else a hash map with a cheap integer hash.
enum IdIndex {
    Dense { min: i64, slots: Vec<u32> },
    Sparse(HashMap<i64, u32, BuildHasherDefault<IdHasher>>),
}

impl IdIndex {
    /// `ids` sorted and without duplicates; group `g` is `ids[g]`.
    fn new(ids: &[RecordId]) -> IdIndex {
        let (Some(&min), Some(&max)) = (ids.first(), ids.last()) else {
            return IdIndex::Dense {
                min: 0,
                slots: Vec::new(),
            };
        };
        let span = i128::from(max) - i128::from(min) + 1;
        if span <= 4 * ids.len() as i128 + 1024 {
            let mut slots = vec![NONE; span as usize];
            for (g, &id) in ids.iter().enumerate() {
                slots[(i128::from(id) - i128::from(min)) as usize] = g as u32;
            }
            IdIndex::Dense { min, slots }
        } else {
            IdIndex::Sparse(
                ids.iter()
                    .enumerate()
                    .map(|(g, &id)| (id, g as u32))
                    .collect(),
            )
        }
    }

    fn get(&self, id: RecordId) -> u32 {
        match self {
            IdIndex::Dense { min, slots } => usize::try_from(i128::from(id) - i128::from(*min))
                .ok()
                .and_then(|o| slots.get(o).copied())
                .unwrap_or(NONE),
            IdIndex::Sparse(map) => map.get(&id).copied().unwrap_or(NONE),
        }
    }
}

/// A multiplicative hash for integer keys (the ids come from our own database).
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_i64(&mut self, n: i64) {
        let x = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 29);
    }
}

/// A training record's time span, for the overlap sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: NaiveDateTime,
    end: NaiveDateTime,
    id: RecordId,
}

/// Buffers reused from person to person.
#[derive(Default)]
struct Scratch<'a> {
    valid_kinds: Vec<(CertType, Option<&'a str>)>,
    spans: Vec<Span>,
    marks: Vec<bool>,
}

struct Engine<'a> {
    ledger: &'a Ledger,
    p: &'a Params,
    d: NaiveDate,
    /// One year before D.
    year_before: NaiveDate,
}

fn run(ledger: &Ledger, mut persons: Vec<usize>, as_of: NaiveDate, p: &Params) -> Vec<Finding> {
    let all = &ledger.persons;
    persons.sort_unstable_by_key(|&i| (all[i].id, i));
    let mut ids: Vec<RecordId> = persons.iter().map(|&i| all[i].id).collect();
    ids.dedup();
    let index = IdIndex::new(&ids);
    let certs = Groups::build(
        &ledger.certificates,
        |c| c.person_id,
        |c| c.id,
        &index,
        ids.len(),
    );
    let trainings = Groups::build(
        &ledger.trainings,
        |t| t.person_id,
        |t| t.id,
        &index,
        ids.len(),
    );
    let engine = Engine {
        ledger,
        p,
        d: as_of,
        year_before: as_of.checked_sub_months(YEAR).unwrap_or(NaiveDate::MIN),
    };
    let mut out = Vec::new();
    let mut scratch = Scratch::default();
    let mut g = 0;
    for (k, &i) in persons.iter().enumerate() {
        if k > 0 && all[i].id != all[persons[k - 1]].id {
            g += 1;
        }
        let before = out.len();
        engine.person(
            &all[i],
            certs.get(g),
            trainings.get(g),
            &mut scratch,
            &mut out,
        );
        // Emitted in order already; this only guards the contract cheaply.
        debug_assert!(out[before..]
            .windows(2)
            .all(|w| (w[0].rule, &w[0].records) <= (w[1].rule, &w[1].records)));
    }
    out
}

impl<'a> Engine<'a> {
    fn person(
        &self,
        person: &'a PersonFacts,
        cert_ix: &[u32],
        training_ix: &[u32],
        scratch: &mut Scratch<'a>,
        out: &mut Vec<Finding>,
    ) {
        let ledger = self.ledger;
        let (p, d) = (self.p, self.d);
        let certs = || cert_ix.iter().map(|&i| &ledger.certificates[i as usize]);
        let trainings = || training_ix.iter().map(|&i| &ledger.trainings[i as usize]);
        let s = person.appointed_on;
        let hr = person.high_risk;
        let pick = |(normal, high): (f64, f64)| if hr { high } else { normal };
        let risk = if hr { "（高危行业）" } else { "" };
        let emit = |out: &mut Vec<Finding>, rule: Rule, records: Vec<RecordRef>, detail: String| {
            out.push(Finding {
                rule,
                subject_id: person.subject_id,
                person_id: Some(person.id),
                who: None,
                topic: None,
                records,
                detail,
            })
        };
        let me = RecordRef::Person(person.id);
        let is_manager = matches!(person.post, Post::PrincipalManager | Post::SafetyManager);
        let is_employee = matches!(person.post, Post::SpecialOperator | Post::Employee);

        // The (type, 操作项目) pairs of the certificates valid on D.
        scratch.valid_kinds.clear();
        scratch.valid_kinds.extend(
            certs()
                .filter(|c| valid_on(c, d, p))
                .map(|c| (c.cert_type, c.operation_item.as_deref())),
        );
        scratch.valid_kinds.sort_unstable();
        scratch.valid_kinds.dedup();
        let valid_kinds = &scratch.valid_kinds;

        // MANAGER_CERT_MISSING
        if is_manager && hr {
            let deadline = s.checked_add_months(Months::new(p.manager_cert_deadline_months));
            if let Some(deadline) = deadline.filter(|&x| x < d) {
                if !valid_kinds
                    .iter()
                    .any(|(t, _)| *t == CertType::ManagerCompetency)
                {
                    let mut detail = format!(
                        "{}任职日期 {s}，任职满 {} 个月之日 {deadline} 已过，截至 {d} 未持有有效的{}（高危行业）",
                        person.post.label(),
                        p.manager_cert_deadline_months,
                        CertType::ManagerCompetency.label(),
                    );
                    let lapsed = certs()
                        .filter(|c| c.cert_type == CertType::ManagerCompetency)
                        .filter_map(|c| effective_valid_until(c, p))
                        .max();
                    if let Some(u) = lapsed {
                        let _ = write!(detail, "；所持考核合格证有效期止 {u}");
                    }
                    emit(out, Rule::ManagerCertMissing, vec![me], detail);
                }
            }
        }

        // CERT_EXPIRED
        for c in certs() {
            let Some(until) = effective_valid_until(c, p) else {
                continue;
            };
            if until < d
                && valid_kinds
                    .binary_search(&(c.cert_type, c.operation_item.as_deref()))
                    .is_err()
            {
                let derived = if c.valid_until.is_none() {
                    "（按有效期起推算）"
                } else {
                    ""
                };
                let detail = format!(
                    "{}有效期止 {until}{derived}，截至 {d} 已过期 {} 天，且无同类型、同操作项目的有效证书",
                    cert_title(c),
                    (d - until).num_days(),
                );
                emit(
                    out,
                    Rule::CertExpired,
                    vec![me, RecordRef::Certificate(c.id)],
                    detail,
                );
            }
        }

        // SPECIAL_OP_NO_CERT
        if person.post == Post::SpecialOperator {
            let mut special = certs().filter(|c| c.cert_type == CertType::SpecialOperation);
            let detail = match person.special_category.as_deref() {
                Some(cat) => {
                    if special.clone().any(|c| c.category.as_deref() == Some(cat)) {
                        None
                    } else {
                        let mut others: Vec<&str> =
                            special.filter_map(|c| c.category.as_deref()).collect();
                        others.sort_unstable();
                        others.dedup();
                        Some(if others.is_empty() {
                            format!("特种作业人员（{cat}）未持有任何特种作业操作证")
                        } else {
                            format!(
                                "特种作业人员（{cat}）未持有{cat}类别的特种作业操作证（所持为{}）",
                                others.join("、")
                            )
                        })
                    }
                }
                None => special
                    .next()
                    .is_none()
                    .then(|| "特种作业人员（未登记作业类别）未持有任何特种作业操作证".to_string()),
            };
            if let Some(detail) = detail {
                emit(out, Rule::SpecialOpNoCert, vec![me], detail);
            }
        }

        // REVIEW_OVERDUE
        for c in certs() {
            if c.cert_type != CertType::SpecialOperation
                || c.reviewed_on.is_some()
                || !valid_on(c, d, p)
            {
                continue;
            }
            if let Some(due) = effective_review_due(c, p).filter(|&due| due < d) {
                let derived = if c.review_due.is_none() {
                    "（按有效期起推算）"
                } else {
                    ""
                };
                let detail = format!(
                    "{}应复审日期 {due}{derived}，截至 {d} 无实际复审日期，已逾期 {} 天",
                    cert_title(c),
                    (d - due).num_days(),
                );
                emit(
                    out,
                    Rule::ReviewOverdue,
                    vec![me, RecordRef::Certificate(c.id)],
                    detail,
                );
            }
        }

        // The hours of the year before D (再培训) and up to D (岗前培训).
        let (mut retrain, mut retrain_n, mut prejob, mut prejob_n) = (0.0, 0, 0.0, 0);
        for t in trainings() {
            let on = t.end.date();
            if on > d {
                continue;
            }
            match t.training_type {
                TrainingType::Retraining if on > self.year_before => {
                    retrain += t.hours();
                    retrain_n += 1;
                }
                TrainingType::PreJob => {
                    prejob += t.hours();
                    prejob_n += 1;
                }
                _ => {}
            }
        }
        let window = format!(
            "{} 至 {d}",
            self.year_before.succ_opt().unwrap_or(self.year_before)
        );

        // MANAGER_RETRAIN_SHORT, EMPLOYEE_RETRAIN_SHORT
        if s <= self.year_before && (is_manager || is_employee) {
            let (rule, required) = if is_manager {
                (Rule::ManagerRetrainShort, pick(p.manager_retrain_hours))
            } else {
                (Rule::EmployeeRetrainShort, pick(p.employee_retrain_hours))
            };
            if short(retrain, required) {
                let detail = format!(
                    "近一年（{window}）再培训 {} 学时（{retrain_n} 条记录），低于 {} 学时{risk}",
                    fmt_amount(retrain),
                    fmt_hours(required),
                );
                emit(out, rule, vec![me], detail);
            }
        }

        // PREJOB_HOURS_SHORT
        if is_employee && self.year_before < s && s <= d {
            let required = pick(p.prejob_hours);
            if short(prejob, required) {
                let detail = format!(
                    "任职日期 {s}（新上岗），截至 {d} 岗前培训 {} 学时（{prejob_n} 条记录），低于 {} 学时{risk}",
                    fmt_amount(prejob),
                    fmt_hours(required),
                );
                emit(out, Rule::PrejobHoursShort, vec![me], detail);
            }
        }

        // TRAINING_OVERLAP
        if training_ix.len() > 1 {
            scratch.spans.clear();
            scratch.spans.extend(trainings().map(|t| Span {
                start: t.start,
                end: t.end,
                id: t.id,
            }));
            if let Some((a, b)) = overlapping(&mut scratch.spans, &mut scratch.marks) {
                let mut records = vec![me];
                records.extend(
                    scratch
                        .spans
                        .iter()
                        .zip(&scratch.marks)
                        .filter(|(_, &m)| m)
                        .map(|(s, _)| RecordRef::Training(s.id)),
                );
                records[1..].sort_unstable();
                let detail = format!(
                    "{} 条培训记录时间重叠，如 {} 与 {}",
                    records.len() - 1,
                    span_text(&a),
                    span_text(&b),
                );
                emit(out, Rule::TrainingOverlap, records, detail);
            }
        }

        // HOURS_EXCEED_DURATION
        for t in trainings() {
            let minutes = f64::from(match t.form {
                TrainingForm::Offline => p.class_hour_minutes.0,
                TrainingForm::Online => p.class_hour_minutes.1,
            });
            let needed = t.hours() * minutes;
            let actual = (t.end - t.start).num_milliseconds() as f64 / 60_000.0;
            if needed - actual > HOURS_EPSILON * minutes {
                let detail = format!(
                    "{} {}{}记 {} 学时，按每学时 {} 分钟应历时 {} 分钟，实际仅 {} 分钟",
                    span_text(&Span {
                        start: t.start,
                        end: t.end,
                        id: t.id
                    }),
                    t.form.label(),
                    t.training_type.label(),
                    fmt_amount(t.hours()),
                    minutes,
                    fmt_hours(needed),
                    fmt_hours(actual),
                );
                emit(
                    out,
                    Rule::HoursExceedDuration,
                    vec![me, RecordRef::Training(t.id)],
                    detail,
                );
            }
        }

        // CERT_NOT_IN_REGISTRY
        if let Some(registry) = &ledger.registry {
            for c in certs() {
                let detail = match registry.get(&c.cert_no_key) {
                    None => format!("{}的证书编号在登记库中查无此证", cert_title(c)),
                    Some(r) if r.holder_key != person.holder_key => {
                        let also = if r.name != person.name {
                            "、姓名"
                        } else {
                            ""
                        };
                        format!(
                            "{}的证书编号在登记库中登记的持证人身份证号{also}与本人不符",
                            cert_title(c)
                        )
                    }
                    Some(r) if r.name != person.name => format!(
                        "{}的证书编号在登记库中登记的持证人姓名为“{}”，与本人姓名“{}”不符",
                        cert_title(c),
                        r.name,
                        person.name
                    ),
                    Some(_) => continue,
                };
                emit(
                    out,
                    Rule::CertNotInRegistry,
                    vec![me, RecordRef::Certificate(c.id)],
                    detail,
                );
            }
        }
    }
}

/// Total hours below the required ones (within floating-point noise).
fn short(total: f64, required: f64) -> bool {
    total < required - HOURS_EPSILON
}

/// 特种作业操作证（低压电工作业） / 安全生产知识和管理能力考核合格证.
fn cert_title(c: &CertFacts) -> String {
    match c.operation_item.as_deref().or(c.category.as_deref()) {
        Some(item) => format!("{}（{item}）", c.cert_type.label()),
        None => c.cert_type.label().to_string(),
    }
}

fn span_text(s: &Span) -> String {
    format!(
        "{} 至 {}",
        s.start.format("%Y-%m-%d %H:%M"),
        s.end.format("%Y-%m-%d %H:%M")
    )
}

/// Marks (in `marks`, parallel to `spans` after the call) every span that overlaps
/// another: `a.start < b.end && b.start < a.end`, so spans that only touch do not.
/// Returns a first overlapping pair, or None when no two overlap.
///
/// Spans are sorted by (start, end). For spans with start ≤ end, one sweep decides it:
/// span i overlaps an earlier one iff the largest earlier end is after its start, and
/// overlaps a later one iff the next span starts before its end. Reversed spans (end <
/// start; imports reject them) are compared with the others one by one.
fn overlapping(spans: &mut [Span], marks: &mut Vec<bool>) -> Option<(Span, Span)> {
    spans.sort_unstable_by_key(|s| (s.start > s.end, s.start, s.end, s.id));
    let n = spans.len();
    let k = spans.partition_point(|s| s.start <= s.end);
    marks.clear();
    marks.resize(n, false);
    let mut example = None;
    // (largest end so far, its index)
    let mut reach: Option<(NaiveDateTime, usize)> = None;
    for i in 0..k {
        if let Some((end, j)) = reach {
            if end > spans[i].start {
                marks[i] = true;
                marks[j] = true;
                example.get_or_insert((spans[j], spans[i]));
            }
        }
        if i + 1 < k && spans[i + 1].start < spans[i].end {
            marks[i] = true;
        }
        if reach.is_none_or(|(end, _)| spans[i].end > end) {
            reach = Some((spans[i].end, i));
        }
    }
    for b in k..n {
        for a in 0..k {
            if spans[a].start < spans[b].end && spans[b].start < spans[a].end {
                marks[a] = true;
                marks[b] = true;
                example.get_or_insert((spans[a], spans[b]));
            }
        }
    }
    example
}
