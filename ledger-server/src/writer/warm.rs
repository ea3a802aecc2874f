//! What the writer keeps between batches: the accounts, identities, keys and units its batches
//! loaded or changed, exactly as committed.
//!
//! A batch takes what it names from here before loading, so the database is asked only for the
//! rest: at a few hundred payments a batch, reading back the same accounts, roles and keys was a
//! statement per kind of row returning hundreds of rows, a third of the batch's time. Records are
//! moved, not copied: into the batch's state at its start, back when it has committed.
//!
//! It also holds what batches found absent: the identity of an account that has none (every
//! payment names its unit's fund account, for a levy, and a fund has no identity) and the
//! agreement of a payee that has none. Asked for again, each was a statement a batch that found
//! nothing. Only a journal entry creates either, so an absence is the truth at a head as a record
//! is, and a batch that creates one holds it in its state, which replaces the absence.
//!
//! Held records are the truth only at the head they were committed at. Every state change is a
//! journal entry, so a batch that finds the head where the writer's last commit left it finds
//! these records current; a head moved by anyone else (another replica on the same PostgreSQL
//! database) means they may not be, and they are dropped. So are they after any failure, whose
//! outcome may be unknown.

use std::collections::{HashMap, HashSet};

use ledger_core::account::{Account, Unit};
use ledger_core::chamber::Agreement;
use ledger_core::command::References;
use ledger_core::journal::EntryHash;
use ledger_core::keys::PublicKey;
use ledger_core::names::{Handle, UnitCode};
use ledger_core::state::{Identity, KeyOwner, State};

/// Most accounts held, with absences and agreements counted as accounts. Past it, everything is
/// dropped and the cache fills again: a bound on memory (a few hundred bytes per member) at the
/// price of a batch's reads after each drop.
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
    agreements: HashMap<Handle, Agreement>,
    /// Handles whose identity a batch asked for and did not find.
    without_identity: HashSet<Handle>,
    /// Businesses whose agreement a batch asked for and did not find.
    without_agreement: HashSet<Handle>,
}

impl Warm {
    /// Moves into `state` what is held of what `refs` names, with every unit held (a unit never
    /// changes, and an account comes with its unit), if the records are current at `head`;
    /// drops them otherwise. Then takes out of `refs` what a load would ask for in vain: the
    /// handles whose account is now in `state` and whose identity is too or is known absent, and
    /// the businesses known to have no agreement. Called inside the batch's transaction, once its
    /// head is read.
    pub(super) fn lend(&mut self, head: (u64, EntryHash), state: &mut State, refs: &mut References) {
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
        for business in &refs.agreements {
            if let Some((business, agreement)) = self.agreements.remove_entry(business) {
                state.agreements.insert(business, agreement);
            }
        }
        refs.handles.retain(|handle| {
            let identity_known = state.identities.contains_key(handle) || self.without_identity.contains(handle);
            !(state.accounts.contains_key(handle) && identity_known)
        });
        refs.agreements
            .retain(|business| !state.agreements.contains_key(business) && !self.without_agreement.contains(business));
    }

