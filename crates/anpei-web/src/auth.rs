//! Sign-in, sessions and authorization. The `authorize` middleware resolves the caller
//! (session cookie or bearer token), checks the route's declared permission, and checks the
//! CSRF token of every state-changing request made with a cookie.

use crate::error::AppError;
use crate::pages::render;
use crate::AppState;
use anpei_store::platform::accounts::{self, LoginRefusal};
use anpei_store::platform::audit::{self, Actor, Event};
use anpei_store::{Role, Scope};
use askama::Template;
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "anpei_session";
const PRELOGIN_COOKIE: &str = "anpei_prelogin";
/// Largest urlencoded form body the CSRF check buffers.
const FORM_LIMIT: usize = 4 * 1024 * 1024;

/// The signed-in caller, available to every handler behind `authorize`.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: Scope,
    pub csrf: String,
    pub client_addr: String,
    /// Set when an administrator created the account, or its password is older than the
    /// policy allows: only the password page is open.
    pub must_change_password: bool,
    /// Unread inbox messages (counted for pages only: GET requests outside the API).
    pub unread: u64,
    /// The campaign's phase today, for the page header (pages only; cached).
    pub phase: std::sync::Arc<crate::pages::campaign::PhaseBanner>,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.id),
            username: self.username.clone(),
            client_addr: self.client_addr.clone(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or(AppError::Unauthorized)
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for CurrentUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<CurrentUser>().cloned())
    }
}

/// The client address recorded in the audit log: the one [`security_headers`] resolved
/// (the real client behind a trusted proxy, see [`crate::proxy`]), else the connection's
/// peer (never a forwarded header), else `unknown` (a router driven without a socket).
pub fn client_addr(parts_ext: &axum::http::Extensions) -> String {
    if let Some(crate::proxy::ClientIp(ip)) = parts_ext.get::<crate::proxy::ClientIp>() {
        return ip.to_string();
    }
    parts_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string())
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Routes for programs rather than browsers: the JSON API and the metrics a scraper reads.
/// They take a bearer token (besides the session cookie) and answer a refusal with a
/// status and a JSON body, never a redirect to the login page.
fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path == "/metrics"
}

/// Constant-time comparison of two secrets.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn path_and_query(req: &Request) -> String {
    req.uri()
        .path_and_query()
        .map_or_else(|| "/".to_string(), |p| p.as_str().to_string())
}

/// Resolves the caller, enforces the route's permission and CSRF.
pub async fn authorize(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let method = req.method().clone();
    // HEAD is GET without the body (axum answers it with the GET handler): same permission.
    let declared = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    let Some(&perm) = st.perms.get(&(declared.to_string(), path.clone())) else {
        // A route without a declared permission is refused (deny by default).
        return AppError::Forbidden.into_response();
    };
    let api = is_api(&path);
    let addr = client_addr(req.extensions());
    let headers = req.headers().clone();
    let (token, kind) = match (bearer(&headers), cookie(&headers, SESSION_COOKIE)) {
        (Some(t), _) if api => (Some(t.to_string()), "api"),
        (_, Some(c)) => (Some(c.to_string()), "web"),
        _ => (None, "web"),
    };
    let mut user = None;
    if let Some(t) = &token {
        match accounts::signed_in(&st.store, t, kind).await {
            Ok(Some(accounts::SignedIn {
                session: s,
                user: u,
                scope,
            })) => {
                // A password older than the policy allows is changed before anything else.
                let expired = anpei_store::platform::security::password_expired(
                    &st.store.policy().password,
                    &u,
                    st.store.now(),
                );
                user = Role::from_code(&u.role).map(|role| CurrentUser {
                    id: u.id,
                    scope,
                    username: u.username,
                    display_name: u.display_name,
                    must_change_password: u.must_change_password || expired,
                    role,
                    csrf: s.csrf_token,
                    client_addr: addr.clone(),
                    unread: 0,
                    phase: Default::default(),
                })
            }
            Ok(None) => {}
            Err(e) => return AppError::from(e).into_response(),
        }
    }
    if !perm.allows(user.as_ref().map(|u| u.role)) {
        return match (&user, api) {
            (None, true) => AppError::Unauthorized.api_response(),
            (None, false) => {
                let next = if method == Method::GET {
                    path_and_query(&req)
                } else {
                    "/".to_string()
                };
                let to = format!(
                    "/login?next={}",
                    serde_urlencoded::to_string([("", next.as_str())])
                        .unwrap_or_default()
                        .trim_start_matches('=')
                );
                Redirect::to(&to).into_response()
            }
            (Some(_), true) => AppError::Forbidden.api_response(),
            (Some(_), false) => AppError::Forbidden.into_response(),
        };
    }
    if let Some(u) = &user {
        let open = matches!(
            path.as_str(),
            "/account/password" | "/logout" | "/assets/{file}" | "/healthz"
        );
        if u.must_change_password && !open {
            return if api {
                AppError::Forbidden.api_response()
            } else {
                Redirect::to("/account/password").into_response()
            };
        }
        // A role that must use a second factor and has none enrolled: nothing but the
        // enrolment page (and public routes) until it has one.
        let enrol_open = matches!(
            path.as_str(),
            "/account/mfa" | "/logout" | "/assets/{file}" | "/healthz"
        );
        if !u.must_change_password && !enrol_open && perm != crate::Perm::Public {
            match anpei_store::platform::mfa::must_enrol(&st.store, u.id, u.role).await {
                Ok(false) => {}
                Ok(true) if api => return AppError::Forbidden.api_response(),
                Ok(true) => return Redirect::to("/account/mfa").into_response(),
                Err(e) => return AppError::from(e).into_response(),
            }
        }
    }
    let mut req = req;
    let changes_state = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    if changes_state && kind == "web" && !(api && token.is_none()) {
        let expected = match &user {
            Some(u) => Some(u.csrf.clone()),
            None => cookie(&headers, PRELOGIN_COOKIE).map(String::from),
        };
        // The header (htmx), then the query string (multipart uploads, whose bodies are
        // streamed and never buffered here), then the urlencoded form field.
        let mut given = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(String::from)
            .or_else(|| {
                req.uri()
                    .query()
                    .and_then(|q| form_field(q.as_bytes(), "_csrf"))
            });
        if given.is_none() {
            let (parts, body) = req.into_parts();
            let bytes = match to_bytes(body, FORM_LIMIT).await {
                Ok(b) => b,
                Err(_) => return AppError::BadRequest("提交的内容过大".into()).into_response(),
            };
            given = form_field(&bytes, "_csrf");
            req = Request::from_parts(parts, Body::from(bytes));
        }
        let ok = matches!((&expected, &given), (Some(e), Some(g)) if same_secret(e, g));
        if !ok {
            return AppError::Csrf.into_response();
        }
    }
    // The header's badge, for pages only (not assets, public pages or htmx partials): one
    // indexed count.
    let page = !api && method == Method::GET && perm != crate::Perm::Public;
    if let Some(u) = user
        .as_mut()
        .filter(|_| page && !headers.contains_key("hx-request"))
    {
        u.unread = anpei_store::platform::inbox::unread_count(&st.store, u.id)
            .await
            .unwrap_or(0);
    }
    if let Some(u) = user.as_mut().filter(|_| !api) {
        u.phase = st.phase.banner(&st.store, &u.scope).await;
    }
    if let Some(u) = user {
        req.extensions_mut().insert(u);
    }
    next.run(req).await
}

