//! Exam sites' and exam institutions' records: plans, sessions with staff,
//! candidates and videos, staff credentials, site equipment.
//!
//! Every row carries the subject that keeps it; every read starts from that subject found
//! through the scope filter, so a foreign id answers `NotFound`. An upload is one
//! transaction: every row is checked first and nothing is written if any row is wrong.
//! ID numbers and staff phones are encrypted with a blind index and leave this module
//! masked, except in the full export ([`export`] with `full`), which the web layer grants
//! only to the roles the policy lets export personal data, and audits.

use crate::enforcement::{exam_qualification, Qualification};
use crate::entity::{
    exam_candidate, exam_equipment, exam_plan, exam_session, exam_session_staff,
    exam_staff_credential, exam_video, subject,
};
use crate::platform::audit::{self, Actor, Event};
use crate::{scope, Scope, Store, StoreError, StoreResult};
use anpei_core::ids::IdNumber;
use anpei_core::kinds::SubjectKind;
use anpei_core::mask::mask_id;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

/// Staff roles of a session (and the credential each needs).
pub const ROLES: &[(&str, &str, &str)] = &[
    ("patrol", "巡考员", "巡考员证"),
    ("proctor", "监考员", "监考员证"),
    ("examiner", "考评员", "考评员证"),
];

pub fn role_label(code: &str) -> &'static str {
    ROLES.iter().find(|r| r.0 == code).map_or("其他", |r| r.1)
}

pub fn credential_label(code: &str) -> &'static str {
    ROLES.iter().find(|r| r.0 == code).map_or("其他", |r| r.2)
}

/// The role code of a role or credential label (`监考员` or `监考员证`).
pub fn role_from_label(s: &str) -> Option<&'static str> {
    ROLES
        .iter()
        .find(|r| r.1 == s || r.2 == s || r.0 == s)
        .map(|r| r.0)
}

pub fn system_label(code: &str) -> &'static str {
    match code {
        "national" => "国家考试系统",
        "paper" => "纸质考试",
        _ => "其他",
    }
}

pub fn system_from_label(s: &str) -> Option<&'static str> {
    match s {
        "国家考试系统" | "national" => Some("national"),
        "纸质" | "纸质考试" | "paper" => Some("paper"),
        _ => None,
    }
}

/// The exam site or exam institution `id`, if the scope sees it (any kind otherwise:
/// the pages say it keeps no exam records).
pub async fn owner(store: &Store, scope: &Scope, id: i32) -> StoreResult<subject::Model> {
    scope::subjects(scope)
        .filter(subject::Column::Id.eq(id))
        .one(&store.db)
        .await?
        .ok_or(StoreError::NotFound)
}

fn kind_label(s: &subject::Model) -> &'static str {
    match s.kind {
        SubjectKind::ExamInstitution => "考试机构",
        _ => "考试点",
    }
}

/// Why a new plan is refused for this subject, if it is.
pub async fn plan_refusal(store: &Store, s: &subject::Model) -> StoreResult<Option<String>> {
    let q = exam_qualification(store, s.id).await?;
    Ok(match q.status {
        Qualification::Normal => None,
        Qualification::Suspended => Some(format!(
            "该{}已被暂停考试资格，不能新建考试计划",
            kind_label(s)
        )),
        Qualification::Cancelled => Some(format!(
            "该{}已被取消考试资格，不能新建考试计划",
            kind_label(s)
        )),
    })
}

/// Why a plan at another exam site is refused (that site's own qualification), if it is.
async fn site_refusal(
    store: &Store,
    owner: i32,
    site_id: Option<i32>,
) -> StoreResult<Option<String>> {
    let Some(site) = site_id.filter(|s| *s != owner) else {
        return Ok(None);
    };
    match subject::Entity::find_by_id(site).one(&store.db).await? {
        Some(s) => Ok(plan_refusal(store, &s)
            .await?
            .map(|why| format!("考试点“{}”：{why}", s.name))),
        None => Ok(Some("考试点不存在".into())),
    }
}

