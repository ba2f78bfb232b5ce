//! The signals of collusion: STAFF_CONFLICT (one person on both the exam and the training
//! side) and PASS_RATE_ANOMALY (pass rates far above the district's).

use super::{
    finding, who, CredentialFacts, Cx, ExamStaffFacts, Side, StaffPersonFacts, TeacherFacts,
};
use crate::ledger::rules::catalogue::fmt_hours;
use crate::ledger::rules::{Finding, RecordId, RecordRef, Rule, YEAR};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Pass rates are ratios of counts; a gap within this of the minimum counts as equal to it.
const RATE_EPSILON: f64 = 1e-9;

/// A person on the exam side: a credential holder or a session's staff member.
#[derive(Debug, Clone, Copy)]
enum ExamSide<'a> {
    Credential(&'a CredentialFacts),
    Staff(&'a ExamStaffFacts),
}

impl<'a> ExamSide<'a> {
    fn subject_id(&self) -> RecordId {
        match self {
            ExamSide::Credential(c) => c.subject_id,
            ExamSide::Staff(s) => s.subject_id,
        }
    }

    fn id_key(&self) -> &'a str {
        match self {
            ExamSide::Credential(c) => &c.id_key,
            ExamSide::Staff(s) => &s.id_key,
        }
    }

    fn phone_key(&self) -> Option<&'a str> {
        match self {
            ExamSide::Credential(c) => c.phone_key.as_deref(),
            ExamSide::Staff(_) => None,
        }
    }

    fn record(&self) -> RecordRef {
        match self {
            ExamSide::Credential(c) => RecordRef::Credential(c.id),
            ExamSide::Staff(s) => RecordRef::ExamStaff(s.id),
        }
    }

    fn who(&self) -> (&'a str, &'a str) {
        match self {
            ExamSide::Credential(c) => (&c.name, &c.id_masked),
            ExamSide::Staff(s) => (&s.name, &s.id_masked),
        }
    }

    fn role(&self) -> String {
        match self {
            ExamSide::Credential(c) => format!("{}持有人", c.role.credential()),
            ExamSide::Staff(s) => s.role.label().to_string(),
        }
    }
}

/// A person on the training side: a teacher or a person on the institution's ledger.
#[derive(Debug, Clone, Copy)]
enum TrainingSide<'a> {
    Teacher(&'a TeacherFacts),
    Staff(&'a StaffPersonFacts),
}

impl<'a> TrainingSide<'a> {
    fn subject_id(&self) -> RecordId {
        match self {
            TrainingSide::Teacher(t) => t.subject_id,
            TrainingSide::Staff(s) => s.subject_id,
        }
    }

    fn id_key(&self) -> &'a str {
        match self {
            TrainingSide::Teacher(t) => &t.id_key,
            TrainingSide::Staff(s) => &s.id_key,
        }
    }

    fn phone_key(&self) -> Option<&'a str> {
        match self {
            TrainingSide::Teacher(t) => t.phone_key.as_deref(),
            TrainingSide::Staff(s) => s.phone_key.as_deref(),
        }
    }

    fn record(&self) -> RecordRef {
        match self {
            TrainingSide::Teacher(t) => RecordRef::Teacher(t.id),
            TrainingSide::Staff(s) => RecordRef::Person(s.id),
        }
    }

    fn name(&self) -> &'a str {
        match self {
            TrainingSide::Teacher(t) => &t.name,
            TrainingSide::Staff(s) => &s.name,
        }
    }

    fn role(&self) -> &'static str {
        match self {
            TrainingSide::Teacher(_) => "教师",
            TrainingSide::Staff(_) => "台账人员",
        }
    }
}

/// 监考员证持有人、监考员 张三（1101**********002X）.
fn exam_people(rows: &[ExamSide]) -> String {
    let roles: BTreeSet<String> = rows.iter().map(ExamSide::role).collect();
    let (name, masked) = rows[0].who();
    format!(
        "{} {name}（{masked}）",
        roles.into_iter().collect::<Vec<_>>().join("、")
    )
}

/// 教师 李四、台账人员 李四.
fn training_people(rows: &[TrainingSide]) -> String {
    let mut people: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {}", r.role(), r.name()))
        .collect();
    people.sort();
    people.dedup();
    people.join("、")
}

