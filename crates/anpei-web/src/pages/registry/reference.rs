//! 区县、镇街与部门: the reference lists and their replacement by an uploaded CSV (system
//! administrator; the same as `anpei reference import FILE`).

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{render, Layout};
use crate::AppState;
use anpei_store::model::{Department, District, Town};
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
    districts: Vec<District>,
    /// Each town with its district's name.
    towns: Vec<(String, Town)>,
    /// Each department with its district's name (市级 for the city's) and industries.
    departments: Vec<(String, Department, Vec<String>)>,
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
    // The operator's page: every district's lists.
    let all = anpei_store::Scope::district_wide();
    let districts = reference::districts(&st.store, &all).await?;
    let name = |d: Option<i32>| {
        d.map_or_else(
            || reference::CITY_LEVEL[0].to_string(),
            |d| {
                districts
                    .iter()
                    .find(|x| x.id == d)
                    .map(|x| x.name.clone())
                    .unwrap_or_default()
            },
        )
    };
    let towns = reference::towns(&st.store, &all)
        .await?
        .into_iter()
        .map(|t| (name(Some(t.district_id)), t))
        .collect();
    let departments = reference::departments(&st.store, &all)
        .await?
        .into_iter()
        .map(|(d, i)| (name(d.district_id), d, i))
        .collect();
    let mut res = render(ReferencePage {
        layout: Layout::new(user, "区县、镇街与部门", "reference"),
        towns,
        departments,
        districts,
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
