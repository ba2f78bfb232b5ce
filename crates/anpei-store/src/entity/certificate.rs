use sea_orm::entity::prelude::*;

/// A certificate held by a person. A special-operation certificate's number is the
/// holder's ID number, so the number is personal data: encrypted, blind-indexed, masked.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub person_id: i32,
    /// `CertType::code()`.
    pub cert_type: String,
    pub cert_no_enc: Vec<u8>,
    pub cert_no_bidx: String,
    pub cert_no_masked: String,
    pub category: Option<String>,
    pub operation_item: Option<String>,
    pub first_issued: Option<Date>,
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
    pub review_due: Option<Date>,
    pub reviewed_on: Option<Date>,
    pub issuer: Option<String>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::PersonId",
        to = "super::person::Column::Id"
    )]
    Person,
}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
