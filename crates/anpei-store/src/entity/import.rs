use sea_orm::entity::prelude::*;

/// One import in the history: who, when, which file (by SHA-256), and counts that reconcile.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "imports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub at: i64,
    pub user_id: Option<i32>,
    pub username: String,
    pub file_name: String,
    pub sha256: String,
    /// ledger, subjects, persons, certificates, training, registry.
    pub kind: String,
    /// normal, strict, dry-run.
    pub mode: String,
    /// stored, partial, aborted, validated.
    pub outcome: String,
    /// JSON: per table {read, inserted, updated, unchanged, rejected}.
    pub counts: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
