//! HTTP layer of anpei (安培): server-rendered pages (askama + htmx), the JSON API under
//! `/api/v1`, sessions and authorization, embedded assets, health and metrics.
//!
//! Every route is declared in `routes::build` with its permission; the authorization
//! middleware refuses any request whose route has none (deny by default).
#![forbid(unsafe_code)]

pub mod api;
pub mod assets;
pub mod auth;
pub mod error;
pub mod evidence;
pub mod ingest_file;
pub mod metrics;
pub mod pages;
pub mod proxy;
pub mod ratelimit;
pub mod routes;
pub mod scheduler;
pub mod standby;
pub mod tls;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anpei_store::Store;
use axum::Router;

pub use routes::{Perm, RouteSpec};
pub use scheduler::spawn_scheduler;

/// Options of the web layer.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (when served over TLS or behind a TLS proxy). Implied by
    /// [`WebConfig::tls`]. Set alone (a TLS proxy in front), it also sends HSTS.
    pub secure_cookies: bool,
    /// This process terminates TLS itself (`[tls] cert_file` / `key_file`): cookies are
    /// `Secure` and every response carries `Strict-Transport-Security`.
    pub tls: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`[security] trusted_proxies`),
    /// for the rate limits and the audit log's client address; none by default.
    pub trusted_proxies: proxy::TrustedProxies,
    /// Where uploaded ledgers wait between the dry run and the confirmed import
    /// (`<data-dir>/uploads`); never a served path. Empty: `anpei-uploads` in the system's
    /// temporary directory.
    pub uploads_dir: PathBuf,
    /// Where evidence files (佐证材料) are kept, named by their SHA-256
    /// (`<data-dir>/evidence`); never a served path. Empty: `anpei-evidence` in the system's
    /// temporary directory.
    pub evidence_dir: PathBuf,
    /// Limits of an uploaded file (size, zip-bomb limits); `None`: those of
    /// [`WebConfig::upload_limits`].
    pub upload_limits: Option<anpei_import::sniff::UploadLimits>,
    /// Rate limits of sign-in, exports and tip-offs.
    pub rate_limits: ratelimit::RateLimits,
}

impl WebConfig {
    /// Whether responses carry `Strict-Transport-Security`: when this process terminates
    /// TLS, and when `secure_cookies` says the site is reached over HTTPS through a TLS
    /// proxy (browsers ignore the header on a plain-HTTP response, RFC 6797 §8.1).
    pub fn sends_hsts(&self) -> bool {
        self.tls || self.secure_cookies
    }

    /// The pending-uploads directory in force.
    pub fn uploads_dir(&self) -> PathBuf {
        if self.uploads_dir.as_os_str().is_empty() {
            std::env::temp_dir().join("anpei-uploads")
        } else {
            self.uploads_dir.clone()
        }
    }

    /// The evidence directory in force.
    pub fn evidence_dir(&self) -> PathBuf {
        if self.evidence_dir.as_os_str().is_empty() {
            std::env::temp_dir().join("anpei-evidence")
        } else {
            self.evidence_dir.clone()
        }
    }

    /// The upload limits in force: as configured, or up to the upload routes' own limit
    /// (`pages::ledger::imports::MAX_UPLOAD`) with the default zip-bomb limits scaled to it.
    pub fn upload_limits(&self) -> anpei_import::sniff::UploadLimits {
        self.upload_limits.unwrap_or_else(|| {
            anpei_import::sniff::UploadLimits::for_size(pages::ledger::imports::MAX_UPLOAD)
        })
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub metrics: Arc<metrics::Metrics>,
    /// Permission of each (method, route pattern), filled by `routes::build`.
    pub perms: Arc<HashMap<(String, String), Perm>>,
    /// Rate limits (sign-in, exports, tip-offs), timed by the store's clock.
    pub limiter: Arc<ratelimit::RateLimiter>,
    /// The campaign phase the page header shows, cached briefly.
    pub phase: Arc<pages::campaign::PhaseCache>,
}

/// Builds the application; tests call this and drive it without a socket.
pub fn app(store: Store, mut config: WebConfig) -> Router {
    // Under TLS every cookie is `Secure`, whatever else was configured.
    config.secure_cookies |= config.tls;
    let (router, specs) = routes::build();
    let perms = specs
        .iter()
        .map(|s| ((s.method.to_string(), s.path.to_string()), s.perm))
        .collect();
    let limiter = ratelimit::RateLimiter::new(config.rate_limits.clone(), store.clock.clone())
        .with_trusted_proxies(config.trusted_proxies.clone());
    let state = AppState {
        store,
        config: Arc::new(config),
        metrics: Arc::new(metrics::Metrics::default()),
        perms: Arc::new(perms),
        limiter: Arc::new(limiter),
        phase: Arc::default(),
    };
    // Inside authorization (added after it in `with_middleware`): keyed by the user.
    let router = router.route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        ratelimit::limit_exports,
    ));
    routes::with_middleware(router, state)
}

