//! JSON API under `/api/v1`, a stable contract for other systems. Same scope rules as the pages:
//! the bearer token's user becomes a scope, a foreign id answers 404. Lists are `{"items": [...],
//! "total": n}` with `page` and `per_page`.
//!
//! Every error is JSON, `{"error": "<code>", "message": "<中文说明>"}`: the handlers read
//! their query string, path and body through [`ApiQuery`], [`ApiPath`] and [`ApiJson`],
//! whose refusals (400 `bad_request`) have that shape instead of axum's plain text.

use crate::auth::{check_credentials, client_addr, CurrentUser};
use crate::error::{ApiError, AppError};
use crate::ingest_file::check_ledger_file;
use crate::pages::ledger::findings::FindingQuery;
use crate::pages::ledger::imports::{self, Failure};
use crate::pages::registry::persons::PersonQuery;
use crate::pages::registry::subjects::ListQuery;
use crate::pages::PageParam;
use crate::AppState;
use anpei_core::ledger::rules::Rule;
use anpei_core::ledger::Fault;
use anpei_import::sniff::UploadError;
use anpei_store::ledger::findings::{self, FindingRow};
use anpei_store::ledger::{Counts, Mode};
use anpei_store::platform::audit::Actor;
use anpei_store::registry::persons::{self, PersonRow};
use anpei_store::registry::subjects::{self, SubjectRow};
use anpei_store::{platform::mfa, registry::reference};
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The field a serde error names (`field: reason`, or a missing field), when it looks like
/// one.
fn named_field(detail: &str) -> Option<&str> {
    let field = match detail.strip_prefix("missing field `") {
        Some(rest) => rest.split('`').next()?,
        None => detail.split(": ").next()?.trim(),
    };
    (!field.is_empty()
        && field.len() <= 40
        && field
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.'))
    .then_some(field)
}

/// `axum::extract::Query` for the API: a query string it cannot read answers 400
/// `bad_request` in the API's JSON shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(query_refusal(&e).into()),
        }
    }
}

fn query_refusal(e: &QueryRejection) -> AppError {
    let text = e.body_text();
    let detail = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or("");
    AppError::Malformed(match named_field(detail) {
        Some(f) => format!("查询参数 {f} 的取值无法识别，请检查后重试。"),
        None => "查询参数格式错误，请检查网址中“?”之后的参数。".into(),
    })
}

/// `axum::extract::Path` for the API: an id that is not a number answers 400 `bad_request`
/// in the API's JSON shape.
#[derive(Debug, Clone, Copy)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => {
                Err(AppError::Malformed("网址中的编号格式错误，应为整数。".into()).into())
            }
            Err(e) => Err(AppError::Internal(anyhow::anyhow!(
                "path extraction: {}",
                e.body_text()
            ))
            .into()),
        }
    }
}

/// `axum::Json` for the API's request bodies: a body that is not JSON, or not of the
/// expected shape, answers 400 `bad_request` (415 without a JSON content type, 413 when too
/// large) in the API's JSON shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(json_refusal(&e)),
        }
    }
}

fn json_refusal(e: &JsonRejection) -> Response {
    let refuse = |status: StatusCode, code: &str, message: String| {
        let body = serde_json::json!({ "error": code, "message": message });
        (status, Json(body)).into_response()
    };
    match e {
        JsonRejection::JsonSyntaxError(_) => {
            AppError::Malformed("请求体不是有效的 JSON，请检查格式（引号、逗号、括号）。".into())
                .api_response()
        }
        JsonRejection::JsonDataError(d) => {
            let text = d.body_text();
            let detail = text
                .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                .unwrap_or("");
            AppError::Malformed(match named_field(detail) {
                Some(f) => format!("请求体中的字段 {f} 缺失或类型不对，请检查后重试。"),
                None => "请求体的 JSON 缺少必填字段或字段类型不对，请检查后重试。".into(),
            })
            .api_response()
        }
        JsonRejection::MissingJsonContentType(_) => refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "请求头 Content-Type 应为 application/json。".into(),
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "请求体过大。".into(),
        ),
        _ => AppError::Malformed("请求体读取失败，请重试。".into()).api_response(),
    }
}

