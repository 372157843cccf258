//! `TursoDriverConfig`, validated once at construction.

use crate::error::{Error, Result};
use crate::store::at_open::Footprint;
use crate::store::StoreKind;
use crate::value::Value;

/// How long a local write waits for another connection's transaction by default.
pub const DEFAULT_BUSY_TIMEOUT_MS: u64 = 5_000;

/// How long a remote call may take by default.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 30_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    /// A private in-memory database (each driver has its own).
    Memory,
    /// A local SQLite file.
    File(String),
    /// A libSQL server or Turso Cloud (`libsql://`, `https://`, `http://`, `ws://`, `wss://`).
    Remote(String),
}

/// Whose API the driver serves. Everything that differs between the two hangs off this
/// one value, named by what it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Contract {
    /// The ObjectQL 4.2.2 API (`@objectql/driver-turso`), for direct callers.
    #[default]
    ObjectQl,
    /// The ObjectStack kernel (`contract: 'objectstack'`, what `TursoDriverPlugin` sets).
    ObjectStack,
}

impl Contract {
    /// The `contract` option (absent: the 4.2.2 API).
    pub fn from_option(value: Option<&Value>) -> Result<Contract> {
        match value {
            None => Ok(Contract::ObjectQl),
            Some(Value::Text(c)) if c == "objectstack" => Ok(Contract::ObjectStack),
            Some(Value::Text(c)) if c == "objectql" => Ok(Contract::ObjectQl),
            Some(other) => Err(Error::config(format!(
                "Turso driver option \"contract\" must be \"objectql\" or \"objectstack\", got {}.",
                other.to_json()
            ))),
        }
    }

    /// Its name in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Contract::ObjectQl => "objectql",
            Contract::ObjectStack => "objectstack",
        }
    }

    /// The kernel's two-valued filters: `$ne`/`$nin`/`$not` also match NULLs, an empty
    /// `$or` matches nothing, and a bare-day upper bound on a date-time covers the day.
    pub fn two_valued_filters(self) -> bool {
        self == Contract::ObjectStack
    }

    /// The kernel's filter rules: only the object form, checked whole before it compiles;
    /// what a column cannot answer exactly (a comparison on a JSON field, an `undefined`
    /// or unbindable comparand) is refused, in the kernel's words and positions; `$like`
    /// is case-exact and `$ilike` folds ASCII case.
    pub fn kernel_filter_rules(self) -> bool {
        self == Contract::ObjectStack
    }

    /// Every value of a JSON field is stored JSON-encoded, strings included, so `"123"`
    /// and `123` stay apart (the 4.2.2 API takes a string as JSON text already).
    pub fn strict_json(self) -> bool {
        self == Contract::ObjectStack
    }

    /// Tables carry `created_at`/`updated_at`, stamped by the driver.
    pub fn audit_columns(self) -> bool {
        self == Contract::ObjectStack
    }

    /// Sorted and paged reads end on the primary key, so pages partition the whole read.
    pub fn total_order(self) -> bool {
        self == Contract::ObjectStack
    }

    /// A `required` field's column is `NOT NULL` (the kernel's engine checks `required`
    /// itself and keeps the column nullable; `storage.notNull` asks for the constraint).
    pub fn required_is_not_null(self) -> bool {
        self == Contract::ObjectQl
    }

    /// The field types of the ObjectStack spec (numeric `rating`, JSON `location`, ...)
    /// on top of the 4.2.2 ones.
    pub fn spec_field_types(self) -> bool {
        self == Contract::ObjectStack
    }
}

/// The journal a database file runs with (`sqliteJournalMode`). WAL lets readers and the
/// writer (another process, a transaction's connection) proceed together; `delete` is the
/// way out for filesystems that cannot host WAL's shared-memory index (NFS, SMB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JournalMode {
    #[default]
    Wal,
    Delete,
}

impl JournalMode {
    pub fn as_str(self) -> &'static str {
        match self {
            JournalMode::Wal => "wal",
            JournalMode::Delete => "delete",
        }
    }
}

