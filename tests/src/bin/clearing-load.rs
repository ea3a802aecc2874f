//! `clearing-load`: a clearing run at the scale, applied through a running `ledgerd`.
//!
//! It creates its own unit (`CLR` and four random letters) and one account per member of the
//! synthetic graph (`ledger_core::clearing::synthetic`, the graphs of the solver's benchmark:
//! members a tenth of the invoices), imports the graph's invoices as accepted with the real
//! `ledgerctl clearing invoice import` (commands of 1,000 rows), and then times the real
//! `ledgerctl`: `clearing run --dry-run` (plan only), `clearing run` (plan, sign, apply in one
//! entry), `clearing show`, `audit verify`, `audit export` and `audit verify --journal`. It checks that the run is one entry, that without
//! credit it sets off exactly the solver's optimum on the same graph, and that the audit is clean.
//! While the run is planned and applied, one payment at a time goes between two accounts outside
//! the graph, so the report shows how long the run held the writer from other commands (the
//! longest payment) and that they were all committed.
//!
//! Exit codes: 0 done and checked, 1 a check or a command failed, 2 usage error.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use clap::{Parser, ValueEnum};
use ledger_cli::auth::sign_command;
use ledger_cli::client::{Client, connect_channel};
use ledger_cli::commands::fresh_request_id;
use ledger_cli::error::CliError;
use ledger_cli::keyfile;
use ledger_cli::output;
use ledger_cli::proto;
use ledger_cli::proto::transfers_client::TransfersClient;
use ledger_core::account::AccountKind;
use ledger_core::amount::{Amount, Scale, format_minor};
use ledger_core::clearing::synthetic::{self, Shape, Spec};
use ledger_core::clearing::{Problem, check, solve};
use ledger_core::command::Command as LedgerCommand;
use ledger_core::keys::SecretKey;
use ledger_core::names::{DisplayName, Handle, LedgerId, Memo, UnitCode};
use ledger_tests::open_accounts::{AccountTerms, open_accounts};
use serde_json::Value;
use tonic::transport::Channel;

/// Decimal places of the unit: the synthetic amounts are cents.
const SCALE_PLACES: u32 = 2;
/// The most invoices one run of this tool generates.
const INVOICES_MAX: usize = 1_000_000;
/// Account-opening calls in flight (the writer batches them).
const OPEN_CONCURRENCY: usize = 64;
/// The pause between two payments made while the run is applied.
const PAYMENT_PAUSE_MS: u64 = 50;

/// How debtors and creditors are drawn.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum ShapeArg {
    /// Every member equally likely.
    Uniform,
    /// A few hubs.
    Heavy,
}

/// Applies a clearing run over a synthetic graph through a running ledgerd, and times it.
#[derive(Debug, Parser)]
#[command(name = "clearing-load", version, about, max_term_width = 100)]
struct Cli {
    /// The ledger server's URL.
    #[arg(long, value_name = "URL")]
    server: String,
    /// A key file with the admin and treasurer roles (ledgerd writes `<data-dir>/admin.key`).
    #[arg(long, value_name = "FILE")]
    admin_key: PathBuf,
    /// The `ledgerctl` to time (default: the one next to this binary).
    #[arg(long, value_name = "FILE")]
    ledgerctl: Option<PathBuf>,
    /// Invoices in the graph; members are a tenth of them.
    #[arg(long, value_name = "N", default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(20..=INVOICES_MAX as u64))]
    invoices: u64,
    /// How debtors and creditors are drawn.
    #[arg(long, value_enum, default_value_t = ShapeArg::Uniform)]
    shape: ShapeArg,
    /// The generator's seed (the solver's benchmark uses 7).
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Let members settle what set-off cannot through their mutual-credit accounts.
    #[arg(long)]
    with_credit: bool,
    /// Every account's credit limit, in cents (default 5,000.00: twice a member's median debt).
    #[arg(long, value_name = "MINOR", default_value_t = 500_000)]
    credit_limit: i64,
    /// Where the invoice file and the command outputs go (default: a temporary directory).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            output::note(&format!("clearing-load: {error}"));
            ExitCode::from(error.exit_code())
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let ledgerctl = cli.ledgerctl.clone().unwrap_or_else(|| sibling("ledgerctl"));
    let temporary = tempfile::tempdir().map_err(|error| CliError::Failed(format!("a temporary directory: {error}")))?;
    let work = cli.work_dir.clone().unwrap_or_else(|| temporary.path().to_owned());
    let invoices = usize::try_from(cli.invoices).expect("bounded by INVOICES_MAX");
    let members = u32::try_from(invoices / 10).expect("at most 100,000 members");
    let shape = match cli.shape {
        ShapeArg::Uniform => Shape::Uniform,
        ShapeArg::Heavy => Shape::HeavyTailed,
    };
    let spec = Spec { nodes: members, invoices, shape, seed: cli.seed };
    let graph = synthetic::invoices(spec);

