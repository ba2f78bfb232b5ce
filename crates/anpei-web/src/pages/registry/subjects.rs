//! 监管对象: the list with filters and pagination (htmx swaps the results), a subject's
//! page with its persons, certificates and training records, and the create/edit form.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{is_htmx, paging, render, Layout, Pager, Show};
use crate::AppState;
use anpei_core::SubjectKind;
use anpei_store::model::Town;
use anpei_store::registry::persons::{self, CertificateRow, PersonFilter, PersonRow, TrainingRow};
use anpei_store::registry::subjects::{self, SubjectFilter, SubjectInput, SubjectRow};
use anpei_store::Reach;
use anpei_store::{registry::reference, StoreError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

/// Query of the list page (also used by the API).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub kind: Option<String>,
    pub town: Option<String>,
    pub industry: Option<String>,
    pub high_risk: Option<String>,
    pub q: Option<String>,
    pub page: Option<crate::pages::PageParam>,
    pub per_page: Option<crate::pages::PageParam>,
}

impl ListQuery {
    /// Turns the query into a filter; `town` may be an id or a name.
    pub fn filter(&self, towns: &[Town]) -> SubjectFilter {
        use crate::pages::nonempty;
        let town_id = crate::pages::town_param(&self.town, towns);
        SubjectFilter {
            kind: nonempty(&self.kind)
                .map(|k| SubjectKind::from_code(&k).or_else(|| SubjectKind::from_label(&k)))
                .map(|k| k.unwrap_or(SubjectKind::Enterprise)),
            town_id,
            industry: nonempty(&self.industry),
            high_risk: match self.high_risk.as_deref() {
                Some("1" | "true" | "yes") => Some(true),
                Some("0" | "false" | "no") => Some(false),
                _ => None,
            },
            q: nonempty(&self.q),
        }
    }

    fn base_query(&self) -> String {
        crate::pages::query_string(&[
            ("kind", &self.kind),
            ("town", &self.town),
            ("industry", &self.industry),
            ("high_risk", &self.high_risk),
            ("q", &self.q),
        ])
    }
}

#[derive(Template)]
#[template(path = "registry/subjects/list.html")]
struct ListPage {
    layout: Layout,
    results: Results,
    kinds: &'static [SubjectKind],
    towns: Vec<Town>,
    industries: Vec<String>,
    q: ListQuery,
    town_fixed: bool,
}

#[derive(Template)]
#[template(path = "registry/subjects/results.html")]
struct Results {
    rows: Vec<(SubjectRow, bool)>,
    pager: Pager,
}

pub async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(mut q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let towns = reference::towns(&st.store, &user.scope).await?;
    crate::pages::canonical_filters(&mut q.town, &mut q.kind, &towns);
    let f = q.filter(&towns);
    let (page, per_page) = paging(q.page, q.per_page);
    let (rows, total) = subjects::list(&st.store, &user.scope, &f, page, per_page).await?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let high = r
                .industry
                .as_deref()
                .is_some_and(|i| st.store.params.is_high_risk(i));
            (r, high)
        })
        .collect();
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
    let town_fixed = matches!(user.scope.reach(), Reach::Town(_) | Reach::Subject(_));
    Ok(render(ListPage {
        layout: Layout::new(&user, "监管对象", "subjects"),
        results,
        kinds: SubjectKind::ALL,
        towns,
        industries: subjects::industries(&st.store, &user.scope).await?,
        q,
        town_fixed,
    }))
}

#[derive(Template)]
#[template(path = "registry/subjects/detail.html")]
struct DetailPage {
    layout: Layout,
    s: SubjectRow,
    high_risk: bool,
    persons: Vec<PersonRow>,
    persons_total: u64,
    certificates: Vec<(String, CertificateRow)>,
    trainings: Vec<(String, TrainingRow)>,
    findings: Vec<anpei_store::ledger::findings::FindingRow>,
    findings_total: u64,
    can_edit: bool,
    /// Exam qualification and enforcement decisions.
    enforcement: crate::pages::enforcement::SubjectSection,
    /// What happened to the subject, newest first.
    timeline: Vec<anpei_store::records::timeline::Event>,
    /// The 关联关系 view is for supervisors, of training institutions and exam sides.
    can_relate: bool,
    /// The subject's own account looking at its 单位档案.
    own: bool,
}

