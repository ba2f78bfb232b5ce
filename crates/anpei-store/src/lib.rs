//! Persistence of anpei (安培): SeaORM entities and migrations for SQLite and PostgreSQL,
//! the scope filter every query goes through, field encryption of personal data, the
//! hash-chained audit log, accounts and sessions, reference lists and the demo loader.
#![forbid(unsafe_code)]

mod bulk_txn;
pub mod campaign;
pub mod clock;
pub mod crypto;
pub mod demo;
pub mod enforcement;
pub(crate) mod entity;
pub mod error;
pub mod ledger;
pub mod migration;
pub mod model;
pub mod platform;
pub mod records;
pub mod registry;
pub mod scope;
pub mod testing;

use std::sync::Arc;
use std::time::Duration;

use anpei_core::Params;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

pub use clock::{Clock, FixedClock, SystemClock};
pub use crypto::Crypto;
pub use error::{StoreError, StoreResult};
pub use scope::{Reach, Role, Scope};

/// The database, the keys and the parameters every store function needs.
#[derive(Clone)]
pub struct Store {
    /// Reached only through this crate's functions, each of which takes the caller's scope
    /// (or the named district-wide handle): pages, the API, the CLI and importers cannot
    /// query or write around it.
    db: DatabaseConnection,
    pub crypto: Crypto,
    pub params: Arc<Params>,
    pub clock: Arc<dyn Clock>,
    /// The security policy in force (configuration, then the security administrator's
    /// saved settings).
    policy: Arc<std::sync::RwLock<platform::policy::SecurityPolicy>>,
    /// Serialises writers in this process: SQLite has one writer, and the audit chain
    /// needs the previous entry's hash to be stable while a transaction appends.
    write_lock: Arc<tokio::sync::Mutex<()>>,
    /// Commits of this process's writes: what the memos of repeated reads are checked
    /// against ([`platform::memo`]).
    pub(crate) epoch: platform::memo::Epoch,
    /// Who a session or API token belongs to, by the token's hash.
    pub(crate) sessions: Arc<platform::memo::Memo<String, platform::accounts::SignedIn>>,
    /// Totals and pages of lists, by a key naming the list, the scope and the filter.
    pub(crate) answers: Arc<platform::memo::Memo<String, Arc<dyn std::any::Any + Send + Sync>>>,
    /// How the database was opened (a bulk write opens a connection of its own).
    connect: Arc<ConnectConfig>,
    /// The standby heavy reads may use ([`platform::replica`]).
    replica: Option<Arc<platform::replica::Replica>>,
    /// Whether the memos are used (off in the test suites, whose helpers write around the
    /// write epoch; a test turns them on with [`Store::with_memos`]).
    memos: bool,
}

/// Options for opening a database.
#[derive(Debug, Clone, Default)]
pub struct ConnectConfig {
    pub url: String,
    /// PostgreSQL schema to use (tests run each in a fresh schema).
    pub pg_schema: Option<String>,
    pub max_connections: Option<u32>,
    /// A PostgreSQL streaming-replication standby that heavy reads may use
    /// ([`platform::replica`]).
    pub read_url: Option<String>,
}

/// SQLite's page cache per connection, KiB: what every connection of the pool may hold, so
/// that a whole scan's reads (several connections at once) stay within tens of megabytes.
pub const CACHE_KIB: u32 = 16 * 1024;
/// SQLite's page cache of a bulk import's connection, KiB, while it runs: an import touches
/// random pages of the blind-index B-trees.
pub const BULK_CACHE_KIB: u32 = 64 * 1024;

/// Takes PostgreSQL's transaction-level advisory lock every write transaction takes, so that
/// several servers on one database append to the audit chain one at a time.
pub(crate) const LOCK_WRITERS: &str = "SELECT pg_advisory_xact_lock(7212021)";

/// Sets the SQLite page cache of the connection `db` runs on (KiB); nothing on PostgreSQL.
pub(crate) async fn set_sqlite_cache<C: ConnectionTrait>(db: &C, kib: u32) -> StoreResult<()> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared(&format!("PRAGMA cache_size = -{kib}"))
            .await?;
    }
    Ok(())
}