    let admin_key = keyfile::load(Some(&cli.admin_key))?;
    let admin = Client::connect(&cli.server, admin_key.clone()).await?;
    let unit = fresh_unit_code();
    let started = Instant::now();
    create_unit(&admin, &unit).await?;
    let prefix = unit.as_str().to_ascii_lowercase();
    let mut handles: Vec<Handle> =
        (0..members).map(|index| Handle::parse(&format!("{prefix}-{index:06}")).expect("a slug")).collect();
    // Two more accounts on no invoice, for the payments made while the run is applied.
    handles.extend(["payer", "payee"].map(|role| Handle::parse(&format!("{prefix}-{role}")).expect("a slug")));
    let channel = connect_channel(&cli.server).await?;
    let mut keys =
        open_business_accounts(&admin, &admin_key, channel.clone(), &unit, &handles, cli.credit_limit).await?;
    let payer = (handles[handles.len() - 2].clone(), keys.swap_remove(handles.len() - 2));
    let payee = handles.pop().expect("the payee was pushed last");
    handles.pop();
    output::note(&format!("unit {unit}: opened {members} accounts in {:.1} s", started.elapsed().as_secs_f64()));

    let file = work.join("invoices.csv");
    write_invoices(&file, &graph, &handles)?;
    let ctl = Ctl { ledgerctl, server: cli.server.clone(), key: cli.admin_key.clone(), work: work.clone() };
    let (_, import_s) =
        ctl.timed("import", &["clearing", "invoice", "import", path_text(&file)?, "--unit", unit.as_str()])?;
    output::note(&format!("imported {invoices} invoices in {import_s:.1} s"));

    let mut run_args = vec!["clearing", "run", "--unit", unit.as_str()];
    if cli.with_credit {
        run_args.push("--with-credit");
    }
    let dry_args: Vec<&str> = run_args.iter().copied().chain(["--dry-run"]).collect();
    let (plan, dry_s) = ctl.timed("plan", &dry_args)?;
    let head_before = ctl.head_seq()?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let payments = tokio::spawn(pay_until_stopped(channel, admin.ledger_id(), unit.clone(), payer, payee, stopped));
    let ran = ctl.timed("run", &run_args);
    stop.send_replace(true);
    let (applied, run_s) = ran?;
    let paid = payments.await.map_err(|error| CliError::Failed(format!("the payment task failed: {error}")))??;
    let head_after = ctl.head_seq()?;
    let run_id = text(&applied["run_id"], "run_id")?.to_owned();
    let (shown, show_s) = ctl.timed("show", &["clearing", "show", &run_id])?;
    let (verified, verify_s) = ctl.timed("verify", &["audit", "verify"])?;
    // The run's entry also goes through an export file (one JSON line, its bytes in hex) and the
    // offline verifier.
    let export = work.join("journal.jsonl");
    let (_, export_s) = ctl.timed("export", &["audit", "export", "--out", path_text(&export)?])?;
    let (offline, offline_s) = ctl.timed("verify-file", &["audit", "verify", "--journal", path_text(&export)?])?;

