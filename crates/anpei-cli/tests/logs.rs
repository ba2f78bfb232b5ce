//! 等保 / PIPL: no ID number, phone number, password or token appears in the application's
//! logs. Runs the real server at the most verbose log level, drives sign-ins (good and bad),
//! API tokens, an import carrying personal data and reads of personal data, then scans
//! everything the process wrote.

use crate::common::{free_port, multipart, temp_dir};
use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const PASSWORD: &str = "Anpei@2021";
const WRONG_PASSWORD: &str = "Wr0ng#Passw0rd";
/// A valid ID number (GB 11643 check digit) and a phone number, typed as a user would.
const ID_NUMBER: &str = "11010519491231002X";
const PHONE: &str = "13912345678";

struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, log: &Path, port: u16) -> Server {
    let out = File::create(log).expect("log file");
    let err = out.try_clone().expect("clone log file");
    let child = Command::new(env!("CARGO_BIN_EXE_anpei"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["demo", "--persons", "200", "--subjects", "20", "--bind"])
        .arg(format!("127.0.0.1:{port}"))
        .env_remove("ANPEI_DATABASE_URL")
        .env_remove("ANPEI_BIND")
        // Everything the code base logs, at every level.
        .env("ANPEI_LOG", "trace")
        .env("ANPEI_SECURITY_MFA_ROLES", "")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start anpei demo");
    Server { child }
}

#[test]
fn no_id_number_phone_password_or_token_reaches_the_logs() {
    let dir = temp_dir("logs");
    let log = dir.join("server.log");
    let port = free_port();
    let server = start(&dir, &log, port);
    let base = format!("http://127.0.0.1:{port}");
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        .build();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if agent.get(&format!("{base}/healthz")).call().is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "server did not start: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // A failed and a good API sign-in.
    let bad = agent
        .post(&format!("{base}/api/v1/auth/token"))
        .send_json(serde_json::json!({"username": "district", "password": WRONG_PASSWORD}));
    assert!(bad.is_err(), "a wrong password is refused");
    let v: serde_json::Value = agent
        .post(&format!("{base}/api/v1/auth/token"))
        .send_json(serde_json::json!({"username": "district", "password": PASSWORD}))
        .expect("token")
        .into_json()
        .unwrap();
    let token = v["token"].as_str().expect("a token").to_string();
    let auth = format!("Bearer {token}");

    // A failed and a good sign-in through the form (its session cookie is a secret too).
    let login = agent.get(&format!("{base}/login")).call().unwrap();
    let pre = login.header("set-cookie").unwrap_or_default().to_string();
    let html = login.into_string().unwrap();
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf field")
        .to_string();
    let pre_cookie = pre.split(';').next().unwrap().to_string();
    let mut cookies = Vec::new();
    for pw in [WRONG_PASSWORD, PASSWORD] {
        let r = agent
            .post(&format!("{base}/login"))
            .set("Cookie", &pre_cookie)
            .send_form(&[("username", "town"), ("password", pw), ("_csrf", &csrf)]);
        if let Ok(r) = r {
            if let Some(c) = r.header("set-cookie") {
                cookies.push(c.split(';').next().unwrap().to_string());
            }
        }
    }

    // A second factor enrolled by choice (this server runs with ANPEI_SECURITY_MFA_ROLES
    // empty), then an API token with one of its recovery codes: neither the secret nor the
    // recovery codes may reach the logs. Redirects are not followed, to keep the cookie.
    let (mfa_secret, recovery, mfa_token, mfa_cookie) = enrol_second_factor(&base);

    // An import carrying an ID number and a phone number, then reads of personal data.
    let subjects: serde_json::Value = agent
        .get(&format!("{base}/api/v1/subjects?per_page=1"))
        .set("Authorization", &auth)
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    let uscc = subjects["items"][0]["uscc"]
        .as_str()
        .expect("a subject")
        .to_string();
    let csv = format!(
        "统一社会信用代码,姓名,身份证号,手机号,岗位类别,作业类别,任职日期\n\
         {uscc},日志测试,{},{PHONE},一般从业人员,,2021-03-05\n\
         {uscc},坏行,{ID_NUMBER}0,{PHONE}9,一般从业人员,,2021-03-05\n",
        ID_NUMBER.to_lowercase()
    );
    let (ct, body) = multipart("persons", "人员.csv", csv.as_bytes());
    let r = agent
        .post(&format!("{base}/api/v1/imports"))
        .set("Authorization", &auth)
        .set("Content-Type", &ct)
        .send_bytes(&body);
    let status = match r {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(s, _)) => s,
        Err(e) => panic!("import: {e}"),
    };
    assert_eq!(status, 200, "the import ran");
    for path in [
        "/api/v1/persons?per_page=100".to_string(),
        format!("/api/v1/persons?q={ID_NUMBER}"),
    ] {
        let _ = agent
            .get(&format!("{base}{path}"))
            .set("Authorization", &auth)
            .call();
    }
    drop(server);

    let text = std::fs::read_to_string(&log).expect("the server's log");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        text.lines().count() > 5 && text.contains("/api/v1/imports"),
        "the log holds the requests (otherwise this test proves nothing):\n{text}"
    );
    let mut secrets = vec![
        ("password", PASSWORD.to_string()),
        ("wrong password", WRONG_PASSWORD.to_string()),
        ("API token", token.clone()),
        ("ID number", ID_NUMBER.to_string()),
        ("ID number (lower case x)", ID_NUMBER.to_lowercase()),
        ("ID number body", ID_NUMBER[..17].to_string()),
        ("phone number", PHONE.to_string()),
    ];
    secrets.push(("TOTP secret", mfa_secret.replace(' ', "")));
    secrets.push(("TOTP secret (grouped)", mfa_secret));
    secrets.push(("API token (with a recovery code)", mfa_token));
    secrets.push(("session cookie (second factor)", mfa_cookie));
    for code in recovery {
        secrets.push(("recovery code", code.replace('-', "")));
        secrets.push(("recovery code", code));
    }
    for c in &cookies {
        if let Some((_, v)) = c.split_once('=') {
            if !v.is_empty() {
                secrets.push(("session cookie", v.to_string()));
            }
        }
    }
    // The demo prints its accounts' password on start-up for the operator (stdout of the
    // `demo` command); that banner is the one allowed mention, everything else is logs.
    let logs: String = text
        .lines()
        .filter(|l| !l.contains("演示账号") && !l.trim_start().starts_with("密码"))
        .collect::<Vec<_>>()
        .join("\n");
    for (what, secret) in secrets {
        assert!(
            !logs.contains(&secret),
            "the logs contain a {what}: {}",
            logs.lines()
                .find(|l| l.contains(&secret))
                .unwrap_or_default()
        );
    }
}

