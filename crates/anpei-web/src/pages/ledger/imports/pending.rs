//! Uploads waiting between their dry run and their confirmation, each in a directory of its own
//! owned by its uploader; swept after a day.

use super::*;

/// A pending upload not confirmed within a day is deleted.
pub(super) const PENDING_TTL: Duration = Duration::from_secs(24 * 3600);
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Meta {
    pub(super) user_id: i32,
    /// Seconds since the epoch, system clock.
    pub(super) created: u64,
    pub(super) file_name: String,
    pub(super) kind: String,
    pub(super) sha256: String,
    pub(super) size: u64,
    pub(super) review: Summary,
    pub(super) result: Option<Summary>,
}

pub(super) fn epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A pending id: 64 lowercase hex digits, nothing else can name a directory.
pub(super) fn valid_id(id: &str) -> bool {
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
pub(super) async fn sweep(root: PathBuf) {
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
pub(super) async fn load_pending(
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

pub(super) async fn save_meta(dir: &Path, meta: &Meta) -> Result<(), Failure> {
    let bytes = serde_json::to_vec(meta).map_err(|e| AppError::Internal(e.into()))?;
    let tmp = dir.join("meta.json.tmp");
    tokio::fs::write(&tmp, bytes).await.map_err(io_failure)?;
    tokio::fs::rename(&tmp, dir.join("meta.json"))
        .await
        .map_err(io_failure)
}

/// Writes (or removes) the full error report of a run.
pub(super) async fn save_error_report(dir: &Path, report: &IngestReport) -> Result<(), Failure> {
    let path = dir.join("errors.xlsx");
    if report.rejections.is_empty() {
        let _ = tokio::fs::remove_file(&path).await;
        return Ok(());
    }
    let (rejections, sheets) = (report.rejections.clone(), report.sheets.clone());
    tokio::task::spawn_blocking(move || {
        anpei_import::write_error_report(&path, &rejections, &sheets)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("error report")))?;
    Ok(())
}