/// `Strict-Transport-Security` under TLS: a year, this host only (an intranet's other
/// hosts under the same domain may still be served over plain HTTP).
pub const HSTS: &str = "max-age=31536000";

/// The outermost layer of every request: resolves the client address once (the connection's
/// peer, or the client behind a trusted proxy: [`crate::proxy`]) into a
/// [`crate::proxy::ClientIp`] extension, then sets the security headers on every response
/// (等保: CSP without inline script or style, no framing, `nosniff`, no referrer; HSTS when
/// served over TLS, by this process or by a TLS proxy in front, see
/// [`crate::WebConfig::sends_hsts`]).
pub async fn security_headers(
    State(st): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(ip) =
        crate::proxy::client_ip(req.extensions(), req.headers(), &st.config.trusted_proxies)
    {
        req.extensions_mut().insert(crate::proxy::ClientIp(ip));
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if st.config.sends_hsts() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    error: Option<String>,
    username: String,
    /// Where to go once signed in (a same-site path), or empty.
    next: String,
}

/// A path to return to after signing in: same-site only (`/problems/96?status=open`), never
/// another host (`//evil`, `/\\evil`, `https:…`), the sign-in pages themselves, or anything
/// with spaces or control characters.
pub fn safe_next(s: &str) -> Option<&str> {
    let ok = s.starts_with('/')
        && !s.starts_with("//")
        && !s.contains('\\')
        && s.len() <= 1024
        && !s.chars().any(|c| c.is_control() || c.is_whitespace())
        && !s.starts_with("/login")
        && !s.starts_with("/logout");
    ok.then_some(s)
}

/// The query of the sign-in pages: where to return to.
#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    pub next: String,
}

/// A `Set-Cookie` value: `name=value; attrs`, and `Secure` when the installation serves
/// HTTPS (or sits behind it).
pub(crate) fn cookie_value(name: &str, value: &str, attrs: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; {attrs}{secure}")
}

pub(crate) fn prelogin_cookie(token: &str, secure: bool) -> String {
    let attrs = "Path=/login; HttpOnly; SameSite=Strict";
    cookie_value(PRELOGIN_COOKIE, token, attrs, secure)
}

pub fn session_cookie(token: &str, max_age: i64, secure: bool) -> String {
    let attrs = format!("Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}");
    cookie_value(SESSION_COOKIE, token, &attrs, secure)
}

