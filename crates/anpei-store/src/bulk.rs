//! Bulk inserts for the ledger's hot paths (imports, the demo loader): one multi-row INSERT
//! per chunk with a fixed SQL text, so the driver prepares it once and reuses it, instead of
//! building every statement through the query builder.

use crate::StoreResult;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

/// Parameters per statement: SQLite allows 32,766, PostgreSQL 65,535.
const MAX_PARAMS: usize = 30_000;
const MAX_ROWS: usize = 1_000;

/// Inserts `rows` (each one value per column, in `columns` order) into `table`.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let per = (MAX_PARAMS / columns.len()).clamp(1, MAX_ROWS);
    let mut sql_full: Option<String> = None;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per).collect();
        let sql = if chunk.len() == per {
            sql_full
                .get_or_insert_with(|| statement(backend, table, columns, per))
                .clone()
        } else {
            statement(backend, table, columns, chunk.len())
        };
        let values: Vec<Value> = chunk.into_iter().flatten().collect();
        db.execute(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

fn statement(backend: DbBackend, table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns.len() {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            match backend {
                DbBackend::Postgres => sql.push_str(&format!("${n}")),
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}

/// Inserts active models through [`insert`]: the columns are those set in the first model
/// (every model of one call sets the same ones).
pub async fn insert_models<C, A, E>(db: &C, rows: Vec<A>) -> StoreResult<()>
where
    C: ConnectionTrait,
    E: sea_orm::EntityTrait<ActiveModel = A>,
    A: sea_orm::ActiveModelTrait<Entity = E>,
{
    use sea_orm::{IdenStatic, Iterable};
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let cols: Vec<E::Column> = E::Column::iter()
        .filter(|c| first.get(*c).is_set())
        .collect();
    let names: Vec<&str> = cols.iter().map(|c| c.as_str()).collect();
    let values = rows
        .into_iter()
        .map(|am| {
            cols.iter()
                .map(|c| am.get(*c).into_value().unwrap_or(Value::Int(None)))
                .collect()
        })
        .collect();
    insert(db, E::default().table_name(), &names, values).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_numbered_placeholders_for_postgres_and_question_marks_for_sqlite() {
        assert_eq!(
            statement(DbBackend::Postgres, "t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            statement(DbBackend::Sqlite, "t", &["a"], 2),
            "INSERT INTO t (a) VALUES (?), (?)"
        );
    }
}
