//! 台账导入 through the pages and the API, against the real app, database and a temporary
//! pending-uploads directory.

use crate::common;

use anpei_core::ids::IdNumber;
use axum::http::{header, StatusCode};
use common::{finish, Harness, Reply, Session};
use std::path::PathBuf;

async fn harness() -> (Harness, PathBuf) {
    common::with_uploads(30, 200, |_| {}).await
}

/// A valid ID number not in the demo district (born 1990-01-01, sequence `n`).
fn new_id(h: &Harness, n: u32) -> String {
    let first17 = format!("50011219900101{n:03}");
    let id = format!("{first17}{}", IdNumber::check_char(&first17).unwrap());
    assert!(
        h.district
            .persons
            .iter()
            .all(|p| p.id_number.as_str() != id),
        "test ID {id} collides with the demo"
    );
    id
}

/// 人员.csv for the town user: three good rows in the town's demo enterprise, one with a
/// wrong check digit (row 5), one whose employer lies in another town (row 6).
fn persons_csv(h: &Harness) -> String {
    let own = &h.district.subjects[0];
    let foreign = h
        .district
        .subjects
        .iter()
        .find(|s| s.town != own.town)
        .expect("a subject in another town");
    let bad = {
        let good = new_id(h, 4);
        let last = if good.ends_with('0') { '1' } else { '0' };
        format!("{}{last}", &good[..17])
    };
    format!(
        "统一社会信用代码,姓名,身份证号,手机号,岗位类别,作业类别,任职日期\n\
         {u},测试甲,{a},,主要负责人,,2021-03-05\n\
         {u},测试乙,{b},13812341234,安全生产管理人员,,2021-03-05\n\
         {u},测试丙,{c},,一般从业人员,,2021/3/5\n\
         {u},测试丁,{bad},,一般从业人员,,2021-03-05\n\
         {f},测试戊,{e},,一般从业人员,,2021-03-05\n",
        u = own.uscc,
        f = foreign.uscc,
        a = new_id(h, 1),
        b = new_id(h, 2),
        c = new_id(h, 3),
        e = new_id(h, 5),
    )
}

/// The numbers of a sheet's row in the counts table: 读取, 新增, 更新, 未变, 拒绝.
fn counts_row(html: &str, sheet: &str) -> Vec<u64> {
    let table = &html[html.find("id=\"import-counts\"").expect("counts table")..];
    let row = &table[table.find(&format!("<td>{sheet}</td>")).expect("sheet row")..];
    let row = &row[..row.find("</tr>").unwrap()];
    row.split("</td>")
        .filter_map(|cell| cell.rsplit('>').next()?.trim().parse().ok())
        .collect()
}

