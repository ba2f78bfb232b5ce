//! 两步验证 (TOTP second factor) and 接口令牌 (API tokens).
//!
//! - `GET/POST /login/mfa`: the second step of a sign-in whose password was right, for an
//!   account with a second factor. The pending sign-in is a short-lived row bound to the
//!   `anpei_mfa` cookie (path `/login`, five minutes); no session exists until the code is
//!   right. Wrong codes count toward the account lockout; the answer is the same whether the
//!   code was wrong or the account is locked.
//! - `GET/POST /account/mfa`: status; enrolment (QR code of the `otpauth://` URI, the
//!   secret in groups for typing, a first code to confirm, then the recovery codes shown
//!   once); with the password re-entered: new recovery codes, a new phone, turning it off
//!   (roles the policy does not require it of). A role that must use a second factor and
//!   has none is sent here by the authorization middleware and reaches nothing else.
//! - `GET/POST /account/tokens`: the user's own API tokens (label, created, last used,
//!   expiry); a new one (password, and a code when the account has a second factor) is
//!   shown once; revoking one makes it answer 401 at once.

use crate::auth::CurrentUser;
use crate::auth::{check_credentials, client_addr, cookie, prelogin_cookie, session_cookie};
use crate::error::AppError;
use crate::pages::{render, Layout};
use crate::AppState;
use anpei_store::platform::accounts;
use anpei_store::platform::audit::Actor;
use anpei_store::platform::mfa::{self, CodeRefusal, MfaStatus, TokenRow, Verified};
use askama::Template;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

/// The cookie of a pending sign-in (password right, code awaited).
pub const MFA_COOKIE: &str = "anpei_mfa";

/// One message for a wrong code and a locked account.
const WRONG_CODE: &str = "验证码错误，或账号已被临时锁定。";

fn pending_cookie(token: &str, max_age: i64, secure: bool) -> String {
    let attrs = format!("Path=/login; HttpOnly; SameSite=Strict; Max-Age={max_age}");
    crate::auth::cookie_value(MFA_COOKIE, token, &attrs, secure)
}

fn set_cookie(res: &mut Response, value: &str) -> Result<(), AppError> {
    res.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(value).map_err(|e| AppError::Internal(e.into()))?,
    );
    Ok(())
}

/// Where a sign-in goes once the password was right and the account has a second factor:
/// a pending sign-in and the code page.
pub async fn start_pending(
    st: &AppState,
    user_id: i32,
    addr: &str,
    next: &str,
) -> Result<Response, AppError> {
    let p = mfa::begin_pending_login(&st.store, user_id, addr).await?;
    let to = match crate::auth::safe_next(next) {
        Some(n) => format!(
            "/login/mfa?{}",
            serde_urlencoded::to_string([("next", n)]).unwrap_or_default()
        ),
        None => "/login/mfa".to_string(),
    };
    let mut res = Redirect::to(&to).into_response();
    set_cookie(
        &mut res,
        &pending_cookie(&p.token, mfa::PENDING_LOGIN_SECS, st.config.secure_cookies),
    )?;
    Ok(res)
}

/// Unix seconds as China time, `2026-11-24 09:00`.
fn when(at: i64) -> String {
    anpei_store::clock::china_time(at)
}

// ---- the second step of sign-in -------------------------------------------------------

#[derive(Template)]
#[template(path = "platform/account/mfa_login.html")]
struct CodePage {
    csrf: String,
    error: Option<String>,
    /// Where to go once signed in, or empty.
    next: String,
}

