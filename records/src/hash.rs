//! Hashing of records: RFC 6962 leaf and node hashes, the hash chain that links each record to
//! the one before it, and the Merkle tree head of a log kept as a compact range (the roots of the
//! perfect subtrees of a prefix), so that a head is computed without reading every leaf again.
//!
//! It takes bytes and hashes and gives hashes; it never reads a store.

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The chain hash before the first record of a log that was never pruned.
pub const GENESIS: Hash = [0; 32];

/// RFC 6962 leaf hash: SHA-256(0x00 || content).
pub fn leaf_hash(content: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(content);
    hasher.finalize().into()
}

/// RFC 6962 node hash: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The chain hash of a record: SHA-256(0x02 || previous chain hash || leaf hash). The prefix
/// keeps chain hashes apart from leaf and node hashes.
pub fn chain_hash(previous: &Hash, leaf: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x02]);
    hasher.update(previous);
    hasher.update(leaf);
    hasher.finalize().into()
}

/// The roots of the perfect subtrees that make up the first `size` leaves of a log, largest
/// (leftmost) first: enough to add leaves and to compute the tree head of every longer log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactRange {
    pub size: u64,
    pub roots: Vec<Hash>,
}

impl CompactRange {
    /// Adds one leaf hash on the right.
    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut size = self.size;
        // Each trailing one bit of the old size is a subtree of the same height to merge with.
        while size & 1 == 1 {
            let Some(left) = self.roots.pop() else { break };
            hash = node_hash(&left, &hash);
            size >>= 1;
        }
        self.roots.push(hash);
        self.size += 1;
    }

    /// The RFC 6962 Merkle tree head of the leaves so far (the hash of the empty string for none).
    pub fn root(&self) -> Hash {
        let mut roots = self.roots.iter().rev();
        let Some(last) = roots.next() else {
            return Sha256::digest([]).into();
        };
        roots.fold(*last, |right, left| node_hash(left, &right))
    }

    /// The roots as bytes (32 each), for a store.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.roots.iter().flatten().copied().collect()
    }

    /// Reads roots written by [`CompactRange::to_bytes`] for a log of `size` leaves; `None` when
    /// their number does not match the size (one root per one bit of it).
    pub fn from_bytes(size: u64, bytes: &[u8]) -> Option<CompactRange> {
        if !bytes.len().is_multiple_of(32) || bytes.len() / 32 != size.count_ones() as usize {
            return None;
        }
        let roots = bytes
            .chunks_exact(32)
            .map(|chunk| {
                let mut hash = [0; 32];
                hash.copy_from_slice(chunk);
                hash
            })
            .collect();
        Some(CompactRange { size, roots })
    }
}

/// A hash as lowercase hex.
pub fn hex(hash: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(hash.len() * 2);
    for byte in hash {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// A 32-byte hash from a store's bytes; `None` when it is not 32 bytes long.
pub fn hash_from_slice(bytes: &[u8]) -> Option<Hash> {
    <Hash>::try_from(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree head computed the slow way, as RFC 6962 section 2.1 defines it.
    fn merkle_tree_head(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => Sha256::digest([]).into(),
            1 => leaves[0],
            n => {
                let mut k = 1;
                while k * 2 < n {
                    k *= 2;
                }
                node_hash(
                    &merkle_tree_head(&leaves[..k]),
                    &merkle_tree_head(&leaves[k..]),
                )
            }
        }
    }

    #[test]
    fn compact_range_matches_the_rfc_definition() {
        let mut range = CompactRange::default();
        let mut leaves = Vec::new();
        for index in 0..70u32 {
            assert_eq!(range.root(), merkle_tree_head(&leaves));
            let leaf = leaf_hash(&index.to_be_bytes());
            leaves.push(leaf);
            range.push(leaf);
            let bytes = range.to_bytes();
            assert_eq!(
                CompactRange::from_bytes(range.size, &bytes),
                Some(range.clone())
            );
        }
    }
}
