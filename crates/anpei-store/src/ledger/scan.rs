//! One scan: the ledger checks of the rule catalogue and the checks on training and exam records,
//! as of a date — for one subject ([`run`]), or for the whole installation or one district of a
//! city part by part in bounded memory ([`run_whole_in`], each part merged as it goes). The pure
//! engines run on a blocking thread. What a scope may re-scan at once is
//! `registry::reference::acts_for`.

use super::facts::Which;
use super::findings::{self, Merge};
use super::{facts, online, records};
use crate::entity::person;
use crate::platform::audit::Actor;
use crate::{Store, StoreError, StoreResult};
use anpei_core::ledger::rules::{self, online::scan_online, records::scan_records, Finding, Rule};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// The findings of every check, for the district (`None`) or one subject.
pub async fn run(
    store: &Store,
    subject_id: Option<i32>,
    as_of: NaiveDate,
) -> StoreResult<Vec<Finding>> {
    let (ledger, recs, mut on_logs) = tokio::try_join!(
        facts::load(store, subject_id),
        records::load(store),
        run_online(store)
    )?;
    let params = store.params.clone();
    tokio::task::spawn_blocking(move || {
        let mut found = rules::scan(&ledger, as_of, &params);
        let mut others = scan_records(&recs, as_of, &params);
        others.append(&mut on_logs);
        if let Some(s) = subject_id {
            others.retain(|f| f.subject_id == i64::from(s));
        }
        found.append(&mut others);
        found
    })
    .await
    .map_err(engine_failed)
}

/// The findings of the checks on training and exam records alone, for the whole district
/// (what an upload of such records can change, at its own subject and at others: a teacher
/// double-booked across two institutions). Merge them with
/// `findings::merge_rules(…, None, Some(&Rule::RECORDS), …)`.
pub async fn run_records(store: &Store, as_of: NaiveDate) -> StoreResult<Vec<Finding>> {
    let recs = records::load(store).await?;
    let params = store.params.clone();
    tokio::task::spawn_blocking(move || scan_records(&recs, as_of, &params))
        .await
        .map_err(engine_failed)
}

/// Sessions per part of the shared-device check of a whole scan.
pub const PART_SESSIONS: u64 = 200_000;

/// The findings of the checks on online-training platforms' logs, for the whole installation,
/// in bounded memory: the checks that look at one person at a time part by part of
/// [`PART_PERSONS`] persons, the shared device part by part of devices (about
/// [`PART_SESSIONS`] sessions each). The same findings as one pass over every row
/// ([`online::Part::All`]). Merge them with `findings::merge_rules(…, None, Some(&Rule::ONLINE), …)`.
pub async fn run_online(store: &Store) -> StoreResult<Vec<Finding>> {
    run_online_in_parts(store, PART_PERSONS, PART_SESSIONS).await
}

/// [`run_online`] with parts of the given sizes.
pub async fn run_online_in_parts(
    store: &Store,
    part_persons: u64,
    part_sessions: u64,
) -> StoreResult<Vec<Finding>> {
    let mut found = Vec::new();
    for (a, b) in parts(store, part_persons).await? {
        found.extend(check_part(store, online::Part::Persons(a, b)).await?);
    }
    for (after, upto) in online::device_parts(store, part_sessions).await? {
        let part = online::Part::Devices(after.as_deref(), upto.as_deref());
        found.extend(check_part(store, part).await?);
    }
    Ok(found)
}

/// The findings one part of the online checks owns: of a part of devices the shared device's,
/// of a part of persons every other check's (each looks at one person at a time).
async fn check_part(store: &Store, part: online::Part<'_>) -> StoreResult<Vec<Finding>> {
    let devices = matches!(
        part,
        online::Part::Devices(..) | online::Part::DeviceList(_)
    );
    let logs = online::load(store, part).await?;
    let mut found = check_online(store, logs).await?;
    found.retain(|f| (f.rule == Rule::OnlineDeviceShared) == devices);
    Ok(found)
}

