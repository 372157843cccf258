//! `NativeDriver`: the napi face of `driver_core::driver::Driver`.
//!
//! Every operation goes through [`NativeDriver::run`] (see `answer.rs`): inline for local
//! databases, on the runtime for a libSQL server. Arguments are moved into the operation,
//! which owns them, so that the same code serves both.

use std::future::Future;
use std::sync::Arc;

use driver_core::config::{Deployment, DriverConfig};
use driver_core::driver::{Driver, Updated};
use driver_core::record::{record_from_parts, Batch, Record};
use driver_core::store::remote::Limits;
use driver_core::{Error, Value};
use napi::bindgen_prelude::ToNapiValue;
use napi::Env;
use napi_derive::napi;

use crate::answer::{dispatch, Answer};
use crate::convert::{JsCall, JsFilter, JsInput, JsOutput, JsQuery, JsRow, JsRows};
use crate::error::{coded, Coded};
use crate::tenant_schema::TenantSchema;

#[napi]
pub struct NativeDriver {
    pub(crate) inner: Arc<Driver>,
    /// Set for a libSQL server: its calls run on the runtime, within these bounds.
    limits: Option<Arc<Limits>>,
}

#[napi]
impl NativeDriver {
    /// `shared`: the router's `TenantSchema`, for a tenant's driver.
    #[napi(constructor, catch_unwind)]
    pub fn new(config: JsInput, shared: Option<&TenantSchema>) -> Result<Self, Coded> {
        let config = DriverConfig::from_value(&config.0).map_err(coded)?;
        config.check_servable().map_err(coded)?;
        let limits = config
            .store_kind()
            .uses_network()
            .then(|| Arc::new(Limits::new(&config)));
        let driver = match shared {
            Some(shared) => Driver::with_shared(config, shared.inner.clone()).map_err(coded)?,
            None => Driver::new(config),
        };
        Ok(NativeDriver {
            inner: Arc::new(driver),
            limits,
        })
    }

    /// Brings an open tenant database to the shared definitions now, if they changed since
    /// (a closed one is brought at its next open).
    #[napi(catch_unwind)]
    pub fn apply_shared_schema(&self, env: &Env) -> Result<Answer<()>, Coded> {
        let d = self.inner.clone();
        self.run(env, async move { d.apply_shared_schema().await }, |()| ())
    }

    /// `local`, `remote` (a libSQL server) or `replica` (an embedded replica): how the
    /// configuration reaches the database. Calls answer with Promises unless `local`.
    #[napi(getter)]
    pub fn transport(&self) -> String {
        self.inner.config().store_kind().as_str().to_owned()
    }

    /// Whether `sqliteAbsentFile: 'empty-in-memory'` opened an empty in-memory database
    /// because the file did not exist.
    #[napi(getter)]
    pub fn opened_empty_in_memory(&self) -> bool {
        self.inner.opened_empty_in_memory()
    }

    /// The tenant field the driver scopes `object` by (`null`: none).
    #[napi(catch_unwind)]
    pub fn tenant_field(&self, object: String) -> Option<String> {
        self.inner.tenant_field(&object)
    }

    /// What the driver reported since the last call, for the JS logger:
    /// `[{ level: 'warn' | 'error', message }]`, oldest first.
    #[napi(catch_unwind)]
    pub fn take_notices(&self) -> JsOutput {
        JsOutput(Value::Array(
            self.inner
                .take_notices()
                .into_iter()
                .map(|n| {
                    Value::Object(vec![
                        ("level".into(), Value::from(n.level.as_str())),
                        ("message".into(), Value::Text(n.message)),
                    ])
                })
                .collect(),
        ))
    }

    /// Milliseconds a write may wait for another connection's transaction.
    #[napi(getter)]
    pub fn busy_timeout(&self) -> f64 {
        self.inner.config().busy_timeout_ms() as f64
    }

    #[napi(catch_unwind)]
    pub fn connect(&self, env: &Env) -> Result<Answer<()>, Coded> {
        let d = self.inner.clone();
        self.run(env, async move { d.connect().await.map(|_| ()) }, |()| ())
    }

    #[napi(catch_unwind)]
    pub fn disconnect(&self) {
        match self.limits {
            None => self.inner.disconnect(),
            // libsql closes a server stream as it is dropped only from within the runtime
            // (else the server keeps the connection until it expires, and runs out of them).
            Some(_) => {
                napi::bindgen_prelude::within_runtime_if_available(|| self.inner.disconnect())
            }
        }
    }

