//! SELECT statements: `find` queries in every spelling, `count` and `distinct`.

use super::filter::compile_filter_with;
use super::{compile_filter_in, parse_count, parse_sort, push_limit_offset, push_where};
use super::{Columns, Compiled, Scope, SortKey};
use crate::error::{Error, Result};
use crate::identifier::quote_identifier;
use crate::value::Value;

/// Everything needed to build one SELECT.
#[derive(Debug, Clone)]
pub struct SelectOptions<'a> {
    /// The table.
    pub object: &'a str,
    /// Columns to return; empty means `*`.
    pub fields: &'a [String],
    /// The WHERE condition; an empty `sql` means none.
    pub filter: Compiled,
    pub order_by: &'a [SortKey],
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Builds `SELECT <fields|*> FROM "t" [WHERE ..] [ORDER BY ..] [LIMIT ?] [OFFSET ?]`.
///
/// Limit and offset are bound, never spliced; an offset without a limit becomes
/// `LIMIT -1 OFFSET ?` because SQLite accepts OFFSET only after LIMIT. Negative limits or
/// offsets and bad identifiers are refused with `INVALID_REQUEST`.
///
/// Columns are bare (`SELECT "a" .. ORDER BY "a"`): this is the public `compileSelect`
/// helper. The driver uses [`compile_find_query`], which qualifies them.
pub fn compile_select(opts: &SelectOptions) -> Result<Compiled> {
    select(&Columns::bare(), opts)
}

/// [`compile_select`] with its columns named through `cols` (`opts.filter` is already
/// compiled, so it is taken as it is).
fn select(cols: &Columns, opts: &SelectOptions) -> Result<Compiled> {
    let mut sql = String::from("SELECT ");
    if opts.fields.is_empty() {
        sql.push('*');
    } else {
        // SQLite names a result column `"t"."a"` just `a`, so the keys are unchanged.
        sql.push_str(&cols.list(opts.fields)?);
    }
    sql.push_str(" FROM ");
    sql.push_str(&quote_identifier(opts.object)?);
    let mut args = Vec::new();
    push_where(&mut sql, &mut args, &opts.filter);
    push_order_by(&mut sql, opts.order_by, |field| cols.column(field))?;
    push_limit_offset(
        &mut sql,
        &mut args,
        opts.limit,
        opts.offset,
        cols.limit_form(),
    )?;
    Ok(Compiled { sql, args })
}

/// Appends ` ORDER BY <column> ASC, ...` when there are keys; `column` turns a key's field
/// into its (checked, quoted) reference.
pub(super) fn push_order_by(
    sql: &mut String,
    keys: &[SortKey],
    column: impl Fn(&str) -> Result<String>,
) -> Result<()> {
    for (i, key) in keys.iter().enumerate() {
        sql.push_str(if i == 0 { " ORDER BY " } else { ", " });
        sql.push_str(&column(&key.field)?);
        sql.push(' ');
        sql.push_str(key.direction.as_sql());
    }
    Ok(())
}

/// A `find` query with every spelling resolved.
///
/// `filter` is compiled already: with bare columns by [`parse_find_query`], qualified by
/// [`parse_find_query_in`] (the one to pair with [`compile_find_query`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FindQuery {
    pub filter: Compiled,
    pub sort: Vec<SortKey>,
    pub fields: Vec<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    /// A `findOne`: "a matching row", not a page, so no order is imposed on it.
    pub single_row: bool,
}

/// Reads a `find` query object.
///
/// Filter from `filters` | `where` | `filter` (the first truthy one, as the TypeScript
/// driver's `||` chain did); sort from `sort` | `orderBy` (same rule); `fields` as an array
/// of strings; limit from `limit` | `top` | `pageSize` and offset from `offset` | `skip`
/// (the first non-null one), each a whole number >= 0 (integer, float without fraction or
/// digit string). A null query means "everything"; anything malformed is refused with
/// `INVALID_REQUEST`.
///
/// The filter's columns are bare; see [`parse_find_query_in`] for the driver's form.
pub fn parse_find_query(query: &Value) -> Result<FindQuery> {
    parse_find(&Columns::bare(), query)
}

/// [`parse_find_query`] with the filter's columns qualified by `object` (`"t"."a" = ?`);
/// pass the result to [`compile_find_query`] with the same `object`.
pub fn parse_find_query_in<'a>(scope: impl Into<Scope<'a>>, query: &Value) -> Result<FindQuery> {
    let scope = scope.into();
    parse_find(&Columns::scoped(scope)?, query)
}

