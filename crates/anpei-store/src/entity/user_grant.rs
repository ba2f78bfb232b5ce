use sea_orm::entity::prelude::*;

/// A duty granted to an account beside its role, by the security administrator. Today:
/// `tipoff_intake` (举报受理) for district users.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_grants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub grant: String,
    pub granted_by: Option<i32>,
    pub granted_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
