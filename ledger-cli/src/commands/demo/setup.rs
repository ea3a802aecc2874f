//! Steps 1–4: the unit, one key file per account, the accounts and the stewards' role, and the
//! four commons with their stewards.

use ledger_core::account::{AccountKind, Role};
use ledger_core::chamber::{Commons, CommonsKind, CommonsName, Description, RulesOfUse, Stewards};
use ledger_core::command::Command;
use ledger_core::keys::PublicKey;
use ledger_core::names::{DisplayName, Handle};
use serde::Serialize;

use super::community::{BUSINESSES, COMMONS, MEMBERS, handles, stewards};
use super::{Demo, key_file};
use crate::client::Client;
use crate::commands::fresh_request_id;
use crate::error::CliError;
use crate::keyfile;
use crate::proto;

/// The unit as created.
#[derive(Debug, Serialize)]
pub struct UnitReport {
    code: String,
    scale: u32,
    /// Its commons fund.
    fund_account: String,
}

/// An account's key file.
#[derive(Debug, Serialize)]
pub struct KeyReport {
    account: String,
    /// The secret key's file (mode 0600), for `--key`.
    file: String,
    /// Hex.
    public_key: String,
}

/// An account as opened.
#[derive(Debug, Serialize)]
pub struct AccountReport {
    handle: String,
    /// member or business.
    kind: String,
    display_name: String,
    credit_limit: String,
    /// Roles granted by the demo.
    roles: Vec<String>,
}

/// A commons as registered.
#[derive(Debug, Serialize)]
pub struct CommonsReport {
    name: String,
    kind: String,
    stewards: Vec<String>,
}

/// Step 1: the unit, at the community's scale; its fund opens with it.
pub async fn unit(demo: &Demo) -> Result<UnitReport, CliError> {
    let name = DisplayName::parse("Demo community").expect("a short printable name");
    let command = Command::CreateUnit { code: demo.unit.clone(), scale: demo.scale, name: name.clone() };
    let signed = demo.admin.sign(fresh_request_id(), command);
    let unit = demo
        .admin
        .accounts_commands()
        .create_unit(proto::CreateUnitRequest {
            request_id: signed.request_id,
            code: demo.unit.to_string(),
            scale: u32::from(demo.scale.places()),
            display_name: name.as_str().to_owned(),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    demo.say(&format!(
        "1. unit {} created (scale {}); its commons fund is {}",
        unit.code, unit.scale, unit.fund_account
    ))?;
    Ok(UnitReport { code: unit.code, scale: unit.scale, fund_account: unit.fund_account })
}

/// Step 2: a new key per account, written to its file (mode 0600, never over an existing file),
/// and a connection acting with it.
pub async fn keys(demo: &mut Demo) -> Result<Vec<KeyReport>, CliError> {
    create_dir(&demo.keys)?;
    let mut reports = Vec::new();
    for handle in handles() {
        let key = keyfile::generate()?;
        let file = key_file(&demo.keys, handle);
        keyfile::create(&file, &key)?;
        reports.push(KeyReport {
            account: handle.to_owned(),
            file: file.display().to_string(),
            public_key: key.public_key().to_hex(),
        });
        demo.holders.insert(handle, Client::connect(&demo.server, key).await?);
    }
    demo.say(&format!("2. keys: {} key files in {} (mode 0600), one per account", reports.len(), demo.keys.display()))?;
    Ok(reports)
}

/// The keys' directory, created owner-only when missing.
fn create_dir(dir: &std::path::Path) -> Result<(), CliError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|error| CliError::Config(format!("--keys: cannot create {}: {error}", dir.display())))
}

