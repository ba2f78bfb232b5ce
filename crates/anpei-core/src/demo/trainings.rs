//! Training records (培训): initial and pre-job training around the hire, three-level
//! education, annual retraining over the last three years (four for managers), review
//! training before a certificate review; then the planned problems: short hours, compressed
//! classes and overlapping records. An offline class is one record per class day, as
//! enterprises keep their sign-in sheets (200,000 persons: about 1.17 million records).

use super::calendar::{
    add_days, align_start, at, is_working_day, offline_days, offline_span, online_span, sub_years,
};
use super::persons::{People, PersonMeta};
use super::plan::{quota, EMP_RETRAIN_SHORT, MGR_RETRAIN_SHORT, PREJOB_SHORT};
use super::rng::Rng;
use crate::kinds::{Post, SubjectKind, TrainingForm, TrainingType};
use crate::ledger::{PersonRecord, SubjectRecord, TrainingRecord};
use crate::params::Params;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use std::ops::Range;

/// The institution of an in-house class.
pub(crate) const IN_HOUSE: &str = "本单位";
/// An offline class is scheduled in blocks of at most a working week (each block then
/// recorded day by day).
const MAX_BLOCK_HOURS: u32 = 40;

struct Gen<'a> {
    rng: &'a mut Rng,
    as_of: NaiveDate,
    params: &'a Params,
    institutions: Vec<&'a str>,
    out: Vec<TrainingRecord>,
    /// The classes of the current person, so that his records never overlap by accident.
    busy: Vec<(NaiveDateTime, NaiveDateTime)>,
}

pub(crate) fn generate(
    rng: &mut Rng,
    as_of: NaiveDate,
    params: &Params,
    subjects: &[SubjectRecord],
    people: &People,
    reviewed_on: &[Option<NaiveDate>],
) -> Vec<TrainingRecord> {
    let institutions = subjects
        .iter()
        .filter(|s| s.kind == SubjectKind::TrainingInstitution)
        .map(|s| s.name.as_str())
        .collect();
    let n = people.records.len();
    let mut g = Gen {
        rng,
        as_of,
        params,
        institutions,
        out: Vec::with_capacity(n * 4),
        busy: Vec::with_capacity(16),
    };
    let mut ranges = Vec::with_capacity(n);
    for (i, p) in people.records.iter().enumerate() {
        let start = g.out.len();
        g.person(p, &people.meta[i], reviewed_on[i]);
        ranges.push(start..g.out.len());
    }
    g.compress();
    g.overlaps(&ranges, &people.meta);
    g.out
}

/// The (normal, high-risk) statutory hours that apply.
fn by_risk(high_risk: bool, (normal, high): (f64, f64)) -> u32 {
    if high_risk {
        high as u32
    } else {
        normal as u32
    }
}

/// Who a class is for: it decides where it is held and how it is split into theory and
/// practice.
#[derive(Clone, Copy, PartialEq)]
enum Audience {
    Manager,
    Employee,
    Special,
}

/// What a class's records share: the part held in practice, the assessment.
struct Outcome {
    practical_share: f64,
    score: f64,
    result: &'static str,
}

/// One class to schedule.
struct Class<'s> {
    ty: TrainingType,
    who: Audience,
    hours: u32,
    inst: &'s str,
}

