//! The figures of the district's bulletin (通报, notice §三(四)) on a campaign: every number
//! comes from a query here, none is written into the text. Records that carry their
//! campaign (self-inspections, problems, inspections) are counted by it; those that do not
//! (enforcement actions, tip-offs, typical cases) by the campaign's period
//! ([`super::period`]). No personal data: units, subjects' kinds, counts and sums, and the
//! typical cases as published (personal data removed when they were published).

use super::summary::{self, State, Track};
use super::{indicators_all, period, ranking, CampaignInfo, Ratio, UnitLine};
use crate::entity::{enforcement_action, subject, tipoff, typical_case};
use crate::{registry::reference, scope, Scope, Store, StoreResult};
use anpei_core::tipoff::Status as TipoffStatus;
use anpei_core::SubjectKind;
use chrono::NaiveDate;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// Enforcement actions by kind in the campaign's period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Actions {
    pub order_rectify: i64,
    /// 罚款 decisions.
    pub fines: i64,
    /// Fines on units and responsible persons together, yuan.
    pub fines_total: i64,
    pub warnings: i64,
    pub suspend_business: i64,
    /// 移送市场监管部门.
    pub refer_market: i64,
    /// 移交司法机关.
    pub refer_judicial: i64,
    /// 暂停考试资格.
    pub suspend_exam: i64,
    /// 取消考试资格.
    pub cancel_exam: i64,
    pub expose: i64,
}

/// Tip-offs accepted in the campaign's period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tipoffs {
    pub received: i64,
    pub closed: i64,
    /// Closed by their deadline.
    pub closed_on_time: i64,
    pub substantiated: i64,
}

/// A published typical case.
#[derive(Debug, Clone)]
pub struct Case {
    pub title: String,
    pub body: String,
    pub published_on: Option<NaiveDate>,
}

