//! The bench's own corner of the ledger: a fresh unit and its accounts, one key each.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ledger_cli::auth::sign_command;
use ledger_cli::client::Client;
use ledger_cli::commands::fresh_request_id;
use ledger_cli::error::CliError;
use ledger_cli::keyfile;
use ledger_cli::proto;
use ledger_cli::proto::accounts_client::AccountsClient;
use ledger_core::account::AccountKind;
use ledger_core::amount::{Amount, Scale};
use ledger_core::command::Command;
use ledger_core::keys::{PublicKey, SecretKey};
use ledger_core::names::{DisplayName, Handle, LedgerId, UnitCode};
use tokio::task::JoinSet;
use tonic::transport::Channel;

/// Decimal places of the bench's unit.
const SCALE_PLACES: u32 = 2;
/// Every account's credit limit in minor units (1,000,000,000.00): payments average 5.00, so
/// even a hot account taking part in millions of them stays far from it.
const CREDIT_LIMIT_MINOR: i64 = 100_000_000_000;

/// One account the bench opened, and the key that signs its payments.
pub struct BenchAccount {
    /// Its handle: the unit's code in lowercase, a dash, its index.
    pub handle: Handle,
    /// Its holder's key.
    pub key: SecretKey,
}

/// What the bench created.
pub struct BenchLedger {
    /// The fresh unit, `BENCH` and four random letters.
    pub unit: UnitCode,
    /// Its scale.
    pub scale: Scale,
    /// The accounts, by index; the first `--hot-accounts` of them are the hot ones.
    pub accounts: Vec<BenchAccount>,
}

/// Creates the unit and opens `count` accounts, `concurrency` requests at a time spread over
/// `channels` (the writer batches them, so this takes seconds, not minutes).
pub async fn create(
    admin: &Client,
    admin_key: &SecretKey,
    channels: &[Channel],
    count: u32,
    concurrency: u32,
) -> Result<BenchLedger, CliError> {
    let unit = fresh_unit_code();
    let scale = Scale::new(SCALE_PLACES).expect("2 decimal places is a valid scale");
    let name = DisplayName::parse("ledger-bench").expect("a valid display name");
    let signed = admin.sign(fresh_request_id(), Command::CreateUnit { code: unit.clone(), scale, name: name.clone() });
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

    let prefix = unit.as_str().to_ascii_lowercase();
    let mut accounts = Vec::with_capacity(count as usize);
    for index in 0..count {
        let handle = Handle::parse(&format!("{prefix}-{index:06}")).expect("a lowercase code, a dash and digits");
        accounts.push(BenchAccount { handle, key: keyfile::generate()? });
    }
    let opener = Arc::new(Opener {
        ledger_id: admin.ledger_id(),
        admin_key: admin_key.clone(),
        unit: unit.clone(),
        scale,
        requests: accounts
            .iter()
            .map(|account| (account.handle.clone(), account.key.public_key().to_hex(), account.key.public_key()))
            .collect(),
        next: AtomicUsize::new(0),
    });
    let mut tasks = JoinSet::new();
    for worker in 0..concurrency.min(count) as usize {
        let client = AccountsClient::new(channels[worker % channels.len()].clone());
        tasks.spawn(opener.clone().run(client));
    }
    while let Some(joined) = tasks.join_next().await {
        joined.map_err(|error| CliError::Failed(format!("an account-opening task failed: {error}")))??;
    }
    Ok(BenchLedger { unit, scale, accounts })
}

/// Opens accounts from a shared list until it is exhausted.
struct Opener {
    ledger_id: LedgerId,
    admin_key: SecretKey,
    unit: UnitCode,
    scale: Scale,
    /// Handle, hex public key and public key of each account to open.
    requests: Vec<(Handle, String, PublicKey)>,
    next: AtomicUsize,
}

impl Opener {
    async fn run(self: Arc<Self>, mut client: AccountsClient<Channel>) -> Result<(), CliError> {
        let credit_limit = Amount::from_minor(CREDIT_LIMIT_MINOR).expect("below AMOUNT_MAX");
        loop {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            let Some((handle, public_hex, public_key)) = self.requests.get(index) else {
                return Ok(());
            };
            let command = Command::OpenAccount {
                handle: handle.clone(),
                unit: self.unit.clone(),
                kind: AccountKind::Member,
                name: DisplayName::default(),
                public_key: *public_key,
                credit_limit,
                ceiling: None,
                soft_limit: None,
            };
            let signed = sign_command(self.ledger_id, fresh_request_id(), command, &self.admin_key);
            client
                .open_account(proto::OpenAccountRequest {
                    request_id: signed.request_id,
                    handle: handle.as_str().to_owned(),
                    unit: self.unit.as_str().to_owned(),
                    kind: AccountKind::Member.as_str().to_owned(),
                    display_name: String::new(),
                    public_key: public_hex.clone(),
                    credit_limit: credit_limit.format(self.scale),
                    ceiling: String::new(),
                    soft_limit: String::new(),
                    signatures: signed.signatures,
                })
                .await?;
        }
    }
}

/// `BENCH` and four random capital letters: a unit no earlier run used (26^4 choices).
fn fresh_unit_code() -> UnitCode {
    let random = uuid::Uuid::new_v4().as_u128();
    let letters: String = (0..4).map(|n| char::from(b'A' + ((random >> (8 * n)) % 26) as u8)).collect();
    UnitCode::parse(&format!("BENCH{letters}")).expect("capital letters, 9 of them")
}
