//! Ledgers (台账) in the database: bulk ingestion of imported rows with natural-key upserts
//! (`ingest`), the facts the rule engine reads (`facts` for the ledger, `records` for training
//! and exam records, `online` for the logs of online-training platforms), one scan of them all
//! (`scan`) and stored findings (`findings`).

pub mod bulk;
pub mod facts;
pub mod findings;
pub mod import_kind;
pub mod ingest;
pub mod leads;
pub mod online;
pub mod records;
pub mod resolve;
pub mod scan;

pub use ingest::{Counts, Ingest, IngestReport, LedgerRow, Mode, Provenance};
