//! Uploads (等保 2.0 三级): the type is checked by content before anything is
//! read or stored, zip bombs and oversize files are refused, pending uploads live under
//! random names outside any served directory, and every file sent back is an attachment.

use crate::common;

use anpei_core::ids::IdNumber;
use anpei_import::sniff::UploadLimits;
use anpei_web::routes::specs;
use anpei_web::WebConfig;
use axum::http::{header, StatusCode};
use common::{finish, Harness, Reply, Session};
use std::path::{Path, PathBuf};

/// A demo district whose app keeps pending uploads in a directory of its own.
async fn harness_with(limits: Option<UploadLimits>) -> (Harness, PathBuf) {
    common::with_uploads(30, 200, |c| c.upload_limits = limits).await
}

async fn harness() -> (Harness, PathBuf) {
    harness_with(None).await
}

async fn upload(h: &Harness, s: &Session, kind: &str, name: &str, bytes: &[u8]) -> Reply {
    h.post_multipart(
        Some(s),
        &format!("/imports?_csrf={}", s.csrf),
        &[("kind", kind)],
        Some((name, bytes)),
    )
    .await
}

async fn api_upload(h: &Harness, token: &str, kind: &str, name: &str, bytes: &[u8]) -> Reply {
    h.api_post_multipart(
        token,
        "/api/v1/imports?dry_run=1",
        &[("kind", kind)],
        Some((name, bytes)),
    )
    .await
}

