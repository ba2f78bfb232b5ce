//! 台账导入: the template workbook, an upload that is first validated against the database
//! (a dry run), the review of the rejected rows, the confirmed import, and the import
//! history. The API's `POST /api/v1/imports` uses the same receiving and running code.
//!
//! An upload waits between its dry run and its confirmation in its own directory under
//! `WebConfig::uploads_dir`, named by a random token and owned by the uploader:
//! `<token>/meta.json` (who, what, the dry run's summary), `<token>/file/<name>` (the upload),
//! `<token>/errors.xlsx` (the full error report). The file goes once it is imported or the
//! upload is cancelled; whatever is older than a day is swept away at the next upload.

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

/// Largest file accepted (the body limit of the upload routes adds room for the form).
pub const MAX_UPLOAD: u64 = 200 * 1024 * 1024;
/// Body limit of the upload routes.
pub const BODY_LIMIT: usize = MAX_UPLOAD as usize + 1024 * 1024;
/// Rejected rows shown on the review page; the error report has them all.
const SHOWN_REJECTIONS: usize = 200;
/// A pending upload not confirmed within a day is deleted.
const PENDING_TTL: Duration = Duration::from_secs(24 * 3600);

pub const REGISTRY_DISTRICT_ONLY: &str = "只有区级用户可以导入证书登记库，请选择其他导入内容。";

/// Why an upload or an import could not go ahead.
#[derive(Debug)]
pub enum Failure {
    /// The upload or its file cannot be used: a Chinese message for the user.
    Refused(String),
    /// The registry by a user who is not a district user.
    Forbidden,
    /// Larger than [`MAX_UPLOAD`].
    TooLarge,
    Internal(AppError),
}

impl Failure {
    pub fn status(&self) -> StatusCode {
        match self {
            Failure::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Failure::Forbidden => StatusCode::FORBIDDEN,
            Failure::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Failure::Internal(e) => e.status(),
        }
    }

    pub fn message(&self) -> String {
        match self {
            Failure::Refused(m) => m.clone(),
            Failure::Forbidden => REGISTRY_DISTRICT_ONLY.into(),
            Failure::TooLarge => format!(
                "文件超过 {} MB 的上限，请拆分为几个文件后分别导入。",
                MAX_UPLOAD / 1024 / 1024
            ),
            Failure::Internal(e) => e.message(),
        }
    }
}

impl<E: Into<AppError>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Internal(e.into())
    }
}

fn io_failure(e: std::io::Error) -> Failure {
    Failure::Internal(AppError::Internal(
        anyhow::Error::new(e).context("pending upload"),
    ))
}

fn multipart_failure(e: MultipartError) -> Failure {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Failure::TooLarge
    } else {
        Failure::Refused("上传中断或格式错误，请重新上传。".into())
    }
}

/// The reference lists a row is checked against, from the database.
pub async fn load_reference(store: &Store) -> Result<Reference, AppError> {
    Ok(crate::ingest_file::load_reference(store).await?)
}

// ---- receiving an upload ----------------------------------------------------------------

/// A received upload: the file on disk and the form's `kind`.
pub struct Upload {
    pub kind: ImportKind,
    pub file_name: String,
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
}

/// A file name from a browser, safe to use as one path component: its last component, no
/// control characters, at most 180 bytes (keeping the extension, which tells CSV from xlsx
/// to people and names the table of a CSV).
fn safe_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    if clean.is_empty() || clean.chars().all(|c| c == '.') {
        return "upload".into();
    }
    if clean.len() <= 180 {
        return clean.to_string();
    }
    let ext = clean
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| e.len() <= 10)
        .unwrap_or("");
    let mut stem = String::new();
    for c in clean.chars() {
        if stem.len() + c.len_utf8() > 180 - ext.len() - 1 {
            break;
        }
        stem.push(c);
    }
    if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

