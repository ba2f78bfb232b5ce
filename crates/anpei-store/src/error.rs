//! Store errors. `Validation` and `Conflict` carry a Chinese message fit for users;
//! `Db` and `Crypto` are internal: the web layer logs them and answers an opaque 500.

use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Conflict(String),
    /// Field-level validation failures of a form: (field, Chinese message).
    #[error("{}", .0.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("；"))]
    Fields(Vec<(&'static str, String)>),
    #[error("记录不存在")]
    NotFound,
    #[error("无权执行此操作")]
    Forbidden,
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("crypto: {0}")]
    Crypto(#[from] crate::crypto::CryptoError),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// Maps a unique-key violation to a conflict with the given message.
    pub fn on_unique(self, message: &str) -> StoreError {
        match &self {
            StoreError::Db(e) if is_unique_violation(e) => {
                StoreError::Conflict(message.to_string())
            }
            _ => self,
        }
    }
}

pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
