//! Bulk inserts for the ledger's hot paths (imports, the demo loader): one multi-row INSERT
//! per chunk with a fixed SQL text, so the driver prepares it once and reuses it, instead of
//! building every statement through the query builder.

use crate::StoreResult;
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
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
    insert_flat(db, table, columns, rows.into_iter().flatten().collect()).await
}

/// Inserts rows given as one flat list of values, `columns.len()` a row in `columns` order.
pub async fn insert_flat<C: ConnectionTrait>(
    db: &C,
    table: &str,
    columns: &[&str],
    values: Vec<Value>,
) -> StoreResult<()> {
    let width = columns.len();
    if values.is_empty() || width == 0 {
        return Ok(());
    }
    debug_assert_eq!(values.len() % width, 0);
    let backend = db.get_database_backend();
    let per = (MAX_PARAMS / width).clamp(1, MAX_ROWS);
    let mut sql_full: Option<String> = None;
    let mut left = values.len() / width;
    let mut values = values.into_iter();
    while left > 0 {
        let rows = left.min(per);
        left -= rows;
        let chunk: Vec<Value> = values.by_ref().take(rows * width).collect();
        let sql = if rows == per {
            sql_full
                .get_or_insert_with(|| statement(backend, table, columns, per))
                .clone()
        } else {
            statement(backend, table, columns, rows)
        };
        db.execute(Statement::from_sql_and_values(backend, sql, chunk))
            .await?;
    }
    Ok(())
}

/// A date-time bound as the driver would bind it. On SQLite that is the text
/// `YYYY-MM-DD HH:MM:SS[.fff]` the driver writes with chrono's formatter, which is the
/// biggest cost of binding a bulk insert's dates; the usual case is formatted here instead.
pub fn datetime(backend: DbBackend, t: NaiveDateTime) -> Value {
    if backend != DbBackend::Sqlite {
        return Value::ChronoDateTime(Some(Box::new(t)));
    }
    let mut s = String::with_capacity(19);
    if push_date(&mut s, t.date()) && t.nanosecond() == 0 {
        s.push(' ');
        push2(&mut s, t.hour());
        s.push(':');
        push2(&mut s, t.minute());
        s.push(':');
        push2(&mut s, t.second());
    } else {
        s = t.format("%F %T%.f").to_string();
    }
    Value::String(Some(Box::new(s)))
}

/// A date bound as the driver would bind it (see [`datetime`]): `YYYY-MM-DD` on SQLite.
pub fn date(backend: DbBackend, d: Option<NaiveDate>) -> Value {
    match d {
        None if backend == DbBackend::Sqlite => Value::String(None),
        None => Value::ChronoDate(None),
        Some(d) if backend != DbBackend::Sqlite => Value::ChronoDate(Some(Box::new(d))),
        Some(d) => {
            let mut s = String::with_capacity(10);
            if !push_date(&mut s, d) {
                s = d.format("%F").to_string();
            }
            Value::String(Some(Box::new(s)))
        }
    }
}

/// Appends `YYYY-MM-DD` for a year of four digits (else leaves the formatting to chrono).
fn push_date(s: &mut String, d: NaiveDate) -> bool {
    let y = d.year();
    if !(0..=9999).contains(&y) {
        return false;
    }
    let y = y as u32;
    push2(s, y / 100);
    push2(s, y % 100);
    s.push('-');
    push2(s, d.month());
    s.push('-');
    push2(s, d.day());
    true
}

fn push2(s: &mut String, n: u32) {
    s.push(char::from(b'0' + (n / 10 % 10) as u8));
    s.push(char::from(b'0' + (n % 10) as u8));
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
    fn dates_are_bound_as_the_driver_formats_them() {
        let sqlite = DbBackend::Sqlite;
        let text = |v: Value| match v {
            Value::String(Some(s)) => *s,
            other => panic!("{other:?}"),
        };
        for t in [
            "2026-02-11 08:30:00",
            "0999-01-02 23:59:59",
            "2024-02-29 00:00:00.250",
            "2024-02-29 00:00:00.000001",
        ] {
            let dt = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f").unwrap();
            assert_eq!(
                text(datetime(sqlite, dt)),
                dt.format("%F %T%.f").to_string()
            );
            assert_eq!(
                text(date(sqlite, Some(dt.date()))),
                dt.date().format("%F").to_string()
            );
        }
        let far = NaiveDate::from_ymd_opt(12345, 6, 7).unwrap();
        assert_eq!(text(date(sqlite, Some(far))), far.format("%F").to_string());
        let far = far.and_hms_opt(1, 2, 3).unwrap();
        assert_eq!(
            text(datetime(sqlite, far)),
            far.format("%F %T%.f").to_string()
        );
        assert_eq!(date(sqlite, None), Value::String(None));
        assert_eq!(
            datetime(DbBackend::Postgres, far),
            Value::ChronoDateTime(Some(Box::new(far)))
        );
    }

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
