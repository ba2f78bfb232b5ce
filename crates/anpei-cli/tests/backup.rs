//! `anpei backup FILE` / `anpei restore FILE` (等保 2.0 level 3) as an operator
//! runs them. On PostgreSQL (`ANPEI_TEST_DATABASE_URL`) the source is a fresh schema of the
//! test database and each restore target a fresh database using that schema's name (a
//! `pg_dump` archive restores under its own schema name); an unreachable PostgreSQL fails.

use crate::common::{anpei, fresh_schema, pg_base, search_path_url, temp_dir, text, token};
use anpei_store::platform::audit::{self, Actor, Event};
use anpei_store::platform::backup::{self, Container};
use anpei_store::{ConnectConfig, Crypto, Store, SystemClock};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

/// A data directory and its database.
struct Env {
    dir: PathBuf,
    url: String,
    /// PostgreSQL: the schema in use; a database to drop at the end (restore targets).
    schema: Option<String>,
    own_db: Option<(String, String)>,
}

/// `postgres://…/db?query` with another database name.
fn with_database(base: &str, db: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, format!("?{q}")),
        None => (base, String::new()),
    };
    let cut = head
        .rfind('/')
        .filter(|i| *i > head.find("://").unwrap() + 2);
    let prefix = cut.map(|i| &head[..i]).unwrap_or(head);
    format!("{prefix}/{db}{query}")
}

impl Env {
    fn sqlite() -> Env {
        let dir = temp_dir("backup");
        let url = format!("sqlite://{}?mode=rwc", dir.join("anpei.db").display());
        Env {
            dir,
            url,
            schema: None,
            own_db: None,
        }
    }

    /// A source: a new SQLite file, or a new schema in the test database.
    async fn source() -> Env {
        let Some(base) = pg_base() else {
            return Env::sqlite();
        };
        let (url, schema) = fresh_schema(&base, "b").await;
        Env {
            dir: temp_dir("backup"),
            url,
            schema: Some(schema),
            own_db: None,
        }
    }

    /// An empty restore target for `src`'s backups, with `src`'s master key copied over.
    async fn target(src: &Env) -> Env {
        let env = match (&src.schema, pg_base()) {
            (Some(schema), Some(base)) => {
                let db = format!("r_{}", token());
                let admin = Database::connect(&base)
                    .await
                    .expect("PostgreSQL reachable");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {db}"))
                    .await
                    .unwrap();
                admin.close().await.ok();
                Env {
                    dir: temp_dir("backup"),
                    url: search_path_url(&with_database(&base, &db), schema),
                    schema: Some(schema.clone()),
                    own_db: Some((base, db)),
                }
            }
            _ => Env::sqlite(),
        };
        std::fs::copy(src.dir.join("master.key"), env.dir.join("master.key")).unwrap();
        env
    }

