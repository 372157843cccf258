//! The driver against a real libSQL server (`sqld` on 127.0.0.1): every kind of
//! operation over Hrana, transactions on their own streams, and the failures a remote
//! database adds (a dead server, an expired stream).

mod common;

use common::sqld::Sqld;
use common::*;
use objectql_turso_core::driver::{Call, Driver};
use objectql_turso_core::{ErrorCode, Value};

fn remote(sqld: &Sqld) -> Driver {
    driver(&sqld.url())
}

const TASK: &str = r#"[{"name":"task","fields":{"title":{"type":"text"},"n":{"type":"number"},"meta":{"type":"json"}}}]"#;

#[test]
fn crud_and_transactions_run_on_the_server() {
    let sqld = Sqld::start("crud");
    rt().block_on(async {
        let d = remote(&sqld);
        let objects = match v(TASK) {
            Value::Array(items) => items,
            _ => unreachable!(),
        };
        d.sync_schema(&objects).await.unwrap();
        let created = d
            .create(
                "task",
                rec(r#"{"title":"a","n":1,"meta":{"k":[1,2]}}"#),
                Call::default(),
            )
            .await
            .unwrap();
        let id = created.first_value("id").cloned().unwrap();
        let found = d.find("task", &v("{}"), Call::default()).await.unwrap();
        assert_eq!(found.rows.len(), 1);
        assert_eq!(d.count("task", &v("{}"), Call::default()).await.unwrap(), 1);

        let tx = d.begin_transaction().await.unwrap();
        d.create("task", rec(r#"{"title":"b","n":2}"#), Some(tx))
            .await
            .unwrap();
        // Outside the transaction its write is not seen.
        assert_eq!(d.count("task", &v("{}"), Call::default()).await.unwrap(), 1);
        d.rollback(tx).await.unwrap();
        assert_eq!(d.count("task", &v("{}"), Call::default()).await.unwrap(), 1);

        let tx = d.begin_transaction().await.unwrap();
        d.create("task", rec(r#"{"title":"c","n":3}"#), Some(tx))
            .await
            .unwrap();
        d.commit(tx).await.unwrap();
        assert_eq!(d.count("task", &v("{}"), Call::default()).await.unwrap(), 2);

        let (n, _) = d
            .bulk_create(
                "task",
                vec![batch(&["title", "n"], r#"[["x",10],["y",11]]"#)],
                false,
                Call::default(),
            )
            .await
            .unwrap();
        assert_eq!(n, 2);
        assert!(d.delete("task", &id, Call::default()).await.unwrap());
        assert_eq!(d.count("task", &v("{}"), Call::default()).await.unwrap(), 3);
    });
}

#[test]
fn a_restarted_server_is_reached_again_outside_transactions() {
    let mut sqld = Sqld::start("restart");
    let runtime = rt();
    let d = remote(&sqld);
    runtime.block_on(async {
        d.execute("CREATE TABLE t (x)", vec![], None).await.unwrap();
        d.execute("SELECT * FROM t", vec![], None).await.unwrap();
    });
    sqld.restart();
    runtime.block_on(async {
        // The stream the last query left open is gone with the old process.
        d.execute("INSERT INTO t VALUES (1)", vec![], None)
            .await
            .unwrap();
        let (rows, _) = d.execute("SELECT * FROM t", vec![], None).await.unwrap();
        assert_eq!(rows.rows.len(), 1);
    });
}

#[test]
fn a_dead_server_fails_to_connect() {
    let mut sqld = Sqld::start("dead");
    let url = sqld.url();
    sqld.stop();
    rt().block_on(async {
        let d = driver(&url);
        let err = d.connect().await.map(|_| ()).unwrap_err();
        assert_eq!(err.code, ErrorCode::ConnectionFailed, "{err:?}");
        assert!(!d.is_connected());
        // Data methods connect lazily and report the same; health is a plain false.
        let err = d.find("task", &Value::Null, None).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::ConnectionFailed, "{err:?}");
        let err = d.begin_transaction().await.unwrap_err();
        assert_eq!(err.code, ErrorCode::ConnectionFailed, "{err:?}");
        assert!(!d.check_health().await);
    });
}
