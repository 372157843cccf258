//! One SQLite connection with its prepared-statement cache.
//!
//! `libsql`'s `Statement::query`/`execute` bind and step without resetting first, so a
//! cached statement is reset after every use on every exit path; a statement left
//! mid-step would also keep its read lock and block the next writer's commit.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::fast_hash::FastMap;
use crate::record::storage_problem;
use crate::rows::RowSet;
use crate::store::checkpoint::Checkpointer;
use crate::store::fence::silently;
use crate::store::StoreKind;
use crate::value::Value;

/// Statements kept per connection; past this the cache is cleared (apps use few shapes).
const CACHE_CAPACITY: usize = 256;

struct Cached {
    stmt: libsql::Statement,
    /// The result columns as last seen: checked against the statement on every run,
    /// because SQLite silently re-prepares it after a schema change made anywhere.
    columns: Arc<[String]>,
}

impl Cached {
    fn new(stmt: libsql::Statement) -> Result<Cached> {
        Ok(Cached {
            columns: column_names(&stmt)?,
            stmt,
        })
    }
}

#[derive(Default)]
struct Cache {
    stmts: FastMap<String, Cached>,
}

#[derive(Clone)]
pub struct Conn {
    conn: libsql::Connection,
    cache: Arc<Mutex<Cache>>,
    /// Told about writes, for connections to WAL files.
    checkpointer: Option<Arc<Checkpointer>>,
    /// Where it runs: a stream to a libSQL server (Hrana over HTTP), a replica's, or a
    /// local SQLite handle.
    kind: StoreKind,
    /// When the last remote request finished (remote connections only).
    last_request: Arc<Mutex<Option<Instant>>>,
    /// The replica this connection reads, synced after each write it forwards.
    replica: Option<Arc<libsql::Database>>,
}

/// Runs one request (`$call`, an expression giving a future of a `libsql::Result`) on
/// `$conn`: for a remote connection, again on a fresh stream when the server lost the
/// stream and no transaction was open on it (see [`Conn::remote`]). A macro rather than
/// a function taking an async closure, whose future rustc cannot prove `Send`.
macro_rules! request {
    ($conn:expr, $call:expr) => {{
        let may_retry = $conn.before_request().await;
        let result = match $call.await {
            Err(err) if may_retry && lost_stream(&err) => {
                $conn.conn.reset().await;
                $call.await
            }
            result => result,
        };
        $conn.after_request();
        result.map_err(|err| $conn.request_error(err))
    }};
}

/// A libSQL server forgets a stream idle for longer than this (sqld: 10 s); an idle
/// stream is dropped before reuse rather than sent and refused.
const STREAM_IDLE: Duration = Duration::from_secs(5);

/// How [`Conn::write_returning`] finds the row it wrote.
pub enum ReadBack<'a> {
    /// By the rowid the INSERT got: a lookup taking that one parameter.
    Rowid(&'a str),
    /// By a lookup with its own arguments (the row's id once the write is done).
    Query(&'a str, Vec<Value>),
}

impl ReadBack<'_> {
    fn sql(&self) -> &str {
        match self {
            ReadBack::Rowid(sql) | ReadBack::Query(sql, _) => sql,
        }
    }
}

/// What a write statement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Changes {
    pub rows_affected: u64,
    pub last_insert_rowid: i64,
}

impl Conn {
    pub fn new(conn: libsql::Connection) -> Conn {
        Conn {
            conn,
            cache: Arc::default(),
            checkpointer: None,
            kind: StoreKind::Local,
            last_request: Arc::default(),
            replica: None,
        }
    }

    /// A connection to an embedded replica: reads run on the local copy and writes go to
    /// the primary, and the copy learns of a write only by syncing. So every write outside
    /// a transaction (a commit included) is followed by a sync: the caller's next read
    /// sees it (read-your-writes).
    pub fn replica(conn: libsql::Connection, db: Arc<libsql::Database>) -> Conn {
        Conn {
            kind: StoreKind::Replica,
            replica: Some(db),
            ..Conn::new(conn)
        }
    }

