//! Receiving an upload (one upload check for every route) and running it as one import in the
//! uploader's scope.

use super::*;

/// Largest file accepted (the body limit of the upload routes adds room for the form).
pub const MAX_UPLOAD: u64 = 200 * 1024 * 1024;
/// Body limit of the upload routes.
pub const BODY_LIMIT: usize = MAX_UPLOAD as usize + 1024 * 1024;
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

pub(super) fn io_failure(e: std::io::Error) -> Failure {
    Failure::Internal(AppError::Internal(
        anyhow::Error::new(e).context("pending upload"),
    ))
}

pub(super) fn multipart_failure(e: MultipartError) -> Failure {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Failure::TooLarge
    } else {
        Failure::Refused("上传中断或格式错误，请重新上传。".into())
    }
}

/// The reference lists a row is checked against, from the database.
pub async fn load_reference(
    store: &Store,
    scope: &anpei_store::Scope,
) -> Result<Reference, AppError> {
    Ok(crate::ingest_file::load_reference(store, scope).await?)
}

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
pub(super) fn safe_name(raw: &str) -> String {
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

pub(super) async fn small_text(mut field: Field<'_>) -> Result<String, Failure> {
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
    st: &AppState,
    multipart: Result<Multipart, MultipartRejection>,
    dir: &Path,
    user: &CurrentUser,
) -> Result<Upload, Failure> {
    Ok(receive_tracked(st, multipart, dir, user, 0).await?.0)
}

/// [`receive`], and when the form names a `progress` key (before its file), the progress of
/// the upload (of `expected` bytes in all), polled by the page under that key.
pub(super) async fn receive_tracked(
    st: &AppState,
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
    if !kind.allowed_for(
        user.role,
        anpei_store::registry::reference::is_city(&st.store).await?,
    ) {
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
pub(super) async fn run_tracked(
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
        only: crate::ingest_file::select(up.kind),
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