/// Step 3: the members' and businesses' accounts with their credit limits, then the steward role
/// for every member who looks after a commons.
pub async fn accounts(demo: &Demo, keys: &[KeyReport]) -> Result<Vec<AccountReport>, CliError> {
    let people = MEMBERS.iter().map(|m| (m.handle, m.name, m.credit_limit, AccountKind::Member));
    let businesses = BUSINESSES.iter().map(|b| (b.handle, b.name, b.credit_limit, AccountKind::Business));
    let mut reports = Vec::new();
    for (handle, name, credit_limit, kind) in people.chain(businesses) {
        let key = keys.iter().find(|k| k.account == handle).expect("the keys step made a key per account");
        let public_key = PublicKey::parse(&key.public_key).expect("a key this run made");
        let account = open(demo, handle, name, credit_limit, kind, public_key).await?;
        reports.push(AccountReport {
            handle: account.handle,
            kind: account.kind,
            display_name: account.display_name,
            credit_limit: account.credit_limit,
            roles: Vec::new(),
        });
    }
    let stewards = stewards();
    for steward in &stewards {
        let identity = grant(demo, steward, Role::Steward).await?;
        if let Some(report) = reports.iter_mut().find(|r| r.handle == identity.handle) {
            report.roles = identity.roles;
        }
    }
    let of_kind = |kind: &str| -> String {
        reports.iter().filter(|r| r.kind == kind).map(|r| r.handle.as_str()).collect::<Vec<_>>().join(", ")
    };
    demo.say(&format!(
        "3. accounts: members {} and businesses {}; stewards {}",
        of_kind("member"),
        of_kind("business"),
        stewards.join(", ")
    ))?;
    Ok(reports)
}

async fn open(
    demo: &Demo,
    handle: &str,
    name: &str,
    credit_limit: &str,
    kind: AccountKind,
    public_key: PublicKey,
) -> Result<proto::Account, CliError> {
    let handle = Handle::parse(handle).expect("the community's handles are valid (see its tests)");
    let name = DisplayName::parse(name).expect("the community's names are valid");
    let credit_limit = demo.amount(credit_limit);
    let command = Command::OpenAccount {
        handle: handle.clone(),
        unit: demo.unit.clone(),
        kind,
        name: name.clone(),
        public_key,
        credit_limit,
        ceiling: None,
        soft_limit: None,
    };
    let signed = demo.admin.sign(fresh_request_id(), command);
    let account = demo
        .admin
        .accounts_commands()
        .open_account(proto::OpenAccountRequest {
            request_id: signed.request_id,
            handle: handle.to_string(),
            unit: demo.unit.to_string(),
            kind: kind.as_str().to_owned(),
            display_name: name.as_str().to_owned(),
            public_key: public_key.to_hex(),
            credit_limit: demo.format(credit_limit),
            ceiling: String::new(),
            soft_limit: String::new(),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    Ok(account)
}

async fn grant(demo: &Demo, handle: &str, role: Role) -> Result<proto::Identity, CliError> {
    let handle = Handle::parse(handle).expect("the community's handles are valid (see its tests)");
    let signed = demo.admin.sign(fresh_request_id(), Command::GrantRole { handle: handle.clone(), role });
    let identity = demo
        .admin
        .accounts_commands()
        .grant_role(proto::ChangeRoleRequest {
            request_id: signed.request_id,
            handle: handle.to_string(),
            role: role.as_str().to_owned(),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    Ok(identity)
}

/// Step 4: the four commons, their stewards, descriptions and rules of use.
pub async fn commons(demo: &Demo) -> Result<Vec<CommonsReport>, CliError> {
    let mut reports = Vec::new();
    for entry in COMMONS {
        let valid = "the community's commons are valid (see its tests)";
        let stewards = entry.stewards.iter().map(|s| Handle::parse(s).expect(valid));
        let commons = Commons {
            name: CommonsName::parse(entry.name).expect(valid),
            kind: CommonsKind::parse(entry.kind).expect(valid),
            description: Description::parse(entry.description).expect(valid),
            rules_of_use: RulesOfUse::parse(entry.rules_of_use).expect(valid),
            stewards: Stewards::new(stewards).expect(valid),
        };
        let wire = proto::Commons {
            name: commons.name.to_string(),
            kind: commons.kind.to_string(),
            description: commons.description.as_str().to_owned(),
            rules_of_use: commons.rules_of_use.as_str().to_owned(),
            stewards: commons.stewards.iter().map(Handle::to_string).collect(),
        };
        let signed = demo.admin.sign(fresh_request_id(), Command::AddCommons { commons });
        let added = demo
            .admin
            .chamber_commands()
            .add_commons(proto::AddCommonsRequest {
                request_id: signed.request_id,
                commons: Some(wire),
                signatures: signed.signatures,
            })
            .await?
            .into_inner();
        reports.push(CommonsReport { name: added.name, kind: added.kind, stewards: added.stewards });
    }
    let listed: Vec<String> =
        reports.iter().map(|c| format!("{} ({}, {})", c.name, c.kind, c.stewards.join("+"))).collect();
    demo.say(&format!("4. commons: {}", listed.join(", ")))?;
    Ok(reports)
}
