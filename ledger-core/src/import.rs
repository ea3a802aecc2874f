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
//! comes from its batch's request id and its place in the batch.

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

/// The transfer id of the row at `index` (from 0) in the batch with request id `batch`.
pub fn row_id(batch: RequestId, index: usize) -> RequestId {
    let index = u32::try_from(index).expect("a batch holds at most IMPORT_ROWS_MAX rows");
    RequestId::derived(b"commons-ledger/import-row/v1\0", &[batch.as_bytes(), &index.to_be_bytes()])
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
        assert_eq!(row_id(batch, 0), row_id(batch, 0));
        assert_ne!(row_id(batch, 0), row_id(batch, 1));
        assert_ne!(row_id(batch, 0), row_id(batch_id(&file, 3), 0));
    }
}
