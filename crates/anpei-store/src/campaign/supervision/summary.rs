//! 总结报告 (notice §三(四)): each department and town submits its summary report of a
//! campaign before the campaign's `summary_due` (that day included, China time). The
//! district tracks each unit as on time, late, missing (the deadline passed without a
//! report) or not yet due, and the daily job reminds the accounts of units without a report
//! [`REMIND_BEFORE_DAYS`] days before the deadline and once after it (for
//! [`REMIND_AFTER_DAYS`] days after it, so a campaign of years ago reminds nobody).
//!
//! A unit submits once; it may revise its title and text later, but the time of its first
//! submission decides whether it was late. Attachments are evidence files owned by
//! [`EVIDENCE_OWNER`] (the report's id), with no subject: only the district downloads them.

use super::{CampaignInfo, Unit};
use crate::entity::{campaign, summary_report, user};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::inbox::NewMessage;
use crate::scope::Role;
use crate::{registry::reference, Scope, Store, StoreError, StoreResult};
use chrono::{NaiveDate, NaiveTime};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Deserialize;
use std::collections::HashMap;

/// The `evidence_files.owner_kind` of a summary report's attachments.
pub const EVIDENCE_OWNER: &str = "summary";
/// Days before the deadline a unit without a report is reminded.
pub const REMIND_BEFORE_DAYS: u64 = 7;
/// Days after the deadline a unit without a report is still reminded (once).
pub const REMIND_AFTER_DAYS: u64 = 30;
const MAX_TITLE: usize = 100;
const MAX_BODY: usize = 20_000;

/// The moment a deadline day ends (Unix seconds: the next day's 00:00 in China).
pub fn end_of(day: NaiveDate) -> i64 {
    let next = (day + chrono::Days::new(1)).and_time(NaiveTime::MIN);
    next.and_utc().timestamp() - 8 * 3600
}

/// Where a unit stands with its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    OnTime,
    Late,
    /// The deadline passed and there is no report.
    Missing,
    /// No report yet, the deadline still ahead.
    Pending,
}

impl State {
    pub fn code(self) -> &'static str {
        match self {
            State::OnTime => "on_time",
            State::Late => "late",
            State::Missing => "missing",
            State::Pending => "pending",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            State::OnTime => "按时报送",
            State::Late => "逾期报送",
            State::Missing => "逾期未报送",
            State::Pending => "未报送（未到期）",
        }
    }
}

/// One unit's line of the tracking table.
#[derive(Debug, Clone)]
pub struct Track {
    pub unit: Unit,
    pub name: String,
    pub state: State,
    pub report: Option<summary_report::Model>,
}

impl Track {
    pub fn submitted_text(&self) -> String {
        self.report
            .as_ref()
            .map(|r| crate::campaign::problems::china_time(r.submitted_at))
            .unwrap_or_default()
    }
}

/// Where a unit stands with its report `r` of a campaign due on `due`, at `now`.
pub fn state_of(r: Option<&summary_report::Model>, due: NaiveDate, now: i64) -> State {
    match r {
        Some(r) if r.late => State::Late,
        Some(_) => State::OnTime,
        None if now >= end_of(due) => State::Missing,
        None => State::Pending,
    }
}

async fn reports<C: ConnectionTrait>(
    db: &C,
    campaign_id: i32,
) -> StoreResult<HashMap<Unit, summary_report::Model>> {
    Ok(summary_report::Entity::find()
        .filter(summary_report::Column::CampaignId.eq(campaign_id))
        .order_by_asc(summary_report::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| {
            super::Unit::of_columns(r.department_id, r.town_id, r.district_id).map(|u| (u, r))
        })
        .collect())
}

