//! HTTPS served by the real `anpei serve`: a self-signed certificate made at test
//! time (`[tls]` through `ANPEI_TLS_CERT_FILE` / `ANPEI_TLS_KEY_FILE`), a client that trusts
//! only that certificate signs in through the form; cookies are `Secure; HttpOnly;
//! SameSite=Strict` and every response carries HSTS; plain HTTP to the port gets no answer;
//! a certificate or key that cannot be used stops start-up with exit code 1 and a Chinese
//! message.

use crate::common::{free_port, temp_dir};
use anpei_web::tls::rustls;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSWORD: &str = "Tls#Passw0rd2024";

/// `anpei --data-dir DIR ARGS` with only the environment this test sets (none of the
/// caller's `ANPEI_*` settings), output to `DIR/NAME.out`.
fn anpei(dir: &Path, name: &str, args: &[&str], env: &[(&str, &str)]) -> (Command, PathBuf) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_anpei"));
    cmd.arg("--data-dir").arg(dir.join("data")).args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("ANPEI_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("ANPEI_SECURITY_MFA_ROLES", "")
        .envs(env.iter().copied());
    let out = dir.join(format!("{name}.out"));
    let f = File::create(&out).unwrap();
    cmd.stdout(f.try_clone().unwrap()).stderr(f);
    (cmd, out)
}

