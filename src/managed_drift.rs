//! The kernel's migration surface on `NativeDriver` (`detectManagedDrift`,
//! `applyMigrationEntries`, the deferred sync): forwards to `Driver`'s methods in
//! `core/src/driver/managed_drift.rs`.

use driver_core::config::Deployment;
use driver_core::Value;
use napi::Env;
use napi_derive::napi;

use crate::answer::Answer;
use crate::convert::{JsInput, JsOutput};
use crate::driver::{object_list, NativeDriver};
use crate::error::{coded, Coded};

/// What `applyMigrationEntries` did, by position in the list it was given.
#[napi(object)]
pub struct MigrationOutcome {
    /// Positions of the entries applied.
    pub applied: Vec<u32>,
    /// Positions of the entries skipped (destructive without `allowDestructive`, or not
    /// possible here).
    pub skipped: Vec<u32>,
}

#[napi]
impl NativeDriver {
    /// Arms (or disarms) the deferral: while armed, `syncSchema` learns the objects and
    /// records them instead of running DDL.
    #[napi(catch_unwind)]
    pub fn set_deferred_ddl(&self, deferred: bool) {
        self.inner.set_deferred_ddl(deferred);
    }

    /// How many objects the deferred sync holds.
    #[napi(getter, catch_unwind)]
    pub fn deferred_schema_object_count(&self) -> u32 {
        u32::try_from(self.inner.deferred_object_count()).unwrap_or(u32::MAX)
    }

    /// `[{ table, kind, columns, rows? }]`: what the deferred sync would do.
    #[napi(catch_unwind)]
    pub fn preview_deferred_schema_work(&self, env: &Env) -> Result<Answer<JsOutput>, Coded> {
        let d = self.inner.clone();
        self.run(env, async move { d.preview_deferred_work().await }, |v| {
            JsOutput(Value::Array(v))
        })
    }

    /// Runs the deferred sync and disarms the deferral; answers what was pending.
    /// `production`: the caller runs with `NODE_ENV=production`.
    #[napi(catch_unwind)]
    pub fn flush_deferred_schema_ddl(
        &self,
        env: &Env,
        production: bool,
    ) -> Result<Answer<JsOutput>, Coded> {
        let d = self.inner.clone();
        let deployment = Deployment::of(production);
        self.run(
            env,
            async move { d.flush_deferred(deployment).await },
            |v| JsOutput(Value::Array(v)),
        )
    }

    /// The kernel's `ManagedDriftEntry[]` for `objects` (`null`: the objects synced).
    #[napi(catch_unwind)]
    pub fn detect_managed_drift(
        &self,
        env: &Env,
        objects: JsInput,
    ) -> Result<Answer<JsOutput>, Coded> {
        let objects = match objects.0 {
            Value::Null => None,
            other => Some(object_list(JsInput(other))?),
        };
        let d = self.inner.clone();
        self.run(
            env,
            async move { d.detect_managed_drift(objects.as_deref()).await },
            |v| JsOutput(Value::Array(v)),
        )
    }

    /// Applies `entries` (as `detectManagedDrift` answered them).
    #[napi(catch_unwind)]
    pub fn apply_migration_entries(
        &self,
        env: &Env,
        entries: JsInput,
        allow_destructive: bool,
    ) -> Result<Answer<MigrationOutcome>, Coded> {
        let entries = match entries.0 {
            Value::Array(items) => items,
            other => {
                return Err(coded(driver_core::Error::invalid(format!(
                    "applyMigrationEntries expects an array of drift entries, got {}",
                    other.type_name()
                ))))
            }
        };
        let d = self.inner.clone();
        let positions = |v: Vec<usize>| v.into_iter().map(|i| i as u32).collect();
        self.run(
            env,
            async move { d.apply_migration_entries(&entries, allow_destructive).await },
            move |out| MigrationOutcome {
                applied: positions(out.applied),
                skipped: positions(out.skipped),
            },
        )
    }
}
