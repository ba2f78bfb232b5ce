//! The authorization matrix: every declared route, driven as every role, against an object
//! inside and one outside the role's scope. A route added to `routes::build` without a row
//! here makes `every_route_has_a_row_in_the_matrix` fail.

use crate::common;

use anpei_store::platform::accounts;
use anpei_store::scope::Role;
use anpei_web::routes::{specs, Perm};
use axum::http::StatusCode;
use common::matrix::{city_fixtures, load_fixtures, make_city, objects_for, tipoff_objects};
use common::{Harness, Reply, Session};

/// What the test expects of a request.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Outcome {
    /// Reached the handler (success, redirect after success, or its own validation answer).
    Allowed,
    /// Refused by authorization: 403, 401 on the API, or a redirect to the login page.
    Denied,
    /// The object is outside the caller's scope: 404.
    Hidden,
}

/// The routes this matrix knows how to drive: (method, path, object kind in `{id}`).
const MATRIX: &[(&str, &str, &str)] = &[
    ("GET", "/healthz", ""),
    ("GET", "/metrics", ""),
    ("GET", "/assets/{file}", ""),
    ("GET", "/login", ""),
    ("POST", "/login", ""),
    ("GET", "/login/mfa", ""),
    ("POST", "/login/mfa", ""),
    ("POST", "/logout", ""),
    ("GET", "/", ""),
    ("GET", "/subjects", ""),
    ("POST", "/subjects", ""),
    ("GET", "/subjects/new", ""),
    ("GET", "/subjects/{id}", "subject"),
    ("GET", "/subjects/{id}/edit", "subject"),
    ("POST", "/subjects/{id}/edit", "subject"),
    ("GET", "/findings", ""),
    ("GET", "/findings/export", ""),
    ("POST", "/findings/scan", ""),
    ("GET", "/findings/{id}", "finding"),
    ("POST", "/findings/{id}/assign", "finding"),
    ("POST", "/findings/{id}/to-problem", "finding"),
    ("POST", "/findings/{id}/dismiss", "finding"),
    ("POST", "/findings/{id}/reopen", "finding"),
    ("POST", "/findings/bulk", ""),
    ("POST", "/progress/urge", ""),
    ("POST", "/problems/urge", ""),
    ("POST", "/tipoffs/urge", ""),
    ("POST", "/summaries/urge", ""),
    ("GET", "/unit", ""),
    ("GET", "/rules", ""),
    ("POST", "/subjects/{id}/scan", "subject"),
    ("GET", "/persons", ""),
    ("GET", "/persons/{id}", "person"),
    ("POST", "/persons/{id}/unmask", "person"),
    ("GET", "/account/password", ""),
    ("POST", "/account/password", ""),
    ("GET", "/account/mfa", ""),
    ("POST", "/account/mfa", ""),
    ("GET", "/account/tokens", ""),
    ("POST", "/account/tokens", ""),
    ("GET", "/admin/users", ""),
    ("POST", "/admin/users", ""),
    ("GET", "/admin/reference", ""),
    ("POST", "/admin/reference", ""),
    ("GET", "/admin/security", ""),
    ("POST", "/admin/security", ""),
    ("GET", "/admin/grants", ""),
    ("POST", "/admin/grants/{id}", "user"),
    ("GET", "/admin/audit", ""),
    ("POST", "/admin/audit/verify", ""),
    ("POST", "/api/v1/auth/token", ""),
    ("GET", "/api/v1/openapi.json", ""),
    ("GET", "/api/v1/subjects", ""),
    ("GET", "/api/v1/subjects/{id}", "subject"),
    ("GET", "/api/v1/persons", ""),
    ("GET", "/imports", ""),
    ("POST", "/imports", ""),
    ("GET", "/imports/template.xlsx", ""),
    ("GET", "/imports/review", ""),
    ("GET", "/imports/progress", ""),
    ("GET", "/imports/errors.xlsx", ""),
    ("POST", "/imports/confirm", ""),
    ("POST", "/imports/cancel", ""),
    ("POST", "/api/v1/imports", ""),
    ("GET", "/api/v1/findings", ""),
    ("GET", "/api/v1/problems", ""),
    ("GET", "/evidence/{id}", "evidence"),
    ("GET", "/tipoff", ""),
    ("POST", "/tipoff", ""),
    ("GET", "/tipoff/status", ""),
    ("POST", "/tipoff/status", ""),
    ("GET", "/tipoffs", ""),
    ("GET", "/tipoffs/new", ""),
    ("POST", "/tipoffs/new", ""),
    ("GET", "/tipoffs/{id}", "tipoff"),
    ("GET", "/tipoffs/{id}/files/{file}", "tipoff"),
    ("POST", "/tipoffs/{id}/assign", "tipoff"),
    ("POST", "/tipoffs/{id}/extend", "tipoff"),
    ("POST", "/tipoffs/{id}/close", "tipoff"),
    ("POST", "/tipoffs/{id}/feedback", "tipoff"),
    ("GET", "/campaigns", ""),
    ("GET", "/campaigns/{id}", "campaign"),
    ("GET", "/campaigns/{id}/copy", "campaign"),
    ("POST", "/campaigns/{id}/copy", "campaign"),
    ("POST", "/campaigns/{id}/district-dates", "campaign"),
    ("GET", "/api/v1/checklists", ""),
    ("GET", "/selfcheck", ""),
    ("GET", "/selfcheck/{id}", "self_inspection"),
    ("POST", "/selfcheck/{id}", "self_inspection"),
    ("POST", "/selfcheck/{id}/submit", "self_inspection"),
    ("POST", "/selfcheck/{id}/evidence", "self_inspection"),
    ("POST", "/selfcheck/{id}/evidence/delete", "self_inspection"),
    ("POST", "/selfcheck/{id}/return", "self_inspection"),
    ("GET", "/selfcheck/{id}/report", "self_inspection"),
    ("GET", "/selfcheck/{id}/report.docx", "self_inspection"),
    ("GET", "/problems", ""),
    ("POST", "/problems", ""),
    ("GET", "/problems/export.xlsx", ""),
    ("GET", "/problems/export.docx", ""),
    ("GET", "/problems/new", ""),
    ("GET", "/problems/{id}", "problem"),
    ("POST", "/problems/{id}/rectify", "problem"),
    ("POST", "/problems/{id}/verify", "problem"),
    ("POST", "/problems/{id}/reject", "problem"),
    ("GET", "/progress", ""),
    ("GET", "/progress/subjects", ""),
    ("GET", "/inbox", ""),
    ("POST", "/inbox/read", ""),
    ("GET", "/supervision", ""),
    ("GET", "/supervision/towns/{id}", "town"),
    ("POST", "/supervision/towns/{id}", "town"),
    ("POST", "/supervision/towns/{id}/findings", "town"),
    ("GET", "/supervision/departments/{id}", "department"),
    ("POST", "/supervision/departments/{id}", "department"),
    (
        "POST",
        "/supervision/departments/{id}/findings",
        "department",
    ),
    ("GET", "/supervision/districts/{id}", "district"),
    ("POST", "/supervision/districts/{id}", "district"),
    ("POST", "/supervision/districts/{id}/findings", "district"),
    (
        "POST",
        "/supervision/problems/{id}/close",
        "supervision_problem",
    ),
    ("GET", "/summary", ""),
    ("POST", "/summary", ""),
    ("GET", "/summaries", ""),
    ("GET", "/bulletin", ""),
    ("GET", "/bulletin.docx", ""),
    ("GET", "/inspections", ""),
    ("POST", "/inspections", ""),
    ("GET", "/inspections/new", ""),
    ("GET", "/inspections/{id}", "inspection"),
    ("POST", "/inspections/{id}/actions", "inspection"),
    ("GET", "/enforcement/actions", ""),
    ("GET", "/enforcement/coverage", ""),
    ("GET", "/enforcement/cases", ""),
    ("GET", "/enforcement/cases/{id}", "case"),
    ("POST", "/enforcement/cases/{id}", "case"),
    ("POST", "/enforcement/cases/{id}/publish", "case"),
    ("GET", "/cases", ""),
    ("GET", "/cases/{id}", "public_case"),
    ("GET", "/exams", ""),
    ("GET", "/exams/template.xlsx", ""),
    ("GET", "/exams/subjects/{id}", "subject"),
    ("POST", "/exams/subjects/{id}/plans", "subject"),
    ("POST", "/exams/subjects/{id}/import", "subject"),
    ("GET", "/exams/subjects/{id}/export.xlsx", "subject"),
    ("GET", "/exams/sessions/{id}", "exam_session"),
    ("GET", "/training", ""),
    ("GET", "/training/template.xlsx", ""),
    ("GET", "/training/{id}", "subject"),
    ("POST", "/training/{id}/import", "subject"),
    ("GET", "/training/{id}/export.xlsx", "subject"),
    ("GET", "/training/classes/{id}", "training_class"),
    ("GET", "/relations/{id}", "subject"),
    ("GET", "/online", ""),
    ("GET", "/online/template.xlsx", ""),
    ("GET", "/online/subjects/{id}", "subject"),
    ("GET", "/online/devices", ""),
];

