//! The seven checks of online-training platforms' logs (网络培训): study sessions (学习记录),
//! face checks (人脸核验), online exams (在线考试), and the ledger's online training records
//! (培训形式 线上) those sessions should support.
//!
//! Like the other checks these are pure and deterministic: the caller hands over an
//! [`OnlineLog`] with opaque numeric ids (persons are ledger persons, matched by the caller)
//! and [`scan_online`] returns the findings. The semantics of each check are the definitions
//! in the catalogue ([`Rule::definition`]); the numbers they read are in [`Params`].
//!
//! A finding about several sessions is filed under the subject of the earliest of them, by
//! (start, id). For ONLINE_CONCURRENT and ONLINE_DEVICE_SHARED those are the sessions of the
//! overlapping pairs whose later start is on the finding's day, and for ONLINE_DEVICE_SHARED
//! also, when enough persons used the device, every session starting on the device that
//! day; for ONLINE_DAILY_EXCESS the sessions that count a positive length on that day.
//!
//! Cost: one sort of the sessions by person, one by device and one of the face checks by
//! (person, platform), then linear passes with binary searches. Overlaps are never found by
//! comparing pairs: each session looks up the earliest earlier session it overlaps by a
//! binary search over the prefix maxima of the ends, so the scan stays O(n log n) however
//! many sessions one person or device has.

use super::catalogue::{fmt_amount, fmt_hours};
use super::{Finding, RecordId, RecordRef, Rule, HOURS_EPSILON};
use crate::params::Params;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};
use std::fmt::Write as _;

/// One study session (学习记录) of a platform's log.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionFacts {
    pub id: RecordId,
    /// The subject a finding about the session is filed under: the training institution
    /// that uploaded the log, else the trainee's employer.
    pub subject_id: RecordId,
    /// The ledger person who studied.
    pub person_id: RecordId,
    /// The person's name, for details.
    pub name: String,
    pub platform: String,
    pub course: String,
    pub start: NaiveDateTime,
    /// Never before `start` (imports reject such rows); may equal it.
    pub end: NaiveDateTime,
    /// 视频进度秒数: seconds of course video the session covered.
    pub progress_secs: i64,
    /// 设备标识; empty when the platform recorded none.
    pub device: String,
}

/// One face check (人脸核验) of a person on a platform.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceCheckFacts {
    pub id: RecordId,
    pub person_id: RecordId,
    pub platform: String,
    pub at: NaiveDateTime,
    /// 核验结果 通过.
    pub passed: bool,
}

/// One online exam (在线考试).
#[derive(Debug, Clone, PartialEq)]
pub struct ExamFacts {
    pub id: RecordId,
    /// As for sessions: the uploading institution, else the employer.
    pub subject_id: RecordId,
    pub person_id: RecordId,
    pub platform: String,
    pub exam_no: String,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    /// 题量.
    pub questions: i64,
    pub score: f64,
}

/// A training record of the ledger held online (培训形式 线上): the hours it claims.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimFacts {
    /// The ledger training record's id.
    pub id: RecordId,
    pub subject_id: RecordId,
    pub person_id: RecordId,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    /// 理论学时 + 实操学时.
    pub hours: f64,
}

/// Everything the online checks read. Records need not be sorted; ids are assumed unique
/// within their kind.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OnlineLog {
    pub sessions: Vec<SessionFacts>,
    pub face_checks: Vec<FaceCheckFacts>,
    pub exams: Vec<ExamFacts>,
    /// The ledger's training records with 培训形式 线上, and only those.
    pub claims: Vec<ClaimFacts>,
}

