//! 执法检查: the inspections a department, town or the district records (list, new, one
//! inspection with its decisions), the list of enforcement actions, the coverage page
//! ([`coverage`]) and typical cases, managed by the district and published on a public
//! page ([`cases`]), and the public's tip-offs ([`tipoffs`]). Every page but the public ones
//! is for supervisors only; a subject user never reaches them.

pub mod cases;
pub mod coverage;
pub mod tipoffs;

use super::{paging, render, Layout, Pager};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::{evidence, AppState};
use anpei_core::enforcement::{ActionKind, FineStage};
use anpei_core::SubjectKind;
use anpei_store::enforcement::{
    self as store, actions, ActionInput, ActionRow, Holder, InspectionDetail, InspectionFilter,
    InspectionInput, InspectionRow,
};
use anpei_store::model::{ChecklistItem, EvidenceFile, Town};
use anpei_store::{registry::reference, registry::subjects, StoreError};
use askama::Template;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

fn with_status(mut res: Response, status: StatusCode) -> Response {
    *res.status_mut() = status;
    res
}

fn field_error<'a>(errors: &'a [(&'static str, String)], field: &str) -> Vec<&'a str> {
    errors
        .iter()
        .filter(|(f, _)| *f == field)
        .map(|(_, m)| m.as_str())
        .collect()
}

// ---- list -------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub subject_id: Option<String>,
    pub town: Option<String>,
    pub kind: Option<String>,
    pub done: Option<String>,
    pub page: Option<super::PageParam>,
    pub per_page: Option<super::PageParam>,
}

#[derive(Template)]
#[template(path = "enforcement/inspections.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<InspectionRow>,
    pager: Pager,
    q: ListQuery,
    towns: Vec<Town>,
    kinds: &'static [SubjectKind],
}

/// `GET /inspections`: the inspections of subjects in the caller's scope.
#[tracing::instrument(skip_all)]
pub async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let towns = reference::towns(&st.store, &user.scope).await?;
    let f = InspectionFilter {
        subject_id: super::nonempty(&q.subject_id).map(|s| s.parse().unwrap_or(-1)),
        town_id: super::town_param(&q.town, &towns),
        kind: super::nonempty(&q.kind).and_then(|k| SubjectKind::from_code(&k)),
        ..Default::default()
    };
    let (page, per_page) = paging(q.page, q.per_page);
    let (rows, total) = store::list(&st.store, &user.scope, &f, page, per_page).await?;
    let base_query = super::query_string(&[
        ("subject_id", &q.subject_id),
        ("town", &q.town),
        ("kind", &q.kind),
    ]);
    Ok(render(ListPage {
        layout: Layout::new(&user, "执法检查", "inspections"),
        rows,
        pager: Pager {
            page,
            per_page,
            total,
            base_query,
        },
        q,
        towns,
        kinds: SubjectKind::ALL,
    }))
}

// ---- new --------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "enforcement/pick.html")]
struct PickPage {
    layout: Layout,
    q: String,
    error: Option<String>,
    matches: Vec<anpei_store::registry::subjects::SubjectRow>,
}

#[derive(Template)]
#[template(path = "enforcement/new.html")]
struct NewPage {
    layout: Layout,
    subject: anpei_store::registry::subjects::SubjectRow,
    items: Vec<ChecklistItem>,
    holders: Vec<Holder>,
    input: InspectionInput,
    errors: Vec<(&'static str, String)>,
    pass_mark: i32,
}

impl NewPage {
    fn errors_of(&self, field: &str) -> Vec<&str> {
        field_error(&self.errors, field)
    }

