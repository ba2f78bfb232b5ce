//! Properties of the scan on random small ledgers: it never panics, is deterministic and
//! independent of input order, agrees with the per-subject scan, does not care when the
//! calendar is moved by whole leap cycles, and finds exactly the overlaps a brute-force
//! comparison of every pair finds.

use super::*;
use chrono::TimeDelta;
use proptest::collection::{hash_map, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use std::collections::BTreeSet;

fn day(offset: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2010, 1, 1).unwrap() + TimeDelta::days(i64::from(offset))
}

/// Days from 2010 to 2026, with the month ends and leap days that matter over-represented.
fn a_day() -> impl Strategy<Value = NaiveDate> {
    prop_oneof![
        4 => (0u32..6000).prop_map(day),
        1 => (2010i32..2026, 1u32..=12).prop_map(|(y, m)| {
            let first = NaiveDate::from_ymd_opt(y, m, 1).unwrap();
            first.checked_add_months(Months::new(1)).unwrap().pred_opt().unwrap()
        }),
        1 => select(vec![2012, 2016, 2020, 2024])
            .prop_map(|y| NaiveDate::from_ymd_opt(y, 2, 29).unwrap()),
    ]
}

fn a_person() -> impl Strategy<Value = PersonFacts> {
    (
        1i64..4,
        select(Post::ALL),
        option::of(select(vec!["电工作业", "高处作业"])),
        a_day(),
        any::<bool>(),
        select(vec!["甲", "乙"]),
        select(vec!["A", "B", "C"]),
    )
        .prop_map(
            |(subject_id, post, cat, appointed_on, high_risk, name, holder)| PersonFacts {
                id: 0,
                subject_id,
                name: name.into(),
                post,
                special_category: cat.map(String::from),
                appointed_on,
                high_risk,
                holder_key: holder.into(),
            },
        )
}

fn a_cert() -> impl Strategy<Value = CertFacts> {
    (
        (
            1i64..10,
            select(CertType::ALL),
            select(vec!["K1", "K2", "K3", "K4"]),
            option::of(select(vec!["电工作业", "高处作业"])),
            option::of(select(vec!["低压电工作业", "高压电工作业"])),
        ),
        (
            option::of(a_day()),
            option::of(a_day()),
            option::of(a_day()),
            option::of(a_day()),
            option::of(a_day()),
        ),
    )
        .prop_map(
            |((person_id, cert_type, key, category, item), (first, from, until, due, reviewed))| {
                CertFacts {
                    id: 0,
                    person_id,
                    cert_type,
                    cert_no_key: key.into(),
                    category: category.map(String::from),
                    operation_item: item.map(String::from),
                    first_issued: first,
                    valid_from: from,
                    valid_until: until,
                    review_due: due,
                    reviewed_on: reviewed,
                }
            },
        )
}

fn a_training() -> impl Strategy<Value = TrainingFacts> {
    (
        1i64..10,
        select(TrainingType::ALL),
        select(TrainingForm::ALL),
        a_day(),
        0i64..1440,
        prop_oneof![8 => 0i64..4000, 1 => -100i64..0],
        0u32..40,
        0u32..10,
    )
        .prop_map(
            |(person_id, training_type, form, d, minute, length, theory, practical)| {
                let start = d.and_hms_opt(0, 0, 0).unwrap() + TimeDelta::minutes(minute);
                TrainingFacts {
                    id: 0,
                    person_id,
                    training_type,
                    form,
                    start,
                    end: start + TimeDelta::minutes(length),
                    theory_hours: f64::from(theory) / 2.0,
                    practical_hours: f64::from(practical) / 2.0,
                }
            },
        )
}

fn a_ledger() -> impl Strategy<Value = Ledger> {
    let registry = option::of(hash_map(
        select(vec!["K1", "K2", "K3"]),
        (select(vec!["A", "B"]), select(vec!["甲", "乙"])),
        0..3,
    ));
    (
        vec(a_person(), 0..8),
        vec(a_cert(), 0..10),
        vec(a_training(), 0..14),
        registry,
    )
        .prop_map(|(mut persons, mut certificates, mut trainings, registry)| {
            for (i, p) in persons.iter_mut().enumerate() {
                p.id = i as RecordId + 1;
            }
            for (i, c) in certificates.iter_mut().enumerate() {
                c.id = i as RecordId + 1;
            }
            for (i, t) in trainings.iter_mut().enumerate() {
                t.id = i as RecordId + 1;
            }
            let registry = registry.map(|r| {
                r.into_iter()
                    .map(|(k, (h, n))| {
                        (
                            k.to_string(),
                            RegistryEntry {
                                holder_key: h.into(),
                                name: n.into(),
                            },
                        )
                    })
                    .collect()
            });
            Ledger {
                persons,
                certificates,
                trainings,
                registry,
            }
        })
}

type Fired = Vec<(RecordId, Rule, Vec<RecordRef>)>;

