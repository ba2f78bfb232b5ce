//! The web crate's integration tests: the real application (router, middleware, database)
//! driven as its users drive it, one module per part of the product, sharing one harness.

mod common;

mod authorization;
mod enforcement;
mod evidence_sweep;
mod exam_records;
mod import_progress;
mod imports;
mod mfa;
mod pages;
mod policy_refresh;
mod problems;
mod ratelimit;
mod records_checks;
mod relations;
mod requests;
mod security_admin;
mod selfcheck;
mod supervision;
mod tipoffs;
mod training_records;
mod transport;
mod uploads;
mod write_matrix;
mod write_scope;
