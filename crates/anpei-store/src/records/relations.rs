//! 关联关系: the picture an inspector needs to suspect 包过班. For a training
//! institution: the exam sites and exam institutions its trainees were examined at in the
//! year before a date, their pass rates side by side with the site's other candidates and
//! the district's, and the people (by ID number) or phone numbers it shares with exam
//! staff. For an exam site or institution, symmetrically: the training institutions whose
//! trainees it examined, and the teachers or ledger staff of training institutions among
//! its own staff.
//!
//! The subject is found through the scope (a foreign id is `NotFound`); the counterparts
//! may lie outside it — that is the point of the view — so the read is audited. Every
//! query is bounded: aggregates grouped by session, candidates matched to trainees by a
//! join on the blind index, people matched through `IN` lists of blind indexes.
//! The window and the test are those of PASS_RATE_ANOMALY: sessions started in
//! the twelve months before the date, a one-sided two-proportion z test.

use crate::entity::{
    exam_candidate as cand, exam_session as ses, exam_session_staff as staff,
    exam_staff_credential as cred, finding, person, subject, training_teacher as teacher,
    training_trainee as trainee,
};
use crate::platform::audit::{self, Actor, Event};
use crate::records::exams::{credential_label, role_label};
use crate::{scope, Scope, Store, StoreError, StoreResult};
use anpei_core::kinds::SubjectKind;
use chrono::{Months, NaiveDate, NaiveDateTime};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationDef, RelationTrait,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The rules whose open findings the view lists.
pub const RULES: [&str; 2] = ["STAFF_CONFLICT", "PASS_RATE_ANOMALY"];

/// Longest `IN` list sent in one statement.
const CHUNK: usize = 500;

/// Candidates and how many passed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rate {
    pub n: u64,
    pub passed: u64,
}

impl Rate {
    fn add(&mut self, passed: bool) {
        self.n += 1;
        self.passed += u64::from(passed);
    }

    fn minus(self, o: Rate) -> Rate {
        Rate {
            n: self.n.saturating_sub(o.n),
            passed: self.passed.saturating_sub(o.passed),
        }
    }

    pub fn ratio(&self) -> Option<f64> {
        (self.n > 0).then(|| self.passed as f64 / self.n as f64)
    }

    /// "95.6%（n=45）", or "—（n=0）".
    pub fn label(&self) -> String {
        match self.ratio() {
            Some(p) => format!("{:.1}%（n={}）", p * 100.0, self.n),
            None => format!("—（n={}）", self.n),
        }
    }

    /// The bar's width in whole percent.
    pub fn width(&self) -> u32 {
        self.ratio().map_or(0, |p| (p * 100.0).round() as u32)
    }
}

/// The one-sided two-proportion z of `a` above `b` (pooled), if both have candidates.
pub fn z_score(a: Rate, b: Rate) -> Option<f64> {
    let (p1, p0) = (a.ratio()?, b.ratio()?);
    let pooled = (a.passed + b.passed) as f64 / (a.n + b.n) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / a.n as f64 + 1.0 / b.n as f64)).sqrt();
    Some(if se > 0.0 {
        (p1 - p0) / se
    } else if p1 > p0 {
        f64::INFINITY
    } else {
        0.0
    })
}

/// Whether a unit's pass rate meets PASS_RATE_ANOMALY's thresholds against the rest of the
/// district: both samples at least the minimum, the gap at least the minimum, z at least
/// the critical value.
pub fn anomalous(p: &anpei_core::Params, unit: Rate, rest: Rate) -> bool {
    let min = u64::from(p.pass_rate_min_candidates);
    let gap = unit.ratio().zip(rest.ratio()).map(|(a, b)| a - b);
    unit.n >= min
        && rest.n >= min
        && gap.is_some_and(|g| g >= p.pass_rate_min_gap - 1e-9)
        && z_score(unit, rest).is_some_and(|z| z >= p.pass_rate_z)
}

