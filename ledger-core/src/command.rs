//! Commands: every state change a client can ask for, and their canonical signed bytes.
//!
//! # Signed byte layout (version 1)
//!
//! ```text
//! "commons-ledger/command/v1" 0x00     domain tag, so these bytes never verify as anything else
//! ledger id                 16 bytes   so a command never replays on another ledger
//! request id                16 bytes   idempotency key; a transfer's id
//! command tag               1 byte     see `Command::tag`
//! fields                               in declaration order, encoded as in `crate::canonical`
//! ```
//!
//! Enumerations are one byte: account kind member=1 business=2 system=3; role admin=1
//! treasurer=2 steward=3 auditor=4; status active=1 frozen=2 closed=3. A transfer id inside a
//! command is its 16 UUID bytes.
//!
//! Revision 2 of the layout (transfer workflows) added tags 11 to 14 (`RequestPayment`,
//! `AcceptRequest`, `RejectRequest`, `Reverse`) without changing tags 1 to 10, so every entry
//! signed under revision 1 keeps its bytes and its signatures.
//!
//! Revision 3 added tag 15 (`ImportTransfers`: unit, file hash, first line, then a `u32` count of
//! rows and each row's fields) and tags 16 to 19 (`IssueInvoice`, `AcceptInvoice`,
//! `RejectInvoice`, `ImportInvoices`), again leaving every earlier tag unchanged. A due date is
//! encoded as its `YYYY-MM-DD` text; the rows of an invoice import as a `u32` count followed by
//! each row's fields.
//! The clearing house added tag 20 (`ClearingRun`: unit, a `u32` count of set-offs each as
//! invoice id and amount, then a `u32` count of credit postings each as handle and signed `i64`).
//! The chamber of the commons added tags 30 to 33 (`AddCommons`, `Declare`,
//! `ValidateDeclaration`, `RefuseDeclaration`), their fields encoded as in `crate::chamber`.
//! Contributions to the commons fund added tags 34 to 36: `SetAgreement` (the agreement's
//! encoding), `Contribute` (business, unit, amount, memo) and `Collect` (unit, period, then a
//! `u32` count of businesses and each handle, in strictly ascending order).
//! Remuneration rules added tags 37 to 39 (`SetQuorum`: a `u32`; `ProposeRule`: the unit's code, then
//! the rule as in `crate::chamber::rule_encoding`; `ApproveRule`: the rule's id, 16 bytes).
//! Distributions added tags 40 and 41 (`ProposeDistribution`: unit, period, the rule's id, the
//! amount distributed as an `i64` of minor units, the 32-byte digest of the lines as in
//! `crate::chamber::lines_digest`; `ApproveDistribution`: the distribution's id, 16 bytes).
//! Tag 42 is `ImportTransfers` again, its fields as under tag 15, for a batch whose rows' transfer
//! ids increase in time ([`crate::import::RowIds::InTimeOrder`]); tag 15 now only decodes, so the
//! entries signed under it replay with the hashed ids they were committed with.

use crate::account::{AccountKind, AccountStatus, Role};
use crate::amount::{Amount, Scale};
use crate::canonical::{DecodeError, Decoder, Encoder};
use crate::chamber::{
    Agreement, COLLECT_BUSINESSES_MAX, Category, Commons, CommonsName, Note, Period, Quantity, Quorum, Rule,
};
use crate::clearing::settlement::{CreditPosting, SET_OFFS_MAX, SetOffLine};
use crate::date::Date;
use crate::import::{IMPORT_ROWS_MAX, ImportRow, RowIds};
use crate::invoice::{self, ImportedInvoice};
use crate::journal::POSTINGS_MAX;
use crate::keys::{PublicKey, SecretKey, Signature};
use crate::names::{
    DeclarationId, DisplayName, DistributionId, Handle, LedgerId, Memo, Reason, Reference, RequestId, RuleId, UnitCode,
};

/// The domain tag of signed command bytes.
pub const COMMAND_DOMAIN: &[u8] = b"commons-ledger/command/v1\0";

/// The most signatures one command may carry.
pub const SIGNATURES_MAX: usize = 8;

