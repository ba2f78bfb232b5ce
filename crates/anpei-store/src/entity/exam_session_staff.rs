use sea_orm::entity::prelude::*;

/// 考务人员 of a session: role and presence.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exam_session_staff")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub session_id: i32,
    pub subject_id: i32,
    pub name: String,
    pub id_enc: Vec<u8>,
    pub id_bidx: String,
    pub id_masked: String,
    /// `patrol` 巡考员, `proctor` 监考员, `examiner` 考评员.
    pub role: String,
    pub present_from: Option<DateTime>,
    pub present_to: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