/// The paging of an API list, clamped as the pages' ([`crate::pages::paging`]); a `page` or
/// `per_page` that is not a whole number answers 400 `bad_request`.
pub fn paging(
    page: Option<PageParam>,
    per_page: Option<PageParam>,
) -> Result<(u64, u64), ApiError> {
    for (name, v) in [("page", page), ("per_page", per_page)] {
        if v == Some(PageParam::Invalid) {
            return Err(AppError::Malformed(format!("查询参数 {name} 应为正整数。")).into());
        }
    }
    Ok(crate::pages::paging(page, per_page))
}

#[derive(Deserialize)]
pub struct TokenRequest {
    username: String,
    password: String,
    /// The six digits of the authenticator app, for an account with a second factor (or a
    /// recovery code in its place).
    #[serde(default)]
    totp: Option<String>,
    /// A single-use recovery code, in place of `totp`.
    #[serde(default)]
    recovery_code: Option<String>,
}

#[derive(Serialize)]
pub struct TokenResponse {
    token: String,
    expires_at: i64,
}

/// A bearer token for a username and password, and for an account with a second factor
/// (enrolled, or of a role the policy requires one of) a `totp` code or a `recovery_code`:
/// without one, 401 `mfa_required` (需要两步验证码); a wrong one counts toward the lockout
/// like a wrong password. Every attempt counts against the sign-in rate limits (per client
/// address and per username) before the password is checked: over them, 429 with
/// `Retry-After`.
pub async fn auth_token(State(st): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let addr = client_addr(req.extensions());
    let client = st.limiter.client_key(req.extensions(), req.headers());
    let ApiJson(body) = match ApiJson::<TokenRequest>::from_request(req, &st).await {
        Ok(b) => b,
        Err(refusal) => return Ok(refusal),
    };
    if let Err(wait) = st.limiter.check_login(&client, &body.username) {
        tracing::warn!(client = %client, "sign-in rate limit (API token)");
        return Ok(wait.json());
    }
    match check_credentials(&st, &body.username, &body.password, &addr).await? {
        Ok(u) => {
            let code = body
                .totp
                .as_deref()
                .or(body.recovery_code.as_deref())
                .map(str::trim)
                .filter(|c| !c.is_empty());
            let code = match mfa::second_factor(&st.store, &u).await? {
                mfa::SecondFactor::None => None,
                mfa::SecondFactor::Code => match code {
                    Some(c) => Some(c),
                    None => return Ok(mfa_required(NO_CODE)),
                },
                mfa::SecondFactor::MustEnrol => return Ok(mfa_required(NOT_ENROLLED)),
            };
            let actor = Actor {
                user_id: Some(u.id),
                username: u.username.clone(),
                client_addr: addr.clone(),
            };
            match mfa::issue_api_token(&st.store, &actor, &u, mfa::API_LOGIN_LABEL, code).await? {
                Ok(t) => Ok(Json(TokenResponse {
                    token: t.token,
                    expires_at: t.expires_at,
                })
                .into_response()),
                // The same answer whether the code is wrong or the account is locked.
                Err(_) => Ok((
                    StatusCode::UNAUTHORIZED,
                    Json(serde_json::json!({
                        "error": "bad_credentials",
                        "message": "两步验证码错误，或账号已被临时锁定。",
                    })),
                )
                    .into_response()),
            }
        }
        Err(_) => Err(ApiError(AppError::BadCredentials)),
    }
}

const NO_CODE: &str =
    "需要两步验证码：请在请求中提供 totp（身份验证器中的6位数字）或 recovery_code";
const NOT_ENROLLED: &str = "需要两步验证码：该账号尚未绑定身份验证器，请先登录网页完成两步验证绑定";

/// 401 `{"error": "mfa_required", "message": "需要两步验证码…"}`.
fn mfa_required(message: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(serde_json::json!({ "error": "mfa_required", "message": message })),
    )
        .into_response()
}

