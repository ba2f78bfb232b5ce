//! 执法检查 through the real application: a town officer records an inspection with
//! a finding and a fine; a fine out of 《安全生产法》第九十七条's range is refused with the
//! range named and nothing stored; the finding is a problem (来源 执法检查); coverage moves;
//! a suspended exam site shows it; published typical cases are public without personal data,
//! drafts are not; scope holds (a town cannot inspect outside its town, a subject user
//! reaches none of it).

use crate::common;

use anpei_core::SubjectKind;
use anpei_store::enforcement::cases::{self, CaseRow};
use anpei_store::enforcement::{self, coverage, Qualification};
use anpei_store::model::Subject;
use anpei_store::testing::access;
use anpei_store::{platform::accounts, Scope};
use axum::http::StatusCode;
use common::{Harness, Session};

async fn scope_of(h: &Harness, username: &str) -> Scope {
    anpei_store::testing::scope_of(
        &accounts::find_user(h.store(), username)
            .await
            .unwrap()
            .unwrap(),
    )
}

/// The first subject (by id) matching `pred`.
async fn subject_where(h: &Harness, pred: impl Fn(&Subject) -> bool) -> Subject {
    access::subjects(h.store())
        .await
        .into_iter()
        .find(|s| pred(s))
        .expect("the demo district has such a subject")
}