    /// False when the database cannot answer (the JS layer also reads a failure as false).
    #[napi(catch_unwind)]
    pub fn check_health(&self, env: &Env) -> Result<Answer<bool>, Coded> {
        let d = self.inner.clone();
        self.run(env, async move { Ok(d.check_health().await) }, |ok| ok)
    }

    /// `production`: the caller runs with `NODE_ENV=production` (no `autoMigrate`).
    #[napi(catch_unwind)]
    pub fn sync_schema(
        &self,
        env: &Env,
        objects: JsInput,
        production: bool,
    ) -> Result<Answer<()>, Coded> {
        let (d, objects) = (self.inner.clone(), object_list(objects)?);
        let deployment = Deployment::of(production);
        self.run(
            env,
            async move { d.sync_schema_in(&objects, deployment).await },
            |()| (),
        )
    }

    /// Learns object definitions without touching the database (`registerObjectMetadata`).
    #[napi(catch_unwind)]
    pub fn register_objects(&self, objects: JsInput) -> Result<(), Coded> {
        self.inner
            .register_objects(&object_list(objects)?)
            .map_err(coded)
    }

    /// Learns an object whose table the driver does not manage (`registerExternalObject`).
    #[napi(catch_unwind)]
    pub fn register_external(&self, object: JsInput) -> Result<(), Coded> {
        self.inner.register_external(&object.0).map_err(coded)
    }

    /// `{ created, existing }`: tables schema sync created, and ones it found.
    #[napi(catch_unwind)]
    pub fn sync_stats(&self) -> JsOutput {
        let stats = self.inner.sync_stats();
        JsOutput(Value::Object(vec![
            ("created".into(), Value::Integer(stats.created.len() as i64)),
            (
                "existing".into(),
                Value::Integer(stats.existing.len() as i64),
            ),
        ]))
    }

    /// Whether the database is open (a later call would reopen it if not).
    #[napi(getter, catch_unwind)]
    pub fn connected(&self) -> bool {
        self.inner.is_connected()
    }

    #[napi(catch_unwind)]
    pub fn temporal_filter_value(&self, object: String, field: String, value: JsInput) -> JsOutput {
        JsOutput(self.inner.temporal_filter_value(&object, &field, value.0))
    }

    #[napi(catch_unwind)]
    pub fn temporal_filter_column_sql(
        &self,
        object: String,
        field: String,
        column_sql: String,
    ) -> String {
        self.inner
            .temporal_filter_column_sql(&object, &field, &column_sql)
    }

    #[napi(catch_unwind)]
    pub fn reclaim_space(&self, env: &Env) -> Result<Answer<()>, Coded> {
        let d = self.inner.clone();
        self.run(env, async move { d.reclaim_space().await }, |()| ())
    }

    #[napi(catch_unwind)]
    pub fn drop_table(&self, env: &Env, object: String) -> Result<Answer<()>, Coded> {
        let d = self.inner.clone();
        self.run(env, async move { d.drop_table(&object).await }, |()| ())
    }

    #[napi(catch_unwind)]
    pub fn introspect_schema(&self, env: &Env) -> Result<Answer<JsOutput>, Coded> {
        let d = self.inner.clone();
        self.run(env, async move { d.introspect().await }, JsOutput)
    }

