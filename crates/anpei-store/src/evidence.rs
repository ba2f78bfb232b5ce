//! Rows of evidence files (`evidence_files`). The bytes live outside the database, named by
//! their SHA-256 and written by the web layer before the row (content-addressed, so writing
//! one twice is harmless; a file whose row never comes is swept by the daily run). The row
//! is inserted inside the caller's transaction, so the file belongs to whatever that
//! transaction writes (a rectification, an answer) or to nothing.

use crate::audit::{self, Actor, Event};
use crate::entity::evidence_file;
use crate::StoreResult;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

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
