//! 问题线索: the rule engine's findings in the caller's scope, with filters, counts by rule
//! and by town, an xlsx export, a finding's own page with the records that caused it, the
//! rule catalogue, and re-scans (district-wide or one subject).

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::registry::dashboard::{bars, Bar};
use crate::pages::{is_htmx, paging, render, Layout, Pager, Show};
use crate::AppState;
use anpei_core::ledger::rules::Rule;
use anpei_store::ledger::findings;
use anpei_store::ledger::findings::{FindingFilter, FindingRow};
use anpei_store::model::Town;
use anpei_store::registry::dashboard::Count;
use anpei_store::registry::persons::{CertificateRow, TrainingRow};
use anpei_store::{registry::reference, registry::subjects};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct FindingQuery {
    pub rule: Option<String>,
    pub town: Option<String>,
    pub industry: Option<String>,
    pub subject_id: Option<i32>,
    pub status: Option<String>,
    pub page: Option<crate::pages::PageParam>,
    pub per_page: Option<crate::pages::PageParam>,
}

impl FindingQuery {
    pub fn filter(&self, towns: &[Town]) -> FindingFilter {
        use crate::pages::nonempty;
        FindingFilter {
            rule: nonempty(&self.rule).map(|r| Rule::from_code(&r).unwrap_or(Rule::ALL[0])),
            town_id: crate::pages::town_param(&self.town, towns),
            industry: nonempty(&self.industry),
            subject_id: self.subject_id,
            // Open findings unless asked otherwise; "all" shows both.
            status: match self.status.as_deref() {
                Some("all") => None,
                Some("resolved") => Some("resolved".into()),
                _ => Some("open".into()),
            },
        }
    }

    fn base_query(&self) -> String {
        let sid = self.subject_id.map(|s| s.to_string());
        crate::pages::query_string(&[
            ("rule", &self.rule),
            ("town", &self.town),
            ("industry", &self.industry),
            ("subject_id", &sid),
            ("status", &self.status),
        ])
    }
}

#[derive(Template)]
#[template(path = "ledger/findings/list.html")]
struct ListPage {
    layout: Layout,
    results: Results,
    rules: &'static [Rule],
    towns: Vec<Town>,
    industries: Vec<String>,
    q: FindingQuery,
    by_rule: Vec<(Rule, i64)>,
    town_bars: Vec<Bar>,
    town_height: u32,
    export_query: String,
    can_scan: bool,
    message: Option<String>,
}

#[derive(Template)]
#[template(path = "ledger/findings/results.html")]
struct Results {
    rows: Vec<FindingRow>,
    pager: Pager,
}

/// What the page says after a redirect: a message code and the counts it needs, never a
/// text from the query string (a link could make the page say anything).
#[derive(Deserialize, Default)]
pub struct Flash {
    done: Option<String>,
    new: Option<String>,
    open: Option<String>,
    resolved: Option<String>,
}

impl Flash {
    /// The banner text built here from the code; an unknown code, or a count that is not a
    /// number, shows nothing.
    fn message(&self) -> Option<String> {
        let n = |v: &Option<String>| v.as_deref()?.trim().parse::<u64>().ok();
        match self.done.as_deref()? {
            "scanned" => Some(format!(
                "扫描完成：新发现 {} 条，仍存在 {} 条，已消除 {} 条。",
                n(&self.new)?,
                n(&self.open)?,
                n(&self.resolved)?
            )),
            _ => None,
        }
    }
}

pub async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(q): Query<FindingQuery>,
    Query(flash): Query<Flash>,
) -> Result<Response, AppError> {
    let towns = reference::towns(&st.store).await?;
    let f = q.filter(&towns);
    let (page, per_page) = paging(q.page, q.per_page);
    let (rows, total) = findings::list(&st.store, &user.scope, &f, page, per_page).await?;
    let results = Results {
        rows,
        pager: Pager {
            page,
            per_page,
            total,
            base_query: q.base_query(),
        },
    };
    if is_htmx(&headers) {
        return Ok(render(results));
    }
    let (by_rule_raw, by_town_raw) = findings::counts(&st.store, &user.scope, &f).await?;
    let by_rule = Rule::ALL
        .iter()
        .map(|r| {
            (
                *r,
                by_rule_raw
                    .iter()
                    .find(|(c, _)| c == r.code())
                    .map_or(0, |(_, n)| *n),
            )
        })
        .collect();
    let mut town_counts: Vec<Count> = by_town_raw
        .into_iter()
        .map(|(label, n)| Count { label, n })
        .collect();
    town_counts.sort_by_key(|c| std::cmp::Reverse(c.n));
    let town_bars = bars(&town_counts, 30, |_| false);
    Ok(render(ListPage {
        layout: Layout::new(&user, "问题线索", "findings"),
        town_height: town_bars.len() as u32 * 24,
        town_bars,
        results,
        rules: &Rule::ALL,
        towns,
        industries: subjects::industries(&st.store).await?,
        export_query: q.base_query(),
        q,
        by_rule,
        can_scan: user.scope.is_all(),
        message: flash.message(),
    }))
}

