//! Boundary tests of the checks on training and exam records: each rule at the minute, the
//! second, the day or the count where it starts to fire, and the shapes that must not.

use super::records::*;
use super::{Finding, RecordId, RecordRef, Rule};
use crate::params::Params;
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use std::collections::BTreeSet;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn mins(m: i64) -> TimeDelta {
    TimeDelta::minutes(m)
}

fn subject(id: RecordId, side: Side) -> SubjectFacts {
    SubjectFacts {
        id,
        name: format!("单位{id}"),
        side,
    }
}

fn class(id: RecordId, subject_id: RecordId, hours: f64) -> ClassFacts {
    ClassFacts {
        id,
        subject_id,
        code: format!("B-{id}"),
        course_type: "安全管理人员初训".into(),
        syllabus_hours: hours,
        start_on: date("2024-03-01"),
        end_on: date("2024-03-10"),
        capacity: 50,
        venue_capacity: None,
    }
}

fn session(id: RecordId, c: &ClassFacts, start: &str, minutes: i64) -> ClassSessionFacts {
    ClassSessionFacts {
        id,
        subject_id: c.subject_id,
        class_id: c.id,
        seq: id,
        start: at(start),
        end: at(start) + mins(minutes),
        teacher_id: None,
        online: false,
    }
}

fn teacher(id: RecordId, subject_id: RecordId, key: &str) -> TeacherFacts {
    TeacherFacts {
        id,
        subject_id,
        name: format!("教师{id}"),
        id_masked: format!("1101**********{id:04}"),
        id_key: key.into(),
        phone_key: None,
    }
}

fn trainee(id: RecordId, c: &ClassFacts, key: &str) -> TraineeFacts {
    TraineeFacts {
        id,
        subject_id: c.subject_id,
        class_id: c.id,
        name: format!("学员{id}"),
        id_masked: format!("1101**********{id:04}"),
        id_key: key.into(),
        score: None,
    }
}

/// Present for the whole session.
fn present(s: &ClassSessionFacts, trainee_id: RecordId) -> AttendanceFacts {
    AttendanceFacts {
        session_id: s.id,
        trainee_id,
        sign_in: Some(s.start),
        sign_out: Some(s.end),
    }
}

fn exam(id: RecordId, subject_id: RecordId, start: &str, minutes: i64) -> ExamSessionFacts {
    ExamSessionFacts {
        id,
        subject_id,
        plan_id: None,
        site_id: subject_id,
        room: "第一考场".into(),
        started_at: at(start),
        ended_at: at(start) + mins(minutes),
        national_system: true,
        category: "低压电工作业".into(),
        high_risk_manager: false,
    }
}

fn plan_for(id: RecordId, s: &ExamSessionFacts) -> ExamPlanFacts {
    ExamPlanFacts {
        id,
        subject_id: s.subject_id,
        site_id: s.site_id,
        starts_at: s.started_at,
        ends_at: s.ended_at,
        category: s.category.clone(),
    }
}

fn staff(id: RecordId, s: &ExamSessionFacts, key: &str, role: StaffRole) -> ExamStaffFacts {
    ExamStaffFacts {
        id,
        session_id: s.id,
        subject_id: s.subject_id,
        name: format!("考务{id}"),
        id_masked: format!("1101**********{id:04}"),
        id_key: key.into(),
        role,
        present_from: Some(s.started_at),
        present_to: Some(s.ended_at),
    }
}

fn credential(
    id: RecordId,
    subject_id: RecordId,
    key: &str,
    role: StaffRole,
    from: &str,
    until: &str,
) -> CredentialFacts {
    CredentialFacts {
        id,
        subject_id,
        name: format!("持证人{id}"),
        id_masked: format!("1101**********{id:04}"),
        id_key: key.into(),
        phone_key: None,
        role,
        number: format!("Z{id}"),
        valid_from: date(from),
        valid_until: date(until),
    }
}

fn candidate(id: RecordId, session_id: RecordId, passed: bool) -> CandidateFacts {
    CandidateFacts {
        id,
        session_id,
        id_key: format!("C{id}"),
        score: None,
        passed,
    }
}

fn video(id: RecordId, session_id: RecordId, secs: i64) -> VideoFacts {
    VideoFacts {
        id,
        session_id,
        file_name: format!("v{id}.mp4"),
        duration_secs: secs,
        deleted_on: None,
    }
}

fn ledger_person(id: RecordId, subject_id: RecordId, key: &str) -> StaffPersonFacts {
    StaffPersonFacts {
        id,
        subject_id,
        name: format!("职员{id}"),
        id_masked: format!("1101**********{id:04}"),
        id_key: key.into(),
        phone_key: None,
    }
}

fn scan(r: &Records, d: &str) -> Vec<Finding> {
    scan_records(r, date(d), &Params::default())
}

fn fired(r: &Records, d: &str, rule: Rule) -> Vec<Finding> {
    scan(r, d).into_iter().filter(|f| f.rule == rule).collect()
}

fn fires(r: &Records, d: &str, rule: Rule) -> bool {
    !fired(r, d, rule).is_empty()
}

/// Whether `rule` fires as of the day before, the day of and the day after `day`.
fn around(r: &Records, day: &str, rule: Rule) -> [bool; 3] {
    let d = date(day);
    [d.pred_opt().unwrap(), d, d.succ_opt().unwrap()].map(|x| fires(r, &x.to_string(), rule))
}

const D: &str = "2024-06-30";

// ----- CLASS_HOURS_SHORT ----------------------------------------------------------------

/// A class of 4 学时 with one offline session of `minutes` and one trainee present
/// throughout.
fn one_session_class(minutes: i64, online: bool) -> Records {
    let c = class(1, 10, 4.0);
    let mut s = session(1, &c, "2024-03-01 09:00", minutes);
    s.online = online;
    Records {
        subjects: vec![subject(10, Side::Training)],
        trainees: vec![trainee(1, &c, "K1")],
        attendance: vec![present(&s, 1)],
        classes: vec![c],
        class_sessions: vec![s],
        ..Records::default()
    }
}

#[test]
fn scheduled_hours_equal_to_the_syllabus_pass_and_one_minute_less_is_short() {
    // 4 学时 × 45 minutes offline, × 30 online.
    assert!(!fires(
        &one_session_class(180, false),
        D,
        Rule::ClassHoursShort
    ));
    assert!(!fires(
        &one_session_class(120, true),
        D,
        Rule::ClassHoursShort
    ));
    let short = fired(&one_session_class(179, false), D, Rule::ClassHoursShort);
    let class_finding = short.iter().find(|f| f.who.is_none()).unwrap();
    assert_eq!(class_finding.records, vec![RecordRef::Class(1)]);
    assert_eq!(class_finding.subject_id, 10);
    assert!(
        class_finding.detail.contains("B-1"),
        "{}",
        class_finding.detail
    );
    assert!(
        class_finding.detail.contains("大纲学时 4 学时"),
        "{}",
        class_finding.detail
    );
    assert!(fires(
        &one_session_class(119, true),
        D,
        Rule::ClassHoursShort
    ));
}

