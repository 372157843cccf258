//! Schema diff: desired object definitions vs. the live database (`introspectSchema()`
//! shape) -> ordered actions, and actions -> `up` / `down` DDL.
//!
//! The action kinds, their JS shapes, the summary lines and the generated statements are
//! those of the TypeScript driver 4.2.2. On top of that:
//! - string (and JSON) defaults are escaped with [`crate::schema::default_literal`], the same
//!   escaping `init` uses; the TypeScript driver spliced them raw;
//! - `sqlite_*` tables and the caller's system tables ([`DiffOptions::system_tables`]) are
//!   never dropped;
//! - names are compared as SQLite compares them (ASCII case-insensitively), so `Users` vs.
//!   `users` is not a create plus a drop of the same table;
//! - every input is validated (`INVALID_REQUEST`), and a diff handed back from JS cannot
//!   smuggle SQL through `sqlType`.
//!
//! Layout: `mod.rs` holds the data types and their JS conversions, `diff.rs` compares,
//! `migrate.rs` writes SQL. A new action kind (`drop_column`, `change_column_type`) is a new
//! [`SchemaDiffAction`] variant plus one arm in each of those files.

mod diff;
mod migrate;

pub use diff::{diff_schema, parse_desired};
pub use migrate::generate_migration;

use crate::error::{Error, Result};
use crate::identifier::quote_identifier;
use crate::value::Value;

/// Prefix SQLite reserves for its own tables; always protected.
pub const SQLITE_PREFIX: &str = "sqlite_";

/// Summary when there is nothing to do.
pub const UP_TO_DATE: &str = "Schema is up to date — no changes needed.";

/// One column of a `create_table` or `add_column` action.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    /// SQLite type name, e.g. `TEXT` (checked against SQLite's type-name grammar before it
    /// reaches SQL).
    pub sql_type: String,
    pub not_null: bool,
    pub default_value: Option<Value>,
    pub is_primary: bool,
}

impl ColumnDef {
    /// The `"id" TEXT PRIMARY KEY` column every table starts with.
    pub fn primary_id() -> ColumnDef {
        ColumnDef {
            name: "id".to_owned(),
            sql_type: "TEXT".to_owned(),
            not_null: false,
            default_value: None,
            is_primary: true,
        }
    }

    /// `{ name, sqlType, isPrimary: true }` for the key, `{ name, sqlType, notNull,
    /// defaultValue? }` for the others (the 4.2.2 shapes).
    pub fn to_value(&self) -> Value {
        let mut entries = vec![
            ("name".to_owned(), Value::Text(self.name.clone())),
            ("sqlType".to_owned(), Value::Text(self.sql_type.clone())),
        ];
        if self.is_primary {
            entries.push(("isPrimary".to_owned(), Value::Bool(true)));
        } else {
            entries.push(("notNull".to_owned(), Value::Bool(self.not_null)));
        }
        if let Some(default) = &self.default_value {
            entries.push(("defaultValue".to_owned(), default.clone()));
        }
        Value::Object(entries)
    }

    pub fn from_value(value: &Value, context: &str) -> Result<ColumnDef> {
        if value.as_object().is_none() {
            return Err(Error::invalid(format!(
                "{context} must be a column definition object, got {}",
                value.type_name()
            )));
        }
        Ok(ColumnDef {
            name: required_text(value, "name", context)?,
            sql_type: required_text(value, "sqlType", context)?,
            not_null: value.get("notNull").is_some_and(Value::is_truthy),
            default_value: value.get("defaultValue").cloned(),
            is_primary: value.get("isPrimary").is_some_and(Value::is_truthy),
        })
    }
}

