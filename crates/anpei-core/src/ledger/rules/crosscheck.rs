//! The engine against `demo::rules_check`, an independent literal implementation of the
//! same checks over the demo generator's records, and the timing at district scale.

use super::*;
use crate::demo::{self, rules_check, DemoConfig, DemoDistrict};
use crate::ledger::normalize_cert_no;
use chrono::TimeDelta;
use std::collections::BTreeMap;
use std::time::Instant;

fn towns() -> Vec<String> {
    [
        "龙兴镇",
        "两路街道",
        "仙桃街道",
        "回兴街道",
        "石船镇",
        "大竹林街道",
    ]
    .map(String::from)
    .to_vec()
}

/// Departments and the industries they supervise, high-risk ones included.
fn departments() -> Vec<(String, Vec<String>)> {
    [
        ("区应急管理局", "非煤矿山;危险化学品;烟花爆竹;金属冶炼;工贸"),
        ("区经济信息委", "工业企业;电力"),
        ("区住房城乡建委", "建筑施工;燃气"),
        ("区交通局", "道路运输;水路运输"),
        ("区市场监管局", "特种设备"),
    ]
    .iter()
    .map(|(d, i)| (d.to_string(), i.split(';').map(String::from).collect()))
    .collect()
}

fn district(subjects: usize, persons: usize, as_of: NaiveDate) -> DemoDistrict {
    let cfg = DemoConfig {
        subjects,
        persons,
        as_of,
        ..DemoConfig::default()
    };
    demo::generate(&cfg, &towns(), &departments())
}

/// The demo district as the store would hand it over: ids by position, the ID number as
/// the holder key, the normalised certificate number as the certificate key.
fn to_ledger(dd: &DemoDistrict, p: &Params) -> Ledger {
    let subjects: HashMap<&str, (RecordId, bool)> = dd
        .subjects
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let hr = s.industry.as_deref().is_some_and(|x| p.is_high_risk(x));
            (s.uscc.as_str(), (i as RecordId + 1, hr))
        })
        .collect();
    let person_of: HashMap<&str, RecordId> = dd
        .persons
        .iter()
        .enumerate()
        .map(|(i, x)| (x.id_number.as_str(), i as RecordId + 1))
        .collect();
    assert_eq!(person_of.len(), dd.persons.len(), "ID numbers are unique");
    let persons = dd
        .persons
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let (subject_id, high_risk) = subjects[x.employer.as_str()];
            PersonFacts {
                id: i as RecordId + 1,
                subject_id,
                name: x.name.clone(),
                post: x.post,
                special_category: x.special_category.clone(),
                appointed_on: x.appointed_on,
                high_risk,
                holder_key: x.id_number.as_str().to_string(),
            }
        })
        .collect();
    let certificates = dd
        .certificates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            assert_eq!(
                c.name,
                dd.persons[person_of[c.id_number.as_str()] as usize - 1].name
            );
            CertFacts {
                id: i as RecordId + 1,
                person_id: person_of[c.id_number.as_str()],
                cert_type: c.cert_type,
                cert_no_key: normalize_cert_no(&c.cert_no),
                category: c.category.clone(),
                operation_item: c.operation_item.clone(),
                first_issued: c.first_issued,
                valid_from: c.valid_from,
                valid_until: c.valid_until,
                review_due: c.review_due,
                reviewed_on: c.reviewed_on,
            }
        })
        .collect();
    let trainings = dd
        .trainings
        .iter()
        .enumerate()
        .map(|(i, t)| TrainingFacts {
            id: i as RecordId + 1,
            person_id: person_of[t.id_number.as_str()],
            training_type: t.training_type,
            form: t.form,
            start: t.start,
            end: t.end,
            theory_hours: t.theory_hours,
            practical_hours: t.practical_hours,
        })
        .collect();
    let mut registry = HashMap::new();
    for r in &dd.registry {
        let old = registry.insert(
            normalize_cert_no(&r.cert_no),
            RegistryEntry {
                holder_key: r.id_number.as_str().to_string(),
                name: r.name.clone(),
            },
        );
        assert!(old.is_none(), "one registry entry per number");
    }
    Ledger {
        persons,
        certificates,
        trainings,
        registry: Some(registry),
    }
}

fn counts(found: &[Finding]) -> BTreeMap<&'static str, usize> {
    let mut n: BTreeMap<&'static str, usize> = Rule::LEDGER.iter().map(|r| (r.code(), 0)).collect();
    for f in found {
        *n.get_mut(f.rule.code()).unwrap() += 1;
    }
    n
}

