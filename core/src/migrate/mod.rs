//! Safe migrations: a plan from object definitions to the live schema that loses
//! nothing unasked, applied in one transaction, refused when the schema changed since it
//! was made.
//!
//! - [`live`] reads the schema (and fingerprints it);
//! - [`plan`] compares definitions with it and writes the statements (new tables and
//!   columns with the same SQL schema sync writes, indexes, and a [`rebuild`] for what
//!   `ALTER TABLE` cannot do, whose `CREATE TABLE` is the stored one with only the changed
//!   columns rewritten: [`table_sql`]);
//! - [`execute`] runs statements in one transaction with foreign keys off outside it.
//!
//! Types are compared as SQLite stores them, by affinity: `TEXT` and `VARCHAR(255)` are
//! the same column to SQLite, `TEXT` and `INTEGER` are not. A value a type change cannot
//! convert exactly is counted before anything runs, and applying refuses unless the
//! caller chose what happens to it ([`Unconvertible`]).

pub mod execute;
pub mod live;
pub mod plan;
pub mod rebuild;
pub mod table_sql;

use crate::error::{Error, Result};
use crate::value::Value;

/// Table name prefixes a migration never drops or rebuilds unless told otherwise: the
/// caller's system tables and the kernel's own.
pub const DEFAULT_PROTECTED: [&str; 2] = ["sys_", "_objectstack_"];

/// Prefixes always protected: SQLite's tables and the driver's.
const ALWAYS_PROTECTED: [&str; 2] = ["sqlite_", "_objectql_"];

/// One change to one column, for [`TableChange`].
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnChange {
    /// A new declared type (values converted where exact, else the migration refuses).
    Type(String),
    NotNull(bool),
    /// A new DEFAULT (`None`: none), as a value.
    Default(Option<Value>),
    Drop,
}

/// Column changes to one table, applied by one rebuild (`Driver::rebuild_tables`): for a
/// caller that knows what it wants changed (the kernel's drift entries) rather than a
/// definition to plan from.
#[derive(Debug, Clone, PartialEq)]
pub struct TableChange {
    pub table: String,
    pub columns: Vec<(String, ColumnChange)>,
}

/// What happens to a value a type change cannot convert exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unconvertible {
    /// Refuse the migration (the default): nothing runs.
    #[default]
    Abort,
    /// Store NULL instead.
    Null,
    /// Keep the value as it is (SQLite stores it with its own type, e.g. as text).
    Keep,
}

impl Unconvertible {
    pub fn as_str(self) -> &'static str {
        match self {
            Unconvertible::Abort => "abort",
            Unconvertible::Null => "null",
            Unconvertible::Keep => "keep",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MigrateOptions {
    pub allow_destructive: bool,
    /// Table name prefixes never dropped or rebuilt (matched ASCII case-insensitively).
    pub protected: Vec<String>,
    pub unconvertible: Unconvertible,
    /// `scope: 'database'` (default): tables no object names are planned for dropping;
    /// `'objects'`: only the tables of the objects given are looked at (a sync of some
    /// objects).
    pub whole_database: bool,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        MigrateOptions {
            allow_destructive: false,
            protected: DEFAULT_PROTECTED.iter().map(|p| (*p).to_owned()).collect(),
            unconvertible: Unconvertible::Abort,
            whole_database: true,
        }
    }
}

impl MigrateOptions {
    /// Reads `{ allowDestructive?, protectedTables?, unconvertible? }`.
    pub fn from_value(value: &Value) -> Result<MigrateOptions> {
        let mut opts = MigrateOptions::default();
        if value.is_null() {
            return Ok(opts);
        }
        if value.as_object().is_none() {
            return Err(Error::invalid(format!(
                "migration options must be an object, got {}",
                value.type_name()
            )));
        }
        match value.get("allowDestructive") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => opts.allow_destructive = *b,
            Some(other) => {
                return Err(Error::invalid(format!(
                    "\"allowDestructive\" must be true or false, got {}",
                    other.to_json()
                )))
            }
        }
        match value.get("protectedTables") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                opts.protected = items
                    .iter()
                    .map(|item| match item.as_str().map(|s| s.strip_suffix('*').unwrap_or(s)) {
                        Some(p) if !p.is_empty() => Ok(p.to_owned()),
                        _ => Err(Error::invalid(
                            "\"protectedTables\" must be an array of table name prefixes such as \"sys_\"",
                        )),
                    })
                    .collect::<Result<_>>()?
            }
            Some(other) => {
                return Err(Error::invalid(format!(
                    "\"protectedTables\" must be an array of table name prefixes, got {}",
                    other.type_name()
                )))
            }
        }
        match value.get("unconvertible") {
            None | Some(Value::Null) => {}
            Some(Value::Text(s)) if s == "abort" => opts.unconvertible = Unconvertible::Abort,
            Some(Value::Text(s)) if s == "null" => opts.unconvertible = Unconvertible::Null,
            Some(Value::Text(s)) if s == "keep" => opts.unconvertible = Unconvertible::Keep,
            Some(other) => {
                return Err(Error::invalid(format!(
                    "\"unconvertible\" must be \"abort\", \"null\" or \"keep\", got {}",
                    other.to_json()
                )))
            }
        }
        match value.get("scope") {
            None | Some(Value::Null) => {}
            Some(Value::Text(s)) if s == "database" => opts.whole_database = true,
            Some(Value::Text(s)) if s == "objects" => opts.whole_database = false,
            Some(other) => {
                return Err(Error::invalid(format!(
                    "\"scope\" must be \"database\" or \"objects\", got {}",
                    other.to_json()
                )))
            }
        }
        Ok(opts)
    }

    pub fn to_value(&self) -> Value {
        Value::Object(vec![
            (
                "allowDestructive".to_owned(),
                Value::Bool(self.allow_destructive),
            ),
            (
                "protectedTables".to_owned(),
                Value::Array(self.protected.iter().cloned().map(Value::Text).collect()),
            ),
            (
                "unconvertible".to_owned(),
                Value::from(self.unconvertible.as_str()),
            ),
            (
                "scope".to_owned(),
                Value::from(if self.whole_database {
                    "database"
                } else {
                    "objects"
                }),
            ),
        ])
    }

    /// Whether a migration must leave `table` alone.
    pub fn is_protected(&self, table: &str) -> bool {
        ALWAYS_PROTECTED
            .iter()
            .copied()
            .chain(self.protected.iter().map(String::as_str))
            .any(|prefix| {
                table
                    .get(..prefix.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
            })
    }
}