/// What opening a `file:` database that does not exist does (`sqliteAbsentFile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AbsentFile {
    /// SQLite's own answer: the file (and its missing directories) are made.
    #[default]
    Create,
    /// Nothing is made on disk: an empty private in-memory database is opened instead
    /// (a dry run, a plan, must not leave a database behind).
    EmptyInMemory,
}

/// Whether the driver may change the database's schema (`schemaMode`, the kernel's
/// ADR-0015): `external` and `validate-only` databases belong to someone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchemaMode {
    #[default]
    Managed,
    External,
    ValidateOnly,
}

impl SchemaMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaMode::Managed => "managed",
            SchemaMode::External => "external",
            SchemaMode::ValidateOnly => "validate-only",
        }
    }
}

/// What schema sync may do beyond adding (`autoMigrate`). Sync always creates what is
/// missing and never takes anything away on its own; `Safe` (a development setting)
/// also applies, at sync, the index changes that cannot lose a row or a constraint: a
/// legacy all-tenant unique index retired once its per-tenant replacement stands, and a
/// tenant key made NULL-safe when no rows collide. Everything else is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AutoMigrate {
    #[default]
    Off,
    Safe,
}

/// Where the driver runs, as the caller's environment says (`NODE_ENV`): production
/// schema is never changed beyond adding, whatever `autoMigrate` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Deployment {
    #[default]
    Development,
    Production,
}

