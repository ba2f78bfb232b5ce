use sea_orm::entity::prelude::*;

/// A trainee's sign-in and sign-out at one session (see migration m0012_training_records).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "training_attendance")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub subject_id: i32,
    pub session_id: i32,
    pub trainee_id: i32,
    pub sign_in: Option<DateTime>,
    pub sign_out: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
