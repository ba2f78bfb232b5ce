//! The demo district: a deterministic, realistic data set (see `generate`).
//!
//! It looks like a real district's ledgers: towns and departments from the reference
//! lists, valid-checksum identifiers, a few large employers and many small ones, and a
//! minority of problems of every kind the rule engine checks, each planned
//! by quota so that every rule fires on any data set of a thousand persons or more.
//!
//! The same [`DemoConfig`] and inputs always give the same district: the generator draws
//! from its own SplitMix64 stream and never iterates a hash map.

mod calendar;
mod certs;
mod idgen;
mod names;
mod persons;
mod plan;
mod rng;
mod subjects;
mod trainings;

#[cfg(test)]
pub(crate) mod rules_check;
#[cfg(test)]
mod tests;

use crate::ledger::{CertificateRecord, PersonRecord, SubjectRecord, TrainingRecord};
use crate::params::Params;
use chrono::NaiveDate;

/// The fixed first subject, so tests and the demo's enterprise account can rely on it.
pub const DEMO_ENTERPRISE_NAME: &str = "重庆两江精细化工有限公司";
/// The town of the demo enterprise when the town list has it (else the first town).
const DEMO_ENTERPRISE_TOWN: &str = "龙兴镇";
/// The industry of the demo enterprise; its department also supervises the institutions.
const HAZCHEM: &str = "危险化学品";

/// What to generate. `subjects` and `persons` are targets: every subject gets at least a
/// principal and a safety manager, so a very small `persons` is exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoConfig {
    pub seed: u64,
    pub subjects: usize,
    pub persons: usize,
    /// The day the data set is "as of": ages, appointments, validity and the planned
    /// violations are relative to it (callers usually pass today).
    pub as_of: NaiveDate,
}

impl Default for DemoConfig {
    // The seed reads as a date (2021-12-01), not as a number.
    #[allow(clippy::inconsistent_digit_grouping)]
    fn default() -> Self {
        Self {
            seed: 2021_12_01,
            subjects: 300,
            persons: 6000,
            as_of: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default(),
        }
    }
}

/// A generated district: the five ledgers an import would bring.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoDistrict {
    pub subjects: Vec<SubjectRecord>,
    pub persons: Vec<PersonRecord>,
    /// Certificates held by the persons (the ledger).
    pub certificates: Vec<CertificateRecord>,
    /// The authoritative registry (登记库): all genuine certificates.
    pub registry: Vec<CertificateRecord>,
    pub trainings: Vec<TrainingRecord>,
}

/// Generates the demo district.
///
/// `towns`: names of towns/streets; `departments`: (department name, industries it
/// supervises). Subject 0 is [`DEMO_ENTERPRISE_NAME`], a 危险化学品 enterprise in 龙兴镇.
pub fn generate(
    cfg: &DemoConfig,
    towns: &[String],
    departments: &[(String, Vec<String>)],
) -> DemoDistrict {
    let params = Params::default();
    let root = rng::Rng::new(cfg.seed);
    let fallback_town = [DEMO_ENTERPRISE_TOWN.to_string()];
    let towns = if towns.is_empty() {
        &fallback_town[..]
    } else {
        towns
    };
    let mut ids = idgen::IdFactory::new(cfg.persons);
    let industries = subjects::Industries::new(departments, &params);

    let mut subjects = subjects::generate(&mut root.fork(1), cfg, towns, &industries, &mut ids);
    let high_risk: Vec<bool> = subjects
        .iter()
        .map(|s| {
            s.industry
                .as_deref()
                .is_some_and(|i| params.is_high_risk(i))
        })
        .collect();
    let mut people = persons::generate(&mut root.fork(2), cfg, &subjects, &high_risk, &mut ids);
    subjects::fill_contacts(&mut root.fork(3), &mut subjects, &people);
    plan::assign(&mut root.fork(4), cfg.as_of, &params, &mut people);
    let certs = certs::generate(&mut root.fork(5), cfg.as_of, &params, &people, &mut ids);
    let trainings = trainings::generate(
        &mut root.fork(6),
        cfg.as_of,
        &params,
        &subjects,
        &people,
        &certs.reviewed_on,
    );
    DemoDistrict {
        subjects,
        persons: people.records,
        certificates: certs.ledger,
        registry: certs.registry,
        trainings,
    }
}