impl Store {
    pub async fn connect(
        cfg: &ConnectConfig,
        crypto: Crypto,
        params: Params,
        clock: Arc<dyn Clock>,
    ) -> StoreResult<Store> {
        let options = |url: &str| {
            let mut opts = ConnectOptions::new(url.to_string());
            opts.sqlx_logging(false)
                .max_connections(cfg.max_connections.unwrap_or(16))
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .map_sqlx_sqlite_opts(|o| {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Full)
                        .foreign_keys(true)
                        .busy_timeout(Duration::from_secs(30))
                        // 16 MiB page cache per connection (the default 2 MiB spills to disk on
                        // the district's reads); a bulk import raises its own connection's to
                        // [`BULK_CACHE_KIB`] while it runs.
                        .pragma("cache_size", format!("-{CACHE_KIB}"))
                        .pragma("temp_store", "memory")
                        .create_if_missing(true)
                });
            if let Some(schema) = &cfg.pg_schema {
                opts.set_schema_search_path(schema.clone());
            }
            opts
        };
        let replica = match &cfg.read_url {
            Some(url) => Some(Arc::new(platform::replica::Replica::new(
                Database::connect(options(url)).await?,
            ))),
            None => None,
        };
        let db = Database::connect(options(&cfg.url)).await?;
        if replica.is_some() && db.get_database_backend() != DbBackend::Postgres {
            return Err(StoreError::Validation(
                "只读备库（database_read_url）只用于 PostgreSQL".into(),
            ));
        }
        Ok(Store {
            db,
            crypto,
            params: Arc::new(params),
            clock,
            policy: Arc::default(),
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
            epoch: Default::default(),
            sessions: Default::default(),
            answers: Default::default(),
            connect: Arc::new(cfg.clone()),
            replica,
            memos: !cfg!(feature = "test-support"),
        })
    }

    /// This store with the memos of repeated reads on or off ([`platform::memo`]).
    pub fn with_memos(mut self, on: bool) -> Store {
        self.memos = on;
        self
    }

    pub(crate) fn memos_on(&self) -> bool {
        self.memos
    }

    /// An answer by `key` (naming the list, the scope and the filter): the one read before
    /// if no write was committed through this store since and it is younger than two
    /// seconds ([`platform::memo`]), else `read`'s.
    pub(crate) async fn remembered<T, E>(
        &self,
        key: String,
        read: impl std::future::Future<Output = Result<T, E>>,
    ) -> StoreResult<T>
    where
        T: Clone + Send + Sync + 'static,
        StoreError: From<E>,
    {
        let epoch = self.epoch.now();
        // A reader that must see a write made through another server reads afresh.
        let memos = self.memos && !platform::replica::wants_recent();
        let kept = self
            .answers
            .get(&key, epoch)
            .filter(|_| memos)
            .and_then(|a| a.downcast_ref::<T>().cloned());
        if let Some(v) = kept {
            return Ok(v);
        }
        let v = read.await?;
        if memos {
            self.answers.put(key, epoch, Arc::new(v.clone()));
        }
        Ok(v)
    }

    /// The security policy in force.
    pub fn policy(&self) -> platform::policy::SecurityPolicy {
        self.policy
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Replaces the security policy in force (start-up configuration, or the security
    /// administrator's saved settings); every clone of this store sees it.
    pub fn set_policy(&self, p: platform::policy::SecurityPolicy) {
        *self
            .policy
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = p;
    }

    /// Whether the database answers (health check).
    pub async fn ping(&self) -> StoreResult<()> {
        self.db.ping().await?;
        Ok(())
    }

    /// How many migrations this database has not had yet.
    pub async fn pending_migrations(&self) -> StoreResult<usize> {
        Ok(migration::Migrator::get_pending_migrations(&self.db)
            .await?
            .len())
    }

    /// Closes the connection pool (a backup restored over this database, a test's end).
    pub async fn close(self) -> StoreResult<()> {
        self.db.close().await?;
        Ok(())
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Applies all pending migrations; a new database then gets the default reference lists.
    pub async fn migrate(&self) -> StoreResult<()> {
        migration::Migrator::up(&self.db, None).await?;
        registry::reference::seed_defaults_if_empty(self).await?;
        campaign::seed_if_empty(self).await
    }

    pub fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// Begins a write transaction. Every multi-step write goes through one of these and
    /// appends its audit entry inside it, so a write and its audit stand or fall together.
    #[cfg(not(feature = "test-support"))]
    pub(crate) async fn write(&self) -> StoreResult<WriteTxn> {
        self.write_txn().await
    }

    /// [`Store::write`], for the test suites' fixtures.
    #[cfg(feature = "test-support")]
    pub async fn write(&self) -> StoreResult<WriteTxn> {
        self.write_txn().await
    }

    async fn write_txn(&self) -> StoreResult<WriteTxn> {
        let guard = self.write_lock.clone().lock_owned().await;
        self.begin_write(guard).await
    }

    /// Like `write`, but `None` at once when this process already has a writer (a long
    /// import): for bookkeeping that can be skipped, such as a session's last-seen time.
    pub(crate) async fn try_write(&self) -> StoreResult<Option<WriteTxn>> {
        match self.write_lock.clone().try_lock_owned() {
            Ok(guard) => Ok(Some(self.begin_write(guard).await?)),
            Err(_) => Ok(None),
        }
    }

    async fn begin_write(&self, guard: tokio::sync::OwnedMutexGuard<()>) -> StoreResult<WriteTxn> {
        let txn = self.db.begin().await?;
        match self.backend() {
            DbBackend::Postgres => {
                // Several app servers may share one PostgreSQL: serialise audit appends
                // across them.
                txn.execute_unprepared(LOCK_WRITERS).await?;
            }
            DbBackend::Sqlite => {
                // Take SQLite's write lock now (waiting out the busy timeout), not at the
                // first write: a deferred transaction that read the audit chain's head and
                // then found another process writing would fail with "database is locked"
                // instead of waiting.
                txn.execute_unprepared("UPDATE seaql_migrations SET version = version WHERE 0")
                    .await?;
            }
            _ => {}
        }
        Ok(WriteTxn {
            txn,
            _guard: guard,
            epoch: self.epoch.clone(),
        })
    }
}

/// A write transaction holding the writer lock until it commits or drops (rolls back).
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _guard: tokio::sync::OwnedMutexGuard<()>,
    epoch: platform::memo::Epoch,
}

impl WriteTxn {
    pub async fn commit(self) -> StoreResult<()> {
        self.txn.commit().await?;
        self.epoch.bump();
        Ok(())
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl Store {
    /// SQLite databases migrate themselves; PostgreSQL ones are migrated by the operator.
    pub async fn migrate_if_sqlite(&self) -> StoreResult<()> {
        if self.backend() == DbBackend::Sqlite {
            self.migrate().await?;
        }
        Ok(())
    }
}