#[test]
fn the_engine_agrees_with_the_independent_checks_on_a_demo_district() {
    let p = Params::default();
    let as_of = DemoConfig::default().as_of;
    let dd = district(300, 3000, as_of);
    let ledger = to_ledger(&dd, &p);
    assert_eq!(rules_check::CODES, Rule::LEDGER.map(Rule::code));
    // The planted violations as of the generator's day, and the same district a while
    // earlier, later (certificates lapse, windows move) and on a leap day.
    for d in [
        as_of,
        as_of - TimeDelta::days(200),
        as_of + TimeDelta::days(1),
        as_of + TimeDelta::days(400),
        NaiveDate::from_ymd_opt(2028, 2, 29).unwrap(),
    ] {
        let ours = counts(&scan(&ledger, d, &p));
        let theirs = rules_check::check(&dd, d, &p);
        println!("as of {d}: {ours:?}");
        assert_eq!(ours, theirs, "as of {d}");
        if d == as_of {
            assert!(ours.values().all(|&n| n > 0), "every rule fires: {ours:?}");
        }
    }
}

#[test]
fn the_engine_agrees_with_the_independent_checks_as_of_a_leap_day() {
    let p = Params::default();
    let as_of = NaiveDate::from_ymd_opt(2028, 2, 29).unwrap();
    let dd = district(60, 1500, as_of);
    let ours = counts(&scan(&to_ledger(&dd, &p), as_of, &p));
    assert_eq!(ours, rules_check::check(&dd, as_of, &p));
    assert!(ours.values().all(|&n| n > 0), "{ours:?}");
}

#[test]
fn the_demo_enterprise_scans_alone_as_it_does_in_the_district() {
    let p = Params::default();
    let as_of = DemoConfig::default().as_of;
    let ledger = to_ledger(&district(50, 1000, as_of), &p);
    let all = scan(&ledger, as_of, &p);
    let first: Vec<Finding> = all.iter().filter(|f| f.subject_id == 1).cloned().collect();
    assert!(!first.is_empty());
    assert_eq!(scan_subject(&ledger, 1, as_of, &p), first);
}

/// `cargo test -p anpei-core --release -- --ignored --nocapture scan`
#[test]
#[ignore = "measures the release build"]
fn a_full_scan_of_two_hundred_thousand_persons_takes_well_under_a_second() {
    let p = Params::default();
    let as_of = DemoConfig::default().as_of;
    let dd = district(10_000, 200_000, as_of);
    let mut ledger = to_ledger(&dd, &p);
    // Not sorted as they come from a database: reverse and interleave.
    ledger.trainings.reverse();
    let half = ledger.certificates.len() / 2;
    ledger.certificates.rotate_left(half);
    let runs: Vec<(std::time::Duration, Vec<Finding>)> = (0..3)
        .map(|_| {
            let t = Instant::now();
            let found = scan(&ledger, as_of, &p);
            (t.elapsed(), found)
        })
        .collect();
    let best = runs.iter().map(|r| r.0).min().unwrap();
    let found = &runs[0].1;
    println!(
        "scan of {} persons, {} certificates, {} training records, {} registry entries: \
         {} findings in {best:?} (runs: {:?})",
        ledger.persons.len(),
        ledger.certificates.len(),
        ledger.trainings.len(),
        ledger.registry.as_ref().map_or(0, HashMap::len),
        found.len(),
        runs.iter().map(|r| r.0).collect::<Vec<_>>(),
    );
    let t = Instant::now();
    let one = scan_subject(&ledger, 1, as_of, &p);
    println!(
        "scan_subject of the demo enterprise over the whole ledger: {:?}",
        t.elapsed()
    );
    let mine: std::collections::HashSet<RecordId> = ledger
        .persons
        .iter()
        .filter(|x| x.subject_id == 1)
        .map(|x| x.id)
        .collect();
    let own = Ledger {
        persons: ledger
            .persons
            .iter()
            .filter(|x| mine.contains(&x.id))
            .cloned()
            .collect(),
        certificates: ledger
            .certificates
            .iter()
            .filter(|c| mine.contains(&c.person_id))
            .cloned()
            .collect(),
        trainings: ledger
            .trainings
            .iter()
            .filter(|t| mine.contains(&t.person_id))
            .cloned()
            .collect(),
        registry: ledger.registry.clone(),
    };
    let t = Instant::now();
    let alone = scan(&own, as_of, &p);
    println!(
        "scan of a one-subject ledger ({} persons, {} training records): {:?}",
        own.persons.len(),
        own.trainings.len(),
        t.elapsed()
    );
    assert_eq!(alone, one);
    assert_eq!(counts(found), rules_check::check(&dd, as_of, &p));
    assert!(best.as_secs_f64() < 1.0, "{best:?}");

    // The scale: ≈1.2 million training records (the generator writes fewer), by
    // repeating each person's classes a few weeks later.
    let base = ledger.trainings.clone();
    let mut k = 0;
    while ledger.trainings.len() < 1_200_000 {
        k += 1;
        let shift = TimeDelta::weeks(4 * k);
        let next_id = ledger.trainings.len() as RecordId + 1;
        ledger
            .trainings
            .extend(base.iter().enumerate().map(|(i, t)| TrainingFacts {
                id: next_id + i as RecordId,
                start: t.start - shift,
                end: t.end - shift,
                ..t.clone()
            }));
    }
    ledger.trainings.truncate(1_200_000);
    ledger.trainings.reverse();
    let times: Vec<std::time::Duration> = (0..3)
        .map(|_| {
            let t = Instant::now();
            let found = scan(&ledger, as_of, &p);
            std::hint::black_box(found);
            t.elapsed()
        })
        .collect();
    let best = times.iter().min().unwrap();
    println!(
        "scan of {} persons, {} certificates, {} training records: {best:?} (runs: {times:?})",
        ledger.persons.len(),
        ledger.certificates.len(),
        ledger.trainings.len(),
    );
    assert!(best.as_secs_f64() < 1.0, "{best:?}");
}

