//! An open database: the main connection and the connections lent to transactions.
//!
//! Each transaction gets a connection of its own, so work outside it neither sees its
//! uncommitted writes nor joins it. Connections never sleep on a lock (no busy timeout:
//! they run on the JS thread); a write that finds the database locked fails with
//! `ErrorCode::Busy` before it changed anything, and the caller retries it later.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::config::{AbsentFile, DriverConfig, JournalMode, Location};
use crate::error::{Error, ErrorCode, Result};
use crate::notice::Notices;
use crate::store::at_open::{self, AtOpen, Footprint};
use crate::store::checkpoint::Checkpointer;
use crate::store::conn::Conn;
use crate::store::StoreKind;
use crate::value::Value;

/// Page cache per connection, in KiB, unless `cacheSizeKiB` says otherwise (SQLite's
/// default is 2 MiB): scans of mid-sized tables (tens of MB) then stop re-reading pages on
/// every query. A bound, not an allocation: a cache grows to it only as pages are read.
const PAGE_CACHE_KIB: u32 = 32 * 1024;

/// Temporary tables (`... RETURNING` buffers its rows in one per statement) and sorts in
/// memory rather than in temp files: measured 4% off every `create`. A sort larger than
/// memory would rather use a file, but the driver's sorts are of query results.
const TEMP_STORE: &str = "PRAGMA temp_store = MEMORY";

/// Bytes a restarted WAL file is truncated to (it is reused, not regrown, below this).
const WAL_SIZE_LIMIT: u64 = 64 << 20;

/// Idle connections kept for the next transaction; opening one costs a schema parse.
const IDLE_CONNECTIONS: usize = 4;

static SCRATCH_SEQ: AtomicU64 = AtomicU64::new(0);

/// Where `:memory:` data lives once a transaction needs a second connection.
///
/// A plain `:memory:` database belongs to one connection, and SQLite's shared in-memory
/// databases (memdb, shared cache) lock readers out while a transaction writes. So on the
/// first `beginTransaction` the data moves (`VACUUM INTO`) to a WAL file in RAM (`/dev/shm`
/// where it exists), private to the driver and deleted on disconnect. Until then every
/// statement runs on plain memory, without WAL commits and file locks.
struct ScratchFile {
    path: String,
}

/// Scratch files are named `objectql-memory-<pid>-<seq>-<random>.db[-wal|-shm|-journal]`.
const SCRATCH_PREFIX: &str = "objectql-memory-";

impl ScratchFile {
    fn new() -> ScratchFile {
        let dir = scratch_dir();
        sweep_dead(&dir);
        let name = format!(
            "{SCRATCH_PREFIX}{}-{}-{}.db",
            std::process::id(),
            SCRATCH_SEQ.fetch_add(1, Ordering::Relaxed),
            &crate::record_id::new_id()[..8]
        );
        ScratchFile {
            path: dir.join(name).to_string_lossy().into_owned(),
        }
    }
}

fn scratch_dir() -> std::path::PathBuf {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// Removes the scratch files of processes that died without removing theirs (a killed
/// process runs no destructor): once per process, before it makes its first one. A file
/// whose pid is alive (or reused) stays.
fn sweep_dead(dir: &std::path::Path) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|n| n.strip_prefix(SCRATCH_PREFIX))
                .and_then(|rest| rest.split('-').next())
                .and_then(|pid| pid.parse::<u32>().ok())
            else {
                continue;
            };
            if !process_alive(pid) {
                // Gone already (another process swept it) is fine.
                let _ = std::fs::remove_file(entry.path());
            }
        }
    });
}

/// Whether a process with this id runs (Linux: `/proc/<pid>`; elsewhere, assume it does).
fn process_alive(pid: u32) -> bool {
    let proc_dir = std::path::Path::new("/proc");
    !proc_dir.is_dir() || pid == std::process::id() || proc_dir.join(pid.to_string()).exists()
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            // Already gone is fine: nothing else may have been created.
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path));
        }
    }
}

/// The database and its main connection; replaced once when `:memory:` moves to a file.
struct Store {
    db: Arc<libsql::Database>,
    /// Opened read-only (`mode=ro`): no WAL switch, no checkpoints; SQLite refuses writes.
    read_only: bool,
    main: Conn,
    checkpointer: Option<Arc<Checkpointer>>,
    /// Whether transactions can get connections of their own (false for plain memory).
    shared: bool,
    /// Where statements run, which decides how a transaction's connection is made.
    kind: StoreKind,
    /// The file's journal: a transaction's connection is configured to match.
    journal: JournalMode,
    /// Each connection's page cache, in KiB.
    cache_kib: u32,
    /// The memory each connection keeps for itself (`DriverConfig::footprint`).
    footprint: Footprint,
    /// Declared last: removed after the connections above are closed.
    _scratch: Option<ScratchFile>,
}

