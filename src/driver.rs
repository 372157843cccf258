//! `NativeDriver`: the napi face of `driver_core::driver::Driver`.
//!
//! Local databases run every statement inline on the JS thread (their futures finish on
//! the first poll); the JS layer wraps the results in settled Promises.

use std::future::Future;
use std::sync::Arc;

use driver_core::config::DriverConfig;
use driver_core::driver::{Driver, Updated};
use driver_core::poll::poll_once;
use driver_core::record::{record_from_parts, Batch, Record};
use driver_core::{Error, Value};
use napi_derive::napi;

use crate::convert::{JsCall, JsInput, JsOutput, JsRow, JsRows};
use crate::error::{coded, Coded};

#[napi]
pub struct NativeDriver {
    inner: Arc<Driver>,
}

/// Runs a local operation to completion on this thread.
fn inline<T>(fut: impl Future<Output = driver_core::Result<T>>) -> Result<T, Coded> {
    match poll_once(fut) {
        Some(result) => result.map_err(coded),
        None => Err(coded(Error::driver(
            "internal: a local database operation did not complete synchronously",
        ))),
    }
}

#[napi]
impl NativeDriver {
    #[napi(constructor, catch_unwind)]
    pub fn new(config: JsInput) -> Result<Self, Coded> {
        let config = DriverConfig::from_value(&config.0).map_err(coded)?;
        config.check_servable().map_err(coded)?;
        Ok(NativeDriver {
            inner: Arc::new(Driver::new(config)),
        })
    }

    /// Milliseconds a write may wait for another connection's transaction.
    #[napi(getter)]
    pub fn busy_timeout(&self) -> f64 {
        self.inner.config().busy_timeout_ms() as f64
    }

    #[napi(catch_unwind)]
    pub fn connect(&self) -> Result<(), Coded> {
        inline(self.inner.connect()).map(|_| ())
    }

    #[napi(catch_unwind)]
    pub fn disconnect(&self) {
        self.inner.disconnect();
    }

    #[napi(catch_unwind)]
    pub fn check_health(&self) -> bool {
        poll_once(self.inner.check_health()).unwrap_or(false)
    }

    #[napi(catch_unwind)]
    pub fn sync_schema(&self, objects: JsInput) -> Result<(), Coded> {
        inline(self.inner.sync_schema(&object_list(objects)?))
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

    #[napi(catch_unwind)]
    pub fn reclaim_space(&self) -> Result<(), Coded> {
        inline(self.inner.reclaim_space())
    }

    #[napi(catch_unwind)]
    pub fn drop_table(&self, object: String) -> Result<(), Coded> {
        inline(self.inner.drop_table(&object))
    }

    #[napi(catch_unwind)]
    pub fn introspect_schema(&self) -> Result<JsOutput, Coded> {
        inline(self.inner.introspect()).map(JsOutput)
    }

    #[napi(catch_unwind)]
    pub fn find(&self, object: String, query: JsInput, call: JsCall) -> Result<JsRows, Coded> {
        inline(self.inner.find(&object, &query.0, call.0)).map(JsRows)
    }

    #[napi(catch_unwind)]
    pub fn find_one(&self, object: String, id: JsInput, call: JsCall) -> Result<JsRow, Coded> {
        inline(self.inner.find_one(&object, &id.0, call.0)).map(JsRow)
    }

    #[napi(catch_unwind)]
    pub fn count(&self, object: String, filter: JsInput, call: JsCall) -> Result<f64, Coded> {
        inline(self.inner.count(&object, &filter.0, call.0)).map(|n| n as f64)
    }

    #[napi(catch_unwind)]
    pub fn distinct(
        &self,
        object: String,
        field: String,
        filter: JsInput,
        call: JsCall,
    ) -> Result<JsOutput, Coded> {
        inline(self.inner.distinct(&object, &field, &filter.0, call.0))
            .map(|values| JsOutput(Value::Array(values)))
    }

    #[napi(catch_unwind)]
    pub fn aggregate(&self, object: String, query: JsInput, call: JsCall) -> Result<JsRows, Coded> {
        inline(self.inner.aggregate(&object, &query.0, call.0)).map(JsRows)
    }

    #[napi(catch_unwind)]
    pub fn explain(&self, object: String, query: JsInput, call: JsCall) -> Result<JsRows, Coded> {
        inline(self.inner.explain(&object, &query.0, call.0)).map(JsRows)
    }

    /// Records arrive as parallel `keys` / `values` lists (see `lib/records.js`).
    #[napi(catch_unwind)]
    pub fn create(
        &self,
        object: String,
        keys: JsInput,
        values: JsInput,
        call: JsCall,
    ) -> Result<JsRow, Coded> {
        let (keys, values) = record_parts(keys, values)?;
        let batch = Batch::new(keys, vec![values]).map_err(coded)?;
        inline(self.inner.create_one(&object, batch, call.0)).map(JsRow)
    }

    /// Insert, or update the row that conflicts on `conflict` (the id when empty).
    #[napi(catch_unwind)]
    pub fn upsert(
        &self,
        object: String,
        keys: JsInput,
        values: JsInput,
        conflict: Vec<String>,
        call: JsCall,
    ) -> Result<JsRow, Coded> {
        let record = record(keys, values)?;
        inline(self.inner.upsert(&object, record, &conflict, call.0)).map(JsRow)
    }

    /// The stored row, or `null` when no row has that id.
    #[napi(catch_unwind)]
    pub fn update(
        &self,
        object: String,
        id: JsInput,
        keys: JsInput,
        values: JsInput,
        call: JsCall,
    ) -> Result<JsRow, Coded> {
        let record = record(keys, values)?;
        inline(self.inner.update(&object, &id.0, record, call.0)).map(|updated| match updated {
            Updated::Row(rows) => JsRow(rows),
            Updated::Missing => JsRow(Default::default()),
        })
    }

    #[napi(catch_unwind)]
    pub fn delete(&self, object: String, id: JsInput, call: JsCall) -> Result<bool, Coded> {
        inline(self.inner.delete(&object, &id.0, call.0))
    }

    #[napi(catch_unwind)]
    pub fn update_many(
        &self,
        object: String,
        filter: JsInput,
        keys: JsInput,
        values: JsInput,
        call: JsCall,
    ) -> Result<f64, Coded> {
        let record = record(keys, values)?;
        inline(self.inner.update_many(&object, &filter.0, record, call.0)).map(|n| n as f64)
    }

    #[napi(catch_unwind)]
    pub fn delete_many(&self, object: String, filter: JsInput, call: JsCall) -> Result<f64, Coded> {
        inline(self.inner.delete_many(&object, &filter.0, call.0)).map(|n| n as f64)
    }

    /// Inserts all records in one transaction: `shapes[i]` names the fields of the next
    /// `counts[i]` records, whose values follow each other in `values`. Returns the stored
    /// rows when `returning`, else the count.
    #[napi(catch_unwind)]
    pub fn bulk_create(
        &self,
        object: String,
        shapes: Vec<Vec<String>>,
        counts: Vec<u32>,
        values: JsInput,
        returning: bool,
        call: JsCall,
    ) -> Result<JsOutput, Coded> {
        let values = list(values, "bulkCreate values must be an array")?;
        let batches = Batch::split(shapes, counts, values).map_err(coded)?;
        let (count, rows) = inline(self.inner.bulk_create(&object, batches, returning, call.0))?;
        Ok(JsOutput(if returning {
            Value::Array(rows.into_records())
        } else {
            Value::Integer(count as i64)
        }))
    }

    /// `ids[i]` gets the changes of the i-th record of `shapes`/`counts`/`values`.
    /// Returns the updated rows when `returning`, else how many changed.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn bulk_update(
        &self,
        object: String,
        ids: JsInput,
        shapes: Vec<Vec<String>>,
        counts: Vec<u32>,
        values: JsInput,
        returning: bool,
        call: JsCall,
    ) -> Result<JsOutput, Coded> {
        let ids = list(ids, "bulkUpdate ids must be an array")?;
        let values = list(values, "bulkUpdate values must be an array")?;
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
        let (count, rows) = inline(self.inner.bulk_update(&object, updates, returning, call.0))?;
        Ok(JsOutput(if returning {
            Value::Array(rows.into_records())
        } else {
            Value::Integer(count as i64)
        }))
    }

