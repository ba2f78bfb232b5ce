//! Tip-offs (举报): the public channel, staff-recorded tip-offs (12350 hotline,
//! letters, visits), intake and assignment, closing, feedback to the reporter, and the
//! erasure of the reporter's identity after the retention period (PIPL).
//!
//! Who sees what ([`Viewer`]):
//! - the intake duty (a district account holding the `tipoff_intake` grant) sees every
//!   tip-off and is the only one who reads the reporter's name and contact;
//! - other district accounts see every tip-off without the reporter;
//! - a department or town sees the tip-offs assigned to it, without the reporter;
//! - subject users and the three administrators see none (no route lets them in), so a
//!   subject never sees a tip-off about itself.
//!
//! Every read of a tip-off (list or detail) is audited; reading the reporter is audited as
//! its own action. The public's own submissions are audited without the client address,
//! which could identify the reporter.

use crate::campaign::supervision::summary::unit_accounts;
use crate::campaign::supervision::Unit;
use crate::entity::{department, subject, tipoff, tipoff_event, town, user_grant};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::inbox::{self, NewMessage};
use crate::{Store, StoreError, StoreResult};
use anpei_core::tipoff::{self as rules, Category, Channel, Status};
use chrono::NaiveDate;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

/// The grant that makes a district account the tip-off intake (举报受理).
pub const INTAKE_GRANT: &str = "tipoff_intake";

/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 5000;

/// Who is looking at tip-offs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// 举报受理: everything, the reporter included.
    Intake,
    /// The district without the intake duty: everything but the reporter.
    District,
    /// A department: the tip-offs assigned to it.
    Department(i32),
    /// A town or street: the tip-offs assigned to it.
    Town(i32),
    /// A district of a city installation: the tip-offs its intake holds, without the
    /// reporter (the city's intake reads and assigns them).
    DistrictOf(i32),
}

impl Viewer {
    fn condition(self) -> Condition {
        match self {
            Viewer::Intake | Viewer::District => Condition::all(),
            Viewer::Department(d) => {
                Condition::all().add(tipoff::Column::AssignedDepartmentId.eq(d))
            }
            Viewer::Town(t) => Condition::all().add(tipoff::Column::AssignedTownId.eq(t)),
            Viewer::DistrictOf(d) => Condition::all().add(tipoff::Column::DistrictId.eq(d)),
        }
    }

    pub fn reads_reporter(self) -> bool {
        self == Viewer::Intake
    }

    pub fn is_assignee(self, t: &tipoff::Model) -> bool {
        match self {
            Viewer::Department(d) => t.assigned_department_id == Some(d),
            Viewer::Town(x) => t.assigned_town_id == Some(x),
            _ => false,
        }
    }
}

/// Whether an account holds a grant.
/// How an account sees tip-offs, decided from the account itself: the district with the
/// intake duty reads everything, the reporter included; the district without it everything
/// but the reporter; a department or town what is assigned to it; nobody else any.
pub async fn viewer_for(
    store: &Store,
    user_id: Option<i32>,
    role: crate::Role,
    scope: &crate::Scope,
) -> StoreResult<Option<Viewer>> {
    use crate::{Reach, Role};
    // A one-district installation's district is its own intake; in a city the city's is.
    let one_district = crate::registry::reference::only_district(&store.db)
        .await?
        .is_some();
    Ok(match (role, scope.reach()) {
        (Role::District, Reach::District(d)) if !one_district => Some(Viewer::DistrictOf(d)),
        (Role::District, Reach::District(_)) | (Role::City, Reach::All) => match user_id {
            Some(id) if has_grant(store, id, INTAKE_GRANT).await? => Some(Viewer::Intake),
            _ => Some(Viewer::District),
        },
        (Role::Department, Reach::Department(d)) => Some(Viewer::Department(d)),
        (Role::Town, Reach::Town(t)) => Some(Viewer::Town(t)),
        _ => None,
    })
}

pub async fn has_grant(store: &Store, user_id: i32, grant: &str) -> StoreResult<bool> {
    Ok(user_grant::Entity::find()
        .filter(user_grant::Column::UserId.eq(user_id))
        .filter(user_grant::Column::Grant.eq(grant))
        .count(&store.db)
        .await?
        > 0)
}

/// The active accounts holding the intake duty.
async fn intake_accounts<C: ConnectionTrait>(db: &C) -> StoreResult<Vec<i32>> {
    use crate::entity::user;
    Ok(user_grant::Entity::find()
        .select_only()
        .column(user_grant::Column::UserId)
        .join(
            sea_orm::JoinType::InnerJoin,
            user_grant::Entity::belongs_to(user::Entity)
                .from(user_grant::Column::UserId)
                .to(user::Column::Id)
                .into(),
        )
        .filter(user_grant::Column::Grant.eq(INTAKE_GRANT))
        .filter(user::Column::Active.eq(true))
        .order_by_asc(user_grant::Column::UserId)
        .into_tuple()
        .all(db)
        .await?)
}

/// The accounts holding a grant.
pub async fn holders(store: &Store, grant: &str) -> StoreResult<Vec<i32>> {
    Ok(user_grant::Entity::find()
        .select_only()
        .column(user_grant::Column::UserId)
        .filter(user_grant::Column::Grant.eq(grant))
        .into_tuple()
        .all(&store.db)
        .await?)
}

