//! Test support — Audit log, backups and the store itself.

#[allow(unused_imports)]
use crate::Store;
