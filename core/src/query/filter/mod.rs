//! MongoDB-style object filters (`{ age: { $gt: 18 } }`) and the comparison operators
//! shared with the legacy array form.
//!
//! Under the kernel contract a filter is first checked whole (`validate.rs`: shapes,
//! `undefined`, flag and pattern comparands), then compiled; compiling refuses what
//! depends on a field or an operator (a comparand no parameter can hold, a comparison on
//! a JSON field, a malformed range, an unknown operator). Refusal texts live in
//! `refusal.rs`, positions in `path.rs`. An extension that refuses a subtree the caller
//! may not have written (a read-scope rule merged in by the engine) builds its error with
//! [`crate::Error::withheld_filter`] and the subtree's [`Path::steps`]: the JS layer then
//! shows the full text only to the subtree's author.

mod array;
mod cross_field;
pub(crate) mod path;
mod refusal;
mod text;
mod validate;

use std::borrow::Cow;

use crate::dates::end_of_day;
use crate::error::{Error, Result};
use crate::query::{join, Columns, Compiled, Conj, Part, Scope};
use crate::temporal::Temporal;
use crate::value::{Foreign, Value};

use path::Path;

const OPERATORS: &str =
    "$eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $like, $exists, $null, $between";

/// Compiles a filter into a WHERE condition (without the `WHERE` keyword).
///
/// Accepts the object form (`{ f: v }`, `{ f: { $op: v } }`, `$and`, `$or`, `$not`) and the
/// legacy array form (`[field, op, value, 'and'|'or', ...]`, nested arrays as groups).
/// Null, empty and other false-y filters give an empty `sql` (no condition). Unknown
/// operators, conjunctions and malformed operands are refused with `INVALID_REQUEST`.
///
/// Columns are bare (`"age" > ?`): this is the public `compileFilter` helper. The driver's
/// statements use [`compile_filter_in`].
pub fn compile_filter(filter: &Value) -> Result<Compiled> {
    compile_filter_with(&Columns::bare(), filter)
}

/// [`compile_filter`] with every column qualified by its table (`"t"."age" > ?`), so an
/// unknown field fails with "no such column" instead of being read as a string. For
/// statements on that one table: SELECT, `UPDATE "t" .. WHERE`, `DELETE FROM "t" WHERE`.
pub fn compile_filter_in<'a>(scope: impl Into<Scope<'a>>, filter: &Value) -> Result<Compiled> {
    compile_filter_with(&Columns::scoped(scope.into())?, filter)
}

/// A whole filter as a WHERE condition, its columns named through `cols`, with the
/// scope's tenant condition when it has one (so no statement of a tenant's scope can
/// leave it out).
pub(super) fn compile_filter_with(cols: &Columns, filter: &Value) -> Result<Compiled> {
    let parts = compile_part(cols, filter)?
        .into_iter()
        .chain(cols.tenant_condition()?)
        .collect();
    Ok(join(parts, Conj::And)
        .map(Part::into_compiled)
        .unwrap_or_default())
}

/// The fragment for a whole filter in any form; `None` when it has no condition.
pub(super) fn compile_part(cols: &Columns, filter: &Value) -> Result<Option<Part>> {
    compile_root(cols, filter).map_err(Error::in_filter)
}

fn compile_root(cols: &Columns, filter: &Value) -> Result<Option<Part>> {
    if !cols.kernel_filters() {
        return compile_any(cols, filter, &Path::ROOT);
    }
    match filter {
        Value::Object(entries) => validate::check_node(entries, &Path::ROOT)?,
        // The kernel's engine lowers the array form before a driver sees it.
        Value::Array(items) if !items.is_empty() => return Err(refusal::array_filter(filter)),
        Value::Array(_) => return Ok(None),
        _ => {}
    }
    compile_any(cols, filter, &Path::ROOT)
}

fn compile_any(cols: &Columns, filter: &Value, path: &Path) -> Result<Option<Part>> {
    match filter {
        Value::Object(entries) => compile_object(cols, entries, path),
        Value::Array(items) => array::compile_legacy(cols, items),
        v if !v.is_truthy() => Ok(None),
        // A stray string or number would otherwise mean "no condition": for deleteMany
        // that is every row.
        other => Err(Error::invalid(format!(
            "Invalid filter: expected an object like {{ \"field\": value }} or an array like \
             [\"field\", \"=\", value], got a {}",
            other.type_name()
        ))),
    }
}

fn compile_object(
    cols: &Columns,
    entries: &[(String, Value)],
    path: &Path,
) -> Result<Option<Part>> {
    let mut parts = Vec::new();
    for (index, (key, value)) in entries.iter().enumerate() {
        let here = path.key(key, index);
        let part = match key.as_str() {
            "$and" => compile_logical(cols, key, value, Conj::And, &here)?,
            "$or" => compile_logical(cols, key, value, Conj::Or, &here)?,
            "$not" => compile_not(cols, value, &here)?,
            k if k.starts_with('$') => {
                return Err(Error::invalid(format!(
                    "Unknown filter key \"{k}\": use a field name or one of $and, $or, $not \
                     (comparison operators go inside a field: {{ \"field\": {{ \"$gt\": 1 }} }})"
                )))
            }
            field => compile_field(cols, field, value, &here, path)?,
        };
        parts.extend(part);
    }
    Ok(join(parts, Conj::And))
}

