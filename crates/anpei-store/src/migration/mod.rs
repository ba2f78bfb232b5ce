//! Embedded migrations, run by `anpei migrate` (and by `serve` on SQLite at start-up).
//! One migration set serves SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

mod m0001_foundation;
mod m0002_ledger_import;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_foundation::Migration),
            Box::new(m0002_ledger_import::Migration),
        ]
    }
}
