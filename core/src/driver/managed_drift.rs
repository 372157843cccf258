//! The kernel's migration surface (`os migrate plan` / `apply`): drift as entries the CLI
//! reads, the entries it hands back applied, and schema sync held back until the operator
//! has seen what it would do.
//!
//! - Detection is schema sync's own (`schema::drift`), run on the definitions the last
//!   syncs were given (or on the ones passed), and translated by `schema::managed_entry`.
//!   One addition: an index the definition asks for and the table lacks (`create_index`),
//!   which sync would create but a definition not synced yet shows.
//! - Index ops are plain DDL; a unique index is created before the one it replaces is
//!   dropped, and a rebuild under the same name runs in one transaction, so a failure
//!   leaves the old index. Column ops (NOT NULL either way, a dropped column or DEFAULT)
//!   go through the project's table rebuild (`crate::migrate`), one per table.
//! - Deferral (`setDeferredDdl(true)`): a sync learns the definitions (as
//!   `registerObjectMetadata` does) and records them; the preview says what the sync would
//!   do (tables, columns, date rows rewritten), the flush runs it.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use super::{atomically, Driver};
use crate::catalog::Audit;
use crate::config::{AutoMigrate, Contract, Deployment};
use crate::error::{ErrorCode, Result};
use crate::identifier::quote_identifier;
use crate::migrate;
use crate::schema::drift::{self, Drift, Op};
use crate::schema::index::{self, IndexSpec, Key};
use crate::schema::introspect::{self, table_columns, table_exists};
use crate::schema::managed_entry::{self, Action, ColumnOp, TableFacts};
use crate::schema::ObjectDef;
use crate::store::conn::Conn;
use crate::temporal::{backfill_count_sql, is_now_token, is_runtime_token, Temporal};
use crate::value::Value;

/// What the migration surface keeps between calls.
#[derive(Default)]
pub(super) struct Migration {
    /// The definition each managed table was last synced (or deferred) with, by table.
    managed: Mutex<BTreeMap<String, ObjectDef>>,
    deferral: Mutex<Deferral>,
}

#[derive(Default)]
struct Deferral {
    armed: bool,
    /// The object definitions recorded, newest per name, in the order first seen.
    objects: Vec<(String, Value)>,
}

impl Migration {
    fn managed(&self) -> MutexGuard<'_, BTreeMap<String, ObjectDef>> {
        self.managed.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn deferral(&self) -> MutexGuard<'_, Deferral> {
        self.deferral.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Which entries `apply_migration_entries` applied and which it skipped, by position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub applied: Vec<usize>,
    pub skipped: Vec<usize>,
}

/// A column op of an entry: its position, the column, the change.
type ColumnChange = (usize, String, ColumnOp);

const COLUMN_TYPES_SQL: &str =
    "SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info(?)";

impl Driver {
    // --- deferral ---------------------------------------------------------------------

    /// Arms (or disarms) the deferral of schema sync's DDL.
    pub fn set_deferred_ddl(&self, deferred: bool) {
        self.migration.deferral().armed = deferred;
    }

    /// How many objects a flush would sync.
    pub fn deferred_object_count(&self) -> usize {
        self.migration.deferral().objects.len()
    }

    /// Called by schema sync first: while the deferral is armed, learns `defs` and records
    /// `objects` instead of syncing them, and answers true.
    pub(super) fn defer_sync(&self, objects: &[Value], defs: &[ObjectDef]) -> bool {
        let mut deferral = self.migration.deferral();
        if !deferral.armed {
            return false;
        }
        for (object, def) in objects.iter().zip(defs) {
            self.own_catalog().register(def, Audit::Presumed);
            match deferral.objects.iter_mut().find(|(n, _)| *n == def.name) {
                Some(slot) => slot.1 = object.clone(),
                None => deferral.objects.push((def.name.clone(), object.clone())),
            }
        }
        drop(deferral);
        self.remember_managed(defs);
        true
    }

    /// Notes the definitions a sync was given: what `detect_managed_drift` diffs.
    pub(super) fn remember_managed(&self, defs: &[ObjectDef]) {
        let mut managed = self.migration.managed();
        for def in defs {
            managed.insert(def.name.clone(), def.clone());
        }
    }

