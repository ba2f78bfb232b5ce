//! 镇街与部门: the reference lists and their replacement by an uploaded CSV (system
//! administrator; the same as `anpei reference import FILE`).

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{render, Layout};
use crate::AppState;
use anpei_store::model::{Department, Town};
use anpei_store::registry::reference::{self, ReferenceList};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "registry/reference.html")]
struct ReferencePage {
    layout: Layout,
    towns: Vec<Town>,
    departments: Vec<(Department, Vec<String>)>,
    message: Option<String>,
    error: Option<String>,
    csv: String,
}

async fn page_with(
    st: &AppState,
    user: &CurrentUser,
    message: Option<String>,
    error: Option<String>,
    csv: String,
) -> Result<Response, AppError> {
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let mut res = render(ReferencePage {
        layout: Layout::new(user, "镇街与部门", "reference"),
        towns: reference::towns(&st.store, &anpei_store::Scope::district_wide()).await?,
        departments: reference::departments(&st.store, &anpei_store::Scope::district_wide())
            .await?,
        message,
        error,
        csv,
    });
    *res.status_mut() = status;
    Ok(res)
}

pub async fn page(State(st): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    page_with(&st, &user, None, None, String::new()).await
}

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csv: String,
}

pub async fn import(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<ImportForm>,
) -> Result<Response, AppError> {
    match reference::parse_reference_csv(&f.csv) {
        Ok(list) => {
            let (n, kept) = reference::apply(&st.store, &user.actor(), &list).await?;
            let what = match list {
                ReferenceList::Districts(_) => "区县",
                ReferenceList::Towns(_) => "镇街",
                ReferenceList::Departments(_) => "部门",
            };
            let mut msg = format!("已导入{what}名单 {n} 条。");
            if kept > 0 {
                msg.push_str(&format!(
                    "另有 {kept} 条不在新名单中但仍有单位或账号使用，已保留。"
                ));
            }
            page_with(&st, &user, Some(msg), None, String::new()).await
        }
        Err(e) => page_with(&st, &user, None, Some(e), f.csv).await,
    }
}
