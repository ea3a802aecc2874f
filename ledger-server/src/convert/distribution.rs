//! Proto ⇄ ledger-core conversion for distributions: ids, the lines' digest a treasurer signs,
//! and a distribution as sent, with its lines and totals at the unit's scale.

use ledger_core::amount::{Scale, format_minor};
use ledger_core::chamber::{AllocationLine, DistributionRecord, Quorum};
use ledger_core::names::DistributionId;

use super::{invalid, required};
use crate::error::ServerError;
use crate::proto;

/// A distribution's resource name `distributions/{id}`, or the bare id.
pub fn distribution_name(field: &str, text: &str) -> Result<DistributionId, ServerError> {
    let text = required(field, text)?;
    let id = text.strip_prefix("distributions/").unwrap_or(text);
    DistributionId::parse(id).map_err(|error| invalid("INVALID_DISTRIBUTION_ID", field, error))
}

/// The lines' digest: 64 hex characters.
pub fn lines_digest(field: &str, text: &str) -> Result<[u8; 32], ServerError> {
    let text = required(field, text)?;
    let bytes = hex::decode(text).map_err(|error| invalid("INVALID_DIGEST", field, error))?;
    bytes.try_into().map_err(|_| invalid("INVALID_DIGEST", field, "a digest is 32 bytes (64 hex characters)"))
}

/// A plan's or a distribution's line as sent.
pub fn line_message(line: &AllocationLine, scale: Scale) -> proto::AllocationLine {
    proto::AllocationLine {
        declaration: line.declaration.to_string(),
        contributor: line.contributor.to_string(),
        commons: line.commons.to_string(),
        category: line.category.to_string(),
        quantity: line.quantity.format(),
        weight: line.weight.format(),
        amount: format_minor(i128::from(line.amount), scale),
    }
}

/// A distribution as sent; `seq` is the entry that answered a proposal or approval (0 in reads).
pub fn distribution_message(
    record: &DistributionRecord,
    scale: Scale,
    quorum: Quorum,
    seq: u64,
) -> proto::Distribution {
    let text = |minor: i64| format_minor(i128::from(minor), scale);
    let named = |totals: Vec<(String, i64)>| {
        totals.into_iter().map(|(name, amount)| proto::NamedTotal { name, amount: text(amount) }).collect()
    };
    let totals = record.totals();
    proto::Distribution {
        id: record.id.to_string(),
        unit: record.unit.to_string(),
        period: record.period.to_string(),
        rule: record.rule.to_string(),
        rule_version: record.rule_version,
        status: record.status.as_str().to_owned(),
        proposer: record.proposer.to_string(),
        approvals: record.approvals.iter().map(ToString::to_string).collect(),
        quorum: quorum.approvals(),
        fund_balance: text(record.pool.fund_balance),
        reserve: text(record.pool.reserve),
        pool: text(record.pool.amount),
        distributed: text(record.distributed),
        kept_in_fund: text(record.pool.amount - record.distributed),
        lines: record.lines.iter().map(|line| line_message(line, scale)).collect(),
        by_contributor: named(totals.by_contributor.iter().map(|(name, amount)| (name.to_string(), *amount)).collect()),
        by_commons: named(totals.by_commons.iter().map(|(name, amount)| (name.to_string(), *amount)).collect()),
        by_category: named(totals.by_category.iter().map(|(name, amount)| (name.to_string(), *amount)).collect()),
        seq,
    }
}
