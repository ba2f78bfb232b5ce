use sea_orm::entity::prelude::*;

/// 区县: a district or county of the city (GB/T 2260 code and name). A one-district
/// installation has exactly one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "districts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Six digits (500112); empty for the district an older installation migrated into
    /// until it is named.
    #[sea_orm(unique)]
    pub code: String,
    #[sea_orm(unique)]
    pub name: String,
    pub sort: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
