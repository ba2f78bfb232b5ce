//! TLS termination (`[tls] cert_file` / `key_file`): rustls on the `ring` provider, the
//! certificate chain and private key read from PEM files at start-up.
//!
//! [`TlsListener`] is an `axum::serve` listener: one task accepts TCP connections and hands
//! each to a handshake task of its own (at most [`MAX_PENDING_HANDSHAKES`] at once, each cut
//! off after [`HANDSHAKE_TIMEOUT`]), so a slow or broken client never holds up the others;
//! a failed handshake is logged at debug level and the loop goes on. Finished handshakes
//! reach axum through a channel, with the peer address for `ConnectInfo<SocketAddr>`.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
pub use tokio_rustls::rustls;

/// A client that has not finished its handshake by then is disconnected.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshakes in progress at most; further connections wait in the kernel's backlog.
pub const MAX_PENDING_HANDSHAKES: usize = 512;

/// Why the certificate or key cannot be used; the messages are for the operator, in
/// Chinese, and name the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("无法读取证书文件 {}：{source}", path.display())]
    ReadCert { path: PathBuf, source: io::Error },
    #[error("无法读取私钥文件 {}：{source}", path.display())]
    ReadKey { path: PathBuf, source: io::Error },
    #[error("证书文件 {} 中没有 PEM 格式的证书（应含 -----BEGIN CERTIFICATE-----）", path.display())]
    NoCert { path: PathBuf },
    #[error("证书文件 {} 格式错误：{detail}", path.display())]
    BadCert { path: PathBuf, detail: String },
    #[error(
        "私钥文件 {} 中没有可用的 PEM 私钥（支持未加密的 PKCS#8、PKCS#1 RSA 和 SEC1 EC 私钥）",
        path.display()
    )]
    NoKey { path: PathBuf },
    #[error("私钥文件 {} 格式错误或私钥类型不受支持：{detail}", path.display())]
    BadKey { path: PathBuf, detail: String },
    #[error("私钥与证书不匹配：{} 不是 {} 中证书的私钥", key.display(), cert.display())]
    Mismatch { cert: PathBuf, key: PathBuf },
    #[error("TLS 配置错误：{0}")]
    Config(rustls::Error),
}

fn pem_detail(e: &pem::Error) -> String {
    match e {
        pem::Error::MissingSectionEnd { .. } => "PEM 段缺少 END 行".into(),
        pem::Error::IllegalSectionStart { .. } => "PEM 段的 BEGIN 行有误".into(),
        pem::Error::Base64Decode(_) => "PEM 内容不是有效的 Base64".into(),
        pem::Error::SectionTooLarge => "PEM 段过大".into(),
        other => other.to_string(),
    }
}

