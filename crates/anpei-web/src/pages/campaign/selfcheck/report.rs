//! The 自查报告 of a self-inspection: a printable page and a Word document (docx) with the
//! same content — the subject, the campaign, the period covered and the date, each item with
//! its answer and explanation, the problem list (序号 / 问题描述 / 整改措施 / 整改时限 / 责任人 /
//! 电话, masked) and the signature block.
//!
//! The Word document is the one the subject signs, stamps and files: laid out as official
//! documents are (page, fonts, page numbers) but as a company's report, without a
//! government's red 版头; it ends with the signatures and the subject's name and the
//! submission date as 落款 for its stamp. The subject downloading its own report gets its
//! responsible persons' phones in full (its own data, needed on the filed copy); anybody
//! else, and the printable page, the masked copies.

use super::load;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{render, Layout};
use crate::AppState;
use anpei_import::docx::{chinese_date, Align, Docx};
use anpei_store::campaign::selfcheck::{self, Loaded};
use anpei_store::platform::audit::{self, Event};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use std::collections::HashMap;

/// The signature block's labels.
pub const SIGNATURES: [&str; 4] = ["单位负责人（签字）", "填报人", "日期", "单位（盖章）"];

/// The Word document's signatures: the date and the stamp are its 落款.
const DOCX_SIGNATURES: [&str; 2] = ["单位负责人（签字）", "填报人"];

/// The 落款 date of a report not yet submitted: blanks to write the date in by hand.
const BLANK_DATE: &str = "　　年　　月　　日";

/// One item of the report.
pub struct ReportItem {
    pub code: String,
    pub text: String,
    pub answer: &'static str,
    pub explanation: String,
}

/// One row of the problem list.
pub struct ReportProblem {
    pub seq: usize,
    pub description: String,
    pub measures: String,
    pub deadline: String,
    pub responsible: String,
    pub phone: String,
}

/// What both forms of the report say.
pub struct Report {
    pub title: String,
    pub subject_name: String,
    pub uscc: String,
    pub kind: &'static str,
    pub town: String,
    pub campaign: String,
    pub period: String,
    pub date: String,
    pub status: &'static str,
    pub submitted: bool,
    /// The submission date for the 落款 (`2022年3月15日`), when submitted.
    pub signed_on: Option<String>,
    pub summary: String,
    pub items: Vec<ReportItem>,
    pub problems: Vec<ReportProblem>,
}

