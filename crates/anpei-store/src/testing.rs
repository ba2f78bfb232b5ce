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
    pub async fn new() -> TestDb {
        let clock = Arc::new(FixedClock::new(test_start()));
        let crypto = Crypto::from_master_key(&[42u8; 32]);
        let (cfg, sqlite_path) = match std::env::var("ANPEI_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
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
        store.migrate().await.expect("migrate");
        // Tests sign in without a second factor unless they turn it on (as a test
        // installation would, with `ANPEI_SECURITY_MFA_ROLES=`).
        store.set_policy(crate::policy::SecurityPolicy {
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

/// A scope of the given reach, for tests that check what an account of that reach sees
/// without signing one in.
#[cfg(feature = "test-support")]
pub fn scope(reach: crate::Reach) -> crate::Scope {
    crate::Scope::of(reach)
}

/// The scope an account has when it signs in.
#[cfg(feature = "test-support")]
pub fn scope_of(u: &crate::entity::user::Model) -> crate::Scope {
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
