//! The checks of online-training logs: each rule at the second, the minute, the question or
//! the point where it starts to fire, the keys of its findings, and the engine against an
//! independent, literal (quadratic) implementation on random logs.

use super::online::*;
use super::{Finding, RecordId, RecordRef, Rule, Severity};
use crate::params::Params;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use std::collections::{BTreeMap, BTreeSet};

/// `2024-03-01 08:00` or `2024-03-01 08:00:01`.
fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
        .unwrap()
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

fn mins(n: i64) -> TimeDelta {
    TimeDelta::minutes(n)
}

/// A session of `person` filed under subject 100 + person, on 平台甲, on no device, with the
/// video progress equal to its length (so that ONLINE_SPEED stays quiet).
fn session(id: RecordId, person: RecordId, start: &str, end: &str) -> SessionFacts {
    let (start, end) = (t(start), t(end));
    SessionFacts {
        id,
        subject_id: 100 + person,
        person_id: person,
        name: format!("学员{person}"),
        platform: "平台甲".into(),
        course: "安全生产基础".into(),
        start,
        end,
        progress_secs: (end - start).num_seconds(),
        device: String::new(),
    }
}

fn on(device: &str, s: SessionFacts) -> SessionFacts {
    SessionFacts {
        device: device.into(),
        ..s
    }
}

fn check(id: RecordId, person: RecordId, at: NaiveDateTime, passed: bool) -> FaceCheckFacts {
    FaceCheckFacts {
        id,
        person_id: person,
        platform: "平台甲".into(),
        at,
        passed,
    }
}

fn exam(id: RecordId, person: RecordId, secs: i64, questions: i64, score: f64) -> ExamFacts {
    let start = t("2024-03-01 09:00");
    ExamFacts {
        id,
        subject_id: 100 + person,
        person_id: person,
        platform: "平台甲".into(),
        exam_no: format!("KS{id}"),
        start,
        end: start + TimeDelta::seconds(secs),
        questions,
        score,
    }
}

fn claim(id: RecordId, person: RecordId, start: &str, end: &str, hours: f64) -> ClaimFacts {
    ClaimFacts {
        id,
        subject_id: 200 + person,
        person_id: person,
        start: t(start),
        end: t(end),
        hours,
    }
}

fn sessions(sessions: Vec<SessionFacts>) -> OnlineLog {
    OnlineLog {
        sessions,
        ..OnlineLog::default()
    }
}

fn scan(log: &OnlineLog) -> Vec<Finding> {
    scan_online(log, &Params::default())
}

fn fired(log: &OnlineLog, rule: Rule) -> Vec<Finding> {
    scan(log).into_iter().filter(|f| f.rule == rule).collect()
}

fn fires(log: &OnlineLog, rule: Rule) -> bool {
    !fired(log, rule).is_empty()
}

fn keys(found: &[Finding]) -> Vec<String> {
    found.iter().map(Finding::key).collect()
}

// ----- the catalogue --------------------------------------------------------------------

#[test]
fn the_seven_online_checks_follow_the_records_checks_in_the_catalogue() {
    assert_eq!(
        Rule::ONLINE.map(Rule::code),
        [
            "ONLINE_CONCURRENT",
            "ONLINE_DEVICE_SHARED",
            "ONLINE_DAILY_EXCESS",
            "ONLINE_FACE_GAP",
            "ONLINE_SPEED",
            "ONLINE_HOURS_UNSUPPORTED",
            "ONLINE_EXAM_TOO_FAST",
        ]
    );
    assert_eq!(Rule::ALL[25..], Rule::ONLINE);
    assert_eq!(
        Rule::from_code("ONLINE_FACE_GAP"),
        Some(Rule::OnlineFaceGap)
    );
    use Severity::*;
    assert_eq!(
        Rule::ONLINE.map(Rule::severity),
        [High, High, Medium, Medium, Medium, High, High]
    );
    assert_eq!(
        Rule::OnlineConcurrent.name(),
        "同一人网络学习时段重叠（挂机/代学）"
    );
    assert_eq!(Rule::OnlineExamTooFast.name(), "在线考试用时过短");
    for r in Rule::ONLINE {
        assert!(r.basis().contains("通知二（一）8"), "{r}");
        assert!(!r.definition().is_empty() && !r.name().is_empty());
    }
    assert!(Rule::OnlineHoursUnsupported.basis().contains("二（二）2"));
}

#[test]
fn the_online_parameters_shown_are_the_current_ones() {
    let mut p = Params::default();
    assert_eq!(Rule::OnlineDailyExcess.parameters(&p), "每日上限 8 小时");
    assert!(Rule::OnlineDeviceShared.parameters(&p).contains("3 人"));
    assert!(Rule::OnlineFaceGap
        .parameters(&p)
        .contains("超过 30 分钟；首次核验在开始后 10 分钟内；核验间隔 30 分钟"));
    assert_eq!(Rule::OnlineSpeed.parameters(&p), "允许误差 5%");
    assert_eq!(
        Rule::OnlineHoursUnsupported.parameters(&p),
        "每学时线上 30 分钟；允许误差 10%"
    );
    assert_eq!(
        Rule::OnlineExamTooFast.parameters(&p),
        "最少题数 50 道；每题最少 10 秒；合格分数 80 分"
    );
    p.online_daily_max_hours = 7.5;
    p.online_exam_min_questions = 20;
    assert_eq!(Rule::OnlineDailyExcess.parameters(&p), "每日上限 7.5 小时");
    assert!(Rule::OnlineExamTooFast
        .parameters(&p)
        .starts_with("最少题数 20 道"));
}

// ----- ONLINE_CONCURRENT ----------------------------------------------------------------

