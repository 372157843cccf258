//! The process's file descriptor budget: every open local database holds a few (the file,
//! its WAL and shared memory), so a process serving thousands of tenants runs out long
//! before memory does. Read where the OS tells it (Linux's /proc); elsewhere unknown.

/// The soft `RLIMIT_NOFILE` and how many descriptors are open now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimits {
    pub max_open_files: u64,
    pub open_files: u64,
}

/// The process's file limits, or `None` where they cannot be read (not Linux, no /proc,
/// an unlimited soft limit).
pub fn file_limits() -> Option<FileLimits> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let max_open_files = soft_limit(&limits, "Max open files")?;
    // The listing holds one descriptor of its own while it runs.
    let open_files = std::fs::read_dir("/proc/self/fd")
        .ok()?
        .count()
        .saturating_sub(1) as u64;
    Some(FileLimits {
        max_open_files,
        open_files,
    })
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
    fn counts_what_this_process_holds_open() {
        let before = file_limits().expect("Linux has /proc");
        let held = std::fs::File::open("/proc/self/limits").unwrap();
        let after = file_limits().unwrap();
        assert_eq!(after.open_files, before.open_files + 1);
        assert!(after.max_open_files >= after.open_files);
        drop(held);
    }
}
