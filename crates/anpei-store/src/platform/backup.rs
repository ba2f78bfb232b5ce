//! Backup and restore (等保 2.0 level 3): a consistent online backup in one self-contained,
//! signed file, and a restore into an empty database that verifies everything before the
//! database is put in place.
//!
//! # File format (`ANPEI-BACKUP 1`)
//!
//! ```text
//! ANPEI-BACKUP 1\n
//! manifest-hmac-sha256: <64 hex>\n
//! manifest-length: <N>\n
//! \n
//! <N bytes: the manifest, pretty-printed JSON ending in \n>
//! <payload to the end of the file>
//! ```
//!
//! The header and manifest are text (`head -n 60 FILE` shows them); the payload is the
//! SQLite database file (a `VACUUM INTO` snapshot) or, on PostgreSQL, a `pg_dump
//! --format=custom` archive. The manifest records the format, the time, the engine, the
//! applied migrations, the row count of every table, the audit chain's length, last id and
//! hash, and the payload's length and SHA-256. The HMAC-SHA-256 in the header covers the
//! manifest's exact bytes under a key derived from the installation's master key
//! ([`Crypto::sign_manifest`]), so a payload edited together with its manifest is still
//! refused, and a backup restores only where the same master key is configured.

use crate::crypto::random_token;
use crate::migration::Migrator;
use crate::platform::audit::{self, Actor, Event, Verdict};
use crate::{ConnectConfig, Crypto, Store, StoreError};
use sea_orm::{
    AccessMode, ConnectionTrait, DbBackend, DbErr, IsolationLevel, Statement, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The first line of every backup file.
pub const MAGIC: &str = "ANPEI-BACKUP 1";
/// The manifest format this code writes and reads.
pub const FORMAT: u32 = 1;
const MAX_MANIFEST: usize = 1 << 20;
/// Payload kinds.
pub const SQLITE_PAYLOAD: &str = "sqlite-database";
pub const PG_PAYLOAD: &str = "pg_dump-custom";

/// Tables a freshly migrated database already fills: the migration bookkeeping, the
/// default reference lists (`reference::seed_defaults_if_empty`), the checklist catalogue
/// and the notice's campaign (`campaign::seed_if_empty`). See [`check_empty`].
pub const SEEDED_TABLES: &[&str] = &[
    "seaql_migrations",
    "districts",
    "towns",
    "departments",
    "department_industries",
    "checklist_items",
    "campaigns",
    "campaign_phases",
];

/// What a backup holds, signed in the file's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub anpei_version: String,
    /// `sqlite` or `postgres`.
    pub engine: String,
    /// The PostgreSQL schema dumped (restored under the same name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pg_schema: Option<String>,
    /// Applied migrations, in order (the schema version).
    pub migrations: Vec<String>,
    /// Row count of every table.
    pub counts: BTreeMap<String, u64>,
    pub audit: AuditMark,
    pub payload: Payload,
}

/// Where the audit chain stood in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditMark {
    pub entries: u64,
    pub last_id: Option<i32>,
    pub last_hash: Option<String>,
}

/// The bytes after the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    pub kind: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("备份文件已被篡改或损坏：{0}")]
    Tampered(String),
    #[error("目标数据库不是空库（{0}），拒绝恢复：请使用新的数据目录或新建的空数据库")]
    NotEmpty(String),
    #[error("备份校验未通过：{0}")]
    Verify(String),
    #[error("{0}")]
    Refused(String),
    #[error("{what}：{source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbErr> for BackupError {
    fn from(e: DbErr) -> Self {
        BackupError::Store(StoreError::Db(e))
    }
}

fn io_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
    let what = what.into();
    move |source| BackupError::Io { what, source }
}

fn tampered(why: &str) -> BackupError {
    BackupError::Tampered(why.to_string())
}

// ----- the container ------------------------------------------------------------------

/// A parsed backup file (not yet verified: see [`Container::verify`]).
#[derive(Debug, Clone)]
pub struct Container {
    pub path: PathBuf,
    pub signature: String,
    pub manifest_bytes: Vec<u8>,
    pub manifest: Manifest,
    /// Where the payload starts in the file.
    pub payload_offset: u64,
}

impl Container {
    /// Reads the header and the manifest. Anything malformed counts as tampering.
    pub fn open(path: &Path) -> Result<Container, BackupError> {
        let file = std::fs::File::open(path)
            .map_err(io_err(format!("无法读取备份文件 {}", path.display())))?;
        let mut r = BufReader::new(file);
        let mut offset = 0u64;
        let mut line = |r: &mut BufReader<std::fs::File>| -> Result<String, BackupError> {
            let mut buf = Vec::new();
            r.by_ref()
                .take(256)
                .read_until(b'\n', &mut buf)
                .map_err(io_err(format!("无法读取备份文件 {}", path.display())))?;
            offset += buf.len() as u64;
            if buf.pop() != Some(b'\n') {
                return Err(tampered("文件头不完整，不是安培备份文件"));
            }
            String::from_utf8(buf).map_err(|_| tampered("文件头不是安培备份格式"))
        };
        if line(&mut r)? != MAGIC {
            return Err(tampered(
                "文件头不是安培备份格式（应以 ANPEI-BACKUP 1 开头）",
            ));
        }
        let signature = line(&mut r)?
            .strip_prefix("manifest-hmac-sha256: ")
            .map(str::to_string)
            .ok_or_else(|| tampered("文件头缺少清单签名"))?;
        let length: usize = line(&mut r)?
            .strip_prefix("manifest-length: ")
            .and_then(|n| n.parse().ok())
            .filter(|n| *n <= MAX_MANIFEST)
            .ok_or_else(|| tampered("文件头的清单长度无效"))?;
        if !line(&mut r)?.is_empty() {
            return Err(tampered("文件头格式错误"));
        }
        let mut manifest_bytes = vec![0u8; length];
        r.read_exact(&mut manifest_bytes)
            .map_err(|_| tampered("清单不完整（文件被截断）"))?;
        let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
            .map_err(|e| BackupError::Tampered(format!("清单无法解析（{e}）")))?;
        Ok(Container {
            path: path.to_path_buf(),
            signature,
            manifest_bytes,
            manifest,
            payload_offset: offset + length as u64,
        })
    }

