//! SQLite's procedure for the changes `ALTER TABLE` cannot make (a column's type, NOT
//! NULL, DEFAULT, a constrained column's removal): make the new table, copy the rows
//! with their conversions, drop the old table, rename the new one, recreate the
//! indexes and triggers. The statements run in one transaction, with foreign keys off
//! outside it (see `execute.rs`): dropping a parent then deletes no child row, and the
//! children's `REFERENCES` point at the new table once it has the name.
//!
//! Renaming checks every view and trigger of the schema, and one that names the dropped
//! table fails it (SQLite's `legacy_alter_table` would skip the check, but a libSQL
//! server refuses that pragma). So the views and other tables' triggers that name the
//! table are dropped before and recreated after, as SQLite's procedure says for views.

use super::live::{LiveSchema, LiveTable};
use super::table_sql::{rewrite_column, unquote, ColumnRewrite, Item, TableSql};
use super::{Affinity, Unconvertible};
use crate::error::{Error, Result};
use crate::identifier::quote_identifier;

/// The name the new table has until it replaces the old one.
pub const TEMP_PREFIX: &str = "_objectql_rebuild_";

/// What a rebuild changes in a table's columns.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnPlan {
    pub rewrites: Vec<(String, ColumnRewrite)>,
    pub dropped: Vec<String>,
    /// Definitions of columns added by the same plan (their rows get the default).
    pub added: Vec<String>,
    /// Columns whose type changes, and the affinity they get.
    pub conversions: Vec<(String, Affinity)>,
    pub unconvertible: Unconvertible,
}

/// The statements that rebuild `table` (of `live`) as `plan` says.
pub fn rebuild_statements(
    live: &LiveSchema,
    table: &LiveTable,
    plan: &ColumnPlan,
) -> Result<Vec<String>> {
    let name = quote_identifier(&table.name)?;
    let temp = quote_identifier(&format!("{TEMP_PREFIX}{}", table.name))?;
    let mut parsed = TableSql::parse(&table.sql)?;
    for dropped in &plan.dropped {
        let naming = parsed.constraints_naming(dropped);
        if !naming.is_empty() {
            return Err(Error::invalid(format!(
                "Cannot drop column {name}.\"{dropped}\": the table constraint `{}` names it; \
                 change that constraint first",
                naming.join("`, `")
            )));
        }
    }
    parsed.items.retain(|item| match item {
        Item::Column { name, .. } => !plan.dropped.iter().any(|d| d.eq_ignore_ascii_case(name)),
        Item::Constraint(_) => true,
    });
    for item in &mut parsed.items {
        if let Item::Column { name, sql } = item {
            if let Some((_, rewrite)) = plan
                .rewrites
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(name))
            {
                *sql = rewrite_column(sql, rewrite);
            }
        }
    }

    // New columns go after the existing ones (before table constraints), as `ADD COLUMN`
    // would put them.
    let at = parsed
        .items
        .iter()
        .rposition(|i| matches!(i, Item::Column { .. }))
        .map_or(0, |i| i + 1);
    for (i, sql) in plan.added.iter().enumerate() {
        let name = sql
            .split_whitespace()
            .next()
            .map(unquote)
            .unwrap_or_default();
        parsed.items.insert(
            at + i,
            Item::Column {
                name,
                sql: sql.clone(),
            },
        );
    }

    let mut columns = Vec::new();
    let mut values = Vec::new();
    for column in &table.columns {
        if plan
            .dropped
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&column.name))
        {
            continue;
        }
        let quoted = quote_identifier(&column.name)?;
        let value = match plan
            .conversions
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(&column.name))
        {
            Some((_, to)) => to.copy_expr(&quoted, plan.unconvertible),
            None => quoted.clone(),
        };
        columns.push(quoted);
        values.push(value);
    }

    let views: Vec<&(String, String)> = live
        .views
        .iter()
        .filter(|(_, sql)| mentions(sql, &table.name))
        .collect();
    let triggers: Vec<&(String, String)> = live
        .tables
        .iter()
        .filter(|t| !t.name.eq_ignore_ascii_case(&table.name))
        .flat_map(|t| &t.triggers)
        .filter(|(_, sql)| mentions(sql, &table.name))
        .collect();
    let mut out = Vec::new();
    for (view, _) in &views {
        out.push(format!("DROP VIEW {}", quote_identifier(view)?));
    }
    for (trigger, _) in &triggers {
        out.push(format!("DROP TRIGGER {}", quote_identifier(trigger)?));
    }
    out.extend([
        format!("DROP TABLE IF EXISTS {temp}"),
        parsed.create_sql(&temp),
        format!(
            "INSERT INTO {temp} ({}) SELECT {} FROM {name}",
            columns.join(", "),
            values.join(", ")
        ),
        format!("DROP TABLE {name}"),
        format!("ALTER TABLE {temp} RENAME TO {name}"),
    ]);
    for (_, sql) in &table.indexes {
        let on_dropped = plan.dropped.iter().any(|d| mentions(sql, d));
        if !on_dropped {
            out.push(sql.clone());
        }
    }
    for (trigger, sql) in &table.triggers {
        if plan.dropped.iter().any(|d| mentions(sql, d)) {
            return Err(Error::invalid(format!(
                "Cannot drop a column of {name}: trigger \"{trigger}\" uses it; drop or change the trigger first"
            )));
        }
        out.push(sql.clone());
    }
    out.extend(triggers.iter().map(|(_, sql)| sql.clone()));
    out.extend(views.iter().map(|(_, sql)| sql.clone()));
    Ok(out)
}