async fn persons_in_db(h: &Harness) -> u64 {
    anpei_store::testing::access::persons(h.store()).await.len() as u64
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

fn pending_id(r: &Reply) -> String {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location()
        .strip_prefix("/imports/review?id=")
        .expect("redirects to the review")
        .to_string()
}

#[tokio::test]
async fn a_town_official_reviews_the_rejected_rows_then_confirms_the_import() {
    let (h, dir) = harness().await;
    let s = h.login("town").await;
    let csv = persons_csv(&h);
    let before = persons_in_db(&h).await;

    let id = pending_id(&upload(&h, &s, "persons", "人员.csv", csv.as_bytes()).await);
    let review = h.get(Some(&s), &format!("/imports/review?id={id}")).await;
    assert_eq!(review.status, StatusCode::OK);
    assert!(review.body.contains("校验结果") && review.body.contains("数据尚未写入"));
    assert_eq!(counts_row(&review.body, "人员"), [5, 3, 0, 0, 2]);
    assert!(review.body.contains("校验位错误"), "the reason is shown");
    assert!(
        review.body.contains("<td class=\"num\">5</td>"),
        "row 5 named"
    );
    assert!(review.body.contains("单位不存在或不在您的管辖范围内"));
    assert!(
        review.body.contains("<td class=\"num\">6</td>"),
        "row 6 named"
    );
    assert!(
        !review.body.contains(&new_id(&h, 5)),
        "ID numbers are masked on the page"
    );
    assert_eq!(persons_in_db(&h).await, before, "a dry run stores nothing");

    let report = h
        .get(Some(&s), &format!("/imports/errors.xlsx?id={id}"))
        .await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(report.body.starts_with("PK"));

    let done = h
        .post_form(Some(&s), "/imports/confirm", &[("id", &id)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let result = h.get(Some(&s), done.location()).await;
    assert!(result.body.contains("导入结果") && result.body.contains("部分导入"));
    assert_eq!(counts_row(&result.body, "人员"), [5, 3, 0, 0, 2]);
    assert_eq!(persons_in_db(&h).await, before + 3);
    assert!(
        !dir.join(&id).join("file").exists() && !dir.join(&id).join("importing").exists(),
        "the uploaded file is deleted once imported"
    );
    let again = h
        .post_form(Some(&s), "/imports/confirm", &[("id", &id)])
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(
        persons_in_db(&h).await,
        before + 3,
        "a second click is a no-op"
    );

    let page = h.get(Some(&s), "/imports").await;
    let history = &page.body[page.body.find("id=\"import-history\"").unwrap()..];
    assert!(history.contains("人员.csv") && history.contains("部分导入"));
    assert!(history.contains("试运行") && history.contains("正式导入"));

    let id2 = pending_id(&upload(&h, &s, "persons", "人员.csv", csv.as_bytes()).await);
    let review2 = h.get(Some(&s), &format!("/imports/review?id={id2}")).await;
    assert_eq!(
        counts_row(&review2.body, "人员"),
        [5, 0, 0, 3, 2],
        "re-importing the same file changes nothing"
    );
    finish(h, dir).await;
}

#[tokio::test]
async fn a_pending_upload_is_its_uploaders_alone_and_can_be_cancelled() {
    let (h, dir) = harness().await;
    let town = h.login("town").await;
    let district = h.login("district").await;
    let csv = persons_csv(&h);
    let id = pending_id(&upload(&h, &town, "persons", "人员.csv", csv.as_bytes()).await);

    let foreign = h
        .get(Some(&district), &format!("/imports/review?id={id}"))
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let foreign = h
        .post_form(Some(&district), "/imports/confirm", &[("id", &id)])
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    for bad in ["../../etc/passwd", "..", &id.to_uppercase()] {
        let r = h
            .post_form(Some(&town), "/imports/confirm", &[("id", bad)])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
    }

    let before = persons_in_db(&h).await;
    let r = h
        .post_form(Some(&town), "/imports/cancel", &[("id", &id)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/imports?cancelled=1");
    assert!(!dir.join(&id).exists(), "the upload is deleted");
    let gone = h
        .get(Some(&town), &format!("/imports/review?id={id}"))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(persons_in_db(&h).await, before);
    finish(h, dir).await;
}

#[tokio::test]
async fn an_unreadable_file_is_refused_with_a_chinese_reason() {
    let (h, dir) = harness().await;
    let s = h.login("town").await;
    let r = upload(&h, &s, "persons", "照片.png", b"\x89PNG\r\n\x1a\n0000").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("不是xlsx工作簿或CSV文件"), "{}", r.body);
    let r = upload(&h, &s, "persons", "人员.csv", b"\xE5\xA7\x93\xE5\x90\x8D\n").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("缺少必填列"), "{}", r.body);
    assert_eq!(
        std::fs::read_dir(&dir).map_or(0, |d| d.count()),
        0,
        "nothing is left pending"
    );
    finish(h, dir).await;
}

#[tokio::test]
async fn only_district_users_are_offered_and_may_import_the_registry() {
    let (h, dir) = harness().await;
    let town = h.login("town").await;
    let district = h.login("district").await;
    let page = h.get(Some(&town), "/imports").await;
    assert!(page.body.contains("value=\"persons\""));
    assert!(!page.body.contains("value=\"registry\""));
    let page = h.get(Some(&district), "/imports").await;
    assert!(page.body.contains("value=\"registry\""));
    let r = upload(&h, &town, "registry", "登记库.csv", b"x").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("只有区级用户可以导入证书登记库"));
    finish(h, dir).await;
}

#[tokio::test]
async fn the_template_workbook_downloads_as_an_attachment() {
    let (h, dir) = harness().await;
    let s = h.login("enterprise").await;
    let r = h.get(Some(&s), "/imports/template.xlsx").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.starts_with("PK"), "an xlsx (zip) file");
    let disposition = r.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"));
    finish(h, dir).await;
}

#[tokio::test]
async fn a_multipart_upload_without_the_csrf_token_in_header_or_query_is_refused() {
    let (h, dir) = harness().await;
    let s = h.login("town").await;
    let csv = persons_csv(&h);
    let before = persons_in_db(&h).await;
    let none = h
        .post_multipart(
            Some(&s),
            "/imports",
            &[("kind", "persons")],
            Some(("人员.csv", csv.as_bytes())),
        )
        .await;
    assert_eq!(none.status, StatusCode::FORBIDDEN);
    // A `_csrf` part inside the multipart body is not read: the middleware never parses
    // multipart bodies, the form posts the token in its action's query string.
    let in_body = h
        .post_multipart(
            Some(&s),
            "/imports",
            &[("_csrf", &s.csrf), ("kind", "persons")],
            Some(("人员.csv", csv.as_bytes())),
        )
        .await;
    assert_eq!(in_body.status, StatusCode::FORBIDDEN);
    let wrong = h
        .post_multipart(
            Some(&s),
            "/imports?_csrf=0000",
            &[("kind", "persons")],
            Some(("人员.csv", csv.as_bytes())),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(persons_in_db(&h).await, before);
    finish(h, dir).await;
}

#[tokio::test]
async fn the_api_imports_a_multipart_upload_with_a_bearer_token() {
    let (h, dir) = harness().await;
    let token = h.api_token("town").await;
    let csv = persons_csv(&h);
    let before = persons_in_db(&h).await;
    let file = Some(("人员.csv", csv.as_bytes()));

    let dry = h
        .api_post_multipart(
            &token,
            "/api/v1/imports?dry_run=1",
            &[("kind", "persons")],
            file,
        )
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    let v: serde_json::Value = serde_json::from_str(&dry.body).unwrap();
    assert_eq!(v["outcome"], "validated");
    let c = &v["counts"]["人员"];
    assert_eq!(
        [
            &c["read"],
            &c["inserted"],
            &c["updated"],
            &c["unchanged"],
            &c["rejected"]
        ],
        [5, 3, 0, 0, 2]
    );
    let rejections = v["rejections"].as_array().unwrap();
    assert_eq!(rejections.len(), 2);
    assert_eq!(rejections[0]["sheet"], "人员");
    assert_eq!(rejections[0]["row"], 5);
    assert_eq!(rejections[0]["column"], "身份证号");
    assert!(rejections[0]["reason"]
        .as_str()
        .unwrap()
        .contains("校验位错误"));
    assert!(
        rejections[0].get("cells").is_none(),
        "no raw cells in the API"
    );
    assert!(v["warnings"].is_array());
    assert_eq!(persons_in_db(&h).await, before);

    let strict = h
        .api_post_multipart(
            &token,
            "/api/v1/imports?strict=1",
            &[("kind", "persons")],
            file,
        )
        .await;
    let v: serde_json::Value = serde_json::from_str(&strict.body).unwrap();
    assert_eq!(v["outcome"], "aborted");
    assert_eq!(persons_in_db(&h).await, before);

    let real = h
        .api_post_multipart(&token, "/api/v1/imports", &[("kind", "persons")], file)
        .await;
    assert_eq!(real.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&real.body).unwrap();
    assert_eq!(v["outcome"], "partial");
    assert_eq!(persons_in_db(&h).await, before + 3);

    let bad = h
        .api_post_multipart(
            &token,
            "/api/v1/imports",
            &[("kind", "persons")],
            Some(("x.png", b"\x89PNG\r\n\x1a\n0000")),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let v: serde_json::Value = serde_json::from_str(&bad.body).unwrap();
    assert!(v["message"].as_str().unwrap().contains("CSV"));
    let registry = h
        .api_post_multipart(&token, "/api/v1/imports", &[("kind", "registry")], file)
        .await;
    assert_eq!(registry.status, StatusCode::FORBIDDEN);
    let no_kind = h
        .api_post_multipart(&token, "/api/v1/imports", &[], file)
        .await;
    assert_eq!(no_kind.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        std::fs::read_dir(&dir).map_or(0, |d| d.count()),
        0,
        "API uploads leave nothing behind"
    );
    finish(h, dir).await;
}

#[tokio::test]
async fn the_api_lists_only_the_findings_in_the_callers_scope() {
    let (h, dir) = harness().await;
    let district = h.login("district").await;
    let scan = h.post_form(Some(&district), "/findings/scan", &[]).await;
    assert_eq!(scan.status, StatusCode::SEE_OTHER);
    let own_town = &h.district.subjects[0].town;

    let all = h.api_token("district").await;
    let r = h
        .api_get(&all, "/api/v1/findings?status=all&per_page=200")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let district_total = v["total"].as_u64().unwrap();
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["town"] != own_town.as_str()));

    let town = h.api_token("town").await;
    let r = h
        .api_get(&town, "/api/v1/findings?status=all&per_page=200")
        .await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(v["total"].as_u64().unwrap() < district_total);
    assert_eq!(v["page"], 1);
    assert_eq!(v["per_page"], 200);
    for i in items {
        assert_eq!(i["town"], own_town.as_str());
        for key in [
            "id",
            "rule",
            "rule_name",
            "severity",
            "subject_id",
            "subject_uscc",
            "subject_name",
            "person_id",
            "person_name",
            "detail",
            "first_seen",
            "last_seen",
            "status",
        ] {
            assert!(i.get(key).is_some(), "{key} missing");
        }
        assert!(i["id_number_masked"].as_str().unwrap().contains('*'));
    }
    let rule = items[0]["rule"].as_str().unwrap();
    let r = h
        .api_get(&town, &format!("/api/v1/findings?status=all&rule={rule}"))
        .await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["rule"] == rule));
    let unknown = h.api_get(&town, "/api/v1/findings?rule=NOPE").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    finish(h, dir).await;
}

