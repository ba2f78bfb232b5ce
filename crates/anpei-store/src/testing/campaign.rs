//! Test support — Self-inspections, supervision, problems and the campaign.

#[allow(unused_imports)]
use crate::Store;
