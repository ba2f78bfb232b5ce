//! Submitting a self-inspection (its problems created, updated or removed in the same
//! transaction) and sending it back (退回修改).

use super::in_scope;
use super::{
    answers_of, for_update, invalid, item_finding_count, items_of, open_finding_counts, source_ref,
    text, validate_answer, AnswerInput, SelfcheckError, SelfcheckStatus, ANSWERS, NONCOMPLIANT,
};
use crate::campaign::problems::ProblemStatus;
use crate::campaign::problems::{self, NewProblem, Source};
use crate::entity::{
    checklist_item, problem, problem_event, self_inspection, self_inspection_answer as answer,
    subject,
};
use crate::platform::audit::{self, Actor, Event};
use crate::Reach;
use crate::{Scope, Store, StoreError, StoreResult};
use anpei_core::campaign::notice_institution_period_from;
use anpei_core::SubjectKind;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, Set,
};
use std::collections::HashMap;

/// What a submission did to the problem list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Submitted {
    pub created: usize,
    pub updated: usize,
    pub kept: usize,
    pub removed: usize,
}

fn stored_as_input(a: &answer::Model) -> AnswerInput {
    AnswerInput {
        code: a.item_code.clone(),
        answer: a.answer.clone(),
        explanation: a.explanation.clone(),
        measures: a.measures.clone().unwrap_or_default(),
        deadline: a.deadline.map(|d| d.to_string()).unwrap_or_default(),
        responsible_name: a.responsible_name.clone().unwrap_or_default(),
        responsible_phone: String::new(),
    }
}

/// How a complete self-inspection answers its items (the confirmation before submitting).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// 不存在 (the stored `compliant`).
    pub absent: usize,
    /// 存在: each becomes a problem.
    pub present: usize,
    pub not_applicable: usize,
}

/// What the checks before a submission read.
struct Checked {
    si: self_inspection::Model,
    items: Vec<checklist_item::Model>,
    stored: HashMap<String, answer::Model>,
    institution: bool,
}

/// Every check a submission makes, all at once: each item answered and valid (findings and
/// today may have changed since it was saved), an institution's period complete. Every
/// error is returned together, never only the first.
async fn check_all<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: i32,
    today: chrono::NaiveDate,
) -> Result<Checked, SelfcheckError> {
    let (si, subject, c) = for_update(db, scope, id).await?;
    let items = items_of(db, c.campaign.catalogue_version, subject.kind).await?;
    let stored = answers_of(db, id).await?;
    let counts = open_finding_counts(db, subject.id).await?;
    let mut errs = Vec::new();
    for item in &items {
        match stored
            .get(&item.code)
            .filter(|a| ANSWERS.contains(&a.answer.as_str()))
        {
            None => errs.push(invalid(&item.code, format!("{}：尚未作答", item.code))),
            Some(a) => {
                if let Err(e) = validate_answer(
                    item,
                    &stored_as_input(a),
                    today,
                    item_finding_count(item, &counts),
                    a.responsible_phone_enc.is_some(),
                ) {
                    errs.extend(e);
                }
            }
        }
    }
    let institution = subject.kind != SubjectKind::Enterprise;
    if institution && si.period_from.is_some() != si.period_to.is_some() {
        errs.push(invalid("", "自查期间：请填写起止日期".into()));
    }
    if !errs.is_empty() {
        return Err(SelfcheckError::Invalid(errs));
    }
    Ok(Checked {
        si,
        items,
        stored,
        institution,
    })
}

/// Checks the saved self-inspection as a submission would, without submitting: every
/// missing or invalid answer at once, or how it answers its items.
#[tracing::instrument(skip_all)]
pub async fn check(store: &Store, scope: &Scope, id: i32) -> Result<Tally, SelfcheckError> {
    let c = check_all(&store.db, scope, id, store.today()).await?;
    let mut t = Tally::default();
    for item in &c.items {
        match c.stored.get(&item.code).map(|a| a.answer.as_str()) {
            Some(NONCOMPLIANT) => t.present += 1,
            Some(super::NOT_APPLICABLE) => t.not_applicable += 1,
            _ => t.absent += 1,
        }
    }
    Ok(t)
}

