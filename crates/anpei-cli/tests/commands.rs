//! The `anpei` binary as an operator uses it: commands, standard input, exit codes, and
//! Chinese messages. On PostgreSQL (`ANPEI_TEST_DATABASE_URL`) each test gets a schema.

use crate::common::{text, Env};
use sea_orm::{ConnectionTrait, Database};
use std::path::PathBuf;

#[tokio::test]
async fn an_operator_migrates_adds_users_and_verifies_the_audit_log() {
    let env = Env::new().await;
    let o = env.run(&["migrate"], None);
    assert!(o.status.success(), "{}", text(&o));

    let o = env.run(
        &[
            "user",
            "add",
            "longxing",
            "--role",
            "town",
            "--scope",
            "龙兴镇",
            "--password-stdin",
        ],
        Some("Longxing#2021\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("已创建账号 longxing"));

    let o = env.run(
        &["user", "add", "x", "--role", "mayor", "--password-stdin"],
        Some("Longxing#2021\n"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("未知角色“mayor”"), "{}", text(&o));

    let o = env.run(
        &[
            "user",
            "add",
            "weak",
            "--role",
            "district",
            "--password-stdin",
        ],
        Some("123456\n"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("密码至少8位"));

    let o = env.run(
        &[
            "user",
            "add",
            "nowhere",
            "--role",
            "town",
            "--scope",
            "不存在镇",
            "--password-stdin",
        ],
        Some("Longxing#2021\n"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("镇街“不存在镇”不存在"));

    let o = env.run(
        &["user", "passwd", "longxing", "--password-stdin"],
        Some("Another#2022\n"),
    );
    assert!(o.status.success(), "{}", text(&o));

    let o = env.run(&["audit", "verify"], None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("哈希链校验通过"));

    // Tamper with the log as someone with the database owner's rights would.
    let db = Database::connect(&env.url).await.unwrap();
    let drop = if env.pg.is_some() {
        "DROP TRIGGER audit_log_append_only ON audit_log"
    } else {
        "DROP TRIGGER audit_log_no_update"
    };
    db.execute_unprepared(drop).await.unwrap();
    db.execute_unprepared(
        "UPDATE audit_log SET username = 'nobody' WHERE action = 'user.password'",
    )
    .await
    .unwrap();
    db.close().await.ok();
    let o = env.run(&["audit", "verify"], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("第一条异常记录 id="), "{}", text(&o));
    env.cleanup().await;
}

#[tokio::test]
async fn the_demo_loads_without_serving_and_prints_the_accounts() {
    let env = Env::new().await;
    let o = env.run(
        &["demo", "--no-serve", "--subjects", "20", "--persons", "120"],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("已载入演示区县：20 家单位、120 名人员"), "{t}");
    for user in ["district", "department", "town", "enterprise", "sysadmin"] {
        assert!(t.contains(user), "{user} missing from\n{t}");
    }
    let again = env.run(&["demo", "--no-serve"], None);
    assert!(again.status.success());
    assert!(text(&again).contains("演示数据已存在"));
    env.cleanup().await;
}

#[tokio::test]
async fn the_demo_city_loads_three_districts_at_the_default_size_with_their_accounts() {
    let env = Env::new().await;
    let o = env.run(&["demo", "--no-serve", "--districts", "3"], None);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("已载入演示城市：3 个区县（渝北区、"), "{t}");
    for user in ["city", "district2", "district3"] {
        assert!(t.contains(user), "{user} missing from\n{t}");
    }
    // The other districts run the campaign too: more self-inspections than one district's.
    let started: usize = t
        .split("已创建当前专项整治：")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no campaign line in\n{t}"));
    assert!(
        started > anpei_store::demo::campaign::MAX_INSPECTIONS,
        "{started} self-inspections: only 渝北区's?\n{t}"
    );
    let o = env.run(&["demo", "--no-serve", "--districts", "39"], None);
    assert!(!o.status.success(), "39 districts: the city has 38");
    env.cleanup().await;
}

#[tokio::test]
async fn a_reference_list_with_a_bad_row_is_refused_with_its_line() {
    let env = Env::new().await;
    assert!(env.run(&["migrate"], None).status.success());
    let bad = env.dir.join("towns.csv");
    std::fs::write(&bad, "名称,类型\n双龙湖街道,街道\n某村,村\n").unwrap();
    let o = env.run(&["reference", "import", bad.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("第3行 类型"), "{}", text(&o));
    let good = env.dir.join("deps.csv");
    std::fs::write(
        &good,
        "\u{feff}名称,监管行业\n区应急管理局,危险化学品;烟花爆竹\n区新部门,数据中心\n",
    )
    .unwrap();
    let o = env.run(&["reference", "import", good.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("已导入 2 条"));
    env.cleanup().await;
}

/// Writes the demo ledger of a small district as import files and returns the directory.
fn export_small_ledger(env: &Env) -> PathBuf {
    export_ledger(env, 15, 200)
}

fn export_ledger(env: &Env, subjects: usize, persons: usize) -> PathBuf {
    let dir = env.dir.join("export");
    let (s, p) = (subjects.to_string(), persons.to_string());
    let o = env.run(
        &[
            "demo",
            "--subjects",
            &s,
            "--persons",
            &p,
            "--export",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    dir
}

#[tokio::test]
async fn a_ledger_workbook_imports_and_reimporting_it_changes_nothing() {
    let env = Env::new().await;
    let dir = export_small_ledger(&env);
    let book = dir.join("ledger.xlsx");
    let o = env.run(&["import", "ledger", book.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("全部行已导入"));
    let again = env.run(&["import", "ledger", book.to_str().unwrap()], None);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    // Every table line reads: read == unchanged, nothing inserted, updated or rejected.
    for line in String::from_utf8_lossy(&again.stdout).lines().filter(|l| {
        ["单位", "人员", "证书", "培训", "登记库"]
            .iter()
            .any(|t| l.starts_with(t))
    }) {
        let n: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .map(|x| x.parse().unwrap())
            .collect();
        assert_eq!(
            (n[1], n[2], n[3], n[4]),
            (0, 0, n[0], 0),
            "re-import changed something: {line}"
        );
    }
    env.cleanup().await;
}

#[tokio::test]
async fn a_csv_with_bad_rows_stores_the_good_ones_and_exits_3_strict_exits_2() {
    let env = Env::new().await;
    let dir = export_small_ledger(&env);
    assert!(env
        .run(
            &["import", "subjects", dir.join("单位.csv").to_str().unwrap()],
            None
        )
        .status
        .success());
    let good = std::fs::read_to_string(dir.join("人员.csv")).unwrap();
    let mut lines: Vec<String> = good.lines().map(String::from).collect();
    let header: Vec<String> = lines[0]
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(String::from)
        .collect();
    let id_col = header.iter().position(|h| *h == "身份证号").unwrap();
    // Row 3 gets a wrong check digit; row 4 an impossible appointment date.
    let mut cells: Vec<String> = lines[2].split(',').map(String::from).collect();
    let last = cells[id_col].pop().unwrap();
    cells[id_col].push(if last == '0' { '1' } else { '0' });
    lines[2] = cells.join(",");
    let date_col = header.iter().position(|h| *h == "任职日期").unwrap();
    let mut cells: Vec<String> = lines[3].split(',').map(String::from).collect();
    cells[date_col] = "2021-02-30".into();
    lines[3] = cells.join(",");
    let messy = env.dir.join("人员-有错.csv");
    std::fs::write(&messy, lines.join("\n")).unwrap();

    let strict = env.run(
        &["import", "persons", messy.to_str().unwrap(), "--strict"],
        None,
    );
    assert_eq!(strict.status.code(), Some(2), "{}", text(&strict));
    let report = env.dir.join("errors.xlsx");
    let o = env.run(
        &[
            "import",
            "persons",
            messy.to_str().unwrap(),
            "--errors",
            report.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("人员 第3行 身份证号：校验位错误"), "{t}");
    assert!(t.contains("人员 第4行 任职日期"), "{t}");
    assert!(
        std::fs::read(&report).unwrap().starts_with(b"PK"),
        "the error report is an xlsx workbook"
    );
    let dry = env.run(
        &["import", "persons", messy.to_str().unwrap(), "--dry-run"],
        None,
    );
    assert_eq!(dry.status.code(), Some(3));
    assert!(text(&dry).contains("试运行"));
    env.cleanup().await;
}

#[tokio::test]
async fn scan_prints_the_contract_json_and_stores_findings() {
    let env = Env::new().await;
    // At 1,000 persons the demo ledger breaks every rule at least once.
    let dir = export_ledger(&env, 40, 1000);
    assert_eq!(
        env.run(
            &[
                "import",
                "ledger",
                dir.join("ledger.xlsx").to_str().unwrap()
            ],
            None
        )
        .status
        .code(),
        Some(0)
    );
    let out = env.dir.join("scan.json");
    let o = env.run(
        &[
            "scan",
            "--format",
            "json",
            "--output",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(v["as_of"].as_str().unwrap().len() == 10);
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for key in [
        "rule",
        "severity",
        "subject_uscc",
        "subject_name",
        "person_name",
        "id_number_masked",
        "detail",
    ] {
        assert!(findings[0].get(key).is_some(), "finding lacks {key}");
    }
    assert!(findings
        .iter()
        .all(|f| f["id_number_masked"].as_str().unwrap().contains("***")));
    let counts = v["counts"].as_object().unwrap();
    // Every check has a count; the ledger's ten are all broken by the demo ledger (the
    // records checks need training and exam records, which a ledger import has not).
    assert_eq!(counts.len(), 32);
    for rule in anpei_core::ledger::rules::Rule::LEDGER {
        let n = counts[rule.code()].as_u64().unwrap();
        assert!(n > 0, "the imported demo ledger should break {rule}");
    }
    for rule in anpei_core::ledger::rules::Rule::RECORDS {
        assert_eq!(counts[rule.code()].as_u64(), Some(0), "{rule}");
    }
    assert_eq!(
        counts.values().map(|n| n.as_u64().unwrap()).sum::<u64>() as usize,
        findings.len()
    );
    assert!(text(&o).contains("已保存扫描结果"));
    let again = env.run(&["scan", "--format", "csv"], None);
    assert!(text(&again).contains("新发现 0 条"), "{}", text(&again));

    let uscc = findings[0]["subject_uscc"].as_str().unwrap().to_string();
    let one = env.run(&["scan", "--subject", &uscc, "--format", "json"], None);
    let v1: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    assert!(v1["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["subject_uscc"] == uscc.as_str()));
    let past = env.run(
        &["scan", "--as-of", "2020-01-01", "--format", "table"],
        None,
    );
    assert!(text(&past).contains("仅输出，不保存"));
    let bad = env.run(&["scan", "--as-of", "2021-02-30"], None);
    assert_ne!(bad.status.code(), Some(0));
    env.cleanup().await;
}

/// `anpei scan --district NAME|CODE` in a city: each district's scan finds its own share of
/// what the whole city's scan finds (the two add up to it); an unknown district is refused
/// in Chinese and nothing is scanned.
#[tokio::test]
async fn a_scan_of_one_district_finds_its_share_of_the_citys() {
    let env = Env::new().await;
    let o = env.run(crate::common::SMALL_CITY, None);
    assert!(o.status.success(), "{}", text(&o));
    let total = |args: &[&str]| {
        let mut all = vec!["scan", "--format", "json"];
        all.extend_from_slice(args);
        let o = env.run(&all, None);
        assert!(o.status.success(), "{}", text(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["findings"].as_array().unwrap().len()
    };
    let city = total(&[]);
    let yubei = total(&["--district", "渝北区"]);
    // The second district of the demo city, by its code.
    let db = Database::connect(&env.url).await.unwrap();
    let row = db
        .query_one(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT code FROM districts WHERE name <> '渝北区'",
        ))
        .await
        .unwrap()
        .unwrap();
    let code: String = row.try_get_by_index(0).unwrap();
    db.close().await.ok();
    let other = total(&["--district", &code]);
    assert!(yubei > 0 && other > 0, "{yubei} {other}");
    assert_eq!(yubei + other, city);

    let bad = env.run(&["scan", "--district", "不存在区"], None);
    assert_ne!(bad.status.code(), Some(0));
    assert!(
        text(&bad).contains("区县“不存在区”不存在"),
        "{}",
        text(&bad)
    );
    env.cleanup().await;
}
