use sea_orm::entity::prelude::*;

/// The district's supervision score sheet (考核督查) of one department or town in a
/// campaign. `scores`: JSON of the data-derived indicators and their points;
/// `findings`: the supervisors' own findings (each also a problem of that department or
/// town). `status`: draft, final.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_sheets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub department_id: Option<i32>,
    pub town_id: Option<i32>,
    pub district_id: Option<i32>,
    pub scores: String,
    pub data_score: f64,
    pub manual_score: f64,
    pub total: f64,
    pub findings: String,
    pub status: crate::campaign::supervision::SheetStatus,
    pub created_by: Option<i32>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
