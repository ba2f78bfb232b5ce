use sea_orm::entity::prelude::*;

/// A message in a user's in-app inbox (reminders, returned reports, verifications).
/// `dedupe_key` makes a reminder idempotent: the same reminder is never sent twice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbox_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: String,
    #[sea_orm(unique)]
    pub dedupe_key: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
