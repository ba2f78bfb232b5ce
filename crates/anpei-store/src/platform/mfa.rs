//! The second factor of sign-in (等保 2.0 level 3): TOTP (RFC 6238, the codes of
//! any authenticator app) enrolled by scanning a QR code, single-use recovery codes, the
//! short-lived pending sign-in between the password and the code, and API tokens for
//! integrations with a label, listed and revoked by their owner.
//!
//! - The secret is stored SM4-GCM encrypted (`Crypto::encrypt` of its base32 form). A new
//!   secret waits as *pending* until a first code proves the app holds it; re-binding a new
//!   phone keeps the old secret working until the new one is confirmed.
//! - Every accepted code's time step is kept: a code is accepted once (replay protection),
//!   whether at the sign-in page or at `POST /api/v1/auth/token`.
//! - Wrong codes count toward the account lockout of [`accounts`]: [`LOCKOUT_FAILURES`]
//!   wrong codes lock the account for [`LOCKOUT_SECS`]. The count is kept apart from the
//!   password failures, so that a correct password does not reset it.
//! - Recovery codes are stored only as keyed hashes (HMAC-SHA-256 under the blind-index key,
//!   over the account id and the normalised code), each usable once.
//! - Which roles must use a second factor is the policy in force ([`Store::policy`],
//!   `mfa_roles`); anyone else may enrol and is then asked for the code too.
//!
//! Every multi-step write is one transaction with its audit entry.

use crate::crypto::{random_token, sha256_hex};
use crate::entity::{api_token, recovery_code, session, user, user_mfa};
use crate::platform::accounts::{
    NewSession, API_TOKEN_SECS, LOCKOUT_FAILURES, LOCKOUT_SECS, SESSION_ABSOLUTE_SECS,
};
use crate::platform::audit::{self, Actor, Event};
use crate::scope::Role;
use crate::{Store, StoreError, StoreResult};
use anpei_core::totp;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

/// Session kind of a sign-in whose password was right and whose second factor is awaited.
/// Never accepted where a `web` or `api` session is looked up.
pub const PENDING_KIND: &str = "mfa";
/// How long a pending sign-in waits for its code.
pub const PENDING_LOGIN_SECS: i64 = 5 * 60;
/// How long a secret shown for enrolment is shown again (same QR code after a reload)
/// before a new one replaces it.
pub const PENDING_SECRET_SECS: i64 = 60 * 60;
/// Label of tokens issued by `POST /api/v1/auth/token`.
pub const API_LOGIN_LABEL: &str = "接口登录（auth/token）";

/// What a sign-in needs after the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    /// Not required and not enrolled: the password is enough.
    None,
    /// Enrolled: a code from the app (or a recovery code).
    Code,
    /// Required by the role, not enrolled yet: a session that can only enrol.
    MustEnrol,
}

/// Why a code was refused. Users see one message for `Wrong` and `Locked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    /// Not the current code, a code already used, or an unknown or used recovery code.
    Wrong,
    /// The account is locked (too many wrong passwords or codes).
    Locked,
    /// No second factor enrolled (or no secret waiting to be confirmed).
    NotEnrolled,
    /// The pending sign-in expired or does not exist: sign in again.
    Expired,
}

/// How a code was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    Totp,
    /// A recovery code, now used; this many remain unused.
    Recovery {
        remaining: u64,
    },
}

/// An account's second factor as its account page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaStatus {
    /// The role must use a second factor (policy in force).
    pub required: bool,
    pub enrolled: bool,
    pub enrolled_at: Option<i64>,
    /// A secret shown and waiting for its first code.
    pub pending: bool,
    pub recovery_left: u64,
}

/// A secret to show for enrolment: as a QR code of [`Enrolment::uri`] and typed by hand.
#[derive(Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// Base32 (RFC 4648), as authenticator apps take it.
    pub secret_base32: String,
    /// The `otpauth://` URI an app scans.
    pub uri: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(..)")
    }
}

impl Enrolment {
    /// The secret in groups of four for typing by hand: `ABCD EFGH …`.
    pub fn grouped(&self) -> String {
        group4(&self.secret_base32)
    }
}

fn group4(s: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An API token just issued: the secret is shown once.
#[derive(Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: i64,
    /// How the second factor was given, when one was.
    pub verified: Option<Verified>,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An API token as its owner's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// The stored SHA-256 of the token (not the token): the handle to revoke it by.
    pub id: String,
    pub label: String,
    pub created_at: i64,
    /// `None` when never used.
    pub last_used_at: Option<i64>,
    pub expires_at: i64,
    pub client_addr: Option<String>,
}

impl TokenRow {
    /// A short form of the handle to show (the first eight hex digits).
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(8)]
    }
}

fn role_of(u: &user::Model) -> Option<Role> {
    Role::from_code(&u.role)
}

fn unix(now: i64) -> u64 {
    u64::try_from(now).unwrap_or(0)
}

/// The keyed hash a recovery code is stored as.
fn recovery_hash(store: &Store, user_id: i32, normalized: &str) -> String {
    store.crypto.blind_index(&format!(
        "anpei/recovery-code/v1\u{1f}{user_id}\u{1f}{normalized}"
    ))
}