/// A state change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// The first entry of a ledger: names its admin and node keys. Signed by the node key.
    Genesis {
        /// Key of the first admin (who also holds the treasurer role), handle `admin`.
        admin_key: PublicKey,
        /// The server's own key, which signs checkpoints.
        node_key: PublicKey,
    },
    /// Defines a unit and opens its commons fund. Admin.
    CreateUnit {
        /// Code.
        code: UnitCode,
        /// Decimal places.
        scale: Scale,
        /// Display name.
        name: DisplayName,
    },
    /// Opens an account holding one unit, with its first key. Treasurer.
    OpenAccount {
        /// New, unused handle.
        handle: Handle,
        /// Unit it holds.
        unit: UnitCode,
        /// Member or business (system accounts are opened by the ledger).
        kind: AccountKind,
        /// Display name.
        name: DisplayName,
        /// The owner's key.
        public_key: PublicKey,
        /// How far below zero it may go.
        credit_limit: Amount,
        /// How far above zero it may go.
        ceiling: Option<Amount>,
        /// Warning threshold below zero.
        soft_limit: Option<Amount>,
    },
    /// Replaces an account's limits. Treasurer.
    SetLimits {
        /// Account.
        handle: Handle,
        /// New credit limit.
        credit_limit: Amount,
        /// New ceiling.
        ceiling: Option<Amount>,
        /// New soft limit.
        soft_limit: Option<Amount>,
        /// Why.
        reason: Reason,
    },
    /// Freezes, unfreezes or closes an account. Treasurer.
    SetStatus {
        /// Account.
        handle: Handle,
        /// New status.
        status: AccountStatus,
        /// Why.
        reason: Reason,
    },
    /// Grants a role. Admin.
    GrantRole {
        /// Holder.
        handle: Handle,
        /// Role.
        role: Role,
    },
    /// Revokes a role. Admin; nobody revokes their own admin role, so one admin always remains.
    RevokeRole {
        /// Holder.
        handle: Handle,
        /// Role.
        role: Role,
    },
    /// Adds a key to a handle. Treasurer, or the handle itself.
    RegisterKey {
        /// Holder.
        handle: Handle,
        /// New key, not registered anywhere yet.
        public_key: PublicKey,
    },
    /// Revokes a key. Treasurer, or the handle itself; a handle keeps at least one key.
    RevokeKey {
        /// Holder.
        handle: Handle,
        /// Key to revoke.
        public_key: PublicKey,
    },
    /// Moves `amount` of `unit` from `payer` to `payee` at once. Signed by the payer.
    Pay {
        /// Paying account.
        payer: Handle,
        /// Receiving account.
        payee: Handle,
        /// Unit of both accounts.
        unit: UnitCode,
        /// Positive amount.
        amount: Amount,
        /// Note to the payee.
        memo: Memo,
    },
    /// Asks `payer` to pay `amount` to `payee`: a pending transfer. Signed by the payee.
    RequestPayment {
        /// Receiving account, which asks.
        payee: Handle,
        /// Account asked to pay.
        payer: Handle,
        /// Unit of both accounts.
        unit: UnitCode,
        /// Positive amount.
        amount: Amount,
        /// Note to the payer.
        memo: Memo,
        /// How long after its entry the request can be accepted, in milliseconds (positive, at
        /// most [`crate::transfer::REQUEST_LIFETIME_MAX_MS`]).
        lifetime_ms: i64,
    },
    /// Accepts a pending request: value moves now, within the payer's limits. Signed by the
    /// payer, over the request's parties and amount, so the payer signs exactly what it pays.
    AcceptRequest {
        /// The request's transfer id.
        request: RequestId,
        /// The paying account, as in the request.
        payer: Handle,
        /// The receiving account, as in the request.
        payee: Handle,
        /// Unit, as in the request.
        unit: UnitCode,
        /// Amount, as in the request.
        amount: Amount,
    },
    /// Declines a pending request. Signed by the payer.
    RejectRequest {
        /// The request's transfer id.
        request: RequestId,
        /// The account asked to pay, as in the request.
        payer: Handle,
    },
    /// Undoes a committed payment or accepted request with a new transfer back. Signed by the
    /// original payee (a refund) or a treasurer (a correction).
    Reverse {
        /// The transfer undone.
        transfer: RequestId,
        /// Who pays back: the original payee.
        payer: Handle,
        /// Who is paid back: the original payer.
        payee: Handle,
        /// Unit, as in the original.
        unit: UnitCode,
        /// Amount, as in the original.
        amount: Amount,
        /// Why.
        reason: Reason,
    },
    /// Moves a batch of transfers imported from another system ([`crate::import`]). Signed by a
    /// treasurer, once for every row, over the rows and the hash of the file they come from.
    ImportTransfers {
        /// Unit of every row.
        unit: UnitCode,
        /// SHA-256 of the whole file the rows come from.
        file_sha256: [u8; 32],
        /// The line of the file that holds the first row (the header is line 1).
        first_line: u32,
        /// The transfers, in file order: 1 to [`crate::import::IMPORT_ROWS_MAX`].
        rows: Vec<ImportRow>,
        /// How the rows' transfer ids are derived (tag 42 in time order, tag 15 hashed).
        row_ids: RowIds,
    },
    /// Issues an invoice: the debtor owes the creditor `amount`, outside the mutual-credit
    /// balances. Signed by the creditor; the invoice's id is the request id.
    IssueInvoice {
        /// Who is owed, who issues.
        creditor: Handle,
        /// Who owes.
        debtor: Handle,
        /// Unit of both accounts.
        unit: UnitCode,
        /// Positive amount.
        amount: Amount,
        /// When it falls due, if said.
        due: Option<Date>,
        /// The creditor's reference, possibly empty.
        reference: Reference,
    },
    /// Accepts an issued invoice: it becomes open for clearing. Signed by the debtor, over the
    /// invoice's parties, unit and amount, so the debtor signs exactly what it acknowledges.
    AcceptInvoice {
        /// The invoice's id.
        invoice: RequestId,
        /// Who owes, as in the invoice.
        debtor: Handle,
        /// Who is owed, as in the invoice.
        creditor: Handle,
        /// Unit, as in the invoice.
        unit: UnitCode,
        /// Amount, as in the invoice.
        amount: Amount,
    },
    /// Declines an issued invoice. Signed by the debtor.
    RejectInvoice {
        /// The invoice's id.
        invoice: RequestId,
        /// Who was invoiced, as in the invoice.
        debtor: Handle,
    },
    /// Creates invoices directly as accepted, to carry existing trade credit over into the ledger:
    /// all of them or none. Treasurer. At most [`invoice::IMPORT_ROWS_MAX`] rows.
    ImportInvoices {
        /// Unit of every invoice.
        unit: UnitCode,
        /// The invoices, in order.
        invoices: Vec<ImportedInvoice>,
    },
    /// Applies a reviewed clearing run in one entry: reduces each invoice by its set-off and
    /// moves each credit posting, after checking all of them against the state of that moment.
    /// Treasurer. Its request id is the run's id.
    ClearingRun {
        /// Unit of every invoice and account.
        unit: UnitCode,
        /// The invoices reduced: 1 to [`SET_OFFS_MAX`], each invoice at most once.
        set_offs: Vec<SetOffLine>,
        /// With credit: each account's balance change, summing to zero; at most
        /// [`crate::journal::POSTINGS_MAX`]. Empty in a run without credit.
        credit: Vec<CreditPosting>,
    },
    /// Registers a commons with its stewards, who must hold handles already. Treasurer.
    AddCommons {
        /// The commons; its name is its id in the registry and must be unused.
        commons: Commons,
    },
    /// Declares work done for a commons: a pending declaration whose id is the request id.
    /// Signed by the contributor.
    Declare {
        /// Who did the work: an account, which a distribution pays.
        contributor: Handle,
        /// The commons the work was for.
        commons: CommonsName,
        /// The kind of work.
        category: Category,
        /// How much.
        quantity: Quantity,
        /// The month it was done in.
        period: Period,
        /// The contributor's note.
        note: Note,
    },
    /// Confirms a pending declaration. Signed by a steward of its commons, over the commons too,
    /// so a steward signs exactly which registry entry they speak for.
    ValidateDeclaration {
        /// The declaration.
        declaration: DeclarationId,
        /// Its commons, as in the declaration.
        commons: CommonsName,
    },
    /// Refuses a pending declaration: it never earns anything. Signed by a steward of its
    /// commons.
    RefuseDeclaration {
        /// The declaration.
        declaration: DeclarationId,
        /// Its commons, as in the declaration.
        commons: CommonsName,
    },
    /// Sets or replaces a business's agreement with the chamber. Treasurer; the business must be
    /// an active account of kind business.
    SetAgreement {
        /// The terms, naming the business.
        agreement: Agreement,
    },
    /// A one-off contribution from a business to its unit's fund. Signed by the business; the
    /// transfer's id is the request id.
    Contribute {
        /// The contributing business.
        business: Handle,
        /// Its unit, and the fund's.
        unit: UnitCode,
        /// Positive amount.
        amount: Amount,
        /// Note.
        memo: Memo,
    },
    /// Collects the recurring contributions due for `period` from the named businesses of
    /// `unit`: each that fits its limits moves now, at most once per agreement and period; the
    /// others are reported. Treasurer.
    Collect {
        /// Unit of every business named, and of the fund.
        unit: UnitCode,
        /// The month collected for.
        period: Period,
        /// 1 to [`COLLECT_BUSINESSES_MAX`] handles, strictly ascending.
        businesses: Vec<Handle>,
    },
    /// Sets how many treasurers' approvals adopt a remuneration rule from now on. Admin.
    SetQuorum {
        /// The new quorum.
        quorum: Quorum,
    },
    /// Proposes a remuneration rule for one unit's commons fund, whose id is the request id.
    /// Treasurer; the proposer's signature is its first approval, so with a quorum of 1 it is
    /// adopted at once.
    ProposeRule {
        /// The unit whose fund it distributes: its amounts are in that unit's minor units.
        unit: UnitCode,
        /// The terms, from the period they take effect.
        rule: Rule,
    },
    /// Approves a proposed rule. Signed by a treasurer who has not approved it yet; the approval
    /// that reaches the quorum adopts it.
    ApproveRule {
        /// The rule.
        rule: RuleId,
    },
    /// Proposes the distribution of `unit`'s fund for `period` that the ledger plans now, whose
    /// id is the request id: refused unless the plan is exactly the one signed. Treasurer; the
    /// proposer's signature is its first approval, so with a quorum of 1 it executes at once (see
    /// `crate::chamber::distribution`).
    ProposeDistribution {
        /// The unit whose fund is distributed.
        unit: UnitCode,
        /// The period paid.
        period: Period,
        /// The rule in force for the period, as the plan reviewed named it.
        rule: RuleId,
        /// What the plan moves from the fund, in minor units (zero when every line is zero).
        distributed: i64,
        /// [`crate::chamber::lines_digest`] of the plan's lines.
        lines_digest: [u8; 32],
    },
    /// Approves a proposed distribution. Signed by a treasurer who has not approved it yet; the
    /// approval that reaches the quorum executes it in its own entry.
    ApproveDistribution {
        /// The distribution.
        distribution: DistributionId,
    },
}

