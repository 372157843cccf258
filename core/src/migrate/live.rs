//! The schema a database has: tables with their columns, indexes and triggers, and views,
//! read in one statement (columns from each table's definition); and its fingerprint.

use crate::digest::sha256_hex;
use crate::error::Result;
use crate::store::conn::Conn;
use crate::value::Value;

use super::table_sql::TableSql;

/// Everything in `sqlite_master` but SQLite's own objects and the driver's fingerprints,
/// in a stable order (the fingerprint hashes it).
const MASTER_SQL: &str = "SELECT type, name, tbl_name, sql FROM sqlite_master \
     WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND tbl_name <> '_objectql_schema' \
     ORDER BY type, name";

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

/// A column of a live table.
pub use super::table_sql::DeclaredColumn as LiveColumn;

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
        for table in &mut tables {
            table.columns = TableSql::parse(&table.sql)?.columns();
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
