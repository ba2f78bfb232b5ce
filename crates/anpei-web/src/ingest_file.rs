//! Streams a ledger file through the validating reader into one ingest: the reader runs on a
//! blocking thread and hands rows over a bounded channel, so memory stays bounded whatever
//! the file's size. Shared by the web upload and the `anpei import` command.
//!
//! Also the one check every upload goes through before anything reads or keeps it
//! ([`check_upload`], [`check_upload_file`]): what the file is for ([`UploadUse`]) decides
//! the kinds accepted and the limits — size, type told by content and agreeing with the
//! name's extension, and for zip containers (xlsx, docx …) the zip-bomb limits read from
//! the central directory (entry count, declared unpacked total, compression ratio, overlaps),
//! nothing inflated.

use anpei_core::ledger::{RowError, SheetHeader, Table};
use anpei_import::sniff::{self, FileKind, UploadError, UploadLimits};
use anpei_import::{ImportError, Reference, Row, Select, Sink};
use anpei_store::ledger::import_kind::ImportKind;
use anpei_store::ledger::ingest::Cells;
use anpei_store::ledger::{Ingest, IngestReport, LedgerRow, Mode, Provenance};
use anpei_store::platform::audit::Actor;
use anpei_store::{registry::reference, Scope, Store, StoreError};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Why a file could not be ingested at all (a bad row is never one).
#[derive(Debug, thiserror::Error)]
pub enum IngestFileError {
    #[error("{0}")]
    Read(#[from] ImportError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("读取线程异常结束：{0}")]
    Thread(String),
}

/// What a ledger file may be: the reader's formats.
pub const LEDGER_KINDS: &[FileKind] = &[FileKind::Xlsx, FileKind::Csv];

/// What the 培训档案 and 考试记录 workbooks may be: the readers take xlsx only.
pub const WORKBOOK_KINDS: &[FileKind] = &[FileKind::Xlsx];

/// A workbook of training or exam records is read whole into memory: its declared unpacked
/// size may be at most this many times its size (a real workbook's sheets compress some
/// 5 to 20 times as a whole).
const WORKBOOK_UNPACKED_PER_BYTE: u64 = 25;

/// What an upload is for: the kinds of file accepted and the limits it is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadUse {
    /// A ledger (台账): xlsx or csv, streamed from disk, the configured upload limits.
    Ledger,
    /// A 培训档案 or 考试记录 workbook: xlsx, read in memory.
    RecordsWorkbook,
    /// Evidence (佐证材料), an enforcement document or a 总结报告 attachment: images, PDF,
    /// Office files, at most the evidence size.
    Evidence,
    /// An attachment of a tip-off (举报): images and PDF, at most 5 MB.
    TipoffAttachment,
}

impl UploadUse {
    /// The kinds of file accepted.
    pub fn kinds(self) -> &'static [FileKind] {
        match self {
            UploadUse::Ledger => LEDGER_KINDS,
            UploadUse::RecordsWorkbook => WORKBOOK_KINDS,
            UploadUse::Evidence => crate::evidence::ALLOWED,
            UploadUse::TipoffAttachment => crate::pages::enforcement::tipoffs::PUBLIC_KINDS,
        }
    }

    /// The limits in force: the configured upload limits (zip-bomb limits included), the
    /// size capped as the use needs.
    pub fn limits(self, st: &crate::AppState) -> UploadLimits {
        match self {
            UploadUse::Ledger => st.config.upload_limits(),
            UploadUse::RecordsWorkbook => {
                let l = crate::evidence::limits(st);
                UploadLimits {
                    max_uncompressed_total: l
                        .max_uncompressed_total
                        .min(l.max_bytes.saturating_mul(WORKBOOK_UNPACKED_PER_BYTE)),
                    ..l
                }
            }
            UploadUse::Evidence => crate::evidence::limits(st),
            UploadUse::TipoffAttachment => UploadLimits {
                max_bytes: crate::pages::enforcement::tipoffs::ATTACHMENT_MAX,
                ..crate::evidence::limits(st)
            },
        }
    }
}

/// The check of an upload held in memory, before anything reads or keeps it: not empty,
/// within the use's size, its content of a kind the use accepts and agreeing with the
/// extension of `declared_name`, and a zip container within the zip-bomb limits. The
/// error's `Display` is the Chinese reason, naming the file.
pub fn check_upload(
    st: &crate::AppState,
    use_: UploadUse,
    declared_name: &str,
    bytes: &[u8],
) -> Result<FileKind, UploadError> {
    let r = sniff::check_upload(bytes, declared_name, use_.kinds(), &use_.limits(st));
    if let Err(e) = &r {
        tracing::info!(?use_, refusal = ?refusal_kind(e), "upload refused");
    }
    r
}

