//! Schema work: tables, columns and indexes from definitions (in one transaction), what
//! the driver learns without DDL, and what the database holds.

use super::{atomically, Driver, SyncStats};
use crate::autonumber::ensure_sequences;
use crate::catalog::Audit;
use crate::config::{AutoMigrate, Deployment};
use crate::config::{Contract, SchemaMode};
use crate::error::{Error, ErrorCode, Result};
use crate::identifier::quote_identifier;
use crate::migrate::live::LiveSchema;
use crate::migrate::plan::additions;
use crate::notice::Level;
use crate::schema::drift::{self, Drift, Op};
use crate::schema::fingerprint;
use crate::schema::index::{self, IndexSpec, Key};
use crate::schema::introspect::{self, table_columns};
use crate::schema::ObjectDef;
use crate::shared_schema::SharedSchema;
use crate::store::conn::Conn;
use crate::store::database::Database;
use crate::temporal::backfill_sql;
use crate::value::Value;
use std::sync::atomic::Ordering;

impl Driver {
    /// [`Driver::sync_schema_in`] of a development deployment.
    pub async fn sync_schema(&self, objects: &[Value]) -> Result<()> {
        self.sync_schema_in(objects, Deployment::Development).await
    }

    /// Creates missing tables, columns (and, for the kernel, the audit columns) and
    /// indexes, all in one transaction, and reports indexes that differ from their
    /// definitions (see `schema::drift`); then the driver knows the objects.
    pub async fn sync_schema_in(&self, objects: &[Value], deployment: Deployment) -> Result<()> {
        self.sync_objects(objects, deployment, false).await
    }

    /// `full`: run the sync's work even where the stored fingerprints say the tables are
    /// as it would leave them (rows written around the driver since, in a form the sync
    /// converges, are not in a fingerprint): an explicit migrate, not a boot.
    pub(super) async fn sync_objects(
        &self,
        objects: &[Value],
        deployment: Deployment,
        full: bool,
    ) -> Result<()> {
        self.schema_mutable("initObjects")?;
        let defs = parse_defs(objects)?;
        if self.defer_sync(objects, &defs) {
            return Ok(());
        }
        let database = self.connect().await?;
        let conn = database.main();
        let fingerprints = self.fingerprints(objects, &defs);
        let wanted: Vec<(&str, &str)> = defs
            .iter()
            .zip(&fingerprints)
            .map(|(def, f)| (def.name.as_str(), f.as_str()))
            .collect();
        let created = if !full && fingerprint::all_current(&conn, &wanted).await {
            Vec::new()
        } else {
            self.apply_defs(&conn, &defs, &wanted, deployment).await?
        };
        for def in &defs {
            self.own_catalog().register(def, Audit::Present);
        }
        self.remember_managed(&defs);
        self.count_synced(&defs, &created);
        self.settle_token_defaults(&defs, deployment).await
    }

    /// Brings a tenant's database to the shared definitions (see `shared_schema.rs`): the
    /// fingerprint check, and the sync's DDL where it fails. The shared catalog knows the
    /// objects already; a driver with a catalog of its own learns them in it.
    pub(super) async fn apply_shared(
        &self,
        database: &Database,
        shared: &SharedSchema,
    ) -> Result<()> {
        let current = shared.current();
        let conn = database.main();
        let wanted: Vec<(&str, &str)> = current
            .defs
            .iter()
            .zip(&current.fingerprints)
            .map(|(def, f)| (def.name.as_str(), f.as_str()))
            .collect();
        let created = if fingerprint::all_current(&conn, &wanted).await {
            Vec::new()
        } else {
            self.schema_mutable("initObjects")?;
            self.apply_defs(&conn, &current.defs, &wanted, current.deployment)
                .await?
        };
        if let Some(own) = self.forked.get() {
            for def in &current.defs {
                own.register(def, Audit::Present);
            }
        }
        self.count_synced(&current.defs, &created);
        self.applied.store(current.generation, Ordering::Release);
        Ok(())
    }

    /// The fingerprint of each definition (see `schema::fingerprint`).
    fn fingerprints(&self, objects: &[Value], defs: &[ObjectDef]) -> Vec<String> {
        objects
            .iter()
            .zip(defs)
            .map(|(value, def)| {
                let tenant = self.catalog().tenant_field_for(def);
                fingerprint::of(value, self.contract(), tenant.as_deref())
            })
            .collect()
    }

