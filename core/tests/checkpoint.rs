//! WAL checkpoints (`checkpoint.rs`): automatic checkpoints are off, a worker thread
//! checkpoints every `WRITES_PER_CHECKPOINT` writes and the writer finishes each one, so
//! that the `-wal` file of a busy database stays bounded.

mod common;

use std::io::Read;
use std::time::Duration;

use common::*;
use objectql_turso_core::driver::Driver;
use objectql_turso_core::store::checkpoint::WRITES_PER_CHECKPOINT;
use objectql_turso_core::{Result, Value};

const ROWS: usize = 3000;
const PAYLOAD: usize = 1500;

/// The checkpoint worker is one thread for the whole process: tests that measure its
/// cadence run one at a time, or each would see the others' checkpoints delay its own.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

fn wal_size(dir: &TempDir) -> u64 {
    std::fs::metadata(dir.file("db.sqlite-wal")).map_or(0, |m| m.len())
}

/// The WAL header's checkpoint sequence number: it goes up each time the WAL restarts
/// from its beginning (which is what keeps the file from growing).
fn wal_restarts(dir: &TempDir) -> u32 {
    let mut header = [0u8; 16];
    let read =
        std::fs::File::open(dir.file("db.sqlite-wal")).and_then(|mut f| f.read_exact(&mut header));
    match read {
        Ok(()) => u32::from_be_bytes([header[12], header[13], header[14], header[15]]),
        Err(_) => 0,
    }
}

/// Runs `op` until it is not refused with `Busy`: the checkpoint worker's RESTART holds
/// the write lock for a moment, and the JS layer retries such writes the same way.
fn retry_busy<T>(mut op: impl FnMut() -> Result<T>) -> T {
    for _ in 0..100_000 {
        match op() {
            Err(err) if err.is_busy() => std::thread::sleep(Duration::from_micros(100)),
            other => return other.expect("write"),
        }
    }
    panic!("still busy after many retries");
}

fn create_row(d: &Driver, i: usize, tx: Option<u32>) {
    let title = format!("{i}-{}", "x".repeat(PAYLOAD));
    retry_busy(|| {
        run(d.create(
            "task",
            vec![
                ("title".into(), title.clone().into()),
                ("n".into(), Value::Integer(i as i64)),
            ],
            tx,
        ))
    });
}