    /// What the recorded sync would do, without doing it: `[{ table, kind, columns,
    /// rows? }]`, by table then kind; `[]` when the database matches.
    pub async fn preview_deferred_work(&self) -> Result<Vec<Value>> {
        let objects: Vec<Value> = {
            let deferral = self.migration.deferral();
            deferral.objects.iter().map(|(_, o)| o.clone()).collect()
        };
        let conn = self.connect().await?.main();
        let mut out = Vec::new();
        for object in &objects {
            let def = ObjectDef::from_value(object)?;
            out.extend(self.pending_work(&conn, &def).await?);
        }
        out.sort_by(|a, b| a.key().cmp(&b.key()));
        Ok(out.into_iter().map(Pending::into_value).collect())
    }

    /// Runs the recorded sync and disarms the deferral; answers what was pending. Should
    /// the sync fail, the objects stay recorded (and the deferral armed) for another try.
    pub async fn flush_deferred(&self, deployment: Deployment) -> Result<Vec<Value>> {
        let objects: Vec<Value> = {
            let mut deferral = self.migration.deferral();
            if deferral.objects.is_empty() {
                deferral.armed = false;
                return Ok(Vec::new());
            }
            deferral.objects.iter().map(|(_, o)| o.clone()).collect()
        };
        let performed = self.preview_deferred_work().await?;
        let recorded = {
            let mut deferral = self.migration.deferral();
            deferral.armed = false;
            std::mem::take(&mut deferral.objects)
        };
        // What the preview listed is done even if a boot's fingerprint check would skip it
        // (rows rewritten by the backfill are not in a fingerprint).
        if let Err(err) = self.sync_objects(&objects, deployment, true).await {
            let mut deferral = self.migration.deferral();
            deferral.armed = true;
            deferral.objects = recorded;
            return Err(err);
        }
        Ok(performed)
    }

    async fn pending_work(&self, conn: &Conn, def: &ObjectDef) -> Result<Vec<Pending>> {
        let contract = self.contract();
        let table = def.name.clone();
        let declared: Vec<String> = def
            .fields
            .iter()
            .filter(|f| f.has_column(contract))
            .map(|f| f.name.clone())
            .collect();
        if !table_exists(conn, &table).await? {
            // Created empty: nothing to rewrite.
            return Ok(vec![Pending::new(table, "create_table", declared, None)]);
        }
        let existing = table_columns(conn, &table).await?;
        let mut out = Vec::new();
        let missing: Vec<String> = declared
            .iter()
            .filter(|c| !existing.contains(c))
            .cloned()
            .collect();
        if !missing.is_empty() {
            out.push(Pending::new(table.clone(), "add_columns", missing, None));
        }
        // The rows sync's canonicalisation of dates and times would rewrite. A count
        // that cannot run leaves the step unlisted rather than failing the plan.
        let kinds = def.kinds(contract);
        let mut steps: [(&str, Vec<String>, i64); 2] = [
            ("normalize_datetime_storage", Vec::new(), 0),
            ("normalize_time_storage", Vec::new(), 0),
        ];
        for field in def.fields.iter().filter(|f| existing.contains(&f.name)) {
            let Some(kind) = kinds.temporal(&field.name) else {
                continue;
            };
            let (Ok(t), Ok(c)) = (quote_identifier(&table), quote_identifier(&field.name)) else {
                continue;
            };
            let rows = match conn
                .query(&backfill_count_sql(&t, &c, kind), Vec::new())
                .await
            {
                Ok(set) => set
                    .rows
                    .first()
                    .and_then(|r| r.first())
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                Err(_) => 0,
            };
            if rows > 0 {
                let step = &mut steps[usize::from(kind == Temporal::Time)];
                step.1.push(field.name.clone());
                step.2 += rows;
            }
        }
        for (kind, columns, rows) in steps {
            if !columns.is_empty() {
                out.push(Pending::new(table.clone(), kind, columns, Some(rows)));
            }
        }
        Ok(out)
    }

    // --- detection --------------------------------------------------------------------

    /// Every difference between the definitions (`objects`, else the ones the last syncs
    /// were given) and the tables that exist, as the kernel's entries, by table then
    /// column.
    pub async fn detect_managed_drift(&self, objects: Option<&[Value]>) -> Result<Vec<Value>> {
        let defs: Vec<ObjectDef> = match objects {
            Some(objects) => objects
                .iter()
                .map(ObjectDef::from_value)
                .collect::<Result<_>>()?,
            None => self.migration.managed().values().cloned().collect(),
        };
        let conn = self.connect().await?.main();
        let mut out = Vec::new();
        for def in &defs {
            if table_exists(&conn, &def.name).await? {
                out.extend(self.table_drift(&conn, def).await?);
            }
        }
        let sort_key = |v: &Value| {
            let text = |k| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            (text("table"), text("column"))
        };
        out.sort_by_key(sort_key);
        Ok(out)
    }

