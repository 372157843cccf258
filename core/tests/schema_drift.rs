//! Schema sync and tables that differ from their definitions (indexes, and under the
//! kernel contract columns): sync only adds, says what differs, and with
//! `autoMigrate: 'safe'` (never in production) applies what can lose neither a row nor a
//! constraint. On real files, with the legacy shapes made by raw SQL as older drivers made
//! them.

mod common;

use common::*;
use objectql_turso_core::config::Deployment;
use objectql_turso_core::driver::{Call, Driver};
use objectql_turso_core::notice::{Level, Notice};
use objectql_turso_core::tenancy::Tenant;
use objectql_turso_core::{ErrorCode, Value};

const PRODUCT: &str = r#"[{"name":"product","fields":{
    "organization_id":{"type":"text"},
    "code":{"type":"text","unique":true}
}}]"#;

/// The table an older driver left: `code` unique across every tenant, under `index`.
fn legacy_product(d: &Driver, index: &str) {
    sql(
        d,
        "CREATE TABLE product (id TEXT PRIMARY KEY, created_at TEXT, updated_at TEXT, organization_id TEXT, code TEXT)",
    );
    sql(d, index);
    sql(
        d,
        "INSERT INTO product (id, organization_id, code) VALUES ('r1', 'A', 'P-1'), ('r2', NULL, 'P-2')",
    );
}

fn index_sql(d: &Driver) -> Vec<(String, String)> {
    let rows = run(d.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'product' AND sql IS NOT NULL ORDER BY name",
        vec![],
        None,
    ))
    .unwrap()
    .0;
    records(rows)
        .iter()
        .map(|r| (text(r, "name"), text(r, "sql")))
        .collect()
}

fn names(d: &Driver) -> Vec<String> {
    index_sql(d).into_iter().map(|(n, _)| n).collect()
}

fn insert(d: &Driver, tenant: Option<&str>, code: &str) -> Result<(), ErrorCode> {
    let call = tenant.map_or_else(Call::default, |id| Call {
        tenant: Some(Tenant {
            id: id.to_owned(),
            group: Vec::new(),
        }),
        ..Call::default()
    });
    run(d.create("product", rec(&format!(r#"{{"code":"{code}"}}"#)), call))
        .map(|_| ())
        .map_err(|e| e.code)
}

fn drift_notices(d: &Driver) -> Vec<Notice> {
    d.take_notices()
        .into_iter()
        .filter(|n| n.message.starts_with("[schema-drift]"))
        .collect()
}

#[test]
fn a_legacy_all_tenant_unique_index_is_replaced_additively_and_reported() {
    let dir = TempDir::new("drift-legacy");
    let d = kernel_driver_with(&dir, "t.db", "");
    legacy_product(
        &d,
        "CREATE UNIQUE INDEX product_code_unique ON product (code)",
    );
    sync(&d, PRODUCT);
    // The per-tenant replacement stands beside the legacy index, which still refuses.
    assert_eq!(
        names(&d),
        ["product_code_unique", "uniq_product_organization_id_code"]
    );
    assert_eq!(
        insert(&d, Some("B"), "P-1"),
        Err(ErrorCode::UniqueViolation)
    );
    let notices = drift_notices(&d);
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].level, Level::Warn);
    for part in ["product.code", "product_code_unique", "os migrate apply"] {
        assert!(notices[0].message.contains(part), "{}", notices[0].message);
    }
    // The next sync has nothing new to say.
    sync(&d, PRODUCT);
    assert!(drift_notices(&d).is_empty());
}

#[test]
fn auto_migrate_safe_retires_the_legacy_index_but_not_in_production() {
    let dir = TempDir::new("drift-safe");
    let d = kernel_driver_with(&dir, "t.db", r#","autoMigrate":"safe""#);
    legacy_product(
        &d,
        "CREATE UNIQUE INDEX uniq_product_code ON product (code)",
    );
    let objects = v(PRODUCT);
    let objects = objects.as_array().unwrap();
    run(d.sync_schema_in(objects, Deployment::Production)).unwrap();
    assert_eq!(
        names(&d),
        ["uniq_product_code", "uniq_product_organization_id_code"]
    );
    let said: Vec<String> = d.take_notices().into_iter().map(|n| n.message).collect();
    assert!(
        said.iter()
            .any(|m| m.contains("ignored under NODE_ENV=production")),
        "{said:?}"
    );

    sync(&d, PRODUCT);
    assert_eq!(names(&d), ["uniq_product_organization_id_code"]);
    // A relaxation: every row kept, another tenant may reuse the value, one tenant not.
    assert_eq!(count(&d, "product", None), 2);
    insert(&d, Some("B"), "P-1").unwrap();
    assert_eq!(
        insert(&d, Some("A"), "P-1"),
        Err(ErrorCode::UniqueViolation)
    );
}

#[test]
fn a_tenant_key_is_made_null_safe_only_when_safe_and_no_rows_collide() {
    let bare =
        "CREATE UNIQUE INDEX uniq_product_organization_id_code ON product (organization_id, code)";
    let dir = TempDir::new("drift-tighten");
    let d = kernel_driver_with(&dir, "t.db", r#","autoMigrate":"safe""#);
    legacy_product(&d, bare);
    // Two NULL-organization rows the NULL-distinct index let in.
    sql(
        &d,
        "INSERT INTO product (id, code) VALUES ('r3', 'DUP'), ('r4', 'DUP')",
    );
    sync(&d, PRODUCT);
    let notices = drift_notices(&d);
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].level, Level::Error);
    for part in ["BLOCKED", "\"__global__\"", "\"DUP\"", "× 2 rows"] {
        assert!(notices[0].message.contains(part), "{}", notices[0].message);
    }
    // The old index stays: never left without one.
    assert!(index_sql(&d)[0].1.ends_with("(organization_id, code)"));

    sql(&d, "DELETE FROM product WHERE id = 'r4'");
    sync(&d, PRODUCT);
    assert!(
        index_sql(&d)[0].1.contains("COALESCE"),
        "{:?}",
        index_sql(&d)
    );
    // Rows without a tenant are one tenant now.
    assert_eq!(insert(&d, None, "DUP"), Err(ErrorCode::UniqueViolation));

    // Without autoMigrate the same difference is only reported.
    let other = TempDir::new("drift-tighten-off");
    let d = kernel_driver_with(&other, "t.db", "");
    legacy_product(&d, bare);
    sync(&d, PRODUCT);
    assert!(index_sql(&d)[0].1.ends_with("(organization_id, code)"));
    let notices = drift_notices(&d);
    assert!(
        notices[0].message.contains("found no conflicting rows"),
        "{notices:?}"
    );
}

#[test]
fn an_index_another_tool_rebuilt_under_a_wanted_name_is_left_alone() {
    let dir = TempDir::new("drift-runtime");
    let d = kernel_driver_with(&dir, "t.db", "");
    legacy_product(
        &d,
        "CREATE UNIQUE INDEX uniq_product_organization_id_code ON product \
         (COALESCE(organization_id, '__global__'), code, COALESCE(id, ''))",
    );
    sync(&d, PRODUCT);
    assert_eq!(names(&d), ["uniq_product_organization_id_code"]);
    assert!(drift_notices(&d).is_empty());
}

#[test]
fn a_declared_index_on_a_field_without_a_column_is_skipped_and_said() {
    let dir = TempDir::new("drift-formula");
    let d = kernel_driver_with(&dir, "t.db", "");
    sync(
        &d,
        r#"[{"name":"product","fields":{"name":{},"total":{"type":"formula"}},
            "indexes":[{"fields":["total"],"unique":true}]}]"#,
    );
    assert!(names(&d).is_empty());
    let said: Vec<String> = d.take_notices().into_iter().map(|n| n.message).collect();
    assert!(
        said.iter()
            .any(|m| m.contains("skipping declared index") && m.contains("total")),
        "{said:?}"
    );
}