/// Everything a subject's exam page shows.
#[derive(Debug, Clone)]
pub struct Overview {
    pub subject: subject::Model,
    pub qualification: crate::enforcement::ExamQualification,
    pub plan_refusal: Option<String>,
    /// Whether the subject is an exam site or exam institution (others keep no records).
    pub keeps_exams: bool,
    pub plans: Vec<exam_plan::Model>,
    pub sessions: Vec<exam_session::Model>,
    pub credentials: Vec<exam_staff_credential::Model>,
    pub equipment: Vec<exam_equipment::Model>,
}

#[tracing::instrument(skip_all)]
pub async fn overview(store: &Store, scope: &Scope, subject_id: i32) -> StoreResult<Overview> {
    let s = owner(store, scope, subject_id).await?;
    let db = &store.db;
    Ok(Overview {
        qualification: exam_qualification(store, s.id).await?,
        plan_refusal: plan_refusal(store, &s).await?,
        keeps_exams: check_kind(&s).is_ok(),
        plans: exam_plan::Entity::find()
            .filter(exam_plan::Column::SubjectId.eq(s.id))
            .order_by_desc(exam_plan::Column::StartsAt)
            .all(db)
            .await?,
        sessions: exam_session::Entity::find()
            .filter(exam_session::Column::SubjectId.eq(s.id))
            .order_by_desc(exam_session::Column::StartedAt)
            .all(db)
            .await?,
        credentials: exam_staff_credential::Entity::find()
            .filter(exam_staff_credential::Column::SubjectId.eq(s.id))
            .order_by_asc(exam_staff_credential::Column::Name)
            .all(db)
            .await?,
        equipment: exam_equipment::Entity::find()
            .filter(exam_equipment::Column::SubjectId.eq(s.id))
            .order_by_asc(exam_equipment::Column::Name)
            .all(db)
            .await?,
        subject: s,
    })
}

/// An exam site or institution in the list, with its qualification and session count.
#[derive(Debug, Clone)]
pub struct ListRow {
    pub subject: subject::Model,
    pub qualification: Qualification,
    pub sessions: u64,
}

/// The exam sites and exam institutions in scope.
#[tracing::instrument(skip_all)]
pub async fn list(store: &Store, scope: &Scope) -> StoreResult<Vec<ListRow>> {
    use sea_orm::PaginatorTrait;
    let subjects = scope::subjects(scope)
        .filter(subject::Column::Kind.is_in([
            SubjectKind::ExamSite.code(),
            SubjectKind::ExamInstitution.code(),
        ]))
        .order_by_asc(subject::Column::Name)
        .all(&store.db)
        .await?;
    let mut out = Vec::with_capacity(subjects.len());
    for s in subjects {
        out.push(ListRow {
            qualification: exam_qualification(store, s.id).await?.status,
            sessions: exam_session::Entity::find()
                .filter(exam_session::Column::SubjectId.eq(s.id))
                .count(&store.db)
                .await?,
            subject: s,
        });
    }
    Ok(out)
}

/// One session with its staff, candidates and videos.
#[derive(Debug, Clone)]
pub struct SessionDetail {
    pub subject: subject::Model,
    pub session: exam_session::Model,
    pub plan: Option<exam_plan::Model>,
    pub site_name: String,
    pub staff: Vec<StaffView>,
    pub candidates: Vec<exam_candidate::Model>,
    pub videos: Vec<exam_video::Model>,
}

/// A session's staff member and the credential for the role valid on the session's date
/// (matched by the ID number's blind index), if any.
#[derive(Debug, Clone)]
pub struct StaffView {
    pub m: exam_session_staff::Model,
    pub credential: Option<exam_staff_credential::Model>,
}