    /// After a write: a replica outside a transaction pulls it back from the primary.
    async fn synced(&self) -> Result<()> {
        if let Some(db) = &self.replica {
            if self.conn.is_autocommit() {
                db.sync().await.map_err(|err| {
                    Error::new(
                        crate::error::ErrorCode::ConnectionFailed,
                        format!("The write reached the primary, but the replica could not sync it back: {err}"),
                    )
                })?;
            }
        }
        Ok(())
    }

    /// A connection to a libSQL server.
    ///
    /// libsql's remote statement decides when it is prepared whether running it closes the
    /// server-side stream (yes in autocommit, no inside a transaction), so statements are
    /// cached apart by that state: one prepared outside a transaction would end it.
    /// Outside a transaction, a stream the server may have expired (idle too long,
    /// libsql#985/#1670) or lost (a restart) is replaced: before a request when it has been
    /// idle, and after a request the server refused for it, which then runs again once.
    pub fn remote(conn: libsql::Connection) -> Conn {
        Conn {
            kind: StoreKind::Server,
            ..Conn::new(conn)
        }
    }

    /// Whether this is an embedded replica's connection (its writes run on the primary).
    pub fn is_replica(&self) -> bool {
        self.replica.is_some()
    }

    pub fn is_remote(&self) -> bool {
        self.kind == StoreKind::Server
    }

    /// Before a remote request: outside a transaction, forgets a stream idle long enough
    /// for the server to have expired it (nothing is open on it). Answers whether the
    /// request may run again on a fresh stream if the server no longer knows this one.
    async fn before_request(&self) -> bool {
        if !self.is_remote() || !self.conn.is_autocommit() {
            return false;
        }
        let idle = self
            .last_request
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some_and(|at| at.elapsed() > STREAM_IDLE);
        if idle {
            self.conn.reset().await;
        }
        true
    }

    fn after_request(&self) {
        if self.is_remote() {
            *self.last_request.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        }
    }

    /// A failed request's error; inside a transaction a lost stream is said plainly.
    fn request_error(&self, err: libsql::Error) -> Error {
        if self.is_remote() && lost_stream(&err) && !self.conn.is_autocommit() {
            return Error::new(
                crate::error::ErrorCode::ConnectionFailed,
                format!(
                    "The libSQL server no longer knows this transaction's stream (it was idle longer than \
                     the server keeps one, or the server restarted), so the transaction is gone: nothing of \
                     it was committed. Begin a new transaction and run it again (rollback() only releases this one). ({err})"
                ),
            );
        }
        let text = err.to_string();
        if self.is_remote()
            && (text.contains("TRANSACTION_TIMEOUT") || text.contains("no transaction is active"))
        {
            // sqld ends a transaction that holds the write lock past its limit (5 s) while
            // another writer waits; the next statement or the commit learns of it.
            return Error::driver(format!(
                "The libSQL server rolled this transaction back: it held the write lock longer than the \
                 server allows while another writer waited, so nothing of it was committed. Keep \
                 transactions short; begin a new one and run it again. ({text})"
            ));
        }
        err.into()
    }

    /// Reports this connection's writes to `checkpointer`.
    pub fn with_checkpointer(mut self, checkpointer: Arc<Checkpointer>) -> Conn {
        self.checkpointer = Some(checkpointer);
        self
    }

    /// Rows changed since `before` (a `total_changes()` reading). `sqlite3_changes`
    /// would repeat the last DML count after DDL, BEGIN or COMMIT.
    fn changed_since(&self, before: u64) -> u64 {
        let changed = self.conn.total_changes().saturating_sub(before);
        if changed > 0 {
            if let Some(checkpointer) = &self.checkpointer {
                checkpointer.note_write(&self.conn);
            }
        }
        changed
    }

    /// Connections to WAL files are the ones with a checkpointer.
    fn on_wal_file(&self) -> bool {
        self.checkpointer.is_some()
    }

