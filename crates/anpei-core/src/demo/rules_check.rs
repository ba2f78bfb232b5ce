//! Test-only predicates that literally implement the ledger rules' definitions (the rule
//! catalogue), written independently of the generator, to check that the demo district breaks every
//! rule.

use super::DemoDistrict;
use crate::kinds::{CertType, Post, TrainingForm, TrainingType};
use crate::ledger::{normalize_cert_no, CertificateRecord, PersonRecord, TrainingRecord};
use crate::params::Params;
use chrono::{Months, NaiveDate, TimeDelta};
use std::collections::{BTreeMap, HashMap};

pub(crate) const CODES: [&str; 10] = [
    "MANAGER_CERT_MISSING",
    "CERT_EXPIRED",
    "SPECIAL_OP_NO_CERT",
    "REVIEW_OVERDUE",
    "MANAGER_RETRAIN_SHORT",
    "EMPLOYEE_RETRAIN_SHORT",
    "PREJOB_HOURS_SHORT",
    "TRAINING_OVERLAP",
    "HOURS_EXCEED_DURATION",
    "CERT_NOT_IN_REGISTRY",
];

fn plus_years(d: NaiveDate, years: u32) -> NaiveDate {
    d.checked_add_months(Months::new(12 * years)).unwrap()
}

/// 有效期止, or 有效期起 (or 初领日期) + validity − 1 day.
pub(super) fn valid_until(c: &CertificateRecord, p: &Params) -> Option<NaiveDate> {
    let years = match c.cert_type {
        CertType::SpecialOperation => p.special_cert_validity_years,
        CertType::ManagerCompetency => p.manager_cert_validity_years,
    };
    c.valid_until.or_else(|| {
        c.valid_from
            .or(c.first_issued)
            .map(|f| plus_years(f, years) - TimeDelta::days(1))
    })
}

pub(super) fn valid_on(c: &CertificateRecord, d: NaiveDate, p: &Params) -> bool {
    valid_until(c, p).is_some_and(|u| u >= d)
}

fn review_due(c: &CertificateRecord, p: &Params) -> Option<NaiveDate> {
    c.review_due.or_else(|| {
        c.valid_from
            .or(c.first_issued)
            .map(|f| plus_years(f, p.special_cert_review_years))
    })
}

/// The findings per rule code of a district as of `d`.
pub(crate) fn check(dd: &DemoDistrict, d: NaiveDate, p: &Params) -> BTreeMap<&'static str, usize> {
    let year_before = d.checked_sub_months(Months::new(12)).unwrap();
    let mut certs: HashMap<&str, Vec<&CertificateRecord>> = HashMap::new();
    for c in &dd.certificates {
        certs.entry(c.id_number.as_str()).or_default().push(c);
    }
    let mut trainings: HashMap<&str, Vec<&TrainingRecord>> = HashMap::new();
    for t in &dd.trainings {
        trainings.entry(t.id_number.as_str()).or_default().push(t);
    }
    let industry: HashMap<&str, Option<&str>> = dd
        .subjects
        .iter()
        .map(|s| (s.uscc.as_str(), s.industry.as_deref()))
        .collect();
    let high_risk = |person: &PersonRecord| {
        industry
            .get(person.employer.as_str())
            .copied()
            .flatten()
            .is_some_and(|i| p.is_high_risk(i))
    };
    let pick = |hr: bool, (normal, high): (f64, f64)| if hr { high } else { normal };
    let no_certs = Vec::new();
    let no_trainings = Vec::new();
    let mut counts: BTreeMap<&'static str, usize> = CODES.iter().map(|c| (*c, 0)).collect();
    let mut fire = |code: &'static str| *counts.get_mut(code).unwrap() += 1;

    for person in &dd.persons {
        let held = certs.get(person.id_number.as_str()).unwrap_or(&no_certs);
        let trained = trainings
            .get(person.id_number.as_str())
            .unwrap_or(&no_trainings);
        let s = person.appointed_on;
        let hr = high_risk(person);
        let hours = |ty: TrainingType, from: Option<NaiveDate>| -> f64 {
            trained
                .iter()
                .filter(|t| {
                    t.training_type == ty
                        && from.is_none_or(|f| t.end.date() > f)
                        && t.end.date() <= d
                })
                .map(|t| t.hours())
                .sum()
        };
        if person.post.is_manager() {
            let deadline = s
                .checked_add_months(Months::new(p.manager_cert_deadline_months))
                .unwrap();
            if hr
                && deadline < d
                && !held
                    .iter()
                    .any(|c| c.cert_type == CertType::ManagerCompetency && valid_on(c, d, p))
            {
                fire("MANAGER_CERT_MISSING");
            }
            if s <= year_before
                && hours(TrainingType::Retraining, Some(year_before))
                    < pick(hr, p.manager_retrain_hours)
            {
                fire("MANAGER_RETRAIN_SHORT");
            }
        } else {
            if s <= year_before
                && hours(TrainingType::Retraining, Some(year_before))
                    < pick(hr, p.employee_retrain_hours)
            {
                fire("EMPLOYEE_RETRAIN_SHORT");
            }
            if year_before < s
                && s <= d
                && hours(TrainingType::PreJob, None) < pick(hr, p.prejob_hours)
            {
                fire("PREJOB_HOURS_SHORT");
            }
        }
        if person.post == Post::SpecialOperator {
            let special = held
                .iter()
                .filter(|c| c.cert_type == CertType::SpecialOperation);
            let has = match person.special_category.as_deref() {
                Some(cat) => special.clone().any(|c| c.category.as_deref() == Some(cat)),
                None => special.clone().next().is_some(),
            };
            if !has {
                fire("SPECIAL_OP_NO_CERT");
            }
        }
        if trained.iter().enumerate().any(|(i, a)| {
            trained[i + 1..]
                .iter()
                .any(|b| a.start < b.end && b.start < a.end)
        }) {
            fire("TRAINING_OVERLAP");
        }
    }

    for c in &dd.certificates {
        let held = certs.get(c.id_number.as_str()).unwrap_or(&no_certs);
        if valid_until(c, p).is_some_and(|u| u < d)
            && !held.iter().any(|o| {
                o.cert_type == c.cert_type
                    && o.operation_item == c.operation_item
                    && valid_on(o, d, p)
            })
        {
            fire("CERT_EXPIRED");
        }
        if c.cert_type == CertType::SpecialOperation
            && valid_on(c, d, p)
            && review_due(c, p).is_some_and(|r| r < d)
            && c.reviewed_on.is_none()
        {
            fire("REVIEW_OVERDUE");
        }
    }

    for t in &dd.trainings {
        let minutes = match t.form {
            TrainingForm::Offline => p.class_hour_minutes.0,
            TrainingForm::Online => p.class_hour_minutes.1,
        };
        if t.hours() * f64::from(minutes) > (t.end - t.start).num_minutes() as f64 {
            fire("HOURS_EXCEED_DURATION");
        }
    }

    let mut registry: HashMap<String, Vec<&CertificateRecord>> = HashMap::new();
    for r in &dd.registry {
        registry
            .entry(normalize_cert_no(&r.cert_no))
            .or_default()
            .push(r);
    }
    for c in &dd.certificates {
        let ok = registry
            .get(&normalize_cert_no(&c.cert_no))
            .is_some_and(|rs| {
                rs.iter()
                    .all(|r| r.id_number == c.id_number && r.name == c.name)
            });
        if !ok {
            fire("CERT_NOT_IN_REGISTRY");
        }
    }
    counts
}
