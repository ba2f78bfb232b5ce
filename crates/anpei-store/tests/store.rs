//! The storage suite: runs on SQLite, and on PostgreSQL when `ANPEI_TEST_DATABASE_URL`
//! names one (each test in a fresh schema).

use anpei_core::demo::DemoConfig;
use anpei_store::platform::accounts::{self, LoginRefusal, NewUser};
use anpei_store::platform::audit::{self, Actor, Event, Verdict};
use anpei_store::registry::reference;
use anpei_store::registry::subjects::{self, SubjectFilter, SubjectInput};
use anpei_store::testing::TestDb;
use anpei_store::testing::{execute_raw, platform::row_count};
use anpei_store::{demo, registry::dashboard, Role, StoreError};
use sea_orm::{ConnectionTrait, DbBackend};

async fn demo_db(subjects: usize, persons: usize) -> (TestDb, anpei_core::demo::DemoDistrict) {
    let db = TestDb::new().await;
    let cfg = DemoConfig {
        seed: 11,
        subjects,
        persons,
        as_of: db.store.today(),
    };
    let (_, district) = demo::load(&db.store, &cfg).await.expect("demo loads");
    (db, district)
}

#[tokio::test]
async fn a_new_database_holds_the_reference_lists_of_the_district() {
    let db = TestDb::new().await;
    let towns = reference::towns(&db.store, &anpei_store::Scope::district_wide())
        .await
        .unwrap();
    assert_eq!(towns.len(), 30);
    assert_eq!(towns.iter().filter(|t| t.kind == "镇").count(), 11);
    let deps = reference::departments(&db.store, &anpei_store::Scope::district_wide())
        .await
        .unwrap();
    let (yjj, inds) = deps
        .iter()
        .find(|(d, _)| d.name == "区应急管理局")
        .expect("emergency bureau");
    assert!(inds.contains(&"危险化学品".to_string()), "{}", yjj.name);
    db.cleanup().await;
}

#[tokio::test]
async fn the_demo_district_loads_in_one_piece_and_refuses_a_second_load() {
    let (db, district) = demo_db(30, 400).await;
    let n = row_count(&db.store, "subjects").await;
    assert_eq!(n as usize, district.subjects.len());
    assert_eq!(
        row_count(&db.store, "persons").await as usize,
        district.persons.len()
    );
    let again = demo::load(
        &db.store,
        &DemoConfig {
            seed: 11,
            subjects: 30,
            persons: 400,
            as_of: db.store.today(),
        },
    )
    .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))));
    db.cleanup().await;
}

