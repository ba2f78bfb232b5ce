//! 自查自改: a subject answers its checklist for the current campaign (符合 / 不符合 / 不适用,
//! explanation, evidence files; a 不符合 answer carries its problem), saves drafts and submits
//! with a confirmation; after submission the page is read-only with links to the 自查报告
//! (printable page and docx, [`report`]); evidence files per item in [`files`]. Supervisors
//! (district, town, department) list the self-inspections of their scope, open each and may
//! send a submitted one back with a reason.

mod files;
pub mod report;

pub use files::{remove_evidence, upload};

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::evidence;
use crate::pages::{is_htmx, nonempty, paging, render, town_param, Layout, Pager};
use crate::AppState;
use anpei_core::SubjectKind;
use anpei_store::campaign::selfcheck::{
    self, AnswerInput, ItemError, ListFilter, ListRow, ListStatus, Loaded, SaveInput,
    SelfcheckError, SelfcheckStatus,
};
use anpei_store::campaign::{self, CampaignInfo};
use anpei_store::ledger::findings::{self, FindingFilter, FindingRow};
use anpei_store::model::{EvidenceFile, Town};
use anpei_store::Reach;
use anpei_store::{registry::reference, StoreError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::collections::HashMap;

/// Open findings shown beside an item (the rest behind a link).
const FINDINGS_SHOWN: u64 = 5;

// ---- the entry point ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "campaign/selfcheck/none.html")]
struct NoCampaignPage {
    layout: Layout,
}

/// `GET /selfcheck`: a subject user goes to its own self-inspection of the current campaign
/// (created on first visit); supervisors get the list of their scope.
#[tracing::instrument(skip_all)]
pub async fn index(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let Some(current) = campaign::current_for(&st.store, &user.scope, st.store.today()).await?
    else {
        return Ok(render(NoCampaignPage {
            layout: Layout::new(&user, "自查自改", "selfcheck"),
        }));
    };
    if let Reach::Subject(_) = user.scope.reach() {
        let si =
            selfcheck::open_for_subject(&st.store, &user.scope, &user.actor(), current.campaign.id)
                .await?;
        return Ok(Redirect::to(&format!("/selfcheck/{}", si.id)).into_response());
    }
    list(st, user, headers, q, current).await
}

// ---- the supervisors' list ----------------------------------------------------------------

/// Query of the list.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub campaign: Option<String>,
    pub status: Option<String>,
    pub kind: Option<String>,
    pub town: Option<String>,
    pub q: Option<String>,
    pub page: Option<crate::pages::PageParam>,
    pub per_page: Option<crate::pages::PageParam>,
}

impl ListQuery {
    fn base_query(&self) -> String {
        crate::pages::query_string(&[
            ("campaign", &self.campaign),
            ("status", &self.status),
            ("kind", &self.kind),
            ("town", &self.town),
            ("q", &self.q),
        ])
    }
}

#[derive(Template)]
#[template(path = "campaign/selfcheck/list.html")]
struct ListPage {
    layout: Layout,
    results: ListResults,
    campaigns: Vec<CampaignInfo>,
    campaign_id: i32,
    towns: Vec<Town>,
    kinds: &'static [SubjectKind],
    statuses: [ListStatus; 4],
    q: ListQuery,
    town_fixed: bool,
}

#[derive(Template)]
#[template(path = "campaign/selfcheck/results.html")]
struct ListResults {
    rows: Vec<ListRow>,
    pager: Pager,
}

async fn list(
    st: AppState,
    user: CurrentUser,
    headers: HeaderMap,
    q: ListQuery,
    current: CampaignInfo,
) -> Result<Response, AppError> {
    let d = campaign::home_district(&st.store, &user.scope).await?;
    let campaigns = campaign::list_in(&st.store, d).await?;
    let campaign_id = nonempty(&q.campaign)
        .and_then(|c| c.parse::<i32>().ok())
        .filter(|id| campaigns.iter().any(|c| c.campaign.id == *id))
        .unwrap_or(current.campaign.id);
    let towns = reference::towns(&st.store, &user.scope).await?;
    let f = ListFilter {
        status: nonempty(&q.status).and_then(|s| ListStatus::from_code(&s)),
        kind: nonempty(&q.kind).and_then(|k| SubjectKind::from_code(&k)),
        town_id: town_param(&q.town, &towns),
        q: nonempty(&q.q),
    };
    let (page, per_page) = paging(q.page, q.per_page);
    let (rows, total) =
        selfcheck::list(&st.store, &user.scope, campaign_id, &f, page, per_page).await?;
    let results = ListResults {
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
    Ok(render(ListPage {
        layout: Layout::new(&user, "自查自改", "selfcheck"),
        results,
        campaigns,
        campaign_id,
        towns,
        kinds: SubjectKind::ALL,
        statuses: ListStatus::ALL,
        town_fixed: matches!(user.scope.reach(), Reach::Town(_)),
        q,
    }))
}

// ---- one self-inspection ------------------------------------------------------------------

/// One item of the page: the catalogue's text, the answer (stored, or as just typed), its
/// evidence and the open findings of its rules.
pub struct ItemView {
    pub code: String,
    pub text: String,
    pub rules: Vec<String>,
    pub answer: String,
    pub explanation: String,
    pub measures: String,
    pub deadline: String,
    pub responsible_name: String,
    /// The stored phone, masked (the field is left empty to keep it).
    pub phone_masked: String,
    pub phone_input: String,
    pub findings: Vec<FindingRow>,
    pub findings_total: u64,
    pub evidence: EvidenceList,
    pub errors: Vec<String>,
}

impl ItemView {
    pub fn answer_label(&self) -> &'static str {
        selfcheck::answer_label(&self.answer)
    }

    pub fn is(&self, a: &str) -> bool {
        self.answer == a
    }
}