fn check_all_rows(dir: &TempDir, d: &Driver, rows: usize) {
    assert_eq!(count(d, "task", None), rows as i64);
    let sum = only(run(d.aggregate("task", &v(r#"{"aggregates":{"s":"SUM(n)"}}"#), None)).unwrap());
    assert_eq!(
        field(&sum, "s"),
        Value::Integer((rows * (rows - 1) / 2) as i64)
    );
    // A fresh driver reads them all too.
    let other = file_driver(dir, "db.sqlite");
    assert_eq!(count(&other, "task", None), rows as i64);
    let last = rows - 1;
    let row =
        only(run(other.find("task", &v(&format!(r#"{{"where":{{"n":{last}}}}}"#)), None)).unwrap());
    assert!(text(&row, "title").starts_with(&format!("{last}-x")));
}

#[test]
fn wal_stays_under_64_mib_after_3000_single_row_creates() {
    let _serial = serial();
    let dir = TempDir::new("wal");
    let d = file_driver(&dir, "db.sqlite");
    sync(&d, TASK_SCHEMA);
    let mut max_seen = 0;
    for i in 0..ROWS {
        create_row(&d, i, None);
        if i % 100 == 0 {
            max_seen = max_seen.max(wal_size(&dir));
        }
    }
    const BOUND: u64 = 64 << 20;
    // The worker is asynchronous: give its last checkpoint a moment.
    let bounded = eventually(2000, || wal_size(&dir) < BOUND);
    assert!(bounded, "the WAL grew to {} bytes", wal_size(&dir));
    assert!(max_seen < BOUND, "the WAL reached {max_seen} bytes");
    check_all_rows(&dir, &d, ROWS);
}

/// `(mxFrame, nBackfill)` from the `-shm` WAL index: frames in the WAL, and how many of
/// them a checkpoint has copied into the database (both native-endian u32s).
fn wal_index(dir: &TempDir) -> (u32, u32) {
    let mut shm = [0u8; 100];
    let read =
        std::fs::File::open(dir.file("db.sqlite-shm")).and_then(|mut f| f.read_exact(&mut shm));
    if read.is_err() {
        return (0, 0);
    }
    let word = |at: usize| u32::from_ne_bytes([shm[at], shm[at + 1], shm[at + 2], shm[at + 3]]);
    (word(16), word(96))
}

/// Writes between checkpoints, and the WAL bytes they take with ~3 pages per row.
const CYCLE: usize = WRITES_PER_CHECKPOINT as usize;
const CYCLE_BYTES: u64 = CYCLE as u64 * 3 * 4096;

#[test]
fn wal_restarts_every_cycle_when_the_writer_pauses() {
    let _serial = serial();
    let dir = TempDir::new("wal-pauses");
    let d = file_driver(&dir, "db.sqlite");
    sync(&d, TASK_SCHEMA);
    let restarts_before = wal_restarts(&dir);
    let mut max_seen = 0;
    let rows = 6 * CYCLE;
    for i in 0..rows {
        create_row(&d, i, None);
        max_seen = max_seen.max(wal_size(&dir));
        if (i + 1) % CYCLE == 0 {
            // A pause, as real apps have: the worker's checkpoint lands (the worker is
            // shared by every test of this process, so allow it time), and the writer's
            // next write finishes it and starts the WAL over.
            let copied = eventually(5000, || {
                let (frames, backfilled) = wal_index(&dir);
                frames > 0 && frames == backfilled
            });
            assert!(
                copied,
                "no checkpoint after write {}: {:?}",
                i + 1,
                wal_index(&dir)
            );
        }
    }
    // Each restart shows in the WAL header once the next write starts the WAL over.
    let restarts = wal_restarts(&dir) - restarts_before;
    assert!(restarts >= 5, "only {restarts} WAL restarts");
    // About one cycle of writes; never all six.
    assert!(
        max_seen < 2 * CYCLE_BYTES,
        "the WAL reached {max_seen} bytes"
    );
    check_all_rows(&dir, &d, rows);
}

#[test]
fn wal_restarts_under_a_steady_stream_of_writes() {
    let _serial = serial();
    let dir = TempDir::new("wal-stream");
    let d = file_driver(&dir, "db.sqlite");
    sync(&d, TASK_SCHEMA);
    let rows = 6 * CYCLE;
    let mut max_seen = 0;
    for i in 0..rows {
        create_row(&d, i, None);
        max_seen = max_seen.max(wal_size(&dir));
    }
    // 6 checkpoints were queued; most of them should have restarted the WAL, keeping it
    // near a cycle's worth instead of growing with every write.
    let restarts = wal_restarts(&dir);
    assert!(
        restarts >= 3 && max_seen < 3 * CYCLE_BYTES,
        "{restarts} WAL restarts in {rows} writes; the WAL reached {max_seen} bytes"
    );
    check_all_rows(&dir, &d, rows);
}

#[test]
fn writes_in_transactions_are_checkpointed_too() {
    let _serial = serial();
    let dir = TempDir::new("wal-tx");
    let d = file_driver(&dir, "db.sqlite");
    sync(&d, TASK_SCHEMA);
    let rows = CYCLE + 10;
    for i in 0..rows {
        let tx = retry_busy(|| run(d.begin_transaction()));
        create_row(&d, i, Some(tx));
        retry_busy(|| run(d.commit(tx)));
    }
    // Automatic checkpoints are off: only the worker, told about the transactions'
    // writes, copies frames into the database (or restarts the WAL).
    let checkpointed = eventually(3000, || {
        let (_, backfilled) = wal_index(&dir);
        backfilled > 0 || wal_restarts(&dir) > 0
    });
    assert!(
        checkpointed,
        "no checkpoint after {rows} transactions: {:?}",
        wal_index(&dir)
    );
    check_all_rows(&dir, &d, rows);
}
