//! 关联关系: the demo's 包过班 — a training institution's 45 trainees all passed at
//! one exam site while the district's other candidates pass about two thirds of the time,
//! a teacher holds that site's 监考员证, another shares a 巡考员's phone. The view's numbers,
//! its page for a supervisor, 403 for a subject account, 404 outside a town's scope.

use crate::common;

use anpei_core::kinds::SubjectKind;
use anpei_store::demo::{self, collusion, DemoAccount};
use anpei_store::platform::audit::Actor;
use anpei_store::records::relations::{self, Side};
use anpei_store::testing::access;
use anpei_store::Role;
use axum::http::StatusCode;
use common::Harness;

/// The demo district with training and exam records and the 包过班 scenario.
async fn district() -> (Harness, collusion::DemoCollusion) {
    let h = Harness::with_demo(40, 400).await;
    anpei_store::records::training::load_demo(h.store())
        .await
        .unwrap();
    anpei_store::demo::exams::load_demo(h.store())
        .await
        .unwrap();
    let c = collusion::load_demo(h.store())
        .await
        .unwrap()
        .expect("the demo district holds the scenario");
    assert!(
        collusion::load_demo(h.store()).await.unwrap().is_none(),
        "loading the scenario twice does nothing"
    );
    (h, c)
}

#[tokio::test]
async fn the_suspicious_institution_shows_its_pass_rate_gap_and_shared_staff() {
    let (h, c) = district().await;
    let store = h.store();
    let actor = Actor::system("test");
    let r = relations::for_subject(
        store,
        &actor,
        &anpei_store::Scope::district_wide(),
        c.institution_id,
        store.today(),
    )
    .await
    .unwrap();
    assert_eq!(r.side, Side::Training);
    // Its own trainees: the class of 45 (all passed) and four earlier trainees (two passed).
    let s = r
        .summaries
        .iter()
        .find(|s| s.category == collusion::CATEGORY)
        .expect("a 电工作业 summary");
    assert_eq!((s.unit.n, s.unit.passed), (49, 47), "{s:?}");
    assert!(s.rest.n >= 90, "{s:?}");
    let p0 = s.rest.ratio().unwrap();
    assert!((0.55..0.70).contains(&p0), "{s:?}");
    assert!(s.anomalous && s.z.unwrap() > 3.09, "{s:?}");
    // Side by side: the suspicious site first (largest gap), 45 of 45.
    let first = &r.rates[0];
    assert_eq!(first.counterpart_id, c.site_id, "{:?}", r.rates);
    assert_eq!((first.common.n, first.common.passed), (45, 45));
    assert_eq!(
        (first.others.n, first.others.passed),
        (15, 9),
        "the site's other candidates"
    );
    assert!(first.district.ratio().unwrap() < 0.85, "{first:?}");
    assert!(
        r.rates
            .iter()
            .any(|x| x.counterpart_kind == "考试机构" && x.common.n == 4 && x.common.passed == 2),
        "the exam institution examined four earlier trainees: {:?}",
        r.rates
    );
    // Shared staff: 周德华 by ID number (confirmed), 吴秀兰 / 郑美玲 by phone (suspected).
    assert_eq!(r.shared_people.len(), 1, "{:?}", r.shared_people);
    let p = &r.shared_people[0];
    assert_eq!(
        (p.training_name.as_str(), p.exam_name.as_str()),
        ("周德华", "周德华")
    );
    assert_eq!(p.training_roles, "教师（兼职）");
    assert!(p.exam_roles.contains("监考员证") && p.exam_roles.contains("考务人员（监考员）"));
    assert_eq!(p.exam_subject_id, c.site_id);
    assert!(p.id_masked.contains('*'));
    assert_eq!(r.shared_phones.len(), 1, "{:?}", r.shared_phones);
    let ph = &r.shared_phones[0];
    assert_eq!(
        (ph.training_name.as_str(), ph.exam_name.as_str()),
        ("吴秀兰", "郑美玲")
    );
    assert_eq!(ph.phone_masked, "136****4690");
    assert_eq!(ph.exam_role, "巡考员证");

    // The site's view, symmetrically.
    let site = relations::for_subject(
        store,
        &actor,
        &anpei_store::Scope::district_wide(),
        c.site_id,
        store.today(),
    )
    .await
    .unwrap();
    assert_eq!(site.side, Side::Exam);
    let s = &site.summaries[0];
    assert!(s.unit.n >= 45 && s.anomalous, "{s:?}");
    let row = site
        .rates
        .iter()
        .find(|x| x.counterpart_id == c.institution_id)
        .expect("the institution among the site's counterparts");
    assert_eq!((row.common.n, row.common.passed), (45, 45));
    assert_eq!(site.shared_people.len(), 1);
    assert_eq!(site.shared_phones.len(), 1);

    // Each read is audited.
    let reads = anpei_store::platform::audit::latest(store, 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "relations.view")
        .count();
    assert_eq!(reads, 2);
    h.db.cleanup().await;
}

