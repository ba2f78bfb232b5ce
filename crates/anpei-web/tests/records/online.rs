//! 网络培训: an online-training platform's logs imported through the API (kind `online`),
//! row by row with reasons, idempotently; a training institution reports on its trainees only;
//! the seven online checks find what the demo platform plants; the subject's page and the
//! device page show the sessions in scope and answer 404 outside it.

use crate::common;

use anpei_core::kinds::SubjectKind;
use anpei_core::ledger::rules::Rule;
use anpei_core::ledger::PersonRecord;
use anpei_store::demo::{self, DemoAccount};
use anpei_store::platform::audit::Actor;
use anpei_store::Role;
use axum::http::StatusCode;
use common::Harness;
use std::collections::BTreeMap;

const SESSION_HEADER: &str =
    "平台名称,统一社会信用代码,身份证号,姓名,课程编号,开始时间,结束时间,视频进度秒数,设备标识,IP地址";

/// An enterprise of the demo (not the `enterprise` account's own) with at least three persons.
fn enterprise_with_persons(h: &Harness) -> (String, Vec<PersonRecord>) {
    let own = &h
        .district
        .subjects
        .iter()
        .find(|s| s.kind == SubjectKind::Enterprise)
        .unwrap()
        .uscc;
    for s in &h.district.subjects {
        if s.kind != SubjectKind::Enterprise || &s.uscc == own {
            continue;
        }
        let persons: Vec<PersonRecord> = h
            .district
            .persons
            .iter()
            .filter(|p| p.employer == s.uscc)
            .cloned()
            .collect();
        if persons.len() >= 3 {
            return (s.uscc.to_string(), persons);
        }
    }
    panic!("no enterprise with three persons");
}

async fn subject_id(h: &Harness, uscc: &str) -> i32 {
    anpei_store::registry::subjects::find_by_uscc(
        h.store(),
        &anpei_store::Scope::district_wide(),
        uscc,
    )
    .await
    .unwrap()
    .unwrap()
    .id
}

fn session_row(
    uscc: &str,
    p: &PersonRecord,
    course: &str,
    from: &str,
    to: &str,
    progress: u32,
    device: &str,
) -> String {
    format!(
        "渝培在线,{uscc},{},{},{course},2026-03-02 {from}:00,2026-03-02 {to}:00,{progress},{device},10.1.1.{}",
        p.id_number.as_str(),
        p.name,
        progress % 200
    )
}

fn counts(body: &str, sheet: &str) -> [u64; 5] {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    let c = &v["counts"][sheet];
    ["read", "inserted", "updated", "unchanged", "rejected"].map(|k| c[k].as_u64().unwrap_or(0))
}

