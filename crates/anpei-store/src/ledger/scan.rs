//! One scan: the ledger checks of the rule catalogue and the checks on training and exam records,
//! for the whole district or one subject, as of a date. The pure engines run on a blocking
//! thread; the caller merges the result into the stored findings.

use super::facts::Which;
use super::findings::{self, Merge};
use super::{facts, records};
use crate::entity::person;
use crate::platform::audit::Actor;
use crate::{Store, StoreError, StoreResult};
use anpei_core::ledger::rules::{self, records::scan_records, Finding, Rule};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// Whether `scope` may re-scan the whole installation: the city, or the district of a
/// one-district installation (a district of a city scans its subjects one by one).
pub async fn may_scan_everything(store: &Store, scope: &crate::Scope) -> StoreResult<bool> {
    Ok(scope.is_all()
        || (scope.is_district_level()
            && crate::registry::reference::only_district(&store.db)
                .await?
                .is_some()))
}

/// The findings of every check, for the district (`None`) or one subject.
pub async fn run(
    store: &Store,
    subject_id: Option<i32>,
    as_of: NaiveDate,
) -> StoreResult<Vec<Finding>> {
    let (ledger, recs) = tokio::try_join!(facts::load(store, subject_id), records::load(store))?;
    let params = store.params.clone();
    tokio::task::spawn_blocking(move || {
        let mut found = rules::scan(&ledger, as_of, &params);
        let mut on_records = scan_records(&recs, as_of, &params);
        if let Some(s) = subject_id {
            on_records.retain(|f| f.subject_id == i64::from(s));
        }
        found.append(&mut on_records);
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

/// The parts of a whole scan: person-id ranges of about `size` persons each, in order,
/// covering every id (the first from `i32::MIN`, the last to `i32::MAX`, so that the
/// findings of persons deleted since the last scan are resolved too). Found by stepping
/// through the primary key, `size` rows at a time.
pub async fn parts(store: &Store, size: u64) -> StoreResult<Vec<(i32, i32)>> {
    let size = size.max(1);
    let mut out = Vec::new();
    let mut first = i32::MIN;
    loop {
        let last: Option<i32> = person::Entity::find()
            .select_only()
            .column(person::Column::Id)
            .filter(person::Column::Id.gte(first))
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
/// records over everything, merged for their rules. The findings are those of [`run`] over the
/// whole installation (the ledger checks look at one person at a time; a part's registry
/// entries are those of its certificates' numbers).
pub async fn run_whole<E: From<StoreError>>(
    store: &Store,
    save: Option<&Actor>,
    as_of: NaiveDate,
    part_persons: u64,
    mut each: impl AsyncFnMut(&[Finding]) -> Result<(), E>,
) -> Result<Whole, E> {
    let mut w = Whole::default();
    let parts = parts(store, part_persons).await?;
    w.parts = parts.len();
    for (a, b) in parts {
        let which = Which::Persons(a, b);
        let ledger = facts::load_which(store, which).await?;
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
    let found = run_records(store, as_of).await?;
    w.found += found.len() as u64;
    each(&found).await?;
    if let Some(actor) = save {
        let m = findings::merge_which(
            store,
            actor,
            Which::All,
            Some(&Rule::RECORDS),
            as_of,
            &found,
        )
        .await?;
        w.merge.add(m);
    }
    Ok(w)
}

/// [`run_whole`] as the daily job and 全区扫描 run it: every part merged by `actor`, in parts of
/// [`PART_PERSONS`], nothing else done with the findings.
pub async fn run_whole_saved(store: &Store, actor: &Actor, as_of: NaiveDate) -> StoreResult<Merge> {
    let w =
        run_whole::<StoreError>(store, Some(actor), as_of, PART_PERSONS, async |_| Ok(())).await?;
    Ok(w.merge)
}
