use sea_orm::entity::prelude::*;

/// One face check (人脸核验) of a trainee on an online-training platform.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "online_face_checks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub platform: String,
    pub id_bidx: String,
    pub person_id: i32,
    pub subject_id: i32,
    pub provider_id: Option<i32>,
    pub at: DateTime,
    pub passed: bool,
    pub similarity: Option<f64>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
