//! Who is calling, and what they may read.
//!
//! # Mutations
//!
//! A mutation carries its own proof: the signatures over its canonical command bytes
//! (ledger-core `command.rs`). The server checks them ([`crate::writer::VerifiedCommand`]) and the
//! domain checks the signer's roles when it applies the command, so mutations need no metadata.
//! A request id seen before is answered with its first result only when the same keys signed the
//! same bytes (the writer checks), so replaying someone else's request reveals nothing.
//!
//! # Reads
//!
//! A read has no command to sign, so the client signs a short statement and sends it as gRPC
//! metadata (ledger-core `read_auth.rs`):
//!
//! ```text
//! x-ledger-key        hex public key
//! x-ledger-timestamp  milliseconds since the Unix epoch, decimal
//! x-ledger-signature  hex signature over read_signing_bytes(ledger id, method, timestamp)
//! ```
//!
//! [`authenticate_read`] checks, in this order and with a precise `UNAUTHENTICATED` reason each:
//! the three entries are present (`MISSING_CREDENTIALS`) and well formed
//! (`MALFORMED_CREDENTIALS`); the timestamp is within `READ_SKEW_MAX_MS` of the server's clock
//! (`STALE_TIMESTAMP`), which bounds how long a captured statement can be replayed; the signature
//! verifies over this ledger's id and the exact method path (`BAD_SIGNATURE`), so a statement for
//! one method or ledger opens no other; and the key is registered (`UNKNOWN_KEY`) and not revoked
//! (`KEY_REVOKED`). The signature is checked before the database is asked anything, so
//! unauthenticated callers cost no query.
//!
//! # Who may read what
//!
//! Any registered key reads the directory: units, and accounts without their private fields. The
//! balance, limits, history, keys and roles of an account are for its holder and for holders of a
//! role that reads every account (treasurer, auditor, admin): [`Reader::may_read_account`].
//! The audit service is for the latter only: [`Reader::require_reads_all`].

use std::time::{SystemTime, UNIX_EPOCH};

use ledger_core::account::RoleSet;
use ledger_core::keys::{PublicKey, Signature};
use ledger_core::names::Handle;
use ledger_core::read_auth::{KEY_HEADER, READ_SKEW_MAX_MS, SIGNATURE_HEADER, TIMESTAMP_HEADER, read_signing_bytes};
use tonic::metadata::MetadataMap;

use crate::error::ServerError;
use crate::grpc::Context;

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reader {
    /// The handle that holds the key.
    pub handle: Handle,
    /// The roles of that handle when the call was authenticated.
    pub roles: RoleSet,
    /// The key that signed the call.
    pub key: PublicKey,
}

impl Reader {
    /// Whether the caller may read every account (treasurer, auditor, admin).
    pub fn reads_all(&self) -> bool {
        self.roles.reads_all()
    }

    /// The caller may read the private fields (balance, limits, history, keys, roles) of
    /// `handle`: its own, or any with a role that reads every account.
    pub fn may_read_account(&self, handle: &Handle) -> Result<(), ServerError> {
        if &self.handle == handle || self.reads_all() {
            Ok(())
        } else {
            Err(ServerError::denied(format!("{} may not read the account {handle}", self.handle)))
        }
    }

    /// The caller holds a role that reads every account.
    pub fn require_reads_all(&self) -> Result<(), ServerError> {
        if self.reads_all() {
            Ok(())
        } else {
            Err(ServerError::denied(format!(
                "{} holds no role that reads the whole ledger (treasurer, auditor or admin)",
                self.handle
            )))
        }
    }
}

/// Authenticates a read from its signed metadata. `method` is the full gRPC path of the call,
/// such as `/ledger.v1.Accounts/GetBalance`.
pub async fn authenticate_read(ctx: &Context, metadata: &MetadataMap, method: &str) -> Result<Reader, ServerError> {
    let credentials = Credentials::from_metadata(metadata)?;
    credentials.check_fresh(now_ms())?;
    credentials.check_signature(ctx, method)?;
    let Some((owner, roles)) = ctx.store.key_owner(&credentials.key).await? else {
        return Err(ServerError::unauthenticated(
            "UNKNOWN_KEY",
            format!("key {} is not registered in this ledger", credentials.key),
        ));
    };
    if owner.revoked {
        return Err(ServerError::unauthenticated("KEY_REVOKED", format!("key {} has been revoked", credentials.key)));
    }
    Ok(Reader { handle: owner.handle, roles, key: credentials.key })
}

/// The three metadata entries of a signed read, parsed.
struct Credentials {
    key: PublicKey,
    timestamp_ms: i64,
    signature: Signature,
}

