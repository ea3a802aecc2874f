//! Rows to domain types, shared by every backend. Nothing read from disk is trusted: every value
//! is validated, and a value that fails says which row it came from. An entry read back is checked
//! (hash and conservation) before it is returned, the read-side half of the invariant asserted
//! when it was sealed; only an export hands entries over as stored, for the auditor to judge.

use std::collections::{BTreeMap, BTreeSet};

use ledger_core::account::{Account, AccountKind, AccountStatus, Limits, RoleSet, Unit};
use ledger_core::amount::{Amount, BALANCE_MAX, Scale};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::command::{EntryKind, decode_signing_bytes};
use ledger_core::date::Date;
use ledger_core::invoice::{Invoice, InvoiceStatus};
use ledger_core::journal::{Entry, EntryHash, Posting};
use ledger_core::keys::{PublicKey, Signature};
use ledger_core::names::Reference;
use ledger_core::names::{DisplayName, Handle, LedgerId, Memo, RequestId, UnitCode};
use ledger_core::state::KeyOwner;
use ledger_core::transfer::{Transfer, TransferKind, TransferStatus};

use super::{HistoryRow, LedgerMeta, PendingEntry, StoreError};

/// Bytes of one stored signature: public key then signature.
pub(super) const SIGNATURE_PAIR_LEN: usize = 32 + 64;

pub(super) fn corrupt(message: String) -> StoreError {
    StoreError::Corrupt(message)
}

/// Binds a count or sequence number; values past `i64::MAX` mean "no bound" and are clamped.
pub(super) fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// An entry's signatures as stored: concatenated pairs of public key and signature.
pub(super) fn signatures_bytes(entry: &Entry) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(entry.signatures.len() * SIGNATURE_PAIR_LEN);
    for (key, signature) in &entry.signatures {
        bytes.extend_from_slice(key.as_bytes());
        bytes.extend_from_slice(signature.as_bytes());
    }
    bytes
}

/// The handles whose history an entry joins: each once, whether the entry touched it, posted to
/// it, or both.
pub(super) fn history_handles(pending: &PendingEntry) -> BTreeSet<&str> {
    let posted = pending.entry.postings.iter().map(|posting| posting.account.as_str());
    pending.touched.iter().map(Handle::as_str).chain(posted).collect()
}

/// Something `changes` names that `state` does not hold: a bug in the caller, refused before
/// anything inconsistent is written.
pub(super) fn absent(what: &str, name: impl std::fmt::Display) -> StoreError {
    corrupt(format!("append: {what} {name} is marked changed but absent from the state"))
}

/// Asserts that `entries` continue the chain at `head` and carry one balance per posting.
pub(super) fn check_continues(head: (u64, EntryHash), entries: &[PendingEntry]) -> Result<(), StoreError> {
    let (mut seq, mut hash) = head;
    for pending in entries {
        let entry = &pending.entry;
        if entry.seq != seq + 1 || entry.prev_hash != hash {
            return Err(corrupt(format!("append: entry {} does not continue the chain at entry {seq}", entry.seq)));
        }
        if pending.balances_after.len() != entry.postings.len() {
            return Err(corrupt(format!(
                "append: entry {} has {} postings but {} balances after",
                entry.seq,
                entry.postings.len(),
                pending.balances_after.len()
            )));
        }
        (seq, hash) = (entry.seq, entry.hash);
    }
    Ok(())
}

/// `ledger_id, node_key, head seq, head hash`.
pub(super) type MetaRow = (Vec<u8>, Vec<u8>, Option<i64>, Option<Vec<u8>>);
/// `code, scale, name`.
pub(super) type UnitRow = (String, i64, String);
/// `handle, kind, unit, name, balance, credit_limit, ceiling, soft_limit, status`.
pub(super) type AccountRow = (String, String, String, String, i64, i64, Option<i64>, Option<i64>, String);
/// `seq, timestamp_ms, kind, command, signatures, prev_hash, hash`.
pub(super) type JournalRow = (i64, i64, String, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);
/// `seq, account, unit, delta, balance_after`.
pub(super) type PostingRow = (i64, String, String, i64, i64);

pub(super) fn meta_from_row(row: MetaRow) -> Result<LedgerMeta, StoreError> {
    let (ledger_id, node_key, head_seq, head_hash) = row;
    let ledger_id = uuid::Uuid::from_slice(&ledger_id)
        .map(LedgerId::from_uuid)
        .map_err(|error| corrupt(format!("ledger meta: ledger id: {error}")))?;
    let node_key = key_from_row("ledger meta", &node_key)?;
    let (head_seq, head_hash) = match (head_seq, head_hash) {
        (Some(seq), Some(hash)) => (seq_from_row(seq)?, hash_from_row(seq, "hash", &hash)?),
        // Meta is written with the genesis entry, but an empty journal still reads sensibly.
        _ => (0, EntryHash::GENESIS_PREV),
    };
    Ok(LedgerMeta { ledger_id, node_key, head_seq, head_hash })
}

