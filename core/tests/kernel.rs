//! The duties the ObjectStack engine leaves to its driver (`contract: 'objectstack'`):
//! row-level tenancy, unique fields (per tenant, added when they appear), audit
//! columns, the spec's field kinds, driver-owned autonumbers, one filter meaning and one
//! order. On real files in temp dirs; the same through a real kernel is in Jest.

mod common;

use common::*;
use objectql_turso_core::driver::{Call, Driver, Updated};
use objectql_turso_core::tenancy::Tenant;
use objectql_turso_core::{ErrorCode, Value};

fn in_group(id: &str, group: &[&str]) -> Call {
    Call {
        tenant: Some(Tenant {
            id: id.to_owned(),
            group: group.iter().map(|g| g.to_string()).collect(),
        }),
        ..Call::default()
    }
}

const DEAL: &str = r#"[{"name":"deal","fields":{
    "title":{"type":"text"},
    "amount":{"type":"number"},
    "organization_id":{"type":"text"}
}}]"#;

fn seed_tenants(d: &Driver) {
    sync(d, DEAL);
    for (tenant, title, amount) in [("A", "a1", 1), ("A", "a2", 2), ("B", "b1", 10)] {
        run(d.create(
            "deal",
            rec(&format!(r#"{{"title":"{title}","amount":{amount}}}"#)),
            as_tenant(tenant),
        ))
        .unwrap();
    }
    // A shared row (no tenant), written by a system path.
    create(
        d,
        "deal",
        r#"{"id":"shared","title":"s","amount":100}"#,
        None,
    );
}

/// The ids of `rows`, in the order read.
fn ordered_ids(rows: objectql_turso_core::rows::RowSet) -> Vec<String> {
    records(rows).iter().map(|r| text(r, "id")).collect()
}

fn titles(rows: objectql_turso_core::rows::RowSet) -> Vec<String> {
    let mut out: Vec<String> = records(rows).iter().map(|r| text(r, "title")).collect();
    out.sort();
    out
}

#[test]
fn a_tenant_reads_only_its_rows_and_shared_ones() {
    let dir = TempDir::new("tenancy-read");
    let d = kernel_driver(&dir, "t.db");
    seed_tenants(&d);
    let a = || as_tenant("A");
    assert_eq!(
        titles(run(d.find("deal", &Value::Null, a())).unwrap()),
        ["a1", "a2", "s"]
    );
    assert_eq!(
        titles(run(d.find("deal", &Value::Null, as_tenant("B"))).unwrap()),
        ["b1", "s"]
    );
    // Inserts were stamped: a system read sees every tenant's rows, with their tenant.
    let all =
        records(run(d.find("deal", &v(r#"{"orderBy":[{"field":"amount"}]}"#), None)).unwrap());
    let tenants: Vec<Value> = all.iter().map(|r| field(r, "organization_id")).collect();
    assert_eq!(
        tenants,
        [v(r#""A""#), v(r#""A""#), v(r#""B""#), Value::Null]
    );
    assert_eq!(run(d.count("deal", &Value::Null, a())).unwrap(), 3);
    assert_eq!(
        run(d.count("deal", &v(r#"{"amount":{"$gte":10}}"#), a())).unwrap(),
        1
    );
    let b1 = &all[2];
    let b1_id = field(b1, "id");
    assert!(run(d.find_one("deal", &b1_id, a()))
        .unwrap()
        .rows
        .is_empty());
    let by_query = v(&format!(r#"{{"where":{{"id":{}}}}}"#, b1_id.to_json()));
    assert!(run(d.find_one("deal", &by_query, a()))
        .unwrap()
        .rows
        .is_empty());
    let values = run(d.distinct("deal", "title", &Value::Null, a())).unwrap();
    assert_eq!(values.len(), 3);
    let sums = records(
        run(d.aggregate(
            "deal",
            &v(r#"{"aggregations":[{"function":"sum","field":"amount","alias":"total"}]}"#),
            a(),
        ))
        .unwrap(),
    );
    assert_eq!(field(&sums[0], "total"), Value::Integer(103));
    let pipeline = records(
        run(d.aggregate(
            "deal",
            &v(r#"[{"$group":{"_id":null,"n":{"$count":"$id"}}}]"#),
            a(),
        ))
        .unwrap(),
    );
    assert_eq!(field(&pipeline[0], "n"), Value::Integer(3));
    // The group posture sees every tenant of its group.
    assert_eq!(
        run(d.count("deal", &Value::Null, in_group("A", &["A", "B"]))).unwrap(),
        4
    );
}

#[test]
fn a_tenant_cannot_change_or_delete_another_tenants_rows() {
    let dir = TempDir::new("tenancy-write");
    let d = kernel_driver(&dir, "t.db");
    seed_tenants(&d);
    let b1 = only(run(d.find("deal", &v(r#"{"where":{"title":"b1"}}"#), None)).unwrap());
    let b1_id = field(&b1, "id");
    let a = || as_tenant("A");
    assert_eq!(
        run(d.update("deal", &b1_id, rec(r#"{"amount":0}"#), a())).unwrap(),
        Updated::Missing
    );
    assert!(!run(d.delete("deal", &b1_id, a())).unwrap());
    assert_eq!(
        run(d.update_many("deal", &Value::Null, rec(r#"{"title":"x"}"#), a())).unwrap(),
        3
    );
    assert_eq!(
        run(d.bulk_update(
            "deal",
            vec![(b1_id.clone(), rec(r#"{"amount":0}"#))],
            true,
            a()
        ))
        .unwrap()
        .0,
        0
    );
    assert_eq!(
        run(d.bulk_delete("deal", vec![b1_id.clone()], a())).unwrap(),
        0
    );
    // An upsert that collides with B's id neither changes nor reveals B's row.
    let hit = run(d.upsert(
        "deal",
        rec(&format!(r#"{{"id":{},"amount":5}}"#, b1_id.to_json())),
        &[],
        a(),
    ));
    assert!(hit.unwrap().rows.is_empty());
    let b1_after = only(run(d.find_one("deal", &b1_id, None)).unwrap());
    assert_eq!(
        (text(&b1_after, "title"), field(&b1_after, "amount")),
        ("b1".into(), Value::Integer(10))
    );
    assert_eq!(run(d.delete_many("deal", &Value::Null, a())).unwrap(), 3);
    // B's row is the only one left.
    assert_eq!(
        ids(run(d.find("deal", &Value::Null, None)).unwrap()),
        [b1_id.as_str().unwrap()]
    );
}

#[test]
fn declared_tenant_fields_opt_outs_and_objects_without_one() {
    let dir = TempDir::new("tenancy-decl");
    let d = kernel_driver(&dir, "t.db");
    sync(
        &d,
        r#"[{"name":"own","fields":{"org":{},"organization_id":{},"t":{}},"tenancy":{"tenantField":"org"}},
            {"name":"global","fields":{"organization_id":{},"t":{}},"tenancy":{"enabled":false}},
            {"name":"plain","fields":{"t":{}}}]"#,
    );
    let row = only(run(d.create("own", rec(r#"{"t":"x"}"#), as_tenant("A"))).unwrap());
    assert_eq!(
        (field(&row, "org"), field(&row, "organization_id")),
        (v(r#""A""#), Value::Null)
    );
    assert_eq!(
        run(d.count("own", &Value::Null, as_tenant("B"))).unwrap(),
        0
    );
    let row = only(run(d.create("global", rec(r#"{"t":"x"}"#), as_tenant("A"))).unwrap());
    assert_eq!(field(&row, "organization_id"), Value::Null);
    create(&d, "global", r#"{"t":"y","organization_id":"B"}"#, None);
    assert_eq!(
        run(d.count("global", &Value::Null, as_tenant("A"))).unwrap(),
        2
    );
    run(d.create("plain", rec(r#"{"t":"x"}"#), as_tenant("A"))).unwrap();
    assert_eq!(
        run(d.count("plain", &Value::Null, as_tenant("B"))).unwrap(),
        1
    );
    // A later definition without `tenancy` keeps the opt-out.
    sync(
        &d,
        r#"[{"name":"global","fields":{"organization_id":{},"t":{}}}]"#,
    );
    assert_eq!(
        run(d.count("global", &Value::Null, as_tenant("A"))).unwrap(),
        2
    );
}

#[test]
fn unique_fields_are_unique_per_tenant_and_migrate_when_they_change() {
    let dir = TempDir::new("unique");
    let d = kernel_driver(&dir, "t.db");
    sync(
        &d,
        r#"[{"name":"contact","fields":{"email":{"unique":true},"code":{"unique":"global"},"organization_id":{}}}]"#,
    );
    let add = |json: &str, tenant: Option<&str>| {
        let call = tenant.map(as_tenant).unwrap_or_default();
        run(d.create("contact", rec(json), call))
    };
    add(r#"{"email":"x@a","code":"1"}"#, Some("A")).unwrap();
    add(r#"{"email":"x@a","code":"2"}"#, Some("B")).unwrap();
    let dup = add(r#"{"email":"x@a","code":"3"}"#, Some("A")).unwrap_err();
    assert_eq!(dup.code, ErrorCode::UniqueViolation);
    // Named by its field, not by the per-tenant index (the engine reads the field).
    assert_eq!(dup.message, "UNIQUE constraint failed: contact.email");
    let global = add(r#"{"email":"y@a","code":"1"}"#, Some("B")).unwrap_err();
    assert_eq!(global.message, "UNIQUE constraint failed: contact.code");
    // Rows without a tenant are one shared tenant.
    add(r#"{"email":"z@a","code":"4"}"#, None).unwrap();
    assert_eq!(
        add(r#"{"email":"z@a","code":"5"}"#, None).unwrap_err().code,
        ErrorCode::UniqueViolation
    );
    // Not unique any more: sync takes no constraint away on its own; it says so.
    d.take_notices();
    sync(
        &d,
        r#"[{"name":"contact","fields":{"email":{},"code":{"unique":"global"},"organization_id":{}}}]"#,
    );
    let notices = d.take_notices();
    assert!(
        notices
            .iter()
            .any(|n| n.message.starts_with("[schema-drift]")
                && n.message.contains("'uniq_contact_organization_id_email'")
                && n.message.contains("orphaned")),
        "{notices:?}"
    );
    assert_eq!(
        add(r#"{"email":"x@a","code":"6"}"#, Some("A"))
            .unwrap_err()
            .code,
        ErrorCode::UniqueViolation
    );
    // Said once per driver.
    sync(
        &d,
        r#"[{"name":"contact","fields":{"email":{},"code":{"unique":"global"},"organization_id":{}}}]"#,
    );
    assert!(d.take_notices().is_empty());
    // Dropped deliberately, duplicates go in.
    run(d.execute(
        "DROP INDEX uniq_contact_organization_id_email",
        vec![],
        None,
    ))
    .unwrap();
    add(r#"{"email":"x@a","code":"6"}"#, Some("A")).unwrap();
    // Unique again while duplicates exist: refused, and nothing of that sync applied.
    let err = run(d.sync_schema(&[v(
        r#"{"name":"contact","fields":{"email":{"unique":true},"code":{"unique":"global"},"organization_id":{},"extra":{}}}"#,
    )]))
    .unwrap_err();
    assert!(
        err.message.contains("\"email\"") && err.message.contains("duplicate"),
        "{}",
        err.message
    );
    let cols = run(d.execute(
        "SELECT name FROM pragma_table_info('contact')",
        vec![],
        None,
    ))
    .unwrap()
    .0;
    assert!(!records(cols).iter().any(|c| text(c, "name") == "extra"));
    // Once the duplicates are gone the field becomes unique.
    run(d.delete_many("contact", &v(r#"{"code":"6"}"#), None)).unwrap();
    sync(
        &d,
        r#"[{"name":"contact","fields":{"email":{"unique":true},"code":{"unique":"global"},"organization_id":{}}}]"#,
    );
    assert_eq!(
        add(r#"{"email":"x@a","code":"7"}"#, Some("A"))
            .unwrap_err()
            .code,
        ErrorCode::UniqueViolation
    );
}

#[test]
fn upserts_merge_on_the_conflict_keys_within_the_tenant() {
    let dir = TempDir::new("upsert");
    let d = kernel_driver(&dir, "t.db");
    sync(
        &d,
        r#"[{"name":"contact","fields":{"email":{"unique":true},"n":{"type":"number"},"organization_id":{}}}]"#,
    );
    let keys = ["email".to_string()];
    let first = only(
        run(d.upsert(
            "contact",
            rec(r#"{"email":"x","n":1}"#),
            &keys,
            as_tenant("A"),
        ))
        .unwrap(),
    );
    let second = only(
        run(d.upsert(
            "contact",
            rec(r#"{"email":"x","n":2}"#),
            &keys,
            as_tenant("A"),
        ))
        .unwrap(),
    );
    assert_eq!(field(&first, "id"), field(&second, "id"));
    assert_eq!(field(&second, "n"), Value::Integer(2));
    // created_at is insert-only; updated_at moves.
    assert_eq!(field(&first, "created_at"), field(&second, "created_at"));
    // Another tenant's same email is another row.
    run(d.upsert(
        "contact",
        rec(r#"{"email":"x","n":3}"#),
        &keys,
        as_tenant("B"),
    ))
    .unwrap();
    assert_eq!(count(&d, "contact", None), 2);
}

#[test]
fn audit_columns_are_on_every_table_and_stamped() {
    let dir = TempDir::new("audit");
    let d = kernel_driver(&dir, "t.db");
    // No audit fields declared (an object with `systemFields: false`).
    sync(&d, r#"[{"name":"bare","fields":{"t":{}}}]"#);
    let row = only(run(d.create("bare", rec(r#"{"t":"x"}"#), None)).unwrap());
    let created = text(&row, "created_at");
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");
    assert_eq!(field(&row, "updated_at"), field(&row, "created_at"));
    std::thread::sleep(std::time::Duration::from_millis(5));
    let id = field(&row, "id");
    let Updated::Row(rows) = run(d.update("bare", &id, rec(r#"{"t":"y"}"#), None)).unwrap() else {
        panic!("updated")
    };
    let updated = only(rows);
    assert!(text(&updated, "updated_at") > created);
    assert_eq!(text(&updated, "created_at"), created);
    // preserveAudit keeps a supplied updated_at (imports, replays).
    let keep = Call {
        preserve_audit: true,
        ..Call::default()
    };
    let Updated::Row(rows) = run(d.update(
        "bare",
        &id,
        rec(r#"{"updated_at":"2020-01-01T00:00:00.000Z"}"#),
        keep,
    ))
    .unwrap() else {
        panic!("updated")
    };
    assert_eq!(text(&only(rows), "updated_at"), "2020-01-01T00:00:00.000Z");
    // A projection naming a column the table lacks is retried without it.
    run(d.execute(
        "CREATE TABLE legacy (id TEXT PRIMARY KEY, t TEXT)",
        vec![],
        None,
    ))
    .unwrap();
    d.register_objects(&[v(r#"{"name":"legacy","fields":{"t":{}}}"#)])
        .unwrap();
    let row = only(run(d.create("legacy", rec(r#"{"t":"x"}"#), None)).unwrap());
    assert_eq!(text(&row, "t"), "x");
    let found = run(d.find("legacy", &v(r#"{"fields":["t","created_at"]}"#), None)).unwrap();
    assert_eq!(found.columns.as_ref(), ["t"]);
    // And a filter on a missing column is a refused filter, not an empty answer.
    let err = run(d.find("legacy", &v(r#"{"where":{"nope":1}}"#), None)).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidFilter);
    assert_eq!(
        run(d.count("legacy", &v(r#"{"nope":1}"#), None))
            .unwrap_err()
            .code,
        ErrorCode::InvalidFilter
    );
}

#[test]
fn spec_field_kinds_round_trip_also_when_registered_without_a_sync() {
    let dir = TempDir::new("kinds");
    let schema = r#"[{"name":"place","fields":{"where":{"type":"location"},"stars":{"type":"rating"},
        "tags":{"type":"tags"},"done":{"type":"progress"},"pic":{"type":"image"}}}]"#;
    {
        let d = kernel_driver(&dir, "t.db");
        sync(&d, schema);
        let row = only(
            run(d.create(
                "place",
                rec(r#"{"id":"p","where":{"lat":1.5,"lng":2},"stars":4,"tags":["a","b"],"done":0.5,"pic":{"url":"x.png"}}"#),
                None,
            ))
            .unwrap()
            .parse_json(),
        );
        assert_eq!(field(&row, "where"), v(r#"{"lat":1.5,"lng":2}"#));
        assert_eq!(field(&row, "stars"), Value::Integer(4));
        assert_eq!(field(&row, "tags"), v(r#"["a","b"]"#));
        assert_eq!(field(&row, "pic"), v(r#"{"url":"x.png"}"#));
        // A legacy TEXT column holding a number as text reads back as the number.
        run(d.execute("UPDATE place SET stars = '5' WHERE id = 'p'", vec![], None)).unwrap();
        run(d.execute("ALTER TABLE place ADD COLUMN score TEXT", vec![], None)).unwrap();
        run(d.execute("UPDATE place SET score = '2.5'", vec![], None)).unwrap();
    }
    // A second boot that skips schema sync learns the kinds from the definitions alone.
    let d = kernel_driver(&dir, "t.db");
    let with_score = schema.replace(
        r#""pic":{"type":"image"}"#,
        r#""pic":{"type":"image"},"score":{"type":"number"}"#,
    );
    d.register_objects(v(&with_score).as_array().unwrap())
        .unwrap();
    let row = only(
        run(d.find_one("place", &Value::from("p"), None))
            .unwrap()
            .parse_json(),
    );
    assert_eq!(field(&row, "where"), v(r#"{"lat":1.5,"lng":2}"#));
    assert_eq!(field(&row, "stars"), Value::Integer(5));
    assert_eq!(field(&row, "score"), Value::Real(2.5));
}

#[test]
fn autonumbers_count_per_tenant_persist_and_give_back_failed_numbers() {
    let dir = TempDir::new("autonumber");
    let schema = r#"[{"name":"ticket","fields":{"no":{"type":"autonumber","autonumberFormat":"T-{000}"},
        "title":{"type":"text","storage":{"notNull":true}},"organization_id":{}}}]"#;
    let number = |d: &Driver, tenant: &str, title: Option<&str>| {
        let json = title.map_or("{}".to_string(), |t| format!(r#"{{"title":"{t}"}}"#));
        run(d.create("ticket", rec(&json), as_tenant(tenant))).map(|rows| text(&only(rows), "no"))
    };
    {
        let d = kernel_driver(&dir, "t.db");
        sync(&d, schema);
        assert_eq!(number(&d, "A", Some("x")).unwrap(), "T-001");
        assert_eq!(number(&d, "A", Some("x")).unwrap(), "T-002");
        assert_eq!(number(&d, "B", Some("x")).unwrap(), "T-001");
        // A failed insert takes its number back.
        assert_eq!(number(&d, "A", None).unwrap_err().code, ErrorCode::Query);
        assert_eq!(number(&d, "A", Some("x")).unwrap(), "T-003");
        // Inside a transaction that rolls back, the counter rolls back too.
        let tx = run(d.begin_transaction()).unwrap();
        let call = Call {
            tx: Some(tx),
            ..as_tenant("A")
        };
        let row = only(run(d.create("ticket", rec(r#"{"title":"t"}"#), call)).unwrap());
        assert_eq!(text(&row, "no"), "T-004");
        run(d.rollback(tx)).unwrap();
        // A given value is kept.
        let kept = only(
            run(d.create(
                "ticket",
                rec(r#"{"title":"t","no":"MANUAL"}"#),
                as_tenant("A"),
            ))
            .unwrap(),
        );
        assert_eq!(text(&kept, "no"), "MANUAL");
    }
    // Persistent: a new driver (a restart, or a second process) continues the series,
    // and two drivers on one file never hand out the same number.
    let d1 = kernel_driver(&dir, "t.db");
    let d2 = kernel_driver(&dir, "t.db");
    sync(&d1, schema);
    sync(&d2, schema);
    let mut seen = std::collections::HashSet::new();
    for i in 0..20 {
        let d = if i % 2 == 0 { &d1 } else { &d2 };
        assert!(seen.insert(number(d, "A", Some("x")).unwrap()));
    }
    assert!(seen.contains("T-004") && seen.contains("T-023"), "{seen:?}");
}

#[test]
fn counts_and_writes_use_the_filters_of_find_and_sorted_reads_end_on_the_id() {
    let dir = TempDir::new("semantics");
    let d = kernel_driver(&dir, "t.db");
    sync(
        &d,
        r#"[{"name":"item","fields":{"s":{},"n":{"type":"number"}}}]"#,
    );
    for (id, s, n) in [
        ("a", "x", "1"),
        ("b", "null", "1"),
        ("c", "y", "null"),
        ("d", "x", "2"),
        ("e", "null", "2"),
    ] {
        let s = if s == "null" {
            s.to_owned()
        } else {
            format!("\"{s}\"")
        };
        create(
            &d,
            "item",
            &format!(r#"{{"id":"{id}","s":{s},"n":{n}}}"#),
            None,
        );
    }
    for filter in [
        r#"{"s":{"$ne":"x"}}"#,
        r#"{"s":{"$nin":["x","y"]}}"#,
        r#"{"$not":{"s":"x"}}"#,
        r#"{"$not":{"n":{"$gt":1}}}"#,
        r#"{"s":{"$ne":null}}"#,
        r#"{"$or":[]}"#,
        r#"{"$or":[{"s":"y"},{"n":{"$ne":1}}]}"#,
    ] {
        let found = run(d.find("item", &v(&format!(r#"{{"where":{filter}}}"#)), None))
            .unwrap()
            .rows
            .len();
        assert_eq!(
            run(d.count("item", &v(filter), None)).unwrap() as usize,
            found,
            "{filter}"
        );
    }
    // Paging a sort on a non-unique field walks exactly the whole sorted read.
    for order in ["asc", "desc"] {
        let whole = ordered_ids(
            run(d.find(
                "item",
                &v(&format!(
                    r#"{{"orderBy":[{{"field":"n","order":"{order}"}}]}}"#
                )),
                None,
            ))
            .unwrap(),
        );
        let mut paged = Vec::new();
        for offset in (0..6).step_by(2) {
            let q = format!(
                r#"{{"orderBy":[{{"field":"n","order":"{order}"}}],"limit":2,"offset":{offset}}}"#
            );
            paged.extend(ordered_ids(run(d.find("item", &v(&q), None)).unwrap()));
        }
        assert_eq!(paged, whole, "{order}");
    }
    let desc = ordered_ids(
        run(d.find(
            "item",
            &v(r#"{"orderBy":[{"field":"n","order":"desc"}]}"#),
            None,
        ))
        .unwrap(),
    );
    assert_eq!(desc, ["e", "d", "b", "a", "c"]);
}

#[test]
fn an_index_on_a_field_the_object_lacks_is_refused_not_built_on_a_constant() {
    let dir = TempDir::new("index-typo");
    for d in [kernel_driver(&dir, "k.db"), file_driver(&dir, "q.db")] {
        let err = run(d.sync_schema(&[v(
            r#"{"name":"t","fields":{"email":{}},"indexes":[{"fields":["emial"],"unique":true}]}"#,
        )]))
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
        assert!(err.message.contains("\"emial\""), "{}", err.message);
        // Nothing of the sync applied: no table.
        let tables = run(d.execute(
            "SELECT name FROM sqlite_master WHERE name = 't'",
            vec![],
            None,
        ))
        .unwrap();
        assert!(tables.0.rows.is_empty());
    }
}
