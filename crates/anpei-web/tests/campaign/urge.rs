//! 催办: from the list of subjects that have not submitted their self-inspection, one action
//! reminds each of them in its inbox — at most once a day per subject — and says how many; a
//! town reaches only its own subjects; a subject's own account cannot urge.

use crate::common::Harness;
use anpei_store::platform::{accounts, inbox};
use axum::http::StatusCode;

async fn urges_of(h: &Harness, username: &str) -> usize {
    let u = accounts::find_user(h.store(), username)
        .await
        .unwrap()
        .unwrap();
    inbox::list(h.store(), u.id, false, 1, 100)
        .await
        .unwrap()
        .0
        .into_iter()
        .filter(|m| m.kind == "urge_self_inspection")
        .count()
}

#[tokio::test]
async fn a_town_urges_its_subjects_that_have_not_submitted_once_a_day() {
    let h = Harness::with_demo(20, 100).await;
    let town = h.login("town").await;
    let list = h
        .get(Some(&town), "/progress/subjects?state=not_submitted")
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("id=\"urge-form\""), "{}", list.body);
    let r = h.post_form(Some(&town), "/progress/urge", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = h.get(Some(&town), r.location()).await;
    let banner_at = page
        .body
        .find("id=\"urge-result\"")
        .expect("the result banner");
    let banner = &page.body[banner_at..banner_at + 300];
    assert!(banner.contains("发出催办提醒"), "{banner}");
    let first = r.location().to_string();
    assert!(!first.contains("urged=0&"), "someone was reminded: {first}");
    // The demo enterprise (in this town) has not submitted: it is reminded, once.
    assert_eq!(urges_of(&h, "enterprise").await, 1);
    let again = h.post_form(Some(&town), "/progress/urge", &[]).await;
    assert!(
        again.location().contains("urged=0&"),
        "{}",
        again.location()
    );
    assert_eq!(urges_of(&h, "enterprise").await, 1, "once a day");
    // The subject itself may not urge.
    let enterprise = h.login("enterprise").await;
    let r = h.post_form(Some(&enterprise), "/progress/urge", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let audited = anpei_store::platform::audit::latest(h.store(), 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "campaign.urge")
        .count();
    assert_eq!(audited, 2);
    h.db.cleanup().await;
}
