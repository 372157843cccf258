//! ObjectQL field types -> SQLite storage classes, and which types need JSON or boolean
//! treatment when records cross between JavaScript and SQLite.

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
