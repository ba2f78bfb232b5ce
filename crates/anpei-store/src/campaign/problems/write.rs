//! Writing the problem list: inserting a problem (self-inspection or a supervisor's form),
//! the transitions of its life with their events, notices and audit entries, and the daily
//! job's `overdue` events — each in one transaction.

use super::query::overdue_condition;
use super::{may_act, next_status, Action, ProblemStatus, Source};
use crate::entity::{campaign, problem, problem_event, subject};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::inbox::{self, NewMessage};
use crate::scope::{self, Role, Scope};
use crate::Reach;
use crate::{Crypto, Store, StoreError, StoreResult};
use chrono::NaiveDate;
use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Deserialize;

/// A problem to insert (validated already).
#[derive(Debug, Clone)]
pub struct NewProblem {
    pub campaign_id: Option<i32>,
    pub subject_id: i32,
    pub source: Source,
    /// What it came from, e.g. `self_inspection:12`.
    pub source_ref: Option<String>,
    pub item_code: Option<String>,
    pub description: String,
    pub measures: String,
    pub deadline: NaiveDate,
    pub responsible_name: String,
    /// A phone number as `anpei_core::ids::parse_phone` returns it; stored encrypted.
    pub responsible_phone: Option<String>,
    pub created_by: Option<i32>,
    /// Who entered it, as the history shows (a display name).
    pub by_name: String,
}

/// Inserts a problem and its `created` event inside the caller's transaction; returns its
/// id. For the self-inspection's 不符合 items and the supervisor's form alike.
pub async fn insert_new<C: ConnectionTrait>(
    db: &C,
    crypto: &Crypto,
    now: i64,
    p: NewProblem,
) -> StoreResult<i32> {
    let text = format!("登记问题（来源：{}）", p.source.label());
    let m = problem::ActiveModel {
        id: NotSet,
        campaign_id: Set(p.campaign_id),
        subject_id: Set(p.subject_id),
        source: Set(p.source),
        source_ref: Set(p.source_ref),
        item_code: Set(p.item_code),
        description: Set(p.description),
        measures: Set(p.measures),
        deadline: Set(p.deadline),
        responsible_name: Set(p.responsible_name),
        responsible_phone_enc: Set(p.responsible_phone.as_deref().map(|x| crypto.encrypt(x))),
        responsible_phone_masked: Set(p
            .responsible_phone
            .as_deref()
            .map(anpei_core::mask::mask_phone)),
        status: Set(ProblemStatus::Pending),
        created_at: Set(now),
        created_by: Set(p.created_by),
        updated_at: Set(now),
        closed_at: Set(None),
        closed_by: Set(None),
    }
    .insert(db)
    .await?;
    problem_event::ActiveModel {
        id: NotSet,
        problem_id: Set(m.id),
        kind: Set("created".into()),
        text: Set(text),
        status_after: Set(ProblemStatus::Pending.code().into()),
        by_user: Set(p.created_by),
        by_name: Set(p.by_name),
        at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(m.id)
}

/// The raw fields of the supervisor's form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProblemInput {
    #[serde(default)]
    pub subject_id: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub measures: String,
    #[serde(default)]
    pub deadline: String,
    #[serde(default)]
    pub responsible_name: String,
    #[serde(default)]
    pub responsible_phone: String,
    #[serde(default)]
    pub campaign_id: String,
}

/// A date as users type it: `2022-03-31`, `2022/3/31`, `2022.3.31` or `2022年3月31日`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = anpei_core::ids::trim_cell(s);
    let norm: String = t
        .replace(['年', '月', '/', '.'], "-")
        .trim_end_matches('日')
        .to_string();
    NaiveDate::parse_from_str(&norm, "%Y-%m-%d").ok()
}

