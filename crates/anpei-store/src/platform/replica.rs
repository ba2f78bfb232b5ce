//! Reads from a PostgreSQL streaming-replication standby (`database_read_url`).
//!
//! Heavy read-only work may read from the standby: list pages, the dashboard, a scan's
//! loading of the ledger. A write never goes there (the standby refuses writes anyway): every
//! write transaction and every read of a write path stays on the primary.
//!
//! A read goes to the standby only when the standby has replayed the write-ahead log at least
//! as far as the reader needs, so that nobody reads older data than they have seen:
//!
//! - a web request needs what its user's own last write needed: after a write, the response
//!   carries the primary's log position in a cookie, and the next requests of that browser
//!   (through any server of the cluster) read from the standby only once it has replayed that
//!   far;
//! - a scan needs the primary's position when it starts, so it sees every import committed
//!   before it.
//!
//! Work outside both (anything not wrapped in [`read_after`]) reads from the primary. When the
//! standby does not answer, reads go to the primary and the standby is tried again a few
//! seconds later.

use crate::{Store, StoreResult};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a replay position read from the standby is trusted before it is read again.
const REPLAY_FRESH: Duration = Duration::from_millis(200);
/// How long the standby is left alone after it failed to answer.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// The standby and what is known of its replay.
pub struct Replica {
    pub(crate) db: DatabaseConnection,
    /// The last replay position read from the standby.
    replayed: AtomicU64,
    /// When it was last read (none yet), and whether the standby failed to answer then.
    checked: Mutex<Option<(Instant, bool)>>,
}

impl Replica {
    pub(crate) fn new(db: DatabaseConnection) -> Replica {
        Replica {
            db,
            replayed: AtomicU64::new(0),
            checked: Mutex::new(None),
        }
    }

    /// Whether the standby has replayed up to `need`, reading its position when the one
    /// known is too old; `false` while it is failing.
    async fn has_replayed(&self, need: u64) -> bool {
        if self.replayed.load(Ordering::Acquire) >= need {
            return true;
        }
        let last = *self.checked.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, failed)) = last {
            let wait = if failed { RETRY_AFTER } else { REPLAY_FRESH };
            if at.elapsed() < wait {
                return false;
            }
        }
        let pos = lsn(&self.db, "pg_last_wal_replay_lsn()").await;
        *self.checked.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), pos.is_err()));
        match pos {
            Ok(p) => {
                self.replayed.fetch_max(p, Ordering::AcqRel);
                p >= need
            }
            Err(e) => {
                tracing::warn!("只读备库无法读取（改从主库读取）：{e}");
                false
            }
        }
    }
}

/// A log position (`pg_lsn`) as a number, from `expr` evaluated on `db`.
async fn lsn(db: &DatabaseConnection, expr: &str) -> StoreResult<u64> {
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT ({expr} - '0/0'::pg_lsn)::bigint AS p"),
        ))
        .await?;
    let p: Option<i64> = match row {
        Some(r) => r.try_get("", "p")?,
        None => None,
    };
    Ok(p.unwrap_or(0).max(0) as u64)
}

/// What the reads of one unit of work need of the standby, and whether it was used.
struct ReadAfter {
    need: u64,
    used_standby: Cell<bool>,
}

tokio::task_local! {
    static READ_AFTER: ReadAfter;
}

/// Runs `work` with its heavy reads allowed on the standby once it has replayed up to `need`
/// (a log position from [`Store::primary_position`]). Returns what `work` returned and
/// whether any read went to the standby.
pub async fn read_after<F: std::future::Future>(need: u64, work: F) -> (F::Output, bool) {
    READ_AFTER
        .scope(
            ReadAfter {
                need,
                used_standby: Cell::new(false),
            },
            async move {
                let out = work.await;
                let used = READ_AFTER.with(|r| r.used_standby.get());
                (out, used)
            },
        )
        .await
}

/// Whether this unit of work must see a write from a log position on (a browser that wrote
/// through some server): answers remembered in memory may be older than that.
pub(crate) fn wants_recent() -> bool {
    READ_AFTER.try_with(|r| r.need > 0).unwrap_or(false)
}

impl Store {
    /// Where a heavy read-only query runs: the standby when one is configured, the work is
    /// wrapped in [`read_after`] and the standby has replayed far enough; else the primary.
    pub(crate) async fn reads(&self) -> &DatabaseConnection {
        let Some(replica) = &self.replica else {
            return &self.db;
        };
        let Ok(need) = READ_AFTER.try_with(|r| r.need) else {
            return &self.db;
        };
        if replica.has_replayed(need).await {
            let _ = READ_AFTER.try_with(|r| r.used_standby.set(true));
            &replica.db
        } else {
            &self.db
        }
    }

    /// Whether reads may go to a standby.
    pub fn has_standby(&self) -> bool {
        self.replica.is_some()
    }

    /// The primary's current log position: what a reader must see to see every write
    /// committed so far. 0 without a standby (nothing to wait for).
    pub async fn primary_position(&self) -> StoreResult<u64> {
        if self.replica.is_none() {
            return Ok(0);
        }
        lsn(&self.db, "pg_current_wal_lsn()").await
    }
}
