//! The rule book: proposed and adopted remuneration rules, and the quorum of treasurers that
//! adopts them. The commands that fill it are applied in `crate::state::rules`.
//!
//! A treasurer proposes a rule (their signature is its first approval); other treasurers approve
//! it, each once. The rule is **adopted** by the approval (or the proposal) that brings its
//! approvals to the quorum in force at that moment, and takes the next **version** (1, 2, ...:
//! the order of adoption, which [`super::rule_in_force`] needs). A rule is for one unit's fund:
//! its amounts are that unit's minor units, and only that fund's distributions read it. A rule is never edited: a
//! correction is a new rule. A rule still proposed has no effect at all.
//!
//! The quorum is ledger configuration in the journal (`SetQuorum`, admin), so an auditor who
//! replays the journal checks every adoption. Until it is set it is 1, and a treasurer's proposal
//! is adopted at once. Changing it judges later approvals only: a rule whose approvals already
//! reach a lowered quorum is adopted by no one until a further approval (or a new proposal).

use std::collections::BTreeSet;
use std::fmt;

use crate::canonical::{DecodeError, Decoder, Encoder};
use crate::names::{Handle, RuleId, UnitCode};

use super::rule::Rule;

/// Why a quorum was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a quorum is 1 to {max} treasurers' approvals, not {0}", max = Quorum::MAX)]
pub struct QuorumError(pub u32);

/// How many distinct treasurers' approvals adopt a rule: 1..=[`Quorum::MAX`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quorum(u32);

impl Quorum {
    /// The most approvals a quorum may ask for: it also bounds the approvals a rule collects.
    pub const MAX: u32 = 16;
    /// The quorum until one is set: a treasurer's proposal is adopted at once.
    pub const DEFAULT: Quorum = Quorum(1);

    /// `approvals`, if within 1..=[`Quorum::MAX`].
    pub fn new(approvals: u32) -> Result<Self, QuorumError> {
        if (1..=Self::MAX).contains(&approvals) { Ok(Self(approvals)) } else { Err(QuorumError(approvals)) }
    }

    /// The number of approvals.
    pub fn approvals(self) -> u32 {
        self.0
    }

    /// Appends the canonical encoding: a `u32`.
    pub fn encode(self, out: &mut Encoder) {
        out.u32(self.0);
    }

    /// Reads what [`Quorum::encode`] wrote, checking the bound.
    pub fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Self::new(d.u32()?).map_err(|error| DecodeError(error.to_string()))
    }
}

impl Default for Quorum {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for Quorum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The rule book's settings: what every proposal and approval reads. A writer holding part of
/// the ledger loads them whenever [`crate::command::References::rule_book`] asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RuleBook {
    /// The approvals that adopt a rule now.
    pub quorum: Quorum,
    /// How many rules have been adopted: the last version given.
    pub adopted: u32,
}

/// Where a rule stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleStatus {
    /// Awaiting approvals: no effect.
    Proposed,
    /// Approved by a quorum: in force from its period, unless a later version replaces it.
    Adopted,
}

impl RuleStatus {
    /// Lowercase name, as in the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Proposed => "proposed",
            RuleStatus::Adopted => "adopted",
        }
    }
}

/// One proposed rule, its approvals and, once adopted, its version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleRecord {
    /// The request id of the proposal.
    pub id: RuleId,
    /// The unit whose commons fund it distributes; its amounts are in that unit's minor units.
    pub unit: UnitCode,
    /// The terms, never edited.
    pub rule: Rule,
    /// The treasurer who proposed it (also its first approval).
    pub proposer: Handle,
    /// The treasurers who approved it, the proposer included: at most [`Quorum::MAX`], since a
    /// rule takes no approval once adopted.
    pub approvals: BTreeSet<Handle>,
    /// The order of adoption (1 for the first rule adopted), once adopted.
    pub version: Option<u32>,
}

impl RuleRecord {
    /// Where it stands.
    pub fn status(&self) -> RuleStatus {
        if self.version.is_some() { RuleStatus::Adopted } else { RuleStatus::Proposed }
    }
}

/// The adopted rules among `records`, in adoption order: what [`super::rule_in_force`] reads.
pub fn adopted_in_order<'a>(records: impl IntoIterator<Item = &'a RuleRecord>) -> Vec<Rule> {
    let mut adopted: Vec<(u32, &Rule)> =
        records.into_iter().filter_map(|record| record.version.map(|version| (version, &record.rule))).collect();
    adopted.sort_by_key(|(version, _)| *version);
    adopted.into_iter().map(|(_, rule)| rule.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quorum_is_bounded_and_round_trips() {
        assert_eq!(Quorum::new(0), Err(QuorumError(0)));
        assert_eq!(Quorum::new(Quorum::MAX + 1), Err(QuorumError(17)));
        let quorum = Quorum::new(3).unwrap();
        let mut out = Encoder::with_domain(b"t\0");
        quorum.encode(&mut out);
        let bytes = out.finish();
        let mut d = Decoder::with_domain(&bytes, b"t\0").unwrap();
        assert_eq!(Quorum::decode(&mut d), Ok(quorum));
        let mut out = Encoder::with_domain(b"t\0");
        out.u32(0);
        let bytes = out.finish();
        let mut d = Decoder::with_domain(&bytes, b"t\0").unwrap();
        assert!(Quorum::decode(&mut d).is_err());
        assert_eq!(Quorum::default().approvals(), 1);
    }
}
