//! Scheduled jobs, safe with several server instances on one database (the app
//! servers keep no state of their own).
//!
//! A run is claimed by inserting its `job_runs` row: the unique (job, run_key) lets exactly
//! one instance's insert succeed, and only that instance runs; the others skip. A claim that
//! was started but never finished (the instance died) may be taken over once it is older than
//! [`STALE_AFTER_SECS`], and so may a failed run; the take-over is a compare-and-swap on the
//! row's start time, so two instances cannot both take over. A run's work is one transaction,
//! so a crash leaves nothing half-sent, and every message carries a dedupe key, so even a
//! repeated run sends nothing twice.
//!
//! The daily job ([`daily_reminders`]) reminds, in the in-app inbox:
//! (a) subject users whose self-inspection is not submitted when the self-inspection phase
//!     ends within [`REMIND_DAYS`] days;
//! (b) subject users and their supervising town's users of problems due within
//!     [`REMIND_DAYS`] days;
//! (c) the same of problems overdue, and records each problem's `overdue` event once.

use crate::campaign::problems::{self, ProblemStatus};
use crate::campaign::selfcheck::SelfcheckStatus;
use crate::entity::{
    campaign, campaign_phase, checklist_item, job_run, problem, self_inspection, subject, user,
};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::inbox::{self, NewMessage};
use crate::scope::Role;
use crate::{Store, StoreResult};
use anpei_core::SubjectKind;
use chrono::NaiveDate;
use sea_orm::sea_query::{Condition, Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait, Set,
};
use serde::Serialize;
use std::collections::HashMap;

/// The daily reminders' job name in `job_runs`.
pub const REMINDERS: &str = "daily_reminders";
/// A claim older than this, unfinished or failed, may be taken over by another instance.
pub const STALE_AFTER_SECS: i64 = 3600;
/// How many days ahead a deadline (a phase's end, a problem's 整改时限) is reminded of.
pub const REMIND_DAYS: u64 = 7;

/// A claimed run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub id: i32,
    pub job: String,
    pub run_key: String,
    pub instance: String,
    pub started_at: i64,
    /// The instance whose stale claim this one took over.
    pub took_over_from: Option<String>,
}

/// Claims run `run_key` of `job` for `instance`: `None` when another instance has it (running,
/// finished, or failed or stalled less than [`STALE_AFTER_SECS`] ago).
pub async fn claim(
    store: &Store,
    job: &str,
    run_key: &str,
    instance: &str,
) -> StoreResult<Option<Claim>> {
    let txn = store.write().await?;
    let now = store.now();
    // ON CONFLICT DO NOTHING rather than a failing insert: a failed statement would abort
    // the transaction on PostgreSQL.
    let inserted = job_run::Entity::insert(job_run::ActiveModel {
        id: NotSet,
        job: Set(job.into()),
        run_key: Set(run_key.into()),
        instance: Set(instance.into()),
        started_at: Set(now),
        finished_at: Set(None),
        outcome: Set(None),
    })
    .on_conflict(
        OnConflict::columns([job_run::Column::Job, job_run::Column::RunKey])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&*txn)
    .await?;
    let row = job_run::Entity::find()
        .filter(job_run::Column::Job.eq(job))
        .filter(job_run::Column::RunKey.eq(run_key))
        .one(&*txn)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("job_runs".into()))?;
    let mut claim = Claim {
        id: row.id,
        job: job.into(),
        run_key: run_key.into(),
        instance: instance.into(),
        started_at: now,
        took_over_from: None,
    };
    if inserted == 0 {
        let stalled = row.finished_at.is_none() && row.started_at <= now - STALE_AFTER_SECS;
        let failed = row
            .outcome
            .as_deref()
            .is_some_and(|o| o.starts_with("failed"))
            && row.finished_at.is_some_and(|f| f <= now - STALE_AFTER_SECS);
        if !(stalled || failed) {
            return Ok(None);
        }
        let swapped = job_run::Entity::update_many()
            .col_expr(job_run::Column::Instance, Expr::value(instance))
            .col_expr(job_run::Column::StartedAt, Expr::value(now))
            .col_expr(
                job_run::Column::FinishedAt,
                Expr::value(Option::<i64>::None),
            )
            .col_expr(
                job_run::Column::Outcome,
                Expr::value(Option::<String>::None),
            )
            .filter(job_run::Column::Id.eq(row.id))
            .filter(job_run::Column::StartedAt.eq(row.started_at))
            .filter(job_run::Column::Instance.eq(row.instance.clone()))
            .exec(&*txn)
            .await?
            .rows_affected;
        if swapped != 1 {
            return Ok(None);
        }
        claim.took_over_from = Some(row.instance);
    }
    let detail = match &claim.took_over_from {
        Some(prev) => format!("instance={instance} took_over_from={prev}"),
        None => format!("instance={instance}"),
    };
    audit::append(
        &*txn,
        now,
        &Actor::system("scheduler"),
        &Event::ok("job.start", format!("job:{job}:{run_key}")).with_detail(detail),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(claim))
}

