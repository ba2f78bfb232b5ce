//! The campaign: catalogue, self-inspections, problems and rectification, supervision, summaries
//! and the bulletin.

mod problems;
mod selfcheck;
mod supervision;
mod urge;
