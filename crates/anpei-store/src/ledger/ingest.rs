//! Bulk ingestion of ledger rows inside one write transaction. Rows arrive table by table
//! (单位 → 人员 → 证书 → 培训, and 登记库), are buffered, and each batch is resolved against
//! the database: references (employer, holder) must exist in the file or the database and lie
//! in the importer's scope; natural keys decide insert, update or unchanged. Every row read is
//! counted exactly once: read = inserted + updated + unchanged + rejected.

use super::resolve::Names;
use crate::entity::{certificate, import, person, registry, subject, training};
use crate::ledger::bulk::{coded, date, datetime, insert_shaped, usual, Bind, Shape};
use crate::platform::audit::{self, Actor, Event};
use crate::scope::Scope;
use crate::Reach;
use crate::{Store, StoreError, StoreResult, WriteTxn};
use anpei_core::kinds::SPECIAL_OP_CATEGORIES;
use anpei_core::ledger::{
    CertificateRecord, PersonRecord, RowError, SubjectRecord, Table, TrainingRecord,
};
use anpei_core::mask::{mask_id, mask_phone};
use anpei_core::{CertType, Post, SubjectKind, TrainingForm, TrainingType};
use chrono::{NaiveDateTime, Timelike};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QuerySelect, Set, Value,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

const BATCH: usize = 2000;

/// How training rows are inserted (see `flush_trainings` for the values of a row).
static TRAINING_ROWS: LazyLock<Shape> = LazyLock::new(|| {
    Shape::new(
        "trainings",
        vec![
            ("person_id", Bind::Value),
            ("subject_id", Bind::Value),
            ("training_type", Bind::Coded(TRAINING_TYPES.to_vec())),
            ("form", Bind::Coded(TRAINING_FORMS.to_vec())),
            ("start_at", Bind::Value),
            ("end_at", Bind::Value),
            ("theory_hours", Bind::Value),
            ("practical_hours", Bind::Value),
            ("institution", Bind::Value),
            ("score", Bind::Value),
            ("result", Bind::Usual(USUAL_RESULTS.to_vec())),
            ("created_at", Bind::Value),
        ],
    )
});

/// How person rows are inserted (see `flush_persons`).
static PERSON_ROWS: LazyLock<Shape> = LazyLock::new(|| {
    Shape::new(
        "persons",
        vec![
            ("subject_id", Bind::Value),
            ("name", Bind::Value),
            ("id_enc", Bind::Value),
            ("id_bidx", Bind::Value),
            ("id_masked", Bind::Value),
            ("phone_enc", Bind::Value),
            ("phone_masked", Bind::Value),
            ("post", Bind::Coded(POSTS.clone())),
            ("special_category", Bind::Usual(CATEGORIES.clone())),
            ("appointed_on", Bind::Value),
            ("created_at", Bind::Value),
            ("updated_at", Bind::Value),
        ],
    )
});

/// How certificate rows are inserted (see `flush_certificates`).
static CERTIFICATE_ROWS: LazyLock<Shape> = LazyLock::new(|| {
    Shape::new(
        "certificates",
        vec![
            ("person_id", Bind::Value),
            ("cert_type", Bind::Coded(CERT_TYPES.clone())),
            ("cert_no_enc", Bind::Value),
            ("cert_no_masked", Bind::Value),
            ("cert_no_bidx", Bind::Value),
            ("category", Bind::Usual(CATEGORIES.clone())),
            ("operation_item", Bind::Usual(OPERATION_ITEMS.clone())),
            ("first_issued", Bind::Value),
            ("valid_from", Bind::Value),
            ("valid_until", Bind::Value),
            ("review_due", Bind::Value),
            ("reviewed_on", Bind::Value),
            ("issuer", Bind::Value),
            ("created_at", Bind::Value),
        ],
    )
});

/// How registry rows are inserted (see `flush_registry`).
static REGISTRY_ROWS: LazyLock<Shape> = LazyLock::new(|| {
    Shape::new(
        "registry_entries",
        vec![
            ("cert_type", Bind::Coded(CERT_TYPES.clone())),
            ("cert_no_enc", Bind::Value),
            ("cert_no_bidx", Bind::Value),
            ("cert_no_masked", Bind::Value),
            ("holder_bidx", Bind::Value),
            ("holder_masked", Bind::Value),
            ("name", Bind::Value),
            ("category", Bind::Usual(CATEGORIES.clone())),
            ("operation_item", Bind::Usual(OPERATION_ITEMS.clone())),
            ("first_issued", Bind::Value),
            ("valid_from", Bind::Value),
            ("valid_until", Bind::Value),
            ("review_due", Bind::Value),
            ("reviewed_on", Bind::Value),
            ("issuer", Bind::Value),
            ("created_at", Bind::Value),
            ("updated_at", Bind::Value),
        ],
    )
});

static POSTS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| Post::ALL.iter().map(|p| p.code()).collect());
static CERT_TYPES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| CertType::ALL.iter().map(|t| t.code()).collect());
/// The special-operation categories (作业类别) and their 操作项目, as imports store them.
static CATEGORIES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| SPECIAL_OP_CATEGORIES.iter().map(|c| c.name).collect());
static OPERATION_ITEMS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut items: Vec<&'static str> = SPECIAL_OP_CATEGORIES
        .iter()
        .flat_map(|c| c.items.iter().copied())
        .collect();
    items.sort_unstable();
    items.dedup();
    items
});
static TRAINING_TYPES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| TrainingType::ALL.iter().map(|t| t.code()).collect());
static TRAINING_FORMS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| TrainingForm::ALL.iter().map(|t| t.code()).collect());
/// 考核结果 as ledgers mostly write it.
const USUAL_RESULTS: [&str; 2] = ["合格", "不合格"];

/// Per-table counts of one import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub read: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

impl Counts {
    pub fn reconciles(&self) -> bool {
        self.read == self.inserted + self.updated + self.unchanged + self.rejected
    }
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    pub counts: BTreeMap<Table, Counts>,
    pub rejections: Vec<RowError>,
    pub warnings: Vec<String>,
}

impl IngestReport {
    /// Rejected rows kept with their cells for the error report; the rest are counted only,
    /// so that a file of junk cannot grow the server without bound.
    pub const KEEP_REJECTIONS: usize = 5000;
    pub const KEEP_WARNINGS: usize = 1000;

    pub fn rejected(&self) -> u64 {
        self.counts.values().map(|c| c.rejected).sum()
    }

    /// Rejections counted but not kept (beyond [`Self::KEEP_REJECTIONS`]).
    pub fn rejections_dropped(&self) -> u64 {
        self.rejected().saturating_sub(self.rejections.len() as u64)
    }

    fn keep(&mut self, e: RowError) {
        if self.rejections.len() < Self::KEEP_REJECTIONS {
            self.rejections.push(e);
        }
    }

    pub fn counts_json(&self) -> String {
        let m: BTreeMap<&str, Counts> = self.counts.iter().map(|(t, c)| (t.sheet(), *c)).collect();
        serde_json::to_string(&m).unwrap_or_default()
    }
}

/// How an import ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Store the valid rows.
    Normal,
    /// Store nothing if any row is rejected.
    Strict,
    /// Validate against the database, store nothing.
    DryRun,
}

impl Mode {
    fn code(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Strict => "strict",
            Mode::DryRun => "dry-run",
        }
    }
}

/// Where the file came from, for the import history and the audit log.
#[derive(Debug, Clone)]
pub struct Provenance {
    pub file_name: String,
    pub sha256: String,
    /// ledger, subjects, persons, certificates, training, registry.
    pub kind: String,
}

/// The original cells of a row, for the error report should the row be rejected: kept
/// joined in one string (one allocation a row), split again only for a rejected row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cells(String);

const SEP: char = '\u{1f}';

impl Cells {
    pub fn new(cells: &[String]) -> Cells {
        let mut joined = String::with_capacity(cells.iter().map(|c| c.len() + 1).sum());
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                joined.push(SEP);
            }
            joined.push_str(c);
        }
        Cells(joined)
    }

    fn split(self) -> Vec<String> {
        if self.0.is_empty() {
            Vec::new()
        } else {
            self.0.split(SEP).map(String::from).collect()
        }
    }
}

impl From<Vec<String>> for Cells {
    fn from(cells: Vec<String>) -> Cells {
        Cells::new(&cells)
    }
}

struct Pending<T> {
    row: usize,
    rec: T,
    cells: Cells,
}

