//! 考核督查, 总结报告 and 通报 on a small demo district with a campaign of the
//! test's own, whose records are known: the indicators of one town, a supervisors' finding
//! becoming a problem of that town, the ranking's order, summaries on time / late / missing
//! with reminders sent once, the bulletin's Word document against the database, and scope.

use crate::common;
use anpei_core::tipoff::Status as TipoffStatus;

use anpei_store::campaign::problems::{insert_new, NewProblem, Source};
use anpei_store::campaign::selfcheck::SelfcheckStatus;
use anpei_store::campaign::supervision::{self as sv, Unit};
use anpei_store::campaign::{self as campaigns, CampaignInfo};
use anpei_store::enforcement::InspectionStatus;
use anpei_store::platform::accounts;
use anpei_store::platform::audit::Actor;
use anpei_store::registry::subjects::{self, SubjectFilter, SubjectInput, SubjectRow};
use anpei_store::testing::{campaign as support, execute_raw};
use anpei_store::Scope;
use axum::http::StatusCode;
use chrono::NaiveDate;
use common::Harness;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The test's campaign: enforcement running today (2026-11-24), summaries due 2026-12-01.
async fn campaign(h: &Harness) -> CampaignInfo {
    use anpei_core::campaign::{CampaignDraft, Phase, PhaseKind};
    let phase = |kind: PhaseKind, name: &str, a: &str, b: &str| Phase {
        kind,
        name: name.into(),
        starts_on: d(a),
        ends_on: d(b),
    };
    let draft = CampaignDraft {
        name: "督查测试专项整治".into(),
        issuing_office: "测试区安全生产委员会办公室".into(),
        doc_text: "测试".into(),
        catalogue_version: 1,
        summary_due: d("2026-12-01"),
        phases: vec![
            phase(
                PhaseKind::SelfInspection,
                "自查自改",
                "2026-09-01",
                "2026-10-31",
            ),
            phase(
                PhaseKind::Enforcement,
                "执法检查",
                "2026-11-01",
                "2026-11-30",
            ),
            phase(
                PhaseKind::Supervision,
                "考核督查",
                "2026-12-01",
                "2026-12-10",
            ),
            phase(PhaseKind::Summary, "总结提升", "2026-12-11", "2026-12-31"),
        ],
    };
    let txn = h.store().write().await.unwrap();
    let id = campaigns::insert_draft(&*txn, &draft, None, h.store().now())
        .await
        .unwrap();
    txn.commit().await.unwrap();
    campaigns::get(h.store(), id).await.unwrap().unwrap()
}

/// The subjects of the district (of one town, when given), by id.
async fn subjects_of(h: &Harness, town: Option<i32>) -> Vec<SubjectRow> {
    let f = SubjectFilter {
        town_id: town,
        ..Default::default()
    };
    let (mut all, _) = subjects::list(h.store(), &Scope::district_wide(), &f, 1, 100_000)
        .await
        .unwrap();
    all.sort_by_key(|s| s.id);
    all
}

/// The town of the demo `town` account, and its subjects.
async fn town_and_subjects(h: &Harness) -> (i32, Vec<SubjectRow>) {
    let u = accounts::find_user(h.store(), "town")
        .await
        .unwrap()
        .unwrap();
    let t = u.scope_town_id.unwrap();
    // At least three subjects in the town: move others in if the demo put fewer there (as
    // the district edits a subject's town, every other field as it was).
    let others: Vec<SubjectRow> = subjects_of(h, None)
        .await
        .into_iter()
        .filter(|s| s.town_id != t)
        .take(2)
        .collect();
    for s in others {
        let input = SubjectInput {
            uscc: s.uscc.clone(),
            name: s.name.clone(),
            kind: s.kind.clone(),
            industry: s.industry.clone().unwrap_or_default(),
            town_id: t.to_string(),
            address: s.address.clone().unwrap_or_default(),
            contact_name: s.contact_name.clone().unwrap_or_default(),
            // Empty: the stored phone is kept.
            contact_phone: String::new(),
        };
        subjects::update(
            h.store(),
            &Scope::district_wide(),
            &Actor::system("test"),
            s.id,
            &input,
        )
        .await
        .unwrap();
    }
    let subjects = subjects_of(h, Some(t)).await;
    (t, subjects)
}

