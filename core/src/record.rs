//! Records on their way in. A caller's records arrive as column names plus values
//! (the JS layer sends them that way because V8 lists keys far faster than N-API can);
//! [`Batch`] holds many records of one shape, so per-column work happens once per batch.

use crate::error::{Error, Result};
use crate::identifier::check_identifier;
use crate::record_id::{new_id, record_id};
use crate::rows::{check_json_cell, write_cell, Clock, FieldKinds};
use crate::value::Value;

/// One record's fields, in the caller's order.
pub type Record = Vec<(String, Value)>;

/// Records that share one list of columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Batch {
    /// Checks every column name, that each row has one value per column, and that each
    /// value can be stored as it is ([`check_storable`]).
    pub fn new(columns: Vec<String>, rows: Vec<Vec<Value>>) -> Result<Batch> {
        for column in &columns {
            check_identifier(column)?;
        }
        for row in &rows {
            if row.len() != columns.len() {
                return Err(Error::invalid(format!(
                    "a record has {} values for {} fields",
                    row.len(),
                    columns.len()
                )));
            }
            for (column, value) in columns.iter().zip(row) {
                check_storable(column, value)?;
            }
        }
        Ok(Batch { columns, rows })
    }

    /// Splits a flat list of values into batches: `shapes[i]` names the columns of the
    /// next `counts[i]` records.
    pub fn split(
        shapes: Vec<Vec<String>>,
        counts: Vec<u32>,
        values: Vec<Value>,
    ) -> Result<Vec<Batch>> {
        if shapes.len() != counts.len() {
            return Err(Error::invalid("each record shape needs a record count"));
        }
        let mut values = values.into_iter();
        let mut batches = Vec::with_capacity(shapes.len());
        for (columns, count) in shapes.into_iter().zip(counts) {
            let width = columns.len();
            let rows = (0..count)
                .map(|_| {
                    let row: Vec<Value> = values.by_ref().take(width).collect();
                    if row.len() == width {
                        Ok(row)
                    } else {
                        Err(Error::invalid(
                            "fewer values than the record shapes describe",
                        ))
                    }
                })
                .collect::<Result<Vec<_>>>()?;
            batches.push(Batch::new(columns, rows)?);
        }
        if values.next().is_some() {
            return Err(Error::invalid(
                "more values than the record shapes describe",
            ));
        }
        Ok(batches)
    }

    /// Sets `column` to `value` in every row where `unset` says it has none, adding the
    /// column when no row has it (how inserts get their tenant and audit stamps).
    pub fn fill(&mut self, column: &str, value: &Value, unset: impl Fn(&Value) -> bool) {
        match self.columns.iter().position(|c| c == column) {
            Some(i) => {
                for row in &mut self.rows {
                    if let Some(cell) = row.get_mut(i).filter(|cell| unset(cell)) {
                        *cell = value.clone();
                    }
                }
            }
            None => {
                self.columns.push(column.to_owned());
                for row in &mut self.rows {
                    row.push(value.clone());
                }
            }
        }
    }

    /// Names column `from` `to` unless the records have a `to` already; then `from` is
    /// dropped.
    pub fn rename_unless_present(&mut self, from: &str, to: &str) {
        if !self.columns.iter().any(|c| c == from) {
            return;
        }
        if self.columns.iter().any(|c| c == to) {
            self.remove(from);
        } else if let Some(column) = self.columns.iter_mut().find(|c| *c == from) {
            *column = to.to_owned();
        }
    }

    /// Removes `column` from every row.
    pub fn remove(&mut self, column: &str) {
        if let Some(i) = self.columns.iter().position(|c| c == column) {
            self.columns.remove(i);
            for row in &mut self.rows {
                if i < row.len() {
                    row.remove(i);
                }
            }
        }
    }

    /// The rows as records (column, value) pairs.
    pub fn into_records(self) -> Vec<Record> {
        let columns = self.columns;
        self.rows
            .into_iter()
            .map(|row| columns.iter().cloned().zip(row).collect())
            .collect()
    }

    pub fn single(record: Record) -> Result<Batch> {
        let (columns, values) = record.into_iter().unzip();
        Batch::new(columns, vec![values])
    }

    /// Ready to insert: every row gets an id (generated when missing or falsy, as the
    /// TypeScript driver did) and every cell is serialised for its field's kind.
    pub fn prepare_insert(mut self, kinds: &FieldKinds) -> Result<Batch> {
        let id_col = match self.columns.iter().position(|c| c == "id") {
            Some(i) => i,
            None => {
                self.columns.push("id".to_owned());
                for row in &mut self.rows {
                    row.push(Value::Null);
                }
                self.columns.len() - 1
            }
        };
        let per_column: Vec<_> = self.columns.iter().map(|c| kinds.kind(c)).collect();
        let now = Clock::default();
        for row in &mut self.rows {
            for (i, (cell, kind)) in row.iter_mut().zip(&per_column).enumerate() {
                *cell = if i == id_col {
                    if cell.is_truthy() {
                        record_id(cell)?
                    } else {
                        Value::Text(new_id())
                    }
                } else {
                    check_json_cell(&self.columns[i], cell, *kind)?;
                    write_cell(kinds.resolve_now(std::mem::take(cell), &now), *kind)
                };
            }
        }
        Ok(self)
    }
}