/// Grants or withdraws a duty (the security administrator's decision), audited as a
/// permission change. The intake duty is for district accounts only.
pub async fn set_grant(
    store: &Store,
    actor: &Actor,
    user_id: i32,
    grant: &str,
    on: bool,
) -> StoreResult<()> {
    if grant != INTAKE_GRANT {
        return Err(StoreError::Validation(format!("未知的授权“{grant}”")));
    }
    let u = crate::platform::accounts::get_user(store, user_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if on && u.role != crate::Role::District.code() && u.role != crate::Role::City.code() {
        return Err(StoreError::Validation(
            "举报受理只能授予区级管理员或市级管理员账号".into(),
        ));
    }
    let txn = store.write().await?;
    let existing = user_grant::Entity::find()
        .filter(user_grant::Column::UserId.eq(user_id))
        .filter(user_grant::Column::Grant.eq(grant))
        .one(&*txn)
        .await?;
    match (existing, on) {
        (None, true) => {
            user_grant::ActiveModel {
                user_id: Set(user_id),
                grant: Set(grant.to_string()),
                granted_by: Set(actor.user_id),
                granted_at: Set(store.now()),
                ..Default::default()
            }
            .insert(&*txn)
            .await?;
        }
        (Some(g), false) => {
            user_grant::Entity::delete_by_id(g.id).exec(&*txn).await?;
        }
        _ => return txn.commit().await,
    }
    let action = if on { "grant.add" } else { "grant.remove" };
    audit::append(
        &*txn,
        store.now(),
        actor,
        &Event::ok(action, format!("user:{}", u.username)).with_detail(grant),
    )
    .await?;
    txn.commit().await
}

/// A tip-off as someone hands it in.
#[derive(Debug, Clone, Default)]
pub struct NewTipoff {
    pub channel: String,
    pub category: String,
    pub subject_text: String,
    pub description: String,
    pub anonymous: bool,
    pub reporter_name: String,
    pub reporter_contact: String,
    /// The public form's one-time key: the same key hands in one report only.
    pub submission_key: Option<String>,
}

/// What the reporter takes away: shown once, never stored in clear.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub id: i32,
    pub receipt_code: String,
    pub query_password: String,
    pub close_by: NaiveDate,
}

fn field_error(errors: &mut Vec<String>, msg: impl Into<String>) {
    errors.push(msg.into());
}

/// Checks a new tip-off; every problem in one Chinese message.
pub fn validate(t: &NewTipoff) -> Result<(), String> {
    let mut e = Vec::new();
    if Channel::from_code(&t.channel).is_none() {
        field_error(&mut e, "举报渠道：无效");
    }
    if Category::from_code(&t.category).is_none() {
        field_error(&mut e, "举报类别：请选择");
    }
    let desc = t.description.trim().chars().count();
    if desc < 10 {
        field_error(&mut e, "问题描述：至少10个字，请写明时间、地点、单位和经过");
    } else if desc > MAX_DESCRIPTION {
        field_error(&mut e, format!("问题描述：不能超过{MAX_DESCRIPTION}字"));
    }
    if t.subject_text.chars().count() > 100 {
        field_error(&mut e, "被举报单位：不能超过100字");
    }
    if t.reporter_name.chars().count() > 50 {
        field_error(&mut e, "举报人姓名：不能超过50字");
    }
    if t.reporter_contact.chars().count() > 100 {
        field_error(&mut e, "联系方式：不能超过100字");
    }
    if !t.anonymous && t.reporter_name.trim().is_empty() && t.reporter_contact.trim().is_empty() {
        field_error(
            &mut e,
            "实名举报请填写姓名或联系方式；不愿留下身份的，请选择匿名举报",
        );
    }
    if e.is_empty() {
        Ok(())
    } else {
        Err(e.join("；"))
    }
}

fn new_query_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
    let mut rng = rand::thread_rng();
    (0..10)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

/// The subject a reporter named, when the name or USCC matches exactly.
async fn match_subject<C: ConnectionTrait>(db: &C, text: &str) -> StoreResult<Option<i32>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let upper = text.to_uppercase();
    Ok(subject::Entity::find()
        .filter(
            Condition::any()
                .add(subject::Column::Uscc.eq(upper))
                .add(subject::Column::Name.eq(text)),
        )
        .one(db)
        .await?
        .map(|s| s.id))
}

/// The receipt code of the tip-off a public form's one-time key already handed in.
pub async fn by_submission_key(store: &Store, key: &str) -> StoreResult<Option<String>> {
    let key = key.trim();
    if key.is_empty() {
        return Ok(None);
    }
    Ok(tipoff::Entity::find()
        .select_only()
        .column(tipoff::Column::ReceiptCode)
        .filter(tipoff::Column::SubmissionKey.eq(key))
        .into_tuple()
        .one(&store.db)
        .await?)
}

