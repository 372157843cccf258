//! The kernel contract's filter refusals, in one place: what each says, and which of them
//! withhold the names they would give.
//!
//! Every refusal here is `INVALID_FILTER` and says what was refused, where (the kernel's
//! path spelling, `filter.$or[1].stage.$eq`, see [`Path`]) and what to write instead. The
//! ones built with [`Error::withheld_filter`] refuse a constraint an administrator's
//! read-scope rule can produce (an operator on a JSON field, a constraint without
//! operators, a comparand no parameter can hold, a malformed range): their `shown` text
//! names no field, operator, value or position, and the full text reaches the caller
//! only when the refused subtree is marked as theirs (`lib/provenance.js`). The others
//! refuse shapes no rule produces and always say everything.
//!
//! To add one: a function returning [`Error`], its pinned fragments noted where a test
//! of the kernel suite reads them, and a row in this module's tests.

use crate::error::{Error, ErrorCode};
use crate::value::{Foreign, Value};

use super::path::Path;

/// The value types a filter comparand may have, as the kernel's spec lists them.
const COMPARAND_TYPES: &str = "a string, number, bigint, boolean, null or Date";

/// The operators the kernel contract compiles, for the unknown-operator refusal.
pub(super) const KERNEL_OPERATORS: &str = "$eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, \
    $between, $contains, $notContains, $startsWith, $endsWith, $icontains, $like, $ilike, \
    $null, $exists";

fn refuse(message: String) -> Error {
    Error::new(ErrorCode::InvalidFilter, message)
}

/// A short rendering of a refused value: JSON, cut at 80 characters.
pub(super) fn preview(value: &Value) -> String {
    let json = match value {
        Value::Foreign(Foreign::Undefined) => return "undefined".to_owned(),
        Value::Foreign(Foreign::Instance(class)) => return format!("an instance of {class}"),
        Value::Blob(bytes) => return format!("{} bytes of binary data", bytes.len()),
        other => other.to_json(),
    };
    if json.chars().count() > 80 {
        let cut: String = json.chars().take(77).collect();
        format!("{cut}...")
    } else {
        json
    }
}

/// `null`, `array`, `string`, a class name, ...: what a node or operand is.
fn kind(value: &Value) -> String {
    match value {
        Value::Foreign(Foreign::Instance(class)) => class.clone(),
        Value::Blob(_) => "binary value".to_owned(),
        other => other.type_name().to_owned(),
    }
}

/// A filter array: the kernel's engine lowers the array form before any driver sees it.
pub(super) fn array_filter(filter: &Value) -> Error {
    refuse(format!(
        "A filter ARRAY reached the driver: {}. Under the ObjectStack contract `where` is a \
         filter object; the array form is input-only authoring sugar that the engine lowers \
         with parseFilterAST() before calling a driver. Call through ObjectQL or lower it \
         yourself; an infix join ([a, \"or\", b]) has no lowering at all, write the prefix \
         form [\"or\", a, b].",
        preview(filter)
    ))
}

pub(super) fn unknown_combinator(key: &str, path: &Path) -> Error {
    refuse(format!(
        "Unsupported filter combinator \"{key}\" at {}: the only $-keys of a filter node are \
         the logical operators $and, $or and $not; every other key is a field name. It is \
         refused rather than read as a column of that name, which would match nothing and \
         look like an empty answer.",
        path.render()
    ))
}

pub(super) fn combinator_needs_list(key: &str, value: &Value, path: &Path) -> Error {
    refuse(format!(
        "Filter combinator \"{key}\" at {} needs an array of filter objects, got a {} ({}).",
        path.render(),
        kind(value),
        preview(value)
    ))
}

pub(super) fn not_a_node(value: &Value, path: &Path) -> Error {
    refuse(format!(
        "Filter node at {} is a {} ({}), not a filter object: every element of $and/$or and \
         the operand of $not must be a plain object of field constraints (e.g. \
         {{ \"status\": \"active\" }}) or combinators. It is refused rather than skipped, \
         which would change which rows match.",
        path.render(),
        kind(value),
        preview(value)
    ))
}

/// `{ field: {} }`. Pinned: "zero operators" in both texts, the path in the full one.
pub(super) fn empty_constraint(field: &str, path: &Path) -> Error {
    Error::withheld_filter(
        "A field constraint in this filter carries zero operators ({ \"FIELD\": {} }). Name \
         an operator ({ \"FIELD\": { \"$eq\": \"value\" } }) or give a value to compare with \
         ({ \"FIELD\": \"value\" }); read as no condition it would match every row. The field \
         and its position are withheld from this message; the full text is in the server log.",
        format!(
            "Field constraint at {} carries zero operators ({{ \"{field}\": {{}} }}). Name an \
             operator ({{ \"{field}\": {{ \"$eq\": \"value\" }} }}) or give a value to compare \
             with ({{ \"{field}\": \"value\" }}); read as no condition it would match every row.",
            path.render()
        ),
        path.steps(),
    )
}

