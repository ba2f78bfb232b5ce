//! 考核督查 (notice §三(三)): the district office's score sheets of departments and towns,
//! the ranking, and — in the submodules — the summary reports ([`summary`]) and the
//! district bulletin's figures ([`bulletin`]).
//!
//! A unit (a department or a town) is judged over its own subjects, the same subjects its
//! accounts see through the scope filter (`Scope::Department` / `Scope::Town`): a
//! department's are the subjects of the industries it supervises, a town's those located in
//! it. The data indicators, each a ratio with points (100 data points in all):
//!
//! | indicator                         | ratio                                         | points |
//! |-----------------------------------|-----------------------------------------------|--------|
//! | 自查完成率 self-inspection         | submitted / must self-inspect                  | 25     |
//! | 执法检查覆盖率 inspection coverage | subjects inspected in the enforcement phase / subjects | 25 |
//! | 问题整改率 problems rectified      | closed (已销号) / found                        | 20     |
//! | 整改时效 timeliness                | 1 − overdue / found (overdue items subtract)   | 15     |
//! | 举报按期办结率 tip-offs on time     | closed by the deadline / assigned and due      | 15     |
//!
//! A measure whose base is below `Params::score_min_base` (3 by default) (no subject, no problem, no tip-off due — or
//! too few to judge by) is 不适用: it earns nothing and costs nothing, and the data score is
//! taken over the measures that apply, their weights renormalised to 100
//! (score = 100 × Σ weight × share ÷ Σ weight, over the applicable measures). A unit to which
//! no measure applies has no data score and is not ranked. 执法检查覆盖率 is not scored before
//! the campaign's 执法检查 phase has begun. Percentages are rounded half up (3/7 = 43 %). A
//! tip-off still inside its time limit and open is not yet due and not counted. An inspection counts when it is completed and belongs to the campaign
//! (or, recorded without a campaign, falls in its enforcement phase).
//!
//! The supervisors add their own findings (each also a problem of that department or town,
//! in `supervision_problems`, see migration m0011) and a manual adjustment between
//! [`MANUAL_MIN`] and [`MANUAL_MAX`] with its reason; total = data + adjustment, within
//! 0–100. A sheet is saved as a draft, then finalised (定稿): the data points are frozen
//! at that moment and the sheet can no longer change. Only the district writes sheets;
//! every write is one transaction with its audit entry.

pub mod bulletin;
pub mod summary;
mod write;

pub use write::{
    add_finding, close_problem, problem, problem_status_label, save_sheet, FindingInput, SheetInput,
};

use crate::campaign::problems::overdue_condition;
use crate::campaign::selfcheck::SelfcheckStatus;
use crate::campaign::{self as campaigns, CampaignInfo};
use crate::enforcement::InspectionStatus;
use crate::entity::{
    inspection, problem, self_inspection, subject, supervision_problem, supervision_sheet, tipoff,
};
use crate::platform::jobs::catalogue_kinds;
use crate::Reach;
use crate::{registry::reference, Scope, Store, StoreError, StoreResult};
use anpei_core::campaign::PhaseKind;
use anpei_core::tipoff::{self as tipoff_rules, Status as TipoffStatus};
use chrono::NaiveDate;
use sea_orm::sea_query::{Condition, Expr, Func, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DeriveActiveEnum, EntityTrait, EnumIter, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationDef,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Points of each data indicator (module docs); they add up to 100.
pub const W_SELF_INSPECTION: f64 = 25.0;
pub const W_COVERAGE: f64 = 25.0;
pub const W_RECTIFIED: f64 = 20.0;
pub const W_TIMELINESS: f64 = 15.0;
pub const W_TIPOFFS: f64 = 15.0;
/// The supervisors' manual adjustment (加减分), in points.
pub const MANUAL_MIN: f64 = -10.0;
pub const MANUAL_MAX: f64 = 10.0;
/// Longest finding or reason, in characters.
const MAX_TEXT: usize = 1000;

/// A department or a town, as a supervised unit of its district; a district, as a
/// supervised unit of the city.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    Department(i32),
    Town(i32),
    District(i32),
}

