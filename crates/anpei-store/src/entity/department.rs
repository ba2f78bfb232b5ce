use sea_orm::entity::prelude::*;

/// 安委会成员单位: a member department that supervises some industries, of a district
/// (区应急管理局 of 渝北区) or of the city (none: 市应急管理局), a district's department
/// naming the city department above it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "departments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub district_id: Option<i32>,
    pub parent_id: Option<i32>,
    pub name: String,
    pub sort: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
