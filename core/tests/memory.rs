//! `:memory:` databases: plain memory until the first transaction, then a private WAL
//! scratch file (`/dev/shm` or the temp dir) named `objectql-memory-<pid>-*`, removed when
//! the driver disconnects or is dropped.
//!
//! The tests here look for this process's scratch files, so they run one at a time.

mod common;

use std::sync::{Mutex, MutexGuard};

use common::*;
use objectql_turso_core::driver::Driver;
use objectql_turso_core::{ErrorCode, Value};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// This process's scratch files (database, -wal, -shm, ...), sorted.
fn scratch_files() -> Vec<String> {
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let prefix = format!("objectql-memory-{}-", std::process::id());
    let mut out: Vec<String> = std::fs::read_dir(&dir)
        .expect("list scratch dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&prefix))
        .collect();
    out.sort();
    out
}

fn seeded() -> Driver {
    let d = memory_driver();
    sync(&d, TASK_SCHEMA);
    create(
        &d,
        "task",
        r#"{"id":"pre","title":"before any transaction","meta":{"a":[1]},"done":true}"#,
        None,
    );
    d
}

#[test]
fn data_moves_to_a_scratch_file_on_the_first_transaction_and_it_is_removed() {
    let _serial = serial();
    let d = seeded();
    assert_eq!(
        scratch_files(),
        Vec::<String>::new(),
        "no file before a transaction"
    );

    let tx = run(d.begin_transaction()).unwrap();
    let files = scratch_files();
    assert!(
        files.iter().any(|f| f.ends_with(".db")),
        "a scratch database exists during the transaction: {files:?}"
    );
    // Data from before the move is visible inside and outside, kinds still apply.
    let pre = only(run(d.find_one("task", &"pre".into(), Some(tx))).unwrap());
    assert_eq!(field(&pre, "meta"), v(r#"{"a":[1]}"#));
    assert_eq!(field(&pre, "done"), Value::Bool(true));
    assert_eq!(count(&d, "task", None), 1);
    create(&d, "task", r#"{"id":"in","title":"inside"}"#, Some(tx));
    run(d.commit(tx)).unwrap();
    assert_eq!(
        ids(run(d.find("task", &Value::Null, None)).unwrap()),
        ["in", "pre"]
    );

    // Later transactions reuse the same scratch file.
    let tx = run(d.begin_transaction()).unwrap();
    create(&d, "task", r#"{"id":"in2","title":"inside"}"#, Some(tx));
    run(d.commit(tx)).unwrap();
    assert_eq!(scratch_files(), files);
    assert_eq!(count(&d, "task", None), 3);

    d.disconnect();
    assert_eq!(
        scratch_files(),
        Vec::<String>::new(),
        "removed on disconnect"
    );

    // Reconnecting gives a fresh, private in-memory database that still works.
    sync(&d, TASK_SCHEMA);
    assert_eq!(count(&d, "task", None), 0);
    create(&d, "task", r#"{"title":"new life"}"#, None);
    let tx = run(d.begin_transaction()).unwrap();
    create(&d, "task", r#"{"title":"in new tx"}"#, Some(tx));
    run(d.commit(tx)).unwrap();
    assert_eq!(count(&d, "task", None), 2);
    d.disconnect();
    assert_eq!(scratch_files(), Vec::<String>::new());
}

#[test]
fn isolation_busy_and_rollback_on_memory() {
    let _serial = serial();
    let d = seeded();
    let tx = run(d.begin_transaction()).unwrap();
    create(&d, "task", r#"{"id":"in","title":"inside"}"#, Some(tx));
    assert_eq!(count(&d, "task", Some(tx)), 2);
    // Outside: no uncommitted rows; writes fail at once with Busy.
    assert_eq!(
        ids(run(d.find("task", &Value::Null, None)).unwrap()),
        ["pre"]
    );
    expect_err(
        run(d.create("task", rec(r#"{"id":"out","title":"outside"}"#), None)),
        ErrorCode::Busy,
    );
    expect_err(run(d.begin_transaction()), ErrorCode::Busy);
    run(d.commit(tx)).unwrap();
    assert_eq!(
        ids(run(d.find("task", &Value::Null, None)).unwrap()),
        ["in", "pre"]
    );
    create(&d, "task", r#"{"id":"out","title":"outside"}"#, None);

    let tx = run(d.begin_transaction()).unwrap();
    assert!(run(d.delete("task", &"pre".into(), Some(tx))).unwrap());
    create(&d, "task", r#"{"id":"gone","title":"gone"}"#, Some(tx));
    run(d.rollback(tx)).unwrap();
    assert_eq!(
        ids(run(d.find("task", &Value::Null, None)).unwrap()),
        ["in", "out", "pre"]
    );
    expect_err(run(d.commit(tx)), ErrorCode::Driver);
    expect_err(
        run(d.create("task", rec(r#"{"title":"late"}"#), Some(tx))),
        ErrorCode::Driver,
    );

    // bulk atomicity inside a transaction on the scratch file.
    let tx = run(d.begin_transaction()).unwrap();
    create(&d, "task", r#"{"id":"early","title":"early"}"#, Some(tx));
    expect_err(
        run(d.bulk_create(
            "task",
            vec![batch(&["title"], r#"[["a"],["b"],[null],["d"],["e"]]"#)],
            false,
            Some(tx),
        )),
        ErrorCode::Query,
    );
    run(d.commit(tx)).unwrap();
    assert_eq!(count(&d, "task", None), 4);
    drop(d);
    assert_eq!(scratch_files(), Vec::<String>::new(), "removed on drop");
}

#[test]
fn disconnect_with_an_open_transaction_removes_the_scratch_file() {
    let _serial = serial();
    let d = seeded();
    let tx = run(d.begin_transaction()).unwrap();
    create(&d, "task", r#"{"title":"never committed"}"#, Some(tx));
    assert!(!scratch_files().is_empty());
    d.disconnect();
    assert_eq!(scratch_files(), Vec::<String>::new());
    expect_err(run(d.commit(tx)), ErrorCode::Driver);
    // Usable again.
    sync(&d, TASK_SCHEMA);
    assert_eq!(count(&d, "task", None), 0);
}

#[test]
fn memory_databases_are_private_to_their_driver() {
    let _serial = serial();
    // Without a transaction the data lives in plain memory: gone after a disconnect.
    let gone = seeded();
    gone.disconnect();
    expect_err(
        run(gone.count("task", &Value::Null, None)),
        ErrorCode::Query,
    );

    let a = seeded();
    let b = memory_driver();
    expect_err(run(b.count("task", &Value::Null, None)), ErrorCode::Query);
    sync(&b, TASK_SCHEMA);
    assert_eq!(count(&b, "task", None), 0);
    // After both moved to scratch files, still private (and not blocking each other).
    let ta = run(a.begin_transaction()).unwrap();
    let tb = run(b.begin_transaction()).unwrap();
    create(&b, "task", r#"{"title":"b"}"#, Some(tb));
    run(b.commit(tb)).unwrap();
    run(a.rollback(ta)).unwrap();
    assert_eq!(
        ids(run(a.find("task", &Value::Null, None)).unwrap()),
        ["pre"]
    );
    assert_eq!(count(&b, "task", None), 1);
    a.disconnect();
    b.disconnect();
    assert_eq!(scratch_files(), Vec::<String>::new());
}

#[test]
fn schema_changes_before_and_after_the_move() {
    let _serial = serial();
    let d = seeded();
    // Cache `SELECT *` on plain memory, then move, then change the schema.
    assert_eq!(all(&d, "task", None)[0].as_object().unwrap().len(), 6);
    let tx = run(d.begin_transaction()).unwrap();
    run(d.commit(tx)).unwrap();
    sync(
        &d,
        r#"[{"name":"task","fields":{"extra":{"type":"integer","defaultValue":1}}}]"#,
    );
    let rows = all(&d, "task", None);
    assert_eq!(field(&rows[0], "extra"), Value::Integer(1));
    let schema = run(d.introspect()).unwrap();
    assert!(schema.get("tables").unwrap().get("task").is_some());
    d.disconnect();
    assert_eq!(scratch_files(), Vec::<String>::new());
}

#[test]
fn a_pooled_transaction_connection_sees_columns_added_later() {
    let _serial = serial();
    let d = seeded();
    // The first transaction opens (and pools) a connection that loads the schema.
    let tx = run(d.begin_transaction()).unwrap();
    assert_eq!(all(&d, "task", Some(tx))[0].as_object().unwrap().len(), 6);
    run(d.commit(tx)).unwrap();
    sync(
        &d,
        r#"[{"name":"task","fields":{"extra":{"type":"integer","defaultValue":1}}}]"#,
    );
    let tx = run(d.begin_transaction()).unwrap();
    let rows = all(&d, "task", Some(tx));
    run(d.rollback(tx)).unwrap();
    assert_eq!(field(&rows[0], "extra"), Value::Integer(1), "{rows:?}");
    d.disconnect();
}

#[test]
fn temp_tables_survive_the_move_of_memory_to_its_scratch_file() {
    let _serial = serial();
    let d = memory_driver();
    sync(&d, TASK_SCHEMA);
    for sql in [
        "CREATE TEMP TABLE scratch (k TEXT PRIMARY KEY, v INTEGER)",
        "CREATE INDEX scratch_v ON scratch (v)",
        "INSERT INTO scratch VALUES ('a', 1), ('b', 2)",
        "CREATE TEMP VIEW big AS SELECT k FROM scratch WHERE v > 1",
    ] {
        run(d.execute(sql, vec![], None)).unwrap();
    }
    // The first transaction moves the database to a file; the TEMP objects come along.
    let tx = run(d.begin_transaction()).unwrap();
    run(d.commit(tx)).unwrap();
    let (rows, _) = run(d.execute("SELECT k FROM big", vec![], None)).unwrap();
    assert_eq!(
        records(rows)
            .iter()
            .map(|r| text(r, "k"))
            .collect::<Vec<_>>(),
        ["b"]
    );
    let (rows, _) = run(d.execute(
        "SELECT count(*) AS n FROM temp.sqlite_master WHERE name IN ('scratch', 'scratch_v', 'big')",
        vec![],
        None,
    ))
    .unwrap();
    assert_eq!(field(&only(rows), "n"), Value::Integer(3));
    // Still TEMP: the file does not hold them.
    let (rows, _) = run(d.execute(
        "SELECT count(*) AS n FROM main.sqlite_master WHERE name = 'scratch'",
        vec![],
        None,
    ))
    .unwrap();
    assert_eq!(field(&only(rows), "n"), Value::Integer(0));
    d.disconnect();
}