/// [`check_upload`] for a file received on disk, on a blocking thread (a text file is read
/// through to check its encoding).
pub async fn check_upload_file(
    use_: UploadUse,
    limits: UploadLimits,
    path: PathBuf,
    declared_name: String,
) -> Result<FileKind, UploadError> {
    let file = declared_name.clone();
    let r = tokio::task::spawn_blocking(move || {
        sniff::check_upload_path(&path, &declared_name, use_.kinds(), &limits)
    })
    .await
    .unwrap_or_else(|e| {
        Err(UploadError::Io {
            file,
            message: e.to_string(),
        })
    });
    if let Err(e) = &r {
        tracing::info!(?use_, refusal = ?refusal_kind(e), "upload refused");
    }
    r
}

/// The kind of a refusal, for the log (never the file's name: it may hold a person's).
fn refusal_kind(e: &UploadError) -> &'static str {
    match e {
        UploadError::Empty { .. } => "empty",
        UploadError::TooLarge { .. } => "too_large",
        UploadError::Mismatch { .. } | UploadError::NotClaimedKind { .. } => "type_mismatch",
        UploadError::BadExtension { .. } | UploadError::NotAllowed { .. } => "type_not_allowed",
        UploadError::Encrypted { .. } => "encrypted",
        UploadError::Corrupt { .. } => "corrupt",
        UploadError::ZipBomb { .. } => "zip_bomb",
        UploadError::Io { .. } => "io",
    }
}

/// Checks a ledger file received on disk before anything reads it ([`check_upload_file`]
/// for [`UploadUse::Ledger`]).
pub async fn check_ledger_file(
    path: PathBuf,
    declared_name: String,
    limits: UploadLimits,
) -> Result<FileKind, UploadError> {
    check_upload_file(UploadUse::Ledger, limits, path, declared_name).await
}

/// [`check_upload`] for an evidence file ([`UploadUse::Evidence`]), refused as the evidence
/// pages show a refusal: [`AppError::BadRequest`](crate::error::AppError::BadRequest) with
/// the Chinese reason. Evidence is kept by `evidence::stage`, after this.
pub fn screen_evidence(
    st: &crate::AppState,
    declared_name: &str,
    bytes: &[u8],
) -> Result<FileKind, crate::error::AppError> {
    let name = crate::evidence::clean_name(declared_name);
    check_upload(st, UploadUse::Evidence, &name, bytes)
        .map_err(|e| crate::error::AppError::BadRequest(e.to_string()))
}

/// [`check_upload`] for an upload of the 培训档案 and 考试记录 pages, whose refusals show on
/// the page: the status (413 over the size limit, 422 otherwise) and the Chinese reason.
pub fn screen_workbook(
    st: &crate::AppState,
    declared_name: &str,
    bytes: &[u8],
) -> Result<FileKind, (axum::http::StatusCode, String)> {
    use axum::http::StatusCode;
    check_upload(st, UploadUse::RecordsWorkbook, declared_name, bytes).map_err(|e| {
        let status = if matches!(e, UploadError::TooLarge { .. }) {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        (status, format!("{e}未导入任何内容。"))
    })
}

/// [`check_ledger_file`] for an upload of the import pages, refused as those pages show a
/// refusal: over the size limit 413, anything else (wrong type, renamed file, zip bomb)
/// with its Chinese reason.
pub async fn screen_upload(
    st: &crate::AppState,
    up: &crate::pages::ledger::imports::Upload,
) -> Result<FileKind, crate::pages::ledger::imports::Failure> {
    use crate::pages::ledger::imports::Failure;
    let limits = st.config.upload_limits();
    check_ledger_file(up.path.clone(), up.file_name.clone(), limits)
        .await
        .map_err(|e| match e {
            UploadError::TooLarge { .. } => Failure::TooLarge,
            UploadError::Io { message, .. } => Failure::Internal(crate::error::AppError::Internal(
                anyhow::anyhow!("upload check: {message}"),
            )),
            e => Failure::Refused(e.to_string()),
        })
}

/// The reference lists the reader checks rows against, from the store: those of the
/// importer's district (every district's for the city).
pub async fn load_reference(store: &Store, scope: &Scope) -> Result<Reference, StoreError> {
    let towns = reference::towns(store, scope)
        .await?
        .into_iter()
        .map(|t| t.name);
    let deps: Vec<(String, Vec<String>)> = reference::departments(store, scope)
        .await?
        .into_iter()
        .map(|(d, i)| (d.name, i))
        .collect();
    let districts = reference::districts(store, scope)
        .await?
        .into_iter()
        .map(|d| (d.code, d.name));
    Ok(Reference::new(towns, &deps).with_districts(districts))
}

enum Msg {
    Row(Table, usize, Row, Cells),
    Error(RowError),
    Warning(String),
    Header(SheetHeader),
}

/// Messages travel in batches: one hand-over between the threads per `SINK_BATCH` rows.
const SINK_BATCH: usize = 256;

struct ChannelSink {
    tx: mpsc::Sender<Vec<Msg>>,
    batch: Vec<Msg>,
    only: Select,
    skipped: usize,
}

impl ChannelSink {
    fn push(&mut self, msg: Msg) {
        self.batch.push(msg);
        if self.batch.len() >= SINK_BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.batch.is_empty() {
            let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(SINK_BATCH));
            let _ = self.tx.blocking_send(batch);
        }
    }
}

