//! Step 9: the period's distribution of the fund to the validated work, by the rule in force.
//!
//! The server plans it (`Chamber.PlanDistribution`, what `chamber distribute --dry-run` prints)
//! and the demo prints every line and the totals; then the treasurer proposes exactly that plan,
//! as `chamber distribute` does. With the quorum of 1 a fresh ledger has, the proposal executes
//! at once and the fund pays the contributors in one entry; with a larger quorum it waits for
//! other treasurers (`chamber distribution approve`).

use serde::Serialize;

use super::Demo;
use super::work::RuleReport;
use crate::commands::chamber::distribution::{LineView, propose};
use crate::commands::fresh_request_id;
use crate::error::CliError;
use crate::proto;
use crate::table::{Align, Table};

/// A contributor's total in the plan.
#[derive(Debug, Serialize)]
pub struct ContributorLine {
    contributor: String,
    amount: String,
}

/// A declaration the plan leaves out, and why (refused, pending...).
#[derive(Debug, Serialize)]
pub struct SkippedLine {
    declaration: String,
    reason: String,
}

/// The period's plan, as the server computed it.
#[derive(Debug, Serialize)]
pub struct PlanReport {
    rule: String,
    rule_version: u32,
    fund_balance: String,
    reserve: String,
    pool: String,
    /// In declaration id order.
    lines: Vec<LineView>,
    /// In handle order.
    contributors: Vec<ContributorLine>,
    skipped: Vec<SkippedLine>,
    distributed: String,
    /// What the rule's caps and minimum kept in the fund.
    withheld: String,
    unallocated: String,
    fund_after: String,
}

/// The proposed distribution: executed, or waiting for approvals.
#[derive(Debug, Serialize)]
pub struct ProposalReport {
    id: String,
    /// `executed` or `proposed`.
    status: String,
    approvals: usize,
    quorum: u32,
    distributed: String,
}

/// Step 9's report.
#[derive(Debug, Serialize)]
pub struct DistributionReport {
    /// The plan; none while the rule awaits approvals.
    plan: Option<PlanReport>,
    /// The distribution proposed from the plan; none without a plan or without a line to pay.
    distribution: Option<ProposalReport>,
}

impl DistributionReport {
    /// The id of the distribution proposed, if one was.
    pub fn id(&self) -> Option<&str> {
        self.distribution.as_ref().map(|distribution| distribution.id.as_str())
    }
}

/// Step 9: plans the period's distribution, prints it, and proposes it.
pub async fn distribute(demo: &Demo, rule: &RuleReport) -> Result<DistributionReport, CliError> {
    if rule.status != "adopted" {
        demo.say(&format!(
            "9. distribution for {}: not planned, since rule {} is not adopted yet",
            demo.period, rule.id
        ))?;
        return Ok(DistributionReport { plan: None, distribution: None });
    }
    let request = proto::PlanDistributionRequest { unit: demo.unit.to_string(), period: demo.period.to_string() };
    let planned = demo.admin.chamber().plan_distribution(request).await?.into_inner();
    let plan = plan_report(planned.clone());
    demo.say(&format!(
        "9. distribution for {}, as planned: fund {}, reserve {}, pool {}; {} to {} contributors, \
         withheld {}, unallocated {}, fund after {}",
        demo.period,
        plan.fund_balance,
        plan.reserve,
        plan.pool,
        plan.distributed,
        plan.contributors.len(),
        plan.withheld,
        plan.unallocated,
        plan.fund_after
    ))?;
    demo.say(&lines_table(&plan))?;
    if plan.lines.is_empty() {
        return Ok(DistributionReport { plan: Some(plan), distribution: None });
    }
    let proposed = propose(&demo.admin, &planned, &demo.unit, demo.period, fresh_request_id()).await?;
    let distribution = ProposalReport {
        id: proposed.id,
        status: proposed.status,
        approvals: proposed.approvals.len(),
        quorum: proposed.quorum,
        distributed: proposed.distributed,
    };
    demo.say(&match distribution.status.as_str() {
        "executed" => format!(
            "   distribution {} executed: {} paid from the fund to the contributors, in one entry",
            distribution.id, distribution.distributed
        ),
        _ => format!(
            "   distribution {} proposed ({}/{} approvals): other treasurers approve it with \
             `chamber distribution approve {}`",
            distribution.id, distribution.approvals, distribution.quorum, distribution.id
        ),
    })?;
    Ok(DistributionReport { plan: Some(plan), distribution: Some(distribution) })
}

/// The server's plan as the report holds it.
fn plan_report(plan: proto::DistributionPlan) -> PlanReport {
    PlanReport {
        rule: plan.rule,
        rule_version: plan.rule_version,
        fund_balance: plan.fund_balance,
        reserve: plan.reserve,
        pool: plan.pool,
        lines: plan.lines.into_iter().map(LineView::from).collect(),
        contributors: plan
            .contributors
            .into_iter()
            .map(|c| ContributorLine { contributor: c.contributor, amount: c.amount })
            .collect(),
        skipped: plan
            .skipped
            .into_iter()
            .map(|s| SkippedLine { declaration: s.declaration, reason: s.reason })
            .collect(),
        distributed: plan.distributed,
        withheld: plan.withheld.unwrap_or_default().total,
        unallocated: plan.unallocated,
        fund_after: plan.fund_after,
    }
}

/// The plan's lines, indented under the step's line.
fn lines_table(plan: &PlanReport) -> String {
    let mut table = Table::new(&[
        ("CONTRIBUTOR", Align::Left),
        ("COMMONS", Align::Left),
        ("CATEGORY", Align::Left),
        ("HOURS", Align::Right),
        ("WEIGHT", Align::Right),
        ("AMOUNT", Align::Right),
    ]);
    for line in &plan.lines {
        table.row(vec![
            line.contributor.clone(),
            line.commons.clone(),
            line.category.clone(),
            line.quantity.clone(),
            line.weight.clone(),
            line.amount.clone(),
        ]);
    }
    table.render().lines().map(|line| format!("   {line}")).collect::<Vec<_>>().join("\n")
}
