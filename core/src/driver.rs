//! `TursoDriver`'s operations over one database. Every method is `async` because remote
//! databases need it; for local ones the futures finish on their first poll, so the
//! binding runs them inline (see `poll.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use crate::config::DriverConfig;
use crate::conn::{Changes, Conn, ReadBack};
use crate::database::Database;
use crate::error::{Error, Result};
use crate::identifier::{push_identifier, quote_identifier};
use crate::query::{self, Compiled};
use crate::record::{Batch, Record};
use crate::record_id::record_id;
use crate::rows::{serialize_record, FieldKinds, Kind, RowSet};
use crate::schema::{self, ObjectDef};
use crate::value::Value;

/// The outcome of `update`: the row as stored, or no row with that id.
#[derive(Debug, Clone, PartialEq)]
pub enum Updated {
    Row(RowSet),
    Missing,
}

pub struct Driver {
    config: DriverConfig,
    database: Mutex<Option<Arc<Database>>>,
    /// JSON and boolean fields per object, learnt from `init`/`syncSchema`.
    kinds: RwLock<HashMap<String, Arc<FieldKinds>>>,
}

impl Driver {
    pub fn new(config: DriverConfig) -> Driver {
        Driver {
            config,
            database: Mutex::default(),
            kinds: RwLock::default(),
        }
    }

