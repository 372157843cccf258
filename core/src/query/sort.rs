//! Sort specifications in every spelling ObjectQL callers use, normalised to a list of
//! [`SortKey`]s.

use crate::error::{Error, Result};
use crate::identifier::check_identifier;
use crate::value::Value;

/// A sort direction; only these two ever reach SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}

impl Direction {
    /// The SQL keyword: `ASC` or `DESC`.
    pub fn as_sql(self) -> &'static str {
        match self {
            Direction::Asc => "ASC",
            Direction::Desc => "DESC",
        }
    }

    /// The lower-case spelling `parseSort` returns to JavaScript: `asc` or `desc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Asc => "asc",
            Direction::Desc => "desc",
        }
    }
}

/// One ORDER BY term. `field` has passed the identifier checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub field: String,
    pub direction: Direction,
}

/// Normalises a sort specification.
///
/// Accepted: `[['f','desc']]`, `['f']` (also `['f desc']`), `[{ field, direction }]`,
/// `[{ field, order }]`, `{ f: 1, g: -1 }` (or `'asc'`/`'desc'` values), `[{ f: -1 }]` and
/// `'f asc, g desc'`. Directions are case-insensitive and default to ascending; any other
/// direction (e.g. `'sideways'`, `2`) is refused with `INVALID_REQUEST`, as are bad field
/// names. Null and other false-y values give no keys.
pub fn parse_sort(sort: &Value) -> Result<Vec<SortKey>> {
    let mut keys = Vec::new();
    match sort {
        Value::Array(items) => {
            for item in items {
                parse_item(item, &mut keys)?;
            }
        }
        Value::Object(entries) => parse_map(entries, &mut keys)?,
        Value::Text(text) => parse_text(text, &mut keys)?,
        v if !v.is_truthy() => {}
        other => {
            return Err(Error::invalid(format!(
                "Invalid sort: expected an array, an object like {{ \"field\": 1 }} or a string \
                 like \"field desc\", got a {}",
                other.type_name()
            )))
        }
    }
    Ok(keys)
}

fn parse_item(item: &Value, keys: &mut Vec<SortKey>) -> Result<()> {
    match item {
        Value::Array(pair) => {
            if pair.len() > 2 {
                return Err(Error::invalid(format!(
                    "Invalid sort entry {}: expected [field, direction]",
                    item.to_json()
                )));
            }
            let field = match pair.first() {
                Some(Value::Text(field)) => field,
                _ => {
                    return Err(Error::invalid(format!(
                        "Invalid sort entry {}: the field name must be a string",
                        item.to_json()
                    )))
                }
            };
            push(keys, field, pair.get(1).unwrap_or(&Value::Null))
        }
        Value::Text(text) => parse_text(text, keys),
        Value::Object(_) if item.as_object().is_some_and(|e| has_key(e, "field")) => {
            let Some(Value::Text(field)) = item.get("field") else {
                return Err(Error::invalid(format!(
                    "Invalid sort entry {}: \"field\" must be a string",
                    item.to_json()
                )));
            };
            // `direction` is ObjectQL's spelling, `order` the QueryAST one.
            let dir = item
                .get("direction")
                .or_else(|| item.get("order"))
                .unwrap_or(&Value::Null);
            push(keys, field, dir)
        }
        Value::Object(entries) => parse_map(entries, keys),
        other => Err(Error::invalid(format!(
            "Invalid sort entry {}: expected a field name, [field, direction] or \
             {{ field, direction }}, got a {}",
            other.to_json(),
            other.type_name()
        ))),
    }
}

fn has_key(entries: &[(String, Value)], key: &str) -> bool {
    entries.iter().any(|(k, _)| k == key)
}

fn parse_map(entries: &[(String, Value)], keys: &mut Vec<SortKey>) -> Result<()> {
    for (field, dir) in entries {
        push(keys, field, dir)?;
    }
    Ok(())
}