/// Stores a tip-off: from the public page (`actor` None: audited without an address) or
/// recorded by the intake duty from the hotline, a letter or a visit.
pub async fn submit(store: &Store, actor: Option<&Actor>, t: NewTipoff) -> StoreResult<Receipt> {
    validate(&t).map_err(StoreError::Validation)?;
    let today = store.today();
    let code = rules::new_receipt_code(today);
    let password = new_query_password();
    let pw = password.clone();
    let query_hash =
        tokio::task::spawn_blocking(move || crate::platform::accounts::hash_password(&pw))
            .await
            .map_err(|e| StoreError::Validation(e.to_string()))?;
    let enc = |s: &str| {
        let s = s.trim();
        (!t.anonymous && !s.is_empty()).then(|| store.crypto.encrypt(s))
    };
    let txn = store.write().await?;
    let subject_id = match_subject(&*txn, &t.subject_text).await?;
    let now = store.now();
    // The only district's intake takes it; a city's reports wait at the city's intake.
    let row = tipoff::ActiveModel {
        district_id: Set(crate::registry::reference::only_district(&*txn).await?),
        receipt_code: Set(code.clone()),
        query_hash: Set(query_hash),
        channel: Set(Channel::from_code(&t.channel)
            .ok_or_else(|| StoreError::Validation("举报渠道：无效".into()))?),
        category: Set(Category::from_code(&t.category)
            .ok_or_else(|| StoreError::Validation("举报类别：请选择".into()))?),
        subject_id: Set(subject_id),
        subject_text: Set(t.subject_text.trim().to_string()),
        description: Set(t.description.trim().to_string()),
        anonymous: Set(t.anonymous),
        reporter_name_enc: Set(enc(&t.reporter_name)),
        reporter_contact_enc: Set(enc(&t.reporter_contact)),
        reporter_erased_at: Set(None),
        status: Set(Status::Received),
        accepted_on: Set(today),
        assigned_department_id: Set(None),
        assigned_town_id: Set(None),
        assigned_at: Set(None),
        extension_days: Set(0),
        extension_approved_by: Set(None),
        extension_reason: Set(None),
        result: Set(None),
        substantiated: Set(None),
        closed_on: Set(None),
        feedback: Set(None),
        feedback_at: Set(None),
        created_at: Set(now),
        created_by: Set(actor.and_then(|a| a.user_id)),
        submission_key: Set(t
            .submission_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| k.chars().take(64).collect())),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    let channel = Channel::from_code(&t.channel).map_or("", |c| c.label());
    let (by_user, by_name) = match actor {
        Some(a) => (a.user_id, a.username.clone()),
        None => (None, "举报人".to_string()),
    };
    event(
        &*txn,
        now,
        row.id,
        "received",
        format!("受理（{channel}）"),
        by_user,
        &by_name,
    )
    .await?;
    let public = Actor {
        user_id: None,
        username: "public".into(),
        client_addr: "-".into(),
    };
    audit::append(
        &*txn,
        now,
        actor.unwrap_or(&public),
        &Event::ok("tipoff.submit", format!("tipoff:{}", row.id)).with_detail(channel),
    )
    .await?;
    let close_by = rules::deadlines(&store.params, today, 0, None).close_by;
    // The intake duty learns of it at once; the message names neither the reporter nor
    // anything he wrote about himself.
    let category = row.category.label();
    let about = if row.subject_text.is_empty() {
        "未写明被举报单位".to_string()
    } else {
        format!("被举报单位：{}", row.subject_text)
    };
    let msgs: Vec<NewMessage> = intake_accounts(&*txn)
        .await?
        .into_iter()
        .map(|uid| NewMessage {
            user_id: uid,
            kind: "tipoff_received".into(),
            title: format!("新举报待交办：{code}（{category}）"),
            body: format!("{channel}，{about}。请核实后交办，须在{close_by}前办结。"),
            link: format!("/tipoffs/{}", row.id),
            dedupe_key: format!("tipoff_received:{}:{uid}", row.id),
        })
        .collect();
    inbox::send_many(&*txn, now, msgs).await?;
    txn.commit().await?;
    Ok(Receipt {
        id: row.id,
        receipt_code: code,
        query_password: password,
        close_by,
    })
}