    /// The DDL of a sync, in one transaction, and the fingerprints of the objects it left
    /// with nothing to report; returns the tables it created. Its notices are said once
    /// it has committed.
    async fn apply_defs(
        &self,
        conn: &Conn,
        defs: &[ObjectDef],
        wanted: &[(&str, &str)],
        deployment: Deployment,
    ) -> Result<Vec<String>> {
        let contract = self.contract();
        let mut said = Vec::new();
        let created = atomically(conn, async |conn: &Conn| {
            said.clear();
            let started = fingerprint::cookie(conn).await?;
            let mut created = Vec::new();
            let (mut clean, mut unclean) = (Vec::new(), Vec::new());
            // What the tables are now: one read for the whole sync. The statements that
            // complete them are the migration planner's (one DDL home).
            let live = LiveSchema::read(conn).await?;
            for (def, wanted) in defs.iter().zip(wanted) {
                let before = said.len();
                let table = live.table(&def.name);
                let existed = table.is_some();
                if !existed {
                    created.push(def.name.clone());
                }
                for sql in additions(def, contract, table)? {
                    conn.batch(&sql).await?;
                }
                if existed {
                    canonicalise_temporal_columns(conn, def, contract).await?;
                }
                self.sync_indexes(conn, def, deployment, &mut said).await?;
                if def.fields.iter().any(|f| f.autonumber.is_some()) && contract.spec_field_types()
                {
                    ensure_sequences(conn).await?;
                }
                if said.len() == before {
                    clean.push(*wanted);
                } else {
                    unclean.push(wanted.0);
                }
            }
            fingerprint::record(conn, started, &clean, &unclean).await?;
            Ok(created)
        })
        .await?;
        let mut warned = self.lock_drift_warned();
        for said in said {
            if warned.insert(said.key) {
                self.notices.say(said.level, said.message);
            }
        }
        Ok(created)
    }

    /// Counts the objects of a sync in [`SyncStats`]: created by it, or found.
    fn count_synced(&self, defs: &[ObjectDef], created: &[String]) {
        let mut stats = self.lock_stats();
        for def in defs {
            if created.contains(&def.name) {
                stats.created.insert(def.name.clone());
            } else if !stats.created.contains(&def.name) {
                stats.existing.insert(def.name.clone());
            }
        }
    }

