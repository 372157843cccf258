//! `aggregate(object, query)`: a MongoDB-style pipeline, or the `{ groupBy, aggregates }`
//! form, compiled into one SELECT.

use super::expr::compile_aggregate_expr_with;
use crate::error::{Error, Result};
use crate::identifier::quote_identifier;
use crate::query::filter::{compile_filter_with, compile_part};
use crate::query::select::push_order_by;
use crate::query::{join, parse_count, parse_sort, push_limit_offset, push_where};
use crate::query::{Columns, Compiled, Conj, Part, Scope, SortKey};
use crate::value::Value;

const STAGES: &str = "$match, $group, $sort, $limit, $skip";
const ACCUMULATORS: &str = "$sum, $avg, $min, $max, $count";

/// Compiles an aggregation query.
///
/// Forms: a bare pipeline array; `{ pipeline: [...] }`; or
/// `{ groupBy: [fields], aggregates: { alias: 'SUM("amount")' }, filters | where | filter }`
/// whose expressions go through [`compile_aggregate_expr`]. Pipeline stages: `$match`
/// (before `$group` it filters rows with WHERE, after it filters groups with HAVING),
/// one `$group` (`_id: '$field' | null`, accumulators `$sum $avg $min $max $count`),
/// `$sort`, `$limit` and `$skip` (combined in pipeline order). Unknown stages, accumulators
/// and expressions are refused with `INVALID_REQUEST`.
///
/// Table columns are qualified (`SUM("t"."amount")`, `WHERE "t"."status" = ?`, `GROUP BY
/// "t"."customer"`); result names are not: aliases stay `AS "total"` / `AS "_id"`, a
/// `groupBy` field comes back under its own name (`"t"."status" AS "status"`), and what
/// refers to results stays bare: a `$match` after `$group` (HAVING) and a `$sort` key
/// naming a `$group` output.
pub fn compile_aggregate<'a>(scope: impl Into<Scope<'a>>, query: &Value) -> Result<Compiled> {
    let scope = scope.into();
    let table = quote_identifier(scope.object)?;
    let cols = Columns::scoped(scope)?;
    match query {
        Value::Array(stages) => compile_pipeline(&table, &cols, stages),
        Value::Object(_) => match query.get("pipeline") {
            Some(Value::Array(stages)) => compile_pipeline(&table, &cols, stages),
            Some(other) => Err(Error::invalid(format!(
                "\"pipeline\" must be an array of stages, got a {}",
                other.type_name()
            ))),
            None => compile_grouped(&table, &cols, query),
        },
        Value::Null => compile_grouped(&table, &cols, query),
        other => Err(Error::invalid(format!(
            "Invalid aggregate query: expected a pipeline array or an object, got a {}",
            other.type_name()
        ))),
    }
}

/// The `{ groupBy, aggregates, filters }` form.
fn compile_grouped(table: &str, cols: &Columns, query: &Value) -> Result<Compiled> {
    let group_by = match query.get("groupBy") {
        None => Vec::new(),
        Some(Value::Text(field)) => vec![field.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Text(field) => Ok(field.clone()),
                other => Err(Error::invalid(format!(
                    "Invalid \"groupBy\" entry {}: field names must be strings",
                    other.to_json()
                ))),
            })
            .collect::<Result<_>>()?,
        Some(other) => {
            return Err(Error::invalid(format!(
                "\"groupBy\" must be an array of field names, got a {}",
                other.type_name()
            )))
        }
    };
    let mut columns = Vec::new();
    for field in &group_by {
        // Named explicitly, so the result key is the plain field name.
        columns.push(format!(
            "{} AS {}",
            cols.column(field)?,
            quote_identifier(field)?
        ));
    }
    match query.get("aggregates") {
        None => {}
        Some(Value::Object(entries)) => {
            for (alias, expr) in entries {
                let Value::Text(expr) = expr else {
                    return Err(Error::invalid(format!(
                        "Aggregate \"{alias}\" must be an expression string like \
                         'SUM(\"amount\")', got a {}",
                        expr.type_name()
                    )));
                };
                let sql = compile_aggregate_expr_with(cols, expr)?;
                columns.push(format!("{sql} AS {}", quote_identifier(alias)?));
            }
        }
        Some(other) => {
            return Err(Error::invalid(format!(
                "\"aggregates\" must be an object {{ alias: 'SUM(\"field\")' }}, got a {}",
                other.type_name()
            )))
        }
    }
    let filter = ["filters", "where", "filter"]
        .iter()
        .filter_map(|k| query.get(k))
        .find(|v| v.is_truthy())
        .unwrap_or(&Value::Null);

    let mut sql = String::from("SELECT ");
    sql.push_str(&if columns.is_empty() {
        "*".to_owned()
    } else {
        columns.join(", ")
    });
    sql.push_str(" FROM ");
    sql.push_str(table);
    let mut args = Vec::new();
    push_where(&mut sql, &mut args, &compile_filter_with(cols, filter)?);
    if !group_by.is_empty() {
        sql.push_str(" GROUP BY ");
        sql.push_str(&cols.list(&group_by)?);
    }
    Ok(Compiled { sql, args })
}

