//! 举报 (tip-offs): the public page (no sign-in) to report a training or exam violation and
//! to follow it with the receipt code and query password; the staff pages to record
//! hotline and letter tip-offs, assign, extend, close and answer the reporter.
//!
//! The reporter's identity is shown by [`detail`] only to the intake duty
//! (`anpei_store::enforcement::tipoffs::Viewer::Intake`); the store audits every read.
//!
//! Abuse resistance without a third-party CAPTCHA: submissions are rate-limited per client
//! address ([`crate::ratelimit::Bucket::Tipoff`]), status queries like sign-ins; the
//! description is bounded; an attachment is an image or PDF of at most
//! [`ATTACHMENT_MAX`], checked by content, and public attachments stop being accepted once
//! a day's total passes [`PUBLIC_ATTACHMENTS_PER_DAY`] (the tip-off itself still is).

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::evidence;
use crate::ingest_file::{check_upload, UploadUse};
use crate::pages::{render, Layout};
use crate::ratelimit::Bucket;
use crate::AppState;
use anpei_core::tipoff::{Category, Channel, Status};
use anpei_import::sniff::FileKind;
use anpei_store::enforcement::tipoffs::{self, Assignee, ListQuery, NewTipoff, TipoffView, Viewer};
use anpei_store::model::{Department, EvidenceFile, TipoffEvent, Town};
use anpei_store::platform::audit::Actor;
use anpei_store::registry::reference;
use askama::Template;
use axum::extract::{Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, RequestExt};
use serde::Deserialize;

/// Largest public attachment.
pub const ATTACHMENT_MAX: u64 = 5 * 1024 * 1024;
/// Body limit of the public form (one attachment and the text fields).
pub const BODY_LIMIT: usize = ATTACHMENT_MAX as usize + 64 * 1024;
/// Bytes of public attachments accepted per day, all reporters together.
pub const PUBLIC_ATTACHMENTS_PER_DAY: i64 = 200 * 1024 * 1024;
/// What the public may attach.
pub const PUBLIC_KINDS: &[FileKind] =
    &[FileKind::Png, FileKind::Jpeg, FileKind::Gif, FileKind::Pdf];
/// The pre-sign-in CSRF cookie, scoped to the tip-off pages.
const PUBLIC_CSRF_COOKIE: &str = "anpei_prelogin";

fn public_csrf_cookie(token: &str, secure: bool) -> String {
    let attrs = "Path=/tipoff; HttpOnly; SameSite=Strict";
    crate::auth::cookie_value(PUBLIC_CSRF_COOKIE, token, attrs, secure)
}

