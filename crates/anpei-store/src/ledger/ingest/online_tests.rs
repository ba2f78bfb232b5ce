//! Online-training logs through the ingest: imported twice, a log changes nothing (whatever
//! its rows and their order); a row about someone outside the ledger or the importer's reach
//! is refused with its reason; a training institution reports on its trainees only.

use super::tests::{provenance, push_rows, store_ledger};
use super::*;
use crate::entity::{online_course, online_exam, online_face_check, online_session};
use anpei_core::demo::{DemoConfig, DemoDistrict};
use chrono::{NaiveDate, TimeDelta};
use proptest::prelude::*;
use sea_orm::QueryOrder;

/// Every stored log row as text, in a stable order (ids left out).
async fn snapshot(store: &Store) -> Vec<String> {
    let db = &store.db;
    let mut out = Vec::new();
    for s in online_session::Entity::find()
        .order_by_asc(online_session::Column::Id)
        .all(db)
        .await
        .unwrap()
    {
        out.push(format!(
            "s {} {} {} {} {} {} {} {} {:?} {:?} {:?}",
            s.platform,
            s.id_bidx,
            s.person_id,
            s.subject_id,
            s.course_no,
            s.start_at,
            s.end_at,
            s.progress_secs,
            s.device,
            s.ip,
            s.provider_id
        ));
    }
    for f in online_face_check::Entity::find().all(db).await.unwrap() {
        out.push(format!(
            "f {} {} {} {} {} {:?}",
            f.platform, f.id_bidx, f.person_id, f.at, f.passed, f.similarity
        ));
    }
    for c in online_course::Entity::find().all(db).await.unwrap() {
        out.push(format!(
            "c {} {} {} {} {}",
            c.platform, c.course_no, c.title, c.video_secs, c.hours
        ));
    }
    for e in online_exam::Entity::find().all(db).await.unwrap() {
        out.push(format!(
            "e {} {} {} {} {} {} {}",
            e.platform, e.id_bidx, e.exam_no, e.start_at, e.end_at, e.questions, e.score
        ));
    }
    out.sort();
    out
}

/// A small district's ledger, stored.
async fn ledger(store: &Store, seed: u64) -> DemoDistrict {
    let cfg = DemoConfig {
        seed,
        subjects: 6,
        persons: 40,
        as_of: store.today(),
    };
    let d = crate::demo::generate(store, &cfg).await.unwrap();
    store_ledger(store, &d, &[]).await;
    d
}

/// One generated log row: which person, which platform and course, when (minutes from a
/// base day), how long, how much video, which device; a face check's offset and result; an
/// exam's length.
#[derive(Debug, Clone)]
struct Gen {
    person: usize,
    platform: u8,
    course: u8,
    start_min: i64,
    minutes: i64,
    progress: i64,
    device: Option<u8>,
    check_at: i64,
    passed: bool,
    exam_secs: i64,
}

fn gen() -> impl Strategy<Value = Gen> {
    (
        0usize..40,
        0u8..2,
        0u8..3,
        0i64..(5 * 24 * 60),
        0i64..240,
        0i64..20_000,
        proptest::option::of(0u8..4),
        0i64..240,
        any::<bool>(),
        1i64..4000,
    )
        .prop_map(
            |(
                person,
                platform,
                course,
                start_min,
                minutes,
                progress,
                device,
                check_at,
                passed,
                exam_secs,
            )| Gen {
                person,
                platform,
                course,
                start_min,
                minutes,
                progress,
                device,
                check_at,
                passed,
                exam_secs,
            },
        )
}

/// The log rows `gens` describe, about `d`'s persons.
fn log_rows(d: &DemoDistrict, gens: &[Gen]) -> Vec<LedgerRow> {
    let base = NaiveDate::from_ymd_opt(2026, 3, 2)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let mut rows = Vec::new();
    for c in 0..3 {
        for p in 0..2 {
            rows.push(LedgerRow::Course(CourseRecord {
                platform: format!("平台{p}"),
                course_no: format!("K{c}"),
                title: format!("课程{c}"),
                video_secs: 1800 * (c + 1),
                hours: f64::from(c as u8 + 1),
            }));
        }
    }
    for g in gens {
        let p = &d.persons[g.person % d.persons.len()];
        let start = base + TimeDelta::minutes(g.start_min);
        rows.push(LedgerRow::Session(SessionRecord {
            platform: format!("平台{}", g.platform),
            employer: p.employer.clone(),
            id_number: p.id_number.clone(),
            name: p.name.clone(),
            course_no: format!("K{}", g.course),
            start,
            end: start + TimeDelta::minutes(g.minutes),
            progress_secs: g.progress,
            device: g.device.map(|v| format!("DEV-{v}")),
            ip: Some(format!("10.0.0.{}", g.person)),
        }));
        rows.push(LedgerRow::FaceCheck(FaceCheckRecord {
            platform: format!("平台{}", g.platform),
            id_number: p.id_number.clone(),
            at: start + TimeDelta::minutes(g.check_at),
            passed: g.passed,
            similarity: Some(if g.passed { 90.0 } else { 30.0 }),
        }));
        rows.push(LedgerRow::OnlineExam(OnlineExamRecord {
            platform: format!("平台{}", g.platform),
            id_number: p.id_number.clone(),
            exam_no: format!("E{}", g.course),
            start,
            end: start + TimeDelta::seconds(g.exam_secs),
            questions: 100,
            score: 60.0 + (g.exam_secs % 40) as f64,
        }));
    }
    rows
}

