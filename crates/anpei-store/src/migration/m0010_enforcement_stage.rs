//! The stage of 《安全生产法》第九十七条 a fine was decided at: `ordered` (责令限期改正)
//! or `not_corrected` (逾期未改正), so that the amounts can be read back against the range
//! they were checked against. Null for actions other than fines.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_enforcement_stage"
    }
}

#[derive(DeriveIden)]
enum EnforcementActions {
    Table,
    FineStage,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(EnforcementActions::Table)
                .add_column(string_null(EnforcementActions::FineStage))
                .to_owned(),
        )
        .await
    }
}
