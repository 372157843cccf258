//! One error type for the whole core. Every failure carries a stable [`ErrorCode`]
//! that the binding turns into `ObjectQLError.code`, so callers can branch on it.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Bad driver, router or plugin configuration.
    Config,
    /// A caller argument was refused before any SQL ran (identifier, sort, ...).
    InvalidRequest,
    /// A filter was refused before any SQL ran (unknown operator, bad operand). The
    /// ObjectStack kernel knows it as `INVALID_FILTER`; the 4.2.2 API reports
    /// `INVALID_REQUEST` (the JS layer decides).
    InvalidFilter,
    NotFound,
    /// A query no backend can run (an aggregate function the Query Protocol does not
    /// declare): the kernel's `INVALID_QUERY`, 400.
    InvalidQuery,
    /// A well-formed request this driver does not serve (the kernel's `NOT_IMPLEMENTED`,
    /// 501): its engine then computes the answer another way.
    NotImplemented,
    /// SQLite (or the server) refused a statement.
    Query,
    /// A write would repeat a value a unique index holds already. The kernel turns it
    /// into its 409 (`DUPLICATE_RECORD`); 4.2.2 callers see `QUERY_ERROR` (the JS layer
    /// decides).
    UniqueViolation,
    /// The driver was misused or hit an internal limit (closed, unknown transaction, ...).
    Driver,
    ConnectionFailed,
    /// A request that cannot be served as given, by the table it targets rather than by
    /// its spelling (an upsert on conflict keys no unique index backs). The kernel's
    /// `VALIDATION_ERROR` (400); the 4.2.2 API reports `INVALID_REQUEST`.
    Validation,
    /// Schema DDL on a database whose `schemaMode` is not `managed` (the kernel's 403).
    SchemaModeViolation,
    /// Another connection holds the write lock. Never reaches users directly: the JS layer
    /// retries these asynchronously until the driver's timeout and then reports `Driver`.
    Busy,
    /// A provisioning call asked to create what exists already (the Turso Platform API's
    /// 409, a libSQL server's "Namespace ... already exists"). The `ensure*` calls turn it
    /// into success; the plain `create*` calls report it.
    AlreadyExists,
    /// A migration plan was made against another schema than the database has now
    /// (someone changed it since): re-plan.
    SchemaDrift,
    /// A migration that would lose or alter data the caller did not choose to (values
    /// a type change cannot convert, NULLs in a column made NOT NULL, child rows of a
    /// rebuilt parent): nothing ran.
    MigrationRefused,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Config => "CONFIG_ERROR",
            ErrorCode::InvalidRequest => "INVALID_REQUEST",
            ErrorCode::InvalidFilter => "INVALID_FILTER",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::InvalidQuery => "INVALID_QUERY",
            ErrorCode::NotImplemented => "NOT_IMPLEMENTED",
            ErrorCode::Query => "QUERY_ERROR",
            ErrorCode::UniqueViolation => "UNIQUE_VIOLATION",
            ErrorCode::Driver => "DRIVER_ERROR",
            ErrorCode::ConnectionFailed => "DRIVER_CONNECTION_FAILED",
            ErrorCode::Validation => "VALIDATION_ERROR",
            ErrorCode::SchemaModeViolation => "EXTERNAL_SCHEMA_MODE_VIOLATION",
            ErrorCode::Busy => "SQLITE_BUSY",
            ErrorCode::AlreadyExists => "ALREADY_EXISTS",
            ErrorCode::SchemaDrift => "SCHEMA_DRIFT",
            ErrorCode::MigrationRefused => "MIGRATION_REFUSED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    /// For a filter refusal whose full text may name what the caller did not write (a
    /// read-scope rule the engine merged in): that text and where its subtree sits.
    /// `message` is then the text that names nothing.
    pub withheld: Option<Box<Withheld>>,
    /// What the database itself said, when the message is the driver's reading of it:
    /// kept for whoever debugs (the JS error's `cause`), apart from the caller-facing text.
    pub cause: Option<String>,
    /// For a statement SQLite refused (`Query`): its text, with `?` for every value, for
    /// the operator's log. Never part of `message`.
    pub statement: Option<Box<str>>,
}

