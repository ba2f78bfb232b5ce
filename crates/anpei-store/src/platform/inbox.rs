//! The in-app inbox (站内消息): reminders of the daily job and notices of the problem list's
//! transitions. A message carries a `dedupe_key`; sending a key that exists already is a
//! no-op, which makes every reminder idempotent (a job run twice sends nothing new).

use crate::entity::{inbox_message, user};
use crate::platform::audit::{self, Actor, Event};
use crate::scope::Role;
use crate::{Store, StoreError, StoreResult};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use std::collections::HashSet;

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewMessage {
    pub user_id: i32,
    /// What it is about, see [`kind_label`].
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Where the message leads (a path inside the application).
    pub link: String,
    /// Unique over all messages: the same key is never sent twice.
    pub dedupe_key: String,
}

/// The Chinese name of a message kind.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "self_inspection_due" => "自查提醒",
        "urge_self_inspection"
        | "urge_problem_overdue"
        | "urge_tipoff_overdue"
        | "urge_summary" => "催办",
        "tipoff_received" => "新举报",
        "tipoff_assigned" => "交办举报",
        "finding_assigned" => "交办问题线索",
        "problem_due" => "整改到期提醒",
        "problem_overdue" => "逾期提醒",
        "problem_created" => "新增问题",
        "problem_verify_requested" => "待核验",
        "problem_verified" => "已销号",
        "problem_rejected" => "整改退回",
        "self_inspection_returned" => "自查退回",
        "supervision_problem" => "督查问题",
        "summary_due" => "总结报告提醒",
        "summary_overdue" => "总结报告逾期",
        "account_grant_requested" => "账号待授权",
        _ => "通知",
    }
}

/// Keys per `IN (…)` list: well under SQLite's bound-parameter limit.
const CHUNK: usize = 400;

/// Sends one message inside the caller's transaction; `false` if its key was sent before.
pub async fn send<C: ConnectionTrait>(db: &C, now: i64, m: &NewMessage) -> StoreResult<bool> {
    Ok(!send_many(db, now, vec![m.clone()]).await?.is_empty())
}

/// Sends messages inside the caller's transaction (which holds the writer lock) and returns
/// those actually sent: keys sent before, and repeats within `msgs`, are skipped.
pub async fn send_many<C: ConnectionTrait>(
    db: &C,
    now: i64,
    msgs: Vec<NewMessage>,
) -> StoreResult<Vec<NewMessage>> {
    let mut seen = HashSet::new();
    let mut msgs: Vec<NewMessage> = msgs
        .into_iter()
        .filter(|m| seen.insert(m.dedupe_key.clone()))
        .collect();
    let mut existing = HashSet::new();
    for chunk in msgs.chunks(CHUNK) {
        let keys: Vec<String> = chunk.iter().map(|m| m.dedupe_key.clone()).collect();
        let found: Vec<String> = inbox_message::Entity::find()
            .select_only()
            .column(inbox_message::Column::DedupeKey)
            .filter(inbox_message::Column::DedupeKey.is_in(keys))
            .into_tuple()
            .all(db)
            .await?;
        existing.extend(found);
    }
    msgs.retain(|m| !existing.contains(&m.dedupe_key));
    for chunk in msgs.chunks(CHUNK) {
        let rows = chunk.iter().map(|m| inbox_message::ActiveModel {
            id: NotSet,
            user_id: Set(m.user_id),
            kind: Set(m.kind.clone()),
            title: Set(m.title.clone()),
            body: Set(m.body.clone()),
            link: Set(m.link.clone()),
            dedupe_key: Set(m.dedupe_key.clone()),
            created_at: Set(now),
            read_at: Set(None),
        });
        // The check above is exact under the writer lock; the clause keeps a writer that
        // does not hold it (another process on SQLite) from failing the whole batch.
        inbox_message::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(inbox_message::Column::DedupeKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(msgs)
}

/// Active accounts that receive a subject's messages: its own subject users, and, with
/// `supervisors`, the users of its town and of its department.
pub async fn recipients_of_subject<C: ConnectionTrait>(
    db: &C,
    subject_id: i32,
    town_id: i32,
    department_id: Option<i32>,
    supervisors: bool,
) -> StoreResult<Vec<(i32, Role)>> {
    use sea_orm::sea_query::Condition;
    let mut c = Condition::any().add(
        Condition::all()
            .add(user::Column::Role.eq(Role::Subject.code()))
            .add(user::Column::ScopeSubjectId.eq(subject_id)),
    );
    if supervisors {
        c = c.add(
            Condition::all()
                .add(user::Column::Role.eq(Role::Town.code()))
                .add(user::Column::ScopeTownId.eq(town_id)),
        );
        if let Some(d) = department_id {
            c = c.add(
                Condition::all()
                    .add(user::Column::Role.eq(Role::Department.code()))
                    .add(user::Column::ScopeDepartmentId.eq(d)),
            );
        }
    }
    let rows: Vec<(i32, String)> = user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::Role])
        .filter(user::Column::Active.eq(true))
        .filter(c)
        .order_by_asc(user::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, r)| Role::from_code(&r).map(|r| (id, r)))
        .collect())
}

