//! 通报: the district's bulletin on a campaign (notice §三(四)), as a page and as a Word
//! document with the same content. Every figure comes from `anpei_store::campaign::supervision::
//! bulletin` (queries); the text around them is fixed wording. The document is an export:
//! audited.
//!
//! The document is a 文件 of the issuing office as official documents are laid out: the red
//! mark (`{issuing office}文件`), the 发文字号 typed on the page when the bulletin is
//! downloaded (numbers are given out by the office's secretariat one document at a time, so
//! it is asked for each time rather than configured), the red line, the title, the addressees
//! of the campaign's notice, and the office with the date as 落款, ready to be stamped.

use super::{campaign_choices, chosen_campaign, CampaignQuery};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{render, Layout};
use crate::AppState;
use anpei_import::docx::{chinese_date, chinese_numeral, Docx};
use anpei_store::campaign::supervision::bulletin::{self as bl, Bulletin};
use anpei_store::campaign::supervision::{Ratio, UnitLine};

/// A share as the bulletin writes it: `43%`, or 不适用 when there was nothing to count.
fn pct(r: &Ratio) -> String {
    r.pct()
        .map_or_else(|| "不适用".to_string(), |p| format!("{p}%"))
}
use anpei_store::platform::audit::{self, Event};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

/// The bulletin's title.
pub const TITLE: &str = "关于安全生产培训“走过场”专项整治工作情况的通报";

/// The title as the document sets it: broken between words, the longer line first.
const TITLE_LINES: &str = "关于安全生产培训“走过场”专项整治\n工作情况的通报";

/// The addressees of the city's bulletin to its districts.
const CITY_RECIPIENTS: &str = "各区县安委会，市安委会成员单位，有关单位：";

/// The addressees when the campaign's notice names none.
const DEFAULT_RECIPIENTS: &str = "各镇人民政府，区安委会成员单位，各街道办事处，有关单位：";

/// The addressees (主送机关) of the campaign's notice: its first short line ending with
/// “：” before the text begins (`各镇人民政府，区安委会成员单位，…：`); the bulletin goes to
/// the same units.
pub fn recipients(doc_text: &str) -> String {
    doc_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take_while(|l| l.chars().count() <= 60)
        .find(|l| l.ends_with('：') && l.contains(['，', '、']))
        .map_or_else(|| DEFAULT_RECIPIENTS.to_string(), str::to_string)
}

/// The longest 发文字号 accepted (a real one is about a dozen characters).
const DOC_NUMBER_MAX: usize = 40;