    /// Takes back the records of a batch that committed at `head` (or committed nothing and read
    /// them at `head`): they are the truth there, after [`Warm::lend`] found the held ones current.
    /// What the batch did not take is current there too: a batch changes only what it loaded.
    /// `loaded` is what the batch's load asked for (`refs` as [`Warm::lend`] left it): what it
    /// did not find, and the batch did not create, is absent at `head`.
    pub(super) fn keep(&mut self, head: (u64, EntryHash), state: State, loaded: &References) {
        self.head = Some(head);
        let without_identity = loaded.handles.iter().filter(|handle| !state.identities.contains_key(*handle));
        self.without_identity.extend(without_identity.cloned());
        let without_agreement = loaded.agreements.iter().filter(|business| !state.agreements.contains_key(*business));
        self.without_agreement.extend(without_agreement.cloned());
        // An absence held from before, which the batch ended by creating the record. Looked up
        // from the batch's records, a few per command, not from every absence held.
        for handle in state.identities.keys() {
            self.without_identity.remove(handle);
        }
        for business in state.agreements.keys() {
            self.without_agreement.remove(business);
        }
        self.units.extend(state.units);
        self.accounts.extend(state.accounts);
        self.identities.extend(state.identities);
        self.keys.extend(state.keys);
        self.agreements.extend(state.agreements);
        let held = self.accounts.len() + self.agreements.len() + self.without_identity.len();
        if held + self.without_agreement.len() > WARM_ACCOUNTS_MAX {
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
    use ledger_core::account::{Account, AccountKind, AccountStatus, Limits};
    use ledger_core::amount::Amount;
    use ledger_core::chamber::{Agreement, BasisPoints, Period};
    use ledger_core::command::References;
    use ledger_core::journal::EntryHash;
    use ledger_core::keys::SecretKey;
    use ledger_core::names::{DisplayName, Handle, UnitCode};
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
        warm.keep(head, state.clone(), &naming(&alice));

        let mut batch = State::new();
        warm.lend(head, &mut batch, &mut naming(&alice));
        assert_eq!(batch.identities.get(&alice), state.identities.get(&alice));
        assert_eq!(batch.keys.len(), 1, "alice's key comes with her identity: {:?}", batch.keys);
        assert!(!batch.identities.contains_key(&bob));

        // Bob was not lent, so he is still held once the batch commits at a later head.
        let later = (8, EntryHash([8; 32]));
        warm.keep(later, batch, &naming(&alice));
        let mut next = State::new();
        warm.lend(later, &mut next, &mut naming(&bob));
        assert_eq!(next.identities.get(&bob), state.identities.get(&bob));
    }

    #[test]
    fn a_head_moved_by_someone_else_drops_everything_held() {
        let alice = Handle::parse("alice").unwrap();
        let mut warm = Warm::default();
        warm.keep((7, EntryHash([7; 32])), committed(&alice, 1), &naming(&alice));

        let mut batch = State::new();
        warm.lend((9, EntryHash([9; 32])), &mut batch, &mut naming(&alice));
        assert!(batch.identities.is_empty() && batch.keys.is_empty(), "stale records lent: {batch:?}");
        // Nothing is held any more, even at the old head.
        warm.lend((7, EntryHash([7; 32])), &mut batch, &mut naming(&alice));
        assert!(batch.identities.is_empty());
    }

    /// A fund's account as a batch leaves it: a system account, with no identity.
    fn fund_account(handle: &Handle) -> Account {
        Account {
            handle: handle.clone(),
            kind: AccountKind::System,
            unit: UnitCode::parse("COMMUN").unwrap(),
            name: DisplayName::parse("Fund").unwrap(),
            balance: 0,
            limits: Limits { credit_limit: Amount::from_minor(0).unwrap(), ceiling: None, soft_limit: None },
            status: AccountStatus::Active,
        }
    }

    fn agreement(business: &Handle) -> Agreement {
        let levy = BasisPoints::new(150).unwrap();
        Agreement::new(business.clone(), levy, None, Period::parse("2026-03").unwrap()).unwrap()
    }

    #[test]
    fn what_a_batch_found_absent_is_not_asked_for_again_until_a_batch_creates_it() {
        let (fund, shop) = (Handle::parse("fund-commun").unwrap(), Handle::parse("shop").unwrap());
        let head = (7, EntryHash([7; 32]));
        // A batch loaded the fund's account, found it has no identity, and the shop no agreement.
        let mut state = State::new();
        state.accounts.insert(fund.clone(), fund_account(&fund));
        let named = References { handles: vec![fund.clone()], agreements: vec![shop.clone()], ..References::default() };
        let mut warm = Warm::default();
        warm.keep(head, state, &named);

        let mut batch = State::new();
        let mut refs = named.clone();
        warm.lend(head, &mut batch, &mut refs);
        assert_eq!(batch.accounts.get(&fund), Some(&fund_account(&fund)));
        assert_eq!(refs, References::default(), "nothing is left to ask the database for");

        // This batch sets the shop's agreement: from then on it is held, not known absent.
        batch.agreements.insert(shop.clone(), agreement(&shop));
        let later = (8, EntryHash([8; 32]));
        warm.keep(later, batch, &refs);
        let mut next = State::new();
        let mut refs = named.clone();
        warm.lend(later, &mut next, &mut refs);
        assert_eq!(next.agreements.get(&shop), Some(&agreement(&shop)));
        assert_eq!(refs, References::default());

        // At a head someone else moved, an absence may be stale: everything is asked for again.
        let mut refs = named.clone();
        warm.lend((9, EntryHash([9; 32])), &mut State::new(), &mut refs);
        assert_eq!(refs, named);
    }

    #[test]
    fn forgetting_after_a_failure_leaves_nothing_to_lend() {
        let alice = Handle::parse("alice").unwrap();
        let head = (7, EntryHash([7; 32]));
        let mut warm = Warm::default();
        warm.keep(head, committed(&alice, 1), &naming(&alice));
        warm.forget();
        let mut batch = State::new();
        warm.lend(head, &mut batch, &mut naming(&alice));
        assert!(batch.identities.is_empty());
    }
}
