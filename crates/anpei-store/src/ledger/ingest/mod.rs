//! Bulk ingestion of ledger rows inside one write transaction. Rows arrive table by table
//! (单位 → 人员 → 证书 → 培训, and 登记库), are buffered, and each batch is resolved against
//! the database: references (employer, holder) must exist in the file or the database and lie
//! in the importer's scope; natural keys decide insert, update or unchanged. Every row read is
//! counted exactly once: read = inserted + updated + unchanged + rejected.

use super::resolve::Names;
use crate::bulk_txn::BulkTxn;
use crate::entity::{
    certificate, import, online_exam, online_face_check, online_session, person, registry, subject,
    training,
};
use crate::ledger::bulk::{coded, date, datetime, usual, Bind, Shape};
use crate::platform::audit::{self, Actor, Event};
use crate::scope::Scope;
use crate::Reach;
use crate::{Store, StoreError, StoreResult};
use anpei_core::kinds::SPECIAL_OP_CATEGORIES;
use anpei_core::ledger::{
    CertificateRecord, CourseRecord, FaceCheckRecord, Fault, OnlineExamRecord, PersonRecord,
    RowError, SessionRecord, SheetHeader, SubjectRecord, Table, TrainingRecord,
};
use anpei_core::mask::{mask_id, mask_phone};
use anpei_core::{CertType, Post, TrainingForm, TrainingType};
use chrono::{NaiveDateTime, Timelike};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QuerySelect, Set, Value,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

mod certificates;
mod changes;
mod online;
#[cfg(test)]
mod online_tests;
mod persons;
mod register;
mod report;
mod shapes;
mod subjects;
#[cfg(test)]
mod tests;
mod trainings;

use changes::*;
use persons::*;
pub use report::*;
use shapes::*;
use trainings::*;

/// Rows resolved and written together: on SQLite, one batch of multi-row inserts; on
/// PostgreSQL one `COPY`, whose fixed cost (and the reference check after it) wants more rows.
const BATCH: usize = 2000;
const PG_BATCH: usize = 10_000;

/// A row waiting for its batch: its number in the file, the parsed record, the cells.
struct Pending<T> {
    row: usize,
    rec: T,
    cells: Cells,
}

/// A parsed ledger row, by the table it goes to.
#[derive(Debug, Clone)]
pub enum LedgerRow {
    Subject(SubjectRecord),
    Person(PersonRecord),
    Certificate(CertificateRecord),
    /// A row of the certificate register (登记库): district users only.
    Registry(CertificateRecord),
    Training(TrainingRecord),
    /// Rows of an online-training platform's logs.
    Session(SessionRecord),
    FaceCheck(FaceCheckRecord),
    Course(CourseRecord),
    OnlineExam(OnlineExamRecord),
}

impl LedgerRow {
    pub fn table(&self) -> Table {
        match self {
            LedgerRow::Subject(_) => Table::Subjects,
            LedgerRow::Person(_) => Table::Persons,
            LedgerRow::Certificate(_) => Table::Certificates,
            LedgerRow::Registry(_) => Table::Registry,
            LedgerRow::Training(_) => Table::Trainings,
            LedgerRow::Session(_) => Table::Sessions,
            LedgerRow::FaceCheck(_) => Table::FaceChecks,
            LedgerRow::Course(_) => Table::Courses,
            LedgerRow::OnlineExam(_) => Table::OnlineExams,
        }
    }

    fn session(self) -> Option<SessionRecord> {
        match self {
            LedgerRow::Session(r) => Some(r),
            _ => None,
        }
    }

    fn face_check(self) -> Option<FaceCheckRecord> {
        match self {
            LedgerRow::FaceCheck(r) => Some(r),
            _ => None,
        }
    }

    fn course(self) -> Option<CourseRecord> {
        match self {
            LedgerRow::Course(r) => Some(r),
            _ => None,
        }
    }

    fn online_exam(self) -> Option<OnlineExamRecord> {
        match self {
            LedgerRow::OnlineExam(r) => Some(r),
            _ => None,
        }
    }

    fn subject(self) -> Option<SubjectRecord> {
        match self {
            LedgerRow::Subject(r) => Some(r),
            _ => None,
        }
    }

