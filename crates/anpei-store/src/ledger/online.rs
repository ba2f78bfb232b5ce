//! The logs of online-training platforms: the facts the seven online checks read (loaded for
//! the whole installation: a shared device crosses employers and institutions), and what the
//! 网络培训 pages show of them — one subject's sessions, face checks, devices and addresses, and
//! one device's users. Every page read goes through the scope filter on the subject.

use crate::entity::{
    online_course as course, online_exam as exam, online_face_check as face,
    online_session as session, person, subject, training,
};
use crate::scope::{self, Scope};
use crate::{Store, StoreResult};
use anpei_core::kinds::SubjectKind;
use anpei_core::ledger::rules::online::{
    ClaimFacts, ExamFacts, FaceCheckFacts, OnlineLog, SessionFacts,
};
use chrono::{NaiveDate, NaiveDateTime};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Every row the online checks read: all sessions, face checks and exams, and the ledger's
/// online training records of persons who have sessions.
#[tracing::instrument(skip_all)]
pub async fn load(store: &Store) -> StoreResult<OnlineLog> {
    let db = &store.db;
    let names: HashMap<i32, String> = person::Entity::find()
        .select_only()
        .columns([person::Column::Id, person::Column::Name])
        .filter(
            person::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .distinct()
                    .column(session::Column::PersonId)
                    .from(session::Entity)
                    .to_owned(),
            ),
        )
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let sessions: Vec<SessionFacts> = session::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| SessionFacts {
            id: s.id.into(),
            subject_id: s.provider_id.unwrap_or(s.subject_id).into(),
            person_id: s.person_id.into(),
            name: names.get(&s.person_id).cloned().unwrap_or_default(),
            platform: s.platform,
            course: s.course_no,
            start: s.start_at,
            end: s.end_at,
            progress_secs: s.progress_secs,
            device: s.device.unwrap_or_default(),
        })
        .collect();
    let face_checks = face::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|f| FaceCheckFacts {
            id: f.id.into(),
            person_id: f.person_id.into(),
            platform: f.platform,
            at: f.at,
            passed: f.passed,
        })
        .collect();
    let exams = exam::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|e| ExamFacts {
            id: e.id.into(),
            subject_id: e.provider_id.unwrap_or(e.subject_id).into(),
            person_id: e.person_id.into(),
            platform: e.platform,
            exam_no: e.exam_no,
            start: e.start_at,
            end: e.end_at,
            questions: e.questions,
            score: e.score,
        })
        .collect();
    let with_sessions: Vec<i32> = names.keys().copied().collect();
    let mut claims = Vec::new();
    for chunk in with_sessions.chunks(900) {
        for t in training::Entity::find()
            .filter(training::Column::Form.eq(anpei_core::TrainingForm::Online.code()))
            .filter(training::Column::PersonId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            claims.push(ClaimFacts {
                id: t.id.into(),
                subject_id: t.subject_id.into(),
                person_id: t.person_id.into(),
                start: t.start_at,
                end: t.end_at,
                hours: t.theory_hours + t.practical_hours,
            });
        }
    }
    Ok(OnlineLog {
        sessions,
        face_checks,
        exams,
        claims,
    })
}

/// A subject whose 网络培训 the pages show: a training institution (the sessions it uploaded)
/// or an employer (its workers' sessions, whoever uploaded them).
fn of_subject(s: &subject::Model) -> Condition {
    if s.kind == SubjectKind::TrainingInstitution {
        Condition::all().add(session::Column::ProviderId.eq(s.id))
    } else {
        Condition::all().add(session::Column::SubjectId.eq(s.id))
    }
}

/// One session as the pages show it.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub session: session::Model,
    pub course_title: Option<String>,
}

/// One person's sessions and face checks of one day.
#[derive(Debug, Clone)]
pub struct PersonDay {
    pub person_id: i32,
    pub name: String,
    pub id_masked: String,
    pub day: NaiveDate,
    pub sessions: Vec<SessionView>,
    pub face_checks: Vec<face::Model>,
}

/// A device or address a subject's sessions used, with how many persons and sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub value: String,
    pub persons: usize,
    pub sessions: usize,
    pub first: NaiveDateTime,
    pub last: NaiveDateTime,
}

/// A subject's 网络培训 page.
#[derive(Debug, Clone)]
pub struct Overview {
    pub subject: subject::Model,
    /// Sessions in all (not only those shown).
    pub sessions: u64,
    pub persons: u64,
    /// The days shown, latest first, each person's sessions of the day.
    pub days: Vec<PersonDay>,
    pub devices: Vec<Usage>,
    pub addresses: Vec<Usage>,
}

