//! `ledgerctl chamber ...`: the chamber of the commons. A treasurer registers commons with their
//! stewards (`commons add|list|show`); a member declares work for one (`declare`); a steward of
//! that commons validates or refuses it (`validate`, `refuse`); `declarations` lists them. A
//! treasurer sets businesses' agreements (`agreement set|show|list`) and collects their recurring
//! contributions (`collect`); a business gives one-off contributions (`contribute`). The
//! admin sets the quorum (`quorum set`); treasurers propose and approve remuneration rules
//! (`rule propose|approve|list|show`); `distribute` shows a period's distribution (`--dry-run`)
//! or proposes it; `distribution approve|show` approves (the quorum executes it) or reads one.
//!
//! # Layout
//!
//! - `commons`: the registry verbs.
//! - `declaration`: declaring, deciding and listing declarations.
//! - `agreement`: agreements with businesses.
//! - `contribute`: one-off contributions.
//! - `collect`: collecting the recurring contributions of a period.
//! - `rule`: the quorum and the rule verbs; `rule_file`: a rule's TOML file.
//! - `distribution`: the distribution's plan, printed or proposed.
//! - `distributions`: approving and showing a distribution.

mod agreement;
mod collect;
mod commons;
mod contribute;
mod declaration;
pub(crate) mod distribution;
mod distributions;
pub(crate) mod rule;
mod rule_file;

use clap::Subcommand;

use super::Context;
use crate::error::CliError;

pub use agreement::{AgreementCommand, SetAgreementArgs, ShowAgreementArgs};
pub use collect::CollectArgs;
pub use commons::{AddCommonsArgs, CommonsCommand, ShowCommonsArgs};
pub use contribute::ContributeArgs;
pub use declaration::{DecideArgs, DeclarationsArgs, DeclareArgs};
pub use distribution::DistributeArgs;
pub use distributions::{ApproveDistributionArgs, DistributionCommand, ShowDistributionArgs};
pub use rule::{ApproveArgs, ProposeArgs, QuorumCommand, RuleCommand, SetQuorumArgs, ShowRuleArgs};

/// `chamber`.
#[derive(Debug, Subcommand)]
pub enum ChamberCommand {
    /// The commons registry.
    #[command(subcommand)]
    Commons(CommonsCommand),
    /// Declares work done for a commons, signed by the contributor: a pending declaration.
    Declare(DeclareArgs),
    /// Validates a pending declaration, signed by a steward of its commons.
    Validate(DecideArgs),
    /// Refuses a pending declaration, signed by a steward of its commons.
    Refuse(DecideArgs),
    /// Lists declarations: a member its own, stewards, treasurers and auditors all.
    Declarations(DeclarationsArgs),
    /// Businesses' agreements: levy on payments received, recurring contribution.
    #[command(subcommand)]
    Agreement(AgreementCommand),
    /// A one-off contribution from a business to its unit's fund, signed by the business.
    Contribute(ContributeArgs),
    /// Collects the recurring contributions due for a period (treasurer); each at most once.
    Collect(CollectArgs),
    /// How many treasurers' approvals adopt a remuneration rule.
    #[command(subcommand)]
    Quorum(QuorumCommand),
    /// Remuneration rules: propose (from a TOML file), approve, list, show.
    #[command(subcommand)]
    Rule(RuleCommand),
    /// A period's distribution of a unit's commons fund: shown (--dry-run) or proposed.
    Distribute(DistributeArgs),
    /// A distribution: approve (treasurer) or show.
    #[command(subcommand)]
    Distribution(DistributionCommand),
}

/// Runs a `chamber` verb.
pub async fn run(command: ChamberCommand, ctx: &Context) -> Result<(), CliError> {
    match command {
        ChamberCommand::Commons(command) => commons::run(command, ctx).await,
        ChamberCommand::Declare(args) => declaration::declare(args, ctx).await,
        ChamberCommand::Validate(args) => {
            declaration::decide(args, ledger_core::chamber::Decision::Validate, ctx).await
        }
        ChamberCommand::Refuse(args) => declaration::decide(args, ledger_core::chamber::Decision::Refuse, ctx).await,
        ChamberCommand::Declarations(args) => declaration::list(args, ctx).await,
        ChamberCommand::Agreement(command) => agreement::run(command, ctx).await,
        ChamberCommand::Contribute(args) => contribute::run(args, ctx).await,
        ChamberCommand::Collect(args) => collect::run(args, ctx).await,
        ChamberCommand::Quorum(command) => rule::run_quorum(command, ctx).await,
        ChamberCommand::Rule(command) => rule::run(command, ctx).await,
        ChamberCommand::Distribute(args) => distribution::distribute(args, ctx).await,
        ChamberCommand::Distribution(command) => distributions::run(command, ctx).await,
    }
}
