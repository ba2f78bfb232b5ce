//! Transport security: security headers on every kind of response, HSTS and
//! `Secure` cookies only under TLS, CSRF on state-changing requests, the client address
//! behind trusted proxies (rate limits and audit log), and the TLS listener itself (real
//! sockets on 127.0.0.1, a certificate made at test time).

use crate::common;

use anpei_store::{demo, platform::audit};
use anpei_web::proxy::TrustedProxies;
use anpei_web::ratelimit::{Limit, RateLimits};
use anpei_web::tls::{self, rustls};
use anpei_web::WebConfig;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use common::{finish, Harness, Reply};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn harness(config: impl FnOnce(&mut WebConfig)) -> (Harness, std::path::PathBuf) {
    common::with_uploads(5, 20, config).await
}

/// One request of every kind the app answers: (what, status expected, reply).
async fn every_kind_of_response(h: &Harness) -> Vec<(&'static str, Reply)> {
    let s = h.login("district").await;
    let token = h.api_token("district").await;
    let forged = common::Session {
        cookie: s.cookie.clone(),
        csrf: "forged".into(),
    };
    vec![
        ("login page", h.get(None, "/login").await),
        ("signed-in page", h.get(Some(&s), "/subjects").await),
        ("redirect", h.get(None, "/subjects").await),
        ("API JSON", h.api_get(&token, "/api/v1/subjects").await),
        (
            "API 401",
            h.api_get("no-such-token", "/api/v1/subjects").await,
        ),
        ("OpenAPI", h.get(None, "/api/v1/openapi.json").await),
        ("404", h.get(None, "/no-such-page").await),
        ("asset", h.get(None, "/assets/app.css").await),
        ("script asset", h.get(None, "/assets/app.js").await),
        ("health", h.get(None, "/healthz").await),
        (
            "CSRF refusal",
            h.post_form(Some(&forged), "/logout", &[]).await,
        ),
    ]
}

fn expected_status(what: &str) -> StatusCode {
    match what {
        "redirect" => StatusCode::SEE_OTHER,
        "API 401" => StatusCode::UNAUTHORIZED,
        "404" => StatusCode::NOT_FOUND,
        "CSRF refusal" => StatusCode::FORBIDDEN,
        _ => StatusCode::OK,
    }
}

fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
    r.headers.get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers_and_no_hsts_without_tls() {
    let (h, dir) = harness(|_| {}).await;
    for (what, r) in every_kind_of_response(&h).await {
        assert_eq!(r.status, expected_status(what), "{what}: {}", r.body);
        let csp = header(&r, "content-security-policy").unwrap_or_else(|| panic!("{what}: CSP"));
        assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{what}: {csp}");
        assert!(csp.contains("object-src 'none'"), "{what}: {csp}");
        assert_eq!(
            header(&r, "x-content-type-options"),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(header(&r, "referrer-policy"), Some("no-referrer"), "{what}");
        assert_eq!(header(&r, "x-frame-options"), Some("DENY"), "{what}");
        assert_eq!(
            header(&r, "strict-transport-security"),
            None,
            "{what}: no HSTS over plain HTTP"
        );
    }
    // Cookies: HttpOnly and SameSite=Strict, not Secure over plain HTTP.
    let login = h.get(None, "/login").await;
    let pre = header(&login, "set-cookie").unwrap();
    assert!(
        pre.contains("HttpOnly") && pre.contains("SameSite=Strict"),
        "{pre}"
    );
    assert!(!pre.contains("Secure"), "{pre}");
    finish(h, dir).await;
}

/// The sign-in response's session cookie.
async fn session_set_cookie(h: &Harness) -> String {
    let page = h.get(None, "/login").await;
    let pre = header(&page, "set-cookie").unwrap().to_string();
    let csrf = common::hidden_csrf(&page.body).unwrap();
    let body = serde_urlencoded::to_string([
        ("username", "district"),
        ("password", demo::DEMO_PASSWORD),
        ("_csrf", &csrf),
    ])
    .unwrap();
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, pre.split(';').next().unwrap())
        .body(Body::from(body))
        .unwrap();
    let r = h.send(req).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    header(&r, "set-cookie").unwrap().to_string()
}