impl Unit {
    /// `department` / `town` (paths and keys).
    pub fn kind_code(self) -> &'static str {
        match self {
            Unit::Department(_) => "department",
            Unit::Town(_) => "town",
            Unit::District(_) => "district",
        }
    }

    pub fn kind_label(self) -> &'static str {
        match self {
            Unit::Department(_) => "部门",
            Unit::Town(_) => "镇街",
            Unit::District(_) => "区县",
        }
    }

    pub fn id(self) -> i32 {
        match self {
            Unit::Department(i) | Unit::Town(i) | Unit::District(i) => i,
        }
    }

    /// `department:3`, `town:7`: audit objects and dedupe keys.
    pub fn key(self) -> String {
        format!("{}:{}", self.kind_code(), self.id())
    }

    /// The page of its sheet.
    pub fn path(self) -> String {
        format!("/supervision/{}s/{}", self.kind_code(), self.id())
    }

    /// The unit a department or town account acts for.
    pub fn of_scope(scope: &Scope) -> Option<Unit> {
        match scope.reach() {
            Reach::Department(d) => Some(Unit::Department(d)),
            Reach::Town(t) => Some(Unit::Town(t)),
            _ => None,
        }
    }

    /// The unit an account reports for: its department or town, or, in a city, its
    /// district (a one-district installation's district reports to nobody).
    pub async fn reporting_for(store: &Store, scope: &Scope) -> StoreResult<Option<Unit>> {
        Unit::reporting_for_in(&store.db, scope).await
    }

    pub(crate) async fn reporting_for_in<C: ConnectionTrait>(
        db: &C,
        scope: &Scope,
    ) -> StoreResult<Option<Unit>> {
        Ok(match scope.reach() {
            Reach::District(d) if reference::only_district(db).await?.is_none() => {
                Some(Unit::District(d))
            }
            _ => Unit::of_scope(scope),
        })
    }

    /// `(department_id, town_id, district_id)`: exactly one is set.
    pub(crate) fn columns(self) -> (Option<i32>, Option<i32>, Option<i32>) {
        match self {
            Unit::Department(d) => (Some(d), None, None),
            Unit::Town(t) => (None, Some(t), None),
            Unit::District(x) => (None, None, Some(x)),
        }
    }

    pub(crate) fn of_columns(
        department: Option<i32>,
        town: Option<i32>,
        district: Option<i32>,
    ) -> Option<Unit> {
        match (department, town, district) {
            (Some(d), None, None) => Some(Unit::Department(d)),
            (None, Some(t), None) => Some(Unit::Town(t)),
            (None, None, Some(x)) => Some(Unit::District(x)),
            _ => None,
        }
    }

    fn sheet_condition(self) -> Condition {
        match self {
            Unit::Department(d) => Condition::all()
                .add(supervision_sheet::Column::DepartmentId.eq(d))
                .add(supervision_sheet::Column::TownId.is_null()),
            Unit::Town(t) => Condition::all()
                .add(supervision_sheet::Column::TownId.eq(t))
                .add(supervision_sheet::Column::DepartmentId.is_null()),
            Unit::District(x) => Condition::all()
                .add(supervision_sheet::Column::DistrictId.eq(x))
                .add(supervision_sheet::Column::TownId.is_null())
                .add(supervision_sheet::Column::DepartmentId.is_null()),
        }
    }
}

/// `n` of `of`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratio {
    pub n: i64,
    pub of: i64,
}

impl Ratio {
    /// The share; none when there is nothing to count.
    pub fn share(&self) -> Option<f64> {
        (self.of > 0).then(|| (self.n as f64 / self.of as f64).clamp(0.0, 1.0))
    }

    /// The share in whole percent, rounded half up (3/7 = 43); none over nothing.
    pub fn pct(&self) -> Option<i64> {
        (self.of > 0).then(|| (200 * self.n.clamp(0, self.of) + self.of) / (2 * self.of))
    }

    /// Whether the measure is scored: its base reaches `min_base`.
    pub fn applies(&self, min_base: i64) -> bool {
        self.of >= min_base
    }

    fn add(&mut self, o: Ratio) {
        self.n += o.n;
        self.of += o.of;
    }
}

/// Points rounded to one decimal.
fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The data behind a unit's score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicators {
    /// Subjects of the unit.
    pub subjects: i64,
    /// Self-inspections submitted / subjects that must self-inspect.
    pub self_inspection: Ratio,
    /// Subjects inspected / subjects.
    pub coverage: Ratio,
    /// Completed inspections of its subjects.
    pub inspections: i64,
    /// Problems closed / found.
    pub rectified: Ratio,
    /// Problems not closed past their deadline.
    pub overdue: i64,
    /// Tip-offs closed by their deadline / assigned to it and due.
    pub tipoffs: Ratio,
    /// Tip-offs assigned to it in the campaign, due or not.
    pub tipoffs_assigned: i64,
}

impl Indicators {
    fn add(&mut self, o: &Indicators) {
        self.subjects += o.subjects;
        self.self_inspection.add(o.self_inspection);
        self.coverage.add(o.coverage);
        self.inspections += o.inspections;
        self.rectified.add(o.rectified);
        self.overdue += o.overdue;
        self.tipoffs.add(o.tipoffs);
        self.tipoffs_assigned += o.tipoffs_assigned;
    }

    /// 1 − overdue / found: the problems not overdue over those found.
    pub fn timeliness(&self) -> Ratio {
        Ratio {
            n: self.rectified.of - self.overdue,
            of: self.rectified.of,
        }
    }

    /// The points of each indicator; none for a measure that does not apply (its base below
    /// the minimum, or coverage before the 执法检查 phase has begun).
    pub fn points(&self, rule: Scoring) -> Points {
        let score = |w: f64, r: Ratio| {
            r.applies(rule.min_base)
                .then(|| r.share().map(|s| round1(w * s)))
                .flatten()
        };
        let enforcement_started = rule.enforcement_started;
        Points {
            self_inspection: score(W_SELF_INSPECTION, self.self_inspection),
            coverage: if enforcement_started {
                score(W_COVERAGE, self.coverage)
            } else {
                None
            },
            rectified: score(W_RECTIFIED, self.rectified),
            timeliness: score(W_TIMELINESS, self.timeliness()),
            tipoffs: score(W_TIPOFFS, self.tipoffs),
        }
    }
}

