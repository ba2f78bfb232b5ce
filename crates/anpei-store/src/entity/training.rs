use sea_orm::entity::prelude::*;

/// A training record (培训记录). `created_at` (when it was entered) is kept apart from the
/// dates it claims, so back-filled archives show.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "trainings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub person_id: i32,
    pub subject_id: i32,
    /// `TrainingType::code()`.
    pub training_type: String,
    /// `TrainingForm::code()`.
    pub form: String,
    pub start_at: DateTime,
    pub end_at: DateTime,
    pub theory_hours: f64,
    pub practical_hours: f64,
    pub institution: Option<String>,
    pub score: Option<f64>,
    pub result: Option<String>,
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
    #[sea_orm(
        belongs_to = "super::subject::Entity",
        from = "Column::SubjectId",
        to = "super::subject::Column::Id"
    )]
    Subject,
}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
