//! 考核督查 (notice §三(三)): the district's ranking of towns and departments (in a city, the
//! city's ranking of its districts too) with a server-drawn SVG chart, the score sheet of one
//! unit (data indicators with links to what they count, the supervisors' findings, the
//! manual adjustment, 定稿), and the closing of a supervision problem. District and city
//! only (the routes' `Perm::District`). The summary reports ([`summary`]) and the bulletin
//! ([`bulletin`]) sit beside.

pub mod bulletin;
pub mod summary;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{nonempty, render, Layout};
use crate::AppState;
use anpei_store::campaign::supervision::{
    self as sv, FindingInput, SheetInput, SupervisionProblemStatus, Unit, UnitLine,
};
use anpei_store::campaign::{self as campaigns, CampaignInfo};
use anpei_store::model::SupervisionProblem;
use anpei_store::StoreError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

/// `?campaign=ID` (default: the current campaign).
#[derive(Debug, Default, Deserialize)]
pub struct CampaignQuery {
    pub campaign: Option<String>,
}

/// The city's campaign a page is about: the one asked for (an unknown id, or a district's
/// own campaign, answers 404), else the city's current one; as the city set it.
pub async fn city_campaign(st: &AppState, q: &Option<String>) -> Result<CampaignInfo, AppError> {
    let id = nonempty(q).map(|s| s.parse::<i32>().unwrap_or(-1));
    Ok(sv::campaign_or_current(&st.store, id).await?)
}

/// The campaign a page is about as the caller runs it: the one asked for among those that
/// apply to the caller (the city's, and its district's own), else its current one; a city
/// campaign on the dates of the caller's district where it set its own (区县实施安排).
pub async fn chosen_campaign(
    st: &AppState,
    user: &CurrentUser,
    q: &Option<String>,
) -> Result<CampaignInfo, AppError> {
    let id = nonempty(q).map(|s| s.parse::<i32>().unwrap_or(-1));
    let d = campaigns::home_district(&st.store, &user.scope).await?;
    let c = sv::campaign_in(&st.store, d, id).await?;
    Ok(anpei_store::campaign::district_dates::for_scope(&st.store, c, &user.scope).await?)
}

/// The campaigns for the page's selector, those the caller runs on: (id, name).
pub async fn campaign_choices(
    st: &AppState,
    user: &CurrentUser,
) -> Result<Vec<(i32, String)>, AppError> {
    let d = campaigns::home_district(&st.store, &user.scope).await?;
    Ok(campaigns::list_in(&st.store, d)
        .await?
        .into_iter()
        .map(|c| (c.campaign.id, c.campaign.name))
        .collect())
}

/// A bar of the ranking chart (SVG presentation attributes: the CSP allows no inline style).
pub struct ChartBar {
    pub label: String,
    pub href: String,
    pub y: u32,
    pub width: u32,
    pub text: String,
}

/// Pixels per point: 100 points are 500 pixels.
const PX_PER_POINT: f64 = 5.0;

fn chart(lines: &[UnitLine], campaign_id: i32) -> Vec<ChartBar> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| ChartBar {
            label: l.name.clone(),
            href: format!("{}?campaign={campaign_id}", l.unit.path()),
            y: i as u32 * 24,
            width: if l.scored {
                (l.total.max(0.0) * PX_PER_POINT).round() as u32
            } else {
                0
            },
            text: if l.scored {
                format!("{:.1}", l.total)
            } else {
                "不适用".to_string()
            },
        })
        .collect()
}

