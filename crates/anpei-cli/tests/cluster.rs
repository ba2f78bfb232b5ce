//! Several servers, one database: two `anpei serve` instances started together on one data
//! directory (a cluster's shared directory: the master key, the evidence files) and one
//! database (a fresh PostgreSQL schema when `ANPEI_TEST_DATABASE_URL` names a server, else the
//! embedded file), behind HAProxy balancing round robin, as the README's deployment section
//! sets them up. A session made through one instance works through the other and through the
//! balancer, and signing out through one ends it on both (on the other within two seconds:
//! its memo of repeated reads); the daily job runs once between
//! them; an import made through one is seen through the other.
//!
//! HAProxy is a Debian package `.ci/run` installs; without it this test fails under `CI=true`
//! and is skipped with a note otherwise.

use crate::common::{free_port, multipart, stdout, temp_dir, Env};
use sea_orm::{ConnectionTrait, Database, Statement};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "Anpei@2021";

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn haproxy() -> Option<PathBuf> {
    [
        "/usr/sbin/haproxy",
        "/usr/bin/haproxy",
        "/usr/local/sbin/haproxy",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// `anpei serve` on `port`, its output in `log`.
fn serve(env: &Env, port: u16, log: &Path) -> Running {
    let out = File::create(log).expect("log file");
    let err = out.try_clone().expect("clone log file");
    let child = Command::new(env!("CARGO_BIN_EXE_anpei"))
        .arg("--data-dir")
        .arg(&env.dir)
        .arg("--database-url")
        .arg(&env.url)
        .args(["serve", "--bind"])
        .arg(format!("127.0.0.1:{port}"))
        .env_remove("ANPEI_DATABASE_URL")
        .env_remove("ANPEI_BIND")
        .env("ANPEI_LOG", "info,anpei_web=debug")
        .env("ANPEI_SECURITY_MFA_ROLES", "")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start anpei serve");
    Running(child)
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .redirects(0)
        .build()
}

fn wait_healthy(base: &str, what: &str, logs: &[&Path]) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while agent().get(&format!("{base}/healthz")).call().is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not come up:\n{}",
            logs.iter()
                .map(|l| std::fs::read_to_string(l).unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n----\n")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The status of a request, whether ureq calls it an error or not.
fn status(r: Result<ureq::Response, ureq::Error>) -> (u16, Option<ureq::Response>) {
    match r {
        Ok(r) => (r.status(), Some(r)),
        Err(ureq::Error::Status(s, r)) => (s, Some(r)),
        Err(e) => panic!("request failed: {e}"),
    }
}

/// Signs in through the form at `base`: the session cookie (`name=value`) and its CSRF token.
fn sign_in(base: &str, user: &str) -> (String, String) {
    let a = agent();
    let login = a.get(&format!("{base}/login")).call().unwrap();
    let pre = login
        .header("set-cookie")
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = field(&login.into_string().unwrap(), "_csrf");
    let (code, r) = status(
        a.post(&format!("{base}/login"))
            .set("Cookie", &pre)
            .send_form(&[("username", user), ("password", PASSWORD), ("_csrf", &csrf)]),
    );
    assert_eq!(code, 303, "signed in");
    let cookie = r
        .unwrap()
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("anpei_session=") && !c.starts_with("anpei_session=;"))
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = a
        .get(&format!("{base}/"))
        .set("Cookie", &cookie)
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    (cookie, field(&page, "_csrf"))
}

/// The value of a hidden input or a meta tag named `name` in a page.
fn field(html: &str, name: &str) -> String {
    for pat in [
        format!("name=\"{name}\" value=\""),
        format!("name=\"{name}\" content=\""),
    ] {
        if let Some(v) = html.split(&pat).nth(1).and_then(|s| s.split('"').next()) {
            return v.to_string();
        }
    }
    panic!("no {name} in the page:\n{html}")
}

fn get_with(base: &str, path: &str, cookie: &str) -> (u16, Option<ureq::Response>) {
    status(
        agent()
            .get(&format!("{base}{path}"))
            .set("Cookie", cookie)
            .call(),
    )
}

#[tokio::test]
async fn two_servers_behind_haproxy_share_sessions_the_daily_job_and_imports() {
    let Some(haproxy) = haproxy() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "haproxy is not installed (.ci/run installs the Debian package)"
        );
        eprintln!("skipped: haproxy is not installed (apt-get install haproxy)");
        return;
    };
    let env = Env::new().await;
    stdout(&env.run(&["migrate"], None));
    stdout(&env.run(
        &["demo", "--no-serve", "--subjects", "12", "--persons", "60"],
        None,
    ));
    let logs = temp_dir("cluster");
    let (pa, pb, plb) = (free_port(), free_port(), free_port());
    let (log_a, log_b) = (logs.join("a.log"), logs.join("b.log"));
    // Started together: both schedulers race for the day's job.
    let a = serve(&env, pa, &log_a);
    let b = serve(&env, pb, &log_b);
    let (base_a, base_b) = (
        format!("http://127.0.0.1:{pa}"),
        format!("http://127.0.0.1:{pb}"),
    );
    wait_healthy(&base_a, "instance a", &[&log_a]);
    wait_healthy(&base_b, "instance b", &[&log_b]);

    let cfg = logs.join("haproxy.cfg");
    std::fs::write(
        &cfg,
        format!(
            "global\n  maxconn 256\n\
             defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n\
             frontend web\n  bind 127.0.0.1:{plb}\n  option forwardfor\n  default_backend anpei\n\
             backend anpei\n  balance roundrobin\n  option httpchk GET /healthz\n\
             \x20 http-response set-header X-Anpei-Backend %s\n\
             \x20 server a 127.0.0.1:{pa} check inter 1s\n\
             \x20 server b 127.0.0.1:{pb} check inter 1s\n"
        ),
    )
    .unwrap();
    let lb_log = logs.join("haproxy.log");
    let out = File::create(&lb_log).unwrap();
    let lb = Running(
        Command::new(&haproxy)
            .args(["-db", "-f"])
            .arg(&cfg)
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("start haproxy"),
    );
    let base_lb = format!("http://127.0.0.1:{plb}");
    wait_healthy(&base_lb, "haproxy", &[&lb_log]);

    // Signed in through a, the session works through b and through the balancer, which
    // hands the requests to both instances.
    let (cookie, csrf) = sign_in(&base_a, "district");
    let (code, _) = get_with(&base_b, "/subjects", &cookie);
    assert_eq!(code, 200, "a's session works on b");
    let mut served = std::collections::BTreeSet::new();
    for _ in 0..6 {
        let (code, r) = get_with(&base_lb, "/subjects", &cookie);
        assert_eq!(code, 200, "through the balancer");
        served.insert(
            r.unwrap()
                .header("x-anpei-backend")
                .unwrap_or("")
                .to_string(),
        );
    }
    assert_eq!(
        served.into_iter().collect::<Vec<_>>(),
        ["a", "b"],
        "round robin reached both instances"
    );

    // An import through b with a token from a, then read through a.
    let token: serde_json::Value = agent()
        .post(&format!("{base_a}/api/v1/auth/token"))
        .send_json(serde_json::json!({"username": "district", "password": PASSWORD}))
        .expect("token")
        .into_json()
        .unwrap();
    let auth = format!("Bearer {}", token["token"].as_str().unwrap());
    let subjects: serde_json::Value = agent()
        .get(&format!("{base_b}/api/v1/subjects?per_page=1"))
        .set("Authorization", &auth)
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    let uscc = subjects["items"][0]["uscc"].as_str().unwrap().to_string();
    let csv = format!(
        "统一社会信用代码,姓名,身份证号,手机号,岗位类别,作业类别,任职日期\n\
         {uscc},集群测试,11010519491231002X,13912345678,一般从业人员,,2021-03-05\n"
    );
    let (ct, body) = multipart("persons", "人员.csv", csv.as_bytes());
    let (code, _) = status(
        agent()
            .post(&format!("{base_b}/api/v1/imports"))
            .set("Authorization", &auth)
            .set("Content-Type", &ct)
            .send_bytes(&body),
    );
    assert_eq!(code, 200, "the import through b ran");
    let found: serde_json::Value = agent()
        .get(&format!("{base_a}/api/v1/persons?q=集群测试"))
        .set("Authorization", &auth)
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(found["total"], 1, "a sees b's import: {found}");

    // Signing out through b (a form with a's CSRF token) ends the session on a too.
    let (code, _) = status(
        agent()
            .post(&format!("{base_b}/logout"))
            .set("Cookie", &cookie)
            .send_form(&[("_csrf", &csrf)]),
    );
    assert_eq!(code, 303, "signed out through b");
    // a may have remembered the session for up to two seconds (its memo of repeated reads
    // sees its own writes at once, another instance's within two seconds).
    let signed_out = Instant::now();
    loop {
        let (code, r) = get_with(&base_a, "/subjects", &cookie);
        if code == 303 {
            assert!(r.unwrap().header("location").unwrap().starts_with("/login"));
            break;
        }
        assert_eq!(code, 200);
        assert!(
            signed_out.elapsed() < Duration::from_secs(3),
            "a still accepts the session 3 s after the sign-out through b"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // The day's job: run by one instance, found claimed by the other (when it is due: from
    // 08:00 China time).
    let db = Database::connect(&env.url).await.unwrap();
    let china_hour = (chrono::Utc::now() + chrono::Duration::hours(8))
        .format("%H")
        .to_string()
        .parse::<u32>()
        .unwrap();
    let runs = || async {
        let row = db
            .query_one(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) FROM job_runs WHERE job = 'daily_reminders'",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    };
    if china_hour >= 8 {
        let deadline = Instant::now() + Duration::from_secs(60);
        let (ran, skipped) = loop {
            let text: Vec<String> = [&log_a, &log_b]
                .iter()
                .map(|l| std::fs::read_to_string(l).unwrap_or_default())
                .collect();
            let ran = text
                .iter()
                .filter(|t| t.contains("daily reminders sent"))
                .count();
            let skipped = text
                .iter()
                .filter(|t| t.contains("daily reminders claimed by another instance"))
                .count();
            if ran + skipped >= 2 || Instant::now() > deadline {
                break (ran, skipped);
            }
            std::thread::sleep(Duration::from_millis(250));
        };
        assert_eq!(
            (ran, skipped),
            (1, 1),
            "one ran, the other found it claimed"
        );
        assert_eq!(runs().await, 1);
    } else {
        assert_eq!(runs().await, 0, "not due before 08:00");
    }
    db.close().await.ok();
    drop((lb, a, b));
    let _ = std::fs::remove_dir_all(&logs);
    env.cleanup().await;
}
