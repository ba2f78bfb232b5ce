//! Loads the facts the rule engine reads, for the whole district or one subject, with
//! column-only queries (no full models). This is the bulk path of every scan: the four
//! tables are read concurrently on separate connections (SQLite's WAL allows parallel
//! readers), and a one-subject scan reads only that subject's rows and registry entries.

use crate::entity::{certificate, person, registry, subject, training};
use crate::{Store, StoreResult};
use anpei_core::ledger::rules::{CertFacts, Ledger, PersonFacts, RegistryEntry, TrainingFacts};
use anpei_core::{CertType, Post, TrainingForm, TrainingType};
use chrono::{NaiveDate, NaiveDateTime};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QuerySelect,
    QueryTrait, RelationTrait,
};
use std::collections::HashMap;
use std::time::Instant;

type PersonRow = (i32, i32, String, String, Option<String>, NaiveDate, String);
type TrainingRow = (
    i32,
    i32,
    String,
    String,
    NaiveDateTime,
    NaiveDateTime,
    f64,
    f64,
);

/// Rows read by [`sqlite_bulk_rows`]: chunks of rows joined by U+001E, fields by U+001F.
pub(crate) struct BulkRows(Vec<String>);

impl BulkRows {
    /// Each row, its fields joined by U+001F (borrowed from the chunks: no copy a row).
    pub(crate) fn rows(&self) -> impl Iterator<Item = &str> {
        self.0.iter().flat_map(|c| c.split('\u{1e}'))
    }

    pub(crate) fn estimate(&self) -> usize {
        self.0.len() * 50_000
    }
}

/// Reads many rows from SQLite in few round trips: each chunk of up to `CHUNK` rows comes
/// back as one string (fields joined by U+001F, rows by U+001E), because the driver's
/// per-row hand-off between its worker thread and the caller costs more than the row.
/// `cols` are SQL expressions; `filter` an optional `AND …` clause on the table's columns.
pub(crate) async fn sqlite_bulk_rows<C: ConnectionTrait>(
    db: &C,
    table: &str,
    cols: &[&str],
    filter: &str,
) -> StoreResult<BulkRows> {
    sqlite_bulk_rows_bound(db, table, cols, filter, &[]).await
}

/// [`sqlite_bulk_rows`] with `filter` taking `?` parameters bound to `values` (text from users
/// is never written into the SQL). The fields must not hold U+001E or U+001F.
pub(crate) async fn sqlite_bulk_rows_bound<C: ConnectionTrait>(
    db: &C,
    table: &str,
    cols: &[&str],
    filter: &str,
    values: &[sea_orm::Value],
) -> StoreResult<BulkRows> {
    const CHUNK: i64 = 50_000;
    let fields = cols
        .iter()
        .map(|c| format!("COALESCE(CAST({c} AS TEXT), '')"))
        .collect::<Vec<_>>()
        .join(" || char(31) || ");
    let mut out = Vec::new();
    let mut after = 0i64;
    loop {
        let sql = format!(
            "SELECT max(id), group_concat(r, char(30)) FROM \
             (SELECT id, {fields} AS r FROM {table} WHERE id > {after} {filter} ORDER BY id LIMIT {CHUNK})"
        );
        let row = db
            .query_one(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Sqlite,
                sql,
                values.iter().cloned(),
            ))
            .await?;
        let Some(row) = row else { break };
        let max: Option<i64> = row.try_get_by_index(0)?;
        let text: Option<String> = row.try_get_by_index(1)?;
        match (max, text) {
            (Some(m), Some(t)) => {
                out.push(t);
                after = m;
            }
            _ => break,
        }
    }
    Ok(BulkRows(out))
}

/// [`sqlite_bulk_rows`] of a big table on two connections at once, each reading half of
/// the ids (SQLite turning rows into text is most of a bulk read's time).
pub(crate) async fn sqlite_bulk_rows_halves(
    store: &Store,
    table: &str,
    cols: &[&str],
) -> StoreResult<BulkRows> {
    let row = store
        .db
        .query_one(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            format!("SELECT min(id), max(id) FROM {table}"),
        ))
        .await?;
    let (lo, hi) = match row {
        Some(r) => (
            r.try_get_by_index::<Option<i64>>(0)?,
            r.try_get_by_index::<Option<i64>>(1)?,
        ),
        None => (None, None),
    };
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return Ok(BulkRows(Vec::new()));
    };
    let mid = lo + (hi - lo) / 2;
    let first = format!("AND id <= {mid}");
    let second = format!("AND id > {mid}");
    let (mut a, b) = tokio::try_join!(
        sqlite_bulk_rows(&store.db, table, cols, &first),
        sqlite_bulk_rows(&store.db, table, cols, &second)
    )?;
    a.0.extend(b.0);
    Ok(a)
}

