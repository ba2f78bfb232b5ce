//! Moving a whole installation to another database: every table, row for row with its ids,
//! from the configured database into an empty one (SQLite to PostgreSQL when a district
//! outgrows the embedded default, or back). The target gets the schema first, is refused
//! unless every table is empty, receives each table in the order its foreign keys need, in
//! keyset pages, and is then checked: the same row count in every table, and the audit
//! chain intact. PostgreSQL's id sequences are moved past the copied ids.
//!
//! Evidence files stay where they are: their rows (names, sizes, SHA-256) move, and the
//! evidence directory is configured for the target as it was for the source.

use crate::entity::*;
use crate::platform::audit as audit_log;
use crate::{Store, StoreError, StoreResult};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityName, EntityTrait, IntoActiveModel, Iterable,
    ModelTrait, PaginatorTrait, PrimaryKeyToColumn, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};
use serde::Serialize;

/// Rows copied per statement: well under PostgreSQL's bound-parameter limit for the widest
/// table, and SQLite's.
const BATCH: u64 = 500;

/// One table as copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Copied {
    pub table: String,
    pub rows: u64,
}

/// What a transfer did: every table with its rows, and the target's audit chain.
#[derive(Debug, Clone, Serialize)]
pub struct Transferred {
    pub tables: Vec<Copied>,
    pub audit_entries: u64,
}

