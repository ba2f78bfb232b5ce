//! Exam sites' and exam institutions' records: the workbook upload (all or
//! nothing, messages naming sheet, row and column), no new plan for a suspended site, the
//! scope (another site's session is not found), and the session page with masked IDs;
//! staff phones on the credentials (encrypted, blind-indexed, masked); the full export
//! (可重新导入) that uploads into a fresh database as the same records, for the
//! personal-export roles only.

use crate::common;

use anpei_store::model;
use anpei_store::platform::accounts;
use anpei_store::testing::records::exam_records;
use anpei_store::{demo, Role, Scope};
use axum::http::StatusCode;
use common::{Harness, Session};

const PROCTOR_ID: &str = "11010519491231002X";
const CANDIDATE_ID: &str = "110105198001010016";

/// The exam sites and exam institutions of the demo district (at least two).
async fn exam_subjects(h: &Harness) -> Vec<model::Subject> {
    let mut all: Vec<model::Subject> =
        anpei_store::records::exams::list(h.store(), &Scope::district_wide())
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.subject)
            .collect();
    all.sort_by_key(|s| s.id);
    // Those whose exam qualification is normal (the demo suspends a few).
    let mut v = Vec::new();
    for s in all {
        let q = anpei_store::enforcement::exam_qualification(h.store(), s.id)
            .await
            .unwrap();
        if q.status.may_hold_exams() {
            v.push(s);
        }
    }
    assert!(v.len() >= 2, "the demo district has exam sites");
    v
}

fn sheet(name: &str, rows: &[&[&str]]) -> anpei_import::sheets::Sheet {
    (
        name.to_string(),
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect(),
    )
}

fn workbook(start: &str, candidate_id: &str) -> Vec<u8> {
    workbook_with_phone(start, candidate_id, None)
}

/// The workbook; with `phone`, the credentials sheet has the 联系电话 column.
fn workbook_with_phone(start: &str, candidate_id: &str, phone: Option<&str>) -> Vec<u8> {
    let credential_header: &[&str] = &[
        "姓名",
        "身份证号",
        "证件类别",
        "证件编号",
        "有效期起",
        "有效期至",
        "联系电话",
    ];
    let credential: &[&str] = &[
        "王监考",
        PROCTOR_ID,
        "监考员证",
        "JK001",
        "2024-01-01",
        "2026-12-31",
        phone.unwrap_or_default(),
    ];
    let n = if phone.is_some() { 7 } else { 6 };
    anpei_import::sheets::write_sheets(&[
        sheet(
            "考试计划",
            &[
                &["计划编号", "开始时间", "结束时间", "考试类别", "计划人数"],
                &[
                    "P1",
                    "2025-03-05 08:00",
                    "2025-03-05 18:00",
                    "电工作业",
                    "30",
                ],
            ],
        ),
        sheet(
            "考试场次",
            &[
                &[
                    "场次编号",
                    "计划编号",
                    "考场",
                    "开始时间",
                    "结束时间",
                    "考试系统",
                    "考试类别",
                ],
                &[
                    "S1",
                    "P1",
                    "第一考场",
                    start,
                    "2025-03-05 11:00",
                    "国家考试系统",
                    "电工作业",
                ],
            ],
        ),
        sheet(
            "考务人员",
            &[
                &[
                    "场次编号",
                    "姓名",
                    "身份证号",
                    "角色",
                    "到岗时间",
                    "离岗时间",
                ],
                &[
                    "S1",
                    "王监考",
                    PROCTOR_ID,
                    "监考员",
                    "2025-03-05 08:50",
                    "2025-03-05 11:00",
                ],
            ],
        ),
        sheet(
            "考生成绩",
            &[
                &["场次编号", "姓名", "身份证号", "成绩", "是否合格"],
                &["S1", "李考生", candidate_id, "86", "合格"],
            ],
        ),
        sheet(
            "考试录像",
            &[
                &["场次编号", "文件名", "SHA-256", "时长（分钟）", "存储位置"],
                &["S1", "第一考场.mp4", &"ab".repeat(32), "130", "录像服务器"],
            ],
        ),
        sheet("考务证件", &[&credential_header[..n], &credential[..n]]),
        sheet(
            "考试设备",
            &[
                &["设备名称", "检验合格证编号", "有效期至"],
                &["低压电工实训台", "JY-01", "2026-06-30"],
            ],
        ),
    ])
    .unwrap()
}

