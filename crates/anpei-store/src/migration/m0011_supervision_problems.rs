//! Problems of a department or a town (督查问题). The supervisors' own findings in a
//! score sheet concern the department or town itself (its organisation, its inspections,
//! its ledgers), not one of its subjects, so they cannot live in `problems`, whose every row
//! belongs to a subject and is scoped through it. The rule: exactly one of `department_id`
//! and `town_id` is set, and the row is seen by the district and by that department's or
//! town's accounts only.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0011_supervision_problems"
    }
}

#[derive(DeriveIden)]
enum SupervisionProblems {
    Table,
    Id,
    CampaignId,
    SheetId,
    DepartmentId,
    TownId,
    Description,
    Measures,
    Deadline,
    Status,
    ClosingNote,
    CreatedBy,
    CreatedAt,
    ClosedAt,
    ClosedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SupervisionProblems::Table)
                .col(pk_auto(SupervisionProblems::Id))
                .col(integer(SupervisionProblems::CampaignId))
                .col(integer(SupervisionProblems::SheetId))
                .col(integer_null(SupervisionProblems::DepartmentId))
                .col(integer_null(SupervisionProblems::TownId))
                .col(text(SupervisionProblems::Description))
                .col(text(SupervisionProblems::Measures))
                .col(date(SupervisionProblems::Deadline))
                .col(string(SupervisionProblems::Status))
                .col(text_null(SupervisionProblems::ClosingNote))
                .col(integer_null(SupervisionProblems::CreatedBy))
                .col(big_integer(SupervisionProblems::CreatedAt))
                .col(big_integer_null(SupervisionProblems::ClosedAt))
                .col(integer_null(SupervisionProblems::ClosedBy))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_supervision_problems_sheet",
            SupervisionProblems::Table,
            &["sheet_id"],
        )
        .await
    }
}
