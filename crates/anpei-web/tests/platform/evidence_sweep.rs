//! The daily sweep of the evidence directory: a file no row names, older than the grace
//! period, goes (an upload whose row was never written); a named file, a young file and a
//! file that is not the store's own stay; the removal is audited.

use anpei_store::platform::audit::{self, Actor};
use anpei_store::platform::evidence::{self, Attachment};
use anpei_store::testing::TestDb;
use anpei_store::Scope;
use std::time::{Duration, SystemTime};

fn sha(c: char) -> String {
    std::iter::repeat_n(c, 64).collect()
}

fn write(dir: &std::path::Path, name: &str, age: Duration) {
    let path = dir.join(name);
    std::fs::write(&path, b"x").unwrap();
    let f = std::fs::File::options().write(true).open(&path).unwrap();
    f.set_modified(SystemTime::now() - age).unwrap();
}

#[tokio::test]
async fn orphans_older_than_the_grace_period_are_removed_and_audited() {
    let db = TestDb::new().await;
    let store = &db.store;
    let dir = std::env::temp_dir().join(format!(
        "anpei-sweep-{}",
        &anpei_store::crypto::random_token()[..12]
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let day = Duration::from_secs(2 * 24 * 3600);
    let (named, orphan, young) = (sha('a'), sha('b'), sha('c'));
    write(&dir, &named, day);
    write(&dir, &orphan, day);
    write(&dir, &young, Duration::from_secs(60));
    write(&dir, &format!(".{}.0123456789ab", sha('d')), day);
    write(&dir, "readme.txt", day);
    evidence::attach(
        store,
        &Actor::system("test"),
        &Scope::district_wide(),
        "self_inspection_answer",
        1,
        None,
        &Attachment {
            file_name: "照片.png".into(),
            mime: "image/png".into(),
            size: 1,
            sha256: named.clone(),
        },
    )
    .await
    .unwrap();

    let removed = anpei_web::evidence::sweep_orphans(store, &dir, Duration::from_secs(24 * 3600))
        .await
        .unwrap();
    assert_eq!(removed, 2);
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, vec![named, sha('c'), "readme.txt".to_string()]);
    let audited = audit::latest(store, 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "evidence.sweep")
        .count();
    assert_eq!(audited, 1);
    // Nothing more to do: no second audit entry.
    let again = anpei_web::evidence::sweep_orphans(store, &dir, Duration::from_secs(24 * 3600))
        .await
        .unwrap();
    assert_eq!(again, 0);
    std::fs::remove_dir_all(&dir).unwrap();
    db.cleanup().await;
}
