//! `ledgerctl demo`: seeds a sample community through the real API, so a newcomer sees a whole
//! period in one command: a unit, members and businesses with their keys, four commons, the
//! businesses' agreements, payments and a request, contributions to the commons fund, declared
//! work decided by stewards, a remuneration rule, the period's distribution and the trial
//! balance.
//!
//! Every change is a signed command sent as the other verbs send theirs: the treasurer's (admin)
//! key signs what a treasurer does, each member's and business's own key (written to `--keys`)
//! signs what it does. Nothing touches the database. Before the first command,
//! [`preflight::check`] makes sure every name the demo uses is free, so it seeds the whole
//! community or nothing.
//!
//! In table mode each step prints one line as it completes; in json mode the one document at
//! the end ([`report::DemoReport`]) holds every id and figure.
//!
//! # Layout
//!
//! - `community`: the community as plain data (people, commons, payments, work, rule).
//! - `preflight`: what is checked before anything is written.
//! - `setup`: steps 1–4, the unit, key files, accounts and roles, commons.
//! - `trade`: steps 5–6, agreements, payments, a request, contributions, collect.
//! - `work`: steps 7–8, declarations and stewards' decisions, the rule.
//! - `distribute`: step 9, the period's distribution.
//! - `report`: step 10, the trial balance, where to look next, and the JSON document.

mod community;
mod distribute;
mod preflight;
mod report;
mod setup;
mod trade;
mod work;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use ledger_core::amount::{Amount, Scale};
use ledger_core::chamber::Period;
use ledger_core::names::UnitCode;

use super::Context;
use crate::client::Client;
use crate::error::CliError;
use crate::output::{self, Mode};

/// `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The unit to create (scale 2); it must not exist yet.
    #[arg(long, value_name = "CODE", default_value = "COMMUN")]
    unit: UnitCode,
    /// Where to write one key file per account (created if missing; no file is overwritten).
    #[arg(long, value_name = "DIR", default_value = "demo-keys")]
    keys: PathBuf,
    /// The month of the agreements, contributions, declarations and rule, YYYY-MM, begun or
    /// past. Default: the current month (UTC).
    #[arg(long, value_parser = Period::parse)]
    period: Option<Period>,
}

/// What every step works with.
pub struct Demo {
    /// `--server`, for the accounts' own connections.
    server: String,
    /// `--output`: step lines are printed in table mode only.
    mode: Mode,
    /// The admin and treasurer's client.
    admin: Client,
    /// The demo unit.
    unit: UnitCode,
    /// Its scale, [`community::SCALE_PLACES`].
    scale: Scale,
    /// The period everything is counted in.
    period: Period,
    /// The key files' directory.
    keys: PathBuf,
    /// Each account's own client, acting with its key (filled by the keys step).
    holders: BTreeMap<&'static str, Client>,
}

impl Demo {
    /// Prints a step's line in table mode (json mode prints only the final document).
    fn say(&self, line: &str) -> Result<(), CliError> {
        match self.mode {
            Mode::Table => output::raw(line),
            Mode::Json => Ok(()),
        }
    }

    /// The client acting with `handle`'s key.
    fn holder(&self, handle: &str) -> &Client {
        self.holders.get(handle).expect("the keys step connects every account of the community")
    }

    /// One of the community's amounts at the demo unit's scale.
    fn amount(&self, text: &str) -> Amount {
        Amount::parse(text, self.scale).expect("the community's amounts are valid at its scale (see its tests)")
    }

    /// An amount as the wire and the report write it.
    fn format(&self, amount: Amount) -> String {
        amount.format(self.scale)
    }
}

/// Runs `demo`.
pub async fn run(args: DemoArgs, ctx: &Context) -> Result<(), CliError> {
    let period = match args.period {
        Some(period) => period,
        None => current_period()?,
    };
    let admin = ctx.connect().await?;
    preflight::check(&admin, &args.unit, period, &args.keys).await?;
    let scale = Scale::new(community::SCALE_PLACES).expect("the community's scale is valid");
    let mut demo = Demo {
        server: ctx.server.clone(),
        mode: ctx.mode,
        admin,
        unit: args.unit,
        scale,
        period,
        keys: args.keys,
        holders: BTreeMap::new(),
    };
    let unit = setup::unit(&demo).await?;
    let keys = setup::keys(&mut demo).await?;
    let accounts = setup::accounts(&demo, &keys).await?;
    let commons = setup::commons(&demo).await?;
    let agreements = trade::agreements(&demo).await?;
    let trade = trade::exchanges(&demo).await?;
    let declarations = work::declarations(&demo).await?;
    let rule = work::rule(&demo).await?;
    let distribution = distribute::distribute(&demo, &rule).await?;
    let trial_balance = report::trial_balance(&demo).await?;
    let distribution_id = distribution.id().map(str::to_owned);
    let report = report::DemoReport {
        unit,
        period: demo.period.to_string(),
        keys,
        accounts,
        commons,
        agreements,
        trade,
        declarations,
        rule,
        distribution,
        trial_balance,
        next: report::next_steps(&demo, distribution_id.as_deref()),
    };
    ctx.emit(&report)
}

/// The key file of `handle` in `dir`.
fn key_file(dir: &Path, handle: &str) -> PathBuf {
    dir.join(format!("{handle}.key"))
}

/// This month (UTC), by this machine's clock.
fn current_period() -> Result<Period, CliError> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|since| i64::try_from(since.as_millis()).ok())
        .ok_or_else(|| CliError::Failed("the clock is before 1970".into()))?;
    Period::of_timestamp_ms(now_ms).ok_or_else(|| CliError::Failed("the clock is outside years 1000 to 9999".into()))
}
