//! Accounts and sessions: argon2id password hashes, lockout after repeated failures,
//! server-side sessions (cookie) and API tokens (bearer), both stored only as SHA-256 of
//! their secret. Hashing is CPU-heavy and synchronous: callers on an async runtime run
//! `hash_password` and `verify_password` in `spawn_blocking`.

use crate::crypto::{random_token, sha256_hex};
use crate::entity::{department, district, session, subject, town, user};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::policy::PasswordPolicy;
use crate::scope::Role;
use crate::{Store, StoreError, StoreResult};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, Set,
};

/// Session lifetimes (等保: idle timeout and absolute limit).
pub const SESSION_IDLE_SECS: i64 = 30 * 60;
pub const SESSION_ABSOLUTE_SECS: i64 = 12 * 3600;
/// API tokens for integrations live longer but can be revoked.
pub const API_TOKEN_SECS: i64 = 30 * 24 * 3600;
/// Lockout policy: this many failures lock the account for `LOCKOUT_SECS`.
pub const LOCKOUT_FAILURES: i32 = 5;
pub const LOCKOUT_SECS: i64 = 10 * 60;
/// Refresh `last_seen_at` at most this often, so reads do not all become writes.
const TOUCH_EVERY_SECS: i64 = 60;

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default params")
        .to_string()
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the account does not exist, so that the answer takes
/// the same time either way.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("anpei-dummy-password"))
}

/// Longest password accepted (bounds the work of hashing what a form sends).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Checks a new password against the password rules in force; the message names the rule
/// that is broken.
pub fn check_password_policy(policy: &PasswordPolicy, pw: &str) -> Result<(), String> {
    let n = pw.chars().count();
    if n < policy.min_length {
        return Err(format!("密码至少{}位（当前{n}位）", policy.min_length));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(format!("密码不能超过{MAX_PASSWORD_CHARS}个字符"));
    }
    let classes = [
        pw.chars().any(|c| c.is_ascii_lowercase()),
        pw.chars().any(|c| c.is_ascii_uppercase()),
        pw.chars().any(|c| c.is_ascii_digit()),
        pw.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|&&b| b)
    .count();
    if classes < policy.min_classes {
        return Err(format!(
            "密码须包含大写字母、小写字母、数字、符号中的至少{}类（当前{classes}类）",
            policy.min_classes
        ));
    }
    Ok(())
}

/// Shortest and longest username, in characters.
pub const USERNAME_MIN: usize = 2;
pub const USERNAME_MAX: usize = 32;

/// The username rule as people read it (forms, refusals).
pub const USERNAME_RULE: &str =
    "用户名须为2至32位，只能使用小写英文字母a-z、数字0-9、下划线“_”、点“.”和连字符“-”（大写字母、全角字符会自动转换）";

/// What a typed name is looked up and stored as: trimmed, NFKC (full-width letters and
/// digits become ASCII), lower case. Nothing is refused here: sign-in looks up whatever is
/// typed, so that the answer is the same for a name that cannot exist.
pub fn username_key(raw: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let nfkc: String = raw.trim().nfkc().collect();
    nfkc.to_lowercase().trim().to_string()
}

/// A character as a refusal names it: invisible and look-alike characters by their code
/// point too, since the user cannot see what is wrong with them.
fn shown_char(c: char) -> String {
    if c.is_ascii_graphic() {
        format!("“{c}”")
    } else if c == ' ' {
        "空格".to_string()
    } else if c.is_whitespace() || c.is_control() || !c.is_alphanumeric() && !c.is_ascii() {
        format!("不可见或特殊字符 U+{:04X}", u32::from(c))
    } else {
        format!("“{c}”（U+{:04X}）", u32::from(c))
    }
}

/// A username for a new or renamed account: [`username_key`], then only `[a-z0-9_.-]`,
/// 2 to 32 characters. Look-alike letters of other scripts (Cyrillic “а”), invisible
/// characters (zero-width space) and spaces are refused with a message naming the rule.
pub fn normalize_username(raw: &str) -> Result<String, String> {
    let name = username_key(raw);
    if let Some(c) = name
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '_' | '.' | '-'))
    {
        return Err(format!(
            "用户名“{}”含不允许的{}。{USERNAME_RULE}",
            raw.trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(40)
                .collect::<String>(),
            shown_char(c)
        ));
    }
    let n = name.chars().count();
    if !(USERNAME_MIN..=USERNAME_MAX).contains(&n) {
        return Err(format!("用户名“{name}”为{n}位。{USERNAME_RULE}"));
    }
    Ok(name)
}