    fn run(&self, args: &[&str]) -> Output {
        anpei(&self.dir, &self.url, args)
            .stdin(Stdio::null())
            .env_remove("ANPEI_MASTER_KEY")
            .output()
            .expect("anpei runs")
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A connection of its own to the database the binary worked on, as an operator's
    /// tools (or an intruder with the file) reach it: not the product's store.
    async fn raw_connection(&self) -> DatabaseConnection {
        Database::connect(&self.url).await.unwrap()
    }

    async fn counts(&self) -> BTreeMap<String, u64> {
        let db = self.raw_connection().await;
        let c = backup::row_counts(&db, self.schema.as_deref())
            .await
            .unwrap();
        db.close().await.ok();
        c
    }

    /// Empty as `restore` defines it (or not even migrated).
    async fn is_empty(&self) -> bool {
        let db = self.raw_connection().await;
        let ok = backup::check_empty(&db, self.schema.as_deref())
            .await
            .is_ok();
        db.close().await.ok();
        ok
    }

    fn crypto(&self) -> Crypto {
        Crypto::from_hex(&std::fs::read_to_string(self.dir.join("master.key")).unwrap()).unwrap()
    }

    async fn store(&self) -> Store {
        Store::connect(
            &ConnectConfig {
                url: self.url.clone(),
                pg_schema: None,
                max_connections: Some(2),
                read_url: None,
            },
            self.crypto(),
            Default::default(),
            Arc::new(SystemClock),
        )
        .await
        .unwrap()
    }

    async fn cleanup(self) {
        if let Some(base) = pg_base() {
            if let Ok(admin) = Database::connect(&base).await {
                match (&self.own_db, &self.schema) {
                    (Some((_, db)), _) => {
                        admin
                            .execute_unprepared(&format!("DROP DATABASE {db} WITH (FORCE)"))
                            .await
                            .ok();
                    }
                    (None, Some(schema)) => {
                        admin
                            .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
                            .await
                            .ok();
                    }
                    _ => {}
                }
                admin.close().await.ok();
            }
        }
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// Loads a small demo district into `env`.
fn demo(env: &Env, subjects: usize, persons: usize) {
    let (s, p) = (subjects.to_string(), persons.to_string());
    if env.schema.is_some() {
        let o = env.run(&["migrate"]);
        assert!(o.status.success(), "{}", text(&o));
    }
    let o = env.run(&["demo", "--no-serve", "--subjects", &s, "--persons", &p]);
    assert!(o.status.success(), "{}", text(&o));
}

fn backup_to(env: &Env, file: &Path) -> Output {
    env.run(&["backup", file.to_str().unwrap()])
}

fn restore_from(env: &Env, file: &Path) -> Output {
    env.run(&["restore", file.to_str().unwrap()])
}

/// The manifest's counts with the audit log one entry longer (the backup or restore record).
fn plus_one_audit(counts: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let mut c = counts.clone();
    *c.get_mut("audit_log").unwrap() += 1;
    c
}

async fn last_audit(env: &Env) -> (String, String, String) {
    let store = env.store().await;
    let e = audit::latest(&store, 1).await.unwrap().remove(0);
    store.close().await.ok();
    (e.action, e.result, e.detail)
}

#[tokio::test]
async fn a_backup_restores_into_a_fresh_data_dir_with_its_counts_and_audit_chain() {
    let src = Env::source().await;
    let help = src.run(&["--help"]);
    assert!(text(&help).contains("备份") && text(&help).contains("恢复"));
    demo(&src, 20, 200);
    let file = src.file("anpei.backup");
    let o = backup_to(&src, &file);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("已备份到"), "{}", text(&o));

    // The manifest holds every table's count: the source's, before the backup's own record.
    let m = Container::open(&file).unwrap().manifest;
    assert_eq!(plus_one_audit(&m.counts), src.counts().await);
    assert_eq!(m.counts["subjects"], 20);
    assert_eq!(m.counts["persons"], 200);
    // The demo has one account per role but the city's (a one-district demo).
    assert!(m.counts["trainings"] > 0);
    assert_eq!(m.counts["users"], anpei_store::Role::ALL.len() as u64 - 1);
    assert_eq!(m.audit.entries, m.counts["audit_log"]);
    assert_eq!(m.payload.sha256.len(), 64);
    let (action, result, detail) = last_audit(&src).await;
    assert_eq!((action.as_str(), result.as_str()), ("backup.create", "ok"));
    assert!(detail.contains(&m.payload.sha256), "{detail}");
    // A second backup never overwrites the first.
    let again = backup_to(&src, &file);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains("已存在"), "{}", text(&again));

    // A fresh data directory (never migrated) with the same master key.
    let dst = Env::target(&src).await;
    let o = restore_from(&dst, &file);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("已从"), "{}", text(&o));
    assert_eq!(dst.counts().await, plus_one_audit(&m.counts));
    let o = dst.run(&["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("共 {} 条", m.audit.entries + 1)),
        "{}",
        text(&o)
    );
    let (action, result, _) = last_audit(&dst).await;
    assert_eq!((action.as_str(), result.as_str()), ("backup.restore", "ok"));
    // The backup's last entry is there, unchanged.
    let store = dst.store().await;
    let entries = audit::latest(&store, 2).await.unwrap();
    assert_eq!(Some(entries[1].id), m.audit.last_id);
    assert_eq!(Some(&entries[1].hash), m.audit.last_hash.as_ref());
    store.close().await.ok();
    // The restored database is a working one: ids continue, the chain stays intact.
    let o = dst.run(&[
        "scan",
        "--format",
        "json",
        "--output",
        dst.file("scan.json").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(dst.run(&["audit", "verify"]).status.success());
    // And no longer empty: restoring again is refused.
    let twice = restore_from(&dst, &file);
    assert_eq!(twice.status.code(), Some(1));
    assert!(text(&twice).contains("目标数据库不是空库"));
    src.cleanup().await;
    dst.cleanup().await;
}

#[tokio::test]
async fn a_tampered_backup_is_refused_and_the_target_stays_empty() {
    let src = Env::source().await;
    demo(&src, 8, 60);
    let file = src.file("anpei.backup");
    assert!(backup_to(&src, &file).status.success());
    let good = std::fs::read(&file).unwrap();
    let c = Container::open(&file).unwrap();
    let start = c.payload_offset as usize;

    // A target where `anpei migrate` has run (reference lists seeded): still empty.
    let dst = Env::target(&src).await;
    if let Some(schema) = &dst.schema {
        let db = dst.raw_connection().await;
        db.execute_unprepared(&format!("CREATE SCHEMA {schema}"))
            .await
            .unwrap();
        db.close().await.ok();
    }
    assert!(dst.run(&["migrate"]).status.success());
    assert!(dst.is_empty().await);
    let seeded = dst.counts().await;

    let refuse = |bytes: &[u8], what: &str, expect: &str| {
        let f = src.file(&format!("tampered-{}", token()));
        std::fs::write(&f, bytes).unwrap();
        let o = restore_from(&dst, &f);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", text(&o));
        assert!(
            text(&o).contains("备份文件已被篡改或损坏") && text(&o).contains(expect),
            "{what}: {}",
            text(&o)
        );
    };
    // One flipped byte anywhere: header, signature, manifest, payload.
    let manifest_at = start - c.manifest_bytes.len() + c.manifest_bytes.len() / 2;
    for (at, what) in [
        (0, "magic"),
        (20, "signature"),
        (manifest_at, "manifest"),
        (start, "payload start"),
        (start + (good.len() - start) / 2, "payload middle"),
        (good.len() - 1, "last byte"),
    ] {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        refuse(&bad, what, "");
    }
    refuse(&good[..good.len() - 100], "truncated", "");
    // Data and manifest edited together: the SHA-256 matches, the signature does not.
    let mut payload = good[start..].to_vec();
    let mid = payload.len() / 2;
    payload[mid] ^= 0x01;
    let sha = anpei_store::crypto::sha256_hex(&payload);
    let manifest = String::from_utf8(c.manifest_bytes.clone())
        .unwrap()
        .replace(&c.manifest.payload.sha256, &sha);
    let mut forged = good[..start - c.manifest_bytes.len()].to_vec();
    forged.extend_from_slice(manifest.as_bytes());
    forged.extend_from_slice(&payload);
    refuse(&forged, "consistent edit", "清单签名");

    // Nothing reached the target; each refusal is in its audit log.
    assert!(dst.is_empty().await);
    let after = dst.counts().await;
    assert_eq!(after["audit_log"], seeded["audit_log"] + 8);
    assert_eq!(seeded["towns"], after["towns"]);
    let (action, result, detail) = last_audit(&dst).await;
    assert_eq!(
        (action.as_str(), result.as_str()),
        ("backup.restore", "failed")
    );
    assert!(detail.contains("备份文件已被篡改或损坏"), "{detail}");

    // Another installation's master key: refused too.
    let stranger = Env::target(&src).await;
    std::fs::write(stranger.file("master.key"), "ab".repeat(32)).unwrap();
    let o = restore_from(&stranger, &file);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("主密钥"), "{}", text(&o));

    // The untouched backup still restores into the (still empty) target.
    let o = restore_from(&dst, &file);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(dst.counts().await, plus_one_audit(&c.manifest.counts));
    src.cleanup().await;
    dst.cleanup().await;
    stranger.cleanup().await;
}

#[tokio::test]
async fn restoring_over_a_database_in_use_is_refused_and_changes_nothing() {
    let src = Env::source().await;
    demo(&src, 5, 30);
    let file = src.file("anpei.backup");
    assert!(backup_to(&src, &file).status.success());
    let before = src.counts().await;
    let o = restore_from(&src, &file);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("目标数据库不是空库"), "{}", text(&o));
    assert!(text(&o).contains("subjects 表有 5 行"), "{}", text(&o));
    // Only the refusal itself was recorded.
    assert_eq!(src.counts().await, plus_one_audit(&before));
    assert!(src.run(&["audit", "verify"]).status.success());
    src.cleanup().await;
}

#[tokio::test]
async fn a_backup_of_a_tampered_audit_log_is_refused() {
    let src = Env::source().await;
    demo(&src, 5, 30);
    let db = src.raw_connection().await;
    let drop = if src.schema.is_some() {
        "DROP TRIGGER audit_log_append_only ON audit_log"
    } else {
        "DROP TRIGGER audit_log_no_update"
    };
    db.execute_unprepared(drop).await.unwrap();
    db.execute_unprepared("UPDATE audit_log SET username = 'nobody' WHERE id = 2")
        .await
        .unwrap();
    db.close().await.ok();
    let file = src.file("anpei.backup");
    let o = backup_to(&src, &file);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("审计日志哈希链校验失败：第一条异常记录 id=2"),
        "{}",
        text(&o)
    );
    assert!(!file.exists());
    assert!(std::fs::read_dir(&src.dir).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with('.')));
    src.cleanup().await;
}

