//! What the database holds: tables, columns, indexes, in the shape each contract reads.

use crate::config::Contract;
use crate::dates::now_iso;
use crate::error::{Error, Result};
use crate::schema::index::{self, IndexSpec, Key};
use crate::store::conn::Conn;
use crate::value::Value;

/// Tables of the database, SQLite's own and the driver's fingerprints excluded.
const LIST_TABLES_SQL: &str = "SELECT name FROM sqlite_master WHERE type = 'table' \
     AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_objectql_schema' ORDER BY name";
const TABLE_INFO_SQL: &str =
    "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?)";
const FOREIGN_KEYS_SQL: &str = "SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?)";
const TABLE_EXISTS_SQL: &str =
    "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?";

/// Whether a table (or view) of that name exists.
pub async fn table_exists(conn: &Conn, table: &str) -> Result<bool> {
    let rows = conn
        .query(TABLE_EXISTS_SQL, vec![Value::from(table)])
        .await?;
    Ok(!rows.rows.is_empty())
}

/// The column names of a table, in order.
pub async fn table_columns(conn: &Conn, table: &str) -> Result<Vec<String>> {
    let info = conn.query(TABLE_INFO_SQL, vec![Value::from(table)]).await?;
    Ok(info
        .rows
        .into_iter()
        .filter_map(|r| {
            r.into_iter()
                .next()
                .and_then(|v| v.as_str().map(str::to_owned))
        })
        .collect())
}

/// Each column of a table, and whether it is `NOT NULL`.
pub async fn column_nullability(conn: &Conn, table: &str) -> Result<Vec<(String, bool)>> {
    let info = conn.query(TABLE_INFO_SQL, vec![Value::from(table)]).await?;
    Ok(info
        .rows
        .into_iter()
        .filter_map(|r| {
            let name = r.first()?.as_str()?.to_owned();
            Some((name, r.get(2)?.as_i64() == Some(1)))
        })
        .collect())
}

/// The indexes of a table with their keys (`None`: one the driver does not read, such as
/// a partial index); SQLite's automatic indexes are left out.
pub async fn table_indexes(conn: &Conn, table: &str) -> Result<Vec<(String, Option<IndexSpec>)>> {
    let rows = conn
        .query(index::LIST_SQL, vec![Value::from(table)])
        .await?;
    Ok(rows
        .rows
        .into_iter()
        .filter_map(|row| match <[Value; 2]>::try_from(row) {
            Ok([Value::Text(name), Value::Text(sql)]) => {
                let spec = index::parse(&name, &sql);
                Some((name, spec))
            }
            _ => None,
        })
        .collect())
}

/// Every table: `{ tables: { [name]: { name, columns, foreignKeys, primaryKeys } } }`.
///
/// Columns are `{ name, type, nullable, defaultValue?, isPrimary }` for 4.2.2 callers;
/// the kernel reads the spec's shape, `{ name, type, nullable, defaultValue, primaryKey,
/// isUnique }` (type in lower case, `isUnique` for a column that alone is a unique key),
/// with `dialect: 'sqlite'` and `introspectedAt` beside `tables`.
pub async fn introspect(conn: &Conn, contract: Contract) -> Result<Value> {
    let kernel = contract == Contract::ObjectStack;
    let tables = conn.query(LIST_TABLES_SQL, Vec::new()).await?;
    let mut out = Vec::with_capacity(tables.rows.len());
    for row in tables.rows {
        let Some(Value::Text(name)) = row.into_iter().next() else {
            continue;
        };
        let unique_columns: Vec<String> = if kernel {
            table_indexes(conn, &name)
                .await?
                .into_iter()
                .filter_map(|(_, spec)| match spec?.clone() {
                    IndexSpec {
                        unique: true, keys, ..
                    } => match keys.as_slice() {
                        [Key::Column(c)] => Some(c.clone()),
                        _ => None,
                    },
                    _ => None,
                })
                .collect()
        } else {
            Vec::new()
        };
        let arg = vec![Value::Text(name.clone())];
        let info = conn.query(TABLE_INFO_SQL, arg.clone()).await?;
        // A composite key is listed in its key order (SQLite's `pk` ordinal), not by column.
        let mut primary_keys: Vec<(i64, Value)> = info
            .rows
            .iter()
            .filter_map(|col| {
                let ordinal = col.get(4)?.as_i64().filter(|pk| *pk > 0)?;
                Some((ordinal, col.first()?.clone()))
            })
            .collect();
        primary_keys.sort_by_key(|(ordinal, _)| *ordinal);
        let single_key = primary_keys.len() == 1;
        let mut columns = Vec::new();
        for col in info.rows {
            let [col_name, col_type, not_null, default, pk] = <[Value; 5]>::try_from(col)
                .map_err(|_| Error::query("unexpected pragma_table_info shape"))?;
            let is_primary = pk.as_i64().unwrap_or(0) > 0;
            let nullable = Value::Bool(not_null.as_i64() != Some(1));
            let entry = if kernel {
                let unique = col_name
                    .as_str()
                    .is_some_and(|n| unique_columns.iter().any(|u| u == n));
                let lower = col_type.as_str().map(str::to_ascii_lowercase);
                vec![
                    ("name".to_owned(), col_name),
                    (
                        "type".to_owned(),
                        Value::Text(lower.filter(|t| !t.is_empty()).unwrap_or("string".into())),
                    ),
                    ("nullable".to_owned(), nullable),
                    ("defaultValue".to_owned(), default),
                    ("primaryKey".to_owned(), Value::Bool(is_primary)),
                    // A member of a composite key is not unique on its own.
                    (
                        "isUnique".to_owned(),
                        Value::Bool(unique || (is_primary && single_key)),
                    ),
                ]
            } else {
                let mut entry = vec![
                    ("name".to_owned(), col_name),
                    ("type".to_owned(), col_type),
                    ("nullable".to_owned(), nullable),
                ];
                if !default.is_null() {
                    entry.push(("defaultValue".to_owned(), default));
                }
                entry.push(("isPrimary".to_owned(), Value::Bool(is_primary)));
                entry
            };
            columns.push(Value::Object(entry));
        }
        let fks = conn.query(FOREIGN_KEYS_SQL, arg).await?;
        let foreign_keys = fks
            .rows
            .into_iter()
            .map(|fk| {
                let mut it = fk.into_iter();
                Value::Object(vec![
                    ("columnName".to_owned(), it.next().unwrap_or_default()),
                    ("referencedTable".to_owned(), it.next().unwrap_or_default()),
                    ("referencedColumn".to_owned(), it.next().unwrap_or_default()),
                ])
            })
            .collect();
        out.push((
            name.clone(),
            Value::Object(vec![
                ("name".to_owned(), Value::Text(name)),
                ("columns".to_owned(), Value::Array(columns)),
                ("foreignKeys".to_owned(), Value::Array(foreign_keys)),
                (
                    "primaryKeys".to_owned(),
                    Value::Array(primary_keys.into_iter().map(|(_, c)| c).collect()),
                ),
            ]),
        ));
    }
    let mut result = vec![("tables".to_owned(), Value::Object(out))];
    if kernel {
        result.push(("dialect".to_owned(), Value::from("sqlite")));
        result.push(("introspectedAt".to_owned(), Value::Text(now_iso())));
    }
    Ok(Value::Object(result))
}
