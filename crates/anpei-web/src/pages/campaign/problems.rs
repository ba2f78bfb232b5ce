//! 问题清单: the problem list in the caller's scope (a subject sees its own, a town or
//! department its subjects', the district all) with filters and counts by status, its xlsx
//! export in the usual government layout and its Word document to sign and stamp (same
//! filters), a problem's page with its history and evidence,
//! and the forms: a supervisor's new problem, the subject's rectification (with a photo),
//! the supervisor's verification (销号) or rejection.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{is_htmx, nonempty, paging, render, Layout, Pager};
use crate::{evidence, AppState};
use anpei_core::SubjectKind;
use anpei_store::campaign::problems::{
    self, Action, HistoryEntry, ProblemFilter, ProblemInput, ProblemRow, ProblemStatus, Source,
    StatusCounts, StatusFilter,
};
use anpei_store::model::{Campaign, Department, Town};
use anpei_store::Reach;
use anpei_store::{campaign::progress, registry::reference, registry::subjects, StoreError};
use askama::Template;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

/// Query of the list and the export.
#[derive(Debug, Default, Deserialize)]
pub struct ProblemQuery {
    pub campaign: Option<String>,
    pub status: Option<String>,
    pub source: Option<String>,
    pub town: Option<String>,
    pub department: Option<String>,
    pub kind: Option<String>,
    pub subject_id: Option<String>,
    pub q: Option<String>,
    pub page: Option<crate::pages::PageParam>,
    pub per_page: Option<crate::pages::PageParam>,
    /// The outcome of a 催办 (units reminded, already reminded today).
    pub urged: Option<u64>,
    pub already: Option<u64>,
}

/// An id parameter: absent or blank is `None`; anything else that is not an id matches
/// nothing (`-1`), so a mistyped link shows an empty list rather than everything.
fn id_param(o: &Option<String>) -> Option<i32> {
    nonempty(o).map(|s| s.parse().unwrap_or(-1))
}

impl ProblemQuery {
    pub fn filter(&self, towns: &[Town]) -> ProblemFilter {
        ProblemFilter {
            campaign_id: id_param(&self.campaign),
            status: nonempty(&self.status).and_then(|s| StatusFilter::parse(&s)),
            source: nonempty(&self.source).and_then(|s| Source::from_code(&s)),
            town_id: crate::pages::town_param(&self.town, towns),
            department_id: id_param(&self.department),
            kind: nonempty(&self.kind)
                .and_then(|k| SubjectKind::from_code(&k).or_else(|| SubjectKind::from_label(&k))),
            subject_id: id_param(&self.subject_id),
            q: nonempty(&self.q),
        }
    }

    /// The query string of the filters, without `status` and `page`.
    fn filters_query(&self) -> String {
        crate::pages::query_string(&[
            ("campaign", &self.campaign),
            ("source", &self.source),
            ("town", &self.town),
            ("department", &self.department),
            ("kind", &self.kind),
            ("subject_id", &self.subject_id),
            ("q", &self.q),
        ])
    }

    /// The query string of all filters (pager and export links).
    fn base_query(&self) -> String {
        let f = self.filters_query();
        match nonempty(&self.status) {
            Some(s) if f.is_empty() => crate::pages::query_string(&[("status", &Some(s))]),
            Some(s) => format!(
                "{f}&{}",
                crate::pages::query_string(&[("status", &Some(s))])
            ),
            None => f,
        }
    }
}

/// A status tab of the list: its link, label and count.
pub struct Tab {
    pub code: &'static str,
    pub label: &'static str,
    pub n: i64,
    pub href: String,
    pub active: bool,
}

fn tabs(q: &ProblemQuery, c: &StatusCounts) -> Vec<Tab> {
    let base = q.filters_query();
    let current = nonempty(&q.status).unwrap_or_default();
    let link = |code: &str| {
        let mut parts = Vec::new();
        if !base.is_empty() {
            parts.push(base.clone());
        }
        if !code.is_empty() {
            parts.push(format!("status={code}"));
        }
        if parts.is_empty() {
            "/problems".to_string()
        } else {
            format!("/problems?{}", parts.join("&"))
        }
    };
    let mut v = vec![Tab {
        code: "",
        label: "全部",
        n: c.total,
        href: link(""),
        active: current.is_empty(),
    }];
    for s in ProblemStatus::ALL {
        v.push(Tab {
            code: s.code(),
            label: s.label(),
            n: c.of(s),
            href: link(s.code()),
            active: current == s.code(),
        });
    }
    v.push(Tab {
        code: "overdue",
        label: "逾期",
        n: c.overdue,
        href: link("overdue"),
        active: current == "overdue",
    });
    v
}

