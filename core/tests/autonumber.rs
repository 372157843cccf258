//! Autonumber counters against tables that moved without them: rows written around the
//! driver (a seed, an import, SQL), counters tables of older kernel builds, a counters
//! table that is gone. On real files in temp dirs.

mod common;

use common::*;
use objectql_turso_core::driver::{Call, Driver};
use objectql_turso_core::ErrorCode;

const CASES: &str = r#"[{"name":"crm_case","fields":{
    "organization_id":{"type":"text"},
    "email":{"type":"text","unique":"global"},
    "case_number":{"type":"autonumber","format":"CASE-{00000}","unique":true},
    "title":{"type":"text"}
}}]"#;

fn number(d: &Driver, tenant: &str, json: &str) -> Result<String, ErrorCode> {
    run(d.create("crm_case", rec(json), as_tenant(tenant)))
        .map(|rows| text(&only(rows), "case_number"))
        .map_err(|e| e.code)
}

/// Rows `from..=to` of tenant `org`, numbered by hand as a seed replay would.
fn seed(d: &Driver, org: &str, from: u32, to: u32) {
    for n in from..=to {
        sql(
            d,
            &format!(
                "INSERT INTO crm_case (id, organization_id, case_number) VALUES ('{org}-{n}', '{org}', 'CASE-{n:05}')"
            ),
        );
    }
}

#[test]
fn a_counter_behind_its_table_moves_past_it_on_the_first_collision() {
    let dir = TempDir::new("reseed");
    let d = kernel_driver(&dir, "t.db");
    sync(&d, CASES);
    assert_eq!(number(&d, "A", "{}").unwrap(), "CASE-00001");
    assert_eq!(number(&d, "B", "{}").unwrap(), "CASE-00001");
    seed(&d, "A", 2, 30);
    // Served at once, then counted on from there; B's counter is not touched.
    assert_eq!(number(&d, "A", "{}").unwrap(), "CASE-00031");
    assert_eq!(number(&d, "A", "{}").unwrap(), "CASE-00032");
    assert_eq!(number(&d, "B", "{}").unwrap(), "CASE-00002");
    // In bulk and in an upsert too, inside the caller's transaction.
    seed(&d, "A", 33, 40);
    let tx = run(d.begin_transaction()).unwrap();
    let call = Call {
        tx: Some(tx),
        ..as_tenant("A")
    };
    let batch = objectql_turso_core::record::Batch::new(
        vec!["title".into()],
        vec![vec!["x".into()], vec!["y".into()]],
    )
    .unwrap();
    let (_, rows) = run(d.bulk_create("crm_case", vec![batch], true, call.clone())).unwrap();
    let numbers: Vec<String> = records(rows)
        .iter()
        .map(|r| text(r, "case_number"))
        .collect();
    assert_eq!(numbers, ["CASE-00041", "CASE-00042"]);
    run(d.commit(tx)).unwrap();
    seed(&d, "A", 43, 45);
    let upserted =
        only(run(d.upsert("crm_case", rec(r#"{"title":"u"}"#), &[], as_tenant("A"))).unwrap());
    assert_eq!(text(&upserted, "case_number"), "CASE-00046");
}

#[test]
fn a_duplicate_the_caller_supplied_is_still_refused() {
    let dir = TempDir::new("reseed-caller");
    let d = kernel_driver(&dir, "t.db");
    sync(&d, CASES);
    number(&d, "A", r#"{"email":"dup@x"}"#).unwrap();
    assert_eq!(
        number(&d, "A", r#"{"email":"dup@x"}"#),
        Err(ErrorCode::UniqueViolation)
    );
    // The failed insert gave its number back.
    assert_eq!(number(&d, "A", "{}").unwrap(), "CASE-00002");
}

#[test]
fn counters_tables_of_older_builds_are_migrated_with_their_counters() {
    for (legacy, expected) in [
        (
            "CREATE TABLE _objectstack_sequences (object TEXT NOT NULL, tenant_id TEXT NOT NULL, \
             field TEXT NOT NULL, last_value INTEGER NOT NULL DEFAULT 0, updated_at TEXT, \
             PRIMARY KEY (object, tenant_id, field))",
            "INV-0042",
        ),
        (
            "CREATE TABLE _objectstack_sequences (object TEXT NOT NULL, tenant_id TEXT NOT NULL, \
             field TEXT NOT NULL, scope TEXT NOT NULL DEFAULT '', last_value INTEGER NOT NULL DEFAULT 0, \
             updated_at TEXT, PRIMARY KEY (object, tenant_id, field, scope))",
            "INV-0042",
        ),
    ] {
        let dir = TempDir::new("sequences-legacy");
        let d = kernel_driver(&dir, "t.db");
        sql(&d, legacy);
        sql(
            &d,
            "INSERT INTO _objectstack_sequences (object, tenant_id, field, last_value) \
             VALUES ('invoice', '__global__', 'invoice_number', 41)",
        );
        sync(
            &d,
            r#"[{"name":"invoice","fields":{"invoice_number":{"type":"auto_number","format":"INV-{0000}"}}}]"#,
        );
        let row = only(run(d.create("invoice", rec("{}"), None)).unwrap());
        assert_eq!(text(&row, "invoice_number"), expected);
        let columns = run(d.execute(
            "SELECT name FROM pragma_table_info('_objectstack_sequences') WHERE name = 'key_hash'",
            vec![],
            None,
        ))
        .unwrap()
        .0;
        assert_eq!(columns.rows.len(), 1);
    }
}

#[test]
fn a_counters_table_that_is_gone_is_made_again_in_the_callers_transaction() {
    let dir = TempDir::new("sequences-gone");
    let d = kernel_driver(&dir, "t.db");
    sync(&d, CASES);
    sql(&d, "DROP TABLE _objectstack_sequences");
    let tx = run(d.begin_transaction()).unwrap();
    let call = Call {
        tx: Some(tx),
        ..as_tenant("A")
    };
    let row = only(run(d.create("crm_case", rec("{}"), call)).unwrap());
    run(d.commit(tx)).unwrap();
    assert_eq!(text(&row, "case_number"), "CASE-00001");
    assert_eq!(number(&d, "A", "{}").unwrap(), "CASE-00002");
}
