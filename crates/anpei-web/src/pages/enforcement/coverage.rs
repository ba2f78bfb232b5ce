//! `GET /enforcement/coverage`: the share of subjects inspected in a campaign's enforcement
//! phase — the three categories the notice requires in full, by category and by town — and
//! the list of those still to inspect (drill-down by category and town). Each supervisor
//! sees its own subjects: the district all, a department its industries, a town its own.

use super::super::{nonempty, paging, render, Layout, Pager};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;
use anpei_store::campaign::progress;
use anpei_store::enforcement::coverage::{self, Category, Coverage, UncoveredRow, Window};
use anpei_store::Reach;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct CoverageQuery {
    pub campaign: Option<String>,
    pub category: Option<String>,
    /// The city's drill-down into one district.
    pub district: Option<String>,
    pub town: Option<String>,
    pub page: Option<crate::pages::PageParam>,
    pub per_page: Option<crate::pages::PageParam>,
}

#[derive(Template)]
#[template(path = "enforcement/coverage.html")]
struct CoveragePage {
    layout: Layout,
    window: Option<Window>,
    campaigns: Vec<anpei_store::model::Campaign>,
    c: Option<Coverage>,
    inspections: u64,
    uncovered: Vec<UncoveredRow>,
    pager: Pager,
    category: Option<Category>,
    town_name: String,
    campaign_q: String,
    /// The district the city drilled into (its id), if any.
    district_q: String,
    show_towns: bool,
    /// 全区 / 区应急管理局 / 双凤桥街道.
    unit: String,
}

impl CoveragePage {
    /// The drill-down link of a category (and the town chosen, if any).
    fn link(&self, category: Option<&Category>, town: Option<&i32>) -> String {
        let mut parts = Vec::new();
        if !self.campaign_q.is_empty() {
            parts.push(format!("campaign={}", self.campaign_q));
        }
        if !self.district_q.is_empty() {
            parts.push(format!("district={}", self.district_q));
        }
        if let Some(c) = category {
            parts.push(format!("category={}", c.code()));
        }
        if let Some(t) = town {
            parts.push(format!("town={t}"));
        }
        if parts.is_empty() {
            "/enforcement/coverage#uncovered".into()
        } else {
            format!("/enforcement/coverage?{}#uncovered", parts.join("&"))
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<CoverageQuery>,
) -> Result<Response, AppError> {
    let campaign_id = nonempty(&q.campaign).and_then(|s| s.parse::<i32>().ok());
    let home = anpei_store::campaign::home_district(&st.store, &user.scope).await?;
    let window = coverage::window(&st.store, home, campaign_id).await?;
    let category = nonempty(&q.category).and_then(|s| Category::from_code(&s));
    // The city drills into a district of its own reach; any other district is not there.
    let districts = anpei_store::registry::reference::districts(&st.store, &user.scope).await?;
    let district = match nonempty(&q.district) {
        Some(s) => Some(
            s.parse::<i32>()
                .ok()
                .and_then(|d| districts.iter().find(|x| x.id == d))
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let towns: Vec<_> = anpei_store::registry::reference::towns(&st.store, &user.scope)
        .await?
        .into_iter()
        .filter(|t| district.is_none_or(|d| t.district_id == d.id))
        .collect();
    let town_id = super::super::town_param(&q.town, &towns);
    let town_name = town_id
        .and_then(|t| towns.iter().find(|x| x.id == t))
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let (page, per_page) = paging(q.page, q.per_page);
    let (c, inspections, uncovered, total) = match &window {
        Some(w) => {
            let c =
                coverage::coverage_in(&st.store, &user.scope, district.map(|d| d.id), w.from, w.to)
                    .await?;
            let n = coverage::inspections_in_window(&st.store, &user.scope, w).await?;
            let (rows, total) = coverage::uncovered(
                &st.store,
                &user.scope,
                (w.from, w.to),
                category,
                (district.map(|d| d.id), town_id),
                page,
                per_page,
            )
            .await?;
            (Some(c), n, rows, total)
        }
        None => (None, 0, Vec::new(), 0),
    };
    let unit = match (user.scope.reach(), district) {
        (_, Some(d)) => d.name.clone(),
        (r, None) => unit_label(&st, r).await?,
    };
    let show_towns = !matches!(user.scope.reach(), Reach::Town(_))
        && c.as_ref().is_none_or(|c| c.by_district.is_empty());
    let district_q = district.map(|d| d.id.to_string()).unwrap_or_default();
    Ok(render(CoveragePage {
        layout: Layout::new(&user, "检查覆盖率", "coverage"),
        campaigns: progress::campaigns(&st.store, &user.scope).await?,
        campaign_q: campaign_id.map(|c| c.to_string()).unwrap_or_default(),
        district_q,
        pager: Pager {
            page,
            per_page,
            total,
            base_query: super::super::query_string(&[
                ("campaign", &q.campaign),
                ("district", &q.district),
                ("category", &q.category),
                ("town", &q.town),
            ]),
        },
        show_towns,
        window,
        c,
        inspections,
        uncovered,
        category,
        town_name,
        unit,
    }))
}

/// 全市 / 全区 / a department's or a town's name.
async fn unit_label(st: &AppState, r: Reach) -> Result<String, AppError> {
    Ok(match r {
        Reach::All => "全市".to_string(),
        Reach::District(_) => "全区".to_string(),
        Reach::Department(d) => {
            anpei_store::enforcement::unit_name(&st.store, Some(d), None).await?
        }
        Reach::Town(t) => anpei_store::enforcement::unit_name(&st.store, None, Some(t)).await?,
        _ => String::new(),
    })
}