/// Pinned: starts with "Comparand at ", says "is undefined", names FieldOperatorsSchema and
/// "Write null if you meant the null predicate".
pub(super) fn undefined_comparand(field: &str, path: &Path) -> Error {
    refuse(format!(
        "Comparand at {} is undefined. The spec's FieldOperatorsSchema has no undefined \
         comparand, and {{ \"{field}\": undefined }} cannot be told from leaving the key out, \
         which means the opposite (no constraint at all). Write null if you meant the null \
         predicate ({{ \"{field}\": null }} or {{ \"{field}\": {{ \"$null\": true }} }}), or \
         leave the key out when there is no value (`if (id !== undefined) where.{field} = id`).",
        path.render()
    ))
}

/// `$null` / `$exists` with a non-boolean. Pinned: `Operator "$null" on field "stage"
/// requires a boolean comparand (true or false)` and the path.
pub(super) fn non_boolean(op: &str, field: &str, value: &Value, path: &Path) -> Error {
    refuse(format!(
        "Operator \"{op}\" on field \"{field}\" requires a boolean comparand (true or false). \
         Received {} ({}) at {}. A non-boolean has no single reading (\"false\" the string is \
         truthy), so it is refused rather than guessed at.",
        kind(value),
        preview(value),
        path.render()
    ))
}

pub(super) fn icontains_comparand(field: &str, value: &Value, path: &Path) -> Error {
    let shown = match value {
        Value::Text(_) => "\"\"".to_owned(),
        other => preview(other),
    };
    refuse(format!(
        "Operator \"$icontains\" on field \"{field}\" at {} requires a non-empty string, \
         received {shown}. It is a case-insensitive literal substring search: an empty one \
         would match every row, and another value would have to be turned into text the \
         query never asked for.",
        path.render()
    ))
}

/// Pinned: the operator and "$contains".
pub(super) fn like_pattern_comparand(field: &str, op: &str, value: &Value, path: &Path) -> Error {
    refuse(format!(
        "Operator \"{op}\" on field \"{field}\" at {} requires a string pattern, received {} \
         ({}). Its pattern is the caller's own (% any run, _ one character, a backslash \
         escapes either), so another value cannot be turned into one without inventing \
         wildcards. For a literal substring search use \"$contains\".",
        path.render(),
        kind(value),
        preview(value)
    ))
}

/// Pinned: "backslash".
pub(super) fn dangling_like_escape(field: &str, op: &str, pattern: &str, path: &Path) -> Error {
    refuse(format!(
        "Operator \"{op}\" on field \"{field}\" at {} has a pattern ending in a lone \
         backslash ({}): a backslash escapes the character after it, and there is none. \
         Write two backslashes to match a literal one, or drop it.",
        path.render(),
        Value::Text(pattern.to_owned()).to_json()
    ))
}

/// A comparison's comparand no SQL parameter can hold (an object, an array). Pinned:
/// "cannot be bound as a SQL parameter" and "requires a single comparable value" in both
/// texts; the shown one names no field, operator or value.
pub(super) fn unbindable_comparand(field: &str, op: &str, value: &Value, subtree: &Path) -> Error {
    let what = match value {
        Value::Array(_) => "an array".to_owned(),
        other => format!("{} ({})", kind(other), preview(other)),
    };
    Error::withheld_filter(
        format!(
            "A comparison in this filter requires a single comparable value, but received a \
             value that cannot be bound as a SQL parameter. Use {COMPARAND_TYPES} (or a \
             binary value); for a list use $in/$nin, for a range $between. The field, \
             operator and value are withheld from this message; the full text is in the \
             server log."
        ),
        format!(
            "Operator \"{op}\" on field \"{field}\" requires a single comparable value, but \
             received {what}, which cannot be bound as a SQL parameter. Use {COMPARAND_TYPES} \
             (or a binary value); for a list use $in/$nin, for a range $between."
        ),
        subtree.steps(),
    )
}

/// Pinned: "index N", the operator, the field, the member's JSON, "$nin loses the exclusion".
pub(super) fn unbindable_member(field: &str, op: &str, value: &Value, index: usize) -> Error {
    refuse(format!(
        "Operator \"{op}\" on field \"{field}\" has a value at index {index} of its list that \
         cannot be bound as a SQL parameter: {}. Each member of an $in/$nin/$between list is \
         a comparand: use {COMPARAND_TYPES} (or a binary value). Bound anyway it could equal \
         no stored value, so the list would silently lose it (and a $nin loses the exclusion \
         it was written for).",
        preview(value)
    ))
}

/// An object or array where a text operator wants text. Pinned: the operator, the field,
/// "[object Object]", "StringOperatorSchema", "an array" for arrays.
pub(super) fn unrenderable_text(field: &str, op: &str, value: &Value) -> Error {
    let what = match value {
        Value::Array(_) => "an array".to_owned(),
        other => kind(other),
    };
    refuse(format!(
        "Operator \"{op}\" on field \"{field}\" matches text, but received {what} ({}). The \
         spec's StringOperatorSchema declares a string here; {COMPARAND_TYPES} is accepted. \
         It is refused rather than turned into text: String({{}}) is \"[object Object]\", a \
         pattern nobody wrote.",
        preview(value)
    ))
}

