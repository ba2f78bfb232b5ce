//! The progress of an import on the 导入 pages: the upload form names a progress key, the
//! page polls `/imports/progress` under it (and under the pending id while a confirmed
//! import runs), and the answer counts the rows handled — for the uploader only.

use crate::common;

use axum::http::StatusCode;
use common::{finish, Harness, Session};
use std::path::PathBuf;

async fn harness() -> (Harness, PathBuf) {
    common::with_uploads(30, 200, |_| {}).await
}

/// The value of the form's hidden `progress` field.
fn progress_key(html: &str) -> String {
    let at = html
        .find("name=\"progress\" value=\"")
        .expect("the upload form names a progress key");
    let rest = &html[at + "name=\"progress\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// 人员.csv: three rows of the town's demo enterprise, then one with a bad ID number.
fn persons_csv(h: &Harness) -> String {
    let u = &h.district.subjects[0].uscc;
    let id = |n: u32| {
        let first17 = format!("50011219900101{n:03}");
        format!(
            "{first17}{}",
            anpei_core::ids::IdNumber::check_char(&first17).unwrap()
        )
    };
    format!(
        "统一社会信用代码,姓名,身份证号,手机号,岗位类别,作业类别,任职日期\n\
         {u},测试甲,{},,主要负责人,,2021-03-05\n\
         {u},测试乙,{},,安全生产管理人员,,2021-03-05\n\
         {u},测试丙,{},,一般从业人员,,2021-03-05\n\
         {u},测试丁,500112199001010000,,一般从业人员,,2021-03-05\n",
        id(1),
        id(2),
        id(3)
    )
}

async fn poll(h: &Harness, s: &Session, key: &str) -> String {
    let r = h
        .get(Some(s), &format!("/imports/progress?key={key}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

#[tokio::test]
async fn the_progress_endpoint_counts_the_rows_of_the_uploader_s_import() {
    let (h, dir) = harness().await;
    let s = h.login("town").await;
    let page = h.get(Some(&s), "/imports").await;
    let key = progress_key(&page.body);
    assert_eq!(key.len(), 64);
    assert!(
        page.body.contains(&format!(
            "hx-get=\"/imports/progress?key={key}\" hx-trigger=\"submit from:#import-form"
        )),
        "the page starts polling when the form is submitted"
    );
    // Before the upload reaches the server: keep polling.
    let waiting = poll(&h, &s, &key).await;
    assert!(waiting.contains("正在上传") && waiting.contains("hx-trigger=\"every 1s\""));

    let csv = persons_csv(&h);
    let r = h
        .post_multipart(
            Some(&s),
            &format!("/imports?_csrf={}", s.csrf),
            &[("kind", "persons"), ("progress", &key)],
            Some(("人员.csv", csv.as_bytes())),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r
        .location()
        .strip_prefix("/imports/review?id=")
        .unwrap()
        .to_string();

    let done = poll(&h, &s, &key).await;
    assert!(done.contains("已完成：共处理 4 行"), "{done}");
    assert!(done.contains("<progress value=\"1\" max=\"1\">"), "{done}");
    assert!(!done.contains("hx-trigger"), "polling stops: {done}");

    // Another user learns nothing of it.
    let other = h.login("district").await;
    let theirs = poll(&h, &other, &key).await;
    assert!(
        !theirs.contains("已处理") && !theirs.contains("已完成"),
        "{theirs}"
    );

    // The confirmed import is polled under the pending upload's id.
    let review = h.get(Some(&s), &format!("/imports/review?id={id}")).await;
    assert!(review.body.contains(&format!(
        "hx-get=\"/imports/progress?key={id}\" hx-trigger=\"submit from:#import-confirm"
    )));
    let confirmed = h
        .post_form(Some(&s), "/imports/confirm", &[("id", &id)])
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.body
    );
    let done = poll(&h, &s, &id).await;
    assert!(done.contains("已完成：共处理 4 行"), "{done}");

    // No key (or a malformed one): nothing to show, nothing to poll.
    for q in ["", "?key=../../etc", "?key=abc"] {
        let r = h.get(Some(&s), &format!("/imports/progress{q}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("没有进行中的导入") && !r.body.contains("hx-trigger"));
    }
    finish(h, dir).await;
}
