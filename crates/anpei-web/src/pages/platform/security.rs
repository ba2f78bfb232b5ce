//! The security administrator's pages (安全管理员, `Perm::Security`): 安全策略 — the policy in
//! force, where each value comes from, and a form to change it (validated, audited as
//! `policy.update`, in force at once) — and 角色授权 — every account with its role, scope
//! and status, with role changes, disabling, enabling and unlocking (audited as permission
//! changes; a role change ends the account's sessions; nobody changes his own account),
//! and the grant of the role the system administrator requested for a new account, without
//! which that account cannot sign in.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{render, Layout};
use crate::AppState;
use anpei_store::platform::policy::SecurityPolicy;
use anpei_store::platform::security::{self, Grant, GrantRow, Saved, SettingView};
use anpei_store::{Role, StoreError};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use anpei_store::clock::china_time as fmt_time;

/// A role checkbox: code, label, checked.
pub struct RoleBox {
    pub code: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

fn boxes(roles: &[Role], checked: &[Role]) -> Vec<RoleBox> {
    roles
        .iter()
        .map(|r| RoleBox {
            code: r.code(),
            label: r.label(),
            checked: checked.contains(r),
        })
        .collect()
}

/// The values of the policy form, as typed.
pub struct PolicyForm {
    pub min_length: String,
    pub min_classes: String,
    pub history: String,
    pub max_age_days: String,
    pub export_threshold: String,
    pub mfa: Vec<RoleBox>,
    pub unmask: Vec<RoleBox>,
    pub export_roles: Vec<RoleBox>,
}

impl PolicyForm {
    fn of(p: &SecurityPolicy) -> PolicyForm {
        PolicyForm {
            min_length: p.password.min_length.to_string(),
            min_classes: p.password.min_classes.to_string(),
            history: p.password.history.to_string(),
            max_age_days: p.password.max_age_days.to_string(),
            export_threshold: p.personal_export_threshold.to_string(),
            mfa: boxes(Role::ALL, &p.mfa_roles),
            unmask: boxes(security::BUSINESS_ROLES, &p.unmask_roles),
            export_roles: boxes(security::BUSINESS_ROLES, &p.personal_export_roles),
        }
    }
}

#[derive(Template)]
#[template(path = "platform/security/policy.html")]
struct PolicyPage {
    layout: Layout,
    rows: Vec<SettingView>,
    saved_by: Option<(String, String)>,
    form: PolicyForm,
    message: Option<String>,
    changes: Vec<String>,
    error: Option<String>,
}

async fn policy_with(
    st: &AppState,
    user: &CurrentUser,
    form: Option<PolicyForm>,
    message: Option<String>,
    changes: Vec<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (in_force, rows, saved) = security::view(&st.store).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut res = render(PolicyPage {
        layout: Layout::new(user, "安全策略", "security"),
        rows,
        saved_by: saved.map(|s: Saved| (s.updated_by, fmt_time(s.updated_at))),
        form: form.unwrap_or_else(|| PolicyForm::of(&in_force)),
        message,
        changes,
        error,
    });
    *res.status_mut() = status;
    Ok(res)
}

pub async fn policy_page(
    State(st): State<AppState>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    policy_with(&st, &user, None, None, Vec::new(), None).await
}

/// Reads the policy form (numbers and role checkboxes) over the policy in force.
fn parse_policy(
    base: &SecurityPolicy,
    pairs: &[(String, String)],
) -> (Result<SecurityPolicy, String>, PolicyForm) {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let roles = |k: &str| -> Vec<Role> {
        pairs
            .iter()
            .filter(|(n, _)| n == k)
            .filter_map(|(_, v)| Role::from_code(v))
            .collect()
    };
    let mut p = base.clone();
    p.mfa_roles = roles("mfa");
    p.unmask_roles = roles("unmask");
    p.personal_export_roles = roles("export_roles");
    let typed = PolicyForm {
        min_length: get("min_length"),
        min_classes: get("min_classes"),
        history: get("history"),
        max_age_days: get("max_age_days"),
        export_threshold: get("export_threshold"),
        mfa: boxes(Role::ALL, &p.mfa_roles),
        unmask: boxes(security::BUSINESS_ROLES, &p.unmask_roles),
        export_roles: boxes(security::BUSINESS_ROLES, &p.personal_export_roles),
    };
    fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
        v.parse()
            .map_err(|_| format!("“{name}”应为整数（填写的是“{v}”）"))
    }
    let parsed = (|| {
        p.password.min_length = num("密码最小长度", &typed.min_length)?;
        p.password.min_classes = num("密码字符类别数", &typed.min_classes)?;
        p.password.history = num("不得重复使用最近几次密码", &typed.history)?;
        p.password.max_age_days = num("密码有效期", &typed.max_age_days)?;
        p.personal_export_threshold = num("批量导出阈值", &typed.export_threshold)?;
        security::validate(&p)?;
        Ok(p)
    })();
    (parsed, typed)
}