impl Deployment {
    /// `production`: the caller runs with `NODE_ENV=production`.
    pub fn of(production: bool) -> Deployment {
        if production {
            Deployment::Production
        } else {
            Deployment::Development
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyncConfig {
    pub interval_seconds: f64,
    pub on_connect: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DriverConfig {
    pub url: String,
    pub location: Location,
    /// `file:...?mode=ro`: opened read-only (writes are refused by SQLite).
    pub read_only: bool,
    pub auth_token: Option<String>,
    pub encryption_key: Option<String>,
    pub concurrency: u32,
    pub sync_url: Option<String>,
    pub sync: SyncConfig,
    pub timeout_ms: Option<u64>,
    pub contract: Contract,
    pub journal_mode: JournalMode,
    pub absent_file: AbsentFile,
    pub schema_mode: SchemaMode,
    pub auto_migrate: AutoMigrate,
    /// Options given with a libSQL server's url that only shape a local file (see
    /// [`SERVER_INERT_OPTIONS`]), as the caller spelled them. 4.2.2 served the url and
    /// ignored them, so the driver does too, and says so once (see [`Self::inert_notice`]).
    pub inert_options: Vec<&'static str>,
    /// `cacheSizeKiB`: the page cache of each connection to a file, in KiB (`None`: the
    /// driver's default). Thousands of tenant databases each hold one.
    pub cache_size_kib: Option<u32>,
    /// The memory each connection keeps for itself: [`Footprint::Lean`] for a router's
    /// tenant databases (set by `Driver::with_shared`), not an option of its own.
    pub footprint: Footprint,
}

/// What a libSQL server's url leaves without effect: an embedded replica's primary and
/// its sync schedule, and a local file's encryption (a server's is its own).
const SERVER_INERT_OPTIONS: [&str; 3] = ["syncUrl", "encryptionKey", "sync"];

impl DriverConfig {
    pub fn from_value(config: &Value) -> Result<DriverConfig> {
        let url = match config.get("url") {
            Some(Value::Text(url)) if !url.is_empty() => url.clone(),
            Some(other) if !matches!(other, Value::Text(_)) => {
                return Err(Error::config(format!(
                    "Turso driver requires a \"url\" string in configuration, got {}.",
                    other.type_name()
                )))
            }
            _ => {
                return Err(Error::config(
                    "Turso driver requires a \"url\" in configuration.",
                ))
            }
        };
        let location = parse_location(&url)?;
        let read_only = uri_mode(&url)?.is_some_and(|mode| mode == "ro");
        let sync = config.get("sync");
        let inert_options = match location {
            Location::Remote(_) => SERVER_INERT_OPTIONS
                .into_iter()
                .filter(|key| !matches!(config.get(key), None | Some(Value::Null)))
                .collect(),
            _ => Vec::new(),
        };
        let inert = |key: &str| inert_options.contains(&key);
        Ok(DriverConfig {
            location,
            read_only,
            auth_token: optional_string(config, "authToken")?,
            encryption_key: optional_string(config, "encryptionKey")?
                .filter(|_| !inert("encryptionKey")),
            concurrency: optional_number(config, "concurrency")?.map_or(20, |n| n.max(1.0) as u32),
            sync_url: optional_string(config, "syncUrl")?.filter(|_| !inert("syncUrl")),
            sync: SyncConfig {
                interval_seconds: match sync {
                    Some(s) => optional_number(s, "intervalSeconds")?.unwrap_or(60.0),
                    None => 60.0,
                },
                on_connect: sync
                    .and_then(|s| s.get("onConnect"))
                    .is_none_or(|v| !matches!(v, Value::Bool(false))),
            },
            timeout_ms: optional_number(config, "timeout")?.map(|ms| ms as u64),
            cache_size_kib: cache_size_kib(config)?,
            footprint: Footprint::Full,
            journal_mode: choice(
                config,
                "sqliteJournalMode",
                &[("wal", JournalMode::Wal), ("delete", JournalMode::Delete)],
            )?,
            absent_file: choice(
                config,
                "sqliteAbsentFile",
                &[
                    ("create", AbsentFile::Create),
                    ("empty-in-memory", AbsentFile::EmptyInMemory),
                ],
            )?,
            schema_mode: choice(
                config,
                "schemaMode",
                &[
                    ("managed", SchemaMode::Managed),
                    ("external", SchemaMode::External),
                    ("validate-only", SchemaMode::ValidateOnly),
                ],
            )?,
            auto_migrate: match config.get("autoMigrate") {
                // The kernel's spellings: `false`/'off' and 'safe' (true reads as 'safe').
                Some(Value::Bool(true)) => AutoMigrate::Safe,
                Some(Value::Bool(false)) => AutoMigrate::Off,
                _ => choice(
                    config,
                    "autoMigrate",
                    &[("off", AutoMigrate::Off), ("safe", AutoMigrate::Safe)],
                )?,
            },
            contract: Contract::from_option(config.get("contract"))?,
            url,
            inert_options,
        })
    }

    /// The warning for [`Self::inert_options`], if any were given: each named, with what
    /// would make it count. The url is not repeated (it may carry a token).
    pub fn inert_notice(&self) -> Option<String> {
        if self.inert_options.is_empty() {
            return None;
        }
        let named: Vec<String> = self
            .inert_options
            .iter()
            .map(|key| format!("\"{key}\""))
            .collect();
        let one = named.len() == 1;
        Some(format!(
            "Turso driver: \"url\" names a libSQL server, which the driver serves; {} {} no effect \
             there: {} a local file (an embedded replica, a file encrypted at rest). Remove {}, or \
             make \"url\" a file: url for an embedded replica of the server.",
            named.join(", "),
            if one { "has" } else { "have" },
            if one { "it shapes" } else { "they shape" },
            if one { "it" } else { "them" },
        ))
    }

    /// Refuses what the driver cannot serve, so that a driver is never made that would do
    /// something else than asked: a replica of anything but a file, and encryption of
    /// anything but a file. A server's url is served as it is: what only a file would
    /// use was set aside as [`Self::inert_options`] when the config was read.
    pub fn check_servable(&self) -> Result<()> {
        if let Some(sync_url) = &self.sync_url {
            if !matches!(self.location, Location::File(_)) {
                return Err(Error::config(format!(
                    "\"syncUrl\" makes an embedded replica of a local file: \"url\" must be a file: url, got \"{}\".",
                    self.url
                )));
            }
            if self.read_only {
                return Err(Error::config(
                    "An embedded replica writes its file as it syncs: \"?mode=ro\" cannot be combined with \"syncUrl\".",
                ));
            }
            if !matches!(parse_location(sync_url)?, Location::Remote(_)) {
                return Err(Error::config(format!(
                    "\"syncUrl\" must be the primary's libsql://, https://, http://, ws:// or wss:// url, got \"{sync_url}\"."
                )));
            }
        }
        if let Some(key) = &self.encryption_key {
            if key.is_empty() {
                return Err(Error::config(
                    "\"encryptionKey\" is empty: give the key the file is encrypted with, or leave the option out.",
                ));
            }
            match self.location {
                Location::File(_) => {}
                Location::Memory => {
                    return Err(Error::config(
                        "\"encryptionKey\" encrypts a database file at rest; \":memory:\" writes no file. Use a file: url.",
                    ))
                }
                // Set aside as inert when the config was read.
                Location::Remote(_) => {}
            }
        }
        Ok(())
    }

    /// Where statements run: a libSQL server (`libsql://`, `http(s)://`, `ws(s)://`), an
    /// embedded replica (a file with a `syncUrl`), or this process.
    pub fn store_kind(&self) -> StoreKind {
        match (&self.location, &self.sync_url) {
            (Location::Remote(_), _) => StoreKind::Server,
            (Location::File(_), Some(_)) => StoreKind::Replica,
            _ => StoreKind::Local,
        }
    }

    /// Whether statements go to a libSQL server (they cannot finish on the calling thread).
    pub fn is_remote(&self) -> bool {
        self.store_kind() == StoreKind::Server
    }

    /// The file and the primary's url of an embedded replica.
    pub fn replica(&self) -> Option<(&str, &str)> {
        match (&self.location, &self.sync_url) {
            (Location::File(path), Some(primary)) => Some((path, primary)),
            _ => None,
        }
    }

    /// How long a remote call may take, connecting included, before it fails with
    /// `DRIVER_CONNECTION_FAILED`: the `timeout` option, or 30 s.
    pub fn request_timeout_ms(&self) -> u64 {
        self.timeout_ms.unwrap_or(DEFAULT_REQUEST_TIMEOUT_MS)
    }

    pub fn busy_timeout_ms(&self) -> u64 {
        self.timeout_ms.unwrap_or(DEFAULT_BUSY_TIMEOUT_MS)
    }
}

fn parse_location(url: &str) -> Result<Location> {
    if url == ":memory:" {
        return Ok(Location::Memory);
    }
    if let Some(rest) = url.strip_prefix("file:") {
        // `file:///abs`, `file://localhost/abs` and `file:rel` all name a path.
        let path = rest
            .strip_prefix("//localhost")
            .or_else(|| rest.strip_prefix("//"))
            .unwrap_or(rest);
        let path = path.split(['?', '#']).next().unwrap_or(path);
        if path == ":memory:" {
            return Ok(Location::Memory);
        }
        if path.is_empty() {
            return Err(Error::config(
                "The url \"file:\" names no file: give a path (\"file:./data/app.db\"), or use \":memory:\" for a database in memory.",
            ));
        }
        if path.contains('\0') {
            return Err(Error::config(
                "The database path must not contain NUL characters.",
            ));
        }
        return Ok(Location::File(path.to_owned()));
    }
    let remote = ["libsql://", "https://", "http://", "ws://", "wss://"];
    if remote.iter().any(|scheme| url.starts_with(scheme)) {
        return Ok(Location::Remote(url.to_owned()));
    }
    Err(Error::config(format!(
        "Unsupported Turso driver url \"{url}\": use \":memory:\", \"file:<path>\", or a libsql://, https://, http://, ws:// or wss:// URL."
    )))
}

/// The `mode` of a `file:` url's query (`ro`, `rw`, `rwc`), checked.
fn uri_mode(url: &str) -> Result<Option<&str>> {
    let Some(query) = url
        .strip_prefix("file:")
        .and_then(|r| r.split_once('?'))
        .map(|(_, q)| q)
    else {
        return Ok(None);
    };
    let query = query.split('#').next().unwrap_or(query);
    for pair in query.split('&') {
        if let Some(mode) = pair.strip_prefix("mode=") {
            return match mode {
                "ro" | "rw" | "rwc" => Ok(Some(mode)),
                other => Err(Error::config(format!(
                    "Unsupported mode \"{other}\" in the url: use mode=ro (read-only), rw or rwc."
                ))),
            };
        }
    }
    Ok(None)
}

/// An option spelled as one of `choices` (absent: the default).
fn choice<T: Copy + Default>(config: &Value, key: &str, choices: &[(&str, T)]) -> Result<T> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(T::default()),
        Some(Value::Text(s)) => choices
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s.trim()))
            .map(|(_, v)| *v)
            .ok_or_else(|| unknown_choice(key, &Value::Text(s.clone()), choices)),
        Some(other) => Err(unknown_choice(key, other, choices)),
    }
}