    pub fn is_autocommit(&self) -> bool {
        self.conn.is_autocommit()
    }

    /// Runs a statement that returns rows (also `... RETURNING`), through the cache.
    pub async fn query(&self, sql: &str, args: Vec<Value>) -> Result<RowSet> {
        let result = async { self.prepare(sql).await?.query(args).await }.await;
        result.map_err(|err| err.in_statement(sql))
    }

    /// The first column of the first row as an integer (0 when there is none): a count,
    /// a pragma's value.
    pub async fn query_i64(&self, sql: &str) -> Result<i64> {
        let rows = self.query(sql, Vec::new()).await?;
        Ok(rows
            .rows
            .first()
            .and_then(|r| r.first())
            .and_then(Value::as_i64)
            .unwrap_or(0))
    }

    /// Runs a statement for its effect, through the cache.
    pub async fn execute(&self, sql: &str, args: Vec<Value>) -> Result<Changes> {
        let result = async { self.prepare(sql).await?.execute(args).await }.await;
        result.map_err(|err| err.in_statement(sql))
    }

    /// The cached statement for `sql` (prepared now if it is not cached); it goes back to
    /// the cache when dropped, so a bulk operation can run it many times in between.
    pub async fn prepare(&self, sql: &str) -> Result<Stmt<'_>> {
        let in_tx_key;
        let key = if self.is_remote() && !self.conn.is_autocommit() {
            in_tx_key = format!("\u{1}{sql}");
            &in_tx_key
        } else {
            sql
        };
        let taken = self.lock_cache().stmts.remove_entry(key);
        let (key, cached) = match taken {
            Some(entry) => entry,
            None => {
                // A remote prepare asks the server to describe the statement.
                let stmt = request!(self, self.conn.prepare(sql))?;
                (key.to_owned(), Cached::new(stmt)?)
            }
        };
        Ok(Stmt {
            conn: self,
            key,
            cached: Some(cached),
        })
    }

    /// Runs `write` (an INSERT or UPDATE of one row) and returns the row as stored.
    ///
    /// Outside a transaction on a WAL file that is `write ... RETURNING *`: a second
    /// statement would begin a second read transaction, four lock calls on the `-shm`
    /// file. Elsewhere (plain memory, inside a transaction) the row is read back with the
    /// `read` lookup, which costs less than the temporary b-tree that SQLite creates and
    /// frees for `RETURNING` on every run. A table without rowids cannot be looked up by
    /// rowid (`read` does not prepare) and also gets `RETURNING`.
    pub async fn write_returning(
        &self,
        write: &str,
        args: Vec<Value>,
        read: ReadBack<'_>,
    ) -> Result<RowSet> {
        // Remotely, one round trip rather than two.
        let lookup = if self.is_remote() || (self.on_wal_file() && self.is_autocommit()) {
            None
        } else {
            self.prepare(read.sql()).await.ok()
        };
        let Some(mut lookup) = lookup else {
            return self.query(&format!("{write} RETURNING *"), args).await;
        };
        let changes = self.execute(write, args).await?;
        if changes.rows_affected == 0 {
            // Nothing written (no such id; a trigger's RAISE(IGNORE)): nothing to read.
            return Ok(RowSet {
                columns: lookup.cached()?.columns.clone(),
                ..RowSet::default()
            });
        }
        let args = match read {
            ReadBack::Rowid(_) => vec![Value::Integer(changes.last_insert_rowid)],
            ReadBack::Query(_, args) => args,
        };
        lookup.query(args).await
    }

    /// Runs caller-written SQL: not cached (it may be DDL or a one-off), rows if it has any.
    pub async fn execute_raw(&self, sql: &str, args: Vec<Value>) -> Result<(RowSet, Changes)> {
        let cached = Cached::new(request!(self, self.conn.prepare(sql))?)?;
        let before = self.conn.total_changes();
        let result = if cached.columns.is_empty() {
            self.run(&cached.stmt, args).await.map(|_| RowSet {
                columns: cached.columns.clone(),
                ..RowSet::default()
            })
        } else {
            self.read_rows(&cached, args).await
        };
        cached.stmt.reset();
        let rows = result?;
        let changes = Changes {
            rows_affected: self.changed_since(before),
            last_insert_rowid: self.conn.last_insert_rowid(),
        };
        if !cached.columns.is_empty() && changes.rows_affected > 0 {
            // `... RETURNING` wrote (a plain write synced in `run`).
            self.synced().await?;
        }
        Ok((rows, changes))
    }

    /// Runs statements without parameters or results (pragmas, DDL, BEGIN/COMMIT).
    pub async fn batch(&self, sql: &str) -> Result<()> {
        request!(self, self.conn.execute_batch(sql))?;
        self.synced().await
    }

    async fn run(&self, stmt: &libsql::Statement, args: Vec<Value>) -> Result<u64> {
        let params = bind(stmt, args, self.is_remote())?;
        // Remotely the parameters are kept for a second try; locally they are not copied.
        let changed = if self.is_remote() {
            request!(self, stmt.execute(params.clone()))?
        } else {
            stmt.execute(params).await?
        };
        self.synced().await?;
        Ok(changed as u64)
    }

    async fn read_rows(&self, cached: &Cached, args: Vec<Value>) -> Result<RowSet> {
        let params = bind(&cached.stmt, args, self.is_remote())?;
        let rows = if self.is_remote() {
            request!(self, cached.stmt.query(params.clone()))?
        } else {
            cached.stmt.query(params).await?
        };
        collect_rows(cached, rows).await
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        // A panic while holding this lock can only have left a stale entry behind.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets every cached statement (before closing).
    pub fn clear_cache(&self) {
        self.lock_cache().stmts.clear();
    }

    fn put_back(&self, key: String, cached: Cached) {
        if self.replica.is_some() {
            // libsql's replica statement does not rebind when it is run again: a reused
            // `SELECT ... WHERE id = ?` answered with the first id's row. A local prepare
            // costs microseconds; a wrong row is not an option.
            return;
        }
        let mut cache = self.lock_cache();
        if cache.stmts.len() >= CACHE_CAPACITY {
            cache.stmts.clear();
        }
        cache.stmts.insert(key, cached);
    }
}

