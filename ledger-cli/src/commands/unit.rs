//! `ledgerctl unit create`: define a unit of account (admin).

use clap::Subcommand;
use ledger_core::amount::Scale;
use ledger_core::command::Command;
use ledger_core::names::{DisplayName, UnitCode};
use serde::Serialize;

use super::{Context, fresh_request_id, parse};
use crate::error::CliError;
use crate::output::Render;
use crate::proto;
use crate::table;

/// Units of account.
#[derive(Debug, Subcommand)]
pub enum UnitCommand {
    /// Defines a unit and opens its commons fund `fund-<code>`. Admin.
    Create {
        /// Code: 2 to 12 capital letters or digits, starting with a letter (COMMUN, HOUR).
        code: UnitCode,
        /// Decimal places of its amounts, 0 to 6.
        #[arg(long, value_parser = parse::scale)]
        scale: Scale,
        /// Display name.
        #[arg(long, value_parser = parse::display_name)]
        name: Option<DisplayName>,
    },
}

/// A unit as printed.
#[derive(Debug, Serialize)]
pub struct UnitView {
    /// Code.
    pub code: String,
    /// Decimal places.
    pub scale: u32,
    /// Display name.
    pub display_name: String,
    /// Handle of its commons fund.
    pub fund_account: String,
}

impl From<proto::Unit> for UnitView {
    fn from(unit: proto::Unit) -> Self {
        Self { code: unit.code, scale: unit.scale, display_name: unit.display_name, fund_account: unit.fund_account }
    }
}

impl Render for UnitView {
    fn table(&self) -> String {
        table::fields(&[
            ("unit", self.code.clone()),
            ("scale", self.scale.to_string()),
            ("name", self.display_name.clone()),
            ("fund account", self.fund_account.clone()),
        ])
    }
}

/// Runs a `unit` verb.
pub async fn run(command: UnitCommand, ctx: &Context) -> Result<(), CliError> {
    let UnitCommand::Create { code, scale, name } = command;
    let name = name.unwrap_or_default();
    let client = ctx.connect().await?;
    let signed = client.sign(fresh_request_id(), Command::CreateUnit { code: code.clone(), scale, name: name.clone() });
    let unit = client
        .accounts_commands()
        .create_unit(proto::CreateUnitRequest {
            request_id: signed.request_id,
            code: code.as_str().to_owned(),
            scale: u32::from(scale.places()),
            display_name: name.as_str().to_owned(),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    ctx.emit(&UnitView::from(unit))
}
