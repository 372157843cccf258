//! Runs migration statements in one transaction: all of them or none.
//!
//! Before the transaction (SQLite ignores the pragma inside one) foreign keys are turned
//! off, so that dropping a rebuilt parent deletes no child row (`ON DELETE CASCADE`
//! would) and renaming the new table leaves the children's `REFERENCES` as they are. (A
//! libSQL server refuses `legacy_alter_table`, so the rebuild itself takes the views and
//! triggers that name the table out of the way: see `rebuild.rs`.) Inside it,
//! in order: the schema must still be the one the plan was made against (its
//! fingerprint), the plan's data checks must hold (no value it cannot convert appeared
//! since), then the statements run, and `PRAGMA foreign_key_check` must find no
//! violation that was not there before. Foreign keys are turned back on afterwards.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::affinity;
use super::live::fingerprint_of;
use crate::error::{Error, ErrorCode, Result};
use crate::identifier::quote_identifier;
use crate::store::conn::Conn;

/// What must hold before a migration's statements run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Guard {
    /// The schema's fingerprint when the plan was made (`None`: not checked).
    pub fingerprint: Option<String>,
    pub checks: Vec<Check>,
}

/// A count that must be zero, and what to say when it is not.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub sql: String,
    pub refusal: String,
}

impl Check {
    /// Values of `table.column` that will not convert exactly to the type `to`; `what_to_do`
    /// ends the refusal.
    pub fn unconvertible(table: &str, column: &str, to: &str, what_to_do: &str) -> Result<Check> {
        Ok(Check {
            sql: format!(
                "SELECT count(*) FROM {} WHERE NOT {}",
                quote_identifier(table)?,
                affinity(to).converts(&quote_identifier(column)?)
            ),
            refusal: format!(
                "{table}.{column} holds values that will not convert to {to}; nothing was \
                 applied. {what_to_do}"
            ),
        })
    }