#[tokio::test]
async fn no_plaintext_id_or_phone_number_is_in_the_database_file() {
    let (db, district) = demo_db(20, 300).await;
    let Some(path) = db.sqlite_path.clone() else {
        // On PostgreSQL the same columns are bytea ciphertext; the file check is SQLite's.
        db.cleanup().await;
        return;
    };
    execute_raw(&db.store, "PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .unwrap();
    let mut raw = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(format!("{}-wal", path.display())) {
        raw.extend(wal);
    }
    let text = String::from_utf8_lossy(&raw);
    for p in &district.persons {
        assert!(
            !text.contains(p.id_number.as_str()),
            "plaintext ID number of {} in the database file",
            p.name
        );
        if let Some(phone) = &p.phone {
            assert!(
                !text.contains(phone.as_str()),
                "plaintext phone number in the database file"
            );
        }
    }
    // The masked form is there, so the check above looked at real data.
    assert!(text.contains(&district.persons[0].id_number.masked()));
    db.cleanup().await;
}

#[tokio::test]
async fn a_person_is_found_by_id_number_through_the_blind_index() {
    let (db, district) = demo_db(10, 80).await;
    let target = &district.persons[5];
    let f = anpei_store::registry::persons::PersonFilter {
        q: Some(target.id_number.as_str().to_lowercase()),
        ..Default::default()
    };
    let (rows, total) = anpei_store::registry::persons::list(
        &db.store,
        &anpei_store::Scope::district_wide(),
        &f,
        1,
        10,
    )
    .await
    .unwrap();
    assert_eq!(total, 1);
    assert_eq!(rows[0].name, target.name);
    assert_eq!(rows[0].id_number_masked, target.id_number.masked());
    db.cleanup().await;
}

#[tokio::test]
async fn audit_verify_names_the_first_edited_entry() {
    let db = TestDb::new().await;
    let actor = Actor::system("test");
    for i in 0..5 {
        audit::record(
            &db.store,
            &actor,
            Event::ok("test.write", format!("thing:{i}")),
        )
        .await
        .unwrap();
    }
    assert!(matches!(
        audit::verify(&db.store).await.unwrap(),
        Verdict::Intact { .. }
    ));
    // The application cannot change the log…
    let refused = execute_raw(
        &db.store,
        "UPDATE audit_log SET object = 'thing:x' WHERE object = 'thing:2'",
    )
    .await;
    assert!(refused.is_err(), "the audit log must be append-only");
    // …so an attacker with the database's owner rights drops the trigger first.
    let drop = match db.store.backend() {
        DbBackend::Postgres => "DROP TRIGGER audit_log_append_only ON audit_log",
        _ => "DROP TRIGGER audit_log_no_update",
    };
    execute_raw(&db.store, drop).await.unwrap();
    execute_raw(
        &db.store,
        "UPDATE audit_log SET object = 'thing:x' WHERE object = 'thing:2'",
    )
    .await
    .unwrap();
    let entries = audit::latest(&db.store, 100).await.unwrap();
    let edited = entries.iter().find(|e| e.object == "thing:x").unwrap().id;
    assert_eq!(
        audit::verify(&db.store).await.unwrap(),
        Verdict::Broken {
            entry_id: edited,
            reason: "记录内容与哈希不符（记录被篡改）"
        }
    );
    db.cleanup().await;
}

#[tokio::test]
async fn a_failed_write_leaves_neither_the_record_nor_its_audit_entry() {
    let (db, district) = demo_db(5, 20).await;
    let before = audit::latest(&db.store, 1000).await.unwrap().len();
    let existing = &district.subjects[0];
    let town = reference::towns(&db.store, &anpei_store::Scope::district_wide())
        .await
        .unwrap()[0]
        .id;
    let input = SubjectInput {
        uscc: existing.uscc.to_string(),
        name: "重复的单位".into(),
        kind: "enterprise".into(),
        industry: "建筑施工".into(),
        town_id: town.to_string(),
        ..Default::default()
    };
    let err = subjects::create(
        &db.store,
        &anpei_store::Scope::district_wide(),
        &Actor::system("t"),
        &input,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("已登记"), "{err}");
    assert_eq!(audit::latest(&db.store, 1000).await.unwrap().len(), before);
    db.cleanup().await;
}

#[tokio::test]
async fn creating_a_subject_reports_every_bad_field_in_chinese() {
    let db = TestDb::new().await;
    let input = SubjectInput {
        uscc: "91110000600037341M".into(),
        kind: "enterprise".into(),
        town_id: "9999".into(),
        contact_phone: "12345".into(),
        ..Default::default()
    };
    let Err(StoreError::Fields(errs)) = subjects::create(
        &db.store,
        &anpei_store::Scope::district_wide(),
        &Actor::system("t"),
        &input,
    )
    .await
    else {
        panic!("expected field errors");
    };
    let fields: Vec<&str> = errs.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        fields,
        ["uscc", "name", "industry", "town_id", "contact_phone"]
    );
    assert!(
        errs[0]
            .1
            .starts_with("统一社会信用代码：校验位错误（按GB 32100计算应为"),
        "{}",
        errs[0].1
    );
    db.cleanup().await;
}

