//! 审计日志: the audit administrator (审计管理员, 三员分立) searches the hash-chained audit log
//! and verifies the chain. Nobody else reaches these pages; the verification itself is
//! recorded in the log.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{is_htmx, query_string, render, Layout, Pager};
use crate::AppState;
use anpei_store::model::AuditEntry;
use anpei_store::platform::audit::{self, Event, Search, Verdict};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, NaiveTime};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct Filter {
    username: Option<String>,
    action: Option<String>,
    failures: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<crate::pages::PageParam>,
}

struct Row {
    id: i32,
    at: String,
    username: String,
    action: String,
    object: String,
    ok: bool,
    client: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "platform/audit.html")]
struct AuditPage {
    layout: Layout,
    rows: Vec<Row>,
    pager: Pager,
    username: String,
    action: String,
    failures: bool,
    from: String,
    to: String,
    error: Option<String>,
    verdict: Option<(bool, String)>,
}

fn day(s: &Option<String>, end: bool) -> Result<Option<i64>, String> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => {
            let d = NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| format!("日期格式应为 年-月-日：{v}"))?;
            let t = if end {
                NaiveTime::from_hms_opt(23, 59, 59)
            } else {
                NaiveTime::from_hms_opt(0, 0, 0)
            };
            Ok(t.map(|t| d.and_time(t).and_utc().timestamp()))
        }
    }
}

fn row(e: AuditEntry) -> Row {
    let at = DateTime::from_timestamp(e.at, 0)
        .map(|t| {
            t.with_timezone(&anpei_store::clock::china())
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default();
    Row {
        id: e.id,
        at,
        username: e.username,
        action: e.action,
        object: e.object,
        ok: e.result == "ok",
        client: e.client_addr,
        detail: e.detail,
    }
}

async fn render_page(
    st: &AppState,
    user: &CurrentUser,
    f: Filter,
    verdict: Option<(bool, String)>,
) -> Result<Response, AppError> {
    let (page, per_page) = (crate::pages::page_number(f.page), 50);
    let mut error = None;
    let from = day(&f.from, false).unwrap_or_else(|e| {
        error = Some(e);
        None
    });
    let to = day(&f.to, true).unwrap_or_else(|e| {
        error = Some(e);
        None
    });
    let failures = f.failures.as_deref() == Some("1");
    let q = Search {
        username: f.username.clone().unwrap_or_default(),
        action: f.action.clone().unwrap_or_default(),
        failures_only: failures,
        from,
        to,
    };
    let (rows, total) = audit::search(&st.store, &q, page, per_page).await?;
    let failures_param = failures.then(|| "1".to_string());
    let pager = Pager {
        page,
        per_page,
        total,
        base_query: query_string(&[
            ("username", &f.username),
            ("action", &f.action),
            ("failures", &failures_param),
            ("from", &f.from),
            ("to", &f.to),
        ]),
    };
    Ok(render(AuditPage {
        layout: Layout::new(user, "审计日志", "audit"),
        rows: rows.into_iter().map(row).collect(),
        pager,
        username: q.username,
        action: q.action,
        failures,
        from: f.from.unwrap_or_default(),
        to: f.to.unwrap_or_default(),
        error,
        verdict,
    }))
}

pub async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(f): Query<Filter>,
) -> Result<Response, AppError> {
    let mut res = render_page(&st, &user, f, None).await?;
    if is_htmx(&headers) {
        // The shared pager loads pages into `#results` with htmx: swap in only that
        // section of the page.
        let h = res.headers_mut();
        h.insert("hx-reselect", HeaderValue::from_static("#results"));
        h.insert("hx-reswap", HeaderValue::from_static("outerHTML"));
    }
    Ok(res)
}

/// Recomputes the whole chain and says whether it is intact or where it breaks.
pub async fn verify(State(st): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    let verdict = match audit::verify(&st.store).await? {
        Verdict::Intact { entries } => (
            true,
            format!("哈希链完整：共 {entries} 条记录，均未被篡改。"),
        ),
        Verdict::Broken { entry_id, reason } => (
            false,
            format!("哈希链在第 {entry_id} 条记录处断开：{reason}"),
        ),
    };
    let ev = Event::ok("audit.verify", "audit_log").with_detail(verdict.1.clone());
    audit::record(
        &st.store,
        &user.actor(),
        if verdict.0 { ev } else { ev.failed() },
    )
    .await?;
    render_page(&st, &user, Filter::default(), Some(verdict)).await
}
