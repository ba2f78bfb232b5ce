//! The ledger pages: importing the subjects' workbooks (upload, review, confirm) and the
//! findings the rule engine reports on the ledger, with the rule catalogue.

pub mod findings;
pub mod imports;
pub mod leads;

/// The ledger's routes (imports, findings, the rule catalogue), each with the one permission
/// it requires.
pub(crate) fn routes(r: crate::routes::RouteTable) -> crate::routes::RouteTable {
    use crate::routes::Perm::*;
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    r.route("GET", "/findings", ViewBusiness, get(findings::list))
        .route(
            "GET",
            "/findings/export",
            ViewBusiness,
            get(findings::export),
        )
        .route(
            "POST",
            "/findings/scan",
            District,
            post(findings::scan_district),
        )
        .route("GET", "/findings/{id}", ViewBusiness, get(findings::detail))
        .route(
            "POST",
            "/findings/{id}/assign",
            District,
            post(leads::assign),
        )
        .route(
            "POST",
            "/findings/{id}/to-problem",
            Supervise,
            post(leads::to_problem),
        )
        .route(
            "POST",
            "/findings/{id}/dismiss",
            Supervise,
            post(leads::dismiss),
        )
        .route(
            "POST",
            "/findings/{id}/reopen",
            District,
            post(leads::reopen),
        )
        .route("POST", "/findings/bulk", Supervise, post(leads::bulk))
        .route("GET", "/rules", ViewBusiness, get(findings::catalogue))
        .route(
            "POST",
            "/subjects/{id}/scan",
            ViewBusiness,
            post(findings::scan_subject),
        )
        .route("GET", "/imports", ViewBusiness, get(imports::page))
        .route(
            "POST",
            "/imports",
            ViewBusiness,
            post(imports::upload).layer(DefaultBodyLimit::max(imports::BODY_LIMIT)),
        )
        .route(
            "GET",
            "/imports/template.xlsx",
            ViewBusiness,
            get(imports::template),
        )
        .route("GET", "/imports/review", ViewBusiness, get(imports::review))
        .route(
            "GET",
            "/imports/progress",
            ViewBusiness,
            get(imports::progress),
        )
        .route(
            "GET",
            "/imports/errors.xlsx",
            ViewBusiness,
            get(imports::errors),
        )
        .route(
            "POST",
            "/imports/confirm",
            ViewBusiness,
            post(imports::confirm),
        )
        .route(
            "POST",
            "/imports/cancel",
            ViewBusiness,
            post(imports::cancel),
        )
}
