//! `ledgerctl clearing run --unit CODE [--dry-run] [--with-credit]` and `clearing show RUN_ID`.
//! A run is planned and certified by the server (`RunClearing`); with `--dry-run` that plan is
//! all that is printed. Otherwise the treasurer's key signs exactly the plan's set-offs and
//! credit postings as a `ClearingRun` command and sends it (`ApplyClearingRun`): the server
//! checks every line again and applies the run in one journal entry, or refuses it whole.
//! `--plan FILE` applies a plan reviewed earlier (the JSON a `--dry-run --output json` printed)
//! instead of planning again: exactly what was reviewed is signed, and a plan gone stale since
//! is refused by the server rather than silently replaced.

use clap::Args;
use ledger_core::amount::{Amount, Scale, parse_signed_minor};
use ledger_core::clearing::settlement::{CreditPosting, SetOffLine};
use ledger_core::command::Command;
use ledger_core::names::{Handle, RequestId, UnitCode};

use super::run_view::{ReportView, RunView};
use crate::commands::{Context, fetch_unit, fresh_request_id, parse};
use crate::error::CliError;
use crate::proto;

/// `clearing run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The unit whose accepted invoices take part.
    #[arg(long, value_name = "CODE")]
    unit: UnitCode,
    /// Show what the run would do and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Let participants settle what set-off alone cannot through their mutual-credit accounts,
    /// within their limits: balances move, in the same entry.
    #[arg(long)]
    with_credit: bool,
    /// The run's id (a UUID); sending the same run again under it returns the first result.
    /// Default: a fresh one.
    #[arg(long, value_name = "UUID", value_parser = parse::request_id)]
    id: Option<RequestId>,
    /// Apply this reviewed plan (the JSON output of a dry run of the same unit) instead of
    /// planning again.
    #[arg(long, value_name = "FILE.json", conflicts_with_all = ["dry_run", "with_credit"])]
    plan: Option<std::path::PathBuf>,
}

/// `clearing show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The run's id, as `clearing run` printed it.
    #[arg(value_parser = parse::request_id)]
    run: RequestId,
}

/// Runs `run`.
pub async fn run(args: RunArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let report = match &args.plan {
        Some(path) => read_plan(path, &args.unit)?,
        None => client
            .clearing()
            .run_clearing(proto::RunClearingRequest {
                unit: args.unit.as_str().to_owned(),
                dry_run: args.dry_run,
                with_credit: args.with_credit,
            })
            .await?
            .into_inner(),
    };
    if args.dry_run {
        return ctx.emit(&ReportView::from(report));
    }
    if report.touched.is_empty() {
        // Not an error: the ledger is as cleared as it gets. The plan says why.
        eprintln!("nothing to clear in {}: no run was applied", args.unit);
        return ctx.emit(&ReportView::from(report));
    }
    let (_, scale) = fetch_unit(&client, &args.unit).await?;
    let (set_offs, credit) = lines_of(&report, scale)?;
    let wire_set_offs = set_offs
        .iter()
        .map(|line| proto::ClearingSetOffLine { invoice: line.invoice.to_string(), amount: line.amount.format(scale) })
        .collect();
    let wire_credit = credit
        .iter()
        .map(|posting| proto::ClearingCreditLine {
            account: posting.account.as_str().to_owned(),
            delta: ledger_core::amount::format_minor(i128::from(posting.delta), scale),
        })
        .collect();
    let command = Command::ClearingRun { unit: args.unit.clone(), set_offs, credit };
    let signed = client.sign(args.id.unwrap_or_else(fresh_request_id), command);
    let run = client
        .clearing_commands()
        .apply_clearing_run(proto::ApplyClearingRunRequest {
            request_id: signed.request_id,
            unit: args.unit.as_str().to_owned(),
            set_offs: wire_set_offs,
            credit: wire_credit,
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    ctx.emit(&RunView::from(run))
}

/// The lines of a plan file (a dry run's JSON): its unit must be `unit`.
fn read_plan(path: &std::path::Path, unit: &UnitCode) -> Result<proto::ClearingReport, CliError> {
    let file = path.display();
    let bad = |what: String| CliError::Usage(format!("{file}: {what}"));
    let text = std::fs::read_to_string(path).map_err(|error| bad(format!("cannot read it: {error}")))?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|error| bad(format!("not JSON: {error}")))?;
    if doc["unit"] != unit.as_str() {
        return Err(bad(format!("a plan for unit {}, not {unit}", doc["unit"])));
    }
    let text_of = |value: &serde_json::Value, what: &str| {
        value.as_str().map(str::to_owned).ok_or_else(|| bad(format!("{what} is not a string")))
    };
    let list = |name: &str| doc[name].as_array().cloned().unwrap_or_default();
    let touched = list("touched")
        .iter()
        .map(|line| {
            Ok(proto::InvoiceSetOff {
                invoice: text_of(&line["invoice"], "touched[].invoice")?,
                set_off: text_of(&line["set_off"], "touched[].set_off")?,
                ..Default::default()
            })
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let credit = list("credit")
        .iter()
        .map(|line| {
            Ok(proto::ClearingCreditLine {
                account: text_of(&line["account"], "credit[].account")?,
                delta: text_of(&line["delta"], "credit[].delta")?,
            })
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    Ok(proto::ClearingReport { unit: unit.to_string(), touched, credit, ..Default::default() })
}

/// The plan's lines as the command signs them, parsed at the unit's scale.
fn lines_of(report: &proto::ClearingReport, scale: Scale) -> Result<(Vec<SetOffLine>, Vec<CreditPosting>), CliError> {
    let bad = |what: String| CliError::Failed(format!("the server sent a bad clearing plan: {what}"));
    let set_offs = report
        .touched
        .iter()
        .map(|s| {
            let id = s.invoice.strip_prefix("invoices/").unwrap_or(&s.invoice);
            let invoice = RequestId::parse(id).map_err(|error| bad(error.to_string()))?;
            let amount = Amount::parse_positive(&s.set_off, scale).map_err(|error| bad(error.to_string()))?;
            Ok(SetOffLine { invoice, amount })
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let credit = report
        .credit
        .iter()
        .map(|c| {
            let account = Handle::parse(&c.account).map_err(|error| bad(error.to_string()))?;
            let delta = parse_signed_minor(&c.delta, scale).map_err(|error| bad(error.to_string()))?;
            Ok(CreditPosting { account, delta })
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    Ok((set_offs, credit))
}

/// Runs `show`.
pub async fn show(args: ShowArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let run = client
        .clearing()
        .get_clearing_run(proto::GetClearingRunRequest { name: args.run.to_string() })
        .await?
        .into_inner();
    ctx.emit(&RunView::from(run))
}
