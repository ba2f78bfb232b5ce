//! The data directory and what `anpei` writes — the database and its `-wal`/`-shm`, the key
//! file, exports, backups, evidence — are for the account running it only: directories
//! 0700, files 0600; a data directory left 0755/0644 by an earlier version is tightened at
//! start-up and the change logged. On PostgreSQL (`ANPEI_TEST_DATABASE_URL`) the database
//! has no file here; the rest is checked the same.
#![cfg(unix)]

use crate::common::{stdout, text, Env};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

fn set_mode(p: &Path, m: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

/// Every directory and file under `dir`, with its mode.
fn tree(dir: &Path) -> Vec<(std::path::PathBuf, u32)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(p) = todo.pop() {
        out.push((p.clone(), mode(&p)));
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                todo.push(e.unwrap().path());
            }
        }
    }
    out
}

#[tokio::test]
async fn the_demo_leaves_a_data_directory_only_its_owner_can_read() {
    let env = Env::new().await;
    // The harness made the directory as a shell would: 0755.
    set_mode(&env.dir, 0o755);
    let o = env.run(
        &["demo", "--no-serve", "--subjects", "5", "--persons", "30"],
        None,
    );
    let out = stdout(&o);
    assert!(out.contains("演示"), "{out}");
    assert_eq!(mode(&env.dir), 0o700);
    assert_eq!(mode(&env.dir.join("master.key")), 0o600);
    if env.pg.is_none() {
        let db = env.dir.join("anpei.db");
        assert_eq!(mode(&db), 0o600);
        for companion in ["anpei.db-wal", "anpei.db-shm"] {
            let p = env.dir.join(companion);
            if p.exists() {
                assert_eq!(mode(&p), 0o600, "{companion}");
            }
        }
    }
    // The change to the old directory is logged, with its path and both modes.
    let log = text(&o);
    assert!(
        log.contains("permissions tightened") && log.contains("0755") && log.contains("0700"),
        "{log}"
    );

    // What the process writes later keeps to it too: an export of personal data, a backup
    // into a new directory.
    let export = env.dir.join("export");
    let o = env.run(
        &[
            "demo",
            "--subjects",
            "5",
            "--persons",
            "30",
            "--export",
            export.to_str().unwrap(),
        ],
        None,
    );
    stdout(&o);
    if env.pg.is_none() {
        let backup = env.dir.join("backups/today.anpei");
        let o = env.run(&["backup", backup.to_str().unwrap()], None);
        stdout(&o);
        assert!(backup.exists());
    }
    let mut files = 0;
    for (p, m) in tree(&env.dir) {
        if p.is_dir() {
            assert_eq!(m, 0o700, "{}", p.display());
        } else {
            files += 1;
            assert_eq!(m, 0o600, "{}", p.display());
        }
    }
    assert!(files >= 3, "the key and the exports at least");
    env.cleanup().await;
}

#[tokio::test]
async fn an_existing_data_directory_is_tightened_at_start_up() {
    let env = Env::new().await;
    let o = env.run(&["migrate"], None);
    stdout(&o);
    // As an earlier version left it: world-readable directories and files.
    let evidence = env.dir.join("evidence");
    std::fs::create_dir_all(evidence.join("old")).unwrap();
    let photo = evidence.join("0f3c9a");
    std::fs::write(&photo, b"\x89PNG").unwrap();
    let notes = env.dir.join("notes.txt");
    std::fs::write(&notes, "the operator's own file").unwrap();
    let key = env.dir.join("master.key");
    for (p, m) in [
        (&env.dir, 0o755),
        (&key, 0o644),
        (&evidence, 0o755),
        (&evidence.join("old"), 0o775),
        (&photo, 0o644),
        (&notes, 0o644),
    ] {
        set_mode(p, m);
    }
    let db = env.dir.join("anpei.db");
    if env.pg.is_none() {
        set_mode(&db, 0o644);
    }
    let o = env.run(&["audit", "verify"], None);
    stdout(&o);
    let log = text(&o);
    for p in [&env.dir, &key, &evidence, &photo] {
        assert!(
            log.contains(&*p.to_string_lossy()),
            "{} not logged: {log}",
            p.display()
        );
    }
    assert_eq!(mode(&env.dir), 0o700);
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&evidence), 0o700);
    assert_eq!(mode(&evidence.join("old")), 0o700);
    assert_eq!(mode(&photo), 0o600);
    if env.pg.is_none() {
        assert_eq!(mode(&db), 0o600);
    }
    // Not the installation's: left as the operator made it.
    assert_eq!(mode(&notes), 0o644);
    // Once done, nothing more is said.
    let o = env.run(&["audit", "verify"], None);
    assert!(!text(&o).contains("permissions tightened"), "{}", text(&o));
    env.cleanup().await;
}
