use sea_orm::entity::prelude::*;

/// The history of a problem: rectification updates (with evidence files owned by
/// `problem_event`), verification (销号), rejection with a reason, status changes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "problem_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub problem_id: i32,
    /// created, rectify, request_verification, verify, reject, overdue.
    pub kind: String,
    pub text: String,
    pub status_after: String,
    pub by_user: Option<i32>,
    pub by_name: String,
    pub at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