#[test]
fn every_row_of_the_matrix_is_a_declared_route() {
    let declared = specs();
    for (m, p, _) in MATRIX {
        assert!(
            declared.iter().any(|s| s.method == *m && s.path == *p),
            "matrix row {m} {p} is not a declared route"
        );
    }
}

#[test]
fn every_route_has_a_row_in_the_matrix() {
    for s in specs() {
        assert!(
            MATRIX
                .iter()
                .any(|(m, p, _)| *m == s.method && *p == s.path),
            "route {} {} has no row in the authorization matrix",
            s.method,
            s.path
        );
    }
}

/// Permissions a handler checks beyond its route's `Perm`, from the security policy in force
///: unmasking needs a role in `unmask_roles`, refused with 403 before the person
/// is looked up. (Bulk personal exports need `personal_export_roles` only above the
/// threshold, which the matrix's small district stays under: tests/platform/security_admin.rs.)
fn policy_allows(h: &Harness, method: &str, pattern: &str, role: Option<Role>, city: bool) -> bool {
    let policy = h.store().policy();
    // The intake duty is the district's in a one-district installation (granted to the
    // demo district account by `tipoff_fixtures`), the city's in a city (`city_fixtures`).
    let intake = if city { Role::City } else { Role::District };
    match (method, pattern) {
        ("POST", "/persons/{id}/unmask") => role.is_some_and(|r| policy.may_unmask(r)),
        // A district's own dates inside the city's campaign: a district of a city only.
        ("POST", "/campaigns/{id}/district-dates") => city && role == Some(Role::District),
        // A city's district hands on what the city handed to it.
        ("POST", "/tipoffs/{id}/assign") if city => {
            matches!(role, Some(Role::City | Role::District))
        }
        // The intake duty: recording, assigning, extending, answering the reporter.
        ("GET" | "POST", "/tipoffs/new")
        | ("POST", "/tipoffs/{id}/assign" | "/tipoffs/{id}/extend" | "/tipoffs/{id}/feedback") => {
            role == Some(intake)
        }
        // Uploading a class file: the institution's own account and the district
        // (pages::records::training::may_upload).
        ("POST", "/training/{id}/import") => {
            matches!(role, Some(Role::City | Role::District | Role::Subject))
        }
        _ => true,
    }
}