#[tokio::test]
async fn a_file_over_the_size_limit_is_refused_before_it_is_read() {
    let (h, dir) = harness().await;
    let s = h.login("town").await;
    let (content_type, body) =
        common::multipart_body(&[("kind", "persons")], Some(("人员.csv", b"x")));
    let too_long = (anpei_web::pages::ledger::imports::BODY_LIMIT + 1).to_string();
    let req = axum::http::Request::post(format!("/imports?_csrf={}", s.csrf))
        .header(header::CONTENT_TYPE, &content_type)
        .header(header::CONTENT_LENGTH, &too_long)
        .header(header::COOKIE, &s.cookie)
        .body(axum::body::Body::from(body.clone()))
        .unwrap();
    let r = h.send(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        r.body.contains("200 MB"),
        "a Chinese message names the limit"
    );
    let token = h.api_token("town").await;
    let req = axum::http::Request::post("/api/v1/imports")
        .header(header::CONTENT_TYPE, &content_type)
        .header(header::CONTENT_LENGTH, &too_long)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(axum::body::Body::from(body))
        .unwrap();
    let r = h.send(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body.contains("too_large"));
    finish(h, dir).await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let (h, dir) = harness().await;
    let r = h.get(None, "/api/v1/openapi.json").await;
    let doc: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    for spec in anpei_web::routes::specs() {
        if let Some(path) = spec.path.strip_prefix("/api/v1") {
            let op = &doc["paths"][path][spec.method.to_ascii_lowercase()];
            assert!(
                op.is_object(),
                "{} {} is not in openapi.json",
                spec.method,
                spec.path
            );
        }
    }
    finish(h, dir).await;
}