fn compile_logical(
    cols: &Columns,
    key: &str,
    value: &Value,
    conj: Conj,
    path: &Path,
) -> Result<Option<Part>> {
    let Some(items) = value.as_array() else {
        return Err(Error::invalid(format!(
            "\"{key}\" needs an array of filters, got a {}",
            value.type_name()
        )));
    };
    let mut parts = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match compile_any(cols, item, &path.index(i))? {
            Some(part) => parts.push(part),
            // The kernel reads a `{}` branch as TRUE: it makes its whole `$or` true.
            None if cols.two_valued() && conj == Conj::Or => return Ok(None),
            None => {}
        }
    }
    if conj == Conj::Or && parts.is_empty() {
        // An empty OR is FALSE (the OR identity), in every method: read as "no condition"
        // it let `deleteMany({ $or: [] })` empty a table that `find` said had no match.
        return Ok(Some(Part::atom("1=0", vec![])));
    }
    Ok(join(parts, conj).map(Part::grouped))
}

fn compile_not(cols: &Columns, value: &Value, path: &Path) -> Result<Option<Part>> {
    if !matches!(value, Value::Object(_) | Value::Array(_)) {
        return Err(Error::invalid(format!(
            "\"$not\" needs a filter object, got a {}",
            value.type_name()
        )));
    }
    let inner = compile_any(cols, value, path)?;
    Ok(match inner {
        // NOT TRUE matches nothing (never "no condition", which would be everything).
        None => Some(Part::atom("1=0", vec![])),
        // A comparison with a missing value is unknown, not false, in SQL; the kernel
        // counts it false, so its negation holds.
        Some(p) if cols.two_valued() => {
            Some(Part::atom(format!("NOT coalesce(({}), 0)", p.sql), p.args))
        }
        Some(p) => Some(Part::atom(format!("NOT ({})", p.sql), p.args)),
    })
}

/// One field's constraint. `path` is the constraint's position, `node` the position of
/// the filter object holding it (a primitive comparand's refusal points there).
fn compile_field(
    cols: &Columns,
    field: &str,
    value: &Value,
    path: &Path,
    node: &Path,
) -> Result<Option<Part>> {
    let quoted = cols.filter_column(field)?;
    let kernel = cols.kernel_filters();
    let Value::Object(ops) = value else {
        if kernel {
            check_comparand(field, "=", Op::Eq, value, path, node)?;
            check_json_field(cols, field, "=", Op::Eq, node)?;
        }
        // Arrays and nulls included: an array binds as its JSON text.
        let value = stored_form(cols, field, Op::Eq, value);
        return Ok(Some(compile_op(field, &quoted, Op::Eq, &value)?));
    };
    if ops.is_empty() {
        // Almost always a caller's bug, and read as "no condition" it widened a
        // `deleteMany` to every row.
        return Err(Error::invalid(format!(
            "Field \"{field}\" has an empty operator object {{}}; give an operator \
             ({{ \"$eq\": value }}, ...) or a value to compare with"
        )));
    }
    let dollar = ops.iter().filter(|(k, _)| k.starts_with('$')).count();
    if dollar == 0 && kernel {
        // A structure is no comparand a column holds (JSON fields are matched with
        // `$contains`).
        return Err(refusal::unbindable_comparand(field, "=", value, path));
    }
    if dollar == 0 {
        // A plain object is a value to compare with, stored as JSON text.
        return Ok(Some(compile_op(field, &quoted, Op::Eq, value)?));
    }
    if dollar != ops.len() && !kernel {
        return Err(Error::invalid(format!(
            "Field \"{field}\" mixes operators and plain keys; use only operators ({OPERATORS}) \
             or only a value to compare with"
        )));
    }
    if let Some(retired) = ops.iter().find(|(k, _)| k == "$regex" || k == "$options") {
        let what =
            if ops.iter().any(|(k, _)| k == "$regex") && ops.iter().any(|(k, _)| k == "$options") {
                "\"$regex\" with \"$options\"".to_owned()
            } else {
                format!("\"{}\"", retired.0)
            };
        return Err(Error::invalid(format!(
            "Operator {what} on field \"{field}\" is not supported: patterns are not run on the \
             database; use $icontains (or $contains, $startsWith, $endsWith) instead"
        )));
    }
    let mut parts = Vec::with_capacity(ops.len());
    for (index, (name, operand)) in ops.iter().enumerate() {
        // `{ $field: 'other' }` comparands: compiled (total, so no `null_safe`) or refused,
        // before the comparand checks below (which would refuse the reference as a value).
        let at = path.key(name, index);
        if let Some(part) = cross_field::compile(cols, field, name, operand, &at, path)? {
            parts.push(part);
            continue;
        }
        let op = match Op::from_dollar(name) {
            Some(Op::ILike) | None if !kernel => {
                return Err(Error::invalid(format!(
                    "Unknown filter operator \"{name}\" on field \"{field}\"; use one of \
                     {OPERATORS}"
                )))
            }
            Some(op) => op,
            None => return Err(refusal::unsupported_operator(name, field)),
        };
        let part = if kernel {
            check_comparand(field, name, op, operand, &at, path)?;
            check_json_field(cols, field, name, op, path)?;
            compile_kernel_op(field, &quoted, op, operand, &at, path)?
        } else {
            None
        };
        let part = match part {
            Some(part) => part,
            None => match whole_day_bound(cols, field, op, operand) {
                Some(part) => part,
                None => compile_op(field, &quoted, op, &stored_form(cols, field, op, operand))?,
            },
        };
        parts.push(if cols.two_valued() {
            null_safe(&quoted, op, operand, part)
        } else {
            part
        });
    }
    Ok(join(parts, Conj::And))
}

