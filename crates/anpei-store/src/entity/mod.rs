//! SeaORM entities: one file per table. Technical timestamps are Unix seconds (`i64`),
//! business dates are `Date`/`DateTime` without zone (they are local Chinese dates).

pub mod audit;
pub mod certificate;
pub mod department;
pub mod department_industry;
pub mod finding;
pub mod import;
pub mod person;
pub mod registry;
pub mod session;
pub mod subject;
pub mod town;
pub mod training;
pub mod user;
