//! The archive of `audit verify`'s replay on disk, so the verifier's memory is bounded by the
//! ledger's accounts whatever the journal's length ([`ledger_core::archive`] says what it holds).
//!
//! Request id → the entry that used it lives in sorted runs ([`RequestIndex`]), behind a filter
//! that rules out nearly every new id without a read ([`RequestFilter`]). Two tables in a redb
//! database (a B-tree file, pure Rust) hold the rest: the id of a transfer that is not a request
//! id (an import's rows) → the entry that created it; and (that entry's sequence number, transfer
//! id) → the transfer. Transfers, the large records, are keyed first by the sequence number of the
//! entry that created them, so they are appended at the end of their table, and only the few that
//! a later entry changes (an acceptance, a reversal) are rewritten in place. The files are
//! anonymous temporary files ([`tempfile::tempfile`]): the system deletes them when the verifier
//! exits, however it exits. redb's page cache is set small ([`CACHE_BYTES`]); the operating
//! system's page cache keeps the file's hot pages anyway.
//!
//! Writes are what would cost: one B-tree transaction per entry would be slower than the replay
//! itself. So what entries note is kept in maps and written out every [`PENDING_MAX`] request ids,
//! the transfers in one transaction without fsync ([`Durability::None`]: the file dies with the
//! process, so nothing needs to survive a crash). Look-ups read the maps first, then what was
//! written, through tables kept open between writes.

use std::collections::HashMap;

use ledger_core::archive::{Archive, ArchiveError};
use ledger_core::names::RequestId;
use ledger_core::transfer::Transfer;
use redb::backends::FileBackend;
use redb::{Database, Durability, ReadOnlyTable, ReadableDatabase, TableDefinition};

use super::archive_record;
use super::request_filter::{FILTER_BYTES, RequestFilter};
use super::verify_request_index::RequestIndex;

/// Transfer id that is not a request id → sequence number of the entry that created it.
const DERIVED: TableDefinition<u128, u64> = TableDefinition::new("derived_transfer_ids");
/// (Sequence number of the entry that created a transfer, its id) → the transfer
/// ([`archive_record`]).
const TRANSFERS: TableDefinition<(u64, u128), &[u8]> = TableDefinition::new("transfers");

/// redb's own page cache.
const CACHE_BYTES: usize = 8 << 20;
/// Request ids noted in memory before they are written out, as one sorted run, with the transfers
/// put meanwhile in one transaction.
const PENDING_MAX: usize = 32_768;

/// An [`Archive`] in a temporary redb file.
pub struct DiskArchive {
    db: Database,
    /// Every request id noted, approximately: the index is read only for the ids it may hold,
    /// nearly all new ids are known new without a read.
    filter: RequestFilter,
    /// The request ids written out.
    index: RequestIndex,
    /// The tables as of the last write; `None` only while writing.
    written: Option<Written>,
    /// Request ids noted since the last write.
    requests: HashMap<RequestId, u64>,
    /// Transfer ids that are not request ids, put since the last write.
    derived: HashMap<RequestId, u64>,
    /// Transfers put since the last write, with the sequence number of the entry that created
    /// each.
    transfers: HashMap<RequestId, (u64, Transfer)>,
}

/// The tables open for reading.
struct Written {
    derived: ReadOnlyTable<u128, u64>,
    transfers: ReadOnlyTable<(u64, u128), &'static [u8]>,
}

impl DiskArchive {
    /// An empty archive in a new temporary file.
    pub fn new() -> Result<Self, ArchiveError> {
        let file = tempfile::tempfile().map_err(|error| failed("cannot create its temporary file", error))?;
        let backend = FileBackend::new(file).map_err(|error| failed("cannot open its temporary file", error))?;
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create_with_backend(backend)
            .map_err(|error| failed("cannot create its database", error))?;
        let mut archive = Self {
            db,
            filter: RequestFilter::with_bytes(FILTER_BYTES),
            index: RequestIndex::new(),
            written: None,
            requests: HashMap::new(),
            derived: HashMap::new(),
            transfers: HashMap::new(),
        };
        // The first write creates the tables.
        archive.write()?;
        Ok(archive)
    }

