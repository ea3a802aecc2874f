//! ledgerd: the Commons Ledger server.
//!
//! # Layout
//!
//! - [`config`]: settings from flags, `LEDGER_*` environment variables and an optional TOML file.
//! - [`bootstrap`]: first start: ledger id, node key, admin key, the genesis entry.
//! - [`store`]: the storage trait and its SQLite backend (journal and projections).
//! - [`writer`]: the single task that batches, applies and commits every state change.
//! - [`checkpointer`]: the node key's signed checkpoints of the chain's head.
//! - [`auth`]: authentication of reads (signed metadata) and who may read what.
//! - [`convert`]: proto ⇄ ledger-core conversion, in one place.
//! - [`grpc`]: the Accounts, Transfers and Audit services, health and reflection.
//! - [`error`]: the server's error and its single mapping to a gRPC status.
//! - [`proto`]: generated code.

pub mod auth;
pub mod bootstrap;
pub mod checkpointer;
pub mod config;
pub mod convert;
pub mod error;
pub mod grpc;
pub mod proto;
pub mod store;
pub mod verifier;
pub mod writer;
