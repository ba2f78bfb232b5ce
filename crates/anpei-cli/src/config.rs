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
    /// Connections of this instance's pool (default 16); with several app servers on one
    /// PostgreSQL, their sum stays under the server's `max_connections`.
    pub database_max_connections: Option<u32>,
    /// A PostgreSQL streaming-replication standby of `database_url`: list pages, the
    /// dashboard and scans read from it once it has replayed what they must see.
    pub database_read_url: Option<String>,
    /// 64 hex characters; without it a key file is generated in the data directory.
    pub master_key: Option<String>,
    pub secure_cookies: bool,
    pub log: Option<String>,
    pub params: Params,
    pub security: SecurityConfig,
    pub tls: TlsConfig,
    /// A GB/T 2260 code list (`code name` a line) that replaces the built-in one for checking
    /// the area codes of ID numbers; see `anpei_core::areas`.
    pub area_codes_file: Option<PathBuf>,
}

/// `[security]`: the baseline of the security policy (see `anpei_store::platform::policy`); the
/// security administrator's saved settings are laid over it. Unset keys keep the defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    /// Role codes that must sign in with TOTP; `[]` turns the second factor off.
    /// Environment: `ANPEI_SECURITY_MFA_ROLES` (comma-separated; empty: off).
    pub mfa_roles: Option<Vec<String>>,
    pub password_min_length: Option<usize>,
    pub password_min_classes: Option<usize>,
    pub password_history: Option<usize>,
    pub password_max_age_days: Option<i64>,
    pub unmask_roles: Option<Vec<String>>,
    pub personal_export_roles: Option<Vec<String>>,
    pub personal_export_threshold: Option<usize>,
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<String>,
}

impl SecurityConfig {
    /// The policy this configuration gives.
    pub fn policy(&self) -> Result<anpei_store::platform::policy::SecurityPolicy> {
        use anpei_store::platform::policy::{parse_roles, SecurityPolicy};
        let mut p = SecurityPolicy::default();
        let roles = |key: &str, list: &Option<Vec<String>>| -> Result<Option<Vec<_>>> {
            list.as_ref()
                .map(|l| parse_roles(&l.join(",")))
                .transpose()
                .map_err(|e| anyhow::anyhow!("配置项 security.{key}：{e}"))
        };
        if let Some(r) = roles("mfa_roles", &self.mfa_roles)? {
            p.mfa_roles = r;
        }
        if let Some(r) = roles("unmask_roles", &self.unmask_roles)? {
            p.unmask_roles = r;
        }
        if let Some(r) = roles("personal_export_roles", &self.personal_export_roles)? {
            p.personal_export_roles = r;
        }
        let pw = &mut p.password;
        pw.min_length = self.password_min_length.unwrap_or(pw.min_length);
        pw.min_classes = self.password_min_classes.unwrap_or(pw.min_classes);
        pw.history = self.password_history.unwrap_or(pw.history);
        pw.max_age_days = self.password_max_age_days.unwrap_or(pw.max_age_days);
        if !(1..=4).contains(&pw.min_classes) {
            anyhow::bail!("配置项 security.password_min_classes 应在 1 到 4 之间");
        }
        if pw.min_length < 6 {
            anyhow::bail!("配置项 security.password_min_length 不应小于 6");
        }
        p.personal_export_threshold = self
            .personal_export_threshold
            .unwrap_or(p.personal_export_threshold);
        Ok(p)
    }
}