#[test]
fn sessions_that_only_touch_do_not_overlap_and_one_second_more_does() {
    let touching = sessions(vec![
        session(1, 1, "2024-03-01 08:00", "2024-03-01 09:00"),
        session(2, 1, "2024-03-01 09:00", "2024-03-01 10:00"),
    ]);
    assert!(!fires(&touching, Rule::OnlineConcurrent));
    let mut log = touching.clone();
    log.sessions[0].end += secs(1);
    let f = &fired(&log, Rule::OnlineConcurrent)[0];
    assert_eq!(f.key(), "ONLINE_CONCURRENT:1:2024-03-01");
    assert_eq!(
        (f.person_id, f.subject_id, f.topic.as_deref()),
        (Some(1), 101, Some("2024-03-01"))
    );
    assert_eq!(f.records, vec![RecordRef::Person(1)]);
    assert!(
        f.detail
            .contains("平台甲「安全生产基础」08:00–09:00:01 与 平台甲「安全生产基础」09:00–10:00"),
        "{}",
        f.detail
    );
    // And a second apart is no overlap either.
    let mut log = touching;
    log.sessions[1].start += secs(1);
    assert!(!fires(&log, Rule::OnlineConcurrent));
}

#[test]
fn overlaps_count_across_platforms_devices_and_courses() {
    let mut b = on(
        "手机1",
        session(2, 1, "2024-03-01 08:30", "2024-03-01 09:30"),
    );
    b.platform = "平台乙".into();
    b.course = "危险化学品".into();
    let log = sessions(vec![
        on(
            "电脑1",
            session(1, 1, "2024-03-01 08:00", "2024-03-01 09:00"),
        ),
        b,
    ]);
    assert_eq!(fired(&log, Rule::OnlineConcurrent).len(), 1);
    // Another person's session is no concern of this rule.
    let mut log = log;
    log.sessions[1].person_id = 2;
    assert!(!fires(&log, Rule::OnlineConcurrent));
}

#[test]
fn an_empty_session_overlaps_only_what_runs_across_it() {
    let long = session(1, 1, "2024-03-01 08:00", "2024-03-01 09:00");
    let empty = |id, at: &str| session(id, 1, at, at);
    // Strictly inside: overlaps.
    assert!(fires(
        &sessions(vec![long.clone(), empty(2, "2024-03-01 08:30")]),
        Rule::OnlineConcurrent
    ));
    // At its start or its end: does not.
    assert!(!fires(
        &sessions(vec![long.clone(), empty(2, "2024-03-01 08:00")]),
        Rule::OnlineConcurrent
    ));
    assert!(!fires(
        &sessions(vec![long, empty(2, "2024-03-01 09:00")]),
        Rule::OnlineConcurrent
    ));
    // Two empty sessions at the same time do not.
    assert!(!fires(
        &sessions(vec![
            empty(1, "2024-03-01 08:30"),
            empty(2, "2024-03-01 08:30")
        ]),
        Rule::OnlineConcurrent
    ));
}

#[test]
fn one_concurrent_finding_per_person_and_day_of_the_later_start() {
    let mut a = session(1, 1, "2024-03-01 23:00", "2024-03-02 01:00");
    a.subject_id = 7;
    let log = sessions(vec![
        // Across midnight, overlapped by a session of the next day: that day's.
        a,
        session(2, 1, "2024-03-02 00:30", "2024-03-02 00:45"),
        // Three more overlapping on the same next day: still one finding.
        session(3, 1, "2024-03-02 10:00", "2024-03-02 11:00"),
        session(4, 1, "2024-03-02 10:10", "2024-03-02 11:00"),
        session(5, 1, "2024-03-02 10:20", "2024-03-02 10:30"),
        // Person 2, on 2024-03-03.
        session(6, 2, "2024-03-03 10:00", "2024-03-03 11:00"),
        session(7, 2, "2024-03-03 10:59", "2024-03-03 11:30"),
    ]);
    let found = fired(&log, Rule::OnlineConcurrent);
    assert_eq!(
        keys(&found),
        [
            "ONLINE_CONCURRENT:1:2024-03-02",
            "ONLINE_CONCURRENT:2:2024-03-03"
        ]
    );
    // Filed under the earliest session of the pairs: the one of the evening before.
    assert_eq!(found[0].subject_id, 7);
    assert_eq!(found[1].subject_id, 102);
    assert!(
        found[0].detail.contains("开始的 3 个网络学习时段"),
        "{}",
        found[0].detail
    );
    assert!(
        found[0].detail.contains("2024-03-01 23:00–01:00"),
        "{}",
        found[0].detail
    );
}

// ----- ONLINE_DEVICE_SHARED -------------------------------------------------------------

#[test]
fn two_persons_at_once_on_a_device_share_it_and_one_after_the_other_do_not() {
    let log = sessions(vec![
        on("D1", session(1, 1, "2024-03-01 08:00", "2024-03-01 09:00")),
        on("D1", session(2, 2, "2024-03-01 09:00", "2024-03-01 10:00")),
    ]);
    assert!(!fires(&log, Rule::OnlineDeviceShared));
    let mut overlapping = log.clone();
    overlapping.sessions[1].start -= secs(1);
    let f = &fired(&overlapping, Rule::OnlineDeviceShared)[0];
    assert_eq!(f.key(), "ONLINE_DEVICE_SHARED:s101:D1|2024-03-01");
    assert_eq!(
        (f.person_id, f.records.len(), f.who.is_none()),
        (None, 0, true)
    );
    assert_eq!(f.topic.as_deref(), Some("D1|2024-03-01"));
    assert!(f.detail.contains("同时进行"), "{}", f.detail);
    assert!(f.detail.contains("学员1、学员2"), "{}", f.detail);
    assert!(!f.detail.contains("名不同人员"), "{}", f.detail);
    // One person's own overlapping sessions on a device are ONLINE_CONCURRENT, not this.
    let mut own = overlapping.clone();
    own.sessions[1].person_id = 1;
    assert!(!fires(&own, Rule::OnlineDeviceShared));
    assert!(fires(&own, Rule::OnlineConcurrent));
    // Sessions without a device share nothing.
    let mut none = overlapping;
    for s in &mut none.sessions {
        s.device.clear();
    }
    assert!(!fires(&none, Rule::OnlineDeviceShared));
}