#[test]
fn a_class_is_checked_from_its_start_date_and_its_trainees_from_its_end_date() {
    let mut r = one_session_class(179, false);
    r.attendance.clear();
    let class_only = |d: &str| {
        fired(&r, d, Rule::ClassHoursShort)
            .iter()
            .map(|f| f.records.len())
            .collect::<Vec<_>>()
    };
    assert_eq!(class_only("2024-02-29"), Vec::<usize>::new());
    assert_eq!(class_only("2024-03-01"), vec![1]);
    assert_eq!(class_only("2024-03-09"), vec![1]);
    assert_eq!(class_only("2024-03-10"), vec![1, 2]);
}

#[test]
fn a_trainee_present_throughout_passes_and_one_minute_missing_is_short() {
    let r = one_session_class(180, false);
    assert!(!fires(&r, D, Rule::ClassHoursShort));
    let mut left_early = r.clone();
    left_early.attendance[0].sign_out = Some(at("2024-03-01 11:59"));
    let found = fired(&left_early, D, Rule::ClassHoursShort);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].records,
        vec![RecordRef::Class(1), RecordRef::Trainee(1)]
    );
    assert_eq!(found[0].who.as_ref().unwrap().name, "学员1");
    // Signing in early and out late counts only the session's own time.
    let mut wide = r.clone();
    wide.attendance[0].sign_in = Some(at("2024-03-01 08:00"));
    wide.attendance[0].sign_out = Some(at("2024-03-01 13:00"));
    assert!(!fires(&wide, D, Rule::ClassHoursShort));
    let mut late = wide.clone();
    late.attendance[0].sign_in = Some(at("2024-03-01 09:01"));
    assert!(fires(&late, D, Rule::ClassHoursShort));
    let mut no_sign_out = r.clone();
    no_sign_out.attendance[0].sign_out = None;
    assert!(fires(&no_sign_out, D, Rule::ClassHoursShort));
    let mut absent = r;
    absent.attendance.clear();
    assert_eq!(fired(&absent, D, Rule::ClassHoursShort).len(), 1);
}

// ----- CLASS_OVER_CAPACITY --------------------------------------------------------------

fn class_of(n: RecordId, capacity: i64, venue: Option<i64>) -> Records {
    let mut c = class(1, 10, 1.0);
    c.capacity = capacity;
    c.venue_capacity = venue;
    let s = session(1, &c, "2024-03-01 09:00", 45);
    let trainees: Vec<_> = (1..=n).map(|i| trainee(i, &c, &format!("K{i}"))).collect();
    Records {
        attendance: trainees.iter().map(|t| present(&s, t.id)).collect(),
        trainees,
        classes: vec![c],
        class_sessions: vec![s],
        ..Records::default()
    }
}

#[test]
fn a_roster_at_capacity_passes_and_one_more_is_over() {
    assert!(!fires(&class_of(30, 30, None), D, Rule::ClassOverCapacity));
    let over = fired(&class_of(31, 30, None), D, Rule::ClassOverCapacity);
    assert_eq!(over.len(), 1);
    assert_eq!(over[0].records, vec![RecordRef::Class(1)]);
    assert!(over[0].detail.contains("花名册 31 人，超过核定人数 30 人"));
    assert!(!fires(
        &class_of(30, 40, Some(30)),
        D,
        Rule::ClassOverCapacity
    ));
    assert!(fires(
        &class_of(31, 40, Some(30)),
        D,
        Rule::ClassOverCapacity
    ));
}

#[test]
fn sign_ins_beyond_the_venue_count_for_offline_sessions_only() {
    // The roster fits the venue; the session has a guest signed in from another class.
    let mut r = class_of(30, 40, Some(30));
    let other = class(2, 10, 1.0);
    r.trainees.push(trainee(99, &other, "K99"));
    r.classes.push(other);
    assert!(!fires(&r, D, Rule::ClassOverCapacity));
    let s = r.class_sessions[0].clone();
    r.attendance.push(present(&s, 99));
    let over = fired(&r, D, Rule::ClassOverCapacity);
    assert_eq!(over.len(), 1);
    assert!(
        over[0].detail.contains("签到 31 人，超过场地容量 30 人"),
        "{}",
        over[0].detail
    );
    // Signing in twice is still one person; no sign-in is nobody.
    let mut twice = class_of(30, 40, Some(30));
    let again = twice.attendance[0].clone();
    twice.attendance.push(again);
    twice
        .trainees
        .push(trainee(31, &twice.classes[0].clone(), "K31"));
    twice.classes[0].capacity = 40;
    twice.classes[0].venue_capacity = Some(31);
    assert!(!fires(&twice, D, Rule::ClassOverCapacity));
    let mut online = r.clone();
    online.class_sessions[0].online = true;
    assert!(!fires(&online, D, Rule::ClassOverCapacity));
}

// ----- TEACHER_DOUBLE_BOOKED, TRAINEE_DOUBLE_BOOKED -------------------------------------

/// Two classes of two institutions; their sessions start at 09:00 and at `second`.
fn two_classes(second: &str) -> Records {
    let (a, b) = (class(1, 10, 1.0), class(2, 20, 1.0));
    let mut s1 = session(1, &a, "2024-03-01 09:00", 60);
    let mut s2 = session(2, &b, second, 60);
    s1.teacher_id = Some(1);
    s2.teacher_id = Some(2);
    Records {
        subjects: vec![subject(10, Side::Training), subject(20, Side::Training)],
        // The same person teaching for both: two teacher rows, one ID key.
        teachers: vec![teacher(1, 10, "T"), teacher(2, 20, "T")],
        classes: vec![a, b],
        class_sessions: vec![s1, s2],
        ..Records::default()
    }
}

#[test]
fn a_teacher_s_sessions_end_to_start_are_fine_and_one_minute_of_overlap_is_not() {
    assert!(!fires(
        &two_classes("2024-03-01 10:00"),
        D,
        Rule::TeacherDoubleBooked
    ));
    let found = fired(
        &two_classes("2024-03-01 09:59"),
        D,
        Rule::TeacherDoubleBooked,
    );
    assert_eq!(found.len(), 2, "one for each institution");
    let both = vec![RecordRef::ClassSession(1), RecordRef::ClassSession(2)];
    assert_eq!(found[0].subject_id, 10);
    assert_eq!(found[1].subject_id, 20);
    assert!(found.iter().all(|f| f.records == both));
    assert_eq!(found[0].who.as_ref().unwrap().name, "教师1");
    assert_eq!(found[1].who.as_ref().unwrap().name, "教师2");
    assert!(
        found[0].detail.contains("2024-03-01 09:59"),
        "{}",
        found[0].detail
    );
    // Starting before and ending after the other is an overlap too.
    let mut inside = two_classes("2024-03-01 09:10");
    inside.class_sessions[1].end = at("2024-03-01 09:20");
    assert_eq!(fired(&inside, D, Rule::TeacherDoubleBooked).len(), 2);
}