/// A comparison operator on a field stored as JSON text. Pinned: "WAS NOT APPLIED",
/// "JSON TEXT column", "$contains" in both texts; the shown one spells the repair with
/// `{ "FIELD": { "$contains": "a" } }`; the full one names the field and operator
/// ("bare equality" for `{ field: value }`).
pub(super) fn json_column(field: &str, op: &str, bare: bool, subtree: &Path) -> Error {
    let spelling = if bare {
        format!("The bare equality {{ \"{field}\": value }}")
    } else {
        format!("Operator \"{op}\" on field \"{field}\"")
    };
    let op = if bare { "=" } else { op };
    Error::withheld_filter(
        "A constraint in this filter WAS NOT APPLIED: it compares a field this driver stores \
         as a JSON TEXT column (a list or a structure, e.g. [\"a\",\"b\"]) with a single value, \
         which compares the whole serialized text: $in/$eq would match nothing and $nin/$ne \
         every row. Use \"$contains\" for membership ({ \"FIELD\": { \"$contains\": \"a\" } }), \
         or an $or of \"$contains\" for any-of. The field and operator are withheld from this \
         message; the full text is in the server log.",
        format!(
            "{spelling} WAS NOT APPLIED: \"{field}\" holds a list or structure, stored as a \
             JSON TEXT column (e.g. [\"a\",\"b\"]), and \"{op}\" would compare that whole \
             serialized text with a single value: it can never equal one member ($in/$eq \
             would match nothing, $nin/$ne every row). Use \"$contains\" for membership \
             ({{ \"{field}\": {{ \"$contains\": \"a\" }} }}), or an $or of \"$contains\" for \
             any-of ({{ \"$or\": [{{ \"{field}\": {{ \"$contains\": \"a\" }} }}, \
             {{ \"{field}\": {{ \"$contains\": \"b\" }} }}] }})."
        ),
        subtree.steps(),
    )
}

/// Pinned: "requires a [min, max] value array" in both texts, "$between" in the shown one.
pub(super) fn between_arity(field: &str, value: &Value, subtree: &Path) -> Error {
    Error::withheld_filter(
        "Operator \"$between\" in this filter requires a [min, max] value array. The field it \
         was aimed at is withheld from this message; the full text is in the server log.",
        format!(
            "Operator \"$between\" on field \"{field}\" requires a [min, max] value array, got {}.",
            preview(value)
        ),
        subtree.steps(),
    )
}

/// Pinned: `Unsupported filter operator "$x"`, the field, the list ("$startsWith").
pub(super) fn unsupported_operator(op: &str, field: &str) -> Error {
    refuse(format!(
        "Unsupported filter operator \"{op}\" on field \"{field}\". Supported operators: \
         {KERNEL_OPERATORS}."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn withheld_texts_name_nothing_and_full_texts_name_everything() {
        let root = Path::ROOT;
        let field = root.key("secret_col", 0);
        let op = field.key("$gt", 0);
        let value = Value::parse_json(r#"{"policy_literal":"nato"}"#).unwrap();
        for (err, fragment) in [
            (empty_constraint("secret_col", &field), "zero operators"),
            (
                unbindable_comparand("secret_col", "$gt", &value, &op),
                "cannot be bound as a SQL parameter",
            ),
            (
                json_column("secret_col", "$in", false, &field),
                "JSON TEXT column",
            ),
            (
                between_arity("secret_col", &Value::Integer(1), &field),
                "requires a [min, max] value array",
            ),
        ] {
            let withheld = err.withheld.as_ref().unwrap();
            assert_eq!(err.code, ErrorCode::InvalidFilter);
            for secret in ["secret_col", "policy_literal", "nato", "$gt", "filter."] {
                assert!(!err.message.contains(secret), "{secret} in {}", err.message);
            }
            assert!(err.message.contains(fragment), "{}", err.message);
            assert!(withheld.detail.contains(fragment), "{}", withheld.detail);
            assert!(
                withheld.detail.contains("secret_col"),
                "{}",
                withheld.detail
            );
        }
        let bare = json_column("tags", "=", true, &field);
        assert!(bare.withheld.unwrap().detail.contains("bare equality"));
        assert!(json_column("tags", "$in", false, &field)
            .message
            .contains(r#"{ "FIELD": { "$contains": "a" } }"#));
    }

    #[test]
    fn previews_are_short_and_say_what_json_cannot() {
        let long = Value::Text("x".repeat(200));
        assert_eq!(preview(&long).chars().count(), 80);
        assert_eq!(preview(&Value::Foreign(Foreign::Undefined)), "undefined");
        assert_eq!(
            preview(&Value::Foreign(Foreign::Instance("Map".into()))),
            "an instance of Map"
        );
    }
}
