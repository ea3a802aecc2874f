//! `ledgerctl`: the Commons Ledger command line (see the library's docs for the layout).
//!
//! Exit codes: 0 done, 1 refused or failed (the server said no, or could not be reached),
//! 2 usage or configuration error. Data goes to stdout, messages to stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ledger_cli::{commands, output};

use ledger_cli::commands::Context;
use ledger_cli::commands::account::AccountCommand;
use ledger_cli::commands::audit::AuditCommand;
use ledger_cli::commands::balance::BalanceArgs;
use ledger_cli::commands::batch::PayManyArgs;
use ledger_cli::commands::chamber::ChamberCommand;
use ledger_cli::commands::clearing::ClearingCommand;
use ledger_cli::commands::feed::FeedArgs;
use ledger_cli::commands::history::HistoryArgs;
use ledger_cli::commands::import::ImportCommand;
use ledger_cli::commands::key::KeyCommand;
use ledger_cli::commands::pay::PayArgs;
use ledger_cli::commands::request::{AnswerArgs, RequestArgs, RequestsArgs};
use ledger_cli::commands::reverse::ReverseArgs;
use ledger_cli::commands::role::RoleCommand;
use ledger_cli::commands::unit::UnitCommand;
use ledger_cli::error::CliError;
use ledger_cli::output::Mode;
use ledger_core::transfer::Answer;

/// The Commons Ledger command line.
#[derive(Debug, Parser)]
#[command(name = "ledgerctl", version, about, max_term_width = 100)]
struct Cli {
    /// The ledger server's URL.
    #[arg(long, global = true, env = "LEDGER_SERVER", default_value = "http://127.0.0.1:50051", value_name = "URL")]
    server: String,
    /// Your secret key file (from `ledgerctl key new`).
    #[arg(long, global = true, env = "LEDGER_KEY", value_name = "FILE")]
    key: Option<PathBuf>,
    /// How to print results: aligned columns, or one JSON document.
    #[arg(long, global = true, value_enum, default_value_t = Mode::Table)]
    output: Mode,
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Debug, Subcommand)]
enum Verb {
    /// Secret key files.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Units of account.
    #[command(subcommand)]
    Unit(UnitCommand),
    /// Accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Roles: treasurer, steward, auditor, admin.
    #[command(subcommand)]
    Role(RoleCommand),
    /// Pays PAYEE from PAYER, signed with --key.
    Pay(PayArgs),
    /// Many payments from a CSV file in one call; --atomic commits all or none.
    PayMany(PayManyArgs),
    /// Asks PAYER to pay PAYEE, signed by the payee with --key: a pending request.
    Request(RequestArgs),
    /// Accepts a pending request, signed by its payer: the value moves now.
    Accept(AnswerArgs),
    /// Rejects a pending request, signed by its payer.
    Reject(AnswerArgs),
    /// Lists the pending requests an account pays or receives.
    Requests(RequestsArgs),
    /// Undoes a committed transfer with a transfer back: by its payee or a treasurer.
    Reverse(ReverseArgs),
    /// An account's balance and limits.
    Balance(BalanceArgs),
    /// The entries that touched an account, newest first.
    History(HistoryArgs),
    /// Follows committed entries as they happen, for one account or all.
    Feed(FeedArgs),
    /// Audits.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The chamber of the commons: the commons registry and declarations of work.
    #[command(subcommand)]
    Chamber(ChamberCommand),
    /// The clearing house.
    #[command(subcommand)]
    Clearing(ClearingCommand),
    /// Moves history in from another system (treasurer).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Seeds a sample community on --server (admin and treasurer key): a whole period.
    Demo(commands::demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = Context { server: cli.server, key: cli.key, mode: cli.output };
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| CliError::Failed(format!("cannot start the async runtime: {error}")))
        .and_then(|runtime| runtime.block_on(run(cli.verb, &ctx)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            output::report_error(ctx.mode, &error);
            ExitCode::from(error.exit_code())
        }
    }
}

async fn run(verb: Verb, ctx: &Context) -> Result<(), CliError> {
    match verb {
        Verb::Key(command) => commands::key::run(command, ctx),
        Verb::Unit(command) => commands::unit::run(command, ctx).await,
        Verb::Account(command) => commands::account::run(command, ctx).await,
        Verb::Role(command) => commands::role::run(command, ctx).await,
        Verb::Pay(args) => commands::pay::run(args, ctx).await,
        Verb::PayMany(args) => commands::batch::run(args, ctx).await,
        Verb::Request(args) => commands::request::request(args, ctx).await,
        Verb::Accept(args) => commands::request::answer(args, Answer::Accept, ctx).await,
        Verb::Reject(args) => commands::request::answer(args, Answer::Reject, ctx).await,
        Verb::Requests(args) => commands::request::list(args, ctx).await,
        Verb::Reverse(args) => commands::reverse::run(args, ctx).await,
        Verb::Balance(args) => commands::balance::run(args, ctx).await,
        Verb::History(args) => commands::history::run(args, ctx).await,
        Verb::Feed(args) => commands::feed::run(args, ctx).await,
        Verb::Audit(command) => commands::audit::run(command, ctx).await,
        Verb::Clearing(command) => commands::clearing::run(command, ctx).await,
        Verb::Chamber(command) => commands::chamber::run(command, ctx).await,
        Verb::Import(command) => commands::import::run(command, ctx).await,
        Verb::Demo(args) => commands::demo::run(args, ctx).await,
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
