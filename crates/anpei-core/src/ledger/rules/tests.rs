//! Each rule at its boundaries: the day before, of and after every deadline, the hours
//! just below and at every threshold, and the shapes of records that must not fire.

use super::*;
use crate::ledger::normalize_cert_no;

pub(super) fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub(super) fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn person(id: RecordId, post: Post, appointed: &str) -> PersonFacts {
    PersonFacts {
        id,
        subject_id: 100 + id % 2,
        name: format!("张{id}"),
        post,
        special_category: (post == Post::SpecialOperator).then(|| "电工作业".to_string()),
        appointed_on: date(appointed),
        high_risk: false,
        holder_key: format!("ID{id}"),
    }
}

fn high_risk(mut p: PersonFacts) -> PersonFacts {
    p.high_risk = true;
    p
}

fn manager_cert(id: RecordId, person_id: RecordId, from: &str, until: &str) -> CertFacts {
    CertFacts {
        id,
        person_id,
        cert_type: CertType::ManagerCompetency,
        cert_no_key: format!("M{id}"),
        category: None,
        operation_item: None,
        first_issued: Some(date(from)),
        valid_from: Some(date(from)),
        valid_until: Some(date(until)),
        review_due: None,
        reviewed_on: None,
    }
}

fn special_cert(id: RecordId, person_id: RecordId, from: &str, until: &str) -> CertFacts {
    CertFacts {
        cert_type: CertType::SpecialOperation,
        category: Some("电工作业".into()),
        operation_item: Some("低压电工作业".into()),
        review_due: Some(plus_years(date(from), 3).unwrap()),
        ..manager_cert(id, person_id, from, until)
    }
}

fn training(
    id: RecordId,
    person_id: RecordId,
    ty: TrainingType,
    start: &str,
    end: &str,
    hours: f64,
) -> TrainingFacts {
    TrainingFacts {
        id,
        person_id,
        training_type: ty,
        form: TrainingForm::Online,
        start: at(start),
        end: at(end),
        theory_hours: hours,
        practical_hours: 0.0,
    }
}

fn ledger(persons: Vec<PersonFacts>, certs: Vec<CertFacts>, ts: Vec<TrainingFacts>) -> Ledger {
    Ledger {
        persons,
        certificates: certs,
        trainings: ts,
        registry: None,
    }
}

fn found(l: &Ledger, d: &str) -> Vec<Finding> {
    scan(l, date(d), &Params::default())
}

fn fired(l: &Ledger, d: &str, rule: Rule) -> Vec<Finding> {
    found(l, d).into_iter().filter(|f| f.rule == rule).collect()
}

fn fires(l: &Ledger, d: &str, rule: Rule) -> bool {
    !fired(l, d, rule).is_empty()
}

/// Whether `rule` fires on the day before, the day of and the day after `day`.
fn around(l: &Ledger, day: &str, rule: Rule) -> [bool; 3] {
    let d = date(day);
    [d.pred_opt().unwrap(), d, d.succ_opt().unwrap()]
        .map(|x| !fired(l, &x.to_string(), rule).is_empty())
}

// ----- the catalogue --------------------------------------------------------------------

#[test]
fn the_catalogue_has_the_ten_rules_of_rules_md_with_their_codes_and_names() {
    assert_eq!(Rule::LEDGER.len(), 10);
    assert_eq!(Rule::ALL.len(), 32);
    assert_eq!(Rule::ALL[..10], Rule::LEDGER);
    assert_eq!(Rule::ALL[10..25], Rule::RECORDS);
    assert_eq!(Rule::ALL[25..], Rule::ONLINE);
    assert!(Rule::RECORDS
        .iter()
        .all(|r| r.on_records() && !r.on_online()));
    assert!(Rule::LEDGER
        .iter()
        .all(|r| !r.on_records() && !r.on_online()));
    assert!(Rule::ONLINE
        .iter()
        .all(|r| !r.on_records() && r.on_online()));
    for r in Rule::ALL {
        assert_eq!(Rule::from_code(r.code()), Some(r));
        assert!(!r.name().is_empty() && !r.basis().is_empty() && !r.definition().is_empty());
        assert!(!r.parameters(&Params::default()).is_empty());
    }
    assert_eq!(Rule::from_code("NO_SUCH_RULE"), None);
    assert_eq!(Rule::ManagerCertMissing.code(), "MANAGER_CERT_MISSING");
    assert_eq!(
        Rule::ManagerCertMissing.name(),
        "高危行业主要负责人/安全管理人员任职满6个月未取得考核合格证"
    );
    assert_eq!(
        Rule::CertNotInRegistry.name(),
        "证书在登记库中查无此证或信息不符（疑似假证）"
    );
    assert_eq!(
        Rule::ManagerCertMissing.basis(),
        "《生产经营单位安全培训规定》第24条"
    );
    let mut sorted = Rule::ALL;
    sorted.sort();
    assert_eq!(
        sorted,
        Rule::ALL,
        "the catalogue's order is the order of findings"
    );
}

#[test]
fn severities_are_high_for_missing_or_false_certificates_and_compressed_hours() {
    use Severity::*;
    let expected = [
        High, Medium, High, Medium, Low, Low, Low, Medium, High, High,
    ];
    for (r, s) in Rule::LEDGER.into_iter().zip(expected) {
        assert_eq!(r.severity(), s, "{r}");
    }
    assert_eq!(
        Severity::ALL.map(|s| (s.code(), s.label())),
        [("high", "高"), ("medium", "中"), ("low", "低")]
    );
    assert_eq!(Severity::from_code("medium"), Some(Medium));
}

