//! Transfers: what moved (or was asked to move) value between two accounts, and where each one
//! stands. A transfer's id is the request id of the command that created it.
//!
//! | kind | created by | status |
//! |---|---|---|
//! | payment | `Pay`, signed by the payer | committed at once |
//! | request | `RequestPayment`, signed by the payee | pending, then committed (`AcceptRequest`) or rejected (`RejectRequest`) |
//! | reversal | `Reverse`, by the original payee or a treasurer | committed at once; undoes a committed payment or request |
//! | import | `ImportTransfers`, by a treasurer, many per entry | committed at once |
//! | clearing | `ClearingRun` with credit, by a treasurer, many per entry | committed at once; not reversible |
//! | levy | a payment or accepted request to a business with a levy, in the same entry | committed at once |
//! | contribution | `Contribute` (the business) or `Collect` (a treasurer), to the fund | committed at once |
//!
//! A pending request past its expiry stays pending in storage but can no longer be accepted: the
//! expiry is compared with the timestamp of the entry that tries, so a replay decides the same.

use crate::amount::Amount;
use crate::names::{Handle, Memo, RequestId, UnitCode};

/// The longest a payment request may stay open: one year and a day.
pub const REQUEST_LIFETIME_MAX_MS: i64 = 366 * 24 * 60 * 60 * 1000;

/// How a transfer came to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransferKind {
    /// Signed by the payer, committed at once.
    Payment,
    /// Signed by the payee, committed once the payer accepts it.
    Request,
    /// Undoes a committed payment or request.
    Reversal,
    /// Moved by a treasurer's bulk import from another system ([`crate::import`]).
    Import,
    /// Moved by a clearing run with credit, settling invoices through mutual credit
    /// ([`crate::clearing::settlement`]).
    Clearing,
    /// A business's levy on a payment it received, to the fund, in the payment's entry.
    Levy,
    /// A business's contribution to the fund: one-off, or its recurring amount collected.
    Contribution,
    /// A contributor's payment from the fund by an executed distribution.
    Distribution,
}

impl TransferKind {
    /// Every kind.
    pub const ALL: [TransferKind; 8] = [
        TransferKind::Payment,
        TransferKind::Request,
        TransferKind::Reversal,
        TransferKind::Import,
        TransferKind::Clearing,
        TransferKind::Levy,
        TransferKind::Contribution,
        TransferKind::Distribution,
    ];

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            TransferKind::Payment => "payment",
            TransferKind::Request => "request",
            TransferKind::Reversal => "reversal",
            TransferKind::Import => "import",
            TransferKind::Clearing => "clearing",
            TransferKind::Levy => "levy",
            TransferKind::Contribution => "contribution",
            TransferKind::Distribution => "distribution",
        }
    }

    /// From the lowercase name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// Where a transfer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransferStatus {
    /// A request waiting for its payer.
    Pending,
    /// Value moved.
    Committed,
    /// A request its payer declined.
    Rejected,
}

impl TransferStatus {
    /// Every status.
    pub const ALL: [TransferStatus; 3] = [TransferStatus::Pending, TransferStatus::Committed, TransferStatus::Rejected];

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Pending => "pending",
            TransferStatus::Committed => "committed",
            TransferStatus::Rejected => "rejected",
        }
    }

    /// From the lowercase name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// One transfer and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// The request id of the command that created it.
    pub id: RequestId,
    /// Payment, request or reversal.
    pub kind: TransferKind,
    /// Pending, committed or rejected.
    pub status: TransferStatus,
    /// The account that pays (or is asked to).
    pub payer: Handle,
    /// The account that receives.
    pub payee: Handle,
    /// Unit of both accounts.
    pub unit: UnitCode,
    /// Positive amount.
    pub amount: Amount,
    /// Note to the payee; for a reversal, its reason.
    pub memo: Memo,
    /// Timestamp of the entry that created it, milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// A request: from this instant on it can no longer be accepted.
    pub expires_at_ms: Option<i64>,
    /// A reversal: the transfer it undoes.
    pub reverses: Option<RequestId>,
    /// The reversal that undid it, if any (a transfer is reversed at most once).
    pub reversed_by: Option<RequestId>,
}

impl Transfer {
    /// Whether it is a pending request whose expiry has passed at `now_ms`.
    pub fn expired_at(&self, now_ms: i64) -> bool {
        self.status == TransferStatus::Pending && self.expires_at_ms.is_some_and(|expiry| now_ms >= expiry)
    }
}

/// What a payer does with a request, for [`answer_id`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Accept it.
    Accept,
    /// Reject it.
    Reject,
}

/// The request id of the payer's answer to a request: derived from the request's id, so the
/// same answer sent twice is the same command and the second returns the first result
/// (accepting twice is idempotent). A UUID of version 8 (custom), from SHA-256.
pub fn answer_id(request: RequestId, answer: Answer) -> RequestId {
    let tag: &[u8] = match answer {
        Answer::Accept => b"commons-ledger/accept/v1\0",
        Answer::Reject => b"commons-ledger/reject/v1\0",
    };
    RequestId::derived(tag, &[request.as_bytes()])
}