/// Points of the data indicators; none for a measure that is 不适用.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Points {
    pub self_inspection: Option<f64>,
    pub coverage: Option<f64>,
    pub rectified: Option<f64>,
    pub timeliness: Option<f64>,
    pub tipoffs: Option<f64>,
}

impl Points {
    /// The data score over the measures that apply, weights renormalised to 100; none when
    /// no measure applies.
    pub fn data(&self) -> Option<f64> {
        let parts = [
            (self.self_inspection, W_SELF_INSPECTION),
            (self.coverage, W_COVERAGE),
            (self.rectified, W_RECTIFIED),
            (self.timeliness, W_TIMELINESS),
            (self.tipoffs, W_TIPOFFS),
        ];
        let (got, weight) = parts
            .iter()
            .filter_map(|(p, w)| p.map(|p| (p, *w)))
            .fold((0.0, 0.0), |(g, ws), (p, w)| (g + p, ws + w));
        (weight > 0.0).then(|| round1(got * 100.0 / weight))
    }
}

/// What a finalised sheet froze (`supervision_sheets.scores`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Frozen {
    indicators: Indicators,
    points: Points,
}

/// One finding of a sheet (`supervision_sheets.findings` is a JSON list of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub text: String,
    pub measures: String,
    pub deadline: NaiveDate,
    /// Its `supervision_problems` row.
    pub problem_id: i32,
}

/// The status of a score sheet (the `supervision_sheets.status` column, by its code).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum SheetStatus {
    /// 草稿: the data points are live, the adjustment and findings may change.
    #[sea_orm(string_value = "draft")]
    Draft,
    /// 已定稿: frozen.
    #[sea_orm(string_value = "final")]
    Final,
}

impl SheetStatus {
    pub const ALL: [SheetStatus; 2] = [SheetStatus::Draft, SheetStatus::Final];

    pub fn code(self) -> &'static str {
        match self {
            SheetStatus::Draft => "draft",
            SheetStatus::Final => "final",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SheetStatus::Draft => "草稿",
            SheetStatus::Final => "已定稿",
        }
    }

    pub fn from_code(s: &str) -> Option<SheetStatus> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }
}

/// The status of a problem the supervisors found in a department or a town (the
/// `supervision_problems.status` column, by its code). Overdue (逾期未整改) is not stored:
/// see [`problem_status_label`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum SupervisionProblemStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "closed")]
    Closed,
}

impl SupervisionProblemStatus {
    pub const ALL: [SupervisionProblemStatus; 2] = [
        SupervisionProblemStatus::Pending,
        SupervisionProblemStatus::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SupervisionProblemStatus::Pending => "pending",
            SupervisionProblemStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SupervisionProblemStatus::Pending => "待整改",
            SupervisionProblemStatus::Closed => "已销号",
        }
    }

    pub fn from_code(s: &str) -> Option<SupervisionProblemStatus> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }
}

/// The stored part of a sheet.
#[derive(Debug, Clone)]
pub struct SheetState {
    pub id: i32,
    pub status: SheetStatus,
    pub manual: f64,
    pub reason: String,
    pub findings: Vec<Finding>,
    pub updated_at: i64,
}

impl SheetState {
    pub fn is_final(&self) -> bool {
        self.status == SheetStatus::Final
    }

    pub fn status_label(&self) -> &'static str {
        self.status.label()
    }
}

/// The manual adjustment and its reason, kept with the findings' JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct StoredFindings {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    items: Vec<Finding>,
}

fn sheet_state(m: &supervision_sheet::Model) -> (SheetState, Option<Frozen>) {
    let f: StoredFindings = serde_json::from_str(&m.findings).unwrap_or_default();
    let frozen = (m.status == SheetStatus::Final)
        .then(|| serde_json::from_str::<Frozen>(&m.scores).ok())
        .flatten();
    (
        SheetState {
            id: m.id,
            status: m.status,
            manual: m.manual_score,
            reason: f.reason,
            findings: f.items,
            updated_at: m.updated_at,
        },
        frozen,
    )
}

/// One unit's line of the ranking, or the head of its sheet.
#[derive(Debug, Clone)]
pub struct UnitLine {
    pub unit: Unit,
    pub name: String,
    pub ind: Indicators,
    pub points: Points,
    /// The data score; 0 when no measure applies (then `scored` is false).
    pub data: f64,
    pub manual: f64,
    pub total: f64,
    /// Whether any measure applies: a unit with nothing to judge it by is not ranked.
    pub scored: bool,
    pub sheet: Option<SheetState>,
    /// 1 for the highest total (equal totals share a rank); 0: not ranked.
    pub rank: usize,
}

impl UnitLine {
    pub fn status_label(&self) -> &'static str {
        self.sheet
            .as_ref()
            .map_or("未评分", SheetState::status_label)
    }
}

fn total_of(data: f64, manual: f64) -> f64 {
    round1((data + manual).clamp(0.0, 100.0))
}

/// Whether the campaign's 执法检查 phase has begun on `today`.
pub fn enforcement_started(c: &CampaignInfo, today: NaiveDate) -> bool {
    c.phase_of(PhaseKind::Enforcement)
        .is_some_and(|p| p.starts_on <= today)
}

