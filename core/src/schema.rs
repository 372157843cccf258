//! Object definitions -> tables: `CREATE TABLE`, missing columns, and introspection.

use crate::error::{Error, Result};
use crate::identifier::quote_identifier;
use crate::rows::FieldKinds;
use crate::types::{field_type_to_sqlite, is_boolean_field_type};
use crate::value::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    pub name: String,
    pub field_type: String,
    pub required: bool,
    pub default: Option<Value>,
    /// A list of values (`multiple: true`), stored as JSON whatever the type.
    pub multiple: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectDef {
    pub name: String,
    /// Every field but `id` (the primary key is always `"id" TEXT PRIMARY KEY`).
    pub fields: Vec<FieldDef>,
    /// Declared indexes (`indexes: [{ fields, unique?, name? }]`).
    pub indexes: Vec<IndexDef>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexDef {
    pub name: Option<String>,
    pub fields: Vec<String>,
    pub unique: Uniqueness,
}

/// `unique` of a declared index: `false`; `true`/`'global'` over exactly its fields;
/// `'organization'`, unique per organization (a NULL organization counts as one).
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
                fields.push(FieldDef {
                    name: field.clone(),
                    required: def.get("required").is_some_and(Value::is_truthy),
                    default: def.get("defaultValue").cloned(),
                    multiple: def.get("multiple").is_some_and(Value::is_truthy),
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
        Ok(ObjectDef {
            name,
            fields,
            indexes,
        })
    }

    pub fn kinds(&self) -> FieldKinds {
        let mut kinds = FieldKinds::default();
        kinds.merge(self);
        kinds
    }

    pub fn create_table_sql(&self) -> Result<String> {
        let mut columns = vec!["\"id\" TEXT PRIMARY KEY".to_owned()];
        for f in &self.fields {
            columns.push(f.column_sql(true)?);
        }
        Ok(format!(
            "CREATE TABLE IF NOT EXISTS {} ({})",
            quote_identifier(&self.name)?,
            columns.join(", ")
        ))
    }

    /// `CREATE [UNIQUE] INDEX IF NOT EXISTS ...` for every declared index.
    pub fn index_sql(&self) -> Result<Vec<String>> {
        let table = quote_identifier(&self.name)?;
        self.indexes
            .iter()
            .map(|index| {
                let mut parts = Vec::new();
                if index.unique == Uniqueness::Organization {
                    parts.push("COALESCE(\"organization_id\", '__global__')".to_owned());
                }
                for field in &index.fields {
                    parts.push(quote_identifier(field)?);
                }
                let name = match &index.name {
                    Some(name) => name.clone(),
                    None => format!("idx_{}_{}", self.name, index.fields.join("_")),
                };
                let unique = if index.unique == Uniqueness::None {
                    ""
                } else {
                    "UNIQUE "
                };
                Ok(format!(
                    "CREATE {unique}INDEX IF NOT EXISTS {} ON {table} ({})",
                    quote_identifier(&name)?,
                    parts.join(", ")
                ))
            })
            .collect()
    }

    pub fn add_column_sql(&self, field: &FieldDef) -> Result<String> {
        // SQLite can add a NOT NULL column only with a default for the existing rows.
        let not_null = field.default.is_some();
        Ok(format!(
            "ALTER TABLE {} ADD COLUMN {}",
            quote_identifier(&self.name)?,
            field.column_sql(not_null)?
        ))
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
    fn column_sql(&self, allow_not_null: bool) -> Result<String> {
        let mut sql = format!(
            "{} {}",
            quote_identifier(&self.name)?,
            field_type_to_sqlite(&self.field_type)
        );
        if self.required && allow_not_null {
            sql.push_str(" NOT NULL");
        }
        if let Some(default) = &self.default {
            sql.push_str(" DEFAULT ");
            sql.push_str(&default_literal(default, &self.field_type));
        }
        Ok(sql)
    }
}

/// A default as an SQL literal. DDL cannot bind parameters, so text is quoted with its
/// single quotes doubled; nothing else from the caller reaches the statement.
pub fn default_literal(value: &Value, field_type: &str) -> String {
    match value {
        Value::Null => "NULL".to_owned(),
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
    }
}

fn quote_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Tables of the database, SQLite's own excluded.
pub const LIST_TABLES_SQL: &str =
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
pub const TABLE_INFO_SQL: &str =
    "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?)";
pub const FOREIGN_KEYS_SQL: &str =
    "SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?)";

#[cfg(test)]
mod tests {
    use super::*;

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
            def.create_table_sql().unwrap(),
            "CREATE TABLE IF NOT EXISTS \"task\" (\"id\" TEXT PRIMARY KEY, \"title\" TEXT NOT NULL DEFAULT 'it''s', \
             \"n\" INTEGER DEFAULT 3, \"done\" INTEGER DEFAULT 0, \"meta\" TEXT DEFAULT '{\"a\":\"b''c\"}')"
        );
        let kinds = def.kinds();
        assert!(kinds.json.contains("meta") && kinds.boolean.contains("done"));
    }

    #[test]
    fn declared_indexes_become_create_index_statements() {
        let def = object(
            r#"{"name":"task","fields":{"a":{},"b":{}},"indexes":[{"fields":["a"]},
               {"fields":["a","b"],"unique":true,"name":"ab"},{"fields":["b"],"unique":"organization"}]}"#,
        );
        assert_eq!(
            def.index_sql().unwrap(),
            [
                "CREATE INDEX IF NOT EXISTS \"idx_task_a\" ON \"task\" (\"a\")",
                "CREATE UNIQUE INDEX IF NOT EXISTS \"ab\" ON \"task\" (\"a\", \"b\")",
                "CREATE UNIQUE INDEX IF NOT EXISTS \"idx_task_b\" ON \"task\" \
                 (COALESCE(\"organization_id\", '__global__'), \"b\")",
            ]
        );
        let bad = ObjectDef::from_value(
            &Value::parse_json(r#"{"name":"t","indexes":[{"fields":[]}]}"#).unwrap(),
        );
        assert!(bad.is_err());
    }

    #[test]
    fn added_required_columns_without_default_stay_nullable() {
        let def = object(r#"{"name":"t","fields":{"a":{"required":true}}}"#);
        assert_eq!(
            def.add_column_sql(&def.fields[0]).unwrap(),
            "ALTER TABLE \"t\" ADD COLUMN \"a\" TEXT"
        );
    }

    #[test]
    fn refuses_bad_names() {
        assert!(ObjectDef::from_value(&Value::parse_json(r#"{"name":""}"#).unwrap()).is_err());
        assert!(ObjectDef::from_value(&Value::parse_json(r#"{"fields":{}}"#).unwrap()).is_err());
    }
}
