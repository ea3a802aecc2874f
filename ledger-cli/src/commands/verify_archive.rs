//! The archive of `audit verify`'s replay on disk, so the verifier's memory is bounded by the
//! ledger's accounts whatever the journal's length ([`ledger_core::archive`] says what it holds).
//!
//! Request id → the entry that used it first lives in sorted runs ([`RequestIndex`]), behind a
//! filter that rules out nearly every new id without a read ([`RequestFilter`]). Transfers are
//! appended as records ([`archive_record`], each after its length) to a log file, and a second
//! index maps each transfer's id to its latest record: a transfer changed later (an acceptance, a
//! reversal) is appended again, and the index's newer number replaces the older. The files are
//! anonymous temporary files ([`tempfile::tempfile`]): the system deletes them when the verifier
//! exits, however it exits, and nothing in them needs to survive a crash, so nothing is synced.
//!
//! What entries note and put is kept in maps and written out every [`PENDING_MAX`] ids: the
//! request ids as one run, the transfers as one append to the log and one run of their index.
//! Look-ups read the maps first, then what was written.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;

use ledger_core::archive::{Archive, ArchiveError};
use ledger_core::names::RequestId;
use ledger_core::transfer::Transfer;

use super::archive_record;
use super::request_filter::{FILTER_BYTES, RequestFilter};
use super::verify_request_index::RequestIndex;

/// Request ids, or transfers, noted in memory before they are written out.
pub const PENDING_MAX: usize = 32_768;
/// Bytes of the length before each record in the transfer log (big-endian).
const LENGTH_BYTES: usize = 4;

/// An [`Archive`] in temporary files.
pub struct DiskArchive {
    /// Every request id noted, approximately: the index is read only for the ids it may hold,
    /// nearly all new ids are known new without a read.
    filter: RequestFilter,
    /// The request ids written out → the entry that used each first.
    requests_written: RequestIndex,
    /// The transfers written out, by id → the offset of its latest record in `log`.
    transfers_written: RequestIndex,
    /// Every transfer record written, each after its length.
    log: File,
    /// Bytes in `log`.
    log_bytes: u64,
    /// Request ids noted since the last write.
    requests: HashMap<RequestId, u64>,
    /// Transfers put since the last write, by id, as their records: a record is a third of a
    /// [`Transfer`]'s size and needs no allocation per field, and is what gets written.
    transfers: HashMap<RequestId, Vec<u8>>,
}

impl DiskArchive {
    /// An empty archive in new temporary files.
    pub fn new() -> Result<Self, ArchiveError> {
        Ok(Self {
            filter: RequestFilter::with_bytes(FILTER_BYTES),
            requests_written: RequestIndex::new(),
            transfers_written: RequestIndex::new(),
            log: tempfile::tempfile().map_err(|error| failed("cannot create its temporary file", error))?,
            log_bytes: 0,
            requests: HashMap::new(),
            transfers: HashMap::new(),
        })
    }

    /// Writes out what was noted and put since the last write.
    fn write(&mut self) -> Result<(), ArchiveError> {
        let mut noted: Vec<(u128, u64)> = self.requests.drain().map(|(id, seq)| (id.uuid().as_u128(), seq)).collect();
        noted.sort_unstable();
        self.requests_written.add(&noted).map_err(|error| failed("cannot write its request index", error))?;
        let mut put: Vec<(u128, Vec<u8>)> =
            self.transfers.drain().map(|(id, record)| (id.uuid().as_u128(), record)).collect();
        put.sort_unstable_by_key(|(id, _)| *id);
        let mut bytes = Vec::new();
        let mut offsets = Vec::with_capacity(put.len());
        for (id, record) in put {
            offsets.push((id, self.log_bytes + bytes.len() as u64));
            let length = u32::try_from(record.len()).expect("a transfer record is a few hundred bytes");
            bytes.extend_from_slice(&length.to_be_bytes());
            bytes.extend_from_slice(&record);
        }
        self.log
            .write_all_at(&bytes, self.log_bytes)
            .map_err(|error| failed("cannot write its transfer log", error))?;
        self.log_bytes += bytes.len() as u64;
        self.transfers_written.add(&offsets).map_err(|error| failed("cannot write its transfer index", error))
    }

    /// The sequence number of the entry that used request id `id`, if one did.
    fn first_use(&self, id: RequestId) -> Result<Option<u64>, ArchiveError> {
        if !self.filter.may_hold(id) {
            return Ok(None);
        }
        if let Some(first) = self.requests.get(&id) {
            return Ok(Some(*first));
        }
        self.requests_written.get(id.uuid().as_u128()).map_err(|error| failed("cannot read its request index", error))
    }