/// One change. New kinds are added here (and matched in `diff.rs` / `migrate.rs`).
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaDiffAction {
    CreateTable {
        table: String,
        columns: Vec<ColumnDef>,
    },
    AddColumn {
        table: String,
        column: ColumnDef,
    },
    DropTable {
        table: String,
    },
    /// A column whose type affinity changes (`TEXT` vs `VARCHAR` is no change); the
    /// counts are the live table's, when the plan probed them.
    ChangeColumnType {
        table: String,
        column: String,
        from: String,
        to: String,
        rows: Option<i64>,
        unconvertible: Option<i64>,
    },
    /// A column no field declares; `values`: how many non-NULL values it holds.
    DropColumn {
        table: String,
        column: String,
        values: Option<i64>,
    },
    /// `NOT NULL` added (`nulls`: rows that are NULL now) or removed.
    SetNotNull {
        table: String,
        column: String,
        not_null: bool,
        nulls: Option<i64>,
    },
    /// The DEFAULT expression, as SQL (`None`: no default).
    ChangeDefault {
        table: String,
        column: String,
        from: Option<String>,
        to: Option<String>,
    },
    CreateIndex {
        table: String,
        name: String,
        unique: bool,
    },
    DropIndex {
        table: String,
        name: String,
        unique: bool,
    },
}