    /// Checks the manifest's signature and format (the payload is checked while it is
    /// extracted, see [`Container::extract_payload`]).
    pub fn verify(&self, crypto: &Crypto) -> Result<(), BackupError> {
        if !crypto.verify_manifest(&self.manifest_bytes, &self.signature) {
            return Err(tampered(
                "清单签名（HMAC-SHA-256）不符——文件被改动过，或本机的主密钥与备份时不同",
            ));
        }
        if self.manifest.format != FORMAT {
            return Err(BackupError::Refused(format!(
                "备份格式版本 {} 不受支持（本程序支持 {FORMAT}）",
                self.manifest.format
            )));
        }
        Ok(())
    }

    /// Copies the payload to `out` (a new file, mode 0600), checking its length and SHA-256
    /// against the manifest; on a mismatch `out` is removed.
    pub fn extract_payload(&self, out: &Path) -> Result<(), BackupError> {
        let res = self.extract_inner(out);
        if res.is_err() {
            std::fs::remove_file(out).ok();
        }
        res
    }

    fn extract_inner(&self, out: &Path) -> Result<(), BackupError> {
        let read = || io_err(format!("无法读取备份文件 {}", self.path.display()));
        let mut f = std::fs::File::open(&self.path).map_err(read())?;
        f.seek(SeekFrom::Start(self.payload_offset))
            .map_err(read())?;
        let mut w = create_private(out)?;
        let (bytes, sha) =
            copy_hashing(&mut f, &mut w).map_err(io_err(format!("无法写入 {}", out.display())))?;
        w.sync_all()
            .map_err(io_err(format!("无法写入 {}", out.display())))?;
        if bytes != self.manifest.payload.bytes {
            return Err(BackupError::Tampered(format!(
                "数据长度 {bytes} 字节与清单的 {} 字节不符（文件被截断或追加）",
                self.manifest.payload.bytes
            )));
        }
        if sha != self.manifest.payload.sha256 {
            return Err(tampered("数据内容的 SHA-256 与清单不符"));
        }
        Ok(())
    }
}

/// Writes a backup file: hashes `payload` into `manifest.payload`, signs the manifest with
/// the installation's key and writes header, manifest and payload to a temporary sibling
/// of `out` that is renamed into place at the end. Refuses to overwrite `out`.
pub fn write_container(
    crypto: &Crypto,
    manifest: &mut Manifest,
    payload: &Path,
    out: &Path,
) -> Result<(), BackupError> {
    if out.exists() {
        return Err(BackupError::Refused(format!(
            "{} 已存在，不覆盖已有文件",
            out.display()
        )));
    }
    let read = || io_err(format!("无法读取 {}", payload.display()));
    let (bytes, sha) = copy_hashing(
        &mut std::fs::File::open(payload).map_err(read())?,
        &mut std::io::sink(),
    )
    .map_err(read())?;
    manifest.payload.bytes = bytes;
    manifest.payload.sha256 = sha;
    let mut manifest_bytes =
        serde_json::to_vec_pretty(manifest).expect("a manifest always serialises");
    manifest_bytes.push(b'\n');
    let signature = crypto.sign_manifest(&manifest_bytes);

    let partial = TempPath::beside(out, "partial");
    let write = || io_err(format!("无法写入 {}", partial.0.display()));
    let mut w = create_private(&partial.0)?;
    write!(
        w,
        "{MAGIC}\nmanifest-hmac-sha256: {signature}\nmanifest-length: {}\n\n",
        manifest_bytes.len()
    )
    .map_err(write())?;
    w.write_all(&manifest_bytes).map_err(write())?;
    let mut src = std::fs::File::open(payload).map_err(read())?;
    let copied = std::io::copy(&mut src, &mut w).map_err(write())?;
    if copied != bytes {
        return Err(BackupError::Refused(format!(
            "{} 在写入备份时发生了变化",
            payload.display()
        )));
    }
    w.sync_all().map_err(write())?;
    drop(w);
    if out.exists() {
        return Err(BackupError::Refused(format!(
            "{} 已存在，不覆盖已有文件",
            out.display()
        )));
    }
    std::fs::rename(&partial.0, out).map_err(io_err(format!("无法写入 {}", out.display())))?;
    partial.disarm();
    sync_parent(out);
    Ok(())
}

fn copy_hashing(r: &mut impl Read, w: &mut impl Write) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = r.read(&mut buf)?;
        if k == 0 {
            break;
        }
        hasher.update(&buf[..k]);
        w.write_all(&buf[..k])?;
        n += k as u64;
    }
    w.flush()?;
    Ok((n, hex::encode(hasher.finalize())))
}

fn create_private(path: &Path) -> Result<std::fs::File, BackupError> {
    crate::platform::files::create_private_file(path)
        .map_err(io_err(format!("无法创建 {}", path.display())))
}

fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent() {
        if let Ok(d) = std::fs::File::open(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        }) {
            d.sync_all().ok();
        }
    }
}

/// A temporary file (and its SQLite `-wal`/`-shm` companions) removed on drop unless
/// disarmed.
struct TempPath(PathBuf);

impl TempPath {
    /// `.NAME.WHAT-RANDOM` in the directory of `path`.
    fn beside(path: &Path, what: &str) -> TempPath {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "anpei".into());
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        TempPath(dir.join(format!(".{name}.{what}-{}", &random_token()[..12])))
    }

    fn disarm(self) {
        std::mem::forget(self);
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            std::fs::remove_file(format!("{}{suffix}", self.0.display())).ok();
        }
    }
}

