//! 总结报告: a department's or town's own page (its report — submit or revise, attachments —
//! its score sheet once finalised, and the problems the supervisors found in it), and the
//! district's tracking table (on time / late / missing / not yet due).
//!
//! A unit only ever submits for itself: the unit comes from the account's scope, never from
//! the request.

use super::{campaign_choices, chosen_campaign, city_campaign, CampaignQuery};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::evidence;
use crate::pages::{render, Layout};
use crate::AppState;
use anpei_store::campaign as campaigns;
use anpei_store::campaign::supervision::summary::{
    self as sm, State as SumState, SummaryInput, Track,
};
use anpei_store::campaign::supervision::{self as sv, Unit, UnitLine};
use anpei_store::model::{EvidenceFile, SummaryReport, SupervisionProblem};
use anpei_store::StoreError;
use askama::Template;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "campaign/supervision/summary.html")]
struct SummaryPage {
    layout: Layout,
    campaigns: Vec<(i32, String)>,
    campaign_id: i32,
    campaign_name: String,
    unit_name: String,
    due: chrono::NaiveDate,
    state: SumState,
    report: Option<SummaryReport>,
    files: Vec<EvidenceFile>,
    input: SummaryInput,
    errors: Vec<(&'static str, String)>,
    /// The unit's finalised sheet.
    sheet: Option<UnitLine>,
    problems: Vec<(SupervisionProblem, &'static str)>,
    /// A district of a city: it also tracks its own towns' and departments' reports.
    oversees: bool,
}

impl SummaryPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    fn submitted_text(&self) -> String {
        self.report
            .as_ref()
            .map(|r| anpei_store::campaign::problems::china_time(r.submitted_at))
            .unwrap_or_default()
    }
}

/// The campaign as a unit reports on it: a district reports to the city by the city's
/// deadline; a town or department to its district by the district's (区县实施安排).
async fn unit_campaign(
    st: &AppState,
    user: &CurrentUser,
    unit: Unit,
    campaign: &Option<String>,
) -> Result<anpei_store::campaign::CampaignInfo, AppError> {
    match unit {
        Unit::District(_) => city_campaign(st, campaign).await,
        _ => chosen_campaign(st, user, campaign).await,
    }
}

async fn own_page(
    st: &AppState,
    user: &CurrentUser,
    unit: Unit,
    campaign: &Option<String>,
    input: Option<SummaryInput>,
    errors: Vec<(&'static str, String)>,
) -> Result<Response, AppError> {
    let c = unit_campaign(st, user, unit, campaign).await?;
    let report = sm::of_unit(&st.store, c.campaign.id, unit).await?;
    let state = sm::state_of(report.as_ref(), c.campaign.summary_due, st.store.now());
    let files = match &report {
        Some(r) => evidence::list(st, sm::EVIDENCE_OWNER, &[r.id]).await?,
        None => Vec::new(),
    };
    let (_, s) = sv::own_sheet(&st.store, &user.scope, &c)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = st.store.today();
    let sheet = s
        .line
        .sheet
        .as_ref()
        .is_some_and(|x| x.is_final())
        .then(|| s.line.clone());
    let problems = s
        .problems
        .iter()
        .map(|p| (p.clone(), sv::problem_status_label(p, today)))
        .collect();
    let input = input.unwrap_or_else(|| SummaryInput {
        title: report.as_ref().map(|r| r.title.clone()).unwrap_or_default(),
        body: report.as_ref().map(|r| r.body.clone()).unwrap_or_default(),
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut res = render(SummaryPage {
        layout: Layout::new(user, "总结报告", "summary"),
        campaigns: match unit {
            // A district reports to the city on the city's campaigns.
            Unit::District(_) => campaigns::list_in(&st.store, None)
                .await?
                .into_iter()
                .map(|c| (c.campaign.id, c.campaign.name))
                .collect(),
            _ => campaign_choices(st, user).await?,
        },
        campaign_id: c.campaign.id,
        campaign_name: c.campaign.name.clone(),
        unit_name: s.line.name.clone(),
        due: c.campaign.summary_due,
        state,
        report,
        files,
        input,
        errors,
        sheet,
        problems,
        oversees: matches!(unit, Unit::District(_)),
    });
    *res.status_mut() = status;
    Ok(res)
}

/// `GET /summary`: a department's or town's own report (in a city, a district's too); the
/// district of a one-district installation and the city go to the tracking table.
#[tracing::instrument(skip_all)]
pub async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<CampaignQuery>,
) -> Result<Response, AppError> {
    match Unit::reporting_for(&st.store, &user.scope).await? {
        Some(unit) => own_page(&st, &user, unit, &q.campaign, None, vec![]).await,
        None if user.scope.is_district_level() => Ok(Redirect::to("/summaries").into_response()),
        None => Err(AppError::NotFound),
    }
}

/// `POST /summary` (multipart: campaign, title, body, an optional file): submits or revises
/// the caller's own report and keeps the attachment.
#[tracing::instrument(skip_all)]
pub async fn submit(
    State(st): State<AppState>,
    user: CurrentUser,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let Some(unit) = Unit::reporting_for(&st.store, &user.scope).await? else {
        return Err(StoreError::Validation(
            "总结报告由各部门、镇街（多区县部署时还有各区县）报送；汇总账号请在“总结报告”汇总表中查看报送情况。".into(),
        )
        .into());
    };
    let mp = mp.map_err(|_| {
        AppError::BadRequest(
            "请以 multipart/form-data 表单提交（字段 title、body 与可选的 file）。".into(),
        )
    })?;
    let form = evidence::read_upload(mp, evidence::limits(&st).max_bytes).await?;
    let campaign = form.field("campaign").map(String::from);
    let input = SummaryInput {
        title: form.field("title").unwrap_or("").to_string(),
        body: form.field("body").unwrap_or("").to_string(),
    };
    let c = unit_campaign(&st, &user, unit, &campaign).await?;
    // The file is checked and stored first; its row comes with the report, in one
    // transaction, so a refused file saves nothing.
    let attachment = match &form.file {
        Some((name, bytes)) => match screen_and_stage(&st, name, bytes).await {
            Ok(a) => Some(a),
            Err(AppError::BadRequest(m)) => {
                return own_page(
                    &st,
                    &user,
                    unit,
                    &campaign,
                    Some(input),
                    vec![("file", format!("附件：{m}（报告未保存，请改正后重新提交）"))],
                )
                .await;
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    let submitted = sm::submit(
        &st.store,
        &user.actor(),
        &user.scope,
        &c,
        &input,
        attachment.as_ref(),
    )
    .await;
    match submitted {
        Ok(_) => {}
        Err(StoreError::Fields(errs)) => {
            return own_page(&st, &user, unit, &campaign, Some(input), errs).await
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("/summary?campaign={}", c.campaign.id)).into_response())
}

/// The upload check every upload goes through, then the evidence store.
async fn screen_and_stage(
    st: &AppState,
    name: &str,
    bytes: &[u8],
) -> Result<anpei_store::platform::evidence::Attachment, AppError> {
    crate::ingest_file::screen_evidence(st, name, bytes)?;
    evidence::stage(st, name, bytes).await
}

#[derive(Template)]
#[template(path = "campaign/supervision/tracking.html")]
struct TrackingPage {
    layout: Layout,
    campaigns: Vec<(i32, String)>,
    campaign_id: i32,
    campaign_name: String,
    due: chrono::NaiveDate,
    rows: Vec<(Track, Vec<EvidenceFile>)>,
    on_time: usize,
    late: usize,
    missing: usize,
    pending: usize,
    /// 催办 of the units without a report.
    urge: crate::pages::UrgeBox,
}

/// The tracking table's query: the campaign, and the outcome of a 催办.
#[derive(Debug, Default, serde::Deserialize)]
pub struct TrackingQuery {
    pub campaign: Option<String>,
    pub urged: Option<u64>,
    pub already: Option<u64>,
}

/// `GET /summaries`: the district's tracking table of every town and department.
#[tracing::instrument(skip_all)]
pub async fn tracking(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<TrackingQuery>,
) -> Result<Response, AppError> {
    let c = chosen_campaign(&st, &user, &q.campaign).await?;
    let track = sm::tracking(&st.store, &user.scope, &c).await?;
    let ids: Vec<i32> = track
        .iter()
        .filter_map(|t| t.report.as_ref().map(|r| r.id))
        .collect();
    let files = evidence::list(&st, sm::EVIDENCE_OWNER, &ids).await?;
    let count = |s: SumState| track.iter().filter(|t| t.state == s).count();
    let (on_time, late, missing, pending) = (
        count(SumState::OnTime),
        count(SumState::Late),
        count(SumState::Missing),
        count(SumState::Pending),
    );
    let rows = track
        .into_iter()
        .map(|t| {
            let mine = t.report.as_ref().map_or_else(Vec::new, |r| {
                files
                    .iter()
                    .filter(|f| f.owner_id == r.id)
                    .cloned()
                    .collect()
            });
            (t, mine)
        })
        .collect();
    Ok(render(TrackingPage {
        layout: Layout::new(&user, "总结报告报送情况", "summary"),
        campaigns: campaign_choices(&st, &user).await?,
        campaign_id: c.campaign.id,
        campaign_name: c.campaign.name.clone(),
        due: c.campaign.summary_due,
        rows,
        on_time,
        late,
        missing,
        pending,
        urge: crate::pages::UrgeBox {
            action: "/summaries/urge",
            csrf: user.csrf.clone(),
            fields: vec![("campaign", c.campaign.id.to_string())],
            button: (missing + pending > 0)
                .then(|| format!("一键催报（{} 个未报送单位）", missing + pending)),
            units: "未报送总结报告的单位",
            result: q.urged.map(|n| (n, q.already.unwrap_or(0))),
        },
    }))
}

/// `POST /summaries/urge`: 催办 — the district reminds every department and town that has
/// not sent its report of the campaign (once a day per unit), then shows the table with how
/// many were reminded.
pub async fn urge(
    State(st): State<AppState>,
    user: CurrentUser,
    axum::Form(q): axum::Form<CampaignQuery>,
) -> Result<Response, AppError> {
    let c = chosen_campaign(&st, &user, &q.campaign).await?;
    let u = sm::urge_missing(&st.store, &user.scope, &user.actor(), &c).await?;
    Ok(crate::pages::urged_redirect(
        &format!("/summaries?campaign={}", c.campaign.id),
        u,
    ))
}
