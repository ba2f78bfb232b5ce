//! Account security (等保 2.0 三级) at the operator's console: `anpei user add` sets a final password
//! (no forced change), and `user add` / `user passwd` check the password policy in force — the
//! configuration with the security administrator's saved settings laid over it — and the password
//! history. On PostgreSQL (`ANPEI_TEST_DATABASE_URL`) in a schema of its own.

use crate::common::{text, Env};
use anpei_store::platform::audit::Actor;
use anpei_store::platform::policy::SecurityPolicy;
use anpei_store::{platform::security, ConnectConfig, Crypto, Store, SystemClock};
use std::sync::Arc;

impl Env {
    async fn store(&self) -> Store {
        Store::connect(
            &ConnectConfig {
                url: self.url.clone(),
                pg_schema: None,
                max_connections: Some(2),
                read_url: None,
            },
            Crypto::from_master_key(&[1u8; 32]),
            anpei_core::Params::default(),
            Arc::new(SystemClock),
        )
        .await
        .unwrap()
    }
}

#[tokio::test]
async fn user_add_sets_a_final_password_under_the_policy_in_force() {
    let env = Env::new().await;
    let o = env.run(&["migrate"], Some(""));
    assert!(o.status.success(), "{}", text(&o));
    let add = |name: &str, pw: &str| {
        env.run(
            &[
                "user",
                "add",
                name,
                "--role",
                "district",
                "--password-stdin",
            ],
            Some(&format!("{pw}\n")),
        )
    };
    let o = add("zhao", "Final#2021");
    assert!(o.status.success(), "{}", text(&o));

    let store = env.store().await;
    let zhao = anpei_store::platform::accounts::find_user(&store, "zhao")
        .await
        .unwrap()
        .unwrap();
    assert!(
        !zhao.must_change_password,
        "an account the operator adds on the server keeps its password"
    );

    // The security administrator raises the minimum length: the CLI applies it.
    store.set_policy(SecurityPolicy::default());
    let mut p = SecurityPolicy::default();
    p.password.min_length = 12;
    security::save_policy(&store, &Actor::system("secadmin"), &p)
        .await
        .unwrap();
    let o = add("qian", "Final#2021x");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("密码至少12位（当前11位）"),
        "{}",
        text(&o)
    );
    let o = add("qian", "Final#2021xyz");
    assert!(o.status.success(), "{}", text(&o));

    // `user passwd` refuses one of the last five passwords.
    let o = env.run(
        &["user", "passwd", "qian", "--password-stdin"],
        Some("Final#2021xyz\n"),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("新密码不能与最近5次使用过的密码相同"),
        "{}",
        text(&o)
    );
    let o = env.run(
        &["user", "passwd", "qian", "--password-stdin"],
        Some("Another#2022xyz\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
    store.close().await.ok();
    env.cleanup().await;
}

#[tokio::test]
async fn user_add_normalises_the_name_refuses_look_alikes_and_is_in_force_at_once() {
    let env = Env::new().await;
    let o = env.run(&["migrate"], Some(""));
    assert!(o.status.success(), "{}", text(&o));
    let add = |name: &str| {
        env.run(
            &[
                "user",
                "add",
                name,
                "--role",
                "district",
                "--password-stdin",
            ],
            Some("Final#2021\n"),
        )
    };
    // Full-width letters and capitals are folded.
    let o = add("ＳＵＮ.Li");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("已创建账号 sun.li"), "{}", text(&o));
    // A Cyrillic “а” and a zero-width space are refused, naming the character and the rule.
    for (bad, named) in [("\u{430}dmin", "U+0430"), ("li\u{200b}si", "U+200B")] {
        let o = add(bad);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(
            text(&o).contains(named) && text(&o).contains("用户名须为2至32位"),
            "{}",
            text(&o)
        );
    }
    let o = add("SUN.LI");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("已存在"), "{}", text(&o));

    let store = env.store().await;
    let all = anpei_store::testing::platform::all_users(&store).await;
    assert_eq!(
        all.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(),
        ["sun.li"]
    );
    // The operator's bootstrap: no grant to wait for.
    assert!(!all[0].awaiting_grant);
    store.close().await.ok();
    env.cleanup().await;
}