    /// Creates the indexes `def` asks for that the table lacks (sync only adds), then
    /// reports how the rest differ (see `schema::drift`); with `autoMigrate: 'safe'`
    /// outside production it first applies the differences that are safe. What it has to
    /// say goes to `said`, for the notices once the sync has committed.
    async fn sync_indexes(
        &self,
        conn: &Conn,
        def: &ObjectDef,
        deployment: Deployment,
        said: &mut Vec<Said>,
    ) -> Result<()> {
        let tenant = self.catalog().tenant_field_for(def);
        let columns = table_columns(conn, &def.name).await?;
        let mut expected = Vec::new();
        for spec in index::expected(def, &def.name, tenant.as_deref()) {
            let missing = spec
                .keys
                .iter()
                .filter_map(Key::column)
                .find(|k| !columns.iter().any(|c| c == k));
            match missing {
                None => expected.push(spec),
                // A field without a column (a formula the engine computes) has nothing to
                // index: skipped, and said.
                Some(field) if def.field(field).is_some() => said.push(Said::once(
                    Level::Warn,
                    format!("skip:{}:{}", def.name, spec.name),
                    format!(
                        "[sql-driver] skipping declared index \"{}\" on \"{}\" — column(s) not \
                         materialized: {field}",
                        spec.name, def.name
                    ),
                )),
                // SQLite reads an unknown "name" in CREATE INDEX as a string constant: an
                // index on a misspelt field would index one value, a unique one hold one row.
                Some(field) => {
                    return Err(Error::invalid(format!(
                        "Index \"{}\" of \"{}\" names \"{field}\", which is not a field of the \
                         object (its columns: {}); nothing of this sync was applied",
                        spec.name,
                        def.name,
                        columns.join(", ")
                    )))
                }
            }
        }
        let existing = introspect::table_indexes(conn, &def.name).await?;
        for spec in &expected {
            let present = existing.iter().any(|(name, have)| {
                *name == spec.name || have.as_ref().is_some_and(|h| h.same_keys(spec))
            });
            if !present {
                create_index(conn, &def.name, spec).await?;
            }
        }

        let existing = introspect::table_indexes(conn, &def.name).await?;
        let mut found = drift::detect(def, &def.name, tenant.as_deref(), &columns, &existing);
        if self.contract() == Contract::ObjectStack {
            let physical = introspect::column_nullability(conn, &def.name).await?;
            found.extend(drift::detect_columns(def, &def.name, &physical));
        }
        if found.is_empty() {
            return Ok(());
        }
        let blocked = self.probe_tightenings(conn, &def.name, &mut found).await?;
        match (self.config.auto_migrate, deployment) {
            (AutoMigrate::Safe, Deployment::Production) => said.push(Said::once(
                Level::Warn,
                "production:autoMigrate".to_owned(),
                "[schema-drift] autoMigrate='safe' is ignored under NODE_ENV=production — schema \
                 is never auto-altered in production. Run 'os migrate' deliberately."
                    .to_owned(),
            )),
            (AutoMigrate::Safe, Deployment::Development) => {
                let mut applied = false;
                for d in found.iter().filter(|d| !blocked.contains(&d.key)) {
                    match &d.op {
                        Op::ReplaceUnique { legacy, .. } => {
                            for name in legacy {
                                conn.batch(&index::drop_sql(name)?).await?;
                            }
                        }
                        Op::Recreate {
                            want,
                            tighten_null_safe: true,
                        } => {
                            conn.batch(&index::drop_sql(&want.name)?).await?;
                            conn.batch(&want.create_sql(&def.name)?).await?;
                        }
                        _ => continue,
                    }
                    applied = true;
                }
                if applied {
                    let existing = introspect::table_indexes(conn, &def.name).await?;
                    let columns_found: Vec<Drift> = found
                        .drain(..)
                        .filter(|d| {
                            matches!(
                                d.op,
                                Op::OrphanColumn { .. }
                                    | Op::RelaxNotNull { .. }
                                    | Op::TightenNotNull { .. }
                            )
                        })
                        .collect();
                    found = drift::detect(def, &def.name, tenant.as_deref(), &columns, &existing);
                    found.extend(columns_found);
                    self.probe_tightenings(conn, &def.name, &mut found).await?;
                }
            }
            (AutoMigrate::Off, _) => {}
        }
        for d in found {
            let level = if blocked.contains(&d.key) {
                Level::Error
            } else {
                Level::Warn
            };
            said.push(Said::once(
                level,
                d.key,
                format!("[schema-drift] {}", d.message),
            ));
        }
        Ok(())
    }

    /// Runs the duplicate probe of each NULL-safe tightening in `found` and says its
    /// verdict in the drift's message; returns the keys of the ones the rows block.
    pub(super) async fn probe_tightenings(
        &self,
        conn: &Conn,
        table: &str,
        found: &mut [Drift],
    ) -> Result<Vec<String>> {
        let mut blocked = Vec::new();
        for d in found.iter_mut() {
            let Op::Recreate {
                want,
                tighten_null_safe: true,
            } = &d.op
            else {
                continue;
            };
            let groups = conn
                .query(&drift::duplicates_sql(want, table)?, Vec::new())
                .await?;
            if groups.rows.is_empty() {
                d.message.push_str(
                    " The duplicate probe found no conflicting rows: a pure tightening, applied by \
                     \"os migrate apply\" (and at sync under autoMigrate: 'safe' outside production).",
                );
                continue;
            }
            let report: Vec<String> = groups
                .rows
                .iter()
                .take(5)
                .map(|row| {
                    let (count, key) = row
                        .split_last()
                        .map_or((None, &row[..]), |(c, k)| (Some(c), k));
                    let key: Vec<String> = want
                        .keys
                        .iter()
                        .filter_map(Key::column)
                        .zip(key)
                        .map(|(c, v)| format!("{c}={}", v.to_json()))
                        .collect();
                    format!(
                        "({}) × {} rows",
                        key.join(", "),
                        count.map_or_else(String::new, |c| c.to_json())
                    )
                })
                .collect();
            d.message = format!(
                "{table}: cannot tighten '{}' — existing rows already violate the NULL-safe unique \
                 constraint (duplicates the old NULL-distinct index admitted, #5030): {}. The op is \
                 BLOCKED and the existing index stays in place (ADR-0120 D4). Deduplicate the \
                 listed rows, then sync again.",
                want.name,
                report.join("; ")
            );
            blocked.push(d.key.clone());
        }
        Ok(blocked)
    }