    pub fn config(&self) -> &DriverConfig {
        &self.config
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

    /// Creates missing tables and adds missing columns, all in one transaction.
    pub async fn sync_schema(&self, objects: &[Value]) -> Result<()> {
        let defs = objects
            .iter()
            .map(ObjectDef::from_value)
            .collect::<Result<Vec<_>>>()?;
        let database = self.connect().await?;
        let conn = database.main();
        atomically(&conn, async |conn: &Conn| {
            for def in &defs {
                conn.batch(&def.create_table_sql()?).await?;
                let existing = table_columns(conn, &def.name).await?;
                for field in &def.fields {
                    if !existing.iter().any(|c| c == &field.name) {
                        conn.batch(&def.add_column_sql(field)?).await?;
                    }
                }
                for sql in def.index_sql()? {
                    conn.batch(&sql).await?;
                }
            }
            Ok(())
        })
        .await?;
        let mut kinds = self.kinds.write().unwrap_or_else(|p| p.into_inner());
        for def in &defs {
            // Fields a later definition leaves out keep the kind they were declared with.
            let mut merged = kinds
                .get(&def.name)
                .map(|k| (**k).clone())
                .unwrap_or_default();
            merged.merge(def);
            merged.strict_json = self.config.kernel;
            kinds.insert(def.name.clone(), Arc::new(merged));
        }
        Ok(())
    }

    pub async fn drop_table(&self, object: &str) -> Result<()> {
        let sql = format!("DROP TABLE IF EXISTS {}", quote_identifier(object)?);
        let database = self.connect().await?;
        database.main().batch(&sql).await?;
        Ok(())
    }

    /// `{ tables: { [name]: { name, columns, foreignKeys, primaryKeys } } }`.
    pub async fn introspect(&self) -> Result<Value> {
        let conn = self.conn(None).await?;
        let tables = conn.query(schema::LIST_TABLES_SQL, Vec::new()).await?;
        let mut out = Vec::with_capacity(tables.rows.len());
        for row in tables.rows {
            let Some(Value::Text(name)) = row.into_iter().next() else {
                continue;
            };
            let arg = vec![Value::Text(name.clone())];
            let info = conn.query(schema::TABLE_INFO_SQL, arg.clone()).await?;
            let mut columns = Vec::new();
            let mut primary_keys = Vec::new();
            for col in info.rows {
                let [col_name, col_type, not_null, default, pk] = <[Value; 5]>::try_from(col)
                    .map_err(|_| Error::query("unexpected pragma_table_info shape"))?;
                let is_primary = pk.as_i64().unwrap_or(0) > 0;
                if is_primary {
                    primary_keys.push(col_name.clone());
                }
                let mut entry = vec![
                    ("name".to_owned(), col_name),
                    ("type".to_owned(), col_type),
                    (
                        "nullable".to_owned(),
                        Value::Bool(not_null.as_i64() != Some(1)),
                    ),
                ];
                if !default.is_null() {
                    entry.push(("defaultValue".to_owned(), default));
                }
                entry.push(("isPrimary".to_owned(), Value::Bool(is_primary)));
                columns.push(Value::Object(entry));
            }
            let fks = conn.query(schema::FOREIGN_KEYS_SQL, arg).await?;
            let foreign_keys = fks
                .rows
                .into_iter()
                .map(|fk| {
                    let mut it = fk.into_iter();
                    Value::Object(vec![
                        ("columnName".to_owned(), it.next().unwrap_or_default()),
                        ("referencedTable".to_owned(), it.next().unwrap_or_default()),
                        ("referencedColumn".to_owned(), it.next().unwrap_or_default()),
                    ])
                })
                .collect();
            out.push((
                name.clone(),
                Value::Object(vec![
                    ("name".to_owned(), Value::Text(name)),
                    ("columns".to_owned(), Value::Array(columns)),
                    ("foreignKeys".to_owned(), Value::Array(foreign_keys)),
                    ("primaryKeys".to_owned(), Value::Array(primary_keys)),
                ]),
            ));
        }
        Ok(Value::Object(vec![(
            "tables".to_owned(),
            Value::Object(out),
        )]))
    }

    // --- reads --------------------------------------------------------------------------

    pub async fn find(&self, object: &str, query: &Value, tx: Option<u32>) -> Result<RowSet> {
        let kinds = self.kinds(object);
        let compiled = query::compile_find(self.scope(object, &kinds), query)?;
        self.read(&kinds, compiled, tx).await
    }

    /// One record by id, or by query (the kernel passes `{ where, ... }` instead of an id).
    pub async fn find_one(&self, object: &str, id: &Value, tx: Option<u32>) -> Result<RowSet> {
        let kinds = self.kinds(object);
        let compiled = match id {
            Value::Object(_) => {
                let mut q = query::parse_find_query_in(self.scope(object, &kinds), id)?;
                q.limit = Some(1);
                query::compile_find_query(object, q)?
            }
            id => Compiled {
                sql: by_id_sql(object)?,
                args: vec![record_id(id)?],
            },
        };
        self.read(&kinds, compiled, tx).await
    }

    pub async fn count(&self, object: &str, filter: &Value, tx: Option<u32>) -> Result<i64> {
        let compiled = query::compile_count(self.scope(object, &self.kinds(object)), filter)?;
        let conn = self.conn(tx).await?;
        let rows = conn.query(&compiled.sql, compiled.args).await?;
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
        tx: Option<u32>,
    ) -> Result<Vec<Value>> {
        let kinds = self.kinds(object);
        let compiled = query::compile_distinct(self.scope(object, &kinds), field, filter)?;
        let rows = self.read(&kinds, compiled, tx).await?.parse_json();
        Ok(rows
            .rows
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .collect())
    }

    pub async fn aggregate(&self, object: &str, query: &Value, tx: Option<u32>) -> Result<RowSet> {
        let kinds = self.kinds(object);
        if !query::is_kernel_aggregate(query) {
            let compiled = query::compile_aggregate(object, query)?;
            return self.read(&kinds, compiled, tx).await;
        }
        let agg = query::compile_kernel_aggregate(object, query)?;
        let conn = self.conn(tx).await?;
        let rows = conn.query(&agg.compiled.sql, agg.compiled.args).await?;
        // A group value reads like its field (a boolean group is true/false); the
        // aggregation results stay numbers, even under a field's name.
        let mut groups = FieldKinds::default();
        for (field, name) in agg.group_columns {
            match kinds.kind(&field) {
                Kind::Json | Kind::JsonStrict => groups.json.insert(name),
                Kind::Boolean => groups.boolean.insert(name),
                Kind::Plain | Kind::Time => false,
            };
        }
        Ok(rows.map_kinds(&groups))
    }

    pub async fn explain(&self, object: &str, query: &Value, tx: Option<u32>) -> Result<RowSet> {
        let compiled = query::compile_find(self.scope(object, &self.kinds(object)), query)?;
        let conn = self.conn(tx).await?;
        conn.query(
            &format!("EXPLAIN QUERY PLAN {}", compiled.sql),
            compiled.args,
        )
        .await
    }

    async fn read(
        &self,
        kinds: &FieldKinds,
        compiled: Compiled,
        tx: Option<u32>,
    ) -> Result<RowSet> {
        let conn = self.conn(tx).await?;
        let rows = conn.query(&compiled.sql, compiled.args).await?;
        Ok(rows.map_kinds(kinds))
    }

    // --- writes -------------------------------------------------------------------------

    /// Inserts one record and returns it as stored.
    pub async fn create(&self, object: &str, record: Record, tx: Option<u32>) -> Result<RowSet> {
        self.create_one(object, Batch::single(record)?, tx).await
    }

    /// `create` for a record already in batch form (one row), as the binding sends it.
    pub async fn create_one(&self, object: &str, record: Batch, tx: Option<u32>) -> Result<RowSet> {
        let kinds = self.kinds(object);
        let batch = record.prepare_insert(&kinds)?;
        let insert = insert_sql(object, &batch.columns, 1, "")?;
        let args = batch.rows.into_iter().next().unwrap_or_default();
        let conn = self.conn(tx).await?;
        let read = by_rowid_sql(object)?;
        let rows = conn
            .write_returning(&insert, args, ReadBack::Rowid(&read))
            .await?;
        Ok(rows.map_kinds(&kinds))
    }

    /// Insert, or on an id conflict update every other given column.
    pub async fn upsert(&self, object: &str, record: Record, tx: Option<u32>) -> Result<RowSet> {
        let kinds = self.kinds(object);
        let batch = Batch::single(record)?.prepare_insert(&kinds)?;
        let updates = batch
            .columns
            .iter()
            .filter(|c| *c != "id")
            .map(|c| quote_identifier(c).map(|q| format!("{q} = excluded.{q}")))
            .collect::<Result<Vec<_>>>()?;
        let conflict = if updates.is_empty() {
            "ON CONFLICT(\"id\") DO NOTHING RETURNING *".to_owned()
        } else {
            format!(
                "ON CONFLICT(\"id\") DO UPDATE SET {} RETURNING *",
                updates.join(", ")
            )
        };
        let sql = insert_sql(object, &batch.columns, 1, &conflict)?;
        let args = batch.rows.into_iter().next().unwrap_or_default();
        let id = batch
            .columns
            .iter()
            .position(|c| c == "id")
            .and_then(|i| args.get(i).cloned())
            .unwrap_or_default();
        let conn = self.conn(tx).await?;
        let rows = conn.query(&sql, args).await?;
        if rows.rows.is_empty() {
            // DO NOTHING returns no row: read the existing one.
            return self.find_one(object, &id, tx).await;
        }
        Ok(rows.map_kinds(&kinds))
    }

    pub async fn update(
        &self,
        object: &str,
        id: &Value,
        record: Record,
        tx: Option<u32>,
    ) -> Result<Updated> {
        let kinds = self.kinds(object);
        let record = serialize_record(record, &kinds);
        if record.is_empty() {
            let existing = self.find_one(object, id, tx).await?;
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
        let (sql, mut args) = update_sql(object, record, "WHERE \"id\" = ?")?;
        args.push(record_id(id)?);
        let read = by_id_sql(object)?;
        let conn = self.conn(tx).await?;
        let rows = conn
            .write_returning(&sql, args, ReadBack::Id(&read, stored_id))
            .await?;
        Ok(if rows.rows.is_empty() {
            Updated::Missing
        } else {
            Updated::Row(rows.map_kinds(&kinds))
        })
    }

    pub async fn delete(&self, object: &str, id: &Value, tx: Option<u32>) -> Result<bool> {
        let sql = format!("DELETE FROM {} WHERE \"id\" = ?", quote_identifier(object)?);
        let conn = self.conn(tx).await?;
        let changes = conn.execute(&sql, vec![record_id(id)?]).await?;
        Ok(changes.rows_affected > 0)
    }

    pub async fn update_many(
        &self,
        object: &str,
        filter: &Value,
        record: Record,
        tx: Option<u32>,
    ) -> Result<u64> {
        let kinds = self.kinds(object);
        let record = serialize_record(record, &kinds);
        if record.is_empty() {
            return Ok(0);
        }
        let filter = query::compile_filter_in(self.scope(object, &kinds), filter)?;
        let tail = if filter.sql.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", filter.sql)
        };
        let (sql, mut args) = update_sql(object, record, &tail)?;
        args.extend(filter.args);
        let conn = self.conn(tx).await?;
        Ok(conn.execute(&sql, args).await?.rows_affected)
    }

    pub async fn delete_many(&self, object: &str, filter: &Value, tx: Option<u32>) -> Result<u64> {
        let filter = query::compile_filter_in(self.scope(object, &self.kinds(object)), filter)?;
        let mut sql = format!("DELETE FROM {}", quote_identifier(object)?);
        if !filter.sql.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&filter.sql);
        }
        let conn = self.conn(tx).await?;
        Ok(conn.execute(&sql, filter.args).await?.rows_affected)
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
        tx: Option<u32>,
    ) -> Result<(u64, RowSet)> {
        let kinds = self.kinds(object);
        let batches = batches
            .into_iter()
            .map(|b| b.prepare_insert(&kinds))
            .collect::<Result<Vec<_>>>()?;
        let conn = self.conn(tx).await?;
        let (count, rows) = atomically(&conn, async |conn: &Conn| {
            let mut out = RowSet::default();
            let mut count = 0;
            for batch in batches {
                count += batch.rows.len() as u64;
                if returning {
                    let insert = insert_sql(object, &batch.columns, 1, "")?;
                    let read = by_rowid_sql(object)?;
                    for row in batch.rows {
                        let mut inserted = conn
                            .write_returning(&insert, row, ReadBack::Rowid(&read))
                            .await?;
                        if out.columns.is_empty() {
                            out.columns = inserted.columns.clone();
                        }
                        out.rows.append(&mut inserted.rows);
                    }
                } else {
                    insert_chunked(conn, object, batch).await?;
                }
            }
            Ok((count, out))
        })
        .await?;
        Ok((count, rows.map_kinds(&kinds)))
    }

    /// Applies `(id, changes)` pairs atomically; returns how many rows changed.
    pub async fn bulk_update(
        &self,
        object: &str,
        updates: Vec<(Value, Record)>,
        tx: Option<u32>,
    ) -> Result<u64> {
        let kinds = self.kinds(object);
        let mut statements = Vec::with_capacity(updates.len());
        for (id, record) in updates {
            let record = serialize_record(record, &kinds);
            if record.is_empty() {
                continue;
            }
            let (sql, mut args) = update_sql(object, record, "WHERE \"id\" = ?")?;
            args.push(record_id(&id)?);
            statements.push((sql, args));
        }
        let conn = self.conn(tx).await?;
        atomically(&conn, async |conn: &Conn| {
            let mut changed = 0;
            for (sql, args) in statements {
                changed += conn.execute(&sql, args).await?.rows_affected;
            }
            Ok(changed)
        })
        .await
    }

    /// Deletes every id atomically; returns how many rows went.
    pub async fn bulk_delete(&self, object: &str, ids: Vec<Value>, tx: Option<u32>) -> Result<u64> {
        let sql = format!("DELETE FROM {} WHERE \"id\" = ?", quote_identifier(object)?);
        let ids = ids.iter().map(record_id).collect::<Result<Vec<_>>>()?;
        let conn = self.conn(tx).await?;
        atomically(&conn, async |conn: &Conn| {
            let stmt = conn.prepare(&sql).await?;
            let mut deleted = 0;
            for id in ids {
                deleted += stmt.execute(vec![id]).await?.rows_affected;
            }
            Ok(deleted)
        })
        .await
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

    fn current(&self) -> Option<Arc<Database>> {
        self.lock_database().clone()
    }

    fn lock_database(&self) -> std::sync::MutexGuard<'_, Option<Arc<Database>>> {
        self.database.lock().unwrap_or_else(|p| p.into_inner())
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

    /// The table and filter semantics of this driver's statements about `object`.
    fn scope<'a>(&self, object: &'a str, kinds: &'a FieldKinds) -> query::Scope<'a> {
        query::Scope {
            object,
            kernel: self.config.kernel,
            datetime: Some(&kinds.datetime),
        }
    }

    pub fn kinds(&self, object: &str) -> Arc<FieldKinds> {
        self.kinds
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(object)
            .cloned()
            .unwrap_or_default()
    }
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

async fn table_columns(conn: &Conn, table: &str) -> Result<Vec<String>> {
    let info = conn
        .query(schema::TABLE_INFO_SQL, vec![Value::from(table)])
        .await?;
    Ok(info
        .rows
        .into_iter()
        .filter_map(|r| {
            r.into_iter()
                .next()
                .and_then(|v| v.as_str().map(str::to_owned))
        })
        .collect())
}

/// `INSERT INTO "t" (...) VALUES (?, ...)` with `rows` value lists, then `tail`.
fn insert_sql(object: &str, columns: &[String], rows: usize, tail: &str) -> Result<String> {
    let rows = rows.max(1);
    let names: usize = columns.iter().map(|c| c.len() + 4).sum();
    let mut sql = String::with_capacity(32 + object.len() + names + rows * (columns.len() * 3 + 2));
    sql.push_str("INSERT INTO ");
    push_identifier(&mut sql, object)?;
    sql.push_str(" (");
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        push_identifier(&mut sql, column)?;
    }
    sql.push_str(") VALUES ");
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for i in 0..columns.len() {
            sql.push_str(if i == 0 { "?" } else { ", ?" });
        }
        sql.push(')');
    }
    if !tail.is_empty() {
        sql.push(' ');
        sql.push_str(tail);
    }
    Ok(sql)
}

