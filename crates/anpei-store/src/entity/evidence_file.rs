use sea_orm::entity::prelude::*;

/// An uploaded evidence file, stored outside any served directory under `stored_name`
/// (its SHA-256). `owner_kind`: answer, problem_event, campaign, … ; `subject_id` is the
/// subject whose scope governs who may download it (none: district-only).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evidence_files")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub owner_kind: String,
    pub owner_id: i32,
    pub subject_id: Option<i32>,
    pub file_name: String,
    pub mime: String,
    pub size: i64,
    pub sha256: String,
    pub stored_name: String,
    pub uploaded_by: Option<i32>,
    pub uploaded_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
