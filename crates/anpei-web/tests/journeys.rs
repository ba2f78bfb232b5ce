//! User journeys through the pages and the API, against the real app and database.

use crate::common;

use anpei_store::platform::audit;
use axum::http::StatusCode;
use common::Harness;

fn total_of(html: &str) -> u64 {
    let i = html.find("共 ").expect("the pager shows a total") + "共 ".len();
    html[i..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_district_official_signs_in_and_sees_the_dashboard_and_subjects() {
    let h = Harness::with_demo(30, 300).await;
    let s = h.login("district").await;
    let home = h.get(Some(&s), "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("工作台") && home.body.contains("天内到期证书"));
    let list = h.get(Some(&s), "/subjects").await;
    assert!(list.body.contains(anpei_core::demo::DEMO_ENTERPRISE_NAME));
    assert_eq!(total_of(&list.body), 30);
    let filtered = h
        .get(Some(&s), "/subjects?q=%E4%B8%A4%E6%B1%9F&high_risk=1")
        .await;
    assert!(filtered
        .body
        .contains(anpei_core::demo::DEMO_ENTERPRISE_NAME));
    assert!(total_of(&filtered.body) < 30);
    h.db.cleanup().await;
}

#[tokio::test]
async fn htmx_requests_get_only_the_results_fragment() {
    let h = Harness::with_demo(10, 50).await;
    let s = h.login("district").await;
    let req = axum::http::Request::get("/subjects?page=1")
        .header("cookie", &s.cookie)
        .header("hx-request", "true")
        .body(axum::body::Body::empty())
        .unwrap();
    let r = h.send(req).await;
    assert!(r.body.contains("subjects-table"));
    assert!(!r.body.contains("<html"), "a fragment, not a page");
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_town_official_cannot_see_count_or_open_another_towns_subject() {
    let h = Harness::with_demo(40, 300).await;
    let own_town = h.district.subjects[0].town.clone();
    let foreign = h
        .district
        .subjects
        .iter()
        .find(|s| s.town != own_town)
        .expect("a subject elsewhere");
    let own_count = h
        .district
        .subjects
        .iter()
        .filter(|s| s.town == own_town)
        .count() as u64;
    let s = h.login("town").await;

    let list = h.get(Some(&s), "/subjects?per_page=200").await;
    assert_eq!(total_of(&list.body), own_count);
    assert!(!list.body.contains(&foreign.name));
    let search = h
        .get(Some(&s), &format!("/subjects?q={}", foreign.uscc))
        .await;
    assert_eq!(total_of(&search.body), 0);

    let foreign_id =
        anpei_store::registry::subjects::get(h.store(), &anpei_store::Scope::district_wide(), 0)
            .await
            .unwrap();
    assert!(foreign_id.is_none());
    let all = anpei_store::registry::subjects::list(
        h.store(),
        &anpei_store::Scope::district_wide(),
        &Default::default(),
        1,
        200,
    )
    .await
    .unwrap()
    .0;
    let fid = all.iter().find(|r| r.name == foreign.name).unwrap().id;
    assert_eq!(
        h.get(Some(&s), &format!("/subjects/{fid}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.get(Some(&s), &format!("/subjects/{fid}/edit"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let token = h.api_token("town").await;
    let api = h.api_get(&token, "/api/v1/subjects?per_page=200").await;
    let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(v["total"].as_u64().unwrap(), own_count);
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["town"] == own_town.as_str()));
    assert_eq!(
        h.api_get(&token, &format!("/api/v1/subjects/{fid}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let dash = h.get(Some(&s), "/").await;
    assert!(dash
        .body
        .contains(&format!("<div class=\"card-num\">{own_count}</div>")));
    h.db.cleanup().await;
}

#[tokio::test]
async fn the_api_lists_subjects_in_the_contract_shape_and_persons_masked() {
    let h = Harness::with_demo(10, 80).await;
    let token = h.api_token("district").await;
    let r = h
        .api_get(&token, "/api/v1/subjects?per_page=5&page=2")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["total"], 10);
    let item = &v["items"][0];
    for key in [
        "id",
        "uscc",
        "name",
        "kind",
        "industry",
        "high_risk",
        "town",
        "department",
    ] {
        assert!(item.get(key).is_some(), "subject item lacks {key}");
    }
    assert!([
        "enterprise",
        "training_institution",
        "exam_site",
        "exam_institution"
    ]
    .contains(&item["kind"].as_str().unwrap()));
    let first = h
        .api_get(&token, "/api/v1/subjects?q=%E4%B8%A4%E6%B1%9F")
        .await;
    let v: serde_json::Value = serde_json::from_str(&first.body).unwrap();
    let id = v["items"][0]["id"].as_i64().unwrap();
    let one = h.api_get(&token, &format!("/api/v1/subjects/{id}")).await;
    assert!(one.body.contains("危险化学品") && one.body.contains("\"high_risk\":true"));

    let persons = h
        .api_get(
            &token,
            &format!("/api/v1/persons?subject_id={id}&per_page=200"),
        )
        .await;
    assert_eq!(persons.status, StatusCode::OK);
    for p in &h.district.persons {
        assert!(
            !persons.body.contains(p.id_number.as_str()),
            "an unmasked ID number in the API"
        );
        if let Some(phone) = &p.phone {
            assert!(
                !persons.body.contains(phone.as_str()),
                "an unmasked phone number in the API"
            );
        }
    }
    assert!(persons.body.contains("***********"));
    assert_eq!(
        h.api_get("not-a-token", "/api/v1/subjects").await.status,
        StatusCode::UNAUTHORIZED
    );
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_subject_is_created_through_the_form_with_chinese_errors_first() {
    let h = Harness::with_demo(5, 20).await;
    let s = h.login("district").await;
    let town =
        anpei_store::registry::reference::towns(h.store(), &anpei_store::Scope::district_wide())
            .await
            .unwrap()[3]
            .id
            .to_string();
    let bad = h
        .post_form(
            Some(&s),
            "/subjects",
            &[
                ("uscc", "91110000600037341M"),
                ("name", "重庆测试燃气有限公司"),
                ("kind", "enterprise"),
                ("industry", "燃气"),
                ("town_id", &town),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("统一社会信用代码：校验位错误"));
    assert!(
        bad.body.contains("重庆测试燃气有限公司"),
        "the form keeps what was typed"
    );
    let good = h
        .post_form(
            Some(&s),
            "/subjects",
            &[
                ("uscc", "91110000600037341L"),
                ("name", "重庆测试燃气有限公司"),
                ("kind", "enterprise"),
                ("industry", "燃气"),
                ("town_id", &town),
                ("contact_phone", "13812345678"),
            ],
        )
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.body);
    let page = h.get(Some(&s), good.location()).await;
    assert!(page.body.contains("区住房城乡建委"));
    assert!(page.body.contains("138****5678") && !page.body.contains("13812345678"));
    let entries = audit::latest(h.store(), 5).await.unwrap();
    assert!(entries
        .iter()
        .any(|e| e.action == "subject.create" && e.username == "district"));
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_form_post_without_the_csrf_token_is_refused() {
    let h = Harness::with_demo(5, 20).await;
    let s = h.login("district").await;
    let forged = common::Session {
        cookie: s.cookie.clone(),
        csrf: "forged".into(),
    };
    let r = h
        .post_form(Some(&forged), "/subjects", &[("name", "x")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("页面已过期"));
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let h = Harness::with_demo(5, 20).await;
    let a = h
        .try_login("district", "wrong-password")
        .await
        .err()
        .unwrap();
    let b = h
        .try_login("no-such-user", "wrong-password")
        .await
        .err()
        .unwrap();
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.status, b.status);
    let msg = |body: &str| {
        body.split("alert-error")
            .nth(1)
            .unwrap_or("")
            .split("</div>")
            .next()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(msg(&a.body), msg(&b.body));
    h.db.cleanup().await;
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let h = Harness::with_demo(5, 20).await;
    let s = h.login("district").await;
    let r = h.post_form(Some(&s), "/logout", &[]).await;
    assert_eq!(r.location(), "/login");
    let after = h.get(Some(&s), "/subjects").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(after.location().starts_with("/login"));
    h.db.cleanup().await;
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let h = Harness::with_demo(5, 20).await;
    for path in ["/login", "/healthz", "/nope", "/assets/app.css"] {
        let r = h.get(None, path).await;
        let csp = r
            .headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(r.headers.get("x-content-type-options").unwrap(), "nosniff");
        assert!(r.headers.get("referrer-policy").is_some());
    }
    let r = h.get(None, "/nope").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("不存在"));
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_person_page_shows_certificates_and_training_masked() {
    let h = Harness::with_demo(10, 120).await;
    let s = h.login("district").await;
    let (rows, _) = anpei_store::registry::persons::list(
        h.store(),
        &anpei_store::Scope::district_wide(),
        &Default::default(),
        1,
        200,
    )
    .await
    .unwrap();
    let with_cert = h.district.certificates.first().unwrap();
    let row = rows
        .iter()
        .find(|r| r.id_number_masked == with_cert.id_number.masked())
        .unwrap();
    let page = h.get(Some(&s), &format!("/persons/{}", row.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(with_cert.cert_type.label()));
    assert!(!page.body.contains(with_cert.id_number.as_str()));
    h.db.cleanup().await;
}

#[tokio::test]
async fn editing_a_subject_keeps_its_phone_when_the_field_is_left_empty() {
    let h = Harness::with_demo(5, 20).await;
    let s = h.login("district").await;
    let all = anpei_store::registry::subjects::list(
        h.store(),
        &anpei_store::Scope::district_wide(),
        &Default::default(),
        1,
        10,
    )
    .await
    .unwrap()
    .0;
    let subj = all
        .iter()
        .find(|r| r.contact_phone_masked.is_some())
        .expect("a subject with a phone");
    let town = subj.town_id.to_string();
    let industry = subj.industry.clone().unwrap_or_default();
    let r = h
        .post_form(
            Some(&s),
            &format!("/subjects/{}/edit", subj.id),
            &[
                ("uscc", &subj.uscc),
                ("name", "改名后的单位"),
                ("kind", &subj.kind),
                ("industry", &industry),
                ("town_id", &town),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = anpei_store::registry::subjects::get(
        h.store(),
        &anpei_store::Scope::district_wide(),
        subj.id,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(after.name, "改名后的单位");
    assert_eq!(after.contact_phone_masked, subj.contact_phone_masked);
    h.db.cleanup().await;
}

#[tokio::test]
async fn an_account_made_by_the_administrator_must_change_its_password_first() {
    let h = Harness::with_demo(5, 20).await;
    let admin = h.login("sysadmin").await;
    let town = h.district.subjects[0].town.clone();
    let weak = h
        .post_form(
            Some(&admin),
            "/admin/users",
            &[
                ("username", "zhang"),
                ("role", "town"),
                ("town", &town),
                ("password", "123"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("初始密码：密码至少8位"));
    let r = h
        .post_form(
            Some(&admin),
            "/admin/users",
            &[
                ("username", "zhang"),
                ("display_name", "张三"),
                ("role", "town"),
                ("town", &town),
                ("password", "Initial#2021"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("已创建账号 zhang"));
    assert!(r.body.contains("待改密码") && r.body.contains("待安全管理员授权"));
    // 三员分立: the security administrator grants the requested role first.
    let id = anpei_store::platform::accounts::find_user(h.store(), "zhang")
        .await
        .unwrap()
        .unwrap()
        .id;
    let sec = h.login("secadmin").await;
    let g = h
        .post_form(
            Some(&sec),
            &format!("/admin/grants/{id}"),
            &[("action", "approve")],
        )
        .await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.body);

    let zhang = h
        .try_login("zhang", "Initial#2021")
        .await
        .expect("the new account signs in");
    let blocked = h.get(Some(&zhang), "/subjects").await;
    assert_eq!(blocked.location(), "/account/password");
    let mismatch = h
        .post_form(
            Some(&zhang),
            "/account/password",
            &[
                ("current", "Initial#2021"),
                ("new", "Changed#2022"),
                ("confirm", "Changed#2023"),
            ],
        )
        .await;
    assert!(mismatch.body.contains("两次输入的新密码不一致"));
    let ok = h
        .post_form(
            Some(&zhang),
            "/account/password",
            &[
                ("current", "Initial#2021"),
                ("new", "Changed#2022"),
                ("confirm", "Changed#2022"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    // The old session ended with the change; the new password works and the pages open.
    assert!(h
        .get(Some(&zhang), "/subjects")
        .await
        .location()
        .starts_with("/login"));
    let again = h
        .try_login("zhang", "Changed#2022")
        .await
        .expect("new password works");
    let list = h.get(Some(&again), "/subjects").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(anpei_core::demo::DEMO_ENTERPRISE_NAME));
    h.db.cleanup().await;
}

#[tokio::test]
async fn the_audit_administrator_searches_the_log_and_verifies_the_chain() {
    let h = Harness::with_demo(20, 100).await;
    // A failed sign-in to find again.
    assert!(h.try_login("district", "Wrong#Pass1").await.is_err());
    let s = h.login("auditor").await;
    let r = h
        .get(Some(&s), "/admin/audit?action=login&failures=1")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("审计日志") && r.body.contains("district"),
        "{}",
        r.body
    );
    assert!(r.body.contains("失败"));
    // Filters narrow: no failures by the auditor himself.
    let r = h
        .get(Some(&s), "/admin/audit?username=auditor&failures=1")
        .await;
    assert!(r.body.contains("没有符合条件的记录"), "{}", r.body);
    // The shared pager asks with htmx for `#results` only.
    let req = axum::http::Request::get("/admin/audit?page=2")
        .header(axum::http::header::COOKIE, &s.cookie)
        .header("hx-request", "true")
        .body(axum::body::Body::empty())
        .unwrap();
    let r2 = h.send(req).await;
    assert_eq!(r2.status, StatusCode::OK);
    assert_eq!(r2.headers.get("hx-reselect").unwrap(), "#results");
    assert_eq!(r2.headers.get("hx-reswap").unwrap(), "outerHTML");
    let r = h.get(Some(&s), "/admin/audit?from=2020-13-01").await;
    assert!(r.body.contains("日期格式应为"));
    // Verify: intact, and the verification is itself recorded.
    let r = h.post_form(Some(&s), "/admin/audit/verify", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("哈希链完整"), "{}", r.body);
    let r = h.get(Some(&s), "/admin/audit?action=audit.verify").await;
    assert!(r.body.contains("audit.verify"));
    // Tamper with one entry behind the application's back (the trigger forbids UPDATE, so
    // drop it for the test as an attacker with the database file would).
    use anpei_store::testing::{access, execute_raw};
    let store = h.store();
    let postgres = h.db.pg_schema.is_some();
    let tamper = if postgres {
        vec![
            "ALTER TABLE audit_log DISABLE TRIGGER USER",
            "UPDATE audit_log SET detail = 'forged' WHERE id = 2",
            "ALTER TABLE audit_log ENABLE TRIGGER USER",
        ]
    } else {
        vec![]
    };
    if !postgres {
        let triggers = access::sqlite_triggers(store, "audit_log").await;
        assert!(!triggers.is_empty(), "the audit log is append-only");
        for t in triggers {
            execute_raw(store, &format!("DROP TRIGGER {t}"))
                .await
                .unwrap();
        }
        execute_raw(store, "UPDATE audit_log SET detail = 'forged' WHERE id = 2")
            .await
            .unwrap();
    }
    for sql in tamper {
        execute_raw(store, sql).await.unwrap();
    }
    let r = h.post_form(Some(&s), "/admin/audit/verify", &[]).await;
    assert!(r.body.contains("哈希链在第 2 条记录处断开"), "{}", r.body);
    // The system administrator does not read the audit log.
    let admin = h.login("sysadmin").await;
    assert_eq!(
        h.get(Some(&admin), "/admin/audit").await.status,
        StatusCode::FORBIDDEN
    );
    h.db.cleanup().await;
}

/// HEAD is answered like GET, under GET's permission: a public page answers, a signed-in
/// page still wants a session, and an undeclared method stays refused.
#[tokio::test]
async fn head_requests_follow_the_get_routes_permissions() {
    use axum::body::Body;
    use axum::http::{Method, Request};
    let h = Harness::with_demo(5, 5).await;
    let head = |path: &str| {
        Request::builder()
            .method(Method::HEAD)
            .uri(path)
            .body(Body::empty())
            .unwrap()
    };
    let r = h.send(head("/login")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_empty(), "HEAD has no body");
    let r = h.send(head("/subjects")).await;
    assert_ne!(r.status, StatusCode::OK, "a signed-in page wants a session");
    let r = h
        .send(
            Request::builder()
                .method(Method::PATCH)
                .uri("/login")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    h.db.cleanup().await;
}