    fn person(self) -> Option<PersonRecord> {
        match self {
            LedgerRow::Person(r) => Some(r),
            _ => None,
        }
    }

    fn certificate(self) -> Option<CertificateRecord> {
        match self {
            LedgerRow::Certificate(r) | LedgerRow::Registry(r) => Some(r),
            _ => None,
        }
    }

    fn training(self) -> Option<TrainingRecord> {
        match self {
            LedgerRow::Training(r) => Some(r),
            _ => None,
        }
    }
}

/// The buffered rows as records of their one table.
fn unpack<T>(rows: Vec<Pending<LedgerRow>>, pick: fn(LedgerRow) -> Option<T>) -> Vec<Pending<T>> {
    rows.into_iter()
        .filter_map(|p| {
            Some(Pending {
                row: p.row,
                rec: pick(p.rec)?,
                cells: p.cells,
            })
        })
        .collect()
}

/// An import in progress.
pub struct Ingest<'a> {
    store: &'a Store,
    /// Shared with the insert in flight (see `dispatch`).
    txn: std::sync::Arc<BulkTxn>,
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
    /// Whether the whole person index may be read into memory (see `resolve_persons`).
    person_index_fits: bool,
    /// Whether the training table's statistics were brought up to date in this import.
    trainings_analyzed: bool,
    /// The highest training id when the import began: a stored row above it is this
    /// import's own.
    trainings_before: i32,
    scope: Scope,
    names: Names,
    scope_departments: HashSet<i32>,
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
    /// Rows waiting for their batch, all of one table.
    buffer: Vec<Pending<LedgerRow>>,
    /// Rows a batch holds ([`BATCH`] or [`PG_BATCH`]).
    batch: usize,
    /// The most persons whose whole index is read into memory (see `resolve_persons`).
    person_index_max: usize,
    /// For the rows of online-training logs: the training institution importing, if one is.
    provider: online::Provider,
    report: IngestReport,
}

/// Rejects a row for one problem.
fn reject(
    report: &mut IngestReport,
    table: Table,
    row: usize,
    column: &str,
    reason: String,
    cells: Cells,
) {
    reject_all(report, table, row, vec![Fault::new(column, reason)], cells);
}

/// Rejects a row for all its problems (at least one).
fn reject_all(
    report: &mut IngestReport,
    table: Table,
    row: usize,
    faults: Vec<Fault>,
    cells: Cells,
) {
    report.counts.entry(table).or_default().rejected += 1;
    let sheet = report.sheet_name(cells.sheet, table);
    report.keep(RowError {
        sheet,
        row,
        faults,
        cells: cells.split(),
    });
}

/// Said of a row whose employer is unknown or outside the importer's scope: one message
/// for both, so that an import cannot tell whether a company exists.
const NO_SUCH_EMPLOYER: &str = "单位不存在或不在您的管辖范围内";
/// What such a row should name instead.
const EMPLOYER_EXPECTED: &str =
    "，应为已登记且在您管辖范围内的单位（新单位请同时在“单位”表中填写）";

