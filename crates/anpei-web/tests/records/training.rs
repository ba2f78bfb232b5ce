//! 培训档案: a training institution's class-file workbook uploaded strictly (a bad
//! cell names its sheet, row and column, and nothing is stored), the class page with the
//! roster masked, and the scope (another institution's class answers 404); teachers'
//! phones (encrypted, blind-indexed, masked); the full export (可重新导入) that uploads into
//! a fresh database as the same records, for the personal-export roles only.

use crate::common;

use anpei_core::kinds::SubjectKind;
use anpei_store::demo::{self, DemoAccount};
use anpei_store::model;
use anpei_store::testing::records::training_records;
use anpei_store::{Role, Scope};
use axum::http::StatusCode;
use common::Harness;

const ID_A: &str = "11010519491231002X";
const ID_B: &str = "110105197001010011";

type Sheet = (&'static str, Vec<&'static str>, Vec<Vec<String>>);

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

/// A class file in the layout before 联系电话 was added to 师资.
fn workbook(trainee_id: &str, session_end: &str) -> Vec<u8> {
    workbook_with_phone(trainee_id, session_end, None)
}

fn workbook_with_phone(trainee_id: &str, session_end: &str, phone: Option<&str>) -> Vec<u8> {
    let teachers: Sheet = match phone {
        None => (
            "师资",
            vec!["姓名", "身份证号", "专兼职", "资质"],
            vec![row(&["孙老师", ID_B, "专职", "注册安全工程师"])],
        ),
        Some(p) => (
            "师资",
            vec!["姓名", "身份证号", "专兼职", "资质", "联系电话"],
            vec![row(&["孙老师", ID_B, "专职", "注册安全工程师", p])],
        ),
    };
    let sheets: Vec<Sheet> = vec![
        teachers,
        (
            "场地",
            vec!["场地名称", "容纳人数"],
            vec![row(&["二号教室", "50"])],
        ),
        (
            "设备",
            vec!["设备名称", "数量"],
            vec![row(&["模拟人", "2"])],
        ),
        (
            "培训班",
            vec![
                "班级编号",
                "培训类型",
                "大纲学时",
                "开班日期",
                "结业日期",
                "场地",
                "计划人数",
            ],
            vec![row(&[
                "T-01",
                "主要负责人初次培训",
                "32",
                "2026/3/2",
                "2026年3月9日",
                "二号教室",
                "30",
            ])],
        ),
        (
            "课次",
            vec![
                "班级编号",
                "课次",
                "开始时间",
                "结束时间",
                "授课教师",
                "形式",
                "录像文件名",
                "录像SHA256",
                "录像时长（分钟）",
            ],
            vec![
                row(&[
                    "T-01",
                    "1",
                    "2026-03-02 09:00",
                    session_end,
                    "孙老师",
                    "线下",
                    "T-01-01.mp4",
                    &"ab".repeat(32),
                    "180",
                ]),
                row(&[
                    "T-01",
                    "2",
                    "2026-03-03 09:00",
                    "2026-03-03 12:00",
                    "孙老师",
                    "线上",
                    "",
                    "",
                    "",
                ]),
            ],
        ),
        (
            "学员",
            vec!["班级编号", "姓名", "身份证号", "考核成绩"],
            vec![row(&["T-01", "钱学员", trainee_id, "86"])],
        ),
        (
            "签到",
            vec!["班级编号", "课次", "身份证号", "签到时间", "签退时间"],
            vec![row(&[
                "T-01",
                "1",
                trainee_id,
                "2026-03-02 08:55",
                "2026-03-02 12:01",
            ])],
        ),
    ];
    anpei_import::training::write_sheets(&sheets).unwrap()
}

/// The training institutions of the demo district, by id.
async fn institutions(h: &Harness) -> Vec<model::Subject> {
    let mut v = anpei_store::records::training::institutions(h.store(), &Scope::district_wide())
        .await
        .unwrap();
    v.sort_by_key(|s| s.id);
    v
}

