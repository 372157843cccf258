//! SQLite's soft heap limit (`store::limits::set_soft_heap_limit`), set before the first
//! database opens, as it must be: the page caches of many databases stay within it. A test
//! binary of its own, since the limit and SQLite's start are process-wide.

mod common;

use common::*;
use objectql_turso_core::store::limits::set_soft_heap_limit;
use objectql_turso_core::ErrorCode;

const LIMIT: i64 = 4 << 20;
const DATABASES: usize = 12;

#[test]
fn page_caches_stay_within_the_soft_heap_limit() {
    let err = set_soft_heap_limit(-1).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    assert_eq!(set_soft_heap_limit(LIMIT).unwrap(), 0);

    // Each database holds ~1 MiB of rows, all read through its (default, 32 MiB) cache:
    // without the limit the caches would hold about DATABASES MiB together.
    let dir = TempDir::new("heap-limit");
    let drivers: Vec<_> = (0..DATABASES)
        .map(|i| {
            let d = file_driver(&dir, &format!("t{i}.db"));
            sync(&d, TASK_SCHEMA);
            sql(
                &d,
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) \
                 INSERT INTO task (id, title, meta) SELECT 'r' || i, 't', hex(randomblob(500)) FROM n",
            );
            assert_eq!(count(&d, "task", None), 1000);
            d
        })
        .collect();
    // SAFETY: a reader of SQLite's counters, safe from any thread.
    let used = unsafe { libsql::ffi::sqlite3_memory_used() };
    assert!(
        used < 2 * LIMIT,
        "SQLite holds {used} bytes with a soft limit of {LIMIT}"
    );
    assert_eq!(set_soft_heap_limit(0).unwrap(), LIMIT);
    drop(drivers);
}