/// Submits: every check of [`check`] again inside the transaction, then the self-inspection
/// locked, one `problems` row (source self_inspection, status pending, with its `created`
/// event) per 存在 answer — or, on a resubmission, the earlier ones updated, kept or removed
/// (module docs) — and the audit entry.
#[tracing::instrument(skip_all)]
pub async fn submit(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    by_name: &str,
    id: i32,
) -> Result<Submitted, SelfcheckError> {
    let txn = store.write().await?;
    let today = store.today();
    let Checked {
        si,
        items,
        stored,
        institution,
    } = check_all(&*txn, scope, id, today).await?;
    let now = store.now();
    let outcome = sync_problems(&*txn, store, actor, by_name, &si, &items, &stored, now).await?;
    let (period_from, period_to) = match (si.period_from, si.period_to) {
        (Some(f), Some(t)) => (Some(f), Some(t)),
        _ if institution => (Some(notice_institution_period_from()), Some(today)),
        _ => (None, None),
    };
    let resubmission = si.status == SelfcheckStatus::Returned;
    let mut am = si.into_active_model();
    am.status = Set(SelfcheckStatus::Submitted);
    am.submitted_at = Set(Some(now));
    am.submitted_by = Set(actor.user_id);
    am.period_from = Set(period_from);
    am.period_to = Set(period_to);
    am.updated_at = Set(now);
    am.update(&*txn).await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("selfcheck.submit", format!("self_inspection:{id}")).with_detail(format!(
            "{}problems created={} updated={} kept={} removed={}",
            if resubmission { "resubmission; " } else { "" },
            outcome.created,
            outcome.updated,
            outcome.kept,
            outcome.removed
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(outcome)
}

/// Creates, updates or removes the problems of a submission (module docs).
#[allow(clippy::too_many_arguments)]
async fn sync_problems<C: ConnectionTrait>(
    db: &C,
    store: &Store,
    actor: &Actor,
    by_name: &str,
    si: &self_inspection::Model,
    items: &[checklist_item::Model],
    stored: &HashMap<String, answer::Model>,
    now: i64,
) -> StoreResult<Submitted> {
    let sref = source_ref(si.id);
    let existing: Vec<problem::Model> = problem::Entity::find()
        .filter(problem::Column::Source.eq(Source::SelfInspection))
        .filter(problem::Column::SourceRef.eq(sref.clone()))
        .all(db)
        .await?;
    // Problems nobody has acted on: only `created` / `revised` events.
    let touched: Vec<i32> = if existing.is_empty() {
        Vec::new()
    } else {
        problem_event::Entity::find()
            .select_only()
            .column(problem_event::Column::ProblemId)
            .filter(
                problem_event::Column::ProblemId
                    .is_in(existing.iter().map(|p| p.id).collect::<Vec<_>>()),
            )
            .filter(problem_event::Column::Kind.is_not_in(["created", "revised"]))
            .distinct()
            .into_tuple()
            .all(db)
            .await?
    };
    let untouched =
        |p: &problem::Model| p.status == ProblemStatus::Pending && !touched.contains(&p.id);
    let mut out = Submitted::default();
    for item in items {
        let a = stored.get(&item.code).filter(|a| a.answer == NONCOMPLIANT);
        let prior = existing
            .iter()
            .find(|p| p.item_code.as_deref() == Some(item.code.as_str()));
        match (a, prior) {
            (Some(a), None) => {
                let phone = match &a.responsible_phone_enc {
                    Some(enc) => Some(store.crypto.decrypt(enc)?),
                    None => None,
                };
                problems::insert_new(
                    db,
                    &store.crypto,
                    now,
                    NewProblem {
                        campaign_id: Some(si.campaign_id),
                        subject_id: si.subject_id,
                        source: Source::SelfInspection,
                        source_ref: Some(sref.clone()),
                        item_code: Some(item.code.clone()),
                        description: a.explanation.clone(),
                        measures: a.measures.clone().unwrap_or_default(),
                        deadline: a.deadline.unwrap_or_else(|| store.today()),
                        responsible_name: a.responsible_name.clone().unwrap_or_default(),
                        responsible_phone: phone,
                        created_by: actor.user_id,
                        by_name: by_name.to_string(),
                    },
                )
                .await?;
                out.created += 1;
            }
            (Some(a), Some(p)) if untouched(p) => {
                let same = p.description == a.explanation
                    && Some(&p.measures) == a.measures.as_ref()
                    && Some(p.deadline) == a.deadline
                    && Some(&p.responsible_name) == a.responsible_name.as_ref()
                    && p.responsible_phone_masked == a.responsible_phone_masked;
                if same {
                    out.kept += 1;
                    continue;
                }
                let mut am = p.clone().into_active_model();
                am.description = Set(a.explanation.clone());
                am.measures = Set(a.measures.clone().unwrap_or_default());
                if let Some(d) = a.deadline {
                    am.deadline = Set(d);
                }
                am.responsible_name = Set(a.responsible_name.clone().unwrap_or_default());
                am.responsible_phone_enc = Set(a.responsible_phone_enc.clone());
                am.responsible_phone_masked = Set(a.responsible_phone_masked.clone());
                am.updated_at = Set(now);
                am.update(db).await?;
                problem_event::ActiveModel {
                    problem_id: Set(p.id),
                    kind: Set("revised".into()),
                    text: Set("自查报告退回修改后重新提交，问题内容已更新".into()),
                    status_after: Set(p.status.code().into()),
                    by_user: Set(actor.user_id),
                    by_name: Set(by_name.to_string()),
                    at: Set(now),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                out.updated += 1;
            }
            (None, Some(p)) if untouched(p) => {
                problem::Entity::delete_by_id(p.id).exec(db).await?;
                out.removed += 1;
            }
            (_, Some(_)) => out.kept += 1,
            (None, None) => {}
        }
    }
    Ok(out)
}

/// Sends a submitted self-inspection back for correction (退回修改), with a reason. The
/// district, or the subject's town or department (its scope); the subject's users are told
/// in their inbox.
#[tracing::instrument(skip_all)]
pub async fn send_back(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    id: i32,
    reason: &str,
) -> StoreResult<()> {
    if matches!(scope.reach(), Reach::Subject(_) | Reach::Nothing) {
        return Err(StoreError::Forbidden);
    }
    let txn = store.write().await?;
    let si = in_scope(scope)
        .filter(self_inspection::Column::Id.eq(id))
        .one(&*txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let reason = text(reason);
    if reason.chars().count() < 2 || reason.chars().count() > 500 {
        return Err(StoreError::Fields(vec![(
            "reason",
            "退回原因：请写明需要修改的内容（2至500个字符）".into(),
        )]));
    }
    if si.status != SelfcheckStatus::Submitted {
        return Err(StoreError::Conflict(format!(
            "只能退回已提交的自查报告（当前状态：{}）",
            si.status.label()
        )));
    }
    let subject = subject::Entity::find_by_id(si.subject_id)
        .one(&*txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let now = store.now();
    let mut am = si.clone().into_active_model();
    am.status = Set(SelfcheckStatus::Returned);
    am.returned_at = Set(Some(now));
    am.returned_by = Set(actor.user_id);
    am.return_reason = Set(Some(reason.clone()));
    am.updated_at = Set(now);
    am.update(&*txn).await?;
    let to = crate::platform::inbox::recipients_of_subject(
        &*txn,
        subject.id,
        subject.town_id,
        None,
        false,
    )
    .await?;
    let msgs: Vec<crate::platform::inbox::NewMessage> = to
        .into_iter()
        .map(|(user_id, _)| crate::platform::inbox::NewMessage {
            user_id,
            kind: "self_inspection_returned".into(),
            title: "自查报告被退回修改".into(),
            body: format!("退回原因：{reason}"),
            link: format!("/selfcheck/{id}"),
            dedupe_key: format!("self_inspection_returned:{id}:{now}:{user_id}"),
        })
        .collect();
    crate::platform::inbox::send_many(&*txn, now, msgs).await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("selfcheck.return", format!("self_inspection:{id}")).with_detail(reason),
    )
    .await?;
    txn.commit().await
}
