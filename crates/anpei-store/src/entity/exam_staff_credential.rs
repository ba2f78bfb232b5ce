use sea_orm::entity::prelude::*;

/// 考务证件: 巡考员证, 监考员证, 考评员证 of a person working for an exam site/institution.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exam_staff_credentials")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub subject_id: i32,
    pub name: String,
    pub id_enc: Vec<u8>,
    pub id_bidx: String,
    pub id_masked: String,
    /// The staff role code the credential is for (`patrol`, `proctor`, `examiner`).
    pub kind: String,
    pub number: String,
    pub valid_from: Date,
    pub valid_until: Date,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_bidx: Option<String>,
    pub phone_masked: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
