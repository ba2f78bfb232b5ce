//! Training and exam records, their checks, and the relations between institutions and exam
//! sites.

mod checks;
mod exams;
mod online;
mod relations;
mod training;
