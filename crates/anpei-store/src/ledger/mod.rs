//! Ledgers (台账) in the database: bulk ingestion of imported rows with natural-key upserts
//! (`ingest`), the facts the rule engine reads (`facts`), and stored findings (`findings`).

pub mod facts;
pub mod findings;
pub mod ingest;
pub mod resolve;

pub use ingest::{Counts, Ingest, IngestReport, Mode, Provenance};
