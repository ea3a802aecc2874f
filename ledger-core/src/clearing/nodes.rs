//! Dense member indices for whatever names the caller uses (handles, strings from a file).

use std::collections::HashMap;
use std::hash::Hash;

use super::problem::{NODES_MAX, ProblemError};

/// Gives each distinct key the next dense index, 0, 1, 2..., in the order first seen, so the
/// numbering is deterministic for a given input order.
#[derive(Clone, Debug)]
pub struct NodeIndex<K> {
    /// Key of each index.
    keys: Vec<K>,
    /// Index of each key.
    index: HashMap<K, u32>,
}

impl<K: Hash + Eq + Clone> NodeIndex<K> {
    /// No keys yet.
    pub fn new() -> Self {
        Self { keys: Vec::new(), index: HashMap::new() }
    }

    /// The index of `key`, numbering it if it is new; an error past [`NODES_MAX`] keys.
    pub fn intern(&mut self, key: K) -> Result<u32, ProblemError> {
        if let Some(&index) = self.index.get(&key) {
            return Ok(index);
        }
        let index = self.keys.len() as u32;
        if index >= NODES_MAX {
            return Err(ProblemError::TooManyNodes(u64::from(index) + 1));
        }
        self.keys.push(key.clone());
        self.index.insert(key, index);
        Ok(index)
    }

    /// The index of `key`, if numbered.
    pub fn get(&self, key: &K) -> Option<u32> {
        self.index.get(key).copied()
    }

    /// The key numbered `index`. Panics on an index never given out.
    pub fn key(&self, index: u32) -> &K {
        &self.keys[index as usize]
    }

    /// How many keys are numbered: the problem's node count.
    pub fn len(&self) -> u32 {
        self.keys.len() as u32
    }

    /// Whether no key is numbered.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl<K: Hash + Eq + Clone> Default for NodeIndex<K> {
    fn default() -> Self {
        Self::new()
    }
}