fn unknown_choice<T>(key: &str, got: &Value, choices: &[(&str, T)]) -> Error {
    let names: Vec<String> = choices.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    Error::config(format!(
        "Turso driver option \"{key}\" must be {}, got {}.",
        names.join(" or "),
        got.to_json()
    ))
}

fn optional_string(config: &Value, key: &str) -> Result<Option<String>> {
    match config.get(key) {
        None => Ok(None),
        Some(Value::Text(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Error::config(format!(
            "Turso driver option \"{key}\" must be a string, got {}.",
            other.type_name()
        ))),
    }
}

/// The largest `cacheSizeKiB`: 1 TiB, far past any machine's memory for one cache.
pub const MAX_CACHE_SIZE_KIB: u32 = 1 << 30;

/// `cacheSizeKiB`: a whole number of KiB, at least 1.
fn cache_size_kib(config: &Value) -> Result<Option<u32>> {
    let kib = match config.get("cacheSizeKiB") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Integer(i)) => Some(*i),
        Some(Value::Real(f)) if f.fract() == 0.0 && f.abs() < 1e15 => Some(*f as i64),
        Some(_) => None,
    };
    match kib {
        Some(kib) if (1..=i64::from(MAX_CACHE_SIZE_KIB)).contains(&kib) => Ok(Some(kib as u32)),
        _ => Err(Error::config(format!(
            "Turso driver option \"cacheSizeKiB\" must be a whole number of KiB from 1 to \
             {MAX_CACHE_SIZE_KIB} (the page cache of each connection), got {}.",
            config
                .get("cacheSizeKiB")
                .map_or_else(String::new, Value::describe)
        ))),
    }
}

