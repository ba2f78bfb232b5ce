//! 工作进度: a campaign's progress in the caller's scope (the district's whole, a town's or a
//! department's own): subjects that must self-inspect, submitted, on time; problems found,
//! rectified, overdue; by town, by department and by subject kind, with server-drawn SVG
//! bars. Every number links to the subjects or problems behind it.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{is_htmx, nonempty, paging, render, Layout, Pager};
use crate::AppState;
use anpei_core::SubjectKind;
use anpei_store::campaign::progress::{
    self, Figures, Line, ProgressFilter, SubjectLine, SubjectState,
};
use anpei_store::model::Campaign;
use anpei_store::registry::reference;
use anpei_store::Reach;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct ProgressQuery {
    pub campaign: Option<String>,
    pub district: Option<String>,
    pub town: Option<String>,
    pub department: Option<String>,
    pub kind: Option<String>,
    pub state: Option<String>,
    pub page: Option<crate::pages::PageParam>,
    pub per_page: Option<crate::pages::PageParam>,
    /// After a 催办: units reminded, and units already reminded today (numbers only).
    pub urged: Option<u64>,
    pub already: Option<u64>,
}

fn id_param(o: &Option<String>) -> Option<i32> {
    nonempty(o).map(|s| s.parse().unwrap_or(-1))
}

impl ProgressQuery {
    fn filter(&self) -> ProgressFilter {
        ProgressFilter {
            district_id: id_param(&self.district),
            town_id: id_param(&self.town),
            department_id: id_param(&self.department),
            kind: nonempty(&self.kind).and_then(|k| SubjectKind::from_code(&k)),
        }
    }
}

/// The links behind one line's numbers.
pub struct Links {
    pub must: String,
    pub submitted: String,
    pub on_time: String,
    pub not_submitted: String,
    pub problems: String,
    pub rectified: String,
    pub overdue: String,
}

/// Builds the links of a line: the page's own filter and campaign, narrowed by the line.
fn links(campaign_id: i32, base: &ProgressFilter, narrow: &ProgressFilter) -> Links {
    let district = narrow
        .district_id
        .or(base.district_id)
        .map(|v| v.to_string());
    let town = narrow.town_id.or(base.town_id).map(|v| v.to_string());
    let dep = narrow
        .department_id
        .or(base.department_id)
        .map(|v| v.to_string());
    let kind = narrow.kind.or(base.kind).map(|k| k.code().to_string());
    let q = crate::pages::query_string(&[
        ("campaign", &Some(campaign_id.to_string())),
        ("district", &district),
        ("town", &town),
        ("department", &dep),
        ("kind", &kind),
    ]);
    let subjects = |state: SubjectState| format!("/progress/subjects?{q}&state={}", state.code());
    let problems = |status: &str| {
        if status.is_empty() {
            format!("/problems?{q}")
        } else {
            format!("/problems?{q}&status={status}")
        }
    };
    Links {
        must: subjects(SubjectState::Must),
        submitted: subjects(SubjectState::Submitted),
        on_time: subjects(SubjectState::OnTime),
        not_submitted: subjects(SubjectState::NotSubmitted),
        problems: problems(""),
        rectified: problems("closed"),
        overdue: problems("overdue"),
    }
}

pub struct Row {
    pub label: String,
    /// The progress page narrowed to this line (a district's, a town's), where it has one.
    pub drill: Option<String>,
    pub f: Figures,
    pub links: Links,
}

/// A bar of a chart: the whole (light), the part done (filled) and, for problems, the part
/// overdue (red), as SVG presentation attributes (the CSP allows no inline style).
pub struct ChartBar {
    pub label: String,
    pub href: String,
    pub y: u32,
    pub whole: u32,
    pub done: u32,
    pub overdue_x: u32,
    pub overdue: u32,
    pub text: String,
}

const BAR_WIDTH: i64 = 520;

fn scale(n: i64, max: i64) -> u32 {
    (n.max(0) * BAR_WIDTH / max.max(1)) as u32
}