pub async fn save_policy(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (parsed, typed) = parse_policy(&st.store.policy(), &pairs);
    let wanted = match parsed {
        Ok(p) => p,
        Err(e) => return policy_with(&st, &user, Some(typed), None, Vec::new(), Some(e)).await,
    };
    match security::save_policy(&st.store, &user.actor(), &wanted).await {
        Ok(changes) if changes.is_empty() => {
            policy_with(
                &st,
                &user,
                None,
                Some("安全策略没有变化，未保存。".into()),
                changes,
                None,
            )
            .await
        }
        Ok(changes) => {
            policy_with(
                &st,
                &user,
                None,
                Some("安全策略已保存并立即生效，本次修改已记入审计日志：".into()),
                changes,
                None,
            )
            .await
        }
        Err(StoreError::Validation(m)) => {
            policy_with(&st, &user, Some(typed), None, Vec::new(), Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// An account row of the grants page.
pub struct GrantView {
    pub row: GrantRow,
    /// The security administrator's own account: no actions.
    pub own: bool,
    /// Locked until (China time), when locked now.
    pub locked_until: Option<String>,
    pub password_changed: String,
    /// Whether a second factor is enrolled (`None`: no two-factor table).
    pub mfa: Option<bool>,
    /// Whether the account holds the tip-off intake duty (举报受理).
    pub intake: bool,
}

#[derive(Template)]
#[template(path = "platform/security/grants.html")]
struct GrantsPage {
    layout: Layout,
    rows: Vec<GrantView>,
    /// Whether the two-factor column shows (the table exists).
    show_mfa: bool,
    roles: &'static [Role],
    scope_names: Vec<String>,
    message: Option<String>,
    error: Option<String>,
}

async fn grants_with(
    st: &AppState,
    user: &CurrentUser,
    message: Option<String>,
    error: Option<(StatusCode, String)>,
) -> Result<Response, AppError> {
    let now = st.store.now();
    let enrolled = security::mfa_enrolled(&st.store).await?;
    let intake = anpei_store::enforcement::tipoffs::holders(
        &st.store,
        anpei_store::enforcement::tipoffs::INTAKE_GRANT,
    )
    .await?;
    let rows = security::list_grants(&st.store)
        .await?
        .into_iter()
        .map(|row| GrantView {
            intake: intake.contains(&row.id),
            mfa: enrolled.as_ref().map(|e| e.contains(&row.id)),
            own: row.id == user.id,
            locked_until: row.locked_until.filter(|t| *t > now).map(fmt_time),
            password_changed: fmt_time(row.password_changed_at),
            row,
        })
        .collect();
    let choices = anpei_store::platform::accounts::scope_choices(&st.store).await?;
    let mut scope_names = choices.districts;
    scope_names.extend(choices.towns);
    scope_names.extend(choices.departments);
    let status = error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    let mut res = render(GrantsPage {
        layout: Layout::new(user, "角色授权", "grants"),
        show_mfa: enrolled.is_some(),
        rows,
        roles: Role::ALL,
        scope_names,
        message,
        error: error.map(|(_, m)| m),
    });
    *res.status_mut() = status;
    Ok(res)
}

pub async fn grants_page(
    State(st): State<AppState>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    grants_with(&st, &user, None, None).await
}

#[derive(Deserialize, Default)]
pub struct GrantForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    scope: String,
}

pub async fn grant(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(f): Form<GrantForm>,
) -> Result<Response, AppError> {
    let unprocessable = |m: &str| Some((StatusCode::UNPROCESSABLE_ENTITY, m.to_string()));
    // Duties beside the role, and the reset of a lost second factor.
    let extra = match f.action.as_str() {
        "intake_on" | "intake_off" if id != user.id => Some(
            anpei_store::enforcement::tipoffs::set_grant(
                &st.store,
                &user.actor(),
                id,
                anpei_store::enforcement::tipoffs::INTAKE_GRANT,
                f.action == "intake_on",
            )
            .await
            .map(|()| {
                if f.action == "intake_on" {
                    "已授予举报受理权限".to_string()
                } else {
                    "已收回举报受理权限".to_string()
                }
            }),
        ),
        "mfa_reset" if id != user.id => Some(
            anpei_store::platform::mfa::reset_mfa(&st.store, &user.actor(), id)
                .await
                .map(|()| "已重置两步验证，该账号下次登录时需重新绑定".to_string()),
        ),
        _ => None,
    };
    if let Some(r) = extra {
        return match r {
            Ok(done) => grants_with(&st, &user, Some(done), None).await,
            Err(StoreError::Validation(m)) => {
                grants_with(&st, &user, None, unprocessable(&m)).await
            }
            Err(e) => Err(e.into()),
        };
    }
    let g = match f.action.as_str() {
        "role" => match Role::from_code(&f.role) {
            Some(role) => Grant::Role {
                role,
                scope: Some(f.scope.trim().to_string()).filter(|s| !s.is_empty()),
            },
            None => return grants_with(&st, &user, None, unprocessable("请选择角色")).await,
        },
        "approve" => Grant::Approve,
        "disable" => Grant::Disable,
        "enable" => Grant::Enable,
        "unlock" => Grant::Unlock,
        _ => return grants_with(&st, &user, None, unprocessable("未知的操作")).await,
    };
    match security::grant(&st.store, &user.actor(), user.role, id, g).await {
        Ok(done) => grants_with(&st, &user, Some(done), None).await,
        Err(StoreError::Forbidden) => {
            let m = if id == user.id {
                "不能修改自己的角色或账号状态（三员分立：自己的权限由其他安全管理员授予）"
            } else {
                "您的账号无权执行此操作"
            };
            grants_with(&st, &user, None, Some((StatusCode::FORBIDDEN, m.into()))).await
        }
        Err(StoreError::Validation(m)) => grants_with(&st, &user, None, unprocessable(&m)).await,
        Err(e) => Err(e.into()),
    }
}