/// The subject's own candidates in one category against the rest of the district.
#[derive(Debug, Clone)]
pub struct Summary {
    pub category: String,
    pub unit: Rate,
    pub rest: Rate,
    pub z: Option<f64>,
    /// Whether PASS_RATE_ANOMALY's thresholds are met (sample sizes, gap, z).
    pub anomalous: bool,
}

impl Summary {
    /// The gap in percentage points, if both sides have candidates.
    pub fn gap(&self) -> Option<f64> {
        Some((self.unit.ratio()? - self.rest.ratio()?) * 100.0)
    }
}

/// One counterpart in one category: the candidates both have in common, against the
/// counterpart's (or, for an exam site's view, the site's) other candidates and the
/// district's.
#[derive(Debug, Clone)]
pub struct RateRow {
    pub counterpart_id: i32,
    pub counterpart_name: String,
    /// 考试点, 考试机构 or 安全培训机构.
    pub counterpart_kind: &'static str,
    pub category: String,
    /// Candidates who are trainees of the training institution and were examined by the
    /// exam site or institution.
    pub common: Rate,
    /// The exam side's other candidates.
    pub others: Rate,
    /// All candidates of the category in the district.
    pub district: Rate,
}

/// A person on both sides by ID number (confirmed).
#[derive(Debug, Clone)]
pub struct SharedPerson {
    pub id_masked: String,
    pub training_name: String,
    pub training_subject: String,
    /// 教师（专职）, 台账人员 …, joined with 、.
    pub training_roles: String,
    pub exam_name: String,
    pub exam_subject_id: i32,
    pub exam_subject: String,
    /// 监考员证, 考务人员（监考员）…, joined with 、.
    pub exam_roles: String,
}

/// Two different people (by ID number) with the same phone number (suspected).
#[derive(Debug, Clone)]
pub struct SharedPhone {
    pub phone_masked: String,
    pub training_name: String,
    pub training_id_masked: String,
    pub training_subject: String,
    pub training_role: String,
    pub exam_name: String,
    pub exam_id_masked: String,
    pub exam_subject_id: i32,
    pub exam_subject: String,
    pub exam_role: String,
}

/// Which side of the view the subject is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Training,
    Exam,
    /// An enterprise: no relations to show.
    Other,
}

#[derive(Debug, Clone)]
pub struct Relations {
    pub subject: subject::Model,
    pub side: Side,
    /// First and last day of the window.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub summaries: Vec<Summary>,
    pub rates: Vec<RateRow>,
    pub shared_people: Vec<SharedPerson>,
    pub shared_phones: Vec<SharedPhone>,
    /// Open STAFF_CONFLICT and PASS_RATE_ANOMALY findings of the subject.
    pub findings: Vec<finding::Model>,
}