/// The scope part of a new account, by name as an operator types it.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Town/street name, department name or subject USCC, as the role needs.
    pub scope: Option<String>,
    pub password_hash: String,
    pub must_change_password: bool,
}

/// The scope columns of an account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ScopeColumns {
    pub district: Option<i32>,
    pub department: Option<i32>,
    pub town: Option<i32>,
    pub subject: Option<i32>,
}

impl ScopeColumns {
    pub(crate) fn of(u: &user::Model) -> ScopeColumns {
        ScopeColumns {
            district: u.scope_district_id,
            department: u.scope_department_id,
            town: u.scope_town_id,
            subject: u.scope_subject_id,
        }
    }

    pub(crate) fn set(self, am: &mut user::ActiveModel) {
        am.scope_district_id = Set(self.district);
        am.scope_department_id = Set(self.department);
        am.scope_town_id = Set(self.town);
        am.scope_subject_id = Set(self.subject);
    }
}

/// `渝北区/龙兴镇` (or `500112/龙兴镇`): a place named with its district, for names that
/// two districts share. Without a `/` the name alone.
fn split_place(s: &str) -> (Option<&str>, &str) {
    match s.split_once(['/', '／']) {
        Some((d, n)) => (Some(d.trim()), n.trim()),
        None => (None, s),
    }
}

/// The one district named (by name or code), or the only district when none is named.
async fn district_named<C: ConnectionTrait>(db: &C, named: Option<&str>) -> StoreResult<i32> {
    let all = district::Entity::find().all(db).await?;
    match named {
        Some(n) => all
            .iter()
            .find(|d| d.name == n || d.code == n)
            .map(|d| d.id)
            .ok_or_else(|| StoreError::Validation(format!("区县“{n}”不存在"))),
        None => match all.as_slice() {
            [only] => Ok(only.id),
            _ => Err(StoreError::Validation(format!(
                "本系统有{}个区县，请指定区县（名称或代码）",
                all.len()
            ))),
        },
    }
}

/// The scope columns of an account of `role`, from what an operator types: a district
/// (name or code; may be left out in a one-district installation), a department or a
/// town/street (`区县/名称` where two districts share the name; a department of the city
/// as `市级/名称`), or a subject's USCC.
pub(crate) async fn resolve_scope<C: ConnectionTrait>(
    db: &C,
    role: Role,
    scope: Option<&str>,
) -> StoreResult<ScopeColumns> {
    let scope = scope.map(str::trim).filter(|s| !s.is_empty());
    let need = |what: &str| StoreError::Validation(format!("角色“{}”需要指定{what}", role.label()));
    let one_of = |what: &str, name: &str, n: usize| {
        StoreError::Validation(if n == 0 {
            format!("{what}“{name}”不存在")
        } else {
            format!("有{n}个区县都有{what}“{name}”，请写成“区县/{name}”")
        })
    };
    Ok(match role {
        Role::District => ScopeColumns {
            district: Some(district_named(db, scope).await?),
            ..ScopeColumns::default()
        },
        Role::Department => {
            let (district, name) = split_place(scope.ok_or_else(|| need("部门"))?);
            let mut q = department::Entity::find().filter(department::Column::Name.eq(name));
            match district {
                Some(d) if crate::registry::reference::CITY_LEVEL.contains(&d) => {
                    q = q.filter(department::Column::DistrictId.is_null());
                }
                Some(d) => {
                    let d = district_named(db, Some(d)).await?;
                    q = q.filter(department::Column::DistrictId.eq(d));
                }
                None => {}
            }
            let found = q.all(db).await?;
            let [d] = found.as_slice() else {
                return Err(one_of("部门", name, found.len()));
            };
            ScopeColumns {
                department: Some(d.id),
                ..ScopeColumns::default()
            }
        }
        Role::Town => {
            let (district, name) = split_place(scope.ok_or_else(|| need("镇街"))?);
            let mut q = town::Entity::find().filter(town::Column::Name.eq(name));
            if let Some(d) = district {
                let d = district_named(db, Some(d)).await?;
                q = q.filter(town::Column::DistrictId.eq(d));
            }
            let found = q.all(db).await?;
            let [t] = found.as_slice() else {
                return Err(one_of("镇街", name, found.len()));
            };
            ScopeColumns {
                town: Some(t.id),
                ..ScopeColumns::default()
            }
        }
        Role::Subject => {
            let code = scope.ok_or_else(|| need("单位统一社会信用代码"))?;
            let s = subject::Entity::find()
                .filter(subject::Column::Uscc.eq(code.to_ascii_uppercase()))
                .one(db)
                .await?;
            let s = s.ok_or_else(|| {
                StoreError::Validation(format!("统一社会信用代码为“{code}”的单位不存在"))
            })?;
            ScopeColumns {
                subject: Some(s.id),
                ..ScopeColumns::default()
            }
        }
        Role::City | Role::Sysadmin | Role::SecurityAdmin | Role::Auditor => {
            ScopeColumns::default()
        }
    })
}

