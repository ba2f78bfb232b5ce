//! Streams a ledger file through the validating reader into one ingest: the reader runs on a
//! blocking thread and hands rows over a bounded channel, so memory stays bounded whatever
//! the file's size. Shared by the web upload and the `anpei import` command.

use anpei_core::ledger::{RowError, Table};
use anpei_import::sniff::{self, FileKind, UploadError, UploadLimits};
use anpei_import::{ImportError, Reference, Row, Sink};
use anpei_store::audit::Actor;
use anpei_store::ledger::ingest::Cells;
use anpei_store::ledger::{Ingest, IngestReport, Mode, Provenance};
use anpei_store::{reference, Scope, Store, StoreError};
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

/// Checks a ledger file received on disk before anything reads it (等保: size, type by
/// content agreeing with the name's extension, zip-bomb limits read from the central
/// directory — nothing is decompressed), on a blocking thread.
pub async fn check_ledger_file(
    path: PathBuf,
    declared_name: String,
    limits: UploadLimits,
) -> Result<FileKind, UploadError> {
    let file = declared_name.clone();
    tokio::task::spawn_blocking(move || {
        sniff::check_upload_path(&path, &declared_name, LEDGER_KINDS, &limits)
    })
    .await
    .unwrap_or_else(|e| {
        Err(UploadError::Io {
            file,
            message: e.to_string(),
        })
    })
}

/// [`check_ledger_file`] for an upload of the import pages, refused as those pages show a
/// refusal: over the size limit 413, anything else (wrong type, renamed file, zip bomb)
/// with its Chinese reason.
pub async fn screen_upload(
    st: &crate::AppState,
    up: &crate::pages::imports::Upload,
) -> Result<FileKind, crate::pages::imports::Failure> {
    use crate::pages::imports::Failure;
    let limits = st.config.upload_limits();
    check_ledger_file(up.path.clone(), up.file_name.clone(), limits)
        .await
        .map_err(|e| match e {
            UploadError::TooLarge { .. } => Failure::TooLarge,
            UploadError::Io { message, .. } => Failure::Internal(crate::error::AppError::Internal(
                format!("upload check: {message}"),
            )),
            e => Failure::Refused(e.to_string()),
        })
}

/// The reference lists the reader checks rows against, from the store.
pub async fn load_reference(store: &Store) -> Result<Reference, StoreError> {
    let towns = reference::towns(store).await?.into_iter().map(|t| t.name);
    let deps: Vec<(String, Vec<String>)> = reference::departments(store)
        .await?
        .into_iter()
        .map(|(d, i)| (d.name, i))
        .collect();
    Ok(Reference::new(towns, &deps))
}

enum Msg {
    Row(Table, usize, Row, Cells),
    Error(RowError),
    Warning(String),
}

/// Messages travel in batches: one hand-over between the threads per `SINK_BATCH` rows.
const SINK_BATCH: usize = 256;

struct ChannelSink {
    tx: mpsc::Sender<Vec<Msg>>,
    batch: Vec<Msg>,
    only: Option<Table>,
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
        if self.only.is_some_and(|t| t != table) {
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
}

/// Everything an ingest of one file needs.
pub struct FileIngest<'a> {
    pub store: &'a Store,
    pub scope: Scope,
    pub actor: &'a Actor,
    pub path: PathBuf,
    /// Only this table's rows (a single-table import), or every known sheet.
    pub only: Option<Table>,
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
    let reference = load_reference(job.store).await?;
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
        let rows = batch.iter().filter(|m| !matches!(m, Msg::Warning(_)));
        tracker.add_rows(rows.count() as u64);
        for msg in batch {
            match msg {
                Msg::Row(table, row_no, row, cells) => {
                    match (table, row) {
                        (Table::Subjects, Row::Subject(s)) => {
                            ingest.subject(row_no, s, cells).await?
                        }
                        (Table::Persons, Row::Person(p)) => ingest.person(row_no, p, cells).await?,
                        (Table::Registry, Row::Certificate(c)) => {
                            ingest.registry(row_no, c, cells).await?
                        }
                        (_, Row::Certificate(c)) => ingest.certificate(row_no, c, cells).await?,
                        (_, Row::Training(t)) => ingest.training(row_no, t, cells).await?,
                        (t, _) => {
                            ingest.warning(format!("{}表中出现了不属于该表的行，已忽略", t.sheet()))
                        }
                    }
                    n += 1;
                    if n.is_multiple_of(20_000) {
                        progress(n);
                    }
                }
                Msg::Error(e) => ingest.parse_error(e),
                Msg::Warning(w) => ingest.warning(w),
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
            only.map_or("", |t| t.sheet())
        ));
    }
    tracker.set_stage(Stage::Finishing);
    Ok(ingest.finish(job.actor, job.mode, &job.provenance).await?)
}
