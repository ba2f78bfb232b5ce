//! SeaORM entities: one file per table. Technical timestamps are Unix seconds (`i64`),
//! business dates are `Date`/`DateTime` without zone (they are local Chinese dates).

pub mod audit;
pub mod campaign;
pub mod campaign_phase;
pub mod certificate;
pub mod checklist_item;
pub mod department;
pub mod department_industry;
pub mod evidence_file;
pub mod finding;
pub mod import;
pub mod inbox_message;
pub mod job_run;
pub mod password_history;
pub mod person;
pub mod problem;
pub mod problem_event;
pub mod registry;
pub mod self_inspection;
pub mod self_inspection_answer;
pub mod security_setting;
pub mod session;
pub mod subject;
pub mod town;
pub mod training;
pub mod user;