/// Records the end of a claimed run (`ok …` or `failed …`), if the claim is still ours.
pub async fn finish(store: &Store, c: &Claim, outcome: &str) -> StoreResult<()> {
    let txn = store.write().await?;
    let now = store.now();
    job_run::Entity::update_many()
        .col_expr(job_run::Column::FinishedAt, Expr::value(now))
        .col_expr(job_run::Column::Outcome, Expr::value(outcome))
        .filter(job_run::Column::Id.eq(c.id))
        .filter(job_run::Column::Instance.eq(c.instance.clone()))
        .filter(job_run::Column::StartedAt.eq(c.started_at))
        .exec(&*txn)
        .await?;
    let ev = Event::ok("job.finish", format!("job:{}:{}", c.job, c.run_key))
        .with_detail(format!("instance={} {outcome}", c.instance));
    let ev = if outcome.starts_with("failed") {
        ev.failed()
    } else {
        ev
    };
    audit::append(&*txn, now, &Actor::system("scheduler"), &ev).await?;
    txn.commit().await
}

/// What a reminders run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReminderReport {
    pub date: Option<NaiveDate>,
    /// The messages sent (none that had been sent before).
    pub sent: Vec<NewMessage>,
    /// Problems whose `overdue` event was recorded by this run.
    pub overdue_recorded: Vec<i32>,
}

impl ReminderReport {
    pub fn count(&self, kind: &str) -> usize {
        self.sent.iter().filter(|m| m.kind == kind).count()
    }
}

/// The outcome of the daily job on one instance.
#[derive(Debug, Clone)]
pub enum DailyRun {
    Ran(ReminderReport),
    /// Another instance has this date's run.
    Skipped,
}

/// The daily reminders of `date`, if this instance claims the run (see the module docs).
pub async fn daily_reminders(
    store: &Store,
    date: NaiveDate,
    instance: &str,
) -> StoreResult<DailyRun> {
    let Some(c) = claim(store, REMINDERS, &date.to_string(), instance).await? else {
        return Ok(DailyRun::Skipped);
    };
    match send_reminders(store, date).await {
        Ok(r) => {
            // Retention (PIPL): the reporters of tip-offs closed longer ago than the period.
            let erased = crate::enforcement::tipoffs::erase_expired_reporters(
                store,
                &Actor::system("scheduler"),
            )
            .await?;
            let scanned = daily_scan(store, date).await;
            let outcome = format!(
                "ok sent={} overdue_recorded={} reporters_erased={erased} {scanned}",
                r.sent.len(),
                r.overdue_recorded.len()
            );
            finish(store, &c, &outcome).await?;
            Ok(DailyRun::Ran(r))
        }
        Err(e) => {
            tracing::error!(error = %e, "daily reminders failed");
            finish(store, &c, "failed").await?;
            Err(e)
        }
    }
}

