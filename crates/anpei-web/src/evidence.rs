//! Evidence files (佐证材料): photos, scans and office documents attached to a
//! self-inspection answer, a rectification update or a campaign.
//!
//! # API
//!
//! - [`save_upload`] checks an upload held in memory and keeps it: the type is told by the
//!   content ([`anpei_import::sniff`]), never by the name, and must be one of [`ALLOWED`]
//!   (PNG/JPEG/GIF images, PDF, docx/xlsx/pptx, doc/xls) agreeing with the name's extension;
//!   office files (zip containers) are held to the zip-bomb limits; the size to
//!   [`EVIDENCE_MAX_BYTES`] (or the configured upload limit when smaller). The bytes go to
//!   `<evidence_dir>/<sha256>` ([`crate::WebConfig::evidence_dir`], `<data-dir>/evidence`:
//!   never a served path; identical files are stored once), the `evidence_files` row and its
//!   audit entry (`evidence.upload`) in one transaction. The caller must see the subject
//!   (`subject_id`) in its scope, else 404; `subject_id` `None` is district-only.
//!   A refusal is an [`AppError::BadRequest`] with a Chinese message naming the file.
//! - [`read_upload`] reads a multipart form (text fields and one file field) into memory,
//!   refusing a file over the limit while it streams; [`read_field`] reads one field.
//! - [`list`] gives the files of some owners (for pages).
//! - `GET /evidence/{id}` ([`download`]): the file, to whoever may open the record it belongs
//!   to ([`may_open_owner`]; else 404), always as an attachment (`Content-Disposition:
//!   attachment`, the original name in `filename*`); reads are audited (`evidence.download`).
//!
//! `owner_kind` names what a file belongs to: `answer` (a self-inspection answer, see
//! `anpei_store::campaign::selfcheck`), `problem_event` (a rectification update),
//! `enforcement_action` (an enforcement decision's document), `summary` (a department's or
//! town's summary report), `tipoff` (a tip-off's attachment).

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;
use anpei_import::sniff::{self, FileKind, UploadLimits};
use anpei_store::model::EvidenceFile;
use anpei_store::platform::audit::{self, Event};
use anpei_store::Scope;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Largest evidence file: 20 MB.
pub const EVIDENCE_MAX_BYTES: u64 = 20 * 1024 * 1024;
/// Body limit of the evidence upload routes (the file and a few form fields).
pub const EVIDENCE_BODY_LIMIT: usize = EVIDENCE_MAX_BYTES as usize + 64 * 1024;

/// The kinds of file accepted as evidence.
pub const ALLOWED: &[FileKind] = &[
    FileKind::Png,
    FileKind::Jpeg,
    FileKind::Gif,
    FileKind::Pdf,
    FileKind::Docx,
    FileKind::Xlsx,
    FileKind::Pptx,
    FileKind::Doc,
    FileKind::Xls,
];

/// The limits an evidence file is held to: the configured upload limits (zip-bomb limits
/// included), with the size capped at [`EVIDENCE_MAX_BYTES`].
pub fn limits(st: &AppState) -> UploadLimits {
    let configured = st.config.upload_limits();
    UploadLimits {
        max_bytes: configured.max_bytes.min(EVIDENCE_MAX_BYTES),
        ..configured
    }
}

/// A file name from a browser, fit to keep and show: its last path component, no control
/// characters, at most 100 characters (the extension kept).
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    if clean.is_empty() || clean.chars().all(|c| c == '.') {
        return "file".into();
    }
    if clean.chars().count() <= 100 {
        return clean.to_string();
    }
    let ext = clean
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| e.chars().count() <= 10)
        .unwrap_or("");
    let keep = 100 - ext.chars().count() - 1;
    let stem: String = clean.chars().take(keep).collect();
    if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

/// Whether `subject_id` is visible in `scope` (`None`: only the whole district).
pub async fn subject_visible(
    st: &AppState,
    scope: &Scope,
    subject_id: Option<i32>,
) -> Result<bool, AppError> {
    Ok(anpei_store::platform::evidence::subject_visible(&st.store, scope, subject_id).await?)
}

