//! `anpei transfer --to URL` as an operator runs it: the embedded SQLite database of a data
//! directory (the demo city) moves into an empty database (a fresh PostgreSQL schema when
//! `ANPEI_TEST_DATABASE_URL` names a server, else another SQLite file), the audit chain
//! verifies there, and a second transfer into the now non-empty target is refused.

use crate::common::{anpei, fresh_schema, pg_base, stdout, temp_dir, text, SMALL_CITY};
use sea_orm::{ConnectionTrait, Database};
use std::io::Write;
use std::process::Stdio;

#[tokio::test]
async fn the_embedded_database_moves_to_an_empty_one_and_verifies_there() {
    let dir = temp_dir("transfer");
    let src = format!("sqlite://{}?mode=rwc", dir.join("anpei.db").display());
    stdout(&anpei(&dir, &src, &["migrate"]).output().unwrap());
    stdout(&anpei(&dir, &src, SMALL_CITY).output().unwrap());
    // Something of its own: an account (audited).
    let mut add = anpei(
        &dir,
        &src,
        &[
            "user",
            "add",
            "zhangsan",
            "--role",
            "town",
            "--scope",
            "龙兴镇",
            "--password-stdin",
        ],
    )
    .stdin(Stdio::piped())
    .spawn()
    .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"S3cure!pass\n")
        .unwrap();
    let out = add.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let (to, schema) = match pg_base() {
        Some(base) => {
            let (url, schema) = fresh_schema(&base, "x").await;
            (url, Some((base, schema)))
        }
        None => (
            format!("sqlite://{}?mode=rwc", dir.join("target.db").display()),
            None,
        ),
    };
    let moved = stdout(
        &anpei(&dir, &src, &["transfer", "--to", &to])
            .output()
            .unwrap(),
    );
    assert!(moved.contains("迁移完成"), "{moved}");
    for table in [
        "audit_log",
        "users",
        "districts",
        "self_inspections",
        "tipoffs",
        "evidence_files",
    ] {
        assert!(moved.contains(table), "{table} not moved:\n{moved}");
    }
    // The target is the installation now: its audit chain verifies.
    let verify = anpei(&dir, &to, &["audit", "verify"]).output().unwrap();
    assert!(verify.status.success(), "{}", text(&verify));
    // Into a target that holds anything: refused, exit 1.
    let again = anpei(&dir, &src, &["transfer", "--to", &to])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(text(&again).contains("不是空库"), "{}", text(&again));
    if let Some((base, schema)) = schema {
        let admin = Database::connect(&base).await.unwrap();
        admin
            .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
            .await
            .ok();
    }
    std::fs::remove_dir_all(&dir).ok();
}