/// Creates an account that is in force at once: the operator's `anpei user add` at the
/// server's console, the demo accounts. The system administrator's web form uses
/// [`request_user`] instead.
pub async fn create_user(store: &Store, actor: &Actor, nu: NewUser) -> StoreResult<user::Model> {
    insert_user(store, actor, nu, false).await
}

/// Creates an account on the system administrator's request (三员分立): identity, scope and
/// the requested role are recorded, but the account has no access until the security
/// administrator grants the role (`security::grant`); until then sign-in is refused and
/// its scope is empty.
pub async fn request_user(store: &Store, actor: &Actor, nu: NewUser) -> StoreResult<user::Model> {
    insert_user(store, actor, nu, true).await
}

async fn insert_user(
    store: &Store,
    actor: &Actor,
    nu: NewUser,
    awaiting_grant: bool,
) -> StoreResult<user::Model> {
    let username = normalize_username(&nu.username).map_err(StoreError::Validation)?;
    let txn = store.write().await?;
    // Names stored before they were normalised may differ from a new one only in case or
    // width: still the same name to the people reading them.
    let existing: Vec<String> = user::Entity::find()
        .select_only()
        .column(user::Column::Username)
        .into_tuple()
        .all(&*txn)
        .await?;
    if let Some(same) = existing.iter().find(|e| username_key(e) == username) {
        return Err(StoreError::Conflict(format!(
            "用户名“{username}”已存在（已有账号“{same}”）"
        )));
    }
    let cols = resolve_scope(&*txn, nu.role, nu.scope.as_deref()).await?;
    let now = store.now();
    let m = user::ActiveModel {
        username: Set(username.clone()),
        display_name: Set(if nu.display_name.trim().is_empty() {
            username.clone()
        } else {
            nu.display_name
        }),
        password_hash: Set(nu.password_hash),
        role: Set(nu.role.code().to_string()),
        scope_district_id: Set(cols.district),
        scope_department_id: Set(cols.department),
        scope_town_id: Set(cols.town),
        scope_subject_id: Set(cols.subject),
        active: Set(true),
        must_change_password: Set(nu.must_change_password),
        password_changed_at: Set(now),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now),
        awaiting_grant: Set(awaiting_grant),
        ..Default::default()
    }
    .insert(&*txn)
    .await
    .map_err(|e| StoreError::from(e).on_unique(&format!("用户名“{username}”已存在")))?;
    crate::platform::security::record_password(&*txn, m.id, &m.password_hash, now, 0).await?;
    let detail = if awaiting_grant {
        format!("role={}; 待安全管理员授权", nu.role.code())
    } else {
        format!("role={}", nu.role.code())
    };
    let ev = Event::ok("user.create", format!("user:{username}")).with_detail(detail);
    audit::append(&*txn, now, actor, &ev).await?;
    if awaiting_grant {
        notify_security_admins(&*txn, now, actor, &m).await?;
    }
    txn.commit().await?;
    Ok(m)
}

