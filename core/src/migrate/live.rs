//! The schema a database has: tables with their columns, indexes and triggers, and views,
//! read in two statements; and its fingerprint.

use crate::digest::sha256_hex;
use crate::error::Result;
use crate::store::conn::Conn;
use crate::value::Value;

/// Everything in `sqlite_master` but SQLite's own objects and the driver's fingerprints,
/// in a stable order (the fingerprint hashes it).
const MASTER_SQL: &str = "SELECT type, name, tbl_name, sql FROM sqlite_master \
     WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND tbl_name <> '_objectql_schema' \
     ORDER BY type, name";

const COLUMNS_SQL: &str = "SELECT m.name, c.name, c.type, c.\"notnull\", c.dflt_value, c.pk \
     FROM sqlite_master m JOIN pragma_table_info(m.name) c \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     AND m.name <> '_objectql_schema' ORDER BY m.name, c.cid";

#[derive(Debug, Clone, PartialEq)]
pub struct LiveSchema {
    pub tables: Vec<LiveTable>,
    /// `(name, sql)` of each view.
    pub views: Vec<(String, String)>,
    /// See [`LiveSchema::read`].
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LiveTable {
    pub name: String,
    /// As SQLite stored it (`sqlite_master.sql`).
    pub sql: String,
    pub columns: Vec<LiveColumn>,
    /// `(name, sql)`; SQLite's automatic indexes (of `UNIQUE` / `PRIMARY KEY`
    /// constraints, which the table's SQL recreates) are left out.
    pub indexes: Vec<(String, String)>,
    /// `(name, sql)`.
    pub triggers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LiveColumn {
    pub name: String,
    /// The declared type, as written (`""` for none).
    pub sql_type: String,
    pub not_null: bool,
    /// The DEFAULT expression, as written.
    pub default: Option<String>,
    pub primary_key: bool,
}

impl LiveSchema {
    /// Reads the schema. Its fingerprint is a SHA-256 of every table, index, trigger and
    /// view definition as stored: any DDL since (by anyone) changes it, while writing rows
    /// does not.
    pub async fn read(conn: &Conn) -> Result<LiveSchema> {
        let master = conn.query(MASTER_SQL, Vec::new()).await?;
        let mut hashed = String::new();
        let mut tables: Vec<LiveTable> = Vec::new();
        let mut views = Vec::new();
        let mut indexes = Vec::new();
        let mut triggers = Vec::new();
        for row in &master.rows {
            let text = |i: usize| row.get(i).and_then(Value::as_str).unwrap_or("");
            let (kind, name, table, sql) = (text(0), text(1), text(2), text(3));
            for part in [kind, name, table, sql] {
                hashed.push_str(part);
                hashed.push('\u{1f}');
            }
            hashed.push('\u{1e}');
            match kind {
                "table" => tables.push(LiveTable {
                    name: name.to_owned(),
                    sql: sql.to_owned(),
                    columns: Vec::new(),
                    indexes: Vec::new(),
                    triggers: Vec::new(),
                }),
                "view" => views.push((name.to_owned(), sql.to_owned())),
                "index" if !sql.is_empty() => {
                    indexes.push((table.to_owned(), name.to_owned(), sql.to_owned()))
                }
                "trigger" => triggers.push((table.to_owned(), name.to_owned(), sql.to_owned())),
                _ => {}
            }
        }
        let find = |tables: &mut Vec<LiveTable>, name: &str| {
            tables
                .iter()
                .position(|t| t.name.eq_ignore_ascii_case(name))
        };
        for (table, name, sql) in indexes {
            if let Some(i) = find(&mut tables, &table) {
                tables[i].indexes.push((name, sql));
            }
        }
        for (table, name, sql) in triggers {
            if let Some(i) = find(&mut tables, &table) {
                tables[i].triggers.push((name, sql));
            }
        }
        let columns = conn.query(COLUMNS_SQL, Vec::new()).await?;
        let mut at = 0;
        for row in columns.rows {
            let [table, name, sql_type, not_null, default, pk] = <[Value; 6]>::try_from(row)
                .unwrap_or_else(|_| std::array::from_fn(|_| Value::Null));
            let Some(table) = table.as_str() else {
                continue;
            };
            // Both lists are in table-name order: move forward to the column's table.
            while at < tables.len() && tables[at].name != table {
                at += 1;
            }
            if at == tables.len() {
                at = match find(&mut tables, table) {
                    Some(i) => i,
                    None => continue,
                };
            }
            tables[at].columns.push(LiveColumn {
                name: name.as_str().unwrap_or("").to_owned(),
                sql_type: sql_type.as_str().unwrap_or("").to_owned(),
                not_null: not_null.as_i64() == Some(1),
                default: default.as_str().map(str::to_owned),
                primary_key: pk.as_i64().is_some_and(|pk| pk > 0),
            });
        }
        Ok(LiveSchema {
            tables,
            views,
            fingerprint: sha256_hex(hashed.as_bytes()),
        })
    }

    pub fn table(&self, name: &str) -> Option<&LiveTable> {
        self.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }
}

impl LiveTable {
    pub fn column(&self, name: &str) -> Option<&LiveColumn> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// The fingerprint of the schema `conn` sees now (see [`LiveSchema::read`]).
pub async fn fingerprint_of(conn: &Conn) -> Result<String> {
    Ok(LiveSchema::read(conn).await?.fingerprint)
}
