//! The legacy array filter form of older ObjectQL APIs:
//! `[field, op, value, 'and'|'or', field, op, value, ...]`, where an element that is itself
//! an array is a parenthesised group and criteria without a conjunction are AND-ed.

use super::{compile_op, Op};
use crate::error::{Error, Result};
use crate::query::{Columns, Conj, Part, Shape};
use crate::value::Value;

const LEGACY_OPERATORS: &str =
    "=, eq, !=, <>, ne, >, gt, >=, gte, <, lt, <=, lte, like, in, notin, not_in, between";

fn legacy_op(name: &str) -> Option<Op> {
    Some(match name.to_ascii_lowercase().as_str() {
        "=" | "eq" => Op::Eq,
        "!=" | "<>" | "ne" => Op::Ne,
        ">" | "gt" => Op::Gt,
        ">=" | "gte" => Op::Gte,
        "<" | "lt" => Op::Lt,
        "<=" | "lte" => Op::Lte,
        "like" => Op::Like,
        "in" => Op::In,
        "notin" | "not_in" => Op::Nin,
        "between" => Op::Between,
        _ => return None,
    })
}

fn conjunction(word: &str) -> Option<Conj> {
    match word.to_ascii_lowercase().as_str() {
        "and" => Some(Conj::And),
        "or" => Some(Conj::Or),
        _ => None,
    }
}

fn is_op_at(items: &[Value], i: usize) -> bool {
    items
        .get(i)
        .and_then(Value::as_str)
        .and_then(legacy_op)
        .is_some()
}

/// What a string in conjunction position turned out to be.
enum Between {
    Conj(Conj),
    /// The start of the next criterion (implicitly AND-ed).
    Field,
}

/// Decides whether `word` (just after a criterion, at index `i`) joins criteria or names
/// the next field. A word followed by an operator is always a field, so even a column
/// named "or" stays usable.
fn classify(items: &[Value], i: usize, word: &str) -> Result<Between> {
    if is_op_at(items, i + 1) {
        return Ok(Between::Field);
    }
    if let Some(conj) = conjunction(word) {
        return Ok(Between::Conj(conj));
    }
    // `x, 'xor', y` is a misspelt conjunction when what follows it starts a criterion;
    // otherwise the word is a field whose operator will be reported below.
    if matches!(items.get(i + 1), Some(Value::Array(_))) || is_op_at(items, i + 2) {
        return Err(Error::invalid(format!(
            "Unknown filter conjunction \"{word}\" at position {i}; use \"and\" or \"or\""
        )));
    }
    Ok(Between::Field)
}

/// Compiles a legacy array filter; `None` when it has no condition.
pub(super) fn compile_legacy(cols: &Columns, items: &[Value]) -> Result<Option<Part>> {
    let mut terms: Vec<(Conj, Part)> = Vec::new();
    let mut pending: Option<Conj> = None;
    let mut after_term = false;
    let mut i = 0;
    while let Some(item) = items.get(i) {
        if let Value::Text(word) = item {
            let role = if after_term {
                classify(items, i, word)?
            } else if is_op_at(items, i + 1) {
                Between::Field
            } else {
                conjunction(word).map_or(Between::Field, Between::Conj)
            };
            if let Between::Conj(conj) = role {
                if !after_term {
                    return Err(Error::invalid(format!(
                        "Filter conjunction \"{word}\" at position {i} has no criterion before it"
                    )));
                }
                pending = Some(conj);
                after_term = false;
                i += 1;
                continue;
            }
        }
        let (term, width) = compile_term(cols, items, i)?;
        if let Some(part) = term {
            terms.push((pending.take().unwrap_or(Conj::And), part));
        }
        after_term = true;
        i += width;
    }
    if !after_term {
        if let Some(conj) = pending {
            let word = if conj == Conj::And { "and" } else { "or" };
            return Err(Error::invalid(format!(
                "Filter ends with the conjunction \"{word}\"; add a criterion after it or remove it"
            )));
        }
    }
    Ok(chain(terms))
}

/// The criterion or group starting at `i`, and how many elements it used.
fn compile_term(cols: &Columns, items: &[Value], i: usize) -> Result<(Option<Part>, usize)> {
    match items.get(i) {
        Some(Value::Array(group)) => Ok((compile_legacy(cols, group)?.map(Part::grouped), 1)),
        Some(Value::Text(field)) => {
            let op_name = match items.get(i + 1) {
                Some(Value::Text(op)) => op,
                Some(other) => {
                    return Err(Error::invalid(format!(
                        "Filter criterion on field \"{field}\" needs an operator string after \
                         the field, got a {}",
                        other.type_name()
                    )))
                }
                None => {
                    return Err(Error::invalid(format!(
                        "Filter criterion on field \"{field}\" is incomplete; write \
                         [\"{field}\", operator, value]"
                    )))
                }
            };
            let op = legacy_op(op_name).ok_or_else(|| {
                Error::invalid(format!(
                    "Unknown filter operator \"{op_name}\" on field \"{field}\"; use one of \
                     {LEGACY_OPERATORS}"
                ))
            })?;
            let value = items.get(i + 2).ok_or_else(|| {
                Error::invalid(format!(
                    "Filter criterion [\"{field}\", \"{op_name}\"] has no value; write \
                     [\"{field}\", \"{op_name}\", value]"
                ))
            })?;
            let quoted = cols.column(field)?;
            Ok((Some(compile_op(field, &quoted, op, value)?), 3))
        }
        other => Err(Error::invalid(format!(
            "Invalid filter element at position {i}: field names must be strings (or a nested \
             [field, op, value] array), got a {}",
            other.map_or("nothing", Value::type_name)
        ))),
    }
}