/// Whose facts to load: the whole installation, one subject, or the persons whose ids lie
/// in a range (a part of a whole scan in bounded memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    All,
    Subject(i32),
    /// Persons `first..=last` by id; of one district's subjects only when it is named.
    Persons(i32, i32, Option<i32>),
    /// Every person of one district's subjects (for a merge: the findings of its subjects).
    District(i32),
}

impl Which {
    fn subject(self) -> Option<i32> {
        match self {
            Which::Subject(s) => Some(s),
            _ => None,
        }
    }

    fn district(self) -> Option<i32> {
        match self {
            Which::Persons(_, _, d) => d,
            Which::District(d) => Some(d),
            _ => None,
        }
    }
}

/// `{column} IN (the ids of district d's subjects)`, as SQL both databases read (`d` is an id,
/// never text from a request).
pub(crate) fn subject_in_district(column: &str, d: i32) -> String {
    format!(
        "{column} IN (SELECT s.id FROM subjects s JOIN towns t ON t.id = s.town_id \
         WHERE t.district_id = {d})"
    )
}

/// The SQL condition of a part on a table with a `person_id` column: its id range, and for a
/// district's part, its persons (`persons.subject_id` in the district).
fn part_of_persons(a: i32, b: i32, district: Option<i32>) -> String {
    match district {
        None => format!("person_id BETWEEN {a} AND {b}"),
        Some(d) => format!(
            "person_id BETWEEN {a} AND {b} AND person_id IN (SELECT id FROM persons \
             WHERE id BETWEEN {a} AND {b} AND {})",
            subject_in_district("subject_id", d)
        ),
    }
}

/// Reads the rows of `table` that `filter` (an SQL condition) selects, from SQLite in one
/// round trip (fields joined by U+001F, rows by U+001E, as [`sqlite_bulk_rows`]): for a part
/// of a table that an index finds, bounded by the caller.
pub(crate) async fn sqlite_rows_where<C: ConnectionTrait>(
    db: &C,
    table: &str,
    cols: &[&str],
    filter: &str,
) -> StoreResult<BulkRows> {
    let fields = cols
        .iter()
        .map(|c| format!("COALESCE(CAST({c} AS TEXT), '')"))
        .collect::<Vec<_>>()
        .join(" || char(31) || ");
    let sql = format!(
        "SELECT group_concat(r, char(30)) FROM (SELECT {fields} AS r FROM {table} WHERE {filter})"
    );
    let row = db
        .query_one(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            sql,
        ))
        .await?;
    let text: Option<String> = match row {
        Some(r) => r.try_get_by_index(0)?,
        None => None,
    };
    Ok(BulkRows(text.into_iter().collect()))
}

/// Parses SQLite's stored `YYYY-MM-DD` without chrono's format machinery; anything else
/// falls back to chrono.
pub(crate) fn parse_sqlite_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        return NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Parses SQLite's stored `YYYY-MM-DD HH:MM:SS` (the driver's generic decoder tries several
/// formats in turn, which dominated full scans); anything else falls back to chrono.
pub(crate) fn parse_sqlite_datetime(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() == 19
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
    {
        let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
        return date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?);
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").ok()
}

