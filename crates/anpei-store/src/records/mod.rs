//! Training and exam records of the subjects' people: the 培训档案 (`training`) and the exam
//! plans, sessions and videos (`exams`), the relations between subjects, persons, trainers and
//! exam sites that those records reveal (`relations`), and one subject's or person's history
//! across every area (`timeline`).

pub mod exams;
pub mod relations;
pub mod timeline;
pub mod training;