/// The filtered findings as an xlsx workbook (masked identifiers). Rows naming a person
/// are personal data: more of them than the policy's threshold need a role allowed to
/// export personal data in bulk (403 otherwise); every export is audited with its counts.
pub async fn export(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<FindingQuery>,
) -> Result<Response, AppError> {
    let towns = reference::towns(&st.store).await?;
    let rows = findings::all(&st.store, &user.scope, &q.filter(&towns)).await?;
    let n = rows.len();
    let personal = rows
        .iter()
        .filter(|r| !r.person_name.is_empty() || !r.id_number_masked.is_empty())
        .count();
    let policy = st.store.policy();
    if let Err(message) =
        anpei_store::platform::security::check_personal_export(&policy, user.role, personal)
    {
        anpei_store::platform::audit::record(
            &st.store,
            &user.actor(),
            anpei_store::platform::audit::Event::ok("export.findings", "findings")
                .failed()
                .with_detail(format!(
                    "rows={n} personal={personal} threshold={} 无批量导出个人信息权限",
                    policy.personal_export_threshold
                )),
        )
        .await?;
        let mut res = render(crate::pages::ErrorPage {
            status: 403,
            message,
        });
        *res.status_mut() = axum::http::StatusCode::FORBIDDEN;
        return Ok(res);
    }
    let headers = [
        "规则代码",
        "问题",
        "严重程度",
        "单位",
        "统一社会信用代码",
        "所属镇街",
        "行业",
        "人员",
        "身份证号",
        "情况",
        "首次发现",
        "最近发现",
        "状态",
    ];
    let body = rows.into_iter().map(|r| {
        vec![
            r.rule.clone(),
            r.rule_name().to_string(),
            severity_label(&r.severity).to_string(),
            r.subject_name,
            r.subject_uscc,
            r.town,
            r.industry.unwrap_or_default(),
            r.person_name,
            r.id_number_masked,
            r.detail,
            r.first_seen.to_string(),
            r.last_seen.to_string(),
            status_label(&r.status).to_string(),
        ]
    });
    let bytes = anpei_import::write_table_xlsx("问题线索", &headers, body)
        .map_err(|e| AppError::Internal(e.into()))?;
    anpei_store::platform::audit::record(
        &st.store,
        &user.actor(),
        anpei_store::platform::audit::Event::ok("export.findings", "findings")
            .with_detail(format!("rows={n} personal={personal}")),
    )
    .await?;
    let disposition = "attachment; filename=\"findings.xlsx\"; filename*=UTF-8''%E9%97%AE%E9%A2%98%E7%BA%BF%E7%B4%A2.xlsx";
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

pub fn severity_label(code: &str) -> &'static str {
    match code {
        "high" => "高",
        "medium" => "中",
        _ => "低",
    }
}

pub fn status_label(code: &str) -> &'static str {
    if code == "open" {
        "待处理"
    } else {
        "已消除"
    }
}

#[derive(Template)]
#[template(path = "ledger/findings/detail.html")]
struct DetailPage {
    layout: Layout,
    f: FindingRow,
    severity: &'static str,
    definition: &'static str,
    basis: &'static str,
    parameters: String,
    certificates: Vec<CertificateRow>,
    trainings: Vec<TrainingRow>,
}

pub async fn detail(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let row = findings::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rule = Rule::from_code(&row.rule);
    let (certificates, trainings) = findings::records_of(&st.store, &row).await?;
    Ok(render(DetailPage {
        layout: Layout::new(&user, "问题线索详情", "findings"),
        definition: rule.map_or("", Rule::definition),
        basis: rule.map_or("", Rule::basis),
        parameters: rule
            .map(|r| r.parameters(&st.store.params))
            .unwrap_or_default(),
        severity: rule.map_or("", |r| r.severity().label()),
        f: row,
        certificates,
        trainings,
    }))
}

#[derive(Template)]
#[template(path = "ledger/findings/rules.html")]
struct RulesPage {
    layout: Layout,
    rows: Vec<(Rule, String)>,
}

pub async fn catalogue(State(st): State<AppState>, user: CurrentUser) -> Response {
    let rows = Rule::ALL
        .iter()
        .map(|r| (*r, r.parameters(&st.store.params)))
        .collect();
    render(RulesPage {
        layout: Layout::new(&user, "规则目录", "rules"),
        rows,
    })
}

/// Re-scans the district (district users) and stores the findings.
pub async fn scan_district(
    State(st): State<AppState>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let m = run_scan(&st, &user, None).await?;
    Ok(Redirect::to(&format!(
        "/findings?done=scanned&new={}&open={}&resolved={}",
        m.new, m.still_open, m.resolved
    ))
    .into_response())
}

/// Re-scans one subject in the caller's scope.
pub async fn scan_subject(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    subjects::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    run_scan(&st, &user, Some(id)).await?;
    Ok(Redirect::to(&format!("/subjects/{id}#findings")).into_response())
}

/// Re-runs the checks on training and exam records over the district after an upload of
/// such records, and merges only their findings (the ledger's are left alone).
pub(crate) async fn rescan_records(
    st: &AppState,
    user: &CurrentUser,
) -> Result<findings::Merge, AppError> {
    let as_of = st.store.today();
    let found = anpei_store::ledger::scan::run_records(&st.store, as_of).await?;
    Ok(findings::merge_rules(
        &st.store,
        &user.actor(),
        None,
        Some(&Rule::RECORDS),
        as_of,
        &found,
    )
    .await?)
}

pub(crate) async fn run_scan(
    st: &AppState,
    user: &CurrentUser,
    subject: Option<i32>,
) -> Result<findings::Merge, AppError> {
    let as_of = st.store.today();
    let found = anpei_store::ledger::scan::run(&st.store, subject, as_of).await?;
    Ok(findings::merge(&st.store, &user.actor(), subject, as_of, &found).await?)
}
