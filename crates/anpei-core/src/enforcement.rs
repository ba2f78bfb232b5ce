//! Enforcement (执法检查, notice §三(二) and §四(二)): the kinds of enforcement action with
//! their Chinese names and default legal basis, the fine ranges of 《安全生产法》第九十七条
//! and their check, the inspectors of an inspection (at least two officers
//! with enforcement certificate numbers), the pass mark of an on-the-spot test (逢查必考) and
//! the removal of personal data from a typical case (典型案例) before it is published.

use crate::params::Params;
use crate::SubjectKind;
use serde::{Deserialize, Serialize};

/// The kinds of enforcement action. Codes are stable (database).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// 责令限期整改: with a deadline; creates a problem.
    OrderRectify,
    /// 罚款: amounts checked against 《安全生产法》第九十七条.
    Fine,
    /// 警告.
    Warning,
    /// 责令停产停业整顿.
    SuspendBusiness,
    /// 移送市场监管部门.
    ReferMarket,
    /// 移交司法机关.
    ReferJudicial,
    /// 暂停考试资格 (exam sites and exam institutions).
    SuspendExam,
    /// 取消考试资格 (exam sites and exam institutions).
    CancelExam,
    /// 曝光: creates a typical case draft.
    Expose,
}

impl ActionKind {
    pub const ALL: [ActionKind; 9] = [
        ActionKind::OrderRectify,
        ActionKind::Fine,
        ActionKind::Warning,
        ActionKind::SuspendBusiness,
        ActionKind::ReferMarket,
        ActionKind::ReferJudicial,
        ActionKind::SuspendExam,
        ActionKind::CancelExam,
        ActionKind::Expose,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ActionKind::OrderRectify => "order_rectify",
            ActionKind::Fine => "fine",
            ActionKind::Warning => "warning",
            ActionKind::SuspendBusiness => "suspend_business",
            ActionKind::ReferMarket => "refer_market",
            ActionKind::ReferJudicial => "refer_judicial",
            ActionKind::SuspendExam => "suspend_exam",
            ActionKind::CancelExam => "cancel_exam",
            ActionKind::Expose => "expose",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ActionKind::OrderRectify => "责令限期整改",
            ActionKind::Fine => "罚款",
            ActionKind::Warning => "警告",
            ActionKind::SuspendBusiness => "责令停产停业整顿",
            ActionKind::ReferMarket => "移送市场监管部门",
            ActionKind::ReferJudicial => "移交司法机关",
            ActionKind::SuspendExam => "暂停考试资格",
            ActionKind::CancelExam => "取消考试资格",
            ActionKind::Expose => "曝光",
        }
    }

    pub fn from_code(s: &str) -> Option<ActionKind> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    /// The legal basis the form starts with (the officer may change it).
    pub fn default_legal_basis(self) -> &'static str {
        match self {
            ActionKind::OrderRectify => "《中华人民共和国安全生产法》第六十五条第一款第（二）项、第九十七条",
            ActionKind::Fine => "《中华人民共和国安全生产法》第九十七条",
            ActionKind::Warning => "《中华人民共和国行政处罚法》第九条第（一）项",
            ActionKind::SuspendBusiness => "《中华人民共和国安全生产法》第九十七条（逾期未改正的，责令停产停业整顿）",
            ActionKind::ReferMarket => "专项整治通知四（二）：安全培训机构扰乱或垄断培训市场收取高额培训费的，将证据材料移送机构注册地市场监管部门查处",
            ActionKind::ReferJudicial => "《行政执法机关移送涉嫌犯罪案件的规定》第三条；专项整治通知四（二）",
            ActionKind::SuspendExam | ActionKind::CancelExam => "专项整治通知四（二）：考试机构和考试点纵容、参与考生作弊的，视情节暂停、取消考试资格",
            ActionKind::Expose => "专项整治通知四（三）：及时曝光典型案例",
        }
    }

    /// Whether the action concerns the exam qualification (exam sites and institutions only).
    pub fn is_exam_qualification(self) -> bool {
        matches!(self, ActionKind::SuspendExam | ActionKind::CancelExam)
    }

    /// Whether the action may be taken against a subject of `kind`; the refusal in Chinese.
    pub fn check_applies_to(self, kind: SubjectKind) -> Result<(), String> {
        if self.is_exam_qualification()
            && !matches!(kind, SubjectKind::ExamSite | SubjectKind::ExamInstitution)
        {
            return Err(format!(
                "{}：只适用于考试点和考试机构，该单位为{}",
                self.label(),
                kind.label()
            ));
        }
        Ok(())
    }
}

