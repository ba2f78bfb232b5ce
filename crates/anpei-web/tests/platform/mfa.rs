//! The second factor of sign-in: TOTP enrolled from a QR code page, required of
//! the roles the policy names (`mfa_roles`), recovery codes, the lockout, replay protection,
//! and API tokens issued past the second factor and revoked. Time moves on the test
//! database's FixedClock; nothing sleeps.

use crate::common;

use anpei_core::totp;
use anpei_store::platform::policy::SecurityPolicy;
use anpei_store::{demo, platform::mfa, Clock, Role};
use anpei_web::routes::{specs, Perm};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{hidden_csrf, Harness, Reply, Session};

const WRONG_CODE: &str = "验证码错误，或账号已被临时锁定。";

/// A demo district whose policy asks district users and the three administrators for a
/// second factor (the default of a real installation).
async fn harness() -> Harness {
    let h = Harness::with_demo(6, 30).await;
    h.store().set_policy(SecurityPolicy::default());
    h
}

/// `name=value` of the cookie `name` a reply sets.
fn set_cookie(r: &Reply, name: &str) -> Option<String> {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").to_string())
        .find(|kv| kv.starts_with(&format!("{name}=")))
}

/// The sign-in form's CSRF cookie and token, as a browser gets them with the page.
async fn prelogin(h: &Harness, path: &str) -> (String, String) {
    let page = h.get(None, path).await;
    let pre = set_cookie(&page, "anpei_prelogin").expect("the page sets its CSRF cookie");
    let csrf = hidden_csrf(&page.body).expect("the form has a CSRF field");
    (pre, csrf)
}

fn form_post(path: &str, cookies: &[&str], fields: &[(&str, &str)]) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookies.join("; "))
        .body(Body::from(serde_urlencoded::to_string(fields).unwrap()))
        .unwrap()
}

/// The password step: the reply to `POST /login`.
async fn password_step(h: &Harness, username: &str) -> Reply {
    let (pre, csrf) = prelogin(h, "/login").await;
    let req = form_post(
        "/login",
        &[&pre],
        &[
            ("username", username),
            ("password", demo::DEMO_PASSWORD),
            ("_csrf", &csrf),
        ],
    );
    h.send(req).await
}

/// The code step of a pending sign-in (`anpei_mfa=…`): the reply to `POST /login/mfa`.
async fn code_step(h: &Harness, pending: &str, code: &str) -> Reply {
    let page = h
        .send(
            Request::get("/login/mfa")
                .header(header::COOKIE, pending)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "the code page: {}", page.body);
    let pre = set_cookie(&page, "anpei_prelogin").unwrap();
    let csrf = hidden_csrf(&page.body).unwrap();
    h.send(form_post(
        "/login/mfa",
        &[pending, &pre],
        &[("code", code), ("_csrf", &csrf)],
    ))
    .await
}

/// A signed-in browser from the session cookie a reply set.
async fn session_from(h: &Harness, r: &Reply) -> Session {
    let cookie = set_cookie(r, "anpei_session").expect("a session cookie");
    let probe = Session {
        cookie: cookie.clone(),
        csrf: String::new(),
    };
    let mut page = h.get(Some(&probe), "/account/mfa").await;
    if page.status == StatusCode::SEE_OTHER {
        let to = page.location().to_string();
        page = h.get(Some(&probe), &to).await;
    }
    let csrf = hidden_csrf(&page.body).expect("signed-in pages carry the CSRF token");
    Session { cookie, csrf }
}

/// The secret shown on the enrolment page (`#mfa-secret`, in groups of four).
fn secret_on(page: &str) -> Vec<u8> {
    let i = page
        .find("id=\"mfa-secret\">")
        .expect("the secret is shown")
        + 16;
    let grouped = &page[i..i + page[i..].find('<').unwrap()];
    assert!(grouped.contains(' '), "shown in groups: {grouped}");
    totp::base32_decode(grouped).expect("base32")
}

fn recovery_codes_on(page: &str) -> Vec<String> {
    let i = page
        .find("id=\"recovery-codes\"")
        .expect("recovery codes shown");
    let list = &page[i..i + page[i..].find("</ol>").unwrap()];
    list.split("<li>")
        .skip(1)
        .map(|li| li.split('<').next().unwrap().trim().to_string())
        .collect()
}

