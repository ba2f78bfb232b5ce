use sea_orm::entity::prelude::*;

/// 镇街: a town (镇) or street (街道) of a district; its name is unique within the district.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "towns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub district_id: i32,
    /// GB/T 2260 / 统计用区划代码 of the town (9 digits), where known.
    pub code: Option<String>,
    pub name: String,
    /// 街道 or 镇.
    pub kind: String,
    pub sort: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