/// A subject's relations as of `as_of`; `NotFound` when the subject is outside `scope`.
#[tracing::instrument(skip_all)]
pub async fn for_subject(
    store: &Store,
    actor: &Actor,
    scope: &Scope,
    subject_id: i32,
    as_of: NaiveDate,
) -> StoreResult<Relations> {
    let s = scope::subjects(scope)
        .filter(subject::Column::Id.eq(subject_id))
        .one(&store.db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let side = match s.kind {
        SubjectKind::TrainingInstitution => Side::Training,
        SubjectKind::ExamSite | SubjectKind::ExamInstitution => Side::Exam,
        _ => Side::Other,
    };
    let from = as_of.checked_sub_months(Months::new(12)).unwrap_or(as_of);
    let mut r = Relations {
        subject: s,
        side,
        from: from.succ_opt().unwrap_or(from),
        to: as_of,
        summaries: Vec::new(),
        rates: Vec::new(),
        shared_people: Vec::new(),
        shared_phones: Vec::new(),
        findings: Vec::new(),
    };
    if side == Side::Other {
        return Ok(r);
    }
    let w = Window {
        from: midnight(from.succ_opt().unwrap_or(from)),
        to: midnight(as_of.succ_opt().unwrap_or(as_of)),
    };
    pass_rates(store, &w, &mut r).await?;
    shared(store, &mut r).await?;
    r.findings = finding::Entity::find()
        .filter(finding::Column::SubjectId.eq(subject_id))
        .filter(finding::Column::Status.is_in(crate::ledger::leads::FindingStatus::ACTIVE))
        .filter(finding::Column::Rule.is_in(RULES))
        .order_by_asc(finding::Column::Rule)
        .order_by_asc(finding::Column::Id)
        .all(&store.db)
        .await?;
    audit::record(
        store,
        actor,
        Event::ok("relations.view", format!("subject:{subject_id}")).with_detail(format!(
            "关联关系：关联单位{}个，相同身份证号{}人，相同电话{}对",
            r.rates
                .iter()
                .map(|x| x.counterpart_id)
                .collect::<BTreeSet<_>>()
                .len(),
            r.shared_people.len(),
            r.shared_phones.len()
        )),
    )
    .await?;
    Ok(r)
}

fn midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(0, 0, 0).unwrap_or_default()
}

/// Sessions started in `[from, to)`.
struct Window {
    from: NaiveDateTime,
    to: NaiveDateTime,
}

impl Window {
    fn sessions(&self) -> Condition {
        Condition::all()
            .add(ses::Column::StartedAt.gte(self.from))
            .add(ses::Column::StartedAt.lt(self.to))
    }
}

/// Candidates matched to trainees by the blind index of their ID number.
fn candidate_to_trainee() -> RelationDef {
    cand::Entity::belongs_to(trainee::Entity)
        .from(cand::Column::IdBidx)
        .to(trainee::Column::IdBidx)
        .into()
}

struct SessionInfo {
    keeper: i32,
    site: i32,
    category: String,
}