impl std::fmt::Display for ActionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// The two stages of 《安全生产法》第九十七条.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FineStage {
    /// 责令限期改正，处十万元以下的罚款.
    Ordered,
    /// 逾期未改正的，责令停产停业整顿，并处十万元以上二十万元以下的罚款，对其直接负责的主管人员
    /// 和其他直接责任人员处二万元以上五万元以下的罚款.
    NotCorrected,
}

impl FineStage {
    pub const ALL: [FineStage; 2] = [FineStage::Ordered, FineStage::NotCorrected];

    pub fn code(self) -> &'static str {
        match self {
            FineStage::Ordered => "ordered",
            FineStage::NotCorrected => "not_corrected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FineStage::Ordered => "责令限期改正（处十万元以下罚款）",
            FineStage::NotCorrected => "逾期未改正（单位十万至二十万元，直接责任人员二万至五万元）",
        }
    }

    pub fn from_code(s: &str) -> Option<FineStage> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// The fine ranges of one article, in yuan (both ends inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FineRanges {
    /// The article, as messages name it.
    pub article: &'static str,
    /// On the unit when ordered to correct: at most this.
    pub ordered_unit_max: i64,
    /// On the unit when not corrected within the deadline.
    pub not_corrected_unit: (i64, i64),
    /// On each directly responsible person when not corrected.
    pub not_corrected_person: (i64, i64),
}

impl FineRanges {
    /// 《中华人民共和国安全生产法》（2021年修正）第九十七条, with the amounts
    /// of the parameters table (`[params]` may follow a later amendment).
    pub fn article_97(p: &Params) -> FineRanges {
        FineRanges {
            article: "《安全生产法》第九十七条",
            ordered_unit_max: p.article97_ordered_unit_max,
            not_corrected_unit: p.article97_not_corrected_unit,
            not_corrected_person: p.article97_not_corrected_person,
        }
    }
}

/// `100000` → `10万元`, `12345` → `12345元`.
pub fn yuan(n: i64) -> String {
    if n != 0 && n % 10_000 == 0 {
        format!("{}万元", n / 10_000)
    } else {
        format!("{n}元")
    }
}

/// Checks the fines of one decision against 第九十七条 ([`FineRanges::article_97`]): the
/// unit's amount and each responsible person's. At least one amount; persons are fined only
/// when the unit did not correct within the deadline. The refusal names the range and the
/// amount, in Chinese.
pub fn check_fine(
    p: &Params,
    stage: FineStage,
    unit_amount: Option<i64>,
    person_amounts: &[i64],
) -> Result<(), String> {
    check_fine_with(
        &FineRanges::article_97(p),
        stage,
        unit_amount,
        person_amounts,
    )
}