#[test]
fn the_parameters_shown_are_the_current_ones() {
    let mut p = Params::default();
    assert!(Rule::ManagerCertMissing
        .parameters(&p)
        .starts_with("任职后期限 6 个月；高危行业：煤矿、"));
    assert!(Rule::ManagerRetrainShort
        .parameters(&p)
        .contains("不少于 12 学时，高危行业不少于 16 学时"));
    assert!(Rule::HoursExceedDuration
        .parameters(&p)
        .contains("线下 45 分钟、线上 30 分钟"));
    p.manager_retrain_hours = (12.5, 18.0);
    assert!(Rule::ManagerRetrainShort
        .parameters(&p)
        .contains("不少于 12.5 学时，高危行业不少于 18 学时"));
}

// ----- MANAGER_CERT_MISSING -------------------------------------------------------------

#[test]
fn a_high_risk_manager_without_a_certificate_is_flagged_from_the_day_after_six_months() {
    let l = ledger(
        vec![high_risk(person(1, Post::SafetyManager, "2024-01-15"))],
        vec![],
        vec![],
    );
    // S + 6 months = 2024-07-15: not yet on that day.
    assert_eq!(
        around(&l, "2024-07-15", Rule::ManagerCertMissing),
        [false, false, true]
    );
    let f = &fired(&l, "2024-07-16", Rule::ManagerCertMissing)[0];
    assert_eq!(f.records, vec![RecordRef::Person(1)]);
    assert_eq!((f.person_id, f.subject_id), (Some(1), 101));
    assert!(f.detail.contains("2024-01-15") && f.detail.contains("2024-07-15"));
}

#[test]
fn six_months_after_the_last_of_august_is_the_last_of_february() {
    let l = ledger(
        vec![high_risk(person(1, Post::PrincipalManager, "2021-08-31"))],
        vec![],
        vec![],
    );
    assert_eq!(
        around(&l, "2022-02-28", Rule::ManagerCertMissing),
        [false, false, true]
    );
    // In a leap year the deadline is the 29th.
    let l = ledger(
        vec![high_risk(person(1, Post::PrincipalManager, "2023-08-31"))],
        vec![],
        vec![],
    );
    assert_eq!(
        around(&l, "2024-02-29", Rule::ManagerCertMissing),
        [false, false, true]
    );
}

#[test]
fn a_manager_of_an_ordinary_employer_or_an_employee_is_never_flagged_for_the_certificate() {
    let l = ledger(
        vec![
            person(1, Post::SafetyManager, "2020-01-01"),
            high_risk(person(2, Post::Employee, "2020-01-01")),
            high_risk(person(3, Post::SpecialOperator, "2020-01-01")),
        ],
        vec![],
        vec![],
    );
    assert!(!fires(&l, "2024-01-01", Rule::ManagerCertMissing));
}

#[test]
fn a_competency_certificate_valid_on_the_day_suffices_and_its_last_day_still_counts() {
    let p = high_risk(person(1, Post::SafetyManager, "2020-01-01"));
    let l = ledger(
        vec![p.clone()],
        vec![manager_cert(7, 1, "2021-06-01", "2024-05-31")],
        vec![],
    );
    assert_eq!(
        around(&l, "2024-05-31", Rule::ManagerCertMissing),
        [false, false, true]
    );
    assert!(fired(&l, "2024-06-01", Rule::ManagerCertMissing)[0]
        .detail
        .contains("有效期止 2024-05-31"));
    // A special-operation certificate is not a competency certificate.
    let l = ledger(
        vec![p],
        vec![special_cert(7, 1, "2021-06-01", "2027-05-31")],
        vec![],
    );
    assert!(fires(&l, "2024-06-01", Rule::ManagerCertMissing));
}

// ----- CERT_EXPIRED ---------------------------------------------------------------------

#[test]
fn a_certificate_expires_the_day_after_its_valid_until() {
    let l = ledger(
        vec![person(1, Post::SafetyManager, "2015-01-01")],
        vec![manager_cert(7, 1, "2021-06-01", "2024-05-31")],
        vec![],
    );
    assert_eq!(
        around(&l, "2024-05-31", Rule::CertExpired),
        [false, false, true]
    );
    let f = &fired(&l, "2024-06-10", Rule::CertExpired)[0];
    assert_eq!(
        f.records,
        vec![RecordRef::Person(1), RecordRef::Certificate(7)]
    );
    assert!(f.detail.contains("2024-05-31") && f.detail.contains("10 天"));
}

#[test]
fn a_missing_valid_until_is_derived_from_valid_from_or_first_issued() {
    let p = Params::default();
    let mut c = special_cert(7, 1, "2018-03-02", "2000-01-01");
    c.valid_until = None;
    assert_eq!(effective_valid_until(&c, &p), Some(date("2024-03-01")));
    c.valid_from = None;
    c.first_issued = Some(date("2019-01-10"));
    assert_eq!(effective_valid_until(&c, &p), Some(date("2025-01-09")));
    c.first_issued = None;
    assert_eq!(effective_valid_until(&c, &p), None);
    // A leap day plus three years is the 28th of February; the last valid day the 27th.
    let mut m = manager_cert(8, 1, "2020-02-29", "2000-01-01");
    m.valid_until = None;
    assert_eq!(effective_valid_until(&m, &p), Some(date("2023-02-27")));
    // A recorded valid_until wins.
    assert_eq!(
        effective_valid_until(&manager_cert(9, 1, "2020-01-01", "2021-01-01"), &p),
        Some(date("2021-01-01"))
    );

    let mut c = special_cert(7, 1, "2018-03-02", "2000-01-01");
    c.valid_until = None;
    let l = ledger(
        vec![person(1, Post::SpecialOperator, "2015-01-01")],
        vec![c],
        vec![],
    );
    assert_eq!(
        around(&l, "2024-03-01", Rule::CertExpired),
        [false, false, true]
    );
    assert!(fired(&l, "2024-03-02", Rule::CertExpired)[0]
        .detail
        .contains("推算"));
}