/// Checks and keeps an uploaded evidence file (see the module documentation).
#[tracing::instrument(skip_all, fields(owner_kind, owner_id))]
pub async fn save_upload(
    st: &AppState,
    user: &CurrentUser,
    owner_kind: &str,
    owner_id: i32,
    subject_id: Option<i32>,
    file_name: &str,
    bytes: &[u8],
) -> Result<EvidenceFile, AppError> {
    if !subject_visible(st, &user.scope, subject_id).await? {
        return Err(AppError::NotFound);
    }
    let a = stage(st, file_name, bytes).await?;
    Ok(anpei_store::platform::evidence::attach(
        &st.store,
        &user.actor(),
        &user.scope,
        owner_kind,
        owner_id,
        subject_id,
        &a,
    )
    .await?)
}

/// Checks an uploaded file (kind by content, size, name) and stores its bytes under their
/// SHA-256; the row comes later, in the caller's transaction
/// ([`anpei_store::platform::evidence::insert`]).
pub async fn stage(
    st: &AppState,
    file_name: &str,
    bytes: &[u8],
) -> Result<anpei_store::platform::evidence::Attachment, AppError> {
    let name = clean_name(file_name);
    let kind = sniff::check_upload(bytes, &name, ALLOWED, &limits(st))
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let sha = hex::encode(Sha256::digest(bytes));
    store_bytes(&st.config.evidence_dir(), &sha, bytes)
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("evidence store")))?;
    Ok(anpei_store::platform::evidence::Attachment {
        file_name: name,
        mime: kind.mime().to_string(),
        size: bytes.len() as i64,
        sha256: sha,
    })
}

/// Writes `bytes` to `dir/<sha>` unless a file of that content is there already (through a
/// temporary name, so a reader never sees half a file).
pub(crate) async fn store_bytes(
    dir: &std::path::Path,
    sha: &str,
    bytes: &[u8],
) -> std::io::Result<()> {
    let path = dir.join(sha);
    if tokio::fs::try_exists(&path).await? {
        return Ok(());
    }
    tokio::fs::create_dir_all(dir).await?;
    let tmp = dir.join(format!(
        ".{sha}.{}",
        &anpei_store::crypto::random_token()[..12]
    ));
    tokio::fs::write(&tmp, bytes).await?;
    match tokio::fs::rename(&tmp, &path).await {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            Err(e)
        }
    }
}

/// The evidence files of some owners of one kind, oldest first.
pub async fn list(
    st: &AppState,
    owner_kind: &str,
    owner_ids: &[i32],
) -> Result<Vec<EvidenceFile>, AppError> {
    Ok(anpei_store::platform::evidence::list(&st.store, owner_kind, owner_ids).await?)
}

/// A multipart form read into memory: its text fields and its one file.
#[derive(Debug, Default)]
pub struct UploadForm {
    pub fields: Vec<(String, String)>,
    /// (file name as the browser sent it, bytes) of the field named `file`.
    pub file: Option<(String, Vec<u8>)>,
}

impl UploadForm {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn too_large(max: u64) -> AppError {
    let limit = if max >= 1024 * 1024 {
        format!("{} MB", max.div_ceil(1024 * 1024))
    } else {
        format!("{} KB", max.div_ceil(1024))
    };
    AppError::BadRequest(format!("文件超过 {limit} 的上限，请压缩或拆分后再上传。"))
}

fn multipart_error(e: MultipartError, max: u64) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(max)
    } else {
        AppError::BadRequest("上传中断或格式错误，请重新上传。".into())
    }
}