/// `check_fine` against other ranges (a deployment's).
pub fn check_fine_with(
    r: &FineRanges,
    stage: FineStage,
    unit_amount: Option<i64>,
    person_amounts: &[i64],
) -> Result<(), String> {
    let out = |what: String| format!("罚款金额超出{}规定的范围：{what}", r.article);
    if unit_amount.is_none() && person_amounts.is_empty() {
        return Err("罚款：请填写对单位或对直接责任人员的罚款金额".into());
    }
    match stage {
        FineStage::Ordered => {
            if let Some(a) = unit_amount {
                if a <= 0 || a > r.ordered_unit_max {
                    return Err(out(format!(
                        "对单位责令限期改正的，处{}以下的罚款，本次填写{}",
                        yuan(r.ordered_unit_max),
                        yuan(a)
                    )));
                }
            }
            if !person_amounts.is_empty() {
                return Err(format!(
                    "{}规定，逾期未改正的，才对直接负责的主管人员和其他直接责任人员处罚款；责令限期改正阶段不能对个人罚款",
                    r.article
                ));
            }
        }
        FineStage::NotCorrected => {
            let (lo, hi) = r.not_corrected_unit;
            if let Some(a) = unit_amount {
                if a < lo || a > hi {
                    return Err(out(format!(
                        "对单位逾期未改正的，处{}以上{}以下的罚款，本次填写{}",
                        yuan(lo),
                        yuan(hi),
                        yuan(a)
                    )));
                }
            }
            let (plo, phi) = r.not_corrected_person;
            for (i, a) in person_amounts.iter().enumerate() {
                if *a < plo || *a > phi {
                    return Err(out(format!(
                        "对直接负责的主管人员和其他直接责任人员处{}以上{}以下的罚款，第{}名责任人员填写{}",
                        yuan(plo),
                        yuan(phi),
                        i + 1,
                        yuan(*a)
                    )));
                }
            }
        }
    }
    Ok(())
}

/// The full score of a test.
pub const SPOT_TEST_FULL_MARK: i32 = 100;

/// 逢查必考: a score at or above the exams' pass mark passes (`Params::exam_pass_score`,
/// by default 100 points, pass at 80).
pub fn spot_test_passed(p: &crate::Params, score: i32) -> bool {
    score >= p.exam_pass_score
}

/// A score as typed: a whole number from 0 to 100.
pub fn parse_score(raw: &str) -> Result<i32, String> {
    let t = crate::ids::trim_cell(raw);
    match t.parse::<i32>() {
        Ok(n) if (0..=SPOT_TEST_FULL_MARK).contains(&n) => Ok(n),
        _ => Err(format!("成绩“{t}”应为0至{SPOT_TEST_FULL_MARK}的整数")),
    }
}

/// An enforcement officer on an inspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspector {
    pub name: String,
    /// 执法证号.
    pub cert_no: String,
}

/// At least this many officers inspect together (《行政处罚法》第四十二条).
pub const MIN_INSPECTORS: usize = 2;

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；' | ':' | '：' | '\u{3000}')
}

/// Parses the inspectors typed one per line as `姓名 执法证号` (space, tab, comma or colon
/// between) and checks them: at least two, each with a certificate number, no number twice.
/// Blank lines are skipped. Errors name the line, in Chinese.
pub fn parse_inspectors(raw: &str) -> Result<Vec<Inspector>, String> {
    let mut out: Vec<Inspector> = Vec::new();
    for (i, line) in raw.lines().enumerate() {
        let line = crate::ids::trim_cell(line);
        if line.is_empty() {
            continue;
        }
        let at = format!("执法人员第{}行", i + 1);
        let mut parts = line.split(is_separator).filter(|s| !s.is_empty());
        let name = parts.next().unwrap_or_default().to_string();
        let rest: Vec<&str> = parts.collect();
        if rest.is_empty() {
            return Err(format!(
                "{at}“{line}”：缺少执法证号（每行填写“姓名 执法证号”）"
            ));
        }
        if rest.len() > 1 {
            return Err(format!(
                "{at}“{line}”：应只有姓名和执法证号两项（每行一人）"
            ));
        }
        let cert_no = rest[0].to_ascii_uppercase();
        if name.chars().count() > 30 || cert_no.chars().count() > 40 {
            return Err(format!("{at}：姓名或执法证号过长"));
        }
        if let Some(prev) = out.iter().find(|p| p.cert_no == cert_no) {
            return Err(format!("{at}：执法证号“{cert_no}”与{}重复", prev.name));
        }
        out.push(Inspector { name, cert_no });
    }
    check_inspectors(&out)?;
    Ok(out)
}

