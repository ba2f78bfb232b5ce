//! 问题清单: the problem list and its rectification (notice §三(一): 问题、整改措施、时限、
//! 责任人). Problems come from self-inspections (the self-inspection module creates them), or
//! from a supervisor: an enforcement inspection, the district's supervision, a tip-off or the
//! rule engine. Every query goes through the scope filter (a foreign id is `NotFound`);
//! every transition writes a `problem_events` row, notifies whom it concerns and is audited,
//! in one transaction.
//!
//! The life of a problem (see [`next_status`]):
//!
//! | from \ action          | 填报整改 (subject) | 申请核验 (subject) | 销号 (supervisor) | 退回 (supervisor) |
//! |------------------------|--------------------|--------------------|-------------------|-------------------|
//! | 待整改 pending          | 整改中              | 已整改待核验          | —                 | —                 |
//! | 整改中 in_progress      | 整改中              | 已整改待核验          | —                 | —                 |
//! | 已整改待核验 awaiting    | —                  | —                  | 已销号             | 整改中 (with reason) |
//! | 已销号 closed           | —                  | —                  | —                 | —                 |
//!
//! 逾期 (overdue) is not a stored status: a problem is overdue while it is not closed and its
//! 整改时限 is before today (the store's clock). The daily job records the first time it saw a
//! problem overdue as an `overdue` event.

use crate::audit::{self, Actor, Event};
use crate::entity::{campaign, department, evidence_file, problem, problem_event, subject, town};
use crate::inbox::{self, NewMessage};
use crate::scope::{self, Role, Scope};
use crate::{Crypto, Store, StoreError, StoreResult};
use anpei_core::SubjectKind;
use chrono::NaiveDate;
use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait,
    FromQueryResult, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
    Select, Set,
};
use serde::{Deserialize, Serialize};

/// The stored status of a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemStatus {
    Pending,
    InProgress,
    AwaitingVerification,
    Closed,
}

impl ProblemStatus {
    pub const ALL: [ProblemStatus; 4] = [
        ProblemStatus::Pending,
        ProblemStatus::InProgress,
        ProblemStatus::AwaitingVerification,
        ProblemStatus::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ProblemStatus::Pending => "pending",
            ProblemStatus::InProgress => "in_progress",
            ProblemStatus::AwaitingVerification => "awaiting_verification",
            ProblemStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProblemStatus::Pending => "待整改",
            ProblemStatus::InProgress => "整改中",
            ProblemStatus::AwaitingVerification => "已整改待核验",
            ProblemStatus::Closed => "已销号",
        }
    }

    pub fn from_code(s: &str) -> Option<ProblemStatus> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }
}

/// Where a problem came from (来源).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    SelfInspection,
    Enforcement,
    Supervision,
    Tipoff,
    RuleEngine,
}

impl Source {
    pub const ALL: [Source; 5] = [
        Source::SelfInspection,
        Source::Enforcement,
        Source::Supervision,
        Source::Tipoff,
        Source::RuleEngine,
    ];

    /// The sources a supervisor may enter by hand (自查 problems come from self-inspections).
    pub const BY_SUPERVISOR: [Source; 4] = [
        Source::Enforcement,
        Source::Supervision,
        Source::Tipoff,
        Source::RuleEngine,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Source::SelfInspection => "self_inspection",
            Source::Enforcement => "enforcement",
            Source::Supervision => "supervision",
            Source::Tipoff => "tipoff",
            Source::RuleEngine => "rule_engine",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Source::SelfInspection => "自查",
            Source::Enforcement => "执法检查",
            Source::Supervision => "督查",
            Source::Tipoff => "举报",
            Source::RuleEngine => "规则引擎",
        }
    }

    pub fn from_code(s: &str) -> Option<Source> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }
}

/// What someone does to a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// 填报整改情况 (subject).
    Rectify,
    /// 整改完成，申请核验 (subject).
    RequestVerification,
    /// 核验通过，销号 (supervisor).
    Verify,
    /// 退回整改, with a reason (supervisor).
    Reject,
}

