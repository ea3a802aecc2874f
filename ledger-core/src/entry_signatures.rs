//! Signatures checked many at a time: of journal entries (the audit) and of the commands of one
//! call (a `CreateTransfers` batch in the server).
//!
//! Every signature of an entry must verify over its recorded command bytes under the key it
//! names (whether that key was valid for that signer at that point is the replay's business).
//! Checking one by one costs a full scalar multiplication each; ed25519-dalek's `verify_batch`
//! checks a whole chunk in one multiscalar multiplication, more than twice as fast. It uses the
//! same cofactorless equation as `verify_strict` but accepts small-order ("weak") keys, for which
//! a signature can hold for many messages, so weak keys are refused before batching. When a batch
//! fails, its halves are checked the same way, down to single entries checked with
//! `verify_strict`, which names the bad one.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use ed25519_dalek::VerifyingKey;

use crate::command::{SIGNATURES_MAX, SignatureError};
use crate::journal::Entry;
use crate::keys::{PublicKey, Signature};

/// Signed bytes and the signatures over them, as an entry records them or a command carries them.
#[derive(Clone, Copy, Debug)]
pub struct Signed<'a> {
    /// What was signed.
    pub message: &'a [u8],
    /// Each signer's key and signature.
    pub signatures: &'a [(PublicKey, Signature)],
}

impl<'a> From<&'a Entry> for Signed<'a> {
    fn from(entry: &'a Entry) -> Self {
        Signed { message: &entry.command_bytes, signatures: &entry.signatures }
    }
}

/// Keys remembered by a [`SignatureChecker::new`]; past this it forgets them all, so a journal
/// naming endless made-up keys cannot grow memory without bound (about 30 MB at this bound: a
/// decompressed key and its slot take over 200 bytes).
const KEYS_CACHED_MAX: usize = 65_536;

/// Checks entry signatures in batches, remembering decompressed keys between batches (a ledger
/// has far fewer keys than entries). One checker can serve many threads at once: a server shares
/// one between its unary checks and its batch calls, so each key is decompressed once for all.
pub struct SignatureChecker {
    /// Decompressed key, or none for a key that is not a point or is weak.
    keys: RwLock<HashMap<PublicKey, Option<VerifyingKey>>>,
    /// Past this many keys, all are forgotten.
    keys_max: usize,
}

impl Default for SignatureChecker {
    fn default() -> Self {
        Self::remembering(KEYS_CACHED_MAX)
    }
}

/// A well-formed item to check: its place among the results, and its signers' keys decompressed.
struct Item<'a> {
    index: usize,
    signed: &'a Signed<'a>,
    keys: &'a [Option<VerifyingKey>],
}

impl SignatureChecker {
    /// A checker with an empty key cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// A checker that remembers at most about `keys_max` keys: one that lives as long as a server
    /// holds that memory all the while.
    pub fn remembering(keys_max: usize) -> Self {
        Self { keys: RwLock::new(HashMap::new()), keys_max }
    }

    /// Checks every signature of every entry; one result per entry, in order.
    pub fn check(&self, entries: &[&Entry]) -> Vec<Result<(), SignatureError>> {
        let signed: Vec<Signed> = entries.iter().map(|entry| Signed::from(*entry)).collect();
        self.check_signed(&signed)
    }

    /// Checks every signature of every signed item (an entry, a command); one result per item,
    /// in order.
    pub fn check_signed(&self, entries: &[Signed]) -> Vec<Result<(), SignatureError>> {
        let mut results: Vec<Result<(), SignatureError>> = entries.iter().map(count_signatures).collect();
        // Only the keys of items with a sound number of signatures are decompressed, so the work
        // per item stays bounded.
        let counted = entries.iter().zip(&results).filter(|(_, counted)| counted.is_ok()).map(|(entry, _)| entry);
        let keys = self.verifying_keys(counted.flat_map(|entry| entry.signatures.iter().map(|(key, _)| key)));
        let mut well_formed = Vec::with_capacity(entries.len());
        let mut next_key = 0;
        for (index, signed) in entries.iter().enumerate() {
            if results[index].is_err() {
                continue;
            }
            let own = &keys[next_key..next_key + signed.signatures.len()];
            next_key += signed.signatures.len();
            match signed.signatures.iter().zip(own).find(|(_, verifying)| verifying.is_none()) {
                Some(((key, _), _)) => results[index] = Err(SignatureError::Invalid(*key)),
                None => well_formed.push(Item { index, signed, keys: own }),
            }
        }
        check_together(&well_formed, &mut results);
        results
    }

    /// Each key decompressed, or none if it is not a point (a key read back from altered storage,
    /// or made up by a client) or is weak. Keys remembered are not decompressed again; the others
    /// are decompressed outside the lock, so other checks go on meanwhile, then remembered.
    fn verifying_keys<'k>(&self, keys: impl Iterator<Item = &'k PublicKey>) -> Vec<Option<VerifyingKey>> {
        let keys: Vec<&PublicKey> = keys.collect();
        let mut found: Vec<Option<Option<VerifyingKey>>> = {
            let known = self.keys.read().unwrap_or_else(PoisonError::into_inner);
            keys.iter().map(|key| known.get(*key).copied()).collect()
        };
        let mut learned: HashMap<PublicKey, Option<VerifyingKey>> = HashMap::new();
        for (slot, key) in found.iter_mut().zip(&keys) {
            if slot.is_none() {
                *slot = Some(*learned.entry(**key).or_insert_with(|| decompress(key)));
            }
        }
        if !learned.is_empty() {
            // The map is whole at every step, so a thread that panicked holding it left it sound.
            let mut known = self.keys.write().unwrap_or_else(PoisonError::into_inner);
            if known.len() + learned.len() > self.keys_max {
                // A new map: `clear` would keep the old one's memory.
                *known = HashMap::new();
            }
            known.extend(learned);
        }
        found.into_iter().map(|slot| slot.expect("every key found or decompressed")).collect()
    }
}

