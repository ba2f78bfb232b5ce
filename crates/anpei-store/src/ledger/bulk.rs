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
    let shape = Shape::plain(table, columns);
    insert_shaped(db, &shape, rows.into_iter().flatten().collect()).await
}

/// How a column's value is bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bind {
    /// One parameter, the value itself.
    Value,
    /// One of a closed vocabulary (stable codes, never user text), bound as its index in
    /// the list: SQLite binds an integer far more cheaply than a string. NULL stays NULL.
    Coded(Vec<&'static str>),
    /// Text that is usually one of a few values: two parameters, the index of the usual
    /// value (or NULL) and else the text itself (or NULL).
    Usual(Vec<&'static str>),
}

impl Bind {
    fn params(&self) -> usize {
        match self {
            Bind::Usual(_) => 2,
            _ => 1,
        }
    }
}

/// The rows of a bulk insert: the table, its columns and how each is bound.
///
/// On SQLite a shape with coded columns inserts `SELECT … FROM (VALUES (?, …), …)`, the
/// codes turned back into text by one `CASE` each in the select list (written once, so the
/// statement stays cheap to prepare however many rows it has). Elsewhere the codes are
/// turned back into text before binding.
#[derive(Debug, Clone)]
pub struct Shape {
    table: String,
    columns: Vec<(String, Bind)>,
}

impl Shape {
    pub fn new(table: &str, columns: Vec<(&str, Bind)>) -> Shape {
        Shape {
            table: table.to_string(),
            columns: columns
                .into_iter()
                .map(|(c, b)| (c.to_string(), b))
                .collect(),
        }
    }

    /// Every column bound as its value.
    pub fn plain(table: &str, columns: &[&str]) -> Shape {
        Shape::new(table, columns.iter().map(|c| (*c, Bind::Value)).collect())
    }

    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|(c, _)| c.as_str()).collect()
    }

    /// Parameters a row takes.
    pub fn params(&self) -> usize {
        self.columns.iter().map(|(_, b)| b.params()).sum()
    }

    fn is_plain(&self) -> bool {
        self.columns.iter().all(|(_, b)| *b == Bind::Value)
    }

    /// The INSERT of `rows` rows: a plain multi-row `VALUES` of the parameters, or on
    /// SQLite the select that decodes the coded ones.
    fn statement(&self, backend: DbBackend, rows: usize) -> String {
        let mut sql = format!(
            "INSERT INTO {} ({}) ",
            self.table,
            self.column_names().join(", ")
        );
        let decode = backend == DbBackend::Sqlite && !self.is_plain();
        if decode {
            sql.push_str("SELECT ");
            let mut k = 0;
            let cases = |sql: &mut String, words: &[&str]| {
                for (i, w) in words.iter().enumerate() {
                    sql.push_str(&format!(" WHEN {i} THEN '{}'", w.replace('\'', "''")));
                }
            };
            for (c, (_, bind)) in self.columns.iter().enumerate() {
                if c > 0 {
                    sql.push_str(", ");
                }
                k += 1;
                match bind {
                    Bind::Value => sql.push_str(&format!("column{k}")),
                    Bind::Coded(words) => {
                        sql.push_str(&format!("CASE column{k}"));
                        cases(&mut sql, words);
                        sql.push_str(" END");
                    }
                    Bind::Usual(words) => {
                        sql.push_str(&format!("CASE column{k}"));
                        cases(&mut sql, words);
                        k += 1;
                        sql.push_str(&format!(" ELSE column{k} END"));
                    }
                }
            }
            sql.push_str(" FROM (");
        }
        sql.push_str("VALUES ");
        let width = if decode {
            self.params()
        } else {
            self.columns.len()
        };
        let mut n = 0;
        for r in 0..rows {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..width {
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
        if decode {
            sql.push(')');
        }
        sql
    }

    /// Turns a chunk's coded values back into text, for a backend that binds them so.
    fn decode(&self, values: Vec<Value>) -> Vec<Value> {
        let word = |words: &[&'static str], v: &Value| match v {
            Value::Int(Some(i)) => words
                .get(*i as usize)
                .map(|w| Value::String(Some(Box::new((*w).to_string())))),
            _ => None,
        };
        let mut out = Vec::with_capacity(values.len());
        let mut values = values.into_iter();
        'rows: loop {
            for (_, bind) in &self.columns {
                let Some(v) = values.next() else {
                    break 'rows;
                };
                match bind {
                    Bind::Value => out.push(v),
                    Bind::Coded(words) => out.push(word(words, &v).unwrap_or(Value::String(None))),
                    Bind::Usual(words) => {
                        let text = values.next().unwrap_or(Value::String(None));
                        out.push(word(words, &v).unwrap_or(text));
                    }
                }
            }
        }
        out
    }
}

