//! Acting on 问题线索: 交办, 转问题清单, 排除 and 重新打开 on a finding's page, and the same
//! actions in bulk over the filtered list, after a confirmation that says how many. The
//! store decides who may do what (交办 and 重新打开: district; the others: the supervisors in
//! scope) and keeps each action in the finding's history.

use super::findings::FindingQuery;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{render, Layout};
use crate::AppState;
use anpei_store::ledger::findings;
use anpei_store::ledger::leads::{self, AssignTo, Bulk, BULK_MAX};
use anpei_store::{registry::reference, StoreError};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct AssignForm {
    /// `town` (所属镇街) or `department` (行业主管部门).
    #[serde(default)]
    pub to: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct DismissForm {
    #[serde(default)]
    pub reason: String,
}

fn assign_to(code: &str) -> Result<AssignTo, AppError> {
    AssignTo::from_code(code)
        .ok_or_else(|| AppError::BadRequest("交办对象：请选择所属镇街或行业主管部门".into()))
}

/// A refusal the user can correct (a reason too short, a finding already handled) is shown
/// on the finding's page above its forms; anything else is an error page.
async fn back_with(
    st: &AppState,
    user: &CurrentUser,
    id: i32,
    e: StoreError,
) -> Result<Response, AppError> {
    let message = match e {
        StoreError::Fields(f) => f.into_iter().map(|(_, m)| m).collect::<Vec<_>>().join("；"),
        StoreError::Validation(m) | StoreError::Conflict(m) => m,
        e => return Err(e.into()),
    };
    let mut res = super::findings::detail_page(st, user, id, Some(message)).await?;
    *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

fn done(id: i32, what: &str) -> Response {
    Redirect::to(&format!("/findings/{id}?done={what}")).into_response()
}

/// `POST /findings/{id}/assign`: 交办 one finding.
pub async fn assign(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(f): Form<AssignForm>,
) -> Result<Response, AppError> {
    // A finding outside the scope is not there, whatever the form says.
    anpei_store::ledger::findings::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let to = assign_to(&f.to)?;
    match leads::assign(
        &st.store,
        &user.scope,
        &user.actor(),
        &user.display_name,
        &[id],
        to,
    )
    .await
    {
        Ok(b) if b.done == 1 => Ok(done(id, "assigned")),
        Ok(_) => {
            back_with(
                &st,
                &user,
                id,
                StoreError::Conflict("该线索已处理，不能再交办".into()),
            )
            .await
        }
        Err(e) => back_with(&st, &user, id, e).await,
    }
}

/// `POST /findings/{id}/to-problem`: 转问题清单; on to the new problem.
pub async fn to_problem(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    match leads::to_problem(
        &st.store,
        &user.scope,
        &user.actor(),
        &user.display_name,
        id,
    )
    .await
    {
        Ok(p) => Ok(Redirect::to(&format!("/problems/{p}?from_finding={id}")).into_response()),
        Err(e) => back_with(&st, &user, id, e).await,
    }
}

/// `POST /findings/{id}/dismiss`: 误报 / 不予处理, with a reason.
pub async fn dismiss(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(f): Form<DismissForm>,
) -> Result<Response, AppError> {
    match leads::dismiss(
        &st.store,
        &user.scope,
        &user.actor(),
        &user.display_name,
        &[id],
        &f.reason,
    )
    .await
    {
        Ok(b) if b.done == 1 => Ok(done(id, "dismissed")),
        Ok(_) => {
            back_with(
                &st,
                &user,
                id,
                StoreError::Conflict("该线索已处理，不能再排除".into()),
            )
            .await
        }
        Err(e) => back_with(&st, &user, id, e).await,
    }
}

/// `POST /findings/{id}/reopen`: the district reopens a dismissed finding.
pub async fn reopen(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    match leads::reopen(
        &st.store,
        &user.scope,
        &user.actor(),
        &user.display_name,
        id,
    )
    .await
    {
        Ok(()) => Ok(done(id, "reopened")),
        Err(e) => back_with(&st, &user, id, e).await,
    }
}

/// The bulk form: the list's filter (as hidden fields), the action, its reason, and
/// whether the user has seen the count and confirmed.
#[derive(Debug, Default, Deserialize)]
pub struct BulkForm {
    pub rule: Option<String>,
    pub town: Option<String>,
    pub industry: Option<String>,
    pub subject_id: Option<i32>,
    pub status: Option<String>,
    pub assigned: Option<String>,
    /// `assign_town`, `assign_department` or `dismiss`.
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub confirm: Option<String>,
}

impl BulkForm {
    fn query(&self) -> FindingQuery {
        FindingQuery {
            rule: self.rule.clone(),
            town: self.town.clone(),
            industry: self.industry.clone(),
            subject_id: self.subject_id,
            status: self.status.clone(),
            assigned: self.assigned.clone(),
            page: None,
            per_page: None,
        }
    }

    fn action_label(&self) -> Option<&'static str> {
        match self.action.as_str() {
            "assign_town" => Some("交办给各自所属镇街"),
            "assign_department" => Some("交办给各自行业主管部门"),
            "dismiss" => Some("排除（误报/不予处理）"),
            _ => None,
        }
    }
}

#[derive(Template)]
#[template(path = "ledger/findings/bulk.html")]
struct ConfirmPage {
    layout: Layout,
    form: BulkForm,
    what: &'static str,
    /// How many the action will take, of how many match.
    n: usize,
    total: u64,
    back: String,
    error: Option<String>,
    result: Option<Bulk>,
}

/// `POST /findings/bulk`: first a page that says how many findings the action takes (and
/// that more than [`BULK_MAX`] are left for a second round); with `confirm`, the action.
pub async fn bulk(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(form): Form<BulkForm>,
) -> Result<Response, AppError> {
    let what = form
        .action_label()
        .ok_or_else(|| AppError::BadRequest("批量操作：请选择要执行的操作".into()))?;
    let towns = reference::towns(&st.store, &user.scope).await?;
    let q = form.query();
    let filter = q.filter(&towns, user.scope.reach());
    let (mut ids, total) = findings::ids(&st.store, &user.scope, &filter, BULK_MAX).await?;
    let back = format!("/findings?{}", q.base_query());
    let mut page = ConfirmPage {
        layout: Layout::new(&user, "批量处理问题线索", "findings"),
        what,
        n: ids.len(),
        total,
        back,
        error: None,
        result: None,
        form,
    };
    if page.form.confirm.as_deref() != Some("1") || ids.is_empty() {
        return Ok(render(page));
    }
    let actor = user.actor();
    let r = match page.form.action.as_str() {
        "assign_town" | "assign_department" => {
            let to = if page.form.action == "assign_town" {
                AssignTo::Town
            } else {
                AssignTo::Department
            };
            leads::assign(&st.store, &user.scope, &actor, &user.display_name, &ids, to).await
        }
        _ => {
            leads::dismiss(
                &st.store,
                &user.scope,
                &actor,
                &user.display_name,
                &ids,
                &page.form.reason,
            )
            .await
        }
    };
    match r {
        Ok(b) => {
            ids.clear();
            page.result = Some(b);
            Ok(render(page))
        }
        Err(StoreError::Fields(f)) => {
            page.error = Some(f.into_iter().map(|(_, m)| m).collect::<Vec<_>>().join("；"));
            let mut res = render(page);
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}