/// The natural keys (person, start, end, type) of the training rows of this import, each
/// with the row that had it first. A key packs into 128 bits when its times are whole
/// seconds from 1900 on (all but odd ones), which hashes in one go and takes a third of
/// the room of the whole key; the others are kept whole.
#[derive(Default)]
struct SeenTrainings {
    packed: HashMap<u128, usize>,
    whole: HashMap<(i32, NaiveDateTime, NaiveDateTime, TrainingType), usize>,
}

impl SeenTrainings {
    /// The row that first had this key; none if this is the first (which `row` now is).
    fn first(
        &mut self,
        person: i32,
        start: NaiveDateTime,
        end: NaiveDateTime,
        ty: TrainingType,
        row: usize,
    ) -> Option<usize> {
        use std::collections::hash_map::Entry;
        match pack_training_key(person, start, end, ty) {
            Some(k) => match self.packed.entry(k) {
                Entry::Occupied(e) => Some(*e.get()),
                Entry::Vacant(e) => {
                    e.insert(row);
                    None
                }
            },
            None => match self.whole.entry((person, start, end, ty)) {
                Entry::Occupied(e) => Some(*e.get()),
                Entry::Vacant(e) => {
                    e.insert(row);
                    None
                }
            },
        }
    }
}

/// person (32 bits) | type (8) | start (44) | end (44), the times in whole seconds from
/// 1900-01-01; none for a time with a fraction of a second or outside 1900 … 559,000.
fn pack_training_key(
    person: i32,
    start: NaiveDateTime,
    end: NaiveDateTime,
    ty: TrainingType,
) -> Option<u128> {
    const FROM_1900: i64 = 2_208_988_800;
    let secs = |t: NaiveDateTime| -> Option<u128> {
        let s = t.and_utc().timestamp().checked_add(FROM_1900)?;
        (t.nanosecond() == 0 && (0..1 << 44).contains(&s)).then_some(s as u128)
    };
    let ty = TrainingType::ALL.iter().position(|t| *t == ty)? as u128;
    Some(u128::from(person as u32) << 96 | (ty & 0xff) << 88 | secs(start)? << 44 | secs(end)?)
}

/// An import in progress.
pub struct Ingest<'a> {
    store: &'a Store,
    /// Shared with the insert in flight (see `dispatch`).
    txn: std::sync::Arc<WriteTxn>,
    /// The last batch's insert, a task of its own (its statements run on the driver's
    /// thread while this one prepares the next batch); settled before any other use of the
    /// transaction.
    pending: Option<tokio::task::JoinHandle<StoreResult<()>>>,
    /// Persons inserted whose ids have not been read back yet (read when first needed).
    unresolved: HashSet<String>,
    /// Batches that had to look persons up in the database; from the second one on, the
    /// whole person index is read once instead (big imports), see `resolve_persons`.
    person_lookups: usize,
    /// The whole person index is in `persons`: only persons inserted since can be missing.
    persons_loaded: bool,
    scope: Scope,
    names: Names,
    now: i64,
    subjects: HashMap<String, (i32, i32, i32)>,
    /// The person rows of each ID number's blind index: one per employer that recorded him.
    persons: HashMap<String, Vec<Holder>>,
    /// The employer of each ID number in this import's person rows (the last one read): a
    /// certificate row, which names no employer, belongs to that row.
    imported_persons: HashMap<String, i32>,
    /// What the updates of this import changed, for the audit entry (the first few).
    changes: Changes,
    seen: HashMap<Table, HashMap<String, usize>>,
    seen_trainings: SeenTrainings,
    /// Tables that held no row when the import began: no row of them can exist but those
    /// this import inserts (which the duplicate checks track), so batches skip the lookup.
    empty_at_start: HashSet<Table>,
    subject_buf: Vec<Pending<SubjectRecord>>,
    person_buf: Vec<Pending<PersonRecord>>,
    cert_buf: Vec<Pending<CertificateRecord>>,
    registry_buf: Vec<Pending<CertificateRecord>>,
    training_buf: Vec<Pending<TrainingRecord>>,
    report: IngestReport,
}

fn reject(
    report: &mut IngestReport,
    table: Table,
    row: usize,
    column: &str,
    reason: String,
    cells: Cells,
) {
    report.counts.entry(table).or_default().rejected += 1;
    report.keep(RowError {
        sheet: table.sheet().into(),
        row,
        column: column.into(),
        reason,
        cells: cells.split(),
    });
}

/// One employer's row of a worker, as the import resolves references to it.
#[derive(Debug, Clone)]
struct Holder {
    id: i32,
    subject: i32,
    name: String,
}

/// Adds `h` to the rows of its ID number unless that row is there already.
fn add_holder(persons: &mut HashMap<String, Vec<Holder>>, bidx: String, h: Holder) {
    let rows = persons.entry(bidx).or_default();
    match rows.iter_mut().find(|r| r.id == h.id) {
        Some(r) => *r = h,
        None => rows.push(h),
    }
}

/// The fields an update changed, masked where personal, as `名称：旧 → 新`.
#[derive(Debug, Default)]
struct Changes {
    lines: Vec<String>,
    total: u64,
}

impl Changes {
    const KEEP: usize = 200;

    fn record(&mut self, what: String, fields: &[(&str, String, String)]) {
        let changed: Vec<String> = fields
            .iter()
            .filter(|(_, a, b)| a != b)
            .map(|(n, a, b)| format!("{n}：{} → {}", shown(a), shown(b)))
            .collect();
        if changed.is_empty() {
            return;
        }
        self.total += 1;
        if self.lines.len() < Self::KEEP {
            self.lines.push(format!("{what}（{}）", changed.join("；")));
        }
    }

    fn summary(&self) -> String {
        if self.total == 0 {
            return String::new();
        }
        let more = self.total - self.lines.len() as u64;
        let tail = if more > 0 {
            format!("；另有{more}条变更未列出")
        } else {
            String::new()
        };
        format!(" 变更：{}{tail}", self.lines.join("；"))
    }
}

fn shown(v: &str) -> &str {
    if v.is_empty() {
        "（空）"
    } else {
        v
    }
}

