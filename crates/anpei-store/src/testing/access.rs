//! Test support — Accounts, grants, uploads and the read and write matrices.

use crate::entity::{
    evidence_file, exam_session, inspection, job_run, person, self_inspection,
    self_inspection_answer, subject, tipoff, training_class, typical_case,
};
use crate::model;
use crate::Store;
use chrono::{NaiveDate, NaiveDateTime};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, Statement,
};

// ---- what tests observe ---------------------------------------------------------------------

/// Every subject, in id order (whoever may see it: tests pick theirs with `Scope::contains`).
pub async fn subjects(store: &Store) -> Vec<model::Subject> {
    subject::Entity::find()
        .order_by_asc(subject::Column::Id)
        .all(&store.db)
        .await
        .expect("read subjects")
}

/// Every person on the ledgers as stored (identifiers encrypted and masked), in id order.
pub async fn persons(store: &Store) -> Vec<model::Person> {
    person::Entity::find()
        .order_by_asc(person::Column::Id)
        .all(&store.db)
        .await
        .expect("read persons")
}

/// Every tip-off as stored (the reporter's name and contact encrypted), in id order.
pub async fn tipoffs(store: &Store) -> Vec<model::Tipoff> {
    tipoff::Entity::find()
        .order_by_asc(tipoff::Column::Id)
        .all(&store.db)
        .await
        .expect("read tip-offs")
}

/// Every evidence file's row, whatever owns it, in id order.
pub async fn evidence_files(store: &Store) -> Vec<model::EvidenceFile> {
    evidence_file::Entity::find()
        .order_by_asc(evidence_file::Column::Id)
        .all(&store.db)
        .await
        .expect("read evidence files")
}

/// Every run the scheduled jobs recorded, with its outcome, in id order.
pub async fn job_runs(store: &Store) -> Vec<model::JobRun> {
    job_run::Entity::find()
        .order_by_asc(job_run::Column::Id)
        .all(&store.db)
        .await
        .expect("read job runs")
}

/// The id and subject of every row of `table` (a table of objects that belong to a subject:
/// `inspections`, `self_inspections`, `exam_sessions`, `training_classes`, …), in id order.
pub async fn subject_rows(store: &Store, table: &str) -> Vec<(i32, Option<i32>)> {
    assert!(
        table.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
        "a table name: {table}"
    );
    store
        .db
        .query_all(Statement::from_string(
            store.db.get_database_backend(),
            format!("SELECT id, subject_id FROM {table} ORDER BY id"),
        ))
        .await
        .unwrap_or_else(|e| panic!("read {table}: {e}"))
        .iter()
        .map(|r| {
            (
                r.try_get_by_index::<i32>(0).expect("an id"),
                r.try_get_by_index::<Option<i32>>(1).expect("a subject id"),
            )
        })
        .collect()
}

/// The names of the triggers on `table` in SQLite's catalogue (none on PostgreSQL), for
/// tamper tests that drop them as someone holding the database file could.
pub async fn sqlite_triggers(store: &Store, table: &str) -> Vec<String> {
    if store.backend() != sea_orm::DbBackend::Sqlite {
        return Vec::new();
    }
    store
        .db
        .query_all(Statement::from_sql_and_values(
            sea_orm::DbBackend::Sqlite,
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
            [table.into()],
        ))
        .await
        .expect("read the catalogue")
        .iter()
        .map(|r| r.try_get::<String>("", "name").expect("a name"))
        .collect()
}

// ---- what tests arrange ---------------------------------------------------------------------

/// A completed inspection of a subject on `on`, without officers or checklist results (an
/// object for the matrices' inspection routes); returns its id.
pub async fn add_inspection(store: &Store, subject_id: i32, on: NaiveDate) -> i32 {
    inspection::ActiveModel {
        subject_id: Set(subject_id),
        inspected_on: Set(on),
        inspectors: Set("[]".into()),
        catalogue_version: Set(1),
        notes: Set(String::new()),
        status: Set(crate::enforcement::InspectionStatus::Completed),
        created_at: Set(0),
        updated_at: Set(0),
        ..Default::default()
    }
    .insert(&store.db)
    .await
    .expect("insert an inspection")
    .id
}

