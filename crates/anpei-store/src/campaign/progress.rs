//! 工作进度: how far a campaign has come in the caller's scope — subjects that must
//! self-inspect (those of the kinds its checklist catalogue covers), submitted, submitted on
//! time (before the end of the self-inspection phase), problems found, rectified (closed)
//! and overdue; by town, by department and by subject kind.
//!
//! Three grouped queries through the scope filter, each grouped by (town, department, kind);
//! the three tables are summed from those groups in memory (a few hundred at most), so the
//! cost does not grow with the number of subjects beyond the database's own aggregation.
//! The drill-down lists ([`subjects`], and the problem list's filters) use the same
//! conditions, so a list's length is the number it was reached from.

use crate::campaign::problems::overdue_condition;
use crate::campaign::selfcheck::{self, SelfcheckStatus};
use crate::entity::{campaign, campaign_phase, problem, self_inspection, subject};
use crate::platform::jobs::catalogue_kinds;
use crate::scope::{self, Scope};
use crate::{registry::reference, Store, StoreResult};
use anpei_core::SubjectKind;
use chrono::NaiveDate;
use sea_orm::sea_query::{Condition, Expr, Func, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, JoinType, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationDef, RelationTrait,
};
use serde::Serialize;
use std::collections::HashMap;

/// The numbers of one line of a table (or of the whole scope).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// Subjects that must self-inspect.
    pub must: i64,
    pub submitted: i64,
    /// Submitted before the self-inspection phase ended.
    pub on_time: i64,
    pub problems: i64,
    /// Problems closed (已销号).
    pub rectified: i64,
    pub overdue: i64,
}

impl Figures {
    fn add(&mut self, o: &Figures) {
        self.must += o.must;
        self.submitted += o.submitted;
        self.on_time += o.on_time;
        self.problems += o.problems;
        self.rectified += o.rectified;
        self.overdue += o.overdue;
    }

    pub fn not_submitted(&self) -> i64 {
        self.must - self.submitted
    }

    /// Share submitted, in whole percent.
    pub fn submitted_pct(&self) -> i64 {
        pct(self.submitted, self.must)
    }

    /// Share of problems closed, in whole percent.
    pub fn rectified_pct(&self) -> i64 {
        pct(self.rectified, self.problems)
    }
}

/// `n` of `of` in whole percent, rounded half up as the scoring rounds (3 of 7 is 43); 0
/// of nothing.
fn pct(n: i64, of: i64) -> i64 {
    crate::campaign::supervision::Ratio { n, of }
        .pct()
        .unwrap_or(0)
}

/// One line of a table: what it is grouped by (a town or department id, or a kind's code),
/// its label, its numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub key: String,
    pub label: String,
    pub f: Figures,
}

/// Narrows the progress inside the caller's scope (the district looking at one town …).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgressFilter {
    pub district_id: Option<i32>,
    pub town_id: Option<i32>,
    pub department_id: Option<i32>,
    pub kind: Option<SubjectKind>,
}

impl ProgressFilter {
    fn condition(&self) -> Condition {
        let mut c = Condition::all();
        if let Some(d) = self.district_id {
            c = c.add(crate::scope::in_district(d));
        }
        if let Some(t) = self.town_id {
            c = c.add(subject::Column::TownId.eq(t));
        }
        if let Some(d) = self.department_id {
            c = c.add(subject::Column::DepartmentId.eq(d));
        }
        if let Some(k) = self.kind {
            c = c.add(subject::Column::Kind.eq(k.code()));
        }
        c
    }
}

/// A campaign's progress in a scope.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub campaign_id: i32,
    pub campaign_name: String,
    /// The self-inspection phase's last day, if the campaign has that phase.
    pub self_inspection_ends: Option<NaiveDate>,
    pub total: Figures,
    /// The city's roll-up: one line per district with subjects in the scope.
    pub by_district: Vec<Line>,
    pub by_town: Vec<Line>,
    pub by_department: Vec<Line>,
    pub by_kind: Vec<Line>,
}

