//! Rows of evidence files (`evidence_files`). The bytes live outside the database, named by
//! their SHA-256 and written by the web layer before the row (content-addressed, so writing
//! one twice is harmless; a file whose row never comes is swept by the daily run). The row
//! is inserted inside the caller's transaction, so the file belongs to whatever that
//! transaction writes (a rectification, an answer) or to nothing.

use crate::campaign::supervision::{summary, Unit};
use crate::entity::{
    evidence_file, problem_event, self_inspection_answer, subject, summary_report,
};
use crate::platform::audit::{self, Actor, Event};
use crate::{campaign::problems, campaign::selfcheck, enforcement, enforcement::tipoffs, scope};
use crate::{Role, Scope, Store, StoreError, StoreResult};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

/// A checked file already stored under its SHA-256, waiting for its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The cleaned original name, shown and used on download.
    pub file_name: String,
    pub mime: String,
    pub size: i64,
    pub sha256: String,
}

/// Inserts the row of `a`, owned by `owner_kind:owner_id`, and audits it, on `db` (the
/// caller's transaction).
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    now: i64,
    actor: &Actor,
    owner_kind: &str,
    owner_id: i32,
    subject_id: Option<i32>,
    a: &Attachment,
) -> StoreResult<evidence_file::Model> {
    let row = evidence_file::ActiveModel {
        owner_kind: Set(owner_kind.to_string()),
        owner_id: Set(owner_id),
        subject_id: Set(subject_id),
        file_name: Set(a.file_name.clone()),
        mime: Set(a.mime.clone()),
        size: Set(a.size),
        sha256: Set(a.sha256.clone()),
        stored_name: Set(a.sha256.clone()),
        uploaded_by: Set(actor.user_id),
        uploaded_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::append(
        db,
        now,
        actor,
        &Event::ok("evidence.upload", format!("evidence:{}", row.id)).with_detail(format!(
            "{owner_kind}:{owner_id} {} {} bytes sha256={}",
            a.mime, a.size, a.sha256
        )),
    )
    .await?;
    Ok(row)
}

/// Whether `subject_id` is visible in `scope` (`None`: only the whole district).
pub async fn subject_visible(
    store: &Store,
    scope: &Scope,
    subject_id: Option<i32>,
) -> StoreResult<bool> {
    Ok(match subject_id {
        None => scope.is_district_level(),
        Some(id) => {
            scope::subjects(scope)
                .filter(subject::Column::Id.eq(id))
                .count(&store.db)
                .await?
                > 0
        }
    })
}

/// The evidence files of some owners of one kind, oldest first (owners the caller read
/// through a scoped function).
pub async fn list(
    store: &Store,
    owner_kind: &str,
    owner_ids: &[i32],
) -> StoreResult<Vec<evidence_file::Model>> {
    if owner_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(evidence_file::Entity::find()
        .filter(evidence_file::Column::OwnerKind.eq(owner_kind))
        .filter(evidence_file::Column::OwnerId.is_in(owner_ids.iter().copied()))
        .order_by_asc(evidence_file::Column::Id)
        .all(&store.db)
        .await?)
}

/// The names of every stored file (the sweep of files no row names).
pub async fn stored_names(store: &Store) -> StoreResult<std::collections::HashSet<String>> {
    Ok(evidence_file::Entity::find()
        .select_only()
        .column(evidence_file::Column::StoredName)
        .into_tuple::<String>()
        .all(&store.db)
        .await?
        .into_iter()
        .collect())
}

/// The file `id`, if the caller may open the record it belongs to, as that record's own
/// page decides: a self-inspection answer's file goes with the self-inspection, a
/// rectification's with its problem, an enforcement decision's document with the decision
/// (supervisors only: never the inspected subject itself), a summary report's attachment
/// with the report (the district and the unit that wrote it), a tip-off's with the tip-off
/// (its viewers; the read is audited as the tip-off's own). A file of any other owner is
/// nobody's. The subject named on the row is not enough on its own: it says whose data the
/// file is about, not who may read the record; it must be in scope too.
pub async fn openable(
    store: &Store,
    actor: &Actor,
    role: Role,
    scope: &Scope,
    id: i32,
) -> StoreResult<Option<evidence_file::Model>> {
    let Some(row) = evidence_file::Entity::find_by_id(id).one(&store.db).await? else {
        return Ok(None);
    };
    if row.subject_id.is_some() && !subject_visible(store, scope, row.subject_id).await? {
        return Ok(None);
    }
    let supervisor = matches!(
        role,
        Role::City | Role::District | Role::Department | Role::Town
    );
    let db = &store.db;
    let may = match row.owner_kind.as_str() {
        selfcheck::EVIDENCE_OWNER => {
            match self_inspection_answer::Entity::find_by_id(row.owner_id)
                .one(db)
                .await?
            {
                Some(a) => selfcheck::get(store, scope, a.inspection_id)
                    .await?
                    .is_some(),
                None => false,
            }
        }
        problems::EVIDENCE_OWNER => {
            match problem_event::Entity::find_by_id(row.owner_id)
                .one(db)
                .await?
            {
                Some(e) => problems::get(store, scope, e.problem_id).await?.is_some(),
                None => false,
            }
        }
        enforcement::DOCUMENT_OWNER => {
            supervisor
                && enforcement::is_supervisor(scope)
                && enforcement::actions::get(store, scope, row.owner_id)
                    .await?
                    .is_some()
        }
        summary::EVIDENCE_OWNER => {
            match summary_report::Entity::find_by_id(row.owner_id)
                .one(db)
                .await?
            {
                Some(r) => {
                    let own = match Unit::reporting_for(store, scope).await? {
                        Some(Unit::Department(d)) => r.department_id == Some(d),
                        Some(Unit::Town(t)) => r.town_id == Some(t),
                        Some(Unit::District(x)) => r.district_id == Some(x),
                        None => false,
                    };
                    let district_wide =
                        match Unit::of_columns(r.department_id, r.town_id, r.district_id) {
                            Some(u) if scope.is_district_level() => {
                                crate::campaign::supervision::unit_in_scope(&store.db, scope, u)
                                    .await
                                    .is_ok()
                            }
                            _ => false,
                        };
                    supervisor && (district_wide || own)
                }
                None => false,
            }
        }
        "tipoff" => match tipoffs::viewer_for(store, actor.user_id, role, scope).await? {
            Some(v) => match tipoffs::get(store, actor, v, row.owner_id).await {
                Ok(_) => true,
                Err(StoreError::NotFound) => false,
                Err(e) => return Err(e),
            },
            None => false,
        },
        _ => false,
    };
    Ok(may.then_some(row))
}

/// Keeps the row of a checked file for `owner_kind:owner_id`, a record the caller reached
/// through a scoped function, about `subject_id`, which must lie in the caller's scope
/// (`NotFound` otherwise); one transaction with its audit entry.
pub async fn attach(
    store: &Store,
    actor: &Actor,
    scope: &Scope,
    owner_kind: &str,
    owner_id: i32,
    subject_id: Option<i32>,
    a: &Attachment,
) -> StoreResult<evidence_file::Model> {
    if !subject_visible(store, scope, subject_id).await? {
        return Err(StoreError::NotFound);
    }
    let txn = store.write().await?;
    let row = insert(
        &*txn,
        store.now(),
        actor,
        owner_kind,
        owner_id,
        subject_id,
        a,
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}