#[test]
fn a_certificate_without_any_date_never_expires() {
    let mut c = manager_cert(7, 1, "2020-01-01", "2021-01-01");
    (c.first_issued, c.valid_from, c.valid_until) = (None, None, None);
    let l = ledger(
        vec![person(1, Post::SafetyManager, "2015-01-01")],
        vec![c],
        vec![],
    );
    assert!(!fires(&l, "2030-01-01", Rule::CertExpired));
}

#[test]
fn a_renewed_certificate_of_the_same_type_and_item_covers_the_expired_one() {
    let p = person(1, Post::SpecialOperator, "2010-01-01");
    let old = special_cert(7, 1, "2012-01-01", "2017-12-31");
    let renewed = special_cert(8, 1, "2018-01-01", "2023-12-31");
    let l = ledger(vec![p.clone()], vec![old.clone(), renewed.clone()], vec![]);
    assert!(!fires(&l, "2020-01-01", Rule::CertExpired));
    // Once the renewal lapses too, both are expired: one finding each.
    let both = fired(&l, "2024-01-01", Rule::CertExpired);
    assert_eq!(
        both.iter().map(|f| f.records[1]).collect::<Vec<_>>(),
        [RecordRef::Certificate(7), RecordRef::Certificate(8)]
    );
    // Another 操作项目 does not cover it.
    let mut welder = renewed;
    welder.operation_item = Some("高压电工作业".into());
    let l = ledger(vec![p.clone()], vec![old.clone(), welder], vec![]);
    assert!(fires(&l, "2020-01-01", Rule::CertExpired));
    // Nor does a certificate of the other type.
    let l = ledger(
        vec![p],
        vec![old, manager_cert(9, 1, "2018-01-01", "2030-01-01")],
        vec![],
    );
    assert!(fires(&l, "2020-01-01", Rule::CertExpired));
    // Competency certificates (no 操作项目) cover each other.
    let l = ledger(
        vec![person(2, Post::SafetyManager, "2010-01-01")],
        vec![
            manager_cert(1, 2, "2015-01-01", "2017-12-31"),
            manager_cert(2, 2, "2018-01-01", "2020-12-31"),
        ],
        vec![],
    );
    assert!(!fires(&l, "2020-12-31", Rule::CertExpired));
    assert_eq!(fired(&l, "2021-01-01", Rule::CertExpired).len(), 2);
}

// ----- SPECIAL_OP_NO_CERT ---------------------------------------------------------------

#[test]
fn a_special_operator_needs_a_certificate_of_his_category_valid_or_not() {
    let p = person(1, Post::SpecialOperator, "2020-01-01");
    let none = ledger(vec![p.clone()], vec![], vec![]);
    assert!(fires(&none, "2024-01-01", Rule::SpecialOpNoCert));
    assert!(fired(&none, "2024-01-01", Rule::SpecialOpNoCert)[0]
        .detail
        .contains("未持有任何"));

    let expired = ledger(
        vec![p.clone()],
        vec![special_cert(7, 1, "2010-01-01", "2015-12-31")],
        vec![],
    );
    assert!(!fires(&expired, "2024-01-01", Rule::SpecialOpNoCert));

    let mut welding = special_cert(7, 1, "2020-01-01", "2025-12-31");
    welding.category = Some("焊接与热切割作业".into());
    let wrong = ledger(vec![p.clone()], vec![welding.clone()], vec![]);
    let f = &fired(&wrong, "2024-01-01", Rule::SpecialOpNoCert)[0];
    assert!(f.detail.contains("所持为焊接与热切割作业"), "{}", f.detail);

    let competency = ledger(
        vec![p.clone()],
        vec![manager_cert(7, 1, "2020-01-01", "2025-12-31")],
        vec![],
    );
    assert!(fires(&competency, "2024-01-01", Rule::SpecialOpNoCert));

    // Without a recorded category any special-operation certificate will do.
    let mut uncategorised = p;
    uncategorised.special_category = None;
    let l = ledger(vec![uncategorised.clone()], vec![welding], vec![]);
    assert!(!fires(&l, "2024-01-01", Rule::SpecialOpNoCert));
    let l = ledger(vec![uncategorised], vec![], vec![]);
    assert!(fires(&l, "2024-01-01", Rule::SpecialOpNoCert));
}

#[test]
fn only_special_operators_need_a_special_operation_certificate() {
    let l = ledger(
        vec![
            person(1, Post::Employee, "2020-01-01"),
            person(2, Post::SafetyManager, "2020-01-01"),
        ],
        vec![],
        vec![],
    );
    assert!(!fires(&l, "2024-01-01", Rule::SpecialOpNoCert));
}

// ----- REVIEW_OVERDUE -------------------------------------------------------------------

#[test]
fn a_review_is_overdue_from_the_day_after_it_was_due() {
    let c = special_cert(7, 1, "2020-03-10", "2026-03-09");
    assert_eq!(c.review_due, Some(date("2023-03-10")));
    let l = ledger(
        vec![person(1, Post::SpecialOperator, "2019-01-01")],
        vec![c.clone()],
        vec![],
    );
    assert_eq!(
        around(&l, "2023-03-10", Rule::ReviewOverdue),
        [false, false, true]
    );
    let f = &fired(&l, "2023-03-20", Rule::ReviewOverdue)[0];
    assert_eq!(
        f.records,
        vec![RecordRef::Person(1), RecordRef::Certificate(7)]
    );
    assert!(f.detail.contains("2023-03-10") && f.detail.contains("10 天"));

    // A recorded review, whenever, ends it.
    let mut reviewed = c;
    reviewed.reviewed_on = Some(date("2023-05-01"));
    let l = ledger(
        vec![person(1, Post::SpecialOperator, "2019-01-01")],
        vec![reviewed],
        vec![],
    );
    assert!(!fires(&l, "2024-01-01", Rule::ReviewOverdue));
}