#[tokio::test]
async fn htmx_uploads_navigate_with_hx_redirect_and_show_refusals_in_place() {
    let (h, dir) = harness().await;
    let s = h.login("town").await;
    let csv = persons_csv(&h);
    let send = |name: &'static str, bytes: Vec<u8>| {
        let (content_type, body) =
            common::multipart_body(&[("kind", "persons")], Some((name, &bytes)));
        axum::http::Request::post("/imports")
            .header(header::CONTENT_TYPE, content_type)
            .header(header::COOKIE, &s.cookie)
            .header("hx-request", "true")
            .header("x-csrf-token", &s.csrf)
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let ok = h.send(send("人员.csv", csv.into_bytes())).await;
    assert_eq!(ok.status, StatusCode::OK);
    let to = ok.headers["hx-redirect"].to_str().unwrap();
    assert!(to.starts_with("/imports/review?id="));
    let refused = h.send(send("x.png", b"\x89PNG\r\n\x1a\n".to_vec())).await;
    assert_eq!(
        refused.status,
        StatusCode::OK,
        "htmx swaps only 2xx answers"
    );
    assert!(refused.body.contains("id=\"import-error\""));
    finish(h, dir).await;
}

/// A response's body as bytes (an xlsx download).
async fn get_bytes(h: &Harness, s: &Session, path: &str) -> (StatusCode, Vec<u8>) {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = Request::get(path)
        .header(header::COOKIE, &s.cookie)
        .body(Body::empty())
        .unwrap();
    let res = h.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, bytes)
}