async fn event<C: ConnectionTrait>(
    db: &C,
    at: i64,
    tipoff_id: i32,
    kind: &str,
    text: String,
    by_user: Option<i32>,
    by_name: &str,
) -> StoreResult<()> {
    tipoff_event::ActiveModel {
        tipoff_id: Set(tipoff_id),
        kind: Set(kind.into()),
        text: Set(text),
        by_user: Set(by_user),
        by_name: Set(by_name.into()),
        at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// What the reporter reads with his receipt code and query password.
#[derive(Debug, Clone)]
pub struct PublicStatus {
    pub receipt_code: String,
    pub status: &'static str,
    /// What was reported: its category, the unit named and the start of the description.
    pub category: &'static str,
    pub subject_text: String,
    pub summary: String,
    pub accepted_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub feedback: Option<String>,
}

/// Characters of the description the reporter reads back.
const SUMMARY_CHARS: usize = 120;

/// The start of a description, with an ellipsis when cut.
fn summary_of(description: &str) -> String {
    let d = description.trim();
    if d.chars().count() > SUMMARY_CHARS {
        format!("{}……", d.chars().take(SUMMARY_CHARS).collect::<String>())
    } else {
        d.to_string()
    }
}

/// Looks a tip-off up for its reporter. A wrong code and a wrong password get the same
/// `None`, and take the same time.
pub async fn public_status(
    store: &Store,
    receipt_code: &str,
    password: &str,
) -> StoreResult<Option<PublicStatus>> {
    let row = match rules::normalize_receipt_code(receipt_code) {
        Some(code) => {
            tipoff::Entity::find()
                .filter(tipoff::Column::ReceiptCode.eq(code))
                .one(&store.db)
                .await?
        }
        None => None,
    };
    let hash = row.as_ref().map_or_else(
        || crate::platform::accounts::dummy_hash().to_string(),
        |r| r.query_hash.clone(),
    );
    // Query passwords are issued in lower case: typed in capitals (a phone keyboard, a
    // password read out on the phone) they still match.
    let pw = password.trim().to_lowercase();
    let ok =
        tokio::task::spawn_blocking(move || crate::platform::accounts::verify_password(&hash, &pw))
            .await
            .map_err(|e| StoreError::Validation(e.to_string()))?;
    Ok(row.filter(|_| ok).map(|r| PublicStatus {
        status: r.status.label(),
        category: r.category.label(),
        subject_text: r.subject_text,
        summary: summary_of(&r.description),
        receipt_code: r.receipt_code,
        accepted_on: r.accepted_on,
        closed_on: r.closed_on,
        feedback: r.feedback,
    }))
}

/// One tip-off as staff see it. `reporter_*` are filled for the intake duty only.
#[derive(Debug, Clone)]
pub struct TipoffView {
    pub row: tipoff::Model,
    pub status_label: &'static str,
    pub category_label: &'static str,
    pub channel_label: &'static str,
    pub subject_name: Option<String>,
    pub assignee: Option<String>,
    /// The district it belongs to (a city's tip-off once handed to a district).
    pub district_name: Option<String>,
    pub close_by: NaiveDate,
    pub feedback_by: Option<NaiveDate>,
    pub overdue: bool,
    pub feedback_overdue: bool,
    pub reporter_name: Option<String>,
    pub reporter_contact: Option<String>,
}

async fn view(store: &Store, row: tipoff::Model, with_reporter: bool) -> StoreResult<TipoffView> {
    let today = store.today();
    let dl = rules::deadlines(
        &store.params,
        row.accepted_on,
        u32::try_from(row.extension_days).unwrap_or(0),
        row.closed_on,
    );
    let subject_name = match row.subject_id {
        Some(id) => subject::Entity::find_by_id(id)
            .one(&store.db)
            .await?
            .map(|s| s.name),
        None => None,
    };
    let assignee = match (row.assigned_department_id, row.assigned_town_id) {
        (Some(d), _) => department::Entity::find_by_id(d)
            .one(&store.db)
            .await?
            .map(|d| d.name),
        (_, Some(t)) => town::Entity::find_by_id(t)
            .one(&store.db)
            .await?
            .map(|t| t.name),
        _ => None,
    };
    let district_name = match row.district_id {
        Some(x) => crate::entity::district::Entity::find_by_id(x)
            .one(&store.db)
            .await?
            .map(|d| d.name),
        None => None,
    };
    let dec = |v: &Option<Vec<u8>>| -> StoreResult<Option<String>> {
        match v {
            Some(b) if with_reporter => Ok(Some(store.crypto.decrypt(b)?)),
            _ => Ok(None),
        }
    };
    let closed = row.status == Status::Closed;
    Ok(TipoffView {
        status_label: row.status.label(),
        category_label: row.category.label(),
        channel_label: row.channel.label(),
        subject_name,
        assignee,
        district_name,
        close_by: dl.close_by,
        feedback_by: dl.feedback_by,
        overdue: !closed && today > dl.close_by,
        feedback_overdue: closed
            && row.feedback_at.is_none()
            && dl.feedback_by.is_some_and(|f| today > f),
        reporter_name: dec(&row.reporter_name_enc)?,
        reporter_contact: dec(&row.reporter_contact_enc)?,
        row,
    })
}

/// Filters of the staff list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub status: Option<String>,
    /// Only those past their deadline and not closed.
    pub overdue: bool,
}

/// Tip-offs the viewer may see, newest first; the read is audited.
pub async fn list(
    store: &Store,
    actor: &Actor,
    viewer: Viewer,
    q: &ListQuery,
    page: u64,
    per_page: u64,
) -> StoreResult<(Vec<TipoffView>, u64)> {
    let mut cond = viewer.condition();
    if let Some(s) = q.status.as_deref().and_then(Status::from_code) {
        cond = cond.add(tipoff::Column::Status.eq(s));
    }
    if q.overdue {
        // Not closed and accepted more than the close period (plus any extension) ago.
        let latest =
            store.today() - chrono::Duration::days(i64::from(store.params.tipoff_close_days));
        // (an extension can still save a candidate: the page filters those out below).
        cond = cond
            .add(tipoff::Column::Status.ne(Status::Closed))
            .add(tipoff::Column::AcceptedOn.lt(latest));
    }
    let select = tipoff::Entity::find()
        .filter(cond)
        .order_by_desc(tipoff::Column::Id);
    let total = select.clone().count(&store.db).await?;
    let rows = select
        .offset(page.saturating_sub(1) * per_page)
        .limit(per_page)
        .all(&store.db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let v = view(store, r, false).await?;
        if !q.overdue || v.overdue {
            out.push(v);
        }
    }
    audit::record(
        store,
        actor,
        Event::ok("tipoff.list", "tipoffs").with_detail(format!("{} 条", out.len())),
    )
    .await?;
    Ok((out, total))
}

/// One tip-off with its history, if the viewer may see it (else `NotFound`); audited, and
/// reading the reporter audited as its own action.
pub async fn get(
    store: &Store,
    actor: &Actor,
    viewer: Viewer,
    id: i32,
) -> StoreResult<(TipoffView, Vec<tipoff_event::Model>)> {
    let row = tipoff::Entity::find_by_id(id)
        .filter(viewer.condition())
        .one(&store.db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let with_reporter = viewer.reads_reporter()
        && (row.reporter_name_enc.is_some() || row.reporter_contact_enc.is_some());
    let v = view(store, row, viewer.reads_reporter()).await?;
    let events = tipoff_event::Entity::find()
        .filter(tipoff_event::Column::TipoffId.eq(id))
        .order_by_asc(tipoff_event::Column::Id)
        .all(&store.db)
        .await?;
    let txn = store.write().await?;
    let now = store.now();
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("tipoff.read", format!("tipoff:{id}")),
    )
    .await?;
    if with_reporter {
        audit::append(
            &*txn,
            now,
            actor,
            &Event::ok("tipoff.read_reporter", format!("tipoff:{id}")),
        )
        .await?;
    }
    txn.commit().await?;
    Ok((v, events))
}

/// The attachments of a tip-off its viewer has opened (the view is the proof that the
/// viewer may see it), oldest first.
pub async fn attachments(
    store: &Store,
    t: &TipoffView,
) -> StoreResult<Vec<crate::entity::evidence_file::Model>> {
    use crate::entity::evidence_file;
    Ok(evidence_file::Entity::find()
        .filter(evidence_file::Column::OwnerKind.eq("tipoff"))
        .filter(evidence_file::Column::OwnerId.eq(t.row.id))
        .order_by_asc(evidence_file::Column::Id)
        .all(&store.db)
        .await?)
}

/// One attachment of a tip-off its viewer has opened.
pub async fn attachment(
    store: &Store,
    t: &TipoffView,
    file_id: i32,
) -> StoreResult<crate::entity::evidence_file::Model> {
    use crate::entity::evidence_file;
    evidence_file::Entity::find_by_id(file_id)
        .filter(evidence_file::Column::OwnerKind.eq("tipoff"))
        .filter(evidence_file::Column::OwnerId.eq(t.row.id))
        .one(&store.db)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Keeps the row of a checked attachment of the tip-off just received (the receipt is the
/// proof: nobody attaches files to someone else's tip-off); one transaction with its audit
/// entry.
pub async fn attach(
    store: &Store,
    actor: &Actor,
    receipt: &Receipt,
    a: &crate::platform::evidence::Attachment,
) -> StoreResult<()> {
    let txn = store.write().await?;
    crate::platform::evidence::insert(&*txn, store.now(), actor, "tipoff", receipt.id, None, a)
        .await?;
    txn.commit().await
}

/// Bytes of attachments the public sent since `since` (the daily cap on anonymous uploads).
pub async fn public_attachment_bytes_since(store: &Store, since: i64) -> StoreResult<i64> {
    use crate::entity::evidence_file;
    let sizes: Vec<i64> = evidence_file::Entity::find()
        .select_only()
        .column(evidence_file::Column::Size)
        .filter(evidence_file::Column::OwnerKind.eq("tipoff"))
        .filter(evidence_file::Column::UploadedBy.is_null())
        .filter(evidence_file::Column::UploadedAt.gte(since))
        .into_tuple()
        .all(&store.db)
        .await?;
    Ok(sizes.iter().sum())
}

/// The row, if the viewer may see it, read inside a write transaction.
async fn row_for<C: ConnectionTrait>(
    db: &C,
    viewer: Viewer,
    id: i32,
) -> StoreResult<tipoff::Model> {
    tipoff::Entity::find_by_id(id)
        .filter(viewer.condition())
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)
}

fn intake_only(viewer: Viewer) -> StoreResult<()> {
    if viewer == Viewer::Intake {
        Ok(())
    } else {
        Err(StoreError::Forbidden)
    }
}

/// Where a tip-off goes: a department (行业) or a town (属地); in a city, first a district,
/// whose office hands it on to one of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    Department(i32),
    Town(i32),
    District(i32),
}

impl Assignee {
    /// `department:3`, `town:7`, `district:2` (the assignment form's values).
    pub fn parse(s: &str) -> Option<Assignee> {
        let (kind, id) = s.split_once(':')?;
        let id = id.trim().parse().ok()?;
        match kind {
            "department" => Some(Assignee::Department(id)),
            "town" => Some(Assignee::Town(id)),
            "district" => Some(Assignee::District(id)),
            _ => None,
        }
    }
}

/// Who may hand a tip-off where: the intake duty to anyone; a district of a city, the
/// tip-offs the city handed to it, to its own towns and departments.
fn may_assign(viewer: Viewer, to: Assignee, target_district: Option<i32>) -> StoreResult<()> {
    match viewer {
        Viewer::Intake => Ok(()),
        Viewer::DistrictOf(d) => match to {
            Assignee::District(_) => Err(StoreError::Validation(
                "交办单位：区县只能交办本区县的部门或镇街".into(),
            )),
            _ if target_district == Some(d) => Ok(()),
            _ => Err(StoreError::Validation(
                "交办单位：不属于本区县，请选择本区县的部门或镇街".into(),
            )),
        },
        _ => Err(StoreError::Forbidden),
    }
}

/// The intake duty hands a tip-off to a department, a town or (in a city) a district; a
/// district hands what the city gave it on to its own department or town. The tip-off
/// belongs from then on to the district of its assignee (a city department's keeps none).
pub async fn assign(
    store: &Store,
    actor: &Actor,
    viewer: Viewer,
    id: i32,
    to: Assignee,
) -> StoreResult<()> {
    use crate::entity::district;
    if !matches!(viewer, Viewer::Intake | Viewer::DistrictOf(_)) {
        return Err(StoreError::Forbidden);
    }
    let txn = store.write().await?;
    let row = row_for(&*txn, viewer, id).await?;
    if row.status == Status::Closed {
        return Err(StoreError::Validation("该举报已办结，不能再交办".into()));
    }
    let target: Option<(String, Option<i32>)> = match to {
        Assignee::Department(d) => department::Entity::find_by_id(d)
            .one(&*txn)
            .await?
            .map(|d| (d.name, d.district_id)),
        Assignee::Town(t) => town::Entity::find_by_id(t)
            .one(&*txn)
            .await?
            .map(|t| (t.name, Some(t.district_id))),
        Assignee::District(x) => district::Entity::find_by_id(x)
            .one(&*txn)
            .await?
            .map(|d| (d.name, Some(d.id))),
    };
    let (name, target_district) =
        target.ok_or_else(|| StoreError::Validation("交办单位：不存在".into()))?;
    may_assign(viewer, to, target_district)?;
    // 转交区县: the district's office sees it from then on and hands it to one of its own;
    // any earlier assignee lets go of it, and the deadlines run on from acceptance.
    let to_district = matches!(to, Assignee::District(_));
    let now = store.now();
    let (receipt_code, category, accepted_on, extension_days) = (
        row.receipt_code.clone(),
        row.category,
        row.accepted_on,
        row.extension_days,
    );
    let mut am: tipoff::ActiveModel = row.into();
    if to_district {
        am.status = Set(Status::Received);
    } else {
        am.status = Set(Status::Assigned);
        am.assigned_at = Set(Some(now));
    }
    let (d, t) = match to {
        Assignee::Department(d) => (Some(d), None),
        Assignee::Town(t) => (None, Some(t)),
        Assignee::District(_) => (None, None),
    };
    am.assigned_department_id = Set(d);
    am.assigned_town_id = Set(t);
    if target_district.is_some() {
        am.district_id = Set(target_district);
    }
    am.update(&*txn).await?;
    let (kind, verb, action) = if to_district {
        ("to_district", "转交", "tipoff.to_district")
    } else {
        ("assigned", "交办", "tipoff.assign")
    };
    event(
        &*txn,
        now,
        id,
        kind,
        format!("{verb} {name}"),
        actor.user_id,
        &actor.username,
    )
    .await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok(action, format!("tipoff:{id}")).with_detail(name.clone()),
    )
    .await?;
    let unit = to.unit();
    let close_by = rules::deadlines(
        &store.params,
        accepted_on,
        u32::try_from(extension_days).unwrap_or(0),
        None,
    )
    .close_by;
    let msgs: Vec<NewMessage> = unit_accounts(&*txn, unit)
        .await?
        .into_iter()
        .map(|uid| NewMessage {
            user_id: uid,
            kind: "tipoff_assigned".into(),
            title: format!("{verb}举报：{receipt_code}（{}）", category.label()),
            body: if to_district {
                format!("市级受理的举报已转交{name}，请交办本区县的部门或镇街核查处理，于{close_by}前办结。")
            } else {
                format!("该举报已交办{name}，请核查处理，于{close_by}前办结并提交处理结果。")
            },
            link: format!("/tipoffs/{id}"),
            dedupe_key: format!("tipoff_assigned:{id}:{}:{uid}", unit.key()),
        })
        .collect();
    inbox::send_many(&*txn, now, msgs).await?;
    txn.commit().await
}