// ----- facts about a database ---------------------------------------------------------

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn qualified(schema: Option<&str>, table: &str) -> String {
    match schema {
        Some(s) => format!("{}.{}", quote_ident(s), quote_ident(table)),
        None => quote_ident(table),
    }
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The tables of the database (SQLite) or of `schema` (PostgreSQL), by name.
pub async fn list_tables<C: ConnectionTrait>(
    db: &C,
    schema: Option<&str>,
) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let stmt = match backend {
        DbBackend::Postgres => Statement::from_sql_and_values(
            backend,
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY 1",
            [schema.unwrap_or("public").into()],
        ),
        _ => Statement::from_string(
            backend,
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        ),
    };
    db.query_all(stmt)
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect()
}

async fn scalar_i64<C: ConnectionTrait>(db: &C, sql: String) -> Result<i64, DbErr> {
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| DbErr::Custom("no row".into()))?;
    row.try_get_by_index::<i64>(0)
}

/// The row count of every table.
pub async fn row_counts<C: ConnectionTrait>(
    db: &C,
    schema: Option<&str>,
) -> Result<BTreeMap<String, u64>, DbErr> {
    let mut counts = BTreeMap::new();
    for t in list_tables(db, schema).await? {
        let n = scalar_i64(
            db,
            format!("SELECT COUNT(*) FROM {}", qualified(schema, &t)),
        )
        .await?;
        counts.insert(t, n as u64);
    }
    Ok(counts)
}