/// The cells of a sheet of an xlsx workbook, as text.
fn xlsx_rows(bytes: &[u8], sheet: &str) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("an xlsx");
    let range = wb.worksheet_range(sheet).expect("the sheet");
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// The workbook with the text of some cells replaced and every other byte of it kept: what a
/// clerk does to the report in Excel, done on the file itself.
fn correct_in_place(xlsx: &[u8], fixes: &[(&str, &str)]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut found = vec![false; fixes.len()];
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).unwrap();
        let name = part.name().unwrap().to_string();
        let mut bytes = Vec::new();
        part.read_to_end(&mut bytes).unwrap();
        if name.starts_with("xl/worksheets/") {
            let mut xml = String::from_utf8(bytes).unwrap();
            for (k, (from, to)) in fixes.iter().enumerate() {
                let (from, to) = (format!(">{from}</t>"), format!(">{to}</t>"));
                found[k] |= xml.contains(&from);
                xml = xml.replace(&from, &to);
            }
            bytes = xml.into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    assert!(
        found.iter().all(|f| *f),
        "every cell to correct is in the report: {found:?}"
    );
    out.finish().unwrap().into_inner()
}

/// A clerk's workbook with a row of five faulty columns and a row the database refuses:
/// the review lists every fault with what is expected, the downloaded report is the clerk's
/// own sheet (headers as uploaded, only the failed rows, 错误原因 last), and the report,
/// corrected in place, uploads as it is with every row accepted.
#[tokio::test]
async fn a_clerk_fixes_every_rejected_row_in_one_pass_through_the_error_report() {
    let (h, dir) = harness().await;
    let s = h.login("town").await;
    let own = h.district.subjects[0].uscc.to_string();
    let good = new_id(&h, 11);
    let twice = new_id(&h, 12);
    // Area 999999 does not exist, and the check digit is wrong as well.
    let first17 = "99999919900101013";
    let right = IdNumber::check_char(first17).unwrap();
    let bad_id = format!("{first17}{}", if right == '0' { '1' } else { '0' });
    let fixed_id = new_id(&h, 13);
    let header = [
        "序号",
        "姓名",
        "统一社会信用代码",
        "身份证号",
        "手机号",
        "岗位类别",
        "作业类别",
        "任职日期",
        "备注",
    ];
    let row = |cells: [&str; 9]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let rows = vec![
        row([
            "1",
            "测试甲",
            &own,
            &good,
            "",
            "一般从业人员",
            "",
            "2021-03-05",
            "",
        ]),
        row([
            "2",
            "测试乙",
            &own,
            &bad_id,
            "1381234",
            "保安",
            "魔法作业",
            "2021-02-30",
            "待核",
        ]),
        row([
            "3",
            "测试丙",
            &own,
            &good,
            "",
            "一般从业人员",
            "",
            "2021-03-05",
            "重复",
        ]),
    ];
    let upload_bytes = anpei_import::write_table_xlsx("人员", &header, rows.into_iter()).unwrap();
    let before = persons_in_db(&h).await;

    let id = pending_id(&upload(&h, &s, "persons", "人员台账.xlsx", &upload_bytes).await);
    let review = h.get(Some(&s), &format!("/imports/review?id={id}")).await;
    assert_eq!(counts_row(&review.body, "人员"), [3, 1, 0, 0, 2]);
    for fault in [
        "身份证号：前6位地区码999999不是有效的行政区划代码".to_string(),
        format!("身份证号：校验位错误（按GB 11643计算应为{right}）"),
        "手机号：“1381234”不是有效的电话号码".to_string(),
        "岗位类别：“保安”不是可选值，应为：主要负责人/安全生产管理人员/特种作业人员/一般从业人员"
            .to_string(),
        "作业类别：“魔法作业”不是可选值，应为：电工作业/".to_string(),
        "任职日期：日期2021-02-30不存在，应为日历上有的日期，如2022-03-31".to_string(),
        "身份证号：与第2行重复".to_string(),
    ] {
        assert!(review.body.contains(&fault), "{fault} in {}", review.body);
    }
    let done = h
        .post_form(Some(&s), "/imports/confirm", &[("id", &id)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(persons_in_db(&h).await, before + 1);

    let (status, report) = get_bytes(&h, &s, &format!("/imports/errors.xlsx?id={id}")).await;
    assert_eq!(status, StatusCode::OK);
    let sheet = xlsx_rows(&report, "人员");
    let mut want_header: Vec<String> = header.iter().map(|c| c.to_string()).collect();
    want_header.push("错误原因".into());
    assert_eq!(
        sheet[0], want_header,
        "the clerk's own headers, then 错误原因"
    );
    assert_eq!(sheet.len(), 3, "only the two failed rows");
    assert_eq!(
        sheet[1][..9],
        [
            "2",
            "测试乙",
            own.as_str(),
            &bad_id,
            "1381234",
            "保安",
            "魔法作业",
            "2021-02-30",
            "待核"
        ],
        "the cells as uploaded"
    );
    let reason = &sheet[1][9];
    assert!(
        reason.starts_with("第3行：身份证号：前6位地区码999999"),
        "{reason}"
    );
    assert_eq!(reason.matches('；').count(), 5, "six problems: {reason}");
    assert!(
        sheet[2][9].starts_with("第4行：身份证号：与第2行重复"),
        "{}",
        sheet[2][9]
    );

    let corrected = correct_in_place(
        &report,
        &[
            (&bad_id, &fixed_id),
            ("1381234", "13812341234"),
            ("保安", "特种作业人员"),
            ("魔法作业", "电工作业"),
            ("2021-02-30", "2021-02-28"),
            (&good, &twice),
        ],
    );
    let again = pending_id(&upload(&h, &s, "persons", "错误报告.xlsx", &corrected).await);
    let review = h
        .get(Some(&s), &format!("/imports/review?id={again}"))
        .await;
    assert_eq!(
        counts_row(&review.body, "人员"),
        [2, 2, 0, 0, 0],
        "{}",
        review.body
    );
    assert!(!review.body.contains("id=\"import-rejections\""));
    assert!(!review.body.contains("“错误原因”不在导入格式中"));
    let done = h
        .post_form(Some(&s), "/imports/confirm", &[("id", &again)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(persons_in_db(&h).await, before + 3);
    finish(h, dir).await;
}