/// Removes what the demo's enforcement data set put in (inspections, actions, cases,
/// tip-offs), so that the test's own records are all there is.
async fn clear_enforcement(h: &Harness) {
    for table in [
        "spot_tests",
        "inspection_items",
        "enforcement_actions",
        "inspections",
        "typical_cases",
        "exam_qualifications",
        "tipoff_events",
        "tipoffs",
    ] {
        execute_raw(h.store(), &format!("DELETE FROM {table}"))
            .await
            .unwrap();
    }
}

/// Known records of the town in campaign `cid`: 2 self-inspections submitted, 1 completed
/// inspection (and 1 draft, which does not count), 3 problems (1 closed, 1 overdue, 1 open),
/// 3 tip-offs assigned (1 closed on time, 1 open past its deadline, 1 open within it).
async fn seed_town(h: &Harness, cid: i32, town: i32, subjects: &[SubjectRow]) {
    clear_enforcement(h).await;
    let now = h.store().now();
    assert!(subjects.len() >= 3, "the town has at least three subjects");
    for s in &subjects[..2] {
        support::add_self_inspection(h.store(), cid, s.id, SelfcheckStatus::Submitted, Some(now))
            .await;
    }
    for status in [InspectionStatus::Completed, InspectionStatus::Draft] {
        support::add_inspection(
            h.store(),
            Some(cid),
            subjects[0].id,
            Some(town),
            d("2026-11-10"),
            status,
        )
        .await;
    }
    let txn = h.store().write().await.unwrap();
    let mut ids = Vec::new();
    for (i, deadline) in ["2026-12-31", "2026-11-01", "2026-12-31"]
        .iter()
        .enumerate()
    {
        let id = insert_new(
            &*txn,
            &h.store().crypto,
            now,
            NewProblem {
                campaign_id: Some(cid),
                subject_id: subjects[i % subjects.len()].id,
                source: Source::Enforcement,
                source_ref: None,
                item_code: None,
                description: format!("测试问题{i}"),
                measures: "整改".into(),
                deadline: d(deadline),
                responsible_name: "责任人甲某".into(),
                responsible_phone: Some("13912345678".into()),
                created_by: None,
                by_name: "测试".into(),
            },
        )
        .await
        .unwrap();
        ids.push(id);
    }
    txn.commit().await.unwrap();
    support::set_problem_status(
        h.store(),
        ids[0],
        anpei_store::campaign::problems::ProblemStatus::Closed,
    )
    .await;
    // accepted, status, closed on
    let tips = [
        ("2026-10-01", TipoffStatus::Closed, Some("2026-10-20")),
        ("2026-09-02", TipoffStatus::Assigned, None),
        ("2026-11-20", TipoffStatus::Assigned, None),
    ];
    for (n, (accepted, status, closed)) in tips.iter().enumerate() {
        support::add_tipoff(
            h.store(),
            &format!("JBTEST{n}"),
            "举报人王某某",
            town,
            d(accepted),
            *status,
            closed.map(d),
        )
        .await;
    }
}

/// One fine (30,000 on the unit, 5,000 on persons), one referral to the judicial organs,
/// and a published typical case, in the campaign's period.
async fn seed_enforcement(h: &Harness, subject_id: i32) {
    for (kind, unit, persons) in [
        ("fine", Some(30_000), Some(5_000)),
        ("refer_judicial", None, None),
    ] {
        support::add_enforcement_action(
            h.store(),
            subject_id,
            kind,
            &format!("测试罚〔2026〕{kind}"),
            d("2026-11-15"),
            unit,
            persons,
        )
        .await;
    }
    support::add_published_case(
        h.store(),
        "某培训机构压缩学时案",
        "经查，该机构压缩培训学时，依法予以处罚。",
        d("2026-11-16"),
    )
    .await;
}

