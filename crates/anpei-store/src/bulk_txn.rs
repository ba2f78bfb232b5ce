//! The transaction of a bulk write (an import). On PostgreSQL its rows go in by
//! `COPY … FROM STDIN` on the transaction's own connection; elsewhere it is an ordinary
//! [`WriteTxn`] and the rows go in by multi-row `INSERT`s.
//!
//! SeaORM keeps a transaction's connection to itself, so the PostgreSQL bulk transaction is a
//! connection of its own: a pool of exactly one connection, on which `BEGIN` is issued by
//! hand. Statements through SeaORM and the `COPY`s take turns on that one connection, inside
//! the one transaction. Should the connection break, the pool may not open another (the
//! statements after it would run outside the transaction): the bulk write fails instead, and
//! PostgreSQL rolls back what the broken connection had written.

use crate::ledger::bulk::{copy_text, insert_shaped, Shape};
use crate::{Store, StoreError, StoreResult, WriteTxn};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sea_orm::sqlx::{self, ConnectOptions as _};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult,
    SqlxPostgresConnector, Statement, Value,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A bulk write's transaction: commit it, or drop it to roll back.
pub(crate) enum BulkTxn {
    Write(WriteTxn),
    Copy(CopyTxn),
}

/// A transaction on a PostgreSQL connection of its own, where rows are `COPY`ed.
pub(crate) struct CopyTxn {
    db: DatabaseConnection,
    pool: PgPool,
    open: bool,
    _guard: tokio::sync::OwnedMutexGuard<()>,
    epoch: crate::platform::memo::Epoch,
}

fn db_err(e: sqlx::Error) -> StoreError {
    StoreError::Db(DbErr::Custom(format!("批量写入失败：{e}")))
}

impl Store {
    /// Begins a bulk write: [`BulkTxn::Copy`] on PostgreSQL, an ordinary write transaction
    /// elsewhere. Like [`Store::write`] it holds this process's writer lock and, on
    /// PostgreSQL, the advisory lock that serialises writers across servers.
    pub(crate) async fn bulk_write(&self) -> StoreResult<BulkTxn> {
        if self.backend() != DbBackend::Postgres {
            return Ok(BulkTxn::Write(self.write_txn().await?));
        }
        let url = &self.connect.url;
        let guard = self.write_lock.clone().lock_owned().await;
        let mut opts: PgConnectOptions = url.parse().map_err(db_err)?;
        opts = opts.disable_statement_logging();
        if let Some(schema) = &self.connect.pg_schema {
            opts = opts.options([("search_path", schema.as_str())]);
        }
        let opened = Arc::new(AtomicUsize::new(0));
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .max_lifetime(None)
            .idle_timeout(None)
            .test_before_acquire(false)
            .acquire_timeout(std::time::Duration::from_secs(600))
            .after_connect(move |_, _| {
                let first = opened.fetch_add(1, Ordering::SeqCst) == 0;
                Box::pin(async move {
                    if first {
                        Ok(())
                    } else {
                        Err(sqlx::Error::Protocol(
                            "导入事务的数据库连接已中断，本次导入未保存".into(),
                        ))
                    }
                })
            })
            .connect_with(opts)
            .await
            .map_err(db_err)?;
        let db = SqlxPostgresConnector::from_sqlx_postgres_pool(pool.clone());
        // Many short statements: compiling them is never worth it.
        db.execute_unprepared("SET jit = off").await?;
        db.execute_unprepared("BEGIN").await?;
        let txn = CopyTxn {
            db,
            pool,
            open: true,
            _guard: guard,
            epoch: self.epoch.clone(),
        };
        txn.db.execute_unprepared(crate::LOCK_WRITERS).await?;
        Ok(BulkTxn::Copy(txn))
    }
}

impl BulkTxn {
    /// Writes rows given as one flat list of values, [`Shape::params`] a row: `COPY` on
    /// PostgreSQL, multi-row `INSERT`s elsewhere.
    pub(crate) async fn insert(&self, shape: &Shape, values: Vec<Value>) -> StoreResult<()> {
        match self {
            BulkTxn::Write(txn) => insert_shaped(&**txn, shape, values).await,
            BulkTxn::Copy(txn) => {
                if values.is_empty() {
                    return Ok(());
                }
                let (sql, data) = copy_text(shape, values)?;
                let mut conn = txn.pool.acquire().await.map_err(db_err)?;
                let mut copy = conn.copy_in_raw(&sql).await.map_err(db_err)?;
                if let Err(e) = copy.send(data).await {
                    // Ends the COPY so the connection answers again; the transaction is
                    // aborted and the import fails.
                    let _ = copy.abort(e.to_string()).await;
                    return Err(db_err(e));
                }
                copy.finish().await.map_err(db_err)?;
                Ok(())
            }
        }
    }

    pub(crate) async fn commit(self) -> StoreResult<()> {
        match self {
            BulkTxn::Write(txn) => txn.commit().await,
            BulkTxn::Copy(mut txn) => {
                txn.db.execute_unprepared("COMMIT").await?;
                txn.open = false;
                txn.epoch.bump();
                txn.pool.close().await;
                Ok(())
            }
        }
    }

    /// Rolls back now (dropping it rolls back too, but a PostgreSQL bulk transaction's
    /// connection then closes a moment later).
    pub(crate) async fn rollback(self) -> StoreResult<()> {
        match self {
            BulkTxn::Write(txn) => {
                drop(txn);
                Ok(())
            }
            BulkTxn::Copy(mut txn) => {
                let r = txn.db.execute_unprepared("ROLLBACK").await;
                txn.open = false;
                txn.pool.close().await;
                r.map(|_| ()).map_err(Into::into)
            }
        }
    }
}

impl Drop for CopyTxn {
    fn drop(&mut self) {
        if self.open {
            // Closing the connection ends the transaction: PostgreSQL rolls it back.
            let pool = self.pool.clone();
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move { pool.close().await });
            }
        }
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl ConnectionTrait for BulkTxn {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            BulkTxn::Write(txn) => txn.get_database_backend(),
            BulkTxn::Copy(_) => DbBackend::Postgres,
        }
    }

    async fn execute(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            BulkTxn::Write(txn) => txn.execute(stmt).await,
            BulkTxn::Copy(txn) => txn.db.execute(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            BulkTxn::Write(txn) => txn.execute_unprepared(sql).await,
            BulkTxn::Copy(txn) => txn.db.execute_unprepared(sql).await,
        }
    }

    async fn query_one(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            BulkTxn::Write(txn) => txn.query_one(stmt).await,
            BulkTxn::Copy(txn) => txn.db.query_one(stmt).await,
        }
    }

    async fn query_all(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            BulkTxn::Write(txn) => txn.query_all(stmt).await,
            BulkTxn::Copy(txn) => txn.db.query_all(stmt).await,
        }
    }
}