#[test]
fn an_expired_certificate_is_not_overdue_for_review_but_expired() {
    let c = special_cert(7, 1, "2017-03-10", "2023-03-09");
    let l = ledger(
        vec![person(1, Post::SpecialOperator, "2016-01-01")],
        vec![c],
        vec![],
    );
    // Valid through 2023-03-09, review due 2020-03-10 and never done.
    assert!(fires(&l, "2023-03-09", Rule::ReviewOverdue));
    assert!(!fires(&l, "2023-03-10", Rule::ReviewOverdue));
    assert!(fires(&l, "2023-03-10", Rule::CertExpired));
}

#[test]
fn a_missing_review_date_is_three_years_after_valid_from_and_competency_certificates_have_none() {
    let p = Params::default();
    let mut c = special_cert(7, 1, "2020-02-29", "2026-02-27");
    c.review_due = None;
    assert_eq!(effective_review_due(&c, &p), Some(date("2023-02-28")));
    c.valid_from = None;
    c.first_issued = Some(date("2021-05-05"));
    assert_eq!(effective_review_due(&c, &p), Some(date("2024-05-05")));
    assert_eq!(
        effective_review_due(&manager_cert(8, 1, "2020-01-01", "2022-12-31"), &p),
        None
    );

    let mut c = special_cert(7, 1, "2020-02-29", "2026-02-27");
    c.review_due = None;
    let l = ledger(
        vec![person(1, Post::SpecialOperator, "2019-01-01")],
        vec![c],
        vec![],
    );
    assert_eq!(
        around(&l, "2023-02-28", Rule::ReviewOverdue),
        [false, false, true]
    );
    let l = ledger(
        vec![person(1, Post::SafetyManager, "2019-01-01")],
        vec![manager_cert(8, 1, "2020-01-01", "2029-12-31")],
        vec![],
    );
    assert!(!fires(&l, "2025-01-01", Rule::ReviewOverdue));
}

// ----- MANAGER_RETRAIN_SHORT, EMPLOYEE_RETRAIN_SHORT ------------------------------------

fn retrained(p: PersonFacts, hours: &[f64], end_day: &str) -> Ledger {
    let id = p.id;
    let ts = hours
        .iter()
        .enumerate()
        .map(|(k, &h)| {
            training(
                k as RecordId + 1,
                id,
                TrainingType::Retraining,
                &format!("{end_day} 08:00"),
                &format!("{end_day} 08:00"),
                h,
            )
        })
        .map(|mut t| {
            // Long enough for any hours: not this test's concern.
            t.start -= chrono::TimeDelta::days(30);
            t
        })
        .collect();
    ledger(vec![p], vec![], ts)
}

#[test]
fn a_manager_needs_twelve_hours_of_retraining_a_year_and_sixteen_in_a_high_risk_industry() {
    let m = || person(1, Post::SafetyManager, "2015-01-01");
    let d = "2024-06-30";
    assert!(fires(
        &retrained(m(), &[8.0, 3.9], "2024-03-01"),
        d,
        Rule::ManagerRetrainShort
    ));
    assert!(!fires(
        &retrained(m(), &[8.0, 4.0], "2024-03-01"),
        d,
        Rule::ManagerRetrainShort
    ));
    let hr = || high_risk(m());
    assert!(fires(
        &retrained(hr(), &[15.9], "2024-03-01"),
        d,
        Rule::ManagerRetrainShort
    ));
    assert!(!fires(
        &retrained(hr(), &[16.0], "2024-03-01"),
        d,
        Rule::ManagerRetrainShort
    ));
    let f = &fired(
        &retrained(hr(), &[8.0], "2024-03-01"),
        d,
        Rule::ManagerRetrainShort,
    )[0];
    assert_eq!(
        f.detail,
        "近一年（2023-07-01 至 2024-06-30）再培训 8.0 学时（1 条记录），低于 16 学时（高危行业）"
    );
    assert_eq!(f.records, vec![RecordRef::Person(1)]);
    // No retraining at all is short too.
    assert!(fires(
        &retrained(m(), &[], "2024-03-01"),
        d,
        Rule::ManagerRetrainShort
    ));
    // Managers are not checked against the employees' rule.
    assert!(!fires(
        &retrained(m(), &[], "2024-03-01"),
        d,
        Rule::EmployeeRetrainShort
    ));
}

#[test]
fn decimal_hours_that_add_up_to_the_threshold_are_enough() {
    let m = person(1, Post::PrincipalManager, "2015-01-01");
    let tenths = [0.1; 120];
    assert!(tenths.iter().sum::<f64>() < 12.0, "binary floating point");
    assert!(!fires(
        &retrained(m.clone(), &tenths, "2024-03-01"),
        "2024-06-30",
        Rule::ManagerRetrainShort
    ));
    assert!(fires(
        &retrained(m, &tenths[1..], "2024-03-01"),
        "2024-06-30",
        Rule::ManagerRetrainShort
    ));
}

#[test]
fn an_employee_needs_eight_hours_of_retraining_a_year_and_twenty_in_a_high_risk_industry() {
    let d = "2024-06-30";
    for post in [Post::Employee, Post::SpecialOperator] {
        let e = || person(1, post, "2015-01-01");
        assert!(fires(
            &retrained(e(), &[7.9], "2024-03-01"),
            d,
            Rule::EmployeeRetrainShort
        ));
        assert!(!fires(
            &retrained(e(), &[8.0], "2024-03-01"),
            d,
            Rule::EmployeeRetrainShort
        ));
        let hr = || high_risk(e());
        assert!(fires(
            &retrained(hr(), &[12.0, 7.9], "2024-03-01"),
            d,
            Rule::EmployeeRetrainShort
        ));
        assert!(!fires(
            &retrained(hr(), &[12.0, 8.0], "2024-03-01"),
            d,
            Rule::EmployeeRetrainShort
        ));
        assert!(!fires(
            &retrained(e(), &[], "2024-03-01"),
            d,
            Rule::ManagerRetrainShort
        ));
    }
}

