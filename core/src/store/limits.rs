//! The process's file descriptor budget: every open local database holds a few (the file,
//! its WAL and shared memory), so a process serving thousands of tenants runs out long
//! before memory does. Read where the OS tells it (Linux's /proc); elsewhere unknown.
//!
//! And SQLite's soft heap limit, past which page caches recycle their pages instead of
//! growing. SQLite enforces it only while it counts its memory, which takes a global mutex
//! on every allocation; the driver leaves counting off (see `database::configure_sqlite`)
//! unless a limit is set before the first database opens. Counting can only be chosen
//! before SQLite starts, so a limit asked for later is refused, saying so.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::error::{Error, Result};

/// Asked for by [`set_soft_heap_limit`] before SQLite started.
static COUNT_MEMORY: AtomicBool = AtomicBool::new(false);
/// Whether SQLite counts its memory: decided once, as it starts.
static MEMORY_COUNTED: OnceLock<bool> = OnceLock::new();

/// Whether SQLite is to count its memory (read once, by `configure_sqlite`).
pub(crate) fn count_memory_at_start() -> bool {
    *MEMORY_COUNTED.get_or_init(|| COUNT_MEMORY.load(Ordering::Acquire))
}

/// Sets SQLite's process-wide soft heap limit in bytes (0: none) and returns the previous
/// one. Refused once a database has opened without one (SQLite started without counting
/// its memory, and would ignore it).
pub fn set_soft_heap_limit(bytes: i64) -> Result<i64> {
    if bytes < 0 {
        return Err(Error::invalid(format!(
            "setSoftHeapLimit takes a number of bytes, 0 or more (0: no limit), got {bytes}"
        )));
    }
    COUNT_MEMORY.store(true, Ordering::Release);
    // SQLite starts here if nothing opened yet: as libsql starts it (its threading mode
    // is set first, and it refuses to run on an SQLite started otherwise).
    crate::store::database::start_sqlite()?;
    if MEMORY_COUNTED.get() != Some(&true) {
        return Err(Error::config(
            "setSoftHeapLimit must be called before the process opens its first database: \
             SQLite enforces the limit only when it counts its memory, which is decided as it \
             starts (counting costs a lock on every allocation, so it is off unless a limit \
             is set first)",
        ));
    }
    // SAFETY: a setter of SQLite's, safe from any thread at any time.
    Ok(unsafe { libsql::ffi::sqlite3_soft_heap_limit64(bytes) })
}

/// The soft `RLIMIT_NOFILE` and how many descriptors are open now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimits {
    pub max_open_files: u64,
    pub open_files: u64,
}

/// The process's file limits, or `None` where they cannot be read (not Linux, no /proc,
/// an unlimited soft limit). A process out of descriptors cannot open /proc to count
/// them: it has every one it may have open, and says so.
pub fn file_limits() -> Option<FileLimits> {
    let max_open_files = match std::fs::read_to_string("/proc/self/limits") {
        Ok(limits) => soft_limit(&limits, "Max open files")?,
        Err(err) if out_of_files(&err) => {
            let max = soft_limit_of_files()?;
            return Some(FileLimits {
                max_open_files: max,
                open_files: max,
            });
        }
        Err(_) => return None,
    };
    // The listing holds one descriptor of its own while it runs.
    let open_files = match std::fs::read_dir("/proc/self/fd") {
        Ok(entries) => entries.count().saturating_sub(1) as u64,
        Err(err) if out_of_files(&err) => max_open_files,
        Err(_) => return None,
    };
    Some(FileLimits {
        max_open_files,
        open_files,
    })
}

/// EMFILE: the process has all the descriptors it may have.
fn out_of_files(err: &std::io::Error) -> bool {
    #[cfg(unix)]
    return err.raw_os_error() == Some(libc::EMFILE);
    #[cfg(not(unix))]
    return false;
}

/// The soft `RLIMIT_NOFILE`, read without a descriptor (`None`: unlimited, or not unix).
fn soft_limit_of_files() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes the limit into the struct it is given, and nothing else.
        let read = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
        // `rlim_t` is u64 here, not on every unix.
        #[allow(clippy::unnecessary_cast)]
        let soft = limit.rlim_cur as u64;
        (read == 0 && limit.rlim_cur != libc::RLIM_INFINITY).then_some(soft)
    }
    #[cfg(not(unix))]
    None
}

/// The soft limit of the `/proc/self/limits` row named `name` (`unlimited` is none).
fn soft_limit(limits: &str, name: &str) -> Option<u64> {
    let row = limits.lines().find(|line| line.starts_with(name))?;
    row[name.len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_soft_limit_of_a_row() {
        let text = "Limit                     Soft Limit           Hard Limit           Units     \n\
                    Max processes             63704                63704                processes \n\
                    Max open files            1024                 524288               files     \n";
        assert_eq!(soft_limit(text, "Max open files"), Some(1024));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(soft_limit(unlimited, "Max open files"), None);
        assert_eq!(soft_limit(text, "Max locked memory"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_the_descriptor_limit_without_a_descriptor() {
        let from_proc = file_limits().expect("Linux has /proc").max_open_files;
        assert_eq!(soft_limit_of_files(), Some(from_proc));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn counts_what_this_process_holds_open() {
        let before = file_limits().expect("Linux has /proc");
        let held = std::fs::File::open("/proc/self/limits").unwrap();
        let after = file_limits().unwrap();
        assert_eq!(after.open_files, before.open_files + 1);
        assert!(after.max_open_files >= after.open_files);
        drop(held);
    }
}