#[tokio::test]
async fn a_town_user_cannot_create_a_subject_in_another_town() {
    let db = TestDb::new().await;
    let towns = reference::towns(&db.store, &anpei_store::Scope::district_wide())
        .await
        .unwrap();
    let input = SubjectInput {
        uscc: "91110000600037341L".into(),
        name: "重庆测试建筑有限公司".into(),
        kind: "enterprise".into(),
        industry: "建筑施工".into(),
        town_id: towns[1].id.to_string(),
        ..Default::default()
    };
    let r = subjects::create(
        &db.store,
        &anpei_store::testing::town_scope(towns[0].id),
        &Actor::system("t"),
        &input,
    )
    .await;
    assert!(matches!(r, Err(StoreError::Fields(_))));
    let id = subjects::create(
        &db.store,
        &anpei_store::testing::town_scope(towns[1].id),
        &Actor::system("t"),
        &input,
    )
    .await
    .unwrap();
    let s = subjects::get(
        &db.store,
        &anpei_store::testing::town_scope(towns[1].id),
        id,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        s.department, "区住房城乡建委",
        "the department follows from the industry"
    );
    assert!(subjects::get(
        &db.store,
        &anpei_store::testing::town_scope(towns[0].id),
        id
    )
    .await
    .unwrap()
    .is_none());
    db.cleanup().await;
}

#[tokio::test]
async fn scoped_counts_add_up_to_the_district() {
    let (db, _) = demo_db(60, 500).await;
    let all = subjects::list(
        &db.store,
        &anpei_store::Scope::district_wide(),
        &SubjectFilter::default(),
        1,
        10,
    )
    .await
    .unwrap()
    .1;
    let mut sum = 0;
    for t in reference::towns(&db.store, &anpei_store::Scope::district_wide())
        .await
        .unwrap()
    {
        let scoped = subjects::list(
            &db.store,
            &anpei_store::testing::town_scope(t.id),
            &SubjectFilter::default(),
            1,
            10,
        )
        .await
        .unwrap()
        .1;
        let d = dashboard::load(&db.store, &anpei_store::testing::town_scope(t.id))
            .await
            .unwrap();
        assert_eq!(d.subjects_total as u64, scoped);
        sum += scoped;
    }
    assert_eq!(sum, all);
    let high = subjects::list(
        &db.store,
        &anpei_store::Scope::district_wide(),
        &SubjectFilter {
            high_risk: Some(true),
            ..Default::default()
        },
        1,
        10,
    )
    .await
    .unwrap()
    .1;
    let d = dashboard::load(&db.store, &anpei_store::Scope::district_wide())
        .await
        .unwrap();
    assert_eq!(d.high_risk as u64, high);
    assert!(high > 0 && high < all);
    db.cleanup().await;
}

#[tokio::test]
async fn replacing_the_towns_keeps_those_in_use() {
    let (db, district) = demo_db(10, 40).await;
    let used = district.subjects[0].town.clone();
    let list = reference::parse_reference_csv("名称,类型\n新镇,镇\n").unwrap();
    let (n, kept) = reference::apply(&db.store, &Actor::system("t"), &list)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let names: Vec<String> = reference::towns(&db.store, &anpei_store::Scope::district_wide())
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert!(names.contains(&"新镇".to_string()));
    assert!(names.contains(&used), "a town with subjects stays");
    assert!(kept >= 1 && names.len() == 1 + kept);
    db.cleanup().await;
}

async fn make_user(db: &TestDb, name: &str) -> anpei_store::model::User {
    let nu = NewUser {
        username: name.into(),
        display_name: String::new(),
        role: Role::District,
        scope: None,
        password_hash: accounts::hash_password("Secret#2021"),
        must_change_password: false,
    };
    accounts::create_user(&db.store, &Actor::system("t"), nu)
        .await
        .unwrap()
}

