use sea_orm::entity::prelude::*;

/// The label of an API token. The token itself is a `sessions` row of kind `api` (only the
/// SHA-256 of its secret is stored); this row goes with it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub session_id_hash: String,
    pub user_id: i32,
    pub label: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
