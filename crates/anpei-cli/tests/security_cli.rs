//! Issue 7 at the operator's console: `anpei user add` sets a final password (no forced
//! change), and `user add` / `user passwd` check the password policy in force — the
//! configuration with the security administrator's saved settings laid over it — and the
//! password history. On PostgreSQL (`ANPEI_TEST_DATABASE_URL`) in a schema of its own.

mod common;

use anpei_store::audit::Actor;
use anpei_store::entity::user;
use anpei_store::policy::SecurityPolicy;
use anpei_store::{security, ConnectConfig, Crypto, Store, SystemClock};
use common::{text, Env};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::sync::Arc;

impl Env {
    async fn store(&self) -> Store {
        Store::connect(
            &ConnectConfig {
                url: self.url.clone(),
                pg_schema: None,
                max_connections: Some(2),
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
    let zhao = user::Entity::find()
        .filter(user::Column::Username.eq("zhao"))
        .one(store.db())
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
