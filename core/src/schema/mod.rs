//! Object definitions -> tables: what a definition says ([`ObjectDef`]), the `CREATE
//! TABLE` and `ADD COLUMN` statements for it, its indexes ([`index`]) and what the
//! database holds ([`introspect`]).

pub mod drift;
pub mod fingerprint;
pub mod index;
pub mod introspect;

use crate::column_map::ColumnMap;
use crate::config::Contract;
use crate::error::{Error, Result};
use crate::identifier::quote_identifier;
use crate::rows::FieldKinds;
use crate::temporal::{is_now_token, is_runtime_token, Temporal};
use crate::tenancy::Declaration;
use crate::types::{column_type, field_kind, is_boolean_field_type, FieldKind};
use crate::value::Value;

/// The audit columns every table of the kernel contract has, stamped by the driver.
pub const AUDIT_COLUMNS: [&str; 2] = ["created_at", "updated_at"];

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    pub name: String,
    pub field_type: String,
    pub required: bool,
    /// `storage: { notNull: true }`: the column itself refuses NULL, whatever the contract.
    pub storage_not_null: bool,
    pub default: Option<Value>,
    /// A list of values (`multiple: true`), stored as JSON whatever the type.
    pub multiple: bool,
    /// `unique: true | 'organization' | 'global'` on the field.
    pub unique: Uniqueness,
    /// The format of an `autonumber` field (`autonumberFormat`, else `format`).
    pub autonumber: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectDef {
    pub name: String,
    /// Every field but `id` (the primary key is always `"id" TEXT PRIMARY KEY`).
    pub fields: Vec<FieldDef>,
    /// Declared indexes (`indexes: [{ fields, unique?, name? }]`).
    pub indexes: Vec<IndexDef>,
    /// The `tenancy` block.
    pub tenancy: Declaration,
    /// `external.remoteName`: the table of an object the driver does not manage.
    pub remote_name: Option<String>,
    /// `external.columnMap`: the columns its fields live in, where their names differ.
    pub column_map: Option<ColumnMap>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexDef {
    pub name: Option<String>,
    pub fields: Vec<String>,
    pub unique: Uniqueness,
}

/// `unique` of a declared index: `false`; `true`/`'global'` over exactly its fields;
/// `'organization'`, unique per organization (a NULL organization counts as one). On a
/// field, `true` means per organization too (global only when the object has no tenant
/// field), and `'global'` across them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Global,
    Organization,
}

