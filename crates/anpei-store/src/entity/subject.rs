use sea_orm::entity::prelude::*;

/// 监管对象: an enterprise, training institution, exam site or exam institution.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subjects")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub uscc: String,
    pub name: String,
    pub kind: anpei_core::SubjectKind,
    pub industry: Option<String>,
    pub department_id: i32,
    pub town_id: i32,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone_enc: Option<Vec<u8>>,
    pub contact_phone_masked: Option<String>,
    /// Exam qualification: normal / suspended / cancelled (kept with `exam_qualifications`).
    pub status: crate::enforcement::Qualification,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::town::Entity",
        from = "Column::TownId",
        to = "super::town::Column::Id"
    )]
    Town,
    #[sea_orm(
        belongs_to = "super::department::Entity",
        from = "Column::DepartmentId",
        to = "super::department::Column::Id"
    )]
    Department,
}

impl Related<super::town::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Town.def()
    }
}

impl Related<super::department::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Department.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
