//! 问题线索 become work. A finding of the rule engine is a lead; the supervisors in scope
//! act on it, one finding or a filtered list at a time, each action in one transaction,
//! audited and kept in the finding's history:
//!
//! - 交办 (district): to the subject's own town or industry department, due after
//!   `Params::finding_assign_days`; the assignee's accounts are told in their inbox.
//! - 转问题清单 (district, department, town): a problem on the subject's 问题清单, source
//!   规则引擎, pre-filled from the finding and linked both ways. When the problem is 销号 the
//!   finding is closed too; a later scan that still finds it reopens the problem.
//! - 立案: an inspection recorded for the subject with the finding attached (see
//!   `enforcement::record`).
//! - 误报 / 不予处理 (district, department, town): dismissed with a reason of at least ten
//!   characters; it stays dismissed across re-scans unless its facts change. The district can
//!   reopen it.
//!
//! Scans (see `findings::merge_rules`) resolve what they no longer find and leave dismissed
//! findings alone.

use crate::campaign::problems::{self, NewProblem, ProblemStatus, Source};
use crate::entity::{finding, finding_event, problem, problem_event, subject, user};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::inbox::{self, NewMessage};
use crate::scope::Scope;
use crate::{model, Reach, Role, Store, StoreError, StoreResult};
use anpei_core::ledger::rules::Rule;
use chrono::{Days, NaiveDate};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DeriveActiveEnum, EntityTrait, EnumIter,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

/// Where a finding stands (the `findings.status` column, by its code).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum FindingStatus {
    /// 待处理: found, nobody has acted yet.
    #[sea_orm(string_value = "open")]
    Open,
    /// 已交办: given to a town or department to handle.
    #[sea_orm(string_value = "assigned")]
    Assigned,
    /// 已转问题: a problem on the subject's list carries it.
    #[sea_orm(string_value = "problem")]
    Problem,
    /// 已立案: an inspection was recorded for it.
    #[sea_orm(string_value = "case")]
    Case,
    /// 已排除: 误报 or 不予处理, with a reason.
    #[sea_orm(string_value = "dismissed")]
    Dismissed,
    /// 已消除: the last scan no longer finds it, or its problem was 销号.
    #[sea_orm(string_value = "resolved")]
    Resolved,
}

impl FindingStatus {
    pub const ALL: [FindingStatus; 6] = [
        FindingStatus::Open,
        FindingStatus::Assigned,
        FindingStatus::Problem,
        FindingStatus::Case,
        FindingStatus::Dismissed,
        FindingStatus::Resolved,
    ];

    /// Still to be dealt with: neither 已排除 nor 已消除.
    pub const ACTIVE: [FindingStatus; 4] = [
        FindingStatus::Open,
        FindingStatus::Assigned,
        FindingStatus::Problem,
        FindingStatus::Case,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FindingStatus::Open => "open",
            FindingStatus::Assigned => "assigned",
            FindingStatus::Problem => "problem",
            FindingStatus::Case => "case",
            FindingStatus::Dismissed => "dismissed",
            FindingStatus::Resolved => "resolved",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FindingStatus::Open => "待处理",
            FindingStatus::Assigned => "已交办",
            FindingStatus::Problem => "已转问题",
            FindingStatus::Case => "已立案",
            FindingStatus::Dismissed => "已排除",
            FindingStatus::Resolved => "已消除",
        }
    }

    pub fn from_code(s: &str) -> Option<FindingStatus> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }

    pub fn is_active(self) -> bool {
        Self::ACTIVE.contains(&self)
    }

    /// Whether someone may still act on it (交办, 转问题, 立案, 排除).
    pub fn actionable(self) -> bool {
        matches!(self, FindingStatus::Open | FindingStatus::Assigned)
    }
}

/// To whom a finding is given: the subject's own town (属地) or its industry department
/// (行业主管部门), so a bulk 交办 over several towns reaches each its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignTo {
    Town,
    Department,
}

impl AssignTo {
    pub fn from_code(s: &str) -> Option<AssignTo> {
        match s {
            "town" => Some(AssignTo::Town),
            "department" => Some(AssignTo::Department),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AssignTo::Town => "所属镇街",
            AssignTo::Department => "行业主管部门",
        }
    }
}

/// What a bulk action did: how many findings it changed, and how many of those asked for
/// it was not for (already handled, closed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Bulk {
    pub done: u64,
    pub skipped: u64,
}

