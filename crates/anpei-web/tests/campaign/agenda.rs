//! 工作台 for each role: its work first, each deadline in red once past, the campaign's
//! 时间节点; a subject's account sees an enterprise's product (its own menus, its unit, its
//! self-inspection and deadlines), not the regulators' lists and charts.

use crate::common::{Harness, Session};
use anpei_store::demo;
use axum::http::StatusCode;

/// The demo campaign, whose self-inspection phase contains today.
async fn with_campaign() -> Harness {
    let h = Harness::with_demo(30, 100).await;
    demo::campaign::load_demo(h.store(), &h.district)
        .await
        .unwrap()
        .expect("the demo campaign");
    h
}

/// The navigation's links.
fn nav_links(body: &str) -> Vec<String> {
    let nav = &body[body.find("<nav").expect("a navigation")..];
    let nav = &nav[..nav.find("</nav>").unwrap()];
    nav.split("href=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

/// The `<li>` of a 待办 line, if shown.
fn todo_line<'a>(body: &'a str, id: &str) -> Option<&'a str> {
    let at = body.find(&format!("<li id=\"{id}\""))?;
    let rest = &body[at..];
    Some(&rest[..rest.find("</li>").unwrap()])
}

async fn home(h: &Harness, s: &Session) -> String {
    let r = h.get(Some(s), "/").await;
    assert_eq!(r.status, StatusCode::OK);
    r.body
}

#[tokio::test]
async fn a_subject_sees_its_own_product_with_its_deadlines_and_not_the_regulators_menus() {
    let h = with_campaign().await;
    let enterprise = h.login("enterprise").await;
    let body = home(&h, &enterprise).await;
    let links = nav_links(&body);
    for own in [
        "/unit",
        "/selfcheck",
        "/problems",
        "/findings",
        "/persons",
        "/imports",
    ] {
        assert!(links.iter().any(|l| l == own), "{own} in {links:?}");
    }
    for theirs in [
        "/subjects",
        "/progress",
        "/campaigns",
        "/inspections",
        "/tipoffs",
    ] {
        assert!(!links.iter().any(|l| l == theirs), "{theirs} in {links:?}");
    }
    // Its unit, from the menu.
    let unit = h.get(Some(&enterprise), "/unit").await;
    assert_eq!(unit.status, StatusCode::SEE_OTHER);
    let own_id = anpei_store::platform::accounts::find_user(h.store(), "enterprise")
        .await
        .unwrap()
        .unwrap()
        .scope_subject_id
        .unwrap();
    assert_eq!(unit.location(), format!("/subjects/{own_id}"));
    // A long page with its index; the unit's own, not a regulator's list.
    let page = h.get(Some(&enterprise), unit.location()).await;
    assert!(page.body.contains("id=\"page-index\""));
    for anchor in [
        "#basic",
        "#findings",
        "#persons",
        "#certificates",
        "#timeline",
    ] {
        assert!(
            page.body.contains(&format!("href=\"{anchor}\"")),
            "{anchor}"
        );
    }
    assert!(page.body.contains("<div class=\"breadcrumb\">单位档案"));
    // The phases, and no chart of the regulators.
    assert!(body.contains("id=\"agenda\""));
    assert!(body.contains("时间节点"));
    assert!(!body.contains("id=\"by-kind\""));
    // A supervisor has no /unit.
    let town = h.login("town").await;
    assert_eq!(
        h.get(Some(&town), "/unit").await.status,
        StatusCode::FORBIDDEN
    );
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_subject_that_has_not_submitted_finds_its_self_inspection_first_with_its_deadline() {
    let h = with_campaign().await;
    // The demo enterprise's own state, read the way the page reads it.
    let enterprise = h.login("enterprise").await;
    let body = home(&h, &enterprise).await;
    let scope = anpei_store::testing::subject_scope(
        anpei_store::platform::accounts::find_user(h.store(), "enterprise")
            .await
            .unwrap()
            .unwrap()
            .scope_subject_id
            .unwrap(),
    );
    let agenda = anpei_store::campaign::agenda::load(h.store(), &scope)
        .await
        .unwrap();
    let own = agenda.own_selfcheck.expect("the phase has begun");
    match todo_line(&body, "todo-selfcheck") {
        Some(line) => {
            assert!(own.to_do());
            assert!(line.contains(own.label()), "{line}");
            let due = own.due.unwrap().to_string();
            assert!(line.contains(&format!("截止 {due}")), "{line}");
            assert!(
                !line.contains("已过期限"),
                "the phase is still running: {line}"
            );
        }
        None => assert!(!own.to_do(), "a self-inspection to do is on the list"),
    }
    // After the phase's last day, the same line says so in red.
    let ends = own.due.unwrap();
    let days = (ends - h.store().today()).num_days() + 1;
    h.db.clock.advance(chrono::Duration::days(days));
    let enterprise = h.login("enterprise").await;
    let body = home(&h, &enterprise).await;
    if own.to_do() {
        let line = todo_line(&body, "todo-selfcheck").expect("still to do");
        assert!(line.contains("class=\"urgent\""), "{line}");
        assert!(line.contains("已过期限"), "{line}");
    }
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_town_sees_its_subjects_not_submitted_and_its_own_summary_report_due() {
    let h = with_campaign().await;
    let town = h.login("town").await;
    let body = home(&h, &town).await;
    let line = todo_line(&body, "todo-not-submitted").expect("未提交自查的单位");
    assert!(line.contains("/progress/subjects?campaign="), "{line}");
    assert!(line.contains("截止 "), "{line}");
    let summary = todo_line(&body, "todo-summary").expect("本单位总结报告");
    assert!(summary.contains("未报送（未到期）"), "{summary}");
    assert!(!summary.contains("urgent"), "{summary}");
    // The district sees the units without a report.
    let district = h.login("district").await;
    let body = home(&h, &district).await;
    let line = todo_line(&body, "todo-summaries").expect("未报送总结报告的单位");
    assert!(line.contains("/summaries?campaign="), "{line}");
    // A subject does not see the supervisors' lines.
    let enterprise = h.login("enterprise").await;
    let body = home(&h, &enterprise).await;
    assert!(todo_line(&body, "todo-not-submitted").is_none());
    assert!(todo_line(&body, "todo-summary").is_none());
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_campaign_long_over_leaves_the_work_bench_to_permanent_supervision() {
    // The harness's own district only has the notice's campaign of years ago.
    let h = Harness::with_demo(10, 50).await;
    let town = h.login("town").await;
    let body = home(&h, &town).await;
    assert!(!body.contains("id=\"agenda\""));
    assert!(todo_line(&body, "todo-summary").is_none());
    assert!(todo_line(&body, "todo-not-submitted").is_none());
    h.db.cleanup().await;
}