fn classify(path: &str, r: &Reply) -> Outcome {
    // The metrics are read by programs: refused like the API, never redirected to sign in.
    let api = path.starts_with("/api/") || path == "/metrics";
    match r.status {
        StatusCode::FORBIDDEN => Outcome::Denied,
        StatusCode::UNAUTHORIZED if api && !path.ends_with("/auth/token") => Outcome::Denied,
        StatusCode::SEE_OTHER if r.location().starts_with("/login?next=") => Outcome::Denied,
        StatusCode::NOT_FOUND => Outcome::Hidden,
        _ => Outcome::Allowed,
    }
}

async fn request(
    h: &Harness,
    session: Option<&Session>,
    token: Option<&str>,
    method: &str,
    path: &str,
) -> Reply {
    if path.starts_with("/api/") && method == "GET" {
        return match token {
            Some(t) => h.api_get(t, path).await,
            None => h.get(None, path).await,
        };
    }
    if method == "POST" && path == "/login" {
        // Through the form with its CSRF cookie, and wrong credentials: the handler answers.
        return h
            .try_login("nobody", "wrong")
            .await
            .expect_err("wrong credentials are refused");
    }
    if method == "POST" && path == "/login/mfa" && session.is_none() {
        // With the sign-in form's CSRF cookie but no pending sign-in: back to the login page.
        let page = h.get(None, "/login").await;
        let pre = page.headers[axum::http::header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let csrf = common::hidden_csrf(&page.body).unwrap();
        let req = axum::http::Request::post(path)
            .header(
                axum::http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(axum::http::header::COOKIE, pre)
            .body(axum::body::Body::from(format!("code=000000&_csrf={csrf}")))
            .unwrap();
        return h.send(req).await;
    }
    if method == "POST" && (path == "/tipoff" || path == "/tipoff/status") {
        // Through the public form, as a browser has it: its CSRF token (the session's when
        // signed in, else the form's own cookie), empty fields: the handler answers.
        let page = h.get(session, path).await;
        let csrf = match page.body.find("/tipoff?_csrf=") {
            Some(i) => page.body[i + "/tipoff?_csrf=".len()..]
                .split('"')
                .next()
                .unwrap()
                .to_string(),
            None => common::hidden_csrf(&page.body).unwrap_or_default(),
        };
        let mut cookie = session.map(|s| s.cookie.clone()).unwrap_or_default();
        if let Some(c) = page.headers.get(axum::http::header::SET_COOKIE) {
            let c = c.to_str().unwrap().split(';').next().unwrap();
            cookie = if cookie.is_empty() {
                c.to_string()
            } else {
                format!("{cookie}; {c}")
            };
        }
        let s = Session { cookie, csrf };
        return if path == "/tipoff" {
            h.post_multipart(Some(&s), &format!("/tipoff?_csrf={}", s.csrf), &[], None)
                .await
        } else {
            h.post_form(Some(&s), path, &[]).await
        };
    }
    match method {
        "GET" => h.get(session, path).await,
        _ => h.post_form(session, path, &[]).await,
    }
}

#[tokio::test]
async fn every_route_answers_every_role_as_its_permission_and_scope_say() {
    let h = Harness::with_demo(40, 300).await;
    load_fixtures(&h).await;
    let failures = drive(
        &h,
        &[
            (None, None),
            (Some("district"), Some(Role::District)),
            (Some("department"), Some(Role::Department)),
            (Some("town"), Some(Role::Town)),
            (Some("enterprise"), Some(Role::Subject)),
            (Some("sysadmin"), Some(Role::Sysadmin)),
            (Some("secadmin"), Some(Role::SecurityAdmin)),
            (Some("auditor"), Some(Role::Auditor)),
        ],
        false,
    )
    .await;
    h.db.cleanup().await;
    assert!(
        failures.is_empty(),
        "authorization matrix mismatches:\n{}",
        failures.join("\n")
    );
}

/// The same matrix on a city of two districts: the city reaches every district's objects
/// and the districts' sheets; each district (渝北区's and the other's) only its own; the
/// towns, departments and subjects of 渝北区 as before.
#[tokio::test]
async fn in_a_city_every_route_answers_every_role_as_its_permission_and_scope_say() {
    let h = Harness::with_demo(30, 200).await;
    make_city(&h).await;
    load_fixtures(&h).await;
    city_fixtures(&h).await;
    let failures = drive(
        &h,
        &[
            (Some("city"), Some(Role::City)),
            (Some("district"), Some(Role::District)),
            (Some("district2"), Some(Role::District)),
            (Some("department"), Some(Role::Department)),
            (Some("town"), Some(Role::Town)),
            (Some("enterprise"), Some(Role::Subject)),
        ],
        true,
    )
    .await;
    h.db.cleanup().await;
    assert!(
        failures.is_empty(),
        "authorization matrix mismatches in a city:\n{}",
        failures.join("\n")
    );
}

/// Drives every row of the matrix as each of `roles`; the mismatches.
async fn drive(h: &Harness, roles: &[(Option<&str>, Option<Role>)], city: bool) -> Vec<String> {
    let mut failures = Vec::new();
    for &(username, role) in roles {
        let scope = match username {
            Some(u) => anpei_store::testing::scope_of(
                &accounts::find_user(h.store(), u).await.unwrap().unwrap(),
            ),
            None => anpei_store::testing::scope(anpei_store::Reach::Nothing),
        };
        let mut objs = objects_for(h, &scope).await;
        let (tipoff_pick, tipoff_files) = tipoff_objects(h, &scope).await;
        objs.by_subject.insert("tipoff", tipoff_pick);
        let mut session = match username {
            Some(u) => Some(h.login(u).await),
            None => None,
        };
        let token = match username {
            Some(u) => Some(h.api_token(u).await),
            None => None,
        };
        for &(method, pattern, kind) in MATRIX {
            let perm = specs()
                .into_iter()
                .find(|s| s.method == method && s.path == pattern)
                .map(|s| s.perm)
                .unwrap_or(Perm::Public);
            let targets: Vec<(String, bool)> = match kind {
                "subject" => {
                    let mut v = vec![(objs.subject_in.to_string(), true)];
                    if let Some(o) = objs.subject_out {
                        v.push((o.to_string(), false));
                    }
                    v
                }
                "finding" => {
                    let mut v = vec![(objs.finding_in.to_string(), true)];
                    if let Some(o) = objs.finding_out {
                        v.push((o.to_string(), false));
                    }
                    v
                }
                "user" => vec![(objs.user.to_string(), true)],
                "person" => {
                    let mut v = vec![(objs.person_in.to_string(), true)];
                    if let Some(o) = objs.person_out {
                        v.push((o.to_string(), false));
                    }
                    v
                }
                "" => vec![(String::new(), true)],
                other => {
                    let (inside, outside) = objs.by_subject[other];
                    let mut v = vec![(inside.to_string(), true)];
                    if let Some(o) = outside {
                        v.push((o.to_string(), false));
                    }
                    v
                }
            };
            for (id, inside) in targets {
                let file = match kind {
                    "tipoff" => tipoff_files
                        .iter()
                        .find(|(t, _)| t.to_string() == id)
                        .map_or_else(|| "0".to_string(), |(_, f)| f.to_string()),
                    _ => "app.css".to_string(),
                };
                let allowed = perm.allows(role) && policy_allows(h, method, pattern, role, city);
                // No object of the kind inside the scope: nothing to reach.
                if allowed && inside && id == "-1" {
                    continue;
                }
                let path = pattern.replace("{id}", &id).replace("{file}", &file);
                let r = request(h, session.as_ref(), token.as_deref(), method, &path).await;
                let expected = if !allowed {
                    Outcome::Denied
                } else if !inside
                    || (role.is_some()
                        && scope.reach() == anpei_store::Reach::Nothing
                        && !matches!(kind, "" | "user" | "public_case"))
                {
                    Outcome::Hidden
                } else {
                    Outcome::Allowed
                };
                let got = classify(&path, &r);
                if got != expected {
                    failures.push(format!(
                        "{:?} {method} {path}: expected {expected:?}, got {:?} ({})",
                        username, got, r.status
                    ));
                }
                if pattern == "/logout" {
                    if let Some(u) = username {
                        session = Some(h.login(u).await);
                    }
                }
            }
        }
    }
    failures
}

/// 三员分立: each of the three administrators holds exactly one of the three powers, and none
/// of them reaches business data.
#[test]
fn the_three_administrators_hold_one_power_each_and_no_business_data() {
    let powers = [Perm::Administer, Perm::Audit, Perm::Security];
    for role in [Role::Sysadmin, Role::SecurityAdmin, Role::Auditor] {
        for p in [Perm::ViewBusiness, Perm::EditSubjects, Perm::District] {
            assert!(!p.allows(Some(role)), "{role:?} must not have {p:?}");
        }
        let held = powers.iter().filter(|p| p.allows(Some(role))).count();
        assert_eq!(held, 1, "{role:?} holds {held} administrator powers");
    }
    assert!(Perm::Audit.allows(Some(Role::Auditor)));
    assert!(!Perm::Audit.allows(Some(Role::Sysadmin)));
    assert!(!Perm::Administer.allows(Some(Role::Auditor)));
    assert!(Perm::Security.allows(Some(Role::SecurityAdmin)));
    for role in [Role::District, Role::Sysadmin, Role::Auditor, Role::Subject] {
        assert!(!Perm::Security.allows(Some(role)), "{role:?} grants roles");
    }
    for role in Role::ALL {
        if *role != Role::Auditor {
            assert!(
                !Perm::Audit.allows(Some(*role)),
                "{role:?} reads the audit log"
            );
        }
    }
}

/// The request metrics are not public: a scraper (or anyone) without credentials gets 401,
/// a business account without the permission 403; the system administrator and district
/// accounts read them, by session or by an API token (what a scraper sends).
#[tokio::test]
async fn the_metrics_are_read_by_the_system_administrator_and_the_district_only() {
    let h = Harness::with_demo(5, 20).await;
    let metrics =
        |r: &Reply| r.status == StatusCode::OK && r.body.contains("anpei_http_requests_total");
    let anonymous = h.get(None, "/metrics").await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        anonymous.body
    );
    assert!(!anonymous.body.contains("anpei_http"));
    let v: serde_json::Value = serde_json::from_str(&anonymous.body).expect("a JSON refusal");
    assert_eq!(v["error"], "unauthorized");
    assert_eq!(
        h.api_get("no-such-token", "/metrics").await.status,
        StatusCode::UNAUTHORIZED
    );
    for user in ["sysadmin", "district"] {
        let s = h.login(user).await;
        assert!(
            metrics(&h.get(Some(&s), "/metrics").await),
            "{user} by session"
        );
        let token = h.api_token(user).await;
        assert!(
            metrics(&h.api_get(&token, "/metrics").await),
            "{user} by token"
        );
    }
    for user in ["enterprise", "town", "department", "auditor", "secadmin"] {
        let s = h.login(user).await;
        let r = h.get(Some(&s), "/metrics").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}: {}", r.body);
        let token = h.api_token(user).await;
        let r = h.api_get(&token, "/metrics").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} by token");
    }
    assert!(Perm::Metrics.allows(Some(Role::Sysadmin)));
    assert!(!Perm::Metrics.allows(None));
    h.db.cleanup().await;
}
