//! What a database was last synced to, kept in it: per object, a fingerprint of the
//! definition its table was brought to, and SQLite's schema cookie (`PRAGMA
//! schema_version`) read right after.
//!
//! A sync asked for definitions whose fingerprints are all stored, at the cookie the
//! database has now, runs no DDL and reads no table structure: the tables are as that
//! sync left them, because any DDL since, by anyone (another process, a raw `DROP
//! TABLE`, a migration tool), bumps the cookie. This is what lets a tenant database open
//! without a schema check's dozens of statements.
//!
//! Invariants:
//! - A row `(object, fingerprint, v)` means: when the cookie was `v`, the object's table,
//!   columns and indexes were exactly what a sync of that definition makes, with no drift
//!   to report. Only a sync that found nothing to say about the object writes its row;
//!   one that warned deletes it, so the next sync looks again (and warns again).
//! - A sync moves the rows that were true when it started (cookie `v0`) to its final
//!   cookie: its own DDL only touched the objects it synced, whose rows it rewrites.
//! - The fingerprint covers the definition as given, the contract, the tenant field the
//!   catalog resolves for it and this crate's version (a newer driver may make different
//!   DDL, so it checks each database once).
//!
//! The table is the driver's: introspection and the schema diff leave it out, like
//! SQLite's own `sqlite_*` tables.

use crate::config::Contract;
use crate::digest::sha256_hex;
use crate::error::Result;
use crate::store::conn::Conn;
use crate::value::Value;

/// The driver's table of fingerprints.
pub const TABLE: &str = "_objectql_schema";

const CREATE_SQL: &str = "CREATE TABLE IF NOT EXISTS \"_objectql_schema\" (\
     \"object\" TEXT PRIMARY KEY NOT NULL, \"fingerprint\" TEXT NOT NULL, \
     \"schema_version\" INTEGER NOT NULL) WITHOUT ROWID";

/// The rows still true: those stored at the cookie the database has now.
const CURRENT_SQL: &str = "SELECT \"object\", \"fingerprint\" FROM \"_objectql_schema\" \
     WHERE \"schema_version\" = (SELECT schema_version FROM pragma_schema_version)";

const COOKIE_SQL: &str = "SELECT schema_version FROM pragma_schema_version";

const MOVE_SQL: &str =
    "UPDATE \"_objectql_schema\" SET \"schema_version\" = ? WHERE \"schema_version\" = ?";

const STORE_SQL: &str = "INSERT INTO \"_objectql_schema\" (\"object\", \"fingerprint\", \
     \"schema_version\") VALUES (?, ?, ?) ON CONFLICT (\"object\") DO UPDATE SET \
     \"fingerprint\" = excluded.\"fingerprint\", \"schema_version\" = excluded.\"schema_version\"";

const FORGET_SQL: &str = "DELETE FROM \"_objectql_schema\" WHERE \"object\" = ?";

/// The fingerprint of one object definition (`definition` as the caller gave it).
pub fn of(definition: &Value, contract: Contract, tenant_field: Option<&str>) -> String {
    let text = format!(
        "{}\n{contract:?}\n{tenant_field:?}\n{}",
        env!("CARGO_PKG_VERSION"),
        definition.to_json()
    );
    sha256_hex(text.as_bytes())
}

/// Whether every `(object, fingerprint)` is stored at the current cookie: one statement.
/// A database without the table (never synced by this driver) or one that cannot be read
/// answers false, and the caller syncs the long way.
pub async fn all_current(conn: &Conn, wanted: &[(&str, &str)]) -> bool {
    let Ok(rows) = conn.query(CURRENT_SQL, Vec::new()).await else {
        return false;
    };
    wanted.iter().all(|(object, fingerprint)| {
        rows.rows.iter().any(|row| {
            matches!(row.as_slice(), [Value::Text(o), Value::Text(f)] if o == object && f == fingerprint)
        })
    })
}

/// The schema cookie now (inside a sync's transaction: before its DDL).
pub async fn cookie(conn: &Conn) -> Result<i64> {
    conn.query_i64(COOKIE_SQL).await
}

/// Records, at the end of a sync's transaction that started at cookie `started`, the
/// objects it left `clean` (with their fingerprints) and forgets the ones it had
/// something to say about.
pub async fn record(
    conn: &Conn,
    started: i64,
    clean: &[(&str, &str)],
    unclean: &[&str],
) -> Result<()> {
    conn.batch(CREATE_SQL).await?;
    // After the table exists: creating it is DDL too.
    let now = Value::Integer(cookie(conn).await?);
    if now != Value::Integer(started) {
        conn.execute(MOVE_SQL, vec![now.clone(), Value::Integer(started)])
            .await?;
    }
    for (object, fingerprint) in clean {
        conn.execute(
            STORE_SQL,
            vec![Value::from(*object), Value::from(*fingerprint), now.clone()],
        )
        .await?;
    }
    for object in unclean {
        conn.execute(FORGET_SQL, vec![Value::from(*object)]).await?;
    }
    Ok(())
}
