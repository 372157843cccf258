//! Settings of a connection that libsql does not expose, applied through the connection's
//! handle: an auto-extension (run by SQLite for every connection it opens) notes the
//! handle, and [`connect`] applies its [`AtOpen`] to it once the open returns.
//!
//! - **WAL files kept across closes** (`SQLITE_FCNTL_PERSIST_WAL`). By default the last
//!   connection to close a WAL database checkpoints it and deletes its `-wal` and `-shm`
//!   files, and the next open creates both again. Creating files is most of a cold open of
//!   an existing database (measured with perf: the filesystem's create path dominates),
//!   and a process serving tenants opens and closes databases all day. With the WAL
//!   persisted, the close still checkpoints everything into the database and truncates the
//!   `-wal` file to zero bytes (the file is complete on its own, as before); the two files
//!   stay for the next open to reuse.
//! - **Lookaside memory** ([`Footprint`]). SQLite gives each connection 48 KB of its own
//!   for small allocations as it opens it, about a third of what an open tenant database
//!   cost (measured: 130 KB of RSS an open tenant with it, 86 KB without). SQLite sets it
//!   up at the end of the open, from the process-wide setting, so SQLite is started with
//!   none ([`GLOBAL_LOOKASIDE`]) and [`connect`] gives SQLite's default to the connection
//!   that wants it. Connections libsql opens itself (a replica's sync) get none.

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};

use libsql::ffi;

/// How much memory a connection keeps for itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Footprint {
    /// SQLite's default lookaside (1200-byte slots, 48 KB): faster statement preparation
    /// and small allocations, for a database that is one of few.
    Full,
    /// No lookaside: a database that is one of thousands (a router's tenants), where memory
    /// per open database decides how many stay open.
    Lean,
}

/// What a connection [`connect`] opens gets.
#[derive(Debug, Clone, Copy)]
pub struct AtOpen {
    pub persist_wal: bool,
    pub footprint: Footprint,
}

/// The lookaside SQLite is started with (slot size, slots): none; see [`Footprint`].
pub const GLOBAL_LOOKASIDE: (c_int, c_int) = (0, 0);

/// SQLite's own default lookaside (`SQLITE_DEFAULT_LOOKASIDE`), for [`Footprint::Full`].
const FULL_LOOKASIDE: (c_int, c_int) = (1200, 40);

thread_local! {
    /// The handle of the last connection SQLite opened on this thread.
    static OPENED: Cell<*mut ffi::sqlite3> = const { Cell::new(std::ptr::null_mut()) };
}

/// Registers the auto-extension, after SQLite has started: registering would start it,
/// and libsql refuses to run on an SQLite it did not start.
fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if crate::store::database::start_sqlite().is_err() {
            // Connections then get SQLite's defaults.
            return;
        }
        // SAFETY: registers a function with the signature SQLite calls it with; a failure
        // (out of memory) only leaves connections with SQLite's defaults.
        unsafe {
            ffi::sqlite3_auto_extension(Some(on_open));
        }
    });
}

/// Opens a connection to a local database (a file, memory, a replica's file) with
/// `settings`: every such connection is opened here, so that none misses them.
pub fn connect(db: &libsql::Database, settings: AtOpen) -> libsql::Result<libsql::Connection> {
    open(db, settings).map(|(conn, _)| conn)
}

/// [`connect`], with the connection's handle (null if SQLite did not report one).
fn open(
    db: &libsql::Database,
    settings: AtOpen,
) -> libsql::Result<(libsql::Connection, *mut ffi::sqlite3)> {
    install();
    OPENED.with(|o| o.set(std::ptr::null_mut()));
    let conn = db.connect()?;
    let handle = OPENED.with(|o| o.replace(std::ptr::null_mut()));
    if handle.is_null() {
        return Ok((conn, handle));
    }
    if settings.footprint == Footprint::Full {
        let (size, slots) = FULL_LOOKASIDE;
        // SAFETY: `handle` is `conn`'s, just opened on this thread and not used yet, so it
        // holds no lookaside memory (SQLite was started without). A failure (out of
        // memory) leaves it without lookaside: slower small allocations, nothing else.
        unsafe {
            ffi::sqlite3_db_config(
                handle,
                ffi::SQLITE_DBCONFIG_LOOKASIDE,
                std::ptr::null_mut::<c_void>(),
                size,
                slots,
            );
        }
    }
    if settings.persist_wal {
        let mut on: c_int = 1;
        // SAFETY: `handle` is `conn`'s; "main" names its database file. A database without
        // a file (memory) answers SQLITE_NOTFOUND, which changes nothing.
        unsafe {
            ffi::sqlite3_file_control(
                handle,
                c"main".as_ptr(),
                ffi::SQLITE_FCNTL_PERSIST_WAL,
                (&mut on as *mut c_int).cast::<c_void>(),
            );
        }
    }
    Ok((conn, handle))
}

unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _err: *mut *const c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    OPENED.with(|o| o.set(db));
    ffi::SQLITE_OK
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lookaside allocations a connection served while it made a table and read it.
    async fn lookaside_hits(footprint: Footprint) -> c_int {
        let dir = std::env::temp_dir().join(format!("at-open-{}", crate::record_id::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        crate::store::database::configure_sqlite();
        let db = libsql::Builder::new_local(dir.join("t.db"))
            .build()
            .await
            .unwrap();
        let settings = AtOpen {
            persist_wal: false,
            footprint,
        };
        let (conn, handle) = open(&db, settings).unwrap();
        assert!(!handle.is_null(), "the auto-extension saw no open");
        conn.execute_batch("CREATE TABLE t (a TEXT, b INTEGER); SELECT * FROM t WHERE a = 'x'")
            .await
            .unwrap();
        let (mut now, mut hits) = (0, 0);
        // SAFETY: `handle` is `conn`'s, open until `conn` is dropped below.
        let rc = unsafe {
            ffi::sqlite3_db_status(
                handle,
                ffi::SQLITE_DBSTATUS_LOOKASIDE_HIT,
                &mut now,
                &mut hits,
                0,
            )
        };
        assert_eq!(rc, ffi::SQLITE_OK);
        drop(conn);
        std::fs::remove_dir_all(&dir).ok();
        hits
    }

    #[tokio::test]
    async fn a_lean_connection_has_no_lookaside_and_a_full_one_has_sqlites() {
        assert_eq!(lookaside_hits(Footprint::Lean).await, 0);
        let full = lookaside_hits(Footprint::Full).await;
        assert!(full > 0, "{full}");
    }
}
