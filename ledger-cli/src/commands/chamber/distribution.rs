//! `ledgerctl chamber distribute --period P --unit CODE [--dry-run]`: a period's distribution of
//! one unit's commons fund as the adopted rule in force would make it, every line and total.
//! With `--dry-run` that is all, and nothing changes. Otherwise the treasurer's key signs the
//! plan it just printed (its rule, the amount distributed and the digest of its lines, computed
//! here from the lines, not taken from the server) as a proposal: the ledger plans again and
//! refuses a proposal that is not exactly this plan; with a quorum of 1 it executes at once,
//! otherwise other treasurers approve it (`chamber distribution approve`).

use clap::Args;
use ledger_core::amount::{Amount, Scale, format_minor};
use ledger_core::chamber::{Period, digest_of_lines};
use ledger_core::command::Command;
use ledger_core::names::{DeclarationId, Handle, RequestId, RuleId, UnitCode};
use serde::Serialize;

use super::distributions::DistributionView;
use crate::client::Client;
use crate::commands::{Context, fetch_unit, fresh_request_id, parse};
use crate::error::CliError;
use crate::output::Render;
use crate::proto;
use crate::table::{Align, Table};

/// `chamber distribute`.
#[derive(Debug, Args)]
pub struct DistributeArgs {
    /// The month distributed, YYYY-MM.
    #[arg(long, value_parser = Period::parse)]
    period: Period,
    /// The unit whose commons fund is distributed.
    #[arg(long, value_parser = UnitCode::parse)]
    unit: UnitCode,
    /// Only show what the distribution would be; nothing is written.
    #[arg(long)]
    dry_run: bool,
    /// The distribution's id (a UUID); sending the same proposal again under it returns the first
    /// result. Default: a fresh one.
    #[arg(long, value_name = "UUID", value_parser = parse::request_id, conflicts_with = "dry_run")]
    id: Option<RequestId>,
}

/// One allocation line as printed.
#[derive(Debug, Serialize)]
pub struct LineView {
    pub(crate) declaration: String,
    pub(crate) contributor: String,
    pub(crate) commons: String,
    pub(crate) category: String,
    pub(crate) quantity: String,
    pub(crate) weight: String,
    pub(crate) amount: String,
}

/// A skipped declaration as printed.
#[derive(Debug, Serialize)]
pub struct SkippedView {
    declaration: String,
    reason: String,
}

/// What the limits kept in the fund, by limit.
#[derive(Debug, Serialize)]
pub struct WithheldView {
    cap_per_unit: String,
    cap_per_contributor: String,
    account_ceiling: String,
    minimum_payout: String,
    total: String,
}

impl From<proto::Withheld> for WithheldView {
    fn from(w: proto::Withheld) -> Self {
        Self {
            cap_per_unit: w.cap_per_unit,
            cap_per_contributor: w.cap_per_contributor,
            account_ceiling: w.account_ceiling,
            minimum_payout: w.minimum_payout,
            total: w.total,
        }
    }
}

/// One contributor's part as printed.
#[derive(Debug, Serialize)]
pub struct ContributorView {
    contributor: String,
    share: String,
    amount: String,
    withheld: WithheldView,
}

/// A total per commons or category.
#[derive(Debug, Serialize)]
pub struct TotalView {
    name: String,
    amount: String,
}

/// A planned distribution as printed.
#[derive(Debug, Serialize)]
pub struct PlanView {
    dry_run: bool,
    unit: String,
    period: String,
    rule: String,
    rule_version: u32,
    fund_balance: String,
    reserve: String,
    pool_by_share: String,
    pool_fixed: String,
    pool: String,
    lines: Vec<LineView>,
    skipped: Vec<SkippedView>,
    contributors: Vec<ContributorView>,
    by_commons: Vec<TotalView>,
    by_category: Vec<TotalView>,
    distributed: String,
    withheld: WithheldView,
    unallocated: String,
    fund_after: String,
    /// What a proposal of this plan signs: the digest of its lines.
    lines_digest: String,
}

