//! Exam institutions' and exam sites' records: plans, sessions with their staff,
//! candidates and videos, staff credentials and site equipment. Every row carries the
//! subject (exam site or exam institution) that keeps it, which is what the scope filter
//! goes through; ID numbers are encrypted with a blind index and a masked copy.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0013_exam_records"
    }
}

#[derive(DeriveIden)]
enum ExamPlans {
    Table,
    Id,
    SubjectId,
    SiteId,
    StartsAt,
    EndsAt,
    Category,
    PlannedCandidates,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ExamSessions {
    Table,
    Id,
    SubjectId,
    PlanId,
    SiteId,
    Room,
    StartedAt,
    EndedAt,
    System,
    Category,
    HighRiskManager,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ExamSessionStaff {
    Table,
    Id,
    SessionId,
    SubjectId,
    Name,
    IdEnc,
    IdBidx,
    IdMasked,
    Role,
    PresentFrom,
    PresentTo,
}

#[derive(DeriveIden)]
enum ExamCandidates {
    Table,
    Id,
    SessionId,
    SubjectId,
    Name,
    IdEnc,
    IdBidx,
    IdMasked,
    Score,
    Passed,
}

#[derive(DeriveIden)]
enum ExamVideos {
    Table,
    Id,
    SessionId,
    SubjectId,
    FileName,
    Sha256,
    DurationSecs,
    Location,
    KeepUntil,
    DeletedAt,
}

#[derive(DeriveIden)]
enum ExamStaffCredentials {
    Table,
    Id,
    SubjectId,
    Name,
    IdEnc,
    IdBidx,
    IdMasked,
    Kind,
    Number,
    ValidFrom,
    ValidUntil,
}

#[derive(DeriveIden)]
enum ExamEquipment {
    Table,
    Id,
    SubjectId,
    Name,
    CertNumber,
    ValidUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ExamPlans::Table)
                .col(pk_auto(ExamPlans::Id))
                .col(integer(ExamPlans::SubjectId))
                .col(integer(ExamPlans::SiteId))
                .col(date_time(ExamPlans::StartsAt))
                .col(date_time(ExamPlans::EndsAt))
                .col(string(ExamPlans::Category))
                .col(integer(ExamPlans::PlannedCandidates))
                .col(integer_null(ExamPlans::CreatedBy))
                .col(big_integer(ExamPlans::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_exam_plans_subject",
            ExamPlans::Table,
            &["subject_id"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ExamSessions::Table)
                .col(pk_auto(ExamSessions::Id))
                .col(integer(ExamSessions::SubjectId))
                .col(integer_null(ExamSessions::PlanId))
                .col(integer(ExamSessions::SiteId))
                .col(string(ExamSessions::Room))
                .col(date_time(ExamSessions::StartedAt))
                .col(date_time(ExamSessions::EndedAt))
                .col(string(ExamSessions::System))
                .col(string(ExamSessions::Category))
                .col(boolean(ExamSessions::HighRiskManager))
                .col(big_integer(ExamSessions::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_exam_sessions_subject",
            ExamSessions::Table,
            &["subject_id"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ExamSessionStaff::Table)
                .col(pk_auto(ExamSessionStaff::Id))
                .col(integer(ExamSessionStaff::SessionId))
                .col(integer(ExamSessionStaff::SubjectId))
                .col(string(ExamSessionStaff::Name))
                .col(blob(ExamSessionStaff::IdEnc))
                .col(string(ExamSessionStaff::IdBidx))
                .col(string(ExamSessionStaff::IdMasked))
                .col(string(ExamSessionStaff::Role))
                .col(date_time_null(ExamSessionStaff::PresentFrom))
                .col(date_time_null(ExamSessionStaff::PresentTo))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_exam_session_staff_session",
            ExamSessionStaff::Table,
            &["session_id"],
        )
        .await?;
        index(
            m,
            "ix_exam_session_staff_bidx",
            ExamSessionStaff::Table,
            &["id_bidx"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ExamCandidates::Table)
                .col(pk_auto(ExamCandidates::Id))
                .col(integer(ExamCandidates::SessionId))
                .col(integer(ExamCandidates::SubjectId))
                .col(string(ExamCandidates::Name))
                .col(blob(ExamCandidates::IdEnc))
                .col(string(ExamCandidates::IdBidx))
                .col(string(ExamCandidates::IdMasked))
                .col(integer_null(ExamCandidates::Score))
                .col(boolean(ExamCandidates::Passed))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_exam_candidates_session",
            ExamCandidates::Table,
            &["session_id"],
        )
        .await?;
        index(
            m,
            "ix_exam_candidates_bidx",
            ExamCandidates::Table,
            &["id_bidx"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ExamVideos::Table)
                .col(pk_auto(ExamVideos::Id))
                .col(integer(ExamVideos::SessionId))
                .col(integer(ExamVideos::SubjectId))
                .col(string(ExamVideos::FileName))
                .col(string(ExamVideos::Sha256))
                .col(integer(ExamVideos::DurationSecs))
                .col(string(ExamVideos::Location))
                .col(date(ExamVideos::KeepUntil))
                .col(date_null(ExamVideos::DeletedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_exam_videos_session",
            ExamVideos::Table,
            &["session_id"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ExamStaffCredentials::Table)
                .col(pk_auto(ExamStaffCredentials::Id))
                .col(integer(ExamStaffCredentials::SubjectId))
                .col(string(ExamStaffCredentials::Name))
                .col(blob(ExamStaffCredentials::IdEnc))
                .col(string(ExamStaffCredentials::IdBidx))
                .col(string(ExamStaffCredentials::IdMasked))
                .col(string(ExamStaffCredentials::Kind))
                .col(string(ExamStaffCredentials::Number))
                .col(date(ExamStaffCredentials::ValidFrom))
                .col(date(ExamStaffCredentials::ValidUntil))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_exam_staff_credentials_bidx",
            ExamStaffCredentials::Table,
            &["id_bidx"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ExamEquipment::Table)
                .col(pk_auto(ExamEquipment::Id))
                .col(integer(ExamEquipment::SubjectId))
                .col(string(ExamEquipment::Name))
                .col(string(ExamEquipment::CertNumber))
                .col(date(ExamEquipment::ValidUntil))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_exam_equipment_subject",
            ExamEquipment::Table,
            &["subject_id"],
        )
        .await
    }
}
