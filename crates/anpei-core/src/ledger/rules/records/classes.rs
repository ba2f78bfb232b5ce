//! The training-class checks: CLASS_HOURS_SHORT, CLASS_OVER_CAPACITY,
//! TEACHER_DOUBLE_BOOKED, TRAINEE_DOUBLE_BOOKED and UNIFORM_SCORES (of classes and of
//! exam sessions), with the overlap sweep the double bookings share.

use super::{
    finding, group_by, hm, minutes, who, ClassSessionFacts, Cx, TeacherFacts, TraineeFacts,
};
use crate::ledger::rules::catalogue::{fmt_amount, fmt_hours};
use crate::ledger::rules::{Finding, RecordId, RecordRef, Rule, HOURS_EPSILON};
use chrono::NaiveDateTime;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

/// The full mark of a score (满分).
const FULL_MARKS: f64 = 100.0;

/// Names for a detail: 张三、李四 等 12 人 (at most `SHOWN` names).
fn names<'a>(all: impl IntoIterator<Item = &'a str>) -> String {
    const SHOWN: usize = 5;
    let all: Vec<&str> = all.into_iter().collect();
    let mut s = all[..all.len().min(SHOWN)].join("、");
    if all.len() > SHOWN {
        let _ = write!(s, " 等 {} 人", all.len());
    }
    s
}

