//! `ledgerctl`: the Commons Ledger command line. A thin front over the gRPC API that signs
//! commands and reads locally with the user's key; it never touches the database.
//!
//! Exit codes: 0 done, 1 refused or failed (the server said no, or could not be reached),
//! 2 usage or configuration error. Data goes to stdout, messages to stderr.
//!
//! # Layout
//!
//! - `main.rs` (the binary): the command line (clap), dispatch, exit codes.
//! - [`commands`]: one file per verb group, and the global [`commands::Context`].
//! - [`client`]: connecting, the ledger id, typed service clients.
//! - [`auth`]: signed read metadata and command signatures.
//! - [`keyfile`]: creating and reading secret key files.
//! - [`output`]: stdout/stderr, json or table; [`table`]: aligned text.
//! - [`error`]: the error type, its exit code and JSON error document.
//! - [`proto`]: the generated gRPC client.

pub mod auth;
pub mod client;
pub mod commands;
pub mod error;
pub mod keyfile;
pub mod output;
pub mod proto;
pub mod table;
