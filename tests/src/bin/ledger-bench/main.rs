//! `ledger-bench`: load a running `ledgerd` with signed payments and measure what it sustains.
//!
//! It creates its own unit (`BENCH` and four random letters) and accounts (one key each, a
//! generous credit limit), signs every payment before the timed window so the client's signing
//! is not what is measured, fires them over K HTTP/2 connections with C calls in flight, and
//! prints payments/s, latency percentiles, refused and failed counts. Then it checks the ledger:
//! the unit's trial balance sums to zero and every acknowledged payment is in the journal exactly
//! once, as signed. `--noop` measures the gRPC round trip alone (`GetLedger`), the ceiling any
//! RPC can reach on this machine.
//!
//! Exit codes: 0 done and checked, 1 a check failed or the server failed, 2 usage error.
//!
//! # Layout
//!
//! - this file: the command line, the run's phases, the report.
//! - `setup`: the unit, the keys and the accounts.
//! - `plan`: choosing and pre-signing the payments.
//! - `fire`: the timed window (workers, latencies, outcomes) and the process CPU clock.
//! - `check`: the trial balance and the journal after the run.

mod check;
mod fire;
mod plan;
mod setup;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use ledger_cli::client::{Client, connect_channel};
use ledger_cli::error::CliError;
use ledger_cli::keyfile;
use ledger_cli::output::{self, Mode, Render};
use ledger_cli::proto;
use ledger_cli::proto::accounts_client::AccountsClient;
use ledger_cli::proto::transfers_client::TransfersClient;
use serde::Serialize;

use crate::fire::{Answer, Outcome};

/// Pre-signed payments per second of `--duration` when `--payments` is not given: above what
/// one `ledgerd` on this class of machine sustains, so the window, not the supply, ends the run.
const PAYMENTS_PER_SECOND_DEFAULT: u64 = 20_000;
/// The most payments one run pre-signs (about 500 bytes each in memory).
const PAYMENTS_MAX: u64 = 5_000_000;
/// The most accounts one run opens.
const ACCOUNTS_MAX: u32 = 1_000_000;
/// The most calls in flight.
const CONCURRENCY_MAX: u32 = 100_000;
/// The most connections.
const CONNECTIONS_MAX: u32 = 1_024;
/// The most payments per CreateTransfers call (the server's own bound).
const BATCH_MAX: i64 = 1_000;
/// The longest timed window, in seconds.
const DURATION_MAX_S: u64 = 3_600;

/// Loads a running ledgerd with pre-signed payments and reports what it sustained.
#[derive(Debug, Parser)]
#[command(name = "ledger-bench", version, about, max_term_width = 100)]
struct Cli {
    /// The ledger server's URL.
    #[arg(long, value_name = "URL")]
    server: String,
    /// A key file with the admin and treasurer roles (ledgerd writes `<data-dir>/admin.key`).
    #[arg(long, value_name = "FILE", required_unless_present = "noop")]
    admin_key: Option<PathBuf>,
    /// Accounts to open in the bench's own unit.
    #[arg(long, value_name = "N", default_value_t = 1_000,
          value_parser = clap::value_parser!(u32).range(2..=i64::from(ACCOUNTS_MAX)))]
    accounts: u32,
    /// Make every payment involve one of the first H accounts (as payer or payee, at random);
    /// 0: payer and payee uniform over all accounts.
    #[arg(long, value_name = "H", default_value_t = 0)]
    hot_accounts: u32,
    /// Uniformly random transfer ids (UUIDv4) instead of ids increasing in time (as `ledgerctl`
    /// chooses them): the worst case for the ledger's indexes of ids.
    #[arg(long)]
    random_ids: bool,
    /// Calls in flight.
    #[arg(long, value_name = "C", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(CONCURRENCY_MAX)))]
    concurrency: u32,
    /// HTTP/2 connections the calls are spread over.
    #[arg(long, value_name = "K", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(CONNECTIONS_MAX)))]
    connections: u32,
    /// Calls per second in all, each due at its own time (open loop: latency counts from when a
    /// call was due), instead of each worker calling again as soon as it is answered. For
    /// latency at a given load, such as half the peak; --concurrency still bounds calls in flight.
    #[arg(long, value_name = "CALLS_PER_S", value_parser = parse_rate)]
    rate: Option<f64>,
    /// Length of the timed window, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=DURATION_MAX_S))]
    duration: u64,
    /// Payments per call: 1 sends unary CreatePayment calls; more sends CreateTransfers calls
    /// (not atomic) of B individually signed payments each.
    #[arg(long, value_name = "B", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=BATCH_MAX))]
    batch: u32,
    /// Payments to pre-sign (default: 20,000 per second of --duration). If they run out before
    /// the window ends, the run stops early and says so.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=PAYMENTS_MAX))]
    payments: Option<u64>,
    /// Measure the bare gRPC round trip instead: unauthenticated GetLedger calls, no setup, no
    /// checks.
    #[arg(long)]
    noop: bool,
    /// Also report the CPU time this process id (the server, on the same machine) used during
    /// the window, read from /proc.
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
    /// How to print results: aligned text, or one JSON document.
    #[arg(long, value_enum, default_value_t = Mode::Table)]
    output: Mode,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mode = cli.output;
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            output::report_error(mode, &CliError::Failed(format!("cannot start the async runtime: {error}")));
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(report) => {
            let passed = report.checks.as_ref().is_none_or(|checks| checks.passed);
            if let Err(error) = output::emit(mode, &report) {
                output::report_error(mode, &error);
                return ExitCode::from(error.exit_code());
            }
            if passed { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(error) => {
            output::report_error(mode, &error);
            ExitCode::from(error.exit_code())
        }
    }
}

