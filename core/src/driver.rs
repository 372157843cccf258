//! `TursoDriver`'s operations over one database. Every method is `async` because remote
//! databases need it; for local ones the futures finish on their first poll, so the
//! binding runs them inline (see `poll.rs`).
//!
//! Each data method takes a [`Call`]: the transaction it runs in and the tenant it runs
//! for. What the driver knows about the object (its table, field kinds, tenant field,
//! autonumbers, audit columns) comes from the [`Catalog`]; the SQL from `query`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::autonumber::{Day, CREATE_SEQUENCES_SQL};
use crate::catalog::{Audit, Catalog, ObjectMeta};
use crate::config::{Contract, DriverConfig};
use crate::conn::{Changes, Conn, ReadBack};
use crate::database::Database;
use crate::dates::now_iso;
use crate::error::{Error, ErrorCode, Result};
use crate::identifier::{push_identifier, quote_identifier};
use crate::query::{self, write, Compiled, FindQuery, Scope, TenantScope};
use crate::record::{Batch, Record};
use crate::record_id::record_id;
use crate::rows::{serialize_record, FieldKinds, Kind, RowSet};
use crate::schema::index::{self, Change, Key};
use crate::schema::introspect::{self, table_columns, table_exists};
use crate::schema::{ObjectDef, AUDIT_COLUMNS};
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
    catalog: Catalog,
    stats: Mutex<SyncStats>,
}

impl Driver {
    pub fn new(config: DriverConfig) -> Driver {
        Driver {
            catalog: Catalog::new(config.contract),
            config,
            database: Mutex::default(),
            stats: Mutex::default(),
        }
    }

    pub fn config(&self) -> &DriverConfig {
        &self.config
    }

    fn contract(&self) -> Contract {
        self.config.contract
    }

    /// Opens the database unless it is open already.
    pub async fn connect(&self) -> Result<Arc<Database>> {
        if let Some(database) = self.current() {
            return Ok(database);
        }
        let opened = Arc::new(Database::open(&self.config).await?);
        let mut slot = self.lock_database();
        // Another caller may have connected while this one was opening: keep the first.
        Ok(slot.get_or_insert(opened).clone())
    }

