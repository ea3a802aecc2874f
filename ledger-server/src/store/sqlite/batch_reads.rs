//! What a writer batch needs, read set-wise: one statement per kind of row, whatever the number of
//! handles, keys or transfers. sqlx runs every SQLite statement on its own worker thread, so a
//! statement per row (three per account a payment touches, thirty thousand for one import batch
//! over ten thousand accounts) cost more in hand-offs than in SQLite itself.
//!
//! The set travels as one bound JSON array read back with `json_each`, so each statement has one
//! text, prepared once and cached, and no limit on bound parameters applies. Blobs travel as hex
//! (`unhex`); the IN list is probed through each table's primary key.

use std::collections::{BTreeSet, HashMap};

use ledger_core::account::{Account, Unit};
use ledger_core::keys::PublicKey;
use ledger_core::names::{Handle, RequestId, UnitCode};
use ledger_core::state::{Identity, KeyOwner};
use ledger_core::transfer::Transfer;
use sqlx::sqlite::SqliteConnection;

use super::db;
use crate::store::StoreError;
use crate::store::rows::{
    AccountRow, TransferRow, UnitRow, account_from_row, corrupt, key_from_row, key_owner_from_row, roles_from_row,
    transfer_from_row, unit_from_row,
};

/// A JSON array of texts for `json_each`.
pub(super) fn json_texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let texts: Vec<&str> = texts.into_iter().collect();
    serde_json::to_string(&texts).expect("a list of strings always serialises")
}

/// A JSON array of hex texts for `json_each` and `unhex`.
pub(super) fn json_hex<'a>(blobs: impl IntoIterator<Item = &'a [u8]>) -> String {
    let hex: Vec<String> = blobs.into_iter().map(hex::encode).collect();
    serde_json::to_string(&hex).expect("a list of strings always serialises")
}

/// The accounts of `handles`; unknown handles are absent.
pub(in crate::store) async fn accounts(
    conn: &mut SqliteConnection,
    handles: &[&Handle],
) -> Result<Vec<Account>, StoreError> {
    if handles.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<AccountRow> = sqlx::query_as(
        "SELECT handle, kind, unit, name, balance, credit_limit, ceiling, soft_limit, status
         FROM accounts WHERE handle IN (SELECT value FROM json_each(?))",
    )
    .bind(json_texts(handles.iter().map(|handle| handle.as_str())))
    .fetch_all(conn)
    .await
    .map_err(db)?;
    rows.into_iter().map(account_from_row).collect()
}

/// The roles and active keys of `handles`, in one statement so they come from one snapshot;
/// handles without an identity are absent.
pub(in crate::store) async fn identities(
    conn: &mut SqliteConnection,
    handles: &[&Handle],
) -> Result<HashMap<Handle, Identity>, StoreError> {
    if handles.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, i64, Option<Vec<u8>>)> = sqlx::query_as(
        "SELECT i.handle, i.roles, k.public_key
         FROM identities i LEFT JOIN keys k ON k.handle = i.handle AND k.revoked = 0
         WHERE i.handle IN (SELECT value FROM json_each(?))",
    )
    .bind(json_texts(handles.iter().map(|handle| handle.as_str())))
    .fetch_all(conn)
    .await
    .map_err(db)?;
    let mut identities: HashMap<Handle, Identity> = HashMap::new();
    for (handle, roles, key) in rows {
        let handle = Handle::parse(&handle).map_err(|error| corrupt(format!("identities: {error}")))?;
        let roles = roles_from_row(&handle, roles)?;
        let key = key.map(|bytes| key_from_row(&format!("identity {handle}"), &bytes)).transpose()?;
        let identity = identities.entry(handle).or_insert_with(|| Identity { roles, keys: BTreeSet::new() });
        identity.keys.extend(key);
    }
    Ok(identities)
}

/// Owner records of `keys`; unknown keys are absent.
pub(in crate::store) async fn key_owners(
    conn: &mut SqliteConnection,
    keys: &[&PublicKey],
) -> Result<Vec<(PublicKey, KeyOwner)>, StoreError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(Vec<u8>, String, i64)> = sqlx::query_as(
        "SELECT public_key, handle, revoked FROM keys
         WHERE public_key IN (SELECT unhex(value) FROM json_each(?))",
    )
    .bind(json_hex(keys.iter().map(|key| key.as_bytes().as_slice())))
    .fetch_all(conn)
    .await
    .map_err(db)?;
    rows.into_iter()
        .map(|(key, handle, revoked)| {
            let key = key_from_row("keys", &key)?;
            Ok((key, key_owner_from_row(&key, handle, revoked)?))
        })
        .collect()
}

/// The units of `codes`; unknown codes are absent.
pub(in crate::store) async fn units(conn: &mut SqliteConnection, codes: &[&UnitCode]) -> Result<Vec<Unit>, StoreError> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<UnitRow> =
        sqlx::query_as("SELECT code, scale, name FROM units WHERE code IN (SELECT value FROM json_each(?))")
            .bind(json_texts(codes.iter().map(|code| code.as_str())))
            .fetch_all(conn)
            .await
            .map_err(db)?;
    rows.into_iter().map(unit_from_row).collect()
}

/// The transfers of `ids`; unknown ids are absent.
pub(in crate::store) async fn transfers(
    conn: &mut SqliteConnection,
    ids: &[RequestId],
) -> Result<Vec<Transfer>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<TransferRow> = sqlx::query_as(
        "SELECT id, kind, status, payer, payee, unit, amount, memo, created_ms, expires_at_ms, reverses, reversed_by
         FROM transfers WHERE id IN (SELECT unhex(value) FROM json_each(?))",
    )
    .bind(json_hex(ids.iter().map(|id| id.as_bytes().as_slice())))
    .fetch_all(conn)
    .await
    .map_err(db)?;
    rows.into_iter().map(transfer_from_row).collect()
}

/// Which of `ids` a journal entry already records: one statement for a whole batch, which is
/// nearly always all new. The entries of those found are read one by one (a replayed request).
pub(in crate::store) async fn recorded_requests(
    conn: &mut SqliteConnection,
    ids: &[RequestId],
) -> Result<Vec<RequestId>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(Vec<u8>,)> =
        sqlx::query_as("SELECT request_id FROM journal WHERE request_id IN (SELECT unhex(value) FROM json_each(?))")
            .bind(json_hex(ids.iter().map(|id| id.as_bytes().as_slice())))
            .fetch_all(conn)
            .await
            .map_err(db)?;
    rows.into_iter()
        .map(|(bytes,)| {
            let bytes: [u8; 16] =
                bytes.try_into().map_err(|_| corrupt("journal: a request id is not 16 bytes".to_owned()))?;
            Ok(RequestId::from_uuid(uuid::Uuid::from_bytes(bytes)))
        })
        .collect()
}
