//! [`SchemaDiff`] -> `up` / `down` DDL statements.

use super::{
    has_prefix_ignore_case, ColumnDef, Migration, SchemaDiff, SchemaDiffAction, SQLITE_PREFIX,
};
use crate::error::{Error, Result};
use crate::identifier::quote_identifier;
use crate::schema::default_literal;

/// One `up` and one `down` statement per action, in the order of the actions:
/// - `create_table`: `CREATE TABLE IF NOT EXISTS "t" (...);` / `DROP TABLE IF EXISTS "t";`
/// - `add_column`: `ALTER TABLE "t" ADD COLUMN ...;` / `ALTER TABLE "t" DROP COLUMN "c";`
/// - `drop_table`: `DROP TABLE IF EXISTS "t";` / a `--` comment (a dropped table cannot be
///   recreated automatically).
///
/// Identifiers go through [`quote_identifier`], defaults through [`default_literal`], and
/// `sqlType` must be an SQLite type name (`TEXT`, `VARCHAR(255)`, `DECIMAL(10, 2)`, ...).
/// An added `NOT NULL` column without a default stays nullable (SQLite refuses it on a
/// table that may have rows), as `init` does. Refused (`INVALID_REQUEST`): a table without
/// columns, an added primary-key column, and dropping a `sqlite_*` table.
pub fn generate_migration(diff: &SchemaDiff) -> Result<Migration> {
    let mut up = Vec::with_capacity(diff.actions.len());
    let mut down = Vec::with_capacity(diff.actions.len());
    for action in &diff.actions {
        let table = quote_identifier(action.table())?;
        match action {
            SchemaDiffAction::CreateTable { columns, .. } => {
                if columns.is_empty() {
                    return Err(Error::invalid(format!(
                        "create_table {table} has no columns"
                    )));
                }
                let columns = columns
                    .iter()
                    .map(|c| column_sql(c, false))
                    .collect::<Result<Vec<_>>>()?;
                up.push(format!(
                    "CREATE TABLE IF NOT EXISTS {table} ({});",
                    columns.join(", ")
                ));
                down.push(format!("DROP TABLE IF EXISTS {table};"));
            }
            SchemaDiffAction::AddColumn { column, .. } => {
                if column.is_primary {
                    return Err(Error::invalid(format!(
                        "add_column {table}: SQLite cannot add a PRIMARY KEY column to an existing table"
                    )));
                }
                up.push(format!(
                    "ALTER TABLE {table} ADD COLUMN {};",
                    column_sql(column, true)?
                ));
                down.push(format!(
                    "ALTER TABLE {table} DROP COLUMN {};",
                    quote_identifier(&column.name)?
                ));
            }
            SchemaDiffAction::DropTable { table: name } => {
                if has_prefix_ignore_case(name, SQLITE_PREFIX) {
                    return Err(Error::invalid(format!(
                        "drop_table {table}: tables of SQLite itself are never dropped"
                    )));
                }
                up.push(format!("DROP TABLE IF EXISTS {table};"));
                down.push(format!(
                    "-- Cannot auto-recreate dropped table {table}; manual intervention required."
                ));
            }
            SchemaDiffAction::DropColumn { column, .. } => {
                let column = quote_identifier(column)?;
                up.push(format!("ALTER TABLE {table} DROP COLUMN {column};"));
                down.push(format!(
                    "-- Cannot restore the values of dropped column {table}.{column}; manual intervention required."
                ));
            }
            SchemaDiffAction::DropIndex { name, .. } => {
                up.push(format!("DROP INDEX IF EXISTS {};", quote_identifier(name)?));
                down.push(format!(
                    "-- Recreate index {} from its definition (syncSchema does).",
                    quote_identifier(name)?
                ));
            }
            // A table rebuild needs the table's stored definition, which a diff alone does
            // not carry: the statements come from a plan made against the database.
            SchemaDiffAction::ChangeColumnType { .. }
            | SchemaDiffAction::SetNotNull { .. }
            | SchemaDiffAction::ChangeDefault { .. }
            | SchemaDiffAction::CreateIndex { .. } => {
                let line = action.summary_line()?;
                up.push(format!(
                    "-- {line}: needs the live table; plan it with driver.planMigration(objects)."
                ));
                down.push(format!("-- {line}: not reversed automatically."));
            }
        }
    }
    Ok(Migration {
        up,
        down,
        summary: diff.summary.clone(),
    })
}

