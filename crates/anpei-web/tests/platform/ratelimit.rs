//! Rate limits (等保 2.0 三级) against the real app: exports per user and the API
//! token endpoint per client address and per username answer 429 with `Retry-After` and a
//! Chinese message, and let the client through once it has waited as told (the limiter
//! runs on the store's clock, which the test moves).

use crate::common;

use anpei_store::demo;
use anpei_store::testing::access;
use anpei_web::ratelimit::{Limit, RateLimits, EXPORT_ROUTES};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use common::{finish, Harness, Reply, Session};
use std::net::SocketAddr;
use std::time::Duration;

async fn harness_with(limits: RateLimits) -> (Harness, std::path::PathBuf) {
    common::with_uploads(20, 100, |c| c.rate_limits = limits).await
}

fn advance(h: &Harness, secs: u64) {
    h.db.clock.advance(chrono::Duration::seconds(secs as i64));
}

fn retry_after(r: &Reply) -> u64 {
    r.headers
        .get(header::RETRY_AFTER)
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .expect("seconds")
}

fn assert_limited(r: &Reply, what: &str) -> u64 {
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{what}: {}",
        r.body
    );
    let secs = retry_after(r);
    assert!(secs >= 1, "{what}");
    assert!(
        r.body.contains("操作过于频繁，请"),
        "{what}: a Chinese message: {}",
        r.body
    );
    secs
}