/// The check that needs no curve arithmetic: at least one signature, and not too many.
fn count_signatures(entry: &Signed) -> Result<(), SignatureError> {
    match entry.signatures.len() {
        0 => Err(SignatureError::Missing),
        count if count > SIGNATURES_MAX => Err(SignatureError::TooMany),
        _ => Ok(()),
    }
}

/// A key as a point, or none if it is not one or is weak.
fn decompress(key: &PublicKey) -> Option<VerifyingKey> {
    VerifyingKey::from_bytes(key.as_bytes()).ok().filter(|verifying| !verifying.is_weak())
}

/// Checks `items` in one batch. If the batch fails, each half is checked the same way, down to
/// single items checked on their own, so that a few bad signatures among many (a client's
/// forgeries among honest calls) cost a few batches each, not a check one by one of every item.
fn check_together(items: &[Item], results: &mut [Result<(), SignatureError>]) {
    match items {
        [] => {}
        [item] => results[item.index] = check_alone(item),
        _ => {
            let mut messages: Vec<&[u8]> = Vec::new();
            let mut signatures = Vec::new();
            let mut keys = Vec::new();
            for item in items {
                for ((_, signature), verifying) in item.signed.signatures.iter().zip(item.keys) {
                    messages.push(item.signed.message);
                    signatures.push(ed25519_dalek::Signature::from_bytes(signature.as_bytes()));
                    keys.push(verifying.expect("keys that are not points were refused"));
                }
            }
            if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_err() {
                let (first, second) = items.split_at(items.len() / 2);
                check_together(first, results);
                check_together(second, results);
            }
        }
    }
}

/// Checks one item's signatures one by one with `verify_strict` (as [`PublicKey::verify`] does,
/// with the key already decompressed), naming the first that fails.
fn check_alone(item: &Item) -> Result<(), SignatureError> {
    for ((key, signature), verifying) in item.signed.signatures.iter().zip(item.keys) {
        let verifying = verifying.expect("keys that are not points were refused");
        verifying
            .verify_strict(item.signed.message, &ed25519_dalek::Signature::from_bytes(signature.as_bytes()))
            .map_err(|_| SignatureError::Invalid(*key))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{SignatureChecker, Signed};
    use crate::command::SignatureError;
    use crate::keys::{PublicKey, SecretKey, Signature};

    /// One item's signatures checked one by one, with no batch and no remembered key.
    fn check_one(item: &Signed) -> Result<(), SignatureError> {
        for (key, signature) in item.signatures {
            key.verify(item.message, signature).map_err(|_| SignatureError::Invalid(*key))?;
        }
        Ok(())
    }

    /// 32 bytes that are no point of the curve: no signature verifies under them.
    fn not_a_point() -> PublicKey {
        (0..=u8::MAX)
            .map(|n| [n; 32])
            .find(|bytes| PublicKey::from_bytes(bytes).is_err())
            .map(PublicKey::from_stored)
            .expect("some y has no x on the curve")
    }

    /// An item's signer: honest, a forger (who signed other bytes), or a key that is no point.
    #[derive(Clone, Copy, Debug)]
    enum Signer {
        Honest,
        Forger,
        NoPoint,
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// However many bad signatures a batch holds, and wherever, each item gets the verdict it
        /// gets checked on its own; the same from a checker that remembers the keys, one that
        /// forgets them every other call, and one shared by two threads at once.
        #[test]
        fn a_batch_gives_each_item_its_own_verdict(
            signers in proptest::collection::vec(prop_oneof![Just(Signer::Honest), Just(Signer::Forger), Just(Signer::NoPoint)], 1..40),
        ) {
            let messages: Vec<Vec<u8>> = (0..signers.len()).map(|n| format!("command {n}").into_bytes()).collect();
            let signatures: Vec<[(PublicKey, Signature); 1]> = messages
                .iter()
                .zip(&signers)
                .enumerate()
                .map(|(n, (message, signer))| {
                    let key = SecretKey::from_seed([n as u8; 32]);
                    match signer {
                        Signer::Honest => [(key.public_key(), key.sign(message))],
                        Signer::Forger => [(key.public_key(), key.sign(b"another command"))],
                        Signer::NoPoint => [(not_a_point(), key.sign(message))],
                    }
                })
                .collect();
            let items: Vec<Signed> = messages
                .iter()
                .zip(&signatures)
                .map(|(message, signatures)| Signed { message, signatures })
                .collect();

            let alone: Vec<_> = items.iter().map(check_one).collect();
            for (verdict, signer) in alone.iter().zip(&signers) {
                prop_assert_eq!(verdict.is_err(), !matches!(signer, Signer::Honest));
            }
            let remembering = SignatureChecker::new();
            let forgetting = SignatureChecker::remembering(1);
            for _ in 0..2 {
                prop_assert_eq!(&remembering.check_signed(&items), &alone);
                prop_assert_eq!(&forgetting.check_signed(&items), &alone);
            }
            let shared = SignatureChecker::new();
            let (first, second) = std::thread::scope(|scope| {
                let first = scope.spawn(|| shared.check_signed(&items));
                let second = scope.spawn(|| shared.check_signed(&items));
                (first.join().expect("checks"), second.join().expect("checks"))
            });
            prop_assert_eq!(&first, &alone);
            prop_assert_eq!(&second, &alone);
        }
    }
}
