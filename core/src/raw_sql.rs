//! Checks on the SQL callers hand to `execute`, which SQLite would otherwise take quietly
//! in a way they did not mean: an empty text (libsql answers "not an error"), several
//! statements (SQLite prepares the first and drops the rest without a word), and
//! transaction control (`BEGIN` on the shared connection would turn every later call into
//! part of a transaction nobody commits: the writes vanish at `disconnect()`).

use std::ffi::CString;

use crate::error::{Error, Result};

/// Refuses `sql` unless it is exactly one statement that does not open or end a
/// transaction. Savepoints are fine inside a transaction the driver handed out
/// (`in_transaction`): its commit or rollback closes them.
pub fn check_one_statement(sql: &str, in_transaction: bool) -> Result<()> {
    if sql.contains('\0') {
        return Err(Error::invalid(
            "The SQL text contains a NUL character; SQLite would ignore everything after it",
        ));
    }
    let body = skip_space_and_comments(sql);
    if body.is_empty() {
        return Err(Error::invalid(
            "execute() needs an SQL statement; the text is empty (or only comments)",
        ));
    }
    if let Some(end) = first_statement_end(body) {
        if !skip_space_and_comments(&body[end..]).is_empty() {
            return Err(Error::invalid(
                "execute() runs one SQL statement; the text holds more than one (SQLite would \
                 run the first and ignore the rest): call execute() once per statement",
            ));
        }
    }
    let words: Vec<String> = body
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .take(3)
        .map(str::to_ascii_uppercase)
        .collect();
    let keyword = words.first().cloned().unwrap_or_default();
    let to_savepoint = keyword == "ROLLBACK"
        && (words.get(1).is_some_and(|w| w == "TO")
            || words.get(1).is_some_and(|w| w == "TRANSACTION")
                && words.get(2).is_some_and(|w| w == "TO"));
    let savepoint_work = matches!(keyword.as_str(), "SAVEPOINT" | "RELEASE") || to_savepoint;
    let control = matches!(keyword.as_str(), "BEGIN" | "COMMIT" | "END" | "ROLLBACK");
    let allowed = if savepoint_work {
        in_transaction
    } else {
        !control
    };
    if !allowed {
        return Err(Error::invalid(format!(
            "execute() does not run {keyword} outside the transactions it hands out: a \
             transaction opened or ended this way would capture (or cut off) every later call \
             of the driver, and be lost at disconnect(). Use beginTransaction() and pass the \
             handle as options.transaction, then commit() or rollback() (savepoints are fine \
             inside such a transaction)"
        )));
    }
    Ok(())
}

/// The byte just past the `;` that ends the first complete statement, as SQLite's own
/// `sqlite3_complete` decides (it knows strings, comments and trigger bodies).
fn first_statement_end(sql: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(offset) = sql[from..].find(';') {
        let end = from + offset + 1;
        let prefix = CString::new(&sql[..end]).ok()?;
        // SAFETY: `prefix` is a valid NUL-terminated string that outlives the call, which
        // only reads it.
        if unsafe { libsql::ffi::sqlite3_complete(prefix.as_ptr()) } != 0 {
            return Some(end);
        }
        from = end;
    }
    None
}

/// `sql` from its first character that is neither white space nor part of a comment.
fn skip_space_and_comments(mut sql: &str) -> &str {
    loop {
        let trimmed = sql.trim_start();
        if let Some(rest) = trimmed.strip_prefix("--") {
            sql = rest.find('\n').map_or("", |i| &rest[i + 1..]);
        } else if let Some(rest) = trimmed.strip_prefix("/*") {
            sql = rest.find("*/").map_or("", |i| &rest[i + 2..]);
        } else {
            return trimmed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(sql: &str) -> String {
        check_one_statement(sql, false).unwrap_err().message
    }

    #[test]
    fn accepts_one_statement_in_any_dress() {
        for sql in [
            "SELECT 1",
            "SELECT 1;",
            "  SELECT ';' AS semi;  -- trailing comment",
            "/* lead */ INSERT INTO t VALUES ('a;b', \"c;d\")",
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = 1; UPDATE t SET b = 2; END;",
            "SELECT 1; -- only a comment after",
            "SELECT 1; /* and a block */",
        ] {
            check_one_statement(sql, false).unwrap_or_else(|e| panic!("{sql}: {}", e.message));
        }
    }

    #[test]
    fn refuses_empty_text_several_statements_and_transaction_control() {
        for sql in ["", "   ", "-- nothing\n", "/* nothing */"] {
            assert!(refused(sql).contains("empty"), "{sql:?}");
        }
        for sql in [
            "SELECT 1; SELECT 2",
            "INSERT INTO t VALUES (1);INSERT INTO t VALUES (2);",
        ] {
            assert!(refused(sql).contains("more than one"), "{sql}");
        }
        for sql in [
            "BEGIN",
            "begin immediate",
            "COMMIT;",
            "ROLLBACK TO x",
            "SAVEPOINT s",
            "END",
        ] {
            assert!(refused(sql).contains("beginTransaction()"), "{sql}");
        }
        assert!(refused("SELECT 1\0; DROP TABLE t").contains("NUL"));
        // Inside a transaction of the driver, savepoints are its business; the rest is not.
        for sql in [
            "SAVEPOINT s",
            "RELEASE s",
            "ROLLBACK TO s",
            "rollback transaction to s",
        ] {
            check_one_statement(sql, true).unwrap_or_else(|e| panic!("{sql}: {}", e.message));
        }
        for sql in ["COMMIT", "ROLLBACK", "BEGIN"] {
            assert!(check_one_statement(sql, true).is_err(), "{sql}");
        }
    }
}
