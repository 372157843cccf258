//! Object definitions -> tables: `CREATE TABLE`, missing columns, and introspection.

use crate::error::{Error, Result};
use crate::ident::quote_identifier;
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
        Ok(ObjectDef { name, fields })
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