/// A client that has not sent a whole request head within this time after connecting, or
/// after its previous response (an idle keep-alive connection), is disconnected.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves the application on a bound listener until Ctrl-C: plain HTTP, or HTTPS with
/// `tls` (see [`tls::load_server_config`]). Handlers see the peer as
/// `ConnectInfo<SocketAddr>` either way.
pub async fn serve(
    listener: tokio::net::TcpListener,
    tls: Option<Arc<tls::rustls::ServerConfig>>,
    app: Router,
) -> std::io::Result<()> {
    serve_until(listener, tls, app, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// [`serve`] until `shutdown` completes (then open connections are let finish).
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    tls: Option<Arc<tls::rustls::ServerConfig>>,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_timeout(listener, tls, app, shutdown, HEADER_READ_TIMEOUT).await
}

/// [`serve_until`] with another [`HEADER_READ_TIMEOUT`].
///
/// `axum::serve` sets no timer on its connections, so a client that opens a connection and
/// sends a request head slowly, or never, would hold it (and a task) for as long as it
/// likes. Here each connection is served by hyper's HTTP/1 server with a timer: the
/// header-read timeout runs from the moment the connection waits for a request head, which
/// covers both a slow head and an idle keep-alive connection. Under TLS the handshake has
/// its own limit ([`tls::HANDSHAKE_TIMEOUT`]) before that. On shutdown, idle connections
/// close and busy ones finish their request first.
pub async fn serve_with_timeout(
    listener: tokio::net::TcpListener,
    tls: Option<Arc<tls::rustls::ServerConfig>>,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    header_read_timeout: Duration,
) -> std::io::Result<()> {
    match tls {
        None => serve_connections(listener, app, shutdown, header_read_timeout).await,
        Some(config) => {
            let listener = tls::TlsListener::new(listener, config);
            serve_connections(listener, app, shutdown, header_read_timeout).await
        }
    }
}

async fn serve_connections<L>(
    mut listener: L,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    header_read_timeout: Duration,
) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    use tokio::sync::watch;
    // Dropping `stop_rx` tells the accept loop and every connection to stop.
    let (stop_tx, stop_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(stop_rx);
    });
    // Each connection holds a receiver; the sender's `closed` waits for all of them.
    let (done_tx, done_rx) = watch::channel(());
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop_tx.closed() => break,
        };
        let stop = stop_tx.clone();
        let done = done_rx.clone();
        let app = app.clone();
        tokio::spawn(async move {
            serve_connection(io, peer, app, header_read_timeout, stop).await;
            drop(done);
        });
    }
    drop(listener);
    drop(done_rx);
    done_tx.closed().await;
    Ok(())
}

async fn serve_connection<I>(
    io: I,
    peer: SocketAddr,
    app: Router,
    header_read_timeout: Duration,
    stop: tokio::sync::watch::Sender<()>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use axum::extract::ConnectInfo;
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    // What `into_make_service_with_connect_info` gives handlers: the peer as ConnectInfo.
    let service = app.map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req.map(axum::body::Body::new)
    });
    let service = hyper_util::service::TowerToHyperService::new(service);
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended");
                }
                break;
            }
            () = stop.closed(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
