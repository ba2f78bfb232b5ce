//! The foundation: reference lists, subjects, ledgers, accounts, sessions, audit log.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_foundation"
    }
}

#[derive(DeriveIden)]
enum Towns {
    Table,
    Id,
    Name,
    Kind,
    Sort,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
    Name,
    Sort,
}

#[derive(DeriveIden)]
enum DepartmentIndustries {
    Table,
    Id,
    DepartmentId,
    Industry,
    Sort,
}

#[derive(DeriveIden)]
enum Subjects {
    Table,
    Id,
    Uscc,
    Name,
    Kind,
    Industry,
    DepartmentId,
    TownId,
    Address,
    ContactName,
    ContactPhoneEnc,
    ContactPhoneMasked,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Persons {
    Table,
    Id,
    SubjectId,
    Name,
    IdEnc,
    IdBidx,
    IdMasked,
    PhoneEnc,
    PhoneMasked,
    Post,
    SpecialCategory,
    AppointedOn,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    PersonId,
    CertType,
    CertNoEnc,
    CertNoBidx,
    CertNoMasked,
    Category,
    OperationItem,
    FirstIssued,
    ValidFrom,
    ValidUntil,
    ReviewDue,
    ReviewedOn,
    Issuer,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Trainings {
    Table,
    Id,
    PersonId,
    SubjectId,
    TrainingType,
    Form,
    StartAt,
    EndAt,
    TheoryHours,
    PracticalHours,
    Institution,
    Score,
    Result,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    PasswordHash,
    Role,
    ScopeDepartmentId,
    ScopeTownId,
    ScopeSubjectId,
    Active,
    MustChangePassword,
    PasswordChangedAt,
    FailedLogins,
    LockedUntil,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    IdHash,
    UserId,
    Kind,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    ClientAddr,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    UserId,
    Username,
    Action,
    Object,
    Result,
    ClientAddr,
    Detail,
    PrevHash,
    Hash,
}

fn fk(
    name: &str,
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Towns::Table)
                .col(pk_auto(Towns::Id))
                .col(string(Towns::Name).unique_key())
                .col(string(Towns::Kind))
                .col(integer(Towns::Sort))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Departments::Table)
                .col(pk_auto(Departments::Id))
                .col(string(Departments::Name).unique_key())
                .col(integer(Departments::Sort))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DepartmentIndustries::Table)
                .col(pk_auto(DepartmentIndustries::Id))
                .col(integer(DepartmentIndustries::DepartmentId))
                .col(string(DepartmentIndustries::Industry).unique_key())
                .col(integer(DepartmentIndustries::Sort))
                .foreign_key(&mut fk(
                    "fk_department_industries_department",
                    (
                        DepartmentIndustries::Table,
                        DepartmentIndustries::DepartmentId,
                    ),
                    (Departments::Table, Departments::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Subjects::Table)
                .col(pk_auto(Subjects::Id))
                .col(string(Subjects::Uscc).unique_key())
                .col(string(Subjects::Name))
                .col(string(Subjects::Kind))
                .col(string_null(Subjects::Industry))
                .col(integer(Subjects::DepartmentId))
                .col(integer(Subjects::TownId))
                .col(string_null(Subjects::Address))
                .col(string_null(Subjects::ContactName))
                .col(blob_null(Subjects::ContactPhoneEnc))
                .col(string_null(Subjects::ContactPhoneMasked))
                .col(string(Subjects::Status).default("normal"))
                .col(big_integer(Subjects::CreatedAt))
                .col(big_integer(Subjects::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_subjects_town",
                    (Subjects::Table, Subjects::TownId),
                    (Towns::Table, Towns::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_subjects_department",
                    (Subjects::Table, Subjects::DepartmentId),
                    (Departments::Table, Departments::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_subjects_town",
            Subjects::Table,
            &["town_id", "name"],
        )
        .await?;
        index(
            m,
            "idx_subjects_department",
            Subjects::Table,
            &["department_id", "name"],
        )
        .await?;
        index(m, "idx_subjects_kind", Subjects::Table, &["kind"]).await?;
        index(m, "idx_subjects_industry", Subjects::Table, &["industry"]).await?;
        index(m, "idx_subjects_name", Subjects::Table, &["name"]).await?;

        m.create_table(
            Table::create()
                .table(Persons::Table)
                .col(pk_auto(Persons::Id))
                .col(integer(Persons::SubjectId))
                .col(string(Persons::Name))
                .col(blob(Persons::IdEnc))
                .col(string(Persons::IdBidx).unique_key())
                .col(string(Persons::IdMasked))
                .col(blob_null(Persons::PhoneEnc))
                .col(string_null(Persons::PhoneMasked))
                .col(string(Persons::Post))
                .col(string_null(Persons::SpecialCategory))
                .col(date(Persons::AppointedOn))
                .col(big_integer(Persons::CreatedAt))
                .col(big_integer(Persons::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_persons_subject",
                    (Persons::Table, Persons::SubjectId),
                    (Subjects::Table, Subjects::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_persons_subject",
            Persons::Table,
            &["subject_id", "post"],
        )
        .await?;
        index(m, "idx_persons_post", Persons::Table, &["post"]).await?;

        m.create_table(
            Table::create()
                .table(Certificates::Table)
                .col(pk_auto(Certificates::Id))
                .col(integer(Certificates::PersonId))
                .col(string(Certificates::CertType))
                .col(blob(Certificates::CertNoEnc))
                .col(string(Certificates::CertNoBidx).unique_key())
                .col(string(Certificates::CertNoMasked))
                .col(string_null(Certificates::Category))
                .col(string_null(Certificates::OperationItem))
                .col(date_null(Certificates::FirstIssued))
                .col(date_null(Certificates::ValidFrom))
                .col(date_null(Certificates::ValidUntil))
                .col(date_null(Certificates::ReviewDue))
                .col(date_null(Certificates::ReviewedOn))
                .col(string_null(Certificates::Issuer))
                .col(big_integer(Certificates::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_certificates_person",
                    (Certificates::Table, Certificates::PersonId),
                    (Persons::Table, Persons::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_certificates_person",
            Certificates::Table,
            &["person_id"],
        )
        .await?;
        index(
            m,
            "idx_certificates_valid_until",
            Certificates::Table,
            &["valid_until"],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Trainings::Table)
                .col(pk_auto(Trainings::Id))
                .col(integer(Trainings::PersonId))
                .col(integer(Trainings::SubjectId))
                .col(string(Trainings::TrainingType))
                .col(string(Trainings::Form))
                .col(date_time(Trainings::StartAt))
                .col(date_time(Trainings::EndAt))
                .col(double(Trainings::TheoryHours))
                .col(double(Trainings::PracticalHours))
                .col(string_null(Trainings::Institution))
                .col(double_null(Trainings::Score))
                .col(string_null(Trainings::Result))
                .col(big_integer(Trainings::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_trainings_person",
                    (Trainings::Table, Trainings::PersonId),
                    (Persons::Table, Persons::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_trainings_subject",
                    (Trainings::Table, Trainings::SubjectId),
                    (Subjects::Table, Subjects::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_trainings_person",
            Trainings::Table,
            &["person_id", "start_at"],
        )
        .await?;
        index(
            m,
            "idx_trainings_subject",
            Trainings::Table,
            &["subject_id"],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(pk_auto(Users::Id))
                .col(string(Users::Username).unique_key())
                .col(string(Users::DisplayName))
                .col(string(Users::PasswordHash))
                .col(string(Users::Role))
                .col(integer_null(Users::ScopeDepartmentId))
                .col(integer_null(Users::ScopeTownId))
                .col(integer_null(Users::ScopeSubjectId))
                .col(boolean(Users::Active))
                .col(boolean(Users::MustChangePassword))
                .col(big_integer(Users::PasswordChangedAt))
                .col(integer(Users::FailedLogins))
                .col(big_integer_null(Users::LockedUntil))
                .col(big_integer(Users::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_users_department",
                    (Users::Table, Users::ScopeDepartmentId),
                    (Departments::Table, Departments::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_users_town",
                    (Users::Table, Users::ScopeTownId),
                    (Towns::Table, Towns::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_users_subject",
                    (Users::Table, Users::ScopeSubjectId),
                    (Subjects::Table, Subjects::Id),
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(string(Sessions::IdHash).primary_key())
                .col(integer(Sessions::UserId))
                .col(string(Sessions::Kind))
                .col(string(Sessions::CsrfToken))
                .col(big_integer(Sessions::CreatedAt))
                .col(big_integer(Sessions::LastSeenAt))
                .col(big_integer(Sessions::ExpiresAt))
                .col(string_null(Sessions::ClientAddr))
                .foreign_key(&mut fk(
                    "fk_sessions_user",
                    (Sessions::Table, Sessions::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(m, "idx_sessions_user", Sessions::Table, &["user_id"]).await?;

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(pk_auto(AuditLog::Id))
                .col(big_integer(AuditLog::At))
                .col(integer_null(AuditLog::UserId))
                .col(string(AuditLog::Username))
                .col(string(AuditLog::Action))
                .col(string(AuditLog::Object))
                .col(string(AuditLog::Result))
                .col(string(AuditLog::ClientAddr))
                .col(text(AuditLog::Detail))
                .col(string(AuditLog::PrevHash))
                .col(string(AuditLog::Hash))
                .to_owned(),
        )
        .await?;
        index(m, "idx_audit_log_at", AuditLog::Table, &["at"]).await?;

        // The audit log is append-only for the application's own database role.
        let db = m.get_connection();
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                for (name, op) in [
                    ("audit_log_no_update", "UPDATE"),
                    ("audit_log_no_delete", "DELETE"),
                ] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {name} BEFORE {op} ON audit_log \
                         BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
                    ))
                    .await?;
                }
            }
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE OR REPLACE FUNCTION anpei_audit_append_only() RETURNS trigger AS $$ \
                     BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log \
                     FOR EACH ROW EXECUTE FUNCTION anpei_audit_append_only()",
                )
                .await?;
            }
            DbBackend::MySql => return Err(DbErr::Migration("MySQL is not supported".into())),
        }
        Ok(())
    }
}