async fn persons(store: &Store, which: Which) -> StoreResult<Vec<PersonFacts>> {
    let db = store.reads().await;
    let t = Instant::now();
    let subject_id = which.subject();
    let mut q = subject::Entity::find()
        .select_only()
        .columns([subject::Column::Id, subject::Column::Industry])
        .apply_if(subject_id, |q, s| q.filter(subject::Column::Id.eq(s)));
    if let Some((a, b)) = range_of(which) {
        q = q.filter(
            subject::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(person::Column::SubjectId)
                    .from(person::Entity)
                    .and_where(person::Column::Id.between(a, b))
                    .to_owned(),
            ),
        );
    }
    let high: HashMap<i32, bool> = q
        .into_tuple::<(i32, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, ind)| (id, ind.is_some_and(|i| store.params.is_high_risk(&i))))
        .collect();
    if store.backend() == sea_orm::DbBackend::Sqlite && subject_id.is_none() {
        let range = match which {
            Which::Persons(a, b, None) => format!("AND id BETWEEN {a} AND {b}"),
            Which::Persons(a, b, Some(d)) => format!(
                "AND id BETWEEN {a} AND {b} AND {}",
                subject_in_district("subject_id", d)
            ),
            Which::District(d) => format!("AND {}", subject_in_district("subject_id", d)),
            _ => String::new(),
        };
        let cols = [
            "id",
            "subject_id",
            "name",
            "post",
            "special_category",
            "appointed_on",
            "id_bidx",
        ];
        let out: Vec<PersonFacts> = sqlite_bulk_rows(db, "persons", &cols, &range)
            .await?
            .rows()
            .filter_map(|r| {
                let mut f = r.split('\u{1f}');
                let (id, sid, name, post, cat, appointed, bidx) = (
                    f.next()?,
                    f.next()?,
                    f.next()?,
                    f.next()?,
                    f.next()?,
                    f.next()?,
                    f.next()?,
                );
                let sid: i32 = sid.parse().ok()?;
                Some(PersonFacts {
                    id: id.parse().ok()?,
                    subject_id: sid.into(),
                    name: name.to_string(),
                    post: Post::from_code(post)?,
                    special_category: (!cat.is_empty()).then(|| cat.to_string()),
                    appointed_on: parse_sqlite_date(appointed)?,
                    high_risk: high.get(&sid).copied().unwrap_or(false),
                    holder_key: bidx.to_string(),
                })
            })
            .collect();
        tracing::debug!(ms = t.elapsed().as_millis() as u64, "facts: persons (bulk)");
        return Ok(out);
    }
    let rows: Vec<PersonRow> = person::Entity::find()
        .select_only()
        .columns([
            person::Column::Id,
            person::Column::SubjectId,
            person::Column::Name,
            person::Column::Post,
            person::Column::SpecialCategory,
            person::Column::AppointedOn,
            person::Column::IdBidx,
        ])
        .apply_if(subject_id, |q, s| q.filter(person::Column::SubjectId.eq(s)))
        .apply_if(range_of(which), |q, (a, b)| {
            q.filter(person::Column::Id.between(a, b))
        })
        .apply_if(which.district(), |q, d| {
            q.filter(Expr::cust(subject_in_district("persons.subject_id", d)))
        })
        .into_tuple()
        .all(db)
        .await?;
    let out = rows
        .into_iter()
        .filter_map(|(id, sid, name, post, cat, appointed, bidx)| {
            Some(PersonFacts {
                id: id.into(),
                subject_id: sid.into(),
                name,
                post: Post::from_code(&post)?,
                special_category: cat,
                appointed_on: appointed,
                high_risk: high.get(&sid).copied().unwrap_or(false),
                holder_key: bidx,
            })
        })
        .collect();
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "facts: persons");
    Ok(out)
}

fn range_of(which: Which) -> Option<(i32, i32)> {
    match which {
        Which::Persons(a, b, _) => Some((a, b)),
        Which::District(_) => Some((i32::MIN, i32::MAX)),
        _ => None,
    }
}

