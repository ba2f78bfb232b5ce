use sea_orm::entity::prelude::*;

/// A trainee on a class's roster, with the assessment score (see migration m0012_training_records).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "training_trainees")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub subject_id: i32,
    pub class_id: i32,
    pub name: String,
    pub id_enc: Vec<u8>,
    pub id_bidx: String,
    pub id_masked: String,
    pub score: Option<f64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