#[test]
fn different_teachers_or_one_institution_give_what_the_definition_says() {
    let mut others = two_classes("2024-03-01 09:30");
    others.teachers[1].id_key = "U".into();
    assert!(!fires(&others, D, Rule::TeacherDoubleBooked));
    let mut same = two_classes("2024-03-01 09:30");
    same.classes[1].subject_id = 10;
    same.class_sessions[1].subject_id = 10;
    same.class_sessions[1].teacher_id = Some(1);
    let found = fired(&same, D, Rule::TeacherDoubleBooked);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].subject_id, 10);
}

/// `two_classes` with a trainee in each class, the same person, signed in at both.
fn trainee_in_both(second: &str) -> Records {
    let mut r = two_classes(second);
    r.teachers.clear();
    let (a, b) = (r.classes[0].clone(), r.classes[1].clone());
    r.trainees = vec![trainee(1, &a, "P"), trainee(2, &b, "P")];
    r.attendance = vec![
        present(&r.class_sessions[0], 1),
        present(&r.class_sessions[1], 2),
    ];
    r
}

#[test]
fn a_trainee_signed_in_at_sessions_end_to_start_is_fine_and_one_minute_of_overlap_is_not() {
    assert!(!fires(
        &trainee_in_both("2024-03-01 10:00"),
        D,
        Rule::TraineeDoubleBooked
    ));
    let found = fired(
        &trainee_in_both("2024-03-01 09:59"),
        D,
        Rule::TraineeDoubleBooked,
    );
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].who.as_ref().unwrap().name, "学员1");
    assert_eq!(found[1].who.as_ref().unwrap().name, "学员2");
    assert!(found
        .iter()
        .all(|f| f.records == vec![RecordRef::ClassSession(1), RecordRef::ClassSession(2)]));
    // On the roster but not signed in: no double booking.
    let mut not_signed = trainee_in_both("2024-03-01 09:59");
    not_signed.attendance[1].sign_in = None;
    assert!(!fires(&not_signed, D, Rule::TraineeDoubleBooked));
    let mut other = trainee_in_both("2024-03-01 09:59");
    other.trainees[1].id_key = "Q".into();
    assert!(!fires(&other, D, Rule::TraineeDoubleBooked));
}

#[test]
fn a_pair_of_sessions_gives_one_finding_per_institution_naming_every_trainee() {
    let mut r = trainee_in_both("2024-03-01 09:30");
    let (a, b) = (r.classes[0].clone(), r.classes[1].clone());
    r.trainees
        .extend([trainee(3, &a, "R"), trainee(4, &b, "R")]);
    r.attendance.push(present(&r.class_sessions[0].clone(), 3));
    r.attendance.push(present(&r.class_sessions[1].clone(), 4));
    let found = fired(&r, D, Rule::TraineeDoubleBooked);
    assert_eq!(found.len(), 2);
    assert!(
        found[0].detail.contains("学员1、学员3"),
        "{}",
        found[0].detail
    );
    assert!(
        found[1].detail.contains("学员2、学员4"),
        "{}",
        found[1].detail
    );
}

// ----- UNIFORM_SCORES -------------------------------------------------------------------

fn scored_class(scores: &[f64]) -> Records {
    let c = class(1, 10, 1.0);
    let trainees = scores
        .iter()
        .enumerate()
        .map(|(i, &x)| TraineeFacts {
            score: Some(x),
            ..trainee(i as RecordId + 1, &c, &format!("K{i}"))
        })
        .collect();
    Records {
        classes: vec![c],
        trainees,
        ..Records::default()
    }
}

#[test]
fn uniform_scores_need_the_minimum_count() {
    assert!(!fires(&scored_class(&[100.0; 9]), D, Rule::UniformScores));
    let found = fired(&scored_class(&[100.0; 10]), D, Rule::UniformScores);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].records, vec![RecordRef::Class(1)]);
    assert!(found[0].detail.contains("满分"), "{}", found[0].detail);
    assert!(fires(&scored_class(&[60.0; 10]), D, Rule::UniformScores));
    // Trainees without a score do not count towards the minimum.
    let mut nine = scored_class(&[100.0; 10]);
    nine.trainees[0].score = None;
    assert!(!fires(&nine, D, Rule::UniformScores));
}

#[test]
fn a_standard_deviation_of_exactly_the_threshold_is_not_uniform_and_just_below_is() {
    let spread = |half: f64| {
        let mut s = vec![80.0 - half; 5];
        s.extend([80.0 + half; 5]);
        scored_class(&s)
    };
    // Population sd = half.
    assert!(!fires(&spread(1.0), D, Rule::UniformScores));
    assert!(fires(&spread(0.999), D, Rule::UniformScores));
    assert!(!fires(&spread(10.0), D, Rule::UniformScores));
}

#[test]
fn an_exam_session_with_uniform_candidate_scores_fires() {
    let s = exam(1, 30, "2024-03-01 09:00", 120);
    let candidates = (1..=10)
        .map(|i| CandidateFacts {
            score: Some(95.0),
            ..candidate(i, 1, true)
        })
        .collect();
    let r = Records {
        exam_sessions: vec![s],
        videos: vec![video(1, 1, 7200)],
        candidates,
        ..Records::default()
    };
    let found = fired(&r, D, Rule::UniformScores);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].records, vec![RecordRef::ExamSession(1)]);
    assert_eq!(found[0].subject_id, 30);
    let mut varied = r.clone();
    varied.candidates[0].score = Some(60.0);
    assert!(!fires(&varied, D, Rule::UniformScores));
}

// ----- exam sessions --------------------------------------------------------------------

/// A session of 2 hours on 2024-03-01 with its plan and a full recording.
fn planned() -> Records {
    let mut s = exam(1, 30, "2024-03-01 09:00", 120);
    let plan = plan_for(5, &s);
    s.plan_id = Some(5);
    Records {
        subjects: vec![subject(30, Side::ExamSite)],
        plans: vec![plan],
        exam_sessions: vec![s],
        videos: vec![video(1, 1, 7200)],
        ..Records::default()
    }
}

#[test]
fn a_session_exactly_within_its_plan_passes_and_a_minute_outside_does_not() {
    assert!(scan(&planned(), D).is_empty());
    let mut early = planned();
    early.plans[0].starts_at += mins(1);
    let found = fired(&early, D, Rule::ExamOutsidePlan);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].records,
        vec![RecordRef::ExamPlan(5), RecordRef::ExamSession(1)]
    );
    assert!(found[0]
        .detail
        .contains("早于计划开始时间 2024-03-01 09:01"));
    let mut late = planned();
    late.plans[0].ends_at -= mins(1);
    assert!(fires(&late, D, Rule::ExamOutsidePlan));
    let mut elsewhere = planned();
    elsewhere.plans[0].site_id = 31;
    assert!(fired(&elsewhere, D, Rule::ExamOutsidePlan)[0]
        .detail
        .contains("考试点"));
}

