//! 账号管理 (system administrator): the accounts and a form to add one. An account made
//! here must change its password at first sign-in. 三员分立: the system administrator
//! records an account (identity, scope) with a requested business role, but the account has
//! no access until the security administrator grants that role (`/admin/grants`): until
//! then sign-in is refused and its scope is empty. The administrators' roles (系统管理员,
//! 安全管理员, 审计管理员) are granted by the security administrator only, or created by the
//! operator with `anpei user add`.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{render, Layout};
use crate::AppState;
use anpei_store::platform::accounts::{self, NewUser, UserRow};
use anpei_store::platform::audit::{self, Event};
use anpei_store::{platform::security, Role, StoreError};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "platform/users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
    roles: &'static [Role],
    /// The password rules in force (for the initial password).
    rules: String,
    username_rule: &'static str,
    choices: accounts::ScopeChoices,
    form: UserForm,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    town: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    uscc: String,
    #[serde(default)]
    password: String,
}

async fn page_with(
    st: &AppState,
    user: &CurrentUser,
    form: UserForm,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut res = render(UsersPage {
        layout: Layout::new(user, "账号管理", "users"),
        users: accounts::list_users(&st.store).await?,
        roles: security::BUSINESS_ROLES,
        rules: security::password_rules_text(&st.store.policy().password),
        username_rule: accounts::USERNAME_RULE,
        choices: accounts::scope_choices(&st.store).await?,
        form: UserForm {
            password: String::new(),
            ..form
        },
        message,
        error,
    });
    *res.status_mut() = status;
    Ok(res)
}

pub async fn page(State(st): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    page_with(&st, &user, UserForm::default(), None, None).await
}

pub async fn create(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<UserForm>,
) -> Result<Response, AppError> {
    let Some(role) = Role::from_code(&f.role) else {
        return page_with(&st, &user, f, None, Some("请选择角色".into())).await;
    };
    if security::is_administrator(role) {
        audit::record(
            &st.store,
            &user.actor(),
            Event::ok("user.create", format!("user:{}", f.username.trim()))
                .failed()
                .with_detail(format!("role={} 只能由安全管理员授予", role.code())),
        )
        .await?;
        let mut res = page_with(
            &st,
            &user,
            f,
            None,
            Some(format!(
                "{}角色只能由安全管理员授予：请先创建业务账号，再由安全管理员在“角色授权”中授予，或由运维人员用 anpei user add 创建",
                role.label()
            )),
        )
        .await?;
        *res.status_mut() = StatusCode::FORBIDDEN;
        return Ok(res);
    }
    // The name before the password: hashing is the slow part.
    if let Err(e) = accounts::normalize_username(&f.username) {
        return page_with(&st, &user, f, None, Some(e)).await;
    }
    if let Err(e) = accounts::check_password_policy(&st.store.policy().password, &f.password) {
        return page_with(&st, &user, f, None, Some(format!("初始密码：{e}"))).await;
    }
    let scope = match role {
        Role::Town => Some(f.town.clone()),
        Role::Department => Some(f.department.clone()),
        Role::Subject => Some(f.uscc.clone()),
        Role::District => Some(f.district.clone()),
        Role::City | Role::Sysadmin | Role::SecurityAdmin | Role::Auditor => None,
    }
    .filter(|s| !s.trim().is_empty());
    let pw = f.password.clone();
    let hash = tokio::task::spawn_blocking(move || accounts::hash_password(&pw))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let nu = NewUser {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        role,
        scope,
        password_hash: hash,
        must_change_password: true,
    };
    match accounts::request_user(&st.store, &user.actor(), nu).await {
        Ok(u) => {
            page_with(
                &st,
                &user,
                UserForm::default(),
                Some(format!(
                    "已创建账号 {}（申请角色：{}）。该账号须经安全管理员在“角色授权”中授权后方可登录，首次登录须修改密码。",
                    u.username,
                    role.label()
                )),
                None,
            )
            .await
        }
        Err(StoreError::Validation(m) | StoreError::Conflict(m)) => {
            page_with(&st, &user, f, None, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}
