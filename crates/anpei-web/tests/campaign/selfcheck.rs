//! Campaigns, the checklist catalogue and self-inspection: the catalogue API, the
//! phase in the header, copying a campaign, answering, submitting (problems in one
//! transaction), the 自查报告 (docx and printable page), sending back and resubmitting,
//! evidence files, scope and audit. Runs on SQLite, and on PostgreSQL with
//! `ANPEI_TEST_DATABASE_URL`.

use crate::common;

use anpei_core::campaign::NOTICE_TEXT;
use anpei_store::campaign::problems::{self, Action, ProblemStatus, Source};
use anpei_store::campaign::selfcheck::SelfcheckStatus;
use anpei_store::platform::audit::Actor;
use anpei_store::registry::persons::{self, PersonFilter};
use anpei_store::registry::subjects::{self, SubjectFilter, SubjectRow};
use anpei_store::testing::campaign as support;
use anpei_store::{campaign::selfcheck, demo, model, platform::accounts, Role, Scope};
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use chrono::{Days, NaiveDate};
use common::{Harness, Session};
use http_body_util::BodyExt;
use tower::ServiceExt;

// ---- helpers ------------------------------------------------------------------------------

/// A demo district with its current campaign, as `anpei demo` loads it.
async fn with_campaign(subjects: usize, persons: usize) -> Harness {
    let h = Harness::with_demo(subjects, persons).await;
    demo::campaign::load_demo(h.store(), &h.district)
        .await
        .unwrap()
        .expect("no campaign runs on the test day before the demo's");
    h
}

async fn raw_get(h: &Harness, s: &Session, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let req = Request::get(path)
        .header(header::COOKIE, &s.cookie)
        .body(Body::empty())
        .unwrap();
    let res = h.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, body)
}

async fn find_user(h: &Harness, name: &str) -> model::User {
    accounts::find_user(h.store(), name).await.unwrap().unwrap()
}