fn decrypt_secret(store: &Store, enc: &[u8]) -> StoreResult<Vec<u8>> {
    let b32 = store.crypto.decrypt(enc)?;
    totp::base32_decode(&b32)
        .ok_or_else(|| StoreError::Validation("两步验证密钥损坏，请联系安全管理员重置".into()))
}

async fn mfa_row<C: ConnectionTrait>(db: &C, user_id: i32) -> StoreResult<Option<user_mfa::Model>> {
    Ok(user_mfa::Entity::find_by_id(user_id).one(db).await?)
}

async fn unused_codes<C: ConnectionTrait>(db: &C, user_id: i32) -> StoreResult<u64> {
    Ok(recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await?)
}

/// Whether the account has a confirmed second factor.
pub async fn is_enrolled(store: &Store, user_id: i32) -> StoreResult<bool> {
    Ok(mfa_row(&store.db, user_id)
        .await?
        .is_some_and(|m| m.secret_enc.is_some()))
}

/// Whether a session of this account may do nothing but enrol: the policy requires a
/// second factor of its role and none is enrolled. No query when the role needs none.
pub async fn must_enrol(store: &Store, user_id: i32, role: Role) -> StoreResult<bool> {
    if !store.policy().requires_mfa(role) {
        return Ok(false);
    }
    Ok(!is_enrolled(store, user_id).await?)
}

/// What a sign-in of this account needs after a correct password.
pub async fn second_factor(store: &Store, u: &user::Model) -> StoreResult<SecondFactor> {
    if is_enrolled(store, u.id).await? {
        return Ok(SecondFactor::Code);
    }
    let required = role_of(u).is_some_and(|r| store.policy().requires_mfa(r));
    Ok(if required {
        SecondFactor::MustEnrol
    } else {
        SecondFactor::None
    })
}

pub async fn status(store: &Store, user_id: i32, role: Role) -> StoreResult<MfaStatus> {
    let row = mfa_row(&store.db, user_id).await?;
    let enrolled = row.as_ref().is_some_and(|m| m.secret_enc.is_some());
    Ok(MfaStatus {
        required: store.policy().requires_mfa(role),
        enrolled,
        enrolled_at: row.as_ref().and_then(|m| m.enrolled_at),
        pending: row.as_ref().is_some_and(|m| {
            m.pending_secret_enc.is_some()
                && m.pending_at
                    .is_some_and(|t| store.now() - t < PENDING_SECRET_SECS)
        }),
        recovery_left: if enrolled {
            unused_codes(&store.db, user_id).await?
        } else {
            0
        },
    })
}

/// The secret to show for enrolment (or for re-binding a new phone): the one already
/// waiting when it is younger than [`PENDING_SECRET_SECS`] and `fresh` is false, else a
/// new one. A confirmed secret stays in force until the new one is confirmed.
pub async fn begin_enrolment(
    store: &Store,
    actor: &Actor,
    u: &user::Model,
    fresh: bool,
) -> StoreResult<Enrolment> {
    let now = store.now();
    let txn = store.write().await?;
    let row = mfa_row(&*txn, u.id).await?;
    let waiting = row.as_ref().and_then(|m| {
        let young = m.pending_at.is_some_and(|t| now - t < PENDING_SECRET_SECS);
        m.pending_secret_enc.as_ref().filter(|_| young && !fresh)
    });
    let secret = match waiting {
        Some(enc) => decrypt_secret(store, enc)?,
        None => {
            let secret = totp::generate_secret(&mut rand::rngs::OsRng).to_vec();
            let enc = store.crypto.encrypt(&totp::base32_encode(&secret));
            match row {
                Some(m) => {
                    let mut am = m.into_active_model();
                    am.pending_secret_enc = Set(Some(enc));
                    am.pending_at = Set(Some(now));
                    am.update(&*txn).await?;
                }
                None => {
                    user_mfa::ActiveModel {
                        user_id: Set(u.id),
                        secret_enc: Set(None),
                        enrolled_at: Set(None),
                        last_step: Set(None),
                        failed_codes: Set(0),
                        pending_secret_enc: Set(Some(enc)),
                        pending_at: Set(Some(now)),
                    }
                    .insert(&*txn)
                    .await?;
                }
            }
            audit::append(
                &*txn,
                now,
                actor,
                &Event::ok("mfa.enrol.begin", format!("user:{}", u.username)),
            )
            .await?;
            secret
        }
    };
    txn.commit().await?;
    Ok(Enrolment {
        secret_base32: totp::base32_encode(&secret),
        uri: totp::otpauth_uri(&secret, &u.username),
    })
}

