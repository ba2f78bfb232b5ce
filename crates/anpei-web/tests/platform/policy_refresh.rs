//! Several server instances share one database: a policy the security administrator saves
//! on one instance reaches the others at their scheduler's next wake-up.

use anpei_core::Params;
use anpei_store::platform::audit::Actor;
use anpei_store::testing::TestDb;
use anpei_store::{platform::security, Clock, ConnectConfig, Crypto, Store};
use std::sync::Arc;

#[tokio::test]
async fn a_policy_saved_on_one_instance_reaches_another_at_its_next_wake_up() {
    let db = TestDb::new().await;
    // A second instance: its own connection pool and its own policy in memory.
    let other = Store::connect(
        &ConnectConfig {
            url: db.url.clone(),
            pg_schema: db.pg_schema.clone(),
            max_connections: Some(2),
            read_url: None,
        },
        Crypto::from_master_key(&[42u8; 32]),
        Params::default(),
        db.clock.clone() as Arc<dyn Clock>,
    )
    .await
    .unwrap();
    other.set_policy(db.store.policy());
    assert_eq!(other.policy().password.min_length, 8);

    let mut wanted = db.store.policy();
    wanted.password.min_length = 12;
    security::save_policy(&db.store, &Actor::system("secadmin"), &wanted)
        .await
        .unwrap();
    assert_eq!(db.store.policy().password.min_length, 12);
    assert_eq!(
        other.policy().password.min_length,
        8,
        "not before its wake-up"
    );

    anpei_web::scheduler::refresh_policy(&other).await.unwrap();
    assert_eq!(other.policy().password.min_length, 12);
    other.clone().close().await.ok();
    db.cleanup().await;
}
