//! 工作台: counts of the caller's scope.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{render, Layout};
use crate::AppState;
use anpei_store::registry::dashboard::{self, Count, Dashboard};
use askama::Template;
use axum::extract::State;
use axum::response::Response;

/// A horizontal bar of a chart, with its width precomputed (the CSP allows no inline style).
pub struct Bar {
    pub label: String,
    /// Drawn in red: a high-risk industry.
    pub danger: bool,
    pub n: i64,
    pub width: u32,
    pub y: u32,
}

pub fn bars(counts: &[Count], limit: usize, danger: impl Fn(&str) -> bool) -> Vec<Bar> {
    let max = counts.iter().map(|c| c.n).max().unwrap_or(0).max(1);
    counts
        .iter()
        .take(limit)
        .enumerate()
        .map(|(i, c)| Bar {
            label: c.label.clone(),
            danger: danger(&c.label),
            n: c.n,
            width: (c.n * 600 / max) as u32,
            y: i as u32 * 24,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "registry/dashboard.html")]
struct HomePage {
    layout: Layout,
    d: Option<Dashboard>,
    town_bars: Vec<Bar>,
    industry_bars: Vec<Bar>,
    town_height: u32,
    industry_height: u32,
}

pub async fn home(State(st): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    let layout = Layout::new(&user, "工作台", "home");
    if !crate::Perm::ViewBusiness.allows(Some(user.role)) {
        return Ok(render(HomePage {
            layout,
            d: None,
            town_bars: vec![],
            industry_bars: vec![],
            town_height: 0,
            industry_height: 0,
        }));
    }
    let d = dashboard::load(&st.store, &user.scope).await?;
    let town_bars = bars(&d.by_town, 30, |_| false);
    let industry_bars = bars(&d.by_industry, 20, |i| st.store.params.is_high_risk(i));
    Ok(render(HomePage {
        layout,
        town_height: town_bars.len() as u32 * 24,
        industry_height: industry_bars.len() as u32 * 24,
        town_bars,
        industry_bars,
        d: Some(d),
    }))
}
