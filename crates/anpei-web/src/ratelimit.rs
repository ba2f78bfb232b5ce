//! Rate limits (等保 2.0 三级): sign-in per client address and per username, exports per
//! user, tip-off submissions per client address. Over the limit a request gets HTTP 429
//! with `Retry-After` and a Chinese message ("操作过于频繁，请 N 秒后再试").
//!
//! The limiter is in memory, one per app instance (a cluster of N instances lets through up
//! to N times a limit; sign-in is also guarded by the account lockout kept in the database).
//! Each bucket counts hits per key in a sliding window (two fixed windows, the previous one
//! weighted by how much of it still overlaps the sliding window): one small record per key,
//! and at most [`RateLimits::max_keys`] keys per bucket, the least recently seen evicted
//! first, so that spam with ever new keys cannot grow memory without bound.
//!
//! Time comes from the store's clock ([`anpei_store::Clock`]), so tests move a
//! [`anpei_store::FixedClock`] instead of sleeping.
//!
//! Wiring: [`limit_exports`] guards the routes of [`EXPORT_ROUTES`] (a route layer, after
//! authorization: keyed by the signed-in user); `POST /api/v1/auth/token` calls
//! [`RateLimiter::check_login`]; the login form and the tip-off form call
//! [`RateLimiter::check_login`] and [`RateLimiter::check`] with [`Bucket::Tipoff`].

use crate::auth::CurrentUser;
use crate::pages::{render, ErrorPage};
use crate::proxy::{client_ip, TrustedProxies};
use crate::AppState;
use anpei_store::Clock;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What is being limited; each bucket has its own limit and its own keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Sign-in attempts (login form, API token) per client address.
    LoginAddr,
    /// Sign-in attempts per username (whatever address they come from).
    LoginUser,
    /// Downloads of exports (findings, error reports, templates) per user.
    Export,
    /// Public tip-off (举报) submissions per client address.
    Tipoff,
    /// Unmaskings of ID and phone numbers per user (each one is audited too).
    Unmask,
}

impl Bucket {
    pub const ALL: [Bucket; 5] = [
        Bucket::LoginAddr,
        Bucket::LoginUser,
        Bucket::Export,
        Bucket::Tipoff,
        Bucket::Unmask,
    ];

    fn index(self) -> usize {
        match self {
            Bucket::LoginAddr => 0,
            Bucket::LoginUser => 1,
            Bucket::Export => 2,
            Bucket::Tipoff => 3,
            Bucket::Unmask => 4,
        }
    }
}

/// At most `max` hits per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub per: Duration,
}

impl Limit {
    pub const fn new(max: u32, per: Duration) -> Self {
        Limit { max, per }
    }

    /// No limit at all (nothing is tracked).
    pub const UNLIMITED: Limit = Limit {
        max: u32::MAX,
        per: Duration::from_secs(1),
    };
}

/// The limits in force; `Default` is what a deployment gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    /// Sign-in attempts per client address: 20 a minute.
    pub login_addr: Limit,
    /// Sign-in attempts per username: 10 a minute.
    pub login_user: Limit,
    /// Export downloads per user: 30 in 10 minutes.
    pub export: Limit,
    /// Tip-off submissions per client address: 5 an hour.
    pub tipoff: Limit,
    /// Unmaskings per user: 20 an hour (looking up a few people, not harvesting numbers).
    pub unmask: Limit,
    /// Keys tracked per bucket at most (least recently seen evicted): 100,000.
    pub max_keys: usize,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            login_addr: Limit::new(20, Duration::from_secs(60)),
            login_user: Limit::new(10, Duration::from_secs(60)),
            export: Limit::new(30, Duration::from_secs(600)),
            tipoff: Limit::new(5, Duration::from_secs(3600)),
            unmask: Limit::new(20, Duration::from_secs(3600)),
            max_keys: 100_000,
        }
    }
}

impl RateLimits {
    pub fn of(&self, bucket: Bucket) -> Limit {
        match bucket {
            Bucket::LoginAddr => self.login_addr,
            Bucket::LoginUser => self.login_user,
            Bucket::Export => self.export,
            Bucket::Tipoff => self.tipoff,
            Bucket::Unmask => self.unmask,
        }
    }
}

/// A refused hit: how long until the same key would be let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