#[tokio::test]
async fn under_tls_every_response_carries_hsts_and_every_cookie_is_secure() {
    let (h, dir) = harness(|c| c.tls = true).await;
    for (what, r) in every_kind_of_response(&h).await {
        assert_eq!(r.status, expected_status(what), "{what}: {}", r.body);
        assert_eq!(
            header(&r, "strict-transport-security"),
            Some("max-age=31536000"),
            "{what}"
        );
        assert!(header(&r, "content-security-policy").is_some(), "{what}");
    }
    let pre = h.get(None, "/login").await;
    let pre = header(&pre, "set-cookie").unwrap().to_string();
    assert!(pre.ends_with("; Secure"), "{pre}");
    let session = session_set_cookie(&h).await;
    for part in ["anpei_session=", "HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(
            session.split("; ").any(|p| p.starts_with(part)),
            "{part}: {session}"
        );
    }
    finish(h, dir).await;

    // Behind a TLS proxy (`secure_cookies`): Secure cookies and HSTS as well.
    let (h, dir) = harness(|c| c.secure_cookies = true).await;
    let r = h.get(None, "/login").await;
    assert_eq!(
        header(&r, "strict-transport-security"),
        Some("max-age=31536000")
    );
    assert!(session_set_cookie(&h).await.contains("; Secure"));
    finish(h, dir).await;
}

#[tokio::test]
async fn state_changing_requests_need_the_csrf_token() {
    let (h, dir) = harness(|_| {}).await;
    let s = h.login("district").await;
    let no_token = |path: &str| {
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &s.cookie)
            .body(Body::from("name=x"))
            .unwrap()
    };
    for path in ["/logout", "/subjects"] {
        let r = h.send(no_token(path)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
    }
    // The session survived the refused sign-out; with the token it ends.
    assert_eq!(h.get(Some(&s), "/subjects").await.status, StatusCode::OK);
    let r = h.post_form(Some(&s), "/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        h.get(Some(&s), "/subjects").await.status,
        StatusCode::SEE_OTHER
    );
    finish(h, dir).await;
}

async fn token_attempt(h: &Harness, peer: &str, forwarded: Option<&str>, user: &str) -> Reply {
    let body = serde_json::json!({ "username": user, "password": "wrong" }).to_string();
    let mut b =
        Request::post("/api/v1/auth/token").header(header::CONTENT_TYPE, "application/json");
    if let Some(f) = forwarded {
        b = b.header("x-forwarded-for", f);
    }
    let mut req = b.body(Body::from(body)).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    h.send(req).await
}

/// The client address the audit log recorded for the latest sign-in attempt as `user`.
async fn audited_addr(h: &Harness, user: &str) -> String {
    audit::latest(h.store(), 50)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.username == user)
        .unwrap_or_else(|| panic!("an audit entry for {user}"))
        .client_addr
}

#[tokio::test]
async fn forwarded_for_counts_only_from_a_trusted_proxy_in_limits_and_audit() {
    let (h, dir) = harness(|c| {
        c.trusted_proxies = TrustedProxies::parse(&["10.0.0.0/24", "::1"]).unwrap();
        c.rate_limits = RateLimits {
            login_addr: Limit::new(2, Duration::from_secs(60)),
            ..Default::default()
        };
    })
    .await;
    let proxy = "10.0.0.1:40000";

    // Behind the trusted proxy each real client has its own budget …
    for i in 0..2 {
        let r = token_attempt(&h, proxy, Some("203.0.113.5"), &format!("a{i}")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    }
    assert_eq!(audited_addr(&h, "a1").await, "203.0.113.5");
    let r = token_attempt(&h, proxy, Some("203.0.113.5"), "a2").await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the real client is held"
    );
    let r = token_attempt(&h, proxy, Some("203.0.113.6"), "b0").await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "another client behind the proxy is not"
    );
    assert_eq!(audited_addr(&h, "b0").await, "203.0.113.6");
    // … and a client cannot escape by writing its own header: the proxy appends the real
    // address to the right, and that is the one counted.
    let r = token_attempt(&h, proxy, Some("198.18.0.1, 203.0.113.5"), "a3").await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a forged left-hand entry"
    );
    // A chain of trusted proxies is walked through to the client.
    let r = token_attempt(&h, "[::1]:40000", Some("203.0.113.7, 10.0.0.9"), "c0").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(audited_addr(&h, "c0").await, "203.0.113.7");

    // From an untrusted peer the header is ignored: spoofed addresses share the peer's
    // budget and the audit log records the peer.
    let direct = "198.51.100.7:5000";
    for (i, spoof) in ["192.0.2.1", "192.0.2.2"].iter().enumerate() {
        let r = token_attempt(&h, direct, Some(spoof), &format!("d{i}")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
        assert_eq!(audited_addr(&h, &format!("d{i}")).await, "198.51.100.7");
    }
    let r = token_attempt(&h, direct, Some("192.0.2.3"), "d2").await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a spoofed header does not help"
    );
    // A trusted proxy without a header is itself the client.
    let r = token_attempt(&h, "10.0.0.2:1", None, "e0").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(audited_addr(&h, "e0").await, "10.0.0.2");
    finish(h, dir).await;
}

