//! 典型案例 (notice §四(三): 及时曝光典型案例). An 曝光 action creates a draft whose body is the
//! decision's text with personal data removed; the district edits the text and publishes it
//! (or takes it down). The public page shows published cases only. Every save runs the text
//! through `desensitize` again with the names the case concerns, so an edit cannot put a
//! person's name, ID or phone number back on the public page; a case is not published (nor
//! a published one saved) while a run of digits that may be personal remains in it
//! (`anpei_core::redact::check_publishable`), and the public pages run the text through
//! `desensitize` once more as they show it.

use crate::entity::{enforcement_action, inspection, subject, typical_case};
use crate::platform::audit::{self, Actor, Event};
use crate::scope::Scope;
use crate::Reach;
use crate::{Store, StoreError, StoreResult};
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};

/// A case as pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    pub id: i32,
    pub title: String,
    pub body: String,
    pub subject_id: Option<i32>,
    pub action_id: Option<i32>,
    pub published: bool,
    pub published_on: Option<NaiveDate>,
}

impl From<typical_case::Model> for CaseRow {
    fn from(m: typical_case::Model) -> Self {
        CaseRow {
            id: m.id,
            title: m.title,
            body: m.body,
            subject_id: m.subject_id,
            action_id: m.action_id,
            published: m.published,
            published_on: m.published_on,
        }
    }
}

impl CaseRow {
    /// The body's paragraphs (the page shows one `<p>` each).
    pub fn paragraphs(&self) -> Vec<&str> {
        self.body
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    }
}

fn district_only(scope: &Scope) -> StoreResult<()> {
    match scope.reach() {
        Reach::All | Reach::District(_) => Ok(()),
        Reach::Subject(_) | Reach::Department(_) | Reach::CityDepartment(_) | Reach::Town(_) => {
            Err(StoreError::Forbidden)
        }
        Reach::Nothing => Err(StoreError::NotFound),
    }
}

/// The cases a scope sees: those of its subjects, and those of no subject (every case for
/// the city).
pub(crate) fn visible(scope: &Scope) -> sea_orm::sea_query::Condition {
    use sea_orm::sea_query::Condition;
    if scope.is_all() {
        Condition::all()
    } else {
        Condition::any()
            .add(typical_case::Column::SubjectId.is_null())
            .add(typical_case::Column::SubjectId.in_subquery(crate::scope::subject_ids(scope)))
    }
}

/// Every case, newest first (the district's management page).
pub async fn list(store: &Store, scope: &Scope) -> StoreResult<Vec<CaseRow>> {
    district_only(scope)?;
    Ok(typical_case::Entity::find()
        .filter(visible(scope))
        .order_by_desc(typical_case::Column::Id)
        .all(&store.db)
        .await?
        .into_iter()
        .map(CaseRow::from)
        .collect())
}

/// One case (the district).
pub async fn get(store: &Store, scope: &Scope, id: i32) -> StoreResult<Option<CaseRow>> {
    district_only(scope)?;
    Ok(typical_case::Entity::find_by_id(id)
        .filter(visible(scope))
        .one(&store.db)
        .await?
        .map(CaseRow::from))
}

/// A published case as the public sees it: its text through `desensitize` once more, so
/// that a case published before a writing of a number was recognised does not show it.
fn for_public(m: typical_case::Model) -> CaseRow {
    let title = anpei_core::enforcement::desensitize(&m.title, &[]);
    let body = anpei_core::enforcement::desensitize(&m.body, &[]);
    CaseRow {
        title,
        body,
        ..CaseRow::from(m)
    }
}

/// Published cases, the latest published first (the public page, the bulletin).
pub async fn published(store: &Store) -> StoreResult<Vec<CaseRow>> {
    Ok(typical_case::Entity::find()
        .filter(typical_case::Column::Published.eq(true))
        .order_by_desc(typical_case::Column::PublishedOn)
        .order_by_desc(typical_case::Column::Id)
        .all(&store.db)
        .await?
        .into_iter()
        .map(for_public)
        .collect())
}

/// One published case (`None` when unpublished or absent: the public page answers 404).
pub async fn public_case(store: &Store, id: i32) -> StoreResult<Option<CaseRow>> {
    Ok(typical_case::Entity::find_by_id(id)
        .filter(typical_case::Column::Published.eq(true))
        .one(&store.db)
        .await?
        .map(for_public))
}

