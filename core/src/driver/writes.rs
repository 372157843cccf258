//! Writes: `create`, `upsert`, `update`, `delete`, the `...Many` forms and the bulk ones
//! (each one call, one transaction). Inserts get the caller's tenant, the audit stamps and
//! their autonumbers here.

use super::{Call, Driver, Updated};
use crate::autonumber::Day;
use crate::catalog::{Audit, ObjectMeta};
use crate::dates::now_iso;
use crate::error::{Error, ErrorCode, Result};
use crate::identifier::quote_identifier;
use crate::query::{write, Compiled, Scope};
use crate::record::{Batch, Record};
use crate::record_id::record_id;
use crate::rows::{storable_record, RowSet};
use crate::schema::index::Key;
use crate::schema::AUDIT_COLUMNS;
use crate::store::conn::{Conn, ReadBack};
use crate::value::Value;

impl Driver {
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
        let meta = self.catalog().get(object);
        let mut record = record;
        if self.contract().spec_field_types() {
            // The kernel's create takes a Mongo-style `_id` as the id when none is given.
            record.rename_unless_present("_id", "id");
        }
        let batch = self.prepare_insert(&meta, record, &call)?;
        let conn = self.conn(call.tx).await?;
        let read = write::select_by_rowid(&meta.table)?;
        let rows = if meta.autonumbers.is_empty() {
            self.insert_returning(&conn, &meta, batch, &read).await?
        } else {
            let numbered = atomically(&conn, async |conn: &Conn| {
                self.number_and_insert(conn, &meta, batch, &call, &read)
                    .await
            });
            numbered.await?
        };
        Ok(meta.present(rows))
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
        if let Some(map) = &meta.columns {
            for column in &mut batch.columns {
                *column = map.remote(column).to_owned();
            }
        }
        Ok(batch)
    }

    /// Numbers the one row of `batch` and inserts it; when the insert collides on a
    /// number drawn from a counter that was behind the table, the counter is moved past
    /// the table and the row numbered and inserted once more.
    async fn number_and_insert(
        &self,
        conn: &Conn,
        meta: &ObjectMeta,
        batch: Batch,
        call: &Call,
        read: &str,
    ) -> Result<RowSet> {
        let numbered = self.number(conn, meta, batch.clone(), call).await?;
        match self
            .insert_returning(conn, meta, numbered.clone(), read)
            .await
        {
            Err(err)
                if err.code == ErrorCode::UniqueViolation
                    && self.reseed(conn, meta, &batch, numbered, call).await? =>
            {
                let numbered = self.number(conn, meta, batch, call).await?;
                self.insert_returning(conn, meta, numbered, read).await
            }
            other => other,
        }
    }

    /// After a unique violation: moves every counter that gave `numbered` a number the
    /// table already holds (fields `original` left empty) past the table; whether any did.
    async fn reseed(
        &self,
        conn: &Conn,
        meta: &ObjectMeta,
        original: &Batch,
        numbered: Batch,
        call: &Call,
    ) -> Result<bool> {
        let today = call.today.unwrap_or_else(Day::today_utc);
        let tenant = call.tenant.as_ref().map(|t| t.id.as_str());
        let drawn = |field: &str| {
            original
                .columns
                .iter()
                .position(|c| c == field)
                .and_then(|i| original.rows.first()?.get(i))
                .is_none_or(|v| !v.is_truthy())
        };
        let mut reseeded = false;
        for record in numbered.into_records() {
            for autonumber in meta.autonumbers.iter().filter(|a| drawn(&a.field)) {
                reseeded |= autonumber
                    .reseed_if_collided(conn, &meta.table, &record, tenant, today)
                    .await?;
            }
        }
        Ok(reseeded)
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
        let meta = self.catalog().get(object);
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
            let original = batch;
            let mut reseeded = false;
            loop {
                let batch = if meta.autonumbers.is_empty() {
                    original.clone()
                } else {
                    self.number(conn, &meta, original.clone(), &call).await?
                };
                let attempt = self
                    .upsert_numbered(conn, &meta, batch.clone(), &conflict, &target, scope)
                    .await;
                match attempt {
                    Err(err)
                        if err.code == ErrorCode::UniqueViolation
                            && !reseeded
                            && !meta.autonumbers.is_empty()
                            && self.reseed(conn, &meta, &original, batch, &call).await? =>
                    {
                        reseeded = true;
                    }
                    other => return other,
                }
            }
        })
        .await
        .map_err(|e| self.refine(&meta, e, false))?;
        Ok(meta.present(rows))
    }

    /// The upsert statement of an already numbered `batch` (one row), and the row it leaves.
    async fn upsert_numbered(
        &self,
        conn: &Conn,
        meta: &ObjectMeta,
        batch: Batch,
        conflict: &[String],
        target: &[String],
        scope: Scope<'_>,
    ) -> Result<RowSet> {
        {
            let insert_only = |c: &String| {
                *c == "id" || *c == "created_at" || meta.autonumbers.iter().any(|a| a.field == *c)
            };
            let merge: Vec<String> = batch
                .columns
                .iter()
                .filter(|c| !insert_only(c) && !conflict.contains(c))
                .cloned()
                .collect();
            let tail = write::upsert_tail(scope, target, &merge)?;
            let sql = write::insert(&meta.table, &batch.columns, 1, &tail.sql)?;
            let mut args = batch.rows.into_iter().next().unwrap_or_default();
            let id = batch
                .columns
                .iter()
                .position(|c| c == "id")
                .and_then(|i| args.get(i).cloned())
                .unwrap_or_default();
            args.extend(tail.args);
            let rows = conn
                .query(&sql, args)
                .await
                .map_err(|err| unbacked_conflict(err, &meta.name, conflict, &sql))?;
            if !rows.rows.is_empty() || !merge.is_empty() {
                return Ok(rows);
            }
            // DO NOTHING returns no row: read the existing one (in scope).
            let existing = write::select_one(&meta.table, &write::where_id(scope, id)?)?;
            conn.query(&existing.sql, existing.args).await
        }
    }

    /// The SQL of an upsert's conflict target: the columns, or the key parts of the
    /// per-tenant unique index over them (`COALESCE("org", '__global__'), "email"`), which
    /// is what SQLite matches the target against.
    fn conflict_target(&self, meta: &ObjectMeta, conflict: &[String]) -> Result<Vec<String>> {
        let per_tenant = meta.unique.iter().find(|i| {
            matches!(i.keys.first(), Some(Key::Tenant(_)))
                && i.fields()
                    .iter()
                    .copied()
                    .eq(conflict.iter().map(String::as_str))
        });
        match per_tenant {
            Some(index) => Ok(vec![index.keys_sql()?]),
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
        let meta = self.catalog().get(object);
        let scope = self.scope(&meta, &call);
        let record = meta.to_columns(storable_record(record, &meta.kinds)?);
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
        let stored_id = id_after(&record, id)?;
        let condition = write::where_id(scope, record_id(id)?)?;
        let read = write::select_one(&meta.table, &write::where_id(scope, stored_id)?)?;
        let conn = self.conn(call.tx).await?;
        let (_, mut rows) = self
            .update_with(&meta, record, &condition, &call, &conn, Some(&read))
            .await?;
        drop_moved_out(scope, &meta, &mut rows);
        Ok(if rows.rows.is_empty() {
            Updated::Missing
        } else {
            Updated::Row(meta.present(rows))
        })
    }

    /// Runs an UPDATE of `record` where `condition` holds, stamping `updated_at` when the
    /// table has it (a table only presumed to have it, that lacks it, is learnt about and
    /// the statement run again without it). Answers how many rows changed, and with
    /// `read_back` the row as stored.
    async fn update_with(
        &self,
        meta: &ObjectMeta,
        mut record: Record,
        condition: &Compiled,
        call: &Call,
        conn: &Conn,
        read_back: Option<&Compiled>,
    ) -> Result<(u64, RowSet)> {
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
            let ran = match read_back {
                Some(read) => {
                    let read = ReadBack::Query(&read.sql, read.args.clone());
                    let rows = conn.write_returning(&stmt.sql, stmt.args, read).await;
                    rows.map(|rows| (rows.rows.len() as u64, rows))
                }
                None => conn
                    .execute(&stmt.sql, stmt.args)
                    .await
                    .map(|changes| (changes.rows_affected, RowSet::default())),
            };
            match ran {
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
        let meta = self.catalog().get(object);
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
        let meta = self.catalog().get(object);
        let record = meta.to_columns(storable_record(record, &meta.kinds)?);
        if record.is_empty() {
            return Ok(0);
        }
        let condition = write::where_filter(self.scope(&meta, &call), filter)?;
        let conn = self.conn(call.tx).await?;
        self.update_with(&meta, record, &condition, &call, &conn, None)
            .await
            .map(|(changed, _)| changed)
            .map_err(|e| self.refine(&meta, e, true))
    }

    pub async fn delete_many(
        &self,
        object: &str,
        filter: &Value,
        call: impl Into<Call>,
    ) -> Result<u64> {
        let call = call.into();
        let meta = self.catalog().get(object);
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
        let meta = self.catalog().get(object);
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
                    let mut inserted = if meta.autonumbers.is_empty() {
                        self.insert_returning(conn, &meta, one, &read).await?
                    } else {
                        self.number_and_insert(conn, &meta, one, &call, &read)
                            .await?
                    };
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
        Ok((count, meta.present(rows)))
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
        let meta = self.catalog().get(object);
        let scope = self.scope(&meta, &call);
        let conn = self.conn(call.tx).await?;
        let result = atomically(&conn, async |conn: &Conn| {
            let mut changed = 0;
            let mut out = RowSet::default();
            for (id, record) in updates {
                let record = meta.to_columns(storable_record(record, &meta.kinds)?);
                if record.is_empty() {
                    continue;
                }
                let stored_id = id_after(&record, &id)?;
                let condition = write::where_id(scope, record_id(&id)?)?;
                let (n, _) = self
                    .update_with(&meta, record, &condition, &call, conn, None)
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
        Ok((result.0, meta.present(result.1)))
    }

    /// Deletes every id (in scope) atomically; returns how many rows went.
    pub async fn bulk_delete(
        &self,
        object: &str,
        ids: Vec<Value>,
        call: impl Into<Call>,
    ) -> Result<u64> {
        let call = call.into();
        let meta = self.catalog().get(object);
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
}

/// Drops from a write's read-back the rows the write moved out of the call's tenant (its
/// data named another tenant in the tenant field). The kernel's SQL driver writes the
/// tenant as given and reads the row back in the caller's scope, so such an update
/// answers as for a row the tenant cannot see; the scoped lookup does the same here, but
/// `RETURNING` (a WAL file, a server) answers for the row whatever its tenant.
fn drop_moved_out(scope: Scope<'_>, meta: &ObjectMeta, rows: &mut RowSet) {
    let Some(tenant) = scope.tenant else {
        return;
    };
    let column = meta
        .columns
        .as_ref()
        .map_or(tenant.field, |map| map.remote(tenant.field));
    if let Some(at) = rows.columns.iter().position(|c| c == column) {
        rows.rows
            .retain(|row| row.get(at).is_none_or(|stored| tenant.tenant.sees(stored)));
    }
}

/// The id a row has once `record` is applied to row `id` (an update may change it), to
/// read the row back by.
fn id_after(record: &Record, id: &Value) -> Result<Value> {
    match record.iter().find(|(c, _)| c == "id") {
        Some((_, new_id)) => record_id(new_id),
        None => record_id(id),
    }
}

/// Runs `work` in one transaction (a savepoint when `conn` is inside one already);
/// on failure nothing of it remains.
pub(super) async fn atomically<T>(
    conn: &Conn,
    work: impl AsyncFnOnce(&Conn) -> Result<T>,
) -> Result<T> {
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

/// Inserts a batch as multi-row INSERTs of up to [`INSERT_CHUNK_ROWS`] rows; on a libSQL
/// server, as many rows as SQLite takes parameters for, since each statement is a round
/// trip (10,000 rows of 7 fields: 3 requests instead of 157).
async fn insert_chunked(conn: &Conn, table: &str, batch: Batch) -> Result<()> {
    let width = batch.columns.len().max(1);
    let rows_per_statement = if conn.is_remote() {
        usize::MAX
    } else {
        INSERT_CHUNK_ROWS
    };
    let chunk = rows_per_statement.min(MAX_PARAMS / width).max(1);
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

/// SQLite's refusal of an `ON CONFLICT` target no unique index covers, as what it is: a
/// request the table cannot serve (`VALIDATION_ERROR`), saying how to make it servable.
/// The statement (placeholders only, never values) and SQLite's words stay in `cause`.
fn unbacked_conflict(err: Error, object: &str, conflict: &[String], sql: &str) -> Error {
    if !err
        .message
        .contains("ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint")
    {
        return err;
    }
    let keys: Vec<String> = conflict.iter().map(|k| format!("\"{k}\"")).collect();
    Error::new(
        ErrorCode::Validation,
        format!(
        "Cannot upsert into \"{object}\" on conflict keys ({}): no PRIMARY KEY or UNIQUE index \
         backs them, so the merge target does not exist and the database refuses the statement. \
         Declare the column(s) \"unique: true\" and sync the schema so the unique index is \
         created (rows that already hold duplicates must be resolved first; this driver does \
         not rewrite stored rows to force it), or upsert on the primary key by supplying \"id\" \
         and omitting conflictKeys.",
        keys.join(", ")
    ),
    )
    .with_cause(format!("{} (in: {sql})", err.message))
}