/// The value binding `code` in a [`Bind::Coded`] column of `words` (NULL for none).
pub fn coded(words: &[&str], code: Option<&str>) -> Value {
    Value::Int(code.and_then(|c| words.iter().position(|w| *w == c).map(|i| i as i32)))
}

/// The two values binding `text` in a [`Bind::Usual`] column of `words`.
pub fn usual(words: &[&str], text: Option<String>) -> [Value; 2] {
    match text {
        Some(t) => match words.iter().position(|w| *w == t) {
            Some(i) => [Value::Int(Some(i as i32)), Value::String(None)],
            None => [Value::Int(None), Value::String(Some(Box::new(t)))],
        },
        None => [Value::Int(None), Value::String(None)],
    }
}

/// Inserts rows given as one flat list of values, [`Shape::params`] a row, in its order.
pub async fn insert_shaped<C: ConnectionTrait>(
    db: &C,
    shape: &Shape,
    values: Vec<Value>,
) -> StoreResult<()> {
    let width = shape.params();
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
        let mut chunk: Vec<Value> = values.by_ref().take(rows * width).collect();
        if backend != DbBackend::Sqlite && !shape.is_plain() {
            chunk = shape.decode(chunk);
        }
        let sql = if rows == per {
            sql_full
                .get_or_insert_with(|| shape.statement(backend, per))
                .clone()
        } else {
            shape.statement(backend, rows)
        };
        db.execute(Statement::from_sql_and_values(backend, sql, chunk))
            .await?;
    }
    Ok(())
}

/// The `COPY … FROM STDIN` of a shape's rows on PostgreSQL: the statement and the rows in
/// COPY's text format (tab-separated, `\N` for NULL, backslash escapes), the coded values
/// turned back into their text.
pub fn copy_text(shape: &Shape, values: Vec<Value>) -> StoreResult<(String, Vec<u8>)> {
    let sql = format!(
        "COPY {} ({}) FROM STDIN",
        shape.table,
        shape.column_names().join(", ")
    );
    let values = if shape.is_plain() {
        values
    } else {
        shape.decode(values)
    };
    let width = shape.columns.len();
    let mut out = Vec::with_capacity(values.len() * 16);
    for (i, v) in values.iter().enumerate() {
        copy_value(&mut out, v)?;
        out.push(if (i + 1) % width == 0 { b'\n' } else { b'\t' });
    }
    Ok((sql, out))
}