pub(super) fn unit_from_row(row: UnitRow) -> Result<Unit, StoreError> {
    let (code, scale, name) = row;
    let code = UnitCode::parse(&code).map_err(|error| corrupt(format!("units: {error}")))?;
    let scale = u32::try_from(scale)
        .ok()
        .and_then(|places| Scale::new(places).ok())
        .ok_or_else(|| corrupt(format!("unit {code}: scale {scale} out of range")))?;
    let name = DisplayName::parse(&name).map_err(|error| corrupt(format!("unit {code}: {error}")))?;
    Ok(Unit { code, scale, name })
}

pub(super) fn account_from_row(row: AccountRow) -> Result<Account, StoreError> {
    let (handle, kind, unit, name, balance, credit_limit, ceiling, soft_limit, status) = row;
    let handle = Handle::parse(&handle).map_err(|error| corrupt(format!("accounts: {error}")))?;
    let bad = |what: String| corrupt(format!("account {handle}: {what}"));
    let kind = AccountKind::parse(&kind).ok_or_else(|| bad(format!("unknown kind {kind:?}")))?;
    let unit = UnitCode::parse(&unit).map_err(|error| bad(error.to_string()))?;
    let name = DisplayName::parse(&name).map_err(|error| bad(error.to_string()))?;
    if !(-BALANCE_MAX..=BALANCE_MAX).contains(&balance) {
        return Err(bad(format!("balance {balance} out of range")));
    }
    let amount =
        |what: &str, minor: i64| Amount::from_minor(minor).ok_or_else(|| bad(format!("{what} {minor} out of range")));
    let limits = Limits {
        credit_limit: amount("credit limit", credit_limit)?,
        ceiling: ceiling.map(|minor| amount("ceiling", minor)).transpose()?,
        soft_limit: soft_limit.map(|minor| amount("soft limit", minor)).transpose()?,
    };
    let status = AccountStatus::parse(&status).ok_or_else(|| bad(format!("unknown status {status:?}")))?;
    Ok(Account { handle, kind, unit, name, balance, limits, status })
}

pub(super) fn roles_from_row(handle: &Handle, bits: i64) -> Result<RoleSet, StoreError> {
    // Unknown bits would be dropped silently by `RoleSet::from_bits`; on disk they are corruption.
    u8::try_from(bits)
        .ok()
        .filter(|bits| RoleSet::from_bits(*bits).bits() == *bits)
        .map(RoleSet::from_bits)
        .ok_or_else(|| corrupt(format!("identity {handle}: invalid role bits {bits}")))
}

pub(super) fn key_owner_from_row(key: &PublicKey, handle: String, revoked: i64) -> Result<KeyOwner, StoreError> {
    let handle = Handle::parse(&handle).map_err(|error| corrupt(format!("key {key}: {error}")))?;
    let revoked = match revoked {
        0 => false,
        1 => true,
        other => return Err(corrupt(format!("key {key}: revoked flag {other}"))),
    };
    Ok(KeyOwner { handle, revoked })
}

/// A key column: checked when it was written, so only its length is checked here.
pub(super) fn key_from_row(context: &str, bytes: &[u8]) -> Result<PublicKey, StoreError> {
    let bytes: [u8; 32] =
        bytes.try_into().map_err(|_| corrupt(format!("{context}: a key of {} bytes, not 32", bytes.len())))?;
    Ok(PublicKey::from_stored(bytes))
}

pub(super) fn seq_from_row(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq).ok().filter(|seq| *seq >= 1).ok_or_else(|| corrupt(format!("journal: invalid seq {seq}")))
}

pub(super) fn hash_from_row(seq: i64, column: &str, bytes: &[u8]) -> Result<EntryHash, StoreError> {
    EntryHash::from_bytes(bytes)
        .ok_or_else(|| corrupt(format!("entry {seq}: {column} is {} bytes, not 32", bytes.len())))
}

/// Postings rows by entry, each entry's in posting order.
pub(super) fn group_postings(rows: Vec<PostingRow>) -> BTreeMap<i64, Vec<PostingRow>> {
    let mut grouped: BTreeMap<i64, Vec<PostingRow>> = BTreeMap::new();
    for row in rows {
        grouped.entry(row.0).or_default().push(row);
    }
    grouped
}

/// Rebuilds an entry from its journal row and posting rows, then checks it (hash and
/// conservation): the read-side half of the invariant asserted when it was sealed.
pub(super) fn entry_from_rows(row: JournalRow, postings: &[PostingRow]) -> Result<Entry, StoreError> {
    let entry = entry_as_stored(row, postings)?;
    // The journal error already names the entry ("entry N: ...").
    entry.check().map_err(|error| corrupt(error.to_string()))?;
    Ok(entry)
}

