use sea_orm::entity::prelude::*;

/// An entry of the certificate registry (登记库): the authoritative list of issued
/// certificates, against which ledgers are checked (CERT_NOT_IN_REGISTRY).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registry_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub cert_type: String,
    pub cert_no_enc: Vec<u8>,
    #[sea_orm(unique)]
    pub cert_no_bidx: String,
    pub cert_no_masked: String,
    pub holder_bidx: String,
    pub holder_masked: String,
    pub name: String,
    pub category: Option<String>,
    pub operation_item: Option<String>,
    pub first_issued: Option<Date>,
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
    pub review_due: Option<Date>,
    pub reviewed_on: Option<Date>,
    pub issuer: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