/// The campaigns `scope` runs on (the city's and its district's own; the city's for the
/// city), newest first.
pub async fn campaigns(store: &Store, scope: &Scope) -> StoreResult<Vec<campaign::Model>> {
    let d = crate::campaign::home_district(store, scope).await?;
    let mut out: Vec<campaign::Model> = crate::campaign::list_in(store, d)
        .await?
        .into_iter()
        .map(|c| c.campaign)
        .collect();
    out.sort_by_key(|c| std::cmp::Reverse(c.id));
    Ok(out)
}

/// The campaign in force today for `scope`, as the page header has it
/// ([`crate::campaign::current_for`]: the one running, else the latest started, else the
/// next).
pub async fn current_campaign(
    store: &Store,
    scope: &Scope,
) -> StoreResult<Option<campaign::Model>> {
    Ok(crate::campaign::current_for(store, scope, store.today())
        .await?
        .map(|c| c.campaign))
}

/// The self-inspection phase's last day, and the moment it ends (Unix seconds: the next
/// day's 00:00 in China).
pub async fn self_inspection_end(
    store: &Store,
    campaign_id: i32,
) -> StoreResult<Option<(NaiveDate, i64)>> {
    let ends: Option<NaiveDate> = campaign_phase::Entity::find()
        .select_only()
        .column(campaign_phase::Column::EndsOn)
        .filter(campaign_phase::Column::CampaignId.eq(campaign_id))
        .filter(campaign_phase::Column::Kind.eq("self_inspection"))
        .order_by_desc(campaign_phase::Column::EndsOn)
        .into_tuple()
        .one(&store.db)
        .await?;
    Ok(ends.map(|d| (d, crate::campaign::supervision::summary::end_of(d))))
}

/// The districts that set their own dates for the campaign: the last day of their
/// self-inspection phase and the moment it ends, by district.
async fn own_self_inspection_ends(
    store: &Store,
    campaign_id: i32,
) -> StoreResult<HashMap<i32, (NaiveDate, i64)>> {
    let Some(c) = crate::campaign::get(store, campaign_id).await? else {
        return Ok(HashMap::new());
    };
    let Some(i) = c.phases.iter().rposition(|p| p.kind == "self_inspection") else {
        return Ok(HashMap::new());
    };
    Ok(crate::campaign::district_dates::all_of(store, campaign_id)
        .await?
        .into_iter()
        .filter_map(|(d, x)| {
            let e = x.phases.get(i)?.1;
            Some((d, (e, crate::campaign::supervision::summary::end_of(e))))
        })
        .collect())
}

fn inspection_subject() -> RelationDef {
    self_inspection::Entity::belongs_to(subject::Entity)
        .from(self_inspection::Column::SubjectId)
        .to(subject::Column::Id)
        .into()
}

/// `SUM(CASE WHEN c THEN 1 ELSE 0 END)`: how many rows of a group meet `c`.
fn one_if(c: Condition) -> SimpleExpr {
    let case: SimpleExpr = Expr::case(c, Expr::cust("1"))
        .finally(Expr::cust("0"))
        .into();
    Func::sum(case).into()
}

fn count(col: impl sea_orm::sea_query::IntoColumnRef) -> SimpleExpr {
    Func::count(Expr::col(col)).into()
}

/// (town, department, kind): what the three queries group by.
type Group = (i32, i32, String);
/// A group's problems: found, closed (`SUM` is NULL over no rows), overdue.
type ProblemCounts = (i32, i32, String, i64, Option<i64>, Option<i64>);

