//! The bounds on calls to a libSQL server: at most `concurrency` in flight per driver, and
//! each one answered within `timeout` (connecting included) or failed with
//! `DRIVER_CONNECTION_FAILED`, so that a dead or silent server never hangs a caller.

use std::future::Future;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::config::DriverConfig;
use crate::error::{Error, ErrorCode, Result};
use crate::store::StoreKind;

pub struct Limits {
    permits: Semaphore,
    timeout: Duration,
    url: String,
    /// An embedded replica: most calls (reads) finish on their first poll, on the local
    /// file, and are worth trying inline before a trip to the runtime.
    inline_first: bool,
}

impl Limits {
    pub fn new(config: &DriverConfig) -> Limits {
        Limits {
            permits: Semaphore::new(config.concurrency.max(1) as usize),
            timeout: Duration::from_millis(config.request_timeout_ms()),
            // A replica's calls that wait wait on its primary.
            url: config
                .sync_url
                .clone()
                .unwrap_or_else(|| config.url.clone()),
            inline_first: config.store_kind() == StoreKind::Replica,
        }
    }

    pub fn inline_first(&self) -> bool {
        self.inline_first
    }

    /// Runs `call` once a slot is free, within the timeout (the wait for a slot counts).
    /// A call cut off by the timeout is dropped: if it was a write, the server may or
    /// may not have applied it, and the message says so.
    pub async fn run<T>(&self, call: impl Future<Output = Result<T>>) -> Result<T> {
        let bounded = async {
            // The semaphore is never closed, so acquiring only waits.
            let _permit = self.permits.acquire().await;
            call.await
        };
        match tokio::time::timeout(self.timeout, bounded).await {
            Ok(result) => result,
            Err(_) => Err(Error::new(
                ErrorCode::ConnectionFailed,
                format!(
                    "The libSQL server at {} did not answer within {} ms (the driver's \"timeout\"); \
                     a write that was under way may or may not have been applied",
                    self.url,
                    self.timeout.as_millis()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn limits(timeout_ms: i64, concurrency: i64) -> Limits {
        let config = DriverConfig::from_value(&Value::Object(vec![
            ("url".into(), "http://127.0.0.1:1".into()),
            ("timeout".into(), Value::Integer(timeout_ms)),
            ("concurrency".into(), Value::Integer(concurrency)),
        ]))
        .unwrap();
        Limits::new(&config)
    }

    #[tokio::test]
    async fn a_call_that_never_answers_fails_within_the_timeout() {
        let err = limits(50, 2)
            .run(std::future::pending::<Result<()>>())
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::ConnectionFailed);
        assert!(err.message.contains("within 50 ms"), "{}", err.message);
    }

    #[tokio::test]
    async fn calls_beyond_the_concurrency_wait_for_a_slot() {
        let limits = std::sync::Arc::new(limits(2_000, 1));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let first = {
            let limits = limits.clone();
            tokio::spawn(async move {
                limits
                    .run(async {
                        rx.await.ok();
                        Ok(1)
                    })
                    .await
            })
        };
        tokio::task::yield_now().await;
        let second = {
            let limits = limits.clone();
            tokio::spawn(async move { limits.run(async { Ok(2) }).await })
        };
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(
            !second.is_finished(),
            "the second call ran while the first held the only slot"
        );
        tx.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), 1);
        assert_eq!(second.await.unwrap().unwrap(), 2);
    }
}