/// The demo enterprise (the `enterprise` account's subject).
async fn own_subject(h: &Harness) -> SubjectRow {
    let u = find_user(h, "enterprise").await;
    subjects::get(
        h.store(),
        &Scope::district_wide(),
        u.scope_subject_id.unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
}

/// Every subject of the district, by id.
async fn all_subjects(h: &Harness) -> Vec<SubjectRow> {
    let (mut all, _) = subjects::list(
        h.store(),
        &Scope::district_wide(),
        &SubjectFilter::default(),
        1,
        100_000,
    )
    .await
    .unwrap();
    all.sort_by_key(|s| s.id);
    all
}

/// Creates an account (demo password) and signs it in.
async fn account(h: &Harness, username: &str, role: Role, scope: &str) -> Session {
    let hash = tokio::task::spawn_blocking(|| accounts::hash_password(demo::DEMO_PASSWORD))
        .await
        .unwrap();
    accounts::create_user(
        h.store(),
        &anpei_store::platform::audit::Actor::system("test"),
        accounts::NewUser {
            username: username.into(),
            display_name: format!("{username}测试用户"),
            role,
            scope: Some(scope.into()),
            password_hash: hash,
            must_change_password: false,
        },
    )
    .await
    .unwrap();
    h.login(username).await
}

/// The enterprise's self-inspection of the current campaign (opened through the page).
async fn open_own(h: &Harness, s: &Session) -> i32 {
    let r = h.get(Some(s), "/selfcheck").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location()
        .trim_start_matches("/selfcheck/")
        .parse()
        .expect("redirected to the self-inspection")
}

/// An open finding of `rule` on the subject (as a scan would leave it).
async fn open_finding(h: &Harness, subject_id: i32, rule: &str) -> i32 {
    let filter = PersonFilter {
        subject_id: Some(subject_id),
        ..Default::default()
    };
    let (persons, _) = persons::list(h.store(), &Scope::district_wide(), &filter, 1, 1)
        .await
        .unwrap();
    let p = persons
        .into_iter()
        .next()
        .expect("the demo enterprise has persons");
    support::open_finding(
        h.store(),
        subject_id,
        Some(p.id),
        rule,
        "特种作业操作证已过期",
    )
    .await
}

/// A form answering every enterprise item 符合, with `over` replacing some fields.
fn answers(over: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for n in 1..=10 {
        let c = format!("E{n:02}");
        v.push((format!("answer_{c}"), "compliant".to_string()));
        v.push((format!("explanation_{c}"), String::new()));
        for f in ["measures", "deadline", "name", "phone"] {
            v.push((format!("{f}_{c}"), String::new()));
        }
    }
    for (k, val) in over {
        match v.iter_mut().find(|(n, _)| n == k) {
            Some(slot) => slot.1 = val.to_string(),
            None => v.push((k.to_string(), val.to_string())),
        }
    }
    v
}

fn noncompliant(code: &str, desc: &str, measures: &str, due: NaiveDate) -> Vec<(String, String)> {
    vec![
        (format!("answer_{code}"), "noncompliant".into()),
        (format!("explanation_{code}"), desc.into()),
        (format!("measures_{code}"), measures.into()),
        (format!("deadline_{code}"), due.to_string()),
        (format!("name_{code}"), "张三".into()),
        (format!("phone_{code}"), "13812345678".into()),
    ]
}

fn with(base: Vec<(String, String)>, over: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut v = base;
    for (k, val) in over {
        match v.iter_mut().find(|(n, _)| *n == k) {
            Some(slot) => slot.1 = val,
            None => v.push((k, val)),
        }
    }
    v
}

async fn post(h: &Harness, s: &Session, path: &str, form: &[(String, String)]) -> common::Reply {
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    h.post_form(Some(s), path, &refs).await
}

/// The problems a self-inspection's submission made, by item code.
async fn problems_of(h: &Harness, si: i32) -> Vec<model::Problem> {
    let source_ref = selfcheck::source_ref(si);
    let mut ps: Vec<model::Problem> = support::problems(h.store())
        .await
        .into_iter()
        .filter(|p| p.source_ref.as_deref() == Some(source_ref.as_str()))
        .collect();
    ps.sort_by(|a, b| a.item_code.cmp(&b.item_code));
    ps
}

/// A self-inspection, whoever's it is.
async fn self_inspection(h: &Harness, si: i32) -> model::SelfInspection {
    selfcheck::get(h.store(), &Scope::district_wide(), si)
        .await
        .unwrap()
        .unwrap()
}

async fn status_of(h: &Harness, si: i32) -> SelfcheckStatus {
    self_inspection(h, si).await.status
}

async fn audited(h: &Harness, action: &str, object: &str) -> usize {
    support::audit_count(h.store(), action, Some(object)).await as usize
}

/// A problem's events, oldest first.
async fn event_kinds(h: &Harness, problem_id: i32) -> Vec<String> {
    problems::history(h.store(), &Scope::district_wide(), problem_id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event.kind)
        .collect()
}

/// Moves the test clock to 09:00 (China) of `date`.
fn set_date(h: &Harness, date: &str) {
    let target = format!("{date}T01:00:00Z")
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap();
    let now = h.db.clock.now();
    h.db.clock.advance(target - now);
}

use anpei_store::Clock;

// ---- the catalogue API --------------------------------------------------------------------

#[tokio::test]
async fn the_checklist_api_answers_the_thirty_items_of_the_notice_verbatim() {
    let h = with_campaign(12, 60).await;
    let token = h.api_token("enterprise").await;
    let r = h.api_get(&token, "/api/v1/checklists").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 30);
    for it in items {
        let keys: Vec<&str> = it.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 4, "{it}");
        for k in ["kind", "code", "text", "rules"] {
            assert!(keys.contains(&k), "{k} missing in {it}");
        }
        let text = it["text"].as_str().unwrap();
        assert!(NOTICE_TEXT.contains(text), "not verbatim: {text}");
        assert!(!text.starts_with(|c: char| c.is_ascii_digit()));
        assert!(it["rules"].is_array());
    }
    let by_kind = |k: &str| items.iter().filter(|i| i["kind"] == k).count();
    assert_eq!(
        (
            by_kind("enterprise"),
            by_kind("training_institution"),
            by_kind("exam_site"),
            by_kind("exam_institution")
        ),
        (10, 4, 8, 8)
    );
    let e03 = items.iter().find(|i| i["code"] == "E03").unwrap();
    for rule in [
        "MANAGER_CERT_MISSING",
        "SPECIAL_OP_NO_CERT",
        "CERT_EXPIRED",
        "REVIEW_OVERDUE",
        "CERT_NOT_IN_REGISTRY",
    ] {
        assert!(e03["rules"].as_array().unwrap().iter().any(|r| r == rule));
    }
    assert_eq!(
        items.iter().find(|i| i["code"] == "X08").unwrap()["text"],
        "是否存在监考员、考评员违反考试纪律、纵容或直接参与考生作弊，甚至组织考生作弊的情况。"
    );

    let r = h
        .api_get(&token, "/api/v1/checklists?kind=exam_site&version=1")
        .await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 8);
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["kind"] == "exam_site"));

    let r = h.api_get(&token, "/api/v1/checklists?kind=farm").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("未知的主体类型"), "{}", r.body);
    let r = h.api_get(&token, "/api/v1/checklists?version=9").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("检查表第“9”版不存在"), "{}", r.body);
    // The three administrators have no business data.
    let admin = h.api_token("sysadmin").await;
    let r = h.api_get(&admin, "/api/v1/checklists").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    h.db.cleanup().await;
}

// ---- the phase in the header --------------------------------------------------------------

#[tokio::test]
async fn every_page_shows_the_phase_of_the_day() {
    let h = with_campaign(12, 60).await;
    // The demo's own campaign runs on the day the demo is loaded.
    let s = h.login("town").await;
    let home = h.get(Some(&s), "/").await;
    assert!(home.body.contains("id=\"phase-banner\""));
    assert!(home.body.contains("自查自改阶段"), "{}", home.body);
    for (date, expected) in [
        ("2021-11-20", "常态化监管"),
        ("2022-01-15", "自查自改阶段（2021-12-01至2022-03-31）"),
        ("2022-05-01", "执法检查阶段（2022-04-01至2022-06-30）"),
        ("2022-07-15", "考核督查阶段（2022-07-01至2022-08-31）"),
        ("2022-09-10", "总结提升阶段（2022-09-01至2022-09-30）"),
        ("2022-11-01", "常态化监管"),
    ] {
        set_date(&h, date);
        for who in ["district", "enterprise", "auditor"] {
            let s = h.login(who).await;
            let page = h.get(Some(&s), "/account/password").await;
            assert_eq!(page.status, StatusCode::OK, "{who} {date}");
            assert!(
                page.body.contains(expected),
                "{who} on {date}: expected {expected}"
            );
        }
    }
    // The banner links to the campaign for business roles only.
    set_date(&h, "2022-01-15");
    let s = h.login("district").await;
    assert!(h
        .get(Some(&s), "/")
        .await
        .body
        .contains("<a class=\"phase\" id=\"phase-banner\" href=\"/campaigns/"));
    h.db.cleanup().await;
}

