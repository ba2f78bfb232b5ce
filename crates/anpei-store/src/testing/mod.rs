//! Test support shared by the crates' integration tests: a fresh database per test —
//! a new SQLite file, or a new schema in the PostgreSQL that `ANPEI_TEST_DATABASE_URL`
//! names (CI runs the same suite both ways).

use crate::{Clock, ConnectConfig, Crypto, FixedClock, Store};
use anpei_core::Params;
use sea_orm::{ConnectionTrait, Database};
use std::path::PathBuf;
use std::sync::Arc;

/// A store on a fresh, migrated database.
pub struct TestDb {
    pub store: Store,
    pub clock: Arc<FixedClock>,
    /// The SQLite file, when the test runs on SQLite.
    pub sqlite_path: Option<PathBuf>,
    pub url: String,
    pub pg_schema: Option<String>,
}

/// The moment tests start at: 2026-11-24 09:00 in China.
pub fn test_start() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-11-24T01:00:00Z")
        .expect("valid")
        .with_timezone(&chrono::Utc)
}

fn unique_name() -> String {
    format!("t_{}", &crate::crypto::random_token()[..16])
}

impl TestDb {
    /// A migrated test database: PostgreSQL when `ANPEI_TEST_DATABASE_URL` names one, else
    /// a fresh SQLite file.
    pub async fn new() -> TestDb {
        TestDb::open(false, true).await
    }

    /// A migrated SQLite test database, whatever the environment names.
    pub async fn new_sqlite() -> TestDb {
        TestDb::open(true, true).await
    }

    /// An empty database without any table (the target of a transfer), as [`TestDb::new`]
    /// chooses it.
    pub async fn empty() -> TestDb {
        TestDb::open(false, false).await
    }

