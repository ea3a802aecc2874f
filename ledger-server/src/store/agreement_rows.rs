//! Stored agreements (`agreements`) to domain values, the same for every backend: every field is
//! validated on the way in, so a tampered row surfaces as [`StoreError::Corrupt`] naming it.

use ledger_core::amount::Amount;
use ledger_core::chamber::{Agreement, BasisPoints, Period};
use ledger_core::names::{Handle, UnitCode};

use super::StoreError;
use super::rows::corrupt;

/// An agreement as stored, with the unit of its business (whose fund it contributes to).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementRecord {
    /// The terms.
    pub agreement: Agreement,
    /// The business's unit.
    pub unit: UnitCode,
}

/// `business, unit, levy_bp, recurring, effective_from` of `agreements`, in that order in every
/// backend.
pub(super) type AgreementRow = (String, String, i64, Option<i64>, String);

pub(super) fn agreement_from_row(row: AgreementRow) -> Result<AgreementRecord, StoreError> {
    let (business, unit, levy_bp, recurring, effective_from) = row;
    let bad = |what: String| corrupt(format!("agreement of {business:?}: {what}"));
    let levy = u32::try_from(levy_bp)
        .ok()
        .and_then(|points| BasisPoints::new(points).ok())
        .ok_or_else(|| bad(format!("levy of {levy_bp} basis points")))?;
    let recurring = recurring
        .map(|minor| Amount::from_minor(minor).ok_or_else(|| bad(format!("recurring amount {minor} out of range"))))
        .transpose()?;
    let business_handle = Handle::parse(&business).map_err(|error| bad(error.to_string()))?;
    let effective_from = Period::parse(&effective_from).map_err(|error| bad(error.to_string()))?;
    let agreement =
        Agreement::new(business_handle, levy, recurring, effective_from).map_err(|error| bad(error.to_string()))?;
    Ok(AgreementRecord { agreement, unit: UnitCode::parse(&unit).map_err(|error| bad(error.to_string()))? })
}

/// The values of an agreement's row, in [`AgreementRow`] order after the business and unit.
pub(super) fn agreement_values(agreement: &Agreement) -> (i64, Option<i64>, String) {
    (
        i64::from(agreement.levy().points()),
        agreement.recurring().map(Amount::minor),
        agreement.effective_from().to_string(),
    )
}
