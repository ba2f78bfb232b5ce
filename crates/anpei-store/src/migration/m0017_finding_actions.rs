//! Leads become work: a finding can be assigned (交办) to a town or department with a due
//! date, turned into a problem (转问题清单), opened as a case (立案) or dismissed (误报 /
//! 不予处理) with a reason; each action is kept in the finding's history.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0017_finding_actions"
    }
}

#[derive(DeriveIden)]
enum Findings {
    Table,
    AssignedTownId,
    AssignedDepartmentId,
    AssignedAt,
    DueOn,
    ProblemId,
    InspectionId,
    DismissReason,
    DismissedDetail,
    Status,
}

#[derive(DeriveIden)]
enum FindingEvents {
    Table,
    Id,
    FindingId,
    Kind,
    Text,
    StatusAfter,
    ByUser,
    ByName,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        let cols = [
            integer_null(Findings::AssignedTownId),
            integer_null(Findings::AssignedDepartmentId),
            big_integer_null(Findings::AssignedAt),
            date_null(Findings::DueOn),
            integer_null(Findings::ProblemId),
            integer_null(Findings::InspectionId),
            text_null(Findings::DismissReason),
            text_null(Findings::DismissedDetail),
        ];
        for mut c in cols {
            m.alter_table(
                Table::alter()
                    .table(Findings::Table)
                    .add_column(&mut c)
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("idx_findings_status_town")
                .table(Findings::Table)
                .col(Findings::Status)
                .col(Findings::AssignedTownId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_findings_problem")
                .table(Findings::Table)
                .col(Findings::ProblemId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(FindingEvents::Table)
                .col(pk_auto(FindingEvents::Id))
                .col(integer(FindingEvents::FindingId))
                .col(string(FindingEvents::Kind))
                .col(text(FindingEvents::Text))
                .col(string(FindingEvents::StatusAfter))
                .col(integer_null(FindingEvents::ByUser))
                .col(string(FindingEvents::ByName))
                .col(big_integer(FindingEvents::At))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_finding_events_finding")
                        .from(FindingEvents::Table, FindingEvents::FindingId)
                        .to(Findings::Table, Alias::new("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_finding_events_finding")
                .table(FindingEvents::Table)
                .col(FindingEvents::FindingId)
                .to_owned(),
        )
        .await
    }
}
