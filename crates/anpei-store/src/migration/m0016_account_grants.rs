//! 三员分立 for new accounts: an account the system administrator creates waits for the
//! security administrator to grant its role (`awaiting_grant`). Accounts that exist already
//! (the operator's, the demo's) keep their access.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0016_account_grants"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    AwaitingGrant,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(boolean(Users::AwaitingGrant).default(false))
                .to_owned(),
        )
        .await
    }
}