async fn pass_rates(store: &Store, w: &Window, r: &mut Relations) -> StoreResult<()> {
    let db = &store.db;
    let me = r.subject.id;
    let sessions: HashMap<i32, SessionInfo> = ses::Entity::find()
        .select_only()
        .columns([
            ses::Column::Id,
            ses::Column::SubjectId,
            ses::Column::SiteId,
            ses::Column::Category,
        ])
        .filter(w.sessions())
        .into_tuple::<(i32, i32, i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, keeper, site, category)| {
            (
                id,
                SessionInfo {
                    keeper,
                    site,
                    category,
                },
            )
        })
        .collect();
    let in_window = Query::select()
        .column(ses::Column::Id)
        .from(ses::Entity)
        .cond_where(w.sessions())
        .to_owned();
    // (n, passed) per session: one row per session of the window.
    let per_session: Vec<(i32, i64, i64)> = cand::Entity::find()
        .select_only()
        .column(cand::Column::SessionId)
        .column_as(Expr::col(cand::Column::Id).count(), "n")
        .column_as(
            Expr::cust("SUM(CASE WHEN passed THEN 1 ELSE 0 END)"),
            "passed",
        )
        .filter(cand::Column::SessionId.in_subquery(in_window.clone()))
        .group_by(cand::Column::SessionId)
        .into_tuple()
        .all(db)
        .await?;
    let mut units: HashMap<(i32, &str), Rate> = HashMap::new();
    let mut totals: HashMap<&str, Rate> = HashMap::new();
    for (sid, n, x) in &per_session {
        let Some(s) = sessions.get(sid) else { continue };
        let rate = Rate {
            n: *n as u64,
            passed: *x as u64,
        };
        let t = totals.entry(&s.category).or_default();
        t.n += rate.n;
        t.passed += rate.passed;
        let mut us = vec![s.keeper, s.site];
        us.dedup();
        for u in us {
            let e = units.entry((u, &s.category)).or_default();
            e.n += rate.n;
            e.passed += rate.passed;
        }
    }
    // Candidates who are trainees: of this institution, or (exam side) of any institution
    // at this subject's sessions. (candidate, session, passed, training institution).
    let mut q = cand::Entity::find()
        .select_only()
        .column(cand::Column::Id)
        .column(cand::Column::SessionId)
        .column(cand::Column::Passed)
        .column(trainee::Column::SubjectId)
        .distinct()
        .join(JoinType::InnerJoin, candidate_to_trainee())
        .filter(cand::Column::SessionId.in_subquery(in_window));
    q = match r.side {
        Side::Training => q.filter(trainee::Column::SubjectId.eq(me)),
        _ => {
            let mine = Query::select()
                .column(ses::Column::Id)
                .from(ses::Entity)
                .cond_where(
                    w.sessions().add(
                        Condition::any()
                            .add(ses::Column::SubjectId.eq(me))
                            .add(ses::Column::SiteId.eq(me)),
                    ),
                )
                .to_owned();
            q.filter(cand::Column::SessionId.in_subquery(mine))
        }
    };
    let matched: Vec<(i32, i32, bool, i32)> = q.into_tuple().all(db).await?;
    let mut seen = HashSet::new();
    // (training institution, exam unit, category) → rate of the common candidates.
    let mut common: BTreeMap<(i32, i32, String), Rate> = BTreeMap::new();
    let mut own: BTreeMap<String, Rate> = BTreeMap::new();
    let mut own_seen = HashSet::new();
    for (cid, sid, passed, inst) in matched {
        let Some(s) = sessions.get(&sid) else {
            continue;
        };
        if !seen.insert((cid, inst)) {
            continue;
        }
        if r.side == Side::Training && own_seen.insert(cid) {
            own.entry(s.category.clone()).or_default().add(passed);
        }
        let mut us = vec![s.keeper, s.site];
        us.dedup();
        for u in us {
            if r.side == Side::Exam && u != me {
                continue;
            }
            common
                .entry((inst, u, s.category.clone()))
                .or_default()
                .add(passed);
        }
    }
    if r.side == Side::Exam {
        for ((u, category), rate) in &units {
            if *u == me {
                own.insert(category.to_string(), *rate);
            }
        }
    }
    let p = &store.params;
    r.summaries = own
        .into_iter()
        .map(|(category, unit)| {
            let rest = totals
                .get(category.as_str())
                .copied()
                .unwrap_or_default()
                .minus(unit);
            Summary {
                category,
                unit,
                rest,
                z: z_score(unit, rest),
                anomalous: anomalous(p, unit, rest),
            }
        })
        .collect();
    let ids: BTreeSet<i32> = common.keys().flat_map(|(i, u, _)| [*i, *u]).collect();
    let names = subject_names(store, ids).await?;
    r.rates = common
        .into_iter()
        .map(|((inst, unit, category), rate)| {
            let unit_total = units
                .get(&(unit, category.as_str()))
                .copied()
                .unwrap_or_default();
            let counterpart = if r.side == Side::Training { unit } else { inst };
            let (name, kind) = names
                .get(&counterpart)
                .cloned()
                .unwrap_or_else(|| (format!("单位{counterpart}"), SubjectKind::Enterprise));
            RateRow {
                counterpart_id: counterpart,
                counterpart_name: name,
                counterpart_kind: kind.label(),
                district: totals.get(category.as_str()).copied().unwrap_or_default(),
                others: unit_total.minus(rate),
                common: rate,
                category,
            }
        })
        .collect();
    // The largest gaps first.
    r.rates.sort_by(|a, b| {
        let gap = |x: &RateRow| x.common.ratio().unwrap_or(0.0) - x.district.ratio().unwrap_or(0.0);
        gap(b)
            .total_cmp(&gap(a))
            .then(a.counterpart_name.cmp(&b.counterpart_name))
    });
    Ok(())
}

