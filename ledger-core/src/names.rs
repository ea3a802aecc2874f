//! Validated names and identifiers: handles, unit codes, ids and bounded free text.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// Why a name or text was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error(
        "handle {0:?} is invalid: use 1 to {max} lowercase letters, digits or '-', not starting or ending with '-'",
        max = Handle::LEN_MAX
    )]
    Handle(String),
    #[error("unit code {0:?} is invalid: use 2 to 12 capital letters or digits, starting with a letter")]
    UnitCode(String),
    #[error("{what} is longer than {max} bytes")]
    TooLong { what: &'static str, max: usize },
    #[error("{what} contains control characters")]
    ControlCharacters { what: &'static str },
    #[error("{what} must not be empty")]
    Empty { what: &'static str },
    #[error("{what} {text:?} is not a UUID")]
    Uuid { what: &'static str, text: String },
}

/// An account handle: a lowercase slug such as `alice` or `jardin-partage`, unique in a ledger.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(String);

impl Handle {
    /// The longest handle, in bytes.
    pub const LEN_MAX: usize = 63;

    /// Validates `text` as a handle.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let bytes = text.as_bytes();
        let allowed = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-';
        let ok = !bytes.is_empty()
            && bytes.len() <= Self::LEN_MAX
            && bytes.iter().all(allowed)
            && bytes[0] != b'-'
            && bytes[bytes.len() - 1] != b'-';
        if ok { Ok(Self(text.to_owned())) } else { Err(NameError::Handle(text.to_owned())) }
    }

    /// The handle as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the handle is reserved for the ledger's own accounts (`fund-...`), so a member
    /// can never take the handle of a unit's fund before the unit exists.
    pub fn is_reserved(&self) -> bool {
        self.0.starts_with("fund-")
    }

    /// The handle of a unit's commons fund: `fund-<code in lowercase>`.
    pub fn fund_of(unit: &UnitCode) -> Self {
        Self(format!("fund-{}", unit.as_str().to_ascii_lowercase()))
    }
}

/// A unit of account's code such as `COMMUN` or `HOUR`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitCode(String);

impl UnitCode {
    /// Validates `text` as a unit code.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let bytes = text.as_bytes();
        let ok = (2..=12).contains(&bytes.len())
            && bytes[0].is_ascii_uppercase()
            && bytes.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if ok { Ok(Self(text.to_owned())) } else { Err(NameError::UnitCode(text.to_owned())) }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID.
            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// Parses the hyphenated text form.
            pub fn parse(text: &str) -> Result<Self, NameError> {
                Uuid::parse_str(text)
                    .map(Self)
                    .map_err(|_| NameError::Uuid { what: $what, text: text.to_owned() })
            }

            /// The UUID.
            pub fn uuid(self) -> Uuid {
                self.0
            }

            /// The 16 bytes of the UUID.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

uuid_id!(
    /// Identifies one ledger; part of every signed byte string so nothing replays across ledgers.
    LedgerId,
    "ledger id"
);
uuid_id!(
    /// The client-chosen id of a mutation: sending it again returns the first result. The id of a
    /// transfer is the request id of the command that created it.
    RequestId,
    "request id"
);
impl RequestId {
    /// An id derived, not chosen: the first 16 bytes of SHA-256 over a domain `tag` and `parts`,
    /// as a UUID of version 8 (custom). Commands whose id must follow from what they act on (an
    /// answer to a request, a steward's decision, an import's batches and rows) use it, so sending
    /// one twice is the same command and returns the first result.
    pub fn derived(tag: &[u8], parts: &[&[u8]]) -> Self {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new().chain_update(tag);
        for part in parts {
            hasher.update(part);
        }
        let digest = hasher.finalize();
        let bytes: [u8; 16] = digest[..16].try_into().expect("a SHA-256 digest has 32 bytes");
        Self(uuid::Builder::from_custom_bytes(bytes).into_uuid())
    }
}

uuid_id!(
    /// Identifies a declaration of work for a commons: the request id of the command that made it.
    DeclarationId,
    "declaration id"
);
uuid_id!(
    /// Identifies a proposed remuneration rule: the request id of the command that proposed it.
    RuleId,
    "rule id"
);
uuid_id!(
    /// Identifies a proposed distribution of a commons fund: the request id of the command that
    /// proposed it.
    DistributionId,
    "distribution id"
);

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:expr, empty_ok = $empty_ok:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
        pub struct $name(String);

        impl $name {
            /// The longest text, in bytes.
            pub const LEN_MAX: usize = $max;

            /// Validates `text`: bounded length, no control characters.
            pub fn parse(text: &str) -> Result<Self, $crate::names::NameError> {
                if !$empty_ok && text.trim().is_empty() {
                    return Err($crate::names::NameError::Empty { what: $what });
                }
                if text.len() > Self::LEN_MAX {
                    return Err($crate::names::NameError::TooLong { what: $what, max: Self::LEN_MAX });
                }
                if text.chars().any(char::is_control) {
                    return Err($crate::names::NameError::ControlCharacters { what: $what });
                }
                Ok(Self(text.to_owned()))
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

/// Bounded texts elsewhere in the crate (the chamber's descriptions and notes) follow the same
/// rules as these.
pub(crate) use bounded_text;

bounded_text!(
    /// A payment's note to the payee, possibly empty.
    Memo,
    "memo",
    256,
    empty_ok = true
);
bounded_text!(
    /// A display name of a unit or account, possibly empty.
    DisplayName,
    "name",
    100,
    empty_ok = true
);
bounded_text!(
    /// An invoice's reference (its number in the creditor's books, an order...), possibly empty.
    Reference,
    "reference",
    256,
    empty_ok = true
);
bounded_text!(
    /// Why a treasurer changed something; never empty.
    Reason,
    "reason",
    256,
    empty_ok = false
);

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Handle {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl FromStr for UnitCode {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles() {
        for good in ["alice", "jardin-partage", "a", "b2b", "fund-commun"] {
            assert!(Handle::parse(good).is_ok(), "{good}");
        }
        for bad in ["Alice", "al ice", "", "-alice", "alice-", "al_ice", "élise", &"a".repeat(200)] {
            assert!(Handle::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unit_codes() {
        assert!(UnitCode::parse("COMMUN").is_ok());
        assert!(UnitCode::parse("HOUR2").is_ok());
        for bad in ["commun", "C", "2HOUR", "COMMUN-X", "ABCDEFGHIJKLM"] {
            assert!(UnitCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Handle::fund_of(&UnitCode::parse("COMMUN").unwrap()).as_str(), "fund-commun");
    }

    #[test]
    fn texts() {
        assert!(Memo::parse("").is_ok());
        assert!(Memo::parse(&"x".repeat(257)).is_err());
        assert!(Memo::parse("a\nb").is_err());
        assert!(Reason::parse("  ").is_err());
    }
}