/// Evaluates the seven checks. Deterministic order: by rule, then person id (none first),
/// then topic, then records; one finding per [`Finding::key`], whatever the order of the
/// input.
pub fn scan_online(log: &OnlineLog, params: &Params) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut by_person: Vec<&SessionFacts> = log.sessions.iter().collect();
    by_person.sort_unstable_by_key(|s| (s.person_id, s.start, s.id));
    let persons: Vec<&[&SessionFacts]> = by_person
        .chunk_by(|a, b| a.person_id == b.person_id)
        .collect();
    let mut reach = Vec::new();
    let mut pieces = Vec::new();
    for &g in &persons {
        let partners = earliest_partners(g, false, &mut reach);
        concurrent(g, &partners, &mut out);
        daily_excess(g, params, &mut pieces, &mut out);
    }

    let mut by_device: Vec<&SessionFacts> = log
        .sessions
        .iter()
        .filter(|s| !s.device.is_empty())
        .collect();
    by_device.sort_unstable_by(|a, b| {
        (a.device.as_str(), a.start, a.id).cmp(&(b.device.as_str(), b.start, b.id))
    });
    for g in by_device.chunk_by(|a, b| a.device == b.device) {
        let partners = earliest_partners(g, true, &mut reach);
        device_shared(g, &partners, params, &mut out);
    }

    face_gaps(log, params, &mut out);
    speed(log, params, &mut out);
    hours_unsupported(log, &persons, params, &mut out);
    exams_too_fast(log, params, &mut out);

    out.sort_by(|a, b| {
        (
            a.rule,
            a.person_id,
            &a.topic,
            &a.records,
            a.subject_id,
            &a.detail,
        )
            .cmp(&(
                b.rule,
                b.person_id,
                &b.topic,
                &b.records,
                b.subject_id,
                &b.detail,
            ))
    });
    out
}

fn finding(
    rule: Rule,
    subject_id: RecordId,
    person_id: Option<RecordId>,
    topic: Option<String>,
    records: Vec<RecordRef>,
    detail: String,
) -> Finding {
    Finding {
        rule,
        subject_id,
        person_id,
        who: None,
        topic,
        records,
        detail,
    }
}

// ----- overlaps -------------------------------------------------------------------------

/// The latest end among a prefix of sessions with its person, and the latest end among the
/// sessions of every other person: enough to tell whether the prefix holds a session that
/// ends after a time, of any person or of a person other than a given one.
#[derive(Debug, Clone, Copy, Default)]
struct Reach {
    first: Option<(NaiveDateTime, RecordId)>,
    second: Option<NaiveDateTime>,
}

impl Reach {
    fn with(self, end: NaiveDateTime, person: RecordId) -> Reach {
        match self.first {
            None => Reach {
                first: Some((end, person)),
                second: None,
            },
            Some((e, p)) if p == person => Reach {
                first: Some((e.max(end), p)),
                ..self
            },
            // The old leader is now the latest of the persons other than the new one.
            Some((e, _)) if end > e => Reach {
                first: Some((end, person)),
                second: Some(e),
            },
            Some(_) => Reach {
                second: self.second.max(Some(end)),
                ..self
            },
        }
    }

    /// Some session of the prefix ends after `t` (and is not `other_than`'s).
    fn beyond(&self, t: NaiveDateTime, other_than: Option<RecordId>) -> bool {
        match (self.first, other_than) {
            (None, _) => false,
            (Some((e, _)), None) => e > t,
            (Some((e, p)), Some(q)) => (p != q && e > t) || self.second.is_some_and(|s| s > t),
        }
    }
}

/// For each session of `group` (sorted by (start, id)): the index of the earliest earlier
/// session in that order it overlaps (of another person, with `other_person`).
///
/// An earlier session `a` starts no later than `b`, so they overlap iff `a` ends after `b`
/// starts and, when both start together, `b` is not empty ([s, s) overlaps nothing that
/// starts at s). "Some session of the first L ends after t" grows with L, so the earliest
/// such session is found by a binary search over the prefixes' [`Reach`].
fn earliest_partners(
    group: &[&SessionFacts],
    other_person: bool,
    reach: &mut Vec<Reach>,
) -> Vec<Option<usize>> {
    reach.clear();
    reach.push(Reach::default());
    for s in group {
        let last = reach[reach.len() - 1];
        reach.push(last.with(s.end, s.person_id));
    }
    group
        .iter()
        .enumerate()
        .map(|(j, b)| {
            let limit = if b.start == b.end {
                group[..j].partition_point(|a| a.start < b.start)
            } else {
                j
            };
            let other_than = other_person.then_some(b.person_id);
            let l = reach[..=limit].partition_point(|r| !r.beyond(b.start, other_than));
            (l <= limit).then(|| l - 1)
        })
        .collect()
}