/// Under the kernel contract the comparand of one operator must be one SQL can hold for
/// it: a bindable value for a comparison (each member, for a list), text-like for a text
/// operator. `label` is the operator as written (`=` for a bare comparand), `path` the
/// comparand's position and `holder` the object holding it: an object or array carries
/// its own provenance mark, a primitive its holder's.
fn check_comparand(
    field: &str,
    label: &str,
    op: Op,
    value: &Value,
    path: &Path,
    holder: &Path,
) -> Result<()> {
    if op.is_text() {
        return match text::comparand_text(value) {
            Some(_) => Ok(()),
            None => Err(refusal::unrenderable_text(field, label, value)),
        };
    }
    if let (true, Value::Array(items)) = (op.is_list(), value) {
        return match items.iter().enumerate().find(|(_, m)| !bindable(m)) {
            Some((i, member)) => Err(refusal::unbindable_member(field, label, member, i)),
            None => Ok(()),
        };
    }
    if op.is_scalar() && !bindable(value) {
        let subtree = if is_structure(value) { path } else { holder };
        return Err(refusal::unbindable_comparand(field, label, value, subtree));
    }
    Ok(())
}

/// A comparison with one value on a field stored as JSON text compares the whole
/// serialization: refused under the kernel contract (`$contains` tests membership).
/// `subtree` is the operator object, or for a bare comparand (`label` `=`) the filter
/// object holding the field.
fn check_json_field(
    cols: &Columns,
    field: &str,
    label: &str,
    op: Op,
    subtree: &Path,
) -> Result<()> {
    if !op.compares_scalars() || !cols.is_json(field) {
        return Ok(());
    }
    Err(refusal::json_column(field, label, label == "=", subtree))
}

/// What the kernel contract compiles its own way: `$like`/`$ilike` (case-exact GLOB),
/// text operators over a primitive comparand's text, and `$between`'s arity (refused
/// with its subtree). `None` for everything compiled as in the 4.2.2 API.
fn compile_kernel_op(
    field: &str,
    quoted: &str,
    op: Op,
    operand: &Value,
    path: &Path,
    holder: &Path,
) -> Result<Option<Part>> {
    Ok(match (op, operand) {
        // Shapes the filter check refused already; LIKE folds ASCII case, GLOB does not.
        (Op::Like, Value::Text(pattern)) => Some(Part::atom(
            format!("{quoted} GLOB ?"),
            vec![Value::Text(text::like_to_glob(pattern))],
        )),
        (Op::ILike, Value::Text(pattern)) => Some(Part::atom(
            format!("lower({quoted}) GLOB lower(?)"),
            vec![Value::Text(text::like_to_glob(pattern))],
        )),
        (op, value) if op.is_text() && !matches!(value, Value::Text(_)) => {
            let text = text::comparand_text(value).map(Value::Text);
            Some(compile_op(field, quoted, op, &text.unwrap_or_default())?)
        }
        (Op::Between, value) if !matches!(value.as_array(), Some([_, _])) => {
            let subtree = if is_structure(value) { path } else { holder };
            return Err(refusal::between_arity(field, value, subtree));
        }
        _ => None,
    })
}

/// A value SQL binds as one parameter: a primitive, or bytes.
fn bindable(value: &Value) -> bool {
    !matches!(
        value,
        Value::Array(_) | Value::Object(_) | Value::Foreign(_)
    )
}

/// An object or array in JavaScript (what can carry a provenance mark).
fn is_structure(value: &Value) -> bool {
    matches!(
        value,
        Value::Array(_) | Value::Object(_) | Value::Foreign(Foreign::Instance(_))
    )
}

