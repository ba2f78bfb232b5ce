//! The administrative hierarchy 市 → 区县 → 镇街: a `districts` table (GB/T 2260 code and
//! name), every town and street under one district (names unique within a district only,
//! so two counties may each have a 城关镇), member departments of a district or of the city
//! (a district's department may name the city department above it), an industry's
//! department chosen within a district, accounts scoped to a district, and tip-offs held by
//! the intake of a district. An installation made before this migration becomes one
//! district: the row created here (code empty, name 本区, renamed by the first district a
//! reference import or the demo brings), which every existing town, department, district
//! account and tip-off joins.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0019_districts"
    }
}

/// SQLite cannot drop the column-level UNIQUE of `towns.name`, `departments.name` and
/// `department_industries.industry`: the tables are rebuilt in the documented way (foreign keys off, copy, drop, rename, check, on again), in one
/// transaction on one connection.
const SQLITE: &str = r#"
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE "districts" (
    "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "code" varchar NOT NULL UNIQUE,
    "name" varchar NOT NULL UNIQUE,
    "sort" integer NOT NULL
);
INSERT INTO "districts" ("code", "name", "sort") VALUES ('', '本区', 0);
CREATE TABLE "towns_new" (
    "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "district_id" integer NOT NULL REFERENCES "districts" ("id"),
    "code" varchar NULL,
    "name" varchar NOT NULL,
    "kind" varchar NOT NULL,
    "sort" integer NOT NULL,
    CONSTRAINT "uq_towns_district_name" UNIQUE ("district_id", "name")
);
INSERT INTO "towns_new" ("id", "district_id", "code", "name", "kind", "sort")
    SELECT "id", 1, NULL, "name", "kind", "sort" FROM "towns";
DROP TABLE "towns";
ALTER TABLE "towns_new" RENAME TO "towns";
CREATE INDEX "idx_towns_district" ON "towns" ("district_id", "sort");
CREATE TABLE "departments_new" (
    "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "district_id" integer NULL REFERENCES "districts" ("id"),
    "parent_id" integer NULL REFERENCES "departments" ("id"),
    "name" varchar NOT NULL,
    "sort" integer NOT NULL,
    CONSTRAINT "uq_departments_district_name" UNIQUE ("district_id", "name")
);
INSERT INTO "departments_new" ("id", "district_id", "parent_id", "name", "sort")
    SELECT "id", 1, NULL, "name", "sort" FROM "departments";
DROP TABLE "departments";
ALTER TABLE "departments_new" RENAME TO "departments";
CREATE INDEX "idx_departments_district" ON "departments" ("district_id", "sort");
CREATE INDEX "idx_departments_parent" ON "departments" ("parent_id");
CREATE TABLE "department_industries_new" (
    "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "department_id" integer NOT NULL REFERENCES "departments" ("id"),
    "industry" varchar NOT NULL,
    "sort" integer NOT NULL,
    CONSTRAINT "uq_department_industries" UNIQUE ("department_id", "industry")
);
INSERT INTO "department_industries_new" ("id", "department_id", "industry", "sort")
    SELECT "id", "department_id", "industry", "sort" FROM "department_industries";
DROP TABLE "department_industries";
ALTER TABLE "department_industries_new" RENAME TO "department_industries";
CREATE INDEX "idx_department_industries_industry" ON "department_industries" ("industry");
ALTER TABLE "users" ADD COLUMN "scope_district_id" integer NULL REFERENCES "districts" ("id");
UPDATE "users" SET "scope_district_id" = 1 WHERE "role" = 'district';
ALTER TABLE "tipoffs" ADD COLUMN "district_id" integer NULL REFERENCES "districts" ("id");
UPDATE "tipoffs" SET "district_id" = 1;
CREATE INDEX "idx_tipoffs_district" ON "tipoffs" ("district_id");
COMMIT;
PRAGMA foreign_keys = ON;
"#;

const POSTGRES: &str = r#"
CREATE TABLE "districts" (
    "id" serial NOT NULL PRIMARY KEY,
    "code" varchar NOT NULL UNIQUE,
    "name" varchar NOT NULL UNIQUE,
    "sort" integer NOT NULL
);
INSERT INTO "districts" ("code", "name", "sort") VALUES ('', '本区', 0);
ALTER TABLE "towns" ADD COLUMN "district_id" integer NOT NULL DEFAULT 1 REFERENCES "districts" ("id");
ALTER TABLE "towns" ALTER COLUMN "district_id" DROP DEFAULT;
ALTER TABLE "towns" ADD COLUMN "code" varchar NULL;
ALTER TABLE "towns" DROP CONSTRAINT "towns_name_key";
ALTER TABLE "towns" ADD CONSTRAINT "uq_towns_district_name" UNIQUE ("district_id", "name");
CREATE INDEX "idx_towns_district" ON "towns" ("district_id", "sort");
ALTER TABLE "departments" ADD COLUMN "district_id" integer NULL REFERENCES "districts" ("id");
UPDATE "departments" SET "district_id" = 1;
ALTER TABLE "departments" ADD COLUMN "parent_id" integer NULL REFERENCES "departments" ("id");
ALTER TABLE "departments" DROP CONSTRAINT "departments_name_key";
ALTER TABLE "departments" ADD CONSTRAINT "uq_departments_district_name" UNIQUE ("district_id", "name");
CREATE INDEX "idx_departments_district" ON "departments" ("district_id", "sort");
CREATE INDEX "idx_departments_parent" ON "departments" ("parent_id");
ALTER TABLE "department_industries" DROP CONSTRAINT "department_industries_industry_key";
ALTER TABLE "department_industries" ADD CONSTRAINT "uq_department_industries" UNIQUE ("department_id", "industry");
CREATE INDEX "idx_department_industries_industry" ON "department_industries" ("industry");
ALTER TABLE "users" ADD COLUMN "scope_district_id" integer NULL REFERENCES "districts" ("id");
UPDATE "users" SET "scope_district_id" = 1 WHERE "role" = 'district';
ALTER TABLE "tipoffs" ADD COLUMN "district_id" integer NULL REFERENCES "districts" ("id");
UPDATE "tipoffs" SET "district_id" = 1;
CREATE INDEX "idx_tipoffs_district" ON "tipoffs" ("district_id");
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                let before = broken_references(db).await?;
                db.execute_unprepared(SQLITE).await?;
                // The rebuilt tables must satisfy every reference the old ones did.
                let after = broken_references(db).await?;
                if after > before {
                    return Err(DbErr::Migration(format!(
                        "重建镇街和部门表后有{}处引用失效，迁移已中止",
                        after - before
                    )));
                }
                Ok(())
            }
            _ => db.execute_unprepared(POSTGRES).await.map(drop),
        }
    }
}

/// References into the rebuilt tables that point nowhere (SQLite's `foreign_key_check`).
async fn broken_references(db: &SchemaManagerConnection<'_>) -> Result<usize, DbErr> {
    Ok(db
        .query_all(sea_orm::Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA foreign_key_check",
        ))
        .await?
        .into_iter()
        .filter(|r| {
            r.try_get_by_index::<String>(2).is_ok_and(|parent| {
                ["towns", "departments", "department_industries", "districts"]
                    .contains(&parent.as_str())
            })
        })
        .count())
}
