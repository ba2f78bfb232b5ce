//! The registry pages: subjects and persons in the caller's scope, the reference lists the
//! system administrator keeps, and the dashboard (home page).

pub mod dashboard;
pub mod persons;
pub mod reference;
pub mod subjects;

/// The registry's routes (home, subjects, persons, reference lists), each with the one
/// permission it requires.
pub(crate) fn routes(r: crate::routes::RouteTable) -> crate::routes::RouteTable {
    use crate::routes::Perm::*;
    use axum::routing::{get, post};
    r.route("GET", "/", SignedIn, get(dashboard::home))
        .route("GET", "/subjects", ViewBusiness, get(subjects::list))
        .route("POST", "/subjects", EditSubjects, post(subjects::create))
        .route(
            "GET",
            "/subjects/new",
            EditSubjects,
            get(subjects::new_form),
        )
        .route("GET", "/subjects/{id}", ViewBusiness, get(subjects::detail))
        .route("GET", "/unit", SelfInspect, get(subjects::own_unit))
        .route(
            "GET",
            "/subjects/{id}/edit",
            EditSubjects,
            get(subjects::edit_form),
        )
        .route(
            "POST",
            "/subjects/{id}/edit",
            EditSubjects,
            post(subjects::update),
        )
        .route("GET", "/persons", ViewBusiness, get(persons::list))
        .route("GET", "/persons/{id}", ViewBusiness, get(persons::detail))
        // ViewBusiness, and inside the handler the policy's `unmask_roles` (403 otherwise).
        .route(
            "POST",
            "/persons/{id}/unmask",
            ViewBusiness,
            post(persons::unmask),
        )
        .route("GET", "/admin/reference", Administer, get(reference::page))
        .route(
            "POST",
            "/admin/reference",
            Administer,
            post(reference::import),
        )
}