async fn certificates(store: &Store, which: Which) -> StoreResult<Vec<CertFacts>> {
    let db = store.reads().await;
    let subject_id = which.subject();
    let t = Instant::now();
    let mut q = certificate::Entity::find().select_only().columns([
        certificate::Column::Id,
        certificate::Column::PersonId,
        certificate::Column::CertType,
        certificate::Column::CertNoBidx,
        certificate::Column::Category,
        certificate::Column::OperationItem,
        certificate::Column::FirstIssued,
        certificate::Column::ValidFrom,
        certificate::Column::ValidUntil,
        certificate::Column::ReviewDue,
        certificate::Column::ReviewedOn,
    ]);
    if let Some(s) = subject_id {
        q = q
            .join(JoinType::InnerJoin, certificate::Relation::Person.def())
            .filter(person::Column::SubjectId.eq(s));
    } else if let (Some((a, b)), false) = (
        range_of(which),
        store.backend() == sea_orm::DbBackend::Sqlite,
    ) {
        q = q.filter(Expr::cust(format!(
            "certificates.{}",
            part_of_persons(a, b, which.district())
        )));
    } else if store.backend() == sea_orm::DbBackend::Sqlite {
        let cols = [
            "id",
            "person_id",
            "cert_type",
            "cert_no_bidx",
            "category",
            "operation_item",
            "first_issued",
            "valid_from",
            "valid_until",
            "review_due",
            "reviewed_on",
        ];
        let date = |s: &str| (!s.is_empty()).then(|| parse_sqlite_date(s)).flatten();
        let text = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let rows = match range_of(which) {
            // By the person index: the part's rows only.
            Some((a, b)) => {
                sqlite_rows_where(
                    db,
                    "certificates",
                    &cols,
                    &part_of_persons(a, b, which.district()),
                )
                .await?
            }
            None => sqlite_bulk_rows(db, "certificates", &cols, "").await?,
        };
        let out = rows
            .rows()
            .filter_map(|r| {
                let f: Vec<&str> = r.split('\u{1f}').collect();
                let [id, pid, ty, key, cat, item, first, from, until, due, reviewed] = f.as_slice()
                else {
                    return None;
                };
                Some(CertFacts {
                    id: id.parse().ok()?,
                    person_id: pid.parse().ok()?,
                    cert_type: CertType::from_code(ty)?,
                    cert_no_key: key.to_string(),
                    category: text(cat),
                    operation_item: text(item),
                    first_issued: date(first),
                    valid_from: date(from),
                    valid_until: date(until),
                    review_due: date(due),
                    reviewed_on: date(reviewed),
                })
            })
            .collect();
        tracing::debug!(
            ms = t.elapsed().as_millis() as u64,
            "facts: certificates (bulk)"
        );
        return Ok(out);
    }
    type Date = Option<NaiveDate>;
    type CertRow = (
        i32,
        i32,
        String,
        String,
        Option<String>,
        Option<String>,
        Date,
        Date,
        Date,
        Date,
        Date,
    );
    let rows: Vec<CertRow> = q.into_tuple().all(db).await?;
    let out = rows
        .into_iter()
        .filter_map(
            |(id, pid, ty, key, cat, item, first, from, until, due, reviewed)| {
                Some(CertFacts {
                    id: id.into(),
                    person_id: pid.into(),
                    cert_type: CertType::from_code(&ty)?,
                    cert_no_key: key,
                    category: cat,
                    operation_item: item,
                    first_issued: first,
                    valid_from: from,
                    valid_until: until,
                    review_due: due,
                    reviewed_on: reviewed,
                })
            },
        )
        .collect();
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "facts: certificates");
    Ok(out)
}

async fn trainings(store: &Store, which: Which) -> StoreResult<Vec<TrainingFacts>> {
    let db = store.reads().await;
    let t = Instant::now();
    let subject_id = which.subject();
    let q = training::Entity::find()
        .select_only()
        .columns([
            training::Column::Id,
            training::Column::PersonId,
            training::Column::TrainingType,
            training::Column::Form,
            training::Column::StartAt,
            training::Column::EndAt,
            training::Column::TheoryHours,
            training::Column::PracticalHours,
        ])
        .apply_if(subject_id, |q, s| {
            q.filter(training::Column::SubjectId.eq(s))
        })
        .apply_if(range_of(which), |q, (a, b)| {
            q.filter(training::Column::PersonId.between(a, b))
        })
        .apply_if(which.district(), |q, d| {
            q.filter(Expr::cust(subject_in_district("trainings.subject_id", d)))
        });
    // A whole district on SQLite goes the bulk way; one subject's rows come by index.
    if store.backend() == sea_orm::DbBackend::Sqlite && subject_id.is_none() {
        let cols = [
            "id",
            "person_id",
            "training_type",
            "form",
            "start_at",
            "end_at",
            "theory_hours",
            "practical_hours",
        ];
        let rows = match range_of(which) {
            Some((a, b)) => {
                sqlite_rows_where(
                    db,
                    "trainings",
                    &cols,
                    &match which.district() {
                        None => format!("person_id BETWEEN {a} AND {b}"),
                        Some(d) => format!(
                            "person_id BETWEEN {a} AND {b} AND {}",
                            subject_in_district("subject_id", d)
                        ),
                    },
                )
                .await?
            }
            None => sqlite_bulk_rows_halves(store, "trainings", &cols).await?,
        };
        let mut out = Vec::with_capacity(rows.estimate());
        out.extend(rows.rows().filter_map(|r| {
            let mut f = r.split('\u{1f}');
            Some(TrainingFacts {
                id: f.next()?.parse::<i32>().ok()?.into(),
                person_id: f.next()?.parse::<i32>().ok()?.into(),
                training_type: TrainingType::from_code(f.next()?)?,
                form: TrainingForm::from_code(f.next()?)?,
                start: parse_sqlite_datetime(f.next()?)?,
                end: parse_sqlite_datetime(f.next()?)?,
                theory_hours: f.next()?.parse().ok()?,
                practical_hours: f.next()?.parse().ok()?,
            })
        }));
        tracing::debug!(
            ms = t.elapsed().as_millis() as u64,
            "facts: trainings (bulk)"
        );
        return Ok(out);
    }
    let rows: Vec<TrainingRow> = q.into_tuple().all(db).await?;
    let out = rows
        .into_iter()
        .filter_map(|(id, pid, ty, form, start, end, theory, practical)| {
            Some(TrainingFacts {
                id: id.into(),
                person_id: pid.into(),
                training_type: TrainingType::from_code(&ty)?,
                form: TrainingForm::from_code(&form)?,
                start,
                end,
                theory_hours: theory,
                practical_hours: practical,
            })
        })
        .collect();
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "facts: trainings");
    Ok(out)
}