async fn applied_migrations<C: ConnectionTrait>(
    db: &C,
    schema: Option<&str>,
) -> Result<Vec<String>, DbErr> {
    let sql = format!(
        "SELECT version FROM {} ORDER BY version",
        qualified(schema, "seaql_migrations")
    );
    db.query_all(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect()
}

async fn audit_mark<C: ConnectionTrait>(
    db: &C,
    schema: Option<&str>,
    entries: u64,
) -> Result<AuditMark, DbErr> {
    let sql = format!(
        "SELECT id, hash FROM {} ORDER BY id DESC LIMIT 1",
        qualified(schema, "audit_log")
    );
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    let (last_id, last_hash) = match row {
        Some(r) => (
            Some(r.try_get_by_index::<i32>(0)?),
            Some(r.try_get_by_index::<String>(1)?),
        ),
        None => (None, None),
    };
    Ok(AuditMark {
        entries,
        last_id,
        last_hash,
    })
}

/// A database is **empty** — fit to restore into — when it has no tables, or when, apart
/// from what `anpei migrate` itself writes (the tables in [`SEEDED_TABLES`] and the audit
/// entries of that seeding, actor `system`), no table holds a row. Failed restore attempts
/// recorded in its audit log do not count.
pub async fn check_empty<C: ConnectionTrait>(
    db: &C,
    schema: Option<&str>,
) -> Result<(), BackupError> {
    let mut found = Vec::new();
    for t in list_tables(db, schema).await? {
        if SEEDED_TABLES.contains(&t.as_str()) {
            continue;
        }
        let mut sql = format!("SELECT COUNT(*) FROM {}", qualified(schema, &t));
        if t == "audit_log" {
            sql.push_str(
                " WHERE NOT ((username = 'system' AND action IN ('reference.import', 'campaign.seed')) \
                 OR (action = 'backup.restore' AND result = 'failed'))",
            );
        }
        let n = scalar_i64(db, sql).await?;
        if n > 0 {
            found.push(format!("{t} 表有 {n} 行"));
        }
    }
    if found.is_empty() {
        Ok(())
    } else {
        Err(BackupError::NotEmpty(found.join("，")))
    }
}

async fn current_schema<C: ConnectionTrait>(db: &C) -> Result<Option<String>, DbErr> {
    let row = db
        .query_one(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_schema()::text",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("no row".into()))?;
    row.try_get_by_index::<Option<String>>(0)
}

async fn search_path<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    let row = db
        .query_one(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_setting('search_path')",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("no row".into()))?;
    let path: String = row.try_get_by_index(0)?;
    Ok(path
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect())
}

async fn schema_exists<C: ConnectionTrait>(db: &C, schema: &str) -> Result<bool, DbErr> {
    let row = db
        .query_one(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT COUNT(*) FROM pg_namespace WHERE nspname = $1",
            [schema.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("no row".into()))?;
    Ok(row.try_get_by_index::<i64>(0)? > 0)
}

async fn sqlite_main_file(store: &Store) -> Result<PathBuf, BackupError> {
    let rows = store
        .db
        .query_all(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA database_list",
        ))
        .await?;
    for r in rows {
        let name: String = r.try_get_by_index(1)?;
        let file: String = r.try_get_by_index(2)?;
        if name == "main" && !file.is_empty() {
            return Ok(PathBuf::from(file));
        }
    }
    Err(BackupError::Refused(
        "内存数据库没有文件，不能备份或恢复".into(),
    ))
}

/// Opens a SQLite file with the store's keys and settings, on one connection (ATTACH and
/// pragmas then hold for every statement).
async fn open_sqlite(store: &Store, path: &Path) -> Result<Store, BackupError> {
    Ok(Store::connect(
        &ConnectConfig {
            url: format!("sqlite://{}?mode=rwc", path.display()),
            pg_schema: None,
            max_connections: Some(1),
            read_url: None,
        },
        store.crypto.clone(),
        (*store.params).clone(),
        store.clock.clone(),
    )
    .await?)
}

/// Leaves WAL mode (checkpointing) and closes a one-connection SQLite store, so that its
/// file alone holds the database however late the pool lets go of the connection.
async fn close_sqlite(store: Store) -> Result<(), BackupError> {
    store
        .db
        .execute_unprepared("PRAGMA journal_mode = DELETE")
        .await?;
    store.db.close().await?;
    Ok(())
}

async fn integrity_check(store: &Store) -> Result<(), BackupError> {
    let fail = |e: String| BackupError::Verify(format!("数据库完整性检查未通过：{e}"));
    let rows = store
        .db
        .query_all(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .map_err(|e| fail(e.to_string()))?;
    let msgs: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect();
    if msgs.len() == 1 && msgs[0] == "ok" {
        Ok(())
    } else {
        Err(fail(
            msgs.into_iter().take(5).collect::<Vec<_>>().join("；"),
        ))
    }
}

/// Recomputes the audit chain and checks it reaches `mark`.
async fn check_chain(
    store: &Store,
    schema: Option<&str>,
    mark: &AuditMark,
) -> Result<(), BackupError> {
    match audit::verify(store).await? {
        Verdict::Broken { entry_id, reason } => Err(BackupError::Verify(format!(
            "审计日志哈希链校验失败：第一条异常记录 id={entry_id}，{reason}"
        ))),
        Verdict::Intact { entries } if entries < mark.entries => Err(BackupError::Verify(format!(
            "审计日志只有 {entries} 条，清单为 {} 条",
            mark.entries
        ))),
        Verdict::Intact { .. } => {
            if let (Some(id), Some(hash)) = (mark.last_id, &mark.last_hash) {
                let sql = format!(
                    "SELECT hash FROM {} WHERE id = {id}",
                    qualified(schema, "audit_log")
                );
                let found = store
                    .db
                    .query_one(Statement::from_string(store.backend(), sql))
                    .await?
                    .map(|r| r.try_get_by_index::<String>(0))
                    .transpose()?;
                if found.as_deref() != Some(hash.as_str()) {
                    return Err(BackupError::Verify(format!(
                        "审计日志第 {id} 条的哈希与清单不符"
                    )));
                }
            }
            Ok(())
        }
    }
}

fn compare_counts(
    expected: &BTreeMap<String, u64>,
    actual: &BTreeMap<String, u64>,
) -> Result<(), BackupError> {
    let mut diffs = Vec::new();
    for (t, n) in expected {
        match actual.get(t) {
            Some(m) if m == n => {}
            Some(m) => diffs.push(format!("{t} 清单 {n} 行、实际 {m} 行")),
            None => diffs.push(format!("{t} 表不存在（清单 {n} 行）")),
        }
    }
    for t in actual.keys().filter(|t| !expected.contains_key(*t)) {
        diffs.push(format!("{t} 表不在清单中"));
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(BackupError::Verify(format!(
            "各表行数与清单不符：{}",
            diffs.join("；")
        )))
    }
}

fn known_migrations() -> Vec<String> {
    Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect()
}

/// Records an event in the audit log (`Store::write` takes SQLite's write lock first, so
/// this waits for a running server's writes instead of failing).
async fn record(store: &Store, actor: &Actor, ev: Event<'_>) -> Result<(), BackupError> {
    audit::record(store, actor, ev).await?;
    Ok(())
}

// ----- backup -------------------------------------------------------------------------

/// Takes a backup of the store's database into `file` (which must not exist) and records
/// it (or its failure) in the audit log. On PostgreSQL `database_url` is passed to
/// `pg_dump`.
pub async fn create(
    store: &Store,
    actor: &Actor,
    file: &Path,
    database_url: Option<&str>,
) -> Result<Manifest, BackupError> {
    let res = match store.backend() {
        DbBackend::Sqlite => create_sqlite(store, file).await,
        DbBackend::Postgres => create_postgres(store, file, database_url).await,
        DbBackend::MySql => Err(BackupError::Refused("不支持 MySQL".into())),
    };
    let object = file.display().to_string();
    match &res {
        Ok(m) => {
            let ev = Event::ok("backup.create", object).with_detail(format!(
                "engine={} sha256={} bytes={} audit_entries={}",
                m.engine, m.payload.sha256, m.payload.bytes, m.audit.entries
            ));
            record(store, actor, ev).await?;
        }
        Err(e) => {
            let ev = Event::ok("backup.create", object)
                .with_detail(e.to_string())
                .failed();
            if let Err(e) = record(store, actor, ev).await {
                tracing::warn!(error = %e, "could not record the failed backup");
            }
        }
    }
    res
}

fn new_manifest(
    store: &Store,
    engine: &str,
    pg_schema: Option<String>,
    kind: &str,
    migrations: Vec<String>,
    counts: BTreeMap<String, u64>,
    audit: AuditMark,
) -> Manifest {
    Manifest {
        format: FORMAT,
        created_at: store
            .clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        anpei_version: env!("CARGO_PKG_VERSION").to_string(),
        engine: engine.to_string(),
        pg_schema,
        migrations,
        counts,
        audit,
        payload: Payload {
            kind: kind.to_string(),
            bytes: 0,
            sha256: String::new(),
        },
    }
}

fn refuse_existing(file: &Path) -> Result<(), BackupError> {
    if file.exists() {
        return Err(BackupError::Refused(format!(
            "{} 已存在，不覆盖已有文件",
            file.display()
        )));
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::platform::files::create_private_dir_all(dir)
            .map_err(io_err(format!("无法创建目录 {}", dir.display())))?;
    }
    Ok(())
}

async fn create_sqlite(store: &Store, file: &Path) -> Result<Manifest, BackupError> {
    refuse_existing(file)?;
    let tables = list_tables(&store.db, None).await?;
    if !tables.iter().any(|t| t == "seaql_migrations") {
        return Err(BackupError::Refused(
            "数据库尚未初始化（未执行迁移），没有可备份的内容".into(),
        ));
    }
    // VACUUM INTO reads one consistent snapshot while the server keeps writing (WAL).
    let snap = TempPath::beside(file, "snapshot");
    // The snapshot holds the whole database for a moment: made 0600 before SQLite writes
    // it (VACUUM INTO takes an existing empty file).
    create_private(&snap.0)?;
    let path = snap.0.display().to_string();
    store
        .db
        .execute_unprepared(&format!("VACUUM INTO {}", sql_string(&path)))
        .await?;
    // Check the snapshot itself: what the manifest promises is what the file holds.
    let s = open_sqlite(store, &snap.0).await?;
    let facts = async {
        integrity_check(&s).await?;
        let counts = row_counts(&s.db, None).await?;
        let migrations = applied_migrations(&s.db, None).await?;
        let entries = counts.get("audit_log").copied().unwrap_or(0);
        let mark = audit_mark(&s.db, None, entries).await?;
        check_chain(&s, None, &mark).await?;
        Ok::<_, BackupError>((counts, migrations, mark))
    }
    .await;
    close_sqlite(s).await?;
    let (counts, migrations, mark) = facts?;
    let mut m = new_manifest(
        store,
        "sqlite",
        None,
        SQLITE_PAYLOAD,
        migrations,
        counts,
        mark,
    );
    let (crypto, src, out) = (store.crypto.clone(), snap.0.clone(), file.to_path_buf());
    let m = tokio::task::spawn_blocking(move || {
        write_container(&crypto, &mut m, &src, &out).map(|()| m)
    })
    .await
    .map_err(|e| BackupError::Refused(format!("写入备份失败：{e}")))??;
    drop(snap);
    Ok(m)
}

// ----- PostgreSQL tools ---------------------------------------------------------------

/// Splits a PostgreSQL URL into one without its password (for the command line of
/// `pg_dump`/`pg_restore`, which anyone on the host can read) and the decoded password
/// (passed in `PGPASSWORD`).
pub fn libpq_url(url: &str) -> (String, Option<String>) {
    if let Some(s) = url.find("://") {
        let rest = &url[s + 3..];
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        if let Some(at) = rest[..end].rfind('@') {
            if let Some((user, pw)) = rest[..at].split_once(':') {
                let stripped = format!("{}{}{}", &url[..s + 3], user, &rest[at..]);
                return (stripped, Some(percent_decode(pw)));
            }
        }
    }
    (url.to_string(), None)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(v) if b[i] == b'%' => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs a PostgreSQL client tool; a missing tool or a non-zero exit is an error naming it.
async fn run_tool(
    tool: &'static str,
    args: Vec<String>,
    password: Option<String>,
) -> Result<Vec<u8>, BackupError> {
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(tool);
        cmd.args(&args).env("PGCONNECT_TIMEOUT", "30");
        if let Some(pw) = password {
            cmd.env("PGPASSWORD", pw);
        }
        let out = cmd.output().map_err(|e| {
            BackupError::Refused(if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "找不到 {tool}：请安装 PostgreSQL 客户端（Debian：postgresql-client，版本不低于服务器）并把它加入 PATH"
                )
            } else {
                format!("无法运行 {tool}：{e}")
            })
        })?;
        if !out.status.success() {
            return Err(BackupError::Refused(format!(
                "{tool} 失败（{}）：{}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(out.stdout)
    })
    .await
    .map_err(|e| BackupError::Refused(format!("无法运行 {tool}：{e}")))?
}

fn pg_url(database_url: Option<&str>) -> Result<(String, Option<String>), BackupError> {
    database_url
        .filter(|u| u.starts_with("postgres"))
        .map(libpq_url)
        .ok_or_else(|| {
            BackupError::Refused("PostgreSQL 备份和恢复需要数据库地址（--database-url）".into())
        })
}

/// Checks that `pg_restore --list` reads the archive and that it holds the audit log.
async fn list_archive(archive: &Path, schema: &str) -> Result<String, BackupError> {
    let list = run_tool(
        "pg_restore",
        vec!["--list".into(), archive.display().to_string()],
        None,
    )
    .await?;
    let list = String::from_utf8_lossy(&list).into_owned();
    if !list
        .lines()
        .any(|l| l.contains(&format!("TABLE DATA {schema} audit_log ")))
    {
        return Err(BackupError::Verify(format!(
            "pg_dump 归档中没有模式 {schema} 的审计日志数据"
        )));
    }
    Ok(list)
}

async fn create_postgres(
    store: &Store,
    file: &Path,
    database_url: Option<&str>,
) -> Result<Manifest, BackupError> {
    refuse_existing(file)?;
    let (url, password) = pg_url(database_url)?;
    let schema = current_schema(&store.db).await?.ok_or_else(|| {
        BackupError::Refused("无法确定当前模式（search_path 中的模式都不存在）".into())
    })?;
    if !list_tables(&store.db, Some(&schema))
        .await?
        .iter()
        .any(|t| t == "seaql_migrations")
    {
        return Err(BackupError::Refused(format!(
            "模式 {schema} 尚未初始化（未执行迁移），没有可备份的内容"
        )));
    }
    // One snapshot for the manifest and for pg_dump: a REPEATABLE READ transaction exports
    // it and stays open while pg_dump reads it (--snapshot).
    let txn = store
        .db
        .begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await?;
    let snapshot: String = txn
        .query_one(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_export_snapshot()",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("no snapshot".into()))?
        .try_get_by_index(0)?;
    let counts = row_counts(&txn, Some(&schema)).await?;
    let migrations = applied_migrations(&txn, Some(&schema)).await?;
    let entries = counts.get("audit_log").copied().unwrap_or(0);
    let mark = audit_mark(&txn, Some(&schema), entries).await?;
    let dump = TempPath::beside(file, "pgdump");
    // Made 0600 before pg_dump writes it (it keeps an existing file's mode).
    create_private(&dump.0)?;
    let dumped = run_tool(
        "pg_dump",
        vec![
            "--format=custom".into(),
            "--no-password".into(),
            format!("--snapshot={snapshot}"),
            format!("--schema={}", quote_ident(&schema)),
            format!("--file={}", dump.0.display()),
            format!("--dbname={url}"),
        ],
        password,
    )
    .await;
    txn.rollback().await?;
    dumped?;
    list_archive(&dump.0, &schema).await?;
    // The live chain verifies, and still holds the snapshot's last entry unchanged: so the
    // snapshot's chain, a prefix of it, verifies too.
    check_chain(store, Some(&schema), &mark).await?;
    let mut m = new_manifest(
        store,
        "postgres",
        Some(schema),
        PG_PAYLOAD,
        migrations,
        counts,
        mark,
    );
    let (crypto, src, out) = (store.crypto.clone(), dump.0.clone(), file.to_path_buf());
    let m = tokio::task::spawn_blocking(move || {
        write_container(&crypto, &mut m, &src, &out).map(|()| m)
    })
    .await
    .map_err(|e| BackupError::Refused(format!("写入备份失败：{e}")))??;
    drop(dump);
    Ok(m)
}

// ----- restore ------------------------------------------------------------------------

/// The outcome of a restore.
#[derive(Debug, Clone)]
pub struct Restored {
    pub manifest: Manifest,
    /// Row counts after the restore (the audit log has one more entry: the restore).
    pub counts: BTreeMap<String, u64>,
    /// Migrations this program has that the backup predates (applied at the next start
    /// on SQLite, by `anpei migrate` on PostgreSQL).
    pub pending_migrations: Vec<String>,
}

/// Restores `file` into the store's database, which must be empty ([`check_empty`]).
/// Verifies the signature and the payload's SHA-256 first. SQLite: the extracted database
/// is checked on its own (integrity, every table's row count, the audit chain), then its
/// schema and rows replace the target's in one transaction that re-checks emptiness,
/// foreign keys and counts (a file rename would race the connection pool and leave stale
/// `-wal` files). PostgreSQL: `pg_restore` in one transaction, then counts and chain are
/// verified (a schema it created is dropped again if they fail). Records the restore in the
/// restored audit log; a refused attempt is recorded, where possible, in the target's.
pub async fn restore(
    store: &Store,
    actor: &Actor,
    file: &Path,
    database_url: Option<&str>,
) -> Result<Restored, BackupError> {
    let res = match store.backend() {
        DbBackend::Sqlite => restore_sqlite(store, actor, file).await,
        DbBackend::Postgres => restore_postgres(store, actor, file, database_url).await,
        DbBackend::MySql => Err(BackupError::Refused("不支持 MySQL".into())),
    };
    if let Err(e) = &res {
        let ev = Event::ok("backup.restore", file.display().to_string())
            .with_detail(e.to_string())
            .failed();
        // Best effort: a never-migrated target has no audit log to write to.
        if let Err(e) = record(store, actor, ev).await {
            tracing::debug!(error = %e, "could not record the refused restore");
        }
    }
    res
}

/// Opens and verifies the container for this engine and this program.
fn open_verified(
    store: &Store,
    file: &Path,
    engine: &str,
) -> Result<(Container, Vec<String>), BackupError> {
    let c = Container::open(file)?;
    c.verify(&store.crypto)?;
    let m = &c.manifest;
    if m.engine != engine {
        return Err(BackupError::Refused(format!(
            "备份来自 {} 数据库，目标是 {engine}：备份只能恢复到同一种数据库",
            m.engine
        )));
    }
    let known = known_migrations();
    if let Some(unknown) = m.migrations.iter().find(|v| !known.contains(v)) {
        return Err(BackupError::Refused(format!(
            "备份来自更新版本的安培（本程序不认识迁移 {unknown}），请用新版本恢复"
        )));
    }
    let pending = known
        .into_iter()
        .filter(|v| !m.migrations.contains(v))
        .collect();
    Ok((c, pending))
}

fn restore_detail(m: &Manifest) -> String {
    format!(
        "created_at={} engine={} sha256={} audit_entries={}",
        m.created_at, m.engine, m.payload.sha256, m.audit.entries
    )
}

async fn restore_sqlite(
    store: &Store,
    actor: &Actor,
    file: &Path,
) -> Result<Restored, BackupError> {
    let (c, pending_migrations) = open_verified(store, file, "sqlite")?;
    check_empty(&store.db, None).await?;
    let target = sqlite_main_file(store).await?;
    let tmp = TempPath::beside(&target, "restore");
    {
        let (c, out) = (c.clone(), tmp.0.clone());
        tokio::task::spawn_blocking(move || c.extract_payload(&out))
            .await
            .map_err(|e| BackupError::Refused(format!("读取备份失败：{e}")))??;
    }
    let m = &c.manifest;
    // The backup's database on its own first: integrity, counts, the audit chain.
    let r = open_sqlite(store, &tmp.0).await?;
    let checked = async {
        integrity_check(&r).await?;
        compare_counts(&m.counts, &row_counts(&r.db, None).await?)?;
        check_chain(&r, None, &m.audit).await
    }
    .await;
    close_sqlite(r).await?;
    checked?;

    // Then into the target in one transaction, on a connection of its own (ATTACH and
    // foreign_keys are per connection): all of it or, on any error, nothing.
    let t = open_sqlite(store, &target).await?;
    let copied = copy_into(&t, &tmp.0, actor, file, m).await;
    t.db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .ok();
    t.db.close().await.ok();
    let counts = copied?;
    // Committed: the target's own chain, read back, runs through the backup's last entry.
    check_chain(store, None, &m.audit)
        .await
        .map_err(|e| BackupError::Verify(format!("恢复后的复核未通过：{e}")))?;
    Ok(Restored {
        manifest: c.manifest,
        counts,
        pending_migrations,
    })
}

/// Replaces the (empty) target's schema and rows with those of the SQLite file `src`, checks
/// foreign keys and counts, and appends the restore's audit entry, in one transaction.
async fn copy_into(
    t: &Store,
    src: &Path,
    actor: &Actor,
    file: &Path,
    m: &Manifest,
) -> Result<BTreeMap<String, u64>, BackupError> {
    let path = src.display().to_string();
    t.db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
    t.db.execute_unprepared(&format!(
        "ATTACH DATABASE {} AS restore_src",
        sql_string(&path)
    ))
    .await?;
    let res = async {
        let txn = t.write().await?;
        // Checked again inside the transaction: nobody wrote in between.
        check_empty(&*txn, None).await?;
        for table in list_tables(&*txn, None).await? {
            txn.execute_unprepared(&format!("DROP TABLE main.{}", quote_ident(&table)))
                .await?;
        }
        let objects = txn
            .query_all(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT type, name, sql FROM restore_src.sqlite_master \
                 WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
            ))
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get_by_index::<String>(0)?,
                    r.try_get_by_index::<String>(1)?,
                    r.try_get_by_index::<String>(2)?,
                ))
            })
            .collect::<Result<Vec<_>, DbErr>>()?;
        let create = |sql: &str| {
            let upper = sql.trim_start().to_ascii_uppercase();
            if upper.starts_with("CREATE ") {
                Ok(())
            } else {
                Err(tampered("数据库中有不是 CREATE 的结构定义"))
            }
        };
        // Tables, their rows, the AUTOINCREMENT counters; then indexes, triggers, views.
        for (_, name, sql) in objects.iter().filter(|o| o.0 == "table") {
            create(sql)?;
            txn.execute_unprepared(sql).await?;
            let q = quote_ident(name);
            txn.execute_unprepared(&format!(
                "INSERT INTO main.{q} SELECT * FROM restore_src.{q}"
            ))
            .await?;
        }
        let has_sequence = scalar_i64(
            &*txn,
            "SELECT COUNT(*) FROM restore_src.sqlite_master WHERE name = 'sqlite_sequence'".into(),
        )
        .await?
            > 0;
        if has_sequence {
            txn.execute_unprepared(
                "DELETE FROM main.sqlite_sequence; \
                 INSERT INTO main.sqlite_sequence SELECT * FROM restore_src.sqlite_sequence",
            )
            .await?;
        }
        for (_, _, sql) in objects.iter().filter(|o| o.0 != "table") {
            create(sql)?;
            txn.execute_unprepared(sql).await?;
        }
        let broken = txn
            .query_all(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA main.foreign_key_check",
            ))
            .await?;
        if !broken.is_empty() {
            return Err(BackupError::Verify(format!(
                "恢复后有 {} 条记录违反外键约束",
                broken.len()
            )));
        }
        compare_counts(&m.counts, &row_counts(&*txn, None).await?)?;
        let ev =
            Event::ok("backup.restore", file.display().to_string()).with_detail(restore_detail(m));
        audit::append(&*txn, t.now(), actor, &ev).await?;
        let counts = row_counts(&*txn, None).await?;
        txn.commit().await?;
        Ok::<_, BackupError>(counts)
    }
    .await;
    t.db.execute_unprepared("DETACH DATABASE restore_src")
        .await
        .ok();
    res
}