/// A pending upload of the session's user, so that its error report route answers.
async fn pending_with_errors(h: &Harness, s: &Session) -> String {
    let csv = "统一社会信用代码,姓名,身份证号,手机号,岗位类别,作业类别,任职日期\n\
               x,测试,1,,一般从业人员,,2021-03-05\n";
    let r = h
        .post_multipart(
            Some(s),
            &format!("/imports?_csrf={}", s.csrf),
            &[("kind", "persons")],
            Some(("人员.csv", csv.as_bytes())),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location()
        .strip_prefix("/imports/review?id=")
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn every_export_route_is_limited_per_user_with_429_and_retry_after() {
    let (h, dir) = harness_with(RateLimits {
        export: Limit::new(2, Duration::from_secs(60)),
        ..Default::default()
    })
    .await;
    let district = h.login("district").await;
    let town = h.login("town").await;
    let id = pending_with_errors(&h, &district).await;
    // A self-inspection of the demo's current campaign, for the 自查报告 route.
    demo::campaign::load_demo(h.store(), &h.district)
        .await
        .unwrap();
    let (rows, _) = anpei_store::campaign::selfcheck::list(
        h.store(),
        &anpei_store::Scope::district_wide(),
        anpei_store::campaign::current(h.store(), h.store().today())
            .await
            .unwrap()
            .unwrap()
            .campaign
            .id,
        &Default::default(),
        1,
        200,
    )
    .await
    .unwrap();
    let si = rows.iter().find_map(|r| r.inspection_id).unwrap();
    // A subject for the exam-records export (any subject in the district's scope).
    let subjects = access::subjects(h.store()).await;
    let subject = subjects[0].id;
    // A training institution for the 培训档案 export.
    let institution = subjects
        .iter()
        .find(|s| s.kind == anpei_core::SubjectKind::TrainingInstitution)
        .unwrap()
        .id;
    assert_eq!(EXPORT_ROUTES.len(), 12);
    for (method, route) in EXPORT_ROUTES {
        assert_eq!(*method, "GET");
        let path = if *route == "/imports/errors.xlsx" {
            format!("{route}?id={id}")
        } else if route.starts_with("/exams/subjects/") {
            route.replace("{id}", &subject.to_string())
        } else if route.starts_with("/training/") {
            route.replace("{id}", &institution.to_string())
        } else {
            route.replace("{id}", &si.to_string())
        };
        for _ in 0..2 {
            let r = h.get(Some(&district), &path).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        }
        let r = h.get(Some(&district), &path).await;
        let wait = assert_limited(&r, &path);
        assert!(
            r.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "a page for a page route"
        );
        // Per user: another user is not held.
        let other = h.get(Some(&town), "/findings/export").await;
        assert_eq!(other.status, StatusCode::OK, "{path}");
        // Waiting as told lets the user through again.
        advance(&h, wait - 1);
        assert_eq!(
            h.get(Some(&district), &path).await.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{path}: a second early"
        );
        advance(&h, 1);
        assert_eq!(h.get(Some(&district), &path).await.status, StatusCode::OK);
        // Clear both users' windows before the next route.
        advance(&h, 180);
    }
    finish(h, dir).await;
}

#[tokio::test]
async fn exports_within_the_default_limit_are_not_held() {
    let (h, dir) = harness_with(RateLimits::default()).await;
    let s = h.login("district").await;
    for i in 0..30 {
        let r = h.get(Some(&s), "/imports/template.xlsx").await;
        assert_eq!(r.status, StatusCode::OK, "download {i}");
    }
    let r = h.get(Some(&s), "/findings/export").await;
    let wait = assert_limited(&r, "31st export in 10 minutes");
    assert!(wait > 60, "{wait}");
    finish(h, dir).await;
}

/// A HEAD to an export route runs the GET handler (the export is built and audited, only
/// the body is dropped), so it counts like a GET: HEADs exhaust the limit, and once held a
/// HEAD is held too.
#[tokio::test]
async fn head_requests_to_export_routes_count_like_gets() {
    let (h, dir) = harness_with(RateLimits {
        export: Limit::new(2, Duration::from_secs(60)),
        ..Default::default()
    })
    .await;
    let s = h.login("district").await;
    let head = |path: &str| {
        Request::head(path)
            .header(header::COOKIE, &s.cookie)
            .body(Body::empty())
            .unwrap()
    };
    let exported = || async {
        anpei_store::platform::audit::latest(h.store(), 200)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "export.findings")
            .count()
    };
    for i in 0..2 {
        let r = h.send(head("/findings/export")).await;
        assert_eq!(r.status, StatusCode::OK, "HEAD {i}: {}", r.body);
    }
    assert_eq!(
        exported().await,
        2,
        "each HEAD built and audited the export"
    );
    let r = h.send(head("/findings/export")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "the third HEAD");
    assert!(retry_after(&r) >= 1);
    let r = h.get(Some(&s), "/findings/export").await;
    assert_limited(&r, "a GET after two HEADs");
    assert_eq!(exported().await, 2, "nothing built once held");
    // Every export route, not only this one: a HEAD to another is held by the same budget.
    let r = h.send(head("/imports/template.xlsx")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    finish(h, dir).await;
}

async fn token_attempt(h: &Harness, from: &str, username: &str, password: &str) -> Reply {
    let body = serde_json::json!({ "username": username, "password": password }).to_string();
    let mut req = Request::post("/api/v1/auth/token")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(from.parse::<SocketAddr>().unwrap()));
    h.send(req).await
}

#[tokio::test]
async fn the_api_token_endpoint_is_limited_per_client_address() {
    let (h, dir) = harness_with(RateLimits {
        login_addr: Limit::new(4, Duration::from_secs(60)),
        ..Default::default()
    })
    .await;
    for i in 0..4 {
        let r = token_attempt(&h, "198.51.100.7:40000", &format!("nobody{i}"), "wrong").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    }
    // Over the limit even with the right password: the password is not even checked.
    let r = token_attempt(&h, "198.51.100.7:40001", "district", demo::DEMO_PASSWORD).await;
    let wait = assert_limited(&r, "5th attempt from one address");
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("JSON for the API");
    assert_eq!(v["error"], "too_many_requests");
    assert_eq!(v["retry_after"], wait);
    // Another address is not held.
    let r = token_attempt(&h, "198.51.100.8:40000", "district", demo::DEMO_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The first address, once it has waited.
    advance(&h, wait);
    let r = token_attempt(&h, "198.51.100.7:40002", "district", demo::DEMO_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    finish(h, dir).await;
}

#[tokio::test]
async fn the_api_token_endpoint_is_limited_per_username_across_addresses() {
    let (h, dir) = harness_with(RateLimits::default()).await;
    // The default: 10 a minute per username, whatever the address.
    for i in 0..10 {
        let r = token_attempt(&h, &format!("203.0.113.{i}:5000"), "Guess", "wrong").await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "attempt {i}: {}",
            r.body
        );
    }
    let r = token_attempt(&h, "203.0.113.99:5000", " guess ", "wrong").await;
    assert_limited(&r, "11th attempt for one username");
    // Another username from the same addresses is not held.
    let r = token_attempt(&h, "203.0.113.1:5000", "town", demo::DEMO_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A malformed body is refused before it counts.
    for _ in 0..30 {
        let mut req = Request::post("/api/v1/auth/token")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{"))
            .unwrap();
        req.extensions_mut().insert(ConnectInfo(
            "203.0.113.1:5000".parse::<SocketAddr>().unwrap(),
        ));
        assert_eq!(h.send(req).await.status, StatusCode::BAD_REQUEST);
    }
    let r = token_attempt(&h, "203.0.113.1:5000", "district", demo::DEMO_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    finish(h, dir).await;
}

#[tokio::test]
async fn without_connect_info_requests_share_one_key_and_still_work() {
    // A router driven without a socket (as these tests do) has no peer address: every
    // request counts as the client `unknown`, and ordinary use stays within the limits.
    let (h, dir) = harness_with(RateLimits::default()).await;
    for user in ["district", "town", "enterprise"] {
        let token = h.api_token(user).await;
        assert_eq!(
            h.api_get(&token, "/api/v1/subjects").await.status,
            StatusCode::OK
        );
    }
    finish(h, dir).await;
}

#[tokio::test]
async fn the_login_form_is_limited_per_username_before_the_password_is_checked() {
    let (h, dir) = harness_with(RateLimits {
        login_user: Limit::new(3, Duration::from_secs(60)),
        ..Default::default()
    })
    .await;
    for i in 0..3 {
        let r = h.try_login("district", "wrong-password").await.unwrap_err();
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // Over the limit even with the right password, with the Chinese message and Retry-After.
    let r = h
        .try_login("district", demo::DEMO_PASSWORD)
        .await
        .unwrap_err();
    let wait = assert_limited(&r, "4th sign-in for one username");
    // Another account is not held; after the wait the right password works again.
    assert!(h.try_login("town", demo::DEMO_PASSWORD).await.is_ok());
    advance(&h, wait);
    // The three failures above count towards the lockout (5), so one more is still allowed.
    assert!(h.try_login("district", demo::DEMO_PASSWORD).await.is_ok());
    finish(h, dir).await;
}

#[tokio::test]
async fn unmasking_is_limited_per_user_and_a_refused_one_reads_nothing() {
    let (h, dir) = harness_with(RateLimits {
        unmask: Limit::new(2, Duration::from_secs(3600)),
        ..Default::default()
    })
    .await;
    let town = h.login("town").await;
    let district = h.login("district").await;
    let first = anpei_store::registry::persons::list(
        h.store(),
        &anpei_store::testing::scope_of(
            &anpei_store::platform::accounts::find_user(h.store(), "town")
                .await
                .unwrap()
                .unwrap(),
        ),
        &Default::default(),
        1,
        1,
    )
    .await
    .unwrap()
    .0
    .into_iter()
    .next()
    .expect("a person in the town");
    let p = access::persons(h.store())
        .await
        .into_iter()
        .find(|p| p.id == first.id)
        .unwrap();
    let full_id = h.store().crypto.decrypt(&p.id_enc).unwrap();
    let path = format!("/persons/{}/unmask", p.id);
    let form = [("field", "id_number"), ("reason", "核实证书持有人身份")];
    for _ in 0..2 {
        let r = h.post_form(Some(&town), &path, &form).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains(&full_id));
    }
    let r = h.post_form(Some(&town), &path, &form).await;
    let wait = assert_limited(&r, "the third unmasking");
    assert!(!r.body.contains(&full_id));
    let unmasked = anpei_store::platform::audit::latest(h.store(), 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "person.unmask")
        .count();
    assert_eq!(unmasked, 2, "a refused unmasking is no unmasking");
    // Per user: the district is not held by the town's count.
    let r = h.post_form(Some(&district), &path, &form).await;
    assert_eq!(r.status, StatusCode::OK);
    // After the window, the town may again.
    advance(&h, wait);
    let town = h.login("town").await;
    let r = h.post_form(Some(&town), &path, &form).await;
    assert_eq!(r.status, StatusCode::OK);
    finish(h, dir).await;
}