#[derive(Template)]
#[template(path = "campaign/supervision/overview.html")]
struct OverviewPage {
    layout: Layout,
    campaigns: Vec<(i32, String)>,
    campaign_id: i32,
    campaign_name: String,
    towns: Vec<UnitLine>,
    departments: Vec<UnitLine>,
    /// The city's districts (empty for a district).
    districts: Vec<UnitLine>,
    town_bars: Vec<ChartBar>,
    department_bars: Vec<ChartBar>,
    district_bars: Vec<ChartBar>,
    town_height: u32,
    department_height: u32,
    district_height: u32,
    weights: [(&'static str, f64); 5],
    min_base: i64,
}

/// The weights as the pages explain them.
pub const WEIGHTS: [(&str, f64); 5] = [
    ("自查完成率", sv::W_SELF_INSPECTION),
    ("执法检查覆盖率", sv::W_COVERAGE),
    ("问题整改率", sv::W_RECTIFIED),
    ("整改时效（逾期扣减）", sv::W_TIMELINESS),
    ("举报按期办结率", sv::W_TIPOFFS),
];

/// `GET /supervision`: the ranking and its chart.
#[tracing::instrument(skip_all)]
pub async fn overview(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<CampaignQuery>,
) -> Result<Response, AppError> {
    let c = chosen_campaign(&st, &user, &q.campaign).await?;
    let r = sv::ranking(&st.store, &user.scope, &c).await?;
    let town_bars = chart(&r.towns, c.campaign.id);
    let department_bars = chart(&r.departments, c.campaign.id);
    let district_bars = chart(&r.districts, c.campaign.id);
    Ok(render(OverviewPage {
        layout: Layout::new(&user, "考核督查", "supervision"),
        campaigns: campaign_choices(&st, &user).await?,
        campaign_id: c.campaign.id,
        campaign_name: c.campaign.name.clone(),
        town_height: town_bars.len() as u32 * 24,
        department_height: department_bars.len() as u32 * 24,
        district_height: district_bars.len() as u32 * 24,
        town_bars,
        department_bars,
        district_bars,
        towns: r.towns,
        departments: r.departments,
        districts: r.districts,
        weights: WEIGHTS,
        min_base: i64::from(st.store.params.score_min_base),
    }))
}

/// A drill-down link behind an indicator.
pub struct Drill {
    pub label: &'static str,
    pub value: String,
    /// Rounded half up; none over nothing.
    pub pct: Option<i64>,
    /// None: 不适用 (base below the minimum, or a phase not begun).
    pub points: Option<f64>,
    pub weight: f64,
    pub href: String,
}

impl Drill {
    pub fn pct_text(&self) -> String {
        self.pct
            .map_or_else(|| "—".to_string(), |p| format!("{p}%"))
    }

    pub fn points_text(&self) -> String {
        self.points
            .map_or_else(|| "不适用".to_string(), |p| format!("{p:.1}"))
    }
}

#[derive(Template)]
#[template(path = "campaign/supervision/sheet.html")]
struct SheetPage {
    layout: Layout,
    campaign_id: i32,
    campaign_name: String,
    s: sv::Sheet,
    drills: Vec<Drill>,
    problems: Vec<(SupervisionProblem, &'static str)>,
    sheet_input: SheetInput,
    finding_input: FindingInput,
    errors: Vec<(&'static str, String)>,
    today: chrono::NaiveDate,
}

impl SheetPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    fn is_final(&self) -> bool {
        self.s.line.sheet.as_ref().is_some_and(|s| s.is_final())
    }
}

fn drills(c: i32, unit: Unit, l: &UnitLine) -> Vec<Drill> {
    let filter = format!("campaign={c}&{}={}", unit.kind_code(), unit.id());
    let i = &l.ind;
    let p = &l.points;
    vec![
        Drill {
            label: "自查完成率（已提交/应自查）",
            value: format!("{}/{}", i.self_inspection.n, i.self_inspection.of),
            pct: i.self_inspection.pct(),
            points: p.self_inspection,
            weight: sv::W_SELF_INSPECTION,
            href: match unit {
                Unit::District(x) => format!("/progress?campaign={c}&district={x}"),
                _ => format!("/progress/subjects?{filter}&state=not_submitted"),
            },
        },
        Drill {
            label: "执法检查覆盖率（已检查单位/单位总数）",
            value: format!(
                "{}/{}（检查{}次）",
                i.coverage.n, i.coverage.of, i.inspections
            ),
            pct: i.coverage.pct(),
            points: p.coverage,
            weight: sv::W_COVERAGE,
            href: match unit {
                Unit::Town(t) => format!("/subjects?town={t}"),
                Unit::Department(_) => format!("/progress/subjects?{filter}&state=must"),
                Unit::District(x) => format!("/progress?campaign={c}&district={x}"),
            },
        },
        Drill {
            label: "问题整改率（已销号/发现问题）",
            value: format!("{}/{}", i.rectified.n, i.rectified.of),
            pct: i.rectified.pct(),
            points: p.rectified,
            weight: sv::W_RECTIFIED,
            href: match unit {
                Unit::District(_) => format!("/problems?campaign={c}"),
                _ => format!("/problems?{filter}"),
            },
        },
        Drill {
            label: "整改时效（逾期未整改问题扣减）",
            value: format!("逾期{}项", i.overdue),
            pct: i.timeliness().pct(),
            points: p.timeliness,
            weight: sv::W_TIMELINESS,
            href: match unit {
                Unit::District(_) => format!("/problems?campaign={c}&status=overdue"),
                _ => format!("/problems?{filter}&status=overdue"),
            },
        },
        Drill {
            label: "举报按期办结率（按期办结/已到期）",
            value: format!(
                "{}/{}（共交办{}件）",
                i.tipoffs.n, i.tipoffs.of, i.tipoffs_assigned
            ),
            pct: i.tipoffs.pct(),
            points: p.tipoffs,
            weight: sv::W_TIPOFFS,
            href: "/tipoffs".into(),
        },
    ]
}

async fn sheet_page(
    st: &AppState,
    user: &CurrentUser,
    c: &CampaignInfo,
    unit: Unit,
    sheet_input: Option<SheetInput>,
    finding_input: FindingInput,
    errors: Vec<(&'static str, String)>,
) -> Result<Response, AppError> {
    let s = sv::sheet(&st.store, &user.scope, c, unit).await?;
    let today = st.store.today();
    let sheet_input = sheet_input.unwrap_or_else(|| SheetInput {
        manual: s
            .line
            .sheet
            .as_ref()
            .map(|x| format!("{}", x.manual))
            .unwrap_or_default(),
        reason: s
            .line
            .sheet
            .as_ref()
            .map(|x| x.reason.clone())
            .unwrap_or_default(),
        finalise: String::new(),
    });
    let problems = s
        .problems
        .iter()
        .map(|p| (p.clone(), sv::problem_status_label(p, today)))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut res = render(SheetPage {
        layout: Layout::new(user, format!("考核评分表 · {}", s.line.name), "supervision"),
        campaign_id: c.campaign.id,
        campaign_name: c.campaign.name.clone(),
        drills: drills(c.campaign.id, unit, &s.line),
        problems,
        s,
        sheet_input,
        finding_input,
        errors,
        today,
    });
    *res.status_mut() = status;
    Ok(res)
}

fn unit_of(kind: &str, id: i32) -> Result<Unit, AppError> {
    match kind {
        "towns" => Ok(Unit::Town(id)),
        "departments" => Ok(Unit::Department(id)),
        "districts" => Ok(Unit::District(id)),
        _ => Err(AppError::NotFound),
    }
}

/// `GET /supervision/towns/{id}`.
pub async fn town_sheet(
    st: State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    q: Query<CampaignQuery>,
) -> Result<Response, AppError> {
    show(st, user, "towns", id, q).await
}

/// `GET /supervision/departments/{id}`.
pub async fn department_sheet(
    st: State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    q: Query<CampaignQuery>,
) -> Result<Response, AppError> {
    show(st, user, "departments", id, q).await
}

/// `GET /supervision/districts/{id}`: the city's sheet of a district.
pub async fn district_sheet(
    st: State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    q: Query<CampaignQuery>,
) -> Result<Response, AppError> {
    show(st, user, "districts", id, q).await
}

#[tracing::instrument(skip_all)]
async fn show(
    State(st): State<AppState>,
    user: CurrentUser,
    kind: &str,
    id: i32,
    Query(q): Query<CampaignQuery>,
) -> Result<Response, AppError> {
    let unit = unit_of(kind, id)?;
    let c = chosen_campaign(&st, &user, &q.campaign).await?;
    sheet_page(&st, &user, &c, unit, None, FindingInput::default(), vec![]).await
}

/// The sheet form: the adjustment and 定稿, with the campaign.
#[derive(Debug, Default, Deserialize)]
pub struct SheetForm {
    #[serde(default)]
    pub campaign: Option<String>,
    #[serde(default)]
    pub manual: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub finalise: String,
}

/// `POST /supervision/towns/{id}`.
pub async fn save_town(
    st: State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    f: Form<SheetForm>,
) -> Result<Response, AppError> {
    save(st, user, Unit::Town(id), f).await
}

/// `POST /supervision/departments/{id}`.
pub async fn save_department(
    st: State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    f: Form<SheetForm>,
) -> Result<Response, AppError> {
    save(st, user, Unit::Department(id), f).await
}

/// `POST /supervision/districts/{id}`.
pub async fn save_district(
    st: State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    f: Form<SheetForm>,
) -> Result<Response, AppError> {
    save(st, user, Unit::District(id), f).await
}

#[tracing::instrument(skip_all)]
async fn save(
    State(st): State<AppState>,
    user: CurrentUser,
    unit: Unit,
    Form(f): Form<SheetForm>,
) -> Result<Response, AppError> {
    let c = chosen_campaign(&st, &user, &f.campaign).await?;
    let input = SheetInput {
        manual: f.manual,
        reason: f.reason,
        finalise: f.finalise,
    };
    match sv::save_sheet(&st.store, &user.scope, &user.actor(), &c, unit, &input).await {
        Ok(_) => Ok(
            Redirect::to(&format!("{}?campaign={}", unit.path(), c.campaign.id)).into_response(),
        ),
        Err(StoreError::Fields(errs)) => {
            sheet_page(
                &st,
                &user,
                &c,
                unit,
                Some(input),
                FindingInput::default(),
                errs,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// A finding as the form sends it, with the campaign.
#[derive(Debug, Default, Deserialize)]
pub struct FindingForm {
    #[serde(default)]
    pub campaign: Option<String>,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub measures: String,
    #[serde(default)]
    pub deadline: String,
}

/// `POST /supervision/towns/{id}/findings`.
pub async fn finding_town(
    st: State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    f: Form<FindingForm>,
) -> Result<Response, AppError> {
    finding(st, user, Unit::Town(id), f).await
}

/// `POST /supervision/departments/{id}/findings`.
pub async fn finding_department(
    st: State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    f: Form<FindingForm>,
) -> Result<Response, AppError> {
    finding(st, user, Unit::Department(id), f).await
}

/// `POST /supervision/districts/{id}/findings`.
pub async fn finding_district(
    st: State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    f: Form<FindingForm>,
) -> Result<Response, AppError> {
    finding(st, user, Unit::District(id), f).await
}

#[tracing::instrument(skip_all)]
async fn finding(
    State(st): State<AppState>,
    user: CurrentUser,
    unit: Unit,
    Form(f): Form<FindingForm>,
) -> Result<Response, AppError> {
    let c = chosen_campaign(&st, &user, &f.campaign).await?;
    let input = FindingInput {
        text: f.text,
        measures: f.measures,
        deadline: f.deadline,
    };
    match sv::add_finding(&st.store, &user.scope, &user.actor(), &c, unit, &input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "{}?campaign={}#findings",
            unit.path(),
            c.campaign.id
        ))
        .into_response()),
        Err(StoreError::Fields(errs)) => sheet_page(&st, &user, &c, unit, None, input, errs).await,
        Err(e) => Err(e.into()),
    }
}

/// The closing note.
#[derive(Debug, Default, Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    pub note: String,
}

/// `POST /supervision/problems/{id}/close`: 销号 of a supervision problem.
#[tracing::instrument(skip_all)]
pub async fn close_problem(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(f): Form<CloseForm>,
) -> Result<Response, AppError> {
    let p = sv::problem(&st.store, &user.scope, id).await?;
    let unit = sv::close_problem(&st.store, &user.scope, &user.actor(), id, &f.note).await?;
    Ok(Redirect::to(&format!(
        "{}?campaign={}#findings",
        unit.path(),
        p.campaign_id
    ))
    .into_response())
}