fn parse_find(cols: &Columns, query: &Value) -> Result<FindQuery> {
    if query.is_null() {
        // Everything: of the scope's tenant, when it has one.
        return Ok(FindQuery {
            filter: compile_filter_with(cols, &Value::Null)?,
            ..FindQuery::default()
        });
    }
    if query.as_object().is_none() {
        return Err(Error::invalid(format!(
            "Invalid query: expected an object like {{ \"where\": {{..}}, \"limit\": 10 }}, got a {}",
            query.type_name()
        )));
    }
    // The kernel's query names each part once; the 4.2.2 API took older spellings too.
    let keys = match cols.kernel_filters() {
        true => KERNEL_QUERY_KEYS,
        false => QUERY_KEYS,
    };
    let filter = first_truthy(query, keys.filter);
    let sort = first_truthy(query, keys.sort);
    Ok(FindQuery {
        filter: compile_filter_with(cols, filter)?,
        sort: parse_sort(sort)?,
        fields: parse_fields(query.get("fields"))?,
        limit: first_count(query, keys.limit)?,
        offset: first_count(query, keys.offset)?,
        single_row: false,
    })
}

/// Where a query keeps each of its parts, in order of precedence.
struct QueryKeys {
    filter: &'static [&'static str],
    sort: &'static [&'static str],
    limit: &'static [&'static str],
    offset: &'static [&'static str],
}

const QUERY_KEYS: QueryKeys = QueryKeys {
    filter: &["filters", "where", "filter"],
    sort: &["sort", "orderBy"],
    limit: &["limit", "top", "pageSize"],
    offset: &["offset", "skip"],
};

/// The kernel's `QueryAST`: a `filters`, `sort`, `skip` or `top` there is not the query's.
const KERNEL_QUERY_KEYS: QueryKeys = QueryKeys {
    filter: &["where"],
    sort: &["orderBy"],
    limit: &["limit"],
    offset: &["offset"],
};

fn first_truthy<'a>(query: &'a Value, keys: &[&str]) -> &'a Value {
    keys.iter()
        .filter_map(|k| query.get(k))
        .find(|v| v.is_truthy())
        .unwrap_or(&Value::Null)
}

fn first_count(query: &Value, keys: &[&str]) -> Result<Option<i64>> {
    keys.iter()
        .find_map(|k| query.get(k).map(|v| (*k, v)))
        .map(|(k, v)| parse_count(k, v))
        .transpose()
}

fn parse_fields(fields: Option<&Value>) -> Result<Vec<String>> {
    let Some(fields) = fields else {
        return Ok(Vec::new());
    };
    let Some(items) = fields.as_array() else {
        return Err(Error::invalid(format!(
            "Invalid \"fields\": expected an array of field names, got a {}",
            fields.type_name()
        )));
    };
    items
        .iter()
        .map(|item| match item {
            Value::Text(name) => Ok(name.clone()),
            other => Err(Error::invalid(format!(
                "Invalid \"fields\" entry {}: field names must be strings",
                other.to_json()
            ))),
        })
        .collect()
}

/// `find`: [`parse_find_query_in`] then [`compile_find_query`], every column qualified:
/// `SELECT "t"."a" FROM "t" WHERE "t"."b" = ? ORDER BY "t"."c" ASC LIMIT 20`.
pub fn compile_find<'a>(scope: impl Into<Scope<'a>>, query: &Value) -> Result<Compiled> {
    let scope = scope.into();
    compile_find_query(scope, parse_find_query_in(scope, query)?)
}

/// The driver's SELECT for a parsed `find` query: fields and sort keys qualified with
/// the scope's table (`SELECT "t"."a", "t"."b"` still returns columns named `a` and `b`;
/// no fields is `SELECT *`). The filter goes in as compiled, so it should come from
/// [`parse_find_query_in`] for the same scope.
///
/// Under the kernel contract a read of a table the driver made is totally ordered: a
/// sorted read, and a paged one, end on `"id"` (in the direction of the last key), so
/// walking the pages returns exactly the rows of the whole read. A `findOne` keeps the
/// caller's order and gets none imposed: it asks for a matching row, not a position.
pub fn compile_find_query<'a>(scope: impl Into<Scope<'a>>, mut q: FindQuery) -> Result<Compiled> {
    let scope = scope.into();
    let paged = !q.single_row && (q.limit.is_some() || q.offset.is_some());
    let tie_break = scope.contract.total_order() && scope.managed;
    if tie_break && (paged || !q.sort.is_empty()) && !q.sort.iter().any(|k| k.field == "id") {
        let direction = q.sort.last().map(|k| k.direction).unwrap_or_default();
        q.sort.push(SortKey {
            field: "id".to_owned(),
            direction,
        });
    }
    select(
        &Columns::of(scope.object)?.mapped(scope.column_map),
        &SelectOptions {
            object: scope.object,
            fields: &q.fields,
            filter: q.filter,
            order_by: &q.sort,
            limit: q.limit,
            offset: q.offset,
        },
    )
}