/// Tells every active security administrator that an account waits for its grant.
async fn notify_security_admins<C: ConnectionTrait>(
    db: &C,
    now: i64,
    actor: &Actor,
    u: &user::Model,
) -> StoreResult<()> {
    let admins: Vec<i32> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Role.eq(Role::SecurityAdmin.code()))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::AwaitingGrant.eq(false))
        .into_tuple()
        .all(db)
        .await?;
    let role = Role::from_code(&u.role).map_or("未知", Role::label);
    let msgs = admins
        .into_iter()
        .map(|id| crate::platform::inbox::NewMessage {
            user_id: id,
            kind: "account_grant_requested".into(),
            title: format!("账号 {} 待授权", u.username),
            body: format!(
                "{}创建了账号 {}（{}），申请角色：{role}。请在“角色授权”中核实后授予；授予前该账号不能登录。",
                actor.username, u.username, u.display_name
            ),
            link: format!("/admin/grants#grant-{}", u.id),
            dedupe_key: format!("account_grant_requested:{}", u.id),
        })
        .collect();
    crate::platform::inbox::send_many(db, now, msgs).await?;
    Ok(())
}

/// The account of a typed username: looked up as [`username_key`] makes it, then — for an
/// account stored before names were normalised — exactly as typed.
pub async fn find_user(store: &Store, username: &str) -> StoreResult<Option<user::Model>> {
    let key = username_key(username);
    let found = user::Entity::find()
        .filter(user::Column::Username.eq(key.as_str()))
        .one(&store.db)
        .await?;
    if found.is_some() || key == username.trim() {
        return Ok(found);
    }
    Ok(user::Entity::find()
        .filter(user::Column::Username.eq(username.trim()))
        .one(&store.db)
        .await?)
}

pub async fn get_user(store: &Store, id: i32) -> StoreResult<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(&store.db).await?)
}

/// Sets an account's password after checking it against the password policy in force and
/// the account's password history; records it in the history, clears a forced change and
/// a lockout, and ends every session of the account. Hashing runs off the async runtime.
pub async fn set_password(
    store: &Store,
    actor: &Actor,
    username: &str,
    password: &str,
) -> StoreResult<()> {
    let policy = store.policy().password;
    check_password_policy(&policy, password).map_err(StoreError::Validation)?;
    let u = find_user(store, username)
        .await?
        .ok_or_else(|| StoreError::Validation(format!("用户“{username}”不存在")))?;
    crate::platform::security::check_history(store, &u, password, policy.history).await?;
    let pw = password.to_string();
    let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(|e| StoreError::Validation(format!("密码散列失败：{e}")))?;
    let now = store.now();
    let txn = store.write().await?;
    let u = user::Entity::find_by_id(u.id)
        .one(&*txn)
        .await?
        .ok_or_else(|| StoreError::Validation(format!("用户“{username}”不存在")))?;
    let uid = u.id;
    let mut am = u.into_active_model();
    am.password_hash = Set(hash.clone());
    am.password_changed_at = Set(now);
    am.must_change_password = Set(false);
    am.failed_logins = Set(0);
    am.locked_until = Set(None);
    am.update(&*txn).await?;
    crate::platform::security::record_password(&*txn, uid, &hash, now, policy.history).await?;
    // A password change ends every session of the account.
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(uid))
        .exec(&*txn)
        .await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("user.password", format!("user:{username}")),
    )
    .await?;
    txn.commit().await
}

/// Why a sign-in was refused; the user sees one message for the first three of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    BadCredentials,
    Locked,
    Disabled,
    /// The password is right, but the security administrator has not yet granted the
    /// account its role (三员分立): said as such, since only the password's holder sees it.
    AwaitingGrant,
}

