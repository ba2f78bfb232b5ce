//! A city supervises its districts as a district supervises its towns and departments: a
//! score sheet, its supervision problems and a summary report may belong to a district
//! (`district_id`), exactly one of `department_id`, `town_id` and `district_id` being set.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0020_district_units"
    }
}

#[derive(DeriveIden)]
enum SupervisionSheets {
    Table,
}

#[derive(DeriveIden)]
enum SupervisionProblems {
    Table,
}

#[derive(DeriveIden)]
enum SummaryReports {
    Table,
}

#[derive(DeriveIden)]
enum Cols {
    DistrictId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SupervisionSheets::Table.into_iden(),
            SupervisionProblems::Table.into_iden(),
            SummaryReports::Table.into_iden(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(table)
                    .add_column(integer_null(Cols::DistrictId))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
