//! Transactions on database files (`database.rs`): a connection per transaction,
//! BEGIN IMMEDIATE, busy errors for writers outside, closed ids, disconnects, and a
//! second driver on the same WAL file. (`:memory:` transactions are in `memory.rs`.)

mod common;

use common::*;
use objectql_turso_core::driver::{Driver, Updated};
use objectql_turso_core::{ErrorCode, Value};

fn setup(tag: &str) -> (TempDir, Driver) {
    let dir = TempDir::new(tag);
    let d = file_driver(&dir, "db.sqlite");
    sync(&d, TASK_SCHEMA);
    create(&d, "task", r#"{"id":"base","title":"base","n":0}"#, None);
    (dir, d)
}

#[test]
fn commit_makes_writes_visible_outside() {
    let (_dir, d) = setup("tx-commit");
    let tx = run(d.begin_transaction()).unwrap();
    let row = create(
        &d,
        "task",
        r#"{"id":"in","title":"inside","done":true}"#,
        Some(tx),
    );
    assert_eq!(field(&row, "done"), Value::Bool(true));
    // Inside sees it, outside does not.
    assert_eq!(count(&d, "task", Some(tx)), 2);
    assert_eq!(count(&d, "task", None), 1);
    assert!(run(d.find_one("task", &"in".into(), None))
        .unwrap()
        .rows
        .is_empty());
    // Outside still reads the committed base row while the transaction is open.
    assert_eq!(
        ids(run(d.find("task", &Value::Null, None)).unwrap()),
        ["base"]
    );

    run(d.commit(tx)).unwrap();
    assert_eq!(count(&d, "task", None), 2);
    let row = only(run(d.find_one("task", &"in".into(), None)).unwrap());
    assert_eq!(text(&row, "title"), "inside");
}

#[test]
fn rollback_discards_writes() {
    let (_dir, d) = setup("tx-rollback");
    let tx = run(d.begin_transaction()).unwrap();
    create(&d, "task", r#"{"id":"in","title":"inside"}"#, Some(tx));
    run(d.update(
        "task",
        &"base".into(),
        rec(r#"{"title":"changed"}"#),
        Some(tx),
    ))
    .unwrap();
    assert!(run(d.delete("task", &"base".into(), Some(tx))).unwrap());
    // A bulk inside the transaction (a savepoint) goes with it.
    let (n, _) = run(d.bulk_create(
        "task",
        vec![batch(&["title"], r#"[["b1"],["b2"]]"#)],
        false,
        Some(tx),
    ))
    .unwrap();
    assert_eq!(n, 2);
    assert_eq!(count(&d, "task", Some(tx)), 3);
    run(d.rollback(tx)).unwrap();
    assert_eq!(
        ids(run(d.find("task", &Value::Null, None)).unwrap()),
        ["base"]
    );
    let base = only(run(d.find_one("task", &"base".into(), None)).unwrap());
    assert_eq!(text(&base, "title"), "base");
}

#[test]
fn every_data_method_honours_the_transaction() {
    let (_dir, d) = setup("tx-methods");
    let tx = run(d.begin_transaction()).unwrap();
    let t = Some(tx);
    create(
        &d,
        "task",
        r#"{"id":"a","title":"a","n":1,"status":"s"}"#,
        t,
    );
    run(d.upsert(
        "task",
        rec(r#"{"id":"b","title":"b","n":2,"status":"s"}"#),
        &[],
        t,
    ))
    .unwrap();
    run(d.upsert("task", rec(r#"{"id":"b","title":"b2"}"#), &[], t)).unwrap();
    let out = run(d.update("task", &"a".into(), rec(r#"{"n":10}"#), t)).unwrap();
    assert!(matches!(out, Updated::Row(_)));
    assert_eq!(
        run(d.update_many("task", &v(r#"{"status":"s"}"#), rec(r#"{"done":true}"#), t)).unwrap(),
        2
    );
    let (n, _) = run(d.bulk_create(
        "task",
        vec![batch(
            &["id", "title"],
            r#"[["c","c"],["d","d"],["e","e"]]"#,
        )],
        false,
        t,
    ))
    .unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        run(d.bulk_update("task", vec![("c".into(), rec(r#"{"n":3}"#))], false, t))
            .unwrap()
            .0,
        1
    );
    assert_eq!(run(d.bulk_delete("task", vec!["d".into()], t)).unwrap(), 1);
    assert_eq!(
        run(d.delete_many("task", &v(r#"{"id":"e"}"#), t)).unwrap(),
        1
    );
    let (_, changes) = run(d.execute(
        "UPDATE task SET status = ? WHERE id = ?",
        vec!["raw".into(), "c".into()],
        t,
    ))
    .unwrap();
    assert_eq!(changes.rows_affected, 1);

    // Reads inside see all of it ...
    assert_eq!(
        ids(run(d.find("task", &Value::Null, t)).unwrap()),
        ["a", "b", "base", "c"]
    );
    assert_eq!(run(d.count("task", &v(r#"{"done":true}"#), t)).unwrap(), 2);
    let mut statuses =
        run(d.distinct("task", "status", &v(r#"{"status":{"$ne":null}}"#), t)).unwrap();
    statuses.sort_by_key(Value::to_json);
    assert_eq!(statuses, [Value::from("raw"), Value::from("s")]);
    let sum =
        only(run(d.aggregate("task", &v(r#"{"aggregates":{"total":"SUM(n)"}}"#), t)).unwrap());
    assert_eq!(field(&sum, "total"), Value::Integer(15));
    let b = only(run(d.find_one("task", &"b".into(), t)).unwrap());
    assert_eq!(
        (text(&b, "title"), field(&b, "n")),
        ("b2".into(), Value::Integer(2))
    );
    assert!(!run(d.explain("task", &Value::Null, t))
        .unwrap()
        .rows
        .is_empty());
    let (rows, _) = run(d.execute("SELECT COUNT(*) FROM task", vec![], t)).unwrap();
    assert_eq!(rows.rows[0][0], Value::Integer(4));

    // ... and outside none of it.
    assert_eq!(
        ids(run(d.find("task", &Value::Null, None)).unwrap()),
        ["base"]
    );
    assert_eq!(
        run(d.count("task", &v(r#"{"done":true}"#), None)).unwrap(),
        0
    );
    let (rows, _) = run(d.execute("SELECT COUNT(*) FROM task", vec![], None)).unwrap();
    assert_eq!(rows.rows[0][0], Value::Integer(1));

    run(d.rollback(tx)).unwrap();
    assert_eq!(
        ids(run(d.find("task", &Value::Null, None)).unwrap()),
        ["base"]
    );
}

#[test]
fn outside_write_during_a_transaction_is_busy_then_succeeds() {
    let (_dir, d) = setup("tx-busy");
    let tx = run(d.begin_transaction()).unwrap();
    create(&d, "task", r#"{"id":"in","title":"inside"}"#, Some(tx));

    let started = std::time::Instant::now();
    let err = expect_err(
        run(d.create("task", rec(r#"{"id":"out","title":"outside"}"#), None)),
        ErrorCode::Busy,
    );
    assert!(err.is_busy());
    // It failed at once rather than waiting for the lock.
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    for result in [
        run(d.update("task", &"base".into(), rec(r#"{"n":5}"#), None)).map(|_| ()),
        run(d.delete("task", &"base".into(), None)).map(|_| ()),
        run(d.delete_many("task", &Value::Null, None)).map(|_| ()),
        run(d.execute("UPDATE task SET n = 9", vec![], None)).map(|_| ()),
        run(d.bulk_create("task", vec![batch(&["title"], r#"[["x"]]"#)], false, None)).map(|_| ()),
    ] {
        expect_err(result, ErrorCode::Busy);
    }
    // Reads outside are not blocked.
    assert_eq!(count(&d, "task", None), 1);

    run(d.commit(tx)).unwrap();
    // Nothing of the refused writes happened.
    assert_eq!(
        ids(run(d.find("task", &Value::Null, None)).unwrap()),
        ["base", "in"]
    );
    let base = only(run(d.find_one("task", &"base".into(), None)).unwrap());
    assert_eq!(field(&base, "n"), Value::Integer(0));
    // The retry succeeds now.
    create(&d, "task", r#"{"id":"out","title":"outside"}"#, None);
    assert_eq!(count(&d, "task", None), 3);
}

#[test]
fn a_second_transaction_waits_for_the_first() {
    let (_dir, d) = setup("tx-two");
    let first = run(d.begin_transaction()).unwrap();
    expect_err(run(d.begin_transaction()), ErrorCode::Busy);
    expect_err(run(d.begin_transaction()), ErrorCode::Busy);
    create(&d, "task", r#"{"id":"one","title":"1"}"#, Some(first));
    run(d.commit(first)).unwrap();

    let second = run(d.begin_transaction()).unwrap();
    assert_ne!(first, second);
    assert_eq!(count(&d, "task", Some(second)), 2);
    create(&d, "task", r#"{"id":"two","title":"2"}"#, Some(second));
    run(d.commit(second)).unwrap();
    assert_eq!(count(&d, "task", None), 3);

    // Many sequential transactions reuse connections without leaking locks.
    for i in 0..20 {
        let tx = run(d.begin_transaction()).unwrap();
        create(&d, "task", &format!(r#"{{"title":"loop {i}"}}"#), Some(tx));
        if i % 2 == 0 {
            run(d.commit(tx)).unwrap();
        } else {
            run(d.rollback(tx)).unwrap();
        }
    }
    assert_eq!(count(&d, "task", None), 13);
    create(&d, "task", r#"{"title":"outside"}"#, None);
}

#[test]
fn a_finished_transaction_id_is_a_driver_error() {
    let (_dir, d) = setup("tx-closed");
    let tx = run(d.begin_transaction()).unwrap();
    create(&d, "task", r#"{"id":"in","title":"inside"}"#, Some(tx));
    run(d.commit(tx)).unwrap();

    let err = expect_err(
        run(d.create("task", rec(r#"{"title":"late"}"#), Some(tx))),
        ErrorCode::Driver,
    );
    assert!(err.message.contains("not open"), "{}", err.message);
    expect_err(run(d.commit(tx)), ErrorCode::Driver);
    expect_err(run(d.rollback(tx)), ErrorCode::Driver);
    expect_err(
        run(d.find("task", &Value::Null, Some(tx))),
        ErrorCode::Driver,
    );
    expect_err(
        run(d.count("task", &Value::Null, Some(tx))),
        ErrorCode::Driver,
    );
    expect_err(
        run(d.execute("SELECT 1", vec![], Some(tx))),
        ErrorCode::Driver,
    );
    expect_err(
        run(d.bulk_delete("task", vec!["in".into()], Some(tx))),
        ErrorCode::Driver,
    );
    // Never-issued ids too.
    expect_err(run(d.commit(9999)), ErrorCode::Driver);
    expect_err(
        run(d.find("task", &Value::Null, Some(12345))),
        ErrorCode::Driver,
    );

    let rolled = run(d.begin_transaction()).unwrap();
    run(d.rollback(rolled)).unwrap();
    expect_err(
        run(d.delete("task", &"in".into(), Some(rolled))),
        ErrorCode::Driver,
    );
    expect_err(run(d.rollback(rolled)), ErrorCode::Driver);
    // Nothing late was written.
    assert_eq!(
        ids(run(d.find("task", &Value::Null, None)).unwrap()),
        ["base", "in"]
    );
}

#[test]
fn bulk_create_failure_inside_a_transaction_undoes_only_the_bulk() {
    let (_dir, d) = setup("tx-bulk");
    let tx = run(d.begin_transaction()).unwrap();
    create(&d, "task", r#"{"id":"early","title":"early"}"#, Some(tx));
    for returning in [false, true] {
        expect_err(
            run(d.bulk_create("task", vec![batch_failing_at_row_3()], returning, Some(tx))),
            ErrorCode::Query,
        );
        assert_eq!(
            ids(run(d.find("task", &Value::Null, Some(tx))).unwrap()),
            ["base", "early"]
        );
    }
    // bulk_update / bulk_delete failures likewise.
    expect_err(
        run(d.bulk_update(
            "task",
            vec![
                ("early".into(), rec(r#"{"n":1}"#)),
                ("base".into(), rec(r#"{"title":null}"#)),
            ],
            false,
            Some(tx),
        )),
        ErrorCode::Query,
    );
    let early = only(run(d.find_one("task", &"early".into(), Some(tx))).unwrap());
    assert_eq!(field(&early, "n"), Value::Null);
    // The transaction is still open and usable; a good bulk goes in.
    let (n, _) = run(d.bulk_create(
        "task",
        vec![batch(&["id", "title"], r#"[["g1","g"],["g2","g"]]"#)],
        true,
        Some(tx),
    ))
    .unwrap();
    assert_eq!(n, 2);
    create(&d, "task", r#"{"id":"later","title":"later"}"#, Some(tx));
    assert_eq!(count(&d, "task", None), 1);
    run(d.commit(tx)).unwrap();
    assert_eq!(
        ids(run(d.find("task", &Value::Null, None)).unwrap()),
        ["base", "early", "g1", "g2", "later"]
    );
}

#[test]
fn a_failed_statement_inside_a_transaction_keeps_it_open() {
    let (_dir, d) = setup("tx-failed-stmt");
    let tx = run(d.begin_transaction()).unwrap();
    create(&d, "task", r#"{"id":"a","title":"a"}"#, Some(tx));
    expect_err(
        run(d.create("task", rec(r#"{"id":"a","title":"dup"}"#), Some(tx))),
        ErrorCode::UniqueViolation,
    );
    expect_err(
        run(d.find("task", &v(r#"{"where":{"nosuch":1}}"#), Some(tx))),
        ErrorCode::Query,
    );
    create(&d, "task", r#"{"id":"b","title":"b"}"#, Some(tx));
    run(d.commit(tx)).unwrap();
    assert_eq!(count(&d, "task", None), 3);
}

#[test]
fn disconnect_rolls_back_open_transactions_and_reconnect_works() {
    let (_dir, d) = setup("tx-disconnect");
    let tx = run(d.begin_transaction()).unwrap();
    create(&d, "task", r#"{"id":"lost","title":"lost"}"#, Some(tx));
    d.disconnect();
    assert!(!d.is_connected());
    // The transaction died with its session; its id does not reconnect.
    expect_err(
        run(d.create("task", rec(r#"{"title":"x"}"#), Some(tx))),
        ErrorCode::Driver,
    );
    expect_err(run(d.commit(tx)), ErrorCode::Driver);
    assert!(!d.is_connected());

    // Reconnects lazily; the write lock was released with the connection.
    assert_eq!(
        ids(run(d.find("task", &Value::Null, None)).unwrap()),
        ["base"]
    );
    create(&d, "task", r#"{"id":"after","title":"after"}"#, None);
    let tx = run(d.begin_transaction()).unwrap();
    create(&d, "task", r#"{"id":"tx2","title":"tx2"}"#, Some(tx));
    run(d.commit(tx)).unwrap();
    assert_eq!(count(&d, "task", None), 3);

    // Explicit connect is idempotent.
    run(d.connect()).unwrap();
    run(d.connect()).unwrap();
    assert_eq!(count(&d, "task", None), 3);
}

#[test]
fn a_second_driver_on_the_same_file_sees_commits_and_gets_busy() {
    let dir = TempDir::new("two-drivers");
    let a = file_driver(&dir, "shared.db");
    let b = file_driver(&dir, "shared.db");
    sync(&a, TASK_SCHEMA);
    create(&a, "task", r#"{"id":"a1","title":"from a"}"#, None);
    // b sees a's committed row (without its own sync_schema).
    let row = only(run(b.find_one("task", &"a1".into(), None)).unwrap());
    assert_eq!(text(&row, "title"), "from a");

    let tx = run(a.begin_transaction()).unwrap();
    create(&a, "task", r#"{"id":"a2","title":"uncommitted"}"#, Some(tx));
    // b reads the committed state only ...
    assert_eq!(count(&b, "task", None), 1);
    // ... and cannot write or begin until a commits.
    expect_err(
        run(b.create("task", rec(r#"{"id":"b1","title":"from b"}"#), None)),
        ErrorCode::Busy,
    );
    expect_err(run(b.begin_transaction()), ErrorCode::Busy);
    expect_err(
        run(b.execute("DELETE FROM task", vec![], None)),
        ErrorCode::Busy,
    );
    run(a.commit(tx)).unwrap();

    assert_eq!(count(&b, "task", None), 2);
    create(&b, "task", r#"{"id":"b1","title":"from b"}"#, None);
    assert_eq!(count(&a, "task", None), 3);

    // The other way round: b's transaction blocks a's writes.
    let tx = run(b.begin_transaction()).unwrap();
    run(b.delete("task", &"a1".into(), Some(tx))).unwrap();
    expect_err(
        run(a.update("task", &"a1".into(), rec(r#"{"n":1}"#), None)),
        ErrorCode::Busy,
    );
    assert_eq!(count(&a, "task", None), 3);
    run(b.rollback(tx)).unwrap();
    assert!(matches!(
        run(a.update("task", &"a1".into(), rec(r#"{"n":1}"#), None)).unwrap(),
        Updated::Row(_)
    ));
    // A transaction id of one driver means nothing to the other (b has none open).
    let tx = run(a.begin_transaction()).unwrap();
    expect_err(
        run(b.create("task", rec(r#"{"title":"x"}"#), Some(tx))),
        ErrorCode::Driver,
    );
    expect_err(run(b.commit(tx)), ErrorCode::Driver);
    run(a.rollback(tx)).unwrap();
    assert_eq!(count(&b, "task", None), 3);
}

#[test]
fn a_second_driver_sees_the_first_drivers_new_columns() {
    let dir = TempDir::new("two-drivers-ddl");
    let a = file_driver(&dir, "shared.db");
    let b = file_driver(&dir, "shared.db");
    sync(&a, TASK_SCHEMA);
    create(&a, "task", r#"{"id":"r","title":"row"}"#, None);
    // b caches `SELECT * ... WHERE id = ?` for the old shape.
    let before = only(run(b.find_one("task", &"r".into(), None)).unwrap());
    assert_eq!(before.as_object().unwrap().len(), 6);

    sync(
        &a,
        r#"[{"name":"task","fields":{"extra":{"type":"text","defaultValue":"e"}}}]"#,
    );
    let after = only(run(b.find_one("task", &"r".into(), None)).unwrap());
    assert_eq!(field(&after, "extra"), Value::from("e"), "{after:?}");
}

#[test]
fn transactions_on_separate_files_do_not_block_each_other() {
    let dir = TempDir::new("two-files");
    let a = file_driver(&dir, "a.db");
    let b = file_driver(&dir, "b.db");
    sync(&a, TASK_SCHEMA);
    sync(&b, TASK_SCHEMA);
    let ta = run(a.begin_transaction()).unwrap();
    let tb = run(b.begin_transaction()).unwrap();
    create(&a, "task", r#"{"title":"a"}"#, Some(ta));
    create(&b, "task", r#"{"title":"b"}"#, Some(tb));
    run(a.commit(ta)).unwrap();
    run(b.rollback(tb)).unwrap();
    assert_eq!(count(&a, "task", None), 1);
    assert_eq!(count(&b, "task", None), 0);
}

#[test]
fn a_second_driver_sees_the_first_drivers_dropped_columns() {
    let dir = TempDir::new("two-drivers-drop");
    let a = file_driver(&dir, "shared.db");
    let b = file_driver(&dir, "shared.db");
    sync(&a, TASK_SCHEMA);
    create(
        &a,
        "task",
        r#"{"id":"r","title":"row","n":1,"status":"open"}"#,
        None,
    );
    let before = only(run(b.find_one("task", &"r".into(), None)).unwrap());
    assert_eq!(field(&before, "n"), Value::Integer(1));

    run(a.execute("ALTER TABLE task DROP COLUMN n", vec![], None)).unwrap();
    let after = only(run(b.find_one("task", &"r".into(), None)).unwrap());
    // Every value under its own column name, nothing shifted.
    assert_eq!(
        after,
        v(r#"{"id":"r","title":"row","done":null,"meta":null,"status":"open"}"#)
    );
}

#[test]
fn a_rolled_back_schema_change_does_not_leave_stale_statements() {
    let (_dir, d) = setup("tx-ddl-rollback");
    run(d.update("task", &"base".into(), rec(r#"{"n":7,"status":"s"}"#), None)).unwrap();
    let tx = run(d.begin_transaction()).unwrap();
    run(d.execute("ALTER TABLE task DROP COLUMN n", vec![], Some(tx))).unwrap();
    // Caches `SELECT *` on the transaction's connection for the 5-column shape.
    let inside = only(run(d.find_one("task", &"base".into(), Some(tx))).unwrap());
    assert!(inside.as_object().unwrap().iter().all(|(k, _)| k != "n"));
    run(d.rollback(tx)).unwrap();

    let expected = v(r#"{"id":"base","title":"base","n":7,"done":null,"meta":null,"status":"s"}"#);
    assert_eq!(
        only(run(d.find_one("task", &"base".into(), None)).unwrap()),
        expected
    );
    // The next transaction gets the pooled connection back.
    let tx = run(d.begin_transaction()).unwrap();
    let row = only(run(d.find_one("task", &"base".into(), Some(tx))).unwrap());
    run(d.rollback(tx)).unwrap();
    assert_eq!(row, expected);
}

#[test]
fn a_schema_change_committed_by_a_transaction_reaches_outside_reads() {
    let (_dir, d) = setup("tx-ddl-commit");
    let tx = run(d.begin_transaction()).unwrap();
    run(d.execute(
        "ALTER TABLE task ADD COLUMN extra TEXT DEFAULT 'e'",
        vec![],
        Some(tx),
    ))
    .unwrap();
    // An outside read while the transaction is open sees (and caches) the old shape.
    let outside = only(run(d.find_one("task", &"base".into(), None)).unwrap());
    assert!(outside
        .as_object()
        .unwrap()
        .iter()
        .all(|(k, _)| k != "extra"));
    run(d.commit(tx)).unwrap();

    let after = only(run(d.find_one("task", &"base".into(), None)).unwrap());
    assert_eq!(field(&after, "extra"), Value::from("e"), "{after:?}");
}

#[test]
fn a_pooled_transaction_connection_sees_columns_added_by_sync_schema() {
    let (_dir, d) = setup("tx-pooled-schema");
    let tx = run(d.begin_transaction()).unwrap();
    // Nothing cached, but the connection has loaded the schema.
    assert_eq!(count(&d, "task", Some(tx)), 1);
    run(d.commit(tx)).unwrap();
    sync(
        &d,
        r#"[{"name":"task","fields":{"extra":{"type":"json","defaultValue":{"k":1}}}}]"#,
    );
    assert_eq!(
        field(&all(&d, "task", None)[0], "extra"),
        v(r#"{"k":1}"#),
        "main connection"
    );
    let tx = run(d.begin_transaction()).unwrap();
    let rows = all(&d, "task", Some(tx));
    let created = create(&d, "task", r#"{"title":"t"}"#, Some(tx));
    run(d.rollback(tx)).unwrap();
    assert_eq!(field(&rows[0], "extra"), v(r#"{"k":1}"#), "{rows:?}");
    assert_eq!(field(&created, "extra"), v(r#"{"k":1}"#), "{created:?}");
}

#[test]
fn a_pooled_transaction_connection_can_write_columns_added_by_sync_schema() {
    let (_dir, d) = setup("tx-pooled-write");
    let tx = run(d.begin_transaction()).unwrap();
    assert_eq!(count(&d, "task", Some(tx)), 1);
    run(d.commit(tx)).unwrap();
    sync(
        &d,
        r#"[{"name":"task","fields":{"title":{"type":"text","required":true},"extra":{"type":"text"}}}]"#,
    );
    let tx = run(d.begin_transaction()).unwrap();
    run(d.create(
        "task",
        rec(r#"{"id":"x","title":"t","extra":"e"}"#),
        Some(tx),
    ))
    .unwrap();
    run(d.update_many(
        "task",
        &v(r#"{"extra":"e"}"#),
        rec(r#"{"extra":"f"}"#),
        Some(tx),
    ))
    .unwrap();
    run(d.commit(tx)).unwrap();
    let row = only(run(d.find_one("task", &"x".into(), None)).unwrap());
    assert_eq!(field(&row, "extra"), Value::from("f"));
}

#[test]
fn sync_schema_waits_for_an_open_transaction() {
    let (_dir, d) = setup("tx-sync");
    let tx = run(d.begin_transaction()).unwrap();
    let objects =
        v(r#"[{"name":"task","fields":{"extra":{"type":"boolean"}}},{"name":"more","fields":{}}]"#);
    expect_err(
        run(d.sync_schema(objects.as_array().unwrap())),
        ErrorCode::Busy,
    );
    // Nothing of it happened, and the transaction is intact.
    create(&d, "task", r#"{"id":"in","title":"in"}"#, Some(tx));
    run(d.commit(tx)).unwrap();
    expect_err(run(d.count("more", &Value::Null, None)), ErrorCode::Query);
    run(d.sync_schema(objects.as_array().unwrap())).unwrap();
    assert_eq!(count(&d, "more", None), 0);
    let row = create(&d, "task", r#"{"title":"t","extra":1}"#, None);
    assert_eq!(field(&row, "extra"), Value::Bool(true));
}