fn fired(f: &[Finding]) -> Fired {
    f.iter()
        .map(|f| (f.person_id.unwrap(), f.rule, f.records.clone()))
        .collect()
}

/// Moves a date by `years` (a multiple of 4 within 1901–2099: the leap days move along).
fn moved(x: NaiveDate, years: i32) -> NaiveDate {
    let m = Months::new(12 * years.unsigned_abs());
    if years >= 0 {
        x.checked_add_months(m).unwrap()
    } else {
        x.checked_sub_months(m).unwrap()
    }
}

/// Moves every date of the ledger by `years`.
fn shifted(l: &Ledger, years: i32) -> Ledger {
    let d = |x: NaiveDate| moved(x, years);
    let dt = |x: NaiveDateTime| d(x.date()).and_time(x.time());
    let od = |x: Option<NaiveDate>| x.map(d);
    let mut l = l.clone();
    for p in &mut l.persons {
        p.appointed_on = d(p.appointed_on);
    }
    for c in &mut l.certificates {
        c.first_issued = od(c.first_issued);
        c.valid_from = od(c.valid_from);
        c.valid_until = od(c.valid_until);
        c.review_due = od(c.review_due);
        c.reviewed_on = od(c.reviewed_on);
    }
    for t in &mut l.trainings {
        t.start = dt(t.start);
        t.end = dt(t.end);
    }
    l
}

proptest! {
    #[test]
    fn the_scan_is_deterministic_sorted_and_independent_of_input_order(
        l in a_ledger(),
        d in a_day(),
    ) {
        let p = Params::default();
        let found = scan(&l, d, &p);
        prop_assert_eq!(&scan(&l, d, &p), &found);
        let mut reversed = l.clone();
        reversed.persons.reverse();
        reversed.certificates.reverse();
        reversed.trainings.reverse();
        prop_assert_eq!(&scan(&reversed, d, &p), &found);
        let order: Vec<_> = found.iter().map(|f| (f.person_id, f.rule, &f.records)).collect();
        prop_assert!(order.windows(2).all(|w| w[0] < w[1]), "sorted and without duplicates");
        let keys: BTreeSet<String> = found.iter().map(Finding::key).collect();
        prop_assert_eq!(keys.len(), found.len());
        for f in &found {
            prop_assert_eq!(Some(f.records[0]), f.person_id.map(RecordRef::Person));
            prop_assert!(!f.detail.is_empty());
            let person = l.persons.iter().find(|x| Some(x.id) == f.person_id).unwrap();
            prop_assert_eq!(f.subject_id, person.subject_id);
        }
        if l.registry.is_none() {
            prop_assert!(found.iter().all(|f| f.rule != Rule::CertNotInRegistry));
        }
    }

    #[test]
    fn the_subject_scans_together_are_the_full_scan(l in a_ledger(), d in a_day()) {
        let p = Params::default();
        let mut parts: Vec<Finding> = (1..4).flat_map(|s| scan_subject(&l, s, d, &p)).collect();
        parts.sort_by_key(|f| f.person_id);
        prop_assert_eq!(parts, scan(&l, d, &p));
    }

    #[test]
    fn moving_the_calendar_by_whole_leap_cycles_changes_nothing(
        l in a_ledger(),
        d in a_day(),
        cycles in -2i32..=2,
    ) {
        let p = Params::default();
        let years = 4 * cycles;
        let later = shifted(&l, years);
        prop_assert_eq!(fired(&scan(&later, moved(d, years), &p)), fired(&scan(&l, d, &p)));
    }

    #[test]
    fn the_overlap_sweep_finds_exactly_the_overlapping_pairs(
        raw in vec((0i64..300, prop_oneof![6 => 0i64..120, 1 => -30i64..0]), 0..16),
    ) {
        let base = day(0).and_hms_opt(8, 0, 0).unwrap();
        let mut spans: Vec<Span> = raw
            .iter()
            .enumerate()
            .map(|(i, &(s, len))| Span {
                start: base + TimeDelta::minutes(s),
                end: base + TimeDelta::minutes(s + len),
                id: i as RecordId,
            })
            .collect();
        let mut expected = BTreeSet::new();
        for a in &spans {
            for b in &spans {
                if a.id != b.id && a.start < b.end && b.start < a.end {
                    expected.insert(a.id);
                }
            }
        }
        let mut marks = Vec::new();
        let example = overlapping(&mut spans, &mut marks);
        let got: BTreeSet<RecordId> = spans
            .iter()
            .zip(&marks)
            .filter(|(_, &m)| m)
            .map(|(s, _)| s.id)
            .collect();
        prop_assert_eq!(&got, &expected);
        prop_assert_eq!(example.is_some(), !expected.is_empty());
        if let Some((a, b)) = example {
            prop_assert!(a.id != b.id && a.start < b.end && b.start < a.end);
        }
    }
}
