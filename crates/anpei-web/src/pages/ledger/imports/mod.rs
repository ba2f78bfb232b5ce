//! 台账导入: the template workbook, an upload that is first validated against the database
//! (a dry run), the review of the rejected rows, the confirmed import, and the import
//! history. The API's `POST /api/v1/imports` uses the same receiving and running code.
//!
//! An upload waits between its dry run and its confirmation in its own directory under
//! `WebConfig::uploads_dir`, named by a random token and owned by the uploader:
//! `<token>/meta.json` (who, what, the dry run's summary), `<token>/file/<name>` (the upload),
//! `<token>/errors.xlsx` (the full error report). The file goes once it is imported or the
//! upload is cancelled; whatever is older than a day is swept away at the next upload.

mod history;
mod pending;
mod progress;
mod receive;
mod summary;

pub use history::*;
pub use pending::*;
pub use progress::progress;
use progress::*;
pub use receive::*;
pub use summary::*;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::ingest_file::{
    ingest_file, ingest_file_tracked, FileIngest, ImportProgress, IngestFileError, Stage,
};
use crate::pages::{is_htmx, render, Layout};
use crate::AppState;
use anpei_core::mask::mask_id;
use anpei_import::Reference;
use anpei_store::ledger::import_kind::ImportKind;
use anpei_store::ledger::{IngestReport, Mode, Provenance};
use anpei_store::Store;
use askama::Template;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::AsyncWriteExt;

/// Rejected rows shown on the review page; the error report has them all.
const SHOWN_REJECTIONS: usize = 200;

pub const REGISTRY_DISTRICT_ONLY: &str = "只有区级用户可以导入证书登记库，请选择其他导入内容。";

#[derive(Template)]
#[template(path = "ledger/imports/page.html")]
struct ImportsPage {
    layout: Layout,
    /// The key the upload's progress is polled under.
    progress_key: String,
    kinds: Vec<ImportKind>,
    history: Vec<HistoryRow>,
    error: Option<String>,
    message: Option<String>,
    max_mb: u64,
}

async fn page_with(
    st: &AppState,
    user: &CurrentUser,
    error: Option<String>,
    message: Option<String>,
) -> Result<ImportsPage, AppError> {
    let city = anpei_store::registry::reference::is_city(&st.store).await?;
    Ok(ImportsPage {
        layout: Layout::new(user, "台账导入", "imports"),
        progress_key: anpei_store::crypto::random_token(),
        kinds: ImportKind::ALL
            .into_iter()
            .filter(|k| k.allowed_for(user.role, city))
            .collect(),
        history: history(st, user).await?,
        error,
        message,
        max_mb: MAX_UPLOAD / 1024 / 1024,
    })
}

#[derive(Deserialize, Default)]
pub struct Flash {
    cancelled: Option<String>,
}

pub async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(flash): Query<Flash>,
) -> Result<Response, AppError> {
    let message = flash
        .cancelled
        .map(|_| "已取消导入，上传的文件已删除。".to_string());
    Ok(render(page_with(&st, &user, None, message).await?))
}

/// The template workbook: header rows, an example row, drop-down lists from the reference.
pub async fn template(State(st): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    let reference = load_reference(&st.store, &user.scope).await?;
    let bytes = tokio::task::spawn_blocking(move || anpei_import::template_workbook(&reference))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(xlsx_attachment(
        bytes,
        "ledger-template.xlsx",
        "%E5%8F%B0%E8%B4%A6%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx", // 台账导入模板.xlsx
    ))
}

