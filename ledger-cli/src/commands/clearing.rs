//! `ledgerctl clearing`: the clearing house. `clearing solve` runs the clearing solver on an
//! invoice file, offline (no server, no key): it reads `id,debtor,creditor,amount`, finds the
//! largest set-off with ledger-core's solver, checks its certificate, writes
//! `id,debtor,creditor,amount,set_off,remainder` and a summary on stderr. `clearing invoice ...`
//! issues, answers, lists and imports invoices on the server.
//!
//! # Layout
//!
//! - this file: the verbs and the summary of `solve`;
//! - `invoice_csv`: reading and writing invoice files (offline and import);
//! - `invoice`: `clearing invoice issue|accept|reject|list`;
//! - `invoice_import`: `clearing invoice import`;
//! - `run`: `clearing run [--dry-run] [--with-credit]` and `clearing show`;
//! - `run_view`: how planned and applied runs print.

pub mod invoice;
pub mod invoice_csv;
pub mod invoice_import;
pub mod run;
pub mod run_view;

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use ledger_core::amount::format_minor;
use ledger_core::clearing::{Certified, Invoice, NodeIndex, Problem, check, solve};

use super::Context;
use crate::error::CliError;
use crate::output;
use invoice_csv::InvoiceFile;

/// The clearing house.
#[derive(Debug, Subcommand)]
pub enum ClearingCommand {
    /// Finds the largest set-off of the invoices in a CSV file, offline (no server).
    Solve(SolveArgs),
    /// Invoices: trade credit outside the balances, issued by the creditor, accepted by the
    /// debtor.
    #[command(subcommand)]
    Invoice(invoice::InvoiceCommand),
    /// Plans a clearing run over a unit's accepted invoices and applies it in one entry, signed
    /// with the treasurer's key (--dry-run: only show the plan).
    Run(run::RunArgs),
    /// Shows an applied clearing run.
    Show(run::ShowArgs),
}

/// `clearing solve`.
#[derive(Debug, Args)]
pub struct SolveArgs {
    /// The invoices: a CSV file with the header `id,debtor,creditor,amount`, one unit, rows in
    /// priority order (oldest due first).
    #[arg(long, value_name = "FILE.csv")]
    pub input: PathBuf,
    /// Where to write `id,debtor,creditor,amount,set_off,remainder`; standard output if absent.
    /// (`--out`, as in `key new` and `audit export`: the global `--output` is table|json.)
    #[arg(long, value_name = "FILE.csv")]
    pub out: Option<PathBuf>,
}

/// Runs a clearing verb.
pub async fn run(command: ClearingCommand, ctx: &Context) -> Result<(), CliError> {
    match command {
        ClearingCommand::Solve(args) => solve_file(&args),
        ClearingCommand::Invoice(command) => invoice::run(command, ctx).await,
        ClearingCommand::Run(args) => run::run(args, ctx).await,
        ClearingCommand::Show(args) => run::show(args, ctx).await,
    }
}

fn solve_file(args: &SolveArgs) -> Result<(), CliError> {
    let text = std::fs::read_to_string(&args.input)
        .map_err(|error| CliError::Usage(format!("cannot read {}: {error}", args.input.display())))?;
    let file = invoice_csv::parse(&text)
        .map_err(|error| CliError::Usage(format!("{}: {error}; nothing was solved", args.input.display())))?;
    drop(text);
    let problem = to_problem(&file)?;
    let solution = solve(&problem);
    let certified = check(&problem, &solution)
        .map_err(|error| CliError::Failed(format!("the solver's answer failed its certificate: {error}")))?;
    match &args.out {
        Some(path) => {
            let written = std::fs::File::create(path).and_then(|out| {
                let mut out = BufWriter::new(out);
                invoice_csv::write(&file, &solution.set_off, &mut out)?;
                out.flush()
            });
            written.map_err(|error| CliError::Failed(format!("cannot write {}: {error}", path.display())))?;
        }
        None => {
            let mut out = BufWriter::new(io::stdout().lock());
            let written = invoice_csv::write(&file, &solution.set_off, &mut out).and_then(|()| out.flush());
            match written {
                // A reader that went away no longer wants the rest.
                Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
                    return Err(CliError::Failed(format!("cannot write to standard output: {error}")));
                }
                _ => {}
            }
        }
    }
    output::note(&summary(&file, problem.nodes(), &certified));
    Ok(())
}

/// Numbers the members in order of first appearance and builds the solver's problem.
fn to_problem(file: &InvoiceFile) -> Result<Problem, CliError> {
    let too_big = |error| CliError::Usage(format!("the file is too large to clear: {error}"));
    let mut members = NodeIndex::new();
    let mut invoices = Vec::with_capacity(file.rows.len());
    for row in &file.rows {
        let debtor = members.intern(row.debtor.as_str()).map_err(too_big)?;
        let creditor = members.intern(row.creditor.as_str()).map_err(too_big)?;
        invoices.push(Invoice { debtor, creditor, amount: row.amount });
    }
    Problem::new(members.len(), invoices).map_err(too_big)
}

/// The summary for stderr: debt before and after, what was cleared and its share.
fn summary(file: &InvoiceFile, members: u32, certified: &Certified) -> String {
    let amount = |minor: i128| format_minor(minor, file.scale);
    let share = if certified.debt_before() == 0 {
        "0.00".to_owned()
    } else {
        // Hundredths of a percent, rounded down, in integers: the summary is exact too.
        let basis_points = certified.set_off() * 10_000 / certified.debt_before();
        format!("{}.{:02}", basis_points / 100, basis_points % 100)
    };
    format!(
        "{} invoices among {} members\ndebt before {}\ncleared {} ({}%)\ndebt after {}\ninvoices touched {}",
        file.rows.len(),
        members,
        amount(certified.debt_before()),
        amount(certified.set_off()),
        share,
        amount(certified.debt_after()),
        certified.invoices_touched()
    )
}