/// Records the outcome of a password check: counts failures, locks, audits.
pub async fn record_login(
    store: &Store,
    actor: &Actor,
    user: Option<&user::Model>,
    password_ok: bool,
) -> StoreResult<Result<(), LoginRefusal>> {
    let now = store.now();
    let txn = store.write().await?;
    let outcome = match user {
        None => Err(LoginRefusal::BadCredentials),
        Some(u) if !u.active => Err(LoginRefusal::Disabled),
        Some(u) if u.locked_until.is_some_and(|t| t > now) => Err(LoginRefusal::Locked),
        Some(u) => {
            let mut am = u.clone().into_active_model();
            if password_ok {
                am.failed_logins = Set(0);
                am.locked_until = Set(None);
                am.update(&*txn).await?;
                if u.awaiting_grant {
                    Err(LoginRefusal::AwaitingGrant)
                } else {
                    Ok(())
                }
            } else {
                let failures = u.failed_logins + 1;
                am.failed_logins = Set(failures);
                if failures >= LOCKOUT_FAILURES {
                    am.locked_until = Set(Some(now + LOCKOUT_SECS));
                    am.failed_logins = Set(0);
                }
                am.update(&*txn).await?;
                Err(LoginRefusal::BadCredentials)
            }
        }
    };
    let ev = match outcome {
        Ok(()) => Event::ok("login", format!("user:{}", actor.username)),
        Err(r) => Event::ok("login", format!("user:{}", actor.username))
            .failed()
            .with_detail(format!("{r:?}")),
    };
    audit::append(&*txn, now, actor, &ev).await?;
    txn.commit().await?;
    Ok(outcome)
}

/// A new session's secrets: the token goes to the client, only its hash is stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: i64,
}

pub async fn create_session(
    store: &Store,
    user_id: i32,
    kind: &str,
    client_addr: &str,
) -> StoreResult<NewSession> {
    let now = store.now();
    let token = random_token();
    let csrf_token = random_token();
    let expires_at = now
        + if kind == "api" {
            API_TOKEN_SECS
        } else {
            SESSION_ABSOLUTE_SECS
        };
    let txn = store.write().await?;
    session::ActiveModel {
        id_hash: Set(sha256_hex(token.as_bytes())),
        user_id: Set(user_id),
        kind: Set(kind.to_string()),
        csrf_token: Set(csrf_token.clone()),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(expires_at),
        client_addr: Set(Some(client_addr.to_string())),
    }
    .insert(&*txn)
    .await?;
    txn.commit().await?;
    Ok(NewSession {
        token,
        csrf_token,
        expires_at,
    })
}

/// Finds the live session of a token and its active user; expired sessions are deleted.
/// A signed-in caller: the session, the account and the scope its role gives it.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: session::Model,
    pub user: user::Model,
    pub scope: crate::Scope,
}

/// The caller a session or API token belongs to, with its scope (see [`lookup_session`]).
///
/// The answer is kept for the next requests of the same token ([`crate::platform::memo`]):
/// until any write is committed through this process, and two seconds at most; a kept
/// session is still checked against its expiry and idle time.
pub async fn signed_in(store: &Store, token: &str, kind: &str) -> StoreResult<Option<SignedIn>> {
    let key = sha256_hex(token.as_bytes());
    let epoch = store.epoch.now();
    if store.memos_on() {
        if let Some(s) = store.sessions.get(&key, epoch) {
            let now = store.now();
            let idle = kind == "web" && now - s.session.last_seen_at > SESSION_IDLE_SECS;
            if s.session.kind == kind && now < s.session.expires_at && !idle {
                return Ok(Some(s));
            }
            store.sessions.forget(&key);
        }
    }
    let Some((session, user)) = lookup_session(store, token, kind).await? else {
        return Ok(None);
    };
    let s = SignedIn {
        scope: crate::Scope::for_account(&store.db, &user).await?,
        session,
        user,
    };
    if store.memos_on() {
        store.sessions.put(key, epoch, s.clone());
    }
    Ok(Some(s))
}

