//! Bulk import of transfers, for moving a community's history or opening balances from another
//! system into the ledger.
//!
//! A file of rows is cut into batches; each batch is one [`crate::command::Command::ImportTransfers`]
//! signed once by a treasurer over the batch's rows and the SHA-256 of the whole file, and makes
//! one journal entry. Rows are applied in file order, each within the limits at that point, so an
//! import can never take an account where a payment could not; a refused row refuses its whole
//! batch, naming its line in the file.
//!
//! Ids are derived, never random, so an import interrupted half-way can simply be run again:
//! a batch's request id comes from the file's hash and the batch's first line, so a batch already
//! committed answers with its first result instead of moving value twice; each row's transfer id
//! comes from its batch's request id and its place in the batch ([`RowIds`]).

use crate::amount::Amount;
use crate::names::{Handle, Memo, RequestId};

/// Most rows in one batch (one command, one entry): keeps a signed command, a journal entry and a
/// gRPC message well under their size limits (about 100 bytes a row).
pub const IMPORT_ROWS_MAX: usize = 10_000;

/// One transfer to import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRow {
    /// The account that pays.
    pub payer: Handle,
    /// The account that receives.
    pub payee: Handle,
    /// Positive amount.
    pub amount: Amount,
    /// Note carried over from the other system.
    pub memo: Memo,
}

/// The request id of the batch of a file (by its SHA-256) that starts at `first_line`.
pub fn batch_id(file_sha256: &[u8; 32], first_line: u32) -> RequestId {
    RequestId::derived(b"commons-ledger/import-batch/v1\0", &[file_sha256, &first_line.to_be_bytes()])
}

/// How a batch derives its rows' transfer ids: which one is part of the signed command (its tag),
/// so a journal replays with the ids it was committed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowIds {
    /// A hash of the batch's request id and the row's place: ids scattered over the whole id
    /// space, so each batch's rows land on every page of the ledger's index of transfers, each
    /// page then written again at commit (an import of a million rows into SQLite took 1.7 times
    /// as long as with [`RowIds::InTimeOrder`], its last batches 2.4 times). Kept for the entries
    /// made so.
    Hashed,
    /// The entry's time, the row's place, then a hash of the batch's request id: ids increasing
    /// in time like the UUIDv7 ids clients give payments, so a batch's rows are written as one
    /// run at the end of that index.
    InTimeOrder,
}

impl RowIds {
    /// The transfer id of the row at `index` (from 0) in the batch with request id `batch`, made
    /// by an entry stamped `timestamp_ms`.
    pub fn row_id(self, batch: RequestId, index: usize, timestamp_ms: i64) -> RequestId {
        let index = u16::try_from(index).ok().filter(|index| usize::from(*index) < IMPORT_ROWS_MAX);
        let index = index.expect("a batch holds at most IMPORT_ROWS_MAX rows");
        match self {
            RowIds::Hashed => {
                let index = u32::from(index).to_be_bytes();
                RequestId::derived(b"commons-ledger/import-row/v1\0", &[batch.as_bytes(), &index])
            }
            RowIds::InTimeOrder => in_time_order(&batch_hash(batch), index, timestamp_ms),
        }
    }

    /// The transfer ids of the first `count` rows of a batch, as [`RowIds::row_id`] gives each
    /// (the batch's hash taken once).
    pub fn ids(self, batch: RequestId, count: usize, timestamp_ms: i64) -> Vec<RequestId> {
        match self {
            RowIds::Hashed => (0..count).map(|index| self.row_id(batch, index, timestamp_ms)).collect(),
            RowIds::InTimeOrder => {
                let count = u16::try_from(count).ok().filter(|count| usize::from(*count) <= IMPORT_ROWS_MAX);
                let count = count.expect("a batch holds at most IMPORT_ROWS_MAX rows");
                let hash = batch_hash(batch);
                (0..count).map(|index| in_time_order(&hash, index, timestamp_ms)).collect()
            }
        }
    }
}

/// The bits a batch gives each of its rows' ids in time order.
fn batch_hash(batch: RequestId) -> RequestId {
    RequestId::derived(b"commons-ledger/import-row/v2\0", &[batch.as_bytes()])
}

