//! Account security (等保 2.0 三级): the security administrator's policy and grants, password history
//! and expiry, unmasking with a reason, and bulk exports of personal data — through the real app,
//! on SQLite or on the PostgreSQL of `ANPEI_TEST_DATABASE_URL`.

use crate::common;

use anpei_store::model::{AuditEntry, Person, User};
use anpei_store::platform::accounts;
use anpei_store::platform::audit::{self, Actor};
use anpei_store::platform::policy::SecurityPolicy;
use anpei_store::registry::persons::{self as ledger_persons, PersonFilter};
use anpei_store::testing::access;
use anpei_store::{platform::security, ConnectConfig, Store};
use axum::http::{header, StatusCode};
use common::{Harness, Reply, Session};

const DAY: i64 = 24 * 3600;

/// Audit entries of an action, newest first.
async fn audited(h: &Harness, action: &str) -> Vec<AuditEntry> {
    audit::latest(h.store(), 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .collect()
}

async fn account(h: &Harness, username: &str) -> User {
    accounts::find_user(h.store(), username)
        .await
        .unwrap()
        .unwrap()
}

/// The security administrator grants the role the system administrator requested.
async fn approve(h: &Harness, username: &str) -> Reply {
    let id = account(h, username).await.id;
    let sec = h.login("secadmin").await;
    let r = h
        .post_form(
            Some(&sec),
            &format!("/admin/grants/{id}"),
            &[("action", "approve")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r
}

/// The policy form as the page sends it, from a policy.
fn policy_fields(p: &SecurityPolicy) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("min_length", p.password.min_length.to_string()),
        ("min_classes", p.password.min_classes.to_string()),
        ("history", p.password.history.to_string()),
        ("max_age_days", p.password.max_age_days.to_string()),
        ("export_threshold", p.personal_export_threshold.to_string()),
    ];
    v.extend(p.mfa_roles.iter().map(|r| ("mfa", r.code().to_string())));
    v.extend(
        p.unmask_roles
            .iter()
            .map(|r| ("unmask", r.code().to_string())),
    );
    v.extend(
        p.personal_export_roles
            .iter()
            .map(|r| ("export_roles", r.code().to_string())),
    );
    v
}

async fn post_policy(h: &Harness, s: &Session, p: &SecurityPolicy) -> Reply {
    let fields = policy_fields(p);
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    h.post_form(Some(s), "/admin/security", &refs).await
}

async fn change_password(h: &Harness, s: &Session, current: &str, new: &str) -> Reply {
    h.post_form(
        Some(s),
        "/account/password",
        &[("current", current), ("new", new), ("confirm", new)],
    )
    .await
}

fn signed_out(r: &Reply) -> bool {
    r.status == StatusCode::SEE_OTHER && r.location().starts_with("/login")
}

#[tokio::test]
async fn the_security_administrator_edits_the_policy_it_is_audited_and_the_new_rule_applies() {
    let h = Harness::with_demo(5, 20).await;
    let sec = h.login("secadmin").await;
    let page = h.get(Some(&sec), "/admin/security").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("密码最小长度"));
    assert!(
        page.body.contains("默认值"),
        "every value's source is shown"
    );
    assert!(
        page.body.contains("/admin/grants"),
        "nav entry for the grants page"
    );

    // Out of bounds: refused with the setting named, nothing saved or in force.
    let mut bad = h.store().policy();
    bad.password.min_length = 4;
    let r = post_policy(&h, &sec, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("“密码最小长度”应在6到128位之间"),
        "{}",
        r.body
    );
    let mut bad = h.store().policy();
    bad.unmask_roles.push(anpei_store::Role::Auditor);
    let r = post_policy(&h, &sec, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("三员不接触业务数据"), "{}", r.body);
    let r = h
        .post_form(Some(&sec), "/admin/security", &[("min_length", "十二")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("“密码最小长度”应为整数"), "{}", r.body);
    assert_eq!(h.store().policy().password.min_length, 8);
    assert!(audited(&h, "policy.update").await.is_empty());

    // A valid change: audited old → new, in force at once, shown with its source.
    let mut p = h.store().policy();
    p.password.min_length = 12;
    let r = post_policy(&h, &sec, &p).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("安全策略已保存"));
    assert!(r.body.contains("密码最小长度：8位→12位"));
    assert!(r.body.contains("安全管理员设置") && r.body.contains("配置值：8位"));
    assert_eq!(h.store().policy().password.min_length, 12);
    let entries = audited(&h, "policy.update").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].username, "secadmin");
    assert_eq!(entries[0].detail, "密码最小长度：8位→12位");
    // Saving the same again changes and audits nothing.
    let r = post_policy(&h, &sec, &p).await;
    assert!(r.body.contains("没有变化"));
    assert_eq!(audited(&h, "policy.update").await.len(), 1);

    // The new rule applies to users: shown on the password page and enforced.
    let district = h.login("district").await;
    let form = h.get(Some(&district), "/account/password").await;
    assert!(form.body.contains("至少12位"), "{}", form.body);
    let r = change_password(
        &h,
        &district,
        anpei_store::demo::DEMO_PASSWORD,
        "Abcdef#123",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("密码至少12位（当前10位）"), "{}", r.body);
    let r = change_password(
        &h,
        &district,
        anpei_store::demo::DEMO_PASSWORD,
        "Abcdef#123456",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // Nobody else reaches the policy.
    for who in ["sysadmin", "auditor", "town"] {
        let s = h.login(who).await;
        assert_eq!(
            h.get(Some(&s), "/admin/security").await.status,
            StatusCode::FORBIDDEN
        );
    }

    // After a restart: the configured baseline, the saved settings laid over it; a value
    // the administrator never changed follows the configuration.
    let again = Store::connect(
        &ConnectConfig {
            url: h.db.url.clone(),
            pg_schema: h.db.pg_schema.clone(),
            max_connections: Some(2),
            read_url: None,
        },
        h.store().crypto.clone(),
        anpei_core::Params::default(),
        h.store().clock.clone(),
    )
    .await
    .unwrap();
    let mut configured = SecurityPolicy::default();
    configured.password.history = 3;
    again.set_policy(configured);
    let in_force = security::apply_saved_policy(&again).await.unwrap();
    assert_eq!(in_force.password.min_length, 12, "saved setting");
    assert_eq!(in_force.password.history, 3, "configured setting");
    assert_eq!(again.policy(), in_force);
    again.close().await.ok();
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_new_password_may_not_be_one_of_the_last_five() {
    let h = Harness::with_demo(3, 10).await;
    let actor = Actor::system("test");
    let pws = [
        "History#2021a",
        "History#2021b",
        "History#2021c",
        "History#2021d",
        "History#2021e",
    ];
    for pw in pws {
        accounts::set_password(h.store(), &actor, "town", pw)
            .await
            .unwrap();
    }
    // The current one and the four before it are the last five.
    for pw in pws {
        let e = accounts::set_password(h.store(), &actor, "town", pw)
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "新密码不能与最近5次使用过的密码相同", "{pw}");
    }
    // The demo password is the sixth from last: allowed again.
    accounts::set_password(h.store(), &actor, "town", anpei_store::demo::DEMO_PASSWORD)
        .await
        .unwrap();

    // Through the page, with the rule named.
    let s = h.login("town").await;
    let r = change_password(&h, &s, anpei_store::demo::DEMO_PASSWORD, pws[4]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("新密码不能与最近5次使用过的密码相同"));
    assert!(r
        .body
        .contains("不能与最近5次使用过的密码相同；每90天须修改一次"));

    // A smaller history lets an older one back.
    let mut p = h.store().policy();
    p.password.history = 2;
    h.store().set_policy(p);
    accounts::set_password(h.store(), &actor, "town", pws[2])
        .await
        .unwrap();
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_password_expires_after_ninety_days_and_not_at_eighty_nine() {
    let h = Harness::with_demo(3, 10).await;
    h.db.clock.advance(chrono::Duration::seconds(89 * DAY));
    let s = h.login("district").await;
    assert_eq!(h.get(Some(&s), "/subjects").await.status, StatusCode::OK);

    h.db.clock.advance(chrono::Duration::seconds(DAY));
    let s = h.login("district").await;
    let r = h.get(Some(&s), "/subjects").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/account/password");
    let page = h.get(Some(&s), "/account/password").await;
    assert!(
        page.body.contains("密码已超过90天未修改，请修改后继续"),
        "{}",
        page.body
    );
    // The API is closed too until the change.
    let token = h.api_token("district").await;
    assert_eq!(
        h.api_get(&token, "/api/v1/subjects").await.status,
        StatusCode::FORBIDDEN
    );

    let r = change_password(&h, &s, anpei_store::demo::DEMO_PASSWORD, "Renewed#2027").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The change ended the other sessions (the API token too) and opened the pages.
    assert_eq!(
        h.api_get(&token, "/api/v1/subjects").await.status,
        StatusCode::UNAUTHORIZED
    );
    let s = h
        .try_login("district", "Renewed#2027")
        .await
        .expect("new password");
    assert_eq!(h.get(Some(&s), "/subjects").await.status, StatusCode::OK);

    // The policy's age, not a constant: 30 days now.
    let mut p = h.store().policy();
    p.password.max_age_days = 30;
    h.store().set_policy(p);
    h.db.clock.advance(chrono::Duration::seconds(30 * DAY));
    let s = h.try_login("district", "Renewed#2027").await.unwrap();
    let page = h.get(Some(&s), "/account/password").await;
    assert!(page.body.contains("密码已超过30天未修改"));
    h.db.cleanup().await;
}

#[tokio::test]
async fn an_account_made_on_the_web_changes_its_password_first_one_made_by_the_operator_does_not() {
    let h = Harness::with_demo(3, 10).await;
    let admin = h.login("sysadmin").await;
    let town = h.district.subjects[0].town.clone();
    let r = h
        .post_form(
            Some(&admin),
            "/admin/users",
            &[
                ("username", "wang"),
                ("role", "town"),
                ("town", &town),
                ("password", "Initial#2021"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(account(&h, "wang").await.must_change_password);
    approve(&h, "wang").await;
    let s = h.try_login("wang", "Initial#2021").await.unwrap();
    assert_eq!(h.get(Some(&s), "/").await.location(), "/account/password");
    let page = h.get(Some(&s), "/account/password").await;
    assert!(page.body.contains("首次登录须先修改密码"));
    // The initial password is in the history: it cannot be kept.
    let r = change_password(&h, &s, "Initial#2021", "Initial#2021").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // `anpei user add` (the operator on the server) creates the account as the CLI does:
    // a final password (tests/security_cli.rs of anpei-cli drives the binary itself).
    assert!(!account(&h, "district").await.must_change_password);
    let s = h.login("district").await;
    assert_eq!(h.get(Some(&s), "/subjects").await.status, StatusCode::OK);
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_district_account_made_by_the_system_administrator_reaches_no_data_until_granted() {
    let h = Harness::with_demo(5, 20).await;
    let admin = h.login("sysadmin").await;
    let r = h
        .post_form(
            Some(&admin),
            "/admin/users",
            &[
                ("username", "Li.Si"),
                ("display_name", "李四"),
                ("role", "district"),
                ("password", "Initial#2021"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("已创建账号 li.si") && r.body.contains("待安全管理员授权"));
    let li = account(&h, "li.si").await;
    assert!(li.awaiting_grant);
    assert_eq!(
        anpei_store::testing::scope_of(&li).reach(),
        anpei_store::Reach::Nothing
    );
    let created = audited(&h, "user.create").await;
    assert!(created[0].detail.contains("待安全管理员授权"));

    // The right password is told why; a wrong one gets the usual answer.
    let refused = h.try_login("li.si", "Initial#2021").await.unwrap_err();
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body.contains("该账号尚待安全管理员授权"),
        "{}",
        refused.body
    );
    assert!(
        !refused.headers.contains_key(header::SET_COOKIE) || {
            let c = refused
                .headers
                .get(header::SET_COOKIE)
                .unwrap()
                .to_str()
                .unwrap();
            !c.starts_with("anpei_session=")
        }
    );
    let wrong = h.try_login("li.si", "Wrong#2021x").await.unwrap_err();
    assert!(!wrong.body.contains("尚待安全管理员授权"));
    // Nor through the API.
    let body = serde_json::json!({ "username": "li.si", "password": "Initial#2021" });
    let req = axum::http::Request::post("/api/v1/auth/token")
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    assert_eq!(h.send(req).await.status, StatusCode::UNAUTHORIZED);
    // A session made behind the sign-in's back reaches nothing either.
    let s = accounts::create_session(h.store(), li.id, "web", "t")
        .await
        .unwrap();
    let forged = Session {
        cookie: format!("anpei_session={}", s.token),
        csrf: s.csrf_token,
    };
    assert!(signed_out(&h.get(Some(&forged), "/subjects").await));
    let logins = audited(&h, "login").await;
    assert!(logins
        .iter()
        .any(|e| e.result == "failed" && e.detail == "AwaitingGrant"));

    // The system administrator cannot grant it himself.
    let path = format!("/admin/grants/{}", li.id);
    let r = h
        .post_form(Some(&admin), &path, &[("action", "approve")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(account(&h, "li.si").await.awaiting_grant);

    // The security administrator is told, sees the request and grants it; audited.
    let sec = h.login("secadmin").await;
    let inbox = h.get(Some(&sec), "/inbox").await;
    assert!(inbox.body.contains("账号 li.si 待授权"), "{}", inbox.body);
    let page = h.get(Some(&sec), "/admin/grants").await;
    assert!(page.body.contains("待授权") && page.body.contains("授予申请的角色（区级管理员）"));
    let r = approve(&h, "li.si").await;
    assert!(r.body.contains("该账号现在可以登录"), "{}", r.body);
    assert!(!account(&h, "li.si").await.awaiting_grant);
    let grants = audited(&h, "grant.role").await;
    assert_eq!(grants[0].object, "user:li.si");
    assert!(grants[0].detail.contains("awaiting_grant: true→false"));

    // Now it signs in (typed as it was first written), changes its password, sees the district.
    let s = h.try_login("Li.Si", "Initial#2021").await.unwrap();
    assert_eq!(
        h.get(Some(&s), "/subjects").await.location(),
        "/account/password"
    );
    let r = change_password(&h, &s, "Initial#2021", "Changed#2022").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let s = h.try_login("li.si", "Changed#2022").await.unwrap();
    let list = h.get(Some(&s), "/subjects").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(anpei_core::demo::DEMO_ENTERPRISE_NAME));
    h.db.cleanup().await;
}

#[tokio::test]
async fn the_account_form_refuses_invisible_and_look_alike_usernames() {
    let h = Harness::with_demo(3, 10).await;
    let admin = h.login("sysadmin").await;
    let town = h.district.subjects[0].town.clone();
    let create = |name: String| {
        let (h, admin, town) = (&h, &admin, town.clone());
        async move {
            h.post_form(
                Some(admin),
                "/admin/users",
                &[
                    ("username", name.as_str()),
                    ("role", "town"),
                    ("town", town.as_str()),
                    ("password", "Initial#2021"),
                ],
            )
            .await
        }
    };
    for (bad, named) in [
        ("town\u{200b}", "U+200B"),
        ("\u{430}dmin", "U+0430"),
        ("zhang san", "空格"),
    ] {
        let r = create(bad.to_string()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(
            r.body.contains(named) && r.body.contains("用户名须为2至32位"),
            "{bad}: {}",
            r.body
        );
    }
    // Full-width letters are folded, and then the name is taken.
    let r = create("ｔｏｗｎ".into()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("用户名“town”已存在"), "{}", r.body);
    let r = create("Ｚｈａｏ".into()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("已创建账号 zhao"));
    h.db.cleanup().await;
}

#[tokio::test]
async fn the_system_administrator_cannot_create_or_grant_administrator_roles() {
    let h = Harness::with_demo(3, 10).await;
    let admin = h.login("sysadmin").await;
    let form = h.get(Some(&admin), "/admin/users").await;
    for code in ["sysadmin", "secadmin", "auditor"] {
        assert!(
            !form.body.contains(&format!("<option value=\"{code}\"")),
            "{code} offered"
        );
    }
    assert!(form.body.contains("<option value=\"town\""));
    for code in ["sysadmin", "secadmin", "auditor"] {
        let name = format!("new_{code}");
        let r = h
            .post_form(
                Some(&admin),
                "/admin/users",
                &[
                    ("username", &name),
                    ("role", code),
                    ("password", "Initial#2021"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{code}");
        assert!(r.body.contains("只能由安全管理员授予"));
        assert!(accounts::find_user(h.store(), &name)
            .await
            .unwrap()
            .is_none());
    }
    let refused = audited(&h, "user.create").await;
    assert_eq!(
        refused.iter().filter(|e| e.result == "failed").count(),
        3,
        "each attempt is audited"
    );
    // Nor through the grants page.
    let town = account(&h, "town").await;
    let r = h
        .post_form(
            Some(&admin),
            &format!("/admin/grants/{}", town.id),
            &[("action", "role"), ("role", "sysadmin")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(account(&h, "town").await.role, "town");
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_role_change_is_audited_and_ends_that_users_sessions() {
    let h = Harness::with_demo(5, 20).await;
    let sec = h.login("secadmin").await;
    let town_session = h.login("town").await;
    let town_token = h.api_token("town").await;
    let town = account(&h, "town").await;
    let page = h.get(Some(&sec), "/admin/grants").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("角色授权") && page.body.contains(">town<"));
    // The two-factor column shows once two-factor sign-in has its table.
    let mfa = security::mfa_enrolled(h.store()).await.unwrap();
    assert_eq!(page.body.contains("<th>两步验证</th>"), mfa.is_some());
    if let Some(enrolled) = mfa {
        assert!(enrolled.is_empty() && page.body.contains("未启用"));
    }

    // A bad scope is named, nothing changes.
    let path = format!("/admin/grants/{}", town.id);
    let r = h
        .post_form(
            Some(&sec),
            &path,
            &[("action", "role"), ("role", "town"), ("scope", "不存在镇")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("镇街“不存在镇”不存在"));
    assert_eq!(
        h.get(Some(&town_session), "/subjects").await.status,
        StatusCode::OK
    );

    let r = h
        .post_form(
            Some(&sec),
            &path,
            &[("action", "role"), ("role", "district")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("已将账号 town 的角色改为区级管理员"));
    let after = account(&h, "town").await;
    assert_eq!(after.role, "district");
    assert_eq!(after.scope_town_id, None);
    assert!(signed_out(&h.get(Some(&town_session), "/subjects").await));
    assert_eq!(
        h.api_get(&town_token, "/api/v1/subjects").await.status,
        StatusCode::UNAUTHORIZED
    );
    let e = &audited(&h, "grant.role").await[0];
    assert_eq!((e.result.as_str(), e.object.as_str()), ("ok", "user:town"));
    assert!(e.detail.starts_with("town→district"), "{}", e.detail);

    // The security administrator grants an administrator's role: exactly one role held.
    let dep = account(&h, "department").await;
    let r = h
        .post_form(
            Some(&sec),
            &format!("/admin/grants/{}", dep.id),
            &[("action", "role"), ("role", "auditor")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let dep = account(&h, "department").await;
    assert_eq!(dep.role, "auditor");
    assert_eq!(
        anpei_store::testing::scope_of(&dep).reach(),
        anpei_store::Reach::Nothing,
        "no business data"
    );
    h.db.cleanup().await;
}

#[tokio::test]
async fn nobody_changes_their_own_role_or_status() {
    let h = Harness::with_demo(3, 10).await;
    let sec = h.login("secadmin").await;
    let me = account(&h, "secadmin").await;
    let path = format!("/admin/grants/{}", me.id);
    let page = h.get(Some(&sec), "/admin/grants").await;
    assert!(page.body.contains("本人账号"));
    for fields in [
        vec![("action", "role"), ("role", "district")],
        vec![("action", "disable")],
    ] {
        let r = h.post_form(Some(&sec), &path, &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{fields:?}");
        assert!(r.body.contains("不能修改自己的角色或账号状态"));
    }
    let me = account(&h, "secadmin").await;
    assert_eq!((me.role.as_str(), me.active), ("secadmin", true));
    assert_eq!(
        h.get(Some(&sec), "/admin/grants").await.status,
        StatusCode::OK
    );
    let refused: Vec<_> = audit::latest(h.store(), 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("grant.") && e.result == "failed")
        .collect();
    assert_eq!(refused.len(), 2);
    h.db.cleanup().await;
}

#[tokio::test]
async fn the_security_administrator_disables_enables_and_unlocks_accounts() {
    let h = Harness::with_demo(3, 10).await;
    let sec = h.login("secadmin").await;
    let town = account(&h, "town").await;
    let path = format!("/admin/grants/{}", town.id);
    let s = h.login("town").await;
    let r = h
        .post_form(Some(&sec), &path, &[("action", "disable")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(signed_out(&h.get(Some(&s), "/subjects").await));
    assert!(h
        .try_login("town", anpei_store::demo::DEMO_PASSWORD)
        .await
        .is_err());
    let r = h
        .post_form(Some(&sec), &path, &[("action", "enable")])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    h.login("town").await;

    for _ in 0..5 {
        let _ = h.try_login("department", "wrong-password").await;
    }
    assert!(h
        .try_login("department", anpei_store::demo::DEMO_PASSWORD)
        .await
        .is_err());
    let page = h.get(Some(&sec), "/admin/grants").await;
    assert!(page.body.contains("已锁定") && page.body.contains("解除锁定"));
    let dep = account(&h, "department").await;
    let r = h
        .post_form(
            Some(&sec),
            &format!("/admin/grants/{}", dep.id),
            &[("action", "unlock")],
        )
        .await;
    assert!(r.body.contains("已解除账号 department 的锁定"));
    h.login("department").await;
    for action in ["grant.disable", "grant.enable", "grant.unlock"] {
        assert_eq!(audited(&h, action).await.len(), 1, "{action}");
    }
    h.db.cleanup().await;
}

/// A person of the town user's town and one of another town.
async fn persons_in_and_out(h: &Harness) -> (Person, Person) {
    let town = account(h, "town").await;
    let scope = anpei_store::testing::scope_of(&town);
    let visible = visible_persons(h, &scope).await;
    let all = access::persons(h.store()).await;
    let inside = all
        .iter()
        .find(|p| p.phone_enc.is_some() && visible.contains(&p.id))
        .expect("a person with a phone in the town")
        .clone();
    let outside = all
        .into_iter()
        .find(|p| !visible.contains(&p.id))
        .expect("a person elsewhere");
    (inside, outside)
}

/// The ids of the persons on the ledgers `scope` sees.
async fn visible_persons(h: &Harness, scope: &anpei_store::Scope) -> Vec<i32> {
    ledger_persons::list(h.store(), scope, &PersonFilter::default(), 1, 1_000_000)
        .await
        .unwrap()
        .0
        .into_iter()
        .map(|p| p.id)
        .collect()
}

#[tokio::test]
async fn unmasking_needs_a_reason_shows_the_number_once_and_is_audited() {
    let h = Harness::with_demo(20, 120).await;
    let (p, _) = persons_in_and_out(&h).await;
    let full_id = h.store().crypto.decrypt(&p.id_enc).unwrap();
    let full_phone = h
        .store()
        .crypto
        .decrypt(p.phone_enc.as_ref().unwrap())
        .unwrap();
    let s = h.login("town").await;
    let page_path = format!("/persons/{}", p.id);
    let path = format!("/persons/{}/unmask", p.id);
    let page = h.get(Some(&s), &page_path).await;
    assert!(page.body.contains("查看完整号码"));
    assert!(!page.body.contains(&full_id));

    for reason in ["", "核实"] {
        let r = h
            .post_form(
                Some(&s),
                &path,
                &[("field", "id_number"), ("reason", reason)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("至少5个字"), "{}", r.body);
        assert!(!r.body.contains(&full_id));
    }
    assert!(audited(&h, "person.unmask").await.is_empty());

    let r = h
        .post_form(
            Some(&s),
            &path,
            &[("field", "id_number"), ("reason", "核实证书持有人身份")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(&full_id));
    assert!(!r.body.contains(&full_phone), "only the number asked for");
    assert_eq!(
        r.headers.get(header::CACHE_CONTROL).unwrap(),
        "no-store",
        "never cached"
    );
    let e = &audited(&h, "person.unmask").await[0];
    assert_eq!(e.username, "town");
    assert_eq!(e.object, format!("person:{}", p.id));
    assert_eq!(e.result, "ok");
    assert_eq!(e.detail, "field=id_number; reason=核实证书持有人身份");
    assert!(
        !e.detail.contains(&full_id),
        "the number itself is not logged"
    );

    let r = h
        .post_form(
            Some(&s),
            &path,
            &[("field", "phone"), ("reason", "联系本人核实培训记录")],
        )
        .await;
    assert!(r.body.contains(&full_phone));
    assert_eq!(audited(&h, "person.unmask").await.len(), 2);

    // Once: the page itself stays masked.
    let page = h.get(Some(&s), &page_path).await;
    assert!(!page.body.contains(&full_id) && !page.body.contains(&full_phone));
    // Without the CSRF token: refused.
    let no_csrf = Session {
        csrf: String::new(),
        ..s.clone()
    };
    let r = h
        .post_form(
            Some(&no_csrf),
            &path,
            &[("field", "id_number"), ("reason", "核实证书持有人身份")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.body.contains(&full_id));
    h.db.cleanup().await;
}

#[tokio::test]
async fn unmasking_outside_the_scope_is_not_found_and_a_role_without_the_permission_is_refused() {
    let h = Harness::with_demo(20, 120).await;
    let (inside, outside) = persons_in_and_out(&h).await;
    let reason = [("field", "id_number"), ("reason", "核实证书持有人身份")];
    let s = h.login("town").await;
    let r = h
        .post_form(
            Some(&s),
            &format!("/persons/{}/unmask", outside.id),
            &reason,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(audited(&h, "person.unmask").await.is_empty());

    // An enterprise user (not in unmask_roles by default) sees no control and gets 403.
    let enterprise = h.login("enterprise").await;
    let own = anpei_store::testing::scope_of(&account(&h, "enterprise").await);
    let mine = ledger_persons::list(h.store(), &own, &PersonFilter::default(), 1, 1)
        .await
        .unwrap()
        .0
        .remove(0);
    let page = h
        .get(Some(&enterprise), &format!("/persons/{}", mine.id))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("查看完整号码"));
    let r = h
        .post_form(
            Some(&enterprise),
            &format!("/persons/{}/unmask", mine.id),
            &reason,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let e = &audited(&h, "person.unmask").await[0];
    assert_eq!(
        (e.username.as_str(), e.result.as_str()),
        ("enterprise", "failed")
    );

    // The policy decides: without the town role, the town user is refused too.
    let mut p = h.store().policy();
    p.unmask_roles = vec![anpei_store::Role::District];
    h.store().set_policy(p);
    let path = format!("/persons/{}", inside.id);
    assert!(!h.get(Some(&s), &path).await.body.contains("查看完整号码"));
    let r = h
        .post_form(Some(&s), &format!("{path}/unmask"), &reason)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let district = h.login("district").await;
    let r = h
        .post_form(Some(&district), &format!("{path}/unmask"), &reason)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_bulk_export_of_personal_data_needs_the_permission_above_the_threshold() {
    let h = Harness::with_demo(20, 150).await;
    let district = h.login("district").await;
    let r = h.post_form(Some(&district), "/findings/scan", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let town_user = account(&h, "town").await;
    let town_rows = anpei_store::ledger::findings::all(
        h.store(),
        &anpei_store::testing::scope_of(&town_user),
        &anpei_store::ledger::findings::FindingFilter {
            status: Some("open".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .len();
    assert!(town_rows >= 2, "the town has findings to export");

    let mut p = h.store().policy();
    p.personal_export_threshold = town_rows - 1;
    h.store().set_policy(p.clone());
    let town = h.login("town").await;
    let r = h.get(Some(&town), "/findings/export").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("缩小筛选范围"), "{}", r.body);
    assert!(r.body.contains(&format!("个人信息{town_rows}条")));
    let e = &audited(&h, "export.findings").await[0];
    assert_eq!(e.result, "failed");
    assert!(e.detail.contains(&format!("rows={town_rows}")));

    // The district may (personal_export_roles), and is audited with the counts.
    let r = h.get(Some(&district), "/findings/export").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let e = &audited(&h, "export.findings").await[0];
    assert_eq!((e.username.as_str(), e.result.as_str()), ("district", "ok"));
    assert!(e.detail.starts_with("rows="), "{}", e.detail);

    // At the threshold, or with a narrower filter, the town exports.
    p.personal_export_threshold = town_rows;
    h.store().set_policy(p);
    let r = h.get(Some(&town), "/findings/export").await;
    assert_eq!(r.status, StatusCode::OK);
    let e = &audited(&h, "export.findings").await[0];
    assert_eq!(e.detail, format!("rows={town_rows} personal={town_rows}"));
    h.db.cleanup().await;
}
