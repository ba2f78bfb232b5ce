//! The security administrator's side of account security (等保 2.0 三级): the saved security policy
//! laid over the configured baseline, password history and expiry, unmasking a person's ID or phone
//! number (with a reason, audited) and role grants (三员分立).
//!
//! The baseline is whatever [`Store::set_policy`] last set (the CLI: `[security]` of
//! `anpei.toml`); the security administrator's saved settings hold only the values that
//! differ from it, so a value he never changed keeps following the configuration.

use crate::entity::{password_history, person, security_setting, session, subject, user};
use crate::platform::accounts::verify_password;
use crate::platform::audit::{self, Actor, Event};
use crate::platform::policy::{PasswordPolicy, SecurityPolicy};
use crate::scope::{self, Role, Scope};
use crate::{Store, StoreError, StoreResult};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, Weak};

/// The key of the saved policy in `security_settings`.
pub const POLICY_KEY: &str = "policy";

/// Bounds of the settable values (the page refuses anything outside them).
pub const MIN_LENGTH_BOUNDS: (usize, usize) = (6, 128);
pub const HISTORY_MAX: usize = 24;
pub const MAX_AGE_DAYS_MAX: i64 = 3650;
pub const THRESHOLD_BOUNDS: (usize, usize) = (1, 1_000_000);

/// Password hashes kept per account (at least this many, more if the policy asks).
const HISTORY_KEPT: usize = HISTORY_MAX;

/// The three administrators (三员): none of them touches business data.
pub fn is_administrator(role: Role) -> bool {
    matches!(role, Role::Sysadmin | Role::SecurityAdmin | Role::Auditor)
}

/// Roles that see business data (and so may be allowed to unmask or export it).
pub const BUSINESS_ROLES: &[Role] = &[
    Role::City,
    Role::District,
    Role::Department,
    Role::Town,
    Role::Subject,
];

// ---------------------------------------------------------------------------------------
// The saved policy

/// The security administrator's saved settings: only the values that differ from the
/// configured baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_min_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_min_classes: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_history: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_max_age_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_roles: Option<Vec<Role>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unmask_roles: Option<Vec<Role>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_export_roles: Option<Vec<Role>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_export_threshold: Option<usize>,
}

fn differs<T: PartialEq + Clone>(base: &T, wanted: &T) -> Option<T> {
    (base != wanted).then(|| wanted.clone())
}

/// Role lists in the order of `Role::ALL`, without repeats (lists compare as sets).
pub fn normalize(p: &SecurityPolicy) -> SecurityPolicy {
    let norm = |l: &[Role]| -> Vec<Role> {
        Role::ALL
            .iter()
            .copied()
            .filter(|r| l.contains(r))
            .collect()
    };
    SecurityPolicy {
        mfa_roles: norm(&p.mfa_roles),
        unmask_roles: norm(&p.unmask_roles),
        personal_export_roles: norm(&p.personal_export_roles),
        ..p.clone()
    }
}

impl PolicyOverrides {
    /// The values of `wanted` that differ from `base`.
    pub fn between(base: &SecurityPolicy, wanted: &SecurityPolicy) -> PolicyOverrides {
        let (b, w) = (normalize(base), normalize(wanted));
        PolicyOverrides {
            password_min_length: differs(&b.password.min_length, &w.password.min_length),
            password_min_classes: differs(&b.password.min_classes, &w.password.min_classes),
            password_history: differs(&b.password.history, &w.password.history),
            password_max_age_days: differs(&b.password.max_age_days, &w.password.max_age_days),
            mfa_roles: differs(&b.mfa_roles, &w.mfa_roles),
            unmask_roles: differs(&b.unmask_roles, &w.unmask_roles),
            personal_export_roles: differs(&b.personal_export_roles, &w.personal_export_roles),
            personal_export_threshold: differs(
                &b.personal_export_threshold,
                &w.personal_export_threshold,
            ),
        }
    }

