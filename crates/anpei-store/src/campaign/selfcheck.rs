//! Self-inspection (自查自改, notice §三(一)): a subject answers its checklist for a campaign,
//! submits it — which locks it and turns every 不符合 answer into a problem of the 问题清单 —
//! and its supervisors (the district, its town, its department) may send it back with a
//! reason, after which the subject corrects and resubmits.
//!
//! - `status` of a self-inspection: `draft` → `submitted` → (`returned` → `submitted`)*.
//! - `answer` of an item: `compliant` (符合), `noncompliant` (不符合), `not_applicable`
//!   (不适用), and `unanswered`: a row that only holds evidence uploaded before the item was
//!   answered (evidence files are owned by an answer row, `owner_kind` [`EVIDENCE_OWNER`]).
//! - A 不符合 answer carries its problem: the explanation is the 问题描述, with 整改措施,
//!   整改时限 (not before today), 责任人 and phone (validated, encrypted, masked copy).
//! - An item whose linked rules have open findings for the subject cannot be answered 符合
//!   without an explanation.
//! - Institutions state the period covered (default: 2019-01-01 to the submission date).
//!
//! Resubmission after a send-back: the problems of the earlier submission are matched by
//! `source_ref` (`self_inspection:{id}`) and item code. One still 待整改 that nobody has
//! acted on is updated from the corrected answer (a `revised` event when something changed),
//! or deleted when the item is no longer 不符合; one already being rectified is kept as it
//! is. So no problem is ever duplicated, and work done on a problem is never lost.
//!
//! Every write is one transaction with its audit entry.

use crate::campaign::{self, CampaignInfo};
use crate::entity::{
    checklist_item, evidence_file, finding, self_inspection, self_inspection_answer as answer,
    subject, town,
};
use crate::platform::audit::{self, Actor, Event};
use crate::scope::{self, Scope};
use crate::Reach;
use crate::{Store, StoreError, StoreResult};
use anpei_core::SubjectKind;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DeriveActiveEnum, EntityTrait, EnumIter,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The status of a self-inspection (the `self_inspections.status` column, by its code).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum SelfcheckStatus {
    /// 填写中: the subject is answering it.
    #[sea_orm(string_value = "draft")]
    Draft,
    /// 已提交: locked; its 不符合 answers are problems.
    #[sea_orm(string_value = "submitted")]
    Submitted,
    /// 已退回修改: sent back by a supervisor, editable again.
    #[sea_orm(string_value = "returned")]
    Returned,
}

impl SelfcheckStatus {
    pub const ALL: [SelfcheckStatus; 3] = [
        SelfcheckStatus::Draft,
        SelfcheckStatus::Submitted,
        SelfcheckStatus::Returned,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SelfcheckStatus::Draft => "draft",
            SelfcheckStatus::Submitted => "submitted",
            SelfcheckStatus::Returned => "returned",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SelfcheckStatus::Draft => "填写中",
            SelfcheckStatus::Submitted => "已提交",
            SelfcheckStatus::Returned => "已退回修改",
        }
    }

    pub fn from_code(s: &str) -> Option<SelfcheckStatus> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }

    /// Whether the subject may still change it (a draft, or returned for correction).
    pub fn editable(self) -> bool {
        matches!(self, SelfcheckStatus::Draft | SelfcheckStatus::Returned)
    }
}

/// What a subject without a self-inspection of the campaign shows (未开始).
pub const NOT_STARTED_LABEL: &str = "未开始";

pub const COMPLIANT: &str = "compliant";
pub const NONCOMPLIANT: &str = "noncompliant";
pub const NOT_APPLICABLE: &str = "not_applicable";
pub const UNANSWERED: &str = "unanswered";

/// The answers a user may give.
pub const ANSWERS: [&str; 3] = [COMPLIANT, NONCOMPLIANT, NOT_APPLICABLE];

/// `owner_kind` of an answer's evidence files.
pub const EVIDENCE_OWNER: &str = "answer";

const TEXT_MAX: usize = 1000;

mod list;
mod submit;
mod validate;

pub use list::{list, ListFilter, ListRow, ListStatus};
pub use submit::{check, send_back, submit, Submitted, Tally};
use validate::{text, validate_answer, validate_period, ValidAnswer};
pub use validate::{AnswerInput, SaveInput};