/// Reads one multipart field into memory, refusing it once it passes `max` bytes.
pub async fn read_field(mut field: Field<'_>, max: u64) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, max))? {
        if (out.len() + chunk.len()) as u64 > max {
            return Err(too_large(max));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Reads a multipart form: text fields (up to 4 KB each) and the field `file` (up to
/// `max` bytes). A second file field is refused.
pub async fn read_upload(mut mp: Multipart, max: u64) -> Result<UploadForm, AppError> {
    const TEXT_MAX: u64 = 4096;
    let mut form = UploadForm::default();
    while let Some(field) = mp.next_field().await.map_err(|e| multipart_error(e, max))? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            if form.file.is_some() {
                return Err(AppError::BadRequest("一次只能上传一个文件。".into()));
            }
            let file_name = field.file_name().unwrap_or("").to_string();
            let bytes = read_field(field, max).await?;
            // A file input left empty sends a part with no name and no bytes.
            if !(file_name.is_empty() && bytes.is_empty()) {
                form.file = Some((file_name, bytes));
            }
        } else {
            let bytes = read_field(field, TEXT_MAX)
                .await
                .map_err(|_| AppError::BadRequest(format!("表单字段“{name}”过长。")))?;
            form.fields
                .push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Ok(form)
}

/// A Word document as a download: its content type and [`attachment_disposition`].
pub fn docx_download(file_name: &str, ascii_fallback: &str, bytes: Vec<u8>) -> Response {
    use axum::response::IntoResponse;
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                    .to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                attachment_disposition(file_name, ascii_fallback),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// `attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded name>` (RFC 6266):
/// browsers show the Chinese name, old clients the ASCII fallback.
pub fn attachment_disposition(file_name: &str, ascii_fallback: &str) -> String {
    let mut enc = String::with_capacity(file_name.len() * 3);
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            enc.push(b as char);
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    let fallback: String = ascii_fallback
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\')
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{enc}")
}

/// `GET /evidence/{id}`: the file as an attachment, if the caller may open the record it
/// belongs to ([`may_open_owner`]); 404 otherwise, as for a record out of scope.
#[tracing::instrument(skip_all)]
pub async fn download(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    // The owning record decides (anpei_store::platform::evidence::openable).
    let row = anpei_store::platform::evidence::openable(
        &st.store,
        &user.actor(),
        user.role,
        &user.scope,
        id,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    // Stored names are SHA-256 hex digests; anything else is never opened.
    if row.stored_name.len() != 64 || !row.stored_name.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let path = st.config.evidence_dir().join(&row.stored_name);
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::error!(id, "evidence file missing from the evidence directory");
            return Err(AppError::NotFound);
        }
        Err(e) => {
            return Err(AppError::Internal(
                anyhow::Error::new(e).context("evidence read"),
            ))
        }
    };
    audit::record(
        &st.store,
        &user.actor(),
        Event::ok("evidence.download", format!("evidence:{id}")),
    )
    .await?;
    let ext = FileKind::ALL
        .into_iter()
        .find(|k| k.mime() == row.mime)
        .map_or("bin", FileKind::extension);
    let disposition = attachment_disposition(&row.file_name, &format!("evidence-{id}.{ext}"));
    Ok((
        [
            (header::CONTENT_TYPE, row.mime.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// Files in the evidence directory that no `evidence_files` row names, older than `grace`
/// (a file is written before its row, so a young file may belong to an upload under way),
/// are removed: the leftovers of uploads whose row was never written. Temporary files of
/// interrupted writes are removed too. Returns how many files went; the count is audited.
pub async fn sweep_orphans(
    store: &anpei_store::Store,
    dir: &std::path::Path,
    grace: std::time::Duration,
) -> Result<usize, AppError> {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return Ok(0);
    };
    let known = anpei_store::platform::evidence::stored_names(store).await?;
    let now = std::time::SystemTime::now();
    let mut removed = 0;
    while let Some(e) = entries
        .next_entry()
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("evidence sweep")))?
    {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(meta) = e.metadata().await else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age >= grace);
        if !meta.is_file() || !old || known.contains(&name) {
            continue;
        }
        let hex = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        // `<sha256>`, or the temporary `.<sha256>.<token>` of `store_bytes`.
        let ours = hex(&name)
            || name
                .strip_prefix('.')
                .and_then(|r| r.split_once('.'))
                .is_some_and(|(sha, _)| hex(sha));
        if ours && tokio::fs::remove_file(e.path()).await.is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        audit::record(
            store,
            &anpei_store::platform::audit::Actor::system("scheduler"),
            Event::ok("evidence.sweep", "evidence").with_detail(format!("removed={removed}")),
        )
        .await?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_file_name_keeps_its_last_component_and_extension() {
        assert_eq!(clean_name("C:\\照片\\整改后.jpg"), "整改后.jpg");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\u{0}b\n.pdf"), "ab.pdf");
        assert_eq!(clean_name(""), "file");
        assert_eq!(clean_name(".."), "file");
        let long = format!("{}.pdf", "很".repeat(150));
        let c = clean_name(&long);
        assert_eq!(c.chars().count(), 100);
        assert!(c.ends_with(".pdf"));
    }

    #[test]
    fn the_disposition_is_an_attachment_with_the_encoded_name() {
        let d = attachment_disposition("自查 报告.docx", "report.docx");
        assert_eq!(
            d,
            "attachment; filename=\"report.docx\"; filename*=UTF-8''%E8%87%AA%E6%9F%A5%20%E6%8A%A5%E5%91%8A.docx"
        );
        assert!(attachment_disposition("x", "a\"b\r\n").contains("filename=\"ab\""));
    }
}