pub async fn lookup_session(
    store: &Store,
    token: &str,
    kind: &str,
) -> StoreResult<Option<(session::Model, user::Model)>> {
    let now = store.now();
    let found = session::Entity::find_by_id(sha256_hex(token.as_bytes()))
        .find_also_related(user::Entity)
        .one(&store.db)
        .await?;
    let Some((s, Some(u))) = found else {
        return Ok(None);
    };
    if s.kind != kind {
        return Ok(None);
    }
    let idle_expired = kind == "web" && now - s.last_seen_at > SESSION_IDLE_SECS;
    // An account awaiting its grant never gets a session; one that somehow has one (made
    // before a restore, say) does not keep it.
    if now >= s.expires_at || idle_expired || !u.active || u.awaiting_grant {
        end_session(store, token).await?;
        return Ok(None);
    }
    // Skipped while this process has a writer (a long import), so that reads never wait
    // for it; the next request touches the session instead.
    let touch = if now - s.last_seen_at >= TOUCH_EVERY_SECS {
        store.try_write().await?
    } else {
        None
    };
    if let Some(txn) = touch {
        session::Entity::update_many()
            .col_expr(
                session::Column::LastSeenAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(session::Column::IdHash.eq(s.id_hash.clone()))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
    }
    Ok(Some((s, u)))
}

pub async fn end_session(store: &Store, token: &str) -> StoreResult<()> {
    let txn = store.write().await?;
    session::Entity::delete_by_id(sha256_hex(token.as_bytes()))
        .exec(&*txn)
        .await?;
    txn.commit().await
}

/// The districts, towns and departments, to name accounts' scopes.
pub(crate) struct Places {
    districts: Vec<district::Model>,
    towns: Vec<town::Model>,
    deps: Vec<department::Model>,
}

impl Places {
    pub(crate) async fn load<C: ConnectionTrait>(db: &C) -> StoreResult<Places> {
        use sea_orm::QueryOrder;
        Ok(Places {
            districts: district::Entity::find()
                .order_by_asc(district::Column::Sort)
                .all(db)
                .await?,
            towns: town::Entity::find()
                .order_by_asc(town::Column::DistrictId)
                .order_by_asc(town::Column::Sort)
                .all(db)
                .await?,
            deps: department::Entity::find()
                .order_by_asc(department::Column::DistrictId)
                .order_by_asc(department::Column::Sort)
                .all(db)
                .await?,
        })
    }

    fn district_name(&self, d: i32) -> String {
        self.districts
            .iter()
            .find(|x| x.id == d)
            .map(|x| x.name.clone())
            .unwrap_or_default()
    }

    /// A town's or department's name as [`resolve_scope`] takes it: with its district
    /// (`渝北区/龙兴镇`, `市级/市应急管理局`) once the installation has several districts.
    fn qualified(&self, d: Option<i32>, name: &str) -> String {
        if self.districts.len() > 1 {
            let district = d.map_or_else(
                || crate::registry::reference::CITY_LEVEL[0].to_string(),
                |d| self.district_name(d),
            );
            format!("{district}/{name}")
        } else {
            name.to_string()
        }
    }

    /// An account's scope as the lists show it, and as the grant form takes it back.
    pub(crate) fn label(&self, u: &user::Model, subjects: &[subject::Model]) -> (String, String) {
        let both = |s: String| (s.clone(), s);
        if let Some(t) = u.scope_town_id {
            let t = self.towns.iter().find(|x| x.id == t);
            return t
                .map(|t| both(self.qualified(Some(t.district_id), &t.name)))
                .unwrap_or_default();
        }
        if let Some(d) = u.scope_department_id {
            let d = self.deps.iter().find(|x| x.id == d);
            return d
                .map(|d| both(self.qualified(d.district_id, &d.name)))
                .unwrap_or_default();
        }
        if let Some(s) = u.scope_subject_id {
            return subjects
                .iter()
                .find(|x| x.id == s)
                .map(|x| (x.name.clone(), x.uscc.clone()))
                .unwrap_or_default();
        }
        match (Role::from_code(&u.role), u.scope_district_id) {
            (Some(Role::City), _) => ("全市".into(), String::new()),
            (Some(Role::District), Some(d)) if self.districts.len() > 1 => {
                both(self.district_name(d))
            }
            (Some(Role::District), _) => ("全区".into(), String::new()),
            _ => ("—".into(), String::new()),
        }
    }
}

/// What the account forms offer as a scope, written as [`resolve_scope`] takes it back.
#[derive(Debug, Clone, Default)]
pub struct ScopeChoices {
    pub districts: Vec<String>,
    pub towns: Vec<String>,
    pub departments: Vec<String>,
}

/// Every district, town and department as the account forms offer them (towns and
/// departments with their district once there are several).
pub async fn scope_choices(store: &Store) -> StoreResult<ScopeChoices> {
    let p = Places::load(&store.db).await?;
    Ok(ScopeChoices {
        districts: p.districts.iter().map(|d| d.name.clone()).collect(),
        towns: p
            .towns
            .iter()
            .map(|t| p.qualified(Some(t.district_id), &t.name))
            .collect(),
        departments: p
            .deps
            .iter()
            .map(|d| p.qualified(d.district_id, &d.name))
            .collect(),
    })
}

/// An account as the administrator's list shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserRow {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub role_label: &'static str,
    pub scope_label: String,
    pub active: bool,
    pub must_change_password: bool,
    pub locked: bool,
    /// The requested role awaits the security administrator's grant.
    pub awaiting_grant: bool,
}