impl Assignee {
    fn unit(self) -> Unit {
        match self {
            Assignee::Department(d) => Unit::Department(d),
            Assignee::Town(t) => Unit::Town(t),
            Assignee::District(x) => Unit::District(x),
        }
    }
}

/// An approved extension of the deadline: once, at most the configured days, with the
/// approver's name and the reason.
pub async fn extend(
    store: &Store,
    actor: &Actor,
    viewer: Viewer,
    id: i32,
    days: u32,
    approved_by: &str,
    reason: &str,
) -> StoreResult<()> {
    intake_only(viewer)?;
    let approved_by = approved_by.trim();
    let reason = reason.trim();
    if approved_by.is_empty() || reason.chars().count() < 4 {
        return Err(StoreError::Validation(
            "延期须写明批准人和延期理由（至少4个字）".into(),
        ));
    }
    let txn = store.write().await?;
    let row = row_for(&*txn, viewer, id).await?;
    if row.status == Status::Closed {
        return Err(StoreError::Validation("该举报已办结，不能延期".into()));
    }
    rules::check_extension(
        &store.params,
        u32::try_from(row.extension_days).unwrap_or(0),
        days,
    )
    .map_err(StoreError::Validation)?;
    let now = store.now();
    let mut am: tipoff::ActiveModel = row.into();
    am.extension_days = Set(i32::try_from(days).unwrap_or(i32::MAX));
    am.extension_approved_by = Set(Some(approved_by.into()));
    am.extension_reason = Set(Some(reason.into()));
    am.update(&*txn).await?;
    let text = format!("延期 {days} 天（批准人：{approved_by}；理由：{reason}）");
    event(
        &*txn,
        now,
        id,
        "extended",
        text,
        actor.user_id,
        &actor.username,
    )
    .await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("tipoff.extend", format!("tipoff:{id}")).with_detail(format!("{days}天")),
    )
    .await?;
    txn.commit().await
}

