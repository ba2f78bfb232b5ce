use sea_orm::entity::prelude::*;

/// One item of the versioned checklist catalogue (notice §二), text verbatim.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "checklist_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub version: i32,
    /// Subject kind code (`anpei_core::kinds`).
    pub kind: String,
    /// E01–E10, T01–T04, S01–S08, X01–X08.
    pub code: String,
    pub seq: i32,
    /// The notice's heading, e.g. （一）生产经营单位.
    pub section: String,
    /// The notice's sentence without its leading number.
    pub text: String,
    /// Comma-separated rule codes whose open findings pre-fill the item as evidence.
    pub rules: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
