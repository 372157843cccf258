//! What the driver knows about each object, learnt from schema sync
//! (`init`/`syncSchema`), from `registerObjectMetadata` (a boot that skips schema sync)
//! and from `registerExternalObject`: its table, how its fields are stored, its tenant
//! field, its autonumbers and unique keys, and whether it carries audit columns.
//!
//! An object nobody declared has a plain entry: its own name as table, no kinds, no
//! tenant field, and no audit columns; statements about it still run.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::autonumber::Autonumber;
use crate::column_map::ColumnMap;
use crate::config::Contract;
use crate::fast_hash::FastMap;
use crate::rows::{FieldKinds, RowSet};
use crate::schema::index::{self, IndexSpec};
use crate::schema::ObjectDef;
use crate::tenancy;
use crate::value::Value;

/// Whether an object's table has the audit columns `created_at`/`updated_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Audit {
    /// Not there (or not this contract's business): never stamped.
    Absent = 0,
    /// The driver made or synced the table: stamped.
    Present = 1,
    /// Registered without a sync: stamped, and dropped from the statement for good if
    /// the table turns out not to have them.
    Presumed = 2,
}

#[derive(Debug, Default)]
pub struct ObjectMeta {
    pub name: String,
    /// The table its rows live in (an external object's `remoteName`).
    pub table: String,
    pub kinds: FieldKinds,
    pub tenant_field: Option<String>,
    pub autonumbers: Vec<Autonumber>,
    /// The unique indexes its definition asks for (to name the field of a violation).
    pub unique: Vec<IndexSpec>,
    /// Declared through sync or registration: its table has the driver's `"id"` key.
    pub managed: bool,
    /// A schema sync of this driver brought its dates, date-times and times into their
    /// stored forms (or made the table): filters compare the columns as they are. Until
    /// then (a boot that skips schema sync, an external table) they are read through
    /// `temporal::canonical_sql`, so rows older writers left in other forms still match.
    pub canonical_temporal: bool,
    /// Where fields live in columns of other names (`external.columnMap`).
    pub columns: Option<ColumnMap>,
    audit: AtomicU8,
}

impl ObjectMeta {
    /// The entry of an object the driver was told nothing about.
    fn unknown(object: &str) -> ObjectMeta {
        ObjectMeta {
            name: object.to_owned(),
            table: object.to_owned(),
            ..ObjectMeta::default()
        }
    }

    pub fn audit(&self) -> Audit {
        match self.audit.load(Ordering::Relaxed) {
            1 => Audit::Present,
            2 => Audit::Presumed,
            _ => Audit::Absent,
        }
    }

    /// Records what a statement learnt about the audit columns.
    pub fn set_audit(&self, audit: Audit) {
        self.audit.store(audit as u8, Ordering::Relaxed);
    }

    /// Rows read from its table, as the caller sees them: columns named as its fields,
    /// cells in their fields' kinds.
    pub fn present(&self, rows: RowSet) -> RowSet {
        match &self.columns {
            Some(map) => map.localize(rows),
            None => rows,
        }
        .map_kinds(&self.kinds)
    }

    /// A record to write, its fields named as the columns that hold them.
    pub fn to_columns(&self, record: Vec<(String, Value)>) -> Vec<(String, Value)> {
        match &self.columns {
            Some(map) => record
                .into_iter()
                .map(|(field, value)| (map.remote(&field).to_owned(), value))
                .collect(),
            None => record,
        }
    }

    /// An entry of its own with the same content (the audit state included).
    fn copy(&self) -> ObjectMeta {
        ObjectMeta {
            name: self.name.clone(),
            table: self.table.clone(),
            kinds: self.kinds.clone(),
            tenant_field: self.tenant_field.clone(),
            autonumbers: self.autonumbers.clone(),
            unique: self.unique.clone(),
            managed: self.managed,
            canonical_temporal: self.canonical_temporal,
            columns: self.columns.clone(),
            audit: AtomicU8::new(self.audit.load(Ordering::Relaxed)),
        }
    }

    /// The unique index of that name, if the definition asked for it.
    pub fn unique_index(&self, name: &str) -> Option<&IndexSpec> {
        self.unique.iter().find(|i| i.name == name)
    }
}

#[derive(Debug)]
pub struct Catalog {
    contract: Contract,
    objects: RwLock<FastMap<String, Arc<ObjectMeta>>>,
    /// Objects that declared `tenancy.enabled: false`: the opt-out holds across later
    /// registrations that leave `tenancy` out.
    opted_out: Mutex<HashSet<String>>,
}

impl Catalog {
    pub fn new(contract: Contract) -> Catalog {
        Catalog {
            contract,
            objects: RwLock::default(),
            opted_out: Mutex::default(),
        }
    }

    /// A catalog of its own holding what this one knows now; later changes to either stay
    /// in it (see `shared_schema`: a tenant driver that learns objects on its own).
    pub fn fork(&self) -> Catalog {
        let objects = self
            .objects
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(name, meta)| (name.clone(), Arc::new(meta.copy())))
            .collect();
        Catalog {
            contract: self.contract,
            objects: RwLock::new(objects),
            opted_out: Mutex::new(
                self.opted_out
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone(),
            ),
        }
    }

    /// What is known about `object`.
    pub fn get(&self, object: &str) -> Arc<ObjectMeta> {
        let known = self
            .objects
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(object)
            .cloned();
        known.unwrap_or_else(|| Arc::new(ObjectMeta::unknown(object)))
    }

    /// The tenant field `def` would get if registered now (nothing is recorded).
    pub fn tenant_field_for(&self, def: &ObjectDef) -> Option<String> {
        let mut out = self
            .opted_out
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&def.name);
        tenancy::tenant_field(def, &mut out)
    }

    /// Learns `def`. Kinds accumulate (a field a later definition leaves out keeps the
    /// kind it was declared with); everything else follows the newest definition.
    pub fn register(&self, def: &ObjectDef, audit: Audit) -> Arc<ObjectMeta> {
        let tenant_field = {
            let mut opted = self.opted_out.lock().unwrap_or_else(|p| p.into_inner());
            let mut out = opted.contains(&def.name);
            let field = tenancy::tenant_field(def, &mut out);
            if out {
                opted.insert(def.name.clone());
            } else {
                opted.remove(&def.name);
            }
            field
        };
        let table = def.remote_name.clone().unwrap_or_else(|| def.name.clone());
        let mut objects = self.objects.write().unwrap_or_else(|p| p.into_inner());
        let previous = objects.get(&def.name);
        let mut kinds = previous.map(|m| m.kinds.clone()).unwrap_or_default();
        let canonical_temporal =
            audit == Audit::Present || previous.is_some_and(|m| m.canonical_temporal);
        kinds.merge(def, self.contract);
        let audit = if self.contract.audit_columns() {
            audit
        } else {
            Audit::Absent
        };
        let meta = Arc::new(ObjectMeta {
            name: def.name.clone(),
            unique: index::expected(def, &table, tenant_field.as_deref())
                .into_iter()
                .filter(|i| i.unique)
                .collect(),
            autonumbers: if self.contract.spec_field_types() {
                Autonumber::of(def, tenant_field.as_deref())
            } else {
                Vec::new()
            },
            table,
            kinds,
            tenant_field,
            managed: def.remote_name.is_none(),
            canonical_temporal,
            columns: def.column_map.clone(),
            audit: AtomicU8::new(audit as u8),
        });
        objects.insert(def.name.clone(), meta.clone());
        meta
    }
}
