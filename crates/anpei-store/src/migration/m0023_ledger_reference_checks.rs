//! On PostgreSQL the ledger's references (a person's employer, a certificate's holder, a
//! training record's trainee and employer) are checked once per statement instead of once per
//! row. A foreign key runs a lookup for every row an import writes, and at a city's scale those
//! lookups are most of an import's time in the server; a statement-level trigger with a
//! transition table checks a whole batch of rows with one join (the distinct ids of the batch
//! looked up in the parent's primary key: hash and merge joins, which would read the whole
//! parent table for every batch, are off inside the check).
//!
//! What is checked is what the foreign keys checked: a row written (inserted or updated) must
//! name an existing parent row, and a parent row that is still named may not be deleted or
//! have its id changed. The triggers do not lock the parent rows: every writer of the product
//! holds the writers' advisory lock for its whole transaction, so no other writer can delete
//! a parent between the check and the commit. SQLite keeps its foreign keys (checked per row,
//! cheaply, in the same process).

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0023_ledger_reference_checks"
    }
}

/// (child table, its column, the parent table, the foreign key it replaces).
const REFERENCES: [(&str, &str, &str, &str); 4] = [
    ("persons", "subject_id", "subjects", "fk_persons_subject"),
    (
        "certificates",
        "person_id",
        "persons",
        "fk_certificates_person",
    ),
    ("trainings", "person_id", "persons", "fk_trainings_person"),
    (
        "trainings",
        "subject_id",
        "subjects",
        "fk_trainings_subject",
    ),
];

const FUNCTIONS: &str = r#"
CREATE FUNCTION anpei_check_references() RETURNS trigger LANGUAGE plpgsql
    SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
    i int := 0;
    missing bigint;
BEGIN
    -- TG_ARGV: column, parent table, column, parent table, …
    WHILE i < TG_NARGS LOOP
        EXECUTE format(
            'SELECT d.c FROM (SELECT DISTINCT n.%1$I AS c FROM anpei_new_rows n '
            'WHERE n.%1$I IS NOT NULL) d '
            'WHERE NOT EXISTS (SELECT 1 FROM %2$I p WHERE p.id = d.c) LIMIT 1',
            TG_ARGV[i], TG_ARGV[i + 1]) INTO missing;
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION '%.% = % 引用的 % 记录不存在', TG_TABLE_NAME, TG_ARGV[i], missing,
                TG_ARGV[i + 1] USING ERRCODE = 'foreign_key_violation';
        END IF;
        i := i + 2;
    END LOOP;
    RETURN NULL;
END $$;

CREATE FUNCTION anpei_check_referenced() RETURNS trigger LANGUAGE plpgsql
    SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
    i int := 0;
    named bigint;
    gone text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        gone := 'SELECT id FROM anpei_old_rows';
    ELSE
        gone := 'SELECT id FROM anpei_old_rows EXCEPT SELECT id FROM anpei_new_rows';
    END IF;
    -- TG_ARGV: child table, its column, child table, its column, …
    WHILE i < TG_NARGS LOOP
        EXECUTE format(
            'SELECT c.%2$I FROM %1$I c WHERE c.%2$I IN (' || gone || ') LIMIT 1',
            TG_ARGV[i], TG_ARGV[i + 1]) INTO named;
        IF named IS NOT NULL THEN
            RAISE EXCEPTION '%.id = % 仍被 %.% 引用，不能删除或更改', TG_TABLE_NAME, named,
                TG_ARGV[i], TG_ARGV[i + 1] USING ERRCODE = 'foreign_key_violation';
        END IF;
        i := i + 2;
    END LOOP;
    RETURN NULL;
END $$;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        db.execute_unprepared(FUNCTIONS).await?;
        // Each child column leads an index already (a parent's delete looks its children
        // up by it).
        for (child, _, _, fk) in REFERENCES {
            db.execute_unprepared(&format!("ALTER TABLE {child} DROP CONSTRAINT {fk}"))
                .await?;
        }
        let mut children: Vec<&str> = REFERENCES.iter().map(|r| r.0).collect();
        children.dedup();
        for child in children {
            let args: Vec<String> = REFERENCES
                .iter()
                .filter(|r| r.0 == child)
                .flat_map(|r| [format!("'{}'", r.1), format!("'{}'", r.2)])
                .collect();
            for op in ["INSERT", "UPDATE"] {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {child}_references_{op} AFTER {op} ON {child} \
                     REFERENCING NEW TABLE AS anpei_new_rows FOR EACH STATEMENT \
                     EXECUTE FUNCTION anpei_check_references({})",
                    args.join(", ")
                ))
                .await?;
            }
        }
        for parent in ["subjects", "persons"] {
            let args: Vec<String> = REFERENCES
                .iter()
                .filter(|r| r.2 == parent)
                .flat_map(|r| [format!("'{}'", r.0), format!("'{}'", r.1)])
                .collect();
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {parent}_referenced_delete AFTER DELETE ON {parent} \
                 REFERENCING OLD TABLE AS anpei_old_rows FOR EACH STATEMENT \
                 EXECUTE FUNCTION anpei_check_referenced({})",
                args.join(", ")
            ))
            .await?;
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {parent}_referenced_update AFTER UPDATE ON {parent} \
                 REFERENCING OLD TABLE AS anpei_old_rows NEW TABLE AS anpei_new_rows \
                 FOR EACH STATEMENT EXECUTE FUNCTION anpei_check_referenced({})",
                args.join(", ")
            ))
            .await?;
        }
        Ok(())
    }
}