#[test]
fn retraining_counts_on_the_day_it_ends_within_the_year_before_d() {
    let m = || person(1, Post::SafetyManager, "2015-01-01");
    let d = "2024-06-30";
    // One year before is 2023-06-30: a class ending that day is outside, the next day inside.
    assert!(fires(
        &retrained(m(), &[12.0], "2023-06-30"),
        d,
        Rule::ManagerRetrainShort
    ));
    assert!(!fires(
        &retrained(m(), &[12.0], "2023-07-01"),
        d,
        Rule::ManagerRetrainShort
    ));
    // Ending on D counts (whatever the hour); ending after D does not.
    let mut late = retrained(m(), &[12.0], d);
    late.trainings[0].end = at("2024-06-30 23:59");
    assert!(!fires(&late, d, Rule::ManagerRetrainShort));
    assert!(fires(
        &retrained(m(), &[12.0], "2024-07-01"),
        d,
        Rule::ManagerRetrainShort
    ));
    // What counts is the end: a class that began before the window but ended in it counts.
    let mut straddling = retrained(m(), &[12.0], "2023-07-01");
    straddling.trainings[0].start = at("2023-06-28 08:00");
    assert!(!fires(&straddling, d, Rule::ManagerRetrainShort));
    // Other kinds of training are not retraining.
    for ty in [
        TrainingType::Initial,
        TrainingType::Review,
        TrainingType::PreJob,
        TrainingType::Other,
    ] {
        let mut other = retrained(m(), &[12.0], "2024-03-01");
        other.trainings[0].training_type = ty;
        assert!(fires(&other, d, Rule::ManagerRetrainShort), "{ty:?}");
    }
}

#[test]
fn one_year_before_a_leap_day_is_the_twenty_eighth_of_february() {
    let m = || person(1, Post::SafetyManager, "2015-01-01");
    let d = "2024-02-29";
    assert!(fires(
        &retrained(m(), &[12.0], "2023-02-28"),
        d,
        Rule::ManagerRetrainShort
    ));
    assert!(!fires(
        &retrained(m(), &[12.0], "2023-03-01"),
        d,
        Rule::ManagerRetrainShort
    ));
    // And a year before 2025-02-28 is 2024-02-28, so the leap day itself is inside.
    let d = "2025-02-28";
    assert!(fires(
        &retrained(m(), &[12.0], "2024-02-28"),
        d,
        Rule::ManagerRetrainShort
    ));
    assert!(!fires(
        &retrained(m(), &[12.0], "2024-02-29"),
        d,
        Rule::ManagerRetrainShort
    ));
}

#[test]
fn retraining_is_checked_once_the_person_has_held_the_post_for_a_year() {
    let d = "2024-06-30";
    let with_s = |s: &str| retrained(person(1, Post::Employee, s), &[], "2024-03-01");
    // S ≤ one year before D (2023-06-30).
    assert!(fires(&with_s("2023-06-29"), d, Rule::EmployeeRetrainShort));
    assert!(fires(&with_s("2023-06-30"), d, Rule::EmployeeRetrainShort));
    assert!(!fires(&with_s("2023-07-01"), d, Rule::EmployeeRetrainShort));
}

// ----- PREJOB_HOURS_SHORT ---------------------------------------------------------------

fn newcomer(p: PersonFacts, hours: &[f64], end_day: &str) -> Ledger {
    let mut l = retrained(p, hours, end_day);
    for t in &mut l.trainings {
        t.training_type = TrainingType::PreJob;
    }
    l
}

#[test]
fn a_new_employee_needs_twenty_four_hours_before_the_job_and_seventy_two_in_high_risk() {
    let d = "2024-06-30";
    let e = || person(1, Post::Employee, "2024-03-01");
    assert!(fires(
        &newcomer(e(), &[23.9], "2024-02-20"),
        d,
        Rule::PrejobHoursShort
    ));
    assert!(!fires(
        &newcomer(e(), &[24.0], "2024-02-20"),
        d,
        Rule::PrejobHoursShort
    ));
    let hr = || high_risk(person(1, Post::SpecialOperator, "2024-03-01"));
    assert!(fires(
        &newcomer(hr(), &[24.0, 47.9], "2024-02-20"),
        d,
        Rule::PrejobHoursShort
    ));
    assert!(!fires(
        &newcomer(hr(), &[24.0, 48.0], "2024-02-20"),
        d,
        Rule::PrejobHoursShort
    ));
    let f = &fired(
        &newcomer(hr(), &[24.0], "2024-02-20"),
        d,
        Rule::PrejobHoursShort,
    )[0];
    assert!(f.detail.contains("24.0 学时") && f.detail.contains("低于 72 学时（高危行业）"));
    // Managers are not new employees.
    let m = person(1, Post::SafetyManager, "2024-03-01");
    assert!(!fires(
        &newcomer(m, &[], "2024-02-20"),
        d,
        Rule::PrejobHoursShort
    ));
}

#[test]
fn pre_job_hours_count_up_to_d_however_long_ago() {
    let d = "2024-06-30";
    let e = || person(1, Post::Employee, "2024-03-01");
    assert!(!fires(
        &newcomer(e(), &[24.0], "2010-01-04"),
        d,
        Rule::PrejobHoursShort
    ));
    let mut late = newcomer(e(), &[24.0], d);
    late.trainings[0].end = at("2024-06-30 23:00");
    assert!(!fires(&late, d, Rule::PrejobHoursShort));
    assert!(fires(
        &newcomer(e(), &[24.0], "2024-07-01"),
        d,
        Rule::PrejobHoursShort
    ));
    // Retraining is not pre-job training.
    assert!(fires(
        &retrained(e(), &[24.0], "2024-02-20"),
        d,
        Rule::PrejobHoursShort
    ));
}

