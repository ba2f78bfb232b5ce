//! The statutory parameters, in one table with their legal basis. A
//! deployment can override any of them in configuration (`[params]` in `anpei.toml`).

use serde::{Deserialize, Serialize};

/// Regulatory parameters. `Default` is the law as it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Params {
    /// 高危行业 — 《生产经营单位安全培训规定》第9条.
    pub high_risk_industries: Vec<String>,
    /// 主要负责人、安全生产管理人员初次培训学时 (normal, high-risk) — 同上 第9条.
    pub manager_initial_hours: (f64, f64),
    /// 管理人员每年再培训学时 (normal, high-risk) — 同上 第9条.
    pub manager_retrain_hours: (f64, f64),
    /// 新上岗从业人员岗前培训学时 (normal, high-risk) — 同上 第13条.
    pub prejob_hours: (f64, f64),
    /// 从业人员每年再培训学时 (normal: 安委〔2012〕10号, high-risk: 第13条).
    pub employee_retrain_hours: (f64, f64),
    /// 高危行业管理人员任职后取得考核合格证的期限（月）— 同上 第24条.
    pub manager_cert_deadline_months: u32,
    /// 考核合格证有效期（年）— 《安全生产培训管理办法》第25条.
    pub manager_cert_validity_years: u32,
    /// 特种作业操作证有效期（年）— 《特种作业人员安全技术培训考核管理规定》第19条.
    pub special_cert_validity_years: u32,
    /// 特种作业操作证复审周期（年）— 同上 第21条.
    pub special_cert_review_years: u32,
    /// 复审申请窗口（天）— 同上 第22条.
    pub review_window_days: u32,
    /// 复审培训学时 — 同上 第23条.
    pub review_training_hours: f64,
    /// 一学时的分钟数 (offline, online) — AQ 8011-2023.
    pub class_hour_minutes: (u32, u32),
    /// 考试录像保存年限 — 《安全生产资格考试与证书管理暂行办法》第17条.
    pub exam_video_retention_years: u32,
    /// 考试合格分数（满分100分）— 《安全生产资格考试与证书管理暂行办法》第9条; also the
    /// pass mark of the on-the-spot tests (逢查必考).
    pub exam_pass_score: i32,
    /// 证书即将到期提醒天数 (dashboard).
    pub expiry_warning_days: u32,
    /// 举报办理时限：受理后 N 日内办结 — 《安全生产领域举报奖励办法》; local rules differ.
    pub tipoff_close_days: u32,
    /// 经批准可延长一次，最多 N 日.
    pub tipoff_extend_max_days: u32,
    /// 办结后 N 日内告知举报人.
    pub tipoff_feedback_days: u32,
    /// 办结后 N 日删除举报人身份和联系方式 (PIPL: kept no longer than needed; the reward
    /// claim period of 90 days after notification fits inside the default).
    pub tipoff_reporter_retention_days: u32,
    /// 问题线索交办后的办理时限（天）：the assignee turns it into a problem, a case, or
    /// dismisses it within this many days. A local working rule, not a statute.
    pub finding_assign_days: u32,
    /// 问题线索转问题清单时的整改期限（天）. A local working rule.
    pub finding_problem_days: u32,
    /// 考核督查：某项指标的基数少于此数即为“不适用”（不计分、不参与该项排名）. A local
    /// working rule of the district office.
    pub score_min_base: u32,
    /// 《安全生产法》第九十七条：责令限期改正的，对单位处此数额（元）以下的罚款.
    pub article97_ordered_unit_max: i64,
    /// 同条：逾期未改正的，对单位处罚款的范围（元，含两端）.
    pub article97_not_corrected_unit: (i64, i64),
    /// 同条：逾期未改正的，对直接负责的主管人员和其他直接责任人员各处罚款的范围（元）.
    pub article97_not_corrected_person: (i64, i64),
    /// UNIFORM_SCORES: fewest scores a class or exam session needs before uniformity counts.
    pub uniform_scores_min_count: u32,
    /// UNIFORM_SCORES: a population standard deviation below this many points is uniform.
    pub uniform_scores_max_sd: f64,
    /// EXAM_VIDEO_SHORT: seconds a session's recordings may fall short of its length.
    pub exam_video_tolerance_secs: u32,
    /// PASS_RATE_ANOMALY: fewest candidates of a unit, and of the rest of the district.
    pub pass_rate_min_candidates: u32,
    /// PASS_RATE_ANOMALY: smallest gap of pass rates (0.20 = 20 percentage points).
    pub pass_rate_min_gap: f64,
    /// PASS_RATE_ANOMALY: one-sided z critical value (3.09 ≈ p < 0.001).
    pub pass_rate_z: f64,
    /// ONLINE_DAILY_EXCESS: most hours of online study a person can plausibly put in on one
    /// calendar day. A local working rule of provincial online-training supervision (网络培训
    /// 监管), not a statute.
    pub online_daily_max_hours: f64,
    /// ONLINE_DEVICE_SHARED: this many different persons studying on one device on one day
    /// means the device is shared (代学). A local working rule of online-training supervision.
    pub online_device_persons_per_day: u32,
    /// ONLINE_FACE_GAP: sessions longer than this many minutes need face checks (人脸核验).
    /// A local working rule of online-training supervision.
    pub online_face_session_minutes: u32,
    /// ONLINE_FACE_GAP: such a session needs a passed face check within this many minutes of
    /// its start. A local working rule of online-training supervision.
    pub online_face_first_minutes: u32,
    /// ONLINE_FACE_GAP: and at least one passed check in every window of this many minutes
    /// from its start. A local working rule of online-training supervision.
    pub online_face_window_minutes: u32,
    /// ONLINE_SPEED: how far (percent) the video progress may run ahead of the session's
    /// length (clock drift, buffering) before it counts as speeding or skipping. A local
    /// working rule of online-training supervision.
    pub online_speed_tolerance_pct: u32,
    /// ONLINE_HOURS_UNSUPPORTED: how far (percent) an online training record's hours may
    /// exceed the hours its platform logs support. A local working rule of online-training
    /// supervision.
    pub online_hours_tolerance_pct: u32,
    /// ONLINE_EXAM_TOO_FAST: online exams with at least this many questions are timed. A
    /// local working rule of online-training supervision.
    pub online_exam_min_questions: u32,
    /// ONLINE_EXAM_TOO_FAST: fewest seconds a question needs on average; a passing exam
    /// answered faster was not taken by its candidate. A local working rule of online-training
    /// supervision.
    pub online_exam_min_secs_per_question: u32,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            high_risk_industries: ["煤矿", "非煤矿山", "危险化学品", "烟花爆竹", "金属冶炼"]
                .map(String::from)
                .to_vec(),
            manager_initial_hours: (32.0, 48.0),
            manager_retrain_hours: (12.0, 16.0),
            prejob_hours: (24.0, 72.0),
            employee_retrain_hours: (8.0, 20.0),
            manager_cert_deadline_months: 6,
            manager_cert_validity_years: 3,
            special_cert_validity_years: 6,
            special_cert_review_years: 3,
            review_window_days: 60,
            review_training_hours: 8.0,
            class_hour_minutes: (45, 30),
            exam_video_retention_years: 3,
            exam_pass_score: 80,
            expiry_warning_days: 60,
            tipoff_close_days: 60,
            tipoff_extend_max_days: 30,
            tipoff_feedback_days: 10,
            tipoff_reporter_retention_days: 180,
            finding_assign_days: 15,
            finding_problem_days: 30,
            score_min_base: 3,
            article97_ordered_unit_max: 100_000,
            article97_not_corrected_unit: (100_000, 200_000),
            article97_not_corrected_person: (20_000, 50_000),
            uniform_scores_min_count: 10,
            uniform_scores_max_sd: 1.0,
            exam_video_tolerance_secs: 60,
            pass_rate_min_candidates: 30,
            pass_rate_min_gap: 0.20,
            pass_rate_z: 3.09,
            online_daily_max_hours: 8.0,
            online_device_persons_per_day: 3,
            online_face_session_minutes: 30,
            online_face_first_minutes: 10,
            online_face_window_minutes: 30,
            online_speed_tolerance_pct: 5,
            online_hours_tolerance_pct: 10,
            online_exam_min_questions: 50,
            online_exam_min_secs_per_question: 10,
        }
    }
}

impl Params {
    /// Minutes in one 学时 of a session held online or offline (AQ 8011-2023).
    pub fn minutes_per_class_hour(&self, online: bool) -> f64 {
        let (offline, on) = self.class_hour_minutes;
        f64::from(if online { on } else { offline })
    }

    pub fn is_high_risk(&self, industry: &str) -> bool {
        self.high_risk_industries.iter().any(|i| i == industry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_high_risk_industries_of_the_rules_are_high_risk() {
        let p = Params::default();
        for i in ["煤矿", "非煤矿山", "危险化学品", "烟花爆竹", "金属冶炼"] {
            assert!(p.is_high_risk(i), "{i}");
        }
        assert!(!p.is_high_risk("建筑施工"));
    }
}
