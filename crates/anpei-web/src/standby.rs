//! Which database a request's heavy reads use when a standby is configured
//! (`database_read_url`; see `anpei_store::platform::replica`).
//!
//! A `GET` may read its lists from the standby once the standby has replayed what this browser
//! last wrote: a request that writes answers with the primary's log position in the
//! `anpei_seen` cookie, and later requests (through any server) wait for nothing but read from
//! the primary until the standby has caught up. A request that writes reads from the primary
//! throughout. A response whose reads used the standby says so in `X-Anpei-Read: standby`
//! (for operators and tests).

use crate::auth::{cookie, cookie_value};
use crate::AppState;
use anpei_store::platform::replica::read_after;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;

/// The cookie holding the log position a browser's last write reached.
pub const SEEN_COOKIE: &str = "anpei_seen";

pub async fn route_reads(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !state.store.has_standby() {
        return next.run(req).await;
    }
    let seen = cookie(req.headers(), SEEN_COOKIE)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        let (mut res, standby) = read_after(seen, next.run(req)).await;
        if standby {
            res.headers_mut()
                .insert("x-anpei-read", HeaderValue::from_static("standby"));
        }
        return res;
    }
    let mut res = next.run(req).await;
    match state.store.primary_position().await {
        Ok(pos) if pos > seen => {
            let attrs = "Path=/; HttpOnly; SameSite=Lax; Max-Age=600";
            let cookie = cookie_value(
                SEEN_COOKIE,
                &pos.to_string(),
                attrs,
                state.config.secure_cookies,
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!("无法读取主库的日志位置：{e}"),
    }
    res
}
