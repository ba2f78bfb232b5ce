//! The campaign: catalogue, self-inspections, problems and rectification, supervision, summaries
//! and the bulletin, 催办, and what the 工作台 shows of it to each role.

mod agenda;
mod documents;
mod problems;
mod selfcheck;
mod supervision;
mod urge;
