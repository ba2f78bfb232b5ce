//! The checks on training and exam records find classes, sessions, recordings
//! and staff rather than persons of the ledger: a finding's `person_id` becomes optional,
//! and the person such a finding concerns (a teacher, a proctor) is kept by name and
//! masked ID number. Teachers and exam staff credentials gain a phone number (encrypted,
//! with a blind index for STAFF_CONFLICT and a masked copy).

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0014_records_findings"
    }
}

#[derive(DeriveIden)]
enum TrainingTeachers {
    Table,
    PhoneEnc,
    PhoneBidx,
    PhoneMasked,
}

#[derive(DeriveIden)]
enum ExamStaffCredentials {
    Table,
    PhoneEnc,
    PhoneBidx,
    PhoneMasked,
}

/// The findings table of m0002 with `person_id` nullable and the two `who_` columns.
const SQLITE_FINDINGS: &str = "CREATE TABLE findings_new (\
     id integer NOT NULL PRIMARY KEY AUTOINCREMENT, \
     rule varchar NOT NULL, \
     severity varchar NOT NULL, \
     subject_id integer NOT NULL, \
     person_id integer NULL, \
     finding_key varchar NOT NULL UNIQUE, \
     records text NOT NULL, \
     detail text NOT NULL, \
     first_seen date_text NOT NULL, \
     last_seen date_text NOT NULL, \
     status varchar NOT NULL, \
     resolved_at date_text NULL, \
     who_name varchar NULL, \
     who_id_masked varchar NULL, \
     CONSTRAINT fk_findings_subject FOREIGN KEY (subject_id) REFERENCES subjects (id), \
     CONSTRAINT fk_findings_person FOREIGN KEY (person_id) REFERENCES persons (id))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                // SQLite cannot drop a NOT NULL: rebuild the table (nothing refers to it),
                // in one batch on one connection (the pool's other connections would see the
                // table by its old schema between the statements).
                db.execute_unprepared(&format!(
                    "{SQLITE_FINDINGS}; \
                     INSERT INTO findings_new (id, rule, severity, subject_id, person_id, \
                     finding_key, records, detail, first_seen, last_seen, status, resolved_at) \
                     SELECT id, rule, severity, subject_id, person_id, finding_key, records, \
                     detail, first_seen, last_seen, status, resolved_at FROM findings; \
                     DROP TABLE findings; \
                     ALTER TABLE findings_new RENAME TO findings; \
                     CREATE INDEX idx_findings_subject ON findings (subject_id, status); \
                     CREATE INDEX idx_findings_rule ON findings (rule, status); \
                     CREATE INDEX idx_findings_person ON findings (person_id);"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "ALTER TABLE findings ALTER COLUMN person_id DROP NOT NULL, \
                     ADD COLUMN who_name varchar NULL, ADD COLUMN who_id_masked varchar NULL",
                )
                .await?;
            }
        }
        m.alter_table(
            Table::alter()
                .table(TrainingTeachers::Table)
                .add_column(blob_null(TrainingTeachers::PhoneEnc))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(TrainingTeachers::Table)
                .add_column(string_null(TrainingTeachers::PhoneBidx))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(TrainingTeachers::Table)
                .add_column(string_null(TrainingTeachers::PhoneMasked))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ExamStaffCredentials::Table)
                .add_column(blob_null(ExamStaffCredentials::PhoneEnc))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ExamStaffCredentials::Table)
                .add_column(string_null(ExamStaffCredentials::PhoneBidx))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ExamStaffCredentials::Table)
                .add_column(string_null(ExamStaffCredentials::PhoneMasked))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