/// The progress of `campaign_id` in `scope`, narrowed by `f`.
#[tracing::instrument(skip_all)]
pub async fn load(
    store: &Store,
    scope: &Scope,
    campaign_id: i32,
    f: &ProgressFilter,
) -> StoreResult<Progress> {
    let db = &store.db;
    // A campaign that applies where the scope runs (another district's own is not found).
    let home = crate::campaign::home_district(store, scope).await?;
    let c = crate::campaign::get_in(store, home, campaign_id)
        .await?
        .ok_or(crate::StoreError::NotFound)?
        .campaign;
    let kinds = catalogue_kinds(db, campaign_id).await?;
    let end = self_inspection_end(store, campaign_id).await?;
    let today = store.today();
    let group_cols = [
        subject::Column::TownId,
        subject::Column::DepartmentId,
        subject::Column::Kind,
    ];
    let mut groups: HashMap<Group, Figures> = HashMap::new();

    let must: Vec<(i32, i32, String, i64)> = scope::subjects(scope)
        .filter(f.condition())
        .filter(subject::Column::Kind.is_in(kinds.clone()))
        .select_only()
        .columns(group_cols)
        .expr(count((subject::Entity, subject::Column::Id)))
        .group_by(subject::Column::TownId)
        .group_by(subject::Column::DepartmentId)
        .group_by(subject::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    for (t, d, k, n) in must {
        groups.entry((t, d, k)).or_default().must = n;
    }

    // On time: before the end of the self-inspection phase — in a city, of the subject's
    // district where it set its own dates (区县实施安排), else the city's.
    let own = own_self_inspection_ends(store, campaign_id).await?;
    let submitted_at = || {
        Expr::col((
            self_inspection::Entity,
            self_inspection::Column::SubmittedAt,
        ))
    };
    let on_time_cond = match end {
        Some((_, end_ts)) => {
            let mut any = Condition::any();
            let mut rest = Condition::all().add(submitted_at().lt(end_ts));
            for (d, (_, ts)) in &own {
                any = any.add(
                    Condition::all()
                        .add(scope::in_district(*d))
                        .add(submitted_at().lt(*ts)),
                );
                rest = rest.add(Condition::all().add(scope::in_district(*d)).not());
            }
            any.add(rest)
        }
        None => Condition::all(),
    };
    // The deadline the page names: the scope's district's own, else the city's.
    let shown_end = match crate::campaign::district_dates::district_of(store, scope).await? {
        Some(d) => own.get(&d).copied().or(end),
        None => end,
    };
    let submitted: Vec<(i32, i32, String, i64, Option<i64>)> = self_inspection::Entity::find()
        .join(JoinType::InnerJoin, inspection_subject())
        .filter(scope.subject_condition())
        .filter(f.condition())
        .filter(subject::Column::Kind.is_in(kinds.clone()))
        .filter(self_inspection::Column::CampaignId.eq(campaign_id))
        .filter(self_inspection::Column::Status.eq(SelfcheckStatus::Submitted))
        .select_only()
        .columns(group_cols)
        .expr(count((
            self_inspection::Entity,
            self_inspection::Column::Id,
        )))
        .expr(one_if(on_time_cond))
        .group_by(subject::Column::TownId)
        .group_by(subject::Column::DepartmentId)
        .group_by(subject::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    for (t, d, k, n, on_time) in submitted {
        let g = groups.entry((t, d, k)).or_default();
        g.submitted = n;
        g.on_time = on_time.unwrap_or(0);
    }

    let problems: Vec<ProblemCounts> = crate::campaign::problems::in_scope(scope)
        .filter(f.condition())
        .filter(problem::Column::CampaignId.eq(campaign_id))
        .select_only()
        .columns(group_cols)
        .expr(count((problem::Entity, problem::Column::Id)))
        .expr(one_if(Condition::all().add(
            problem::Column::Status.eq(crate::campaign::problems::ProblemStatus::Closed),
        )))
        .expr(one_if(overdue_condition(today)))
        .group_by(subject::Column::TownId)
        .group_by(subject::Column::DepartmentId)
        .group_by(subject::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    for (t, d, k, n, closed, overdue) in problems {
        let g = groups.entry((t, d, k)).or_default();
        g.problems = n;
        g.rectified = closed.unwrap_or(0);
        g.overdue = overdue.unwrap_or(0);
    }

    let mut total = Figures::default();
    let mut town: HashMap<i32, Figures> = HashMap::new();
    let mut dep: HashMap<i32, Figures> = HashMap::new();
    let mut kind: HashMap<String, Figures> = HashMap::new();
    for ((t, d, k), g) in &groups {
        total.add(g);
        town.entry(*t).or_default().add(g);
        dep.entry(*d).or_default().add(g);
        kind.entry(k.clone()).or_default().add(g);
    }
    let towns = reference::towns(store, scope).await?;
    let mut district: HashMap<i32, Figures> = HashMap::new();
    for t in &towns {
        if let Some(f) = town.get(&t.id) {
            district.entry(t.district_id).or_default().add(f);
        }
    }
    let by_district = reference::districts(store, scope)
        .await?
        .into_iter()
        .filter_map(|d| {
            district.get(&d.id).map(|f| Line {
                key: d.id.to_string(),
                label: d.name,
                f: *f,
            })
        })
        .collect();
    let by_town = towns
        .into_iter()
        .filter_map(|t| {
            town.get(&t.id).map(|f| Line {
                key: t.id.to_string(),
                label: t.name,
                f: *f,
            })
        })
        .collect();
    let by_department = reference::departments(store, scope)
        .await?
        .into_iter()
        .filter_map(|(d, _)| {
            dep.get(&d.id).map(|f| Line {
                key: d.id.to_string(),
                label: d.name,
                f: *f,
            })
        })
        .collect();
    let by_kind = SubjectKind::ALL
        .iter()
        .filter_map(|k| {
            kind.get(k.code()).map(|f| Line {
                key: k.code().into(),
                label: k.label().into(),
                f: *f,
            })
        })
        .collect();
    Ok(Progress {
        campaign_id,
        campaign_name: c.name,
        self_inspection_ends: shown_end.map(|(d, _)| d),
        total,
        by_district,
        by_town,
        by_department,
        by_kind,
    })
}

/// Which subjects a drill-down lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SubjectState {
    /// All that must self-inspect.
    Must,
    Submitted,
    OnTime,
    /// Submitted after the phase ended.
    Late,
    NotSubmitted,
}

impl SubjectState {
    pub const ALL: [SubjectState; 5] = [
        SubjectState::Must,
        SubjectState::Submitted,
        SubjectState::OnTime,
        SubjectState::Late,
        SubjectState::NotSubmitted,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SubjectState::Must => "must",
            SubjectState::Submitted => "submitted",
            SubjectState::OnTime => "on_time",
            SubjectState::Late => "late",
            SubjectState::NotSubmitted => "not_submitted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SubjectState::Must => "应自查",
            SubjectState::Submitted => "已提交",
            SubjectState::OnTime => "按时提交",
            SubjectState::Late => "逾期提交",
            SubjectState::NotSubmitted => "未提交",
        }
    }

    pub fn from_code(s: &str) -> Option<SubjectState> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }
}