/// An item's evidence files (also the htmx partial an upload answers with).
#[derive(Template)]
#[template(path = "campaign/selfcheck/evidence.html")]
pub struct EvidenceList {
    pub inspection_id: i32,
    pub code: String,
    pub files: Vec<EvidenceFile>,
    pub editable: bool,
}

#[derive(Template)]
#[template(path = "campaign/selfcheck/page.html")]
struct Page {
    layout: Layout,
    l: Loaded,
    items: Vec<ItemView>,
    phase: String,
    /// The subject editing its own draft.
    editable: bool,
    /// A supervisor who may send it back.
    can_return: bool,
    period_from: String,
    period_to: String,
    errors: Vec<String>,
    general_errors: Vec<String>,
    notice: Option<&'static str>,
    submitted_at: String,
    returned_at: String,
    /// Everything checked and nothing missing: how it answers its items, with the button
    /// that submits for good.
    confirm: Option<selfcheck::Tally>,
}

impl Page {
    fn status_label(&self) -> &'static str {
        self.l.si.status.label()
    }
}

async fn load(st: &AppState, user: &CurrentUser, id: i32) -> Result<Loaded, AppError> {
    selfcheck::load(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The evidence of every item, by item code.
async fn evidence_by_item(
    st: &AppState,
    l: &Loaded,
) -> Result<HashMap<String, Vec<EvidenceFile>>, AppError> {
    let by_id: HashMap<i32, String> = l
        .answers
        .values()
        .map(|a| (a.id, a.item_code.clone()))
        .collect();
    let ids: Vec<i32> = by_id.keys().copied().collect();
    let mut out: HashMap<String, Vec<EvidenceFile>> = HashMap::new();
    for f in evidence::list(st, selfcheck::EVIDENCE_OWNER, &ids).await? {
        if let Some(code) = by_id.get(&f.owner_id) {
            out.entry(code.clone()).or_default().push(f);
        }
    }
    Ok(out)
}

/// Builds the page's items from the stored answers, overlaid with `typed` (a form that did
/// not validate) and its errors.
async fn item_views(
    st: &AppState,
    user: &CurrentUser,
    l: &Loaded,
    typed: Option<&SaveInput>,
    errors: &[ItemError],
    editable: bool,
) -> Result<Vec<ItemView>, AppError> {
    let mut evidence = evidence_by_item(st, l).await?;
    let typed: HashMap<&str, &AnswerInput> = typed
        .map(|t| t.answers.iter().map(|a| (a.code.as_str(), a)).collect())
        .unwrap_or_default();
    let mut out = Vec::with_capacity(l.items.len());
    for item in &l.items {
        let rules = campaign::item_rules(item);
        let (mut shown, mut total) = (Vec::new(), 0);
        for r in &rules {
            let Some(rule) = anpei_core::ledger::rules::Rule::from_code(r) else {
                continue;
            };
            let f = FindingFilter {
                rule: Some(rule),
                subject_id: Some(l.subject.id),
                status: Some(anpei_store::ledger::findings::ACTIVE.into()),
                ..Default::default()
            };
            let (rows, n) = findings::list(&st.store, &user.scope, &f, 1, FINDINGS_SHOWN).await?;
            total += n;
            shown.extend(rows);
        }
        shown.truncate(FINDINGS_SHOWN as usize);
        let stored = l.answer(&item.code);
        let s = |f: fn(&anpei_store::model::SelfInspectionAnswer) -> String| {
            stored.map(f).unwrap_or_default()
        };
        let mut v = ItemView {
            code: item.code.clone(),
            text: item.text.clone(),
            rules: rules
                .iter()
                .map(|r| {
                    anpei_core::ledger::rules::Rule::from_code(r)
                        .map_or_else(|| r.clone(), |x| x.name().to_string())
                })
                .collect(),
            answer: s(|a| a.answer.clone()),
            explanation: s(|a| a.explanation.clone()),
            measures: s(|a| a.measures.clone().unwrap_or_default()),
            deadline: s(|a| a.deadline.map(|d| d.to_string()).unwrap_or_default()),
            responsible_name: s(|a| a.responsible_name.clone().unwrap_or_default()),
            phone_masked: s(|a| a.responsible_phone_masked.clone().unwrap_or_default()),
            phone_input: String::new(),
            findings: shown,
            findings_total: total,
            evidence: EvidenceList {
                inspection_id: l.si.id,
                code: item.code.clone(),
                files: evidence.remove(&item.code).unwrap_or_default(),
                editable,
            },
            errors: errors
                .iter()
                .filter(|e| e.code == item.code)
                .map(|e| e.message.clone())
                .collect(),
        };
        if let Some(t) = typed.get(item.code.as_str()) {
            v.answer = t.answer.trim().to_string();
            v.explanation = t.explanation.clone();
            v.measures = t.measures.clone();
            v.deadline = t.deadline.clone();
            v.responsible_name = t.responsible_name.clone();
            v.phone_input = t.responsible_phone.clone();
        }
        out.push(v);
    }
    Ok(out)
}

/// Renders the page (status 200, or 422 with the errors of a refused form).
async fn page(
    st: &AppState,
    user: &CurrentUser,
    l: Loaded,
    typed: Option<&SaveInput>,
    errors: Vec<ItemError>,
    notice: Option<&'static str>,
) -> Result<Response, AppError> {
    page_with(st, user, l, typed, errors, notice, None).await
}

async fn page_with(
    st: &AppState,
    user: &CurrentUser,
    l: Loaded,
    typed: Option<&SaveInput>,
    errors: Vec<ItemError>,
    notice: Option<&'static str>,
    confirm: Option<selfcheck::Tally>,
) -> Result<Response, AppError> {
    let own = matches!(user.scope.reach(), Reach::Subject(s) if s == l.si.subject_id);
    let editable = own && selfcheck::editable(&l.si);
    let can_return = !own
        && crate::Perm::Supervise.allows(Some(user.role))
        && l.si.status == SelfcheckStatus::Submitted;
    let items = item_views(st, user, &l, typed, &errors, editable).await?;
    let today = st.store.today();
    let phase = l
        .campaign
        .phase_of(anpei_core::campaign::PhaseKind::SelfInspection)
        .map(|p| format!("{}（{}至{}）", p.name, p.starts_on, p.ends_on))
        .unwrap_or_default();
    let (period_from, period_to) = match typed {
        Some(t) => (t.period_from.clone(), t.period_to.clone()),
        None => match (l.si.period_from, l.si.period_to) {
            (Some(a), Some(b)) => (a.to_string(), b.to_string()),
            _ if l.is_institution() && editable => (
                anpei_core::campaign::notice_institution_period_from().to_string(),
                today.to_string(),
            ),
            _ => (String::new(), String::new()),
        },
    };
    let failed = !errors.is_empty();
    let time = |t: Option<i64>| {
        t.map(anpei_store::campaign::problems::china_time)
            .unwrap_or_default()
    };
    let p = Page {
        layout: Layout::new(user, format!("自查自改 · {}", l.subject.name), "selfcheck"),
        phase,
        editable,
        can_return,
        period_from,
        period_to,
        general_errors: errors
            .iter()
            .filter(|e| e.code.is_empty())
            .map(|e| e.message.clone())
            .collect(),
        errors: errors.into_iter().map(|e| e.message).collect(),
        notice,
        submitted_at: time(l.si.submitted_at),
        returned_at: time(l.si.returned_at),
        confirm,
        items,
        l,
    };
    let mut res = render(p);
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    saved: Option<String>,
    submitted: Option<String>,
    returned: Option<String>,
}

/// `GET /selfcheck/{id}`.
#[tracing::instrument(skip_all)]
pub async fn show(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let l = load(&st, &user, id).await?;
    let notice = if q.submitted.is_some() {
        Some("自查报告已提交，存在问题的项目已列入问题清单。")
    } else if q.saved.is_some() {
        Some("已保存。")
    } else if q.returned.is_some() {
        Some("已退回该单位修改。")
    } else {
        None
    };
    page(&st, &user, l, None, Vec::new(), notice).await
}

/// The form's fields as the store takes them: `answer_E01`, `explanation_E01`, … .
fn save_input(form: &[(String, String)], codes: &[String]) -> SaveInput {
    let map: HashMap<&str, &str> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let get = |k: String| {
        map.get(k.as_str())
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    SaveInput {
        answers: codes
            .iter()
            .filter(|c| map.contains_key(format!("explanation_{c}").as_str()))
            .map(|c| AnswerInput {
                code: c.clone(),
                answer: get(format!("answer_{c}")),
                explanation: get(format!("explanation_{c}")),
                measures: get(format!("measures_{c}")),
                deadline: get(format!("deadline_{c}")),
                responsible_name: get(format!("name_{c}")),
                responsible_phone: get(format!("phone_{c}")),
            })
            .collect(),
        period_from: get("period_from".into()),
        period_to: get("period_to".into()),
    }
}

/// Saves the form; `Ok(None)` when saved, `Ok(Some(response))` with the page and its errors.
/// Saves the form; when it cannot be saved, the page with every error. With `checking`
/// (检查并提交) the items left unanswered are listed too, so that nothing comes in a
/// second round.
async fn save_form(
    st: &AppState,
    user: &CurrentUser,
    id: i32,
    form: &[(String, String)],
    checking: bool,
) -> Result<Option<Response>, AppError> {
    let l = load(st, user, id).await?;
    let codes: Vec<String> = l.items.iter().map(|i| i.code.clone()).collect();
    let input = save_input(form, &codes);
    match selfcheck::save(&st.store, &user.scope, &user.actor(), id, &input).await {
        Ok(()) => Ok(None),
        Err(SelfcheckError::Invalid(mut errors)) => {
            if checking {
                for a in input.answers.iter().filter(|a| a.answer.trim().is_empty()) {
                    errors.push(ItemError {
                        code: a.code.clone(),
                        message: format!("{}：尚未作答", a.code),
                    });
                }
            }
            Ok(Some(page(st, user, l, Some(&input), errors, None).await?))
        }
        Err(SelfcheckError::Store(e)) => Err(e.into()),
    }
}

/// `POST /selfcheck/{id}`: saves a draft.
#[tracing::instrument(skip_all)]
pub async fn save(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    if let Some(refused) = save_form(&st, &user, id, &form, false).await? {
        return Ok(refused);
    }
    Ok(Redirect::to(&format!("/selfcheck/{id}?saved=1")).into_response())
}

/// `POST /selfcheck/{id}/submit`: saves what the form holds, then submits.
#[tracing::instrument(skip_all)]
pub async fn submit(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let checking = form.iter().any(|(k, v)| k == "step" && v == "check");
    if form.iter().any(|(k, _)| k.starts_with("explanation_")) {
        if let Some(refused) = save_form(&st, &user, id, &form, checking).await? {
            return Ok(refused);
        }
    }
    // The form's 提交 button asks for the checks first: every missing or invalid answer at
    // once, or a confirmation that says what submitting will do.
    if checking {
        return match selfcheck::check(&st.store, &user.scope, id).await {
            Ok(tally) => {
                let l = load(&st, &user, id).await?;
                page_with(&st, &user, l, None, Vec::new(), None, Some(tally)).await
            }
            Err(SelfcheckError::Invalid(errors)) => {
                let l = load(&st, &user, id).await?;
                page(&st, &user, l, None, errors, None).await
            }
            Err(SelfcheckError::Store(e)) => Err(e.into()),
        };
    }
    match selfcheck::submit(
        &st.store,
        &user.scope,
        &user.actor(),
        &user.display_name,
        id,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/selfcheck/{id}?submitted=1")).into_response()),
        Err(SelfcheckError::Invalid(errors)) => {
            let l = load(&st, &user, id).await?;
            page(&st, &user, l, None, errors, None).await
        }
        Err(SelfcheckError::Store(e)) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct ReturnForm {
    #[serde(default)]
    reason: String,
}

/// `POST /selfcheck/{id}/return`: a supervisor sends it back with a reason.
#[tracing::instrument(skip_all)]
pub async fn send_back(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(f): Form<ReturnForm>,
) -> Result<Response, AppError> {
    match selfcheck::send_back(&st.store, &user.scope, &user.actor(), id, &f.reason).await {
        Ok(()) => Ok(Redirect::to(&format!("/selfcheck/{id}?returned=1")).into_response()),
        Err(StoreError::Fields(errs)) => {
            let l = load(&st, &user, id).await?;
            let errors = errs
                .into_iter()
                .map(|(_, m)| ItemError {
                    code: String::new(),
                    message: m,
                })
                .collect();
            page(&st, &user, l, None, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}