#[test]
fn three_persons_on_a_device_in_a_day_share_it_and_two_do_not() {
    let three = sessions(vec![
        on("D1", session(1, 1, "2024-03-01 08:00", "2024-03-01 09:00")),
        on("D1", session(2, 2, "2024-03-01 12:00", "2024-03-01 13:00")),
        on(
            "D1",
            session(3, 3, "2024-03-01 23:59:59", "2024-03-02 01:00"),
        ),
        // The same persons again: still three.
        on("D1", session(4, 1, "2024-03-01 14:00", "2024-03-01 15:00")),
    ]);
    let f = &fired(&three, Rule::OnlineDeviceShared)[0];
    assert_eq!(f.key(), "ONLINE_DEVICE_SHARED:s101:D1|2024-03-01");
    assert!(
        f.detail.contains("涉及 3 名不同人员，达到 3 人"),
        "{}",
        f.detail
    );
    assert!(f.detail.contains("学员1、学员2、学员3"), "{}", f.detail);
    // The third person starting a second later is the next day's.
    let mut two = three.clone();
    two.sessions[2].start += secs(1);
    assert!(!fires(&two, Rule::OnlineDeviceShared));
    // Another device does not count either.
    let mut elsewhere = three.clone();
    elsewhere.sessions[2].device = "D2".into();
    assert!(!fires(&elsewhere, Rule::OnlineDeviceShared));
    // With two as the limit, two persons are enough.
    let p = Params {
        online_device_persons_per_day: 2,
        ..Params::default()
    };
    let found: Vec<Finding> = scan_online(&two, &p)
        .into_iter()
        .filter(|f| f.rule == Rule::OnlineDeviceShared)
        .collect();
    assert_eq!(keys(&found), ["ONLINE_DEVICE_SHARED:s101:D1|2024-03-01",]);
}

#[test]
fn one_device_finding_per_device_and_day_filed_under_the_earliest_session() {
    let mut late = on("D1", session(2, 2, "2024-03-02 00:30", "2024-03-02 01:00"));
    late.subject_id = 9;
    let mut early = on("D1", session(1, 1, "2024-03-01 23:00", "2024-03-02 01:00"));
    early.subject_id = 8;
    let log = sessions(vec![
        late,
        early,
        on("D2", session(3, 3, "2024-03-02 08:00", "2024-03-02 09:00")),
        on("D2", session(4, 4, "2024-03-02 08:30", "2024-03-02 09:00")),
        on("D2", session(5, 3, "2024-03-03 08:00", "2024-03-03 09:00")),
        on("D2", session(6, 4, "2024-03-03 08:30", "2024-03-03 09:00")),
    ]);
    let found = fired(&log, Rule::OnlineDeviceShared);
    assert_eq!(
        keys(&found),
        [
            "ONLINE_DEVICE_SHARED:s8:D1|2024-03-02",
            "ONLINE_DEVICE_SHARED:s103:D2|2024-03-02",
            "ONLINE_DEVICE_SHARED:s103:D2|2024-03-03",
        ]
    );
    let distinct: BTreeSet<String> = keys(&found).into_iter().collect();
    assert_eq!(distinct.len(), 3);
}

#[test]
fn another_persons_session_is_found_behind_a_run_of_ones_own() {
    // Person 2 takes over the device from person 1 for the night, with short sessions of
    // its own in between; its session after midnight still runs alongside person 1's.
    let mut log = sessions(vec![
        on("D1", session(1, 1, "2024-03-01 20:00", "2024-03-02 02:00")),
        on("D1", session(2, 2, "2024-03-01 20:30", "2024-03-02 03:00")),
        on("D1", session(7, 2, "2024-03-02 01:00", "2024-03-02 01:10")),
    ]);
    for i in 0..6 {
        let start = t("2024-03-01 21:00") + mins(10 * i);
        log.sessions.push(SessionFacts {
            start,
            end: start + mins(5),
            ..on(
                "D1",
                session(10 + i, 2, "2024-03-01 21:00", "2024-03-01 21:05"),
            )
        });
    }
    let found = fired(&log, Rule::OnlineDeviceShared);
    assert_eq!(
        keys(&found),
        [
            "ONLINE_DEVICE_SHARED:s101:D1|2024-03-01",
            "ONLINE_DEVICE_SHARED:s101:D1|2024-03-02",
        ]
    );
    // Without person 1's night, person 2 alone shares nothing.
    log.sessions.remove(0);
    assert!(!fires(&log, Rule::OnlineDeviceShared));
}

// ----- ONLINE_DAILY_EXCESS --------------------------------------------------------------

#[test]
fn eight_hours_a_day_pass_and_one_second_more_is_too_much() {
    let eight = sessions(vec![
        session(1, 1, "2024-03-01 08:00", "2024-03-01 12:00"),
        session(2, 1, "2024-03-01 13:00", "2024-03-01 17:00"),
    ]);
    assert!(!fires(&eight, Rule::OnlineDailyExcess));
    let mut more = eight.clone();
    more.sessions[1].end += secs(1);
    let f = &fired(&more, Rule::OnlineDailyExcess)[0];
    assert_eq!(f.key(), "ONLINE_DAILY_EXCESS:1:2024-03-01");
    assert_eq!(f.records, vec![RecordRef::Person(1)]);
    assert!(
        f.detail
            .contains("合计 8.0 小时（8:00:01），超过每日上限 8 小时"),
        "{}",
        f.detail
    );
}

#[test]
fn daily_hours_are_sums_not_unions_and_split_at_midnight() {
    // Two overlapping five-hour sessions: ten hours, though only five on the clock.
    let concurrent = sessions(vec![
        session(1, 1, "2024-03-01 08:00", "2024-03-01 13:00"),
        session(2, 1, "2024-03-01 08:00", "2024-03-01 13:00"),
    ]);
    assert_eq!(fired(&concurrent, Rule::OnlineDailyExcess).len(), 1);
    // 20:00–次日 05:00 is 4 h and 5 h; 4 more hours on each day make 8 and 9.
    let mut night = session(1, 1, "2024-03-01 20:00", "2024-03-02 05:00");
    night.subject_id = 5;
    let log = sessions(vec![
        night,
        session(2, 1, "2024-03-01 08:00", "2024-03-01 12:00"),
        session(3, 1, "2024-03-02 08:00", "2024-03-02 12:00"),
    ]);
    let found = fired(&log, Rule::OnlineDailyExcess);
    assert_eq!(keys(&found), ["ONLINE_DAILY_EXCESS:1:2024-03-02"]);
    // Filed under the earliest session counted that day: the night's, from the day before.
    assert_eq!(found[0].subject_id, 5);
    assert!(found[0].detail.contains("9.0 小时"), "{}", found[0].detail);
}

// ----- ONLINE_FACE_GAP ------------------------------------------------------------------