fn submission_chart(rows: &[Row]) -> Vec<ChartBar> {
    let max = rows.iter().map(|r| r.f.must).max().unwrap_or(0);
    rows.iter()
        .enumerate()
        .map(|(i, r)| ChartBar {
            label: r.label.clone(),
            href: r.links.not_submitted.clone(),
            y: i as u32 * 24,
            whole: scale(r.f.must, max),
            done: scale(r.f.submitted, max),
            overdue_x: 0,
            overdue: 0,
            text: format!("{}/{}（{}%）", r.f.submitted, r.f.must, r.f.submitted_pct()),
        })
        .collect()
}

fn problem_chart(rows: &[Row]) -> Vec<ChartBar> {
    let max = rows.iter().map(|r| r.f.problems).max().unwrap_or(0);
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let done = scale(r.f.rectified, max);
            ChartBar {
                label: r.label.clone(),
                href: r.links.problems.clone(),
                y: i as u32 * 24,
                whole: scale(r.f.problems, max),
                done,
                overdue_x: 120 + done,
                overdue: scale(r.f.overdue, max),
                text: format!(
                    "销号{}/{}，逾期{}",
                    r.f.rectified, r.f.problems, r.f.overdue
                ),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "campaign/progress/page.html")]
struct ProgressPage {
    layout: Layout,
    campaigns: Vec<Campaign>,
    campaign_id: i32,
    p: Option<progress::Progress>,
    total: Option<Row>,
    by_district: Vec<Row>,
    by_town: Vec<Row>,
    by_department: Vec<Row>,
    by_kind: Vec<Row>,
    chart_title: &'static str,
    submission_bars: Vec<ChartBar>,
    problem_bars: Vec<ChartBar>,
    chart_height: u32,
    narrowed_to: Option<String>,
}

fn rows(
    campaign_id: i32,
    base: &ProgressFilter,
    lines: &[Line],
    narrow: impl Fn(&Line) -> ProgressFilter,
) -> Vec<Row> {
    lines
        .iter()
        .map(|l| Row {
            label: l.label.clone(),
            drill: None,
            f: l.f,
            links: links(campaign_id, base, &narrow(l)),
        })
        .collect()
}

async fn chosen_campaign(
    st: &AppState,
    user: &CurrentUser,
    q: &ProgressQuery,
    campaigns: &[Campaign],
) -> Result<Option<i32>, AppError> {
    Ok(match id_param(&q.campaign) {
        Some(id) => Some(
            campaigns
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.id)
                .ok_or(AppError::NotFound)?,
        ),
        None => progress::current_campaign(&st.store, &user.scope)
            .await?
            .map(|c| c.id),
    })
}

/// `GET /progress`.
#[tracing::instrument(skip_all)]
pub async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ProgressQuery>,
) -> Result<Response, AppError> {
    let layout = Layout::new(&user, "工作进度", "progress");
    let campaigns = progress::campaigns(&st.store, &user.scope).await?;
    let Some(cid) = chosen_campaign(&st, &user, &q, &campaigns).await? else {
        return Ok(render(ProgressPage {
            layout,
            campaigns,
            campaign_id: 0,
            p: None,
            total: None,
            by_district: vec![],
            by_town: vec![],
            by_department: vec![],
            by_kind: vec![],
            chart_title: "",
            submission_bars: vec![],
            problem_bars: vec![],
            chart_height: 0,
            narrowed_to: None,
        }));
    };
    let base = q.filter();
    in_reach(&st, &user, &base).await?;
    let p = progress::load(&st.store, &user.scope, cid, &base).await?;
    let drill = |param: &str, rows: &mut Vec<Row>, lines: &[Line]| {
        for (r, l) in rows.iter_mut().zip(lines) {
            r.drill = Some(format!("/progress?campaign={cid}&{param}={}", l.key));
        }
    };
    let mut by_district = rows(cid, &base, &p.by_district, |l| ProgressFilter {
        district_id: l.key.parse().ok(),
        ..Default::default()
    });
    drill("district", &mut by_district, &p.by_district);
    // Over several districts, towns and departments repeat by name (each county has its
    // 城关镇 and its 区应急管理局): the city reads districts and drills down.
    let several = by_district.len() > 1;
    let mut by_town = rows(cid, &base, &p.by_town, |l| ProgressFilter {
        town_id: l.key.parse().ok(),
        ..Default::default()
    });
    if base.town_id.is_none() {
        drill("town", &mut by_town, &p.by_town);
    }
    let by_department = rows(cid, &base, &p.by_department, |l| ProgressFilter {
        department_id: l.key.parse().ok(),
        ..Default::default()
    });
    let (by_town, by_department) = if several {
        (Vec::new(), Vec::new())
    } else {
        (by_town, by_department)
    };
    let by_kind = rows(cid, &base, &p.by_kind, |l| ProgressFilter {
        kind: SubjectKind::from_code(&l.key),
        ..Default::default()
    });
    // The chart shows the finer of the dimensions the scope spans: the city's progress by
    // district, a town's by department, anyone else's by town.
    let by_department_first =
        matches!(user.scope.reach(), Reach::Town(_)) || base.town_id.is_some();
    let (chart_title, chart_rows) = if by_district.len() > 1 {
        ("按区县", &by_district)
    } else if by_department_first {
        ("按行业主管部门", &by_department)
    } else {
        ("按镇街", &by_town)
    };
    let submission_bars = submission_chart(chart_rows);
    let problem_bars = problem_chart(chart_rows);
    let narrowed_to = narrowed_label(&st, &user, &base).await?;
    // The browser tab names the district or town the page is narrowed to.
    let layout = match &narrowed_to {
        Some(n) => Layout::new(&user, format!("工作进度 · {n}"), "progress"),
        None => layout,
    };
    Ok(render(ProgressPage {
        layout,
        total: Some(Row {
            label: "合计".into(),
            drill: None,
            f: p.total,
            links: links(cid, &base, &ProgressFilter::default()),
        }),
        chart_height: submission_bars.len() as u32 * 24,
        submission_bars,
        problem_bars,
        chart_title,
        campaigns,
        campaign_id: cid,
        p: Some(p),
        by_district,
        by_town,
        by_department,
        by_kind,
        narrowed_to,
    }))
}