/// The units that report to the scope, with their names: every town, then every department
/// of the scope's district; for the city of several districts, every district, then the
/// city's own departments (the towns and district departments report to their district).
pub async fn reporting_units(store: &Store, scope: &Scope) -> StoreResult<Vec<(Unit, String)>> {
    let departments = reference::departments(store, scope).await?;
    if super::supervises_districts(store, scope).await? {
        let mut units: Vec<(Unit, String)> = reference::districts(store, scope)
            .await?
            .into_iter()
            .map(|d| (Unit::District(d.id), d.name))
            .collect();
        units.extend(
            departments
                .into_iter()
                .filter(|(d, _)| d.district_id.is_none())
                .map(|(d, _)| (Unit::Department(d.id), d.name)),
        );
        return Ok(units);
    }
    let mut units: Vec<(Unit, String)> = reference::towns(store, scope)
        .await?
        .into_iter()
        .map(|t| (Unit::Town(t.id), t.name))
        .collect();
    units.extend(
        departments
            .into_iter()
            .map(|(d, _)| (Unit::Department(d.id), d.name)),
    );
    Ok(units)
}

/// The units that report to the scope ([`reporting_units`]), each with its report's state.
#[tracing::instrument(skip_all)]
pub async fn tracking(store: &Store, scope: &Scope, c: &CampaignInfo) -> StoreResult<Vec<Track>> {
    let mut by_unit = reports(&store.db, c.campaign.id).await?;
    let due = c.campaign.summary_due;
    let now = store.now();
    let units = reporting_units(store, scope).await?;
    Ok(units
        .into_iter()
        .map(|(unit, name)| {
            let report = by_unit.remove(&unit);
            Track {
                unit,
                name,
                state: state_of(report.as_ref(), due, now),
                report,
            }
        })
        .collect())
}

/// The report of `unit` in a campaign, if it submitted one.
pub async fn of_unit(
    store: &Store,
    campaign_id: i32,
    unit: Unit,
) -> StoreResult<Option<summary_report::Model>> {
    Ok(reports(&store.db, campaign_id).await?.remove(&unit))
}

/// The raw fields of the form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SummaryInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
}

/// Submits (or revises) the report of the caller's own department or town (in a city, of a
/// district's account its district), with an
/// optional attached file (already checked and stored, see `anpei_store::platform::evidence`); returns
/// the report's id. One transaction — the report, the file's row and the audit entries.
#[tracing::instrument(skip_all)]
pub async fn submit(
    store: &Store,
    actor: &Actor,
    scope: &Scope,
    c: &CampaignInfo,
    input: &SummaryInput,
    attachment: Option<&crate::platform::evidence::Attachment>,
) -> StoreResult<i32> {
    let Some(unit) = Unit::reporting_for(store, scope).await? else {
        return Err(StoreError::Validation(
            "总结报告由各部门、镇街（多区县部署时还有各区县）报送；汇总账号请在“总结报告”汇总表中查看报送情况。".into(),
        ));
    };
    if matches!(unit, Unit::District(_)) && c.campaign.district_id.is_some() {
        return Err(StoreError::Validation(
            "本区县自行部署的专项整治，总结报告由本区县的镇街、部门报送，不向市级报送。".into(),
        ));
    }
    let title = anpei_core::ids::trim_cell(&input.title).to_string();
    let body = input.body.trim().to_string();
    let mut errs: Vec<(&'static str, String)> = Vec::new();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        errs.push((
            "title",
            format!("报告标题：不能为空，且不超过{MAX_TITLE}个字符"),
        ));
    }
    if body.is_empty() || body.chars().count() > MAX_BODY {
        errs.push((
            "body",
            format!("报告正文：不能为空，且不超过{MAX_BODY}个字符"),
        ));
    }
    if !errs.is_empty() {
        return Err(StoreError::Fields(errs));
    }
    let txn = store.write().await?;
    let now = store.now();
    let existing = reports(&*txn, c.campaign.id).await?.remove(&unit);
    let (id, action, late) = match existing {
        Some(r) => {
            let (id, late) = (r.id, r.late);
            let mut am: summary_report::ActiveModel = r.into();
            am.title = Set(title);
            am.body = Set(body);
            am.update(&*txn).await?;
            (id, "summary.revise", late)
        }
        None => {
            let late = now >= end_of(c.campaign.summary_due);
            let (d, t, x) = unit.columns();
            let m = summary_report::ActiveModel {
                id: NotSet,
                campaign_id: Set(c.campaign.id),
                department_id: Set(d),
                town_id: Set(t),
                district_id: Set(x),
                title: Set(title),
                body: Set(body),
                submitted_at: Set(now),
                submitted_by: Set(actor.user_id),
                late: Set(late),
            }
            .insert(&*txn)
            .await?;
            (m.id, "summary.submit", late)
        }
    };
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok(action, format!("summary_report:{id}")).with_detail(format!(
            "campaign:{} {} late={late}",
            c.campaign.id,
            unit.key()
        )),
    )
    .await?;
    if let Some(a) = attachment {
        // A report has no subject: only the district and the unit itself read its files.
        crate::platform::evidence::insert(&*txn, now, actor, EVIDENCE_OWNER, id, None, a).await?;
    }
    txn.commit().await?;
    Ok(id)
}

