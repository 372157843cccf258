//! `diffSchema` and `generateMigration`: convert, forward to `driver_core::schema_diff`,
//! convert back.

use driver_core::schema_diff::{self, DiffOptions, SchemaDiff};
use napi_derive::napi;

use crate::convert::{JsInput, JsOutput};
use crate::error::{coded, Coded};

/// `desired`: `[{ name, fields }]`; `live`: the `introspectSchema()` result; `options`:
/// `{ systemTables?: string[] }` (name prefixes never dropped, besides `sqlite_`).
/// Returns `{ actions, summary }`.
#[napi(catch_unwind)]
pub fn diff_schema(
    desired: JsInput,
    live: JsInput,
    options: Option<JsInput>,
) -> Result<JsOutput, Coded> {
    let opts = match options {
        Some(options) => DiffOptions::from_value(&options.0).map_err(coded)?,
        None => DiffOptions::default(),
    };
    let desired = schema_diff::parse_desired(&desired.0).map_err(coded)?;
    schema_diff::diff_schema(&desired, &live.0, &opts)
        .map(|diff| JsOutput(diff.to_value()))
        .map_err(coded)
}

/// `diff`: a `diffSchema` result. Returns `{ up, down, summary }`.
#[napi(catch_unwind)]
pub fn generate_migration(diff: JsInput) -> Result<JsOutput, Coded> {
    SchemaDiff::from_value(&diff.0)
        .and_then(|diff| schema_diff::generate_migration(&diff))
        .map(|migration| JsOutput(migration.to_value()))
        .map_err(coded)
}