    /// Learns object definitions without touching the database (a boot that skips
    /// schema sync): their kinds, tenant fields, autonumbers, and that their tables are
    /// presumed to have the audit columns.
    pub fn register_objects(&self, objects: &[Value]) -> Result<()> {
        for def in parse_defs(objects)? {
            self.own_catalog().register(&def, Audit::Presumed);
        }
        Ok(())
    }

    /// Learns an object whose table the driver does not manage (`external.remoteName`
    /// names the table when it differs).
    pub fn register_external(&self, object: &Value) -> Result<()> {
        let def = ObjectDef::from_value(object)?;
        self.own_catalog().register(&def, Audit::Absent);
        Ok(())
    }

    /// Refuses schema DDL on a database the driver does not own (`schemaMode` other than
    /// `managed`): the one place every DDL entry point asks.
    pub(super) fn schema_mutable(&self, operation: &str) -> Result<()> {
        let mode = self.config.schema_mode;
        if mode == SchemaMode::Managed {
            return Ok(());
        }
        Err(Error::new(
            ErrorCode::SchemaModeViolation,
            format!(
                "DDL operation '{operation}' is forbidden: datasource schemaMode='{}'. \
                 ObjectStack never mutates the schema of an external database.",
                mode.as_str()
            ),
        ))
    }

    pub fn sync_stats(&self) -> SyncStats {
        self.lock_stats().clone()
    }

    pub async fn drop_table(&self, object: &str) -> Result<()> {
        self.schema_mutable("dropTable")?;
        let sql = format!("DROP TABLE IF EXISTS {}", quote_identifier(object)?);
        let database = self.connect().await?;
        database.main().batch(&sql).await?;
        Ok(())
    }

    /// Every table, in the contract's shape (see `schema::introspect`).
    pub async fn introspect(&self) -> Result<Value> {
        let conn = self.conn(None).await?;
        introspect::introspect(&conn, self.contract()).await
    }

    /// `PRAGMA optimize` and, where the file has free pages, an incremental vacuum.
    pub async fn reclaim_space(&self) -> Result<()> {
        let conn = self.conn(None).await?;
        conn.batch("PRAGMA incremental_vacuum").await?;
        conn.batch("PRAGMA optimize").await
    }
}

/// Rewrites the dates, date-times and times that earlier versions of this driver stored
/// as the caller gave them into the kernel's stored forms, so filters and sorts compare
/// like with like and the kernel's own driver reads the file alike.
async fn canonicalise_temporal_columns(
    conn: &Conn,
    def: &ObjectDef,
    contract: crate::config::Contract,
) -> Result<()> {
    let kinds = def.kinds(contract);
    let table = quote_identifier(&def.name)?;
    for field in def.fields.iter().filter(|f| f.has_column(contract)) {
        if let Some(kind) = kinds.temporal(&field.name) {
            let column = quote_identifier(&field.name)?;
            conn.batch(&backfill_sql(&table, &column, kind)).await?;
        }
    }
    Ok(())
}

/// A notice a sync has for after it commits, said once per driver (by `key`).
struct Said {
    key: String,
    level: Level,
    message: String,
}

impl Said {
    fn once(level: Level, key: String, message: String) -> Said {
        Said {
            key,
            level,
            message,
        }
    }
}

/// Creates `spec`; a unique index the rows already break is refused with the fields named,
/// and the sync rolls back (a constraint the definition asks for is not left unenforced).
async fn create_index(conn: &Conn, table: &str, spec: &IndexSpec) -> Result<()> {
    let Err(err) = conn.batch(&spec.create_sql(table)?).await else {
        return Ok(());
    };
    if err.code != ErrorCode::UniqueViolation {
        return Err(err);
    }
    Err(Error::query(format!(
        "Cannot make {} of \"{table}\" unique: rows already hold duplicate values ({}). Remove \
         the duplicates, then sync the schema again; nothing of this sync was applied.",
        spec.fields()
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect::<Vec<_>>()
            .join(", "),
        err.message
    )))
}

fn parse_defs(objects: &[Value]) -> Result<Vec<ObjectDef>> {
    objects.iter().map(ObjectDef::from_value).collect()
}