async fn small_text(mut field: Field<'_>) -> Result<String, Failure> {
    let mut out = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_failure)? {
        out.extend_from_slice(&chunk);
        if out.len() > 256 {
            return Err(Failure::Refused("表单字段过长".into()));
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Refuses at once a request whose declared length is over the limit (the streaming
/// limit still holds for one that declares none or lies).
pub fn check_length(headers: &HeaderMap) -> Result<(), Failure> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > BODY_LIMIT as u64 => Err(Failure::TooLarge),
        _ => Ok(()),
    }
}

/// Streams the multipart form into `dir/file/<name>` (hashing as it goes) and checks `kind`
/// and the caller's right to it.
pub async fn receive(
    multipart: Result<Multipart, MultipartRejection>,
    dir: &Path,
    user: &CurrentUser,
) -> Result<Upload, Failure> {
    Ok(receive_tracked(multipart, dir, user, 0).await?.0)
}

/// [`receive`], and when the form names a `progress` key (before its file), the progress of
/// the upload (of `expected` bytes in all), polled by the page under that key.
async fn receive_tracked(
    multipart: Result<Multipart, MultipartRejection>,
    dir: &Path,
    user: &CurrentUser,
    expected: u64,
) -> Result<(Upload, Option<Arc<ImportProgress>>), Failure> {
    let mut mp = multipart.map_err(|_| {
        Failure::Refused("请以 multipart/form-data 表单上传文件（字段 kind 与 file）。".into())
    })?;
    let mut kind = None;
    let mut progress: Option<Arc<ImportProgress>> = None;
    let mut file: Option<(String, PathBuf, String, u64)> = None;
    while let Some(mut field) = mp.next_field().await.map_err(multipart_failure)? {
        match field.name() {
            Some("kind") => kind = Some(small_text(field).await?),
            Some("progress") => {
                let key = small_text(field).await?;
                if valid_id(key.trim()) {
                    let p = track(key.trim(), user.id, false);
                    p.expect(expected);
                    progress = Some(p);
                }
            }
            Some("file") => {
                if file.is_some() {
                    return Err(Failure::Refused("一次只能上传一个文件。".into()));
                }
                let name = safe_name(field.file_name().unwrap_or(""));
                let folder = dir.join("file");
                tokio::fs::create_dir_all(&folder)
                    .await
                    .map_err(io_failure)?;
                let path = folder.join(&name);
                let mut out = tokio::fs::File::create(&path).await.map_err(io_failure)?;
                let mut hash = Sha256::new();
                let mut size = 0u64;
                while let Some(chunk) = field.chunk().await.map_err(multipart_failure)? {
                    size += chunk.len() as u64;
                    if size > MAX_UPLOAD {
                        return Err(Failure::TooLarge);
                    }
                    hash.update(&chunk);
                    out.write_all(&chunk).await.map_err(io_failure)?;
                    if let Some(p) = &progress {
                        p.add_received(chunk.len() as u64);
                    }
                }
                out.flush().await.map_err(io_failure)?;
                file = Some((name, path, hex::encode(hash.finalize()), size));
            }
            _ => {}
        }
    }
    let kind = kind.unwrap_or_default();
    let kind = ImportKind::from_code(&kind).ok_or_else(|| {
        Failure::Refused(
            "请选择导入内容（kind：ledger、subjects、persons、certificates、training 或 registry）。"
                .into(),
        )
    })?;
    if !kind.allowed_for(user.role) {
        return Err(Failure::Forbidden);
    }
    match file {
        Some((file_name, path, sha256, size)) if size > 0 => Ok((
            Upload {
                kind,
                file_name,
                path,
                sha256,
                size,
            },
            progress,
        )),
        Some((file_name, ..)) if file_name != "upload" => {
            Err(Failure::Refused(format!("“{file_name}”是空文件。")))
        }
        _ => Err(Failure::Refused(
            "请选择要导入的文件（.xlsx 或 .csv）。".into(),
        )),
    }
}

// ---- running an import ------------------------------------------------------------------

/// Reads the upload on a blocking thread and feeds its rows into one ingest in the caller's
/// scope (out-of-scope rows are rejected there), ending per `mode`.
#[tracing::instrument(skip_all, fields(kind = up.kind.code(), size = up.size))]
pub async fn run(
    st: &AppState,
    user: &CurrentUser,
    up: &Upload,
    mode: Mode,
) -> Result<(IngestReport, &'static str), Failure> {
    run_tracked(st, user, up, mode, None).await
}

/// [`run`], keeping `progress` (when given) up to date.
async fn run_tracked(
    st: &AppState,
    user: &CurrentUser,
    up: &Upload,
    mode: Mode,
    progress: Option<&ImportProgress>,
) -> Result<(IngestReport, &'static str), Failure> {
    let job = FileIngest {
        store: &st.store,
        scope: user.scope,
        actor: &user.actor(),
        path: up.path.clone(),
        only: up.kind.table(),
        mode,
        provenance: Provenance {
            file_name: up.file_name.clone(),
            sha256: up.sha256.clone(),
            kind: up.kind.code().into(),
        },
    };
    let done = match progress {
        Some(p) => ingest_file_tracked(job, p).await,
        None => ingest_file(job, |_| {}).await,
    };
    done.map_err(|e| match e {
        IngestFileError::Read(e) => Failure::Refused(e.to_string()),
        IngestFileError::Store(e) => Failure::from(AppError::from(e)),
        IngestFileError::Thread(e) => Failure::from(AppError::Internal(anyhow::Error::msg(e))),
    })
}

// ---- pending uploads --------------------------------------------------------------------

/// What the review page shows of one run (rejected cells masked).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub outcome: String,
    pub counts: Vec<(String, TableCounts)>,
    pub warnings: Vec<String>,
    pub rejected_total: usize,
    pub rejections: Vec<Rejection>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct TableCounts {
    pub read: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rejection {
    pub sheet: String,
    pub row: usize,
    pub column: String,
    pub reason: String,
    pub cells: String,
}

/// Masks what looks like an ID or certificate number (with or without the `T`, right length
/// or not) or a phone number: the page shows rejected rows masked like every other page;
/// the downloaded error report gives the uploader's own cells back as they were. A USCC,
/// which has letters, and a date, which has eight digits, stay readable.
fn mask_cell(c: &str) -> String {
    let t = c.trim();
    let core = t.strip_prefix(['T', 't']).unwrap_or(t);
    let body = core.strip_suffix(['X', 'x']).unwrap_or(core);
    let id_like = (14..=19).contains(&core.len()) && body.bytes().all(|b| b.is_ascii_digit());
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    let phone_like = digits >= 10 && t.bytes().all(|b| b.is_ascii_digit() || b"-+ ".contains(&b));
    if id_like || phone_like {
        mask_id(t)
    } else {
        c.to_string()
    }
}

impl Summary {
    fn of(report: &IngestReport, outcome: &str) -> Summary {
        Summary {
            outcome: outcome.into(),
            counts: report
                .counts
                .iter()
                .map(|(t, c)| {
                    let c = TableCounts {
                        read: c.read,
                        inserted: c.inserted,
                        updated: c.updated,
                        unchanged: c.unchanged,
                        rejected: c.rejected,
                    };
                    (t.sheet().to_string(), c)
                })
                .collect(),
            warnings: report.warnings.clone(),
            rejected_total: report.rejected() as usize,
            rejections: report
                .rejections
                .iter()
                .take(SHOWN_REJECTIONS)
                .map(|e| Rejection {
                    sheet: e.sheet.clone(),
                    row: e.row,
                    column: e.column.clone(),
                    reason: e.reason.clone(),
                    cells: e
                        .cells
                        .iter()
                        .map(|c| mask_cell(c))
                        .collect::<Vec<_>>()
                        .join(" | "),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Meta {
    user_id: i32,
    /// Seconds since the epoch, system clock.
    created: u64,
    file_name: String,
    kind: String,
    sha256: String,
    size: u64,
    review: Summary,
    result: Option<Summary>,
}

fn epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A pending id: 64 lowercase hex digits, nothing else can name a directory.
fn valid_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Creates the uploads directory (owner-only) and a fresh token directory in it.
pub async fn new_pending_dir(st: &AppState) -> Result<(String, PathBuf), Failure> {
    let root = st.config.uploads_dir();
    let id = anpei_store::crypto::random_token();
    let dir = root.join(&id);
    let mut b = tokio::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    b.mode(0o700);
    b.create(&dir).await.map_err(io_failure)?;
    Ok((id, dir))
}

/// Deletes pending uploads older than a day (only directories named like a token).
async fn sweep(root: PathBuf) {
    let _ = tokio::task::spawn_blocking(move || {
        let Ok(entries) = std::fs::read_dir(&root) else {
            return;
        };
        let now = epoch_secs();
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !valid_id(&name) {
                continue;
            }
            let created = std::fs::read(e.path().join("meta.json"))
                .ok()
                .and_then(|b| serde_json::from_slice::<Meta>(&b).ok())
                .map(|m| m.created)
                .or_else(|| {
                    let t = e.metadata().ok()?.modified().ok()?;
                    Some(t.duration_since(UNIX_EPOCH).ok()?.as_secs())
                })
                .unwrap_or(0);
            if now.saturating_sub(created) > PENDING_TTL.as_secs() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    })
    .await;
}

/// The caller's own pending upload, or 404 (another user's, expired, or no such id).
async fn load_pending(
    st: &AppState,
    user: &CurrentUser,
    id: Option<&str>,
) -> Result<(PathBuf, Meta), AppError> {
    let id = id
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::BadRequest("缺少导入编号，请从导入页面重新上传。".into()))?;
    if !valid_id(id) {
        return Err(AppError::NotFound);
    }
    let dir = st.config.uploads_dir().join(id);
    let bytes = match tokio::fs::read(dir.join("meta.json")).await {
        Ok(b) => b,
        Err(_) => return Err(AppError::NotFound),
    };
    let meta: Meta = serde_json::from_slice(&bytes).map_err(|e| AppError::Internal(e.into()))?;
    let expired = epoch_secs().saturating_sub(meta.created) > PENDING_TTL.as_secs();
    if meta.user_id != user.id || expired {
        return Err(AppError::NotFound);
    }
    Ok((dir, meta))
}

async fn save_meta(dir: &Path, meta: &Meta) -> Result<(), Failure> {
    let bytes = serde_json::to_vec(meta).map_err(|e| AppError::Internal(e.into()))?;
    let tmp = dir.join("meta.json.tmp");
    tokio::fs::write(&tmp, bytes).await.map_err(io_failure)?;
    tokio::fs::rename(&tmp, dir.join("meta.json"))
        .await
        .map_err(io_failure)
}

/// Writes (or removes) the full error report of a run.
async fn save_error_report(dir: &Path, report: &IngestReport) -> Result<(), Failure> {
    let path = dir.join("errors.xlsx");
    if report.rejections.is_empty() {
        let _ = tokio::fs::remove_file(&path).await;
        return Ok(());
    }
    let rejections = report.rejections.clone();
    tokio::task::spawn_blocking(move || anpei_import::write_error_report(&path, &rejections))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("error report")))?;
    Ok(())
}

// ---- pages ------------------------------------------------------------------------------

/// One import of the history, for the table.
pub struct HistoryRow {
    pub at: String,
    pub username: String,
    pub file_name: String,
    pub kind: &'static str,
    pub mode: &'static str,
    pub outcome: &'static str,
    pub outcome_class: &'static str,
    pub counts: String,
}

pub fn outcome_label(code: &str) -> (&'static str, &'static str) {
    match code {
        "stored" => ("全部导入", "badge-ok"),
        "partial" => ("部分导入", "badge-warn"),
        "aborted" => ("未导入（严格模式）", "badge-danger"),
        "validated" => ("仅校验", "badge-muted"),
        _ => ("未知", "badge-muted"),
    }
}

fn mode_label(code: &str) -> &'static str {
    match code {
        "normal" => "正式导入",
        "strict" => "严格模式",
        "dry-run" => "试运行",
        _ => "—",
    }
}

fn counts_text(json: &str) -> String {
    let map: std::collections::BTreeMap<String, TableCounts> =
        serde_json::from_str(json).unwrap_or_default();
    map.iter()
        .map(|(t, c)| {
            format!(
                "{t}：读取{} 新增{} 更新{} 未变{} 拒绝{}",
                c.read, c.inserted, c.updated, c.unchanged, c.rejected
            )
        })
        .collect::<Vec<_>>()
        .join("；")
}

fn local_time(at: i64) -> String {
    anpei_store::clock::china_time(at)
}

/// The latest imports the caller may see: all for district users, else their own.
async fn history(st: &AppState, user: &CurrentUser) -> Result<Vec<HistoryRow>, AppError> {
    Ok(
        anpei_store::ledger::ingest::history_seen_by(&st.store, &user.scope, &user.username, 20)
            .await?
            .into_iter()
            .map(|m| {
                let (outcome, outcome_class) = outcome_label(&m.outcome);
                HistoryRow {
                    at: local_time(m.at),
                    kind: ImportKind::from_code(&m.kind).map_or("—", ImportKind::label),
                    mode: mode_label(&m.mode),
                    counts: counts_text(&m.counts),
                    username: m.username,
                    file_name: m.file_name,
                    outcome,
                    outcome_class,
                }
            })
            .collect(),
    )
}

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
    Ok(ImportsPage {
        layout: Layout::new(user, "台账导入", "imports"),
        progress_key: anpei_store::crypto::random_token(),
        kinds: ImportKind::ALL
            .into_iter()
            .filter(|k| k.allowed_for(user.role))
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
pub async fn template(State(st): State<AppState>) -> Result<Response, AppError> {
    let reference = load_reference(&st.store).await?;
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
    let (up, progress) = receive_tracked(multipart, dir, user, expected).await?;
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
        if !kind.allowed_for(user.role) {
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

// ---- progress ---------------------------------------------------------------------------

/// An import whose progress a page may poll.
struct Tracked {
    user_id: i32,
    since: Instant,
    /// The confirmed import (else the dry run of an upload).
    confirm: bool,
    progress: Arc<ImportProgress>,
}

/// Imports in progress or lately ended, by key: the upload form's random `progress` field,
/// or for a confirmation the pending upload's id. In this process's memory only (a page
/// polls the server that runs its import); at most [`BOARD_MAX`], none older than a day.
static BOARD: LazyLock<Mutex<HashMap<String, Tracked>>> = LazyLock::new(Mutex::default);
const BOARD_MAX: usize = 256;

/// The progress of the import keyed `key` for `user_id` (a fresh handle that nobody polls
/// when another user holds the key).
fn track(key: &str, user_id: i32, confirm: bool) -> Arc<ImportProgress> {
    let progress = Arc::new(ImportProgress::default());
    let Ok(mut board) = BOARD.lock() else {
        return progress;
    };
    board.retain(|_, t| t.since.elapsed() < PENDING_TTL);
    if board.get(key).is_some_and(|t| t.user_id != user_id) {
        return progress;
    }
    if board.len() >= BOARD_MAX {
        if let Some(oldest) = board
            .iter()
            .min_by_key(|(_, t)| t.since)
            .map(|(k, _)| k.clone())
        {
            board.remove(&oldest);
        }
    }
    board.insert(
        key.to_string(),
        Tracked {
            user_id,
            since: Instant::now(),
            confirm,
            progress: progress.clone(),
        },
    );
    progress
}

#[derive(Deserialize, Default)]
pub struct ProgressKey {
    key: Option<String>,
}

#[derive(Template)]
#[template(path = "ledger/imports/progress.html")]
struct ProgressView {
    key: String,
    /// Poll again in a second.
    polling: bool,
    /// (value, max) of the bar; none: an indeterminate bar.
    bar: Option<(u64, u64)>,
    text: String,
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

fn percent(part: u64, whole: u64) -> u64 {
    (part.min(whole) * 100).checked_div(whole).unwrap_or(0)
}

impl ProgressView {
    fn of(key: String, tracked: Option<(bool, crate::ingest_file::ProgressSnapshot)>) -> Self {
        let Some((confirm, p)) = tracked else {
            // The upload may not have reached the server yet.
            return ProgressView {
                polling: !key.is_empty(),
                bar: None,
                text: if key.is_empty() {
                    "没有进行中的导入。".into()
                } else {
                    "正在上传，请稍候…".into()
                },
                key,
            };
        };
        let verb = if confirm {
            "正在导入"
        } else {
            "正在校验"
        };
        let (bar, text) = match p.stage {
            Stage::Receiving if p.expected > 0 => (
                Some((p.received.min(p.expected), p.expected)),
                format!(
                    "正在上传：{} / {}（{}%）",
                    mb(p.received),
                    mb(p.expected),
                    percent(p.received, p.expected)
                ),
            ),
            Stage::Receiving => (None, format!("正在上传：已收到 {}", mb(p.received))),
            Stage::Checking => (None, "文件已上传，正在检查文件类型…".into()),
            Stage::Reading if p.size > 0 => (
                Some((p.read.min(p.size), p.size)),
                format!(
                    "{verb}：已处理 {} 行，已读取 {} / {}（{}%）",
                    p.rows,
                    mb(p.read),
                    mb(p.size),
                    percent(p.read, p.size)
                ),
            ),
            Stage::Reading => (None, format!("{verb}：已处理 {} 行", p.rows)),
            Stage::Finishing if confirm => (None, format!("已处理 {} 行，正在写入数据库…", p.rows)),
            Stage::Finishing => (None, format!("已处理 {} 行，正在汇总校验结果…", p.rows)),
            Stage::Done => (
                Some((1, 1)),
                format!("已完成：共处理 {} 行，正在打开结果…", p.rows),
            ),
            Stage::Failed => (None, "未能完成，请查看页面上的提示。".into()),
        };
        ProgressView {
            polling: !matches!(p.stage, Stage::Done | Stage::Failed),
            bar,
            text,
            key,
        }
    }
}

/// The progress of the caller's import keyed `key`, as a fragment that polls itself every
/// second until the import ends (htmx swaps it in place).
pub async fn progress(user: CurrentUser, Query(q): Query<ProgressKey>) -> Response {
    let key = q.key.unwrap_or_default();
    let key = if valid_id(&key) { key } else { String::new() };
    let tracked = BOARD.lock().ok().and_then(|board| {
        board
            .get(&key)
            .filter(|t| t.user_id == user.id)
            .map(|t| (t.confirm, t.progress.snapshot()))
    });
    let mut res = render(ProgressView::of(key, tracked));
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
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