/// The registry, when one has been imported; for one subject only the entries of its
/// certificates' numbers (an absent number is what the rule looks for).
async fn registry(
    store: &Store,
    keys: Option<Vec<String>>,
) -> StoreResult<Option<HashMap<String, RegistryEntry>>> {
    let db = store.reads().await;
    if registry::Entity::find().count(db).await? == 0 {
        return Ok(None);
    }
    let q = registry::Entity::find().select_only().columns([
        registry::Column::CertNoBidx,
        registry::Column::HolderBidx,
        registry::Column::Name,
    ]);
    let mut out = HashMap::new();
    let mut add = |rows: Vec<(String, String, String)>| {
        for (k, holder_key, name) in rows {
            out.insert(k, RegistryEntry { holder_key, name });
        }
    };
    match keys {
        None if store.backend() == sea_orm::DbBackend::Sqlite => {
            let rows = sqlite_bulk_rows(
                db,
                "registry_entries",
                &["cert_no_bidx", "holder_bidx", "name"],
                "",
            )
            .await?;
            add(rows
                .rows()
                .filter_map(|r| {
                    let mut f = r.split('\u{1f}');
                    Some((
                        f.next()?.to_string(),
                        f.next()?.to_string(),
                        f.next()?.to_string(),
                    ))
                })
                .collect())
        }
        None => add(q.into_tuple().all(db).await?),
        Some(keys) => {
            for chunk in keys.chunks(900) {
                add(q
                    .clone()
                    .filter(registry::Column::CertNoBidx.is_in(chunk.to_vec()))
                    .into_tuple()
                    .all(db)
                    .await?);
            }
        }
    }
    Ok(Some(out))
}

/// Loads a ledger: every person, certificate and training record, or those of one subject;
/// the registry when one has been imported.
#[tracing::instrument(skip_all)]
pub async fn load(store: &Store, subject_id: Option<i32>) -> StoreResult<Ledger> {
    load_which(store, subject_id.map_or(Which::All, Which::Subject)).await
}

/// Loads the ledger of `which`: for a part, its persons with their certificates and training
/// records, and the registry entries of those certificates' numbers only.
pub async fn load_which(store: &Store, which: Which) -> StoreResult<Ledger> {
    let (persons, certificates, trainings) = tokio::try_join!(
        persons(store, which),
        certificates(store, which),
        trainings(store, which)
    )?;
    let keys =
        (which != Which::All).then(|| certificates.iter().map(|c| c.cert_no_key.clone()).collect());
    let registry = registry(store, keys).await?;
    Ok(Ledger {
        persons,
        certificates,
        trainings,
        registry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_stored_date_form_and_refuses_impossible_ones() {
        assert_eq!(
            parse_sqlite_date("2024-02-29"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        assert!(parse_sqlite_date("2023-02-29").is_none());
        assert!(parse_sqlite_date("2023-0a-01").is_none());
        assert_eq!(
            parse_sqlite_date("12024-02-29"),
            NaiveDate::parse_from_str("12024-02-29", "%Y-%m-%d").ok()
        );
    }

    #[test]
    fn parses_the_stored_datetime_form_and_refuses_impossible_ones() {
        let d = parse_sqlite_datetime("2024-02-29 08:30:05").unwrap();
        assert_eq!(d.to_string(), "2024-02-29 08:30:05");
        assert!(parse_sqlite_datetime("2023-02-29 08:30:05").is_none());
        assert_eq!(
            parse_sqlite_datetime("2024-02-08 08:30:00.5")
                .unwrap()
                .to_string(),
            "2024-02-08 08:30:00.500"
        );
    }
}