/// Active accounts of a department, town or district.
pub async fn unit_accounts<C: ConnectionTrait>(db: &C, unit: Unit) -> StoreResult<Vec<i32>> {
    let c = match unit {
        Unit::District(x) => user::Column::Role
            .eq(Role::District.code())
            .and(user::Column::ScopeDistrictId.eq(x)),
        Unit::Department(d) => user::Column::Role
            .eq(Role::Department.code())
            .and(user::Column::ScopeDepartmentId.eq(d)),
        Unit::Town(t) => user::Column::Role
            .eq(Role::Town.code())
            .and(user::Column::ScopeTownId.eq(t)),
    };
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Active.eq(true))
        .filter(c)
        .order_by_asc(user::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

/// An account's id, role, and scope columns (department, town, district).
type AccountRow = (i32, String, Option<i32>, Option<i32>, Option<i32>);

/// Department and town accounts by unit, and in a city the districts' accounts.
async fn all_unit_accounts<C: ConnectionTrait>(db: &C) -> StoreResult<HashMap<Unit, Vec<i32>>> {
    let city = reference::only_district(db).await?.is_none();
    let rows: Vec<AccountRow> = user::Entity::find()
        .select_only()
        .columns([
            user::Column::Id,
            user::Column::Role,
            user::Column::ScopeDepartmentId,
            user::Column::ScopeTownId,
            user::Column::ScopeDistrictId,
        ])
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::Role.is_in([
            Role::Department.code(),
            Role::Town.code(),
            Role::District.code(),
        ]))
        .order_by_asc(user::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut out: HashMap<Unit, Vec<i32>> = HashMap::new();
    for (id, role, d, t, x) in rows {
        let unit = match (Role::from_code(&role), d, t, x) {
            (Some(Role::Department), Some(d), _, _) => Unit::Department(d),
            (Some(Role::Town), _, Some(t), _) => Unit::Town(t),
            (Some(Role::District), _, _, Some(x)) if city => Unit::District(x),
            _ => continue,
        };
        out.entry(unit).or_default().push(id);
    }
    Ok(out)
}

/// The district of each town and district department (its units report to it).
async fn unit_districts<C: ConnectionTrait>(db: &C) -> StoreResult<HashMap<Unit, i32>> {
    use crate::entity::{department, town};
    let mut out: HashMap<Unit, i32> = town::Entity::find()
        .select_only()
        .columns([town::Column::Id, town::Column::DistrictId])
        .into_tuple::<(i32, i32)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(t, d)| (Unit::Town(t), d))
        .collect();
    let deps: Vec<(i32, Option<i32>)> = department::Entity::find()
        .select_only()
        .columns([department::Column::Id, department::Column::DistrictId])
        .into_tuple()
        .all(db)
        .await?;
    out.extend(
        deps.into_iter()
            .filter_map(|(id, d)| d.map(|d| (Unit::Department(id), d))),
    );
    Ok(out)
}