#[tokio::test]
async fn a_towns_sheet_counts_its_records_and_a_finding_becomes_its_problem() {
    let h = Harness::with_demo(30, 60).await;
    let c = campaign(&h).await;
    let cid = c.campaign.id;
    let (town, subjects) = town_and_subjects(&h).await;
    seed_town(&h, cid, town, &subjects).await;

    let s = sv::sheet(
        h.store(),
        &anpei_store::Scope::district_wide(),
        &c,
        Unit::Town(town),
    )
    .await
    .unwrap();
    let i = s.line.ind;
    let n = subjects.len() as i64;
    assert_eq!(i.subjects, n);
    assert_eq!((i.self_inspection.n, i.self_inspection.of), (2, n));
    assert_eq!((i.coverage.n, i.coverage.of, i.inspections), (1, n, 1));
    assert_eq!((i.rectified.n, i.rectified.of, i.overdue), (1, 3, 1));
    assert_eq!((i.tipoffs.n, i.tipoffs.of, i.tipoffs_assigned), (1, 2, 3));
    let p = s.line.points;
    assert_eq!(p.rectified, Some(6.7));
    assert_eq!(p.timeliness, Some(10.0));
    // Two tip-offs due: fewer than the minimum base, so the measure is 不适用.
    assert_eq!(p.tipoffs, None);

    let district = h.login("district").await;
    let page = h
        .get(
            Some(&district),
            &format!("/supervision/towns/{town}?campaign={cid}"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("1/3"), "problems rectified shown");
    // The overdue points link to the town's overdue problems (askama escapes the `&`).
    let overdue_link = format!("/problems?campaign={cid}&town={town}&status=overdue");
    assert!(
        page.body.contains(&overdue_link.replace('&', "&#38;"))
            || page.body.contains(&overdue_link.replace('&', "&amp;")),
        "{}",
        page.body
    );

    // A finding with a deadline in the past is refused, in Chinese, on its field.
    let bad = h
        .post_form(
            Some(&district),
            &format!("/supervision/towns/{town}/findings"),
            &[
                ("campaign", &cid.to_string()),
                ("text", "培训台账不全"),
                ("measures", "补齐台账"),
                ("deadline", "2026-01-01"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("整改时限：不能早于今天"), "{}", bad.body);
    let ok = h
        .post_form(
            Some(&district),
            &format!("/supervision/towns/{town}/findings"),
            &[
                ("campaign", &cid.to_string()),
                ("text", "镇街执法检查未覆盖考试点"),
                ("measures", "12月底前完成全覆盖检查"),
                ("deadline", "2026-12-31"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let problems = support::supervision_problems(h.store()).await;
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].town_id, Some(town));
    assert_eq!(problems[0].department_id, None);
    assert_eq!(problems[0].status, sv::SupervisionProblemStatus::Pending);

    // The town sees it as its own problem, and was told.
    let town_s = h.login("town").await;
    let own = h
        .get(Some(&town_s), &format!("/summary?campaign={cid}"))
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert!(own.body.contains("镇街执法检查未覆盖考试点"));
    let inbox = h.get(Some(&town_s), "/inbox").await;
    assert!(inbox.body.contains("督查发现问题"), "{}", inbox.body);

    // Saving with an adjustment and finalising freezes the sheet; audited.
    let save = h
        .post_form(
            Some(&district),
            &format!("/supervision/towns/{town}"),
            &[
                ("campaign", &cid.to_string()),
                ("manual", "-2"),
                ("reason", "督查发现问题"),
                ("finalise", "1"),
            ],
        )
        .await;
    assert_eq!(save.status, StatusCode::SEE_OTHER, "{}", save.body);
    let s2 = sv::sheet(
        h.store(),
        &anpei_store::Scope::district_wide(),
        &c,
        Unit::Town(town),
    )
    .await
    .unwrap();
    assert_eq!(s2.line.manual, -2.0);
    assert_eq!(s2.line.total, ((s.line.data - 2.0) * 10.0).round() / 10.0);
    assert!(s2.line.sheet.as_ref().unwrap().is_final());
    let again = h
        .post_form(
            Some(&district),
            &format!("/supervision/towns/{town}"),
            &[
                ("campaign", &cid.to_string()),
                ("manual", "5"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("已定稿"));
    let audited = support::audit_count(h.store(), "supervision.finalise", None).await;
    assert_eq!(audited, 1);
    h.db.cleanup().await;
}

#[tokio::test]
async fn the_ranking_is_sorted_by_total_and_shown_with_its_chart() {
    let h = Harness::with_demo(30, 60).await;
    let c = campaign(&h).await;
    let cid = c.campaign.id;
    let (town, subjects) = town_and_subjects(&h).await;
    seed_town(&h, cid, town, &subjects).await;
    let r = sv::ranking(h.store(), &anpei_store::Scope::district_wide(), &c)
        .await
        .unwrap();
    for lines in [&r.towns, &r.departments] {
        assert!(!lines.is_empty());
        // Units with a measure that applies first, by total; those with none last, unranked.
        let scored: Vec<_> = lines.iter().filter(|l| l.scored).collect();
        assert!(
            lines[scored.len()..]
                .iter()
                .all(|l| !l.scored && l.rank == 0),
            "the units without any applicable measure come last, unranked"
        );
        if let Some(first) = scored.first() {
            assert_eq!(first.rank, 1);
        }
        for w in scored.windows(2) {
            assert!(
                w[0].total >= w[1].total,
                "{} before {}",
                w[0].name,
                w[1].name
            );
            assert!(w[0].rank <= w[1].rank);
        }
    }
    assert!(
        r.towns
            .iter()
            .any(|l| l.unit == Unit::Town(town) && l.scored),
        "the seeded town is ranked"
    );
    // An adjustment moves a town up: +10 puts the seeded town at or above where it was.
    let before = r
        .towns
        .iter()
        .find(|l| l.unit == Unit::Town(town))
        .unwrap()
        .rank;
    let actor = anpei_store::platform::audit::Actor::system("test");
    let input = sv::SheetInput {
        manual: "10".into(),
        reason: "工作成效突出".into(),
        finalise: String::new(),
    };
    sv::save_sheet(
        h.store(),
        &anpei_store::Scope::district_wide(),
        &actor,
        &c,
        Unit::Town(town),
        &input,
    )
    .await
    .unwrap();
    let r2 = sv::ranking(h.store(), &anpei_store::Scope::district_wide(), &c)
        .await
        .unwrap();
    let mine = r2
        .towns
        .iter()
        .find(|l| l.unit == Unit::Town(town))
        .unwrap();
    assert!(mine.rank <= before);
    assert_eq!(mine.total, (mine.data + 10.0).min(100.0));

    let district = h.login("district").await;
    let page = h
        .get(Some(&district), &format!("/supervision?campaign={cid}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"chart-towns\""));
    assert!(page.body.contains("id=\"ranking-departments\""));
    assert!(!page.body.contains("style="), "no inline style (CSP)");
    h.db.cleanup().await;
}

#[tokio::test]
async fn summaries_are_tracked_on_time_late_and_missing_and_reminded_once() {
    let h = Harness::with_demo(30, 60).await;
    let mut policy = h.store().policy();
    policy.password.max_age_days = 0;
    h.store().set_policy(policy);
    let c = campaign(&h).await;
    let cid = c.campaign.id;
    let (town, _) = town_and_subjects(&h).await;
    let dep = accounts::find_user(h.store(), "department")
        .await
        .unwrap()
        .unwrap()
        .scope_department_id
        .unwrap();

    // 7 days before the deadline: both units with accounts are reminded, once.
    let today = h.store().today();
    let r = anpei_store::platform::jobs::send_reminders(h.store(), today)
        .await
        .unwrap();
    assert_eq!(r.count("summary_due"), 2, "{:?}", r.sent);
    let r = anpei_store::platform::jobs::send_reminders(h.store(), today)
        .await
        .unwrap();
    assert_eq!(r.count("summary_due"), 0);

    // The town submits on time, with an attachment; it cannot submit for another town.
    let town_s = h.login("town").await;
    let empty = h
        .post_multipart(
            Some(&town_s),
            &format!("/summary?_csrf={}", town_s.csrf),
            &[("campaign", &cid.to_string()), ("title", ""), ("body", "")],
            None,
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("报告标题：不能为空"), "{}", empty.body);
    // A file that is not what its name says saves nothing, not even the report.
    let bad = h
        .post_multipart(
            Some(&town_s),
            &format!("/summary?_csrf={}", town_s.csrf),
            &[
                ("campaign", &cid.to_string()),
                ("title", "镇街专项整治工作总结"),
                ("body", "一、工作开展情况……"),
            ],
            Some(("总结.pdf", b"not a pdf at all")),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("报告未保存"), "{}", bad.body);
    assert_eq!(support::summary_reports(h.store()).await.len(), 0);
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let sent = h
        .post_multipart(
            Some(&town_s),
            &format!("/summary?_csrf={}", town_s.csrf),
            &[
                ("campaign", &cid.to_string()),
                ("town", "999"),
                ("title", "镇街专项整治工作总结"),
                ("body", "一、工作开展情况……"),
            ],
            Some(("总结.pdf", pdf)),
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let reports = support::summary_reports(h.store()).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].town_id, Some(town));
    assert!(!reports[0].late);

    // After the deadline: the department is reminded once, then reports late.
    h.db.clock.advance(chrono::Duration::days(8));
    let after = h.store().today();
    let r = anpei_store::platform::jobs::send_reminders(h.store(), after)
        .await
        .unwrap();
    assert_eq!(r.count("summary_overdue"), 1, "{:?}", r.sent);
    let r = anpei_store::platform::jobs::send_reminders(h.store(), after)
        .await
        .unwrap();
    assert_eq!(r.count("summary_overdue"), 0);
    let dep_s = h.login("department").await;
    let sent = h
        .post_multipart(
            Some(&dep_s),
            &format!("/summary?_csrf={}", dep_s.csrf),
            &[
                ("campaign", &cid.to_string()),
                ("title", "部门专项整治工作总结"),
                ("body", "工作总结正文"),
            ],
            None,
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);

    let district = h.login("district").await;
    let page = h
        .get(Some(&district), &format!("/summaries?campaign={cid}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page
        .body
        .contains(&format!("data-unit=\"town:{town}\" data-state=\"on_time\"")));
    assert!(page.body.contains(&format!(
        "data-unit=\"department:{dep}\" data-state=\"late\""
    )));
    let track = sv::summary::tracking(h.store(), &anpei_store::Scope::district_wide(), &c)
        .await
        .unwrap();
    let missing = track
        .iter()
        .filter(|t| t.state == sv::summary::State::Missing)
        .count();
    assert_eq!(missing, track.len() - 2);
    assert!(page
        .body
        .contains(&format!("id=\"count-missing\">{missing}<")));
    assert!(page.body.contains("总结.pdf"));
    // The attachment goes with the report: the district and the town that wrote it, nobody
    // else.
    let file = support::evidence_files(h.store())
        .await
        .into_iter()
        .find(|f| f.owner_kind == sv::summary::EVIDENCE_OWNER)
        .expect("the attachment is kept");
    let path = format!("/evidence/{}", file.id);
    assert!(page.body.contains(&path));
    for (s, status) in [
        (&district, StatusCode::OK),
        // Signed in again: the clock moved past the first session's lifetime.
        (&h.login("town").await, StatusCode::OK),
        (&dep_s, StatusCode::NOT_FOUND),
        (&h.login("enterprise").await, StatusCode::NOT_FOUND),
    ] {
        let r = h.get(Some(s), &path).await;
        assert_eq!(r.status, status, "{}", r.body);
    }
    h.db.cleanup().await;
}

#[tokio::test]
async fn the_bulletin_docx_carries_the_databases_figures_and_no_personal_data() {
    let h = Harness::with_demo(30, 60).await;
    let c = campaign(&h).await;
    let cid = c.campaign.id;
    let (town, subjects) = town_and_subjects(&h).await;
    seed_town(&h, cid, town, &subjects).await;
    seed_enforcement(&h, subjects[0].id).await;
    let town_s = h.login("town").await;
    let sent = h
        .post_multipart(
            Some(&town_s),
            &format!("/summary?_csrf={}", town_s.csrf),
            &[
                ("campaign", &cid.to_string()),
                ("title", "总结"),
                ("body", "正文"),
            ],
            None,
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    h.db.clock.advance(chrono::Duration::days(8));
    let district = h.login("district").await;

    let r = h
        .get(Some(&district), &format!("/bulletin.docx?campaign={cid}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let bytes = {
        // The number as an office might type it: written as the standard wants it.
        let req = axum::http::Request::get(format!(
            "/bulletin.docx?campaign={cid}&doc_number=%E6%B8%9D%E5%8C%97%E5%AE%89%E5%8A%9E%5B2022%5D%E7%AC%AC012%E5%8F%B7"
        ))
            .header(axum::http::header::COOKIE, &district.cookie)
            .body(axum::body::Body::empty())
            .unwrap();
        use http_body_util::BodyExt;
        use tower::ServiceExt;
        let res = h.app.clone().oneshot(req).await.unwrap();
        res.into_body().collect().await.unwrap().to_bytes().to_vec()
    };
    assert!(bytes.starts_with(b"PK"), "a zip");
    let text = anpei_import::docx::document_text(&bytes).unwrap();
    assert!(text.contains("关于安全生产培训“走过场”专项整治\n工作情况的通报"));
    // The 版头: the office's red mark, the number, then the title and the notice's addressees.
    let office = &c.campaign.issuing_office;
    let head = format!("{office}文件\n\n\n渝北安办〔2022〕12号\n");
    assert!(text.starts_with(&head), "{text}");
    assert!(text.contains("各镇人民政府，区安委会成员单位，各街道办事处，有关单位：\n按照《"));
    let xml = anpei_import::docx::document_xml(&bytes).unwrap();
    assert!(xml.contains("<w:color w:val=\"FF0000\"/>"));
    // Dates in the text the Chinese way, and the 落款 with the day.
    let today = h.store().today();
    let cn = anpei_import::docx::chinese_date;
    let b = sv::bulletin::load(h.store(), &anpei_store::Scope::district_wide(), &c)
        .await
        .unwrap();
    assert!(
        text.contains(&format!("{}至{}", cn(b.period.0), cn(b.period.1))),
        "{text}"
    );
    assert!(text.contains(&format!("截至{}，工作情况通报如下", cn(today))));
    assert!(text.contains(&format!("总结报告应于{}前报送", cn(c.campaign.summary_due))));
    assert!(
        text.ends_with(&format!("{office}\n{}\n", cn(today))),
        "{text}"
    );
    // A number nobody could have meant is refused, and nothing is exported.
    let r = h
        .get(
            Some(&district),
            &format!(
                "/bulletin.docx?campaign={cid}&doc_number={}",
                "9".repeat(41)
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("发文字号不能超过40个字"), "{}", r.body);

    // The figures, counted from the database here independently.
    let fines: i64 = support::enforcement_actions(h.store())
        .await
        .iter()
        .filter(|a| a.kind == "fine")
        .map(|a| a.amount_unit.unwrap_or(0) + a.amount_persons.unwrap_or(0))
        .sum();
    assert_eq!(fines, 35_000);
    assert!(text.contains("罚款决定1件，罚款金额合计35,000元"), "{text}");
    assert!(text.contains("移交司法机关1件"), "{text}");
    let tips = support::tipoffs(h.store()).await;
    let closed = tips
        .iter()
        .filter(|t| t.status == TipoffStatus::Closed)
        .count();
    assert!(
        text.contains(&format!("共受理举报{}件，已办结{}件", tips.len(), closed)),
        "{text}"
    );
    assert!(text.contains(&format!("已提交自查{}家", b.self_inspection.n)));
    assert!(text.contains("某培训机构压缩学时案"));
    // Late or missing: every unit but the town, by name.
    let track = sv::summary::tracking(h.store(), &anpei_store::Scope::district_wide(), &c)
        .await
        .unwrap();
    for t in &track {
        let listed = text.contains(&format!("{}\n逾期未报送", t.name));
        assert_eq!(listed, t.unit != Unit::Town(town), "{}", t.name);
    }
    // No personal data: not the reporter, not a responsible person, no phone or ID number.
    for secret in ["王某某", "责任人甲某", "13912345678", "139****5678"] {
        assert!(!text.contains(secret), "{secret} in the bulletin");
    }
    let digits_run = text
        .chars()
        .fold((0usize, 0usize), |(cur, max), ch| {
            let cur = if ch.is_ascii_digit() { cur + 1 } else { 0 };
            (cur, max.max(cur))
        })
        .1;
    assert!(
        digits_run < 11,
        "a long number (phone or ID) in the bulletin"
    );

    // The page says the same; the export is audited.
    let page = h
        .get(Some(&district), &format!("/bulletin?campaign={cid}"))
        .await;
    assert!(page.body.contains("35,000元"));
    assert!(
        page.body.contains("name=\"doc_number\""),
        "the number is typed on the page"
    );
    let audited = support::audit_count(h.store(), "export.bulletin", None).await;
    assert_eq!(audited, 2);
    let numbered = anpei_store::platform::audit::latest(h.store(), 20)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "export.bulletin")
        .any(|e| e.detail.ends_with("发文字号=渝北安办〔2022〕12号"));
    assert!(numbered, "the number is in the audit log");
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_town_sees_neither_another_towns_sheet_nor_the_district_pages() {
    let h = Harness::with_demo(30, 60).await;
    let (town, _) = town_and_subjects(&h).await;
    let other =
        anpei_store::registry::reference::towns(h.store(), &anpei_store::Scope::district_wide())
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.id != town)
            .unwrap()
            .id;
    let s = h.login("town").await;
    for path in [
        format!("/supervision/towns/{other}"),
        format!("/supervision/towns/{town}"),
        "/supervision".to_string(),
        "/summaries".to_string(),
        "/bulletin".to_string(),
        "/bulletin.docx".to_string(),
    ] {
        let r = h.get(Some(&s), &path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    let r = h
        .post_form(
            Some(&s),
            &format!("/supervision/towns/{other}/findings"),
            &[("text", "x"), ("measures", "y"), ("deadline", "2026-12-31")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(support::supervision_problems(h.store()).await.len(), 0);
    // The unit of a submission is the account's own, whatever the form says.
    assert_eq!(
        Unit::of_scope(&anpei_store::testing::town_scope(town)),
        Some(Unit::Town(town))
    );
    assert_eq!(Unit::of_scope(&anpei_store::Scope::district_wide()), None);
    h.db.cleanup().await;
}

#[tokio::test]
async fn in_the_demo_district_no_idle_unit_ranks_above_one_that_worked() {
    // The demo's own campaign: self-inspection running, about half the subjects submitted,
    // problems in every status; the 执法检查 phase has not begun.
    let h = Harness::with_demo(150, 300).await;
    anpei_store::demo::campaign::load_demo(h.store(), &h.district)
        .await
        .unwrap()
        .expect("the demo campaign");
    let c = campaigns::current(h.store(), h.store().today())
        .await
        .unwrap()
        .unwrap();
    let rule = sv::Scoring::of(h.store(), &c);
    assert!(!rule.enforcement_started);
    let r = sv::ranking(h.store(), &anpei_store::Scope::district_wide(), &c)
        .await
        .unwrap();
    let mut idle_seen = 0;
    for lines in [&r.towns, &r.departments] {
        for l in lines.iter() {
            let i = &l.ind;
            // Nothing is scored on what it did not have to do, and coverage not at all before
            // the 执法检查 phase.
            assert_eq!(l.points.coverage, None, "{}", l.name);
            for (p, base) in [
                (l.points.self_inspection, i.self_inspection),
                (l.points.rectified, i.rectified),
                (l.points.tipoffs, i.tipoffs),
            ] {
                assert_eq!(
                    p.is_some(),
                    base.of >= rule.min_base,
                    "{}: {base:?}",
                    l.name
                );
            }
            assert_eq!(l.scored, l.rank > 0, "{}", l.name);
            // Idle: it had subjects to self-inspect and none did, rectified nothing, closed no
            // tip-off. It earns nothing for any of that.
            let idle = i.self_inspection.of > 0
                && i.self_inspection.n == 0
                && i.rectified.n == 0
                && i.tipoffs.n == 0;
            if !idle {
                continue;
            }
            idle_seen += 1;
            for p in [
                l.points.self_inspection,
                l.points.rectified,
                l.points.tipoffs,
            ] {
                assert!(
                    p.unwrap_or(0.0) == 0.0,
                    "{} scored on nothing: {:?}",
                    l.name,
                    l.points
                );
            }
            // Every unit ranked below it did no better on any measure it worked on.
            for other in lines
                .iter()
                .filter(|o| o.scored && l.scored && o.rank > l.rank)
            {
                let worked = other.ind.self_inspection.n > 0
                    || other.ind.rectified.n > 0
                    || other.ind.tipoffs.n > 0;
                assert!(
                    !worked,
                    "idle {} ({:?}, rank {}) above {} that worked ({:?}, rank {})",
                    l.name, l.points, l.rank, other.name, other.points, other.rank
                );
            }
        }
    }
    // The page says 不适用 where a measure does not apply, and ranks nobody without one.
    let district = h.login("district").await;
    let page = h
        .get(
            Some(&district),
            &format!("/supervision?campaign={}", c.campaign.id),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("不适用"));
    assert!(idle_seen > 0, "the demo has idle units to walk");
    h.db.cleanup().await;
}
