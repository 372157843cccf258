//! The page-cache wrapper (`pcache.rs`) skips truncates with nothing to drop. These tests
//! drive many page splits (random text keys) through commits, rollbacks and savepoints,
//! then check that SQLite finds its database intact and holding exactly what was kept.

mod common;

use common::*;
use objectql_turso_core::driver::Driver;
use objectql_turso_core::store::pcache::skipped_truncates;
use objectql_turso_core::Value;

const SCHEMA: &str =
    r#"[{"name":"item","fields":{"body":{"type":"text"},"n":{"type":"integer"}}}]"#;

/// A pseudo-random id and a body long enough for a few rows per page.
fn row(i: u64) -> (Value, Value, Value) {
    let key = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 16;
    (
        Value::Text(format!("k{key:012x}")),
        Value::Text(format!("{i:>6}-{}", "x".repeat((i % 7 * 60) as usize))),
        Value::Integer(i as i64),
    )
}

fn insert(d: &Driver, range: std::ops::Range<u64>, tx: Option<u32>) {
    for i in range {
        let (id, body, n) = row(i);
        run(d.execute(
            "INSERT INTO item (id, body, n) VALUES (?, ?, ?)",
            vec![id, body, n],
            tx,
        ))
        .expect("insert");
    }
}

fn scalar(d: &Driver, sql: &str) -> Value {
    let (rows, _) = run(d.execute(sql, Vec::new(), None)).expect(sql);
    rows.rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next())
        .unwrap_or_default()
}

fn assert_intact(d: &Driver, rows: i64, sum: i64) {
    assert_eq!(scalar(d, "PRAGMA integrity_check"), Value::from("ok"));
    assert_eq!(scalar(d, "SELECT count(*) FROM item"), Value::Integer(rows));
    assert_eq!(scalar(d, "SELECT sum(n) FROM item"), Value::Integer(sum));
}

fn sum(range: std::ops::Range<u64>) -> i64 {
    range.map(|i| i as i64).sum()
}

fn exercise(d: &Driver) {
    sync(d, SCHEMA);
    let skipped = skipped_truncates();
    insert(d, 0..6000, None);
    assert!(
        skipped_truncates() > skipped,
        "commits after page splits should skip the page-cache truncate"
    );
    assert_intact(d, 6000, sum(0..6000));

    // Rolled back: the pages the splits added must go, and the old ones come back.
    let tx = run(d.begin_transaction()).expect("begin");
    insert(d, 6000..9000, Some(tx));
    run(d.execute("DELETE FROM item WHERE n % 3 = 0", Vec::new(), Some(tx))).expect("delete");
    run(d.rollback(tx)).expect("rollback");
    assert_intact(d, 6000, sum(0..6000));

    // A savepoint rolled back inside a committed transaction.
    let tx = run(d.begin_transaction()).expect("begin");
    insert(d, 6000..7000, Some(tx));
    run(d.execute("SAVEPOINT s", Vec::new(), Some(tx))).expect("savepoint");
    insert(d, 7000..9000, Some(tx));
    run(d.execute("ROLLBACK TO s", Vec::new(), Some(tx))).expect("rollback to");
    run(d.execute("RELEASE s", Vec::new(), Some(tx))).expect("release");
    run(d.commit(tx)).expect("commit");
    assert_intact(d, 7000, sum(0..7000));

    // Shrinking the database frees pages past its new end.
    run(d.execute("DELETE FROM item WHERE n >= 1000", Vec::new(), None)).expect("delete");
    run(d.execute("VACUUM", Vec::new(), None)).expect("vacuum");
    insert(d, 9000..10000, None);
    assert_intact(d, 2000, sum(0..1000) + sum(9000..10000));
}

#[test]
fn page_splits_commits_and_rollbacks_keep_a_memory_database_intact() {
    let d = memory_driver();
    exercise(&d);
}

#[test]
fn page_splits_commits_and_rollbacks_keep_a_file_database_intact() {
    let dir = TempDir::new("pcache");
    let d = file_driver(&dir, "db.sqlite");
    exercise(&d);
    // What was committed is what another connection reads from the file.
    d.disconnect();
    let again = file_driver(&dir, "db.sqlite");
    assert_intact(&again, 2000, sum(0..1000) + sum(9000..10000));
}