/// 404 for a district, town or department the caller's scope does not reach: a district's
/// account cannot even learn that another district's town has a progress page.
async fn in_reach(st: &AppState, user: &CurrentUser, f: &ProgressFilter) -> Result<(), AppError> {
    if let Some(d) = f.district_id {
        let mine = reference::districts(&st.store, &user.scope).await?;
        if !mine.iter().any(|x| x.id == d) {
            return Err(AppError::NotFound);
        }
    }
    if let Some(t) = f.town_id {
        let mine = reference::towns(&st.store, &user.scope).await?;
        if !mine.iter().any(|x| x.id == t) {
            return Err(AppError::NotFound);
        }
    }
    if let Some(d) = f.department_id {
        let mine = reference::departments(&st.store, &user.scope).await?;
        if !mine.iter().any(|(x, _)| x.id == d) {
            return Err(AppError::NotFound);
        }
    }
    Ok(())
}

/// "渝北区 · 大盛镇 · 区交通局 · 考试点": what the page is narrowed to, if anything.
async fn narrowed_label(
    st: &AppState,
    user: &CurrentUser,
    f: &ProgressFilter,
) -> Result<Option<String>, AppError> {
    let mut parts = Vec::new();
    if let Some(d) = f.district_id {
        if let Some(x) = reference::districts(&st.store, &user.scope)
            .await?
            .into_iter()
            .find(|x| x.id == d)
        {
            parts.push(x.name);
        }
    }
    if let Some(t) = f.town_id {
        if let Some(town) = reference::towns(&st.store, &user.scope)
            .await?
            .into_iter()
            .find(|x| x.id == t)
        {
            parts.push(town.name);
        }
    }
    if let Some(d) = f.department_id {
        if let Some((dep, _)) = reference::departments(&st.store, &user.scope)
            .await?
            .into_iter()
            .find(|(x, _)| x.id == d)
        {
            parts.push(dep.name);
        }
    }
    if let Some(k) = f.kind {
        parts.push(k.label().to_string());
    }
    Ok((!parts.is_empty()).then(|| parts.join(" · ")))
}

#[derive(Template)]
#[template(path = "campaign/progress/subjects.html")]
struct SubjectsPage {
    layout: Layout,
    state: SubjectState,
    states: Vec<(SubjectState, String, bool)>,
    rows: Vec<SubjectLine>,
    pager: Pager,
    back: String,
    narrowed_to: Option<String>,
    campaign_name: String,
    /// 催办 (supervisors, on the 未提交 list).
    urge: crate::pages::UrgeBox,
}