/// A session of person 1 from 08:00 lasting `len`, with passed checks `len` after 08:00.
fn face_log(len: TimeDelta, passed_at: &[TimeDelta]) -> OnlineLog {
    let start = t("2024-03-01 08:00");
    let mut s = session(1, 1, "2024-03-01 08:00", "2024-03-01 08:00");
    s.end = start + len;
    s.progress_secs = len.num_seconds();
    OnlineLog {
        sessions: vec![s],
        face_checks: passed_at
            .iter()
            .enumerate()
            .map(|(i, &d)| check(i as RecordId + 1, 1, start + d, true))
            .collect(),
        ..OnlineLog::default()
    }
}

#[test]
fn sessions_of_thirty_minutes_need_no_face_check_and_a_second_longer_do() {
    assert!(!fires(&face_log(mins(30), &[]), Rule::OnlineFaceGap));
    let f = &fired(&face_log(mins(30) + secs(1), &[]), Rule::OnlineFaceGap)[0];
    assert_eq!(f.key(), "ONLINE_FACE_GAP:1:os1");
    assert_eq!(
        f.records,
        vec![RecordRef::Person(1), RecordRef::OnlineSession(1)]
    );
    assert_eq!((f.subject_id, f.topic.as_ref()), (101, None));
    assert!(
        f.detail
            .contains("开始后 10 分钟内（至 08:10）无通过的人脸核验"),
        "{}",
        f.detail
    );
    assert!(
        f.detail.contains("第 1 个 30 分钟区间（08:00–08:30）"),
        "{}",
        f.detail
    );
}

#[test]
fn the_first_check_counts_at_ten_minutes_and_not_a_second_later() {
    // One hour: windows 08:00–08:30 and 08:30–09:00.
    let ok = face_log(mins(60), &[mins(10), mins(40)]);
    assert!(!fires(&ok, Rule::OnlineFaceGap));
    let late = face_log(mins(60), &[mins(10) + secs(1), mins(40)]);
    let f = &fired(&late, Rule::OnlineFaceGap)[0];
    assert!(f.detail.contains("开始后 10 分钟内"), "{}", f.detail);
    assert!(!f.detail.contains("区间"), "{}", f.detail);
}

#[test]
fn a_check_on_a_window_boundary_counts_for_both_windows() {
    // 08:30 closes the first window and opens the second.
    assert!(!fires(
        &face_log(mins(60), &[mins(5), mins(30)]),
        Rule::OnlineFaceGap
    ));
    let f = &fired(
        &face_log(mins(60), &[mins(5), mins(30) - secs(1)]),
        Rule::OnlineFaceGap,
    )[0];
    assert!(
        f.detail.contains("第 2 个 30 分钟区间（08:30–09:00）"),
        "{}",
        f.detail
    );
    // The session's end closes the last window.
    assert!(!fires(
        &face_log(mins(60), &[mins(5), mins(60)]),
        Rule::OnlineFaceGap
    ));
    // A window that does not fit whole before the end needs nothing: 08:00–09:29:59.
    assert!(!fires(
        &face_log(mins(90) - secs(1), &[mins(5), mins(30)]),
        Rule::OnlineFaceGap
    ));
    assert!(fires(
        &face_log(mins(90), &[mins(5), mins(30)]),
        Rule::OnlineFaceGap
    ));
}

#[test]
fn only_the_persons_checks_on_the_sessions_platform_within_it_count() {
    let base = face_log(mins(60), &[mins(10), mins(40)]);
    assert!(!fires(&base, Rule::OnlineFaceGap));
    let mut other_platform = base.clone();
    other_platform.face_checks[1].platform = "平台乙".into();
    assert!(fires(&other_platform, Rule::OnlineFaceGap));
    let mut other_person = base.clone();
    other_person.face_checks[0].person_id = 2;
    assert!(fires(&other_person, Rule::OnlineFaceGap));
    // A check a second before the start is outside the session.
    let before = face_log(mins(60), &[-secs(1), mins(40)]);
    assert!(fires(&before, Rule::OnlineFaceGap));
    let at_start = face_log(mins(60), &[TimeDelta::zero(), mins(40)]);
    assert!(!fires(&at_start, Rule::OnlineFaceGap));
}

#[test]
fn a_failed_check_needs_a_passed_one_strictly_later_whatever_the_length() {
    // A short session: only a failed check without a later pass matters.
    let mut log = face_log(mins(20), &[mins(5)]);
    assert!(!fires(&log, Rule::OnlineFaceGap));
    log.face_checks
        .push(check(9, 1, t("2024-03-01 08:05"), false));
    // Failed and passed at the same instant: no pass strictly after the failure.
    let f = &fired(&log, Rule::OnlineFaceGap)[0];
    assert!(
        f.detail
            .contains("08:05 人脸核验未通过，此后至时段结束无通过的核验"),
        "{}",
        f.detail
    );
    log.face_checks[0].at += secs(1);
    assert!(!fires(&log, Rule::OnlineFaceGap));
    // A failure at the very end with nothing after it.
    log.face_checks
        .push(check(10, 1, t("2024-03-01 08:20"), false));
    assert!(fires(&log, Rule::OnlineFaceGap));
}

// ----- ONLINE_SPEED ---------------------------------------------------------------------

#[test]
fn progress_of_105_percent_passes_and_a_second_more_is_speeding() {
    let mut log = sessions(vec![session(
        1,
        1,
        "2024-03-01 08:00:00",
        "2024-03-01 08:16:40",
    )]);
    // 1,000 seconds.
    log.sessions[0].progress_secs = 1050;
    assert!(!fires(&log, Rule::OnlineSpeed));
    log.sessions[0].progress_secs = 1051;
    let f = &fired(&log, Rule::OnlineSpeed)[0];
    assert_eq!(f.key(), "ONLINE_SPEED:1:os1");
    assert_eq!(
        f.records,
        vec![RecordRef::Person(1), RecordRef::OnlineSession(1)]
    );
    assert!(
        f.detail.contains("时长 1000 秒，视频进度 1051 秒"),
        "{}",
        f.detail
    );
    // Or the session a second shorter.
    log.sessions[0].progress_secs = 1050;
    log.sessions[0].end -= secs(1);
    assert!(fires(&log, Rule::OnlineSpeed));
    // An empty session with any progress.
    let mut empty = sessions(vec![session(1, 1, "2024-03-01 08:00", "2024-03-01 08:00")]);
    assert!(!fires(&empty, Rule::OnlineSpeed));
    empty.sessions[0].progress_secs = 1;
    assert!(fires(&empty, Rule::OnlineSpeed));
}

