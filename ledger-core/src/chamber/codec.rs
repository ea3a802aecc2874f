//! Canonical encoding helpers the chamber's values share (see `crate::canonical` for the format).

use crate::amount::Amount;
use crate::canonical::{DecodeError, Decoder, Encoder};
use crate::names::Handle;

/// A refusal by a validating constructor, as a decoding error.
pub(super) fn invalid(error: impl std::fmt::Display) -> DecodeError {
    DecodeError(error.to_string())
}

/// Appends an amount: its minor units as `i64`.
pub(super) fn amount_into(out: &mut Encoder, amount: Amount) {
    out.i64(amount.minor());
}

/// Reads an amount, refusing one out of range.
pub(super) fn amount(d: &mut Decoder<'_>) -> Result<Amount, DecodeError> {
    let minor = d.i64()?;
    Amount::from_minor(minor).ok_or_else(|| DecodeError(format!("amount {minor} out of range")))
}

/// Reads a handle, refusing an invalid one.
pub(super) fn handle(d: &mut Decoder<'_>) -> Result<Handle, DecodeError> {
    Handle::parse(d.text()?).map_err(invalid)
}
