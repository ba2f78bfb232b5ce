//! The fifteen checks on training and exam records, end to end: two training
//! institutions upload their class files and two exam sites their exam workbooks through
//! the pages, as their users would; the district runs a scan; every check finds what was
//! planted, at the subject it belongs to, and shows on the findings pages. Fixing the
//! records and scanning again resolves the findings.

use crate::common;

use anpei_core::ids::IdNumber;
use anpei_core::kinds::SubjectKind;
use anpei_store::model;
use anpei_store::registry::subjects::{SubjectFilter, SubjectRow};
use anpei_store::Scope;
use axum::http::StatusCode;
use common::Harness;
use std::collections::BTreeSet;

type Sheet = (&'static str, Vec<&'static str>, Vec<Vec<String>>);

/// A valid ID number: area 110105, born 1980-01-01 + `n` days, sequence `n`.
fn id(n: u32) -> String {
    let born = chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap() + chrono::Days::new(n.into());
    let first17 = format!("110105{}{:03}", born.format("%Y%m%d"), n % 1000);
    let c = IdNumber::check_char(&first17).unwrap();
    let s = format!("{first17}{c}");
    IdNumber::parse(&s).expect("valid");
    s
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

const TEACHER_SUN: u32 = 1;
const TEACHER_ZHOU: u32 = 2;
const PROCTOR_ZHAO: u32 = 3;
const PATROL_QIAN: u32 = 4;
const ZHOU_PHONE: &str = "13900000002";

fn trainee(i: u32) -> String {
    id(100 + i)
}

fn class_headers() -> Vec<&'static str> {
    vec![
        "班级编号",
        "培训类型",
        "大纲学时",
        "开班日期",
        "结业日期",
        "场地",
        "计划人数",
    ]
}

fn session_headers() -> Vec<&'static str> {
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
    ]
}

/// Institution A: class A-01 with 32 syllabus hours scheduled for 8, twelve trainees on a
/// roster of five, all scoring 100; the first trainee signs in to session 1 only.
fn class_file_a() -> Vec<u8> {
    let trainees: Vec<Vec<String>> = (0..12)
        .map(|i| vec!["A-01".into(), format!("学员{i}"), trainee(i), "100".into()])
        .collect();
    let sheets: Vec<Sheet> = vec![
        (
            "师资",
            vec!["姓名", "身份证号", "专兼职", "资质", "联系电话"],
            vec![
                row(&[
                    "孙老师",
                    &id(TEACHER_SUN),
                    "专职",
                    "注册安全工程师",
                    "13800000001",
                ]),
                row(&[
                    "周老师",
                    &id(TEACHER_ZHOU),
                    "兼职",
                    "高级工程师",
                    ZHOU_PHONE,
                ]),
            ],
        ),
        (
            "场地",
            vec!["场地名称", "容纳人数"],
            vec![row(&["一号教室", "50"])],
        ),
        (
            "设备",
            vec!["设备名称", "数量"],
            vec![row(&["模拟人", "2"])],
        ),
        (
            "培训班",
            class_headers(),
            vec![row(&[
                "A-01",
                "特种作业初次培训",
                "32",
                "2026-06-01",
                "2026-06-05",
                "一号教室",
                "5",
            ])],
        ),
        (
            "课次",
            session_headers(),
            vec![
                row(&[
                    "A-01",
                    "1",
                    "2026-06-01 09:00",
                    "2026-06-01 12:00",
                    "孙老师",
                    "线下",
                    "",
                    "",
                    "",
                ]),
                row(&[
                    "A-01",
                    "2",
                    "2026-06-02 09:00",
                    "2026-06-02 12:00",
                    "周老师",
                    "线下",
                    "",
                    "",
                    "",
                ]),
            ],
        ),
        (
            "学员",
            vec!["班级编号", "姓名", "身份证号", "考核成绩"],
            trainees,
        ),
        (
            "签到",
            vec!["班级编号", "课次", "身份证号", "签到时间", "签退时间"],
            vec![row(&[
                "A-01",
                "1",
                &trainee(0),
                "2026-06-01 08:55",
                "2026-06-01 12:00",
            ])],
        ),
    ];
    anpei_import::training::write_sheets(&sheets).unwrap()
}

