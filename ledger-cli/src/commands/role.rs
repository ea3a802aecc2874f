//! `ledgerctl role grant|revoke`: change a holder's roles (admin).

use clap::{Args, Subcommand, ValueEnum};
use ledger_core::account::Role;
use ledger_core::command::Command;
use ledger_core::names::Handle;
use serde::Serialize;

use super::{Context, fresh_request_id};
use crate::error::CliError;
use crate::output::Render;
use crate::proto;
use crate::table::{self, or_dash};

/// Roles.
#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Grants a role. Admin.
    Grant(RoleArgs),
    /// Revokes a role. Admin.
    Revoke(RoleArgs),
}

/// A holder and a role.
#[derive(Debug, Args)]
pub struct RoleArgs {
    /// The holder's handle.
    handle: Handle,
    /// The role.
    #[arg(value_enum)]
    role: RoleArg,
}

/// The roles, as typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Opens accounts, sets limits, reads every account.
    Treasurer,
    /// Validates work declared for a commons.
    Steward,
    /// Reads everything, changes nothing.
    Auditor,
    /// Defines units and grants roles.
    Admin,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Treasurer => Role::Treasurer,
            RoleArg::Steward => Role::Steward,
            RoleArg::Auditor => Role::Auditor,
            RoleArg::Admin => Role::Admin,
        }
    }
}

/// A holder's identity after the change.
#[derive(Debug, Serialize)]
struct IdentityView {
    /// Handle.
    handle: String,
    /// Roles now held.
    roles: Vec<String>,
    /// Hex public keys.
    public_keys: Vec<String>,
}

impl Render for IdentityView {
    fn table(&self) -> String {
        table::fields(&[
            ("account", self.handle.clone()),
            ("roles", or_dash(Some(&self.roles.join(", ")))),
            ("public keys", or_dash(Some(&self.public_keys.join(", ")))),
        ])
    }
}

/// Runs a `role` verb.
pub async fn run(command: RoleCommand, ctx: &Context) -> Result<(), CliError> {
    let (grant, args) = match command {
        RoleCommand::Grant(args) => (true, args),
        RoleCommand::Revoke(args) => (false, args),
    };
    let role = Role::from(args.role);
    let handle = args.handle;
    let command = if grant {
        Command::GrantRole { handle: handle.clone(), role }
    } else {
        Command::RevokeRole { handle: handle.clone(), role }
    };
    let client = ctx.connect().await?;
    let signed = client.sign(fresh_request_id(), command);
    let request = proto::ChangeRoleRequest {
        request_id: signed.request_id,
        handle: handle.as_str().to_owned(),
        role: role.as_str().to_owned(),
        signatures: signed.signatures,
    };
    let mut accounts = client.accounts_commands();
    let identity =
        if grant { accounts.grant_role(request).await? } else { accounts.revoke_role(request).await? }.into_inner();
    ctx.emit(&IdentityView { handle: identity.handle, roles: identity.roles, public_keys: identity.public_keys })
}
