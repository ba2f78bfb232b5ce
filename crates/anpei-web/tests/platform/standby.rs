//! A streaming-replication standby (`database_read_url`): list reads go there once it has
//! replayed what the reader must see; writes never do; a user reads their own write at once;
//! a scan reading the ledger from the standby finds what one on the primary finds.
//!
//! Needs a standby of the test PostgreSQL: `ANPEI_TEST_STANDBY_URL` (`.ci/run` makes one with
//! `scripts/standby.sh`). Without it the test is skipped, except in CI, where it fails.

use crate::common::{self, Harness};
use anpei_core::ids::Uscc;
use anpei_store::{ConnectConfig, Store};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use std::time::{Duration, Instant};

/// The standby to test against; none (skipped) on a SQLite run, or on PostgreSQL outside CI
/// without one.
fn standby_url() -> Option<String> {
    std::env::var("ANPEI_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))?;
    let url = std::env::var("ANPEI_TEST_STANDBY_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI runs this test against a standby: ANPEI_TEST_STANDBY_URL is not set");
    }
    url
}

#[tokio::test]
async fn list_reads_use_the_standby_once_it_has_replayed_what_their_user_wrote() {
    let Some(standby) = standby_url() else {
        eprintln!("skipped: not PostgreSQL, or ANPEI_TEST_STANDBY_URL is not set");
        return;
    };
    let mut h = Harness::with_demo(12, 80).await;
    if h.store().backend() != sea_orm::DbBackend::Postgres {
        eprintln!("skipped: the test database is not PostgreSQL");
        return;
    }
    let primary = h.store().clone();
    let store = Store::connect(
        &ConnectConfig {
            url: h.db.url.clone(),
            pg_schema: h.db.pg_schema.clone(),
            max_connections: Some(4),
            read_url: Some(standby),
        },
        primary.crypto.clone(),
        (*primary.params).clone(),
        primary.clock.clone(),
    )
    .await
    .expect("the primary and the standby answer");
    assert!(store.has_standby());
    store.set_policy(primary.policy());
    h.app = anpei_web::app(store.clone(), common::test_config());
    let token = h.api_token("district").await;
    let get = |path: String, seen: Option<String>| {
        let mut b = Request::get(path).header(header::AUTHORIZATION, format!("Bearer {token}"));
        if let Some(c) = seen {
            b = b.header(header::COOKIE, c);
        }
        h.send(b.body(Body::empty()).unwrap())
    };
    let from_standby = |r: &common::Reply| {
        r.headers
            .get("x-anpei-read")
            .is_some_and(|v| v == "standby")
    };

    // Reads `path` with the cookie `seen`, checking each answer, until the standby serves it.
    let until_standby =
        async |what: &str, path: &str, seen: Option<&str>, check: &dyn Fn(&common::Reply)| {
            let started = Instant::now();
            loop {
                let r = get(path.to_string(), seen.map(str::to_string)).await;
                check(&r);
                if from_standby(&r) {
                    return;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "the standby never served {what}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };

    // Once the standby has replayed the demo, the list is read there.
    let ok = |r: &common::Reply| assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    until_standby("the list", "/api/v1/subjects", None, &ok).await;

    // A write goes to the primary (the standby would refuse it) and hands back the log
    // position it reached.
    let body = "91500112MA60BK001";
    let uscc = format!("{body}{}", Uscc::check_char(body).unwrap());
    let name = "重庆备库读写测试化工有限公司";
    let csv = format!(
        "统一社会信用代码,单位名称,单位类型,行业,所属镇街,行业主管部门,地址,联系人,联系电话\n\
         {uscc},{name},生产经营单位,危险化学品,龙兴镇,,,,\n"
    );
    let r = h.api_import(&token, "subjects", "单位.csv", &csv).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("\"inserted\":1"), "{}", r.body);
    let seen = r
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("anpei_seen="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .expect("a write hands back the position it reached");

    // Right after, with that position, the writer reads the new subject: from the standby
    // if it has caught up, else from the primary.
    let q = anpei_web::pages::query_string(&[("q", &Some(name.to_string()))]);
    let mine = format!("/api/v1/subjects?{q}");
    for _ in 0..20 {
        let r = get(mine.clone(), Some(seen.clone())).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.body.contains(&uscc),
            "own write not read back: {}",
            r.body
        );
    }
    let mine_read = |r: &common::Reply| assert!(r.body.contains(&uscc), "{}", r.body);
    until_standby("the new subject", &mine, Some(&seen), &mine_read).await;

    // A position the standby has not replayed keeps the reads on the primary.
    let ahead = format!("anpei_seen={}", u64::MAX / 2);
    let r = get(mine.clone(), Some(ahead)).await;
    assert!(
        r.body.contains(&uscc) && !from_standby(&r),
        "{:?}",
        r.headers
    );

    // A scan reads the ledger from the standby and finds what a scan on the primary finds.
    let as_of = store.today();
    let scan = |s: Store| async move {
        anpei_store::ledger::scan::run_whole(&s, None, as_of, 20, async |_: &[_]| {
            Ok::<(), anpei_store::StoreError>(())
        })
        .await
        .unwrap()
    };
    let on_primary = scan(primary).await;
    let with_standby = scan(store).await;
    assert!(with_standby.parts > 1);
    assert_eq!(on_primary.found, with_standby.found);
    assert!(on_primary.found > 0);
    h.db.cleanup().await;
}
