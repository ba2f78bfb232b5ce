//! `anpei remind`: runs the daily reminders once and prints what it sent; a date already run
//! is not run again unless `--force`, and a forced run sends nothing twice. On PostgreSQL
//! (`ANPEI_TEST_DATABASE_URL`) the test gets a schema of its own.

use sea_orm::{ConnectionTrait, Database};
use std::path::PathBuf;
use std::process::{Command, Output};

fn token() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}{:x}", n, std::process::id())
}

struct Env {
    dir: PathBuf,
    url: String,
    pg: Option<(String, String)>,
}

impl Env {
    async fn new() -> Env {
        let dir = std::env::temp_dir().join(format!("anpei-remind-{}", token()));
        std::fs::create_dir_all(&dir).unwrap();
        match std::env::var("ANPEI_TEST_DATABASE_URL")
            .ok()
            .filter(|u| u.starts_with("postgres"))
        {
            Some(base) => {
                let schema = format!("r_{}", token());
                let admin = Database::connect(&base)
                    .await
                    .expect("PostgreSQL reachable");
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

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_anpei"))
            .arg("--data-dir")
            .arg(&self.dir)
            .arg("--database-url")
            .arg(&self.url)
            .args(args)
            .env_remove("ANPEI_DATABASE_URL")
            .output()
            .expect("anpei runs")
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

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\n{}\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
async fn remind_runs_a_date_once_and_prints_what_it_sent() {
    let env = Env::new().await;
    if env.pg.is_some() {
        stdout(&env.run(&["migrate"]));
    }
    stdout(&env.run(&["demo", "--no-serve", "--subjects", "20", "--persons", "100"]));
    // Three days before the notice's self-inspection phase ends (2022-03-31).
    let first = stdout(&env.run(&["remind", "--date", "2022-03-28"]));
    assert!(first.contains("2022-03-28 的提醒：共发送"), "{first}");
    let again = stdout(&env.run(&["remind", "--date", "2022-03-28"]));
    assert!(again.contains("已由其他实例运行"), "{again}");
    let forced = stdout(&env.run(&["remind", "--date", "2022-03-28", "--force"]));
    assert!(
        forced.contains("共发送 0 条"),
        "nothing is sent twice: {forced}"
    );
    env.cleanup().await;
}
