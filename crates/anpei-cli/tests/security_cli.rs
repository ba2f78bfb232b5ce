//! Issue 7 at the operator's console: `anpei user add` sets a final password (no forced
//! change), and `user add` / `user passwd` check the password policy in force — the
//! configuration with the security administrator's saved settings laid over it — and the
//! password history. On PostgreSQL (`ANPEI_TEST_DATABASE_URL`) in a schema of its own.

use anpei_store::audit::Actor;
use anpei_store::entity::user;
use anpei_store::policy::SecurityPolicy;
use anpei_store::{security, ConnectConfig, Crypto, Store, SystemClock};
use sea_orm::{ColumnTrait, ConnectionTrait, Database, EntityTrait, QueryFilter};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

struct Env {
    dir: PathBuf,
    url: String,
    pg: Option<(String, String)>,
}

fn token() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}{:x}", n, std::process::id())
}

impl Env {
    async fn new() -> Env {
        let dir = std::env::temp_dir().join(format!("anpei-sec-cli-{}", token()));
        std::fs::create_dir_all(&dir).unwrap();
        match std::env::var("ANPEI_TEST_DATABASE_URL")
            .ok()
            .filter(|u| u.starts_with("postgres"))
        {
            Some(base) => {
                let schema = format!("s_{}", token());
                let admin = Database::connect(&base).await.expect("PostgreSQL");
                admin
                    .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                    .await
                    .unwrap();
                let sep = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
                Env {
                    dir,
                    url,
                    pg: Some((base, schema)),
                }
            }
            None => {
                let url = format!("sqlite://{}?mode=rwc", dir.join("anpei.db").display());
                Env { dir, url, pg: None }
            }
        }
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_anpei"));
        cmd.arg("--data-dir")
            .arg(&self.dir)
            .arg("--database-url")
            .arg(&self.url)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env_remove("ANPEI_DATABASE_URL");
        let mut child = cmd.spawn().expect("anpei runs");
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).unwrap();
        drop(input);
        child.wait_with_output().unwrap()
    }

    async fn store(&self) -> Store {
        Store::connect(
            &ConnectConfig {
                url: self.url.clone(),
                pg_schema: None,
                max_connections: Some(2),
            },
            Crypto::from_master_key(&[1u8; 32]),
            anpei_core::Params::default(),
            Arc::new(SystemClock),
        )
        .await
        .unwrap()
    }

    async fn cleanup(self) {
        if let Some((base, schema)) = &self.pg {
            if let Ok(admin) = Database::connect(base).await {
                admin
                    .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
                    .await
                    .ok();
            }
        }
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test]
async fn user_add_sets_a_final_password_under_the_policy_in_force() {
    let env = Env::new().await;
    let o = env.run(&["migrate"], "");
    assert!(o.status.success(), "{}", text(&o));
    let add = |name: &str, pw: &str| {
        env.run(
            &[
                "user",
                "add",
                name,
                "--role",
                "district",
                "--password-stdin",
            ],
            &format!("{pw}\n"),
        )
    };
    let o = add("zhao", "Final#2021");
    assert!(o.status.success(), "{}", text(&o));

    let store = env.store().await;
    let zhao = user::Entity::find()
        .filter(user::Column::Username.eq("zhao"))
        .one(&store.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !zhao.must_change_password,
        "an account the operator adds on the server keeps its password"
    );

    // The security administrator raises the minimum length: the CLI applies it.
    store.set_policy(SecurityPolicy::default());
    let mut p = SecurityPolicy::default();
    p.password.min_length = 12;
    security::save_policy(&store, &Actor::system("secadmin"), &p)
        .await
        .unwrap();
    let o = add("qian", "Final#2021x");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("密码至少12位（当前11位）"),
        "{}",
        text(&o)
    );
    let o = add("qian", "Final#2021xyz");
    assert!(o.status.success(), "{}", text(&o));

    // `user passwd` refuses one of the last five passwords.
    let o = env.run(
        &["user", "passwd", "qian", "--password-stdin"],
        "Final#2021xyz\n",
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("新密码不能与最近5次使用过的密码相同"),
        "{}",
        text(&o)
    );
    let o = env.run(
        &["user", "passwd", "qian", "--password-stdin"],
        "Another#2022xyz\n",
    );
    assert!(o.status.success(), "{}", text(&o));
    store.db.close().await.ok();
    env.cleanup().await;
}
