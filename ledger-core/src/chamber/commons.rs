//! The commons registry: what a commons is and who looks after it.

use std::collections::BTreeSet;

use crate::canonical::{DecodeError, Decoder, Encoder};
use crate::names::Handle;

use super::codec::{handle, invalid};
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

impl Commons {
    /// Appends the canonical encoding: name, kind, description and rules of use (texts), then
    /// the stewards (`u32` count, then each handle in ascending order).
    pub fn encode(&self, out: &mut Encoder) {
        out.text(self.name.as_str())
            .text(self.kind.as_str())
            .text(self.description.as_str())
            .text(self.rules_of_use.as_str());
        let count = u32::try_from(self.stewards.len()).expect("at most Stewards::COUNT_MAX stewards");
        out.u32(count);
        for steward in self.stewards.iter() {
            out.text(steward.as_str());
        }
    }

    /// Reads what [`Commons::encode`] wrote, refusing invalid fields and stewards out of order,
    /// so one commons has exactly one encoding.
    pub fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let name = CommonsName::parse(d.text()?).map_err(invalid)?;
        let kind = CommonsKind::parse(d.text()?).map_err(invalid)?;
        let description = Description::parse(d.text()?).map_err(invalid)?;
        let rules_of_use = RulesOfUse::parse(d.text()?).map_err(invalid)?;
        let count = d.u32()? as usize;
        if count > Stewards::COUNT_MAX {
            return Err(invalid(StewardsError::TooMany(count)));
        }
        let mut handles: Vec<Handle> = Vec::with_capacity(count);
        for _ in 0..count {
            let steward = handle(d)?;
            if handles.last().is_some_and(|last| *last >= steward) {
                return Err(DecodeError(format!("steward {steward} out of order")));
            }
            handles.push(steward);
        }
        let stewards = Stewards::new(handles).map_err(invalid)?;
        Ok(Self { name, kind, description, rules_of_use, stewards })
    }
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

    fn garden() -> Commons {
        Commons {
            name: CommonsName::parse("jardin-partage").unwrap(),
            kind: CommonsKind::parse("garden").unwrap(),
            description: Description::parse("Le jardin de la rue des Lilas").unwrap(),
            rules_of_use: RulesOfUse::parse("Ouvert à tous, outils rendus le soir.").unwrap(),
            stewards: Stewards::new([handle("bob"), handle("alice")]).unwrap(),
        }
    }

    #[test]
    fn canonical_bytes_round_trip() {
        let mut out = Encoder::default();
        garden().encode(&mut out);
        let bytes = out.finish();
        let mut d = Decoder::with_domain(&bytes, b"").unwrap();
        assert_eq!(Commons::decode(&mut d), Ok(garden()));
        d.finish().unwrap();
    }

    #[test]
    fn stewards_out_of_order_or_none_do_not_decode() {
        let fields = |out: &mut Encoder| {
            out.text("jardin-partage").text("garden").text("").text("");
        };
        let mut out = Encoder::default();
        fields(&mut out);
        out.u32(2).text("bob").text("alice");
        let bytes = out.finish();
        let error = Commons::decode(&mut Decoder::with_domain(&bytes, b"").unwrap()).unwrap_err();
        assert!(error.0.contains("out of order"), "{error}");

        let mut out = Encoder::default();
        fields(&mut out);
        out.u32(0);
        let bytes = out.finish();
        let error = Commons::decode(&mut Decoder::with_domain(&bytes, b"").unwrap()).unwrap_err();
        assert!(error.0.contains("at least one steward"), "{error}");
    }
}
