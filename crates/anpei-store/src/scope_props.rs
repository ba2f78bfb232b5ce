//! Property: for random accounts and the records of a city of three districts (a city
//! department over the districts' emergency bureaus), what a query returns is
//! exactly what the scope contains — no more (leak), no less (hidden work).

use crate::entity::{certificate, person, subject, training};
use crate::testing::TestDb;
use crate::{demo, scope};
use anpei_core::demo::DemoConfig;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sea_orm::{EntityTrait, QuerySelect};
use std::collections::{BTreeSet, HashMap};

#[test]
fn visibility_equals_scope_containment_for_random_users() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(async {
        let db = TestDb::new().await;
        let cfg = DemoConfig {
            seed: 3,
            subjects: 50,
            persons: 300,
            as_of: db.store.today(),
        };
        demo::load(&db.store, &cfg).await.unwrap();
        demo::load_other_districts(&db.store, &cfg, 3)
            .await
            .unwrap();
        db
    });
    let conn = &db.store.db;
    let subjects: Vec<subject::Model> = rt.block_on(subject::Entity::find().all(conn)).unwrap();
    let persons: Vec<person::Model> = rt.block_on(person::Entity::find().all(conn)).unwrap();
    let certs: Vec<certificate::Model> =
        rt.block_on(certificate::Entity::find().all(conn)).unwrap();
    let trainings: Vec<training::Model> = rt.block_on(training::Entity::find().all(conn)).unwrap();
    let by_id: HashMap<i32, &subject::Model> = subjects.iter().map(|s| (s.id, s)).collect();
    let oracle = rt.block_on(crate::testing::access::Containment::load(&db.store));
    let person_subject: HashMap<i32, i32> = persons.iter().map(|p| (p.id, p.subject_id)).collect();
    let max_town = subjects.iter().map(|s| s.town_id).max().unwrap() + 2;
    let max_dep = subjects.iter().map(|s| s.department_id).max().unwrap() + 2;
    let max_subject = subjects.iter().map(|s| s.id).max().unwrap() + 2;

    let strategy = prop_oneof![
        Just(crate::testing::scope(crate::Reach::All)),
        Just(crate::testing::scope(crate::Reach::Nothing)),
        (0..max_town).prop_map(|x| crate::testing::scope(crate::Reach::Town(x))),
        (0..max_dep).prop_map(|x| crate::testing::scope(crate::Reach::Department(x))),
        (0..max_dep).prop_map(|x| crate::testing::scope(crate::Reach::CityDepartment(x))),
        (0..5).prop_map(|x| crate::testing::scope(crate::Reach::District(x))),
        (0..max_subject).prop_map(|x| crate::testing::scope(crate::Reach::Subject(x))),
    ];
    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    runner
        .run(&strategy, |scope| {
            let contains = |sid: i32| by_id.get(&sid).is_some_and(|s| oracle.contains(&scope, s));
            let got: BTreeSet<i32> = rt
                .block_on(
                    scope::subjects(&scope)
                        .select_only()
                        .column(subject::Column::Id)
                        .into_tuple::<i32>()
                        .all(conn),
                )
                .unwrap()
                .into_iter()
                .collect();
            let want: BTreeSet<i32> = subjects
                .iter()
                .filter(|s| contains(s.id))
                .map(|s| s.id)
                .collect();
            prop_assert_eq!(got, want, "subjects of {:?}", scope);

            let got: BTreeSet<i32> = rt
                .block_on(scope::persons(&scope).all(conn))
                .unwrap()
                .into_iter()
                .map(|p| p.id)
                .collect();
            let want: BTreeSet<i32> = persons
                .iter()
                .filter(|p| contains(p.subject_id))
                .map(|p| p.id)
                .collect();
            prop_assert_eq!(got, want, "persons of {:?}", scope);

            let got: BTreeSet<i32> = rt
                .block_on(scope::certificates(&scope).all(conn))
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect();
            let want: BTreeSet<i32> = certs
                .iter()
                .filter(|c| contains(person_subject[&c.person_id]))
                .map(|c| c.id)
                .collect();
            prop_assert_eq!(got, want, "certificates of {:?}", scope);

            let got: BTreeSet<i32> = rt
                .block_on(scope::trainings(&scope).all(conn))
                .unwrap()
                .into_iter()
                .map(|t| t.id)
                .collect();
            let want: BTreeSet<i32> = trainings
                .iter()
                .filter(|t| contains(t.subject_id))
                .map(|t| t.id)
                .collect();
            prop_assert_eq!(got, want, "trainings of {:?}", scope);
            Ok(())
        })
        .unwrap();
    rt.block_on(db.cleanup());
}