/// The withheld half of a filter refusal (the kernel contract, see
/// [`Error::withheld_filter`]).
///
/// The ObjectStack kernel marks the filter subtrees a caller wrote as `'author'`
/// (a non-enumerable symbol on the object, `markFilterSubtreeProvenance`); everything
/// else in a `where` may be an administrator's rule. A refusal raised inside a subtree
/// shows `detail` only when the JS layer finds that subtree positively marked
/// `'author'` on the caller's own filter object; otherwise the caller sees `message`
/// and `detail` goes to the driver's logger. Rust cannot see the marks, so it says
/// where the subtree is and the JS layer (`lib/provenance.js`) decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld {
    /// The refusal in full, naming fields, operators and values.
    pub detail: String,
    /// The refused subtree's position in the filter the caller passed, from its root:
    /// each step is the position of a key among an object's own enumerable keys (the
    /// order `Object.keys` gives, which is the order values arrive in) or an array
    /// index. It names an object or array, never a primitive: a primitive comparand is
    /// represented by the node that holds it, which carries its mark.
    pub subtree: Vec<u32>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            withheld: None,
            cause: None,
            statement: None,
        }
    }

    /// A filter refusal (`INVALID_FILTER`) in two texts: `shown`, which names nothing
    /// the filter said, and `detail`, which the caller sees only when `subtree` (see
    /// [`Withheld::subtree`]) is marked as their own. Use it for every refusal whose
    /// text would name a field, operator or value of a subtree the caller may not
    /// have written.
    pub fn withheld_filter(
        shown: impl Into<String>,
        detail: impl Into<String>,
        subtree: Vec<u32>,
    ) -> Self {
        Error {
            code: ErrorCode::InvalidFilter,
            message: shown.into(),
            withheld: Some(Box::new(Withheld {
                detail: detail.into(),
                subtree,
            })),
            cause: None,
            statement: None,
        }
    }

    /// This error with what the database said underneath it.
    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Config, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn query(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Query, message)
    }

    pub fn driver(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Driver, message)
    }

    /// A statement failure, with the statement it is about (see [`Error::statement`]).
    pub fn in_statement(mut self, sql: &str) -> Self {
        if self.code == ErrorCode::Query && self.statement.is_none() {
            self.statement = Some(sql.into());
        }
        self
    }

    /// This error, as the refusal of a filter.
    pub fn in_filter(mut self) -> Self {
        if self.code == ErrorCode::InvalidRequest {
            self.code = ErrorCode::InvalidFilter;
        }
        self
    }

    pub fn is_busy(&self) -> bool {
        self.code == ErrorCode::Busy
    }

    /// The column a statement named that its table does not have, without its table:
    /// `no such column: t.x`, `no such column: "we ird" - should this be a string literal
    /// ...` (a quoted name may hold spaces and quotes), `table t has no column named x`; a
    /// server appends ` (at offset N)`.
    pub fn missing_column(&self) -> Option<&str> {
        if self.code != ErrorCode::Query {
            return None;
        }
        let m = &self.message;
        let rest = if let Some(i) = m.find("no such column: ") {
            &m[i + "no such column: ".len()..]
        } else {
            let i = m.find(" has no column named ")?;
            &m[i + " has no column named ".len()..]
        };
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find("\" - ").or_else(|| quoted.rfind('"'))?;
            return Some(&quoted[..end]);
        }
        let name = rest.split(" (at offset").next().unwrap_or(rest).trim_end();
        Some(name.split_once('.').map_or(name, |(_, column)| column))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_CONSTRAINT_PRIMARYKEY: i32 = 1555;
const SQLITE_CONSTRAINT_UNIQUE: i32 = 2067;

impl From<libsql::Error> for Error {
    fn from(err: libsql::Error) -> Self {
        match err {
            // Extended codes (BUSY_SNAPSHOT, LOCKED_SHAREDCACHE, ...) share the primary byte.
            libsql::Error::SqliteFailure(code, msg)
                if matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED) =>
            {
                Error::new(ErrorCode::Busy, msg)
            }
            libsql::Error::SqliteFailure(
                SQLITE_CONSTRAINT_UNIQUE | SQLITE_CONSTRAINT_PRIMARYKEY,
                msg,
            ) => Error::new(ErrorCode::UniqueViolation, msg),
            libsql::Error::SqliteFailure(_, msg) => Error::query(msg),
            libsql::Error::ConnectionFailed(msg) => Error::new(ErrorCode::ConnectionFailed, msg),
            libsql::Error::Hrana(inner) => from_server(&inner.to_string()),
            // A replica's write the primary refused, or could not be sent to it.
            libsql::Error::RemoteSqliteFailure(
                _,
                SQLITE_CONSTRAINT_UNIQUE | SQLITE_CONSTRAINT_PRIMARYKEY,
                msg,
            ) => Error::new(ErrorCode::UniqueViolation, msg),
            libsql::Error::RemoteSqliteFailure(_, _, msg) => Error::query(msg),
            libsql::Error::WriteDelegation(inner)
            | libsql::Error::Replication(inner)
            | libsql::Error::Sync(inner) => Error::new(
                ErrorCode::ConnectionFailed,
                format!("The replica's primary could not be reached: {inner}"),
            ),
            other => Error::query(other.to_string()),
        }
    }
}

