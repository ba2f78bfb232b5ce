use sea_orm::entity::prelude::*;

/// An enforcement inspection (执法检查) of one subject by a department or a town.
/// `inspectors`: JSON list `[{"name": …, "cert_no": …}]`, at least two officers with
/// enforcement certificate numbers. `status`: draft, completed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inspections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: Option<i32>,
    pub subject_id: i32,
    /// The inspecting department (行业监管) — or
    pub department_id: Option<i32>,
    /// the inspecting town (属地监管); neither: the district itself.
    pub town_id: Option<i32>,
    pub inspected_on: Date,
    pub inspectors: String,
    pub catalogue_version: i32,
    pub notes: String,
    pub status: crate::enforcement::InspectionStatus,
    pub created_by: Option<i32>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