pub struct Database {
    /// Declared first: transaction connections close before the store's files go.
    txs: Mutex<Transactions>,
    store: Mutex<Store>,
    /// `sqliteAbsentFile: 'empty-in-memory'` found no file: memory stands in for it.
    opened_empty_in_memory: bool,
}

#[derive(Default)]
struct Transactions {
    next_id: u32,
    open: HashMap<u32, Conn>,
    idle: Vec<Conn>,
}

impl Database {
    /// Opens the database `config` names; what it has to report without failing (a
    /// journal mode the file would not take) goes to `notices`.
    pub async fn open(config: &DriverConfig, notices: &Notices) -> Result<Database> {
        config.check_servable()?;
        let key = config.encryption_key.as_deref();
        let absent = match &config.location {
            Location::File(path) if config.sync_url.is_none() => {
                config.absent_file == AbsentFile::EmptyInMemory
                    && !std::path::Path::new(path).exists()
            }
            _ => false,
        };
        let store = match &config.location {
            Location::File(path) if config.sync_url.is_some() => {
                make_parent_dir(path)?;
                open_replica(path, config).await?
            }
            Location::File(path) if !absent => {
                if !config.read_only {
                    make_parent_dir(path)?;
                }
                let file = FileOptions {
                    read_only: config.read_only,
                    key,
                    journal: config.journal_mode,
                    cache_kib: config.cache_size_kib.unwrap_or(PAGE_CACHE_KIB),
                    footprint: config.footprint,
                };
                open_file(path, None, file, notices).await?
            }
            Location::File(_) | Location::Memory => {
                // `file::memory:` (not `:memory:`, which libsql opens with fixed flags)
                // so that the connection gets `open_flags()` too.
                let db = libsql::Builder::new_local("file::memory:")
                    .flags(open_flags())
                    .build()
                    .await
                    .map_err(connection_failed)?;
                let main = Conn::new(local_connect(&db, config.footprint)?);
                main.batch(TEMP_STORE).await.map_err(connection_failed)?;
                Store {
                    db: Arc::new(db),
                    read_only: false,
                    main,
                    checkpointer: None,
                    shared: false,
                    kind: StoreKind::Local,
                    journal: JournalMode::Wal,
                    cache_kib: config.cache_size_kib.unwrap_or(PAGE_CACHE_KIB),
                    footprint: config.footprint,
                    _scratch: None,
                }
            }
            Location::Remote(url) => open_remote(url, config.auth_token.as_deref()).await?,
        };
        Ok(Database {
            txs: Mutex::default(),
            store: Mutex::new(store),
            opened_empty_in_memory: absent,
        })
    }

    /// Whether `sqliteAbsentFile: 'empty-in-memory'` opened memory for a missing file.
    pub fn opened_empty_in_memory(&self) -> bool {
        self.opened_empty_in_memory
    }

    /// Pulls what the primary has that the replica lacks: `(frame_no, frames_synced)`.
    /// `None` for a database that is not a replica.
    pub async fn sync(&self) -> Result<Option<(Option<u64>, usize)>> {
        let db = {
            let store = self.lock_store();
            if store.kind != StoreKind::Replica {
                return Ok(None);
            }
            store.db.clone()
        };
        let synced = db.sync().await.map_err(sync_failed)?;
        Ok(Some((synced.frame_no(), synced.frames_synced())))
    }

    /// The connection for work outside transactions.
    pub fn main(&self) -> Conn {
        self.lock_store().main.clone()
    }

    /// The connection for `tx` (`None`: the main connection).
    pub fn conn(&self, tx: Option<u32>) -> Result<Conn> {
        match tx {
            None => Ok(self.main()),
            Some(id) => self
                .lock()
                .open
                .get(&id)
                .cloned()
                .ok_or_else(|| closed_tx(id)),
        }
    }