/// Names and kinds of subjects by id (one query per chunk).
async fn subject_names(
    store: &Store,
    ids: impl IntoIterator<Item = i32>,
) -> StoreResult<HashMap<i32, (String, SubjectKind)>> {
    let ids: Vec<i32> = ids.into_iter().collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        for s in subject::Entity::find()
            .filter(subject::Column::Id.is_in(chunk.iter().copied()))
            .all(&store.db)
            .await?
        {
            out.insert(s.id, (s.name, s.kind));
        }
    }
    Ok(out)
}

/// A person on one side: who, where, in what role, and the keys to match on.
#[derive(Debug, Clone)]
struct Party {
    subject_id: i32,
    name: String,
    id_bidx: String,
    id_masked: String,
    phone_bidx: Option<String>,
    phone_masked: Option<String>,
    role: String,
}

fn teacher_party(t: teacher::Model) -> Party {
    Party {
        subject_id: t.subject_id,
        role: if t.employment == "full" {
            "教师（专职）"
        } else {
            "教师（兼职）"
        }
        .into(),
        name: t.name,
        id_bidx: t.id_bidx,
        id_masked: t.id_masked,
        phone_bidx: t.phone_bidx,
        phone_masked: t.phone_masked,
    }
}

fn person_party(store: &Store, p: person::Model) -> Party {
    let phone_bidx = p
        .phone_enc
        .as_deref()
        .and_then(|e| store.crypto.decrypt(e).ok())
        .map(|phone| store.crypto.phone_index(&phone));
    Party {
        subject_id: p.subject_id,
        name: p.name,
        id_bidx: p.id_bidx,
        id_masked: p.id_masked,
        phone_bidx,
        phone_masked: p.phone_masked,
        role: "台账人员".into(),
    }
}

fn credential_party(c: cred::Model) -> Party {
    Party {
        subject_id: c.subject_id,
        name: c.name,
        id_bidx: c.id_bidx,
        id_masked: c.id_masked,
        phone_bidx: c.phone_bidx,
        phone_masked: c.phone_masked,
        role: credential_label(&c.kind).into(),
    }
}

fn staff_party(s: staff::Model) -> Party {
    Party {
        subject_id: s.subject_id,
        name: s.name,
        id_bidx: s.id_bidx,
        id_masked: s.id_masked,
        phone_bidx: None,
        phone_masked: None,
        role: format!("考务人员（{}）", role_label(&s.role)),
    }
}

fn chunks(keys: &BTreeSet<String>) -> Vec<Vec<String>> {
    let all: Vec<String> = keys.iter().cloned().collect();
    all.chunks(CHUNK).map(<[String]>::to_vec).collect()
}

/// The exam-side people whose ID or phone index is among the keys.
async fn exam_parties(
    store: &Store,
    ids: &BTreeSet<String>,
    phones: &BTreeSet<String>,
) -> StoreResult<Vec<Party>> {
    let db = &store.db;
    let mut out = Vec::new();
    for chunk in chunks(ids) {
        out.extend(
            cred::Entity::find()
                .filter(cred::Column::IdBidx.is_in(chunk.clone()))
                .all(db)
                .await?
                .into_iter()
                .map(credential_party),
        );
        out.extend(
            staff::Entity::find()
                .filter(staff::Column::IdBidx.is_in(chunk))
                .all(db)
                .await?
                .into_iter()
                .map(staff_party),
        );
    }
    for chunk in chunks(phones) {
        out.extend(
            cred::Entity::find()
                .filter(cred::Column::PhoneBidx.is_in(chunk))
                .all(db)
                .await?
                .into_iter()
                .map(credential_party),
        );
    }
    Ok(out)
}