impl From<proto::AllocationLine> for LineView {
    fn from(l: proto::AllocationLine) -> Self {
        Self {
            declaration: l.declaration,
            contributor: l.contributor,
            commons: l.commons,
            category: l.category,
            quantity: l.quantity,
            weight: l.weight,
            amount: l.amount,
        }
    }
}

/// The table of allocation lines, as a plan and a distribution print them.
pub(super) fn lines_table(lines: &[LineView]) -> String {
    let mut table = Table::new(&[
        ("CONTRIBUTOR", Align::Left),
        ("COMMONS", Align::Left),
        ("CATEGORY", Align::Left),
        ("QUANTITY", Align::Right),
        ("WEIGHT", Align::Right),
        ("AMOUNT", Align::Right),
        ("DECLARATION", Align::Left),
    ]);
    for l in lines {
        table.row(vec![
            l.contributor.clone(),
            l.commons.clone(),
            l.category.clone(),
            l.quantity.clone(),
            l.weight.clone(),
            l.amount.clone(),
            l.declaration.clone(),
        ]);
    }
    table.render()
}

/// Totals as one line: `name amount, name amount`.
pub(super) fn named_totals(totals: &[TotalView]) -> String {
    totals.iter().map(|t| format!("{} {}", t.name, t.amount)).collect::<Vec<_>>().join(", ")
}

pub(super) fn totals(totals: Vec<proto::NamedTotal>) -> Vec<TotalView> {
    totals.into_iter().map(|t| TotalView { name: t.name, amount: t.amount }).collect()
}

impl From<proto::DistributionPlan> for PlanView {
    fn from(p: proto::DistributionPlan) -> Self {
        Self {
            dry_run: true,
            unit: p.unit,
            period: p.period,
            rule: p.rule,
            rule_version: p.rule_version,
            fund_balance: p.fund_balance,
            reserve: p.reserve,
            pool_by_share: p.pool_by_share,
            pool_fixed: p.pool_fixed,
            pool: p.pool,
            lines: p.lines.into_iter().map(LineView::from).collect(),
            skipped: p
                .skipped
                .into_iter()
                .map(|s| SkippedView { declaration: s.declaration, reason: s.reason })
                .collect(),
            contributors: p
                .contributors
                .into_iter()
                .map(|c| ContributorView {
                    contributor: c.contributor,
                    share: c.share,
                    amount: c.amount,
                    withheld: c.withheld.unwrap_or_default().into(),
                })
                .collect(),
            by_commons: totals(p.by_commons),
            by_category: totals(p.by_category),
            distributed: p.distributed,
            withheld: p.withheld.unwrap_or_default().into(),
            unallocated: p.unallocated,
            fund_after: p.fund_after,
            lines_digest: p.lines_digest,
        }
    }
}

impl Render for PlanView {
    fn table(&self) -> String {
        let mut contributors = Table::new(&[
            ("CONTRIBUTOR", Align::Left),
            ("SHARE", Align::Right),
            ("WITHHELD", Align::Right),
            ("AMOUNT", Align::Right),
        ]);
        for c in &self.contributors {
            contributors.row(vec![c.contributor.clone(), c.share.clone(), c.withheld.total.clone(), c.amount.clone()]);
        }
        let w = &self.withheld;
        let mut out = vec![
            format!("DRY RUN: nothing was written. {} fund, period {}", self.unit, self.period),
            format!("rule      {} (version {})", self.rule, self.rule_version),
            format!(
                "fund      {} (reserve {}); pool {} = {} by share + {} fixed",
                self.fund_balance, self.reserve, self.pool, self.pool_by_share, self.pool_fixed
            ),
            lines_table(&self.lines),
            contributors.render(),
            format!("by commons    {}", named_totals(&self.by_commons)),
            format!("by category   {}", named_totals(&self.by_category)),
            format!(
                "withheld      {} (cap per unit {}, cap per contributor {}, account ceiling {}, minimum payout {})",
                w.total, w.cap_per_unit, w.cap_per_contributor, w.account_ceiling, w.minimum_payout
            ),
            format!(
                "distributed   {}; unallocated {}; fund after {}",
                self.distributed, self.unallocated, self.fund_after
            ),
        ];
        if !self.skipped.is_empty() {
            let skipped: Vec<String> =
                self.skipped.iter().map(|s| format!("{} ({})", s.declaration, s.reason)).collect();
            out.push(format!("skipped       {}", skipped.join(", ")));
        }
        out.join("\n")
    }
}

