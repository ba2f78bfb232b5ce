//! Embedded migrations, run by `anpei migrate` (and by `serve` on SQLite at start-up).
//! One migration set serves SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

mod m0001_foundation;
mod m0002_ledger_import;
mod m0003_security_policy;
mod m0004_mfa;
mod m0005_campaign;
mod m0008_tipoffs;
mod m0009_enforcement;
mod m0010_enforcement_stage;
mod m0011_supervision_problems;
mod m0012_training_records;
mod m0013_exam_records;
mod m0014_records_findings;
mod m0015_employment_rows;
mod m0016_account_grants;
mod m0017_finding_actions;
mod m0018_tipoff_submission_key;
mod m0019_districts;
mod m0020_district_units;
mod m0021_campaign_districts;
mod m0022_district_campaigns;
mod m0023_ledger_reference_checks;
mod m0024_online_logs;

/// Creates a plain index on `table` over `cols`.
pub(crate) async fn index(
    m: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    cols: &[&str],
) -> Result<(), DbErr> {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(Alias::new(*c));
    }
    m.create_index(idx).await
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_foundation::Migration),
            Box::new(m0002_ledger_import::Migration),
            Box::new(m0003_security_policy::Migration),
            Box::new(m0004_mfa::Migration),
            Box::new(m0005_campaign::Migration),
            Box::new(m0008_tipoffs::Migration),
            Box::new(m0009_enforcement::Migration),
            Box::new(m0010_enforcement_stage::Migration),
            Box::new(m0011_supervision_problems::Migration),
            Box::new(m0012_training_records::Migration),
            Box::new(m0013_exam_records::Migration),
            Box::new(m0014_records_findings::Migration),
            Box::new(m0015_employment_rows::Migration),
            Box::new(m0016_account_grants::Migration),
            Box::new(m0017_finding_actions::Migration),
            Box::new(m0018_tipoff_submission_key::Migration),
            Box::new(m0019_districts::Migration),
            Box::new(m0020_district_units::Migration),
            Box::new(m0021_campaign_districts::Migration),
            Box::new(m0022_district_campaigns::Migration),
            Box::new(m0023_ledger_reference_checks::Migration),
            Box::new(m0024_online_logs::Migration),
        ]
    }
}