    /// Closes the database; open transactions are rolled back by SQLite as their
    /// connections close. A later call reconnects.
    pub fn disconnect(&self) {
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

    // --- schema -------------------------------------------------------------------------

    /// Creates missing tables, adds missing columns (and, for the kernel, the audit
    /// columns) and brings the indexes in line with the definitions, all in one
    /// transaction; then the driver knows the objects.
    pub async fn sync_schema(&self, objects: &[Value]) -> Result<()> {
        let defs = parse_defs(objects)?;
        let contract = self.contract();
        let database = self.connect().await?;
        let conn = database.main();
        let created = atomically(&conn, async |conn: &Conn| {
            let mut created = Vec::new();
            for def in &defs {
                if !table_exists(conn, &def.name).await? {
                    created.push(def.name.clone());
                }
                conn.batch(&def.create_table_sql(contract)?).await?;
                let existing = table_columns(conn, &def.name).await?;
                for audit in def.missing_audit_columns(contract) {
                    if !existing.iter().any(|c| c == audit) {
                        let mut sql = String::from("ALTER TABLE ");
                        push_identifier(&mut sql, &def.name)?;
                        sql.push_str(&format!(" ADD COLUMN \"{audit}\" TEXT"));
                        conn.batch(&sql).await?;
                    }
                }
                for field in def.fields.iter().filter(|f| f.has_column(contract)) {
                    if !existing.iter().any(|c| c == &field.name) {
                        conn.batch(&def.add_column_sql(field, contract)?).await?;
                    }
                }
                self.sync_indexes(conn, def).await?;
                if def.fields.iter().any(|f| f.autonumber.is_some()) && contract.spec_field_types()
                {
                    conn.batch(CREATE_SEQUENCES_SQL).await?;
                }
            }
            Ok(created)
        })
        .await?;
        for def in &defs {
            self.catalog.register(def, Audit::Present);
        }
        let mut stats = self.lock_stats();
        for def in &defs {
            if created.contains(&def.name) {
                stats.created.insert(def.name.clone());
            } else if !stats.created.contains(&def.name) {
                stats.existing.insert(def.name.clone());
            }
        }
        Ok(())
    }

    /// Creates, replaces and drops indexes so the table has the ones `def` asks for.
    async fn sync_indexes(&self, conn: &Conn, def: &ObjectDef) -> Result<()> {
        let tenant = self.catalog.tenant_field_for(def);
        let expected = index::expected(def, &def.name, tenant.as_deref());
        let existing = introspect::table_indexes(conn, &def.name).await?;
        let fields: Vec<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
        for change in index::plan(&def.name, &expected, &existing, &fields) {
            match change {
                Change::Drop(name) => conn.batch(&index::drop_sql(&name)?).await?,
                Change::Create(spec) => {
                    let created = conn.batch(&spec.create_sql(&def.name)?).await;
                    if let Err(err) = created {
                        if err.code != ErrorCode::UniqueViolation {
                            return Err(err);
                        }
                        // Refused rather than dropped silently: the rows must be fixed.
                        return Err(Error::query(format!(
                            "Cannot make {} of \"{}\" unique: rows already hold duplicate values \
                             ({}). Remove the duplicates, then sync the schema again; nothing of \
                             this sync was applied.",
                            spec.fields()
                                .iter()
                                .map(|f| format!("\"{f}\""))
                                .collect::<Vec<_>>()
                                .join(", "),
                            def.name,
                            err.message
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// Learns object definitions without touching the database (a boot that skips
    /// schema sync): their kinds, tenant fields, autonumbers, and that their tables are
    /// presumed to have the audit columns.
    pub fn register_objects(&self, objects: &[Value]) -> Result<()> {
        for def in parse_defs(objects)? {
            self.catalog.register(&def, Audit::Presumed);
        }
        Ok(())
    }

    /// Learns an object whose table the driver does not manage (`external.remoteName`
    /// names the table when it differs).
    pub fn register_external(&self, object: &Value) -> Result<()> {
        let def = ObjectDef::from_value(object)?;
        self.catalog.register(&def, Audit::Absent);
        Ok(())
    }

    pub fn sync_stats(&self) -> SyncStats {
        self.lock_stats().clone()
    }

    pub async fn drop_table(&self, object: &str) -> Result<()> {
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

    // --- reads --------------------------------------------------------------------------

    pub async fn find(&self, object: &str, query: &Value, call: impl Into<Call>) -> Result<RowSet> {
        let call = call.into();
        let meta = self.catalog.get(object);
        let scope = self.scope(&meta, &call);
        let q = query::parse_find_query_in(scope, query)?;
        self.select(&meta, scope, q, call.tx).await
    }

    /// One record by id, or by query (the kernel passes `{ where, ... }` instead of an id).
    pub async fn find_one(
        &self,
        object: &str,
        id: &Value,
        call: impl Into<Call>,
    ) -> Result<RowSet> {
        let call = call.into();
        let meta = self.catalog.get(object);
        let scope = self.scope(&meta, &call);
        match id {
            Value::Object(_) => {
                let mut q = query::parse_find_query_in(scope, id)?;
                q.limit = Some(1);
                q.single_row = true;
                self.select(&meta, scope, q, call.tx).await
            }
            id => {
                let by_id =
                    write::select_one(&meta.table, &write::where_id(scope, record_id(id)?)?)?;
                self.read(&meta, by_id, call.tx).await
            }
        }
    }

    /// Runs a `find` query. A projection naming a column the table lacks (an audit
    /// column of an object that never had one) is retried without it; under the kernel
    /// contract a filter on a missing column is refused with `INVALID_FILTER`.
    async fn select(
        &self,
        meta: &ObjectMeta,
        scope: Scope<'_>,
        mut q: FindQuery,
        tx: Option<u32>,
    ) -> Result<RowSet> {
        let conn = self.conn(tx).await?;
        loop {
            let compiled = query::compile_find_query(scope, q.clone())?;
            match conn.query(&compiled.sql, compiled.args).await {
                Ok(rows) => return Ok(rows.map_kinds(&meta.kinds)),
                Err(err) => {
                    let missing = err.missing_column().map(str::to_owned);
                    match missing {
                        Some(column)
                            if self.contract() == Contract::ObjectStack
                                && q.fields.contains(&column) =>
                        {
                            q.fields.retain(|f| *f != column);
                        }
                        _ => {
                            let sorted = q
                                .sort
                                .iter()
                                .any(|k| Some(k.field.as_str()) == err.missing_column());
                            return Err(self.refine(meta, err, !sorted));
                        }
                    }
                }
            }
        }
    }

    pub async fn count(&self, object: &str, filter: &Value, call: impl Into<Call>) -> Result<i64> {
        let call = call.into();
        let meta = self.catalog.get(object);
        let compiled = query::compile_count(self.scope(&meta, &call), filter)?;
        let conn = self.conn(call.tx).await?;
        let rows = conn
            .query(&compiled.sql, compiled.args)
            .await
            .map_err(|e| self.refine(&meta, e, true))?;
        Ok(rows
            .first_value("count")
            .and_then(Value::as_i64)
            .unwrap_or(0))
    }

    pub async fn distinct(
        &self,
        object: &str,
        field: &str,
        filter: &Value,
        call: impl Into<Call>,
    ) -> Result<Vec<Value>> {
        let call = call.into();
        let meta = self.catalog.get(object);
        let compiled = query::compile_distinct(self.scope(&meta, &call), field, filter)?;
        let rows = self.read(&meta, compiled, call.tx).await?.parse_json();
        Ok(rows
            .rows
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .collect())
    }

    pub async fn aggregate(
        &self,
        object: &str,
        query: &Value,
        call: impl Into<Call>,
    ) -> Result<RowSet> {
        let call = call.into();
        let meta = self.catalog.get(object);
        let scope = self.scope(&meta, &call);
        if !query::is_kernel_aggregate(query) {
            let compiled = query::compile_aggregate(scope, query)?;
            return self.read(&meta, compiled, call.tx).await;
        }
        let agg = query::compile_kernel_aggregate(scope, query)?;
        let conn = self.conn(call.tx).await?;
        let rows = conn
            .query(&agg.compiled.sql, agg.compiled.args)
            .await
            .map_err(|e| self.refine(&meta, e, true))?;
        // A group value reads like its field (a boolean group is true/false); the
        // aggregation results stay numbers, even under a field's name.
        let mut groups = FieldKinds::default();
        for (field, name) in agg.group_columns {
            match meta.kinds.kind(&field) {
                Kind::Json | Kind::JsonStrict => groups.json.insert(name),
                Kind::Boolean => groups.boolean.insert(name),
                Kind::Number => groups.numeric.insert(name),
                Kind::Plain | Kind::Time => false,
            };
        }
        Ok(rows.map_kinds(&groups))
    }

    pub async fn explain(
        &self,
        object: &str,
        query: &Value,
        call: impl Into<Call>,
    ) -> Result<RowSet> {
        let call = call.into();
        let meta = self.catalog.get(object);
        let compiled = query::compile_find(self.scope(&meta, &call), query)?;
        let conn = self.conn(call.tx).await?;
        conn.query(
            &format!("EXPLAIN QUERY PLAN {}", compiled.sql),
            compiled.args,
        )
        .await
    }

    async fn read(&self, meta: &ObjectMeta, compiled: Compiled, tx: Option<u32>) -> Result<RowSet> {
        let conn = self.conn(tx).await?;
        let rows = conn
            .query(&compiled.sql, compiled.args)
            .await
            .map_err(|e| self.refine(meta, e, true))?;
        Ok(rows.map_kinds(&meta.kinds))
    }

    // --- writes -------------------------------------------------------------------------

    /// Inserts one record and returns it as stored.
    pub async fn create(
        &self,
        object: &str,
        record: Record,
        call: impl Into<Call>,
    ) -> Result<RowSet> {
        self.create_one(object, Batch::single(record)?, call).await
    }

    /// `create` for a record already in batch form (one row), as the binding sends it.
    pub async fn create_one(
        &self,
        object: &str,
        record: Batch,
        call: impl Into<Call>,
    ) -> Result<RowSet> {
        let call = call.into();
        let meta = self.catalog.get(object);
        let batch = self.prepare_insert(&meta, record, &call)?;
        let conn = self.conn(call.tx).await?;
        let read = write::select_by_rowid(&meta.table)?;
        let rows = if meta.autonumbers.is_empty() {
            self.insert_returning(&conn, &meta, batch, &read).await?
        } else {
            let numbered = atomically(&conn, async |conn: &Conn| {
                let batch = self.number(conn, &meta, batch, &call).await?;
                self.insert_returning(conn, &meta, batch, &read).await
            });
            numbered.await?
        };
        Ok(rows.map_kinds(&meta.kinds))
    }

    /// Inserts the one row of `batch` and reads it back; a table presumed to have audit
    /// columns that lacks them is learnt about, and the row inserted without them.
    async fn insert_returning(
        &self,
        conn: &Conn,
        meta: &ObjectMeta,
        mut batch: Batch,
        read: &str,
    ) -> Result<RowSet> {
        loop {
            let insert = write::insert(&meta.table, &batch.columns, 1, "")?;
            let args = batch.rows.first().cloned().unwrap_or_default();
            match conn
                .write_returning(&insert, args, ReadBack::Rowid(read))
                .await
            {
                Err(err) if self.lacks_audit_column(meta, &err) => {
                    for audit in AUDIT_COLUMNS {
                        batch.remove(audit);
                    }
                }
                result => return result.map_err(|e| self.refine(meta, e, false)),
            }
        }
    }

    /// Whether `err` says the table has no audit column where the driver presumed one;
    /// if so, the driver stops presuming it.
    fn lacks_audit_column(&self, meta: &ObjectMeta, err: &Error) -> bool {
        let lacking = meta.audit() == Audit::Presumed
            && err
                .missing_column()
                .is_some_and(|c| AUDIT_COLUMNS.contains(&c));
        if lacking {
            meta.set_audit(Audit::Absent);
        }
        lacking
    }

    /// Ready to insert: ids and cell encodings (`Batch::prepare_insert`), the caller's
    /// tenant where a row has none, and the audit stamps where a row has none.
    fn prepare_insert(&self, meta: &ObjectMeta, batch: Batch, call: &Call) -> Result<Batch> {
        let mut batch = batch.prepare_insert(&meta.kinds)?;
        if let (Some(field), Some(tenant)) = (&meta.tenant_field, &call.tenant) {
            let unset = |v: &Value| v.is_null() || matches!(v, Value::Text(s) if s.is_empty());
            batch.fill(field, &Value::Text(tenant.id.clone()), unset);
        }
        if meta.audit() != Audit::Absent {
            let now = Value::Text(now_iso());
            for audit in AUDIT_COLUMNS {
                batch.fill(audit, &now, Value::is_null);
            }
        }
        Ok(batch)
    }

    /// Numbers every row's autonumber fields (inside the caller's transaction).
    async fn number(
        &self,
        conn: &Conn,
        meta: &ObjectMeta,
        batch: Batch,
        call: &Call,
    ) -> Result<Batch> {
        let today = call.today.unwrap_or_else(Day::today_utc);
        let tenant = call.tenant.as_ref().map(|t| t.id.as_str());
        let mut records = batch.into_records();
        for record in &mut records {
            for autonumber in &meta.autonumbers {
                autonumber
                    .fill(conn, &meta.table, record, tenant, today)
                    .await?;
            }
        }
        // Records of one batch share their columns; numbering may add the same ones.
        let columns = records
            .first()
            .map(|r| r.iter().map(|(c, _)| c.clone()).collect())
            .unwrap_or_default();
        let rows = records
            .into_iter()
            .map(|r| r.into_iter().map(|(_, v)| v).collect())
            .collect();
        Batch::new(columns, rows)
    }

    /// Insert, or on a conflict of `conflict` (the id when empty) update every other
    /// given column but the insert-only ones (id, `created_at`, autonumbers). A conflict
    /// with another tenant's row changes nothing and reads back nothing.
    pub async fn upsert(
        &self,
        object: &str,
        record: Record,
        conflict: &[String],
        call: impl Into<Call>,
    ) -> Result<RowSet> {
        let call = call.into();
        let meta = self.catalog.get(object);
        let scope = self.scope(&meta, &call);
        let batch = self.prepare_insert(&meta, Batch::single(record)?, &call)?;
        let conflict: Vec<String> = if conflict.is_empty() {
            vec!["id".to_owned()]
        } else {
            conflict.to_vec()
        };
        let target = self.conflict_target(&meta, &conflict)?;
        let conn = self.conn(call.tx).await?;
        let rows = atomically(&conn, async |conn: &Conn| {
            let batch = if meta.autonumbers.is_empty() {
                batch
            } else {
                self.number(conn, &meta, batch, &call).await?
            };
            let insert_only = |c: &String| {
                *c == "id" || *c == "created_at" || meta.autonumbers.iter().any(|a| a.field == *c)
            };
            let merge: Vec<String> = batch
                .columns
                .iter()
                .filter(|c| !insert_only(c) && !conflict.contains(c))
                .cloned()
                .collect();
            let tail = write::upsert_tail(scope, &target, &merge)?;
            let sql = write::insert(&meta.table, &batch.columns, 1, &tail.sql)?;
            let mut args = batch.rows.into_iter().next().unwrap_or_default();
            let id = batch
                .columns
                .iter()
                .position(|c| c == "id")
                .and_then(|i| args.get(i).cloned())
                .unwrap_or_default();
            args.extend(tail.args);
            let rows = conn.query(&sql, args).await?;
            if !rows.rows.is_empty() || !merge.is_empty() {
                return Ok(rows);
            }
            // DO NOTHING returns no row: read the existing one (in scope).
            let existing = write::select_one(&meta.table, &write::where_id(scope, id)?)?;
            conn.query(&existing.sql, existing.args).await
        })
        .await
        .map_err(|e| self.refine(&meta, e, false))?;
        Ok(rows.map_kinds(&meta.kinds))
    }

    /// The SQL of an upsert's conflict target: the columns, or the key parts of the
    /// per-tenant unique index over them (`COALESCE("org", '__global__'), "email"`), which
    /// is what SQLite matches the target against.
    fn conflict_target(&self, meta: &ObjectMeta, conflict: &[String]) -> Result<Vec<String>> {
        let per_tenant = meta.unique.iter().find(|i| {
            matches!(i.keys.first(), Some(Key::Tenant(_)))
                && i.fields() == conflict.iter().map(String::as_str).collect::<Vec<_>>()
        });
        match per_tenant {
            Some(index) => {
                let sql = index.create_sql(&meta.table)?;
                let open = sql.find(" (").map_or(0, |i| i + 2);
                Ok(vec![sql[open..sql.len() - 1].to_owned()])
            }
            None => conflict.iter().map(|c| quote_identifier(c)).collect(),
        }
    }

    pub async fn update(
        &self,
        object: &str,
        id: &Value,
        record: Record,
        call: impl Into<Call>,
    ) -> Result<Updated> {
        let call = call.into();
        let meta = self.catalog.get(object);
        let scope = self.scope(&meta, &call);
        let record = serialize_record(record, &meta.kinds);
        if record.is_empty() {
            let existing = self.find_one(object, id, call.clone()).await?;
            if existing.rows.is_empty() {
                return Err(Error::not_found(format!(
                    "Record {} not found in {object}",
                    id.as_str().map_or_else(|| id.to_json(), str::to_owned)
                )));
            }
            return Ok(Updated::Row(existing));
        }
        // Read back by the id it has now: the update may change it.
        let stored_id = match record.iter().find(|(c, _)| c == "id") {
            Some((_, new_id)) => record_id(new_id)?,
            None => record_id(id)?,
        };
        let condition = write::where_id(scope, record_id(id)?)?;
        let read = write::select_one(&meta.table, &write::where_id(scope, stored_id)?)?;
        let conn = self.conn(call.tx).await?;
        let rows = self
            .update_with(&meta, record, &condition, &call, async |stmt: Compiled| {
                let read = ReadBack::Query(&read.sql, read.args.clone());
                conn.write_returning(&stmt.sql, stmt.args, read).await
            })
            .await?;
        Ok(if rows.rows.is_empty() {
            Updated::Missing
        } else {
            Updated::Row(rows.map_kinds(&meta.kinds))
        })
    }

    /// Runs an UPDATE of `record` where `condition` holds, stamping `updated_at` when the
    /// table has it (a table only presumed to have it, that lacks it, is learnt about and
    /// the statement run again without it).
    async fn update_with<T>(
        &self,
        meta: &ObjectMeta,
        mut record: Record,
        condition: &Compiled,
        call: &Call,
        run: impl AsyncFn(Compiled) -> Result<T>,
    ) -> Result<T> {
        let keep = call.preserve_audit
            && record
                .iter()
                .any(|(c, v)| c == "updated_at" && !v.is_null());
        if meta.audit() != Audit::Absent && !keep {
            record.retain(|(c, _)| c != "updated_at");
            record.push(("updated_at".to_owned(), Value::Text(now_iso())));
        }
        loop {
            let stmt = write::update(&meta.table, record.clone(), condition)?;
            match run(stmt).await {
                Err(err) if self.lacks_audit_column(meta, &err) => {
                    record.retain(|(c, _)| !AUDIT_COLUMNS.contains(&c.as_str()));
                    if record.is_empty() {
                        return Err(Error::invalid("nothing to update"));
                    }
                }
                result => return result.map_err(|e| self.refine(meta, e, false)),
            }
        }
    }

    pub async fn delete(&self, object: &str, id: &Value, call: impl Into<Call>) -> Result<bool> {
        let call = call.into();
        let meta = self.catalog.get(object);
        let stmt = write::delete(
            &meta.table,
            &write::where_id(self.scope(&meta, &call), record_id(id)?)?,
        )?;
        let conn = self.conn(call.tx).await?;
        let changes = conn
            .execute(&stmt.sql, stmt.args)
            .await
            .map_err(|e| self.refine(&meta, e, false))?;
        Ok(changes.rows_affected > 0)
    }

    pub async fn update_many(
        &self,
        object: &str,
        filter: &Value,
        record: Record,
        call: impl Into<Call>,
    ) -> Result<u64> {
        let call = call.into();
        let meta = self.catalog.get(object);
        let record = serialize_record(record, &meta.kinds);
        if record.is_empty() {
            return Ok(0);
        }
        let condition = write::where_filter(self.scope(&meta, &call), filter)?;
        let conn = self.conn(call.tx).await?;
        self.update_with(&meta, record, &condition, &call, async |stmt: Compiled| {
            Ok(conn.execute(&stmt.sql, stmt.args).await?.rows_affected)
        })
        .await
        .map_err(|e| self.refine(&meta, e, true))
    }

    pub async fn delete_many(
        &self,
        object: &str,
        filter: &Value,
        call: impl Into<Call>,
    ) -> Result<u64> {
        let call = call.into();
        let meta = self.catalog.get(object);
        let condition = write::where_filter(self.scope(&meta, &call), filter)?;
        let stmt = write::delete(&meta.table, &condition)?;
        let conn = self.conn(call.tx).await?;
        let changes = conn
            .execute(&stmt.sql, stmt.args)
            .await
            .map_err(|e| self.refine(&meta, e, true))?;
        Ok(changes.rows_affected)
    }

    // --- bulk: one call, one transaction (a savepoint inside a caller's transaction) ----

    /// Inserts every record atomically, one prepared statement per batch (records of
    /// one shape). Returns how many were inserted, and the stored rows when `returning`
    /// (the kernel wants them; the 4.2.2 API only the count).
    pub async fn bulk_create(
        &self,
        object: &str,
        batches: Vec<Batch>,
        returning: bool,
        call: impl Into<Call>,
    ) -> Result<(u64, RowSet)> {
        let call = call.into();
        let meta = self.catalog.get(object);
        let batches = batches
            .into_iter()
            .map(|b| self.prepare_insert(&meta, b, &call))
            .collect::<Result<Vec<_>>>()?;
        let conn = self.conn(call.tx).await?;
        let (count, rows) = atomically(&conn, async |conn: &Conn| {
            let mut out = RowSet::default();
            let mut count = 0;
            let read = write::select_by_rowid(&meta.table)?;
            for batch in batches {
                count += batch.rows.len() as u64;
                if !returning && meta.autonumbers.is_empty() {
                    insert_chunked(conn, &meta.table, batch).await?;
                    continue;
                }
                let columns = batch.columns;
                for row in batch.rows {
                    let one = Batch::new(columns.clone(), vec![row])?;
                    let one = if meta.autonumbers.is_empty() {
                        one
                    } else {
                        self.number(conn, &meta, one, &call).await?
                    };
                    let mut inserted = self.insert_returning(conn, &meta, one, &read).await?;
                    if out.columns.is_empty() {
                        out.columns = inserted.columns.clone();
                    }
                    out.rows.append(&mut inserted.rows);
                }
            }
            Ok((count, out))
        })
        .await
        .map_err(|e| self.refine(&meta, e, false))?;
        Ok((count, rows.map_kinds(&meta.kinds)))
    }

    /// Applies `(id, changes)` pairs atomically; returns how many rows changed and, when
    /// `returning`, the updated rows (rows of ids not found in scope are left out).
    pub async fn bulk_update(
        &self,
        object: &str,
        updates: Vec<(Value, Record)>,
        returning: bool,
        call: impl Into<Call>,
    ) -> Result<(u64, RowSet)> {
        let call = call.into();
        let meta = self.catalog.get(object);
        let scope = self.scope(&meta, &call);
        let conn = self.conn(call.tx).await?;
        let result = atomically(&conn, async |conn: &Conn| {
            let mut changed = 0;
            let mut out = RowSet::default();
            for (id, record) in updates {
                let record = serialize_record(record, &meta.kinds);
                if record.is_empty() {
                    continue;
                }
                let stored_id = match record.iter().find(|(c, _)| c == "id") {
                    Some((_, new_id)) => record_id(new_id)?,
                    None => record_id(&id)?,
                };
                let condition = write::where_id(scope, record_id(&id)?)?;
                let n = self
                    .update_with(&meta, record, &condition, &call, async |stmt: Compiled| {
                        Ok(conn.execute(&stmt.sql, stmt.args).await?.rows_affected)
                    })
                    .await?;
                changed += n;
                if returning && n > 0 {
                    let read = write::select_one(&meta.table, &write::where_id(scope, stored_id)?)?;
                    let mut row = conn.query(&read.sql, read.args).await?;
                    if out.columns.is_empty() {
                        out.columns = row.columns.clone();
                    }
                    out.rows.append(&mut row.rows);
                }
            }
            Ok((changed, out))
        })
        .await?;
        Ok((result.0, result.1.map_kinds(&meta.kinds)))
    }

    /// Deletes every id (in scope) atomically; returns how many rows went.
    pub async fn bulk_delete(
        &self,
        object: &str,
        ids: Vec<Value>,
        call: impl Into<Call>,
    ) -> Result<u64> {
        let call = call.into();
        let meta = self.catalog.get(object);
        let scope = self.scope(&meta, &call);
        let statements = ids
            .iter()
            .map(|id| write::delete(&meta.table, &write::where_id(scope, record_id(id)?)?))
            .collect::<Result<Vec<_>>>()?;
        let conn = self.conn(call.tx).await?;
        atomically(&conn, async |conn: &Conn| {
            let mut deleted = 0;
            for stmt in statements {
                deleted += conn.execute(&stmt.sql, stmt.args).await?.rows_affected;
            }
            Ok(deleted)
        })
        .await
        .map_err(|e| self.refine(&meta, e, false))
    }

    // --- raw SQL and transactions -------------------------------------------------------

    pub async fn execute(
        &self,
        sql: &str,
        args: Vec<Value>,
        tx: Option<u32>,
    ) -> Result<(RowSet, Changes)> {
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
                return Error::new(
                    ErrorCode::InvalidFilter,
                    format!(
                        "Filter on \"{column}\" names a field that object \"{}\" has no column \
                         for, so it can match no record; check the name against the object's \
                         fields (a field declared since the last schema sync needs one first)",
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
            datetime: Some(&meta.kinds.datetime),
            tenant: match (&meta.tenant_field, &call.tenant) {
                (Some(field), Some(tenant)) => Some(TenantScope { field, tenant }),
                _ => None,
            },
            managed: meta.managed,
        }
    }

    /// The field kinds of `object` (what `mapRow` and the binding's row builders read).
    pub fn kinds(&self, object: &str) -> FieldKinds {
        self.catalog.get(object).kinds.clone()
    }
}

fn parse_defs(objects: &[Value]) -> Result<Vec<ObjectDef>> {
    objects.iter().map(ObjectDef::from_value).collect()
}

/// Runs `work` in one transaction (a savepoint when `conn` is inside one already);
/// on failure nothing of it remains.
async fn atomically<T>(conn: &Conn, work: impl AsyncFnOnce(&Conn) -> Result<T>) -> Result<T> {
    let nested = !conn.is_autocommit();
    let (begin, commit, undo) = if nested {
        (
            "SAVEPOINT objectql_atomic",
            "RELEASE objectql_atomic",
            &["ROLLBACK TO objectql_atomic", "RELEASE objectql_atomic"][..],
        )
    } else {
        ("BEGIN IMMEDIATE", "COMMIT", &["ROLLBACK"][..])
    };
    conn.execute(begin, Vec::new()).await?;
    let result = match work(conn).await {
        Ok(value) => conn.execute(commit, Vec::new()).await.map(|_| value),
        Err(err) => Err(err),
    };
    if result.is_err() && (nested || !conn.is_autocommit()) {
        // The error being reported is the first one; a failed undo cannot add to it.
        for statement in undo {
            conn.batch(statement).await.ok();
        }
    }
    result
}

/// Rows per multi-row INSERT: one statement step per chunk instead of per row.
const INSERT_CHUNK_ROWS: usize = 64;

/// SQLite's limit on parameters in one statement.
const MAX_PARAMS: usize = 32_766;

/// Inserts a batch as multi-row INSERTs of up to [`INSERT_CHUNK_ROWS`] rows.
async fn insert_chunked(conn: &Conn, table: &str, batch: Batch) -> Result<()> {
    let width = batch.columns.len().max(1);
    let chunk = INSERT_CHUNK_ROWS.min(MAX_PARAMS / width).max(1);
    let mut rows = batch.rows.into_iter().peekable();
    let mut full = None;
    while rows.peek().is_some() {
        let args: Vec<Value> = rows.by_ref().take(chunk).flatten().collect();
        let n = args.len() / width;
        if n == chunk {
            if full.is_none() {
                full = Some(
                    conn.prepare(&write::insert(table, &batch.columns, chunk, "")?)
                        .await?,
                );
            }
            if let Some(stmt) = &full {
                stmt.execute(args).await?;
            }
        } else {
            conn.execute(&write::insert(table, &batch.columns, n, "")?, args)
                .await?;
        }
    }
    Ok(())
}