/// What kind of journal entry a command makes, as shown in history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    Genesis,
    Unit,
    Account,
    Limits,
    Status,
    Role,
    Key,
    Payment,
    Request,
    Acceptance,
    Rejection,
    Reversal,
    Import,
    Invoice,
    InvoiceAcceptance,
    InvoiceRejection,
    InvoiceImport,
    Clearing,
    Commons,
    Declaration,
    Validation,
    Refusal,
    Agreement,
    Contribution,
    Collection,
    Quorum,
    RuleProposal,
    RuleApproval,
    DistributionProposal,
    DistributionApproval,
}

impl EntryKind {
    /// Every kind.
    pub const ALL: [EntryKind; 30] = [
        EntryKind::Genesis,
        EntryKind::Unit,
        EntryKind::Account,
        EntryKind::Limits,
        EntryKind::Status,
        EntryKind::Role,
        EntryKind::Key,
        EntryKind::Payment,
        EntryKind::Request,
        EntryKind::Acceptance,
        EntryKind::Rejection,
        EntryKind::Reversal,
        EntryKind::Import,
        EntryKind::Invoice,
        EntryKind::InvoiceAcceptance,
        EntryKind::InvoiceRejection,
        EntryKind::InvoiceImport,
        EntryKind::Clearing,
        EntryKind::Commons,
        EntryKind::Declaration,
        EntryKind::Validation,
        EntryKind::Refusal,
        EntryKind::Agreement,
        EntryKind::Contribution,
        EntryKind::Collection,
        EntryKind::Quorum,
        EntryKind::RuleProposal,
        EntryKind::RuleApproval,
        EntryKind::DistributionProposal,
        EntryKind::DistributionApproval,
    ];

    /// From the lowercase name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Genesis => "genesis",
            EntryKind::Unit => "unit",
            EntryKind::Account => "account",
            EntryKind::Limits => "limits",
            EntryKind::Status => "status",
            EntryKind::Role => "role",
            EntryKind::Key => "key",
            EntryKind::Payment => "payment",
            EntryKind::Request => "request",
            EntryKind::Acceptance => "acceptance",
            EntryKind::Rejection => "rejection",
            EntryKind::Reversal => "reversal",
            EntryKind::Import => "import",
            EntryKind::Invoice => "invoice",
            EntryKind::InvoiceAcceptance => "invoice-acceptance",
            EntryKind::InvoiceRejection => "invoice-rejection",
            EntryKind::InvoiceImport => "invoice-import",
            EntryKind::Clearing => "clearing",
            EntryKind::Commons => "commons",
            EntryKind::Declaration => "declaration",
            EntryKind::Validation => "validation",
            EntryKind::Refusal => "refusal",
            EntryKind::Agreement => "agreement",
            EntryKind::Contribution => "contribution",
            EntryKind::Collection => "collection",
            EntryKind::Quorum => "quorum",
            EntryKind::RuleProposal => "rule-proposal",
            EntryKind::RuleApproval => "rule-approval",
            EntryKind::DistributionProposal => "distribution-proposal",
            EntryKind::DistributionApproval => "distribution-approval",
        }
    }
}

/// The handles, units and keys a command reads: what a caller holding only part of the ledger
/// must load before applying it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct References {
    /// Handles read or written (accounts, roles, keys).
    pub handles: Vec<Handle>,
    /// Units read or written.
    pub units: Vec<UnitCode>,
    /// Keys whose owner is read.
    pub keys: Vec<PublicKey>,
    /// Transfers read or written.
    pub transfers: Vec<RequestId>,
    /// Invoices read or written (an import names the ids it would create, to find any taken).
    pub invoices: Vec<RequestId>,
    /// Commons read or written.
    pub commons: Vec<CommonsName>,
    /// Declarations read or written.
    pub declarations: Vec<DeclarationId>,
    /// Businesses whose agreement is read or written (a payee's, for its levy).
    pub agreements: Vec<Handle>,
    /// Remuneration rules read or written.
    pub rules: Vec<RuleId>,
    /// Whether the rule book's settings (quorum, rules adopted so far) are read.
    pub rule_book: bool,
    /// Distributions read or written. A loader brings each one's declarations, with their
    /// contributors' accounts, and its unit's fund along.
    pub distributions: Vec<DistributionId>,
    /// (unit, period) pairs planned: a loader brings every declaration of the period with its
    /// contributor's account, every rule of the unit, and the unit's fund.
    pub distribution_plans: Vec<(UnitCode, Period)>,
}

impl References {
    /// Adds what `other` references.
    pub fn extend(&mut self, other: References) {
        self.handles.extend(other.handles);
        self.units.extend(other.units);
        self.keys.extend(other.keys);
        self.transfers.extend(other.transfers);
        self.invoices.extend(other.invoices);
        self.commons.extend(other.commons);
        self.declarations.extend(other.declarations);
        self.agreements.extend(other.agreements);
        self.rules.extend(other.rules);
        self.rule_book |= other.rule_book;
        self.distributions.extend(other.distributions);
        self.distribution_plans.extend(other.distribution_plans);
    }

