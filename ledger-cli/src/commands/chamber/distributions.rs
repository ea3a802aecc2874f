//! `ledgerctl chamber distribution approve ID` (a treasurer's approval; the one that reaches the
//! quorum executes the distribution) and `chamber distribution show ID` (its lines and totals
//! per contributor, commons and category), and how a distribution is printed.

use clap::{Args, Subcommand};
use ledger_core::command::Command;
use ledger_core::names::{DistributionId, RequestId};
use serde::Serialize;

use super::distribution::{LineView, TotalView, lines_table, named_totals, totals};
use crate::commands::{Context, fresh_request_id, parse};
use crate::error::CliError;
use crate::output::Render;
use crate::proto;

/// `chamber distribution`.
#[derive(Debug, Subcommand)]
pub enum DistributionCommand {
    /// Approves a proposed distribution (treasurer); the approval reaching the quorum executes it.
    Approve(ApproveDistributionArgs),
    /// A distribution: status, approvals, every line, totals per contributor, commons, category.
    Show(ShowDistributionArgs),
}

/// `chamber distribution approve`.
#[derive(Debug, Args)]
pub struct ApproveDistributionArgs {
    /// The distribution's id, as `chamber distribute` printed it.
    #[arg(value_parser = distribution_id)]
    distribution: DistributionId,
    /// The approval's request id (a UUID); sending it again returns the first result.
    #[arg(long, value_name = "UUID", value_parser = parse::request_id)]
    id: Option<RequestId>,
}

/// `chamber distribution show`.
#[derive(Debug, Args)]
pub struct ShowDistributionArgs {
    /// The distribution's id.
    #[arg(value_parser = distribution_id)]
    distribution: DistributionId,
}

fn distribution_id(text: &str) -> Result<DistributionId, String> {
    DistributionId::parse(text.strip_prefix("distributions/").unwrap_or(text)).map_err(|error| error.to_string())
}

/// A distribution as printed.
#[derive(Debug, Serialize)]
pub struct DistributionView {
    id: String,
    unit: String,
    period: String,
    rule: String,
    rule_version: u32,
    status: String,
    proposer: String,
    approvals: Vec<String>,
    quorum: u32,
    fund_balance: String,
    reserve: String,
    pool: String,
    distributed: String,
    kept_in_fund: String,
    lines: Vec<LineView>,
    by_contributor: Vec<TotalView>,
    by_commons: Vec<TotalView>,
    by_category: Vec<TotalView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
}

impl From<proto::Distribution> for DistributionView {
    fn from(d: proto::Distribution) -> Self {
        Self {
            id: d.id,
            unit: d.unit,
            period: d.period,
            rule: d.rule,
            rule_version: d.rule_version,
            status: d.status,
            proposer: d.proposer,
            approvals: d.approvals,
            quorum: d.quorum,
            fund_balance: d.fund_balance,
            reserve: d.reserve,
            pool: d.pool,
            distributed: d.distributed,
            kept_in_fund: d.kept_in_fund,
            lines: d.lines.into_iter().map(LineView::from).collect(),
            by_contributor: totals(d.by_contributor),
            by_commons: totals(d.by_commons),
            by_category: totals(d.by_category),
            seq: (d.seq > 0).then_some(d.seq),
        }
    }
}

impl Render for DistributionView {
    fn table(&self) -> String {
        let mut out = vec![
            format!("distribution {} of the {} fund, period {}: {}", self.id, self.unit, self.period, self.status),
            format!(
                "approvals     {}/{} ({}), proposed by {}",
                self.approvals.len(),
                self.quorum,
                self.approvals.join(", "),
                self.proposer
            ),
            format!("rule          {} (version {})", self.rule, self.rule_version),
            format!("fund          {} (reserve {}); pool {}", self.fund_balance, self.reserve, self.pool),
            lines_table(&self.lines),
            format!("by contributor {}", named_totals(&self.by_contributor)),
            format!("by commons    {}", named_totals(&self.by_commons)),
            format!("by category   {}", named_totals(&self.by_category)),
            format!("distributed   {}; kept in the fund {}", self.distributed, self.kept_in_fund),
        ];
        if self.status == "proposed" {
            out.push(format!(
                "nothing has moved yet: {} more approval(s) execute it",
                self.quorum as usize - self.approvals.len().min(self.quorum as usize)
            ));
        }
        out.join("\n")
    }
}

/// Runs a `chamber distribution` verb.
pub async fn run(command: DistributionCommand, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let distribution = match command {
        DistributionCommand::Approve(args) => {
            let command = Command::ApproveDistribution { distribution: args.distribution };
            let signed = client.sign(args.id.unwrap_or_else(fresh_request_id), command);
            let request = proto::ApproveDistributionRequest {
                request_id: signed.request_id,
                distribution: args.distribution.to_string(),
                signatures: signed.signatures,
            };
            client.chamber_commands().approve_distribution(request).await?.into_inner()
        }
        DistributionCommand::Show(args) => {
            let request = proto::GetDistributionRequest { name: args.distribution.to_string() };
            client.chamber().get_distribution(request).await?.into_inner()
        }
    };
    ctx.emit(&DistributionView::from(distribution))
}
