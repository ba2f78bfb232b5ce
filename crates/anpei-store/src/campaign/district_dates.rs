//! 区县实施安排: in a city, the city sets a campaign and its phases, and each district runs
//! it on its own dates — every phase inside the city's phase of the same kind, in order, and
//! its own summary deadline no later than the city's. The dates apply to everyone in the
//! district (its office, towns, departments and subjects): the summary deadline its units
//! report by, whether a report was late, the phase its pages show. The city's own pages, and
//! a district that has set nothing, keep the city's dates. Records still belong to the one
//! campaign, so progress, coverage and summary figures roll up town → district → city.

use super::CampaignInfo;
use crate::entity::campaign_district;
use crate::platform::audit::{self, Actor, Event};
use crate::{registry::reference, Reach, Scope, Store, StoreError, StoreResult};
use anpei_core::campaign::{validate_dates, Phase, PhaseKind};
use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use std::collections::HashMap;

/// A phase's first and last day.
pub type Span = (NaiveDate, NaiveDate);

/// A district's own dates: one (first day, last day) per phase of the campaign, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictDates {
    pub phases: Vec<Span>,
    pub summary_due: NaiveDate,
}

fn from_row(m: campaign_district::Model) -> Option<DistrictDates> {
    let phases: Vec<(NaiveDate, NaiveDate)> = serde_json::from_str(&m.phases).ok()?;
    Some(DistrictDates {
        phases,
        summary_due: m.summary_due,
    })
}

/// Every district's own dates for a campaign, by district id.
pub async fn all_of(store: &Store, campaign_id: i32) -> StoreResult<HashMap<i32, DistrictDates>> {
    all_in(&store.db, campaign_id).await
}

pub(crate) async fn all_in<C: sea_orm::ConnectionTrait>(
    db: &C,
    campaign_id: i32,
) -> StoreResult<HashMap<i32, DistrictDates>> {
    Ok(campaign_district::Entity::find()
        .filter(campaign_district::Column::CampaignId.eq(campaign_id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| {
            let d = m.district_id;
            from_row(m).map(|x| (d, x))
        })
        .collect())
}

/// One district's own dates for a campaign, if it set them.
pub async fn of(
    store: &Store,
    campaign_id: i32,
    district_id: i32,
) -> StoreResult<Option<DistrictDates>> {
    Ok(campaign_district::Entity::find()
        .filter(campaign_district::Column::CampaignId.eq(campaign_id))
        .filter(campaign_district::Column::DistrictId.eq(district_id))
        .one(&store.db)
        .await?
        .and_then(from_row))
}

impl DistrictDates {
    /// Puts the district's dates on the campaign's phases, in order; `false` (nothing
    /// changed) when the phases no longer match.
    pub(crate) fn apply_to(&self, phases: &mut [crate::entity::campaign_phase::Model]) -> bool {
        if self.phases.len() != phases.len() {
            return false;
        }
        for (p, (a, b)) in phases.iter_mut().zip(&self.phases) {
            p.starts_on = *a;
            p.ends_on = *b;
        }
        true
    }
}

impl CampaignInfo {
    /// The campaign as a district runs it: its phases' dates and its summary deadline
    /// replaced by the district's (unchanged if the phases no longer match).
    pub fn with_dates(&self, d: &DistrictDates) -> CampaignInfo {
        let mut c = self.clone();
        if d.apply_to(&mut c.phases) {
            c.campaign.summary_due = d.summary_due;
        }
        c
    }
}

/// The district whose dates a scope runs by: its own district (an office, a town, a district
/// department, a subject of the district); none for the city and a city department.
pub async fn district_of(store: &Store, scope: &Scope) -> StoreResult<Option<i32>> {
    Ok(reference::district_of_scope(&store.db, scope)
        .await?
        .ok()
        .flatten())
}

/// The campaign as the scope runs it: its district's dates where the district set its own,
/// else the city's (a district's own campaign as it is).
pub async fn for_scope(store: &Store, c: CampaignInfo, scope: &Scope) -> StoreResult<CampaignInfo> {
    if c.campaign.district_id.is_some() || !reference::is_city(store).await? {
        return Ok(c);
    }
    let Some(d) = district_of(store, scope).await? else {
        return Ok(c);
    };
    Ok(match of(store, c.campaign.id, d).await? {
        Some(x) => c.with_dates(&x),
        None => c,
    })
}

/// The campaign as district `district` runs it (its own dates where it set them).
pub async fn for_district(
    store: &Store,
    c: CampaignInfo,
    district: i32,
) -> StoreResult<CampaignInfo> {
    if c.campaign.district_id.is_some() {
        return Ok(c);
    }
    Ok(match of(store, c.campaign.id, district).await? {
        Some(x) => c.with_dates(&x),
        None => c,
    })
}

/// The form: each phase's first and last day, and the summary deadline, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DatesInput {
    pub phases: Vec<(String, String)>,
    pub summary_due: String,
}