/// A subject of a drill-down list with its self-inspection's state.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct SubjectLine {
    pub id: i32,
    pub name: String,
    pub uscc: String,
    pub kind: String,
    pub town: String,
    pub department: String,
    /// None: not begun.
    #[sea_orm(skip)]
    pub inspection_status: Option<SelfcheckStatus>,
    #[sea_orm(skip)]
    pub submitted_at: Option<i64>,
}

impl SubjectLine {
    pub fn kind_label(&self) -> &'static str {
        SubjectKind::from_code(&self.kind).map_or("未知", SubjectKind::label)
    }

    pub fn state_label(&self) -> &'static str {
        selfcheck::status_label(self.inspection_status)
    }

    pub fn submitted_text(&self) -> String {
        self.submitted_at
            .map(crate::campaign::problems::china_time)
            .unwrap_or_default()
    }
}

fn submitted_subquery(campaign_id: i32, extra: Option<SimpleExpr>) -> SelectStatement {
    let mut q = Query::select();
    q.column(self_inspection::Column::SubjectId)
        .from(self_inspection::Entity)
        .and_where(self_inspection::Column::CampaignId.eq(campaign_id))
        .and_where(self_inspection::Column::Status.eq(SelfcheckStatus::Submitted));
    if let Some(e) = extra {
        q.and_where(e);
    }
    q.to_owned()
}