async fn scan(h: &Harness) {
    anpei_store::ledger::scan::run_whole_saved(
        h.store(),
        None,
        &Actor::system("test"),
        h.store().today(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn online_logs_come_in_through_the_api_and_show_on_the_pages_in_scope() {
    let h = Harness::with_demo(40, 300).await;
    let (uscc, persons) = enterprise_with_persons(&h);
    let (p1, p2, p3) = (&persons[0], &persons[1], &persons[2]);
    let csv = [
        SESSION_HEADER.to_string(),
        // Two sessions of one person at once, on two devices.
        session_row(&uscc, p1, "K01", "09:00", "10:00", 3400, "DEV-A"),
        session_row(&uscc, p1, "K02", "09:30", "10:30", 3400, "DEV-B"),
        // Twenty minutes of video covered in ten.
        session_row(&uscc, p2, "K01", "14:00", "14:10", 1200, "DEV-C"),
        // Ends before it starts.
        session_row(&uscc, p3, "K01", "14:00", "13:00", 100, "DEV-D"),
        // Someone on no ledger.
        format!("渝培在线,{uscc},11010519491231002X,路人甲,K01,2026-03-02 08:00:00,2026-03-02 08:30:00,1700,DEV-E,"),
    ]
    .join("\n");
    let token = h.api_token("district").await;
    let r = h.api_import(&token, "online", "学习记录.csv", &csv).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(counts(&r.body, "学习记录"), [5, 3, 0, 0, 2], "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let rejections = v["rejections"].as_array().unwrap();
    assert_eq!(rejections[0]["row"], 5);
    assert_eq!(rejections[0]["column"], "结束时间");
    assert_eq!(rejections[1]["row"], 6);
    assert_eq!(rejections[1]["column"], "身份证号");
    // The same log again changes nothing.
    let again = h.api_import(&token, "online", "学习记录.csv", &csv).await;
    assert_eq!(
        counts(&again.body, "学习记录"),
        [5, 0, 0, 3, 2],
        "{}",
        again.body
    );
    // A CSV whose table its name does not tell is refused with the sheets it may be.
    let r = h.api_import(&token, "online", "log.csv", &csv).await;
    assert!(
        r.body.contains("学习记录、人脸核验、课程、在线考试"),
        "{}",
        r.body
    );

    scan(&h).await;
    let id = subject_id(&h, &uscc).await;
    let district = h.login("district").await;
    let page = h
        .get(Some(&district), &format!("/online/subjects/{id}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for want in [
        Rule::OnlineConcurrent.name(),
        Rule::OnlineSpeed.name(),
        "bar-flagged",
        "DEV-A",
        "10.1.1.",
        p1.name.as_str(),
    ] {
        assert!(page.body.contains(want), "subject page lacks {want}");
    }
    // The person's day carries the name of the check that found it.
    assert!(
        page.body.contains(&format!(
            "<span class=\"badge badge-danger\">{}</span>",
            Rule::OnlineConcurrent.name()
        )),
        "no day badge"
    );
    assert!(!page.body.contains("11010519491231002X"));
    let template = h.get(Some(&district), "/online/template.xlsx").await;
    assert_eq!(template.status, StatusCode::OK);
    assert!(template
        .headers
        .get("content-disposition")
        .is_some_and(|v| v.to_str().unwrap_or("").contains("attachment")));
    let list = h.get(Some(&district), "/online").await;
    assert!(list.body.contains(&format!("/online/subjects/{id}")));
    let device = h.get(Some(&district), "/online/devices?d=DEV-A").await;
    assert_eq!(device.status, StatusCode::OK);
    assert!(device.body.contains(p1.name.as_str()));
    assert_eq!(
        h.get(Some(&district), "/online/devices?d=NO-SUCH")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Another enterprise's account sees neither the page nor the device.
    let other = h.login("enterprise").await;
    for path in [
        format!("/online/subjects/{id}"),
        "/online/devices?d=DEV-A".into(),
    ] {
        assert_eq!(
            h.get(Some(&other), &path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Its own 网络培训 is its page (empty).
    let own = h.get(Some(&other), "/online").await;
    assert_eq!(own.status, StatusCode::SEE_OTHER);
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_training_institution_reports_on_its_trainees_only() {
    let h = Harness::with_demo(40, 300).await;
    let inst = h
        .district
        .subjects
        .iter()
        .find(|s| s.kind == SubjectKind::TrainingInstitution)
        .unwrap()
        .clone();
    demo::create_accounts(
        h.store(),
        &[DemoAccount {
            username: "institution".into(),
            role: Role::Subject,
            scope: inst.uscc.to_string(),
        }],
    )
    .await
    .unwrap();
    let (uscc, persons) = enterprise_with_persons(&h);
    // A worker none of whose training records names the institution yet.
    let p = persons
        .iter()
        .find(|p| {
            !h.district.trainings.iter().any(|t| {
                t.id_number == p.id_number && t.institution.as_deref() == Some(inst.name.as_str())
            })
        })
        .unwrap();
    let csv = [
        SESSION_HEADER.to_string(),
        // Forty minutes of video in twenty.
        session_row(&uscc, p, "K01", "09:00", "09:20", 2400, "DEV-I"),
    ]
    .join("\n");
    let token = h.api_token("institution").await;
    let r = h.api_import(&token, "online", "学习记录.csv", &csv).await;
    assert_eq!(counts(&r.body, "学习记录"), [1, 0, 0, 0, 1], "{}", r.body);
    assert!(r.body.contains("不是本机构的学员"), "{}", r.body);

    // The employer's ledger records the online course the institution gave him.
    let training = format!(
        "统一社会信用代码,身份证号,姓名,培训类型,培训形式,开始时间,结束时间,理论学时,实操学时,培训机构\n\
         {uscc},{},{},再培训,线上,2026-03-01 00:00,2026-03-05 23:59,1,0,{}",
        p.id_number.as_str(),
        p.name,
        inst.name
    );
    let district = h.api_token("district").await;
    let r = h
        .api_import(&district, "training", "培训.csv", &training)
        .await;
    assert_eq!(counts(&r.body, "培训"), [1, 1, 0, 0, 0], "{}", r.body);
    let r = h.api_import(&token, "online", "学习记录.csv", &csv).await;
    assert_eq!(counts(&r.body, "学习记录"), [1, 1, 0, 0, 0], "{}", r.body);
    // The upload's checks ran with it: the finding is the institution's at once, no scan.
    assert!(
        r.body.contains("网络培训检查已重新运行：新发现问题线索1条"),
        "{}",
        r.body
    );

    // The session is the institution's (its page) and the employer's (the employer's page).
    let inst_id = subject_id(&h, &inst.uscc.to_string()).await;
    let emp_id = subject_id(&h, &uscc).await;
    let me = h.login("institution").await;
    let page = h
        .get(Some(&me), &format!("/online/subjects/{inst_id}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("DEV-I"));
    assert!(page.body.contains(Rule::OnlineSpeed.name()));
    assert_eq!(
        h.get(Some(&me), &format!("/online/subjects/{emp_id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let d = h.login("district").await;
    assert!(h
        .get(Some(&d), &format!("/online/subjects/{emp_id}"))
        .await
        .body
        .contains("DEV-I"));
    h.db.cleanup().await;
}

#[tokio::test]
async fn the_demo_platform_plants_every_pattern_and_the_checks_find_each() {
    let h = Harness::with_demo(40, 300).await;
    let stored = demo::online::load_demo(h.store()).await.unwrap();
    assert!(stored > 40, "{stored} sessions");
    assert_eq!(demo::online::load_demo(h.store()).await.unwrap(), 0, "once");
    scan(&h).await;
    let found = anpei_store::ledger::scan::run_online(h.store())
        .await
        .unwrap();
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &found {
        *by.entry(f.rule.code()).or_default() += 1;
    }
    for (rule, n) in [
        (Rule::OnlineConcurrent, 1),
        (Rule::OnlineDeviceShared, 2),
        (Rule::OnlineDailyExcess, 1),
        (Rule::OnlineFaceGap, 2),
        (Rule::OnlineSpeed, 1),
        (Rule::OnlineExamTooFast, 1),
    ] {
        assert_eq!(by.get(rule.code()), Some(&n), "{rule:?}: {by:?}");
    }
    assert!(
        by.get(Rule::OnlineHoursUnsupported.code())
            .is_some_and(|n| *n >= 1),
        "{by:?}"
    );
    // The device findings name the shared devices; the planted patterns are filed under the
    // institution whose platform's logs show them.
    let details: Vec<&str> = found.iter().map(|f| f.detail.as_str()).collect();
    assert!(details
        .iter()
        .any(|d| d.contains(demo::online::SHARED_DEVICE)));
    assert!(details
        .iter()
        .any(|d| d.contains(demo::online::TWIN_DEVICE)));
    let inst = found
        .iter()
        .find(|f| f.rule == Rule::OnlineSpeed)
        .unwrap()
        .subject_id;
    assert!(found
        .iter()
        .filter(|f| f.rule != Rule::OnlineHoursUnsupported)
        .all(|f| f.subject_id == inst));
    // Stored by the scan, they show on the institution's page.
    let d = h.login("district").await;
    let page = h.get(Some(&d), &format!("/online/subjects/{inst}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(Rule::OnlineDeviceShared.name()));
    h.db.cleanup().await;
}