#[test]
fn a_session_without_a_plan_or_with_an_unknown_one_is_outside_any_plan() {
    let mut none = planned();
    none.exam_sessions[0].plan_id = None;
    let found = fired(&none, D, Rule::ExamOutsidePlan);
    assert_eq!(found[0].records, vec![RecordRef::ExamSession(1)]);
    assert_eq!(
        around(&none, "2024-03-01", Rule::ExamOutsidePlan),
        [false, true, true]
    );
    let mut unknown = planned();
    unknown.plans.clear();
    let found = fired(&unknown, D, Rule::ExamOutsidePlan);
    assert_eq!(found[0].records, vec![RecordRef::ExamSession(1)]);
    assert!(found[0].detail.contains("不存在"));
}

#[test]
fn a_held_session_without_any_recording_fires_from_its_day() {
    let mut r = planned();
    r.videos.clear();
    assert_eq!(
        around(&r, "2024-03-01", Rule::ExamVideoMissing),
        [false, true, true]
    );
    assert_eq!(
        fired(&r, D, Rule::ExamVideoMissing)[0].records,
        vec![RecordRef::ExamSession(1)]
    );
    assert!(!fires(&r, D, Rule::ExamVideoShort));
}

#[test]
fn recordings_short_by_the_tolerance_pass_and_one_second_more_do_not() {
    // 7200 s; two recordings, one of them since deleted, still count.
    let with = |a: i64, b: i64| {
        let mut r = planned();
        r.videos = vec![video(1, 1, a), video(2, 1, b)];
        r.videos[1].deleted_on = Some(date("2030-01-01"));
        r
    };
    assert!(!fires(&with(3600, 3540), D, Rule::ExamVideoShort));
    let found = fired(&with(3600, 3539), D, Rule::ExamVideoShort);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].records, vec![RecordRef::ExamSession(1)]);
    assert!(
        found[0].detail.contains("合计仅 1 小时 58 分 59 秒"),
        "{}",
        found[0].detail
    );
}

#[test]
fn a_recording_deleted_on_the_end_of_retention_is_fine_and_the_day_before_is_not() {
    let deleted = |on: &str, start: &str| {
        let mut r = planned();
        r.exam_sessions[0].started_at = at(start);
        r.exam_sessions[0].ended_at = at(start) + mins(120);
        r.plans.clear();
        r.exam_sessions[0].plan_id = None;
        r.videos[0].deleted_on = Some(date(on));
        fired(&r, "2030-01-01", Rule::ExamVideoRetention)
    };
    assert!(deleted("2024-03-01", "2021-03-01 09:00").is_empty());
    let found = deleted("2024-02-29", "2021-03-01 09:00");
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].records,
        vec![RecordRef::ExamSession(1), RecordRef::Video(1)]
    );
    assert!(
        found[0].detail.contains("2024-03-01"),
        "{}",
        found[0].detail
    );
    // From 29 February the third anniversary is 28 February.
    assert!(deleted("2023-02-28", "2020-02-29 09:00").is_empty());
    assert_eq!(deleted("2023-02-27", "2020-02-29 09:00").len(), 1);
}

#[test]
fn high_risk_managers_examined_on_paper_fire_from_the_session_s_day() {
    let mut r = planned();
    r.exam_sessions[0].high_risk_manager = true;
    assert!(!fires(&r, D, Rule::HighRiskPaperExam));
    r.exam_sessions[0].national_system = false;
    assert_eq!(
        around(&r, "2024-03-01", Rule::HighRiskPaperExam),
        [false, true, true]
    );
    r.exam_sessions[0].high_risk_manager = false;
    assert!(!fires(&r, D, Rule::HighRiskPaperExam));
}

// ----- exam staff -----------------------------------------------------------------------

/// `planned` with a proctor holding a 监考员证 of another site valid `from` to `until`.
fn proctored(from: &str, until: &str) -> Records {
    let mut r = planned();
    let s = r.exam_sessions[0].clone();
    r.exam_staff = vec![staff(1, &s, "X", StaffRole::Proctor)];
    r.credentials = vec![credential(1, 40, "X", StaffRole::Proctor, from, until)];
    r
}

#[test]
fn a_credential_valid_on_the_exam_day_is_enough_and_one_day_short_is_not() {
    assert!(scan(&proctored("2024-03-01", "2024-03-01"), D).is_empty());
    let expired = fired(
        &proctored("2021-03-01", "2024-02-29"),
        D,
        Rule::ProctorNoCredential,
    );
    assert_eq!(expired.len(), 1);
    assert_eq!(
        expired[0].records,
        vec![RecordRef::ExamSession(1), RecordRef::ExamStaff(1)]
    );
    assert_eq!(expired[0].who.as_ref().unwrap().name, "考务1");
    assert!(
        expired[0].detail.contains("2024-02-29"),
        "{}",
        expired[0].detail
    );
    assert!(fires(
        &proctored("2024-03-02", "2027-03-01"),
        D,
        Rule::ProctorNoCredential
    ));
    let mut other_role = proctored("2024-03-01", "2027-03-01");
    other_role.credentials[0].role = StaffRole::Examiner;
    assert!(fires(&other_role, D, Rule::ProctorNoCredential));
    let mut other_person = proctored("2024-03-01", "2027-03-01");
    other_person.credentials[0].id_key = "Y".into();
    assert!(fires(&other_person, D, Rule::ProctorNoCredential));
    // Not checked before the session's day.
    assert!(!fires(
        &other_person,
        "2024-02-29",
        Rule::ProctorNoCredential
    ));
}

#[test]
fn staff_present_from_start_to_end_pass_and_a_minute_late_or_early_does_not() {
    let r = proctored("2024-01-01", "2026-01-01");
    assert!(!fires(&r, D, Rule::ProctorAbsent));
    let mut late = r.clone();
    late.exam_staff[0].present_from = Some(at("2024-03-01 09:01"));
    let found = fired(&late, D, Rule::ProctorAbsent);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].records,
        vec![RecordRef::ExamSession(1), RecordRef::ExamStaff(1)]
    );
    let mut early = r.clone();
    early.exam_staff[0].present_to = Some(at("2024-03-01 10:59"));
    assert!(fires(&early, D, Rule::ProctorAbsent));
    let mut unrecorded = r.clone();
    unrecorded.exam_staff[0].present_to = None;
    assert!(fired(&unrecorded, D, Rule::ProctorAbsent)[0]
        .detail
        .contains("未登记离场时间"));
    let mut longer = r;
    longer.exam_staff[0].present_from = Some(at("2024-03-01 08:00"));
    longer.exam_staff[0].present_to = Some(at("2024-03-01 12:00"));
    assert!(!fires(&longer, D, Rule::ProctorAbsent));
}

