use sea_orm::entity::prelude::*;

/// A typical case (典型案例), published on the public page with personal data removed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "typical_cases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub title: String,
    pub body: String,
    pub subject_id: Option<i32>,
    pub action_id: Option<i32>,
    pub published: bool,
    pub published_on: Option<Date>,
    pub created_by: Option<i32>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
