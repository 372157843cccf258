//! WAL files kept across closes (SQLite's `SQLITE_FCNTL_PERSIST_WAL`).
//!
//! By default the last connection to close a WAL database checkpoints it and deletes its
//! `-wal` and `-shm` files, and the next open creates both again. Creating files is most
//! of a cold open of an existing database (measured with perf: the filesystem's create
//! path dominates), and a process serving tenants opens and closes databases all day.
//! With the WAL persisted, the close still checkpoints everything into the database and
//! truncates the `-wal` file to zero bytes (the file is complete on its own, as before);
//! the two files stay for the next open to reuse.
//!
//! SQLite sets this per open file, through the connection's handle, which libsql does not
//! expose: an auto-extension (run by SQLite for every connection it opens, with the
//! handle) sets it for the connections a [`opening`] call opens on this thread.

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};

use libsql::ffi;

thread_local! {
    /// The connection being opened on this thread keeps its WAL.
    static PERSIST: Cell<bool> = const { Cell::new(false) };
}

/// Registers the auto-extension, after SQLite has started: registering would start it,
/// and libsql refuses to run on an SQLite it did not start.
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if crate::store::database::start_sqlite().is_err() {
            // WAL files are then deleted at close, as SQLite does by default.
            return;
        }
        // SAFETY: registers a function with the signature SQLite calls it with; a failure
        // (out of memory) only leaves WAL files deleted at close, as by default.
        unsafe {
            ffi::sqlite3_auto_extension(Some(on_open));
        }
    });
}

/// Runs `open` (which opens connections on this thread); they keep their WAL if `persist`.
pub fn opening<T>(persist: bool, open: impl FnOnce() -> T) -> T {
    PERSIST.with(|p| p.set(persist));
    let opened = open();
    PERSIST.with(|p| p.set(false));
    opened
}

unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _err: *mut *const c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    if PERSIST.with(Cell::get) {
        let mut on: c_int = 1;
        // SAFETY: `db` is the connection SQLite is opening; "main" names its database file.
        // A database without a file (memory) answers SQLITE_NOTFOUND, which changes nothing.
        unsafe {
            ffi::sqlite3_file_control(
                db,
                c"main".as_ptr(),
                ffi::SQLITE_FCNTL_PERSIST_WAL,
                (&mut on as *mut c_int).cast::<c_void>(),
            );
        }
    }
    ffi::SQLITE_OK
}