/// A 发文字号 as typed, written the way the standard wants it: the year in 〔〕 whatever
/// brackets were typed (`[2022]`, `（2022）`, `【2022】`), no 第 before the serial number and
/// no leading zeros in it (`第012号` is `12号`). Empty is allowed (written in later by hand);
/// control characters and more than 40 characters are refused.
pub fn doc_number(typed: &str) -> Result<String, String> {
    let t = typed.trim();
    if t.chars().count() > DOC_NUMBER_MAX {
        return Err(format!("发文字号不能超过{DOC_NUMBER_MAX}个字"));
    }
    if t.chars().any(char::is_control) {
        return Err("发文字号不能含有控制字符".into());
    }
    let mut out = String::new();
    let chars: Vec<char> = t.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // A year in any kind of brackets.
        if matches!(c, '[' | '(' | '（' | '【' | '［' | '〔' | '{')
            && i + 5 < chars.len()
            && chars[i + 1..i + 5].iter().all(char::is_ascii_digit)
            && matches!(chars[i + 5], ']' | ')' | '）' | '】' | '］' | '〕' | '}')
        {
            out.push('〔');
            out.extend(&chars[i + 1..i + 5]);
            out.push('〕');
            i += 6;
            // The serial number: 第 and leading zeros dropped.
            if chars.get(i) == Some(&'第') {
                i += 1;
            }
            while chars.get(i) == Some(&'0') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
                i += 1;
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    Ok(out)
}

/// Yuan as 元 with thousands separators: `1,234,500元`.
pub fn yuan(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{}{out}元", if n < 0 { "-" } else { "" })
}

/// The paragraphs of the bulletin's body, in order (page and document alike).
pub struct Text {
    /// 主送机关.
    pub recipients: String,
    pub intro: String,
    pub subjects: String,
    pub self_inspection: String,
    pub enforcement: String,
    pub actions: String,
    pub tipoffs: String,
    pub summaries: String,
    pub closing: Vec<String>,
    /// The headings of the two tables of units: towns and departments, or for the city
    /// districts and city departments.
    pub first_heading: &'static str,
    pub second_heading: &'static str,
}

/// Whether the bulletin is the city's, over its districts.
fn is_city(b: &Bulletin) -> bool {
    !b.districts.is_empty()
}

/// The units of the bulletin's first table: the districts for the city, else the towns.
pub fn first_lines(b: &Bulletin) -> &[UnitLine] {
    if is_city(b) {
        &b.districts
    } else {
        &b.towns
    }
}

impl Text {
    pub fn of(b: &Bulletin) -> Text {
        let kinds: Vec<String> = b
            .subjects_by_kind
            .iter()
            .map(|(label, n)| format!("{label}{n}家"))
            .collect();
        let a = &b.actions;
        let t = &b.tipoffs;
        let (from, to) = b.period;
        let city = is_city(b);
        let area = if city { "全市" } else { "全区" };
        Text {
            recipients: if city {
                CITY_RECIPIENTS.to_string()
            } else {
                recipients(&b.campaign.campaign.doc_text)
            },
            intro: format!(
                "按照《{}》部署，{}至{}，{}围绕生产经营单位、安全培训机构、考试点和考试机构等4类主体开展专项整治。截至{}，工作情况通报如下。",
                b.campaign.campaign.name,
                chinese_date(from),
                chinese_date(to),
                if city {
                    "全市各区县和市安委会成员单位"
                } else {
                    "全区各区安委会成员单位和镇街"
                },
                chinese_date(b.as_of)
            ),
            subjects: format!(
                "{area}纳入专项整治的监管对象共{}家，其中{}。",
                b.subjects,
                kinds.join("、")
            ),
            self_inspection: format!(
                "自查自改阶段，应开展自查的单位{}家，已提交自查{}家，自查完成率{}；共发现问题{}项，已整改销号{}项，整改率{}，逾期未整改{}项。",
                b.self_inspection.of,
                b.self_inspection.n,
                pct(&b.self_inspection),
                b.problems.of,
                b.problems.n,
                pct(&b.problems),
                b.overdue
            ),
            enforcement: if anpei_store::campaign::supervision::enforcement_started(
                &b.campaign,
                b.as_of,
            ) {
                format!(
                    "执法检查阶段，共开展执法检查{}次，检查单位{}家，覆盖率{}。",
                    b.inspections,
                    b.coverage.n,
                    pct(&b.coverage)
                )
            } else {
                "执法检查阶段尚未开始。".to_string()
            },
            actions: format!(
                "共作出罚款决定{}件，罚款金额合计{}；责令限期整改{}件，警告{}件，责令停产停业整顿{}件；移送市场监管部门{}件，移交司法机关{}件；暂停考试资格{}家，取消考试资格{}家；曝光典型案例{}件。",
                a.fines,
                yuan(a.fines_total),
                a.order_rectify,
                a.warnings,
                a.suspend_business,
                a.refer_market,
                a.refer_judicial,
                a.suspend_exam,
                a.cancel_exam,
                b.cases.len()
            ),
            tipoffs: format!(
                "共受理举报{}件，已办结{}件，其中按期办结{}件，经核查属实{}件。",
                t.received, t.closed, t.closed_on_time, t.substantiated
            ),
            summaries: format!(
                "总结报告应于{}前报送。{area}{}个{}中，按时报送{}个，逾期报送{}个，逾期未报送{}个{}。",
                chinese_date(b.campaign.campaign.summary_due),
                b.on_time + b.late.len() + b.missing.len() + b.pending,
                if city { "区县和市级部门" } else { "部门和镇街" },
                b.on_time,
                b.late.len(),
                b.missing.len(),
                if b.pending > 0 {
                    format!("，尚未到期未报送{}个", b.pending)
                } else {
                    String::new()
                }
            ),
            closing: vec![
                "各单位要对照本通报反映的问题，举一反三，逐项抓好整改落实；逾期报送或未报送总结报告的单位要立即补报，并说明原因。".into(),
                format!("{}要以此次专项整治为契机，进一步健全安全培训考试制度体系，强化基础建设，建立长效机制，着力提升培训质量，规范考试管理，推动{area}安全教育培训工作高质量发展。", if city { "各区县和市安委会成员单位" } else { "各区安委会成员单位和镇街" }),
            ],
            first_heading: if city {
                "二、各区县工作情况"
            } else {
                "二、各镇街工作情况"
            },
            second_heading: if city {
                "三、市级部门工作情况"
            } else {
                "三、各部门工作情况"
            },
        }
    }
}

const UNIT_HEADERS: [&str; 9] = [
    "排名",
    "单位",
    "自查完成",
    "检查覆盖",
    "发现问题",
    "已销号",
    "逾期",
    "举报按期办结",
    "考核得分",
];

fn unit_rows(lines: &[UnitLine]) -> Vec<Vec<String>> {
    lines
        .iter()
        .map(|l| {
            let i = &l.ind;
            vec![
                if l.scored {
                    l.rank.to_string()
                } else {
                    "—".to_string()
                },
                l.name.clone(),
                format!("{}/{}", i.self_inspection.n, i.self_inspection.of),
                format!("{}/{}", i.coverage.n, i.coverage.of),
                i.rectified.of.to_string(),
                i.rectified.n.to_string(),
                i.overdue.to_string(),
                format!("{}/{}", i.tipoffs.n, i.tipoffs.of),
                format!("{:.1}", l.total),
            ]
        })
        .collect()
}

/// The bulletin as a Word document (a 文件 of the issuing office numbered `doc_number`,
/// which may be empty).
pub fn to_docx(
    b: &Bulletin,
    t: &Text,
    doc_number: &str,
) -> Result<Vec<u8>, anpei_import::ImportError> {
    let office = &b.campaign.campaign.issuing_office;
    let mut d = Docx::new();
    d.issuer_head(&format!("{office}文件"), doc_number)
        .title(TITLE_LINES)
        .recipients(&t.recipients)
        .para(&t.intro)
        .heading("一、总体情况")
        .para(&t.subjects)
        .para(&t.self_inspection)
        .para(&t.enforcement)
        .para(&t.actions)
        .para(&t.tipoffs)
        .heading(t.first_heading)
        .table(&UNIT_HEADERS, &unit_rows(first_lines(b)))
        .heading(t.second_heading)
        .table(&UNIT_HEADERS, &unit_rows(&b.departments))
        .heading("四、总结报告报送情况")
        .para(&t.summaries);
    let rows: Vec<Vec<String>> = b
        .late
        .iter()
        .chain(b.missing.iter())
        .map(|x| {
            vec![
                x.unit.kind_label().to_string(),
                x.name.clone(),
                x.state.label().to_string(),
                x.submitted_text(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        d.table(&["类别", "单位", "报送情况", "报送时间"], &rows);
    }
    d.heading("五、典型案例");
    if b.cases.is_empty() {
        d.para("本期无公开曝光的典型案例。");
    }
    for (n, c) in b.cases.iter().enumerate() {
        d.subheading(&format!("（{}）{}", chinese_numeral(n + 1), c.title))
            .para(&c.body);
    }
    d.heading("六、下一步工作要求");
    for p in &t.closing {
        d.para(p);
    }
    d.closing(office, &chinese_date(b.as_of));
    d.to_bytes()
}

/// `?campaign=ID&doc_number=…` of the document.
#[derive(Debug, Default, Deserialize)]
pub struct DocxQuery {
    pub campaign: Option<String>,
    pub doc_number: Option<String>,
}

#[derive(Template)]
#[template(path = "campaign/supervision/bulletin.html")]
struct BulletinPage {
    layout: Layout,
    campaigns: Vec<(i32, String)>,
    campaign_id: i32,
    title: &'static str,
    b: Bulletin,
    t: Text,
    unit_headers: [&'static str; 9],
}

/// `GET /bulletin`.
#[tracing::instrument(skip_all)]
pub async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<CampaignQuery>,
) -> Result<Response, AppError> {
    let c = chosen_campaign(&st, &user, &q.campaign).await?;
    let b = bl::load(&st.store, &user.scope, &c).await?;
    let t = Text::of(&b);
    Ok(render(BulletinPage {
        layout: Layout::new(&user, "通报", "bulletin"),
        campaigns: campaign_choices(&st, &user).await?,
        campaign_id: c.campaign.id,
        title: TITLE,
        b,
        t,
        unit_headers: UNIT_HEADERS,
    }))
}

/// `GET /bulletin.docx[?campaign=ID&doc_number=…]`: the Word document numbered as typed
/// on the page, as an attachment; audited as an export with its number.
#[tracing::instrument(skip_all)]
pub async fn docx(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<DocxQuery>,
) -> Result<Response, AppError> {
    let number = doc_number(q.doc_number.as_deref().unwrap_or("")).map_err(AppError::BadRequest)?;
    let c = chosen_campaign(&st, &user, &q.campaign).await?;
    let id = c.campaign.id;
    let b = bl::load(&st.store, &user.scope, &c).await?;
    let written = number.clone();
    let bytes = tokio::task::spawn_blocking(move || to_docx(&b, &Text::of(&b), &written))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    audit::record(
        &st.store,
        &user.actor(),
        Event::ok("export.bulletin", format!("campaign:{id}")).with_detail(format!(
            "{} bytes 发文字号={}",
            bytes.len(),
            if number.is_empty() {
                "（空）"
            } else {
                &number
            }
        )),
    )
    .await?;
    Ok(crate::evidence::docx_download(
        &format!("{TITLE}.docx"),
        &format!("bulletin-{id}.docx"),
        bytes,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn yuan_groups_thousands() {
        assert_eq!(super::yuan(0), "0元");
        assert_eq!(super::yuan(1_234_500), "1,234,500元");
        assert_eq!(super::yuan(999), "999元");
    }

    #[test]
    fn a_document_number_is_written_as_the_standard_wants() {
        let n = |s: &str| super::doc_number(s).unwrap();
        assert_eq!(n(" 渝北安办〔2022〕12号 "), "渝北安办〔2022〕12号");
        assert_eq!(n("渝北安办[2022]12号"), "渝北安办〔2022〕12号");
        assert_eq!(n("渝北安办（2022）第012号"), "渝北安办〔2022〕12号");
        assert_eq!(n("渝北安办【2022】0号"), "渝北安办〔2022〕0号");
        assert_eq!(n(""), "");
        assert!(super::doc_number(&"号".repeat(41)).is_err());
        assert!(super::doc_number("渝北\u{7}安办").is_err());
    }

    #[test]
    fn the_addressees_are_the_notices() {
        assert_eq!(
            super::recipients(anpei_core::campaign::NOTICE_TEXT),
            "各镇人民政府，区安委会成员单位，各街道办事处，有关单位："
        );
        assert_eq!(
            super::recipients("一段很长的正文，没有主送机关。"),
            super::DEFAULT_RECIPIENTS
        );
    }
}
