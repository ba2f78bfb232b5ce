//! Reading the problem list: the rows pages and exports show, filters, counts by status,
//! a problem's history with its evidence — all through the scope filter.

use super::{china_time, event_label, ProblemStatus, Source, EVIDENCE_OWNER};
use crate::entity::{department, evidence_file, problem, problem_event, subject, town};
use crate::scope::Scope;
use crate::{Store, StoreError, StoreResult};
use anpei_core::SubjectKind;
use chrono::NaiveDate;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, JoinType, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Select,
};
use serde::Serialize;

/// One problem as pages, exports and the API show it (phone masked).
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct ProblemRow {
    pub id: i32,
    pub campaign_id: Option<i32>,
    pub subject_id: i32,
    pub subject_name: String,
    pub subject_uscc: String,
    pub subject_kind: String,
    pub town_id: i32,
    pub town: String,
    pub department_id: i32,
    pub department: String,
    pub source: String,
    pub source_ref: Option<String>,
    pub item_code: Option<String>,
    pub description: String,
    pub measures: String,
    pub deadline: NaiveDate,
    pub responsible_name: String,
    pub responsible_phone_masked: Option<String>,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    /// Not closed and past its deadline (set from the store's clock after the query).
    #[sea_orm(skip)]
    pub overdue: bool,
}

impl ProblemRow {
    pub fn status(&self) -> Option<ProblemStatus> {
        ProblemStatus::from_code(&self.status)
    }

    pub fn status_label(&self) -> &'static str {
        self.status().map_or("未知", ProblemStatus::label)
    }

    pub fn source_label(&self) -> &'static str {
        Source::from_code(&self.source).map_or("其他", Source::label)
    }

    pub fn kind_label(&self) -> &'static str {
        SubjectKind::from_code(&self.subject_kind).map_or("未知", SubjectKind::label)
    }

    /// 销号时间 in China time, or empty.
    pub fn closed_at_text(&self) -> String {
        self.closed_at.map(china_time).unwrap_or_default()
    }
}
/// Which problems a status filter selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Is(ProblemStatus),
    /// Not closed (待整改, 整改中, 已整改待核验).
    Open,
    /// Not closed and past the deadline.
    Overdue,
}

impl StatusFilter {
    /// `pending` … `closed`, `open`, `overdue`.
    pub fn parse(s: &str) -> Option<StatusFilter> {
        match s {
            "open" => Some(StatusFilter::Open),
            "overdue" => Some(StatusFilter::Overdue),
            _ => ProblemStatus::from_code(s).map(StatusFilter::Is),
        }
    }
}

/// Filters of the problem list; all optional.
#[derive(Debug, Clone, Default)]
pub struct ProblemFilter {
    pub campaign_id: Option<i32>,
    pub status: Option<StatusFilter>,
    pub source: Option<Source>,
    pub town_id: Option<i32>,
    pub department_id: Option<i32>,
    pub kind: Option<SubjectKind>,
    pub subject_id: Option<i32>,
    /// Part of the description or of the subject's name.
    pub q: Option<String>,
}

fn closed() -> &'static str {
    ProblemStatus::Closed.code()
}

/// The condition that makes a problem overdue on `today`.
pub fn overdue_condition(today: NaiveDate) -> Condition {
    Condition::all()
        .add(problem::Column::Status.ne(closed()))
        .add(problem::Column::Deadline.lt(today))
}