/// The reminders of `date` (module docs) for the daily job, to send inside its transaction:
/// one before the deadline and one after it per campaign, unit and account (dedupe keys).
pub async fn reminders<C: ConnectionTrait>(
    db: &C,
    date: NaiveDate,
) -> StoreResult<Vec<NewMessage>> {
    let from = date - chrono::Days::new(REMIND_AFTER_DAYS);
    let until = date + chrono::Days::new(REMIND_BEFORE_DAYS);
    let due: Vec<(i32, String, NaiveDate, Option<i32>)> = campaign::Entity::find()
        .select_only()
        .columns([
            campaign::Column::Id,
            campaign::Column::Name,
            campaign::Column::SummaryDue,
            campaign::Column::DistrictId,
        ])
        .filter(campaign::Column::SummaryDue.gte(from))
        .filter(campaign::Column::SummaryDue.lte(until))
        .order_by_asc(campaign::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let accounts = all_unit_accounts(db).await?;
    let mut units: Vec<&Unit> = accounts.keys().collect();
    units.sort_by_key(|u| (u.kind_code(), u.id()));
    let district_of = unit_districts(db).await?;
    let mut out = Vec::new();
    for (cid, name, city_deadline, owner) in due {
        let have = reports(db, cid).await?;
        // A town or department reports by its district's own deadline where the district
        // set one (区县实施安排); a district by the city's.
        let own = crate::campaign::district_dates::all_in(db, cid).await?;
        // A district's own campaign: its towns and departments report to it; no one else.
        let reports_in = |u: &Unit| match owner {
            None => true,
            Some(d) => !matches!(u, Unit::District(_)) && district_of.get(u) == Some(&d),
        };
        for unit in units
            .iter()
            .filter(|u| !have.contains_key(u) && reports_in(u))
        {
            let deadline = district_of
                .get(unit)
                .and_then(|d| own.get(d))
                .map_or(city_deadline, |x| x.summary_due);
            if deadline < from || deadline > until {
                continue;
            }
            let after = date > deadline;
            for uid in &accounts[unit] {
                let (kind, title, key) = if after {
                    (
                        "summary_overdue",
                        format!("{name}的总结报告已逾期（截止{deadline}），请尽快报送"),
                        format!("summary_overdue:{cid}:{}:{uid}", unit.key()),
                    )
                } else {
                    (
                        "summary_due",
                        format!("{name}的总结报告请于{deadline}前报送"),
                        format!("summary_due:{cid}:{}:{uid}", unit.key()),
                    )
                };
                out.push(NewMessage {
                    user_id: *uid,
                    kind: kind.into(),
                    title,
                    body: "请总结专项整治工作成效，梳理存在的问题，分析原因，提出标本兼治举措，形成书面总结报告。".into(),
                    link: format!("/summary?campaign={cid}"),
                    dedupe_key: key,
                });
            }
        }
    }
    Ok(out)
}

/// 催办: the district reminds every department and town that has not sent its report of
/// the campaign — each of its accounts gets an inbox message with the deadline — at most once
/// a day per unit ([`crate::platform::urge`]). District only.
#[tracing::instrument(skip_all)]
pub async fn urge_missing(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    c: &CampaignInfo,
) -> StoreResult<crate::platform::urge::Urged> {
    use crate::platform::urge::{self, Matter, Reminder};
    if !scope.is_district_level() {
        return Err(StoreError::Forbidden);
    }
    let due = c.campaign.summary_due;
    let name = &c.campaign.name;
    let mut reminders = Vec::new();
    for t in tracking(store, scope, c).await? {
        if !matches!(t.state, State::Missing | State::Pending) {
            continue;
        }
        let late = t.state == State::Missing;
        reminders.push(Reminder {
            unit: t.unit.key(),
            recipients: unit_accounts(&store.db, t.unit).await?,
            title: if late {
                format!("催办：{name}总结报告已逾期（截止{due}），请立即报送")
            } else {
                format!("催办：请于{due}前报送{name}总结报告")
            },
            body: format!(
                "{}尚未报送总结报告。请总结专项整治工作成效，梳理存在的问题，分析原因，提出标本兼治举措，在“总结报告”中报送。",
                t.name
            ),
            link: format!("/summary?campaign={}", c.campaign.id),
        });
    }
    let key = format!("summary:{}", c.campaign.id);
    let target = format!("campaign:{}", c.campaign.id);
    urge::send(
        store,
        actor,
        Matter {
            kind: "urge_summary",
            key: &key,
            target: &target,
        },
        reminders,
    )
    .await
}
