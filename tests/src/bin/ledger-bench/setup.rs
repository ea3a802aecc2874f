//! The bench's own corner of the ledger: a fresh unit and its accounts, one key each.

use ledger_cli::client::Client;
use ledger_cli::commands::fresh_request_id;
use ledger_cli::error::CliError;
use ledger_cli::keyfile;
use ledger_cli::proto;
use ledger_core::account::AccountKind;
use ledger_core::amount::{Amount, Scale};
use ledger_core::command::Command;
use ledger_core::keys::SecretKey;
use ledger_core::names::{DisplayName, Handle, UnitCode};
use ledger_tests::open_accounts::{AccountTerms, open_accounts};
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
    let terms = AccountTerms {
        ledger_id: admin.ledger_id(),
        admin_key: admin_key.clone(),
        unit: unit.clone(),
        scale,
        kind: AccountKind::Member,
        credit_limit: Amount::from_minor(CREDIT_LIMIT_MINOR).expect("below AMOUNT_MAX"),
    };
    let keys = accounts.iter().map(|account| (account.handle.clone(), account.key.public_key())).collect();
    open_accounts(terms, keys, channels, concurrency as usize).await?;
    Ok(BenchLedger { unit, scale, accounts })
}

/// `BENCH` and four random capital letters: a unit no earlier run used (26^4 choices).
fn fresh_unit_code() -> UnitCode {
    let random = uuid::Uuid::new_v4().as_u128();
    let letters: String = (0..4).map(|n| char::from(b'A' + ((random >> (8 * n)) % 26) as u8)).collect();
    UnitCode::parse(&format!("BENCH{letters}")).expect("capital letters, 9 of them")
}