// ----- STAFF_CONFLICT -------------------------------------------------------------------

/// An exam site (30) whose 监考员证 holder is also a teacher (of 10) with key `teacher_key`.
fn conflict(teacher_key: &str) -> Records {
    Records {
        subjects: vec![subject(10, Side::Training), subject(30, Side::ExamSite)],
        credentials: vec![credential(
            1,
            30,
            "X",
            StaffRole::Proctor,
            "2024-01-01",
            "2026-01-01",
        )],
        teachers: vec![teacher(7, 10, teacher_key)],
        ..Records::default()
    }
}

#[test]
fn an_exam_site_s_credential_holder_who_teaches_is_a_confirmed_conflict_on_both_sides() {
    assert!(!fires(&conflict("Y"), D, Rule::StaffConflict));
    let found = fired(&conflict("X"), D, Rule::StaffConflict);
    assert_eq!(found.len(), 2);
    let (training, site) = (&found[0], &found[1]);
    assert_eq!(training.subject_id, 10);
    assert_eq!(site.subject_id, 30);
    assert_eq!(
        site.records,
        vec![
            RecordRef::Teacher(7),
            RecordRef::Credential(1),
            RecordRef::Subject(10)
        ]
    );
    assert_eq!(
        training.records,
        vec![
            RecordRef::Teacher(7),
            RecordRef::Credential(1),
            RecordRef::Subject(30)
        ]
    );
    assert_eq!(site.who.as_ref().unwrap().name, "持证人1");
    assert_eq!(training.who, site.who);
    assert!(site.detail.contains("「单位10」"), "{}", site.detail);
    assert!(
        site.detail.contains("身份证号相同（确认）"),
        "{}",
        site.detail
    );
    assert!(
        training.detail.contains("考试点「单位30」"),
        "{}",
        training.detail
    );
}

#[test]
fn a_shared_phone_under_another_id_is_a_suspected_conflict() {
    let mut r = conflict("Y");
    r.credentials[0].phone_key = Some("138".into());
    assert!(!fires(&r, D, Rule::StaffConflict));
    r.teachers[0].phone_key = Some("138".into());
    let found = fired(&r, D, Rule::StaffConflict);
    assert_eq!(found.len(), 2);
    assert!(found
        .iter()
        .all(|f| f.detail.contains("联系电话相同（疑似）")));
    // Confirmed wins over suspected for the same pair.
    r.training_staff = vec![ledger_person(8, 10, "X")];
    let found = fired(&r, D, Rule::StaffConflict);
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|f| f.detail.contains("（确认）")));
    assert!(found[0].records.contains(&RecordRef::Person(8)));
}

#[test]
fn one_person_gives_one_conflict_per_pair_of_subjects_and_exam_staff_count_too() {
    let mut r = conflict("X");
    r.credentials.push(credential(
        2,
        30,
        "X",
        StaffRole::Examiner,
        "2024-01-01",
        "2026-01-01",
    ));
    let s = exam(1, 30, "2024-03-01 09:00", 60);
    r.exam_staff = vec![staff(3, &s, "X", StaffRole::Patrol)];
    r.training_staff = vec![ledger_person(8, 10, "X")];
    let found = fired(&r, D, Rule::StaffConflict);
    assert_eq!(found.len(), 2);
    assert_eq!(
        found[1].records,
        vec![
            RecordRef::Person(8),
            RecordRef::Teacher(7),
            RecordRef::ExamStaff(3),
            RecordRef::Credential(1),
            RecordRef::Credential(2),
            RecordRef::Subject(10)
        ]
    );
    // The credentials of training institutions are no exam side.
    let mut training_side = conflict("X");
    training_side.subjects[1].side = Side::Training;
    assert!(!fires(&training_side, D, Rule::StaffConflict));
}

// ----- FACILITY_INSPECTION_EXPIRED ------------------------------------------------------

#[test]
fn equipment_is_expired_the_day_after_its_certificate_s_last_day() {
    let r = Records {
        equipment: vec![EquipmentFacts {
            id: 1,
            subject_id: 30,
            name: "身份证阅读器".into(),
            cert_number: "J-1".into(),
            valid_until: date("2024-06-29"),
        }],
        ..Records::default()
    };
    assert_eq!(
        around(&r, D, Rule::FacilityInspectionExpired),
        [false, true, true]
    );
    let found = fired(&r, D, Rule::FacilityInspectionExpired);
    assert_eq!(found[0].records, vec![RecordRef::Equipment(1)]);
    assert!(found[0].detail.contains("已过期 1 天"));
}

// ----- PASS_RATE_ANOMALY ----------------------------------------------------------------

/// Sessions on 2024-03-01: unit 1 (its own site) with `x1` of `n1` passing, unit 2 with
/// `x0` of `n0`.
fn rates(n1: i64, x1: i64, n0: i64, x0: i64) -> Records {
    let (mut a, mut b) = (
        exam(1, 1, "2024-03-01 09:00", 60),
        exam(2, 2, "2024-03-01 09:00", 60),
    );
    a.site_id = 1;
    b.site_id = 2;
    let mut candidates: Vec<_> = (0..n1).map(|i| candidate(i, 1, i < x1)).collect();
    candidates.extend((0..n0).map(|i| candidate(10_000 + i, 2, i < x0)));
    Records {
        exam_sessions: vec![a, b],
        candidates,
        ..Records::default()
    }
}

#[test]
fn pass_rates_need_the_minimum_sample_on_both_sides() {
    assert!(!fires(&rates(29, 29, 30, 0), D, Rule::PassRateAnomaly));
    assert!(!fires(&rates(30, 30, 29, 0), D, Rule::PassRateAnomaly));
    let found = fired(&rates(30, 30, 30, 0), D, Rule::PassRateAnomaly);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].subject_id, 1);
    assert_eq!(found[0].topic.as_deref(), Some("低压电工作业"));
    assert!(found[0].records.is_empty());
    assert_eq!(found[0].key(), "PASS_RATE_ANOMALY:s1:低压电工作业");
    assert!(
        found[0].detail.contains("通过率 100.0%"),
        "{}",
        found[0].detail
    );
    assert!(found[0].detail.contains("z = 7.75"), "{}", found[0].detail);
}

#[test]
fn a_gap_just_under_the_minimum_does_not_fire_and_the_minimum_does() {
    assert!(fires(
        &rates(1000, 600, 1000, 400),
        D,
        Rule::PassRateAnomaly
    ));
    assert!(!fires(
        &rates(1000, 599, 1000, 400),
        D,
        Rule::PassRateAnomaly
    ));
}

