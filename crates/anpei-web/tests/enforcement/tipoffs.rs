//! 举报 (tip-offs): the public channel, intake, assignment, closing, feedback read back with
//! the receipt code, deadlines and extension, and the reporter's identity: shown to the
//! intake duty only, in no response to any other role, erased after the retention period.

use crate::common;

use anpei_store::enforcement::tipoffs::{self, INTAKE_GRANT};
use anpei_store::platform::audit::{self, Actor};
use anpei_store::testing::access;
use anpei_store::{platform::accounts, Store};
use axum::http::{header, StatusCode};
use common::{Harness, Reply, Session};

const REPORTER: &str = "举报人甲乙丙";
const CONTACT: &str = "13912345678";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR tip-off photo";

/// The action of every audit entry.
async fn audited_actions(store: &Store) -> Vec<String> {
    audit::latest(store, 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

/// The value of `id="…"`'s element text, for the one-line elements of these pages.
fn text_of(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let i = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in:\n{html}"))
        + marker.len();
    let rest = &html[i..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest.find('<').unwrap();
    rest[start..end].trim().to_string()
}

/// The public form's CSRF cookie and token, as a browser gets them.
async fn public_session(h: &Harness, path: &str) -> Session {
    let page = h.get(None, path).await;
    assert_eq!(page.status, StatusCode::OK);
    let cookie = page.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.contains("Path=/tipoff"), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let csrf = match page.body.find("/tipoff?_csrf=") {
        Some(i) => page.body[i + "/tipoff?_csrf=".len()..]
            .split('"')
            .next()
            .unwrap()
            .to_string(),
        None => common::hidden_csrf(&page.body).unwrap(),
    };
    Session {
        cookie: cookie.split(';').next().unwrap().to_string(),
        csrf,
    }
}

async fn submit_public(h: &Harness, fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Reply {
    let s = public_session(h, "/tipoff").await;
    h.post_multipart(Some(&s), &format!("/tipoff?_csrf={}", s.csrf), fields, file)
        .await
}

fn real_name_fields(subject: &str) -> Vec<(&str, &str)> {
    vec![
        ("category", "pass_guarantee"),
        ("subject_text", subject),
        (
            "description",
            "该机构举办“包过班”，收取高价培训费，承诺不用上课即可拿证，考试时有人代考。",
        ),
        ("reporter_name", REPORTER),
        ("reporter_contact", CONTACT),
    ]
}

async fn grant_intake(store: &Store, username: &str) {
    let u = accounts::find_user(store, username).await.unwrap().unwrap();
    tipoffs::set_grant(store, &Actor::system("test"), u.id, INTAKE_GRANT, true)
        .await
        .unwrap();
}

async fn status_query(h: &Harness, code: &str, password: &str) -> Reply {
    let s = public_session(h, "/tipoff/status").await;
    h.post_form(
        Some(&s),
        "/tipoff/status",
        &[("receipt_code", code), ("password", password)],
    )
    .await
}

#[tokio::test]
async fn a_public_tip_off_is_assigned_closed_and_followed_with_its_receipt_code() {
    let h = Harness::with_demo(40, 200).await;
    let subject = h.district.subjects[0].name.clone();
    let r = submit_public(&h, &real_name_fields(&subject), Some(("现场照片.png", PNG))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let code = text_of(&r.body, "receipt-code");
    let password = text_of(&r.body, "query-password");
    assert!(code.starts_with("JB20261124-"), "{code}");

    // Before anything happens, the reporter reads 已受理.
    let q = status_query(&h, &code, &password).await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.body);
    assert_eq!(text_of(&q.body, "status-label"), "已受理");
    let wrong = status_query(&h, &code, "wrong-password").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("受理编号或查询密码不正确"));

    // The intake duty sees the reporter, the matched subject and the photo.
    grant_intake(h.store(), "district").await;
    let district = h.login("district").await;
    let list = h.get(Some(&district), "/tipoffs").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&code));
    let row = access::tipoffs(h.store())
        .await
        .into_iter()
        .find(|t| t.receipt_code == code)
        .unwrap();
    assert!(row.subject_id.is_some(), "the named subject is matched");
    let detail = h
        .get(Some(&district), &format!("/tipoffs/{}", row.id))
        .await;
    assert!(detail.body.contains(REPORTER) && detail.body.contains(CONTACT));
    let photo_link = format!("/tipoffs/{}/files/", row.id);
    let i = detail.body.find(&photo_link).expect("the photo is listed");
    let href: String = detail.body[i..].split('"').next().unwrap().to_string();
    let photo = h.get(Some(&district), &href).await;
    assert_eq!(photo.status, StatusCode::OK);
    assert!(photo.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment"));

    // Assigned to the demo town; the town closes it with its result.
    let town_user = accounts::find_user(h.store(), "town")
        .await
        .unwrap()
        .unwrap();
    let town_scope = town_user.scope_town_id.unwrap();
    let a = h
        .post_form(
            Some(&district),
            &format!("/tipoffs/{}/assign", row.id),
            &[("to", &format!("town:{town_scope}"))],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let town = h.login("town").await;
    let tl = h.get(Some(&town), "/tipoffs").await;
    assert!(tl.body.contains(&code), "the town sees what it was given");
    let short = h
        .post_form(
            Some(&town),
            &format!("/tipoffs/{}/close", row.id),
            &[("substantiated", "yes"), ("result", "属实")],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("至少10个字"));
    let closed = h
        .post_form(
            Some(&town),
            &format!("/tipoffs/{}/close", row.id),
            &[
                ("substantiated", "yes"),
                (
                    "result",
                    "经现场核查，该机构确有压缩学时、承诺包过的行为，已立案调查。",
                ),
            ],
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    // The town cannot write to the reporter; the intake duty does.
    let tf = h
        .post_form(
            Some(&town),
            &format!("/tipoffs/{}/feedback", row.id),
            &[("text", "已查实并处理")],
        )
        .await;
    assert_eq!(tf.status, StatusCode::FORBIDDEN);
    let fb = h
        .post_form(
            Some(&district),
            &format!("/tipoffs/{}/feedback", row.id),
            &[(
                "text",
                "您举报的问题经核查属实，已依法立案处理。感谢您的监督。",
            )],
        )
        .await;
    assert_eq!(fb.status, StatusCode::SEE_OTHER);

    let q = status_query(&h, &code.to_lowercase(), &password).await;
    assert_eq!(text_of(&q.body, "status-label"), "已办结");
    assert!(text_of(&q.body, "status-feedback").contains("已依法立案处理"));
    // The reporter's page never shows internal results or the reporter.
    assert!(!q.body.contains("压缩学时") && !q.body.contains(REPORTER));

    // A town elsewhere and a department it was not given to see nothing of it.
    let dept = h.login("department").await;
    assert!(!h.get(Some(&dept), "/tipoffs").await.body.contains(&code));
    assert_eq!(
        h.get(Some(&dept), &format!("/tipoffs/{}", row.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Through the evidence route the photo follows the tip-off too: its viewers only, never
    // a subject's account (a reported company least of all).
    let file_id = href.rsplit('/').next().unwrap();
    let evidence = format!("/evidence/{file_id}");
    for (s, status) in [
        (&district, StatusCode::OK),
        (&town, StatusCode::OK),
        (&dept, StatusCode::NOT_FOUND),
        (&h.login("enterprise").await, StatusCode::NOT_FOUND),
    ] {
        let r = h.get(Some(s), &evidence).await;
        assert_eq!(r.status, status, "{}", r.body);
    }
    h.db.cleanup().await;
}

#[tokio::test]
async fn the_reporter_is_in_no_response_to_any_role_but_intake() {
    let h = Harness::with_demo(40, 200).await;
    let r = submit_public(&h, &real_name_fields("某培训机构"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body.contains(REPORTER), "not even echoed on the receipt");
    let row = access::tipoffs(h.store()).await.remove(0);
    // Encrypted at rest.
    assert!(row.reporter_name_enc.is_some());
    assert!(!String::from_utf8_lossy(row.reporter_name_enc.as_ref().unwrap()).contains(REPORTER));
    // Assigned to the demo department so that it sees the tip-off itself.
    grant_intake(h.store(), "district").await;
    let dept_user = accounts::find_user(h.store(), "department")
        .await
        .unwrap()
        .unwrap();
    tipoffs::assign(
        h.store(),
        &Actor::system("test"),
        tipoffs::Viewer::Intake,
        row.id,
        tipoffs::Assignee::Department(dept_user.scope_department_id.unwrap()),
    )
    .await
    .unwrap();
    // A second district account without the intake duty.
    let hash = accounts::hash_password("Anpei@2021");
    accounts::create_user(
        h.store(),
        &Actor::system("test"),
        accounts::NewUser {
            username: "district2".into(),
            display_name: "区应急局科员".into(),
            role: anpei_store::Role::District,
            scope: None,
            password_hash: hash,
            must_change_password: false,
        },
    )
    .await
    .unwrap();
    let paths = [
        "/tipoffs".to_string(),
        "/tipoffs?status=assigned".to_string(),
        format!("/tipoffs/{}", row.id),
        "/".to_string(),
        "/tipoff/status".to_string(),
    ];
    for user in [
        "district2",
        "department",
        "town",
        "enterprise",
        "sysadmin",
        "secadmin",
        "auditor",
    ] {
        let s = h.login(user).await;
        for p in &paths {
            let reply = h.get(Some(&s), p).await;
            assert!(
                !reply.body.contains(REPORTER) && !reply.body.contains(CONTACT),
                "{user} reads the reporter at {p}"
            );
        }
        // The API has no tip-offs at all.
        let token = h.api_token(user).await;
        for p in ["/api/v1/subjects", "/api/v1/findings"] {
            let reply = h.api_get(&token, p).await;
            assert!(!reply.body.contains(REPORTER), "{user} at {p}");
        }
    }
    let sub = h.login("enterprise").await;
    assert_eq!(
        h.get(Some(&sub), "/tipoffs").await.status,
        StatusCode::FORBIDDEN
    );
    let district = h.login("district").await;
    let d = h
        .get(Some(&district), &format!("/tipoffs/{}", row.id))
        .await;
    assert!(
        d.body.contains(REPORTER),
        "the intake duty reads the reporter"
    );
    // Every access audited; the reporter's read as its own action.
    let actions = audited_actions(h.store()).await;
    assert!(actions.iter().any(|a| a == "tipoff.read_reporter"));
    assert!(actions.iter().filter(|a| *a == "tipoff.read").count() >= 3);
    assert!(actions.iter().any(|a| a == "tipoff.list"));
    h.db.cleanup().await;
}

#[tokio::test]
async fn bad_input_is_refused_and_spam_is_held_back() {
    let h = Harness::with_demo(20, 50).await;
    let short = submit_public(
        &h,
        &[
            ("category", "other"),
            ("description", "太短"),
            ("anonymous", "1"),
        ],
        None,
    )
    .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short.body.contains("问题描述：至少10个字"),
        "{}",
        short.body
    );
    let nameless = submit_public(
        &h,
        &[
            ("category", "other"),
            (
                "description",
                "某公司特种作业人员无证上岗，多次提醒未整改。",
            ),
        ],
        None,
    )
    .await;
    assert!(nameless.body.contains("请选择匿名举报"));
    // A script renamed to .png is refused, and nothing is stored.
    let fake = submit_public(
        &h,
        &[
            ("category", "other"),
            (
                "description",
                "某公司特种作业人员无证上岗，多次提醒未整改。",
            ),
            ("anonymous", "1"),
        ],
        Some(("photo.png", b"<script>alert(1)</script>")),
    )
    .await;
    assert_eq!(fake.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(fake.body.contains("附件"), "{}", fake.body);
    assert_eq!(
        access::tipoffs(h.store()).await.len(),
        0,
        "nothing stored from refused forms"
    );
    // Without the form's CSRF token the post is refused.
    let s = public_session(&h, "/tipoff").await;
    let no_csrf = h
        .post_multipart(Some(&s), "/tipoff", &[("category", "other")], None)
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    // Five an hour from one address; the sixth waits.
    let ok_fields = [
        ("category", "no_certificate"),
        (
            "description",
            "某公司特种作业人员无证上岗，多次提醒未整改。",
        ),
        ("anonymous", "1"),
    ];
    // The refused forms above do not count: five real reports go through.
    for _ in 0..5 {
        let r = submit_public(&h, &ok_fields, None).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let sixth = submit_public(&h, &ok_fields, None).await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(sixth.headers.contains_key(header::RETRY_AFTER));
    // Everything typed is kept, the category included, and the page says when to retry.
    assert!(
        sixth.body.contains("某公司特种作业人员无证上岗"),
        "{}",
        sixth.body
    );
    assert!(sixth
        .body
        .contains("<option value=\"no_certificate\" selected>"));
    assert!(sixth.body.contains("分钟后再试") && sixth.body.contains("内容已保留"));
    assert_eq!(access::tipoffs(h.store()).await.len(), 5);
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_form_sent_twice_is_one_report_and_the_reporter_reads_back_what_he_reported() {
    let h = Harness::with_demo(20, 50).await;
    let s = public_session(&h, "/tipoff").await;
    let form = h.get(None, "/tipoff").await;
    let key = form
        .body
        .split("name=\"key\" value=\"")
        .nth(1)
        .and_then(|x| x.split('"').next())
        .expect("the form's one-time key")
        .to_string();
    let fields = [
        ("key", key.as_str()),
        ("category", "pass_guarantee"),
        ("subject_text", "某某安全培训学校"),
        (
            "description",
            "该学校承诺交钱包过，培训只上半天课，考试时有人递答案。",
        ),
        ("anonymous", "1"),
    ];
    let path = format!("/tipoff?_csrf={}", s.csrf);
    let first = h.post_multipart(Some(&s), &path, &fields, None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(first.body.contains("id=\"copy-receipt\"") && first.body.contains("data-print"));
    let code_of = |body: &str| {
        body.split("id=\"receipt-code\">")
            .nth(1)
            .and_then(|x| x.split('<').next())
            .unwrap()
            .to_string()
    };
    let password = first
        .body
        .split("id=\"query-password\">")
        .nth(1)
        .and_then(|x| x.split('<').next())
        .unwrap()
        .to_string();
    // A refresh, a second click: the same report, not a second one.
    let again = h.post_multipart(Some(&s), &path, &fields, None).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(
        again.body.contains("id=\"tipoff-duplicate\""),
        "{}",
        again.body
    );
    assert_eq!(code_of(&again.body), code_of(&first.body));
    assert!(
        !again.body.contains(&password),
        "the password is shown once"
    );
    assert_eq!(access::tipoffs(h.store()).await.len(), 1);
    // The status page, with the password in capitals, shows what was reported.
    let r = status_query(&h, &code_of(&first.body), &password.to_uppercase()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("包过班") || r.body.contains("包过"),
        "{}",
        r.body
    );
    assert!(r.body.contains("某某安全培训学校"));
    assert!(r.body.contains("id=\"status-summary\""));
    // A public error page offers the public's links.
    let missing = h.get(None, "/cases/999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.body.contains("href=\"/tipoff\""),
        "{}",
        missing.body
    );
    h.db.cleanup().await;
}

#[tokio::test]
async fn deadlines_extension_and_erasure_of_the_reporter_follow_the_clock() {
    let h = Harness::with_demo(20, 50).await;
    // Months pass in this test: passwords must not expire on the way.
    let mut policy = h.store().policy();
    policy.password.max_age_days = 0;
    h.store().set_policy(policy);
    grant_intake(h.store(), "district").await;
    let district = h.login("district").await;
    // Only the intake duty records hotline tip-offs.
    let town = h.login("town").await;
    assert_eq!(
        h.get(Some(&town), "/tipoffs/new").await.status,
        StatusCode::FORBIDDEN
    );
    let rec = h
        .post_form(
            Some(&district),
            "/tipoffs/new",
            &[
                ("channel", "hotline"),
                ("category", "exam_cheating"),
                ("subject_text", "某考试点"),
                (
                    "description",
                    "12350来电反映某考试点监考员离开考场，考生互相抄袭。",
                ),
                ("reporter_name", REPORTER),
                ("reporter_contact", CONTACT),
            ],
        )
        .await;
    assert_eq!(rec.status, StatusCode::OK, "{}", rec.body);
    let code = text_of(&rec.body, "receipt-code");
    let row = access::tipoffs(h.store()).await.remove(0);
    assert_eq!(row.channel, anpei_core::tipoff::Channel::Hotline);
    let path = format!("/tipoffs/{}/extend", row.id);
    let too_long = h
        .post_form(
            Some(&district),
            &path,
            &[
                ("days", "31"),
                ("approved_by", "张局长"),
                ("reason", "需要调取考场录像"),
            ],
        )
        .await;
    assert!(
        too_long.body.contains("延期天数应为 1 至 30 天"),
        "{}",
        too_long.body
    );
    let ok = h
        .post_form(
            Some(&district),
            &path,
            &[
                ("days", "30"),
                ("approved_by", "张局长"),
                ("reason", "需要调取考场录像"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let again = tipoffs::extend(
        h.store(),
        &Actor::system("test"),
        tipoffs::Viewer::Intake,
        row.id,
        5,
        "张局长",
        "再次延期的理由",
    )
    .await
    .unwrap_err();
    assert!(again.to_string().contains("一次"));

    // 60 + 30 days: on the 90th day it is still on time, on the 91st overdue.
    h.db.clock.advance(chrono::Duration::days(90));
    let c = tipoffs::counts(h.store(), tipoffs::Viewer::Intake)
        .await
        .unwrap();
    assert_eq!((c.open, c.overdue), (1, 0));
    h.db.clock.advance(chrono::Duration::days(1));
    let c = tipoffs::counts(h.store(), tipoffs::Viewer::Intake)
        .await
        .unwrap();
    assert_eq!((c.open, c.overdue), (1, 1));
    // (The session from before has long expired: sign in again.)
    let district = h.login("district").await;
    let list = h.get(Some(&district), "/tipoffs?overdue=1").await;
    assert!(list.body.contains(&code) && list.body.contains("超期"));

    tipoffs::close(
        h.store(),
        &Actor::system("test"),
        tipoffs::Viewer::Intake,
        row.id,
        "调取录像核实，监考员确有脱岗，已暂停其监考资格。",
        true,
    )
    .await
    .unwrap();
    // Kept for the retention period after closing, then erased (once).
    h.db.clock.advance(chrono::Duration::days(179));
    let n = tipoffs::erase_expired_reporters(h.store(), &Actor::system("job"))
        .await
        .unwrap();
    assert_eq!(n, 0);
    h.db.clock.advance(chrono::Duration::days(1));
    // The daily job erases it (and records how many in its run).
    let today = h.store().today();
    anpei_store::platform::jobs::daily_reminders(h.store(), today, "test")
        .await
        .unwrap();
    let run = access::job_runs(h.store()).await;
    assert!(
        run.iter().any(|r| r
            .outcome
            .as_deref()
            .unwrap_or("")
            .contains("reporters_erased=1")),
        "{run:?}"
    );
    let n = tipoffs::erase_expired_reporters(h.store(), &Actor::system("job"))
        .await
        .unwrap();
    assert_eq!(n, 0, "idempotent");
    let row = access::tipoffs(h.store())
        .await
        .into_iter()
        .find(|t| t.id == row.id)
        .unwrap();
    assert!(row.reporter_name_enc.is_none() && row.reporter_contact_enc.is_none());
    assert!(row.reporter_erased_at.is_some());
    assert!(row.result.is_some(), "the case itself is kept");
    let district = h.login("district").await;
    let d = h
        .get(Some(&district), &format!("/tipoffs/{}", row.id))
        .await;
    assert!(d.body.contains("保存期满，已删除"));
    assert!(!d.body.contains(REPORTER));
    h.db.cleanup().await;
}

#[tokio::test]
async fn only_district_accounts_take_the_intake_duty() {
    let h = Harness::with_demo(20, 50).await;
    let town = accounts::find_user(h.store(), "town")
        .await
        .unwrap()
        .unwrap();
    let err = tipoffs::set_grant(
        h.store(),
        &Actor::system("test"),
        town.id,
        INTAKE_GRANT,
        true,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("区级管理员"));
    let d = accounts::find_user(h.store(), "district")
        .await
        .unwrap()
        .unwrap();
    tipoffs::set_grant(
        h.store(),
        &Actor::system("secadmin"),
        d.id,
        INTAKE_GRANT,
        true,
    )
    .await
    .unwrap();
    assert!(tipoffs::has_grant(h.store(), d.id, INTAKE_GRANT)
        .await
        .unwrap());
    tipoffs::set_grant(
        h.store(),
        &Actor::system("secadmin"),
        d.id,
        INTAKE_GRANT,
        false,
    )
    .await
    .unwrap();
    assert!(!tipoffs::has_grant(h.store(), d.id, INTAKE_GRANT)
        .await
        .unwrap());
    let actions = audited_actions(h.store()).await;
    assert!(actions.contains(&"grant.add".to_string()));
    assert!(actions.contains(&"grant.remove".to_string()));
    // The security administrator grants it on the 角色授权 page; a town account cannot hold it.
    let sec = h.login("secadmin").await;
    let r = h
        .post_form(
            Some(&sec),
            &format!("/admin/grants/{}", d.id),
            &[("action", "intake_on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("已授予举报受理权限"));
    assert!(tipoffs::has_grant(h.store(), d.id, INTAKE_GRANT)
        .await
        .unwrap());
    let r = h
        .post_form(
            Some(&sec),
            &format!("/admin/grants/{}", town.id),
            &[("action", "intake_on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("只能授予区级管理员"));
    // Nobody else reaches the grants page.
    let district = h.login("district").await;
    let r = h
        .post_form(
            Some(&district),
            &format!("/admin/grants/{}", d.id),
            &[("action", "intake_off")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    h.db.cleanup().await;
}