/// `SELECT COUNT(*) AS "count" FROM "t" [WHERE "t"."a" = ?..]`, with the same filter
/// semantics (and tenant) as `find` in that scope.
pub fn compile_count<'a>(scope: impl Into<Scope<'a>>, filter: &Value) -> Result<Compiled> {
    let scope = scope.into();
    let mut sql = format!(
        "SELECT COUNT(*) AS \"count\" FROM {}",
        quote_identifier(scope.object)?
    );
    let mut args = Vec::new();
    push_where(&mut sql, &mut args, &compile_filter_in(scope, filter)?);
    Ok(Compiled { sql, args })
}

/// `SELECT DISTINCT "t"."f" FROM "t" [WHERE "t"."a" = ?..]` (the column is named `f`).
pub fn compile_distinct<'a>(
    scope: impl Into<Scope<'a>>,
    field: &str,
    filter: &Value,
) -> Result<Compiled> {
    let scope = scope.into();
    let object = scope.object;
    let mut sql = format!(
        "SELECT DISTINCT {} FROM {}",
        Columns::of(object)?
            .mapped(scope.column_map)
            .column(field)?,
        quote_identifier(object)?
    );
    let mut args = Vec::new();
    push_where(&mut sql, &mut args, &compile_filter_in(scope, filter)?);
    Ok(Compiled { sql, args })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{refusal, Direction};

    fn v(json: &str) -> Value {
        Value::parse_json(json).unwrap()
    }

    fn find(json: &str) -> (String, String) {
        let c = compile_find("users", &v(json)).unwrap();
        (c.sql, Value::Array(c.args).to_json())
    }

    fn refused(json: &str) -> String {
        let err = compile_find("users", &v(json)).unwrap_err();
        assert!(refusal(err.code), "{json}");
        err.message
    }

    fn opts<'a>(fields: &'a [String], order_by: &'a [SortKey]) -> SelectOptions<'a> {
        SelectOptions {
            object: "users",
            fields,
            filter: Compiled::default(),
            order_by,
            limit: None,
            offset: None,
        }
    }

    #[test]
    fn select_shapes() {
        let c = compile_select(&opts(&[], &[])).unwrap();
        assert_eq!(c.sql, r#"SELECT * FROM "users""#);
        assert!(c.args.is_empty());

        let fields = ["name".to_string(), "age".to_string()];
        let order = [SortKey {
            field: "name".into(),
            direction: Direction::Desc,
        }];
        let mut o = opts(&fields, &order);
        o.filter = Compiled {
            sql: r#""age" > ?"#.into(),
            args: vec![Value::Integer(18)],
        };
        o.limit = Some(10);
        o.offset = Some(0);
        let c = compile_select(&o).unwrap();
        assert_eq!(
            c.sql,
            r#"SELECT "name", "age" FROM "users" WHERE "age" > ? ORDER BY "name" DESC LIMIT ? OFFSET ?"#
        );
        assert_eq!(c.args, vec![18.into(), 10.into(), 0.into()]);
    }

    #[test]
    fn select_refuses_bad_identifiers_and_negative_counts() {
        let bad = ["".to_string()];
        let err = compile_select(&opts(&bad, &[])).unwrap_err();
        assert!(refusal(err.code));
        let mut o = opts(&[], &[]);
        o.object = "";
        assert!(refusal(compile_select(&o).unwrap_err().code));
        let mut o = opts(&[], &[]);
        o.offset = Some(-1);
        assert!(refusal(compile_select(&o).unwrap_err().code));
    }

    #[test]
    fn find_spellings() {
        let expected = (
            r#"SELECT * FROM "users" WHERE "users"."a" = ? ORDER BY "users"."b" DESC LIMIT 5 OFFSET ?"#
                .to_string(),
            "[1,10]".to_string(),
        );
        for json in [
            r#"{"filters":{"a":1},"sort":[["b","desc"]],"limit":5,"offset":10}"#,
            r#"{"where":{"a":1},"orderBy":[{"field":"b","order":"desc"}],"top":5,"skip":10}"#,
            r#"{"filter":["a","=",1],"sort":"b desc","pageSize":"5","skip":10.0}"#,
            r#"{"filters":null,"where":{"a":1},"sort":{"b":-1},"limit":5,"top":99,"offset":10}"#,
            r#"{"filters":"","filter":{"a":1},"sort":null,"orderBy":{"b":"desc"},"limit":5,"skip":10}"#,
        ] {
            assert_eq!(find(json), expected, "{json}");
        }
    }

    #[test]
    fn find_fields_and_pagination() {
        assert_eq!(find("null").0, r#"SELECT * FROM "users""#);
        assert_eq!(find("{}").0, r#"SELECT * FROM "users""#);
        assert_eq!(
            find(r#"{"fields":["id","name"]}"#).0,
            r#"SELECT "users"."id", "users"."name" FROM "users""#
        );
        assert_eq!(find(r#"{"fields":[]}"#).0, r#"SELECT * FROM "users""#);
        assert_eq!(
            find(r#"{"skip":20}"#),
            (
                r#"SELECT * FROM "users" LIMIT -1 OFFSET ?"#.into(),
                "[20]".into()
            )
        );
        assert_eq!(
            find(r#"{"limit":0}"#),
            (r#"SELECT * FROM "users" LIMIT 0"#.into(), "[]".into())
        );
    }

    #[test]
    fn parse_find_query_fields() {
        let q = parse_find_query(&v(r#"{"where":{"a":1},"fields":["x"],"top":3}"#)).unwrap();
        assert_eq!(q.filter.sql, r#""a" = ?"#);
        assert_eq!(q.fields, vec!["x".to_string()]);
        assert_eq!((q.limit, q.offset), (Some(3), None));
        assert_eq!(
            parse_find_query(&Value::Null).unwrap(),
            FindQuery::default()
        );
    }

    #[test]
    fn driver_find_query_is_qualified() {
        let json = r#"{"where":["a","=",1],"fields":["x","we\"ird"],"sort":"y desc","skip":2}"#;
        let mut q = parse_find_query_in("users", &v(json)).unwrap();
        assert_eq!(q.filter.sql, r#""users"."a" = ?"#);
        q.limit = Some(1);
        let c = compile_find_query("users", q).unwrap();
        assert_eq!(
            c.sql,
            r#"SELECT "users"."x", "users"."we""ird" FROM "users" WHERE "users"."a" = ? ORDER BY "users"."y" DESC LIMIT 1 OFFSET ?"#
        );
        assert_eq!(c.args, vec![1.into(), 2.into()]);
        assert_eq!(find(json).0, compile_find("users", &v(json)).unwrap().sql);
        assert_eq!(
            compile_find_query("users", FindQuery::default())
                .unwrap()
                .sql,
            r#"SELECT * FROM "users""#
        );
        // The helper path stays bare.
        let q = parse_find_query(&v(json)).unwrap();
        assert_eq!(q.filter.sql, r#""a" = ?"#);
        for err in [
            parse_find_query_in("", &Value::Null).unwrap_err(),
            parse_find_query_in("users", &v(r#"{"where":{"$x":1}}"#)).unwrap_err(),
            compile_find_query("", FindQuery::default()).unwrap_err(),
        ] {
            assert!(refusal(err.code));
        }
    }

    #[test]
    fn find_refusals() {
        assert!(refused(r#"{"limit":-1}"#).contains("limit"));
        assert!(refused(r#"{"top":"ten"}"#).contains("top"));
        assert!(refused(r#"{"skip":1.5}"#).contains("skip"));
        refused(r#"{"offset":"1; DROP TABLE users"}"#);
        refused(r#"{"fields":["a",1]}"#);
        refused(r#"{"fields":"a,b"}"#);
        refused(r#"{"fields":["a\"b","$x"]}"#);
        refused(r#"{"where":{"a":{"$regex":"x"}}}"#);
        refused(r#"{"sort":[["a","sideways"]]}"#);
        refused(r#"[1,2]"#);
        refused(r#""users""#);
    }

    #[test]
    fn count_and_distinct() {
        let c = compile_count("users", &v(r#"{"age":{"$gt":18}}"#)).unwrap();
        assert_eq!(
            c.sql,
            r#"SELECT COUNT(*) AS "count" FROM "users" WHERE "users"."age" > ?"#
        );
        assert_eq!(c.args, vec![Value::Integer(18)]);
        let c = compile_count("users", &Value::Null).unwrap();
        assert_eq!(c.sql, r#"SELECT COUNT(*) AS "count" FROM "users""#);

        let c = compile_distinct("users", "city", &v(r#"{"active":true}"#)).unwrap();
        assert_eq!(
            c.sql,
            r#"SELECT DISTINCT "users"."city" FROM "users" WHERE "users"."active" = ?"#
        );
        assert_eq!(c.args, vec![Value::Bool(true)]);
        let c = compile_distinct("users", "city", &Value::Null).unwrap();
        assert_eq!(c.sql, r#"SELECT DISTINCT "users"."city" FROM "users""#);

        for err in [
            compile_count("", &Value::Null).unwrap_err(),
            compile_count("users", &v(r#"{"$x":1}"#)).unwrap_err(),
            compile_distinct("users", "$city", &Value::Null).unwrap_err(),
            compile_distinct("users", "city", &v("true")).unwrap_err(),
        ] {
            assert!(refusal(err.code));
        }
    }
}
