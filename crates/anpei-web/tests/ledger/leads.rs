//! 问题线索 become work, through the pages: the district filters one rule's findings in one
//! town and 交办 them in bulk (a confirmation first, with the count); the town finds them in
//! its list and inbox, turns one into a problem and dismisses another with a reason (a short
//! one refused with the reason why); the enterprise rectifies, the town verifies, and the
//! finding is closed with its whole history; a re-scan duplicates nothing, leaves the
//! dismissed finding dismissed, and reopens the problem whose facts are still there.

use crate::common::{self, Harness, Session};
use anpei_store::campaign::problems::{self, ProblemStatus};
use anpei_store::ledger::findings::{self, FindingFilter};
use anpei_store::ledger::leads::{self, FindingStatus};
use anpei_store::platform::{accounts, audit, inbox};
use anpei_store::testing::platform::row_count;
use anpei_store::Scope;
use axum::http::StatusCode;
use std::collections::HashMap;

/// Every finding of the district still to be handled, by subject.
async fn active(h: &Harness) -> Vec<findings::FindingRow> {
    let f = FindingFilter {
        status: Some(findings::ACTIVE.into()),
        ..Default::default()
    };
    findings::all(h.store(), &Scope::district_wide(), &f)
        .await
        .unwrap()
}

async fn status_of(h: &Harness, id: i32) -> FindingStatus {
    leads::handling(h.store(), &Scope::district_wide(), id)
        .await
        .unwrap()
        .status
}