/// Replaces the account's recovery codes by [`totp::RECOVERY_CODES`] new ones, inside the
/// caller's transaction; returns them (to show once).
async fn new_recovery_codes<C: ConnectionTrait>(
    db: &C,
    store: &Store,
    user_id: i32,
    now: i64,
) -> StoreResult<Vec<String>> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let codes = totp::generate_recovery_codes(&mut rand::rngs::OsRng, totp::RECOVERY_CODES);
    let rows = codes.iter().map(|c| recovery_code::ActiveModel {
        user_id: Set(user_id),
        code_hash: Set(recovery_hash(
            store,
            user_id,
            &totp::normalize_recovery_code(c),
        )),
        created_at: Set(now),
        used_at: Set(None),
        ..Default::default()
    });
    recovery_code::Entity::insert_many(rows).exec(db).await?;
    Ok(codes)
}

/// Confirms the waiting secret with a code from the app: it becomes the account's second
/// factor (replacing an earlier one), the code's step counts as used, and a new set of
/// recovery codes is returned, to show once.
pub async fn confirm_enrolment(
    store: &Store,
    actor: &Actor,
    u: &user::Model,
    code: &str,
) -> StoreResult<Result<Vec<String>, CodeRefusal>> {
    let now = store.now();
    let txn = store.write().await?;
    let object = format!("user:{}", u.username);
    let Some(row) = mfa_row(&*txn, u.id).await? else {
        return Ok(Err(CodeRefusal::NotEnrolled));
    };
    let young = row
        .pending_at
        .is_some_and(|t| now - t < PENDING_SECRET_SECS);
    let Some(enc) = row.pending_secret_enc.clone().filter(|_| young) else {
        return Ok(Err(CodeRefusal::NotEnrolled));
    };
    let secret = decrypt_secret(store, &enc)?;
    // The old secret's last step still guards against a replay across the change.
    let last = row.last_step.and_then(|s| u64::try_from(s).ok());
    let Some(step) = totp::verify_after(&secret, code, unix(now), totp::WINDOW, last) else {
        audit::append(
            &*txn,
            now,
            actor,
            &Event::ok("mfa.enrol", object)
                .failed()
                .with_detail("wrong code"),
        )
        .await?;
        txn.commit().await?;
        return Ok(Err(CodeRefusal::Wrong));
    };
    let rebind = row.secret_enc.is_some();
    let mut am = row.into_active_model();
    am.secret_enc = Set(Some(enc));
    am.enrolled_at = Set(Some(now));
    am.last_step = Set(i64::try_from(step).ok());
    am.failed_codes = Set(0);
    am.pending_secret_enc = Set(None);
    am.pending_at = Set(None);
    am.update(&*txn).await?;
    let codes = new_recovery_codes(&*txn, store, u.id, now).await?;
    let ev = Event::ok("mfa.enrol", object).with_detail(if rebind {
        "new device"
    } else {
        "first device"
    });
    audit::append(&*txn, now, actor, &ev).await?;
    txn.commit().await?;
    Ok(Ok(codes))
}

/// Checks a code (six digits from the app, or a recovery code) of `user_id` inside the
/// caller's transaction: a lock refuses everything; a good code is used up (its time step,
/// or the recovery code), a wrong one counts toward the lockout. Audited either way. The
/// caller commits whatever the outcome.
async fn verify_in<C: ConnectionTrait>(
    db: &C,
    store: &Store,
    actor: &Actor,
    user_id: i32,
    code: &str,
) -> StoreResult<Result<Verified, CodeRefusal>> {
    let now = store.now();
    let u = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let object = format!("user:{}", u.username);
    let fail = |why: &str| {
        Event::ok("mfa.verify", object.clone())
            .failed()
            .with_detail(why)
    };
    if !u.active {
        audit::append(db, now, actor, &fail("Disabled")).await?;
        return Ok(Err(CodeRefusal::Locked));
    }
    if u.locked_until.is_some_and(|t| t > now) {
        audit::append(db, now, actor, &fail("Locked")).await?;
        return Ok(Err(CodeRefusal::Locked));
    }
    let Some(row) = mfa_row(db, user_id).await? else {
        audit::append(db, now, actor, &fail("NotEnrolled")).await?;
        return Ok(Err(CodeRefusal::NotEnrolled));
    };
    let Some(enc) = row.secret_enc.clone() else {
        audit::append(db, now, actor, &fail("NotEnrolled")).await?;
        return Ok(Err(CodeRefusal::NotEnrolled));
    };
    let digits: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let looks_totp =
        digits.len() == totp::DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit());
    let outcome = if looks_totp {
        let secret = decrypt_secret(store, &enc)?;
        let last = row.last_step.and_then(|s| u64::try_from(s).ok());
        totp::verify_after(&secret, &digits, unix(now), totp::WINDOW, last)
            .map(|step| (Verified::Totp, Some(step)))
    } else {
        let normalized = totp::normalize_recovery_code(code);
        let hash = recovery_hash(store, user_id, &normalized);
        let found = recovery_code::Entity::find()
            .filter(recovery_code::Column::UserId.eq(user_id))
            .filter(recovery_code::Column::CodeHash.eq(hash))
            .filter(recovery_code::Column::UsedAt.is_null())
            .one(db)
            .await?;
        match found {
            Some(rc) => {
                let mut am = rc.into_active_model();
                am.used_at = Set(Some(now));
                am.update(db).await?;
                let remaining = unused_codes(db, user_id).await?;
                Some((Verified::Recovery { remaining }, None))
            }
            None => None,
        }
    };
    match outcome {
        Some((verified, step)) => {
            let mut am = row.into_active_model();
            if let Some(step) = step {
                am.last_step = Set(i64::try_from(step).ok());
            }
            am.failed_codes = Set(0);
            am.update(db).await?;
            let ev = match verified {
                Verified::Totp => Event::ok("mfa.verify", object).with_detail("totp"),
                Verified::Recovery { remaining } => {
                    Event::ok("mfa.recovery", object).with_detail(format!("remaining={remaining}"))
                }
            };
            audit::append(db, now, actor, &ev).await?;
            Ok(Ok(verified))
        }
        None => {
            let failures = row.failed_codes + 1;
            let locks = failures >= LOCKOUT_FAILURES;
            let mut am = row.into_active_model();
            am.failed_codes = Set(if locks { 0 } else { failures });
            am.update(db).await?;
            if locks {
                let mut ua = u.into_active_model();
                ua.locked_until = Set(Some(now + LOCKOUT_SECS));
                ua.update(db).await?;
            }
            let why = if looks_totp { "Wrong" } else { "WrongRecovery" };
            let why = if locks {
                format!("{why}, locked")
            } else {
                why.to_string()
            };
            audit::append(db, now, actor, &fail(&why)).await?;
            Ok(Err(CodeRefusal::Wrong))
        }
    }
}