fn code_now(h: &Harness, secret: &[u8]) -> String {
    totp::totp(secret, h.db.clock.now().timestamp() as u64)
}

/// Moves the clock to the next 30-second step (so that a fresh code exists).
fn next_step(h: &Harness) {
    h.db.clock.advance(chrono::Duration::seconds(30));
}

/// Signs `username` in (its role must enrol) and enrols it: the session, the secret and the
/// recovery codes.
async fn enrol(h: &Harness, username: &str) -> (Session, Vec<u8>, Vec<String>) {
    let r = password_step(h, username).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let s = session_from(h, &r).await;
    let page = h.get(Some(&s), "/account/mfa").await;
    assert_eq!(page.status, StatusCode::OK);
    let secret = secret_on(&page.body);
    let code = code_now(h, &secret);
    let done = h
        .post_form(
            Some(&s),
            "/account/mfa",
            &[("action", "confirm"), ("code", &code)],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let codes = recovery_codes_on(&done.body);
    (s, secret, codes)
}

/// A full sign-in with password and code.
async fn sign_in_with_code(h: &Harness, username: &str, secret: &[u8]) -> Session {
    next_step(h);
    let r = password_step(h, username).await;
    let pending = set_cookie(&r, "anpei_mfa").expect("a pending sign-in");
    let r = code_step(h, &pending, &code_now(h, secret)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    session_from(h, &r).await
}

async fn audit_count(h: &Harness, action: &str, result: &str) -> usize {
    anpei_store::platform::audit::latest(h.store(), 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action && e.result == result)
        .count()
}

async fn token_request(h: &Harness, body: serde_json::Value) -> Reply {
    h.send(
        Request::post("/api/v1/auth/token")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_district_user_enrols_from_the_qr_page_then_signs_in_with_a_code() {
    let h = harness().await;
    // The password alone: a session that is sent to enrolment, no pending code step.
    let r = password_step(&h, "district").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/account/mfa");
    assert!(set_cookie(&r, "anpei_mfa").is_none());
    let s = session_from(&h, &r).await;

    let page = h.get(Some(&s), "/account/mfa").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"mfa-required\""), "{}", page.body);
    // The QR code is an inline SVG without inline style (the CSP has no unsafe-inline).
    let qr = &page.body[page.body.find("id=\"mfa-qr\"").unwrap()..];
    assert!(qr.contains("<svg"));
    assert!(!page.body.contains("style="));
    assert!(!page.body.contains("<script>"));
    let secret = secret_on(&page.body);
    assert_eq!(secret.len(), totp::SECRET_LEN);
    // A reload shows the same secret (the one the app may already have scanned).
    let again = h.get(Some(&s), "/account/mfa").await;
    assert_eq!(secret_on(&again.body), secret);
    // The QR code encodes the otpauth URI of this secret.
    let uri = totp::otpauth_uri(&secret, "district");
    assert!(page.body.contains(&anpei_core::qr::svg(&uri)));

    // A wrong first code enrols nothing.
    let bad = h
        .post_form(
            Some(&s),
            "/account/mfa",
            &[("action", "confirm"), ("code", "000000")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let district = anpei_store::platform::accounts::find_user(h.store(), "district")
        .await
        .unwrap()
        .unwrap();
    assert!(!mfa::is_enrolled(h.store(), district.id).await.unwrap());

    let done = h
        .post_form(
            Some(&s),
            "/account/mfa",
            &[("action", "confirm"), ("code", &code_now(&h, &secret))],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    let codes = recovery_codes_on(&done.body);
    assert_eq!(codes.len(), 10, "{codes:?}");
    assert!(mfa::is_enrolled(h.store(), district.id).await.unwrap());
    // Shown once: the page does not show them again.
    let later = h.get(Some(&s), "/account/mfa").await;
    assert!(!later.body.contains(&codes[0]));
    assert!(later.body.contains("id=\"mfa-enabled\""));
    assert!(!later.body.contains("id=\"mfa-secret\""));
    // The same session now reaches the rest.
    assert_eq!(h.get(Some(&s), "/subjects").await.status, StatusCode::OK);
    assert_eq!(audit_count(&h, "mfa.enrol", "ok").await, 1);
    assert_eq!(audit_count(&h, "mfa.enrol", "failed").await, 1);

    // Next sign-in: the password gives no session, only a pending sign-in for the code.
    h.post_form(Some(&s), "/logout", &[]).await;
    next_step(&h);
    let r = password_step(&h, "district").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login/mfa");
    assert!(set_cookie(&r, "anpei_session").is_none());
    let pending = set_cookie(&r, "anpei_mfa").unwrap();
    // The pending cookie is no session.
    let probe = Session {
        cookie: pending.replace("anpei_mfa=", "anpei_session="),
        csrf: String::new(),
    };
    let home = h.get(Some(&probe), "/").await;
    assert!(home.location().starts_with("/login"), "{home:?}");
    let r = code_step(&h, &pending, &code_now(&h, &secret)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/");
    let s = session_from(&h, &r).await;
    let home = h.get(Some(&s), "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("工作台"));
    assert_eq!(audit_count(&h, "mfa.verify", "ok").await, 1);
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_must_enrol_session_reaches_nothing_but_enrolment() {
    let h = harness().await;
    let r = password_step(&h, "district").await;
    let s = session_from(&h, &r).await;
    let open = ["/account/mfa", "/logout", "/assets/{file}", "/healthz"];
    let mut checked = 0;
    for spec in specs() {
        if spec.perm == Perm::Public || open.contains(&spec.path) {
            continue;
        }
        let path = spec.path.replace("{id}", "1").replace("{file}", "app.css");
        let r = match spec.method {
            "GET" => h.get(Some(&s), &path).await,
            _ => h.post_form(Some(&s), &path, &[]).await,
        };
        // The API and the metrics (read by programs) refuse with a status, never a redirect.
        let machine = path.starts_with("/api/") || path == "/metrics";
        if machine || !spec.perm.allows(Some(Role::District)) {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{} {path}", spec.method);
        } else {
            assert_eq!(
                (r.status, r.location()),
                (StatusCode::SEE_OTHER, "/account/mfa"),
                "{} {path}",
                spec.method
            );
        }
        checked += 1;
    }
    assert!(checked > 20, "only {checked} routes checked");
    // The enrolment page hides the navigation it would not let through.
    let page = h.get(Some(&s), "/account/mfa").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("href=\"/subjects\""));
    // Nor does the API hand it a token.
    let r = token_request(
        &h,
        serde_json::json!({"username": "district", "password": demo::DEMO_PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("需要两步验证码"), "{}", r.body);
    // Logging out still works.
    let out = h.post_form(Some(&s), "/logout", &[]).await;
    assert_eq!(out.location(), "/login");
    h.db.cleanup().await;
}

#[tokio::test]
async fn wrong_codes_are_refused_alike_and_five_lock_the_account_for_ten_minutes() {
    let h = harness().await;
    let (s, secret, _) = enrol(&h, "district").await;
    h.post_form(Some(&s), "/logout", &[]).await;
    next_step(&h);
    let r = password_step(&h, "district").await;
    let pending = set_cookie(&r, "anpei_mfa").unwrap();
    let mut wrong_body = String::new();
    for i in 0..5 {
        let r = code_step(&h, &pending, "123456").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
        assert!(r.body.contains(WRONG_CODE));
        assert!(set_cookie(&r, "anpei_session").is_none());
        wrong_body = r.body;
    }
    // Locked: the right code gets the same answer as a wrong one.
    let r = code_step(&h, &pending, &code_now(&h, &secret)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains(WRONG_CODE));
    let strip = |b: &str| {
        b.lines()
            .filter(|l| !l.contains("_csrf"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&r.body), strip(&wrong_body));
    assert!(set_cookie(&r, "anpei_session").is_none());
    // And the password step too, while the lock lasts.
    let r = password_step(&h, "district").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(audit_count(&h, "mfa.verify", "failed").await, 6);

    // Ten minutes later: password and a fresh code again.
    h.db.clock.advance(chrono::Duration::minutes(10));
    let s = sign_in_with_code(&h, "district", &secret).await;
    assert_eq!(h.get(Some(&s), "/").await.status, StatusCode::OK);
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_code_is_accepted_once_and_a_pending_sign_in_lasts_five_minutes() {
    let h = harness().await;
    let (s, secret, _) = enrol(&h, "district").await;
    h.post_form(Some(&s), "/logout", &[]).await;
    next_step(&h);
    let code = code_now(&h, &secret);
    let r = password_step(&h, "district").await;
    let pending = set_cookie(&r, "anpei_mfa").unwrap();
    let r = code_step(&h, &pending, &code).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The same code again, seconds later, in another sign-in: refused.
    h.db.clock.advance(chrono::Duration::seconds(5));
    let r = password_step(&h, "district").await;
    let pending = set_cookie(&r, "anpei_mfa").unwrap();
    let r = code_step(&h, &pending, &code).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains(WRONG_CODE));
    // Within the same pending sign-in, the next step's code is good.
    next_step(&h);
    let r = code_step(&h, &pending, &code_now(&h, &secret)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // A pending sign-in left for five minutes is gone: back to the password.
    next_step(&h);
    let r = password_step(&h, "district").await;
    let pending = set_cookie(&r, "anpei_mfa").unwrap();
    h.db.clock
        .advance(chrono::Duration::seconds(mfa::PENDING_LOGIN_SECS - 1));
    let page = h
        .send(
            Request::get("/login/mfa")
                .header(header::COOKIE, &pending)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "still alive a second before");
    h.db.clock.advance(chrono::Duration::seconds(1));
    let page = h
        .send(
            Request::get("/login/mfa")
                .header(header::COOKIE, &pending)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login");
    // Posting a right code to it: back to the password, no session.
    let (pre, csrf) = prelogin(&h, "/login").await;
    let r = h
        .send(form_post(
            "/login/mfa",
            &[&pending, &pre],
            &[("code", &code_now(&h, &secret)), ("_csrf", &csrf)],
        ))
        .await;
    assert_eq!(r.location(), "/login");
    assert!(set_cookie(&r, "anpei_session").is_none());
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let h = harness().await;
    let (s, _, codes) = enrol(&h, "district").await;
    h.post_form(Some(&s), "/logout", &[]).await;
    let r = password_step(&h, "district").await;
    let pending = set_cookie(&r, "anpei_mfa").unwrap();
    // Typed as people do: upper case, a space for the dash.
    let typed = codes[0].to_uppercase().replace('-', " ");
    let r = code_step(&h, &pending, &typed).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/account/mfa?recovery=1");
    let s = session_from(&h, &r).await;
    let page = h.get(Some(&s), "/account/mfa?recovery=1").await;
    assert!(page.body.contains("还剩 9 个"), "{}", page.body);
    assert_eq!(audit_count(&h, "mfa.recovery", "ok").await, 1);
    h.post_form(Some(&s), "/logout", &[]).await;

    let r = password_step(&h, "district").await;
    let pending = set_cookie(&r, "anpei_mfa").unwrap();
    let r = code_step(&h, &pending, &codes[0]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "used once already");
    // New codes need the password again, and void the old ones.
    let r = code_step(&h, &pending, &codes[1]).await;
    let s = session_from(&h, &r).await;
    let refused = h
        .post_form(
            Some(&s),
            "/account/mfa",
            &[("action", "recovery"), ("password", "Wrong#Pass1")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refused.body.contains("id=\"recovery-codes\""));
    let fresh = h
        .post_form(
            Some(&s),
            "/account/mfa",
            &[("action", "recovery"), ("password", demo::DEMO_PASSWORD)],
        )
        .await;
    let new_codes = recovery_codes_on(&fresh.body);
    assert_eq!(new_codes.len(), 10);
    h.post_form(Some(&s), "/logout", &[]).await;
    let r = password_step(&h, "district").await;
    let pending = set_cookie(&r, "anpei_mfa").unwrap();
    assert_eq!(
        code_step(&h, &pending, &codes[2]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        code_step(&h, &pending, &new_codes[2]).await.status,
        StatusCode::SEE_OTHER
    );
    h.db.cleanup().await;
}

#[tokio::test]
async fn roles_outside_mfa_roles_sign_in_with_the_password_and_may_enrol_by_choice() {
    let h = harness().await;
    assert!(!h.store().policy().requires_mfa(Role::Town));
    let r = password_step(&h, "town").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/");
    let s = session_from(&h, &r).await;
    assert_eq!(h.get(Some(&s), "/subjects").await.status, StatusCode::OK);
    let r = token_request(
        &h,
        serde_json::json!({"username": "town", "password": demo::DEMO_PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // By choice: enrolled from the account page, then asked for the code like the others.
    let page = h.get(Some(&s), "/account/mfa").await;
    assert!(page.body.contains("id=\"mfa-disabled\""));
    let secret = secret_on(&page.body);
    let done = h
        .post_form(
            Some(&s),
            "/account/mfa",
            &[("action", "confirm"), ("code", &code_now(&h, &secret))],
        )
        .await;
    assert_eq!(recovery_codes_on(&done.body).len(), 10);
    h.post_form(Some(&s), "/logout", &[]).await;
    let r = password_step(&h, "town").await;
    assert_eq!(r.location(), "/login/mfa");
    let s = sign_in_with_code(&h, "town", &secret).await;
    let r = token_request(
        &h,
        serde_json::json!({"username": "town", "password": demo::DEMO_PASSWORD}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "an enrolled account needs its code"
    );
    // And turned off again (the password re-entered): the password is enough once more.
    let off = h
        .post_form(
            Some(&s),
            "/account/mfa",
            &[("action", "disable"), ("password", demo::DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    assert_eq!(password_step(&h, "town").await.location(), "/");
    assert_eq!(audit_count(&h, "mfa.disable", "ok").await, 1);
    h.db.cleanup().await;
}

#[tokio::test]
async fn an_empty_mfa_roles_turns_the_second_factor_off() {
    let h = Harness::with_demo(6, 30).await;
    h.store().set_policy(SecurityPolicy {
        mfa_roles: Vec::new(),
        ..Default::default()
    });
    for name in ["district", "sysadmin", "secadmin", "auditor"] {
        let r = password_step(&h, name).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/", "{name}");
        let s = session_from(&h, &r).await;
        assert_eq!(h.get(Some(&s), "/").await.status, StatusCode::OK, "{name}");
    }
    h.api_token("district").await;
    // The same accounts under the default policy: enrolment first.
    h.store().set_policy(SecurityPolicy::default());
    assert_eq!(
        password_step(&h, "district").await.location(),
        "/account/mfa"
    );
    h.db.cleanup().await;
}

#[tokio::test]
async fn api_tokens_need_the_second_factor_and_a_revoked_token_answers_401_at_once() {
    let h = harness().await;
    let (s, secret, codes) = enrol(&h, "district").await;
    let creds = |extra: serde_json::Value| {
        let mut v = serde_json::json!({"username": "district", "password": demo::DEMO_PASSWORD});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    // Without a code: 401, 需要两步验证码.
    let r = token_request(&h, creds(serde_json::json!({}))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["error"], "mfa_required");
    assert!(v["message"].as_str().unwrap().contains("需要两步验证码"));
    // A wrong code: 401, counted.
    let r = token_request(&h, creds(serde_json::json!({"totp": "000000"}))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(audit_count(&h, "mfa.verify", "failed").await, 1);
    // A wrong password with a right code: still the password's refusal.
    next_step(&h);
    let r = token_request(
        &h,
        serde_json::json!({"username": "district", "password": "Wrong#Pass1", "totp": code_now(&h, &secret)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("bad_credentials"));
    // The right code: the same JSON as ever.
    let r = token_request(
        &h,
        creds(serde_json::json!({"totp": code_now(&h, &secret)})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let api_token = v["token"].as_str().unwrap().to_string();
    assert!(v["expires_at"].as_i64().unwrap() > h.db.clock.now().timestamp());
    // The code is used up.
    let r = token_request(
        &h,
        creds(serde_json::json!({"totp": code_now(&h, &secret)})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A recovery code in its place.
    let r = token_request(&h, creds(serde_json::json!({"recovery_code": codes[5]}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        h.api_get(&api_token, "/api/v1/subjects").await.status,
        StatusCode::OK
    );

    // The tokens page: a token needs the password and a fresh code; shown once.
    let page = h.get(Some(&s), "/account/tokens").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("name=\"code\""));
    let no_code = h
        .post_form(
            Some(&s),
            "/account/tokens",
            &[
                ("action", "create"),
                ("label", "数据交换平台"),
                ("password", demo::DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(no_code.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!no_code.body.contains("id=\"new-token\""));
    next_step(&h);
    let made = h
        .post_form(
            Some(&s),
            "/account/tokens",
            &[
                ("action", "create"),
                ("label", "数据交换平台"),
                ("password", demo::DEMO_PASSWORD),
                ("code", &code_now(&h, &secret)),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let i = made.body.find("id=\"new-token\">").unwrap() + 15;
    let page_token = made.body[i..i + 64].to_string();
    assert_eq!(
        h.api_get(&page_token, "/api/v1/subjects").await.status,
        StatusCode::OK
    );
    let list = h.get(Some(&s), "/account/tokens").await;
    assert!(list.body.contains("数据交换平台"));
    assert!(list.body.contains(mfa::API_LOGIN_LABEL));
    assert!(!list.body.contains(&page_token), "shown once");
    assert!(!list.body.contains(&api_token));

    // Revoke the API-issued one: 401 from the next request on, the other still works.
    let district = anpei_store::platform::accounts::find_user(h.store(), "district")
        .await
        .unwrap()
        .unwrap();
    let rows = mfa::list_api_tokens(h.store(), district.id).await.unwrap();
    assert_eq!(rows.len(), 3);
    let target = anpei_store::crypto::sha256_hex(api_token.as_bytes());
    assert!(rows.iter().any(|r| r.id == target));
    let r = h
        .post_form(
            Some(&s),
            "/account/tokens",
            &[("action", "revoke"), ("id", &target)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        h.api_get(&api_token, "/api/v1/subjects").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.api_get(&page_token, "/api/v1/subjects").await.status,
        StatusCode::OK
    );
    // Another account cannot revoke it.
    let town = h.login("town").await;
    let page_hash = anpei_store::crypto::sha256_hex(page_token.as_bytes());
    let r = h
        .post_form(
            Some(&town),
            "/account/tokens",
            &[("action", "revoke"), ("id", &page_hash)],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        h.api_get(&page_token, "/api/v1/subjects").await.status,
        StatusCode::OK
    );
    assert_eq!(audit_count(&h, "token.issue", "ok").await, 3);
    assert_eq!(audit_count(&h, "token.revoke", "ok").await, 1);
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_reset_by_the_security_administrator_sends_the_user_back_to_enrolment() {
    let h = harness().await;
    let (s, secret, _) = enrol(&h, "district").await;
    let district = anpei_store::platform::accounts::find_user(h.store(), "district")
        .await
        .unwrap()
        .unwrap();
    let secadmin = anpei_store::platform::accounts::find_user(h.store(), "secadmin")
        .await
        .unwrap()
        .unwrap();
    let actor = anpei_store::platform::audit::Actor {
        user_id: Some(secadmin.id),
        username: "secadmin".into(),
        client_addr: "127.0.0.1".into(),
    };
    mfa::reset_mfa(h.store(), &actor, district.id)
        .await
        .unwrap();
    // The browser session ended; the next sign-in enrols anew, with a new secret.
    assert!(h.get(Some(&s), "/").await.location().starts_with("/login"));
    let r = password_step(&h, "district").await;
    assert_eq!(r.location(), "/account/mfa");
    let s = session_from(&h, &r).await;
    let page = h.get(Some(&s), "/account/mfa").await;
    assert_ne!(secret_on(&page.body), secret);
    assert_eq!(audit_count(&h, "mfa.reset", "ok").await, 1);
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_new_phone_replaces_the_secret_once_its_first_code_is_given() {
    let h = harness().await;
    let (s, old, _) = enrol(&h, "district").await;
    let r = h
        .post_form(
            Some(&s),
            "/account/mfa",
            &[("action", "rebind"), ("password", demo::DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let new = secret_on(&r.body);
    assert_ne!(new, old);
    // Until confirmed, the old phone still signs in.
    let s2 = sign_in_with_code(&h, "district", &old).await;
    next_step(&h);
    let done = h
        .post_form(
            Some(&s2),
            "/account/mfa",
            &[("action", "confirm"), ("code", &code_now(&h, &new))],
        )
        .await;
    assert_eq!(recovery_codes_on(&done.body).len(), 10);
    next_step(&h);
    let r = password_step(&h, "district").await;
    let pending = set_cookie(&r, "anpei_mfa").unwrap();
    assert_eq!(
        code_step(&h, &pending, &code_now(&h, &old)).await.status,
        StatusCode::UNAUTHORIZED
    );
    next_step(&h);
    assert_eq!(
        code_step(&h, &pending, &code_now(&h, &new)).await.status,
        StatusCode::SEE_OTHER
    );
    h.db.cleanup().await;
}