/// The person-days a page shows at most (the latest).
pub const DAYS_SHOWN: usize = 60;

/// A subject's 网络培训 in `scope` (`None`: not in scope, or no such subject), showing the
/// person-days of `day` when given, else the latest [`DAYS_SHOWN`].
pub async fn overview(
    store: &Store,
    scope: &Scope,
    subject_id: i32,
    day: Option<NaiveDate>,
) -> StoreResult<Option<Overview>> {
    let Some(subject) = scope::subjects(scope)
        .filter(subject::Column::Id.eq(subject_id))
        .one(&store.db)
        .await?
    else {
        return Ok(None);
    };
    let db = &store.db;
    let rows = session::Entity::find()
        .filter(of_subject(&subject))
        .order_by_desc(session::Column::StartAt)
        .order_by_asc(session::Column::Id)
        .all(db)
        .await?;
    let sessions = rows.len() as u64;
    let persons: HashSet<i32> = rows.iter().map(|s| s.person_id).collect();
    let devices = usage(&rows, |s| s.device.clone());
    let addresses = usage(&rows, |s| s.ip.clone());
    // The person-days to show: those of `day`, or the latest.
    let mut keys: Vec<(NaiveDate, i32)> = Vec::new();
    let mut seen = HashSet::new();
    for s in &rows {
        let k = (s.start_at.date(), s.person_id);
        if day.is_none_or(|d| d == k.0) && seen.insert(k) {
            keys.push(k);
            if keys.len() == DAYS_SHOWN {
                break;
            }
        }
    }
    let days = person_days(store, &rows, &keys).await?;
    Ok(Some(Overview {
        subject,
        sessions,
        persons: persons.len() as u64,
        days,
        devices,
        addresses,
    }))
}

/// The sessions of `rows` and the face checks of the person-days `keys`, in the order of
/// `keys`.
async fn person_days(
    store: &Store,
    rows: &[session::Model],
    keys: &[(NaiveDate, i32)],
) -> StoreResult<Vec<PersonDay>> {
    let db = &store.db;
    let pids: Vec<i32> = keys
        .iter()
        .map(|k| k.1)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let people: HashMap<i32, (String, String)> = person::Entity::find()
        .filter(person::Column::Id.is_in(pids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, (p.name, p.id_masked)))
        .collect();
    let courses: HashMap<(String, String), String> = course::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| ((c.platform, c.course_no), c.title))
        .collect();
    let (lo, hi) = match (
        keys.iter().map(|k| k.0).min(),
        keys.iter().map(|k| k.0).max(),
    ) {
        (Some(a), Some(b)) => (a, b),
        _ => return Ok(Vec::new()),
    };
    let checks = face::Entity::find()
        .filter(face::Column::PersonId.is_in(pids))
        .filter(face::Column::At.gte(lo.and_time(chrono::NaiveTime::MIN)))
        .filter(face::Column::At.lt(hi.succ_opt().unwrap_or(hi).and_time(chrono::NaiveTime::MIN)))
        .order_by_asc(face::Column::At)
        .all(db)
        .await?;
    let mut out: Vec<PersonDay> = Vec::with_capacity(keys.len());
    for &(d, pid) in keys {
        let (name, id_masked) = people.get(&pid).cloned().unwrap_or_default();
        let mut sessions: Vec<SessionView> = rows
            .iter()
            .filter(|s| s.person_id == pid && s.start_at.date() == d)
            .map(|s| SessionView {
                course_title: courses
                    .get(&(s.platform.clone(), s.course_no.clone()))
                    .cloned(),
                session: s.clone(),
            })
            .collect();
        sessions.sort_by_key(|s| (s.session.start_at, s.session.id));
        let face_checks = checks
            .iter()
            .filter(|c| c.person_id == pid && c.at.date() == d)
            .cloned()
            .collect();
        out.push(PersonDay {
            person_id: pid,
            name,
            id_masked,
            day: d,
            sessions,
            face_checks,
        });
    }
    // The latest day first; within a day, in the order the persons began.
    out.sort_by(|a, b| {
        let first = |p: &PersonDay| {
            p.sessions
                .first()
                .map(|s| (s.session.start_at, s.session.id))
        };
        b.day.cmp(&a.day).then(first(a).cmp(&first(b)))
    });
    Ok(out)
}

