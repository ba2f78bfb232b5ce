//! The campaign (专项整治) as data: the notice, the versioned checklist catalogue of its §二,
//! the kinds of phase of its §三, the notice's own campaign as the default record, which phase
//! a date falls in, which campaign is the current one, and the checks on a campaign's dates.
//!
//! The catalogue is a data file (`data/checklist-v<N>.tsv`: code, kind, section, rules,
//! text), embedded in the binary and parsed here; each item's text is the notice's sentence
//! verbatim, without its leading number. A new version of the checklist is a new file and a
//! new entry in [`catalogue_source`]; campaigns name the version they use.

use crate::kinds::SubjectKind;
use crate::ledger::rules::Rule;
use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;
use std::sync::OnceLock;

/// The notice (`重庆市渝北区安全生产委员会办公室关于开展安全生产培训“走过场”专项整治工作的通知`).
pub const NOTICE_TEXT: &str = include_str!("../data/notice.txt");

/// Version 1 of the catalogue: the 30 items of the notice's §二.
pub const CATALOGUE_V1: &str = include_str!("../data/checklist-v1.tsv");

/// The newest catalogue version (what a new database seeds and a new campaign uses).
pub const LATEST_CATALOGUE_VERSION: i32 = 1;

/// The source of a catalogue version.
pub fn catalogue_source(version: i32) -> Option<&'static str> {
    match version {
        1 => Some(CATALOGUE_V1),
        _ => None,
    }
}

/// One checklist item (检查条目).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChecklistItem {
    /// E01–E10, T01–T04, S01–S08, X01–X08.
    pub code: String,
    pub kind: SubjectKind,
    /// Order in the catalogue, from 1.
    pub seq: i32,
    /// The notice's heading, e.g. （一）生产经营单位.
    pub section: String,
    /// Rules whose open findings are evidence for this item.
    pub rules: Vec<Rule>,
    /// The notice's sentence without its leading number.
    pub text: String,
}

/// The code prefix of each kind's items.
pub fn code_prefix(kind: SubjectKind) -> char {
    match kind {
        SubjectKind::Enterprise => 'E',
        SubjectKind::TrainingInstitution => 'T',
        SubjectKind::ExamSite => 'S',
        SubjectKind::ExamInstitution => 'X',
    }
}

const HEADER: &str = "code\tkind\tsection\trules\ttext";

/// Parses a catalogue file: `#` comment lines, the header `code kind section rules text`
/// (tab-separated), then one item a line. Errors name the line, in Chinese.
pub fn parse_catalogue(src: &str) -> Result<Vec<ChecklistItem>, String> {
    let mut lines = src
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    match lines.next() {
        Some((_, h)) if h.trim_end() == HEADER => {}
        _ => return Err(format!("检查条目文件的表头应为“{HEADER}”")),
    }
    let mut items: Vec<ChecklistItem> = Vec::new();
    for (i, line) in lines {
        let at = format!("第{}行", i + 1);
        let f: Vec<&str> = line.split('\t').collect();
        let [code, kind, section, rules, text] = f.as_slice() else {
            return Err(format!(
                "{at}：应有5列（以制表符分隔），实际为{}列",
                f.len()
            ));
        };
        let kind =
            SubjectKind::from_code(kind).ok_or_else(|| format!("{at}：主体类型“{kind}”不存在"))?;
        let prefix = code_prefix(kind);
        let well_formed = code.len() == 3
            && code.starts_with(prefix)
            && code[1..].bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            return Err(format!(
                "{at}：编号“{code}”应为{prefix}加两位数字（{}）",
                kind.label()
            ));
        }
        if items.iter().any(|it| it.code == *code) {
            return Err(format!("{at}：编号“{code}”重复"));
        }
        let rules = rules
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| Rule::from_code(r).ok_or_else(|| format!("{at}：规则“{r}”不存在")))
            .collect::<Result<Vec<_>, _>>()?;
        let text = text.trim();
        if text.is_empty() || section.trim().is_empty() {
            return Err(format!("{at}：所属部分和条目原文不能为空"));
        }
        items.push(ChecklistItem {
            code: code.to_string(),
            kind,
            seq: items.len() as i32 + 1,
            section: section.trim().to_string(),
            rules,
            text: text.to_string(),
        });
    }
    Ok(items)
}