/// Re-runs the online checks after an upload of logs in `scope`, as `actor`, and merges their
/// findings: for a subject's own upload (a training institution's, an enterprise's) over the
/// logs of its persons and the devices they used, the findings filed under it; for a
/// supervisor's, over everything ([`run_online`]).
pub async fn recheck_online(
    store: &Store,
    actor: &Actor,
    scope: &crate::Scope,
) -> StoreResult<findings::Merge> {
    let as_of = store.today();
    let crate::Reach::Subject(s) = scope.reach() else {
        let found = run_online(store).await?;
        return findings::merge_which(store, actor, Which::All, Some(&Rule::ONLINE), as_of, &found)
            .await;
    };
    let (persons, devices) = online::persons_and_devices_of(store, s).await?;
    let mut found = Vec::new();
    for chunk in persons.chunks(PART_PERSONS as usize) {
        found.extend(check_part(store, online::Part::PersonIds(chunk)).await?);
    }
    for chunk in devices.chunks(900) {
        found.extend(check_part(store, online::Part::DeviceList(chunk)).await?);
    }
    found.retain(|f| f.subject_id == i64::from(s));
    findings::merge_which(
        store,
        actor,
        Which::Subject(s),
        Some(&Rule::ONLINE),
        as_of,
        &found,
    )
    .await
}

/// The online checks over `logs`, on a blocking thread.
pub async fn check_online(
    store: &Store,
    logs: anpei_core::ledger::rules::online::OnlineLog,
) -> StoreResult<Vec<Finding>> {
    if logs.sessions.is_empty() && logs.exams.is_empty() {
        return Ok(Vec::new());
    }
    let params = store.params.clone();
    tokio::task::spawn_blocking(move || scan_online(&logs, &params))
        .await
        .map_err(engine_failed)
}

/// The blocking task of a scan ended without an answer (it panicked): a server error, with
/// the cause for the log only.
fn engine_failed(e: tokio::task::JoinError) -> StoreError {
    StoreError::Db(sea_orm::DbErr::Custom(format!(
        "rule engine task failed: {e}"
    )))
}

/// Persons per part of a whole scan: what one part holds in memory (its persons,
/// certificates, training records, registry entries and findings) stays in the tens of
/// megabytes whatever the installation's size.
pub const PART_PERSONS: u64 = 20_000;

/// The parts of a whole scan: person-id ranges of about `size` persons each (of district
/// `district`'s subjects only, when named), in order, covering every id (the first from
/// `i32::MIN`, the last to `i32::MAX`, so that the findings of persons deleted since the last
/// scan are resolved too). Found by stepping through the primary key, `size` rows at a time.
pub async fn parts(store: &Store, size: u64) -> StoreResult<Vec<(i32, i32)>> {
    parts_in(store, None, size).await
}

/// [`parts`] of one district's persons (`None`: everyone's).
pub async fn parts_in(
    store: &Store,
    district: Option<i32>,
    size: u64,
) -> StoreResult<Vec<(i32, i32)>> {
    let size = size.max(1);
    let mut out = Vec::new();
    let mut first = i32::MIN;
    loop {
        let mut q = person::Entity::find()
            .select_only()
            .column(person::Column::Id)
            .filter(person::Column::Id.gte(first));
        if let Some(d) = district {
            q = q.filter(sea_orm::sea_query::Expr::cust(facts::subject_in_district(
                "persons.subject_id",
                d,
            )));
        }
        let last: Option<i32> = q
            .order_by_asc(person::Column::Id)
            .offset(size - 1)
            .limit(1)
            .into_tuple()
            .one(&store.db)
            .await?;
        match last {
            Some(l) if l < i32::MAX => {
                out.push((first, l));
                first = l + 1;
            }
            _ => {
                out.push((first, i32::MAX));
                return Ok(out);
            }
        }
    }
}