pub async fn detail(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let s = subjects::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let pf = PersonFilter {
        subject_id: Some(id),
        ..Default::default()
    };
    let (persons, persons_total) = persons::list(&st.store, &user.scope, &pf, 1, 200).await?;
    let certificates = persons::subject_certificates(&st.store, &user.scope, id).await?;
    let trainings = persons::subject_trainings(&st.store, &user.scope, id, 100).await?;
    let ff = anpei_store::ledger::findings::FindingFilter {
        subject_id: Some(id),
        status: Some(anpei_store::ledger::findings::ACTIVE.into()),
        ..Default::default()
    };
    let (findings, findings_total) =
        anpei_store::ledger::findings::list(&st.store, &user.scope, &ff, 1, 100).await?;
    let enforcement = crate::pages::enforcement::subject_section(&st, &user, id, s.kind()).await?;
    let timeline =
        anpei_store::records::timeline::for_subject(&st.store, &user.scope, id, 50).await?;
    Ok(render(DetailPage {
        own: matches!(user.scope.reach(), anpei_store::Reach::Subject(x) if x == id),
        timeline,
        can_relate: crate::Perm::Supervise.allows(Some(user.role))
            && s.kind().is_some_and(|k| k != SubjectKind::Enterprise),
        layout: Layout::new(&user, s.name.clone(), "subjects"),
        enforcement,
        high_risk: s
            .industry
            .as_deref()
            .is_some_and(|i| st.store.params.is_high_risk(i)),
        can_edit: crate::Perm::EditSubjects.allows(Some(user.role)),
        s,
        persons,
        persons_total,
        certificates,
        trainings,
        findings,
        findings_total,
    }))
}

#[derive(Template)]
#[template(path = "registry/subjects/form.html")]
struct FormPage {
    layout: Layout,
    /// `None` when creating.
    id: Option<i32>,
    input: SubjectInput,
    errors: Vec<(&'static str, String)>,
    kinds: &'static [SubjectKind],
    towns: Vec<Town>,
    industries: Vec<String>,
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
    id: Option<i32>,
    input: SubjectInput,
    errors: Vec<(&'static str, String)>,
) -> Result<Response, AppError> {
    let mut towns = reference::towns(&st.store, &user.scope).await?;
    if let Reach::Town(t) = user.scope.reach() {
        towns.retain(|x| x.id == t);
    }
    let mut industries = subjects::industries(&st.store, &user.scope).await?;
    if let Reach::Department(d) = user.scope.reach() {
        let deps = reference::departments(&st.store, &user.scope).await?;
        industries = deps
            .into_iter()
            .find(|(dep, _)| dep.id == d)
            .map(|(_, i)| i)
            .unwrap_or_default();
    }
    let title = if id.is_some() {
        "编辑单位"
    } else {
        "新增单位"
    };
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut res = render(FormPage {
        layout: Layout::new(user, title, "subjects"),
        id,
        input,
        errors,
        kinds: SubjectKind::ALL,
        towns,
        industries,
    });
    *res.status_mut() = status;
    Ok(res)
}

pub async fn new_form(State(st): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    let mut input = SubjectInput {
        kind: SubjectKind::Enterprise.code().into(),
        ..Default::default()
    };
    if let Reach::Town(t) = user.scope.reach() {
        input.town_id = t.to_string();
    }
    form_page(&st, &user, None, input, vec![]).await
}

pub async fn create(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(input): Form<SubjectInput>,
) -> Result<Response, AppError> {
    match subjects::create(&st.store, &user.scope, &user.actor(), &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/subjects/{id}")).into_response()),
        Err(StoreError::Fields(errs)) => form_page(&st, &user, None, input, errs).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let s = subjects::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let input = SubjectInput {
        uscc: s.uscc,
        name: s.name,
        kind: s.kind,
        industry: s.industry.unwrap_or_default(),
        town_id: s.town_id.to_string(),
        address: s.address.unwrap_or_default(),
        contact_name: s.contact_name.unwrap_or_default(),
        // The stored phone is encrypted; the form shows it empty and keeps it unless retyped.
        contact_phone: String::new(),
    };
    form_page(&st, &user, Some(id), input, vec![]).await
}

pub async fn update(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(input): Form<SubjectInput>,
) -> Result<Response, AppError> {
    match subjects::update(&st.store, &user.scope, &user.actor(), id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/subjects/{id}")).into_response()),
        Err(StoreError::Fields(errs)) => form_page(&st, &user, Some(id), input, errs).await,
        Err(e) => Err(e.into()),
    }
}

/// `GET /unit`: a subject's account goes to its own unit's page (单位档案).
pub async fn own_unit(user: CurrentUser) -> Result<Response, AppError> {
    match user.scope.reach() {
        anpei_store::Reach::Subject(id) => {
            Ok(Redirect::to(&format!("/subjects/{id}")).into_response())
        }
        _ => Err(AppError::NotFound),
    }
}
