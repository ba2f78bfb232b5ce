//! Tip-offs (举报) and account grants: the public's reports and staff-recorded ones
//! (12350 hotline, letters), their handling history, and the grants of extra duties to
//! accounts (`tipoff_intake`: 举报受理, the only duty that may read a reporter's identity).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0008_tipoffs"
    }
}

#[derive(DeriveIden)]
enum Tipoffs {
    Table,
    Id,
    ReceiptCode,
    QueryHash,
    Channel,
    Category,
    SubjectId,
    SubjectText,
    Description,
    Anonymous,
    ReporterNameEnc,
    ReporterContactEnc,
    ReporterErasedAt,
    Status,
    AcceptedOn,
    AssignedDepartmentId,
    AssignedTownId,
    AssignedAt,
    ExtensionDays,
    ExtensionApprovedBy,
    ExtensionReason,
    Result,
    Substantiated,
    ClosedOn,
    Feedback,
    FeedbackAt,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum TipoffEvents {
    Table,
    Id,
    TipoffId,
    Kind,
    Text,
    ByUser,
    ByName,
    At,
}

#[derive(DeriveIden)]
enum UserGrants {
    Table,
    Id,
    UserId,
    Grant,
    GrantedBy,
    GrantedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Tipoffs::Table)
                .col(pk_auto(Tipoffs::Id))
                .col(string(Tipoffs::ReceiptCode).unique_key())
                .col(string(Tipoffs::QueryHash))
                .col(string(Tipoffs::Channel))
                .col(string(Tipoffs::Category))
                .col(integer_null(Tipoffs::SubjectId))
                .col(string(Tipoffs::SubjectText))
                .col(text(Tipoffs::Description))
                .col(boolean(Tipoffs::Anonymous))
                .col(blob_null(Tipoffs::ReporterNameEnc))
                .col(blob_null(Tipoffs::ReporterContactEnc))
                .col(big_integer_null(Tipoffs::ReporterErasedAt))
                .col(string(Tipoffs::Status))
                .col(date(Tipoffs::AcceptedOn))
                .col(integer_null(Tipoffs::AssignedDepartmentId))
                .col(integer_null(Tipoffs::AssignedTownId))
                .col(big_integer_null(Tipoffs::AssignedAt))
                .col(integer(Tipoffs::ExtensionDays))
                .col(string_null(Tipoffs::ExtensionApprovedBy))
                .col(text_null(Tipoffs::ExtensionReason))
                .col(text_null(Tipoffs::Result))
                .col(boolean_null(Tipoffs::Substantiated))
                .col(date_null(Tipoffs::ClosedOn))
                .col(text_null(Tipoffs::Feedback))
                .col(big_integer_null(Tipoffs::FeedbackAt))
                .col(big_integer(Tipoffs::CreatedAt))
                .col(integer_null(Tipoffs::CreatedBy))
                .to_owned(),
        )
        .await?;
        index(m, "ix_tipoffs_status", Tipoffs::Table, &["status"]).await?;
        m.create_table(
            Table::create()
                .table(TipoffEvents::Table)
                .col(pk_auto(TipoffEvents::Id))
                .col(integer(TipoffEvents::TipoffId))
                .col(string(TipoffEvents::Kind))
                .col(text(TipoffEvents::Text))
                .col(integer_null(TipoffEvents::ByUser))
                .col(string(TipoffEvents::ByName))
                .col(big_integer(TipoffEvents::At))
                .foreign_key(
                    ForeignKey::create()
                        .from(TipoffEvents::Table, TipoffEvents::TipoffId)
                        .to(Tipoffs::Table, Tipoffs::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_tipoff_events_tipoff",
            TipoffEvents::Table,
            &["tipoff_id"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(UserGrants::Table)
                .col(pk_auto(UserGrants::Id))
                .col(integer(UserGrants::UserId))
                .col(string(UserGrants::Grant))
                .col(integer_null(UserGrants::GrantedBy))
                .col(big_integer(UserGrants::GrantedAt))
                .index(
                    Index::create()
                        .name("ux_user_grants")
                        .col(UserGrants::UserId)
                        .col(UserGrants::Grant)
                        .unique(),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