/// The row of one id: what `findOne` runs, and how `update` reads its row back.
fn by_id_sql(object: &str) -> Result<String> {
    select_all_sql(object, "WHERE \"id\" = ? LIMIT 1")
}

/// The row of one rowid, for [`Conn::write_returning`]. `_rowid_` is the spelling a
/// column is least likely to shadow (`rowid` is a plausible field name).
fn by_rowid_sql(object: &str) -> Result<String> {
    select_all_sql(object, "WHERE _rowid_ = ?")
}

fn select_all_sql(object: &str, tail: &str) -> Result<String> {
    let mut sql = String::from("SELECT * FROM ");
    push_identifier(&mut sql, object)?;
    sql.push(' ');
    sql.push_str(tail);
    Ok(sql)
}

/// Rows per multi-row INSERT: one statement step per chunk instead of per row.
const INSERT_CHUNK_ROWS: usize = 64;

/// SQLite's limit on parameters in one statement.
const MAX_PARAMS: usize = 32_766;

/// Inserts a batch as multi-row INSERTs of up to [`INSERT_CHUNK_ROWS`] rows.
async fn insert_chunked(conn: &Conn, object: &str, batch: Batch) -> Result<()> {
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
                    conn.prepare(&insert_sql(object, &batch.columns, chunk, "")?)
                        .await?,
                );
            }
            if let Some(stmt) = &full {
                stmt.execute(args).await?;
            }
        } else {
            conn.execute(&insert_sql(object, &batch.columns, n, "")?, args)
                .await?;
        }
    }
    Ok(())
}

fn update_sql(object: &str, record: Record, tail: &str) -> Result<(String, Vec<Value>)> {
    let mut sql = String::with_capacity(64 + object.len() + record.len() * 16 + tail.len());
    let mut args = Vec::with_capacity(record.len() + 1);
    sql.push_str("UPDATE ");
    push_identifier(&mut sql, object)?;
    sql.push_str(" SET ");
    for (i, (column, value)) in record.into_iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        push_identifier(&mut sql, &column)?;
        sql.push_str(" = ?");
        args.push(value);
    }
    if !tail.is_empty() {
        sql.push(' ');
        sql.push_str(tail);
    }
    Ok((sql, args))
}
