//! WAL checkpoints, mostly off the JS thread.
//!
//! SQLite's automatic checkpoint runs inside whichever commit crosses the threshold, so
//! on a file database every thousandth write would stall the JS thread for a checkpoint
//! and its fsyncs. Connections here turn it off; their writes nudge one process-wide
//! worker thread, which checkpoints on a connection of its own.
//!
//! A WAL only starts over when a writer begins while every frame is already copied.
//! The worker never catches up with a writer that keeps writing, so once the worker
//! has copied what it saw, the writer itself, between two of its statements, copies the
//! few frames that came meanwhile (a small PASSIVE checkpoint); its next write then
//! starts the WAL over.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use once_cell::sync::Lazy;

use crate::store::at_open::{self, AtOpen, Footprint};
use crate::store::poll::poll_once;

/// Committed writes between two worker checkpoints. Each checkpoint ends with the
/// writer's own small one and its two fsyncs, so fewer, larger cycles are cheaper per
/// write (measured: 250 writes 35 µs per create on a WAL file, 2000 writes 27 µs); the
/// WAL then peaks near 2000 writes' worth of pages (tens of MB for 1-2 KB rows).
pub const WRITES_PER_CHECKPOINT: u64 = 2000;

/// The checkpoint connection prepares one statement: it needs no lookaside.
const CHECKPOINTER: AtOpen = AtOpen {
    persist_wal: false,
    footprint: Footprint::Lean,
};

pub struct Checkpointer {
    db: Arc<libsql::Database>,
    /// Opened by the first checkpoint: most databases (a tenant's) never write enough to
    /// need one, and an open connection costs a file descriptor and its memory.
    conn: OnceLock<libsql::Connection>,
    writes: AtomicU64,
    queued: AtomicBool,
    /// The worker copied everything it saw: the writer finishes the job.
    caught_up: AtomicBool,
}

static WORKER: Lazy<Mutex<Option<Sender<Arc<Checkpointer>>>>> = Lazy::new(|| {
    let (tx, rx) = channel::<Arc<Checkpointer>>();
    let spawned = std::thread::Builder::new()
        .name("objectql-checkpoint".into())
        .spawn(move || {
            for job in rx {
                job.run();
            }
        });
    // Without a worker no checkpoint runs before the database closes: the WAL grows,
    // nothing is lost.
    Mutex::new(spawned.ok().map(|_| tx))
});

impl Checkpointer {
    pub fn new(db: Arc<libsql::Database>) -> Arc<Checkpointer> {
        Arc::new(Checkpointer {
            db,
            conn: OnceLock::new(),
            writes: AtomicU64::new(0),
            queued: AtomicBool::new(false),
            caught_up: AtomicBool::new(false),
        })
    }

    /// Counts a committed write on `writer`: finishes a checkpoint the worker caught up
    /// with, and every so often queues the next one.
    pub fn note_write(self: &Arc<Self>, writer: &libsql::Connection) {
        if self.caught_up.load(Ordering::Acquire)
            && writer.is_autocommit()
            && self.caught_up.swap(false, Ordering::AcqRel)
        {
            // Inline, so nothing is appended meanwhile; a busy one waits for the next run.
            let _ = poll_once(checkpoint(writer));
        }
        let n = self.writes.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(WRITES_PER_CHECKPOINT) && !self.queued.swap(true, Ordering::AcqRel) {
            let worker = WORKER.lock().unwrap_or_else(|p| p.into_inner());
            let sent = worker
                .as_ref()
                .is_some_and(|tx| tx.send(self.clone()).is_ok());
            if !sent {
                self.queued.store(false, Ordering::Release);
            }
        }
    }

    /// PASSIVE copies what is committed without waiting for or blocking anyone.
    fn run(&self) {
        let conn = match self.conn.get() {
            Some(conn) => Some(conn),
            // Not opened: no checkpoint this time, the next run tries again.
            None => at_open::connect(&self.db, CHECKPOINTER)
                .ok()
                .map(|c| self.conn.get_or_init(|| c)),
        };
        let done = conn.is_some_and(|c| matches!(poll_once(checkpoint(c)), Some(Ok(()))));
        self.caught_up.store(done, Ordering::Release);
        self.queued.store(false, Ordering::Release);
    }
}

/// Runs a PASSIVE checkpoint on `conn`.
async fn checkpoint(conn: &libsql::Connection) -> libsql::Result<()> {
    // Stepped to the end and dropped: a half-read PRAGMA would hold a read lock.
    let mut rows = conn.query("PRAGMA wal_checkpoint(PASSIVE)", ()).await?;
    while rows.next().await?.is_some() {}
    Ok(())
}
