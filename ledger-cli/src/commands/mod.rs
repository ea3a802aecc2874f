//! The verbs, one file per group, and what they share: the global options, unit lookups, and
//! parsing of command-line input with the ledger-core parsers.

pub mod account;
pub mod archive_record;
pub mod audit;
pub mod audit_export;
pub mod audit_hex;
pub mod audit_journal;
pub mod audit_lines;
pub mod audit_offline;
pub mod audit_statement;
pub mod balance;
pub mod batch;
pub mod chamber;
pub mod clearing;
pub mod demo;
pub mod feed;
pub mod history;
pub mod import;
pub mod key;
pub mod pay;
pub mod request;
pub mod request_filter;
pub mod reverse;
pub mod role;
pub mod unit;
pub mod verify;
pub mod verify_archive;
pub mod verify_request_index;

use std::path::PathBuf;

use ledger_core::amount::{Amount, AmountError, Scale};
use ledger_core::names::{RequestId, UnitCode};

use crate::client::Client;
use crate::error::CliError;
use crate::keyfile;
use crate::output::{self, Mode, Render};
use crate::proto;

/// The global options every verb runs with.
#[derive(Debug)]
pub struct Context {
    /// `--server`.
    pub server: String,
    /// `--key`.
    pub key: Option<PathBuf>,
    /// `--output`.
    pub mode: Mode,
}

impl Context {
    /// Loads the key and connects to the server; the key first, so a configuration error is
    /// reported without touching the network.
    pub async fn connect(&self) -> Result<Client, CliError> {
        let key = keyfile::load(self.key.as_deref())?;
        Client::connect(&self.server, key).await
    }

    /// Prints a result in the chosen mode.
    pub fn emit<R: Render>(&self, result: &R) -> Result<(), CliError> {
        output::emit(self.mode, result)
    }
}

/// A fresh request id for a command: a UUID of version 7, time-ordered (milliseconds, then
/// random bits), so the ledger's indexes of request and transfer ids grow at their end instead of
/// rewriting pages all over (a few percent to a tenth more payments per second, see BENCHMARKS).
pub fn fresh_request_id() -> RequestId {
    RequestId::from_uuid(uuid::Uuid::now_v7())
}

/// Fetches a unit and its scale.
pub async fn fetch_unit(client: &Client, code: &UnitCode) -> Result<(proto::Unit, Scale), CliError> {
    let unit = client.accounts().get_unit(proto::GetUnitRequest { name: code.as_str().to_owned() }).await?.into_inner();
    let scale = Scale::new(unit.scale)
        .map_err(|error| CliError::Failed(format!("the server sent unit {code} with a bad scale: {error}")))?;
    Ok((unit, scale))
}

/// Parses an amount the user typed, at its unit's scale. A bad amount is the user's input even
/// though checking it needed the server, so it is a usage error.
pub fn user_amount(flag: Option<&str>, text: &str, scale: Scale) -> Result<Amount, CliError> {
    Amount::parse(text, scale).map_err(|error| usage_amount(flag, error))
}

/// Like [`user_amount`], but zero is refused: a transfer's amount.
pub fn user_positive_amount(text: &str, scale: Scale) -> Result<Amount, CliError> {
    Amount::parse_positive(text, scale).map_err(|error| usage_amount(None, error))
}

fn usage_amount(flag: Option<&str>, error: AmountError) -> CliError {
    match flag {
        Some(flag) => CliError::Usage(format!("{flag}: {error}")),
        None => CliError::Usage(error.to_string()),
    }
}

/// Parses an amount the server sent (a limit, a balance), which must be valid at its scale.
pub fn server_amount(what: &str, text: &str, scale: Scale) -> Result<Amount, CliError> {
    Amount::parse(text, scale).map_err(|error| CliError::Failed(format!("the server sent a bad {what}: {error}")))
}

/// Parses a unit code the server sent.
pub fn server_unit(text: &str) -> Result<UnitCode, CliError> {
    UnitCode::parse(text).map_err(|error| CliError::Failed(format!("the server sent a bad unit: {error}")))
}

/// An empty wire string as `None`: the proto's way of saying "none" or "not visible to you".
pub fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// Value parsers that validate command-line input with the ledger-core parsers, so clap reports
/// bad input as a usage error (exit 2) with the parser's message.
pub mod parse {
    use ledger_core::amount::{AmountError, Scale};
    use ledger_core::keys::{KeyError, PublicKey};
    use ledger_core::names::{DisplayName, Memo, NameError, Reason, RequestId};

    /// A unit scale, 0..=6.
    pub fn scale(text: &str) -> Result<Scale, String> {
        let places: u32 =
            text.parse().map_err(|_| format!("scale {text:?} is not a number of decimal places 0..=6"))?;
        Scale::new(places).map_err(|error: AmountError| error.to_string())
    }

    /// A hex ed25519 public key.
    pub fn public_key(text: &str) -> Result<PublicKey, KeyError> {
        PublicKey::parse(text)
    }

    /// A display name.
    pub fn display_name(text: &str) -> Result<DisplayName, NameError> {
        DisplayName::parse(text)
    }

    /// A memo.
    pub fn memo(text: &str) -> Result<Memo, NameError> {
        Memo::parse(text)
    }

    /// A reason.
    pub fn reason(text: &str) -> Result<Reason, NameError> {
        Reason::parse(text)
    }

    /// A UUID used as a request (transfer) id.
    pub fn request_id(text: &str) -> Result<RequestId, NameError> {
        RequestId::parse(text)
    }

    /// A payment request's lifetime such as `500ms`, `30s`, `15m`, `12h` or `7d`, in
    /// milliseconds: positive and at most 366 days.
    pub fn lifetime_ms(text: &str) -> Result<i64, String> {
        use ledger_core::transfer::REQUEST_LIFETIME_MAX_MS;
        let bad = || format!("{text:?} is not a duration such as 500ms, 30s, 15m, 12h or 7d");
        let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (number, suffix) = text.split_at(split);
        let number: i64 = number.parse().map_err(|_| bad())?;
        let unit_ms: i64 = match suffix {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(bad()),
        };
        match number.checked_mul(unit_ms) {
            Some(ms) if (1..=REQUEST_LIFETIME_MAX_MS).contains(&ms) => Ok(ms),
            _ => Err(format!("{text:?}: a request stays open from 1ms to 366d")),
        }
    }
}
