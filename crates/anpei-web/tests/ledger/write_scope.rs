//! Imports obey scope row by row, as reads do: through the public API, as the demo accounts,
//! rows that would create, change or attach to a subject or person outside the writer's
//! scope are refused with a row-level message, and what is stored stays as it was.

use crate::common;

use anpei_core::ids::IdNumber;
use anpei_core::ledger::{SubjectRecord, TrainingRecord};
use anpei_store::registry::persons::{self, PersonFilter};
use anpei_store::{registry::subjects, Scope};
use axum::http::StatusCode;
use common::{finish, Harness};
use serde_json::Value;

const SUBJECT_HEADER: &str =
    "统一社会信用代码,单位名称,单位类型,行业,所属镇街,行业主管部门,地址,联系人,联系电话\n";
const PERSON_HEADER: &str = "统一社会信用代码,姓名,身份证号,手机号,岗位类别,作业类别,任职日期\n";
const CERT_HEADER: &str = "身份证号,姓名,证书类型,证书编号,作业类别,操作项目,初领日期,有效期起,有效期止,应复审日期,实际复审日期,发证机关\n";
const TRAINING_HEADER: &str = "统一社会信用代码,身份证号,姓名,培训类型,培训形式,开始时间,结束时间,理论学时,实操学时,培训机构,考核成绩,考核结果\n";

fn subject_line(s: &SubjectRecord, town: &str, kind: &str, industry: &str) -> String {
    format!(
        "{},{},{kind},{industry},{town},,{},{},\n",
        s.uscc,
        s.name,
        s.address.clone().unwrap_or_default(),
        s.contact_name.clone().unwrap_or_default(),
    )
}

fn training_line(t: &TrainingRecord, employer: &str, name: &str, theory: f64) -> String {
    format!(
        "{employer},{},{name},{},{},{},{},{theory},{},,,\n",
        t.id_number.as_str(),
        t.training_type.label(),
        t.form.label(),
        t.start.format("%Y-%m-%d %H:%M:%S"),
        t.end.format("%Y-%m-%d %H:%M:%S"),
        t.practical_hours,
    )
}

/// A valid ID number not in the demo district.
fn new_id(h: &Harness, n: u32) -> String {
    let first17 = format!("50011219850101{n:03}");
    let id = format!("{first17}{}", IdNumber::check_char(&first17).unwrap());
    assert!(h
        .district
        .persons
        .iter()
        .all(|p| p.id_number.as_str() != id));
    id
}

async fn import(h: &Harness, token: &str, kind: &str, query: &str, csv: String) -> Value {
    let r = h
        .api_post_multipart(
            token,
            &format!("/api/v1/imports{query}"),
            &[("kind", kind)],
            Some(("file.csv", csv.as_bytes())),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

fn reasons(v: &Value) -> Vec<String> {
    v["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["column"].as_str().unwrap(),
                r["reason"].as_str().unwrap()
            )
        })
        .collect()
}

fn count(v: &Value, sheet: &str, what: &str) -> u64 {
    v["counts"][sheet][what].as_u64().unwrap_or(0)
}

/// The demo enterprise (subject 0, 龙兴镇) and another enterprise of another town that has
/// workers with training records.
fn own_and_foreign(h: &Harness) -> (usize, usize) {
    let own = &h.district.subjects[0];
    let foreign = h
        .district
        .subjects
        .iter()
        .position(|s| {
            s.town != own.town
                && s.kind == anpei_core::SubjectKind::Enterprise
                && h.district.trainings.iter().any(|t| t.employer == s.uscc)
        })
        .expect("an enterprise of another town with training records");
    (0, foreign)
}

async fn subject_id(h: &Harness, uscc: &str) -> i32 {
    let (rows, _) = subjects::list(
        h.store(),
        &anpei_store::Scope::district_wide(),
        &subjects::SubjectFilter {
            q: Some(uscc.to_string()),
            ..Default::default()
        },
        1,
        5,
    )
    .await
    .unwrap();
    rows.into_iter().find(|r| r.uscc == uscc).unwrap().id
}

async fn workers(h: &Harness, scope: &Scope, subject: i32, q: &str) -> Vec<persons::PersonRow> {
    persons::list(
        h.store(),
        scope,
        &PersonFilter {
            subject_id: Some(subject),
            q: Some(q.to_string()),
            ..Default::default()
        },
        1,
        50,
    )
    .await
    .unwrap()
    .0
}