/// A catalogue version, parsed once. The embedded files are checked by the tests.
pub fn catalogue(version: i32) -> Option<&'static [ChecklistItem]> {
    static V1: OnceLock<Vec<ChecklistItem>> = OnceLock::new();
    match version {
        1 => Some(V1.get_or_init(|| {
            parse_catalogue(CATALOGUE_V1).expect("the embedded catalogue parses (tested)")
        })),
        _ => None,
    }
}

/// The kinds of phase of notice §三.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseKind {
    SelfInspection,
    Enforcement,
    Supervision,
    Summary,
}

impl PhaseKind {
    pub const ALL: [PhaseKind; 4] = [
        PhaseKind::SelfInspection,
        PhaseKind::Enforcement,
        PhaseKind::Supervision,
        PhaseKind::Summary,
    ];

    /// The stable code (database).
    pub fn code(self) -> &'static str {
        match self {
            PhaseKind::SelfInspection => "self_inspection",
            PhaseKind::Enforcement => "enforcement",
            PhaseKind::Supervision => "supervision",
            PhaseKind::Summary => "summary",
        }
    }

    /// 自查自改, 执法检查, 考核督查, 总结提升.
    pub fn label(self) -> &'static str {
        match self {
            PhaseKind::SelfInspection => "自查自改",
            PhaseKind::Enforcement => "执法检查",
            PhaseKind::Supervision => "考核督查",
            PhaseKind::Summary => "总结提升",
        }
    }

    pub fn from_code(s: &str) -> Option<PhaseKind> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
}

impl std::fmt::Display for PhaseKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// One phase of a campaign; both dates inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    pub kind: PhaseKind,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl Phase {
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.starts_on <= d && d <= self.ends_on
    }
}

/// A campaign record's content (the database adds ids and bookkeeping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignDraft {
    pub name: String,
    pub issuing_office: String,
    pub doc_text: String,
    pub catalogue_version: i32,
    /// 总结报告报送截止日期.
    pub summary_due: NaiveDate,
    pub phases: Vec<Phase>,
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// Institutions review their work since this date (notice §三(一): “全面核查2019年1月以来”).
pub fn notice_institution_period_from() -> NaiveDate {
    ymd(2019, 1, 1)
}

/// The notice's campaign, as its §三 sets it out: the record a new database starts with.
pub fn notice_campaign() -> CampaignDraft {
    let phase = |kind: PhaseKind, from: NaiveDate, to: NaiveDate| Phase {
        kind,
        name: kind.label().to_string(),
        starts_on: from,
        ends_on: to,
    };
    CampaignDraft {
        name: "安全生产培训“走过场”专项整治".into(),
        issuing_office: "重庆市渝北区安全生产委员会办公室".into(),
        doc_text: NOTICE_TEXT.to_string(),
        catalogue_version: 1,
        summary_due: ymd(2022, 9, 15),
        phases: vec![
            phase(
                PhaseKind::SelfInspection,
                ymd(2021, 12, 1),
                ymd(2022, 3, 31),
            ),
            phase(PhaseKind::Enforcement, ymd(2022, 4, 1), ymd(2022, 6, 30)),
            phase(PhaseKind::Supervision, ymd(2022, 7, 1), ymd(2022, 8, 31)),
            phase(PhaseKind::Summary, ymd(2022, 9, 1), ymd(2022, 9, 30)),
        ],
    }
}

/// The phase `d` falls in, by index.
pub fn phase_on(phases: &[Phase], d: NaiveDate) -> Option<usize> {
    phases.iter().position(|p| p.contains(d))
}

/// The campaign's period: the first phase's start to the last phase's end.
pub fn span(phases: &[Phase]) -> Option<(NaiveDate, NaiveDate)> {
    let dates = || phases.iter().flat_map(|p| [p.starts_on, p.ends_on]);
    let from = dates().min()?;
    let to = dates().max()?;
    Some((from, to))
}

/// The earliest and latest dates a campaign may use (typing errors such as 2202 are caught).
fn plausible(d: NaiveDate) -> bool {
    (2000..=2100).contains(&d.year())
}