#[derive(Template)]
#[template(path = "campaign/problems/list.html")]
struct ListPage {
    layout: Layout,
    results: Results,
    tabs: Vec<Tab>,
    q: ProblemQuery,
    campaigns: Vec<Campaign>,
    towns: Vec<Town>,
    departments: Vec<Department>,
    kinds: &'static [SubjectKind],
    sources: [Source; 5],
    show_town: bool,
    show_department: bool,
    can_create: bool,
    export_query: String,
    /// 催办 of the subjects with overdue problems (supervisors, on the 逾期 tab).
    urge: crate::pages::UrgeBox,
}

#[derive(Template)]
#[template(path = "campaign/problems/results.html")]
struct Results {
    rows: Vec<ProblemRow>,
    pager: Pager,
    show_subject: bool,
}

fn is_supervisor(user: &CurrentUser) -> bool {
    crate::Perm::Supervise.allows(Some(user.role))
}

#[tracing::instrument(skip_all)]
pub async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(mut q): Query<ProblemQuery>,
) -> Result<Response, AppError> {
    let towns = reference::towns(&st.store, &user.scope).await?;
    crate::pages::canonical_filters(&mut q.town, &mut q.kind, &towns);
    let f = q.filter(&towns);
    let (page, per_page) = paging(q.page, q.per_page);
    let (rows, total) = problems::list(&st.store, &user.scope, &f, page, per_page).await?;
    let results = Results {
        rows,
        pager: Pager {
            page,
            per_page,
            total,
            base_query: q.base_query(),
        },
        show_subject: !matches!(user.scope.reach(), Reach::Subject(_)),
    };
    if is_htmx(&headers) {
        return Ok(render(results));
    }
    let counts = problems::counts(&st.store, &user.scope, &f).await?;
    let departments = reference::departments(&st.store, &user.scope)
        .await?
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    Ok(render(ListPage {
        layout: Layout::new(&user, "问题清单", "problems"),
        results,
        tabs: tabs(&q, &counts),
        campaigns: progress::campaigns(&st.store, &user.scope).await?,
        towns,
        departments,
        kinds: SubjectKind::ALL,
        sources: Source::ALL,
        show_town: matches!(
            user.scope.reach(),
            Reach::All | Reach::District(_) | Reach::Department(_) | Reach::CityDepartment(_)
        ),
        show_department: matches!(
            user.scope.reach(),
            Reach::All | Reach::District(_) | Reach::Town(_)
        ),
        can_create: is_supervisor(&user),
        export_query: q.base_query(),
        urge: crate::pages::UrgeBox {
            action: "/problems/urge",
            csrf: user.csrf.clone(),
            fields: crate::pages::UrgeBox::filters(&[
                ("campaign", &q.campaign),
                ("source", &q.source),
                ("town", &q.town),
                ("department", &q.department),
                ("kind", &q.kind),
                ("subject_id", &q.subject_id),
                ("q", &q.q),
            ]),
            button: (f.status == Some(StatusFilter::Overdue)
                && counts.overdue > 0
                && is_supervisor(&user))
            .then(|| format!("一键催办（{} 项逾期问题）", counts.overdue)),
            units: "有逾期问题的单位",
            result: q.urged.map(|n| (n, q.already.unwrap_or(0))),
        },
        q,
    }))
}

/// `POST /problems/urge`: 催办 — reminds every subject of the list's filters that has
/// problems past their deadline (once a day per subject), then shows the 逾期 list again with
/// how many were reminded.
#[tracing::instrument(skip_all)]
pub async fn urge(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(q): Form<ProblemQuery>,
) -> Result<Response, AppError> {
    let towns = reference::towns(&st.store, &user.scope).await?;
    let u =
        problems::urge_overdue(&st.store, &user.scope, &user.actor(), &q.filter(&towns)).await?;
    let filters = q.filters_query();
    let list = if filters.is_empty() {
        "/problems?status=overdue".to_string()
    } else {
        format!("/problems?{filters}&status=overdue")
    };
    Ok(crate::pages::urged_redirect(&list, u))
}

/// The filtered list as both exports write it, with its title and 落款.
struct Export {
    title: String,
    /// The unit the list goes out under (the 落款 of the Word document).
    signer: String,
    rows: Vec<ProblemRow>,
}

async fn export_rows(
    st: &AppState,
    user: &CurrentUser,
    q: &ProblemQuery,
) -> Result<Export, AppError> {
    let towns = reference::towns(&st.store, &user.scope).await?;
    let f = q.filter(&towns);
    let rows = problems::all(&st.store, &user.scope, &f).await?;
    let (title, signer) = export_title(st, user, &f, &towns).await?;
    Ok(Export {
        title,
        signer,
        rows,
    })
}

