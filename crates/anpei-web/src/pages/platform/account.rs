//! 修改密码: every signed-in user changes his own password here, under the password policy
//! in force (shown on the page). An account created by an administrator, and one whose
//! password is older than the policy allows, is sent here first. A change ends all the
//! user's sessions, then signs this browser in again.

use crate::auth::{check_credentials, session_cookie, CurrentUser};
use crate::error::AppError;
use crate::pages::{render, Layout};
use crate::AppState;
use anpei_store::{platform::accounts, platform::security, StoreError};
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "platform/account/password.html")]
struct PasswordPage {
    layout: Layout,
    /// Why the user is here before anything else, if he is.
    notice: Option<String>,
    /// The password rules in force, as users read them.
    rules: String,
    error: Option<String>,
}

/// Why this user must change his password now, if he must.
async fn forced_notice(st: &AppState, user: &CurrentUser) -> Result<Option<String>, AppError> {
    if !user.must_change_password {
        return Ok(None);
    }
    let policy = st.store.policy().password;
    let Some(u) = accounts::get_user(&st.store, user.id).await? else {
        return Ok(None);
    };
    Ok(Some(if u.must_change_password {
        "您的账号由管理员创建，首次登录须先修改密码。".to_string()
    } else if security::password_expired(&policy, &u, st.store.now()) {
        format!("密码已超过{}天未修改，请修改后继续。", policy.max_age_days)
    } else {
        "请先修改密码。".to_string()
    }))
}

async fn page(
    st: &AppState,
    user: &CurrentUser,
    error: Option<String>,
) -> Result<Response, AppError> {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut res = render(PasswordPage {
        layout: Layout::new(user, "修改密码", "password"),
        notice: forced_notice(st, user).await?,
        rules: security::password_rules_text(&st.store.policy().password),
        error,
    });
    *res.status_mut() = status;
    Ok(res)
}

pub async fn password_form(
    State(st): State<AppState>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    page(&st, &user, None).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    if f.new != f.confirm {
        return page(&st, &user, Some("两次输入的新密码不一致".into())).await;
    }
    if f.new == f.current {
        return page(&st, &user, Some("新密码不能与原密码相同".into())).await;
    }
    if let Err(e) = accounts::check_password_policy(&st.store.policy().password, &f.new) {
        return page(&st, &user, Some(e)).await;
    }
    if check_credentials(&st, &user.username, &f.current, &user.client_addr)
        .await?
        .is_err()
    {
        return page(&st, &user, Some("原密码错误".into())).await;
    }
    // The policy again and the password history (the last N passwords are refused).
    match accounts::set_password(&st.store, &user.actor(), &user.username, &f.new).await {
        Ok(()) => {}
        Err(StoreError::Validation(m)) => return page(&st, &user, Some(m)).await,
        Err(e) => return Err(e.into()),
    }
    let s = accounts::create_session(&st.store, user.id, "web", &user.client_addr).await?;
    let mut res = Redirect::to("/").into_response();
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