/// Sets a fresh CSRF cookie for the public tip-off forms and returns its token.
fn with_public_csrf(st: &AppState, mut res: Response, token: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&public_csrf_cookie(token, st.config.secure_cookies)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

// ----- public pages -----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "enforcement/tipoffs/public_form.html")]
struct PublicForm {
    office: String,
    csrf: String,
    categories: &'static [Category],
    error: Option<String>,
    f: PublicFields,
}

#[derive(Debug, Default, Clone)]
struct PublicFields {
    /// The form's one-time key (a new form gets a new one; a form shown again keeps it).
    key: String,
    category: String,
    subject_text: String,
    description: String,
    anonymous: bool,
    reporter_name: String,
    reporter_contact: String,
}

/// The CSRF token of a public form: a signed-in official's session token (the check
/// expects it when a session cookie comes along), else a fresh one in a cookie of its own.
fn public_csrf(user: Option<&CurrentUser>) -> (String, bool) {
    match user {
        Some(u) => (u.csrf.clone(), false),
        None => (anpei_store::crypto::random_token(), true),
    }
}

fn finish_public(st: &AppState, res: Response, csrf: &str, fresh: bool) -> Response {
    if fresh {
        with_public_csrf(st, res, csrf)
    } else {
        res
    }
}

async fn public_form(
    st: &AppState,
    user: Option<&CurrentUser>,
    error: Option<String>,
    f: PublicFields,
    status: StatusCode,
) -> Response {
    let (csrf, fresh) = public_csrf(user);
    let mut res = render(PublicForm {
        office: public_office(st).await,
        csrf: csrf.clone(),
        categories: Category::ALL,
        error,
        f,
    });
    *res.status_mut() = status;
    finish_public(st, res, &csrf, fresh)
}

/// The office the public pages speak for: the issuing office of the installation's campaign
/// (the city's in a city, the district's in a one-district installation), else a generic
/// name.
pub async fn public_office(st: &AppState) -> String {
    match anpei_store::campaign::current(&st.store, st.store.today()).await {
        Ok(Some(c)) => c.campaign.issuing_office,
        Ok(None) => "安全生产委员会办公室".into(),
        Err(e) => {
            tracing::warn!(error = %e, "campaign lookup for the public pages failed");
            "安全生产委员会办公室".into()
        }
    }
}

/// `GET /tipoff`: the public report form.
pub async fn public_page(State(st): State<AppState>, user: Option<CurrentUser>) -> Response {
    public_form(
        &st,
        user.as_ref(),
        None,
        PublicFields {
            anonymous: true,
            key: anpei_store::crypto::random_token(),
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}

/// A form handed in again: its report was received already.
#[derive(Template)]
#[template(path = "enforcement/tipoffs/duplicate.html")]
struct DuplicatePage {
    office: String,
    receipt_code: String,
}

#[derive(Template)]
#[template(path = "enforcement/tipoffs/receipt.html")]
struct ReceiptPage {
    office: String,
    receipt_code: String,
    query_password: String,
    close_by: String,
    attachment_note: Option<String>,
}

/// Bytes of public attachments stored since this time yesterday.
async fn public_bytes_today(st: &AppState) -> Result<i64, AppError> {
    let since = st.store.now() - 24 * 3600;
    Ok(tipoffs::public_attachment_bytes_since(&st.store, since).await?)
}

/// Checks and keeps an attachment of a tip-off (public or staff) under the evidence
/// directory; district-only through `/evidence`, served to the tip-off's viewers here.
async fn keep_attachment(
    st: &AppState,
    actor: &Actor,
    receipt: &tipoffs::Receipt,
    file_name: &str,
    bytes: &[u8],
) -> Result<(), AppError> {
    let name = evidence::clean_name(file_name);
    let kind = check_upload(st, UploadUse::TipoffAttachment, &name, bytes)
        .map_err(|e| AppError::BadRequest(format!("附件：{e}")))?;
    let sha = anpei_store::crypto::sha256_hex(bytes);
    evidence::store_bytes(&st.config.evidence_dir(), &sha, bytes)
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("evidence store")))?;
    let a = anpei_store::platform::evidence::Attachment {
        file_name: name,
        mime: kind.mime().to_string(),
        size: bytes.len() as i64,
        sha256: sha,
    };
    Ok(tipoffs::attach(&st.store, actor, receipt, &a).await?)
}

fn public_actor() -> Actor {
    Actor {
        user_id: None,
        username: "public".into(),
        client_addr: "-".into(),
    }
}

/// `POST /tipoff` (multipart, CSRF in the query string): stores the tip-off and shows the
/// receipt code and query password once.
pub async fn public_submit(State(st): State<AppState>, req: Request) -> Result<Response, AppError> {
    let client = st.limiter.client_key(req.extensions(), req.headers());
    let user = req.extensions().get::<CurrentUser>().cloned();
    let user = user.as_ref();
    let mp: Multipart = req
        .extract()
        .await
        .map_err(|_| AppError::BadRequest("表单格式错误，请刷新页面后重新填写。".into()))?;
    let form = evidence::read_upload(mp, ATTACHMENT_MAX).await?;
    let field = |k: &str| form.field(k).unwrap_or("").to_string();
    let f = PublicFields {
        key: field("key"),
        category: field("category"),
        subject_text: field("subject_text"),
        description: field("description"),
        anonymous: form.field("anonymous").is_some(),
        reporter_name: field("reporter_name"),
        reporter_contact: field("reporter_contact"),
    };
    // The same form again (a refresh, a second click): the report it already handed in.
    if let Some(code) = tipoffs::by_submission_key(&st.store, &f.key).await? {
        return Ok(render(DuplicatePage {
            office: public_office(&st).await,
            receipt_code: code,
        }));
    }
    let new = NewTipoff {
        channel: Channel::Web.code().into(),
        category: f.category.clone(),
        subject_text: f.subject_text.clone(),
        description: f.description.clone(),
        anonymous: f.anonymous,
        reporter_name: f.reporter_name.clone(),
        reporter_contact: f.reporter_contact.clone(),
        submission_key: Some(f.key.clone()),
    };
    if let Err(msg) = tipoffs::validate(&new) {
        return Ok(public_form(&st, user, Some(msg), f, StatusCode::UNPROCESSABLE_ENTITY).await);
    }
    // Check the attachment before anything is stored: a refused file refuses the whole form.
    if let Some((name, bytes)) = &form.file {
        let name = evidence::clean_name(name);
        if let Err(e) = check_upload(&st, UploadUse::TipoffAttachment, &name, bytes) {
            return Ok(public_form(
                &st,
                user,
                Some(format!("附件：{e}（可上传图片或 PDF，不超过 5 MB）")),
                f,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await);
        }
    }
    // Only reports that would be stored count against the address's hourly limit; a refused
    // one keeps everything typed and says when to try again.
    if let Err(wait) = st.limiter.check(Bucket::Tipoff, &client) {
        let mut res = public_form(
            &st,
            user,
            Some(format!(
                "{}您填写的内容已保留，到时再点“提交举报”即可；情况紧急请拨打12350。",
                wait.message()
            )),
            f,
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
        wait.apply(&mut res);
        return Ok(res);
    }
    let receipt = match tipoffs::submit(&st.store, None, new).await {
        Ok(r) => r,
        // Two posts of one form at the same moment: the key's unique index let one in.
        Err(e) => match tipoffs::by_submission_key(&st.store, &f.key).await? {
            Some(code) => {
                return Ok(render(DuplicatePage {
                    office: public_office(&st).await,
                    receipt_code: code,
                }))
            }
            None => return Err(e.into()),
        },
    };
    let mut attachment_note = None;
    if let Some((name, bytes)) = &form.file {
        if public_bytes_today(&st).await? + bytes.len() as i64 > PUBLIC_ATTACHMENTS_PER_DAY {
            attachment_note = Some(
                "今日网上举报附件已达上限，附件未保存；举报已受理，如需补充材料请拨打12350。"
                    .to_string(),
            );
        } else {
            keep_attachment(&st, &public_actor(), &receipt, name, bytes).await?;
        }
    }
    Ok(render(ReceiptPage {
        office: public_office(&st).await,
        receipt_code: receipt.receipt_code,
        query_password: receipt.query_password,
        close_by: receipt.close_by.to_string(),
        attachment_note,
    }))
}

#[derive(Template)]
#[template(path = "enforcement/tipoffs/status.html")]
struct StatusPage {
    office: String,
    csrf: String,
    error: Option<String>,
    receipt_code: String,
    found: Option<tipoffs::PublicStatus>,
}

/// `GET /tipoff/status`: the form to follow a tip-off.
pub async fn status_page(State(st): State<AppState>, user: Option<CurrentUser>) -> Response {
    let (csrf, fresh) = public_csrf(user.as_ref());
    let res = render(StatusPage {
        office: public_office(&st).await,
        csrf: csrf.clone(),
        error: None,
        receipt_code: String::new(),
        found: None,
    });
    finish_public(&st, res, &csrf, fresh)
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    receipt_code: String,
    #[serde(default)]
    password: String,
}

/// `POST /tipoff/status`: the status, result and feedback, for the right code and password.
pub async fn status_submit(State(st): State<AppState>, req: Request) -> Result<Response, AppError> {
    let client = st.limiter.client_key(req.extensions(), req.headers());
    let user = req.extensions().get::<CurrentUser>().cloned();
    let Form(f) = req
        .extract::<Form<StatusForm>, _>()
        .await
        .map_err(|_| AppError::BadRequest("表单格式错误".into()))?;
    let (csrf, fresh) = public_csrf(user.as_ref());
    // Guessing passwords is held back like guessing sign-ins.
    let (found, error, status, wait) = match st.limiter.check_login(&client, &f.receipt_code) {
        Err(wait) => (
            None,
            Some(wait.message()),
            StatusCode::TOO_MANY_REQUESTS,
            Some(wait),
        ),
        Ok(()) => match tipoffs::public_status(&st.store, &f.receipt_code, &f.password).await? {
            Some(s) => (Some(s), None, StatusCode::OK, None),
            None => (
                None,
                Some("受理编号或查询密码不正确。".into()),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            ),
        },
    };
    let mut res = render(StatusPage {
        office: public_office(&st).await,
        csrf: csrf.clone(),
        error,
        receipt_code: f.receipt_code,
        found,
    });
    *res.status_mut() = status;
    if let Some(w) = wait {
        w.apply(&mut res);
    }
    Ok(finish_public(&st, res, &csrf, fresh))
}

// ----- staff pages ------------------------------------------------------------------------

/// The caller as a viewer of tip-offs; `None` for roles without tip-offs.
pub async fn viewer_of(st: &AppState, user: &CurrentUser) -> Result<Option<Viewer>, AppError> {
    Ok(tipoffs::viewer_for(&st.store, Some(user.id), user.role, &user.scope).await?)
}

async fn viewer(st: &AppState, user: &CurrentUser) -> Result<Viewer, AppError> {
    viewer_of(st, user).await?.ok_or(AppError::Forbidden)
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    pub status: Option<String>,
    pub overdue: Option<String>,
    pub page: Option<crate::pages::PageParam>,
    /// The outcome of a 催办 (units reminded, already reminded today).
    pub urged: Option<u64>,
    pub already: Option<u64>,
}

#[derive(Template)]
#[template(path = "enforcement/tipoffs/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<TipoffView>,
    total: u64,
    counts: tipoffs::Counts,
    statuses: &'static [Status],
    status: String,
    overdue: bool,
    is_intake: bool,
    page: u64,
    pages: u64,
    /// 催办 of the towns and departments with overdue tip-offs (the district, on 只看超期).
    urge: crate::pages::UrgeBox,
}

const PER_PAGE: u64 = 30;

/// `GET /tipoffs`: the tip-offs the caller may see.
pub async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListParams>,
) -> Result<Response, AppError> {
    let v = viewer(&st, &user).await?;
    let page = crate::pages::page_number(q.page);
    let overdue = q.overdue.as_deref() == Some("1");
    let lq = ListQuery {
        status: q.status.clone().filter(|s| !s.is_empty()),
        overdue,
    };
    let (rows, total) = tipoffs::list(&st.store, &user.actor(), v, &lq, page, PER_PAGE).await?;
    let counts = tipoffs::counts(&st.store, v).await?;
    Ok(render(ListPage {
        layout: Layout::new(&user, "举报处理", "tipoffs"),
        rows,
        total,
        counts,
        statuses: Status::ALL,
        status: q.status.unwrap_or_default(),
        overdue,
        is_intake: v == Viewer::Intake,
        page,
        pages: total.div_ceil(PER_PAGE).max(1),
        urge: crate::pages::UrgeBox {
            action: "/tipoffs/urge",
            csrf: user.csrf.clone(),
            fields: Vec::new(),
            button: (overdue
                && counts.overdue > 0
                && matches!(v, Viewer::Intake | Viewer::District | Viewer::DistrictOf(_)))
            .then(|| "一键催办承办单位".to_string()),
            units: "有超期举报的承办单位",
            result: q.urged.map(|n| (n, q.already.unwrap_or(0))),
        },
    }))
}

/// `POST /tipoffs/urge`: 催办 — the district reminds each town and department whose assigned
/// tip-offs are past their deadline (once a day per unit), then shows the overdue list with
/// how many were reminded.
pub async fn urge(State(st): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    let v = viewer(&st, &user).await?;
    let u = tipoffs::urge_overdue(&st.store, &user.actor(), v).await?;
    Ok(crate::pages::urged_redirect("/tipoffs?overdue=1", u))
}

#[derive(Template)]
#[template(path = "enforcement/tipoffs/detail.html")]
struct DetailPage {
    layout: Layout,
    t: TipoffView,
    events: Vec<TipoffEvent>,
    files: Vec<EvidenceFile>,
    is_intake: bool,
    /// Whether the caller hands the tip-off on: the intake duty, or (in a city) the
    /// district the city handed it to.
    can_assign: bool,
    can_close: bool,
    /// The districts the city's intake hands tip-offs to (empty elsewhere).
    districts: Vec<anpei_store::model::District>,
    departments: Vec<Department>,
    towns: Vec<Town>,
    max_extension: u32,
    error: Option<String>,
}

impl DetailPage {
    /// Whether the tip-off is closed (办结).
    fn closed(&self) -> bool {
        self.t.row.status == Status::Closed
    }

    /// A moment as China's local time.
    fn at(&self, ts: i64) -> String {
        anpei_store::clock::china_time(ts)
    }
}

async fn detail_page(
    st: &AppState,
    user: &CurrentUser,
    id: i32,
    error: Option<String>,
) -> Result<Response, AppError> {
    let v = viewer(st, user).await?;
    let (t, events) = tipoffs::get(&st.store, &user.actor(), v, id).await?;
    let files = tipoffs::attachments(&st.store, &t).await?;
    let closed = t.row.status == Status::Closed;
    let can_close = !closed && (v == Viewer::Intake || v.is_assignee(&t.row));
    let city_intake = v == Viewer::Intake
        && anpei_store::campaign::supervision::supervises_districts(&st.store, &user.scope).await?;
    // The city's intake hands to a district or to a city department; the districts' own
    // towns and departments are theirs to choose.
    let (districts, departments, towns) = if city_intake {
        let city_departments = reference::departments(&st.store, &user.scope)
            .await?
            .into_iter()
            .map(|(d, _)| d)
            .filter(|d| d.district_id.is_none())
            .collect();
        (
            reference::districts(&st.store, &user.scope).await?,
            city_departments,
            Vec::new(),
        )
    } else {
        (
            Vec::new(),
            reference::departments(&st.store, &user.scope)
                .await?
                .into_iter()
                .map(|(d, _)| d)
                .collect(),
            reference::towns(&st.store, &user.scope).await?,
        )
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut res = render(DetailPage {
        layout: Layout::new(user, format!("举报 {}", t.row.receipt_code), "tipoffs"),
        is_intake: v == Viewer::Intake,
        can_assign: !closed && matches!(v, Viewer::Intake | Viewer::DistrictOf(_)),
        can_close,
        districts,
        departments,
        towns,
        max_extension: st.store.params.tipoff_extend_max_days,
        t,
        events,
        files,
        error,
    });
    *res.status_mut() = status;
    Ok(res)
}

/// `GET /tipoffs/{id}`.
pub async fn detail(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    detail_page(&st, &user, id, None).await
}

/// `GET /tipoffs/{id}/files/{file}`: an attachment, to those who may see the tip-off.
pub async fn file(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((id, file_id)): Path<(i32, String)>,
) -> Result<Response, AppError> {
    let v = viewer(&st, &user).await?;
    // Visibility (and the audit of the access) through the store.
    let (t, _) = tipoffs::get(&st.store, &user.actor(), v, id).await?;
    let file_id: i32 = file_id.parse().map_err(|_| AppError::NotFound)?;
    let f = tipoffs::attachment(&st.store, &t, file_id).await?;
    let bytes = tokio::fs::read(st.config.evidence_dir().join(&f.stored_name))
        .await
        .map_err(|_| AppError::NotFound)?;
    let disposition =
        evidence::attachment_disposition(&f.file_name, &format!("tipoff-{id}-{file_id}"));
    Ok((
        [
            (header::CONTENT_TYPE, f.mime.clone()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

fn back(id: i32) -> Response {
    Redirect::to(&format!("/tipoffs/{id}")).into_response()
}

/// Runs an action; a validation refusal shows the page again with the message.
async fn act(
    st: &AppState,
    user: &CurrentUser,
    id: i32,
    r: anpei_store::StoreResult<()>,
) -> Result<Response, AppError> {
    match r {
        Ok(()) => Ok(back(id)),
        Err(anpei_store::StoreError::Validation(m)) => detail_page(st, user, id, Some(m)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    to: String,
}

/// `POST /tipoffs/{id}/assign`: `to` is `department:ID`, `town:ID` or (the city's intake)
/// `district:ID`.
pub async fn assign(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(f): Form<AssignForm>,
) -> Result<Response, AppError> {
    let v = viewer(&st, &user).await?;
    // The intake duty's action, or a city's district's: refused before the form is read.
    if !matches!(v, Viewer::Intake | Viewer::DistrictOf(_)) {
        return Err(AppError::Forbidden);
    }
    let Some(to) = Assignee::parse(&f.to) else {
        return detail_page(&st, &user, id, Some("交办单位：请选择部门或镇街".into())).await;
    };
    let r = tipoffs::assign(&st.store, &user.actor(), v, id, to).await;
    act(&st, &user, id, r).await
}

#[derive(Deserialize)]
pub struct ExtendForm {
    #[serde(default)]
    days: String,
    #[serde(default)]
    approved_by: String,
    #[serde(default)]
    reason: String,
}

/// `POST /tipoffs/{id}/extend`.
pub async fn extend(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(f): Form<ExtendForm>,
) -> Result<Response, AppError> {
    let v = viewer(&st, &user).await?;
    // The intake duty's action: refused before the form is even read.
    if v != Viewer::Intake {
        return Err(AppError::Forbidden);
    }
    let Ok(days) = f.days.trim().parse::<u32>() else {
        return detail_page(&st, &user, id, Some("延期天数：请填写整数".into())).await;
    };
    let r = tipoffs::extend(
        &st.store,
        &user.actor(),
        v,
        id,
        days,
        &f.approved_by,
        &f.reason,
    )
    .await;
    act(&st, &user, id, r).await
}

#[derive(Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    result: String,
    #[serde(default)]
    substantiated: String,
}

/// `POST /tipoffs/{id}/close`.
pub async fn close(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(f): Form<CloseForm>,
) -> Result<Response, AppError> {
    let v = viewer(&st, &user).await?;
    let substantiated = match f.substantiated.as_str() {
        "yes" => true,
        "no" => false,
        _ => return detail_page(&st, &user, id, Some("核查结论：请选择属实或不属实".into())).await,
    };
    let r = tipoffs::close(&st.store, &user.actor(), v, id, &f.result, substantiated).await;
    act(&st, &user, id, r).await
}

#[derive(Deserialize)]
pub struct FeedbackForm {
    #[serde(default)]
    text: String,
}

/// `POST /tipoffs/{id}/feedback`.
pub async fn feedback(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(f): Form<FeedbackForm>,
) -> Result<Response, AppError> {
    let v = viewer(&st, &user).await?;
    let r = tipoffs::feedback(&st.store, &user.actor(), v, id, &f.text).await;
    act(&st, &user, id, r).await
}

#[derive(Template)]
#[template(path = "enforcement/tipoffs/new.html")]
struct NewPage {
    layout: Layout,
    categories: &'static [Category],
    channels: Vec<Channel>,
    error: Option<String>,
}

/// `GET /tipoffs/new`: the intake duty records a hotline, letter or visit tip-off.
pub async fn new_form(State(st): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    if viewer(&st, &user).await? != Viewer::Intake {
        return Err(AppError::Forbidden);
    }
    Ok(render(NewPage {
        layout: Layout::new(&user, "登记举报", "tipoffs"),
        categories: Category::ALL,
        channels: staff_channels(),
        error: None,
    }))
}

fn staff_channels() -> Vec<Channel> {
    Channel::ALL
        .iter()
        .copied()
        .filter(|c| *c != Channel::Web)
        .collect()
}

#[derive(Deserialize)]
pub struct NewForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    subject_text: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    anonymous: Option<String>,
    #[serde(default)]
    reporter_name: String,
    #[serde(default)]
    reporter_contact: String,
}

#[derive(Template)]
#[template(path = "enforcement/tipoffs/recorded.html")]
struct RecordedPage {
    layout: Layout,
    id: i32,
    receipt_code: String,
    query_password: String,
}

/// `POST /tipoffs/new`.
pub async fn create(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<NewForm>,
) -> Result<Response, AppError> {
    if viewer(&st, &user).await? != Viewer::Intake {
        return Err(AppError::Forbidden);
    }
    if !staff_channels().iter().any(|c| c.code() == f.channel) {
        return Err(AppError::BadRequest("举报渠道：请选择".into()));
    }
    let new = NewTipoff {
        channel: f.channel,
        category: f.category,
        subject_text: f.subject_text,
        description: f.description,
        anonymous: f.anonymous.is_some(),
        reporter_name: f.reporter_name,
        reporter_contact: f.reporter_contact,
        submission_key: None,
    };
    match tipoffs::submit(&st.store, Some(&user.actor()), new).await {
        Ok(r) => Ok(render(RecordedPage {
            layout: Layout::new(&user, "举报已登记", "tipoffs"),
            id: r.id,
            receipt_code: r.receipt_code,
            query_password: r.query_password,
        })),
        Err(anpei_store::StoreError::Validation(m)) => {
            let mut res = render(NewPage {
                layout: Layout::new(&user, "登记举报", "tipoffs"),
                categories: Category::ALL,
                channels: staff_channels(),
                error: Some(m),
            });
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}
