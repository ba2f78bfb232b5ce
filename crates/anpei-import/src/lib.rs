//! Ledger import and export: streaming readers for xlsx workbooks and CSV files (UTF-8 with or
//! without BOM, GB18030) that turn rows into validated `anpei_core::ledger` records or
//! row-level Chinese errors, and writers for error reports, template workbooks and exports.
#![forbid(unsafe_code)]