/// Sessions by the value `of` picks (a device, an address), most persons first.
fn usage(rows: &[session::Model], of: impl Fn(&session::Model) -> Option<String>) -> Vec<Usage> {
    let mut by: BTreeMap<String, (HashSet<i32>, usize, NaiveDateTime, NaiveDateTime)> =
        BTreeMap::new();
    for s in rows {
        let Some(v) = of(s).filter(|v| !v.is_empty()) else {
            continue;
        };
        let e = by
            .entry(v)
            .or_insert_with(|| (HashSet::new(), 0, s.start_at, s.start_at));
        e.0.insert(s.person_id);
        e.1 += 1;
        e.2 = e.2.min(s.start_at);
        e.3 = e.3.max(s.start_at);
    }
    let mut out: Vec<Usage> = by
        .into_iter()
        .map(|(value, (p, n, first, last))| Usage {
            value,
            persons: p.len(),
            sessions: n,
            first,
            last,
        })
        .collect();
    out.sort_by(|a, b| b.persons.cmp(&a.persons).then(a.value.cmp(&b.value)));
    out
}

/// One device's use, as far as `scope` may see: every session on it of subjects in scope,
/// by day and person (the 代学 picture on one page).
#[derive(Debug, Clone)]
pub struct DeviceView {
    pub device: String,
    pub days: Vec<PersonDay>,
    /// Distinct persons.
    pub persons: usize,
    /// Subjects (employers or institutions) whose sessions used it, by name.
    pub subjects: Vec<(i32, String)>,
}

/// The sessions on `device` that `scope` may see (`None`: none).
pub async fn device(store: &Store, scope: &Scope, device: &str) -> StoreResult<Option<DeviceView>> {
    let db = &store.db;
    let rows = session::Entity::find()
        .filter(session::Column::Device.eq(device))
        .order_by_desc(session::Column::StartAt)
        .order_by_asc(session::Column::Id)
        .all(db)
        .await?;
    let ids: HashSet<i32> = rows
        .iter()
        .flat_map(|s| [Some(s.subject_id), s.provider_id])
        .flatten()
        .collect();
    let visible: HashMap<i32, String> = scope::subjects(scope)
        .filter(subject::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let rows: Vec<session::Model> = rows
        .into_iter()
        .filter(|s| {
            visible.contains_key(&s.subject_id)
                || s.provider_id.is_some_and(|p| visible.contains_key(&p))
        })
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    let mut keys = Vec::new();
    let mut seen = HashSet::new();
    for s in &rows {
        let k = (s.start_at.date(), s.person_id);
        if seen.insert(k) {
            keys.push(k);
        }
    }
    let persons = rows
        .iter()
        .map(|s| s.person_id)
        .collect::<HashSet<_>>()
        .len();
    let mut subjects: Vec<(i32, String)> = visible.into_iter().collect();
    subjects.sort_by(|a, b| a.1.cmp(&b.1));
    let days = person_days(store, &rows, &keys).await?;
    Ok(Some(DeviceView {
        device: device.to_string(),
        days,
        persons,
        subjects,
    }))
}

/// A subject in a list of 网络培训: sessions and persons of its logs.
#[derive(Debug, Clone)]
pub struct SubjectLogs {
    pub subject: subject::Model,
    pub sessions: u64,
    pub persons: u64,
    pub last: Option<NaiveDateTime>,
}

/// The subjects in `scope` with online-training logs: training institutions by the sessions
/// they uploaded, employers by their workers' sessions; most sessions first.
pub async fn subjects(store: &Store, scope: &Scope) -> StoreResult<Vec<SubjectLogs>> {
    let db = store.reads().await;
    let mut by: HashMap<i32, (u64, HashSet<i32>, Option<NaiveDateTime>)> = HashMap::new();
    let rows: Vec<(i32, Option<i32>, i32, NaiveDateTime)> = session::Entity::find()
        .select_only()
        .columns([
            session::Column::SubjectId,
            session::Column::ProviderId,
            session::Column::PersonId,
            session::Column::StartAt,
        ])
        .into_tuple()
        .all(db)
        .await?;
    for (s, p, person, at) in rows {
        for id in [Some(s), p].into_iter().flatten() {
            let e = by.entry(id).or_default();
            e.0 += 1;
            e.1.insert(person);
            e.2 = e.2.max(Some(at));
        }
    }
    let ids: Vec<i32> = by.keys().copied().collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(900) {
        for s in scope::subjects(scope)
            .filter(subject::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            if let Some((n, p, last)) = by.remove(&s.id) {
                out.push(SubjectLogs {
                    subject: s,
                    sessions: n,
                    persons: p.len() as u64,
                    last,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        b.sessions
            .cmp(&a.sessions)
            .then(a.subject.name.cmp(&b.subject.name))
    });
    Ok(out)
}