/// How many imports the history holds (the district sees every one).
async fn imports_in_db(h: &Harness) -> usize {
    anpei_store::ledger::ingest::history_seen_by(
        h.store(),
        &anpei_store::Scope::district_wide(),
        "district",
        u64::from(u32::MAX),
    )
    .await
    .unwrap()
    .len()
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

fn message(r: &Reply) -> String {
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("a JSON body");
    v["message"].as_str().unwrap_or_default().to_string()
}

const PDF: &[u8] = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n";

/// A zip built by hand whose central directory declares an xlsx with a 3 GiB sheet
/// behind 40 bytes of data: refused from the declared sizes alone (nothing is inflated).
fn zip_bomb() -> Vec<u8> {
    let entries: [(&str, u32, u32); 3] = [
        ("[Content_Types].xml", 40, 40),
        ("xl/workbook.xml", 40, 40),
        ("xl/worksheets/sheet1.xml", 40, 3 << 30),
    ];
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for (name, c, u) in entries {
        offsets.push(out.len() as u32);
        out.extend_from_slice(b"PK\x03\x04\x14\0\0\0\x08\0\0\0\0\0\0\0\0\0");
        out.extend_from_slice(&c.to_le_bytes());
        out.extend_from_slice(&u.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend(std::iter::repeat_n(0u8, c as usize));
    }
    let cd = out.len() as u32;
    for (i, (name, c, u)) in entries.into_iter().enumerate() {
        out.extend_from_slice(b"PK\x01\x02\x14\0\x14\0\0\0\x08\0\0\0\0\0\0\0\0\0");
        out.extend_from_slice(&c.to_le_bytes());
        out.extend_from_slice(&u.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        // Extra and comment lengths, disk, attributes.
        out.extend_from_slice(&[0; 12]);
        out.extend_from_slice(&offsets[i].to_le_bytes());
        out.extend_from_slice(name.as_bytes());
    }
    let cd_size = out.len() as u32 - cd;
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0\x03\0\x03\0");
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A valid ID number not in the demo district, and the same with a wrong check digit.
fn test_ids(h: &Harness) -> (String, String) {
    let first17 = "50011219900101901";
    let good = format!("{first17}{}", IdNumber::check_char(first17).unwrap());
    assert!(h
        .district
        .persons
        .iter()
        .all(|p| p.id_number.as_str() != good));
    let last = if good.ends_with('0') { '1' } else { '0' };
    (good, format!("{first17}{last}"))
}

/// A real 人员 workbook: one good row in the town's first demo subject, one bad ID.
fn persons_xlsx(h: &Harness) -> Vec<u8> {
    let own = &h.district.subjects[0];
    let (good, bad) = test_ids(h);
    let headers = [
        "统一社会信用代码",
        "姓名",
        "身份证号",
        "手机号",
        "岗位类别",
        "作业类别",
        "任职日期",
    ];
    let rows = vec![
        vec![
            own.uscc.to_string(),
            "测试甲".into(),
            good,
            String::new(),
            "一般从业人员".into(),
            String::new(),
            "2021-03-05".into(),
        ],
        vec![
            own.uscc.to_string(),
            "测试乙".into(),
            bad,
            String::new(),
            "一般从业人员".into(),
            String::new(),
            "2021-03-05".into(),
        ],
    ];
    anpei_import::write_table_xlsx("人员", &headers, rows.into_iter()).unwrap()
}

#[tokio::test]
async fn a_pdf_renamed_xlsx_is_refused_with_the_chinese_reason_and_nothing_is_stored() {
    let (h, dir) = harness().await;
    let s = h.login("town").await;
    let before = imports_in_db(&h).await;
    let r = upload(&h, &s, "ledger", "台账.xlsx", PDF).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("文件内容与扩展名不符：上传的“台账.xlsx”是PDF文件，不是xlsx工作簿"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("id=\"import-error\""),
        "the page's own error"
    );
    assert!(entries(&dir).is_empty(), "nothing is left pending");
    assert_eq!(imports_in_db(&h).await, before, "nothing is recorded");

    let token = h.api_token("town").await;
    let r = api_upload(&h, &token, "ledger", "台账.xlsx", PDF).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message(&r).contains("文件内容与扩展名不符"), "{}", r.body);
    // A CSV renamed .xlsx is refused the same way.
    let r = api_upload(&h, &token, "persons", "人员.xlsx", "姓名\n".as_bytes()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        message(&r).contains("是CSV文件，不是xlsx工作簿"),
        "{}",
        r.body
    );
    assert!(entries(&dir).is_empty());
    assert_eq!(imports_in_db(&h).await, before);
    finish(h, dir).await;
}

#[tokio::test]
async fn a_zip_bomb_renamed_xlsx_is_refused() {
    let (h, dir) = harness().await;
    let s = h.login("town").await;
    let before = imports_in_db(&h).await;
    let bomb = zip_bomb();
    assert!(bomb.len() < 1024);
    let r = upload(&h, &s, "ledger", "台账.xlsx", &bomb).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("压缩比异常"), "{}", r.body);
    assert!(r.body.contains("疑似压缩炸弹"), "{}", r.body);
    assert!(entries(&dir).is_empty());

    let token = h.api_token("town").await;
    let r = api_upload(&h, &token, "ledger", "台账.xlsx", &bomb).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body.contains("too_large"));
    assert!(message(&r).contains("疑似压缩炸弹"), "{}", r.body);
    assert!(entries(&dir).is_empty());
    assert_eq!(imports_in_db(&h).await, before);
    finish(h, dir).await;
}

#[tokio::test]
async fn an_upload_over_the_size_limit_is_refused_with_413() {
    let limits = UploadLimits {
        max_bytes: 64 * 1024,
        ..UploadLimits::default()
    };
    let (h, dir) = harness_with(Some(limits)).await;
    let s = h.login("town").await;
    let own = &h.district.subjects[0];
    let mut csv =
        String::from("统一社会信用代码,姓名,身份证号,手机号,岗位类别,作业类别,任职日期\n");
    let id = test_ids(&h).0;
    while csv.len() <= 64 * 1024 {
        csv.push_str(&format!(
            "{},测试,{},,一般从业人员,,2021-03-05\n",
            own.uscc, id
        ));
    }
    let r = upload(&h, &s, "persons", "人员.csv", csv.as_bytes()).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body.contains("超过"), "{}", r.body);
    assert!(entries(&dir).is_empty());

    let token = h.api_token("town").await;
    let r = api_upload(&h, &token, "persons", "人员.csv", csv.as_bytes()).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        message(&r).contains("文件超过 64 KB 上限"),
        "the limit in force is named: {}",
        r.body
    );
    // Just under the limit goes through.
    let r = api_upload(
        &h,
        &token,
        "persons",
        "人员.csv",
        &csv.as_bytes()[..60 * 1024],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    finish(h, dir).await;
}