impl Gen<'_> {
    fn person(&mut self, p: &PersonRecord, m: &PersonMeta, reviewed: Option<NaiveDate>) {
        self.busy.clear();
        let who = match p.post {
            Post::PrincipalManager | Post::SafetyManager => Audience::Manager,
            Post::SpecialOperator => Audience::Special,
            Post::Employee => Audience::Employee,
        };
        if p.appointed_on > sub_years(self.as_of, 3) {
            self.start_of_post(p, m, who);
        }
        self.retraining(p, m, who);
        if let Some(r) = reviewed {
            let hours = self.params.review_training_hours as u32;
            let hi = add_days(r, -1).min(add_days(self.as_of, -1));
            self.class(p, TrainingType::Review, who, hours, add_days(r, -40), hi);
        }
    }

    /// Initial training of a manager, or pre-job training and (often) three-level
    /// education of an employee, around the day he took the post.
    fn start_of_post(&mut self, p: &PersonRecord, m: &PersonMeta, who: Audience) {
        let s = p.appointed_on;
        let last = add_days(self.as_of, -1);
        if who == Audience::Manager {
            if self.rng.chance(if m.high_risk { 0.95 } else { 0.8 }) {
                let hours = by_risk(m.high_risk, self.params.manager_initial_hours);
                let (lo, hi) = (add_days(s, -60), add_days(s, 90).min(last));
                self.class(p, TrainingType::Initial, who, hours, lo, hi);
            }
            return;
        }
        let required = by_risk(m.high_risk, self.params.prejob_hours);
        let new = s > sub_years(self.as_of, 1);
        let hours = if new && m.flags & PREJOB_SHORT != 0 {
            self.short_of(required)
        } else {
            self.enough(required)
        };
        let (lo, hi) = (add_days(s, -45), add_days(s, 14).min(last));
        if hours > 0 {
            self.class(p, TrainingType::PreJob, who, hours, lo, hi);
        }
        if self.rng.chance(0.4) {
            let c = Class {
                ty: TrainingType::ThreeLevel,
                who,
                hours: 8,
                inst: IN_HOUSE,
            };
            self.offline(p, c, lo, hi);
        }
    }

    /// Annual retraining in each of the last years the person held the post: three years of
    /// history for everyone, four for managers (their ledgers are kept longer).
    fn retraining(&mut self, p: &PersonRecord, m: &PersonMeta, who: Audience) {
        let required = if who == Audience::Manager {
            by_risk(m.high_risk, self.params.manager_retrain_hours)
        } else {
            by_risk(m.high_risk, self.params.employee_retrain_hours)
        };
        let short = m.flags & (MGR_RETRAIN_SHORT | EMP_RETRAIN_SHORT) != 0;
        let years = if who == Audience::Manager { 4 } else { 3 };
        for k in 0..years {
            let from = sub_years(self.as_of, k + 1);
            if p.appointed_on > from {
                break;
            }
            let to = if k == 0 {
                add_days(self.as_of, -1)
            } else {
                sub_years(self.as_of, k)
            };
            let hours = match k {
                0 if short => self.short_of(required),
                0 => self.enough(required),
                _ if self.rng.chance(0.08) => 0,
                _ => self.enough(required),
            };
            let lo = add_days(from, 1);
            if hours >= 8 && self.rng.chance(0.25) {
                let first = (hours / 2).div_ceil(4) * 4;
                self.class(p, TrainingType::Retraining, who, first, lo, to);
                self.class(p, TrainingType::Retraining, who, hours - first, lo, to);
            } else if hours > 0 {
                self.class(p, TrainingType::Retraining, who, hours, lo, to);
            }
        }
    }

    /// Usually exactly the required hours, sometimes a little more.
    fn enough(&mut self, required: u32) -> u32 {
        match self.rng.below(10) {
            0 => required + 8,
            1 => required + 4,
            _ => required,
        }
    }

    /// Fewer hours than required, often none at all.
    fn short_of(&mut self, required: u32) -> u32 {
        if self.rng.chance(0.35) {
            return 0;
        }
        let options = [required.saturating_sub(4), required / 2, 4];
        let h = options[self.rng.index(options.len())];
        if h == 0 || h >= required {
            0
        } else {
            h
        }
    }

    /// A class of `hours` held where this audience usually trains, ending in `lo..=hi`.
    fn class(
        &mut self,
        p: &PersonRecord,
        ty: TrainingType,
        who: Audience,
        hours: u32,
        lo: NaiveDate,
        hi: NaiveDate,
    ) {
        let (p_inhouse, p_online) = match (who, ty) {
            (_, TrainingType::Review) => (0.0, 0.1),
            (Audience::Manager, _) => (0.05, 0.3),
            (_, TrainingType::PreJob) => (0.7, 0.1),
            _ => (0.55, 0.2),
        };
        let inst = if self.institutions.is_empty() || self.rng.chance(p_inhouse) {
            IN_HOUSE
        } else {
            *self.rng.pick(&self.institutions)
        };
        if self.rng.chance(p_online) {
            self.online(
                p,
                Class {
                    ty,
                    who,
                    hours,
                    inst,
                },
                lo,
                hi,
            );
        } else {
            let mut left = hours;
            while left > 0 {
                let h = left.min(MAX_BLOCK_HOURS);
                self.offline(
                    p,
                    Class {
                        ty,
                        who,
                        hours: h,
                        inst,
                    },
                    lo,
                    hi,
                );
                left -= h;
            }
        }
    }

    /// An offline class, recorded as enterprises keep their sign-in sheets: one record per
    /// class day (8 学时 a day, a last half day ending at noon), all with the class's result.
    fn offline(&mut self, p: &PersonRecord, c: Class<'_>, lo: NaiveDate, hi: NaiveDate) {
        let days = offline_days(c.hours);
        let afternoon = self.rng.chance(0.4);
        let span = self.place(lo, hi, i64::from(days) + 2, |d| {
            Some(offline_span(align_start(d, days), c.hours, afternoon))
        });
        let Some((start, _)) = span else { return };
        let outcome = self.outcome(&c);
        let mut day = start.date();
        let mut left = c.hours;
        while left > 0 {
            let h = left.min(8);
            let span = offline_span(day, h, afternoon && days == 1);
            self.push(p, &c, h, TrainingForm::Offline, span, &outcome);
            left -= h;
            day = add_days(day, 1);
        }
    }

    fn online(&mut self, p: &PersonRecord, c: Class<'_>, lo: NaiveDate, hi: NaiveDate) {
        let len = 2 + self.rng.below(8) as u32;
        let span = self.place(lo, hi, i64::from(len) + 3, |d| {
            is_working_day(d).then(|| online_span(d, len))
        });
        if let Some(span) = span {
            let outcome = self.outcome(&c);
            self.push(p, &c, c.hours, TrainingForm::Online, span, &outcome);
        }
    }

    /// A free time for a class: random start days in `lo..=hi - reach` first, then every
    /// day in turn; the class must lie within `lo..=hi` and overlap none of the person's.
    fn place(
        &mut self,
        lo: NaiveDate,
        hi: NaiveDate,
        reach: i64,
        make: impl Fn(NaiveDate) -> Option<(NaiveDateTime, NaiveDateTime)>,
    ) -> Option<(NaiveDateTime, NaiveDateTime)> {
        let room = (hi - lo).num_days() - reach;
        if room < 0 {
            return None;
        }
        let fits = |span: &(NaiveDateTime, NaiveDateTime),
                    busy: &[(NaiveDateTime, NaiveDateTime)]| {
            span.0.date() >= lo
                && span.1.date() <= hi
                && busy.iter().all(|b| !(span.0 < b.1 && b.0 < span.1))
        };
        for attempt in 0..=room + 24 {
            let offset = if attempt < 24 {
                self.rng.range(0, room)
            } else {
                attempt - 24
            };
            if let Some(span) = make(add_days(lo, offset)) {
                if fits(&span, &self.busy) {
                    self.busy.push(span);
                    return Some(span);
                }
            }
        }
        None
    }

    /// The share of practice and the assessment of a class, the same on each of its records.
    fn outcome(&mut self, c: &Class<'_>) -> Outcome {
        let practical_share = match (c.who, c.ty) {
            (_, TrainingType::ThreeLevel) => 0.5,
            (Audience::Manager, _) => 0.0,
            (Audience::Special, _) => 0.25 + 0.25 * self.rng.unit(),
            (Audience::Employee, _) => 0.3 * self.rng.unit(),
        };
        let (score, result) = self.assessment();
        Outcome {
            practical_share,
            score,
            result,
        }
    }

    /// One record of `hours` of class `c`.
    fn push(
        &mut self,
        p: &PersonRecord,
        c: &Class<'_>,
        hours: u32,
        form: TrainingForm,
        (start, end): (NaiveDateTime, NaiveDateTime),
        o: &Outcome,
    ) {
        let practical =
            ((f64::from(hours) * o.practical_share / 2.0).round() * 2.0).min(f64::from(hours));
        let (score, result) = (o.score, o.result);
        self.out.push(TrainingRecord {
            employer: p.employer.clone(),
            id_number: p.id_number.clone(),
            name: p.name.clone(),
            training_type: c.ty,
            form,
            start,
            end,
            theory_hours: f64::from(hours) - practical,
            practical_hours: practical,
            institution: Some(c.inst.to_string()),
            score: Some(score),
            result: Some(result.to_string()),
        });
    }

    /// A score out of 100, mostly between 75 and 95; a few fail (< 60).
    fn assessment(&mut self) -> (f64, &'static str) {
        if self.rng.chance(0.015) {
            (self.rng.range(35, 59) as f64, "不合格")
        } else {
            ((60.0 + 40.0 * self.rng.unit().sqrt()).round(), "合格")
        }
    }

    /// Compressed classes (压缩学时): a day's or two days' hours claimed in one afternoon,
    /// concentrated at two problem institutions and scattered elsewhere.
    fn compress(&mut self) {
        let problem = self.rng.sample(&self.institutions, 2);
        let full_day_end = NaiveTime::from_hms_opt(17, 30, 0).unwrap_or_default();
        let (mut at_problem, mut elsewhere) = (Vec::new(), Vec::new());
        for (i, t) in self.out.iter().enumerate() {
            let h = t.hours();
            if t.form == TrainingForm::Offline
                && (8.0..=24.0).contains(&h)
                && t.end.time() == full_day_end
            {
                let inst = t.institution.as_deref().unwrap_or_default();
                if problem.contains(&inst) {
                    at_problem.push(i);
                } else {
                    elsewhere.push(i);
                }
            }
        }
        let mut chosen = self.rng.sample(&at_problem, at_problem.len() * 4 / 10);
        chosen.extend(self.rng.sample(&elsewhere, quota(elsewhere.len(), 0.03)));
        for i in chosen {
            let t = &mut self.out[i];
            t.start = at(t.end.date(), 14, 0);
        }
    }

    /// Overlapping records of one person (~3 % of those trained): the same class claimed
    /// from two institutions, or an online course "attended" during a class.
    fn overlaps(&mut self, ranges: &[Range<usize>], meta: &[PersonMeta]) {
        let trained: Vec<usize> = (0..ranges.len())
            .filter(|&i| !ranges[i].is_empty())
            .collect();
        for i in self.rng.sample(&trained, quota(trained.len(), 0.03)) {
            let r = ranges[i].clone();
            let a = self.out[r.start + self.rng.index(r.len())].clone();
            let short = meta[i].flags & (MGR_RETRAIN_SHORT | EMP_RETRAIN_SHORT | PREJOB_SHORT) != 0;
            let mut b = a.clone();
            let other = if self.institutions.is_empty() {
                IN_HOUSE
            } else {
                *self.rng.pick(&self.institutions)
            };
            if !short && self.rng.chance(0.5) && a.institution.as_deref() != Some(other) {
                // Half an hour later, so the two records are distinct rows (natural key
                // 身份证号 + 开始时间 + 结束时间 + 培训类型) and still overlap.
                b.institution = Some(other.to_string());
                b.start += TimeDelta::minutes(30);
                b.end += TimeDelta::minutes(30);
            } else {
                b.training_type = TrainingType::Other;
                b.form = TrainingForm::Online;
                b.start = a.start + TimeDelta::hours(1);
                b.end = online_span(a.start.date(), 2).1;
                b.theory_hours = 4.0;
                b.practical_hours = 0.0;
                b.institution = Some(other.to_string());
            }
            let (score, result) = self.assessment();
            b.score = Some(score);
            b.result = Some(result.to_string());
            self.out.push(b);
        }
    }
}
