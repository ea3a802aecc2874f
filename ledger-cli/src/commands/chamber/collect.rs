//! `ledgerctl chamber collect --period P`: collects the recurring contributions due for a period.
//!
//! The CLI lists the agreements, keeps those with a recurring amount in effect by that period,
//! and sends one signed `Collect` per unit and per [`COLLECT_BUSINESSES_MAX`] businesses (each
//! its own entry). Collecting is idempotent per agreement and period, so running it again posts
//! only what was not collected yet; a contribution that does not fit is reported, never forced.

use std::collections::BTreeMap;

use clap::Args;
use ledger_core::amount::format_minor;
use ledger_core::chamber::{COLLECT_BUSINESSES_MAX, Period};
use ledger_core::command::Command;
use ledger_core::names::{Handle, UnitCode};
use serde::Serialize;

use super::super::{Context, fetch_unit, fresh_request_id, server_amount, server_unit};
use super::agreement::list_all;
use crate::error::CliError;
use crate::output::Render;
use crate::proto;
use crate::table::{Align, Table};

/// `chamber collect`.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// The period (YYYY-MM) collected for, begun or past.
    #[arg(long, value_parser = Period::parse)]
    period: Period,
}

/// One business's line of the report.
#[derive(Debug, Serialize)]
pub struct CollectLineView {
    business: String,
    unit: String,
    /// collected, already_collected or not_collectable.
    outcome: String,
    /// What moved now (collected only).
    amount: Option<String>,
    /// Why it was not collected (not_collectable only): UPPER_SNAKE.
    reason: Option<String>,
    message: Option<String>,
    /// The collect's entry.
    seq: u64,
}

/// A collect's report.
#[derive(Debug, Serialize)]
pub struct CollectView {
    period: String,
    /// What moved now, per unit.
    totals: BTreeMap<String, String>,
    lines: Vec<CollectLineView>,
}

impl Render for CollectView {
    fn table(&self) -> String {
        let mut table = Table::new(&[
            ("BUSINESS", Align::Left),
            ("OUTCOME", Align::Left),
            ("AMOUNT", Align::Right),
            ("UNIT", Align::Left),
            ("REASON", Align::Left),
        ]);
        for line in &self.lines {
            table.row(vec![
                line.business.clone(),
                line.outcome.clone(),
                line.amount.clone().unwrap_or_default(),
                line.unit.clone(),
                line.message.clone().unwrap_or_default(),
            ]);
        }
        let totals: Vec<String> = self.totals.iter().map(|(unit, total)| format!("{total} {unit}")).collect();
        let totals = if totals.is_empty() { "nothing".to_owned() } else { totals.join(", ") };
        format!("{}\ncollected for {}: {totals}", table.render(), self.period)
    }
}

/// Runs `chamber collect`.
pub async fn run(args: CollectArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let mut due: BTreeMap<UnitCode, Vec<Handle>> = BTreeMap::new();
    for agreement in list_all(&client).await? {
        let from = Period::parse(&agreement.effective_from)
            .map_err(|error| CliError::Failed(format!("the server sent a bad period: {error}")))?;
        if agreement.recurring.is_empty() || from > args.period {
            continue;
        }
        let business = Handle::parse(&agreement.business)
            .map_err(|error| CliError::Failed(format!("the server sent a bad handle: {error}")))?;
        due.entry(server_unit(&agreement.unit)?).or_default().push(business);
    }
    let mut view = CollectView { period: args.period.to_string(), totals: BTreeMap::new(), lines: Vec::new() };
    for (unit, mut businesses) in due {
        businesses.sort_unstable();
        let (_, scale) = fetch_unit(&client, &unit).await?;
        // Exact, in minor units: the sum of what each chunk's lines say moved.
        let mut total: i128 = 0;
        for chunk in businesses.chunks(COLLECT_BUSINESSES_MAX) {
            let command = Command::Collect { unit: unit.clone(), period: args.period, businesses: chunk.to_vec() };
            let signed = client.sign(fresh_request_id(), command);
            let report = client
                .chamber_commands()
                .collect(proto::CollectRequest {
                    request_id: signed.request_id,
                    unit: unit.to_string(),
                    period: args.period.to_string(),
                    businesses: chunk.iter().map(Handle::to_string).collect(),
                    signatures: signed.signatures,
                })
                .await?
                .into_inner();
            for line in report.lines {
                if !line.amount.is_empty() {
                    total += i128::from(server_amount("a collected amount", &line.amount, scale)?.minor());
                }
                view.lines.push(CollectLineView {
                    business: line.business,
                    unit: unit.to_string(),
                    amount: (!line.amount.is_empty()).then_some(line.amount),
                    reason: (!line.reason.is_empty()).then_some(line.reason),
                    message: (!line.message.is_empty()).then_some(line.message),
                    outcome: line.outcome,
                    seq: report.seq,
                });
            }
        }
        view.totals.insert(unit.to_string(), format_minor(total, scale));
    }
    ctx.emit(&view)
}
