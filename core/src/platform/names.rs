//! What a name may be before it goes into a request path, and how it is written there.
//!
//! A name the service would refuse is refused here, before any request: the caller learns
//! the rule at once instead of after a round trip (and a retry budget) spent on a 400.
//! Names without a rule of their own (an organization slug, a group) are only checked for
//! what can never be a name (empty, control characters, absurd length) and are always
//! percent-encoded, so no name can step out of its path segment.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::{Error, Result};

/// RFC 3986 unreserved characters stay as they are; everything else is encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The Turso API's limit on a database name (its create endpoint's documented rule).
pub const DATABASE_NAME_MAX: usize = 64;

/// Longest name of any other kind accepted: far past any real slug, short of an abuse.
const OTHER_NAME_MAX: usize = 256;

/// The longest namespace: a namespace is the first label of a Host name (RFC 1035 §2.3.4).
pub const NAMESPACE_MAX: usize = 63;

/// `value` as one path segment (or query value): percent-encoded.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// A Turso database name: 1 to 64 lowercase ASCII letters, digits and dashes.
pub fn database_name(name: &str) -> Result<&str> {
    let valid = !name.is_empty()
        && name.len() <= DATABASE_NAME_MAX
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(name)
    } else {
        Err(Error::invalid(format!(
            "Invalid Turso database name {}: use 1 to {DATABASE_NAME_MAX} lowercase letters, \
             digits and dashes (the Turso API refuses any other name).",
            shown(name)
        )))
    }
}

/// A namespace of a libSQL server: 1 to 63 ASCII letters, digits, `-` and `_`, not starting
/// or ending with `-`. sqld itself takes any non-empty name, but it routes a request to a
/// namespace by the first label of its Host name, so a namespace no Host name can spell
/// could be created and never reached.
pub fn namespace(name: &str) -> Result<&str> {
    let valid = !name.is_empty()
        && name.len() <= NAMESPACE_MAX
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(name)
    } else {
        Err(Error::invalid(format!(
            "Invalid namespace {}: use 1 to {NAMESPACE_MAX} letters, digits, '-' and '_', \
             not starting or ending with '-' (a namespace is reached as the first label of a \
             Host name, e.g. http://{{namespace}}.localhost:8080).",
            shown(name)
        )))
    }
}

/// Any other name (`what` says which, e.g. `group`): non-empty, no control characters, at
/// most 256 bytes. It is percent-encoded wherever it goes.
pub fn other<'a>(what: &str, value: &'a str) -> Result<&'a str> {
    if value.is_empty() {
        return Err(Error::invalid(format!("The {what} must not be empty.")));
    }
    if value.len() > OTHER_NAME_MAX || value.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "Invalid {what} {}: at most {OTHER_NAME_MAX} bytes, without control characters.",
            shown(value)
        )));
    }
    Ok(value)
}

/// A name as an error message shows it: quoted and escaped, cut short when long.
fn shown(name: &str) -> String {
    const MAX: usize = 80;
    match name.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}... ({} bytes)", &name[..cut], name.len()),
        None => format!("{name:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn database_names_follow_the_apis_rule() {
        for ok in ["a", "tenant-1", "0", &"x".repeat(64)] {
            assert_eq!(database_name(ok).unwrap(), ok);
        }
        for bad in [
            "",
            "Acme",
            "a_b",
            "a/b",
            "../x",
            "a b",
            "é",
            &"x".repeat(65),
            "a\0",
        ] {
            let err = database_name(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{bad:?}");
            assert!(err.message.contains("lowercase letters"), "{}", err.message);
        }
    }

    #[test]
    fn namespaces_are_host_labels() {
        for ok in ["a", "Tenant_1", "t-1", &"n".repeat(63)] {
            assert!(namespace(ok).is_ok(), "{ok:?}");
        }
        for bad in ["", "-a", "a-", "a.b", "a b", "a/b", &"n".repeat(64)] {
            assert_eq!(namespace(bad).unwrap_err().code, ErrorCode::InvalidRequest);
        }
    }

    #[test]
    fn other_names_are_encoded_not_refused() {
        assert_eq!(other("group", "eu west/1").unwrap(), "eu west/1");
        assert_eq!(encode("eu west/1?x#y%"), "eu%20west%2F1%3Fx%23y%25");
        assert_eq!(encode("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(encode("é"), "%C3%A9");
        assert!(other("group", "").is_err());
        assert!(other("group", "a\nb").is_err());
        assert!(other("group", &"g".repeat(257)).is_err());
    }

    #[test]
    fn long_names_are_cut_in_messages() {
        let err = database_name(&"é".repeat(200)).unwrap_err();
        assert!(err.message.contains("(400 bytes)"), "{}", err.message);
    }
}
