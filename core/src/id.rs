//! Record ids: 16 URL-safe characters (96 random bits), like the nanoid ids of the
//! TypeScript driver.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

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