// ----- ONLINE_HOURS_UNSUPPORTED ---------------------------------------------------------

/// Person 1's claim of `hours` for 08:00–12:00 and two 30-minute sessions inside it (2 学时).
fn claim_log(hours: f64) -> OnlineLog {
    OnlineLog {
        sessions: vec![
            session(1, 1, "2024-03-01 08:00", "2024-03-01 08:30"),
            session(2, 1, "2024-03-01 11:30", "2024-03-01 12:00"),
        ],
        claims: vec![claim(9, 1, "2024-03-01 08:00", "2024-03-01 12:00", hours)],
        ..OnlineLog::default()
    }
}

#[test]
fn claimed_hours_up_to_the_supported_ones_plus_ten_percent_pass() {
    // 2 学时 supported, 2.2 allowed.
    assert!(!fires(&claim_log(2.2), Rule::OnlineHoursUnsupported));
    let f = &fired(&claim_log(2.3), Rule::OnlineHoursUnsupported)[0];
    assert_eq!(f.key(), "ONLINE_HOURS_UNSUPPORTED:1:t9");
    assert_eq!(
        f.records,
        vec![RecordRef::Person(1), RecordRef::Training(9)]
    );
    assert_eq!(f.subject_id, 201);
    assert!(f.detail.contains("记 2.3 学时"), "{}", f.detail);
    assert!(
        f.detail
            .contains("有效学习 60 分钟，按每学时 30 分钟折合 2 学时"),
        "{}",
        f.detail
    );
    // A second less of study and 2.2 is too much.
    let mut log = claim_log(2.2);
    log.sessions[0].end -= secs(1);
    log.sessions[0].progress_secs -= 1;
    assert!(fires(&log, Rule::OnlineHoursUnsupported));
}

#[test]
fn only_sessions_inside_the_record_count_and_only_as_far_as_the_video_ran() {
    // Ending exactly at the record's end counts; starting a second before its start not.
    let mut log = claim_log(2.2);
    log.sessions[0].start -= secs(1);
    assert!(fires(&log, Rule::OnlineHoursUnsupported));
    let mut log = claim_log(2.2);
    log.sessions[1].end += secs(1);
    assert!(fires(&log, Rule::OnlineHoursUnsupported));
    // Progress below the length limits the support; negative progress is none.
    let mut log = claim_log(2.2);
    log.sessions[0].progress_secs = 1799;
    assert!(fires(&log, Rule::OnlineHoursUnsupported));
    let mut log = claim_log(1.1);
    log.sessions[0].progress_secs = -5000;
    assert!(!fires(&log, Rule::OnlineHoursUnsupported));
    log.claims[0].hours = 1.2;
    assert!(fires(&log, Rule::OnlineHoursUnsupported));
    // Progress above the length adds nothing.
    let mut log = claim_log(2.3);
    log.sessions[0].progress_secs = 100_000;
    assert!(fires(&log, Rule::OnlineHoursUnsupported));
}

#[test]
fn a_person_no_platform_reported_on_is_not_judged() {
    let mut log = claim_log(40.0);
    log.claims[0].person_id = 2;
    assert!(!fires(&log, Rule::OnlineHoursUnsupported));
    // A person whose logs begin after the record ended is not judged on it: the platform's
    // export does not reach back that far.
    log.sessions[0].person_id = 2;
    log.sessions[0].start = t("2024-05-01 08:00");
    log.sessions[0].end = t("2024-05-01 08:30");
    assert!(!fires(&log, Rule::OnlineHoursUnsupported));
    // Logs on both sides of the record reach it: judged, on no session inside.
    log.sessions[1].person_id = 2;
    log.sessions[1].start = t("2024-02-01 08:00");
    log.sessions[1].end = t("2024-02-01 08:30");
    let f = &fired(&log, Rule::OnlineHoursUnsupported)[0];
    assert!(f.detail.contains("学习时段 0 个"), "{}", f.detail);
    // A session ending exactly at the record's start reaches it; a second earlier, not.
    let mut log = claim_log(40.0);
    log.sessions.truncate(1);
    log.sessions[0].start = t("2024-03-01 07:00");
    log.sessions[0].end = t("2024-03-01 08:00");
    assert!(fires(&log, Rule::OnlineHoursUnsupported));
    log.sessions[0].end -= secs(1);
    assert!(!fires(&log, Rule::OnlineHoursUnsupported));
}

// ----- ONLINE_EXAM_TOO_FAST -------------------------------------------------------------

#[test]
fn ten_seconds_a_question_pass_and_a_second_less_is_too_fast() {
    let log = |secs, questions, score| OnlineLog {
        exams: vec![exam(3, 1, secs, questions, score)],
        ..OnlineLog::default()
    };
    assert!(!fires(&log(500, 50, 90.0), Rule::OnlineExamTooFast));
    let f = &fired(&log(499, 50, 90.0), Rule::OnlineExamTooFast)[0];
    assert_eq!(f.key(), "ONLINE_EXAM_TOO_FAST:1:oe3");
    assert_eq!(
        f.records,
        vec![RecordRef::Person(1), RecordRef::OnlineExam(3)]
    );
    assert_eq!(f.subject_id, 101);
    assert!(
        f.detail
            .contains("KS3（平台甲，2024-03-01 09:00）50 道题用时 499 秒（平均每题 10.0 秒）"),
        "{}",
        f.detail
    );
    // 49 questions are not timed, 50 are.
    assert!(!fires(&log(100, 49, 90.0), Rule::OnlineExamTooFast));
    assert!(fires(&log(100, 50, 90.0), Rule::OnlineExamTooFast));
    // A failed exam is no concern: 79 points, then the pass mark of 80.
    assert!(!fires(&log(100, 50, 79.0), Rule::OnlineExamTooFast));
    assert!(fires(&log(100, 50, 80.0), Rule::OnlineExamTooFast));
    assert!(!fires(&log(100, 50, 79.99), Rule::OnlineExamTooFast));
}

