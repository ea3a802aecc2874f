//! The pure domain of Commons Ledger: no IO, no async, no protobuf, no SQL.
//!
//! # Layout
//!
//! - [`amount`]: exact amounts in minor units, parsed from and formatted to decimal strings.
//! - [`names`]: handles, unit codes, ids and bounded texts, validated once.
//! - [`keys`]: ed25519 public and secret keys, signatures.
//! - [`account`]: units, accounts, limits, statuses and roles.
//! - [`canonical`]: the byte encoding that signatures and hashes cover.
//! - [`command`]: every state change, and its canonical signed bytes.
//! - [`refusal`]: every reason a command is refused, with its class and reason code.
//! - [`state`]: the ledger state and `apply`, which turns a command into postings or a refusal.
//! - [`transfer`]: transfers (payments, requests, reversals) and where each stands.
//! - [`import`]: bulk import of transfers from another system, one signature per batch.
//! - [`invoice`]: invoices (trade credit outside the balances) and where each stands.
//! - [`date`]: calendar dates, for due dates.
//! - [`journal`]: entries, postings and the hash chain.
//! - [`history`]: which account histories an entry belongs to, and how it reads in each.
//! - [`replay`]: rebuilding and checking the state from a journal.
//! - [`archive`]: what a replay looks up by id instead of holding (transfers, request ids used).
//! - [`entry_signatures`]: entry signatures checked in batches.
//! - [`audit`]: the whole journal checked on every core, first error in journal order.
//! - [`checkpoint`]: the node key's signed statement of the chain's head at an entry.
//! - [`read_auth`]: the signed statement that authenticates reads.
//! - [`clearing`]: the largest multilateral set-off of invoices, solved exactly, with a certificate.
//! - [`chamber`]: the chamber of the commons: registry, contributions, declared work, remuneration
//!   rules and the exact allocation of a period's pool.

pub mod account;
pub mod amount;
pub mod archive;
pub mod audit;
pub mod canonical;
pub mod chamber;
pub mod checkpoint;
pub mod clearing;
pub mod command;
pub mod date;
pub mod entry_signatures;
pub mod history;
pub mod import;
pub mod invoice;
pub mod journal;
pub mod keys;
pub mod names;
pub mod read_auth;
pub mod refusal;
pub mod replay;
pub mod state;
pub mod transfer;
