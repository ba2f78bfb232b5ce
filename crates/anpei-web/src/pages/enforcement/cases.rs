//! 典型案例: the district's list of cases (drafts from 曝光 decisions), editing a case's text
//! (personal data is removed again on every save) and publishing or taking it down
//! (refused, with the line and the number named, while a run of digits that may be personal
//! remains); and the public pages `GET /cases` and `GET /cases/{id}`, which show published
//! cases only.

use super::super::{render, Layout};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;
use anpei_store::enforcement::cases::{self, CaseRow};
use anpei_store::StoreError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "enforcement/cases.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<CaseRow>,
    message: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    done: Option<String>,
}

fn flash(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "saved" => Some("案例已保存（个人信息已自动隐去）。"),
        "published" => Some("案例已发布到公开页面。"),
        "unpublished" => Some("案例已从公开页面撤下。"),
        _ => None,
    }
}

/// `GET /enforcement/cases` (district).
pub async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(f): Query<Flash>,
) -> Result<Response, AppError> {
    Ok(render(ListPage {
        layout: Layout::new(&user, "典型案例", "cases"),
        rows: cases::list(&st.store, &user.scope).await?,
        message: flash(f.done.as_deref()),
    }))
}

#[derive(Template)]
#[template(path = "enforcement/case_edit.html")]
struct EditPage {
    layout: Layout,
    case: CaseRow,
    title: String,
    body: String,
    errors: Vec<(&'static str, String)>,
    message: Option<&'static str>,
}

/// `GET /enforcement/cases/{id}` (district): the case's text to edit, and publishing.
pub async fn edit_form(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Query(f): Query<Flash>,
) -> Result<Response, AppError> {
    let case = cases::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(render(EditPage {
        layout: Layout::new(&user, "典型案例", "cases"),
        title: case.title.clone(),
        body: case.body.clone(),
        case,
        errors: Vec::new(),
        message: flash(f.done.as_deref()),
    }))
}

#[derive(Debug, Default, Deserialize)]
pub struct CaseForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

/// `POST /enforcement/cases/{id}` (district): saves the text.
pub async fn save(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(f): Form<CaseForm>,
) -> Result<Response, AppError> {
    let case = cases::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    match cases::update(&st.store, &user.scope, &user.actor(), id, &f.title, &f.body).await {
        Ok(()) => Ok(Redirect::to(&format!("/enforcement/cases/{id}?done=saved")).into_response()),
        Err(StoreError::Fields(errors)) => {
            let mut res = render(EditPage {
                layout: Layout::new(&user, "典型案例", "cases"),
                case,
                title: f.title,
                body: f.body,
                errors,
                message: None,
            });
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    published: String,
}

/// `POST /enforcement/cases/{id}/publish` (district): `published=1` publishes, `0` takes down.
pub async fn publish(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(f): Form<PublishForm>,
) -> Result<Response, AppError> {
    let case = cases::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let on = match f.published.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(AppError::BadRequest("请选择发布或撤下。".into())),
    };
    match cases::set_published(&st.store, &user.scope, &user.actor(), id, on).await {
        Ok(()) => {}
        // A number that may be personal is still in the text: the case to edit, and why.
        Err(StoreError::Validation(m)) => {
            let mut res = render(EditPage {
                layout: Layout::new(&user, "典型案例", "cases"),
                title: case.title.clone(),
                body: case.body.clone(),
                case,
                errors: vec![("body", m)],
                message: None,
            });
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(res);
        }
        Err(e) => return Err(e.into()),
    }
    let done = if on { "published" } else { "unpublished" };
    Ok(Redirect::to(&format!("/enforcement/cases?done={done}")).into_response())
}

#[derive(Template)]
#[template(path = "enforcement/public_cases.html")]
struct PublicList {
    office: String,
    rows: Vec<CaseRow>,
}

#[derive(Template)]
#[template(path = "enforcement/public_case.html")]
struct PublicCase {
    office: String,
    case: CaseRow,
}

/// `GET /cases`: published typical cases, no sign-in.
pub async fn public_list(State(st): State<AppState>) -> Result<Response, AppError> {
    Ok(render(PublicList {
        office: super::tipoffs::public_office(&st).await,
        rows: cases::published(&st.store).await?,
    }))
}

/// `GET /cases/{id}`: one published case (404 for a draft).
pub async fn public_case(
    State(st): State<AppState>,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let case = cases::public_case(&st.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(render(PublicCase {
        office: super::tipoffs::public_office(&st).await,
        case,
    }))
}