#[tokio::test]
async fn a_normal_xlsx_goes_through() {
    let (h, dir) = harness().await;
    let s = h.login("town").await;
    let xlsx = persons_xlsx(&h);
    let r = upload(&h, &s, "persons", "人员.xlsx", &xlsx).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.location().to_string();
    assert!(to.starts_with("/imports/review?id="), "{to}");
    let review = h.get(Some(&s), &to).await;
    assert_eq!(review.status, StatusCode::OK);
    assert!(review.body.contains("校验位错误"), "the rows were read");

    let token = h.api_token("town").await;
    let r = api_upload(&h, &token, "persons", "人员.xlsx", &xlsx).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["counts"]["人员"]["read"], 2);
    // The template workbook, uploaded back as a whole ledger, is an xlsx too.
    let template = h.get(Some(&s), "/imports/template.xlsx").await;
    assert_eq!(template.status, StatusCode::OK);
    finish(h, dir).await;
}

#[tokio::test]
async fn pending_uploads_are_stored_under_random_names_outside_any_served_directory() {
    let (h, dir) = harness().await;
    let s = h.login("town").await;
    let csv = "统一社会信用代码,姓名,身份证号,手机号,岗位类别,作业类别,任职日期\n";
    // A name that tries to leave its directory.
    let r = upload(&h, &s, "persons", "../../../人员.csv", csv.as_bytes()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r
        .location()
        .strip_prefix("/imports/review?id=")
        .unwrap()
        .to_string();
    let top = entries(&dir);
    assert_eq!(top.len(), 1, "{top:?}");
    let token_dir = &top[0];
    let name = token_dir.file_name().unwrap().to_string_lossy().to_string();
    assert_eq!(name, id);
    assert!(
        name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()),
        "a random 256-bit name: {name}"
    );
    assert!(token_dir.join("file").join("人员.csv").is_file());
    assert!(token_dir.join("meta.json").is_file());
    assert!(
        !dir.parent().unwrap().join("人员.csv").exists(),
        "the name chose no location"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(token_dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "owner-only: {mode:o}");
    }
    // Nothing on disk is served: assets are embedded, everything else is a route.
    for path in [
        format!("/assets/{id}"),
        "/assets/meta.json".to_string(),
        format!("/assets/..%2F{id}%2Fmeta.json"),
        format!("/{id}/meta.json"),
        format!("/uploads/{id}/file/%E4%BA%BA%E5%91%98.csv"),
    ] {
        let r = h.get(Some(&s), &path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!r.body.contains("统一社会信用代码"), "{path}");
    }
    // The default directory is the system's temporary directory, not the working tree.
    let default = WebConfig::default().uploads_dir();
    let cwd = std::env::current_dir().unwrap();
    assert!(!default.starts_with(&cwd), "{}", default.display());
    finish(h, dir).await;
}

fn assert_attachment(path: &str, r: &Reply) {
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    let cd = r
        .headers
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{path}: no Content-Disposition"));
    assert!(cd.starts_with("attachment;"), "{path}: {cd}");
    let encoded = cd
        .split("filename*=UTF-8''")
        .nth(1)
        .unwrap_or_else(|| panic!("{path}: no RFC 5987 filename: {cd}"));
    assert!(
        encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"%-._~!$&+^`|".contains(&b)),
        "{path}: percent-encoded: {encoded}"
    );
    assert_eq!(
        r.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
        "nosniff",
        "{path}"
    );
}

/// Whether a response is a page, data for the page, or an asset (shown inline), rather than
/// a file for the user to keep.
fn inline_type(content_type: &str) -> bool {
    [
        "text/html",
        "application/json",
        "text/css",
        "text/javascript",
        "text/plain",
    ]
    .iter()
    .any(|t| content_type.starts_with(t))
}

