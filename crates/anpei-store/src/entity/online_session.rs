use sea_orm::entity::prelude::*;

/// One learning session (学习记录) of an online-training platform's log.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "online_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub platform: String,
    /// Blind index of the trainee's ID number.
    pub id_bidx: String,
    pub person_id: i32,
    /// The trainee's employer.
    pub subject_id: i32,
    /// The training institution whose upload it came from.
    pub provider_id: Option<i32>,
    pub course_no: String,
    pub start_at: DateTime,
    pub end_at: DateTime,
    /// Seconds of course video covered.
    pub progress_secs: i64,
    pub device: Option<String>,
    pub ip: Option<String>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
