//! The kernel contract's shape check of a whole filter, before any SQL is written.
//!
//! It walks every node, never stopping early: a refusal cannot depend on a sibling that
//! settles its node (`{ $or: [{}, { $where: 1 }] }` is refused though its first branch
//! already makes the `$or` match everything). It refuses, in the kernel's order:
//! combinators that are not lists, nodes that are not plain objects, undeclared `$` keys
//! in a node, constraints with zero operators, `undefined` comparands, non-boolean
//! `$null`/`$exists`, a `$icontains` that is not a non-empty string, and `$like`/`$ilike`
//! patterns that are not strings or end in a lone backslash. What depends on the field
//! (its kind) or on the operator's own comparand is refused while compiling (see
//! `compile_field` in `mod.rs`).

use crate::error::Result;
use crate::value::{Foreign, Value};

use super::path::Path;
use super::refusal;

/// Checks the filter object `entries` at `path` (see the module docs).
pub(super) fn check_node(entries: &[(String, Value)], path: &Path) -> Result<()> {
    for (index, (key, value)) in entries.iter().enumerate() {
        let here = path.key(key, index);
        match key.as_str() {
            "$and" | "$or" => {
                let Value::Array(items) = value else {
                    return Err(refusal::combinator_needs_list(key, value, &here));
                };
                for (i, item) in items.iter().enumerate() {
                    check_child(item, &here.index(i))?;
                }
            }
            "$not" => check_child(value, &here)?,
            k if k.starts_with('$') => return Err(refusal::unknown_combinator(k, &here)),
            field => check_field(field, value, &here)?,
        }
    }
    Ok(())
}

/// A node inside a combinator: it must be a filter object.
fn check_child(value: &Value, path: &Path) -> Result<()> {
    match value {
        Value::Object(entries) => check_node(entries, path),
        other => Err(refusal::not_a_node(other, path)),
    }
}

/// One field's constraint: a comparand or an operator object.
fn check_field(field: &str, spec: &Value, path: &Path) -> Result<()> {
    let ops = match spec {
        Value::Foreign(Foreign::Undefined) => {
            return Err(refusal::undefined_comparand(field, path))
        }
        Value::Object(ops) => ops,
        _ => return Ok(()),
    };
    if ops.is_empty() {
        return Err(refusal::empty_constraint(field, path));
    }
    // `$null`/`$exists` answer an undefined flag with their own, boolean-domain refusal.
    for (index, (op, comparand)) in ops.iter().enumerate() {
        if op == "$null" || op == "$exists" {
            continue;
        }
        let at = path.key(op, index);
        match comparand {
            Value::Foreign(Foreign::Undefined) => {
                return Err(refusal::undefined_comparand(field, &at))
            }
            Value::Array(items) => {
                if let Some(i) = items
                    .iter()
                    .position(|m| matches!(m, Value::Foreign(Foreign::Undefined)))
                {
                    return Err(refusal::undefined_comparand(field, &at.index(i)));
                }
            }
            _ => {}
        }
    }
    // A `{ $field }` reference where no column comparison compiles, before the gates below.
    super::cross_field::check_positions(field, ops, path)?;
    for (index, (op, comparand)) in ops.iter().enumerate() {
        let at = path.key(op, index);
        match op.as_str() {
            "$null" | "$exists" if !matches!(comparand, Value::Bool(_)) => {
                return Err(refusal::non_boolean(op, field, comparand, &at));
            }
            "$icontains" if !matches!(comparand, Value::Text(t) if !t.is_empty()) => {
                return Err(refusal::icontains_comparand(field, comparand, &at));
            }
            "$like" | "$ilike" => match comparand {
                Value::Text(pattern) if ends_in_lone_backslash(pattern) => {
                    return Err(refusal::dangling_like_escape(field, op, pattern, &at));
                }
                Value::Text(_) => {}
                other => return Err(refusal::like_pattern_comparand(field, op, other, &at)),
            },
            _ => {}
        }
    }
    Ok(())
}

/// An odd run of backslashes at the end escapes nothing.
pub(super) fn ends_in_lone_backslash(pattern: &str) -> bool {
    pattern.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal_of(json: &str) -> String {
        let Value::Object(entries) = Value::parse_json(json).unwrap() else {
            panic!("not an object: {json}");
        };
        let err = check_node(&entries, &Path::ROOT).unwrap_err();
        err.withheld.map_or(err.message, |w| w.detail)
    }

    #[test]
    fn refuses_shapes_by_position_whatever_their_siblings() {
        for (json, fragment) in [
            (
                r#"{"$or":[{},{"$where":1}]}"#,
                "\"$where\" at filter.$or[1].$where",
            ),
            (r#"{"$and":[{"a":1},5]}"#, "filter.$and[1] is a number"),
            (r#"{"$not":[]}"#, "filter.$not is a array"),
            (r#"{"$or":{"a":1}}"#, "\"$or\" at filter.$or needs an array"),
            (
                r#"{"$or":[{"a":{}}]}"#,
                "at filter.$or[0].a carries zero operators",
            ),
            (r#"{"a":{"$null":"yes"}}"#, "filter.a.$null"),
            (
                r#"{"a":{"$exists":0}}"#,
                "\"$exists\" on field \"a\" requires a boolean",
            ),
            (r#"{"a":{"$icontains":""}}"#, "non-empty string"),
            (r#"{"a":{"$like":42}}"#, "requires a string pattern"),
            (r#"{"a":{"$ilike":"x\\"}}"#, "lone backslash"),
        ] {
            let message = refusal_of(json);
            assert!(message.contains(fragment), "{json}: {message}");
        }
    }

    #[test]
    fn lets_every_declared_shape_through() {
        let json = r#"{"a":1,"b":null,"c":{"$in":[]},"$and":[],"$or":[{}],"$not":{"d":{"$like":"a\\\\"}}}"#;
        let Value::Object(entries) = Value::parse_json(json).unwrap() else {
            unreachable!()
        };
        check_node(&entries, &Path::ROOT).unwrap();
    }

    #[test]
    fn counts_trailing_backslashes() {
        assert!(ends_in_lone_backslash("a\\"));
        assert!(!ends_in_lone_backslash("a\\\\"));
        assert!(ends_in_lone_backslash("\\\\\\"));
        assert!(!ends_in_lone_backslash(""));
    }
}