#[tracing::instrument(skip_all)]
pub async fn session(store: &Store, scope: &Scope, id: i32) -> StoreResult<SessionDetail> {
    let db = &store.db;
    let session = exam_session::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let subject = owner(store, scope, session.subject_id).await?;
    let plan = match session.plan_id {
        Some(p) => exam_plan::Entity::find_by_id(p).one(db).await?,
        None => None,
    };
    let site_name = subject::Entity::find_by_id(session.site_id)
        .one(db)
        .await?
        .map_or_else(String::new, |s| s.name);
    let staff = exam_session_staff::Entity::find()
        .filter(exam_session_staff::Column::SessionId.eq(id))
        .order_by_asc(exam_session_staff::Column::Id)
        .all(db)
        .await?;
    let day = session.started_at.date();
    let credentials = exam_staff_credential::Entity::find()
        .filter(
            exam_staff_credential::Column::IdBidx
                .is_in(staff.iter().map(|m| m.id_bidx.clone()).collect::<Vec<_>>()),
        )
        .all(db)
        .await?;
    let staff = staff
        .into_iter()
        .map(|m| StaffView {
            credential: credentials
                .iter()
                .find(|c| {
                    c.id_bidx == m.id_bidx
                        && c.kind == m.role
                        && c.valid_from <= day
                        && day <= c.valid_until
                })
                .cloned(),
            m,
        })
        .collect();
    Ok(SessionDetail {
        staff,
        candidates: exam_candidate::Entity::find()
            .filter(exam_candidate::Column::SessionId.eq(id))
            .order_by_asc(exam_candidate::Column::Id)
            .all(db)
            .await?,
        videos: exam_video::Entity::find()
            .filter(exam_video::Column::SessionId.eq(id))
            .order_by_asc(exam_video::Column::Id)
            .all(db)
            .await?,
        subject,
        session,
        plan,
        site_name,
    })
}

/// A record naming a person, with the ID number (and phone) as the export writes them:
/// masked, or in full.
#[derive(Debug, Clone)]
pub struct Shown<T> {
    pub m: T,
    pub id_number: String,
    pub phone: String,
}

/// A subject's records for its export: the overview and every session's rows.
#[derive(Debug, Clone)]
pub struct Export {
    pub o: Overview,
    /// Whether ID numbers and phones are in full (the re-importable export).
    pub full: bool,
    pub staff: Vec<Shown<exam_session_staff::Model>>,
    pub candidates: Vec<Shown<exam_candidate::Model>>,
    pub credentials: Vec<Shown<exam_staff_credential::Model>>,
    pub videos: Vec<exam_video::Model>,
    /// What the 考试点 column says for a site other than the subject itself: its name, or
    /// its USCC when another exam site has the same name (both are what the upload reads).
    pub site_refs: HashMap<i32, String>,
}

impl Export {
    /// The 考试点 cell of a plan or session at `site_id` (empty: the subject itself).
    pub fn site_ref(&self, site_id: i32) -> String {
        if site_id == self.o.subject.id {
            return String::new();
        }
        self.site_refs.get(&site_id).cloned().unwrap_or_default()
    }

    /// Rows of personal data (staff, candidates, credentials) in the export.
    pub fn personal_rows(&self) -> usize {
        self.staff.len() + self.candidates.len() + self.credentials.len()
    }
}