#[test]
fn the_z_statistic_must_reach_the_critical_value() {
    // p1 = 1/2, p0 = 1/4 on 40 each: z = 0.25 / √(0.375 × 0.625 × 0.05) ≈ 2.3094.
    let r = rates(40, 20, 40, 10);
    let z = 0.25 / (0.375f64 * 0.625 * 0.05).sqrt();
    let with_z = |crit: f64| {
        let p = Params {
            pass_rate_z: crit,
            ..Params::default()
        };
        scan_records(&r, date(D), &p)
            .iter()
            .any(|f| f.rule == Rule::PassRateAnomaly)
    };
    assert!(with_z(z - 1e-9));
    assert!(!with_z(z + 1e-9));
    assert!(!with_z(3.09));
}

#[test]
fn pass_rates_count_the_year_before_d_and_training_institutions_by_trainee() {
    let r = rates(30, 30, 30, 0);
    // 2024-03-01 is in (D − 1 year, D] from 2024-03-01 until 2025-02-28.
    assert_eq!(
        around(&r, "2024-03-01", Rule::PassRateAnomaly),
        [false, true, true]
    );
    assert_eq!(
        around(&r, "2025-03-01", Rule::PassRateAnomaly),
        [true, false, false]
    );
    // A training institution whose trainees are unit 1's candidates is a unit as well.
    let mut trained = r.clone();
    let c = class(1, 50, 1.0);
    trained.trainees = (0..30)
        .map(|i| trainee(i + 1, &c, &format!("C{i}")))
        .collect();
    trained.classes = vec![c];
    let units: Vec<RecordId> = fired(&trained, D, Rule::PassRateAnomaly)
        .iter()
        .map(|f| f.subject_id)
        .collect();
    assert_eq!(units, vec![1, 50]);
}

// ----- the whole ------------------------------------------------------------------------

/// Records on which every one of the fifteen checks fires.
fn everything() -> Records {
    let mut r = Records::default();
    for mut part in [
        one_session_class(179, false),
        two_classes("2024-03-01 09:30"),
        trainee_in_both("2024-03-01 09:30"),
        scored_class(&[100.0; 10]),
        class_of(31, 30, Some(30)),
        proctored("2021-03-01", "2024-02-29"),
        other_conflict(),
        rates(30, 30, 30, 0),
    ] {
        // Move each part's ids apart so the parts do not collide.
        let k = 100_000 * (r.classes.len() as RecordId + r.exam_sessions.len() as RecordId + 1);
        shift_ids(&mut part, k);
        extend(&mut r, part);
    }
    r.exam_sessions[0].high_risk_manager = true;
    r.exam_sessions[0].national_system = false;
    r.exam_sessions[0].plan_id = None;
    r.exam_staff[0].present_to = None;
    r.videos[0].duration_secs = 60;
    r.videos.push(VideoFacts {
        deleted_on: Some(date("2024-03-02")),
        ..video(999_999, r.exam_sessions[0].id, 0)
    });
    r.equipment.push(EquipmentFacts {
        id: 1,
        subject_id: 30,
        name: "摄像头".into(),
        cert_number: "J-1".into(),
        valid_until: date("2024-01-01"),
    });
    r.exam_sessions.push(exam(77, 30, "2024-03-01 09:00", 60));
    r
}

/// `conflict` of another person (so that his credential does not cover `proctored`).
fn other_conflict() -> Records {
    let mut r = conflict("Z");
    r.credentials[0].id_key = "Z".into();
    r
}

fn shift_ids(r: &mut Records, k: RecordId) {
    for x in &mut r.classes {
        x.id += k;
    }
    for x in &mut r.class_sessions {
        x.id += k;
        x.class_id += k;
        x.teacher_id = x.teacher_id.map(|t| t + k);
    }
    for x in &mut r.teachers {
        x.id += k;
    }
    for x in &mut r.trainees {
        x.id += k;
        x.class_id += k;
    }
    for x in &mut r.attendance {
        x.session_id += k;
        x.trainee_id += k;
    }
    for x in &mut r.plans {
        x.id += k;
    }
    for x in &mut r.exam_sessions {
        x.id += k;
        x.plan_id = x.plan_id.map(|p| p + k);
    }
    for x in &mut r.exam_staff {
        x.id += k;
        x.session_id += k;
    }
    for x in &mut r.candidates {
        x.id += k;
        x.session_id += k;
    }
    for x in &mut r.videos {
        x.id += k;
        x.session_id += k;
    }
    for x in &mut r.credentials {
        x.id += k;
    }
}

fn extend(r: &mut Records, p: Records) {
    for s in p.subjects {
        if !r.subjects.iter().any(|x| x.id == s.id) {
            r.subjects.push(s);
        }
    }
    r.classes.extend(p.classes);
    r.class_sessions.extend(p.class_sessions);
    r.teachers.extend(p.teachers);
    r.trainees.extend(p.trainees);
    r.attendance.extend(p.attendance);
    r.plans.extend(p.plans);
    r.exam_sessions.extend(p.exam_sessions);
    r.exam_staff.extend(p.exam_staff);
    r.candidates.extend(p.candidates);
    r.videos.extend(p.videos);
    r.credentials.extend(p.credentials);
    r.equipment.extend(p.equipment);
    r.training_staff.extend(p.training_staff);
}

fn reversed(r: &Records) -> Records {
    let mut r = r.clone();
    r.subjects.reverse();
    r.classes.reverse();
    r.class_sessions.reverse();
    r.teachers.reverse();
    r.trainees.reverse();
    r.attendance.reverse();
    r.plans.reverse();
    r.exam_sessions.reverse();
    r.exam_staff.reverse();
    r.candidates.reverse();
    r.videos.reverse();
    r.credentials.reverse();
    r.equipment.reverse();
    r.training_staff.reverse();
    r
}

/// Sorted by (subject, rule, records, topic), one finding per key, records sorted.
fn well_formed(found: &[Finding]) -> Result<(), String> {
    let order: Vec<_> = found
        .iter()
        .map(|f| (f.subject_id, f.rule, &f.records, &f.topic))
        .collect();
    if !order.windows(2).all(|w| w[0] < w[1]) {
        return Err("not sorted or with duplicates".into());
    }
    let keys: BTreeSet<String> = found.iter().map(Finding::key).collect();
    if keys.len() != found.len() {
        return Err("keys are not unique".into());
    }
    for f in found {
        if !f.rule.on_records() || f.person_id.is_some() || f.detail.is_empty() {
            return Err(format!("not a records finding: {f:?}"));
        }
        if !f.records.windows(2).all(|w| w[0] < w[1]) {
            return Err(format!("records not sorted: {f:?}"));
        }
    }
    Ok(())
}