impl Sink for ChannelSink {
    fn row(&mut self, table: Table, row_no: usize, row: Row, cells: &[String]) {
        if !self.only.includes(table) {
            self.skipped += 1;
            return;
        }
        self.push(Msg::Row(table, row_no, row, Cells::new(cells)));
    }

    fn error(&mut self, err: RowError) {
        self.push(Msg::Error(err));
    }

    fn warning(&mut self, message: String) {
        self.push(Msg::Warning(message));
    }

    fn header(&mut self, header: SheetHeader) {
        if self.only.includes(header.table) {
            self.push(Msg::Header(header));
        }
    }
}

/// What an upload of `kind` is read as.
pub fn select(kind: ImportKind) -> Select {
    match (kind.table(), kind) {
        (Some(t), _) => Select::One(t),
        (None, ImportKind::Online) => Select::Online,
        (None, _) => Select::Ledger,
    }
}

/// Everything an ingest of one file needs.
pub struct FileIngest<'a> {
    pub store: &'a Store,
    pub scope: Scope,
    pub actor: &'a Actor,
    pub path: PathBuf,
    /// Only this table's rows (a single-table import), or every known sheet of the ledger or of
    /// the online logs: [`select`] of the import's kind.
    pub only: Select,
    pub mode: Mode,
    pub provenance: Provenance,
}

/// Where an import stands, shared between the import and whoever shows its progress (the
/// web page polls it). Counters only grow; every field is read without locking.
#[derive(Debug, Default)]
pub struct ImportProgress {
    stage: AtomicU8,
    /// Bytes of the upload received, and the request's declared length.
    received: AtomicU64,
    expected: AtomicU64,
    /// Rows handled by the ingest (stored, compared or rejected).
    rows: AtomicU64,
    /// Bytes of the file read by the reader, and the file's size.
    read: Arc<AtomicU64>,
    size: AtomicU64,
}

/// The stages of an import, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The upload is arriving.
    Receiving,
    /// The file is being checked (type, size) before it is read.
    Checking,
    /// Rows are being read, validated and compared with the database.
    Reading,
    /// Every row is read: committing the transaction (or rolling a dry run back).
    Finishing,
    Done,
    Failed,
}

impl Stage {
    const ALL: [Stage; 6] = [
        Stage::Receiving,
        Stage::Checking,
        Stage::Reading,
        Stage::Finishing,
        Stage::Done,
        Stage::Failed,
    ];
}

/// A moment's reading of an [`ImportProgress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressSnapshot {
    pub stage: Stage,
    pub received: u64,
    pub expected: u64,
    pub rows: u64,
    pub read: u64,
    pub size: u64,
}

impl ImportProgress {
    pub fn set_stage(&self, stage: Stage) {
        let i = Stage::ALL.iter().position(|s| *s == stage).unwrap_or(0);
        self.stage.store(i as u8, Ordering::Relaxed);
    }

    /// The upload's declared length (0: unknown).
    pub fn expect(&self, bytes: u64) {
        self.expected.store(bytes, Ordering::Relaxed);
    }

    pub fn add_received(&self, bytes: u64) {
        self.received.fetch_add(bytes, Ordering::Relaxed);
    }

