//! What a replay looks up by id instead of holding: the transfers, and which entry used each
//! request id.
//!
//! Both grow with the journal, one record per payment, while everything else a replay holds
//! (accounts, identities, keys, units) grows with the ledger. The [`crate::replay::Replayer`]
//! keeps the latter in its [`crate::state::State`] and loads from an [`Archive`] only the
//! transfers each entry references, the way the server's writer loads a batch's part of the
//! ledger from its database; so a verifier whose archive is on disk needs memory for the
//! ledger's accounts, not for its entries. [`MemoryArchive`] keeps everything in memory, for
//! tests and short journals.
//!
//! The request ids serve a check of their own: the server never commits a request id twice
//! (a second send returns the first result), so a journal where two entries share one was
//! tampered with, for instance by copying a validly signed entry further down the chain.

use std::collections::HashMap;

use crate::names::RequestId;
use crate::transfer::Transfer;

/// Why an archive could not answer: its storage failed (never a property of the journal).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ArchiveError(pub String);

/// Records a replay looks up by id rather than keeps in memory.
pub trait Archive {
    /// Records that entry `seq` uses request id `id`. Returns the sequence number of the earlier
    /// entry that used it, if one did (the record then stays the earlier entry's).
    fn note_request(&mut self, id: RequestId, seq: u64) -> Result<Option<u64>, ArchiveError>;

    /// The transfer with id `id`, as last put.
    fn transfer(&mut self, id: RequestId) -> Result<Option<Transfer>, ArchiveError>;

    /// Stores a transfer created or changed by entry `seq`, replacing any earlier record of it.
    /// A transfer's id is usually the request id of the entry that created it; an import's rows
    /// have ids derived from their batch's ([`crate::import::row_id`]), which are not request ids.
    fn put_transfer(&mut self, transfer: Transfer, seq: u64) -> Result<(), ArchiveError>;
}

/// An archive in memory: two hash maps. Its memory grows with the journal.
#[derive(Clone, Debug, Default)]
pub struct MemoryArchive {
    requests: HashMap<RequestId, u64>,
    transfers: HashMap<RequestId, Transfer>,
}

impl MemoryArchive {
    /// An empty archive.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Archive for MemoryArchive {
    fn note_request(&mut self, id: RequestId, seq: u64) -> Result<Option<u64>, ArchiveError> {
        match self.requests.entry(id) {
            std::collections::hash_map::Entry::Occupied(first) => Ok(Some(*first.get())),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(seq);
                Ok(None)
            }
        }
    }

    fn transfer(&mut self, id: RequestId) -> Result<Option<Transfer>, ArchiveError> {
        Ok(self.transfers.get(&id).cloned())
    }

    fn put_transfer(&mut self, transfer: Transfer, _seq: u64) -> Result<(), ArchiveError> {
        self.transfers.insert(transfer.id, transfer);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_id_keeps_the_first_entry_that_used_it() {
        let mut archive = MemoryArchive::new();
        let id = RequestId::from_uuid(uuid::Uuid::from_u128(7));
        assert_eq!(archive.note_request(id, 3), Ok(None));
        assert_eq!(archive.note_request(id, 9), Ok(Some(3)));
        assert_eq!(archive.note_request(id, 12), Ok(Some(3)));
    }
}
