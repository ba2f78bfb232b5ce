//! The route table: every route with the one permission it requires. Each area declares its
//! own routes next to its handlers (`pages::<area>::routes`, the JSON API's in
//! `api::routes`); `build` composes them and is the only place the router is made. The
//! authorization matrix tests walk `specs()`.

use crate::{api, assets, auth, evidence, metrics, pages, AppState};
use anpei_store::Role;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post, MethodRouter};
use axum::Router;

/// What a route requires of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Perm {
    /// Anyone, signed in or not (login, health, assets, public pages).
    Public,
    /// Any signed-in account (own account pages, logout).
    SignedIn,
    /// Business data in the caller's scope: district, department, town, subject users.
    ViewBusiness,
    /// Create and edit subjects in the caller's scope: district, department, town users.
    EditSubjects,
    /// Supervise subjects in the caller's scope — enter a problem, verify (销号) or reject a
    /// rectification: district, department, town users (never the subject itself).
    Supervise,
    /// A subject's own campaign work — answer and submit its self-inspection, upload its
    /// evidence: subject users only (the store checks it is their own subject).
    SelfInspect,
    /// District-wide actions (a full re-scan): district users.
    District,
    /// Organisation data (reference lists) and accounts: the system administrator.
    Administer,
    /// The audit log (search, verify the chain): the audit administrator only.
    Audit,
    /// Security policy and role grants: the security administrator only.
    Security,
    /// The service's request metrics (`/metrics`): the system administrator, who runs the
    /// service, and district users. A scraper sends an API token of such an account.
    Metrics,
}

impl Perm {
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Perm::Public, _) => true,
            (_, None) => false,
            (Perm::SignedIn, Some(_)) => true,
            (Perm::ViewBusiness, Some(r)) => matches!(
                r,
                Role::City | Role::District | Role::Department | Role::Town | Role::Subject
            ),
            (Perm::EditSubjects | Perm::Supervise, Some(r)) => {
                matches!(
                    r,
                    Role::City | Role::District | Role::Department | Role::Town
                )
            }
            (Perm::SelfInspect, Some(r)) => r == Role::Subject,
            // The city's office supervises as a district's does, over every district.
            (Perm::District, Some(r)) => matches!(r, Role::City | Role::District),
            (Perm::Administer, Some(r)) => r == Role::Sysadmin,
            (Perm::Audit, Some(r)) => r == Role::Auditor,
            (Perm::Security, Some(r)) => r == Role::SecurityAdmin,
            (Perm::Metrics, Some(r)) => matches!(r, Role::Sysadmin | Role::District),
        }
    }
}

/// One declared route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub perm: Perm,
}

/// The routes being declared: the router and, beside it, each route's permission. Each
/// area's `routes` function takes it and returns it with that area's routes added.
pub(crate) struct RouteTable {
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
}

impl RouteTable {
    pub(crate) fn route(
        mut self,
        method: &'static str,
        path: &'static str,
        perm: Perm,
        handler: MethodRouter<AppState>,
    ) -> Self {
        self.specs.push(RouteSpec { method, path, perm });
        self.router = self.router.route(path, handler);
        self
    }
}

/// All routes and their permissions: those of no area here, then each area's.
pub fn build() -> (Router<AppState>, Vec<RouteSpec>) {
    let t = RouteTable {
        router: Router::new(),
        specs: Vec::new(),
    };
    let t = unscoped(t);
    let t = pages::platform::routes(t);
    let t = pages::registry::routes(t);
    let t = pages::ledger::routes(t);
    let t = pages::campaign::routes(t);
    let t = pages::enforcement::routes(t);
    let t = pages::records::routes(t);
    let t = api::routes(t);
    (t.router, t.specs)
}

/// The routes that belong to no area: health, metrics, static assets, signing in and out
/// (the second step of a sign-in is the platform's), evidence downloads.
fn unscoped(r: RouteTable) -> RouteTable {
    use Perm::*;
    r.route("GET", "/healthz", Public, get(metrics::healthz))
        .route("GET", "/metrics", Metrics, get(metrics::prometheus))
        .route("GET", "/assets/{file}", Public, get(assets::serve))
        .route("GET", "/login", Public, get(auth::login_page))
        .route("POST", "/login", Public, post(auth::login_submit))
        .route("POST", "/logout", SignedIn, post(auth::logout))
        .route(
            "GET",
            "/evidence/{id}",
            ViewBusiness,
            get(evidence::download),
        )
}

/// Every declared route (for the authorization matrix test and the docs).
pub fn specs() -> Vec<RouteSpec> {
    build().1
}

/// Adds authorization (per route), security headers and metrics, and the 404 fallback.
pub fn with_middleware(router: Router<AppState>, state: AppState) -> Router {
    router
        .route_layer(from_fn_with_state(state.clone(), auth::authorize))
        .fallback(pages::not_found)
        .layer(from_fn_with_state(
            state.clone(),
            crate::standby::route_reads,
        ))
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(from_fn_with_state(state.clone(), auth::security_headers))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn spec(method: &'static str, path: &'static str, perm: Perm) -> RouteSpec {
        RouteSpec { method, path, perm }
    }

    #[test]
    fn the_areas_together_declare_every_route_once() {
        let all = specs();
        assert_eq!(all.len(), 155);
        let distinct: HashSet<(&str, &str)> = all.iter().map(|s| (s.method, s.path)).collect();
        assert_eq!(distinct.len(), all.len(), "a route declared twice");
        for known in [
            spec("GET", "/healthz", Perm::Public),
            spec("POST", "/findings/{id}/assign", Perm::District),
            spec("POST", "/findings/{id}/to-problem", Perm::Supervise),
            spec("POST", "/findings/{id}/dismiss", Perm::Supervise),
            spec("POST", "/findings/{id}/reopen", Perm::District),
            spec("POST", "/findings/bulk", Perm::Supervise),
            spec("POST", "/progress/urge", Perm::Supervise),
            spec("POST", "/problems/urge", Perm::Supervise),
            spec("GET", "/unit", Perm::SelfInspect),
            spec("POST", "/tipoffs/urge", Perm::District),
            spec("POST", "/summaries/urge", Perm::District),
            spec("GET", "/metrics", Perm::Metrics),
            spec("POST", "/login/mfa", Perm::Public),
            spec("GET", "/", Perm::SignedIn),
            spec("POST", "/subjects/{id}/scan", Perm::ViewBusiness),
            spec("POST", "/findings/scan", Perm::District),
            spec("GET", "/admin/audit", Perm::Audit),
            spec("POST", "/admin/grants/{id}", Perm::Security),
            spec("POST", "/admin/users", Perm::Administer),
            spec("POST", "/selfcheck/{id}/submit", Perm::SelfInspect),
            spec("POST", "/problems/{id}/verify", Perm::Supervise),
            spec("GET", "/api/v1/checklists", Perm::ViewBusiness),
            spec("POST", "/api/v1/imports", Perm::ViewBusiness),
            spec("POST", "/tipoff", Perm::Public),
            spec("GET", "/cases/{id}", Perm::Public),
            spec("GET", "/relations/{id}", Perm::Supervise),
            spec("GET", "/evidence/{id}", Perm::ViewBusiness),
        ] {
            assert!(all.contains(&known), "missing {known:?}");
        }
    }
}
