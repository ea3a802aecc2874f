//! The rule book's stored rows (`rules`, `rule_quorum`) to domain types and back, the same for
//! every backend: a rule's terms are read back from their canonical bytes and checked like any
//! proposed rule, so a tampered row surfaces as [`StoreError::Corrupt`] naming it.

use std::collections::BTreeSet;

use ledger_core::chamber::{Quorum, Rule, RuleRecord};
use ledger_core::names::{Handle, RuleId, UnitCode};

use super::StoreError;
use super::rows::corrupt;

/// `id, unit, terms, proposer, approvals, version` of `rules`, in that order in every backend.
pub(super) type RuleRow = (Vec<u8>, String, Vec<u8>, String, String, Option<i64>);

/// The approvals column: handles in ascending order joined by ','.
pub(super) fn approvals_text(approvals: &BTreeSet<Handle>) -> String {
    approvals.iter().map(Handle::as_str).collect::<Vec<_>>().join(",")
}

pub(super) fn version_value(record: &RuleRecord) -> Option<i64> {
    record.version.map(i64::from)
}

pub(super) fn rule_from_row(row: RuleRow) -> Result<RuleRecord, StoreError> {
    let (id, unit, terms, proposer, approvals, version) = row;
    let id: [u8; 16] = id.try_into().map_err(|_| corrupt("rules: a rule id is not 16 bytes".to_owned()))?;
    let id = RuleId::from_uuid(uuid::Uuid::from_bytes(id));
    let bad = |what: String| corrupt(format!("rule {id}: {what}"));
    let approvals = approvals
        .split(',')
        .map(|text| Handle::parse(text).map_err(|error| bad(error.to_string())))
        .collect::<Result<BTreeSet<_>, _>>()?;
    let version = version
        .map(|v| u32::try_from(v).ok().filter(|v| *v > 0).ok_or_else(|| bad(format!("version {v} out of range"))))
        .transpose()?;
    Ok(RuleRecord {
        id,
        unit: UnitCode::parse(&unit).map_err(|error| bad(error.to_string()))?,
        rule: Rule::from_canonical_bytes(&terms).map_err(|error| bad(error.to_string()))?,
        proposer: Handle::parse(&proposer).map_err(|error| bad(error.to_string()))?,
        approvals,
        version,
    })
}

pub(super) fn quorum_from_row(approvals: i64) -> Result<Quorum, StoreError> {
    u32::try_from(approvals)
        .ok()
        .and_then(|approvals| Quorum::new(approvals).ok())
        .ok_or_else(|| corrupt(format!("rule_quorum: {approvals} approvals out of range")))
}

pub(super) fn adopted_from_row(max_version: Option<i64>) -> Result<u32, StoreError> {
    let max = max_version.unwrap_or(0);
    u32::try_from(max).map_err(|_| corrupt(format!("rules: version {max} out of range")))
}
