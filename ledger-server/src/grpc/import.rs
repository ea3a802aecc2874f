//! `ImportTransfers`: a treasurer's batch of transfers moved from another system, signed once
//! ([`ledger_core::import`]). Each row's fields are checked here, naming the row's line in the
//! file on the first that is malformed; limits are checked row by row when the writer applies
//! the batch, as one entry.

use ledger_core::amount::{Scale, format_minor};
use ledger_core::command::{Command, SignedCommand};
use ledger_core::import::{IMPORT_ROWS_MAX, ImportRow, RowIds};
use ledger_core::names::LedgerId;

use super::{Context, submit};
use crate::convert;
use crate::error::ServerError;
use crate::proto;
use crate::store::Store;

/// Converts, submits and answers one batch.
pub async fn import_transfers(
    ctx: &Context,
    req: &proto::ImportTransfersRequest,
) -> Result<proto::ImportTransfersResponse, ServerError> {
    let (signed, scale) = command(ctx.store.as_ref(), ctx.ledger_id, req).await?;
    let Command::ImportTransfers { rows, .. } = &signed.command else {
        unreachable!("command builds an import");
    };
    let total: i128 = rows.iter().map(|row| i128::from(row.amount.minor())).sum();
    let count = u32::try_from(rows.len()).expect("at most IMPORT_ROWS_MAX rows");
    let committed = submit(ctx, signed).await?;
    Ok(proto::ImportTransfersResponse {
        seq: committed.entry.seq,
        timestamp_ms: committed.entry.timestamp_ms,
        rows: count,
        total: format_minor(total, scale),
        replayed: committed.replayed,
        warnings: committed.warnings.iter().map(convert::warning).collect(),
    })
}

/// The signed command of a request, and the scale of its unit.
async fn command(
    store: &dyn Store,
    ledger_id: LedgerId,
    req: &proto::ImportTransfersRequest,
) -> Result<(SignedCommand, Scale), ServerError> {
    let request_id = convert::request_id(&req.request_id)?;
    let count = req.rows.len();
    if count == 0 || count > IMPORT_ROWS_MAX {
        let message = format!("an import batch carries 1 to {IMPORT_ROWS_MAX} rows, not {count}");
        return Err(ServerError::invalid("INVALID_BATCH_SIZE", message));
    }
    let file_sha256: [u8; 32] = req.file_sha256.as_slice().try_into().map_err(|_| {
        let message = format!("file_sha256 must be 32 bytes, not {}", req.file_sha256.len());
        ServerError::invalid("INVALID_FILE_HASH", message)
    })?;
    let unit = convert::unit_code("unit", &req.unit)?;
    let signatures = convert::signatures(&req.signatures)?;
    let scale = convert::requested_unit(store, &unit).await?.scale;
    let mut rows = Vec::with_capacity(count);
    for (index, row) in req.rows.iter().enumerate() {
        let line = req.first_line.saturating_add(u32::try_from(index).unwrap_or(u32::MAX));
        rows.push(import_row(row, scale).map_err(|error| on_line(line, error))?);
    }
    // Only the current tag is accepted from clients; tag 15 (hashed row ids) is kept for replays.
    let row_ids = RowIds::InTimeOrder;
    let command = Command::ImportTransfers { unit, file_sha256, first_line: req.first_line, rows, row_ids };
    Ok((SignedCommand { ledger_id, request_id, command, signatures }, scale))
}

fn import_row(row: &proto::ImportRow, scale: Scale) -> Result<ImportRow, ServerError> {
    Ok(ImportRow {
        payer: convert::handle("payer", &row.payer)?,
        payee: convert::handle("payee", &row.payee)?,
        amount: convert::positive_amount("amount", &row.amount, scale)?,
        memo: convert::memo(&row.memo)?,
    })
}

/// A malformed row's error, its message prefixed with its line in the file.
fn on_line(line: u32, error: ServerError) -> ServerError {
    match error {
        ServerError::InvalidArgument { reason, message } => {
            ServerError::InvalidArgument { reason, message: format!("line {line}: {message}") }
        }
        other => other,
    }
}