fn xlsx_attachment(bytes: Vec<u8>, ascii: &str, utf8_encoded: &str) -> Response {
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{utf8_encoded}");
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// After a successful step: htmx navigates with `HX-Redirect`, a plain form with a 303.
fn go_to(headers: &HeaderMap, to: &str) -> Response {
    if is_htmx(headers) {
        let mut res = StatusCode::OK.into_response();
        if let Ok(v) = HeaderValue::from_str(to) {
            res.headers_mut().insert("hx-redirect", v);
        }
        res
    } else {
        Redirect::to(to).into_response()
    }
}

/// The upload page again with the reason the upload was refused.
async fn refused(
    st: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    f: Failure,
) -> Result<Response, AppError> {
    if let Failure::Internal(e) = f {
        return Err(e);
    }
    let mut res = render(page_with(st, user, Some(f.message()), None).await?);
    // htmx swaps only successful answers; a plain form gets the real status.
    if !is_htmx(headers) {
        *res.status_mut() = f.status();
    }
    Ok(res)
}

/// Receives an upload, validates it against the database (a dry run, nothing stored) and
/// sends the user to the review.
#[tracing::instrument(skip_all)]
pub async fn upload(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    if let Err(f) = check_length(&headers) {
        return refused(&st, &user, &headers, f).await;
    }
    sweep(st.config.uploads_dir()).await;
    let (id, dir) = match new_pending_dir(&st).await {
        Ok(x) => x,
        Err(f) => return refused(&st, &user, &headers, f).await,
    };
    let expected = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    match validate(&st, &user, multipart, &dir, expected).await {
        Ok(()) => Ok(go_to(&headers, &format!("/imports/review?id={id}"))),
        Err(f) => {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            refused(&st, &user, &headers, f).await
        }
    }
}

async fn validate(
    st: &AppState,
    user: &CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
    dir: &Path,
    expected: u64,
) -> Result<(), Failure> {
    let (up, progress) = receive_tracked(st, multipart, dir, user, expected).await?;
    let progress = progress.unwrap_or_default();
    progress.set_stage(Stage::Checking);
    let checked = crate::ingest_file::screen_upload(st, &up).await;
    if checked.is_err() {
        progress.set_stage(Stage::Failed);
    }
    checked?;
    let (report, outcome) = run_tracked(st, user, &up, Mode::DryRun, Some(&progress)).await?;
    save_error_report(dir, &report).await?;
    let meta = Meta {
        user_id: user.id,
        created: epoch_secs(),
        file_name: up.file_name,
        kind: up.kind.code().into(),
        sha256: up.sha256,
        size: up.size,
        review: Summary::of(&report, outcome),
        result: None,
    };
    save_meta(dir, &meta).await
}

#[derive(Deserialize, Default)]
pub struct PendingId {
    id: Option<String>,
}

#[derive(Template)]
#[template(path = "ledger/imports/review.html")]
struct ReviewPage {
    layout: Layout,
    id: String,
    file_name: String,
    kind: &'static str,
    size_kb: u64,
    sha256: String,
    done: bool,
    s: Summary,
    outcome: &'static str,
    outcome_class: &'static str,
    has_report: bool,
}

/// The dry run's counts, warnings and rejected rows, with 确认导入; or, once confirmed,
/// the import's result.
pub async fn review(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<PendingId>,
) -> Result<Response, AppError> {
    let (dir, meta) = load_pending(&st, &user, q.id.as_deref()).await?;
    let has_report = tokio::fs::try_exists(dir.join("errors.xlsx"))
        .await
        .unwrap_or(false);
    let done = meta.result.is_some();
    let s = meta.result.unwrap_or(meta.review);
    let (outcome, outcome_class) = outcome_label(&s.outcome);
    Ok(render(ReviewPage {
        layout: Layout::new(&user, "导入校验结果", "imports"),
        id: q.id.unwrap_or_default(),
        file_name: meta.file_name,
        kind: ImportKind::from_code(&meta.kind).map_or("—", ImportKind::label),
        size_kb: meta.size.div_ceil(1024),
        sha256: meta.sha256,
        done,
        outcome,
        outcome_class,
        s,
        has_report,
    }))
}

/// The full error report of the pending upload (its original cells, unmasked: the
/// uploader's own file). Audited as an export of personal data.
pub async fn errors(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<PendingId>,
) -> Result<Response, AppError> {
    let (dir, meta) = load_pending(&st, &user, q.id.as_deref()).await?;
    let bytes = tokio::fs::read(dir.join("errors.xlsx"))
        .await
        .map_err(|_| AppError::NotFound)?;
    anpei_store::platform::audit::record(
        &st.store,
        &user.actor(),
        anpei_store::platform::audit::Event::ok(
            "export.import_errors",
            format!("import:{}", meta.kind),
        )
        .with_detail(format!("{} {}", meta.file_name, meta.sha256)),
    )
    .await?;
    Ok(xlsx_attachment(
        bytes,
        "import-errors.xlsx",
        "%E9%94%99%E8%AF%AF%E6%8A%A5%E5%91%8A.xlsx", // 错误报告.xlsx
    ))
}

/// Imports the reviewed file for real (valid rows stored, rejected rows reported).
#[tracing::instrument(skip_all)]
pub async fn confirm(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<PendingId>,
) -> Result<Response, AppError> {
    let (dir, mut meta) = load_pending(&st, &user, f.id.as_deref()).await?;
    let to = format!("/imports/review?id={}", f.id.as_deref().unwrap_or_default());
    // Claiming the file by renaming it makes a second click (or a second tab) a no-op.
    let claimed = dir.join("importing");
    if meta.result.is_some() || tokio::fs::rename(dir.join("file"), &claimed).await.is_err() {
        return Ok(go_to(&headers, &to));
    }
    let kind = ImportKind::from_code(&meta.kind).ok_or(AppError::NotFound)?;
    let up = Upload {
        kind,
        path: claimed.join(&meta.file_name),
        file_name: meta.file_name.clone(),
        sha256: meta.sha256.clone(),
        size: meta.size,
    };
    let outcome = async {
        if !kind.allowed_for(
            user.role,
            anpei_store::registry::reference::is_city(&st.store).await?,
        ) {
            return Err(Failure::Forbidden);
        }
        let progress = track(f.id.as_deref().unwrap_or_default(), user.id, true);
        let (report, outcome) = run_tracked(&st, &user, &up, Mode::Normal, Some(&progress)).await?;
        save_error_report(&dir, &report).await?;
        meta.result = Some(Summary::of(&report, outcome));
        save_meta(&dir, &meta).await
    }
    .await;
    let _ = tokio::fs::remove_dir_all(&claimed).await;
    match outcome {
        Ok(()) => Ok(go_to(&headers, &to)),
        Err(f) => {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            refused(&st, &user, &headers, f).await
        }
    }
}

/// Drops a pending upload.
pub async fn cancel(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<PendingId>,
) -> Result<Response, AppError> {
    let (dir, _) = load_pending(&st, &user, f.id.as_deref()).await?;
    let _ = tokio::fs::remove_dir_all(&dir).await;
    Ok(go_to(&headers, "/imports?cancelled=1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_in_progress_shows_its_rows_and_bytes_and_polls_on() {
        let p = ImportProgress::default();
        p.expect(4 * 1_048_576);
        p.add_received(1_048_576);
        let key = "a".repeat(64);
        let view = |confirm| ProgressView::of(key.clone(), Some((confirm, p.snapshot())));
        let v = view(false);
        assert!(v.polling);
        assert_eq!(v.bar, Some((1_048_576, 4 * 1_048_576)));
        assert_eq!(v.text, "正在上传：1.0 MB / 4.0 MB（25%）");
        p.set_stage(Stage::Checking);
        assert_eq!(view(false).bar, None);
        let html = view(false).render().unwrap();
        assert!(html.contains("hx-trigger=\"every 1s\"") && html.contains("<progress></progress>"));
        let reading = crate::ingest_file::ProgressSnapshot {
            stage: Stage::Reading,
            received: 0,
            expected: 0,
            rows: 120_000,
            read: 30 * 1_048_576,
            size: 120 * 1_048_576,
        };
        let v = ProgressView::of(key.clone(), Some((true, reading)));
        assert!(v.polling);
        assert_eq!(v.bar, Some((30 * 1_048_576, 120 * 1_048_576)));
        assert_eq!(
            v.text,
            "正在导入：已处理 120000 行，已读取 30.0 MB / 120.0 MB（25%）"
        );
        let html = v.render().unwrap();
        assert!(html.contains(&format!(
            "<progress value=\"{}\" max=\"{}\">",
            30 * 1_048_576,
            120 * 1_048_576
        )));
    }

    #[test]
    fn a_browser_file_name_becomes_one_safe_path_component() {
        assert_eq!(safe_name("人员.csv"), "人员.csv");
        assert_eq!(safe_name("C:\\Users\\张三\\台账.xlsx"), "台账.xlsx");
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name(".."), "upload");
        assert_eq!(safe_name(""), "upload");
        assert_eq!(safe_name("a\u{0}b\n.csv"), "ab.csv");
        let long = format!("{}.xlsx", "培".repeat(200));
        let s = safe_name(&long);
        assert!(s.len() <= 180 && s.ends_with(".xlsx"), "{s}");
    }

    #[test]
    fn only_a_full_lowercase_hex_token_names_a_pending_upload() {
        assert!(valid_id(&"a1".repeat(32)));
        assert!(!valid_id(&"A1".repeat(32)));
        assert!(!valid_id("../etc"));
        assert!(!valid_id(&format!("{}/", "a".repeat(63))));
        assert!(!valid_id(&"a".repeat(63)));
    }

    #[test]
    fn cells_that_look_like_id_or_phone_numbers_are_masked_on_the_page() {
        assert_eq!(mask_cell("50011219800101123X"), "500***********123X");
        assert_eq!(mask_cell("13812341234"), "138****1234");
        assert_eq!(mask_cell("张三"), "张三");
        assert_eq!(mask_cell("2023-01-05"), "2023-01-05");
        assert_eq!(mask_cell("T50011219800101123x"), "T50************123x");
        assert_eq!(mask_cell("5001121980010112"), "500*********0112");
        assert_eq!(mask_cell("023-67891234"), "023*****1234");
        assert_eq!(mask_cell("91500112MA5U7W1X2K"), "91500112MA5U7W1X2K");
        assert_eq!(mask_cell("2023-01-05 08:30"), "2023-01-05 08:30");
    }
}
