use sea_orm::entity::prelude::*;

/// An online exam (在线考试) a trainee took on a platform.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "online_exams")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub platform: String,
    pub id_bidx: String,
    pub person_id: i32,
    pub subject_id: i32,
    pub provider_id: Option<i32>,
    pub exam_no: String,
    pub start_at: DateTime,
    pub end_at: DateTime,
    pub questions: i64,
    pub score: f64,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
