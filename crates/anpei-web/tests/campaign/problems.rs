//! 问题清单, rectification, the export, the progress page, the inbox and the daily
//! reminders, through the real application and store. Runs on SQLite, and on
//! PostgreSQL with `ANPEI_TEST_DATABASE_URL`.

use crate::common;

use anpei_store::campaign::problems::{self, Action, NewProblem, Source};
use anpei_store::campaign::progress::{self, ProgressFilter, SubjectState};
use anpei_store::campaign::selfcheck::SelfcheckStatus;
use anpei_store::platform::audit::Actor;
use anpei_store::platform::jobs::{self, DailyRun};
use anpei_store::registry::subjects::{self, SubjectFilter, SubjectInput, SubjectRow};
use anpei_store::testing::{campaign as support, execute_raw};
use anpei_store::{model, platform::accounts, Scope, StoreError};
use axum::http::StatusCode;
use chrono::{Days, NaiveDate};
use common::{Harness, Session};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
/// A catalogue version of our own (the seeded catalogue may hold others).
const VERSION: i32 = 901;

struct World {
    h: Harness,
    /// The demo enterprise (the `enterprise` account's subject), in the `town` account's town.
    own: SubjectRow,
    /// Another subject of the same town.
    neighbour: SubjectRow,
    /// A subject of another town.
    foreign: SubjectRow,
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

async fn world() -> World {
    let h = Harness::with_demo(40, 200).await;
    // The demo's own problems, messages and job runs would blur the counts: each test
    // starts from none and makes what it counts.
    for table in ["problem_events", "problems", "inbox_messages", "job_runs"] {
        execute_raw(h.store(), &format!("DELETE FROM {table}"))
            .await
            .unwrap();
    }
    let ent = user_of(&h, "enterprise").await;
    let all = all_subjects(&h).await;
    let own = all
        .iter()
        .find(|s| Some(s.id) == ent.scope_subject_id)
        .unwrap()
        .clone();
    let neighbour = match all
        .iter()
        .find(|s| s.town_id == own.town_id && s.id != own.id)
    {
        Some(s) => s.clone(),
        // A small demo may give the town one subject: add a neighbour (as the district
        // registers one).
        None => {
            let first17 = "91500112MA5UTEXT9";
            let uscc = format!(
                "{first17}{}",
                anpei_core::Uscc::check_char(first17).unwrap()
            );
            let input = SubjectInput {
                uscc,
                name: "重庆测试邻居机械有限公司".into(),
                kind: "enterprise".into(),
                industry: own.industry.clone().unwrap_or_default(),
                town_id: own.town_id.to_string(),
                ..Default::default()
            };
            let id = subjects::create(
                h.store(),
                &Scope::district_wide(),
                &Actor::system("test"),
                &input,
            )
            .await
            .unwrap();
            subjects::get(h.store(), &Scope::district_wide(), id)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let foreign = all
        .iter()
        .find(|s| s.town_id != own.town_id)
        .unwrap()
        .clone();
    World {
        h,
        own,
        neighbour,
        foreign,
    }
}

async fn user_of(h: &Harness, name: &str) -> model::User {
    accounts::find_user(h.store(), name).await.unwrap().unwrap()
}

fn today(h: &Harness) -> NaiveDate {
    h.store().today()
}

/// A campaign whose self-inspection phase runs from `from` to `to`, its catalogue covering
/// `kinds`.
async fn campaign(h: &Harness, from: NaiveDate, to: NaiveDate, kinds: &[&str]) -> i32 {
    use anpei_core::campaign::{CampaignDraft, Phase, PhaseKind};
    let draft = CampaignDraft {
        name: "测试专项整治".into(),
        issuing_office: "区安委办".into(),
        doc_text: String::new(),
        catalogue_version: VERSION,
        summary_due: to + Days::new(200),
        phases: vec![
            Phase {
                kind: PhaseKind::SelfInspection,
                name: "自查自改".into(),
                starts_on: from,
                ends_on: to,
            },
            Phase {
                kind: PhaseKind::Enforcement,
                name: "执法检查".into(),
                starts_on: to + Days::new(1),
                ends_on: to + Days::new(90),
            },
        ],
    };
    let txn = h.store().write().await.unwrap();
    let id = anpei_store::campaign::insert_draft(&*txn, &draft, None, h.store().now())
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let existing = anpei_store::campaign::catalogue_versions(h.store())
        .await
        .unwrap();
    if !existing.contains(&VERSION) {
        for (i, k) in kinds.iter().enumerate() {
            support::add_checklist_item(
                h.store(),
                VERSION,
                k,
                &format!("Z{i:02}"),
                i as i32,
                "测试",
                "是否存在测试情况。",
            )
            .await;
        }
    }
    id
}

async fn add_problem(
    h: &Harness,
    campaign_id: Option<i32>,
    s: &SubjectRow,
    deadline: NaiveDate,
    description: &str,
) -> i32 {
    let txn = h.store().write().await.unwrap();
    let id = problems::insert_new(
        &*txn,
        &h.store().crypto,
        h.store().now(),
        NewProblem {
            campaign_id,
            subject_id: s.id,
            source: Source::SelfInspection,
            source_ref: None,
            item_code: Some("E03".into()),
            description: description.into(),
            measures: "组织补训并取证".into(),
            deadline,
            responsible_name: "张三".into(),
            responsible_phone: Some("13812341234".into()),
            created_by: None,
            by_name: "测试".into(),
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    id
}

async fn submit(
    h: &Harness,
    campaign_id: i32,
    subject_id: i32,
    status: SelfcheckStatus,
    at: Option<i64>,
) {
    support::add_self_inspection(h.store(), campaign_id, subject_id, status, at).await;
}

fn actor(u: &model::User) -> Actor {
    Actor {
        user_id: Some(u.id),
        username: u.username.clone(),
        client_addr: "test".into(),
    }
}

async fn act_as(
    h: &Harness,
    who: &str,
    id: i32,
    action: Action,
    text: &str,
) -> Result<i32, StoreError> {
    let u = user_of(h, who).await;
    problems::act(
        h.store(),
        &anpei_store::testing::scope_of(&u),
        &actor(&u),
        &u.display_name,
        id,
        action,
        text,
    )
    .await
}

async fn status_of(h: &Harness, id: i32) -> String {
    problems::get(h.store(), &anpei_store::Scope::district_wide(), id)
        .await
        .unwrap()
        .unwrap()
        .status
}

fn refused(r: Result<i32, StoreError>) -> String {
    match r {
        Err(StoreError::Validation(m)) => m,
        Err(StoreError::Fields(f)) => f[0].1.clone(),
        other => panic!("expected a refusal with a message, got {other:?}"),
    }
}

#[tokio::test]
async fn every_transition_of_the_table_is_allowed_or_refused_with_a_chinese_message() {
    let w = world().await;
    let h = &w.h;
    let due = today(h) + Days::new(30);
    let id = add_problem(h, None, &w.own, due, "特种作业人员未持证上岗").await;

    // 待整改: a supervisor cannot verify or reject what was never submitted.
    let m = refused(act_as(h, "town", id, Action::Verify, "").await);
    assert!(m.contains("尚未申请核验"), "{m}");
    refused(act_as(h, "town", id, Action::Reject, "不行").await);
    // The supervisors do not rectify for the subject.
    let m = refused(act_as(h, "town", id, Action::Rectify, "代填").await);
    assert!(m.contains("被检查单位自行填报"), "{m}");
    // A rectification needs its text.
    let m = refused(act_as(h, "enterprise", id, Action::Rectify, "  ").await);
    assert!(m.contains("整改情况"), "{m}");

    act_as(
        h,
        "enterprise",
        id,
        Action::Rectify,
        "已安排3人参加复审培训",
    )
    .await
    .unwrap();
    assert_eq!(status_of(h, id).await, "in_progress");
    act_as(h, "enterprise", id, Action::Rectify, "2人已取证")
        .await
        .unwrap();
    assert_eq!(status_of(h, id).await, "in_progress");
    act_as(h, "enterprise", id, Action::RequestVerification, "全部取证")
        .await
        .unwrap();
    assert_eq!(status_of(h, id).await, "awaiting_verification");

    // 已整改待核验: the subject waits; a rejection needs its reason.
    let m = refused(act_as(h, "enterprise", id, Action::Rectify, "再补充").await);
    assert!(m.contains("等待监管部门核验"), "{m}");
    refused(act_as(h, "enterprise", id, Action::RequestVerification, "催").await);
    let m = refused(act_as(h, "town", id, Action::Reject, "").await);
    assert!(m.contains("退回理由"), "{m}");
    act_as(h, "town", id, Action::Reject, "缺少证书复印件")
        .await
        .unwrap();
    assert_eq!(status_of(h, id).await, "in_progress");

    // From 整改中 straight to 申请核验, then 销号 by the department of the subject.
    act_as(
        h,
        "enterprise",
        id,
        Action::RequestVerification,
        "补充证书复印件",
    )
    .await
    .unwrap();
    let dep = user_of(h, "department").await;
    if dep.scope_department_id == Some(w.own.department_id) {
        act_as(h, "department", id, Action::Verify, "")
            .await
            .unwrap();
    } else {
        act_as(h, "district", id, Action::Verify, "").await.unwrap();
    }
    let p = problems::get(h.store(), &anpei_store::Scope::district_wide(), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.status, "closed");
    assert!(p.closed_at.is_some());

    // 已销号: nothing moves any more.
    for (who, a) in [
        ("enterprise", Action::Rectify),
        ("enterprise", Action::RequestVerification),
        ("town", Action::Verify),
        ("town", Action::Reject),
    ] {
        let m = refused(act_as(h, who, id, a, "x").await);
        assert!(m.contains("已销号"), "{who} {a:?}: {m}");
    }

    let kinds: Vec<String> = problems::history(h.store(), &anpei_store::Scope::district_wide(), id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "rectify",
            "rectify",
            "request_verification",
            "reject",
            "request_verification",
            "verify"
        ]
    );
    let last = problems::history(h.store(), &anpei_store::Scope::district_wide(), id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(last.event.text, "核验通过，予以销号");
    let audited = anpei_store::platform::audit::latest(h.store(), 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "problem.update" && e.object == format!("problem:{id}"))
        .count();
    assert_eq!(audited, 6, "every transition is audited");
    // The town was told of the requests, the enterprise of the rejection and the 销号.
    let town = user_of(h, "town").await;
    let ent = user_of(h, "enterprise").await;
    let kinds_of = |uid: i32| async move {
        messages(h, uid)
            .await
            .into_iter()
            .map(|m| m.kind)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kinds_of(town.id).await,
        ["problem_verify_requested", "problem_verify_requested"]
    );
    assert_eq!(
        kinds_of(ent.id).await,
        ["problem_rejected", "problem_verified"]
    );
    w.h.db.cleanup().await;
}

#[tokio::test]
async fn the_pages_carry_a_rectification_with_a_photo_through_to_its_verification() {
    let w = world().await;
    let h = &w.h;
    let id = add_problem(h, None, &w.own, today(h) + Days::new(10), "培训档案不全").await;
    let ent = h.login("enterprise").await;
    let town = h.login("town").await;

    let page = h.get(Some(&ent), &format!("/problems/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("rectify-form"));
    assert!(page.body.contains("138****1234"), "the phone is masked");
    assert!(!page.body.contains("13812341234"));
    assert!(!page.body.contains("verify-form"));

    // A file that is not what its name says is refused before anything is written.
    let r = rectify(h, &ent, id, "已补齐", "1", Some(("照片.png", b"not a png"))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("照片.png"), "the message names the file");
    assert_eq!(status_of(h, id).await, "pending");

    let r = rectify(
        h,
        &ent,
        id,
        "已补齐培训档案",
        "1",
        Some(("整改后.png", PNG)),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(status_of(h, id).await, "awaiting_verification");
    let history = problems::history(h.store(), &anpei_store::Scope::district_wide(), id)
        .await
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.event.kind, "request_verification");
    assert_eq!(last.files.len(), 1);
    assert_eq!(last.files[0].file_name, "整改后.png");
    let file = last.files[0].id;

    // A rectification the problem no longer accepts (it awaits verification) keeps no
    // photo either: the photo's row comes with the update or not at all.
    let files = || async { support::evidence_files(h.store()).await.len() };
    let before = files().await;
    let r = rectify(h, &ent, id, "再补一张", "0", Some(("再补.png", PNG))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(files().await, before);
    assert_eq!(status_of(h, id).await, "awaiting_verification");

    let page = h.get(Some(&town), &format!("/problems/{id}")).await;
    assert!(page.body.contains("verify-form"));
    assert!(page.body.contains(&format!("/evidence/{file}")));
    assert!(!page.body.contains("rectify-form"));
    let photo = h.get(Some(&town), &format!("/evidence/{file}")).await;
    assert_eq!(photo.status, StatusCode::OK);

    // The subject cannot verify its own problem: the route is closed to it.
    let r = h
        .post_form(Some(&ent), &format!("/problems/{id}/verify"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h
        .post_form(
            Some(&town),
            &format!("/problems/{id}/reject"),
            &[("text", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("退回理由"));
    let r = h
        .post_form(
            Some(&town),
            &format!("/problems/{id}/verify"),
            &[("text", "现场核实，已整改到位")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(status_of(h, id).await, "closed");
    let page = h.get(Some(&town), r.location()).await;
    assert!(page.body.contains("已核验销号"));
    assert!(page.body.contains("现场核实，已整改到位"));
    w.h.db.cleanup().await;
}

async fn rectify(
    h: &Harness,
    s: &Session,
    id: i32,
    text: &str,
    complete: &str,
    file: Option<(&str, &[u8])>,
) -> common::Reply {
    h.post_multipart(
        Some(s),
        &format!("/problems/{id}/rectify?_csrf={}", s.csrf),
        &[("text", text), ("complete", complete)],
        file,
    )
    .await
}

#[tokio::test]
async fn scope_holds_a_problem_to_its_subject_and_its_supervisors() {
    let w = world().await;
    let h = &w.h;
    let due = today(h) + Days::new(10);
    let mine = add_problem(h, None, &w.own, due, "本单位的问题").await;
    let neighbours = add_problem(h, None, &w.neighbour, due, "邻居的问题").await;
    let foreign = add_problem(h, None, &w.foreign, due, "外镇的问题").await;
    let ent = h.login("enterprise").await;
    let town = h.login("town").await;

    // An enterprise sees its own problem only; another's answers 404.
    assert_eq!(
        h.get(Some(&ent), &format!("/problems/{mine}")).await.status,
        StatusCode::OK
    );
    for other in [neighbours, foreign] {
        assert_eq!(
            h.get(Some(&ent), &format!("/problems/{other}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let r = rectify(h, &ent, other, "x", "0", None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    let list = h.get(Some(&ent), "/problems").await;
    assert!(list.body.contains("本单位的问题"));
    assert!(!list.body.contains("邻居的问题") && !list.body.contains("外镇的问题"));

    // The town sees its two subjects' problems, not the other town's.
    let list = h.get(Some(&town), "/problems").await;
    assert!(list.body.contains("本单位的问题") && list.body.contains("邻居的问题"));
    assert!(!list.body.contains("外镇的问题"));
    assert_eq!(
        h.get(Some(&town), &format!("/problems/{foreign}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A town cannot verify outside its town, even when the problem awaits verification.
    let foreign_users = subject_user(h, &w.foreign).await;
    problems::act(
        h.store(),
        &anpei_store::testing::subject_scope(w.foreign.id),
        &actor(&foreign_users),
        "外镇企业",
        foreign,
        Action::RequestVerification,
        "已整改",
    )
    .await
    .unwrap();
    let r = h
        .post_form(Some(&town), &format!("/problems/{foreign}/verify"), &[])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(status_of(h, foreign).await, "awaiting_verification");
    assert!(matches!(
        act_as(h, "town", foreign, Action::Verify, "").await,
        Err(StoreError::NotFound)
    ));

    // The subject never verifies its own, even past the route's permission.
    act_as(h, "enterprise", mine, Action::RequestVerification, "已整改")
        .await
        .unwrap();
    assert!(matches!(
        act_as(h, "enterprise", mine, Action::Verify, "").await,
        Err(StoreError::Forbidden)
    ));
    // A supervisor can only enter problems on subjects in its scope.
    let r = h
        .post_form(
            Some(&town),
            "/problems",
            &[
                ("subject_id", &w.foreign.id.to_string()),
                ("source", "enforcement"),
                ("description", "外镇问题"),
                ("measures", "整改"),
                ("deadline", &due.to_string()),
                ("responsible_name", "李四"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("本辖区内单位"));
    w.h.db.cleanup().await;
}

/// An account for a subject that has none (the demo has one enterprise account).
async fn subject_user(h: &Harness, s: &SubjectRow) -> model::User {
    accounts::create_user(
        h.store(),
        &Actor::system("test"),
        accounts::NewUser {
            username: format!("s{}", s.id),
            display_name: s.name.clone(),
            role: anpei_store::Role::Subject,
            scope: Some(s.uscc.clone()),
            // Never signs in: any hash will do.
            password_hash: accounts::dummy_hash().to_string(),
            must_change_password: false,
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_supervisor_enters_a_problem_and_bad_fields_are_named_in_chinese() {
    let w = world().await;
    let h = &w.h;
    let town = h.login("town").await;
    let form = h
        .get(
            Some(&town),
            &format!("/problems/new?subject_id={}", w.own.id),
        )
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(&w.own.name));
    let r = h
        .post_form(
            Some(&town),
            "/problems",
            &[
                ("subject_id", &w.own.uscc),
                ("source", "self_inspection"),
                ("description", ""),
                ("measures", "整改"),
                ("deadline", "2020-02-30"),
                ("responsible_name", "李四"),
                ("responsible_phone", "12345"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for msg in [
        "来源：请选择执法检查、督查、举报或规则引擎",
        "问题描述：不能为空",
        "整改时限：请填写日期",
        "联系电话：",
    ] {
        assert!(r.body.contains(msg), "missing {msg}");
    }
    let due = (today(h) + Days::new(15)).to_string();
    let r = h
        .post_form(
            Some(&town),
            "/problems",
            &[
                ("subject_id", &w.own.name),
                ("source", "enforcement"),
                ("description", "执法检查发现培训记录不实"),
                ("measures", "重新组织培训"),
                ("deadline", &due),
                ("responsible_name", "李四"),
                ("responsible_phone", "13900001111"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let ent = h.login("enterprise").await;
    let page = h
        .get(Some(&ent), r.location().split('?').next().unwrap())
        .await;
    assert!(page.body.contains("执法检查发现培训记录不实"));
    assert!(page.body.contains("139****1111"));
    // The enterprise was told, and the header shows it.
    assert!(page.body.contains("id=\"inbox-unread\">1<"), "unread badge");
    w.h.db.cleanup().await;
}

fn read_xlsx(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("an xlsx");
    let range = wb.worksheet_range("问题清单").expect("sheet 问题清单");
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Float(f) => f.to_string(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

async fn get_bytes(h: &Harness, s: &Session, path: &str) -> (StatusCode, Vec<u8>) {
    use axum::body::Body;
    use axum::http::{header, Request};
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = Request::get(path)
        .header(header::COOKIE, &s.cookie)
        .body(Body::empty())
        .unwrap();
    let res = h.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    (
        status,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

#[tokio::test]
async fn the_export_is_a_titled_workbook_with_masked_phones_and_neutralised_formulas() {
    let w = world().await;
    let h = &w.h;
    let due = today(h) + Days::new(10);
    add_problem(h, None, &w.own, due, "=HYPERLINK(\"http://evil\",\"点我\")").await;
    add_problem(h, None, &w.neighbour, due, "台账不全").await;
    add_problem(h, None, &w.foreign, due, "外镇问题").await;
    let town = h.login("town").await;
    let (status, bytes) = get_bytes(h, &town, "/problems/export.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let rows = read_xlsx(&bytes);
    let town_name =
        anpei_store::registry::reference::towns(h.store(), &anpei_store::Scope::district_wide())
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.id == w.own.town_id)
            .unwrap()
            .name;
    assert!(
        rows[0][0].starts_with(&town_name) && rows[0][0].ends_with("问题清单"),
        "title {:?}",
        rows[0][0]
    );
    assert_eq!(
        rows[1],
        [
            "序号",
            "单位名称",
            "问题描述",
            "整改措施",
            "整改时限",
            "责任人",
            "联系电话",
            "来源",
            "整改状态",
            "销号时间"
        ]
    );
    assert_eq!(rows.len(), 4, "title, header and the town's two problems");
    let all: Vec<String> = rows[2..].iter().flatten().cloned().collect();
    assert!(all.contains(&"'=HYPERLINK(\"http://evil\",\"点我\")".to_string()));
    assert!(all.contains(&"138****1234".to_string()));
    assert!(!all.iter().any(|c| c.contains("13812341234")));
    assert!(!all.iter().any(|c| c == "外镇问题"));
    let audit = anpei_store::platform::audit::latest(h.store(), 5)
        .await
        .unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "export.problems" && e.detail.starts_with("rows=2")));

    // An enterprise's list is titled with its own name.
    let ent = h.login("enterprise").await;
    let (_, bytes) = get_bytes(h, &ent, "/problems/export.xlsx").await;
    let rows = read_xlsx(&bytes);
    assert!(rows[0][0].starts_with(&w.own.name), "{:?}", rows[0][0]);
    assert_eq!(rows.len(), 3);
    w.h.db.cleanup().await;
}

#[tokio::test]
async fn the_word_list_has_the_exports_rows_filters_and_scope_and_the_unit_as_signer() {
    let w = world().await;
    let h = &w.h;
    let due = today(h) + Days::new(10);
    add_problem(h, None, &w.own, due, "签到表笔迹相同").await;
    add_problem(h, None, &w.neighbour, due, "台账不全").await;
    add_problem(h, None, &w.foreign, due, "外镇问题").await;
    let town_name =
        anpei_store::registry::reference::towns(h.store(), &anpei_store::Scope::district_wide())
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.id == w.own.town_id)
            .unwrap()
            .name;
    let town = h.login("town").await;
    let list = h.get(Some(&town), "/problems?q=台账").await;
    assert!(
        list.body
            .contains("href=\"/problems/export.docx?q=%E5%8F%B0%E8%B4%A6\""),
        "the Word link carries the filters"
    );
    assert!(list.body.contains(">导出 Word</a>"));
    let (status, bytes) = get_bytes(h, &town, "/problems/export.docx").await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let text = anpei_import::docx::document_text(&bytes).unwrap();
    let date = anpei_import::docx::chinese_date(today(h));
    assert!(
        text.starts_with(&town_name) && text.contains("问题清单\n"),
        "{text}"
    );
    for s in [
        format!("（截至{date}，共2项）"),
        "联系电话".to_string(),
        "签到表笔迹相同".to_string(),
        "台账不全".to_string(),
        "138****1234".to_string(),
        format!("{town_name}\n{date}"),
    ] {
        assert!(text.contains(&s), "{s} missing from {text}");
    }
    assert!(!text.contains("外镇问题"), "out of the town's scope");
    assert!(!text.contains("13812341234"), "phones masked");
    let xml = anpei_import::docx::document_xml(&bytes).unwrap();
    assert!(xml.contains("w:orient=\"landscape\""));
    // The filters of the list, and the audit like the workbook's.
    let (_, bytes) = get_bytes(h, &town, "/problems/export.docx?q=%E5%8F%B0%E8%B4%A6").await;
    let text = anpei_import::docx::document_text(&bytes).unwrap();
    assert!(
        text.contains("共1项") && !text.contains("签到表笔迹相同"),
        "{text}"
    );
    let audit = anpei_store::platform::audit::latest(h.store(), 5)
        .await
        .unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "export.problems"
            && e.detail.starts_with("format=docx rows=1 query=q=")));
    // The enterprise's own list under its own name; the district's under the office.
    let ent = h.login("enterprise").await;
    let (_, bytes) = get_bytes(h, &ent, "/problems/export.docx").await;
    let text = anpei_import::docx::document_text(&bytes).unwrap();
    assert!(
        text.starts_with(&w.own.name) && text.contains("共1项"),
        "{text}"
    );
    assert!(text.contains(&format!("{}\n{date}", w.own.name)));
    let district = h.login("district").await;
    let (_, bytes) = get_bytes(h, &district, "/problems/export.docx").await;
    let text = anpei_import::docx::document_text(&bytes).unwrap();
    assert!(text.starts_with("全区") && text.contains("共3项"), "{text}");
    assert!(text.contains("安全生产委员会办公室\n"), "{text}");
    w.h.db.cleanup().await;
}

#[tokio::test]
async fn overdue_follows_the_clock() {
    let w = world().await;
    let h = &w.h;
    let c = campaign(h, today(h), today(h) + Days::new(20), &["enterprise"]).await;
    let id = add_problem(h, Some(c), &w.own, today(h) + Days::new(3), "三天后到期").await;
    let district = anpei_store::Scope::district_wide();
    let f = problems::ProblemFilter {
        status: Some(problems::StatusFilter::Overdue),
        ..Default::default()
    };
    assert_eq!(
        problems::list(h.store(), &district, &f, 1, 20)
            .await
            .unwrap()
            .1,
        0
    );
    h.db.clock.advance(chrono::Duration::days(4));
    let (rows, n) = problems::list(h.store(), &district, &f, 1, 20)
        .await
        .unwrap();
    assert_eq!((n, rows[0].id, rows[0].overdue), (1, id, true));
    let counts = problems::counts(h.store(), &district, &Default::default())
        .await
        .unwrap();
    assert_eq!((counts.overdue, counts.pending), (1, 1));
    let p = progress::load(h.store(), &district, c, &ProgressFilter::default())
        .await
        .unwrap();
    assert_eq!(p.total.overdue, 1);
    let town = h.login("town").await;
    let page = h.get(Some(&town), "/problems?status=overdue").await;
    assert!(page.body.contains("三天后到期") && page.body.contains("逾期"));
    // Closed, it is no longer overdue.
    act_as(h, "enterprise", id, Action::RequestVerification, "已整改")
        .await
        .unwrap();
    act_as(h, "town", id, Action::Verify, "").await.unwrap();
    assert_eq!(
        problems::list(h.store(), &district, &f, 1, 20)
            .await
            .unwrap()
            .1,
        0
    );
    w.h.db.cleanup().await;
}

#[tokio::test]
async fn progress_counts_a_seeded_district_and_every_number_lists_what_it_counts() {
    let w = world().await;
    let h = &w.h;
    let start = today(h) - Days::new(30);
    let end = today(h) - Days::new(2);
    let c = campaign(h, start, end, &["enterprise", "exam_site"]).await;
    let all = all_subjects(h).await;
    let must: Vec<&SubjectRow> = all
        .iter()
        .filter(|s| s.kind == "enterprise" || s.kind == "exam_site")
        .collect();
    assert!(must.len() >= 6, "the demo has enough subjects");
    // Before the phase's end (Unix seconds of `end`'s next midnight in China).
    let end_ts = (end + Days::new(1))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp()
        - 8 * 3600;
    // The own enterprise on time, its neighbour late (if it must), three others on time,
    // one draft, one returned.
    let mut on_time = vec![w.own.id];
    let mut late = vec![];
    for s in must.iter().filter(|s| s.id != w.own.id).take(5) {
        if on_time.len() < 4 {
            on_time.push(s.id);
        } else {
            late.push(s.id);
        }
    }
    for id in &on_time {
        submit(h, c, *id, SelfcheckStatus::Submitted, Some(end_ts - 100)).await;
    }
    for id in &late {
        submit(h, c, *id, SelfcheckStatus::Submitted, Some(end_ts + 100)).await;
    }
    let rest: Vec<i32> = must
        .iter()
        .map(|s| s.id)
        .filter(|id| !on_time.contains(id) && !late.contains(id))
        .take(2)
        .collect();
    submit(h, c, rest[0], SelfcheckStatus::Draft, None).await;
    submit(h, c, rest[1], SelfcheckStatus::Returned, Some(end_ts - 50)).await;
    // Problems: the own enterprise 3 (one closed, one overdue), the foreign subject 1, and
    // one outside the campaign that must not count.
    let p1 = add_problem(h, Some(c), &w.own, today(h) + Days::new(5), "p1").await;
    add_problem(h, Some(c), &w.own, today(h) + Days::new(5), "p2").await;
    let p3 = add_problem(h, Some(c), &w.own, today(h) + Days::new(1), "p3").await;
    add_problem(h, Some(c), &w.foreign, today(h) + Days::new(9), "p4").await;
    add_problem(
        h,
        None,
        &w.foreign,
        today(h) + Days::new(9),
        "not in the campaign",
    )
    .await;
    act_as(h, "enterprise", p1, Action::RequestVerification, "已整改")
        .await
        .unwrap();
    act_as(h, "district", p1, Action::Verify, "").await.unwrap();
    h.db.clock.advance(chrono::Duration::days(2));
    let _ = p3; // p3's deadline is now past: overdue.

    let district = progress::load(
        h.store(),
        &anpei_store::Scope::district_wide(),
        c,
        &ProgressFilter::default(),
    )
    .await
    .unwrap();
    let submitted = (on_time.len() + late.len()) as i64;
    assert_eq!(district.total.must, must.len() as i64);
    assert_eq!(district.total.submitted, submitted);
    assert_eq!(district.total.on_time, on_time.len() as i64);
    assert_eq!(
        (
            district.total.problems,
            district.total.rectified,
            district.total.overdue
        ),
        (4, 1, 1)
    );
    // The lines of each table add up to the total, and each town's line is its subjects'.
    for table in [
        &district.by_town,
        &district.by_department,
        &district.by_kind,
    ] {
        let sum: i64 = table.iter().map(|l| l.f.must).sum();
        assert_eq!(sum, district.total.must);
        let sum: i64 = table.iter().map(|l| l.f.submitted).sum();
        assert_eq!(sum, submitted);
    }
    let own_town = district
        .by_town
        .iter()
        .find(|l| l.key == w.own.town_id.to_string())
        .unwrap();
    let expected_town_must = must.iter().filter(|s| s.town_id == w.own.town_id).count();
    assert_eq!(own_town.f.must, expected_town_must as i64);
    assert_eq!(
        (
            own_town.f.problems,
            own_town.f.rectified,
            own_town.f.overdue
        ),
        (3, 1, 1)
    );
    assert_eq!(district.by_kind.len(), 2, "only the catalogue's kinds");

    // The town's own progress is its town's line.
    let town_user = user_of(h, "town").await;
    let tp = progress::load(
        h.store(),
        &anpei_store::testing::scope_of(&town_user),
        c,
        &ProgressFilter::default(),
    )
    .await
    .unwrap();
    assert_eq!(tp.total, own_town.f);
    assert_eq!(tp.by_town.len(), 1);

    // Every drill-down list is as long as its number.
    for state in SubjectState::ALL {
        let (_, n) = progress::subjects(
            h.store(),
            &anpei_store::Scope::district_wide(),
            c,
            &ProgressFilter::default(),
            state,
            1,
            200,
        )
        .await
        .unwrap();
        let expected = match state {
            SubjectState::Must => district.total.must,
            SubjectState::Submitted => district.total.submitted,
            SubjectState::OnTime => district.total.on_time,
            SubjectState::Late => district.total.submitted - district.total.on_time,
            SubjectState::NotSubmitted => district.total.not_submitted(),
        };
        assert_eq!(n as i64, expected, "{state:?}");
    }

    // Through the pages: the district's page links each number to a list of that length.
    let s = h.login("district").await;
    let page = h.get(Some(&s), &format!("/progress?campaign={c}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<svg") && !page.body.contains("style="));
    let not_submitted = link_of(&page.body, "total-not-submitted");
    let list = h.get(Some(&s), &not_submitted).await;
    assert!(
        list.body
            .contains(&format!("共 {} 条", district.total.not_submitted())),
        "{not_submitted}: {} {}",
        list.status,
        list.body
    );
    let overdue = link_of(&page.body, "total-overdue");
    let list = h.get(Some(&s), &overdue).await;
    assert!(list.body.contains("p3") && !list.body.contains(">p2<"));
    assert!(list.body.contains("共 1 条"), "{overdue}");
    let problems_link = link_of(&page.body, "total-problems");
    let list = h.get(Some(&s), &problems_link).await;
    assert!(list.body.contains("共 4 条"), "{problems_link}");
    // A town line's links narrow to that town.
    let town_must = h
        .get(
            Some(&s),
            &format!(
                "/progress/subjects?campaign={c}&town={}&state=must",
                w.own.town_id
            ),
        )
        .await;
    assert!(town_must
        .body
        .contains(&format!("共 {expected_town_must} 条")));
    w.h.db.cleanup().await;
}

/// The `href` of the element with `id`.
fn link_of(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let start = html[..at].rfind("href=\"").unwrap() + 6;
    html[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// A user's messages, oldest first.
async fn messages(h: &Harness, uid: i32) -> Vec<model::InboxMessage> {
    let (mut ms, total) = anpei_store::platform::inbox::list(h.store(), uid, false, 1, 100_000)
        .await
        .unwrap();
    assert_eq!(ms.len() as u64, total, "every message on one page");
    ms.reverse();
    ms
}

#[tokio::test]
async fn the_daily_reminders_reach_the_right_people_once() {
    let w = world().await;
    let h = &w.h;
    let t = today(h);
    // The self-inspection phase ends in 5 days; the enterprise has not submitted, its
    // neighbour has (and has an account).
    let c = campaign(
        h,
        t - Days::new(20),
        t + Days::new(5),
        &[
            "enterprise",
            "exam_site",
            "training_institution",
            "exam_institution",
        ],
    )
    .await;
    let neighbour_user = subject_user(h, &w.neighbour).await;
    submit(
        h,
        c,
        w.neighbour.id,
        SelfcheckStatus::Submitted,
        Some(h.store().now()),
    )
    .await;
    let due = add_problem(h, Some(c), &w.own, t + Days::new(3), "三天后到期").await;
    let later = add_problem(h, Some(c), &w.own, t + Days::new(30), "一个月后到期").await;
    let overdue = add_problem(h, Some(c), &w.own, t - Days::new(1), "已逾期").await;
    let closed = add_problem(h, Some(c), &w.own, t + Days::new(2), "已销号").await;
    act_as(h, "enterprise", closed, Action::RequestVerification, "好了")
        .await
        .unwrap();
    act_as(h, "town", closed, Action::Verify, "").await.unwrap();
    let ent = user_of(h, "enterprise").await;
    let town = user_of(h, "town").await;
    let district = user_of(h, "district").await;
    let before_ent = messages(h, ent.id).await.len();
    let before_town = messages(h, town.id).await.len();

    let r = jobs::send_reminders(h.store(), t).await.unwrap();
    let ent_msgs: Vec<_> = messages(h, ent.id).await.split_off(before_ent);
    let town_msgs: Vec<_> = messages(h, town.id).await.split_off(before_town);
    let of = |ms: &[model::InboxMessage], kind: &str| {
        ms.iter()
            .filter(|m| m.kind == kind)
            .map(|m| m.link.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(of(&ent_msgs, "self_inspection_due").len(), 1);
    assert_eq!(of(&ent_msgs, "problem_due"), [format!("/problems/{due}")]);
    assert_eq!(
        of(&ent_msgs, "problem_overdue"),
        [format!("/problems/{overdue}")]
    );
    assert!(of(&town_msgs, "self_inspection_due").is_empty());
    assert_eq!(of(&town_msgs, "problem_due"), [format!("/problems/{due}")]);
    assert_eq!(
        of(&town_msgs, "problem_overdue"),
        [format!("/problems/{overdue}")]
    );
    assert!(messages(h, neighbour_user.id).await.is_empty(), "submitted");
    assert!(messages(h, district.id).await.is_empty());
    let all_links: Vec<_> = r.sent.iter().map(|m| m.link.clone()).collect();
    assert!(!all_links.contains(&format!("/problems/{later}")));
    assert!(!all_links.contains(&format!("/problems/{closed}")));
    assert_eq!(r.overdue_recorded, [overdue]);

    // A second run sends nothing new and records no second overdue event.
    let again = jobs::send_reminders(h.store(), t).await.unwrap();
    assert!(again.sent.is_empty(), "{:?}", again.sent);
    assert!(again.overdue_recorded.is_empty());
    let overdue_events = problems::history(h.store(), &Scope::district_wide(), overdue)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.event.kind == "overdue")
        .count();
    assert_eq!(overdue_events, 1);

    // The inbox page lists them, and opening one marks it read and follows its link.
    let s = h.login("enterprise").await;
    let page = h.get(Some(&s), "/inbox").await;
    assert!(page.body.contains("整改到期提醒") && page.body.contains("逾期提醒"));
    let unread_before = anpei_store::platform::inbox::unread_count(h.store(), ent.id)
        .await
        .unwrap();
    let msg = ent_msgs.iter().find(|m| m.kind == "problem_due").unwrap();
    let r = h
        .post_form(Some(&s), "/inbox/read", &[("id", &msg.id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), format!("/problems/{due}"));
    assert_eq!(
        anpei_store::platform::inbox::unread_count(h.store(), ent.id)
            .await
            .unwrap(),
        unread_before - 1
    );
    // Another user's message answers 404.
    let town_msg = &town_msgs[0];
    let r = h
        .post_form(Some(&s), "/inbox/read", &[("id", &town_msg.id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h.post_form(Some(&s), "/inbox/read", &[("all", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        anpei_store::platform::inbox::unread_count(h.store(), ent.id)
            .await
            .unwrap(),
        0
    );
    w.h.db.cleanup().await;
}

#[tokio::test]
async fn of_two_instances_one_runs_the_day_and_a_stalled_claim_is_taken_over() {
    let w = world().await;
    let h = &w.h;
    let t = today(h);
    add_problem(h, None, &w.own, t + Days::new(2), "两天后到期").await;
    let (a, b) = tokio::join!(
        jobs::daily_reminders(h.store(), t, "instance-a"),
        jobs::daily_reminders(h.store(), t, "instance-b"),
    );
    let ran: Vec<_> = [a.unwrap(), b.unwrap()]
        .into_iter()
        .filter_map(|r| match r {
            DailyRun::Ran(r) => Some(r),
            DailyRun::Skipped => None,
        })
        .collect();
    assert_eq!(ran.len(), 1, "exactly one instance runs the day");
    assert_eq!(
        ran[0].count("problem_due"),
        2,
        "the enterprise and its town"
    );
    let row = support::job_runs(h.store())
        .await
        .into_iter()
        .find(|r| r.run_key == t.to_string())
        .unwrap();
    assert!(row.finished_at.is_some());
    assert!(row.outcome.unwrap().starts_with("ok sent=2"));
    // Later the same day: still nobody runs it again.
    assert!(matches!(
        jobs::daily_reminders(h.store(), t, "instance-c")
            .await
            .unwrap(),
        DailyRun::Skipped
    ));

    // A claim left unfinished by a crashed instance is taken over after an hour, not before.
    let next = (t + Days::new(1)).to_string();
    jobs::claim(h.store(), jobs::REMINDERS, &next, "crashed")
        .await
        .unwrap()
        .expect("nobody has claimed the next day yet");
    h.db.clock.advance(chrono::Duration::minutes(30));
    assert!(jobs::claim(h.store(), jobs::REMINDERS, &next, "x")
        .await
        .unwrap()
        .is_none());
    h.db.clock.advance(chrono::Duration::minutes(31));
    let (c1, c2) = tokio::join!(
        jobs::claim(h.store(), jobs::REMINDERS, &next, "y"),
        jobs::claim(h.store(), jobs::REMINDERS, &next, "z"),
    );
    let claims: Vec<_> = [c1.unwrap(), c2.unwrap()].into_iter().flatten().collect();
    assert_eq!(claims.len(), 1, "one instance takes over");
    assert_eq!(claims[0].took_over_from.as_deref(), Some("crashed"));

    // The scheduler's tick runs nothing before 08:00 China time.
    let cst = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let hour = chrono::Timelike::hour(&h.store().clock.now().with_timezone(&cst));
    h.db.clock
        .advance(chrono::Duration::hours(i64::from((7 + 24 - hour) % 24)));
    assert!(anpei_web::scheduler::due_date(h.store()).is_none());
    h.db.clock.advance(chrono::Duration::hours(1));
    assert!(anpei_web::scheduler::due_date(h.store()).is_some());
    w.h.db.cleanup().await;
}

#[tokio::test]
async fn a_subject_page_leads_to_its_problem_list_and_a_supervisor_to_a_new_problem() {
    let h = Harness::with_demo(20, 60).await;
    let town_user = user_of(&h, "town").await;
    let subject = all_subjects(&h)
        .await
        .into_iter()
        .find(|s| s.town_id == town_user.scope_town_id.unwrap())
        .unwrap();
    let town = h.login("town").await;
    let page = h
        .get(Some(&town), &format!("/subjects/{}", subject.id))
        .await;
    assert!(page
        .body
        .contains(&format!("/problems?subject_id={}", subject.id)));
    let new = format!("/problems/new?subject_id={}", subject.id);
    assert!(page.body.contains(&new), "a supervisor registers a problem");
    let form = h.get(Some(&town), &new).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains(&subject.name),
        "the form names the subject"
    );
    // The subject's own user sees its list, not the supervisor's form.
    let ent = h.login("enterprise").await;
    let own = user_of(&h, "enterprise").await.scope_subject_id.unwrap();
    let page = h.get(Some(&ent), &format!("/subjects/{own}")).await;
    assert!(page.body.contains(&format!("/problems?subject_id={own}")));
    assert!(!page.body.contains("/problems/new"));
    h.db.cleanup().await;
}

#[tokio::test]
async fn the_api_lists_problems_in_scope_with_the_pages_filters() {
    let w = world().await;
    let h = &w.h;
    let today = h.store().today();
    let due = today + Days::new(30);
    let own = add_problem(h, None, &w.own, due, "API：本单位问题").await;
    add_problem(h, None, &w.neighbour, due, "API：邻居问题").await;
    add_problem(
        h,
        None,
        &w.foreign,
        today - Days::new(1),
        "API：外镇逾期问题",
    )
    .await;
    let get = |token: String, path: &'static str| async move {
        let r = h.api_get(&token, path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        serde_json::from_str::<serde_json::Value>(&r.body).unwrap()
    };
    // The enterprise: its own problem only, phone masked.
    let v = get(h.api_token("enterprise").await, "/api/v1/problems").await;
    assert_eq!(v["total"], 1, "{v}");
    let item = &v["items"][0];
    assert_eq!(item["id"], own);
    assert_eq!(item["description"], "API：本单位问题");
    assert_eq!(item["responsible_phone_masked"], "138****1234");
    assert_eq!(item["overdue"], false);
    assert!(!v.to_string().contains("13812341234"));
    // The town: its two; the district: all three, one overdue.
    let v = get(h.api_token("town").await, "/api/v1/problems").await;
    assert_eq!(v["total"], 2, "{v}");
    let district = h.api_token("district").await;
    let v = get(district.clone(), "/api/v1/problems").await;
    assert_eq!(v["total"], 3, "{v}");
    let v = get(district, "/api/v1/problems?status=overdue").await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["description"], "API：外镇逾期问题");
    assert_eq!(v["items"][0]["overdue"], true);
    // Administrators have no business data.
    let r = h
        .api_get(&h.api_token("sysadmin").await, "/api/v1/problems")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    w.h.db.cleanup().await;
}
