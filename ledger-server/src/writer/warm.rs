//! What the writer keeps between batches: the accounts, identities, keys and units its batches
//! loaded or changed, exactly as committed.
//!
//! A batch takes what it names from here before loading, so the database is asked only for the
//! rest: at a few hundred payments a batch, reading back the same accounts, roles and keys was a
//! statement per kind of row returning hundreds of rows, a third of the batch's time. Records are
//! moved, not copied: into the batch's state at its start, back when it has committed.
//!
//! Held records are the truth only at the head they were committed at. Every state change is a
//! journal entry, so a batch that finds the head where the writer's last commit left it finds
//! these records current; a head moved by anyone else (another replica on the same PostgreSQL
//! database) means they may not be, and they are dropped. So are they after any failure, whose
//! outcome may be unknown.

use std::collections::HashMap;

use ledger_core::account::{Account, Unit};
use ledger_core::command::References;
use ledger_core::journal::EntryHash;
use ledger_core::keys::PublicKey;
use ledger_core::names::{Handle, UnitCode};
use ledger_core::state::{Identity, KeyOwner, State};

/// Most accounts held. Past it, everything is dropped and the cache fills again: a bound on memory
/// (a few hundred bytes per member) at the price of a batch's reads after each drop.
pub(super) const WARM_ACCOUNTS_MAX: usize = 32_768;

/// Records current at `head`.
#[derive(Default)]
pub(super) struct Warm {
    /// The head these records are current at; `None` while nothing is held.
    head: Option<(u64, EntryHash)>,
    accounts: HashMap<Handle, Account>,
    identities: HashMap<Handle, Identity>,
    keys: HashMap<PublicKey, KeyOwner>,
    units: HashMap<UnitCode, Unit>,
}

impl Warm {
    /// Moves into `state` what is held of what `refs` names, with every unit held (a unit never
    /// changes, and an account comes with its unit), if the records are current at `head`;
    /// drops them otherwise. Called inside the batch's transaction, once its head is read.
    pub(super) fn lend(&mut self, head: (u64, EntryHash), state: &mut State, refs: &References) {
        if self.head != Some(head) {
            self.forget();
            return;
        }
        state.units.extend(self.units.drain());
        for handle in &refs.handles {
            if let Some((handle, account)) = self.accounts.remove_entry(handle) {
                state.accounts.insert(handle, account);
            }
            if let Some((handle, identity)) = self.identities.remove_entry(handle) {
                // As a load brings them: an identity with the owner record of each active key.
                for key in &identity.keys {
                    let owner =
                        self.keys.remove(key).unwrap_or_else(|| KeyOwner { handle: handle.clone(), revoked: false });
                    state.keys.insert(*key, owner);
                }
                state.identities.insert(handle, identity);
            }
        }
        for key in &refs.keys {
            if let Some((key, owner)) = self.keys.remove_entry(key) {
                state.keys.insert(key, owner);
            }
        }
    }

    /// Takes back the records of a batch that committed at `head` (or committed nothing and read
    /// them at `head`): they are the truth there, after [`Warm::lend`] found the held ones current.
    /// What the batch did not take is current there too: a batch changes only what it loaded.
    pub(super) fn keep(&mut self, head: (u64, EntryHash), state: State) {
        self.head = Some(head);
        self.units.extend(state.units);
        self.accounts.extend(state.accounts);
        self.identities.extend(state.identities);
        self.keys.extend(state.keys);
        if self.accounts.len() > WARM_ACCOUNTS_MAX {
            self.forget();
        }
    }

    /// Drops everything held.
    pub(super) fn forget(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use ledger_core::command::References;
    use ledger_core::journal::EntryHash;
    use ledger_core::keys::SecretKey;
    use ledger_core::names::Handle;
    use ledger_core::state::{Identity, KeyOwner, State};

    use super::Warm;

    /// A state holding `handle`'s identity with one key, as a batch leaves it.
    fn committed(handle: &Handle, seed: u8) -> State {
        let key = SecretKey::from_seed([seed; 32]).public_key();
        let mut state = State::new();
        state.identities.insert(handle.clone(), Identity { keys: [key].into(), ..Identity::default() });
        state.keys.insert(key, KeyOwner { handle: handle.clone(), revoked: false });
        state
    }

    fn naming(handle: &Handle) -> References {
        References { handles: vec![handle.clone()], ..References::default() }
    }

    #[test]
    fn a_batch_at_the_head_of_the_last_commit_takes_what_it_names_and_nothing_else() {
        let (alice, bob) = (Handle::parse("alice").unwrap(), Handle::parse("bob").unwrap());
        let head = (7, EntryHash([7; 32]));
        let mut state = committed(&alice, 1);
        let bobs = committed(&bob, 2);
        state.identities.extend(bobs.identities);
        state.keys.extend(bobs.keys);
        let mut warm = Warm::default();
        warm.keep(head, state.clone());

        let mut batch = State::new();
        warm.lend(head, &mut batch, &naming(&alice));
        assert_eq!(batch.identities.get(&alice), state.identities.get(&alice));
        assert_eq!(batch.keys.len(), 1, "alice's key comes with her identity: {:?}", batch.keys);
        assert!(!batch.identities.contains_key(&bob));

        // Bob was not lent, so he is still held once the batch commits at a later head.
        let later = (8, EntryHash([8; 32]));
        warm.keep(later, batch);
        let mut next = State::new();
        warm.lend(later, &mut next, &naming(&bob));
        assert_eq!(next.identities.get(&bob), state.identities.get(&bob));
    }

    #[test]
    fn a_head_moved_by_someone_else_drops_everything_held() {
        let alice = Handle::parse("alice").unwrap();
        let mut warm = Warm::default();
        warm.keep((7, EntryHash([7; 32])), committed(&alice, 1));

        let mut batch = State::new();
        warm.lend((9, EntryHash([9; 32])), &mut batch, &naming(&alice));
        assert!(batch.identities.is_empty() && batch.keys.is_empty(), "stale records lent: {batch:?}");
        // Nothing is held any more, even at the old head.
        warm.lend((7, EntryHash([7; 32])), &mut batch, &naming(&alice));
        assert!(batch.identities.is_empty());
    }

    #[test]
    fn forgetting_after_a_failure_leaves_nothing_to_lend() {
        let alice = Handle::parse("alice").unwrap();
        let head = (7, EntryHash([7; 32]));
        let mut warm = Warm::default();
        warm.keep(head, committed(&alice, 1));
        warm.forget();
        let mut batch = State::new();
        warm.lend(head, &mut batch, &naming(&alice));
        assert!(batch.identities.is_empty());
    }
}