impl Action {
    pub const ALL: [Action; 4] = [
        Action::Rectify,
        Action::RequestVerification,
        Action::Verify,
        Action::Reject,
    ];

    /// The `problem_events.kind` it writes.
    pub fn code(self) -> &'static str {
        match self {
            Action::Rectify => "rectify",
            Action::RequestVerification => "request_verification",
            Action::Verify => "verify",
            Action::Reject => "reject",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Rectify => "填报整改情况",
            Action::RequestVerification => "整改完成，申请核验",
            Action::Verify => "核验销号",
            Action::Reject => "退回整改",
        }
    }

    /// Whether the subject itself does it (otherwise its supervisors do).
    pub fn by_subject(self) -> bool {
        matches!(self, Action::Rectify | Action::RequestVerification)
    }
}

/// The Chinese name of an event kind in the history.
pub fn event_label(kind: &str) -> &'static str {
    match kind {
        "created" => "登记问题",
        "rectify" => "填报整改情况",
        "request_verification" => "申请核验",
        "verify" => "核验销号",
        "reject" => "退回整改",
        "overdue" => "逾期",
        _ => "记录",
    }
}

/// The transition table (module docs): the status after `action`, or why it is refused.
pub fn next_status(from: ProblemStatus, action: Action) -> Result<ProblemStatus, &'static str> {
    use Action::*;
    use ProblemStatus::*;
    match (from, action) {
        (Pending | InProgress, Rectify) => Ok(InProgress),
        (Pending | InProgress, RequestVerification) => Ok(AwaitingVerification),
        (AwaitingVerification, Verify) => Ok(Closed),
        (AwaitingVerification, Reject) => Ok(InProgress),
        (AwaitingVerification, Rectify | RequestVerification) => {
            Err("已申请核验，请等待监管部门核验；如被退回，可继续填报整改情况")
        }
        (Pending | InProgress, Verify | Reject) => {
            Err("单位尚未申请核验：只有“已整改待核验”的问题才能销号或退回")
        }
        (Closed, _) => Err("该问题已销号，不能再变更"),
    }
}

/// Whether the holder of `scope` may do `action` to a problem of subject `s` (which is in
/// the scope already). Supervisors are the district, the subject's town and the subject's
/// department; the subject only rectifies, and never verifies its own problem.
pub fn may_act(scope: &Scope, s: &subject::Model, action: Action) -> StoreResult<()> {
    if action.by_subject() {
        return match *scope {
            Scope::Subject(id) if id == s.id => Ok(()),
            _ => Err(StoreError::Validation(
                "整改情况由被检查单位自行填报；监管部门请在单位申请核验后核验销号或退回。".into(),
            )),
        };
    }
    match *scope {
        Scope::All => Ok(()),
        Scope::Town(t) if t == s.town_id => Ok(()),
        Scope::Department(d) if d == s.department_id => Ok(()),
        Scope::Subject(_) => Err(StoreError::Forbidden),
        _ => Err(StoreError::NotFound),
    }
}

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