    /// `base` with these values laid over it.
    pub fn apply(&self, base: &SecurityPolicy) -> SecurityPolicy {
        let b = base.clone();
        let o = self.clone();
        SecurityPolicy {
            password: PasswordPolicy {
                min_length: o.password_min_length.unwrap_or(b.password.min_length),
                min_classes: o.password_min_classes.unwrap_or(b.password.min_classes),
                history: o.password_history.unwrap_or(b.password.history),
                max_age_days: o.password_max_age_days.unwrap_or(b.password.max_age_days),
            },
            mfa_roles: o.mfa_roles.unwrap_or(b.mfa_roles),
            unmask_roles: o.unmask_roles.unwrap_or(b.unmask_roles),
            personal_export_roles: o.personal_export_roles.unwrap_or(b.personal_export_roles),
            personal_export_threshold: o
                .personal_export_threshold
                .unwrap_or(b.personal_export_threshold),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == PolicyOverrides::default()
    }
}

/// Checks a policy the security administrator wants; the message names the setting.
pub fn validate(p: &SecurityPolicy) -> Result<(), String> {
    let pw = &p.password;
    let (lo, hi) = MIN_LENGTH_BOUNDS;
    if !(lo..=hi).contains(&pw.min_length) {
        return Err(format!("“密码最小长度”应在{lo}到{hi}位之间"));
    }
    if !(1..=4).contains(&pw.min_classes) {
        return Err("“密码字符类别数”应在1到4之间".into());
    }
    if pw.history > HISTORY_MAX {
        return Err(format!(
            "“不得重复使用最近几次密码”应在0到{HISTORY_MAX}之间"
        ));
    }
    if !(0..=MAX_AGE_DAYS_MAX).contains(&pw.max_age_days) {
        return Err(format!(
            "“密码有效期”应在0到{MAX_AGE_DAYS_MAX}天之间（0表示不过期）"
        ));
    }
    let (lo, hi) = THRESHOLD_BOUNDS;
    if !(lo..=hi).contains(&p.personal_export_threshold) {
        return Err(format!("“批量导出阈值”应在{lo}到{hi}条之间"));
    }
    for (what, list) in [
        ("可查看完整号码的角色", &p.unmask_roles),
        ("可批量导出个人信息的角色", &p.personal_export_roles),
    ] {
        if let Some(r) = list.iter().find(|r| is_administrator(**r)) {
            return Err(format!("“{what}”不能包含{}：三员不接触业务数据", r.label()));
        }
    }
    Ok(())
}

/// A role list for people: labels joined, or 无.
pub fn roles_text(list: &[Role]) -> String {
    if list.is_empty() {
        "无".into()
    } else {
        list.iter()
            .map(|r| r.label())
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// The password rules as users read them (password pages).
pub fn password_rules_text(p: &PasswordPolicy) -> String {
    let mut s = format!(
        "至少{}位，含大写字母、小写字母、数字、符号中的至少{}类",
        p.min_length, p.min_classes
    );
    if p.history > 0 {
        s.push_str(&format!("；不能与最近{}次使用过的密码相同", p.history));
    }
    if p.max_age_days > 0 {
        s.push_str(&format!("；每{}天须修改一次", p.max_age_days));
    }
    s
}

/// One setting of the policy: its name and its value as people read them.
pub fn settings(p: &SecurityPolicy) -> Vec<(&'static str, &'static str, String)> {
    let days = |d: i64| {
        if d == 0 {
            "不过期".to_string()
        } else {
            format!("{d}天")
        }
    };
    vec![
        (
            "password_min_length",
            "密码最小长度",
            format!("{}位", p.password.min_length),
        ),
        (
            "password_min_classes",
            "密码字符类别数",
            format!("{}类", p.password.min_classes),
        ),
        (
            "password_history",
            "不得重复使用最近几次密码",
            if p.password.history == 0 {
                "不限制".into()
            } else {
                format!("{}次", p.password.history)
            },
        ),
        (
            "password_max_age_days",
            "密码有效期",
            days(p.password.max_age_days),
        ),
        ("mfa_roles", "须双因素登录的角色", roles_text(&p.mfa_roles)),
        (
            "unmask_roles",
            "可查看完整号码的角色",
            roles_text(&p.unmask_roles),
        ),
        (
            "personal_export_roles",
            "可批量导出个人信息的角色",
            roles_text(&p.personal_export_roles),
        ),
        (
            "personal_export_threshold",
            "批量导出阈值",
            format!("{}条", p.personal_export_threshold),
        ),
    ]
}

/// What changed between two policies, one `名称：旧→新` per changed setting.
pub fn describe_changes(old: &SecurityPolicy, new: &SecurityPolicy) -> Vec<String> {
    settings(&normalize(old))
        .into_iter()
        .zip(settings(&normalize(new)))
        .filter(|((_, _, a), (_, _, b))| a != b)
        .map(|((_, name, a), (_, _, b))| format!("{name}：{a}→{b}"))
        .collect()
}

/// Where a setting in force comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The built-in default (no configuration sets it).
    Default,
    /// `[security]` of `anpei.toml` or `ANPEI_SECURITY_*`.
    Config,
    /// The security administrator's saved settings.
    Saved,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::Default => "默认值",
            Source::Config => "配置文件",
            Source::Saved => "安全管理员设置",
        }
    }
}