/// A subject's records for its export: masked, or with `full` ID numbers and phones in
/// the upload's layout, so that uploading it for the same subject in another database
/// gives the same records.
#[tracing::instrument(skip_all)]
pub async fn export(
    store: &Store,
    scope: &Scope,
    subject_id: i32,
    full: bool,
) -> StoreResult<Export> {
    let o = overview(store, scope, subject_id).await?;
    let db = &store.db;
    let id = o.subject.id;
    let shown = crate::records::training::Disclosure::new(store, full);
    let mut staff = Vec::new();
    for m in exam_session_staff::Entity::find()
        .filter(exam_session_staff::Column::SubjectId.eq(id))
        .order_by_asc(exam_session_staff::Column::Id)
        .all(db)
        .await?
    {
        staff.push(Shown {
            id_number: shown.value(&m.id_enc, &m.id_masked)?,
            phone: String::new(),
            m,
        });
    }
    let mut candidates = Vec::new();
    for m in exam_candidate::Entity::find()
        .filter(exam_candidate::Column::SubjectId.eq(id))
        .order_by_asc(exam_candidate::Column::Id)
        .all(db)
        .await?
    {
        candidates.push(Shown {
            id_number: shown.value(&m.id_enc, &m.id_masked)?,
            phone: String::new(),
            m,
        });
    }
    let mut credentials = Vec::new();
    for m in exam_staff_credential::Entity::find()
        .filter(exam_staff_credential::Column::SubjectId.eq(id))
        .order_by_asc(exam_staff_credential::Column::Id)
        .all(db)
        .await?
    {
        credentials.push(Shown {
            id_number: shown.value(&m.id_enc, &m.id_masked)?,
            phone: shown.phone(m.phone_enc.as_deref(), m.phone_masked.as_deref())?,
            m,
        });
    }
    let sites = subject::Entity::find()
        .filter(subject::Column::Kind.eq(SubjectKind::ExamSite.code()))
        .all(db)
        .await?;
    let mut names: HashMap<&str, usize> = HashMap::new();
    for s in &sites {
        *names.entry(s.name.as_str()).or_default() += 1;
    }
    let site_refs = sites
        .iter()
        .map(|s| {
            let unique = names.get(s.name.as_str()) == Some(&1);
            (
                s.id,
                if unique {
                    s.name.clone()
                } else {
                    s.uscc.clone()
                },
            )
        })
        .collect();
    Ok(Export {
        full,
        staff,
        candidates,
        credentials,
        videos: exam_video::Entity::find()
            .filter(exam_video::Column::SubjectId.eq(id))
            .order_by_asc(exam_video::Column::Id)
            .all(db)
            .await?,
        site_refs,
        o,
    })
}

/// Refuses records for a subject that is neither an exam site nor an exam institution.
fn check_kind(s: &subject::Model) -> StoreResult<()> {
    match s.kind {
        SubjectKind::ExamSite | SubjectKind::ExamInstitution => Ok(()),
        _ => Err(StoreError::Validation(
            "该单位不是考试点或考试机构，不能登记考试记录".into(),
        )),
    }
}

// ---- writes ---------------------------------------------------------------------------------

/// A new exam plan. `site_id` None: the subject itself (an exam site's own plan).
#[derive(Debug, Clone)]
pub struct PlanInput {
    pub site_id: Option<i32>,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub category: String,
    pub planned_candidates: i32,
}

fn check_plan(p: &PlanInput) -> Result<(), String> {
    if p.ends_at <= p.starts_at {
        return Err("结束时间：应晚于开始时间".into());
    }
    if p.category.trim().is_empty() {
        return Err("考试类别：不能为空".into());
    }
    if p.planned_candidates <= 0 {
        return Err("计划人数：应为正整数".into());
    }
    Ok(())
}

