//! What the tenant databases of one app share: the object definitions they are synced to,
//! and one [`Catalog`] for all their drivers.
//!
//! A router makes one [`SharedSchema`] and gives it to every tenant driver
//! ([`crate::driver::Driver::with_shared`]). [`SharedSchema::sync`] records the
//! definitions (replacing the previous ones), their fingerprints, and registers them in
//! the catalog once; each tenant driver then brings its own database to them before its
//! first statement, and again before the first statement after a newer `sync`: a
//! fingerprint check (one query, see `schema::fingerprint`), DDL only where it differs, and
//! no per-tenant registration.
//!
//! # Why one catalog can serve many databases
//!
//! What a catalog entry holds is learnt from definitions, not from a database, with the
//! exceptions below; every tenant database is synced to the same definitions before a
//! driver runs a statement on it, so what holds for one holds for all:
//! - kinds, tenant field, unique keys, column maps, tenancy opt-outs: from definitions.
//! - `Audit`: registered `Present` by the sync. The one state learnt from a database,
//!   `Presumed` turning `Absent` when a table lacks the audit columns, only exists for
//!   objects registered without a sync, which a shared catalog never holds.
//! - `canonical_temporal`: true once a sync canonicalised the table's dates. A tenant
//!   database is synced (or its fingerprint proves an earlier sync of the same
//!   definitions) before its first statement.
//! - Autonumbers: the catalog holds their formats; the counters live in each database
//!   (`_objectstack_sequences`), so they count per tenant.
//!
//! A tenant driver that is asked to learn objects on its own (`syncSchema`,
//! `registerObjectMetadata`, `registerExternalObject` on that one driver) would make the
//! catalog say of every tenant what holds for one database: that driver forks a catalog
//! of its own (a copy), keeps following the shared definitions, and registers them in its
//! copy as they change.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::catalog::{Audit, Catalog};
use crate::config::{Contract, Deployment};
use crate::digest::sha256_hex;
use crate::error::Result;
use crate::schema::{fingerprint, ObjectDef};
use crate::value::Value;

/// One version of the shared definitions.
#[derive(Debug)]
pub struct Definitions {
    /// Bumped by every [`SharedSchema::sync`]; 0 before the first.
    pub generation: u64,
    pub defs: Vec<ObjectDef>,
    /// The fingerprint of each of `defs`.
    pub fingerprints: Vec<String>,
    /// Whether the caller runs in production (no `autoMigrate`).
    pub deployment: Deployment,
    /// A digest of all the fingerprints: what the definitions are, as one value.
    pub digest: String,
}

#[derive(Debug)]
pub struct SharedSchema {
    contract: Contract,
    catalog: Arc<Catalog>,
    current: RwLock<Arc<Definitions>>,
    /// `current`'s generation, read without the lock on every call of every tenant.
    generation: AtomicU64,
}

impl SharedSchema {
    pub fn new(contract: Contract) -> SharedSchema {
        SharedSchema {
            contract,
            catalog: Arc::new(Catalog::new(contract)),
            current: RwLock::new(Arc::new(Definitions {
                generation: 0,
                defs: Vec::new(),
                fingerprints: Vec::new(),
                deployment: Deployment::Development,
                digest: sha256_hex(b""),
            })),
            generation: AtomicU64::new(0),
        }
    }

    pub fn contract(&self) -> Contract {
        self.contract
    }

    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// The generation of the current definitions (0: none yet).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn current(&self) -> Arc<Definitions> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Records `objects` as the definitions every tenant database is brought to, in place
    /// of the previous ones, and registers them in the shared catalog. Nothing is
    /// recorded if one of them is invalid.
    pub fn sync(&self, objects: &[Value], deployment: Deployment) -> Result<Arc<Definitions>> {
        let defs = objects
            .iter()
            .map(ObjectDef::from_value)
            .collect::<Result<Vec<_>>>()?;
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        let fingerprints: Vec<String> = objects
            .iter()
            .zip(&defs)
            .map(|(value, def)| {
                let tenant = self.catalog.tenant_field_for(def);
                fingerprint::of(value, self.contract, tenant.as_deref())
            })
            .collect();
        for def in &defs {
            self.catalog.register(def, Audit::Present);
        }
        let next = Arc::new(Definitions {
            generation: current.generation + 1,
            digest: sha256_hex(fingerprints.join("\n").as_bytes()),
            defs,
            fingerprints,
            deployment,
        });
        *current = next.clone();
        self.generation.store(next.generation, Ordering::Release);
        Ok(next)
    }
}