/// Rebuilds an entry from its rows without checking its hash or postings: what an export hands
/// to an auditor, who must see a tampered entry for themselves rather than a refusal.
pub(super) fn entry_as_stored(row: JournalRow, postings: &[PostingRow]) -> Result<Entry, StoreError> {
    let (seq_row, timestamp_ms, kind, command_bytes, signatures, prev_hash, hash) = row;
    let seq = seq_from_row(seq_row)?;
    let bad = |what: String| corrupt(format!("entry {seq}: {what}"));
    let kind = EntryKind::parse(&kind).ok_or_else(|| bad(format!("unknown kind {kind:?}")))?;
    if signatures.len() % SIGNATURE_PAIR_LEN != 0 {
        return Err(bad(format!("signatures column is {} bytes", signatures.len())));
    }
    let signatures = signatures
        .chunks_exact(SIGNATURE_PAIR_LEN)
        .map(|pair| {
            let (key, signature) = pair.split_at(32);
            let key = PublicKey::from_bytes(key).map_err(|error| bad(error.to_string()))?;
            let signature = Signature::from_bytes(signature).map_err(|error| bad(error.to_string()))?;
            Ok((key, signature))
        })
        .collect::<Result<_, StoreError>>()?;
    let postings = postings
        .iter()
        .map(|(_, account, unit, delta, _)| {
            Ok(Posting {
                account: Handle::parse(account).map_err(|error| bad(error.to_string()))?,
                unit: UnitCode::parse(unit).map_err(|error| bad(error.to_string()))?,
                delta: *delta,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Entry {
        seq,
        timestamp_ms,
        kind,
        command_bytes,
        signatures,
        postings,
        prev_hash: hash_from_row(seq_row, "prev_hash", &prev_hash)?,
        hash: hash_from_row(seq_row, "hash", &hash)?,
    })
}

/// Refuses an entry found under request id `id` whose signed bytes name another request. The
/// request id column is an index, not covered by the hash: the signed bytes are the authority, so
/// an answer for the wrong request is refused rather than replayed.
pub(super) fn check_request_id(entry: Entry, id: RequestId) -> Result<Entry, StoreError> {
    let (_, signed_id, _) =
        decode_signing_bytes(&entry.command_bytes).map_err(|error| corrupt(format!("entry {}: {error}", entry.seq)))?;
    if signed_id != id {
        return Err(corrupt(format!("entry {}: indexed under request id {id} but signed for {signed_id}", entry.seq)));
    }
    Ok(entry)
}

/// Entries (journal rows, newest first) and their posting rows as `handle`'s history lines.
pub(super) fn history_rows(
    handle: &Handle,
    rows: Vec<JournalRow>,
    postings: Vec<PostingRow>,
) -> Result<Vec<HistoryRow>, StoreError> {
    let mut postings = group_postings(postings);
    rows.into_iter()
        .map(|row| {
            let own = postings.remove(&row.0).unwrap_or_default();
            let entry = entry_from_rows(row, &own)?;
            // An entry may post to an account more than once: the delta is their sum and the
            // balance after is the one after the last of them.
            let mine: Vec<&PostingRow> = own.iter().filter(|p| p.1 == handle.as_str()).collect();
            let delta = (!mine.is_empty()).then(|| mine.iter().map(|p| p.3).sum());
            let balance_after = mine.last().map(|p| p.4);
            Ok(HistoryRow { entry, delta, balance_after })
        })
        .collect()
}

/// Entries (journal rows, in order) with their posting rows.
pub(super) fn entries_from_rows(rows: Vec<JournalRow>, postings: Vec<PostingRow>) -> Result<Vec<Entry>, StoreError> {
    let mut postings = group_postings(postings);
    rows.into_iter()
        .map(|row| {
            let own = postings.remove(&row.0).unwrap_or_default();
            entry_from_rows(row, &own)
        })
        .collect()
}

/// `id, kind, status, payer, payee, unit, amount, memo, created_ms, expires_at_ms, reverses,
/// reversed_by` of `transfers`, in that order in every backend.
pub(super) type TransferRow =
    (Vec<u8>, String, String, String, String, String, i64, String, i64, Option<i64>, Option<Vec<u8>>, Option<Vec<u8>>);

pub(super) fn transfer_id_from_row(context: &str, bytes: &[u8]) -> Result<RequestId, StoreError> {
    let bytes: [u8; 16] = bytes.try_into().map_err(|_| corrupt(format!("{context}: a transfer id is not 16 bytes")))?;
    Ok(RequestId::from_uuid(uuid::Uuid::from_bytes(bytes)))
}

pub(super) fn transfer_from_row(row: TransferRow) -> Result<Transfer, StoreError> {
    let (id, kind, status, payer, payee, unit, amount, memo, created_ms, expires_at_ms, reverses, reversed_by) = row;
    let id = transfer_id_from_row("transfers", &id)?;
    let bad = |what: String| corrupt(format!("transfer {id}: {what}"));
    let handle = |text: &str| Handle::parse(text).map_err(|error| bad(error.to_string()));
    let other =
        |bytes: Option<Vec<u8>>| bytes.map(|bytes| transfer_id_from_row(&format!("transfer {id}"), &bytes)).transpose();
    Ok(Transfer {
        id,
        kind: TransferKind::parse(&kind).ok_or_else(|| bad(format!("unknown kind {kind:?}")))?,
        status: TransferStatus::parse(&status).ok_or_else(|| bad(format!("unknown status {status:?}")))?,
        payer: handle(&payer)?,
        payee: handle(&payee)?,
        unit: UnitCode::parse(&unit).map_err(|error| bad(error.to_string()))?,
        amount: Amount::from_minor(amount)
            .filter(|amount| !amount.is_zero())
            .ok_or_else(|| bad(format!("amount {amount} out of range")))?,
        memo: Memo::parse(&memo).map_err(|error| bad(error.to_string()))?,
        created_ms,
        expires_at_ms,
        reverses: other(reverses)?,
        reversed_by: other(reversed_by)?,
    })
}

/// `id, creditor, debtor, unit, amount, remaining, due, reference, status, created_ms` of
/// `invoices`, in that order in every backend.
pub(super) type InvoiceRow = (Vec<u8>, String, String, String, i64, i64, Option<String>, String, String, i64);

pub(super) fn invoice_from_row(row: InvoiceRow) -> Result<Invoice, StoreError> {
    let (id, creditor, debtor, unit, amount, remaining, due, reference, status, created_ms) = row;
    let id = transfer_id_from_row("invoices", &id)?;
    let bad = |what: String| corrupt(format!("invoice {id}: {what}"));
    let handle = |text: &str| Handle::parse(text).map_err(|error| bad(error.to_string()));
    let amount = Amount::from_minor(amount)
        .filter(|amount| !amount.is_zero())
        .ok_or_else(|| bad(format!("amount {amount} out of range")))?;
    let remaining = Amount::from_minor(remaining)
        .filter(|remaining| *remaining <= amount)
        .ok_or_else(|| bad(format!("remaining {remaining} outside 0..={}", amount.minor())))?;
    Ok(Invoice {
        id,
        creditor: handle(&creditor)?,
        debtor: handle(&debtor)?,
        unit: UnitCode::parse(&unit).map_err(|error| bad(error.to_string()))?,
        amount,
        remaining,
        due: due.map(|text| Date::parse(&text).map_err(|error| bad(error.to_string()))).transpose()?,
        reference: Reference::parse(&reference).map_err(|error| bad(error.to_string()))?,
        status: InvoiceStatus::parse(&status).ok_or_else(|| bad(format!("unknown status {status:?}")))?,
        created_ms,
    })
}

/// Entries (journal rows, in order) with their posting rows, unchecked: see [`entry_as_stored`].
pub(super) fn entries_as_stored(rows: Vec<JournalRow>, postings: Vec<PostingRow>) -> Result<Vec<Entry>, StoreError> {
    let mut postings = group_postings(postings);
    rows.into_iter()
        .map(|row| {
            let own = postings.remove(&row.0).unwrap_or_default();
            entry_as_stored(row, &own)
        })
        .collect()
}

/// A stored checkpoint: seq, hash, timestamp, signer, signature, and the ledger id.
pub(super) type CheckpointRow = (i64, Vec<u8>, i64, Vec<u8>, Vec<u8>, Vec<u8>);

/// The checkpoint a row holds. Its signature is not checked here: that is the auditor's job.
pub(super) fn checkpoint_from_row(row: CheckpointRow) -> Result<Checkpoint, StoreError> {
    let (seq_row, hash, timestamp_ms, signer, signature, ledger_id) = row;
    let seq = seq_from_row(seq_row)?;
    let ledger_id = uuid::Uuid::from_slice(&ledger_id)
        .map_err(|_| corrupt(format!("checkpoint {seq}: ledger id is not 16 bytes")))?;
    Ok(Checkpoint {
        ledger_id: LedgerId::from_uuid(ledger_id),
        seq,
        hash: hash_from_row(seq_row, "checkpoint hash", &hash)?,
        timestamp_ms,
        signer: key_from_row("checkpoint signer", &signer)?,
        signature: Signature::from_bytes(&signature)
            .map_err(|_| corrupt(format!("checkpoint {seq}: signature is not 64 bytes")))?,
    })
}