    fn add_rows(&self, rows: u64) {
        self.rows.fetch_add(rows, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> ProgressSnapshot {
        let stage = Stage::ALL
            .get(usize::from(self.stage.load(Ordering::Relaxed)))
            .copied()
            .unwrap_or(Stage::Receiving);
        ProgressSnapshot {
            stage,
            received: self.received.load(Ordering::Relaxed),
            expected: self.expected.load(Ordering::Relaxed),
            rows: self.rows.load(Ordering::Relaxed),
            read: self.read.load(Ordering::Relaxed),
            size: self.size.load(Ordering::Relaxed),
        }
    }
}

/// Reads the file and ingests its rows in the scope, ending per the mode. `progress` is
/// called with the number of rows handled so far, every 20,000 rows.
pub async fn ingest_file(
    job: FileIngest<'_>,
    progress: impl FnMut(u64),
) -> Result<(IngestReport, &'static str), IngestFileError> {
    ingest(job, &ImportProgress::default(), progress).await
}

/// [`ingest_file`], keeping `progress` up to date as it goes (the stage, rows handled,
/// bytes of the file read); it ends in [`Stage::Done`] or [`Stage::Failed`].
pub async fn ingest_file_tracked(
    job: FileIngest<'_>,
    progress: &ImportProgress,
) -> Result<(IngestReport, &'static str), IngestFileError> {
    let r = ingest(job, progress, |_| {}).await;
    progress.set_stage(if r.is_ok() {
        Stage::Done
    } else {
        Stage::Failed
    });
    r
}

async fn ingest(
    job: FileIngest<'_>,
    tracker: &ImportProgress,
    mut progress: impl FnMut(u64),
) -> Result<(IngestReport, &'static str), IngestFileError> {
    let reference = load_reference(job.store, &job.scope).await?;
    if let Ok(m) = tokio::fs::metadata(&job.path).await {
        tracker.size.store(m.len(), Ordering::Relaxed);
    }
    tracker.set_stage(Stage::Reading);
    let (tx, mut rx) = mpsc::channel::<Vec<Msg>>(16);
    let (path, only) = (job.path.clone(), job.only);
    let read_bytes = tracker.read.clone();
    let reader = tokio::task::spawn_blocking(move || {
        let mut sink = ChannelSink {
            tx,
            batch: Vec::with_capacity(SINK_BATCH),
            only,
            skipped: 0,
        };
        let r = anpei_import::read_path_counted(&path, only, &reference, &mut sink, read_bytes);
        sink.flush();
        (r, sink.skipped)
    });
    let mut ingest = Ingest::begin(job.store, job.scope).await?;
    let mut n = 0u64;
    while let Some(batch) = rx.recv().await {
        let rows = batch
            .iter()
            .filter(|m| matches!(m, Msg::Row(..) | Msg::Error(_)));
        tracker.add_rows(rows.count() as u64);
        for msg in batch {
            match msg {
                Msg::Row(table, row_no, row, cells) => {
                    let rec = match (table, row) {
                        (Table::Subjects, Row::Subject(s)) => Some(LedgerRow::Subject(s)),
                        (Table::Persons, Row::Person(p)) => Some(LedgerRow::Person(p)),
                        (Table::Registry, Row::Certificate(c)) => Some(LedgerRow::Registry(c)),
                        (_, Row::Certificate(c)) => Some(LedgerRow::Certificate(c)),
                        (_, Row::Training(t)) => Some(LedgerRow::Training(t)),
                        (_, Row::Session(r)) => Some(LedgerRow::Session(r)),
                        (_, Row::FaceCheck(r)) => Some(LedgerRow::FaceCheck(r)),
                        (_, Row::Course(r)) => Some(LedgerRow::Course(r)),
                        (_, Row::OnlineExam(r)) => Some(LedgerRow::OnlineExam(r)),
                        _ => None,
                    };
                    match rec {
                        Some(rec) => ingest.push(row_no, rec, cells).await?,
                        None => ingest
                            .warning(format!("{}表中出现了不属于该表的行，已忽略", table.sheet())),
                    }
                    n += 1;
                    if n.is_multiple_of(20_000) {
                        progress(n);
                    }
                }
                Msg::Error(e) => ingest.parse_error(e),
                Msg::Warning(w) => ingest.warning(w),
                Msg::Header(h) => ingest.header(h),
            }
        }
    }
    let (read, skipped) = reader
        .await
        .map_err(|e| IngestFileError::Thread(e.to_string()))?;
    // A file-level failure: nothing is stored (the transaction is dropped unused).
    read?;
    if skipped > 0 {
        ingest.warning(format!(
            "工作簿中其他工作表的 {skipped} 行未导入（本次只导入{}）",
            only.sheet_names()
        ));
    }
    tracker.set_stage(Stage::Finishing);
    let (mut report, outcome) = ingest.finish(job.actor, job.mode, &job.provenance).await?;
    // Online-training logs stored: their checks run again at once, so the importer's findings
    // are there when the report is read.
    // The rows are committed by now: a check that fails is said, not made the import's error.
    if only == Select::Online && matches!(outcome, "stored" | "partial") {
        match anpei_store::ledger::scan::recheck_online(job.store, job.actor, &job.scope).await {
            Ok(m) => report.warnings.push(format!(
                "网络培训检查已重新运行：新发现问题线索{}条，仍存在{}条，已消除{}条",
                m.new, m.still_open, m.resolved
            )),
            Err(e) => {
                tracing::error!(error = %e, "online re-check after an import failed");
                report
                    .warnings
                    .push("日志已导入，但网络培训检查未能立即运行，将在每日扫描时运行".to_string());
            }
        }
    }
    Ok((report, outcome))
}
