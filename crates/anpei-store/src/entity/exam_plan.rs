use sea_orm::entity::prelude::*;

/// 考试计划: a planned exam of an exam site or exam institution (`subject_id`) at a site.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exam_plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub subject_id: i32,
    /// The exam site (a subject of kind exam_site; the subject itself for a site's own plan).
    pub site_id: i32,
    pub starts_at: DateTime,
    pub ends_at: DateTime,
    pub category: String,
    pub planned_candidates: i32,
    pub created_by: Option<i32>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
