//! A faster hasher than std's SipHash for the driver's own maps, whose keys are SQL text
//! and field names it compiled or was told about: statement-cache lookups hash a whole
//! SQL statement on every call. The mixing is FxHash's (a rotate, an xor and a multiply
//! per word); it does not resist crafted collisions, which these keys cannot be: a
//! caller reaches them only through names already checked as identifiers, and the maps
//! are bounded.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// A `HashSet` with [`FastHasher`].
pub type FastSet<T> = HashSet<T, BuildHasherDefault<FastHasher>>;

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

#[derive(Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_keys_apart() {
        let mut map: FastMap<String, usize> = FastMap::default();
        let keys: Vec<String> = (0..2000)
            .map(|i| format!("SELECT * FROM \"t{}\" WHERE \"id\" = ?{}", i % 37, i))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            map.insert(k.clone(), i);
        }
        assert_eq!(map.len(), 2000);
        assert!(keys.iter().enumerate().all(|(i, k)| map[k] == i));
        let set: FastSet<&str> = ["a", "ab", "abc", "abcdefgh", "abcdefghi", ""]
            .into_iter()
            .collect();
        assert_eq!(set.len(), 6);
    }
}