fn text_field(
    errs: &mut Vec<(&'static str, String)>,
    field: &'static str,
    label: &str,
    raw: &str,
    max: usize,
) -> String {
    let t = anpei_core::ids::trim_cell(raw).to_string();
    if t.is_empty() || t.chars().count() > max {
        errs.push((field, format!("{label}：不能为空，且不超过{max}个字符")));
    }
    t
}

/// Creates a problem found by a supervisor (district, department or town) on a subject in
/// its scope; the subject's users are notified. Returns the new problem's id.
#[tracing::instrument(skip_all)]
pub async fn create(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    by_name: &str,
    input: &ProblemInput,
) -> StoreResult<i32> {
    if matches!(scope.reach(), Reach::Subject(_) | Reach::Nothing) {
        return Err(StoreError::Forbidden);
    }
    let txn = store.write().await?;
    let mut errs: Vec<(&'static str, String)> = Vec::new();
    // An id (the form's hidden field), or what a person types: the code or the full name.
    let who = anpei_core::ids::trim_cell(&input.subject_id);
    let subject = if who.is_empty() {
        None
    } else {
        let by = match who.parse::<i32>() {
            Ok(id) => Condition::all().add(subject::Column::Id.eq(id)),
            Err(_) => Condition::any()
                .add(subject::Column::Uscc.eq(who.to_ascii_uppercase()))
                .add(subject::Column::Name.eq(who)),
        };
        scope::subjects(scope).filter(by).one(&*txn).await?
    };
    if subject.is_none() {
        errs.push((
            "subject_id",
            "被检查单位：请填写本辖区内单位的统一社会信用代码或单位全称".into(),
        ));
    }
    let source = Source::from_code(input.source.trim())
        .filter(|s| Source::BY_SUPERVISOR.contains(s))
        .or_else(|| {
            errs.push((
                "source",
                "来源：请选择执法检查、督查、举报或规则引擎".into(),
            ));
            None
        });
    let description = text_field(
        &mut errs,
        "description",
        "问题描述",
        &input.description,
        1000,
    );
    let measures = text_field(&mut errs, "measures", "整改措施", &input.measures, 1000);
    let today = store.today();
    let deadline = match parse_date(&input.deadline) {
        Some(d) if d < today => {
            errs.push(("deadline", format!("整改时限：不能早于今天（{today}）")));
            None
        }
        Some(d) => Some(d),
        None => {
            errs.push(("deadline", "整改时限：请填写日期，如 2022-03-31".into()));
            None
        }
    };
    let responsible_name = text_field(
        &mut errs,
        "responsible_name",
        "责任人",
        &input.responsible_name,
        50,
    );
    let phone = anpei_core::ids::trim_cell(&input.responsible_phone);
    let responsible_phone = if phone.is_empty() {
        None
    } else {
        match anpei_core::ids::parse_phone(phone) {
            Ok(p) => Some(p),
            Err(e) => {
                errs.push(("responsible_phone", format!("联系电话：{e}")));
                None
            }
        }
    };
    let campaign_id = match input.campaign_id.trim() {
        "" => None,
        c => match c.parse::<i32>() {
            // One that applies where the subject lies (the city's, or its district's own).
            Ok(id) if applies_to(&*txn, id, subject.as_ref()).await? => Some(id),
            _ => {
                errs.push(("campaign_id", "所属专项整治：不存在，请重新选择".into()));
                None
            }
        },
    };
    if !errs.is_empty() {
        return Err(StoreError::Fields(errs));
    }
    let (subject, source, deadline) = (
        subject.expect("checked"),
        source.expect("checked"),
        deadline.expect("checked"),
    );
    let now = store.now();
    let id = insert_new(
        &*txn,
        &store.crypto,
        now,
        NewProblem {
            campaign_id,
            subject_id: subject.id,
            source,
            source_ref: None,
            item_code: None,
            description: description.clone(),
            measures,
            deadline,
            responsible_name,
            responsible_phone,
            created_by: actor.user_id,
            by_name: by_name.to_string(),
        },
    )
    .await?;
    let to = inbox::recipients_of_subject(&*txn, subject.id, subject.town_id, None, false).await?;
    let msgs = to
        .into_iter()
        .map(|(uid, _)| NewMessage {
            user_id: uid,
            kind: "problem_created".into(),
            title: format!("新增问题（{}），请于{deadline}前整改", source.label()),
            body: description.clone(),
            link: format!("/problems/{id}"),
            dedupe_key: format!("problem:{id}:created:{uid}"),
        })
        .collect();
    inbox::send_many(&*txn, now, msgs).await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("problem.create", format!("problem:{id}")).with_detail(format!(
            "subject:{} source={}",
            subject.id,
            source.code()
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// Most characters of an update's text.
const MAX_TEXT: usize = 2000;

/// Does `action` to problem `id` as the holder of `scope`, with `text` (the rectification,
/// the reason of a rejection, the verification's remark); returns the new event's id, which
/// owns the update's evidence files. One transaction: the status, the event, the notices to
/// those concerned and the audit entry.
#[tracing::instrument(skip_all)]
pub async fn act(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    by_name: &str,
    id: i32,
    action: Action,
    text: &str,
) -> StoreResult<i32> {
    act_with(store, scope, actor, by_name, id, action, text, None).await
}

/// [`act`] with an evidence file (a rectification photo) that the new event owns, its row
/// written in the same transaction: the update and its photo are kept together or not at
/// all.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all)]
pub async fn act_with(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    by_name: &str,
    id: i32,
    action: Action,
    text: &str,
    attachment: Option<&crate::platform::evidence::Attachment>,
) -> StoreResult<i32> {
    let txn = store.write().await?;
    let (p, s) = problem::Entity::find_by_id(id)
        .find_also_related(subject::Entity)
        .filter(scope.subject_condition())
        .one(&*txn)
        .await?
        .and_then(|(p, s)| s.map(|s| (p, s)))
        .ok_or(StoreError::NotFound)?;
    may_act(scope, &s, action)?;
    let from = p.status;
    let to = next_status(from, action).map_err(|m| StoreError::Validation(m.into()))?;
    let text = anpei_core::ids::trim_cell(text).to_string();
    let text = match action {
        Action::Verify if text.is_empty() => "核验通过，予以销号".to_string(),
        Action::Reject if text.is_empty() => {
            return Err(StoreError::Fields(vec![(
                "text",
                "退回理由：请写明退回的理由和需要补充整改的内容".into(),
            )]))
        }
        Action::Rectify | Action::RequestVerification if text.is_empty() => {
            return Err(StoreError::Fields(vec![(
                "text",
                "整改情况：请写明已采取的整改措施".into(),
            )]))
        }
        _ => text,
    };
    if text.chars().count() > MAX_TEXT {
        return Err(StoreError::Fields(vec![(
            "text",
            format!("说明：不超过{MAX_TEXT}个字符"),
        )]));
    }
    let now = store.now();
    let mut upd = problem::Entity::update_many()
        .col_expr(problem::Column::Status, Expr::value(to.code()))
        .col_expr(problem::Column::UpdatedAt, Expr::value(now))
        .filter(problem::Column::Id.eq(id))
        // The status read above, still: a concurrent writer on another engine cannot slip
        // a second transition in between.
        .filter(problem::Column::Status.eq(from));
    if to == ProblemStatus::Closed {
        upd = upd
            .col_expr(problem::Column::ClosedAt, Expr::value(now))
            .col_expr(problem::Column::ClosedBy, Expr::value(actor.user_id));
    }
    if upd.exec(&*txn).await?.rows_affected != 1 {
        return Err(StoreError::Conflict(
            "该问题刚被他人更新，请刷新页面后重试".into(),
        ));
    }
    if to == ProblemStatus::Closed {
        crate::ledger::leads::problem_closed(&*txn, now, store.today(), actor, by_name, id).await?;
    }
    let ev = problem_event::ActiveModel {
        id: NotSet,
        problem_id: Set(id),
        kind: Set(action.code().into()),
        text: Set(text.clone()),
        status_after: Set(to.code().into()),
        by_user: Set(actor.user_id),
        by_name: Set(by_name.to_string()),
        at: Set(now),
    }
    .insert(&*txn)
    .await?;
    notify(&*txn, now, &p, &s, action, ev.id, &text).await?;
    if let Some(a) = attachment {
        crate::platform::evidence::insert(
            &*txn,
            now,
            actor,
            super::EVIDENCE_OWNER,
            ev.id,
            Some(p.subject_id),
            a,
        )
        .await?;
    }
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("problem.update", format!("problem:{id}")).with_detail(format!(
            "{} {}→{}",
            action.code(),
            from.code(),
            to.code()
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(ev.id)
}

async fn notify<C: ConnectionTrait>(
    db: &C,
    now: i64,
    p: &problem::Model,
    s: &subject::Model,
    action: Action,
    event_id: i32,
    text: &str,
) -> StoreResult<()> {
    let (kind, title, supervisors) = match action {
        Action::Rectify => return Ok(()),
        Action::RequestVerification => (
            "problem_verify_requested",
            format!("{}申请核验问题整改", s.name),
            true,
        ),
        Action::Verify => ("problem_verified", "问题已核验销号".to_string(), false),
        Action::Reject => (
            "problem_rejected",
            "整改被退回，请继续整改".to_string(),
            false,
        ),
    };
    let to = inbox::recipients_of_subject(db, s.id, s.town_id, Some(s.department_id), true)
        .await?
        .into_iter()
        .filter(|(_, r)| (*r == Role::Subject) != supervisors);
    let body = format!("问题：{}\n{}：{}", p.description, action.label(), text);
    let msgs = to
        .map(|(uid, _)| NewMessage {
            user_id: uid,
            kind: kind.into(),
            title: title.clone(),
            body: body.clone(),
            link: format!("/problems/{}", p.id),
            dedupe_key: format!("problem:{}:event:{event_id}:{uid}", p.id),
        })
        .collect();
    inbox::send_many(db, now, msgs).await?;
    Ok(())
}

/// Records an `overdue` event, once, for every problem overdue on `today` that has none;
/// returns the ids of the problems newly recorded (inside the caller's transaction).
pub async fn record_overdue<C: ConnectionTrait>(
    db: &C,
    today: NaiveDate,
    now: i64,
) -> StoreResult<Vec<i32>> {
    let marked = Query::select()
        .column(problem_event::Column::ProblemId)
        .from(problem_event::Entity)
        .and_where(problem_event::Column::Kind.eq("overdue"))
        .to_owned();
    let due: Vec<(i32, String, NaiveDate)> = problem::Entity::find()
        .select_only()
        .columns([
            problem::Column::Id,
            problem::Column::Status,
            problem::Column::Deadline,
        ])
        .filter(overdue_condition(today))
        .filter(problem::Column::Id.not_in_subquery(marked))
        .order_by_asc(problem::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let ids: Vec<i32> = due.iter().map(|(id, _, _)| *id).collect();
    let mut rows = due
        .into_iter()
        .map(|(id, status, deadline)| problem_event::ActiveModel {
            id: NotSet,
            problem_id: Set(id),
            kind: Set("overdue".into()),
            text: Set(format!("已超过整改时限（{deadline}），尚未销号")),
            status_after: Set(status),
            by_user: Set(None),
            by_name: Set("系统".into()),
            at: Set(now),
        });
    loop {
        let chunk: Vec<_> = rows.by_ref().take(400).collect();
        if chunk.is_empty() {
            break;
        }
        problem_event::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(ids)
}

/// 催办: reminds every subject in `scope` and the filter that has problems past their
/// rectification deadline — each of its accounts gets an inbox message naming how many — at
/// most once a day per subject ([`crate::platform::urge`]). Supervisors only.
#[tracing::instrument(skip_all)]
pub async fn urge_overdue(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    f: &super::ProblemFilter,
) -> StoreResult<crate::platform::urge::Urged> {
    use crate::platform::urge::{self, Matter, Reminder};
    use std::collections::BTreeMap;
    urge::may_urge(scope)?;
    let f = super::ProblemFilter {
        status: Some(super::StatusFilter::Overdue),
        ..f.clone()
    };
    let mut by_subject: BTreeMap<i32, (String, usize, NaiveDate)> = BTreeMap::new();
    for p in super::all(store, scope, &f).await? {
        let e = by_subject
            .entry(p.subject_id)
            .or_insert((p.subject_name.clone(), 0, p.deadline));
        e.1 += 1;
        e.2 = e.2.min(p.deadline);
    }
    let mut reminders = Vec::with_capacity(by_subject.len());
    for (sid, (name, n, earliest)) in by_subject {
        let to = inbox::recipients_of_subject(&store.db, sid, 0, None, false).await?;
        reminders.push(Reminder {
            unit: format!("subject:{sid}"),
            recipients: to.into_iter().map(|(uid, _)| uid).collect(),
            title: format!("催办：{n}项问题已超过整改期限"),
            body: format!(
                "{name}有{n}项问题逾期未整改（最早的整改期限为{earliest}），请立即整改并在“问题清单”中提交核验。"
            ),
            link: "/problems?status=overdue".into(),
        });
    }
    urge::send(
        store,
        actor,
        Matter {
            kind: "urge_problem_overdue",
            key: "problem_overdue",
            target: "problems",
        },
        reminders,
    )
    .await
}

/// Whether campaign `id` exists and applies where `subject` lies: the city's apply
/// everywhere, a district's own in its district only.
async fn applies_to<C: sea_orm::ConnectionTrait>(
    db: &C,
    id: i32,
    subject: Option<&subject::Model>,
) -> StoreResult<bool> {
    let Some(c) = campaign::Entity::find_by_id(id).one(db).await? else {
        return Ok(false);
    };
    let Some(owner) = c.district_id else {
        return Ok(true);
    };
    let Some(s) = subject else {
        return Ok(false);
    };
    Ok(crate::entity::town::Entity::find_by_id(s.town_id)
        .one(db)
        .await?
        .is_some_and(|t| t.district_id == owner))
}
