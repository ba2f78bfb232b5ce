//! Enforcement and supervision: inspections (执法检查) with their checklist results
//! and on-the-spot tests (逢查必考), enforcement actions (orders, fines, referrals, exam
//! qualification suspended or cancelled, exposure), typical cases (典型案例), the exam
//! qualification of exam sites and exam institutions, the district's supervision score
//! sheets of departments and towns (考核督查), and their summary reports (总结报告).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0009_enforcement"
    }
}

#[derive(DeriveIden)]
enum Inspections {
    Table,
    Id,
    CampaignId,
    SubjectId,
    DepartmentId,
    TownId,
    InspectedOn,
    Inspectors,
    CatalogueVersion,
    Notes,
    Status,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InspectionItems {
    Table,
    Id,
    InspectionId,
    ItemCode,
    Result,
    Note,
    ProblemId,
}

#[derive(DeriveIden)]
enum SpotTests {
    Table,
    Id,
    InspectionId,
    PersonId,
    CertificateId,
    Score,
    Passed,
    Note,
    TestedOn,
}

#[derive(DeriveIden)]
enum EnforcementActions {
    Table,
    Id,
    InspectionId,
    SubjectId,
    Kind,
    LegalBasis,
    DecisionNo,
    DecidedOn,
    Deadline,
    AmountUnit,
    AmountPersons,
    ResponsiblePersons,
    Text,
    ProblemId,
    CaseId,
    DepartmentId,
    TownId,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TypicalCases {
    Table,
    Id,
    Title,
    Body,
    SubjectId,
    ActionId,
    Published,
    PublishedOn,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ExamQualifications {
    Table,
    Id,
    SubjectId,
    Status,
    Since,
    ActionId,
    Reason,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SupervisionSheets {
    Table,
    Id,
    CampaignId,
    DepartmentId,
    TownId,
    Scores,
    DataScore,
    ManualScore,
    Total,
    Findings,
    Status,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SummaryReports {
    Table,
    Id,
    CampaignId,
    DepartmentId,
    TownId,
    Title,
    Body,
    SubmittedAt,
    SubmittedBy,
    Late,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Inspections::Table)
                .col(pk_auto(Inspections::Id))
                .col(integer_null(Inspections::CampaignId))
                .col(integer(Inspections::SubjectId))
                .col(integer_null(Inspections::DepartmentId))
                .col(integer_null(Inspections::TownId))
                .col(date(Inspections::InspectedOn))
                .col(text(Inspections::Inspectors))
                .col(integer(Inspections::CatalogueVersion))
                .col(text(Inspections::Notes))
                .col(string(Inspections::Status))
                .col(integer_null(Inspections::CreatedBy))
                .col(big_integer(Inspections::CreatedAt))
                .col(big_integer(Inspections::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_inspections_subject",
            Inspections::Table,
            &["subject_id"],
        )
        .await?;
        index(
            m,
            "ix_inspections_date",
            Inspections::Table,
            &["inspected_on"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(InspectionItems::Table)
                .col(pk_auto(InspectionItems::Id))
                .col(integer(InspectionItems::InspectionId))
                .col(string(InspectionItems::ItemCode))
                .col(string(InspectionItems::Result))
                .col(text(InspectionItems::Note))
                .col(integer_null(InspectionItems::ProblemId))
                .foreign_key(
                    ForeignKey::create()
                        .from(InspectionItems::Table, InspectionItems::InspectionId)
                        .to(Inspections::Table, Inspections::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .index(
                    Index::create()
                        .name("ux_inspection_items_item")
                        .col(InspectionItems::InspectionId)
                        .col(InspectionItems::ItemCode)
                        .unique(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SpotTests::Table)
                .col(pk_auto(SpotTests::Id))
                .col(integer(SpotTests::InspectionId))
                .col(integer(SpotTests::PersonId))
                .col(integer_null(SpotTests::CertificateId))
                .col(integer(SpotTests::Score))
                .col(boolean(SpotTests::Passed))
                .col(text(SpotTests::Note))
                .col(date(SpotTests::TestedOn))
                .foreign_key(
                    ForeignKey::create()
                        .from(SpotTests::Table, SpotTests::InspectionId)
                        .to(Inspections::Table, Inspections::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(m, "ix_spot_tests_person", SpotTests::Table, &["person_id"]).await?;
        m.create_table(
            Table::create()
                .table(EnforcementActions::Table)
                .col(pk_auto(EnforcementActions::Id))
                .col(integer_null(EnforcementActions::InspectionId))
                .col(integer(EnforcementActions::SubjectId))
                .col(string(EnforcementActions::Kind))
                .col(text(EnforcementActions::LegalBasis))
                .col(string(EnforcementActions::DecisionNo))
                .col(date(EnforcementActions::DecidedOn))
                .col(date_null(EnforcementActions::Deadline))
                .col(big_integer_null(EnforcementActions::AmountUnit))
                .col(big_integer_null(EnforcementActions::AmountPersons))
                .col(text_null(EnforcementActions::ResponsiblePersons))
                .col(text(EnforcementActions::Text))
                .col(integer_null(EnforcementActions::ProblemId))
                .col(integer_null(EnforcementActions::CaseId))
                .col(integer_null(EnforcementActions::DepartmentId))
                .col(integer_null(EnforcementActions::TownId))
                .col(integer_null(EnforcementActions::CreatedBy))
                .col(big_integer(EnforcementActions::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_enforcement_actions_subject",
            EnforcementActions::Table,
            &["subject_id"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TypicalCases::Table)
                .col(pk_auto(TypicalCases::Id))
                .col(string(TypicalCases::Title))
                .col(text(TypicalCases::Body))
                .col(integer_null(TypicalCases::SubjectId))
                .col(integer_null(TypicalCases::ActionId))
                .col(boolean(TypicalCases::Published))
                .col(date_null(TypicalCases::PublishedOn))
                .col(integer_null(TypicalCases::CreatedBy))
                .col(big_integer(TypicalCases::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ExamQualifications::Table)
                .col(pk_auto(ExamQualifications::Id))
                .col(integer(ExamQualifications::SubjectId).unique_key())
                .col(string(ExamQualifications::Status))
                .col(date(ExamQualifications::Since))
                .col(integer_null(ExamQualifications::ActionId))
                .col(text(ExamQualifications::Reason))
                .col(big_integer(ExamQualifications::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SupervisionSheets::Table)
                .col(pk_auto(SupervisionSheets::Id))
                .col(integer(SupervisionSheets::CampaignId))
                .col(integer_null(SupervisionSheets::DepartmentId))
                .col(integer_null(SupervisionSheets::TownId))
                .col(text(SupervisionSheets::Scores))
                .col(double(SupervisionSheets::DataScore))
                .col(double(SupervisionSheets::ManualScore))
                .col(double(SupervisionSheets::Total))
                .col(text(SupervisionSheets::Findings))
                .col(string(SupervisionSheets::Status))
                .col(integer_null(SupervisionSheets::CreatedBy))
                .col(big_integer(SupervisionSheets::CreatedAt))
                .col(big_integer(SupervisionSheets::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_supervision_sheets_campaign",
            SupervisionSheets::Table,
            &["campaign_id"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SummaryReports::Table)
                .col(pk_auto(SummaryReports::Id))
                .col(integer(SummaryReports::CampaignId))
                .col(integer_null(SummaryReports::DepartmentId))
                .col(integer_null(SummaryReports::TownId))
                .col(string(SummaryReports::Title))
                .col(text(SummaryReports::Body))
                .col(big_integer(SummaryReports::SubmittedAt))
                .col(integer_null(SummaryReports::SubmittedBy))
                .col(boolean(SummaryReports::Late))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_summary_reports_campaign",
            SummaryReports::Table,
            &["campaign_id"],
        )
        .await?;
        Ok(())
    }
}
