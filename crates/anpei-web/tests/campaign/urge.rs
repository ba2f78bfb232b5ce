//! 催办: from each list of units that have not done something — subjects that have not
//! submitted their self-inspection, subjects with overdue rectifications, towns and
//! departments with overdue tip-offs, units without a summary report — one action reminds each
//! of them in its inbox, at most once a day per unit and matter, and says how many; a town
//! reaches only its own subjects; who may not urge is refused.

use crate::common::Harness;
use anpei_store::enforcement::tipoffs;
use anpei_store::model::InboxMessage;
use anpei_store::platform::audit::Actor;
use anpei_store::platform::{accounts, inbox};
use axum::http::StatusCode;

/// The messages of a kind in an account's inbox.
async fn messages_of(h: &Harness, username: &str, kind: &str) -> Vec<InboxMessage> {
    let u = accounts::find_user(h.store(), username)
        .await
        .unwrap()
        .unwrap();
    inbox::list(h.store(), u.id, false, 1, 200)
        .await
        .unwrap()
        .0
        .into_iter()
        .filter(|m| m.kind == kind)
        .collect()
}

/// The number in a 催办's redirect (`urged=N`).
fn urged(location: &str) -> u64 {
    let at = location.find("urged=").expect("urged=") + 6;
    location[at..].split('&').next().unwrap().parse().unwrap()
}

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

