//! Tests of the chamber's allocation: hand-made examples with known answers, and properties that
//! must hold for every fund, rule and set of declarations.
//!
//! # Layout
//!
//! - `support`: builders for declarations and rules, and strategies for random allocations.
//! - `examples`: known answers (thirds of a pool, each limit withholding, each skip reason).
//! - `exact`: the pool is taken and shared exactly, by largest remainder, to the last minor unit.
//! - `limits`: no cap, ceiling or minimum payout is ever broken; the fund keeps its reserve.
//! - `once`: a declaration is paid at most once, across distributions too.
//! - `monotone`: more validated work never earns its contributor less, all else equal.
//! - `determinism`: the same inputs in any order give the same allocation.
//! - `registry`: the commons registry and declarations as commands: who may do what, once.
//! - `rules`: the rule book as commands: quorum, proposals, approvals, adoption and versions.
//! - `plan`: a period's distribution planned from accounts, adopted rules and declarations.
//! - `distributions`: proposals and approvals as commands; the executed distribution is the plan.
//! - `values`: periods, quantities, weights and rates read back what they write; levies round down.

#[path = "chamber/determinism.rs"]
mod determinism;
#[path = "chamber/distributions.rs"]
mod distributions;
#[path = "chamber/exact.rs"]
mod exact;
#[path = "chamber/examples.rs"]
mod examples;
#[path = "chamber/limits.rs"]
mod limits;
#[path = "chamber/monotone.rs"]
mod monotone;
#[path = "chamber/once.rs"]
mod once;
#[path = "chamber/plan.rs"]
mod plan;
#[path = "chamber/registry.rs"]
mod registry;
#[path = "chamber/rules.rs"]
mod rules;
#[path = "chamber/support.rs"]
mod support;
#[path = "chamber/values.rs"]
mod values;
