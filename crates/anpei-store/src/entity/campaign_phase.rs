use sea_orm::entity::prelude::*;

/// One phase of a campaign. `kind`: self_inspection (自查自改), enforcement (执法检查),
/// supervision (考核督查), summary (总结提升).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_phases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub seq: i32,
    pub kind: String,
    pub name: String,
    pub starts_on: Date,
    /// Inclusive.
    pub ends_on: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
