//! Running library code that may panic on data it did not expect (libsql unwraps the UTF-8
//! check of column names and text), without the panic reaching JS or the user's stderr.
//!
//! A panic inside [`silently`] is caught and returned as `Err`; the process-wide panic
//! hook, chained once in front of the one in place, prints nothing for it (every read of a
//! bad cell would otherwise print a panic report), and everything else as before.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static FENCED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`; a panic in it becomes `Err` and prints nothing.
pub fn silently<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    install_hook();
    let outer = FENCED.replace(true);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    FENCED.set(outer);
    result
}

fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !FENCED.get() {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::silently;

    #[test]
    fn catches_and_returns() {
        assert_eq!(silently(|| 7).unwrap(), 7);
        let caught = silently(|| -> i32 { panic!("bad data") });
        assert!(caught.is_err());
        // Nesting keeps the outer fence up.
        let nested = silently(|| silently(|| -> () { panic!("inner") }).is_err());
        assert!(nested.unwrap());
    }
}
