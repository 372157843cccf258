//! What the router reads of the process (how many file descriptors it may still open)
//! and the bound it may set on SQLite's memory.

use driver_core::store::limits::{file_limits, set_soft_heap_limit as set_limit};
use driver_core::Error;
use napi_derive::napi;

use crate::error::{coded, Coded};

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

/// Sets SQLite's process-wide soft heap limit in bytes (0: none) and returns the previous
/// one; call it before the first database opens.
#[napi(catch_unwind)]
pub fn set_soft_heap_limit(bytes: f64) -> Result<f64, Coded> {
    if !(bytes.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&bytes)) {
        return Err(coded(Error::invalid(format!(
            "setSoftHeapLimit takes a whole number of bytes, 0 or more (0: no limit), got {bytes}"
        ))));
    }
    set_limit(bytes as i64)
        .map(|previous| previous as f64)
        .map_err(coded)
}