/// Checks a code of an account outside any sign-in (re-entry on a sensitive action).
pub async fn verify(
    store: &Store,
    actor: &Actor,
    user_id: i32,
    code: &str,
) -> StoreResult<Result<Verified, CodeRefusal>> {
    let txn = store.write().await?;
    let out = verify_in(&*txn, store, actor, user_id, code).await?;
    txn.commit().await?;
    Ok(out)
}

async fn insert_session<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    kind: &str,
    client_addr: &str,
    now: i64,
    expires_at: i64,
) -> StoreResult<NewSession> {
    let token = random_token();
    let csrf_token = random_token();
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
    .insert(db)
    .await?;
    Ok(NewSession {
        token,
        csrf_token,
        expires_at,
    })
}

/// Starts a sign-in whose password was right and whose code is awaited: a session of kind
/// [`PENDING_KIND`] living [`PENDING_LOGIN_SECS`], good for nothing but [`complete_login`].
pub async fn begin_pending_login(
    store: &Store,
    user_id: i32,
    client_addr: &str,
) -> StoreResult<NewSession> {
    let now = store.now();
    let txn = store.write().await?;
    let s = insert_session(
        &*txn,
        user_id,
        PENDING_KIND,
        client_addr,
        now,
        now + PENDING_LOGIN_SECS,
    )
    .await?;
    txn.commit().await?;
    Ok(s)
}

/// The account of a live pending sign-in.
pub async fn pending_login(store: &Store, token: &str) -> StoreResult<Option<user::Model>> {
    Ok(
        crate::platform::accounts::lookup_session(store, token, PENDING_KIND)
            .await?
            .map(|(_, u)| u),
    )
}

/// Ends a pending sign-in (abandoned).
pub async fn end_pending_login(store: &Store, token: &str) -> StoreResult<()> {
    let txn = store.write().await?;
    session::Entity::delete_many()
        .filter(session::Column::IdHash.eq(sha256_hex(token.as_bytes())))
        .filter(session::Column::Kind.eq(PENDING_KIND))
        .exec(&*txn)
        .await?;
    txn.commit().await
}

/// Completes a pending sign-in with its code: in one transaction the code is checked (and
/// used up, or counted as a failure), the pending sign-in ends and a web session begins.
pub async fn complete_login(
    store: &Store,
    actor: &Actor,
    pending_token: &str,
    code: &str,
    client_addr: &str,
) -> StoreResult<Result<(NewSession, Verified), CodeRefusal>> {
    let now = store.now();
    let txn = store.write().await?;
    let id_hash = sha256_hex(pending_token.as_bytes());
    let pending = session::Entity::find_by_id(id_hash.clone())
        .one(&*txn)
        .await?
        .filter(|s| s.kind == PENDING_KIND && now < s.expires_at);
    let Some(pending) = pending else {
        return Ok(Err(CodeRefusal::Expired));
    };
    match verify_in(&*txn, store, actor, pending.user_id, code).await? {
        Ok(verified) => {
            session::Entity::delete_by_id(id_hash).exec(&*txn).await?;
            let s = insert_session(
                &*txn,
                pending.user_id,
                "web",
                client_addr,
                now,
                now + SESSION_ABSOLUTE_SECS,
            )
            .await?;
            txn.commit().await?;
            Ok(Ok((s, verified)))
        }
        Err(refusal) => {
            txn.commit().await?;
            Ok(Err(refusal))
        }
    }
}