/// Signs a changed payload or manifest as the installation would: what the signature
/// cannot catch (a database broken before it was backed up), restore's own checks must.
#[tokio::test]
async fn a_validly_signed_backup_that_fails_the_database_checks_is_refused() {
    // The payload edited here is a SQLite file, so this runs on SQLite on either suite.
    let src = Env::sqlite();
    demo(&src, 5, 30);
    let file = src.file("anpei.backup");
    assert!(backup_to(&src, &file).status.success());
    let c = Container::open(&file).unwrap();
    let payload = src.file("payload.db");
    c.extract_payload(&payload).unwrap();
    let crypto = src.crypto();
    let dst = Env::target(&src).await;

    let reseal = |payload: &Path, edit: &dyn Fn(&mut backup::Manifest)| {
        let mut m = c.manifest.clone();
        edit(&mut m);
        let out = src.file(&format!("resealed-{}", token()));
        backup::write_container(&crypto, &mut m, payload, &out).unwrap();
        out
    };
    let refused = |f: &Path, expect: &str| {
        let o = restore_from(&dst, f);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(text(&o).contains(expect), "{}", text(&o));
    };

    // Counts that do not match the database.
    let f = reseal(&payload, &|m| *m.counts.get_mut("subjects").unwrap() += 1);
    refused(&f, "各表行数与清单不符：subjects 清单 6 行、实际 5 行");

    // An audit entry edited in the database (and the manifest re-signed).
    let edited = src.file("edited.db");
    std::fs::copy(&payload, &edited).unwrap();
    let db = Database::connect(format!("sqlite://{}", edited.display()))
        .await
        .unwrap();
    db.execute_unprepared("DROP TRIGGER audit_log_no_update")
        .await
        .unwrap();
    db.execute_unprepared("UPDATE audit_log SET detail = 'x' WHERE id = 3")
        .await
        .unwrap();
    db.execute_unprepared("PRAGMA journal_mode = DELETE")
        .await
        .unwrap();
    db.close().await.ok();
    let f = reseal(&edited, &|_| {});
    refused(&f, "审计日志哈希链校验失败：第一条异常记录 id=3");

    // A damaged page.
    let mut bytes = std::fs::read(&payload).unwrap();
    let page = 4096;
    let at = (bytes.len() / page / 2) * page;
    for b in &mut bytes[at..at + page] {
        *b = 0x5a;
    }
    let broken = src.file("broken.db");
    std::fs::write(&broken, &bytes).unwrap();
    let f = reseal(&broken, &|_| {});
    refused(&f, "数据库完整性检查未通过");

    // A backup from a newer anpei (a migration this one does not know).
    let f = reseal(&payload, &|m| m.migrations.push("m9999_future".into()));
    refused(&f, "更新版本");

    assert!(dst.is_empty().await);
    src.cleanup().await;
    dst.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_another_connection_writes_restores_consistently() {
    let src = Env::source().await;
    demo(&src, 5, 30);
    let store = src.store().await;
    let initial = src.counts().await["audit_log"];
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (store, stop) = (store.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || n < 40 {
                let ev = Event::ok("test.write", format!("write:{n}"));
                let attempt = async {
                    let txn = store.write().await.map_err(|e| e.to_string())?;
                    if store.backend() == DbBackend::Sqlite {
                        // Take SQLite's write lock first (waiting under the busy timeout),
                        // as `anpei backup` does: `Store::write` begins a deferred
                        // transaction, whose read-then-append fails at once ("database is
                        // locked") when another process appended in between.
                        txn.execute_unprepared("UPDATE audit_log SET id = id WHERE 0")
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                    audit::append(&*txn, store.now(), &Actor::system("writer"), &ev)
                        .await
                        .map_err(|e| e.to_string())?;
                    txn.commit().await.map_err(|e| e.to_string())
                };
                match attempt.await {
                    Ok(()) => n += 1,
                    // A busy server answers this request 503 and takes the next: on a
                    // loaded machine the lock can outwait the busy timeout.
                    Err(e) if e.contains("locked") || e.contains("busy") => {}
                    Err(e) => panic!("the writer failed: {e}"),
                }
                // A busy server, not a tight loop: on a loaded machine a writer that never
                // lets go starved the backup process of SQLite's locks for minutes.
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            n
        })
    };
    // Let the writer get going, then back up while it writes (a writer that died fails the
    // test here rather than leaving it waiting).
    let started = std::time::Instant::now();
    while src.counts().await["audit_log"] < initial + 20 {
        assert!(
            !writer.is_finished(),
            "the writer stopped before writing 20 entries"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(300),
            "the writer wrote fewer than 20 entries in 5 minutes"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let file = src.file("anpei.backup");
    let o = {
        let (dir, url, f) = (src.dir.clone(), src.url.clone(), file.clone());
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_anpei"))
                .arg("--data-dir")
                .arg(dir)
                .arg("--database-url")
                .arg(url)
                .arg("backup")
                .arg(f)
                .env_remove("ANPEI_MASTER_KEY")
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.unwrap();
    store.close().await.ok();
    assert!(o.status.success(), "{}", text(&o));
    let m = Container::open(&file).unwrap().manifest;
    let fin = src.counts().await["audit_log"];
    assert!(
        m.audit.entries >= initial + 20,
        "{} {initial}",
        m.audit.entries
    );
    assert!(m.audit.entries < fin, "{} {fin}", m.audit.entries);
    assert_eq!(fin, initial + written + 1);

    let dst = Env::target(&src).await;
    let o = restore_from(&dst, &file);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(dst.counts().await, plus_one_audit(&m.counts));
    assert!(dst.run(&["audit", "verify"]).status.success());
    src.cleanup().await;
    dst.cleanup().await;
}
