//! The client address behind reverse proxies (`[security] trusted_proxies`).
//!
//! A request's client is the peer of its connection, unless that peer is a trusted proxy:
//! then `X-Forwarded-For` is read from the right (the hop the proxy itself appended) and the
//! first address that is not a trusted proxy is the client. Whatever a client writes into
//! the header itself stands to the left of what the proxies append, so a forged address is
//! never reached while an untrusted hop stands to its right; from a peer that is not a
//! trusted proxy the header is ignored altogether.
//!
//! The outermost middleware ([`crate::auth::security_headers`]) resolves the address once
//! per request and leaves it as a [`ClientIp`] extension; the audit log
//! ([`crate::auth::client_addr`]) and the rate limiter
//! ([`crate::ratelimit::RateLimiter::client_key`]) both read it.

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};
use std::net::{IpAddr, SocketAddr};

/// The resolved client address of a request (request extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// One trusted network: an address and a prefix length (`/32` or `/128` for one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// `10.0.0.0/8`, `192.168.1.5`, `fd00::/8`, `::1`. Host bits below the prefix are
    /// ignored (`10.1.2.3/8` is `10.0.0.0/8`).
    pub fn parse(s: &str) -> Option<IpNet> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.trim(), Some(p.trim())),
            None => (s, None),
        };
        let addr = canonical(addr.parse::<IpAddr>().ok()?);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok().filter(|p| *p <= max)?
            }
            Some(_) => return None,
            None => max,
        };
        Some(IpNet { addr, prefix })
    }

    /// Whether `ip` lies in this network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed; empty (the default): none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses `[security] trusted_proxies` (each an address or a CIDR network; blank
    /// entries are skipped). The error names the entry, in Chinese.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for e in entries.iter().map(AsRef::as_ref) {
            if e.trim().is_empty() {
                continue;
            }
            let net = IpNet::parse(e).ok_or_else(|| {
                format!(
                    "配置项 security.trusted_proxies：无法识别“{}”，应为 IP 地址或 CIDR 网段（如 10.0.0.1、10.0.0.0/8、fd00::/8）",
                    e.trim()
                )
            })?;
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn nets(&self) -> &[IpNet] {
        &self.0
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client behind a connection from `peer`: `peer` itself unless it is trusted, else
    /// the right-most address of `X-Forwarded-For` that is not trusted (an unparsable hop
    /// stops the walk at the last trusted address seen; all hops trusted: the left-most).
    pub fn resolve(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut ip = canonical(peer);
        if !self.contains(ip) {
            return ip;
        }
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(a) => {
                    ip = a;
                    if !self.contains(a) {
                        break;
                    }
                }
                None => break,
            }
        }
        ip
    }
}

/// One `X-Forwarded-For` entry: an address, possibly `[v6]`, `[v6]:port` or `v4:port`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(a) = hop.parse::<IpAddr>() {
        return Some(canonical(a));
    }
    if let Ok(s) = hop.parse::<SocketAddr>() {
        return Some(canonical(s.ip()));
    }
    let inner = hop.strip_prefix('[')?.strip_suffix(']')?;
    inner.parse::<IpAddr>().ok().map(canonical)
}

/// The client address of a request: the [`ClientIp`] the middleware resolved, else the
/// connection's peer resolved against `trusted`; `None` without a connection (a router
/// driven in tests).
pub fn client_ip(
    extensions: &Extensions,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    if let Some(ClientIp(ip)) = extensions.get::<ClientIp>() {
        return Some(*ip);
    }
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    Some(trusted.resolve(peer, headers))
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) as the IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", v.parse().unwrap());
        h
    }

    #[test]
    fn networks_parse_and_contain() {
        let n = IpNet::parse("10.0.0.0/8").unwrap();
        assert!(n.contains(ip("10.255.1.2")));
        assert!(!n.contains(ip("11.0.0.1")));
        assert!(n.contains(ip("::ffff:10.1.1.1")), "IPv4-mapped");
        assert!(!n.contains(ip("fd00::1")));
        let one = IpNet::parse(" 192.168.1.5 ").unwrap();
        assert_eq!(one.to_string(), "192.168.1.5/32");
        assert!(one.contains(ip("192.168.1.5")) && !one.contains(ip("192.168.1.6")));
        let v6 = IpNet::parse("fd00::/8").unwrap();
        assert!(v6.contains(ip("fdab::1")) && !v6.contains(ip("fe80::1")));
        assert!(IpNet::parse("0.0.0.0/0")
            .unwrap()
            .contains(ip("203.0.113.1")));
        assert!(IpNet::parse("::/0").unwrap().contains(ip("2001:db8::1")));
        assert!(IpNet::parse("::1").unwrap().contains(ip("::1")));
        assert!(IpNet::parse("10.1.2.3/8").unwrap().contains(ip("10.9.9.9")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "proxy",
            "10.0.0.1/",
            "1.2.3.4/-1",
        ] {
            assert_eq!(IpNet::parse(bad), None, "{bad}");
        }
        let err = TrustedProxies::parse(&["10.0.0.1", "nginx"]).unwrap_err();
        assert!(
            err.contains("nginx") && err.contains("trusted_proxies"),
            "{err}"
        );
        assert!(TrustedProxies::parse(&["", " "]).unwrap().is_empty());
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let t = TrustedProxies::parse(&["10.0.0.0/24", "192.0.2.1"]).unwrap();
        let peer = ip("10.0.0.1");
        // Untrusted peer: the header is ignored.
        assert_eq!(
            t.resolve(ip("198.51.100.9"), &xff("203.0.113.5")),
            ip("198.51.100.9")
        );
        // Trusted peer: the address the proxy appended.
        assert_eq!(t.resolve(peer, &xff("203.0.113.5")), ip("203.0.113.5"));
        // A forged entry to the left of the real client is not reached.
        assert_eq!(
            t.resolve(peer, &xff("1.1.1.1, 203.0.113.5")),
            ip("203.0.113.5")
        );
        // A chain of trusted proxies is walked through.
        assert_eq!(
            t.resolve(peer, &xff("1.1.1.1, 203.0.113.5, 192.0.2.1, 10.0.0.7")),
            ip("203.0.113.5")
        );
        // Garbage stops the walk at the last trusted hop.
        assert_eq!(
            t.resolve(peer, &xff("1.1.1.1, unknown, 10.0.0.7")),
            ip("10.0.0.7")
        );
        // No header: the proxy itself.
        assert_eq!(t.resolve(peer, &HeaderMap::new()), peer);
        // Ports and brackets, several header lines (in order).
        assert_eq!(
            t.resolve(peer, &xff("[2001:db8::7]:443")),
            ip("2001:db8::7")
        );
        assert_eq!(t.resolve(peer, &xff("203.0.113.5:5000")), ip("203.0.113.5"));
        let mut two = xff("1.1.1.1");
        two.append("x-forwarded-for", "203.0.113.8".parse().unwrap());
        assert_eq!(t.resolve(peer, &two), ip("203.0.113.8"));
        // IPv4-mapped peers count as IPv4.
        assert_eq!(
            t.resolve(ip("::ffff:10.0.0.1"), &xff("203.0.113.5")),
            ip("203.0.113.5")
        );
        // Nothing trusted: never the header.
        assert_eq!(
            TrustedProxies::default().resolve(peer, &xff("203.0.113.5")),
            peer
        );
    }
}