/// Runs `distribute`.
pub async fn distribute(args: DistributeArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let request = proto::PlanDistributionRequest { unit: args.unit.to_string(), period: args.period.to_string() };
    let plan = client.chamber().plan_distribution(request).await?.into_inner();
    if args.dry_run {
        return ctx.emit(&PlanView::from(plan));
    }
    let distribution =
        propose(&client, &plan, &args.unit, args.period, args.id.unwrap_or_else(fresh_request_id)).await?;
    ctx.emit(&DistributionView::from(distribution))
}

/// Signs and sends the proposal of exactly `plan` (of `unit` for `period`) under `request_id`.
pub(crate) async fn propose(
    client: &Client,
    plan: &proto::DistributionPlan,
    unit: &UnitCode,
    period: Period,
    request_id: RequestId,
) -> Result<proto::Distribution, CliError> {
    let (_, scale) = fetch_unit(client, unit).await?;
    let command = proposal(plan, unit, period, scale)?;
    let Command::ProposeDistribution { rule, distributed, lines_digest, .. } = command.clone() else {
        unreachable!("`proposal` builds a proposal")
    };
    let signed = client.sign(request_id, command);
    let request = proto::ProposeDistributionRequest {
        request_id: signed.request_id,
        unit: unit.to_string(),
        period: period.to_string(),
        rule: rule.to_string(),
        distributed: format_minor(i128::from(distributed), scale),
        lines_digest: hex::encode(lines_digest),
        signatures: signed.signatures,
    };
    Ok(client.chamber_commands().propose_distribution(request).await?.into_inner())
}

/// The proposal of exactly `plan`: its digest computed here from its lines, and checked against
/// the one the server sent, so a treasurer signs what was printed.
fn proposal(
    plan: &proto::DistributionPlan,
    unit: &UnitCode,
    period: Period,
    scale: Scale,
) -> Result<Command, CliError> {
    let bad = |what: String| CliError::Failed(format!("the server sent a bad distribution plan: {what}"));
    let lines = plan
        .lines
        .iter()
        .map(|line| {
            let declaration = DeclarationId::parse(&line.declaration).map_err(|error| bad(error.to_string()))?;
            let contributor = Handle::parse(&line.contributor).map_err(|error| bad(error.to_string()))?;
            let amount = Amount::parse(&line.amount, scale).map_err(|error| bad(error.to_string()))?;
            Ok((declaration, contributor, amount.minor()))
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let lines_digest =
        digest_of_lines(lines.iter().map(|(declaration, contributor, amount)| (*declaration, contributor, *amount)));
    if hex::encode(lines_digest) != plan.lines_digest {
        return Err(bad("its lines do not match its digest".into()));
    }
    let distributed = Amount::parse(&plan.distributed, scale).map_err(|error| bad(error.to_string()))?.minor();
    if lines.iter().map(|(_, _, amount)| amount).sum::<i64>() != distributed {
        return Err(bad("its lines do not sum to what it distributes".into()));
    }
    let rule = RuleId::parse(&plan.rule).map_err(|error| bad(error.to_string()))?;
    Ok(Command::ProposeDistribution { unit: unit.clone(), period, rule, distributed, lines_digest })
}
