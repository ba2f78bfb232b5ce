//! The installation's files on disk are for its own account only: the data directory, the
//! SQLite database (and its `-wal`, `-shm`, `-journal`), the key file `master.key`, the
//! configuration, backups, evidence files and pending uploads hold personal data or the key
//! to it. Directories are made 0700 and files 0600 (on Unix; elsewhere the platform's
//! defaults stand), and [`tighten_data_dir`] brings an existing data directory made by an
//! earlier version (0755/0644) into line at start-up, saying what it changed.

use std::io;
use std::path::{Path, PathBuf};

/// The mode of the installation's directories.
pub const DIR_MODE: u32 = 0o700;
/// The mode of the installation's files.
pub const FILE_MODE: u32 = 0o600;

/// Files of the data directory that are the installation's own (the SQLite database with
/// its companions, the key file, the configuration).
pub const DATA_FILES: &[&str] = &[
    "anpei.db",
    "anpei.db-wal",
    "anpei.db-shm",
    "anpei.db-journal",
    "master.key",
    "anpei.toml",
];

/// Directories of the data directory whose whole contents are the installation's own.
pub const DATA_TREES: &[&str] = &["evidence", "uploads"];

/// Creates `path` and any missing parents; those it creates are 0700.
pub fn create_private_dir_all(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(path)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(path)
    }
}

/// Creates a new file (refusing an existing one), 0600, open for writing.
pub fn create_private_file(path: &Path) -> io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(FILE_MODE);
    }
    o.open(path)
}

/// Makes sure `path` exists as a file only its owner may read, before a library (SQLite)
/// creates it with its own default mode: an existing file is left as it is (see
/// [`tighten`]), a missing one is created empty, 0600.
pub fn ensure_private_file(path: &Path) -> io::Result<()> {
    match create_private_file(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// A permission [`tighten`] changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tightened {
    pub path: PathBuf,
    /// The permission bits before and after (`0o644` → `0o600`).
    pub from: u32,
    pub to: u32,
}

/// Takes the group's and others' permissions off `path` (a file: 0600, a directory: 0700,
/// the owner's bits kept otherwise); a symbolic link is not followed. `None` when nothing
/// was to change, or `path` does not exist.
pub fn tighten(path: &Path) -> io::Result<Option<Tightened>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if meta.file_type().is_symlink() {
            return Ok(None);
        }
        let from = meta.permissions().mode() & 0o7777;
        let to = if meta.is_dir() {
            (from & 0o700) | DIR_MODE
        } else {
            (from & 0o700) | FILE_MODE
        };
        if from == to {
            return Ok(None);
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(to))?;
        Ok(Some(Tightened {
            path: path.to_path_buf(),
            from,
            to,
        }))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(None)
    }
}

/// [`tighten`] on `path` and, for a directory, everything under it (links not followed).
pub fn tighten_tree(path: &Path) -> io::Result<Vec<Tightened>> {
    let mut out = Vec::new();
    let mut todo = vec![path.to_path_buf()];
    while let Some(p) = todo.pop() {
        out.extend(tighten(&p)?);
        let is_dir = std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir());
        if is_dir {
            for e in std::fs::read_dir(&p)? {
                todo.push(e?.path());
            }
        }
    }
    Ok(out)
}

/// Brings a data directory into line: the directory itself, its own files ([`DATA_FILES`])
/// and its own trees ([`DATA_TREES`]); anything else an operator keeps there is left alone.
/// Returns what was changed, for the log.
pub fn tighten_data_dir(dir: &Path) -> io::Result<Vec<Tightened>> {
    let mut out = Vec::new();
    out.extend(tighten(dir)?);
    for f in DATA_FILES {
        out.extend(tighten(&dir.join(f))?);
    }
    for t in DATA_TREES {
        out.extend(tighten_tree(&dir.join(t))?);
    }
    Ok(out)
}

/// The path of the database file of a SQLite URL (`sqlite://PATH?mode=rwc`, `sqlite:PATH`),
/// `None` for another database or an in-memory one.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| PathBuf::from(path))
}

/// The database file of a SQLite URL and its companions (`-wal`, `-shm`, `-journal`):
/// the file is created 0600 if missing, then all of them are tightened. Nothing for
/// another database.
pub fn prepare_sqlite_file(url: &str) -> io::Result<Vec<Tightened>> {
    let Some(path) = sqlite_path(url) else {
        return Ok(Vec::new());
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir_all(parent)?;
    }
    ensure_private_file(&path)?;
    let mut out = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        out.extend(tighten(Path::new(&p))?);
    }
    Ok(out)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
    }

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "anpei-files-{name}-{}",
            &crate::crypto::random_token()[..12]
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn new_directories_and_files_are_the_owners_only() {
        let d = temp("new");
        let sub = d.join("a/b");
        create_private_dir_all(&sub).unwrap();
        assert_eq!(mode(&d.join("a")), 0o700);
        assert_eq!(mode(&sub), 0o700);
        let f = sub.join("f");
        create_private_file(&f).unwrap();
        assert_eq!(mode(&f), 0o600);
        assert!(
            create_private_file(&f).is_err(),
            "an existing file is not reused"
        );
        let db = sub.join("x.db");
        assert!(
            prepare_sqlite_file(&format!("sqlite://{}?mode=rwc", db.display()))
                .unwrap()
                .is_empty()
        );
        assert_eq!(mode(&db), 0o600);
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn an_old_data_directory_is_tightened_and_what_changed_is_said() {
        let d = temp("old");
        let set = |p: &Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
        };
        std::fs::write(d.join("master.key"), "k").unwrap();
        std::fs::write(d.join("anpei.db"), "").unwrap();
        std::fs::write(d.join("anpei.db-wal"), "").unwrap();
        std::fs::create_dir_all(d.join("evidence/sub")).unwrap();
        std::fs::write(d.join("evidence/abc"), "e").unwrap();
        std::fs::write(d.join("notes.txt"), "the operator's").unwrap();
        for (p, m) in [
            ("", 0o755),
            ("master.key", 0o644),
            ("anpei.db", 0o644),
            ("anpei.db-wal", 0o664),
            ("evidence", 0o755),
            ("evidence/sub", 0o775),
            ("evidence/abc", 0o644),
            ("notes.txt", 0o644),
        ] {
            set(&d.join(p), m);
        }
        std::os::unix::fs::symlink("/etc/hostname", d.join("evidence/link")).unwrap();
        let changed = tighten_data_dir(&d).unwrap();
        assert_eq!(changed.len(), 7, "{changed:?}");
        assert!(changed
            .iter()
            .any(|t| t.path == d.join("master.key") && t.from == 0o644 && t.to == 0o600));
        assert_eq!(mode(&d), 0o700);
        assert_eq!(mode(&d.join("anpei.db-wal")), 0o600);
        assert_eq!(mode(&d.join("evidence/sub")), 0o700);
        assert_eq!(mode(&d.join("evidence/abc")), 0o600);
        // Not the installation's: left alone; a link is not followed.
        assert_eq!(mode(&d.join("notes.txt")), 0o644);
        // Done once: nothing more to change.
        assert!(tighten_data_dir(&d).unwrap().is_empty());
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_path("sqlite:///var/lib/anpei/anpei.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/anpei/anpei.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:data/a.db"),
            Some(PathBuf::from("data/a.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }
}