/// The pieces of one SELECT, filled stage by stage.
#[derive(Default)]
struct Pipeline {
    /// `None` until a `$group` stage ran.
    select: Option<Vec<String>>,
    /// The result names `$group` gave (its keys, `_id` included).
    aliases: Vec<String>,
    select_args: Vec<Value>,
    group_by: Option<String>,
    wheres: Vec<Part>,
    havings: Vec<Part>,
    order_by: Vec<SortKey>,
    limit: Option<i64>,
    offset: Option<i64>,
}

fn compile_pipeline(table: &str, cols: &Columns, stages: &[Value]) -> Result<Compiled> {
    let mut p = Pipeline::default();
    for (i, stage) in stages.iter().enumerate() {
        let Value::Object(entries) = stage else {
            return Err(Error::invalid(format!(
                "Aggregation stage {i} must be an object like {{ \"$match\": {{..}} }}, got a {}",
                stage.type_name()
            )));
        };
        for (name, body) in entries {
            apply_stage(&mut p, cols, name, body)?;
        }
    }

    let mut sql = String::from("SELECT ");
    let mut args = std::mem::take(&mut p.select_args);
    match &p.select {
        Some(columns) => sql.push_str(&columns.join(", ")),
        None => sql.push('*'),
    }
    sql.push_str(" FROM ");
    sql.push_str(table);
    // The rows, not the groups, are the tenant's.
    p.wheres.extend(cols.tenant_condition()?);
    let filter = join(p.wheres, Conj::And).map(Part::into_compiled);
    push_where(&mut sql, &mut args, &filter.unwrap_or_default());
    if let Some(group_by) = &p.group_by {
        sql.push_str(" GROUP BY ");
        sql.push_str(group_by);
    }
    if let Some(having) = join(p.havings, Conj::And) {
        sql.push_str(" HAVING ");
        sql.push_str(&having.sql);
        args.extend(having.args);
    }
    // A key naming a $group result stays bare (ORDER BY resolves result names first, and
    // case-insensitively, as here); any other key is a table column.
    let aliases = &p.aliases;
    push_order_by(&mut sql, &p.order_by, |field| {
        if aliases.iter().any(|a| a.eq_ignore_ascii_case(field)) {
            quote_identifier(field)
        } else {
            cols.column(field)
        }
    })?;
    push_limit_offset(&mut sql, &mut args, p.limit, p.offset, cols.limit_form())?;
    Ok(Compiled { sql, args })
}

fn apply_stage(p: &mut Pipeline, cols: &Columns, name: &str, body: &Value) -> Result<()> {
    match name {
        "$match" => {
            // After $group the rows are groups, so the condition belongs in HAVING; its
            // names may be results (aliases), so they stay bare. (SQLite resolves a name
            // there to a table column first, to a result alias only failing that.)
            if p.select.is_some() {
                p.havings.extend(compile_part(&Columns::bare(), body)?);
            } else {
                p.wheres.extend(compile_part(cols, body)?);
            }
        }
        "$group" => apply_group(p, cols, body)?,
        "$sort" => p.order_by = parse_sort(body)?,
        "$limit" => {
            let n = parse_count("$limit", body)?;
            p.limit = Some(p.limit.map_or(n, |limit| limit.min(n)));
        }
        "$skip" => {
            // Skipping after a limit eats into that limit, as it would in MongoDB.
            let n = parse_count("$skip", body)?;
            p.offset = Some(p.offset.unwrap_or(0).saturating_add(n));
            p.limit = p.limit.map(|limit| limit.saturating_sub(n).max(0));
        }
        other => {
            return Err(Error::invalid(format!(
                "Unknown aggregation stage \"{other}\"; use one of {STAGES}"
            )))
        }
    }
    Ok(())
}