impl Cx<'_> {
    /// CLASS_HOURS_SHORT
    pub(super) fn class_hours(&self, out: &mut Vec<Finding>) {
        for c in self.r.classes.iter().filter(|c| c.start_on <= self.d) {
            let sessions = self.class_sessions(c.id);
            let scheduled: f64 = sessions
                .iter()
                .map(|s| minutes(s.start, s.end).max(0.0) / self.hour_minutes(s.online))
                .sum();
            if scheduled < c.syllabus_hours - HOURS_EPSILON {
                let detail = format!(
                    "培训班 {}（{}）开班日期 {}，{} 个课次计划学时合计 {} 学时，低于大纲学时 {} 学时",
                    c.code,
                    c.course_type,
                    c.start_on,
                    sessions.len(),
                    fmt_amount(scheduled),
                    fmt_hours(c.syllabus_hours),
                );
                out.push(finding(
                    Rule::ClassHoursShort,
                    c.subject_id,
                    None,
                    vec![RecordRef::Class(c.id)],
                    detail,
                ));
            }
            if c.end_on > self.d {
                continue;
            }
            for t in self.roster(c.id) {
                let (mut hours, mut present) = (0.0, 0);
                for s in sessions {
                    if let Some(m) = self.attended.get(&(s.id, t.id)) {
                        hours += m / self.hour_minutes(s.online);
                        present += 1;
                    }
                }
                if hours < c.syllabus_hours - HOURS_EPSILON {
                    let detail = format!(
                        "学员 {} 在培训班 {}（结业日期 {}）{} 个课次中签到签退 {} 个，实到学时合计 {} 学时，低于大纲学时 {} 学时",
                        t.name,
                        c.code,
                        c.end_on,
                        sessions.len(),
                        present,
                        fmt_amount(hours),
                        fmt_hours(c.syllabus_hours),
                    );
                    out.push(finding(
                        Rule::ClassHoursShort,
                        c.subject_id,
                        who(&t.name, &t.id_masked),
                        vec![RecordRef::Class(c.id), RecordRef::Trainee(t.id)],
                        detail,
                    ));
                }
            }
        }
    }

    /// CLASS_OVER_CAPACITY
    pub(super) fn class_capacity(&self, out: &mut Vec<Finding>) {
        let mut signed: HashMap<RecordId, i64> = HashMap::new();
        for &(session, _) in &self.signed_in {
            *signed.entry(session).or_default() += 1;
        }
        for c in &self.r.classes {
            let mut reasons = Vec::new();
            let n = self.roster(c.id).len() as i64;
            if n > c.capacity {
                reasons.push(format!("花名册 {n} 人，超过核定人数 {} 人", c.capacity));
            }
            if let Some(v) = c.venue_capacity {
                if n > v {
                    reasons.push(format!("花名册 {n} 人，超过场地容量 {v} 人"));
                }
                for s in self.class_sessions(c.id).iter().filter(|s| !s.online) {
                    let k = signed.get(&s.id).copied().unwrap_or(0);
                    if k > v {
                        reasons.push(format!(
                            "第 {} 课次（{}）签到 {k} 人，超过场地容量 {v} 人",
                            s.seq,
                            hm(s.start)
                        ));
                    }
                }
            }
            if !reasons.is_empty() {
                let detail = format!("培训班 {}：{}", c.code, reasons.join("；"));
                out.push(finding(
                    Rule::ClassOverCapacity,
                    c.subject_id,
                    None,
                    vec![RecordRef::Class(c.id)],
                    detail,
                ));
            }
        }
    }

    /// 「某机构」培训班 B-01 第 2 课次（2024-03-01 09:00 至 2024-03-01 11:15）.
    fn session_text(&self, s: &ClassSessionFacts) -> String {
        let code = self
            .classes
            .get(&s.class_id)
            .map_or("", |c| c.code.as_str());
        format!(
            "{}培训班 {code} 第 {} 课次（{} 至 {}）",
            self.subject_name(s.subject_id),
            s.seq,
            hm(s.start),
            hm(s.end)
        )
    }

    /// TEACHER_DOUBLE_BOOKED
    pub(super) fn teacher_double_booked(&self, out: &mut Vec<Finding>) {
        let mut by_key: HashMap<&str, Vec<Slot>> = HashMap::new();
        for s in self.sessions.values() {
            if let Some(t) = s.teacher_id.and_then(|t| self.teachers.get(&t)) {
                by_key.entry(&t.id_key).or_default().push(Slot {
                    start: s.start,
                    end: s.end,
                    session: s.id,
                    person: t.id,
                });
            }
        }
        for slots in by_key.values_mut() {
            for (a, b) in overlapping_pairs(slots) {
                let (sa, sb) = (self.sessions[&a.session], self.sessions[&b.session]);
                let records = vec![
                    RecordRef::ClassSession(sa.id),
                    RecordRef::ClassSession(sb.id),
                ];
                let detail = |t: &TeacherFacts| {
                    format!(
                        "教师 {} 的两个课次时间重叠：{}；{}",
                        t.name,
                        self.session_text(sa),
                        self.session_text(sb)
                    )
                };
                for (s, slot) in [(sa, a), (sb, b)] {
                    if s.id == sb.id && sb.subject_id == sa.subject_id {
                        continue;
                    }
                    let t = self.teachers[&slot.person];
                    out.push(finding(
                        Rule::TeacherDoubleBooked,
                        s.subject_id,
                        who(&t.name, &t.id_masked),
                        records.clone(),
                        detail(t),
                    ));
                }
            }
        }
    }

    /// TRAINEE_DOUBLE_BOOKED: one finding per pair of sessions and subject, naming every
    /// trainee of the subject signed in at both.
    pub(super) fn trainee_double_booked(&self, out: &mut Vec<Finding>) {
        let mut by_key: HashMap<&str, Vec<Slot>> = HashMap::new();
        for &(session, trainee) in &self.signed_in {
            let (s, t) = (self.sessions[&session], self.trainees[&trainee]);
            by_key.entry(&t.id_key).or_default().push(Slot {
                start: s.start,
                end: s.end,
                session,
                person: trainee,
            });
        }
        type Pair = (RecordId, RecordId, RecordId);
        let mut found: BTreeMap<Pair, BTreeSet<RecordId>> = BTreeMap::new();
        for slots in by_key.values_mut() {
            // One slot per session and person: the trainee row with the smallest id.
            slots.sort_unstable_by_key(|s| (s.session, s.person));
            slots.dedup_by_key(|s| s.session);
            for (a, b) in overlapping_pairs(slots) {
                for slot in [a, b] {
                    let subject = self.sessions[&slot.session].subject_id;
                    found
                        .entry((subject, a.session, b.session))
                        .or_default()
                        .insert(slot.person);
                }
            }
        }
        for ((subject, a, b), trainees) in found {
            let trainees: Vec<&TraineeFacts> = trainees.iter().map(|t| self.trainees[t]).collect();
            let detail = format!(
                "学员 {} 在两个时间重叠的课次都有签到：{}；{}",
                names(trainees.iter().map(|t| t.name.as_str())),
                self.session_text(self.sessions[&a]),
                self.session_text(self.sessions[&b]),
            );
            out.push(finding(
                Rule::TraineeDoubleBooked,
                subject,
                who(&trainees[0].name, &trainees[0].id_masked),
                vec![RecordRef::ClassSession(a), RecordRef::ClassSession(b)],
                detail,
            ));
        }
    }

    /// UNIFORM_SCORES
    pub(super) fn uniform_scores(&self, out: &mut Vec<Finding>) {
        for c in &self.r.classes {
            let scores: Vec<f64> = self.roster(c.id).iter().filter_map(|t| t.score).collect();
            if let Some(how) = self.uniform(&scores) {
                let detail = format!("培训班 {} 的 {} 个学员考核成绩{how}", c.code, scores.len());
                out.push(finding(
                    Rule::UniformScores,
                    c.subject_id,
                    None,
                    vec![RecordRef::Class(c.id)],
                    detail,
                ));
            }
        }
        let by_session = group_by(
            &self.r.candidates,
            |c| {
                self.exam_sessions
                    .contains_key(&c.session_id)
                    .then_some(c.session_id)
            },
            |c| c.id,
        );
        for (id, candidates) in &by_session {
            let s = self.exam_sessions[id];
            let scores: Vec<f64> = candidates.iter().filter_map(|c| c.score).collect();
            if let Some(how) = self.uniform(&scores) {
                let detail = format!(
                    "考试场次（{}，{}，{}）的 {} 个考生成绩{how}",
                    s.category,
                    s.room,
                    hm(s.started_at),
                    scores.len()
                );
                out.push(finding(
                    Rule::UniformScores,
                    s.subject_id,
                    None,
                    vec![RecordRef::ExamSession(s.id)],
                    detail,
                ));
            }
        }
    }

    /// How the scores are uniform, if they are.
    fn uniform(&self, scores: &[f64]) -> Option<String> {
        let n = scores.len();
        if n == 0 || n < self.p.uniform_scores_min_count as usize {
            return None;
        }
        if scores.iter().all(|&x| x == FULL_MARKS) {
            return Some(format!("全部为满分（{} 分）", fmt_hours(FULL_MARKS)));
        }
        if scores.iter().all(|&x| x == scores[0]) {
            return Some(format!("全部为 {} 分", fmt_hours(scores[0])));
        }
        let mean = scores.iter().sum::<f64>() / n as f64;
        let sd = (scores.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        (sd < self.p.uniform_scores_max_sd).then(|| {
            format!(
                "总体标准差仅 {sd:.2} 分（平均 {mean:.1} 分），低于 {} 分",
                fmt_hours(self.p.uniform_scores_max_sd)
            )
        })
    }
}

