//! The pure helpers of the contract (query compiler, type and result mappers). They run
//! the same core code the driver uses, so what they print is what the driver executes.

use driver_core::query::{self, Compiled, SelectOptions};
use driver_core::rows::{map_record, serialize_record, FieldKinds, Kind};
use driver_core::{types, Error, Value};
use napi_derive::napi;

use crate::convert::{JsInput, JsOutput};
use crate::error::{coded, Coded};

fn compiled_to_value(c: Compiled) -> Value {
    Value::Object(vec![
        ("sql".into(), Value::Text(c.sql)),
        ("args".into(), Value::Array(c.args)),
    ])
}

#[napi(catch_unwind)]
pub fn compile_filter(filters: JsInput) -> Result<JsOutput, Coded> {
    query::compile_filter(&filters.0)
        .map(|c| JsOutput(compiled_to_value(c)))
        .map_err(coded)
}

/// `options.where` is an already compiled `{ sql, args }` (from `compileFilter`).
#[napi(catch_unwind)]
pub fn compile_select(options: JsInput) -> Result<JsOutput, Coded> {
    let opts = options.0;
    let object = match opts.get("objectName") {
        Some(Value::Text(name)) => name.clone(),
        _ => {
            return Err(coded(Error::invalid(
                "compileSelect needs an \"objectName\" string",
            )))
        }
    };
    let fields = match opts.get("fields") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|f| {
                f.as_str().map(str::to_owned).ok_or_else(|| {
                    coded(Error::invalid("\"fields\" must be an array of field names"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    let filter = match opts.get("where") {
        Some(w) => Compiled {
            sql: w
                .get("sql")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            args: w
                .get("args")
                .and_then(Value::as_array)
                .map(<[Value]>::to_vec)
                .unwrap_or_default(),
        },
        None => Compiled::default(),
    };
    let order_by = query::parse_sort(opts.get("orderBy").unwrap_or(&Value::Null)).map_err(coded)?;
    let count = |key: &str| -> Result<Option<i64>, Coded> {
        match opts.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| coded(Error::invalid(format!("\"{key}\" must be a whole number")))),
        }
    };
    let compiled = query::compile_select(&SelectOptions {
        object: &object,
        fields: &fields,
        filter,
        order_by: &order_by,
        limit: count("limit")?,
        offset: count("offset")?,
    })
    .map_err(coded)?;
    Ok(JsOutput(compiled_to_value(compiled)))
}

#[napi(catch_unwind)]
pub fn parse_sort(sort: JsInput) -> Result<JsOutput, Coded> {
    let keys = query::parse_sort(&sort.0).map_err(coded)?;
    Ok(JsOutput(Value::Array(
        keys.into_iter()
            .map(|k| {
                Value::Object(vec![
                    ("field".into(), Value::Text(k.field)),
                    ("direction".into(), Value::from(k.direction.as_str())),
                ])
            })
            .collect(),
    )))
}

#[napi(catch_unwind)]
pub fn quote_identifier(name: String) -> Result<String, Coded> {
    driver_core::identifier::quote_identifier(&name).map_err(coded)
}

#[napi]
pub fn field_type_to_sqlite(field_type: String) -> &'static str {
    types::field_type_to_sqlite(&field_type)
}

#[napi]
pub fn is_json_field_type(field_type: String) -> bool {
    types::is_json_field_type(&field_type)
}

#[napi]
pub fn is_boolean_field_type(field_type: String) -> bool {
    types::is_boolean_field_type(&field_type)
}

/// Field sets arrive as arrays (the JS layer turns `Set`s into arrays).
fn kinds(json: JsInput, boolean: JsInput) -> FieldKinds {
    let mut kinds = FieldKinds::default();
    for (names, kind) in [(json.0, Kind::Json), (boolean.0, Kind::Boolean)] {
        if let Value::Array(items) = names {
            for name in items {
                if let Value::Text(name) = name {
                    kinds.set(name, kind);
                }
            }
        }
    }
    kinds
}

#[napi(catch_unwind)]
pub fn map_rows(rows: JsInput, json_fields: JsInput, boolean_fields: JsInput) -> JsOutput {
    let kinds = kinds(json_fields, boolean_fields);
    JsOutput(match rows.0 {
        Value::Array(rows) => {
            Value::Array(rows.into_iter().map(|r| map_record(r, &kinds)).collect())
        }
        other => map_record(other, &kinds),
    })
}

#[napi(catch_unwind)]
pub fn serialize_record_value(
    data: JsInput,
    json_fields: JsInput,
    boolean_fields: JsInput,
) -> Result<JsOutput, Coded> {
    let kinds = kinds(json_fields, boolean_fields);
    match data.0 {
        Value::Object(entries) => Ok(JsOutput(Value::Object(serialize_record(entries, &kinds)))),
        Value::Null => Ok(JsOutput(Value::Object(Vec::new()))),
        other => Err(coded(Error::invalid(format!(
            "serializeRecord expects an object, got {}",
            other.type_name()
        )))),
    }
}