/// Runs to the end (at most a minute); exit code and everything it printed.
fn run(mut cmd: Command, out: &Path, stdin: Option<&str>) -> (Option<i32>, String) {
    cmd.stdin(Stdio::piped());
    let mut child = cmd.spawn().expect("anpei runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), std::fs::read_to_string(out).unwrap());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "anpei did not exit: {}",
                std::fs::read_to_string(out).unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost: (certificate PEM, key PEM, DER).
fn certificate() -> (String, String, rustls::pki_types::CertificateDer<'static>) {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("certificate");
    (
        made.cert.pem(),
        made.signing_key.serialize_pem(),
        made.cert.der().clone(),
    )
}

fn agent_trusting(cert: rustls::pki_types::CertificateDer<'static>) -> ureq::Agent {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    ureq::AgentBuilder::new()
        .tls_config(Arc::new(config))
        .redirects(0)
        .timeout(Duration::from_secs(20))
        .build()
}

fn hsts(r: &ureq::Response) -> Option<String> {
    r.header("strict-transport-security").map(str::to_string)
}

#[test]
fn anpei_serve_terminates_tls_with_secure_cookies_and_hsts() {
    let dir = temp_dir("tls");
    let (cert_pem, key_pem, cert_der) = certificate();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, cert_pem).unwrap();
    std::fs::write(&key, key_pem).unwrap();

    let (cmd, out) = anpei(&dir, "migrate", &["migrate"], &[]);
    let (code, text) = run(cmd, &out, None);
    assert_eq!(code, Some(0), "{text}");
    let (cmd, out) = anpei(
        &dir,
        "user",
        &[
            "user",
            "add",
            "tlsdistrict",
            "--role",
            "district",
            "--password-stdin",
        ],
        &[],
    );
    let (code, text) = run(cmd, &out, Some(&format!("{PASSWORD}\n")));
    assert_eq!(code, Some(0), "{text}");

    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let tls_env = [
        ("ANPEI_TLS_CERT_FILE", cert.to_str().unwrap()),
        ("ANPEI_TLS_KEY_FILE", key.to_str().unwrap()),
    ];
    let (mut cmd, out) = anpei(&dir, "serve", &["serve", "--bind", &bind], &tls_env);
    let server = Server(cmd.stdin(Stdio::null()).spawn().expect("anpei serve"));
    let base = format!("https://{bind}");
    let agent = agent_trusting(cert_der);
    let deadline = Instant::now() + Duration::from_secs(120);
    let health = loop {
        if let Ok(r) = agent.get(&format!("{base}/healthz")).call() {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "server did not start: {}",
            std::fs::read_to_string(&out).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(hsts(&health).as_deref(), Some("max-age=31536000"));
    let printed = std::fs::read_to_string(&out).unwrap();
    assert!(printed.contains(&format!("https://{bind}")), "{printed}");

    // Sign in through the form, as a browser does.
    let login = agent.get(&format!("{base}/login")).call().unwrap();
    assert_eq!(hsts(&login).as_deref(), Some("max-age=31536000"));
    let pre = login.header("set-cookie").unwrap().to_string();
    for part in ["HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(pre.split("; ").any(|p| p == part), "{part}: {pre}");
    }
    let html = login.into_string().unwrap();
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf field")
        .to_string();
    let signed_in = agent
        .post(&format!("{base}/login"))
        .set("Cookie", pre.split(';').next().unwrap())
        .send_form(&[
            ("username", "tlsdistrict"),
            ("password", PASSWORD),
            ("_csrf", &csrf),
        ])
        .expect("signed in");
    assert_eq!(signed_in.status(), 303, "a redirect after signing in");
    assert_eq!(hsts(&signed_in).as_deref(), Some("max-age=31536000"));
    let session = signed_in
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("anpei_session="))
        .expect("a session cookie")
        .to_string();
    for part in ["HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(session.split("; ").any(|p| p == part), "{part}: {session}");
    }
    let home = agent
        .get(&format!("{base}/subjects"))
        .set("Cookie", session.split(';').next().unwrap())
        .call()
        .expect("a signed-in page");
    assert_eq!(home.status(), 200);
    assert_eq!(hsts(&home).as_deref(), Some("max-age=31536000"));

    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build()
        .get(&format!("http://{bind}/healthz"))
        .call();
    assert!(matches!(plain, Err(ureq::Error::Transport(_))), "{plain:?}");
    // A client that does not trust the certificate is refused, and the server goes on.
    let untrusting = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build()
        .get(&format!("{base}/healthz"))
        .call();
    assert!(untrusting.is_err(), "{untrusting:?}");
    assert_eq!(
        agent
            .get(&format!("{base}/healthz"))
            .call()
            .unwrap()
            .status(),
        200
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unusable_certificate_or_key_stops_start_up_with_a_chinese_message() {
    let dir = temp_dir("tls-bad");
    let (cert_pem, key_pem, _) = certificate();
    let (_, other_key_pem, _) = certificate();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let other_key = dir.join("other-key.pem");
    let garbage = dir.join("garbage.pem");
    std::fs::write(&cert, &cert_pem).unwrap();
    std::fs::write(&key, &key_pem).unwrap();
    std::fs::write(&other_key, other_key_pem).unwrap();
    std::fs::write(&garbage, "这不是私钥\n").unwrap();
    let missing = dir.join("missing.pem");
    let bind = format!("127.0.0.1:{}", free_port());
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![
                ("ANPEI_TLS_CERT_FILE", s(&cert)),
                ("ANPEI_TLS_KEY_FILE", s(&other_key)),
            ],
            "私钥与证书不匹配",
        ),
        (
            vec![
                ("ANPEI_TLS_CERT_FILE", s(&cert)),
                ("ANPEI_TLS_KEY_FILE", s(&garbage)),
            ],
            "中没有可用的 PEM 私钥",
        ),
        (
            vec![
                ("ANPEI_TLS_CERT_FILE", s(&cert)),
                ("ANPEI_TLS_KEY_FILE", s(&missing)),
            ],
            "无法读取私钥文件",
        ),
        (
            vec![
                ("ANPEI_TLS_CERT_FILE", s(&missing)),
                ("ANPEI_TLS_KEY_FILE", s(&key)),
            ],
            "无法读取证书文件",
        ),
        (
            vec![
                ("ANPEI_TLS_CERT_FILE", s(&key)),
                ("ANPEI_TLS_KEY_FILE", s(&key)),
            ],
            "中没有 PEM 格式的证书",
        ),
        (vec![("ANPEI_TLS_CERT_FILE", s(&cert))], "未配置私钥文件"),
        (
            vec![("ANPEI_SECURITY_TRUSTED_PROXIES", "10.0.0.0/8, nginx".into())],
            "无法识别“nginx”",
        ),
    ];
    for (i, (env, expected)) in cases.iter().enumerate() {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (cmd, out) = anpei(&dir, &format!("bad{i}"), &["serve", "--bind", &bind], &env);
        let (code, text) = run(cmd, &out, None);
        assert_eq!(code, Some(1), "{expected}: {text}");
        assert!(text.contains(expected), "{expected}: {text}");
        assert!(text.contains("错误："), "{text}");
        assert!(!text.contains("安培已启动"), "nothing was served: {text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
