use sea_orm::entity::prelude::*;

/// 考试场次: an exam actually held.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exam_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub subject_id: i32,
    pub plan_id: Option<i32>,
    pub site_id: i32,
    pub room: String,
    pub started_at: DateTime,
    pub ended_at: DateTime,
    /// `national` (国家考试系统) or `paper` (纸质).
    pub system: String,
    pub category: String,
    /// A high-risk industry manager's exam (must be on the national system).
    pub high_risk_manager: bool,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
