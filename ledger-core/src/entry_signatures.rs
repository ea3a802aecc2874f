//! Signatures checked many at a time: of journal entries (the audit) and of the commands of one
//! call (a `CreateTransfers` batch in the server).
//!
//! Every signature of an entry must verify over its recorded command bytes under the key it
//! names (whether that key was valid for that signer at that point is the replay's business).
//! Checking one by one costs a full scalar multiplication each; ed25519-dalek's `verify_batch`
//! checks a whole chunk in one multiscalar multiplication, more than twice as fast. It uses the
//! same cofactorless equation as `verify_strict` but accepts small-order ("weak") keys, for which
//! a signature can hold for many messages, so weak keys are refused before batching. When a batch
//! fails, each entry is checked on its own with `verify_strict` to name the bad one: the slow path
//! runs only on a journal that is already known to be wrong.

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

/// Keys remembered by one [`SignatureChecker`]; past this it forgets them all, so a journal
/// naming endless made-up keys cannot grow memory without bound.
const KEYS_CACHED_MAX: usize = 65_536;

/// Checks entry signatures in batches, remembering decompressed keys between batches (a ledger
/// has far fewer keys than entries).
#[derive(Default)]
pub struct SignatureChecker {
    /// Decompressed key, or none for a weak key.
    keys: HashMap<PublicKey, Option<VerifyingKey>>,
}

impl SignatureChecker {
    /// A checker with an empty key cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks every signature of every entry; one result per entry, in order.
    pub fn check(&mut self, entries: &[&Entry]) -> Vec<Result<(), SignatureError>> {
        let signed: Vec<Signed> = entries.iter().map(|entry| Signed::from(*entry)).collect();
        self.check_signed(&signed)
    }

    /// Checks every signature of every signed item (an entry, a command); one result per item,
    /// in order.
    pub fn check_signed(&mut self, entries: &[Signed]) -> Vec<Result<(), SignatureError>> {
        if self.keys.len() > KEYS_CACHED_MAX {
            self.keys.clear();
        }
        let mut results: Vec<Result<(), SignatureError>> = entries.iter().map(|entry| self.shape(entry)).collect();
        let mut messages: Vec<&[u8]> = Vec::new();
        let mut signatures = Vec::new();
        let mut keys = Vec::new();
        for (entry, result) in entries.iter().zip(&results) {
            if result.is_err() {
                continue;
            }
            for (key, signature) in entry.signatures {
                let verifying = self.keys[key].expect("weak keys were refused by `shape`");
                messages.push(entry.message);
                signatures.push(ed25519_dalek::Signature::from_bytes(signature.as_bytes()));
                keys.push(verifying);
            }
        }
        if messages.is_empty() || ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
            return results;
        }
        for (entry, result) in entries.iter().zip(results.iter_mut()) {
            if result.is_ok() {
                *result = check_one(entry);
            }
        }
        results
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
