//! The chamber of the commons: the commons registry, businesses' contributions to the commons
//! fund, declared work, remuneration rules, and the allocation of a period's pool among the
//! validated work. Pure values and functions; the commands that change them come on top.
//!
//! Periods, quantities, weights, rates, commons, agreements and rules each have a canonical
//! encoding (`encode`/`decode`, see `crate::canonical`), so the commands built on them sign every
//! field; decoding checks the value like its constructor does.
//!
//! Money is integer minor units throughout (`i128` for intermediate products), quantities and
//! weights exact thousandths, rates basis points: nothing is ever a float.
//!
//! # Layout
//!
//! - [`period`]: `Period`, the calendar month `YYYY-MM` everything is counted in.
//! - [`quantity`]: `Quantity` of work, exact thousandths.
//! - [`weight`]: `Weight` of a category of work, exact thousandths.
//! - [`basis_points`]: `BasisPoints`, the rates of levies, pool and reserve shares.
//! - [`names`]: commons names and kinds, categories, descriptions and notes.
//! - [`commons`]: `Commons` in the registry and their `Stewards`.
//! - [`agreement`]: a business's `Agreement`: levy and recurring contribution.
//! - [`levy`](mod@levy): the levy on a payment a business receives, and how it is rounded.
//! - [`contribution`]: ids of levy and contribution transfers, and a collect's report.
//! - [`declaration`]: `Declaration` of work and its status.
//! - [`decision`]: a steward's decision on a declaration and its derived request id.
//! - [`rule`]: `RuleTerms`, the validated `Rule`, and which version is in force for a period.
//! - [`rule_encoding`]: a rule's canonical bytes, for signed commands.
//! - [`rule_book`]: proposed and adopted rules, their approvals, versions and the quorum.
//! - `codec`: canonical encoding helpers the values above share.
//! - `rounding`: exact proportional shares by largest remainder, with or without caps.
//! - [`allocate`](mod@allocate): the allocation method and its guarantees.
//! - [`allocation`]: what an allocation reports: lines, skipped declarations, withheld, totals.
//! - [`plan`](mod@plan): a period's distribution planned from the ledger: rule in force, accounts' room.
//! - [`distribution`]: a distribution proposed and executed, the digest a treasurer signs, totals.

pub mod agreement;
pub mod allocate;
pub mod allocation;
pub mod basis_points;
mod codec;
pub mod commons;
pub mod contribution;
pub mod decision;
pub mod declaration;
pub mod distribution;
pub mod levy;
pub mod names;
pub mod period;
pub mod plan;
pub mod quantity;
mod rounding;
pub mod rule;
pub mod rule_book;
pub mod rule_encoding;
pub mod weight;

pub use agreement::{Agreement, AgreementError};
pub use allocate::{AllocationError, AllocationInput, DECLARATIONS_MAX, allocate};
pub use allocation::{Allocation, AllocationLine, ContributorTotal, Pool, SkipReason, Skipped, Withheld};
pub use basis_points::{BasisPoints, RateError};
pub use commons::{Commons, Stewards, StewardsError};
pub use contribution::{COLLECT_BUSINESSES_MAX, CollectLine, CollectOutcome, collection_id, levy_id, levy_reversal_id};
pub use decision::{Decision, decision_id};
pub use declaration::{Declaration, DeclarationStatus};
pub use distribution::{
    DistributionRecord, DistributionStatus, DistributionTotals, digest_of_lines, distribution_transfer_id, lines_digest,
};
pub use levy::levy;
pub use names::{Category, CommonsKind, CommonsName, Description, Note, RulesOfUse, SlugError};
pub use period::{Period, PeriodError};
pub use plan::{Plan, PlanError, PlanInput, plan};
pub use quantity::{Quantity, QuantityError};
pub use rule::{CATEGORIES_MAX, Rule, RuleError, RuleTerms, rule_in_force};
pub use rule_book::{Quorum, QuorumError, RuleBook, RuleRecord, RuleStatus, adopted_in_order};
pub use rule_encoding::RULE_DOMAIN;
pub use weight::{Weight, WeightError};
