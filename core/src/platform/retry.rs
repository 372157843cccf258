//! When to try a request again, and how long to wait first.
//!
//! Only what cannot do harm twice is retried: a request the server never received (the
//! connection was refused), and an idempotent request (GET, DELETE, or a create whose
//! repeat the caller handles, see [`Retry`]) answered 429 or a transient 5xx. A plain
//! POST answered 5xx is not retried: it may have taken effect before the server failed.
//! Waits grow exponentially with jitter (so replicas that failed together do not retry
//! together), a server's `Retry-After` is honoured, and the whole call stays within the
//! client's deadline (`timeoutMs`): a wait that would pass it ends the retries instead.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// Whether a request may be sent again after a 429 or 5xx answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// GET and DELETE: repeating them changes nothing the first did not.
    Idempotent,
    /// A POST whose repeat is harmless by design: a create whose "already exists" answer
    /// the caller turns into success (`ensureDatabase`, `ensureNamespace`).
    IdempotentByDesign,
    /// Any other POST: it may have taken effect before the server failed.
    Never,
}

impl Retry {
    pub fn on_status(self) -> bool {
        self != Retry::Never
    }
}

/// How many retries, and the waits between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (`maxRetries`).
    pub max_retries: u32,
    /// The first wait before jitter (`retryBaseMs`); each retry doubles it.
    pub base: Duration,
    /// No single computed wait is longer (a server's `Retry-After` may be).
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0 for the first), with `jitter` in [0, 1]:
    /// between half and all of `base * 2^retry`, never above `cap`.
    pub fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        let full = self
            .base
            .checked_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
            .unwrap_or(self.cap)
            .min(self.cap);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        full / 2 + full.mul_f64(jitter / 2.0)
    }
}

/// Whether an answer with this status is worth another try (for a request that may be
/// repeated): 429 and the 5xx that say "not now" rather than "never" (501 and 505 say
/// the server will not serve this request at all).
pub fn retryable_status(status: u16) -> bool {
    status == 429 || ((500..=599).contains(&status) && status != 501 && status != 505)
}

/// A `Retry-After` header's wait: delay-seconds (`120`; a fraction is tolerated) or an
/// HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`, a date already past meaning now).
/// `None` for anything else: the caller then backs off on its own schedule.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A number in [0, 1) that differs between calls and processes: jitter needs spread, not
/// unpredictability, so std's randomly seeded hasher over a counter is enough.
pub fn jitter() -> f64 {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_half_and_whole_and_stops_at_the_cap() {
        let policy = RetryPolicy {
            max_retries: 3,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        assert_eq!(policy.backoff(0, 0.0), Duration::from_millis(50));
        assert_eq!(policy.backoff(0, 1.0), Duration::from_millis(100));
        assert_eq!(policy.backoff(1, 0.0), Duration::from_millis(100));
        assert_eq!(policy.backoff(2, 1.0), Duration::from_millis(400));
        assert_eq!(policy.backoff(10, 1.0), Duration::from_secs(1));
        assert_eq!(policy.backoff(u32::MAX, 1.0), Duration::from_secs(1));
        assert_eq!(policy.backoff(0, f64::NAN), Duration::from_millis(50));
        assert_eq!(policy.backoff(0, 7.0), Duration::from_millis(100));
        for retry in 0..40 {
            let wait = policy.backoff(retry, jitter());
            assert!(
                wait >= Duration::from_millis(50) && wait <= policy.cap,
                "{wait:?}"
            );
        }
    }

    #[test]
    fn jitter_spreads_in_the_unit_interval() {
        let samples: Vec<f64> = (0..64).map(|_| jitter()).collect();
        assert!(samples.iter().all(|j| (0.0..1.0).contains(j)));
        assert!(samples.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn reads_retry_after_in_seconds_and_as_a_date() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(retry_after("0.5", now), Some(Duration::from_millis(500)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:03 GMT", now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        for junk in ["", "soon", "-1", "NaN", "inf", "1e999x"] {
            assert_eq!(retry_after(junk, now), None, "{junk:?}");
        }
    }

    #[test]
    fn retries_429_and_transient_5xx_only() {
        for status in [429, 500, 502, 503, 504, 599] {
            assert!(retryable_status(status), "{status}");
        }
        for status in [200, 400, 401, 403, 404, 409, 501, 505] {
            assert!(!retryable_status(status), "{status}");
        }
        assert!(!Retry::Never.on_status());
        assert!(Retry::Idempotent.on_status() && Retry::IdempotentByDesign.on_status());
    }
}