/// Issues an API token to `u` labelled `label`, valid [`API_TOKEN_SECS`]. With `code`, the
/// code is checked first in the same transaction (a refused code issues nothing but is
/// counted); without, the caller has established the second factor (a session that passed
/// it) or that none is needed.
pub async fn issue_api_token(
    store: &Store,
    actor: &Actor,
    u: &user::Model,
    label: &str,
    code: Option<&str>,
) -> StoreResult<Result<IssuedToken, CodeRefusal>> {
    let label = label.trim();
    if label.chars().count() > 64 {
        return Err(StoreError::Validation("令牌名称不能超过64个字符".into()));
    }
    let label = if label.is_empty() {
        API_LOGIN_LABEL
    } else {
        label
    };
    let now = store.now();
    let txn = store.write().await?;
    let verified = match code {
        Some(code) => match verify_in(&*txn, store, actor, u.id, code).await? {
            Ok(v) => Some(v),
            Err(refusal) => {
                txn.commit().await?;
                return Ok(Err(refusal));
            }
        },
        None => None,
    };
    let s = insert_session(
        &*txn,
        u.id,
        "api",
        &actor.client_addr,
        now,
        now + API_TOKEN_SECS,
    )
    .await?;
    let id_hash = sha256_hex(s.token.as_bytes());
    api_token::ActiveModel {
        session_id_hash: Set(id_hash.clone()),
        user_id: Set(u.id),
        label: Set(label.to_string()),
        created_at: Set(now),
    }
    .insert(&*txn)
    .await?;
    let ev = Event::ok("token.issue", format!("user:{}", u.username))
        .with_detail(format!("token={} label={label}", &id_hash[..8]));
    audit::append(&*txn, now, actor, &ev).await?;
    txn.commit().await?;
    Ok(Ok(IssuedToken {
        token: s.token,
        expires_at: s.expires_at,
        verified,
    }))
}

/// The live API tokens of an account, newest first.
pub async fn list_api_tokens(store: &Store, user_id: i32) -> StoreResult<Vec<TokenRow>> {
    let now = store.now();
    let sessions = session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::Kind.eq("api"))
        .filter(session::Column::ExpiresAt.gt(now))
        .order_by_desc(session::Column::CreatedAt)
        .all(&store.db)
        .await?;
    let labels = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .all(&store.db)
        .await?;
    Ok(sessions
        .into_iter()
        .map(|s| TokenRow {
            label: labels
                .iter()
                .find(|l| l.session_id_hash == s.id_hash)
                .map_or_else(|| API_LOGIN_LABEL.to_string(), |l| l.label.clone()),
            last_used_at: (s.last_seen_at > s.created_at).then_some(s.last_seen_at),
            created_at: s.created_at,
            expires_at: s.expires_at,
            client_addr: s.client_addr,
            id: s.id_hash,
        })
        .collect())
}

/// Revokes one of the account's own API tokens (by its stored hash, [`TokenRow::id`]): it
/// answers 401 from the next request on. `false` when the account has no such token.
pub async fn revoke_api_token(
    store: &Store,
    actor: &Actor,
    u: &user::Model,
    id: &str,
) -> StoreResult<bool> {
    let now = store.now();
    let txn = store.write().await?;
    let res = session::Entity::delete_many()
        .filter(session::Column::IdHash.eq(id))
        .filter(session::Column::UserId.eq(u.id))
        .filter(session::Column::Kind.eq("api"))
        .exec(&*txn)
        .await?;
    if res.rows_affected == 0 {
        return Ok(false);
    }
    // The label row goes by the foreign key's cascade; deleted here too for engines that
    // do not enforce it.
    api_token::Entity::delete_by_id(id.to_string())
        .exec(&*txn)
        .await?;
    let short = &id[..id.len().min(8)];
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("token.revoke", format!("user:{}", u.username))
            .with_detail(format!("token={short}")),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// A new set of recovery codes for an enrolled account (the old ones stop working); shown
/// once.
pub async fn regenerate_recovery_codes(
    store: &Store,
    actor: &Actor,
    u: &user::Model,
) -> StoreResult<Vec<String>> {
    let now = store.now();
    let txn = store.write().await?;
    let enrolled = mfa_row(&*txn, u.id)
        .await?
        .is_some_and(|m| m.secret_enc.is_some());
    if !enrolled {
        return Err(StoreError::Validation(
            "尚未启用两步验证，无法生成恢复码".into(),
        ));
    }
    let codes = new_recovery_codes(&*txn, store, u.id, now).await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("mfa.recovery.regenerate", format!("user:{}", u.username)),
    )
    .await?;
    txn.commit().await?;
    Ok(codes)
}

/// Turns off the second factor of an account whose role does not require one (its owner's
/// choice).
pub async fn disable(store: &Store, actor: &Actor, u: &user::Model) -> StoreResult<()> {
    if role_of(u).is_some_and(|r| store.policy().requires_mfa(r)) {
        return Err(StoreError::Validation(
            "您的角色必须使用两步验证，不能关闭；如手机丢失，请联系安全管理员重置".into(),
        ));
    }
    let now = store.now();
    let txn = store.write().await?;
    remove_second_factor(&*txn, u.id).await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("mfa.disable", format!("user:{}", u.username)),
    )
    .await?;
    txn.commit().await
}

