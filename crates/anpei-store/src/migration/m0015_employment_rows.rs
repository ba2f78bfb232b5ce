//! A person row is one employer's record of a worker, not the worker himself: a worker who
//! changes employer is recorded again by the new employer, in its own ledger, while the
//! former employer's rows (and the certificates and training it recorded) stay in that
//! employer's history, untouched and unseen by the new one. So an ID number is unique per
//! employer, `persons (subject_id, id_bidx)`, and a certificate number per such row,
//! `certificates (person_id, cert_no_bidx)`; both blind indexes keep a plain index for look-ups.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0015_employment_rows"
    }
}

/// One table whose column-level UNIQUE becomes a composite one.
struct Rekey {
    table: &'static str,
    column: &'static str,
    unique: &'static str,
    unique_cols: &'static str,
    plain_index: &'static str,
}

const REKEYS: [Rekey; 2] = [
    Rekey {
        table: "persons",
        column: "id_bidx",
        unique: "uq_persons_subject_holder",
        unique_cols: "subject_id, id_bidx",
        plain_index: "idx_persons_holder",
    },
    Rekey {
        table: "certificates",
        column: "cert_no_bidx",
        unique: "uq_certificates_person_no",
        unique_cols: "person_id, cert_no_bidx",
        plain_index: "idx_certificates_no",
    },
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                // SQLite cannot drop a column's UNIQUE: each table is rebuilt from its own
                // stored definition (so columns added by later migrations come along), with
                // foreign keys off so that the tables referring to it keep their rows, all in
                // one batch on one connection.
                let mut batch = String::from("PRAGMA foreign_keys = OFF; BEGIN; ");
                for r in &REKEYS {
                    let create = sqlite_schema(db, "table", r.table).await?;
                    let [create] = create.as_slice() else {
                        return Err(DbErr::Migration(format!("表 {} 不存在", r.table)));
                    };
                    let indexes = sqlite_indexes(db, r.table).await?;
                    let new = format!("{}_new", r.table);
                    batch.push_str(&rebuilt(create, r, &new)?);
                    batch.push_str(&format!(
                        "; INSERT INTO {new} SELECT * FROM {t}; DROP TABLE {t}; \
                         ALTER TABLE {new} RENAME TO {t}; ",
                        t = r.table
                    ));
                    for idx in indexes {
                        batch.push_str(&idx);
                        batch.push_str("; ");
                    }
                    batch.push_str(&format!(
                        "CREATE INDEX {} ON {} ({}); ",
                        r.plain_index, r.table, r.column
                    ));
                }
                batch.push_str("COMMIT; PRAGMA foreign_keys = ON;");
                db.execute_unprepared(&batch).await?;
            }
            _ => {
                for r in &REKEYS {
                    db.execute_unprepared(&format!(
                        "ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {t}_{c}_key; \
                         ALTER TABLE {t} ADD CONSTRAINT {u} UNIQUE ({cols}); \
                         CREATE INDEX {i} ON {t} ({c})",
                        t = r.table,
                        c = r.column,
                        u = r.unique,
                        cols = r.unique_cols,
                        i = r.plain_index,
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }
}

async fn sqlite_schema(
    db: &SchemaManagerConnection<'_>,
    kind: &str,
    name: &str,
) -> Result<Vec<String>, DbErr> {
    let rows = db
        .query_all(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT sql FROM sqlite_master WHERE type = ? AND name = ? AND sql IS NOT NULL",
            [kind.into(), name.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "sql"))
        .collect()
}

/// The explicit indexes of `table` (the automatic one of the UNIQUE goes with it).
async fn sqlite_indexes(
    db: &SchemaManagerConnection<'_>,
    table: &str,
) -> Result<Vec<String>, DbErr> {
    let rows = db
        .query_all(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? \
             AND sql IS NOT NULL ORDER BY name",
            [table.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "sql"))
        .collect()
}

/// `create` (the table's stored CREATE TABLE) renamed to `new`, without the column's UNIQUE
/// and with the composite one; an error if the definition is not the one expected.
fn rebuilt(create: &str, r: &Rekey, new: &str) -> Result<String, DbErr> {
    let unexpected = || DbErr::Migration(format!("无法识别表 {} 的定义：{create}", r.table));
    let head = format!("CREATE TABLE \"{}\"", r.table);
    let rest = create.strip_prefix(&head).ok_or_else(unexpected)?;
    let column = format!("\"{}\" varchar NOT NULL UNIQUE", r.column);
    if rest.matches(&column).count() != 1 {
        return Err(unexpected());
    }
    let rest = rest.replace(&column, &format!("\"{}\" varchar NOT NULL", r.column));
    let body = rest.trim_end().strip_suffix(')').ok_or_else(unexpected)?;
    Ok(format!(
        "CREATE TABLE \"{new}\"{body}, CONSTRAINT \"{}\" UNIQUE ({}) )",
        r.unique, r.unique_cols
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_unique_becomes_the_composite_one() {
        let create = "CREATE TABLE \"persons\" ( \"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \
             \"subject_id\" integer NOT NULL, \"id_bidx\" varchar NOT NULL UNIQUE, \
             CONSTRAINT \"fk_persons_subject\" FOREIGN KEY (\"subject_id\") REFERENCES \"subjects\" (\"id\") )";
        let out = rebuilt(create, &REKEYS[0], "persons_new").unwrap();
        assert!(out.starts_with("CREATE TABLE \"persons_new\""));
        assert!(out.contains("\"id_bidx\" varchar NOT NULL,"));
        assert!(!out.contains("UNIQUE,"));
        assert!(out
            .ends_with("CONSTRAINT \"uq_persons_subject_holder\" UNIQUE (subject_id, id_bidx) )"));
    }

    #[test]
    fn an_unexpected_definition_is_refused() {
        assert!(rebuilt("CREATE TABLE \"persons\" (\"id\" integer)", &REKEYS[0], "x").is_err());
        assert!(rebuilt("CREATE TABLE other (x)", &REKEYS[0], "x").is_err());
    }
}