/// What a whole scan did: the findings merged (when saved) and found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Whole {
    pub merge: Merge,
    pub found: u64,
    pub parts: usize,
}

/// The whole installation scanned in bounded memory: the ledger checks part by part
/// ([`parts`], `part_persons` persons each) — each part's facts loaded, checked on a
/// blocking thread, handed to `each`, and, when `save` names the actor, merged into the stored
/// findings of its persons in its own transaction — then the checks on training and exam
/// records and on online-training logs over everything, merged for their rules. The findings are those of [`run`] over the
/// whole installation (the ledger checks look at one person at a time; a part's registry
/// entries are those of its certificates' numbers).
pub async fn run_whole<E: From<StoreError>>(
    store: &Store,
    save: Option<&Actor>,
    as_of: NaiveDate,
    part_persons: u64,
    each: impl AsyncFnMut(&[Finding]) -> Result<(), E>,
) -> Result<Whole, E> {
    run_whole_in(store, None, save, as_of, part_persons, each).await
}

/// [`run_whole`] over one district (`Some`): its persons part by part, and of the records
/// checks (which look across districts: a teacher booked in two) the findings of its subjects
/// only; the other districts' stored findings are left as they are.
pub async fn run_whole_in<E: From<StoreError>>(
    store: &Store,
    district: Option<i32>,
    save: Option<&Actor>,
    as_of: NaiveDate,
    part_persons: u64,
    mut each: impl AsyncFnMut(&[Finding]) -> Result<(), E>,
) -> Result<Whole, E> {
    let mut w = Whole::default();
    let parts = parts_in(store, district, part_persons).await?;
    w.parts = parts.len();
    // The ledger may be read from a standby that has replayed every write committed before
    // the scan began.
    let seen = store.primary_position().await?;
    for (a, b) in parts {
        let which = Which::Persons(a, b, district);
        let (ledger, _) =
            crate::platform::replica::read_after(seen, facts::load_which(store, which)).await;
        let ledger = ledger?;
        let params = store.params.clone();
        let found = tokio::task::spawn_blocking(move || rules::scan(&ledger, as_of, &params))
            .await
            .map_err(engine_failed)?;
        w.found += found.len() as u64;
        each(&found).await?;
        if let Some(actor) = save {
            let m = findings::merge_which(store, actor, which, Some(&Rule::LEDGER), as_of, &found)
                .await?;
            w.merge.add(m);
        }
    }
    let mine: Option<std::collections::HashSet<i64>> = match district {
        None => None,
        Some(d) => Some(
            crate::registry::reference::subject_ids_in_district(store, d)
                .await?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
    };
    let which = district.map_or(Which::All, Which::District);
    for rules in [&Rule::RECORDS[..], &Rule::ONLINE[..]] {
        let mut found = if rules == Rule::RECORDS {
            run_records(store, as_of).await?
        } else {
            run_online(store).await?
        };
        if let Some(mine) = &mine {
            found.retain(|f| mine.contains(&f.subject_id));
        }
        w.found += found.len() as u64;
        each(&found).await?;
        if let Some(actor) = save {
            let m = findings::merge_which(store, actor, which, Some(rules), as_of, &found).await?;
            w.merge.add(m);
        }
    }
    Ok(w)
}

/// [`run_whole_in`] as the daily job and 全区扫描 run it (the whole installation, or one
/// district): every part merged by `actor`, in parts of [`PART_PERSONS`], nothing else done
/// with the findings.
pub async fn run_whole_saved(
    store: &Store,
    district: Option<i32>,
    actor: &Actor,
    as_of: NaiveDate,
) -> StoreResult<Merge> {
    let w = run_whole_in::<StoreError>(
        store,
        district,
        Some(actor),
        as_of,
        PART_PERSONS,
        async |_| Ok(()),
    )
    .await?;
    Ok(w.merge)
}