// ----- double bookings ------------------------------------------------------------------

/// A person's place in a session, for the overlap sweep.
#[derive(Debug, Clone, Copy)]
struct Slot {
    start: NaiveDateTime,
    end: NaiveDateTime,
    session: RecordId,
    person: RecordId,
}

/// Every pair of slots of different sessions whose times overlap (`a.start < b.end &&
/// b.start < a.end`; touching is no overlap), each pair once, the smaller session id first.
///
/// A sweep by start time: the slots still running when one starts are the only ones it
/// can overlap, so the cost is a sort plus the size of the answer (times the greatest
/// number running at once). Reversed slots (end < start; imports reject them) are compared
/// with all the others one by one.
fn overlapping_pairs(slots: &mut [Slot]) -> Vec<(Slot, Slot)> {
    slots.sort_unstable_by_key(|s| (s.start > s.end, s.start, s.end, s.session, s.person));
    let k = slots.partition_point(|s| s.start <= s.end);
    let mut pairs = Vec::new();
    let mut push = |a: Slot, b: Slot| {
        if a.session != b.session && a.start < b.end && b.start < a.end {
            pairs.push(if a.session < b.session {
                (a, b)
            } else {
                (b, a)
            });
        }
    };
    let mut running: Vec<Slot> = Vec::new();
    for &b in &slots[..k] {
        running.retain(|a| a.end > b.start);
        for &a in &running {
            push(a, b);
        }
        running.push(b);
    }
    for (i, &b) in slots.iter().enumerate().skip(k) {
        for &a in &slots[..i] {
            push(a, b);
        }
    }
    pairs
}