#[test]
fn a_new_employee_is_one_appointed_within_the_year_before_d_up_to_d() {
    let d = "2024-06-30";
    let with_s = |s: &str| newcomer(person(1, Post::Employee, s), &[], "2024-02-20");
    // one year before D < S ≤ D
    assert!(!fires(&with_s("2023-06-30"), d, Rule::PrejobHoursShort));
    assert!(fires(&with_s("2023-07-01"), d, Rule::PrejobHoursShort));
    assert!(fires(&with_s("2024-06-30"), d, Rule::PrejobHoursShort));
    assert!(!fires(&with_s("2024-07-01"), d, Rule::PrejobHoursShort));
    // Appointed after D: neither new nor due for retraining.
    assert!(found(&with_s("2024-07-01"), d).is_empty());
}

// ----- TRAINING_OVERLAP -----------------------------------------------------------------

fn spans(person_id: RecordId, spans: &[(&str, &str)]) -> Vec<TrainingFacts> {
    spans
        .iter()
        .enumerate()
        .map(|(k, (s, e))| {
            training(
                10 * person_id + k as RecordId,
                person_id,
                TrainingType::Other,
                s,
                e,
                1.0,
            )
        })
        .collect()
}

#[test]
fn classes_that_only_touch_do_not_overlap() {
    let l = ledger(
        vec![person(1, Post::Employee, "2020-01-01")],
        vec![],
        spans(
            1,
            &[
                ("2024-03-05 09:00", "2024-03-05 12:00"),
                ("2024-03-05 12:00", "2024-03-05 15:00"),
            ],
        ),
    );
    assert!(!fires(&l, "2024-06-30", Rule::TrainingOverlap));
}

#[test]
fn classes_overlapping_by_a_minute_overlap() {
    let l = ledger(
        vec![person(1, Post::Employee, "2020-01-01")],
        vec![],
        spans(
            1,
            &[
                ("2024-03-05 09:00", "2024-03-05 12:01"),
                ("2024-03-05 12:00", "2024-03-05 15:00"),
            ],
        ),
    );
    let f = fired(&l, "2024-06-30", Rule::TrainingOverlap);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].records,
        vec![
            RecordRef::Person(1),
            RecordRef::Training(10),
            RecordRef::Training(11)
        ]
    );
    assert_eq!(
        f[0].detail,
        "2 条培训记录时间重叠，如 2024-03-05 09:00 至 2024-03-05 12:01 与 2024-03-05 12:00 至 2024-03-05 15:00"
    );
}

#[test]
fn a_person_with_several_overlaps_gets_one_finding_naming_every_overlapping_class() {
    // Input deliberately unsorted; 13 stands alone, 12 lies inside 10, 11 overlaps 10, 14
    // is identical to 11.
    let l = ledger(
        vec![person(1, Post::Employee, "2020-01-01")],
        vec![],
        spans(
            1,
            &[
                ("2024-03-05 09:00", "2024-03-07 17:00"),
                ("2024-03-07 16:00", "2024-03-08 17:00"),
                ("2024-03-06 09:00", "2024-03-06 10:00"),
                ("2024-04-01 09:00", "2024-04-01 10:00"),
                ("2024-03-07 16:00", "2024-03-08 17:00"),
            ],
        ),
    );
    let mut l2 = l.clone();
    l2.trainings.reverse();
    for l in [l, l2] {
        let f = fired(&l, "2024-06-30", Rule::TrainingOverlap);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].records,
            [1, 10, 11, 12, 14]
                .map(|i| if i == 1 {
                    RecordRef::Person(1)
                } else {
                    RecordRef::Training(i)
                })
                .to_vec()
        );
        assert!(f[0].detail.starts_with("4 条培训记录时间重叠"));
    }
}

#[test]
fn the_classes_of_different_persons_never_overlap() {
    let mut ts = spans(1, &[("2024-03-05 09:00", "2024-03-05 12:00")]);
    ts.extend(spans(2, &[("2024-03-05 09:00", "2024-03-05 12:00")]));
    let l = ledger(
        vec![
            person(1, Post::Employee, "2020-01-01"),
            person(2, Post::Employee, "2020-01-01"),
        ],
        vec![],
        ts,
    );
    assert!(!fires(&l, "2024-06-30", Rule::TrainingOverlap));
}

// ----- HOURS_EXCEED_DURATION ------------------------------------------------------------

fn one_class(form: TrainingForm, start: &str, end: &str, theory: f64, practical: f64) -> Ledger {
    let mut t = training(5, 1, TrainingType::Other, start, end, theory);
    t.form = form;
    t.practical_hours = practical;
    ledger(
        vec![person(1, Post::Employee, "2020-01-01")],
        vec![],
        vec![t],
    )
}

#[test]
fn eight_hours_online_fit_in_four_hours_but_not_offline() {
    let d = "2024-06-30";
    let (s, e) = ("2024-03-05 09:00", "2024-03-05 13:00");
    assert!(!fires(
        &one_class(TrainingForm::Online, s, e, 8.0, 0.0),
        d,
        Rule::HoursExceedDuration
    ));
    assert!(fires(
        &one_class(TrainingForm::Online, s, e, 8.1, 0.0),
        d,
        Rule::HoursExceedDuration
    ));
    let f = &fired(
        &one_class(TrainingForm::Offline, s, e, 6.0, 2.0),
        d,
        Rule::HoursExceedDuration,
    )[0];
    assert_eq!(
        f.records,
        vec![RecordRef::Person(1), RecordRef::Training(5)]
    );
    assert_eq!(
        f.detail,
        "2024-03-05 09:00 至 2024-03-05 13:00 线下其他记 8.0 学时，按每学时 45 分钟应历时 360 分钟，实际仅 240 分钟"
    );
}