impl ObjectDef {
    /// Reads `{ name, fields: { [field]: { type?, required?, defaultValue? } } }`.
    pub fn from_value(object: &Value) -> Result<ObjectDef> {
        let name = match object.get("name") {
            Some(Value::Text(name)) => name.clone(),
            _ => {
                return Err(Error::invalid(
                    "Each object definition needs a \"name\" string",
                ))
            }
        };
        quote_identifier(&name)?;
        let mut fields = Vec::new();
        if let Some(defs) = object.get("fields") {
            let entries = defs.as_object().ok_or_else(|| {
                Error::invalid(format!(
                    "\"fields\" of object \"{name}\" must be an object of field definitions"
                ))
            })?;
            for (field, def) in entries {
                if field == "id" {
                    continue;
                }
                quote_identifier(field)?;
                let field_type = match def.get("type") {
                    Some(Value::Text(t)) => t.clone(),
                    Some(other) => {
                        return Err(Error::invalid(format!(
                            "Field \"{name}.{field}\" has a {} type; it must be a string such as \"text\"",
                            other.type_name()
                        )))
                    }
                    None => "text".to_owned(),
                };
                let unique = match def.get("unique") {
                    None | Some(Value::Bool(false)) => Uniqueness::None,
                    Some(Value::Text(s)) if s == "global" => Uniqueness::Global,
                    Some(Value::Bool(true)) => Uniqueness::Organization,
                    Some(Value::Text(s)) if s == "organization" => Uniqueness::Organization,
                    Some(other) => {
                        return Err(Error::invalid(format!(
                            "\"unique\" of field \"{name}.{field}\" must be true, false, \"organization\" or \"global\", got {}",
                            other.to_json()
                        )))
                    }
                };
                // The spec spells it `autonumber`; older definitions `auto_number`.
                let autonumber = (field_type.eq_ignore_ascii_case("autonumber")
                    || field_type.eq_ignore_ascii_case("auto_number"))
                .then(|| {
                    ["autonumberFormat", "format"]
                        .iter()
                        .find_map(|k| def.get(k).and_then(Value::as_str))
                        .filter(|f| !f.is_empty())
                        .unwrap_or(DEFAULT_AUTONUMBER_FORMAT)
                        .to_owned()
                });
                fields.push(FieldDef {
                    name: field.clone(),
                    required: def.get("required").is_some_and(Value::is_truthy),
                    storage_not_null: def
                        .get("storage")
                        .and_then(|s| s.get("notNull"))
                        .is_some_and(|v| matches!(v, Value::Bool(true))),
                    default: def.get("defaultValue").cloned(),
                    multiple: def.get("multiple").is_some_and(Value::is_truthy),
                    unique,
                    autonumber,
                    field_type,
                });
            }
        }
        let indexes = match object.get("indexes") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| IndexDef::from_value(&name, i))
                .collect::<Result<Vec<_>>>()?,
            Some(other) => {
                return Err(Error::invalid(format!(
                    "\"indexes\" of object \"{name}\" must be an array, got a {}",
                    other.type_name()
                )))
            }
        };
        let remote_name = object
            .get("external")
            .and_then(|e| e.get("remoteName"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(remote) = &remote_name {
            quote_identifier(remote)?;
        }
        let column_map = ColumnMap::from_value(
            &name,
            object.get("external").and_then(|e| e.get("columnMap")),
        )?;
        Ok(ObjectDef {
            name,
            fields,
            indexes,
            tenancy: Declaration::from_value(object),
            remote_name,
            column_map,
        })
    }

    pub fn kinds(&self, contract: Contract) -> FieldKinds {
        let mut kinds = FieldKinds::default();
        kinds.merge(self, contract);
        kinds
    }

    /// `CREATE TABLE IF NOT EXISTS` with the primary key, the audit columns the contract
    /// wants (unless the definition declares them as fields) and every field.
    pub fn create_table_sql(&self, contract: Contract) -> Result<String> {
        let mut columns = vec!["\"id\" TEXT PRIMARY KEY".to_owned()];
        for audit in self.missing_audit_columns(contract) {
            columns.push(format!("\"{audit}\" TEXT"));
        }
        for f in self.fields.iter().filter(|f| f.has_column(contract)) {
            columns.push(f.column_sql(true, contract)?);
        }
        Ok(format!(
            "CREATE TABLE IF NOT EXISTS {} ({})",
            quote_identifier(&self.name)?,
            columns.join(", ")
        ))
    }

    /// The audit columns the contract wants that are not declared as fields.
    pub fn missing_audit_columns(&self, contract: Contract) -> Vec<&'static str> {
        if !contract.audit_columns() {
            return Vec::new();
        }
        AUDIT_COLUMNS
            .into_iter()
            .filter(|a| !self.fields.iter().any(|f| f.name == *a))
            .collect()
    }

    pub fn add_column_sql(&self, field: &FieldDef, contract: Contract) -> Result<String> {
        // SQLite can add a NOT NULL column only with a constant default for the existing
        // rows (an expression such as the clock is refused by ALTER TABLE).
        let mut column = quote_identifier(&field.name)?;
        column.push(' ');
        column.push_str(column_type(&field.field_type, field.multiple, contract));
        if let Some(ColumnDefault::Constant(default)) = field.column_default(contract) {
            if field.required {
                column.push_str(" NOT NULL");
            }
            column.push_str(" DEFAULT ");
            column.push_str(&default);
        }
        Ok(format!(
            "ALTER TABLE {} ADD COLUMN {column}",
            quote_identifier(&self.name)?
        ))
    }

    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }
}

impl IndexDef {
    fn from_value(object: &str, index: &Value) -> Result<IndexDef> {
        let fields = match index.get("fields") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|f| match f {
                    Value::Text(f) => Ok(f.clone()),
                    _ => Err(Error::invalid(format!(
                        "an index of \"{object}\" lists a field that is not a name"
                    ))),
                })
                .collect::<Result<Vec<_>>>()?,
            _ => {
                return Err(Error::invalid(format!(
                    "each index of \"{object}\" needs \"fields\": a non-empty array of field names"
                )))
            }
        };
        let unique = match index.get("unique") {
            None | Some(Value::Bool(false)) => Uniqueness::None,
            Some(Value::Bool(true)) => Uniqueness::Global,
            Some(Value::Text(s)) if s == "global" => Uniqueness::Global,
            Some(Value::Text(s)) if s == "organization" => Uniqueness::Organization,
            Some(other) => {
                return Err(Error::invalid(format!(
                    "index \"unique\" of \"{object}\" must be false, true, \"global\" or \"organization\", got {}",
                    other.to_json()
                )))
            }
        };
        Ok(IndexDef {
            name: index.get("name").and_then(Value::as_str).map(str::to_owned),
            fields,
            unique,
        })
    }
}