    #[napi(catch_unwind)]
    pub fn find(
        &self,
        env: &Env,
        object: String,
        query: JsQuery,
        call: JsCall,
    ) -> Result<Answer<JsRows>, Coded> {
        let query = read_arg(query.read(self.inner.config().contract))?;
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.find(&object, &query, call.0).await },
            JsRows,
        )
    }

    #[napi(catch_unwind)]
    pub fn find_one(
        &self,
        env: &Env,
        object: String,
        id: JsQuery,
        call: JsCall,
    ) -> Result<Answer<JsRow>, Coded> {
        let id = read_arg(id.read(self.inner.config().contract))?;
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.find_one(&object, &id, call.0).await },
            JsRow,
        )
    }

    #[napi(catch_unwind)]
    pub fn count(
        &self,
        env: &Env,
        object: String,
        filter: JsFilter,
        call: JsCall,
    ) -> Result<Answer<f64>, Coded> {
        let filter = read_arg(filter.read(self.inner.config().contract))?;
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.count(&object, &filter, call.0).await },
            |n| n as f64,
        )
    }

    #[napi(catch_unwind)]
    pub fn distinct(
        &self,
        env: &Env,
        object: String,
        field: String,
        filter: JsFilter,
        call: JsCall,
    ) -> Result<Answer<JsOutput>, Coded> {
        let filter = read_arg(filter.read(self.inner.config().contract))?;
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.distinct(&object, &field, &filter, call.0).await },
            |values| JsOutput(Value::Array(values)),
        )
    }

    #[napi(catch_unwind)]
    pub fn aggregate(
        &self,
        env: &Env,
        object: String,
        query: JsQuery,
        call: JsCall,
    ) -> Result<Answer<JsRows>, Coded> {
        let query = read_arg(query.read(self.inner.config().contract))?;
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.aggregate(&object, &query, call.0).await },
            JsRows,
        )
    }

    #[napi(catch_unwind)]
    pub fn find_with_window_functions(
        &self,
        env: &Env,
        object: String,
        query: JsInput,
        call: JsCall,
    ) -> Result<Answer<JsRows>, Coded> {
        let d = self.inner.clone();
        self.run(
            env,
            async move {
                d.find_with_window_functions(&object, &query.0, call.0)
                    .await
            },
            JsRows,
        )
    }

    #[napi(catch_unwind)]
    pub fn analyze_query(
        &self,
        env: &Env,
        object: String,
        query: JsInput,
        call: JsCall,
    ) -> Result<Answer<JsOutput>, Coded> {
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.analyze_query(&object, &query.0, call.0).await },
            JsOutput,
        )
    }

    #[napi(catch_unwind)]
    pub fn explain(
        &self,
        env: &Env,
        object: String,
        query: JsQuery,
        call: JsCall,
    ) -> Result<Answer<JsRows>, Coded> {
        let query = read_arg(query.read(self.inner.config().contract))?;
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.explain(&object, &query, call.0).await },
            JsRows,
        )
    }

    /// Records arrive as parallel `keys` / `values` lists (see `lib/records.js`).
    #[napi(catch_unwind)]
    pub fn create(
        &self,
        env: &Env,
        object: String,
        keys: JsInput,
        values: JsInput,
        json: Option<Vec<u32>>,
        call: JsCall,
    ) -> Result<Answer<JsRow>, Coded> {
        let (keys, values) = record_parts(keys, values, json)?;
        let batch = Batch::new(keys, vec![values]).map_err(coded)?;
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.create_one(&object, batch, call.0).await },
            JsRow,
        )
    }

    /// Insert, or update the row that conflicts on `conflict` (the id when empty).
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn upsert(
        &self,
        env: &Env,
        object: String,
        keys: JsInput,
        values: JsInput,
        json: Option<Vec<u32>>,
        conflict: Vec<String>,
        call: JsCall,
    ) -> Result<Answer<JsRow>, Coded> {
        let record = record(keys, values, json)?;
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.upsert(&object, record, &conflict, call.0).await },
            JsRow,
        )
    }

    /// The stored row, or `null` when no row has that id.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &self,
        env: &Env,
        object: String,
        id: JsInput,
        keys: JsInput,
        values: JsInput,
        json: Option<Vec<u32>>,
        call: JsCall,
    ) -> Result<Answer<JsRow>, Coded> {
        let record = record(keys, values, json)?;
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.update(&object, &id.0, record, call.0).await },
            |updated| match updated {
                Updated::Row(rows) => JsRow(rows),
                Updated::Missing => JsRow(Default::default()),
            },
        )
    }

    #[napi(catch_unwind)]
    pub fn delete(
        &self,
        env: &Env,
        object: String,
        id: JsInput,
        call: JsCall,
    ) -> Result<Answer<bool>, Coded> {
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.delete(&object, &id.0, call.0).await },
            |deleted| deleted,
        )
    }

    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn update_many(
        &self,
        env: &Env,
        object: String,
        filter: JsFilter,
        keys: JsInput,
        values: JsInput,
        json: Option<Vec<u32>>,
        call: JsCall,
    ) -> Result<Answer<f64>, Coded> {
        let record = record(keys, values, json)?;
        let filter = read_arg(filter.read(self.inner.config().contract))?;
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.update_many(&object, &filter, record, call.0).await },
            |n| n as f64,
        )
    }

    #[napi(catch_unwind)]
    pub fn delete_many(
        &self,
        env: &Env,
        object: String,
        filter: JsFilter,
        call: JsCall,
    ) -> Result<Answer<f64>, Coded> {
        let filter = read_arg(filter.read(self.inner.config().contract))?;
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.delete_many(&object, &filter, call.0).await },
            |n| n as f64,
        )
    }

    /// Inserts all records in one transaction: `shapes[i]` names the fields of the next
    /// `counts[i]` records, whose values follow each other in `values`. Returns the stored
    /// rows when `returning`, else the count.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn bulk_create(
        &self,
        env: &Env,
        object: String,
        shapes: Vec<Vec<String>>,
        counts: Vec<u32>,
        values: JsInput,
        json: Option<Vec<u32>>,
        returning: bool,
        call: JsCall,
    ) -> Result<Answer<JsOutput>, Coded> {
        let values = json_cells(list(values, "bulkCreate values must be an array")?, json);
        let batches = Batch::split(shapes, counts, values).map_err(coded)?;
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.bulk_create(&object, batches, returning, call.0).await },
            move |(count, rows)| written(returning, count, rows),
        )
    }

    /// `ids[i]` gets the changes of the i-th record of `shapes`/`counts`/`values`.
    /// Returns the updated rows when `returning`, else how many changed.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn bulk_update(
        &self,
        env: &Env,
        object: String,
        ids: JsInput,
        shapes: Vec<Vec<String>>,
        counts: Vec<u32>,
        values: JsInput,
        json: Option<Vec<u32>>,
        returning: bool,
        call: JsCall,
    ) -> Result<Answer<JsOutput>, Coded> {
        let ids = list(ids, "bulkUpdate ids must be an array")?;
        let values = json_cells(list(values, "bulkUpdate values must be an array")?, json);
        let records = Batch::split(shapes, counts, values)
            .map_err(coded)?
            .into_iter()
            .flat_map(|b| {
                let columns = b.columns;
                b.rows
                    .into_iter()
                    .map(move |row| columns.iter().cloned().zip(row).collect::<Vec<_>>())
            })
            .collect::<Vec<_>>();
        if ids.len() != records.len() {
            return Err(coded(Error::invalid("bulkUpdate needs one id per record")));
        }
        let updates = ids.into_iter().zip(records).collect();
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.bulk_update(&object, updates, returning, call.0).await },
            move |(count, rows)| written(returning, count, rows),
        )
    }

    #[napi(catch_unwind)]
    pub fn bulk_delete(
        &self,
        env: &Env,
        object: String,
        ids: JsInput,
        call: JsCall,
    ) -> Result<Answer<f64>, Coded> {
        let ids = list(ids, "bulkDelete expects an array of ids")?;
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.bulk_delete(&object, ids, call.0).await },
            |n| n as f64,
        )
    }

    /// `{ rows, columns, rowsAffected, lastInsertRowid }`.
    #[napi(catch_unwind)]
    pub fn execute(
        &self,
        env: &Env,
        sql: String,
        args: JsInput,
        call: JsCall,
    ) -> Result<Answer<JsOutput>, Coded> {
        let args = list(args, "SQL parameters must be an array")?;
        let tx = call.0.tx;
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.execute(&sql, args, tx).await },
            executed,
        )
    }

    /// `{ frame_no, frames_synced }` of an embedded replica's sync (the shape of
    /// `@libsql/client`'s), or `null` for a database that does not sync.
    #[napi(catch_unwind)]
    pub fn sync(&self, env: &Env) -> Result<Answer<JsOutput>, Coded> {
        let d = self.inner.clone();
        self.run(env, async move { d.sync().await }, |synced| {
            JsOutput(match synced {
                None => Value::Null,
                Some((frame_no, frames)) => Value::Object(vec![
                    (
                        "frame_no".into(),
                        frame_no.map_or(Value::Null, |n| Value::Integer(n as i64)),
                    ),
                    ("frames_synced".into(), Value::Integer(frames as i64)),
                ]),
            })
        })
    }

    #[napi(catch_unwind)]
    pub fn begin_transaction(&self, env: &Env) -> Result<Answer<u32>, Coded> {
        let d = self.inner.clone();
        self.run(env, async move { d.begin_transaction().await }, |tx| tx)
    }

    #[napi(catch_unwind)]
    pub fn commit(&self, env: &Env, tx: u32) -> Result<Answer<()>, Coded> {
        let d = self.inner.clone();
        self.run(env, async move { d.commit(tx).await }, |()| ())
    }

    #[napi(catch_unwind)]
    pub fn rollback(&self, env: &Env, tx: u32) -> Result<Answer<()>, Coded> {
        let d = self.inner.clone();
        self.run(env, async move { d.rollback(tx).await }, |()| ())
    }
}

