//! Authentication of reads: a request that changes nothing carries no command to sign, so the
//! client signs a short statement instead and sends it as gRPC metadata.
//!
//! ```text
//! x-ledger-key        hex public key
//! x-ledger-timestamp  milliseconds since the Unix epoch, decimal
//! x-ledger-signature  hex signature over the bytes below
//!
//! "commons-ledger/read/v1" 0x00 | ledger id 16 bytes | method text | timestamp_ms i64
//! ```
//!
//! `method` is the full gRPC path (`/ledger.v1.Accounts/GetBalance`), so a signature for one
//! method does not open another. The server accepts a timestamp within [`READ_SKEW_MAX_MS`] of its
//! clock, which bounds how long a captured signature can be replayed; run the API behind TLS so
//! nobody can capture one.

use crate::canonical::Encoder;
use crate::names::LedgerId;

/// The domain tag of read signatures.
pub const READ_DOMAIN: &[u8] = b"commons-ledger/read/v1\0";

/// How far a read's timestamp may be from the server's clock.
pub const READ_SKEW_MAX_MS: i64 = 120_000;

/// Metadata key of the reader's public key.
pub const KEY_HEADER: &str = "x-ledger-key";
/// Metadata key of the timestamp.
pub const TIMESTAMP_HEADER: &str = "x-ledger-timestamp";
/// Metadata key of the signature.
pub const SIGNATURE_HEADER: &str = "x-ledger-signature";

/// The bytes a reader signs.
pub fn read_signing_bytes(ledger_id: LedgerId, method: &str, timestamp_ms: i64) -> Vec<u8> {
    let mut out = Encoder::with_domain(READ_DOMAIN);
    out.fixed(ledger_id.as_bytes()).text(method).i64(timestamp_ms);
    out.finish()
}
