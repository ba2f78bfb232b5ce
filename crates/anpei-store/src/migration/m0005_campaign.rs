//! The campaign: campaigns and their phases, the versioned checklist catalogue,
//! self-inspections and their answers, evidence files, the problem list (问题清单) with its
//! rectification history, the in-app inbox and the claim table of scheduled jobs.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_campaign"
    }
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    Name,
    IssuingOffice,
    DocNumber,
    DocText,
    DocFileId,
    CatalogueVersion,
    SummaryDue,
    CopiedFrom,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum CampaignPhases {
    Table,
    Id,
    CampaignId,
    Seq,
    Kind,
    Name,
    StartsOn,
    EndsOn,
}

#[derive(DeriveIden)]
enum ChecklistItems {
    Table,
    Id,
    Version,
    Kind,
    Code,
    Seq,
    Section,
    Text,
    Rules,
}

#[derive(DeriveIden)]
enum SelfInspections {
    Table,
    Id,
    CampaignId,
    SubjectId,
    Status,
    PeriodFrom,
    PeriodTo,
    SubmittedAt,
    SubmittedBy,
    ReturnedAt,
    ReturnedBy,
    ReturnReason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SelfInspectionAnswers {
    Table,
    Id,
    InspectionId,
    ItemCode,
    Answer,
    Explanation,
    Measures,
    Deadline,
    ResponsibleName,
    ResponsiblePhoneEnc,
    ResponsiblePhoneMasked,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum EvidenceFiles {
    Table,
    Id,
    OwnerKind,
    OwnerId,
    SubjectId,
    FileName,
    Mime,
    Size,
    Sha256,
    StoredName,
    UploadedBy,
    UploadedAt,
}

#[derive(DeriveIden)]
enum Problems {
    Table,
    Id,
    CampaignId,
    SubjectId,
    Source,
    SourceRef,
    ItemCode,
    Description,
    Measures,
    Deadline,
    ResponsibleName,
    ResponsiblePhoneEnc,
    ResponsiblePhoneMasked,
    Status,
    CreatedAt,
    CreatedBy,
    UpdatedAt,
    ClosedAt,
    ClosedBy,
}

#[derive(DeriveIden)]
enum ProblemEvents {
    Table,
    Id,
    ProblemId,
    Kind,
    Text,
    StatusAfter,
    ByUser,
    ByName,
    At,
}

#[derive(DeriveIden)]
enum InboxMessages {
    Table,
    Id,
    UserId,
    Kind,
    Title,
    Body,
    Link,
    DedupeKey,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    Id,
    Job,
    RunKey,
    Instance,
    StartedAt,
    FinishedAt,
    Outcome,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Campaigns::Table)
                .col(pk_auto(Campaigns::Id))
                .col(string(Campaigns::Name))
                .col(string(Campaigns::IssuingOffice))
                .col(string_null(Campaigns::DocNumber))
                .col(text(Campaigns::DocText))
                .col(integer_null(Campaigns::DocFileId))
                .col(integer(Campaigns::CatalogueVersion))
                .col(date(Campaigns::SummaryDue))
                .col(integer_null(Campaigns::CopiedFrom))
                .col(big_integer(Campaigns::CreatedAt))
                .col(integer_null(Campaigns::CreatedBy))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CampaignPhases::Table)
                .col(pk_auto(CampaignPhases::Id))
                .col(integer(CampaignPhases::CampaignId))
                .col(integer(CampaignPhases::Seq))
                .col(string(CampaignPhases::Kind))
                .col(string(CampaignPhases::Name))
                .col(date(CampaignPhases::StartsOn))
                .col(date(CampaignPhases::EndsOn))
                .foreign_key(
                    ForeignKey::create()
                        .from(CampaignPhases::Table, CampaignPhases::CampaignId)
                        .to(Campaigns::Table, Campaigns::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .index(
                    Index::create()
                        .name("ux_campaign_phases_seq")
                        .col(CampaignPhases::CampaignId)
                        .col(CampaignPhases::Seq)
                        .unique(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ChecklistItems::Table)
                .col(pk_auto(ChecklistItems::Id))
                .col(integer(ChecklistItems::Version))
                .col(string(ChecklistItems::Kind))
                .col(string(ChecklistItems::Code))
                .col(integer(ChecklistItems::Seq))
                .col(string(ChecklistItems::Section))
                .col(text(ChecklistItems::Text))
                .col(string(ChecklistItems::Rules))
                .index(
                    Index::create()
                        .name("ux_checklist_items_code")
                        .col(ChecklistItems::Version)
                        .col(ChecklistItems::Code)
                        .unique(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SelfInspections::Table)
                .col(pk_auto(SelfInspections::Id))
                .col(integer(SelfInspections::CampaignId))
                .col(integer(SelfInspections::SubjectId))
                .col(string(SelfInspections::Status))
                .col(date_null(SelfInspections::PeriodFrom))
                .col(date_null(SelfInspections::PeriodTo))
                .col(big_integer_null(SelfInspections::SubmittedAt))
                .col(integer_null(SelfInspections::SubmittedBy))
                .col(big_integer_null(SelfInspections::ReturnedAt))
                .col(integer_null(SelfInspections::ReturnedBy))
                .col(text_null(SelfInspections::ReturnReason))
                .col(big_integer(SelfInspections::CreatedAt))
                .col(big_integer(SelfInspections::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(SelfInspections::Table, SelfInspections::CampaignId)
                        .to(Campaigns::Table, Campaigns::Id),
                )
                .index(
                    Index::create()
                        .name("ux_self_inspections_subject")
                        .col(SelfInspections::CampaignId)
                        .col(SelfInspections::SubjectId)
                        .unique(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SelfInspectionAnswers::Table)
                .col(pk_auto(SelfInspectionAnswers::Id))
                .col(integer(SelfInspectionAnswers::InspectionId))
                .col(string(SelfInspectionAnswers::ItemCode))
                .col(string(SelfInspectionAnswers::Answer))
                .col(text(SelfInspectionAnswers::Explanation))
                .col(text_null(SelfInspectionAnswers::Measures))
                .col(date_null(SelfInspectionAnswers::Deadline))
                .col(string_null(SelfInspectionAnswers::ResponsibleName))
                .col(blob_null(SelfInspectionAnswers::ResponsiblePhoneEnc))
                .col(string_null(SelfInspectionAnswers::ResponsiblePhoneMasked))
                .col(big_integer(SelfInspectionAnswers::UpdatedAt))
                .col(integer_null(SelfInspectionAnswers::UpdatedBy))
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            SelfInspectionAnswers::Table,
                            SelfInspectionAnswers::InspectionId,
                        )
                        .to(SelfInspections::Table, SelfInspections::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .index(
                    Index::create()
                        .name("ux_self_inspection_answers_item")
                        .col(SelfInspectionAnswers::InspectionId)
                        .col(SelfInspectionAnswers::ItemCode)
                        .unique(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(EvidenceFiles::Table)
                .col(pk_auto(EvidenceFiles::Id))
                .col(string(EvidenceFiles::OwnerKind))
                .col(integer(EvidenceFiles::OwnerId))
                .col(integer_null(EvidenceFiles::SubjectId))
                .col(string(EvidenceFiles::FileName))
                .col(string(EvidenceFiles::Mime))
                .col(big_integer(EvidenceFiles::Size))
                .col(string(EvidenceFiles::Sha256))
                .col(string(EvidenceFiles::StoredName))
                .col(integer_null(EvidenceFiles::UploadedBy))
                .col(big_integer(EvidenceFiles::UploadedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_evidence_files_owner",
            EvidenceFiles::Table,
            &["owner_kind", "owner_id"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Problems::Table)
                .col(pk_auto(Problems::Id))
                .col(integer_null(Problems::CampaignId))
                .col(integer(Problems::SubjectId))
                .col(string(Problems::Source))
                .col(string_null(Problems::SourceRef))
                .col(string_null(Problems::ItemCode))
                .col(text(Problems::Description))
                .col(text(Problems::Measures))
                .col(date(Problems::Deadline))
                .col(string(Problems::ResponsibleName))
                .col(blob_null(Problems::ResponsiblePhoneEnc))
                .col(string_null(Problems::ResponsiblePhoneMasked))
                .col(string(Problems::Status))
                .col(big_integer(Problems::CreatedAt))
                .col(integer_null(Problems::CreatedBy))
                .col(big_integer(Problems::UpdatedAt))
                .col(big_integer_null(Problems::ClosedAt))
                .col(integer_null(Problems::ClosedBy))
                .to_owned(),
        )
        .await?;
        index(m, "ix_problems_subject", Problems::Table, &["subject_id"]).await?;
        index(
            m,
            "ix_problems_status",
            Problems::Table,
            &["status", "deadline"],
        )
        .await?;
        index(m, "ix_problems_campaign", Problems::Table, &["campaign_id"]).await?;
        m.create_table(
            Table::create()
                .table(ProblemEvents::Table)
                .col(pk_auto(ProblemEvents::Id))
                .col(integer(ProblemEvents::ProblemId))
                .col(string(ProblemEvents::Kind))
                .col(text(ProblemEvents::Text))
                .col(string(ProblemEvents::StatusAfter))
                .col(integer_null(ProblemEvents::ByUser))
                .col(string(ProblemEvents::ByName))
                .col(big_integer(ProblemEvents::At))
                .foreign_key(
                    ForeignKey::create()
                        .from(ProblemEvents::Table, ProblemEvents::ProblemId)
                        .to(Problems::Table, Problems::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_problem_events_problem",
            ProblemEvents::Table,
            &["problem_id"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(InboxMessages::Table)
                .col(pk_auto(InboxMessages::Id))
                .col(integer(InboxMessages::UserId))
                .col(string(InboxMessages::Kind))
                .col(string(InboxMessages::Title))
                .col(text(InboxMessages::Body))
                .col(string(InboxMessages::Link))
                .col(string(InboxMessages::DedupeKey).unique_key())
                .col(big_integer(InboxMessages::CreatedAt))
                .col(big_integer_null(InboxMessages::ReadAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_inbox_messages_user",
            InboxMessages::Table,
            &["user_id", "read_at"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(JobRuns::Table)
                .col(pk_auto(JobRuns::Id))
                .col(string(JobRuns::Job))
                .col(string(JobRuns::RunKey))
                .col(string(JobRuns::Instance))
                .col(big_integer(JobRuns::StartedAt))
                .col(big_integer_null(JobRuns::FinishedAt))
                .col(string_null(JobRuns::Outcome))
                .index(
                    Index::create()
                        .name("ux_job_runs_key")
                        .col(JobRuns::Job)
                        .col(JobRuns::RunKey)
                        .unique(),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