/// Joins terms left to right with their own conjunctions; SQL precedence (AND before OR)
/// applies, as it did in the TypeScript driver.
fn chain(terms: Vec<(Conj, Part)>) -> Option<Part> {
    if terms.len() <= 1 {
        return terms.into_iter().next().map(|(_, part)| part);
    }
    let mut sql = String::new();
    let mut args = Vec::new();
    let mut shape = Shape::And;
    for (i, (conj, part)) in terms.into_iter().enumerate() {
        if i > 0 {
            sql.push_str(conj.as_sql());
            if conj == Conj::Or {
                shape = Shape::Or;
            }
        }
        sql.push_str(&part.sql);
        args.extend(part.args);
    }
    Some(Part { sql, args, shape })
}

#[cfg(test)]
mod tests {
    use crate::error::ErrorCode;
    use crate::query::{compile_filter, Compiled};
    use crate::value::Value;

    fn check(json: &str, sql: &str, args: &str) {
        let got = compile_filter(&Value::parse_json(json).unwrap()).unwrap();
        assert_eq!(got.sql, sql, "{json}");
        assert_eq!(Value::Array(got.args).to_json(), args, "{json}");
    }

    fn refused(json: &str) -> String {
        let err = compile_filter(&Value::parse_json(json).unwrap()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidFilter, "{json}");
        err.message
    }

    #[test]
    fn every_operator_spelling() {
        let cases = [
            ("=", "= ?"),
            ("eq", "= ?"),
            ("EQ", "= ?"),
            ("!=", "!= ?"),
            ("<>", "!= ?"),
            ("ne", "!= ?"),
            (">", "> ?"),
            ("gt", "> ?"),
            (">=", ">= ?"),
            ("gte", ">= ?"),
            ("<", "< ?"),
            ("lt", "< ?"),
            ("<=", "<= ?"),
            ("lte", "<= ?"),
            ("like", "LIKE ?"),
            ("Like", "LIKE ?"),
        ];
        for (op, tail) in cases {
            check(
                &format!(r#"["f","{op}",1]"#),
                &format!(r#""f" {tail}"#),
                "[1]",
            );
        }
        check(
            r#"["s","in",["a","b"]]"#,
            r#""s" IN (?, ?)"#,
            r#"["a","b"]"#,
        );
        check(r#"["s","notin",["a"]]"#, r#""s" NOT IN (?)"#, r#"["a"]"#);
        check(r#"["s","NOT_IN",["a"]]"#, r#""s" NOT IN (?)"#, r#"["a"]"#);
        check(r#"["s","in",[]]"#, "1=0", "[]");
        check(
            r#"["a","between",[1,9]]"#,
            r#""a" BETWEEN ? AND ?"#,
            "[1,9]",
        );
        check(r#"["a","=",null]"#, r#""a" IS NULL"#, "[]");
        check(r#"["a","<>",null]"#, r#""a" IS NOT NULL"#, "[]");
    }

    #[test]
    fn conjunctions() {
        check(
            r#"["age",">",18,"and","age","<",65]"#,
            r#""age" > ? AND "age" < ?"#,
            "[18,65]",
        );
        check(
            r#"["n","=","A","OR","n","=","B"]"#,
            r#""n" = ? OR "n" = ?"#,
            r#"["A","B"]"#,
        );
        // No conjunction: AND.
        check(
            r#"["a","=",1,"b","=",2]"#,
            r#""a" = ? AND "b" = ?"#,
            "[1,2]",
        );
        // A column that happens to be named like a conjunction.
        check(
            r#"["a","=",1,"or","=",2]"#,
            r#""a" = ? AND "or" = ?"#,
            "[1,2]",
        );
        check(r#"["and","=",1]"#, r#""and" = ?"#, "[1]");
    }

    #[test]
    fn nested_groups() {
        check(
            r#"[["a","=",1],"or",["b","=",2]]"#,
            r#""a" = ? OR "b" = ?"#,
            "[1,2]",
        );
        check(
            r#"[["a","=",1,"or","b","=",2],"and",["c","=",3]]"#,
            r#"("a" = ? OR "b" = ?) AND "c" = ?"#,
            "[1,2,3]",
        );
        check(
            r#"["x","=",0,"or",[["a","=",1],["b","=",2]]]"#,
            r#""x" = ? OR ("a" = ? AND "b" = ?)"#,
            "[0,1,2]",
        );
        check(r#"[["a","=",1]]"#, r#""a" = ?"#, "[1]");
        check(r#"[[],"or",["a","=",1]]"#, r#""a" = ?"#, "[1]");
        assert_eq!(
            compile_filter(&Value::parse_json("[[[]]]").unwrap()).unwrap(),
            Compiled::default()
        );
    }

    #[test]
    fn refusals() {
        let msg = refused(r#"["a","~",1]"#);
        assert!(msg.contains("\"~\"") && msg.contains("\"a\"") && msg.contains("between"));
        assert!(refused(r#"["a","=",1,"xor","b","=",2]"#).contains("\"xor\""));
        assert!(refused(r#"[["a","=",1],"nand",["b","=",2]]"#).contains("\"nand\""));
        assert!(refused(r#"["a","=",1,"and"]"#).contains("ends with"));
        assert!(refused(r#"["or","a","=",1]"#).contains("no criterion before"));
        refused(r#"["a","=",1,"and","or","b","=",2]"#);
        assert!(refused(r#"[1,"=",2]"#).contains("must be strings"));
        refused(r#"[{"a":1}]"#);
        refused(r#"["a","="]"#);
        refused(r#"["a"]"#);
        refused(r#"["a",5,1]"#);
        refused(r#"["a","between",[1]]"#);
        refused(r#"["a","in","x"]"#);
        refused(r#"["$a","=",1]"#);
        refused(r#"[["a","=",1],"or",["b","bad",2]]"#);
    }
}
