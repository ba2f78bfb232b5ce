//! Test support — Accounts, grants, uploads and the read and write matrices.

#[allow(unused_imports)]
use crate::Store;