// ---- copying a campaign -------------------------------------------------------------------

#[tokio::test]
async fn the_district_copies_a_campaign_and_wrong_dates_are_refused_in_chinese() {
    let h = with_campaign(12, 60).await;
    let s = h.login("district").await;
    let notice_id: i32 = anpei_store::campaign::list_in(h.store(), None)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.campaign.copied_from.is_none())
        .unwrap()
        .campaign
        .id;
    let form = h
        .get(Some(&s), &format!("/campaigns/{notice_id}/copy?years=6"))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("value=\"2027-12-01\""), "{}", form.body);
    assert!(form.body.contains("value=\"2028-09-15\""));

    let path = format!("/campaigns/{notice_id}/copy");
    let fields = |name: &str, dates: [&str; 8], due: &str| {
        let mut v = vec![("name".to_string(), name.to_string())];
        for i in 0..4 {
            v.push((format!("starts_on_{}", i + 1), dates[2 * i].into()));
            v.push((format!("ends_on_{}", i + 1), dates[2 * i + 1].into()));
        }
        v.push(("summary_due".into(), due.into()));
        v
    };
    // Overlapping phases, a reversed one, a deadline outside, a bad date.
    let r = post(
        &h,
        &s,
        &path,
        &fields(
            "2028年专项整治",
            [
                "2027-12-01",
                "2028-03-31",
                "2028-03-15",
                "2028-06-30",
                "2028-08-31",
                "2028-07-01",
                "2028-09-01",
                "2028-09-30",
            ],
            "2028-10-15",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for m in [
        "第2阶段“执法检查”：应在第1阶段“自查自改”结束（2028-03-31）之后开始，实际开始于2028-03-15",
        "第3阶段“考核督查”：结束日期（2028-07-01）早于开始日期（2028-08-31）",
        "总结报告截止日期（2028-10-15）应在整治期间（2027-12-01至2028-09-30）之内",
    ] {
        assert!(r.body.contains(m), "missing {m}");
    }
    let r = post(
        &h,
        &s,
        &path,
        &fields(
            "",
            [
                "2027-13-01",
                "2028-03-31",
                "2028-04-01",
                "2028-06-30",
                "2028-07-01",
                "2028-08-31",
                "2028-09-01",
                "2028-09-30",
            ],
            "2028-09-15",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("名称：不能为空"));
    assert!(r
        .body
        .contains("第1阶段“自查自改” 开始日期：“2027-13-01”不是有效日期"));
    // Overlapping the demo's running campaign.
    let r = post(
        &h,
        &s,
        &path,
        &fields(
            "重叠的专项整治",
            [
                "2026-12-01",
                "2027-03-31",
                "2027-04-01",
                "2027-06-30",
                "2027-07-01",
                "2027-08-31",
                "2027-09-01",
                "2027-09-30",
            ],
            "2027-09-15",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("重叠"), "{}", r.body);

    let good = fields(
        "安全生产培训“走过场”专项整治（2027年起）",
        [
            "2027-12-01",
            "2028-03-31",
            "2028-04-01",
            "2028-06-30",
            "2028-07-01",
            "2028-08-31",
            "2028-09-01",
            "2028-09-30",
        ],
        "2028-09-15",
    );
    // Only the district creates campaigns.
    let town = h.login("town").await;
    assert_eq!(
        post(&h, &town, &path, &good).await.status,
        StatusCode::FORBIDDEN
    );
    let r = post(&h, &s, &path, &good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let new_id: i32 = r
        .location()
        .trim_start_matches("/campaigns/")
        .trim_end_matches("?created=1")
        .parse()
        .unwrap();
    let c = anpei_store::campaign::get(h.store(), new_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.campaign.copied_from, Some(notice_id));
    assert_eq!(c.campaign.catalogue_version, 1);
    assert_eq!(
        c.campaign.issuing_office,
        "重庆市渝北区安全生产委员会办公室"
    );
    assert_eq!(c.campaign.doc_text, NOTICE_TEXT);
    assert_eq!(c.phases.len(), 4);
    assert_eq!(c.phases[3].name, "总结提升");
    assert_eq!(
        audited(&h, "campaign.create", &format!("campaign:{new_id}")).await,
        1
    );
    let page = h
        .get(Some(&s), &format!("/campaigns/{new_id}?created=1"))
        .await;
    assert!(page.body.contains("已创建专项整治"));
    // The same name again.
    let r = post(&h, &s, &path, &good).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("已存在"));
    // The new campaign's phase shows in the header when its day comes (the password page:
    // by then the password policy asks for a new password).
    set_date(&h, "2028-05-05");
    let s = h.login("district").await;
    assert!(h
        .get(Some(&s), "/account/password")
        .await
        .body
        .contains("执法检查阶段（2028-04-01至2028-06-30）"));
    h.db.cleanup().await;
}

// ---- answering and submitting -------------------------------------------------------------

#[tokio::test]
async fn an_enterprise_answers_submits_and_its_problems_are_created_in_one_transaction() {
    let h = with_campaign(12, 60).await;
    let own = own_subject(&h).await;
    let finding_id = open_finding(&h, own.id, "CERT_EXPIRED").await;
    let s = h.login("enterprise").await;
    let si = open_own(&h, &s).await;
    assert_eq!(open_own(&h, &s).await, si, "opening twice finds the same");
    let page = h.get(Some(&s), &format!("/selfcheck/{si}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"selfcheck-form\""));
    for n in 1..=10 {
        assert!(page.body.contains(&format!("id=\"item-E{n:02}\"")));
    }
    assert!(!page.body.contains("id=\"item-T01\""));
    // The open finding of a linked rule shows beside E03, with its link.
    assert!(page
        .body
        .contains(&format!("href=\"/findings/{finding_id}\"")));

    let today = h.store().today();
    let due = today + Days::new(60);
    let path = format!("/selfcheck/{si}");
    // 符合 on an item with open findings needs an explanation.
    let r = post(&h, &s, &path, &answers(&[])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("E03：本单位有1条相关问题线索尚未处理，答“不存在”须在说明中写明理由"),
        "{}",
        r.body
    );
    // 不符合 needs its problem; the deadline is not in the past; the phone is a phone.
    let r = post(
        &h,
        &s,
        &path,
        &with(
            answers(&[("explanation_E03", "已离职人员")]),
            vec![
                ("answer_E05".into(), "noncompliant".into()),
                ("deadline_E05".into(), (today - Days::new(1)).to_string()),
                ("phone_E05".into(), "12345".into()),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for m in [
        "E05 问题描述：答“存在”须写明存在的问题",
        "E05 整改措施：不能为空",
        "E05 整改时限：不能早于今天",
        "E05 责任人：不能为空",
        "E05 责任人电话：应为11位手机号或带区号的固定电话",
    ] {
        assert!(r.body.contains(m), "missing {m}");
    }
    // What was typed stays in the form.
    assert!(r.body.contains("已离职人员"));

    let form = with(
        with(
            answers(&[]),
            noncompliant(
                "E03",
                "2名特种作业人员证书过期仍在岗",
                "停止作业，组织复审",
                due,
            ),
        ),
        noncompliant("E09", "签到表笔迹相同", "复核培训档案", due),
    );
    let r = post(&h, &s, &path, &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(status_of(&h, si).await, SelfcheckStatus::Draft);
    assert!(
        problems_of(&h, si).await.is_empty(),
        "a draft makes no problem"
    );

    // A failure half-way through the submission leaves nothing behind.
    anpei_store::testing::execute_raw(
        h.store(),
        "ALTER TABLE problem_events RENAME TO problem_events_away",
    )
    .await
    .unwrap();
    let r = post(&h, &s, &format!("/selfcheck/{si}/submit"), &[]).await;
    anpei_store::testing::execute_raw(
        h.store(),
        "ALTER TABLE problem_events_away RENAME TO problem_events",
    )
    .await
    .unwrap();
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!r.body.contains("problem_events"), "no SQL on the page");
    assert!(problems_of(&h, si).await.is_empty());
    assert_eq!(status_of(&h, si).await, SelfcheckStatus::Draft);
    assert_eq!(
        audited(&h, "selfcheck.submit", &format!("self_inspection:{si}")).await,
        0
    );

    let r = post(&h, &s, &format!("/selfcheck/{si}/submit"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(status_of(&h, si).await, SelfcheckStatus::Submitted);
    let ps = problems_of(&h, si).await;
    assert_eq!(ps.len(), 2);
    let p = &ps[0];
    assert_eq!(p.item_code.as_deref(), Some("E03"));
    assert_eq!(p.source, Source::SelfInspection);
    assert_eq!(p.status, ProblemStatus::Pending);
    assert_eq!(p.subject_id, own.id);
    assert_eq!(p.description, "2名特种作业人员证书过期仍在岗");
    assert_eq!(p.measures, "停止作业，组织复审");
    assert_eq!(p.deadline, due);
    assert_eq!(p.responsible_name, "张三");
    assert_eq!(p.responsible_phone_masked.as_deref(), Some("138****5678"));
    let phone = h
        .store()
        .crypto
        .decrypt(p.responsible_phone_enc.as_ref().unwrap())
        .unwrap();
    assert_eq!(phone, "13812345678");
    let events = event_kinds(&h, p.id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0], "created");
    for action in ["selfcheck.save", "selfcheck.submit"] {
        assert!(
            audited(&h, action, &format!("self_inspection:{si}")).await >= 1,
            "{action} audited"
        );
    }

    // Locked: read-only page with the report's links; saving again is refused.
    let page = h
        .get(Some(&s), &format!("/selfcheck/{si}?submitted=1"))
        .await;
    assert!(page.body.contains("自查报告已提交"));
    assert!(!page.body.contains("id=\"selfcheck-form\""));
    assert!(page.body.contains(&format!("/selfcheck/{si}/report.docx")));
    assert!(page.body.contains("138****5678"));
    assert!(!page.body.contains("13812345678"));
    let r = post(&h, &s, &path, &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("自查报告已提交，不能再修改"));
    let r = post(&h, &s, &format!("/selfcheck/{si}/submit"), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problems_of(&h, si).await.len(),
        2,
        "no second set of problems"
    );

    // The report: a Word document (a zip whose document holds the answers) and a page.
    let (status, headers, body) = raw_get(&h, &s, &format!("/selfcheck/{si}/report.docx")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''"));
    assert!(body.starts_with(b"PK\x03\x04"));
    // For a manual check in LibreOffice (`soffice --headless --convert-to pdf`).
    if let Ok(out) = std::env::var("ANPEI_DOCX_OUT") {
        std::fs::write(out, &body).unwrap();
    }
    let text = anpei_import::docx::document_text(&body).unwrap();
    let submitted_on = anpei_import::docx::chinese_date(today);
    let c = anpei_store::campaign::current(h.store(), today)
        .await
        .unwrap()
        .unwrap();
    let phase = c
        .core_phases()
        .into_iter()
        .find(|p| p.kind == anpei_core::campaign::PhaseKind::SelfInspection)
        .unwrap();
    let period = format!(
        "自查期间：{}至{}",
        anpei_import::docx::chinese_date(phase.starts_on),
        anpei_import::docx::chinese_date(phase.ends_on)
    );
    for s in [
        "安全生产培训自查报告",
        own.name.as_str(),
        "2名特种作业人员证书过期仍在岗",
        "停止作业，组织复审",
        "签到表笔迹相同",
        "存在问题",
        "单位负责人（签字）",
        "填报人",
        "共自查10项：不存在问题8项，存在问题2项，不适用0项",
        // An enterprise states no period: the campaign's self-inspection phase.
        period.as_str(),
        &format!("提交日期：{submitted_on}"),
        // The 落款: the subject and the day it submitted, for its stamp.
        &format!("{}\n{submitted_on}", own.name),
    ] {
        assert!(text.contains(s), "docx lacks {s}: {text}");
    }
    // The subject's own report carries its people's phones in full; audited as such.
    assert!(text.contains("13812345678"), "{text}");
    assert!(!text.contains("138****5678"));
    assert_eq!(
        audited(
            &h,
            "export.selfcheck_report",
            &format!("self_inspection:{si}")
        )
        .await,
        1
    );
    let entry = anpei_store::platform::audit::latest(h.store(), 5)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == "export.selfcheck_report")
        .unwrap();
    assert_eq!(entry.detail, "电话完整（本单位）");
    // Anybody else, the town included, gets the masked copies.
    let town = h.login("town").await;
    let (status, _, body) = raw_get(&h, &town, &format!("/selfcheck/{si}/report.docx")).await;
    assert_eq!(status, StatusCode::OK);
    let text = anpei_import::docx::document_text(&body).unwrap();
    assert!(text.contains("138****5678") && !text.contains("13812345678"));
    let page = h.get(Some(&s), &format!("/selfcheck/{si}/report")).await;
    assert_eq!(page.status, StatusCode::OK);
    for s in [
        "id=\"report-problems\"",
        "<th>序号</th><th>问题描述</th><th>整改措施</th><th>整改时限</th><th>责任人</th><th>电话</th>",
        "单位负责人（签字）",
        "填报人",
        "日期",
        "单位（盖章）",
        "138****5678",
        "data-print",
    ] {
        assert!(page.body.contains(s), "printable page lacks {s}");
    }
    assert!(!page.body.contains("13812345678"));
    assert!(!page.body.contains("style="), "no inline style (CSP)");
    assert!(!page.body.contains("<script>"), "no inline script (CSP)");
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_town_user_sends_it_back_and_the_enterprise_resubmits_without_duplicates() {
    let h = with_campaign(12, 60).await;
    let own = own_subject(&h).await;
    let s = h.login("enterprise").await;
    let si = open_own(&h, &s).await;
    let due = h.store().today() + Days::new(30);
    let first = with(
        with(
            with(
                answers(&[]),
                noncompliant("E03", "证书过期", "组织复审", due),
            ),
            noncompliant("E05", "考核不严", "建立奖惩制度", due),
        ),
        noncompliant("E07", "经费不足", "单列经费", due),
    );
    let r = post(&h, &s, &format!("/selfcheck/{si}/submit"), &first).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(problems_of(&h, si).await.len(), 3);

    // The town sees it in its list and opens it.
    let town = h.login("town").await;
    let list = h.get(Some(&town), "/selfcheck?status=submitted").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&format!("href=\"/selfcheck/{si}\"")));
    let page = h.get(Some(&town), &format!("/selfcheck/{si}")).await;
    assert!(page.body.contains("id=\"return-form\""));
    // A reason is required.
    let r = h
        .post_form(
            Some(&town),
            &format!("/selfcheck/{si}/return"),
            &[("reason", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("退回原因：请写明需要修改的内容"));
    // The enterprise never sends back its own.
    let r = h
        .post_form(
            Some(&s),
            &format!("/selfcheck/{si}/return"),
            &[("reason", "自己退回")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Meanwhile the E07 problem is being rectified.
    let e07 = problems_of(&h, si)
        .await
        .into_iter()
        .find(|p| p.item_code.as_deref() == Some("E07"))
        .unwrap();
    let rectifier = find_user(&h, "enterprise").await;
    problems::act(
        h.store(),
        &anpei_store::testing::scope_of(&rectifier),
        &Actor {
            user_id: Some(rectifier.id),
            username: rectifier.username.clone(),
            client_addr: "test".into(),
        },
        "企业",
        e07.id,
        Action::Rectify,
        "已列支经费",
    )
    .await
    .unwrap();
    assert_eq!(
        problems_of(&h, si)
            .await
            .into_iter()
            .find(|p| p.id == e07.id)
            .unwrap()
            .status,
        ProblemStatus::InProgress
    );

    let r = h
        .post_form(
            Some(&town),
            &format!("/selfcheck/{si}/return"),
            &[("reason", "E03整改措施请写明复审时间")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(status_of(&h, si).await, SelfcheckStatus::Returned);
    assert_eq!(
        audited(&h, "selfcheck.return", &format!("self_inspection:{si}")).await,
        1
    );
    let ent = find_user(&h, "enterprise").await;
    let (msgs, _) = anpei_store::platform::inbox::list(h.store(), ent.id, false, 1, 10)
        .await
        .unwrap();
    assert!(msgs
        .iter()
        .any(|m| m.link == format!("/selfcheck/{si}") && m.body.contains("复审时间")));
    // A returned one cannot be returned again.
    let r = h
        .post_form(
            Some(&town),
            &format!("/selfcheck/{si}/return"),
            &[("reason", "再退回一次")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The enterprise sees the reason and edits again.
    let page = h.get(Some(&s), &format!("/selfcheck/{si}")).await;
    assert!(page.body.contains("E03整改措施请写明复审时间"));
    assert!(page.body.contains("id=\"selfcheck-form\""));
    let second = with(
        with(
            answers(&[]),
            noncompliant("E03", "证书过期", "2周内组织复审，月底前完成", due),
        ),
        vec![("phone_E03".into(), String::new())],
    );
    let r = post(&h, &s, &format!("/selfcheck/{si}/submit"), &second).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(status_of(&h, si).await, SelfcheckStatus::Submitted);

    let ps = problems_of(&h, si).await;
    let codes: Vec<&str> = ps.iter().filter_map(|p| p.item_code.as_deref()).collect();
    // E03 updated in place, E05 (now 符合, untouched) removed, E07 (being rectified) kept.
    assert_eq!(codes, vec!["E03", "E07"]);
    let e03 = &ps[0];
    assert_eq!(e03.measures, "2周内组织复审，月底前完成");
    assert_eq!(
        e03.responsible_phone_masked.as_deref(),
        Some("138****5678"),
        "an empty phone keeps the stored one"
    );
    let kinds: Vec<String> = event_kinds(&h, e03.id).await;
    assert_eq!(kinds, vec!["created", "revised"]);
    assert_eq!(ps[1].status, ProblemStatus::InProgress);
    assert_eq!(ps[1].id, e07.id);
    let all_of_subject = problems_of(&h, si)
        .await
        .iter()
        .filter(|p| p.subject_id == own.id)
        .count();
    assert_eq!(all_of_subject, 2);
    h.db.cleanup().await;
}

#[tokio::test]
async fn an_institution_states_the_period_it_covers() {
    let h = with_campaign(40, 200).await;
    let site = all_subjects(&h)
        .await
        .into_iter()
        .find(|s| s.kind == "exam_site")
        .expect("the demo has an exam site");
    // Whatever the demo did for it, the site starts afresh here.
    anpei_store::testing::execute_raw(
        h.store(),
        &format!(
            "DELETE FROM self_inspections WHERE subject_id = {}",
            site.id
        ),
    )
    .await
    .unwrap();
    let s = account(&h, "site", Role::Subject, &site.uscc).await;
    let si = open_own(&h, &s).await;
    assert_eq!(
        audited(&h, "selfcheck.create", &format!("self_inspection:{si}")).await,
        1
    );
    let page = h.get(Some(&s), &format!("/selfcheck/{si}")).await;
    assert!(page.body.contains("id=\"item-S08\""));
    assert!(page.body.contains("value=\"2019-01-01\""), "defaulted");
    let r = h
        .post_form(
            Some(&s),
            &format!("/selfcheck/{si}"),
            &[("period_from", ""), ("period_to", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .body
        .contains("自查期间：安全培训机构、考试点和考试机构应核查2019年1月以来"));
    let today = h.store().today().to_string();
    let mut form: Vec<(String, String)> = vec![
        ("period_from".into(), "2019-01-01".into()),
        ("period_to".into(), today.clone()),
    ];
    for n in 1..=8 {
        form.push((format!("answer_S{n:02}"), "not_applicable".into()));
        form.push((format!("explanation_S{n:02}"), String::new()));
    }
    let r = post(&h, &s, &format!("/selfcheck/{si}/submit"), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let row = self_inspection(&h, si).await;
    assert_eq!(row.period_from, "2019-01-01".parse().ok());
    assert_eq!(row.period_to, today.parse().ok());
    let (_, _, body) = raw_get(&h, &s, &format!("/selfcheck/{si}/report.docx")).await;
    let text = anpei_import::docx::document_text(&body).unwrap();
    let today = anpei_import::docx::chinese_date(h.store().today());
    assert!(
        text.contains(&format!("自查期间：2019年1月1日至{today}")),
        "{text}"
    );
    assert!(text.contains("本次自查未发现存在问题的项目"));
    h.db.cleanup().await;
}

// ---- scope --------------------------------------------------------------------------------

#[tokio::test]
async fn a_foreign_self_inspection_is_not_found() {
    let h = with_campaign(40, 200).await;
    let own = own_subject(&h).await;
    let s = h.login("enterprise").await;
    let si = open_own(&h, &s).await;
    // Another enterprise of the district, and a town that is not the enterprise's.
    let other = all_subjects(&h)
        .await
        .into_iter()
        .find(|s| s.id != own.id && s.kind == "enterprise" && s.town_id != own.town_id)
        .unwrap();
    let other_town =
        anpei_store::registry::reference::towns(h.store(), &anpei_store::Scope::district_wide())
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.id == other.town_id)
            .unwrap();
    let neighbour = account(&h, "neighbour", Role::Subject, &other.uscc).await;
    let far_town = account(&h, "fartown", Role::Town, &other_town.name).await;
    for who in [&neighbour, &far_town] {
        for path in [
            format!("/selfcheck/{si}"),
            format!("/selfcheck/{si}/report"),
            format!("/selfcheck/{si}/report.docx"),
        ] {
            assert_eq!(
                h.get(Some(who), &path).await.status,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
    }
    for path in [
        format!("/selfcheck/{si}"),
        format!("/selfcheck/{si}/submit"),
        format!("/selfcheck/{si}/evidence/delete"),
    ] {
        let r = h.post_form(Some(&neighbour), &path, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    let r = h
        .post_multipart(
            Some(&neighbour),
            &format!("/selfcheck/{si}/evidence?_csrf={}", neighbour.csrf),
            &[("item", "E01")],
            Some(("a.png", b"\x89PNG\r\n\x1a\nxx")),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Submitted, then the far town cannot send it back, the own town can see it.
    let r = post(&h, &s, &format!("/selfcheck/{si}/submit"), &answers(&[])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = h
        .post_form(
            Some(&far_town),
            &format!("/selfcheck/{si}/return"),
            &[("reason", "退回")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(status_of(&h, si).await, SelfcheckStatus::Submitted);
    let list = h.get(Some(&far_town), "/selfcheck").await;
    assert!(
        !list.body.contains(&own.name),
        "outside the far town's list"
    );
    let town = h.login("town").await;
    assert_eq!(
        h.get(Some(&town), &format!("/selfcheck/{si}")).await.status,
        StatusCode::OK
    );
    // A supervisor has no self-inspection of its own to fill.
    assert_eq!(
        h.post_form(Some(&town), &format!("/selfcheck/{si}"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    h.db.cleanup().await;
}

// ---- evidence -----------------------------------------------------------------------------

fn png(extra: &[u8]) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.extend_from_slice(extra);
    v
}

#[tokio::test]
async fn evidence_is_checked_by_content_and_size_and_downloads_as_an_attachment() {
    let evidence_dir = std::env::temp_dir().join(format!(
        "anpei-test-evidence-{}",
        &anpei_store::crypto::random_token()[..12]
    ));
    let ev = evidence_dir.clone();
    let (h, dir) = common::with_uploads(12, 60, move |c| {
        c.evidence_dir = ev;
        c.upload_limits = Some(anpei_import::sniff::UploadLimits::for_size(4096));
    })
    .await;
    demo::campaign::load_demo(h.store(), &h.district)
        .await
        .unwrap();
    let s = h.login("enterprise").await;
    let si = open_own(&h, &s).await;
    let up = format!("/selfcheck/{si}/evidence?_csrf={}", s.csrf);

    let photo = png(b"rectified");
    let r = h
        .post_multipart(
            Some(&s),
            &up,
            &[("item", "E03")],
            Some(("整改照片.png", &photo)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), format!("/selfcheck/{si}#item-E03"));
    let f = support::evidence_files(h.store())
        .await
        .into_iter()
        .find(|f| f.owner_kind == "answer" && f.file_name == "整改照片.png")
        .unwrap();
    assert_eq!(f.mime, "image/png");
    assert_eq!(f.subject_id, Some(own_subject(&h).await.id));
    assert_eq!(f.stored_name, f.sha256);
    assert_eq!(std::fs::read(evidence_dir.join(&f.sha256)).unwrap(), photo);
    assert_eq!(
        audited(&h, "evidence.upload", &format!("evidence:{}", f.id)).await,
        1
    );
    // The item was not answered yet: its answer row holds the evidence.
    let page = h.get(Some(&s), &format!("/selfcheck/{si}")).await;
    assert!(page.body.contains(&format!("href=\"/evidence/{}\"", f.id)));

    // Refusals, in Chinese, naming the file.
    for (name, bytes, message) in [
        ("程序.exe", b"MZ\x90\0\x03".to_vec(), "扩展名不受支持"),
        (
            "假照片.png",
            b"just text, not an image".to_vec(),
            "文件内容与扩展名不符",
        ),
        ("空.pdf", Vec::new(), "是空文件"),
        ("大图.png", png(&[0u8; 5000]), "文件超过"),
    ] {
        let r = h
            .post_multipart(Some(&s), &up, &[("item", "E03")], Some((name, &bytes)))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(r.body.contains(message), "{name}: {}", r.body);
    }
    let r = h
        .post_multipart(Some(&s), &up, &[("item", "E03")], None)
        .await;
    assert!(r.body.contains("请选择要上传的文件"));
    let r = h
        .post_multipart(Some(&s), &up, &[("item", "Z99")], Some(("a.png", &photo)))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("不是本单位检查表中的条目"));
    // Through htmx: the item's list comes back, a refusal goes beside the item.
    let (ct, body) = common::multipart_body(&[("item", "E04")], Some(("制度.pdf", b"%PDF-1.7\n%")));
    let req = Request::post(&up)
        .header(header::CONTENT_TYPE, ct)
        .header(header::COOKIE, &s.cookie)
        .header("hx-request", "true")
        .body(Body::from(body))
        .unwrap();
    let r = h.send(req).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r
        .body
        .starts_with("<div class=\"evidence\" id=\"evidence-E04\">"));
    assert!(r.body.contains("制度.pdf"));

    // Download: an attachment, never rendered inline.
    let (status, headers, body) = raw_get(&h, &s, &format!("/evidence/{}", f.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, photo);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert!(headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(
        audited(&h, "evidence.download", &format!("evidence:{}", f.id)).await,
        1
    );
    // The town sees it, another enterprise does not.
    let town = h.login("town").await;
    assert_eq!(
        raw_get(&h, &town, &format!("/evidence/{}", f.id)).await.0,
        StatusCode::OK
    );
    let other = all_subjects(&h)
        .await
        .into_iter()
        .find(|s| s.id != f.subject_id.unwrap())
        .unwrap();
    let stranger = account(&h, "stranger", Role::Subject, &other.uscc).await;
    assert_eq!(
        raw_get(&h, &stranger, &format!("/evidence/{}", f.id))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Removing it from the item while the self-inspection is a draft.
    let r = h
        .post_form(
            Some(&s),
            &format!("/selfcheck/{si}/evidence/delete"),
            &[("file_id", &f.id.to_string()), ("item", "E03")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!support::evidence_files(h.store())
        .await
        .iter()
        .any(|e| e.id == f.id));
    assert_eq!(
        audited(&h, "evidence.remove", &format!("evidence:{}", f.id)).await,
        1
    );
    let _ = std::fs::remove_dir_all(&evidence_dir);
    common::finish(h, dir).await;
}

// ---- the demo ----------------------------------------------------------------------------

#[tokio::test]
async fn the_demo_district_has_a_campaign_running_today_with_submissions_and_problems() {
    let h = with_campaign(60, 300).await;
    let today = h.store().today();
    let c = anpei_store::campaign::current(h.store(), today)
        .await
        .unwrap()
        .unwrap();
    assert!(c.runs_on(today));
    assert_eq!(c.phase_on(today).unwrap().kind, "self_inspection");
    let (_, submitted) = selfcheck::list(
        h.store(),
        &Scope::district_wide(),
        c.campaign.id,
        &selfcheck::ListFilter {
            status: Some(selfcheck::ListStatus::Is(SelfcheckStatus::Submitted)),
            ..Default::default()
        },
        1,
        1,
    )
    .await
    .unwrap();
    assert!(submitted >= 20, "{submitted} submitted");
    let problems = support::problems(h.store())
        .await
        .iter()
        .filter(|p| p.campaign_id == Some(c.campaign.id))
        .count();
    assert!((15..=200).contains(&problems), "{problems} problems");
    // The demo enterprise has a draft to fill, not a submission.
    let s = h.login("enterprise").await;
    let si = open_own(&h, &s).await;
    assert_eq!(status_of(&h, si).await, SelfcheckStatus::Draft);
    let town = h.login("town").await;
    let list = h.get(Some(&town), "/selfcheck").await;
    assert!(list.body.contains("已提交") || list.body.contains("填写中"));
    h.db.cleanup().await;
}

#[tokio::test]
async fn checking_before_submitting_lists_every_fault_at_once_then_asks_to_confirm() {
    let h = with_campaign(12, 60).await;
    let s = h.login("enterprise").await;
    let si = open_own(&h, &s).await;
    let path = format!("/selfcheck/{si}/submit");
    // Three faults on three items, and two items not answered at all.
    let mut form = answers(&[
        ("answer_E02", "noncompliant"),
        ("answer_E05", "noncompliant"),
        ("explanation_E05", "安全培训档案缺少签到表"),
        ("measures_E05", "补齐档案"),
    ]);
    form.retain(|(k, _)| k != "answer_E09" && k != "answer_E10");
    form.push(("step".into(), "check".into()));
    let r = post(&h, &s, &path, &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let box_at = r.body.find("id=\"selfcheck-errors\"").expect("the errors");
    let errors = &r.body[box_at..];
    let errors = &errors[..errors.find("</div>").unwrap()];
    for fault in [
        "E02 问题描述：答“存在”须写明存在的问题",
        "E05",
        "E09：尚未作答",
        "E10：尚未作答",
    ] {
        assert!(errors.contains(fault), "{fault} missing from {errors}");
    }
    assert!(errors.matches("<li>").count() >= 5, "{errors}");
    assert!(!r.body.contains("id=\"confirm-submit\""));
    assert_eq!(status_of(&h, si).await, SelfcheckStatus::Draft);
    // All fixed: a confirmation that says what submitting does, nothing submitted yet.
    let deadline = (h.store().today() + Days::new(30)).to_string();
    let mut form = answers(&[
        ("answer_E05", "noncompliant"),
        ("explanation_E05", "安全培训档案缺少签到表"),
        ("measures_E05", "补齐档案"),
        ("deadline_E05", &deadline),
        ("name_E05", "张三"),
        ("phone_E05", "13812345678"),
        ("answer_E07", "not_applicable"),
        ("explanation_E07", "本单位无此类作业"),
    ]);
    form.push(("step".into(), "check".into()));
    let r = post(&h, &s, &path, &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let at = r
        .body
        .find("id=\"submit-confirm\"")
        .expect("the confirmation");
    let confirm = &r.body[at..at + 1500];
    assert!(confirm.contains("存在问题 1 项"), "{confirm}");
    assert!(confirm.contains("不适用 1 项"), "{confirm}");
    assert!(confirm.contains("id=\"confirm-submit\""));
    assert_eq!(status_of(&h, si).await, SelfcheckStatus::Draft);
    assert!(problems_of(&h, si).await.is_empty());
    // Confirmed: submitted, its one problem listed.
    let r = post(&h, &s, &path, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(status_of(&h, si).await, SelfcheckStatus::Submitted);
    assert_eq!(problems_of(&h, si).await.len(), 1);
    h.db.cleanup().await;
}