    /// Sorts every list and drops repeats, so each row is named once and in a stable order.
    pub fn dedup(&mut self) {
        fn sorted<T: Ord>(list: &mut Vec<T>) {
            list.sort_unstable();
            list.dedup();
        }
        sorted(&mut self.handles);
        sorted(&mut self.units);
        sorted(&mut self.keys);
        sorted(&mut self.transfers);
        sorted(&mut self.invoices);
        sorted(&mut self.commons);
        sorted(&mut self.declarations);
        sorted(&mut self.agreements);
        sorted(&mut self.rules);
        sorted(&mut self.distributions);
        sorted(&mut self.distribution_plans);
    }
}

impl Command {
    /// The one-byte tag in the signed bytes.
    pub fn tag(&self) -> u8 {
        match self {
            Command::Genesis { .. } => 1,
            Command::CreateUnit { .. } => 2,
            Command::OpenAccount { .. } => 3,
            Command::SetLimits { .. } => 4,
            Command::SetStatus { .. } => 5,
            Command::GrantRole { .. } => 6,
            Command::RevokeRole { .. } => 7,
            Command::RegisterKey { .. } => 8,
            Command::RevokeKey { .. } => 9,
            Command::Pay { .. } => 10,
            Command::RequestPayment { .. } => 11,
            Command::AcceptRequest { .. } => 12,
            Command::RejectRequest { .. } => 13,
            Command::Reverse { .. } => 14,
            Command::ImportTransfers { row_ids: RowIds::Hashed, .. } => 15,
            Command::ImportTransfers { row_ids: RowIds::InTimeOrder, .. } => 42,
            Command::IssueInvoice { .. } => 16,
            Command::AcceptInvoice { .. } => 17,
            Command::RejectInvoice { .. } => 18,
            Command::ImportInvoices { .. } => 19,
            Command::ClearingRun { .. } => 20,
            Command::AddCommons { .. } => 30,
            Command::Declare { .. } => 31,
            Command::ValidateDeclaration { .. } => 32,
            Command::RefuseDeclaration { .. } => 33,
            Command::SetAgreement { .. } => 34,
            Command::Contribute { .. } => 35,
            Command::Collect { .. } => 36,
            Command::SetQuorum { .. } => 37,
            Command::ProposeRule { .. } => 38,
            Command::ApproveRule { .. } => 39,
            Command::ProposeDistribution { .. } => 40,
            Command::ApproveDistribution { .. } => 41,
        }
    }

    /// The kind of entry it makes.
    pub fn entry_kind(&self) -> EntryKind {
        match self {
            Command::Genesis { .. } => EntryKind::Genesis,
            Command::CreateUnit { .. } => EntryKind::Unit,
            Command::OpenAccount { .. } => EntryKind::Account,
            Command::SetLimits { .. } => EntryKind::Limits,
            Command::SetStatus { .. } => EntryKind::Status,
            Command::GrantRole { .. } | Command::RevokeRole { .. } => EntryKind::Role,
            Command::RegisterKey { .. } | Command::RevokeKey { .. } => EntryKind::Key,
            Command::Pay { .. } => EntryKind::Payment,
            Command::RequestPayment { .. } => EntryKind::Request,
            Command::AcceptRequest { .. } => EntryKind::Acceptance,
            Command::RejectRequest { .. } => EntryKind::Rejection,
            Command::Reverse { .. } => EntryKind::Reversal,
            Command::ImportTransfers { .. } => EntryKind::Import,
            Command::IssueInvoice { .. } => EntryKind::Invoice,
            Command::AcceptInvoice { .. } => EntryKind::InvoiceAcceptance,
            Command::RejectInvoice { .. } => EntryKind::InvoiceRejection,
            Command::ImportInvoices { .. } => EntryKind::InvoiceImport,
            Command::ClearingRun { .. } => EntryKind::Clearing,
            Command::AddCommons { .. } => EntryKind::Commons,
            Command::Declare { .. } => EntryKind::Declaration,
            Command::ValidateDeclaration { .. } => EntryKind::Validation,
            Command::RefuseDeclaration { .. } => EntryKind::Refusal,
            Command::SetAgreement { .. } => EntryKind::Agreement,
            Command::Contribute { .. } => EntryKind::Contribution,
            Command::Collect { .. } => EntryKind::Collection,
            Command::SetQuorum { .. } => EntryKind::Quorum,
            Command::ProposeRule { .. } => EntryKind::RuleProposal,
            Command::ApproveRule { .. } => EntryKind::RuleApproval,
            Command::ProposeDistribution { .. } => EntryKind::DistributionProposal,
            Command::ApproveDistribution { .. } => EntryKind::DistributionApproval,
        }
    }

    /// Whether it creates a transfer, whose id is then the command's request id (see
    /// [`SignedCommand::references`]).
    pub fn creates_transfer(&self) -> bool {
        matches!(
            self,
            Command::Pay { .. } | Command::RequestPayment { .. } | Command::Reverse { .. } | Command::Contribute { .. }
        )
    }

    /// The earlier transfer it acts on: the request it answers, the transfer it reverses.
    pub fn referenced_transfer(&self) -> Option<RequestId> {
        match self {
            Command::AcceptRequest { request, .. } | Command::RejectRequest { request, .. } => Some(*request),
            Command::Reverse { transfer, .. } => Some(*transfer),
            _ => None,
        }
    }