/// What one run measured, in the JSON document's field order.
#[derive(Debug, Serialize)]
struct Report {
    /// Committed payments per second of the window (`--noop`: answered calls per second).
    payments_per_s: f64,
    /// Median latency of a call, milliseconds.
    p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    p99_ms: f64,
    /// Slowest call, milliseconds.
    max_ms: f64,
    /// Payments acknowledged as committed (`--noop`: calls answered).
    committed: u64,
    /// Payments refused by the ledger (FAILED_PRECONDITION: a limit).
    refused: u64,
    /// Calls that failed otherwise (transport, timeout, any other status).
    failed: u64,
    /// `payments` or `noop`.
    mode: &'static str,
    /// Seconds from the first call to the last answer.
    elapsed_s: f64,
    /// Whether the pre-signed payments ran out before the window ended.
    ran_out: bool,
    /// Committed payments (calls answered) in each second of the window.
    per_second: Vec<u64>,
    /// CPU seconds this process (the client) used during the window.
    client_cpu_s: Option<f64>,
    /// CPU seconds `--server-pid` used during the window.
    server_cpu_s: Option<f64>,
    /// The client's CPU a committed payment (`--noop`: a call answered), microseconds: what one
    /// payment costs the machine, to read against the core time a target allows.
    client_cpu_us_per_payment: Option<f64>,
    /// The server's CPU a committed payment (call answered), microseconds.
    server_cpu_us_per_payment: Option<f64>,
    /// The shape of the run.
    config: RunConfig,
    /// Seconds spent opening the accounts, and signing the payments.
    setup_s: Option<f64>,
    /// Seconds spent pre-signing.
    sign_s: Option<f64>,
    /// The first few failure messages, for diagnosis.
    failures: Vec<String>,
    /// The checks after the run (none with `--noop`).
    checks: Option<check::Checks>,
}

/// The flags that shaped the run.
#[derive(Debug, Serialize)]
struct RunConfig {
    /// The bench's unit (none with `--noop`).
    unit: Option<String>,
    /// Accounts opened.
    accounts: u32,
    /// Hot accounts.
    hot_accounts: u32,
    /// Whether transfer ids were uniformly random rather than increasing in time.
    random_ids: bool,
    /// Calls in flight.
    concurrency: u32,
    /// Calls per second, when paced.
    rate: Option<f64>,
    /// Connections.
    connections: u32,
    /// Payments per call.
    batch: u32,
    /// Window, seconds.
    duration_s: u64,
    /// Payments pre-signed.
    payments_signed: u64,
}