/// Closes a tip-off with the verification result: the assignee or the intake duty.
pub async fn close(
    store: &Store,
    actor: &Actor,
    viewer: Viewer,
    id: i32,
    result: &str,
    substantiated: bool,
) -> StoreResult<()> {
    let result = result.trim();
    if result.chars().count() < 10 {
        return Err(StoreError::Validation(
            "核查结果：至少10个字，写明核查经过和处理结果".into(),
        ));
    }
    let txn = store.write().await?;
    let row = row_for(&*txn, viewer, id).await?;
    if viewer != Viewer::Intake && !viewer.is_assignee(&row) {
        return Err(StoreError::Forbidden);
    }
    if row.status == Status::Closed {
        return Err(StoreError::Validation("该举报已办结".into()));
    }
    let now = store.now();
    let mut am: tipoff::ActiveModel = row.into();
    am.status = Set(Status::Closed);
    am.result = Set(Some(result.into()));
    am.substantiated = Set(Some(substantiated));
    am.closed_on = Set(Some(store.today()));
    am.update(&*txn).await?;
    let verdict = if substantiated { "属实" } else { "不属实" };
    event(
        &*txn,
        now,
        id,
        "closed",
        format!("办结（{verdict}）：{result}"),
        actor.user_id,
        &actor.username,
    )
    .await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("tipoff.close", format!("tipoff:{id}")).with_detail(verdict),
    )
    .await?;
    txn.commit().await
}

