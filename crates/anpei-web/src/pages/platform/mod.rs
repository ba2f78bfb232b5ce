//! The platform pages: one's own account (password, second factor, API tokens), the system
//! administrator's users, the security administrator's policy and grants, and the audit
//! administrator's log.

pub mod account;
pub mod audit;
pub mod mfa;
pub mod security;
pub mod users;

/// The platform's routes (the second step of a sign-in, one's own account, the administrators'
/// pages), each with the one permission it requires.
pub(crate) fn routes(r: crate::routes::RouteTable) -> crate::routes::RouteTable {
    use crate::routes::Perm::*;
    use axum::routing::{get, post};
    r
        // The second step of a sign-in (a pending sign-in's cookie, no session yet).
        .route("GET", "/login/mfa", Public, get(mfa::login_code_page))
        .route("POST", "/login/mfa", Public, post(mfa::login_code_submit))
        .route(
            "GET",
            "/account/password",
            SignedIn,
            get(account::password_form),
        )
        .route(
            "POST",
            "/account/password",
            SignedIn,
            post(account::change_password),
        )
        .route("GET", "/account/mfa", SignedIn, get(mfa::page))
        .route("POST", "/account/mfa", SignedIn, post(mfa::submit))
        .route("GET", "/account/tokens", SignedIn, get(mfa::tokens))
        .route(
            "POST",
            "/account/tokens",
            SignedIn,
            post(mfa::tokens_submit),
        )
        .route("GET", "/admin/users", Administer, get(users::page))
        .route("POST", "/admin/users", Administer, post(users::create))
        .route(
            "GET",
            "/admin/security",
            Security,
            get(security::policy_page),
        )
        .route(
            "POST",
            "/admin/security",
            Security,
            post(security::save_policy),
        )
        .route("GET", "/admin/grants", Security, get(security::grants_page))
        .route(
            "POST",
            "/admin/grants/{id}",
            Security,
            post(security::grant),
        )
        .route("GET", "/admin/audit", Audit, get(audit::page))
        .route("POST", "/admin/audit/verify", Audit, post(audit::verify))
}