async fn insert_plan<C: ConnectionTrait>(
    db: &C,
    at: i64,
    by: Option<i32>,
    subject_id: i32,
    p: &PlanInput,
) -> StoreResult<i32> {
    Ok(exam_plan::ActiveModel {
        subject_id: Set(subject_id),
        site_id: Set(p.site_id.unwrap_or(subject_id)),
        starts_at: Set(p.starts_at),
        ends_at: Set(p.ends_at),
        category: Set(p.category.trim().to_string()),
        planned_candidates: Set(p.planned_candidates),
        created_by: Set(by),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?
    .id)
}

/// Creates a plan; refused when the subject's exam qualification is suspended or cancelled.
#[tracing::instrument(skip_all)]
pub async fn create_plan(
    store: &Store,
    actor: &Actor,
    scope: &Scope,
    subject_id: i32,
    p: &PlanInput,
) -> StoreResult<i32> {
    let s = owner(store, scope, subject_id).await?;
    check_kind(&s)?;
    if let Some(why) = plan_refusal(store, &s).await? {
        return Err(StoreError::Validation(why));
    }
    if let Some(why) = site_refusal(store, s.id, p.site_id).await? {
        return Err(StoreError::Validation(why));
    }
    check_plan(p).map_err(StoreError::Validation)?;
    let txn = store.write().await?;
    let id = insert_plan(&*txn, store.now(), actor.user_id, s.id, p).await?;
    audit::append(
        &*txn,
        store.now(),
        actor,
        &Event::ok("exam_plan.create", format!("exam_plan:{id}"))
            .with_detail(format!("subject:{} {}", s.id, p.category)),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

// ---- upload ---------------------------------------------------------------------------------

/// A parsed row with its sheet row number (for messages).
#[derive(Debug, Clone)]
pub struct Row<T> {
    pub line: usize,
    pub v: T,
}

#[derive(Debug, Clone)]
pub struct PlanRow {
    pub key: String,
    pub plan: PlanInput,
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub key: String,
    pub plan_key: Option<String>,
    pub site_id: Option<i32>,
    pub room: String,
    pub started_at: NaiveDateTime,
    pub ended_at: NaiveDateTime,
    pub system: &'static str,
    pub category: String,
    pub high_risk_manager: bool,
}

#[derive(Debug, Clone)]
pub struct StaffRow {
    pub session_key: String,
    pub name: String,
    pub id_number: IdNumber,
    pub role: &'static str,
    pub present_from: Option<NaiveDateTime>,
    pub present_to: Option<NaiveDateTime>,
}

#[derive(Debug, Clone)]
pub struct CandidateRow {
    pub session_key: String,
    pub name: String,
    pub id_number: IdNumber,
    pub score: Option<i32>,
    pub passed: bool,
}

#[derive(Debug, Clone)]
pub struct VideoRow {
    pub session_key: String,
    pub file_name: String,
    pub sha256: String,
    pub duration_secs: i32,
    pub location: String,
    pub deleted_at: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct CredentialRow {
    pub name: String,
    pub id_number: IdNumber,
    pub kind: &'static str,
    pub number: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
}

#[derive(Debug, Clone)]
pub struct EquipmentRow {
    pub name: String,
    pub cert_number: String,
    pub valid_until: NaiveDate,
}

/// One workbook's rows, sheet by sheet (sheet names in `SHEETS`).
#[derive(Debug, Clone, Default)]
pub struct Upload {
    pub plans: Vec<Row<PlanRow>>,
    pub sessions: Vec<Row<SessionRow>>,
    pub staff: Vec<Row<StaffRow>>,
    pub candidates: Vec<Row<CandidateRow>>,
    pub videos: Vec<Row<VideoRow>>,
    pub credentials: Vec<Row<CredentialRow>>,
    pub equipment: Vec<Row<EquipmentRow>>,
    /// The optional 联系电话 of 考务证件 rows, by sheet line, as `ids::parse_phone` returns
    /// it. Kept beside [`CredentialRow`] so that rows built in code (the demo) need not
    /// name it.
    pub credential_phones: HashMap<usize, String>,
}

pub const SHEETS: [&str; 7] = [
    "考试计划",
    "考试场次",
    "考务人员",
    "考生成绩",
    "考试录像",
    "考务证件",
    "考试设备",
];

/// What an upload wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub plans: usize,
    pub sessions: usize,
    pub staff: usize,
    pub candidates: usize,
    pub videos: usize,
    pub credentials: usize,
    pub equipment: usize,
}

/// Keep-until of a session's video: its date plus the retention years (29 Feb → 28 Feb).
pub fn keep_until(session_date: NaiveDate, years: u32) -> NaiveDate {
    let y = session_date.year() + years as i32;
    session_date
        .with_year(y)
        .or_else(|| NaiveDate::from_ymd_opt(y, 2, 28))
        .unwrap_or(session_date)
}

/// Checks the cross-sheet references; the messages name sheet, row and column.
fn check_references(u: &Upload) -> Vec<String> {
    let mut errors = Vec::new();
    let mut plans = HashMap::new();
    for r in &u.plans {
        if plans.insert(r.v.key.as_str(), ()).is_some() {
            errors.push(format!("考试计划 第{}行 计划编号：与前面的行重复", r.line));
        }
        if let Err(e) = check_plan(&r.v.plan) {
            errors.push(format!("考试计划 第{}行 {e}", r.line));
        }
    }
    let mut sessions = HashMap::new();
    for r in &u.sessions {
        if sessions.insert(r.v.key.as_str(), ()).is_some() {
            errors.push(format!("考试场次 第{}行 场次编号：与前面的行重复", r.line));
        }
        if r.v.ended_at <= r.v.started_at {
            errors.push(format!("考试场次 第{}行 结束时间：应晚于开始时间", r.line));
        }
        if let Some(p) = &r.v.plan_key {
            if !plans.contains_key(p.as_str()) {
                errors.push(format!(
                    "考试场次 第{}行 计划编号：“{p}”不在考试计划表中",
                    r.line
                ));
            }
        }
    }
    let unknown = |sheet: &str, line: usize, key: &str| {
        format!("{sheet} 第{line}行 场次编号：“{key}”不在考试场次表中")
    };
    for r in &u.staff {
        if !sessions.contains_key(r.v.session_key.as_str()) {
            errors.push(unknown("考务人员", r.line, &r.v.session_key));
        }
    }
    for r in &u.candidates {
        if !sessions.contains_key(r.v.session_key.as_str()) {
            errors.push(unknown("考生成绩", r.line, &r.v.session_key));
        }
    }
    for r in &u.videos {
        if !sessions.contains_key(r.v.session_key.as_str()) {
            errors.push(unknown("考试录像", r.line, &r.v.session_key));
        }
    }
    errors
}

/// Writes an upload for `subject_id` in one transaction, or nothing: the row errors.
#[tracing::instrument(skip_all)]
pub async fn import(
    store: &Store,
    actor: &Actor,
    scope: &Scope,
    subject_id: i32,
    u: &Upload,
) -> StoreResult<Result<Counts, Vec<String>>> {
    let s = owner(store, scope, subject_id).await?;
    if let Err(StoreError::Validation(m)) = check_kind(&s) {
        return Ok(Err(vec![m]));
    }
    let mut errors = check_references(u);
    if !u.plans.is_empty() {
        if let Some(why) = plan_refusal(store, &s).await? {
            errors.insert(0, format!("考试计划：{why}"));
        }
    }
    for r in &u.plans {
        if let Some(why) = site_refusal(store, s.id, r.v.plan.site_id).await? {
            errors.push(format!("考试计划 第{}行 考试点：{why}", r.line));
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let now = store.now();
    let years = store.params.exam_video_retention_years;
    let c = &store.crypto;
    let txn = store.write().await?;
    // Uploading again is safe: rows are matched by their natural keys and updated in place
    // (a plan by site, start and category; a session by site, room and start; a credential
    // by holder, kind and number; equipment by certificate number). A session's staff and
    // candidates are replaced by the upload's; its recordings are matched by SHA-256 and
    // never removed by an upload (a recording gone is recorded with its 删除日期, so that
    // EXAM_VIDEO_RETENTION still sees it).
    let mut updated = 0usize;
    let old_plans: HashMap<(i32, NaiveDateTime, String), i32> = exam_plan::Entity::find()
        .filter(exam_plan::Column::SubjectId.eq(s.id))
        .all(&*txn)
        .await?
        .into_iter()
        .map(|p| ((p.site_id, p.starts_at, p.category), p.id))
        .collect();
    let mut plan_ids = HashMap::new();
    for r in &u.plans {
        let p = &r.v.plan;
        let key = (
            p.site_id.unwrap_or(s.id),
            p.starts_at,
            p.category.trim().to_string(),
        );
        let id = match old_plans.get(&key) {
            Some(&id) => {
                exam_plan::ActiveModel {
                    id: Set(id),
                    ends_at: Set(p.ends_at),
                    planned_candidates: Set(p.planned_candidates),
                    ..Default::default()
                }
                .update(&*txn)
                .await?;
                updated += 1;
                id
            }
            None => insert_plan(&*txn, now, actor.user_id, s.id, p).await?,
        };
        plan_ids.insert(r.v.key.clone(), id);
    }
    let old_sessions: HashMap<(i32, String, NaiveDateTime), i32> = exam_session::Entity::find()
        .filter(exam_session::Column::SubjectId.eq(s.id))
        .all(&*txn)
        .await?
        .into_iter()
        .map(|m| ((m.site_id, m.room, m.started_at), m.id))
        .collect();
    let mut session_ids = HashMap::new();
    let mut session_dates = HashMap::new();
    for r in &u.sessions {
        let v = &r.v;
        let site_id = v.site_id.unwrap_or(s.id);
        let mut am = exam_session::ActiveModel {
            subject_id: Set(s.id),
            plan_id: Set(v.plan_key.as_ref().and_then(|k| plan_ids.get(k).copied())),
            site_id: Set(site_id),
            room: Set(v.room.clone()),
            started_at: Set(v.started_at),
            ended_at: Set(v.ended_at),
            system: Set(v.system.to_string()),
            category: Set(v.category.clone()),
            high_risk_manager: Set(v.high_risk_manager),
            ..Default::default()
        };
        let id = match old_sessions.get(&(site_id, v.room.clone(), v.started_at)) {
            Some(&id) => {
                am.id = Set(id);
                am.update(&*txn).await?;
                exam_session_staff::Entity::delete_many()
                    .filter(exam_session_staff::Column::SessionId.eq(id))
                    .exec(&*txn)
                    .await?;
                exam_candidate::Entity::delete_many()
                    .filter(exam_candidate::Column::SessionId.eq(id))
                    .exec(&*txn)
                    .await?;
                updated += 1;
                id
            }
            None => {
                am.created_at = Set(now);
                am.insert(&*txn).await?.id
            }
        };
        session_ids.insert(v.key.clone(), id);
        session_dates.insert(v.key.clone(), v.started_at.date());
    }
    let touched: Vec<i32> = session_ids.values().copied().collect();
    let old_videos: HashMap<(i32, String), i32> = exam_video::Entity::find()
        .filter(exam_video::Column::SessionId.is_in(touched))
        .all(&*txn)
        .await?
        .into_iter()
        .map(|v| ((v.session_id, v.sha256), v.id))
        .collect();
    for r in &u.staff {
        let v = &r.v;
        exam_session_staff::ActiveModel {
            session_id: Set(session_ids[&v.session_key]),
            subject_id: Set(s.id),
            name: Set(v.name.clone()),
            id_enc: Set(c.encrypt(v.id_number.as_str())),
            id_bidx: Set(c.blind_index(v.id_number.as_str())),
            id_masked: Set(mask_id(v.id_number.as_str())),
            role: Set(v.role.to_string()),
            present_from: Set(v.present_from),
            present_to: Set(v.present_to),
            ..Default::default()
        }
        .insert(&*txn)
        .await?;
    }
    for r in &u.candidates {
        let v = &r.v;
        exam_candidate::ActiveModel {
            session_id: Set(session_ids[&v.session_key]),
            subject_id: Set(s.id),
            name: Set(v.name.clone()),
            id_enc: Set(c.encrypt(v.id_number.as_str())),
            id_bidx: Set(c.blind_index(v.id_number.as_str())),
            id_masked: Set(mask_id(v.id_number.as_str())),
            score: Set(v.score),
            passed: Set(v.passed),
            ..Default::default()
        }
        .insert(&*txn)
        .await?;
    }
    for r in &u.videos {
        let v = &r.v;
        let session_id = session_ids[&v.session_key];
        let mut am = exam_video::ActiveModel {
            session_id: Set(session_id),
            subject_id: Set(s.id),
            file_name: Set(v.file_name.clone()),
            sha256: Set(v.sha256.clone()),
            duration_secs: Set(v.duration_secs),
            location: Set(v.location.clone()),
            keep_until: Set(keep_until(session_dates[&v.session_key], years)),
            deleted_at: Set(v.deleted_at),
            ..Default::default()
        };
        match old_videos.get(&(session_id, v.sha256.clone())) {
            Some(&id) => {
                am.id = Set(id);
                am.update(&*txn).await?;
            }
            None => {
                am.insert(&*txn).await?;
            }
        }
    }
    let old_credentials: HashMap<(String, String, String), i32> =
        exam_staff_credential::Entity::find()
            .filter(exam_staff_credential::Column::SubjectId.eq(s.id))
            .all(&*txn)
            .await?
            .into_iter()
            .map(|m| ((m.id_bidx, m.kind, m.number), m.id))
            .collect();
    for r in &u.credentials {
        let v = &r.v;
        let phone = u.credential_phones.get(&r.line);
        let bidx = c.blind_index(v.id_number.as_str());
        let mut am = exam_staff_credential::ActiveModel {
            subject_id: Set(s.id),
            name: Set(v.name.clone()),
            id_enc: Set(c.encrypt(v.id_number.as_str())),
            id_bidx: Set(bidx.clone()),
            id_masked: Set(mask_id(v.id_number.as_str())),
            kind: Set(v.kind.to_string()),
            number: Set(v.number.clone()),
            valid_from: Set(v.valid_from),
            valid_until: Set(v.valid_until),
            ..Default::default()
        };
        // An empty phone cell keeps the phone already recorded.
        if let Some(p) = phone {
            am.phone_enc = Set(Some(c.encrypt(p)));
            am.phone_bidx = Set(Some(c.phone_index(p)));
            am.phone_masked = Set(Some(anpei_core::mask::mask_phone(p)));
        }
        match old_credentials.get(&(bidx, v.kind.to_string(), v.number.clone())) {
            Some(&id) => {
                am.id = Set(id);
                am.update(&*txn).await?;
                updated += 1;
            }
            None => {
                am.insert(&*txn).await?;
            }
        }
    }
    let old_equipment: HashMap<String, i32> = exam_equipment::Entity::find()
        .filter(exam_equipment::Column::SubjectId.eq(s.id))
        .all(&*txn)
        .await?
        .into_iter()
        .map(|m| (m.cert_number, m.id))
        .collect();
    for r in &u.equipment {
        let mut am = exam_equipment::ActiveModel {
            subject_id: Set(s.id),
            name: Set(r.v.name.clone()),
            cert_number: Set(r.v.cert_number.clone()),
            valid_until: Set(r.v.valid_until),
            ..Default::default()
        };
        match old_equipment.get(&r.v.cert_number) {
            Some(&id) => {
                am.id = Set(id);
                am.update(&*txn).await?;
                updated += 1;
            }
            None => {
                am.insert(&*txn).await?;
            }
        }
    }
    let counts = Counts {
        plans: u.plans.len(),
        sessions: u.sessions.len(),
        staff: u.staff.len(),
        candidates: u.candidates.len(),
        videos: u.videos.len(),
        credentials: u.credentials.len(),
        equipment: u.equipment.len(),
    };
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("exam_records.import", format!("subject:{}", s.id)).with_detail(format!(
            "计划{} 场次{} 考务人员{} 考生{} 录像{} 证件{} 设备{} 其中更新已有记录{updated}",
            counts.plans,
            counts.sessions,
            counts.staff,
            counts.candidates,
            counts.videos,
            counts.credentials,
            counts.equipment
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(counts))
}

/// The district's exam sites (id, name) for an exam institution's plan form.
pub async fn sites(store: &Store) -> StoreResult<Vec<(i32, String)>> {
    Ok(subject::Entity::find()
        .filter(subject::Column::Kind.eq(SubjectKind::ExamSite.code()))
        .order_by_asc(subject::Column::Name)
        .all(&store.db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}

/// Exam sites by name and by USCC (the `考试点` column of an upload names one; a reference,
/// not data disclosure).
pub async fn site_index(store: &Store) -> StoreResult<HashMap<String, i32>> {
    let mut m = HashMap::new();
    for s in subject::Entity::find()
        .filter(subject::Column::Kind.eq(SubjectKind::ExamSite.code()))
        .all(&store.db)
        .await?
    {
        m.insert(s.uscc, s.id);
        m.insert(s.name, s.id);
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_a_video_three_years_from_the_session_date() {
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(
            keep_until(d, 3),
            NaiveDate::from_ymd_opt(2027, 2, 28).unwrap()
        );
        let d = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        assert_eq!(
            keep_until(d, 3),
            NaiveDate::from_ymd_opt(2028, 6, 1).unwrap()
        );
    }
}
