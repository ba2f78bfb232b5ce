//! Test support — audit log, backups, the store itself, and whole-table readers for tests
//! that compare what a scoped query returns with everything stored.

use crate::entity::{certificate, finding, person, subject, training, user};
use crate::model;
use crate::Store;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

/// How many rows `table` holds (any table, business or not).
pub async fn row_count(store: &Store, table: &str) -> u64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let row = store
        .db
        .query_one(sea_orm::Statement::from_string(store.backend(), sql))
        .await
        .expect("count rows")
        .expect("a count");
    row.try_get::<i64>("", "n").expect("a count") as u64
}

/// How many findings are stored with `status` (`open`, `resolved`, …).
pub async fn finding_count(store: &Store, status: &str) -> u64 {
    finding::Entity::find()
        .filter(finding::Column::Status.eq(status))
        .count(&store.db)
        .await
        .expect("count findings")
}

/// Every subject of the district, in id order.
pub async fn all_subjects(store: &Store) -> Vec<model::Subject> {
    subject::Entity::find()
        .order_by_asc(subject::Column::Id)
        .all(&store.db)
        .await
        .expect("read subjects")
}

/// Every person row (one employer's record of a worker), in id order.
pub async fn all_persons(store: &Store) -> Vec<model::Person> {
    person::Entity::find()
        .order_by_asc(person::Column::Id)
        .all(&store.db)
        .await
        .expect("read persons")
}

/// Every certificate, in id order.
pub async fn all_certificates(store: &Store) -> Vec<model::Certificate> {
    certificate::Entity::find()
        .order_by_asc(certificate::Column::Id)
        .all(&store.db)
        .await
        .expect("read certificates")
}

/// Every training record, in id order.
pub async fn all_trainings(store: &Store) -> Vec<model::Training> {
    training::Entity::find()
        .order_by_asc(training::Column::Id)
        .all(&store.db)
        .await
        .expect("read trainings")
}

/// Every account, in id order.
pub async fn all_users(store: &Store) -> Vec<model::User> {
    user::Entity::find()
        .order_by_asc(user::Column::Id)
        .all(&store.db)
        .await
        .expect("read accounts")
}
