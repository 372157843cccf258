//! What the router reads of the process: how many file descriptors it may still open.

use driver_core::store::limits::file_limits;
use napi_derive::napi;

#[napi(object)]
pub struct ProcessLimits {
    /// The soft limit of open file descriptors (`ulimit -n`).
    pub max_open_files: f64,
    /// Descriptors open now.
    pub open_files: f64,
}

/// The process's file descriptor limit and use, or `null` where the OS does not say.
#[napi(catch_unwind)]
pub fn process_limits() -> Option<ProcessLimits> {
    file_limits().map(|l| ProcessLimits {
        max_open_files: l.max_open_files as f64,
        open_files: l.open_files as f64,
    })
}