/// What scoring depends on besides the counts: the minimum base of a measure
/// (`Params::score_min_base`) and whether the 执法检查 phase has begun.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scoring {
    pub min_base: i64,
    pub enforcement_started: bool,
}

impl Scoring {
    /// The scoring of campaign `c` today.
    pub fn of(store: &Store, c: &CampaignInfo) -> Scoring {
        Scoring {
            min_base: i64::from(store.params.score_min_base),
            enforcement_started: enforcement_started(c, store.today()),
        }
    }
}

fn line(
    unit: Unit,
    name: String,
    live: Indicators,
    sheet: Option<&supervision_sheet::Model>,
    rule: Scoring,
) -> UnitLine {
    let (state, frozen) = match sheet.map(sheet_state) {
        Some((s, f)) => (Some(s), f),
        None => (None, None),
    };
    let (ind, points) = match frozen {
        Some(f) => (f.indicators, f.points),
        None => (live, live.points(rule)),
    };
    let scored = points.data().is_some();
    let data = points.data().unwrap_or(0.0);
    let manual = state.as_ref().map_or(0.0, |s| s.manual);
    UnitLine {
        unit,
        name,
        ind,
        points,
        data,
        manual,
        total: total_of(data, manual),
        scored,
        sheet: state,
        rank: 0,
    }
}

/// Sorts by total (then data points, then name) and numbers the ranks; units with no
/// measure that applies come last, unranked (rank 0).
fn rank(lines: &mut [UnitLine]) {
    lines.sort_by(|a, b| {
        b.scored
            .cmp(&a.scored)
            .then(b.total.total_cmp(&a.total))
            .then(b.data.total_cmp(&a.data))
            .then(a.name.cmp(&b.name))
    });
    let mut prev: Option<f64> = None;
    let mut r = 0;
    for (i, l) in lines.iter_mut().enumerate() {
        if !l.scored {
            l.rank = 0;
            continue;
        }
        if prev != Some(l.total) {
            r = i + 1;
            prev = Some(l.total);
        }
        l.rank = r;
    }
}

/// The ranking of a campaign: towns and departments separately, and for the city of
/// several districts the districts.
#[derive(Debug, Clone)]
pub struct Ranking {
    pub campaign: CampaignInfo,
    pub towns: Vec<UnitLine>,
    pub departments: Vec<UnitLine>,
    /// Empty unless the scope is the city's and the installation has several districts.
    pub districts: Vec<UnitLine>,
}

/// The city's campaign `id`, or its current one when `None` (`NotFound` if there is none).
pub async fn campaign_or_current(store: &Store, id: Option<i32>) -> StoreResult<CampaignInfo> {
    campaign_in(store, None, id).await
}

/// The campaign asked for if it applies in `district` (the city's, or the district's own;
/// the city's only for `None`), else the district's current one.
pub async fn campaign_in(
    store: &Store,
    district: Option<i32>,
    id: Option<i32>,
) -> StoreResult<CampaignInfo> {
    match id {
        Some(id) => campaigns::get_in(store, district, id).await?,
        None => campaigns::current_in(store, store.today(), district).await?,
    }
    .ok_or(StoreError::NotFound)
}

/// A (town, department) group's problems: found, closed and overdue (`SUM` is NULL over
/// no rows).
type ProblemCounts = (i32, i32, i64, Option<i64>, Option<i64>);

/// The indicators of every town, department and district, by id.
#[derive(Debug, Clone, Default)]
pub struct AllIndicators {
    pub towns: HashMap<i32, Indicators>,
    pub departments: HashMap<i32, Indicators>,
    /// A district's: the sums over its towns (every subject lies in one town), with the
    /// tip-offs of the district (handed to it by the city, or to one of its units).
    pub districts: HashMap<i32, Indicators>,
}

impl AllIndicators {
    /// The indicators of one unit (zero for a unit with nothing).
    pub fn of(&self, unit: Unit) -> Indicators {
        let map = match unit {
            Unit::Department(_) => &self.departments,
            Unit::Town(_) => &self.towns,
            Unit::District(_) => &self.districts,
        };
        map.get(&unit.id()).copied().unwrap_or_default()
    }
}

fn belongs_to_subject<E: EntityTrait>(col: E::Column) -> RelationDef {
    E::belongs_to(subject::Entity)
        .from(col)
        .to(subject::Column::Id)
        .into()
}

fn one_if(c: Condition) -> SimpleExpr {
    let case: SimpleExpr = Expr::case(c, Expr::cust("1"))
        .finally(Expr::cust("0"))
        .into();
    Func::sum(case).into()
}

/// Inspections that count for a campaign: completed, and of the campaign or, recorded
/// without one, inside its enforcement phase.
pub fn inspection_condition(c: &CampaignInfo) -> Condition {
    let mut of = Condition::any().add(inspection::Column::CampaignId.eq(c.campaign.id));
    if let Some(p) = c.phase_of(PhaseKind::Enforcement) {
        of = of.add(
            Condition::all()
                .add(inspection::Column::CampaignId.is_null())
                .add(inspection::Column::InspectedOn.gte(p.starts_on))
                .add(inspection::Column::InspectedOn.lte(p.ends_on)),
        );
    }
    Condition::all()
        .add(inspection::Column::Status.ne(InspectionStatus::Draft))
        .add(of)
}