#[tokio::test]
async fn without_trusted_proxies_forwarded_for_is_never_believed() {
    let (h, dir) = harness(|c| {
        c.rate_limits = RateLimits {
            login_addr: Limit::new(1, Duration::from_secs(60)),
            ..Default::default()
        };
    })
    .await;
    let r = token_attempt(&h, "127.0.0.1:1", Some("203.0.113.5"), "x0").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(audited_addr(&h, "x0").await, "127.0.0.1");
    let r = token_attempt(&h, "127.0.0.1:2", Some("203.0.113.6"), "x1").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    finish(h, dir).await;
}

// --- The TLS listener on a real socket ---------------------------------------------------

struct Pki {
    cert_pem: String,
    server: Arc<rustls::ServerConfig>,
    client: tokio_rustls::TlsConnector,
}

fn pki() -> Pki {
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert_pem = made.cert.pem();
    let dir = std::env::temp_dir().join(format!(
        "anpei-tls-{}",
        &anpei_store::crypto::random_token()[..12]
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, &cert_pem).unwrap();
    std::fs::write(&k, made.signing_key.serialize_pem()).unwrap();
    let server = tls::load_server_config(&c, &k).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(made.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Pki {
        cert_pem,
        server,
        client: tokio_rustls::TlsConnector::from(Arc::new(client)),
    }
}

/// Serves `app` over TLS on a fresh port with a short handshake timeout.
async fn serve_tls(
    pki: &Pki,
    app: axum::Router,
    timeout: Duration,
) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    use axum::serve::ListenerExt;
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let listener =
        tls::TlsListener::with_handshake_timeout(tcp, pki.server.clone(), timeout).tap_io(|_| {});
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (addr, stop)
}

/// GET `path` over TLS, the whole response as text.
async fn https_get(pki: &Pki, addr: SocketAddr, path: &str) -> std::io::Result<String> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = pki.client.connect(name, tcp).await?;
    tls.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await?;
    let mut out = Vec::new();
    tls.read_to_end(&mut out).await?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn the_tls_listener_survives_bad_and_slow_clients_and_keeps_the_peer_address() {
    let pki = pki();
    assert!(pki.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let app = axum::Router::new().route(
        "/peer",
        axum::routing::get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
            peer.ip().to_string()
        }),
    );
    let (addr, stop) = serve_tls(&pki, app, Duration::from_millis(1500)).await;

    let ok = https_get(&pki, addr, "/peer").await.unwrap();
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.ends_with("127.0.0.1"), "ConnectInfo is the peer: {ok}");

    // Plain HTTP to the TLS port: no HTTP answer.
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET /peer HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut out))
        .await
        .expect("the server hangs up");
    assert!(
        !out.starts_with(b"HTTP/"),
        "{:?}",
        String::from_utf8_lossy(&out)
    );

    // A client that never says anything is cut off after the handshake timeout, and a
    // stalled handshake does not hold up others meanwhile.
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    let during = https_get(&pki, addr, "/peer").await.unwrap();
    assert!(during.starts_with("HTTP/1.1 200"), "{during}");
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "served while another handshake stalls: {:?}",
        started.elapsed()
    );
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buf))
        .await
        .expect("closed after the handshake timeout");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");

    // A client that does not trust the certificate fails its handshake; the server goes on.
    let untrusting = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    assert!(tokio_rustls::TlsConnector::from(Arc::new(untrusting))
        .connect(name, tcp)
        .await
        .is_err());

    let after = https_get(&pki, addr, "/peer").await.unwrap();
    assert!(after.starts_with("HTTP/1.1 200"), "still serving: {after}");
    let _ = stop.send(());
}

#[tokio::test]
async fn the_whole_app_over_tls_sends_hsts_and_secure_cookies() {
    let pki = pki();
    let (h, dir) = harness(|_| {}).await;
    let app = anpei_web::app(
        h.store().clone(),
        WebConfig {
            tls: true,
            ..common::test_config()
        },
    );
    let (addr, stop) = serve_tls(&pki, app, tls::HANDSHAKE_TIMEOUT).await;
    let r = https_get(&pki, addr, "/login").await.unwrap();
    let lower = r.to_ascii_lowercase();
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert!(
        lower.contains("\r\nstrict-transport-security: max-age=31536000\r\n"),
        "{r}"
    );
    let cookie = lower
        .lines()
        .find(|l| l.starts_with("set-cookie:"))
        .expect("the login form's cookie");
    assert!(
        cookie.contains("httponly")
            && cookie.contains("samesite=strict")
            && cookie.contains("secure"),
        "{cookie}"
    );
    let _ = stop.send(());
    finish(h, dir).await;
}

