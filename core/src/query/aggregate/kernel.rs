//! The ObjectStack kernel's aggregate form:
//! `{ where, groupBy: [field | { field, alias }], aggregations: [{ function, field?, alias }] }`
//! compiled into one SELECT ... GROUP BY.
//!
//! Semantics follow the kernel's own in-memory aggregation (and its conformance cases):
//! `count` without a field counts rows, with a field its non-null values;
//! `count_distinct` counts distinct non-null values; `sum` of no values is 0, not NULL;
//! `avg`/`min`/`max` of no values are NULL; booleans aggregate as the numbers 0/1.

use crate::error::{Error, ErrorCode, Result};
use crate::identifier::quote_identifier;
use crate::query::filter::compile_filter_with;
use crate::query::{push_where, Columns, Compiled, Scope};
use crate::value::Value;

const FUNCTIONS: &str = "count, count_distinct, sum, avg, min, max";

/// The functions the Query Protocol declares (`AggregationFunction` of the spec), each
/// compiled here, in the order the kernel lists them.
const DECLARED: &str = "count, sum, avg, min, max, count_distinct";

/// A function the Query Protocol does not declare (names are case-sensitive there): a
/// query no backend can run, so the caller's to fix.
fn undeclared(function: &str) -> Error {
    Error::new(
        ErrorCode::InvalidQuery,
        format!(
            "Aggregate function {} is not a declared aggregate function. Declared functions: \
             {DECLARED} (@objectstack/spec AggregationFunction). Fix the \"function\" key of the \
             aggregations[] entry: the Query Protocol has no such function.",
            Value::from(function).to_json()
        ),
    )
}

/// A per-aggregation `filter` (a conditional aggregate), which this driver does not
/// compile: refused rather than aggregating the unfiltered rows; the engine computes it.
fn filtered_aggregation(alias: &str) -> Error {
    Error::new(
        ErrorCode::NotImplemented,
        format!(
            "Per-aggregation `filter` on {} is not supported by this backend (driver-sql). The \
             query is spelled correctly, but no conditional-aggregate expression is compiled for \
             it here, so it is refused rather than aggregating the unfiltered rows. \
             `engine.aggregate` lowers filtered aggregations in memory for every driver without \
             native support: route the query through the engine, or drop the `filter` key.",
            Value::from(alias).to_json()
        ),
    )
}

/// The statement, and its group columns as `(field, result name)`: they carry field
/// values and take their field's kind; aggregation results are plain numbers.
pub struct KernelAggregate {
    pub compiled: Compiled,
    pub group_columns: Vec<(String, String)>,
}

/// Whether `query` is in the kernel's form (it has `aggregations`).
pub fn is_kernel_aggregate(query: &Value) -> bool {
    query.get("aggregations").is_some()
}