#[tokio::test]
async fn subjects_with_overdue_rectifications_are_urged_from_the_overdue_list() {
    let h = Harness::with_demo(20, 100).await;
    let town = h.login("town").await;
    let own = accounts::find_user(h.store(), "enterprise")
        .await
        .unwrap()
        .unwrap()
        .scope_subject_id
        .unwrap();
    let deadline = (h.store().today() + chrono::Days::new(3)).to_string();
    let r = h
        .post_form(
            Some(&town),
            "/problems",
            &[
                ("subject_id", &own.to_string()),
                ("source", "enforcement"),
                ("description", "特种作业人员未持证上岗"),
                ("measures", "立即停止作业，组织取证培训"),
                ("deadline", &deadline),
                ("responsible_name", "张三"),
                ("responsible_phone", "13812341234"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Not yet overdue: the 逾期 list offers nothing to urge about it.
    let before = h.get(Some(&town), "/problems?status=overdue").await;
    assert!(!before.body.contains("特种作业人员未持证上岗"));
    h.db.clock.advance(chrono::Duration::days(4));
    let town = h.login("town").await;
    let list = h.get(Some(&town), "/problems?status=overdue").await;
    assert!(
        list.body.contains("特种作业人员未持证上岗"),
        "{}",
        list.body
    );
    assert!(list.body.contains("id=\"urge-form\""), "{}", list.body);
    // Not on the other tabs.
    let all = h.get(Some(&town), "/problems").await;
    assert!(!all.body.contains("id=\"urge-form\""));
    let r = h.post_form(Some(&town), "/problems/urge", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.location().starts_with("/problems?status=overdue"),
        "{}",
        r.location()
    );
    assert!(urged(r.location()) >= 1, "{}", r.location());
    let msgs = messages_of(&h, "enterprise", "urge_problem_overdue").await;
    assert_eq!(msgs.len(), 1);
    assert!(
        msgs[0].title.contains("项问题已超过整改期限"),
        "{}",
        msgs[0].title
    );
    assert_eq!(msgs[0].link, "/problems?status=overdue");
    let page = h.get(Some(&town), r.location()).await;
    assert!(page.body.contains("id=\"urge-result\""));
    // Once a day.
    let again = h.post_form(Some(&town), "/problems/urge", &[]).await;
    assert_eq!(urged(again.location()), 0, "{}", again.location());
    assert_eq!(
        messages_of(&h, "enterprise", "urge_problem_overdue")
            .await
            .len(),
        1
    );
    // The next day, again.
    h.db.clock.advance(chrono::Duration::days(1));
    let town = h.login("town").await;
    h.post_form(Some(&town), "/problems/urge", &[]).await;
    assert_eq!(
        messages_of(&h, "enterprise", "urge_problem_overdue")
            .await
            .len(),
        2
    );
    // The enterprise may not urge.
    let enterprise = h.login("enterprise").await;
    let r = h.post_form(Some(&enterprise), "/problems/urge", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_new_tip_off_reaches_the_intake_at_once_and_overdue_ones_are_urged_on_their_units() {
    let h = Harness::with_demo(20, 100).await;
    let district_id = accounts::find_user(h.store(), "district")
        .await
        .unwrap()
        .unwrap()
        .id;
    tipoffs::set_grant(
        h.store(),
        &Actor::system("test"),
        district_id,
        tipoffs::INTAKE_GRANT,
        true,
    )
    .await
    .unwrap();
    let receipt = tipoffs::submit(
        h.store(),
        None,
        tipoffs::NewTipoff {
            channel: "web".into(),
            category: "fake_certificate".into(),
            subject_text: "某某化工有限公司".into(),
            description: "该公司多名电工没有参加培训就拿到了证书".into(),
            anonymous: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let received = messages_of(&h, "district", "tipoff_received").await;
    let mine: Vec<_> = received
        .iter()
        .filter(|m| m.link == format!("/tipoffs/{}", receipt.id))
        .collect();
    assert_eq!(mine.len(), 1, "{received:?}");
    assert!(mine[0].title.contains(&receipt.receipt_code));
    // Its 待办 counts it.
    let district = h.login("district").await;
    let home = h.get(Some(&district), "/").await;
    assert!(home.body.contains("id=\"todo-tipoffs\""));
    // Assigned to the demo town: the town's accounts are told.
    let town_id = accounts::find_user(h.store(), "town")
        .await
        .unwrap()
        .unwrap()
        .scope_town_id
        .unwrap();
    tipoffs::assign(
        h.store(),
        &Actor::system("test"),
        tipoffs::Viewer::Intake,
        receipt.id,
        tipoffs::Assignee::Town(town_id),
    )
    .await
    .unwrap();
    let given = messages_of(&h, "town", "tipoff_assigned").await;
    assert!(
        given
            .iter()
            .any(|m| m.link == format!("/tipoffs/{}", receipt.id)
                && m.body.contains(&receipt.close_by.to_string())),
        "{given:?}"
    );
    // Past its deadline (60 days) and still open: the district urges the town from the
    // overdue list.
    h.db.clock.advance(chrono::Duration::days(75));
    let district = h.login("district").await;
    let list = h.get(Some(&district), "/tipoffs?overdue=1").await;
    assert!(list.body.contains("id=\"urge-form\""), "{}", list.body);
    let r = h.post_form(Some(&district), "/tipoffs/urge", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(urged(r.location()) >= 1, "{}", r.location());
    let urges = messages_of(&h, "town", "urge_tipoff_overdue").await;
    assert_eq!(urges.len(), 1, "{urges:?}");
    assert!(urges[0].title.contains("件交办的举报已超过办理期限"));
    let again = h.post_form(Some(&district), "/tipoffs/urge", &[]).await;
    assert_eq!(urged(again.location()), 0);
    // Only the district urges on tip-offs.
    let town = h.login("town").await;
    let r = h.post_form(Some(&town), "/tipoffs/urge", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    h.db.cleanup().await;
}

#[tokio::test]
async fn the_district_urges_the_units_without_a_summary_report_and_not_those_that_sent_it() {
    let h = Harness::with_demo(20, 100).await;
    let district = h.login("district").await;
    let dept = h.login("department").await;
    // The department sends its report; the town does not.
    let page = h.get(Some(&dept), "/summary").await;
    assert_eq!(page.status, StatusCode::OK);
    let cid = page
        .body
        .split("name=\"campaign\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the form names its campaign")
        .to_string();
    let r = h
        .post_multipart(
            Some(&dept),
            &format!("/summary?_csrf={}", dept.csrf),
            &[
                ("campaign", &cid),
                ("title", "区应急局专项整治工作总结"),
                ("body", "一、工作开展情况。二、存在的问题。三、下一步举措。"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list = h.get(Some(&district), "/summaries").await;
    assert!(list.body.contains("id=\"urge-form\""), "{}", list.body);
    let r = h
        .post_form(Some(&district), "/summaries/urge", &[("campaign", &cid)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(urged(r.location()) >= 1);
    assert_eq!(messages_of(&h, "town", "urge_summary").await.len(), 1);
    assert!(messages_of(&h, "department", "urge_summary")
        .await
        .is_empty());
    let again = h
        .post_form(Some(&district), "/summaries/urge", &[("campaign", &cid)])
        .await;
    assert_eq!(urged(again.location()), 0);
    // Only the district urges reports.
    let town = h.login("town").await;
    let r = h
        .post_form(Some(&town), "/summaries/urge", &[("campaign", &cid)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    h.db.cleanup().await;
}