/// 符合, 不符合, 不适用, 未作答.
pub fn answer_label(code: &str) -> &'static str {
    match code {
        COMPLIANT => "不存在",
        NONCOMPLIANT => "存在",
        NOT_APPLICABLE => "不适用",
        _ => "未作答",
    }
}

/// 填写中, 已提交, 已退回修改, or 未开始 for a subject without a self-inspection.
pub fn status_label(status: Option<SelfcheckStatus>) -> &'static str {
    status.map_or(NOT_STARTED_LABEL, SelfcheckStatus::label)
}

/// Whether the subject may still change it.
pub fn editable(si: &self_inspection::Model) -> bool {
    si.status.editable()
}

/// `self_inspection:{id}`, the `source_ref` of its problems.
pub fn source_ref(id: i32) -> String {
    format!("self_inspection:{id}")
}

/// What was wrong with one item (or, with an empty code, with the whole form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    pub code: String,
    pub message: String,
}

/// Why saving or submitting failed.
#[derive(Debug, thiserror::Error)]
pub enum SelfcheckError {
    /// The answers do not pass validation: every problem, by item.
    #[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("；"))]
    Invalid(Vec<ItemError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for SelfcheckError {
    fn from(e: sea_orm::DbErr) -> Self {
        SelfcheckError::Store(e.into())
    }
}

impl From<SelfcheckError> for StoreError {
    fn from(e: SelfcheckError) -> Self {
        match e {
            SelfcheckError::Invalid(v) => StoreError::Validation(
                v.into_iter()
                    .map(|e| e.message)
                    .collect::<Vec<_>>()
                    .join("；"),
            ),
            SelfcheckError::Store(s) => s,
        }
    }
}

pub(crate) fn invalid(code: &str, message: String) -> ItemError {
    ItemError {
        code: code.to_string(),
        message,
    }
}

// ---- reading ------------------------------------------------------------------------------

/// Self-inspections whose subject is visible in `scope`.
pub fn in_scope(scope: &Scope) -> sea_orm::Select<self_inspection::Entity> {
    let visible = scope::subjects(scope)
        .select_only()
        .column(subject::Column::Id)
        .into_query();
    self_inspection::Entity::find().filter(self_inspection::Column::SubjectId.in_subquery(visible))
}

/// One self-inspection, if its subject is visible in `scope`.
pub async fn get(
    store: &Store,
    scope: &Scope,
    id: i32,
) -> StoreResult<Option<self_inspection::Model>> {
    Ok(in_scope(scope)
        .filter(self_inspection::Column::Id.eq(id))
        .one(&store.db)
        .await?)
}

/// The subject's self-inspection of a campaign, if it has one.
pub async fn find(
    store: &Store,
    campaign_id: i32,
    subject_id: i32,
) -> StoreResult<Option<self_inspection::Model>> {
    Ok(self_inspection::Entity::find()
        .filter(self_inspection::Column::CampaignId.eq(campaign_id))
        .filter(self_inspection::Column::SubjectId.eq(subject_id))
        .one(&store.db)
        .await?)
}

/// The answers of a self-inspection, by item code.
pub async fn answers(store: &Store, inspection_id: i32) -> StoreResult<Vec<answer::Model>> {
    Ok(answer::Entity::find()
        .filter(answer::Column::InspectionId.eq(inspection_id))
        .order_by_asc(answer::Column::ItemCode)
        .all(&store.db)
        .await?)
}

/// Everything a self-inspection's pages and report show.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub si: self_inspection::Model,
    pub subject: subject::Model,
    pub town: String,
    pub campaign: CampaignInfo,
    pub kind: SubjectKind,
    pub items: Vec<checklist_item::Model>,
    pub answers: HashMap<String, answer::Model>,
}

impl Loaded {
    pub fn answer(&self, code: &str) -> Option<&answer::Model> {
        self.answers.get(code)
    }

    /// Items answered with one of the three answers.
    pub fn answered(&self) -> usize {
        self.items
            .iter()
            .filter(|i| {
                self.answers
                    .get(&i.code)
                    .is_some_and(|a| ANSWERS.contains(&a.answer.as_str()))
            })
            .count()
    }

    /// The 不符合 answers in catalogue order (the problem list of the report).
    pub fn noncompliant(&self) -> Vec<(&checklist_item::Model, &answer::Model)> {
        self.items
            .iter()
            .filter_map(|i| Some((i, self.answers.get(&i.code)?)))
            .filter(|(_, a)| a.answer == NONCOMPLIANT)
            .collect()
    }

