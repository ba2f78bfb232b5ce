//! A city of three districts on one installation: the city's account sees every district
//! and drills down district → town; a district's account sees, counts and opens only its
//! own district (another district's progress, towns, subjects and sheets answer 404); a
//! town's only its town.

use crate::common::Harness;
use anpei_core::demo::DemoConfig;
use anpei_store::demo::{self, DemoAccount};
use anpei_store::registry::reference;
use anpei_store::testing::access;
use anpei_store::{Role, Scope};
use axum::http::StatusCode;

async fn city() -> Harness {
    let h = Harness::with_demo(20, 120).await;
    let cfg = DemoConfig {
        seed: 7,
        subjects: 20,
        persons: 120,
        as_of: h.store().today(),
    };
    let names = demo::load_other_districts(h.store(), &cfg, 3)
        .await
        .unwrap();
    assert_eq!(names.len(), 2);
    let mut accounts = vec![DemoAccount {
        username: "city".into(),
        role: Role::City,
        scope: String::new(),
    }];
    accounts.push(DemoAccount {
        username: "district2".into(),
        role: Role::District,
        scope: names[0].clone(),
    });
    demo::create_accounts(h.store(), &accounts).await.unwrap();
    demo::campaign::load_demo(h.store(), &h.district)
        .await
        .unwrap();
    h
}

/// The districts, and for each its towns' and subjects' ids.
async fn places(h: &Harness) -> Vec<(i32, String, Vec<i32>, Vec<i32>)> {
    let all = Scope::district_wide();
    let towns = reference::towns(h.store(), &all).await.unwrap();
    let subjects = access::subjects(h.store()).await;
    reference::districts(h.store(), &all)
        .await
        .unwrap()
        .into_iter()
        .map(|d| {
            let t: Vec<i32> = towns
                .iter()
                .filter(|t| t.district_id == d.id)
                .map(|t| t.id)
                .collect();
            let s = subjects
                .iter()
                .filter(|s| t.contains(&s.town_id))
                .map(|s| s.id)
                .collect();
            (d.id, d.name, t, s)
        })
        .collect()
}