/// The daily scan of the whole district (ledger and records checks), merged into the stored
/// findings, so that what the imports and uploads of the day changed shows without anyone
/// pressing 全区扫描. A failure is logged and noted in the run's outcome; it does not undo the
/// reminders already sent.
async fn daily_scan(store: &Store, date: NaiveDate) -> String {
    let merged =
        crate::ledger::scan::run_whole_saved(store, None, &Actor::system("scheduler"), date).await;
    match merged {
        Ok(m) => format!(
            "scan_new={} scan_open={} scan_resolved={}",
            m.new, m.still_open, m.resolved
        ),
        Err(e) => {
            tracing::error!(error = %e, "daily scan failed");
            "scan=failed".into()
        }
    }
}

/// Accounts that receive reminders: subject users by subject, town users by town.
struct Recipients {
    by_subject: HashMap<i32, Vec<i32>>,
    by_town: HashMap<i32, Vec<i32>>,
}

async fn recipients<C: ConnectionTrait>(db: &C) -> StoreResult<Recipients> {
    let rows: Vec<(i32, String, Option<i32>, Option<i32>)> = user::Entity::find()
        .select_only()
        .columns([
            user::Column::Id,
            user::Column::Role,
            user::Column::ScopeSubjectId,
            user::Column::ScopeTownId,
        ])
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::Role.is_in([Role::Subject.code(), Role::Town.code()]))
        .order_by_asc(user::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut r = Recipients {
        by_subject: HashMap::new(),
        by_town: HashMap::new(),
    };
    for (id, role, s, t) in rows {
        match (Role::from_code(&role), s, t) {
            (Some(Role::Subject), Some(s), _) => r.by_subject.entry(s).or_default().push(id),
            (Some(Role::Town), _, Some(t)) => r.by_town.entry(t).or_default().push(id),
            _ => {}
        }
    }
    Ok(r)
}

/// The subject kinds a campaign's checklist catalogue covers (all four when it has none).
pub async fn catalogue_kinds<C: ConnectionTrait>(
    db: &C,
    campaign_id: i32,
) -> StoreResult<Vec<String>> {
    let version: Option<i32> = campaign::Entity::find_by_id(campaign_id)
        .select_only()
        .column(campaign::Column::CatalogueVersion)
        .into_tuple()
        .one(db)
        .await?;
    let mut kinds: Vec<String> = match version {
        Some(v) => {
            checklist_item::Entity::find()
                .select_only()
                .column(checklist_item::Column::Kind)
                .filter(checklist_item::Column::Version.eq(v))
                .distinct()
                .into_tuple()
                .all(db)
                .await?
        }
        None => Vec::new(),
    };
    if kinds.is_empty() {
        kinds = SubjectKind::ALL
            .iter()
            .map(|k| k.code().to_string())
            .collect();
    }
    kinds.sort();
    Ok(kinds)
}

