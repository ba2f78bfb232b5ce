use sea_orm::entity::prelude::*;

/// An on-the-spot test (逢查必考) of a certificate holder during an inspection.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "spot_tests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub inspection_id: i32,
    pub person_id: i32,
    pub certificate_id: Option<i32>,
    /// 0–100.
    pub score: i32,
    pub passed: bool,
    pub note: String,
    pub tested_on: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