impl RetryAfter {
    /// Seconds to wait (at least 1).
    pub fn secs(self) -> u64 {
        self.0.max(1)
    }

    /// "操作过于频繁，请 N 秒后再试。" (minutes from two minutes on).
    pub fn message(self) -> String {
        let s = self.secs();
        if s < 120 {
            format!("操作过于频繁，请 {s} 秒后再试。")
        } else {
            format!("操作过于频繁，请 {} 分钟后再试。", s.div_ceil(60))
        }
    }

    /// Sets `Retry-After` (and the 429 status) on a response the caller built itself, e.g.
    /// the login form with [`RetryAfter::message`] as its error.
    pub fn apply(self, res: &mut Response) {
        *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(self.secs()));
    }

    /// The HTML error page: 429, `Retry-After`, the message.
    pub fn page(self) -> Response {
        let mut res = render(ErrorPage {
            status: 429,
            message: self.message(),
        });
        self.apply(&mut res);
        res
    }

    /// The API answer: 429, `Retry-After`,
    /// `{"error": "too_many_requests", "message": …, "retry_after": N}`.
    pub fn json(self) -> Response {
        let body = serde_json::json!({
            "error": "too_many_requests",
            "message": self.message(),
            "retry_after": self.secs(),
        });
        let mut res = Json(body).into_response();
        self.apply(&mut res);
        res
    }
}

/// One key's counts: hits in the current fixed window and in the one before.
#[derive(Debug, Clone, Copy)]
struct Entry {
    window: u64,
    cur: u32,
    prev: u32,
    /// Position in the recency order.
    seen: u64,
}

#[derive(Default)]
struct Table {
    entries: HashMap<String, Entry>,
    /// Recency order: `seen` → key, oldest first.
    order: BTreeMap<u64, String>,
    tick: u64,
}

impl Table {
    fn touch(&mut self, key: &str) {
        self.tick += 1;
        let tick = self.tick;
        if let Some(e) = self.entries.get_mut(key) {
            self.order.remove(&e.seen);
            e.seen = tick;
            self.order.insert(tick, key.to_string());
        }
    }

    fn insert(&mut self, key: &str, window: u64, max_keys: usize) {
        while self.entries.len() >= max_keys.max(1) {
            match self.order.pop_first() {
                Some((_, old)) => {
                    self.entries.remove(&old);
                }
                None => break,
            }
        }
        self.tick += 1;
        self.entries.insert(
            key.to_string(),
            Entry {
                window,
                cur: 0,
                prev: 0,
                seen: self.tick,
            },
        );
        self.order.insert(self.tick, key.to_string());
    }
}

/// Keys longer than this are cut (a username can be anything a client sends).
const MAX_KEY_BYTES: usize = 128;

/// The in-memory limiter. Cheap to share (`Arc`), safe across threads.
pub struct RateLimiter {
    limits: RateLimits,
    /// Whose `X-Forwarded-For` is believed when keying by client address.
    trusted: TrustedProxies,
    clock: Arc<dyn Clock>,
    tables: [Mutex<Table>; 5],
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    pub fn new(limits: RateLimits, clock: Arc<dyn Clock>) -> Self {
        RateLimiter {
            limits,
            trusted: TrustedProxies::default(),
            clock,
            tables: Default::default(),
        }
    }