/// The campaign's period for records without a campaign (tip-offs, actions): its first
/// phase's first day to the later of its last phase's end and the summary deadline.
pub fn period(c: &CampaignInfo) -> (NaiveDate, NaiveDate) {
    let due = c.campaign.summary_due;
    match c.span() {
        Some((a, b)) => (a, b.max(due)),
        None => (due, due),
    }
}

/// Whether a tip-off counts as due and whether it was closed by its deadline.
fn tipoff_on_time(store: &Store, t: &TipoffRow, today: NaiveDate) -> (bool, bool) {
    let dl = tipoff_rules::deadlines(
        &store.params,
        t.accepted_on,
        u32::try_from(t.extension_days).unwrap_or(0),
        None,
    );
    let closed = t.status == TipoffStatus::Closed;
    let on_time = closed && t.closed_on.is_some_and(|d| d <= dl.close_by);
    let due = closed || today > dl.close_by;
    (due, on_time)
}

#[derive(Debug, Clone, sea_orm::FromQueryResult)]
struct TipoffRow {
    assigned_department_id: Option<i32>,
    assigned_town_id: Option<i32>,
    district_id: Option<i32>,
    status: TipoffStatus,
    accepted_on: NaiveDate,
    extension_days: i32,
    closed_on: Option<NaiveDate>,
}

/// Counts the indicators of every town and department (a few grouped queries, each
/// grouped by (town, department) of the subject, folded in memory).
#[tracing::instrument(skip_all)]
pub async fn indicators_all(store: &Store, c: &CampaignInfo) -> StoreResult<AllIndicators> {
    let db = &store.db;
    let cid = c.campaign.id;
    let kinds = catalogue_kinds(db, cid).await?;
    let today = store.today();
    let mut groups: HashMap<(i32, i32), Indicators> = HashMap::new();

    let subjects: Vec<(i32, i32, i64, Option<i64>)> = subject::Entity::find()
        .select_only()
        .columns([subject::Column::TownId, subject::Column::DepartmentId])
        .expr(Expr::col((subject::Entity, subject::Column::Id)).count())
        .expr(one_if(
            Condition::all().add(subject::Column::Kind.is_in(kinds.clone())),
        ))
        .group_by(subject::Column::TownId)
        .group_by(subject::Column::DepartmentId)
        .into_tuple()
        .all(db)
        .await?;
    for (t, d, n, must) in subjects {
        let g = groups.entry((t, d)).or_default();
        g.subjects = n;
        g.coverage.of = n;
        g.self_inspection.of = must.unwrap_or(0);
    }

    let submitted: Vec<(i32, i32, i64)> = self_inspection::Entity::find()
        .join(
            JoinType::InnerJoin,
            belongs_to_subject::<self_inspection::Entity>(self_inspection::Column::SubjectId),
        )
        .filter(self_inspection::Column::CampaignId.eq(cid))
        .filter(self_inspection::Column::Status.eq(SelfcheckStatus::Submitted))
        .filter(subject::Column::Kind.is_in(kinds))
        .select_only()
        .columns([subject::Column::TownId, subject::Column::DepartmentId])
        .expr(Expr::col((self_inspection::Entity, self_inspection::Column::Id)).count())
        .group_by(subject::Column::TownId)
        .group_by(subject::Column::DepartmentId)
        .into_tuple()
        .all(db)
        .await?;
    for (t, d, n) in submitted {
        groups.entry((t, d)).or_default().self_inspection.n = n;
    }

    let inspected: Vec<(i32, i32, i64, i64)> = inspection::Entity::find()
        .join(
            JoinType::InnerJoin,
            belongs_to_subject::<inspection::Entity>(inspection::Column::SubjectId),
        )
        .filter(inspection_condition(c))
        .select_only()
        .columns([subject::Column::TownId, subject::Column::DepartmentId])
        .expr(Expr::cust("COUNT(DISTINCT inspections.subject_id)"))
        .expr(Expr::col((inspection::Entity, inspection::Column::Id)).count())
        .group_by(subject::Column::TownId)
        .group_by(subject::Column::DepartmentId)
        .into_tuple()
        .all(db)
        .await?;
    for (t, d, covered, n) in inspected {
        let g = groups.entry((t, d)).or_default();
        g.coverage.n = covered;
        g.inspections = n;
    }

    let problems: Vec<ProblemCounts> = problem::Entity::find()
        .join(
            JoinType::InnerJoin,
            belongs_to_subject::<problem::Entity>(problem::Column::SubjectId),
        )
        .filter(problem::Column::CampaignId.eq(cid))
        .select_only()
        .columns([subject::Column::TownId, subject::Column::DepartmentId])
        .expr(Expr::col((problem::Entity, problem::Column::Id)).count())
        .expr(one_if(Condition::all().add(
            problem::Column::Status.eq(crate::campaign::problems::ProblemStatus::Closed),
        )))
        .expr(one_if(overdue_condition(today)))
        .group_by(subject::Column::TownId)
        .group_by(subject::Column::DepartmentId)
        .into_tuple()
        .all(db)
        .await?;
    for (t, d, n, closed, overdue) in problems {
        let g = groups.entry((t, d)).or_default();
        g.rectified = Ratio {
            n: closed.unwrap_or(0),
            of: n,
        };
        g.overdue = overdue.unwrap_or(0);
    }

    let district_of: HashMap<i32, i32> = crate::entity::town::Entity::find()
        .select_only()
        .columns([
            crate::entity::town::Column::Id,
            crate::entity::town::Column::DistrictId,
        ])
        .into_tuple::<(i32, i32)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut towns: HashMap<i32, Indicators> = HashMap::new();
    let mut deps: HashMap<i32, Indicators> = HashMap::new();
    let mut districts: HashMap<i32, Indicators> = HashMap::new();
    for ((t, d), g) in &groups {
        towns.entry(*t).or_default().add(g);
        deps.entry(*d).or_default().add(g);
        if let Some(x) = district_of.get(t) {
            districts.entry(*x).or_default().add(g);
        }
    }

    let (from, to) = period(c);
    let tips: Vec<TipoffRow> = tipoff::Entity::find()
        .select_only()
        .columns([
            tipoff::Column::AssignedDepartmentId,
            tipoff::Column::AssignedTownId,
            tipoff::Column::DistrictId,
            tipoff::Column::Status,
            tipoff::Column::AcceptedOn,
            tipoff::Column::ExtensionDays,
            tipoff::Column::ClosedOn,
        ])
        .filter(tipoff::Column::AcceptedOn.gte(from))
        .filter(tipoff::Column::AcceptedOn.lte(to))
        .filter(
            Condition::any()
                .add(tipoff::Column::AssignedDepartmentId.is_not_null())
                .add(tipoff::Column::AssignedTownId.is_not_null())
                .add(tipoff::Column::DistrictId.is_not_null()),
        )
        .into_model()
        .all(db)
        .await?;
    for t in &tips {
        let (due, on_time) = tipoff_on_time(store, t, today);
        let unit = match (t.assigned_department_id, t.assigned_town_id) {
            (Some(d), _) => Some(deps.entry(d).or_default()),
            (None, Some(x)) => Some(towns.entry(x).or_default()),
            (None, None) => None,
        };
        let district = t.district_id.map(|x| districts.entry(x).or_default());
        for g in [unit, district].into_iter().flatten() {
            g.tipoffs_assigned += 1;
            if due {
                g.tipoffs.of += 1;
            }
            if on_time {
                g.tipoffs.n += 1;
            }
        }
    }
    Ok(AllIndicators {
        towns,
        departments: deps,
        districts,
    })
}

