use sea_orm::entity::prelude::*;

/// One session (课次) of a class (see migration m0012_training_records).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "training_class_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub subject_id: i32,
    pub class_id: i32,
    pub seq: i32,
    pub start_at: DateTime,
    pub end_at: DateTime,
    pub teacher_id: Option<i32>,
    /// `offline` or `online`.
    pub mode: String,
    pub video_file: Option<String>,
    pub video_sha256: Option<String>,
    pub video_seconds: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
