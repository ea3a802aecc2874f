//! The connection to `ledgerd`: the channel, the ledger's id, and typed clients that sign reads
//! and commands with the user's key.

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use ledger_core::clearing::settlement::SET_OFFS_MAX;
use ledger_core::command::Command;
use ledger_core::journal::POSTINGS_MAX;
use ledger_core::keys::SecretKey;
use ledger_core::names::{LedgerId, RequestId};
use tonic::codegen::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use crate::auth::{ReadAuth, Signed, sign_command};
use crate::error::CliError;
use crate::proto::accounts_client::AccountsClient;
use crate::proto::audit_client::AuditClient;
use crate::proto::chamber_client::ChamberClient;
use crate::proto::clearing_client::ClearingClient;
use crate::proto::transfers_client::TransfersClient;
use crate::proto::{self};

/// How long to wait for the TCP (and HTTP/2) connection to the server.
const CONNECT_TIMEOUT_MS: u64 = 5_000;
/// How long any one call may take, so a stuck server never hangs a script.
const REQUEST_TIMEOUT_MS: u64 = 30_000;

/// The largest reply `ledgerctl` takes from the Clearing service: a plan (`RunClearing`) or an
/// applied run (`ApplyClearingRun`, `GetClearingRun`) of the most set-offs one run may carry
/// lists every line (under 320 bytes with the longest handles and amounts) and every
/// participant (as long again: at most two a set-off), so a run at the bound fits with room to
/// spare; tonic's default (4 MiB) would refuse a run of about 40,000 lines.
const CLEARING_REPLY_BYTES_MAX: usize = SET_OFFS_MAX * 1024 + POSTINGS_MAX * 512;
/// The largest request `ledgerctl` sends to the Clearing service: an `ApplyClearingRun` of the
/// most lines one run may carry (each under 128 bytes). The server accepts as much.
const CLEARING_REQUEST_BYTES_MAX: usize = (SET_OFFS_MAX + POSTINGS_MAX) * 128;
/// The largest reply `ledgerctl` takes from the Audit service: an export chunk holds up to a
/// thousand entries, one of which may be a clearing run of the most set-offs (its signed bytes
/// alone are 24 a set-off); the same room as a run's reply.
const AUDIT_REPLY_BYTES_MAX: usize = CLEARING_REPLY_BYTES_MAX;

/// A channel whose calls carry signed read metadata.
pub type Reader = InterceptedService<Channel, ReadAuth>;

/// A connected client of one ledger, acting with one key.
pub struct Client {
    /// The channel to the server; cheap to clone.
    channel: Channel,
    /// The ledger's id, bound into every signature.
    ledger_id: LedgerId,
    /// The user's key.
    key: Arc<SecretKey>,
}

impl Client {
    /// Connects to `url` and asks the server which ledger it serves (the one unauthenticated call).
    pub async fn connect(url: &str, key: SecretKey) -> Result<Self, CliError> {
        let channel = connect_channel(url).await?;
        let ledger = AccountsClient::new(channel.clone()).get_ledger(proto::GetLedgerRequest {}).await?.into_inner();
        let ledger_id = LedgerId::parse(&ledger.ledger_id)
            .map_err(|error| CliError::Failed(format!("the server at {url} sent a bad ledger id: {error}")))?;
        Ok(Self { channel, ledger_id, key: Arc::new(key) })
    }

    /// The ledger's id, bound into every signature.
    pub fn ledger_id(&self) -> LedgerId {
        self.ledger_id
    }

    /// The Accounts service, for reads.
    pub fn accounts(&self) -> AccountsClient<Reader> {
        AccountsClient::new(self.reader())
    }

    /// The Transfers service, for reads.
    pub fn transfers(&self) -> TransfersClient<Reader> {
        TransfersClient::new(self.reader())
    }

    /// The Audit service, for reads.
    pub fn audit(&self) -> AuditClient<Reader> {
        AuditClient::new(self.reader()).max_decoding_message_size(AUDIT_REPLY_BYTES_MAX)
    }

    /// The Clearing service, for reads.
    pub fn clearing(&self) -> ClearingClient<Reader> {
        ClearingClient::new(self.reader())
            .max_decoding_message_size(CLEARING_REPLY_BYTES_MAX)
            .max_encoding_message_size(CLEARING_REQUEST_BYTES_MAX)
    }

    /// The Clearing service, for commands.
    pub fn clearing_commands(&self) -> ClearingClient<Channel> {
        ClearingClient::new(self.channel.clone())
            .max_decoding_message_size(CLEARING_REPLY_BYTES_MAX)
            .max_encoding_message_size(CLEARING_REQUEST_BYTES_MAX)
    }
    /// The Chamber service, for reads.
    pub fn chamber(&self) -> ChamberClient<Reader> {
        ChamberClient::new(self.reader())
    }

    /// The Chamber service, for commands.
    pub fn chamber_commands(&self) -> ChamberClient<Channel> {
        ChamberClient::new(self.channel.clone())
    }

    /// The Accounts service, for commands (authorised by their signatures, not by metadata).
    pub fn accounts_commands(&self) -> AccountsClient<Channel> {
        AccountsClient::new(self.channel.clone())
    }

    /// The Transfers service, for commands.
    pub fn transfers_commands(&self) -> TransfersClient<Channel> {
        TransfersClient::new(self.channel.clone())
    }

    /// Signs `command` under `request_id` with the user's key, for this ledger.
    pub fn sign(&self, request_id: RequestId, command: Command) -> Signed {
        sign_command(self.ledger_id, request_id, command, &self.key)
    }

    fn reader(&self) -> Reader {
        InterceptedService::new(self.channel.clone(), ReadAuth::new(self.ledger_id, self.key.clone()))
    }
}

/// Opens a channel to `url`: its own HTTP/2 connection, with the connect and call timeouts of
/// [`Client::connect`]. Only `http://` URLs are accepted (no TLS in this build).
pub async fn connect_channel(url: &str) -> Result<Channel, CliError> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .map_err(|error| CliError::Config(format!("invalid server URL {url:?}: {error}")))?;
    match endpoint.uri().scheme_str() {
        Some("http") => {}
        // tonic is built without its TLS features in this workspace.
        Some("https") => {
            return Err(CliError::Config(format!(
                "server URL {url:?}: this ledgerctl has no TLS support; use http:// (through \
                 a TLS tunnel or proxy when not on localhost)"
            )));
        }
        _ => {
            return Err(CliError::Config(format!(
                "server URL {url:?} must start with http://, for example http://127.0.0.1:50051"
            )));
        }
    }
    let endpoint = endpoint
        .connect_timeout(Duration::from_millis(CONNECT_TIMEOUT_MS))
        .timeout(Duration::from_millis(REQUEST_TIMEOUT_MS));
    endpoint.connect().await.map_err(|error| CliError::Unreachable { url: url.to_owned(), detail: causes(&error) })
}

/// An error and its causes on one line: tonic's transport error says only "transport error" and
/// keeps the useful part ("Connection refused") in its sources. Layers that repeat their cause's
/// words are shown once.
fn causes(error: &tonic::transport::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}
