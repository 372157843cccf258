//! The journal mode of a database file (`sqliteJournalMode`, the kernel's #3941).
//!
//! Journal mode is a property of the file, not of a connection: set once here, on the
//! main connection at open, it holds for every connection and process after. WAL is the
//! default because several processes share one file (a server, a migration, a test run)
//! and under WAL neither readers nor the writer wait for each other. `delete` is the way
//! out for filesystems that cannot host WAL's shared-memory index (NFS, SMB), and it has
//! to be applied, not merely skipped: a file once in WAL stays in WAL.
//!
//! Two answers are not loud on their own, so both are checked: SQLite replies to
//! `PRAGMA journal_mode = X` with the mode in force, and a filesystem that cannot host
//! WAL replies with the old one, without an error; and WAL can be accepted and then fail
//! the first read through it, which would strand the file (so that read is made, on every
//! open, and the file goes back to `delete` if it fails). Neither fails the open: a file on
//! a rollback journal is slower under concurrency, not broken. Only a file that can be read
//! neither way (no WAL read, no revert: the process is out of file descriptors) does.
//!
//! A new file is first set to `auto_vacuum = INCREMENTAL`, so it can give freed pages back
//! (`reclaimSpace()`); an existing file keeps its setting.

use crate::config::JournalMode;
use crate::error::{Error, ErrorCode, Result};
use crate::notice::Notices;
use crate::store::conn::Conn;
use crate::value::Value;

/// The environment variable a deployment sets to choose the journal mode.
pub const JOURNAL_MODE_ENV: &str = "OS_DATABASE_SQLITE_JOURNAL_MODE";

/// Puts the file behind `conn` in `target` mode, as far as the file allows, and returns
/// the mode it is in. Only a failure of the very first statement (the file cannot be
/// read at all) is an error.
pub async fn apply(
    conn: &Conn,
    path: &str,
    target: JournalMode,
    notices: &Notices,
) -> Result<JournalMode> {
    // Only a new file takes it (an existing one needs a VACUUM), and setting it on one in
    // use would wait for another connection's write lock. A file with bytes has pages: the
    // statement is saved on every open of an existing database (a tenant's cold open).
    let has_bytes = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
    if !has_bytes {
        let pages = conn.query("PRAGMA page_count", Vec::new()).await?;
        if matches!(
            pages.rows.first().and_then(|r| r.first()),
            Some(Value::Integer(0))
        ) {
            conn.batch("PRAGMA auto_vacuum = INCREMENTAL").await?;
        }
    }
    let current = match mode_of(conn, "PRAGMA journal_mode").await {
        Ok(mode) => mode,
        // The first statement on an existing file: it cannot be read at all.
        Err(err) if has_bytes => return Err(err),
        Err(err) => {
            notices.warn(format!(
                "Failed to read SQLite journal_mode on {path}: {}",
                err.message
            ));
            return Ok(JournalMode::Delete);
        }
    };
    // No journal (`memory`, `off`) is a choice of whoever made the file, not a rollback
    // journal to move from.
    if current == "memory" || current == "off" {
        return Ok(JournalMode::Delete);
    }
    let current_mode = parse(&current).unwrap_or(JournalMode::Delete);
    if current == target.as_str() {
        return Ok(match target {
            JournalMode::Wal => verify_wal(conn, path, notices).await?,
            JournalMode::Delete => target,
        });
    }
    let set = format!(
        "PRAGMA journal_mode = {}",
        target.as_str().to_ascii_uppercase()
    );
    let applied = match mode_of(conn, &set).await {
        Ok(mode) => mode,
        Err(err) => {
            // Busy is the usual case: the change needs the file to itself. Whoever wins
            // sets it; the others read it back on their next open.
            notices.warn(format!(
                "Failed to set SQLite journal_mode={} on {path} (it stays '{current}'): {}",
                target.as_str(),
                err.message
            ));
            return Ok(current_mode);
        }
    };
    if parse(&applied) != Some(target) {
        let advice = match target {
            JournalMode::Wal => format!(
                "WAL needs a local filesystem (it does not work on NFS/SMB), so this database \
                 stays serialized between processes. Set {JOURNAL_MODE_ENV}=delete to stop asking."
            ),
            JournalMode::Delete => format!(
                "close every other connection and retry, or run `sqlite3 {path} \"PRAGMA \
                 journal_mode=delete\"` with nothing attached."
            ),
        };
        notices.warn(format!(
            "SQLite kept journal_mode='{applied}' on {path} instead of '{}' — {advice}",
            target.as_str()
        ));
        return Ok(parse(&applied).unwrap_or(JournalMode::Delete));
    }
    Ok(match target {
        JournalMode::Wal => verify_wal(conn, path, notices).await?,
        JournalMode::Delete => target,
    })
}

/// Reads through the WAL (any read opens its shared-memory index); a file that cannot be
/// read that way goes back to a rollback journal. One that can be read neither way (the
/// process is out of file descriptors, say) fails the open: a connection that cannot
/// read must not be handed out as open.
async fn verify_wal(conn: &Conn, path: &str, notices: &Notices) -> Result<JournalMode> {
    let err = match conn
        .query("SELECT count(*) FROM sqlite_master", Vec::new())
        .await
    {
        Ok(_) => return Ok(JournalMode::Wal),
        // Another connection holding the file exclusively, briefly: not a broken WAL.
        Err(err) if err.is_busy() => return Ok(JournalMode::Wal),
        Err(err) => err,
    };
    let reverted = mode_of(conn, "PRAGMA journal_mode = DELETE").await.ok();
    if reverted.as_deref().and_then(parse) != Some(JournalMode::Delete) {
        return Err(Error::new(
            ErrorCode::ConnectionFailed,
            format!(
                "SQLite cannot read {path} through its WAL ({}), and the revert to a rollback \
                 journal did not take (journal_mode='{}'). If the process is out of file \
                 descriptors, close databases or raise the limit; otherwise run `sqlite3 {path} \
                 \"PRAGMA journal_mode=delete\"` with nothing attached, then set \
                 {JOURNAL_MODE_ENV}=delete.",
                err.message,
                reverted.as_deref().unwrap_or("unknown")
            ),
        ));
    }
    notices.warn(format!(
        "SQLite accepted WAL on {path} but cannot read through it ({}) — reverted to \
         journal_mode=delete. Set {JOURNAL_MODE_ENV}=delete to skip this on every boot.",
        err.message
    ));
    Ok(JournalMode::Delete)
}

/// The mode a `PRAGMA journal_mode` reply names, lower-cased.
async fn mode_of(conn: &Conn, sql: &str) -> Result<String> {
    let rows = conn.query(sql, Vec::new()).await?;
    Ok(
        match rows
            .rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
        {
            Some(Value::Text(mode)) => mode.to_ascii_lowercase(),
            _ => String::from("unknown"),
        },
    )
}

/// `wal` and `delete` (the other rollback journals, `truncate` and `persist`, are read as
/// what they are not: `None`).
fn parse(mode: &str) -> Option<JournalMode> {
    match mode {
        "wal" => Some(JournalMode::Wal),
        "delete" => Some(JournalMode::Delete),
        _ => None,
    }
}