    /// What it reads, besides the signers' keys and handles and the transfer it creates (whose
    /// id is the request id: [`SignedCommand::references`] adds it).
    pub fn references(&self) -> References {
        let mut refs = References::default();
        match self {
            Command::Genesis { admin_key, node_key } => {
                refs.handles.push(admin_handle());
                refs.keys.extend([*admin_key, *node_key]);
            }
            Command::CreateUnit { code, .. } => {
                refs.units.push(code.clone());
                refs.handles.push(Handle::fund_of(code));
            }
            Command::OpenAccount { handle, unit, public_key, .. } => {
                refs.handles.push(handle.clone());
                refs.units.push(unit.clone());
                refs.keys.push(*public_key);
            }
            Command::SetLimits { handle, .. }
            | Command::SetStatus { handle, .. }
            | Command::GrantRole { handle, .. }
            | Command::RevokeRole { handle, .. } => refs.handles.push(handle.clone()),
            Command::RegisterKey { handle, public_key } | Command::RevokeKey { handle, public_key } => {
                refs.handles.push(handle.clone());
                refs.keys.push(*public_key);
            }
            Command::Pay { payer, payee, unit, .. } | Command::AcceptRequest { payer, payee, unit, .. } => {
                // Value moves to the payee: its agreement may levy part of it for the fund.
                refs.handles.extend([payer.clone(), payee.clone(), Handle::fund_of(unit)]);
                refs.units.push(unit.clone());
                refs.agreements.push(payee.clone());
            }
            Command::RequestPayment { payer, payee, unit, .. } => {
                refs.handles.extend([payer.clone(), payee.clone()]);
                refs.units.push(unit.clone());
            }
            Command::RejectRequest { payer, .. } => {
                refs.handles.push(payer.clone());
            }
            Command::Reverse { transfer, payer, payee, unit, .. } => {
                // A levied payment's levy is given back with it.
                refs.handles.extend([payer.clone(), payee.clone(), Handle::fund_of(unit)]);
                refs.units.push(unit.clone());
                refs.transfers.push(crate::chamber::levy_id(*transfer));
            }
            Command::ImportTransfers { unit, rows, .. } => {
                refs.units.push(unit.clone());
                refs.handles.extend(rows.iter().flat_map(|row| [row.payer.clone(), row.payee.clone()]));
                refs.handles.sort_unstable();
                refs.handles.dedup();
            }
            Command::IssueInvoice { creditor, debtor, unit, .. } => {
                refs.handles.extend([creditor.clone(), debtor.clone()]);
                refs.units.push(unit.clone());
            }
            Command::AcceptInvoice { invoice, debtor, creditor, unit, .. } => {
                refs.handles.extend([debtor.clone(), creditor.clone()]);
                refs.units.push(unit.clone());
                refs.invoices.push(*invoice);
            }
            Command::RejectInvoice { invoice, debtor } => {
                refs.handles.push(debtor.clone());
                refs.invoices.push(*invoice);
            }
            Command::ImportInvoices { unit, invoices } => {
                refs.units.push(unit.clone());
                for row in invoices {
                    refs.handles.extend([row.creditor.clone(), row.debtor.clone()]);
                    refs.invoices.push(row.id);
                }
                refs.handles.sort_unstable();
                refs.handles.dedup();
            }
            Command::ClearingRun { unit, set_offs, credit } => {
                refs.units.push(unit.clone());
                refs.invoices.extend(set_offs.iter().map(|line| line.invoice));
                refs.handles.extend(credit.iter().map(|posting| posting.account.clone()));
                refs.handles.sort_unstable();
                refs.handles.dedup();
            }
            Command::AddCommons { commons } => {
                refs.commons.push(commons.name.clone());
                refs.handles.extend(commons.stewards.iter().cloned());
            }
            Command::Declare { contributor, commons, .. } => {
                refs.handles.push(contributor.clone());
                refs.commons.push(commons.clone());
            }
            Command::ValidateDeclaration { declaration, commons }
            | Command::RefuseDeclaration { declaration, commons } => {
                refs.commons.push(commons.clone());
                refs.declarations.push(*declaration);
            }
            Command::SetAgreement { agreement } => {
                refs.handles.push(agreement.business().clone());
                refs.agreements.push(agreement.business().clone());
            }
            Command::Contribute { business, unit, .. } => {
                refs.handles.extend([business.clone(), Handle::fund_of(unit)]);
                refs.units.push(unit.clone());
            }
            Command::Collect { unit, period, businesses } => {
                refs.handles.extend(businesses.iter().cloned());
                refs.handles.push(Handle::fund_of(unit));
                refs.units.push(unit.clone());
                refs.agreements.extend(businesses.iter().cloned());
                refs.transfers
                    .extend(businesses.iter().map(|business| crate::chamber::collection_id(business, *period)));
            }
            // A proposal's own id is added by `SignedCommand::references`.
            Command::SetQuorum { .. } => refs.rule_book = true,
            Command::ProposeRule { unit, .. } => {
                refs.rule_book = true;
                refs.units.push(unit.clone());
            }
            Command::ApproveRule { rule } => {
                refs.rule_book = true;
                refs.rules.push(*rule);
            }
            // A proposal's own id is added by `SignedCommand::references`.
            Command::ProposeDistribution { unit, period, .. } => {
                refs.rule_book = true;
                refs.units.push(unit.clone());
                refs.handles.push(Handle::fund_of(unit));
                refs.distribution_plans.push((unit.clone(), *period));
            }
            Command::ApproveDistribution { distribution } => {
                refs.rule_book = true;
                refs.distributions.push(*distribution);
            }
        }
        refs.transfers.extend(self.referenced_transfer());
        refs
    }

