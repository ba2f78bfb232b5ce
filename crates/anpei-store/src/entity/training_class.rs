use sea_orm::entity::prelude::*;

/// A training class (培训班), kept as 一期一档 (see migration m0012_training_records).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "training_classes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub subject_id: i32,
    pub code: String,
    pub course_type: String,
    pub syllabus_hours: f64,
    pub start_on: Date,
    pub end_on: Date,
    pub venue_id: Option<i32>,
    pub capacity: i32,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