#[tokio::test]
async fn the_scan_raises_pass_rate_and_staff_findings_that_the_view_lists() {
    let (h, c) = district().await;
    let store = h.store();
    let found = anpei_store::ledger::scan::run(store, None, store.today())
        .await
        .unwrap();
    anpei_store::ledger::findings::merge(
        store,
        &Actor::system("test"),
        None,
        store.today(),
        &found,
    )
    .await
    .unwrap();
    for id in [c.institution_id, c.site_id] {
        let r = relations::for_subject(
            store,
            &Actor::system("test"),
            &anpei_store::Scope::district_wide(),
            id,
            store.today(),
        )
        .await
        .unwrap();
        let rules: Vec<&str> = r.findings.iter().map(|f| f.rule.as_str()).collect();
        assert!(rules.contains(&"PASS_RATE_ANOMALY"), "{id}: {rules:?}");
        assert!(rules.contains(&"STAFF_CONFLICT"), "{id}: {rules:?}");
    }
    h.db.cleanup().await;
}

#[tokio::test]
async fn supervisors_see_the_page_and_others_do_not() {
    let (h, c) = district().await;
    let inst = anpei_store::registry::subjects::get(
        h.store(),
        &anpei_store::Scope::district_wide(),
        c.institution_id,
    )
    .await
    .unwrap()
    .unwrap();
    let mut towns =
        anpei_store::registry::reference::towns(h.store(), &anpei_store::Scope::district_wide())
            .await
            .unwrap();
    towns.sort_by_key(|t| t.id);
    let other_town = towns.iter().find(|t| t.id != inst.town_id).unwrap().clone();
    let own_town = towns.iter().find(|t| t.id == inst.town_id).unwrap().clone();
    demo::create_accounts(
        h.store(),
        &[
            DemoAccount {
                username: "institution".into(),
                role: Role::Subject,
                scope: inst.uscc.clone(),
            },
            DemoAccount {
                username: "far-town".into(),
                role: Role::Town,
                scope: other_town.name.clone(),
            },
            DemoAccount {
                username: "own-town".into(),
                role: Role::Town,
                scope: own_town.name.clone(),
            },
        ],
    )
    .await
    .unwrap();
    let path = format!("/relations/{}", c.institution_id);
    for who in ["district", "department", "own-town"] {
        let s = h.login(who).await;
        let r = h.get(Some(&s), &path).await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.body);
        for want in [
            "id=\"shared-staff\"",
            "id=\"pass-rates\"",
            "周德华",
            "郑美玲",
            "疑似",
            "100.0%（n=45）",
            "95.9%（n=49）",
            "<svg class=\"rate-bars\"",
        ] {
            assert!(r.body.contains(want), "{who}: {want} missing");
        }
        assert!(!r.body.contains("13617724690"), "phones are masked");
    }
    // The site's page names the institution whose trainees it passed.
    let s = h.login("district").await;
    let r = h.get(Some(&s), &format!("/relations/{}", c.site_id)).await;
    assert_eq!(r.status, StatusCode::OK);
    for want in [c.institution.as_str(), "100.0%（n=45）", "周德华", "郑美玲"] {
        assert!(r.body.contains(want), "the site's page: {want} missing");
    }
    let s = h.login("institution").await;
    let r = h.get(Some(&s), &path).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a subject account never sees it"
    );
    let s = h.login("far-town").await;
    let r = h.get(Some(&s), &path).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "outside the town's scope");
    assert!(matches!(
        relations::for_subject(
            h.store(),
            &Actor::system("test"),
            &anpei_store::testing::town_scope(other_town.id),
            c.institution_id,
            h.store().today()
        )
        .await,
        Err(anpei_store::StoreError::NotFound)
    ));
    // An enterprise has no relations to show, and says so.
    let ent = access::subjects(h.store())
        .await
        .into_iter()
        .find(|s| s.kind == SubjectKind::Enterprise)
        .unwrap();
    let s = h.login("district").await;
    let r = h.get(Some(&s), &format!("/relations/{}", ent.id)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("relations-none"));
    h.db.cleanup().await;
}