    fn encode_fields(&self, out: &mut Encoder) {
        match self {
            Command::Genesis { admin_key, node_key } => {
                out.fixed(admin_key.as_bytes()).fixed(node_key.as_bytes());
            }
            Command::CreateUnit { code, scale, name } => {
                out.text(code.as_str()).u8(scale.places()).text(name.as_str());
            }
            Command::OpenAccount { handle, unit, kind, name, public_key, credit_limit, ceiling, soft_limit } => {
                out.text(handle.as_str())
                    .text(unit.as_str())
                    .u8(kind_byte(*kind))
                    .text(name.as_str())
                    .fixed(public_key.as_bytes())
                    .i64(credit_limit.minor())
                    .option(*ceiling, |e, a| {
                        e.i64(a.minor());
                    })
                    .option(*soft_limit, |e, a| {
                        e.i64(a.minor());
                    });
            }
            Command::SetLimits { handle, credit_limit, ceiling, soft_limit, reason } => {
                out.text(handle.as_str())
                    .i64(credit_limit.minor())
                    .option(*ceiling, |e, a| {
                        e.i64(a.minor());
                    })
                    .option(*soft_limit, |e, a| {
                        e.i64(a.minor());
                    })
                    .text(reason.as_str());
            }
            Command::SetStatus { handle, status, reason } => {
                out.text(handle.as_str()).u8(status_byte(*status)).text(reason.as_str());
            }
            Command::GrantRole { handle, role } | Command::RevokeRole { handle, role } => {
                out.text(handle.as_str()).u8(role_byte(*role));
            }
            Command::RegisterKey { handle, public_key } | Command::RevokeKey { handle, public_key } => {
                out.text(handle.as_str()).fixed(public_key.as_bytes());
            }
            Command::Pay { payer, payee, unit, amount, memo } => {
                out.text(payer.as_str())
                    .text(payee.as_str())
                    .text(unit.as_str())
                    .i64(amount.minor())
                    .text(memo.as_str());
            }
            Command::RequestPayment { payee, payer, unit, amount, memo, lifetime_ms } => {
                out.text(payee.as_str())
                    .text(payer.as_str())
                    .text(unit.as_str())
                    .i64(amount.minor())
                    .text(memo.as_str())
                    .i64(*lifetime_ms);
            }
            Command::AcceptRequest { request, payer, payee, unit, amount } => {
                out.fixed(request.as_bytes())
                    .text(payer.as_str())
                    .text(payee.as_str())
                    .text(unit.as_str())
                    .i64(amount.minor());
            }
            Command::RejectRequest { request, payer } => {
                out.fixed(request.as_bytes()).text(payer.as_str());
            }
            Command::Reverse { transfer, payer, payee, unit, amount, reason } => {
                out.fixed(transfer.as_bytes())
                    .text(payer.as_str())
                    .text(payee.as_str())
                    .text(unit.as_str())
                    .i64(amount.minor())
                    .text(reason.as_str());
            }
            Command::ImportTransfers { unit, file_sha256, first_line, rows, row_ids: _ } => {
                let count = u32::try_from(rows.len()).expect("a batch holds at most IMPORT_ROWS_MAX rows");
                out.text(unit.as_str()).fixed(file_sha256).u32(*first_line).u32(count);
                for row in rows {
                    out.text(row.payer.as_str())
                        .text(row.payee.as_str())
                        .i64(row.amount.minor())
                        .text(row.memo.as_str());
                }
            }
            Command::IssueInvoice { creditor, debtor, unit, amount, due, reference } => {
                out.text(creditor.as_str())
                    .text(debtor.as_str())
                    .text(unit.as_str())
                    .i64(amount.minor())
                    .option(*due, |e, date| {
                        e.text(&date.to_string());
                    })
                    .text(reference.as_str());
            }
            Command::AcceptInvoice { invoice, debtor, creditor, unit, amount } => {
                out.fixed(invoice.as_bytes())
                    .text(debtor.as_str())
                    .text(creditor.as_str())
                    .text(unit.as_str())
                    .i64(amount.minor());
            }
            Command::RejectInvoice { invoice, debtor } => {
                out.fixed(invoice.as_bytes()).text(debtor.as_str());
            }
            Command::ImportInvoices { unit, invoices } => {
                let count = u32::try_from(invoices.len()).expect("an import is checked to be small before signing");
                out.text(unit.as_str()).u32(count);
                for row in invoices {
                    out.fixed(row.id.as_bytes())
                        .text(row.creditor.as_str())
                        .text(row.debtor.as_str())
                        .i64(row.amount.minor())
                        .option(row.due, |e, date| {
                            e.text(&date.to_string());
                        })
                        .text(row.reference.as_str());
                }
            }
            Command::ClearingRun { unit, set_offs, credit } => {
                let count = u32::try_from(set_offs.len()).expect("a run is checked to be small before signing");
                out.text(unit.as_str()).u32(count);
                for line in set_offs {
                    out.fixed(line.invoice.as_bytes()).i64(line.amount.minor());
                }
                let count = u32::try_from(credit.len()).expect("a run is checked to be small before signing");
                out.u32(count);
                for posting in credit {
                    out.text(posting.account.as_str()).i64(posting.delta);
                }
            }
            Command::AddCommons { commons } => commons.encode(out),
            Command::Declare { contributor, commons, category, quantity, period, note } => {
                out.text(contributor.as_str()).text(commons.as_str()).text(category.as_str());
                quantity.encode(out);
                period.encode(out);
                out.text(note.as_str());
            }
            Command::ValidateDeclaration { declaration, commons }
            | Command::RefuseDeclaration { declaration, commons } => {
                out.fixed(declaration.as_bytes()).text(commons.as_str());
            }
            Command::SetAgreement { agreement } => agreement.encode(out),
            Command::Contribute { business, unit, amount, memo } => {
                out.text(business.as_str()).text(unit.as_str()).i64(amount.minor()).text(memo.as_str());
            }
            Command::Collect { unit, period, businesses } => {
                let count = u32::try_from(businesses.len()).expect("a collect is checked to be small before signing");
                out.text(unit.as_str());
                period.encode(out);
                out.u32(count);
                for business in businesses {
                    out.text(business.as_str());
                }
            }
            Command::SetQuorum { quorum } => quorum.encode(out),
            Command::ProposeRule { unit, rule } => {
                out.text(unit.as_str());
                rule.encode(out);
            }
            Command::ApproveRule { rule } => {
                out.fixed(rule.as_bytes());
            }
            Command::ProposeDistribution { unit, period, rule, distributed, lines_digest } => {
                out.text(unit.as_str());
                period.encode(out);
                out.fixed(rule.as_bytes()).i64(*distributed).fixed(lines_digest);
            }
            Command::ApproveDistribution { distribution } => {
                out.fixed(distribution.as_bytes());
            }
        }
    }

