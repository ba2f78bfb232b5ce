//! Ledger imports: pages and API, their progress, and scope row by row.

mod import_progress;
mod imports;
mod leads;
mod write_scope;