fn optional_number(config: &Value, key: &str) -> Result<Option<f64>> {
    match config.get(key) {
        None => Ok(None),
        Some(Value::Integer(i)) if *i >= 0 => Ok(Some(*i as f64)),
        Some(Value::Real(f)) if f.is_finite() && *f >= 0.0 => Ok(Some(*f)),
        Some(other) => Err(Error::config(format!(
            "Turso driver option \"{key}\" must be a finite non-negative number, got {}.",
            other.describe()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn config(pairs: Vec<(&str, Value)>) -> Result<DriverConfig> {
        DriverConfig::from_value(&Value::Object(
            pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        ))
    }

    #[test]
    fn cache_size_is_a_whole_positive_number_of_kib() {
        let url = ("url", Value::from(":memory:"));
        assert_eq!(config(vec![url.clone()]).unwrap().cache_size_kib, None);
        let set = config(vec![url.clone(), ("cacheSizeKiB", Value::Integer(64))]).unwrap();
        assert_eq!(set.cache_size_kib, Some(64));
        let whole = config(vec![url.clone(), ("cacheSizeKiB", Value::Real(64.0))]).unwrap();
        assert_eq!(whole.cache_size_kib, Some(64));
        for bad in [
            Value::Integer(0),
            Value::Integer(-1),
            Value::Real(1.5),
            Value::Real(f64::NAN),
            Value::Integer(i64::from(MAX_CACHE_SIZE_KIB) + 1),
            Value::from("64"),
        ] {
            let err = config(vec![url.clone(), ("cacheSizeKiB", bad.clone())]).unwrap_err();
            assert_eq!(err.code, ErrorCode::Config, "{bad:?}");
            assert!(err.message.contains("cacheSizeKiB"), "{}", err.message);
        }
    }

    #[test]
    fn requires_a_url() {
        for cfg in [vec![], vec![("url", Value::from(""))]] {
            let err = config(cfg).unwrap_err();
            assert_eq!(err.code, ErrorCode::Config);
            assert!(err.message.contains("requires a \"url\""));
        }
    }

    #[test]
    fn classifies_urls() {
        let loc = |u: &str| config(vec![("url", u.into())]).map(|c| c.location);
        assert_eq!(loc(":memory:").unwrap(), Location::Memory);
        assert_eq!(loc("file:./a.db").unwrap(), Location::File("./a.db".into()));
        assert_eq!(
            loc("file:///tmp/a.db").unwrap(),
            Location::File("/tmp/a.db".into())
        );
        assert!(matches!(
            loc("libsql://x.turso.io").unwrap(),
            Location::Remote(_)
        ));
        assert_eq!(loc("ftp://x").unwrap_err().code, ErrorCode::Config);
    }

    #[test]
    fn reads_the_behaviour_options_and_refuses_unknown_spellings() {
        let c = config(vec![("url", ":memory:".into())]).unwrap();
        assert_eq!(
            (c.journal_mode, c.absent_file, c.schema_mode, c.auto_migrate),
            (
                JournalMode::Wal,
                AbsentFile::Create,
                SchemaMode::Managed,
                AutoMigrate::Off
            )
        );
        let c = config(vec![
            ("url", ":memory:".into()),
            ("sqliteJournalMode", "DELETE".into()),
            ("sqliteAbsentFile", "empty-in-memory".into()),
            ("schemaMode", "validate-only".into()),
            ("autoMigrate", Value::Bool(true)),
        ])
        .unwrap();
        assert_eq!(
            (c.journal_mode, c.absent_file, c.schema_mode, c.auto_migrate),
            (
                JournalMode::Delete,
                AbsentFile::EmptyInMemory,
                SchemaMode::ValidateOnly,
                AutoMigrate::Safe
            )
        );
        for (key, bad) in [
            ("sqliteJournalMode", Value::from("wal2")),
            ("schemaMode", Value::Integer(1)),
            ("autoMigrate", Value::from("always")),
        ] {
            let err = config(vec![("url", ":memory:".into()), (key, bad)]).unwrap_err();
            assert_eq!(err.code, ErrorCode::Config);
            assert!(err.message.contains(key), "{}", err.message);
        }
    }

    #[test]
    fn serves_a_server_url_and_names_the_options_only_a_file_would_use() {
        let c = config(vec![
            ("url", "libsql://db.example.com".into()),
            ("syncUrl", "libsql://db.example.com".into()),
            ("encryptionKey", "key".into()),
            ("sync", Value::Object(vec![])),
            ("timeout", Value::Integer(5000)),
        ])
        .unwrap();
        c.check_servable().unwrap();
        assert!(c.is_remote() && c.replica().is_none());
        assert_eq!((&c.sync_url, &c.encryption_key), (&None, &None));
        assert_eq!(c.inert_options, ["syncUrl", "encryptionKey", "sync"]);
        let notice = c.inert_notice().unwrap();
        assert!(notice.contains("\"syncUrl\", \"encryptionKey\", \"sync\" have no effect"));
        assert!(!notice.contains("timeout") && !notice.contains("db.example.com"));

        let alone = config(vec![
            ("url", "https://db.example.com".into()),
            ("encryptionKey", "key".into()),
        ])
        .unwrap();
        assert!(alone
            .inert_notice()
            .unwrap()
            .contains("\"encryptionKey\" has no effect"));

        // A file keeps them; memory still refuses what it cannot serve.
        let file = config(vec![
            ("url", "file:a.db".into()),
            ("encryptionKey", "k".into()),
        ])
        .unwrap();
        assert_eq!(
            (file.inert_notice(), file.encryption_key.as_deref()),
            (None, Some("k"))
        );
        let memory = config(vec![
            ("url", ":memory:".into()),
            ("syncUrl", "libsql://x".into()),
        ]);
        assert_eq!(
            memory.unwrap().check_servable().unwrap_err().code,
            ErrorCode::Config
        );
    }

    #[test]
    fn reads_sync_defaults() {
        let c = config(vec![("url", ":memory:".into())]).unwrap();
        assert_eq!(c.sync.interval_seconds, 60.0);
        assert!(c.sync.on_connect);
        assert_eq!(c.concurrency, 20);
        assert_eq!(c.busy_timeout_ms(), DEFAULT_BUSY_TIMEOUT_MS);
    }
}