/// A statement borrowed from its connection's cache. Every run resets it, and dropping it
/// returns it to the cache.
pub struct Stmt<'c> {
    conn: &'c Conn,
    key: String,
    cached: Option<Cached>,
}

impl Stmt<'_> {
    fn cached(&self) -> Result<&Cached> {
        self.cached
            .as_ref()
            .ok_or_else(|| Error::driver("internal: statement used after release"))
    }

    pub async fn query(&mut self, args: Vec<Value>) -> Result<RowSet> {
        let before = self.conn.conn.total_changes();
        let cached = self.cached()?;
        let result = self.conn.read_rows(cached, args).await;
        cached.stmt.reset();
        // `... RETURNING` rows are writes too.
        let changed = self.conn.changed_since(before);
        let rows = result?;
        if changed > 0 {
            self.conn.synced().await?;
        }
        if let Some(cached) = self.cached.as_mut() {
            cached.columns = rows.columns.clone();
        }
        Ok(rows)
    }

    pub async fn execute(&self, args: Vec<Value>) -> Result<Changes> {
        let before = self.conn.conn.total_changes();
        let cached = self.cached()?;
        let result = self.conn.run(&cached.stmt, args).await;
        cached.stmt.reset();
        let reported = result?;
        let changed = self.conn.changed_since(before);
        Ok(Changes {
            // DML counts its own rows (not its triggers'); anything else changed none.
            rows_affected: if changed == 0 { 0 } else { reported },
            last_insert_rowid: self.conn.conn.last_insert_rowid(),
        })
    }
}

impl Drop for Stmt<'_> {
    fn drop(&mut self) {
        if let Some(cached) = self.cached.take() {
            // Also covers a run abandoned mid-way (a panic, a dropped future).
            cached.stmt.reset();
            self.conn.put_back(std::mem::take(&mut self.key), cached);
        }
    }
}

