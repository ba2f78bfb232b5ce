//! Ledger import and the rule engine: the certificate registry (登记库), the import history,
//! stored findings, and the natural key of training records.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_ledger_import"
    }
}

#[derive(DeriveIden)]
enum RegistryEntries {
    Table,
    Id,
    CertType,
    CertNoEnc,
    CertNoBidx,
    CertNoMasked,
    HolderBidx,
    HolderMasked,
    Name,
    Category,
    OperationItem,
    FirstIssued,
    ValidFrom,
    ValidUntil,
    ReviewDue,
    ReviewedOn,
    Issuer,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Imports {
    Table,
    Id,
    At,
    UserId,
    Username,
    FileName,
    Sha256,
    Kind,
    Mode,
    Outcome,
    Counts,
}

#[derive(DeriveIden)]
enum Findings {
    Table,
    Id,
    Rule,
    Severity,
    SubjectId,
    PersonId,
    FindingKey,
    Records,
    Detail,
    FirstSeen,
    LastSeen,
    Status,
    ResolvedAt,
}

#[derive(DeriveIden)]
enum Subjects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Persons {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Trainings {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RegistryEntries::Table)
                .col(pk_auto(RegistryEntries::Id))
                .col(string(RegistryEntries::CertType))
                .col(blob(RegistryEntries::CertNoEnc))
                .col(string(RegistryEntries::CertNoBidx).unique_key())
                .col(string(RegistryEntries::CertNoMasked))
                .col(string(RegistryEntries::HolderBidx))
                .col(string(RegistryEntries::HolderMasked))
                .col(string(RegistryEntries::Name))
                .col(string_null(RegistryEntries::Category))
                .col(string_null(RegistryEntries::OperationItem))
                .col(date_null(RegistryEntries::FirstIssued))
                .col(date_null(RegistryEntries::ValidFrom))
                .col(date_null(RegistryEntries::ValidUntil))
                .col(date_null(RegistryEntries::ReviewDue))
                .col(date_null(RegistryEntries::ReviewedOn))
                .col(string_null(RegistryEntries::Issuer))
                .col(big_integer(RegistryEntries::CreatedAt))
                .col(big_integer(RegistryEntries::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Imports::Table)
                .col(pk_auto(Imports::Id))
                .col(big_integer(Imports::At))
                .col(integer_null(Imports::UserId))
                .col(string(Imports::Username))
                .col(string(Imports::FileName))
                .col(string(Imports::Sha256))
                .col(string(Imports::Kind))
                .col(string(Imports::Mode))
                .col(string(Imports::Outcome))
                .col(text(Imports::Counts))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Findings::Table)
                .col(pk_auto(Findings::Id))
                .col(string(Findings::Rule))
                .col(string(Findings::Severity))
                .col(integer(Findings::SubjectId))
                .col(integer(Findings::PersonId))
                .col(string(Findings::FindingKey).unique_key())
                .col(text(Findings::Records))
                .col(text(Findings::Detail))
                .col(date(Findings::FirstSeen))
                .col(date(Findings::LastSeen))
                .col(string(Findings::Status))
                .col(date_null(Findings::ResolvedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_findings_subject")
                        .from(Findings::Table, Findings::SubjectId)
                        .to(Subjects::Table, Subjects::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_findings_person")
                        .from(Findings::Table, Findings::PersonId)
                        .to(Persons::Table, Persons::Id),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_findings_subject",
            Findings::Table,
            &["subject_id", "status"],
        )
        .await?;
        index(m, "idx_findings_rule", Findings::Table, &["rule", "status"]).await?;
        index(m, "idx_findings_person", Findings::Table, &["person_id"]).await?;
        m.create_index(
            Index::create()
                .name("uq_trainings_natural_key")
                .table(Trainings::Table)
                .col(Alias::new("person_id"))
                .col(Alias::new("start_at"))
                .col(Alias::new("end_at"))
                .col(Alias::new("training_type"))
                .unique()
                .to_owned(),
        )
        .await?;
        // The natural key's prefix (person_id, start_at) serves the old index's queries.
        m.drop_index(
            Index::drop()
                .name("idx_trainings_person")
                .table(Trainings::Table)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