#[tokio::test]
async fn five_failed_logins_lock_the_account_for_ten_minutes() {
    let db = TestDb::new().await;
    let u = make_user(&db, "alice").await;
    let actor = Actor::system("alice");
    for _ in 0..5 {
        let u = accounts::find_user(&db.store, "alice").await.unwrap();
        let r = accounts::record_login(&db.store, &actor, u.as_ref(), false)
            .await
            .unwrap();
        assert_eq!(r, Err(LoginRefusal::BadCredentials));
    }
    let locked = accounts::find_user(&db.store, "alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        accounts::record_login(&db.store, &actor, Some(&locked), true)
            .await
            .unwrap(),
        Err(LoginRefusal::Locked)
    );
    db.clock.advance(chrono::Duration::minutes(11));
    let later = accounts::find_user(&db.store, "alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        accounts::record_login(&db.store, &actor, Some(&later), true)
            .await
            .unwrap(),
        Ok(())
    );
    let failures = audit::latest(&db.store, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "login" && e.result == "failed")
        .count();
    assert_eq!(failures, 6, "every failure is audited");
    let _ = u;
    db.cleanup().await;
}

#[tokio::test]
async fn usernames_are_stored_normalised_and_found_as_typed() {
    let db = TestDb::new().await;
    let u = make_user(&db, " ＷａｎｇＷｕ ").await;
    assert_eq!(u.username, "wangwu");
    for typed in ["wangwu", "WangWu", "ｗａｎｇｗｕ"] {
        let found = accounts::find_user(&db.store, typed).await.unwrap();
        assert_eq!(found.map(|f| f.id), Some(u.id), "{typed}");
    }
    // The same name in other case or width is the same account: refused.
    let nu = |name: &str| NewUser {
        username: name.into(),
        display_name: String::new(),
        role: Role::District,
        scope: None,
        password_hash: accounts::hash_password("Secret#2021"),
        must_change_password: false,
    };
    let e = accounts::create_user(&db.store, &Actor::system("t"), nu("WANGWU"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("已存在"), "{e}");
    // Look-alike and invisible characters never reach the table.
    for bad in ["w\u{430}ngwu", "wang\u{200b}wu", "王五"] {
        let e = accounts::create_user(&db.store, &Actor::system("t"), nu(bad))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("用户名须为2至32位"), "{bad}: {e}");
    }
    db.cleanup().await;
}

#[tokio::test]
async fn an_account_awaiting_its_grant_cannot_sign_in_or_keep_a_session_or_see_data() {
    let db = TestDb::new().await;
    let nu = NewUser {
        username: "pending".into(),
        display_name: String::new(),
        role: Role::District,
        scope: None,
        password_hash: accounts::hash_password("Secret#2021"),
        must_change_password: false,
    };
    let u = accounts::request_user(&db.store, &Actor::system("sysadmin"), nu)
        .await
        .unwrap();
    assert!(u.awaiting_grant);
    assert_eq!(
        anpei_store::testing::scope_of(&u).reach(),
        anpei_store::Reach::Nothing
    );
    let actor = Actor::system("pending");
    assert_eq!(
        accounts::record_login(&db.store, &actor, Some(&u), true)
            .await
            .unwrap(),
        Err(LoginRefusal::AwaitingGrant)
    );
    // A wrong password is a wrong password, said the same as for any account.
    assert_eq!(
        accounts::record_login(&db.store, &actor, Some(&u), false)
            .await
            .unwrap(),
        Err(LoginRefusal::BadCredentials)
    );
    let s = accounts::create_session(&db.store, u.id, "web", "t")
        .await
        .unwrap();
    assert!(accounts::lookup_session(&db.store, &s.token, "web")
        .await
        .unwrap()
        .is_none());
    db.cleanup().await;
}

