use sea_orm::entity::prelude::*;

/// A district's own dates for a city's campaign (区县实施安排): `phases` is a JSON list of
/// `[starts_on, ends_on]`, one per phase of the campaign in order, each inside the city's.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_districts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub district_id: i32,
    pub phases: String,
    pub summary_due: Date,
    pub updated_at: i64,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
