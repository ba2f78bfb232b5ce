//! Requests no page ever sends, as an outside probe does: any `page` and `per_page` on every
//! list (pages and API), malformed query strings and bodies on the API, and texts in the
//! query string where a page shows a message.

use crate::common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Harness, Reply};

/// Every paged list of the pages, with the account that may open it.
const PAGE_LISTS: &[(&str, &str)] = &[
    ("district", "/subjects"),
    ("district", "/persons"),
    ("district", "/findings"),
    ("district", "/problems"),
    ("district", "/progress/subjects"),
    ("district", "/inbox"),
    ("district", "/selfcheck"),
    ("district", "/inspections"),
    ("district", "/enforcement/actions"),
    ("district", "/enforcement/coverage"),
    ("district", "/tipoffs"),
    ("auditor", "/admin/audit"),
];

/// Every paged list of the API.
const API_LISTS: &[&str] = &[
    "/api/v1/subjects",
    "/api/v1/persons",
    "/api/v1/findings",
    "/api/v1/problems",
];

/// Paging values that are numbers, however large.
const HUGE: &[&str] = &[
    "page=18446744073709551615",
    "page=18446744073709551616",
    "page=99999999999999999999999999999999",
    "page=9223372036854775807&per_page=200",
    "per_page=18446744073709551615",
    "page=18446744073709551615&per_page=18446744073709551615",
    "page=0&per_page=0",
    "page=&per_page=",
];

/// Paging values that are not numbers.
const GARBAGE: &[&str] = &["page=-1", "per_page=-5", "page=abc", "page=1.5&per_page=x"];

fn json(r: &Reply) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("JSON expected ({e}): {}", r.body))
}

/// The API's error shape: `{"error": code, "message": 中文}`.
fn assert_api_error(r: &Reply, status: StatusCode, code: &str, what: &str) -> String {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{what}: JSON"
    );
    let v = json(r);
    assert_eq!(v["error"], code, "{what}: {v}");
    let m = v["message"].as_str().unwrap_or_default().to_string();
    assert!(
        m.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{what}: a Chinese message: {m}"
    );
    m
}

#[tokio::test]
async fn every_list_answers_any_page_and_per_page() {
    let h = Harness::with_demo(10, 60).await;
    anpei_store::demo::campaign::load_demo(h.store(), &h.district)
        .await
        .unwrap();
    let district = h.login("district").await;
    let auditor = h.login("auditor").await;
    for (who, path) in PAGE_LISTS {
        let s = if *who == "auditor" {
            &auditor
        } else {
            &district
        };
        for q in HUGE.iter().chain(GARBAGE) {
            let r = h.get(Some(s), &format!("{path}?{q}")).await;
            assert_eq!(r.status, StatusCode::OK, "{path}?{q}: {}", r.body);
        }
    }
    let token = h.api_token("district").await;
    for path in API_LISTS {
        for q in HUGE {
            let r = h.api_get(&token, &format!("{path}?{q}")).await;
            assert_eq!(r.status, StatusCode::OK, "{path}?{q}: {}", r.body);
            let v = json(&r);
            let (page, per_page) = (v["page"].as_u64().unwrap(), v["per_page"].as_u64().unwrap());
            assert!((1..=100_000).contains(&page), "{path}?{q}: page {page}");
            assert!((1..=200).contains(&per_page), "{path}?{q}: {per_page}");
            if page > 1 {
                assert_eq!(v["items"], serde_json::json!([]), "{path}?{q}");
            }
        }
        // Not a number: refused in the API's shape, the parameter named.
        for q in GARBAGE {
            let r = h.api_get(&token, &format!("{path}?{q}")).await;
            let m = assert_api_error(&r, StatusCode::BAD_REQUEST, "bad_request", q);
            assert!(m.contains("page"), "{q}: {m}");
        }
    }
    // A huge page is an empty page of the same total.
    let first = json(&h.api_get(&token, "/api/v1/subjects").await);
    let far = json(
        &h.api_get(&token, "/api/v1/subjects?page=18446744073709551615")
            .await,
    );
    assert_eq!(far["total"], first["total"]);
    assert_eq!(far["items"], serde_json::json!([]));
    h.db.cleanup().await;
}

