//! Writing score sheets: the manual adjustment and 定稿, the supervisors' findings (each a
//! problem of the department or town), and closing those problems. District only (the
//! routes' permission); each write one transaction with its audit entry.

use super::{
    indicators_all, round1, total_of, unit_name, CampaignInfo, Finding, Frozen, SheetStatus,
    StoredFindings, SupervisionProblemStatus, Unit, MANUAL_MAX, MANUAL_MIN, MAX_TEXT,
};
use crate::campaign::problems::parse_date;
use crate::entity::{supervision_problem, supervision_sheet};
use crate::platform::audit::{self, Actor, Event};
use crate::{Scope, Store, StoreError, StoreResult};
use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    Set,
};
use serde::Deserialize;

/// The raw fields of the sheet's form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SheetInput {
    #[serde(default)]
    pub manual: String,
    #[serde(default)]
    pub reason: String,
    /// `1` to finalise (定稿).
    #[serde(default)]
    pub finalise: String,
}

/// The raw fields of a finding.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FindingInput {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub measures: String,
    #[serde(default)]
    pub deadline: String,
}

fn trimmed(s: &str) -> String {
    anpei_core::ids::trim_cell(s).to_string()
}

/// The sheet row of a unit, created as a draft when it has none (inside `txn`).
async fn sheet_row<C: ConnectionTrait>(
    db: &C,
    now: i64,
    actor: &Actor,
    campaign_id: i32,
    unit: Unit,
) -> StoreResult<supervision_sheet::Model> {
    if let Some(s) = supervision_sheet::Entity::find()
        .filter(supervision_sheet::Column::CampaignId.eq(campaign_id))
        .filter(unit.sheet_condition())
        .one(db)
        .await?
    {
        return Ok(s);
    }
    let (d, t, x) = unit.columns();
    Ok(supervision_sheet::ActiveModel {
        id: NotSet,
        campaign_id: Set(campaign_id),
        department_id: Set(d),
        town_id: Set(t),
        district_id: Set(x),
        scores: Set("{}".into()),
        data_score: Set(0.0),
        manual_score: Set(0.0),
        total: Set(0.0),
        findings: Set(serde_json::to_string(&StoredFindings::default()).unwrap_or_default()),
        status: Set(SheetStatus::Draft),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

fn finalised_error() -> StoreError {
    StoreError::Conflict("该考核评分表已定稿，不能再修改。".into())
}

/// Saves the manual adjustment and its reason, and with `finalise` freezes the sheet with
/// the data points of this moment. District only (the route's permission); audited.
#[tracing::instrument(skip_all)]
pub async fn save_sheet(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    c: &CampaignInfo,
    unit: Unit,
    input: &SheetInput,
) -> StoreResult<i32> {
    super::unit_in_scope(&store.db, scope, unit).await?;
    let name = unit_name(&store.db, unit).await?;
    let mut errs: Vec<(&'static str, String)> = Vec::new();
    let raw = trimmed(&input.manual);
    let manual = if raw.is_empty() {
        0.0
    } else {
        match raw.parse::<f64>() {
            Ok(v) if v.is_finite() && (MANUAL_MIN..=MANUAL_MAX).contains(&v) => round1(v),
            _ => {
                errs.push((
                    "manual",
                    format!("加减分：请填写{MANUAL_MIN}至{MANUAL_MAX}之间的数，如 -2 或 1.5"),
                ));
                0.0
            }
        }
    };
    let reason = trimmed(&input.reason);
    if manual != 0.0 && reason.is_empty() {
        errs.push(("reason", "加减分理由：有加减分时请写明理由".into()));
    }
    if reason.chars().count() > MAX_TEXT {
        errs.push(("reason", format!("加减分理由：不超过{MAX_TEXT}个字符")));
    }
    if !errs.is_empty() {
        return Err(StoreError::Fields(errs));
    }
    let finalise = input.finalise.trim() == "1";
    let live = indicators_all(store, c).await?.of(unit);
    let txn = store.write().await?;
    let now = store.now();
    let row = sheet_row(&*txn, now, actor, c.campaign.id, unit).await?;
    if row.status == SheetStatus::Final {
        return Err(finalised_error());
    }
    let mut stored: StoredFindings = serde_json::from_str(&row.findings).unwrap_or_default();
    stored.reason = reason;
    let points = live.points(super::Scoring::of(store, c));
    let data = points.data().unwrap_or(0.0);
    let frozen = Frozen {
        indicators: live,
        points,
    };
    let id = row.id;
    let mut am: supervision_sheet::ActiveModel = row.into();
    am.scores = Set(serde_json::to_string(&frozen).unwrap_or_default());
    am.data_score = Set(data);
    am.manual_score = Set(manual);
    am.total = Set(total_of(data, manual));
    am.findings = Set(serde_json::to_string(&stored).unwrap_or_default());
    am.status = Set(if finalise {
        SheetStatus::Final
    } else {
        SheetStatus::Draft
    });
    am.updated_at = Set(now);
    am.update(&*txn).await?;
    let action = if finalise {
        "supervision.finalise"
    } else {
        "supervision.save"
    };
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok(action, format!("supervision_sheet:{id}")).with_detail(format!(
            "campaign:{} {} {name} data={data} manual={manual}",
            c.campaign.id,
            unit.key()
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// Records a supervisors' finding on a unit: the sheet's finding and a problem of that
/// department or town (to rectify by `deadline`), and tells its accounts in the inbox.
/// One transaction, audited. Returns the problem's id.
#[tracing::instrument(skip_all)]
pub async fn add_finding(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    c: &CampaignInfo,
    unit: Unit,
    input: &FindingInput,
) -> StoreResult<i32> {
    super::unit_in_scope(&store.db, scope, unit).await?;
    let name = unit_name(&store.db, unit).await?;
    let mut errs: Vec<(&'static str, String)> = Vec::new();
    let text = trimmed(&input.text);
    if text.is_empty() || text.chars().count() > MAX_TEXT {
        errs.push((
            "text",
            format!("督查发现的问题：不能为空，且不超过{MAX_TEXT}个字符"),
        ));
    }
    let measures = trimmed(&input.measures);
    if measures.is_empty() || measures.chars().count() > MAX_TEXT {
        errs.push((
            "measures",
            format!("整改要求：不能为空，且不超过{MAX_TEXT}个字符"),
        ));
    }
    let today = store.today();
    let deadline = match parse_date(&input.deadline) {
        Some(d) if d < today => {
            errs.push(("deadline", format!("整改时限：不能早于今天（{today}）")));
            None
        }
        Some(d) => Some(d),
        None => {
            errs.push(("deadline", "整改时限：请填写日期，如 2022-08-31".into()));
            None
        }
    };
    let Some(deadline) = deadline.filter(|_| errs.is_empty()) else {
        return Err(StoreError::Fields(errs));
    };
    let txn = store.write().await?;
    let now = store.now();
    let row = sheet_row(&*txn, now, actor, c.campaign.id, unit).await?;
    if row.status == SheetStatus::Final {
        return Err(finalised_error());
    }
    let (d, t, x) = unit.columns();
    let p = supervision_problem::ActiveModel {
        id: NotSet,
        campaign_id: Set(c.campaign.id),
        sheet_id: Set(row.id),
        department_id: Set(d),
        town_id: Set(t),
        district_id: Set(x),
        description: Set(text.clone()),
        measures: Set(measures.clone()),
        deadline: Set(deadline),
        status: Set(SupervisionProblemStatus::Pending),
        closing_note: Set(None),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        closed_at: Set(None),
        closed_by: Set(None),
    }
    .insert(&*txn)
    .await?;
    let mut stored: StoredFindings = serde_json::from_str(&row.findings).unwrap_or_default();
    stored.items.push(Finding {
        text: text.clone(),
        measures,
        deadline,
        problem_id: p.id,
    });
    supervision_sheet::Entity::update_many()
        .col_expr(
            supervision_sheet::Column::Findings,
            Expr::value(serde_json::to_string(&stored).unwrap_or_default()),
        )
        .col_expr(supervision_sheet::Column::UpdatedAt, Expr::value(now))
        .filter(supervision_sheet::Column::Id.eq(row.id))
        .exec(&*txn)
        .await?;
    let msgs = super::summary::unit_accounts(&*txn, unit)
        .await?
        .into_iter()
        .map(|uid| crate::platform::inbox::NewMessage {
            user_id: uid,
            kind: "supervision_problem".into(),
            title: format!("督查发现问题，请于{deadline}前整改"),
            body: text.clone(),
            link: "/summary".into(),
            dedupe_key: format!("supervision_problem:{}:{uid}", p.id),
        })
        .collect();
    crate::platform::inbox::send_many(&*txn, now, msgs).await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok(
            "supervision.finding",
            format!("supervision_problem:{}", p.id),
        )
        .with_detail(format!(
            "campaign:{} {} {name} sheet:{}",
            c.campaign.id,
            unit.key(),
            row.id
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(p.id)
}

/// One supervision problem of a unit in the scope's district (the district's pages only).
pub async fn problem(
    store: &Store,
    scope: &Scope,
    id: i32,
) -> StoreResult<supervision_problem::Model> {
    let p = supervision_problem::Entity::find_by_id(id)
        .one(&store.db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let unit =
        Unit::of_columns(p.department_id, p.town_id, p.district_id).ok_or(StoreError::NotFound)?;
    super::unit_in_scope(&store.db, scope, unit).await?;
    Ok(p)
}

/// Closes (销号) a supervision problem with a note; district only, audited. Returns the
/// unit it belongs to.
#[tracing::instrument(skip_all)]
pub async fn close_problem(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    id: i32,
    note: &str,
) -> StoreResult<Unit> {
    problem(store, scope, id).await?;
    let note = trimmed(note);
    if note.is_empty() || note.chars().count() > MAX_TEXT {
        return Err(StoreError::Fields(vec![(
            "note",
            format!("销号说明：请写明整改核实情况（不超过{MAX_TEXT}个字符）"),
        )]));
    }
    let txn = store.write().await?;
    let now = store.now();
    let p = supervision_problem::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let unit =
        Unit::of_columns(p.department_id, p.town_id, p.district_id).ok_or(StoreError::NotFound)?;
    let n = supervision_problem::Entity::update_many()
        .col_expr(
            supervision_problem::Column::Status,
            Expr::value(SupervisionProblemStatus::Closed),
        )
        .col_expr(supervision_problem::Column::ClosingNote, Expr::value(note))
        .col_expr(supervision_problem::Column::ClosedAt, Expr::value(now))
        .col_expr(
            supervision_problem::Column::ClosedBy,
            Expr::value(actor.user_id),
        )
        .filter(supervision_problem::Column::Id.eq(id))
        .filter(supervision_problem::Column::Status.ne(SupervisionProblemStatus::Closed))
        .exec(&*txn)
        .await?
        .rows_affected;
    if n != 1 {
        return Err(StoreError::Conflict("该问题已销号。".into()));
    }
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok(
            "supervision.problem_close",
            format!("supervision_problem:{id}"),
        )
        .with_detail(unit.key()),
    )
    .await?;
    txn.commit().await?;
    Ok(unit)
}

/// The label of a supervision problem's status, overdue when open past its deadline.
pub fn problem_status_label(p: &supervision_problem::Model, today: NaiveDate) -> &'static str {
    match p.status {
        SupervisionProblemStatus::Pending if p.deadline < today => "逾期未整改",
        s => s.label(),
    }
}