fn code_page(st: &AppState, error: Option<String>, next: &str, status: StatusCode) -> Response {
    let csrf = anpei_store::crypto::random_token();
    let mut res = render(CodePage {
        csrf: csrf.clone(),
        error,
        next: crate::auth::safe_next(next).unwrap_or_default().to_string(),
    });
    *res.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(&prelogin_cookie(&csrf, st.config.secure_cookies)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn back_to_login() -> Response {
    Redirect::to("/login").into_response()
}

/// `GET /login/mfa`: the code form, while a pending sign-in lives.
pub async fn login_code_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<crate::auth::NextQuery>,
) -> Result<Response, AppError> {
    let Some(token) = cookie(&headers, MFA_COOKIE).filter(|t| !t.is_empty()) else {
        return Ok(back_to_login());
    };
    if mfa::pending_login(&st.store, token).await?.is_none() {
        return Ok(back_to_login());
    }
    Ok(code_page(&st, None, &q.next, StatusCode::OK))
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

/// `POST /login/mfa`: checks the code (or a recovery code); right, the pending sign-in
/// becomes a session.
pub async fn login_code_submit(
    State(st): State<AppState>,
    req: Request,
) -> Result<Response, AppError> {
    let addr = client_addr(req.extensions());
    let client = st.limiter.client_key(req.extensions(), req.headers());
    let token = cookie(req.headers(), MFA_COOKIE)
        .filter(|t| !t.is_empty())
        .map(String::from);
    let Form(f) = Form::<CodeForm>::from_request(req, &st)
        .await
        .map_err(|_| AppError::BadRequest("表单格式错误".into()))?;
    let Some(token) = token else {
        return Ok(back_to_login());
    };
    let Some(u) = mfa::pending_login(&st.store, &token).await? else {
        return Ok(back_to_login());
    };
    // The sign-in limits (per address and per username) cover the code too.
    if let Err(wait) = st.limiter.check_login(&client, &u.username) {
        let mut res = code_page(
            &st,
            Some(wait.message()),
            &f.next,
            StatusCode::TOO_MANY_REQUESTS,
        );
        wait.apply(&mut res);
        return Ok(res);
    }
    let actor = Actor {
        user_id: Some(u.id),
        username: u.username.clone(),
        client_addr: addr.clone(),
    };
    match mfa::complete_login(&st.store, &actor, &token, &f.code, &addr).await? {
        Ok((s, verified)) => {
            // After a recovery code, the account page: how many remain, and a new set.
            let to = match verified {
                Verified::Totp => crate::auth::safe_next(&f.next).unwrap_or("/"),
                Verified::Recovery { .. } => "/account/mfa?recovery=1",
            };
            let mut res = Redirect::to(to).into_response();
            set_cookie(
                &mut res,
                &session_cookie(
                    &s.token,
                    accounts::SESSION_ABSOLUTE_SECS,
                    st.config.secure_cookies,
                ),
            )?;
            set_cookie(&mut res, &pending_cookie("", 0, st.config.secure_cookies))?;
            Ok(res)
        }
        Err(CodeRefusal::Expired) => Ok(back_to_login()),
        Err(CodeRefusal::Wrong | CodeRefusal::Locked | CodeRefusal::NotEnrolled) => Ok(code_page(
            &st,
            Some(WRONG_CODE.into()),
            &f.next,
            StatusCode::UNAUTHORIZED,
        )),
    }
}

// ---- 两步验证 on the account page -------------------------------------------------------

/// A secret shown for enrolment.
struct EnrolView {
    qr_svg: String,
    secret_grouped: String,
}

impl From<mfa::Enrolment> for EnrolView {
    fn from(e: mfa::Enrolment) -> Self {
        EnrolView {
            qr_svg: anpei_core::qr::svg(&e.uri),
            secret_grouped: e.grouped(),
        }
    }
}

#[derive(Template)]
#[template(path = "platform/account/mfa.html")]
struct MfaPage {
    layout: Layout,
    username: String,
    status: MfaStatus,
    enrolled_at: String,
    /// The role must use a second factor and has none: nothing else is open.
    must_enrol: bool,
    enrol: Option<EnrolView>,
    /// Recovery codes just made: shown this once.
    recovery_codes: Vec<String>,
    message: Option<String>,
    error: Option<String>,
}

async fn mfa_page(
    st: &AppState,
    user: &CurrentUser,
    enrol: Option<EnrolView>,
    recovery_codes: Vec<String>,
    message: Option<String>,
    error: Option<String>,
) -> Result<MfaPage, AppError> {
    let status = mfa::status(&st.store, user.id, user.role).await?;
    let must_enrol = status.required && !status.enrolled;
    let mut layout = Layout::new(user, "两步验证", "mfa");
    if must_enrol {
        layout.nav_only("/account/mfa");
    }
    let enrol = match enrol {
        Some(e) => Some(e),
        // Not enrolled: the QR code at once. Enrolled with a new phone waiting: its QR code.
        None if recovery_codes.is_empty() && (!status.enrolled || status.pending) => {
            let u = current_account(st, user).await?;
            Some(
                mfa::begin_enrolment(&st.store, &user.actor(), &u, false)
                    .await?
                    .into(),
            )
        }
        None => None,
    };
    Ok(MfaPage {
        layout,
        username: user.username.clone(),
        enrolled_at: status.enrolled_at.map(when).unwrap_or_default(),
        must_enrol,
        status,
        enrol,
        recovery_codes,
        message,
        error,
    })
}

async fn current_account(
    st: &AppState,
    user: &CurrentUser,
) -> Result<anpei_store::model::User, AppError> {
    accounts::get_user(&st.store, user.id)
        .await?
        .ok_or(AppError::Unauthorized)
}

fn with_status(page: MfaPage, status: StatusCode) -> Response {
    let mut res = render(page);
    *res.status_mut() = status;
    res
}

#[derive(Deserialize)]
pub struct MfaQuery {
    recovery: Option<String>,
}

/// `GET /account/mfa`.
pub async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    axum::extract::Query(q): axum::extract::Query<MfaQuery>,
) -> Result<Response, AppError> {
    let message = if q.recovery.is_some() {
        let left = mfa::status(&st.store, user.id, user.role)
            .await?
            .recovery_left;
        Some(format!(
            "您使用了一个恢复码登录，还剩 {left} 个未用。如手机已丢失或更换，请在下方绑定新手机，并生成新的恢复码。"
        ))
    } else {
        None
    };
    Ok(render(
        mfa_page(&st, &user, None, Vec::new(), message, None).await?,
    ))
}

#[derive(Deserialize)]
pub struct MfaForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
}