pub fn compile_kernel_aggregate(scope: Scope, query: &Value) -> Result<KernelAggregate> {
    let cols = Columns::scoped(scope)?;
    let mut select = Vec::new();
    let mut group_refs = Vec::new();
    let mut group_columns = Vec::new();
    let groups = match query.get("groupBy") {
        None => &[][..],
        Some(Value::Array(items)) => items.as_slice(),
        Some(other) => {
            return Err(Error::invalid(format!(
                "\"groupBy\" must be an array of fields, got a {}",
                other.type_name()
            )))
        }
    };
    for item in groups {
        let (field, alias) = match item {
            Value::Text(field) => (field.as_str(), field.as_str()),
            Value::Object(_) => {
                let field = item
                    .get("field")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Error::invalid("a groupBy item needs a \"field\" string"))?;
                let alias = item.get("alias").and_then(Value::as_str).unwrap_or(field);
                if let Some(granularity) = item.get("dateGranularity") {
                    let bucket = date_bucket(&cols.column(field)?, granularity)?;
                    select.push(format!("{bucket} AS {}", quote_identifier(alias)?));
                    group_refs.push(bucket);
                    // A bucket is text ("2026-01"), whatever the field's kind.
                    continue;
                }
                (field, alias)
            }
            other => {
                return Err(Error::invalid(format!(
                    "a groupBy item must be a field name or {{ field, alias }}, got a {}",
                    other.type_name()
                )))
            }
        };
        let column = cols.column(field)?;
        select.push(format!("{column} AS {}", quote_identifier(alias)?));
        group_refs.push(column);
        group_columns.push((field.to_owned(), alias.to_owned()));
    }
    let aggregations = query
        .get("aggregations")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            Error::invalid("\"aggregations\" must be an array of { function, field?, alias }")
        })?;
    let kernel = scope.contract.spec_field_types();
    for agg in aggregations {
        let function = match agg.get("function") {
            Some(Value::Text(f)) => f.as_str(),
            None if kernel => return Err(undeclared("undefined")),
            _ => "",
        };
        if kernel && !DECLARED.split(", ").any(|d| d == function) {
            return Err(undeclared(function));
        }
        let alias = agg
            .get("alias")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid("each aggregation needs an \"alias\" string"))?;
        if kernel
            && agg
                .get("filter")
                .is_some_and(|f| !f.is_null() && f.as_object().is_none_or(|e| !e.is_empty()))
        {
            return Err(filtered_aggregation(alias));
        }
        let field = match agg.get("field") {
            None => None,
            Some(Value::Text(f)) if f == "*" => None,
            Some(Value::Text(f)) => Some(cols.column(f)?),
            Some(other) => {
                return Err(Error::invalid(format!(
                    "aggregation \"{alias}\" has a {} field; it must be a field name",
                    other.type_name()
                )))
            }
        };
        let needs_field = || {
            field.clone().ok_or_else(|| {
                Error::invalid(format!(
                    "aggregation \"{alias}\" ({function}) needs a \"field\""
                ))
            })
        };
        let expr = match function.to_ascii_lowercase().as_str() {
            "count" => field
                .as_ref()
                .map_or_else(|| "COUNT(*)".to_owned(), |f| format!("COUNT({f})")),
            "count_distinct" => format!("COUNT(DISTINCT {})", needs_field()?),
            "sum" => format!("COALESCE(SUM({}), 0)", needs_field()?),
            "avg" => format!("AVG({})", needs_field()?),
            "min" => format!("MIN({})", needs_field()?),
            "max" => format!("MAX({})", needs_field()?),
            other => {
                return Err(Error::invalid(format!(
                "Unknown aggregation function \"{other}\" in \"{alias}\"; use one of {FUNCTIONS}"
            )))
            }
        };
        select.push(format!("{expr} AS {}", quote_identifier(alias)?));
    }
    if select.is_empty() {
        return Err(Error::invalid(
            "an aggregate needs at least one groupBy field or aggregation",
        ));
    }
    let mut sql = format!(
        "SELECT {} FROM {}",
        select.join(", "),
        quote_identifier(scope.object)?
    );
    let mut args = Vec::new();
    let filter = compile_filter_with(&cols, query.get("where").unwrap_or(&Value::Null))?;
    push_where(&mut sql, &mut args, &filter);
    if !group_refs.is_empty() {
        sql.push_str(" GROUP BY ");
        sql.push_str(&group_refs.join(", "));
    }
    Ok(KernelAggregate {
        compiled: Compiled { sql, args },
        group_columns,
    })
}