/// Checks a district's dates against the city's campaign `city` (module docs); the field
/// errors in Chinese (`dates` for the phases, `summary_due`).
pub fn check(
    city: &CampaignInfo,
    input: &DatesInput,
) -> Result<DistrictDates, Vec<(&'static str, String)>> {
    use crate::campaign::problems::parse_date;
    let mut errs: Vec<(&'static str, String)> = Vec::new();
    if input.phases.len() != city.phases.len() {
        errs.push(("dates", "阶段数与市级安排不一致，请刷新页面后重填".into()));
        return Err(errs);
    }
    let mut phases = Vec::new();
    let mut mine = Vec::new();
    for (i, (p, (a, b))) in city.phases.iter().zip(&input.phases).enumerate() {
        let at = format!("第{}阶段“{}”", i + 1, p.name);
        let (Some(a), Some(b)) = (parse_date(a), parse_date(b)) else {
            errs.push((
                "dates",
                format!("{at}：请填写开始和结束日期，如 {}", p.starts_on),
            ));
            continue;
        };
        if a < p.starts_on || b > p.ends_on {
            errs.push((
                "dates",
                format!(
                    "{at}：应在市级安排（{}至{}）之内，实际为{a}至{b}",
                    p.starts_on, p.ends_on
                ),
            ));
        }
        phases.push((a, b));
        if let Some(kind) = PhaseKind::from_code(&p.kind) {
            mine.push(Phase {
                kind,
                name: p.name.clone(),
                starts_on: a,
                ends_on: b,
            });
        }
    }
    let due = parse_date(&input.summary_due);
    match due {
        None => errs.push((
            "summary_due",
            "总结报告截止：请填写日期，如 2022-11-30".into(),
        )),
        Some(d) if d > city.campaign.summary_due => errs.push((
            "summary_due",
            format!(
                "总结报告截止（{d}）不能晚于市级截止日期（{}）",
                city.campaign.summary_due
            ),
        )),
        Some(_) => {}
    }
    match due {
        Some(summary_due) if errs.is_empty() => match validate_dates(&mine, summary_due) {
            Ok(()) => Ok(DistrictDates {
                phases,
                summary_due,
            }),
            Err(v) => Err(v.into_iter().map(|m| ("dates", m)).collect()),
        },
        _ => Err(errs),
    }
}

/// Saves the district's own dates for the city's campaign `campaign_id` (`reset`: back to
/// the city's). A district's office of a city only; one transaction with its audit entry.
pub async fn save(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    campaign_id: i32,
    input: &DatesInput,
    reset: bool,
) -> StoreResult<()> {
    let Reach::District(district) = scope.reach() else {
        return Err(StoreError::Forbidden);
    };
    if !reference::is_city(store).await? {
        return Err(StoreError::Forbidden);
    }
    // The city's campaigns only: a district's own campaign has its own dates already, and
    // another district's is not there for it.
    let city = super::get(store, campaign_id)
        .await?
        .filter(|c| c.campaign.district_id.is_none())
        .ok_or(StoreError::NotFound)?;
    let dates = if reset {
        None
    } else {
        Some(check(&city, input).map_err(StoreError::Fields)?)
    };
    let txn = store.write().await?;
    let now = store.now();
    campaign_district::Entity::delete_many()
        .filter(campaign_district::Column::CampaignId.eq(campaign_id))
        .filter(campaign_district::Column::DistrictId.eq(district))
        .exec(&*txn)
        .await?;
    let detail = match dates {
        None => format!("district:{district} 恢复按市级安排"),
        Some(DistrictDates {
            phases,
            summary_due: due,
        }) => {
            campaign_district::ActiveModel {
                id: NotSet,
                campaign_id: Set(campaign_id),
                district_id: Set(district),
                phases: Set(serde_json::to_string(&phases).unwrap_or_default()),
                summary_due: Set(due),
                updated_at: Set(now),
                updated_by: Set(actor.user_id),
            }
            .insert(&*txn)
            .await?;
            let spans: Vec<String> = phases.iter().map(|(a, b)| format!("{a}~{b}")).collect();
            format!(
                "district:{district} phases={} summary_due={due}",
                spans.join(",")
            )
        }
    };
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("campaign.district_dates", format!("campaign:{campaign_id}"))
            .with_detail(detail),
    )
    .await?;
    txn.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::{campaign, campaign_phase};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn city() -> CampaignInfo {
        let phase = |i: i32, kind: &str, name: &str, a: &str, b: &str| campaign_phase::Model {
            id: i,
            campaign_id: 1,
            seq: i,
            kind: kind.into(),
            name: name.into(),
            starts_on: d(a),
            ends_on: d(b),
        };
        CampaignInfo {
            campaign: campaign::Model {
                id: 1,
                name: "专项整治".into(),
                issuing_office: "市安委办".into(),
                doc_number: None,
                doc_text: String::new(),
                doc_file_id: None,
                catalogue_version: 1,
                district_id: None,
                summary_due: d("2022-11-30"),
                copied_from: None,
                created_at: 0,
                created_by: None,
            },
            phases: vec![
                phase(1, "self_inspection", "自查自改", "2022-06-01", "2022-06-15"),
                phase(2, "enforcement", "执法检查", "2022-06-16", "2022-07-31"),
            ],
        }
    }

    fn input(p: [(&str, &str); 2], due: &str) -> DatesInput {
        DatesInput {
            phases: p
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            summary_due: due.into(),
        }
    }

    #[test]
    fn a_district_runs_inside_the_citys_phases_and_deadline() {
        let c = city();
        let ok = input(
            [("2022-06-05", "2022-06-15"), ("2022-06-20", "2022-07-31")],
            "2022-07-31",
        );
        assert_eq!(
            check(&c, &ok).unwrap().phases,
            vec![
                (d("2022-06-05"), d("2022-06-15")),
                (d("2022-06-20"), d("2022-07-31"))
            ]
        );
        // The city's own dates, exactly at its bounds, are allowed.
        let same = input(
            [("2022-06-01", "2022-06-15"), ("2022-06-16", "2022-07-31")],
            "2022-07-31",
        );
        assert!(check(&c, &same).is_ok());
        // One day before the city's phase begins, one day after it ends.
        let early = input(
            [("2022-05-31", "2022-06-15"), ("2022-06-16", "2022-07-31")],
            "2022-07-31",
        );
        let e = check(&c, &early).unwrap_err();
        assert!(
            e[0].1
                .contains("第1阶段“自查自改”：应在市级安排（2022-06-01至2022-06-15）之内"),
            "{e:?}"
        );
        let late = input(
            [("2022-06-01", "2022-06-15"), ("2022-06-16", "2022-08-01")],
            "2022-07-31",
        );
        assert!(check(&c, &late).is_err());
    }

    #[test]
    fn the_districts_summary_deadline_is_no_later_than_the_citys() {
        let c = city();
        let p = [("2022-06-01", "2022-06-15"), ("2022-06-16", "2022-07-31")];
        let e = check(&c, &input(p, "2022-12-01")).unwrap_err();
        assert_eq!(e[0].0, "summary_due");
        assert!(
            e[0].1.contains("不能晚于市级截止日期（2022-11-30）"),
            "{e:?}"
        );
        assert!(check(&c, &input(p, "2022-06-10")).is_ok());
        assert!(check(&c, &input(p, "")).is_err());
        // Phases out of order.
        let crossed = [("2022-06-01", "2022-06-20"), ("2022-06-16", "2022-07-31")];
        assert!(check(&c, &input(crossed, "2022-07-01")).is_err());
    }

    #[test]
    fn the_district_dates_replace_the_citys_where_they_are_set() {
        let c = city();
        let mine = DistrictDates {
            phases: vec![
                (d("2022-06-05"), d("2022-06-15")),
                (d("2022-06-20"), d("2022-07-20")),
            ],
            summary_due: d("2022-07-25"),
        };
        let x = c.with_dates(&mine);
        assert_eq!(x.phases[1].starts_on, d("2022-06-20"));
        assert_eq!(x.campaign.summary_due, d("2022-07-25"));
        assert_eq!(x.phases[0].name, "自查自改");
        let wrong = DistrictDates {
            phases: vec![(d("2022-06-05"), d("2022-06-15"))],
            ..mine
        };
        assert_eq!(c.with_dates(&wrong).campaign.summary_due, d("2022-11-30"));
    }
}
