//! One HTTP client per API instance (reqwest: one connection pool, rustls), and the one
//! place where a request is sent, retried, timed out and its failure put into words.
//!
//! Invariants:
//! - the token goes only into the `Authorization` header (marked sensitive) and never into
//!   a message: every message built here is scrubbed of it, whatever produced the text;
//! - a call, retries and waits included, ends within `timeout` (`timeoutMs`): the
//!   deadline is set once, each attempt gets what is left of it, and a wait that would
//!   pass it ends the retries (see `retry.rs` for what is retried);
//! - a failure keeps the HTTP status, the service's own error text, the method and the
//!   path, so whoever reads the log can tell which call failed and why.

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use serde_json::Value as Json;

use super::failure::{api_text, preview, scrub, transport_text};
use super::retry::{jitter, retry_after, retryable_status, Retry, RetryPolicy};
use crate::error::{Error, ErrorCode, Result};

/// A reply body larger than this is refused: the APIs served here answer in kilobytes.
const MAX_REPLY_BYTES: usize = 8 << 20;

/// Timeout and retries of a client (`timeoutMs`, `maxRetries`, `retryBaseMs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOptions {
    /// The whole call: connecting, sending, every retry and wait, reading the reply.
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }

    fn reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

/// One call: `path` is already encoded (see `names::encode`) and starts with `/`.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub body: Option<Json>,
    pub retry: Retry,
}

impl Request {
    pub fn get(path: String) -> Self {
        Request {
            method: Method::Get,
            path,
            body: None,
            retry: Retry::Idempotent,
        }
    }

    pub fn delete(path: String) -> Self {
        Request {
            method: Method::Delete,
            path,
            body: None,
            retry: Retry::Idempotent,
        }
    }

    /// A POST, never retried on a 429 or 5xx answer unless [`Request::idempotent`] says so.
    pub fn post(path: String, body: Option<Json>) -> Self {
        Request {
            method: Method::Post,
            path,
            body,
            retry: Retry::Never,
        }
    }

    /// This POST may be repeated: its caller handles an "already exists" answer.
    pub fn idempotent(mut self) -> Self {
        self.retry = Retry::IdempotentByDesign;
        self
    }
}

/// What the server answered, after any retries.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    /// Requests sent for this call (1 when the first answer was kept).
    pub attempts: u32,
    /// The server asked to wait this long before a retry, past the call's deadline.
    pub wait_refused: Option<Duration>,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The client of one API (the Turso Platform API, a libSQL server's admin API).
pub struct ApiClient {
    /// What the messages call the service: "Turso Platform API", "libSQL admin API".
    service: &'static str,
    base_url: String,
    client: reqwest::Client,
    /// `Bearer <token>`, marked sensitive so no header dump shows it.
    auth: Option<HeaderValue>,
    /// Kept only to scrub messages: a server may echo it back in an error text.
    token: Option<String>,
    options: ClientOptions,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("service", &self.service)
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("options", &self.options)
            .finish()
    }
}