#[derive(Serialize)]
pub struct ListResponse<T> {
    items: Vec<T>,
    total: u64,
    page: u64,
    per_page: u64,
}

/// A subject as the API contract shows it.
#[derive(Serialize)]
pub struct SubjectItem {
    id: i32,
    uscc: String,
    name: String,
    kind: String,
    industry: Option<String>,
    high_risk: bool,
    town: String,
    department: String,
    status: String,
    address: Option<String>,
    contact_name: Option<String>,
    contact_phone_masked: Option<String>,
}

fn item(st: &AppState, r: SubjectRow) -> SubjectItem {
    SubjectItem {
        high_risk: r
            .industry
            .as_deref()
            .is_some_and(|i| st.store.params.is_high_risk(i)),
        id: r.id,
        uscc: r.uscc,
        name: r.name,
        kind: r.kind,
        industry: r.industry,
        town: r.town,
        department: r.department,
        status: r.status.code().to_string(),
        address: r.address,
        contact_name: r.contact_name,
        contact_phone_masked: r.contact_phone_masked,
    }
}

pub async fn subjects(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListResponse<SubjectItem>>, ApiError> {
    // The towns are read only to resolve a town filter given by name.
    let towns = match crate::pages::nonempty(&q.town) {
        Some(_) => reference::towns(&st.store, &user.scope).await?,
        None => Vec::new(),
    };
    let (page, per_page) = paging(q.page, q.per_page)?;
    let (rows, total) =
        subjects::list(&st.store, &user.scope, &q.filter(&towns), page, per_page).await?;
    let items = rows.into_iter().map(|r| item(&st, r)).collect();
    Ok(Json(ListResponse {
        items,
        total,
        page,
        per_page,
    }))
}

pub async fn subject(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i32>,
) -> Result<Json<SubjectItem>, ApiError> {
    let r = subjects::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(item(&st, r)))
}

pub async fn persons(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<PersonQuery>,
) -> Result<Json<ListResponse<PersonRow>>, ApiError> {
    let (page, per_page) = paging(q.page, q.per_page)?;
    let (items, total) = persons::list(&st.store, &user.scope, &q.filter(), page, per_page).await?;
    Ok(Json(ListResponse {
        items,
        total,
        page,
        per_page,
    }))
}

/// A finding as the API shows it (masked identifiers).
#[derive(Serialize)]
pub struct FindingItem {
    id: i32,
    rule: String,
    rule_name: &'static str,
    severity: String,
    subject_id: i32,
    subject_uscc: String,
    subject_name: String,
    town: String,
    industry: Option<String>,
    /// The ledger person; null for the checks on training and exam records.
    person_id: Option<i32>,
    person_name: String,
    id_number_masked: String,
    detail: String,
    first_seen: chrono::NaiveDate,
    last_seen: chrono::NaiveDate,
    status: String,
}

impl From<FindingRow> for FindingItem {
    fn from(r: FindingRow) -> Self {
        FindingItem {
            rule_name: r.rule_name(),
            id: r.id,
            rule: r.rule,
            severity: r.severity,
            subject_id: r.subject_id,
            subject_uscc: r.subject_uscc,
            subject_name: r.subject_name,
            town: r.town,
            industry: r.industry,
            person_id: r.person_id,
            person_name: r.person_name,
            id_number_masked: r.id_number_masked,
            detail: r.detail,
            first_seen: r.first_seen,
            last_seen: r.last_seen,
            status: r.status,
        }
    }
}

/// Findings in the caller's scope: `rule`, `town` (id or name), `industry`, `subject_id`,
/// `status` (open by default, `resolved`, or `all`).
pub async fn findings(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<FindingQuery>,
) -> Result<Json<ListResponse<FindingItem>>, ApiError> {
    if let Some(r) = q.rule.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        if Rule::from_code(r).is_none() {
            return Err(AppError::BadRequest(format!(
                "未知的规则代码“{r}”，可用的代码见规则目录（/rules）。"
            ))
            .into());
        }
    }
    let towns = reference::towns(&st.store, &user.scope).await?;
    let (page, per_page) = paging(q.page, q.per_page)?;
    let (rows, total) = findings::list(
        &st.store,
        &user.scope,
        &q.filter(&towns, user.scope.reach()),
        page,
        per_page,
    )
    .await?;
    Ok(Json(ListResponse {
        items: rows.into_iter().map(FindingItem::from).collect(),
        total,
        page,
        per_page,
    }))
}

