//! The route table: every route with the one permission it requires. `build` is the only
//! place routes are added; the authorization matrix test walks `specs()`.

use crate::{api, assets, auth, evidence, metrics, pages, AppState};
use anpei_store::Role;
use axum::extract::DefaultBodyLimit;
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
                Role::District | Role::Department | Role::Town | Role::Subject
            ),
            (Perm::EditSubjects | Perm::Supervise, Some(r)) => {
                matches!(r, Role::District | Role::Department | Role::Town)
            }
            (Perm::SelfInspect, Some(r)) => r == Role::Subject,
            (Perm::District, Some(r)) => r == Role::District,
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

struct Builder {
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
}

impl Builder {
    fn route(
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

/// All routes and their permissions.
pub fn build() -> (Router<AppState>, Vec<RouteSpec>) {
    use Perm::*;
    let b = Builder {
        router: Router::new(),
        specs: Vec::new(),
    }
    .route("GET", "/healthz", Public, get(metrics::healthz))
    .route("GET", "/metrics", Metrics, get(metrics::prometheus))
    .route("GET", "/assets/{file}", Public, get(assets::serve))
    .route("GET", "/login", Public, get(auth::login_page))
    .route("POST", "/login", Public, post(auth::login_submit))
    // The second step of a sign-in (a pending sign-in's cookie, no session yet).
    .route(
        "GET",
        "/login/mfa",
        Public,
        get(pages::mfa::login_code_page),
    )
    .route(
        "POST",
        "/login/mfa",
        Public,
        post(pages::mfa::login_code_submit),
    )
    .route("POST", "/logout", SignedIn, post(auth::logout))
    .route("GET", "/", SignedIn, get(pages::dashboard::home))
    .route("GET", "/subjects", ViewBusiness, get(pages::subjects::list))
    .route(
        "POST",
        "/subjects",
        EditSubjects,
        post(pages::subjects::create),
    )
    .route(
        "GET",
        "/subjects/new",
        EditSubjects,
        get(pages::subjects::new_form),
    )
    .route(
        "GET",
        "/subjects/{id}",
        ViewBusiness,
        get(pages::subjects::detail),
    )
    .route(
        "GET",
        "/subjects/{id}/edit",
        EditSubjects,
        get(pages::subjects::edit_form),
    )
    .route(
        "POST",
        "/subjects/{id}/edit",
        EditSubjects,
        post(pages::subjects::update),
    )
    .route("GET", "/findings", ViewBusiness, get(pages::findings::list))
    .route(
        "GET",
        "/findings/export",
        ViewBusiness,
        get(pages::findings::export),
    )
    .route(
        "POST",
        "/findings/scan",
        District,
        post(pages::findings::scan_district),
    )
    .route(
        "GET",
        "/findings/{id}",
        ViewBusiness,
        get(pages::findings::detail),
    )
    .route(
        "GET",
        "/rules",
        ViewBusiness,
        get(pages::findings::catalogue),
    )
    .route(
        "POST",
        "/subjects/{id}/scan",
        ViewBusiness,
        post(pages::findings::scan_subject),
    )
    .route("GET", "/persons", ViewBusiness, get(pages::persons::list))
    .route(
        "GET",
        "/persons/{id}",
        ViewBusiness,
        get(pages::persons::detail),
    )
    .route("GET", "/problems", ViewBusiness, get(pages::problems::list))
    .route(
        "POST",
        "/problems",
        Supervise,
        post(pages::problems::create),
    )
    .route(
        "GET",
        "/problems/export.xlsx",
        ViewBusiness,
        get(pages::problems::export),
    )
    .route(
        "GET",
        "/problems/new",
        Supervise,
        get(pages::problems::new_form),
    )
    .route(
        "GET",
        "/problems/{id}",
        ViewBusiness,
        get(pages::problems::detail),
    )
    .route(
        "POST",
        "/problems/{id}/rectify",
        ViewBusiness,
        post(pages::problems::rectify).layer(DefaultBodyLimit::max(evidence::EVIDENCE_BODY_LIMIT)),
    )
    .route(
        "POST",
        "/problems/{id}/verify",
        Supervise,
        post(pages::problems::verify),
    )
    .route(
        "POST",
        "/problems/{id}/reject",
        Supervise,
        post(pages::problems::reject),
    )
    .route("GET", "/progress", ViewBusiness, get(pages::progress::page))
    .route(
        "GET",
        "/progress/subjects",
        ViewBusiness,
        get(pages::progress::subjects),
    )
    .route("GET", "/inbox", SignedIn, get(pages::inbox::page))
    .route("POST", "/inbox/read", SignedIn, post(pages::inbox::read))
    // ViewBusiness, and inside the handler the policy's `unmask_roles` (403 otherwise).
    .route(
        "POST",
        "/persons/{id}/unmask",
        ViewBusiness,
        post(pages::persons::unmask),
    )
    .route(
        "GET",
        "/account/password",
        SignedIn,
        get(pages::account::password_form),
    )
    .route(
        "POST",
        "/account/password",
        SignedIn,
        post(pages::account::change_password),
    )
    .route("GET", "/account/mfa", SignedIn, get(pages::mfa::page))
    .route("POST", "/account/mfa", SignedIn, post(pages::mfa::submit))
    .route("GET", "/account/tokens", SignedIn, get(pages::mfa::tokens))
    .route(
        "POST",
        "/account/tokens",
        SignedIn,
        post(pages::mfa::tokens_submit),
    )
    .route("GET", "/admin/users", Administer, get(pages::users::page))
    .route(
        "POST",
        "/admin/users",
        Administer,
        post(pages::users::create),
    )
    .route(
        "GET",
        "/admin/reference",
        Administer,
        get(pages::reference::page),
    )
    .route(
        "POST",
        "/admin/reference",
        Administer,
        post(pages::reference::import),
    )
    .route(
        "GET",
        "/admin/security",
        Security,
        get(pages::security::policy_page),
    )
    .route(
        "POST",
        "/admin/security",
        Security,
        post(pages::security::save_policy),
    )
    .route(
        "GET",
        "/admin/grants",
        Security,
        get(pages::security::grants_page),
    )
    .route(
        "POST",
        "/admin/grants/{id}",
        Security,
        post(pages::security::grant),
    )
    .route("GET", "/admin/audit", Audit, get(pages::audit::page))
    .route(
        "POST",
        "/admin/audit/verify",
        Audit,
        post(pages::audit::verify),
    )
    .route("GET", "/tipoff", Public, get(pages::tipoffs::public_page))
    .route(
        "POST",
        "/tipoff",
        Public,
        post(pages::tipoffs::public_submit)
            .layer(DefaultBodyLimit::max(pages::tipoffs::BODY_LIMIT)),
    )
    .route(
        "GET",
        "/tipoff/status",
        Public,
        get(pages::tipoffs::status_page),
    )
    .route(
        "POST",
        "/tipoff/status",
        Public,
        post(pages::tipoffs::status_submit),
    )
    .route("GET", "/tipoffs", Supervise, get(pages::tipoffs::list))
    .route(
        "GET",
        "/tipoffs/new",
        Supervise,
        get(pages::tipoffs::new_form),
    )
    .route(
        "POST",
        "/tipoffs/new",
        Supervise,
        post(pages::tipoffs::create),
    )
    .route(
        "GET",
        "/tipoffs/{id}",
        Supervise,
        get(pages::tipoffs::detail),
    )
    .route(
        "GET",
        "/tipoffs/{id}/files/{file}",
        Supervise,
        get(pages::tipoffs::file),
    )
    .route(
        "POST",
        "/tipoffs/{id}/assign",
        Supervise,
        post(pages::tipoffs::assign),
    )
    .route(
        "POST",
        "/tipoffs/{id}/extend",
        Supervise,
        post(pages::tipoffs::extend),
    )
    .route(
        "POST",
        "/tipoffs/{id}/close",
        Supervise,
        post(pages::tipoffs::close),
    )
    .route(
        "POST",
        "/tipoffs/{id}/feedback",
        Supervise,
        post(pages::tipoffs::feedback),
    )
    // Exam sites' and exam institutions' records (issue 6).
    .route("GET", "/exams", ViewBusiness, get(pages::exams::list))
    .route(
        "GET",
        "/exams/template.xlsx",
        ViewBusiness,
        get(pages::exams::template),
    )
    .route(
        "GET",
        "/exams/subjects/{id}",
        ViewBusiness,
        get(pages::exams::subject),
    )
    .route(
        "POST",
        "/exams/subjects/{id}/plans",
        ViewBusiness,
        post(pages::exams::create_plan),
    )
    .route(
        "POST",
        "/exams/subjects/{id}/import",
        ViewBusiness,
        post(pages::exams::import).layer(DefaultBodyLimit::max(pages::imports::BODY_LIMIT)),
    )
    .route(
        "GET",
        "/exams/subjects/{id}/export.xlsx",
        ViewBusiness,
        get(pages::exams::export),
    )
    .route(
        "GET",
        "/exams/sessions/{id}",
        ViewBusiness,
        get(pages::exams::session),
    )
    // Training institutions' records (issue 6): 培训档案.
    .route("GET", "/training", ViewBusiness, get(pages::training::list))
    .route(
        "GET",
        "/training/template.xlsx",
        ViewBusiness,
        get(pages::training::template),
    )
    .route(
        "GET",
        "/training/{id}",
        ViewBusiness,
        get(pages::training::institution),
    )
    .route(
        "POST",
        "/training/{id}/import",
        ViewBusiness,
        post(pages::training::upload).layer(DefaultBodyLimit::max(pages::imports::BODY_LIMIT)),
    )
    .route(
        "GET",
        "/training/{id}/export.xlsx",
        ViewBusiness,
        get(pages::training::export),
    )
    .route(
        "GET",
        "/training/classes/{id}",
        ViewBusiness,
        get(pages::training::class),
    )
    // 关联关系 (issue 6): a training institution's exam sites, pass rates, shared staff.
    .route(
        "GET",
        "/relations/{id}",
        Supervise,
        get(pages::relations::page),
    )
    .route("POST", "/api/v1/auth/token", Public, post(api::auth_token))
    .route("GET", "/api/v1/openapi.json", Public, get(api::openapi))
    .route("GET", "/api/v1/subjects", ViewBusiness, get(api::subjects))
    .route(
        "GET",
        "/api/v1/subjects/{id}",
        ViewBusiness,
        get(api::subject),
    )
    .route("GET", "/api/v1/persons", ViewBusiness, get(api::persons))
    .route("GET", "/imports", ViewBusiness, get(pages::imports::page))
    .route(
        "POST",
        "/imports",
        ViewBusiness,
        post(pages::imports::upload).layer(DefaultBodyLimit::max(pages::imports::BODY_LIMIT)),
    )
    .route(
        "GET",
        "/imports/template.xlsx",
        ViewBusiness,
        get(pages::imports::template),
    )
    .route(
        "GET",
        "/imports/review",
        ViewBusiness,
        get(pages::imports::review),
    )
    .route(
        "GET",
        "/imports/progress",
        ViewBusiness,
        get(pages::imports::progress),
    )
    .route(
        "GET",
        "/imports/errors.xlsx",
        ViewBusiness,
        get(pages::imports::errors),
    )
    .route(
        "POST",
        "/imports/confirm",
        ViewBusiness,
        post(pages::imports::confirm),
    )
    .route(
        "POST",
        "/imports/cancel",
        ViewBusiness,
        post(pages::imports::cancel),
    )
    .route(
        "POST",
        "/api/v1/imports",
        ViewBusiness,
        post(api::import).layer(DefaultBodyLimit::max(pages::imports::BODY_LIMIT)),
    )
    .route("GET", "/api/v1/findings", ViewBusiness, get(api::findings))
    .route("GET", "/api/v1/problems", ViewBusiness, get(api::problems))
    .route(
        "GET",
        "/evidence/{id}",
        ViewBusiness,
        get(evidence::download),
    )
    .route(
        "GET",
        "/campaigns",
        ViewBusiness,
        get(pages::campaign::list),
    )
    .route(
        "GET",
        "/campaigns/{id}",
        ViewBusiness,
        get(pages::campaign::detail),
    )
    .route(
        "GET",
        "/campaigns/{id}/copy",
        District,
        get(pages::campaign::copy_form),
    )
    .route(
        "POST",
        "/campaigns/{id}/copy",
        District,
        post(pages::campaign::copy),
    )
    .route(
        "GET",
        "/api/v1/checklists",
        ViewBusiness,
        get(pages::campaign::checklists_api),
    )
    .route(
        "GET",
        "/selfcheck",
        ViewBusiness,
        get(pages::selfcheck::index),
    )
    .route(
        "GET",
        "/selfcheck/{id}",
        ViewBusiness,
        get(pages::selfcheck::show),
    )
    .route(
        "POST",
        "/selfcheck/{id}",
        SelfInspect,
        post(pages::selfcheck::save),
    )
    .route(
        "POST",
        "/selfcheck/{id}/submit",
        SelfInspect,
        post(pages::selfcheck::submit),
    )
    .route(
        "POST",
        "/selfcheck/{id}/evidence",
        SelfInspect,
        post(pages::selfcheck::upload).layer(DefaultBodyLimit::max(evidence::EVIDENCE_BODY_LIMIT)),
    )
    .route(
        "POST",
        "/selfcheck/{id}/evidence/delete",
        SelfInspect,
        post(pages::selfcheck::remove_evidence),
    )
    .route(
        "POST",
        "/selfcheck/{id}/return",
        Supervise,
        post(pages::selfcheck::send_back),
    )
    .route(
        "GET",
        "/selfcheck/{id}/report",
        ViewBusiness,
        get(pages::selfcheck::report::page),
    )
    .route(
        "GET",
        "/selfcheck/{id}/report.docx",
        ViewBusiness,
        get(pages::selfcheck::report::docx),
    )
    // 考核督查, 总结报告, 通报 (issue 5): the district's, but for a department's or town's
    // own summary report (the unit comes from the account, never from the request).
    .route(
        "GET",
        "/supervision",
        District,
        get(pages::supervision::overview),
    )
    .route(
        "GET",
        "/supervision/towns/{id}",
        District,
        get(pages::supervision::town_sheet),
    )
    .route(
        "POST",
        "/supervision/towns/{id}",
        District,
        post(pages::supervision::save_town),
    )
    .route(
        "POST",
        "/supervision/towns/{id}/findings",
        District,
        post(pages::supervision::finding_town),
    )
    .route(
        "GET",
        "/supervision/departments/{id}",
        District,
        get(pages::supervision::department_sheet),
    )
    .route(
        "POST",
        "/supervision/departments/{id}",
        District,
        post(pages::supervision::save_department),
    )
    .route(
        "POST",
        "/supervision/departments/{id}/findings",
        District,
        post(pages::supervision::finding_department),
    )
    .route(
        "POST",
        "/supervision/problems/{id}/close",
        District,
        post(pages::supervision::close_problem),
    )
    .route(
        "GET",
        "/summary",
        Supervise,
        get(pages::supervision::summary::page),
    )
    .route(
        "POST",
        "/summary",
        Supervise,
        post(pages::supervision::summary::submit)
            .layer(DefaultBodyLimit::max(evidence::EVIDENCE_BODY_LIMIT)),
    )
    .route(
        "GET",
        "/summaries",
        District,
        get(pages::supervision::summary::tracking),
    )
    .route(
        "GET",
        "/bulletin",
        District,
        get(pages::supervision::bulletin::page),
    )
    .route(
        "GET",
        "/bulletin.docx",
        District,
        get(pages::supervision::bulletin::docx),
    )
    // 执法检查 (issue 5): supervisors only; typical cases managed by the district, public
    // when published.
    .route(
        "GET",
        "/inspections",
        Supervise,
        get(pages::enforcement::list),
    )
    .route(
        "POST",
        "/inspections",
        Supervise,
        post(pages::enforcement::create),
    )
    .route(
        "GET",
        "/inspections/new",
        Supervise,
        get(pages::enforcement::new_form),
    )
    .route(
        "GET",
        "/inspections/{id}",
        Supervise,
        get(pages::enforcement::detail),
    )
    .route(
        "POST",
        "/inspections/{id}/actions",
        Supervise,
        post(pages::enforcement::add_action)
            .layer(DefaultBodyLimit::max(evidence::EVIDENCE_BODY_LIMIT)),
    )
    .route(
        "GET",
        "/enforcement/actions",
        Supervise,
        get(pages::enforcement::actions_list),
    )
    .route(
        "GET",
        "/enforcement/coverage",
        Supervise,
        get(pages::enforcement::coverage::page),
    )
    .route(
        "GET",
        "/enforcement/cases",
        District,
        get(pages::enforcement::cases::list),
    )
    .route(
        "GET",
        "/enforcement/cases/{id}",
        District,
        get(pages::enforcement::cases::edit_form),
    )
    .route(
        "POST",
        "/enforcement/cases/{id}",
        District,
        post(pages::enforcement::cases::save),
    )
    .route(
        "POST",
        "/enforcement/cases/{id}/publish",
        District,
        post(pages::enforcement::cases::publish),
    )
    .route(
        "GET",
        "/cases",
        Public,
        get(pages::enforcement::cases::public_list),
    )
    .route(
        "GET",
        "/cases/{id}",
        Public,
        get(pages::enforcement::cases::public_case),
    );
    (b.router, b.specs)
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
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(from_fn_with_state(state.clone(), auth::security_headers))
        .with_state(state)
}