#[test]
fn required_is_a_write_rule_and_storage_not_null_the_column_constraint() {
    let dir = TempDir::new("not-null");
    let d = kernel_driver_with(&dir, "t.db", "");
    sync(
        &d,
        r#"[{"name":"product","fields":{"a":{"required":true},"b":{"storage":{"notNull":true}}}}]"#,
    );
    let info = run(d.execute(
        "SELECT name, \"notnull\" FROM pragma_table_info('product') WHERE name IN ('a', 'b') ORDER BY name",
        vec![],
        None,
    ))
    .unwrap()
    .0;
    let not_null: Vec<Value> = records(info).iter().map(|r| field(r, "notnull")).collect();
    assert_eq!(not_null, [Value::Integer(0), Value::Integer(1)]);
}

#[test]
fn columns_that_differ_are_reported_and_kept() {
    let dir = TempDir::new("drift-columns");
    let d = kernel_driver_with(&dir, "t.db", r#","autoMigrate":"safe""#);
    sql(
        &d,
        "CREATE TABLE unit (id TEXT PRIMARY KEY, created_at TEXT, updated_at TEXT, \
         name TEXT NOT NULL, code TEXT, legacy_code TEXT)",
    );
    sync(
        &d,
        r#"[{"name":"unit","fields":{"name":{},"code":{"storage":{"notNull":true}}}}]"#,
    );
    let said: Vec<String> = drift_notices(&d).into_iter().map(|n| n.message).collect();
    assert_eq!(said.len(), 3, "{said:?}");
    for part in [
        "unit.name: the column is NOT NULL",
        "unit.code: metadata declares `storage.notNull`",
        "unit.legacy_code: column exists in the database but not in metadata",
    ] {
        assert!(said.iter().any(|m| m.contains(part)), "{part}: {said:?}");
    }
    // Nothing applied, even under autoMigrate: 'safe'.
    let columns = run(d.execute(
        "SELECT name FROM pragma_table_info('unit') ORDER BY cid",
        vec![],
        None,
    ))
    .unwrap()
    .0;
    assert_eq!(records(columns).len(), 6);
}