#[tokio::test]
async fn the_city_drills_down_and_a_district_sees_only_its_own() {
    let h = city().await;
    let p = places(&h).await;
    assert_eq!(p.len(), 3);
    assert_eq!(p[0].1, "渝北区");
    let (yubei, other) = (&p[0], &p[1]);

    // The city: one line per district, each a link to its own progress.
    let city = h.login("city").await;
    let r = h.get(Some(&city), "/progress").await;
    assert_eq!(r.status, StatusCode::OK);
    let table = r.body.split("id=\"progress-by-district\"").nth(1).unwrap();
    // Over three districts the towns' names repeat: the city reads districts only.
    assert!(!r.body.contains("id=\"progress-by-town\""));
    for (id, name, _, _) in &p {
        assert!(table.contains(name.as_str()), "{name} missing");
        assert!(
            table.contains(&format!("district={id}")),
            "{name} not linked"
        );
    }
    let r = h
        .get(Some(&city), &format!("/progress?district={}", other.0))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(&format!("工作进度 · {}", other.1)));
    assert!(r.body.contains("城关镇"), "the district's towns are listed");
    let r = h
        .get(Some(&city), &format!("/progress?town={}", other.2[0]))
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // Coverage rolls up the same way: by district, then the district's towns.
    let r = h.get(Some(&city), "/enforcement/coverage").await;
    assert_eq!(r.status, StatusCode::OK);
    let table = r.body.split("id=\"coverage-by-district\"").nth(1).unwrap();
    for (id, name, _, _) in &p {
        assert!(table.contains(name.as_str()), "{name} missing");
        assert!(table.contains(&format!("district={id}")));
    }
    assert!(!r.body.contains("id=\"coverage-by-town\""));
    let r = h
        .get(
            Some(&city),
            &format!("/enforcement/coverage?district={}", other.0),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(&format!("执法检查覆盖率（{}）", other.1)));
    let towns = r.body.split("id=\"coverage-by-town\"").nth(1).unwrap();
    assert!(towns.contains("城关镇") && !towns.contains("龙兴镇"));

    // 渝北区's account: its own district, nothing of the other.
    let d1 = h.login("district").await;
    for path in [
        format!("/progress?district={}", other.0),
        format!("/progress?town={}", other.2[0]),
        format!("/progress/subjects?town={}", other.2[0]),
        format!("/subjects/{}", other.3[0]),
        format!("/supervision/towns/{}", other.2[0]),
        format!("/enforcement/coverage?district={}", other.0),
    ] {
        let r = h.get(Some(&d1), &path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "district user got {path}");
    }
    let r = h.get(Some(&d1), "/progress").await;
    assert!(!r.body.contains("progress-by-district"));
    assert!(!r.body.contains(other.1.as_str()));
    let token = h.api_token("district").await;
    let r = h.api_get(&token, "/api/v1/subjects?per_page=1").await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["total"].as_u64(), Some(yubei.3.len() as u64));

    // The other district's account: the mirror image.
    let d2 = h.login("district2").await;
    let r = h.get(Some(&d2), &format!("/subjects/{}", yubei.3[0])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h.get(Some(&d2), &format!("/subjects/{}", other.3[0])).await;
    assert_eq!(r.status, StatusCode::OK);
    let token = h.api_token("district2").await;
    let r = h.api_get(&token, "/api/v1/subjects?per_page=1").await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["total"].as_u64(), Some(other.3.len() as u64));

    // 渝北区's town: its own town only.
    let town = h.login("town").await;
    let r = h
        .get(Some(&town), &format!("/progress?town={}", other.2[0]))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_town_name_two_districts_share_is_placed_by_its_district() {
    let h = city().await;
    let p = places(&h).await;
    let store = h.store();
    // Both generated districts have a 城关镇: the account needs the district to name it.
    let nu = |scope: &str| anpei_store::platform::accounts::NewUser {
        username: format!("t{}", scope.len()),
        display_name: String::new(),
        role: Role::Town,
        scope: Some(scope.into()),
        password_hash: "x".into(),
        must_change_password: false,
    };
    let actor = anpei_store::platform::audit::Actor::system("test");
    let err = anpei_store::platform::accounts::create_user(store, &actor, nu("城关镇"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("请写成“区县/城关镇”"), "{err}");
    let u = anpei_store::platform::accounts::create_user(
        store,
        &actor,
        nu(&format!("{}/城关镇", p[2].1)),
    )
    .await
    .unwrap();
    assert!(p[2].2.contains(&u.scope_town_id.unwrap()));
    h.db.cleanup().await;
}

/// The city's intake hands a tip-off to a district (转交); that district's office, and no
/// other, then sees it and hands it to one of its own towns, never to another district's.
#[tokio::test]
async fn the_city_hands_a_tip_off_to_a_district_which_hands_it_to_its_own_town() {
    use anpei_store::enforcement::tipoffs;
    use anpei_store::platform::accounts;
    use anpei_store::platform::audit::Actor;
    let h = city().await;
    let p = places(&h).await;
    let (yubei, other) = (&p[0], &p[1]);
    let store = h.store();
    let system = Actor::system("test");
    let city_user = accounts::find_user(store, "city").await.unwrap().unwrap();
    tipoffs::set_grant(store, &system, city_user.id, tipoffs::INTAKE_GRANT, true)
        .await
        .unwrap();
    let r = crate::common::matrix::anonymous_tipoff(
        store,
        "城关镇某企业安全培训走过场，考试由他人代考。",
    )
    .await;
    let path = format!("/tipoffs/{}", r.id);
    let assign = format!("{path}/assign");

    // The city's form offers the districts (and city departments), not 38 districts' towns.
    let city = h.login("city").await;
    let page = h.get(Some(&city), &path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains(&format!("value=\"district:{}\"", other.0)));
    assert!(!page.body.contains("value=\"town:"));
    let d2 = h.login("district2").await;
    assert_eq!(h.get(Some(&d2), &path).await.status, StatusCode::NOT_FOUND);

    let to = format!("district:{}", other.0);
    let res = h.post_form(Some(&city), &assign, &[("to", &to)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);

    // The district sees it, with its own towns to choose from; 渝北区 does not see it.
    let page = h.get(Some(&d2), &path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"tipoff-district\""));
    assert!(page
        .body
        .contains(&format!("value=\"town:{}\"", other.2[0])));
    assert!(!page
        .body
        .contains(&format!("value=\"town:{}\"", yubei.2[0])));
    assert!(!page.body.contains("value=\"district:"));
    let d1 = h.login("district").await;
    assert_eq!(h.get(Some(&d1), &path).await.status, StatusCode::NOT_FOUND);
    let res = h
        .post_form(
            Some(&d1),
            &assign,
            &[("to", &format!("town:{}", yubei.2[0]))],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // Another district's town, or a district, is refused with the reason; nothing changes.
    for (to, says) in [
        (format!("town:{}", yubei.2[0]), "不属于本区县"),
        (format!("district:{}", yubei.0), "区县只能交办本区县"),
    ] {
        let res = h.post_form(Some(&d2), &assign, &[("to", &to)]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{to}");
        assert!(res.body.contains(says), "{to}: {}", res.body);
    }
    let row = access::tipoffs(store)
        .await
        .into_iter()
        .find(|t| t.id == r.id)
        .unwrap();
    assert_eq!(row.district_id, Some(other.0));
    assert_eq!(row.assigned_town_id, None);

    let res = h
        .post_form(
            Some(&d2),
            &assign,
            &[("to", &format!("town:{}", other.2[0]))],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let row = access::tipoffs(store)
        .await
        .into_iter()
        .find(|t| t.id == r.id)
        .unwrap();
    assert_eq!(row.assigned_town_id, Some(other.2[0]));
    assert_eq!(row.district_id, Some(other.0));
    h.db.cleanup().await;
}

/// The city supervises its districts as a district its towns: a ranking of the districts,
/// a sheet per district (the city's alone), a finding the district sees on its own summary
/// page, the district's summary report tracked by the city, and a 通报 by district.
#[tokio::test]
async fn the_city_scores_its_districts_and_tracks_their_summary_reports() {
    let h = city().await;
    let p = places(&h).await;
    let (yubei, other) = (&p[0], &p[1]);
    let city = h.login("city").await;
    let r = h.get(Some(&city), "/supervision").await;
    assert_eq!(r.status, StatusCode::OK);
    let table = r.body.split("id=\"ranking-districts\"").nth(1).unwrap();
    for (id, name, _, _) in &p {
        assert!(table.contains(name.as_str()), "{name} not ranked");
        assert!(table.contains(&format!("/supervision/districts/{id}")));
    }
    // The towns are ranked by their districts, not across the city.
    assert!(!r.body.contains("id=\"ranking-towns\""));

    // The district's sheet counts the district's own subjects.
    let sheet = format!("/supervision/districts/{}", other.0);
    let r = h.get(Some(&city), &sheet).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(&format!("考核评分表 · {}", other.1)));
    let c = anpei_store::campaign::supervision::campaign_or_current(h.store(), None)
        .await
        .unwrap();
    let all = Scope::district_wide();
    let ranked = anpei_store::campaign::supervision::ranking(h.store(), &all, &c)
        .await
        .unwrap();
    let line = ranked
        .districts
        .iter()
        .find(|l| l.unit.id() == other.0)
        .unwrap();
    assert_eq!(line.ind.subjects, other.3.len() as i64);

    // No district opens or writes a district's sheet, its own included.
    let d2 = h.login("district2").await;
    assert_eq!(h.get(Some(&d2), &sheet).await.status, StatusCode::NOT_FOUND);
    let res = h
        .post_form(Some(&d2), &format!("{sheet}/findings"), &[("text", "x")])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // The city's finding reaches the district's own summary page.
    let due = (h.store().today() + chrono::Days::new(20)).to_string();
    let res = h
        .post_form(
            Some(&city),
            &format!("{sheet}/findings"),
            &[
                ("text", "区级培训机构抽查比例不足"),
                ("measures", "补齐抽查"),
                ("deadline", &due),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let mine = h.get(Some(&d2), "/summary").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.body.contains(&format!("总结报告 · {}", other.1)));
    assert!(mine.body.contains("区级培训机构抽查比例不足"));
    assert!(mine.body.contains("id=\"own-units-tracking\""));

    // The district reports to the city; the city's table shows it, the others missing or
    // pending; the district's own table lists its towns.
    let res = h
        .post_multipart(
            Some(&d2),
            &format!("/summary?_csrf={}", d2.csrf),
            &[
                ("campaign", &c.campaign.id.to_string()),
                ("title", "专项整治工作总结"),
                ("body", "本区县专项整治工作总结正文。"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let track = h
        .get(
            Some(&city),
            &format!("/summaries?campaign={}", c.campaign.id),
        )
        .await;
    assert_eq!(track.status, StatusCode::OK);
    let row = track
        .body
        .split("<tr")
        .find(|r| r.contains(other.1.as_str()))
        .expect("the district has a line");
    assert!(
        (row.contains("按时报送") || row.contains("逾期报送")) && !row.contains("未报送"),
        "{row}"
    );
    assert!(
        !track.body.contains("城关镇"),
        "towns report to their district"
    );
    let own = h
        .get(Some(&d2), &format!("/summaries?campaign={}", c.campaign.id))
        .await;
    assert!(own.body.contains("城关镇"));
    assert!(
        !own.body.contains("龙兴镇"),
        "渝北区's towns are not the district's"
    );
    assert!(!track.body.contains("龙兴镇"));

    // The city's 通报 has its table by district.
    let b = h.get(Some(&city), "/bulletin").await;
    assert_eq!(b.status, StatusCode::OK);
    assert!(b.body.contains("二、各区县工作情况"));
    let t = b.body.split("id=\"bulletin-districts\"").nth(1).unwrap();
    assert!(t.contains(yubei.1.as_str()) && t.contains(other.1.as_str()));
    let docx = h.get(Some(&city), "/bulletin.docx").await;
    assert_eq!(docx.status, StatusCode::OK);
    h.db.cleanup().await;
}

/// A city imports 单位 rows whose town name several districts share (城关镇): the optional
/// 所属区县 column (name or code) places each; without it the row is refused with the
/// reason, as is a town that is not in the district named, and a district's office cannot
/// name another district.
#[tokio::test]
async fn the_district_column_of_an_import_places_a_town_name_several_districts_share() {
    use anpei_core::ids::Uscc;
    let (h, dir) = crate::common::with_uploads(10, 40, |_| {}).await;
    let cfg = DemoConfig {
        seed: 5,
        subjects: 6,
        persons: 20,
        as_of: h.store().today(),
    };
    let names = demo::load_other_districts(h.store(), &cfg, 3)
        .await
        .unwrap();
    demo::create_accounts(
        h.store(),
        &[
            DemoAccount {
                username: "city".into(),
                role: Role::City,
                scope: String::new(),
            },
            DemoAccount {
                username: "district2".into(),
                role: Role::District,
                scope: names[0].clone(),
            },
        ],
    )
    .await
    .unwrap();
    let p = places(&h).await;
    let all = Scope::district_wide();
    let districts = reference::districts(h.store(), &all).await.unwrap();
    let (second, third) = (&districts[1], &districts[2]);
    let uscc = |n: u32| {
        let body = format!("91500101MA6000{n:02}A");
        format!("{body}{}", Uscc::check_char(&body).unwrap())
    };
    let header = "统一社会信用代码,单位名称,单位类型,行业,所属镇街,行业主管部门,地址,联系人,联系电话,所属区县";
    let line = |n: u32, town: &str, district: &str| {
        format!(
            "{},重庆城关{n}化工有限公司,生产经营单位,危险化学品,{town},,,,,{district}",
            uscc(n)
        )
    };
    let csv = [
        header.to_string(),
        line(1, "城关镇", &second.name),
        line(2, "城关镇", ""),
        line(3, "城关镇", &third.code),
        line(4, "龙兴镇", &second.name),
    ]
    .join("\n");
    let token = h.api_token("city").await;
    let r = h.api_import(&token, "subjects", "单位.csv", &csv).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let c = &v["counts"]["单位"];
    assert_eq!([&c["inserted"], &c["rejected"]], [2, 2], "{}", r.body);
    let reasons: Vec<(u64, String)> = v["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["row"].as_u64().unwrap(),
                x["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        reasons
            .iter()
            .any(|(row, why)| *row == 3 && why.contains("在多个区县都有，请在“所属区县”列写明")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(row, why)| *row == 5
                && why.contains(&format!("“龙兴镇”不是{}的镇街", second.name))),
        "{reasons:?}"
    );
    let subjects = access::subjects(h.store()).await;
    let town_of = |n: u32| {
        subjects
            .iter()
            .find(|s| s.uscc == uscc(n))
            .map(|s| s.town_id)
            .expect("imported")
    };
    let in_district = |t: i32, d: i32| p.iter().any(|x| x.0 == d && x.2.contains(&t));
    assert!(in_district(town_of(1), second.id));
    assert!(in_district(town_of(3), third.id));

    // The second district's office cannot name 渝北区.
    let token = h.api_token("district2").await;
    let csv = [header.to_string(), line(6, "龙兴镇", "渝北区")].join("\n");
    let r = h.api_import(&token, "subjects", "单位.csv", &csv).await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["counts"]["单位"]["inserted"], 0, "{}", r.body);
    let message = v["rejections"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("所属区县：“渝北区”不是您管辖的区县"),
        "{message}"
    );
    crate::common::finish(h, dir).await;
}

/// A district runs the city's campaign on its own dates: inside the city's phases, its own
/// summary deadline no later than the city's. Its towns report by its deadline; the other
/// districts, and the districts reporting to the city, keep the city's; the city sees each
/// district's dates.
#[tokio::test]
async fn a_district_sets_its_own_dates_inside_the_citys_campaign() {
    let h = city().await;
    let c = anpei_store::campaign::supervision::campaign_or_current(h.store(), None)
        .await
        .unwrap();
    let path = format!("/campaigns/{}", c.campaign.id);
    let save = format!("{path}/district-dates");
    let city_due = c.campaign.summary_due;
    let own_due = city_due - chrono::Days::new(1);
    let fields = |first_start: chrono::NaiveDate, due: chrono::NaiveDate| {
        let mut f = vec![("summary_due".to_string(), due.to_string())];
        for (i, p) in c.phases.iter().enumerate() {
            let a = if i == 0 { first_start } else { p.starts_on };
            f.push((format!("starts_on_{}", i + 1), a.to_string()));
            f.push((format!("ends_on_{}", i + 1), p.ends_on.to_string()));
        }
        f
    };
    let post = |s: &crate::common::Session, f: Vec<(String, String)>| {
        let h = &h;
        let save = save.clone();
        let s = s.clone();
        async move {
            let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            h.post_form(Some(&s), &save, &refs).await
        }
    };
    let d1 = h.login("district").await;
    let page = h.get(Some(&d1), &path).await;
    assert!(page.body.contains("id=\"district-dates-form\""));
    assert!(page.body.contains("渝北区实施安排"));

    // A day before the city's first phase, or a deadline after the city's: refused.
    let first = c.phases[0].starts_on;
    let r = post(&d1, fields(first - chrono::Days::new(1), own_due)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("应在市级安排"), "{}", r.body);
    let r = post(&d1, fields(first, city_due + chrono::Days::new(1))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("不能晚于市级截止日期"), "{}", r.body);
    assert!(
        anpei_store::campaign::district_dates::all_of(h.store(), c.campaign.id)
            .await
            .unwrap()
            .is_empty()
    );

    // Inside the city's: saved, and 渝北区's town reports by it.
    let r = post(&d1, fields(first, own_due)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = h.get(Some(&d1), &path).await;
    assert!(page.body.contains("（本区县实施安排）"));
    let town = h.login("town").await;
    let mine = h.get(Some(&town), "/summary").await;
    assert!(
        mine.body.contains(&format!("报送截止 {own_due}")),
        "{}",
        mine.body
    );

    // Another district's office, and that district reporting to the city: the city's date.
    let d2 = h.login("district2").await;
    let theirs = h.get(Some(&d2), "/summary").await;
    assert!(theirs.body.contains(&format!("报送截止 {city_due}")));
    let r = h.get(Some(&d2), &path).await;
    assert!(!r.body.contains("（本区县实施安排）"));

    // The city sees each district's dates; it sets none itself.
    let city = h.login("city").await;
    let r = h.get(Some(&city), &path).await;
    let table = r.body.split("id=\"district-dates-table\"").nth(1).unwrap();
    assert!(table.contains(&own_due.to_string()));
    assert!(table.contains("按市级安排"));
    let r = post(&city, fields(first, own_due)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Back to the city's dates.
    let r = post(&d1, vec![("reset".into(), "1".into())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mine = h.get(Some(&town), "/summary").await;
    assert!(mine.body.contains(&format!("报送截止 {city_due}")));
    h.db.cleanup().await;
}

/// A district's office copies a campaign as its own: issued by its office, run by its
/// district only. Its towns see it; another district neither lists, opens, copies nor
/// reports on it (404); the city lists it read-only and its own pages stay on the city's
/// campaigns. Its period may not overlap a campaign that applies in the district, and the
/// city's next campaign may not overlap it.
#[tokio::test]
async fn a_district_sets_a_campaign_of_its_own_that_only_its_district_runs() {
    let h = city().await;
    let c = anpei_store::campaign::supervision::campaign_or_current(h.store(), None)
        .await
        .unwrap();
    let (dates, due) = anpei_store::campaign::shifted_dates(&c, 1);
    let fields = |name: &str| {
        let mut f = vec![
            ("name".to_string(), name.to_string()),
            ("summary_due".to_string(), due.clone()),
        ];
        for (i, (a, b)) in dates.iter().enumerate() {
            f.push((format!("starts_on_{}", i + 1), a.clone()));
            f.push((format!("ends_on_{}", i + 1), b.clone()));
        }
        f
    };
    let post = |s: &crate::common::Session, path: String, f: Vec<(String, String)>| {
        let h = &h;
        let s = s.clone();
        async move {
            let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            h.post_form(Some(&s), &path, &refs).await
        }
    };
    let copy = format!("/campaigns/{}/copy", c.campaign.id);
    let d1 = h.login("district").await;
    let list = h.get(Some(&d1), "/campaigns").await;
    assert!(list.body.contains("复制为本区县专项整治"), "{}", list.body);
    let form = h.get(Some(&d1), &copy).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("渝北区安全生产委员会办公室部署"));

    let name = "渝北区安全生产培训“回头看”专项整治";
    let r = post(&d1, copy.clone(), fields(name)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let own: i32 = r
        .location()
        .trim_start_matches("/campaigns/")
        .trim_end_matches("?created=1")
        .parse()
        .unwrap();
    let made = anpei_store::campaign::get(h.store(), own)
        .await
        .unwrap()
        .unwrap();
    let all = Scope::district_wide();
    let districts = reference::districts(h.store(), &all).await.unwrap();
    let yubei = districts.iter().find(|d| d.name == "渝北区").unwrap().id;
    assert_eq!(made.campaign.district_id, Some(yubei));
    assert_eq!(made.campaign.issuing_office, "渝北区安全生产委员会办公室");

    // 渝北区's office and its town list and open it; it has no 区县实施安排 form (its dates
    // are its own).
    let page = format!("/campaigns/{own}");
    let r = h.get(Some(&d1), &page).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("区县自行部署"));
    assert!(!r.body.contains("id=\"district-dates-form\""));
    let town = h.login("town").await;
    assert!(h.get(Some(&town), "/campaigns").await.body.contains(name));
    assert_eq!(h.get(Some(&town), &page).await.status, StatusCode::OK);
    // Its dates are not set as a district's dates inside a city campaign.
    let r = post(&d1, format!("{page}/district-dates"), fields(name)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Another district: not listed, not there.
    let d2 = h.login("district2").await;
    assert!(!h.get(Some(&d2), "/campaigns").await.body.contains(name));
    for path in [
        page.clone(),
        format!("{page}/copy"),
        format!("/progress?campaign={own}"),
        format!("/supervision?campaign={own}"),
        format!("/summary?campaign={own}"),
    ] {
        assert_eq!(
            h.get(Some(&d2), &path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // The problems list filters by campaign: nothing of it, not even its name.
    let r = h.get(Some(&d2), &format!("/problems?campaign={own}")).await;
    assert!(!r.body.contains(name));
    let r = post(&d2, format!("{page}/copy"), fields("借用他区专项整治")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Its own campaign for the same year is its business: no overlap across districts.
    let r = post(&d2, copy.clone(), fields("第二区县专项整治")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // 渝北区 cannot run two campaigns at once, nor the city one over a district's.
    let r = post(&d1, copy.clone(), fields("重叠的区县专项整治")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("重叠"), "{}", r.body);
    let city = h.login("city").await;
    let r = post(&city, copy.clone(), fields("重叠的市级专项整治")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(name), "{}", r.body);

    // The city lists it with its district, opens it, and runs its own pages on its own.
    let list = h.get(Some(&city), "/campaigns").await;
    assert!(list.body.contains(name) && list.body.contains("<td class=\"nowrap\">渝北区</td>"));
    assert_eq!(h.get(Some(&city), &page).await.status, StatusCode::OK);
    assert_eq!(
        h.get(Some(&city), &format!("/supervision?campaign={own}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // When it runs, it is 渝北区's current campaign, and only 渝北区's.
    let day = made.span().unwrap().0;
    let d2_id = districts.iter().find(|d| d.id != yubei).unwrap().id;
    let store = h.store();
    let at = |d: Option<i32>| async move {
        anpei_store::campaign::current_in(store, day, d)
            .await
            .unwrap()
            .map(|c| c.campaign.name)
    };
    assert_eq!(at(Some(yubei)).await.as_deref(), Some(name));
    assert_ne!(at(None).await.as_deref(), Some(name));
    assert_eq!(
        anpei_store::campaign::phase_now_in(h.store(), day, Some(yubei))
            .await
            .unwrap()
            .map(|p| p.campaign_name)
            .as_deref(),
        Some(name)
    );
    let theirs = at(Some(d2_id)).await;
    assert!(theirs.is_some_and(|n| n != name));
    h.db.cleanup().await;
}

/// The public pages (举报, 典型案例) speak for the office that runs the campaign: the
/// district's office in a one-district installation, the city's once the city issues it.
#[tokio::test]
async fn the_public_pages_name_the_office_that_runs_the_campaign() {
    let h = city().await;
    for path in ["/tipoff", "/tipoff/status", "/cases"] {
        let r = h.get(None, path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(
            r.body.contains("重庆市渝北区安全生产委员会办公室"),
            "{path}"
        );
    }
    let c = anpei_store::campaign::current(h.store(), h.store().today())
        .await
        .unwrap()
        .unwrap();
    demo::campaign::issue_as_city(h.store(), c.campaign.id)
        .await
        .unwrap();
    for path in ["/tipoff", "/tipoff/status", "/cases"] {
        let r = h.get(None, path).await;
        assert!(r.body.contains(demo::campaign::CITY_OFFICE), "{path}");
        assert!(!r.body.contains("渝北区安全生产委员会"), "{path}");
    }
    h.db.cleanup().await;
}

/// A district's office of a city re-scans its own district at once (本区县重新扫描): its
/// persons part by part, and of the records checks its subjects' findings; another district's
/// stored findings are left as they are. The city's button scans the whole city.
#[tokio::test]
async fn a_district_re_scans_its_own_district_and_leaves_the_others_alone() {
    use anpei_core::ledger::rules::{Finding, Rule};
    use anpei_store::ledger::{facts::Which, findings, scan};
    use anpei_store::platform::audit::Actor;
    let h = city().await;
    let store = h.store();
    let actor = Actor::system("test");
    let today = store.today();
    scan::run_whole_saved(store, None, &actor, today)
        .await
        .unwrap();
    let all = Scope::district_wide();
    let ds = reference::districts(store, &all).await.unwrap();
    let (yubei, other) = (
        ds.iter().find(|d| d.name == "渝北区").unwrap().id,
        ds.iter().find(|d| d.name != "渝北区").unwrap().id,
    );
    // A stale finding (facts fixed since) on one person of each district.
    let persons = access::persons(store).await;
    let subjects = access::subjects(store).await;
    let towns = reference::towns(store, &all).await.unwrap();
    let district_of = |subject: i32| {
        let s = subjects.iter().find(|s| s.id == subject).unwrap();
        towns
            .iter()
            .find(|t| t.id == s.town_id)
            .unwrap()
            .district_id
    };
    let mut stale = Vec::new();
    for d in [yubei, other] {
        let p = persons
            .iter()
            .find(|p| district_of(p.subject_id) == d)
            .unwrap();
        let f = Finding {
            rule: Rule::CertExpired,
            subject_id: p.subject_id.into(),
            person_id: Some(p.id.into()),
            who: None,
            topic: Some("已整改".into()),
            records: vec![],
            detail: "证书已过期".into(),
        };
        findings::merge_which(
            store,
            &actor,
            Which::Persons(p.id, p.id, None),
            Some(&[Rule::CertExpired]),
            today,
            std::slice::from_ref(&f),
        )
        .await
        .unwrap();
        stale.push(f.key());
    }
    let status = |key: String| async move {
        for st in ["open", "resolved"] {
            let of = anpei_store::testing::records::findings_in_status(store, st).await;
            if of.iter().any(|f| f.finding_key == key) {
                return st;
            }
        }
        "missing"
    };
    assert_eq!(status(stale[0].clone()).await, "open");

    // district2's office: its button, and its scan resolves its own stale finding only.
    let d2 = h.login("district2").await;
    let page = h.get(Some(&d2), "/findings").await;
    assert!(page.body.contains("本区县重新扫描"), "{}", page.body);
    let r = h.post_form(Some(&d2), "/findings/scan", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().contains("new=0"), "{}", r.location());
    assert!(r.location().contains("resolved=1"), "{}", r.location());
    assert_eq!(status(stale[1].clone()).await, "resolved");
    assert_eq!(
        status(stale[0].clone()).await,
        "open",
        "渝北区's is left alone"
    );

    // The city's button scans the whole city: 渝北区's goes too.
    let city = h.login("city").await;
    assert!(h
        .get(Some(&city), "/findings")
        .await
        .body
        .contains("全市重新扫描"));
    let r = h.post_form(Some(&city), "/findings/scan", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(status(stale[0].clone()).await, "resolved");
    // A town's account re-scans subject by subject only.
    let town = h.login("town").await;
    let r = h.post_form(Some(&town), "/findings/scan", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    h.db.cleanup().await;
}