    fn score(&self, person_id: &i32) -> &str {
        self.input.score_of(*person_id)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    subject_id: Option<String>,
    /// 立案 from a 问题线索 (carried into the form).
    finding_id: Option<String>,
    /// What a person types to find the subject: its code or (part of) its name.
    q: Option<String>,
}

async fn pick_page(
    st: &AppState,
    user: &CurrentUser,
    q: &str,
    error: Option<String>,
) -> Result<Response, AppError> {
    let matches = if q.trim().is_empty() {
        Vec::new()
    } else {
        let f = anpei_store::registry::subjects::SubjectFilter {
            q: Some(q.trim().to_string()),
            ..Default::default()
        };
        subjects::list(&st.store, &user.scope, &f, 1, 20).await?.0
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(with_status(
        render(PickPage {
            layout: Layout::new(user, "登记执法检查", "inspections"),
            q: q.to_string(),
            error,
            matches,
        }),
        status,
    ))
}

async fn new_page(
    st: &AppState,
    user: &CurrentUser,
    subject_id: i32,
    input: InspectionInput,
    errors: Vec<(&'static str, String)>,
) -> Result<Response, AppError> {
    if !store::is_supervisor(&user.scope) {
        return Err(AppError::Forbidden);
    }
    let subject = subjects::get(&st.store, &user.scope, subject_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let kind = subject.kind().unwrap_or(SubjectKind::Enterprise);
    let (_, items) = store::checklist(&st.store, kind, None).await?;
    let holders = store::holders(&st.store, &user.scope, subject_id).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(with_status(
        render(NewPage {
            layout: Layout::new(user, format!("执法检查 · {}", subject.name), "inspections"),
            subject,
            items,
            holders,
            input,
            errors,
            pass_mark: st.store.params.exam_pass_score,
        }),
        status,
    ))
}

/// `GET /inspections/new[?subject_id=…|?q=…]`: the subject's checklist form, or a search
/// for the subject first.
pub async fn new_form(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(nq): Query<NewQuery>,
) -> Result<Response, AppError> {
    match super::nonempty(&nq.subject_id).map(|s| s.parse::<i32>()) {
        Some(Ok(id)) => {
            let today = st.store.today();
            let input = InspectionInput {
                subject_id: id.to_string(),
                inspected_on: today.to_string(),
                rectify_deadline: (today + chrono::Days::new(store::DEFAULT_RECTIFY_DAYS))
                    .to_string(),
                finding_id: super::nonempty(&nq.finding_id).unwrap_or_default(),
                ..Default::default()
            };
            new_page(&st, &user, id, input, Vec::new()).await
        }
        Some(Err(_)) => Err(AppError::NotFound),
        None => pick_page(&st, &user, nq.q.as_deref().unwrap_or(""), None).await,
    }
}

/// `POST /inspections`: records the inspection (findings become problems) and shows it.
#[tracing::instrument(skip_all)]
pub async fn create(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let input = InspectionInput::from_pairs(&pairs);
    let Ok(subject_id) = input.subject_id.trim().parse::<i32>() else {
        return pick_page(
            &st,
            &user,
            "",
            Some("被检查单位：请先查找并选择本辖区内的单位".into()),
        )
        .await;
    };
    match store::record(
        &st.store,
        &user.scope,
        &user.actor(),
        &user.display_name,
        &input,
    )
    .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/inspections/{id}?done=created")).into_response()),
        Err(StoreError::Fields(errs)) => new_page(&st, &user, subject_id, input, errs).await,
        Err(e) => Err(e.into()),
    }
}

// ---- one inspection ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "enforcement/inspection.html")]
struct DetailPage {
    layout: Layout,
    d: InspectionDetail,
    documents: Vec<(i32, Vec<EvidenceFile>)>,
    kinds: Vec<ActionKind>,
    stages: [FineStage; 2],
    input: ActionInput,
    errors: Vec<(&'static str, String)>,
    message: Option<&'static str>,
    csrf_query: String,
    today: String,
}

impl DetailPage {
    fn errors_of(&self, field: &str) -> Vec<&str> {
        field_error(&self.errors, field)
    }

    fn docs(&self, action_id: &i32) -> Vec<&EvidenceFile> {
        self.documents
            .iter()
            .filter(|(id, _)| id == action_id)
            .flat_map(|(_, v)| v.iter())
            .collect()
    }

    fn basis_default(&self, k: &ActionKind) -> &'static str {
        k.default_legal_basis()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    done: Option<String>,
}

fn flash(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "created" => Some("执法检查已登记；存在问题的项目已列入该单位问题清单并通知该单位。"),
        "action" => Some("执法决定已登记。"),
        _ => None,
    }
}

async fn detail_page(
    st: &AppState,
    user: &CurrentUser,
    id: i32,
    message: Option<&'static str>,
    input: ActionInput,
    errors: Vec<(&'static str, String)>,
) -> Result<Response, AppError> {
    if !store::is_supervisor(&user.scope) {
        return Err(AppError::Forbidden);
    }
    let d = store::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ids: Vec<i32> = d.actions.iter().map(|a| a.id).collect();
    let files = evidence::list(st, store::DOCUMENT_OWNER, &ids).await?;
    let documents = ids
        .iter()
        .map(|a| {
            (
                *a,
                files.iter().filter(|f| f.owner_id == *a).cloned().collect(),
            )
        })
        .collect();
    let kind = d.kind();
    let kinds = ActionKind::ALL
        .into_iter()
        .filter(|k| k.check_applies_to(kind).is_ok())
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(with_status(
        render(DetailPage {
            layout: Layout::new(
                user,
                format!("执法检查 · {}", d.subject.name),
                "inspections",
            ),
            d,
            documents,
            kinds,
            stages: FineStage::ALL,
            input,
            errors,
            message,
            csrf_query: super::query_string(&[("_csrf", &Some(user.csrf.clone()))]),
            today: st.store.today().to_string(),
        }),
        status,
    ))
}

/// `GET /inspections/{id}`.
pub async fn detail(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Query(f): Query<Flash>,
) -> Result<Response, AppError> {
    detail_page(
        &st,
        &user,
        id,
        flash(f.done.as_deref()),
        ActionInput::default(),
        Vec::new(),
    )
    .await
}

fn action_input(form: &evidence::UploadForm) -> ActionInput {
    let f = |n: &str| form.field(n).unwrap_or("").to_string();
    ActionInput {
        kind: f("kind"),
        legal_basis: f("legal_basis"),
        decision_no: f("decision_no"),
        decided_on: f("decided_on"),
        deadline: f("deadline"),
        fine_stage: f("fine_stage"),
        amount_unit: f("amount_unit"),
        persons: f("persons"),
        text: f("text"),
    }
}

/// `POST /inspections/{id}/actions` (multipart, `?_csrf=`): an enforcement decision with
/// its document (决定书, optional). The fine is checked against 第九十七条; a refusal
/// re-shows the inspection with the message and nothing stored.
#[tracing::instrument(skip_all)]
pub async fn add_action(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    req: Request,
) -> Result<Response, AppError> {
    // Scope first: a foreign id answers 404 whatever its body.
    let d = store::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let bad = |m: String| vec![("form", m)];
    let mp = match Multipart::from_request(req, &st).await {
        Ok(mp) => mp,
        Err(_) => {
            let e = bad("表单格式错误，请在检查页面上重新填写后提交。".into());
            return detail_page(&st, &user, id, None, ActionInput::default(), e).await;
        }
    };
    let limits = evidence::limits(&st);
    let form = match evidence::read_upload(mp, limits.max_bytes).await {
        Ok(f) => f,
        Err(AppError::BadRequest(m)) => {
            return detail_page(&st, &user, id, None, ActionInput::default(), bad(m)).await
        }
        Err(e) => return Err(e),
    };
    let input = action_input(&form);
    // The document is checked and its bytes kept before anything is written; its row goes in
    // with the decision, in one transaction.
    let document = match &form.file {
        Some((name, bytes)) => {
            let clean = evidence::clean_name(name);
            let staged = match crate::ingest_file::check_upload(
                &st,
                crate::ingest_file::UploadUse::Evidence,
                &clean,
                bytes,
            ) {
                Ok(_) => evidence::stage(&st, name, bytes).await,
                Err(e) => Err(AppError::BadRequest(e.to_string())),
            };
            match staged {
                Ok(a) => Some(a),
                Err(AppError::BadRequest(e)) => {
                    let e = vec![("file", format!("文书“{clean}”：{e}"))];
                    return detail_page(&st, &user, id, None, input, e).await;
                }
                Err(e) => return Err(e),
            }
        }
        None => None,
    };
    match actions::create_with(
        &st.store,
        &user.scope,
        &user.actor(),
        &user.display_name,
        d.subject.id,
        Some(id),
        &input,
        document.as_ref(),
    )
    .await
    {
        Ok(_) => {}
        Err(StoreError::Fields(errs)) => {
            return detail_page(&st, &user, id, None, input, errs).await
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Redirect::to(&format!("/inspections/{id}?done=action#actions")).into_response())
}

// ---- actions list -----------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct ActionsQuery {
    pub kind: Option<String>,
    pub page: Option<super::PageParam>,
    pub per_page: Option<super::PageParam>,
}

#[derive(Template)]
#[template(path = "enforcement/actions.html")]
struct ActionsPage {
    layout: Layout,
    rows: Vec<ActionRow>,
    pager: Pager,
    kind: String,
    kinds: [ActionKind; 9],
}

/// `GET /enforcement/actions`: the decisions on subjects in scope, by kind.
pub async fn actions_list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ActionsQuery>,
) -> Result<Response, AppError> {
    let kind = super::nonempty(&q.kind).unwrap_or_default();
    let (page, per_page) = paging(q.page, q.per_page);
    let (rows, total) = actions::list(
        &st.store,
        &user.scope,
        ActionKind::from_code(&kind),
        page,
        per_page,
    )
    .await?;
    Ok(render(ActionsPage {
        layout: Layout::new(&user, "执法处理", "enforcement_actions"),
        rows,
        pager: Pager {
            page,
            per_page,
            total,
            base_query: super::query_string(&[("kind", &q.kind)]),
        },
        kind,
        kinds: ActionKind::ALL,
    }))
}

// ---- the subject's and the person's pages -----------------------------------------------------

/// What a subject's page shows of enforcement: its exam qualification (exam sites and
/// institutions) and its decisions.
pub struct SubjectSection {
    pub qualification: Option<store::ExamQualification>,
    pub actions: Vec<ActionRow>,
    pub can_inspect: bool,
}

impl SubjectSection {
    pub fn qualification_label(&self) -> &'static str {
        self.qualification.as_ref().map_or("", |q| q.status.label())
    }

    pub fn qualification_normal(&self) -> bool {
        self.qualification
            .as_ref()
            .is_none_or(|q| q.status.may_hold_exams())
    }
}

/// The enforcement section of a subject's page (in scope already).
pub async fn subject_section(
    st: &AppState,
    user: &CurrentUser,
    subject_id: i32,
    kind: Option<SubjectKind>,
) -> Result<SubjectSection, AppError> {
    let exam = matches!(
        kind,
        Some(SubjectKind::ExamSite | SubjectKind::ExamInstitution)
    );
    let qualification = if exam {
        Some(store::exam_qualification(&st.store, subject_id).await?)
    } else {
        None
    };
    Ok(SubjectSection {
        qualification,
        actions: actions::list_for_subject(&st.store, &user.scope, subject_id).await?,
        can_inspect: store::is_supervisor(&user.scope),
    })
}

/// Persons of subjects in scope with a failed on-the-spot test (the person's page).
pub async fn person_spot_tests(
    st: &AppState,
    user: &CurrentUser,
    person_id: i32,
) -> Result<Vec<store::SpotRow>, AppError> {
    Ok(store::person_spot_tests(&st.store, &user.scope, person_id).await?)
}

/// The enforcement routes (inspections, actions, coverage, typical cases, tip-offs), each
/// with the one permission it requires.
pub(crate) fn routes(r: crate::routes::RouteTable) -> crate::routes::RouteTable {
    use crate::routes::Perm::*;
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    r.route("GET", "/tipoff", Public, get(tipoffs::public_page))
        .route(
            "POST",
            "/tipoff",
            Public,
            post(tipoffs::public_submit).layer(DefaultBodyLimit::max(tipoffs::BODY_LIMIT)),
        )
        .route("GET", "/tipoff/status", Public, get(tipoffs::status_page))
        .route(
            "POST",
            "/tipoff/status",
            Public,
            post(tipoffs::status_submit),
        )
        .route("GET", "/tipoffs", Supervise, get(tipoffs::list))
        .route("GET", "/tipoffs/new", Supervise, get(tipoffs::new_form))
        .route("POST", "/tipoffs/urge", District, post(tipoffs::urge))
        .route("POST", "/tipoffs/new", Supervise, post(tipoffs::create))
        .route("GET", "/tipoffs/{id}", Supervise, get(tipoffs::detail))
        .route(
            "GET",
            "/tipoffs/{id}/files/{file}",
            Supervise,
            get(tipoffs::file),
        )
        .route(
            "POST",
            "/tipoffs/{id}/assign",
            Supervise,
            post(tipoffs::assign),
        )
        .route(
            "POST",
            "/tipoffs/{id}/extend",
            Supervise,
            post(tipoffs::extend),
        )
        .route(
            "POST",
            "/tipoffs/{id}/close",
            Supervise,
            post(tipoffs::close),
        )
        .route(
            "POST",
            "/tipoffs/{id}/feedback",
            Supervise,
            post(tipoffs::feedback),
        )
        // 执法检查: supervisors only; typical cases managed by the district, public
        // when published.
        .route("GET", "/inspections", Supervise, get(list))
        .route("POST", "/inspections", Supervise, post(create))
        .route("GET", "/inspections/new", Supervise, get(new_form))
        .route("GET", "/inspections/{id}", Supervise, get(detail))
        .route(
            "POST",
            "/inspections/{id}/actions",
            Supervise,
            post(add_action).layer(DefaultBodyLimit::max(crate::evidence::EVIDENCE_BODY_LIMIT)),
        )
        .route("GET", "/enforcement/actions", Supervise, get(actions_list))
        .route(
            "GET",
            "/enforcement/coverage",
            Supervise,
            get(coverage::page),
        )
        .route("GET", "/enforcement/cases", District, get(cases::list))
        .route(
            "GET",
            "/enforcement/cases/{id}",
            District,
            get(cases::edit_form),
        )
        .route(
            "POST",
            "/enforcement/cases/{id}",
            District,
            post(cases::save),
        )
        .route(
            "POST",
            "/enforcement/cases/{id}/publish",
            District,
            post(cases::publish),
        )
        .route("GET", "/cases", Public, get(cases::public_list))
        .route("GET", "/cases/{id}", Public, get(cases::public_case))
}
