//! 问题清单: the problem list and its rectification (notice §三(一): 问题、整改措施、时限、
//! 责任人). Problems come from self-inspections (the self-inspection module creates them), or
//! from a supervisor: an enforcement inspection, the district's supervision, a tip-off or the
//! rule engine. Every query goes through the scope filter (a foreign id is `NotFound`);
//! every transition writes a `problem_events` row, notifies whom it concerns and is audited,
//! in one transaction.
//!
//! The life of a problem (see [`next_status`]):
//!
//! | from \ action          | 填报整改 (subject) | 申请核验 (subject) | 销号 (supervisor) | 退回 (supervisor) |
//! |------------------------|--------------------|--------------------|-------------------|-------------------|
//! | 待整改 pending          | 整改中              | 已整改待核验          | —                 | —                 |
//! | 整改中 in_progress      | 整改中              | 已整改待核验          | —                 | —                 |
//! | 已整改待核验 awaiting    | —                  | —                  | 已销号             | 整改中 (with reason) |
//! | 已销号 closed           | —                  | —                  | —                 | —                 |
//!
//! 逾期 (overdue) is not a stored status: a problem is overdue while it is not closed and its
//! 整改时限 is before today (the store's clock). The daily job records the first time it saw a
//! problem overdue as an `overdue` event.

mod query;
mod write;

pub use query::*;
pub use write::*;

use crate::entity::subject;
use crate::scope::Scope;
use crate::Reach;
use crate::{StoreError, StoreResult};
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

/// The stored status of a problem (the `problems.status` column, by its code).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ProblemStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    #[sea_orm(string_value = "awaiting_verification")]
    AwaitingVerification,
    #[sea_orm(string_value = "closed")]
    Closed,
}

impl ProblemStatus {
    pub const ALL: [ProblemStatus; 4] = [
        ProblemStatus::Pending,
        ProblemStatus::InProgress,
        ProblemStatus::AwaitingVerification,
        ProblemStatus::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ProblemStatus::Pending => "pending",
            ProblemStatus::InProgress => "in_progress",
            ProblemStatus::AwaitingVerification => "awaiting_verification",
            ProblemStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProblemStatus::Pending => "待整改",
            ProblemStatus::InProgress => "整改中",
            ProblemStatus::AwaitingVerification => "已整改待核验",
            ProblemStatus::Closed => "已销号",
        }
    }

    pub fn from_code(s: &str) -> Option<ProblemStatus> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }
}

/// Where a problem came from (来源; the `problems.source` column, by its code).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Source {
    #[sea_orm(string_value = "self_inspection")]
    SelfInspection,
    #[sea_orm(string_value = "enforcement")]
    Enforcement,
    #[sea_orm(string_value = "supervision")]
    Supervision,
    #[sea_orm(string_value = "tipoff")]
    Tipoff,
    #[sea_orm(string_value = "rule_engine")]
    RuleEngine,
}

impl Source {
    pub const ALL: [Source; 5] = [
        Source::SelfInspection,
        Source::Enforcement,
        Source::Supervision,
        Source::Tipoff,
        Source::RuleEngine,
    ];

    /// The sources a supervisor may enter by hand (自查 problems come from self-inspections).
    pub const BY_SUPERVISOR: [Source; 4] = [
        Source::Enforcement,
        Source::Supervision,
        Source::Tipoff,
        Source::RuleEngine,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Source::SelfInspection => "self_inspection",
            Source::Enforcement => "enforcement",
            Source::Supervision => "supervision",
            Source::Tipoff => "tipoff",
            Source::RuleEngine => "rule_engine",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Source::SelfInspection => "自查",
            Source::Enforcement => "执法检查",
            Source::Supervision => "督查",
            Source::Tipoff => "举报",
            Source::RuleEngine => "规则引擎",
        }
    }

    pub fn from_code(s: &str) -> Option<Source> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }
}

/// What someone does to a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// 填报整改情况 (subject).
    Rectify,
    /// 整改完成，申请核验 (subject).
    RequestVerification,
    /// 核验通过，销号 (supervisor).
    Verify,
    /// 退回整改, with a reason (supervisor).
    Reject,
}

impl Action {
    pub const ALL: [Action; 4] = [
        Action::Rectify,
        Action::RequestVerification,
        Action::Verify,
        Action::Reject,
    ];

    /// The `problem_events.kind` it writes.
    pub fn code(self) -> &'static str {
        match self {
            Action::Rectify => "rectify",
            Action::RequestVerification => "request_verification",
            Action::Verify => "verify",
            Action::Reject => "reject",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Rectify => "填报整改情况",
            Action::RequestVerification => "整改完成，申请核验",
            Action::Verify => "核验销号",
            Action::Reject => "退回整改",
        }
    }

    /// Whether the subject itself does it (otherwise its supervisors do).
    pub fn by_subject(self) -> bool {
        matches!(self, Action::Rectify | Action::RequestVerification)
    }
}