/// `[tls]`: serve HTTPS with this certificate chain and private key (PEM files).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    /// A plain-HTTP address (e.g. `0.0.0.0:80`) that only redirects to the HTTPS address.
    pub redirect_from: Option<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field(
                "database_url",
                &self.database_url.as_ref().map(|u| redact_url(u)),
            )
            .field("database_max_connections", &self.database_max_connections)
            .field(
                "database_read_url",
                &self.database_read_url.as_ref().map(|u| redact_url(u)),
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
        if let Some(v) = env("ANPEI_DATABASE_READ_URL") {
            cfg.database_read_url = Some(v);
        }
        if let Some(v) = env("ANPEI_DATABASE_MAX_CONNECTIONS") {
            cfg.database_max_connections = Some(
                v.parse()
                    .with_context(|| format!("ANPEI_DATABASE_MAX_CONNECTIONS：“{v}”不是正整数"))?,
            );
        }
        if let Some(v) = env("ANPEI_MASTER_KEY") {
            cfg.master_key = Some(v);
        }
        if let Some(v) = env("ANPEI_LOG") {
            cfg.log = Some(v);
        }
        // Read even when empty: an empty list turns the second factor off.
        if let Ok(v) = std::env::var("ANPEI_SECURITY_MFA_ROLES") {
            cfg.security.mfa_roles = Some(
                v.split([',', '，'])
                    .map(|r| r.trim().to_string())
                    .filter(|r| !r.is_empty())
                    .collect(),
            );
        }
        if let Some(v) = env("ANPEI_SECURITY_TRUSTED_PROXIES") {
            cfg.security.trusted_proxies = v.split(',').map(|r| r.trim().to_string()).collect();
        }
        if let Some(v) = env("ANPEI_TLS_CERT_FILE") {
            cfg.tls.cert_file = Some(v.into());
        }
        if let Some(v) = env("ANPEI_TLS_KEY_FILE") {
            cfg.tls.key_file = Some(v.into());
        }
        if let Some(v) = env("ANPEI_TLS_REDIRECT_FROM") {
            cfg.tls.redirect_from = Some(v);
        }
        if let Some(v) = env("ANPEI_SECURE_COOKIES") {
            cfg.secure_cookies = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = env("ANPEI_AREA_CODES_FILE") {
            cfg.area_codes_file = Some(v.into());
        }
        Ok(cfg)
    }

    /// The area codes ID numbers are checked against: the file `area_codes_file` names, read
    /// once at start (a relative path is taken from the data directory), else the built-in
    /// list. A file that cannot be read or parsed stops the program: validating against a
    /// list other than the one configured would accept or refuse the wrong numbers.
    pub fn area_codes(&self, data_dir: &Path) -> Result<Option<anpei_core::areas::AreaCodes>> {
        let Some(file) = &self.area_codes_file else {
            return Ok(None);
        };
        let path = if file.is_relative() {
            data_dir.join(file)
        } else {
            file.clone()
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("无法读取行政区划代码文件 {}", path.display()))?;
        let codes = anpei_core::areas::AreaCodes::parse(&text)
            .with_context(|| format!("行政区划代码文件 {} 格式错误", path.display()))?;
        Ok(Some(codes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_security_section_sets_the_policy_and_an_empty_mfa_list_turns_it_off() {
        let cfg: Config = toml::from_str(
            "[security]\nmfa_roles = []\npassword_min_length = 12\npassword_history = 3\n",
        )
        .unwrap();
        let p = cfg.security.policy().unwrap();
        assert!(p.mfa_roles.is_empty());
        assert_eq!(p.password.min_length, 12);
        assert_eq!(p.password.history, 3);
        assert_eq!(p.password.max_age_days, 90);
        let bad: Config = toml::from_str("[security]\nmfa_roles = [\"boss\"]\n").unwrap();
        assert!(bad
            .security
            .policy()
            .unwrap_err()
            .to_string()
            .contains("boss"));
        let default = Config::default().security.policy().unwrap();
        assert!(default.requires_mfa(anpei_store::Role::District));
    }

    #[test]
    fn an_area_codes_file_replaces_the_built_in_list() {
        let dir = std::env::temp_dir().join(format!("anpei-area-codes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(Config::default().area_codes(&dir).unwrap().is_none());
        std::fs::write(
            dir.join("codes.txt"),
            "# 本地\n500112 渝北区\n500199 新区\n",
        )
        .unwrap();
        let cfg: Config = toml::from_str("area_codes_file = \"codes.txt\"\n").unwrap();
        let codes = cfg.area_codes(&dir).unwrap().unwrap();
        assert_eq!(codes.len(), 2);
        assert_eq!(codes.name("500199"), Some("新区"));
        std::fs::write(dir.join("codes.txt"), "5001 错\n").unwrap();
        let err = format!("{:#}", cfg.area_codes(&dir).unwrap_err());
        assert!(err.contains("格式错误") && err.contains("第1行"), "{err}");
        let missing: Config =
            toml::from_str("area_codes_file = \"/nonexistent/codes.txt\"\n").unwrap();
        assert!(missing.area_codes(&dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

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