impl ApiClient {
    /// `base_url` is an http(s) URL; trailing slashes are trimmed (paths start with `/`).
    pub fn new(
        service: &'static str,
        base_url: &str,
        token: Option<&str>,
        options: ClientOptions,
    ) -> Result<Self> {
        let base_url = base_url.trim().trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base_url).map_err(|err| {
            Error::config(format!(
                "{service}: the base URL {base_url:?} is not a URL ({err})."
            ))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(Error::config(format!(
                "{service}: the base URL {base_url:?} must be an http:// or https:// URL with a host."
            )));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(Error::config(format!(
                "{service}: the base URL {base_url:?} must not have a query or fragment."
            )));
        }
        let token = token.filter(|t| !t.is_empty());
        let auth = match token {
            Some(token) => {
                let mut value =
                    HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                        Error::config(format!(
                            "{service}: the token holds characters an HTTP header cannot carry \
                         (line breaks or other control characters)."
                        ))
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        // Direct connections, as libsql's own: a proxy from the environment (HTTP_PROXY)
        // would also catch requests meant for 127.0.0.1 (a local admin API, a test server).
        let client = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(options.timeout)
            .user_agent(concat!("objectql-driver-turso/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| {
                Error::new(
                    ErrorCode::ConnectionFailed,
                    format!("{service}: the HTTP client could not be set up: {err}"),
                )
            })?;
        Ok(ApiClient {
            service,
            base_url,
            client,
            auth,
            token: token.map(str::to_owned),
            options,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    pub fn options(&self) -> ClientOptions {
        self.options
    }

    /// Sends `req` and returns a 2xx reply; any other answer becomes the error
    /// [`ApiClient::failure`] describes.
    pub async fn call(&self, req: &Request) -> Result<Reply> {
        let reply = self.send(req).await?;
        if reply.ok() {
            Ok(reply)
        } else {
            Err(self.failure(req, &reply))
        }
    }

    /// Sends `req`, retrying as its [`Retry`] and the policy allow, within the deadline.
    /// Only a transport failure (no answer) is an error here; any answer is returned.
    pub async fn send(&self, req: &Request) -> Result<Reply> {
        let deadline = Instant::now() + self.options.timeout;
        let policy = self.options.retry;
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let outcome = tokio::time::timeout(remaining, self.attempt(req)).await;
            let retries_left = attempts <= policy.max_retries;
            let mut reply = match outcome {
                Err(_elapsed) => return Err(self.timed_out(req)),
                // Nothing reached the server: sending again cannot repeat an effect.
                Ok(Err(Failure::Connect(err))) if retries_left => {
                    let wait = policy.backoff(attempts - 1, jitter());
                    if Instant::now() + wait >= deadline {
                        return Err(self.transport(req, &err));
                    }
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Ok(Err(Failure::Connect(err) | Failure::Other(err))) => {
                    return Err(self.transport(req, &err))
                }
                Ok(Err(Failure::TooLarge)) => {
                    return Err(self.scrubbed(
                        ErrorCode::Driver,
                        format!(
                            "{} answered {} {} with more than {} MiB: not a reply of this API.",
                            self.service,
                            req.method.as_str(),
                            req.path,
                            MAX_REPLY_BYTES >> 20
                        ),
                    ))
                }
                Ok(Ok(reply)) => reply,
            };
            reply.attempts = attempts;
            if retryable_status(reply.status) && req.retry.on_status() && retries_left {
                let asked = reply.wait_refused.take();
                let wait = asked.unwrap_or_else(|| policy.backoff(attempts - 1, jitter()));
                if Instant::now() + wait < deadline {
                    tokio::time::sleep(wait).await;
                    continue;
                }
                // Only the server's own ask is worth reporting; a backoff of ours that does
                // not fit is just the end of the retries.
                reply.wait_refused = asked;
            } else {
                reply.wait_refused = None;
            }
            return Ok(reply);
        }
    }

    /// One request and its whole reply. `wait_refused` carries the reply's `Retry-After`.
    async fn attempt(&self, req: &Request) -> std::result::Result<Reply, Failure> {
        let url = format!("{}{}", self.base_url, req.path);
        let mut builder = self.client.request(req.method.reqwest(), url);
        if let Some(auth) = &self.auth {
            builder = builder.header(AUTHORIZATION, auth.clone());
        }
        if let Some(body) = &req.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let mut response = builder.send().await.map_err(Failure::from)?;
        let status = response.status().as_u16();
        let wait = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| retry_after(value, SystemTime::now()));
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(Failure::Other)? {
            if body.len() + chunk.len() > MAX_REPLY_BYTES {
                return Err(Failure::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status,
            body,
            attempts: 1,
            wait_refused: wait,
        })
    }

    /// A non-2xx reply as an error: the code by status (401/403 `DRIVER_ERROR` saying the
    /// token was refused, 404 `NOT_FOUND`, 409 or an "already exists" 400 `ALREADY_EXISTS`,
    /// anything else `DRIVER_ERROR`), the message with the status, the service's own
    /// text, the method and the path.
    pub fn failure(&self, req: &Request, reply: &Reply) -> Error {
        let text = api_text(reply);
        let exists = reply.status == 409
            || (reply.status == 400 && text.to_ascii_lowercase().contains("already exists"));
        let (code, hint) = match reply.status {
            401 => (
                ErrorCode::Driver,
                " The token was refused: check that it is set, current and not revoked.".to_owned(),
            ),
            403 => (
                ErrorCode::Driver,
                " The token was refused for this call: check that it belongs to this \
                 organization and may do this."
                    .to_owned(),
            ),
            404 => (ErrorCode::NotFound, String::new()),
            _ if exists => (ErrorCode::AlreadyExists, String::new()),
            status if retryable_status(status) => {
                let hint = match (reply.wait_refused, req.retry.on_status()) {
                    (Some(wait), _) => format!(
                        " The server asked to wait {} s before retrying, past the call's \
                         timeout (timeoutMs); tried {} time(s).",
                        wait.as_secs_f64().ceil(),
                        reply.attempts
                    ),
                    (None, true) => format!(" Tried {} time(s).", reply.attempts),
                    (None, false) => " Not retried: this POST may have taken effect.".to_owned(),
                };
                (ErrorCode::Driver, hint)
            }
            _ => (ErrorCode::Driver, String::new()),
        };
        self.scrubbed(
            code,
            format!(
                "{} error ({}): {text} ({} {}).{hint}",
                self.service,
                reply.status,
                req.method.as_str(),
                req.path
            ),
        )
    }

    /// A 2xx reply's body as JSON, or a `DRIVER_ERROR` saying it was not JSON.
    pub fn json(&self, req: &Request, reply: &Reply) -> Result<Json> {
        serde_json::from_slice(&reply.body).map_err(|_| {
            self.scrubbed(
                ErrorCode::Driver,
                format!(
                    "{} answered {} {} with a reply that is not JSON ({}): is the base URL \
                     {} this API?",
                    self.service,
                    req.method.as_str(),
                    req.path,
                    preview(&reply.body),
                    self.base_url
                ),
            )
        })
    }

    /// A 2xx JSON reply without what it must hold (`expected`, e.g. `database.Hostname`).
    pub fn shape_error(&self, req: &Request, expected: &str) -> Error {
        self.scrubbed(
            ErrorCode::Driver,
            format!(
                "{} answered {} {} with JSON of an unexpected shape: expected {expected}.",
                self.service,
                req.method.as_str(),
                req.path
            ),
        )
    }

    fn timed_out(&self, req: &Request) -> Error {
        self.scrubbed(
            ErrorCode::ConnectionFailed,
            format!(
                "{} did not answer {} {} within {} ms (timeoutMs).",
                self.service,
                req.method.as_str(),
                req.path,
                self.options.timeout.as_millis()
            ),
        )
    }

    fn transport(&self, req: &Request, err: &reqwest::Error) -> Error {
        self.scrubbed(
            ErrorCode::ConnectionFailed,
            format!(
                "{} request failed ({} {}): could not reach {}: {}",
                self.service,
                req.method.as_str(),
                req.path,
                self.base_url,
                transport_text(err)
            ),
        )
    }

    /// An error whose message cannot hold the token, whoever wrote the text.
    fn scrubbed(&self, code: ErrorCode, message: String) -> Error {
        Error::new(code, scrub(message, self.token.as_deref()))
    }
}

/// Why an attempt got no reply.
enum Failure {
    /// The connection was never made: nothing reached the server.
    Connect(reqwest::Error),
    Other(reqwest::Error),
    TooLarge,
}

impl From<reqwest::Error> for Failure {
    fn from(err: reqwest::Error) -> Self {
        if err.is_connect() {
            Failure::Connect(err)
        } else {
            Failure::Other(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(token: Option<&str>) -> ApiClient {
        ApiClient::new(
            "Test API",
            "http://127.0.0.1:9/",
            token,
            ClientOptions::default(),
        )
        .unwrap()
    }

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            body: body.as_bytes().to_vec(),
            attempts: 1,
            wait_refused: None,
        }
    }

    #[test]
    fn base_urls_are_checked_and_trimmed() {
        assert_eq!(client(None).base_url(), "http://127.0.0.1:9");
        for bad in ["", "api.turso.tech", "ftp://x", "http://", "http://x/?q=1"] {
            let err = ApiClient::new("Test API", bad, None, ClientOptions::default()).unwrap_err();
            assert_eq!(err.code, ErrorCode::Config, "{bad:?}");
        }
        let err = ApiClient::new(
            "Test API",
            "http://x",
            Some("a\nb"),
            ClientOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::Config);
        assert!(!err.message.contains("a\nb"));
    }

    #[test]
    fn failures_keep_status_text_method_and_path_and_never_the_token() {
        let api = client(Some("s3cret-token"));
        let req = Request::get("/v1/things/x".into());
        let cases = [
            (
                401,
                r#"{"error":"bad token s3cret-token"}"#,
                ErrorCode::Driver,
                "was refused",
            ),
            (
                403,
                r#"{"message":"forbidden"}"#,
                ErrorCode::Driver,
                "forbidden",
            ),
            (
                404,
                r#"{"error":"not found"}"#,
                ErrorCode::NotFound,
                "not found",
            ),
            (
                409,
                r#"{"error":"exists"}"#,
                ErrorCode::AlreadyExists,
                "exists",
            ),
            (
                400,
                r#"{"error":"Namespace `a` already exists"}"#,
                ErrorCode::AlreadyExists,
                "already",
            ),
            (400, r#"{"error":"bad"}"#, ErrorCode::Driver, "bad"),
            (
                503,
                "<html>down</html>",
                ErrorCode::Driver,
                "<html>down</html>",
            ),
            (500, "", ErrorCode::Driver, "Internal Server Error"),
        ];
        for (status, body, code, words) in cases {
            let err = api.failure(&req, &reply(status, body));
            assert_eq!(err.code, code, "{status}");
            assert!(
                err.message.contains(&format!("({status})")),
                "{}",
                err.message
            );
            assert!(err.message.contains("GET /v1/things/x"), "{}", err.message);
            assert!(err.message.contains(words), "{}", err.message);
            assert!(!err.message.contains("s3cret-token"), "{}", err.message);
        }
        let post = Request::post("/v1/x".into(), None);
        let err = api.failure(&post, &reply(503, ""));
        assert!(err.message.contains("Not retried"), "{}", err.message);
        let mut slow = reply(429, "");
        slow.wait_refused = Some(Duration::from_secs(120));
        slow.attempts = 2;
        let err = api.failure(&req, &slow);
        assert!(err.message.contains("wait 120 s"), "{}", err.message);
        assert!(format!("{api:?}").contains("[redacted]"));
        assert!(!format!("{api:?}").contains("s3cret"));
    }

    #[test]
    fn replies_that_are_not_json_say_so() {
        let api = client(None);
        let req = Request::get("/v1/x".into());
        let err = api
            .json(&req, &reply(200, "<html>hello</html>"))
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Driver);
        assert!(err.message.contains("not JSON"), "{}", err.message);
        assert!(err.message.contains("<html>hello"), "{}", err.message);
        let err = api.json(&req, &reply(200, "")).unwrap_err();
        assert!(err.message.contains("empty body"), "{}", err.message);
        assert_eq!(api.json(&req, &reply(200, "{\"a\":1}")).unwrap()["a"], 1);
    }
}
