//! Declarations: work a member says they did for a commons, which counts once a steward
//! validated it.

use crate::names::{DeclarationId, DistributionId, Handle};

use super::names::{Category, CommonsName, Note};
use super::period::Period;
use super::quantity::Quantity;

/// Where a declaration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeclarationStatus {
    /// Declared, not yet looked at by a steward: earns nothing yet.
    Pending,
    /// A steward of the commons confirmed the work: it may be paid, once.
    Validated,
    /// A steward refused it: it never earns anything.
    Refused,
}

impl DeclarationStatus {
    /// Every status.
    pub const ALL: [DeclarationStatus; 3] =
        [DeclarationStatus::Pending, DeclarationStatus::Validated, DeclarationStatus::Refused];

    /// From the lowercase name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Lowercase name, as in the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclarationStatus::Pending => "pending",
            DeclarationStatus::Validated => "validated",
            DeclarationStatus::Refused => "refused",
        }
    }
}

/// One member's declared work for one commons in one period. Every field is valid by its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declaration {
    /// The request id of the command that declared it; a distribution pays it at most once.
    pub id: DeclarationId,
    /// Who did the work, and whose account a distribution pays.
    pub contributor: Handle,
    /// The commons the work was for.
    pub commons: CommonsName,
    /// The kind of work, which the rule in force weighs.
    pub category: Category,
    /// How much work (hours, sessions...), exactly.
    pub quantity: Quantity,
    /// The month the work was done in: the distribution of that month pays it.
    pub period: Period,
    /// The contributor's note.
    pub note: Note,
    /// Where it stands.
    pub status: DeclarationStatus,
    /// The executed distribution that settled it, if one has: a validated declaration is paid
    /// by at most one distribution (whatever the amount, even zero).
    pub paid_by: Option<DistributionId>,
}