fn apply_group(p: &mut Pipeline, cols: &Columns, body: &Value) -> Result<()> {
    if p.select.is_some() {
        return Err(Error::invalid(
            "Only one $group stage is supported per aggregation; merge the accumulators into one",
        ));
    }
    let Value::Object(entries) = body else {
        return Err(Error::invalid(format!(
            "\"$group\" must be an object like {{ \"_id\": \"$field\", \"total\": {{ \"$sum\": \
             \"$amount\" }} }}, got a {}",
            body.type_name()
        )));
    };
    let mut columns = Vec::new();
    for (key, value) in entries {
        if key == "_id" {
            match value {
                Value::Null => {}
                Value::Text(field) => {
                    let column = cols.column(field_ref(field))?;
                    columns.push(format!("{column} AS \"_id\""));
                    p.group_by = Some(column);
                }
                other => {
                    return Err(Error::invalid(format!(
                        "\"$group._id\" must be \"$field\" or null, got {}; to group by several \
                         fields use {{ groupBy: [..], aggregates: {{..}} }}",
                        other.to_json()
                    )))
                }
            }
            continue;
        }
        let expr = accumulator(cols, key, value, &mut p.select_args)?;
        columns.push(format!("{expr} AS {}", quote_identifier(key)?));
    }
    if columns.is_empty() {
        return Err(Error::invalid(
            "\"$group\" needs \"_id\": \"$field\" or at least one accumulator",
        ));
    }
    p.aliases = entries.iter().map(|(key, _)| key.clone()).collect();
    p.select = Some(columns);
    Ok(())
}

/// `{ $sum: '$amount' }` and friends as SQL; constants are bound into `args`.
fn accumulator(cols: &Columns, alias: &str, spec: &Value, args: &mut Vec<Value>) -> Result<String> {
    let entry = match spec.as_object() {
        Some([entry]) => entry,
        _ => {
            return Err(Error::invalid(format!(
                "Accumulator \"{alias}\" in $group must be an object with one operator, like \
                 {{ \"$sum\": \"$amount\" }}; use one of {ACCUMULATORS}"
            )))
        }
    };
    let (op, arg) = (entry.0.as_str(), &entry.1);
    let func = match op {
        "$sum" => "SUM",
        "$avg" => "AVG",
        "$min" => "MIN",
        "$max" => "MAX",
        "$count" => "COUNT",
        other => {
            return Err(Error::invalid(format!(
                "Unknown accumulator \"{other}\" for \"{alias}\" in $group; use one of \
                 {ACCUMULATORS}"
            )))
        }
    };
    match arg {
        Value::Text(field) => Ok(format!("{func}({})", cols.column(field_ref(field))?)),
        // `$count: {}` (MongoDB's spelling) and `$sum: 1` count rows.
        _ if func == "COUNT" => Ok("COUNT(*)".to_owned()),
        v if func == "SUM" && v.as_i64() == Some(1) => Ok("COUNT(*)".to_owned()),
        Value::Integer(_) | Value::Real(_) if func == "SUM" => {
            args.push(arg.clone());
            Ok("SUM(?)".to_owned())
        }
        other => Err(Error::invalid(format!(
            "Accumulator \"{alias}\": \"{op}\" needs a field reference like \"$amount\", got {}",
            other.to_json()
        ))),
    }
}

/// `'$amount'` -> `amount`; a name without `$` is taken as the field too.
fn field_ref(text: &str) -> &str {
    text.strip_prefix('$').unwrap_or(text)
}

#[cfg(test)]
#[path = "pipeline_tests.rs"]
mod tests;
