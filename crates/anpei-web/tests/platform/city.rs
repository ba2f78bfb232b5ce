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

    // 渝北区's account: its own district, nothing of the other.
    let d1 = h.login("district").await;
    for path in [
        format!("/progress?district={}", other.0),
        format!("/progress?town={}", other.2[0]),
        format!("/progress/subjects?town={}", other.2[0]),
        format!("/subjects/{}", other.3[0]),
        format!("/supervision/towns/{}", other.2[0]),
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