/// The Chinese name of a stored code (the audit is read by people), the code itself should
/// an old row hold one no longer in the vocabulary.
fn label(known: Option<&'static str>, code: &str) -> String {
    known.map_or_else(|| code.to_string(), str::to_string)
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn opt_date(v: &Option<chrono::NaiveDate>) -> String {
    v.map(|d| d.to_string()).unwrap_or_default()
}

fn opt_num(v: &Option<f64>) -> String {
    v.map(|d| d.to_string()).unwrap_or_default()
}

/// Said of a row whose employer is unknown or outside the importer's scope: one message
/// for both, so that an import cannot tell whether a company exists.
const NO_SUCH_EMPLOYER: &str = "单位不存在或不在您的管辖范围内";

impl<'a> Ingest<'a> {
    pub async fn begin(store: &'a Store, scope: Scope) -> StoreResult<Ingest<'a>> {
        let names = Names::load(store).await?;
        let txn = store.write().await?;
        let subjects = subject::Entity::find()
            .select_only()
            .columns([
                subject::Column::Uscc,
                subject::Column::Id,
                subject::Column::TownId,
                subject::Column::DepartmentId,
            ])
            .into_tuple::<(String, i32, i32, i32)>()
            .all(&*txn)
            .await?
            .into_iter()
            .map(|(u, id, t, d)| (u, (id, t, d)))
            .collect();
        let mut empty_at_start = HashSet::new();
        if person::Entity::find().count(&*txn).await? == 0 {
            empty_at_start.insert(Table::Persons);
        }
        if certificate::Entity::find().count(&*txn).await? == 0 {
            empty_at_start.insert(Table::Certificates);
        }
        if training::Entity::find().count(&*txn).await? == 0 {
            empty_at_start.insert(Table::Trainings);
        }
        if registry::Entity::find().count(&*txn).await? == 0 {
            empty_at_start.insert(Table::Registry);
        }
        Ok(Ingest {
            store,
            txn: std::sync::Arc::new(txn),
            pending: None,
            unresolved: HashSet::new(),
            person_lookups: 0,
            persons_loaded: false,
            scope,
            names,
            now: store.now(),
            subjects,
            persons: HashMap::new(),
            imported_persons: HashMap::new(),
            changes: Changes::default(),
            seen: HashMap::new(),
            seen_trainings: SeenTrainings::default(),
            empty_at_start,
            subject_buf: Vec::new(),
            person_buf: Vec::new(),
            cert_buf: Vec::new(),
            registry_buf: Vec::new(),
            training_buf: Vec::new(),
            report: IngestReport::default(),
        })
    }

    /// Waits for the insert in flight, if any.
    async fn settle(&mut self) -> StoreResult<()> {
        match self.pending.take() {
            Some(insert) => insert.await.map_err(|e| {
                StoreError::Db(sea_orm::DbErr::Custom(format!("导入写入任务异常结束：{e}")))
            })?,
            None => Ok(()),
        }
    }

    /// The transaction, once the insert in flight has finished.
    async fn settled(&mut self) -> StoreResult<std::sync::Arc<WriteTxn>> {
        self.settle().await?;
        Ok(self.txn.clone())
    }

    /// Starts inserting `rows` and returns without waiting: the insert runs as a task of
    /// its own, its statements on the driver's worker thread, while this task prepares the
    /// next batch. (In a single-threaded runtime it runs when this task next waits.)
    async fn dispatch<A, E>(&mut self, rows: Vec<A>) -> StoreResult<()>
    where
        E: EntityTrait<ActiveModel = A>,
        A: ActiveModelTrait<Entity = E> + Send + 'static,
    {
        self.settle().await?;
        if rows.is_empty() {
            return Ok(());
        }
        let txn = self.txn.clone();
        self.pending = Some(tokio::spawn(async move {
            crate::ledger::bulk::insert_models(&**txn, rows).await
        }));
        Ok(())
    }

    /// [`Self::dispatch`] for rows already turned into values, [`Shape::params`] a row.
    async fn dispatch_values(
        &mut self,
        shape: &'static Shape,
        values: Vec<Value>,
    ) -> StoreResult<()> {
        self.settle().await?;
        if values.is_empty() {
            return Ok(());
        }
        let txn = self.txn.clone();
        self.pending = Some(tokio::spawn(async move {
            insert_shaped(&**txn, shape, values).await
        }));
        Ok(())
    }

    fn subject_in_scope(&self, town: i32, dep: i32, id: Option<i32>) -> bool {
        match self.scope.reach() {
            Reach::All => true,
            Reach::Town(t) => t == town,
            Reach::Department(d) => d == dep,
            Reach::Subject(s) => id == Some(s),
            Reach::Nothing => false,
        }
    }

    /// Refuses a second row with the same natural key in one import.
    fn duplicate(&mut self, table: Table, key: &str, row: usize) -> Option<usize> {
        let seen = self.seen.entry(table).or_default();
        match seen.get(key) {
            Some(first) => Some(*first),
            None => {
                seen.insert(key.to_string(), row);
                None
            }
        }
    }

    /// A row the reader already rejected.
    pub fn parse_error(&mut self, e: RowError) {
        let table = Table::from_sheet(&e.sheet).unwrap_or(Table::Subjects);
        let c = self.report.counts.entry(table).or_default();
        c.read += 1;
        c.rejected += 1;
        self.report.keep(e);
    }

    pub fn warning(&mut self, w: String) {
        if self.report.warnings.len() < IngestReport::KEEP_WARNINGS {
            self.report.warnings.push(w);
        }
    }

    pub async fn subject(
        &mut self,
        row: usize,
        rec: SubjectRecord,
        cells: impl Into<Cells>,
    ) -> StoreResult<()> {
        self.flush_except(Table::Subjects).await?;
        self.subject_buf.push(Pending {
            row,
            rec,
            cells: cells.into(),
        });
        self.flush_if_full(Table::Subjects).await
    }

    pub async fn person(
        &mut self,
        row: usize,
        rec: PersonRecord,
        cells: impl Into<Cells>,
    ) -> StoreResult<()> {
        self.flush_except(Table::Persons).await?;
        self.person_buf.push(Pending {
            row,
            rec,
            cells: cells.into(),
        });
        self.flush_if_full(Table::Persons).await
    }

    pub async fn certificate(
        &mut self,
        row: usize,
        rec: CertificateRecord,
        cells: impl Into<Cells>,
    ) -> StoreResult<()> {
        self.flush_except(Table::Certificates).await?;
        self.cert_buf.push(Pending {
            row,
            rec,
            cells: cells.into(),
        });
        self.flush_if_full(Table::Certificates).await
    }

    pub async fn registry(
        &mut self,
        row: usize,
        rec: CertificateRecord,
        cells: impl Into<Cells>,
    ) -> StoreResult<()> {
        self.flush_except(Table::Registry).await?;
        self.registry_buf.push(Pending {
            row,
            rec,
            cells: cells.into(),
        });
        self.flush_if_full(Table::Registry).await
    }

    pub async fn training(
        &mut self,
        row: usize,
        rec: TrainingRecord,
        cells: impl Into<Cells>,
    ) -> StoreResult<()> {
        self.flush_except(Table::Trainings).await?;
        self.training_buf.push(Pending {
            row,
            rec,
            cells: cells.into(),
        });
        self.flush_if_full(Table::Trainings).await
    }

    fn buffered(&self, table: Table) -> usize {
        match table {
            Table::Subjects => self.subject_buf.len(),
            Table::Persons => self.person_buf.len(),
            Table::Certificates => self.cert_buf.len(),
            Table::Trainings => self.training_buf.len(),
            Table::Registry => self.registry_buf.len(),
        }
    }

    async fn flush(&mut self, table: Table) -> StoreResult<()> {
        match table {
            Table::Subjects => self.flush_subjects().await,
            Table::Persons => self.flush_persons().await,
            Table::Certificates => self.flush_certificates().await,
            Table::Trainings => self.flush_trainings().await,
            Table::Registry => self.flush_registry().await,
        }
    }

    async fn flush_if_full(&mut self, table: Table) -> StoreResult<()> {
        if self.buffered(table) >= BATCH {
            self.flush(table).await?;
        }
        Ok(())
    }

    /// Rows of later tables refer to earlier ones: flush every other table's buffer first.
    async fn flush_except(&mut self, keep: Table) -> StoreResult<()> {
        for table in Table::ALL {
            if table != keep && self.buffered(table) > 0 {
                self.flush(table).await?;
            }
        }
        Ok(())
    }

    async fn flush_subjects(&mut self) -> StoreResult<()> {
        // Subjects are few and their ids are read back at once: no overlap needed.
        self.settle().await?;
        let batch = std::mem::take(&mut self.subject_buf);
        let usccs: Vec<String> = batch.iter().map(|p| p.rec.uscc.to_string()).collect();
        let existing: HashMap<String, subject::Model> = subject::Entity::find()
            .filter(subject::Column::Uscc.is_in(usccs))
            .all(&**self.txn)
            .await?
            .into_iter()
            .map(|m| (m.uscc.clone(), m))
            .collect();
        let mut inserts = Vec::new();
        for Pending { row, rec, cells } in batch {
            self.report.counts.entry(Table::Subjects).or_default().read += 1;
            let uscc = rec.uscc.to_string();
            if let Some(first) = self.duplicate(Table::Subjects, &uscc, row) {
                reject(
                    &mut self.report,
                    Table::Subjects,
                    row,
                    "统一社会信用代码",
                    format!("与第{first}行重复"),
                    cells,
                );
                continue;
            }
            let Some(town) = self.names.towns.get(&rec.town).copied() else {
                reject(
                    &mut self.report,
                    Table::Subjects,
                    row,
                    "所属镇街",
                    format!("“{}”不是本区的镇街", rec.town),
                    cells,
                );
                continue;
            };
            let Some(dep) = self
                .names
                .department_for(rec.department.as_deref(), rec.industry.as_deref())
            else {
                reject(
                    &mut self.report,
                    Table::Subjects,
                    row,
                    "行业主管部门",
                    "无法确定行业主管部门".into(),
                    cells,
                );
                continue;
            };
            let old = existing.get(&uscc);
            if !self.subject_in_scope(town, dep, old.map(|o| o.id))
                || old
                    .is_some_and(|o| !self.subject_in_scope(o.town_id, o.department_id, Some(o.id)))
            {
                reject(
                    &mut self.report,
                    Table::Subjects,
                    row,
                    "统一社会信用代码",
                    "该单位不在您的管辖范围内".into(),
                    cells,
                );
                continue;
            }
            // A subject keeps its own contact details; where it is supervised, and as what,
            // is for its supervisors to change.
            if let (Reach::Subject(_), Some(o)) = (self.scope.reach(), old) {
                let moved = [
                    ("单位类型", o.kind != rec.kind.code()),
                    ("所属镇街", o.town_id != town),
                    ("行业", o.industry != rec.industry),
                    ("行业主管部门", o.department_id != dep),
                ];
                let fields: Vec<&str> = moved.iter().filter(|m| m.1).map(|m| m.0).collect();
                if let Some(first) = fields.first() {
                    reject(
                        &mut self.report,
                        Table::Subjects,
                        row,
                        first,
                        format!("{}只能由监管部门变更，单位用户不能修改", fields.join("、")),
                        cells,
                    );
                    continue;
                }
            }
            let phone = rec.contact_phone.clone();
            match old {
                Some(o) => {
                    let old_phone = o
                        .contact_phone_enc
                        .as_deref()
                        .and_then(|e| self.store.crypto.decrypt(e).ok());
                    let same = o.name == rec.name
                        && o.kind == rec.kind.code()
                        && o.industry == rec.industry
                        && o.department_id == dep
                        && o.town_id == town
                        && o.address == rec.address
                        && o.contact_name == rec.contact_name
                        && old_phone == phone;
                    if same {
                        self.report
                            .counts
                            .entry(Table::Subjects)
                            .or_default()
                            .unchanged += 1;
                    } else {
                        let town_name = |id: i32| self.names.town_name(id).unwrap_or_default();
                        let dep_name = |id: i32| self.names.department_name(id).unwrap_or_default();
                        self.changes.record(
                            format!("单位 {}", o.uscc),
                            &[
                                ("单位名称", o.name.clone(), rec.name.clone()),
                                (
                                    "单位类型",
                                    label(
                                        SubjectKind::from_code(&o.kind).map(SubjectKind::label),
                                        &o.kind,
                                    ),
                                    rec.kind.label().to_string(),
                                ),
                                ("行业", opt(&o.industry), opt(&rec.industry)),
                                ("行业主管部门", dep_name(o.department_id), dep_name(dep)),
                                ("所属镇街", town_name(o.town_id), town_name(town)),
                                ("地址", opt(&o.address), opt(&rec.address)),
                                ("联系人", opt(&o.contact_name), opt(&rec.contact_name)),
                                (
                                    "联系电话",
                                    old_phone.as_deref().map(mask_phone).unwrap_or_default(),
                                    phone.as_deref().map(mask_phone).unwrap_or_default(),
                                ),
                            ],
                        );
                        let mut am = o.clone().into_active_model();
                        am.name = Set(rec.name);
                        am.kind = Set(rec.kind.code().into());
                        am.industry = Set(rec.industry);
                        am.department_id = Set(dep);
                        am.town_id = Set(town);
                        am.address = Set(rec.address);
                        am.contact_name = Set(rec.contact_name);
                        am.contact_phone_enc =
                            Set(phone.as_deref().map(|p| self.store.crypto.encrypt(p)));
                        am.contact_phone_masked = Set(phone.as_deref().map(mask_phone));
                        am.updated_at = Set(self.now);
                        self.settle().await?;
                        am.update(&**self.txn).await?;
                        self.subjects.insert(uscc, (o.id, town, dep));
                        self.report
                            .counts
                            .entry(Table::Subjects)
                            .or_default()
                            .updated += 1;
                    }
                }
                None => {
                    inserts.push(subject::ActiveModel {
                        id: NotSet,
                        uscc: Set(uscc),
                        name: Set(rec.name),
                        kind: Set(rec.kind.code().into()),
                        industry: Set(rec.industry),
                        department_id: Set(dep),
                        town_id: Set(town),
                        address: Set(rec.address),
                        contact_name: Set(rec.contact_name),
                        contact_phone_enc: Set(phone
                            .as_deref()
                            .map(|p| self.store.crypto.encrypt(p))),
                        contact_phone_masked: Set(phone.as_deref().map(mask_phone)),
                        status: Set("normal".into()),
                        created_at: Set(self.now),
                        updated_at: Set(self.now),
                    });
                }
            }
        }
        let n = inserts.len() as u64;
        let new_usccs: Vec<String> = inserts
            .iter()
            .filter_map(|a| a.uscc.try_as_ref().cloned())
            .collect();
        self.dispatch(inserts).await?;
        self.report
            .counts
            .entry(Table::Subjects)
            .or_default()
            .inserted += n;
        if n > 0 {
            let ids = subject::Entity::find()
                .select_only()
                .columns([
                    subject::Column::Uscc,
                    subject::Column::Id,
                    subject::Column::TownId,
                    subject::Column::DepartmentId,
                ])
                .filter(subject::Column::Uscc.is_in(new_usccs))
                .into_tuple::<(String, i32, i32, i32)>()
                .all(&**self.settled().await?)
                .await?;
            for (u, id, t, d) in ids {
                self.subjects.insert(u, (id, t, d));
            }
        }
        Ok(())
    }

    /// Looks up persons by blind index: the cache first; then, for the first batch that
    /// misses, the database by those keys; for later ones (a big import) the whole person
    /// index once, so that later batches need no round trip and their inserts overlap.
    /// A key whose rows this import inserted counts as missing until their ids are read.
    async fn resolve_persons(&mut self, bidxs: impl Iterator<Item = String>) -> StoreResult<()> {
        let missing: Vec<String> = bidxs
            .filter(|b| !self.persons.contains_key(b) || self.unresolved.contains(b))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        if self.persons_loaded {
            // Only persons inserted since the index was read can be found now.
            let recent: Vec<String> = std::mem::take(&mut self.unresolved).into_iter().collect();
            return self.lookup_persons(recent).await;
        }
        self.person_lookups += 1;
        if self.person_lookups < 2 {
            let mut keys: HashSet<String> = missing.into_iter().collect();
            keys.extend(std::mem::take(&mut self.unresolved));
            return self.lookup_persons(keys.into_iter().collect()).await;
        }
        let txn = self.settled().await?;
        if self.store.backend() == sea_orm::DbBackend::Sqlite {
            // The driver's per-row hand-off costs more than the row: chunks come as strings.
            let cols = ["id_bidx", "id", "subject_id", "name"];
            let rows = super::facts::sqlite_bulk_rows(&**txn, "persons", &cols, "").await?;
            self.persons.reserve(rows.estimate());
            for r in rows.rows() {
                let mut f = r.split('\u{1f}');
                if let (Some(b), Some(Ok(id)), Some(Ok(subject)), Some(name)) = (
                    f.next(),
                    f.next().map(str::parse::<i32>),
                    f.next().map(str::parse::<i32>),
                    f.next(),
                ) {
                    let name = name.to_string();
                    add_holder(
                        &mut self.persons,
                        b.to_string(),
                        Holder { id, subject, name },
                    );
                }
            }
        } else {
            let all = person::Entity::find()
                .select_only()
                .columns([
                    person::Column::IdBidx,
                    person::Column::Id,
                    person::Column::SubjectId,
                    person::Column::Name,
                ])
                .into_tuple::<(String, i32, i32, String)>()
                .all(&**txn)
                .await?;
            for (b, id, subject, name) in all {
                add_holder(&mut self.persons, b, Holder { id, subject, name });
            }
        }
        self.unresolved.clear();
        self.persons_loaded = true;
        Ok(())
    }

    async fn lookup_persons(&mut self, keys: Vec<String>) -> StoreResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let txn = self.settled().await?;
        for chunk in keys.chunks(900) {
            let found = person::Entity::find()
                .select_only()
                .columns([
                    person::Column::IdBidx,
                    person::Column::Id,
                    person::Column::SubjectId,
                    person::Column::Name,
                ])
                .filter(person::Column::IdBidx.is_in(chunk.to_vec()))
                .into_tuple::<(String, i32, i32, String)>()
                .all(&**txn)
                .await?;
            for (b, id, subject, name) in found {
                add_holder(&mut self.persons, b, Holder { id, subject, name });
            }
        }
        Ok(())
    }

    /// The row of `bidx` recorded by employer `subject`, if any.
    fn holder_at(&self, bidx: &str, subject: i32) -> Option<&Holder> {
        self.persons
            .get(bidx)?
            .iter()
            .find(|h| h.subject == subject)
    }

    /// The row a certificate of `bidx` belongs to: the one this import's person rows name,
    /// else the most recently recorded row in the importer's scope.
    fn certificate_holder(&self, bidx: &str) -> Option<&Holder> {
        if let Some(&sid) = self.imported_persons.get(bidx) {
            return self.holder_at(bidx, sid);
        }
        self.persons
            .get(bidx)?
            .iter()
            .filter(|h| self.person_in_scope(h.subject))
            .max_by_key(|h| h.id)
    }

    async fn flush_persons(&mut self) -> StoreResult<()> {
        let batch = std::mem::take(&mut self.person_buf);
        let c = &self.store.crypto;
        let bidxs: Vec<String> = batch
            .iter()
            .map(|p| c.blind_index(p.rec.id_number.as_str()))
            .collect();
        let lookup = if self.empty_at_start.contains(&Table::Persons) {
            Vec::new()
        } else {
            bidxs.clone()
        };
        // Each employer's own row of the worker: rows other employers recorded are neither
        // read nor changed by this import.
        let existing: HashMap<(String, i32), person::Model> = if lookup.is_empty() {
            Vec::new()
        } else {
            person::Entity::find()
                .filter(person::Column::IdBidx.is_in(lookup))
                .all(&**self.settled().await?)
                .await?
        }
        .into_iter()
        .map(|m| ((m.id_bidx.clone(), m.subject_id), m))
        .collect();
        let backend = self.store.backend();
        let mut values: Vec<Value> = Vec::with_capacity(batch.len() * PERSON_ROWS.params());
        let mut new: Vec<String> = Vec::new();
        for (Pending { row, rec, cells }, bidx) in batch.into_iter().zip(bidxs) {
            self.report.counts.entry(Table::Persons).or_default().read += 1;
            let employer = self
                .subjects
                .get(rec.employer.as_str())
                .copied()
                .filter(|&(sid, town, dep)| self.subject_in_scope(town, dep, Some(sid)));
            let Some((sid, _, _)) = employer else {
                reject(
                    &mut self.report,
                    Table::Persons,
                    row,
                    "统一社会信用代码",
                    format!("{NO_SUCH_EMPLOYER}：{}", rec.employer),
                    cells,
                );
                continue;
            };
            if let Some(first) = self.duplicate(Table::Persons, &format!("{bidx}@{sid}"), row) {
                reject(
                    &mut self.report,
                    Table::Persons,
                    row,
                    "身份证号",
                    format!("与第{first}行重复（同一单位、同一身份证号）"),
                    cells,
                );
                continue;
            }
            let phone = rec.phone.clone();
            match existing.get(&(bidx.clone(), sid)) {
                Some(o) if o.name != rec.name => {
                    reject(
                        &mut self.report,
                        Table::Persons,
                        row,
                        "姓名",
                        "与本单位台账中该身份证号登记的姓名不一致".into(),
                        cells,
                    );
                    continue;
                }
                Some(o) => {
                    let old_phone = o.phone_enc.as_deref().and_then(|e| c.decrypt(e).ok());
                    let same = o.post == rec.post.code()
                        && o.special_category == rec.special_category
                        && o.appointed_on == rec.appointed_on
                        && old_phone == phone;
                    if same {
                        self.report
                            .counts
                            .entry(Table::Persons)
                            .or_default()
                            .unchanged += 1;
                    } else {
                        self.changes.record(
                            format!("人员 {} {}", o.name, o.id_masked),
                            &[
                                (
                                    "岗位",
                                    label(Post::from_code(&o.post).map(Post::label), &o.post),
                                    rec.post.label().to_string(),
                                ),
                                (
                                    "作业类别",
                                    opt(&o.special_category),
                                    opt(&rec.special_category),
                                ),
                                (
                                    "任职日期",
                                    o.appointed_on.to_string(),
                                    rec.appointed_on.to_string(),
                                ),
                                (
                                    "联系电话",
                                    old_phone.as_deref().map(mask_phone).unwrap_or_default(),
                                    phone.as_deref().map(mask_phone).unwrap_or_default(),
                                ),
                            ],
                        );
                        let mut am = o.clone().into_active_model();
                        am.post = Set(rec.post.code().into());
                        am.special_category = Set(rec.special_category);
                        am.appointed_on = Set(rec.appointed_on);
                        am.phone_enc = Set(phone.as_deref().map(|p| c.encrypt(p)));
                        am.phone_masked = Set(phone.as_deref().map(mask_phone));
                        am.updated_at = Set(self.now);
                        self.settle().await?;
                        am.update(&**self.txn).await?;
                        self.report
                            .counts
                            .entry(Table::Persons)
                            .or_default()
                            .updated += 1;
                    }
                    let h = Holder {
                        id: o.id,
                        subject: sid,
                        name: o.name.clone(),
                    };
                    add_holder(&mut self.persons, bidx.clone(), h);
                    self.imported_persons.insert(bidx, sid);
                }
                None => {
                    // In PERSON_ROWS order.
                    let [cat_code, cat_text] = usual(&CATEGORIES, rec.special_category);
                    values.extend([
                        Value::Int(Some(sid)),
                        Value::String(Some(Box::new(rec.name))),
                        Value::Bytes(Some(Box::new(c.encrypt(rec.id_number.as_str())))),
                        Value::String(Some(Box::new(bidx.clone()))),
                        Value::String(Some(Box::new(rec.id_number.masked()))),
                        Value::Bytes(phone.as_deref().map(|p| Box::new(c.encrypt(p)))),
                        Value::String(phone.as_deref().map(|p| Box::new(mask_phone(p)))),
                        coded(&POSTS, Some(rec.post.code())),
                        cat_code,
                        cat_text,
                        date(backend, Some(rec.appointed_on)),
                        Value::BigInt(Some(self.now)),
                        Value::BigInt(Some(self.now)),
                    ]);
                    self.imported_persons.insert(bidx.clone(), sid);
                    new.push(bidx);
                }
            }
        }
        self.report
            .counts
            .entry(Table::Persons)
            .or_default()
            .inserted += new.len() as u64;
        self.dispatch_values(&PERSON_ROWS, values).await?;
        // Their ids are read when certificates or trainings first need them.
        self.unresolved.extend(new);
        Ok(())
    }

    async fn flush_certificates(&mut self) -> StoreResult<()> {
        let batch = std::mem::take(&mut self.cert_buf);
        let c = &self.store.crypto;
        self.resolve_persons(
            batch
                .iter()
                .map(|p| c.blind_index(p.rec.id_number.as_str())),
        )
        .await?;
        let keys: Vec<String> = batch
            .iter()
            .map(|p| c.blind_index(&p.rec.cert_no))
            .collect();
        let lookup = if self.empty_at_start.contains(&Table::Certificates) {
            Vec::new()
        } else {
            keys.clone()
        };
        // A certificate row is the holder's row's: the same number recorded by another
        // employer for its own row of the worker is that employer's, and stays as it is.
        let existing: HashMap<(String, i32), certificate::Model> = if lookup.is_empty() {
            Vec::new()
        } else {
            certificate::Entity::find()
                .filter(certificate::Column::CertNoBidx.is_in(lookup))
                .all(&**self.settled().await?)
                .await?
        }
        .into_iter()
        .map(|m| ((m.cert_no_bidx.clone(), m.person_id), m))
        .collect();
        let backend = self.store.backend();
        let mut values: Vec<Value> = Vec::with_capacity(batch.len() * CERTIFICATE_ROWS.params());
        let mut inserted = 0u64;
        for (Pending { row, rec, cells }, key) in batch.into_iter().zip(keys) {
            self.report
                .counts
                .entry(Table::Certificates)
                .or_default()
                .read += 1;
            if let Some(first) = self.duplicate(Table::Certificates, &key, row) {
                reject(
                    &mut self.report,
                    Table::Certificates,
                    row,
                    "证书编号",
                    format!("与第{first}行重复"),
                    cells,
                );
                continue;
            }
            let holder = c.blind_index(rec.id_number.as_str());
            let Some(h) = self.certificate_holder(&holder) else {
                reject(
                    &mut self.report,
                    Table::Certificates,
                    row,
                    "身份证号",
                    "持证人不在您管辖范围内的人员台账中（请先在人员表登记此人）".into(),
                    cells,
                );
                continue;
            };
            if h.name != rec.name {
                reject(
                    &mut self.report,
                    Table::Certificates,
                    row,
                    "姓名",
                    "与人员台账中该身份证号登记的姓名不一致".into(),
                    cells,
                );
                continue;
            }
            let pid = h.id;
            match existing.get(&(key.clone(), pid)) {
                Some(o) => {
                    let same = o.cert_type == rec.cert_type.code()
                        && o.category == rec.category
                        && o.operation_item == rec.operation_item
                        && o.first_issued == rec.first_issued
                        && o.valid_from == rec.valid_from
                        && o.valid_until == rec.valid_until
                        && o.review_due == rec.review_due
                        && o.reviewed_on == rec.reviewed_on
                        && o.issuer == rec.issuer;
                    if same {
                        self.report
                            .counts
                            .entry(Table::Certificates)
                            .or_default()
                            .unchanged += 1;
                    } else {
                        self.changes.record(
                            format!("证书 {}", o.cert_no_masked),
                            &[
                                (
                                    "证书类型",
                                    label(
                                        CertType::from_code(&o.cert_type).map(CertType::label),
                                        &o.cert_type,
                                    ),
                                    rec.cert_type.label().to_string(),
                                ),
                                ("作业类别", opt(&o.category), opt(&rec.category)),
                                ("操作项目", opt(&o.operation_item), opt(&rec.operation_item)),
                                (
                                    "初领日期",
                                    opt_date(&o.first_issued),
                                    opt_date(&rec.first_issued),
                                ),
                                (
                                    "有效期起",
                                    opt_date(&o.valid_from),
                                    opt_date(&rec.valid_from),
                                ),
                                (
                                    "有效期止",
                                    opt_date(&o.valid_until),
                                    opt_date(&rec.valid_until),
                                ),
                                (
                                    "应复审日期",
                                    opt_date(&o.review_due),
                                    opt_date(&rec.review_due),
                                ),
                                (
                                    "实际复审日期",
                                    opt_date(&o.reviewed_on),
                                    opt_date(&rec.reviewed_on),
                                ),
                                ("发证机关", opt(&o.issuer), opt(&rec.issuer)),
                            ],
                        );
                        let mut am = o.clone().into_active_model();
                        am.cert_type = Set(rec.cert_type.code().into());
                        am.category = Set(rec.category);
                        am.operation_item = Set(rec.operation_item);
                        am.first_issued = Set(rec.first_issued);
                        am.valid_from = Set(rec.valid_from);
                        am.valid_until = Set(rec.valid_until);
                        am.review_due = Set(rec.review_due);
                        am.reviewed_on = Set(rec.reviewed_on);
                        am.issuer = Set(rec.issuer);
                        self.settle().await?;
                        am.update(&**self.txn).await?;
                        self.report
                            .counts
                            .entry(Table::Certificates)
                            .or_default()
                            .updated += 1;
                    }
                }
                None => {
                    // In CERTIFICATE_ROWS order.
                    let [cat_code, cat_text] = usual(&CATEGORIES, rec.category);
                    let [item_code, item_text] = usual(&OPERATION_ITEMS, rec.operation_item);
                    values.extend([
                        Value::Int(Some(pid)),
                        coded(&CERT_TYPES, Some(rec.cert_type.code())),
                        Value::Bytes(Some(Box::new(c.encrypt(&rec.cert_no)))),
                        Value::String(Some(Box::new(mask_id(&rec.cert_no)))),
                        Value::String(Some(Box::new(key))),
                        cat_code,
                        cat_text,
                        item_code,
                        item_text,
                        date(backend, rec.first_issued),
                        date(backend, rec.valid_from),
                        date(backend, rec.valid_until),
                        date(backend, rec.review_due),
                        date(backend, rec.reviewed_on),
                        Value::String(rec.issuer.map(Box::new)),
                        Value::BigInt(Some(self.now)),
                    ]);
                    inserted += 1;
                }
            }
        }
        self.report
            .counts
            .entry(Table::Certificates)
            .or_default()
            .inserted += inserted;
        self.dispatch_values(&CERTIFICATE_ROWS, values).await
    }

    fn person_in_scope(&self, subject_id: i32) -> bool {
        match self.scope.reach() {
            Reach::All => true,
            Reach::Subject(s) => s == subject_id,
            _ => self
                .subjects
                .values()
                .any(|&(id, t, d)| id == subject_id && self.subject_in_scope(t, d, Some(id))),
        }
    }

    async fn flush_registry(&mut self) -> StoreResult<()> {
        let batch = std::mem::take(&mut self.registry_buf);
        let c = &self.store.crypto;
        let keys: Vec<String> = batch
            .iter()
            .map(|p| c.blind_index(&p.rec.cert_no))
            .collect();
        let lookup = if self.empty_at_start.contains(&Table::Registry) {
            Vec::new()
        } else {
            keys.clone()
        };
        let existing: HashMap<String, registry::Model> = if lookup.is_empty() {
            Vec::new()
        } else {
            registry::Entity::find()
                .filter(registry::Column::CertNoBidx.is_in(lookup))
                .all(&**self.settled().await?)
                .await?
        }
        .into_iter()
        .map(|m| (m.cert_no_bidx.clone(), m))
        .collect();
        let backend = self.store.backend();
        let mut values: Vec<Value> = Vec::with_capacity(batch.len() * REGISTRY_ROWS.params());
        let mut inserted = 0u64;
        for (Pending { row, rec, cells }, key) in batch.into_iter().zip(keys) {
            self.report.counts.entry(Table::Registry).or_default().read += 1;
            if !self.scope.is_all() {
                reject(
                    &mut self.report,
                    Table::Registry,
                    row,
                    "",
                    "只有区级用户可以导入证书登记库".into(),
                    cells,
                );
                continue;
            }
            if let Some(first) = self.duplicate(Table::Registry, &key, row) {
                reject(
                    &mut self.report,
                    Table::Registry,
                    row,
                    "证书编号",
                    format!("与第{first}行重复"),
                    cells,
                );
                continue;
            }
            let holder = c.blind_index(rec.id_number.as_str());
            match existing.get(&key) {
                Some(o) => {
                    let same = o.holder_bidx == holder
                        && o.name == rec.name
                        && o.cert_type == rec.cert_type.code()
                        && o.category == rec.category
                        && o.operation_item == rec.operation_item
                        && o.first_issued == rec.first_issued
                        && o.valid_from == rec.valid_from
                        && o.valid_until == rec.valid_until
                        && o.review_due == rec.review_due
                        && o.reviewed_on == rec.reviewed_on
                        && o.issuer == rec.issuer;
                    if same {
                        self.report
                            .counts
                            .entry(Table::Registry)
                            .or_default()
                            .unchanged += 1;
                    } else {
                        let mut am = o.clone().into_active_model();
                        am.holder_bidx = Set(holder);
                        am.holder_masked = Set(rec.id_number.masked());
                        am.name = Set(rec.name);
                        am.cert_type = Set(rec.cert_type.code().into());
                        am.category = Set(rec.category);
                        am.operation_item = Set(rec.operation_item);
                        am.first_issued = Set(rec.first_issued);
                        am.valid_from = Set(rec.valid_from);
                        am.valid_until = Set(rec.valid_until);
                        am.review_due = Set(rec.review_due);
                        am.reviewed_on = Set(rec.reviewed_on);
                        am.issuer = Set(rec.issuer);
                        am.updated_at = Set(self.now);
                        self.settle().await?;
                        am.update(&**self.txn).await?;
                        self.report
                            .counts
                            .entry(Table::Registry)
                            .or_default()
                            .updated += 1;
                    }
                }
                None => {
                    // In REGISTRY_ROWS order.
                    let [cat_code, cat_text] = usual(&CATEGORIES, rec.category);
                    let [item_code, item_text] = usual(&OPERATION_ITEMS, rec.operation_item);
                    values.extend([
                        coded(&CERT_TYPES, Some(rec.cert_type.code())),
                        Value::Bytes(Some(Box::new(c.encrypt(&rec.cert_no)))),
                        Value::String(Some(Box::new(key))),
                        Value::String(Some(Box::new(mask_id(&rec.cert_no)))),
                        Value::String(Some(Box::new(holder))),
                        Value::String(Some(Box::new(rec.id_number.masked()))),
                        Value::String(Some(Box::new(rec.name))),
                        cat_code,
                        cat_text,
                        item_code,
                        item_text,
                        date(backend, rec.first_issued),
                        date(backend, rec.valid_from),
                        date(backend, rec.valid_until),
                        date(backend, rec.review_due),
                        date(backend, rec.reviewed_on),
                        Value::String(rec.issuer.map(Box::new)),
                        Value::BigInt(Some(self.now)),
                        Value::BigInt(Some(self.now)),
                    ]);
                    inserted += 1;
                }
            }
        }
        self.report
            .counts
            .entry(Table::Registry)
            .or_default()
            .inserted += inserted;
        self.dispatch_values(&REGISTRY_ROWS, values).await
    }

    async fn flush_trainings(&mut self) -> StoreResult<()> {
        let batch = std::mem::take(&mut self.training_buf);
        let c = &self.store.crypto;
        // Rows come grouped by person: the blind index is computed once for each run of
        // rows with the same ID number, and each row refers to its run's key.
        let mut keys: Vec<String> = Vec::new();
        let mut key_of = Vec::with_capacity(batch.len());
        let mut last_id: Option<&str> = None;
        for p in &batch {
            let id = p.rec.id_number.as_str();
            if last_id != Some(id) {
                keys.push(c.blind_index(id));
                last_id = Some(id);
            }
            key_of.push(keys.len() - 1);
        }
        self.resolve_persons(keys.iter().cloned()).await?;
        // The trainings stored for the rows of these ID numbers, whoever recorded them:
        // only the row of the training's employer is ever matched below.
        let mut existing: HashMap<
            (i32, chrono::NaiveDateTime, chrono::NaiveDateTime, String),
            training::Model,
        > = HashMap::new();
        if !self.empty_at_start.contains(&Table::Trainings) {
            let pids: Vec<i32> = keys
                .iter()
                .filter_map(|k| self.persons.get(k))
                .flatten()
                .map(|h| h.id)
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            if !pids.is_empty() {
                self.settle().await?;
            }
            for chunk in pids.chunks(900) {
                for m in training::Entity::find()
                    .filter(training::Column::PersonId.is_in(chunk.to_vec()))
                    .all(&**self.txn)
                    .await?
                {
                    existing.insert(
                        (m.person_id, m.start_at, m.end_at, m.training_type.clone()),
                        m,
                    );
                }
            }
        }
        let backend = self.store.backend();
        let mut counts = Counts::default();
        let mut values: Vec<Value> = Vec::with_capacity(batch.len() * TRAINING_ROWS.params());
        // The employer of the previous row (rows of one person share it).
        let mut employer: Option<(String, Option<i32>)> = None;
        for (Pending { row, rec, cells }, k) in batch.into_iter().zip(key_of) {
            counts.read += 1;
            let uscc = rec.employer.as_str();
            let subject = match &employer {
                Some((u, s)) if u == uscc => *s,
                _ => {
                    let s = self
                        .subjects
                        .get(uscc)
                        .filter(|&&(sid, town, dep)| self.subject_in_scope(town, dep, Some(sid)))
                        .map(|&(sid, _, _)| sid);
                    employer = Some((uscc.to_string(), s));
                    s
                }
            };
            let Some(sid) = subject else {
                reject(
                    &mut self.report,
                    Table::Trainings,
                    row,
                    "统一社会信用代码",
                    format!("{NO_SUCH_EMPLOYER}：{}", rec.employer),
                    cells,
                );
                continue;
            };
            // The trainee is the employer's own row of him: a worker another employer
            // recorded is not this one's to train until it records him in its ledger.
            let Some(h) = self.holder_at(&keys[k], sid) else {
                reject(
                    &mut self.report,
                    Table::Trainings,
                    row,
                    "身份证号",
                    "学员不在该单位的人员台账中（请先在人员表登记此人）".into(),
                    cells,
                );
                continue;
            };
            if h.name != rec.name {
                reject(
                    &mut self.report,
                    Table::Trainings,
                    row,
                    "姓名",
                    "与人员台账中该身份证号登记的姓名不一致".into(),
                    cells,
                );
                continue;
            }
            let pid = h.id;
            let first = self
                .seen_trainings
                .first(pid, rec.start, rec.end, rec.training_type, row);
            if let Some(first) = first {
                reject(
                    &mut self.report,
                    Table::Trainings,
                    row,
                    "开始时间",
                    format!("与第{first}行重复（同一人员、同一时间、同一培训类型）"),
                    cells,
                );
                continue;
            }
            let old = if existing.is_empty() {
                None
            } else {
                existing.get(&(
                    pid,
                    rec.start,
                    rec.end,
                    rec.training_type.code().to_string(),
                ))
            };
            match old {
                Some(o) => {
                    let same = o.form == rec.form.code()
                        && o.theory_hours == rec.theory_hours
                        && o.practical_hours == rec.practical_hours
                        && o.institution == rec.institution
                        && o.score == rec.score
                        && o.result == rec.result;
                    if same {
                        counts.unchanged += 1;
                    } else {
                        self.changes.record(
                            format!("培训记录 {} {}", rec.name, o.start_at),
                            &[
                                (
                                    "培训形式",
                                    label(
                                        TrainingForm::from_code(&o.form).map(TrainingForm::label),
                                        &o.form,
                                    ),
                                    rec.form.label().to_string(),
                                ),
                                (
                                    "理论学时",
                                    o.theory_hours.to_string(),
                                    rec.theory_hours.to_string(),
                                ),
                                (
                                    "实操学时",
                                    o.practical_hours.to_string(),
                                    rec.practical_hours.to_string(),
                                ),
                                ("培训机构", opt(&o.institution), opt(&rec.institution)),
                                ("成绩", opt_num(&o.score), opt_num(&rec.score)),
                                ("考核结果", opt(&o.result), opt(&rec.result)),
                            ],
                        );
                        let mut am = o.clone().into_active_model();
                        am.form = Set(rec.form.code().into());
                        am.theory_hours = Set(rec.theory_hours);
                        am.practical_hours = Set(rec.practical_hours);
                        am.institution = Set(rec.institution);
                        am.score = Set(rec.score);
                        am.result = Set(rec.result);
                        self.settle().await?;
                        am.update(&**self.txn).await?;
                        counts.updated += 1;
                    }
                }
                None => {
                    // In TRAINING_ROWS order.
                    let [result_code, result_text] = usual(&USUAL_RESULTS, rec.result);
                    values.extend([
                        Value::Int(Some(pid)),
                        Value::Int(Some(sid)),
                        coded(&TRAINING_TYPES, Some(rec.training_type.code())),
                        coded(&TRAINING_FORMS, Some(rec.form.code())),
                        datetime(backend, rec.start),
                        datetime(backend, rec.end),
                        Value::Double(Some(rec.theory_hours)),
                        Value::Double(Some(rec.practical_hours)),
                        Value::String(rec.institution.map(Box::new)),
                        Value::Double(rec.score),
                        result_code,
                        result_text,
                        Value::BigInt(Some(self.now)),
                    ]);
                    counts.inserted += 1;
                }
            }
        }
        let total = self.report.counts.entry(Table::Trainings).or_default();
        total.read += counts.read;
        total.inserted += counts.inserted;
        total.updated += counts.updated;
        total.unchanged += counts.unchanged;
        self.dispatch_values(&TRAINING_ROWS, values).await
    }

    /// Flushes what is buffered, then commits (or rolls back, per `mode` and the
    /// rejections), and records the import in the history and the audit log.
    pub async fn finish(
        mut self,
        actor: &Actor,
        mode: Mode,
        prov: &Provenance,
    ) -> StoreResult<(IngestReport, &'static str)> {
        for table in Table::ALL {
            if self.buffered(table) > 0 {
                self.flush(table).await?;
            }
        }
        self.settle().await?;
        let rejected = self.report.rejected();
        let outcome = match mode {
            Mode::DryRun => "validated",
            Mode::Strict if rejected > 0 => "aborted",
            _ if rejected > 0 => "partial",
            _ => "stored",
        };
        let store = self.store;
        let report = self.report;
        let keep = matches!(outcome, "stored" | "partial");
        // With the insert settled, this is the only reference left.
        let txn = std::sync::Arc::into_inner(self.txn)
            .ok_or_else(|| StoreError::Validation("导入事务仍被占用".into()))?;
        let txn = if keep {
            txn
        } else {
            drop(txn); // rolls back
            store.write().await?
        };
        import::ActiveModel {
            id: NotSet,
            at: Set(store.now()),
            user_id: Set(actor.user_id),
            username: Set(actor.username.clone()),
            file_name: Set(prov.file_name.clone()),
            sha256: Set(prov.sha256.clone()),
            kind: Set(prov.kind.clone()),
            mode: Set(mode.code().into()),
            outcome: Set(outcome.into()),
            counts: Set(report.counts_json()),
        }
        .insert(&*txn)
        .await?;
        let changes = if keep {
            self.changes.summary()
        } else {
            String::new()
        };
        let ev = Event::ok("import", format!("import:{}", prov.kind)).with_detail(format!(
            "{} {} {} {}{changes}",
            prov.file_name,
            prov.sha256,
            outcome,
            report.counts_json()
        ));
        audit::append(&*txn, store.now(), actor, &ev).await?;
        txn.commit().await?;
        Ok((report, outcome))
    }
}

/// The latest imports an account may see: the whole district's for a district-wide scope,
/// else the account's own.
pub async fn history_seen_by(
    store: &Store,
    scope: &Scope,
    username: &str,
    limit: u64,
) -> StoreResult<Vec<import::Model>> {
    use sea_orm::QueryOrder;
    let mut q = import::Entity::find()
        .order_by_desc(import::Column::Id)
        .limit(limit);
    if !scope.is_all() {
        q = q.filter(import::Column::Username.eq(username));
    }
    Ok(q.all(&store.db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{IdenStatic, Iterable};

    #[test]
    fn the_training_columns_are_the_entity_s_but_its_id() {
        let entity: Vec<String> = training::Column::iter()
            .map(|c| c.as_str().to_string())
            .filter(|c| c != "id")
            .collect();
        assert_eq!(TRAINING_ROWS.column_names(), entity);
    }

    #[test]
    fn the_other_shapes_have_the_entities_columns_but_their_ids() {
        fn names<C: Iterable + IdenStatic>() -> Vec<String> {
            let mut v: Vec<String> = C::iter()
                .map(|c| c.as_str().to_string())
                .filter(|c| c != "id")
                .collect();
            v.sort();
            v
        }
        let sorted = |s: &Shape| {
            let mut v: Vec<String> = s.column_names().iter().map(|c| c.to_string()).collect();
            v.sort();
            v
        };
        assert_eq!(sorted(&PERSON_ROWS), names::<person::Column>());
        assert_eq!(sorted(&CERTIFICATE_ROWS), names::<certificate::Column>());
        assert_eq!(sorted(&REGISTRY_ROWS), names::<registry::Column>());
    }

    /// Every stored training row reads back as it was imported, whatever its result and
    /// institution hold, and importing the same rows again (unusual categories and items
    /// included) changes nothing.
    #[tokio::test]
    async fn rows_read_back_as_imported() {
        use anpei_core::demo::DemoConfig;
        let db = crate::testing::TestDb::new().await;
        let store = &db.store;
        let cfg = DemoConfig {
            seed: 3,
            subjects: 8,
            persons: 120,
            as_of: store.today(),
        };
        let mut d = crate::demo::generate(store, &cfg).await.unwrap();
        for (i, t) in d.trainings.iter_mut().enumerate() {
            match i % 5 {
                0 => t.result = Some("良好".into()),
                1 => t.result = None,
                2 => t.institution = Some("O'Brien 培训中心 \\ ?".into()),
                3 => t.start += chrono::TimeDelta::milliseconds(250),
                _ => {}
            }
        }
        for (i, c) in d.certificates.iter_mut().chain(&mut d.registry).enumerate() {
            match i % 4 {
                0 => c.operation_item = Some("自定义的操作项目".into()),
                1 => c.category = None,
                2 => c.issuer = None,
                _ => {}
            }
        }
        for (i, p) in d.persons.iter_mut().enumerate() {
            if i % 7 == 3 && p.special_category.is_some() {
                p.special_category = Some("未列出的作业类别".into());
            }
        }
        let key = |ty: &str,
                   form: &str,
                   start: chrono::NaiveDateTime,
                   end: chrono::NaiveDateTime,
                   hours: (f64, f64),
                   inst: &Option<String>,
                   score: Option<f64>,
                   result: &Option<String>| {
            format!("{ty} {form} {start} {end} {hours:?} {inst:?} {score:?} {result:?}")
        };
        let mut want: Vec<String> = d
            .trainings
            .iter()
            .map(|t| {
                key(
                    t.training_type.code(),
                    t.form.code(),
                    t.start,
                    t.end,
                    (t.theory_hours, t.practical_hours),
                    &t.institution,
                    t.score,
                    &t.result,
                )
            })
            .collect();
        want.sort();
        for round in 0..2 {
            let mut ing = Ingest::begin(store, Scope::district_wide()).await.unwrap();
            for (i, s) in d.subjects.iter().enumerate() {
                ing.subject(i + 2, s.clone(), vec![]).await.unwrap();
            }
            for (i, p) in d.persons.iter().enumerate() {
                ing.person(i + 2, p.clone(), vec![]).await.unwrap();
            }
            for (i, c) in d.certificates.iter().enumerate() {
                ing.certificate(i + 2, c.clone(), vec![]).await.unwrap();
            }
            for (i, t) in d.trainings.iter().enumerate() {
                ing.training(i + 2, t.clone(), vec![]).await.unwrap();
            }
            for (i, c) in d.registry.iter().enumerate() {
                ing.registry(i + 2, c.clone(), vec![]).await.unwrap();
            }
            let prov = Provenance {
                file_name: "t.xlsx".into(),
                sha256: "00".repeat(32),
                kind: "ledger".into(),
            };
            let (report, outcome) = ing
                .finish(&Actor::system("test"), Mode::Normal, &prov)
                .await
                .unwrap();
            assert_eq!(outcome, "stored", "{:?}", report.rejections.first());
            assert_eq!(
                report.counts[&Table::Trainings].read as usize,
                d.trainings.len()
            );
            for (t, c) in &report.counts {
                if round == 0 {
                    assert_eq!(c.inserted, c.read, "{t:?}");
                } else {
                    assert_eq!(c.unchanged, c.read, "{t:?}: {c:?}");
                }
            }
        }
        let mut got: Vec<String> = training::Entity::find()
            .all(&store.db)
            .await
            .unwrap()
            .iter()
            .map(|t| {
                key(
                    &t.training_type,
                    &t.form,
                    t.start_at,
                    t.end_at,
                    (t.theory_hours, t.practical_hours),
                    &t.institution,
                    t.score,
                    &t.result,
                )
            })
            .collect();
        got.sort();
        assert_eq!(got, want);
        db.cleanup().await;
    }

    #[test]
    fn training_keys_pack_one_to_one_or_not_at_all() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap();
        let a = t("2026-02-11 08:30:00");
        let b = t("2026-02-11 17:30:00");
        let k = pack_training_key(7, a, b, TrainingType::Retraining).unwrap();
        assert_ne!(
            k,
            pack_training_key(7, b, a, TrainingType::Retraining).unwrap()
        );
        assert_ne!(
            k,
            pack_training_key(8, a, b, TrainingType::Retraining).unwrap()
        );
        assert_ne!(
            k,
            pack_training_key(-7, a, b, TrainingType::Retraining).unwrap()
        );
        assert_ne!(k, pack_training_key(7, a, b, TrainingType::Other).unwrap());
        assert_ne!(
            k,
            pack_training_key(7, a, t("2026-02-11 17:30:01"), TrainingType::Retraining).unwrap()
        );
        assert!(
            pack_training_key(7, t("2026-02-11 08:30:00.5"), b, TrainingType::Retraining).is_none()
        );
        assert!(pack_training_key(7, t("1899-12-31 23:59:59"), b, TrainingType::Other).is_none());
        assert!(pack_training_key(7, t("1900-01-01 00:00:00"), b, TrainingType::Other).is_some());

        let mut seen = SeenTrainings::default();
        let odd = t("2026-02-11 08:30:00.5");
        assert_eq!(seen.first(7, a, b, TrainingType::Retraining, 2), None);
        assert_eq!(seen.first(7, odd, b, TrainingType::Retraining, 3), None);
        assert_eq!(seen.first(7, a, b, TrainingType::Retraining, 4), Some(2));
        assert_eq!(seen.first(7, odd, b, TrainingType::Retraining, 5), Some(3));
        assert_eq!(seen.first(7, a, b, TrainingType::Review, 6), None);
    }

    /// Trainings imported apart from their persons, in more batches than the cache of
    /// looked-up persons covers: from the second batch the whole person index is read.
    #[tokio::test]
    async fn a_big_training_import_finds_persons_stored_before_it() {
        use anpei_core::demo::DemoConfig;
        let db = crate::testing::TestDb::new().await;
        let store = &db.store;
        let cfg = DemoConfig {
            seed: 4,
            subjects: 40,
            persons: 1000,
            as_of: store.today(),
        };
        let d = crate::demo::generate(store, &cfg).await.unwrap();
        assert!(d.trainings.len() > 2 * BATCH, "{}", d.trainings.len());
        let prov = Provenance {
            file_name: "t.csv".into(),
            sha256: "00".repeat(32),
            kind: "training".into(),
        };
        let mut ing = Ingest::begin(store, Scope::district_wide()).await.unwrap();
        for (i, s) in d.subjects.iter().enumerate() {
            ing.subject(i + 2, s.clone(), vec![]).await.unwrap();
        }
        for (i, p) in d.persons.iter().enumerate() {
            ing.person(i + 2, p.clone(), vec![]).await.unwrap();
        }
        ing.finish(&Actor::system("test"), Mode::Normal, &prov)
            .await
            .unwrap();
        let mut ing = Ingest::begin(store, Scope::district_wide()).await.unwrap();
        for (i, t) in d.trainings.iter().enumerate() {
            ing.training(i + 2, t.clone(), vec![]).await.unwrap();
        }
        let (report, outcome) = ing
            .finish(&Actor::system("test"), Mode::Normal, &prov)
            .await
            .unwrap();
        assert_eq!(outcome, "stored", "{:?}", report.rejections.first());
        let c = report.counts[&Table::Trainings];
        assert_eq!(c.inserted as usize, d.trainings.len());
        db.cleanup().await;
    }

    #[test]
    fn cells_split_back_into_the_original_cells() {
        let cells = vec!["a".to_string(), String::new(), "张三 ".to_string()];
        assert_eq!(Cells::new(&cells).split(), cells);
        assert_eq!(Cells::from(Vec::new()).split(), Vec::<String>::new());
    }
}
