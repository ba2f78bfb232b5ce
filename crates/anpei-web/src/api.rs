//! JSON API under `/api/v1` (DESIGN.md contracts). Same scope rules as the pages: the
//! bearer token's user becomes a scope, a foreign id answers 404. Lists are
//! `{"items": [...], "total": n}` with `page` and `per_page`.

use crate::auth::{check_credentials, client_addr, CurrentUser};
use crate::error::{ApiError, AppError};
use crate::pages::paging;
use crate::pages::persons::PersonQuery;
use crate::pages::subjects::ListQuery;
use crate::AppState;
use anpei_store::persons::{self, PersonRow};
use anpei_store::subjects::{self, SubjectRow};
use anpei_store::{accounts, reference};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct TokenRequest {
    username: String,
    password: String,
}

#[derive(Serialize)]
pub struct TokenResponse {
    token: String,
    expires_at: i64,
}

pub async fn auth_token(
    State(st): State<AppState>,
    req: Request,
) -> Result<Json<TokenResponse>, ApiError> {
    let addr = client_addr(req.extensions());
    let Json(body) = Json::<TokenRequest>::from_request(req, &st)
        .await
        .map_err(|_| {
            AppError::BadRequest(
                "请求体应为 JSON：{\"username\": \"…\", \"password\": \"…\"}".into(),
            )
        })?;
    match check_credentials(&st, &body.username, &body.password, &addr).await? {
        Ok(u) => {
            let s = accounts::create_session(&st.store, u.id, "api", &addr).await?;
            Ok(Json(TokenResponse {
                token: s.token,
                expires_at: s.expires_at,
            }))
        }
        Err(_) => Err(ApiError(AppError::BadCredentials)),
    }
}

#[derive(Serialize)]
pub struct ListResponse<T> {
    items: Vec<T>,
    total: u64,
    page: u64,
    per_page: u64,
}

/// A subject as the API contract shows it.
#[derive(Serialize)]
pub struct SubjectItem {
    id: i32,
    uscc: String,
    name: String,
    kind: String,
    industry: Option<String>,
    high_risk: bool,
    town: String,
    department: String,
    status: String,
    address: Option<String>,
    contact_name: Option<String>,
    contact_phone_masked: Option<String>,
}

fn item(st: &AppState, r: SubjectRow) -> SubjectItem {
    SubjectItem {
        high_risk: r
            .industry
            .as_deref()
            .is_some_and(|i| st.store.params.is_high_risk(i)),
        id: r.id,
        uscc: r.uscc,
        name: r.name,
        kind: r.kind,
        industry: r.industry,
        town: r.town,
        department: r.department,
        status: r.status,
        address: r.address,
        contact_name: r.contact_name,
        contact_phone_masked: r.contact_phone_masked,
    }
}

pub async fn subjects(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<ListResponse<SubjectItem>>, ApiError> {
    let towns = reference::towns(&st.store).await?;
    let (page, per_page) = paging(q.page, q.per_page);
    let (rows, total) =
        subjects::list(&st.store, &user.scope, &q.filter(&towns), page, per_page).await?;
    let items = rows.into_iter().map(|r| item(&st, r)).collect();
    Ok(Json(ListResponse {
        items,
        total,
        page,
        per_page,
    }))
}

pub async fn subject(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Json<SubjectItem>, ApiError> {
    let r = subjects::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(item(&st, r)))
}

pub async fn persons(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<PersonQuery>,
) -> Result<Json<ListResponse<PersonRow>>, ApiError> {
    let (page, per_page) = paging(q.page, q.per_page);
    let (items, total) = persons::list(&st.store, &user.scope, &q.filter(), page, per_page).await?;
    Ok(Json(ListResponse {
        items,
        total,
        page,
        per_page,
    }))
}

pub async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}