/// Checks a list of inspectors (as stored or parsed).
pub fn check_inspectors(list: &[Inspector]) -> Result<(), String> {
    if list.len() < MIN_INSPECTORS {
        return Err(format!(
            "执法人员：执法检查应由{MIN_INSPECTORS}名以上持有执法证的执法人员进行，本次填写{}名",
            list.len()
        ));
    }
    for (i, p) in list.iter().enumerate() {
        if p.name.trim().is_empty() || p.cert_no.trim().is_empty() {
            return Err(format!("执法人员第{}名：姓名和执法证号都不能为空", i + 1));
        }
    }
    for (i, p) in list.iter().enumerate() {
        if list[..i].iter().any(|q| q.cert_no == p.cert_no) {
            return Err(format!("执法人员：执法证号“{}”重复", p.cert_no));
        }
    }
    Ok(())
}

/// `张三` → `张某`, `欧阳小明` → `欧阳某某`: how published cases name a person.
pub fn pseudonym(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    const COMPOUND: [&str; 10] = [
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐",
    ];
    let surname_len =
        if chars.len() >= 3 && COMPOUND.contains(&chars[..2].iter().collect::<String>().as_str()) {
            2
        } else {
            1
        };
    if chars.len() <= surname_len {
        return "某".into();
    }
    let mut s: String = chars[..surname_len].iter().collect();
    s.push('某');
    if chars.len() - surname_len >= 2 {
        s.push('某');
    }
    s
}

pub use crate::redact::{ID_REMOVED, PHONE_REMOVED};