async fn upload(h: &Harness, s: &Session, subject_id: i32, bytes: &[u8]) -> common::Reply {
    h.post_multipart(
        Some(s),
        &format!("/exams/subjects/{subject_id}/import?_csrf={}", s.csrf),
        &[],
        Some(("考试记录.xlsx", bytes)),
    )
    .await
}

async fn sessions_of(h: &Harness, subject_id: i32) -> Vec<model::ExamSession> {
    exam_records(h.store(), Some(subject_id)).await.sessions
}

/// Creates an account of a subject (demo password) and signs it in.
async fn subject_account(h: &Harness, username: &str, s: &model::Subject) -> Session {
    let hash = tokio::task::spawn_blocking(|| accounts::hash_password(demo::DEMO_PASSWORD))
        .await
        .unwrap();
    accounts::create_user(
        h.store(),
        &anpei_store::platform::audit::Actor::system("test"),
        accounts::NewUser {
            username: username.into(),
            display_name: format!("{username}测试用户"),
            role: Role::Subject,
            scope: Some(s.uscc.clone()),
            password_hash: hash,
            must_change_password: false,
        },
    )
    .await
    .unwrap();
    h.login(username).await
}

#[tokio::test]
async fn imports_a_workbook_and_the_session_page_shows_staff_and_candidates_masked() {
    let h = Harness::with_demo(60, 200).await;
    let site = exam_subjects(&h).await.remove(0);
    let me = subject_account(&h, "site_user", &site).await;
    let r = upload(
        &h,
        &me,
        site.id,
        &workbook("2025-03-05 09:00", CANDIDATE_ID),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("已导入"), "{}", r.body);
    let sessions = sessions_of(&h, site.id).await;
    assert_eq!(sessions.len(), 1);
    let plans = exam_records(h.store(), Some(site.id)).await.plans;
    assert_eq!(sessions[0].plan_id, Some(plans[0].id));
    let video = exam_records(h.store(), None)
        .await
        .videos
        .into_iter()
        .next()
        .unwrap();
    assert_eq!(video.keep_until.to_string(), "2028-03-05");

    let page = h
        .get(Some(&me), &format!("/exams/sessions/{}", sessions[0].id))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in [
        "王监考",
        "监考员",
        "JK001",
        "李考生",
        "86",
        "110***********002X",
        "2028-03-05",
    ] {
        assert!(page.body.contains(shown), "{shown} missing: {}", page.body);
    }
    assert!(
        !page.body.contains("不在计划时间内"),
        "inside its plan's window"
    );
    assert!(
        !page.body.contains("无有效监考员证"),
        "the credential is valid"
    );
    assert!(
        !page.body.contains(PROCTOR_ID),
        "an ID number shown in full"
    );
    assert!(
        !page.body.contains(CANDIDATE_ID),
        "an ID number shown in full"
    );

    let list = h.get(Some(&me), "/exams").await;
    assert!(list.body.contains(&site.name), "{}", list.body);
    let overview = h
        .get(Some(&me), &format!("/exams/subjects/{}", site.id))
        .await;
    assert!(overview.body.contains("JK001"), "{}", overview.body);
    assert!(overview.body.contains("低压电工实训台"));

    let template = h.get(Some(&me), "/exams/template.xlsx").await;
    assert_eq!(template.status, StatusCode::OK);
    let d = template.headers[axum::http::header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap();
    assert!(
        d.starts_with("attachment;") && d.contains("filename*=UTF-8''"),
        "{d}"
    );
    assert_eq!(
        template.headers[axum::http::header::X_CONTENT_TYPE_OPTIONS],
        "nosniff"
    );
    let export = h
        .get(
            Some(&me),
            &format!("/exams/subjects/{}/export.xlsx", site.id),
        )
        .await;
    assert_eq!(export.status, StatusCode::OK);
    let d = export.headers[axum::http::header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap();
    assert!(d.contains("filename*=UTF-8''"), "{d}");
    h.db.cleanup().await;
}

#[tokio::test]
async fn refuses_a_workbook_with_bad_rows_naming_sheet_row_and_column_and_writes_nothing() {
    let h = Harness::with_demo(60, 200).await;
    let site = exam_subjects(&h).await.remove(0);
    let district = h.login("district").await;
    let r = upload(
        &h,
        &district,
        site.id,
        &workbook("2025-02-30 09:00", "110105194912310020"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("考试场次 第2行 开始时间："), "{}", r.body);
    assert!(r.body.contains("考生成绩 第2行 身份证号："), "{}", r.body);
    assert!(r.body.contains("未保存任何记录"));
    assert!(sessions_of(&h, site.id).await.is_empty());
    assert_eq!(
        exam_records(h.store(), None).await.plans.len(),
        0,
        "all or nothing: the good plan row is not written either"
    );

    // Refused by the upload check, by content, before the workbook reader sees it.
    let garbage = upload(&h, &district, site.id, b"not a workbook").await;
    assert_eq!(garbage.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        garbage.body.contains("不是xlsx工作簿") && garbage.body.contains("未导入任何内容"),
        "{}",
        garbage.body
    );
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_suspended_site_cannot_get_a_new_plan_and_its_page_says_so() {
    let h = Harness::with_demo(60, 200).await;
    let site = exam_subjects(&h)
        .await
        .into_iter()
        .find(|s| s.kind == anpei_core::SubjectKind::ExamSite)
        .expect("an exam site");
    let district = h.login("district").await;
    let plan = [
        ("starts_at", "2025-05-06T08:00"),
        ("ends_at", "2025-05-06T18:00"),
        ("category", "焊接与热切割作业"),
        ("candidates", "25"),
    ];
    let path = format!("/exams/subjects/{}/plans", site.id);
    let r = h.post_form(Some(&district), &path, &plan).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // The district suspends the site's exam qualification (暂停考试资格).
    anpei_store::enforcement::actions::create(
        h.store(),
        &Scope::district_wide(),
        &anpei_store::platform::audit::Actor::system("test"),
        "区应急管理局",
        site.id,
        None,
        &anpei_store::enforcement::actions::ActionInput {
            kind: "suspend_exam".into(),
            decision_no: "应急罚〔2026〕1号".into(),
            decided_on: h.store().today().to_string(),
            text: "监考人员纵容作弊".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let r = h.post_form(Some(&district), &path, &plan).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains("该考试点已被暂停考试资格，不能新建考试计划"),
        "{}",
        r.body
    );
    let count = exam_records(h.store(), Some(site.id)).await.plans.len();
    assert_eq!(count, 1, "only the plan made before the suspension");
    let page = h
        .get(Some(&district), &format!("/exams/subjects/{}", site.id))
        .await;
    assert!(page.body.contains("不能新建考试计划"), "{}", page.body);

    // Nor may another exam site or institution plan an exam at it.
    let other = exam_subjects(&h)
        .await
        .into_iter()
        .find(|s| s.id != site.id)
        .unwrap();
    let at = h.store().today().and_hms_opt(8, 0, 0).unwrap();
    let refused = anpei_store::records::exams::create_plan(
        h.store(),
        &anpei_store::platform::audit::Actor::system("test"),
        &anpei_store::Scope::district_wide(),
        other.id,
        &anpei_store::records::exams::PlanInput {
            site_id: Some(site.id),
            starts_at: at,
            ends_at: at + chrono::Duration::hours(8),
            category: "电工作业".into(),
            planned_candidates: 10,
        },
    )
    .await
    .unwrap_err();
    assert!(
        refused.to_string().contains("该考试点已被暂停考试资格"),
        "{refused}"
    );
    assert!(!page.body.contains("id=\"plan-form\""));
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_site_user_sees_its_own_session_and_another_sites_session_is_not_found() {
    let h = Harness::with_demo(60, 200).await;
    let subjects = exam_subjects(&h).await;
    let (mine, theirs) = (&subjects[0], &subjects[1]);
    let district = h.login("district").await;
    for s in [mine, theirs] {
        let r = upload(
            &h,
            &district,
            s.id,
            &workbook("2025-03-05 09:00", CANDIDATE_ID),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let me = subject_account(&h, "site_user", mine).await;
    let own = sessions_of(&h, mine.id).await[0].id;
    let foreign = sessions_of(&h, theirs.id).await[0].id;
    assert_eq!(
        h.get(Some(&me), &format!("/exams/sessions/{own}"))
            .await
            .status,
        StatusCode::OK
    );
    for path in [
        format!("/exams/sessions/{foreign}"),
        format!("/exams/subjects/{}", theirs.id),
        format!("/exams/subjects/{}/export.xlsx", theirs.id),
    ] {
        assert_eq!(
            h.get(Some(&me), &path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let r = upload(
        &h,
        &me,
        theirs.id,
        &workbook("2025-03-05 09:00", CANDIDATE_ID),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(sessions_of(&h, theirs.id).await.len(), 1);
    h.db.cleanup().await;
}

#[tokio::test]
async fn the_demo_loads_sessions_with_the_irregularities_the_checks_will_find() {
    let h = Harness::with_demo(60, 200).await;
    let n = anpei_store::demo::exams::load_demo(h.store())
        .await
        .unwrap();
    assert!(n >= 4, "{n} demo sessions");
    let all = exam_records(h.store(), None).await;
    let sessions = all.sessions;
    assert!(sessions
        .iter()
        .any(|s| s.high_risk_manager && s.system == "paper"));
    let videos = all.videos;
    assert!(sessions
        .iter()
        .any(|s| !videos.iter().any(|v| v.session_id == s.id)));
    let plans = all.plans;
    assert!(sessions.iter().any(|s| plans
        .iter()
        .any(|p| Some(p.id) == s.plan_id && s.started_at > p.ends_at)));
    // The proctor whose credential ran out shows on the session pages.
    let district = h.login("district").await;
    let mut without = 0;
    for s in &sessions {
        let page = h
            .get(Some(&district), &format!("/exams/sessions/{}", s.id))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        if page.body.contains("无有效监考员证") {
            without += 1;
        }
    }
    assert!(without >= 1, "a proctor without a valid credential");
    let mut outside = 0;
    for s in &sessions {
        let page = h
            .get(Some(&district), &format!("/exams/sessions/{}", s.id))
            .await;
        if page.body.contains("不在计划时间内") {
            outside += 1;
        }
    }
    assert!(outside >= 1, "a session outside its plan's window");
    h.db.cleanup().await;
}

const PHONE: &str = "13900139000";

/// A GET whose body is kept as bytes (an xlsx).
async fn get_bytes(h: &Harness, s: &Session, path: &str) -> (StatusCode, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::get(path)
        .header(axum::http::header::COOKIE, &s.cookie)
        .body(axum::body::Body::empty())
        .unwrap();
    let res = h.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, bytes.to_vec())
}

/// The audit entries of `action`, newest first.
async fn audited(h: &Harness, action: &str) -> Vec<model::AuditEntry> {
    let search = anpei_store::platform::audit::Search {
        action: action.into(),
        ..Default::default()
    };
    let (entries, _) = anpei_store::platform::audit::search(h.store(), &search, 1, 100_000)
        .await
        .unwrap();
    entries.into_iter().filter(|e| e.action == action).collect()
}

/// A subject's exam records by value (sites by USCC, ID numbers and phones decrypted,
/// sessions by room and start, rows sorted), to compare two databases.
async fn snapshot(h: &Harness, subject_id: i32) -> Vec<Vec<String>> {
    let c = &h.store().crypto;
    let dec = |b: &[u8]| c.decrypt(b).unwrap();
    let records = exam_records(h.store(), Some(subject_id)).await;
    let mut uscc: std::collections::HashMap<i32, String> = std::collections::HashMap::new();
    for id in records
        .plans
        .iter()
        .map(|p| p.site_id)
        .chain(records.sessions.iter().map(|s| s.site_id))
    {
        if let std::collections::hash_map::Entry::Vacant(e) = uscc.entry(id) {
            let s = anpei_store::registry::subjects::get(h.store(), &Scope::district_wide(), id)
                .await
                .unwrap()
                .unwrap();
            e.insert(s.uscc);
        }
    }
    let plans = records.plans;
    let plan = |id: i32| {
        let p = plans.iter().find(|p| p.id == id).unwrap();
        format!("{} {}", p.starts_at, p.category)
    };
    let sessions = records.sessions;
    let session = |id: i32| {
        let s = sessions.iter().find(|s| s.id == id).unwrap();
        format!("{} {}", s.room, s.started_at)
    };
    let mut out = Vec::new();
    for p in &plans {
        out.push(vec![
            "计划".into(),
            p.starts_at.to_string(),
            p.ends_at.to_string(),
            p.category.clone(),
            p.planned_candidates.to_string(),
            uscc[&p.site_id].clone(),
        ]);
    }
    for s in &sessions {
        out.push(vec![
            "场次".into(),
            session(s.id),
            s.ended_at.to_string(),
            format!("{:?}", s.plan_id.map(plan)),
            uscc[&s.site_id].clone(),
            s.system.clone(),
            s.category.clone(),
            s.high_risk_manager.to_string(),
        ]);
    }
    for m in records.staff {
        out.push(vec![
            "考务人员".into(),
            session(m.session_id),
            m.name,
            dec(&m.id_enc),
            m.id_bidx,
            m.id_masked,
            m.role,
            format!("{:?} {:?}", m.present_from, m.present_to),
        ]);
    }
    for m in records.candidates {
        out.push(vec![
            "考生".into(),
            session(m.session_id),
            m.name,
            dec(&m.id_enc),
            m.id_bidx,
            format!("{:?} {}", m.score, m.passed),
        ]);
    }
    for v in records.videos {
        out.push(vec![
            "录像".into(),
            session(v.session_id),
            v.file_name,
            v.sha256,
            v.duration_secs.to_string(),
            v.location,
            v.keep_until.to_string(),
            format!("{:?}", v.deleted_at),
        ]);
    }
    for m in records.credentials {
        out.push(vec![
            "证件".into(),
            m.name,
            dec(&m.id_enc),
            m.id_bidx,
            m.kind,
            m.number,
            format!("{} {}", m.valid_from, m.valid_until),
            format!("{:?}", m.phone_enc.as_deref().map(dec)),
            format!("{:?} {:?}", m.phone_bidx, m.phone_masked),
        ]);
    }
    for e in records.equipment {
        out.push(vec![
            "设备".into(),
            e.name,
            e.cert_number,
            e.valid_until.to_string(),
        ]);
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_credentials_phone_lands_encrypted_with_its_blind_index_and_a_bad_one_writes_nothing() {
    let h = Harness::with_demo(60, 200).await;
    let site = exam_subjects(&h).await.remove(0);
    let district = h.login("district").await;
    let r = upload(
        &h,
        &district,
        site.id,
        &workbook_with_phone("2025-03-05 09:00", CANDIDATE_ID, Some("12345")),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains("考务证件 第2行 联系电话：应为11位手机号或带区号的固定电话"),
        "{}",
        r.body
    );
    assert!(sessions_of(&h, site.id).await.is_empty());
    assert_eq!(exam_records(h.store(), None).await.credentials.len(), 0);

    let r = upload(
        &h,
        &district,
        site.id,
        &workbook_with_phone("2025-03-05 09:00", CANDIDATE_ID, Some(PHONE)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let c = exam_records(h.store(), None)
        .await
        .credentials
        .into_iter()
        .next()
        .unwrap();
    // The blind index the shared-phone check (STAFF_CONFLICT) looks for.
    assert_eq!(
        c.phone_bidx.as_deref(),
        Some(h.store().crypto.phone_index(PHONE).as_str())
    );
    assert_eq!(c.phone_masked.as_deref(), Some("139****9000"));
    let enc = c.phone_enc.unwrap();
    assert!(!String::from_utf8_lossy(&enc).contains(PHONE));
    assert_eq!(h.store().crypto.decrypt(&enc).unwrap(), PHONE);
    let page = h
        .get(Some(&district), &format!("/exams/subjects/{}", site.id))
        .await;
    assert!(page.body.contains("139****9000"), "{}", page.body);
    assert!(!page.body.contains(PHONE));
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_full_export_uploads_into_a_fresh_database_as_the_same_records() {
    let h = Harness::with_demo(60, 200).await;
    anpei_store::demo::exams::load_demo(h.store())
        .await
        .unwrap();
    // The exam site with the demo's sessions, and the workbook's with a phone on top.
    let mut site = None;
    for s in exam_subjects(&h).await {
        if !sessions_of(&h, s.id).await.is_empty() {
            site = Some(s);
            break;
        }
    }
    let site = site.expect("the demo's exam records");
    let district = h.login("district").await;
    let r = upload(
        &h,
        &district,
        site.id,
        &workbook_with_phone("2025-03-05 09:00", CANDIDATE_ID, Some(PHONE)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let before = snapshot(&h, site.id).await;
    assert!(before.iter().any(|r| r[0] == "录像"));

    let page = h
        .get(Some(&district), &format!("/exams/subjects/{}", site.id))
        .await;
    assert!(page.body.contains("id=\"exam-export-full\""));
    assert!(page.body.contains("导出（脱敏）"));
    let path = format!("/exams/subjects/{}/export.xlsx", site.id);
    let (status, full) = get_bytes(&h, &district, &format!("{path}?full=1")).await;
    assert_eq!(status, StatusCode::OK);
    let e = &audited(&h, "exam_records.export").await[0];
    assert_eq!(e.result, "ok");
    assert!(e.detail.starts_with("full=1 计划"), "{}", e.detail);

    // The export's sheets and headers are the template's.
    let book = anpei_import::sheets::read_sheets(&full).unwrap();
    let (status, template) = get_bytes(&h, &district, "/exams/template.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let template = anpei_import::sheets::read_sheets(&template).unwrap();
    assert_eq!(book.len(), template.len());
    for ((name, rows), (t_name, t_rows)) in book.iter().zip(&template) {
        assert_eq!(name, t_name);
        assert_eq!(rows[0], t_rows[0], "{name}");
    }
    let credentials = &book.iter().find(|s| s.0 == "考务证件").unwrap().1;
    assert_eq!(credentials[0].last().unwrap(), "联系电话");
    assert!(credentials
        .iter()
        .any(|r| r[1] == PROCTOR_ID && r[6] == PHONE));

    // Uploaded into a fresh database for the same subject: the same records.
    let h2 = Harness::with_demo(60, 200).await;
    let site2 = anpei_store::registry::subjects::find_by_uscc(
        h2.store(),
        &Scope::district_wide(),
        &site.uscc,
    )
    .await
    .unwrap()
    .unwrap();
    let district2 = h2.login("district").await;
    let r = upload(&h2, &district2, site2.id, &full).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(snapshot(&h2, site2.id).await, before);

    // The masked export is unchanged: masked ID numbers and phones only.
    let (status, masked) = get_bytes(&h, &district, &path).await;
    assert_eq!(status, StatusCode::OK);
    let book = anpei_import::sheets::read_sheets(&masked).unwrap();
    let cells: Vec<&String> = book.iter().flat_map(|s| s.1.iter().flatten()).collect();
    assert!(cells.iter().any(|c| c.as_str() == "110***********002X"));
    assert!(cells.iter().any(|c| c.as_str() == "139****9000"));
    assert!(!cells
        .iter()
        .any(|c| c.as_str() == PROCTOR_ID || c.as_str() == CANDIDATE_ID || c.as_str() == PHONE));
    let e = &audited(&h, "exam_records.export").await[0];
    assert_eq!((e.result.as_str(), e.detail.as_str()), ("ok", ""));

    // The site's own account may not export in full (the policy's default roles): 403,
    // audited as failed; its masked export still works.
    let me = subject_account(&h, "site_user", &site).await;
    let page = h
        .get(Some(&me), &format!("/exams/subjects/{}", site.id))
        .await;
    assert!(page.body.contains("id=\"exam-export\""));
    assert!(!page.body.contains("exam-export-full"));
    let r = h.get(Some(&me), &format!("{path}?full=1")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("批量导出个人信息"), "{}", r.body);
    assert!(!r.body.contains(PROCTOR_ID));
    let e = &audited(&h, "exam_records.export").await[0];
    assert_eq!(
        (e.username.as_str(), e.result.as_str()),
        ("site_user", "failed")
    );
    assert!(e.detail.starts_with("full=1"), "{}", e.detail);
    let (status, _) = get_bytes(&h, &me, &path).await;
    assert_eq!(status, StatusCode::OK);
    h.db.cleanup().await;
    h2.db.cleanup().await;
}

/// Uploading again is safe: the same workbook twice leaves one plan, one session, one
/// candidate, one credential and one piece of equipment, with the newer values; a recording
/// the second workbook leaves out is kept (only a 删除日期 says a recording is gone).
#[tokio::test]
async fn uploading_the_same_records_again_updates_them_and_keeps_recordings() {
    let h = Harness::with_demo(60, 200).await;
    let site = exam_subjects(&h).await.remove(0);
    let me = subject_account(&h, "site_user", &site).await;
    let first = workbook("2025-03-05 09:00", CANDIDATE_ID);
    let r = upload(&h, &me, site.id, &first).await;
    assert!(r.body.contains("已导入"), "{}", r.body);
    let session = sessions_of(&h, site.id).await.remove(0);
    let store = h.store();
    let count_of = |subject: i32| async move {
        let r = exam_records(store, Some(subject)).await;
        (
            r.plans.len(),
            r.sessions.len(),
            r.candidates.len(),
            r.credentials.len(),
            r.equipment.len(),
        )
    };
    let before = count_of(site.id).await;
    assert_eq!(before, (1, 1, 1, 1, 1));

    // The same session with the candidate's score corrected and without its recording.
    let second = anpei_import::sheets::write_sheets(&[
        sheet(
            "考试计划",
            &[
                &["计划编号", "开始时间", "结束时间", "考试类别", "计划人数"],
                &[
                    "P1",
                    "2025-03-05 08:00",
                    "2025-03-05 18:00",
                    "电工作业",
                    "35",
                ],
            ],
        ),
        sheet(
            "考试场次",
            &[
                &[
                    "场次编号",
                    "计划编号",
                    "考场",
                    "开始时间",
                    "结束时间",
                    "考试系统",
                    "考试类别",
                ],
                &[
                    "S1",
                    "P1",
                    "第一考场",
                    "2025-03-05 09:00",
                    "2025-03-05 11:00",
                    "国家考试系统",
                    "电工作业",
                ],
            ],
        ),
        sheet(
            "考生成绩",
            &[
                &["场次编号", "姓名", "身份证号", "成绩", "是否合格"],
                &["S1", "李考生", CANDIDATE_ID, "91", "合格"],
            ],
        ),
        sheet(
            "考务证件",
            &[
                &[
                    "姓名",
                    "身份证号",
                    "证件类别",
                    "证件编号",
                    "有效期起",
                    "有效期至",
                ],
                &[
                    "王监考",
                    PROCTOR_ID,
                    "监考员证",
                    "JK001",
                    "2024-01-01",
                    "2027-12-31",
                ],
            ],
        ),
        sheet(
            "考试设备",
            &[
                &["设备名称", "检验合格证编号", "有效期至"],
                &["低压电工实训台", "JY-01", "2027-06-30"],
            ],
        ),
    ])
    .unwrap();
    let r = upload(&h, &me, site.id, &second).await;
    assert!(r.body.contains("已导入"), "{}", r.body);
    assert_eq!(count_of(site.id).await, before);
    let again = sessions_of(&h, site.id).await.remove(0);
    assert_eq!(
        again.id, session.id,
        "the session keeps its id (and its findings)"
    );
    let records = exam_records(h.store(), None).await;
    let candidate = records
        .candidates
        .iter()
        .find(|c| c.session_id == session.id)
        .unwrap();
    assert_eq!(candidate.score, Some(91));
    let credential = records
        .credentials
        .iter()
        .find(|c| c.subject_id == site.id)
        .unwrap();
    assert_eq!(credential.valid_until.to_string(), "2027-12-31");
    let plan = records
        .plans
        .iter()
        .find(|p| p.subject_id == site.id)
        .unwrap();
    assert_eq!(plan.planned_candidates, 35);
    let videos = records
        .videos
        .iter()
        .filter(|v| v.session_id == session.id)
        .count();
    assert_eq!(videos, 1, "a recording left out of an upload is kept");
    // The first workbook again, with its recording: still one recording.
    let r = upload(&h, &me, site.id, &first).await;
    assert!(r.body.contains("已导入"), "{}", r.body);
    assert_eq!(count_of(site.id).await, before);
    let videos = exam_records(h.store(), None)
        .await
        .videos
        .iter()
        .filter(|v| v.session_id == session.id)
        .count();
    assert_eq!(videos, 1);
    h.db.cleanup().await;
}