/// Checks a campaign's dates: each phase named, ending on or after its start, each starting
/// after the previous one ends (in order, no overlap), all dates plausible, and the summary
/// deadline inside the campaign's period. All problems, in Chinese, naming the phase.
pub fn validate_dates(phases: &[Phase], summary_due: NaiveDate) -> Result<(), Vec<String>> {
    let mut errs = Vec::new();
    if phases.is_empty() {
        errs.push("至少应有一个阶段".to_string());
    }
    for (i, p) in phases.iter().enumerate() {
        let at = format!("第{}阶段“{}”", i + 1, p.name.trim());
        if p.name.trim().is_empty() {
            errs.push(format!("第{}阶段：名称不能为空", i + 1));
        }
        if !plausible(p.starts_on) || !plausible(p.ends_on) {
            errs.push(format!("{at}：日期应在2000年至2100年之间"));
        }
        if p.ends_on < p.starts_on {
            errs.push(format!(
                "{at}：结束日期（{}）早于开始日期（{}）",
                p.ends_on, p.starts_on
            ));
        }
        if let Some(prev) = i.checked_sub(1).map(|j| &phases[j]) {
            if p.starts_on <= prev.ends_on {
                errs.push(format!(
                    "{at}：应在第{}阶段“{}”结束（{}）之后开始，实际开始于{}",
                    i,
                    prev.name.trim(),
                    prev.ends_on,
                    p.starts_on
                ));
            }
        }
    }
    if let Some((from, to)) = span(phases) {
        if summary_due < from || summary_due > to {
            errs.push(format!(
                "总结报告截止日期（{summary_due}）应在整治期间（{from}至{to}）之内"
            ));
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

/// `d` moved by `months` (negative: back); the last day of a month stays the last day of
/// the month (2022-02-28 + 24 months is 2024-02-29), other days are clamped to the month.
pub fn shift_date(d: NaiveDate, months: i32) -> Option<NaiveDate> {
    let m = Months::new(months.unsigned_abs());
    let shift = |x: NaiveDate| {
        if months >= 0 {
            x.checked_add_months(m)
        } else {
            x.checked_sub_months(m)
        }
    };
    let month_end = d.succ_opt().is_none_or(|n| n.month() != d.month());
    if month_end {
        let first = d.with_day(1)?;
        let next = shift(first)?.checked_add_months(Months::new(1))?;
        next.pred_opt()
    } else {
        shift(d)
    }
}

/// A campaign's phases and summary deadline moved by `months`.
pub fn shift_campaign(
    phases: &[Phase],
    summary_due: NaiveDate,
    months: i32,
) -> Option<(Vec<Phase>, NaiveDate)> {
    let phases = phases
        .iter()
        .map(|p| {
            Some(Phase {
                starts_on: shift_date(p.starts_on, months)?,
                ends_on: shift_date(p.ends_on, months)?,
                ..p.clone()
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some((phases, shift_date(summary_due, months)?))
}

/// Which campaign is current on `today`, given each one's id and period: the one whose
/// period contains today (the latest to start, if several), else the most recent one that
/// has started, else the next one to start.
pub fn pick_current(campaigns: &[(i32, NaiveDate, NaiveDate)], today: NaiveDate) -> Option<i32> {
    let running = campaigns
        .iter()
        .filter(|(_, from, to)| *from <= today && today <= *to)
        .max_by_key(|(id, from, _)| (*from, *id));
    let started = || {
        campaigns
            .iter()
            .filter(|(_, from, _)| *from <= today)
            .max_by_key(|(id, _, to)| (*to, *id))
    };
    let next = || {
        campaigns
            .iter()
            .filter(|(_, from, _)| *from > today)
            .min_by_key(|(id, from, _)| (*from, *id))
    };
    running.or_else(started).or_else(next).map(|c| c.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_holds_the_thirty_items_of_the_notice_verbatim() {
        let items = catalogue(1).expect("version 1");
        let count = |k| items.iter().filter(|i| i.kind == k).count();
        assert_eq!(count(SubjectKind::Enterprise), 10);
        assert_eq!(count(SubjectKind::TrainingInstitution), 4);
        assert_eq!(count(SubjectKind::ExamSite), 8);
        assert_eq!(count(SubjectKind::ExamInstitution), 8);
        assert_eq!(items.len(), 30);
        for it in items {
            assert!(
                NOTICE_TEXT.contains(&it.text),
                "{} is not verbatim: {}",
                it.code,
                it.text
            );
            let n: usize = it.code[1..].parse().unwrap();
            // The numbered sentence itself, so that no item drops its first words.
            assert!(
                NOTICE_TEXT.contains(&format!("{n}.{}", it.text)),
                "{} does not follow its number",
                it.code
            );
            assert!(!it.text.starts_with(|c: char| c.is_ascii_digit()));
            assert!(it.text.ends_with('。'));
            assert!(NOTICE_TEXT.contains(&it.section));
        }
        let codes: Vec<&str> = items.iter().map(|i| i.code.as_str()).collect();
        assert_eq!(codes[0], "E01");
        assert_eq!(codes[9], "E10");
        assert_eq!(codes[10], "T01");
        assert_eq!(codes[29], "X08");
        assert!(items
            .iter()
            .enumerate()
            .all(|(i, it)| it.seq == i as i32 + 1));
    }

    #[test]
    fn items_link_the_rules_the_issue_names() {
        let items = catalogue(1).unwrap();
        let rules = |code: &str| &items.iter().find(|i| i.code == code).unwrap().rules;
        for r in [
            Rule::ManagerCertMissing,
            Rule::SpecialOpNoCert,
            Rule::CertExpired,
            Rule::ReviewOverdue,
            Rule::CertNotInRegistry,
        ] {
            assert!(rules("E03").contains(&r), "E03 lacks {r:?}");
        }
        for code in ["E09", "E10"] {
            assert!(rules(code).contains(&Rule::TrainingOverlap));
            assert!(rules(code).contains(&Rule::HoursExceedDuration));
        }
        // Institutions' items link the checks on their records.
        assert!(rules("T02").contains(&Rule::ClassHoursShort));
        assert!(rules("T04").contains(&Rule::StaffConflict));
        assert!(rules("T04").contains(&Rule::PassRateAnomaly));
        assert!(rules("S06").contains(&Rule::ExamVideoMissing));
        assert!(rules("S06").contains(&Rule::ExamVideoRetention));
        assert!(rules("X02").contains(&Rule::HighRiskPaperExam));
        assert!(rules("X06").contains(&Rule::ProctorNoCredential));
        assert!(rules("X07").contains(&Rule::ProctorAbsent));
        // Online training (网络培训) is the enterprises' item E08, and the institutions that
        // run it compress hours with it (T02).
        for r in Rule::ONLINE {
            assert!(rules("E08").contains(&r), "E08 lacks {r:?}");
            assert!(rules("T02").contains(&r), "T02 lacks {r:?}");
        }
        // Each item links only checks that can find something at a subject of its kind,
        // and every records and online check is linked somewhere. The online checks' findings
        // are filed under the uploading training institution, else the employer.
        for i in items {
            for r in &i.rules {
                let fits = if r.on_online() {
                    matches!(
                        i.kind,
                        SubjectKind::Enterprise | SubjectKind::TrainingInstitution
                    )
                } else {
                    r.on_records() == (i.kind != SubjectKind::Enterprise)
                };
                assert!(fits, "{} links {r}", i.code);
            }
        }
        for r in Rule::RECORDS.into_iter().chain(Rule::ONLINE) {
            assert!(items.iter().any(|i| i.rules.contains(&r)), "{r} unlinked");
        }
        assert!(catalogue(2).is_none() && catalogue_source(2).is_none());
    }

    #[test]
    fn a_bad_catalogue_line_is_refused_with_its_line_number() {
        let head = format!("# note\n{HEADER}\n");
        let bad = |line: &str| parse_catalogue(&format!("{head}{line}\n")).unwrap_err();
        assert_eq!(
            bad("T01\tenterprise\t（一）\t\t文"),
            "第3行：编号“T01”应为E加两位数字（生产经营单位）"
        );
        assert_eq!(
            bad("E01\tfarm\t（一）\t\t文"),
            "第3行：主体类型“farm”不存在"
        );
        assert_eq!(
            bad("E01\tenterprise\t（一）\tNO_SUCH_RULE\t文"),
            "第3行：规则“NO_SUCH_RULE”不存在"
        );
        assert_eq!(
            bad("E01\tenterprise\t（一）"),
            "第3行：应有5列（以制表符分隔），实际为3列"
        );
        let dup = format!("{head}E01\tenterprise\t（一）\t\t文\nE01\tenterprise\t（一）\t\t文\n");
        assert_eq!(parse_catalogue(&dup).unwrap_err(), "第4行：编号“E01”重复");
        assert!(parse_catalogue("code,kind\n").is_err());
    }

    #[test]
    fn the_notice_campaign_is_valid_and_its_phases_cover_its_months() {
        let c = notice_campaign();
        assert_eq!(validate_dates(&c.phases, c.summary_due), Ok(()));
        assert_eq!(c.issuing_office, "重庆市渝北区安全生产委员会办公室");
        assert_eq!(c.doc_text, NOTICE_TEXT);
        let on = |s: &str| phase_on(&c.phases, s.parse().unwrap()).map(|i| c.phases[i].kind);
        assert_eq!(on("2021-11-30"), None);
        assert_eq!(on("2021-12-01"), Some(PhaseKind::SelfInspection));
        assert_eq!(on("2022-03-31"), Some(PhaseKind::SelfInspection));
        assert_eq!(on("2022-04-01"), Some(PhaseKind::Enforcement));
        assert_eq!(on("2022-08-31"), Some(PhaseKind::Supervision));
        assert_eq!(on("2022-09-15"), Some(PhaseKind::Summary));
        assert_eq!(on("2022-10-01"), None);
        assert_eq!(
            span(&c.phases),
            Some(("2021-12-01".parse().unwrap(), "2022-09-30".parse().unwrap()))
        );
    }

    fn phases(dates: &[(&str, &str)]) -> Vec<Phase> {
        dates
            .iter()
            .zip(PhaseKind::ALL)
            .map(|((a, b), k)| Phase {
                kind: k,
                name: k.label().into(),
                starts_on: a.parse().unwrap(),
                ends_on: b.parse().unwrap(),
            })
            .collect()
    }

    #[test]
    fn phases_out_of_order_overlapping_or_reversed_are_refused_in_chinese() {
        let due: NaiveDate = "2023-09-15".parse().unwrap();
        let errs = validate_dates(
            &phases(&[
                ("2022-12-01", "2023-03-31"),
                ("2023-03-15", "2023-06-30"),
                ("2023-08-31", "2023-07-01"),
            ]),
            due,
        )
        .unwrap_err();
        assert_eq!(
            errs,
            vec![
                "第2阶段“执法检查”：应在第1阶段“自查自改”结束（2023-03-31）之后开始，实际开始于2023-03-15",
                "第3阶段“考核督查”：结束日期（2023-07-01）早于开始日期（2023-08-31）",
                "总结报告截止日期（2023-09-15）应在整治期间（2022-12-01至2023-08-31）之内",
            ]
        );
        let errs = validate_dates(&phases(&[("2202-01-01", "2202-02-01")]), due).unwrap_err();
        assert!(errs[0].contains("2000年至2100年之间"), "{errs:?}");
        assert_eq!(
            validate_dates(&[], due).unwrap_err(),
            vec!["至少应有一个阶段"]
        );
        // Gaps between phases are allowed.
        assert_eq!(
            validate_dates(
                &phases(&[("2023-01-01", "2023-01-31"), ("2023-03-01", "2023-09-30")]),
                due
            ),
            Ok(())
        );
    }

    #[test]
    fn shifting_keeps_month_ends_and_validity() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(shift_date(d("2022-02-28"), 24), Some(d("2024-02-29")));
        assert_eq!(shift_date(d("2024-02-29"), 12), Some(d("2025-02-28")));
        assert_eq!(shift_date(d("2022-03-31"), 12), Some(d("2023-03-31")));
        assert_eq!(shift_date(d("2022-06-30"), 12), Some(d("2023-06-30")));
        assert_eq!(shift_date(d("2022-09-15"), 12), Some(d("2023-09-15")));
        assert_eq!(shift_date(d("2021-12-01"), -1), Some(d("2021-11-01")));
        assert_eq!(shift_date(d("2022-01-31"), 1), Some(d("2022-02-28")));
        let c = notice_campaign();
        for months in [-12, 1, 12, 48] {
            let (p, due) = shift_campaign(&c.phases, c.summary_due, months).unwrap();
            assert_eq!(validate_dates(&p, due), Ok(()), "shifted by {months}");
        }
    }

    #[test]
    fn the_current_campaign_is_running_else_the_last_started_else_the_next() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let cs = [
            (1, d("2021-12-01"), d("2022-09-30")),
            (2, d("2022-12-01"), d("2023-09-30")),
        ];
        assert_eq!(pick_current(&cs, d("2022-05-01")), Some(1));
        assert_eq!(pick_current(&cs, d("2022-11-01")), Some(1));
        assert_eq!(pick_current(&cs, d("2023-01-01")), Some(2));
        assert_eq!(pick_current(&cs, d("2030-01-01")), Some(2));
        assert_eq!(pick_current(&cs, d("2020-01-01")), Some(1));
        assert_eq!(pick_current(&[], d("2020-01-01")), None);
    }

    #[test]
    fn phase_kinds_round_trip() {
        for k in PhaseKind::ALL {
            assert_eq!(PhaseKind::from_code(k.code()), Some(k));
        }
        assert_eq!(PhaseKind::SelfInspection.label(), "自查自改");
    }
}
