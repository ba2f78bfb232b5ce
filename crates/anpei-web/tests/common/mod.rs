//! Drives the real application (router, middleware, database) without a socket.
#![allow(dead_code)]

pub mod matrix;

use anpei_core::demo::{DemoConfig, DemoDistrict};
use anpei_store::testing::TestDb;
use anpei_store::{demo, Store};
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;

pub struct Harness {
    pub db: TestDb,
    pub app: Router,
    pub district: DemoDistrict,
}

/// A signed-in browser: its session cookie and CSRF token.
#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub fn hidden_csrf(html: &str) -> Option<String> {
    let i = html.find("name=\"_csrf\" value=\"")? + "name=\"_csrf\" value=\"".len();
    Some(html[i..].split('"').next()?.to_string())
}

/// The configuration of a test app. Requests driven without a socket all come from one
/// client (`unknown`), so the per-address sign-in limit would count every test's logins
/// together: it is lifted here and tested on its own in tests/platform/ratelimit.rs.
pub fn test_config() -> anpei_web::WebConfig {
    anpei_web::WebConfig {
        rate_limits: anpei_web::ratelimit::RateLimits {
            login_addr: anpei_web::ratelimit::Limit::UNLIMITED,
            login_user: anpei_web::ratelimit::Limit::UNLIMITED,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A demo district whose app keeps pending uploads in a directory of its own, with
/// `config` changed as the test needs; `finish` removes both.
pub async fn with_uploads(
    subjects: usize,
    persons: usize,
    config: impl FnOnce(&mut anpei_web::WebConfig),
) -> (Harness, std::path::PathBuf) {
    let mut h = Harness::with_demo(subjects, persons).await;
    let dir = std::env::temp_dir().join(format!(
        "anpei-test-uploads-{}",
        &anpei_store::crypto::random_token()[..16]
    ));
    let mut cfg = anpei_web::WebConfig {
        uploads_dir: dir.clone(),
        ..test_config()
    };
    config(&mut cfg);
    h.app = anpei_web::app(h.db.store.clone(), cfg);
    (h, dir)
}

pub async fn finish(h: Harness, dir: std::path::PathBuf) {
    let _ = std::fs::remove_dir_all(dir);
    h.db.cleanup().await;
}

impl Harness {
    /// A fresh database with a small demo district and the demo accounts.
    pub async fn with_demo(subjects: usize, persons: usize) -> Harness {
        let db = TestDb::new().await;
        let cfg = DemoConfig {
            seed: 7,
            subjects,
            persons,
            as_of: db.store.today(),
        };
        let (_, district) = demo::load(&db.store, &cfg).await.expect("demo loads");
        demo::create_accounts(&db.store, &demo::demo_accounts(&district))
            .await
            .expect("accounts");
        let app = anpei_web::app(db.store.clone(), test_config());
        Harness { db, app, district }
    }

    pub fn store(&self) -> &Store {
        &self.db.store
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.app.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, s: Option<&Session>, path: &str) -> Reply {
        let mut b = Request::get(path);
        if let Some(s) = s {
            b = b.header(header::COOKIE, &s.cookie);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    pub async fn post_form(
        &self,
        s: Option<&Session>,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Reply {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if let Some(s) = s {
            all.push(("_csrf", &s.csrf));
        }
        let body = serde_urlencoded::to_string(&all).unwrap();
        let mut b =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(s) = s {
            b = b.header(header::COOKIE, &s.cookie);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    /// Signs in through the login form, as a browser does.
    pub async fn try_login(&self, username: &str, password: &str) -> Result<Session, Reply> {
        let page = self.get(None, "/login").await;
        let pre = page
            .headers
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let csrf = hidden_csrf(&page.body).expect("login form has a CSRF field");
        let body = serde_urlencoded::to_string([
            ("username", username),
            ("password", password),
            ("_csrf", &csrf),
        ])
        .unwrap();
        let req = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, pre)
            .body(Body::from(body))
            .unwrap();
        let r = self.send(req).await;
        if r.status != StatusCode::SEE_OTHER {
            return Err(r);
        }
        let cookie = r
            .headers
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let probe = Session {
            cookie: cookie.clone(),
            csrf: String::new(),
        };
        let mut home = self.get(Some(&probe), "/").await;
        if home.status == StatusCode::SEE_OTHER {
            let to = home.location().to_string();
            home = self.get(Some(&probe), &to).await;
        }
        let csrf = hidden_csrf(&home.body).expect("signed-in pages carry the CSRF token");
        Ok(Session { cookie, csrf })
    }

    pub async fn login(&self, username: &str) -> Session {
        match self.try_login(username, demo::DEMO_PASSWORD).await {
            Ok(s) => s,
            Err(r) => panic!("login of {username} failed: {} {}", r.status, r.body),
        }
    }

    pub async fn api_token(&self, username: &str) -> String {
        let body = serde_json::json!({ "username": username, "password": demo::DEMO_PASSWORD })
            .to_string();
        let req = Request::post("/api/v1/auth/token")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let r = self.send(req).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        v["token"].as_str().unwrap().to_string()
    }

    pub async fn api_get(&self, token: &str, path: &str) -> Reply {
        let req = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }
}

/// A multipart/form-data body: text fields, then optionally one file field named `file`.
/// Returns the content type (with its boundary) and the body.
pub fn multipart_body(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----anpei-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((file_name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl Harness {
    /// Posts a multipart form with the session's cookie; the CSRF token goes only where the
    /// caller puts it (the path's query string or a field).
    pub async fn post_multipart(
        &self,
        s: Option<&Session>,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &[u8])>,
    ) -> Reply {
        let (content_type, body) = multipart_body(fields, file);
        let mut b = Request::post(path).header(header::CONTENT_TYPE, content_type);
        if let Some(s) = s {
            b = b.header(header::COOKIE, &s.cookie);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    /// Imports one CSV file through the API (`POST /api/v1/imports`).
    pub async fn api_import(&self, token: &str, kind: &str, file_name: &str, csv: &str) -> Reply {
        let file = Some((file_name, csv.as_bytes()));
        self.api_post_multipart(token, "/api/v1/imports", &[("kind", kind)], file)
            .await
    }

    /// Posts a multipart form to the API with a bearer token.
    pub async fn api_post_multipart(
        &self,
        token: &str,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &[u8])>,
    ) -> Reply {
        let (content_type, body) = multipart_body(fields, file);
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }
}
