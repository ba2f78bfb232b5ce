use sea_orm::entity::prelude::*;

/// A person on a subject's ledger. The ID and phone numbers are encrypted; `id_bidx` is
/// the keyed hash (blind index) that finds a person by ID number without decrypting.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "persons")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub subject_id: i32,
    pub name: String,
    pub id_enc: Vec<u8>,
    pub id_bidx: String,
    pub id_masked: String,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_masked: Option<String>,
    /// `Post::code()`.
    pub post: String,
    pub special_category: Option<String>,
    pub appointed_on: Date,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::subject::Entity",
        from = "Column::SubjectId",
        to = "super::subject::Column::Id"
    )]
    Subject,
}

impl Related<super::subject::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Subject.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