/// `GET /progress/subjects?campaign=…&town=…&department=…&kind=…&state=…`: the subjects
/// behind a number of the progress page.
#[tracing::instrument(skip_all)]
pub async fn subjects(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(q): Query<ProgressQuery>,
) -> Result<Response, AppError> {
    let campaigns = progress::campaigns(&st.store, &user.scope).await?;
    // No campaign yet: an empty list (no subject has anything to submit).
    let cid = chosen_campaign(&st, &user, &q, &campaigns).await?;
    let state = nonempty(&q.state)
        .and_then(|s| SubjectState::from_code(&s))
        .unwrap_or(SubjectState::Must);
    let f = q.filter();
    in_reach(&st, &user, &f).await?;
    let (page, per_page) = paging(q.page, q.per_page);
    let (rows, total) = match cid {
        Some(cid) => {
            progress::subjects(&st.store, &user.scope, cid, &f, state, page, per_page).await?
        }
        None => (Vec::new(), 0),
    };
    let filters = crate::pages::query_string(&[
        ("campaign", &cid.map(|c| c.to_string())),
        ("district", &q.district),
        ("town", &q.town),
        ("department", &q.department),
        ("kind", &q.kind),
    ]);
    let states = SubjectState::ALL
        .into_iter()
        .map(|s| {
            (
                s,
                format!("/progress/subjects?{filters}&state={}", s.code()),
                s == state,
            )
        })
        .collect();
    let mut res = render(SubjectsPage {
        layout: Layout::new(&user, "工作进度 · 单位明细", "progress"),
        state,
        states,
        rows,
        pager: Pager {
            page,
            per_page,
            total,
            base_query: format!("{filters}&state={}", state.code()),
        },
        back: format!("/progress?{filters}"),
        narrowed_to: narrowed_label(&st, &user, &f).await?,
        campaign_name: campaigns
            .into_iter()
            .find(|c| Some(c.id) == cid)
            .map(|c| c.name)
            .unwrap_or_default(),
        urge: crate::pages::UrgeBox {
            action: "/progress/urge",
            csrf: user.csrf.clone(),
            fields: crate::pages::UrgeBox::filters(&[
                ("campaign", &cid.map(|c| c.to_string())),
                ("town", &q.town),
                ("department", &q.department),
                ("kind", &q.kind),
            ]),
            button: (state == SubjectState::NotSubmitted
                && total > 0
                && crate::Perm::Supervise.allows(Some(user.role)))
            .then(|| format!("一键催办（{total} 家）")),
            units: "未提交自查的单位",
            result: q.urged.map(|n| (n, q.already.unwrap_or(0))),
        },
    });
    if is_htmx(&headers) {
        reselect_results(&mut res);
    }
    Ok(res)
}

/// For the shared pager's htmx requests: swap in only the page's `#results` section.
pub fn reselect_results(res: &mut Response) {
    let h = res.headers_mut();
    h.insert("hx-reselect", HeaderValue::from_static("#results"));
    h.insert("hx-reswap", HeaderValue::from_static("outerHTML"));
}

/// `POST /progress/urge`: 催办 — reminds every subject of the list's filters that has not
/// submitted its self-inspection (once a day per subject), then shows the list again with
/// how many were reminded.
#[tracing::instrument(skip_all)]
pub async fn urge(
    State(st): State<AppState>,
    user: CurrentUser,
    axum::Form(q): axum::Form<ProgressQuery>,
) -> Result<Response, AppError> {
    let campaigns = progress::campaigns(&st.store, &user.scope).await?;
    let Some(cid) = chosen_campaign(&st, &user, &q, &campaigns).await? else {
        return Err(AppError::BadRequest(
            "没有进行中的专项整治，无需催办".into(),
        ));
    };
    let u = progress::urge_not_submitted(&st.store, &user.scope, &user.actor(), cid, &q.filter())
        .await?;
    let filters = crate::pages::query_string(&[
        ("campaign", &Some(cid.to_string())),
        ("town", &q.town),
        ("department", &q.department),
        ("kind", &q.kind),
    ]);
    Ok(crate::pages::urged_redirect(
        &format!("/progress/subjects?{filters}&state=not_submitted"),
        u,
    ))
}
