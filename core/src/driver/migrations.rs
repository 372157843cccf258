//! Safe migrations on this driver's database (see `crate::migrate`): plan, apply a plan,
//! run statements, rebuild tables. Each runs on a connection of its own, so that foreign
//! keys can be turned off before its transaction.

use super::Driver;
use crate::error::{Error, ErrorCode, Result};
use crate::identifier::quote_identifier;
use crate::migrate::execute::Check;
use crate::migrate::execute::{execute, Executed, Guard};
use crate::migrate::live::LiveSchema;
use crate::migrate::live::LiveTable;
use crate::migrate::plan::{plan, Plan};
use crate::migrate::rebuild::{rebuild_statements, ColumnPlan};
use crate::migrate::table_sql::ColumnRewrite;
use crate::migrate::{affinity, ColumnChange, MigrateOptions, TableChange, Unconvertible};
use crate::schema::default_literal;
use crate::schema::ObjectDef;
use crate::store::conn::Conn;
use crate::value::Value;

impl Driver {
    /// The plan that brings the database to `objects` (see [`plan`]), with its counts.
    pub async fn plan_migration(&self, objects: &[Value], opts: MigrateOptions) -> Result<Plan> {
        let defs = crate::schema_diff::parse_desired(&Value::Array(objects.to_vec()))?;
        let defs: Vec<(ObjectDef, Option<String>)> = defs
            .into_iter()
            .map(|def| {
                let tenant = self.catalog().tenant_field_for(&def);
                (def, tenant)
            })
            .collect();
        let database = self.connect().await?;
        let conn = database.main();
        let live = LiveSchema::read(&conn).await?;
        let mut draft = plan(&defs, self.contract(), &live, &opts)?;
        let mut answers = Vec::with_capacity(draft.probes.len());
        for probe in &draft.probes {
            let rows = conn.query(&probe.sql, Vec::new()).await?;
            let counts = rows
                .rows
                .first()
                .map(|r| r.iter().map(|v| v.as_i64().unwrap_or(0)).collect())
                .unwrap_or_default();
            answers.push(counts);
        }
        draft.finish(&answers);
        Plan::new(draft, live.fingerprint, opts)
    }

    /// Applies `plan` in one transaction; refused when it is blocked, when the schema
    /// changed since it was made (`SCHEMA_DRIFT`) or when its data checks fail.
    pub async fn apply_migration_plan(&self, plan: &Plan) -> Result<Executed> {
        self.schema_mutable("applyMigrationPlan")?;
        if !plan.blocked.is_empty() {
            return Err(Error::new(
                ErrorCode::MigrationRefused,
                format!(
                    "This migration plan is blocked, nothing was applied: {}",
                    plan.blocked.join("; ")
                ),
            ));
        }
        let guard = Guard {
            fingerprint: Some(plan.fingerprint.clone()),
            checks: plan.checks()?,
        };
        let conn = self.migration_conn().await?;
        execute(&conn, &plan.statements, &guard).await
    }

    /// Runs `statements` in one transaction (`executeMigrations`): all or none.
    pub async fn execute_migrations(&self, statements: &[String]) -> Result<Executed> {
        self.schema_mutable("executeMigrations")?;
        let conn = self.migration_conn().await?;
        execute(&conn, statements, &Guard::default()).await
    }

    /// The fingerprint of the database's schema now.
    pub async fn schema_fingerprint(&self) -> Result<String> {
        let database = self.connect().await?;
        crate::migrate::live::fingerprint_of(&database.main()).await
    }

    /// Rebuilds tables with the column changes given, all in one transaction (see
    /// `TableChange`); refused like a plan when a NOT NULL column would hold NULLs or a
    /// value would not convert.
    pub async fn rebuild_tables(&self, changes: &[TableChange]) -> Result<Executed> {
        self.schema_mutable("rebuildTables")?;
        let conn = self.migration_conn().await?;
        let live = LiveSchema::read(&conn).await?;
        let mut statements = Vec::new();
        let mut checks = Vec::new();
        for change in changes {
            let table = live.table(&change.table).ok_or_else(|| {
                Error::invalid(format!(
                    "Cannot rebuild \"{}\": no such table",
                    change.table
                ))
            })?;
            let (columns, table_checks) = column_plan(table, change)?;
            if columns.rewrites.is_empty() && columns.dropped.is_empty() {
                continue;
            }
            statements.extend(rebuild_statements(&live, table, &columns)?);
            checks.extend(table_checks);
        }
        let guard = Guard {
            fingerprint: Some(live.fingerprint),
            checks,
        };
        execute(&conn, &statements, &guard).await
    }

    async fn migration_conn(&self) -> Result<Conn> {
        let conn = self.connect().await?.dedicated().await?;
        // Only where the file is the database: a replica would send the pragma to its
        // primary, and a libSQL server refuses it.
        if !conn.is_remote() && !conn.is_replica() {
            // A rebuild's index sorts spill to a file instead of growing the process by the
            // table's size (the driver's connections keep temporary data in memory).
            conn.batch("PRAGMA temp_store = FILE").await?;
        }
        Ok(conn)
    }
}

/// The rebuild of `change`, and the counts that must be zero for it to lose nothing.
fn column_plan(table: &LiveTable, change: &TableChange) -> Result<(ColumnPlan, Vec<Check>)> {
    let quoted = quote_identifier(&table.name)?;
    let mut plan = ColumnPlan {
        rewrites: Vec::new(),
        dropped: Vec::new(),
        added: Vec::new(),
        conversions: Vec::new(),
        unconvertible: Unconvertible::Abort,
    };
    let mut checks = Vec::new();
    for (name, what) in &change.columns {
        let Some(have) = table.column(name) else {
            if *what == ColumnChange::Drop {
                // Dropped already: nothing left to do.
                continue;
            }
            return Err(Error::invalid(format!(
                "Cannot change {quoted}.\"{name}\": no such column"
            )));
        };
        let mut rewrite = ColumnRewrite::default();
        match what {
            ColumnChange::Drop => {
                plan.dropped.push(have.name.clone());
                continue;
            }
            ColumnChange::Type(to) => {
                checks.push(Check::unconvertible(
                    &table.name,
                    &have.name,
                    to,
                    "Fix those rows first.",
                )?);
                plan.conversions.push((have.name.clone(), affinity(to)));
                rewrite.sql_type = Some(to.clone());
            }
            ColumnChange::NotNull(not_null) => {
                if *not_null {
                    checks.push(Check::nulls(&table.name, &have.name)?);
                }
                rewrite.not_null = Some(*not_null);
            }
            ColumnChange::Default(value) => {
                rewrite.default = Some(value.as_ref().map(|v| default_literal(v, &have.sql_type)));
            }
        }
        match plan.rewrites.iter_mut().find(|(c, _)| c == &have.name) {
            Some((_, existing)) => {
                existing.sql_type = rewrite.sql_type.or(existing.sql_type.take());
                existing.not_null = rewrite.not_null.or(existing.not_null);
                existing.default = rewrite.default.or(existing.default.take());
            }
            None => plan.rewrites.push((have.name.clone(), rewrite)),
        }
    }
    Ok((plan, checks))
}
