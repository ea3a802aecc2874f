//! Property tests of `ledger-core`: what must hold for every input, not just the examples in the
//! unit tests.
//!
//! # Layout
//!
//! - `support`: deterministic keys and ids, and strategies for valid domain values and commands.
//! - `model`: an independent model of the ledger, written from the documented rules.
//! - `scenario`: random ledgers and command sequences, built into signed commands.
//! - `run`: runs a scenario against both the model and `State::apply`, checking conservation,
//!   limits and the rest after every command.
//! - `replay`: a journal sealed from such a run replays to the live state, and any tampered entry
//!   fails replay at that entry.
//! - `canonical`: signed bytes decode to what was encoded, are injective and strictly delimited.
//! - `amounts`: parsing and formatting amounts round-trip, and anything else is refused.
//! - `signatures`: a signature covers every field, the ledger id and the request id.
//! - `workflows`: payment requests and reversals in any order keep the ledger whole and replay.
//! - `import`: an import is exactly its rows paid in order, or refused at the first that would be.

#[path = "properties/amounts.rs"]
mod amounts;
#[path = "properties/canonical.rs"]
mod canonical;
#[path = "properties/import.rs"]
mod import;
#[path = "properties/model.rs"]
mod model;
#[path = "properties/replay.rs"]
mod replay;
#[path = "properties/run.rs"]
mod run;
#[path = "properties/scenario.rs"]
mod scenario;
#[path = "properties/signatures.rs"]
mod signatures;
#[path = "properties/support.rs"]
mod support;
#[path = "properties/workflows.rs"]
mod workflows;