    /// Starts a transaction on a connection of its own and returns its id.
    pub async fn begin(&self) -> Result<u32> {
        let conn = self.spare().await?;
        // IMMEDIATE takes the write lock now: a deferred transaction that read first could
        // later fail with BUSY_SNAPSHOT, which no amount of waiting fixes.
        if let Err(err) = conn.execute("BEGIN IMMEDIATE", Vec::new()).await {
            self.lock().idle.push(conn);
            return Err(err);
        }
        let mut txs = self.lock();
        txs.next_id = txs.next_id.wrapping_add(1).max(1);
        let id = txs.next_id;
        txs.open.insert(id, conn);
        Ok(id)
    }

    /// A connection of its own, outside any transaction, for work that sets connection
    /// state before its transaction (a migration turns foreign keys off). Closed when
    /// dropped, never pooled.
    pub async fn dedicated(&self) -> Result<Conn> {
        self.share().await?;
        self.fresh().await
    }

    /// An idle transaction connection, or a new one.
    async fn spare(&self) -> Result<Conn> {
        self.share().await?;
        let idle = self.lock().idle.pop();
        match idle {
            Some(conn) => Ok(conn),
            None => self.fresh().await,
        }
    }

    async fn fresh(&self) -> Result<Conn> {
        let (raw, checkpointer, read_only, kind, db, journal, cache_kib) = {
            let store = self.lock_store();
            let raw = match store.kind {
                StoreKind::Server => store.db.connect().map_err(connection_failed)?,
                StoreKind::Local | StoreKind::Replica => local_connect(&store.db, store.footprint)?,
            };
            (
                raw,
                store.checkpointer.clone(),
                store.read_only,
                store.kind,
                store.db.clone(),
                store.journal,
                store.cache_kib,
            )
        };
        let conn = match kind {
            StoreKind::Server => Conn::remote(raw),
            StoreKind::Replica => Conn::replica(raw, db),
            StoreKind::Local => configure(Conn::new(raw), read_only, journal, cache_kib).await?,
        };
        Ok(match checkpointer {
            Some(c) => conn.with_checkpointer(c),
            None => conn,
        })
    }

    pub async fn commit(&self, id: u32) -> Result<()> {
        let conn = self.conn(Some(id))?;
        match conn.execute("COMMIT", Vec::new()).await {
            Ok(_) => {
                self.finish(id, conn);
                Ok(())
            }
            // Still open and intact: the caller waits and commits again.
            Err(err) if err.is_busy() => Err(err),
            Err(err) => {
                // Never leave a failed transaction open on a pooled connection.
                if !conn.is_autocommit() {
                    conn.execute("ROLLBACK", Vec::new()).await.ok();
                }
                self.finish(id, conn);
                Err(err)
            }
        }
    }

    pub async fn rollback(&self, id: u32) -> Result<()> {
        let conn = self.conn(Some(id))?;
        let result = if conn.is_autocommit() {
            Ok(())
        } else {
            conn.execute("ROLLBACK", Vec::new()).await.map(|_| ())
        };
        self.finish(id, conn);
        result
    }

    fn finish(&self, id: u32, conn: Conn) {
        let mut txs = self.lock();
        txs.open.remove(&id);
        if conn.is_autocommit() && txs.idle.len() < IDLE_CONNECTIONS {
            txs.idle.push(conn);
        }
    }

