//! The client against a scripted HTTP server on 127.0.0.1 (a tokio TCP listener that
//! answers each request with the next scripted reply): retries, what is not retried,
//! deadlines, refused connections.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::http::{ApiClient, ClientOptions, Request};
use super::retry::RetryPolicy;
use crate::error::ErrorCode;

/// What the server does with one request.
#[derive(Clone)]
enum Script {
    Reply(u16, &'static str, &'static str),
    /// Reads the request and never answers.
    Hang,
}

struct Server {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

async fn serve(script: Vec<Script>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let mut script = script.into_iter();
        while let Ok((mut socket, _)) = listener.accept().await {
            let step = script.next().unwrap_or(Script::Reply(200, "", "{}"));
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                log.lock()
                    .unwrap()
                    .push(head.lines().next().unwrap_or("").to_owned());
                match step {
                    Script::Reply(status, headers, body) => {
                        let reply = format!(
                            "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n{body}",
                            body.len()
                        );
                        let _ = socket.write_all(reply.as_bytes()).await;
                    }
                    Script::Hang => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    Server { url, seen }
}

fn client(url: &str, timeout_ms: u64) -> ApiClient {
    ApiClient::new(
        "Test API",
        url,
        Some("tok-123"),
        ClientOptions {
            timeout: Duration::from_millis(timeout_ms),
            retry: RetryPolicy {
                max_retries: 3,
                base: Duration::from_millis(5),
                cap: Duration::from_millis(50),
            },
        },
    )
    .unwrap()
}

#[tokio::test]
async fn a_get_is_retried_through_two_503s() {
    let server = serve(vec![
        Script::Reply(503, "", "{\"error\":\"busy\"}"),
        Script::Reply(503, "", ""),
        Script::Reply(200, "", "{\"ok\":true}"),
    ])
    .await;
    let api = client(&server.url, 5_000);
    let reply = api.call(&Request::get("/v1/x".into())).await.unwrap();
    assert_eq!(reply.attempts, 3);
    assert_eq!(server.seen.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_post_answered_503_is_not_retried_unless_idempotent_by_design() {
    let server = serve(vec![Script::Reply(503, "", "")]).await;
    let api = client(&server.url, 5_000);
    let err = api
        .call(&Request::post("/v1/x".into(), None))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Driver);
    assert!(err.message.contains("(503)"), "{}", err.message);
    assert_eq!(server.seen.lock().unwrap().len(), 1);

    let server = serve(vec![
        Script::Reply(503, "", ""),
        Script::Reply(200, "", "{}"),
    ])
    .await;
    let api = client(&server.url, 5_000);
    let req = Request::post("/v1/x".into(), None).idempotent();
    assert_eq!(api.call(&req).await.unwrap().attempts, 2);
}

#[tokio::test]
async fn retry_after_is_honoured_and_a_wait_past_the_deadline_ends_the_retries() {
    let server = serve(vec![
        Script::Reply(429, "retry-after: 1\r\n", ""),
        Script::Reply(200, "", "{}"),
    ])
    .await;
    let api = client(&server.url, 5_000);
    let started = Instant::now();
    api.call(&Request::get("/v1/x".into())).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(950));

    let server = serve(vec![Script::Reply(429, "retry-after: 60\r\n", "")]).await;
    let api = client(&server.url, 1_000);
    let started = Instant::now();
    let err = api.call(&Request::get("/v1/x".into())).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(err.message.contains("wait 60 s"), "{}", err.message);
}

#[tokio::test]
async fn a_server_that_never_answers_fails_within_the_timeout() {
    let server = serve(vec![Script::Hang]).await;
    let api = client(&server.url, 200);
    let started = Instant::now();
    let err = api.call(&Request::get("/v1/x".into())).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(1_000));
    assert_eq!(err.code, ErrorCode::ConnectionFailed);
    assert!(err.message.contains("within 200 ms"), "{}", err.message);
}

#[tokio::test]
async fn a_refused_connection_is_a_connection_failure() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let api = client(&url, 2_000);
    let err = api.call(&Request::get("/v1/x".into())).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ConnectionFailed);
    assert!(err.message.contains("ECONNREFUSED"), "{}", err.message);
    assert!(!err.message.contains("tok-123"));
}