    async fn open(force_sqlite: bool, migrate: bool) -> TestDb {
        let clock = Arc::new(FixedClock::new(test_start()));
        let crypto = Crypto::from_master_key(&[42u8; 32]);
        let (cfg, sqlite_path) = match std::env::var("ANPEI_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty() && !force_sqlite)
        {
            Some(url) if url.starts_with("postgres") => {
                let schema = unique_name();
                let admin = Database::connect(&url)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL unreachable at {url}: {e}"));
                admin
                    .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                    .await
                    .expect("create schema");
                admin.close().await.ok();
                (
                    ConnectConfig {
                        url,
                        pg_schema: Some(schema),
                        max_connections: Some(4),
                        read_url: None,
                    },
                    None,
                )
            }
            _ => {
                let dir = std::env::temp_dir().join("anpei-tests");
                std::fs::create_dir_all(&dir).expect("temp dir");
                let path = dir.join(format!("{}.db", unique_name()));
                let url = format!("sqlite://{}?mode=rwc", path.display());
                (
                    ConnectConfig {
                        url,
                        pg_schema: None,
                        max_connections: Some(4),
                        read_url: None,
                    },
                    Some(path),
                )
            }
        };
        let store = Store::connect(
            &cfg,
            crypto,
            Params::default(),
            clock.clone() as Arc<dyn Clock>,
        )
        .await
        .expect("connect");
        if migrate {
            store.migrate().await.expect("migrate");
        }
        // Tests sign in without a second factor unless they turn it on (as a test
        // installation would, with `ANPEI_SECURITY_MFA_ROLES=`).
        store.set_policy(crate::platform::policy::SecurityPolicy {
            mfa_roles: Vec::new(),
            ..Default::default()
        });
        TestDb {
            store,
            clock,
            sqlite_path,
            url: cfg.url,
            pg_schema: cfg.pg_schema,
        }
    }

    /// Drops the PostgreSQL schema or deletes the SQLite files.
    pub async fn cleanup(self) {
        self.store.db.close().await.ok();
        if let Some(schema) = &self.pg_schema {
            if let Ok(admin) = Database::connect(&self.url).await {
                admin
                    .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
                    .await
                    .ok();
                admin.close().await.ok();
            }
        }
        if let Some(p) = &self.sqlite_path {
            for suffix in ["", "-wal", "-shm"] {
                std::fs::remove_file(format!("{}{suffix}", p.display())).ok();
            }
        }
    }
}

/// What tests observe and arrange in each part of the product, beyond what the product's own
/// scoped functions answer: readers named after what a test checks, and the few set-ups no
/// user action can reach (a problem already overdue, a table gone missing mid-write).
#[cfg(feature = "test-support")]
pub mod access;
#[cfg(feature = "test-support")]
pub mod campaign;
#[cfg(feature = "test-support")]
pub mod platform;
#[cfg(feature = "test-support")]
pub mod records;

/// Runs SQL on the store's database directly, as someone holding the database file could, or
/// as a failing disk would: for tests of tamper evidence and of a write failing half-way.
/// Nothing in the product calls it.
#[cfg(feature = "test-support")]
pub async fn execute_raw(store: &Store, sql: &str) -> Result<u64, sea_orm::DbErr> {
    Ok(store.db.execute_unprepared(sql).await?.rows_affected())
}

/// A scope of the given reach, for tests that check what an account of that reach sees
/// without signing one in.
#[cfg(feature = "test-support")]
pub fn scope(reach: crate::Reach) -> crate::Scope {
    crate::Scope::of(reach)
}

/// The scope an account has when it signs in.
#[cfg(feature = "test-support")]
pub fn scope_of(u: &crate::model::User) -> crate::Scope {
    crate::Scope::for_user(u)
}

/// The scope of a town's accounts.
#[cfg(feature = "test-support")]
pub fn town_scope(town: i32) -> crate::Scope {
    scope(crate::Reach::Town(town))
}

/// The scope of a department's accounts.
#[cfg(feature = "test-support")]
pub fn department_scope(department: i32) -> crate::Scope {
    scope(crate::Reach::Department(department))
}

/// The scope of a subject's own accounts.
#[cfg(feature = "test-support")]
pub fn subject_scope(subject: i32) -> crate::Scope {
    scope(crate::Reach::Subject(subject))
}

/// Tables a write test's fingerprint leaves out, each for its reason: what changes on every
/// request, or with a sign-in, whatever the request does to business data.
pub const FINGERPRINT_EXCLUDED: &[(&str, &str)] = &[
    (
        "sessions",
        "a sign-in, and every request, touches its session",
    ),
    (
        "audit_log",
        "a refused write is audited too: the record of the attempt, not a change",
    ),
    (
        "imports",
        "the import history records every upload, refused rows and all",
    ),
    (
        "users",
        "a sign-in stamps the account (last sign-in, failed attempts)",
    ),
    ("api_tokens", "issuing and using a token stamps it"),
    (
        "user_mfa",
        "an account's own second factor, not business data",
    ),
    (
        "recovery_codes",
        "an account's own second factor, not business data",
    ),
    (
        "password_history",
        "an account's own passwords, not business data",
    ),
    (
        "job_runs",
        "background jobs record their runs on their own schedule",
    ),
    (
        "security_settings",
        "the security administrator's policy, not business data",
    ),
    ("seaql_migrations", "the schema's version, not data"),
];

/// A fingerprint of the business data: for every table but [`FINGERPRINT_EXCLUDED`], its
/// row count and a SHA-256 over all its rows in id order (each row as JSON with its columns
/// by name). Two fingerprints are equal when no business row was inserted, changed or
/// deleted in between. The inbox is kept (a refused write must not notify anyone either), and
/// so are the role grants (`user_grants`: no request but the security administrator's changes
/// them).
///
/// Panics (it is test support) when the database cannot be read, or when a column's value
/// cannot be read as JSON: a column left out would hide its changes.
pub async fn fingerprint(store: &Store) -> std::collections::BTreeMap<String, (u64, String)> {
    use sea_orm::{DbBackend, FromQueryResult, JsonValue, Statement};
    use sha2::{Digest, Sha256};
    let db = &store.db;
    let backend = db.get_database_backend();
    let names = |sql: String| async move {
        db.query_all(Statement::from_string(backend, sql))
            .await
            .expect("list the schema")
            .iter()
            .map(|r| r.try_get_by_index::<String>(0).expect("a name"))
            .collect::<Vec<String>>()
    };
    let tables = match backend {
        DbBackend::Postgres => {
            names(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                    .into(),
            )
            .await
        }
        _ => {
            names(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
                    .into(),
            )
            .await
        }
    };
    let mut out = std::collections::BTreeMap::new();
    for t in tables {
        if FINGERPRINT_EXCLUDED.iter().any(|(x, _)| *x == t) {
            continue;
        }
        // Names come from the catalogue, not from a caller: quoting is enough.
        let columns = match backend {
            DbBackend::Postgres => {
                names(format!(
                    "SELECT column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = '{t}'"
                ))
                .await
            }
            _ => names(format!("SELECT name FROM pragma_table_info('{t}')")).await,
        };
        let order = if columns.iter().any(|c| c == "id") {
            " ORDER BY id"
        } else {
            ""
        };
        let rows = JsonValue::find_by_statement(Statement::from_string(
            backend,
            format!("SELECT * FROM \"{t}\"{order}"),
        ))
        .all(db)
        .await
        .unwrap_or_else(|e| panic!("read {t}: {e}"));
        let mut lines: Vec<String> = Vec::with_capacity(rows.len());
        for row in &rows {
            for c in &columns {
                assert!(
                    row.get(c).is_some(),
                    "{t}.{c} cannot be read as JSON: the fingerprint would miss its changes"
                );
            }
            // serde_json's map keeps keys sorted: the same row always reads the same.
            lines.push(row.to_string());
        }
        // A table without an id column has no stable order in SQL: its rows are sorted.
        if order.is_empty() {
            lines.sort();
        }
        let mut hash = Sha256::new();
        for l in &lines {
            hash.update(l.as_bytes());
            hash.update(b"\n");
        }
        out.insert(t, (lines.len() as u64, hex::encode(hash.finalize())));
    }
    out
}

/// The tables whose entries differ between two fingerprints, each with its row counts
/// before and after (a table only in one of them counts 0 rows in the other).
pub fn fingerprint_changes(
    before: &std::collections::BTreeMap<String, (u64, String)>,
    after: &std::collections::BTreeMap<String, (u64, String)>,
) -> Vec<String> {
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|t| before.get(*t) != after.get(*t))
        .map(|t| {
            let n =
                |m: &std::collections::BTreeMap<String, (u64, String)>| m.get(t).map_or(0, |e| e.0);
            format!("{t} ({} → {} rows)", n(before), n(after))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::campaign;
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

    #[tokio::test]
    async fn a_change_to_one_row_changes_only_its_tables_fingerprint() {
        let db = TestDb::new().await;
        let before = fingerprint(&db.store).await;
        assert!(before.contains_key("subjects") && before.contains_key("campaigns"));
        for (t, _) in FINGERPRINT_EXCLUDED {
            assert!(!before.contains_key(*t), "{t} is excluded");
        }
        assert_eq!(
            fingerprint(&db.store).await,
            before,
            "reading changes nothing"
        );

        let first = campaign::Entity::find()
            .one(&db.store.db)
            .await
            .unwrap()
            .expect("a migrated database has the notice's campaign");
        let mut am = first.clone().into_active_model();
        am.name = Set(format!("{}（改）", first.name));
        am.update(&db.store.db).await.unwrap();
        let after = fingerprint(&db.store).await;
        assert_eq!(
            fingerprint_changes(&before, &after),
            vec![format!(
                "campaigns ({n} → {n} rows)",
                n = before["campaigns"].0
            )]
        );
        assert_ne!(after["campaigns"].1, before["campaigns"].1);

        // Back as it was: the same fingerprint again.
        first
            .into_active_model()
            .reset_all()
            .update(&db.store.db)
            .await
            .unwrap();
        assert_eq!(fingerprint(&db.store).await, before);
        db.cleanup().await;
    }
}