    async fn table_drift(&self, conn: &Conn, def: &ObjectDef) -> Result<Vec<Value>> {
        let table = def.name.as_str();
        let tenant = self.catalog().tenant_field_for(def);
        let info = conn
            .query(COLUMN_TYPES_SQL, vec![Value::from(table)])
            .await?;
        let mut column_types = Vec::new();
        let mut nullability = Vec::new();
        let mut defaults = Vec::new();
        for row in &info.rows {
            let Some(name) = row.first().and_then(Value::as_str) else {
                continue;
            };
            let ty = row.get(1).and_then(Value::as_str).unwrap_or("");
            column_types.push((name.to_owned(), ty.to_owned()));
            defaults.push((
                name.to_owned(),
                row.get(3).and_then(Value::as_str).map(str::to_owned),
            ));
            nullability.push((
                name.to_owned(),
                row.get(2).and_then(Value::as_i64) == Some(1),
            ));
        }
        let columns: Vec<String> = column_types.iter().map(|(c, _)| c.clone()).collect();
        let existing = introspect::table_indexes(conn, table).await?;
        let expected: Vec<IndexSpec> = index::expected(def, table, tenant.as_deref())
            .into_iter()
            .filter(|w| {
                w.keys
                    .iter()
                    .filter_map(Key::column)
                    .all(|k| columns.iter().any(|c| c == k))
            })
            .collect();

        let mut found: Vec<Drift> =
            drift::detect(def, table, tenant.as_deref(), &columns, &existing);
        if self.contract() == Contract::ObjectStack {
            found.extend(drift::detect_columns(def, table, &nullability));
            found.extend(drift::detect_token_defaults(def, table, &defaults));
        }
        let blocked = self.probe_tightenings(conn, table, &mut found).await?;
        let facts = TableFacts {
            table,
            expected: &expected,
            existing: &existing,
            column_types: &column_types,
        };
        let mut out: Vec<Value> = found
            .iter()
            .map(|d| managed_entry::from_drift(d, &facts, blocked.contains(&d.key)))
            .collect();
        for spec in &expected {
            let present = existing.iter().any(|(name, have)| {
                *name == spec.name || have.as_ref().is_some_and(|h| h.same_keys(spec))
            });
            if !present {
                let blocked = spec.unique && self.has_duplicates(conn, table, spec).await;
                out.push(managed_entry::missing_index(table, spec, blocked));
            }
        }
        Ok(out)
    }

    /// Whether rows already collide under `spec`'s key (a probe that cannot run: no).
    async fn has_duplicates(&self, conn: &Conn, table: &str, spec: &IndexSpec) -> bool {
        let Ok(sql) = drift::duplicates_sql(spec, table) else {
            return false;
        };
        conn.query(&sql, Vec::new())
            .await
            .is_ok_and(|groups| !groups.rows.is_empty())
    }

    /// After a sync (kernel contract): column DEFAULTs spelling a runtime token (see
    /// `Op::DropColumnDefault`) are dropped under `autoMigrate: 'safe'` outside production,
    /// said otherwise. Apart from the sync's transaction, because the rebuild runs in one
    /// of its own; only tables with a field defaulting to such a token are read.
    pub(super) async fn settle_token_defaults(
        &self,
        defs: &[ObjectDef],
        deployment: Deployment,
    ) -> Result<()> {
        if self.contract() != Contract::ObjectStack {
            return Ok(());
        }
        let auto =
            self.config.auto_migrate == AutoMigrate::Safe && deployment == Deployment::Development;
        for def in defs.iter().filter(|d| {
            d.fields.iter().any(|f| {
                f.default
                    .as_ref()
                    .is_some_and(|d| is_runtime_token(d) && !is_now_token(d))
            })
        }) {
            let conn = self.connect().await?.main();
            let info = conn
                .query(COLUMN_TYPES_SQL, vec![Value::from(def.name.as_str())])
                .await?;
            let defaults: Vec<(String, Option<String>)> = info
                .rows
                .iter()
                .filter_map(|r| {
                    let name = r.first()?.as_str()?.to_owned();
                    Some((name, r.get(3).and_then(Value::as_str).map(str::to_owned)))
                })
                .collect();
            let found = drift::detect_token_defaults(def, &def.name, &defaults);
            if found.is_empty() {
                continue;
            }
            if auto {
                let ops: Vec<ColumnChange> = found
                    .iter()
                    .filter_map(|d| match &d.op {
                        Op::DropColumnDefault { column, .. } => {
                            Some((0, column.clone(), ColumnOp::DropDefault))
                        }
                        _ => None,
                    })
                    .collect();
                match self.rebuild_columns(&def.name, &ops).await {
                    Ok(()) => continue,
                    Err(err) => self.notices.warn(format!(
                        "[schema-drift] dev auto-reconcile failed for '{}' — falling back to \
                         warning: {}",
                        def.name, err.message
                    )),
                }
            }
            let mut warned = self.lock_drift_warned();
            for d in found {
                if warned.insert(d.key) {
                    self.notices.warn(format!("[schema-drift] {}", d.message));
                }
            }
        }
        Ok(())
    }