/// SQLite's longest value (`SQLITE_MAX_LENGTH`): a longer one is bound as NULL.
pub const MAX_VALUE_BYTES: usize = 1_000_000_000;

/// What would not come back as it was given, and why: a value longer than SQLite holds
/// (it would be stored as NULL), text with a NUL character (it would be read back cut
/// there), a NaN or infinite number (stored as NULL). The one rule: records are checked
/// by it field by field, and every bound parameter once more (`store::conn`).
pub fn storage_problem(value: &Value) -> Option<&'static str> {
    Some(match value {
        Value::Text(t) | Value::Json(t) if t.len() > MAX_VALUE_BYTES => "is longer than SQLite's limit of 1,000,000,000 bytes",
        Value::Blob(b) if b.len() > MAX_VALUE_BYTES => "is longer than SQLite's limit of 1,000,000,000 bytes",
        Value::Text(t) if t.contains('\0') => {
            "contains a NUL character (\\0), which text read back from SQLite ends at; store it as a Buffer"
        }
        Value::Real(f) if !f.is_finite() => "is not a finite number (SQLite would store NULL)",
        _ => return None,
    })
}

/// Refuses a field's value by [`storage_problem`], naming the field.
pub fn check_storable(field: &str, value: &Value) -> Result<()> {
    match storage_problem(value) {
        None => Ok(()),
        Some(problem) => Err(Error::invalid(format!(
            "Field \"{field}\": {} {problem}",
            value.describe()
        ))),
    }
}

/// A record from an object value (`{ field: value }`).
pub fn record_from_value(data: Value) -> Result<Record> {
    match data {
        Value::Object(entries) => {
            for (k, v) in &entries {
                check_identifier(k)?;
                check_storable(k, v)?;
            }
            Ok(entries)
        }
        Value::Null => Ok(Vec::new()),
        other => Err(Error::invalid(format!(
            "Record data must be an object of field values, got {}",
            other.type_name()
        ))),
    }
}

/// A record from parallel key and value lists.
pub fn record_from_parts(keys: Vec<String>, values: Vec<Value>) -> Result<Record> {
    let batch = Batch::new(keys, vec![values])?;
    let values = batch.rows.into_iter().next().unwrap_or_default();
    Ok(batch.columns.into_iter().zip(values).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn prepare_insert_adds_ids_and_serialises() {
        let mut kinds = FieldKinds::default();
        kinds.set("meta", crate::rows::Kind::Json);
        kinds.set("done", crate::rows::Kind::Boolean);
        let batch = Batch::new(
            vec!["meta".into(), "done".into()],
            vec![
                vec![Value::Array(vec![Value::Integer(1)]), Value::Bool(true)],
                vec![Value::Null, Value::Bool(false)],
            ],
        )
        .unwrap()
        .prepare_insert(&kinds)
        .unwrap();
        assert_eq!(batch.columns, vec!["meta", "done", "id"]);
        assert_eq!(batch.rows[0][0], Value::from("[1]"));
        assert_eq!(batch.rows[0][1], Value::Integer(1));
        assert_eq!(batch.rows[1][1], Value::Integer(0));
        assert!(matches!(&batch.rows[1][2], Value::Text(id) if id.len() == 16));
    }

    #[test]
    fn keeps_given_ids_and_replaces_falsy_ones() {
        let batch = Batch::new(
            vec!["id".into()],
            vec![
                vec![Value::from("a")],
                vec![Value::from("")],
                vec![Value::Real(7.0)],
            ],
        )
        .unwrap()
        .prepare_insert(&FieldKinds::default())
        .unwrap();
        assert_eq!(batch.rows[0][0], Value::from("a"));
        assert!(matches!(&batch.rows[1][0], Value::Text(id) if id.len() == 16));
        assert_eq!(batch.rows[2][0], Value::Integer(7));
    }

    #[test]
    fn splits_flat_values_by_shape() {
        let values = (1..=5).map(Value::Integer).collect();
        let batches = Batch::split(
            vec![vec!["a".into(), "b".into()], vec!["c".into()]],
            vec![2, 1],
            values,
        )
        .unwrap();
        assert_eq!(
            batches[0].rows,
            vec![vec![1.into(), 2.into()], vec![3.into(), 4.into()]]
        );
        assert_eq!(batches[1].rows, vec![vec![Value::Integer(5)]]);
        let short = Batch::split(vec![vec!["a".into()]], vec![2], vec![Value::Null]);
        assert!(short.is_err());
        let long = Batch::split(
            vec![vec!["a".into()]],
            vec![1],
            vec![Value::Null, Value::Null],
        );
        assert!(long.is_err());
    }

    #[test]
    fn refuses_bad_shapes_and_names() {
        let err = Batch::new(vec!["a".into()], vec![vec![]]).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
        let err = Batch::new(vec!["".into()], vec![]).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
        let err = record_id(&Value::Bool(true)).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
    }
}
