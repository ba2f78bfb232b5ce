//! Test support — Training and exam records, ledgers and their checks.

#[allow(unused_imports)]
use crate::Store;