impl Report {
    /// The report of `l`; `phones` are the responsible persons' phones in full by item code
    /// (the subject's own download), else the masked copies are shown.
    pub fn of(l: &Loaded, phones: Option<&HashMap<String, String>>) -> Report {
        let items: Vec<ReportItem> = l
            .items
            .iter()
            .map(|i| {
                let a = l.answer(&i.code);
                ReportItem {
                    code: i.code.clone(),
                    text: i.text.clone(),
                    // The report states the finding: 存在问题 rather than the form's 存在.
                    answer: match a.map_or("", |a| a.answer.as_str()) {
                        selfcheck::NONCOMPLIANT => "存在问题",
                        code => selfcheck::answer_label(code),
                    },
                    explanation: a.map(|a| a.explanation.clone()).unwrap_or_default(),
                }
            })
            .collect();
        let count = |code: &str| {
            l.items
                .iter()
                .filter(|i| l.answer(&i.code).is_some_and(|a| a.answer == code))
                .count()
        };
        let problems = l
            .noncompliant()
            .into_iter()
            .enumerate()
            .map(|(n, (item, a))| ReportProblem {
                seq: n + 1,
                description: a.explanation.clone(),
                measures: a.measures.clone().unwrap_or_default(),
                deadline: a.deadline.map(|d| d.to_string()).unwrap_or_default(),
                responsible: a.responsible_name.clone().unwrap_or_default(),
                phone: phones
                    .and_then(|p| p.get(&item.code).cloned())
                    .or_else(|| a.responsible_phone_masked.clone())
                    .unwrap_or_default(),
            })
            .collect();
        let submitted = l.si.status == selfcheck::SelfcheckStatus::Submitted;
        let signed_on =
            l.si.submitted_at
                .filter(|_| submitted)
                .and_then(anpei_store::clock::china_date)
                .map(chinese_date);
        let date = signed_on.clone().unwrap_or_else(|| "（未提交）".into());
        // What the subject states it reviewed, else the campaign's self-inspection phase.
        let period = match (l.si.period_from, l.si.period_to) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => l.self_inspection_phase(),
        };
        Report {
            title: format!("{}自查报告", l.subject.name),
            subject_name: l.subject.name.clone(),
            uscc: l.subject.uscc.clone(),
            kind: l.kind.label(),
            town: l.town.clone(),
            campaign: l.campaign.campaign.name.clone(),
            period: period.map_or_else(
                || "—".into(),
                |(a, b)| format!("{}至{}", chinese_date(a), chinese_date(b)),
            ),
            date,
            status: l.si.status.label(),
            submitted,
            signed_on,
            summary: format!(
                "对照专项整治重点内容共自查{}项：不存在问题{}项，存在问题{}项，不适用{}项。",
                l.items.len(),
                count(selfcheck::COMPLIANT),
                count(selfcheck::NONCOMPLIANT),
                count(selfcheck::NOT_APPLICABLE)
            ),
            items,
            problems,
        }
    }

    /// The report as a Word document.
    pub fn to_docx(&self) -> Result<Vec<u8>, anpei_import::ImportError> {
        let mut d = Docx::new();
        d.title("安全生产培训自查报告").subtitle(&self.campaign);
        if !self.submitted {
            d.para_aligned(&format!("（{}，尚未提交）", self.status), Align::Center);
        }
        d.field("单位名称", &self.subject_name)
            .field("统一社会信用代码", &self.uscc)
            .field("主体类型", self.kind)
            .field("所属镇街", &self.town)
            .field("自查期间", &self.period)
            .field("提交日期", &self.date)
            .heading("一、自查情况")
            .para(&self.summary);
        let rows: Vec<Vec<String>> = self
            .items
            .iter()
            .map(|i| {
                vec![
                    i.code.clone(),
                    i.text.clone(),
                    i.answer.to_string(),
                    i.explanation.clone(),
                ]
            })
            .collect();
        d.table(&["编号", "检查内容", "自查结论", "情况说明"], &rows)
            .heading("二、问题清单");
        if self.problems.is_empty() {
            d.para("本次自查未发现存在问题的项目。");
        } else {
            let rows: Vec<Vec<String>> = self
                .problems
                .iter()
                .map(|p| {
                    vec![
                        p.seq.to_string(),
                        p.description.clone(),
                        p.measures.clone(),
                        p.deadline.clone(),
                        p.responsible.clone(),
                        p.phone.clone(),
                    ]
                })
                .collect();
            d.table(
                &["序号", "问题描述", "整改措施", "整改时限", "责任人", "电话"],
                &rows,
            );
        }
        d.signature_block(&DOCX_SIGNATURES).closing(
            &self.subject_name,
            self.signed_on.as_deref().unwrap_or(BLANK_DATE),
        );
        d.to_bytes()
    }
}

#[derive(Template)]
#[template(path = "campaign/selfcheck/report.html")]
struct ReportPage {
    layout: Layout,
    id: i32,
    r: Report,
    signatures: [&'static str; 4],
}

/// `GET /selfcheck/{id}/report`: the printable page.
#[tracing::instrument(skip_all)]
pub async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let l = load(&st, &user, id).await?;
    let r = Report::of(&l, None);
    Ok(render(ReportPage {
        layout: Layout::new(&user, r.title.clone(), "selfcheck"),
        id,
        r,
        signatures: SIGNATURES,
    }))
}

/// `GET /selfcheck/{id}/report.docx`: the Word document, as an attachment (phones in full
/// for the subject itself); audited, saying whether the phones were in full.
#[tracing::instrument(skip_all)]
pub async fn docx(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let l = load(&st, &user, id).await?;
    let phones = l.own_phones(&st.store, &user.scope)?;
    let detail = if phones.is_some() {
        "电话完整（本单位）"
    } else {
        "电话脱敏"
    };
    let r = Report::of(&l, phones.as_ref());
    let bytes = tokio::task::spawn_blocking(move || r.to_docx().map(|b| (b, r.title)))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    let (bytes, title) = bytes;
    audit::record(
        &st.store,
        &user.actor(),
        Event::ok("export.selfcheck_report", format!("self_inspection:{id}")).with_detail(detail),
    )
    .await?;
    Ok(crate::evidence::docx_download(
        &format!("{title}.docx"),
        &format!("self-inspection-{id}.docx"),
        bytes,
    ))
}