    #[napi(catch_unwind)]
    pub fn bulk_delete(&self, object: String, ids: JsInput, call: JsCall) -> Result<f64, Coded> {
        let ids = list(ids, "bulkDelete expects an array of ids")?;
        inline(self.inner.bulk_delete(&object, ids, call.0)).map(|n| n as f64)
    }

    /// `{ rows, columns, rowsAffected, lastInsertRowid }`.
    #[napi(catch_unwind)]
    pub fn execute(&self, sql: String, args: JsInput, call: JsCall) -> Result<JsOutput, Coded> {
        let args = list(args, "SQL parameters must be an array")?;
        let tx = call.0.tx;
        let (rows, changes) = inline(self.inner.execute(&sql, args, tx))?;
        let columns = rows
            .columns
            .iter()
            .map(|c| Value::from(c.as_str()))
            .collect();
        Ok(JsOutput(Value::Object(vec![
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
        ])))
    }

    #[napi(catch_unwind)]
    pub fn begin_transaction(&self) -> Result<u32, Coded> {
        inline(self.inner.begin_transaction())
    }

    #[napi(catch_unwind)]
    pub fn commit(&self, tx: u32) -> Result<(), Coded> {
        inline(self.inner.commit(tx))
    }

    #[napi(catch_unwind)]
    pub fn rollback(&self, tx: u32) -> Result<(), Coded> {
        inline(self.inner.rollback(tx))
    }
}

/// The parallel `keys` / `values` lists of `lib/records.js`.
fn record_parts(keys: JsInput, values: JsInput) -> Result<(Vec<String>, Vec<Value>), Coded> {
    let message = "Record data must be an object of field values";
    let keys = list(keys, message)?
        .into_iter()
        .map(|k| match k {
            Value::Text(k) => Ok(k),
            _ => Err(coded(Error::invalid(message))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((keys, list(values, message)?))
}

/// A record from the parallel `keys` / `values` lists of `lib/records.js`.
fn record(keys: JsInput, values: JsInput) -> Result<Record, Coded> {
    let (keys, values) = record_parts(keys, values)?;
    record_from_parts(keys, values).map_err(coded)
}

/// Object definitions: an array, one definition, or nothing.
fn object_list(objects: JsInput) -> Result<Vec<Value>, Coded> {
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
