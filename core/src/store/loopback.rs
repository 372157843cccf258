//! The HTTP connector of every connection to a libSQL server (a remote database, and an
//! embedded replica's primary): libsql's own (rustls, native roots, HTTP/1 over TLS), but
//! `localhost` and every `<name>.localhost` reach the loopback interface without a DNS
//! lookup.
//!
//! Why: sqld with `--enable-namespaces` takes a request's namespace from the first label
//! of its Host name, so one server serves a database per tenant at
//! `http://{tenant}.localhost:PORT`. RFC 6761 reserves `.localhost` names for loopback,
//! but resolvers differ (glibc's `getaddrinfo` does not resolve `t1.localhost`; macOS
//! does), so the driver answers for them itself. Only the address is decided here: the
//! URL's host still names the request (Host header, TLS server name), which is what
//! selects the namespace.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::client::connect::dns::{GaiResolver, Name};
use hyper::client::HttpConnector;
use hyper::service::Service;
use hyper_rustls::HttpsConnector;
use once_cell::sync::OnceCell;

use crate::error::{Error, ErrorCode, Result};

pub type Connector = HttpsConnector<HttpConnector<LoopbackResolver>>;

/// Built once: loading the system's root certificates costs a file read per open, which a
/// router opening thousands of remote tenants would otherwise pay each time.
static CONNECTOR: OnceCell<Connector> = OnceCell::new();

/// The connector to hand `libsql::Builder::connector` (a cheap clone of a shared one).
pub fn connector() -> Result<Connector> {
    CONNECTOR.get_or_try_init(build).cloned()
}

fn build() -> Result<Connector> {
    let mut http = HttpConnector::new_with_resolver(LoopbackResolver::default());
    // https URLs go through this connector too (the TLS layer wraps it).
    http.enforce_http(false);
    http.set_nodelay(true);
    let tls = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|err| {
            Error::new(
                ErrorCode::ConnectionFailed,
                format!("No TLS root certificates could be loaded from the system: {err}"),
            )
        })?;
    Ok(tls.https_or_http().enable_http1().wrap_connector(http))
}

/// Whether `host` is `localhost` or a name under it (RFC 6761 §6.3), in any case, with or
/// without the root's trailing dot.
pub fn is_loopback_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    // `get`, not indexing: the cut may fall inside a character of a caller's name.
    let parts = host
        .len()
        .checked_sub("localhost".len())
        .and_then(|at| Some((host.get(..at)?, host.get(at..)?)));
    match parts {
        Some((head, tail)) => {
            tail.eq_ignore_ascii_case("localhost") && (head.is_empty() || head.ends_with('.'))
        }
        None => false,
    }
}

/// Resolves loopback names to 127.0.0.1 then ::1 (tried in that order; a refused first
/// address falls through to the second at once), and every other name with the system's
/// resolver, as hyper does by default.
#[derive(Clone)]
pub struct LoopbackResolver {
    system: GaiResolver,
}

impl Default for LoopbackResolver {
    fn default() -> LoopbackResolver {
        LoopbackResolver {
            system: GaiResolver::new(),
        }
    }
}

type Addrs = std::vec::IntoIter<SocketAddr>;

impl Service<Name> for LoopbackResolver {
    type Response = Addrs;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Addrs>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.system.poll_ready(cx)
    }

    fn call(&mut self, name: Name) -> Self::Future {
        if is_loopback_name(name.as_str()) {
            // The port is hyper's to set, from the URL.
            let addrs = vec![
                SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
            ];
            return Box::pin(std::future::ready(Ok(addrs.into_iter())));
        }
        let lookup = self.system.call(name);
        Box::pin(async move { Ok(lookup.await?.collect::<Vec<_>>().into_iter()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn localhost_and_the_names_under_it_are_loopback() {
        for host in [
            "localhost",
            "LocalHost",
            "localhost.",
            "t1.localhost",
            "T1.LOCALHOST",
            "a.b.localhost.",
        ] {
            assert!(is_loopback_name(host), "{host}");
        }
        for host in [
            "",
            ".",
            "localhos",
            "notlocalhost",
            "t1-localhost",
            "localhost.example.com",
            "t1.localhost.example.com",
            "127.0.0.1",
            "ünïcödélocalhost",
        ] {
            assert!(!is_loopback_name(host), "{host}");
        }
    }

    #[tokio::test]
    async fn a_name_under_localhost_resolves_to_loopback_without_dns() {
        let mut resolver = LoopbackResolver::default();
        let addrs: Vec<_> = resolver
            .call("tenant-42.localhost".parse().unwrap())
            .await
            .unwrap()
            .map(|addr| addr.ip())
            .collect();
        assert_eq!(
            addrs,
            [
                std::net::IpAddr::from(Ipv4Addr::LOCALHOST),
                Ipv6Addr::LOCALHOST.into()
            ]
        );
    }

    /// A real request through the connector to a server on 127.0.0.1: it arrives, and its
    /// Host header is still the name (what sqld reads the namespace from).
    #[tokio::test]
    async fn a_request_to_a_localhost_name_arrives_with_its_host_header() {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                assert!(n > 0, "the client closed before sending its headers");
                request.extend_from_slice(&buf[..n]);
            }
            socket
                .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                .await
                .unwrap();
            String::from_utf8(request).unwrap()
        });
        let client = hyper::Client::builder().build::<_, hyper::Body>(connector().unwrap());
        let url: hyper::Uri = format!("http://t1.localhost:{port}/v2").parse().unwrap();
        let response = client.get(url).await.unwrap();
        assert_eq!(response.status(), 204);
        let request = server.await.unwrap().to_ascii_lowercase();
        assert!(
            request.contains(&format!("\r\nhost: t1.localhost:{port}\r\n")),
            "{request}"
        );
    }
}
