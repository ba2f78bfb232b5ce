//! The campaign area (专项整治): the campaigns themselves (this module), the subjects'
//! self-checks, problems and their rectification, progress, each account's inbox and the
//! district's supervision, summary reports and bulletin.
//!
//! 专项整治: the campaigns (list, a campaign's page with its phases, notice and checklist),
//! creating the next campaign by copying one (district), and the current phase every page's
//! header shows ([`PhaseCache`]).

pub mod inbox;
pub mod problems;
pub mod progress;
pub mod selfcheck;
pub mod supervision;

use super::{render, Layout};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;
use anpei_core::SubjectKind;
use anpei_store::campaign::district_dates::{self, DatesInput, DistrictDates};
use anpei_store::campaign::{self, CampaignInfo, CopyInput};
use anpei_store::model::ChecklistItem;
use anpei_store::registry::reference;
use anpei_store::{Store, StoreError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::NaiveDate;
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ---- the header's phase -------------------------------------------------------------------

/// What the header says about the campaign: its phase today, or 常态化监管.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseBanner {
    /// The header text, e.g. `自查自改阶段（2021-12-01至2022-03-31）`.
    pub text: String,
    /// The campaign's name (the text's tooltip).
    pub title: String,
    pub campaign_id: Option<i32>,
}

impl Default for PhaseBanner {
    fn default() -> Self {
        PhaseBanner {
            text: "常态化监管".into(),
            title: "当前没有进行中的专项整治".into(),
            campaign_id: None,
        }
    }
}

impl PhaseBanner {
    fn of(now: Option<campaign::PhaseNow>) -> PhaseBanner {
        match now {
            None => PhaseBanner::default(),
            Some(n) => PhaseBanner {
                text: match &n.phase {
                    Some(p) => format!("{}阶段（{}至{}）", p.name, p.starts_on, p.ends_on),
                    None => n.label(),
                },
                title: n.campaign_name.clone(),
                campaign_id: Some(n.campaign_id),
            },
        }
    }
}

/// The header's phase, computed at most once a minute per process and again as soon as the
/// date changes (the store's clock) or a campaign is created here.
/// Kept per district: in a city, a district may run the campaign on its own dates.
#[derive(Debug, Default)]
pub struct PhaseCache {
    inner: Mutex<Banners>,
}

/// The banners by district (`None`: the city's dates).
type Banners = std::collections::HashMap<Option<i32>, (NaiveDate, Instant, Arc<PhaseBanner>)>;

const PHASE_TTL: Duration = Duration::from_secs(60);

impl PhaseCache {
    /// The banner of the scope's district (the city's for the city and a one-district
    /// installation).
    pub async fn banner(&self, store: &Store, scope: &anpei_store::Scope) -> Arc<PhaseBanner> {
        let district = match reference::is_city(store).await {
            Ok(true) => district_dates::district_of(store, scope)
                .await
                .ok()
                .flatten(),
            _ => None,
        };
        let today = store.today();
        if let Some((d, at, b)) = self.lock().get(&district) {
            if *d == today && at.elapsed() < PHASE_TTL {
                return b.clone();
            }
        }
        match campaign::phase_now_in(store, today, district).await {
            Ok(now) => {
                let b = Arc::new(PhaseBanner::of(now));
                self.lock()
                    .insert(district, (today, Instant::now(), b.clone()));
                b
            }
            Err(e) => {
                tracing::warn!(error = %e, "current phase lookup failed");
                Arc::new(PhaseBanner::default())
            }
        }
    }

