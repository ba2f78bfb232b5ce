//! The harness the CLI integration tests share: the built `anpei` binary run against a temp
//! data directory, its output read back, and on PostgreSQL (`ANPEI_TEST_DATABASE_URL`) a
//! fresh schema per test. Each test file uses only part of it.

#![allow(dead_code)]

use sea_orm::{ConnectionTrait, Database};
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A name part unique to this process and call.
pub fn token() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{:x}{:x}{}",
        n,
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The PostgreSQL test database, when `ANPEI_TEST_DATABASE_URL` names one.
pub fn pg_base() -> Option<String> {
    std::env::var("ANPEI_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

/// `url` with `schema` as the connection's search path.
pub fn search_path_url(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

/// A new schema `{prefix}_{token}` in the test database at `base`: (its URL, its name).
pub async fn fresh_schema(base: &str, prefix: &str) -> (String, String) {
    let schema = format!("{prefix}_{}", token());
    let admin = Database::connect(base).await.expect("PostgreSQL reachable");
    admin
        .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    admin.close().await.ok();
    (search_path_url(base, &schema), schema)
}

/// A new directory `anpei-{what}-{token}` under the system temp dir.
pub fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("anpei-{what}-{}", token()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A TCP port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// `anpei --data-dir DIR --database-url URL ARGS`, output captured, without the caller's
/// `ANPEI_DATABASE_URL`.
pub fn anpei(dir: &Path, url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_anpei"));
    cmd.arg("--data-dir")
        .arg(dir)
        .arg("--database-url")
        .arg(url)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("ANPEI_DATABASE_URL");
    cmd
}

/// Standard output and standard error, one after the other.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Standard output of a run that must have succeeded.
pub fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\n{}\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A data directory and its database: a SQLite file in the directory, or on PostgreSQL a
/// new schema of the test database.
pub struct Env {
    pub dir: PathBuf,
    pub url: String,
    /// PostgreSQL: the test database and the schema made for this test.
    pub pg: Option<(String, String)>,
}

impl Env {
    pub async fn new() -> Env {
        let dir = temp_dir("cli");
        match pg_base() {
            Some(base) => {
                let (url, schema) = fresh_schema(&base, "c").await;
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

    /// Runs `anpei ARGS` on this data directory, `stdin` (if any) written to its input.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = anpei(&self.dir, &self.url, args)
            .stdin(Stdio::piped())
            .spawn()
            .expect("anpei runs");
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    }

    pub async fn cleanup(self) {
        if let Some((base, schema)) = &self.pg {
            if let Ok(admin) = Database::connect(base).await {
                admin
                    .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
                    .await
                    .ok();
                admin.close().await.ok();
            }
        }
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// A multipart body of an import through the API: the `kind` field and one CSV file `name`;
/// (its content type, the body).
pub fn multipart(kind: &str, name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let b = "----anpei-test-boundary";
    let mut body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

/// `anpei demo` of a small city without serving: two districts (渝北区 and one more), their
/// ledgers, the campaign in both, tip-offs, evidence references, the audit chain.
pub const SMALL_CITY: &[&str] = &[
    "demo",
    "--no-serve",
    "--districts",
    "2",
    "--subjects",
    "12",
    "--persons",
    "60",
];