/// The baseline each store was given, and the policy this module last set on it; keyed by
/// the store's shared parameters (every clone of a store shares them). A weak reference
/// keeps the allocation, so an address is never reused while its entry exists.
struct Remembered {
    params: Weak<anpei_core::Params>,
    baseline: SecurityPolicy,
    applied: SecurityPolicy,
}

fn remembered() -> &'static Mutex<Vec<Remembered>> {
    static R: std::sync::OnceLock<Mutex<Vec<Remembered>>> = std::sync::OnceLock::new();
    R.get_or_init(|| Mutex::new(Vec::new()))
}

fn is_this(r: &Remembered, store: &Store) -> bool {
    std::ptr::eq(r.params.as_ptr(), Arc::as_ptr(&store.params))
}

/// The configured baseline of this store: the policy last set with [`Store::set_policy`]
/// by anyone but this module.
pub fn baseline(store: &Store) -> SecurityPolicy {
    let in_force = store.policy();
    let list = remembered()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match list.iter().find(|r| is_this(r, store)) {
        // Nobody has replaced what this module set: the baseline stands.
        Some(r) if r.applied == in_force => r.baseline.clone(),
        // Set anew since (start-up, a test): that is the baseline now.
        _ => in_force,
    }
}

/// Lays `overrides` over the baseline and puts the result in force.
fn put_in_force(store: &Store, overrides: &PolicyOverrides) -> SecurityPolicy {
    let base = baseline(store);
    let in_force = overrides.apply(&base);
    store.set_policy(in_force.clone());
    let mut list = remembered()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    list.retain(|r| r.params.strong_count() > 0 && !is_this(r, store));
    list.push(Remembered {
        params: Arc::downgrade(&store.params),
        baseline: base,
        applied: in_force.clone(),
    });
    in_force
}

/// The saved settings, with when and by whom they were saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub overrides: PolicyOverrides,
    pub updated_at: i64,
    pub updated_by: String,
}

async fn load_saved<C: ConnectionTrait>(db: &C) -> StoreResult<Option<Saved>> {
    let Some(row) = security_setting::Entity::find_by_id(POLICY_KEY.to_string())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let overrides = serde_json::from_str(&row.value).map_err(|e| {
        StoreError::Validation(format!(
            "已保存的安全策略无法读取（security_settings）：{e}"
        ))
    })?;
    Ok(Some(Saved {
        overrides,
        updated_at: row.updated_at,
        updated_by: row.updated_by,
    }))
}

/// The saved settings, if any.
pub async fn saved(store: &Store) -> StoreResult<Option<Saved>> {
    load_saved(&store.db).await
}

/// Lays the security administrator's saved settings over the baseline just set with
/// [`Store::set_policy`] (the CLI calls this at start-up, right after it; tests may call it
/// too). A database not yet migrated has none.
pub async fn apply_saved_policy(store: &Store) -> StoreResult<SecurityPolicy> {
    let migrated = sea_orm_migration::SchemaManager::new(&store.db)
        .has_table("security_settings")
        .await?;
    let overrides = if migrated {
        load_saved(&store.db)
            .await?
            .map(|s| s.overrides)
            .unwrap_or_default()
    } else {
        PolicyOverrides::default()
    };
    Ok(put_in_force(store, &overrides))
}

/// One setting as the security administrator's page shows it.
#[derive(Debug, Clone)]
pub struct SettingView {
    pub key: &'static str,
    pub name: &'static str,
    pub value: String,
    pub source: Source,
    /// The configured (or default) value, shown beside a saved one.
    pub baseline: String,
}

/// The policy in force (re-read from the database, so that a change saved on another
/// server shows and applies here too) and where each value comes from.
pub async fn view(store: &Store) -> StoreResult<(SecurityPolicy, Vec<SettingView>, Option<Saved>)> {
    let saved = saved(store).await?;
    let overrides = saved
        .as_ref()
        .map(|s| s.overrides.clone())
        .unwrap_or_default();
    let in_force = put_in_force(store, &overrides);
    let base = baseline(store);
    let default = SecurityPolicy::default();
    let o = serde_json::to_value(&overrides).unwrap_or_default();
    let rows = settings(&in_force)
        .into_iter()
        .zip(settings(&base))
        .zip(settings(&default))
        .map(|(((key, name, value), (_, _, b)), (_, _, d))| SettingView {
            key,
            name,
            source: if o.get(key).is_some() {
                Source::Saved
            } else if b == d {
                Source::Default
            } else {
                Source::Config
            },
            value,
            baseline: b,
        })
        .collect();
    Ok((in_force, rows, saved))
}

