//! Units, accounts, their limits, statuses and roles.

use crate::amount::{Amount, BALANCE_MAX, Scale};
use crate::names::{DisplayName, Handle, UnitCode};

/// A unit of account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    /// Code such as `COMMUN`.
    pub code: UnitCode,
    /// Decimal places of its amounts.
    pub scale: Scale,
    /// Display name.
    pub name: DisplayName,
}

/// What an account is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccountKind {
    /// A person, association or co-operative.
    Member,
    /// A member with a contribution agreement with the chamber.
    Business,
    /// Held by the ledger itself, such as a commons fund; no key, no payments.
    System,
}

/// Whether an account may move value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccountStatus {
    /// Pays and receives.
    Active,
    /// Neither pays nor receives until unfrozen.
    Frozen,
    /// Closed at a zero balance, for good.
    Closed,
}

/// A role that grants rights beyond a member's own account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Defines units and grants roles.
    Admin,
    /// Opens accounts, sets limits, reads every account.
    Treasurer,
    /// Validates work declared for the commons it looks after.
    Steward,
    /// Reads everything, changes nothing.
    Auditor,
}

impl Role {
    /// Every role, in a fixed order.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Treasurer, Role::Steward, Role::Auditor];

    fn bit(self) -> u8 {
        match self {
            Role::Admin => 1,
            Role::Treasurer => 2,
            Role::Steward => 4,
            Role::Auditor => 8,
        }
    }

    /// Lowercase name, as in the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Treasurer => "treasurer",
            Role::Steward => "steward",
            Role::Auditor => "auditor",
        }
    }

    /// From the lowercase name.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

/// A set of roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct RoleSet(u8);

impl RoleSet {
    /// Whether `role` is in the set.
    pub fn has(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    /// The set with `role` added.
    pub fn with(self, role: Role) -> Self {
        Self(self.0 | role.bit())
    }

    /// The set with `role` removed.
    pub fn without(self, role: Role) -> Self {
        Self(self.0 & !role.bit())
    }

    /// Whether the holder may read every account.
    pub fn reads_all(self) -> bool {
        self.has(Role::Treasurer) || self.has(Role::Auditor) || self.has(Role::Admin)
    }

    /// The bits, for storage.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// From stored bits; unknown bits are dropped.
    pub fn from_bits(bits: u8) -> Self {
        Self(bits & 0b1111)
    }

    /// The roles in the set.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |role| self.has(*role))
    }
}

/// How far an account's balance may move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Limits {
    /// How far below zero the balance may go.
    pub credit_limit: Amount,
    /// How far above zero the balance may go; none means only [`BALANCE_MAX`].
    pub ceiling: Option<Amount>,
    /// Below minus this, payments still commit but with a warning.
    pub soft_limit: Option<Amount>,
}

impl Limits {
    /// The lowest balance allowed.
    pub fn floor(&self) -> i64 {
        -self.credit_limit.minor()
    }

    /// The highest balance allowed.
    pub fn top(&self) -> i64 {
        self.ceiling.map_or(BALANCE_MAX, Amount::minor)
    }

    /// Whether `balance` is within the hard limits.
    pub fn admits(&self, balance: i64) -> bool {
        (self.floor()..=self.top()).contains(&balance)
    }

    /// Whether `balance` is past the soft limit.
    pub fn past_soft_limit(&self, balance: i64) -> bool {
        self.soft_limit.is_some_and(|soft| balance < -soft.minor())
    }
}

/// An account: one unit, a balance, limits and a status. Keys and roles are held by handle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Unique handle.
    pub handle: Handle,
    /// What it is for.
    pub kind: AccountKind,
    /// The one unit it holds.
    pub unit: UnitCode,
    /// Display name.
    pub name: DisplayName,
    /// Balance in minor units of `unit`.
    pub balance: i64,
    /// Hard and soft limits.
    pub limits: Limits,
    /// Active, frozen or closed.
    pub status: AccountStatus,
}

impl AccountKind {
    /// Lowercase name, as in the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Member => "member",
            AccountKind::Business => "business",
            AccountKind::System => "system",
        }
    }

    /// From the lowercase name.
    pub fn parse(text: &str) -> Option<Self> {
        [AccountKind::Member, AccountKind::Business, AccountKind::System].into_iter().find(|kind| kind.as_str() == text)
    }
}

impl AccountStatus {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Frozen => "frozen",
            AccountStatus::Closed => "closed",
        }
    }

    /// From the lowercase name.
    pub fn parse(text: &str) -> Option<Self> {
        [AccountStatus::Active, AccountStatus::Frozen, AccountStatus::Closed]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}