/// Runs of sessions (sorted by start) starting on the same day.
fn days<'b>(
    group: &'b [&SessionFacts],
) -> impl Iterator<Item = (NaiveDate, std::ops::Range<usize>)> + 'b {
    let mut from = 0;
    std::iter::from_fn(move || {
        let first = group.get(from)?;
        let day = first.start.date();
        let to = from + group[from..].partition_point(|s| s.start.date() == day);
        let run = from..to;
        from = to;
        Some((day, run))
    })
}

/// HH:MM (HH:MM:SS when the seconds matter), with the date when it is not `day`.
fn clock(t: NaiveDateTime, day: NaiveDate) -> String {
    let time = if t.second() == 0 && t.nanosecond() == 0 {
        t.format("%H:%M")
    } else {
        t.format("%H:%M:%S")
    };
    if t.date() == day {
        time.to_string()
    } else {
        format!("{} {time}", t.date())
    }
}

/// 平台「课程」08:00–09:30.
fn session_text(s: &SessionFacts, day: NaiveDate) -> String {
    format!(
        "{}「{}」{}–{}",
        s.platform,
        s.course,
        clock(s.start, day),
        clock(s.end, day)
    )
}

/// How many pairs a detail shows.
const SHOWN_PAIRS: usize = 5;

/// ONLINE_CONCURRENT of one person's sessions, sorted by (start, id).
fn concurrent(g: &[&SessionFacts], partners: &[Option<usize>], out: &mut Vec<Finding>) {
    for (day, run) in days(g) {
        let pairs: Vec<(usize, usize)> = run.filter_map(|j| partners[j].map(|i| (i, j))).collect();
        let Some(earliest) = pairs.iter().map(|&(i, _)| i).min() else {
            continue;
        };
        let shown: Vec<String> = pairs
            .iter()
            .take(SHOWN_PAIRS)
            .map(|&(i, j)| format!("{} 与 {}", session_text(g[i], day), session_text(g[j], day)))
            .collect();
        let more = if pairs.len() > SHOWN_PAIRS { "等" } else { "" };
        let detail = format!(
            "{} 在 {day} 开始的 {} 个网络学习时段与更早开始的时段重叠：{}{more}",
            g[pairs[0].1].name,
            pairs.len(),
            shown.join("；"),
        );
        let person = g[0].person_id;
        out.push(finding(
            Rule::OnlineConcurrent,
            g[earliest].subject_id,
            Some(person),
            Some(day.to_string()),
            vec![RecordRef::Person(person)],
            detail,
        ));
    }
}

