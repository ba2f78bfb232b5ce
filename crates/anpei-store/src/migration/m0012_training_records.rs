//! Training institutions' records (§二(二) of the notice): the conditions of an
//! institution (teachers, venues, practical-training equipment) and its classes kept as
//! 一期一档 (one file per class): the schedule of sessions with the teacher of each, the
//! roster with sign-in and sign-out per session, assessment scores and the metadata of the
//! video record of offline sessions.
//!
//! Every table carries the institution's `subject_id`, so the scope filter applies to each
//! row directly (an institution account sees its own rows; a department or town those of
//! institutions it supervises). ID numbers are stored encrypted (`*_enc`), found through a
//! keyed blind index (`*_bidx`) and shown masked (`*_masked`), as for persons.
//!
//! - `training_teachers`: a teacher (专职/兼职, `employment` = `full`/`part`) with his
//!   qualification (资质, free text); one row per institution and ID number.
//! - `training_venues`: a fixed training venue and how many trainees it holds.
//! - `training_equipment`: practical-training equipment (name, quantity).
//! - `training_classes`: a class (培训班): its code (unique per institution), course type,
//!   syllabus hours (大纲学时), dates, venue and planned capacity.
//! - `training_class_sessions`: one session (课次) of a class: its number in the class,
//!   start and end, teacher, form (`offline`/`online`) and, offline, the video file's name,
//!   SHA-256 and duration in seconds.
//! - `training_trainees`: the roster of a class, with the assessment score (考核成绩).
//! - `training_attendance`: a trainee's sign-in and sign-out at one session.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0012_training_records"
    }
}

#[derive(DeriveIden)]
enum TrainingTeachers {
    Table,
    Id,
    SubjectId,
    Name,
    Employment,
    Qualification,
    IdEnc,
    IdBidx,
    IdMasked,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TrainingVenues {
    Table,
    Id,
    SubjectId,
    Name,
    Capacity,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TrainingEquipment {
    Table,
    Id,
    SubjectId,
    Name,
    Quantity,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TrainingClasses {
    Table,
    Id,
    SubjectId,
    Code,
    CourseType,
    SyllabusHours,
    StartOn,
    EndOn,
    VenueId,
    Capacity,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TrainingClassSessions {
    Table,
    Id,
    SubjectId,
    ClassId,
    Seq,
    StartAt,
    EndAt,
    TeacherId,
    Mode,
    VideoFile,
    VideoSha256,
    VideoSeconds,
}

#[derive(DeriveIden)]
enum TrainingTrainees {
    Table,
    Id,
    SubjectId,
    ClassId,
    Name,
    IdEnc,
    IdBidx,
    IdMasked,
    Score,
}

#[derive(DeriveIden)]
enum TrainingAttendance {
    Table,
    Id,
    SubjectId,
    SessionId,
    TraineeId,
    SignIn,
    SignOut,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(TrainingTeachers::Table)
                .col(pk_auto(TrainingTeachers::Id))
                .col(integer(TrainingTeachers::SubjectId))
                .col(string(TrainingTeachers::Name))
                .col(string(TrainingTeachers::Employment))
                .col(string(TrainingTeachers::Qualification))
                .col(blob(TrainingTeachers::IdEnc))
                .col(string(TrainingTeachers::IdBidx))
                .col(string(TrainingTeachers::IdMasked))
                .col(big_integer(TrainingTeachers::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_training_teachers_subject_bidx")
                .table(TrainingTeachers::Table)
                .col(TrainingTeachers::SubjectId)
                .col(TrainingTeachers::IdBidx)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TrainingVenues::Table)
                .col(pk_auto(TrainingVenues::Id))
                .col(integer(TrainingVenues::SubjectId))
                .col(string(TrainingVenues::Name))
                .col(integer(TrainingVenues::Capacity))
                .col(big_integer(TrainingVenues::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_training_venues_subject",
            TrainingVenues::Table,
            &["subject_id"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TrainingEquipment::Table)
                .col(pk_auto(TrainingEquipment::Id))
                .col(integer(TrainingEquipment::SubjectId))
                .col(string(TrainingEquipment::Name))
                .col(integer(TrainingEquipment::Quantity))
                .col(big_integer(TrainingEquipment::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_training_equipment_subject",
            TrainingEquipment::Table,
            &["subject_id"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TrainingClasses::Table)
                .col(pk_auto(TrainingClasses::Id))
                .col(integer(TrainingClasses::SubjectId))
                .col(string(TrainingClasses::Code))
                .col(string(TrainingClasses::CourseType))
                .col(double(TrainingClasses::SyllabusHours))
                .col(date(TrainingClasses::StartOn))
                .col(date(TrainingClasses::EndOn))
                .col(integer_null(TrainingClasses::VenueId))
                .col(integer(TrainingClasses::Capacity))
                .col(big_integer(TrainingClasses::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_training_classes_subject_code")
                .table(TrainingClasses::Table)
                .col(TrainingClasses::SubjectId)
                .col(TrainingClasses::Code)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TrainingClassSessions::Table)
                .col(pk_auto(TrainingClassSessions::Id))
                .col(integer(TrainingClassSessions::SubjectId))
                .col(integer(TrainingClassSessions::ClassId))
                .col(integer(TrainingClassSessions::Seq))
                .col(date_time(TrainingClassSessions::StartAt))
                .col(date_time(TrainingClassSessions::EndAt))
                .col(integer_null(TrainingClassSessions::TeacherId))
                .col(string(TrainingClassSessions::Mode))
                .col(string_null(TrainingClassSessions::VideoFile))
                .col(string_null(TrainingClassSessions::VideoSha256))
                .col(integer_null(TrainingClassSessions::VideoSeconds))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_training_class_sessions_class",
            TrainingClassSessions::Table,
            &["class_id"],
        )
        .await?;
        index(
            m,
            "ix_training_class_sessions_teacher",
            TrainingClassSessions::Table,
            &["teacher_id"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TrainingTrainees::Table)
                .col(pk_auto(TrainingTrainees::Id))
                .col(integer(TrainingTrainees::SubjectId))
                .col(integer(TrainingTrainees::ClassId))
                .col(string(TrainingTrainees::Name))
                .col(blob(TrainingTrainees::IdEnc))
                .col(string(TrainingTrainees::IdBidx))
                .col(string(TrainingTrainees::IdMasked))
                .col(double_null(TrainingTrainees::Score))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_training_trainees_class",
            TrainingTrainees::Table,
            &["class_id"],
        )
        .await?;
        index(
            m,
            "ix_training_trainees_bidx",
            TrainingTrainees::Table,
            &["id_bidx"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TrainingAttendance::Table)
                .col(pk_auto(TrainingAttendance::Id))
                .col(integer(TrainingAttendance::SubjectId))
                .col(integer(TrainingAttendance::SessionId))
                .col(integer(TrainingAttendance::TraineeId))
                .col(date_time_null(TrainingAttendance::SignIn))
                .col(date_time_null(TrainingAttendance::SignOut))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_training_attendance_session",
            TrainingAttendance::Table,
            &["session_id"],
        )
        .await
    }
}
