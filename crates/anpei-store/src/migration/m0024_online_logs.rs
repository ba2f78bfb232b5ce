//! The logs of online-training platforms (网络培训): learning sessions, face checks, courses
//! and online exams, as the platforms export them, for the checks on 挂机, 代学 and 刷课.
//!
//! - `online_sessions`: one learning session of a ledger person (`person_id`, the employer's
//!   row of him; `subject_id` the employer) on a platform: course, start and end, seconds of
//!   video covered, device and IP address. `provider_id` is the training institution whose
//!   upload it came from (`NULL` when an enterprise or a supervisor uploaded it): the findings
//!   about its sessions are the institution's. Natural key: platform + the ID number's blind
//!   index + course + start.
//! - `online_face_checks`: one face check of a person on a platform, passed or not, with the
//!   similarity score. Natural key: platform + blind index + time.
//! - `online_courses`: a platform's course: title, video length, 学时. Natural key: platform +
//!   course number.
//! - `online_exams`: an online exam of a person: start, end, number of questions, score.
//!   Natural key: platform + blind index + exam number.
//!
//! Every person-bound row carries the employer's `subject_id` (and `provider_id`), so the scope
//! filter applies to each row directly.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0024_online_logs"
    }
}

#[derive(DeriveIden)]
enum OnlineSessions {
    Table,
    Id,
    Platform,
    IdBidx,
    PersonId,
    SubjectId,
    ProviderId,
    CourseNo,
    StartAt,
    EndAt,
    ProgressSecs,
    Device,
    Ip,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OnlineFaceChecks {
    Table,
    Id,
    Platform,
    IdBidx,
    PersonId,
    SubjectId,
    ProviderId,
    At,
    Passed,
    Similarity,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OnlineCourses {
    Table,
    Id,
    Platform,
    CourseNo,
    Title,
    VideoSecs,
    Hours,
    ProviderId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OnlineExams {
    Table,
    Id,
    Platform,
    IdBidx,
    PersonId,
    SubjectId,
    ProviderId,
    ExamNo,
    StartAt,
    EndAt,
    Questions,
    Score,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Persons {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Subjects {
    Table,
    Id,
}

/// A foreign key from `table.col` to `parent.id`.
fn fk(
    name: &str,
    table: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
    parent: impl IntoIden + 'static,
    parent_col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, col)
        .to(parent, parent_col)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OnlineSessions::Table)
                .col(pk_auto(OnlineSessions::Id))
                .col(string(OnlineSessions::Platform))
                .col(string(OnlineSessions::IdBidx))
                .col(integer(OnlineSessions::PersonId))
                .col(integer(OnlineSessions::SubjectId))
                .col(integer_null(OnlineSessions::ProviderId))
                .col(string(OnlineSessions::CourseNo))
                .col(date_time(OnlineSessions::StartAt))
                .col(date_time(OnlineSessions::EndAt))
                .col(big_integer(OnlineSessions::ProgressSecs))
                .col(string_null(OnlineSessions::Device))
                .col(string_null(OnlineSessions::Ip))
                .col(big_integer(OnlineSessions::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_online_sessions_person",
                    OnlineSessions::Table,
                    OnlineSessions::PersonId,
                    Persons::Table,
                    Persons::Id,
                ))
                .foreign_key(&mut fk(
                    "fk_online_sessions_subject",
                    OnlineSessions::Table,
                    OnlineSessions::SubjectId,
                    Subjects::Table,
                    Subjects::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_online_sessions_key")
                .table(OnlineSessions::Table)
                .col(OnlineSessions::IdBidx)
                .col(OnlineSessions::Platform)
                .col(OnlineSessions::CourseNo)
                .col(OnlineSessions::StartAt)
                .unique()
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_online_sessions_person",
            OnlineSessions::Table,
            &["person_id", "start_at"],
        )
        .await?;
        index(
            m,
            "ix_online_sessions_subject",
            OnlineSessions::Table,
            &["subject_id", "start_at"],
        )
        .await?;
        index(
            m,
            "ix_online_sessions_provider",
            OnlineSessions::Table,
            &["provider_id", "start_at"],
        )
        .await?;
        index(
            m,
            "ix_online_sessions_device",
            OnlineSessions::Table,
            &["device", "start_at"],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OnlineFaceChecks::Table)
                .col(pk_auto(OnlineFaceChecks::Id))
                .col(string(OnlineFaceChecks::Platform))
                .col(string(OnlineFaceChecks::IdBidx))
                .col(integer(OnlineFaceChecks::PersonId))
                .col(integer(OnlineFaceChecks::SubjectId))
                .col(integer_null(OnlineFaceChecks::ProviderId))
                .col(date_time(OnlineFaceChecks::At))
                .col(boolean(OnlineFaceChecks::Passed))
                .col(double_null(OnlineFaceChecks::Similarity))
                .col(big_integer(OnlineFaceChecks::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_online_face_checks_person",
                    OnlineFaceChecks::Table,
                    OnlineFaceChecks::PersonId,
                    Persons::Table,
                    Persons::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_online_face_checks_key")
                .table(OnlineFaceChecks::Table)
                .col(OnlineFaceChecks::IdBidx)
                .col(OnlineFaceChecks::Platform)
                .col(OnlineFaceChecks::At)
                .unique()
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_online_face_checks_person",
            OnlineFaceChecks::Table,
            &["person_id", "at"],
        )
        .await?;
        index(
            m,
            "ix_online_face_checks_subject",
            OnlineFaceChecks::Table,
            &["subject_id"],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OnlineCourses::Table)
                .col(pk_auto(OnlineCourses::Id))
                .col(string(OnlineCourses::Platform))
                .col(string(OnlineCourses::CourseNo))
                .col(string(OnlineCourses::Title))
                .col(big_integer(OnlineCourses::VideoSecs))
                .col(double(OnlineCourses::Hours))
                .col(integer_null(OnlineCourses::ProviderId))
                .col(big_integer(OnlineCourses::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_online_courses_key")
                .table(OnlineCourses::Table)
                .col(OnlineCourses::Platform)
                .col(OnlineCourses::CourseNo)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OnlineExams::Table)
                .col(pk_auto(OnlineExams::Id))
                .col(string(OnlineExams::Platform))
                .col(string(OnlineExams::IdBidx))
                .col(integer(OnlineExams::PersonId))
                .col(integer(OnlineExams::SubjectId))
                .col(integer_null(OnlineExams::ProviderId))
                .col(string(OnlineExams::ExamNo))
                .col(date_time(OnlineExams::StartAt))
                .col(date_time(OnlineExams::EndAt))
                .col(big_integer(OnlineExams::Questions))
                .col(double(OnlineExams::Score))
                .col(big_integer(OnlineExams::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_online_exams_person",
                    OnlineExams::Table,
                    OnlineExams::PersonId,
                    Persons::Table,
                    Persons::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_online_exams_key")
                .table(OnlineExams::Table)
                .col(OnlineExams::IdBidx)
                .col(OnlineExams::Platform)
                .col(OnlineExams::ExamNo)
                .unique()
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_online_exams_subject",
            OnlineExams::Table,
            &["subject_id"],
        )
        .await?;
        index(
            m,
            "ix_online_exams_person",
            OnlineExams::Table,
            &["person_id"],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "online_exams",
            "online_courses",
            "online_face_checks",
            "online_sessions",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
