use super::*;
use sea_orm::{IdenStatic, Iterable};

#[test]
fn the_training_columns_are_the_entity_s_but_its_id() {
    let entity: Vec<String> = training::Column::iter()
        .map(|c| c.as_str().to_string())
        .filter(|c| c != "id")
        .collect();
    assert_eq!(TRAINING_ROWS.column_names(), entity);
}

#[test]
fn the_other_shapes_have_the_entities_columns_but_their_ids() {
    fn names<C: Iterable + IdenStatic>() -> Vec<String> {
        let mut v: Vec<String> = C::iter()
            .map(|c| c.as_str().to_string())
            .filter(|c| c != "id")
            .collect();
        v.sort();
        v
    }
    let sorted = |s: &Shape| {
        let mut v: Vec<String> = s.column_names().iter().map(|c| c.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&PERSON_ROWS), names::<person::Column>());
    assert_eq!(sorted(&CERTIFICATE_ROWS), names::<certificate::Column>());
    assert_eq!(sorted(&REGISTRY_ROWS), names::<registry::Column>());
    use crate::entity::{online_face_check, online_session};
    assert_eq!(
        sorted(&online::SESSION_ROWS),
        names::<online_session::Column>()
    );
    assert_eq!(
        sorted(&online::FACE_ROWS),
        names::<online_face_check::Column>()
    );
}