impl<'a> Ingest<'a> {
    pub async fn begin(store: &'a Store, scope: Scope) -> StoreResult<Ingest<'a>> {
        let names = Names::load(store, &scope).await?;
        // A city department's reach: itself and the district departments under it.
        let scope_departments = match scope.reach() {
            Reach::CityDepartment(d) => crate::entity::department::Entity::find()
                .filter(
                    sea_orm::Condition::any()
                        .add(crate::entity::department::Column::Id.eq(d))
                        .add(crate::entity::department::Column::ParentId.eq(d)),
                )
                .all(&store.db)
                .await?
                .into_iter()
                .map(|x| x.id)
                .collect(),
            _ => HashSet::new(),
        };
        let provider = online::Provider::of(store, &scope).await?;
        let txn = store.bulk_write().await?;
        crate::set_sqlite_cache(&txn, crate::BULK_CACHE_KIB).await?;
        let subjects = subject::Entity::find()
            .select_only()
            .columns([
                subject::Column::Uscc,
                subject::Column::Id,
                subject::Column::TownId,
                subject::Column::DepartmentId,
            ])
            .into_tuple::<(String, i32, i32, i32)>()
            .all(&txn)
            .await?
            .into_iter()
            .map(|(u, id, t, d)| (u, (id, t, d)))
            .collect();
        let mut empty_at_start = HashSet::new();
        if person::Entity::find().one(&txn).await?.is_none() {
            empty_at_start.insert(Table::Persons);
        }
        if certificate::Entity::find().one(&txn).await?.is_none() {
            empty_at_start.insert(Table::Certificates);
        }
        let trainings_before: i32 = training::Entity::find()
            .select_only()
            .column_as(training::Column::Id.max(), "m")
            .into_tuple::<Option<i32>>()
            .one(&txn)
            .await?
            .flatten()
            .unwrap_or(0);
        if trainings_before == 0 {
            empty_at_start.insert(Table::Trainings);
        }
        if registry::Entity::find().one(&txn).await?.is_none() {
            empty_at_start.insert(Table::Registry);
        }
        for (table, empty) in [
            (
                Table::Sessions,
                online_session::Entity::find().one(&txn).await?.is_none(),
            ),
            (
                Table::FaceChecks,
                online_face_check::Entity::find().one(&txn).await?.is_none(),
            ),
            (
                Table::OnlineExams,
                online_exam::Entity::find().one(&txn).await?.is_none(),
            ),
        ] {
            if empty {
                empty_at_start.insert(table);
            }
        }
        Ok(Ingest {
            store,
            txn: std::sync::Arc::new(txn),
            pending: None,
            unresolved: HashSet::new(),
            person_lookups: 0,
            persons_loaded: false,
            person_index_fits: true,
            trainings_before,
            trainings_analyzed: false,
            scope,
            names,
            scope_departments,
            now: store.now(),
            subjects,
            persons: HashMap::new(),
            imported_persons: HashMap::new(),
            changes: Changes::default(),
            seen: HashMap::new(),
            seen_trainings: SeenTrainings::default(),
            empty_at_start,
            buffer: Vec::new(),
            batch: if store.backend() == sea_orm::DbBackend::Postgres {
                PG_BATCH
            } else {
                BATCH
            },
            person_index_max: PERSON_INDEX_MAX,
            provider,
            report: IngestReport::default(),
        })
    }

    /// Lowers the memory bounds of this import (the duplicate check's keys, the person index
    /// read whole) and its batches, so that a test's small file goes the way a city's goes.
    #[cfg(test)]
    pub(crate) fn bound_memory(&mut self, keys: usize, persons: usize) {
        self.seen_trainings = SeenTrainings::with_max(keys);
        self.person_index_max = persons;
        self.batch = 1000;
    }

    /// Brings a table's planner statistics up to date inside the import's transaction
    /// (PostgreSQL's ANALYZE counts the rows this transaction wrote), so that the lookups of
    /// later batches use its indexes; nothing on SQLite.
    async fn analyze(&mut self, table: &str) -> StoreResult<()> {
        if self.store.backend() == sea_orm::DbBackend::Postgres {
            use sea_orm::ConnectionTrait;
            let txn = self.settled().await?;
            txn.execute_unprepared(&format!("ANALYZE {table}")).await?;
        }
        Ok(())
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
    async fn settled(&mut self) -> StoreResult<std::sync::Arc<BulkTxn>> {
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
            crate::ledger::bulk::insert_models(&*txn, rows).await
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
        self.pending = Some(tokio::spawn(async move { txn.insert(shape, values).await }));
        Ok(())
    }

    /// Whether a subject placed in `town` under `dep` lies in the importer's scope (the
    /// names it was resolved with are the scope's district's already).
    fn subject_in_scope(&self, town: i32, dep: i32, id: Option<i32>) -> bool {
        let district_of = |t: i32| self.names.towns.values().find(|x| x.0 == t).map(|x| x.1);
        match self.scope.reach() {
            Reach::All => true,
            Reach::District(d) => district_of(town) == Some(d),
            Reach::CityDepartment(_) => self.scope_departments.contains(&dep),
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

    /// The header of the sheet whose rows come next, as the reader found it.
    pub fn header(&mut self, header: SheetHeader) {
        self.report.sheets.push(header);
    }

    /// A row the reader already rejected.
    pub fn parse_error(&mut self, e: RowError) {
        let table = self
            .report
            .table_of(&e.sheet)
            .or_else(|| Table::from_sheet(&e.sheet))
            .unwrap_or(Table::Subjects);
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

    /// Takes one parsed row. Rows wait in one buffer, all of one table, and are resolved
    /// and written a batch at a time; a row of another table first flushes the buffer
    /// (rows of later tables refer to earlier ones: a person's certificate to the person).
    pub async fn push(
        &mut self,
        row: usize,
        rec: LedgerRow,
        cells: impl Into<Cells>,
    ) -> StoreResult<()> {
        if self
            .buffer
            .first()
            .is_some_and(|p| p.rec.table() != rec.table())
        {
            self.flush().await?;
        }
        let mut cells: Cells = cells.into();
        cells.sheet = self.report.sheets.len().checked_sub(1);
        self.buffer.push(Pending { row, rec, cells });
        if self.buffer.len() >= self.batch {
            self.flush().await?;
        }
        Ok(())
    }

    /// Resolves and writes the buffered batch.
    async fn flush(&mut self) -> StoreResult<()> {
        let Some(table) = self.buffer.first().map(|p| p.rec.table()) else {
            return Ok(());
        };
        let rows = std::mem::take(&mut self.buffer);
        match table {
            Table::Subjects => self.flush_subjects(unpack(rows, LedgerRow::subject)).await,
            Table::Persons => self.flush_persons(unpack(rows, LedgerRow::person)).await,
            Table::Certificates => {
                self.flush_certificates(unpack(rows, LedgerRow::certificate))
                    .await
            }
            Table::Registry => {
                self.flush_registry(unpack(rows, LedgerRow::certificate))
                    .await
            }
            Table::Trainings => {
                self.flush_trainings(unpack(rows, LedgerRow::training))
                    .await
            }
            Table::Sessions => self.flush_sessions(unpack(rows, LedgerRow::session)).await,
            Table::FaceChecks => {
                self.flush_face_checks(unpack(rows, LedgerRow::face_check))
                    .await
            }
            Table::Courses => self.flush_courses(unpack(rows, LedgerRow::course)).await,
            Table::OnlineExams => {
                self.flush_online_exams(unpack(rows, LedgerRow::online_exam))
                    .await
            }
        }
    }

    /// Flushes what is buffered, then commits (or rolls back, per `mode` and the
    /// rejections), and records the import in the history and the audit log.
    pub async fn finish(
        mut self,
        actor: &Actor,
        mode: Mode,
        prov: &Provenance,
    ) -> StoreResult<(IngestReport, &'static str)> {
        self.flush().await?;
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
        // The connection goes back to the pool with the ordinary cache.
        crate::set_sqlite_cache(&txn, crate::CACHE_KIB).await?;
        let txn = if keep {
            txn
        } else {
            txn.rollback().await?;
            BulkTxn::Write(store.write().await?)
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
        .insert(&txn)
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
        audit::append(&txn, store.now(), actor, &ev).await?;
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
    match scope.reach() {
        crate::Reach::All => {}
        // A district's office sees the imports of its district's accounts.
        crate::Reach::District(d) => {
            use crate::entity::{department, town, user};
            use sea_orm::sea_query::{Condition, Query};
            let towns = Query::select()
                .column(town::Column::Id)
                .from(town::Entity)
                .and_where(town::Column::DistrictId.eq(d))
                .to_owned();
            let departments = Query::select()
                .column(department::Column::Id)
                .from(department::Entity)
                .and_where(department::Column::DistrictId.eq(d))
                .to_owned();
            let accounts = Query::select()
                .column(user::Column::Username)
                .from(user::Entity)
                .cond_where(
                    Condition::any()
                        .add(user::Column::ScopeDistrictId.eq(d))
                        .add(user::Column::ScopeTownId.in_subquery(towns))
                        .add(user::Column::ScopeDepartmentId.in_subquery(departments)),
                )
                .to_owned();
            q = q.filter(import::Column::Username.in_subquery(accounts))
        }
        _ => q = q.filter(import::Column::Username.eq(username)),
    }
    Ok(q.all(&store.db).await?)
}