/// The refusals of a case's title and body while numbers that may be personal remain in
/// them (see `anpei_core::redact::numbers_left`), by field.
fn numbers_left(title: &str, body: &str) -> Vec<(&'static str, String)> {
    use anpei_core::redact::check_publishable;
    let mut errs = Vec::new();
    if let Err(m) = check_publishable("标题", title) {
        errs.push(("title", m));
    }
    if let Err(m) = check_publishable("正文", body) {
        errs.push(("body", m));
    }
    errs
}

/// Runs `text` through `desensitize` with the names the case concerns.
async fn clean(store: &Store, m: &typical_case::Model, text: &str) -> StoreResult<String> {
    let action = match m.action_id {
        Some(a) => {
            enforcement_action::Entity::find_by_id(a)
                .one(&store.db)
                .await?
        }
        None => None,
    };
    let subject = match m.subject_id {
        Some(s) => subject::Entity::find_by_id(s).one(&store.db).await?,
        None => None,
    };
    match (action, subject) {
        (Some(a), Some(s)) => {
            let ins = match a.inspection_id {
                Some(i) => inspection::Entity::find_by_id(i).one(&store.db).await?,
                None => None,
            };
            let tmp = enforcement_action::Model {
                text: text.to_string(),
                ..a
            };
            super::actions::case_body(&store.db, &s, &tmp, ins.as_ref()).await
        }
        _ => Ok(anpei_core::enforcement::desensitize(text, &[])),
    }
}

/// Saves the district's edit of a case's title and body (personal data removed again).
pub async fn update(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    id: i32,
    title: &str,
    body: &str,
) -> StoreResult<()> {
    district_only(scope)?;
    let m = typical_case::Entity::find_by_id(id)
        .filter(visible(scope))
        .one(&store.db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut errs: Vec<(&'static str, String)> = Vec::new();
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        errs.push(("title", "标题：不能为空，且不超过200个字符".into()));
    }
    if body.trim().is_empty() || body.chars().count() > 10_000 {
        errs.push(("body", "正文：不能为空，且不超过10000个字符".into()));
    }
    if !errs.is_empty() {
        return Err(StoreError::Fields(errs));
    }
    let title = anpei_core::enforcement::desensitize(title, &[]);
    let body = clean(store, &m, body.trim()).await?;
    // What is on the public page now must be publishable as it is saved.
    if m.published {
        let errs = numbers_left(&title, &body);
        if !errs.is_empty() {
            return Err(StoreError::Fields(errs));
        }
    }
    let txn = store.write().await?;
    let mut am = m.into_active_model();
    am.title = Set(title);
    am.body = Set(body);
    am.update(&*txn).await?;
    audit::append(
        &*txn,
        store.now(),
        actor,
        &Event::ok("enforcement.case.update", format!("typical_case:{id}")),
    )
    .await?;
    txn.commit().await
}

/// Publishes a case (today) or takes it down. Publishing is refused (and audited as a
/// failed attempt) while a number that may be personal remains in the title or body.
pub async fn set_published(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    id: i32,
    published: bool,
) -> StoreResult<()> {
    district_only(scope)?;
    let txn = store.write().await?;
    let m = typical_case::Entity::find_by_id(id)
        .filter(visible(scope))
        .one(&*txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    if published {
        let errs = numbers_left(&m.title, &m.body);
        if !errs.is_empty() {
            let why: Vec<String> = errs.into_iter().map(|(_, m)| m).collect();
            audit::append(
                &*txn,
                store.now(),
                actor,
                &Event::ok("enforcement.case.publish", format!("typical_case:{id}"))
                    .failed()
                    .with_detail("仍有疑似个人号码的数字，未发布"),
            )
            .await?;
            txn.commit().await?;
            return Err(StoreError::Validation(format!(
                "案例未发布：{}",
                why.join("；")
            )));
        }
    }
    let mut am = m.into_active_model();
    am.published = Set(published);
    am.published_on = Set(published.then(|| store.today()));
    am.update(&*txn).await?;
    let action = if published {
        "enforcement.case.publish"
    } else {
        "enforcement.case.unpublish"
    };
    audit::append(
        &*txn,
        store.now(),
        actor,
        &Event::ok(action, format!("typical_case:{id}")),
    )
    .await?;
    txn.commit().await
}