/// A problem of the 问题清单 as the API shows it (the phone masked, as on the pages).
#[derive(Serialize)]
pub struct ProblemItem {
    id: i32,
    campaign_id: Option<i32>,
    subject_id: i32,
    subject_uscc: String,
    subject_name: String,
    town: String,
    department: String,
    source: String,
    item_code: Option<String>,
    description: String,
    measures: String,
    deadline: String,
    responsible_name: String,
    responsible_phone_masked: Option<String>,
    status: String,
    overdue: bool,
}

impl From<anpei_store::campaign::problems::ProblemRow> for ProblemItem {
    fn from(p: anpei_store::campaign::problems::ProblemRow) -> Self {
        ProblemItem {
            id: p.id,
            campaign_id: p.campaign_id,
            subject_id: p.subject_id,
            subject_uscc: p.subject_uscc,
            subject_name: p.subject_name,
            town: p.town,
            department: p.department,
            source: p.source,
            item_code: p.item_code,
            description: p.description,
            measures: p.measures,
            deadline: p.deadline.to_string(),
            responsible_name: p.responsible_name,
            responsible_phone_masked: p.responsible_phone_masked,
            status: p.status,
            overdue: p.overdue,
        }
    }
}

/// `GET /api/v1/problems`: the 问题清单 in the caller's scope, with the page's filters
/// (`campaign`, `status` incl. `overdue`, `source`, `town`, `department`, `kind`,
/// `subject_id`, `q`).
pub async fn problems(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<crate::pages::campaign::problems::ProblemQuery>,
) -> Result<Json<ListResponse<ProblemItem>>, ApiError> {
    let towns = reference::towns(&st.store, &user.scope).await?;
    let (page, per_page) = paging(q.page, q.per_page)?;
    let (rows, total) = anpei_store::campaign::problems::list(
        &st.store,
        &user.scope,
        &q.filter(&towns),
        page,
        per_page,
    )
    .await?;
    Ok(Json(ListResponse {
        items: rows.into_iter().map(ProblemItem::from).collect(),
        total,
        page,
        per_page,
    }))
}

#[derive(Deserialize, Default)]
pub struct ImportQuery {
    dry_run: Option<String>,
    strict: Option<String>,
}

fn flag(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("1" | "true" | "yes"))
}

/// Rejected rows in an API answer: at most this many (`rejected_total` has the count).
const API_REJECTIONS: usize = 10_000;

/// A rejected row: `column` and `reason` are its first problem (as before rows listed all
/// their problems), `faults` every one, `message` all of them as the pages show them
/// (`列名：问题；列名：问题`).
#[derive(Serialize)]
pub struct RejectionItem {
    sheet: String,
    row: usize,
    column: String,
    reason: String,
    faults: Vec<FaultItem>,
    message: String,
}

#[derive(Serialize)]
pub struct FaultItem {
    column: String,
    reason: String,
}

#[derive(Serialize)]
pub struct ImportResponse {
    outcome: &'static str,
    file_name: String,
    sha256: String,
    counts: std::collections::BTreeMap<&'static str, Counts>,
    rejected_total: usize,
    rejections_truncated: bool,
    rejections: Vec<RejectionItem>,
    warnings: Vec<String>,
}

fn failure_response(f: Failure) -> Response {
    match f {
        Failure::Internal(e) => e.api_response(),
        f => {
            let code = match f {
                Failure::Forbidden => "forbidden",
                Failure::TooLarge => "too_large",
                _ => "invalid",
            };
            let body = serde_json::json!({ "error": code, "message": f.message() });
            (f.status(), Json(body)).into_response()
        }
    }
}