/// Saves the policy the security administrator wants (validated), audits it as
/// `policy.update` with what changed, and puts it in force. Returns the changes (none:
/// nothing was saved).
pub async fn save_policy(
    store: &Store,
    actor: &Actor,
    wanted: &SecurityPolicy,
) -> StoreResult<Vec<String>> {
    let wanted = normalize(wanted);
    validate(&wanted).map_err(StoreError::Validation)?;
    let txn = store.write().await?;
    let before = load_saved(&*txn)
        .await?
        .map(|s| s.overrides)
        .unwrap_or_default();
    let base = baseline(store);
    let old = before.apply(&base);
    let changes = describe_changes(&old, &wanted);
    if changes.is_empty() {
        drop(txn);
        put_in_force(store, &before);
        return Ok(changes);
    }
    let overrides = PolicyOverrides::between(&base, &wanted);
    let value = serde_json::to_string(&overrides)
        .map_err(|e| StoreError::Validation(format!("安全策略无法保存：{e}")))?;
    let now = store.now();
    let row = security_setting::ActiveModel {
        key: Set(POLICY_KEY.to_string()),
        value: Set(value),
        updated_at: Set(now),
        updated_by: Set(actor.username.clone()),
    };
    if security_setting::Entity::find_by_id(POLICY_KEY.to_string())
        .one(&*txn)
        .await?
        .is_some()
    {
        row.update(&*txn).await?;
    } else {
        row.insert(&*txn).await?;
    }
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("policy.update", "security_policy").with_detail(changes.join("；")),
    )
    .await?;
    txn.commit().await?;
    put_in_force(store, &overrides);
    Ok(changes)
}

// ---------------------------------------------------------------------------------------
// Passwords: history and expiry

/// Refuses `password` when it is the account's current password or one of its last `n`
/// (argon2 verification off the async runtime).
pub async fn check_history(
    store: &Store,
    u: &user::Model,
    password: &str,
    n: usize,
) -> StoreResult<()> {
    if n == 0 {
        return Ok(());
    }
    let mut hashes: Vec<String> = password_history::Entity::find()
        .filter(password_history::Column::UserId.eq(u.id))
        .order_by_desc(password_history::Column::Id)
        .select_only()
        .column(password_history::Column::Hash)
        .limit(n as u64)
        .into_tuple()
        .all(&store.db)
        .await?;
    // Accounts from before the history was kept: the current password counts as the last.
    if !hashes.contains(&u.password_hash) {
        hashes.insert(0, u.password_hash.clone());
        hashes.truncate(n);
    }
    let pw = password.to_string();
    let reused =
        tokio::task::spawn_blocking(move || hashes.iter().any(|h| verify_password(h, &pw)))
            .await
            .map_err(|e| StoreError::Validation(format!("密码校验失败：{e}")))?;
    if reused {
        return Err(StoreError::Validation(format!(
            "新密码不能与最近{n}次使用过的密码相同"
        )));
    }
    Ok(())
}

