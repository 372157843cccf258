//! Running local statements on the calling thread.
//!
//! `libsql`'s futures for local databases finish on their first poll: nothing in them
//! waits for I/O readiness. Polling once with a no-op waker therefore runs a statement
//! inline, without waking a worker thread (which costs ~40 µs per call from Node).

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Polls `fut` once. `None` means it is waiting on something (remote I/O) and must be
/// driven by a runtime instead.
pub fn poll_once<F: Future>(fut: F) -> Option<F::Output> {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}