/// Institution B: the same teacher (by ID number) teaching 10:00–11:00 on the morning he
/// teaches at A, and A's first trainee signed in there too. One hour of a one-hour class.
fn class_file_b() -> Vec<u8> {
    let sheets: Vec<Sheet> = vec![
        (
            "师资",
            vec!["姓名", "身份证号", "专兼职"],
            vec![row(&["孙老师", &id(TEACHER_SUN), "兼职"])],
        ),
        (
            "培训班",
            class_headers(),
            vec![row(&[
                "B-01",
                "再培训",
                "1",
                "2026-06-01",
                "2026-06-01",
                "",
                "30",
            ])],
        ),
        (
            "课次",
            session_headers(),
            vec![row(&[
                "B-01",
                "1",
                "2026-06-01 10:00",
                "2026-06-01 11:00",
                "孙老师",
                "线下",
                "",
                "",
                "",
            ])],
        ),
        (
            "学员",
            vec!["班级编号", "姓名", "身份证号", "考核成绩"],
            vec![row(&["B-01", "学员0", &trainee(0), "78"])],
        ),
        (
            "签到",
            vec!["班级编号", "课次", "身份证号", "签到时间", "签退时间"],
            vec![row(&[
                "B-01",
                "1",
                &trainee(0),
                "2026-06-01 10:00",
                "2026-06-01 11:00",
            ])],
        ),
    ];
    anpei_import::training::write_sheets(&sheets).unwrap()
}

fn sheet(name: &str, rows: Vec<Vec<String>>) -> anpei_import::sheets::Sheet {
    (name.to_string(), rows)
}

fn strs(cells: &[&str]) -> Vec<String> {
    row(cells)
}

