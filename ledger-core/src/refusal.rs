//! Refusals: every reason a command is not applied, each with a class (which the server maps to a
//! gRPC status) and a stable UPPER_SNAKE reason for scripts.

use crate::account::Role;
use crate::chamber::{CommonsName, Period};
use crate::command::SignatureError;
use crate::keys::PublicKey;
use crate::names::{DeclarationId, DistributionId, Handle, RequestId, RuleId, UnitCode};

/// The kind of failure, independent of any wire protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// The request itself is wrong, whatever the state.
    InvalidArgument,
    /// Something it names does not exist.
    NotFound,
    /// Something it would create exists already.
    AlreadyExists,
    /// The signer may not do this.
    PermissionDenied,
    /// The signer is not known, or the signature is wrong.
    Unauthenticated,
    /// The state does not allow it now (limits, statuses).
    FailedPrecondition,
}

/// Why a command was not applied. Nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error("the command is for another ledger")]
    WrongLedger,
    #[error("the ledger has no genesis entry yet")]
    NotInitialised,
    #[error("the ledger is initialised already")]
    AlreadyInitialised,
    #[error("key {0} is not registered")]
    UnknownKey(PublicKey),
    #[error("key {0} has been revoked")]
    KeyRevoked(PublicKey),
    #[error("not authorised: {0}")]
    NotAuthorised(&'static str),
    #[error("account {0} does not exist")]
    UnknownAccount(Handle),
    #[error("handle {0} does not exist")]
    UnknownHandle(Handle),
    #[error("unit {0} does not exist")]
    UnknownUnit(UnitCode),
    #[error("handle {0} is taken")]
    HandleTaken(Handle),
    #[error("unit {0} exists already")]
    UnitExists(UnitCode),
    #[error("key {0} is registered already (keys are never reused)")]
    KeyInUse(PublicKey),
    #[error("key {key} is not an active key of {handle}")]
    KeyNotHeld { handle: Handle, key: PublicKey },
    #[error("{handle} would have no key left; register another one first")]
    LastKey { handle: Handle },
    #[error("account {account} holds {account_unit}, not {unit}")]
    UnitMismatch { account: Handle, account_unit: UnitCode, unit: UnitCode },
    #[error("payer and payee are the same account")]
    SameAccount,
    #[error("a transfer moves an amount greater than zero")]
    ZeroAmount,
    #[error("handle {0} is reserved for the ledger's own accounts (fund-...)")]
    HandleReserved(Handle),
    #[error("{0} is a system account; only the ledger moves it")]
    SystemAccount(Handle),
    #[error("accounts are opened as member or business; system accounts are opened by the ledger")]
    SystemKindRequested,
    #[error("account {0} is frozen")]
    AccountFrozen(Handle),
    #[error("account {0} is closed")]
    AccountClosed(Handle),
    #[error("account {0} already has that status")]
    StatusUnchanged(Handle),
    #[error("account {account} has a balance of {balance}; only a zero balance can be closed")]
    BalanceNotZero { account: Handle, balance: String },
    #[error("this would take {account} to {balance_after}, past its credit limit of {credit_limit}")]
    CreditLimitExceeded { account: Handle, balance_after: String, credit_limit: String },
    #[error("this would take {account} to {balance_after}, past its ceiling of {ceiling}")]
    CeilingExceeded { account: Handle, balance_after: String, ceiling: String },
    #[error("the soft limit ({soft_limit}) must not exceed the credit limit ({credit_limit})")]
    SoftLimitAboveCreditLimit { soft_limit: String, credit_limit: String },
    #[error("the balance of {account} ({balance}) would be outside the new limits")]
    LimitsExcludeBalance { account: Handle, balance: String },
    #[error("{handle} already holds the {} role", role.as_str())]
    RoleAlreadyHeld { handle: Handle, role: Role },
    #[error("{handle} does not hold the {} role", role.as_str())]
    RoleNotHeld { handle: Handle, role: Role },
    #[error("nobody revokes their own admin role, so one admin always remains")]
    OwnAdminRole,
    #[error("transfer {0} does not exist")]
    UnknownTransfer(RequestId),
    #[error("line {line}: {refusal}")]
    ImportRow { line: u32, refusal: Box<Refusal> },
    #[error("transfer {0} already exists: a request id creates at most one transfer")]
    TransferExists(RequestId),
    #[error("transfer {0} is not a payment request")]
    NotARequest(RequestId),
    #[error("the command does not match transfer {0} (parties, unit or amount differ)")]
    TransferMismatch(RequestId),
    #[error("request {id} is {status}, no longer pending")]
    RequestNotPending { id: RequestId, status: &'static str },
    #[error("request {0} has expired")]
    RequestExpired(RequestId),
    #[error("a request's lifetime is from 1 millisecond to {max_days} days")]
    InvalidLifetime { max_days: i64 },
    #[error("transfer {id} cannot be reversed: {why}")]
    NotReversible { id: RequestId, why: &'static str },
    #[error("transfer {id} was already reversed by {by}")]
    AlreadyReversed { id: RequestId, by: RequestId },
    #[error("invoice {0} does not exist")]
    UnknownInvoice(RequestId),
    #[error("invoice {0} exists already")]
    InvoiceExists(RequestId),
    #[error("the command does not match invoice {0} (parties, unit or amount differ)")]
    InvoiceMismatch(RequestId),
    #[error("invoice {id} is {status}, no longer awaiting its debtor")]
    InvoiceNotIssued { id: RequestId, status: &'static str },
    #[error("an invoice's creditor and debtor are the same account")]
    SelfInvoice,
    #[error("an invoice is for an amount greater than zero")]
    ZeroInvoice,
    #[error("an import carries 1 to {max} invoices, not {count}")]
    ImportSize { count: usize, max: usize },
    /// One row of an import was refused, so the whole import was: the row (counted from 1) and
    /// why, with that refusal's class and reason.
    #[error("invoice {row} of the import ({id}): {refusal}")]
    InvoiceImportRow { row: usize, id: RequestId, refusal: Box<Refusal> },
    #[error("a clearing run carries {count} {what}; it may carry {min} to {max}")]
    ClearingRunSize { what: &'static str, count: usize, min: usize, max: usize },
    #[error("invoice {0} is set off twice in one clearing run")]
    SetOffTwice(RequestId),
    #[error("invoice {id} is {status}, not open for clearing")]
    InvoiceNotOpen { id: RequestId, status: &'static str },
    #[error("invoice {id} is in {invoice_unit}, not {unit}")]
    InvoiceUnitMismatch { id: RequestId, invoice_unit: UnitCode, unit: UnitCode },
    #[error("the set-off of invoice {0} must be greater than zero")]
    ZeroSetOff(RequestId),
    #[error("invoice {id} has {remaining} remaining, less than the set-off of {set_off}")]
    SetOffTooLarge { id: RequestId, remaining: String, set_off: String },
    #[error("the clearing run would change the net position of {account} by {change}")]
    NetPositionChanged { account: Handle, change: String },
    #[error("{0} has two credit postings in one clearing run")]
    CreditPostingTwice(Handle),
    #[error("the credit posting of {0} must be non-zero and within the amount bound")]
    InvalidCreditPosting(Handle),
    #[error("the credit postings of a clearing run sum to {sum}, not zero")]
    CreditUnbalanced { sum: String },
    #[error("commons {0} does not exist")]
    UnknownCommons(CommonsName),
    #[error("commons {0} exists already")]
    CommonsExists(CommonsName),
    #[error("declaration {0} does not exist")]
    UnknownDeclaration(DeclarationId),
    #[error("declaration {id} is for commons {commons}, not the one named")]
    DeclarationMismatch { id: DeclarationId, commons: CommonsName },
    #[error("declaration {id} is {status}, no longer pending")]
    DeclarationNotPending { id: DeclarationId, status: &'static str },
    #[error("account {0} is not a business; agreements and contributions are a business's")]
    NotABusiness(Handle),
    #[error("business {0} has no agreement")]
    UnknownAgreement(Handle),
    #[error("a collect names 1 to {max} businesses, each once, in ascending order")]
    CollectBusinesses { max: usize },
    #[error("period {0} has not begun; only a period begun or past is collected")]
    PeriodNotStarted(Period),
    #[error("rule {0} does not exist")]
    UnknownRule(RuleId),
    #[error("rule {0} exists already")]
    RuleExists(RuleId),
    #[error("{by} has already approved rule {rule}; each treasurer counts once")]
    RuleAlreadyApproved { rule: RuleId, by: Handle },
    #[error("rule {rule} is already adopted (version {version}); it takes no more approvals")]
    RuleAlreadyAdopted { rule: RuleId, version: u32 },
    #[error("distribution {0} does not exist")]
    UnknownDistribution(DistributionId),
    #[error("distribution {0} exists already")]
    DistributionExists(DistributionId),
    #[error("no distribution can be planned: {0}")]
    NoDistributionPlan(String),
    #[error("nothing to distribute for {unit} in {period}: no validated declaration is left to pay")]
    NothingToDistribute { unit: UnitCode, period: Period },
    #[error("the distribution planned now differs from the one signed ({what}): review the plan again")]
    DistributionChanged { what: String },
    #[error("{by} has already approved distribution {distribution}; each treasurer counts once")]
    DistributionAlreadyApproved { distribution: DistributionId, by: Handle },
    #[error("distribution {0} is already executed; it takes no more approvals")]
    DistributionAlreadyExecuted(DistributionId),
    #[error("declaration {declaration} was paid by distribution {by}; propose this period's distribution again")]
    DeclarationAlreadyPaid { declaration: DeclarationId, by: DistributionId },
}

impl Refusal {
    /// The class of failure.
    pub fn class(&self) -> ErrorClass {
        use ErrorClass::*;
        match self {
            Refusal::ImportRow { refusal, .. } => refusal.class(),
            Refusal::UnknownInvoice(_) => NotFound,
            Refusal::InvoiceExists(_) => AlreadyExists,
            Refusal::InvoiceNotIssued { .. } => FailedPrecondition,
            Refusal::InvoiceMismatch(_) | Refusal::SelfInvoice | Refusal::ZeroInvoice => InvalidArgument,
            Refusal::ImportSize { .. } => InvalidArgument,
            Refusal::Signature(_) | Refusal::UnknownKey(_) | Refusal::KeyRevoked(_) => Unauthenticated,
            Refusal::WrongLedger | Refusal::SameAccount | Refusal::SystemKindRequested => InvalidArgument,
            Refusal::ZeroAmount | Refusal::HandleReserved(_) => InvalidArgument,
            Refusal::SoftLimitAboveCreditLimit { .. } | Refusal::UnitMismatch { .. } => InvalidArgument,
            Refusal::NotAuthorised(_) => PermissionDenied,
            Refusal::UnknownAccount(_) | Refusal::UnknownHandle(_) | Refusal::UnknownUnit(_) => NotFound,
            Refusal::HandleTaken(_) | Refusal::UnitExists(_) | Refusal::KeyInUse(_) => AlreadyExists,
            Refusal::TransferExists(_) => AlreadyExists,
            Refusal::NotInitialised
            | Refusal::AlreadyInitialised
            | Refusal::KeyNotHeld { .. }
            | Refusal::LastKey { .. }
            | Refusal::SystemAccount(_)
            | Refusal::AccountFrozen(_)
            | Refusal::AccountClosed(_)
            | Refusal::StatusUnchanged(_)
            | Refusal::BalanceNotZero { .. }
            | Refusal::CreditLimitExceeded { .. }
            | Refusal::CeilingExceeded { .. }
            | Refusal::LimitsExcludeBalance { .. }
            | Refusal::RoleAlreadyHeld { .. }
            | Refusal::RoleNotHeld { .. }
            | Refusal::OwnAdminRole
            | Refusal::NotARequest(_)
            | Refusal::RequestNotPending { .. }
            | Refusal::RequestExpired(_)
            | Refusal::NotReversible { .. }
            | Refusal::AlreadyReversed { .. } => FailedPrecondition,
            Refusal::InvoiceImportRow { refusal, .. } => refusal.class(),
            Refusal::UnknownTransfer(_) | Refusal::UnknownCommons(_) | Refusal::UnknownDeclaration(_) => NotFound,
            Refusal::CommonsExists(_) => AlreadyExists,
            Refusal::ClearingRunSize { .. }
            | Refusal::SetOffTwice(_)
            | Refusal::InvoiceUnitMismatch { .. }
            | Refusal::ZeroSetOff(_)
            | Refusal::NetPositionChanged { .. }
            | Refusal::CreditPostingTwice(_)
            | Refusal::InvalidCreditPosting(_)
            | Refusal::CreditUnbalanced { .. } => InvalidArgument,
            // What the state says now: the invoice was settled or changed since the plan.
            Refusal::InvoiceNotOpen { .. } | Refusal::SetOffTooLarge { .. } => FailedPrecondition,
            Refusal::DeclarationMismatch { .. } => InvalidArgument,
            Refusal::DeclarationNotPending { .. } => FailedPrecondition,
            Refusal::UnknownRule(_) => NotFound,
            Refusal::RuleExists(_) => AlreadyExists,
            Refusal::RuleAlreadyApproved { .. } | Refusal::RuleAlreadyAdopted { .. } => FailedPrecondition,
            Refusal::UnknownDistribution(_) => NotFound,
            Refusal::DistributionExists(_) => AlreadyExists,
            Refusal::NoDistributionPlan(_)
            | Refusal::NothingToDistribute { .. }
            | Refusal::DistributionChanged { .. }
            | Refusal::DistributionAlreadyApproved { .. }
            | Refusal::DistributionAlreadyExecuted(_)
            | Refusal::DeclarationAlreadyPaid { .. } => FailedPrecondition,
            Refusal::TransferMismatch(_) | Refusal::InvalidLifetime { .. } => InvalidArgument,
            Refusal::NotABusiness(_) | Refusal::PeriodNotStarted(_) => FailedPrecondition,
            Refusal::UnknownAgreement(_) => NotFound,
            Refusal::CollectBusinesses { .. } => InvalidArgument,
        }
    }

    /// A stable UPPER_SNAKE reason, for `ErrorInfo.reason` and scripts.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::Signature(SignatureError::Missing) => "SIGNATURE_MISSING",
            Refusal::Signature(SignatureError::TooMany) => "TOO_MANY_SIGNATURES",
            Refusal::Signature(SignatureError::Invalid(_)) => "BAD_SIGNATURE",
            Refusal::WrongLedger => "WRONG_LEDGER",
            Refusal::NotInitialised => "NOT_INITIALISED",
            Refusal::AlreadyInitialised => "ALREADY_INITIALISED",
            Refusal::UnknownKey(_) => "UNKNOWN_KEY",
            Refusal::KeyRevoked(_) => "KEY_REVOKED",
            Refusal::NotAuthorised(_) => "NOT_AUTHORISED",
            Refusal::UnknownAccount(_) => "ACCOUNT_NOT_FOUND",
            Refusal::UnknownHandle(_) => "HANDLE_NOT_FOUND",
            Refusal::UnknownUnit(_) => "UNIT_NOT_FOUND",
            Refusal::HandleTaken(_) => "HANDLE_TAKEN",
            Refusal::UnitExists(_) => "UNIT_EXISTS",
            Refusal::KeyInUse(_) => "KEY_IN_USE",
            Refusal::KeyNotHeld { .. } => "KEY_NOT_HELD",
            Refusal::LastKey { .. } => "LAST_KEY",
            Refusal::UnitMismatch { .. } => "UNIT_MISMATCH",
            Refusal::SameAccount => "SAME_ACCOUNT",
            Refusal::ZeroAmount => "INVALID_AMOUNT",
            Refusal::HandleReserved(_) => "HANDLE_RESERVED",
            Refusal::SystemAccount(_) => "SYSTEM_ACCOUNT",
            Refusal::SystemKindRequested => "SYSTEM_KIND_REQUESTED",
            Refusal::AccountFrozen(_) => "ACCOUNT_FROZEN",
            Refusal::AccountClosed(_) => "ACCOUNT_CLOSED",
            Refusal::StatusUnchanged(_) => "STATUS_UNCHANGED",
            Refusal::BalanceNotZero { .. } => "BALANCE_NOT_ZERO",
            Refusal::CreditLimitExceeded { .. } => "CREDIT_LIMIT_EXCEEDED",
            Refusal::CeilingExceeded { .. } => "CEILING_EXCEEDED",
            Refusal::SoftLimitAboveCreditLimit { .. } => "SOFT_LIMIT_ABOVE_CREDIT_LIMIT",
            Refusal::LimitsExcludeBalance { .. } => "LIMITS_EXCLUDE_BALANCE",
            Refusal::RoleAlreadyHeld { .. } => "ROLE_ALREADY_HELD",
            Refusal::RoleNotHeld { .. } => "ROLE_NOT_HELD",
            Refusal::OwnAdminRole => "OWN_ADMIN_ROLE",
            Refusal::UnknownTransfer(_) => "TRANSFER_NOT_FOUND",
            // The row's own reason (CREDIT_LIMIT_EXCEEDED...): the message names its line.
            Refusal::ImportRow { refusal, .. } => refusal.reason(),
            Refusal::TransferExists(_) => "TRANSFER_EXISTS",
            Refusal::NotARequest(_) => "NOT_A_REQUEST",
            Refusal::TransferMismatch(_) => "TRANSFER_MISMATCH",
            Refusal::RequestNotPending { .. } => "REQUEST_NOT_PENDING",
            Refusal::RequestExpired(_) => "REQUEST_EXPIRED",
            Refusal::InvalidLifetime { .. } => "INVALID_EXPIRY",
            Refusal::NotReversible { .. } => "NOT_REVERSIBLE",
            Refusal::AlreadyReversed { .. } => "ALREADY_REVERSED",
            Refusal::UnknownInvoice(_) => "INVOICE_NOT_FOUND",
            Refusal::InvoiceExists(_) => "INVOICE_EXISTS",
            Refusal::InvoiceMismatch(_) => "INVOICE_MISMATCH",
            Refusal::InvoiceNotIssued { .. } => "INVOICE_NOT_ISSUED",
            Refusal::SelfInvoice => "SAME_ACCOUNT",
            Refusal::ZeroInvoice => "INVALID_AMOUNT",
            Refusal::ImportSize { .. } => "INVALID_IMPORT_SIZE",
            Refusal::InvoiceImportRow { refusal, .. } => refusal.reason(),
            Refusal::ClearingRunSize { .. } => "INVALID_CLEARING_SIZE",
            Refusal::SetOffTwice(_) => "DUPLICATE_SET_OFF",
            Refusal::InvoiceNotOpen { .. } => "INVOICE_NOT_OPEN",
            Refusal::InvoiceUnitMismatch { .. } => "UNIT_MISMATCH",
            Refusal::ZeroSetOff(_) | Refusal::InvalidCreditPosting(_) => "INVALID_AMOUNT",
            Refusal::SetOffTooLarge { .. } => "SET_OFF_EXCEEDS_REMAINING",
            Refusal::NetPositionChanged { .. } => "NET_POSITION_CHANGED",
            Refusal::CreditPostingTwice(_) => "DUPLICATE_CREDIT_POSTING",
            Refusal::CreditUnbalanced { .. } => "CREDIT_NOT_BALANCED",
            Refusal::UnknownCommons(_) => "COMMONS_NOT_FOUND",
            Refusal::CommonsExists(_) => "COMMONS_EXISTS",
            Refusal::UnknownDeclaration(_) => "DECLARATION_NOT_FOUND",
            Refusal::DeclarationMismatch { .. } => "DECLARATION_MISMATCH",
            Refusal::DeclarationNotPending { .. } => "DECLARATION_NOT_PENDING",
            Refusal::NotABusiness(_) => "NOT_A_BUSINESS",
            Refusal::UnknownAgreement(_) => "AGREEMENT_NOT_FOUND",
            Refusal::CollectBusinesses { .. } => "INVALID_COLLECT_SIZE",
            Refusal::PeriodNotStarted(_) => "PERIOD_NOT_STARTED",
            Refusal::UnknownRule(_) => "RULE_NOT_FOUND",
            Refusal::RuleExists(_) => "RULE_EXISTS",
            Refusal::RuleAlreadyApproved { .. } => "RULE_ALREADY_APPROVED",
            Refusal::RuleAlreadyAdopted { .. } => "RULE_ALREADY_ADOPTED",
            Refusal::UnknownDistribution(_) => "DISTRIBUTION_NOT_FOUND",
            Refusal::DistributionExists(_) => "DISTRIBUTION_EXISTS",
            Refusal::NoDistributionPlan(_) => "NO_DISTRIBUTION_PLAN",
            Refusal::NothingToDistribute { .. } => "NOTHING_TO_DISTRIBUTE",
            Refusal::DistributionChanged { .. } => "DISTRIBUTION_CHANGED",
            Refusal::DistributionAlreadyApproved { .. } => "DISTRIBUTION_ALREADY_APPROVED",
            Refusal::DistributionAlreadyExecuted(_) => "DISTRIBUTION_ALREADY_EXECUTED",
            Refusal::DeclarationAlreadyPaid { .. } => "DECLARATION_ALREADY_PAID",
        }
    }
}
