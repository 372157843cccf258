//! WAL checkpoints off the JS thread.
//!
//! SQLite's automatic checkpoint runs inside whichever commit crosses the threshold, so
//! on a file database every thousandth write would stall the JS thread for a
//! checkpoint and its fsyncs. Connections here turn it off, and writes nudge one
//! process-wide worker thread, which checkpoints on a connection of its own.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};

use once_cell::sync::Lazy;

use crate::inline::poll_once;

/// Committed writes between two checkpoints (SQLite's own default is 1000 pages).
const WRITES_PER_CHECKPOINT: u64 = 500;

pub struct Checkpointer {
    conn: libsql::Connection,
    writes: AtomicU64,
    queued: AtomicBool,
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
    // Without a worker, checkpoints simply do not happen early; SQLite still bounds the
    // WAL at the next checkpoint that does run.
    Mutex::new(spawned.ok().map(|_| tx))
});

impl Checkpointer {
    /// PASSIVE copies what is committed without blocking anyone; the JS thread keeps
    /// appending meanwhile, so the WAL would never be fully copied and never restart
    /// (it grows without bound). RESTART then copies the few new frames while holding the
    /// write lock for a moment (writers see BUSY and retry), so the next write starts the
    /// WAL over. Without a busy handler neither waits: a busy checkpoint just ends early.
    async fn checkpoint(&self) -> libsql::Result<()> {
        for mode in ["PASSIVE", "RESTART"] {
            // Stepped to the end and dropped: a half-read PRAGMA would keep a read lock.
            let mut rows = self
                .conn
                .query(&format!("PRAGMA wal_checkpoint({mode})"), ())
                .await?;
            while rows.next().await?.is_some() {}
        }
        Ok(())
    }

    pub fn new(conn: libsql::Connection) -> Arc<Checkpointer> {
        Arc::new(Checkpointer {
            conn,
            writes: AtomicU64::new(0),
            queued: AtomicBool::new(false),
        })
    }

    /// Counts a committed write; every so often queues a checkpoint.
    pub fn note_write(self: &Arc<Self>) {
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

    fn run(&self) {
        // A local statement completes on its first poll; a failed checkpoint is retried
        // with the next batch of writes.
        let _ = poll_once(self.checkpoint());
        self.queued.store(false, Ordering::Release);
    }
}