#[tokio::test]
async fn every_route_that_sends_a_file_sends_an_attachment_with_nosniff() {
    let (h, dir) = harness().await;
    let s = h.login("district").await;
    // A pending upload with rejected rows has an error report.
    let xlsx = persons_xlsx(&h);
    let r = upload(&h, &s, "persons", "人员.xlsx", &xlsx).await;
    let review = r.location().to_string();
    let id = review.strip_prefix("/imports/review?id=").unwrap();
    let known = [
        "/findings/export".to_string(),
        "/findings/export?rule=CERT_EXPIRED".to_string(),
        "/imports/template.xlsx".to_string(),
        format!("/imports/errors.xlsx?id={id}"),
    ];
    for path in &known {
        let r = h.get(Some(&s), path).await;
        assert_attachment(path, &r);
    }
    // Every other GET route either answers inline (a page, JSON, an asset) or is a file:
    // then it must be an attachment and be rate limited as an export.
    for spec in specs().into_iter().filter(|s| s.method == "GET") {
        let path = spec
            .path
            .replace("{id}", "1")
            .replace("{file}", "app.css")
            .replace(
                "/imports/errors.xlsx",
                &format!("/imports/errors.xlsx?id={id}"),
            );
        let r = h.get(Some(&s), &path).await;
        let ct = r
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if r.status.is_success() && !inline_type(&ct) {
            assert_attachment(&path, &r);
            assert!(
                anpei_web::ratelimit::EXPORT_ROUTES.contains(&("GET", spec.path)),
                "{} sends a file but is not rate limited as an export",
                spec.path
            );
        }
        assert_eq!(
            r.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
            "nosniff",
            "{path}"
        );
    }
    finish(h, dir).await;
}

/// Rows of the training and exam records, and the audit entries of their imports.
async fn records_in_db(h: &Harness) -> (usize, usize, usize, usize) {
    use anpei_store::testing::records::{exam_records, training_records};
    let imports = anpei_store::platform::audit::latest(h.store(), 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.result == "ok" && e.action.contains("import"))
        .count();
    let exams = exam_records(h.store(), None).await;
    (
        training_records(h.store(), None).await.classes.len(),
        exams.plans.len(),
        exams.sessions.len(),
        imports,
    )
}

async fn subject_of_kind(h: &Harness, kind: anpei_core::SubjectKind) -> i32 {
    let filter = anpei_store::registry::subjects::SubjectFilter {
        kind: Some(kind),
        ..Default::default()
    };
    let (rows, total) = anpei_store::registry::subjects::list(
        h.store(),
        &anpei_store::Scope::district_wide(),
        &filter,
        1,
        100_000,
    )
    .await
    .unwrap();
    assert_eq!(rows.len() as u64, total);
    rows.iter()
        .map(|s| s.id)
        .min()
        .expect("the demo district has one")
}

#[tokio::test]
async fn the_training_and_exam_record_uploads_refuse_zip_bombs_and_renamed_files() {
    let (h, dir) = harness().await;
    let s = h.login("district").await;
    let institution = subject_of_kind(&h, anpei_core::SubjectKind::TrainingInstitution).await;
    let site = subject_of_kind(&h, anpei_core::SubjectKind::ExamSite).await;
    let before = records_in_db(&h).await;
    let routes = [
        format!("/training/{institution}/import?_csrf={}", s.csrf),
        format!("/exams/subjects/{site}/import?_csrf={}", s.csrf),
    ];
    for route in &routes {
        // The bomb declares a 3 GiB sheet behind 40 bytes: refused from the central
        // directory, before the workbook reader could inflate it.
        let r = h
            .post_multipart(Some(&s), route, &[], Some(("档案.xlsx", &zip_bomb())))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{route}: {}",
            r.body
        );
        assert!(
            r.body.contains("“档案.xlsx”被拒绝") && r.body.contains("疑似压缩炸弹"),
            "{route}: {}",
            r.body
        );
        assert!(r.body.contains("未导入任何内容"), "{route}: {}", r.body);
        // A PDF renamed .xlsx.
        let r = h
            .post_multipart(Some(&s), route, &[], Some(("考试记录.xlsx", PDF)))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{route}: {}",
            r.body
        );
        assert!(
            r.body.contains("文件内容与扩展名不符") && r.body.contains("不要只修改扩展名"),
            "{route}: {}",
            r.body
        );
        // Nor a real file of another kind under its own name.
        let r = h
            .post_multipart(Some(&s), route, &[], Some(("记录.pdf", PDF)))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{route}: {}",
            r.body
        );
        assert!(r.body.contains("不是xlsx工作簿"), "{route}: {}", r.body);
    }
    assert_eq!(records_in_db(&h).await, before, "nothing is stored");
    assert!(entries(&dir).is_empty());
    finish(h, dir).await;
}
