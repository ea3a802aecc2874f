//! Signed checkpoints: the server's node key vouches that the journal of a ledger reached entry
//! `seq` with hash `hash`. A treasurer who keeps one outside the server can later prove that the
//! journal was not cut short or rewritten below it.
//!
//! # Signed byte layout (version 1)
//!
//! ```text
//! "commons-ledger/checkpoint/v1" 0x00   domain tag, so these bytes never verify as a command
//! ledger id        16 bytes
//! seq              u64                  sequence number of the entry vouched for
//! hash             32 bytes             that entry's hash
//! timestamp_ms     i64                  when the server signed
//! ```
//!
//! A checkpoint is not a state change: it records no command and changes no balance, so it is
//! not a journal entry and is stored beside the journal.

use crate::canonical::Encoder;
use crate::journal::EntryHash;
use crate::keys::{PublicKey, SecretKey, Signature};
use crate::names::LedgerId;

/// The domain tag of checkpoint signatures.
pub const CHECKPOINT_DOMAIN: &[u8] = b"commons-ledger/checkpoint/v1\0";

/// A signed statement of the chain's head at some entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Ledger it is about.
    pub ledger_id: LedgerId,
    /// Sequence number of the entry vouched for.
    pub seq: u64,
    /// Hash of that entry.
    pub hash: EntryHash,
    /// When it was signed, milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// The key that signed: the ledger's node key.
    pub signer: PublicKey,
    /// Signature over [`Checkpoint::signing_bytes`].
    pub signature: Signature,
}

/// Why a checkpoint does not hold.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint at entry {seq}: signed by {signer}, not by the ledger's node key {node_key}")]
    WrongSigner { seq: u64, signer: PublicKey, node_key: PublicKey },
    #[error("checkpoint at entry {seq}: it is for another ledger")]
    WrongLedger { seq: u64 },
    #[error("checkpoint at entry {seq}: its signature does not verify")]
    BadSignature { seq: u64 },
    #[error("entry {seq}: hash {found} differs from {signed}, which the checkpoint signed at that entry")]
    HashDiffers { seq: u64, found: EntryHash, signed: EntryHash },
    #[error(
        "checkpoint at entry {seq} comes after entry {head}: a checkpoint must come before the entry it vouches for"
    )]
    Misplaced { seq: u64, head: u64 },
    #[error("the journal ends at entry {head}, below the checkpoint signed at entry {seq}: entries were removed")]
    Truncated { seq: u64, head: u64 },
}

impl Checkpoint {
    /// Signs the head `(seq, hash)` of `ledger_id` with the node key.
    pub fn sign(ledger_id: LedgerId, seq: u64, hash: EntryHash, timestamp_ms: i64, node: &SecretKey) -> Self {
        let signature = node.sign(&signing_bytes(ledger_id, seq, hash, timestamp_ms));
        Self { ledger_id, seq, hash, timestamp_ms, signer: node.public_key(), signature }
    }

    /// The bytes the signature covers.
    pub fn signing_bytes(&self) -> Vec<u8> {
        signing_bytes(self.ledger_id, self.seq, self.hash, self.timestamp_ms)
    }

    /// Checks that the checkpoint is for `ledger_id` and signed by `node_key`.
    pub fn verify(&self, ledger_id: LedgerId, node_key: PublicKey) -> Result<(), CheckpointError> {
        let seq = self.seq;
        if self.ledger_id != ledger_id {
            return Err(CheckpointError::WrongLedger { seq });
        }
        if self.signer != node_key {
            return Err(CheckpointError::WrongSigner { seq, signer: self.signer, node_key });
        }
        node_key.verify(&self.signing_bytes(), &self.signature).map_err(|_| CheckpointError::BadSignature { seq })
    }
}

fn signing_bytes(ledger_id: LedgerId, seq: u64, hash: EntryHash, timestamp_ms: i64) -> Vec<u8> {
    let mut out = Encoder::with_domain(CHECKPOINT_DOMAIN);
    out.fixed(ledger_id.as_bytes()).u64(seq).fixed(&hash.0).i64(timestamp_ms);
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_verifies_only_unchanged_and_under_the_node_key() {
        let ledger = LedgerId::from_uuid(uuid::Uuid::from_u128(7));
        let node = SecretKey::from_seed([1; 32]);
        let checkpoint = Checkpoint::sign(ledger, 42, EntryHash([9; 32]), 1_700_000_000_000, &node);
        assert_eq!(checkpoint.verify(ledger, node.public_key()), Ok(()));
        let other = LedgerId::from_uuid(uuid::Uuid::from_u128(8));
        assert_eq!(checkpoint.verify(other, node.public_key()), Err(CheckpointError::WrongLedger { seq: 42 }));
        let moved = Checkpoint { seq: 41, ..checkpoint };
        assert_eq!(moved.verify(ledger, node.public_key()), Err(CheckpointError::BadSignature { seq: 41 }));
        let stranger = SecretKey::from_seed([2; 32]).public_key();
        assert!(matches!(checkpoint.verify(ledger, stranger), Err(CheckpointError::WrongSigner { .. })));
    }
}