/// `"name" TYPE [PRIMARY KEY] [NOT NULL] [DEFAULT literal]`.
fn column_sql(col: &ColumnDef, adding: bool) -> Result<String> {
    let mut sql = format!(
        "{} {}",
        quote_identifier(&col.name)?,
        checked_sql_type(&col.sql_type)?
    );
    if col.is_primary {
        sql.push_str(" PRIMARY KEY");
    }
    // SQLite can add a NOT NULL column only with a default for the existing rows.
    if col.not_null && !col.is_primary && (!adding || col.default_value.is_some()) {
        sql.push_str(" NOT NULL");
    }
    if let Some(default) = &col.default_value {
        sql.push_str(" DEFAULT ");
        sql.push_str(&default_literal(default, &col.sql_type));
    }
    Ok(sql)
}

/// SQLite's `type-name`: words of letters, digits and `_`, optionally followed by
/// `(n)` or `(n, m)`. Anything else could carry SQL, so it is refused.
fn checked_sql_type(sql_type: &str) -> Result<&str> {
    let refuse = || {
        Error::invalid(format!(
            "Invalid sqlType {sql_type:?}: expected an SQLite type name such as TEXT, INTEGER or VARCHAR(255)"
        ))
    };
    let (name, args) = match sql_type.split_once('(') {
        Some((name, rest)) => (name, Some(rest.strip_suffix(')').ok_or_else(refuse)?)),
        None => (sql_type, None),
    };
    let is_word = |w: &str| {
        w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let words: Vec<&str> = name.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() || !words.iter().all(|w| is_word(w)) {
        return Err(refuse());
    }
    if let Some(args) = args {
        let parts: Vec<&str> = args.split(',').collect();
        if parts.len() > 2 || !parts.iter().all(|p| is_signed_number(p.trim_matches(' '))) {
            return Err(refuse());
        }
    }
    Ok(sql_type)
}

fn is_signed_number(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    !(int.is_empty() && frac.is_empty())
        && int.chars().all(|c| c.is_ascii_digit())
        && frac.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::schema_diff::{diff_schema, parse_desired, DiffOptions, UP_TO_DATE};
    use crate::value::Value;

    fn parse(json: &str) -> Value {
        Value::parse_json(json).unwrap()
    }

    fn migrate(desired: &str, live: &str) -> Migration {
        let defs = parse_desired(&parse(desired)).unwrap();
        let diff = diff_schema(&defs, &parse(live), &DiffOptions::default()).unwrap();
        generate_migration(&diff).unwrap()
    }

    fn migrate_json(diff: &str) -> Result<Migration> {
        generate_migration(&SchemaDiff::from_value(&parse(diff))?)
    }

    const USERS: &str = r#"{"tables":{"users":{"columns":[{"name":"id"},{"name":"email"}]}}}"#;

    #[test]
    fn create_table_and_its_drop() {
        let m = migrate(
            r#"[{"name":"tasks","fields":{"title":{"type":"text","required":true},"done":{"type":"boolean","defaultValue":false},
                "n":{"type":"float","defaultValue":1.5},"meta":{"type":"json","defaultValue":{"a":"b'c"}}}}]"#,
            r#"{"tables":{}}"#,
        );
        assert_eq!(
            m.up,
            ["CREATE TABLE IF NOT EXISTS \"tasks\" (\"id\" TEXT PRIMARY KEY, \"title\" TEXT NOT NULL, \
              \"done\" INTEGER DEFAULT 0, \"n\" REAL DEFAULT 1.5, \"meta\" TEXT DEFAULT '{\"a\":\"b''c\"}');"]
        );
        assert_eq!(m.down, ["DROP TABLE IF EXISTS \"tasks\";"]);
        assert_eq!(m.summary, ["CREATE TABLE \"tasks\" (5 columns)"]);
    }

    #[test]
    fn add_column_and_its_drop() {
        let m = migrate(
            r#"[{"name":"users","fields":{"email":{},"status":{"type":"text","required":true,"defaultValue":"active"},
                "nick":{"required":true}}}]"#,
            USERS,
        );
        assert_eq!(
            m.up,
            [
                "ALTER TABLE \"users\" ADD COLUMN \"status\" TEXT NOT NULL DEFAULT 'active';",
                // No default: NOT NULL would make SQLite refuse the ALTER.
                "ALTER TABLE \"users\" ADD COLUMN \"nick\" TEXT;",
            ]
        );
        assert_eq!(
            m.down,
            [
                "ALTER TABLE \"users\" DROP COLUMN \"status\";",
                "ALTER TABLE \"users\" DROP COLUMN \"nick\";",
            ]
        );
    }

    #[test]
    fn drop_table_cannot_be_undone() {
        let m = migrate(
            "[]",
            r#"{"tables":{"old_table":{"columns":[{"name":"id"}]}}}"#,
        );
        assert_eq!(m.up, ["DROP TABLE IF EXISTS \"old_table\";"]);
        assert_eq!(
            m.down,
            ["-- Cannot auto-recreate dropped table \"old_table\"; manual intervention required."]
        );
        assert_eq!(m.summary, ["DROP TABLE \"old_table\""]);
    }

    #[test]
    fn escapes_string_defaults() {
        let m = migrate(
            r#"[{"name":"users","fields":{"email":{},"motto":{"defaultValue":"it's'); DROP TABLE users; --"}}},
                {"name":"notes","fields":{"body":{"defaultValue":"it's"}}}]"#,
            USERS,
        );
        assert_eq!(
            m.up,
            [
                "ALTER TABLE \"users\" ADD COLUMN \"motto\" TEXT DEFAULT 'it''s''); DROP TABLE users; --';",
                "CREATE TABLE IF NOT EXISTS \"notes\" (\"id\" TEXT PRIMARY KEY, \"body\" TEXT DEFAULT 'it''s');",
            ]
        );
    }

    #[test]
    fn quotes_identifiers() {
        let m = migrate(
            r#"[{"name":"we\"ird","fields":{"a b":{}}}]"#,
            r#"{"tables":{}}"#,
        );
        assert_eq!(
            m.up,
            ["CREATE TABLE IF NOT EXISTS \"we\"\"ird\" (\"id\" TEXT PRIMARY KEY, \"a b\" TEXT);"]
        );
        assert_eq!(m.down, ["DROP TABLE IF EXISTS \"we\"\"ird\";"]);
    }

    #[test]
    fn empty_diff_is_an_empty_migration() {
        let m = migrate(r#"[{"name":"users","fields":{"email":{}}}]"#, USERS);
        assert!(m.up.is_empty() && m.down.is_empty());
        assert_eq!(m.summary, [UP_TO_DATE]);
    }

    #[test]
    fn accepts_hand_written_diffs() {
        let m = migrate_json(
            r#"{"actions":[{"type":"create_table","table":"t","columns":[
                {"name":"id","sqlType":"TEXT","isPrimary":true,"notNull":true},
                {"name":"price","sqlType":"DECIMAL(10, 2)","defaultValue":0},
                {"name":"code","sqlType":"varchar( 255 )"},
                {"name":"x","sqlType":"UNSIGNED BIG INT"}]}]}"#,
        )
        .unwrap();
        assert_eq!(
            m.up,
            ["CREATE TABLE IF NOT EXISTS \"t\" (\"id\" TEXT PRIMARY KEY, \"price\" DECIMAL(10, 2) DEFAULT 0, \
              \"code\" varchar( 255 ), \"x\" UNSIGNED BIG INT);"]
        );
        assert_eq!(m.summary, ["CREATE TABLE \"t\" (4 columns)"]);
    }

    #[test]
    fn refuses_unsafe_or_impossible_actions() {
        for bad in [
            r#"{"actions":[{"type":"create_table","table":"t","columns":[]}]}"#,
            r#"{"actions":[{"type":"create_table","table":"","columns":[{"name":"id","sqlType":"TEXT"}]}]}"#,
            r#"{"actions":[{"type":"create_table","table":"t","columns":[{"name":"$x","sqlType":"TEXT"}]}]}"#,
            r#"{"actions":[{"type":"add_column","table":"t","column":{"name":"a","sqlType":"TEXT); DROP TABLE t; --"}}]}"#,
            r#"{"actions":[{"type":"add_column","table":"t","column":{"name":"a","sqlType":""}}]}"#,
            r#"{"actions":[{"type":"add_column","table":"t","column":{"name":"a","sqlType":"TEXT--"}}]}"#,
            r#"{"actions":[{"type":"add_column","table":"t","column":{"name":"a","sqlType":"CHAR(1,2,3)"}}]}"#,
            r#"{"actions":[{"type":"add_column","table":"t","column":{"name":"a","sqlType":"CHAR(x)"}}]}"#,
            r#"{"actions":[{"type":"add_column","table":"t","column":{"name":"a","sqlType":"CHAR(1"}}]}"#,
            r#"{"actions":[{"type":"add_column","table":"t","column":{"name":"a","sqlType":"9X"}}]}"#,
            r#"{"actions":[{"type":"add_column","table":"t","column":{"name":"a","sqlType":"TEXT","isPrimary":true}}]}"#,
            r#"{"actions":[{"type":"drop_table","table":"sqlite_sequence"}]}"#,
            r#"{"actions":[{"type":"drop_table","table":"SQLite_stat1"}]}"#,
        ] {
            let err = migrate_json(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{bad}");
        }
    }

    #[test]
    fn type_names_follow_sqlite_grammar() {
        for ok in [
            "TEXT",
            "double precision",
            "NUMERIC(-1.5)",
            "CHAR(+3 , 4)",
            "_x",
        ] {
            assert!(checked_sql_type(ok).is_ok(), "{ok}");
        }
        for bad in ["CHAR()", "CHAR(.)", "A(1)B", "A\tB", "A;", "CHAR(1))"] {
            assert!(checked_sql_type(bad).is_err(), "{bad}");
        }
    }
}