    fn decode_fields(tag: u8, d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(match tag {
            1 => Command::Genesis { admin_key: key(d)?, node_key: key(d)? },
            2 => Command::CreateUnit {
                code: unit(d)?,
                scale: Scale::new(u32::from(d.u8()?)).map_err(invalid)?,
                name: DisplayName::parse(d.text()?).map_err(invalid)?,
            },
            3 => Command::OpenAccount {
                handle: handle(d)?,
                unit: unit(d)?,
                kind: kind_from(d.u8()?)?,
                name: DisplayName::parse(d.text()?).map_err(invalid)?,
                public_key: key(d)?,
                credit_limit: amount(d)?,
                ceiling: d.option(amount)?,
                soft_limit: d.option(amount)?,
            },
            4 => Command::SetLimits {
                handle: handle(d)?,
                credit_limit: amount(d)?,
                ceiling: d.option(amount)?,
                soft_limit: d.option(amount)?,
                reason: Reason::parse(d.text()?).map_err(invalid)?,
            },
            5 => Command::SetStatus {
                handle: handle(d)?,
                status: status_from(d.u8()?)?,
                reason: Reason::parse(d.text()?).map_err(invalid)?,
            },
            6 => Command::GrantRole { handle: handle(d)?, role: role_from(d.u8()?)? },
            7 => Command::RevokeRole { handle: handle(d)?, role: role_from(d.u8()?)? },
            8 => Command::RegisterKey { handle: handle(d)?, public_key: key(d)? },
            9 => Command::RevokeKey { handle: handle(d)?, public_key: key(d)? },
            10 => Command::Pay {
                payer: handle(d)?,
                payee: handle(d)?,
                unit: unit(d)?,
                amount: amount(d)?,
                memo: Memo::parse(d.text()?).map_err(invalid)?,
            },
            11 => Command::RequestPayment {
                payee: handle(d)?,
                payer: handle(d)?,
                unit: unit(d)?,
                amount: amount(d)?,
                memo: Memo::parse(d.text()?).map_err(invalid)?,
                lifetime_ms: d.i64()?,
            },
            12 => Command::AcceptRequest {
                request: transfer_id(d)?,
                payer: handle(d)?,
                payee: handle(d)?,
                unit: unit(d)?,
                amount: amount(d)?,
            },
            13 => Command::RejectRequest { request: transfer_id(d)?, payer: handle(d)? },
            14 => Command::Reverse {
                transfer: transfer_id(d)?,
                payer: handle(d)?,
                payee: handle(d)?,
                unit: unit(d)?,
                amount: amount(d)?,
                reason: Reason::parse(d.text()?).map_err(invalid)?,
            },
            15 | 42 => {
                let unit = unit(d)?;
                let file_sha256 = d.array()?;
                let first_line = d.u32()?;
                let count = d.u32()? as usize;
                if count == 0 || count > IMPORT_ROWS_MAX {
                    return Err(DecodeError(format!("an import batch holds 1 to {IMPORT_ROWS_MAX} rows, not {count}")));
                }
                let mut rows = Vec::with_capacity(count);
                for _ in 0..count {
                    rows.push(ImportRow {
                        payer: handle(d)?,
                        payee: handle(d)?,
                        amount: amount(d)?,
                        memo: Memo::parse(d.text()?).map_err(invalid)?,
                    });
                }
                let row_ids = if tag == 15 { RowIds::Hashed } else { RowIds::InTimeOrder };
                Command::ImportTransfers { unit, file_sha256, first_line, rows, row_ids }
            }
            16 => Command::IssueInvoice {
                creditor: handle(d)?,
                debtor: handle(d)?,
                unit: unit(d)?,
                amount: amount(d)?,
                due: d.option(date)?,
                reference: reference(d)?,
            },
            17 => Command::AcceptInvoice {
                invoice: transfer_id(d)?,
                debtor: handle(d)?,
                creditor: handle(d)?,
                unit: unit(d)?,
                amount: amount(d)?,
            },
            18 => Command::RejectInvoice { invoice: transfer_id(d)?, debtor: handle(d)? },
            19 => {
                let unit = unit(d)?;
                let count = d.u32()? as usize;
                // Bounded before allocating: the count is read from bytes anyone may send.
                if count > invoice::IMPORT_ROWS_MAX {
                    let max = invoice::IMPORT_ROWS_MAX;
                    return Err(DecodeError(format!("an import of {count} invoices (at most {max})")));
                }
                let mut invoices = Vec::with_capacity(count);
                for _ in 0..count {
                    invoices.push(ImportedInvoice {
                        id: transfer_id(d)?,
                        creditor: handle(d)?,
                        debtor: handle(d)?,
                        amount: amount(d)?,
                        due: d.option(date)?,
                        reference: reference(d)?,
                    });
                }
                Command::ImportInvoices { unit, invoices }
            }
            20 => {
                let unit = unit(d)?;
                // Both counts are bounded before allocating: they are read from bytes anyone may send.
                let count = d.u32()? as usize;
                if count > SET_OFFS_MAX {
                    return Err(DecodeError(format!("a clearing run of {count} set-offs (at most {SET_OFFS_MAX})")));
                }
                let mut set_offs = Vec::with_capacity(count);
                for _ in 0..count {
                    set_offs.push(SetOffLine { invoice: transfer_id(d)?, amount: amount(d)? });
                }
                let count = d.u32()? as usize;
                if count > POSTINGS_MAX {
                    return Err(DecodeError(format!(
                        "a clearing run of {count} credit postings (at most {POSTINGS_MAX})"
                    )));
                }
                let mut credit = Vec::with_capacity(count);
                for _ in 0..count {
                    credit.push(CreditPosting { account: handle(d)?, delta: d.i64()? });
                }
                Command::ClearingRun { unit, set_offs, credit }
            }
            30 => Command::AddCommons { commons: Commons::decode(d)? },
            31 => Command::Declare {
                contributor: handle(d)?,
                commons: commons_name(d)?,
                category: Category::parse(d.text()?).map_err(invalid)?,
                quantity: Quantity::decode(d)?,
                period: Period::decode(d)?,
                note: Note::parse(d.text()?).map_err(invalid)?,
            },
            32 => Command::ValidateDeclaration { declaration: declaration_id(d)?, commons: commons_name(d)? },
            33 => Command::RefuseDeclaration { declaration: declaration_id(d)?, commons: commons_name(d)? },
            34 => Command::SetAgreement { agreement: Agreement::decode(d)? },
            35 => Command::Contribute {
                business: handle(d)?,
                unit: unit(d)?,
                amount: amount(d)?,
                memo: Memo::parse(d.text()?).map_err(invalid)?,
            },
            36 => {
                let unit = unit(d)?;
                let period = Period::decode(d)?;
                let count = d.u32()? as usize;
                // Bounded before allocating: the count is read from bytes anyone may send.
                if count == 0 || count > COLLECT_BUSINESSES_MAX {
                    let max = COLLECT_BUSINESSES_MAX;
                    return Err(DecodeError(format!("a collect names 1 to {max} businesses, not {count}")));
                }
                let mut businesses: Vec<Handle> = Vec::with_capacity(count);
                for _ in 0..count {
                    let business = handle(d)?;
                    // Ascending and unique, so one business is never collected twice in an entry.
                    if businesses.last().is_some_and(|last| *last >= business) {
                        return Err(DecodeError(format!(
                            "a collect names businesses in ascending order, once: {business}"
                        )));
                    }
                    businesses.push(business);
                }
                Command::Collect { unit, period, businesses }
            }
            37 => Command::SetQuorum { quorum: Quorum::decode(d)? },
            38 => Command::ProposeRule { unit: unit(d)?, rule: Rule::decode(d)? },
            39 => Command::ApproveRule { rule: RuleId::from_uuid(uuid::Uuid::from_bytes(d.array()?)) },
            40 => Command::ProposeDistribution {
                unit: unit(d)?,
                period: Period::decode(d)?,
                rule: RuleId::from_uuid(uuid::Uuid::from_bytes(d.array()?)),
                distributed: d.i64()?,
                lines_digest: d.array()?,
            },
            41 => Command::ApproveDistribution {
                distribution: DistributionId::from_uuid(uuid::Uuid::from_bytes(d.array()?)),
            },
            other => return Err(DecodeError(format!("unknown command tag {other}"))),
        })
    }
}

/// The handle of the first admin, created by the genesis entry. It holds roles and keys but no
/// account of its own (it has no unit).
pub fn admin_handle() -> Handle {
    Handle::parse("admin").expect("a valid handle")
}

/// A command with its ledger, its request id and the signatures that authorise it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCommand {
    /// Ledger it is for.
    pub ledger_id: LedgerId,
    /// Idempotency key; for a payment, the transfer id.
    pub request_id: RequestId,
    /// The change.
    pub command: Command,
    /// Who signed [`signing_bytes`](Self::signing_bytes), and their signatures.
    pub signatures: Vec<(PublicKey, Signature)>,
}