impl Transferred {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

/// Counts the rows of one entity's table.
async fn count<E>(db: &impl ConnectionTrait) -> StoreResult<u64>
where
    E: EntityTrait,
    E::Model: Sync,
{
    Ok(E::find().count(db).await?)
}

/// Copies one entity's table in keyset pages of its primary key; returns the rows copied.
async fn copy<E>(src: &Store, dst: &Store) -> StoreResult<u64>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
{
    let pk = E::PrimaryKey::iter()
        .next()
        .expect("every table has a primary key")
        .into_column();
    let mut last: Option<sea_orm::Value> = None;
    let mut n = 0u64;
    loop {
        let mut q = E::find().order_by_asc(pk).limit(BATCH);
        if let Some(v) = last.clone() {
            q = q.filter(pk.gt(v));
        }
        let rows = q.all(&src.db).await?;
        let Some(tail) = rows.last() else {
            break;
        };
        last = Some(tail.get(pk));
        n += rows.len() as u64;
        E::insert_many(rows.into_iter().map(IntoActiveModel::into_active_model))
            .exec_without_returning(&dst.db)
            .await?;
    }
    Ok(n)
}

/// The tables in the order their foreign keys need (a referenced table before the tables
/// that reference it): the row counts of every table, and the copy of every table.
macro_rules! tables {
    ($($m:ident),+ $(,)?) => {
        /// Every table with its rows, in copy order.
        async fn counts(db: &impl ConnectionTrait) -> StoreResult<Vec<(String, u64)>> {
            Ok(vec![$(($m::Entity.table_name().to_string(), count::<$m::Entity>(db).await?)),+])
        }

        /// The tables whose key is an `id` column (PostgreSQL numbers them from a sequence).
        fn id_tables() -> Vec<String> {
            let mut v = Vec::new();
            $(
                let key = <$m::PrimaryKey as Iterable>::iter()
                    .next()
                    .map(|k| sea_orm::IdenStatic::as_str(&k.into_column()).to_string());
                if key.as_deref() == Some("id") {
                    v.push($m::Entity.table_name().to_string());
                }
            )+
            v
        }

        /// Copies every table in order, telling `progress` of each.
        async fn copy_all(
            src: &Store,
            dst: &Store,
            progress: &mut impl FnMut(&Copied),
        ) -> StoreResult<Vec<Copied>> {
            let mut out = Vec::new();
            $(
                let c = Copied {
                    table: $m::Entity.table_name().to_string(),
                    rows: copy::<$m::Entity>(src, dst).await?,
                };
                progress(&c);
                out.push(c);
            )+
            Ok(out)
        }
    };
}

tables!(
    district,
    town,
    department,
    department_industry,
    subject,
    person,
    certificate,
    training,
    user,
    user_grant,
    user_mfa,
    recovery_code,
    password_history,
    session,
    api_token,
    security_setting,
    job_run,
    audit,
    registry,
    import,
    campaign,
    campaign_phase,
    checklist_item,
    self_inspection,
    self_inspection_answer,
    problem,
    problem_event,
    evidence_file,
    inbox_message,
    inspection,
    inspection_item,
    spot_test,
    enforcement_action,
    exam_qualification,
    typical_case,
    finding,
    finding_event,
    tipoff,
    tipoff_event,
    supervision_sheet,
    supervision_problem,
    summary_report,
    training_venue,
    training_teacher,
    training_equipment,
    training_class,
    training_class_session,
    training_trainee,
    training_attendance,
    exam_plan,
    exam_session,
    exam_session_staff,
    exam_staff_credential,
    exam_candidate,
    exam_video,
    exam_equipment,
);

/// Copies the installation of `src` into `dst`, which must be empty (no table, or every
/// table without rows): its schema is brought to the current version first. Then every
/// table is compared by row count and the target's audit chain is verified; any difference
/// is an error naming the table. `progress` hears each table as it is done.
pub async fn transfer(
    src: &Store,
    dst: &Store,
    mut progress: impl FnMut(&Copied),
) -> StoreResult<Transferred> {
    use sea_orm_migration::MigratorTrait;
    if src.pending_migrations().await? > 0 {
        return Err(StoreError::Conflict(
            "源数据库尚未升级到当前版本，请先运行 anpei migrate".into(),
        ));
    }
    crate::migration::Migrator::up(&dst.db, None).await?;
    // The migrations leave one unnamed district behind; the source's districts replace it.
    let fresh = district::Entity::find().all(&dst.db).await?;
    let placeholder = matches!(fresh.as_slice(), [d] if d.code.is_empty());
    if let Some((table, n)) = counts(&dst.db)
        .await?
        .into_iter()
        .find(|(t, n)| *n > 0 && !(placeholder && *t == "districts" && *n == 1))
    {
        return Err(StoreError::Conflict(format!(
            "目标数据库不是空库（表 {table} 已有 {n} 行），为免覆盖，拒绝迁移"
        )));
    }
    if placeholder {
        district::Entity::delete_many().exec(&dst.db).await?;
    }
    let tables = copy_all(src, dst, &mut progress).await?;
    if dst.backend() == DbBackend::Postgres {
        for t in id_tables() {
            dst.db
                .execute(Statement::from_string(
                    DbBackend::Postgres,
                    format!(
                        "SELECT setval(pg_get_serial_sequence('\"{t}\"', 'id'), \
                         COALESCE((SELECT MAX(id) FROM \"{t}\"), 1), \
                         (SELECT MAX(id) FROM \"{t}\") IS NOT NULL) \
                         WHERE pg_get_serial_sequence('\"{t}\"', 'id') IS NOT NULL"
                    ),
                ))
                .await?;
        }
    }
    let here = counts(&src.db).await?;
    let there = counts(&dst.db).await?;
    for ((c, (_, h)), (_, t)) in tables.iter().zip(&here).zip(&there) {
        if *t != c.rows || *h != c.rows {
            return Err(StoreError::Conflict(format!(
                "表 {} 行数不一致：源 {h} 行，已复制 {} 行，目标 {t} 行",
                c.table, c.rows
            )));
        }
    }
    let audit_entries = match audit_log::verify(dst).await? {
        audit_log::Verdict::Intact { entries } => entries,
        audit_log::Verdict::Broken { entry_id, reason } => {
            return Err(StoreError::Conflict(format!(
                "目标数据库的审计日志哈希链校验失败：第 {entry_id} 条，{reason}"
            )))
        }
    };
    Ok(Transferred {
        tables,
        audit_entries,
    })
}