/// ONLINE_DEVICE_SHARED of one device's sessions, sorted by (start, id).
fn device_shared(
    g: &[&SessionFacts],
    partners: &[Option<usize>],
    p: &Params,
    out: &mut Vec<Finding>,
) {
    let need = p.online_device_persons_per_day as usize;
    for (day, run) in days(g) {
        let mut persons: Vec<RecordId> = g[run.clone()].iter().map(|s| s.person_id).collect();
        persons.sort_unstable();
        persons.dedup();
        let many = persons.len() >= need;
        let pairs: Vec<(usize, usize)> = run
            .clone()
            .filter_map(|j| partners[j].map(|i| (i, j)))
            .collect();
        if !many && pairs.is_empty() {
            continue;
        }
        let earliest = pairs
            .iter()
            .map(|&(i, _)| i)
            .chain(many.then_some(run.start))
            .min()
            .unwrap_or(run.start);
        let mut reasons = Vec::new();
        if !pairs.is_empty() {
            let shown: Vec<String> = pairs
                .iter()
                .take(SHOWN_PAIRS)
                .map(|&(i, j)| {
                    format!(
                        "{} {} 与 {} {}",
                        g[i].name,
                        session_text(g[i], day),
                        g[j].name,
                        session_text(g[j], day)
                    )
                })
                .collect();
            let more = if pairs.len() > SHOWN_PAIRS { "等" } else { "" };
            reasons.push(format!(
                "不同人员的学习时段同时进行：{}{more}",
                shown.join("；")
            ));
        }
        if many {
            reasons.push(format!(
                "当日开始的学习时段涉及 {} 名不同人员，达到 {need} 人",
                persons.len()
            ));
        }
        let mut names: Vec<&str> = g[run.clone()]
            .iter()
            .chain(pairs.iter().map(|&(i, _)| &g[i]))
            .map(|s| s.name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        let device = &g[0].device;
        let detail = format!(
            "设备 {device} 在 {day}：{}。涉及人员：{}",
            reasons.join("；"),
            names.join("、")
        );
        out.push(finding(
            Rule::OnlineDeviceShared,
            g[earliest].subject_id,
            None,
            Some(format!("{device}|{day}")),
            Vec::new(),
            detail,
        ));
    }
}

// ----- daily hours ----------------------------------------------------------------------

/// ONLINE_DAILY_EXCESS of one person's sessions, sorted by (start, id). `pieces` is a
/// buffer: (day, index of the session, its length that day).
fn daily_excess(
    g: &[&SessionFacts],
    p: &Params,
    pieces: &mut Vec<(NaiveDate, usize, TimeDelta)>,
    out: &mut Vec<Finding>,
) {
    pieces.clear();
    for (x, s) in g.iter().enumerate() {
        let mut day = s.start.date();
        loop {
            let from = day.and_time(NaiveTime::MIN);
            let next = day.succ_opt().map(|d| d.and_time(NaiveTime::MIN));
            let lo = s.start.max(from);
            let hi = next.map_or(s.end, |n| s.end.min(n));
            if hi > lo {
                pieces.push((day, x, hi - lo));
            }
            match next {
                Some(n) if s.end > n => day = n.date(),
                _ => break,
            }
        }
    }
    // By day, then session: the first piece of a day is its earliest session's.
    pieces.sort_unstable_by_key(|&(day, x, _)| (day, x));
    for run in pieces.chunk_by(|a, b| a.0 == b.0) {
        let total: TimeDelta = run.iter().map(|r| r.2).sum();
        let hours = total.num_milliseconds() as f64 / 3_600_000.0;
        if hours <= p.online_daily_max_hours {
            continue;
        }
        let (day, earliest, _) = run[0];
        let secs = total.num_seconds();
        let detail = format!(
            "{} 在 {day} 的 {} 个网络学习时段当日合计 {:.1} 小时（{}:{:02}:{:02}），超过每日上限 {} 小时",
            g[earliest].name,
            run.len(),
            hours,
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            fmt_hours(p.online_daily_max_hours),
        );
        let person = g[0].person_id;
        out.push(finding(
            Rule::OnlineDailyExcess,
            g[earliest].subject_id,
            Some(person),
            Some(day.to_string()),
            vec![RecordRef::Person(person)],
            detail,
        ));
    }
}

// ----- face checks ----------------------------------------------------------------------

fn plus_minutes(t: NaiveDateTime, m: i64) -> Option<NaiveDateTime> {
    t.checked_add_signed(TimeDelta::try_minutes(m)?)
}

/// The first window [start + kW, start + (k + 1)W] (k = 0, 1, …) ending by `end` that holds
/// none of `passed` (sorted): (k, its start, its end). Each check covers at most two
/// windows (one if it is not on a boundary), so this takes O(len) steps, not one per window.
fn first_bare_window(
    start: NaiveDateTime,
    end: NaiveDateTime,
    w: TimeDelta,
    passed: &[NaiveDateTime],
) -> Option<(i32, NaiveDateTime, NaiveDateTime)> {
    let mut i = 0;
    let mut k: i32 = 0;
    loop {
        let lo = start.checked_add_signed(w.checked_mul(k)?)?;
        let hi = lo.checked_add_signed(w)?;
        if hi > end {
            return None;
        }
        while i < passed.len() && passed[i] < lo {
            i += 1;
        }
        if i == passed.len() || passed[i] > hi {
            return Some((k, lo, hi));
        }
        if w.is_zero() {
            // Every window is [start, start], just checked.
            return None;
        }
        k = k.checked_add(1)?;
    }
}

fn check_key<'a>(c: &&'a FaceCheckFacts) -> (RecordId, &'a str, NaiveDateTime) {
    (c.person_id, c.platform.as_str(), c.at)
}

