use sea_orm::entity::prelude::*;

/// An account. `role` is `Role::code()` (the requested role while `awaiting_grant`);
/// exactly the scope column of the role is set.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub scope_department_id: Option<i32>,
    pub scope_town_id: Option<i32>,
    pub scope_subject_id: Option<i32>,
    pub active: bool,
    pub must_change_password: bool,
    pub password_changed_at: i64,
    pub failed_logins: i32,
    pub locked_until: Option<i64>,
    pub created_at: i64,
    /// Created by the system administrator with a requested role that the security
    /// administrator has not granted yet: no sign-in, no scope (三员分立).
    pub awaiting_grant: bool,
    /// The district of a `district` account.
    pub scope_district_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