    // --- apply ------------------------------------------------------------------------

    /// Applies the entries `detect_managed_drift` answered (as given back by the caller):
    /// index ops as DDL, destructive ones only with `allow_destructive`. Malformed entries
    /// are refused before anything runs; an op that cannot run is skipped and said.
    pub async fn apply_migration_entries(
        &self,
        entries: &[Value],
        allow_destructive: bool,
    ) -> Result<Applied> {
        self.schema_mutable("reconcileManagedSchema")?;
        let parsed = entries
            .iter()
            .enumerate()
            .map(|(i, e)| managed_entry::parse(e, i))
            .collect::<Result<Vec<_>>>()?;
        let mut out = Applied::default();
        let conn = self.connect().await?.main();
        // Column ops first, one rebuild per table (a dropped column takes its indexes
        // with it), then index ops.
        let mut rebuilds: Vec<(String, Vec<ColumnChange>)> = Vec::new();
        let mut indexes = Vec::new();
        for (i, p) in parsed.into_iter().enumerate() {
            if p.destructive && !allow_destructive {
                out.skipped.push(i);
                continue;
            }
            match p.action {
                // SQLite keeps no declared length: nothing to change.
                Action::Column {
                    change: ColumnOp::Length,
                    ..
                } => out.applied.push(i),
                Action::Column {
                    table,
                    column,
                    change,
                } => match rebuilds.iter_mut().find(|(t, _)| *t == table) {
                    Some((_, ops)) => ops.push((i, column, change)),
                    None => rebuilds.push((table, vec![(i, column, change)])),
                },
                action => indexes.push((i, action)),
            }
        }
        for (table, ops) in rebuilds {
            let positions = ops.iter().map(|(i, _, _)| *i);
            match self.rebuild_columns(&table, &ops).await {
                Ok(()) => out.applied.extend(positions),
                Err(err) => {
                    self.notices.warn(format!(
                        "[schema-drift] could not rebuild '{table}', nothing of it changed: {}",
                        err.message
                    ));
                    out.skipped.extend(positions);
                }
            }
        }
        for (i, action) in indexes {
            if self.apply_action(&conn, &action).await? {
                out.applied.push(i);
            } else {
                out.skipped.push(i);
            }
        }
        out.applied.sort_unstable();
        out.skipped.sort_unstable();
        Ok(out)
    }

    /// The column ops of one table, in one rebuild (`Driver::rebuild_tables`): the stored
    /// table definition with only those columns rewritten, its rows copied, its indexes
    /// and triggers recreated, in one transaction on a connection of its own. Making a
    /// column NOT NULL is refused while a row holds NULL in it. A column already gone
    /// counts as dropped.
    async fn rebuild_columns(&self, table: &str, ops: &[ColumnChange]) -> Result<()> {
        let columns = ops
            .iter()
            .filter_map(|(_, column, change)| {
                let change = match change {
                    ColumnOp::Drop => migrate::ColumnChange::Drop,
                    ColumnOp::RelaxNotNull => migrate::ColumnChange::NotNull(false),
                    ColumnOp::TightenNotNull => migrate::ColumnChange::NotNull(true),
                    ColumnOp::DropDefault => migrate::ColumnChange::Default(None),
                    ColumnOp::Length => return None,
                };
                Some((column.clone(), change))
            })
            .collect();
        let change = migrate::TableChange {
            table: table.to_owned(),
            columns,
        };
        self.rebuild_tables(&[change]).await.map(|_| ())
    }

