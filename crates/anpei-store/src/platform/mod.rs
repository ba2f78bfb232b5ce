//! The platform every area stands on: accounts and sessions (`accounts`), second factors
//! (`mfa`), the security administrator's policy and grants (`policy`, `security`), the
//! hash-chained audit log (`audit`), backups (`backup`), background jobs (`jobs`), stored
//! files and evidence (`files`, `evidence`), each account's inbox (`inbox`) and the
//! reminders a supervisor sends through it (`urge`). Nothing here knows the work-safety
//! business; the business areas call it.

pub mod accounts;
pub mod audit;
pub mod backup;
pub mod evidence;
pub mod files;
pub mod inbox;
pub mod jobs;
pub mod memo;
pub mod mfa;
pub mod policy;
pub mod replica;
pub mod security;
pub mod transfer;
pub mod urge;
