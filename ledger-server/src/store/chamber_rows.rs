//! The chamber's stored rows (`commons`, `declarations`) to domain types and back, the same for
//! every backend: every field is validated on the way in, so a tampered row surfaces as
//! [`StoreError::Corrupt`] naming it.

use ledger_core::chamber::{
    Category, Commons, CommonsKind, CommonsName, Declaration, DeclarationStatus, Description, Note, Period, Quantity,
    RulesOfUse, Stewards,
};
use ledger_core::names::{DeclarationId, DistributionId, Handle};

use super::StoreError;
use super::rows::corrupt;

/// `name, kind, description, rules_of_use, stewards` of `commons`, in that order in every backend.
pub(super) type CommonsRow = (String, String, String, String, String);

/// `id, contributor, commons, category, quantity, period, note, status, paid_by` of
/// `declarations`, in that order in every backend.
pub(super) type DeclarationRow = (Vec<u8>, String, String, String, i64, String, String, String, Option<Vec<u8>>);

/// The stewards column: handles in ascending order joined by ',', which no handle contains.
pub(super) fn stewards_text(stewards: &Stewards) -> String {
    stewards.iter().map(Handle::as_str).collect::<Vec<_>>().join(",")
}

pub(super) fn commons_from_row(row: CommonsRow) -> Result<Commons, StoreError> {
    let (name, kind, description, rules_of_use, stewards) = row;
    let bad = |what: String| corrupt(format!("commons {name:?}: {what}"));
    let handles = stewards
        .split(',')
        .map(|text| Handle::parse(text).map_err(|error| bad(error.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Commons {
        name: CommonsName::parse(&name).map_err(|error| bad(error.to_string()))?,
        kind: CommonsKind::parse(&kind).map_err(|error| bad(error.to_string()))?,
        description: Description::parse(&description).map_err(|error| bad(error.to_string()))?,
        rules_of_use: RulesOfUse::parse(&rules_of_use).map_err(|error| bad(error.to_string()))?,
        stewards: Stewards::new(handles).map_err(|error| bad(error.to_string()))?,
    })
}

pub(super) fn declaration_id_from_row(bytes: &[u8]) -> Result<DeclarationId, StoreError> {
    let bytes: [u8; 16] =
        bytes.try_into().map_err(|_| corrupt("declarations: a declaration id is not 16 bytes".to_owned()))?;
    Ok(DeclarationId::from_uuid(uuid::Uuid::from_bytes(bytes)))
}

pub(super) fn declaration_from_row(row: DeclarationRow) -> Result<Declaration, StoreError> {
    let (id, contributor, commons, category, quantity, period, note, status, paid_by) = row;
    let id = declaration_id_from_row(&id)?;
    let bad = |what: String| corrupt(format!("declaration {id}: {what}"));
    let quantity = u64::try_from(quantity)
        .ok()
        .and_then(Quantity::from_thousandths)
        .ok_or_else(|| bad(format!("quantity {quantity} out of range")))?;
    Ok(Declaration {
        id,
        contributor: Handle::parse(&contributor).map_err(|error| bad(error.to_string()))?,
        commons: CommonsName::parse(&commons).map_err(|error| bad(error.to_string()))?,
        category: Category::parse(&category).map_err(|error| bad(error.to_string()))?,
        quantity,
        period: Period::parse(&period).map_err(|error| bad(error.to_string()))?,
        note: Note::parse(&note).map_err(|error| bad(error.to_string()))?,
        status: DeclarationStatus::parse(&status).ok_or_else(|| bad(format!("unknown status {status:?}")))?,
        paid_by: paid_by
            .map(|bytes| {
                let bytes: [u8; 16] = bytes.try_into().map_err(|_| bad("paid_by is not 16 bytes".into()))?;
                Ok(DistributionId::from_uuid(uuid::Uuid::from_bytes(bytes)))
            })
            .transpose()?,
    })
}

/// A quantity as stored: thousandths, which fit in `i64` (at most [`Quantity::MAX`]).
pub(super) fn quantity_value(quantity: Quantity) -> i64 {
    i64::try_from(quantity.thousandths()).expect("a quantity is at most a million units")
}