/// Sends the reminders of `date` (see the module docs) in one transaction; messages sent
/// before (by dedupe key) are not sent again. Audited with its counts.
#[tracing::instrument(skip_all, fields(%date))]
pub async fn send_reminders(store: &Store, date: NaiveDate) -> StoreResult<ReminderReport> {
    let txn = store.write().await?;
    let now = store.now();
    let until = date + chrono::Days::new(REMIND_DAYS);
    let who = recipients(&*txn).await?;
    let mut msgs = self_inspection_due(&*txn, date, until, &who).await?;
    msgs.extend(problems_due(&*txn, date, until, &who).await?);
    msgs.extend(crate::campaign::supervision::summary::reminders(&*txn, date).await?);
    let sent = inbox::send_many(&*txn, now, msgs).await?;
    let overdue_recorded = problems::record_overdue(&*txn, date, now).await?;
    let report = ReminderReport {
        date: Some(date),
        sent,
        overdue_recorded,
    };
    audit::append(
        &*txn,
        now,
        &Actor::system("scheduler"),
        &Event::ok("reminders", format!("date:{date}")).with_detail(format!(
            "self_inspection_due={} problem_due={} problem_overdue={} overdue_recorded={}",
            report.count("self_inspection_due"),
            report.count("problem_due"),
            report.count("problem_overdue"),
            report.overdue_recorded.len()
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(report)
}

/// (a): self-inspection phases (started) that end within the window, and for each the
/// subjects with an account that have not submitted.
async fn self_inspection_due<C: ConnectionTrait>(
    db: &C,
    date: NaiveDate,
    until: NaiveDate,
    who: &Recipients,
) -> StoreResult<Vec<NewMessage>> {
    let phases = campaign_phase::Entity::find()
        .filter(campaign_phase::Column::Kind.eq("self_inspection"))
        .filter(campaign_phase::Column::StartsOn.lte(date))
        .filter(campaign_phase::Column::EndsOn.gte(date))
        .filter(campaign_phase::Column::EndsOn.lte(until))
        .all(db)
        .await?;
    let mut out = Vec::new();
    let with_accounts: Vec<i32> = who.by_subject.keys().copied().collect();
    for ph in phases {
        let kinds = catalogue_kinds(db, ph.campaign_id).await?;
        let submitted = Query::select()
            .column(self_inspection::Column::SubjectId)
            .from(self_inspection::Entity)
            .and_where(self_inspection::Column::CampaignId.eq(ph.campaign_id))
            .and_where(self_inspection::Column::Status.eq(SelfcheckStatus::Submitted))
            .to_owned();
        for chunk in with_accounts.chunks(400) {
            let due: Vec<i32> = subject::Entity::find()
                .select_only()
                .column(subject::Column::Id)
                .filter(subject::Column::Id.is_in(chunk.to_vec()))
                .filter(subject::Column::Kind.is_in(kinds.clone()))
                .filter(subject::Column::Id.not_in_subquery(submitted.clone()))
                .into_tuple()
                .all(db)
                .await?;
            for s in due {
                for uid in who.by_subject.get(&s).into_iter().flatten() {
                    out.push(NewMessage {
                        user_id: *uid,
                        kind: "self_inspection_due".into(),
                        title: format!("{}将于{}结束，本单位自查尚未提交", ph.name, ph.ends_on),
                        body: format!(
                            "请在{}前对照检查清单完成自查并提交自查报告；存在问题的项目将列入问题清单。",
                            ph.ends_on
                        ),
                        link: "/selfcheck".into(),
                        dedupe_key: format!("si_due:{}:{s}:{uid}", ph.id),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// (b) and (c): problems not closed whose deadline is within the window or past.
async fn problems_due<C: ConnectionTrait>(
    db: &C,
    date: NaiveDate,
    until: NaiveDate,
    who: &Recipients,
) -> StoreResult<Vec<NewMessage>> {
    let rows: Vec<(i32, i32, i32, String, String, NaiveDate)> = problem::Entity::find()
        .select_only()
        .columns([problem::Column::Id, problem::Column::SubjectId])
        .column(subject::Column::TownId)
        .column_as(subject::Column::Name, "subject_name")
        .column(problem::Column::Description)
        .column(problem::Column::Deadline)
        .join(JoinType::InnerJoin, problem::Relation::Subject.def())
        .filter(
            Condition::all()
                .add(problem::Column::Status.ne(ProblemStatus::Closed))
                .add(problem::Column::Deadline.lte(until)),
        )
        .order_by_asc(problem::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut out = Vec::new();
    for (id, sid, town, name, description, deadline) in rows {
        let overdue = deadline < date;
        let own = who.by_subject.get(&sid).into_iter().flatten();
        let town_users = who.by_town.get(&town).into_iter().flatten();
        for (uid, is_own) in own.map(|u| (u, true)).chain(town_users.map(|u| (u, false))) {
            let whose = if is_own {
                "本单位".to_string()
            } else {
                name.clone()
            };
            let (kind, title, key) = if overdue {
                (
                    "problem_overdue",
                    format!("{whose}的问题已逾期（整改时限{deadline}）"),
                    format!("problem_overdue:{id}:{uid}"),
                )
            } else {
                (
                    "problem_due",
                    format!("{whose}的问题将于{deadline}到期，请抓紧整改"),
                    format!("problem_due:{id}:{deadline}:{uid}"),
                )
            };
            out.push(NewMessage {
                user_id: *uid,
                kind: kind.into(),
                title,
                body: description.clone(),
                link: format!("/problems/{id}"),
                dedupe_key: key,
            });
        }
    }
    Ok(out)
}
