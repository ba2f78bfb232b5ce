//! Evidence files of a self-inspection's items: upload (htmx answers with the item's list,
//! or the refusal beside the item) and removal while the self-inspection is editable. The
//! checks and storage are [`crate::evidence`]'s.

use super::{evidence_by_item, load, EvidenceList};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::evidence;
use crate::pages::{is_htmx, render};
use crate::AppState;
use anpei_store::campaign::selfcheck;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;

async fn evidence_partial(
    st: &AppState,
    user: &CurrentUser,
    id: i32,
    code: &str,
) -> Result<Response, AppError> {
    let l = load(st, user, id).await?;
    let files = evidence_by_item(st, &l)
        .await?
        .remove(code)
        .unwrap_or_default();
    Ok(render(EvidenceList {
        inspection_id: id,
        code: code.to_string(),
        files,
        editable: selfcheck::editable(&l.si),
    }))
}

/// A refused upload: for htmx, the item's list with the message; else the error page.
fn upload_refused(e: AppError, htmx: bool, code: &str) -> Response {
    if !htmx {
        return e.into_response();
    }
    let status = e.status();
    #[derive(Template)]
    #[template(path = "campaign/selfcheck/upload_error.html")]
    struct UploadError {
        message: String,
    }
    let mut res = render(UploadError {
        message: e.message(),
    });
    *res.status_mut() = status;
    // htmx swaps only 2xx answers unless told: show the message in the item's place.
    res.headers_mut().insert(
        "HX-Retarget",
        axum::http::HeaderValue::from_str(&format!("#upload-error-{code}"))
            .unwrap_or(axum::http::HeaderValue::from_static("body")),
    );
    res.headers_mut().insert(
        "HX-Reswap",
        axum::http::HeaderValue::from_static("innerHTML"),
    );
    res
}

/// `POST /selfcheck/{id}/evidence` (multipart: `item`, `file`): an evidence file for an item.
#[tracing::instrument(skip_all)]
pub async fn upload(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i32>,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let htmx = is_htmx(&headers);
    // A foreign self-inspection is not found, whatever the body.
    load(&st, &user, id).await?;
    let mp = mp.map_err(|_| {
        AppError::BadRequest("请以 multipart/form-data 表单上传文件（字段 item 与 file）。".into())
    })?;
    let form = evidence::read_upload(mp, evidence::limits(&st).max_bytes).await;
    let form = match form {
        Ok(f) => f,
        Err(e) => return Ok(upload_refused(e, htmx, "")),
    };
    let code = form.field("item").unwrap_or("").trim().to_string();
    let Some((name, bytes)) = &form.file else {
        return Ok(upload_refused(
            AppError::BadRequest("请选择要上传的文件。".into()),
            htmx,
            &code,
        ));
    };
    // Checked before the answer it belongs to is looked up (or made).
    if let Err(e) = crate::ingest_file::screen_evidence(&st, name, bytes) {
        return Ok(upload_refused(e, htmx, &code));
    }
    let (owner, subject) =
        selfcheck::evidence_owner(&st.store, &user.scope, &user.actor(), id, &code).await?;
    if let Err(e) = evidence::save_upload(
        &st,
        &user,
        selfcheck::EVIDENCE_OWNER,
        owner,
        Some(subject),
        name,
        bytes,
    )
    .await
    {
        return Ok(upload_refused(e, htmx, &code));
    }
    if htmx {
        return evidence_partial(&st, &user, id, &code).await;
    }
    Ok(Redirect::to(&format!("/selfcheck/{id}#item-{code}")).into_response())
}

/// `POST /selfcheck/{id}/evidence/delete` (`file_id`, `item`): removes an evidence file.
#[tracing::instrument(skip_all)]
pub async fn remove_evidence(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i32>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    load(&st, &user, id).await?;
    let field = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.as_str())
            .trim()
            .to_string()
    };
    let item = field("item");
    let file_id = field("file_id")
        .parse::<i32>()
        .map_err(|_| AppError::BadRequest("请选择要删除的佐证材料。".into()))?;
    selfcheck::remove_evidence(&st.store, &user.scope, &user.actor(), id, file_id).await?;
    if is_htmx(&headers) {
        return evidence_partial(&st, &user, id, &item).await;
    }
    Ok(Redirect::to(&format!("/selfcheck/{id}#item-{item}")).into_response())
}
