//! `findWithWindowFunctions`: a `find` whose rows also carry ranking window functions
//! (`ROW_NUMBER() OVER (PARTITION BY .. ORDER BY ..) AS "alias"`), the kernel's SqlDriver
//! door for leaderboards and "latest per group" reads.

use super::select::compile_find_query;
use super::{parse_find_query_in, parse_sort, Columns, Compiled, Scope, SortKey};
use crate::error::{Error, Result};
use crate::identifier::push_identifier;
use crate::value::Value;

/// The window functions that take no argument: a name from this list is the only part
/// of the function that reaches SQL.
const FUNCTIONS: [&str; 5] = [
    "ROW_NUMBER",
    "RANK",
    "DENSE_RANK",
    "PERCENT_RANK",
    "CUME_DIST",
];

/// The find of `query` (its `where`, `orderBy`, `limit`, `offset`) with one more column
/// per entry of `query.windowFunctions` (`{ function, alias, partitionBy?, orderBy? }`).
pub fn compile_window_find<'a>(scope: impl Into<Scope<'a>>, query: &Value) -> Result<Compiled> {
    let scope = scope.into();
    let cols = Columns::of(scope.object)?.mapped(scope.column_map);
    let mut windows = String::new();
    let specs = match query.get("windowFunctions") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(items)) => items.as_slice(),
        Some(other) => {
            return Err(Error::invalid(format!(
                "\"windowFunctions\" must be an array of {{ function, alias, partitionBy?, orderBy? }}, \
                 got a {}",
                other.type_name()
            )))
        }
    };
    for spec in specs {
        windows.push_str(", ");
        push_window(&mut windows, &cols, spec)?;
    }
    let mut find = parse_find_query_in(scope, query)?;
    // Every column of the row: the window columns come on top of `*`.
    find.fields.clear();
    let compiled = compile_find_query(scope, find)?;
    let rest = compiled.sql.strip_prefix("SELECT *").ok_or_else(|| {
        Error::invalid("findWithWindowFunctions: the find query did not compile to SELECT *")
    })?;
    let mut sql = String::with_capacity(compiled.sql.len() + windows.len() + 16);
    sql.push_str("SELECT ");
    push_identifier(&mut sql, scope.object)?;
    sql.push_str(".*");
    sql.push_str(&windows);
    sql.push_str(rest);
    Ok(Compiled {
        sql,
        args: compiled.args,
    })
}

/// `RANK() OVER (PARTITION BY "t"."a" ORDER BY "t"."b" DESC) AS "alias"`.
fn push_window(sql: &mut String, cols: &Columns, spec: &Value) -> Result<()> {
    let name = spec
        .get("function")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let function = FUNCTIONS
        .iter()
        .find(|f| f.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            Error::invalid(format!(
                "Window function {} is not supported: use one of {} (they take no argument)",
                Value::from(name).to_json(),
                FUNCTIONS.join(", ")
            ))
        })?;
    let alias = match spec.get("alias") {
        Some(Value::Text(alias)) if !alias.is_empty() => alias,
        _ => {
            return Err(Error::invalid(format!(
                "Window function {function} needs an \"alias\": the name of the column it adds"
            )))
        }
    };
    sql.push_str(function);
    sql.push_str("() OVER (");
    let partition: Vec<String> = match spec.get("partitionBy") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(fields)) => fields
            .iter()
            .map(|f| match f {
                Value::Text(f) => cols.column(f),
                other => Err(Error::invalid(format!(
                    "\"partitionBy\" of window function {function} lists {}, not a field name",
                    other.to_json()
                ))),
            })
            .collect::<Result<_>>()?,
        Some(other) => {
            return Err(Error::invalid(format!(
                "\"partitionBy\" of window function {function} must be an array of field names, got a {}",
                other.type_name()
            )))
        }
    };
    if !partition.is_empty() {
        sql.push_str("PARTITION BY ");
        sql.push_str(&partition.join(", "));
    }
    let order: Vec<SortKey> = parse_sort(spec.get("orderBy").unwrap_or(&Value::Null))?;
    for (i, key) in order.iter().enumerate() {
        sql.push_str(match (i, partition.is_empty()) {
            (0, true) => "ORDER BY ",
            (0, false) => " ORDER BY ",
            _ => ", ",
        });
        sql.push_str(&cols.column(&key.field)?);
        sql.push(' ');
        sql.push_str(key.direction.as_sql());
    }
    sql.push_str(") AS ");
    push_identifier(sql, alias)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn compile(json: &str) -> Result<Compiled> {
        compile_window_find("orders", &Value::parse_json(json).unwrap())
    }

    #[test]
    fn adds_one_column_per_window_function() {
        let c = compile(
            r#"{"where":{"status":"done"},"windowFunctions":[
                {"function":"row_number","alias":"n","partitionBy":["customer"],"orderBy":[{"field":"amount","order":"desc"}]},
                {"function":"RANK","alias":"r"}],
               "orderBy":[{"field":"amount","order":"desc"}],"limit":2}"#,
        )
        .unwrap();
        assert_eq!(
            c.sql,
            r#"SELECT "orders".*, ROW_NUMBER() OVER (PARTITION BY "orders"."customer" ORDER BY "orders"."amount" DESC) AS "n", RANK() OVER () AS "r" FROM "orders" WHERE "orders"."status" = ? ORDER BY "orders"."amount" DESC LIMIT 2"#
        );
        assert_eq!(c.args, vec![Value::from("done")]);
    }

    #[test]
    fn refuses_what_it_cannot_compile_safely() {
        for bad in [
            r#"{"windowFunctions":[{"function":"SUM(amount)","alias":"s"}]}"#,
            r#"{"windowFunctions":[{"function":"rank"}]}"#,
            r#"{"windowFunctions":[{"function":"rank","alias":"r","partitionBy":"x"}]}"#,
            r#"{"windowFunctions":[{"function":"rank","alias":"r","orderBy":[{"field":"a","order":"up"}]}]}"#,
            r#"{"windowFunctions":{"function":"rank"}}"#,
        ] {
            assert_eq!(
                compile(bad).unwrap_err().code,
                ErrorCode::InvalidRequest,
                "{bad}"
            );
        }
        // An alias is an identifier: quoted, never spliced.
        let c = compile(r#"{"windowFunctions":[{"function":"rank","alias":"a\" FROM x --"}]}"#)
            .unwrap();
        assert!(c.sql.contains(r#"AS "a"" FROM x --""#), "{}", c.sql);
    }
}