#[tokio::test]
async fn sessions_end_after_thirty_idle_minutes_and_twelve_hours_in_all() {
    let db = TestDb::new().await;
    let u = make_user(&db, "bob").await;
    let s = accounts::create_session(&db.store, u.id, "web", "127.0.0.1")
        .await
        .unwrap();
    db.clock.advance(chrono::Duration::minutes(29));
    assert!(accounts::lookup_session(&db.store, &s.token, "web")
        .await
        .unwrap()
        .is_some());
    db.clock.advance(chrono::Duration::minutes(31));
    assert!(
        accounts::lookup_session(&db.store, &s.token, "web")
            .await
            .unwrap()
            .is_none(),
        "idle for 31 minutes"
    );

    let s = accounts::create_session(&db.store, u.id, "web", "127.0.0.1")
        .await
        .unwrap();
    for _ in 0..(12 * 3) {
        db.clock.advance(chrono::Duration::minutes(20));
        let alive = accounts::lookup_session(&db.store, &s.token, "web")
            .await
            .unwrap()
            .is_some();
        if !alive {
            break;
        }
    }
    assert!(
        accounts::lookup_session(&db.store, &s.token, "web")
            .await
            .unwrap()
            .is_none(),
        "12 hours at most"
    );
    assert!(accounts::lookup_session(&db.store, &s.token, "api")
        .await
        .unwrap()
        .is_none());
    db.cleanup().await;
}

#[tokio::test]
async fn a_password_change_ends_the_users_sessions() {
    let db = TestDb::new().await;
    let u = make_user(&db, "carol").await;
    let s = accounts::create_session(&db.store, u.id, "web", "127.0.0.1")
        .await
        .unwrap();
    accounts::set_password(&db.store, &Actor::system("t"), "carol", "Other#2021")
        .await
        .unwrap();
    assert!(accounts::lookup_session(&db.store, &s.token, "web")
        .await
        .unwrap()
        .is_none());
    let stored = accounts::find_user(&db.store, "carol")
        .await
        .unwrap()
        .unwrap();
    assert!(accounts::verify_password(
        &stored.password_hash,
        "Other#2021"
    ));
    db.cleanup().await;
}

/// A SQLite database in a directory of its own, migrated up to just before `migration`, with
/// foreign keys off (the rows the tests insert skip the reference lists).
async fn sqlite_before(migration: &str) -> (sea_orm::DatabaseConnection, std::path::PathBuf) {
    use sea_orm::Database;
    use sea_orm_migration::MigratorTrait;
    let dir = std::env::temp_dir().join(format!("anpei-{migration}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("old.db");
    let _ = std::fs::remove_file(&path);
    let mut opts = sea_orm::ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()));
    opts.max_connections(1);
    let db = Database::connect(opts).await.unwrap();
    db.execute_unprepared("PRAGMA foreign_keys = OFF")
        .await
        .unwrap();
    let all = anpei_store::migration::Migrator::migrations();
    let before = all
        .iter()
        .position(|m| m.name() == migration)
        .expect("a known migration") as u32;
    anpei_store::migration::Migrator::up(&db, Some(before))
        .await
        .unwrap();
    (db, dir)
}

