//! Field types -> SQLite column types, and how each type's values are stored and read
//! back. The 4.2.2 helpers (`fieldTypeToSqlite`, `isJsonFieldType`, ...) keep 4.2.2's
//! answers; the kernel contract adds the ObjectStack spec's types ([`field_kind`],
//! [`column_type`]), whose sets mirror `@objectstack/spec/data`.

use crate::config::Contract;
use crate::temporal::Temporal;

/// How a field's values are stored and read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// As given.
    Plain,
    /// JSON text in the column, the parsed value to the caller.
    Json,
    /// 0/1 in the column, `true`/`false` to the caller.
    Boolean,
    /// A time of day (`HH:MM:SS[.fff]`) as the 4.2.2 API keeps it: a JS `Date` becomes
    /// its UTC time of day, text stays as given.
    Time,
    /// A date, date-time or time of day in the kernel's stored forms (`temporal.rs`).
    Temporal(Temporal),
    /// A number, also when an older TEXT column holds it as text.
    Number,
}

/// The spec's JSON-structured, file-reference and multi-option types, plus the
/// driver-level `object`/`array`.
const SPEC_JSON_TYPES: [&str; 17] = [
    "json",
    "composite",
    "repeater",
    "record",
    "location",
    "address",
    "vector",
    "image",
    "file",
    "avatar",
    "video",
    "audio",
    "multiselect",
    "checkboxes",
    "tags",
    "object",
    "array",
];

/// The spec's numeric value types, plus SQL spellings.
const SPEC_NUMBER_TYPES: [&str; 11] = [
    "number", "currency", "percent", "rating", "slider", "progress", "summary", "integer", "int",
    "float", "decimal",
];

/// The kind of a field of `field_type` (`multiple`: a list of values, stored as JSON).
pub fn field_kind(field_type: &str, multiple: bool, contract: Contract) -> FieldKind {
    let t = field_type.to_ascii_lowercase();
    let t = t.as_str();
    let json = if contract.spec_field_types() {
        SPEC_JSON_TYPES.contains(&t)
    } else {
        is_json_field_type(t)
    };
    if multiple || json {
        FieldKind::Json
    } else if is_boolean_field_type(t) {
        FieldKind::Boolean
    } else if contract.spec_field_types() && t == "date" {
        FieldKind::Temporal(Temporal::Date)
    } else if contract.spec_field_types() && is_datetime_field_type(t) {
        FieldKind::Temporal(Temporal::DateTime)
    } else if contract.spec_field_types() && is_time_field_type(t) {
        FieldKind::Temporal(Temporal::Time)
    } else if is_time_field_type(t) {
        FieldKind::Time
    } else if contract.spec_field_types() && SPEC_NUMBER_TYPES.contains(&t) {
        FieldKind::Number
    } else {
        FieldKind::Plain
    }
}

/// The column type the driver creates for a field. Under the kernel contract JSON kinds
/// are TEXT (files and images are JSON references there, not bytes) and the spec's
/// numeric types have numeric affinity, so `4` stays a number.
pub fn column_type(field_type: &str, multiple: bool, contract: Contract) -> &'static str {
    if !contract.spec_field_types() {
        return field_type_to_sqlite(field_type);
    }
    match field_kind(field_type, multiple, contract) {
        FieldKind::Json => "TEXT",
        FieldKind::Number => match field_type.to_ascii_lowercase().as_str() {
            "number" | "integer" | "int" => "INTEGER",
            "currency" | "percent" | "float" | "decimal" => "REAL",
            _ => "NUMERIC",
        },
        _ => field_type_to_sqlite(field_type),
    }
}

/// The SQLite column type for an ObjectQL field type (unknown types are TEXT).
pub fn field_type_to_sqlite(field_type: &str) -> &'static str {
    match field_type.to_ascii_lowercase().as_str() {
        "number" | "integer" | "int" | "boolean" | "toggle" => "INTEGER",
        "float" | "decimal" | "currency" | "percent" => "REAL",
        "blob" | "binary" | "image" | "file" => "BLOB",
        _ => "TEXT",
    }
}

pub fn is_json_field_type(field_type: &str) -> bool {
    matches!(
        field_type.to_ascii_lowercase().as_str(),
        "json" | "object" | "array" | "multiselect"
    )
}

pub fn is_datetime_field_type(field_type: &str) -> bool {
    field_type.eq_ignore_ascii_case("datetime") || field_type.eq_ignore_ascii_case("timestamp")
}

pub fn is_time_field_type(field_type: &str) -> bool {
    field_type.eq_ignore_ascii_case("time")
}

pub fn is_boolean_field_type(field_type: &str) -> bool {
    matches!(
        field_type.to_ascii_lowercase().as_str(),
        "boolean" | "toggle"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_documented_type() {
        for t in [
            "text",
            "string",
            "textarea",
            "richtext",
            "html",
            "markdown",
            "url",
            "email",
            "phone",
            "select",
            "lookup",
            "master_detail",
            "autonumber",
            "date",
            "datetime",
            "timestamp",
            "time",
            "json",
            "object",
            "array",
            "multiselect",
            "whatever",
        ] {
            assert_eq!(field_type_to_sqlite(t), "TEXT", "{t}");
        }
        for t in ["number", "integer", "int", "boolean", "toggle"] {
            assert_eq!(field_type_to_sqlite(t), "INTEGER", "{t}");
        }
        for t in ["float", "decimal", "currency", "percent"] {
            assert_eq!(field_type_to_sqlite(t), "REAL", "{t}");
        }
        for t in ["blob", "binary", "image", "file"] {
            assert_eq!(field_type_to_sqlite(t), "BLOB", "{t}");
        }
    }

    #[test]
    fn flags_json_and_boolean_types() {
        assert!(is_json_field_type("multiselect") && !is_json_field_type("text"));
        assert!(is_boolean_field_type("toggle") && !is_boolean_field_type("integer"));
    }
}