fn filter_condition(f: &ProblemFilter, today: NaiveDate, with_status: bool) -> Condition {
    let mut c = Condition::all();
    if let Some(id) = f.campaign_id {
        c = c.add(problem::Column::CampaignId.eq(id));
    }
    if with_status {
        match f.status {
            Some(StatusFilter::Is(s)) => c = c.add(problem::Column::Status.eq(s)),
            Some(StatusFilter::Open) => c = c.add(problem::Column::Status.ne(closed())),
            Some(StatusFilter::Overdue) => c = c.add(overdue_condition(today)),
            None => {}
        }
    }
    if let Some(s) = f.source {
        c = c.add(problem::Column::Source.eq(s));
    }
    if let Some(t) = f.town_id {
        c = c.add(subject::Column::TownId.eq(t));
    }
    if let Some(d) = f.department_id {
        c = c.add(subject::Column::DepartmentId.eq(d));
    }
    if let Some(k) = f.kind {
        c = c.add(subject::Column::Kind.eq(k.code()));
    }
    if let Some(s) = f.subject_id {
        c = c.add(problem::Column::SubjectId.eq(s));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let q: String = q
            .chars()
            .filter(|c| !matches!(c, '%' | '_' | '\\'))
            .collect();
        c = c.add(
            Condition::any()
                .add(problem::Column::Description.contains(&q))
                .add(subject::Column::Name.contains(&q)),
        );
    }
    c
}

/// Problems of subjects visible in `scope` (joined with `subjects`).
pub fn in_scope(scope: &Scope) -> Select<problem::Entity> {
    problem::Entity::find()
        .join(JoinType::InnerJoin, problem::Relation::Subject.def())
        .filter(scope.subject_condition())
}

fn rows(q: Select<problem::Entity>) -> Select<problem::Entity> {
    q.select_only()
        .columns([
            problem::Column::Id,
            problem::Column::CampaignId,
            problem::Column::SubjectId,
            problem::Column::Source,
            problem::Column::SourceRef,
            problem::Column::ItemCode,
            problem::Column::Description,
            problem::Column::Measures,
            problem::Column::Deadline,
            problem::Column::ResponsibleName,
            problem::Column::ResponsiblePhoneMasked,
            problem::Column::Status,
            problem::Column::CreatedAt,
            problem::Column::UpdatedAt,
            problem::Column::ClosedAt,
        ])
        .column_as(subject::Column::Name, "subject_name")
        .column_as(subject::Column::Uscc, "subject_uscc")
        .column_as(subject::Column::Kind, "subject_kind")
        .column_as(subject::Column::TownId, "town_id")
        .column_as(subject::Column::DepartmentId, "department_id")
        .column_as(town::Column::Name, "town")
        .column_as(department::Column::Name, "department")
        .join(JoinType::InnerJoin, subject::Relation::Town.def())
        .join(JoinType::InnerJoin, subject::Relation::Department.def())
}

fn mark_overdue(mut rows: Vec<ProblemRow>, today: NaiveDate) -> Vec<ProblemRow> {
    for r in &mut rows {
        r.overdue = r.status != closed() && r.deadline < today;
    }
    rows
}

/// A page of the problems visible in `scope` (page numbers start at 1), and the total.
#[tracing::instrument(skip_all)]
pub async fn list(
    store: &Store,
    scope: &Scope,
    f: &ProblemFilter,
    page: u64,
    per_page: u64,
) -> StoreResult<(Vec<ProblemRow>, u64)> {
    let today = store.today();
    let cond = filter_condition(f, today, true);
    let total = in_scope(scope)
        .filter(cond.clone())
        .count(&store.db)
        .await?;
    let items = rows(in_scope(scope).filter(cond))
        .order_by_asc(problem::Column::Deadline)
        .order_by_asc(problem::Column::Id)
        .offset((page.max(1) - 1) * per_page)
        .limit(per_page)
        .into_model::<ProblemRow>()
        .all(&store.db)
        .await?;
    Ok((mark_overdue(items, today), total))
}

/// Every problem matching the filter (the export), by town, subject and id.
#[tracing::instrument(skip_all)]
pub async fn all(store: &Store, scope: &Scope, f: &ProblemFilter) -> StoreResult<Vec<ProblemRow>> {
    let today = store.today();
    let items = rows(in_scope(scope).filter(filter_condition(f, today, true)))
        .order_by_asc(town::Column::Sort)
        .order_by_asc(subject::Column::Name)
        .order_by_asc(problem::Column::Id)
        .into_model::<ProblemRow>()
        .all(&store.db)
        .await?;
    Ok(mark_overdue(items, today))
}

