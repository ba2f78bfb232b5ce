//! One scan: the ledger checks of the rule catalogue and the checks on training and exam records,
//! for the whole district or one subject, as of a date. The pure engines run on a blocking
//! thread; the caller merges the result into the stored findings.

use super::{facts, records};
use crate::{Store, StoreError, StoreResult};
use anpei_core::ledger::rules::{self, records::scan_records, Finding};
use chrono::NaiveDate;

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
