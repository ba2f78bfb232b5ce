//! The store's integration tests: on SQLite, and on PostgreSQL when
//! `ANPEI_TEST_DATABASE_URL` names one (each test in a fresh schema).

mod ledger;
mod store;
