//! `TursoDriver`'s operations over one database. Every method is `async` because remote
//! databases need it; for local ones the futures finish on their first poll, so the
//! binding runs them inline (see `poll.rs`).
//!
//! Each data method takes a [`Call`]: the transaction it runs in and the tenant it runs
//! for. What the driver knows about the object (its table, field kinds, tenant field,
//! autonumbers, audit columns) comes from the [`Catalog`]; the SQL from `query`.
//! The methods live by kind: [`schema_sync`], [`reads`], [`writes`] (bulk forms too).

mod migrations;
mod reads;
mod schema_sync;
mod writes;

use writes::atomically;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::autonumber::Day;
use crate::catalog::{Catalog, ObjectMeta};
use crate::config::{Contract, DriverConfig};
use crate::error::{Error, ErrorCode, Result};
use crate::notice::{Notice, Notices};
use crate::query::{Scope, TenantScope};
use crate::rows::{FieldKinds, RowSet};
use crate::shared_schema::SharedSchema;
use crate::store::at_open::Footprint;
use crate::store::conn::{Changes, Conn};
use crate::store::database::Database;
use crate::tenancy::Tenant;
use crate::value::Value;

/// The outcome of `update`: the row as stored, or no row with that id (in scope).
#[derive(Debug, Clone, PartialEq)]
pub enum Updated {
    Row(RowSet),
    Missing,
}

/// Who a data method runs for, and inside what.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Call {
    /// The transaction (`options.transaction`); `None` for the main connection.
    pub tx: Option<u32>,
    /// The tenant (`options.tenantId` / `tenantIds`); `None`: not scoped.
    pub tenant: Option<Tenant>,
    /// `options.preserveAudit`: an `updated_at` the caller supplies is kept.
    pub preserve_audit: bool,
    /// Today in the caller's time zone (`options.timezone`), for autonumber date tokens;
    /// `None`: UTC.
    pub today: Option<Day>,
}

impl From<Option<u32>> for Call {
    fn from(tx: Option<u32>) -> Call {
        Call {
            tx,
            ..Call::default()
        }
    }
}

/// Tables `syncSchema` created, and ones it found, since the driver was made.
#[derive(Debug, Clone, Default)]
pub struct SyncStats {
    pub created: HashSet<String>,
    pub existing: HashSet<String>,
}

pub struct Driver {
    config: DriverConfig,
    database: Mutex<Option<Arc<Database>>>,
    /// Its own, or a tenant's share of a [`SharedSchema`]'s (see `shared_schema.rs`).
    shared_catalog: Arc<Catalog>,
    /// A tenant driver's own copy, once it learnt objects on its own.
    forked: OnceLock<Arc<Catalog>>,
    /// The definitions a tenant's database is brought to before its statements.
    shared: Option<Arc<SharedSchema>>,
    /// The generation of `shared` this database was last brought to (0: none).
    applied: AtomicU64,
    stats: Mutex<SyncStats>,
    /// What the driver reports without failing a call (see `notice.rs`).
    notices: Notices,
    /// Schema drift already reported: each difference is said once per driver.
    drift_warned: Mutex<HashSet<String>>,
}

impl Driver {
    pub fn new(config: DriverConfig) -> Driver {
        let notices = Notices::default();
        if let Some(notice) = config.inert_notice() {
            notices.warn(notice);
        }
        Driver {
            shared_catalog: Arc::new(Catalog::new(config.contract)),
            forked: OnceLock::new(),
            shared: None,
            applied: AtomicU64::new(0),
            config,
            database: Mutex::default(),
            stats: Mutex::default(),
            notices,
            drift_warned: Mutex::default(),
        }
    }

    /// A tenant's driver: its database is brought to `shared`'s definitions before it
    /// answers, and it reads objects from `shared`'s catalog. Both must serve one contract.
    pub fn with_shared(config: DriverConfig, shared: Arc<SharedSchema>) -> Result<Driver> {
        if shared.contract() != config.contract {
            return Err(Error::config(format!(
                "The shared tenant schema serves the '{}' contract and this driver '{}': give \
                 the TenantSchema the driver's contract",
                shared.contract().as_str(),
                config.contract.as_str()
            )));
        }
        // One of many databases: memory per open database decides how many stay open.
        let config = DriverConfig {
            footprint: Footprint::Lean,
            ..config
        };
        let mut driver = Driver::new(config);
        driver.shared_catalog = shared.catalog().clone();
        driver.shared = Some(shared);
        Ok(driver)
    }