/// Records a password hash in the account's history (inside the caller's transaction) and
/// drops the oldest beyond what any policy keeps.
pub async fn record_password<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    hash: &str,
    now: i64,
    history: usize,
) -> StoreResult<()> {
    password_history::ActiveModel {
        user_id: Set(user_id),
        hash: Set(hash.to_string()),
        changed_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let keep = history.max(HISTORY_KEPT);
    let ids: Vec<i32> = password_history::Entity::find()
        .filter(password_history::Column::UserId.eq(user_id))
        .order_by_desc(password_history::Column::Id)
        .select_only()
        .column(password_history::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let old: Vec<i32> = ids.into_iter().skip(keep).collect();
    if !old.is_empty() {
        password_history::Entity::delete_many()
            .filter(password_history::Column::Id.is_in(old))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Whether the account's password is older than the policy allows (then it must be changed
/// before anything else): `password_changed_at + max_age_days ≤ now`.
pub fn password_expired(p: &PasswordPolicy, u: &user::Model, now: i64) -> bool {
    p.max_age_days > 0 && u.password_changed_at + p.max_age_days * 86_400 <= now
}

// ---------------------------------------------------------------------------------------
// Unmasking

/// Which number of a person to unmask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnmaskField {
    IdNumber,
    Phone,
}

impl UnmaskField {
    pub fn from_code(s: &str) -> Option<UnmaskField> {
        match s {
            "id_number" => Some(UnmaskField::IdNumber),
            "phone" => Some(UnmaskField::Phone),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            UnmaskField::IdNumber => "id_number",
            UnmaskField::Phone => "phone",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            UnmaskField::IdNumber => "身份证号",
            UnmaskField::Phone => "手机号",
        }
    }
}

/// Fewest characters of a reason for unmasking.
pub const REASON_MIN_CHARS: usize = 5;
pub const REASON_MAX_CHARS: usize = 200;

/// The reason given for unmasking, trimmed, or why it is not enough.
pub fn check_reason(reason: &str) -> Result<String, String> {
    let r = reason.trim();
    let n = r.chars().count();
    if n < REASON_MIN_CHARS {
        return Err(format!(
            "请填写查看原因（至少{REASON_MIN_CHARS}个字），查看将被记入审计日志"
        ));
    }
    if n > REASON_MAX_CHARS {
        return Err(format!("查看原因不能超过{REASON_MAX_CHARS}个字"));
    }
    Ok(r.to_string())
}

/// A person's full ID or phone number, for a role the policy lets unmask, of a person in
/// `scope` (`None`: not there, as everywhere), with a reason; every unmasking is audited as
/// `person.unmask` with the reason, and a refused role as a failed one.
pub async fn unmask_person(
    store: &Store,
    role: Role,
    scope: &Scope,
    actor: &Actor,
    person_id: i32,
    field: UnmaskField,
    reason: &str,
) -> StoreResult<Option<String>> {
    let object = format!("person:{person_id}");
    if !store.policy().may_unmask(role) {
        audit::record(
            store,
            actor,
            Event::ok("person.unmask", object)
                .failed()
                .with_detail(format!("field={}; 角色无权查看完整号码", field.code())),
        )
        .await?;
        return Err(StoreError::Forbidden);
    }
    let Some(p) = scope::persons(scope)
        .filter(person::Column::Id.eq(person_id))
        .one(&store.db)
        .await?
    else {
        return Ok(None);
    };
    let reason = check_reason(reason).map_err(StoreError::Validation)?;
    let enc = match field {
        UnmaskField::IdNumber => Some(p.id_enc),
        UnmaskField::Phone => p.phone_enc,
    };
    let enc = enc.ok_or_else(|| StoreError::Validation("该人员未登记手机号".into()))?;
    let plain = store.crypto.decrypt(&enc)?;
    audit::record(
        store,
        actor,
        Event::ok("person.unmask", object)
            .with_detail(format!("field={}; reason={reason}", field.code())),
    )
    .await?;
    Ok(Some(plain))
}

/// Whether an export of `personal_rows` rows of personal data is allowed to `role`; the
/// message says why not and what to do.
pub fn check_personal_export(
    p: &SecurityPolicy,
    role: Role,
    personal_rows: usize,
) -> Result<(), String> {
    if personal_rows <= p.personal_export_threshold || p.may_export_personal(role) {
        return Ok(());
    }
    Err(format!(
        "本次导出含个人信息{personal_rows}条，超过{}条的批量导出需要“批量导出个人信息”权限（{}）。\
         请按镇街、行业、规则或单位缩小筛选范围后再导出。",
        p.personal_export_threshold,
        roles_text(&p.personal_export_roles)
    ))
}

// ---------------------------------------------------------------------------------------
// Role grants

/// An account as the grants page shows it.
#[derive(Debug, Clone)]
pub struct GrantRow {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub role: Option<Role>,
    pub role_label: &'static str,
    /// The scope by name (town, department, subject), 全区 or —.
    pub scope_label: String,
    /// The scope as the grant form takes it (town or department name, subject USCC).
    pub scope_value: String,
    pub active: bool,
    pub locked_until: Option<i64>,
    pub must_change_password: bool,
    pub password_changed_at: i64,
    /// Created by the system administrator, its (requested) role not granted yet.
    pub awaiting_grant: bool,
}

/// Names of the scope of an account: (label, value the grant form takes).
async fn scope_names<C: ConnectionTrait>(db: &C, u: &user::Model) -> StoreResult<(String, String)> {
    let subjects = match u.scope_subject_id {
        Some(s) => subject::Entity::find_by_id(s).all(db).await?,
        None => Vec::new(),
    };
    Ok(crate::platform::accounts::Places::load(db)
        .await?
        .label(u, &subjects))
}

/// Every account with its role, scope and status (security administrator's page).
pub async fn list_grants(store: &Store) -> StoreResult<Vec<GrantRow>> {
    let users = user::Entity::find()
        .order_by_asc(user::Column::Username)
        .all(&store.db)
        .await?;
    let places = crate::platform::accounts::Places::load(&store.db).await?;
    let subject_ids: Vec<i32> = users.iter().filter_map(|u| u.scope_subject_id).collect();
    let subjects: Vec<subject::Model> = subject::Entity::find()
        .filter(subject::Column::Id.is_in(subject_ids))
        .all(&store.db)
        .await?;
    Ok(users
        .into_iter()
        .map(|u| {
            let (scope_label, scope_value) = places.label(&u, &subjects);
            let role = Role::from_code(&u.role);
            GrantRow {
                id: u.id,
                role,
                role_label: role.map_or("未知", Role::label),
                scope_label,
                scope_value,
                active: u.active,
                locked_until: u.locked_until,
                must_change_password: u.must_change_password,
                password_changed_at: u.password_changed_at,
                awaiting_grant: u.awaiting_grant,
                username: u.username,
                display_name: u.display_name,
            }
        })
        .collect())
}

/// Accounts with a confirmed second factor, when the two-factor table exists (`None`
/// otherwise: a database from before two-factor sign-in). Read by SQL, not through the
/// two-factor module, so that the grants page only reports what is enrolled.
pub async fn mfa_enrolled(store: &Store) -> StoreResult<Option<std::collections::HashSet<i32>>> {
    let has = sea_orm_migration::SchemaManager::new(&store.db)
        .has_table("user_mfa")
        .await?;
    if !has {
        return Ok(None);
    }
    let rows = store
        .db
        .query_all(sea_orm::Statement::from_string(
            store.backend(),
            "SELECT user_id FROM user_mfa WHERE secret_enc IS NOT NULL",
        ))
        .await?;
    let mut ids = std::collections::HashSet::new();
    for r in rows {
        ids.insert(r.try_get::<i32>("", "user_id")?);
    }
    Ok(Some(ids))
}

/// What the security administrator does to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// Change the role and its scope (town/department name or subject USCC).
    Role {
        role: Role,
        scope: Option<String>,
    },
    /// Grant the role and scope the system administrator requested for a new account.
    Approve,
    Disable,
    Enable,
    Unlock,
}

impl Grant {
    fn action(&self) -> &'static str {
        match self {
            Grant::Role { .. } | Grant::Approve => "grant.role",
            Grant::Disable => "grant.disable",
            Grant::Enable => "grant.enable",
            Grant::Unlock => "grant.unlock",
        }
    }
}

/// Applies a grant to account `target_id` for `granter` (whose role is `granter_role`);
/// audited as a permission change. 三员分立: an account holds exactly one role, roles are
/// granted only by the security administrator (the role the system administrator requested
/// for a new account included: [`Grant::Approve`], or any [`Grant::Role`]), and nobody
/// changes his own account here. A role change or a disabling ends the account's sessions.
/// Returns what was done, in Chinese.
pub async fn grant(
    store: &Store,
    granter: &Actor,
    granter_role: Role,
    target_id: i32,
    g: Grant,
) -> StoreResult<String> {
    let now = store.now();
    let txn = store.write().await?;
    let u = user::Entity::find_by_id(target_id)
        .one(&*txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let object = format!("user:{}", u.username);
    let refuse = |why: &str| {
        Event::ok(g.action(), object.clone())
            .failed()
            .with_detail(why)
    };
    if granter.user_id == Some(u.id) {
        audit::append(&*txn, now, granter, &refuse("不能修改自己的账号权限")).await?;
        txn.commit().await?;
        return Err(StoreError::Forbidden);
    }
    // Role grants, and so the administrators' roles, are the security administrator's.
    if granter_role != Role::SecurityAdmin {
        let why = match &g {
            Grant::Role { role, .. } => format!("{}无权授予{}", granter_role.label(), role.label()),
            Grant::Approve => format!("{}无权授予角色", granter_role.label()),
            _ => format!("{}无权修改账号权限", granter_role.label()),
        };
        audit::append(&*txn, now, granter, &refuse(&why)).await?;
        txn.commit().await?;
        return Err(StoreError::Forbidden);
    }
    let mut end_sessions = false;
    let (done, detail) = match &g {
        Grant::Role { role, scope } => {
            let cols =
                crate::platform::accounts::resolve_scope(&*txn, *role, scope.as_deref()).await?;
            let (old_scope, _) = scope_names(&*txn, &u).await?;
            let old_role = Role::from_code(&u.role).map_or("未知", Role::label);
            let unchanged =
                u.role == role.code() && crate::platform::accounts::ScopeColumns::of(&u) == cols;
            // A requested role is granted by choosing it here too, changed or not.
            if unchanged && !u.awaiting_grant {
                return Ok(format!("账号 {} 的角色和范围没有变化", u.username));
            }
            let mut am = u.clone().into_active_model();
            am.role = Set(role.code().to_string());
            cols.set(&mut am);
            am.awaiting_grant = Set(false);
            let updated = am.update(&*txn).await?;
            let (new_scope, _) = scope_names(&*txn, &updated).await?;
            end_sessions = true;
            let requested = if u.awaiting_grant {
                "（申请的角色）"
            } else {
                ""
            };
            (
                if u.awaiting_grant {
                    format!(
                        "已授予账号 {} {}角色（{new_scope}），该账号现在可以登录",
                        u.username,
                        role.label()
                    )
                } else {
                    format!(
                        "已将账号 {} 的角色改为{}（{new_scope}），其所有会话已结束",
                        u.username,
                        role.label()
                    )
                },
                format!(
                    "{}→{}；{old_role}{requested}（{old_scope}）→{}（{new_scope}）",
                    u.role,
                    role.code(),
                    role.label()
                ),
            )
        }
        Grant::Approve => {
            if !u.awaiting_grant {
                return Err(StoreError::Validation(format!(
                    "账号 {} 没有待授权的角色申请",
                    u.username
                )));
            }
            let role = Role::from_code(&u.role).ok_or_else(|| {
                StoreError::Validation(format!(
                    "账号 {} 申请的角色“{}”无法识别，请在“修改角色”中选择角色",
                    u.username, u.role
                ))
            })?;
            let (scope, _) = scope_names(&*txn, &u).await?;
            let mut am = u.clone().into_active_model();
            am.awaiting_grant = Set(false);
            am.update(&*txn).await?;
            end_sessions = true;
            (
                format!(
                    "已授予账号 {} {}角色（{scope}），该账号现在可以登录",
                    u.username,
                    role.label()
                ),
                format!(
                    "awaiting_grant: true→false；授予申请的角色{}（{scope}）",
                    role.label()
                ),
            )
        }
        Grant::Disable => {
            let mut am = u.clone().into_active_model();
            am.active = Set(false);
            am.update(&*txn).await?;
            end_sessions = true;
            (
                format!("已停用账号 {}，其所有会话已结束", u.username),
                "active: true→false".to_string(),
            )
        }
        Grant::Enable => {
            let mut am = u.clone().into_active_model();
            am.active = Set(true);
            am.update(&*txn).await?;
            (
                format!("已启用账号 {}", u.username),
                "active: false→true".to_string(),
            )
        }
        Grant::Unlock => {
            let mut am = u.clone().into_active_model();
            am.locked_until = Set(None);
            am.failed_logins = Set(0);
            am.update(&*txn).await?;
            (
                format!("已解除账号 {} 的锁定", u.username),
                format!("locked_until: {}→none", u.locked_until.unwrap_or_default()),
            )
        }
    };
    if end_sessions {
        session::Entity::delete_many()
            .filter(session::Column::UserId.eq(u.id))
            .exec(&*txn)
            .await?;
    }
    audit::append(
        &*txn,
        now,
        granter,
        &Event::ok(g.action(), object).with_detail(detail),
    )
    .await?;
    txn.commit().await?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> SecurityPolicy {
        SecurityPolicy::default()
    }

    #[test]
    fn validation_names_the_setting_that_is_out_of_bounds() {
        assert_eq!(validate(&policy()), Ok(()));
        let mut p = policy();
        p.password.min_length = 4;
        assert!(validate(&p).unwrap_err().contains("密码最小长度"));
        let mut p = policy();
        p.password.min_classes = 5;
        assert!(validate(&p).unwrap_err().contains("密码字符类别数"));
        let mut p = policy();
        p.password.history = 25;
        assert!(validate(&p).unwrap_err().contains("最近几次密码"));
        let mut p = policy();
        p.password.max_age_days = -1;
        assert!(validate(&p).unwrap_err().contains("密码有效期"));
        let mut p = policy();
        p.personal_export_threshold = 0;
        assert!(validate(&p).unwrap_err().contains("批量导出阈值"));
        let mut p = policy();
        p.unmask_roles.push(Role::Auditor);
        let e = validate(&p).unwrap_err();
        assert!(
            e.contains("可查看完整号码") && e.contains("审计管理员"),
            "{e}"
        );
        let mut p = policy();
        p.personal_export_roles = vec![Role::Sysadmin];
        assert!(validate(&p).unwrap_err().contains("批量导出个人信息"));
        // 0 turns history and expiry off.
        let mut p = policy();
        p.password.history = 0;
        p.password.max_age_days = 0;
        assert_eq!(validate(&p), Ok(()));
    }

    #[test]
    fn overrides_hold_only_what_differs_and_lay_back_over_the_baseline() {
        let base = policy();
        let mut wanted = policy();
        wanted.password.min_length = 12;
        wanted.unmask_roles = vec![Role::Town, Role::District];
        let o = PolicyOverrides::between(&base, &wanted);
        assert_eq!(o.password_min_length, Some(12));
        assert_eq!(o.unmask_roles, Some(vec![Role::District, Role::Town]));
        assert_eq!(o.password_history, None);
        assert_eq!(o.mfa_roles, None);
        assert_eq!(o.apply(&base), normalize(&wanted));
        // A value of the configuration changed later still applies where not overridden.
        let mut new_base = policy();
        new_base.password.history = 8;
        let p = o.apply(&new_base);
        assert_eq!((p.password.min_length, p.password.history), (12, 8));
        // Order of a role list is no change.
        let mut same = policy();
        same.unmask_roles.reverse();
        assert!(PolicyOverrides::between(&base, &same).is_empty());
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(serde_json::from_str::<PolicyOverrides>(&json).unwrap(), o);
    }

    #[test]
    fn changes_are_described_old_to_new() {
        let old = policy();
        let mut new = policy();
        new.password.min_length = 10;
        new.personal_export_roles = vec![];
        let c = describe_changes(&old, &new);
        assert_eq!(
            c,
            vec![
                "密码最小长度：8位→10位".to_string(),
                "可批量导出个人信息的角色：市级管理员、区级管理员→无".to_string()
            ]
        );
        assert!(describe_changes(&old, &old).is_empty());
    }

    #[test]
    fn a_password_expires_after_max_age_days_and_not_a_second_before() {
        let p = PasswordPolicy::default();
        let u = user::Model {
            id: 1,
            username: "u".into(),
            display_name: "u".into(),
            scope_district_id: None,
            password_hash: String::new(),
            role: "town".into(),
            scope_department_id: None,
            scope_town_id: Some(1),
            scope_subject_id: None,
            active: true,
            must_change_password: false,
            password_changed_at: 1_000_000,
            failed_logins: 0,
            locked_until: None,
            created_at: 0,
            awaiting_grant: false,
        };
        let day = 86_400;
        assert!(!password_expired(&p, &u, 1_000_000 + 89 * day));
        assert!(!password_expired(&p, &u, 1_000_000 + 90 * day - 1));
        assert!(password_expired(&p, &u, 1_000_000 + 90 * day));
        let never = PasswordPolicy {
            max_age_days: 0,
            ..p
        };
        assert!(!password_expired(&never, &u, 1_000_000 + 9000 * day));
    }

    #[test]
    fn a_reason_needs_five_characters() {
        assert!(check_reason("").is_err());
        assert!(check_reason("  核实  ").is_err());
        assert_eq!(check_reason(" 核实证书持有人 ").unwrap(), "核实证书持有人");
        assert!(check_reason(&"长".repeat(201)).is_err());
    }

    #[test]
    fn a_bulk_export_needs_the_permission_above_the_threshold_only() {
        let mut p = policy();
        p.personal_export_threshold = 10;
        assert_eq!(check_personal_export(&p, Role::Town, 10), Ok(()));
        let e = check_personal_export(&p, Role::Town, 11).unwrap_err();
        assert!(e.contains("11条") && e.contains("缩小筛选范围"), "{e}");
        assert_eq!(check_personal_export(&p, Role::District, 11), Ok(()));
    }

    #[test]
    fn the_rules_text_names_every_rule_in_force() {
        let t = password_rules_text(&PasswordPolicy::default());
        assert!(t.contains("至少8位") && t.contains("至少3类"));
        assert!(t.contains("最近5次") && t.contains("每90天"));
    }
}
