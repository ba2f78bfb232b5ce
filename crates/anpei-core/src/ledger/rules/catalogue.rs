//! The rule catalogue: the ten checks of RULES.md §3 with their code, Chinese name,
//! severity, legal basis, definition and the parameters they read.

use crate::params::Params;
use serde::{Deserialize, Serialize};

/// One of the ten checks; the catalogue of RULES.md §3. Serialises as its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Rule {
    ManagerCertMissing,
    CertExpired,
    SpecialOpNoCert,
    ReviewOverdue,
    ManagerRetrainShort,
    EmployeeRetrainShort,
    PrejobHoursShort,
    TrainingOverlap,
    HoursExceedDuration,
    CertNotInRegistry,
}

/// How serious a finding is. Serialises as its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    High,
    Medium,
    Low,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::High, Severity::Medium, Severity::Low];

    /// "high", "medium", "low".
    pub fn code(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    /// 高, 中, 低.
    pub fn label(self) -> &'static str {
        match self {
            Severity::High => "高",
            Severity::Medium => "中",
            Severity::Low => "低",
        }
    }

    pub fn from_code(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.code() == s)
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl Rule {
    pub const ALL: [Rule; 10] = [
        Rule::ManagerCertMissing,
        Rule::CertExpired,
        Rule::SpecialOpNoCert,
        Rule::ReviewOverdue,
        Rule::ManagerRetrainShort,
        Rule::EmployeeRetrainShort,
        Rule::PrejobHoursShort,
        Rule::TrainingOverlap,
        Rule::HoursExceedDuration,
        Rule::CertNotInRegistry,
    ];

    /// The code of RULES.md §3, e.g. `MANAGER_CERT_MISSING`.
    pub fn code(self) -> &'static str {
        match self {
            Rule::ManagerCertMissing => "MANAGER_CERT_MISSING",
            Rule::CertExpired => "CERT_EXPIRED",
            Rule::SpecialOpNoCert => "SPECIAL_OP_NO_CERT",
            Rule::ReviewOverdue => "REVIEW_OVERDUE",
            Rule::ManagerRetrainShort => "MANAGER_RETRAIN_SHORT",
            Rule::EmployeeRetrainShort => "EMPLOYEE_RETRAIN_SHORT",
            Rule::PrejobHoursShort => "PREJOB_HOURS_SHORT",
            Rule::TrainingOverlap => "TRAINING_OVERLAP",
            Rule::HoursExceedDuration => "HOURS_EXCEED_DURATION",
            Rule::CertNotInRegistry => "CERT_NOT_IN_REGISTRY",
        }
    }

    pub fn from_code(s: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.code() == s)
    }

    /// The 名称 column of RULES.md §3, verbatim.
    pub fn name(self) -> &'static str {
        match self {
            Rule::ManagerCertMissing => {
                "高危行业主要负责人/安全管理人员任职满6个月未取得考核合格证"
            }
            Rule::CertExpired => "证书过期",
            Rule::SpecialOpNoCert => "特种作业人员无证上岗",
            Rule::ReviewOverdue => "特种作业操作证逾期未复审",
            Rule::ManagerRetrainShort => "管理人员年度再培训学时不足",
            Rule::EmployeeRetrainShort => "从业人员年度再培训学时不足",
            Rule::PrejobHoursShort => "新上岗人员岗前培训学时不足",
            Rule::TrainingOverlap => "同一人员培训时间重叠",
            Rule::HoursExceedDuration => "学时超过实际时长（压缩学时）",
            Rule::CertNotInRegistry => "证书在登记库中查无此证或信息不符（疑似假证）",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Rule::ManagerCertMissing
            | Rule::SpecialOpNoCert
            | Rule::CertNotInRegistry
            | Rule::HoursExceedDuration => Severity::High,
            Rule::CertExpired | Rule::ReviewOverdue | Rule::TrainingOverlap => Severity::Medium,
            Rule::ManagerRetrainShort | Rule::EmployeeRetrainShort | Rule::PrejobHoursShort => {
                Severity::Low
            }
        }
    }

    /// The legal basis, in Chinese.
    pub fn basis(self) -> &'static str {
        match self {
            Rule::ManagerCertMissing => "《生产经营单位安全培训规定》第24条",
            Rule::CertExpired => {
                "《安全生产培训管理办法》第25条；《特种作业人员安全技术培训考核管理规定》第19条"
            }
            Rule::SpecialOpNoCert => {
                "《安全生产法》第30条；《特种作业人员安全技术培训考核管理规定》第5条"
            }
            Rule::ReviewOverdue => "《特种作业人员安全技术培训考核管理规定》第21条、第22条",
            Rule::ManagerRetrainShort => "《生产经营单位安全培训规定》第9条",
            Rule::EmployeeRetrainShort => "《生产经营单位安全培训规定》第13条；安委〔2012〕10号",
            Rule::PrejobHoursShort => "《生产经营单位安全培训规定》第13条",
            Rule::TrainingOverlap => "《安全生产法》第28条（如实记录培训的时间、内容、参加人员）",
            Rule::HoursExceedDuration => {
                "AQ 8011-2023（线下每学时45分钟、线上每学时30分钟）；《安全生产法》第28条"
            }
            Rule::CertNotInRegistry => {
                "《特种作业人员安全技术培训考核管理规定》第30条；《安全生产法》第28条"
            }
        }
    }

    /// When the rule fires, in one Chinese sentence (RULES.md §3).
    pub fn definition(self) -> &'static str {
        match self {
            Rule::ManagerCertMissing => {
                "高危行业单位的主要负责人或安全生产管理人员，任职日期加6个月已早于检查日，\
                 且未持有在检查日有效的安全生产知识和管理能力考核合格证。"
            }
            Rule::CertExpired => {
                "证书有效期止早于检查日，且本人没有同一证书类型、同一操作项目且在检查日有效的证书\
                 （每张过期证书一条）。"
            }
            Rule::SpecialOpNoCert => {
                "特种作业人员未持有其作业类别的特种作业操作证（无论是否有效）；\
                 未登记作业类别的，未持有任何特种作业操作证。"
            }
            Rule::ReviewOverdue => {
                "特种作业操作证在检查日有效，应复审日期早于检查日，且无实际复审日期。"
            }
            Rule::ManagerRetrainShort => {
                "主要负责人或安全生产管理人员任职日期不晚于检查日前一年之日，\
                 结束于检查日前一年之日（不含）至检查日（含）之间的再培训学时合计低于规定学时。"
            }
            Rule::EmployeeRetrainShort => {
                "特种作业人员或一般从业人员任职日期不晚于检查日前一年之日，\
                 结束于检查日前一年之日（不含）至检查日（含）之间的再培训学时合计低于规定学时。"
            }
            Rule::PrejobHoursShort => {
                "特种作业人员或一般从业人员任职日期晚于检查日前一年之日且不晚于检查日，\
                 结束于检查日或之前的岗前培训学时合计低于规定学时。"
            }
            Rule::TrainingOverlap => {
                "同一人员有两条培训记录的时间相互重叠（一条的开始早于另一条的结束，反之亦然；\
                 首尾相接不算重叠），每人一条。"
            }
            Rule::HoursExceedDuration => {
                "一条培训记录的学时（理论加实操）乘以每学时分钟数（线下45分钟、线上30分钟）\
                 超过其结束时间减开始时间。"
            }
            Rule::CertNotInRegistry => {
                "已导入登记库时，证书编号在登记库中不存在，或登记的持证人身份证号或姓名与本人不符。"
            }
        }
    }

    /// The parameters the rule reads, with their current values, in Chinese.
    pub fn parameters(self, p: &Params) -> String {
        let high_risk = format!("高危行业：{}", p.high_risk_industries.join("、"));
        let pair = |what: &str, (normal, high): (f64, f64)| {
            format!(
                "{what}不少于 {} 学时，高危行业不少于 {} 学时",
                fmt_hours(normal),
                fmt_hours(high)
            )
        };
        let validity = format!(
            "考核合格证有效期 {} 年、特种作业操作证有效期 {} 年（有效期止缺失时据此推算）",
            p.manager_cert_validity_years, p.special_cert_validity_years
        );
        match self {
            Rule::ManagerCertMissing => format!(
                "任职后期限 {} 个月；{high_risk}；考核合格证有效期 {} 年（有效期止缺失时据此推算）",
                p.manager_cert_deadline_months, p.manager_cert_validity_years
            ),
            Rule::CertExpired => validity,
            Rule::SpecialOpNoCert => "无数值参数（按人员登记的作业类别比对证书的作业类别）".into(),
            Rule::ReviewOverdue => format!(
                "复审周期 {} 年（应复审日期缺失时据此推算）；特种作业操作证有效期 {} 年",
                p.special_cert_review_years, p.special_cert_validity_years
            ),
            Rule::ManagerRetrainShort => format!(
                "{}；统计检查日前一年；{high_risk}",
                pair("每年再培训", p.manager_retrain_hours)
            ),
            Rule::EmployeeRetrainShort => format!(
                "{}；统计检查日前一年；{high_risk}",
                pair("每年再培训", p.employee_retrain_hours)
            ),
            Rule::PrejobHoursShort => format!(
                "{}；任职一年内为新上岗；{high_risk}",
                pair("岗前培训", p.prejob_hours)
            ),
            Rule::TrainingOverlap => "无数值参数".into(),
            Rule::HoursExceedDuration => format!(
                "每学时线下 {} 分钟、线上 {} 分钟",
                p.class_hour_minutes.0, p.class_hour_minutes.1
            ),
            Rule::CertNotInRegistry => {
                "须已导入登记库；比对证书编号（T+身份证号与身份证号为同一编号）、持证人身份证号和姓名"
                    .into()
            }
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Hours for people: at most four decimals, trailing zeros dropped (12, 11.9, 0.75).
pub(super) fn fmt_hours(h: f64) -> String {
    let s = format!("{h:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// Hours as a measured amount: like `fmt_hours` but with at least one decimal (8.0, 11.95).
pub(super) fn fmt_amount(h: f64) -> String {
    let s = fmt_hours(h);
    if s.contains('.') || !h.is_finite() {
        s
    } else {
        format!("{s}.0")
    }
}