impl FieldDef {
    /// Whether the field is stored in a column: under the kernel contract a `formula`
    /// is computed by the engine on read, so it has none (unless it holds many values).
    pub fn has_column(&self, contract: Contract) -> bool {
        !(contract.spec_field_types()
            && !self.multiple
            && self.field_type.eq_ignore_ascii_case("formula"))
    }

    /// Whether the column is `NOT NULL`: `storage.notNull`, or (4.2.2) `required`. The
    /// kernel keeps `required` a write rule its engine checks: a column made NOT NULL for
    /// it would turn tightening a field into a table rebuild.
    pub fn not_null(&self, contract: Contract) -> bool {
        self.storage_not_null || (self.required && contract.required_is_not_null())
    }

    fn column_sql(&self, allow_not_null: bool, contract: Contract) -> Result<String> {
        let mut sql = format!(
            "{} {}",
            quote_identifier(&self.name)?,
            column_type(&self.field_type, self.multiple, contract)
        );
        if self.not_null(contract) && allow_not_null {
            sql.push_str(" NOT NULL");
        }
        match self.column_default(contract) {
            Some(ColumnDefault::Constant(default) | ColumnDefault::Clock(default)) => {
                sql.push_str(" DEFAULT ");
                sql.push_str(&default);
            }
            None => {}
        }
        Ok(sql)
    }

    /// The column's DEFAULT expression as `CREATE TABLE` writes it, if any.
    pub fn default_sql(&self, contract: Contract) -> Option<String> {
        match self.column_default(contract)? {
            ColumnDefault::Constant(sql) | ColumnDefault::Clock(sql) => Some(sql),
        }
    }

    /// The column's DEFAULT. Under the kernel contract `defaultValue: 'NOW()'` is the
    /// database clock at insert time, in the stored form of the field's kind; the tokens
    /// the engine resolves per request (`current_user`) and structured values are never a
    /// column default: written into the DDL, a system or seed insert would store the token
    /// itself.
    fn column_default(&self, contract: Contract) -> Option<ColumnDefault> {
        let default = self.default.as_ref()?;
        if contract.spec_field_types() {
            if is_now_token(default) {
                let kind = field_kind(&self.field_type, self.multiple, contract);
                return Some(ColumnDefault::Clock(now_default(kind).to_owned()));
            }
            if is_runtime_token(default) || matches!(default, Value::Array(_) | Value::Object(_)) {
                return None;
            }
        }
        Some(ColumnDefault::Constant(default_literal(
            default,
            &self.field_type,
        )))
    }
}

enum ColumnDefault {
    /// A literal, quoted.
    Constant(String),
    /// An expression of the clock, which `ALTER TABLE ADD COLUMN` cannot take.
    Clock(String),
}

/// `NOW()` as SQLite computes it, in the stored form of the field's kind.
fn now_default(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Temporal(Temporal::Date) => "(strftime('%Y-%m-%d', 'now'))",
        FieldKind::Temporal(Temporal::Time) => {
            "(CASE WHEN strftime('%H:%M:%f', 'now') LIKE '%.000' \
             THEN strftime('%H:%M:%S', 'now') ELSE strftime('%H:%M:%f', 'now') END)"
        }
        _ => "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
    }
}

/// A default as an SQL literal. DDL cannot bind parameters, so text is quoted with its
/// single quotes doubled; nothing else from the caller reaches the statement.
pub fn default_literal(value: &Value, field_type: &str) -> String {
    match value {
        Value::Null | Value::Foreign(_) => "NULL".to_owned(),
        Value::Bool(b) => i64::from(*b).to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) if f.is_finite() => format!("{f:?}"),
        Value::Real(_) => "NULL".to_owned(),
        Value::Text(s) if is_boolean_field_type(field_type) => {
            i64::from(s.eq_ignore_ascii_case("true") || s == "1").to_string()
        }
        Value::Text(s) => quote_text(s),
        Value::Blob(bytes) => {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            format!("X'{hex}'")
        }
        Value::Array(_) | Value::Object(_) => quote_text(&value.to_json()),
        Value::Json(text) => quote_text(text),
    }
}

/// The autonumber format of a field that names none: the bare counter, four digits.
pub const DEFAULT_AUTONUMBER_FORMAT: &str = "{0000}";