/// The campaign's sheets by unit.
async fn sheets_of<C: ConnectionTrait>(
    db: &C,
    campaign_id: i32,
) -> StoreResult<HashMap<Unit, supervision_sheet::Model>> {
    Ok(supervision_sheet::Entity::find()
        .filter(supervision_sheet::Column::CampaignId.eq(campaign_id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| Unit::of_columns(s.department_id, s.town_id, s.district_id).map(|u| (u, s)))
        .collect())
}

/// The ranking of a campaign: every town and every department of the scope's district,
/// sorted by total; for the city of several districts, its districts and its own (city)
/// departments — each district ranks its towns and departments itself.
#[tracing::instrument(skip_all)]
pub async fn ranking(store: &Store, scope: &Scope, c: &CampaignInfo) -> StoreResult<Ranking> {
    let all = indicators_all(store, c).await?;
    let sheets = sheets_of(&store.db, c.campaign.id).await?;
    let rule = Scoring::of(store, c);
    let unit_line = |u: Unit, name: String| line(u, name, all.of(u), sheets.get(&u), rule);
    let city = supervises_districts(store, scope).await?;
    let mut towns: Vec<UnitLine> = if city {
        Vec::new()
    } else {
        reference::towns(store, scope)
            .await?
            .into_iter()
            .map(|t| unit_line(Unit::Town(t.id), t.name))
            .collect()
    };
    let mut departments: Vec<UnitLine> = reference::departments(store, scope)
        .await?
        .into_iter()
        .filter(|(d, _)| !city || d.district_id.is_none())
        .map(|(d, _)| unit_line(Unit::Department(d.id), d.name))
        .collect();
    let mut districts: Vec<UnitLine> = if city {
        reference::districts(store, scope)
            .await?
            .into_iter()
            .map(|d| unit_line(Unit::District(d.id), d.name))
            .collect()
    } else {
        Vec::new()
    };
    rank(&mut towns);
    rank(&mut departments);
    rank(&mut districts);
    Ok(Ranking {
        campaign: c.clone(),
        towns,
        departments,
        districts,
    })
}

/// Whether the scope supervises districts: the city's, in an installation of several.
pub async fn supervises_districts(store: &Store, scope: &Scope) -> StoreResult<bool> {
    supervises_districts_in(&store.db, scope).await
}

async fn supervises_districts_in<C: ConnectionTrait>(db: &C, scope: &Scope) -> StoreResult<bool> {
    Ok(scope.is_all() && reference::only_district(db).await?.is_none())
}

/// `NotFound` unless `unit` is a town or department of the scope's district (any district's
/// for the city), or a district the scope supervises: what every read and write of a
/// unit's sheet checks first.
pub async fn unit_in_scope<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    unit: Unit,
) -> StoreResult<()> {
    use crate::entity::{department, district};
    let within = match unit {
        Unit::District(x) => {
            supervises_districts_in(db, scope).await?
                && district::Entity::find_by_id(x).one(db).await?.is_some()
        }
        Unit::Town(t) => scope.reaches_town(db, t).await?,
        Unit::Department(d) => {
            let dep = department::Entity::find_by_id(d).one(db).await?;
            match (dep, reference::district_of_scope(db, scope).await?) {
                (Some(_), Ok(None)) => true,
                (Some(x), Ok(Some(mine))) => x.district_id == Some(mine),
                _ => false,
            }
        }
    };
    if within {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// The district a town or department lies in (none for a city department or a district).
async fn unit_district<C: ConnectionTrait>(db: &C, unit: Unit) -> StoreResult<Option<i32>> {
    use crate::entity::{department, town};
    Ok(match unit {
        Unit::Town(t) => town::Entity::find_by_id(t)
            .one(db)
            .await?
            .map(|t| t.district_id),
        Unit::Department(d) => department::Entity::find_by_id(d)
            .one(db)
            .await?
            .and_then(|d| d.district_id),
        Unit::District(_) => None,
    })
}

/// A unit's name (`NotFound` for an unknown id).
pub async fn unit_name<C: ConnectionTrait>(db: &C, unit: Unit) -> StoreResult<String> {
    use crate::entity::{department, district, town};
    let name: Option<String> = match unit {
        Unit::District(x) => {
            district::Entity::find_by_id(x)
                .select_only()
                .column(district::Column::Name)
                .into_tuple()
                .one(db)
                .await?
        }
        Unit::Department(d) => {
            department::Entity::find_by_id(d)
                .select_only()
                .column(department::Column::Name)
                .into_tuple()
                .one(db)
                .await?
        }
        Unit::Town(t) => {
            town::Entity::find_by_id(t)
                .select_only()
                .column(town::Column::Name)
                .into_tuple()
                .one(db)
                .await?
        }
    };
    name.ok_or(StoreError::NotFound)
}

/// One unit's sheet: its line (with its rank among its kind) and its problems.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub line: UnitLine,
    /// How many units of its kind are ranked.
    pub of: usize,
    pub problems: Vec<supervision_problem::Model>,
}

/// The sheet of `unit` in campaign `c` (`NotFound` for a unit unknown or outside the
/// scope's district).
#[tracing::instrument(skip_all)]
pub async fn sheet(
    store: &Store,
    scope: &Scope,
    c: &CampaignInfo,
    unit: Unit,
) -> StoreResult<Sheet> {
    unit_name(&store.db, unit).await?;
    unit_in_scope(&store.db, scope, unit).await?;
    // A town or a district department is ranked among its district's, also when the city
    // opens its sheet.
    let within = match (scope.is_all(), unit) {
        (true, Unit::Town(_) | Unit::Department(_)) => {
            match unit_district(&store.db, unit).await? {
                Some(d) => Scope::of_district(d),
                None => *scope,
            }
        }
        _ => *scope,
    };
    let r = ranking(store, &within, c).await?;
    let lines = match unit {
        Unit::Department(_) => r.departments,
        Unit::Town(_) => r.towns,
        Unit::District(_) => r.districts,
    };
    let of = lines.len();
    let line = lines
        .into_iter()
        .find(|l| l.unit == unit)
        .ok_or(StoreError::NotFound)?;
    let problems = problems_of(&store.db, c.campaign.id, unit).await?;
    Ok(Sheet { line, of, problems })
}

/// The sheet of the unit the account reports for ([`Unit::reporting_for`]): a town's or a
/// department's among its district's, a district's among the city's. None for an account
/// that reports for no unit.
pub async fn own_sheet(
    store: &Store,
    scope: &Scope,
    c: &CampaignInfo,
) -> StoreResult<Option<(Unit, Sheet)>> {
    let Some(unit) = Unit::reporting_for(store, scope).await? else {
        return Ok(None);
    };
    // A district reads its own line of the city's ranking, and nothing else of it.
    let within = match unit {
        Unit::District(_) => Scope::district_wide(),
        _ => *scope,
    };
    Ok(Some((unit, sheet(store, &within, c, unit).await?)))
}

/// The supervision problems of a unit in a campaign, oldest first.
pub async fn problems_of<C: ConnectionTrait>(
    db: &C,
    campaign_id: i32,
    unit: Unit,
) -> StoreResult<Vec<supervision_problem::Model>> {
    let c = match unit {
        Unit::Department(d) => Condition::all()
            .add(supervision_problem::Column::DepartmentId.eq(d))
            .add(supervision_problem::Column::TownId.is_null()),
        Unit::Town(t) => Condition::all()
            .add(supervision_problem::Column::TownId.eq(t))
            .add(supervision_problem::Column::DepartmentId.is_null()),
        Unit::District(x) => Condition::all()
            .add(supervision_problem::Column::DistrictId.eq(x))
            .add(supervision_problem::Column::TownId.is_null())
            .add(supervision_problem::Column::DepartmentId.is_null()),
    };
    Ok(supervision_problem::Entity::find()
        .filter(supervision_problem::Column::CampaignId.eq(campaign_id))
        .filter(c)
        .order_by_asc(supervision_problem::Column::Id)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default minimum base, the 执法检查 phase begun (or not).
    const RULE: Scoring = Scoring {
        min_base: 3,
        enforcement_started: true,
    };
    const BEFORE_ENFORCEMENT: Scoring = Scoring {
        min_base: 3,
        enforcement_started: false,
    };

    #[test]
    fn the_default_minimum_base_is_the_one_these_tests_assume() {
        assert_eq!(
            i64::from(anpei_core::Params::default().score_min_base),
            RULE.min_base
        );
    }

    #[test]
    fn the_weights_add_up_to_one_hundred() {
        let sum = W_SELF_INSPECTION + W_COVERAGE + W_RECTIFIED + W_TIMELINESS + W_TIPOFFS;
        assert!((sum - 100.0).abs() < f64::EPSILON);
    }

    #[test]
    fn a_measure_without_base_is_not_applicable_and_the_weights_renormalise() {
        // Nothing to judge by: no data score, not ranked.
        let none = Indicators::default();
        assert_eq!(none.points(RULE).data(), None);
        let ind = Indicators {
            subjects: 4,
            self_inspection: Ratio { n: 2, of: 4 },
            coverage: Ratio { n: 1, of: 4 },
            inspections: 1,
            rectified: Ratio { n: 1, of: 4 },
            overdue: 2,
            tipoffs: Ratio { n: 1, of: 2 },
            tipoffs_assigned: 3,
        };
        let p = ind.points(RULE);
        assert_eq!(p.self_inspection, Some(12.5));
        assert_eq!(p.coverage, Some(6.3));
        assert_eq!(p.rectified, Some(5.0));
        assert_eq!(p.timeliness, Some(7.5));
        // Two tip-offs due: below the minimum base, 不适用.
        assert_eq!(p.tipoffs, None);
        // 31.3 of the 85 points that apply: 36.8 of 100.
        assert_eq!(p.data(), Some(36.8));
        // Before the 执法检查 phase, coverage is not scored either: 25.0 of 60 → 41.7.
        let before = ind.points(BEFORE_ENFORCEMENT);
        assert_eq!(before.coverage, None);
        assert_eq!(before.data(), Some(41.7));
    }

    #[test]
    fn an_idle_unit_does_not_outrank_one_that_worked() {
        // 0 of 3 self-inspections and nothing else: 0 over the one measure that applies.
        let idle = Indicators {
            subjects: 3,
            self_inspection: Ratio { n: 0, of: 3 },
            coverage: Ratio { n: 0, of: 3 },
            ..Default::default()
        };
        // 3 of 3, two inspections of three, 3 problems of which 2 closed, none overdue.
        let worked = Indicators {
            subjects: 3,
            self_inspection: Ratio { n: 3, of: 3 },
            coverage: Ratio { n: 2, of: 3 },
            inspections: 2,
            rectified: Ratio { n: 2, of: 3 },
            ..Default::default()
        };
        let (i, w) = (idle.points(RULE), worked.points(RULE));
        assert_eq!(i.data(), Some(0.0));
        assert!(w.data().unwrap() > 80.0, "{w:?}");
        let mk = |name: &str, p: Points| {
            let data = p.data().unwrap_or(0.0);
            UnitLine {
                unit: Unit::Town(0),
                name: name.into(),
                ind: Indicators::default(),
                points: p,
                data,
                manual: 0.0,
                total: data,
                scored: p.data().is_some(),
                sheet: None,
                rank: 0,
            }
        };
        let mut v = vec![
            mk("无事可评", Indicators::default().points(RULE)),
            mk("未开展", i),
            mk("已开展", w),
        ];
        rank(&mut v);
        let order: Vec<(&str, usize)> = v.iter().map(|l| (l.name.as_str(), l.rank)).collect();
        assert_eq!(order, [("已开展", 1), ("未开展", 2), ("无事可评", 0)]);
    }

    #[test]
    fn percentages_round_half_up_and_bases_below_the_minimum_do_not_apply() {
        assert_eq!(Ratio { n: 3, of: 7 }.pct(), Some(43));
        assert_eq!(Ratio { n: 1, of: 8 }.pct(), Some(13));
        assert_eq!(Ratio { n: 1, of: 200 }.pct(), Some(1));
        assert_eq!(Ratio { n: 2, of: 3 }.pct(), Some(67));
        assert_eq!(Ratio { n: 0, of: 0 }.pct(), None);
        assert!(!Ratio {
            n: 2,
            of: RULE.min_base - 1
        }
        .applies(RULE.min_base));
        assert!(Ratio {
            n: 0,
            of: RULE.min_base
        }
        .applies(RULE.min_base));
    }

    #[test]
    fn equal_totals_share_a_rank() {
        let mk = |name: &str, total: f64| UnitLine {
            unit: Unit::Town(0),
            name: name.into(),
            ind: Indicators::default(),
            points: Points::default(),
            data: total,
            manual: 0.0,
            total,
            scored: true,
            sheet: None,
            rank: 0,
        };
        let mut v = vec![mk("乙", 50.0), mk("甲", 80.0), mk("丙", 80.0)];
        rank(&mut v);
        let got: Vec<(&str, usize)> = v.iter().map(|l| (l.name.as_str(), l.rank)).collect();
        assert_eq!(got, vec![("丙", 1), ("甲", 1), ("乙", 3)]);
    }
}