    /// The catalog statements read.
    fn catalog(&self) -> &Catalog {
        match self.forked.get() {
            Some(own) => own,
            None => &self.shared_catalog,
        }
    }

    /// The catalog to learn objects in: a tenant driver's own copy (see `shared_schema.rs`).
    fn own_catalog(&self) -> &Catalog {
        if self.shared.is_none() {
            return &self.shared_catalog;
        }
        self.forked
            .get_or_init(|| Arc::new(self.shared_catalog.fork()))
    }

    fn lock_drift_warned(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.drift_warned.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The tenant field of `object`, as the driver knows it (none for an unknown object).
    pub fn tenant_field(&self, object: &str) -> Option<String> {
        self.catalog().get(object).tenant_field.clone()
    }

    /// The notices since the last call of this, oldest first.
    pub fn take_notices(&self) -> Vec<Notice> {
        self.notices.take()
    }

    /// Whether `sqliteAbsentFile: 'empty-in-memory'` opened memory for a missing file.
    pub fn opened_empty_in_memory(&self) -> bool {
        self.current().is_some_and(|d| d.opened_empty_in_memory())
    }

    pub fn config(&self) -> &DriverConfig {
        &self.config
    }

    fn contract(&self) -> Contract {
        self.config.contract
    }

    /// Opens the database unless it is open already; a tenant's database is brought to the
    /// shared definitions first, and again after they change.
    pub async fn connect(&self) -> Result<Arc<Database>> {
        let database = match self.current() {
            Some(database) => database,
            None => {
                let opened = Arc::new(Database::open(&self.config, &self.notices).await?);
                let mut slot = self.lock_database();
                // Another caller may have connected while this one was opening: keep the first.
                slot.get_or_insert(opened).clone()
            }
        };
        if let Some(shared) = &self.shared {
            if shared.generation() != self.applied.load(Ordering::Acquire) {
                self.apply_shared(&database, shared).await?;
            }
        }
        Ok(database)
    }

    /// Brings an open tenant database to the shared definitions now, if they changed since
    /// it was last brought to them; a closed one is brought at its next open.
    pub async fn apply_shared_schema(&self) -> Result<()> {
        if self.current().is_some() {
            self.connect().await?;
        }
        Ok(())
    }

    /// Closes the database; open transactions are rolled back by SQLite as their
    /// connections close. A later call reconnects.
    pub fn disconnect(&self) {
        // The next open checks the schema again: the file may change while it is closed.
        self.applied.store(0, Ordering::Release);
        let database = self.lock_database().take();
        if let Some(database) = database {
            database.main().clear_cache();
        }
    }

    pub fn is_connected(&self) -> bool {
        self.current().is_some()
    }

    pub async fn check_health(&self) -> bool {
        match self.conn(None).await {
            Ok(conn) => conn.query("SELECT 1", Vec::new()).await.is_ok(),
            Err(_) => false,
        }
    }

    /// An embedded replica pulls what its primary has: `(frame_no, frames_synced)`; `None`
    /// for other databases (nothing to sync).
    pub async fn sync(&self) -> Result<Option<(Option<u64>, usize)>> {
        self.connect().await?.sync().await
    }

    // --- raw SQL and transactions -------------------------------------------------------

    pub async fn execute(
        &self,
        sql: &str,
        args: Vec<Value>,
        tx: Option<u32>,
    ) -> Result<(RowSet, Changes)> {
        crate::raw_sql::check_one_statement(sql, tx.is_some())?;
        let conn = self.connect().await?.conn(tx)?;
        conn.execute_raw(sql, args).await
    }

    pub async fn begin_transaction(&self) -> Result<u32> {
        self.connect().await?.begin().await
    }

    pub async fn commit(&self, tx: u32) -> Result<()> {
        self.database_for(tx)?.commit(tx).await
    }

    pub async fn rollback(&self, tx: u32) -> Result<()> {
        self.database_for(tx)?.rollback(tx).await
    }

    // --- helpers ------------------------------------------------------------------------

    /// The kernel's reading of a statement failure on `meta`'s table: a unique violation
    /// names the field (not the per-tenant index, whose key includes the tenant); a
    /// missing column in a filter (`filtered`) is an `INVALID_FILTER`.
    fn refine(&self, meta: &ObjectMeta, err: Error, filtered: bool) -> Error {
        if err.code == ErrorCode::UniqueViolation {
            let index = err
                .message
                .split("index '")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .and_then(|name| meta.unique_index(name));
            if let Some(index) = index {
                let fields: Vec<String> = index
                    .fields()
                    .iter()
                    .map(|f| format!("{}.{f}", meta.table))
                    .collect();
                return Error::new(
                    ErrorCode::UniqueViolation,
                    format!("UNIQUE constraint failed: {}", fields.join(", ")),
                );
            }
            return err;
        }
        if self.contract() == Contract::ObjectStack && filtered {
            if let Some(column) = err.missing_column() {
                // Single quotes: nothing in the answer looks like a quoted SQL reference.
                return Error::new(
                    ErrorCode::InvalidFilter,
                    format!(
                        "Filter on '{column}' names a column that object '{}' has no column \
                         for, so the predicate never ran (a filter on a field that does not \
                         exist can only match nothing). Check the name against the object's \
                         fields; a field declared since the last schema sync needs the sync \
                         first.",
                        meta.name
                    ),
                );
            }
        }
        err
    }

    fn current(&self) -> Option<Arc<Database>> {
        self.lock_database().clone()
    }

    fn lock_database(&self) -> std::sync::MutexGuard<'_, Option<Arc<Database>>> {
        self.database.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_stats(&self) -> std::sync::MutexGuard<'_, SyncStats> {
        self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn database_for(&self, tx: u32) -> Result<Arc<Database>> {
        let database = self.current().ok_or_else(|| {
            Error::driver(format!(
                "Transaction {tx} is not open: the driver was disconnected"
            ))
        })?;
        database.conn(Some(tx))?;
        Ok(database)
    }

    async fn conn(&self, tx: Option<u32>) -> Result<Conn> {
        match tx {
            // A transaction cannot outlive its database: never reconnect for one.
            Some(_) => match self.current() {
                Some(database) => database.conn(tx),
                None => Err(Error::driver(
                    "The transaction is not open: the driver was disconnected",
                )),
            },
            None => Ok(self.connect().await?.main()),
        }
    }

    /// The scope of statements about `meta`'s object for `call`: its table, the
    /// contract's filter semantics, and the call's tenant when the object has a tenant
    /// field.
    fn scope<'a>(&self, meta: &'a ObjectMeta, call: &'a Call) -> Scope<'a> {
        Scope {
            object: &meta.table,
            contract: self.contract(),
            fields: Some(&meta.kinds),
            legacy_temporal: !meta.canonical_temporal,
            column_map: meta.columns.as_ref(),
            tenant: match (&meta.tenant_field, &call.tenant) {
                (Some(field), Some(tenant)) => Some(TenantScope { field, tenant }),
                _ => None,
            },
            tenant_field: meta.tenant_field.as_deref(),
            managed: meta.managed,
        }
    }

    /// A comparand for raw SQL against `field` of `object` (the kernel's
    /// `temporalFilterValue`): in the field's stored form when it is a date, date-time or
    /// time, as given otherwise.
    pub fn temporal_filter_value(&self, object: &str, field: &str, value: Value) -> Value {
        match self.catalog().get(object).kinds.temporal(field) {
            Some(kind) => kind.canonical(&value).unwrap_or(value),
            None => value,
        }
    }

    /// The expression raw SQL should compare for `column_sql` (an SQL reference to
    /// `field` of `object`; the kernel's `temporalFilterColumnSql`): the column itself, or
    /// its stored form where older rows may hold other forms.
    pub fn temporal_filter_column_sql(
        &self,
        object: &str,
        field: &str,
        column_sql: &str,
    ) -> String {
        let meta = self.catalog().get(object);
        match meta.kinds.temporal(field) {
            Some(kind) if !meta.canonical_temporal => {
                crate::temporal::canonical_sql(column_sql, kind)
                    .unwrap_or_else(|| column_sql.to_owned())
            }
            _ => column_sql.to_owned(),
        }
    }

    /// The field kinds of `object` (what `mapRow` and the binding's row builders read).
    pub fn kinds(&self, object: &str) -> FieldKinds {
        self.catalog().get(object).kinds.clone()
    }
}