/// All accounts with their scope by name (system administrator's page).
pub async fn list_users(store: &Store) -> StoreResult<Vec<UserRow>> {
    use sea_orm::QueryOrder;
    let users = user::Entity::find()
        .order_by_asc(user::Column::Username)
        .all(&store.db)
        .await?;
    let places = Places::load(&store.db).await?;
    let subject_ids: Vec<i32> = users.iter().filter_map(|u| u.scope_subject_id).collect();
    let subjects: Vec<subject::Model> = subject::Entity::find()
        .filter(subject::Column::Id.is_in(subject_ids))
        .all(&store.db)
        .await?;
    let now = store.now();
    Ok(users
        .into_iter()
        .map(|u| {
            let (scope_label, _) = places.label(&u, &subjects);
            UserRow {
                id: u.id,
                role_label: Role::from_code(&u.role).map_or("未知", Role::label),
                scope_label,
                active: u.active,
                must_change_password: u.must_change_password,
                locked: u.locked_until.is_some_and(|t| t > now),
                awaiting_grant: u.awaiting_grant,
                username: u.username,
                display_name: u.display_name,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn usernames_are_folded_to_lower_case_ascii() {
        assert_eq!(
            normalize_username("  Zhang.San_01 ").unwrap(),
            "zhang.san_01"
        );
        assert_eq!(normalize_username("town-2").unwrap(), "town-2");
        // Full-width letters and digits (typed with a Chinese input method) are ASCII.
        assert_eq!(
            normalize_username("ｄｉｓｔｒｉｃｔ１").unwrap(),
            "district1"
        );
        assert_eq!(normalize_username("ＡＢｃ").unwrap(), "abc");
        assert_eq!(username_key(" ＤＩＳＴＲＩＣＴ "), "district");
    }

    #[test]
    fn invisible_and_look_alike_characters_are_refused_by_name() {
        // A zero-width space inside a name that looks like `district`.
        let e = normalize_username("dis\u{200b}trict").unwrap_err();
        assert!(e.contains("U+200B") && e.contains("a-z"), "{e}");
        // The Cyrillic “а” (U+0430) of `аdmin` looks like the Latin `a`.
        let e = normalize_username("\u{430}dmin").unwrap_err();
        assert!(
            e.contains("U+0430") && e.contains("用户名须为2至32位"),
            "{e}"
        );
        for bad in [
            "zhang san",
            "张三",
            "a@b",
            "x",
            "",
            "\u{feff}town",
            "town\u{2060}",
        ] {
            let e = normalize_username(bad).unwrap_err();
            assert!(e.contains(USERNAME_RULE), "{bad:?}: {e}");
        }
        let long = "a".repeat(33);
        assert!(normalize_username(&long).unwrap_err().contains("33位"));
        assert!(normalize_username(&"a".repeat(32)).is_ok());
    }

    proptest! {
        #[test]
        fn an_accepted_name_is_always_in_the_charset(raw in "\\PC{0,40}|[A-Za-zＡ-Ｚａ-ｚ０-９_.\\- ]{0,40}") {
            if let Ok(name) = normalize_username(&raw) {
                let n = name.chars().count();
                prop_assert!((USERNAME_MIN..=USERNAME_MAX).contains(&n));
                prop_assert!(name
                    .chars()
                    .all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '.' | '-')), "{name:?}");
                // Normalising again changes nothing, and the typed name finds it.
                prop_assert_eq!(normalize_username(&name).unwrap(), name.clone());
                prop_assert_eq!(username_key(&raw), name);
            }
        }

        #[test]
        fn any_string_is_checked_without_panicking(raw in any::<String>()) {
            let _ = normalize_username(&raw);
        }
    }
}
