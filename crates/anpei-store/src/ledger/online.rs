//! The logs of online-training platforms: the facts the seven online checks read (part by part:
//! a range of persons for the checks that look at one person, a range of devices for the shared
//! device, which crosses employers and institutions), and what the
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
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::{HashMap, HashSet};

/// Which log rows a part of the online checks reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part<'a> {
    /// Everything (a small installation, the tests' reference).
    All,
    /// The sessions, face checks, exams and online training records of persons `first..=last`
    /// by id: every check but the shared device's looks at one person at a time.
    Persons(i32, i32),
    /// The sessions on devices after the first (exclusive, `None`: from the first) up to the
    /// second (inclusive, `None`: to the last), for the shared-device check.
    Devices(Option<&'a str>, Option<&'a str>),
    /// The rows of these persons (as [`Part::Persons`]).
    PersonIds(&'a [i32]),
    /// The sessions on these devices (as [`Part::Devices`]).
    DeviceList(&'a [String]),
}

fn exam_facts(e: exam::Model) -> ExamFacts {
    ExamFacts {
        id: e.id.into(),
        subject_id: e.provider_id.unwrap_or(e.subject_id).into(),
        person_id: e.person_id.into(),
        platform: e.platform,
        exam_no: e.exam_no,
        start: e.start_at,
        end: e.end_at,
        questions: e.questions,
        score: e.score,
    }
}

fn session_facts(s: session::Model) -> SessionFacts {
    SessionFacts {
        id: s.id.into(),
        subject_id: s.provider_id.unwrap_or(s.subject_id).into(),
        person_id: s.person_id.into(),
        name: String::new(),
        platform: s.platform,
        course: s.course_no,
        start: s.start_at,
        end: s.end_at,
        progress_secs: s.progress_secs,
        device: s.device.unwrap_or_default(),
    }
}

/// The rows the online checks read for `part`: its sessions, and (but for a part of devices)
/// the face checks and exams of its persons and the ledger's online training records of those
/// who have sessions. On SQLite the big tables (sessions, face checks) are read as text in
/// chunks, the driver's per-row cost being most of a row-by-row read.
#[tracing::instrument(skip_all)]
pub async fn load(store: &Store, part: Part<'_>) -> StoreResult<OnlineLog> {
    let mut sessions = sessions_of(store, part).await?;
    let with_sessions: Vec<i32> = sessions
        .iter()
        .map(|s| s.person_id as i32)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let names = names_of(store, &with_sessions).await?;
    for s in &mut sessions {
        if let Some(n) = names.get(&(s.person_id as i32)) {
            s.name.clone_from(n);
        }
    }
    if matches!(part, Part::Devices(..) | Part::DeviceList(_)) {
        return Ok(OnlineLog {
            sessions,
            ..OnlineLog::default()
        });
    }
    Ok(OnlineLog {
        sessions,
        face_checks: face_checks_of(store, part).await?,
        exams: exams_of(store, part).await?,
        claims: claims_of(store, part, &with_sessions).await?,
    })
}

/// The names of `persons`, for the findings' details.
async fn names_of(store: &Store, persons: &[i32]) -> StoreResult<HashMap<i32, String>> {
    let mut names = HashMap::new();
    for chunk in persons.chunks(900) {
        names.extend(
            person::Entity::find()
                .select_only()
                .columns([person::Column::Id, person::Column::Name])
                .filter(person::Column::Id.is_in(chunk.to_vec()))
                .into_tuple::<(i32, String)>()
                .all(&store.db)
                .await?,
        );
    }
    Ok(names)
}

/// The sessions of `part` (names left empty).
async fn sessions_of(store: &Store, part: Part<'_>) -> StoreResult<Vec<SessionFacts>> {
    use crate::ledger::facts::{parse_sqlite_datetime, sqlite_bulk_rows_bound};
    if store.backend() != sea_orm::DbBackend::Sqlite {
        let mut q = session::Entity::find();
        match part {
            Part::All => {}
            Part::Persons(a, b) => q = q.filter(session::Column::PersonId.between(a, b)),
            Part::PersonIds(ids) => q = q.filter(session::Column::PersonId.is_in(ids.to_vec())),
            Part::DeviceList(list) => q = q.filter(session::Column::Device.is_in(list.to_vec())),
            Part::Devices(after, upto) => {
                q = q.filter(session::Column::Device.is_not_null());
                if let Some(a) = after {
                    q = q.filter(session::Column::Device.gt(a));
                }
                if let Some(b) = upto {
                    q = q.filter(session::Column::Device.lte(b));
                }
            }
        }
        return Ok(q
            .all(&store.db)
            .await?
            .into_iter()
            .map(session_facts)
            .collect());
    }
    let (filter, values) = sqlite_filter(part, true);
    let cols = [
        "id",
        "subject_id",
        "provider_id",
        "person_id",
        "platform",
        "course_no",
        "start_at",
        "end_at",
        "progress_secs",
        "device",
    ];
    let rows =
        sqlite_bulk_rows_bound(&store.db, "online_sessions", &cols, &filter, &values).await?;
    let mut sessions = Vec::new();
    for r in rows.rows() {
        let f: Vec<&str> = r.split('\u{1f}').collect();
        let [id, subject, provider, person, platform, course, start, end, progress, device] =
            f.as_slice()
        else {
            continue;
        };
        let (Ok(id), Ok(subject), Ok(person), Some(start), Some(end), Ok(progress)) = (
            id.parse::<i64>(),
            subject.parse::<i64>(),
            person.parse::<i64>(),
            parse_sqlite_datetime(start),
            parse_sqlite_datetime(end),
            progress.parse::<i64>(),
        ) else {
            continue;
        };
        sessions.push(SessionFacts {
            id,
            subject_id: provider.parse::<i64>().unwrap_or(subject),
            person_id: person,
            name: String::new(),
            platform: platform.to_string(),
            course: course.to_string(),
            start,
            end,
            progress_secs: progress,
            device: device.to_string(),
        });
    }
    Ok(sessions)
}

/// The face checks of `part`'s persons.
async fn face_checks_of(store: &Store, part: Part<'_>) -> StoreResult<Vec<FaceCheckFacts>> {
    use crate::ledger::facts::{parse_sqlite_datetime, sqlite_bulk_rows_bound};
    if store.backend() != sea_orm::DbBackend::Sqlite {
        let mut q = face::Entity::find();
        match part {
            Part::Persons(a, b) => q = q.filter(face::Column::PersonId.between(a, b)),
            Part::PersonIds(ids) => q = q.filter(face::Column::PersonId.is_in(ids.to_vec())),
            _ => {}
        }
        return Ok(q
            .all(&store.db)
            .await?
            .into_iter()
            .map(|f| FaceCheckFacts {
                id: f.id.into(),
                person_id: f.person_id.into(),
                platform: f.platform,
                at: f.at,
                passed: f.passed,
            })
            .collect());
    }
    let (filter, values) = sqlite_filter(part, false);
    let cols = ["id", "person_id", "platform", "at", "passed"];
    let rows =
        sqlite_bulk_rows_bound(&store.db, "online_face_checks", &cols, &filter, &values).await?;
    let mut face_checks = Vec::new();
    for r in rows.rows() {
        let f: Vec<&str> = r.split('\u{1f}').collect();
        let [id, person, platform, at, passed] = f.as_slice() else {
            continue;
        };
        let (Ok(id), Ok(person), Some(at)) = (
            id.parse::<i64>(),
            person.parse::<i64>(),
            parse_sqlite_datetime(at),
        ) else {
            continue;
        };
        face_checks.push(FaceCheckFacts {
            id,
            person_id: person,
            platform: platform.to_string(),
            at,
            passed: *passed == "1",
        });
    }
    Ok(face_checks)
}

/// The online exams of `part`'s persons (few: read as rows on either database).
async fn exams_of(store: &Store, part: Part<'_>) -> StoreResult<Vec<ExamFacts>> {
    let mut q = exam::Entity::find();
    match part {
        Part::Persons(a, b) => q = q.filter(exam::Column::PersonId.between(a, b)),
        Part::PersonIds(ids) => q = q.filter(exam::Column::PersonId.is_in(ids.to_vec())),
        _ => {}
    }
    Ok(q.all(&store.db)
        .await?
        .into_iter()
        .map(exam_facts)
        .collect())
}

/// The filter of `part` over a table's `person_id` (and, for sessions, `device`) as SQL with
/// `?` parameters, for [`crate::ledger::facts::sqlite_bulk_rows_bound`].
fn sqlite_filter(part: Part<'_>, sessions: bool) -> (String, Vec<sea_orm::Value>) {
    let marks = |n: usize| vec!["?"; n].join(",");
    match part {
        Part::All => (String::new(), Vec::new()),
        Part::Persons(a, b) => (
            "AND person_id BETWEEN ? AND ?".into(),
            vec![a.into(), b.into()],
        ),
        Part::PersonIds(ids) => (
            format!("AND person_id IN ({})", marks(ids.len().max(1))),
            if ids.is_empty() {
                vec![sea_orm::Value::Int(None)]
            } else {
                ids.iter().map(|&i| i.into()).collect()
            },
        ),
        Part::Devices(after, upto) if sessions => {
            let mut sql = "AND device IS NOT NULL".to_string();
            let mut v = Vec::new();
            if let Some(a) = after {
                sql.push_str(" AND device > ?");
                v.push(a.into());
            }
            if let Some(b) = upto {
                sql.push_str(" AND device <= ?");
                v.push(b.into());
            }
            (sql, v)
        }
        Part::DeviceList(list) if sessions => (
            format!("AND device IN ({})", marks(list.len().max(1))),
            if list.is_empty() {
                vec![sea_orm::Value::String(None)]
            } else {
                list.iter().map(|d| d.as_str().into()).collect()
            },
        ),
        // Face checks and exams are read by person only.
        Part::Devices(..) | Part::DeviceList(_) => ("AND 1 = 0".into(), Vec::new()),
    }
}

/// The ledger's online training records of `persons` (those of a part with sessions).
async fn claims_of(store: &Store, part: Part<'_>, persons: &[i32]) -> StoreResult<Vec<ClaimFacts>> {
    use crate::ledger::facts::{parse_sqlite_datetime, sqlite_bulk_rows_bound};
    let online = anpei_core::TrainingForm::Online.code();
    let mut claims = Vec::new();
    if let (Part::Persons(a, b), sea_orm::DbBackend::Sqlite) = (part, store.backend()) {
        // One read of the range's online records as text, kept for the persons with sessions.
        let wanted: HashSet<i64> = persons.iter().map(|&p| i64::from(p)).collect();
        let cols = [
            "id",
            "subject_id",
            "person_id",
            "start_at",
            "end_at",
            "theory_hours",
            "practical_hours",
        ];
        let rows = sqlite_bulk_rows_bound(
            &store.db,
            "trainings",
            &cols,
            "AND person_id BETWEEN ? AND ? AND form = ?",
            &[a.into(), b.into(), online.into()],
        )
        .await?;
        for r in rows.rows() {
            let f: Vec<&str> = r.split('\u{1f}').collect();
            let [id, subject, person, start, end, theory, practical] = f.as_slice() else {
                continue;
            };
            let (Ok(id), Ok(subject), Ok(person), Some(start), Some(end), Ok(t), Ok(p)) = (
                id.parse::<i64>(),
                subject.parse::<i64>(),
                person.parse::<i64>(),
                parse_sqlite_datetime(start),
                parse_sqlite_datetime(end),
                theory.parse::<f64>(),
                practical.parse::<f64>(),
            ) else {
                continue;
            };
            if wanted.contains(&person) {
                claims.push(ClaimFacts {
                    id,
                    subject_id: subject,
                    person_id: person,
                    start,
                    end,
                    hours: t + p,
                });
            }
        }
        return Ok(claims);
    }
    type Row = (i32, i32, i32, NaiveDateTime, NaiveDateTime, f64, f64);
    for chunk in persons.chunks(900) {
        let rows: Vec<Row> = training::Entity::find()
            .filter(training::Column::Form.eq(online))
            .filter(training::Column::PersonId.is_in(chunk.to_vec()))
            .select_only()
            .columns([
                training::Column::Id,
                training::Column::SubjectId,
                training::Column::PersonId,
                training::Column::StartAt,
                training::Column::EndAt,
                training::Column::TheoryHours,
                training::Column::PracticalHours,
            ])
            .into_tuple()
            .all(&store.db)
            .await?;
        for (id, subject, person, start, end, t, p) in rows {
            claims.push(ClaimFacts {
                id: id.into(),
                subject_id: subject.into(),
                person_id: person.into(),
                start,
                end,
                hours: t + p,
            });
        }
    }
    Ok(claims)
}

/// The persons whose logs name subject `s` (their sessions' employer or uploading institution,
/// their exams') and the devices those sessions used: what a re-check of `s` reads.
pub async fn persons_and_devices_of(store: &Store, s: i32) -> StoreResult<(Vec<i32>, Vec<String>)> {
    let db = &store.db;
    let mine = Condition::any()
        .add(session::Column::SubjectId.eq(s))
        .add(session::Column::ProviderId.eq(s));
    let rows: Vec<(i32, Option<String>)> = session::Entity::find()
        .filter(mine)
        .select_only()
        .columns([session::Column::PersonId, session::Column::Device])
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let exams: Vec<i32> = exam::Entity::find()
        .filter(
            Condition::any()
                .add(exam::Column::SubjectId.eq(s))
                .add(exam::Column::ProviderId.eq(s)),
        )
        .select_only()
        .column(exam::Column::PersonId)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let mut persons: Vec<i32> = rows.iter().map(|r| r.0).chain(exams).collect();
    persons.sort_unstable();
    persons.dedup();
    let mut devices: Vec<String> = rows.into_iter().filter_map(|r| r.1).collect();
    devices.sort_unstable();
    devices.dedup();
    Ok((persons, devices))
}

/// The parts of devices of about `size` sessions each, in order: `(after, upto)` bounds of
/// [`Part::Devices`], a device never split between two parts. Found by stepping through the
/// sessions' device index, `size` rows at a time.
pub async fn device_parts(
    store: &Store,
    size: u64,
) -> StoreResult<Vec<(Option<String>, Option<String>)>> {
    let size = size.max(1);
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut q = session::Entity::find()
            .select_only()
            .column(session::Column::Device)
            .filter(session::Column::Device.is_not_null());
        if let Some(a) = &after {
            q = q.filter(session::Column::Device.gt(a.as_str()));
        }
        let upto: Option<Option<String>> = q
            .order_by_asc(session::Column::Device)
            .offset(size - 1)
            .limit(1)
            .into_tuple()
            .one(&store.db)
            .await?;
        match upto.flatten() {
            Some(u) => {
                out.push((after.clone(), Some(u.clone())));
                after = Some(u);
            }
            None => {
                out.push((after, None));
                return Ok(out);
            }
        }
    }
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
/// The latest sessions a page reads to find its person-days.
const SESSIONS_READ: u64 = 3000;
/// The devices (and addresses) a page lists at most, most persons first.
pub const USAGE_SHOWN: u64 = 100;

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
    let db = store.reads().await;
    let cond = of_subject(&subject);
    let sessions = session::Entity::find()
        .filter(cond.clone())
        .count(db)
        .await?;
    let persons = session::Entity::find()
        .filter(cond.clone())
        .select_only()
        .column(session::Column::PersonId)
        .distinct()
        .count(db)
        .await?;
    let devices = usage(db, cond.clone(), session::Column::Device).await?;
    let addresses = usage(db, cond.clone(), session::Column::Ip).await?;
    // The person-days to show: those of `day`, or the latest, read from the latest sessions
    // (a bounded read whatever the subject's size).
    let mut q = session::Entity::find().filter(cond);
    if let Some(d) = day {
        let midnight = d.and_time(chrono::NaiveTime::MIN);
        q = q
            .filter(session::Column::StartAt.gte(midnight))
            .filter(session::Column::StartAt.lt(midnight + chrono::TimeDelta::days(1)));
    }
    let rows = q
        .order_by_desc(session::Column::StartAt)
        .order_by_asc(session::Column::Id)
        .limit(SESSIONS_READ)
        .all(db)
        .await?;
    let mut keys: Vec<(NaiveDate, i32)> = Vec::new();
    let mut seen = HashSet::new();
    for s in &rows {
        let k = (s.start_at.date(), s.person_id);
        if seen.insert(k) {
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
        persons,
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
        // The checks of the platforms these sessions were on (another platform's are not the
        // page's to show).
        let face_checks = checks
            .iter()
            .filter(|c| c.person_id == pid && c.at.date() == d)
            .filter(|c| sessions.iter().any(|s| s.session.platform == c.platform))
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

/// Sessions by the value of `col` (a device, an address) of the subject's sessions: persons,
/// sessions, first and last use; most persons first, at most [`USAGE_SHOWN`].
async fn usage(
    db: &sea_orm::DatabaseConnection,
    cond: Condition,
    col: session::Column,
) -> StoreResult<Vec<Usage>> {
    use sea_orm::sea_query::{Expr, Order};
    let persons = Expr::cust("COUNT(DISTINCT person_id)");
    let rows: Vec<(String, i64, i64, NaiveDateTime, NaiveDateTime)> = session::Entity::find()
        .filter(cond)
        .filter(col.is_not_null())
        .filter(col.ne(""))
        .select_only()
        .column(col)
        .column_as(persons, "persons")
        .column_as(session::Column::Id.count(), "sessions")
        .column_as(session::Column::StartAt.min(), "first")
        .column_as(session::Column::StartAt.max(), "last")
        .group_by(col)
        .order_by(Expr::cust("persons"), Order::Desc)
        .order_by(col, Order::Asc)
        .limit(USAGE_SHOWN)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(value, p, n, first, last)| Usage {
            value,
            persons: p as usize,
            sessions: n as usize,
            first,
            last,
        })
        .collect())
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
        .limit(SESSIONS_READ)
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
    use sea_orm::sea_query::Expr;
    let db = store.reads().await;
    // Per employer and per uploading institution: sessions, persons, the latest start.
    let mut by: HashMap<i32, (u64, u64, Option<NaiveDateTime>)> = HashMap::new();
    for col in [session::Column::SubjectId, session::Column::ProviderId] {
        let rows: Vec<(Option<i32>, i64, i64, Option<NaiveDateTime>)> = session::Entity::find()
            .filter(col.is_not_null())
            .select_only()
            .column(col)
            .column_as(session::Column::Id.count(), "sessions")
            .column_as(Expr::cust("COUNT(DISTINCT person_id)"), "persons")
            .column_as(session::Column::StartAt.max(), "last")
            .group_by(col)
            .into_tuple()
            .all(db)
            .await?;
        for (id, n, p, last) in rows {
            if let Some(id) = id {
                let e = by.entry(id).or_default();
                e.0 += n as u64;
                e.1 = e.1.max(p as u64);
                e.2 = e.2.max(last);
            }
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
                    persons: p,
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
