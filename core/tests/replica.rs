//! Embedded replicas against a real libSQL server: reads from the local file, writes
//! forwarded to the primary and seen by the next read, `sync()`, and reads while the
//! primary is down.

mod common;

use common::sqld::Sqld;
use common::*;
use objectql_turso_core::driver::{Call, Driver};
use objectql_turso_core::{ErrorCode, Value};

fn replica(dir: &TempDir, primary: &Sqld, on_connect: bool) -> Driver {
    let cfg = format!(
        r#"{{"url":"{}","syncUrl":"{}","sync":{{"onConnect":{on_connect}}}}}"#,
        dir.url("replica.db"),
        primary.url()
    );
    Driver::new(objectql_turso_core::config::DriverConfig::from_value(&v(&cfg)).unwrap())
}

const NOTE: &str = r#"[{"name":"note","fields":{"body":{"type":"text"}}}]"#;

fn objects() -> Vec<Value> {
    match v(NOTE) {
        Value::Array(items) => items,
        _ => unreachable!(),
    }
}

fn count(rows: &objectql_turso_core::rows::RowSet) -> usize {
    rows.rows.len()
}

#[test]
fn reads_are_local_and_writes_reach_the_primary_and_the_next_read() {
    let primary = Sqld::start("replica-primary");
    let dir = TempDir::new("replica");
    rt().block_on(async {
        let writer = driver(&primary.url());
        writer.sync_schema(&objects()).await.unwrap();
        writer
            .create(
                "note",
                rec(r#"{"body":"from the primary"}"#),
                Call::default(),
            )
            .await
            .unwrap();

        let r = replica(&dir, &primary, true);
        r.sync_schema(&objects()).await.unwrap();
        assert_eq!(
            count(&r.find("note", &v("{}"), Call::default()).await.unwrap()),
            1
        );

        // The same statement run again with another id reads that id's row.
        for body in ["first", "second", "third"] {
            let id = Value::from(body);
            r.create(
                "note",
                rec(&format!(r#"{{"id":"{body}","body":"{body}"}}"#)),
                Call::default(),
            )
            .await
            .unwrap();
            let row = r.find_one("note", &id, Call::default()).await.unwrap();
            assert_eq!(row.first_value("body"), Some(&Value::from(body)));
        }
        for body in ["first", "second", "third"] {
            let row = r
                .find_one("note", &Value::from(body), Call::default())
                .await
                .unwrap();
            assert_eq!(row.first_value("body"), Some(&Value::from(body)));
            r.delete("note", &Value::from(body), Call::default())
                .await
                .unwrap();
        }

        // Read-your-writes: the replica's own write is seen by its next read.
        r.create(
            "note",
            rec(r#"{"body":"through the replica"}"#),
            Call::default(),
        )
        .await
        .unwrap();
        assert_eq!(
            count(&r.find("note", &v("{}"), Call::default()).await.unwrap()),
            2
        );
        assert_eq!(
            count(
                &writer
                    .find("note", &v("{}"), Call::default())
                    .await
                    .unwrap()
            ),
            2
        );

        // The primary's refusal is the caller's error, not a connection failure.
        let err = r
            .create("note", rec(r#"{"id":"dup","body":"a"}"#), Call::default())
            .await
            .and(
                r.create("note", rec(r#"{"id":"dup","body":"b"}"#), Call::default())
                    .await,
            )
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::UniqueViolation, "{err:?}");
        r.delete("note", &Value::from("dup"), Call::default())
            .await
            .unwrap();

        // A write made elsewhere arrives with sync().
        writer
            .create("note", rec(r#"{"body":"later"}"#), Call::default())
            .await
            .unwrap();
        assert_eq!(
            count(&r.find("note", &v("{}"), Call::default()).await.unwrap()),
            2
        );
        let (_, frames) = r.sync().await.unwrap().expect("a replica syncs");
        assert!(frames > 0);
        assert_eq!(
            count(&r.find("note", &v("{}"), Call::default()).await.unwrap()),
            3
        );

        // A transaction runs on the primary and lands on commit.
        let tx = r.begin_transaction().await.unwrap();
        r.create("note", rec(r#"{"body":"in a transaction"}"#), Some(tx))
            .await
            .unwrap();
        r.commit(tx).await.unwrap();
        assert_eq!(
            count(&r.find("note", &v("{}"), Call::default()).await.unwrap()),
            4
        );
    });
}

#[test]
fn a_replica_serves_reads_while_its_primary_is_down() {
    let mut primary = Sqld::start("replica-down");
    let dir = TempDir::new("replica-down");
    let runtime = rt();
    let r = replica(&dir, &primary, true);
    runtime.block_on(async {
        r.sync_schema(&objects()).await.unwrap();
        r.create("note", rec(r#"{"body":"kept"}"#), Call::default())
            .await
            .unwrap();
    });
    primary.stop();
    runtime.block_on(async {
        assert_eq!(
            count(&r.find("note", &v("{}"), Call::default()).await.unwrap()),
            1
        );
        let err = r.sync().await.unwrap_err();
        assert_eq!(err.code, ErrorCode::ConnectionFailed, "{err:?}");
        let err = r
            .create("note", rec(r#"{"body":"lost?"}"#), Call::default())
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::ConnectionFailed, "{err:?}");
        assert_eq!(
            count(&r.find("note", &v("{}"), Call::default()).await.unwrap()),
            1
        );
    });
    // A new driver on the same file opens from the file alone when told not to sync first.
    r.disconnect();
    runtime.block_on(async {
        let err = replica(&dir, &primary, true)
            .connect()
            .await
            .map(|_| ())
            .unwrap_err();
        assert!(err.message.contains("onConnect"), "{}", err.message);
        let offline = replica(&dir, &primary, false);
        assert_eq!(
            count(
                &offline
                    .find("note", &v("{}"), Call::default())
                    .await
                    .unwrap()
            ),
            1
        );
    });
}

#[test]
fn a_local_database_has_nothing_to_sync() {
    rt().block_on(async {
        assert_eq!(memory_driver().sync().await.unwrap(), None);
    });
}