/// One problem, if it is visible in `scope` (otherwise `None`: a foreign id answers 404).
pub async fn get(store: &Store, scope: &Scope, id: i32) -> StoreResult<Option<ProblemRow>> {
    let row = rows(in_scope(scope).filter(problem::Column::Id.eq(id)))
        .into_model::<ProblemRow>()
        .one(&store.db)
        .await?;
    Ok(row.map(|r| mark_overdue(vec![r], store.today()).remove(0)))
}

/// How many problems match the filter in each status (the filter's own status ignored).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub total: i64,
    pub pending: i64,
    pub in_progress: i64,
    pub awaiting_verification: i64,
    pub closed: i64,
    pub overdue: i64,
}

impl StatusCounts {
    pub fn of(&self, s: ProblemStatus) -> i64 {
        match s {
            ProblemStatus::Pending => self.pending,
            ProblemStatus::InProgress => self.in_progress,
            ProblemStatus::AwaitingVerification => self.awaiting_verification,
            ProblemStatus::Closed => self.closed,
        }
    }
}

/// Counts by status of the problems in `scope` matching `f` (two grouped queries).
pub async fn counts(store: &Store, scope: &Scope, f: &ProblemFilter) -> StoreResult<StatusCounts> {
    let today = store.today();
    let cond = filter_condition(f, today, false);
    let by_status: Vec<(String, i64)> = in_scope(scope)
        .filter(cond.clone())
        .select_only()
        .column(problem::Column::Status)
        .column_as(
            Expr::col((problem::Entity, problem::Column::Id)).count(),
            "n",
        )
        .group_by(problem::Column::Status)
        .into_tuple()
        .all(&store.db)
        .await?;
    let overdue = in_scope(scope)
        .filter(cond)
        .filter(overdue_condition(today))
        .count(&store.db)
        .await? as i64;
    let mut c = StatusCounts {
        overdue,
        ..Default::default()
    };
    for (s, n) in by_status {
        c.total += n;
        match ProblemStatus::from_code(&s) {
            Some(ProblemStatus::Pending) => c.pending += n,
            Some(ProblemStatus::InProgress) => c.in_progress += n,
            Some(ProblemStatus::AwaitingVerification) => c.awaiting_verification += n,
            Some(ProblemStatus::Closed) => c.closed += n,
            None => {}
        }
    }
    Ok(c)
}

/// One entry of a problem's history with its evidence files.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub event: problem_event::Model,
    pub files: Vec<evidence_file::Model>,
}

impl HistoryEntry {
    pub fn label(&self) -> &'static str {
        event_label(&self.event.kind)
    }

    pub fn at_text(&self) -> String {
        china_time(self.event.at)
    }
}

/// The history of a problem visible in `scope`, oldest first (`NotFound` otherwise).
pub async fn history(store: &Store, scope: &Scope, id: i32) -> StoreResult<Vec<HistoryEntry>> {
    in_scope(scope)
        .filter(problem::Column::Id.eq(id))
        .select_only()
        .column(problem::Column::Id)
        .into_tuple::<i32>()
        .one(&store.db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let events = problem_event::Entity::find()
        .filter(problem_event::Column::ProblemId.eq(id))
        .order_by_asc(problem_event::Column::Id)
        .all(&store.db)
        .await?;
    let ids: Vec<i32> = events.iter().map(|e| e.id).collect();
    let files = evidence_file::Entity::find()
        .filter(evidence_file::Column::OwnerKind.eq(EVIDENCE_OWNER))
        .filter(evidence_file::Column::OwnerId.is_in(ids))
        .order_by_asc(evidence_file::Column::Id)
        .all(&store.db)
        .await?;
    Ok(events
        .into_iter()
        .map(|event| HistoryEntry {
            files: files
                .iter()
                .filter(|f| f.owner_id == event.id)
                .cloned()
                .collect(),
            event,
        })
        .collect())
}
