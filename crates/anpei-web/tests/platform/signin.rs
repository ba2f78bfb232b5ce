//! Signing in from a deep link returns there: a page opened without a session sends to
//! `/login?next=…`, the form carries it, and a successful sign-in goes back — same-site
//! paths only.

use crate::common::{self, Harness};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};

/// Opens the sign-in page at `login` and signs in as the demo town with the form's fields and
/// `next` as posted; the answer's `Location`.
async fn sign_in(h: &Harness, login: &str, next: Option<&str>) -> String {
    let page = h.get(None, login).await;
    assert_eq!(page.status, StatusCode::OK);
    let pre = page.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = common::hidden_csrf(&page.body).unwrap();
    let carried = page
        .body
        .split("name=\"next\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|s| {
            s.replace("&#38;", "&")
                .replace("&amp;", "&")
                .replace("&#x2F;", "/")
        });
    let next = next.map(str::to_string).or(carried).unwrap_or_default();
    let body = serde_urlencoded::to_string([
        ("username", "town"),
        ("password", "Anpei@2021"),
        ("_csrf", csrf.as_str()),
        ("next", next.as_str()),
    ])
    .unwrap();
    let r = h
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, pre)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().to_string()
}

#[tokio::test]
async fn signing_in_from_a_deep_link_returns_there_and_only_to_this_site() {
    let h = Harness::with_demo(10, 40).await;
    let deep = h.get(None, "/problems?status=overdue&town=3").await;
    assert_eq!(deep.status, StatusCode::SEE_OTHER);
    let login = deep.location().to_string();
    assert!(login.starts_with("/login?next=%2Fproblems"), "{login}");
    assert_eq!(
        sign_in(&h, &login, None).await,
        "/problems?status=overdue&town=3"
    );
    // Without a deep link: the work bench.
    assert_eq!(sign_in(&h, "/login", None).await, "/");
    // Another host, or the sign-in pages themselves, are never a destination.
    for evil in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "/logout",
    ] {
        assert_eq!(sign_in(&h, "/login", Some(evil)).await, "/", "{evil}");
        let page = h
            .get(
                None,
                &format!(
                    "/login?{}",
                    serde_urlencoded::to_string([("next", evil)]).unwrap()
                ),
            )
            .await;
        assert!(!page.body.contains("evil.example"), "{evil} not echoed");
    }
    h.db.cleanup().await;
}
