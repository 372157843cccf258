//! Record ids: new ones are 16 URL-safe characters (96 random bits), like the nanoid ids
//! of the TypeScript driver; a caller's id is a string or a number.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};
use crate::value::Value;

const ALPHABET: &[u8; 64] = b"useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict";
pub const ID_LENGTH: usize = 16;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh id. The bits come from SipHash keyed by the OS-seeded `RandomState` over a
/// process-wide counter: unpredictable enough for ids, not a secret.
pub fn new_id() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let state = RandomState::new();
    let mut bits = [0u64; 2];
    for (i, slot) in bits.iter_mut().enumerate() {
        let mut h = state.build_hasher();
        h.write_u64(n);
        h.write_usize(i);
        *slot = h.finish();
    }
    let mut out = String::with_capacity(ID_LENGTH);
    for i in 0..ID_LENGTH {
        let word = bits[i / 8];
        let sextet = (word >> ((i % 8) * 6)) & 63;
        out.push(char::from(ALPHABET[sextet as usize]));
    }
    out
}

/// Ids are strings or numbers; anything else would be stored as JSON text and never match.
pub fn record_id(id: &Value) -> Result<Value> {
    match id {
        Value::Text(_) | Value::Integer(_) => Ok(id.clone()),
        Value::Real(_) => Ok(id.as_i64().map_or_else(|| id.clone(), Value::Integer)),
        other => Err(Error::invalid(format!(
            "A record id must be a string or a number, got {}",
            other.type_name()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_url_safe_and_distinct() {
        let ids: HashSet<String> = (0..10_000).map(|_| new_id()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in &ids {
            assert_eq!(id.len(), ID_LENGTH);
            assert!(id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
        }
    }
}