// ----- the whole scan -------------------------------------------------------------------

/// A log on which each of the seven checks fires.
fn everything() -> OnlineLog {
    OnlineLog {
        sessions: vec![
            // Concurrent, and a shared device.
            on("D1", session(1, 1, "2024-03-01 08:00", "2024-03-01 08:20")),
            on("D1", session(2, 2, "2024-03-01 08:10", "2024-03-01 08:25")),
            session(5, 1, "2024-03-01 08:15", "2024-03-01 08:30"),
            // Nine hours on one day, without face checks.
            session(3, 3, "2024-03-02 08:00", "2024-03-02 17:00"),
            // Speeding.
            SessionFacts {
                progress_secs: 2000,
                ..session(4, 4, "2024-03-03 08:00", "2024-03-03 08:20")
            },
        ],
        face_checks: vec![],
        exams: vec![exam(1, 1, 60, 50, 100.0)],
        claims: vec![claim(1, 4, "2024-03-03 00:00", "2024-03-04 00:00", 8.0)],
    }
}

/// Sorted by (rule, person, topic, records), one finding per key, records sorted.
fn well_formed(found: &[Finding]) -> Result<(), String> {
    let order: Vec<_> = found
        .iter()
        .map(|f| (f.rule, f.person_id, &f.topic, &f.records))
        .collect();
    if !order.windows(2).all(|w| w[0] < w[1]) {
        return Err("not sorted or with duplicates".into());
    }
    let keys: BTreeSet<String> = found.iter().map(Finding::key).collect();
    if keys.len() != found.len() {
        return Err("keys are not unique".into());
    }
    for f in found {
        if !f.rule.on_online() || f.detail.is_empty() || f.who.is_some() {
            return Err(format!("not an online finding: {f:?}"));
        }
        if !f.records.windows(2).all(|w| w[0] < w[1]) {
            return Err(format!("records not sorted: {f:?}"));
        }
        if (f.rule == Rule::OnlineDeviceShared) != f.person_id.is_none() {
            return Err(format!("person: {f:?}"));
        }
    }
    Ok(())
}

#[test]
fn every_check_fires_on_a_log_made_for_it() {
    let found = scan(&everything());
    let rules: BTreeSet<Rule> = found.iter().map(|f| f.rule).collect();
    assert_eq!(rules, Rule::ONLINE.into_iter().collect());
    well_formed(&found).unwrap();
    let mut reversed = everything();
    reversed.sessions.reverse();
    reversed.exams.reverse();
    assert_eq!(scan(&reversed), found);
}

#[test]
fn no_log_no_findings() {
    assert!(scan(&OnlineLog::default()).is_empty());
}

#[test]
fn overlaps_are_found_by_a_sweep_not_by_comparing_every_pair() {
    // 40,000 back-to-back half-hour sessions of one person on one device: all pairs would
    // be 800 million comparisons.
    let start = t("2024-01-01 00:00");
    let n = 40_000;
    let mut log = sessions(
        (0..n)
            .map(|i| SessionFacts {
                start: start + mins(30 * i),
                end: start + mins(30 * (i + 1)),
                ..on(
                    "D1",
                    session(i + 1, 1, "2024-01-01 00:00", "2024-01-01 00:30"),
                )
            })
            .collect(),
    );
    log.sessions.reverse();
    assert!(!fires(&log, Rule::OnlineConcurrent));
    // The last but one runs a second into the last; its day gets the one finding.
    log.sessions[1].end += secs(1);
    let found = scan(&log);
    let on_day = |r| found.iter().filter(|f| f.rule == r).count();
    assert_eq!(on_day(Rule::OnlineConcurrent), 1);
    assert_eq!(on_day(Rule::OnlineDeviceShared), 0);
    // And with every session of another person on the same device, one a second late.
    log.sessions[1].end -= secs(1);
    for s in log.sessions.iter_mut().filter(|s| s.id % 2 == 0) {
        s.person_id = 2;
    }
    log.sessions[0].start -= secs(1);
    let found = scan(&log);
    assert_eq!(
        found
            .iter()
            .filter(|f| f.rule == Rule::OnlineDeviceShared)
            .count(),
        1
    );
}

// ----- the independent implementation ---------------------------------------------------

/// The seven definitions read literally, pair by pair and day by day: finding key → (rule,
/// subject).
mod literal {
    use super::*;

    fn overlap(a: &SessionFacts, b: &SessionFacts) -> bool {
        a.start < b.end && b.start < a.end
    }

