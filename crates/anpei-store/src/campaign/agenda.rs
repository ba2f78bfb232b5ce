//! 工作台's campaign agenda for the caller: the current campaign's phases with their dates,
//! and what the caller's role has to do in it — a subject its own self-inspection (not begun,
//! being filled in, returned) and its next rectification deadlines; a department or town the
//! subjects of its scope that have not submitted and its own summary report; the district
//! the units without a summary report. Every read goes through the caller's scope.

use super::problems::{self, ProblemFilter, StatusFilter};
use super::progress::{self, ProgressFilter, SubjectState};
use super::selfcheck::{self, SelfcheckStatus};
use super::supervision::summary::{self, State as SummaryState};
use super::supervision::Unit;
use crate::entity::self_inspection;
use crate::{Reach, Scope, Store, StoreResult};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, QueryFilter};

/// One phase of the campaign, for the 时间节点 panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseLine {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Today falls in it.
    pub current: bool,
    /// It ended before today.
    pub past: bool,
}

/// A subject's own self-inspection of the campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnSelfcheck {
    /// `None`: not begun.
    pub status: Option<SelfcheckStatus>,
    /// The self-inspection phase's last day.
    pub due: Option<NaiveDate>,
}

impl OwnSelfcheck {
    /// Whether the subject still has to act (not begun, being filled in, or returned).
    pub fn to_do(&self) -> bool {
        self.status != Some(SelfcheckStatus::Submitted)
    }

    pub fn label(&self) -> &'static str {
        match self.status {
            None => "本次自查尚未开始",
            Some(SelfcheckStatus::Draft) => "本次自查填写中，尚未提交",
            Some(SelfcheckStatus::Returned) => "自查被退回，请修改后重新提交",
            Some(SelfcheckStatus::Submitted) => "本次自查已提交",
        }
    }
}

/// An open problem of the subject and its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub problem_id: i32,
    pub description: String,
    pub deadline: NaiveDate,
    pub overdue: bool,
}

/// What the 工作台 shows of the current campaign.
#[derive(Debug, Clone, Default)]
pub struct Agenda {
    pub campaign_id: Option<i32>,
    pub campaign_name: String,
    pub phases: Vec<PhaseLine>,
    pub summary_due: Option<NaiveDate>,
    /// A subject's own self-inspection, while the self-inspection phase has begun.
    pub own_selfcheck: Option<OwnSelfcheck>,
    /// A subject's open problems, nearest deadline first (at most [`DEADLINES`]).
    pub deadlines: Vec<Deadline>,
    /// A supervisor's subjects that have not submitted, once the self-inspection phase began,
    /// with that phase's last day.
    pub not_submitted: Option<(u64, Option<NaiveDate>)>,
    /// A department's or town's own summary report, when it has not sent it.
    pub own_summary: Option<SummaryState>,
    /// The district: units without a report (deadline passed, deadline ahead).
    pub summaries_missing: Option<(usize, usize)>,
}

/// Problems listed in the 时间节点 panel.
pub const DEADLINES: usize = 5;

/// The agenda of the current campaign in `scope`: empty when no campaign runs today and the
/// last one's summary reports are no longer chased (more than
/// [`summary::REMIND_AFTER_DAYS`] days after their deadline) — 常态化监管 then.
#[tracing::instrument(skip_all)]
pub async fn load(store: &Store, scope: &Scope) -> StoreResult<Agenda> {
    let today = store.today();
    let Some(c) = super::current(store, today).await? else {
        return Ok(Agenda::default());
    };
    let chased_until = c.campaign.summary_due + chrono::Days::new(summary::REMIND_AFTER_DAYS);
    let started = c.span().is_some_and(|(from, _)| from <= today);
    if !started || (!c.runs_on(today) && today > chased_until) {
        return Ok(Agenda::default());
    }
    let cid = c.campaign.id;
    let mut a = Agenda {
        campaign_id: Some(cid),
        campaign_name: c.campaign.name.clone(),
        phases: c
            .phases
            .iter()
            .map(|p| PhaseLine {
                name: p.name.clone(),
                starts_on: p.starts_on,
                ends_on: p.ends_on,
                current: p.starts_on <= today && today <= p.ends_on,
                past: p.ends_on < today,
            })
            .collect(),
        summary_due: Some(c.campaign.summary_due),
        ..Agenda::default()
    };
    let si_phase = c.phase_of(anpei_core::campaign::PhaseKind::SelfInspection);
    let si_begun = si_phase.is_some_and(|p| p.starts_on <= today);
    let si_due = si_phase.map(|p| p.ends_on);
    match scope.reach() {
        Reach::Subject(_) => {
            if si_begun {
                let own = selfcheck::in_scope(scope)
                    .filter(self_inspection::Column::CampaignId.eq(cid))
                    .one(&store.db)
                    .await?;
                a.own_selfcheck = Some(OwnSelfcheck {
                    status: own.map(|s| s.status),
                    due: si_due,
                });
            }
            let f = ProblemFilter {
                status: Some(StatusFilter::Open),
                ..ProblemFilter::default()
            };
            let (rows, _) = problems::list(store, scope, &f, 1, DEADLINES as u64).await?;
            a.deadlines = rows
                .into_iter()
                .map(|p| Deadline {
                    problem_id: p.id,
                    description: p.description,
                    deadline: p.deadline,
                    overdue: p.overdue,
                })
                .collect();
        }
        Reach::All
        | Reach::District(_)
        | Reach::Town(_)
        | Reach::Department(_)
        | Reach::CityDepartment(_) => {
            if si_begun {
                let (_, n) = progress::subjects(
                    store,
                    scope,
                    cid,
                    &ProgressFilter::default(),
                    SubjectState::NotSubmitted,
                    1,
                    1,
                )
                .await?;
                a.not_submitted = Some((n, si_due));
            }
            match Unit::reporting_for(store, scope).await? {
                Some(unit) => {
                    if summary::of_unit(store, cid, unit).await?.is_none() {
                        let late = store.now() >= summary::end_of(c.campaign.summary_due);
                        a.own_summary = Some(if late {
                            SummaryState::Missing
                        } else {
                            SummaryState::Pending
                        });
                    }
                }
                None => {
                    let t = summary::tracking(store, scope, &c).await?;
                    let n = |s| t.iter().filter(|x| x.state == s).count();
                    a.summaries_missing =
                        Some((n(SummaryState::Missing), n(SummaryState::Pending)));
                }
            }
        }
        _ => {}
    }
    Ok(a)
}