    /// Moves a plain `:memory:` database to its scratch file, so that a transaction's
    /// connection can see the same data (see [`ScratchFile`]).
    async fn share(&self) -> Result<()> {
        let main = {
            let store = self.lock_store();
            if store.shared {
                return Ok(());
            }
            store.main.clone()
        };
        let scratch = ScratchFile::new();
        // The path is ours (no quotes in it), but it is escaped like any SQL text anyway.
        let into = format!("VACUUM INTO '{}'", scratch.path.replace('\'', "''"));
        main.batch(&into).await?;
        let path = scratch.path.clone();
        // A private file nobody else opens: WAL, whatever the configured database uses.
        let (cache_kib, footprint) = {
            let store = self.lock_store();
            (store.cache_kib, store.footprint)
        };
        let file = FileOptions {
            read_only: false,
            key: None,
            journal: JournalMode::Wal,
            cache_kib,
            footprint,
        };
        let store = open_file(&path, Some(scratch), file, &Notices::default()).await?;
        copy_temp_objects(&main, &store.main).await?;
        *self.lock_store() = store;
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Transactions> {
        self.txs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_store(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// TEMP tables (and their indexes, views and triggers) belong to a connection, and
/// `VACUUM INTO` copies only the main schema: when `:memory:` moves to its scratch file,
/// the caller's TEMP objects and rows are made again on the new main connection.
async fn copy_temp_objects(from: &Conn, to: &Conn) -> Result<()> {
    const OBJECTS: &str = "SELECT type, name, sql FROM temp.sqlite_master WHERE sql IS NOT NULL \
         ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END";
    let objects = from.query(OBJECTS, Vec::new()).await?;
    for row in objects.rows {
        let [Value::Text(kind), Value::Text(name), Value::Text(sql)] = <[Value; 3]>::try_from(row)
            .map_err(|_| Error::driver("internal: unexpected sqlite_master shape"))?
        else {
            continue;
        };
        // The schema keeps `CREATE TABLE ...` for a TEMP table; indexes follow their table.
        let create = match (kind.as_str(), sql.get(..7)) {
            ("index", _) => sql.clone(),
            (_, Some(head)) if head.eq_ignore_ascii_case("CREATE ") => {
                format!("CREATE TEMP {}", &sql[7..])
            }
            _ => continue,
        };
        to.batch(&create).await?;
        if kind == "table" {
            let mut table = String::from("temp.");
            crate::identifier::push_identifier(&mut table, &name)?;
            let rows = from
                .query(&format!("SELECT * FROM {table}"), Vec::new())
                .await?;
            if let Some(width) = rows.rows.first().map(Vec::len) {
                let marks = vec!["?"; width].join(", ");
                let insert = format!("INSERT INTO {table} VALUES ({marks})");
                for row in rows.rows {
                    to.execute(&insert, row).await?;
                }
            }
        }
    }
    Ok(())
}

/// How every connection is opened: read-write, created if missing, URI names (for
/// `file::memory:`), and without SQLite's per-connection mutex. A connection here is only
/// ever used by one thread at a time (the JS thread, or the checkpoint worker for its
/// own connection), so the mutex locked on every API call bought nothing but time.
fn open_flags() -> libsql::OpenFlags {
    use libsql::ffi;
    configure_sqlite();
    libsql::OpenFlags::from_bits_retain(
        ffi::SQLITE_OPEN_READWRITE
            | ffi::SQLITE_OPEN_CREATE
            | ffi::SQLITE_OPEN_URI
            | ffi::SQLITE_OPEN_NOMUTEX,
    )
}

/// [`open_flags`] for `mode=ro`: read-only, never created.
fn read_only_flags() -> libsql::OpenFlags {
    use libsql::ffi;
    configure_sqlite();
    libsql::OpenFlags::from_bits_retain(
        ffi::SQLITE_OPEN_READONLY | ffi::SQLITE_OPEN_URI | ffi::SQLITE_OPEN_NOMUTEX,
    )
}

/// Process-wide SQLite settings, before libsql initialises SQLite on its first open:
/// no memory statistics (they take a global mutex on every allocation) unless a soft heap
/// limit was asked for first (see `limits.rs`), page caches that grow page by page, no
/// lookaside but for the connections that ask (see `at_open.rs`), and the page cache
/// wrapper of `pcache.rs`.
pub fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        crate::store::pcache::install();
        let count = std::ffi::c_int::from(crate::store::limits::count_memory_at_start());
        // SAFETY: sqlite3_config only records a setting before initialisation and returns
        // SQLITE_MISUSE, changing nothing, once SQLite is initialised (another library in
        // the process got there first); either way the result needs no handling.
        unsafe {
            libsql::ffi::sqlite3_config(libsql::ffi::SQLITE_CONFIG_MEMSTATUS, count);
            // Connections that want lookaside get it as they open (see `at_open.rs`).
            let (size, slots) = at_open::GLOBAL_LOOKASIDE;
            libsql::ffi::sqlite3_config(libsql::ffi::SQLITE_CONFIG_LOOKASIDE, size, slots);
            // No bulk allocation of 20 pages when a page cache is made: pages come as they
            // are read, so a database that reads a few pages (a tenant's) holds a few.
            libsql::ffi::sqlite3_config(
                libsql::ffi::SQLITE_CONFIG_PAGECACHE,
                std::ptr::null_mut::<std::ffi::c_void>(),
                0 as std::ffi::c_int,
                0 as std::ffi::c_int,
            );
        }
    });
}

/// Starts SQLite as an open does ([`configure_sqlite`], then libsql's own start), without
/// opening anything: for settings that need it started.
pub fn start_sqlite() -> Result<()> {
    let build = libsql::Builder::new_local(":memory:")
        .flags(open_flags())
        .build();
    match crate::store::poll::poll_once(build) {
        Some(Ok(_)) => Ok(()),
        Some(Err(err)) => Err(connection_failed(err)),
        None => Err(Error::driver("SQLite did not start inline")),
    }
}

/// How a database file is opened.
#[derive(Clone, Copy)]
struct FileOptions<'a> {
    /// `mode=ro`: no pragma that writes, no checkpoints.
    read_only: bool,
    key: Option<&'a str>,
    journal: JournalMode,
    /// Each connection's page cache, in KiB (`cacheSizeKiB`).
    cache_kib: u32,
    footprint: Footprint,
}