/// SplitMix64, for perturbing a district reproducibly from one proptest seed.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

/// A demo district with many of its fields disturbed: dates moved or dropped (so validity
/// and review dates are derived), classes moved into each other, hours changed, items and
/// categories swapped, posts changed.
fn disturbed(dd: &DemoDistrict, seed: u64) -> DemoDistrict {
    let mut n = Noise(seed);
    let mut dd = dd.clone();
    let days = |n: &mut Noise, d: NaiveDate, span: i64| d + TimeDelta::days(n.range(-span, span));
    for p in &mut dd.persons {
        if n.chance(15) {
            p.appointed_on = days(&mut n, p.appointed_on, 400);
        }
        if n.chance(5) {
            p.post = crate::kinds::Post::ALL[n.range(0, 3) as usize];
        }
        if n.chance(5) {
            p.special_category = [None, Some("电工作业"), Some("高处作业")][n.range(0, 2) as usize]
                .map(String::from);
        }
    }
    for c in &mut dd.certificates {
        if n.chance(25) {
            c.valid_until = None;
        }
        if n.chance(25) {
            c.review_due = None;
        }
        if n.chance(15) {
            c.valid_from = None;
        }
        if n.chance(20) {
            c.reviewed_on = None;
        }
        if n.chance(10) {
            c.valid_until = c.valid_until.map(|d| days(&mut n, d, 800));
        }
        if n.chance(10) {
            c.operation_item = [None, Some("低压电工作业"), Some("高压电工作业")]
                [n.range(0, 2) as usize]
                .map(String::from);
        }
        if n.chance(5) {
            c.category = Some("电工作业".into());
        }
    }
    for t in &mut dd.trainings {
        if n.chance(15) {
            let by = TimeDelta::minutes(n.range(-3000, 3000));
            t.start += by;
            t.end += by;
        }
        if n.chance(10) {
            t.end = t.start + TimeDelta::minutes(n.range(0, 2000));
        }
        if n.chance(15) {
            t.theory_hours = n.range(0, 60) as f64 / 2.0;
        }
        if n.chance(5) {
            t.training_type = TrainingType::ALL[n.range(0, 6) as usize];
        }
        if n.chance(10) {
            t.form = TrainingForm::ALL[n.range(0, 1) as usize];
        }
    }
    dd
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    #[test]
    fn the_engine_agrees_with_the_independent_checks_on_disturbed_districts(
        seed in proptest::prelude::any::<u64>(),
        offset in -1200i64..1200,
    ) {
        let p = Params::default();
        let as_of = DemoConfig::default().as_of;
        let dd = disturbed(&district(12, 250, as_of), seed);
        let d = as_of + TimeDelta::days(offset);
        let ours = counts(&scan(&to_ledger(&dd, &p), d, &p));
        proptest::prop_assert_eq!(ours, rules_check::check(&dd, d, &p), "as of {}", d);
    }
}