impl NativeDriver {
    pub(crate) fn run<T, J>(
        &self,
        env: &Env,
        op: impl Future<Output = driver_core::Result<T>> + Send + 'static,
        wrap: impl FnOnce(T) -> J + Send + 'static,
    ) -> Result<Answer<J>, Coded>
    where
        T: Send + 'static,
        J: ToNapiValue + Send + 'static,
    {
        dispatch(env, self.limits.as_ref(), op, wrap)
    }
}

/// What bulkCreate / bulkUpdate answer: the rows (`returning`) or how many.
fn written(returning: bool, count: u64, rows: driver_core::rows::RowSet) -> JsOutput {
    JsOutput(if returning {
        Value::Array(rows.into_records())
    } else {
        Value::Integer(count as i64)
    })
}

/// `{ rows, columns, rowsAffected, lastInsertRowid }` of `execute`.
fn executed(
    (rows, changes): (driver_core::rows::RowSet, driver_core::store::conn::Changes),
) -> JsOutput {
    let columns = rows
        .columns
        .iter()
        .map(|c| Value::from(c.as_str()))
        .collect();
    JsOutput(Value::Object(vec![
        ("rows".into(), Value::Array(rows.into_records())),
        ("columns".into(), Value::Array(columns)),
        (
            "rowsAffected".into(),
            Value::Integer(changes.rows_affected as i64),
        ),
        (
            "lastInsertRowid".into(),
            Value::Integer(changes.last_insert_rowid),
        ),
    ]))
}

