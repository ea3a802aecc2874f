//! The chamber's names and texts: commons names and kinds, categories of work, descriptions and
//! notes, validated once like the ledger's handles and memos.

use std::fmt;
use std::str::FromStr;

use crate::names::{Handle, bounded_text};

/// Why a chamber name was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{what} {text:?} is invalid: use 1 to {max} lowercase letters, digits or '-', not starting or ending with '-'",
    max = Handle::LEN_MAX
)]
pub struct SlugError {
    /// Which kind of name.
    pub what: &'static str,
    /// The text refused.
    pub text: String,
}

macro_rules! slug {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates `text` with the rules of a handle: a lowercase slug.
            pub fn parse(text: &str) -> Result<Self, SlugError> {
                Handle::parse(text)
                    .map(|_| Self(text.to_owned()))
                    .map_err(|_| SlugError { what: $what, text: text.to_owned() })
            }

            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = SlugError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

slug!(
    /// The registry name of a commons, unique in a ledger: `jardin-partage`, `fablab`.
    CommonsName,
    "commons name"
);
slug!(
    /// What sort of commons it is: `garden`, `third-place`, `software`, `isp`... An open list,
    /// so the assembly can register a new sort without a new release.
    CommonsKind,
    "commons kind"
);
slug!(
    /// A category of work that a rule weighs: `gardening`, `maintenance`, `facilitation`.
    Category,
    "category"
);

bounded_text!(
    /// What a commons is, for the registry; possibly empty.
    Description,
    "description",
    2_000,
    empty_ok = true
);
bounded_text!(
    /// How a commons may be used, as its community wrote it; possibly empty.
    RulesOfUse,
    "rules of use",
    4_000,
    empty_ok = true
);
bounded_text!(
    /// The contributor's note on declared work; possibly empty.
    Note,
    "note",
    256,
    empty_ok = true
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::NameError;

    #[test]
    fn slugs() {
        assert_eq!(Category::parse("gardening").unwrap().as_str(), "gardening");
        assert!(CommonsName::parse("jardin-partage").is_ok());
        let error = Category::parse("Gardening").unwrap_err();
        assert_eq!(error.what, "category");
        assert!(error.to_string().starts_with("category \"Gardening\" is invalid"));
        for bad in ["", "-x", "x-", "a b", "é", &"a".repeat(64)] {
            assert!(CommonsKind::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn texts() {
        assert!(Note::parse("").is_ok());
        assert!(Note::parse(&"x".repeat(257)).is_err());
        assert!(matches!(Description::parse("a\u{7}"), Err(NameError::ControlCharacters { .. })));
        assert!(RulesOfUse::parse(&"x".repeat(4_000)).is_ok());
    }
}