async fn upload(h: &Harness, user: &str, subject_id: i32, bytes: &[u8]) -> common::Reply {
    let s = h.login(user).await;
    h.post_multipart(
        Some(&s),
        &format!("/training/{subject_id}/import?_csrf={}", s.csrf),
        &[],
        Some(("档案.xlsx", bytes)),
    )
    .await
}

#[tokio::test]
async fn a_class_file_is_imported_whole_or_not_at_all_and_shown_masked_in_scope() {
    let h = Harness::with_demo(40, 60).await;
    let insts = institutions(&h).await;
    assert!(insts.len() >= 2, "the demo has two training institutions");
    let (a, b) = (&insts[0], &insts[1]);
    demo::create_accounts(
        h.store(),
        &[DemoAccount {
            username: "institution".into(),
            role: Role::Subject,
            scope: b.uscc.to_string(),
        }],
    )
    .await
    .unwrap();

    // Bad rows: a wrong check digit and a session that ends before it starts.
    let bad = workbook("110105194912310021", "2026-03-02 08:00");
    let r = upload(&h, "district", a.id, &bad).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("学员 第2行 身份证号：校验位错误"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("课次 第2行 结束时间：不晚于开始时间"),
        "{}",
        r.body
    );
    assert!(r.body.contains("未导入任何内容"));
    let store = h.store();
    assert_eq!(training_records(store, None).await.classes.len(), 0);

    // A teacher neither in the workbook nor recorded, and a venue the institution lacks.
    let sheets: Vec<Sheet> = vec![
        (
            "师资",
            vec!["姓名", "身份证号", "专兼职"],
            vec![row(&["孙老师", ID_B, "兼职"])],
        ),
        (
            "培训班",
            vec![
                "班级编号",
                "培训类型",
                "大纲学时",
                "开班日期",
                "结业日期",
                "场地",
                "计划人数",
            ],
            vec![row(&[
                "T-09",
                "再培训",
                "16",
                "2026-03-02",
                "2026-03-02",
                "",
                "30",
            ])],
        ),
        (
            "课次",
            vec![
                "班级编号",
                "课次",
                "开始时间",
                "结束时间",
                "授课教师",
                "形式",
            ],
            vec![row(&[
                "T-09",
                "1",
                "2026-03-02 09:00",
                "2026-03-02 12:00",
                "周无名",
                "线下",
            ])],
        ),
    ];
    let r = upload(
        &h,
        "district",
        a.id,
        &anpei_import::training::write_sheets(&sheets).unwrap(),
    )
    .await;
    assert!(
        r.body
            .contains("课次 第2行 授课教师：本机构师资中没有“周无名”"),
        "{}",
        r.body
    );
    assert_eq!(training_records(store, None).await.classes.len(), 0);
    // The teacher of that upload was rolled back with it.
    assert_eq!(training_records(store, None).await.teachers.len(), 0);

    // A good file, uploaded by the district for institution A.
    let r = upload(&h, "district", a.id, &workbook(ID_A, "2026-03-02 12:00")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("已导入"), "{}", r.body);
    let all = training_records(store, None).await;
    let class = all.classes.into_iter().next().unwrap();
    assert_eq!(class.subject_id, a.id);
    let t = all.trainees.into_iter().next().unwrap();
    assert_eq!(t.id_masked, "110***********002X");
    assert!(!String::from_utf8_lossy(&t.id_enc).contains(ID_A));

    // The class page: schedule, teacher, roster masked, sign-in/out, score, video.
    let s = h.login("district").await;
    let page = h
        .get(Some(&s), &format!("/training/classes/{}", class.id))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for needle in [
        "孙老师",
        "钱学员",
        "110***********002X",
        "08:55—12:01",
        "86",
        "T-01-01.mp4",
        "180分钟",
    ] {
        assert!(
            page.body.contains(needle),
            "{needle} missing in:\n{}",
            page.body
        );
    }
    assert!(!page.body.contains(ID_A));
    // 2 sessions of 4 学时 (offline 180/45) and 6 学时 (online 180/30) = 10 < 32.
    assert!(page.body.contains("低于大纲学时"));

    // Re-uploading replaces the class with the same code.
    let r = upload(&h, "district", a.id, &workbook(ID_A, "2026-03-02 12:00")).await;
    assert!(r.body.contains("已导入"));
    let classes = training_records(store, None).await.classes;
    assert_eq!(classes.len(), 1);
    let class = classes.into_iter().next().unwrap();

    // Another institution's account: A's class and A's page answer 404; its own page opens.
    let other = h.login("institution").await;
    let r = h
        .get(Some(&other), &format!("/training/classes/{}", class.id))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h.get(Some(&other), &format!("/training/{}", a.id)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = upload(&h, "institution", a.id, &workbook(ID_A, "2026-03-02 12:00")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h.get(Some(&other), &format!("/training/{}", b.id)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("T-01"));

    // A department or town account may read but not upload.
    let r = upload(&h, "town", a.id, &workbook(ID_A, "2026-03-02 12:00")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The export: the upload's sheets, ID numbers masked.
    let r = h
        .get(Some(&s), &format!("/training/{}/export.xlsx", a.id))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[axum::http::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    let sheets = anpei_store::records::training::export(
        h.store(),
        &anpei_store::Scope::district_wide(),
        a.id,
        false,
    )
    .await
    .unwrap()
    .unwrap();
    let roster = sheets.iter().find(|s| s.0 == "学员").unwrap();
    assert_eq!(
        roster.2,
        vec![row(&["T-01", "钱学员", "110***********002X", "86"])]
    );
}

#[tokio::test]
async fn the_demo_has_a_short_class_and_a_double_booked_teacher() {
    let h = Harness::with_demo(40, 60).await;
    let n = anpei_store::records::training::load_demo(h.store())
        .await
        .unwrap();
    assert!(n >= 2, "{n}");
    let a = &institutions(&h).await[0];
    let s = h.login("district").await;
    let page = h.get(Some(&s), &format!("/training/{}", a.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("安全生产管理人员再培训"),
        "{}",
        page.body
    );
    let classes = training_records(h.store(), Some(a.id)).await.classes;
    assert_eq!(classes.len(), 2);
    // The 再培训 class: 4 sessions of 4 学时 as the syllabus says, but every trainee signs
    // out at 10:30, so each attended 4 × 2 = 8 学时 of 16.
    let file = anpei_store::records::training::class_file(
        h.store(),
        &anpei_store::Scope::district_wide(),
        classes[1].id,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(file.scheduled_hours, file.class.syllabus_hours);
    assert!(file
        .roster
        .iter()
        .all(|t| (t.attended_hours - 8.0).abs() < 1e-9));
    // 王建国 teaches the first session of both classes, at the same time.
    let one = anpei_store::records::training::class_file(
        h.store(),
        &anpei_store::Scope::district_wide(),
        classes[0].id,
    )
    .await
    .unwrap()
    .unwrap();
    let (x, y) = (&one.sessions[0], &file.sessions[0]);
    assert_eq!(x.teacher.as_deref(), Some("王建国"));
    assert_eq!(y.teacher.as_deref(), Some("王建国"));
    assert!(x.session.start_at < y.session.end_at && y.session.start_at < x.session.end_at);
    let s = h.login("district").await;
    let page = h
        .get(Some(&s), &format!("/training/classes/{}", classes[1].id))
        .await;
    assert!(page.body.contains("08:55—10:30"), "{}", page.body);
}

#[tokio::test]
async fn an_institutions_subject_page_links_to_its_records() {
    let h = Harness::with_demo(40, 100).await;
    let district = h.login("district").await;
    for (kind, link) in [
        ("training_institution", "/training/"),
        ("exam_site", "/exams/subjects/"),
        ("exam_institution", "/exams/subjects/"),
    ] {
        let filter = anpei_store::registry::subjects::SubjectFilter {
            kind: SubjectKind::from_code(kind),
            ..Default::default()
        };
        assert!(filter.kind.is_some(), "{kind}");
        let (found, _) = anpei_store::registry::subjects::list(
            h.store(),
            &Scope::district_wide(),
            &filter,
            1,
            1,
        )
        .await
        .unwrap();
        let s = found
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("the demo has a {kind}"));
        let page = h.get(Some(&district), &format!("/subjects/{}", s.id)).await;
        assert!(
            page.body.contains(&format!("{link}{}\"", s.id)),
            "{kind}'s page links to {link}{}",
            s.id
        );
        let records = h.get(Some(&district), &format!("{link}{}", s.id)).await;
        assert_eq!(records.status, StatusCode::OK, "{kind}");
    }
    h.db.cleanup().await;
}

const PHONE: &str = "13800138000";

/// A GET whose body is kept as bytes (an xlsx).
async fn get_bytes(h: &Harness, s: &common::Session, path: &str) -> (StatusCode, Vec<u8>) {
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

/// An institution's records by value (ID numbers and phones decrypted, rows sorted), to
/// compare two databases.
async fn snapshot(h: &Harness, subject_id: i32) -> Vec<Vec<String>> {
    let c = &h.store().crypto;
    let dec = |b: &[u8]| c.decrypt(b).unwrap();
    let mut out = Vec::new();
    let records = training_records(h.store(), Some(subject_id)).await;
    let teachers = records.teachers;
    let venues = records.venues;
    let classes = records.classes;
    let sessions = records.sessions;
    let trainees = records.trainees;
    let code = |id: i32| classes.iter().find(|x| x.id == id).unwrap().code.clone();
    for t in &teachers {
        out.push(vec![
            "师资".into(),
            t.name.clone(),
            dec(&t.id_enc),
            t.id_bidx.clone(),
            t.employment.clone(),
            t.qualification.clone(),
            format!("{:?}", t.phone_enc.as_deref().map(dec)),
            format!("{:?}", t.phone_bidx),
            format!("{:?}", t.phone_masked),
        ]);
    }
    for v in &venues {
        out.push(vec!["场地".into(), v.name.clone(), v.capacity.to_string()]);
    }
    for e in records.equipment {
        out.push(vec!["设备".into(), e.name, e.quantity.to_string()]);
    }
    for k in &classes {
        out.push(vec![
            "培训班".into(),
            k.code.clone(),
            k.course_type.clone(),
            k.syllabus_hours.to_string(),
            k.start_on.to_string(),
            k.end_on.to_string(),
            format!(
                "{:?}",
                k.venue_id
                    .map(|v| venues.iter().find(|x| x.id == v).unwrap().name.clone())
            ),
            k.capacity.to_string(),
        ]);
    }
    for x in &sessions {
        out.push(vec![
            "课次".into(),
            code(x.class_id),
            x.seq.to_string(),
            x.start_at.to_string(),
            x.end_at.to_string(),
            format!(
                "{:?}",
                x.teacher_id
                    .map(|t| teachers.iter().find(|y| y.id == t).unwrap().name.clone())
            ),
            x.mode.clone(),
            format!(
                "{:?} {:?} {:?}",
                x.video_file, x.video_sha256, x.video_seconds
            ),
        ]);
    }
    for t in &trainees {
        out.push(vec![
            "学员".into(),
            code(t.class_id),
            t.name.clone(),
            dec(&t.id_enc),
            t.id_bidx.clone(),
            t.id_masked.clone(),
            format!("{:?}", t.score),
        ]);
    }
    for a in records.attendance {
        let x = sessions.iter().find(|x| x.id == a.session_id).unwrap();
        let t = trainees.iter().find(|t| t.id == a.trainee_id).unwrap();
        out.push(vec![
            "签到".into(),
            code(x.class_id),
            x.seq.to_string(),
            dec(&t.id_enc),
            format!("{:?} {:?}", a.sign_in, a.sign_out),
        ]);
    }
    out.sort();
    out
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

#[tokio::test]
async fn a_teachers_phone_is_stored_encrypted_with_its_blind_index_and_shown_masked() {
    let h = Harness::with_demo(40, 60).await;
    let a = &institutions(&h).await[0];
    let r = upload(
        &h,
        "district",
        a.id,
        &workbook_with_phone(ID_A, "2026-03-02 12:00", Some(PHONE)),
    )
    .await;
    assert!(r.body.contains("已导入"), "{}", r.body);
    let t = training_records(h.store(), None)
        .await
        .teachers
        .into_iter()
        .next()
        .unwrap();
    // The blind index the shared-phone check (STAFF_CONFLICT) looks for.
    assert_eq!(
        t.phone_bidx.as_deref(),
        Some(h.store().crypto.phone_index(PHONE).as_str())
    );
    assert_eq!(t.phone_masked.as_deref(), Some("138****8000"));
    let enc = t.phone_enc.unwrap();
    assert!(!String::from_utf8_lossy(&enc).contains(PHONE));
    assert_eq!(h.store().crypto.decrypt(&enc).unwrap(), PHONE);

    // An older workbook without the column keeps the phone.
    let r = upload(&h, "district", a.id, &workbook(ID_A, "2026-03-02 12:00")).await;
    assert!(r.body.contains("已导入"), "{}", r.body);
    let s = h.login("district").await;
    let page = h.get(Some(&s), &format!("/training/{}", a.id)).await;
    assert!(page.body.contains("138****8000"), "{}", page.body);
    assert!(!page.body.contains(PHONE));
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_bad_phone_is_refused_with_its_row_and_nothing_is_written() {
    let h = Harness::with_demo(40, 60).await;
    let a = &institutions(&h).await[0];
    let r = upload(
        &h,
        "district",
        a.id,
        &workbook_with_phone(ID_A, "2026-03-02 12:00", Some("12345")),
    )
    .await;
    assert!(
        r.body
            .contains("师资 第2行 联系电话：应为11位手机号或带区号的固定电话"),
        "{}",
        r.body
    );
    assert!(r.body.contains("未导入任何内容"));
    let all = training_records(h.store(), None).await;
    assert_eq!(all.classes.len(), 0);
    assert_eq!(all.teachers.len(), 0);
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_full_export_uploads_into_a_fresh_database_as_the_same_records() {
    let h = Harness::with_demo(40, 60).await;
    anpei_store::records::training::load_demo(h.store())
        .await
        .unwrap();
    let a = institutions(&h).await[0].clone();
    let r = upload(
        &h,
        "district",
        a.id,
        &workbook_with_phone(ID_A, "2026-03-02 12:00", Some(PHONE)),
    )
    .await;
    assert!(r.body.contains("已导入"), "{}", r.body);
    let before = snapshot(&h, a.id).await;
    assert!(before.iter().any(|r| r[0] == "签到"));

    // The district sees both buttons and gets the full export, audited with its counts.
    let district = h.login("district").await;
    let page = h.get(Some(&district), &format!("/training/{}", a.id)).await;
    assert!(page.body.contains("id=\"training-export-full\""));
    assert!(page.body.contains("导出（脱敏）"));
    let (status, full) = get_bytes(
        &h,
        &district,
        &format!("/training/{}/export.xlsx?full=1", a.id),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let e = &audited(&h, "training_records.export").await[0];
    assert_eq!(e.result, "ok");
    assert!(e.detail.starts_with("full=1 师资4 "), "{}", e.detail);
    assert!(e.detail.contains("学员13"), "{}", e.detail);

    // The export's sheets and headers are the upload's.
    let book = anpei_import::sheets::read_sheets(&full).unwrap();
    let names: Vec<&str> = book.iter().map(|s| s.0.as_str()).collect();
    let expected: Vec<&str> = anpei_import::training::SHEETS.iter().map(|s| s.0).collect();
    assert_eq!(names, expected);
    for ((_, rows), (_, cols)) in book.iter().zip(anpei_import::training::SHEETS) {
        assert_eq!(rows[0], cols.to_vec());
    }
    let teachers = &book[0].1;
    assert!(teachers.iter().any(|r| r[1] == ID_B && r[4] == PHONE));

    // Uploaded into a fresh database for the same institution: the same records.
    let h2 = Harness::with_demo(40, 60).await;
    let a2 = institutions(&h2)
        .await
        .into_iter()
        .find(|s| s.uscc == a.uscc)
        .unwrap();
    let r = upload(&h2, "district", a2.id, &full).await;
    assert!(r.body.contains("已导入"), "{}", r.body);
    assert_eq!(snapshot(&h2, a2.id).await, before);
    // Uploaded again into the first database: still the same (classes replaced).
    let r = upload(&h, "district", a.id, &full).await;
    assert!(r.body.contains("已导入"), "{}", r.body);
    assert_eq!(snapshot(&h, a.id).await, before);

    // The masked export is unchanged: no full ID number or phone in it.
    let (status, masked) =
        get_bytes(&h, &district, &format!("/training/{}/export.xlsx", a.id)).await;
    assert_eq!(status, StatusCode::OK);
    let book = anpei_import::sheets::read_sheets(&masked).unwrap();
    let cells: Vec<&String> = book.iter().flat_map(|s| s.1.iter().flatten()).collect();
    assert!(cells.iter().any(|c| c.as_str() == "110***********002X"));
    assert!(cells.iter().any(|c| c.as_str() == "138****8000"));
    assert!(!cells
        .iter()
        .any(|c| c.as_str() == ID_A || c.as_str() == ID_B || c.as_str() == PHONE));
    let e = &audited(&h, "training_records.export").await[0];
    assert_eq!((e.result.as_str(), e.detail.as_str()), ("ok", ""));

    // The institution's town reads the records but may not export them in full (the
    // policy's default roles): 403, audited as failed; nor may the institution itself.
    let town =
        anpei_store::registry::reference::towns(h.store(), &anpei_store::Scope::district_wide())
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.id == a.town_id)
            .unwrap();
    demo::create_accounts(
        h.store(),
        &[
            DemoAccount {
                username: "town_of_a".into(),
                role: Role::Town,
                scope: town.name,
            },
            DemoAccount {
                username: "institution".into(),
                role: Role::Subject,
                scope: a.uscc.to_string(),
            },
        ],
    )
    .await
    .unwrap();
    let town = h.login("town_of_a").await;
    let page = h.get(Some(&town), &format!("/training/{}", a.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"training-export\""));
    assert!(!page.body.contains("training-export-full"));
    let r = h
        .get(
            Some(&town),
            &format!("/training/{}/export.xlsx?full=1", a.id),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("批量导出个人信息"), "{}", r.body);
    assert!(!r.body.contains(ID_A));
    let e = &audited(&h, "training_records.export").await[0];
    assert_eq!(
        (e.username.as_str(), e.result.as_str()),
        ("town_of_a", "failed")
    );
    assert!(e.detail.starts_with("full=1"), "{}", e.detail);
    let own = h.login("institution").await;
    let r = h
        .get(
            Some(&own),
            &format!("/training/{}/export.xlsx?full=1", a.id),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let e = &audited(&h, "training_records.export").await[0];
    assert_eq!(
        (e.username.as_str(), e.result.as_str()),
        ("institution", "failed")
    );
    let (status, _) = get_bytes(&h, &own, &format!("/training/{}/export.xlsx", a.id)).await;
    assert_eq!(status, StatusCode::OK);
    h.db.cleanup().await;
    h2.db.cleanup().await;
}

#[tokio::test]
async fn the_blank_class_file_template_downloads_for_business_users() {
    let h = Harness::with_demo(20, 20).await;
    let s = h.login("town").await;
    let r = h.get(Some(&s), "/training/template.xlsx").await;
    assert_eq!(r.status, StatusCode::OK);
    let disposition = r.headers[axum::http::header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap();
    assert!(
        disposition.contains("class-file-template.xlsx"),
        "{disposition}"
    );
    assert!(r.body.starts_with("PK"), "an xlsx is a zip");
    let admin = h.login("sysadmin").await;
    let r = h.get(Some(&admin), "/training/template.xlsx").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