/// Signs `town` in, enrols a second factor from the account page (the code computed from
/// the secret shown) and takes an API token with a recovery code. Returns the secret as
/// shown (groups of four), the recovery codes, the token and the session cookie's value.
fn enrol_second_factor(base: &str) -> (String, Vec<String>, String, String) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        .redirects(0)
        .build();
    let between = |text: &str, start: &str, end: char| -> String {
        let i = text
            .find(start)
            .unwrap_or_else(|| panic!("{start} in {text}"))
            + start.len();
        text[i..].split(end).next().unwrap().to_string()
    };
    let login = agent.get(&format!("{base}/login")).call().unwrap();
    let pre = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = between(
        &login.into_string().unwrap(),
        "name=\"_csrf\" value=\"",
        '"',
    );
    let r = agent
        .post(&format!("{base}/login"))
        .set("Cookie", &pre)
        .send_form(&[
            ("username", "town"),
            ("password", PASSWORD),
            ("_csrf", &csrf),
        ])
        .expect("town signs in");
    let session = r
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = agent
        .get(&format!("{base}/account/mfa"))
        .set("Cookie", &session)
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    let shown = between(&page, "id=\"mfa-secret\">", '<');
    let csrf = between(&page, "name=\"_csrf\" value=\"", '"');
    let secret = anpei_core::totp::base32_decode(&shown).expect("a base32 secret");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let done = agent
        .post(&format!("{base}/account/mfa"))
        .set("Cookie", &session)
        .send_form(&[
            ("_csrf", csrf.as_str()),
            ("action", "confirm"),
            ("code", &anpei_core::totp::totp(&secret, now)),
        ])
        .expect("enrolment confirmed")
        .into_string()
        .unwrap();
    let start = done
        .find("id=\"recovery-codes\"")
        .expect("recovery codes shown");
    let list = &done[start..start + done[start..].find("</ol>").unwrap()];
    let codes: Vec<String> = list
        .split("<li>")
        .skip(1)
        .map(|li| li.split('<').next().unwrap().trim().to_string())
        .collect();
    assert_eq!(codes.len(), 10, "recovery codes shown: {done}");
    let v: serde_json::Value = agent
        .post(&format!("{base}/api/v1/auth/token"))
        .send_json(serde_json::json!({
            "username": "town", "password": PASSWORD, "recovery_code": codes[0],
        }))
        .expect("a token with a recovery code")
        .into_json()
        .unwrap();
    let token = v["token"].as_str().expect("a token").to_string();
    let cookie = session.split_once('=').unwrap().1.to_string();
    (shown, codes, token, cookie)
}