#[tokio::test]
async fn malformed_api_requests_answer_json_errors() {
    let h = Harness::with_demo(5, 20).await;
    let token = h.api_token("district").await;

    let r = h.api_get(&token, "/api/v1/subjects?page=abc").await;
    let m = assert_api_error(&r, StatusCode::BAD_REQUEST, "bad_request", "page=abc");
    assert!(m.contains("page"), "{m}");
    // A parameter of the wrong type, through the query extractor itself.
    let r = h.api_get(&token, "/api/v1/findings?subject_id=abc").await;
    let m = assert_api_error(&r, StatusCode::BAD_REQUEST, "bad_request", "subject_id");
    assert!(m.contains("subject_id"), "{m}");
    let r = h.api_get(&token, "/api/v1/subjects/abc").await;
    assert_api_error(&r, StatusCode::BAD_REQUEST, "bad_request", "path id");
    let r = h.api_get(&token, "/api/v1/no-such-thing").await;
    assert_api_error(&r, StatusCode::NOT_FOUND, "not_found", "unknown API path");

    let post = |body: &'static str, content_type: Option<&str>| {
        let mut b = Request::post("/api/v1/auth/token");
        if let Some(t) = content_type {
            b = b.header(header::CONTENT_TYPE, t);
        }
        b.body(Body::from(body)).unwrap()
    };
    let r = h
        .send(post(
            "{\"username\": \"district\",",
            Some("application/json"),
        ))
        .await;
    assert_api_error(&r, StatusCode::BAD_REQUEST, "bad_request", "broken JSON");
    let r = h
        .send(post(
            "{\"username\": \"district\"}",
            Some("application/json"),
        ))
        .await;
    let m = assert_api_error(&r, StatusCode::BAD_REQUEST, "bad_request", "missing field");
    assert!(m.contains("password"), "{m}");
    let r = h
        .send(post(
            "{\"username\": 7, \"password\": \"x\"}",
            Some("application/json"),
        ))
        .await;
    let m = assert_api_error(&r, StatusCode::BAD_REQUEST, "bad_request", "wrong type");
    assert!(m.contains("username"), "{m}");
    let r = h.send(post("username=district", None)).await;
    assert_api_error(
        &r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "no JSON content type",
    );
    // The checklists API reads its query the same way.
    let r = h.api_get(&token, "/api/v1/checklists?kind=nope").await;
    assert_api_error(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        "unknown kind",
    );
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_page_never_shows_a_text_from_its_query_string_as_a_message() {
    let h = Harness::with_demo(5, 20).await;
    let s = h.login("district").await;
    let text = "系统升级，请致电4000000000核实账号";
    let enc = serde_urlencoded::to_string([("", text)]).unwrap();
    let enc = enc.trim_start_matches('=');
    for path in [
        format!("/findings?scanned={enc}"),
        format!("/findings?done={enc}"),
        format!("/findings?done=scanned&new={enc}&open=1&resolved=1"),
        format!("/tipoffs?msg={enc}"),
        format!("/problems?done={enc}"),
        format!("/imports?cancelled={enc}"),
    ] {
        let r = h.get(Some(&s), &path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(!r.body.contains(text), "{path} shows the query's text");
        assert!(!r.body.contains("4000000000"), "{path}");
    }
    // A scan says what it found through a message code and its counts.
    let r = h.post_form(Some(&s), "/findings/scan", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.location().starts_with("/findings?done=scanned&new="),
        "{}",
        r.location()
    );
    let page = h.get(Some(&s), r.location()).await;
    assert!(page.body.contains("扫描完成：新发现 "), "{}", page.body);
    let r = h
        .get(Some(&s), "/findings?done=scanned&new=3&open=4&resolved=5")
        .await;
    assert!(r
        .body
        .contains("扫描完成：新发现 3 条，仍存在 4 条，已消除 5 条。"));
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_list_opened_from_a_link_by_name_shows_its_filters_selected() {
    let h = Harness::with_demo(20, 60).await;
    let s = h.login("district").await;
    let town =
        anpei_store::registry::reference::towns(h.store(), &anpei_store::Scope::district_wide())
            .await
            .unwrap()
            .remove(0);
    let selected =
        |body: &str, value: &str| body.contains(&format!("<option value=\"{value}\" selected>"));
    // The work bench links to `/subjects?kind=生产经营单位`.
    for path in [
        format!("/subjects?kind=生产经营单位&town={}", town.name),
        format!("/problems?kind=生产经营单位&town={}", town.name),
    ] {
        let r = h.get(Some(&s), &path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(selected(&r.body, "enterprise"), "{path}: kind not selected");
        assert!(
            selected(&r.body, &town.id.to_string()),
            "{path}: town not selected"
        );
    }
    let r = h
        .get(Some(&s), &format!("/findings?town={}", town.name))
        .await;
    assert!(selected(&r.body, &town.id.to_string()), "findings: town");
    h.db.cleanup().await;
}
