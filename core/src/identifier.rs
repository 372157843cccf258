//! SQL identifiers. Table and column names come from callers, so every one is checked
//! and double-quoted here; no other module builds an identifier.

use crate::error::{Error, Result};

/// Longest identifier accepted; SQLite has no limit, but a longer name is a bug upstream.
const MAX_LEN: usize = 255;

/// Checks `name` and returns it double-quoted (embedded quotes doubled).
///
/// Refused: empty names, names over 255 bytes, control characters (NUL included) and a
/// leading `$` (it marks an operator, so a `$name` reaching here is a misspelled one).
pub fn quote_identifier(name: &str) -> Result<String> {
    let mut out = String::with_capacity(name.len() + 2);
    push_identifier(&mut out, name)?;
    Ok(out)
}

/// Appends the quoted form of `name` to `sql` (checked as by [`quote_identifier`]).
pub fn push_identifier(sql: &mut String, name: &str) -> Result<()> {
    check_identifier(name)?;
    sql.push('"');
    if name.contains('"') {
        sql.push_str(&name.replace('"', "\"\""));
    } else {
        sql.push_str(name);
    }
    sql.push('"');
    Ok(())
}

pub fn check_identifier(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid(
            "Invalid identifier: a table or field name must be a non-empty string",
        ));
    }
    if name.len() > MAX_LEN {
        return Err(Error::invalid(format!(
            "Invalid identifier \"{}...\": names are limited to {MAX_LEN} bytes",
            name.chars().take(32).collect::<String>()
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "Invalid identifier {name:?}: control characters are not allowed in names"
        )));
    }
    if name.starts_with('$') {
        return Err(Error::invalid(format!(
            "Invalid identifier \"{name}\": names may not start with '$' (is it a misspelled operator?)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn quotes_and_doubles_embedded_quotes() {
        assert_eq!(quote_identifier("name").unwrap(), "\"name\"");
        assert_eq!(quote_identifier("we\"ird").unwrap(), "\"we\"\"ird\"");
        assert_eq!(quote_identifier("a b-c").unwrap(), "\"a b-c\"");
    }

    #[test]
    fn refuses_bad_names() {
        for bad in ["", "a\0b", "line\nbreak", "$gt"] {
            let err = quote_identifier(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{bad:?}");
        }
        assert!(quote_identifier(&"x".repeat(256)).is_err());
    }
}