#[test]
fn every_check_fires_on_records_made_for_it() {
    let found = scan(&everything(), D);
    let rules: BTreeSet<Rule> = found.iter().map(|f| f.rule).collect();
    assert_eq!(rules, Rule::RECORDS.into_iter().collect());
    well_formed(&found).unwrap();
}

#[test]
fn the_order_of_the_input_does_not_change_the_findings() {
    let r = everything();
    let found = scan(&r, D);
    assert_eq!(scan(&reversed(&r), D), found);
    assert_eq!(scan(&r, D), found);
}

#[test]
fn double_bookings_are_found_by_a_sweep_not_by_comparing_every_pair() {
    // 40,000 back-to-back sessions of one teacher: all pairs would be 800 million
    // comparisons; the sweep sorts and looks at one running session at a time.
    let c = class(1, 10, 0.0);
    let n = 40_000;
    let mut r = Records {
        teachers: vec![teacher(1, 10, "T")],
        class_sessions: (0..n)
            .map(|i| ClassSessionFacts {
                teacher_id: Some(1),
                start: at("2024-01-01 00:00") + mins(60 * i),
                end: at("2024-01-01 00:00") + mins(60 * (i + 1)),
                ..session(i + 1, &c, "2024-01-01 00:00", 60)
            })
            .collect(),
        classes: vec![c],
        ..Records::default()
    };
    r.class_sessions.reverse();
    assert!(!fires(&r, D, Rule::TeacherDoubleBooked));
    // The last but one runs a minute into the last.
    r.class_sessions[1].end += mins(1);
    assert_eq!(fired(&r, D, Rule::TeacherDoubleBooked).len(), 1);
}

#[test]
fn no_records_no_findings() {
    assert!(scan(&Records::default(), D).is_empty());
}

// ----- properties -----------------------------------------------------------------------

fn a_time() -> impl Strategy<Value = NaiveDateTime> {
    (0i64..2, 0i64..12).prop_map(|(day, quarter)| {
        at("2024-03-01 08:00") + TimeDelta::days(day) + TimeDelta::minutes(15 * quarter)
    })
}

fn a_length() -> impl Strategy<Value = i64> {
    prop_oneof![8 => 0i64..240, 1 => -60i64..0]
}

fn keys() -> impl Strategy<Value = String> {
    select(vec!["A", "B", "C"]).prop_map(String::from)
}

fn phones() -> impl Strategy<Value = Option<String>> {
    option::of(select(vec!["P1", "P2"]).prop_map(String::from))
}

fn a_class() -> impl Strategy<Value = ClassFacts> {
    (
        1i64..4,
        0u32..6,
        0i64..6,
        0i64..6,
        0i64..4,
        option::of(0i64..4),
    )
        .prop_map(
            |(subject_id, hours, start, len, capacity, venue)| ClassFacts {
                start_on: date("2024-02-28") + TimeDelta::days(start),
                end_on: date("2024-02-28") + TimeDelta::days(start + len),
                capacity,
                venue_capacity: venue,
                ..class(0, subject_id, f64::from(hours))
            },
        )
}

fn a_class_session() -> impl Strategy<Value = ClassSessionFacts> {
    (
        1i64..4,
        1i64..5,
        a_time(),
        a_length(),
        option::of(1i64..5),
        any::<bool>(),
    )
        .prop_map(
            |(subject_id, class_id, start, len, teacher_id, online)| ClassSessionFacts {
                id: 0,
                subject_id,
                class_id,
                seq: 1,
                start,
                end: start + mins(len),
                teacher_id,
                online,
            },
        )
}

fn a_trainee() -> impl Strategy<Value = TraineeFacts> {
    (1i64..5, keys(), option::of(select(vec![60.0, 100.0]))).prop_map(|(class_id, key, score)| {
        TraineeFacts {
            class_id,
            subject_id: class_id % 3 + 1,
            score,
            ..trainee(0, &class(class_id, 1, 1.0), &key)
        }
    })
}

fn an_attendance() -> impl Strategy<Value = AttendanceFacts> {
    (1i64..8, 1i64..8, option::of(a_time()), option::of(a_time())).prop_map(
        |(session_id, trainee_id, sign_in, sign_out)| AttendanceFacts {
            session_id,
            trainee_id,
            sign_in,
            sign_out,
        },
    )
}

fn an_exam() -> impl Strategy<Value = ExamSessionFacts> {
    (
        (1i64..4, 1i64..4, option::of(1i64..4)),
        (a_time(), a_length(), any::<bool>(), any::<bool>()),
        select(vec!["甲", "乙"]),
    )
        .prop_map(
            |((subject_id, site_id, plan_id), (start, len, national, high), category)| {
                ExamSessionFacts {
                    site_id,
                    plan_id,
                    started_at: start,
                    ended_at: start + mins(len),
                    national_system: national,
                    high_risk_manager: high,
                    category: category.into(),
                    ..exam(0, subject_id, "2024-03-01 09:00", 60)
                }
            },
        )
}

fn a_plan() -> impl Strategy<Value = ExamPlanFacts> {
    (1i64..4, a_time(), a_length()).prop_map(|(site_id, start, len)| ExamPlanFacts {
        id: 0,
        subject_id: site_id,
        site_id,
        starts_at: start,
        ends_at: start + mins(len),
        category: "甲".into(),
    })
}

fn a_staff() -> impl Strategy<Value = ExamStaffFacts> {
    (
        1i64..5,
        1i64..4,
        keys(),
        select(vec![
            StaffRole::Patrol,
            StaffRole::Proctor,
            StaffRole::Examiner,
        ]),
        option::of(a_time()),
        option::of(a_time()),
    )
        .prop_map(
            |(session_id, subject_id, key, role, from, to)| ExamStaffFacts {
                session_id,
                subject_id,
                present_from: from,
                present_to: to,
                ..staff(0, &exam(session_id, 1, "2024-03-01 09:00", 60), &key, role)
            },
        )
}

fn a_candidate() -> impl Strategy<Value = CandidateFacts> {
    (
        1i64..5,
        keys(),
        option::of(select(vec![80.0, 100.0])),
        any::<bool>(),
    )
        .prop_map(|(session_id, key, score, passed)| CandidateFacts {
            id_key: key,
            score,
            ..candidate(0, session_id, passed)
        })
}

fn a_video() -> impl Strategy<Value = VideoFacts> {
    (
        1i64..5,
        prop_oneof![8 => 0i64..20_000, 1 => Just(i64::MIN), 1 => Just(i64::MAX)],
        option::of(0i64..2000),
    )
        .prop_map(|(session_id, secs, deleted)| VideoFacts {
            deleted_on: deleted.map(|d| date("2023-01-01") + TimeDelta::days(d)),
            ..video(0, session_id, secs)
        })
}