/// Imports `rows` (a table at a time, as a workbook's sheets come) as the district.
async fn import(store: &Store, rows: &[LedgerRow]) -> IngestReport {
    let mut ing = Ingest::begin(store, Scope::district_wide()).await.unwrap();
    for t in Table::ONLINE {
        push_rows(&mut ing, rows.iter().filter(|r| r.table() == t).cloned()).await;
    }
    let (report, _) = ing
        .finish(
            &Actor::system("test"),
            Mode::Normal,
            &provenance("日志.xlsx", "online"),
        )
        .await
        .unwrap();
    report
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn importing_a_log_again_changes_nothing(
        gens in proptest::collection::vec(gen(), 1..40),
        reversed in any::<bool>(),
    ) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let db = crate::testing::TestDb::new().await;
            let store = &db.store;
            let d = ledger(store, 11).await;
            let mut rows = log_rows(&d, &gens);
            let first = import(store, &rows).await;
            for t in Table::ONLINE {
                let c = first.counts.get(&t).copied().unwrap_or_default();
                assert!(c.reconciles(), "{t:?} {c:?}");
                assert_eq!(c.updated + c.unchanged, 0, "{t:?} {c:?}");
            }
            let before = snapshot(store).await;
            // The same log again, in another order if asked (when no row of it repeats another's
            // key: which of two such rows is first decides which one is stored): nothing
            // inserted or changed.
            if reversed && first.rejected() == 0 {
                rows.reverse();
            }
            let again = import(store, &rows).await;
            for t in Table::ONLINE {
                let (a, b) = (
                    first.counts.get(&t).copied().unwrap_or_default(),
                    again.counts.get(&t).copied().unwrap_or_default(),
                );
                assert_eq!(b.inserted + b.updated, 0, "{t:?} {b:?}");
                assert_eq!(b.unchanged, a.inserted, "{t:?} {a:?} {b:?}");
                assert_eq!(b.rejected, a.rejected, "{t:?} {a:?} {b:?}");
            }
            assert_eq!(snapshot(store).await, before);
            db.cleanup().await;
        });
    }
}

#[tokio::test]
async fn a_changed_session_is_updated_and_strangers_are_refused() {
    let db = crate::testing::TestDb::new().await;
    let store = &db.store;
    let d = ledger(store, 12).await;
    let g = Gen {
        person: 0,
        platform: 0,
        course: 0,
        start_min: 600,
        minutes: 45,
        progress: 2500,
        device: Some(1),
        check_at: 3,
        passed: true,
        exam_secs: 2000,
    };
    let rows = log_rows(&d, std::slice::from_ref(&g));
    import(store, &rows).await;
    // The platform corrected the session's end and progress: the row is updated, not added.
    let mut changed = rows.clone();
    for r in &mut changed {
        if let LedgerRow::Session(s) = r {
            s.end += TimeDelta::minutes(5);
            s.progress_secs += 300;
        }
    }
    let report = import(store, &changed).await;
    let c = report.counts[&Table::Sessions];
    assert_eq!((c.inserted, c.updated, c.unchanged), (0, 1, 0), "{c:?}");
    assert_eq!(
        online_session::Entity::find()
            .count(&store.db)
            .await
            .unwrap(),
        1
    );
    // A session of someone on no ledger, and one naming the wrong employer.
    let mut stranger = rows[6].clone();
    if let LedgerRow::Session(s) = &mut stranger {
        s.id_number = anpei_core::ids::IdNumber::parse("11010519491231002X").unwrap();
        s.start += TimeDelta::hours(1);
    }
    let mut elsewhere = rows[6].clone();
    if let LedgerRow::Session(s) = &mut elsewhere {
        s.employer = d
            .subjects
            .iter()
            .map(|x| x.uscc.clone())
            .find(|u| *u != s.employer)
            .unwrap();
        s.start += TimeDelta::hours(2);
    }
    let report = import(store, &[stranger, elsewhere]).await;
    let c = report.counts[&Table::Sessions];
    assert_eq!((c.read, c.rejected), (2, 2), "{c:?}");
    let reasons: Vec<String> = report.rejections.iter().map(|e| e.to_string()).collect();
    assert!(
        reasons
            .iter()
            .all(|r| r.contains("学员不在该单位的人员台账中")),
        "{reasons:?}"
    );
    db.cleanup().await;
}
