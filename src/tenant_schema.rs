//! `TenantSchema`: the napi face of `driver_core::shared_schema::SharedSchema`, the
//! definitions and catalog a router's tenant drivers share. `lib/tenant-schema.js` wraps
//! it; a tenant driver receives it as `new NativeDriver(config, shared)`.

use std::sync::Arc;

use driver_core::config::{Contract, Deployment};
use driver_core::shared_schema::SharedSchema;
use driver_core::{Error, Value};
use napi_derive::napi;

use crate::convert::{JsInput, JsOutput};
use crate::error::{coded, Coded};

#[napi]
pub struct TenantSchema {
    pub(crate) inner: Arc<SharedSchema>,
}

#[napi]
impl TenantSchema {
    /// `contract`: `'objectql'` (default) or `'objectstack'`, as the tenant drivers'.
    #[napi(constructor, catch_unwind)]
    pub fn new(contract: Option<JsInput>) -> Result<Self, Coded> {
        let contract = contract.map(|c| c.0).filter(|c| !c.is_null());
        let contract = Contract::from_option(contract.as_ref()).map_err(coded)?;
        Ok(TenantSchema {
            inner: Arc::new(SharedSchema::new(contract)),
        })
    }

    /// Records the definitions every tenant database is brought to (replacing the previous
    /// ones); open tenant drivers apply them at their next call. `production`: the caller
    /// runs with `NODE_ENV=production` (no `autoMigrate`).
    #[napi(catch_unwind)]
    pub fn sync_schema(&self, objects: JsInput, production: bool) -> Result<(), Coded> {
        let objects = match objects.0 {
            Value::Array(items) => items,
            single @ Value::Object(_) => vec![single],
            other => {
                return Err(coded(Error::invalid(format!(
                    "TenantSchema.syncSchema expects an array of object definitions, got {}",
                    other.type_name()
                ))))
            }
        };
        let deployment = if production {
            Deployment::Production
        } else {
            Deployment::Development
        };
        self.inner.sync(&objects, deployment).map_err(coded)?;
        Ok(())
    }

    /// A digest of the current definitions (the same definitions, the same digest).
    #[napi(getter)]
    pub fn fingerprint(&self) -> String {
        self.inner.current().digest.clone()
    }

    /// Bumped by every `syncSchema` (0 before the first).
    #[napi(getter)]
    pub fn generation(&self) -> f64 {
        self.inner.generation() as f64
    }

    /// The names of the current objects, in the order given.
    #[napi(getter)]
    pub fn objects(&self) -> JsOutput {
        JsOutput(Value::Array(
            self.inner
                .current()
                .defs
                .iter()
                .map(|d| Value::from(d.name.as_str()))
                .collect(),
        ))
    }

    /// `'objectql'` or `'objectstack'`.
    #[napi(getter)]
    pub fn contract(&self) -> String {
        self.inner.contract().as_str().to_owned()
    }
}
