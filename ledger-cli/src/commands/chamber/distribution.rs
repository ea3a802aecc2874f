//! `ledgerctl chamber distribute --period P --unit CODE --dry-run`: a period's distribution of
//! one unit's commons fund as the adopted rule in force would make it, every line and total,
//! changing nothing. Executing a distribution (a proposal the quorum approves) is not available
//! yet, so without `--dry-run` the verb is a usage error.

use clap::Args;
use ledger_core::chamber::Period;
use ledger_core::names::UnitCode;
use serde::Serialize;

use super::super::Context;
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
}

/// One allocation line as printed.
#[derive(Debug, Serialize)]
pub struct LineView {
    declaration: String,
    contributor: String,
    commons: String,
    category: String,
    quantity: String,
    weight: String,
    amount: String,
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
}

fn totals(totals: Vec<proto::NamedTotal>) -> Vec<TotalView> {
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
            lines: p
                .lines
                .into_iter()
                .map(|l| LineView {
                    declaration: l.declaration,
                    contributor: l.contributor,
                    commons: l.commons,
                    category: l.category,
                    quantity: l.quantity,
                    weight: l.weight,
                    amount: l.amount,
                })
                .collect(),
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
        }
    }
}

impl Render for PlanView {
    fn table(&self) -> String {
        let mut lines = Table::new(&[
            ("CONTRIBUTOR", Align::Left),
            ("COMMONS", Align::Left),
            ("CATEGORY", Align::Left),
            ("QUANTITY", Align::Right),
            ("WEIGHT", Align::Right),
            ("AMOUNT", Align::Right),
            ("DECLARATION", Align::Left),
        ]);
        for l in &self.lines {
            lines.row(vec![
                l.contributor.clone(),
                l.commons.clone(),
                l.category.clone(),
                l.quantity.clone(),
                l.weight.clone(),
                l.amount.clone(),
                l.declaration.clone(),
            ]);
        }
        let mut contributors = Table::new(&[
            ("CONTRIBUTOR", Align::Left),
            ("SHARE", Align::Right),
            ("WITHHELD", Align::Right),
            ("AMOUNT", Align::Right),
        ]);
        for c in &self.contributors {
            contributors.row(vec![c.contributor.clone(), c.share.clone(), c.withheld.total.clone(), c.amount.clone()]);
        }
        let named = |totals: &[TotalView]| {
            totals.iter().map(|t| format!("{} {}", t.name, t.amount)).collect::<Vec<_>>().join(", ")
        };
        let w = &self.withheld;
        let mut out = vec![
            format!("DRY RUN: nothing was written. {} fund, period {}", self.unit, self.period),
            format!("rule      {} (version {})", self.rule, self.rule_version),
            format!(
                "fund      {} (reserve {}); pool {} = {} by share + {} fixed",
                self.fund_balance, self.reserve, self.pool, self.pool_by_share, self.pool_fixed
            ),
            lines.render(),
            contributors.render(),
            format!("by commons    {}", named(&self.by_commons)),
            format!("by category   {}", named(&self.by_category)),
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
    if !args.dry_run {
        return Err(CliError::Usage(
            "executing a distribution is not available yet: add --dry-run to see what it would be".into(),
        ));
    }
    let client = ctx.connect().await?;
    let request = proto::PlanDistributionRequest { unit: args.unit.to_string(), period: args.period.to_string() };
    let plan = client.chamber().plan_distribution(request).await?.into_inner();
    ctx.emit(&PlanView::from(plan))
}
