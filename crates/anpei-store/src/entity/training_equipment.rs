use sea_orm::entity::prelude::*;

/// Practical-training equipment of an institution (see migration m0012_training_records).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "training_equipment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub subject_id: i32,
    pub name: String,
    pub quantity: i32,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
