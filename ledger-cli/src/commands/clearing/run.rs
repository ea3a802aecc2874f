//! `ledgerctl clearing run --unit CODE --dry-run`: what a clearing run over the unit's accepted
//! invoices would set off, computed and certified by the server, changing nothing. (Applying a
//! run, in one treasurer-signed entry, is not available yet.)

use clap::Args;
use serde::Serialize;

use crate::commands::Context;
use crate::error::CliError;
use crate::output::Render;
use crate::proto;
use crate::table::{self, Align, Table};

/// `clearing run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The unit whose accepted invoices take part.
    #[arg(long, value_name = "CODE")]
    unit: String,
    /// Show what the run would do and change nothing (the only mode available yet).
    #[arg(long)]
    dry_run: bool,
}

/// One participant as printed.
#[derive(Debug, Serialize)]
struct ParticipantView {
    account: String,
    owes_before: String,
    owes_after: String,
    owed_before: String,
    owed_after: String,
}

/// One invoice set off, as printed.
#[derive(Debug, Serialize)]
struct SetOffView {
    invoice: String,
    debtor: String,
    creditor: String,
    remaining_before: String,
    set_off: String,
    remaining_after: String,
}

/// The report as printed.
#[derive(Debug, Serialize)]
struct ReportView {
    unit: String,
    dry_run: bool,
    /// Open invoices that took part.
    invoices: u64,
    debt_before: String,
    set_off: String,
    debt_after: String,
    /// The share of the debt set off, in percent with two decimals, rounded down.
    share_percent: String,
    participants: Vec<ParticipantView>,
    touched: Vec<SetOffView>,
}

impl From<proto::ClearingReport> for ReportView {
    fn from(report: proto::ClearingReport) -> Self {
        let basis_points = report.share_basis_points;
        Self {
            unit: report.unit,
            dry_run: report.dry_run,
            invoices: report.invoices,
            debt_before: report.debt_before,
            set_off: report.set_off,
            debt_after: report.debt_after,
            share_percent: format!("{}.{:02}", basis_points / 100, basis_points % 100),
            participants: report
                .participants
                .into_iter()
                .map(|p| ParticipantView {
                    account: p.account,
                    owes_before: p.owes_before,
                    owes_after: p.owes_after,
                    owed_before: p.owed_before,
                    owed_after: p.owed_after,
                })
                .collect(),
            touched: report
                .touched
                .into_iter()
                .map(|s| SetOffView {
                    invoice: s.invoice.strip_prefix("invoices/").map(str::to_owned).unwrap_or(s.invoice),
                    debtor: s.debtor,
                    creditor: s.creditor,
                    remaining_before: s.remaining_before,
                    set_off: s.set_off,
                    remaining_after: s.remaining_after,
                })
                .collect(),
        }
    }
}

impl Render for ReportView {
    fn table(&self) -> String {
        let summary = table::fields(&[
            ("unit", self.unit.clone()),
            ("dry run", self.dry_run.to_string()),
            ("invoices", self.invoices.to_string()),
            ("debt before", self.debt_before.clone()),
            ("cleared", format!("{} ({}%)", self.set_off, self.share_percent)),
            ("debt after", self.debt_after.clone()),
            ("invoices touched", self.touched.len().to_string()),
        ]);
        let mut participants = Table::new(&[
            ("ACCOUNT", Align::Left),
            ("OWES BEFORE", Align::Right),
            ("OWES AFTER", Align::Right),
            ("OWED BEFORE", Align::Right),
            ("OWED AFTER", Align::Right),
        ]);
        for p in &self.participants {
            participants.row(vec![
                p.account.clone(),
                p.owes_before.clone(),
                p.owes_after.clone(),
                p.owed_before.clone(),
                p.owed_after.clone(),
            ]);
        }
        let mut touched = Table::new(&[
            ("INVOICE", Align::Left),
            ("DEBTOR", Align::Left),
            ("CREDITOR", Align::Left),
            ("BEFORE", Align::Right),
            ("SET OFF", Align::Right),
            ("AFTER", Align::Right),
        ]);
        for s in &self.touched {
            touched.row(vec![
                s.invoice.clone(),
                s.debtor.clone(),
                s.creditor.clone(),
                s.remaining_before.clone(),
                s.set_off.clone(),
                s.remaining_after.clone(),
            ]);
        }
        format!("{summary}\n\n{}\n\n{}", participants.render(), touched.render())
    }
}

/// Runs `run`.
pub async fn run(args: RunArgs, ctx: &Context) -> Result<(), CliError> {
    if !args.dry_run {
        return Err(CliError::Usage(
            "applying a clearing run is not available yet: add --dry-run to see what it would do".into(),
        ));
    }
    let client = ctx.connect().await?;
    let report = client
        .clearing()
        .run_clearing(proto::RunClearingRequest { unit: args.unit, dry_run: true })
        .await?
        .into_inner();
    ctx.emit(&ReportView::from(report))
}