async fn audited(h: &Harness, action: &str) -> usize {
    audit::latest(h.store(), 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .count()
}

async fn post(h: &Harness, s: &Session, path: &str, fields: &[(&str, &str)]) -> common::Reply {
    h.post_form(Some(s), path, fields).await
}

#[tokio::test]
async fn a_lead_goes_from_the_district_to_the_town_to_a_closed_problem() {
    let (h, dir) = common::with_uploads(30, 400, |_| {}).await;
    let district = h.login("district").await;
    let town = h.login("town").await;
    let enterprise = h.login("enterprise").await;
    let r = post(&h, &district, "/findings/scan", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let ent = accounts::find_user(h.store(), "enterprise")
        .await
        .unwrap()
        .unwrap();
    let town_user = accounts::find_user(h.store(), "town")
        .await
        .unwrap()
        .unwrap();
    let subject = ent.scope_subject_id.unwrap();
    let all = active(&h).await;
    let town_id = all
        .iter()
        .find(|f| f.subject_id == subject)
        .map(|_| town_user.scope_town_id.unwrap())
        .expect("the demo enterprise has findings");
    let in_town = |f: &&findings::FindingRow, towns: &HashMap<i32, i32>| {
        towns.get(&f.subject_id) == Some(&town_id)
    };
    let towns: HashMap<i32, i32> = anpei_store::testing::access::subjects(h.store())
        .await
        .into_iter()
        .map(|s| (s.id, s.town_id))
        .collect();
    assert_eq!(
        towns[&subject], town_id,
        "the enterprise is in the town's area"
    );
    // The rule with the enterprise's finding and at least one more finding in the town.
    let rule = all
        .iter()
        .filter(|f| f.subject_id == subject)
        .map(|f| f.rule.clone())
        .find(|r| {
            all.iter()
                .filter(|f| &f.rule == r && in_town(f, &towns))
                .count()
                >= 2
        })
        .expect("a rule with two findings in the town, one of them the enterprise's");
    let of_rule: Vec<i32> = all
        .iter()
        .filter(|f| f.rule == rule && in_town(f, &towns))
        .map(|f| f.id)
        .collect();
    let n = of_rule.len().to_string();
    let town_param = town_id.to_string();
    let filter = [
        ("rule", rule.as_str()),
        ("town", town_param.as_str()),
        ("status", "pending"),
        ("action", "assign_town"),
    ];

    // The district: the bulk form first says how many, and changes nothing.
    let r = post(&h, &district, "/findings/bulk", &filter).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains(&format!("<strong>{n}</strong> 条问题线索")),
        "{}",
        r.body
    );
    assert_eq!(status_of(&h, of_rule[0]).await, FindingStatus::Open);
    let mut confirmed = filter.to_vec();
    confirmed.push(("confirm", "1"));
    let r = post(&h, &district, "/findings/bulk", &confirmed).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains(&format!("已交办给各自所属镇街：{n} 条")),
        "{}",
        r.body
    );
    for id in &of_rule {
        assert_eq!(status_of(&h, *id).await, FindingStatus::Assigned);
    }
    assert_eq!(audited(&h, "finding.assign").await, 1);
    // A town cannot 交办, nor can the enterprise touch a finding at all.
    let r = post(
        &h,
        &town,
        &format!("/findings/{}/assign", of_rule[0]),
        &[("to", "town")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post(
        &h,
        &enterprise,
        &format!("/findings/{}/to-problem", of_rule[0]),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The town: in its list of what was given to it, and in its inbox.
    let r = h
        .get(
            Some(&town),
            "/findings?assigned=mine&status=assigned&per_page=100",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // One rule's findings, in id order: the first page holds the first hundred.
    for id in of_rule.iter().take(100) {
        assert!(
            r.body.contains(&format!("/findings/{id}\"")),
            "{id} in the town's list: {}",
            &r.body[r.body.find("findings-table").unwrap_or(0)..]
        );
    }
    let (msgs, _) = inbox::list(h.store(), town_user.id, false, 1, 50)
        .await
        .unwrap();
    assert!(
        msgs.iter().any(
            |m| m.kind == "finding_assigned" && m.title.contains(&format!("交办问题线索{n}条"))
        ),
        "{msgs:?}"
    );

    // One becomes a problem, another is dismissed (a short reason first).
    let mine = all
        .iter()
        .find(|f| f.rule == rule && f.subject_id == subject)
        .unwrap()
        .id;
    let other = *of_rule.iter().find(|id| **id != mine).unwrap();
    // The subject's page lists its findings still to be dealt with, assigned ones included.
    let page = h.get(Some(&town), &format!("/subjects/{subject}")).await;
    let at = page.body.find("id=\"subject-findings\"").unwrap();
    assert!(
        page.body[at..].contains(&format!("/findings/{mine}\""))
            && page.body[at..].contains("已交办"),
        "the subject page shows the assigned finding"
    );
    let r = post(&h, &town, &format!("/findings/{mine}/to-problem"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let problem: i32 = r
        .location()
        .trim_start_matches("/problems/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(status_of(&h, mine).await, FindingStatus::Problem);
    let r = post(&h, &town, &format!("/findings/{mine}/to-problem"), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a second time");
    assert!(r.body.contains("已转问题"), "{}", r.body);
    let r = post(
        &h,
        &town,
        &format!("/findings/{other}/dismiss"),
        &[("reason", "误报")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("至少10个字"), "{}", r.body);
    assert_eq!(status_of(&h, other).await, FindingStatus::Assigned);
    let reason = "经核实该人员已离职，台账未及时更新，属误报";
    let r = post(
        &h,
        &town,
        &format!("/findings/{other}/dismiss"),
        &[("reason", reason)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = h
        .get(Some(&town), &format!("/findings/{other}?done=dismissed"))
        .await;
    assert!(
        page.body.contains("已排除") && page.body.contains(reason),
        "{}",
        page.body
    );

    // The problem is the enterprise's, made from the finding.
    let p = problems::get(h.store(), &Scope::district_wide(), problem)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.subject_id, subject);
    assert_eq!(
        p.source_ref.as_deref(),
        Some(leads::source_ref(mine).as_str())
    );
    // The enterprise rectifies with a photo and asks for verification; the town verifies.
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    let r = h
        .post_multipart(
            Some(&enterprise),
            &format!("/problems/{problem}/rectify?_csrf={}", enterprise.csrf),
            &[
                ("text", "已组织持证人员复审，台账已更新。"),
                ("complete", "1"),
            ],
            Some(("复审证明.png", png)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = post(
        &h,
        &town,
        &format!("/problems/{problem}/verify"),
        &[("text", "经现场核查，整改到位，予以销号。")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(status_of(&h, mine).await, FindingStatus::Resolved);
    let kinds: Vec<String> = leads::history(h.store(), &Scope::district_wide(), mine)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["assign", "to_problem", "problem_closed"]);
    let page = h.get(Some(&town), &format!("/findings/{mine}")).await;
    assert!(page.body.contains("已消除") && page.body.contains("办理记录"));
    assert_eq!(audited(&h, "finding.to_problem").await, 1);
    assert_eq!(audited(&h, "finding.dismiss").await, 1);

    // A re-scan: nothing duplicated, the dismissed one stays dismissed, and the problem whose
    // facts are still in the ledger is open again.
    let before = row_count(h.store(), "findings").await;
    let r = post(&h, &district, "/findings/scan", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(row_count(h.store(), "findings").await, before);
    assert_eq!(status_of(&h, other).await, FindingStatus::Dismissed);
    assert_eq!(status_of(&h, mine).await, FindingStatus::Problem);
    let p = problems::get(h.store(), &Scope::district_wide(), problem)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.status(), Some(ProblemStatus::Pending));

    // The district reopens the dismissed one; the town cannot.
    let r = post(&h, &town, &format!("/findings/{other}/reopen"), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post(&h, &district, &format!("/findings/{other}/reopen"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(status_of(&h, other).await, FindingStatus::Open);
    common::finish(h, dir).await;
}

/// Every business role's 工作台 opens with its 待办, counted and linked; a subject's own
/// account sees its own work and figures, not the regulators' charts.
#[tokio::test]
async fn every_business_role_sees_its_work_first_on_the_dashboard() {
    let h = Harness::with_demo(20, 200).await;
    let district = h.login("district").await;
    let r = post(&h, &district, "/findings/scan", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let pending = findings::all(
        h.store(),
        &Scope::district_wide(),
        &FindingFilter {
            status: Some("open".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .len();
    let page = h.get(Some(&district), "/").await;
    let todo_at = page.body.find("id=\"todo\"").expect("a 待办 panel");
    assert!(
        todo_at
            < page
                .body
                .find("<div class=\"card-label\">监管对象</div>")
                .unwrap(),
        "the work comes before the statistics"
    );
    assert!(
        page.body.contains(&format!(
            "<li id=\"todo-findings\"><a href=\"/findings?status=pending\"><span class=\"todo-n\">{pending}</span>"
        )),
        "{}",
        &page.body[todo_at..todo_at + 600]
    );
    let town = h.login("town").await;
    let page = h.get(Some(&town), "/").await;
    assert!(
        page.body.contains("交办给本单位的问题线索"),
        "{}",
        page.body
    );
    let enterprise = h.login("enterprise").await;
    let page = h.get(Some(&enterprise), "/").await;
    assert!(page.body.contains("id=\"todo-problems\""));
    assert!(page.body.contains("本单位问题线索"));
    assert!(
        !page.body.contains("按镇街"),
        "no regulators' charts for a subject"
    );
    h.db.cleanup().await;
}