/// A libSQL server's answer (libsql's Hrana error text), by what the caller can do about
/// it: fix the statement (`QUERY_ERROR`, `UNIQUE_VIOLATION`), or the connection, token or
/// server (`DRIVER_CONNECTION_FAILED`).
fn from_server(text: &str) -> Error {
    let unreachable = || {
        Error::new(
            ErrorCode::ConnectionFailed,
            format!("The libSQL server could not be reached: {text}"),
        )
    };
    if text.starts_with("http error") {
        return unreachable();
    }
    if let Some(status) = text
        .split("status=")
        .nth(1)
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok())
    {
        let reason = match status {
            401 | 403 => "the server refused the auth token (check \"authToken\": missing, expired or for another database)",
            429 => "the server is overloaded (too many requests or connections); retry later",
            500..=599 => "the server failed or is unavailable (an interactive transaction kept open longer than the server allows also ends this way)",
            _ => "",
        };
        if !reason.is_empty() {
            return Error::new(
                ErrorCode::ConnectionFailed,
                format!("libSQL server answered HTTP {status}: {reason}. ({text})"),
            );
        }
    }
    let message = sqlite_message(text);
    if message.contains("UNIQUE constraint failed") {
        return Error::new(ErrorCode::UniqueViolation, message);
    }
    Error::query(message)
}

/// The SQLite message inside a Hrana error's text (`... message: "no such table: t", ...`
/// or `` ...`SQLite error: UNIQUE constraint failed: t.x` ``), or the whole text.
fn sqlite_message(text: &str) -> String {
    if let Some(rest) = text.split("message: \"").nth(1) {
        if let Some(end) = rest.find("\", code") {
            return rest[..end].replace("\\\"", "\"");
        }
    }
    if let Some(rest) = text.split("SQLite error: ").nth(1) {
        return rest.trim_end_matches('`').to_owned();
    }
    text.to_owned()
}

#[cfg(test)]
mod server_error_tests {
    use super::*;

    #[test]
    fn reads_the_servers_answers() {
        let unique = from_server("cursor error: `error at step 0: (error code: SQLITE_CONSTRAINT) `SQLite error: UNIQUE constraint failed: task.id``");
        assert_eq!(unique.code, ErrorCode::UniqueViolation);
        assert_eq!(unique.message, "UNIQUE constraint failed: task.id");
        let column = from_server(
            r#"stream error: `Error { message: "SQL input error: no such column: task.nope (at offset 27)", code: "SQL_INPUT_ERROR" }`"#,
        );
        assert_eq!(column.code, ErrorCode::Query);
        assert_eq!(column.missing_column(), Some("nope"));
        for (message, name) in [
            ("no such column: nope", "nope"),
            ("no such column: item.we ird", "we ird"),
            ("no such column: \"title; DROP TABLE item\" - should this be a string literal in single-quotes?", "title; DROP TABLE item"),
            ("table item has no column named zz y", "zz y"),
        ] {
            assert_eq!(Error::query(message).missing_column(), Some(name), "{message}");
        }
        let token =
            from_server("api error: `status=401 Unauthorized, body={\"error\":\"Unauthorized\"}`");
        assert_eq!(token.code, ErrorCode::ConnectionFailed);
        assert!(token.message.contains("auth token"), "{}", token.message);
        let refused = from_server("http error: `hyper::Error(Connect, ConnectError(\"tcp connect error\", Os { code: 111, kind: ConnectionRefused }))`");
        assert_eq!(refused.code, ErrorCode::ConnectionFailed);
    }
}