impl Cx<'_> {
    /// STAFF_CONFLICT
    pub(super) fn staff_conflict(&self, out: &mut Vec<Finding>) {
        let side = |id: RecordId| self.subjects.get(&id).map(|s| s.side);
        let exam_side = |id| matches!(side(id), Some(Side::ExamSite | Side::ExamInstitution));
        // Exam-side rows by (subject, ID key).
        let mut exam: BTreeMap<(RecordId, &str), Vec<ExamSide>> = BTreeMap::new();
        let rows = self
            .r
            .credentials
            .iter()
            .filter(|c| exam_side(c.subject_id));
        let rows = rows
            .map(ExamSide::Credential)
            .chain(self.r.exam_staff.iter().map(ExamSide::Staff))
            .filter(|x| side(x.subject_id()).is_some());
        for x in rows {
            exam.entry((x.subject_id(), x.id_key()))
                .or_default()
                .push(x);
        }
        let training = self
            .r
            .teachers
            .iter()
            .map(TrainingSide::Teacher)
            .chain(self.r.training_staff.iter().map(TrainingSide::Staff))
            .filter(|x| side(x.subject_id()).is_some());
        let (mut by_id, mut by_phone): (HashMap<&str, Vec<TrainingSide>>, HashMap<&str, Vec<_>>) =
            Default::default();
        for x in training {
            by_id.entry(x.id_key()).or_default().push(x);
            if let Some(phone) = x.phone_key() {
                by_phone.entry(phone).or_default().push(x);
            }
        }
        for ((e, key), rows) in &mut exam {
            rows.sort_by_key(ExamSide::record);
            // Per training subject: confirmed?, the exam rows and the training rows matched.
            type Match<'b> = (bool, Vec<ExamSide<'b>>, Vec<TrainingSide<'b>>);
            let mut matches: BTreeMap<RecordId, Match> = BTreeMap::new();
            for t in by_id.get(key).into_iter().flatten() {
                if t.subject_id() != *e {
                    let m = matches
                        .entry(t.subject_id())
                        .or_insert_with(|| (true, rows.clone(), Vec::new()));
                    m.2.push(*t);
                }
            }
            for x in rows.iter() {
                let Some(phone) = x.phone_key() else {
                    continue;
                };
                for t in by_phone.get(phone).into_iter().flatten() {
                    if t.subject_id() == *e || t.id_key() == *key {
                        continue;
                    }
                    let m = matches
                        .entry(t.subject_id())
                        .or_insert_with(|| (false, Vec::new(), Vec::new()));
                    if !m.0 {
                        m.1.push(*x);
                        m.2.push(*t);
                    }
                }
            }
            for (t, (confirmed, mut xs, mut ts)) in matches {
                xs.sort_by_key(ExamSide::record);
                xs.dedup_by_key(|x| x.record());
                ts.sort_by_key(TrainingSide::record);
                ts.dedup_by_key(|x| x.record());
                let how = if confirmed {
                    "身份证号相同（确认）"
                } else {
                    "身份证号不同但联系电话相同（疑似）"
                };
                let e_label = match side(*e) {
                    Some(Side::ExamInstitution) => "考试机构",
                    _ => "考试点",
                };
                let (name, masked) = xs[0].who();
                let mut records: Vec<RecordRef> = xs.iter().map(ExamSide::record).collect();
                records.extend(ts.iter().map(TrainingSide::record));
                let mut at_exam = records.clone();
                at_exam.push(RecordRef::Subject(t));
                let detail = format!(
                    "本单位{}与培训机构{}的{}{how}",
                    exam_people(&xs),
                    self.subject_name(t),
                    training_people(&ts)
                );
                out.push(finding(
                    Rule::StaffConflict,
                    *e,
                    who(name, masked),
                    at_exam,
                    detail,
                ));
                records.push(RecordRef::Subject(*e));
                let detail = format!(
                    "本机构{}与{e_label}{}的{}{how}",
                    training_people(&ts),
                    self.subject_name(*e),
                    exam_people(&xs)
                );
                out.push(finding(
                    Rule::StaffConflict,
                    t,
                    who(name, masked),
                    records,
                    detail,
                ));
            }
        }
    }

    /// PASS_RATE_ANOMALY
    pub(super) fn pass_rates(&self, out: &mut Vec<Finding>) {
        let from = self.d.checked_sub_months(YEAR).unwrap_or(NaiveDate::MIN);
        // The training institutions of each ID key.
        let mut trained: HashMap<&str, Vec<RecordId>> = HashMap::new();
        for t in &self.r.trainees {
            trained.entry(&t.id_key).or_default().push(t.subject_id);
        }
        // (passed, candidates) per (unit, category) and per category.
        let mut units: HashMap<(RecordId, &str), (u64, u64)> = HashMap::new();
        let mut totals: HashMap<&str, (u64, u64)> = HashMap::new();
        let mut mine = Vec::new();
        for c in &self.r.candidates {
            let Some(s) = self.exam_sessions.get(&c.session_id) else {
                continue;
            };
            let on = s.started_at.date();
            if on <= from || on > self.d {
                continue;
            }
            let passed = u64::from(c.passed);
            let total = totals.entry(&s.category).or_default();
            total.0 += passed;
            total.1 += 1;
            mine.clear();
            mine.extend([s.subject_id, s.site_id]);
            mine.extend(trained.get(c.id_key.as_str()).into_iter().flatten());
            mine.sort_unstable();
            mine.dedup();
            for &u in &mine {
                let unit = units.entry((u, &s.category)).or_default();
                unit.0 += passed;
                unit.1 += 1;
            }
        }
        let min = u64::from(self.p.pass_rate_min_candidates);
        for ((unit, category), (x1, n1)) in units {
            let (x, n) = totals[category];
            let (x0, n0) = (x - x1, n - n1);
            if n1 < min || n0 < min || n1 == 0 || n0 == 0 {
                continue;
            }
            let (p1, p0) = (x1 as f64 / n1 as f64, x0 as f64 / n0 as f64);
            if p1 - p0 < self.p.pass_rate_min_gap - RATE_EPSILON {
                continue;
            }
            let pooled = (x1 + x0) as f64 / (n1 + n0) as f64;
            let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n0 as f64)).sqrt();
            let z = if se > 0.0 {
                (p1 - p0) / se
            } else if p1 > p0 {
                f64::INFINITY
            } else {
                0.0
            };
            if z < self.p.pass_rate_z {
                continue;
            }
            let detail = format!(
                "{} 至 {} 开始的{category}考试：本单位考生 {n1} 人、通过 {x1} 人，通过率 {:.1}%；\
                 全区其余考生 {n0} 人、通过 {x0} 人，通过率 {:.1}%；高出 {:.1} 个百分点，\
                 z = {z:.2}（临界值 {}）",
                from.succ_opt().unwrap_or(from),
                self.d,
                p1 * 100.0,
                p0 * 100.0,
                (p1 - p0) * 100.0,
                fmt_hours(self.p.pass_rate_z),
            );
            out.push(Finding {
                topic: Some(category.to_string()),
                ..finding(Rule::PassRateAnomaly, unit, None, Vec::new(), detail)
            });
        }
    }
}