/// A typical case drawn from no action: published on `published_on`, or a draft when `None`;
/// returns its id.
pub async fn add_case(
    store: &Store,
    title: &str,
    body: &str,
    published_on: Option<NaiveDate>,
) -> i32 {
    typical_case::ActiveModel {
        title: Set(title.into()),
        body: Set(body.into()),
        published: Set(published_on.is_some()),
        published_on: Set(published_on),
        created_at: Set(0),
        ..Default::default()
    }
    .insert(&store.db)
    .await
    .expect("insert a typical case")
    .id
}

/// An exam session of two hours from `at` at a subject (its own site: 电工作业, the national
/// system, 第一考场), without a plan; returns its id.
pub async fn add_exam_session(store: &Store, subject_id: i32, at: NaiveDateTime) -> i32 {
    exam_session::ActiveModel {
        subject_id: Set(subject_id),
        plan_id: Set(None),
        site_id: Set(subject_id),
        room: Set("第一考场".into()),
        started_at: Set(at),
        ended_at: Set(at + chrono::Duration::hours(2)),
        system: Set("national".into()),
        category: Set("电工作业".into()),
        high_risk_manager: Set(false),
        created_at: Set(0),
        ..Default::default()
    }
    .insert(&store.db)
    .await
    .expect("insert an exam session")
    .id
}

/// A one-day training class `code` of a subject on `on` (主要负责人初次培训, 32 hours, 30
/// places, no venue); returns its id.
pub async fn add_training_class(store: &Store, subject_id: i32, code: &str, on: NaiveDate) -> i32 {
    training_class::ActiveModel {
        subject_id: Set(subject_id),
        code: Set(code.into()),
        course_type: Set("主要负责人初次培训".into()),
        syllabus_hours: Set(32.0),
        start_on: Set(on),
        end_on: Set(on),
        venue_id: Set(None),
        capacity: Set(30),
        created_at: Set(0),
        ..Default::default()
    }
    .insert(&store.db)
    .await
    .expect("insert a training class")
    .id
}

/// Puts a self-inspection in `status` whatever it was (a submitted one back to a draft, as
/// no single user action does).
pub async fn set_self_inspection_status(
    store: &Store,
    id: i32,
    status: crate::campaign::selfcheck::SelfcheckStatus,
) {
    let mut am = self_inspection::Entity::find_by_id(id)
        .one(&store.db)
        .await
        .expect("read the self-inspection")
        .expect("the self-inspection exists")
        .into_active_model();
    am.status = Set(status);
    am.updated_at = Set(0);
    am.update(&store.db)
        .await
        .expect("update the self-inspection");
}

/// The answer to item `item_code` of a self-inspection, left unanswered when it has none
/// yet; returns its id (the owner of the item's evidence files).
pub async fn self_inspection_answer(store: &Store, inspection_id: i32, item_code: &str) -> i32 {
    let found = self_inspection_answer::Entity::find()
        .filter(self_inspection_answer::Column::InspectionId.eq(inspection_id))
        .filter(self_inspection_answer::Column::ItemCode.eq(item_code))
        .one(&store.db)
        .await
        .expect("read the answers");
    match found {
        Some(a) => a.id,
        None => {
            self_inspection_answer::ActiveModel {
                inspection_id: Set(inspection_id),
                item_code: Set(item_code.into()),
                answer: Set("unanswered".into()),
                explanation: Set(String::new()),
                updated_at: Set(0),
                ..Default::default()
            }
            .insert(&store.db)
            .await
            .expect("insert an answer")
            .id
        }
    }
}

/// The test's own oracle of what a scope contains: each subject placed by its town's
/// district and its department's city department, read from the tables directly.
pub struct Containment {
    district_of_town: std::collections::HashMap<i32, i32>,
    parent_of_department: std::collections::HashMap<i32, i32>,
}

impl Containment {
    pub async fn load(store: &Store) -> Containment {
        use crate::entity::{department, town};
        let towns = town::Entity::find()
            .all(&store.db)
            .await
            .expect("read towns");
        let deps = department::Entity::find()
            .all(&store.db)
            .await
            .expect("read departments");
        Containment {
            district_of_town: towns.into_iter().map(|t| (t.id, t.district_id)).collect(),
            parent_of_department: deps
                .into_iter()
                .filter_map(|d| d.parent_id.map(|p| (d.id, p)))
                .collect(),
        }
    }

    pub fn contains(&self, scope: &crate::Scope, s: &model::Subject) -> bool {
        scope.contains(
            s,
            self.district_of_town.get(&s.town_id).copied().unwrap_or(-1),
            self.parent_of_department.get(&s.department_id).copied(),
        )
    }
}
