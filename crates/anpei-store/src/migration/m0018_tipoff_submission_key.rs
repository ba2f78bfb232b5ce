//! A public tip-off carries the one-time key of the form it came from, so that a refresh or
//! a double click hands in the same report once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0018_tipoff_submission_key"
    }
}

#[derive(DeriveIden)]
enum Tipoffs {
    Table,
    SubmissionKey,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Tipoffs::Table)
                .add_column(string_null(Tipoffs::SubmissionKey))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_tipoffs_submission_key")
                .table(Tipoffs::Table)
                .col(Tipoffs::SubmissionKey)
                .unique()
                .to_owned(),
        )
        .await
    }
}
