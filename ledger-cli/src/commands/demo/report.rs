//! Step 10 and the whole run's report: the unit's trial balance, the commands to look around
//! with next, and the one JSON document of `--output json` with every id and figure.

use ledger_core::names::Handle;
use serde::Serialize;

use super::community::{COMMONS, MEMBERS};
use super::distribute::DistributionReport;
use super::setup::{AccountReport, CommonsReport, KeyReport, UnitReport};
use super::trade::{AgreementReport, TradeReport};
use super::work::{DeclarationReport, RuleReport};
use super::{Demo, key_file};
use crate::error::CliError;
use crate::output::Render;
use crate::proto;
use crate::table::{Align, Table};

/// One account's balance.
#[derive(Debug, Serialize)]
pub struct BalanceLine {
    account: String,
    balance: String,
}

/// The unit's trial balance.
#[derive(Debug, Serialize)]
pub struct TrialBalanceReport {
    unit: String,
    /// The sum of every balance: zero.
    total: String,
    accounts: Vec<BalanceLine>,
}

/// Everything the demo did, in step order.
#[derive(Debug, Serialize)]
pub struct DemoReport {
    pub(super) unit: UnitReport,
    pub(super) period: String,
    pub(super) keys: Vec<KeyReport>,
    pub(super) accounts: Vec<AccountReport>,
    pub(super) commons: Vec<CommonsReport>,
    pub(super) agreements: Vec<AgreementReport>,
    pub(super) trade: TradeReport,
    pub(super) declarations: Vec<DeclarationReport>,
    pub(super) rule: RuleReport,
    pub(super) distribution: DistributionReport,
    pub(super) trial_balance: TrialBalanceReport,
    /// Commands to look around with.
    pub(super) next: Vec<String>,
}

impl Render for DemoReport {
    /// The steps printed their own lines as they went; what is left is where to look next.
    fn table(&self) -> String {
        let commands: Vec<String> = self.next.iter().map(|command| format!("   {command}")).collect();
        format!("next, to look around:\n{}", commands.join("\n"))
    }
}

/// Step 10: the unit's trial balance, which sums to zero.
pub async fn trial_balance(demo: &Demo) -> Result<TrialBalanceReport, CliError> {
    let request = proto::GetTrialBalanceRequest { unit: demo.unit.to_string() };
    let trial = demo.admin.audit().get_trial_balance(request).await?.into_inner();
    let unit = trial
        .units
        .into_iter()
        .find(|u| u.unit == demo.unit.as_str())
        .ok_or_else(|| CliError::Failed(format!("the trial balance has no unit {}", demo.unit)))?;
    let report = TrialBalanceReport {
        unit: unit.unit,
        total: unit.total,
        accounts: unit.accounts.into_iter().map(|a| BalanceLine { account: a.account, balance: a.balance }).collect(),
    };
    demo.say(&format!(
        "10. trial balance of {}: {} accounts, Σ = {}",
        report.unit,
        report.accounts.len(),
        report.total
    ))?;
    let mut table = Table::new(&[("ACCOUNT", Align::Left), ("BALANCE", Align::Right)]);
    for line in &report.accounts {
        table.row(vec![line.account.clone(), line.balance.clone()]);
    }
    demo.say(&table.render().lines().map(|line| format!("   {line}")).collect::<Vec<_>>().join("\n"))?;
    Ok(report)
}

/// Commands to look around with: the distribution (or the plan), the audit, and a member's and a
/// steward's view with the key files just written.
pub fn next_steps(demo: &Demo, distribution: Option<&str>) -> Vec<String> {
    let member = MEMBERS[0].handle;
    let commons = &COMMONS[0];
    let steward = commons.stewards[0];
    let key = |handle: &str| key_file(&demo.keys, handle).display().to_string();
    let distribution = match distribution {
        Some(id) => format!("ledgerctl chamber distribution show {id}"),
        None => format!("ledgerctl chamber distribute --period {} --unit {} --dry-run", demo.period, demo.unit),
    };
    vec![
        distribution,
        "ledgerctl audit verify".to_owned(),
        format!("ledgerctl --key {} balance {member}", key(member)),
        format!("ledgerctl --key {} history {member}", key(member)),
        format!("ledgerctl --key {} chamber declarations --commons {}", key(steward), commons.name),
        format!("ledgerctl history {}", Handle::fund_of(&demo.unit)),
    ]
}