/// The parallel `keys` / `values` lists of `lib/records.js`.
/// An argument read inside the call (see `JsFilter`): a value it cannot hold is the
/// caller's mistake, as when napi converts an argument.
fn read_arg(value: napi::Result<Value>) -> Result<Value, Coded> {
    value.map_err(|err| napi::Error::new("InvalidArg", err.reason))
}

fn record_parts(
    keys: JsInput,
    values: JsInput,
    json: Option<Vec<u32>>,
) -> Result<(Vec<String>, Vec<Value>), Coded> {
    let message = "Record data must be an object of field values";
    let keys = list(keys, message)?
        .into_iter()
        .map(|k| match k {
            Value::Text(k) => Ok(k),
            _ => Err(coded(Error::invalid(message))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((keys, json_cells(list(values, message)?, json)))
}

/// A record from the parallel `keys` / `values` lists of `lib/records.js`.
fn record(keys: JsInput, values: JsInput, json: Option<Vec<u32>>) -> Result<Record, Coded> {
    let (keys, values) = record_parts(keys, values, json)?;
    record_from_parts(keys, values).map_err(coded)
}

/// The values `lib/records.js` serialised with `JSON.stringify` (structures, under the
/// kernel contract), at the indices `json` lists: one string crosses instead of a tree
/// walked property by property, and the text stored is exactly JavaScript's.
fn json_cells(mut values: Vec<Value>, json: Option<Vec<u32>>) -> Vec<Value> {
    for i in json.unwrap_or_default() {
        if let Some(cell) = values.get_mut(i as usize) {
            if let Value::Text(text) = std::mem::take(cell) {
                *cell = Value::Json(text);
            }
        }
    }
    values
}

/// Object definitions: an array, one definition, or nothing.
pub(crate) fn object_list(objects: JsInput) -> Result<Vec<Value>, Coded> {
    match objects.0 {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(Vec::new()),
        single @ Value::Object(_) => Ok(vec![single]),
        other => Err(coded(Error::invalid(format!(
            "expected an array of object definitions, got {}",
            other.type_name()
        )))),
    }
}

fn list(input: JsInput, message: &str) -> Result<Vec<Value>, Coded> {
    match input.0 {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(Vec::new()),
        _ => Err(coded(Error::invalid(message))),
    }
}
