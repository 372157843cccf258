//! The tenant id rule: 2 to 64 ASCII letters, digits, `-` and `_`, beginning and ending
//! with a letter or digit. The id becomes part of a file name or a host name, so anything
//! that could climb a path (`../x`) or split a URL is refused before either is built.

use crate::error::{Error, ErrorCode, Result};

const MAX_LEN: usize = 64;

/// Refuses an id outside the rule with `INVALID_REQUEST` (4.2.2's messages).
pub fn check_tenant_id(id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::new(
            ErrorCode::InvalidRequest,
            "tenantId must be a non-empty string.",
        ));
    }
    let bytes = id.as_bytes();
    let edge = |b: &u8| b.is_ascii_alphanumeric();
    let inner = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_';
    let fits = (2..=MAX_LEN).contains(&bytes.len())
        && edge(&bytes[0])
        && edge(&bytes[bytes.len() - 1])
        && bytes.iter().all(inner);
    if fits {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::InvalidRequest,
        format!(
            "Invalid tenantId \"{}\". Must be 2-64 alphanumeric characters, hyphens, or underscores, \
             beginning and ending with a letter or digit.",
            shown(id)
        ),
    ))
}

/// The id as a message may show it: a 10,000-character id is not echoed whole.
fn shown(id: &str) -> String {
    const SHOWN: usize = 80;
    match id.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}… ({} characters)", &id[..cut], id.chars().count()),
        None => id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_rule() {
        for id in ["ab", "tenant-01", "a_b", "A9", &"x".repeat(64)] {
            assert!(check_tenant_id(id).is_ok(), "{id}");
        }
    }

    #[test]
    fn refuses_the_rest_with_invalid_request() {
        let long = "y".repeat(10_000);
        for id in [
            "",
            "a",
            "-ab",
            "ab-",
            "_ab",
            "a b",
            "../x",
            "a/b",
            "a.b",
            "tenant@bad",
            "é1",
            &long,
            &"x".repeat(65),
        ] {
            let err = check_tenant_id(id).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{id}");
        }
        assert!(check_tenant_id("")
            .unwrap_err()
            .message
            .contains("non-empty string"));
        let err = check_tenant_id(&long).unwrap_err();
        assert!(err.message.contains("Invalid tenantId"));
        assert!(err.message.len() < 300, "the id is not echoed whole");
    }
}