/// ONLINE_FACE_GAP: each session against its person's checks on its platform.
fn face_gaps(log: &OnlineLog, p: &Params, out: &mut Vec<Finding>) {
    let mut checks: Vec<&FaceCheckFacts> = log.face_checks.iter().collect();
    checks.sort_unstable_by(|a, b| {
        (a.person_id, a.platform.as_str(), a.at, a.id).cmp(&(
            b.person_id,
            b.platform.as_str(),
            b.at,
            b.id,
        ))
    });
    let long = TimeDelta::minutes(i64::from(p.online_face_session_minutes));
    let window = TimeDelta::minutes(i64::from(p.online_face_window_minutes));
    let mut passed = Vec::new();
    for s in &log.sessions {
        let lo =
            checks.partition_point(|c| check_key(c) < (s.person_id, s.platform.as_str(), s.start));
        let hi =
            checks.partition_point(|c| check_key(c) <= (s.person_id, s.platform.as_str(), s.end));
        let during = &checks[lo..hi.max(lo)];
        let day = s.start.date();
        let mut reasons = Vec::new();
        if s.end - s.start > long {
            passed.clear();
            passed.extend(during.iter().filter(|c| c.passed).map(|c| c.at));
            let first_by = plus_minutes(s.start, i64::from(p.online_face_first_minutes))
                .unwrap_or(NaiveDateTime::MAX);
            if passed.first().is_none_or(|&t| t > first_by) {
                reasons.push(format!(
                    "开始后 {} 分钟内（至 {}）无通过的人脸核验",
                    p.online_face_first_minutes,
                    clock(first_by, day)
                ));
            }
            if let Some((k, from, to)) = first_bare_window(s.start, s.end, window, &passed) {
                reasons.push(format!(
                    "第 {} 个 {} 分钟区间（{}–{}）无通过的人脸核验",
                    k + 1,
                    p.online_face_window_minutes,
                    clock(from, day),
                    clock(to, day)
                ));
            }
        }
        let last_failed = during.iter().rev().find(|c| !c.passed);
        let last_passed = during.iter().rev().find(|c| c.passed);
        if let Some(f) = last_failed {
            if last_passed.is_none_or(|ok| ok.at <= f.at) {
                reasons.push(format!(
                    "{} 人脸核验未通过，此后至时段结束无通过的核验",
                    clock(f.at, day)
                ));
            }
        }
        if reasons.is_empty() {
            continue;
        }
        let detail = format!(
            "{} 的学习时段 {} {}（{} 分钟，人脸核验 {} 次）：{}",
            s.name,
            day,
            session_text(s, day),
            (s.end - s.start).num_minutes(),
            during.len(),
            reasons.join("；")
        );
        out.push(finding(
            Rule::OnlineFaceGap,
            s.subject_id,
            Some(s.person_id),
            None,
            vec![
                RecordRef::Person(s.person_id),
                RecordRef::OnlineSession(s.id),
            ],
            detail,
        ));
    }
}

// ----- per session, claim and exam ------------------------------------------------------

/// ONLINE_SPEED
fn speed(log: &OnlineLog, p: &Params, out: &mut Vec<Finding>) {
    let tolerance = i128::from(p.online_speed_tolerance_pct);
    for s in &log.sessions {
        let secs = (s.end - s.start).num_seconds();
        if i128::from(s.progress_secs) * 100 <= i128::from(secs) * (100 + tolerance) {
            continue;
        }
        let day = s.start.date();
        let ratio = if secs > 0 {
            format!(
                "，为时长的 {:.1}%",
                s.progress_secs as f64 * 100.0 / secs as f64
            )
        } else {
            String::new()
        };
        let detail = format!(
            "{} 的学习时段 {} {} 时长 {secs} 秒，视频进度 {} 秒{ratio}，超过允许的 {}%",
            s.name,
            day,
            session_text(s, day),
            s.progress_secs,
            100 + tolerance,
        );
        out.push(finding(
            Rule::OnlineSpeed,
            s.subject_id,
            Some(s.person_id),
            None,
            vec![
                RecordRef::Person(s.person_id),
                RecordRef::OnlineSession(s.id),
            ],
            detail,
        ));
    }
}