    /// The reverse proxies whose `X-Forwarded-For` this limiter believes
    /// (`WebConfig::trusted_proxies`); none by default.
    pub fn with_trusted_proxies(mut self, trusted: TrustedProxies) -> Self {
        self.trusted = trusted;
        self
    }

    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Counts a hit of `key` in `bucket`, or refuses it with the time to wait. A refused hit
    /// is not counted (a client that waits as told gets through).
    pub fn check(&self, bucket: Bucket, key: &str) -> Result<(), RetryAfter> {
        let limit = self.limits.of(bucket);
        if limit.max == u32::MAX {
            return Ok(());
        }
        let w = u64::try_from(limit.per.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        if limit.max == 0 {
            return Err(RetryAfter(w.div_ceil(1000)));
        }
        let now = u64::try_from(self.clock.now().timestamp_millis()).unwrap_or(0);
        let (k, e) = (now / w, now % w);
        let key = cut(key);
        let mut t = self.tables[bucket.index()]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if !t.entries.contains_key(key) {
            t.insert(key, k, self.limits.max_keys);
        }
        t.touch(key);
        let entry = t.entries.get_mut(key).expect("just inserted");
        if entry.window != k {
            entry.prev = if entry.window + 1 == k { entry.cur } else { 0 };
            entry.cur = 0;
            entry.window = k;
        }
        let (max, prev, cur) = (
            u128::from(limit.max),
            u128::from(entry.prev),
            u128::from(entry.cur),
        );
        let (w128, e128) = (u128::from(w), u128::from(e));
        // The previous window counts for the part of it the sliding window still covers.
        if prev * (w128 - e128) + (cur + 1) * w128 <= max * w128 {
            entry.cur += 1;
            return Ok(());
        }
        let wait_ms = if cur < max {
            // Refused for the previous window's weight: wait until enough of it slid out.
            let allowance = (max - cur - 1) * w128 / prev;
            (w128 - e128).saturating_sub(allowance)
        } else {
            // This window is full: into the next one, until this one's weight is low enough.
            (w128 - e128) + (w128 - (max - 1) * w128 / cur)
        };
        let secs = u64::try_from(wait_ms.div_ceil(1000)).unwrap_or(u64::MAX);
        Err(RetryAfter(secs.max(1)))
    }

    /// A sign-in attempt from `addr` for `username`: counts against both the address and
    /// the username (case and surrounding blanks ignored). Call it before the password is
    /// checked, for every attempt.
    pub fn check_login(&self, addr: &str, username: &str) -> Result<(), RetryAfter> {
        self.check(Bucket::LoginAddr, addr)?;
        self.check(Bucket::LoginUser, &username.trim().to_lowercase())
    }

    /// Keys tracked in `bucket` (tests and metrics).
    pub fn tracked(&self, bucket: Bucket) -> usize {
        self.tables[bucket.index()]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .len()
    }

    /// The key of the client that sent a request: see [`client_key`], with this limiter's
    /// trusted proxies.
    pub fn client_key(&self, extensions: &Extensions, headers: &HeaderMap) -> String {
        client_key(extensions, headers, &self.trusted)
    }
}

fn cut(key: &str) -> &str {
    if key.len() <= MAX_KEY_BYTES {
        return key;
    }
    let mut end = MAX_KEY_BYTES;
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    &key[..end]
}

/// The client address a limit is keyed by: the client the request came from
/// ([`crate::proxy::client_ip`]: the connection's peer, or — when the peer is one of the
/// `trusted` proxies — the right-most address of `X-Forwarded-For` that is not itself a
/// trusted proxy). An IPv6 client is keyed by its /64 network (one subscriber gets a whole
/// /64). Without `ConnectInfo` (a router driven in tests) every request shares the key
/// `unknown`.
pub fn client_key(
    extensions: &Extensions,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> String {
    match client_ip(extensions, headers, trusted) {
        None => "unknown".into(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The routes that send an export back: (method, route pattern). Each is limited per user
/// by [`limit_exports`].
pub const EXPORT_ROUTES: &[(&str, &str)] = &[
    ("GET", "/findings/export"),
    ("GET", "/imports/errors.xlsx"),
    ("GET", "/imports/template.xlsx"),
    ("GET", "/problems/export.xlsx"),
    ("GET", "/problems/export.docx"),
    ("GET", "/selfcheck/{id}/report.docx"),
    ("GET", "/bulletin.docx"),
    ("GET", "/exams/template.xlsx"),
    ("GET", "/training/template.xlsx"),
    ("GET", "/online/template.xlsx"),
    ("GET", "/exams/subjects/{id}/export.xlsx"),
    ("GET", "/training/{id}/export.xlsx"),
];

/// Route layer (inside authorization): counts each request to an [`EXPORT_ROUTES`] route
/// against the signed-in user's [`Bucket::Export`] limit. A `HEAD` counts as the `GET` it
/// is: axum answers it with the GET handler, which builds (and audits) the whole export
/// before the body is dropped.
pub async fn limit_exports(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let method = if req.method() == Method::HEAD {
        "GET"
    } else {
        req.method().as_str()
    };
    let is_export = route
        .as_deref()
        .is_some_and(|p| EXPORT_ROUTES.iter().any(|(m, r)| *r == p && method == *m));
    if is_export {
        if let Some(user) = req.extensions().get::<CurrentUser>() {
            if let Err(wait) = st.limiter.check(Bucket::Export, &user.id.to_string()) {
                tracing::warn!(user = %user.username, route = ?route, "export rate limit");
                return if route.as_deref().is_some_and(|p| p.starts_with("/api/")) {
                    wait.json()
                } else {
                    wait.page()
                };
            }
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use anpei_store::FixedClock;
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;

    fn at_hour() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2024-03-01T08:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc)
    }

    fn limiter(limits: RateLimits) -> (RateLimiter, Arc<FixedClock>) {
        let clock = Arc::new(FixedClock::new(at_hour()));
        (
            RateLimiter::new(limits, clock.clone() as Arc<dyn Clock>),
            clock,
        )
    }

    fn three_a_minute() -> RateLimits {
        RateLimits {
            export: Limit::new(3, Duration::from_secs(60)),
            ..Default::default()
        }
    }

    #[test]
    fn a_key_gets_its_limit_then_waits_as_told() {
        let (l, clock) = limiter(three_a_minute());
        for _ in 0..3 {
            assert_eq!(l.check(Bucket::Export, "7"), Ok(()));
        }
        // Full window: into the next, until the previous one's weight of 3 drops to 2:
        // a third of the next minute.
        let wait = l.check(Bucket::Export, "7").unwrap_err();
        assert_eq!(wait, RetryAfter(80));
        assert!(wait.message().contains("操作过于频繁，请 80 秒后再试"));
        assert_eq!(
            l.check(Bucket::Export, "8"),
            Ok(()),
            "other keys are not held"
        );
        clock.advance(chrono::Duration::seconds(79));
        assert!(
            l.check(Bucket::Export, "7").is_err(),
            "refused a second early"
        );
        clock.advance(chrono::Duration::seconds(1));
        assert_eq!(l.check(Bucket::Export, "7"), Ok(()), "let through on time");
        assert!(l.check(Bucket::Export, "7").is_err());
    }

    #[test]
    fn the_window_slides_and_rolls_over() {
        let (l, clock) = limiter(three_a_minute());
        // Two hits at :00, one at :50.
        l.check(Bucket::Export, "k").unwrap();
        l.check(Bucket::Export, "k").unwrap();
        clock.advance(chrono::Duration::seconds(50));
        l.check(Bucket::Export, "k").unwrap();
        assert!(l.check(Bucket::Export, "k").is_err());
        // At 1:30 the previous minute (3 hits) still weighs half: 1.5 + 0 + 1 ≤ 3.
        clock.advance(chrono::Duration::seconds(40));
        assert_eq!(l.check(Bucket::Export, "k"), Ok(()));
        // 1.5 + 1 + 1 > 3: wait until the old minute weighs ≤ 1 (2:00 − 20 s = 1:40).
        assert_eq!(l.check(Bucket::Export, "k"), Err(RetryAfter(10)));
        // Two idle windows later nothing is remembered.
        clock.advance(chrono::Duration::seconds(150));
        for _ in 0..3 {
            assert_eq!(l.check(Bucket::Export, "k"), Ok(()));
        }
        assert!(l.check(Bucket::Export, "k").is_err());
    }

    #[test]
    fn buckets_are_separate_and_login_counts_address_and_username() {
        let (l, _) = limiter(RateLimits {
            login_addr: Limit::new(3, Duration::from_secs(60)),
            login_user: Limit::new(2, Duration::from_secs(60)),
            ..Default::default()
        });
        assert!(l.check_login("10.0.0.1", "Zhang").is_ok());
        assert!(l.check_login("10.0.0.2", " zhang ").is_ok());
        assert!(
            l.check_login("10.0.0.3", "ZHANG").is_err(),
            "the username's limit, across addresses"
        );
        assert!(l.check_login("10.0.0.1", "li").is_ok());
        assert!(l.check_login("10.0.0.1", "wang").is_ok());
        assert!(
            l.check_login("10.0.0.1", "zhao").is_err(),
            "the address's limit, across usernames"
        );
        assert!(l.check(Bucket::Export, "10.0.0.1").is_ok());
        assert!(l.check(Bucket::Tipoff, "10.0.0.1").is_ok());
    }

    #[test]
    fn tip_offs_have_their_own_hourly_limit() {
        let (l, clock) = limiter(RateLimits::default());
        for _ in 0..5 {
            l.check(Bucket::Tipoff, "1.2.3.4").unwrap();
        }
        let wait = l.check(Bucket::Tipoff, "1.2.3.4").unwrap_err();
        assert!(wait.secs() > 3600, "{wait:?}");
        assert!(wait.message().contains("分钟后再试"), "{}", wait.message());
        clock.advance(chrono::Duration::seconds(wait.secs() as i64));
        assert!(l.check(Bucket::Tipoff, "1.2.3.4").is_ok());
    }

    #[test]
    fn tracked_keys_are_capped_and_the_oldest_go_first() {
        let (l, _) = limiter(RateLimits {
            export: Limit::new(1, Duration::from_secs(600)),
            max_keys: 100,
            ..Default::default()
        });
        l.check(Bucket::Export, "victim").unwrap();
        assert!(l.check(Bucket::Export, "victim").is_err());
        for i in 0..10_000 {
            let _ = l.check(Bucket::Export, &format!("spam{i}"));
            // The victim keeps trying: recently seen, never evicted.
            if i % 50 == 0 {
                assert!(l.check(Bucket::Export, "victim").is_err(), "at {i}");
            }
            assert!(l.tracked(Bucket::Export) <= 100);
        }
        assert_eq!(l.tracked(Bucket::Export), 100);
        // The first spam keys were evicted (their count forgotten), the latest are held.
        assert!(l.check(Bucket::Export, "spam0").is_ok());
        assert!(l.check(Bucket::Export, "spam9999").is_err());
        let long = "用".repeat(1000);
        l.check(Bucket::LoginUser, &long).unwrap();
        assert_eq!(l.tracked(Bucket::LoginUser), 1);
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let d = RateLimits::default();
        assert_eq!(d.login_addr, Limit::new(20, Duration::from_secs(60)));
        assert_eq!(d.login_user, Limit::new(10, Duration::from_secs(60)));
        assert_eq!(d.export, Limit::new(30, Duration::from_secs(600)));
        assert_eq!(d.tipoff, Limit::new(5, Duration::from_secs(3600)));
        assert_eq!(d.unmask, Limit::new(20, Duration::from_secs(3600)));
        let (l, _) = limiter(RateLimits {
            export: Limit::UNLIMITED,
            ..d
        });
        for _ in 0..1000 {
            l.check(Bucket::Export, "k").unwrap();
        }
        assert_eq!(l.tracked(Bucket::Export), 0);
    }

    #[test]
    fn the_client_key_believes_forwarded_for_only_from_trusted_proxies() {
        let mut ext = Extensions::new();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "203.0.113.9, 10.0.0.5".parse().unwrap());
        assert_eq!(
            client_key(&ext, &headers, &TrustedProxies::default()),
            "unknown"
        );
        ext.insert(ConnectInfo("10.0.0.1:5000".parse::<SocketAddr>().unwrap()));
        let none = TrustedProxies::default();
        assert_eq!(client_key(&ext, &headers, &none), "10.0.0.1");
        let proxies = TrustedProxies::parse(&["10.0.0.1", "10.0.0.5"]).unwrap();
        assert_eq!(client_key(&ext, &headers, &proxies), "203.0.113.9");
        let network = TrustedProxies::parse(&["10.0.0.0/24"]).unwrap();
        assert_eq!(client_key(&ext, &headers, &network), "203.0.113.9");
        let other = TrustedProxies::parse(&["10.0.1.0/24"]).unwrap();
        assert_eq!(client_key(&ext, &headers, &other), "10.0.0.1");
        // The address the middleware resolved wins.
        ext.insert(crate::proxy::ClientIp("198.51.100.3".parse().unwrap()));
        assert_eq!(client_key(&ext, &headers, &none), "198.51.100.3");
        let mut v6 = Extensions::new();
        v6.insert(ConnectInfo(
            "[2001:db8:1:2:aaaa::1]:443".parse::<SocketAddr>().unwrap(),
        ));
        assert_eq!(
            client_key(&v6, &HeaderMap::new(), &TrustedProxies::default()),
            "2001:db8:1:2::/64"
        );
        let mut mapped = Extensions::new();
        mapped.insert(ConnectInfo(
            "[::ffff:192.0.2.7]:443".parse::<SocketAddr>().unwrap(),
        ));
        assert_eq!(
            client_key(&mapped, &HeaderMap::new(), &TrustedProxies::default()),
            "192.0.2.7"
        );
    }
}