/// A Unix time as `2022-03-20 14:30` in China (UTC+8).
pub fn china_time(at: i64) -> String {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.with_timezone(&cst).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
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
            Some(StatusFilter::Is(s)) => c = c.add(problem::Column::Status.eq(s.code())),
            Some(StatusFilter::Open) => c = c.add(problem::Column::Status.ne(closed())),
            Some(StatusFilter::Overdue) => c = c.add(overdue_condition(today)),
            None => {}
        }
    }
    if let Some(s) = f.source {
        c = c.add(problem::Column::Source.eq(s.code()));
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

/// The `evidence_files.owner_kind` of rectification evidence (owned by the event).
pub const EVIDENCE_OWNER: &str = "problem_event";

/// A problem to insert (validated already).
#[derive(Debug, Clone)]
pub struct NewProblem {
    pub campaign_id: Option<i32>,
    pub subject_id: i32,
    pub source: Source,
    /// What it came from, e.g. `self_inspection:12`.
    pub source_ref: Option<String>,
    pub item_code: Option<String>,
    pub description: String,
    pub measures: String,
    pub deadline: NaiveDate,
    pub responsible_name: String,
    /// A phone number as `anpei_core::ids::parse_phone` returns it; stored encrypted.
    pub responsible_phone: Option<String>,
    pub created_by: Option<i32>,
    /// Who entered it, as the history shows (a display name).
    pub by_name: String,
}

/// Inserts a problem and its `created` event inside the caller's transaction; returns its
/// id. For the self-inspection's 不符合 items and the supervisor's form alike.
pub async fn insert_new<C: ConnectionTrait>(
    db: &C,
    crypto: &Crypto,
    now: i64,
    p: NewProblem,
) -> StoreResult<i32> {
    let text = format!("登记问题（来源：{}）", p.source.label());
    let m = problem::ActiveModel {
        id: NotSet,
        campaign_id: Set(p.campaign_id),
        subject_id: Set(p.subject_id),
        source: Set(p.source.code().into()),
        source_ref: Set(p.source_ref),
        item_code: Set(p.item_code),
        description: Set(p.description),
        measures: Set(p.measures),
        deadline: Set(p.deadline),
        responsible_name: Set(p.responsible_name),
        responsible_phone_enc: Set(p.responsible_phone.as_deref().map(|x| crypto.encrypt(x))),
        responsible_phone_masked: Set(p
            .responsible_phone
            .as_deref()
            .map(anpei_core::mask::mask_phone)),
        status: Set(ProblemStatus::Pending.code().into()),
        created_at: Set(now),
        created_by: Set(p.created_by),
        updated_at: Set(now),
        closed_at: Set(None),
        closed_by: Set(None),
    }
    .insert(db)
    .await?;
    problem_event::ActiveModel {
        id: NotSet,
        problem_id: Set(m.id),
        kind: Set("created".into()),
        text: Set(text),
        status_after: Set(ProblemStatus::Pending.code().into()),
        by_user: Set(p.created_by),
        by_name: Set(p.by_name),
        at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(m.id)
}

/// The raw fields of the supervisor's form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProblemInput {
    #[serde(default)]
    pub subject_id: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub measures: String,
    #[serde(default)]
    pub deadline: String,
    #[serde(default)]
    pub responsible_name: String,
    #[serde(default)]
    pub responsible_phone: String,
    #[serde(default)]
    pub campaign_id: String,
}

/// A date as users type it: `2022-03-31`, `2022/3/31`, `2022.3.31` or `2022年3月31日`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = anpei_core::ids::trim_cell(s);
    let norm: String = t
        .replace(['年', '月', '/', '.'], "-")
        .trim_end_matches('日')
        .to_string();
    NaiveDate::parse_from_str(&norm, "%Y-%m-%d").ok()
}