/// The intake duty records what the reporter is told; he reads it with his receipt code.
pub async fn feedback(
    store: &Store,
    actor: &Actor,
    viewer: Viewer,
    id: i32,
    text: &str,
) -> StoreResult<()> {
    intake_only(viewer)?;
    let text = text.trim();
    if text.chars().count() < 4 {
        return Err(StoreError::Validation("反馈内容：至少4个字".into()));
    }
    let txn = store.write().await?;
    let row = row_for(&*txn, viewer, id).await?;
    if row.status != Status::Closed {
        return Err(StoreError::Validation("办结后才能向举报人反馈".into()));
    }
    let now = store.now();
    let mut am: tipoff::ActiveModel = row.into();
    am.feedback = Set(Some(text.into()));
    am.feedback_at = Set(Some(now));
    am.update(&*txn).await?;
    event(
        &*txn,
        now,
        id,
        "feedback",
        format!("反馈举报人：{text}"),
        actor.user_id,
        &actor.username,
    )
    .await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("tipoff.feedback", format!("tipoff:{id}")),
    )
    .await?;
    txn.commit().await
}

/// Erases the reporter's name and contact of tip-offs closed more than the retention
/// period ago (`Params::tipoff_reporter_retention_days`); returns how many. Idempotent.
pub async fn erase_expired_reporters(store: &Store, actor: &Actor) -> StoreResult<u64> {
    let cutoff = store.today()
        - chrono::Duration::days(i64::from(store.params.tipoff_reporter_retention_days));
    let txn = store.write().await?;
    let due: Vec<i32> = tipoff::Entity::find()
        .select_only()
        .column(tipoff::Column::Id)
        .filter(tipoff::Column::Status.eq(Status::Closed))
        .filter(tipoff::Column::ClosedOn.lte(cutoff))
        .filter(tipoff::Column::ReporterErasedAt.is_null())
        .filter(
            Condition::any()
                .add(tipoff::Column::ReporterNameEnc.is_not_null())
                .add(tipoff::Column::ReporterContactEnc.is_not_null()),
        )
        .into_tuple()
        .all(&*txn)
        .await?;
    if due.is_empty() {
        return txn.commit().await.map(|()| 0);
    }
    let now = store.now();
    let stmt = Query::update()
        .table(tipoff::Entity)
        .value(tipoff::Column::ReporterNameEnc, Option::<Vec<u8>>::None)
        .value(tipoff::Column::ReporterContactEnc, Option::<Vec<u8>>::None)
        .value(tipoff::Column::ReporterErasedAt, now)
        .and_where(tipoff::Column::Id.is_in(due.clone()))
        .to_owned();
    txn.execute(store.backend().build(&stmt)).await?;
    for id in &due {
        event(
            &*txn,
            now,
            *id,
            "reporter_erased",
            "保存期满，已删除举报人身份和联系方式".into(),
            None,
            "系统",
        )
        .await?;
    }
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("tipoff.erase_reporters", "tipoffs").with_detail(format!("{} 条", due.len())),
    )
    .await?;
    txn.commit().await?;
    Ok(due.len() as u64)
}

/// Counts for the dashboard and supervision: open, overdue, closed, closed late.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub open: u64,
    pub overdue: u64,
    pub closed: u64,
    /// Received and not yet assigned (the intake duty's to-do).
    pub received: u64,
}

/// Counts of the tip-offs a viewer may see.
pub async fn counts(store: &Store, viewer: Viewer) -> StoreResult<Counts> {
    let today = store.today();
    let rows: Vec<(Status, NaiveDate, i32)> = tipoff::Entity::find()
        .select_only()
        .column(tipoff::Column::Status)
        .column(tipoff::Column::AcceptedOn)
        .column(tipoff::Column::ExtensionDays)
        .filter(viewer.condition())
        .into_tuple()
        .all(&store.db)
        .await?;
    let mut c = Counts::default();
    for (status, accepted, ext) in rows {
        if status == Status::Closed {
            c.closed += 1;
        } else {
            c.open += 1;
            if status == Status::Received {
                c.received += 1;
            }
            let dl = rules::deadlines(
                &store.params,
                accepted,
                u32::try_from(ext).unwrap_or(0),
                None,
            );
            if today > dl.close_by {
                c.overdue += 1;
            }
        }
    }
    Ok(c)
}

