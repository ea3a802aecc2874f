//! A fixed-size filter of the request ids the verifier has seen, in front of the disk archive's
//! request index ([`super::verify_archive`], [`super::verify_request_index`]).
//!
//! Nearly every entry brings a request id never seen before, and proving that on the index costs a
//! read from each of its runs on disk. The filter answers "certainly new" for almost all of them
//! from memory, so the index is read only for the few ids the filter may have seen (a copied
//! entry, or a false positive). It never answers "new" for an id it was given, so the uniqueness
//! check stays exact.
//!
//! It is a split-block Bloom filter (as in Parquet): each id sets one bit in each of the eight
//! 32-bit words of one 32-byte block, so a test or an insertion touches one cache line. Its size is
//! fixed ([`FILTER_BYTES`]), so memory does not grow with the journal; a journal far longer than
//! the filter was sized for only makes false positives, hence index reads, more frequent. Ids are
//! hashed with a key drawn per process, so a journal cannot be crafted to defeat the filter.

use std::hash::{BuildHasher, RandomState};

use ledger_core::names::RequestId;

/// The filter's memory: 16 MiB, about 130 bits per id at a million ids (false positives about one
/// in a billion), 13 at ten million (about one in a thousand).
pub const FILTER_BYTES: usize = 16 << 20;

/// Odd constants that spread a key's bits over the eight words of a block (Parquet's salts).
const SALT: [u32; 8] =
    [0x47b6_137b, 0x4497_4d91, 0x8824_ad5b, 0xa2b7_289d, 0x7054_95c7, 0x2df1_424b, 0x9efc_4947, 0x5c6b_fb31];

/// The request ids seen so far, approximately: no false negatives, rare false positives.
pub struct RequestFilter {
    blocks: Vec<[u32; 8]>,
    hasher: RandomState,
}

impl RequestFilter {
    /// An empty filter of `bytes` bytes (rounded down to whole 32-byte blocks, at least one).
    pub fn with_bytes(bytes: usize) -> Self {
        let blocks = (bytes / 32).max(1);
        Self { blocks: vec![[0; 8]; blocks], hasher: RandomState::new() }
    }

    /// Adds `id`; returns whether the filter may have held it before (false: certainly not).
    pub fn insert(&mut self, id: RequestId) -> bool {
        let (block, mask) = self.locate(id);
        let block = &mut self.blocks[block];
        let mut held = true;
        for (word, bit) in block.iter_mut().zip(mask) {
            held &= *word & bit != 0;
            *word |= bit;
        }
        held
    }

    /// Whether the filter may hold `id` (false: certainly not).
    pub fn may_hold(&self, id: RequestId) -> bool {
        let (block, mask) = self.locate(id);
        self.blocks[block].iter().zip(mask).all(|(word, bit)| word & bit != 0)
    }

    /// The block `id` falls in and the bit it sets in each word.
    fn locate(&self, id: RequestId) -> (usize, [u32; 8]) {
        let hash = self.hasher.hash_one(id.uuid().as_u128());
        // The high half picks the block (multiply-shift: no division), the low half the bits.
        let block = ((hash >> 32) * self.blocks.len() as u64) >> 32;
        let key = hash as u32;
        let mask = SALT.map(|salt| 1u32 << (key.wrapping_mul(salt) >> 27));
        (block as usize, mask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> RequestId {
        RequestId::from_uuid(uuid::Uuid::from_u128(n.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)))
    }

    #[test]
    fn an_id_once_inserted_is_always_held() {
        let mut filter = RequestFilter::with_bytes(1 << 10);
        for n in 0..2_000 {
            filter.insert(id(n));
        }
        // A filter far too small for its ids still never forgets one.
        assert!((0..2_000).all(|n| filter.may_hold(id(n)) && filter.insert(id(n))));
    }

    #[test]
    fn new_ids_are_nearly_always_known_new() {
        let mut filter = RequestFilter::with_bytes(1 << 20);
        let held = (0..100_000).filter(|n| filter.insert(id(*n))).count();
        // About 84 bits per id: false positives are well under one in a thousand.
        assert!(held < 100, "{held} false positives");
    }
}