/// The directories a new database file goes in, made as SQLite makes the file itself
/// (it fails with "unable to open" otherwise).
fn make_parent_dir(path: &str) -> Result<()> {
    let Some(parent) = std::path::Path::new(path).parent() else {
        return Ok(());
    };
    if parent.as_os_str().is_empty() || parent.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(parent).map_err(|err| {
        Error::new(
            ErrorCode::ConnectionFailed,
            format!("The directory of the database file \"{path}\" cannot be made: {err}"),
        )
    })
}

/// Opens a database file in the configured journal mode (WAL lets the main connection
/// read while a transaction's connection writes); read-only as it is.
async fn open_file(
    path: &str,
    scratch: Option<ScratchFile>,
    file: FileOptions<'_>,
    notices: &Notices,
) -> Result<Store> {
    let flags = if file.read_only {
        read_only_flags()
    } else {
        open_flags()
    };
    let mut builder = libsql::Builder::new_local(path).flags(flags);
    if let Some(key) = file.key {
        builder = builder.encryption_config(encryption(key));
    }
    let db = builder.build().await.map_err(connection_failed)?;
    // The main connection closes last: its WAL files stay for the next open.
    let persist_wal = !file.read_only && file.journal == JournalMode::Wal && scratch.is_none();
    let settings = AtOpen {
        persist_wal,
        footprint: file.footprint,
    };
    let raw = at_open::connect(&db, settings).map_err(connection_failed)?;
    let raw = Conn::new(raw);
    let journal = if file.read_only {
        file.journal
    } else {
        crate::store::journal::apply(&raw, path, file.journal, notices)
            .await
            .map_err(|err| unreadable(connection_failed(err), file.key.is_some()))?
    };
    let main = configure(raw, file.read_only, journal, file.cache_kib)
        .await
        .map_err(|err| unreadable(err, file.key.is_some()))?;
    let db = Arc::new(db);
    let (main, checkpointer) = if file.read_only || journal != JournalMode::Wal {
        (main, None)
    } else {
        let checkpointer = Checkpointer::new(db.clone());
        (
            main.with_checkpointer(checkpointer.clone()),
            Some(checkpointer),
        )
    };
    Ok(Store {
        db,
        read_only: file.read_only,
        main,
        checkpointer,
        shared: true,
        kind: StoreKind::Local,
        journal,
        cache_kib: file.cache_kib,
        footprint: file.footprint,
        _scratch: scratch,
    })
}

/// An embedded replica: `path` holds a copy of the primary's database, reads run on it,
/// writes go to the primary (each followed by a sync, so the next read sees it). The
/// replication protocol is chosen rather than probed for, so that a replica opens, and
/// serves reads, while its primary is down.
async fn open_replica(path: &str, config: &DriverConfig) -> Result<Store> {
    let primary = config.sync_url.as_deref().unwrap_or_default();
    let mut builder = libsql::Builder::new_remote_replica(
        path,
        http_url(primary),
        config.auth_token.clone().unwrap_or_default(),
    )
    .sync_protocol(libsql::SyncProtocol::V1)
    .connector(crate::store::loopback::connector()?);
    if let Some(key) = config.encryption_key.as_deref() {
        builder = builder.encryption_config(encryption(key));
    }
    let db = builder.build().await.map_err(connection_failed)?;
    let db = Arc::new(db);
    if config.sync.on_connect {
        db.sync().await.map_err(|err| {
            let mut err = sync_failed(err);
            err.message.push_str(
                " (to open the replica from its file alone while the primary is away, pass sync: { onConnect: false })",
            );
            err
        })?;
    }
    let main = Conn::replica(local_connect(&db, config.footprint)?, db.clone());
    Ok(Store {
        db,
        read_only: false,
        main,
        checkpointer: None,
        shared: true,
        kind: StoreKind::Replica,
        journal: JournalMode::Wal,
        cache_kib: PAGE_CACHE_KIB,
        footprint: config.footprint,
        _scratch: None,
    })
}

