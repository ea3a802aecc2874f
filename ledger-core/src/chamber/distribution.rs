//! Distributions: a period's allocation of one unit's commons fund, proposed by a treasurer and
//! executed, as one entry, by the approval that reaches the quorum. The commands are applied in
//! `crate::state::distributions`.
//!
//! A treasurer reviews a plan (a dry run) and signs its rule, the amount it distributes and the
//! [`lines_digest`] of its lines, never the lines themselves: the ledger plans the same period
//! again from its own state when the proposal is applied and refuses it unless it is exactly what
//! was reviewed. So the journal alone re-computes every distribution, and a proposal stays small
//! however many declarations it pays. The proposal keeps the planned lines; the approval that
//! reaches the quorum (the rule book's, the same as for rules; with a quorum of 1 the proposal
//! itself) moves them from the fund, unchanged, after checking again that every declaration is
//! still unpaid and that every account can take its amount. Each contributor receives one
//! transfer of kind `distribution` ([`distribution_transfer_id`]); every line's declaration is
//! marked paid by the distribution, even a line of zero.

use std::collections::{BTreeMap, BTreeSet};

use crate::canonical::Encoder;
use crate::names::{DeclarationId, DistributionId, Handle, RequestId, RuleId, UnitCode};

use super::allocation::{AllocationLine, Pool};
use super::names::{Category, CommonsName};
use super::period::Period;

/// The domain of [`lines_digest`].
pub const LINES_DIGEST_DOMAIN: &[u8] = b"commons-ledger/distribution-lines/v1\0";

/// SHA-256 over a plan's lines as a treasurer signs them: for each line, in declaration id
/// order, the declaration's 16 id bytes, the contributor's handle and the amount in minor units
/// (encoded as in `crate::canonical`). Quantities, weights and commons follow from the
/// declarations, which the journal holds.
pub fn lines_digest(lines: &[AllocationLine]) -> [u8; 32] {
    digest_of_lines(lines.iter().map(|line| (line.declaration, &line.contributor, line.amount)))
}

/// [`lines_digest`] of lines given as (declaration, contributor, amount in minor units), for a
/// client that holds only what a plan printed.
pub fn digest_of_lines<'a>(lines: impl IntoIterator<Item = (DeclarationId, &'a Handle, i64)>) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut out = Encoder::with_domain(LINES_DIGEST_DOMAIN);
    for (declaration, contributor, amount) in lines {
        out.fixed(declaration.as_bytes()).text(contributor.as_str()).i64(amount);
    }
    Sha256::digest(out.finish()).into()
}

/// The id of the transfer paying `contributor` their part of `distribution`.
pub fn distribution_transfer_id(distribution: DistributionId, contributor: &Handle) -> RequestId {
    RequestId::derived(
        b"commons-ledger/distribution-transfer/v1\0",
        &[distribution.as_bytes(), contributor.as_str().as_bytes()],
    )
}

/// Where a distribution stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DistributionStatus {
    /// Awaiting approvals: nothing has moved.
    Proposed,
    /// Its lines moved from the fund in the entry that reached the quorum.
    Executed,
}

impl DistributionStatus {
    /// Every status.
    pub const ALL: [DistributionStatus; 2] = [DistributionStatus::Proposed, DistributionStatus::Executed];

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            DistributionStatus::Proposed => "proposed",
            DistributionStatus::Executed => "executed",
        }
    }

    /// From the lowercase name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// A distribution proposed or executed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistributionRecord {
    /// The proposal's request id.
    pub id: DistributionId,
    /// Whose fund it distributes.
    pub unit: UnitCode,
    /// The period it pays.
    pub period: Period,
    /// The rule in force for the period when it was proposed.
    pub rule: RuleId,
    /// That rule's version.
    pub rule_version: u32,
    /// How the pool was taken from the fund, as planned.
    pub pool: Pool,
    /// The planned lines, in declaration id order; their amounts sum to `distributed`.
    pub lines: Vec<AllocationLine>,
    /// What it moves from the fund.
    pub distributed: i64,
    /// The treasurer who proposed it (their signature is its first approval).
    pub proposer: Handle,
    /// The treasurers who approved it, the proposer among them.
    pub approvals: BTreeSet<Handle>,
    /// Where it stands.
    pub status: DistributionStatus,
}

/// A distribution's amounts, summed three ways, in minor units.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DistributionTotals {
    /// Per contributor.
    pub by_contributor: BTreeMap<Handle, i64>,
    /// Per commons.
    pub by_commons: BTreeMap<CommonsName, i64>,
    /// Per category of work.
    pub by_category: BTreeMap<Category, i64>,
}

impl DistributionRecord {
    /// What each contributor, commons and category receives; each map sums to `distributed`.
    pub fn totals(&self) -> DistributionTotals {
        let mut totals = DistributionTotals::default();
        for line in &self.lines {
            *totals.by_contributor.entry(line.contributor.clone()).or_default() += line.amount;
            *totals.by_commons.entry(line.commons.clone()).or_default() += line.amount;
            *totals.by_category.entry(line.category.clone()).or_default() += line.amount;
        }
        totals
    }

    /// What moves to each contributor with something to receive, in handle order.
    pub fn payouts(&self) -> Vec<(Handle, i64)> {
        let mut by_contributor: BTreeMap<&Handle, i64> = BTreeMap::new();
        for line in &self.lines {
            *by_contributor.entry(&line.contributor).or_default() += line.amount;
        }
        by_contributor.into_iter().filter(|(_, amount)| *amount > 0).map(|(h, amount)| (h.clone(), amount)).collect()
    }
}