async fn restore_postgres(
    store: &Store,
    actor: &Actor,
    file: &Path,
    database_url: Option<&str>,
) -> Result<Restored, BackupError> {
    let (c, pending_migrations) = open_verified(store, file, "postgres")?;
    let (url, password) = pg_url(database_url)?;
    let m = &c.manifest;
    let schema = m
        .pg_schema
        .clone()
        .ok_or_else(|| tampered("PostgreSQL 备份的清单缺少模式名"))?;
    // pg_restore recreates the schema under its original name: the target connection must
    // be using that schema.
    match current_schema(&store.db).await? {
        Some(s) if s == schema => {}
        Some(s) => {
            return Err(BackupError::Refused(format!(
                "备份来自模式 {schema}，目标连接使用模式 {s}：请让目标的 search_path 指向 {schema}"
            )))
        }
        None if search_path(&store.db).await?.contains(&schema) => {}
        None => {
            return Err(BackupError::Refused(format!(
                "备份来自模式 {schema}，它不在目标连接的 search_path 中"
            )))
        }
    }
    let existed = schema_exists(&store.db, &schema).await?;
    let had_tables = existed && !list_tables(&store.db, Some(&schema)).await?.is_empty();
    if existed {
        check_empty(&store.db, Some(&schema)).await?;
    }
    let tmp = TempPath(
        std::env::temp_dir().join(format!("anpei-restore-{}.pgdump", &random_token()[..12])),
    );
    {
        let (c, out) = (c.clone(), tmp.0.clone());
        tokio::task::spawn_blocking(move || c.extract_payload(&out))
            .await
            .map_err(|e| BackupError::Refused(format!("读取备份失败：{e}")))??;
    }
    // The archive's table of contents, minus the schema itself when it already exists
    // (CREATE SCHEMA would fail) and its comment (owned by the database owner).
    let list = list_archive(&tmp.0, &schema).await?;
    let list: String = list
        .lines()
        .map(|l| {
            let schema_entry = l.contains(&format!(" SCHEMA - {schema} "));
            if (existed && schema_entry) || l.contains(" COMMENT - SCHEMA ") {
                format!(";{l}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let list_file = TempPath(PathBuf::from(format!("{}.list", tmp.0.display())));
    std::fs::write(&list_file.0, list)
        .map_err(io_err(format!("无法写入 {}", list_file.0.display())))?;
    let mut args = vec![
        "--single-transaction".to_string(),
        "--exit-on-error".into(),
        "--no-owner".into(),
        "--no-privileges".into(),
        "--no-password".into(),
        format!("--use-list={}", list_file.0.display()),
        format!("--dbname={url}"),
    ];
    if had_tables {
        // The migrated-but-empty tables give way to the backup's.
        args.insert(0, "--if-exists".into());
        args.insert(0, "--clean".into());
    }
    args.push(tmp.0.display().to_string());
    run_tool("pg_restore", args, password).await?;

    let checked = async {
        compare_counts(&m.counts, &row_counts(&store.db, Some(&schema)).await?)?;
        check_chain(store, Some(&schema), &m.audit).await?;
        Ok::<_, BackupError>(())
    }
    .await;
    if let Err(e) = checked {
        if !existed {
            store
                .db
                .execute_unprepared(&format!("DROP SCHEMA {} CASCADE", quote_ident(&schema)))
                .await
                .ok();
            return Err(e);
        }
        return Err(BackupError::Verify(format!(
            "{e}；已恢复的数据不可信，请清空模式 {schema} 后重试"
        )));
    }
    let ev = Event::ok("backup.restore", file.display().to_string()).with_detail(restore_detail(m));
    audit::record(store, actor, ev).await?;
    Ok(Restored {
        counts: row_counts(&store.db, Some(&schema)).await?,
        manifest: c.manifest,
        pending_migrations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT,
            created_at: "2026-11-24T01:00:00+00:00".into(),
            anpei_version: "0.1.0".into(),
            engine: "sqlite".into(),
            pg_schema: None,
            migrations: vec!["m0001_foundation".into()],
            counts: [("audit_log".to_string(), 2u64)].into_iter().collect(),
            audit: AuditMark {
                entries: 2,
                last_id: Some(2),
                last_hash: Some("ab".repeat(32)),
            },
            payload: Payload {
                kind: SQLITE_PAYLOAD.into(),
                bytes: 0,
                sha256: String::new(),
            },
        }
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("anpei-backup-{}", &random_token()[..12]));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn a_container_round_trips_and_every_flipped_byte_is_refused() {
        let crypto = Crypto::from_master_key(&[7u8; 32]);
        let payload = temp("payload");
        std::fs::write(&payload, b"SQLite format 3\0 and some pages").unwrap();
        let out = payload.with_file_name("b.anpei");
        let mut m = manifest();
        write_container(&crypto, &mut m, &payload, &out).unwrap();
        assert!(matches!(
            write_container(&crypto, &mut m, &payload, &out),
            Err(BackupError::Refused(_))
        ));
        let c = Container::open(&out).unwrap();
        c.verify(&crypto).unwrap();
        assert_eq!(c.manifest, m);
        let back = out.with_file_name("back");
        c.extract_payload(&back).unwrap();
        assert_eq!(
            std::fs::read(&back).unwrap(),
            std::fs::read(&payload).unwrap()
        );

        let good = std::fs::read(&out).unwrap();
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x01;
            let f = out.with_file_name(format!("bad-{i}"));
            std::fs::write(&f, &bad).unwrap();
            let refused = Container::open(&f).and_then(|c| {
                c.verify(&crypto)?;
                c.extract_payload(&f.with_extension("out"))
            });
            assert!(
                matches!(refused, Err(BackupError::Tampered(_))),
                "byte {i} flipped: {refused:?}"
            );
            assert!(!f.with_extension("out").exists(), "byte {i}: payload left");
        }
        // Another installation's key refuses it as well.
        let other = Crypto::from_master_key(&[8u8; 32]);
        assert!(matches!(c.verify(&other), Err(BackupError::Tampered(_))));
        std::fs::remove_dir_all(out.parent().unwrap()).ok();
    }

    #[test]
    fn a_truncated_or_extended_payload_is_refused() {
        let crypto = Crypto::from_master_key(&[7u8; 32]);
        let payload = temp("payload");
        std::fs::write(&payload, vec![5u8; 5000]).unwrap();
        let out = payload.with_file_name("b.anpei");
        write_container(&crypto, &mut manifest(), &payload, &out).unwrap();
        let good = std::fs::read(&out).unwrap();
        for bad in [good[..good.len() - 1].to_vec(), [&good[..], b"x"].concat()] {
            std::fs::write(&out, &bad).unwrap();
            let c = Container::open(&out).unwrap();
            c.verify(&crypto).unwrap();
            let e = c.extract_payload(&out.with_extension("out")).unwrap_err();
            assert!(e.to_string().contains("数据长度"), "{e}");
        }
        std::fs::remove_dir_all(out.parent().unwrap()).ok();
    }

    #[test]
    fn counts_are_compared_both_ways() {
        let a: BTreeMap<String, u64> = [("a".to_string(), 1), ("b".to_string(), 2)].into();
        assert!(compare_counts(&a, &a).is_ok());
        let mut b = a.clone();
        b.insert("b".into(), 3);
        assert!(compare_counts(&a, &b)
            .unwrap_err()
            .to_string()
            .contains("b 清单 2 行、实际 3 行"));
        let mut c = a.clone();
        c.insert("c".into(), 0);
        assert!(compare_counts(&a, &c)
            .unwrap_err()
            .to_string()
            .contains("c 表不在清单中"));
    }

    #[test]
    fn a_password_leaves_the_url_for_pgpassword() {
        assert_eq!(
            libpq_url("postgres://anpei:s%40cret@db:5432/anpei?sslmode=require"),
            (
                "postgres://anpei@db:5432/anpei?sslmode=require".to_string(),
                Some("s@cret".to_string())
            )
        );
        assert_eq!(
            libpq_url("postgres://postgres@127.0.0.1/test"),
            ("postgres://postgres@127.0.0.1/test".to_string(), None)
        );
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%E5%AE%89"), "安");
    }
}