/// The result column names of a prepared statement. `libsql` unwraps their UTF-8 check,
/// and a table made by another program may have a name that is not UTF-8: fenced.
fn column_names(stmt: &libsql::Statement) -> Result<Arc<[String]>> {
    silently(|| stmt.columns().iter().map(|c| c.name().to_owned()).collect())
        .map_err(|_| bad_column_name())
}

fn bad_column_name() -> Error {
    Error::query(
        "a result column's name is not valid UTF-8; select the column under another name with AS",
    )
}

fn bind(stmt: &libsql::Statement, args: Vec<Value>, remote: bool) -> Result<Vec<libsql::Value>> {
    // libsql ignores bind errors, so a count mismatch would silently reuse old values. A
    // remote statement knows its parameters only once bound: the server checks them.
    let expected = stmt.parameter_count();
    if !remote && expected != args.len() {
        return Err(Error::invalid(format!(
            "SQL statement expects {expected} parameter(s) but {} were given",
            args.len()
        )));
    }
    // The last line behind every check: what SQLite would bind as something else (NULL).
    for (i, value) in args.iter().enumerate() {
        if let Some(problem) = storage_problem(value) {
            return Err(Error::invalid(format!(
                "SQL parameter {}: {} cannot be bound as it is: it {problem}",
                i + 1,
                value.describe()
            )));
        }
    }
    Ok(args.into_iter().map(Value::into_sql).collect())
}

/// Whether a remote request failed because the server does not know its stream (any
/// more): expired, or lost in a restart.
fn lost_stream(err: &libsql::Error) -> bool {
    let libsql::Error::Hrana(inner) = err else {
        return false;
    };
    let text = inner.to_string();
    text.contains("STREAM_EXPIRED") || text.contains("stream has expired") || text.contains("baton")
}

async fn collect_rows(cached: &Cached, mut rows: libsql::Rows) -> Result<RowSet> {
    let mut columns: Option<Arc<[String]>> = None;
    let mut out = Vec::new();
    while let Some(row) = rows.next().await? {
        // Names are read after the first step, which is when a re-prepare happens.
        if columns.is_none() {
            columns = Some(current_columns(&rows, &cached.columns)?);
        }
        let columns = columns.as_ref().map_or(&cached.columns, |c| c);
        let mut cells = Vec::with_capacity(columns.len());
        for i in 0..columns.len() as i32 {
            cells.push(read_value(&row, i)?);
        }
        out.push(cells);
    }
    let columns = match columns {
        Some(columns) => columns,
        None => current_columns(&rows, &cached.columns)?,
    };
    Ok(RowSet {
        columns,
        rows: out,
        json: Vec::new(),
    })
}

/// The statement's result columns now: `known` itself while they are unchanged (the
/// usual case, compared without allocating), a fresh list after a schema change.
fn current_columns(rows: &libsql::Rows, known: &Arc<[String]>) -> Result<Arc<[String]>> {
    silently(|| {
        let count = rows.column_count().max(0) as usize;
        let unchanged = count == known.len()
            && known
                .iter()
                .enumerate()
                .all(|(i, name)| rows.column_name(i as i32) == Some(name.as_str()));
        if unchanged {
            return known.clone();
        }
        (0..count as i32)
            .map(|i| rows.column_name(i).unwrap_or_default().to_owned())
            .collect()
    })
    .map_err(|_| bad_column_name())
}

/// One cell. `libsql` unwraps the UTF-8 check of TEXT: a cell written by another program
/// with invalid UTF-8 would panic inside it, so the read is fenced (silently) and reported.
fn read_value(row: &libsql::Row, idx: i32) -> Result<Value> {
    match silently(|| row.get_value(idx)) {
        Ok(v) => Ok(v?.into()),
        Err(_) => Err(Error::query(format!(
            "column {idx} holds TEXT that is not valid UTF-8; read it with CAST(... AS BLOB)"
        ))),
    }
}