    let set_offs = applied["touched"].as_array().map_or(0, Vec::len);
    let credit = applied["credit"].as_array().map_or(0, Vec::len);
    let mut problems = Vec::new();
    if head_after != head_before + 1 + paid.count {
        problems.push(format!("{} entries for one run and {} payments", head_after - head_before, paid.count));
    }
    if shown["touched"].as_array().map_or(0, Vec::len) != set_offs || shown["set_off"] != applied["set_off"] {
        problems.push("clearing show does not report the applied run".to_owned());
    }
    if plan["set_off"] != applied["set_off"] {
        problems.push(format!("planned {} but applied {}", plan["set_off"], applied["set_off"]));
    }
    if verified["balances_match_server"] != true {
        problems.push(format!("audit verify: {verified}"));
    }
    if offline["verified"] != true || offline["head_seq"] != verified["head_seq"] {
        problems.push(format!("audit verify --journal: {offline}"));
    }
    if !cli.with_credit {
        // Without credit the run sets off the maximum: the solver's, on the same graph.
        let problem = Problem::new(members, graph).map_err(|error| CliError::Failed(error.to_string()))?;
        let certified = check(&problem, &solve(&problem)).map_err(|error| CliError::Failed(error.to_string()))?;
        let optimum = format_minor(certified.set_off(), scale());
        if applied["set_off"] != optimum.as_str() {
            problems.push(format!("set off {} but the solver's optimum is {optimum}", applied["set_off"]));
        }
    }
    let report = serde_json::json!({
        "unit": unit.as_str(),
        "invoices": invoices,
        "members": members,
        "shape": format!("{:?}", cli.shape).to_lowercase(),
        "seed": cli.seed,
        "with_credit": cli.with_credit,
        "set_offs": set_offs,
        "credit_postings": credit,
        "debt_before": plan["debt_before"],
        "set_off": applied["set_off"],
        "share_percent": plan["share_percent"],
        "touched_share_percent": applied["share_percent"],
        "credit_moved": applied["credit_moved"],
        "entry_seq": applied["seq"],
        "payments_during_run": paid.count,
        "longest_payment_s": round(paid.longest_s),
        "seconds": {
            "import": round(import_s),
            "dry_run": round(dry_s),
            "run": round(run_s),
            "show": round(show_s),
            "verify": round(verify_s),
            "export": round(export_s),
            "verify_file": round(offline_s),
        },
        "problems": problems,
    });
    println!("{}", serde_json::to_string_pretty(&report).expect("JSON values serialise"));
    if problems.is_empty() { Ok(()) } else { Err(CliError::Failed(problems.join("; "))) }
}

/// Runs the real `ledgerctl` as the admin, with JSON output.
struct Ctl {
    ledgerctl: PathBuf,
    server: String,
    key: PathBuf,
    /// Where each command's stdout is kept.
    work: PathBuf,
}

impl Ctl {
    /// Runs `args`, and returns its JSON output and the seconds it took, process start included.
    fn timed(&self, name: &str, args: &[&str]) -> Result<(Value, f64), CliError> {
        let out = self.work.join(format!("{name}.json"));
        let stdout =
            std::fs::File::create(&out).map_err(|error| CliError::Failed(format!("{}: {error}", out.display())))?;
        let started = Instant::now();
        let status = Command::new(&self.ledgerctl)
            .args(["--server", &self.server, "--key", path_text(&self.key)?, "--output", "json"])
            .args(args)
            .stdout(stdout)
            .status()
            .map_err(|error| CliError::Failed(format!("{}: {error}", self.ledgerctl.display())))?;
        let seconds = started.elapsed().as_secs_f64();
        if !status.success() {
            let said = std::fs::read_to_string(&out).unwrap_or_default();
            return Err(CliError::Failed(format!("ledgerctl {} exited with {status}: {said}", args.join(" "))));
        }
        let text =
            std::fs::read_to_string(&out).map_err(|error| CliError::Failed(format!("{}: {error}", out.display())))?;
        let value =
            serde_json::from_str(&text).map_err(|error| CliError::Failed(format!("ledgerctl {name}: {error}")))?;
        output::note(&format!("ledgerctl {}: {seconds:.2} s", args.join(" ")));
        Ok((value, seconds))
    }

    /// The journal's head, from the trial balance.
    fn head_seq(&self) -> Result<u64, CliError> {
        let (balance, _) = self.timed("trial-balance", &["audit", "trial-balance"])?;
        balance["as_of_seq"].as_u64().ok_or_else(|| CliError::Failed(format!("no as_of_seq in {balance}")))
    }
}

async fn create_unit(admin: &Client, unit: &UnitCode) -> Result<(), CliError> {
    let name = DisplayName::parse("clearing-load").expect("a valid display name");
    let command = LedgerCommand::CreateUnit { code: unit.clone(), scale: scale(), name: name.clone() };
    let signed = admin.sign(fresh_request_id(), command);
    admin
        .accounts_commands()
        .create_unit(proto::CreateUnitRequest {
            request_id: signed.request_id,
            code: unit.as_str().to_owned(),
            scale: SCALE_PLACES,
            display_name: name.as_str().to_owned(),
            signatures: signed.signatures,
        })
        .await?;
    Ok(())
}

