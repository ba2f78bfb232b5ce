//! The security policy in force: password rules, which roles need a second
//! factor, who may unmask personal data and who may export it in bulk.
//!
//! The operator's configuration (`[security]` in `anpei.toml`, `ANPEI_SECURITY_*`) gives the
//! baseline, set once at start-up with [`Store::set_policy`]; the security administrator's
//! saved settings, where there are any, are laid over it.

use crate::scope::Role;
use serde::{Deserialize, Serialize};

/// Password rules (等保: length, complexity, history, expiry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    /// Fewest characters.
    pub min_length: usize,
    /// Fewest character classes (lower case, upper case, digits, symbols), 1–4.
    pub min_classes: usize,
    /// A new password may not be one of the last N (0: no history).
    pub history: usize,
    /// Days after which a password must be changed (0: never expires).
    pub max_age_days: i64,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: 8,
            min_classes: 3,
            history: 5,
            max_age_days: 90,
        }
    }
}

/// Everything the security administrator decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPolicy {
    pub password: PasswordPolicy,
    /// Roles that must sign in with a second factor (TOTP). Empty: nobody (a test
    /// installation).
    pub mfa_roles: Vec<Role>,
    /// Roles that may unmask an ID or phone number (each time with a reason, audited).
    pub unmask_roles: Vec<Role>,
    /// Roles that may export personal data in bulk (more rows than the threshold).
    pub personal_export_roles: Vec<Role>,
    /// Rows of personal data above which an export is a bulk export.
    pub personal_export_threshold: usize,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        SecurityPolicy {
            password: PasswordPolicy::default(),
            mfa_roles: vec![
                Role::City,
                Role::District,
                Role::Sysadmin,
                Role::SecurityAdmin,
                Role::Auditor,
            ],
            unmask_roles: vec![Role::City, Role::District, Role::Department, Role::Town],
            personal_export_roles: vec![Role::City, Role::District],
            personal_export_threshold: 1000,
        }
    }
}

impl SecurityPolicy {
    pub fn requires_mfa(&self, role: Role) -> bool {
        self.mfa_roles.contains(&role)
    }

    pub fn may_unmask(&self, role: Role) -> bool {
        self.unmask_roles.contains(&role)
    }

    pub fn may_export_personal(&self, role: Role) -> bool {
        self.personal_export_roles.contains(&role)
    }
}

/// Parses a comma-separated list of role codes (`ANPEI_SECURITY_MFA_ROLES`); blank items are
/// skipped, so an empty string is an empty list.
pub fn parse_roles(list: &str) -> Result<Vec<Role>, String> {
    let mut out = Vec::new();
    for code in list
        .split([',', '，'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let role = Role::from_code(code).ok_or_else(|| {
            format!(
                "未知角色“{code}”，应为 {}",
                Role::ALL
                    .iter()
                    .map(|r| r.code())
                    .collect::<Vec<_>>()
                    .join("、")
            )
        })?;
        if !out.contains(&role) {
            out.push(role);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_asks_administrators_and_district_users_for_a_second_factor() {
        let p = SecurityPolicy::default();
        assert!(p.requires_mfa(Role::District));
        assert!(p.requires_mfa(Role::Sysadmin));
        assert!(!p.requires_mfa(Role::Subject));
        assert_eq!(p.password.min_length, 8);
        assert_eq!(p.password.history, 5);
        assert_eq!(p.password.max_age_days, 90);
    }

    #[test]
    fn role_lists_parse_and_an_empty_list_is_empty() {
        assert_eq!(parse_roles("").unwrap(), vec![]);
        assert_eq!(parse_roles(" , ").unwrap(), vec![]);
        assert_eq!(
            parse_roles("district, sysadmin,district").unwrap(),
            vec![Role::District, Role::Sysadmin]
        );
        assert!(parse_roles("district,boss").unwrap_err().contains("boss"));
    }
}