    /// The subject of the earliest session, by (start, id).
    fn earliest<'a>(ss: impl IntoIterator<Item = &'a SessionFacts>) -> RecordId {
        ss.into_iter()
            .min_by_key(|s| (s.start, s.id))
            .unwrap()
            .subject_id
    }

    fn midnight(d: NaiveDate) -> NaiveDateTime {
        d.and_time(NaiveTime::MIN)
    }

    pub fn scan(log: &OnlineLog, p: &Params) -> BTreeMap<String, (Rule, RecordId)> {
        let mut out = BTreeMap::new();
        let ss = &log.sessions;
        let mut add = |rule: Rule, key: String, subject: RecordId| {
            assert!(out.insert(key, (rule, subject)).is_none());
        };

        // ONLINE_CONCURRENT
        let mut by_day: BTreeMap<(RecordId, NaiveDate), Vec<&SessionFacts>> = BTreeMap::new();
        for (i, a) in ss.iter().enumerate() {
            for b in &ss[i + 1..] {
                if a.person_id == b.person_id && overlap(a, b) {
                    let day = a.start.max(b.start).date();
                    by_day.entry((a.person_id, day)).or_default().extend([a, b]);
                }
            }
        }
        for ((person, day), v) in by_day {
            add(
                Rule::OnlineConcurrent,
                format!("ONLINE_CONCURRENT:{person}:{day}"),
                earliest(v),
            );
        }

        // ONLINE_DEVICE_SHARED
        let devices: BTreeSet<&str> = ss
            .iter()
            .map(|s| s.device.as_str())
            .filter(|d| !d.is_empty())
            .collect();
        for device in devices {
            let here: Vec<&SessionFacts> = ss.iter().filter(|s| s.device == device).collect();
            let days: BTreeSet<NaiveDate> = here.iter().map(|s| s.start.date()).collect();
            for day in days {
                let mut about: Vec<&SessionFacts> = Vec::new();
                for (i, a) in here.iter().enumerate() {
                    for b in &here[i + 1..] {
                        if a.person_id != b.person_id
                            && overlap(a, b)
                            && a.start.max(b.start).date() == day
                        {
                            about.extend([*a, *b]);
                        }
                    }
                }
                let starting: Vec<&SessionFacts> = here
                    .iter()
                    .copied()
                    .filter(|s| s.start.date() == day)
                    .collect();
                let persons: BTreeSet<RecordId> = starting.iter().map(|s| s.person_id).collect();
                if persons.len() >= p.online_device_persons_per_day as usize {
                    about.extend(starting);
                }
                if !about.is_empty() {
                    let subject = earliest(about);
                    add(
                        Rule::OnlineDeviceShared,
                        format!("ONLINE_DEVICE_SHARED:s{subject}:{device}|{day}"),
                        subject,
                    );
                }
            }
        }

        // ONLINE_DAILY_EXCESS
        let mut days: BTreeSet<(RecordId, NaiveDate)> = BTreeSet::new();
        for s in ss {
            let mut d = s.start.date();
            while d <= s.end.date() {
                days.insert((s.person_id, d));
                d = d.succ_opt().unwrap();
            }
        }
        for (person, day) in days {
            let (from, to) = (midnight(day), midnight(day.succ_opt().unwrap()));
            let mut total = TimeDelta::zero();
            let mut counted = Vec::new();
            for s in ss.iter().filter(|s| s.person_id == person) {
                let part = s.end.min(to) - s.start.max(from);
                if part > TimeDelta::zero() {
                    total += part;
                    counted.push(s);
                }
            }
            if total.num_milliseconds() as f64 / 3_600_000.0 > p.online_daily_max_hours {
                add(
                    Rule::OnlineDailyExcess,
                    format!("ONLINE_DAILY_EXCESS:{person}:{day}"),
                    earliest(counted),
                );
            }
        }

        // ONLINE_FACE_GAP
        for s in ss {
            let checks: Vec<&FaceCheckFacts> = log
                .face_checks
                .iter()
                .filter(|c| {
                    c.person_id == s.person_id
                        && c.platform == s.platform
                        && s.start <= c.at
                        && c.at <= s.end
                })
                .collect();
            let passed_in = |from: NaiveDateTime, to: NaiveDateTime| {
                checks
                    .iter()
                    .any(|c| c.passed && from <= c.at && c.at <= to)
            };
            let mut fires = false;
            if s.end - s.start > mins(i64::from(p.online_face_session_minutes)) {
                let first = s.start + mins(i64::from(p.online_face_first_minutes));
                fires |= !passed_in(s.start, first);
                let w = mins(i64::from(p.online_face_window_minutes));
                let mut k = 0;
                while s.start + w * (k + 1) <= s.end {
                    fires |= !passed_in(s.start + w * k, s.start + w * (k + 1));
                    k += 1;
                    if w.is_zero() {
                        break;
                    }
                }
            }
            fires |= checks
                .iter()
                .any(|f| !f.passed && !checks.iter().any(|c| c.passed && c.at > f.at));
            if fires {
                add(
                    Rule::OnlineFaceGap,
                    format!("ONLINE_FACE_GAP:{}:os{}", s.person_id, s.id),
                    s.subject_id,
                );
            }
        }

        // ONLINE_SPEED
        for s in ss {
            let d = (s.end - s.start).num_seconds();
            if s.progress_secs as i128 * 100
                > d as i128 * (100 + p.online_speed_tolerance_pct as i128)
            {
                add(
                    Rule::OnlineSpeed,
                    format!("ONLINE_SPEED:{}:os{}", s.person_id, s.id),
                    s.subject_id,
                );
            }
        }

        // ONLINE_HOURS_UNSUPPORTED
        for c in &log.claims {
            let mine: Vec<&SessionFacts> =
                ss.iter().filter(|s| s.person_id == c.person_id).collect();
            // Judged only where the person's logs reach: some session (not necessarily inside
            // the record) ends at or after its start and starts at or before its end.
            let covered = mine.iter().map(|s| s.start).min().unwrap_or(c.end) <= c.end
                && mine.iter().map(|s| s.end).max().unwrap_or(c.start) >= c.start;
            if mine.is_empty() || !covered {
                continue;
            }
            let secs: i64 = mine
                .iter()
                .filter(|s| s.start >= c.start && s.end <= c.end)
                .map(|s| (s.end - s.start).num_seconds().min(s.progress_secs.max(0)))
                .sum();
            let supported = secs as f64 / (60.0 * p.minutes_per_class_hour(true));
            let allowed = supported * (1.0 + p.online_hours_tolerance_pct as f64 / 100.0);
            if c.hours > allowed + 1e-6 {
                add(
                    Rule::OnlineHoursUnsupported,
                    format!("ONLINE_HOURS_UNSUPPORTED:{}:t{}", c.person_id, c.id),
                    c.subject_id,
                );
            }
        }

        // ONLINE_EXAM_TOO_FAST
        for e in &log.exams {
            let d = (e.end - e.start).num_seconds();
            if e.questions >= p.online_exam_min_questions as i64
                && (d as i128) < e.questions as i128 * p.online_exam_min_secs_per_question as i128
                && e.score >= p.exam_pass_score as f64
            {
                add(
                    Rule::OnlineExamTooFast,
                    format!("ONLINE_EXAM_TOO_FAST:{}:oe{}", e.person_id, e.id),
                    e.subject_id,
                );
            }
        }
        out
    }
}

// ----- random logs ----------------------------------------------------------------------

const PLATFORMS: [&str; 2] = ["平台甲", "平台乙"];

/// Times on half-hour steps from noon to one in the morning on two days, now and then a
/// second off: dense enough that sessions often start together, touch, overlap by a second
/// and cross midnight.
fn a_time() -> impl Strategy<Value = NaiveDateTime> {
    (
        0i64..2,
        0i64..27,
        prop_oneof![6 => Just(0i64), 1 => -1i64..=1],
    )
        .prop_map(|(day, step, s)| {
            t("2024-03-01 12:00") + TimeDelta::days(day) + mins(30 * step) + secs(s)
        })
}

