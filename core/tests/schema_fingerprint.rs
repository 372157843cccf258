//! The schema fingerprint (`schema::fingerprint`): a database synced to the same
//! definitions, untouched since, is synced without DDL; DDL by anyone makes the next sync
//! look again. On local files and on a real libSQL server alike.
//!
//! What shows that no DDL ran, without trusting the driver's word: a sync of an existing
//! table rewrites date-times stored in older forms (`canonicalise_temporal_columns`), so
//! a row planted in such a form after the first sync survives a sync that skipped the
//! work and is rewritten by one that did it; and on a file, a read-only connection can
//! sync only where no statement writes.

mod common;

use common::sqld::Sqld;
use common::*;
use objectql_turso_core::driver::{Call, Driver};
use objectql_turso_core::{Result, Value};

const EVENT: &str =
    r#"[{"name":"event","fields":{"title":{"type":"text"},"at":{"type":"datetime"}}}]"#;
const EVENT_WITH_PLACE: &str = r#"[{"name":"event","fields":{"title":{"type":"text"},"at":{"type":"datetime"},"place":{"type":"text"}}}]"#;

const PLANTED: &str = "2024-01-02 03:04:05";
const CANONICAL: &str = "2024-01-02T03:04:05.000Z";

fn kernel(url: &str) -> Driver {
    let cfg = format!(r#"{{"url":"{url}","contract":"objectstack"}}"#);
    Driver::new(objectql_turso_core::config::DriverConfig::from_value(&v(&cfg)).unwrap())
}

fn objects(schema: &str) -> Vec<Value> {
    v(schema).as_array().expect("schema is an array").to_vec()
}

async fn sync_with(d: &Driver, schema: &str) -> Result<()> {
    d.sync_schema(&objects(schema)).await
}

async fn raw(d: &Driver, statement: &str) -> Vec<Value> {
    let (rows, _) = d.execute(statement, vec![], None).await.expect(statement);
    rows.into_records()
}

async fn stored_at(d: &Driver) -> Value {
    let rows = raw(d, "SELECT at FROM event WHERE id = 'e1'").await;
    field(&rows[0], "at")
}

/// Each step with a fresh driver (a fresh catalog, as a new process or a new tenant
/// driver has): only what the database holds decides.
async fn fingerprint_decides(url: &str) {
    let first = kernel(url);
    sync_with(&first, EVENT).await.unwrap();
    raw(
        &first,
        &format!("INSERT INTO event (id, title, at) VALUES ('e1', 'a', '{PLANTED}')"),
    )
    .await;
    first.disconnect();

    // Same definitions, nothing changed: no sync work ran, the planted row is as it was.
    let again = kernel(url);
    sync_with(&again, EVENT).await.unwrap();
    assert_eq!(stored_at(&again).await, Value::from(PLANTED));
    // ... and the driver knows the object as synced: its kinds read the row.
    let found = again
        .find("event", &v("{}"), Call::default())
        .await
        .unwrap();
    assert_eq!(found.into_records().len(), 1);
    again.disconnect();

    // DDL outside the driver bumps the cookie: the next sync does the work.
    let outside = kernel(url);
    raw(&outside, "CREATE INDEX by_hand ON event (title)").await;
    outside.disconnect();
    let checked = kernel(url);
    sync_with(&checked, EVENT).await.unwrap();
    assert_eq!(stored_at(&checked).await, Value::from(CANONICAL));

    // A table dropped by hand is made again.
    raw(&checked, "DROP TABLE event").await;
    checked.disconnect();
    let remade = kernel(url);
    sync_with(&remade, EVENT).await.unwrap();
    assert!(raw(&remade, "SELECT * FROM event").await.is_empty());

    // Changed definitions: the new column is made.
    sync_with(&remade, EVENT_WITH_PLACE).await.unwrap();
    raw(&remade, "SELECT place FROM event").await;

    // The driver's table is there, and never listed as one of the app's.
    let listed = remade.introspect().await.unwrap();
    let tables = field(&listed, "tables");
    let names: Vec<&str> = tables
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(names, ["event"]);
    let stored = raw(
        &remade,
        "SELECT name FROM sqlite_master WHERE name = '_objectql_schema'",
    )
    .await;
    assert_eq!(stored.len(), 1);
    remade.disconnect();
}

#[test]
fn a_file_is_synced_without_ddl_until_its_schema_changes() {
    let dir = TempDir::new("fingerprint");
    rt().block_on(fingerprint_decides(&dir.url("app.db")));
}

#[test]
fn a_server_database_is_synced_without_ddl_until_its_schema_changes() {
    let sqld = Sqld::start("fingerprint");
    rt().block_on(fingerprint_decides(&sqld.url()));
}

#[test]
fn a_read_only_file_syncs_only_when_nothing_needs_writing() {
    let dir = TempDir::new("fingerprint-ro");
    let url = dir.url("app.db");
    let read_only = format!("{url}?mode=ro");
    rt().block_on(async {
        let writer = kernel(&url);
        sync_with(&writer, EVENT).await.unwrap();

        // Same definitions: the read-only connection syncs (it ran no write).
        sync_with(&kernel(&read_only), EVENT).await.unwrap();
        // New definitions need DDL, which a read-only connection cannot run.
        assert!(sync_with(&kernel(&read_only), EVENT_WITH_PLACE)
            .await
            .is_err());

        // A table dropped outside the driver: the cookie moved, so the check runs, and
        // needs DDL again.
        raw(&writer, "DROP TABLE event").await;
        assert!(sync_with(&kernel(&read_only), EVENT).await.is_err());
        sync_with(&writer, EVENT).await.unwrap();
        sync_with(&kernel(&read_only), EVENT).await.unwrap();
    });
}

#[test]
fn drift_is_reported_by_every_sync_that_meets_it() {
    let dir = TempDir::new("fingerprint-drift");
    let url = dir.url("app.db");
    rt().block_on(async {
        let setup = kernel(&url);
        raw(
            &setup,
            "CREATE TABLE event (id TEXT PRIMARY KEY, title TEXT, at TEXT, created_at TEXT, \
             updated_at TEXT, legacy TEXT)",
        )
        .await;
        setup.disconnect();
        for _ in 0..2 {
            let d = kernel(&url);
            sync_with(&d, EVENT).await.unwrap();
            let said: Vec<String> = d.take_notices().into_iter().map(|n| n.message).collect();
            assert!(
                said.iter().any(|m| m.contains("legacy")),
                "the orphan column is reported: {said:?}"
            );
            d.disconnect();
        }
    });
}