impl SchemaDiffAction {
    /// The JS `type` tag.
    pub fn kind(&self) -> &'static str {
        match self {
            SchemaDiffAction::CreateTable { .. } => "create_table",
            SchemaDiffAction::AddColumn { .. } => "add_column",
            SchemaDiffAction::DropTable { .. } => "drop_table",
            SchemaDiffAction::ChangeColumnType { .. } => "change_column_type",
            SchemaDiffAction::DropColumn { .. } => "drop_column",
            SchemaDiffAction::SetNotNull { .. } => "set_not_null",
            SchemaDiffAction::ChangeDefault { .. } => "change_default",
            SchemaDiffAction::CreateIndex { .. } => "create_index",
            SchemaDiffAction::DropIndex { .. } => "drop_index",
        }
    }

    pub fn table(&self) -> &str {
        match self {
            SchemaDiffAction::CreateTable { table, .. }
            | SchemaDiffAction::AddColumn { table, .. }
            | SchemaDiffAction::DropTable { table }
            | SchemaDiffAction::ChangeColumnType { table, .. }
            | SchemaDiffAction::DropColumn { table, .. }
            | SchemaDiffAction::SetNotNull { table, .. }
            | SchemaDiffAction::ChangeDefault { table, .. }
            | SchemaDiffAction::CreateIndex { table, .. }
            | SchemaDiffAction::DropIndex { table, .. } => table,
        }
    }

    /// Whether applying it loses data or a constraint.
    pub fn is_destructive(&self) -> bool {
        match self {
            SchemaDiffAction::DropTable { .. } | SchemaDiffAction::DropColumn { .. } => true,
            SchemaDiffAction::DropIndex { unique, .. } => *unique,
            _ => false,
        }
    }

    /// The human line of this action (the 4.2.2 wording, names quoted as in SQL).
    pub fn summary_line(&self) -> Result<String> {
        let table = quote_identifier(self.table())?;
        Ok(match self {
            SchemaDiffAction::CreateTable { columns, .. } => {
                format!("CREATE TABLE {table} ({} columns)", columns.len())
            }
            SchemaDiffAction::AddColumn { column, .. } => format!(
                "ADD COLUMN {table}.{} {}",
                quote_identifier(&column.name)?,
                column.sql_type
            ),
            SchemaDiffAction::DropTable { .. } => format!("DROP TABLE {table}"),
            SchemaDiffAction::ChangeColumnType {
                column,
                from,
                to,
                rows,
                unconvertible,
                ..
            } => {
                let mut line = format!("{}.{column}: {from} → {to}", self.table());
                if let Some(rows) = rows {
                    line.push_str(&format!(", {}", counted(*rows, "row", "rows")));
                }
                match unconvertible {
                    Some(0) => line.push_str(", every value converts"),
                    Some(1) => line.push_str(", 1 value will not convert"),
                    Some(n) => {
                        line.push_str(&format!(", {} values will not convert", thousands(*n)))
                    }
                    None => {}
                }
                line
            }
            SchemaDiffAction::DropColumn { column, values, .. } => {
                let mut line = format!("{}.{column}: DROP COLUMN", self.table());
                if let Some(values) = values {
                    line.push_str(&format!(", {} lost", counted(*values, "value", "values")));
                }
                line
            }
            SchemaDiffAction::SetNotNull {
                column,
                not_null,
                nulls,
                ..
            } => match (not_null, nulls) {
                (false, _) => format!("{}.{column}: NULL allowed", self.table()),
                (true, Some(n)) if *n > 0 => format!(
                    "{}.{column}: NOT NULL, {} NULL",
                    self.table(),
                    counted(*n, "row is", "rows are")
                ),
                (true, _) => format!("{}.{column}: NOT NULL", self.table()),
            },
            SchemaDiffAction::ChangeDefault {
                column, from, to, ..
            } => format!(
                "{}.{column}: DEFAULT {} → {}",
                self.table(),
                from.as_deref().unwrap_or("none"),
                to.as_deref().unwrap_or("none")
            ),
            SchemaDiffAction::CreateIndex { name, unique, .. } => format!(
                "CREATE {}INDEX {} ON {table}",
                if *unique { "UNIQUE " } else { "" },
                quote_identifier(name)?
            ),
            SchemaDiffAction::DropIndex { name, unique, .. } => format!(
                "DROP INDEX {} ON {table}{}",
                quote_identifier(name)?,
                if *unique {
                    " (a unique constraint)"
                } else {
                    ""
                }
            ),
        })
    }

    pub fn to_value(&self) -> Value {
        let mut entries = vec![
            ("type".to_owned(), Value::from(self.kind())),
            ("table".to_owned(), Value::Text(self.table().to_owned())),
        ];
        match self {
            SchemaDiffAction::CreateTable { columns, .. } => entries.push((
                "columns".to_owned(),
                Value::Array(columns.iter().map(ColumnDef::to_value).collect()),
            )),
            SchemaDiffAction::AddColumn { column, .. } => {
                entries.push(("column".to_owned(), column.to_value()))
            }
            SchemaDiffAction::DropTable { .. } => {}
            SchemaDiffAction::ChangeColumnType {
                column,
                from,
                to,
                rows,
                unconvertible,
                ..
            } => {
                entries.push(("column".to_owned(), Value::Text(column.clone())));
                entries.push(("from".to_owned(), Value::Text(from.clone())));
                entries.push(("to".to_owned(), Value::Text(to.clone())));
                push_count(&mut entries, "rows", *rows);
                push_count(&mut entries, "unconvertible", *unconvertible);
            }
            SchemaDiffAction::DropColumn { column, values, .. } => {
                entries.push(("column".to_owned(), Value::Text(column.clone())));
                push_count(&mut entries, "values", *values);
            }
            SchemaDiffAction::SetNotNull {
                column,
                not_null,
                nulls,
                ..
            } => {
                entries.push(("column".to_owned(), Value::Text(column.clone())));
                entries.push(("notNull".to_owned(), Value::Bool(*not_null)));
                push_count(&mut entries, "nulls", *nulls);
            }
            SchemaDiffAction::ChangeDefault {
                column, from, to, ..
            } => {
                let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
                entries.push(("column".to_owned(), Value::Text(column.clone())));
                entries.push(("from".to_owned(), text(from)));
                entries.push(("to".to_owned(), text(to)));
            }
            SchemaDiffAction::CreateIndex { name, unique, .. }
            | SchemaDiffAction::DropIndex { name, unique, .. } => {
                entries.push(("name".to_owned(), Value::Text(name.clone())));
                entries.push(("unique".to_owned(), Value::Bool(*unique)));
            }
        }
        Value::Object(entries)
    }

    /// `actions` as the JS array of action objects.
    pub fn list_to_value(actions: &[SchemaDiffAction]) -> Value {
        Value::Array(actions.iter().map(SchemaDiffAction::to_value).collect())
    }

    /// The `actions` array of `value` (a diff or a plan); `None` when it has none.
    pub fn list_from(value: &Value) -> Result<Option<Vec<SchemaDiffAction>>> {
        match value.get("actions") {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, a)| SchemaDiffAction::from_value(a, i))
                .collect::<Result<Vec<_>>>()
                .map(Some),
            _ => Ok(None),
        }
    }

    pub fn from_value(value: &Value, index: usize) -> Result<SchemaDiffAction> {
        let context = format!("actions[{index}]");
        if value.as_object().is_none() {
            return Err(Error::invalid(format!(
                "{context} must be an action object, got {}",
                value.type_name()
            )));
        }
        let kind = required_text(value, "type", &context)?;
        let table = required_text(value, "table", &context)?;
        match kind.as_str() {
            "create_table" => {
                let columns = match value.get("columns") {
                    Some(Value::Array(items)) => items
                        .iter()
                        .enumerate()
                        .map(|(i, c)| ColumnDef::from_value(c, &format!("{context}.columns[{i}]")))
                        .collect::<Result<Vec<_>>>()?,
                    _ => {
                        return Err(Error::invalid(format!(
                            "{context} (create_table) needs a \"columns\" array"
                        )))
                    }
                };
                Ok(SchemaDiffAction::CreateTable { table, columns })
            }
            "add_column" => {
                let column = value.get("column").ok_or_else(|| {
                    Error::invalid(format!("{context} (add_column) needs a \"column\" object"))
                })?;
                Ok(SchemaDiffAction::AddColumn {
                    table,
                    column: ColumnDef::from_value(column, &format!("{context}.column"))?,
                })
            }
            "drop_table" => Ok(SchemaDiffAction::DropTable { table }),
            "change_column_type" => Ok(SchemaDiffAction::ChangeColumnType {
                table,
                column: required_text(value, "column", &context)?,
                from: required_text(value, "from", &context)?,
                to: required_text(value, "to", &context)?,
                rows: value.get("rows").and_then(Value::as_i64),
                unconvertible: value.get("unconvertible").and_then(Value::as_i64),
            }),
            "drop_column" => Ok(SchemaDiffAction::DropColumn {
                table,
                column: required_text(value, "column", &context)?,
                values: value.get("values").and_then(Value::as_i64),
            }),
            "set_not_null" => Ok(SchemaDiffAction::SetNotNull {
                table,
                column: required_text(value, "column", &context)?,
                not_null: value.get("notNull").is_some_and(Value::is_truthy),
                nulls: value.get("nulls").and_then(Value::as_i64),
            }),
            "change_default" => Ok(SchemaDiffAction::ChangeDefault {
                table,
                column: required_text(value, "column", &context)?,
                from: value.get("from").and_then(Value::as_str).map(str::to_owned),
                to: value.get("to").and_then(Value::as_str).map(str::to_owned),
            }),
            "create_index" => Ok(SchemaDiffAction::CreateIndex {
                table,
                name: required_text(value, "name", &context)?,
                unique: value.get("unique").is_some_and(Value::is_truthy),
            }),
            "drop_index" => Ok(SchemaDiffAction::DropIndex {
                table,
                name: required_text(value, "name", &context)?,
                unique: value.get("unique").is_some_and(Value::is_truthy),
            }),
            other => Err(Error::invalid(format!(
                "{context} has an unknown type \"{other}\" (expected create_table, add_column, drop_table, \
                 change_column_type, drop_column, set_not_null, change_default, create_index or drop_index)"
            ))),
        }
    }
}

