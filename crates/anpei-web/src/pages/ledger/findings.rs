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
use anpei_store::ledger::leads::{self, FindingStatus};
use anpei_store::model::Town;
use anpei_store::registry::dashboard::Count;
use anpei_store::registry::persons::{CertificateRow, TrainingRow};
use anpei_store::Reach;
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
    /// `mine`: the findings 交办 to the caller's town or department.
    pub assigned: Option<String>,
    pub page: Option<crate::pages::PageParam>,
    pub per_page: Option<crate::pages::PageParam>,
}

impl FindingQuery {
    pub fn filter(&self, towns: &[Town], reach: Reach) -> FindingFilter {
        use crate::pages::nonempty;
        let mine = self.assigned.as_deref() == Some("mine");
        FindingFilter {
            rule: nonempty(&self.rule).map(|r| Rule::from_code(&r).unwrap_or(Rule::ALL[0])),
            town_id: crate::pages::town_param(&self.town, towns),
            industry: nonempty(&self.industry),
            subject_id: self.subject_id,
            // Those still to be dealt with unless asked otherwise: `open` is all of them
            // (as the API has always meant it), `pending` the ones nobody has acted on,
            // any other status by its code; `all` shows every one.
            status: match self.status.as_deref() {
                Some("all") => None,
                Some("pending") => Some(FindingStatus::Open.code().into()),
                Some(s) => match FindingStatus::from_code(s) {
                    Some(st) if st != FindingStatus::Open => Some(st.code().into()),
                    _ => Some(findings::ACTIVE.into()),
                },
                None => Some(findings::ACTIVE.into()),
            },
            assigned_town_id: match reach {
                Reach::Town(t) if mine => Some(t),
                _ => None,
            },
            assigned_department_id: match reach {
                Reach::Department(d) if mine => Some(d),
                _ => None,
            },
        }
    }