/// The Chinese name of an event kind in the history.
pub fn event_label(kind: &str) -> &'static str {
    match kind {
        "created" => "登记问题",
        "rectify" => "填报整改情况",
        "request_verification" => "申请核验",
        "verify" => "核验销号",
        "reject" => "退回整改",
        "overdue" => "逾期",
        "revised" => "自查修改",
        _ => "记录",
    }
}

/// The transition table (module docs): the status after `action`, or why it is refused.
pub fn next_status(from: ProblemStatus, action: Action) -> Result<ProblemStatus, &'static str> {
    use Action::*;
    use ProblemStatus::*;
    match (from, action) {
        (Pending | InProgress, Rectify) => Ok(InProgress),
        (Pending | InProgress, RequestVerification) => Ok(AwaitingVerification),
        (AwaitingVerification, Verify) => Ok(Closed),
        (AwaitingVerification, Reject) => Ok(InProgress),
        (AwaitingVerification, Rectify | RequestVerification) => {
            Err("已申请核验，请等待监管部门核验；如被退回，可继续填报整改情况")
        }
        (Pending | InProgress, Verify | Reject) => {
            Err("单位尚未申请核验：只有“已整改待核验”的问题才能销号或退回")
        }
        (Closed, _) => Err("该问题已销号，不能再变更"),
    }
}

/// Whether the holder of `scope` may do `action` to a problem of subject `s` (which is in
/// the scope already). Supervisors are the district, the subject's town and the subject's
/// department; the subject only rectifies, and never verifies its own problem.
pub fn may_act(scope: &Scope, s: &subject::Model, action: Action) -> StoreResult<()> {
    if action.by_subject() {
        return match scope.reach() {
            Reach::Subject(id) if id == s.id => Ok(()),
            _ => Err(StoreError::Validation(
                "整改情况由被检查单位自行填报；监管部门请在单位申请核验后核验销号或退回。".into(),
            )),
        };
    }
    match scope.reach() {
        // A district's and a city department's reach was checked by the scoped read.
        Reach::All | Reach::District(_) | Reach::CityDepartment(_) => Ok(()),
        Reach::Town(t) if t == s.town_id => Ok(()),
        Reach::Department(d) if d == s.department_id => Ok(()),
        Reach::Subject(_) => Err(StoreError::Forbidden),
        _ => Err(StoreError::NotFound),
    }
}
pub use crate::clock::china_time;
/// The `evidence_files.owner_kind` of rectification evidence (owned by the event).
pub const EVIDENCE_OWNER: &str = "problem_event";
#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn the_transition_table_allows_exactly_the_documented_moves() {
        use Action::*;
        use ProblemStatus::*;
        let legal = [
            (Pending, Rectify, InProgress),
            (InProgress, Rectify, InProgress),
            (Pending, RequestVerification, AwaitingVerification),
            (InProgress, RequestVerification, AwaitingVerification),
            (AwaitingVerification, Verify, Closed),
            (AwaitingVerification, Reject, InProgress),
        ];
        for from in ProblemStatus::ALL {
            for a in Action::ALL {
                let expected = legal
                    .iter()
                    .find(|(f, x, _)| *f == from && *x == a)
                    .map(|(_, _, t)| *t);
                match (next_status(from, a), expected) {
                    (Ok(t), Some(e)) => assert_eq!(t, e, "{from:?} {a:?}"),
                    (Err(m), None) => assert!(!m.is_empty()),
                    (got, e) => panic!("{from:?} {a:?}: got {got:?}, expected {e:?}"),
                }
            }
        }
    }

    #[test]
    fn parses_dates_as_people_type_them() {
        let d = NaiveDate::from_ymd_opt(2022, 3, 31).unwrap();
        for s in [
            "2022-03-31",
            "2022/3/31",
            "2022.03.31",
            "2022年3月31日",
            " 2022-3-31 ",
        ] {
            assert_eq!(parse_date(s), Some(d), "{s}");
        }
        assert_eq!(parse_date("2022-02-30"), None);
        assert_eq!(parse_date("明天"), None);
    }

    #[test]
    fn status_filters_parse_from_their_codes() {
        assert_eq!(StatusFilter::parse("overdue"), Some(StatusFilter::Overdue));
        assert_eq!(
            StatusFilter::parse("closed"),
            Some(StatusFilter::Is(ProblemStatus::Closed))
        );
        assert_eq!(StatusFilter::parse("nonsense"), None);
    }
}