/// 催办: the district reminds each town and department whose assigned tip-offs are past
/// their deadline and not closed — every account of the unit gets an inbox message naming
/// how many — at most once a day per unit ([`crate::platform::urge`]). A district of a city
/// reminds its own units of the tip-offs of its district.
pub async fn urge_overdue(
    store: &Store,
    actor: &Actor,
    viewer: Viewer,
) -> StoreResult<crate::platform::urge::Urged> {
    use crate::platform::urge::{self, Matter, Reminder};
    use std::collections::BTreeMap;
    if !matches!(
        viewer,
        Viewer::Intake | Viewer::District | Viewer::DistrictOf(_)
    ) {
        return Err(StoreError::Forbidden);
    }
    let today = store.today();
    let rows: Vec<(Option<i32>, Option<i32>, NaiveDate, i32)> = tipoff::Entity::find()
        .filter(viewer.condition())
        .select_only()
        .column(tipoff::Column::AssignedDepartmentId)
        .column(tipoff::Column::AssignedTownId)
        .column(tipoff::Column::AcceptedOn)
        .column(tipoff::Column::ExtensionDays)
        .filter(tipoff::Column::Status.ne(Status::Closed))
        .into_tuple()
        .all(&store.db)
        .await?;
    let mut by_unit: BTreeMap<(&str, i32), (Unit, usize)> = BTreeMap::new();
    for (d, t, accepted, ext) in rows {
        let Some(unit) = Unit::of_columns(d, t, None) else {
            continue;
        };
        let dl = rules::deadlines(
            &store.params,
            accepted,
            u32::try_from(ext).unwrap_or(0),
            None,
        );
        if today > dl.close_by {
            by_unit
                .entry((unit.kind_code(), unit.id()))
                .or_insert((unit, 0))
                .1 += 1;
        }
    }
    let mut reminders = Vec::with_capacity(by_unit.len());
    for (unit, n) in by_unit.into_values() {
        reminders.push(Reminder {
            unit: unit.key(),
            recipients: unit_accounts(&store.db, unit).await?,
            title: format!("催办：{n}件交办的举报已超过办理期限"),
            body: format!(
                "交办本单位的举报中有{n}件已超过办理期限仍未办结，请立即核查处理并提交处理结果；确需延期的，请报区安委办批准。"
            ),
            link: "/tipoffs?overdue=1".into(),
        });
    }
    urge::send(
        store,
        actor,
        Matter {
            kind: "urge_tipoff_overdue",
            key: "tipoff_overdue",
            target: "tipoffs",
        },
        reminders,
    )
    .await
}

/// The demo district's tip-offs: the `district` account holds the intake duty; a handful
/// of tip-offs from the public, the 12350 hotline and a letter, received, assigned to the
/// demo enterprise's town and to the emergency bureau, one closed and answered.
pub async fn load_demo(store: &Store) -> StoreResult<usize> {
    let system = Actor::system("demo");
    let Some(district) = crate::platform::accounts::find_user(store, "district").await? else {
        return Ok(0);
    };
    set_grant(store, &system, district.id, INTAKE_GRANT, true).await?;
    let town = crate::platform::accounts::find_user(store, "town")
        .await?
        .and_then(|u| u.scope_town_id);
    let dept = crate::platform::accounts::find_user(store, "department")
        .await?
        .and_then(|u| u.scope_department_id);
    let subjects: Vec<(String, i32)> = subject::Entity::find()
        .select_only()
        .column(subject::Column::Name)
        .column(subject::Column::TownId)
        .order_by_asc(subject::Column::Id)
        .limit(40)
        .into_tuple()
        .all(&store.db)
        .await?;
    let name_in_town = |t: Option<i32>| {
        subjects
            .iter()
            .find(|(_, x)| Some(*x) == t)
            .or(subjects.first())
            .map(|(n, _)| n.clone())
            .unwrap_or_default()
    };
    let cases: [(&str, &str, String, &str, bool); 5] = [
        (
            "web",
            "pass_guarantee",
            "某安全培训机构".into(),
            "该机构宣传“不用上课、包过拿证”，收费6800元，培训当天只发了题库，没有实操训练。",
            true,
        ),
        (
            "hotline",
            "no_certificate",
            name_in_town(town),
            "12350来电：该公司焊工多人未取得特种作业操作证即上岗作业，车间内无人监护。",
            false,
        ),
        (
            "web",
            "fake_records",
            name_in_town(town),
            "单位要求员工在没有参加的培训签到表上补签字，培训照片是同一天摆拍的。",
            true,
        ),
        (
            "letter",
            "exam_cheating",
            "某考试点".into(),
            "来信反映：上月理论考试时监考员中途离开考场二十多分钟，考生之间互相传看答案。",
            false,
        ),
        (
            "web",
            "short_hours",
            String::new(),
            "所在企业的安全生产管理人员再培训只上了半天课，证书上却写着16学时。",
            true,
        ),
    ];
    let mut n = 0;
    for (i, (channel, category, subject_text, description, anonymous)) in
        cases.into_iter().enumerate()
    {
        let r = submit(
            store,
            (channel != "web").then_some(&Actor {
                user_id: Some(district.id),
                username: district.username.clone(),
                client_addr: "demo".into(),
            }),
            NewTipoff {
                channel: channel.into(),
                category: category.into(),
                subject_text,
                description: description.into(),
                anonymous,
                reporter_name: if anonymous {
                    String::new()
                } else {
                    "王先生".into()
                },
                reporter_contact: if anonymous {
                    String::new()
                } else {
                    "13800138000".into()
                },
                submission_key: None,
            },
        )
        .await?;
        n += 1;
        let to = match (i, town, dept) {
            (1 | 2, Some(t), _) => Some(Assignee::Town(t)),
            (0 | 3, _, Some(d)) => Some(Assignee::Department(d)),
            _ => None,
        };
        if let Some(to) = to {
            assign(store, &system, Viewer::Intake, r.id, to).await?;
        }
        if i == 1 {
            close(
                store,
                &system,
                Viewer::Intake,
                r.id,
                "镇街会同区应急局现场核查，3名焊工无证上岗属实，已责令停止作业并立案处罚。",
                true,
            )
            .await?;
            feedback(
                store,
                &system,
                Viewer::Intake,
                r.id,
                "您反映的问题经核查属实，已依法责令整改并立案处罚，感谢您的监督。",
            )
            .await?;
        }
    }
    Ok(n)
}
