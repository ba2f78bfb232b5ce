//! The scheduler of background jobs: one tokio task per server instance that wakes every few
//! minutes and, from 08:00 China time on, runs the day's reminders
//! ([`anpei_store::platform::jobs::daily_reminders`]). Several instances may run it against one
//! database: the job's claim lets exactly one of them run each date (see
//! [`anpei_store::platform::jobs`]); the others skip. Each wake-up also lays the security
//! administrator's saved policy over this instance's configuration again
//! ([`refresh_policy`]), so a policy saved on one instance reaches all of them within
//! [`TICK`].

use anpei_store::platform::jobs::{self, DailyRun};
use anpei_store::{Store, StoreResult};
use chrono::{NaiveDate, Timelike};
use std::time::Duration;

/// How often the scheduler wakes.
pub const TICK: Duration = Duration::from_secs(5 * 60);
/// The hour (China time) from which the day's reminders are sent.
pub const RUN_FROM_HOUR: u32 = 8;

/// This instance's name in `job_runs`: host, process and a random suffix.
pub fn instance_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!(
        "{host}:{}:{}",
        std::process::id(),
        &anpei_store::crypto::random_token()[..6]
    )
}

/// The date whose reminders are due now (the store's clock), if it is 08:00 or later in
/// China.
pub fn due_date(store: &Store) -> Option<NaiveDate> {
    let now = store
        .clock
        .now()
        .with_timezone(&anpei_store::clock::china());
    (now.hour() >= RUN_FROM_HOUR).then(|| now.date_naive())
}

/// How old an evidence file without a row must be before the daily sweep removes it.
const ORPHAN_GRACE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// One wake-up: runs the day's reminders if they are due and not yet run by anyone.
/// `None` when nothing is due yet.
pub async fn tick(store: &Store, instance: &str) -> StoreResult<Option<(NaiveDate, DailyRun)>> {
    let Some(date) = due_date(store) else {
        return Ok(None);
    };
    let run = jobs::daily_reminders(store, date, instance).await?;
    Ok(Some((date, run)))
}

/// Reads the security administrator's saved policy again and puts it in force on this
/// instance (another instance may have saved a change).
pub async fn refresh_policy(store: &Store) -> StoreResult<()> {
    anpei_store::platform::security::apply_saved_policy(store)
        .await
        .map(|_| ())
}

/// Spawns the scheduler loop on the current tokio runtime (called once by `anpei serve`).
pub fn spawn_scheduler(
    store: Store,
    evidence_dir: std::path::PathBuf,
) -> tokio::task::JoinHandle<()> {
    let instance = instance_id();
    tokio::spawn(async move {
        tracing::info!(%instance, "scheduler started");
        // The date this instance ran; other instances' runs are found by the claim.
        let mut ran: Option<NaiveDate> = None;
        loop {
            if let Err(e) = refresh_policy(&store).await {
                tracing::error!(error = %e, "refreshing the security policy failed");
            }
            if due_date(&store).is_some_and(|d| Some(d) != ran) {
                match tick(&store, &instance).await {
                    Ok(Some((date, DailyRun::Ran(r)))) => {
                        ran = Some(date);
                        tracing::info!(
                            %date,
                            sent = r.sent.len(),
                            overdue_recorded = r.overdue_recorded.len(),
                            "daily reminders sent"
                        );
                        match crate::evidence::sweep_orphans(&store, &evidence_dir, ORPHAN_GRACE)
                            .await
                        {
                            Ok(n) => tracing::info!(removed = n, "evidence orphans swept"),
                            Err(e) => tracing::error!(error = ?e, "evidence sweep failed"),
                        }
                    }
                    Ok(Some((date, DailyRun::Skipped))) => {
                        tracing::debug!(%date, "daily reminders claimed by another instance");
                    }
                    Ok(None) => {}
                    Err(e) => tracing::error!(error = %e, "daily reminders failed"),
                }
            }
            tokio::time::sleep(TICK).await;
        }
    })
}