/// The most findings one bulk action takes (the list's filter narrows further).
pub const BULK_MAX: usize = 5000;

/// Shortest reason for 误报 / 不予处理.
pub const DISMISS_REASON_MIN: usize = 10;

fn supervisor(scope: &Scope) -> StoreResult<()> {
    match scope.reach() {
        Reach::All
        | Reach::District(_)
        | Reach::Town(_)
        | Reach::Department(_)
        | Reach::CityDepartment(_) => Ok(()),
        Reach::Subject(_) | Reach::Nothing => Err(StoreError::Forbidden),
    }
}

fn district(scope: &Scope) -> StoreResult<()> {
    match scope.reach() {
        Reach::All | Reach::District(_) => Ok(()),
        _ => Err(StoreError::Forbidden),
    }
}

/// The findings among `ids` visible in `scope`, with their subjects.
async fn visible<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    ids: &[i32],
) -> StoreResult<Vec<(finding::Model, subject::Model)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(900) {
        let rows = finding::Entity::find()
            .find_also_related(subject::Entity)
            .filter(finding::Column::Id.is_in(chunk.to_vec()))
            .filter(scope.subject_condition())
            .order_by_asc(finding::Column::Id)
            .all(db)
            .await?;
        out.extend(rows.into_iter().filter_map(|(f, s)| s.map(|s| (f, s))));
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn event<C: ConnectionTrait>(
    db: &C,
    now: i64,
    finding_id: i32,
    kind: &str,
    text: &str,
    after: FindingStatus,
    by_user: Option<i32>,
    by_name: &str,
) -> StoreResult<()> {
    finding_event::Entity::insert(finding_event::ActiveModel {
        id: NotSet,
        finding_id: Set(finding_id),
        kind: Set(kind.into()),
        text: Set(text.into()),
        status_after: Set(after.code().into()),
        by_user: Set(by_user),
        by_name: Set(by_name.into()),
        at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Active accounts of a town's or a department's office.
async fn office_users<C: ConnectionTrait>(
    db: &C,
    to: AssignTo,
    unit: i32,
) -> StoreResult<Vec<i32>> {
    let (role, col) = match to {
        AssignTo::Town => (Role::Town, user::Column::ScopeTownId),
        AssignTo::Department => (Role::Department, user::Column::ScopeDepartmentId),
    };
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::Role.eq(role.code()))
        .filter(col.eq(unit))
        .order_by_asc(user::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

fn rule_name(code: &str) -> &'static str {
    Rule::from_code(code).map_or("未知规则", Rule::name)
}

/// 交办: gives each finding (that is still to be handled) to its subject's own town or
/// department, due `Params::finding_assign_days` from today; each office is told once in
/// its inbox with how many it received. District only.
#[tracing::instrument(skip_all, fields(n = ids.len()))]
pub async fn assign(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    by_name: &str,
    ids: &[i32],
    to: AssignTo,
) -> StoreResult<Bulk> {
    district(scope)?;
    let txn = store.write().await?;
    let now = store.now();
    let today = store.today();
    let due = today
        .checked_add_days(Days::new(u64::from(store.params.finding_assign_days)))
        .unwrap_or(today);
    let rows = visible(&*txn, scope, ids).await?;
    let mut bulk = Bulk {
        skipped: (ids.len() - rows.len()) as u64,
        ..Bulk::default()
    };
    let mut per_unit: std::collections::BTreeMap<i32, u64> = Default::default();
    for (f, s) in &rows {
        if !f.status.actionable() {
            bulk.skipped += 1;
            continue;
        }
        let unit = match to {
            AssignTo::Town => s.town_id,
            AssignTo::Department => s.department_id,
        };
        let (town, dep) = match to {
            AssignTo::Town => (Some(unit), None),
            AssignTo::Department => (None, Some(unit)),
        };
        finding::Entity::update_many()
            .col_expr(
                finding::Column::Status,
                Expr::value(FindingStatus::Assigned.code()),
            )
            .col_expr(finding::Column::AssignedTownId, Expr::value(town))
            .col_expr(finding::Column::AssignedDepartmentId, Expr::value(dep))
            .col_expr(finding::Column::AssignedAt, Expr::value(now))
            .col_expr(finding::Column::DueOn, Expr::value(due))
            .filter(finding::Column::Id.eq(f.id))
            .exec(&*txn)
            .await?;
        event(
            &*txn,
            now,
            f.id,
            "assign",
            &format!("交办{}，请于{due}前处理", to.label()),
            FindingStatus::Assigned,
            actor.user_id,
            by_name,
        )
        .await?;
        *per_unit.entry(unit).or_default() += 1;
        bulk.done += 1;
    }
    let mut msgs = Vec::new();
    for (unit, n) in &per_unit {
        for uid in office_users(&*txn, to, *unit).await? {
            msgs.push(NewMessage {
                user_id: uid,
                kind: "finding_assigned".into(),
                title: format!("交办问题线索{n}条，请于{due}前处理"),
                body: format!("{by_name}交办的问题线索，请逐条转问题清单、立案或排除。"),
                link: "/findings?status=assigned".into(),
                dedupe_key: format!("finding_assign:{now}:{uid}:{}", ids.first().unwrap_or(&0)),
            });
        }
    }
    inbox::send_many(&*txn, now, msgs).await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("finding.assign", "findings").with_detail(format!(
            "to={} due={due} done={} skipped={} ids={}",
            match to {
                AssignTo::Town => "town",
                AssignTo::Department => "department",
            },
            bulk.done,
            bulk.skipped,
            ids_text(ids)
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(bulk)
}

/// The ids for the audit entry: all of a small action, the first ones and a count of a big.
fn ids_text(ids: &[i32]) -> String {
    let shown: Vec<String> = ids.iter().take(50).map(i32::to_string).collect();
    if ids.len() > 50 {
        format!("{}…(共{}条)", shown.join(","), ids.len())
    } else {
        shown.join(",")
    }
}

/// 转问题清单: a problem on the subject's list made from the finding (source 规则引擎,
/// due `Params::finding_problem_days` from today), linked both ways. Returns the problem's id.
#[tracing::instrument(skip_all)]
pub async fn to_problem(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    by_name: &str,
    id: i32,
) -> StoreResult<i32> {
    supervisor(scope)?;
    let txn = store.write().await?;
    let now = store.now();
    let today = store.today();
    let (f, s) = visible(&*txn, scope, &[id])
        .await?
        .pop()
        .ok_or(StoreError::NotFound)?;
    if !f.status.actionable() {
        return Err(StoreError::Conflict(format!(
            "该线索{}，不能再转问题清单",
            f.status.label()
        )));
    }
    let deadline = today
        .checked_add_days(Days::new(u64::from(store.params.finding_problem_days)))
        .unwrap_or(today);
    let name = rule_name(&f.rule);
    let who = f
        .who_name
        .as_deref()
        .map(|n| format!("（{n}）"))
        .unwrap_or_default();
    let problem_id = problems::insert_new(
        &*txn,
        &store.crypto,
        now,
        NewProblem {
            campaign_id: None,
            subject_id: s.id,
            source: Source::RuleEngine,
            source_ref: Some(source_ref(f.id)),
            item_code: Some(f.rule.clone()),
            description: format!("【问题线索】{name}{who}：{}", f.detail),
            measures: format!(
                "核实“{name}”所涉人员和记录，按规定整改（培训、取证、复审或更正台账），上传整改佐证材料后申请核验。"
            ),
            deadline,
            responsible_name: s
                .contact_name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "单位主要负责人".into()),
            responsible_phone: None,
            created_by: actor.user_id,
            by_name: by_name.to_string(),
        },
    )
    .await?;
    finding::Entity::update_many()
        .col_expr(
            finding::Column::Status,
            Expr::value(FindingStatus::Problem.code()),
        )
        .col_expr(finding::Column::ProblemId, Expr::value(problem_id))
        .filter(finding::Column::Id.eq(f.id))
        .exec(&*txn)
        .await?;
    event(
        &*txn,
        now,
        f.id,
        "to_problem",
        &format!("转问题清单（问题{problem_id}，整改期限{deadline}）"),
        FindingStatus::Problem,
        actor.user_id,
        by_name,
    )
    .await?;
    let to = inbox::recipients_of_subject(&*txn, s.id, s.town_id, None, false).await?;
    let msgs = to
        .into_iter()
        .map(|(uid, _)| NewMessage {
            user_id: uid,
            kind: "problem_created".into(),
            title: format!("新增问题（问题线索），请于{deadline}前整改"),
            body: format!("{name}：{}", f.detail),
            link: format!("/problems/{problem_id}"),
            dedupe_key: format!("problem:{problem_id}:created:{uid}"),
        })
        .collect();
    inbox::send_many(&*txn, now, msgs).await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("finding.to_problem", format!("finding:{}", f.id))
            .with_detail(format!("problem:{problem_id} subject:{}", s.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(problem_id)
}

/// The `source_ref` of a problem made from a finding.
pub fn source_ref(finding_id: i32) -> String {
    format!("finding:{finding_id}")
}

/// 误报 / 不予处理: dismisses the findings (still to be handled) with a reason of at least
/// [`DISMISS_REASON_MIN`] characters.
#[tracing::instrument(skip_all, fields(n = ids.len()))]
pub async fn dismiss(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    by_name: &str,
    ids: &[i32],
    reason: &str,
) -> StoreResult<Bulk> {
    supervisor(scope)?;
    let txn = store.write().await?;
    let now = store.now();
    let rows = visible(&*txn, scope, ids).await?;
    // One finding outside the scope is not found, whatever the form says.
    if ids.len() == 1 && rows.is_empty() {
        return Err(StoreError::NotFound);
    }
    let reason = anpei_core::ids::trim_cell(reason).to_string();
    let n = reason.chars().count();
    if n < DISMISS_REASON_MIN {
        return Err(StoreError::Fields(vec![(
            "reason",
            format!(
                "排除理由：至少{DISMISS_REASON_MIN}个字，写明为何是误报或不予处理（现有{n}个字）"
            ),
        )]));
    }
    if n > 500 {
        return Err(StoreError::Fields(vec![(
            "reason",
            "排除理由：不超过500个字".into(),
        )]));
    }
    let mut bulk = Bulk {
        skipped: (ids.len() - rows.len()) as u64,
        ..Bulk::default()
    };
    for (f, _) in &rows {
        if !f.status.actionable() {
            bulk.skipped += 1;
            continue;
        }
        finding::Entity::update_many()
            .col_expr(
                finding::Column::Status,
                Expr::value(FindingStatus::Dismissed.code()),
            )
            .col_expr(finding::Column::DismissReason, Expr::value(reason.clone()))
            .col_expr(
                finding::Column::DismissedDetail,
                Expr::value(f.detail.clone()),
            )
            .filter(finding::Column::Id.eq(f.id))
            .exec(&*txn)
            .await?;
        event(
            &*txn,
            now,
            f.id,
            "dismiss",
            &format!("排除（误报/不予处理）：{reason}"),
            FindingStatus::Dismissed,
            actor.user_id,
            by_name,
        )
        .await?;
        bulk.done += 1;
    }
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("finding.dismiss", "findings").with_detail(format!(
            "done={} skipped={} ids={}",
            bulk.done,
            bulk.skipped,
            ids_text(ids)
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(bulk)
}

/// Reopens a dismissed finding (district only): it is 待处理 again.
#[tracing::instrument(skip_all)]
pub async fn reopen(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    by_name: &str,
    id: i32,
) -> StoreResult<()> {
    district(scope)?;
    let txn = store.write().await?;
    let now = store.now();
    let (f, _) = visible(&*txn, scope, &[id])
        .await?
        .pop()
        .ok_or(StoreError::NotFound)?;
    if f.status != FindingStatus::Dismissed {
        return Err(StoreError::Conflict(format!(
            "该线索{}，只有已排除的线索可以重新打开",
            f.status.label()
        )));
    }
    undismiss(&*txn, f.id).await?;
    event(
        &*txn,
        now,
        f.id,
        "reopen",
        "区级重新打开，恢复为待处理",
        FindingStatus::Open,
        actor.user_id,
        by_name,
    )
    .await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("finding.reopen", format!("finding:{}", f.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// 立案, inside the inspection's transaction: the finding (visible in `scope`, of the
/// inspected subject, still to be handled) is linked to the recorded inspection.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn link_case<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    now: i64,
    actor: &Actor,
    by_name: &str,
    finding_id: i32,
    subject_id: i32,
    inspection_id: i32,
) -> StoreResult<()> {
    let (f, _) = visible(db, scope, &[finding_id])
        .await?
        .pop()
        .filter(|(f, _)| f.subject_id == subject_id)
        .ok_or_else(|| {
            StoreError::Fields(vec![(
                "finding_id",
                "问题线索：不存在、不属于该单位或不在您的管辖范围内".into(),
            )])
        })?;
    if !f.status.actionable() {
        return Err(StoreError::Fields(vec![(
            "finding_id",
            format!("问题线索：该线索{}，不能再立案", f.status.label()),
        )]));
    }
    finding::Entity::update_many()
        .col_expr(
            finding::Column::Status,
            Expr::value(FindingStatus::Case.code()),
        )
        .col_expr(finding::Column::InspectionId, Expr::value(inspection_id))
        .filter(finding::Column::Id.eq(f.id))
        .exec(db)
        .await?;
    event(
        db,
        now,
        f.id,
        "open_case",
        &format!("立案：执法检查{inspection_id}"),
        FindingStatus::Case,
        actor.user_id,
        by_name,
    )
    .await?;
    audit::append(
        db,
        now,
        actor,
        &Event::ok("finding.open_case", format!("finding:{}", f.id))
            .with_detail(format!("inspection:{inspection_id}")),
    )
    .await
}

/// Inside a problem's 销号: the findings it was made from are closed (已消除).
pub(crate) async fn problem_closed<C: ConnectionTrait>(
    db: &C,
    now: i64,
    today: NaiveDate,
    actor: &Actor,
    by_name: &str,
    problem_id: i32,
) -> StoreResult<()> {
    let linked: Vec<i32> = finding::Entity::find()
        .select_only()
        .column(finding::Column::Id)
        .filter(finding::Column::ProblemId.eq(problem_id))
        .filter(finding::Column::Status.eq(FindingStatus::Problem.code()))
        .into_tuple()
        .all(db)
        .await?;
    for id in linked {
        finding::Entity::update_many()
            .col_expr(
                finding::Column::Status,
                Expr::value(FindingStatus::Resolved.code()),
            )
            .col_expr(finding::Column::ResolvedAt, Expr::value(today))
            .filter(finding::Column::Id.eq(id))
            .exec(db)
            .await?;
        event(
            db,
            now,
            id,
            "problem_closed",
            &format!("问题{problem_id}已核验销号，线索随之办结"),
            FindingStatus::Resolved,
            actor.user_id,
            by_name,
        )
        .await?;
    }
    Ok(())
}

/// Inside a scan's merge: a finding that was made into a problem and is found again after
/// the problem was 销号 reopens the problem (待整改, with an event saying why) and is itself
/// 已转问题 again.
pub(crate) async fn reappeared_after_closing<C: ConnectionTrait>(
    db: &C,
    now: i64,
    finding_id: i32,
    problem_id: i32,
    as_of: NaiveDate,
) -> StoreResult<()> {
    let reopened = problem::Entity::update_many()
        .col_expr(
            problem::Column::Status,
            Expr::value(ProblemStatus::Pending.code()),
        )
        .col_expr(problem::Column::ClosedAt, Expr::value(Option::<i64>::None))
        .col_expr(problem::Column::ClosedBy, Expr::value(Option::<i32>::None))
        .col_expr(problem::Column::UpdatedAt, Expr::value(now))
        .filter(problem::Column::Id.eq(problem_id))
        .filter(problem::Column::Status.eq(ProblemStatus::Closed))
        .exec(db)
        .await?
        .rows_affected;
    if reopened == 1 {
        problem_event::Entity::insert(problem_event::ActiveModel {
            id: NotSet,
            problem_id: Set(problem_id),
            kind: Set("reopen".into()),
            text: Set(format!(
                "{as_of}复查仍发现该问题线索，问题重新打开，请继续整改"
            )),
            status_after: Set(ProblemStatus::Pending.code().into()),
            by_user: Set(None),
            by_name: Set("规则引擎".into()),
            at: Set(now),
        })
        .exec_without_returning(db)
        .await?;
    }
    finding::Entity::update_many()
        .col_expr(
            finding::Column::Status,
            Expr::value(FindingStatus::Problem.code()),
        )
        .col_expr(
            finding::Column::ResolvedAt,
            Expr::value(Option::<NaiveDate>::None),
        )
        .filter(finding::Column::Id.eq(finding_id))
        .exec(db)
        .await?;
    event(
        db,
        now,
        finding_id,
        "reappeared",
        &format!("{as_of}复查仍发现，问题{problem_id}重新打开"),
        FindingStatus::Problem,
        None,
        "规则引擎",
    )
    .await
}

/// A finding's history, oldest first; `NotFound` when it is outside `scope`.
pub async fn history(
    store: &Store,
    scope: &Scope,
    id: i32,
) -> StoreResult<Vec<model::FindingEvent>> {
    if visible(&store.db, scope, &[id]).await?.is_empty() {
        return Err(StoreError::NotFound);
    }
    Ok(finding_event::Entity::find()
        .filter(finding_event::Column::FindingId.eq(id))
        .order_by_asc(finding_event::Column::At)
        .order_by_asc(finding_event::Column::Id)
        .all(&store.db)
        .await?)
}

/// The handling fields of a finding visible in `scope`: to whom it was given and by when,
/// its problem or inspection, why it was dismissed.
pub async fn handling(store: &Store, scope: &Scope, id: i32) -> StoreResult<model::Finding> {
    visible(&store.db, scope, &[id])
        .await?
        .pop()
        .map(|(f, _)| f)
        .ok_or(StoreError::NotFound)
}

/// Inside a scan's merge: one history entry, by the rule engine, for each of `ids`.
pub(crate) async fn scan_events<C: ConnectionTrait>(
    db: &C,
    now: i64,
    ids: &[i32],
    kind: &str,
    text: &str,
    after: FindingStatus,
) -> StoreResult<()> {
    for chunk in ids.chunks(400) {
        let rows = chunk.iter().map(|id| finding_event::ActiveModel {
            id: NotSet,
            finding_id: Set(*id),
            kind: Set(kind.into()),
            text: Set(text.into()),
            status_after: Set(after.code().into()),
            by_user: Set(None),
            by_name: Set("规则引擎".into()),
            at: Set(now),
        });
        finding_event::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Inside a scan's merge: a dismissed finding found with other facts than those it was
/// dismissed on is 待处理 again.
pub(crate) async fn reopened_by_scan<C: ConnectionTrait>(
    db: &C,
    now: i64,
    id: i32,
    as_of: NaiveDate,
) -> StoreResult<()> {
    undismiss(db, id).await?;
    scan_events(
        db,
        now,
        &[id],
        "reopen",
        &format!("{as_of}复查发现情况有变化，排除失效，恢复为待处理"),
        FindingStatus::Open,
    )
    .await
}

/// The 问题线索 part of a role's 待办: what nobody has acted on yet, what was given to the
/// caller's own town or department (the district: to anyone) and is not yet handled, how
/// many of those are past their due date, and (a subject's own account) its findings still
/// to be dealt with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Todo {
    pub pending: u64,
    pub assigned: u64,
    pub assigned_overdue: u64,
    pub active: u64,
}

/// Counts [`Todo`] in `scope` as of today.
pub async fn todo(store: &Store, scope: &Scope) -> StoreResult<Todo> {
    use sea_orm::PaginatorTrait;
    let today = store.today();
    let base = || {
        finding::Entity::find()
            .inner_join(subject::Entity)
            .filter(scope.subject_condition())
    };
    let mine = |q: sea_orm::Select<finding::Entity>| match scope.reach() {
        Reach::Town(t) => q.filter(finding::Column::AssignedTownId.eq(t)),
        Reach::Department(d) => q.filter(finding::Column::AssignedDepartmentId.eq(d)),
        _ => q,
    };
    let assigned =
        || mine(base()).filter(finding::Column::Status.eq(FindingStatus::Assigned.code()));
    Ok(Todo {
        pending: base()
            .filter(finding::Column::Status.eq(FindingStatus::Open.code()))
            .count(&store.db)
            .await?,
        assigned: assigned().count(&store.db).await?,
        assigned_overdue: assigned()
            .filter(finding::Column::DueOn.lt(today))
            .count(&store.db)
            .await?,
        active: base()
            .filter(finding::Column::Status.is_in(FindingStatus::ACTIVE))
            .count(&store.db)
            .await?,
    })
}

/// A dismissed finding 待处理 again, its reason and the facts it was dismissed on cleared.
async fn undismiss<C: ConnectionTrait>(db: &C, id: i32) -> StoreResult<()> {
    finding::Entity::update_many()
        .col_expr(
            finding::Column::Status,
            Expr::value(FindingStatus::Open.code()),
        )
        .col_expr(
            finding::Column::DismissReason,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            finding::Column::DismissedDetail,
            Expr::value(Option::<String>::None),
        )
        .filter(finding::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