/// `POST /account/mfa`: `confirm` (a first code), and with the password re-entered
/// `recovery` (new recovery codes), `rebind` (a new phone), `disable`.
pub async fn submit(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<MfaForm>,
) -> Result<Response, AppError> {
    let fail = |page: MfaPage| Ok(with_status(page, StatusCode::UNPROCESSABLE_ENTITY));
    let needs_password = matches!(f.action.as_str(), "recovery" | "rebind" | "disable");
    if needs_password
        && check_credentials(&st, &user.username, &f.password, &user.client_addr)
            .await?
            .is_err()
    {
        let page = mfa_page(
            &st,
            &user,
            None,
            Vec::new(),
            None,
            Some("密码错误（连续输错将临时锁定账号）".into()),
        )
        .await?;
        return fail(page);
    }
    let u = current_account(&st, &user).await?;
    let actor = user.actor();
    match f.action.as_str() {
        "confirm" => match mfa::confirm_enrolment(&st.store, &actor, &u, &f.code).await? {
            Ok(codes) => {
                let page = mfa_page(
                    &st,
                    &user,
                    None,
                    codes,
                    Some(
                        "两步验证已启用。今后登录时，输入密码后还需输入手机上显示的6位验证码。"
                            .into(),
                    ),
                    None,
                )
                .await?;
                Ok(render(page))
            }
            Err(CodeRefusal::NotEnrolled | CodeRefusal::Expired) => {
                let page = mfa_page(
                    &st,
                    &user,
                    None,
                    Vec::new(),
                    None,
                    Some("二维码已过期，请重新扫描下方的新二维码".into()),
                )
                .await?;
                fail(page)
            }
            Err(CodeRefusal::Wrong | CodeRefusal::Locked) => {
                let page = mfa_page(
                    &st,
                    &user,
                    None,
                    Vec::new(),
                    None,
                    Some("验证码不正确：请核对手机时间是否准确，并输入身份验证器中“安培”当前显示的6位数字".into()),
                )
                .await?;
                fail(page)
            }
        },
        "recovery" => {
            let codes = mfa::regenerate_recovery_codes(&st.store, &actor, &u).await?;
            let page = mfa_page(
                &st,
                &user,
                None,
                codes,
                Some("已生成新的恢复码，原有恢复码全部作废。".into()),
                None,
            )
            .await?;
            Ok(render(page))
        }
        "rebind" => {
            let e = mfa::begin_enrolment(&st.store, &actor, &u, true).await?;
            let page = mfa_page(
                &st,
                &user,
                Some(e.into()),
                Vec::new(),
                Some(
                    "请用新手机扫描下方二维码，并输入验证码完成更换；完成前原手机仍然有效。".into(),
                ),
                None,
            )
            .await?;
            Ok(render(page))
        }
        "disable" => {
            mfa::disable(&st.store, &actor, &u).await?;
            let page = mfa_page(
                &st,
                &user,
                None,
                Vec::new(),
                Some("两步验证已关闭。".into()),
                None,
            )
            .await?;
            Ok(render(page))
        }
        _ => Err(AppError::BadRequest("未知操作".into())),
    }
}

