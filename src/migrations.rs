//! The migration methods of `NativeDriver` (see `driver_core::migrate`).

use driver_core::migrate::execute::Executed;
use driver_core::migrate::plan::Plan;
use driver_core::migrate::MigrateOptions;
use driver_core::{Error, Value};
use napi::Env;
use napi_derive::napi;

use crate::answer::Answer;
use crate::convert::{JsInput, JsOutput};
use crate::driver::{object_list, NativeDriver};
use crate::error::{coded, Coded};

#[napi]
impl NativeDriver {
    /// `objects`: object definitions; `options`: `{ allowDestructive?, protectedTables?,
    /// unconvertible? }`. Resolves to the plan object.
    #[napi(catch_unwind)]
    pub fn plan_migration(
        &self,
        env: &Env,
        objects: JsInput,
        options: Option<JsInput>,
    ) -> Result<Answer<JsOutput>, Coded> {
        let objects = object_list(objects)?;
        let opts = MigrateOptions::from_value(options.as_ref().map_or(&Value::Null, |o| &o.0))
            .map_err(coded)?;
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.plan_migration(&objects, opts).await },
            |plan| JsOutput(plan.to_value()),
        )
    }

    /// Applies a plan `planMigration` returned: `{ applied, logs, duration, fingerprint }`.
    #[napi(catch_unwind)]
    pub fn apply_migration_plan(
        &self,
        env: &Env,
        plan: JsInput,
    ) -> Result<Answer<JsOutput>, Coded> {
        let plan = Plan::from_value(&plan.0).map_err(coded)?;
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.apply_migration_plan(&plan).await },
            executed,
        )
    }

    /// Runs `statements` in one transaction: `{ applied, logs, duration, fingerprint }`.
    #[napi(catch_unwind)]
    pub fn execute_migrations(
        &self,
        env: &Env,
        statements: JsInput,
    ) -> Result<Answer<JsOutput>, Coded> {
        let statements = match statements.0 {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, s)| match s {
                    Value::Text(s) => Ok(s),
                    other => Err(coded(Error::invalid(format!(
                        "executeMigrations: statements[{i}] must be an SQL string, got {}",
                        other.type_name()
                    )))),
                })
                .collect::<Result<Vec<_>, Coded>>()?,
            other => {
                return Err(coded(Error::invalid(format!(
                    "executeMigrations expects an array of SQL statements, got {}",
                    other.type_name()
                ))))
            }
        };
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.execute_migrations(&statements).await },
            executed,
        )
    }

    /// The SHA-256 fingerprint of the database's schema now.
    #[napi(catch_unwind)]
    pub fn schema_fingerprint(&self, env: &Env) -> Result<Answer<String>, Coded> {
        let d = self.inner.clone();
        self.run(env, async move { d.schema_fingerprint().await }, |f| f)
    }
}

/// `{ allowDestructive?, protectedTables?, unconvertible?, scope? }` checked as
/// `planMigration` checks them, and returned with their defaults filled in: for callers
/// that must refuse bad options before they open any database (a fleet run).
#[napi(catch_unwind)]
pub fn check_migration_options(options: Option<JsInput>) -> Result<JsOutput, Coded> {
    MigrateOptions::from_value(options.as_ref().map_or(&Value::Null, |o| &o.0))
        .map(|opts| JsOutput(opts.to_value()))
        .map_err(coded)
}

fn executed(done: Executed) -> JsOutput {
    JsOutput(Value::Object(vec![
        ("applied".into(), Value::Integer(done.applied as i64)),
        (
            "logs".into(),
            Value::Array(done.logs.into_iter().map(Value::Text).collect()),
        ),
        (
            "duration".into(),
            Value::Real(done.duration.as_secs_f64() * 1e3),
        ),
        ("fingerprint".into(), Value::Text(done.fingerprint)),
    ]))
}
