//! The append-only, hash-chained audit log. Each entry's hash covers the previous entry's
//! hash and all of its own fields, so editing, deleting or reordering any entry breaks the
//! chain from that entry on; `verify` names the first broken one.

use crate::crypto::sha256_hex;
use crate::entity::audit;
use crate::{Store, StoreResult};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder, QuerySelect, Set,
};

/// Who did something, from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<i32>,
    pub username: String,
    pub client_addr: String,
}

impl Actor {
    pub fn system(name: &str) -> Actor {
        Actor {
            user_id: None,
            username: name.to_string(),
            client_addr: "local".into(),
        }
    }
}

/// One thing to record.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub action: &'a str,
    pub object: String,
    pub result: &'a str,
    pub detail: String,
}

impl<'a> Event<'a> {
    pub fn ok(action: &'a str, object: impl Into<String>) -> Self {
        Event {
            action,
            object: object.into(),
            result: "ok",
            detail: String::new(),
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    pub fn failed(mut self) -> Self {
        self.result = "failed";
        self
    }
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields an entry's hash covers.
struct Fields<'a> {
    at: i64,
    user_id: Option<i32>,
    username: &'a str,
    action: &'a str,
    object: &'a str,
    result: &'a str,
    client: &'a str,
    detail: &'a str,
}

fn entry_hash(prev: &str, f: &Fields<'_>) -> String {
    // Length-prefixed fields: no two different entries serialise alike.
    let mut buf = Vec::with_capacity(256);
    let uid = f.user_id.map(|u| u.to_string()).unwrap_or_default();
    for field in [
        prev,
        &f.at.to_string(),
        &uid,
        f.username,
        f.action,
        f.object,
        f.result,
        f.client,
        f.detail,
    ] {
        buf.extend_from_slice(&(field.len() as u64).to_be_bytes());
        buf.extend_from_slice(field.as_bytes());
    }
    sha256_hex(&buf)
}

/// Appends an entry inside the caller's transaction (which holds the writer lock).
pub async fn append<C: ConnectionTrait>(
    db: &C,
    at: i64,
    actor: &Actor,
    ev: &Event<'_>,
) -> StoreResult<()> {
    let prev = audit::Entity::find()
        .order_by_desc(audit::Column::Id)
        .select_only()
        .column(audit::Column::Hash)
        .into_tuple::<String>()
        .one(db)
        .await?
        .unwrap_or_else(|| GENESIS.to_string());
    let fields = Fields {
        at,
        user_id: actor.user_id,
        username: &actor.username,
        action: ev.action,
        object: &ev.object,
        result: ev.result,
        client: &actor.client_addr,
        detail: &ev.detail,
    };
    let hash = entry_hash(&prev, &fields);
    audit::ActiveModel {
        at: Set(at),
        user_id: Set(actor.user_id),
        username: Set(actor.username.clone()),
        action: Set(ev.action.to_string()),
        object: Set(ev.object.clone()),
        result: Set(ev.result.to_string()),
        client_addr: Set(actor.client_addr.clone()),
        detail: Set(ev.detail.clone()),
        prev_hash: Set(prev),
        hash: Set(hash),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Records an event on its own (a login failure, a read of personal data).
pub async fn record(store: &Store, actor: &Actor, ev: Event<'_>) -> StoreResult<()> {
    let txn = store.write().await?;
    append(&*txn, store.now(), actor, &ev).await?;
    txn.commit().await
}

/// The outcome of verifying the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact { entries: u64 },
    Broken { entry_id: i32, reason: &'static str },
}

/// Recomputes the whole chain in id order, streaming it in pages.
pub async fn verify(store: &Store) -> StoreResult<Verdict> {
    let mut prev = GENESIS.to_string();
    let mut pages = audit::Entity::find()
        .order_by_asc(audit::Column::Id)
        .paginate(&store.db, 1000);
    let mut n = 0u64;
    while let Some(batch) = pages.fetch_and_next().await? {
        for e in batch {
            if e.prev_hash != prev {
                return Ok(Verdict::Broken {
                    entry_id: e.id,
                    reason: "前一条记录的哈希不符（记录被删除或调换）",
                });
            }
            let fields = Fields {
                at: e.at,
                user_id: e.user_id,
                username: &e.username,
                action: &e.action,
                object: &e.object,
                result: &e.result,
                client: &e.client_addr,
                detail: &e.detail,
            };
            let h = entry_hash(&prev, &fields);
            if h != e.hash {
                return Ok(Verdict::Broken {
                    entry_id: e.id,
                    reason: "记录内容与哈希不符（记录被篡改）",
                });
            }
            prev = e.hash;
            n += 1;
        }
    }
    Ok(Verdict::Intact { entries: n })
}

/// The latest entries, newest first (for pages and tests).
pub async fn latest(store: &Store, limit: u64) -> StoreResult<Vec<audit::Model>> {
    Ok(audit::Entity::find()
        .order_by_desc(audit::Column::Id)
        .limit(limit)
        .all(&store.db)
        .await?)
}

/// What the audit administrator searches by; empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Part of the account name.
    pub username: String,
    /// Part of the action code (`login`, `import`, `user.create` …).
    pub action: String,
    /// Only failures.
    pub failures_only: bool,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// One page of entries matching `q`, newest first, and how many match in all.
pub async fn search(
    store: &Store,
    q: &Search,
    page: u64,
    per_page: u64,
) -> StoreResult<(Vec<audit::Model>, u64)> {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    let mut sel = audit::Entity::find();
    if !q.username.trim().is_empty() {
        sel = sel.filter(audit::Column::Username.contains(q.username.trim()));
    }
    if !q.action.trim().is_empty() {
        sel = sel.filter(audit::Column::Action.contains(q.action.trim()));
    }
    if q.failures_only {
        sel = sel.filter(audit::Column::Result.ne("ok"));
    }
    if let Some(f) = q.from {
        sel = sel.filter(audit::Column::At.gte(f));
    }
    if let Some(t) = q.to {
        sel = sel.filter(audit::Column::At.lte(t));
    }
    let total = sel.clone().count(&store.db).await?;
    let rows = sel
        .order_by_desc(audit::Column::Id)
        .offset(page.saturating_sub(1) * per_page)
        .limit(per_page)
        .all(&store.db)
        .await?;
    Ok((rows, total))
}