/// Opens one business account per handle, [`OPEN_CONCURRENCY`] calls at a time; their keys.
async fn open_business_accounts(
    admin: &Client,
    admin_key: &SecretKey,
    channel: Channel,
    unit: &UnitCode,
    handles: &[Handle],
    credit_limit: i64,
) -> Result<Vec<SecretKey>, CliError> {
    let credit_limit = Amount::from_minor(credit_limit)
        .ok_or_else(|| CliError::Usage(format!("--credit-limit {credit_limit}: not a valid amount")))?;
    let mut keys = Vec::with_capacity(handles.len());
    for _ in handles {
        keys.push(keyfile::generate()?);
    }
    let terms = AccountTerms {
        ledger_id: admin.ledger_id(),
        admin_key: admin_key.clone(),
        unit: unit.clone(),
        scale: scale(),
        kind: AccountKind::Business,
        credit_limit,
    };
    let accounts = handles.iter().zip(&keys).map(|(handle, key)| (handle.clone(), key.public_key())).collect();
    open_accounts(terms, accounts, &[channel], OPEN_CONCURRENCY).await?;
    Ok(keys)
}

/// What the payments made during the run saw.
struct Paid {
    /// Payments committed.
    count: u64,
    /// The longest wait for one, in seconds.
    longest_s: f64,
}

/// Pays 0.01 from `payer` to `payee`, one payment at a time, until `stopped` turns true; every
/// payment must commit.
async fn pay_until_stopped(
    channel: Channel,
    ledger_id: LedgerId,
    unit: UnitCode,
    payer: (Handle, SecretKey),
    payee: Handle,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> Result<Paid, CliError> {
    let mut client = TransfersClient::new(channel);
    let amount = Amount::from_minor(1).expect("one cent is an amount");
    let mut paid = Paid { count: 0, longest_s: 0.0 };
    while !*stopped.borrow_and_update() {
        let command = LedgerCommand::Pay {
            payer: payer.0.clone(),
            payee: payee.clone(),
            unit: unit.clone(),
            amount,
            memo: Memo::default(),
        };
        let signed = sign_command(ledger_id, fresh_request_id(), command, &payer.1);
        let started = Instant::now();
        client
            .create_payment(proto::CreatePaymentRequest {
                request_id: signed.request_id,
                payer: payer.0.as_str().to_owned(),
                payee: payee.as_str().to_owned(),
                unit: unit.as_str().to_owned(),
                amount: amount.format(scale()),
                memo: String::new(),
                signatures: signed.signatures,
            })
            .await?;
        paid.count += 1;
        paid.longest_s = paid.longest_s.max(started.elapsed().as_secs_f64());
        // A payment every 50 ms or so: enough to see the writer held, not enough to load it.
        let _ = tokio::time::timeout(std::time::Duration::from_millis(PAYMENT_PAUSE_MS), stopped.changed()).await;
    }
    Ok(paid)
}

/// Writes the graph as an import file, in the order drawn (which is each invoice's priority).
fn write_invoices(path: &Path, graph: &[ledger_core::clearing::Invoice], handles: &[Handle]) -> Result<(), CliError> {
    let mut text = String::from("id,debtor,creditor,amount\n");
    for (index, invoice) in graph.iter().enumerate() {
        let (debtor, creditor) = (&handles[invoice.debtor as usize], &handles[invoice.creditor as usize]);
        text.push_str(&format!("inv-{index},{debtor},{creditor},{}\n", invoice.amount.format(scale())));
    }
    std::fs::write(path, text).map_err(|error| CliError::Failed(format!("{}: {error}", path.display())))
}

fn scale() -> Scale {
    Scale::new(SCALE_PLACES).expect("2 decimal places is a valid scale")
}

fn text<'a>(value: &'a Value, what: &str) -> Result<&'a str, CliError> {
    value.as_str().ok_or_else(|| CliError::Failed(format!("no {what} in the output")))
}

fn path_text(path: &Path) -> Result<&str, CliError> {
    path.to_str().ok_or_else(|| CliError::Usage(format!("{}: not UTF-8", path.display())))
}

fn round(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

/// A binary built next to this one.
fn sibling(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the running binary has a path");
    exe.with_file_name(name)
}

/// `CLR` and four random capital letters: a unit no earlier run used.
fn fresh_unit_code() -> UnitCode {
    let random = uuid::Uuid::new_v4().as_u128();
    let letters: String = (0..4).map(|n| char::from(b'A' + ((random >> (8 * n)) % 26) as u8)).collect();
    UnitCode::parse(&format!("CLR{letters}")).expect("capital letters, 7 of them")
}
