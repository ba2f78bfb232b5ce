//! The registry of who is supervised: subjects (生产经营单位) and the persons who work for
//! them (`subjects`, `persons`), the district's reference lists of departments, towns and
//! codes (`reference`), and the dashboard's counts over them (`dashboard`).

pub mod dashboard;
pub mod persons;
pub mod reference;
pub mod subjects;