/// SQLite's type affinity of a declared type (its five rules, in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

pub fn affinity(declared: &str) -> Affinity {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        Affinity::Integer
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        Affinity::Text
    } else if t.contains("BLOB") || t.trim().is_empty() {
        Affinity::Blob
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        Affinity::Real
    } else {
        Affinity::Numeric
    }
}

impl Affinity {
    fn cast_type(self) -> &'static str {
        match self {
            Affinity::Integer => "INTEGER",
            Affinity::Text => "TEXT",
            Affinity::Blob => "BLOB",
            Affinity::Real => "REAL",
            Affinity::Numeric => "NUMERIC",
        }
    }

    /// SQL true when the value of `column` (quoted) converts to this affinity exactly:
    /// cast, it compares equal to itself under SQLite's numeric comparison (`+column` has
    /// no affinity, so `'12'` compares as 12 and `'12abc'` stays text). Text takes every
    /// value but a blob (its bytes are not text); a blob column takes anything as is.
    pub fn converts(self, column: &str) -> String {
        match self {
            Affinity::Blob => "1".to_owned(),
            Affinity::Text => format!("({column} IS NULL OR typeof({column}) <> 'blob')"),
            numeric => format!(
                "({column} IS NULL OR CAST({column} AS {}) = +{column})",
                numeric.cast_type()
            ),
        }
    }

    /// The value copied into the rebuilt column: converted where exact, else what
    /// `choice` says (under `Abort` the migration refused such values before copying).
    pub fn copy_expr(self, column: &str, choice: Unconvertible) -> String {
        if self == Affinity::Blob {
            return column.to_owned();
        }
        let fallback = match choice {
            Unconvertible::Null => "NULL",
            Unconvertible::Keep | Unconvertible::Abort => column,
        };
        format!(
            "CASE WHEN {} THEN CAST({column} AS {}) ELSE {fallback} END",
            self.converts(column),
            self.cast_type()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affinity_follows_sqlites_rules() {
        for (t, a) in [
            ("INTEGER", Affinity::Integer),
            ("BIGINT", Affinity::Integer),
            ("VARCHAR(255)", Affinity::Text),
            ("text", Affinity::Text),
            ("", Affinity::Blob),
            ("BLOB", Affinity::Blob),
            ("DOUBLE PRECISION", Affinity::Real),
            ("FLOAT", Affinity::Real),
            ("DECIMAL(10, 2)", Affinity::Numeric),
            ("BOOLEAN", Affinity::Numeric),
            // Rule order: "INT" wins over "POINT".
            ("FLOATING POINT", Affinity::Integer),
        ] {
            assert_eq!(affinity(t), a, "{t}");
        }
    }

    #[test]
    fn reads_options() {
        let o = MigrateOptions::from_value(&Value::Null).unwrap();
        assert!(o.is_protected("sys_user") && o.is_protected("_objectstack_sequences"));
        assert!(o.is_protected("SQLITE_stat1") && o.is_protected("_objectql_schema"));
        assert!(!o.is_protected("users"));
        let o = MigrateOptions::from_value(
            &Value::parse_json(
                r#"{"allowDestructive":true,"protectedTables":["audit*"],"unconvertible":"keep"}"#,
            )
            .unwrap(),
        )
        .unwrap();
        assert!(o.allow_destructive && o.is_protected("Audit_log") && !o.is_protected("sys_x"));
        assert_eq!(o.unconvertible, Unconvertible::Keep);
        for bad in [
            r#"1"#,
            r#"{"allowDestructive":"yes"}"#,
            r#"{"protectedTables":[""]}"#,
            r#"{"protectedTables":"sys_"}"#,
            r#"{"unconvertible":"drop"}"#,
        ] {
            assert!(
                MigrateOptions::from_value(&Value::parse_json(bad).unwrap()).is_err(),
                "{bad}"
            );
        }
    }
}
