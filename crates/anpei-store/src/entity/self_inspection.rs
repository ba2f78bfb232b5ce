use sea_orm::entity::prelude::*;

/// A subject's self-inspection (自查) in one campaign. `status`: draft, submitted, returned
/// (sent back for correction; editable again), see `SelfcheckStatus`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "self_inspections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub subject_id: i32,
    pub status: crate::campaign::selfcheck::SelfcheckStatus,
    /// The period covered (institutions: since 2019-01, notice §三(一)).
    pub period_from: Option<Date>,
    pub period_to: Option<Date>,
    pub submitted_at: Option<i64>,
    pub submitted_by: Option<i32>,
    pub returned_at: Option<i64>,
    pub returned_by: Option<i32>,
    pub return_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