    /// NULLs in `table.column`, which is to become NOT NULL.
    pub fn nulls(table: &str, column: &str) -> Result<Check> {
        Ok(Check {
            sql: format!(
                "SELECT count(*) FROM {} WHERE {} IS NULL",
                quote_identifier(table)?,
                quote_identifier(column)?
            ),
            refusal: format!(
                "{table}.{column} has NULL values and would become NOT NULL; nothing was applied. \
                 Give those rows a value first."
            ),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Executed {
    pub applied: usize,
    /// One line per statement: its number, the statement and how long it took.
    pub logs: Vec<String>,
    pub duration: Duration,
    /// The schema's fingerprint after the migration.
    pub fingerprint: String,
}

/// Runs `statements` on `conn`, a connection no one else uses (its pragmas change for
/// the duration).
pub async fn execute(conn: &Conn, statements: &[String], guard: &Guard) -> Result<Executed> {
    let started = Instant::now();
    let foreign_keys = pragma(conn, "foreign_keys").await?;
    // One request: on a libSQL server a stream lives only as long as its transaction, so
    // the pragma travels with the BEGIN to hold for it.
    conn.batch("PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE")
        .await?;
    let result = async {
        // Still on: a host where the pragma is a no-op. A dropped parent would cascade.
        let enforced = pragma(conn, "foreign_keys").await?;
        steps(conn, statements, guard, enforced).await
    }
    .await;
    let result = match result {
        Ok(done) => match conn.execute("COMMIT", Vec::new()).await {
            Ok(_) => Ok(done),
            Err(err) => Err(err),
        },
        Err(err) => Err(err),
    };
    if result.is_err() {
        rollback(conn).await;
    }
    // Restored whatever happened: the connection may be used again.
    if foreign_keys {
        conn.batch("PRAGMA foreign_keys = ON").await.ok();
    }
    let (logs, fingerprint) = result?;
    Ok(Executed {
        applied: statements.len(),
        logs,
        duration: started.elapsed(),
        fingerprint,
    })
}

async fn rollback(conn: &Conn) {
    if !conn.is_autocommit() {
        // The error being reported is the first one; a failed rollback cannot add to it.
        conn.batch("ROLLBACK").await.ok();
    }
}

async fn steps(
    conn: &Conn,
    statements: &[String],
    guard: &Guard,
    enforced: bool,
) -> Result<(Vec<String>, String)> {
    if let Some(planned) = &guard.fingerprint {
        let now = fingerprint_of(conn).await?;
        if &now != planned {
            return Err(Error::new(
                ErrorCode::SchemaDrift,
                format!(
                    "The database schema changed since this migration was planned (fingerprint \
                     {} then, {} now): nothing was applied. Plan again against the schema it has now.",
                    short(planned),
                    short(&now)
                ),
            ));
        }
    }
    for check in &guard.checks {
        if conn.query_i64(&check.sql).await? > 0 {
            return Err(Error::new(
                ErrorCode::MigrationRefused,
                check.refusal.clone(),
            ));
        }
    }
    let drops = statements
        .iter()
        .any(|s| starts_with_words(s, "DROP TABLE"));
    if enforced && drops {
        return Err(Error::new(
            ErrorCode::MigrationRefused,
            "Foreign keys could not be turned off on this connection (SQLite ignores `PRAGMA \
             foreign_keys` inside a transaction), so dropping or rebuilding a table could delete \
             the rows of its children (ON DELETE CASCADE). Nothing was applied: run the migration \
             outside any open transaction.",
        ));
    }
    let reshapes = drops
        || statements
            .iter()
            .any(|s| starts_with_words(s, "ALTER TABLE"));
    let before = if reshapes {
        violations(conn).await?
    } else {
        HashMap::new()
    };
    let mut logs = Vec::with_capacity(statements.len());
    for (i, sql) in statements.iter().enumerate() {
        let at = Instant::now();
        if let Err(err) = conn.batch(sql).await {
            // A libSQL server ends a write transaction that has held its lock for 5 s once
            // another writer waits for it (the lock's lease): the migration is rolled back.
            let lease = if err.message.contains("Transaction timed out") {
                " (the libSQL server ended the migration's transaction: it had held the write \
                 lock longer than the server's 5 s lease while another writer waited. Run it \
                 when writes are quiet, or in smaller plans)"
            } else {
                ""
            };
            return Err(Error::new(
                err.code,
                format!(
                    "Migration statement {} of {} failed, nothing was applied: {sql}: {}{lease}",
                    i + 1,
                    statements.len(),
                    err.message
                ),
            ));
        }
        logs.push(format!(
            "[{}/{}] {sql} ({:.1} ms)",
            i + 1,
            statements.len(),
            at.elapsed().as_secs_f64() * 1e3
        ));
    }
    if reshapes {
        let after = violations(conn).await?;
        let new: Vec<String> = after
            .iter()
            .filter(|(key, n)| before.get(*key).copied().unwrap_or(0) < **n)
            .map(|((child, parent), n)| format!("{child} → {parent}: {n} rows"))
            .collect();
        if !new.is_empty() {
            return Err(Error::new(
                ErrorCode::MigrationRefused,
                format!(
                    "The migration would leave rows whose foreign keys point nowhere ({}); nothing \
                     was applied.",
                    new.join("; ")
                ),
            ));
        }
    }
    Ok((logs, fingerprint_of(conn).await?))
}

/// Foreign key violations per (child, parent) table.
async fn violations(conn: &Conn) -> Result<HashMap<(String, String), i64>> {
    let rows = conn
        .query(
            "SELECT \"table\", \"parent\", count(*) FROM pragma_foreign_key_check GROUP BY 1, 2",
            Vec::new(),
        )
        .await?;
    Ok(rows
        .rows
        .into_iter()
        .filter_map(|row| {
            let child = row.first()?.as_str()?.to_owned();
            let parent = row.get(1)?.as_str()?.to_owned();
            Some(((child, parent), row.get(2)?.as_i64()?))
        })
        .collect())
}

async fn pragma(conn: &Conn, name: &str) -> Result<bool> {
    Ok(conn.query_i64(&format!("PRAGMA {name}")).await? == 1)
}

fn starts_with_words(sql: &str, words: &str) -> bool {
    let normalized: Vec<&str> = sql.split_whitespace().take(2).collect();
    normalized.join(" ").eq_ignore_ascii_case(words)
}

fn short(fingerprint: &str) -> &str {
    fingerprint.get(..12).unwrap_or(fingerprint)
}
