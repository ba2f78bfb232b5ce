//! Configuration: `anpei.toml` (in the data directory, or `--config FILE`) overlaid by
//! `ANPEI_*` environment variables, overlaid by command-line flags. Secrets are never
//! printed: `Debug` of `Config` hides the master key.

use anpei_core::Params;
use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub bind: Option<String>,
    pub database_url: Option<String>,
    /// 64 hex characters; without it a key file is generated in the data directory.
    pub master_key: Option<String>,
    pub secure_cookies: bool,
    pub log: Option<String>,
    pub params: Params,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field(
                "database_url",
                &self.database_url.as_ref().map(|u| redact_url(u)),
            )
            .field(
                "master_key",
                &self.master_key.as_ref().map(|_| "<redacted>"),
            )
            .field("secure_cookies", &self.secure_cookies)
            .finish()
    }
}

/// Hides a password in a database URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Config {
    pub fn load(data_dir: &Path, file: Option<&Path>) -> Result<Config> {
        let default = data_dir.join("anpei.toml");
        let path: Option<PathBuf> = match file {
            Some(f) => Some(f.to_path_buf()),
            None => default.exists().then_some(default),
        };
        let mut cfg = match &path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("无法读取配置文件 {}", p.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("配置文件 {} 格式错误", p.display()))?
            }
            None => Config::default(),
        };
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if let Some(v) = env("ANPEI_BIND") {
            cfg.bind = Some(v);
        }
        if let Some(v) = env("ANPEI_MASTER_KEY") {
            cfg.master_key = Some(v);
        }
        if let Some(v) = env("ANPEI_LOG") {
            cfg.log = Some(v);
        }
        if let Some(v) = env("ANPEI_SECURE_COOKIES") {
            cfg.secure_cookies = matches!(v.as_str(), "1" | "true" | "yes");
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_password_is_redacted() {
        assert_eq!(
            redact_url("postgres://anpei:s3cret@db/anpei"),
            "postgres://anpei:***@db/anpei"
        );
        assert_eq!(
            redact_url("sqlite:///data/anpei.db"),
            "sqlite:///data/anpei.db"
        );
    }

    #[test]
    fn debug_output_never_shows_the_master_key() {
        let cfg = Config {
            master_key: Some("ab".repeat(32)),
            ..Default::default()
        };
        assert!(!format!("{cfg:?}").contains("abab"));
    }
}