/// A page of the subjects behind a number of the progress page, and the total (equal to
/// that number).
#[tracing::instrument(skip_all)]
pub async fn subjects(
    store: &Store,
    scope: &Scope,
    campaign_id: i32,
    f: &ProgressFilter,
    state: SubjectState,
    page: u64,
    per_page: u64,
) -> StoreResult<(Vec<SubjectLine>, u64)> {
    use crate::entity::{department, town};
    let db = &store.db;
    let kinds = catalogue_kinds(db, campaign_id).await?;
    let end_ts = self_inspection_end(store, campaign_id)
        .await?
        .map(|(_, t)| t);
    let at = || Expr::col(self_inspection::Column::SubmittedAt);
    let cond = match state {
        SubjectState::Must => Condition::all(),
        SubjectState::Submitted => Condition::all()
            .add(subject::Column::Id.in_subquery(submitted_subquery(campaign_id, None))),
        SubjectState::OnTime => Condition::all().add(
            subject::Column::Id
                .in_subquery(submitted_subquery(campaign_id, end_ts.map(|t| at().lt(t)))),
        ),
        SubjectState::Late => match end_ts {
            Some(t) => Condition::all().add(
                subject::Column::Id.in_subquery(submitted_subquery(campaign_id, Some(at().gte(t)))),
            ),
            None => Condition::all().add(Expr::cust("1 = 0")),
        },
        SubjectState::NotSubmitted => Condition::all()
            .add(subject::Column::Id.not_in_subquery(submitted_subquery(campaign_id, None))),
    };
    let q = scope::subjects(scope)
        .filter(f.condition())
        .filter(subject::Column::Kind.is_in(kinds))
        .filter(cond);
    let total = q.clone().count(db).await?;
    let mut rows: Vec<SubjectLine> = q
        .select_only()
        .columns([
            subject::Column::Id,
            subject::Column::Name,
            subject::Column::Uscc,
            subject::Column::Kind,
        ])
        .column_as(town::Column::Name, "town")
        .column_as(department::Column::Name, "department")
        .join(JoinType::InnerJoin, subject::Relation::Town.def())
        .join(JoinType::InnerJoin, subject::Relation::Department.def())
        .order_by_asc(town::Column::Sort)
        .order_by_asc(subject::Column::Name)
        .order_by_asc(subject::Column::Id)
        .offset((page.max(1) - 1) * per_page)
        .limit(per_page)
        .into_model::<SubjectLine>()
        .all(db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let states: HashMap<i32, (SelfcheckStatus, Option<i64>)> = self_inspection::Entity::find()
        .select_only()
        .columns([
            self_inspection::Column::SubjectId,
            self_inspection::Column::Status,
            self_inspection::Column::SubmittedAt,
        ])
        .filter(self_inspection::Column::CampaignId.eq(campaign_id))
        .filter(self_inspection::Column::SubjectId.is_in(ids))
        .into_tuple::<(i32, SelfcheckStatus, Option<i64>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(s, st, at)| (s, (st, at)))
        .collect();
    for r in &mut rows {
        if let Some((st, at)) = states.get(&r.id) {
            r.inspection_status = Some(*st);
            r.submitted_at = if *st == SelfcheckStatus::Submitted {
                *at
            } else {
                None
            };
        }
    }
    Ok((rows, total))
}

pub use crate::platform::urge::Urged;

/// 催办: reminds every subject in `scope` and the filter that has not submitted its
/// self-inspection of the campaign — each of its accounts gets an inbox message — at most
/// once a day per subject ([`crate::platform::urge`]). Supervisors only.
#[tracing::instrument(skip_all)]
pub async fn urge_not_submitted(
    store: &Store,
    scope: &Scope,
    actor: &crate::platform::audit::Actor,
    campaign_id: i32,
    f: &ProgressFilter,
) -> StoreResult<Urged> {
    use crate::platform::urge::{self, Matter, Reminder};
    urge::may_urge(scope)?;
    let (lines, _) = subjects(
        store,
        scope,
        campaign_id,
        f,
        SubjectState::NotSubmitted,
        1,
        urge::MAX_UNITS,
    )
    .await?;
    let mut reminders = Vec::with_capacity(lines.len());
    for s in lines {
        let to =
            crate::platform::inbox::recipients_of_subject(&store.db, s.id, 0, None, false).await?;
        reminders.push(Reminder {
            unit: format!("subject:{}", s.id),
            recipients: to.into_iter().map(|(uid, _)| uid).collect(),
            title: "催办：请尽快完成并提交本次专项整治自查".into(),
            body: format!(
                "{}尚未提交自查，请在“自查自改”中逐项作答并提交，逾期将影响考核。",
                s.name
            ),
            link: "/selfcheck".into(),
        });
    }
    let key = format!("self_inspection:{campaign_id}");
    let target = format!("campaign:{campaign_id}");
    urge::send(
        store,
        actor,
        Matter {
            kind: "urge_self_inspection",
            key: &key,
            target: &target,
        },
        reminders,
    )
    .await
}