    pub(crate) fn base_query(&self) -> String {
        let sid = self.subject_id.map(|s| s.to_string());
        crate::pages::query_string(&[
            ("rule", &self.rule),
            ("town", &self.town),
            ("industry", &self.industry),
            ("subject_id", &sid),
            ("status", &self.status),
            ("assigned", &self.assigned),
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
    /// The re-scan button's label, when the caller may re-scan at once.
    can_scan: Option<&'static str>,
    can_assign: bool,
    can_handle: bool,
    statuses: &'static [FindingStatus],
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
    Query(mut q): Query<FindingQuery>,
    Query(flash): Query<Flash>,
) -> Result<Response, AppError> {
    let towns = reference::towns(&st.store, &user.scope).await?;
    if let Some(id) = crate::pages::town_param(&q.town, &towns).filter(|id| *id > 0) {
        q.town = Some(id.to_string());
    }
    let f = q.filter(&towns, user.scope.reach());
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
        industries: subjects::industries(&st.store, &user.scope).await?,
        export_query: q.base_query(),
        q,
        by_rule,
        can_scan: match reference::acts_for(&st.store, &user.scope).await? {
            None => None,
            Some(Some(_)) => Some("本区县重新扫描"),
            Some(None) if user.scope.is_all() && reference::is_city(&st.store).await? => {
                Some("全市重新扫描")
            }
            Some(None) => Some("全区重新扫描"),
        },
        can_assign: user.scope.is_district_level(),
        can_handle: matches!(
            user.scope.reach(),
            Reach::All
                | Reach::District(_)
                | Reach::Town(_)
                | Reach::Department(_)
                | Reach::CityDepartment(_)
        ),
        statuses: &FindingStatus::ALL,
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
    let towns = reference::towns(&st.store, &user.scope).await?;
    let rows = findings::all(
        &st.store,
        &user.scope,
        &q.filter(&towns, user.scope.reach()),
    )
    .await?;
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
    FindingStatus::from_code(code).map_or("", FindingStatus::label)
}

/// The badge class of a finding's status: red while nobody has acted, amber while it is
/// being handled, green or grey once it is over.
pub fn status_class(code: &str) -> &'static str {
    match FindingStatus::from_code(code) {
        Some(FindingStatus::Open) => "badge-danger",
        Some(FindingStatus::Assigned | FindingStatus::Problem | FindingStatus::Case) => {
            "badge-warn"
        }
        Some(FindingStatus::Resolved) => "badge-ok",
        _ => "badge-muted",
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
    /// How it is being handled: to whom it was given, its problem, its case, why dismissed.
    handling: anpei_store::model::Finding,
    assignee: Option<String>,
    history: Vec<anpei_store::model::FindingEvent>,
    /// 交办 and 重新打开 (district); 转问题, 立案, 排除 (the supervisors in scope).
    can_assign: bool,
    can_handle: bool,
    message: Option<&'static str>,
    error: Option<String>,
    today: chrono::NaiveDate,
}

impl DetailPage {
    fn status(&self) -> FindingStatus {
        self.handling.status
    }

    fn actionable(&self) -> bool {
        self.handling.status.actionable()
    }

    fn at(&self, ts: i64) -> String {
        anpei_store::clock::china_time(ts)
    }

    /// The due date of an assignment, marked when it has passed and the finding is still
    /// waiting.
    fn overdue(&self) -> bool {
        self.handling.status == FindingStatus::Assigned
            && self.handling.due_on.is_some_and(|d| d < self.today)
    }
}

/// What the page says after an action (a code, never a text from the query string).
#[derive(Deserialize, Default)]
pub struct DetailFlash {
    done: Option<String>,
}

pub async fn detail(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Query(flash): Query<DetailFlash>,
) -> Result<Response, AppError> {
    let message = match flash.done.as_deref() {
        Some("assigned") => Some("已交办，受理单位已收到待办提醒。"),
        Some("dismissed") => Some("已排除，后续扫描如情况不变将不再提示。"),
        Some("reopened") => Some("已重新打开，恢复为待处理。"),
        _ => None,
    };
    detail_render(&st, &user, id, None, message).await
}

/// The finding's page, with `error` above its forms (a refused action).
pub(crate) async fn detail_page(
    st: &AppState,
    user: &CurrentUser,
    id: i32,
    error: Option<String>,
) -> Result<Response, AppError> {
    detail_render(st, user, id, error, None).await
}

async fn detail_render(
    st: &AppState,
    user: &CurrentUser,
    id: i32,
    error: Option<String>,
    message: Option<&'static str>,
) -> Result<Response, AppError> {
    let row = findings::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rule = Rule::from_code(&row.rule);
    let (certificates, trainings) = findings::records_of(&st.store, &row).await?;
    let handling = leads::handling(&st.store, &user.scope, id).await?;
    let history = leads::history(&st.store, &user.scope, id).await?;
    let assignee = match (handling.assigned_town_id, handling.assigned_department_id) {
        (Some(t), _) => reference::towns(&st.store, &user.scope)
            .await?
            .into_iter()
            .find(|x| x.id == t)
            .map(|x| x.name),
        (_, Some(d)) => reference::departments(&st.store, &user.scope)
            .await?
            .into_iter()
            .find(|(x, _)| x.id == d)
            .map(|(x, _)| x.name),
        _ => None,
    };
    let reach = user.scope.reach();
    Ok(render(DetailPage {
        layout: Layout::new(user, "问题线索详情", "findings"),
        definition: rule.map_or("", Rule::definition),
        basis: rule.map_or("", Rule::basis),
        parameters: rule
            .map(|r| r.parameters(&st.store.params))
            .unwrap_or_default(),
        severity: rule.map_or("", |r| r.severity().label()),
        f: row,
        certificates,
        trainings,
        handling,
        assignee,
        history,
        can_assign: matches!(reach, Reach::All | Reach::District(_)),
        can_handle: matches!(
            reach,
            Reach::All
                | Reach::District(_)
                | Reach::Town(_)
                | Reach::Department(_)
                | Reach::CityDepartment(_)
        ),
        message,
        error,
        today: st.store.today(),
    }))
}

#[derive(Template)]
#[template(path = "ledger/findings/rules.html")]
struct RulesPage {
    layout: Layout,
    rows: Vec<(Rule, String)>,
    /// The supervision scores' weights, minimum base and adjustment range.
    w: (f64, f64, f64, f64, f64),
    min_base: i64,
    manual: (f64, f64),
}

pub async fn catalogue(State(st): State<AppState>, user: CurrentUser) -> Response {
    let rows = Rule::ALL
        .iter()
        .map(|r| (*r, r.parameters(&st.store.params)))
        .collect();
    use anpei_store::campaign::supervision as sv;
    render(RulesPage {
        layout: Layout::new(&user, "规则目录", "rules"),
        rows,
        w: (
            sv::W_SELF_INSPECTION,
            sv::W_COVERAGE,
            sv::W_RECTIFIED,
            sv::W_TIMELINESS,
            sv::W_TIPOFFS,
        ),
        min_base: i64::from(st.store.params.score_min_base),
        manual: (sv::MANUAL_MIN, sv::MANUAL_MAX),
    })
}

/// Re-scans what the caller may re-scan at once (the installation, or a city's district its
/// own district) and stores the findings.
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
    use anpei_store::ledger::scan;
    let as_of = st.store.today();
    if subject.is_none() {
        let district = reference::acts_for(&st.store, &user.scope)
            .await?
            .ok_or(AppError::Forbidden)?;
        return Ok(scan::run_whole_saved(&st.store, district, &user.actor(), as_of).await?);
    }
    let found = scan::run(&st.store, subject, as_of).await?;
    Ok(findings::merge(&st.store, &user.actor(), subject, as_of, &found).await?)
}
