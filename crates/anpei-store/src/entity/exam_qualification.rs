use sea_orm::entity::prelude::*;

/// The exam qualification of an exam site or exam institution: normal, suspended,
/// cancelled (set by enforcement actions). No row: normal.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exam_qualifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub subject_id: i32,
    pub status: crate::enforcement::Qualification,
    pub since: Date,
    pub action_id: Option<i32>,
    pub reason: String,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