/// Exam site S:
/// - S1 in plan P1, 09:00–11:00, a 100-minute recording, proctor 孙老师 (A's teacher)
///   arriving at 09:10 with a credential, proctor 赵 without one, 30 candidates all passed
///   (the first twelve are A's trainees);
/// - S2 with no plan and no recording, a paper exam of high-risk managers;
/// - S3 in plan P1 but starting before it, its recording deleted in August;
/// - a credential of 钱巡考, whose phone is 周老师's; an expired equipment certificate.
fn exam_workbook_s() -> Vec<u8> {
    let mut candidates = vec![strs(&["场次编号", "姓名", "身份证号", "成绩", "是否合格"])];
    for i in 0..30 {
        candidates.push(vec![
            "S1".into(),
            format!("考生{i}"),
            trainee(i),
            format!("{}", 80 + i % 20),
            "合格".into(),
        ]);
    }
    anpei_import::sheets::write_sheets(&[
        sheet(
            "考试计划",
            vec![
                strs(&["计划编号", "开始时间", "结束时间", "考试类别", "计划人数"]),
                strs(&[
                    "P1",
                    "2026-07-01 08:00",
                    "2026-07-01 18:00",
                    "电工作业",
                    "40",
                ]),
            ],
        ),
        sheet(
            "考试场次",
            vec![
                strs(&[
                    "场次编号",
                    "计划编号",
                    "考场",
                    "开始时间",
                    "结束时间",
                    "考试系统",
                    "考试类别",
                    "高危行业负责人考试",
                ]),
                strs(&[
                    "S1",
                    "P1",
                    "第一考场",
                    "2026-07-01 09:00",
                    "2026-07-01 11:00",
                    "国家考试系统",
                    "电工作业",
                    "否",
                ]),
                strs(&[
                    "S2",
                    "",
                    "第二考场",
                    "2026-07-03 09:00",
                    "2026-07-03 11:00",
                    "纸质考试",
                    "危险化学品主要负责人",
                    "是",
                ]),
                strs(&[
                    "S3",
                    "P1",
                    "第三考场",
                    "2026-07-01 07:00",
                    "2026-07-01 08:30",
                    "国家考试系统",
                    "电工作业",
                    "否",
                ]),
            ],
        ),
        sheet(
            "考务人员",
            vec![
                strs(&[
                    "场次编号",
                    "姓名",
                    "身份证号",
                    "角色",
                    "到岗时间",
                    "离岗时间",
                ]),
                strs(&[
                    "S1",
                    "孙老师",
                    &id(TEACHER_SUN),
                    "监考员",
                    "2026-07-01 09:10",
                    "2026-07-01 11:00",
                ]),
                strs(&[
                    "S1",
                    "赵监考",
                    &id(PROCTOR_ZHAO),
                    "监考员",
                    "2026-07-01 08:50",
                    "2026-07-01 11:00",
                ]),
            ],
        ),
        sheet("考生成绩", candidates),
        sheet(
            "考试录像",
            vec![
                strs(&[
                    "场次编号",
                    "文件名",
                    "SHA-256",
                    "时长（分钟）",
                    "存储位置",
                    "删除日期",
                ]),
                strs(&[
                    "S1",
                    "第一考场.mp4",
                    &"ab".repeat(32),
                    "100",
                    "录像服务器",
                    "",
                ]),
                strs(&[
                    "S3",
                    "第三考场.mp4",
                    &"cd".repeat(32),
                    "90",
                    "录像服务器",
                    "2026-08-01",
                ]),
            ],
        ),
        sheet(
            "考务证件",
            vec![
                strs(&[
                    "姓名",
                    "身份证号",
                    "证件类别",
                    "证件编号",
                    "有效期起",
                    "有效期至",
                    "联系电话",
                ]),
                strs(&[
                    "孙老师",
                    &id(TEACHER_SUN),
                    "监考员证",
                    "JK001",
                    "2025-01-01",
                    "2027-12-31",
                    "",
                ]),
                strs(&[
                    "钱巡考",
                    &id(PATROL_QIAN),
                    "巡考员证",
                    "XK001",
                    "2025-01-01",
                    "2027-12-31",
                    ZHOU_PHONE,
                ]),
            ],
        ),
        sheet(
            "考试设备",
            vec![
                strs(&["设备名称", "检验合格证编号", "有效期至"]),
                strs(&["低压电工实训台", "JY-01", "2026-01-31"]),
            ],
        ),
    ])
    .unwrap()
}

