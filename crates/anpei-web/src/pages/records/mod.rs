//! The records pages: training institutions' 培训档案, exam sites' and exam institutions'
//! records, online-training platforms' logs (网络培训), and the relations between them.

pub mod exams;
pub mod online;
pub mod relations;
pub mod training;

/// The records' routes (training and exam records, relations), each with the one permission
/// it requires.
pub(crate) fn routes(r: crate::routes::RouteTable) -> crate::routes::RouteTable {
    use crate::routes::Perm::*;
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    r
        // Exam sites' and exam institutions' records.
        .route("GET", "/exams", ViewBusiness, get(exams::list))
        .route(
            "GET",
            "/exams/template.xlsx",
            ViewBusiness,
            get(exams::template),
        )
        .route(
            "GET",
            "/exams/subjects/{id}",
            ViewBusiness,
            get(exams::subject),
        )
        .route(
            "POST",
            "/exams/subjects/{id}/plans",
            ViewBusiness,
            post(exams::create_plan),
        )
        .route(
            "POST",
            "/exams/subjects/{id}/import",
            ViewBusiness,
            post(exams::import).layer(DefaultBodyLimit::max(
                crate::pages::ledger::imports::BODY_LIMIT,
            )),
        )
        .route(
            "GET",
            "/exams/subjects/{id}/export.xlsx",
            ViewBusiness,
            get(exams::export),
        )
        .route(
            "GET",
            "/exams/sessions/{id}",
            ViewBusiness,
            get(exams::session),
        )
        // Training institutions' records: 培训档案.
        .route("GET", "/training", ViewBusiness, get(training::list))
        .route(
            "GET",
            "/training/template.xlsx",
            ViewBusiness,
            get(training::template),
        )
        .route(
            "GET",
            "/training/{id}",
            ViewBusiness,
            get(training::institution),
        )
        .route(
            "POST",
            "/training/{id}/import",
            ViewBusiness,
            post(training::upload).layer(DefaultBodyLimit::max(
                crate::pages::ledger::imports::BODY_LIMIT,
            )),
        )
        .route(
            "GET",
            "/training/{id}/export.xlsx",
            ViewBusiness,
            get(training::export),
        )
        .route(
            "GET",
            "/training/classes/{id}",
            ViewBusiness,
            get(training::class),
        )
        // 网络培训: online-training platforms' logs of a subject, and one device's users.
        .route("GET", "/online", ViewBusiness, get(online::list))
        .route(
            "GET",
            "/online/template.xlsx",
            ViewBusiness,
            get(online::template),
        )
        .route(
            "GET",
            "/online/subjects/{id}",
            ViewBusiness,
            get(online::subject),
        )
        .route("GET", "/online/devices", ViewBusiness, get(online::device))
        // 关联关系: a training institution's exam sites, pass rates, shared staff.
        .route("GET", "/relations/{id}", Supervise, get(relations::page))
}