/// The training-side people (teachers; ledger staff of training institutions) whose ID or
/// phone index is among the keys.
async fn training_parties(
    store: &Store,
    ids: &BTreeSet<String>,
    phones: &BTreeSet<String>,
) -> StoreResult<Vec<Party>> {
    let db = &store.db;
    let mut out = Vec::new();
    let institution = SubjectKind::TrainingInstitution.code();
    for chunk in chunks(ids) {
        out.extend(
            teacher::Entity::find()
                .filter(teacher::Column::IdBidx.is_in(chunk.clone()))
                .all(db)
                .await?
                .into_iter()
                .map(teacher_party),
        );
        out.extend(
            person::Entity::find()
                .join(JoinType::InnerJoin, person::Relation::Subject.def())
                .filter(subject::Column::Kind.eq(institution))
                .filter(person::Column::IdBidx.is_in(chunk))
                .all(db)
                .await?
                .into_iter()
                .map(|p| person_party(store, p)),
        );
    }
    for chunk in chunks(phones) {
        out.extend(
            teacher::Entity::find()
                .filter(teacher::Column::PhoneBidx.is_in(chunk))
                .all(db)
                .await?
                .into_iter()
                .map(teacher_party),
        );
    }
    if !phones.is_empty() {
        // Ledger phones have no blind index: those of training institutions' staff are
        // decrypted and indexed here (a few per institution).
        out.extend(
            person::Entity::find()
                .join(JoinType::InnerJoin, person::Relation::Subject.def())
                .filter(subject::Column::Kind.eq(institution))
                .filter(person::Column::PhoneEnc.is_not_null())
                .all(db)
                .await?
                .into_iter()
                .map(|p| person_party(store, p))
                .filter(|p| p.phone_bidx.as_ref().is_some_and(|b| phones.contains(b))),
        );
    }
    Ok(out)
}

fn keys(parties: &[Party]) -> (BTreeSet<String>, BTreeSet<String>) {
    let ids = parties.iter().map(|p| p.id_bidx.clone()).collect();
    let phones = parties
        .iter()
        .filter_map(|p| p.phone_bidx.clone())
        .collect();
    (ids, phones)
}