fn a_credential() -> impl Strategy<Value = CredentialFacts> {
    (
        1i64..4,
        keys(),
        phones(),
        select(vec![
            StaffRole::Patrol,
            StaffRole::Proctor,
            StaffRole::Examiner,
        ]),
        0i64..6,
        0i64..6,
    )
        .prop_map(|(subject_id, key, phone, role, from, len)| {
            let from = date("2024-02-28") + TimeDelta::days(from);
            CredentialFacts {
                phone_key: phone,
                valid_from: from,
                valid_until: from + TimeDelta::days(len),
                ..credential(0, subject_id, &key, role, "2024-01-01", "2024-01-01")
            }
        })
}

fn a_record_set() -> impl Strategy<Value = Records> {
    let subjects = vec(
        select(vec![
            Side::Training,
            Side::ExamSite,
            Side::ExamInstitution,
            Side::Other,
        ]),
        3,
    );
    let teachers = vec((1i64..4, keys(), phones()), 1..5);
    let people = vec((1i64..4, keys(), phones()), 0..3);
    let equipment = vec((1i64..4, 0i64..6), 0..3);
    (
        (subjects, vec(a_class(), 0..5), vec(a_class_session(), 0..8)),
        (
            teachers,
            vec(a_trainee(), 0..8),
            vec(an_attendance(), 0..12),
        ),
        (
            vec(a_plan(), 0..4),
            vec(an_exam(), 0..5),
            vec(a_staff(), 0..5),
        ),
        (vec(a_candidate(), 0..12), vec(a_video(), 0..5)),
        (vec(a_credential(), 0..5), equipment, people),
    )
        .prop_map(
            |(
                (sides, mut classes, mut class_sessions),
                (teachers, mut trainees, attendance),
                (mut plans, mut exam_sessions, mut exam_staff),
                (mut candidates, mut videos),
                (mut credentials, equipment, people),
            )| {
                fn number<T>(xs: &mut [T], id: impl Fn(&mut T) -> &mut RecordId) {
                    for (i, x) in xs.iter_mut().enumerate() {
                        *id(x) = i as RecordId + 1;
                    }
                }
                number(&mut classes, |x| &mut x.id);
                number(&mut class_sessions, |x| &mut x.id);
                number(&mut trainees, |x| &mut x.id);
                number(&mut plans, |x| &mut x.id);
                number(&mut exam_sessions, |x| &mut x.id);
                number(&mut exam_staff, |x| &mut x.id);
                number(&mut candidates, |x| &mut x.id);
                number(&mut videos, |x| &mut x.id);
                number(&mut credentials, |x| &mut x.id);
                Records {
                    subjects: sides
                        .into_iter()
                        .enumerate()
                        .map(|(i, side)| subject(i as RecordId + 1, side))
                        .collect(),
                    teachers: teachers
                        .into_iter()
                        .enumerate()
                        .map(|(i, (s, key, phone))| TeacherFacts {
                            phone_key: phone,
                            ..teacher(i as RecordId + 1, s, &key)
                        })
                        .collect(),
                    training_staff: people
                        .into_iter()
                        .enumerate()
                        .map(|(i, (s, key, phone))| StaffPersonFacts {
                            phone_key: phone,
                            ..ledger_person(i as RecordId + 1, s, &key)
                        })
                        .collect(),
                    equipment: equipment
                        .into_iter()
                        .enumerate()
                        .map(|(i, (s, d))| EquipmentFacts {
                            id: i as RecordId + 1,
                            subject_id: s,
                            name: "设备".into(),
                            cert_number: "J".into(),
                            valid_until: date("2024-02-28") + TimeDelta::days(d),
                        })
                        .collect(),
                    classes,
                    class_sessions,
                    trainees,
                    attendance,
                    plans,
                    exam_sessions,
                    exam_staff,
                    candidates,
                    videos,
                    credentials,
                }
            },
        )
}

/// A permutation of `xs` drawn from `seed` (a small xorshift Fisher–Yates).
fn shuffle<T>(xs: &mut [T], seed: &mut u64) {
    for i in (1..xs.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        xs.swap(i, (*seed % (i as u64 + 1)) as usize);
    }
}

fn shuffled(r: &Records, mut seed: u64) -> Records {
    let mut r = r.clone();
    let s = &mut seed;
    shuffle(&mut r.subjects, s);
    shuffle(&mut r.classes, s);
    shuffle(&mut r.class_sessions, s);
    shuffle(&mut r.teachers, s);
    shuffle(&mut r.trainees, s);
    shuffle(&mut r.attendance, s);
    shuffle(&mut r.plans, s);
    shuffle(&mut r.exam_sessions, s);
    shuffle(&mut r.exam_staff, s);
    shuffle(&mut r.candidates, s);
    shuffle(&mut r.videos, s);
    shuffle(&mut r.credentials, s);
    shuffle(&mut r.equipment, s);
    shuffle(&mut r.training_staff, s);
    r
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn the_records_scan_never_panics_and_ignores_the_order_of_its_input(
        r in a_record_set(),
        day in 0i64..8,
        seed in 1u64..u64::MAX,
    ) {
        let d = date("2024-02-27") + TimeDelta::days(day);
        // The statistical checks fire on small samples only with small minimums.
        let small = Params {
            uniform_scores_min_count: 2,
            pass_rate_min_candidates: 2,
            pass_rate_z: 0.5,
            ..Params::default()
        };
        for p in [Params::default(), small] {
            let found = scan_records(&r, d, &p);
            if let Err(e) = well_formed(&found) {
                prop_assert!(false, "{}", e);
            }
            prop_assert_eq!(&scan_records(&shuffled(&r, seed), d, &p), &found);
            prop_assert_eq!(&scan_records(&reversed(&r), d, &p), &found);
        }
    }

    #[test]
    fn teacher_double_bookings_are_exactly_the_overlapping_pairs(r in a_record_set()) {
        let found = scan_records(&r, date(D), &Params::default());
        let got: BTreeSet<(RecordId, Vec<RecordRef>)> = found
            .iter()
            .filter(|f| f.rule == Rule::TeacherDoubleBooked)
            .map(|f| (f.subject_id, f.records.clone()))
            .collect();
        let mut expected = BTreeSet::new();
        let known = |s: &&ClassSessionFacts| r.classes.iter().any(|c| c.id == s.class_id);
        let key = |s: &ClassSessionFacts| {
            let t = s.teacher_id?;
            r.teachers.iter().find(|x| x.id == t).map(|x| x.id_key.clone())
        };
        for a in r.class_sessions.iter().filter(known) {
            for b in r.class_sessions.iter().filter(known) {
                if a.id < b.id
                    && key(a).is_some()
                    && key(a) == key(b)
                    && a.start < b.end
                    && b.start < a.end
                {
                    let records = vec![RecordRef::ClassSession(a.id), RecordRef::ClassSession(b.id)];
                    expected.insert((a.subject_id, records.clone()));
                    expected.insert((b.subject_id, records));
                }
            }
        }
        prop_assert_eq!(got, expected);
    }
}
