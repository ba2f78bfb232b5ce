//! The second factor: each account's TOTP secret (encrypted) with the last time
//! step used, a secret waiting for its first code, single-use recovery codes (keyed hashes
//! only), and the labels of API tokens (the tokens themselves are `sessions` of kind `api`,
//! stored as the SHA-256 of their secret like every session).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_mfa"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    IdHash,
}

#[derive(DeriveIden)]
enum UserMfa {
    Table,
    UserId,
    SecretEnc,
    EnrolledAt,
    LastStep,
    FailedCodes,
    PendingSecretEnc,
    PendingAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    SessionIdHash,
    UserId,
    Label,
    CreatedAt,
}

fn to_users(
    name: &str,
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One row per account that has begun or finished enrolment. `secret_enc` (the
        // confirmed secret) is set once a first code proved the app has it; a secret shown
        // but not yet confirmed waits in `pending_secret_enc` (also when re-binding a new
        // phone, so the old secret keeps working until then).
        m.create_table(
            Table::create()
                .table(UserMfa::Table)
                .col(integer(UserMfa::UserId).primary_key())
                .col(blob_null(UserMfa::SecretEnc))
                .col(big_integer_null(UserMfa::EnrolledAt))
                .col(big_integer_null(UserMfa::LastStep))
                .col(integer(UserMfa::FailedCodes).default(0))
                .col(blob_null(UserMfa::PendingSecretEnc))
                .col(big_integer_null(UserMfa::PendingAt))
                .foreign_key(&mut to_users(
                    "fk_user_mfa_user",
                    (UserMfa::Table, UserMfa::UserId),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RecoveryCodes::Table)
                .col(pk_auto(RecoveryCodes::Id))
                .col(integer(RecoveryCodes::UserId))
                .col(string(RecoveryCodes::CodeHash).unique_key())
                .col(big_integer(RecoveryCodes::CreatedAt))
                .col(big_integer_null(RecoveryCodes::UsedAt))
                .foreign_key(&mut to_users(
                    "fk_recovery_codes_user",
                    (RecoveryCodes::Table, RecoveryCodes::UserId),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_recovery_codes_user",
            RecoveryCodes::Table,
            &["user_id"],
        )
        .await?;
        // A label per API token, gone with its session (revoked, expired, password changed).
        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .col(string(ApiTokens::SessionIdHash).primary_key())
                .col(integer(ApiTokens::UserId))
                .col(string(ApiTokens::Label))
                .col(big_integer(ApiTokens::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_api_tokens_session")
                        .from(ApiTokens::Table, ApiTokens::SessionIdHash)
                        .to(Sessions::Table, Sessions::IdHash)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(&mut to_users(
                    "fk_api_tokens_user",
                    (ApiTokens::Table, ApiTokens::UserId),
                ))
                .to_owned(),
        )
        .await?;
        index(m, "idx_api_tokens_user", ApiTokens::Table, &["user_id"]).await?;
        Ok(())
    }
}