/// A worker of another company (of another town) who has a training record: the
/// enterprise's own and that company's codes and ids, the record, his ID number, his rows as
/// the district finds them and the first one's detail.
struct Their {
    own: String,
    own_id: i32,
    foreign: String,
    foreign_id: i32,
    theirs: TrainingRecord,
    worker: String,
    rows: Vec<persons::PersonRow>,
    detail: persons::PersonDetail,
}

async fn another_companys_worker(h: &Harness) -> Their {
    let (own_i, foreign_i) = own_and_foreign(h);
    let own = h.district.subjects[own_i].uscc.to_string();
    let foreign = h.district.subjects[foreign_i].uscc.to_string();
    let own_id = subject_id(h, &own).await;
    let foreign_id = subject_id(h, &foreign).await;
    let theirs = h
        .district
        .trainings
        .iter()
        .find(|t| t.employer.as_str() == foreign)
        .unwrap()
        .clone();
    let worker = theirs.id_number.as_str().to_string();
    let district = anpei_store::Scope::district_wide();
    let rows = workers(h, &district, foreign_id, &worker).await;
    let detail = persons::get(h.store(), &district, rows[0].id)
        .await
        .unwrap()
        .unwrap();
    Their {
        own,
        own_id,
        foreign,
        foreign_id,
        theirs,
        worker,
        rows,
        detail,
    }
}