/// On a kernel date-time field, `$lte 'YYYY-MM-DD'` and a bare-day max of `$between`
/// mean "before the next midnight"; `None` for everything else.
fn whole_day_bound(cols: &Columns, field: &str, op: Op, operand: &Value) -> Option<Part> {
    if cols.temporal(field) != Some(Temporal::DateTime) {
        return None;
    }
    let next_midnight = |day: &Value| match day {
        Value::Text(day) => end_of_day(day.trim()).map(Value::Text),
        _ => None,
    };
    let quoted = cols.filter_column(field).ok()?;
    match (op, operand) {
        (Op::Lte, day) => {
            let end = next_midnight(day)?;
            Some(Part::atom(format!("{quoted} < ?"), vec![end]))
        }
        (Op::Between, Value::Array(bounds)) => match bounds.as_slice() {
            [low, day] => {
                let end = next_midnight(day)?;
                let low = Temporal::DateTime
                    .canonical(low)
                    .unwrap_or_else(|| low.clone());
                Some(Part::atom(
                    format!("({quoted} >= ? AND {quoted} < ?)"),
                    vec![low, end],
                ))
            }
            _ => None,
        },
        _ => None,
    }
}

/// A comparand as its field stores values: a date, date-time or time comparand (or each
/// member of a list) in the stored form of its kind, so both sides of the comparison have
/// one shape. Text operators compare the text as given.
fn stored_form<'v>(cols: &Columns, field: &str, op: Op, operand: &'v Value) -> Cow<'v, Value> {
    let Some(kind) = cols.temporal(field) else {
        return Cow::Borrowed(operand);
    };
    let comparison = matches!(
        op,
        Op::Eq | Op::Ne | Op::Gt | Op::Gte | Op::Lt | Op::Lte | Op::In | Op::Nin | Op::Between
    );
    match operand {
        _ if !comparison => Cow::Borrowed(operand),
        Value::Array(items) => Cow::Owned(Value::Array(
            items
                .iter()
                .map(|v| kind.canonical(v).unwrap_or_else(|| v.clone()))
                .collect(),
        )),
        v => kind.canonical(v).map_or(Cow::Borrowed(operand), Cow::Owned),
    }
}

/// In the kernel's two-valued reading, `$ne` and `$nin` also hold for a missing value.
fn null_safe(quoted: &str, op: Op, operand: &Value, part: Part) -> Part {
    let negative = matches!(op, Op::Ne | Op::Nin) && !operand.is_null();
    let matches_all = part.sql == "1=1";
    if !negative || matches_all {
        return part;
    }
    Part::atom(format!("({quoted} IS NULL OR {})", part.sql), part.args)
}

/// A comparison operator, whichever form spelled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    Nin,
    Like,
    /// `$like` folding ASCII case (the kernel contract only).
    ILike,
    Exists,
    /// `$null: true` / `$null: false`: the ObjectStack spelling of a NULL test.
    Null,
    Between,
    /// Text operators: literal (no wildcards), case-sensitive but `$icontains`, which
    /// folds ASCII case only; a stored value that is not text never contains anything.
    Contains,
    NotContains,
    IContains,
    StartsWith,
    EndsWith,
}