/// Whether `sql` mentions the name `column` as a word (quoted or not).
fn mentions(sql: &str, column: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    let column = column.to_ascii_lowercase();
    lower.match_indices(&column).any(|(at, _)| {
        let before = lower[..at].chars().next_back();
        let after = lower[at + column.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        boundary(before) && boundary(after)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::live::LiveColumn;

    fn table() -> LiveTable {
        let column = |name: &str, sql_type: &str| LiveColumn {
            name: name.into(),
            sql_type: sql_type.into(),
            not_null: false,
            default: None,
            primary_key: name == "id",
        };
        LiveTable {
            name: "task".into(),
            sql: "CREATE TABLE \"task\" (\"id\" TEXT PRIMARY KEY, \"priority\" TEXT DEFAULT 'it''s', \
                  \"old\" TEXT, \"p\" TEXT REFERENCES parent(id) ON DELETE CASCADE)"
                .into(),
            columns: vec![
                column("id", "TEXT"),
                column("priority", "TEXT"),
                column("old", "TEXT"),
                column("p", "TEXT"),
            ],
            indexes: vec![
                ("idx_p".into(), "CREATE INDEX idx_p ON task (p)".into()),
                ("idx_old".into(), "CREATE INDEX idx_old ON task (\"old\")".into()),
            ],
            triggers: vec![(
                "t_ins".into(),
                "CREATE TRIGGER t_ins AFTER INSERT ON task BEGIN SELECT 1; END".into(),
            )],
        }
    }

    /// The schema around `task`: a view and another table's trigger that name it.
    fn live() -> LiveSchema {
        let mut other = table();
        other.name = "audit".into();
        other.triggers = vec![(
            "audit_task".into(),
            "CREATE TRIGGER audit_task AFTER INSERT ON audit BEGIN DELETE FROM task; END".into(),
        )];
        LiveSchema {
            tables: vec![table(), other],
            views: vec![
                (
                    "open_tasks".into(),
                    "CREATE VIEW open_tasks AS SELECT * FROM task".into(),
                ),
                (
                    "unrelated".into(),
                    "CREATE VIEW unrelated AS SELECT 1".into(),
                ),
            ],
            fingerprint: String::new(),
        }
    }

    #[test]
    fn rebuilds_with_conversions_and_keeps_the_rest() {
        let plan = ColumnPlan {
            rewrites: vec![(
                "priority".into(),
                ColumnRewrite {
                    sql_type: Some("INTEGER".into()),
                    ..Default::default()
                },
            )],
            dropped: vec!["old".into()],
            added: vec!["\"due\" TEXT DEFAULT 'x'".into()],
            conversions: vec![("priority".into(), Affinity::Integer)],
            unconvertible: Unconvertible::Null,
        };
        let sql = rebuild_statements(&live(), &table(), &plan).unwrap();
        assert_eq!(
            sql,
            [
                "DROP VIEW \"open_tasks\"",
                "DROP TRIGGER \"audit_task\"",
                "DROP TABLE IF EXISTS \"_objectql_rebuild_task\"",
                "CREATE TABLE \"_objectql_rebuild_task\" (\"id\" TEXT PRIMARY KEY, \"priority\" INTEGER DEFAULT 'it''s', \
                 \"p\" TEXT REFERENCES parent(id) ON DELETE CASCADE, \"due\" TEXT DEFAULT 'x')",
                "INSERT INTO \"_objectql_rebuild_task\" (\"id\", \"priority\", \"p\") SELECT \"id\", \
                 CASE WHEN (\"priority\" IS NULL OR CAST(\"priority\" AS INTEGER) = +\"priority\") \
                 THEN CAST(\"priority\" AS INTEGER) ELSE NULL END, \"p\" FROM \"task\"",
                "DROP TABLE \"task\"",
                "ALTER TABLE \"_objectql_rebuild_task\" RENAME TO \"task\"",
                "CREATE INDEX idx_p ON task (p)",
                "CREATE TRIGGER t_ins AFTER INSERT ON task BEGIN SELECT 1; END",
                "CREATE TRIGGER audit_task AFTER INSERT ON audit BEGIN DELETE FROM task; END",
                "CREATE VIEW open_tasks AS SELECT * FROM task",
            ]
        );
    }

    #[test]
    fn refuses_to_drop_a_column_a_constraint_or_trigger_needs() {
        let mut t = table();
        t.sql = "CREATE TABLE task (id TEXT PRIMARY KEY, old TEXT, CHECK (old <> ''))".into();
        let plan = ColumnPlan {
            rewrites: vec![],
            dropped: vec!["old".into()],
            added: vec![],
            conversions: vec![],
            unconvertible: Unconvertible::Abort,
        };
        assert!(rebuild_statements(&live(), &t, &plan).is_err());
        let mut t = table();
        t.triggers[0].1 = "CREATE TRIGGER t AFTER UPDATE OF old ON task BEGIN SELECT 1; END".into();
        assert!(rebuild_statements(&live(), &t, &plan).is_err());
        assert!(mentions("x \"old\" y", "old") && !mentions("golden", "old"));
    }
}