#[tokio::test]
async fn a_subject_cannot_move_itself_or_change_what_it_is() {
    let h = Harness::with_demo(40, 400).await;
    let token = h.api_token("enterprise").await;
    let own = h.district.subjects[0].clone();
    let other_town = h
        .district
        .subjects
        .iter()
        .find(|s| s.town != own.town)
        .unwrap()
        .town
        .clone();
    let id = subject_id(&h, own.uscc.as_str()).await;
    let before = subjects::get(h.store(), &anpei_store::Scope::district_wide(), id)
        .await
        .unwrap()
        .unwrap();
    let industry = own.industry.clone().unwrap_or_default();
    let kind = own.kind.label();

    // Another town; another industry; another kind (a dry run too); all at once.
    for (query, line) in [
        ("", subject_line(&own, &other_town, kind, &industry)),
        ("", subject_line(&own, &own.town, kind, "建筑施工")),
        (
            "?dry_run=1",
            subject_line(&own, &own.town, "安全培训机构", &industry),
        ),
        ("", subject_line(&own, &other_town, "考试点", "建筑施工")),
    ] {
        let v = import(
            &h,
            &token,
            "subjects",
            query,
            format!("{SUBJECT_HEADER}{line}"),
        )
        .await;
        assert_eq!(
            count(&v, "单位", "rejected"),
            1,
            "{line}: {:?}",
            reasons(&v)
        );
        assert!(
            reasons(&v)[0].contains("只能由监管部门变更"),
            "{:?}",
            reasons(&v)
        );
    }
    let after = subjects::get(h.store(), &anpei_store::Scope::district_wide(), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            after.town_id,
            after.department_id,
            &after.kind,
            &after.industry
        ),
        (
            before.town_id,
            before.department_id,
            &before.kind,
            &before.industry
        )
    );
    // Its town still has it.
    let town_scope = anpei_store::testing::town_scope(before.town_id);
    assert!(subjects::get(h.store(), &town_scope, id)
        .await
        .unwrap()
        .is_some());

    // Its own contact details are its to change.
    let mut moved = own.clone();
    moved.address = Some("重庆市渝北区龙兴镇新地址1号".into());
    let v = import(
        &h,
        &token,
        "subjects",
        "",
        format!(
            "{SUBJECT_HEADER}{}",
            subject_line(&moved, &own.town, kind, &industry)
        ),
    )
    .await;
    assert_eq!(count(&v, "单位", "updated"), 1, "{:?}", reasons(&v));

    // Its town may change where it is supervised, as its supervisor.
    let town_token = h.api_token("town").await;
    let v = import(
        &h,
        &town_token,
        "subjects",
        "?dry_run=1",
        format!(
            "{SUBJECT_HEADER}{}",
            subject_line(&own, &own.town, kind, "建筑施工")
        ),
    )
    .await;
    assert_eq!(count(&v, "单位", "rejected"), 0, "{:?}", reasons(&v));
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_subject_cannot_touch_another_companys_worker_or_his_records() {
    let h = Harness::with_demo(40, 400).await;
    let token = h.api_token("enterprise").await;
    let Their {
        own,
        foreign,
        foreign_id,
        theirs,
        worker: worker_id,
        rows: before,
        detail: before_detail,
        ..
    } = another_companys_worker(&h).await;

    // His record, under our employer or under his own, with his name or another.
    let rows = [
        training_line(&theirs, &own, &theirs.name, theirs.theory_hours + 8.0),
        training_line(&theirs, &foreign, &theirs.name, theirs.theory_hours + 8.0),
        training_line(&theirs, &own, "冒名者", theirs.theory_hours + 8.0),
    ];
    for row in &rows {
        let v = import(
            &h,
            &token,
            "training",
            "",
            format!("{TRAINING_HEADER}{row}"),
        )
        .await;
        assert_eq!(count(&v, "培训", "rejected"), 1, "{row}: {:?}", v["counts"]);
        assert_eq!(
            count(&v, "培训", "updated") + count(&v, "培训", "inserted"),
            0
        );
    }
    // His certificate: its holder is nobody in our ledger.
    let cert = h
        .district
        .certificates
        .iter()
        .find(|c| c.id_number.as_str() == worker_id)
        .or_else(|| {
            h.district.certificates.iter().find(|c| {
                h.district
                    .persons
                    .iter()
                    .any(|p| p.id_number == c.id_number && p.employer.as_str() == foreign)
            })
        })
        .unwrap()
        .clone();
    let cert_line = format!(
        "{},{},{},{},,,,2020-01-01,2099-01-01,,,应急管理局\n",
        cert.id_number.as_str(),
        cert.name,
        cert.cert_type.label(),
        cert.cert_no
    );
    let v = import(
        &h,
        &token,
        "certificates",
        "",
        format!("{CERT_HEADER}{cert_line}"),
    )
    .await;
    assert_eq!(count(&v, "证书", "rejected"), 1, "{:?}", reasons(&v));

    // Nothing of his changed.
    let after = workers(
        &h,
        &anpei_store::Scope::district_wide(),
        foreign_id,
        &worker_id,
    )
    .await;
    assert_eq!(after, before);
    let after_detail = persons::get(h.store(), &anpei_store::Scope::district_wide(), after[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::to_value(&after_detail.trainings).unwrap(),
        serde_json::to_value(&before_detail.trainings).unwrap()
    );
    assert_eq!(
        serde_json::to_value(&after_detail.certificates).unwrap(),
        serde_json::to_value(&before_detail.certificates).unwrap()
    );
    h.db.cleanup().await;
}

#[tokio::test]
async fn not_found_and_not_yours_read_the_same() {
    let h = Harness::with_demo(40, 400).await;
    let token = h.api_token("enterprise").await;
    let (_, foreign_i) = own_and_foreign(&h);
    let foreign = &h.district.subjects[foreign_i];
    let nobody_17 = "91500112MA5U7B3X1";
    let nobody = format!(
        "{nobody_17}{}",
        anpei_core::ids::Uscc::check_char(nobody_17).unwrap()
    );
    assert!(h
        .district
        .subjects
        .iter()
        .all(|s| s.uscc.as_str() != nobody));
    let their_worker = h
        .district
        .persons
        .iter()
        .find(|p| p.employer == foreign.uscc)
        .unwrap();
    let unknown_id = new_id(&h, 7);

    let v = import(
        &h,
        &token,
        "persons",
        "?dry_run=1",
        format!(
            "{PERSON_HEADER}{},测试甲,{},,一般从业人员,,2021-03-05\n{nobody},测试乙,{},,一般从业人员,,2021-03-05\n",
            foreign.uscc,
            new_id(&h, 1),
            new_id(&h, 2)
        ),
    )
    .await;
    let r = reasons(&v);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(
        r[0].replace(foreign.uscc.as_str(), "X"),
        r[1].replace(&nobody, "X"),
        "an existing company out of scope reads as a missing one"
    );

    let v = import(
        &h,
        &token,
        "certificates",
        "?dry_run=1",
        format!(
            "{CERT_HEADER}{},{},特种作业操作证,T{},,,,2020-01-01,2026-01-01,,,\n{unknown_id},测试丙,特种作业操作证,T{unknown_id},,,,2020-01-01,2026-01-01,,,\n",
            their_worker.id_number.as_str(),
            their_worker.name,
            their_worker.id_number.as_str(),
        ),
    )
    .await;
    let r = reasons(&v);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(
        r[0], r[1],
        "another company's worker reads as an unknown ID number"
    );
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_worker_who_changes_employer_is_recorded_by_the_new_one_alongside_the_old() {
    let h = Harness::with_demo(40, 400).await;
    let token = h.api_token("enterprise").await;
    let Their {
        own,
        own_id,
        foreign_id,
        theirs,
        worker,
        rows: former,
        detail: former_detail,
        ..
    } = another_companys_worker(&h).await;

    // The new employer records him, then a training of its own.
    let v = import(
        &h,
        &token,
        "persons",
        "",
        format!(
            "{PERSON_HEADER}{own},{},{worker},,一般从业人员,,2026-01-05\n",
            theirs.name
        ),
    )
    .await;
    assert_eq!(count(&v, "人员", "inserted"), 1, "{:?}", reasons(&v));
    let mut ours = theirs.clone();
    ours.start = chrono::NaiveDate::from_ymd_opt(2026, 1, 6)
        .unwrap()
        .and_hms_opt(8, 0, 0)
        .unwrap();
    ours.end = ours.start + chrono::Duration::hours(8);
    let v = import(
        &h,
        &token,
        "training",
        "",
        format!(
            "{TRAINING_HEADER}{}",
            training_line(&ours, &own, &theirs.name, 8.0)
        ),
    )
    .await;
    assert_eq!(count(&v, "培训", "inserted"), 1, "{:?}", reasons(&v));

    // The new employer sees its own row of him with its one training, and none of the
    // former employer's certificates or training.
    let enterprise = anpei_store::testing::subject_scope(own_id);
    let mine = workers(&h, &enterprise, own_id, &worker).await;
    assert_eq!(mine.len(), 1);
    let mine = persons::get(h.store(), &enterprise, mine[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mine.trainings.len(), 1);
    assert!(mine.certificates.is_empty());
    assert!(workers(&h, &enterprise, foreign_id, &worker)
        .await
        .is_empty());
    // The former employer's history is as it was.
    let still = persons::get(
        h.store(),
        &anpei_store::Scope::district_wide(),
        former[0].id,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        serde_json::to_value(&still).unwrap(),
        serde_json::to_value(&former_detail).unwrap()
    );
    // The district finds both rows of him.
    let (all, _) = persons::list(
        h.store(),
        &anpei_store::Scope::district_wide(),
        &PersonFilter {
            q: Some(worker.clone()),
            ..Default::default()
        },
        1,
        10,
    )
    .await
    .unwrap();
    assert_eq!(all.len(), 2);

    // The audit entry of an update says what changed, masked.
    let v = import(
        &h,
        &token,
        "persons",
        "",
        format!(
            "{PERSON_HEADER}{own},{},{worker},13812345678,安全生产管理人员,,2026-01-05\n",
            theirs.name
        ),
    )
    .await;
    assert_eq!(count(&v, "人员", "updated"), 1, "{:?}", reasons(&v));
    let entries = anpei_store::platform::audit::latest(h.store(), 5)
        .await
        .unwrap();
    let entry = entries
        .iter()
        .find(|e| e.action == "import")
        .expect("the import's audit entry");
    let detail = entry.detail.clone();
    assert!(detail.contains("岗位："), "{detail}");
    assert!(
        detail.contains("联系电话：（空） → 138****5678"),
        "{detail}"
    );
    assert!(
        !detail.contains("13812345678") && !detail.contains(&worker),
        "{detail}"
    );
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_file_of_junk_keeps_the_first_rejections_and_counts_them_all() {
    let (h, dir) = common::with_uploads(10, 50, |_| {}).await;
    let token = h.api_token("district").await;
    let mut csv = String::from(PERSON_HEADER);
    let rows = anpei_store::ledger::ingest::IngestReport::KEEP_REJECTIONS + 1500;
    for i in 0..rows {
        csv.push_str(&format!("x{i},y,z,,,,\n"));
    }
    let v = import(&h, &token, "persons", "?dry_run=1", csv).await;
    assert_eq!(count(&v, "人员", "rejected"), rows as u64);
    assert_eq!(v["rejected_total"], rows as u64);
    assert_eq!(v["rejections_truncated"], true);
    assert_eq!(
        v["rejections"].as_array().unwrap().len(),
        anpei_store::ledger::ingest::IngestReport::KEEP_REJECTIONS
    );
    finish(h, dir).await;
}