/// m0015 makes an ID number unique per employer and a certificate number per person row,
/// rebuilding both tables on SQLite: the stored rows, and the rows that refer to them, stay.
#[tokio::test]
async fn upgrading_to_m0015_keeps_workers_and_lets_a_second_employer_record_them() {
    use sea_orm::Statement;
    use sea_orm_migration::MigratorTrait;
    let (db, dir) = sqlite_before("m0015_employment_rows").await;
    let exec = |sql: &'static str| {
        let db = &db;
        async move {
            db.execute(Statement::from_string(DbBackend::Sqlite, sql))
                .await
        }
    };
    exec("INSERT INTO subjects (id, uscc, name, kind, department_id, town_id, status, created_at, updated_at) \
          VALUES (1, '91110000600037341L', '甲公司', 'enterprise', 1, 1, 'normal', 0, 0), \
                 (2, '91500000MA5U7ABC1X', '乙公司', 'enterprise', 1, 1, 'normal', 0, 0)").await.unwrap();
    exec("INSERT INTO persons (id, subject_id, name, id_enc, id_bidx, id_masked, post, appointed_on, created_at, updated_at) \
          VALUES (1, 1, '张三', x'00', 'k', '1101**********002X', 'employee', '2020-01-01', 0, 0)").await.unwrap();
    exec("INSERT INTO certificates (id, person_id, cert_type, cert_no_enc, cert_no_bidx, cert_no_masked, created_at) \
          VALUES (1, 1, 'special_op', x'00', 'c', 'T1101****', 0)").await.unwrap();
    exec("INSERT INTO trainings (person_id, subject_id, training_type, form, start_at, end_at, theory_hours, practical_hours, created_at) \
          VALUES (1, 1, 'pre_job', 'offline', '2024-01-01 08:00:00', '2024-01-01 17:00:00', 8, 0, 0)").await.unwrap();
    exec("PRAGMA foreign_keys = ON").await.unwrap();
    anpei_store::migration::Migrator::up(&db, None)
        .await
        .unwrap();
    let one = |sql: &'static str| {
        let db = &db;
        async move {
            db.query_one(Statement::from_string(DbBackend::Sqlite, sql))
                .await
                .unwrap()
                .unwrap()
                .try_get_by_index::<i64>(0)
                .unwrap()
        }
    };
    assert_eq!(
        one("SELECT count(*) FROM persons WHERE id = 1 AND id_bidx = 'k'").await,
        1
    );
    assert_eq!(
        one("SELECT count(*) FROM certificates WHERE person_id = 1").await,
        1
    );
    assert_eq!(
        one("SELECT count(*) FROM trainings WHERE person_id = 1").await,
        1
    );
    for table in ["persons", "certificates", "trainings"] {
        let broken = db
            .query_all(Statement::from_string(
                DbBackend::Sqlite,
                format!("PRAGMA foreign_key_check({table})"),
            ))
            .await
            .unwrap();
        assert!(broken.is_empty(), "{table}: references survive the rebuild");
    }
    // The second employer records the same worker and his certificate in its own rows.
    exec("INSERT INTO persons (id, subject_id, name, id_enc, id_bidx, id_masked, post, appointed_on, created_at, updated_at) \
          VALUES (2, 2, '张三', x'00', 'k', '1101**********002X', 'employee', '2025-01-01', 0, 0)").await.unwrap();
    exec("INSERT INTO certificates (person_id, cert_type, cert_no_enc, cert_no_bidx, cert_no_masked, created_at) \
          VALUES (2, 'special_op', x'00', 'c', 'T1101****', 0)").await.unwrap();
    // One employer still has one row of him, and one row of each certificate.
    assert!(exec("INSERT INTO persons (subject_id, name, id_enc, id_bidx, id_masked, post, appointed_on, created_at, updated_at) \
          VALUES (1, '张三', x'00', 'k', '1101**********002X', 'employee', '2020-01-01', 0, 0)").await.is_err());
    assert!(exec("INSERT INTO certificates (person_id, cert_type, cert_no_enc, cert_no_bidx, cert_no_masked, created_at) \
          VALUES (1, 'special_op', x'00', 'c', 'T1101****', 0)").await.is_err());
    assert_eq!(
        one(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN \
             ('idx_persons_subject', 'idx_persons_post', 'idx_persons_holder', \
              'idx_certificates_person', 'idx_certificates_valid_until', 'idx_certificates_no')"
        )
        .await,
        6
    );
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

