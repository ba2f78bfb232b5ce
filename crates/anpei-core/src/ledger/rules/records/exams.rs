//! The exam checks: EXAM_OUTSIDE_PLAN, EXAM_VIDEO_MISSING, EXAM_VIDEO_SHORT,
//! EXAM_VIDEO_RETENTION, HIGH_RISK_PAPER_EXAM, PROCTOR_NO_CREDENTIAL, PROCTOR_ABSENT and
//! FACILITY_INSPECTION_EXPIRED.

use super::{finding, group_by, hm, who, Cx, ExamSessionFacts};
use crate::ledger::rules::{Finding, RecordRef, Rule};
use std::collections::HashMap;
use std::fmt::Write as _;

/// A length of time for people: 1 小时 59 分 59 秒, 45 分 0 秒, 30 秒.
fn duration(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{sign}{h} 小时 {m} 分 {s} 秒")
    } else if m > 0 {
        format!("{sign}{m} 分 {s} 秒")
    } else {
        format!("{sign}{s} 秒")
    }
}

impl Cx<'_> {
    /// 考试场次（低压电工作业，第一考场，2024-03-01 09:00 至 2024-03-01 11:00）.
    fn exam_text(s: &ExamSessionFacts) -> String {
        format!(
            "考试场次（{}，{}，{} 至 {}）",
            s.category,
            s.room,
            hm(s.started_at),
            hm(s.ended_at)
        )
    }

    /// EXAM_OUTSIDE_PLAN, EXAM_VIDEO_MISSING, EXAM_VIDEO_SHORT, HIGH_RISK_PAPER_EXAM
    pub(super) fn exam_sessions(&self, out: &mut Vec<Finding>) {
        let plans: HashMap<_, _> = self.r.plans.iter().map(|p| (p.id, p)).collect();
        let videos = group_by(&self.r.videos, |v| Some(v.session_id), |v| v.id);
        for s in &self.r.exam_sessions {
            let me = RecordRef::ExamSession(s.id);
            let text = Self::exam_text(s);
            let held = self.held(s);

            // EXAM_OUTSIDE_PLAN
            if held {
                let (mut records, mut reasons) = (vec![me], Vec::new());
                match s.plan_id.map(|id| (id, plans.get(&id))) {
                    None => reasons.push("未关联考试计划".to_string()),
                    Some((id, None)) => reasons.push(format!("关联的考试计划（编号 {id}）不存在")),
                    Some((_, Some(plan))) => {
                        records.push(RecordRef::ExamPlan(plan.id));
                        if plan.site_id != s.site_id {
                            reasons.push(format!(
                                "考试点为{}，与计划的考试点{}不符",
                                self.subject_name(s.site_id),
                                self.subject_name(plan.site_id)
                            ));
                        }
                        if s.started_at < plan.starts_at {
                            reasons
                                .push(format!("开始时间早于计划开始时间 {}", hm(plan.starts_at)));
                        }
                        if s.ended_at > plan.ends_at {
                            reasons.push(format!("结束时间晚于计划结束时间 {}", hm(plan.ends_at)));
                        }
                    }
                }
                if !reasons.is_empty() {
                    let detail = format!("{text}{}", reasons.join("；"));
                    out.push(finding(
                        Rule::ExamOutsidePlan,
                        s.subject_id,
                        None,
                        records,
                        detail,
                    ));
                }
            }

            // EXAM_VIDEO_MISSING, EXAM_VIDEO_SHORT
            match videos.get(&s.id) {
                None if held => out.push(finding(
                    Rule::ExamVideoMissing,
                    s.subject_id,
                    None,
                    vec![me],
                    format!("{text}无任何录像记录"),
                )),
                None => {}
                Some(vs) => {
                    let total = vs
                        .iter()
                        .fold(0i64, |t, v| t.saturating_add(v.duration_secs));
                    let length = (s.ended_at - s.started_at).num_seconds();
                    let tolerance = i64::from(self.p.exam_video_tolerance_secs);
                    if total.saturating_add(tolerance) < length {
                        let detail = format!(
                            "{text}时长 {}，{} 段录像合计仅 {}，短缺 {}（允许误差 {tolerance} 秒）",
                            duration(length),
                            vs.len(),
                            duration(total),
                            duration(length.saturating_sub(total)),
                        );
                        out.push(finding(
                            Rule::ExamVideoShort,
                            s.subject_id,
                            None,
                            vec![me],
                            detail,
                        ));
                    }
                }
            }

            // HIGH_RISK_PAPER_EXAM
            if held && s.high_risk_manager && !s.national_system {
                let detail =
                    format!("{text}考生为高危行业主要负责人或安全生产管理人员，未使用国家考试系统");
                out.push(finding(
                    Rule::HighRiskPaperExam,
                    s.subject_id,
                    None,
                    vec![me],
                    detail,
                ));
            }
        }
    }

    /// EXAM_VIDEO_RETENTION
    pub(super) fn video_retention(&self, out: &mut Vec<Finding>) {
        let years = self.p.exam_video_retention_years;
        for v in &self.r.videos {
            let (Some(deleted), Some(s)) = (v.deleted_on, self.exam_sessions.get(&v.session_id))
            else {
                continue;
            };
            let on = s.started_at.date();
            let Some(keep_until) = years
                .checked_mul(12)
                .and_then(|m| on.checked_add_months(chrono::Months::new(m)))
            else {
                continue;
            };
            if deleted < keep_until {
                let detail = format!(
                    "{}的录像 {} 于 {deleted} 删除，早于保存期满之日 {keep_until}（保存 {years} 年）",
                    Self::exam_text(s),
                    v.file_name,
                );
                out.push(finding(
                    Rule::ExamVideoRetention,
                    s.subject_id,
                    None,
                    vec![RecordRef::ExamSession(s.id), RecordRef::Video(v.id)],
                    detail,
                ));
            }
        }
    }

    /// PROCTOR_NO_CREDENTIAL, PROCTOR_ABSENT
    pub(super) fn exam_staff(&self, out: &mut Vec<Finding>) {
        let credentials = group_by(
            &self.r.credentials,
            |c| Some((c.id_key.as_str(), c.role)),
            |c| (c.valid_until, c.id),
        );
        for m in &self.r.exam_staff {
            let Some(s) = self
                .exam_sessions
                .get(&m.session_id)
                .filter(|s| self.held(s))
            else {
                continue;
            };
            let records = vec![RecordRef::ExamSession(s.id), RecordRef::ExamStaff(m.id)];
            let person = format!("{} {}（{}）", m.role.label(), m.name, m.id_masked);
            let on = s.started_at.date();

            // PROCTOR_NO_CREDENTIAL
            let held = credentials.get(&(m.id_key.as_str(), m.role));
            let held = held.map_or(&[][..], Vec::as_slice);
            if !held
                .iter()
                .any(|c| c.valid_from <= on && on <= c.valid_until)
            {
                let mut detail = format!(
                    "{}的{person}在考试日期 {on} 无有效的{}",
                    Self::exam_text(s),
                    m.role.credential()
                );
                if let Some(c) = held.last() {
                    let _ = write!(
                        detail,
                        "（所持{}有效期 {} 至 {}）",
                        m.role.credential(),
                        c.valid_from,
                        c.valid_until
                    );
                }
                out.push(finding(
                    Rule::ProctorNoCredential,
                    s.subject_id,
                    who(&m.name, &m.id_masked),
                    records.clone(),
                    detail,
                ));
            }

            // PROCTOR_ABSENT
            let mut reasons = Vec::new();
            match m.present_from {
                None => reasons.push("未登记到场时间".to_string()),
                Some(t) if t > s.started_at => reasons.push(format!("{} 才到场", hm(t))),
                Some(_) => {}
            }
            match m.present_to {
                None => reasons.push("未登记离场时间".to_string()),
                Some(t) if t < s.ended_at => reasons.push(format!("{} 即离场", hm(t))),
                Some(_) => {}
            }
            if !reasons.is_empty() {
                let detail = format!(
                    "{}的{person}未全程在场：{}",
                    Self::exam_text(s),
                    reasons.join("，")
                );
                out.push(finding(
                    Rule::ProctorAbsent,
                    s.subject_id,
                    who(&m.name, &m.id_masked),
                    records,
                    detail,
                ));
            }
        }
    }

    /// FACILITY_INSPECTION_EXPIRED
    pub(super) fn equipment(&self, out: &mut Vec<Finding>) {
        for e in self.r.equipment.iter().filter(|e| e.valid_until < self.d) {
            let detail = format!(
                "设施设备 {} 的检验合格证（编号 {}）有效期止 {}，截至 {} 已过期 {} 天",
                e.name,
                e.cert_number,
                e.valid_until,
                self.d,
                (self.d - e.valid_until).num_days()
            );
            out.push(finding(
                Rule::FacilityInspectionExpired,
                e.subject_id,
                None,
                vec![RecordRef::Equipment(e.id)],
                detail,
            ));
        }
    }
}
