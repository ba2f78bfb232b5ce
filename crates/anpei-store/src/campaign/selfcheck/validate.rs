//! Checks of a self-inspection's answers and period covered: pure functions over what a
//! user typed, with a Chinese message per problem naming the item.

use super::{invalid, ItemError, ANSWERS, COMPLIANT, NONCOMPLIANT, TEXT_MAX};
use crate::campaign::problems;
use crate::entity::checklist_item;
use chrono::NaiveDate;

/// The raw fields of one item of the form.
#[derive(Debug, Clone, Default)]
pub struct AnswerInput {
    pub code: String,
    /// compliant / noncompliant / not_applicable; empty: not answered yet.
    pub answer: String,
    pub explanation: String,
    pub measures: String,
    pub deadline: String,
    pub responsible_name: String,
    /// Empty keeps a phone stored before (it is never shown unmasked).
    pub responsible_phone: String,
}

/// The raw fields of the whole form.
#[derive(Debug, Clone, Default)]
pub struct SaveInput {
    pub answers: Vec<AnswerInput>,
    pub period_from: String,
    pub period_to: String,
}

/// A validated answer, ready to store.
#[derive(Debug, Clone)]
pub(super) struct ValidAnswer {
    pub answer: &'static str,
    pub explanation: String,
    pub measures: Option<String>,
    pub deadline: Option<NaiveDate>,
    pub responsible_name: Option<String>,
    /// `Some(phone)`: a new phone; `None`: keep the stored one (or none).
    pub phone: Option<String>,
}

pub(super) fn text(raw: &str) -> String {
    anpei_core::ids::trim_cell(raw).to_string()
}

/// Checks one answer. `stored_phone` says whether a phone is stored already; `findings` is
/// the number of open findings of the item's rules.
pub(super) fn validate_answer(
    item: &checklist_item::Model,
    input: &AnswerInput,
    today: NaiveDate,
    findings: i64,
    stored_phone: bool,
) -> Result<ValidAnswer, Vec<ItemError>> {
    let code = item.code.as_str();
    let mut errs = Vec::new();
    let answer = match ANSWERS.iter().find(|a| **a == input.answer.trim()) {
        Some(a) => *a,
        None => {
            return Err(vec![invalid(
                code,
                format!("{code}：请选择“不存在”“存在”或“不适用”"),
            )])
        }
    };
    let explanation = text(&input.explanation);
    if explanation.chars().count() > TEXT_MAX {
        errs.push(invalid(
            code,
            format!("{code} 说明：不超过{TEXT_MAX}个字符"),
        ));
    }
    if answer == COMPLIANT && findings > 0 && explanation.is_empty() {
        errs.push(invalid(
            code,
            format!(
                "{code}：本单位有{findings}条相关问题线索尚未处理，答“不存在”须在说明中写明理由"
            ),
        ));
    }
    let mut v = ValidAnswer {
        answer,
        explanation,
        measures: None,
        deadline: None,
        responsible_name: None,
        phone: None,
    };
    if answer == NONCOMPLIANT {
        if v.explanation.is_empty() {
            errs.push(invalid(
                code,
                format!("{code} 问题描述：答“存在”须写明存在的问题"),
            ));
        }
        let measures = text(&input.measures);
        if measures.is_empty() || measures.chars().count() > TEXT_MAX {
            errs.push(invalid(
                code,
                format!("{code} 整改措施：不能为空，且不超过{TEXT_MAX}个字符"),
            ));
        }
        v.measures = Some(measures);
        let raw = input.deadline.trim();
        match problems::parse_date(raw) {
            Some(d) if d < today => errs.push(invalid(
                code,
                format!("{code} 整改时限：不能早于今天（{today}），实际为{d}"),
            )),
            Some(d) => v.deadline = Some(d),
            None if raw.is_empty() => errs.push(invalid(
                code,
                format!("{code} 整改时限：请填写整改完成的日期"),
            )),
            None => errs.push(invalid(
                code,
                format!("{code} 整改时限：“{raw}”不是有效日期（格式如2022-03-31）"),
            )),
        }
        let name = text(&input.responsible_name);
        if name.is_empty() || name.chars().count() > 50 {
            errs.push(invalid(
                code,
                format!("{code} 责任人：不能为空，且不超过50个字符"),
            ));
        }
        v.responsible_name = Some(name);
        let phone = text(&input.responsible_phone);
        if phone.is_empty() {
            if !stored_phone {
                errs.push(invalid(code, format!("{code} 责任人电话：不能为空")));
            }
        } else {
            match anpei_core::ids::parse_phone(&phone) {
                Ok(p) => v.phone = Some(p),
                Err(e) => errs.push(invalid(code, format!("{code} 责任人电话：{e}"))),
            }
        }
    }
    if errs.is_empty() {
        Ok(v)
    } else {
        Err(errs)
    }
}

/// Checks the period covered: both dates or neither (an institution must give both), from
/// before to, not after today.
pub(super) fn validate_period(
    input: &SaveInput,
    institution: bool,
    today: NaiveDate,
) -> Result<Option<(NaiveDate, NaiveDate)>, Vec<ItemError>> {
    let (a, b) = (input.period_from.trim(), input.period_to.trim());
    if a.is_empty() && b.is_empty() {
        return if institution {
            Err(vec![invalid(
                "",
                "自查期间：安全培训机构、考试点和考试机构应核查2019年1月以来的培训、考试工作，请填写起止日期"
                    .into(),
            )])
        } else {
            Ok(None)
        };
    }
    let mut errs = Vec::new();
    let from = problems::parse_date(a);
    let to = problems::parse_date(b);
    if from.is_none() {
        errs.push(invalid(
            "",
            format!("自查期间 起始日期：“{a}”不是有效日期（格式如2019-01-01）"),
        ));
    }
    if to.is_none() {
        errs.push(invalid(
            "",
            format!("自查期间 截止日期：“{b}”不是有效日期（格式如2022-03-31）"),
        ));
    }
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            errs.push(invalid(
                "",
                format!("自查期间：截止日期（{t}）早于起始日期（{f}）"),
            ));
        }
        if t > today {
            errs.push(invalid(
                "",
                format!("自查期间：截止日期（{t}）不能晚于今天（{today}）"),
            ));
        }
    }
    if errs.is_empty() {
        Ok(from.zip(to))
    } else {
        Err(errs)
    }
}

