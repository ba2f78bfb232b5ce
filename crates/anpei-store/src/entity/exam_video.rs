use sea_orm::entity::prelude::*;

/// 考试录像 of a session (metadata; the file stays where `location` says).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exam_videos")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub session_id: i32,
    pub subject_id: i32,
    pub file_name: String,
    pub sha256: String,
    pub duration_secs: i32,
    pub location: String,
    /// Session date + `Params::exam_video_retention_years`.
    pub keep_until: Date,
    /// Set when the recording was lost or deleted.
    pub deleted_at: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