impl Op {
    fn from_dollar(name: &str) -> Option<Op> {
        Some(match name {
            "$eq" => Op::Eq,
            "$ne" => Op::Ne,
            "$gt" => Op::Gt,
            "$gte" => Op::Gte,
            "$lt" => Op::Lt,
            "$lte" => Op::Lte,
            "$in" => Op::In,
            "$nin" => Op::Nin,
            "$like" => Op::Like,
            "$ilike" => Op::ILike,
            "$exists" => Op::Exists,
            "$null" => Op::Null,
            "$between" => Op::Between,
            "$contains" => Op::Contains,
            "$notContains" => Op::NotContains,
            "$icontains" => Op::IContains,
            "$startsWith" => Op::StartsWith,
            "$endsWith" => Op::EndsWith,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Op::Eq => "$eq",
            Op::Ne => "$ne",
            Op::Gt => "$gt",
            Op::Gte => "$gte",
            Op::Lt => "$lt",
            Op::Lte => "$lte",
            Op::In => "$in",
            Op::Nin => "$nin",
            Op::Like => "$like",
            Op::ILike => "$ilike",
            Op::Exists => "$exists",
            Op::Null => "$null",
            Op::Between => "$between",
            Op::Contains => "$contains",
            Op::NotContains => "$notContains",
            Op::IContains => "$icontains",
            Op::StartsWith => "$startsWith",
            Op::EndsWith => "$endsWith",
        }
    }

    /// Matches its comparand as literal text.
    fn is_text(self) -> bool {
        matches!(
            self,
            Op::Contains | Op::NotContains | Op::IContains | Op::StartsWith | Op::EndsWith
        )
    }

    /// Takes a list of comparands.
    fn is_list(self) -> bool {
        matches!(self, Op::In | Op::Nin | Op::Between)
    }

    /// Takes one value to bind.
    fn is_scalar(self) -> bool {
        matches!(
            self,
            Op::Eq | Op::Ne | Op::Gt | Op::Gte | Op::Lt | Op::Lte | Op::Like | Op::ILike
        )
    }

    /// Compares the stored value as one scalar (meaningless on a JSON-text column).
    fn compares_scalars(self) -> bool {
        matches!(
            self,
            Op::Eq | Op::Ne | Op::Gt | Op::Gte | Op::Lt | Op::Lte | Op::In | Op::Nin | Op::Between
        )
    }
}

/// One comparison on an already quoted field; `field` is only for messages.
pub(super) fn compile_op(field: &str, quoted: &str, op: Op, value: &Value) -> Result<Part> {
    check_operand(field, value)?;
    let bind = |sql_op: &str| Part::atom(format!("{quoted} {sql_op} ?"), vec![value.clone()]);
    Ok(match op {
        Op::Eq if value.is_null() => Part::atom(format!("{quoted} IS NULL"), vec![]),
        Op::Ne if value.is_null() => Part::atom(format!("{quoted} IS NOT NULL"), vec![]),
        Op::Eq => bind("="),
        Op::Ne => bind("!="),
        Op::Gt => bind(">"),
        Op::Gte => bind(">="),
        Op::Lt => bind("<"),
        Op::Lte => bind("<="),
        Op::Like | Op::ILike => bind("LIKE"),
        Op::Exists if value.is_truthy() => Part::atom(format!("{quoted} IS NOT NULL"), vec![]),
        Op::Exists => Part::atom(format!("{quoted} IS NULL"), vec![]),
        Op::Null => match value {
            Value::Bool(true) => Part::atom(format!("{quoted} IS NULL"), vec![]),
            Value::Bool(false) => Part::atom(format!("{quoted} IS NOT NULL"), vec![]),
            other => {
                return Err(Error::invalid(format!(
                    "Operator \"$null\" on field \"{field}\" takes true or false, got {}",
                    other.to_json()
                )))
            }
        },
        Op::Contains | Op::NotContains | Op::IContains | Op::StartsWith | Op::EndsWith => {
            let text = match value {
                Value::Text(t) if !t.is_empty() => t,
                other => {
                    return Err(Error::invalid(format!(
                        "Operator \"{}\" on field \"{field}\" needs a non-empty string, got {}",
                        op.name(),
                        other.to_json()
                    )))
                }
            };
            let arg = || Value::Text(text.clone());
            // instr() and substr() take the comparand literally (LIKE would read % and _
            // as wildcards and fold case); typeof() keeps numbers from being read as text.
            let is_text = format!("typeof({quoted}) = 'text'");
            match op {
                Op::Contains => Part::atom(format!("({is_text} AND instr({quoted}, ?) > 0)"), vec![arg()]),
                Op::IContains => Part::atom(
                    format!("({is_text} AND instr(lower({quoted}), lower(?)) > 0)"),
                    vec![arg()],
                ),
                Op::StartsWith => Part::atom(format!("({is_text} AND instr({quoted}, ?) = 1)"), vec![arg()]),
                Op::EndsWith => Part::atom(
                    format!("({is_text} AND substr({quoted}, -length(?)) = ?)"),
                    vec![arg(), arg()],
                ),
                _ => Part::atom(
                    format!("({quoted} IS NULL OR typeof({quoted}) <> 'text' OR instr({quoted}, ?) = 0)"),
                    vec![arg()],
                ),
            }
        }
        Op::In | Op::Nin => {
            let items = value.as_array().ok_or_else(|| {
                Error::invalid(format!(
                    "Operator \"{}\" on field \"{field}\" needs an array of values, got a {}",
                    op.name(),
                    value.type_name()
                ))
            })?;
            let (empty, keyword) = match op {
                // Nothing is in an empty list, and everything is outside it.
                Op::In => ("1=0", "IN"),
                _ => ("1=1", "NOT IN"),
            };
            if items.is_empty() {
                Part::atom(empty, vec![])
            } else {
                let marks = vec!["?"; items.len()].join(", ");
                Part::atom(format!("{quoted} {keyword} ({marks})"), items.to_vec())
            }
        }
        Op::Between => match value.as_array() {
            Some([low, high]) => Part::atom(
                format!("{quoted} BETWEEN ? AND ?"),
                vec![low.clone(), high.clone()],
            ),
            _ => {
                return Err(Error::invalid(format!(
                    "Operator \"$between\" on field \"{field}\" needs a two-item array \
                     [low, high], got {}",
                    value.to_json()
                )))
            }
        },
    })
}

/// A value a filter compares with is refused as a stored one would be (text with NUL,
/// over SQLite's length limit), naming the field, rather than at binding time.
fn check_operand(field: &str, value: &Value) -> Result<()> {
    match value {
        Value::Array(items) => items
            .iter()
            .try_for_each(|item| crate::record::check_storable(field, item)),
        other => crate::record::check_storable(field, other),
    }
    .map_err(Error::in_filter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::query::refusal;

    fn v(json: &str) -> Value {
        Value::parse_json(json).unwrap()
    }

    fn c(json: &str) -> Compiled {
        compile_filter(&v(json)).unwrap()
    }

    fn check(json: &str, sql: &str, args: &str) {
        let got = c(json);
        assert_eq!(got.sql, sql, "{json}");
        assert_eq!(Value::Array(got.args).to_json(), args, "{json}");
    }

    fn refused(json: &str) -> String {
        let err = compile_filter(&v(json)).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidFilter, "{json}");
        err.message
    }

    #[test]
    fn empty_and_falsy_filters_have_no_condition() {
        for json in [
            "null",
            "{}",
            "[]",
            "false",
            "0",
            "\"\"",
            "[[]]",
            r#"{"$and":[]}"#,
        ] {
            assert_eq!(c(json), Compiled::default(), "{json}");
        }
    }

    #[test]
    fn truthy_scalars_are_refused() {
        for json in ["true", "1", "\"name = 'x'\""] {
            refused(json);
        }
    }

    #[test]
    fn direct_equality() {
        check(r#"{"name":"Alice"}"#, r#""name" = ?"#, r#"["Alice"]"#);
        check(r#"{"name":null}"#, r#""name" IS NULL"#, "[]");
        check(
            r#"{"name":"Alice","age":30}"#,
            r#""name" = ? AND "age" = ?"#,
            r#"["Alice",30]"#,
        );
        check(r#"{"ok":true}"#, r#""ok" = ?"#, "[true]");
    }

    #[test]
    fn arrays_and_plain_objects_bind_as_values() {
        check(r#"{"tags":["a","b"]}"#, r#""tags" = ?"#, r#"[["a","b"]]"#);
        check(r#"{"meta":{"k":1}}"#, r#""meta" = ?"#, r#"[{"k":1}]"#);
        // No keys at all: an operator object without operators is refused.
        assert!(refused(r#"{"meta":{}}"#).contains("empty operator object"));
    }

    #[test]
    fn comparison_operators() {
        check(r#"{"age":{"$gt":18}}"#, r#""age" > ?"#, "[18]");
        check(r#"{"age":{"$gte":18}}"#, r#""age" >= ?"#, "[18]");
        check(r#"{"age":{"$lt":65}}"#, r#""age" < ?"#, "[65]");
        check(r#"{"age":{"$lte":65}}"#, r#""age" <= ?"#, "[65]");
        check(r#"{"s":{"$eq":"a"}}"#, r#""s" = ?"#, r#"["a"]"#);
        check(r#"{"s":{"$ne":"a"}}"#, r#""s" != ?"#, r#"["a"]"#);
        check(r#"{"s":{"$eq":null}}"#, r#""s" IS NULL"#, "[]");
        check(r#"{"s":{"$ne":null}}"#, r#""s" IS NOT NULL"#, "[]");
        check(r#"{"n":{"$like":"%Al%"}}"#, r#""n" LIKE ?"#, r#"["%Al%"]"#);
    }

    #[test]
    fn several_operators_on_one_field_are_and_ed() {
        check(
            r#"{"age":{"$gte":18,"$lte":65},"x":1}"#,
            r#""age" >= ? AND "age" <= ? AND "x" = ?"#,
            "[18,65,1]",
        );
    }

    #[test]
    fn list_operators() {
        check(
            r#"{"s":{"$in":["a","b"]}}"#,
            r#""s" IN (?, ?)"#,
            r#"["a","b"]"#,
        );
        check(r#"{"s":{"$nin":["d"]}}"#, r#""s" NOT IN (?)"#, r#"["d"]"#);
        check(r#"{"s":{"$in":[]}}"#, "1=0", "[]");
        check(r#"{"s":{"$nin":[]}}"#, "1=1", "[]");
        assert!(refused(r#"{"s":{"$in":"a"}}"#).contains("needs an array"));
        refused(r#"{"s":{"$nin":null}}"#);
    }

    #[test]
    fn exists_and_between() {
        check(r#"{"e":{"$exists":true}}"#, r#""e" IS NOT NULL"#, "[]");
        check(r#"{"e":{"$exists":false}}"#, r#""e" IS NULL"#, "[]");
        check(r#"{"e":{"$null":true}}"#, r#""e" IS NULL"#, "[]");
        check(r#"{"e":{"$null":false}}"#, r#""e" IS NOT NULL"#, "[]");
        refused(r#"{"e":{"$null":1}}"#);
        check(
            r#"{"t":{"$contains":"a_%"}}"#,
            r#"(typeof("t") = 'text' AND instr("t", ?) > 0)"#,
            r#"["a_%"]"#,
        );
        check(
            r#"{"t":{"$endsWith":"z"}}"#,
            r#"(typeof("t") = 'text' AND substr("t", -length(?)) = ?)"#,
            r#"["z","z"]"#,
        );
        for bad in [r#"{"t":{"$icontains":""}}"#, r#"{"t":{"$contains":5}}"#] {
            assert!(refused(bad).contains("non-empty string"), "{bad}");
        }
        for (bad, names) in [
            (r#"{"t":{"$regex":"^a"}}"#, &["$regex", "$icontains"][..]),
            (
                r#"{"t":{"$regex":"^a","$options":"i"}}"#,
                &["$regex", "$options", "$icontains"],
            ),
            (r#"{"t":{"$options":"i"}}"#, &["$options", "$icontains"]),
        ] {
            let message = refused(bad);
            assert!(names.iter().all(|n| message.contains(n)), "{message}");
        }
        check(
            r#"{"a":{"$between":[18,65]}}"#,
            r#""a" BETWEEN ? AND ?"#,
            "[18,65]",
        );
        for bad in [r#"[1]"#, r#"[1,2,3]"#, r#""1,2""#, "null"] {
            let msg = refused(&format!(r#"{{"a":{{"$between":{bad}}}}}"#));
            assert!(msg.contains("two-item array"), "{msg}");
        }
    }

    #[test]
    fn logical_operators() {
        check(
            r#"{"$or":[{"name":"A"},{"name":"B"}]}"#,
            r#"("name" = ? OR "name" = ?)"#,
            r#"["A","B"]"#,
        );
        check(
            r#"{"$and":[{"age":{"$gte":18}},{"age":{"$lte":65}}]}"#,
            r#"("age" >= ? AND "age" <= ?)"#,
            "[18,65]",
        );
        check(
            r#"{"$not":{"s":"deleted"}}"#,
            r#"NOT ("s" = ?)"#,
            r#"["deleted"]"#,
        );
        check(r#"{"$or":[{"a":1}]}"#, r#""a" = ?"#, "[1]");
        check(r#"{"$or":[{},{"a":1},null]}"#, r#""a" = ?"#, "[1]");
        // Nothing to negate, or nothing to choose from, matches nothing.
        check(r#"{"$not":{}}"#, "1=0", "[]");
        check(r#"{"$or":[]}"#, "1=0", "[]");
        check(r#"{"$or":[{}]}"#, "1=0", "[]");
        assert!(refused(r#"{"$not":null}"#).contains("$not"));
    }

    #[test]
    fn nesting_keeps_precedence_and_arg_order() {
        check(
            r#"{"a":1,"$or":[{"b":2,"c":3},{"$and":[{"d":4},{"$not":{"e":5}}]}],"f":{"$in":[6,7]}}"#,
            r#""a" = ? AND ("b" = ? AND "c" = ? OR ("d" = ? AND NOT ("e" = ?))) AND "f" IN (?, ?)"#,
            "[1,2,3,4,5,6,7]",
        );
        // A legacy OR chain inside $and is grouped.
        check(
            r#"{"$and":[["a","=",1,"or","b","=",2],{"c":3}]}"#,
            r#"(("a" = ? OR "b" = ?) AND "c" = ?)"#,
            "[1,2,3]",
        );
    }

    #[test]
    fn operands_that_would_not_bind_as_given_are_refused_naming_the_field() {
        let err = compile_filter(&v(r#"{"title":"a\u0000b"}"#)).unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::InvalidFilter);
        assert!(err.message.contains("Field \"title\""), "{}", err.message);
        let err = compile_filter(&v(r#"{"title":{"$in":["ok","a\u0000b"]}}"#)).unwrap_err();
        assert!(err.message.contains("NUL"), "{}", err.message);
    }

    #[test]
    fn refusals() {
        let msg = refused(r#"{"age":{"$foo":1}}"#);
        assert!(msg.contains("\"$foo\"") && msg.contains("\"age\"") && msg.contains("$between"));
        assert!(refused(r#"{"$nor":[{"a":1}]}"#).contains("$nor"));
        assert!(refused(r#"{"$gt":1}"#).contains("$gt"));
        assert!(refused(r#"{"a":{"$gt":1,"b":2}}"#).contains("mixes"));
        assert!(refused(r#"{"$or":{"a":1}}"#).contains("array"));
        refused(r#"{"$and":"x"}"#);
        refused(r#"{"$not":"x"}"#);
        refused(r#"{"$or":[{"a":{"$bad":1}}]}"#);
        refused(r#"{"$or":[true]}"#);
        refused(r#"{"":1}"#);
        refused("{\"a\\u0000\":1}");
    }

    #[test]
    fn identifiers_are_quoted_not_spliced() {
        check(r#"{"we\"ird":1}"#, r#""we""ird" = ?"#, "[1]");
        check(
            r#"{"a\" = 1 OR 1=1 --":1}"#,
            r#""a"" = 1 OR 1=1 --" = ?"#,
            "[1]",
        );
    }

    fn qualified(json: &str) -> (String, String) {
        let got = compile_filter_in("people", &v(json)).unwrap();
        (got.sql, Value::Array(got.args).to_json())
    }

    #[test]
    fn compile_filter_in_qualifies_every_column() {
        assert_eq!(
            qualified(
                r#"{"a":1,"$or":[{"b":null},{"$not":{"c":{"$in":[2,3]}}}],"d":{"$between":[4,5]}}"#
            ),
            (
                r#""people"."a" = ? AND ("people"."b" IS NULL OR NOT ("people"."c" IN (?, ?))) AND "people"."d" BETWEEN ? AND ?"#
                    .into(),
                "[1,2,3,4,5]".into()
            )
        );
        // The legacy array form, groups included.
        assert_eq!(
            qualified(r#"[["a","=",1,"or","b","like","x%"],"and","c","!=",null]"#),
            (
                r#"("people"."a" = ? OR "people"."b" LIKE ?) AND "people"."c" IS NOT NULL"#.into(),
                r#"[1,"x%"]"#.into()
            )
        );
        assert_eq!(
            qualified(r#"{"we\"ird":{"$exists":true}}"#).0,
            r#""people"."we""ird" IS NOT NULL"#
        );
        assert_eq!(qualified("null"), (String::new(), "[]".into()));
        // The bare helper is untouched.
        assert_eq!(c(r#"{"a":1}"#).sql, r#""a" = ?"#);
    }

    fn kernel(json: &str, kinds: &crate::rows::FieldKinds) -> Result<Compiled> {
        let scope = Scope {
            fields: Some(kinds),
            ..Scope::kernel("t")
        };
        compile_filter_in(scope, &v(json))
    }

    fn json_kinds() -> crate::rows::FieldKinds {
        let mut kinds = crate::rows::FieldKinds::default();
        kinds.set("tags", crate::rows::Kind::JsonStrict);
        kinds
    }

    #[test]
    fn kernel_comparisons_on_json_fields_are_withheld_refusals_pointing_at_their_subtree() {
        let kinds = json_kinds();
        let err = kernel(r#"{"$and":[{"a":1},{"tags":{"$nin":["x"]}}]}"#, &kinds).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidFilter);
        let withheld = err.withheld.unwrap();
        assert_eq!(withheld.subtree, vec![0, 1, 0]);
        assert!(withheld
            .detail
            .contains(r#"Operator "$nin" on field "tags""#));
        assert!(!err.message.contains("tags"));
        // A bare comparand points at the object holding it.
        let bare = kernel(r#"{"b":2,"tags":"x"}"#, &kinds).unwrap_err();
        assert_eq!(bare.withheld.unwrap().subtree, Vec::<u32>::new());
        // Membership and presence still compile.
        for ok in [
            r#"{"tags":{"$contains":"x"}}"#,
            r#"{"tags":{"$null":true}}"#,
        ] {
            kernel(ok, &kinds).unwrap();
        }
    }

    #[test]
    fn kernel_comparands_must_be_what_sql_holds() {
        let kinds = crate::rows::FieldKinds::default();
        let refusal = |json: &str| {
            let err = kernel(json, &kinds).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidFilter, "{json}");
            err.withheld.map_or(err.message, |w| w.detail)
        };
        assert!(refusal(r#"{"n":{"$gt":{"a":1}}}"#).contains("cannot be bound"));
        assert!(refusal(r#"{"n":{"$in":[1,[2]]}}"#).contains("index 1"));
        assert!(refusal(r#"{"n":{"$contains":{}}}"#).contains("[object Object]"));
        assert!(refusal(r#"{"n":{"$between":[1]}}"#).contains("[min, max]"));
        assert!(refusal(r#"{"n":{"$near":1}}"#).contains("Unsupported filter operator"));
        assert!(refusal(r#"["n","=",1]"#).contains("A filter ARRAY"));
        assert!(refusal(r#"{"meta":{"k":1}}"#).contains(r#"Operator "=" on field "meta""#));
    }

    #[test]
    fn kernel_patterns_and_text_comparands() {
        let kinds = crate::rows::FieldKinds::default();
        let got = kernel(r#"{"s":{"$like":"a\\_b%"}}"#, &kinds).unwrap();
        assert_eq!(got.sql, r#""t"."s" GLOB ?"#);
        assert_eq!(Value::Array(got.args).to_json(), r#"["a_b*"]"#);
        let got = kernel(r#"{"s":{"$ilike":"A%"}}"#, &kinds).unwrap();
        assert_eq!(got.sql, r#"lower("t"."s") GLOB lower(?)"#);
        let got = kernel(r#"{"s":{"$contains":5}}"#, &kinds).unwrap();
        assert_eq!(Value::Array(got.args).to_json(), r#"["5"]"#);
        assert_eq!(kernel("[]", &kinds).unwrap(), Compiled::default());
        // The 4.2.2 contract keeps LIKE and knows no $ilike.
        assert_eq!(c(r#"{"s":{"$like":"a%"}}"#).sql, r#""s" LIKE ?"#);
        refused(r#"{"s":{"$ilike":"a%"}}"#);
    }

    #[test]
    fn compile_filter_in_refusals() {
        for err in [
            compile_filter_in("", &Value::Null).unwrap_err(),
            compile_filter_in("people", &v(r#"{"$x":1}"#)).unwrap_err(),
            compile_filter_in("people", &v(r#"["$a","=",1]"#)).unwrap_err(),
            compile_filter_in("people", &v("true")).unwrap_err(),
        ] {
            assert!(refusal(err.code));
        }
    }
}