fn inspection_id(location: &str) -> i32 {
    location
        .trim_start_matches("/inspections/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("a redirect to the inspection, got {location}"))
}

async fn record_inspection(h: &Harness, s: &Session, subject_id: i32, finding: &str) -> i32 {
    let today = h.store().today();
    let r = h
        .post_form(
            Some(s),
            "/inspections",
            &[
                ("subject_id", &subject_id.to_string()),
                ("inspected_on", &today.to_string()),
                ("inspectors", "王明 50011201\n李强 50011202"),
                ("notes", "查阅培训档案和证书台账"),
                ("result_E01", "noncompliant"),
                ("note_E01", finding),
                ("result_E02", "compliant"),
                ("result_S01", "compliant"),
                ("result_T01", "compliant"),
                ("result_X01", "compliant"),
                (
                    "rectify_deadline",
                    &(today + chrono::Days::new(30)).to_string(),
                ),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    inspection_id(r.location())
}

async fn action(
    h: &Harness,
    s: &Session,
    inspection: i32,
    fields: &[(&str, &str)],
) -> common::Reply {
    let today = h.store().today().to_string();
    let mut all = vec![
        ("decided_on", today.as_str()),
        ("decision_no", "渝北应急罚〔2027〕3号"),
    ];
    all.extend_from_slice(fields);
    h.post_multipart(
        Some(s),
        &format!("/inspections/{inspection}/actions?_csrf={}", s.csrf),
        &all,
        None,
    )
    .await
}

async fn actions_of(h: &Harness, subject_id: i32) -> u64 {
    enforcement::actions::list_for_subject(h.store(), &Scope::district_wide(), subject_id)
        .await
        .unwrap()
        .len() as u64
}

/// The typical cases drawn from actions on a subject, newest first.
async fn cases_of(h: &Harness, subject_id: i32) -> Vec<CaseRow> {
    cases::list(h.store(), &Scope::district_wide())
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.subject_id == Some(subject_id))
        .collect()
}

#[tokio::test]
async fn a_town_officer_records_an_inspection_with_a_finding_and_a_fine() {
    let h = Harness::with_demo(40, 300).await;
    // The demo district's current campaign (phases around the tests' start date).
    anpei_store::demo::campaign::load_demo(h.store(), &h.district)
        .await
        .unwrap();
    // Into the demo campaign's enforcement phase (it starts on the first of the month after
    // next: 38 days on from the tests' start), within the password's maximum age.
    h.db.clock.advance(chrono::Duration::days(45));
    let town_scope = scope_of(&h, "town").await;
    let anpei_store::Reach::Town(town_id) = town_scope.reach() else {
        panic!("the town account is scoped to a town")
    };
    let inside = subject_where(&h, |s| {
        s.town_id == town_id && s.kind == SubjectKind::Enterprise
    })
    .await;
    let outside = subject_where(&h, |s| s.town_id != town_id).await;
    let town = h.login("town").await;

    let window = coverage::window(h.store(), None, None)
        .await
        .unwrap()
        .unwrap();
    assert!(window.started && window.from <= h.store().today());
    let before = coverage::coverage(h.store(), &town_scope, window.from, window.to)
        .await
        .unwrap();

    let form = h
        .get(
            Some(&town),
            &format!("/inspections/new?subject_id={}", inside.id),
        )
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("逢查必考") && form.body.contains("E01"));

    let n0 = actions_of(&h, inside.id).await;
    let id = record_inspection(&h, &town, inside.id, "未制定年度安全培训计划").await;
    let page = h.get(Some(&town), &format!("/inspections/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("未制定年度安全培训计划"));
    assert!(page.body.contains("50011201"));

    // The finding is in the problem list, 来源 执法检查.
    let problems = h
        .get(
            Some(&town),
            &format!("/problems?subject_id={}&source=enforcement", inside.id),
        )
        .await;
    assert!(
        problems.body.contains("未制定年度安全培训计划"),
        "{}",
        problems.body
    );
    assert!(problems.body.contains("执法检查"));

    // A fine out of range is refused with the range named, and nothing is stored.
    let r = action(
        &h,
        &town,
        id,
        &[
            ("kind", "fine"),
            ("fine_stage", "ordered"),
            ("amount_unit", "100001"),
            ("text", "未按规定开展安全生产教育和培训"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("罚款金额超出《安全生产法》第九十七条规定的范围：对单位责令限期改正的，处10万元以下的罚款，本次填写100001元"),
        "{}",
        r.body
    );
    assert_eq!(actions_of(&h, inside.id).await, n0);
    let r = action(
        &h,
        &town,
        id,
        &[
            ("kind", "fine"),
            ("fine_stage", "not_corrected"),
            ("amount_unit", "150000"),
            ("persons", "张三 19999"),
            ("text", "逾期未改正"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("第1名责任人员填写19999元"), "{}", r.body);
    assert_eq!(actions_of(&h, inside.id).await, n0);

    // In range: stored, listed.
    let r = action(
        &h,
        &town,
        id,
        &[
            ("kind", "fine"),
            ("fine_stage", "ordered"),
            ("amount_unit", "100000"),
            ("text", "未按规定开展安全生产教育和培训，处罚款10万元"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(actions_of(&h, inside.id).await, n0 + 1);
    let list = h.get(Some(&town), "/enforcement/actions?kind=fine").await;
    assert!(list.body.contains("单位10万元"), "{}", list.body);

    // Coverage moves.
    let after = coverage::coverage(h.store(), &town_scope, window.from, window.to)
        .await
        .unwrap();
    assert_eq!(after.all.covered, before.all.covered + 1);
    assert_eq!(after.all.total, before.all.total);
    let page = h.get(Some(&town), "/enforcement/coverage").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("coverage-all"));
    let stats = enforcement::stats(h.store(), &town_scope, window.from, window.to)
        .await
        .unwrap();
    assert_eq!((stats.inspections, stats.findings), (1, 1));
    assert_eq!(stats.fines_total, 100_000);

    // Scope: not outside the town.
    let r = h
        .get(
            Some(&town),
            &format!("/inspections/new?subject_id={}", outside.id),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h
        .post_form(
            Some(&town),
            "/inspections",
            &[
                ("subject_id", &outside.id.to_string()),
                ("inspected_on", &h.store().today().to_string()),
                ("inspectors", "王明 50011201\n李强 50011202"),
                ("result_E01", "compliant"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A subject user reaches none of it.
    let ent = h.login("enterprise").await;
    for path in [
        "/inspections".to_string(),
        "/inspections/new".to_string(),
        format!("/inspections/{id}"),
        "/enforcement/coverage".into(),
        "/enforcement/actions".into(),
        "/enforcement/cases".into(),
    ] {
        let r = h.get(Some(&ent), &path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    let r = h
        .post_form(
            Some(&ent),
            "/inspections",
            &[("subject_id", &inside.id.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    h.db.cleanup().await;
}

#[tokio::test]
async fn an_inspection_needs_two_officers_and_a_finding_needs_its_text() {
    let h = Harness::with_demo(40, 300).await;
    let district = h.login("district").await;
    let s = subject_where(&h, |s| s.kind == SubjectKind::Enterprise).await;
    let r = h
        .post_form(
            Some(&district),
            "/inspections",
            &[
                ("subject_id", &s.id.to_string()),
                ("inspected_on", &h.store().today().to_string()),
                ("inspectors", "王明 50011201"),
                ("result_E01", "noncompliant"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("2名以上持有执法证"), "{}", r.body);
    assert!(r.body.contains("请写明发现的问题"), "{}", r.body);
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_suspended_exam_site_and_public_cases_without_personal_data() {
    let h = Harness::with_demo(40, 300).await;
    let district = h.login("district").await;
    let site = subject_where(&h, |s| {
        s.kind == SubjectKind::ExamSite && s.status == Qualification::Normal
    })
    .await;
    let id = record_inspection(&h, &district, site.id, "实操考场录像缺失").await;

    // Exam qualification actions are refused for an enterprise.
    let ent = subject_where(&h, |s| s.kind == SubjectKind::Enterprise).await;
    let ent_ins = record_inspection(&h, &district, ent.id, "台账不全").await;
    let r = action(
        &h,
        &district,
        ent_ins,
        &[("kind", "suspend_exam"), ("text", "暂停")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("只适用于考试点和考试机构"), "{}", r.body);

    let r = action(
        &h,
        &district,
        id,
        &[
            ("kind", "suspend_exam"),
            ("text", "监考人员纵容考生作弊，暂停考试资格"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let q = enforcement::exam_qualification(h.store(), site.id)
        .await
        .unwrap();
    assert_eq!(q.status, Qualification::Suspended);
    assert!(!q.status.may_hold_exams());
    let page = h
        .get(Some(&district), &format!("/subjects/{}", site.id))
        .await;
    assert!(page.body.contains("暂停考试资格"), "{}", page.body);
    // The timeline names the officers, not the stored JSON.
    assert!(page.body.contains("执法检查（检查人员："), "{}", page.body);
    assert!(!page.body.contains("cert_no"), "{}", page.body);
    let list = h
        .get(Some(&district), &format!("/subjects?q={}", site.uscc))
        .await;
    assert!(list.body.contains("暂停考试资格"));

    // 曝光: a draft whose body has no names, ID or phone numbers.
    let name = access::persons(h.store())
        .await
        .into_iter()
        .find(|p| p.subject_id == site.id)
        .map_or_else(|| "赵六".to_string(), |p| p.name);
    let text = format!(
        "经查，{}在2027年1月考试中，监考人员{name}（身份证号50011219800101123X，电话13812345678）向考生提示答案，责任人员赵六另案处理。",
        site.name
    );
    let r = action(
        &h,
        &district,
        id,
        &[
            ("kind", "fine"),
            ("fine_stage", "not_corrected"),
            ("amount_unit", "120000"),
            ("persons", "赵六 30000"),
            ("text", "逾期未改正，依法处罚"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = action(&h, &district, id, &[("kind", "expose"), ("text", &text)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let case = cases_of(&h, site.id).await.pop().expect("a draft case");
    assert!(!case.published);
    for secret in [name.as_str(), "50011219800101123X", "13812345678", "赵六"] {
        assert!(!case.body.contains(secret), "{secret} in {}", case.body);
    }
    let public = h.get(None, "/cases").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(!public.body.contains(&format!("/cases/{}\"", case.id)));
    let r = h.get(None, &format!("/cases/{}", case.id)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The district publishes it.
    let r = h
        .post_form(
            Some(&district),
            &format!("/enforcement/cases/{}/publish", case.id),
            &[("published", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let public = h.get(None, "/cases").await;
    assert!(public.body.contains(&format!("/cases/{}\"", case.id)));
    let r = h.get(None, &format!("/cases/{}", case.id)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("向考生提示答案"));
    for secret in [name.as_str(), "50011219800101123X", "13812345678", "赵六"] {
        assert!(!r.body.contains(secret), "{secret} on the public page");
    }
    // An edit cannot put a name back.
    let r = h
        .post_form(
            Some(&district),
            &format!("/enforcement/cases/{}", case.id),
            &[
                ("title", "考试点纵容作弊案"),
                ("body", &format!("{text}\n补充：赵六已被处罚。")),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = h.get(None, &format!("/cases/{}", case.id)).await;
    assert!(r.body.contains("考试点纵容作弊案") && !r.body.contains("赵六"));
    // Taken down: gone from the public pages.
    h.post_form(
        Some(&district),
        &format!("/enforcement/cases/{}/publish", case.id),
        &[("published", "0")],
    )
    .await;
    let r = h.get(None, &format!("/cases/{}", case.id)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A town cannot manage cases.
    let town = h.login("town").await;
    let r = h.get(Some(&town), "/enforcement/cases").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_failed_spot_test_is_flagged_on_the_persons_page() {
    let h = Harness::with_demo(40, 300).await;
    let district = h.login("district").await;
    let holder = access::persons(h.store()).await;
    let mut found = None;
    for p in holder {
        let hs = enforcement::holders(
            h.store(),
            &anpei_store::Scope::district_wide(),
            p.subject_id,
        )
        .await
        .unwrap();
        if let Some(x) = hs.into_iter().find(|x| x.person_id == p.id) {
            found = Some((p, x));
            break;
        }
    }
    let (p, _) = found.expect("a certificate holder");
    let today = h.store().today().to_string();
    let r = h
        .post_form(
            Some(&district),
            "/inspections",
            &[
                ("subject_id", &p.subject_id.to_string()),
                ("inspected_on", &today),
                ("inspectors", "王明 50011201\n李强 50011202"),
                ("result_E01", "compliant"),
                ("result_T01", "compliant"),
                ("result_S01", "compliant"),
                ("result_X01", "compliant"),
                ("spot_person", &p.id.to_string()),
                ("spot_score", "62"),
                ("spot_note", "应知应会多题答错"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = h.get(Some(&district), &format!("/persons/{}", p.id)).await;
    assert!(page.body.contains("逢查必考不合格"), "{}", page.body);
    h.db.cleanup().await;
}

/// A decision's document (决定书) follows the decision, not the subject it is about: the
/// inspected company's own account cannot open the inspection, so it gets 404 for the
/// document as for any record out of its reach; the town that inspected and the district
/// download it; a department gets it only when the inspection is in its scope.
#[tokio::test]
async fn a_decisions_document_goes_only_to_those_who_may_open_the_inspection() {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    let h = Harness::with_demo(40, 300).await;
    let anpei_store::Reach::Subject(company) = scope_of(&h, "enterprise").await.reach() else {
        panic!("the enterprise account is scoped to its subject")
    };
    let town = h.login("town").await;
    let id = record_inspection(&h, &town, company, "未建立安全培训档案").await;
    let today = h.store().today().to_string();
    let r = h
        .post_multipart(
            Some(&town),
            &format!("/inspections/{id}/actions?_csrf={}", town.csrf),
            &[
                ("decided_on", today.as_str()),
                ("decision_no", "渝北应急罚〔2027〕9号"),
                ("kind", "fine"),
                ("fine_stage", "ordered"),
                ("amount_unit", "20000"),
                ("text", "未如实记录安全生产教育和培训情况"),
            ],
            Some(("行政处罚决定书.png", PNG)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let doc = access::evidence_files(h.store())
        .await
        .into_iter()
        .find(|f| f.owner_kind == enforcement::DOCUMENT_OWNER)
        .expect("the document is kept");
    assert_eq!(doc.subject_id, Some(company));
    let path = format!("/evidence/{}", doc.id);

    let page = h.get(Some(&town), &format!("/inspections/{id}")).await;
    assert!(
        page.body.contains(&path),
        "the inspection links its document"
    );
    for user in ["town", "district"] {
        let s = h.login(user).await;
        let r = h.get(Some(&s), &path).await;
        assert_eq!(r.status, StatusCode::OK, "{user}: {}", r.body);
        // The reply's body is read as text: compare it read the same way.
        assert_eq!(r.body, String::from_utf8_lossy(PNG), "{user}");
    }

    // The company itself: neither the inspection nor its document.
    let ent = h.login("enterprise").await;
    let r = h.get(Some(&ent), &format!("/inspections/{id}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h.get(Some(&ent), &path).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(!r.body.contains("IHDR"));
    let audited = anpei_store::platform::audit::latest(h.store(), 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "evidence.download" && e.username == "enterprise")
        .count();
    assert_eq!(audited, 0, "a refused download reads nothing");

    // A department: as the inspection's own page answers it.
    let department = h.login("department").await;
    let dept_sees = enforcement::get(h.store(), &scope_of(&h, "department").await, id)
        .await
        .unwrap()
        .is_some();
    let page = h
        .get(Some(&department), &format!("/inspections/{id}"))
        .await;
    let r = h.get(Some(&department), &path).await;
    if dept_sees {
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(r.status, StatusCode::OK);
    } else {
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    h.db.cleanup().await;
}

#[tokio::test]
async fn numbers_written_in_groups_or_full_width_are_removed_and_leftovers_refuse_publishing() {
    let h = Harness::with_demo(40, 300).await;
    let district = h.login("district").await;
    let ent = subject_where(&h, |s| s.kind == SubjectKind::Enterprise).await;
    let id = record_inspection(&h, &district, ent.id, "特种作业人员无证上岗").await;
    let text = "经查，该单位安全员（电话138 0013 8000，备用+86 139-0013-9000）\
                安排无证人员上岗，其手机１３７００１３７０００，身份证号500112 19800101 123x。\n\
                执法证号 5001 1201。";
    let r = action(&h, &district, id, &[("kind", "expose"), ("text", text)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let case = cases_of(&h, ent.id)
        .await
        .into_iter()
        .next()
        .expect("a draft case");
    for gone in ["0013", "8000", "9000", "１３７", "19800101", "123x"] {
        assert!(!case.body.contains(gone), "{gone} in {}", case.body);
    }
    assert_eq!(
        case.body.matches("（电话号码已隐去）").count(),
        3,
        "{}",
        case.body
    );
    assert!(case.body.contains("（身份证号已隐去）"), "{}", case.body);

    // A number it cannot tell apart (the 8-digit certificate number) refuses publishing.
    let publish = format!("/enforcement/cases/{}/publish", case.id);
    let r = h
        .post_form(Some(&district), &publish, &[("published", "1")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("案例未发布")
            && r.body.contains("正文第2行")
            && r.body.contains("500***01"),
        "{}",
        r.body
    );
    assert_eq!(
        h.get(None, &format!("/cases/{}", case.id)).await.status,
        StatusCode::NOT_FOUND
    );
    let refused = anpei_store::platform::audit::latest(h.store(), 50)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == "enforcement.case.publish")
        .expect("the refusal is audited");
    assert_eq!(refused.result, "failed");

    // Rewritten without it, the case publishes; the public page shows no number.
    let body = case.body.replace("执法证号 5001 1201。", "已依法处理。");
    let edit = format!("/enforcement/cases/{}", case.id);
    let r = h
        .post_form(
            Some(&district),
            &edit,
            &[("title", "某企业无证上岗案"), ("body", &body)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = h
        .post_form(Some(&district), &publish, &[("published", "1")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let public = h.get(None, &format!("/cases/{}", case.id)).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("已依法处理"));
    for gone in ["0013", "8000", "１３７", "19800101", "5001"] {
        assert!(!public.body.contains(gone), "{gone} on the public page");
    }
    // A published case is not saved with such a number in it; the public text stays.
    let r = h
        .post_form(
            Some(&district),
            &edit,
            &[
                ("title", "某企业无证上岗案"),
                ("body", &format!("{body}\n证书编号 1234 5678 9。")),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("正文第3行"), "{}", r.body);
    let public = h.get(None, &format!("/cases/{}", case.id)).await;
    assert!(!public.body.contains("5678"));
    h.db.cleanup().await;
}

/// A decision and its document (文书) are one write: when the document's row cannot be
/// written, the decision is not kept either; once it can, both are.
#[tokio::test]
async fn a_decision_and_its_document_are_kept_together_or_not_at_all() {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    let h = Harness::with_demo(30, 200).await;
    let anpei_store::Reach::Subject(company) = scope_of(&h, "enterprise").await.reach() else {
        panic!("the enterprise account is scoped to its subject")
    };
    let town = h.login("town").await;
    let id = record_inspection(&h, &town, company, "未建立安全培训档案").await;
    let today = h.store().today().to_string();
    let path = format!("/inspections/{id}/actions?_csrf={}", town.csrf);
    let fields = [
        ("decided_on", today.as_str()),
        ("decision_no", "渝北应急罚〔2027〕11号"),
        ("kind", "fine"),
        ("fine_stage", "ordered"),
        ("amount_unit", "20000"),
        ("text", "未如实记录安全生产教育和培训情况"),
    ];
    let send = || {
        h.post_multipart(
            Some(&town),
            &path,
            &fields,
            Some(("行政处罚决定书.png", PNG)),
        )
    };
    let before = actions_of(&h, company).await;
    let documents = || async {
        access::evidence_files(h.store())
            .await
            .into_iter()
            .filter(|f| f.owner_kind == enforcement::DOCUMENT_OWNER)
            .count()
    };
    anpei_store::testing::execute_raw(
        h.store(),
        "ALTER TABLE evidence_files RENAME TO evidence_files_away",
    )
    .await
    .unwrap();
    let r = send().await;
    anpei_store::testing::execute_raw(
        h.store(),
        "ALTER TABLE evidence_files_away RENAME TO evidence_files",
    )
    .await
    .unwrap();
    assert!(r.status.is_server_error(), "{} {}", r.status, r.body);
    assert_eq!(
        actions_of(&h, company).await,
        before,
        "no decision without its document"
    );
    assert_eq!(documents().await, 0);
    let r = send().await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(actions_of(&h, company).await, before + 1);
    assert_eq!(documents().await, 1);
    h.db.cleanup().await;
}