/// m0014 rebuilds `findings` on SQLite to make `person_id` optional: a database migrated up
/// to m0013 with a stored finding keeps it, and afterwards accepts one without a person.
#[tokio::test]
async fn upgrading_to_m0014_keeps_the_stored_findings_and_frees_their_person() {
    use sea_orm::Statement;
    use sea_orm_migration::MigratorTrait;
    let (db, dir) = sqlite_before("m0014_records_findings").await;
    let exec = |sql: &str| {
        let db = &db;
        let sql = sql.to_string();
        async move {
            db.execute(Statement::from_string(DbBackend::Sqlite, sql))
                .await
                .unwrap();
        }
    };
    exec("INSERT INTO subjects (id, uscc, name, kind, department_id, town_id, status, created_at, updated_at) \
          VALUES (1, '91110000600037341L', '某公司', 'enterprise', 1, 1, 'normal', 0, 0)").await;
    exec("INSERT INTO persons (id, subject_id, name, id_enc, id_bidx, id_masked, post, appointed_on, created_at, updated_at) \
          VALUES (1, 1, '张三', x'00', 'k', '1101**********002X', 'employee', '2020-01-01', 0, 0)").await;
    exec("INSERT INTO findings (rule, severity, subject_id, person_id, finding_key, records, detail, first_seen, last_seen, status) \
          VALUES ('CERT_EXPIRED', 'medium', 1, 1, 'CERT_EXPIRED:1:c1', '[]', '证书过期', '2026-01-01', '2026-01-02', 'open')").await;
    anpei_store::migration::Migrator::up(&db, None)
        .await
        .unwrap();
    let row = db
        .query_one(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT person_id, finding_key, last_seen, who_name FROM findings".to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<Option<i32>>(0).unwrap(), Some(1));
    assert_eq!(
        row.try_get_by_index::<String>(1).unwrap(),
        "CERT_EXPIRED:1:c1"
    );
    assert_eq!(row.try_get_by_index::<Option<String>>(3).unwrap(), None);
    exec("INSERT INTO findings (rule, severity, subject_id, person_id, finding_key, records, detail, first_seen, last_seen, status, who_name) \
          VALUES ('EXAM_VIDEO_MISSING', 'high', 1, NULL, 'EXAM_VIDEO_MISSING:s1:es1', '[]', '无录像', '2026-01-01', '2026-01-01', 'open', NULL)").await;
    let indexes = db
        .query_one(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings' \
             AND name IN ('idx_findings_subject', 'idx_findings_rule', 'idx_findings_person')"
                .to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(indexes.try_get_by_index::<i64>(0).unwrap(), 3);
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_whole_installation_moves_to_an_empty_database_with_its_ids_and_audit_chain() {
    use anpei_store::platform::transfer;
    // The embedded default with the demo district on it ...
    let src = TestDb::new_sqlite().await;
    let cfg = DemoConfig {
        seed: 11,
        subjects: 40,
        persons: 300,
        as_of: src.store.today(),
    };
    let (_, district) = demo::load(&src.store, &cfg).await.expect("demo loads");
    demo::campaign::load_demo(&src.store, &district)
        .await
        .expect("the demo campaign");
    // A subject's own account with a session (accounts reference subjects, sessions
    // reference accounts: the copy follows the foreign keys).
    let first = subjects::list(
        &src.store,
        &anpei_store::Scope::district_wide(),
        &SubjectFilter::default(),
        1,
        1,
    )
    .await
    .unwrap()
    .0
    .remove(0);
    let u = accounts::create_user(
        &src.store,
        &Actor::system("test"),
        NewUser {
            username: "qiye".into(),
            display_name: "企业用户".into(),
            role: Role::Subject,
            scope: Some(first.uscc.clone()),
            password_hash: accounts::hash_password("S3cure!pass"),
            must_change_password: false,
        },
    )
    .await
    .unwrap();
    accounts::create_session(&src.store, u.id, "web", "127.0.0.1")
        .await
        .unwrap();
    // ... moves into an empty database (PostgreSQL when the tests run there).
    let dst = TestDb::empty().await;
    let mut heard = Vec::new();
    let done = transfer::transfer(&src.store, &dst.store, |c| heard.push(c.table.clone()))
        .await
        .expect("the transfer");
    assert_eq!(heard.len(), done.tables.len());
    assert!(done.rows() > 1000, "{} rows", done.rows());
    assert!(done.audit_entries > 0);
    for t in [
        "subjects",
        "persons",
        "certificates",
        "audit_log",
        "problems",
        "self_inspections",
    ] {
        let c = done.tables.iter().find(|c| c.table == t).expect(t);
        assert!(c.rows > 0, "{t} copied");
    }
    // The same rows under the same ids, read back through the product.
    let all = anpei_store::Scope::district_wide();
    let f = SubjectFilter::default();
    let (a, na) = subjects::list(&src.store, &all, &f, 1, 500).await.unwrap();
    let (b, nb) = subjects::list(&dst.store, &all, &f, 1, 500).await.unwrap();
    assert_eq!(na, nb);
    let ids = |v: &[subjects::SubjectRow]| {
        v.iter()
            .map(|s| (s.id, s.name.clone(), s.uscc.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&a), ids(&b));
    // Encrypted columns arrive intact: the target decrypts them with the same key.
    let p = anpei_store::registry::persons::list(&dst.store, &all, &Default::default(), 1, 5)
        .await
        .unwrap()
        .0;
    assert!(!p.is_empty());
    // New rows on the target get new ids (PostgreSQL's sequences moved past the copies).
    audit::record(
        &dst.store,
        &Actor::system("test"),
        Event::ok("test.after_transfer", "transfer"),
    )
    .await
    .expect("a new audit entry after the transfer");
    assert!(matches!(
        audit::verify(&dst.store).await.unwrap(),
        Verdict::Intact { .. }
    ));
    // A target that holds anything is refused, and left as it was.
    let again = transfer::transfer(&src.store, &dst.store, |_| {}).await;
    let err = again.expect_err("a non-empty target is refused");
    assert!(err.to_string().contains("不是空库"), "{err}");
    src.cleanup().await;
    dst.cleanup().await;
}

/// The memos of repeated reads: who a token belongs to and a list's total are read again
/// after any write committed through the store (a sign-out at once), and after two seconds
/// when another process changed the database behind the store's back.
#[tokio::test]
async fn remembered_sessions_and_totals_give_way_to_a_write_or_two_seconds() {
    let (db, _) = demo_db(8, 40).await;
    let store = db.store.clone().with_memos(true);
    let all = anpei_store::Scope::district_wide();
    demo::create_accounts(
        &store,
        &[demo::DemoAccount {
            username: "district".into(),
            role: Role::District,
            scope: String::new(),
        }],
    )
    .await
    .unwrap();
    let uid = anpei_store::testing::platform::all_users(&store).await[0].id;
    let s = accounts::create_session(&store, uid, "api", "127.0.0.1")
        .await
        .unwrap();
    let who = |t: String| {
        let store = store.clone();
        async move { accounts::signed_in(&store, &t, "api").await.unwrap() }
    };
    assert!(who(s.token.clone()).await.is_some());
    assert!(who(s.token.clone()).await.is_some(), "remembered");
    accounts::end_session(&store, &s.token).await.unwrap();
    assert!(
        who(s.token.clone()).await.is_none(),
        "a sign-out is seen at once"
    );

    // A session removed by another process: seen within two seconds.
    let s = accounts::create_session(&store, uid, "api", "127.0.0.1")
        .await
        .unwrap();
    assert!(who(s.token.clone()).await.is_some());
    execute_raw(&store, "DELETE FROM sessions").await.unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert!(who(s.token.clone()).await.is_none(), "after two seconds");

    let enterprises = SubjectFilter {
        kind: Some(anpei_core::SubjectKind::Enterprise),
        ..Default::default()
    };
    let total = || {
        let store = store.clone();
        let f = enterprises.clone();
        async move { subjects::list(&store, &all, &f, 1, 5).await.unwrap().1 }
    };
    let n = total().await;
    assert!(n > 1);
    execute_raw(
        &store,
        "UPDATE subjects SET kind = 'exam_site' WHERE id = \
         (SELECT min(id) FROM subjects WHERE kind = 'enterprise')",
    )
    .await
    .unwrap();
    assert_eq!(
        total().await,
        n,
        "remembered: written behind the store's back"
    );
    audit::record(&store, &Actor::system("t"), Event::ok("test", "memo"))
        .await
        .unwrap();
    assert_eq!(
        total().await,
        n - 1,
        "any write through the store: read again"
    );
    db.cleanup().await;
}
