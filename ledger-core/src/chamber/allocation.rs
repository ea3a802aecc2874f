//! What a distribution allocates: every line, every skipped declaration, what the caps withheld,
//! and the totals. Produced by [`super::allocate()`]; a dry run shows it, an executed distribution
//! posts it.

use std::collections::BTreeMap;

use crate::names::{DeclarationId, Handle};

use super::names::{Category, CommonsName};
use super::period::Period;
use super::quantity::Quantity;
use super::weight::Weight;

/// How the period's pool was taken from the fund, in minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool {
    /// The fund's balance before the distribution.
    pub fund_balance: i64,
    /// Kept in the fund whatever happens: the reserve share of the balance, rounded up.
    pub reserve: i64,
    /// The pool share of the balance, rounded down.
    pub by_share: i64,
    /// The rule's fixed amount, or zero.
    pub fixed: i64,
    /// What is shared: `by_share + fixed`, but never more than `fund_balance − reserve`.
    pub amount: i64,
}

/// One validated declaration's payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllocationLine {
    /// The declaration paid; it is settled by this distribution, whatever the amount.
    pub declaration: DeclarationId,
    /// Whose account receives the amount.
    pub contributor: Handle,
    /// The commons the work was for.
    pub commons: CommonsName,
    /// The category of work.
    pub category: Category,
    /// The declared quantity.
    pub quantity: Quantity,
    /// The category's weight under the rule.
    pub weight: Weight,
    /// What it receives, in minor units: possibly zero (caps, minimum payout).
    pub amount: i64,
}

/// Why a declaration earns nothing in this distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    /// No steward has looked at it yet; a later distribution of its period may pay it.
    Pending,
    /// A steward refused it.
    Refused,
    /// It belongs to another period's distribution.
    OtherPeriod,
    /// An earlier distribution already settled it.
    AlreadyPaid,
    /// The rule in force gives its category no weight.
    UnweightedCategory,
    /// Validated, but its contributor's account is frozen or closed and can receive nothing: it
    /// stays unpaid, for a later distribution of its period once the account is active again.
    ContributorInactive,
}

impl SkipReason {
    /// Lowercase name, for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Pending => "pending",
            SkipReason::Refused => "refused",
            SkipReason::OtherPeriod => "other-period",
            SkipReason::AlreadyPaid => "already-paid",
            SkipReason::UnweightedCategory => "unweighted-category",
            SkipReason::ContributorInactive => "contributor-inactive",
        }
    }
}

/// A declaration left out, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The declaration.
    pub declaration: DeclarationId,
    /// Why it earns nothing here.
    pub reason: SkipReason,
}

/// Minor units of shares that stayed in the fund, by the limit that kept them there. Limits are
/// applied in the order of the fields, and each withholds only what is still above it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Withheld {
    /// Above the cap per unit of work of the contributor's declarations.
    pub cap_per_unit: i64,
    /// Above the cap per contributor.
    pub cap_per_contributor: i64,
    /// Above what the contributor's account may still receive before its ceiling.
    pub account_ceiling: i64,
    /// Payouts below the minimum payout, withheld whole.
    pub minimum_payout: i64,
}

impl Withheld {
    /// Everything withheld.
    pub fn total(&self) -> i64 {
        self.cap_per_unit + self.cap_per_contributor + self.account_ceiling + self.minimum_payout
    }

    pub(super) fn add(&mut self, other: &Withheld) {
        self.cap_per_unit += other.cap_per_unit;
        self.cap_per_contributor += other.cap_per_contributor;
        self.account_ceiling += other.account_ceiling;
        self.minimum_payout += other.minimum_payout;
    }
}

/// One contributor's part, in minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContributorTotal {
    /// The contributor's share of the pool by points, before any limit.
    pub share: i64,
    /// What the contributor receives: `share − withheld.total()`.
    pub amount: i64,
    /// What the limits kept in the fund.
    pub withheld: Withheld,
}

/// One period's allocation from the commons fund.
///
/// Invariants, asserted when it is built: the lines sum to `distributed`; `distributed +
/// withheld.total() + unallocated == pool.amount`; the totals per contributor, commons and
/// category each sum to `distributed`; `fund_after = pool.fund_balance − distributed ≥
/// pool.reserve ≥ 0`. The fields are public for reading; to check an allocation someone hands
/// over, compute it again from the same inputs: [`super::allocate()`] is deterministic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocation {
    /// The period distributed.
    pub period: Period,
    /// How the pool was taken from the fund.
    pub pool: Pool,
    /// One line per eligible declaration, in declaration id order.
    pub lines: Vec<AllocationLine>,
    /// The declarations left out, in declaration id order.
    pub skipped: Vec<Skipped>,
    /// Per contributor, in handle order.
    pub by_contributor: BTreeMap<Handle, ContributorTotal>,
    /// Paid per commons.
    pub by_commons: BTreeMap<CommonsName, i64>,
    /// Paid per category.
    pub by_category: BTreeMap<Category, i64>,
    /// What the distribution moves from the fund: the sum of the lines.
    pub distributed: i64,
    /// What the limits kept in the fund, by limit.
    pub withheld: Withheld,
    /// The pool when no declaration is eligible: nobody's work to share it among.
    pub unallocated: i64,
    /// The fund's balance after the distribution.
    pub fund_after: i64,
}
