//! The commons registry: what a commons is and who looks after it.

use std::collections::BTreeSet;

use crate::names::Handle;

use super::names::{CommonsKind, CommonsName, Description, RulesOfUse};

/// Why a set of stewards was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StewardsError {
    #[error("a commons needs at least one steward to validate the work declared for it")]
    Empty,
    #[error("{0} stewards is more than the {max} a commons may have", max = Stewards::COUNT_MAX)]
    TooMany(usize),
    #[error("steward {0} is named twice")]
    Duplicate(Handle),
}

/// The members who validate (or refuse) the work declared for one commons: 1 to
/// [`Stewards::COUNT_MAX`] distinct handles, kept in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stewards(BTreeSet<Handle>);

impl Stewards {
    /// The most stewards one commons may have.
    pub const COUNT_MAX: usize = 16;

    /// Validates a list of stewards: not empty, not too long, nobody twice.
    pub fn new(handles: impl IntoIterator<Item = Handle>) -> Result<Self, StewardsError> {
        let handles: Vec<Handle> = handles.into_iter().collect();
        if handles.len() > Self::COUNT_MAX {
            return Err(StewardsError::TooMany(handles.len()));
        }
        let mut set = BTreeSet::new();
        for handle in handles {
            if let Some(duplicate) = set.replace(handle) {
                return Err(StewardsError::Duplicate(duplicate));
            }
        }
        if set.is_empty() {
            return Err(StewardsError::Empty);
        }
        Ok(Self(set))
    }

    /// Whether `handle` is one of them.
    pub fn contains(&self, handle: &Handle) -> bool {
        self.0.contains(handle)
    }

    /// The stewards in handle order.
    pub fn iter(&self) -> impl Iterator<Item = &Handle> {
        self.0.iter()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a commons has at least one steward. Present for the usual pairing with
    /// [`Stewards::len`].
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A shared resource documented in the registry: a shared garden, a third place, free software,
/// a community ISP. Every field is valid by its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commons {
    /// Unique registry name; declarations name the commons by it.
    pub name: CommonsName,
    /// What sort of commons it is.
    pub kind: CommonsKind,
    /// What it is.
    pub description: Description,
    /// How it may be used.
    pub rules_of_use: RulesOfUse,
    /// Who validates the work declared for it.
    pub stewards: Stewards,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle(text: &str) -> Handle {
        Handle::parse(text).unwrap()
    }

    #[test]
    fn stewards() {
        let stewards = Stewards::new([handle("bob"), handle("alice")]).unwrap();
        assert_eq!(stewards.iter().map(Handle::as_str).collect::<Vec<_>>(), ["alice", "bob"]);
        assert!(stewards.contains(&handle("bob")) && !stewards.contains(&handle("carol")));
        assert_eq!(Stewards::new([]), Err(StewardsError::Empty));
        assert_eq!(Stewards::new([handle("bob"), handle("bob")]), Err(StewardsError::Duplicate(handle("bob"))));
        let many = (0..17).map(|n| handle(&format!("s{n}")));
        assert_eq!(Stewards::new(many), Err(StewardsError::TooMany(17)));
    }
}