/// Appends one value in COPY's text format.
fn copy_value(out: &mut Vec<u8>, v: &Value) -> StoreResult<()> {
    use std::io::Write;
    let w = |out: &mut Vec<u8>, a: std::fmt::Arguments| {
        out.write_fmt(a).expect("writing to a Vec cannot fail")
    };
    match v {
        Value::Bool(Some(b)) => out.push(if *b { b't' } else { b'f' }),
        Value::TinyInt(Some(n)) => w(out, format_args!("{n}")),
        Value::SmallInt(Some(n)) => w(out, format_args!("{n}")),
        Value::Int(Some(n)) => w(out, format_args!("{n}")),
        Value::BigInt(Some(n)) => w(out, format_args!("{n}")),
        Value::TinyUnsigned(Some(n)) => w(out, format_args!("{n}")),
        Value::SmallUnsigned(Some(n)) => w(out, format_args!("{n}")),
        Value::Unsigned(Some(n)) => w(out, format_args!("{n}")),
        Value::BigUnsigned(Some(n)) => w(out, format_args!("{n}")),
        Value::Float(Some(x)) => copy_float(out, f64::from(*x)),
        Value::Double(Some(x)) => copy_float(out, *x),
        Value::String(Some(s)) => copy_text_escaped(out, s),
        Value::Char(Some(c)) => copy_text_escaped(out, c.encode_utf8(&mut [0; 4])),
        Value::Bytes(Some(b)) => {
            out.extend_from_slice(b"\\\\x");
            for byte in b.iter() {
                w(out, format_args!("{byte:02x}"));
            }
        }
        Value::ChronoDate(Some(d)) => {
            let mut b = *b"0000-00-00";
            if put_date(&mut b, **d) {
                out.extend_from_slice(&b);
            } else {
                w(out, format_args!("{}", d.format("%F")));
            }
        }
        Value::ChronoDateTime(Some(t)) => {
            let mut b = *b"0000-00-00 00:00:00";
            if put_date(&mut b, t.date()) && t.nanosecond() == 0 {
                put2(&mut b[11..13], t.hour());
                put2(&mut b[14..16], t.minute());
                put2(&mut b[17..19], t.second());
                out.extend_from_slice(&b);
            } else {
                w(out, format_args!("{}", t.format("%F %T%.f")));
            }
        }
        Value::Json(Some(j)) => copy_text_escaped(out, &j.to_string()),
        Value::Bool(None)
        | Value::TinyInt(None)
        | Value::SmallInt(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::TinyUnsigned(None)
        | Value::SmallUnsigned(None)
        | Value::Unsigned(None)
        | Value::BigUnsigned(None)
        | Value::Float(None)
        | Value::Double(None)
        | Value::String(None)
        | Value::Char(None)
        | Value::Bytes(None)
        | Value::ChronoDate(None)
        | Value::ChronoDateTime(None)
        | Value::Json(None) => out.extend_from_slice(b"\\N"),
        other => {
            return Err(crate::StoreError::Validation(format!(
                "批量写入不支持此类型的值：{other:?}"
            )))
        }
    }
    Ok(())
}

/// A float as PostgreSQL reads it back to the same value (Rust's shortest round-trip form;
/// the infinities and NaN by their SQL names).
fn copy_float(out: &mut Vec<u8>, x: f64) {
    use std::io::Write;
    let r = if x.is_nan() {
        out.write_all(b"NaN")
    } else if x.is_infinite() {
        out.write_all(if x > 0.0 { b"Infinity" } else { b"-Infinity" })
    } else {
        write!(out, "{x}")
    };
    r.expect("writing to a Vec cannot fail")
}

/// Text with COPY's escapes for the backslash, the tab and the line ends.
fn copy_text_escaped(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// A date-time bound as the driver would bind it. On SQLite that is the text
/// `YYYY-MM-DD HH:MM:SS[.fff]` the driver writes with chrono's formatter, which is the
/// biggest cost of binding a bulk insert's dates; the usual case is formatted here instead.
pub fn datetime(backend: DbBackend, t: NaiveDateTime) -> Value {
    if backend != DbBackend::Sqlite {
        return Value::ChronoDateTime(Some(Box::new(t)));
    }
    let mut b = *b"0000-00-00 00:00:00";
    let text = if put_date(&mut b, t.date()) && t.nanosecond() == 0 {
        put2(&mut b[11..13], t.hour());
        put2(&mut b[14..16], t.minute());
        put2(&mut b[17..19], t.second());
        String::from_utf8(b.to_vec()).ok()
    } else {
        None
    };
    let text = text.unwrap_or_else(|| t.format("%F %T%.f").to_string());
    Value::String(Some(Box::new(text)))
}

/// A date bound as the driver would bind it (see [`datetime`]): `YYYY-MM-DD` on SQLite.
pub fn date(backend: DbBackend, d: Option<NaiveDate>) -> Value {
    match d {
        None if backend == DbBackend::Sqlite => Value::String(None),
        None => Value::ChronoDate(None),
        Some(d) if backend != DbBackend::Sqlite => Value::ChronoDate(Some(Box::new(d))),
        Some(d) => {
            let mut b = *b"0000-00-00";
            let text = if put_date(&mut b, d) {
                String::from_utf8(b.to_vec()).ok()
            } else {
                None
            };
            let text = text.unwrap_or_else(|| d.format("%F").to_string());
            Value::String(Some(Box::new(text)))
        }
    }
}

/// Writes `YYYY-MM-DD` at the start of `b` for a year of four digits (else leaves the
/// formatting to chrono).
fn put_date(b: &mut [u8], d: NaiveDate) -> bool {
    let y = d.year();
    if !(0..=9999).contains(&y) {
        return false;
    }
    let y = y as u32;
    put2(&mut b[0..2], y / 100);
    put2(&mut b[2..4], y % 100);
    put2(&mut b[5..7], d.month());
    put2(&mut b[8..10], d.day());
    true
}

fn put2(b: &mut [u8], n: u32) {
    b[0] = b'0' + (n / 10 % 10) as u8;
    b[1] = b'0' + (n % 10) as u8;
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
    fn copy_text_escapes_and_decodes_each_value() {
        let shape = Shape::new(
            "t",
            vec![
                ("a", Bind::Coded(vec!["x", "y"])),
                ("b", Bind::Value),
                ("c", Bind::Value),
                ("d", Bind::Value),
            ],
        );
        let t = NaiveDate::from_ymd_opt(2026, 2, 11)
            .unwrap()
            .and_hms_opt(8, 30, 0)
            .unwrap();
        let values = vec![
            coded(&["x", "y"], Some("y")),
            Value::String(Some(Box::new("a\\b\tc\nd\re 中".into()))),
            Value::Double(Some(0.1)),
            Value::ChronoDateTime(Some(Box::new(t))),
            Value::Int(None),
            Value::String(None),
            Value::Double(Some(f64::NEG_INFINITY)),
            Value::ChronoDate(None),
        ];
        let (sql, data) = copy_text(&shape, values).unwrap();
        assert_eq!(sql, "COPY t (a, b, c, d) FROM STDIN");
        assert_eq!(
            String::from_utf8(data).unwrap(),
            "y\ta\\\\b\\tc\\nd\\re 中\t0.1\t2026-02-11 08:30:00\n\\N\t\\N\t-Infinity\t\\N\n"
        );
    }

    #[test]
    fn builds_numbered_placeholders_for_postgres_and_question_marks_for_sqlite() {
        assert_eq!(
            Shape::plain("t", &["a", "b"]).statement(DbBackend::Postgres, 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            Shape::plain("t", &["a"]).statement(DbBackend::Sqlite, 2),
            "INSERT INTO t (a) VALUES (?), (?)"
        );
    }

    #[test]
    fn binds_vocabularies_as_indexes_and_usual_values_as_an_index_or_the_text() {
        let shape = Shape::new(
            "t",
            vec![
                ("a", Bind::Coded(vec!["x", "it's"])),
                ("b", Bind::Usual(vec!["合格"])),
                ("c", Bind::Value),
            ],
        );
        assert_eq!(shape.params(), 4);
        assert_eq!(
            shape.statement(DbBackend::Sqlite, 2),
            "INSERT INTO t (a, b, c) SELECT CASE column1 WHEN 0 THEN 'x' WHEN 1 THEN 'it''s' END, \
             CASE column2 WHEN 0 THEN '合格' ELSE column3 END, column4 \
             FROM (VALUES (?, ?, ?, ?), (?, ?, ?, ?))"
        );
        assert_eq!(
            shape.statement(DbBackend::Postgres, 1),
            "INSERT INTO t (a, b, c) VALUES ($1, $2, $3)"
        );
        let text = |t: &str| Value::String(Some(Box::new(t.to_string())));
        let mut values = vec![
            coded(&["x", "it's"], Some("it's")),
            Value::Int(Some(0)),
            Value::String(None),
            Value::Int(Some(7)),
        ];
        values.extend(vec![Value::Int(None)]);
        values.extend(usual(&["合格"], Some("良好".into())));
        values.push(Value::Int(None));
        assert_eq!(
            shape.decode(values),
            vec![
                text("it's"),
                text("合格"),
                Value::Int(Some(7)),
                Value::String(None),
                text("良好"),
                Value::Int(None)
            ]
        );
        let words = ["x", "y"];
        assert_eq!(coded(&words, Some("y")), Value::Int(Some(1)));
        assert_eq!(coded(&words, None), Value::Int(None));
        assert_eq!(
            usual(&words, Some("x".into())),
            [Value::Int(Some(0)), Value::String(None)]
        );
        assert_eq!(
            usual(&words, Some("z".into())),
            [Value::Int(None), Value::String(Some(Box::new("z".into())))]
        );
    }
}