async fn shared(store: &Store, r: &mut Relations) -> StoreResult<()> {
    let db = &store.db;
    let me = r.subject.id;
    let (training, exam) = match r.side {
        Side::Training => {
            let mut mine: Vec<Party> = teacher::Entity::find()
                .filter(teacher::Column::SubjectId.eq(me))
                .all(db)
                .await?
                .into_iter()
                .map(teacher_party)
                .collect();
            mine.extend(
                person::Entity::find()
                    .filter(person::Column::SubjectId.eq(me))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(|p| person_party(store, p)),
            );
            let (ids, phones) = keys(&mine);
            let exam = exam_parties(store, &ids, &phones).await?;
            (mine, exam)
        }
        _ => {
            let mut mine: Vec<Party> = cred::Entity::find()
                .filter(cred::Column::SubjectId.eq(me))
                .all(db)
                .await?
                .into_iter()
                .map(credential_party)
                .collect();
            mine.extend(
                staff::Entity::find()
                    .filter(staff::Column::SubjectId.eq(me))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(staff_party),
            );
            let (ids, phones) = keys(&mine);
            let training = training_parties(store, &ids, &phones).await?;
            (training, mine)
        }
    };
    let ids: BTreeSet<i32> = training.iter().chain(&exam).map(|p| p.subject_id).collect();
    let names = subject_names(store, ids).await?;
    let name_of = |id: i32| {
        names
            .get(&id)
            .map_or_else(|| format!("单位{id}"), |n| n.0.clone())
    };
    // Confirmed: same ID number, grouped by (person, training subject, exam subject).
    type Roles = (String, BTreeSet<String>, String, BTreeSet<String>, String);
    let mut people: BTreeMap<(String, i32, i32), Roles> = BTreeMap::new();
    let mut by_id: HashMap<&str, Vec<&Party>> = HashMap::new();
    for t in &training {
        by_id.entry(&t.id_bidx).or_default().push(t);
    }
    for e in &exam {
        for t in by_id.get(e.id_bidx.as_str()).into_iter().flatten() {
            if t.subject_id == e.subject_id {
                continue;
            }
            let g = people
                .entry((e.id_bidx.clone(), t.subject_id, e.subject_id))
                .or_insert_with(|| {
                    (
                        t.name.clone(),
                        BTreeSet::new(),
                        e.name.clone(),
                        BTreeSet::new(),
                        e.id_masked.clone(),
                    )
                });
            g.1.insert(t.role.clone());
            g.3.insert(e.role.clone());
        }
    }
    r.shared_people = people
        .into_iter()
        .map(
            |((_, t, e), (tn, troles, en, eroles, masked))| SharedPerson {
                id_masked: masked,
                training_name: tn,
                training_subject: name_of(t),
                training_roles: troles.into_iter().collect::<Vec<_>>().join("、"),
                exam_name: en,
                exam_subject_id: e,
                exam_subject: name_of(e),
                exam_roles: eroles.into_iter().collect::<Vec<_>>().join("、"),
            },
        )
        .collect();
    // Suspected: different ID numbers, same phone.
    let mut pairs = BTreeSet::new();
    for e in &exam {
        let Some(phone) = &e.phone_bidx else { continue };
        for t in &training {
            if t.phone_bidx.as_ref() != Some(phone)
                || t.id_bidx == e.id_bidx
                || t.subject_id == e.subject_id
                || !pairs.insert((
                    t.id_bidx.clone(),
                    t.subject_id,
                    e.id_bidx.clone(),
                    e.subject_id,
                ))
            {
                continue;
            }
            r.shared_phones.push(SharedPhone {
                phone_masked: e
                    .phone_masked
                    .clone()
                    .or_else(|| t.phone_masked.clone())
                    .unwrap_or_default(),
                training_name: t.name.clone(),
                training_id_masked: t.id_masked.clone(),
                training_subject: name_of(t.subject_id),
                training_role: t.role.clone(),
                exam_name: e.name.clone(),
                exam_id_masked: e.id_masked.clone(),
                exam_subject_id: e.subject_id,
                exam_subject: name_of(e.subject_id),
                exam_role: e.role.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(n: u64, passed: u64) -> Rate {
        Rate { n, passed }
    }

    #[test]
    fn small_samples_and_small_gaps_are_not_anomalous() {
        let p = anpei_core::Params::default();
        // 30 of 30 against 18 of 30: both samples at the minimum, gap 40 points.
        assert!(anomalous(&p, rate(30, 30), rate(30, 18)));
        assert!(!anomalous(&p, rate(29, 29), rate(30, 18)), "unit below 30");
        assert!(!anomalous(&p, rate(30, 30), rate(29, 17)), "rest below 30");
        // A gap of 19 points, however large the samples, is not enough.
        assert!(!anomalous(&p, rate(1000, 790), rate(1000, 600)));
        assert!(anomalous(&p, rate(1000, 800), rate(1000, 600)));
        // A 20-point gap on samples too small for z ≥ 3.09.
        let (u, r) = (rate(30, 20), rate(30, 14));
        assert!(z_score(u, r).unwrap() < 3.09);
        assert!(!anomalous(&p, u, r));
    }

    #[test]
    fn a_full_class_against_a_two_thirds_district_is_far_above_the_critical_z() {
        let z = z_score(Rate { n: 45, passed: 45 }, Rate { n: 100, passed: 65 }).unwrap();
        assert!(z > 3.09, "{z}");
        assert_eq!(Rate { n: 3, passed: 2 }.label(), "66.7%（n=3）");
        assert_eq!(Rate::default().label(), "—（n=0）");
        assert!(z_score(Rate::default(), Rate { n: 1, passed: 1 }).is_none());
    }
}