#[test]
fn offline_hours_of_exactly_the_duration_are_fine_and_a_minute_less_is_not() {
    let d = "2024-06-30";
    let c = |end: &str| one_class(TrainingForm::Offline, "2024-03-05 09:00", end, 4.0, 4.0);
    assert!(!fires(&c("2024-03-05 15:00"), d, Rule::HoursExceedDuration));
    assert!(fires(&c("2024-03-05 14:59"), d, Rule::HoursExceedDuration));
    assert!(!fires(&c("2024-03-05 15:01"), d, Rule::HoursExceedDuration));
    // Decimal hours: 2.4 学时 × 45 = 108 minutes exactly.
    let c = |end: &str| one_class(TrainingForm::Offline, "2024-03-05 09:00", end, 2.4, 0.0);
    assert!(!fires(&c("2024-03-05 10:48"), d, Rule::HoursExceedDuration));
    assert!(fires(&c("2024-03-05 10:47"), d, Rule::HoursExceedDuration));
}

#[test]
fn compressed_hours_are_flagged_whatever_the_scan_date() {
    let l = one_class(
        TrainingForm::Offline,
        "2024-03-05 09:00",
        "2024-03-05 10:00",
        8.0,
        0.0,
    );
    assert!(fires(&l, "2020-01-01", Rule::HoursExceedDuration));
}

// ----- CERT_NOT_IN_REGISTRY -------------------------------------------------------------

fn registered(entries: &[(&str, &str, &str)]) -> Option<HashMap<String, RegistryEntry>> {
    Some(
        entries
            .iter()
            .map(|(no, holder, name)| {
                (
                    no.to_string(),
                    RegistryEntry {
                        holder_key: holder.to_string(),
                        name: name.to_string(),
                    },
                )
            })
            .collect(),
    )
}

#[test]
fn without_a_registry_no_certificate_is_suspect() {
    let l = ledger(
        vec![person(1, Post::SafetyManager, "2020-01-01")],
        vec![manager_cert(7, 1, "2021-01-01", "2023-12-31")],
        vec![],
    );
    assert!(!fires(&l, "2022-01-01", Rule::CertNotInRegistry));
    let empty = Ledger {
        registry: registered(&[]),
        ..l
    };
    assert!(fires(&empty, "2022-01-01", Rule::CertNotInRegistry));
}

#[test]
fn a_certificate_is_suspect_when_absent_or_registered_to_another_holder_or_name() {
    let base = ledger(
        vec![person(1, Post::SafetyManager, "2020-01-01")],
        vec![manager_cert(7, 1, "2021-01-01", "2023-12-31")],
        vec![],
    );
    let with = |entries: &[(&str, &str, &str)]| Ledger {
        registry: registered(entries),
        ..base.clone()
    };
    let d = "2022-01-01";
    assert!(!fires(
        &with(&[("M7", "ID1", "张1")]),
        d,
        Rule::CertNotInRegistry
    ));
    let absent = fired(&with(&[("M8", "ID1", "张1")]), d, Rule::CertNotInRegistry);
    assert!(absent[0].detail.contains("查无此证"));
    assert_eq!(
        absent[0].records,
        vec![RecordRef::Person(1), RecordRef::Certificate(7)]
    );
    let holder = fired(&with(&[("M7", "ID2", "张1")]), d, Rule::CertNotInRegistry);
    assert!(
        holder[0].detail.contains("身份证号与本人不符"),
        "{}",
        holder[0].detail
    );
    let both = fired(&with(&[("M7", "ID2", "李四")]), d, Rule::CertNotInRegistry);
    assert!(both[0].detail.contains("身份证号、姓名与本人不符"));
    assert!(
        !both[0].detail.contains("李四"),
        "another holder's name is not disclosed"
    );
    let name = fired(&with(&[("M7", "ID1", "张一")]), d, Rule::CertNotInRegistry);
    assert!(name[0].detail.contains("“张一”，与本人姓名“张1”不符"));
}

#[test]
fn the_engine_compares_keys_verbatim_so_t_plus_id_normalisation_is_the_callers_job() {
    let mut c = special_cert(7, 1, "2021-01-01", "2026-12-31");
    let p = person(1, Post::SpecialOperator, "2020-01-01");
    // Keys as the caller must build them: from the normalised number.
    c.cert_no_key = normalize_cert_no("T11010519491231002x");
    let l = Ledger {
        registry: registered(&[(&normalize_cert_no("11010519491231002X"), "ID1", "张1")]),
        ..ledger(vec![p.clone()], vec![c.clone()], vec![])
    };
    assert!(!fires(&l, "2022-01-01", Rule::CertNotInRegistry));
    // Un-normalised keys are different keys.
    c.cert_no_key = "T11010519491231002X".into();
    let l = Ledger {
        registry: registered(&[("11010519491231002X", "ID1", "张1")]),
        ..ledger(vec![p], vec![c], vec![])
    };
    assert!(fires(&l, "2022-01-01", Rule::CertNotInRegistry));
}

// ----- the scan as a whole --------------------------------------------------------------

fn busy_ledger() -> Ledger {
    let mut persons = vec![
        high_risk(person(5, Post::SafetyManager, "2020-01-01")),
        person(2, Post::SpecialOperator, "2024-05-01"),
        person(9, Post::Employee, "2015-01-01"),
    ];
    persons[1].special_category = Some("高处作业".into());
    let certs = vec![
        special_cert(31, 2, "2010-01-01", "2015-12-31"),
        manager_cert(30, 5, "2019-01-01", "2021-12-31"),
        special_cert(3, 2, "2011-01-01", "2016-12-31"),
    ];
    let mut ts = spans(
        9,
        &[
            ("2024-03-05 09:00", "2024-03-05 12:00"),
            ("2024-03-05 11:00", "2024-03-05 13:00"),
        ],
    );
    ts.extend(spans(5, &[("2024-03-05 09:00", "2024-03-05 10:00")]));
    ts[2].theory_hours = 9.0;
    ts[2].form = TrainingForm::Offline;
    // An orphan record (its person was rejected) takes no part.
    ts.push(training(
        99,
        77,
        TrainingType::Other,
        "2024-03-05 09:00",
        "2024-03-05 09:01",
        50.0,
    ));
    Ledger {
        persons,
        certificates: certs,
        trainings: ts,
        registry: registered(&[("M30", "ID5", "张5")]),
    }
}