/// The date bucket of a column as the engine names it: `2026`, `2026-Q1`, `2026-01`,
/// `2026-W05` (ISO week), `2026-01-31`; NULL for a value that is not a date. Values are
/// ISO text in UTC (the engine aggregates in memory for other time zones).
fn date_bucket(column: &str, granularity: &Value) -> Result<String> {
    let format = |f: &str| format!("strftime('{f}', {column})");
    Ok(match granularity.as_str().unwrap_or_default() {
        "year" => format("%Y"),
        "month" => format("%Y-%m"),
        "day" => format("%Y-%m-%d"),
        // ISO week of the week's Thursday, spelt out: `%G`/`%V` came with SQLite 3.46,
        // and a libSQL server may run an older one (sqld 0.24 has 3.45), where they
        // answer NULL and every row would fall into one bucket.
        "week" => {
            let thursday = format!(
                "date({column}, '-' || ((CAST(strftime('%w', {column}) AS INTEGER) + 6) % 7) || ' days', '+3 days')"
            );
            format!(
                "(strftime('%Y', {thursday}) || '-W' || \
                 printf('%02d', (CAST(strftime('%j', {thursday}) AS INTEGER) - 1) / 7 + 1))"
            )
        }
        "quarter" => format!(
            "({} || '-Q' || ((CAST({} AS INTEGER) + 2) / 3))",
            format("%Y"),
            format("%m")
        ),
        _ => {
            return Err(Error::invalid(format!(
                "dateGranularity must be one of day, week, month, quarter, year; got {}",
                granularity.to_json()
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::refusal;

    fn compile(json: &str) -> Result<KernelAggregate> {
        compile_kernel_aggregate(Scope::kernel("deals"), &Value::parse_json(json).unwrap())
    }

    #[test]
    fn compiles_groups_and_every_function() {
        let agg = compile(
            r#"{"where":{"stage":"won"},"groupBy":["region",{"field":"owner","alias":"who"}],
                "aggregations":[{"function":"count","alias":"n"},{"function":"count","field":"stage","alias":"c"},
                {"function":"count_distinct","field":"stage","alias":"d"},{"function":"sum","field":"amount","alias":"s"},
                {"function":"avg","field":"amount","alias":"a"},{"function":"min","field":"amount","alias":"lo"},
                {"function":"max","field":"amount","alias":"hi"}]}"#,
        )
        .unwrap();
        assert_eq!(
            agg.compiled.sql,
            "SELECT \"deals\".\"region\" AS \"region\", \"deals\".\"owner\" AS \"who\", COUNT(*) AS \"n\", \
             COUNT(\"deals\".\"stage\") AS \"c\", COUNT(DISTINCT \"deals\".\"stage\") AS \"d\", \
             COALESCE(SUM(\"deals\".\"amount\"), 0) AS \"s\", AVG(\"deals\".\"amount\") AS \"a\", \
             MIN(\"deals\".\"amount\") AS \"lo\", MAX(\"deals\".\"amount\") AS \"hi\" FROM \"deals\" \
             WHERE \"deals\".\"stage\" = ? GROUP BY \"deals\".\"region\", \"deals\".\"owner\""
        );
        assert_eq!(
            agg.group_columns,
            [
                ("region".to_owned(), "region".to_owned()),
                ("owner".to_owned(), "who".to_owned())
            ]
        );
    }

    #[test]
    fn buckets_dates_like_the_engine() {
        let agg = compile(
            r#"{"groupBy":[{"field":"at","dateGranularity":"quarter","alias":"q"}],
                "aggregations":[{"function":"count","alias":"n"}]}"#,
        )
        .unwrap();
        let bucket = "(strftime('%Y', \"deals\".\"at\") || '-Q' || \
                      ((CAST(strftime('%m', \"deals\".\"at\") AS INTEGER) + 2) / 3))";
        assert_eq!(
            agg.compiled.sql,
            format!("SELECT {bucket} AS \"q\", COUNT(*) AS \"n\" FROM \"deals\" GROUP BY {bucket}")
        );
        assert!(agg.group_columns.is_empty());
    }

    #[test]
    fn refuses_what_it_cannot_compile() {
        for bad in [
            r#"{"aggregations":[{"function":"median","field":"a","alias":"m"}]}"#,
            r#"{"aggregations":[{"function":"sum","alias":"s"}]}"#,
            r#"{"aggregations":[{"function":"sum","field":"a"}]}"#,
            r#"{"aggregations":[],"groupBy":[{"field":"at","dateGranularity":"fortnight"}]}"#,
        ] {
            let err = compile(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} compiled"));
            assert!(refusal(err.code), "{bad}: {err:?}");
        }
        // The kernel's codes: a function the protocol does not declare (names are
        // case-sensitive) is the query's fault; a conditional aggregate is ours to lack.
        for (bad, code) in [
            (
                r#"{"aggregations":[{"function":"COUNT","alias":"n"}]}"#,
                ErrorCode::InvalidQuery,
            ),
            (
                r#"{"aggregations":[{"func":"sum","alias":"n"}]}"#,
                ErrorCode::InvalidQuery,
            ),
            (
                r#"{"aggregations":[{"function":"count","alias":"n","filter":{"a":1}}]}"#,
                ErrorCode::NotImplemented,
            ),
        ] {
            assert_eq!(compile(bad).err().map(|e| e.code), Some(code), "{bad}");
        }
        assert!(
            compile(r#"{"aggregations":[{"function":"count","alias":"n","filter":{}}]}"#).is_ok()
        );
        // A hostile field name stays one quoted identifier (SQLite then finds no column).
        let agg = compile(
            r#"{"aggregations":[{"function":"sum","field":"a\"; DROP TABLE x","alias":"s"}]}"#,
        )
        .unwrap();
        assert!(
            agg.compiled
                .sql
                .contains(r#"SUM("deals"."a""; DROP TABLE x")"#),
            "{}",
            agg.compiled.sql
        );
    }
}