/// Why a signed command's signatures were refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the command carries no signature")]
    Missing,
    #[error("the command carries more than {SIGNATURES_MAX} signatures")]
    TooMany,
    #[error("the signature of key {0} does not verify")]
    Invalid(PublicKey),
}

impl SignedCommand {
    /// Builds and signs with one key.
    pub fn sign(ledger_id: LedgerId, request_id: RequestId, command: Command, key: &SecretKey) -> Self {
        let bytes = signing_bytes(ledger_id, request_id, &command);
        Self { ledger_id, request_id, command, signatures: vec![(key.public_key(), key.sign(&bytes))] }
    }

    /// The bytes every signature covers.
    pub fn signing_bytes(&self) -> Vec<u8> {
        signing_bytes(self.ledger_id, self.request_id, &self.command)
    }

    /// Checks every signature over the signing bytes. CPU-bound: callers run it outside the
    /// writer, in parallel.
    pub fn verify_signatures(&self) -> Result<(), SignatureError> {
        if self.signatures.is_empty() {
            return Err(SignatureError::Missing);
        }
        if self.signatures.len() > SIGNATURES_MAX {
            return Err(SignatureError::TooMany);
        }
        let bytes = self.signing_bytes();
        for (key, signature) in &self.signatures {
            key.verify(&bytes, signature).map_err(|_| SignatureError::Invalid(*key))?;
        }
        Ok(())
    }

    /// The signers' keys.
    pub fn signers(&self) -> impl Iterator<Item = &PublicKey> {
        self.signatures.iter().map(|(key, _)| key)
    }

    /// What applying it at `timestamp_ms` reads, besides the signers' keys and handles: the
    /// command's references and the ids of the transfers it creates (its own request id; an
    /// import's rows' ids, which depend on that time), so a caller holding part of the ledger
    /// loads them and `State::apply` can refuse a second transfer under an id already taken.
    pub fn references(&self, timestamp_ms: i64) -> References {
        let mut refs = self.command.references();
        if self.command.creates_transfer() {
            refs.transfers.push(self.request_id);
        }
        if let Command::ImportTransfers { rows, row_ids, .. } = &self.command {
            refs.transfers.extend(row_ids.ids(self.request_id, rows.len(), timestamp_ms));
        }
        if matches!(self.command, Command::ProposeRule { .. }) {
            refs.rules.push(RuleId::from_uuid(self.request_id.uuid()));
        }
        if matches!(self.command, Command::ProposeDistribution { .. }) {
            refs.distributions.push(DistributionId::from_uuid(self.request_id.uuid()));
        }
        refs
    }
}

/// The canonical signed bytes of `command` in `ledger_id` with `request_id`.
pub fn signing_bytes(ledger_id: LedgerId, request_id: RequestId, command: &Command) -> Vec<u8> {
    let mut out = Encoder::with_domain(COMMAND_DOMAIN);
    out.fixed(ledger_id.as_bytes()).fixed(request_id.as_bytes()).u8(command.tag());
    command.encode_fields(&mut out);
    out.finish()
}

/// Decodes signed bytes back into their ledger id, request id and command.
pub fn decode_signing_bytes(bytes: &[u8]) -> Result<(LedgerId, RequestId, Command), DecodeError> {
    let mut d = Decoder::with_domain(bytes, COMMAND_DOMAIN)?;
    let ledger_id = LedgerId::from_uuid(uuid::Uuid::from_bytes(d.array()?));
    let request_id = RequestId::from_uuid(uuid::Uuid::from_bytes(d.array()?));
    let tag = d.u8()?;
    let command = Command::decode_fields(tag, &mut d)?;
    d.finish()?;
    Ok((ledger_id, request_id, command))
}

fn invalid(error: impl std::fmt::Display) -> DecodeError {
    DecodeError(error.to_string())
}

fn key(d: &mut Decoder<'_>) -> Result<PublicKey, DecodeError> {
    PublicKey::from_bytes(&d.array::<32>()?).map_err(invalid)
}

fn handle(d: &mut Decoder<'_>) -> Result<Handle, DecodeError> {
    Handle::parse(d.text()?).map_err(invalid)
}

fn transfer_id(d: &mut Decoder<'_>) -> Result<RequestId, DecodeError> {
    Ok(RequestId::from_uuid(uuid::Uuid::from_bytes(d.array()?)))
}

fn date(d: &mut Decoder<'_>) -> Result<Date, DecodeError> {
    Date::parse(d.text()?).map_err(invalid)
}

fn reference(d: &mut Decoder<'_>) -> Result<Reference, DecodeError> {
    Reference::parse(d.text()?).map_err(invalid)
}
fn commons_name(d: &mut Decoder<'_>) -> Result<CommonsName, DecodeError> {
    CommonsName::parse(d.text()?).map_err(invalid)
}

fn declaration_id(d: &mut Decoder<'_>) -> Result<DeclarationId, DecodeError> {
    Ok(DeclarationId::from_uuid(uuid::Uuid::from_bytes(d.array()?)))
}

fn unit(d: &mut Decoder<'_>) -> Result<UnitCode, DecodeError> {
    UnitCode::parse(d.text()?).map_err(invalid)
}

fn amount(d: &mut Decoder<'_>) -> Result<Amount, DecodeError> {
    let minor = d.i64()?;
    Amount::from_minor(minor).ok_or_else(|| DecodeError(format!("amount {minor} out of range")))
}

fn kind_byte(kind: AccountKind) -> u8 {
    match kind {
        AccountKind::Member => 1,
        AccountKind::Business => 2,
        AccountKind::System => 3,
    }
}

fn kind_from(byte: u8) -> Result<AccountKind, DecodeError> {
    [AccountKind::Member, AccountKind::Business, AccountKind::System]
        .into_iter()
        .find(|k| kind_byte(*k) == byte)
        .ok_or_else(|| DecodeError(format!("account kind {byte}")))
}

fn role_byte(role: Role) -> u8 {
    match role {
        Role::Admin => 1,
        Role::Treasurer => 2,
        Role::Steward => 3,
        Role::Auditor => 4,
    }
}

fn role_from(byte: u8) -> Result<Role, DecodeError> {
    Role::ALL.into_iter().find(|r| role_byte(*r) == byte).ok_or_else(|| DecodeError(format!("role {byte}")))
}

fn status_byte(status: AccountStatus) -> u8 {
    match status {
        AccountStatus::Active => 1,
        AccountStatus::Frozen => 2,
        AccountStatus::Closed => 3,
    }
}

fn status_from(byte: u8) -> Result<AccountStatus, DecodeError> {
    [AccountStatus::Active, AccountStatus::Frozen, AccountStatus::Closed]
        .into_iter()
        .find(|s| status_byte(*s) == byte)
        .ok_or_else(|| DecodeError(format!("account status {byte}")))
}
