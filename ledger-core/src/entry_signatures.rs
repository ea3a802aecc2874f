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
/// has far fewer keys than entries).
pub struct SignatureChecker {
    /// Decompressed key, or none for a weak key.
    keys: HashMap<PublicKey, Option<VerifyingKey>>,
    /// Past this many keys, all are forgotten.
    keys_max: usize,
}

impl Default for SignatureChecker {
    fn default() -> Self {
        Self::remembering(KEYS_CACHED_MAX)
    }
}

impl SignatureChecker {
    /// A checker with an empty key cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// A checker that remembers at most about `keys_max` keys: one that lives as long as a server
    /// holds that memory all the while.
    pub fn remembering(keys_max: usize) -> Self {
        Self { keys: HashMap::new(), keys_max }
    }

    /// Checks every signature of every entry; one result per entry, in order.
    pub fn check(&mut self, entries: &[&Entry]) -> Vec<Result<(), SignatureError>> {
        let signed: Vec<Signed> = entries.iter().map(|entry| Signed::from(*entry)).collect();
        self.check_signed(&signed)
    }

    /// Checks every signature of every signed item (an entry, a command); one result per item,
    /// in order.
    pub fn check_signed(&mut self, entries: &[Signed]) -> Vec<Result<(), SignatureError>> {
        if self.keys.len() > self.keys_max {
            // A new map: `clear` would keep the old one's memory.
            self.keys = HashMap::new();
        }
        let mut results: Vec<Result<(), SignatureError>> = entries.iter().map(|entry| self.shape(entry)).collect();
        let well_formed: Vec<(usize, &Signed)> =
            entries.iter().enumerate().filter(|(index, _)| results[*index].is_ok()).collect();
        self.check_together(&well_formed, &mut results);
        results
    }

    /// Checks `entries` (each with its index in `results`) in one batch. If the batch fails, each
    /// half is checked the same way, down to single entries checked on their own, so that a few
    /// bad signatures among many (a client's forgeries among honest calls) cost a few batches
    /// each, not a check one by one of every entry.
    fn check_together(&self, entries: &[(usize, &Signed)], results: &mut [Result<(), SignatureError>]) {
        match entries {
            [] => {}
            [(index, entry)] => results[*index] = check_one(entry),
            _ => {
                let mut messages: Vec<&[u8]> = Vec::new();
                let mut signatures = Vec::new();
                let mut keys = Vec::new();
                for (_, entry) in entries {
                    for (key, signature) in entry.signatures {
                        let verifying = self.keys[key].expect("weak keys were refused by `shape`");
                        messages.push(entry.message);
                        signatures.push(ed25519_dalek::Signature::from_bytes(signature.as_bytes()));
                        keys.push(verifying);
                    }
                }
                if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_err() {
                    let (first, second) = entries.split_at(entries.len() / 2);
                    self.check_together(first, results);
                    self.check_together(second, results);
                }
            }
        }
    }

    /// The checks that need no curve arithmetic: how many signatures, and no weak key.
    fn shape(&mut self, entry: &Signed) -> Result<(), SignatureError> {
        if entry.signatures.is_empty() {
            return Err(SignatureError::Missing);
        }
        if entry.signatures.len() > SIGNATURES_MAX {
            return Err(SignatureError::TooMany);
        }
        for (key, _) in entry.signatures {
            let verifying = *self.keys.entry(*key).or_insert_with(|| {
                // Not a point (a key read back from altered storage) or weak: verifies nothing.
                VerifyingKey::from_bytes(key.as_bytes()).ok().filter(|verifying| !verifying.is_weak())
            });
            if verifying.is_none() {
                return Err(SignatureError::Invalid(*key));
            }
        }
        Ok(())
    }
}

/// Checks one entry's signatures one by one, naming the first that fails.
fn check_one(entry: &Signed) -> Result<(), SignatureError> {
    for (key, signature) in entry.signatures {
        key.verify(entry.message, signature).map_err(|_| SignatureError::Invalid(*key))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{SignatureChecker, Signed, check_one};
    use crate::keys::{PublicKey, SecretKey, Signature};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// However many bad signatures a batch holds, and wherever, each item gets the verdict it
        /// gets checked on its own.
        #[test]
        fn a_batch_gives_each_item_its_own_verdict(forged in proptest::collection::vec(any::<bool>(), 1..40)) {
            let messages: Vec<Vec<u8>> = (0..forged.len()).map(|n| format!("command {n}").into_bytes()).collect();
            let signatures: Vec<[(PublicKey, Signature); 1]> = messages
                .iter()
                .zip(&forged)
                .enumerate()
                .map(|(n, (message, &forged))| {
                    let key = SecretKey::from_seed([n as u8; 32]);
                    let signed = if forged { b"another command".as_slice() } else { message.as_slice() };
                    [(key.public_key(), key.sign(signed))]
                })
                .collect();
            let items: Vec<Signed> = messages
                .iter()
                .zip(&signatures)
                .map(|(message, signatures)| Signed { message, signatures })
                .collect();

            let together = SignatureChecker::new().check_signed(&items);
            let alone: Vec<_> = items.iter().map(check_one).collect();
            prop_assert_eq!(&together, &alone);
            for (verdict, forged) in together.iter().zip(&forged) {
                prop_assert_eq!(verdict.is_err(), *forged);
            }
        }
    }
}