    /// The transfer record at `offset` in the log.
    fn read_record(&self, offset: u64) -> Result<Transfer, ArchiveError> {
        let unreadable = |error| failed("cannot read its transfer log", error);
        let mut length = [0; LENGTH_BYTES];
        self.log.read_exact_at(&mut length, offset).map_err(unreadable)?;
        let mut record = vec![0; u32::from_be_bytes(length) as usize];
        self.log.read_exact_at(&mut record, offset + LENGTH_BYTES as u64).map_err(unreadable)?;
        archive_record::decode(&record)
    }
}

impl Archive for DiskArchive {
    fn note_request(&mut self, id: RequestId, seq: u64) -> Result<Option<u64>, ArchiveError> {
        // Only an id the filter may have seen needs the index.
        if self.filter.insert(id)
            && let Some(first) = self.first_use(id)?
        {
            return Ok(Some(first));
        }
        self.requests.insert(id, seq);
        if self.requests.len() >= PENDING_MAX {
            self.write()?;
        }
        Ok(None)
    }

    fn transfer(&mut self, id: RequestId) -> Result<Option<Transfer>, ArchiveError> {
        if let Some(record) = self.transfers.get(&id) {
            return archive_record::decode(record).map(Some);
        }
        let written = self
            .transfers_written
            .get(id.uuid().as_u128())
            .map_err(|error| failed("cannot read its transfer index", error))?;
        written.map(|offset| self.read_record(offset)).transpose()
    }

    fn put_transfer(&mut self, transfer: Transfer, _seq: u64) -> Result<(), ArchiveError> {
        self.transfers.insert(transfer.id, archive_record::encode(&transfer));
        if self.transfers.len() >= PENDING_MAX {
            self.write()?;
        }
        Ok(())
    }
}

fn failed(what: &str, error: impl std::fmt::Display) -> ArchiveError {
    ArchiveError(format!("the verifier's disk archive {what}: {error}"))
}

#[cfg(test)]
mod tests {
    use ledger_core::amount::Amount;
    use ledger_core::names::{Handle, Memo, UnitCode};
    use ledger_core::transfer::{TransferKind, TransferStatus};

    use super::*;

    fn id(n: u128) -> RequestId {
        RequestId::from_uuid(uuid::Uuid::from_u128(n.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)))
    }

    fn payment(n: u128) -> Transfer {
        Transfer {
            id: id(n),
            kind: TransferKind::Payment,
            status: TransferStatus::Committed,
            payer: Handle::parse("alice").unwrap(),
            payee: Handle::parse("bob").unwrap(),
            unit: UnitCode::parse("COMMUN").unwrap(),
            amount: Amount::from_minor(n as i64 + 1).unwrap(),
            memo: Memo::default(),
            created_ms: n as i64,
            expires_at_ms: None,
            reverses: None,
            reversed_by: None,
        }
    }

    #[test]
    fn what_was_noted_is_found_before_and_after_it_is_written_out() {
        let mut archive = DiskArchive::new().unwrap();
        // More than one write's worth, so some answers come from the file.
        let n = PENDING_MAX as u128 * 2 + 10;
        for i in 0..n {
            assert_eq!(archive.note_request(id(i), i as u64 + 1), Ok(None), "request {i}");
            archive.put_transfer(payment(i), i as u64 + 1).unwrap();
        }
        for i in [0, 1, PENDING_MAX as u128, n - 1] {
            assert_eq!(archive.note_request(id(i), 99_999), Ok(Some(i as u64 + 1)), "request {i}");
            assert_eq!(archive.transfer(id(i)), Ok(Some(payment(i))), "transfer {i}");
        }
        assert_eq!(archive.transfer(id(n)), Ok(None));
        // A transfer changed later replaces its record, wherever the first one is.
        let reversed = Transfer { reversed_by: Some(id(n + 1)), ..payment(3) };
        archive.put_transfer(reversed.clone(), n as u64 + 1).unwrap();
        assert_eq!(archive.transfer(id(3)), Ok(Some(reversed.clone())));
        archive.write().unwrap();
        assert_eq!(archive.transfer(id(3)), Ok(Some(reversed)));
        // A transfer whose id is no request id (an import's row) is found as last put, written out
        // or not, and does not count as a request id.
        let row = payment(n + 5);
        archive.put_transfer(row.clone(), 777).unwrap();
        archive.write().unwrap();
        let changed = Transfer { reversed_by: Some(id(n + 6)), ..row.clone() };
        archive.put_transfer(changed.clone(), 778).unwrap();
        assert_eq!(archive.transfer(row.id), Ok(Some(changed.clone())));
        archive.write().unwrap();
        assert_eq!(archive.transfer(row.id), Ok(Some(changed)));
        assert_eq!(archive.note_request(row.id, 779), Ok(None));
    }
}