/// A page of a user's messages, newest first, and how many there are.
pub async fn list(
    store: &Store,
    user_id: i32,
    unread_only: bool,
    page: u64,
    per_page: u64,
) -> StoreResult<(Vec<inbox_message::Model>, u64)> {
    let mut q = inbox_message::Entity::find().filter(inbox_message::Column::UserId.eq(user_id));
    if unread_only {
        q = q.filter(inbox_message::Column::ReadAt.is_null());
    }
    let total = q.clone().count(&store.db).await?;
    let rows = q
        .order_by_desc(inbox_message::Column::Id)
        .offset((page.max(1) - 1) * per_page)
        .limit(per_page)
        .all(&store.db)
        .await?;
    Ok((rows, total))
}

/// How many of a user's messages are unread (one indexed count: the header shows it).
pub async fn unread_count(store: &Store, user_id: i32) -> StoreResult<u64> {
    Ok(inbox_message::Entity::find()
        .filter(inbox_message::Column::UserId.eq(user_id))
        .filter(inbox_message::Column::ReadAt.is_null())
        .count(&store.db)
        .await?)
}

/// Marks one of the user's own messages read (another user's answers `NotFound`) and
/// returns its link.
pub async fn mark_read(store: &Store, actor: &Actor, user_id: i32, id: i32) -> StoreResult<String> {
    let txn = store.write().await?;
    let m = inbox_message::Entity::find_by_id(id)
        .filter(inbox_message::Column::UserId.eq(user_id))
        .one(&*txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    if m.read_at.is_none() {
        let now = store.now();
        inbox_message::Entity::update_many()
            .col_expr(inbox_message::Column::ReadAt, Expr::value(now))
            .filter(inbox_message::Column::Id.eq(id))
            .exec(&*txn)
            .await?;
        audit::append(
            &*txn,
            now,
            actor,
            &Event::ok("inbox.read", format!("inbox:{id}")),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(m.link)
}

/// Marks all of the user's messages read; returns how many were unread.
pub async fn mark_all_read(store: &Store, actor: &Actor, user_id: i32) -> StoreResult<u64> {
    let txn = store.write().await?;
    let now = store.now();
    let n = inbox_message::Entity::update_many()
        .col_expr(inbox_message::Column::ReadAt, Expr::value(now))
        .filter(inbox_message::Column::UserId.eq(user_id))
        .filter(inbox_message::Column::ReadAt.is_null())
        .exec(&*txn)
        .await?
        .rows_affected;
    if n > 0 {
        audit::append(
            &*txn,
            now,
            actor,
            &Event::ok("inbox.read_all", format!("user:{user_id}")).with_detail(format!("n={n}")),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(n)
}