/// ONLINE_HOURS_UNSUPPORTED: `persons` are the sessions by person, each sorted by
/// (start, id), the persons by id.
fn hours_unsupported(
    log: &OnlineLog,
    persons: &[&[&SessionFacts]],
    p: &Params,
    out: &mut Vec<Finding>,
) {
    let minutes = p.minutes_per_class_hour(true);
    let allowance = 1.0 + f64::from(p.online_hours_tolerance_pct) / 100.0;
    for c in &log.claims {
        let Ok(at) = persons.binary_search_by_key(&c.person_id, |g| g[0].person_id) else {
            // No platform reported on the person: not judged.
            continue;
        };
        let g = persons[at];
        // Judged only where the person's logs reach: a platform's export covers a period, and
        // a record from before (or after) it is not the platform's to confirm or deny.
        let first = g[0].start;
        let last_end = g.iter().map(|s| s.end).max().unwrap_or(first);
        if first > c.end || last_end < c.start {
            continue;
        }
        let from = g.partition_point(|s| s.start < c.start);
        let (mut secs, mut n) = (0i128, 0);
        for s in g[from..].iter().take_while(|s| s.start <= c.end) {
            if s.end <= c.end {
                let length = (s.end - s.start).num_seconds();
                secs += i128::from(length.min(s.progress_secs.max(0)));
                n += 1;
            }
        }
        let supported = secs as f64 / (60.0 * minutes);
        let allowed = supported * allowance;
        if c.hours - allowed <= HOURS_EPSILON {
            continue;
        }
        let detail = format!(
            "线上培训记录 {} 至 {} 记 {} 学时；期间平台学习时段 {n} 个，有效学习 {} 分钟，\
             按每学时 {} 分钟折合 {} 学时，加允许误差 {}% 为 {} 学时，记录学时超出",
            c.start.format("%Y-%m-%d %H:%M"),
            c.end.format("%Y-%m-%d %H:%M"),
            fmt_amount(c.hours),
            fmt_hours(secs as f64 / 60.0),
            minutes,
            fmt_hours(supported),
            p.online_hours_tolerance_pct,
            fmt_hours(allowed),
        );
        out.push(finding(
            Rule::OnlineHoursUnsupported,
            c.subject_id,
            Some(c.person_id),
            None,
            vec![RecordRef::Person(c.person_id), RecordRef::Training(c.id)],
            detail,
        ));
    }
}

/// ONLINE_EXAM_TOO_FAST
fn exams_too_fast(log: &OnlineLog, p: &Params, out: &mut Vec<Finding>) {
    let per_question = i128::from(p.online_exam_min_secs_per_question);
    for e in &log.exams {
        let secs = (e.end - e.start).num_seconds();
        if e.questions < i64::from(p.online_exam_min_questions)
            || i128::from(secs) >= i128::from(e.questions) * per_question
            || e.score < f64::from(p.exam_pass_score)
        {
            continue;
        }
        let mut detail = format!(
            "在线考试 {}（{}，{}）{} 道题用时 {secs} 秒",
            e.exam_no,
            e.platform,
            e.start.format("%Y-%m-%d %H:%M"),
            e.questions,
        );
        if e.questions > 0 {
            let _ = write!(
                detail,
                "（平均每题 {:.1} 秒）",
                secs as f64 / e.questions as f64
            );
        }
        let _ = write!(
            detail,
            "，少于每题 {per_question} 秒，成绩 {} 分（合格 {} 分）",
            fmt_hours(e.score),
            p.exam_pass_score
        );
        out.push(finding(
            Rule::OnlineExamTooFast,
            e.subject_id,
            Some(e.person_id),
            None,
            vec![RecordRef::Person(e.person_id), RecordRef::OnlineExam(e.id)],
            detail,
        ));
    }
}