#[test]
fn findings_come_by_person_then_rule_then_record_whatever_the_input_order() {
    let l = busy_ledger();
    let f = found(&l, "2024-06-30");
    let summary: Vec<(RecordId, Rule, Vec<RecordRef>)> = f
        .iter()
        .map(|f| (f.person_id.unwrap(), f.rule, f.records.clone()))
        .collect();
    use RecordRef::{Certificate as C, Person as P, Training as T};
    assert_eq!(
        summary,
        vec![
            (2, Rule::CertExpired, vec![P(2), C(3)]),
            (2, Rule::CertExpired, vec![P(2), C(31)]),
            (2, Rule::SpecialOpNoCert, vec![P(2)]),
            (2, Rule::PrejobHoursShort, vec![P(2)]),
            (2, Rule::CertNotInRegistry, vec![P(2), C(3)]),
            (2, Rule::CertNotInRegistry, vec![P(2), C(31)]),
            (5, Rule::ManagerCertMissing, vec![P(5)]),
            (5, Rule::CertExpired, vec![P(5), C(30)]),
            (5, Rule::ManagerRetrainShort, vec![P(5)]),
            (5, Rule::HoursExceedDuration, vec![P(5), T(50)]),
            (9, Rule::EmployeeRetrainShort, vec![P(9)]),
            (9, Rule::TrainingOverlap, vec![P(9), T(90), T(91)]),
        ]
    );
    let mut shuffled = l.clone();
    shuffled.persons.rotate_left(1);
    shuffled.certificates.reverse();
    shuffled.trainings.reverse();
    assert_eq!(found(&shuffled, "2024-06-30"), f);
}

#[test]
fn a_finding_key_is_its_rule_person_and_records_not_its_text() {
    let f = found(&busy_ledger(), "2024-06-30");
    let keys: Vec<String> = f.iter().map(Finding::key).collect();
    assert_eq!(keys[0], "CERT_EXPIRED:2:c3");
    assert_eq!(keys[2], "SPECIAL_OP_NO_CERT:2");
    assert_eq!(keys[11], "TRAINING_OVERLAP:9:t90:t91");
    let unique: std::collections::HashSet<&String> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len());
    // A day later the details change (days overdue), the keys do not.
    let later: Vec<String> = found(&busy_ledger(), "2024-07-01")
        .iter()
        .map(Finding::key)
        .collect();
    assert_eq!(later, keys);
}

#[test]
fn a_subject_scan_finds_what_the_full_scan_finds_for_that_subject() {
    let l = busy_ledger();
    let d = date("2024-06-30");
    let p = Params::default();
    for subject in [100, 101, 555] {
        let mine: Vec<Finding> = scan(&l, d, &p)
            .into_iter()
            .filter(|f| f.subject_id == subject)
            .collect();
        assert_eq!(scan_subject(&l, subject, d, &p), mine);
        // The same as a ledger of that subject's persons only.
        let own = Ledger {
            persons: l
                .persons
                .iter()
                .filter(|x| x.subject_id == subject)
                .cloned()
                .collect(),
            ..l.clone()
        };
        assert_eq!(scan(&own, d, &p), mine);
    }
}

#[test]
fn thresholds_come_from_the_parameters() {
    let l = retrained(
        person(1, Post::SafetyManager, "2015-01-01"),
        &[12.0],
        "2024-03-01",
    );
    let mut p = Params::default();
    assert!(scan(&l, date("2024-06-30"), &p).is_empty());
    p.manager_retrain_hours = (13.0, 16.0);
    assert_eq!(
        scan(&l, date("2024-06-30"), &p)[0].rule,
        Rule::ManagerRetrainShort
    );
    let l = one_class(
        TrainingForm::Online,
        "2024-03-05 09:00",
        "2024-03-05 13:00",
        8.0,
        0.0,
    );
    let compressed = |p: &Params| {
        scan(&l, date("2024-06-30"), p)
            .iter()
            .any(|f| f.rule == Rule::HoursExceedDuration)
    };
    assert!(!compressed(&p));
    p.class_hour_minutes = (45, 40);
    assert!(compressed(&p));
}

#[test]
fn an_empty_ledger_has_no_findings() {
    assert!(scan(&Ledger::default(), date("2024-01-01"), &Params::default()).is_empty());
}

#[test]
fn sparse_person_ids_are_grouped_as_well_as_dense_ones() {
    let mut l = busy_ledger();
    let remap = |id: RecordId| id * 1_000_000_007 - 3;
    for x in &mut l.persons {
        x.id = remap(x.id);
    }
    for c in &mut l.certificates {
        c.person_id = remap(c.person_id);
    }
    for t in &mut l.trainings {
        t.person_id = remap(t.person_id);
    }
    let dense: Vec<(Rule, Vec<RecordRef>)> = found(&busy_ledger(), "2024-06-30")
        .into_iter()
        .map(|f| (f.rule, f.records[1..].to_vec()))
        .collect();
    let sparse: Vec<(Rule, Vec<RecordRef>)> = found(&l, "2024-06-30")
        .into_iter()
        .map(|f| (f.rule, f.records[1..].to_vec()))
        .collect();
    assert_eq!(dense, sparse);
}