async fn run(cli: Cli) -> Result<Report, CliError> {
    if !cli.noop && cli.hot_accounts >= cli.accounts {
        return Err(CliError::Usage(format!(
            "--hot-accounts {} must be below --accounts {}: a payment needs a counterparty",
            cli.hot_accounts, cli.accounts
        )));
    }
    let duration = Duration::from_secs(cli.duration);
    let mut channels = Vec::with_capacity(cli.connections as usize);
    for _ in 0..cli.connections {
        channels.push(connect_channel(&cli.server).await?);
    }
    let mut config = RunConfig {
        unit: None,
        accounts: cli.accounts,
        hot_accounts: cli.hot_accounts,
        random_ids: cli.random_ids,
        concurrency: cli.concurrency,
        rate: cli.rate,
        connections: cli.connections,
        batch: cli.batch,
        duration_s: cli.duration,
        payments_signed: 0,
    };

    if cli.noop {
        output::note(&format!(
            "noop: GetLedger for {}s, {} in flight over {} connections",
            cli.duration, cli.concurrency, cli.connections
        ));
        let calls = std::iter::repeat(());
        let outcome = fire::run(
            &channels,
            cli.concurrency,
            cli.rate,
            duration,
            calls,
            cli.server_pid,
            |channel, ()| async move {
                vec![match AccountsClient::new(channel).get_ledger(proto::GetLedgerRequest {}).await {
                    Ok(_) => Answer::Committed(None),
                    Err(status) => Answer::Failed(status.to_string()),
                }]
            },
        )
        .await;
        config.accounts = 0;
        return Ok(report("noop", outcome, config, None, None, None));
    }

    let admin_key = keyfile::load(cli.admin_key.as_deref())?;
    let admin = Client::connect(&cli.server, admin_key.clone()).await?;
    let setup_started = Instant::now();
    let ledger = setup::create(&admin, &admin_key, &channels, cli.accounts, cli.concurrency).await?;
    let setup_s = setup_started.elapsed().as_secs_f64();
    output::note(&format!("opened {} accounts in unit {} in {setup_s:.1}s", cli.accounts, ledger.unit));
    config.unit = Some(ledger.unit.to_string());

    let count = cli.payments.unwrap_or((cli.duration * PAYMENTS_PER_SECOND_DEFAULT).min(PAYMENTS_MAX));
    let sign_started = Instant::now();
    let ids = if cli.random_ids { plan::IdOrder::Random } else { plan::IdOrder::Time };
    let (payments, requests) = plan::sign(&ledger, admin.ledger_id(), count, cli.hot_accounts, ids);
    let sign_s = sign_started.elapsed().as_secs_f64();
    config.payments_signed = count;
    output::note(&format!("pre-signed {count} payments in {sign_s:.1}s"));

    let head = AccountsClient::new(channels[0].clone()).get_ledger(proto::GetLedgerRequest {}).await?.into_inner();
    output::note(&format!(
        "firing for {}s: {} calls of {} payments in flight over {} connections{}",
        cli.duration,
        cli.concurrency,
        cli.batch,
        cli.connections,
        if cli.hot_accounts > 0 {
            format!(", every payment touching one of {} hot accounts", cli.hot_accounts)
        } else {
            String::new()
        }
    ));
    let payments = Arc::new(payments);
    let expected = payments.clone();
    // Each call carries a batch of `--batch` payments (one for unary calls).
    let mut requests = requests.into_iter();
    let batch = cli.batch as usize;
    let calls = std::iter::from_fn(move || {
        let call: Vec<_> = requests.by_ref().take(batch).collect();
        (!call.is_empty()).then_some(call)
    });
    let outcome =
        fire::run(&channels, cli.concurrency, cli.rate, duration, calls, cli.server_pid, move |channel, call| {
            let expected = expected.clone();
            async move {
                if let [(index, request)] = &call[..] {
                    let answer = TransfersClient::new(channel).create_payment(request.clone()).await;
                    return vec![payment_answer(&expected, *index, answer.map(tonic::Response::into_inner))];
                }
                let (indices, payments): (Vec<usize>, Vec<_>) = call.into_iter().unzip();
                let request = proto::CreateTransfersRequest { payments, atomic: false };
                match TransfersClient::new(channel).create_transfers(request).await {
                    Ok(answer) if answer.get_ref().results.len() == indices.len() => answer
                        .into_inner()
                        .results
                        .into_iter()
                        .zip(indices)
                        .map(|(result, index)| match (result.transfer, result.error) {
                            (Some(transfer), _) => payment_answer(&expected, index, Ok(transfer)),
                            (None, Some(error)) if error.code == "FAILED_PRECONDITION" => Answer::Refused(index),
                            (None, error) => Answer::Failed(format!("payment {}: {error:?}", expected[index].id)),
                        })
                        .collect(),
                    Ok(answer) => vec![Answer::Failed(format!(
                        "{} results for a call of {} payments",
                        answer.get_ref().results.len(),
                        indices.len()
                    ))],
                    Err(status) => vec![Answer::Failed(status.to_string())],
                }
            }
        })
        .await;
    output::note("checking the trial balance and the journal");
    let checks = check::run(
        &admin,
        &ledger,
        &payments,
        &outcome.acknowledged,
        &outcome.refused_payments,
        (head.head_seq, &head.head_hash),
    )
    .await?;
    Ok(report("payments", outcome, config, Some(setup_s), Some(sign_s), Some(checks)))
}