/// `{ actions, summary }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SchemaDiff {
    pub actions: Vec<SchemaDiffAction>,
    /// One line per action, or [`UP_TO_DATE`].
    pub summary: Vec<String>,
}

impl SchemaDiff {
    /// A diff of `actions` with its summary.
    pub fn new(actions: Vec<SchemaDiffAction>) -> Result<SchemaDiff> {
        let summary = summarize(&actions)?;
        Ok(SchemaDiff { actions, summary })
    }

    pub fn to_value(&self) -> Value {
        Value::Object(vec![
            (
                "actions".to_owned(),
                SchemaDiffAction::list_to_value(&self.actions),
            ),
            ("summary".to_owned(), text_array(&self.summary)),
        ])
    }

    /// Reads a diff back from JS. A missing `summary` is recomputed from the actions.
    pub fn from_value(value: &Value) -> Result<SchemaDiff> {
        if value.as_object().is_none() {
            return Err(Error::invalid(format!(
                "generateMigration expects the {{ actions, summary }} object of diffSchema, got {}",
                value.type_name()
            )));
        }
        let actions = SchemaDiffAction::list_from(value)?
            .ok_or_else(|| Error::invalid("The schema diff needs an \"actions\" array"))?;
        let summary = match value.get("summary") {
            None => summarize(&actions)?,
            Some(Value::Array(lines)) => lines
                .iter()
                .map(|l| {
                    l.as_str().map(str::to_owned).ok_or_else(|| {
                        Error::invalid("\"summary\" of the schema diff must be an array of strings")
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            Some(other) => {
                return Err(Error::invalid(format!(
                    "\"summary\" of the schema diff must be an array of strings, got {}",
                    other.type_name()
                )))
            }
        };
        Ok(SchemaDiff { actions, summary })
    }
}

/// `{ up, down, summary }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Migration {
    pub up: Vec<String>,
    pub down: Vec<String>,
    pub summary: Vec<String>,
}

impl Migration {
    pub fn to_value(&self) -> Value {
        Value::Object(vec![
            ("up".to_owned(), text_array(&self.up)),
            ("down".to_owned(), text_array(&self.down)),
            ("summary".to_owned(), text_array(&self.summary)),
        ])
    }
}

/// Options of `diffSchema`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DiffOptions {
    /// `systemTables`: name prefixes of tables the diff never drops (a trailing `*` is
    /// allowed: `sys_` and `sys_*` mean the same). Matched ASCII case-insensitively, like
    /// SQLite names. `sqlite_` is always protected and need not be listed.
    pub system_tables: Vec<String>,
    /// `allowDestructive`: also report columns no field declares (`drop_column`).
    pub allow_destructive: bool,
}

impl DiffOptions {
    /// Reads `{ systemTables?: string[] }`; `null`/`undefined` are the defaults.
    pub fn from_value(value: &Value) -> Result<DiffOptions> {
        if value.is_null() {
            return Ok(DiffOptions::default());
        }
        if value.as_object().is_none() {
            return Err(Error::invalid(format!(
                "diffSchema options must be an object, got {}",
                value.type_name()
            )));
        }
        let mut system_tables = Vec::new();
        match value.get("systemTables") {
            None => {}
            Some(Value::Array(items)) => {
                for item in items {
                    let prefix = item.as_str().map(|s| s.strip_suffix('*').unwrap_or(s));
                    match prefix {
                        Some(p) if !p.is_empty() => system_tables.push(p.to_owned()),
                        _ => {
                            return Err(Error::invalid(
                                "\"systemTables\" must be an array of non-empty table name prefixes such as \"sys_\"",
                            ))
                        }
                    }
                }
            }
            Some(other) => {
                return Err(Error::invalid(format!(
                    "\"systemTables\" must be an array of table name prefixes, got {}",
                    other.type_name()
                )))
            }
        }
        let allow_destructive = match value.get("allowDestructive") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(Error::invalid(format!(
                    "\"allowDestructive\" must be true or false, got {}",
                    other.to_json()
                )))
            }
        };
        Ok(DiffOptions {
            system_tables,
            allow_destructive,
        })
    }