/// A UUIDv7 (RFC 9562) whose 48-bit time is the entry's, whose 14-bit counter (the 12 bits of
/// `rand_a`, then the first 2 of `rand_b`) is the row's place, and whose other 60 bits come from
/// the batch: rows of one batch are distinct by place, batches of one millisecond by their hash.
fn in_time_order(batch: &RequestId, index: u16, timestamp_ms: i64) -> RequestId {
    let batch = batch.as_bytes();
    let mut bytes = [0u8; 16];
    // A time before 1970 or past year 10889 cannot be an entry's; it is clamped, never wrapped.
    let millis = u64::try_from(timestamp_ms).unwrap_or(0).min((1 << 48) - 1);
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    let [high, low] = index.to_be_bytes();
    bytes[6] = 0x70 | (high >> 2); // version 7, then the place's top 4 of 14 bits
    bytes[7] = (high << 6) | (low >> 2); // its next 8 bits
    bytes[8] = 0x80 | ((low & 0b11) << 4) | (batch[0] & 0x0f); // variant, its last 2 bits
    bytes[9..].copy_from_slice(&batch[1..8]);
    RequestId::from_uuid(uuid::Uuid::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_depend_on_every_input_and_nothing_else() {
        let file = [7u8; 32];
        assert_eq!(batch_id(&file, 2), batch_id(&file, 2));
        assert_ne!(batch_id(&file, 2), batch_id(&file, 3));
        assert_ne!(batch_id(&file, 2), batch_id(&[8u8; 32], 2));
        let batch = batch_id(&file, 2);
        for ids in [RowIds::Hashed, RowIds::InTimeOrder] {
            assert_eq!(ids.row_id(batch, 0, 5), ids.row_id(batch, 0, 5));
            assert_ne!(ids.row_id(batch, 0, 5), ids.row_id(batch, 1, 5));
            assert_ne!(ids.row_id(batch, 0, 5), ids.row_id(batch_id(&file, 3), 0, 5));
        }
        for ids in [RowIds::Hashed, RowIds::InTimeOrder] {
            let each: Vec<_> = (0..3).map(|index| ids.row_id(batch, index, 5)).collect();
            assert_eq!(ids.ids(batch, 3, 5), each);
        }
        assert_eq!(RowIds::Hashed.row_id(batch, 0, 5), RowIds::Hashed.row_id(batch, 0, 6));
        assert_ne!(RowIds::InTimeOrder.row_id(batch, 0, 5), RowIds::InTimeOrder.row_id(batch, 0, 6));
    }

    #[test]
    fn ids_in_time_order_increase_with_time_then_place_and_are_uuid_v7() {
        let (first, second) = (batch_id(&[7u8; 32], 2), batch_id(&[7u8; 32], 10_002));
        let at = 1_764_576_000_123;
        let ids: Vec<_> = (0..IMPORT_ROWS_MAX).map(|index| RowIds::InTimeOrder.row_id(first, index, at)).collect();
        assert!(ids.windows(2).all(|pair| pair[0].as_bytes() < pair[1].as_bytes()), "rows in place order");
        let later = RowIds::InTimeOrder.row_id(second, 0, at + 1);
        assert!(ids.last().unwrap().as_bytes() < later.as_bytes(), "a later millisecond sorts after");
        for id in [ids[0], ids[IMPORT_ROWS_MAX - 1], later] {
            let uuid = uuid::Uuid::from_bytes(*id.as_bytes());
            assert_eq!(uuid.get_version_num(), 7);
            assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122);
            let (seconds, nanos) = uuid.get_timestamp().expect("a v7 carries its time").to_unix();
            assert_eq!(
                seconds * 1000 + u64::from(nanos) / 1_000_000,
                u64::try_from(at).unwrap() + u64::from(id == later)
            );
        }
        // The place is the counter: every row of a batch differs in it alone.
        let place = |id: RequestId| {
            let bytes = id.as_bytes();
            (u16::from(bytes[6] & 0x0f) << 10) | (u16::from(bytes[7]) << 2) | u16::from((bytes[8] >> 4) & 0b11)
        };
        assert!(ids.iter().enumerate().all(|(index, id)| usize::from(place(*id)) == index));
    }
}
