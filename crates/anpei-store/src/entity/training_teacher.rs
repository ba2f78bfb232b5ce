use sea_orm::entity::prelude::*;

/// A training institution's teacher (专职/兼职) (see migration m0012_training_records).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "training_teachers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub subject_id: i32,
    pub name: String,
    /// `full` or `part`.
    pub employment: String,
    pub qualification: String,
    pub id_enc: Vec<u8>,
    pub id_bidx: String,
    pub id_masked: String,
    pub created_at: i64,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_bidx: Option<String>,
    pub phone_masked: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
