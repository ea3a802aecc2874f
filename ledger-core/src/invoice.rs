//! Invoices: trade credit outside the mutual-credit balances. An invoice says that a debtor owes
//! a creditor an amount of a unit; issuing, accepting or importing one moves no balance (its
//! entry has no postings). Accepted invoices with something left to pay are what a clearing run
//! sets off against each other. An invoice's id is the request id of the command that created
//! it, or for an imported one an id derived from its external id ([`imported_id`]).
//!
//! | status | how | then |
//! |---|---|---|
//! | issued | `IssueInvoice`, signed by the creditor | awaits the debtor |
//! | accepted | `AcceptInvoice` by the debtor, or `ImportInvoices` by a treasurer | open while `remaining` > 0 |
//! | rejected | `RejectInvoice` by the debtor | final |

use crate::amount::Amount;
use crate::command::{Command, signing_bytes};
use crate::date::Date;
use crate::names::{Handle, LedgerId, Reference, RequestId, UnitCode};
use crate::transfer::Answer;

/// The most invoices one `ImportInvoices` command carries: its signed bytes stay well under the
/// API's message limit (a row is at most about 650 bytes), and a larger file is split into
/// several commands.
pub const IMPORT_ROWS_MAX: usize = 1000;

/// Where an invoice stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InvoiceStatus {
    /// Issued by the creditor, awaiting the debtor.
    Issued,
    /// Acknowledged by the debtor (or imported): it takes part in clearing while anything remains.
    Accepted,
    /// Declined by the debtor.
    Rejected,
}

impl InvoiceStatus {
    /// Every status.
    pub const ALL: [InvoiceStatus; 3] = [InvoiceStatus::Issued, InvoiceStatus::Accepted, InvoiceStatus::Rejected];

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Issued => "issued",
            InvoiceStatus::Accepted => "accepted",
            InvoiceStatus::Rejected => "rejected",
        }
    }

    /// From the lowercase name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// One invoice and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    /// The request id of the command that issued it, or the id derived for an imported one.
    pub id: RequestId,
    /// Who is owed.
    pub creditor: Handle,
    /// Who owes.
    pub debtor: Handle,
    /// Unit of both accounts.
    pub unit: UnitCode,
    /// The amount invoiced, positive.
    pub amount: Amount,
    /// What is still owed: the amount less what clearing runs set off.
    pub remaining: Amount,
    /// When it falls due, if said.
    pub due: Option<Date>,
    /// The creditor's reference, possibly empty.
    pub reference: Reference,
    /// Issued, accepted or rejected.
    pub status: InvoiceStatus,
    /// Timestamp of the entry that created it, milliseconds since the Unix epoch.
    pub created_ms: i64,
}

impl Invoice {
    /// Whether a clearing run may set it off: accepted, with something left to pay.
    pub fn is_open(&self) -> bool {
        self.status == InvoiceStatus::Accepted && !self.remaining.is_zero()
    }
}

/// One row of an `ImportInvoices` command: an invoice created directly as accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedInvoice {
    /// Its id, from [`imported_id`].
    pub id: RequestId,
    /// Who is owed.
    pub creditor: Handle,
    /// Who owes.
    pub debtor: Handle,
    /// Positive amount, in the command's unit.
    pub amount: Amount,
    /// When it falls due, if known.
    pub due: Option<Date>,
    /// The reference carried over, possibly empty.
    pub reference: Reference,
}

/// The request id of the debtor's answer to an invoice: derived from the invoice's id, so the
/// same answer sent twice is the same command and the second returns the first result. A UUID of
/// version 8 (custom), from SHA-256; the tags differ from those of payment requests.
pub fn answer_id(invoice: RequestId, answer: Answer) -> RequestId {
    let tag: &[u8] = match answer {
        Answer::Accept => b"commons-ledger/invoice-accept/v1\0",
        Answer::Reject => b"commons-ledger/invoice-reject/v1\0",
    };
    RequestId::derived(tag, &[invoice.as_bytes()])
}

/// The id of an imported invoice, derived from the id it had in the books it comes from: the
/// same external id always gives the same invoice id in one ledger, so importing a row twice can
/// never make two invoices of it (the second is refused as existing).
pub fn imported_id(ledger_id: LedgerId, external_id: &str) -> RequestId {
    RequestId::derived(b"commons-ledger/invoice-import-id/v1\0", &[ledger_id.as_bytes(), external_id.as_bytes()])
}

/// The request id of an import command, derived from everything it says: sending the same rows
/// again (a retry, or the same file imported twice) is the same command, answered with the first
/// result instead of being applied twice.
pub fn import_request_id(ledger_id: LedgerId, command: &Command) -> RequestId {
    let bytes = signing_bytes(ledger_id, RequestId::from_uuid(uuid::Uuid::nil()), command);
    RequestId::derived(b"commons-ledger/invoice-import/v1\0", &[&bytes])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_depend_on_what_they_derive_from() {
        let ledger = LedgerId::from_uuid(uuid::Uuid::from_u128(1));
        let other = LedgerId::from_uuid(uuid::Uuid::from_u128(2));
        assert_eq!(imported_id(ledger, "INV-1"), imported_id(ledger, "INV-1"));
        assert_ne!(imported_id(ledger, "INV-1"), imported_id(ledger, "INV-2"));
        assert_ne!(imported_id(ledger, "INV-1"), imported_id(other, "INV-1"));
        let id = imported_id(ledger, "INV-1");
        assert_ne!(answer_id(id, Answer::Accept), answer_id(id, Answer::Reject));
        assert_ne!(answer_id(id, Answer::Accept), crate::transfer::answer_id(id, Answer::Accept));
    }
}