async fn remove_second_factor<C: ConnectionTrait>(db: &C, user_id: i32) -> StoreResult<()> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    user_mfa::Entity::delete_by_id(user_id).exec(db).await?;
    Ok(())
}

/// The security administrator resets an account's second factor (a lost phone): the secret
/// and the recovery codes are deleted and the account's browser sessions and pending
/// sign-ins end, so that its next sign-in enrols anew (when its role requires a second
/// factor). Its API tokens stay; the user revokes them on his tokens page.
pub async fn reset_mfa(store: &Store, actor: &Actor, user_id: i32) -> StoreResult<()> {
    let now = store.now();
    let txn = store.write().await?;
    let u = user::Entity::find_by_id(user_id)
        .one(&*txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let had = mfa_row(&*txn, user_id).await?.is_some();
    remove_second_factor(&*txn, user_id).await?;
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::Kind.is_in(["web", PENDING_KIND]))
        .exec(&*txn)
        .await?;
    let ev = Event::ok("mfa.reset", format!("user:{}", u.username)).with_detail(if had {
        "enrolled"
    } else {
        "not enrolled"
    });
    audit::append(&*txn, now, actor, &ev).await?;
    txn.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::accounts::{self, NewUser};
    use crate::testing::TestDb;

    async fn user(db: &TestDb, name: &str, role: Role) -> user::Model {
        accounts::create_user(
            &db.store,
            &Actor::system("test"),
            NewUser {
                username: name.into(),
                display_name: String::new(),
                role,
                scope: None,
                password_hash: "x".into(),
                must_change_password: false,
            },
        )
        .await
        .unwrap()
    }

    fn code_at(e: &Enrolment, store: &Store) -> String {
        let secret = totp::base32_decode(&e.secret_base32).unwrap();
        totp::totp(&secret, unix(store.now()))
    }

    fn actor(u: &user::Model) -> Actor {
        Actor {
            user_id: Some(u.id),
            username: u.username.clone(),
            client_addr: "127.0.0.1".into(),
        }
    }

    async fn enrolled(db: &TestDb, name: &str) -> (user::Model, Enrolment, Vec<String>) {
        let u = user(db, name, Role::District).await;
        let e = begin_enrolment(&db.store, &actor(&u), &u, false)
            .await
            .unwrap();
        let codes = confirm_enrolment(&db.store, &actor(&u), &u, &code_at(&e, &db.store))
            .await
            .unwrap()
            .unwrap();
        (u, e, codes)
    }

    #[tokio::test]
    async fn enrolment_keeps_the_secret_encrypted_and_waits_for_a_first_code() {
        let db = TestDb::new().await;
        let u = user(&db, "zhang", Role::District).await;
        let a = actor(&u);
        let e = begin_enrolment(&db.store, &a, &u, false).await.unwrap();
        assert!(e.uri.starts_with("otpauth://totp/"));
        assert_eq!(e.grouped().replace(' ', ""), e.secret_base32);
        // A reload shows the same secret; not enrolled yet.
        let again = begin_enrolment(&db.store, &a, &u, false).await.unwrap();
        assert_eq!(again.secret_base32, e.secret_base32);
        assert!(!is_enrolled(&db.store, u.id).await.unwrap());
        assert_eq!(
            second_factor(&db.store, &u).await.unwrap(),
            SecondFactor::None,
            "the test policy requires nobody"
        );
        // Stored encrypted: neither the base32 nor the raw secret is in the row.
        let row = mfa_row(&db.store.db, u.id).await.unwrap().unwrap();
        let enc = row.pending_secret_enc.unwrap();
        let raw = totp::base32_decode(&e.secret_base32).unwrap();
        assert!(!enc
            .windows(8)
            .any(|w| e.secret_base32.as_bytes()[..8] == *w));
        assert!(!enc.windows(8).any(|w| raw[..8] == *w));

        assert_eq!(
            confirm_enrolment(&db.store, &a, &u, "000000")
                .await
                .unwrap(),
            Err(CodeRefusal::Wrong)
        );
        let codes = confirm_enrolment(&db.store, &a, &u, &code_at(&e, &db.store))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(codes.len(), totp::RECOVERY_CODES);
        assert!(is_enrolled(&db.store, u.id).await.unwrap());
        assert_eq!(
            second_factor(&db.store, &u).await.unwrap(),
            SecondFactor::Code
        );
        // Recovery codes are stored only as keyed hashes.
        let stored = recovery_code::Entity::find()
            .all(&db.store.db)
            .await
            .unwrap();
        assert_eq!(stored.len(), 10);
        for c in &codes {
            let plain = totp::normalize_recovery_code(c);
            assert!(stored
                .iter()
                .all(|r| !r.code_hash.contains(&plain) && !r.code_hash.contains(c.as_str())));
        }
        db.cleanup().await;
    }

    #[tokio::test]
    async fn the_policy_decides_who_must_enrol() {
        let db = TestDb::new().await;
        let d = user(&db, "d1", Role::District).await;
        let s = user(&db, "s1", Role::Sysadmin).await;
        assert!(!must_enrol(&db.store, d.id, Role::District).await.unwrap());
        db.store
            .set_policy(crate::platform::policy::SecurityPolicy::default());
        assert!(must_enrol(&db.store, d.id, Role::District).await.unwrap());
        assert!(must_enrol(&db.store, s.id, Role::Sysadmin).await.unwrap());
        assert_eq!(
            second_factor(&db.store, &d).await.unwrap(),
            SecondFactor::MustEnrol
        );
        assert!(!must_enrol(&db.store, d.id, Role::Subject).await.unwrap());
        db.cleanup().await;
    }

    #[tokio::test]
    async fn a_code_is_accepted_once_and_within_one_step_of_the_clock() {
        let db = TestDb::new().await;
        let (u, e, _) = enrolled(&db, "li").await;
        let a = actor(&u);
        // The enrolment's own code is used up.
        assert_eq!(
            verify(&db.store, &a, u.id, &code_at(&e, &db.store))
                .await
                .unwrap(),
            Err(CodeRefusal::Wrong)
        );
        db.clock.advance(chrono::Duration::seconds(30));
        let code = code_at(&e, &db.store);
        assert_eq!(
            verify(&db.store, &a, u.id, &code).await.unwrap(),
            Ok(Verified::Totp)
        );
        assert_eq!(
            verify(&db.store, &a, u.id, &code).await.unwrap(),
            Err(CodeRefusal::Wrong),
            "replayed"
        );
        // A code read 30 s ago is still good (one step of drift), 60 s ago is not.
        db.clock.advance(chrono::Duration::seconds(30));
        let late = code_at(&e, &db.store);
        db.clock.advance(chrono::Duration::seconds(30));
        assert_eq!(
            verify(&db.store, &a, u.id, &late).await.unwrap(),
            Ok(Verified::Totp)
        );
        db.clock.advance(chrono::Duration::seconds(30));
        let stale = code_at(&e, &db.store);
        db.clock.advance(chrono::Duration::seconds(60));
        assert_eq!(
            verify(&db.store, &a, u.id, &stale).await.unwrap(),
            Err(CodeRefusal::Wrong)
        );
        db.cleanup().await;
    }

    #[tokio::test]
    async fn five_wrong_codes_lock_the_account_for_ten_minutes_whatever_the_password_says() {
        let db = TestDb::new().await;
        let (u, e, _) = enrolled(&db, "wang").await;
        let a = actor(&u);
        for i in 0..LOCKOUT_FAILURES {
            // A correct password in between does not reset the count of wrong codes.
            accounts::record_login(&db.store, &a, Some(&u), true)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                verify(&db.store, &a, u.id, "000000").await.unwrap(),
                Err(CodeRefusal::Wrong),
                "attempt {i}"
            );
        }
        db.clock.advance(chrono::Duration::seconds(30));
        assert_eq!(
            verify(&db.store, &a, u.id, &code_at(&e, &db.store))
                .await
                .unwrap(),
            Err(CodeRefusal::Locked),
            "locked: even the right code is refused"
        );
        let locked = accounts::get_user(&db.store, u.id).await.unwrap().unwrap();
        assert_eq!(
            accounts::record_login(&db.store, &a, Some(&locked), true)
                .await
                .unwrap(),
            Err(accounts::LoginRefusal::Locked),
            "and the password too"
        );
        db.clock.advance(chrono::Duration::seconds(LOCKOUT_SECS));
        assert_eq!(
            verify(&db.store, &a, u.id, &code_at(&e, &db.store))
                .await
                .unwrap(),
            Ok(Verified::Totp)
        );
        db.cleanup().await;
    }

    #[tokio::test]
    async fn recovery_codes_work_once_and_regenerating_replaces_them() {
        let db = TestDb::new().await;
        let (u, _, codes) = enrolled(&db, "zhao").await;
        let a = actor(&u);
        let typed = codes[3].to_uppercase().replace('-', " ");
        assert_eq!(
            verify(&db.store, &a, u.id, &typed).await.unwrap(),
            Ok(Verified::Recovery { remaining: 9 })
        );
        assert_eq!(
            verify(&db.store, &a, u.id, &codes[3]).await.unwrap(),
            Err(CodeRefusal::Wrong)
        );
        let new = regenerate_recovery_codes(&db.store, &a, &u).await.unwrap();
        assert_eq!(
            verify(&db.store, &a, u.id, &codes[4]).await.unwrap(),
            Err(CodeRefusal::Wrong),
            "old codes are void"
        );
        assert_eq!(
            verify(&db.store, &a, u.id, &new[0]).await.unwrap(),
            Ok(Verified::Recovery { remaining: 9 })
        );
        // Another account's code is not this account's.
        let (v, _, other) = enrolled(&db, "qian").await;
        assert_eq!(
            verify(&db.store, &a, u.id, &other[0]).await.unwrap(),
            Err(CodeRefusal::Wrong)
        );
        assert!(verify(&db.store, &actor(&v), v.id, &other[0])
            .await
            .unwrap()
            .is_ok());
        db.cleanup().await;
    }

    #[tokio::test]
    async fn a_pending_sign_in_lives_five_minutes_and_becomes_a_web_session() {
        let db = TestDb::new().await;
        let (u, e, _) = enrolled(&db, "sun").await;
        let a = actor(&u);
        let p = begin_pending_login(&db.store, u.id, "127.0.0.1")
            .await
            .unwrap();
        assert!(pending_login(&db.store, &p.token).await.unwrap().is_some());
        // Never a web or API session.
        assert!(accounts::lookup_session(&db.store, &p.token, "web")
            .await
            .unwrap()
            .is_none());
        db.clock.advance(chrono::Duration::seconds(30));
        let (s, how) = complete_login(
            &db.store,
            &a,
            &p.token,
            &code_at(&e, &db.store),
            "127.0.0.1",
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(how, Verified::Totp);
        assert!(accounts::lookup_session(&db.store, &s.token, "web")
            .await
            .unwrap()
            .is_some());
        assert!(pending_login(&db.store, &p.token).await.unwrap().is_none());

        let late = begin_pending_login(&db.store, u.id, "127.0.0.1")
            .await
            .unwrap();
        db.clock
            .advance(chrono::Duration::seconds(PENDING_LOGIN_SECS));
        assert_eq!(
            complete_login(&db.store, &a, &late.token, &code_at(&e, &db.store), "x")
                .await
                .unwrap()
                .map(|_| ()),
            Err(CodeRefusal::Expired)
        );
        assert!(pending_login(&db.store, &late.token)
            .await
            .unwrap()
            .is_none());
        db.cleanup().await;
    }

    #[tokio::test]
    async fn api_tokens_are_labelled_listed_and_revoked_by_their_owner() {
        let db = TestDb::new().await;
        let (u, _, _) = enrolled(&db, "zhou").await;
        let other = user(&db, "wu", Role::District).await;
        let a = actor(&u);
        let t = issue_api_token(&db.store, &a, &u, "对接系统", None)
            .await
            .unwrap()
            .unwrap();
        assert!(accounts::lookup_session(&db.store, &t.token, "api")
            .await
            .unwrap()
            .is_some());
        let list = list_api_tokens(&db.store, u.id).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].label, "对接系统");
        assert_eq!(list[0].last_used_at, None);
        assert_ne!(list[0].id, t.token, "the list never holds the token itself");
        assert!(list_api_tokens(&db.store, other.id)
            .await
            .unwrap()
            .is_empty());
        // Nobody revokes another account's token.
        assert!(
            !revoke_api_token(&db.store, &actor(&other), &other, &list[0].id)
                .await
                .unwrap()
        );
        assert!(revoke_api_token(&db.store, &a, &u, &list[0].id)
            .await
            .unwrap());
        assert!(accounts::lookup_session(&db.store, &t.token, "api")
            .await
            .unwrap()
            .is_none());
        assert!(api_token::Entity::find()
            .all(&db.store.db)
            .await
            .unwrap()
            .is_empty());
        // A wrong code issues nothing.
        assert_eq!(
            issue_api_token(&db.store, &a, &u, "", Some("000000"))
                .await
                .unwrap()
                .map(|_| ()),
            Err(CodeRefusal::Wrong)
        );
        assert!(list_api_tokens(&db.store, u.id).await.unwrap().is_empty());
        db.cleanup().await;
    }

    #[tokio::test]
    async fn a_reset_removes_the_second_factor_and_ends_browser_sessions() {
        let db = TestDb::new().await;
        db.store
            .set_policy(crate::platform::policy::SecurityPolicy::default());
        let (u, _, _) = enrolled(&db, "zheng").await;
        let s = accounts::create_session(&db.store, u.id, "web", "x")
            .await
            .unwrap();
        let t = issue_api_token(&db.store, &actor(&u), &u, "x", None)
            .await
            .unwrap()
            .unwrap();
        reset_mfa(&db.store, &Actor::system("secadmin"), u.id)
            .await
            .unwrap();
        assert!(!is_enrolled(&db.store, u.id).await.unwrap());
        assert!(must_enrol(&db.store, u.id, Role::District).await.unwrap());
        assert!(recovery_code::Entity::find()
            .all(&db.store.db)
            .await
            .unwrap()
            .is_empty());
        assert!(accounts::lookup_session(&db.store, &s.token, "web")
            .await
            .unwrap()
            .is_none());
        assert!(accounts::lookup_session(&db.store, &t.token, "api")
            .await
            .unwrap()
            .is_some());
        let entries = crate::entity::audit::Entity::find()
            .filter(crate::entity::audit::Column::Action.eq("mfa.reset"))
            .all(&db.store.db)
            .await
            .unwrap();
        assert_eq!(entries.len(), 1);
        assert!(matches!(
            reset_mfa(&db.store, &Actor::system("secadmin"), 999_999).await,
            Err(StoreError::NotFound)
        ));
        // A required role cannot turn it off itself.
        let (v, _, _) = enrolled(&db, "feng").await;
        assert!(disable(&db.store, &actor(&v), &v).await.is_err());
        db.cleanup().await;
    }
}