    /// Whether the subject is an institution (it states the period covered).
    pub fn is_institution(&self) -> bool {
        self.kind != SubjectKind::Enterprise
    }

    /// The responsible persons' phones in full, by item code, when `scope` is the subject's
    /// own: its report is its own data, filed with the numbers its people are reached at.
    /// `None` for anybody else (supervisors see the masked copies).
    pub fn own_phones(
        &self,
        store: &Store,
        scope: &Scope,
    ) -> StoreResult<Option<HashMap<String, String>>> {
        if scope.reach() != Reach::Subject(self.subject.id) {
            return Ok(None);
        }
        let mut phones = HashMap::new();
        for (code, a) in &self.answers {
            if let Some(enc) = &a.responsible_phone_enc {
                phones.insert(code.clone(), store.crypto.decrypt(enc)?);
            }
        }
        Ok(Some(phones))
    }

    /// The campaign's self-inspection phase (自查自改), if it has one.
    pub fn self_inspection_phase(&self) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
        self.campaign
            .core_phases()
            .into_iter()
            .find(|p| p.kind == anpei_core::campaign::PhaseKind::SelfInspection)
            .map(|p| (p.starts_on, p.ends_on))
    }
}

/// A self-inspection visible in `scope` with its subject, campaign, items and answers.
pub async fn load(store: &Store, scope: &Scope, id: i32) -> StoreResult<Option<Loaded>> {
    let Some(si) = get(store, scope, id).await? else {
        return Ok(None);
    };
    let subject = subject::Entity::find_by_id(si.subject_id)
        .one(&store.db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let town_row = town::Entity::find_by_id(subject.town_id)
        .one(&store.db)
        .await?;
    let campaign = campaign::get(store, si.campaign_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    // As the subject's district runs it (区县实施安排).
    let campaign = match &town_row {
        Some(t) => campaign::district_dates::for_district(store, campaign, t.district_id).await?,
        None => campaign,
    };
    let town = town_row.map(|t| t.name).unwrap_or_default();
    let kind = subject.kind;
    let items = campaign::items(store, campaign.campaign.catalogue_version, Some(kind)).await?;
    let answers = answers(store, si.id)
        .await?
        .into_iter()
        .map(|a| (a.item_code.clone(), a))
        .collect();
    Ok(Some(Loaded {
        si,
        subject,
        town,
        campaign,
        kind,
        items,
        answers,
    }))
}

/// Open findings of a subject, counted by rule code.
pub async fn open_finding_counts<C: ConnectionTrait>(
    db: &C,
    subject_id: i32,
) -> StoreResult<HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = finding::Entity::find()
        .select_only()
        .column(finding::Column::Rule)
        .column_as(Expr::col(finding::Column::Id).count(), "n")
        .filter(finding::Column::SubjectId.eq(subject_id))
        .filter(finding::Column::Status.is_in(crate::ledger::leads::FindingStatus::ACTIVE))
        .group_by(finding::Column::Rule)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// How many open findings an item's linked rules have.
pub fn item_finding_count(item: &checklist_item::Model, counts: &HashMap<String, i64>) -> i64 {
    campaign::item_rules(item)
        .iter()
        .map(|r| counts.get(r).copied().unwrap_or(0))
        .sum()
}

// ---- the subject's own self-inspection ----------------------------------------------------

/// The subject's self-inspection for `campaign_id`, created as a draft the first time the
/// subject opens it. Only a subject user has one.
#[tracing::instrument(skip_all)]
pub async fn open_for_subject(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    campaign_id: i32,
) -> StoreResult<self_inspection::Model> {
    let Reach::Subject(subject_id) = scope.reach() else {
        return Err(StoreError::Forbidden);
    };
    if let Some(si) = find(store, campaign_id, subject_id).await? {
        return Ok(si);
    }
    // Only in a campaign that applies to the subject (the city's, or its district's own).
    if campaign::get_for(store, scope, campaign_id)
        .await?
        .is_none()
    {
        return Err(StoreError::NotFound);
    }
    let txn = store.write().await?;
    // Looked up again under the writer lock: another tab may have created it meanwhile.
    if let Some(si) = self_inspection::Entity::find()
        .filter(self_inspection::Column::CampaignId.eq(campaign_id))
        .filter(self_inspection::Column::SubjectId.eq(subject_id))
        .one(&*txn)
        .await?
    {
        return Ok(si);
    }
    let now = store.now();
    let si = self_inspection::ActiveModel {
        campaign_id: Set(campaign_id),
        subject_id: Set(subject_id),
        status: Set(SelfcheckStatus::Draft),
        period_from: Set(None),
        period_to: Set(None),
        submitted_at: Set(None),
        submitted_by: Set(None),
        returned_at: Set(None),
        returned_by: Set(None),
        return_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("selfcheck.create", format!("self_inspection:{}", si.id))
            .with_detail(format!("campaign:{campaign_id} subject:{subject_id}")),
    )
    .await?;
    txn.commit().await?;
    Ok(si)
}

/// The self-inspection for writing: in scope, the caller its subject, still editable.
pub(crate) async fn for_update<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: i32,
) -> StoreResult<(self_inspection::Model, subject::Model, CampaignInfo)> {
    let si = in_scope(scope)
        .filter(self_inspection::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    if !matches!(scope.reach(), Reach::Subject(s) if s == si.subject_id) {
        return Err(StoreError::Forbidden);
    }
    if !editable(&si) {
        return Err(StoreError::Conflict(
            "自查报告已提交，不能再修改；如需修改，请联系所属镇街或行业主管部门退回。".into(),
        ));
    }
    let subject = subject::Entity::find_by_id(si.subject_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let c = crate::entity::campaign::Entity::find_by_id(si.campaign_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let phases = crate::entity::campaign_phase::Entity::find()
        .filter(crate::entity::campaign_phase::Column::CampaignId.eq(c.id))
        .order_by_asc(crate::entity::campaign_phase::Column::Seq)
        .all(db)
        .await?;
    Ok((
        si,
        subject,
        CampaignInfo {
            campaign: c,
            phases,
        },
    ))
}

pub(crate) async fn items_of<C: ConnectionTrait>(
    db: &C,
    version: i32,
    kind: SubjectKind,
) -> StoreResult<Vec<checklist_item::Model>> {
    Ok(checklist_item::Entity::find()
        .filter(checklist_item::Column::Version.eq(version))
        .filter(checklist_item::Column::Kind.eq(kind.code()))
        .order_by_asc(checklist_item::Column::Seq)
        .all(db)
        .await?)
}

pub(crate) async fn answers_of<C: ConnectionTrait>(
    db: &C,
    inspection_id: i32,
) -> StoreResult<HashMap<String, answer::Model>> {
    Ok(answer::Entity::find()
        .filter(answer::Column::InspectionId.eq(inspection_id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.item_code.clone(), a))
        .collect())
}

/// Saves the answers given (a draft): each answered item is validated in full, so what is
/// stored is always consistent; items left blank stay unanswered. Nothing is saved when
/// anything is invalid.
#[tracing::instrument(skip_all)]
pub async fn save(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    id: i32,
    input: &SaveInput,
) -> Result<(), SelfcheckError> {
    let txn = store.write().await?;
    let (si, subject, c) = for_update(&*txn, scope, id).await?;
    let items = items_of(&*txn, c.campaign.catalogue_version, subject.kind).await?;
    let stored = answers_of(&*txn, id).await?;
    let counts = open_finding_counts(&*txn, subject.id).await?;
    let today = store.today();
    let institution = subject.kind != SubjectKind::Enterprise;
    let mut errs = Vec::new();
    let period = validate_period(input, institution, today).unwrap_or_else(|e| {
        errs.extend(e);
        None
    });
    let mut valid = Vec::new();
    for a in &input.answers {
        let Some(item) = items.iter().find(|i| i.code == a.code) else {
            errs.push(invalid(
                &a.code,
                format!("{}：不是本单位检查表中的条目", a.code),
            ));
            continue;
        };
        if a.answer.trim().is_empty() {
            continue;
        }
        let has_phone = stored
            .get(&item.code)
            .is_some_and(|s| s.responsible_phone_enc.is_some());
        match validate_answer(item, a, today, item_finding_count(item, &counts), has_phone) {
            Ok(v) => valid.push((item.code.clone(), v)),
            Err(e) => errs.extend(e),
        }
    }
    if !errs.is_empty() {
        return Err(SelfcheckError::Invalid(errs));
    }
    let now = store.now();
    for (code, v) in &valid {
        upsert_answer(&*txn, store, actor, id, code, stored.get(code), v, now).await?;
    }
    let mut am = si.into_active_model();
    if let Some((f, t)) = period {
        am.period_from = Set(Some(f));
        am.period_to = Set(Some(t));
    } else {
        am.period_from = Set(None);
        am.period_to = Set(None);
    }
    am.updated_at = Set(now);
    am.update(&*txn).await?;
    let answered = stored
        .iter()
        .filter(|(k, a)| {
            ANSWERS.contains(&a.answer.as_str()) && !valid.iter().any(|(c, _)| c == *k)
        })
        .count()
        + valid.len();
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("selfcheck.save", format!("self_inspection:{id}"))
            .with_detail(format!("answered {answered}/{}", items.len())),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn upsert_answer<C: ConnectionTrait>(
    db: &C,
    store: &Store,
    actor: &Actor,
    inspection_id: i32,
    code: &str,
    existing: Option<&answer::Model>,
    v: &ValidAnswer,
    now: i64,
) -> StoreResult<()> {
    let mut am = match existing {
        Some(e) => e.clone().into_active_model(),
        None => answer::ActiveModel {
            inspection_id: Set(inspection_id),
            item_code: Set(code.to_string()),
            ..Default::default()
        },
    };
    am.answer = Set(v.answer.to_string());
    am.explanation = Set(v.explanation.clone());
    am.measures = Set(v.measures.clone());
    am.deadline = Set(v.deadline);
    am.responsible_name = Set(v.responsible_name.clone());
    match (&v.phone, v.answer == NONCOMPLIANT) {
        (Some(p), _) => {
            am.responsible_phone_enc = Set(Some(store.crypto.encrypt(p)));
            am.responsible_phone_masked = Set(Some(anpei_core::mask::mask_phone(p)));
        }
        // No 不符合: no responsible person (a phone typed before is dropped).
        (None, false) => {
            am.responsible_phone_enc = Set(None);
            am.responsible_phone_masked = Set(None);
        }
        (None, true) => {}
    }
    am.updated_at = Set(now);
    am.updated_by = Set(actor.user_id);
    if existing.is_some() {
        am.update(db).await?;
    } else {
        am.insert(db).await?;
    }
    Ok(())
}

/// The answer row that owns an item's evidence, created (`unanswered`) if the item has none
/// yet; the self-inspection must be the caller's own and editable.
pub async fn evidence_owner(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    id: i32,
    code: &str,
) -> StoreResult<(i32, i32)> {
    let txn = store.write().await?;
    let (_, subject, c) = for_update(&*txn, scope, id).await?;
    let items = items_of(&*txn, c.campaign.catalogue_version, subject.kind).await?;
    if !items.iter().any(|i| i.code == code) {
        return Err(StoreError::Validation(format!(
            "“{code}”不是本单位检查表中的条目"
        )));
    }
    if let Some(a) = answer::Entity::find()
        .filter(answer::Column::InspectionId.eq(id))
        .filter(answer::Column::ItemCode.eq(code))
        .one(&*txn)
        .await?
    {
        return Ok((a.id, subject.id));
    }
    let now = store.now();
    let a = answer::ActiveModel {
        inspection_id: Set(id),
        item_code: Set(code.to_string()),
        answer: Set(UNANSWERED.into()),
        explanation: Set(String::new()),
        updated_at: Set(now),
        updated_by: Set(actor.user_id),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    txn.commit().await?;
    Ok((a.id, subject.id))
}

/// Removes an evidence file from an item of the caller's own editable self-inspection (the
/// stored bytes stay: files are named by content and may be shared).
pub async fn remove_evidence(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    id: i32,
    file_id: i32,
) -> StoreResult<()> {
    let txn = store.write().await?;
    for_update(&*txn, scope, id).await?;
    let owners = answer::Entity::find()
        .select_only()
        .column(answer::Column::Id)
        .filter(answer::Column::InspectionId.eq(id))
        .into_query();
    let f = evidence_file::Entity::find_by_id(file_id)
        .filter(evidence_file::Column::OwnerKind.eq(EVIDENCE_OWNER))
        .filter(evidence_file::Column::OwnerId.in_subquery(owners))
        .one(&*txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    evidence_file::Entity::delete_by_id(f.id)
        .exec(&*txn)
        .await?;
    audit::append(
        &*txn,
        store.now(),
        actor,
        &Event::ok("evidence.remove", format!("evidence:{file_id}"))
            .with_detail(format!("self_inspection:{id} {}", f.file_name)),
    )
    .await?;
    txn.commit().await
}