fn quote_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::Kind;
    use crate::temporal::Temporal;

    fn object(json: &str) -> ObjectDef {
        ObjectDef::from_value(&Value::parse_json(json).unwrap()).unwrap()
    }

    #[test]
    fn builds_create_table_with_escaped_defaults() {
        let def = object(
            r#"{"name":"task","fields":{"id":{},"title":{"type":"text","required":true,"defaultValue":"it's"},
               "n":{"type":"integer","defaultValue":3},"done":{"type":"boolean","defaultValue":false},
               "meta":{"type":"json","defaultValue":{"a":"b'c"}}}}"#,
        );
        assert_eq!(
            def.create_table_sql(Contract::ObjectQl).unwrap(),
            "CREATE TABLE IF NOT EXISTS \"task\" (\"id\" TEXT PRIMARY KEY, \"title\" TEXT NOT NULL DEFAULT 'it''s', \
             \"n\" INTEGER DEFAULT 3, \"done\" INTEGER DEFAULT 0, \"meta\" TEXT DEFAULT '{\"a\":\"b''c\"}')"
        );
        let kinds = def.kinds(Contract::ObjectQl);
        assert_eq!(kinds.kind("meta"), Kind::Json);
        assert_eq!(kinds.kind("done"), Kind::Boolean);
    }

    #[test]
    fn the_kernel_contract_adds_audit_columns_and_spec_types() {
        let def = object(
            r#"{"name":"t","fields":{"where":{"type":"location"},"stars":{"type":"rating"},
               "n":{"type":"number"},"pic":{"type":"image"},"updated_at":{"type":"datetime"},
               "total":{"type":"formula"}}}"#,
        );
        assert_eq!(
            def.create_table_sql(Contract::ObjectStack).unwrap(),
            "CREATE TABLE IF NOT EXISTS \"t\" (\"id\" TEXT PRIMARY KEY, \"created_at\" TEXT, \
             \"where\" TEXT, \"stars\" NUMERIC, \"n\" INTEGER, \"pic\" TEXT, \"updated_at\" TEXT)"
        );
        let kinds = def.kinds(Contract::ObjectStack);
        assert_eq!(kinds.kind("where"), Kind::JsonStrict);
        assert_eq!(kinds.kind("pic"), Kind::JsonStrict);
        assert_eq!(kinds.kind("stars"), Kind::Number);
        assert_eq!(kinds.temporal("updated_at"), Some(Temporal::DateTime));
        // 4.2.2 keeps its types: an image is bytes there, and no audit columns.
        assert_eq!(
            def.create_table_sql(Contract::ObjectQl).unwrap(),
            "CREATE TABLE IF NOT EXISTS \"t\" (\"id\" TEXT PRIMARY KEY, \"where\" TEXT, \
             \"stars\" TEXT, \"n\" INTEGER, \"pic\" BLOB, \"updated_at\" TEXT, \"total\" TEXT)"
        );
    }

    #[test]
    fn added_required_columns_without_default_stay_nullable() {
        let def = object(r#"{"name":"t","fields":{"a":{"required":true}}}"#);
        assert_eq!(
            def.add_column_sql(&def.fields[0], Contract::ObjectQl)
                .unwrap(),
            "ALTER TABLE \"t\" ADD COLUMN \"a\" TEXT"
        );
    }

    #[test]
    fn reads_unique_fields_and_autonumber_formats() {
        let def = object(
            r#"{"name":"t","fields":{"a":{"unique":true},"b":{"unique":"global"},
               "c":{"type":"autonumber","autonumberFormat":"C-{000}"},"d":{"type":"autonumber"}}}"#,
        );
        assert_eq!(def.fields[0].unique, Uniqueness::Organization);
        assert_eq!(def.fields[1].unique, Uniqueness::Global);
        assert_eq!(def.fields[2].autonumber.as_deref(), Some("C-{000}"));
        assert_eq!(def.fields[3].autonumber.as_deref(), Some("{0000}"));
        let bad = r#"{"name":"t","fields":{"a":{"unique":"sometimes"}}}"#;
        assert!(ObjectDef::from_value(&Value::parse_json(bad).unwrap()).is_err());
    }

    #[test]
    fn refuses_bad_names() {
        assert!(ObjectDef::from_value(&Value::parse_json(r#"{"name":""}"#).unwrap()).is_err());
        assert!(ObjectDef::from_value(&Value::parse_json(r#"{"fields":{}}"#).unwrap()).is_err());
    }
}