/// Reads the PEM certificate chain (server certificate first) and private key and checks
/// that they belong together; the server configuration offers TLS 1.3 and 1.2 and
/// HTTP/1.1.
pub fn load_server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let cert_pem = std::fs::read(cert).map_err(|source| TlsError::ReadCert {
        path: cert.to_path_buf(),
        source,
    })?;
    let key_pem = std::fs::read(key).map_err(|source| TlsError::ReadKey {
        path: key.to_path_buf(),
        source,
    })?;
    warn_if_key_is_readable_by_others(key);
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadCert {
            path: cert.to_path_buf(),
            detail: pem_detail(&e),
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCert {
            path: cert.to_path_buf(),
        });
    }
    let private_key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsError::NoKey {
            path: key.to_path_buf(),
        },
        e => TlsError::BadKey {
            path: key.to_path_buf(),
            detail: pem_detail(&e),
        },
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_no_client_auth();
    let mut config = builder
        .with_single_cert(chain, private_key)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => TlsError::Mismatch {
                cert: cert.to_path_buf(),
                key: key.to_path_buf(),
            },
            rustls::Error::InvalidCertificate(e) => TlsError::BadCert {
                path: cert.to_path_buf(),
                detail: format!("证书无法解析（{e:?}）"),
            },
            rustls::Error::General(detail) => TlsError::BadKey {
                path: key.to_path_buf(),
                detail,
            },
            e => TlsError::Config(e),
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(unix)]
fn warn_if_key_is_readable_by_others(key: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(key) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                file = %key.display(),
                "私钥文件可被其他用户读取，建议 chmod 600"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_key_is_readable_by_others(_: &Path) {}

type Accepted = (TlsStream<TcpStream>, SocketAddr);

/// An `axum::serve` listener that accepts TLS connections (see the module documentation).
/// Dropping it ends its accept task.
#[derive(Debug)]
pub struct TlsListener {
    local_addr: Option<SocketAddr>,
    rx: mpsc::Receiver<Accepted>,
}

impl TlsListener {
    /// Starts accepting on `tcp` (needs a Tokio runtime) with [`HANDSHAKE_TIMEOUT`].
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> TlsListener {
        TlsListener::with_handshake_timeout(tcp, config, HANDSHAKE_TIMEOUT)
    }

    /// As [`TlsListener::new`], handshakes cut off after `timeout`.
    pub fn with_handshake_timeout(
        tcp: TcpListener,
        config: Arc<rustls::ServerConfig>,
        timeout: Duration,
    ) -> TlsListener {
        let local_addr = tcp.local_addr().ok();
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(accept_loop(tcp, TlsAcceptor::from(config), tx, timeout));
        TlsListener { local_addr, rx }
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    tx: mpsc::Sender<Accepted>,
    timeout: Duration,
) {
    let pending = Arc::new(Semaphore::new(MAX_PENDING_HANDSHAKES));
    loop {
        let permit = tokio::select! {
            p = pending.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
            () = tx.closed() => return,
        };
        let (stream, peer) = tokio::select! {
            r = tcp.accept() => match r {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            () = tx.closed() => return,
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::trace!(%peer, error = %e, "TCP_NODELAY");
        }
        let (acceptor, tx) = (acceptor.clone(), tx.clone());
        tokio::spawn(async move {
            let handshake = tokio::time::timeout(timeout, acceptor.accept(stream)).await;
            drop(permit);
            match handshake {
                Ok(Ok(tls)) => {
                    // The server is shutting down when nobody receives.
                    let _ = tx.send((tls, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, ?timeout, "TLS handshake timed out"),
            }
        });
    }
}

/// As axum's own listener: a client that went away is nothing; anything else (e.g. out of
/// file descriptors) is logged and retried a second later.
async fn accept_error(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept error");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(accepted) => accepted,
            // The accept task is gone (it only ends when this listener is dropped).
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.local_addr
            .ok_or_else(|| io::Error::other("TLS listener without a local address"))
    }
}

/// The plain-HTTP side of an HTTPS deployment (`[tls] redirect_from`): every request gets
/// a permanent redirect (308, so a form's method and body are kept) to the same host and
/// path over HTTPS on `https_port`, and nothing else — no page, no cookie is ever served
/// in clear text. A request without a usable `Host` gets 400.
pub fn redirect_app(https_port: u16) -> axum::Router {
    use axum::http::{header, StatusCode, Uri};
    use axum::response::IntoResponse;
    axum::Router::new().fallback(move |headers: axum::http::HeaderMap, uri: Uri| async move {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| {
                h.rsplit_once(':').map_or(h, |(name, port)| {
                    // `[::1]:80` and `example.org:80` lose the port; a bare IPv6 keeps its brackets.
                    if port.bytes().all(|b| b.is_ascii_digit()) {
                        name
                    } else {
                        h
                    }
                })
            })
            .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()));
        let Some(host) = host else {
            return (StatusCode::BAD_REQUEST, "缺少 Host 请求头").into_response();
        };
        let port = if https_port == 443 {
            String::new()
        } else {
            format!(":{https_port}")
        };
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        (
            StatusCode::PERMANENT_REDIRECT,
            [
                (header::LOCATION, format!("https://{host}{port}{path}")),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
        )
            .into_response()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn pair(name: &str) -> (String, String) {
        let c = rcgen::generate_simple_self_signed(vec![name.to_string()]).unwrap();
        (c.cert.pem(), c.signing_key.serialize_pem())
    }

    #[test]
    fn certificates_and_keys_are_checked_with_chinese_messages() {
        let dir = std::env::temp_dir().join(format!(
            "anpei-tls-unit-{}",
            &anpei_store::crypto::random_token()[..12]
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let (cert, key) = pair("localhost");
        let (_, other_key) = pair("elsewhere");
        let c = write(&dir, "cert.pem", &cert);
        let k = write(&dir, "key.pem", &key);
        let config = load_server_config(&c, &k).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);

        let msg = |r: Result<Arc<rustls::ServerConfig>, TlsError>| r.unwrap_err().to_string();
        let missing = dir.join("missing.pem");
        let m = msg(load_server_config(&missing, &k));
        assert!(
            m.starts_with("无法读取证书文件") && m.contains("missing.pem"),
            "{m}"
        );
        let m = msg(load_server_config(&c, &missing));
        assert!(m.starts_with("无法读取私钥文件"), "{m}");
        let wrong = write(&dir, "other-key.pem", &other_key);
        let m = msg(load_server_config(&c, &wrong));
        assert!(m.starts_with("私钥与证书不匹配"), "{m}");
        let m = msg(load_server_config(&k, &k));
        assert!(m.contains("没有 PEM 格式的证书"), "{m}");
        let m = msg(load_server_config(&c, &c));
        assert!(m.contains("没有可用的 PEM 私钥"), "{m}");
        let garbled = write(
            &dir,
            "garbled.pem",
            "-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n-----END PRIVATE KEY-----\n",
        );
        let m = msg(load_server_config(&c, &garbled));
        assert!(m.contains("格式错误"), "{m}");
        let truncated = write(&dir, "truncated.pem", &cert[..cert.len() / 2]);
        let m = msg(load_server_config(&truncated, &k));
        assert!(m.contains("证书文件") && m.contains("格式错误"), "{m}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
