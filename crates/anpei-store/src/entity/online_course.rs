use sea_orm::entity::prelude::*;

/// A course (课程) of an online-training platform.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "online_courses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub platform: String,
    pub course_no: String,
    pub title: String,
    pub video_secs: i64,
    pub hours: f64,
    /// The training institution whose upload it came from.
    pub provider_id: Option<i32>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
