//! Units read once, kept for the life of the process.
//!
//! A unit never changes once its entry is committed (no command edits a code, scale or name), so
//! a copy can never go stale, on one server or across replicas. Every payment needs its unit's
//! scale to read its amount; without this each call would cost a database round trip.

use std::collections::HashMap;
use std::sync::RwLock;

use ledger_core::account::Unit;
use ledger_core::names::UnitCode;

/// The units seen so far, by code. Units that do not exist are not remembered: one may be created
/// at any moment.
#[derive(Debug, Default)]
pub(super) struct UnitCache(RwLock<HashMap<UnitCode, Unit>>);

impl UnitCache {
    /// The unit, if it was read before.
    pub(super) fn get(&self, code: &UnitCode) -> Option<Unit> {
        self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(code).cloned()
    }

    /// Keeps a unit read from the database.
    pub(super) fn keep(&self, unit: &Unit) {
        let mut units = self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        units.entry(unit.code.clone()).or_insert_with(|| unit.clone());
    }
}