/// A problem as a row of the exports; `closed_at` is the 销号 time (the workbook) or date
/// (the document).
fn list_row(r: &ProblemRow, closed_at: String) -> anpei_import::ProblemListRow {
    anpei_import::ProblemListRow {
        unit: r.subject_name.clone(),
        description: r.description.clone(),
        measures: r.measures.clone(),
        deadline: r.deadline.to_string(),
        responsible: r.responsible_name.clone(),
        phone_masked: r.responsible_phone_masked.clone().unwrap_or_default(),
        source: r.source_label().to_string(),
        status: if r.overdue {
            format!("{}（逾期）", r.status_label())
        } else {
            r.status_label().to_string()
        },
        closed_at,
    }
}

/// `GET /problems/export.xlsx`: the filtered list in the usual layout (title row, header
/// row, borders, masked phones, neutralised cells); audited with its row count.
#[tracing::instrument(skip_all)]
pub async fn export(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ProblemQuery>,
) -> Result<Response, AppError> {
    let Export { title, rows, .. } = export_rows(&st, &user, &q).await?;
    let list: Vec<anpei_import::ProblemListRow> = rows
        .iter()
        .map(|r| list_row(r, r.closed_at_text()))
        .collect();
    let footer = format!(
        "导出：{}　{}",
        user.display_name,
        problems::china_time(st.store.now())
    );
    let n = list.len();
    let bytes = anpei_import::problem_list_xlsx(&title, &list, &footer)
        .map_err(|e| AppError::Internal(e.into()))?;
    anpei_store::platform::audit::record(
        &st.store,
        &user.actor(),
        anpei_store::platform::audit::Event::ok("export.problems", "problems")
            .with_detail(format!("rows={n} query={}", q.base_query())),
    )
    .await?;
    let disposition = evidence::attachment_disposition(&format!("{title}.xlsx"), "problems.xlsx");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /problems/export.docx`: the same list as a Word document to sign and stamp
/// (landscape A4, the title, the date and count, the table with masked phones, the
/// exporting unit and the date as 落款); audited like the workbook, with its format.
#[tracing::instrument(skip_all)]
pub async fn export_docx(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ProblemQuery>,
) -> Result<Response, AppError> {
    let Export {
        title,
        signer,
        rows,
    } = export_rows(&st, &user, &q).await?;
    let list: Vec<anpei_import::ProblemListRow> = rows
        .iter()
        .map(|r| {
            let closed = r
                .closed_at
                .and_then(anpei_store::clock::china_date)
                .map(|d| d.to_string());
            list_row(r, closed.unwrap_or_default())
        })
        .collect();
    let n = list.len();
    let today = st.store.today();
    let doc_title = title.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        anpei_import::problem_list_docx(&doc_title, &list, &signer, today)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(|e| AppError::Internal(e.into()))?;
    anpei_store::platform::audit::record(
        &st.store,
        &user.actor(),
        anpei_store::platform::audit::Event::ok("export.problems", "problems")
            .with_detail(format!("format=docx rows={n} query={}", q.base_query())),
    )
    .await?;
    Ok(crate::evidence::docx_download(
        &format!("{title}.docx"),
        "problems.docx",
        bytes,
    ))
}

/// The campaign's name when none is chosen and none is recorded.
const DEFAULT_CAMPAIGN_NAME: &str = "安全生产培训“走过场”专项整治";

/// The title, "XX镇安全生产培训“走过场”专项整治问题清单": the unit is the caller's own (a
/// subject, a town, a department), or for the district the town, department or subject
/// filtered on, else 全区; and the unit the list goes out under: the caller's own, or for
/// the district the campaign's issuing office.
async fn export_title(
    st: &AppState,
    user: &CurrentUser,
    f: &ProblemFilter,
    towns: &[Town],
) -> Result<(String, String), AppError> {
    let town_name = |id: i32| towns.iter().find(|t| t.id == id).map(|t| t.name.clone());
    let dep_name = |id: i32| async move {
        Ok::<_, AppError>(
            reference::departments(&st.store, &user.scope)
                .await?
                .into_iter()
                .find(|(d, _)| d.id == id)
                .map(|(d, _)| d.name),
        )
    };
    let subject_name = |id: i32| async move {
        Ok::<_, AppError>(
            subjects::get(&st.store, &user.scope, id)
                .await?
                .map(|s| s.name),
        )
    };
    let unit = match user.scope.reach() {
        Reach::Subject(id) => subject_name(id).await?,
        Reach::Town(t) => town_name(t),
        Reach::Department(d) => dep_name(d).await?,
        _ => match (f.subject_id, f.town_id, f.department_id) {
            (Some(s), _, _) => subject_name(s).await?,
            (None, Some(t), _) => town_name(t),
            (None, None, Some(d)) => dep_name(d).await?,
            _ => None,
        },
    }
    .unwrap_or_else(|| "全区".into());
    let campaign = match f.campaign_id {
        Some(id) => progress::campaigns(&st.store, &user.scope)
            .await?
            .into_iter()
            .find(|c| c.id == id),
        None => progress::current_campaign(&st.store, &user.scope).await?,
    };
    let signer = match user.scope.reach() {
        Reach::Subject(_) | Reach::Town(_) | Reach::Department(_) => unit.clone(),
        _ => campaign
            .as_ref()
            .map_or_else(|| DEFAULT_ISSUER.to_string(), |c| c.issuing_office.clone()),
    };
    let name = campaign.map_or_else(|| DEFAULT_CAMPAIGN_NAME.to_string(), |c| c.name);
    Ok((format!("{unit}{name}问题清单"), signer))
}

/// The district's office when no campaign is recorded.
const DEFAULT_ISSUER: &str = "重庆市渝北区安全生产委员会办公室";

#[derive(Template)]
#[template(path = "campaign/problems/detail.html")]
struct DetailPage {
    layout: Layout,
    p: ProblemRow,
    history: Vec<HistoryEntry>,
    can_rectify: bool,
    can_verify: bool,
    csrf_query: String,
    message: Option<&'static str>,
    error: Option<String>,
    text: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    done: Option<String>,
}

fn flash_message(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "created" => Some("问题已登记，已通知该单位。"),
        "rectify" => Some("整改情况已保存。"),
        "request_verification" => Some("已申请核验，等待监管部门核验。"),
        "verify" => Some("已核验销号。"),
        "reject" => Some("已退回整改，已通知该单位。"),
        _ => None,
    }
}

async fn detail_page(
    st: &AppState,
    user: &CurrentUser,
    id: i32,
    message: Option<&'static str>,
    error: Option<(String, String)>,
) -> Result<Response, AppError> {
    let p = problems::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let history = problems::history(&st.store, &user.scope, id).await?;
    let status = p.status();
    let open = matches!(
        status,
        Some(ProblemStatus::Pending | ProblemStatus::InProgress)
    );
    let can_rectify = open && user.scope.reach() == Reach::Subject(p.subject_id);
    let can_verify = status == Some(ProblemStatus::AwaitingVerification)
        && match user.scope.reach() {
            Reach::All | Reach::District(_) => true,
            Reach::Town(t) => t == p.town_id,
            Reach::Department(d) => d == p.department_id,
            _ => false,
        };
    let failed = error.is_some();
    let (error, text) = error.map_or((None, String::new()), |(e, t)| (Some(e), t));
    let mut res = render(DetailPage {
        layout: Layout::new(user, format!("问题详情 · {}", p.subject_name), "problems"),
        csrf_query: crate::pages::query_string(&[("_csrf", &Some(user.csrf.clone()))]),
        p,
        history,
        can_rectify,
        can_verify,
        message,
        error,
        text,
    });
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

pub async fn detail(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Query(flash): Query<Flash>,
) -> Result<Response, AppError> {
    detail_page(&st, &user, id, flash_message(flash.done.as_deref()), None).await
}

/// A refusal the user can correct: shown on the problem's page above its forms.
fn correctable(e: &StoreError) -> Option<String> {
    match e {
        StoreError::Validation(m) | StoreError::Conflict(m) => Some(m.clone()),
        StoreError::Fields(_) => Some(e.to_string()),
        _ => None,
    }
}

fn done(id: i32, action: &str) -> Response {
    Redirect::to(&format!("/problems/{id}?done={action}")).into_response()
}

/// `POST /problems/{id}/rectify` (multipart: `text`, `complete`, optional `file`): the
/// subject's rectification update, or with `complete=1` its request for verification.
#[tracing::instrument(skip_all)]
pub async fn rectify(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    req: Request,
) -> Result<Response, AppError> {
    // Scope first: a foreign id answers 404 whatever its body.
    problems::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mp = Multipart::from_request(req, &st)
        .await
        .map_err(|_| AppError::BadRequest("表单格式错误，请在问题页面上重新填写后提交。".into()))?;
    let form = match evidence::read_upload(mp, evidence::limits(&st).max_bytes).await {
        Ok(f) => f,
        Err(AppError::BadRequest(m)) => {
            return detail_page(&st, &user, id, None, Some((m, String::new()))).await
        }
        Err(e) => return Err(e),
    };
    let text = form.field("text").unwrap_or("").to_string();
    let action = if form.field("complete").is_some_and(|v| v == "1") {
        Action::RequestVerification
    } else {
        Action::Rectify
    };
    // The photo is checked and its bytes stored before anything is written; its row comes
    // with the update in one transaction, so a refused file or a refused update leaves the
    // problem as it was.
    let attachment = match &form.file {
        Some((name, bytes)) => match async {
            crate::ingest_file::screen_evidence(&st, name, bytes)?;
            evidence::stage(&st, name, bytes).await
        }
        .await
        {
            Ok(a) => Some(a),
            Err(AppError::BadRequest(e)) => {
                let m = format!("佐证材料“{}”：{e}", evidence::clean_name(name));
                return detail_page(&st, &user, id, None, Some((m, text))).await;
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    match problems::act_with(
        &st.store,
        &user.scope,
        &user.actor(),
        &user.display_name,
        id,
        action,
        &text,
        attachment.as_ref(),
    )
    .await
    {
        Ok(_) => {}
        Err(e) => match correctable(&e) {
            Some(m) => return detail_page(&st, &user, id, None, Some((m, text))).await,
            None => return Err(e.into()),
        },
    };
    Ok(done(id, action.code()))
}

#[derive(Debug, Default, Deserialize)]
pub struct ActForm {
    #[serde(default)]
    text: String,
}

async fn supervise(
    st: &AppState,
    user: &CurrentUser,
    id: i32,
    action: Action,
    text: &str,
) -> Result<Response, AppError> {
    match problems::act(
        &st.store,
        &user.scope,
        &user.actor(),
        &user.display_name,
        id,
        action,
        text,
    )
    .await
    {
        Ok(_) => Ok(done(id, action.code())),
        Err(e) => match correctable(&e) {
            Some(m) => detail_page(st, user, id, None, Some((m, text.to_string()))).await,
            None => Err(e.into()),
        },
    }
}

/// `POST /problems/{id}/verify`: 核验销号 (the subject's supervisors).
pub async fn verify(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(f): Form<ActForm>,
) -> Result<Response, AppError> {
    supervise(&st, &user, id, Action::Verify, &f.text).await
}

/// `POST /problems/{id}/reject`: 退回整改 with a reason (the subject's supervisors).
pub async fn reject(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(f): Form<ActForm>,
) -> Result<Response, AppError> {
    supervise(&st, &user, id, Action::Reject, &f.text).await
}

#[derive(Template)]
#[template(path = "campaign/problems/form.html")]
struct FormPage {
    layout: Layout,
    input: ProblemInput,
    errors: Vec<(&'static str, String)>,
    sources: [Source; 4],
    campaigns: Vec<Campaign>,
    /// The subject chosen beforehand (from a subject's page or a filtered list).
    subject_name: Option<String>,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn form_page(
    st: &AppState,
    user: &CurrentUser,
    input: ProblemInput,
    errors: Vec<(&'static str, String)>,
) -> Result<Response, AppError> {
    let subject_name = match input.subject_id.trim().parse::<i32>() {
        Ok(id) => subjects::get(&st.store, &user.scope, id)
            .await?
            .map(|s| s.name),
        Err(_) => None,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut res = render(FormPage {
        layout: Layout::new(user, "登记问题", "problems"),
        input,
        errors,
        sources: Source::BY_SUPERVISOR,
        campaigns: progress::campaigns(&st.store, &user.scope).await?,
        subject_name,
    });
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    subject_id: Option<String>,
}

/// `GET /problems/new[?subject_id=…]`: a supervisor's form for a problem found in an
/// inspection, the district's supervision, a tip-off or by the rule engine.
pub async fn new_form(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(nq): Query<NewQuery>,
) -> Result<Response, AppError> {
    let current = progress::current_campaign(&st.store, &user.scope).await?;
    let input = ProblemInput {
        subject_id: nq.subject_id.unwrap_or_default(),
        source: Source::Enforcement.code().into(),
        campaign_id: current.map(|c| c.id.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    form_page(&st, &user, input, vec![]).await
}

/// `POST /problems`: creates the problem (the subject's users are notified).
pub async fn create(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(input): Form<ProblemInput>,
) -> Result<Response, AppError> {
    match problems::create(
        &st.store,
        &user.scope,
        &user.actor(),
        &user.display_name,
        &input,
    )
    .await
    {
        Ok(id) => Ok(done(id, "created")),
        Err(StoreError::Fields(errs)) => form_page(&st, &user, input, errs).await,
        Err(e) => Err(e.into()),
    }
}
