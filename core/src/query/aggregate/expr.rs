//! Aggregate expressions of `aggregate(object, { aggregates: { alias: 'SUM("amount")' } })`.
//! The TypeScript driver spliced these strings into SQL as they came; here each one is
//! parsed against a tiny grammar and rebuilt, so nothing but a known function and a quoted
//! column ever reaches SQL.

use crate::error::{Error, Result};
use crate::query::Columns;

const FUNCTIONS: [&str; 5] = ["COUNT", "SUM", "AVG", "MIN", "MAX"];

/// Validates an aggregate expression and returns its canonical SQL.
///
/// Grammar (case-insensitive, any whitespace around the parts):
/// `FUNC(*)` (COUNT only), `FUNC(field)`, `FUNC("field")`, `FUNC(DISTINCT field)`,
/// `FUNC(DISTINCT "field")` with FUNC one of COUNT, SUM, AVG, MIN, MAX. A bare field is
/// letters, digits and `_`; a quoted one may hold anything a name may, with `""` for a
/// quote. Output examples: `SUM("amount")`, `COUNT(*)`, `COUNT(DISTINCT "x")`.
/// Anything else is refused with `INVALID_REQUEST`.
pub fn compile_aggregate_expr(expr: &str) -> Result<String> {
    compile_aggregate_expr_with(&Columns::bare(), expr)
}

/// [`compile_aggregate_expr`] with the column named through `cols`, e.g. `SUM("t"."amount")`.
pub(super) fn compile_aggregate_expr_with(cols: &Columns, expr: &str) -> Result<String> {
    let malformed = || {
        Error::invalid(format!(
            "Invalid aggregate expression {expr:?}; write FUNC(field), FUNC(\"field\"), \
             FUNC(DISTINCT field) or COUNT(*), with FUNC one of COUNT, SUM, AVG, MIN, MAX"
        ))
    };
    let (name, rest) = expr.trim().split_once('(').ok_or_else(malformed)?;
    let name = name.trim();
    let func = FUNCTIONS
        .iter()
        .find(|f| f.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            Error::invalid(format!(
                "Unknown aggregate function \"{name}\" in {expr:?}; use COUNT, SUM, AVG, MIN \
                 or MAX"
            ))
        })?;
    let inner = rest.strip_suffix(')').ok_or_else(malformed)?.trim();
    if inner == "*" {
        return if *func == "COUNT" {
            Ok("COUNT(*)".to_owned())
        } else {
            Err(Error::invalid(format!(
                "Invalid aggregate expression {expr:?}: only COUNT may use *; name a field, \
                 e.g. {func}(\"amount\")"
            )))
        };
    }
    let (distinct, column) = match strip_distinct(inner) {
        Some(column) => (true, column),
        None => (false, inner),
    };
    // `COUNT(DISTINCT)` is a keyword missing its column, not a column named "distinct".
    if !distinct && column.eq_ignore_ascii_case("distinct") {
        return Err(malformed());
    }
    let field = parse_column(column).ok_or_else(malformed)?;
    let quoted = cols.column(&field)?;
    Ok(if distinct {
        format!("{func}(DISTINCT {quoted})")
    } else {
        format!("{func}({quoted})")
    })
}

/// The rest after a leading `DISTINCT` keyword, if there is one. The keyword must be
/// followed by space or a quote, so a column such as `distinctive` stays a column.
fn strip_distinct(inner: &str) -> Option<&str> {
    let head = inner.get(..8)?;
    let rest = inner.get(8..)?;
    let separated = rest.starts_with(|c: char| c.is_whitespace() || c == '"');
    (head.eq_ignore_ascii_case("distinct") && separated).then(|| rest.trim_start())
}

