//! `ledgerctl key new|show`: make a key file, show a key file's public key. No server needed.

use std::path::PathBuf;

use clap::Subcommand;
use ledger_core::keys::SecretKey;
use serde::Serialize;

use super::Context;
use crate::error::CliError;
use crate::keyfile;
use crate::output::Render;

/// Key files.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Creates a new secret key in FILE (mode 0600) and prints its public key.
    New {
        /// The key file to create; an existing file is never overwritten.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Prints the public key of the --key file.
    Show,
}

/// A public key, and the file that holds its secret.
#[derive(Debug, Serialize)]
struct KeyView {
    /// Lowercase hex, 64 characters.
    public_key: String,
    /// The key file.
    file: String,
}

impl Render for KeyView {
    fn table(&self) -> String {
        // Alone on its line, so `$(ledgerctl key show)` is the key.
        self.public_key.clone()
    }
}

/// Runs a `key` verb.
pub fn run(command: KeyCommand, ctx: &Context) -> Result<(), CliError> {
    let (key, file) = match command {
        KeyCommand::New { out } => {
            let key = keyfile::generate()?;
            keyfile::create(&out, &key)?;
            (key, out)
        }
        KeyCommand::Show => {
            let key = keyfile::load(ctx.key.as_deref())?;
            let file = ctx.key.clone().expect("load succeeded, so a path was given");
            (key, file)
        }
    };
    ctx.emit(&view(&key, file))
}

fn view(key: &SecretKey, file: PathBuf) -> KeyView {
    KeyView { public_key: key.public_key().to_hex(), file: file.display().to_string() }
}