    /// Writes what was noted since the last write: the request ids as a run of the index, the
    /// rest in one transaction; and reopens the tables.
    fn write(&mut self) -> Result<(), ArchiveError> {
        let mut noted: Vec<(u128, u64)> = self.requests.drain().map(|(id, seq)| (id.uuid().as_u128(), seq)).collect();
        noted.sort_unstable();
        self.index.add(&noted).map_err(|error| failed("cannot write its request index", error))?;
        // A table open for reading would keep the pages this write replaces.
        self.written = None;
        let mut tx = self.db.begin_write().map_err(|error| failed("cannot begin a write", error))?;
        tx.set_durability(Durability::None).map_err(|error| failed("cannot skip the fsync", error))?;
        {
            let mut derived = tx.open_table(DERIVED).map_err(|error| failed("cannot open its table", error))?;
            let mut put: Vec<(u128, u64)> = self.derived.drain().map(|(id, seq)| (id.uuid().as_u128(), seq)).collect();
            put.sort_unstable();
            for (id, seq) in put {
                derived.insert(id, seq).map_err(|error| failed("cannot write", error))?;
            }
            let mut transfers = tx.open_table(TRANSFERS).map_err(|error| failed("cannot open its table", error))?;
            let mut created: Vec<((u64, u128), Transfer)> =
                self.transfers.drain().map(|(id, (seq, transfer))| ((seq, id.uuid().as_u128()), transfer)).collect();
            // In order, new transfers go to the end of the table one after the other.
            created.sort_unstable_by_key(|(key, _)| *key);
            for (key, transfer) in created {
                let record = archive_record::encode(&transfer);
                transfers.insert(key, record.as_slice()).map_err(|error| failed("cannot write", error))?;
            }
        }
        tx.commit().map_err(|error| failed("cannot commit", error))?;
        let read = self.db.begin_read().map_err(|error| failed("cannot begin a read", error))?;
        self.written = Some(Written {
            derived: read.open_table(DERIVED).map_err(|error| failed("cannot open its table", error))?,
            transfers: read.open_table(TRANSFERS).map_err(|error| failed("cannot open its table", error))?,
        });
        Ok(())
    }

    fn written(&self) -> &Written {
        self.written.as_ref().expect("the tables are open between writes")
    }

    /// The sequence number of the entry that used request id `id`, if one did.
    fn first_use(&self, id: RequestId) -> Result<Option<u64>, ArchiveError> {
        if !self.filter.may_hold(id) {
            return Ok(None);
        }
        if let Some(first) = self.requests.get(&id) {
            return Ok(Some(*first));
        }
        self.index.get(id.uuid().as_u128()).map_err(|error| failed("cannot read its request index", error))
    }

    /// The sequence number of the entry that created transfer `id`, if one did.
    fn created_by(&self, id: RequestId) -> Result<Option<u64>, ArchiveError> {
        // Most transfers are put by the entry after the one that noted their id: still pending.
        if let Some(seq) = self.requests.get(&id) {
            return Ok(Some(*seq));
        }
        if let Some(seq) = self.first_use(id)? {
            return Ok(Some(seq));
        }
        if let Some(seq) = self.derived.get(&id) {
            return Ok(Some(*seq));
        }
        let written = self.written().derived.get(id.uuid().as_u128()).map_err(|error| failed("cannot read", error))?;
        Ok(written.map(|seq| seq.value()))
    }
}

impl Archive for DiskArchive {
    fn note_request(&mut self, id: RequestId, seq: u64) -> Result<Option<u64>, ArchiveError> {
        // Only an id the filter may have seen needs the table.
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
        if let Some((_, transfer)) = self.transfers.get(&id) {
            return Ok(Some(transfer.clone()));
        }
        let Some(seq) = self.created_by(id)? else { return Ok(None) };
        let key = (seq, id.uuid().as_u128());
        let written = self.written().transfers.get(key).map_err(|error| failed("cannot read", error))?;
        written.map(|record| archive_record::decode(record.value())).transpose()
    }

    /// A transfer is stored under the entry that created it: the one that used its id as request
    /// id, or else (an import's row, seen for the first time) `seq`, recorded for its id.
    fn put_transfer(&mut self, transfer: Transfer, seq: u64) -> Result<(), ArchiveError> {
        let created_by = match self.created_by(transfer.id)? {
            Some(created_by) => created_by,
            None => {
                self.derived.insert(transfer.id, seq);
                seq
            }
        };
        self.transfers.insert(transfer.id, (created_by, transfer));
        if self.derived.len() >= PENDING_MAX {
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
        // A transfer whose id is no request id (an import's row) is found under the entry that
        // put it first, and does not count as a request id.
        let row = payment(n + 5);
        archive.put_transfer(row.clone(), 777).unwrap();
        archive.put_transfer(Transfer { reversed_by: Some(id(n + 6)), ..row.clone() }, 778).unwrap();
        assert_eq!(archive.created_by(row.id), Ok(Some(777)));
        archive.write().unwrap();
        assert_eq!(archive.transfer(row.id).unwrap().unwrap().reversed_by, Some(id(n + 6)));
        assert_eq!(archive.note_request(row.id, 779), Ok(None));
    }
}