/// Reads what the server sends until it closes the connection (a TLS peer may close without
/// `close_notify`: an error then), or panics after `within`.
async fn until_closed(
    conn: &mut (impl tokio::io::AsyncRead + Unpin),
    within: Duration,
    what: &str,
) -> String {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(within, conn.read_to_end(&mut out))
        .await
        .unwrap_or_else(|_| panic!("{what}: the server still holds the connection"));
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads one response of `/peer` on a kept-alive connection (its body is the peer's IP).
async fn one_response(conn: &mut (impl tokio::io::AsyncRead + Unpin)) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&out).ends_with("127.0.0.1") {
        let n = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut buf))
            .await
            .expect("a response")
            .unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&out));
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Without a timer a client could hold a connection (and its task) for as long as it likes
/// by sending a request head slowly, or nothing, or by keeping an idle connection alive:
/// `serve_with_timeout` cuts each off after the header-read timeout, over plain HTTP and
/// over TLS, while whole requests are answered (with the peer's address) and the server
/// still shuts down gracefully.
#[tokio::test]
async fn slow_silent_and_idle_clients_are_cut_off_after_the_header_read_timeout() {
    assert_eq!(anpei_web::HEADER_READ_TIMEOUT, Duration::from_secs(10));
    let pki = pki();
    let app = axum::Router::new().route(
        "/peer",
        axum::routing::get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
            peer.ip().to_string()
        }),
    );
    let timeout = Duration::from_millis(600);
    let within = Duration::from_secs(5);
    for tls in [false, true] {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(anpei_web::serve_with_timeout(
            tcp,
            tls.then(|| pki.server.clone()),
            app.clone(),
            async {
                let _ = stopped.await;
            },
            timeout,
        ));
        // A connection, through TLS when the server speaks it.
        let connect = || async {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let io: Box<dyn AsyncStream> = if tls {
                let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
                Box::new(pki.client.connect(name, tcp).await.unwrap())
            } else {
                Box::new(tcp)
            };
            io
        };
        let what = |w: &str| format!("{w} (tls: {tls})");

        // A whole request is answered, with the peer's address.
        let mut c = connect().await;
        c.write_all(b"GET /peer HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let r = until_closed(&mut c, within, &what("whole request")).await;
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
        assert!(r.ends_with("127.0.0.1"), "ConnectInfo is the peer: {r}");

        // Part of a request line, then nothing: cut off after the timeout, not before.
        let started = std::time::Instant::now();
        let mut slow = connect().await;
        slow.write_all(b"GET /peer HT").await.unwrap();
        let r = until_closed(&mut slow, within, &what("partial request line")).await;
        let took = started.elapsed();
        assert!(
            took >= timeout / 2,
            "{}: closed after {took:?}",
            what("early")
        );
        assert!(!r.contains("200 OK"), "{r}");

        // Headers that never end.
        let mut slow = connect().await;
        slow.write_all(b"GET /peer HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n")
            .await
            .unwrap();
        tokio::time::sleep(timeout / 3).await;
        slow.write_all(b"X-Slower: 2\r\n").await.unwrap();
        until_closed(&mut slow, within, &what("unfinished headers")).await;

        // Nothing at all.
        let mut silent = connect().await;
        until_closed(&mut silent, within, &what("silent client")).await;

        // A kept-alive connection answered once, then idle.
        let mut idle = connect().await;
        idle.write_all(b"GET /peer HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let r = one_response(&mut idle).await;
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
        let rest = until_closed(&mut idle, within, &what("idle keep-alive")).await;
        assert!(!rest.contains("200 OK"), "{rest}");

        // Graceful shutdown still ends the server.
        let _ = stop.send(());
        tokio::time::timeout(within, server)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    }
}

trait AsyncStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> AsyncStream for T {}

/// The plain-HTTP side of an HTTPS deployment redirects every request, form posts
/// included (308 keeps the method), to the same host and path over HTTPS, and serves
/// nothing else.
#[tokio::test]
async fn plain_http_is_redirected_to_https_on_the_same_host_and_path() {
    use tower::ServiceExt;
    let send = |port: u16, method: &str, host: Option<&str>, uri: &str| {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(h) = host {
            req = req.header(header::HOST, h);
        }
        let req = req.body(Body::empty()).unwrap();
        async move { tls::redirect_app(port).oneshot(req).await.unwrap() }
    };
    let r = send(
        8443,
        "GET",
        Some("anpei.example:8080"),
        "/problems?status=pending",
    )
    .await;
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        r.headers()[header::LOCATION],
        "https://anpei.example:8443/problems?status=pending"
    );
    assert!(r.headers().get(header::SET_COOKIE).is_none());
    let r = send(443, "POST", Some("10.1.2.3"), "/login").await;
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(r.headers()[header::LOCATION], "https://10.1.2.3/login");
    let r = send(443, "GET", Some("[::1]:80"), "/").await;
    assert_eq!(r.headers()[header::LOCATION], "https://[::1]/");
    let r = send(443, "GET", None, "/").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}
