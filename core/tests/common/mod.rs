//! Helpers shared by the integration tests: temp dirs, drivers, inline polling and
//! small builders for values and records.
//!
//! Every test binary includes this module, and none uses all of it.
#![allow(dead_code)]

pub mod sqld;

use std::fmt::Debug;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use objectql_turso_core::config::DriverConfig;
use objectql_turso_core::driver::{Call, Driver};
use objectql_turso_core::record::{record_from_value, Batch, Record};
use objectql_turso_core::rows::RowSet;
use objectql_turso_core::store::poll::poll_once;
use objectql_turso_core::tenancy::Tenant;
use objectql_turso_core::{Error, ErrorCode, Result, Value};

/// Runs a local driver future to completion: local libsql futures finish on their first
/// poll, so anything else is a bug.
pub fn run<F: Future>(fut: F) -> F::Output {
    poll_once(fut).expect("local op completes inline")
}

/// A runtime for the tests of remote databases and replicas: their futures wait on I/O.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A value from JSON text.
pub fn v(json: &str) -> Value {
    Value::parse_json(json).unwrap_or_else(|e| panic!("bad test JSON {json}: {e:?}"))
}

/// A record from a JSON object.
pub fn rec(json: &str) -> Record {
    record_from_value(v(json)).expect("test record")
}

/// A batch of records that share `columns`; `rows` is a JSON array of arrays.
pub fn batch(columns: &[&str], rows: &str) -> Batch {
    let rows = match v(rows) {
        Value::Array(rows) => rows
            .into_iter()
            .map(|r| match r {
                Value::Array(cells) => cells,
                other => panic!("a batch row must be an array, got {other:?}"),
            })
            .collect(),
        other => panic!("batch rows must be an array, got {other:?}"),
    };
    Batch::new(columns.iter().map(|c| c.to_string()).collect(), rows).expect("test batch")
}

pub fn config(url: &str) -> Result<DriverConfig> {
    DriverConfig::from_value(&Value::Object(vec![("url".into(), url.into())]))
}

pub fn driver(url: &str) -> Driver {
    Driver::new(config(url).expect("valid test config"))
}

pub fn memory_driver() -> Driver {
    driver(":memory:")
}

/// A driver serving the kernel contract on `name` in `dir`; `extra` is more config JSON
/// (`,"autoMigrate":"safe"`), or empty.
pub fn kernel_driver_with(dir: &TempDir, name: &str, extra: &str) -> Driver {
    let cfg = format!(
        r#"{{"url":"{}","contract":"objectstack"{extra}}}"#,
        dir.url(name)
    );
    Driver::new(DriverConfig::from_value(&v(&cfg)).unwrap())
}

pub fn kernel_driver(dir: &TempDir, name: &str) -> Driver {
    kernel_driver_with(dir, name, "")
}

/// A call for one tenant.
pub fn as_tenant(id: &str) -> Call {
    Call {
        tenant: Some(Tenant {
            id: id.to_owned(),
            group: Vec::new(),
        }),
        ..Call::default()
    }
}

/// Runs one statement outside the driver's object methods (fixtures, raw checks).
pub fn sql(d: &Driver, statement: &str) {
    run(d.execute(statement, vec![], None)).unwrap();
}

pub fn file_driver(dir: &TempDir, name: &str) -> Driver {
    driver(&dir.url(name))
}

static DIR_SEQ: AtomicU64 = AtomicU64::new(0);

/// A fresh directory under the system temp dir, removed (with its content) on drop.
/// Declare it before the drivers that use it, so that they close first.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "objectql-core-test-{}-{}-{tag}",
            std::process::id(),
            DIR_SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// `file:<abs path>` for the database `name` in this dir.
    pub fn url(&self, name: &str) -> String {
        format!("file:{}", self.file(name).display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// `{ name: "task", fields: { title (required text), n (integer), done (boolean),
/// meta (json), status (text) } }`.
pub const TASK_SCHEMA: &str = r#"[{"name":"task","fields":{
    "title":{"type":"text","required":true},
    "n":{"type":"integer"},
    "done":{"type":"boolean"},
    "meta":{"type":"json"},
    "status":{"type":"text"}
}}]"#;

pub fn sync(d: &Driver, schema: &str) {
    let objects = v(schema);
    let objects = objects.as_array().expect("schema is an array");
    run(d.sync_schema(objects)).expect("sync_schema");
}

/// Rows as `{ column: value }` objects.
pub fn records(rows: RowSet) -> Vec<Value> {
    rows.into_records()
}

/// The only record of `rows`.
pub fn only(rows: RowSet) -> Value {
    let mut recs = records(rows);
    assert_eq!(recs.len(), 1, "expected exactly one row, got {recs:?}");
    recs.remove(0)
}

/// A field of a record object; `Null` when missing.
pub fn field(record: &Value, name: &str) -> Value {
    record
        .as_object()
        .expect("a record object")
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or(Value::Null)
}

pub fn text(record: &Value, name: &str) -> String {
    match field(record, name) {
        Value::Text(s) => s,
        other => panic!("field {name} is not text: {other:?} in {record:?}"),
    }
}

pub fn count(d: &Driver, object: &str, tx: Option<u32>) -> i64 {
    run(d.count(object, &Value::Null, tx)).expect("count")
}

/// Creates a record from JSON and returns it as stored.
pub fn create(d: &Driver, object: &str, json: &str, tx: Option<u32>) -> Value {
    only(run(d.create(object, rec(json), tx)).expect("create"))
}

/// Every record of `object` (optionally in `tx`), sorted by id.
pub fn all(d: &Driver, object: &str, tx: Option<u32>) -> Vec<Value> {
    records(run(d.find(object, &v(r#"{"sort":[["id","asc"]]}"#), tx)).expect("find all"))
}

/// The ids of `rows`, sorted.
pub fn ids(rows: RowSet) -> Vec<String> {
    let mut out: Vec<String> = records(rows).iter().map(|r| text(r, "id")).collect();
    out.sort();
    out
}

/// Asserts that `result` failed with `code` and returns the error.
#[track_caller]
pub fn expect_err<T: Debug>(result: Result<T>, code: ErrorCode) -> Error {
    match result {
        Ok(value) => panic!("expected a {code:?} error, got Ok({value:?})"),
        Err(err) => {
            assert_eq!(err.code, code, "unexpected error code: {err:?}");
            err
        }
    }
}

/// Waits (briefly) for `cond`, for effects of background threads.
pub fn eventually(timeout_ms: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(timeout_ms);
    loop {
        if cond() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Five `task` rows whose third has no title: a bulk insert of it fails half-way.
pub fn batch_failing_at_row_3() -> Batch {
    batch(
        &["title", "n"],
        r#"[["r1",1],["r2",2],[null,3],["r4",4],["r5",5]]"#,
    )
}