/// Exam site T: one 电工作业 session of 40 candidates of whom 16 passed, otherwise in order.
fn exam_workbook_t() -> Vec<u8> {
    let mut candidates = vec![strs(&["场次编号", "姓名", "身份证号", "成绩", "是否合格"])];
    for i in 0..40 {
        let passed = i < 16;
        candidates.push(vec![
            "T1".into(),
            format!("考生T{i}"),
            id(500 + i),
            format!("{}", if passed { 82 } else { 60 + i % 15 }),
            if passed { "合格" } else { "不合格" }.into(),
        ]);
    }
    anpei_import::sheets::write_sheets(&[
        sheet(
            "考试计划",
            vec![
                strs(&["计划编号", "开始时间", "结束时间", "考试类别", "计划人数"]),
                strs(&[
                    "P1",
                    "2026-07-02 08:00",
                    "2026-07-02 18:00",
                    "电工作业",
                    "40",
                ]),
            ],
        ),
        sheet(
            "考试场次",
            vec![
                strs(&[
                    "场次编号",
                    "计划编号",
                    "考场",
                    "开始时间",
                    "结束时间",
                    "考试系统",
                    "考试类别",
                ]),
                strs(&[
                    "T1",
                    "P1",
                    "第一考场",
                    "2026-07-02 09:00",
                    "2026-07-02 11:00",
                    "国家考试系统",
                    "电工作业",
                ]),
            ],
        ),
        sheet(
            "考务人员",
            vec![
                strs(&[
                    "场次编号",
                    "姓名",
                    "身份证号",
                    "角色",
                    "到岗时间",
                    "离岗时间",
                ]),
                strs(&[
                    "T1",
                    "吴监考",
                    &id(9),
                    "监考员",
                    "2026-07-02 08:30",
                    "2026-07-02 11:05",
                ]),
            ],
        ),
        sheet("考生成绩", candidates),
        sheet(
            "考试录像",
            vec![
                strs(&["场次编号", "文件名", "SHA-256", "时长（分钟）", "存储位置"]),
                strs(&["T1", "T1.mp4", &"ef".repeat(32), "121", "录像服务器"]),
            ],
        ),
        sheet(
            "考务证件",
            vec![
                strs(&[
                    "姓名",
                    "身份证号",
                    "证件类别",
                    "证件编号",
                    "有效期起",
                    "有效期至",
                ]),
                strs(&[
                    "吴监考",
                    &id(9),
                    "监考员证",
                    "JK009",
                    "2025-01-01",
                    "2027-12-31",
                ]),
            ],
        ),
        sheet(
            "考试设备",
            vec![
                strs(&["设备名称", "检验合格证编号", "有效期至"]),
                strs(&["高压电工实训台", "JY-09", "2027-06-30"]),
            ],
        ),
    ])
    .unwrap()
}

async fn subjects_of(h: &Harness, kinds: &[SubjectKind]) -> Vec<SubjectRow> {
    let mut all = Vec::new();
    for k in kinds {
        let filter = SubjectFilter {
            kind: Some(*k),
            ..Default::default()
        };
        let (rows, total) = anpei_store::registry::subjects::list(
            h.store(),
            &Scope::district_wide(),
            &filter,
            1,
            100_000,
        )
        .await
        .unwrap();
        assert_eq!(rows.len() as u64, total);
        all.extend(rows);
    }
    all.sort_by_key(|s| s.id);
    let mut v = Vec::new();
    for s in all {
        let q = anpei_store::enforcement::exam_qualification(h.store(), s.id)
            .await
            .unwrap();
        if q.status.may_hold_exams() {
            v.push(s);
        }
    }
    v
}

async fn upload(h: &Harness, path: &str, bytes: &[u8]) {
    let s = h.login("district").await;
    let r = h
        .post_multipart(
            Some(&s),
            &format!("{path}?_csrf={}", s.csrf),
            &[],
            Some(("记录.xlsx", bytes)),
        )
        .await;
    assert!(
        r.status == StatusCode::OK || r.status == StatusCode::SEE_OTHER,
        "{path}: {} {}",
        r.status,
        r.body
    );
    assert!(
        !r.body.contains("未导入任何内容"),
        "{path} refused: {}",
        r.body
    );
}

