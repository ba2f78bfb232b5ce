//! The security administrator's policy: the saved settings laid over the
//! configured baseline, and each account's earlier password hashes (password history).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_security_policy"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PasswordHistory {
    Table,
    Id,
    UserId,
    Hash,
    ChangedAt,
}

#[derive(DeriveIden)]
enum SecuritySettings {
    Table,
    Key,
    Value,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PasswordHistory::Table)
                .col(pk_auto(PasswordHistory::Id))
                .col(integer(PasswordHistory::UserId))
                .col(string(PasswordHistory::Hash))
                .col(big_integer(PasswordHistory::ChangedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_password_history_user")
                        .from(PasswordHistory::Table, PasswordHistory::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_password_history_user",
            PasswordHistory::Table,
            &["user_id", "id"],
        )
        .await?;

        // Key/value: `policy` holds the security administrator's saved settings as JSON
        // (only the values that differ from the configured baseline).
        m.create_table(
            Table::create()
                .table(SecuritySettings::Table)
                .col(string(SecuritySettings::Key).primary_key())
                .col(text(SecuritySettings::Value))
                .col(big_integer(SecuritySettings::UpdatedAt))
                .col(string(SecuritySettings::UpdatedBy))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
