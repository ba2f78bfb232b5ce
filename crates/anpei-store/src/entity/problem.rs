use sea_orm::entity::prelude::*;

/// One entry of the problem list (问题清单). `source`: self_inspection (自查),
/// enforcement (执法检查), supervision (督查), tipoff (举报), rule_engine (规则引擎).
/// `status`: pending (待整改), in_progress (整改中), awaiting_verification (已整改待核验),
/// closed (已销号); overdue (逾期) is shown when the deadline has passed unresolved.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "problems")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: Option<i32>,
    pub subject_id: i32,
    pub source: crate::campaign::problems::Source,
    /// What it came from, e.g. `self_inspection:12`.
    pub source_ref: Option<String>,
    pub item_code: Option<String>,
    pub description: String,
    pub measures: String,
    pub deadline: Date,
    pub responsible_name: String,
    pub responsible_phone_enc: Option<Vec<u8>>,
    pub responsible_phone_masked: Option<String>,
    pub status: crate::campaign::problems::ProblemStatus,
    pub created_at: i64,
    pub created_by: Option<i32>,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    pub closed_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::subject::Entity",
        from = "Column::SubjectId",
        to = "super::subject::Column::Id"
    )]
    Subject,
}

impl Related<super::subject::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Subject.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
