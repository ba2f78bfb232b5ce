//! 修改密码: every signed-in user changes his own password here; an account created by an
//! administrator is sent here first. A change ends all the user's sessions, then signs
//! this browser in again.

use super::{render, Layout};
use crate::auth::{check_credentials, session_cookie, CurrentUser};
use crate::error::AppError;
use crate::AppState;
use anpei_store::accounts;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    layout: Layout,
    forced: bool,
    error: Option<String>,
}

pub async fn password_form(user: CurrentUser) -> Response {
    render(PasswordPage {
        layout: Layout::new(&user, "修改密码", "password"),
        forced: user.must_change_password,
        error: None,
    })
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
    let fail = |msg: &str| {
        let mut res = render(PasswordPage {
            layout: Layout::new(&user, "修改密码", "password"),
            forced: user.must_change_password,
            error: Some(msg.into()),
        });
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        Ok(res)
    };
    if f.new != f.confirm {
        return fail("两次输入的新密码不一致");
    }
    if f.new == f.current {
        return fail("新密码不能与原密码相同");
    }
    if let Err(e) = accounts::check_password_policy(&f.new) {
        return fail(&e);
    }
    if check_credentials(&st, &user.username, &f.current, &user.client_addr)
        .await?
        .is_err()
    {
        return fail("原密码错误");
    }
    let new = f.new.clone();
    let hash = tokio::task::spawn_blocking(move || accounts::hash_password(&new))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    accounts::set_password(&st.store, &user.actor(), &user.username, hash).await?;
    let s = accounts::create_session(&st.store, user.id, "web", &user.client_addr).await?;
    let mut res = Redirect::to("/").into_response();
    let c = session_cookie(
        &s.token,
        accounts::SESSION_ABSOLUTE_SECS,
        st.config.secure_cookies,
    );
    res.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&c).map_err(|e| AppError::Internal(e.to_string()))?,
    );
    Ok(res)
}