// ---- 接口令牌 ----------------------------------------------------------------------------

struct TokenView {
    id: String,
    short_id: String,
    label: String,
    created: String,
    last_used: String,
    expires: String,
    client_addr: String,
}

impl From<TokenRow> for TokenView {
    fn from(t: TokenRow) -> Self {
        TokenView {
            short_id: t.short_id().to_string(),
            label: t.label,
            created: when(t.created_at),
            last_used: t.last_used_at.map_or_else(|| "未使用".into(), when),
            expires: when(t.expires_at),
            client_addr: t.client_addr.unwrap_or_default(),
            id: t.id,
        }
    }
}

#[derive(Template)]
#[template(path = "platform/account/tokens.html")]
struct TokensPage {
    layout: Layout,
    tokens: Vec<TokenView>,
    /// The account has a second factor: a code is asked with the password.
    needs_code: bool,
    /// A token just issued, shown this once, and its expiry.
    issued: Option<(String, String)>,
    label: String,
    message: Option<String>,
    error: Option<String>,
}

async fn tokens_page(
    st: &AppState,
    user: &CurrentUser,
    issued: Option<(String, String)>,
    message: Option<String>,
    error: Option<String>,
    label: String,
) -> Result<Response, AppError> {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let tokens = mfa::list_api_tokens(&st.store, user.id)
        .await?
        .into_iter()
        .map(TokenView::from)
        .collect();
    let mut res = render(TokensPage {
        layout: Layout::new(user, "接口令牌", "tokens"),
        tokens,
        needs_code: mfa::is_enrolled(&st.store, user.id).await?,
        issued,
        label,
        message,
        error,
    });
    *res.status_mut() = status;
    Ok(res)
}

/// `GET /account/tokens`.
pub async fn tokens(State(st): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    tokens_page(&st, &user, None, None, None, String::new()).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    id: String,
}

/// `POST /account/tokens`: `create` (label, password, and a code when the account has a
/// second factor: a token is issued only past the second factor) or `revoke` (id).
pub async fn tokens_submit(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<TokenForm>,
) -> Result<Response, AppError> {
    let u = current_account(&st, &user).await?;
    let actor = user.actor();
    match f.action.as_str() {
        "create" => {
            let label = f.label.trim().to_string();
            if label.is_empty() {
                let e = Some("请填写令牌名称（如对接的系统名称）".into());
                return tokens_page(&st, &user, None, None, e, label).await;
            }
            if check_credentials(&st, &user.username, &f.password, &user.client_addr)
                .await?
                .is_err()
            {
                let e = Some("密码错误（连续输错将临时锁定账号）".into());
                return tokens_page(&st, &user, None, None, e, label).await;
            }
            let enrolled = mfa::is_enrolled(&st.store, user.id).await?;
            if !enrolled && st.store.policy().requires_mfa(user.role) {
                // Unreachable past the authorization middleware; kept as a second lock.
                return Err(AppError::Forbidden);
            }
            let code = enrolled.then_some(f.code.as_str());
            match mfa::issue_api_token(&st.store, &actor, &u, &label, code).await? {
                Ok(t) => {
                    let issued = Some((t.token, when(t.expires_at)));
                    let m = Some("令牌已生成。".into());
                    tokens_page(&st, &user, issued, m, None, String::new()).await
                }
                Err(_) => {
                    let e = Some(format!(
                        "{WRONG_CODE}同一验证码只能使用一次，请等待身份验证器显示新的验证码。"
                    ));
                    tokens_page(&st, &user, None, None, e, label).await
                }
            }
        }
        "revoke" => {
            if mfa::revoke_api_token(&st.store, &actor, &u, f.id.trim()).await? {
                let m = Some("令牌已撤销，使用它的请求将被拒绝。".into());
                tokens_page(&st, &user, None, m, None, String::new()).await
            } else {
                Err(AppError::NotFound)
            }
        }
        _ => Err(AppError::BadRequest("未知操作".into())),
    }
}
