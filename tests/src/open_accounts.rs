//! Many accounts opened at once, for the load tools (`ledger-bench`, `clearing-load`): each
//! `OpenAccount` signed by the admin, several calls in flight so the writer batches them (seconds
//! for 100,000 accounts, not minutes).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ledger_cli::auth::sign_command;
use ledger_cli::commands::fresh_request_id;
use ledger_cli::error::CliError;
use ledger_cli::proto;
use ledger_cli::proto::accounts_client::AccountsClient;
use ledger_core::account::AccountKind;
use ledger_core::amount::{Amount, Scale};
use ledger_core::command::Command;
use ledger_core::keys::{PublicKey, SecretKey};
use ledger_core::names::{DisplayName, Handle, LedgerId, UnitCode};
use tokio::task::JoinSet;
use tonic::transport::Channel;

/// What every account opened together shares.
#[derive(Clone)]
pub struct AccountTerms {
    /// The ledger the commands are signed for.
    pub ledger_id: LedgerId,
    /// A key with the treasurer role.
    pub admin_key: SecretKey,
    /// The accounts' unit.
    pub unit: UnitCode,
    /// Its scale, to write the credit limit.
    pub scale: Scale,
    /// Member or business.
    pub kind: AccountKind,
    /// Each account's credit limit.
    pub credit_limit: Amount,
}

/// Opens an account per (handle, key), `concurrency` calls in flight spread over `channels`.
pub async fn open_accounts(
    terms: AccountTerms,
    accounts: Vec<(Handle, PublicKey)>,
    channels: &[Channel],
    concurrency: usize,
) -> Result<(), CliError> {
    let opener = Arc::new(Opener { terms, accounts, next: AtomicUsize::new(0) });
    let mut tasks = JoinSet::new();
    for worker in 0..concurrency.min(opener.accounts.len()) {
        let client = AccountsClient::new(channels[worker % channels.len()].clone());
        tasks.spawn(opener.clone().run(client));
    }
    while let Some(joined) = tasks.join_next().await {
        joined.map_err(|error| CliError::Failed(format!("an account-opening task failed: {error}")))??;
    }
    Ok(())
}

/// The shared list the workers take accounts from, until it is exhausted.
struct Opener {
    terms: AccountTerms,
    accounts: Vec<(Handle, PublicKey)>,
    next: AtomicUsize,
}

impl Opener {
    async fn run(self: Arc<Self>, mut client: AccountsClient<Channel>) -> Result<(), CliError> {
        let terms = &self.terms;
        while let Some((handle, public_key)) = self.accounts.get(self.next.fetch_add(1, Ordering::Relaxed)) {
            let command = Command::OpenAccount {
                handle: handle.clone(),
                unit: terms.unit.clone(),
                kind: terms.kind,
                name: DisplayName::default(),
                public_key: *public_key,
                credit_limit: terms.credit_limit,
                ceiling: None,
                soft_limit: None,
            };
            let signed = sign_command(terms.ledger_id, fresh_request_id(), command, &terms.admin_key);
            client
                .open_account(proto::OpenAccountRequest {
                    request_id: signed.request_id,
                    handle: handle.as_str().to_owned(),
                    unit: terms.unit.as_str().to_owned(),
                    kind: terms.kind.as_str().to_owned(),
                    display_name: String::new(),
                    public_key: public_key.to_hex(),
                    credit_limit: terms.credit_limit.format(terms.scale),
                    ceiling: String::new(),
                    soft_limit: String::new(),
                    signatures: signed.signatures,
                })
                .await?;
        }
        Ok(())
    }
}