    async fn apply_action(&self, conn: &Conn, action: &Action) -> Result<bool> {
        match action {
            Action::ReplaceUnique {
                table,
                create,
                drop,
            } => {
                // Created before the legacy ones are dropped: the value is never unguarded,
                // and a replacement that cannot be made leaves them.
                if !self.ensure_index(conn, table, create).await? {
                    self.notices.warn(format!(
                        "[schema-drift] keeping legacy unique index(es) {} on '{table}' — the \
                         replacement '{}' could not be created.",
                        drop.join(", "),
                        create.name
                    ));
                    return Ok(false);
                }
                for name in drop {
                    conn.batch(&index::drop_sql(name)?).await?;
                }
                Ok(true)
            }
            Action::CreateIndex { table, spec } => self.ensure_index(conn, table, spec).await,
            Action::DropIndex { name, .. } => {
                conn.batch(&index::drop_sql(name)?).await?;
                Ok(true)
            }
            Action::RecreateIndex { table, spec } => self.recreate_index(conn, table, spec).await,
            Action::Column { .. } => Ok(false),
            Action::Unsupported(kind) => {
                self.notices.warn(format!(
                    "[schema-drift] op '{kind}' is not supported by this driver — skipped."
                ));
                Ok(false)
            }
        }
    }

    /// Creates `spec` unless an index of that name exists; false when it cannot be made
    /// (a column it names is missing, or the rows break a unique one: said).
    async fn ensure_index(&self, conn: &Conn, table: &str, spec: &IndexSpec) -> Result<bool> {
        if !table_exists(conn, table).await? {
            return Ok(false);
        }
        let existing = introspect::table_indexes(conn, table).await?;
        if existing.iter().any(|(n, _)| *n == spec.name) {
            return Ok(true);
        }
        let columns = table_columns(conn, table).await?;
        if !spec
            .keys
            .iter()
            .filter_map(Key::column)
            .all(|k| columns.iter().any(|c| c == k))
        {
            return Ok(false);
        }
        match conn.batch(&spec.create_sql(table)?).await {
            Ok(()) => Ok(true),
            Err(err) if err.code == ErrorCode::UniqueViolation => {
                self.notices.error(format!(
                    "[schema-drift] could not create the unique index '{}' on '{table}': rows \
                     already hold duplicate values under it ({}). Deduplicate them and run \"os \
                     migrate plan\" again.",
                    spec.name, err.message
                ));
                Ok(false)
            }
            Err(err) => Err(err),
        }
    }

    /// Drops the index of `spec.name` and creates `spec`, in one transaction: if the new
    /// one cannot be made the old one stays. A unique index the rows would break is
    /// refused before anything is dropped.
    async fn recreate_index(&self, conn: &Conn, table: &str, spec: &IndexSpec) -> Result<bool> {
        if !table_exists(conn, table).await? {
            return Ok(false);
        }
        if spec.unique && self.has_duplicates(conn, table, spec).await {
            self.notices.error(format!(
                "[schema-drift] REFUSING to rebuild '{}' on '{table}' as {} — existing rows hold \
                 duplicate values under it. The existing index is left in place; deduplicate and \
                 run \"os migrate plan\" again.",
                spec.name,
                drift::signature(spec)
            ));
            return Ok(false);
        }
        let rebuilt = atomically(conn, async |conn: &Conn| {
            conn.batch(&index::drop_sql(&spec.name)?).await?;
            conn.batch(&spec.create_sql(table)?).await
        })
        .await;
        match rebuilt {
            Ok(()) => Ok(true),
            Err(err) if err.code == ErrorCode::UniqueViolation => {
                self.notices.error(format!(
                    "[schema-drift] could not rebuild '{}' on '{table}' ({}); the previous index \
                     is kept.",
                    spec.name, err.message
                ));
                Ok(false)
            }
            Err(err) => Err(err),
        }
    }
}

/// One step of the deferred sync (the kernel's `PendingSchemaWork`).
struct Pending {
    table: String,
    kind: &'static str,
    columns: Vec<String>,
    rows: Option<i64>,
}

impl Pending {
    fn new(table: String, kind: &'static str, columns: Vec<String>, rows: Option<i64>) -> Self {
        Pending {
            table,
            kind,
            columns,
            rows,
        }
    }

    fn key(&self) -> (&str, &str) {
        (&self.table, self.kind)
    }

    fn into_value(self) -> Value {
        let mut out = vec![
            ("table".to_owned(), Value::Text(self.table)),
            ("kind".to_owned(), Value::from(self.kind)),
            (
                "columns".to_owned(),
                Value::Array(self.columns.into_iter().map(Value::Text).collect()),
            ),
        ];
        out.extend(self.rows.map(|n| ("rows".to_owned(), Value::Integer(n))));
        Value::Object(out)
    }
}