fn text_field(
    errs: &mut Vec<(&'static str, String)>,
    field: &'static str,
    label: &str,
    raw: &str,
    max: usize,
) -> String {
    let t = anpei_core::ids::trim_cell(raw).to_string();
    if t.is_empty() || t.chars().count() > max {
        errs.push((field, format!("{label}：不能为空，且不超过{max}个字符")));
    }
    t
}

/// Creates a problem found by a supervisor (district, department or town) on a subject in
/// its scope; the subject's users are notified. Returns the new problem's id.
#[tracing::instrument(skip_all)]
pub async fn create(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    by_name: &str,
    input: &ProblemInput,
) -> StoreResult<i32> {
    if matches!(scope, Scope::Subject(_) | Scope::Nothing) {
        return Err(StoreError::Forbidden);
    }
    let txn = store.write().await?;
    let mut errs: Vec<(&'static str, String)> = Vec::new();
    // An id (the form's hidden field), or what a person types: the code or the full name.
    let who = anpei_core::ids::trim_cell(&input.subject_id);
    let subject = if who.is_empty() {
        None
    } else {
        let by = match who.parse::<i32>() {
            Ok(id) => Condition::all().add(subject::Column::Id.eq(id)),
            Err(_) => Condition::any()
                .add(subject::Column::Uscc.eq(who.to_ascii_uppercase()))
                .add(subject::Column::Name.eq(who)),
        };
        scope::subjects(scope).filter(by).one(&*txn).await?
    };
    if subject.is_none() {
        errs.push((
            "subject_id",
            "被检查单位：请填写本辖区内单位的统一社会信用代码或单位全称".into(),
        ));
    }
    let source = Source::from_code(input.source.trim())
        .filter(|s| Source::BY_SUPERVISOR.contains(s))
        .or_else(|| {
            errs.push((
                "source",
                "来源：请选择执法检查、督查、举报或规则引擎".into(),
            ));
            None
        });
    let description = text_field(
        &mut errs,
        "description",
        "问题描述",
        &input.description,
        1000,
    );
    let measures = text_field(&mut errs, "measures", "整改措施", &input.measures, 1000);
    let today = store.today();
    let deadline = match parse_date(&input.deadline) {
        Some(d) if d < today => {
            errs.push(("deadline", format!("整改时限：不能早于今天（{today}）")));
            None
        }
        Some(d) => Some(d),
        None => {
            errs.push(("deadline", "整改时限：请填写日期，如 2022-03-31".into()));
            None
        }
    };
    let responsible_name = text_field(
        &mut errs,
        "responsible_name",
        "责任人",
        &input.responsible_name,
        50,
    );
    let phone = anpei_core::ids::trim_cell(&input.responsible_phone);
    let responsible_phone = if phone.is_empty() {
        None
    } else {
        match anpei_core::ids::parse_phone(phone) {
            Ok(p) => Some(p),
            Err(e) => {
                errs.push(("responsible_phone", format!("联系电话：{e}")));
                None
            }
        }
    };
    let campaign_id = match input.campaign_id.trim() {
        "" => None,
        c => match c.parse::<i32>() {
            Ok(id) if campaign::Entity::find_by_id(id).one(&*txn).await?.is_some() => Some(id),
            _ => {
                errs.push(("campaign_id", "所属专项整治：不存在，请重新选择".into()));
                None
            }
        },
    };
    if !errs.is_empty() {
        return Err(StoreError::Fields(errs));
    }
    let (subject, source, deadline) = (
        subject.expect("checked"),
        source.expect("checked"),
        deadline.expect("checked"),
    );
    let now = store.now();
    let id = insert_new(
        &*txn,
        &store.crypto,
        now,
        NewProblem {
            campaign_id,
            subject_id: subject.id,
            source,
            source_ref: None,
            item_code: None,
            description: description.clone(),
            measures,
            deadline,
            responsible_name,
            responsible_phone,
            created_by: actor.user_id,
            by_name: by_name.to_string(),
        },
    )
    .await?;
    let to = inbox::recipients_of_subject(&*txn, subject.id, subject.town_id, None, false).await?;
    let msgs = to
        .into_iter()
        .map(|(uid, _)| NewMessage {
            user_id: uid,
            kind: "problem_created".into(),
            title: format!("新增问题（{}），请于{deadline}前整改", source.label()),
            body: description.clone(),
            link: format!("/problems/{id}"),
            dedupe_key: format!("problem:{id}:created:{uid}"),
        })
        .collect();
    inbox::send_many(&*txn, now, msgs).await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("problem.create", format!("problem:{id}")).with_detail(format!(
            "subject:{} source={}",
            subject.id,
            source.code()
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// Most characters of an update's text.
const MAX_TEXT: usize = 2000;

/// Does `action` to problem `id` as the holder of `scope`, with `text` (the rectification,
/// the reason of a rejection, the verification's remark); returns the new event's id, which
/// owns the update's evidence files. One transaction: the status, the event, the notices to
/// those concerned and the audit entry.
#[tracing::instrument(skip_all)]
pub async fn act(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    by_name: &str,
    id: i32,
    action: Action,
    text: &str,
) -> StoreResult<i32> {
    let txn = store.write().await?;
    let (p, s) = problem::Entity::find_by_id(id)
        .find_also_related(subject::Entity)
        .filter(scope.subject_condition())
        .one(&*txn)
        .await?
        .and_then(|(p, s)| s.map(|s| (p, s)))
        .ok_or(StoreError::NotFound)?;
    may_act(scope, &s, action)?;
    let from = ProblemStatus::from_code(&p.status)
        .ok_or_else(|| StoreError::Validation("问题状态异常，请联系系统管理员".into()))?;
    let to = next_status(from, action).map_err(|m| StoreError::Validation(m.into()))?;
    let text = anpei_core::ids::trim_cell(text).to_string();
    let text = match action {
        Action::Verify if text.is_empty() => "核验通过，予以销号".to_string(),
        Action::Reject if text.is_empty() => {
            return Err(StoreError::Fields(vec![(
                "text",
                "退回理由：请写明退回的理由和需要补充整改的内容".into(),
            )]))
        }
        Action::Rectify | Action::RequestVerification if text.is_empty() => {
            return Err(StoreError::Fields(vec![(
                "text",
                "整改情况：请写明已采取的整改措施".into(),
            )]))
        }
        _ => text,
    };
    if text.chars().count() > MAX_TEXT {
        return Err(StoreError::Fields(vec![(
            "text",
            format!("说明：不超过{MAX_TEXT}个字符"),
        )]));
    }
    let now = store.now();
    let mut upd = problem::Entity::update_many()
        .col_expr(problem::Column::Status, Expr::value(to.code()))
        .col_expr(problem::Column::UpdatedAt, Expr::value(now))
        .filter(problem::Column::Id.eq(id))
        // The status read above, still: a concurrent writer on another engine cannot slip
        // a second transition in between.
        .filter(problem::Column::Status.eq(from.code()));
    if to == ProblemStatus::Closed {
        upd = upd
            .col_expr(problem::Column::ClosedAt, Expr::value(now))
            .col_expr(problem::Column::ClosedBy, Expr::value(actor.user_id));
    }
    if upd.exec(&*txn).await?.rows_affected != 1 {
        return Err(StoreError::Conflict(
            "该问题刚被他人更新，请刷新页面后重试".into(),
        ));
    }
    let ev = problem_event::ActiveModel {
        id: NotSet,
        problem_id: Set(id),
        kind: Set(action.code().into()),
        text: Set(text.clone()),
        status_after: Set(to.code().into()),
        by_user: Set(actor.user_id),
        by_name: Set(by_name.to_string()),
        at: Set(now),
    }
    .insert(&*txn)
    .await?;
    notify(&*txn, now, &p, &s, action, ev.id, &text).await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("problem.update", format!("problem:{id}")).with_detail(format!(
            "{} {}→{}",
            action.code(),
            from.code(),
            to.code()
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(ev.id)
}

async fn notify<C: ConnectionTrait>(
    db: &C,
    now: i64,
    p: &problem::Model,
    s: &subject::Model,
    action: Action,
    event_id: i32,
    text: &str,
) -> StoreResult<()> {
    let (kind, title, supervisors) = match action {
        Action::Rectify => return Ok(()),
        Action::RequestVerification => (
            "problem_verify_requested",
            format!("{}申请核验问题整改", s.name),
            true,
        ),
        Action::Verify => ("problem_verified", "问题已核验销号".to_string(), false),
        Action::Reject => (
            "problem_rejected",
            "整改被退回，请继续整改".to_string(),
            false,
        ),
    };
    let to = inbox::recipients_of_subject(db, s.id, s.town_id, Some(s.department_id), true)
        .await?
        .into_iter()
        .filter(|(_, r)| (*r == Role::Subject) != supervisors);
    let body = format!("问题：{}\n{}：{}", p.description, action.label(), text);
    let msgs = to
        .map(|(uid, _)| NewMessage {
            user_id: uid,
            kind: kind.into(),
            title: title.clone(),
            body: body.clone(),
            link: format!("/problems/{}", p.id),
            dedupe_key: format!("problem:{}:event:{event_id}:{uid}", p.id),
        })
        .collect();
    inbox::send_many(db, now, msgs).await?;
    Ok(())
}

/// Records an `overdue` event, once, for every problem overdue on `today` that has none;
/// returns the ids of the problems newly recorded (inside the caller's transaction).
pub async fn record_overdue<C: ConnectionTrait>(
    db: &C,
    today: NaiveDate,
    now: i64,
) -> StoreResult<Vec<i32>> {
    let marked = Query::select()
        .column(problem_event::Column::ProblemId)
        .from(problem_event::Entity)
        .and_where(problem_event::Column::Kind.eq("overdue"))
        .to_owned();
    let due: Vec<(i32, String, NaiveDate)> = problem::Entity::find()
        .select_only()
        .columns([
            problem::Column::Id,
            problem::Column::Status,
            problem::Column::Deadline,
        ])
        .filter(overdue_condition(today))
        .filter(problem::Column::Id.not_in_subquery(marked))
        .order_by_asc(problem::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let ids: Vec<i32> = due.iter().map(|(id, _, _)| *id).collect();
    let mut rows = due
        .into_iter()
        .map(|(id, status, deadline)| problem_event::ActiveModel {
            id: NotSet,
            problem_id: Set(id),
            kind: Set("overdue".into()),
            text: Set(format!("已超过整改时限（{deadline}），尚未销号")),
            status_after: Set(status),
            by_user: Set(None),
            by_name: Set("系统".into()),
            at: Set(now),
        });
    loop {
        let chunk: Vec<_> = rows.by_ref().take(400).collect();
        if chunk.is_empty() {
            break;
        }
        problem_event::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transition_table_allows_exactly_the_documented_moves() {
        use Action::*;
        use ProblemStatus::*;
        let legal = [
            (Pending, Rectify, InProgress),
            (InProgress, Rectify, InProgress),
            (Pending, RequestVerification, AwaitingVerification),
            (InProgress, RequestVerification, AwaitingVerification),
            (AwaitingVerification, Verify, Closed),
            (AwaitingVerification, Reject, InProgress),
        ];
        for from in ProblemStatus::ALL {
            for a in Action::ALL {
                let expected = legal
                    .iter()
                    .find(|(f, x, _)| *f == from && *x == a)
                    .map(|(_, _, t)| *t);
                match (next_status(from, a), expected) {
                    (Ok(t), Some(e)) => assert_eq!(t, e, "{from:?} {a:?}"),
                    (Err(m), None) => assert!(!m.is_empty()),
                    (got, e) => panic!("{from:?} {a:?}: got {got:?}, expected {e:?}"),
                }
            }
        }
    }

    #[test]
    fn parses_dates_as_people_type_them() {
        let d = NaiveDate::from_ymd_opt(2022, 3, 31).unwrap();
        for s in [
            "2022-03-31",
            "2022/3/31",
            "2022.03.31",
            "2022年3月31日",
            " 2022-3-31 ",
        ] {
            assert_eq!(parse_date(s), Some(d), "{s}");
        }
        assert_eq!(parse_date("2022-02-30"), None);
        assert_eq!(parse_date("明天"), None);
    }

    #[test]
    fn status_filters_parse_from_their_codes() {
        assert_eq!(StatusFilter::parse("overdue"), Some(StatusFilter::Overdue));
        assert_eq!(
            StatusFilter::parse("closed"),
            Some(StatusFilter::Is(ProblemStatus::Closed))
        );
        assert_eq!(StatusFilter::parse("nonsense"), None);
    }
}