    /// Forgets the cached phases (a campaign was created, a district set its dates).
    pub fn invalidate(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Banners> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

// ---- pages ----------------------------------------------------------------------------------

/// A phase as pages show it.
pub struct PhaseView {
    pub seq: i32,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// 已结束 / 进行中 / 未开始.
    pub state: &'static str,
}

pub fn phase_views(c: &CampaignInfo, today: NaiveDate) -> Vec<PhaseView> {
    c.phases
        .iter()
        .map(|p| PhaseView {
            seq: p.seq,
            name: p.name.clone(),
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            state: if today > p.ends_on {
                "已结束"
            } else if today >= p.starts_on {
                "进行中"
            } else {
                "未开始"
            },
        })
        .collect()
}

/// A campaign's period as text.
pub fn span_text(c: &CampaignInfo) -> String {
    c.span()
        .map(|(a, b)| format!("{a}至{b}"))
        .unwrap_or_else(|| "未设置阶段".into())
}

struct Row {
    c: CampaignInfo,
    span: String,
    phase: String,
    current: bool,
    /// Whose it is, in a city: 市级 or the district's name.
    level: String,
}

#[derive(Template)]
#[template(path = "campaign/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    district: bool,
    /// The installation is a city: the list shows whose each campaign is.
    city: bool,
    /// A district's office of a city: the copies it makes are its own campaigns.
    own_district: Option<String>,
}

/// The name of the caller's district when it is a district's office of a city (the
/// campaigns it sets are its own), from what it acts for ([`reference::acts_for`]).
async fn own_district_name(
    st: &AppState,
    user: &CurrentUser,
    acts_for: Option<Option<i32>>,
) -> Result<Option<String>, AppError> {
    let Some(Some(d)) = acts_for else {
        return Ok(None);
    };
    Ok(reference::districts(&st.store, &user.scope)
        .await?
        .into_iter()
        .find(|x| x.id == d)
        .map(|x| x.name))
}

#[tracing::instrument(skip_all)]
pub async fn list(State(st): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    let today = st.store.today();
    let current = campaign::current_for(&st.store, &user.scope, today)
        .await?
        .map(|c| c.campaign.id);
    let city = reference::is_city(&st.store).await?;
    let names: std::collections::HashMap<i32, String> = if city {
        reference::districts(&st.store, &user.scope)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect()
    } else {
        Default::default()
    };
    let mut rows = Vec::new();
    for c in campaign::list_for(&st.store, &user.scope).await? {
        let c = district_dates::for_scope(&st.store, c, &user.scope).await?;
        rows.push(Row {
            span: span_text(&c),
            phase: match (c.phase_on(today), c.span()) {
                (Some(p), _) => format!("{}（进行中）", p.name),
                (None, Some((a, _))) if today < a => "未开始".into(),
                (None, Some((_, b))) if today > b => "已结束".into(),
                (None, Some(_)) => "阶段间隙".into(),
                (None, None) => "—".into(),
            },
            current: Some(c.campaign.id) == current,
            level: match c.campaign.district_id {
                None => "市级".into(),
                Some(d) => names.get(&d).cloned().unwrap_or_default(),
            },
            c,
        });
    }
    let acts_for = reference::acts_for(&st.store, &user.scope).await?;
    Ok(render(ListPage {
        layout: Layout::new(&user, "专项整治", "campaigns"),
        rows,
        district: acts_for.is_some(),
        city,
        own_district: own_district_name(&st, &user, acts_for).await?,
    }))
}

/// The catalogue of one kind, for a campaign's page.
pub struct KindItems {
    pub kind: SubjectKind,
    pub items: Vec<(ChecklistItem, Vec<String>)>,
}

#[derive(Template)]
#[template(path = "campaign/detail.html")]
struct DetailPage {
    layout: Layout,
    c: CampaignInfo,
    span: String,
    phases: Vec<PhaseView>,
    kinds: Vec<KindItems>,
    copied_from: Option<(i32, String)>,
    district: bool,
    created: bool,
    /// The dates shown are the caller's district's own (区县实施安排), not the city's.
    local: bool,
    /// A district's office of a city: its own dates' form.
    own: Option<OwnDates>,
    /// The city: every district's own dates (none: the city's).
    districts: Vec<(String, Option<DistrictDates>)>,
    saved: bool,
}

/// The messages of one field among a form's errors.
fn messages_for<'a>(errors: &'a [(&'static str, String)], field: &str) -> Vec<&'a str> {
    errors
        .iter()
        .filter(|(f, _)| *f == field)
        .map(|(_, m)| m.as_str())
        .collect()
}

/// The form of a district's own dates, as stored or as typed.
struct OwnDates {
    district: String,
    /// (phase name, the city's first and last day, first day, last day as typed).
    phases: Vec<(String, NaiveDate, NaiveDate, String, String)>,
    city_due: NaiveDate,
    summary_due: String,
    /// Whether the district has set its own dates.
    set: bool,
    errors: Vec<(&'static str, String)>,
}

impl OwnDates {
    fn error(&self, field: &str) -> Vec<&str> {
        messages_for(&self.errors, field)
    }
}

#[derive(Deserialize, Default)]
pub struct DetailQuery {
    created: Option<String>,
    saved: Option<String>,
}

/// Rule codes with their Chinese names, for showing an item's links.
fn rule_names(item: &ChecklistItem) -> Vec<String> {
    campaign::item_rules(item)
        .iter()
        .map(|r| {
            anpei_core::ledger::rules::Rule::from_code(r)
                .map_or_else(|| r.clone(), |x| x.name().to_string())
        })
        .collect()
}

#[tracing::instrument(skip_all)]
pub async fn detail(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, AppError> {
    detail_page(&st, &user, id, &q, None).await
}

/// The campaign's page; `typed`: a district's dates as typed, with their errors.
async fn detail_page(
    st: &AppState,
    user: &CurrentUser,
    id: i32,
    q: &DetailQuery,
    typed: Option<(DatesInput, Vec<(&'static str, String)>)>,
) -> Result<Response, AppError> {
    let city = campaign::get_for(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = district_dates::for_scope(&st.store, city.clone(), &user.scope).await?;
    let local = c.campaign.summary_due != city.campaign.summary_due || c.phases != city.phases;
    let is_city = reference::is_city(&st.store).await?;
    // A district's own campaign has its own dates: 区县实施安排 is of the city's campaigns.
    let citys = city.campaign.district_id.is_none();
    let own = match user.scope.reach() {
        anpei_store::Reach::District(d) if is_city && citys => {
            let name = reference::districts(&st.store, &user.scope)
                .await?
                .into_iter()
                .find(|x| x.id == d)
                .map(|x| x.name)
                .unwrap_or_default();
            let (input, errors) = match typed {
                Some(t) => t,
                None => (
                    DatesInput {
                        phases: c
                            .phases
                            .iter()
                            .map(|p| (p.starts_on.to_string(), p.ends_on.to_string()))
                            .collect(),
                        summary_due: c.campaign.summary_due.to_string(),
                    },
                    Vec::new(),
                ),
            };
            Some(OwnDates {
                district: name,
                phases: city
                    .phases
                    .iter()
                    .zip(input.phases)
                    .map(|(p, (a, b))| (p.name.clone(), p.starts_on, p.ends_on, a, b))
                    .collect(),
                city_due: city.campaign.summary_due,
                summary_due: input.summary_due,
                set: local,
                errors,
            })
        }
        _ => None,
    };
    let districts = if user.scope.is_all() && is_city && citys {
        let mut set = district_dates::all_of(&st.store, id).await?;
        reference::districts(&st.store, &user.scope)
            .await?
            .into_iter()
            .map(|d| (d.name, set.remove(&d.id)))
            .collect()
    } else {
        Vec::new()
    };
    let status = if own.as_ref().is_some_and(|o| !o.errors.is_empty()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let items = campaign::items(&st.store, c.campaign.catalogue_version, None).await?;
    let kinds = SubjectKind::ALL
        .iter()
        .map(|k| KindItems {
            kind: *k,
            items: items
                .iter()
                .filter(|i| i.kind == k.code())
                .map(|i| (i.clone(), rule_names(i)))
                .collect(),
        })
        .collect();
    let copied_from = match c.campaign.copied_from {
        Some(f) => campaign::get_for(&st.store, &user.scope, f)
            .await?
            .map(|o| (o.campaign.id, o.campaign.name)),
        None => None,
    };
    let mut res = render(DetailPage {
        layout: Layout::new(user, c.campaign.name.clone(), "campaigns"),
        span: span_text(&c),
        phases: phase_views(&c, st.store.today()),
        kinds,
        copied_from,
        district: campaign::may_copy(&st.store, &user.scope).await?,
        created: q.created.is_some(),
        c,
        local,
        own,
        districts,
        saved: q.saved.is_some(),
    });
    *res.status_mut() = status;
    Ok(res)
}

/// A form's field by name (empty when it is missing).
fn form_field(form: &[(String, String)], name: &str) -> String {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// The `n` phases' dates as typed: `starts_on_N`, `ends_on_N`, N from 1.
fn typed_phases(form: &[(String, String)], n: usize) -> Vec<(String, String)> {
    (1..=n)
        .map(|i| {
            (
                form_field(form, &format!("starts_on_{i}")),
                form_field(form, &format!("ends_on_{i}")),
            )
        })
        .collect()
}

/// `POST /campaigns/{id}/district-dates`: a district of a city sets its own dates inside the
/// city's campaign (`reset=1`: back to the city's). Fields `starts_on_N`, `ends_on_N` (N from
/// 1, one per phase) and `summary_due`.
#[tracing::instrument(skip_all)]
pub async fn save_district_dates(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let field = |name: &str| form_field(&form, name);
    let city = campaign::get_for(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let input = DatesInput {
        phases: typed_phases(&form, city.phases.len()),
        summary_due: field("summary_due"),
    };
    let reset = field("reset") == "1";
    match district_dates::save(&st.store, &user.scope, &user.actor(), id, &input, reset).await {
        Ok(()) => {
            st.phase.invalidate();
            Ok(Redirect::to(&format!("/campaigns/{id}?saved=1#district-dates")).into_response())
        }
        Err(StoreError::Fields(errors)) => {
            detail_page(
                &st,
                &user,
                id,
                &DetailQuery::default(),
                Some((input, errors)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "campaign/copy.html")]
struct CopyPage {
    layout: Layout,
    src: CampaignInfo,
    name: String,
    doc_number: String,
    /// (phase name, starts, ends) as typed.
    phases: Vec<(String, String, String)>,
    summary_due: String,
    years: i32,
    errors: Vec<(&'static str, String)>,
    /// A district's office of a city: the copy becomes this district's own campaign.
    owner: Option<String>,
}

impl CopyPage {
    fn error(&self, field: &str) -> Vec<&str> {
        messages_for(&self.errors, field)
    }
}

#[derive(Deserialize, Default)]
pub struct CopyQuery {
    years: Option<i32>,
}

/// The copy form, the dates moved by `years` (1 by default).
#[tracing::instrument(skip_all)]
pub async fn copy_form(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Query(q): Query<CopyQuery>,
) -> Result<Response, AppError> {
    let acts_for = reference::acts_for(&st.store, &user.scope).await?;
    if acts_for.is_none() {
        return Err(AppError::Forbidden);
    }
    let src = campaign::get_for(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let years = q.years.unwrap_or(1).clamp(-5, 10);
    let (dates, summary_due) = campaign::shifted_dates(&src, years);
    let first_year = dates
        .first()
        .and_then(|(a, _)| a.get(..4))
        .unwrap_or("")
        .to_string();
    let base = src
        .campaign
        .name
        .split('（')
        .next()
        .unwrap_or(&src.campaign.name)
        .to_string();
    let phases = src
        .phases
        .iter()
        .zip(dates)
        .map(|(p, (a, b))| (p.name.clone(), a, b))
        .collect();
    Ok(render(CopyPage {
        layout: Layout::new(&user, "复制专项整治", "campaigns"),
        name: format!("{base}（{first_year}年起）"),
        doc_number: String::new(),
        phases,
        summary_due,
        years,
        errors: Vec::new(),
        owner: own_district_name(&st, &user, acts_for).await?,
        src,
    }))
}

/// Creates the copy: the city's campaign for the city (a one-district installation's for its
/// district), a district's own for a district's office of a city.
#[tracing::instrument(skip_all)]
pub async fn copy(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    if !campaign::may_copy(&st.store, &user.scope).await? {
        return Err(AppError::Forbidden);
    }
    let src = campaign::get_for(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let field = |name: &str| form_field(&form, name);
    let input = CopyInput {
        name: field("name"),
        doc_number: field("doc_number"),
        phases: typed_phases(&form, src.phases.len()),
        summary_due: field("summary_due"),
    };
    match campaign::create_copy(&st.store, &user.scope, &user.actor(), id, &input).await {
        Ok(new_id) => {
            st.phase.invalidate();
            Ok(Redirect::to(&format!("/campaigns/{new_id}?created=1")).into_response())
        }
        Err(StoreError::Fields(errors)) => {
            let phases = src
                .phases
                .iter()
                .zip(input.phases)
                .map(|(p, (a, b))| (p.name.clone(), a, b))
                .collect();
            let mut res = render(CopyPage {
                layout: Layout::new(&user, "复制专项整治", "campaigns"),
                name: input.name,
                doc_number: input.doc_number,
                phases,
                summary_due: input.summary_due,
                years: 1,
                errors,
                owner: own_district_name(
                    &st,
                    &user,
                    reference::acts_for(&st.store, &user.scope).await?,
                )
                .await?,
                src,
            });
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

// ---- the catalogue API --------------------------------------------------------------------

/// Query of `GET /api/v1/checklists`.
#[derive(Debug, Default, Deserialize)]
pub struct ChecklistQuery {
    /// A subject kind code (enterprise, training_institution, exam_site, exam_institution).
    kind: Option<String>,
    /// A catalogue version; default: the current campaign's.
    version: Option<String>,
}

/// One item of the API's answer (the API's contract: exactly these four fields).
#[derive(Debug, serde::Serialize)]
pub struct ChecklistItemJson {
    kind: String,
    code: String,
    text: String,
    rules: Vec<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct ChecklistResponse {
    items: Vec<ChecklistItemJson>,
    total: usize,
}

/// `GET /api/v1/checklists`: `{"items":[{"kind","code","text","rules":[…]}],"total":n}`, the
/// catalogue of the current campaign (or `version`), optionally of one `kind`.
#[tracing::instrument(skip_all)]
pub async fn checklists_api(
    State(st): State<AppState>,
    user: CurrentUser,
    crate::api::ApiQuery(q): crate::api::ApiQuery<ChecklistQuery>,
) -> Result<axum::Json<ChecklistResponse>, crate::error::ApiError> {
    let kind = match super::nonempty(&q.kind) {
        None => None,
        Some(k) => Some(SubjectKind::from_code(&k).ok_or_else(|| {
            AppError::BadRequest(format!(
                "kind：未知的主体类型“{k}”，应为 enterprise、training_institution、exam_site 或 exam_institution"
            ))
        })?),
    };
    let versions = campaign::catalogue_versions(&st.store).await?;
    let version = match super::nonempty(&q.version) {
        Some(v) => v
            .parse::<i32>()
            .ok()
            .filter(|v| versions.contains(v))
            .ok_or_else(|| AppError::BadRequest(format!("version：检查表第“{v}”版不存在")))?,
        None => match campaign::current_for(&st.store, &user.scope, st.store.today()).await? {
            Some(c) => c.campaign.catalogue_version,
            None => versions
                .first()
                .copied()
                .unwrap_or(anpei_core::campaign::LATEST_CATALOGUE_VERSION),
        },
    };
    let items: Vec<ChecklistItemJson> = campaign::items(&st.store, version, kind)
        .await?
        .into_iter()
        .map(|i| ChecklistItemJson {
            rules: campaign::item_rules(&i),
            kind: i.kind,
            code: i.code,
            text: i.text,
        })
        .collect();
    Ok(axum::Json(ChecklistResponse {
        total: items.len(),
        items,
    }))
}

/// The campaign's routes (campaigns, self-checks, problems, progress, inbox, supervision),
/// each with the one permission it requires.
pub(crate) fn routes(r: crate::routes::RouteTable) -> crate::routes::RouteTable {
    use crate::routes::Perm::*;
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    r.route("GET", "/problems", ViewBusiness, get(problems::list))
        .route("POST", "/problems", Supervise, post(problems::create))
        .route(
            "GET",
            "/problems/export.xlsx",
            ViewBusiness,
            get(problems::export),
        )
        .route(
            "GET",
            "/problems/export.docx",
            ViewBusiness,
            get(problems::export_docx),
        )
        .route("GET", "/problems/new", Supervise, get(problems::new_form))
        .route("POST", "/problems/urge", Supervise, post(problems::urge))
        .route("GET", "/problems/{id}", ViewBusiness, get(problems::detail))
        .route(
            "POST",
            "/problems/{id}/rectify",
            ViewBusiness,
            post(problems::rectify)
                .layer(DefaultBodyLimit::max(crate::evidence::EVIDENCE_BODY_LIMIT)),
        )
        .route(
            "POST",
            "/problems/{id}/verify",
            Supervise,
            post(problems::verify),
        )
        .route(
            "POST",
            "/problems/{id}/reject",
            Supervise,
            post(problems::reject),
        )
        .route("GET", "/progress", ViewBusiness, get(progress::page))
        .route(
            "GET",
            "/progress/subjects",
            ViewBusiness,
            get(progress::subjects),
        )
        .route("POST", "/progress/urge", Supervise, post(progress::urge))
        .route("GET", "/inbox", SignedIn, get(inbox::page))
        .route("POST", "/inbox/read", SignedIn, post(inbox::read))
        .route("GET", "/campaigns", ViewBusiness, get(list))
        .route("GET", "/campaigns/{id}", ViewBusiness, get(detail))
        .route("GET", "/campaigns/{id}/copy", District, get(copy_form))
        .route("POST", "/campaigns/{id}/copy", District, post(copy))
        // A district of a city runs the city's campaign on its own dates.
        .route(
            "POST",
            "/campaigns/{id}/district-dates",
            District,
            post(save_district_dates),
        )
        .route(
            "GET",
            "/api/v1/checklists",
            ViewBusiness,
            get(checklists_api),
        )
        .route("GET", "/selfcheck", ViewBusiness, get(selfcheck::index))
        .route("GET", "/selfcheck/{id}", ViewBusiness, get(selfcheck::show))
        .route(
            "POST",
            "/selfcheck/{id}",
            SelfInspect,
            post(selfcheck::save),
        )
        .route(
            "POST",
            "/selfcheck/{id}/submit",
            SelfInspect,
            post(selfcheck::submit),
        )
        .route(
            "POST",
            "/selfcheck/{id}/evidence",
            SelfInspect,
            post(selfcheck::upload)
                .layer(DefaultBodyLimit::max(crate::evidence::EVIDENCE_BODY_LIMIT)),
        )
        .route(
            "POST",
            "/selfcheck/{id}/evidence/delete",
            SelfInspect,
            post(selfcheck::remove_evidence),
        )
        .route(
            "POST",
            "/selfcheck/{id}/return",
            Supervise,
            post(selfcheck::send_back),
        )
        .route(
            "GET",
            "/selfcheck/{id}/report",
            ViewBusiness,
            get(selfcheck::report::page),
        )
        .route(
            "GET",
            "/selfcheck/{id}/report.docx",
            ViewBusiness,
            get(selfcheck::report::docx),
        )
        // 考核督查, 总结报告, 通报: the district's, but for a department's or town's
        // own summary report (the unit comes from the account, never from the request).
        .route("GET", "/supervision", District, get(supervision::overview))
        .route(
            "GET",
            "/supervision/towns/{id}",
            District,
            get(supervision::town_sheet),
        )
        .route(
            "POST",
            "/supervision/towns/{id}",
            District,
            post(supervision::save_town),
        )
        .route(
            "POST",
            "/supervision/towns/{id}/findings",
            District,
            post(supervision::finding_town),
        )
        .route(
            "GET",
            "/supervision/departments/{id}",
            District,
            get(supervision::department_sheet),
        )
        .route(
            "POST",
            "/supervision/departments/{id}",
            District,
            post(supervision::save_department),
        )
        .route(
            "POST",
            "/supervision/departments/{id}/findings",
            District,
            post(supervision::finding_department),
        )
        // The city's sheets of its districts (`unit_in_scope` answers 404 to anyone else).
        .route(
            "GET",
            "/supervision/districts/{id}",
            District,
            get(supervision::district_sheet),
        )
        .route(
            "POST",
            "/supervision/districts/{id}",
            District,
            post(supervision::save_district),
        )
        .route(
            "POST",
            "/supervision/districts/{id}/findings",
            District,
            post(supervision::finding_district),
        )
        .route(
            "POST",
            "/supervision/problems/{id}/close",
            District,
            post(supervision::close_problem),
        )
        .route(
            "GET",
            "/summary",
            Supervise,
            get(supervision::summary::page),
        )
        .route(
            "POST",
            "/summary",
            Supervise,
            post(supervision::summary::submit)
                .layer(DefaultBodyLimit::max(crate::evidence::EVIDENCE_BODY_LIMIT)),
        )
        .route(
            "GET",
            "/summaries",
            District,
            get(supervision::summary::tracking),
        )
        .route(
            "POST",
            "/summaries/urge",
            District,
            post(supervision::summary::urge),
        )
        .route(
            "GET",
            "/bulletin",
            District,
            get(supervision::bulletin::page),
        )
        .route(
            "GET",
            "/bulletin.docx",
            District,
            get(supervision::bulletin::docx),
        )
}
