use sea_orm::entity::prelude::*;

/// The handling history of a tip-off: received, assigned, extended, closed, feedback,
/// reporter erased. Never carries the reporter's identity.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tipoff_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub tipoff_id: i32,
    pub kind: String,
    pub text: String,
    pub by_user: Option<i32>,
    pub by_name: String,
    pub at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