/// A bare identifier or a double-quoted one (with `""` escapes), unquoted.
fn parse_column(text: &str) -> Option<String> {
    if let Some(body) = text.strip_prefix('"') {
        let body = body.strip_suffix('"')?;
        let mut out = String::with_capacity(body.len());
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            // Inside quotes a quote must be doubled; a lone one would end the name early.
            if c == '"' && chars.next() != Some('"') {
                return None;
            }
            out.push(c);
        }
        return Some(out);
    }
    let mut chars = text.chars();
    let first = chars.next()?;
    let bare =
        (first.is_alphabetic() || first == '_') && chars.all(|c| c.is_alphanumeric() || c == '_');
    bare.then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn ok(expr: &str) -> String {
        compile_aggregate_expr(expr).unwrap_or_else(|e| panic!("{expr:?}: {}", e.message))
    }

    #[test]
    fn accepted_forms() {
        let cases = [
            ("SUM(amount)", r#"SUM("amount")"#),
            (r#"SUM("amount")"#, r#"SUM("amount")"#),
            ("sum( amount )", r#"SUM("amount")"#),
            ("  Avg (price)  ", r#"AVG("price")"#),
            ("min(_x1)", r#"MIN("_x1")"#),
            ("MAX(\"created at\")", r#"MAX("created at")"#),
            ("COUNT(*)", "COUNT(*)"),
            ("count( * )", "COUNT(*)"),
            ("COUNT(DISTINCT x)", r#"COUNT(DISTINCT "x")"#),
            ("count(distinct   \"x\")", r#"COUNT(DISTINCT "x")"#),
            ("count(DISTINCT\"x\")", r#"COUNT(DISTINCT "x")"#),
            ("SUM(DISTINCT amount)", r#"SUM(DISTINCT "amount")"#),
            ("COUNT(distinctive)", r#"COUNT("distinctive")"#),
            ("COUNT(\"we\"\"ird\")", r#"COUNT("we""ird")"#),
            ("SUM(montant_été)", r#"SUM("montant_été")"#),
        ];
        for (input, expected) in cases {
            assert_eq!(ok(input), expected, "{input}");
        }
    }

    #[test]
    fn refused_forms() {
        for bad in [
            "SUM(amount); DROP TABLE x",
            "SUM(amount)) OR 1=1 --",
            "LOWER(name)",
            "SUM(a+b)",
            "SUM(a, b)",
            "SUM(*)",
            "AVG( * )",
            "COUNT(DISTINCT *)",
            "COUNT()",
            "COUNT(DISTINCT )",
            "SUM",
            "SUM amount",
            "",
            "(amount)",
            "SUM(\"a\") + SUM(\"b\")",
            "SUM(\"a\"\"); DROP TABLE x; --)",
            "SUM(\"unterminated)",
            "SUM(1)",
            "SUM(1abc)",
            "SUM(t.amount)",
            "SUM($amount)",
            "SUM(\"$amount\")",
            "SUM(\"\")",
            "SUM(\"a\u{0}b\")",
            "SUM(amount) FILTER (WHERE 1)",
            "SUM /* c */ (amount)",
            "GROUP_CONCAT(name)",
        ] {
            let err = compile_aggregate_expr(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{bad:?}");
        }
    }

    #[test]
    fn quote_injection_stays_inside_the_identifier() {
        // A doubled quote is a legal part of a name, so this is one odd column, not SQL.
        assert_eq!(
            ok(r#"SUM("a""); DROP TABLE x; --")"#),
            r#"SUM("a""); DROP TABLE x; --")"#
        );
    }

    #[test]
    fn qualified_columns() {
        let cols = Columns::of("orders").unwrap();
        let q = |expr: &str| compile_aggregate_expr_with(&cols, expr).unwrap();
        assert_eq!(q("sum(amount)"), r#"SUM("orders"."amount")"#);
        assert_eq!(
            q(r#"count( distinct "we""ird" )"#),
            r#"COUNT(DISTINCT "orders"."we""ird")"#
        );
        assert_eq!(q("COUNT(*)"), "COUNT(*)");
        let err = compile_aggregate_expr_with(&cols, "SUM(*)").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn messages_name_the_problem() {
        let msg = compile_aggregate_expr("LOWER(name)").unwrap_err().message;
        assert!(msg.contains("LOWER") && msg.contains("COUNT, SUM"), "{msg}");
        let msg = compile_aggregate_expr("SUM(*)").unwrap_err().message;
        assert!(msg.contains("only COUNT"), "{msg}");
    }
}
