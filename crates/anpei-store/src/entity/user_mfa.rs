use sea_orm::entity::prelude::*;

/// An account's second factor (TOTP, RFC 6238). The secrets are SM4-GCM ciphertexts of
/// their base32 form (`Crypto::encrypt`); `last_step` is the time step of the last code
/// accepted, so that no code is accepted twice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_mfa")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    /// The confirmed secret; `None` until a first code confirmed enrolment.
    pub secret_enc: Option<Vec<u8>>,
    pub enrolled_at: Option<i64>,
    pub last_step: Option<i64>,
    /// Wrong codes since the last good one (not reset by a correct password).
    pub failed_codes: i32,
    /// A secret shown to the user, waiting for its first code.
    pub pending_secret_enc: Option<Vec<u8>>,
    pub pending_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
