use sea_orm::entity::prelude::*;

/// The result of one checklist item in an inspection: compliant, noncompliant,
/// not_applicable. A noncompliant item becomes a problem (来源 执法检查), `problem_id`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inspection_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub inspection_id: i32,
    pub item_code: String,
    pub result: String,
    pub note: String,
    pub problem_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