/// Lengths around the thresholds: empty, the face windows, whole days' worth of hours.
fn a_length() -> impl Strategy<Value = TimeDelta> {
    prop_oneof![
        2 => Just(TimeDelta::zero()),
        3 => (0i64..13).prop_map(|k| mins(5 * k)),
        2 => (1i64..4, -1i64..=1).prop_map(|(k, s)| mins(30 * k) + secs(s)),
        2 => (0i64..60).prop_map(|k| mins(10 * k)),
    ]
}

fn a_session() -> impl Strategy<Value = SessionFacts> {
    (
        (
            1i64..4,
            1i64..4,
            select(PLATFORMS.to_vec()),
            select(vec!["", "D1", "D1", "D1", "D2"]),
        ),
        (a_time(), a_length()),
        (select(vec![0i64, 50, 100, 105, 110]), -1i64..=1),
    )
        .prop_map(
            |((person, subject, platform, device), (start, len), (pct, off))| {
                let end = start + len;
                SessionFacts {
                    id: 0,
                    subject_id: subject,
                    person_id: person,
                    name: format!("学员{person}"),
                    platform: platform.into(),
                    course: "课程".into(),
                    start,
                    end,
                    progress_secs: len.num_seconds() * pct / 100 + off,
                    device: device.into(),
                }
            },
        )
}

/// A face check placed relative to a session (picked by index), mostly on its person and
/// platform, often on five-minute steps (so on window boundaries), now and then a second off.
fn a_check() -> impl Strategy<Value = (usize, i64, i64, bool, bool, bool)> {
    (
        0usize..100,
        prop_oneof![(-1i64..27).prop_map(|m| 5 * m), -5i64..130],
        prop_oneof![4 => Just(0i64), 1 => -1i64..=1],
        prop_oneof![4 => Just(true), 1 => Just(false)],
        prop_oneof![8 => Just(true), 1 => Just(false)],
        prop_oneof![8 => Just(true), 1 => Just(false)],
    )
}

fn an_exam() -> impl Strategy<Value = ExamFacts> {
    (
        1i64..4,
        select(vec![0i64, 49, 50, 51, 100]),
        prop_oneof![-1i64..=1, -400i64..400],
        select(vec![0.0, 79.0, 79.5, 80.0, 100.0]),
    )
        .prop_map(|(person, questions, off, score)| ExamFacts {
            subject_id: person % 2 + 1,
            ..exam(0, person, questions * 10 + off, questions, score)
        })
}

fn a_claim() -> impl Strategy<Value = ClaimFacts> {
    (
        1i64..5,
        a_time(),
        0i64..40,
        select(vec![0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 24.0]),
    )
        .prop_map(|(person, start, hours, claimed)| ClaimFacts {
            id: 0,
            subject_id: person + 10,
            person_id: person,
            start,
            end: start + TimeDelta::hours(hours),
            hours: claimed,
        })
}

fn a_log() -> impl Strategy<Value = OnlineLog> {
    (
        vec(a_session(), 0..20),
        vec(a_check(), 0..16),
        vec(an_exam(), 0..4),
        vec(a_claim(), 0..4),
    )
        .prop_map(|(mut sessions, checks, mut exams, mut claims)| {
            for (i, s) in sessions.iter_mut().enumerate() {
                s.id = i as RecordId + 1;
            }
            for (i, e) in exams.iter_mut().enumerate() {
                e.id = i as RecordId + 1;
            }
            for (i, c) in claims.iter_mut().enumerate() {
                c.id = i as RecordId + 1;
            }
            let face_checks = if sessions.is_empty() {
                Vec::new()
            } else {
                checks
                    .into_iter()
                    .enumerate()
                    .map(|(i, (k, m, s, passed, same_person, same_platform))| {
                        let of = &sessions[k % sessions.len()];
                        FaceCheckFacts {
                            id: i as RecordId + 1,
                            person_id: if same_person { of.person_id } else { 9 },
                            platform: if same_platform {
                                of.platform.clone()
                            } else {
                                "平台丙".into()
                            },
                            at: of.start + mins(m) + secs(s),
                            passed,
                        }
                    })
                    .collect()
            };
            OnlineLog {
                sessions,
                face_checks,
                exams,
                claims,
            }
        })
}

/// Parameters small enough that the daily and device checks fire on small logs too.
fn small() -> Params {
    Params {
        online_daily_max_hours: 2.0,
        online_device_persons_per_day: 2,
        online_face_session_minutes: 20,
        online_face_first_minutes: 5,
        online_face_window_minutes: 15,
        online_speed_tolerance_pct: 0,
        online_hours_tolerance_pct: 0,
        online_exam_min_questions: 1,
        online_exam_min_secs_per_question: 5,
        ..Params::default()
    }
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

fn shuffled(log: &OnlineLog, mut seed: u64) -> OnlineLog {
    let mut log = log.clone();
    shuffle(&mut log.sessions, &mut seed);
    shuffle(&mut log.face_checks, &mut seed);
    shuffle(&mut log.exams, &mut seed);
    shuffle(&mut log.claims, &mut seed);
    log
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_scan_agrees_with_the_literal_definitions(log in a_log(), seed in 1u64..u64::MAX) {
        for p in [Params::default(), small()] {
            let found = scan_online(&log, &p);
            if let Err(e) = well_formed(&found) {
                prop_assert!(false, "{}", e);
            }
            let ours: BTreeMap<String, (Rule, RecordId)> = found
                .iter()
                .map(|f| (f.key(), (f.rule, f.subject_id)))
                .collect();
            prop_assert_eq!(&ours, &literal::scan(&log, &p));
            prop_assert_eq!(&scan_online(&shuffled(&log, seed), &p), &found);
        }
    }
}

/// The random logs reach every rule (else the agreement above would prove little).
#[test]
fn random_logs_make_every_check_fire() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen = BTreeSet::new();
    for _ in 0..300 {
        let log = a_log().new_tree(&mut runner).unwrap().current();
        for p in [Params::default(), small()] {
            seen.extend(literal::scan(&log, &p).into_values().map(|(r, _)| r));
        }
    }
    assert_eq!(seen, Rule::ONLINE.into_iter().collect());
}