fn login_form(
    st: &AppState,
    error: Option<String>,
    username: String,
    next: &str,
    status: StatusCode,
) -> Response {
    let csrf = anpei_store::crypto::random_token();
    let mut res = render(LoginPage {
        csrf: csrf.clone(),
        error,
        username,
        next: safe_next(next).unwrap_or_default().to_string(),
    });
    *res.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(&prelogin_cookie(&csrf, st.config.secure_cookies)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn login_page(
    State(st): State<AppState>,
    user: Option<CurrentUser>,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> Response {
    if user.is_some() {
        return Redirect::to(safe_next(&q.next).unwrap_or("/")).into_response();
    }
    login_form(&st, None, String::new(), &q.next, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Checks a username and password (argon2 off the runtime), counting failures.
pub async fn check_credentials(
    st: &AppState,
    username: &str,
    password: &str,
    addr: &str,
) -> Result<Result<anpei_store::model::User, LoginRefusal>, AppError> {
    let user = accounts::find_user(&st.store, username).await?;
    let hash = user.as_ref().map_or_else(
        || accounts::dummy_hash().to_string(),
        |u| u.password_hash.clone(),
    );
    let pw = password.to_string();
    let ok = tokio::task::spawn_blocking(move || accounts::verify_password(&hash, &pw))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let actor = Actor {
        user_id: user.as_ref().map(|u| u.id),
        username: username.chars().take(64).collect(),
        client_addr: addr.to_string(),
    };
    let outcome = accounts::record_login(&st.store, &actor, user.as_ref(), ok).await?;
    Ok(outcome.map(|()| user.expect("a successful login has a user")))
}

pub async fn login_submit(State(st): State<AppState>, req: Request) -> Result<Response, AppError> {
    let addr = client_addr(req.extensions());
    let client = st.limiter.client_key(req.extensions(), req.headers());
    let Form(f) = Form::<LoginForm>::from_request(req, &st)
        .await
        .map_err(|_| AppError::BadRequest("表单格式错误".into()))?;
    // Per client address and per username (as it is looked up: `District` and the
    // full-width `ｄｉｓｔｒｉｃｔ` count as one), before the password is even checked.
    if let Err(wait) = st
        .limiter
        .check_login(&client, &accounts::username_key(&f.username))
    {
        let mut res = login_form(
            &st,
            Some(wait.message()),
            f.username,
            &f.next,
            StatusCode::TOO_MANY_REQUESTS,
        );
        wait.apply(&mut res);
        return Ok(res);
    }
    match check_credentials(&st, &f.username, &f.password, &addr).await? {
        Ok(u) => {
            // No session before the second factor: a pending sign-in awaits the code.
            let second = anpei_store::platform::mfa::second_factor(&st.store, &u).await?;
            if second == anpei_store::platform::mfa::SecondFactor::Code {
                return crate::pages::platform::mfa::start_pending(&st, u.id, &addr, &f.next)
                    .await;
            }
            // Must enrol: a session that reaches only the enrolment page (see `authorize`).
            let to = if second == anpei_store::platform::mfa::SecondFactor::MustEnrol {
                "/account/mfa"
            } else {
                safe_next(&f.next).unwrap_or("/")
            };
            let s = accounts::create_session(&st.store, u.id, "web", &addr).await?;
            let mut res = Redirect::to(to).into_response();
            let c = session_cookie(
                &s.token,
                accounts::SESSION_ABSOLUTE_SECS,
                st.config.secure_cookies,
            );
            res.headers_mut().append(
                header::SET_COOKIE,
                HeaderValue::from_str(&c).map_err(|e| AppError::Internal(e.into()))?,
            );
            Ok(res)
        }
        // Only the holder of the right password learns that the account waits for its grant.
        Err(LoginRefusal::AwaitingGrant) => Ok(login_form(
            &st,
            Some(
                "该账号尚待安全管理员授权：系统管理员创建的账号，须由安全管理员在“角色授权”中授予角色后方可登录。请联系安全管理员。"
                    .into(),
            ),
            f.username,
            &f.next,
            StatusCode::FORBIDDEN,
        )),
        Err(_) => {
            // The same answer whether the account exists, is locked or the password is wrong.
            Ok(login_form(
                &st,
                Some("用户名或密码错误，或账号已被临时锁定。".into()),
                f.username,
                &f.next,
                StatusCode::UNAUTHORIZED,
            ))
        }
    }
}

pub async fn logout(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(t) = cookie(&headers, SESSION_COOKIE) {
        accounts::end_session(&st.store, t).await?;
    }
    audit::record(
        &st.store,
        &user.actor(),
        Event::ok("logout", format!("user:{}", user.username)),
    )
    .await?;
    let mut res = Redirect::to("/login").into_response();
    let c = session_cookie("", 0, st.config.secure_cookies);
    res.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&c).map_err(|e| AppError::Internal(e.into()))?,
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_same_site_paths_are_returned_to() {
        for ok in [
            "/",
            "/problems/96",
            "/findings?status=open&town=3",
            "/subjects/1#persons",
        ] {
            assert_eq!(safe_next(ok), Some(ok), "{ok}");
        }
        for bad in [
            "",
            "problems",
            "//evil.example/x",
            "/\\evil.example",
            "https://evil.example/",
            "/login",
            "/login/mfa",
            "/logout",
            "/a b",
            "/a\nSet-Cookie:x",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(2000))), None);
    }
}