#[cfg(test)]
mod tests {
    use super::super::item_finding_count;
    use super::*;
    use std::collections::HashMap;

    fn item(code: &str, rules: &str) -> checklist_item::Model {
        checklist_item::Model {
            id: 1,
            version: 1,
            kind: "enterprise".into(),
            code: code.into(),
            seq: 1,
            section: "（一）生产经营单位".into(),
            text: "是否存在……的情况。".into(),
            rules: rules.into(),
        }
    }

    fn today() -> NaiveDate {
        "2022-01-10".parse().unwrap()
    }

    fn noncompliant() -> AnswerInput {
        AnswerInput {
            code: "E03".into(),
            answer: NONCOMPLIANT.into(),
            explanation: "两名特种作业人员证书过期".into(),
            measures: "组织复审培训".into(),
            deadline: "2022-03-31".into(),
            responsible_name: "张三".into(),
            responsible_phone: "13812341234".into(),
        }
    }

    #[test]
    fn a_noncompliant_answer_needs_its_problem_fields() {
        let it = item("E03", "");
        assert!(validate_answer(&it, &noncompliant(), today(), 0, false).is_ok());
        let empty = AnswerInput {
            code: "E03".into(),
            answer: NONCOMPLIANT.into(),
            ..Default::default()
        };
        let errs: Vec<String> = validate_answer(&it, &empty, today(), 0, false)
            .unwrap_err()
            .into_iter()
            .map(|e| e.message)
            .collect();
        assert_eq!(
            errs,
            vec![
                "E03 问题描述：答“存在”须写明存在的问题",
                "E03 整改措施：不能为空，且不超过1000个字符",
                "E03 整改时限：请填写整改完成的日期",
                "E03 责任人：不能为空，且不超过50个字符",
                "E03 责任人电话：不能为空",
            ]
        );
    }

    #[test]
    fn a_deadline_before_today_or_a_bad_phone_is_refused() {
        let it = item("E03", "");
        let mut a = noncompliant();
        a.deadline = "2022-01-09".into();
        a.responsible_phone = "12345".into();
        let errs: Vec<String> = validate_answer(&it, &a, today(), 0, false)
            .unwrap_err()
            .into_iter()
            .map(|e| e.message)
            .collect();
        assert_eq!(
            errs,
            vec![
                "E03 整改时限：不能早于今天（2022-01-10），实际为2022-01-09",
                "E03 责任人电话：应为11位手机号或带区号的固定电话",
            ]
        );
        // A stored phone is kept when the field is left empty.
        let mut keep = noncompliant();
        keep.responsible_phone.clear();
        assert!(validate_answer(&it, &keep, today(), 0, true).is_ok());
        // A landline is a phone.
        let mut land = noncompliant();
        land.responsible_phone = "023-67824066".into();
        assert!(validate_answer(&it, &land, today(), 0, false).is_ok());
    }

    #[test]
    fn compliant_with_open_findings_needs_an_explanation() {
        let it = item("E03", "CERT_EXPIRED");
        let a = AnswerInput {
            code: "E03".into(),
            answer: COMPLIANT.into(),
            ..Default::default()
        };
        let errs = validate_answer(&it, &a, today(), 3, false).unwrap_err();
        assert_eq!(
            errs[0].message,
            "E03：本单位有3条相关问题线索尚未处理，答“不存在”须在说明中写明理由"
        );
        assert!(validate_answer(&it, &a, today(), 0, false).is_ok());
        let explained = AnswerInput {
            explanation: "线索所涉人员已离职，台账待更新".into(),
            ..a
        };
        assert!(validate_answer(&it, &explained, today(), 3, false).is_ok());
    }

    #[test]
    fn an_institution_must_state_the_period_it_covers() {
        let empty = SaveInput::default();
        assert!(validate_period(&empty, false, today()).unwrap().is_none());
        assert!(validate_period(&empty, true, today()).is_err());
        let p = SaveInput {
            period_from: "2019-01-01".into(),
            period_to: "2022-01-10".into(),
            ..Default::default()
        };
        assert!(validate_period(&p, true, today()).unwrap().is_some());
        let reversed = SaveInput {
            period_from: "2022-01-01".into(),
            period_to: "2019-01-01".into(),
            ..Default::default()
        };
        assert_eq!(
            validate_period(&reversed, true, today()).unwrap_err()[0].message,
            "自查期间：截止日期（2019-01-01）早于起始日期（2022-01-01）"
        );
    }

    #[test]
    fn item_findings_add_up_over_the_linked_rules() {
        let it = item("E09", "TRAINING_OVERLAP,HOURS_EXCEED_DURATION");
        let counts: HashMap<String, i64> = [
            ("TRAINING_OVERLAP".to_string(), 2),
            ("CERT_EXPIRED".to_string(), 5),
            ("HOURS_EXCEED_DURATION".to_string(), 1),
        ]
        .into();
        assert_eq!(item_finding_count(&it, &counts), 3);
    }
}