async fn scan(h: &Harness) {
    let s = h.login("district").await;
    let r = h
        .post_form(Some(&s), "/findings/scan", &[("_csrf", s.csrf.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

/// Open findings as (rule, subject id) with their details.
async fn open_findings(h: &Harness) -> Vec<model::Finding> {
    anpei_store::testing::records::findings_in_status(h.store(), "open").await
}

#[tokio::test]
async fn every_records_check_finds_what_the_uploaded_workbooks_hold_and_a_fix_resolves_it() {
    let h = Harness::with_demo(40, 60).await;
    let training = subjects_of(&h, &[SubjectKind::TrainingInstitution]).await;
    let sites = subjects_of(&h, &[SubjectKind::ExamSite, SubjectKind::ExamInstitution]).await;
    assert!(training.len() >= 2 && sites.len() >= 2, "the demo has them");
    let (a, b) = (&training[0], &training[1]);
    let (s, t) = (&sites[0], &sites[1]);

    // The ledger's findings first; the uploads then re-check the records of the whole
    // district (B's upload finds the teacher A shares with it, at A too) and leave the
    // ledger's findings alone; a district scan afterwards finds the same.
    scan(&h).await;
    let ledger_keys = |v: &[model::Finding]| -> BTreeSet<String> {
        v.iter()
            .filter(|f| f.person_id.is_some())
            .map(|f| f.finding_key.clone())
            .collect()
    };
    let records_keys = |v: &[model::Finding]| -> BTreeSet<String> {
        v.iter()
            .filter(|f| f.person_id.is_none())
            .map(|f| f.finding_key.clone())
            .collect()
    };
    let ledger_before = ledger_keys(&open_findings(&h).await);
    upload(&h, &format!("/training/{}/import", a.id), &class_file_a()).await;
    upload(&h, &format!("/training/{}/import", b.id), &class_file_b()).await;
    let s_path = format!("/exams/subjects/{}/import", s.id);
    upload(&h, &s_path, &exam_workbook_s()).await;
    let t_path = format!("/exams/subjects/{}/import", t.id);
    upload(&h, &t_path, &exam_workbook_t()).await;
    let after_uploads = open_findings(&h).await;
    assert_eq!(ledger_keys(&after_uploads), ledger_before);
    assert!(after_uploads
        .iter()
        .any(|f| f.rule == "TEACHER_DOUBLE_BOOKED" && f.subject_id == a.id));
    scan(&h).await;

    let found = open_findings(&h).await;
    assert_eq!(records_keys(&found), records_keys(&after_uploads));
    assert_eq!(ledger_keys(&found), ledger_before);
    let at = |rule: &str, subject: i32| -> Vec<&model::Finding> {
        found
            .iter()
            .filter(|f| f.rule == rule && f.subject_id == subject)
            .collect()
    };
    let expect = |rule: &str, subject: &SubjectRow, n: usize| {
        let got = at(rule, subject.id);
        assert_eq!(
            got.len(),
            n,
            "{rule} at {}: {:#?}",
            subject.name,
            found
                .iter()
                .filter(|f| f.rule == rule)
                .map(|f| (&f.subject_id, &f.detail))
                .collect::<Vec<_>>()
        );
        got
    };
    // scheduled 8 of 32 hours (one finding), and each of the 12 trainees short.
    let short = expect("CLASS_HOURS_SHORT", a, 13);
    assert!(short
        .iter()
        .any(|f| f.who_name.is_none() && f.detail.contains("A-01")));
    assert_eq!(short.iter().filter(|f| f.who_name.is_some()).count(), 12);
    expect("CLASS_HOURS_SHORT", b, 0);
    expect("CLASS_OVER_CAPACITY", a, 1);
    expect("UNIFORM_SCORES", a, 1);
    // 孙老师 teaches at A and B at once; trainee 0 signs in at both: one for each side.
    for rule in ["TEACHER_DOUBLE_BOOKED", "TRAINEE_DOUBLE_BOOKED"] {
        expect(rule, a, 1);
        expect(rule, b, 1);
    }
    // S2 has no plan, S3 starts before P1.
    expect("EXAM_OUTSIDE_PLAN", s, 2);
    expect("EXAM_VIDEO_MISSING", s, 1);
    expect("EXAM_VIDEO_SHORT", s, 1);
    expect("EXAM_VIDEO_RETENTION", s, 1);
    let no_cred = expect("PROCTOR_NO_CREDENTIAL", s, 1);
    assert_eq!(no_cred[0].who_name.as_deref(), Some("赵监考"));
    let absent = expect("PROCTOR_ABSENT", s, 1);
    assert_eq!(absent[0].who_name.as_deref(), Some("孙老师"));
    expect("HIGH_RISK_PAPER_EXAM", s, 1);
    expect("FACILITY_INSPECTION_EXPIRED", s, 1);
    // 孙老师 (same ID) is confirmed with A and with B, 钱巡考 (周老师's phone) suspected
    // with A; each on both sides.
    let conflict = expect("STAFF_CONFLICT", s, 3);
    assert!(conflict.iter().any(|f| f.detail.contains("疑似")));
    assert!(conflict.iter().any(|f| !f.detail.contains("疑似")));
    expect("STAFF_CONFLICT", a, 2);
    expect("STAFF_CONFLICT", b, 1);
    // S: 30 of 30 passed against T's 16 of 40. A's twelve trainees are too few to judge.
    let rate = expect("PASS_RATE_ANOMALY", s, 1);
    assert!(rate[0].detail.contains("电工作业"), "{}", rate[0].detail);
    expect("PASS_RATE_ANOMALY", a, 0);
    // T's records are in order (its ledger of persons may not be).
    let at_t: BTreeSet<&str> = found
        .iter()
        .filter(|f| f.subject_id == t.id && f.person_id.is_none())
        .map(|f| f.rule.as_str())
        .collect();
    assert!(at_t.is_empty(), "{at_t:?}");
    // Every check found something.
    let rules: BTreeSet<&str> = found.iter().map(|f| f.rule.as_str()).collect();
    for r in anpei_core::ledger::rules::Rule::RECORDS {
        assert!(rules.contains(r.code()), "{r} found nothing");
    }
    // No full ID number in any detail.
    for f in &found {
        for n in [TEACHER_SUN, TEACHER_ZHOU, PROCTOR_ZHAO, PATROL_QIAN] {
            assert!(!f.detail.contains(&id(n)), "{}", f.detail);
        }
    }

    // The pages: the findings list filters by the new rule, the detail links to the
    // exam session, the town of the site sees it and the site's timeline has it.
    let d = h.login("district").await;
    let r = h
        .get(Some(&d), "/findings?rule=PROCTOR_NO_CREDENTIAL")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("赵监考") && r.body.contains("考务人员无有效证件"));
    let f = no_cred[0];
    let r = h.get(Some(&d), &format!("/findings/{}", f.id)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("/exams/sessions/"), "{}", r.body);
    let r = h.get(Some(&d), &format!("/subjects/{}", s.id)).await;
    assert!(r.body.contains("id=\"subject-timeline\"") && r.body.contains("考务人员无有效证件"));
    // The institution's and the site's own pages list their open findings.
    let r = h.get(Some(&d), &format!("/training/{}", a.id)).await;
    assert!(r.body.contains("id=\"record-findings\"") && r.body.contains("培训班超员"));
    let r = h.get(Some(&d), &format!("/exams/subjects/{}", s.id)).await;
    assert!(r.body.contains("考试录像未保存满三年") && r.body.contains("赵监考"));
    // The API lists them too, with no ledger person and the person concerned by name.
    let token = h.api_token("district").await;
    let r = h
        .api_get(&token, "/api/v1/findings?rule=PROCTOR_NO_CREDENTIAL")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let item = &v["items"][0];
    assert!(item["person_id"].is_null(), "{item}");
    assert_eq!(item["person_name"], "赵监考");
    assert_eq!(v["total"], 1);
    let r = h.get(Some(&d), "/rules").await;
    assert!(r.body.contains("PASS_RATE_ANOMALY") && r.body.contains("z 临界值"));

    // The site renews its equipment certificate: the next daily run (reminders and the
    // district scan) resolves that finding.
    anpei_store::testing::records::renew_exam_equipment(
        h.store(),
        s.id,
        chrono::NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
    )
    .await;
    let run = anpei_store::platform::jobs::daily_reminders(h.store(), h.store().today(), "test")
        .await
        .unwrap();
    assert!(matches!(run, anpei_store::platform::jobs::DailyRun::Ran(_)));
    let again = open_findings(&h).await;
    assert!(!again
        .iter()
        .any(|f| f.rule == "FACILITY_INSPECTION_EXPIRED"));
    assert_eq!(again.len(), found.len() - 1);
}