    /// Whether `table` belongs to SQLite, to the driver (its schema fingerprints) or to the
    /// caller's system tables.
    pub fn is_protected(&self, table: &str) -> bool {
        has_prefix_ignore_case(table, SQLITE_PREFIX)
            || same_name(table, crate::schema::fingerprint::TABLE)
            || self
                .system_tables
                .iter()
                .any(|p| has_prefix_ignore_case(table, p.strip_suffix('*').unwrap_or(p)))
    }
}

/// SQLite compares names ASCII case-insensitively.
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

pub(crate) fn has_prefix_ignore_case(name: &str, prefix: &str) -> bool {
    name.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn summarize(actions: &[SchemaDiffAction]) -> Result<Vec<String>> {
    if actions.is_empty() {
        return Ok(vec![UP_TO_DATE.to_owned()]);
    }
    actions.iter().map(SchemaDiffAction::summary_line).collect()
}

fn push_count(entries: &mut Vec<(String, Value)>, key: &str, count: Option<i64>) {
    if let Some(count) = count {
        entries.push((key.to_owned(), Value::Integer(count)));
    }
}

/// `1 row`, `10,000 rows`.
pub(crate) fn counted(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// `10000` as `10,000`: counts in summary lines are read by people.
pub(crate) fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

pub(crate) fn text_array(lines: &[String]) -> Value {
    Value::Array(lines.iter().cloned().map(Value::Text).collect())
}

fn required_text(value: &Value, key: &str, context: &str) -> Result<String> {
    match value.get(key) {
        Some(Value::Text(s)) => Ok(s.clone()),
        Some(other) => Err(Error::invalid(format!(
            "{context}.{key} must be a string, got {}",
            other.type_name()
        ))),
        None => Err(Error::invalid(format!(
            "{context} needs a \"{key}\" string"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn parse(json: &str) -> Value {
        Value::parse_json(json).unwrap()
    }

    #[test]
    fn actions_round_trip_through_values() {
        let diff = SchemaDiff::new(vec![
            SchemaDiffAction::CreateTable {
                table: "t".into(),
                columns: vec![
                    ColumnDef::primary_id(),
                    ColumnDef {
                        name: "a".into(),
                        sql_type: "TEXT".into(),
                        not_null: true,
                        default_value: Some(Value::from("x")),
                        is_primary: false,
                    },
                ],
            },
            SchemaDiffAction::DropTable {
                table: "old".into(),
            },
        ])
        .unwrap();
        let value = diff.to_value();
        assert_eq!(
            value.to_json(),
            r#"{"actions":[{"type":"create_table","table":"t","columns":[{"name":"id","sqlType":"TEXT","isPrimary":true},{"name":"a","sqlType":"TEXT","notNull":true,"defaultValue":"x"}]},{"type":"drop_table","table":"old"}],"summary":["CREATE TABLE \"t\" (2 columns)","DROP TABLE \"old\""]}"#
        );
        assert_eq!(SchemaDiff::from_value(&value).unwrap(), diff);
    }

    #[test]
    fn missing_summary_is_recomputed() {
        let diff = SchemaDiff::from_value(&parse(r#"{"actions":[]}"#)).unwrap();
        assert_eq!(diff.summary, vec![UP_TO_DATE.to_owned()]);
    }

    #[test]
    fn refuses_malformed_diffs() {
        for bad in [
            r#"null"#,
            r#"[]"#,
            r#"{"summary":[]}"#,
            r#"{"actions":{}}"#,
            r#"{"actions":[1]}"#,
            r#"{"actions":[{"type":"rename_table","table":"t"}]}"#,
            r#"{"actions":[{"type":"drop_table"}]}"#,
            r#"{"actions":[{"type":"drop_table","table":7}]}"#,
            r#"{"actions":[{"type":"create_table","table":"t"}]}"#,
            r#"{"actions":[{"type":"create_table","table":"t","columns":[{"name":"a"}]}]}"#,
            r#"{"actions":[{"type":"add_column","table":"t"}]}"#,
            r#"{"actions":[],"summary":"x"}"#,
            r#"{"actions":[],"summary":[1]}"#,
        ] {
            let err = SchemaDiff::from_value(&parse(bad)).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{bad}");
        }
    }

    #[test]
    fn reads_options() {
        assert_eq!(
            DiffOptions::from_value(&Value::Null).unwrap(),
            DiffOptions::default()
        );
        let opts =
            DiffOptions::from_value(&parse(r#"{"systemTables":["sys_","Audit*"]}"#)).unwrap();
        assert!(opts.is_protected("sys_user") && opts.is_protected("SYS_role"));
        assert!(opts.is_protected("audit_log") && opts.is_protected("sqlite_stat1"));
        assert!(opts.is_protected("SQLITE_x"));
        assert!(!opts.is_protected("users") && !opts.is_protected("sy"));
        for bad in [
            r#"3"#,
            r#"{"systemTables":"sys_"}"#,
            r#"{"systemTables":[""]}"#,
            r#"{"systemTables":["*"]}"#,
            r#"{"systemTables":[1]}"#,
        ] {
            let err = DiffOptions::from_value(&parse(bad)).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{bad}");
        }
    }

    #[test]
    fn prefix_match_is_safe_on_multibyte_names() {
        assert!(!has_prefix_ignore_case("é", "e_"));
        assert!(!has_prefix_ignore_case("aé", "ab"));
    }
}