/// An upload refused by its content check: 413 (`too_large`) over the size limit or for a
/// zip bomb, 422 (`invalid`) for a wrong or renamed type, as for any unreadable file.
fn upload_refusal(e: UploadError) -> Response {
    if let UploadError::Io { message, .. } = &e {
        return AppError::Internal(anyhow::anyhow!("upload check: {message}")).api_response();
    }
    let (status, code) = if e.is_too_large() {
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    } else {
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    };
    let body = serde_json::json!({ "error": code, "message": e.to_string() });
    (status, Json(body)).into_response()
}

/// Imports one multipart upload (`kind`, `file`) in the caller's scope. 200 with the
/// outcome whenever the file was read (stored, partial, aborted, validated); 422 when it
/// cannot be read at all or its content is not what its name says, 413 when too large or a
/// zip bomb, 403 for the registry unless district. The file is checked by its content
/// before it is read (`ingest_file::check_ledger_file`).
#[tracing::instrument(skip_all)]
pub async fn import(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: axum::http::HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    if let Err(f) = imports::check_length(&headers) {
        return failure_response(f);
    }
    let mode = if flag(&q.dry_run) {
        Mode::DryRun
    } else if flag(&q.strict) {
        Mode::Strict
    } else {
        Mode::Normal
    };
    let (_, dir) = match imports::new_pending_dir(&st).await {
        Ok(x) => x,
        Err(f) => return failure_response(f),
    };
    let done = async {
        let up = imports::receive(&st, multipart, &dir, &user)
            .await
            .map_err(failure_response)?;
        let limits = st.config.upload_limits();
        check_ledger_file(up.path.clone(), up.file_name.clone(), limits)
            .await
            .map_err(upload_refusal)?;
        let (report, outcome) = imports::run(&st, &user, &up, mode)
            .await
            .map_err(failure_response)?;
        Ok::<_, Response>((up, report, outcome))
    }
    .await;
    let _ = tokio::fs::remove_dir_all(&dir).await;
    let (up, report, outcome) = match done {
        Ok(x) => x,
        Err(res) => return res,
    };
    let rejected_total = report.rejected() as usize;
    let body = ImportResponse {
        outcome,
        file_name: up.file_name,
        sha256: up.sha256,
        counts: report.counts.iter().map(|(t, c)| (t.sheet(), *c)).collect(),
        rejected_total,
        rejections_truncated: rejected_total > report.rejections.len().min(API_REJECTIONS),
        rejections: report
            .rejections
            .into_iter()
            .take(API_REJECTIONS)
            .map(|e| {
                let message = e.message();
                let first = e.first().cloned().unwrap_or_else(|| Fault::new("", ""));
                RejectionItem {
                    sheet: e.sheet,
                    row: e.row,
                    column: first.column,
                    reason: first.reason,
                    faults: e
                        .faults
                        .into_iter()
                        .map(|f| FaultItem {
                            column: f.column,
                            reason: f.reason,
                        })
                        .collect(),
                    message,
                }
            })
            .collect(),
        warnings: report.warnings,
    };
    (StatusCode::OK, Json(body)).into_response()
}

pub async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}

/// The JSON API's routes under `/api/v1`, each with the one permission it requires.
pub(crate) fn routes(r: crate::routes::RouteTable) -> crate::routes::RouteTable {
    use crate::routes::Perm::*;
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    r.route("POST", "/api/v1/auth/token", Public, post(auth_token))
        .route("GET", "/api/v1/openapi.json", Public, get(openapi))
        .route("GET", "/api/v1/subjects", ViewBusiness, get(subjects))
        .route("GET", "/api/v1/subjects/{id}", ViewBusiness, get(subject))
        .route("GET", "/api/v1/persons", ViewBusiness, get(persons))
        .route(
            "POST",
            "/api/v1/imports",
            ViewBusiness,
            post(import).layer(DefaultBodyLimit::max(imports::BODY_LIMIT)),
        )
        .route("GET", "/api/v1/findings", ViewBusiness, get(findings))
        .route("GET", "/api/v1/problems", ViewBusiness, get(problems))
}