/// Removes personal data from a text before it is published: each of `names` (persons the
/// case concerns) becomes a pseudonym (`张某`), ID numbers (18 or 15 characters) and phone
/// numbers (mobile: 11 digits starting with 1; fixed: 10–12 digits starting with 0; with
/// the country code; written in groups, with hyphens or in full-width digits: see
/// [`crate::redact`]) are removed. Other numbers (amounts, dates, decision numbers, credit
/// codes) stay. What it cannot tell apart is left for [`crate::redact::check_publishable`].
pub fn desensitize(text: &str, names: &[&str]) -> String {
    let mut names: Vec<&str> = names
        .iter()
        .map(|n| n.trim())
        .filter(|n| n.chars().count() >= 2)
        .collect();
    // Longer names first, so that 张三丰 is not left as 张某丰.
    names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    names.dedup();
    let mut s = text.to_string();
    for n in names {
        s = s.replace(n, &pseudonym(n));
    }
    crate::redact::strip_personal_numbers(&s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    static P: std::sync::LazyLock<Params> = std::sync::LazyLock::new(Params::default);

    #[test]
    fn exactly_one_hundred_thousand_on_the_unit_is_allowed_when_ordered_to_correct() {
        assert_eq!(
            check_fine(&P, FineStage::Ordered, Some(100_000), &[]),
            Ok(())
        );
        assert_eq!(check_fine(&P, FineStage::Ordered, Some(1), &[]), Ok(()));
    }

    #[test]
    fn one_hundred_thousand_and_one_is_refused_with_the_range_named() {
        let e = check_fine(&P, FineStage::Ordered, Some(100_001), &[]).unwrap_err();
        assert_eq!(
            e,
            "罚款金额超出《安全生产法》第九十七条规定的范围：对单位责令限期改正的，处10万元以下的罚款，本次填写100001元"
        );
        assert!(check_fine(&P, FineStage::Ordered, Some(0), &[]).is_err());
        assert!(check_fine(&P, FineStage::Ordered, Some(-5), &[]).is_err());
    }

    #[test]
    fn persons_are_not_fined_while_the_unit_is_only_ordered_to_correct() {
        let e = check_fine(&P, FineStage::Ordered, Some(50_000), &[20_000]).unwrap_err();
        assert!(e.contains("逾期未改正的，才对"), "{e}");
    }

    #[test]
    fn the_second_stage_bounds_are_inclusive_for_the_unit_and_each_person() {
        let ok = |u, p: &[i64]| check_fine(&P, FineStage::NotCorrected, u, p);
        assert_eq!(ok(Some(100_000), &[20_000, 50_000]), Ok(()));
        assert_eq!(ok(Some(200_000), &[]), Ok(()));
        assert_eq!(ok(None, &[30_000]), Ok(()));
        let e = ok(Some(99_999), &[]).unwrap_err();
        assert!(
            e.contains("对单位逾期未改正的，处10万元以上20万元以下的罚款，本次填写99999元"),
            "{e}"
        );
        assert!(ok(Some(200_001), &[]).is_err());
        let e = ok(Some(150_000), &[20_000, 19_999]).unwrap_err();
        assert_eq!(
            e,
            "罚款金额超出《安全生产法》第九十七条规定的范围：对直接负责的主管人员和其他直接责任人员处2万元以上5万元以下的罚款，第2名责任人员填写19999元"
        );
        assert!(ok(Some(150_000), &[50_001]).is_err());
    }

    #[test]
    fn the_ranges_come_from_the_parameters_table() {
        let p = Params {
            article97_ordered_unit_max: 150_000,
            ..Params::default()
        };
        assert_eq!(
            check_fine(&p, FineStage::Ordered, Some(150_000), &[]),
            Ok(())
        );
        let e = check_fine(&p, FineStage::Ordered, Some(150_001), &[]).unwrap_err();
        assert!(e.contains("处15万元以下的罚款"), "{e}");
        assert!(check_fine(&P, FineStage::Ordered, Some(150_000), &[]).is_err());
    }

    #[test]
    fn a_fine_without_any_amount_is_refused() {
        assert!(check_fine(&P, FineStage::Ordered, None, &[]).is_err());
    }

    #[test]
    fn exam_qualification_actions_apply_only_to_exam_sites_and_institutions() {
        for k in SubjectKind::ALL {
            let r = ActionKind::SuspendExam.check_applies_to(*k);
            let exam = matches!(k, SubjectKind::ExamSite | SubjectKind::ExamInstitution);
            assert_eq!(r.is_ok(), exam, "{k:?}");
            assert!(ActionKind::Fine.check_applies_to(*k).is_ok());
        }
        let e = ActionKind::CancelExam
            .check_applies_to(SubjectKind::Enterprise)
            .unwrap_err();
        assert_eq!(
            e,
            "取消考试资格：只适用于考试点和考试机构，该单位为生产经营单位"
        );
    }

    #[test]
    fn action_kinds_round_trip_and_have_a_legal_basis() {
        for k in ActionKind::ALL {
            assert_eq!(ActionKind::from_code(k.code()), Some(k));
            assert!(!k.default_legal_basis().is_empty());
        }
        for s in FineStage::ALL {
            assert_eq!(FineStage::from_code(s.code()), Some(s));
        }
    }

    #[test]
    fn a_spot_test_passes_at_eighty() {
        let p = crate::Params::default();
        assert!(spot_test_passed(&p, 80));
        assert!(!spot_test_passed(&p, 79));
        assert_eq!(parse_score(" 95 "), Ok(95));
        assert!(parse_score("101").is_err());
        assert!(parse_score("-1").is_err());
        assert!(parse_score("八十").unwrap_err().contains("0至100"));
    }

    #[test]
    fn two_officers_with_certificate_numbers_are_accepted() {
        let v = parse_inspectors("王明 50011201\n\n李强，50011202\n").unwrap();
        assert_eq!(
            v,
            vec![
                Inspector {
                    name: "王明".into(),
                    cert_no: "50011201".into()
                },
                Inspector {
                    name: "李强".into(),
                    cert_no: "50011202".into()
                },
            ]
        );
    }

    #[test]
    fn one_officer_a_missing_number_or_a_duplicate_is_refused() {
        let e = parse_inspectors("王明 50011201").unwrap_err();
        assert!(e.contains("2名以上") && e.contains("本次填写1名"), "{e}");
        let e = parse_inspectors("王明 50011201\n李强").unwrap_err();
        assert_eq!(
            e,
            "执法人员第2行“李强”：缺少执法证号（每行填写“姓名 执法证号”）"
        );
        let e = parse_inspectors("王明 a1\n李强 A1").unwrap_err();
        assert!(e.contains("“A1”与王明重复"), "{e}");
        assert!(parse_inspectors("").is_err());
        assert!(parse_inspectors("王明 1 2\n李强 3").is_err());
    }

    #[test]
    fn desensitize_masks_names_ids_and_phones_but_keeps_amounts_and_codes() {
        let t = "经查，该单位主要负责人张三（身份证号50011219800101123X，电话13812341234，证号T50011219800101123X）\
                 安排欧阳小明无证上岗，联系电话023-67824066。统一社会信用代码91500112MA5U123456，\
                 决定书渝北应急罚〔2022〕15号，罚款100000元，于2022-05-06送达。";
        let d = desensitize(t, &["张三", "欧阳小明", "  "]);
        assert!(!d.contains("张三") && d.contains("张某"), "{d}");
        assert!(!d.contains("欧阳小明") && d.contains("欧阳某某"), "{d}");
        assert!(
            !d.contains("50011219800101123X") && d.contains(ID_REMOVED),
            "{d}"
        );
        assert_eq!(d.matches(ID_REMOVED).count(), 2, "{d}");
        assert!(!d.contains("13812341234"), "{d}");
        assert!(!d.contains("67824066"), "{d}");
        assert_eq!(d.matches(PHONE_REMOVED).count(), 2, "{d}");
        assert!(d.contains("91500112MA5U123456"), "{d}");
        assert!(
            d.contains("100000元") && d.contains("2022-05-06") && d.contains("〔2022〕15号"),
            "{d}"
        );
    }

    #[test]
    fn pseudonyms_keep_the_surname_only() {
        assert_eq!(pseudonym("张三"), "张某");
        assert_eq!(pseudonym("王小二"), "王某某");
        assert_eq!(pseudonym("司马光明"), "司马某某");
        assert_eq!(pseudonym("李"), "某");
    }

    proptest! {
        #[test]
        fn the_inspector_parser_never_panics(s in "\\PC{0,200}") {
            let _ = parse_inspectors(&s);
        }

        #[test]
        fn well_formed_inspector_lists_are_read_back(
            names in proptest::collection::vec("[\\u4e00-\\u9fa5]{2,4}", 2..6),
            sep in "[ \\t,，、:：]{1,3}",
        ) {
            let lines: Vec<String> = names
                .iter()
                .enumerate()
                .map(|(i, n)| format!("{n}{sep}ZF{i:04}"))
                .collect();
            let v = parse_inspectors(&lines.join("\n")).unwrap();
            prop_assert_eq!(v.len(), names.len());
            for (i, p) in v.iter().enumerate() {
                prop_assert_eq!(&p.name, &names[i]);
                prop_assert_eq!(p.cert_no.clone(), format!("ZF{i:04}"));
            }
        }

        #[test]
        fn desensitized_text_holds_no_mobile_or_id_number(
            pre in "[\\u4e00-\\u9fa5]{0,5}",
            phone in "1[3-9][0-9]{9}",
            id in "[1-6][0-9]{16}[0-9X]",
        ) {
            let t = format!("{pre}{phone}{pre}，{id}。");
            let d = desensitize(&t, &[]);
            prop_assert!(!d.contains(&phone));
            prop_assert!(!d.contains(&id));
        }
    }
}
