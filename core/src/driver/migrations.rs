//! Safe migrations on this driver's database (see `crate::migrate`): plan, apply a plan,
//! run statements, rebuild tables. Each runs on a connection of its own, so that foreign
//! keys can be turned off before its transaction.

use super::Driver;
use crate::error::{Error, ErrorCode, Result};
use crate::migrate::execute::{execute, Executed, Guard};
use crate::migrate::live::LiveSchema;
use crate::migrate::plan::{plan, Plan};
use crate::migrate::MigrateOptions;
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

    async fn migration_conn(&self) -> Result<Conn> {
        self.connect().await?.dedicated().await
    }
}