impl Credentials {
    fn from_metadata(metadata: &MetadataMap) -> Result<Self, ServerError> {
        let key = header(metadata, KEY_HEADER)?;
        let timestamp = header(metadata, TIMESTAMP_HEADER)?;
        let signature = header(metadata, SIGNATURE_HEADER)?;
        let key = PublicKey::parse(key).map_err(|error| malformed(KEY_HEADER, error))?;
        let timestamp_ms = timestamp
            .parse::<i64>()
            .map_err(|_| malformed(TIMESTAMP_HEADER, "not a decimal number of milliseconds since the Unix epoch"))?;
        let signature = Signature::parse(signature).map_err(|error| malformed(SIGNATURE_HEADER, error))?;
        Ok(Self { key, timestamp_ms, signature })
    }

    fn check_fresh(&self, now_ms: i64) -> Result<(), ServerError> {
        // abs_diff cannot overflow, whatever timestamp a client sends.
        let skew_ms = self.timestamp_ms.abs_diff(now_ms);
        if skew_ms > READ_SKEW_MAX_MS.unsigned_abs() {
            return Err(ServerError::unauthenticated(
                "STALE_TIMESTAMP",
                format!(
                    "{TIMESTAMP_HEADER} is {skew_ms} ms away from the server's clock (at most {READ_SKEW_MAX_MS} ms); \
                     check the client's clock and sign each call afresh"
                ),
            ));
        }
        Ok(())
    }

    fn check_signature(&self, ctx: &Context, method: &str) -> Result<(), ServerError> {
        let bytes = read_signing_bytes(ctx.ledger_id, method, self.timestamp_ms);
        self.key.verify(&bytes, &self.signature).map_err(|_| {
            ServerError::unauthenticated(
                "BAD_SIGNATURE",
                format!(
                    "{SIGNATURE_HEADER} does not verify for this key, ledger {} and method {method}",
                    ctx.ledger_id
                ),
            )
        })
    }
}

fn header<'a>(metadata: &'a MetadataMap, name: &'static str) -> Result<&'a str, ServerError> {
    let value = metadata.get(name).ok_or_else(|| {
        ServerError::unauthenticated(
            "MISSING_CREDENTIALS",
            format!("this call needs signed metadata: {KEY_HEADER}, {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} ({name} is missing)"),
        )
    })?;
    value.to_str().map_err(|_| malformed(name, "not visible ASCII"))
}

fn malformed(name: &'static str, error: impl std::fmt::Display) -> ServerError {
    ServerError::unauthenticated("MALFORMED_CREDENTIALS", format!("{name}: {error}"))
}

fn now_ms() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).expect("the clock is after 1970");
    i64::try_from(since_epoch.as_millis()).expect("milliseconds fit in i64 until year 292 million")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(timestamp_ms: i64) -> Credentials {
        let key = ledger_core::keys::SecretKey::from_seed([3; 32]);
        Credentials { key: key.public_key(), timestamp_ms, signature: key.sign(b"x") }
    }

    #[test]
    fn timestamps_outside_the_window_are_stale() {
        let now = 1_700_000_000_000;
        assert!(credentials(now).check_fresh(now).is_ok());
        assert!(credentials(now - READ_SKEW_MAX_MS).check_fresh(now).is_ok());
        assert!(credentials(now + READ_SKEW_MAX_MS).check_fresh(now).is_ok());
        for stale in [now - READ_SKEW_MAX_MS - 1, now + READ_SKEW_MAX_MS + 1, i64::MIN, i64::MAX, 0] {
            let error = credentials(stale).check_fresh(now).unwrap_err();
            assert_eq!(tonic::Status::from(error).code(), tonic::Code::Unauthenticated);
        }
    }

    #[test]
    fn missing_and_malformed_metadata_are_told_apart() {
        let reason = |metadata: &MetadataMap| match Credentials::from_metadata(metadata) {
            Err(ServerError::Unauthenticated { reason, .. }) => reason,
            other => panic!("expected unauthenticated, got {:?}", other.map(|_| ())),
        };
        let mut metadata = MetadataMap::new();
        assert_eq!(reason(&metadata), "MISSING_CREDENTIALS");
        let key = ledger_core::keys::SecretKey::from_seed([3; 32]);
        metadata.insert(KEY_HEADER, key.public_key().to_hex().parse().unwrap());
        metadata.insert(TIMESTAMP_HEADER, "12x".parse().unwrap());
        metadata.insert(SIGNATURE_HEADER, key.sign(b"x").to_hex().parse().unwrap());
        assert_eq!(reason(&metadata), "MALFORMED_CREDENTIALS");
        metadata.insert(TIMESTAMP_HEADER, "12".parse().unwrap());
        metadata.insert(KEY_HEADER, "abcd".parse().unwrap());
        assert_eq!(reason(&metadata), "MALFORMED_CREDENTIALS");
    }
}
