//! The web crate's integration tests: the real application (router, middleware, database)
//! driven as its users drive it, one folder per area of the product (as in `src/pages`),
//! sharing one harness (`common`).

mod common;

mod campaign;
mod enforcement;
mod journeys;
mod ledger;
mod platform;
mod records;