/// Everything the bulletin says.
#[derive(Debug, Clone)]
pub struct Bulletin {
    pub campaign: CampaignInfo,
    pub as_of: NaiveDate,
    pub period: (NaiveDate, NaiveDate),
    /// Subjects by kind (label, count), the four kinds in order.
    pub subjects_by_kind: Vec<(&'static str, i64)>,
    pub subjects: i64,
    /// Self-inspections submitted / subjects that must self-inspect.
    pub self_inspection: Ratio,
    /// Problems closed / found, and overdue.
    pub problems: Ratio,
    pub overdue: i64,
    pub inspections: i64,
    /// Subjects inspected / subjects.
    pub coverage: Ratio,
    pub actions: Actions,
    pub tipoffs: Tipoffs,
    /// Towns and departments with their indicators and scores, ranked (for the city of
    /// several districts: no towns, the city's own departments).
    pub towns: Vec<UnitLine>,
    pub departments: Vec<UnitLine>,
    /// The city's districts, ranked (empty for a district).
    pub districts: Vec<UnitLine>,
    /// Units that reported late, and those whose report is missing past the deadline.
    pub late: Vec<Track>,
    pub missing: Vec<Track>,
    /// Units not yet reported while the deadline is ahead.
    pub pending: usize,
    /// Units that reported on time.
    pub on_time: usize,
    pub cases: Vec<Case>,
}

/// Counts the bulletin of campaign `c` over the scope (a district's, or the city's).
#[tracing::instrument(skip_all)]
pub async fn load(store: &Store, sc: &Scope, c: &CampaignInfo) -> StoreResult<Bulletin> {
    let db = &store.db;
    let (from, to) = period(c);
    let by_kind: Vec<(String, i64)> = scope::subjects(sc)
        .select_only()
        .column(subject::Column::Kind)
        .expr(Expr::col((subject::Entity, subject::Column::Id)).count())
        .group_by(subject::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    let subjects_by_kind: Vec<(&'static str, i64)> = SubjectKind::ALL
        .iter()
        .map(|k| {
            let n = by_kind
                .iter()
                .find(|(code, _)| code == k.code())
                .map_or(0, |(_, n)| *n);
            (k.label(), n)
        })
        .collect();
    let subjects = by_kind.iter().map(|(_, n)| n).sum();

    // The district's totals are the sums over towns (every subject lies in one town);
    // tip-offs are counted below over all of them, assigned or not.
    let towns_ind = indicators_all(store, c).await?.towns;
    let mut total = super::Indicators::default();
    for t in reference::towns(store, sc).await? {
        if let Some(i) = towns_ind.get(&t.id) {
            total.add(i);
        }
    }
    let rows: Vec<(String, i64, Option<i64>)> = enforcement_action::Entity::find()
        .filter(enforcement_action::Column::SubjectId.in_subquery(scope::subject_ids(sc)))
        .filter(enforcement_action::Column::DecidedOn.gte(from))
        .filter(enforcement_action::Column::DecidedOn.lte(to))
        .select_only()
        .column(enforcement_action::Column::Kind)
        .expr(Expr::col((enforcement_action::Entity, enforcement_action::Column::Id)).count())
        .expr(Expr::cust(
            "CAST(SUM(COALESCE(amount_unit, 0) + COALESCE(amount_persons, 0)) AS BIGINT)",
        ))
        .group_by(enforcement_action::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    let mut actions = Actions::default();
    for (kind, n, sum) in rows {
        match kind.as_str() {
            "order_rectify" => actions.order_rectify += n,
            "fine" => {
                actions.fines += n;
                actions.fines_total += sum.unwrap_or(0);
            }
            "warning" => actions.warnings += n,
            "suspend_business" => actions.suspend_business += n,
            "refer_market" => actions.refer_market += n,
            "refer_judicial" => actions.refer_judicial += n,
            "suspend_exam" => actions.suspend_exam += n,
            "cancel_exam" => actions.cancel_exam += n,
            "expose" => actions.expose += n,
            _ => {}
        }
    }

    let today = store.today();
    // In a city, a district counts the reports its intake holds; alone, it holds them all.
    let single = reference::only_district(&store.db).await?.is_some();
    let in_district = match sc.reach() {
        crate::Reach::District(d) if !single => {
            Condition::all().add(tipoff::Column::DistrictId.eq(d))
        }
        _ => Condition::all(),
    };
    let tips: Vec<super::TipoffRow> = tipoff::Entity::find()
        .filter(in_district.clone())
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
        .into_model()
        .all(db)
        .await?;
    let substantiated = tipoff::Entity::find()
        .filter(in_district)
        .filter(tipoff::Column::AcceptedOn.gte(from))
        .filter(tipoff::Column::AcceptedOn.lte(to))
        .filter(tipoff::Column::Substantiated.eq(true))
        .select_only()
        .expr(Expr::col((tipoff::Entity, tipoff::Column::Id)).count())
        .into_tuple::<i64>()
        .one(db)
        .await?
        .unwrap_or(0);
    let mut tipoffs = Tipoffs {
        received: tips.len() as i64,
        substantiated,
        ..Default::default()
    };
    for t in &tips {
        if t.status == TipoffStatus::Closed {
            tipoffs.closed += 1;
        }
        if super::tipoff_on_time(store, t, today).1 {
            tipoffs.closed_on_time += 1;
        }
    }

    let r = ranking(store, sc, c).await?;
    let track = summary::tracking(store, sc, c).await?;
    let pending = track.iter().filter(|t| t.state == State::Pending).count();
    let on_time = track.iter().filter(|t| t.state == State::OnTime).count();
    let (late, rest): (Vec<Track>, Vec<Track>) =
        track.into_iter().partition(|t| t.state == State::Late);
    let missing = rest
        .into_iter()
        .filter(|t| t.state == State::Missing)
        .collect();

    let cases = typical_case::Entity::find()
        .filter(crate::enforcement::cases::visible(sc))
        .filter(typical_case::Column::Published.eq(true))
        .filter(
            Condition::any()
                .add(typical_case::Column::PublishedOn.is_null())
                .add(
                    Condition::all()
                        .add(typical_case::Column::PublishedOn.gte(from))
                        .add(typical_case::Column::PublishedOn.lte(to)),
                ),
        )
        .order_by_asc(typical_case::Column::PublishedOn)
        .order_by_asc(typical_case::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| Case {
            title: m.title,
            body: m.body,
            published_on: m.published_on,
        })
        .collect();

    Ok(Bulletin {
        campaign: c.clone(),
        as_of: today,
        period: (from, to),
        subjects_by_kind,
        subjects,
        self_inspection: total.self_inspection,
        problems: total.rectified,
        overdue: total.overdue,
        inspections: total.inspections,
        coverage: total.coverage,
        actions,
        tipoffs,
        towns: r.towns,
        departments: r.departments,
        districts: r.districts,
        late,
        missing,
        pending,
        on_time,
        cases,
    })
}