/// What the server answered for one payment, checked against the payment it was sent.
fn payment_answer(expected: &[plan::Payment], index: usize, answer: Result<proto::Transfer, tonic::Status>) -> Answer {
    match answer {
        Ok(transfer) if transfer.id == expected[index].id.to_string() => Answer::Committed(Some(index)),
        Ok(transfer) => Answer::Failed(format!(
            "the server acknowledged transfer {} for payment {}",
            transfer.id, expected[index].id
        )),
        Err(status) if status.code() == tonic::Code::FailedPrecondition => Answer::Refused(index),
        Err(status) => Answer::Failed(status.to_string()),
    }
}

fn report(
    mode: &'static str,
    outcome: Outcome,
    config: RunConfig,
    setup_s: Option<f64>,
    sign_s: Option<f64>,
    checks: Option<check::Checks>,
) -> Report {
    let elapsed_s = outcome.elapsed.as_secs_f64();
    let latency = |q: f64| fire::percentile_ms(&outcome.latencies_us, q);
    let committed = outcome.committed;
    let per_payment =
        |seconds: Option<f64>| seconds.filter(|_| committed > 0).map(|s| round(s * 1e6 / committed as f64, 1));
    Report {
        payments_per_s: round(outcome.committed as f64 / elapsed_s.max(f64::MIN_POSITIVE), 1),
        p50_ms: latency(0.50),
        p99_ms: latency(0.99),
        max_ms: latency(1.0),
        committed: outcome.committed,
        refused: outcome.refused,
        failed: outcome.failed,
        mode,
        elapsed_s: round(elapsed_s, 3),
        ran_out: outcome.ran_out,
        per_second: outcome.per_second,
        client_cpu_s: outcome.client_cpu_s.map(|s| round(s, 2)),
        server_cpu_s: outcome.server_cpu_s.map(|s| round(s, 2)),
        client_cpu_us_per_payment: per_payment(outcome.client_cpu_s),
        server_cpu_us_per_payment: per_payment(outcome.server_cpu_s),
        config,
        setup_s: setup_s.map(|s| round(s, 2)),
        sign_s: sign_s.map(|s| round(s, 2)),
        failures: outcome.failures,
        checks,
    }
}

fn round(value: f64, places: i32) -> f64 {
    let factor = 10f64.powi(places);
    (value * factor).round() / factor
}

impl Render for Report {
    fn table(&self) -> String {
        let rate = if self.mode == "noop" { "calls/s" } else { "payments/s" };
        let mut lines = vec![
            format!("{rate:<14}{:.0}", self.payments_per_s),
            format!(
                "{:<14}p50 {:.2} ms   p99 {:.2} ms   max {:.2} ms",
                "latency", self.p50_ms, self.p99_ms, self.max_ms
            ),
            format!(
                "{:<14}committed {}   refused {}   failed {}   in {:.2}s",
                "outcomes", self.committed, self.refused, self.failed, self.elapsed_s
            ),
            format!("{:<14}{}", "per second", self.per_second.iter().map(u64::to_string).collect::<Vec<_>>().join(" ")),
        ];
        let each = if self.mode == "noop" { "a call" } else { "a payment" };
        let cpu = |what: &str, seconds: Option<f64>, per_payment: Option<f64>| {
            seconds.map(|s| {
                let share = format!("{:.0}% of one core", 100.0 * s / self.elapsed_s.max(1e-9));
                match per_payment {
                    Some(us) => format!("{what} {s:.2} s ({share}, {us:.0} µs {each})"),
                    None => format!("{what} {s:.2} s ({share})"),
                }
            })
        };
        let cpu: Vec<String> = [
            cpu("client", self.client_cpu_s, self.client_cpu_us_per_payment),
            cpu("server", self.server_cpu_s, self.server_cpu_us_per_payment),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !cpu.is_empty() {
            lines.push(format!("{:<14}{}", "cpu", cpu.join("   ")));
        }
        if self.ran_out {
            lines.push("note: the pre-signed payments ran out before the window ended; pass --payments".into());
        }
        for failure in &self.failures {
            lines.push(format!("failure: {failure}"));
        }
        if let Some(checks) = &self.checks {
            lines.push(checks.table());
        }
        lines.join("\n")
    }
}

/// A rate of calls per second: a positive number, at most a million.
fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate > 0.0 && rate <= 1e6 => Ok(rate),
        _ => Err(format!("{text:?} is not a rate of calls per second between 0 and 1,000,000")),
    }
}