/// `'name asc, age desc'`; empty pieces (a trailing comma) are skipped.
fn parse_text(text: &str, keys: &mut Vec<SortKey>) -> Result<()> {
    for piece in text.split(',') {
        let mut words = piece.split_whitespace();
        let Some(field) = words.next() else { continue };
        let dir = words.next();
        if let Some(extra) = words.next() {
            return Err(Error::invalid(format!(
                "Invalid sort \"{}\": unexpected \"{extra}\"; write \"field asc\" or \"field desc\"",
                piece.trim()
            )));
        }
        push(keys, field, &dir.map_or(Value::Null, Value::from))?;
    }
    Ok(())
}

fn push(keys: &mut Vec<SortKey>, field: &str, dir: &Value) -> Result<()> {
    check_identifier(field)?;
    keys.push(SortKey {
        field: field.to_owned(),
        direction: parse_direction(field, dir)?,
    });
    Ok(())
}

fn parse_direction(field: &str, dir: &Value) -> Result<Direction> {
    match dir {
        Value::Null => return Ok(Direction::Asc),
        Value::Text(s) if s.eq_ignore_ascii_case("asc") => return Ok(Direction::Asc),
        Value::Text(s) if s.eq_ignore_ascii_case("desc") => return Ok(Direction::Desc),
        _ => {}
    }
    match dir.as_i64() {
        Some(1) => Ok(Direction::Asc),
        Some(-1) => Ok(Direction::Desc),
        _ => Err(Error::invalid(format!(
            "Invalid sort direction {} for field \"{field}\"; use \"asc\", \"desc\", 1 or -1",
            dir.to_json()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn sort(json: &str) -> Vec<(String, &'static str)> {
        parse_sort(&Value::parse_json(json).unwrap())
            .unwrap()
            .into_iter()
            .map(|k| (k.field, k.direction.as_str()))
            .collect()
    }

    fn name_asc_age_desc() -> Vec<(String, &'static str)> {
        vec![("name".into(), "asc"), ("age".into(), "desc")]
    }

    fn refused(json: &str) -> String {
        let err = parse_sort(&Value::parse_json(json).unwrap()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest, "{json}");
        err.message
    }

    #[test]
    fn empty_specs() {
        for json in ["null", "[]", "{}", "\"\"", "false", "\" , \""] {
            assert!(sort(json).is_empty(), "{json}");
        }
    }

    #[test]
    fn every_spelling() {
        let expected = name_asc_age_desc();
        for json in [
            r#"[["name","asc"],["age","desc"]]"#,
            r#"[["name"],["age","DESC"]]"#,
            r#"["name","age desc"]"#,
            r#"[{"field":"name","direction":"asc"},{"field":"age","direction":"desc"}]"#,
            r#"[{"field":"name"},{"field":"age","order":"desc"}]"#,
            r#"{"name":1,"age":-1}"#,
            r#"{"name":1.0,"age":-1.0}"#,
            r#"{"name":"asc","age":"desc"}"#,
            r#"{"name":"ASC","age":"Desc"}"#,
            r#"[{"name":1},{"age":-1}]"#,
            r#""name asc, age desc""#,
            r#""name,  age   DESC,""#,
        ] {
            assert_eq!(sort(json), expected, "{json}");
        }
    }

    #[test]
    fn sql_keywords() {
        assert_eq!(Direction::Asc.as_sql(), "ASC");
        assert_eq!(Direction::Desc.as_sql(), "DESC");
        assert_eq!(Direction::default(), Direction::Asc);
    }

    #[test]
    fn refusals() {
        assert!(refused(r#"[["name","sideways"]]"#).contains("\"sideways\""));
        assert!(refused(r#"{"name":2}"#).contains("\"name\""));
        refused(r#"{"name":0}"#);
        refused(r#"{"name":true}"#);
        refused(r#"[{"field":"a","direction":"up"}]"#);
        refused(r#"[{"field":"a","order":"random()"}]"#);
        refused(r#""name desc; DROP TABLE x""#);
        refused(r#""name asc nulls""#);
        refused(r#"[["a","asc","x"]]"#);
        refused(r#"[[1,"asc"]]"#);
        refused(r#"[{"field":5}]"#);
        refused(r#"[5]"#);
        refused("true");
        refused("7");
        refused(r#"{"$gt":1}"#);
        refused("[\"bad\\u0000name\"]");
    }
}
