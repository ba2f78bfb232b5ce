use sea_orm::entity::prelude::*;

/// A problem of a department or a town found by the district's supervisors (督查问题):
/// exactly one of `department_id`, `town_id` and `district_id` (the city's supervisors) is set. `status`: pending (待整改), closed
/// (已销号). Created with the supervision sheet's findings.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_problems")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub sheet_id: i32,
    pub department_id: Option<i32>,
    pub town_id: Option<i32>,
    pub district_id: Option<i32>,
    pub description: String,
    pub measures: String,
    pub deadline: Date,
    pub status: crate::campaign::supervision::SupervisionProblemStatus,
    pub closing_note: Option<String>,
    pub created_by: Option<i32>,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    pub closed_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