/// Every stored training row reads back as it was imported, whatever its result and
/// institution hold, and importing the same rows again (unusual categories and items
/// included) changes nothing.
#[tokio::test]
async fn rows_read_back_as_imported() {
    use anpei_core::demo::DemoConfig;
    let db = crate::testing::TestDb::new().await;
    let store = &db.store;
    let cfg = DemoConfig {
        seed: 3,
        subjects: 8,
        persons: 120,
        as_of: store.today(),
    };
    let mut d = crate::demo::generate(store, &cfg).await.unwrap();
    for (i, t) in d.trainings.iter_mut().enumerate() {
        match i % 5 {
            0 => t.result = Some("良好".into()),
            1 => t.result = None,
            2 => t.institution = Some("O'Brien 培训中心 \\ ?\t\\N\r\n第二行".into()),
            3 => t.start += chrono::TimeDelta::milliseconds(250),
            _ => {}
        }
    }
    for (i, c) in d.certificates.iter_mut().chain(&mut d.registry).enumerate() {
        match i % 4 {
            0 => c.operation_item = Some("自定义的操作项目".into()),
            1 => c.category = None,
            2 => c.issuer = None,
            _ => {}
        }
    }
    for (i, p) in d.persons.iter_mut().enumerate() {
        if i % 7 == 3 && p.special_category.is_some() {
            p.special_category = Some("未列出的作业类别".into());
        }
    }
    let key = |ty: &str,
               form: &str,
               start: chrono::NaiveDateTime,
               end: chrono::NaiveDateTime,
               hours: (f64, f64),
               inst: &Option<String>,
               score: Option<f64>,
               result: &Option<String>| {
        format!("{ty} {form} {start} {end} {hours:?} {inst:?} {score:?} {result:?}")
    };
    let mut want: Vec<String> = d
        .trainings
        .iter()
        .map(|t| {
            key(
                t.training_type.code(),
                t.form.code(),
                t.start,
                t.end,
                (t.theory_hours, t.practical_hours),
                &t.institution,
                t.score,
                &t.result,
            )
        })
        .collect();
    want.sort();
    for round in 0..2 {
        let mut ing = Ingest::begin(store, Scope::district_wide()).await.unwrap();
        push_rows(&mut ing, d.subjects.iter().cloned().map(LedgerRow::Subject)).await;
        push_rows(&mut ing, d.persons.iter().cloned().map(LedgerRow::Person)).await;
        push_rows(
            &mut ing,
            d.certificates.iter().cloned().map(LedgerRow::Certificate),
        )
        .await;
        push_rows(
            &mut ing,
            d.trainings.iter().cloned().map(LedgerRow::Training),
        )
        .await;
        push_rows(
            &mut ing,
            d.registry.iter().cloned().map(LedgerRow::Registry),
        )
        .await;
        let prov = provenance("t.xlsx", "ledger");
        let (report, outcome) = ing
            .finish(&Actor::system("test"), Mode::Normal, &prov)
            .await
            .unwrap();
        assert_eq!(outcome, "stored", "{:?}", report.rejections.first());
        assert_eq!(
            report.counts[&Table::Trainings].read as usize,
            d.trainings.len()
        );
        for (t, c) in &report.counts {
            if round == 0 {
                assert_eq!(c.inserted, c.read, "{t:?}");
            } else {
                assert_eq!(c.unchanged, c.read, "{t:?}: {c:?}");
            }
        }
    }
    let mut got: Vec<String> = training::Entity::find()
        .all(&store.db)
        .await
        .unwrap()
        .iter()
        .map(|t| {
            key(
                &t.training_type,
                &t.form,
                t.start_at,
                t.end_at,
                (t.theory_hours, t.practical_hours),
                &t.institution,
                t.score,
                &t.result,
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, want);
    db.cleanup().await;
}

#[test]
fn training_keys_pack_one_to_one_or_not_at_all() {
    let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap();
    let a = t("2026-02-11 08:30:00");
    let b = t("2026-02-11 17:30:00");
    let k = pack_training_key(7, a, b, TrainingType::Retraining).unwrap();
    assert_ne!(
        k,
        pack_training_key(7, b, a, TrainingType::Retraining).unwrap()
    );
    assert_ne!(
        k,
        pack_training_key(8, a, b, TrainingType::Retraining).unwrap()
    );
    assert_ne!(
        k,
        pack_training_key(-7, a, b, TrainingType::Retraining).unwrap()
    );
    assert_ne!(k, pack_training_key(7, a, b, TrainingType::Other).unwrap());
    assert_ne!(
        k,
        pack_training_key(7, a, t("2026-02-11 17:30:01"), TrainingType::Retraining).unwrap()
    );
    assert!(
        pack_training_key(7, t("2026-02-11 08:30:00.5"), b, TrainingType::Retraining).is_none()
    );
    assert!(pack_training_key(7, t("1899-12-31 23:59:59"), b, TrainingType::Other).is_none());
    assert!(pack_training_key(7, t("1900-01-01 00:00:00"), b, TrainingType::Other).is_some());

    let mut seen = SeenTrainings::default();
    let odd = t("2026-02-11 08:30:00.5");
    assert_eq!(seen.first(7, a, b, TrainingType::Retraining, 2), None);
    assert_eq!(seen.first(7, odd, b, TrainingType::Retraining, 3), None);
    assert_eq!(seen.first(7, a, b, TrainingType::Retraining, 4), Some(2));
    assert_eq!(seen.first(7, odd, b, TrainingType::Retraining, 5), Some(3));
    assert_eq!(seen.first(7, a, b, TrainingType::Review, 6), None);
}

/// Trainings imported apart from their persons, in more batches than the cache of
/// looked-up persons covers: from the second batch the whole person index is read.
#[tokio::test]
async fn a_big_training_import_finds_persons_stored_before_it() {
    use anpei_core::demo::DemoConfig;
    let db = crate::testing::TestDb::new().await;
    let store = &db.store;
    let cfg = DemoConfig {
        seed: 4,
        subjects: 40,
        persons: 1000,
        as_of: store.today(),
    };
    let d = crate::demo::generate(store, &cfg).await.unwrap();
    assert!(d.trainings.len() > 2 * BATCH, "{}", d.trainings.len());
    let prov = provenance("t.csv", "training");
    store_ledger(store, &d, &[]).await;
    let mut ing = Ingest::begin(store, Scope::district_wide()).await.unwrap();
    push_rows(
        &mut ing,
        d.trainings.iter().cloned().map(LedgerRow::Training),
    )
    .await;
    let (report, outcome) = ing
        .finish(&Actor::system("test"), Mode::Normal, &prov)
        .await
        .unwrap();
    assert_eq!(outcome, "stored", "{:?}", report.rejections.first());
    let c = report.counts[&Table::Trainings];
    assert_eq!(c.inserted as usize, d.trainings.len());
    db.cleanup().await;
}

/// A training file bigger than an import's memory bounds (scaled down here): past them, each
/// batch looks its persons up by itself, and a row repeating one of an earlier batch is found
/// among the rows already stored. Every row is stored once and the repeat is rejected.
#[tokio::test]
async fn past_its_memory_bounds_an_import_still_finds_persons_and_repeats() {
    use anpei_core::demo::DemoConfig;
    let db = crate::testing::TestDb::new().await;
    let store = &db.store;
    let cfg = DemoConfig {
        seed: 5,
        subjects: 30,
        persons: 600,
        as_of: store.today(),
    };
    let d = crate::demo::generate(store, &cfg).await.unwrap();
    let prov = provenance("t.csv", "training");
    store_ledger(store, &d, &[]).await;
    let mut ing = Ingest::begin(store, Scope::district_wide()).await.unwrap();
    ing.bound_memory(300, 50);
    let n = d.trainings.len();
    assert!(n > 2 * ing.batch, "{n}");
    push_rows(
        &mut ing,
        d.trainings.iter().cloned().map(LedgerRow::Training),
    )
    .await;
    ing.push(n + 2, LedgerRow::Training(d.trainings[3].clone()), vec![])
        .await
        .unwrap();
    let (report, outcome) = ing
        .finish(&Actor::system("test"), Mode::Normal, &prov)
        .await
        .unwrap();
    assert_eq!(outcome, "partial");
    let c = report.counts[&Table::Trainings];
    assert_eq!(
        (c.inserted as usize, c.rejected),
        (n, 1),
        "{:?}",
        report.rejections
    );
    let e = &report.rejections[0];
    assert_eq!(e.row, n + 2);
    assert!(
        e.faults[0].reason.contains("与本文件中前面的一行重复"),
        "{:?}",
        e.faults
    );
    let stored = training::Entity::find().count(&store.db).await.unwrap();
    assert_eq!(stored as usize, n);
    db.cleanup().await;
}

pub(super) fn provenance(file_name: &str, kind: &str) -> Provenance {
    Provenance {
        file_name: file_name.into(),
        sha256: "00".repeat(32),
        kind: kind.into(),
    }
}

/// Imports `d`'s subjects and persons, and those of its certificates and trainings `more`
/// names, in one import that stores every row.
pub(super) async fn store_ledger(
    store: &Store,
    d: &anpei_core::demo::DemoDistrict,
    more: &[Table],
) {
    let mut ing = Ingest::begin(store, Scope::district_wide()).await.unwrap();
    push_rows(&mut ing, d.subjects.iter().cloned().map(LedgerRow::Subject)).await;
    push_rows(&mut ing, d.persons.iter().cloned().map(LedgerRow::Person)).await;
    if more.contains(&Table::Certificates) {
        let rows = d.certificates.iter().cloned().map(LedgerRow::Certificate);
        push_rows(&mut ing, rows).await;
    }
    if more.contains(&Table::Trainings) {
        let rows = d.trainings.iter().cloned().map(LedgerRow::Training);
        push_rows(&mut ing, rows).await;
    }
    let prov = provenance("t.csv", "ledger");
    let (report, outcome) = ing
        .finish(&Actor::system("test"), Mode::Normal, &prov)
        .await
        .unwrap();
    assert_eq!(outcome, "stored", "{:?}", report.rejections.first());
}

/// Pushes one table's rows, numbered from 2 as in a file under its header row.
pub(super) async fn push_rows(ing: &mut Ingest<'_>, rows: impl Iterator<Item = LedgerRow>) {
    for (i, r) in rows.enumerate() {
        ing.push(i + 2, r, vec![]).await.unwrap();
    }
}

#[test]
fn cells_split_back_into_the_original_cells() {
    let cells = vec!["a".to_string(), String::new(), "张三 ".to_string()];
    assert_eq!(Cells::new(&cells).split(), cells);
    assert_eq!(Cells::from(Vec::new()).split(), Vec::<String>::new());
}

/// The ledger's references hold in the database itself, whatever writes: on PostgreSQL by
/// the statement-level checks that replace the foreign keys, on SQLite by its foreign keys.
#[tokio::test]
async fn the_database_refuses_rows_naming_missing_persons_and_deleting_named_ones() {
    use anpei_core::demo::DemoConfig;
    use sea_orm::ConnectionTrait;
    let db = crate::testing::TestDb::new().await;
    let store = &db.store;
    let cfg = DemoConfig {
        seed: 6,
        subjects: 3,
        persons: 20,
        as_of: store.today(),
    };
    let d = crate::demo::generate(store, &cfg).await.unwrap();
    store_ledger(store, &d, &[Table::Certificates, Table::Trainings]).await;
    assert!(!d.certificates.is_empty());
    let t = training::Entity::find()
        .one(&store.db)
        .await
        .unwrap()
        .unwrap();
    let training_row = |person: i32, subject: i32, hour: u32| {
        format!(
            "INSERT INTO trainings (person_id, subject_id, training_type, form, start_at, \
             end_at, theory_hours, practical_hours, created_at) VALUES ({person}, {subject}, \
             'retraining', 'offline', '2020-01-01 {hour:02}:00:00', '2020-01-01 {hour:02}:30:00', \
             1, 0, 0)"
        )
    };
    // A row naming an existing person and employer goes in; a missing one is refused.
    store
        .db
        .execute_unprepared(&training_row(t.person_id, t.subject_id, 1))
        .await
        .unwrap();
    for bad in [
        training_row(t.person_id + 100_000, t.subject_id, 2),
        training_row(t.person_id, t.subject_id + 100_000, 3),
        format!(
            "UPDATE trainings SET person_id = {} WHERE id = {}",
            t.person_id + 100_000,
            t.id
        ),
        format!(
            "UPDATE certificates SET person_id = {}",
            t.person_id + 100_000
        ),
        format!("UPDATE persons SET subject_id = {}", t.subject_id + 100_000),
        format!("DELETE FROM persons WHERE id = {}", t.person_id),
        format!("DELETE FROM subjects WHERE id = {}", t.subject_id),
        format!(
            "UPDATE persons SET id = id + 100000 WHERE id = {}",
            t.person_id
        ),
    ] {
        let r = store.db.execute_unprepared(&bad).await;
        assert!(r.is_err(), "accepted: {bad}");
    }
    let stored = training::Entity::find().count(&store.db).await.unwrap();
    assert_eq!(stored as usize, d.trainings.len() + 1);
    db.cleanup().await;
}