/// libSQL's encryption at rest: AES-256 (the one cipher it offers), keyed by `key`'s bytes.
fn encryption(key: &str) -> libsql::EncryptionConfig {
    libsql::EncryptionConfig::new(libsql::Cipher::Aes256Cbc, key.as_bytes().to_vec().into())
}

/// The first statements on a file fail with "file is not a database" when it is encrypted
/// and the key is missing or wrong (or it is no SQLite file at all): said plainly.
fn unreadable(err: Error, keyed: bool) -> Error {
    if !err.message.contains("file is not a database") {
        return err;
    }
    let why = if keyed {
        "the encryptionKey is not the one it was written with, or it is not a database file"
    } else {
        "it is encrypted (pass its encryptionKey), or it is not a database file"
    };
    Error::new(
        ErrorCode::ConnectionFailed,
        format!("The database file cannot be read: {why} ({})", err.message),
    )
}

fn sync_failed(err: libsql::Error) -> Error {
    Error::new(
        ErrorCode::ConnectionFailed,
        format!("The embedded replica could not sync with its primary: {err}"),
    )
}

/// `libsql://` is `https://`; the WebSocket schemes are served over HTTP too, which every
/// libSQL server speaks.
fn http_url(url: &str) -> String {
    match url.split_once("://") {
        Some(("ws", rest)) => format!("http://{rest}"),
        Some(("wss", rest)) => format!("https://{rest}"),
        _ => url.to_owned(),
    }
}

/// A database on a libSQL server. One request is made now, so that a wrong url, a refused
/// token or a dead server fail `connect()` rather than the first query.
async fn open_remote(url: &str, auth_token: Option<&str>) -> Result<Store> {
    let db = libsql::Builder::new_remote(http_url(url), auth_token.unwrap_or_default().to_owned())
        .connector(crate::store::loopback::connector()?)
        .build()
        .await
        .map_err(connection_failed)?;
    let main = Conn::remote(db.connect().map_err(connection_failed)?);
    main.execute("SELECT 1", Vec::new())
        .await
        .map_err(|err| match err.code {
            ErrorCode::ConnectionFailed => err,
            _ => connection_failed(err),
        })?;
    Ok(Store {
        db: Arc::new(db),
        read_only: false,
        main,
        checkpointer: None,
        shared: true,
        kind: StoreKind::Server,
        journal: JournalMode::Wal,
        cache_kib: PAGE_CACHE_KIB,
        footprint: Footprint::Full,
        _scratch: None,
    })
}

/// Settings of every connection to a database file (its journal mode is the file's, set
/// once by `journal::apply`). In WAL mode `synchronous = NORMAL` cannot corrupt the
/// database; it only lets the last commits roll back on power loss (better-sqlite3's
/// build default, and what the kernel's TypeScript driver runs with); a rollback journal
/// needs `FULL` for that. WAL checkpoints run on the checkpoint worker (see
/// `checkpoint.rs`), not inside commits.
async fn configure(
    conn: Conn,
    read_only: bool,
    journal: JournalMode,
    cache_kib: u32,
) -> Result<Conn> {
    let cache_size = format!("PRAGMA cache_size = -{cache_kib}");
    if read_only {
        for pragma in [cache_size, TEMP_STORE.to_owned()] {
            conn.batch(&pragma).await.map_err(connection_failed)?;
        }
        return Ok(conn);
    }
    let synchronous = match journal {
        JournalMode::Wal => "PRAGMA synchronous = NORMAL",
        JournalMode::Delete => "PRAGMA synchronous = FULL",
    };
    // One at a time: libsql's batch skips what follows a statement that returns rows.
    for pragma in [
        synchronous.to_owned(),
        cache_size,
        "PRAGMA wal_autocheckpoint = 0".to_owned(),
        format!("PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}"),
        TEMP_STORE.to_owned(),
    ] {
        conn.batch(&pragma).await.map_err(connection_failed)?;
    }
    Ok(conn)
}

fn closed_tx(id: u32) -> Error {
    Error::driver(format!(
        "Transaction {id} is not open: it was committed or rolled back, the driver was disconnected, or it belongs to another driver"
    ))
}

/// A connection to a local database that keeps no WAL files past its close.
fn local_connect(db: &libsql::Database, footprint: Footprint) -> Result<libsql::Connection> {
    let settings = AtOpen {
        persist_wal: false,
        footprint,
    };
    at_open::connect(db, settings).map_err(connection_failed)
}

fn connection_failed(err: impl Into<Error>) -> Error {
    let err = err.into();
    Error::new(ErrorCode::ConnectionFailed, err.message)
}
