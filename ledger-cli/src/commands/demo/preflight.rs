//! What is checked before the demo writes anything, so that it either seeds the whole community
//! or nothing: the key's roles, the period, and that the unit, the accounts, the commons and the
//! key files are all still free. Each obstacle is a usage or configuration error (exit 2) that
//! names the flag to change.

use std::path::Path;

use ledger_core::chamber::Period;
use ledger_core::names::UnitCode;

use super::community::{COMMONS, handles};
use crate::client::Client;
use crate::error::CliError;
use crate::proto;

/// Checks everything the demo needs before its first command.
pub async fn check(admin: &Client, unit: &UnitCode, period: Period, keys: &Path) -> Result<(), CliError> {
    let now = super::current_period()?;
    if period > now {
        return Err(CliError::Usage(format!(
            "--period {period}: that month has not begun (it is {now}), and contributions are collected only \
             for a begun or past month"
        )));
    }
    roles(admin).await?;
    unit_is_free(admin, unit).await?;
    for handle in handles() {
        let request = proto::GetAccountRequest { name: handle.to_owned() };
        if !free(admin.accounts().get_account(request).await)? {
            return Err(CliError::Usage(format!(
                "account {handle} exists already: the demo opens {} and needs every one of those handles \
                 free (run it on a fresh ledger)",
                handles().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    for commons in COMMONS {
        let request = proto::GetCommonsRequest { name: commons.name.to_owned() };
        if !free(admin.chamber().get_commons(request).await)? {
            return Err(CliError::Usage(format!(
                "commons {} exists already: the demo registers its own commons (run it on a fresh ledger)",
                commons.name
            )));
        }
    }
    for handle in handles() {
        let file = super::key_file(keys, handle);
        if file.symlink_metadata().is_ok() {
            return Err(CliError::Usage(format!(
                "--keys {}: {} exists already and a key file is never overwritten; give another directory",
                keys.display(),
                file.display()
            )));
        }
    }
    Ok(())
}

/// The demo's key must define the unit and grant roles (admin) and open accounts, register
/// commons, set agreements, collect and propose the rule (treasurer).
async fn roles(admin: &Client) -> Result<(), CliError> {
    let me = admin.accounts().who_am_i(proto::WhoAmIRequest {}).await?.into_inner();
    let missing: Vec<&str> =
        ["admin", "treasurer"].into_iter().filter(|role| !me.roles.iter().any(|held| held == role)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(CliError::Config(format!(
        "--key: {} lacks the {} role{}; the demo needs a key with both admin and treasurer, such as the \
         first admin key ledgerd wrote (ledger-data/admin.key)",
        me.handle,
        missing.join(" and "),
        if missing.len() > 1 { "s" } else { "" }
    )))
}

async fn unit_is_free(admin: &Client, unit: &UnitCode) -> Result<(), CliError> {
    let request = proto::GetUnitRequest { name: unit.to_string() };
    if free(admin.accounts().get_unit(request).await)? {
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "--unit {unit}: the unit exists already, and the demo seeds a fresh one: give another code, or run \
         it on a fresh ledger"
    )))
}

/// Whether a read found nothing: `NOT_FOUND` means free, a found resource means taken, any other
/// failure is reported as it is.
fn free<T>(read: Result<tonic::Response<T>, tonic::Status>) -> Result<bool, CliError> {
    match read {
        Ok(_) => Ok(false),
        Err(status) if status.code() == tonic::Code::NotFound => Ok(true),
        Err(status) => Err(status.into()),
    }
}
