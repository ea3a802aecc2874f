//! The ledger's state and `apply`: a verified command plus the state it touches becomes postings
//! and a changed state, or a typed refusal that changes nothing.
//!
//! A [`State`] may hold the whole ledger (tests) or only part of it: the server's writer loads
//! what a batch of commands touches, and the audit's [`crate::replay::Replayer`] holds every
//! account, key and unit but loads transfers from its archive one entry at a time. The caller
//! loads every handle, unit, key and transfer named by [`SignedCommand::references`] and by the
//! signers, the identity of every key's holder, and the unit of every account it loads; `apply`
//! treats anything absent as not existing.
//!
//! Invoices are applied in the child module `invoices`, clearing runs in `clearing`; agreements,
//! levies and contributions to the commons fund in `contributions`; remuneration rules in `rules`;
//! distributions of the fund in `distributions`.

mod clearing;
mod contributions;
mod distributions;
mod invoices;
mod rules;

use std::collections::{BTreeSet, HashMap};

use crate::account::{Account, AccountKind, AccountStatus, Limits, Role, RoleSet, Unit};
use crate::amount::{Amount, BALANCE_MAX, Scale, format_minor};
use crate::chamber::{
    Agreement, CollectLine, Commons, CommonsName, Declaration, DeclarationStatus, DistributionRecord, RuleBook,
    RuleRecord,
};
use crate::clearing::settlement::AppliedRun;
use crate::command::{Command, SignedCommand, admin_handle};
use crate::import::{ImportRow, RowIds};
use crate::invoice::Invoice;
use crate::journal::Posting;
use crate::keys::PublicKey;
use crate::names::{DeclarationId, DisplayName, DistributionId, Handle, LedgerId, Memo, RequestId, RuleId, UnitCode};
use crate::refusal::Refusal;
use crate::transfer::{REQUEST_LIFETIME_MAX_MS, Transfer, TransferKind, TransferStatus};

/// One day in milliseconds.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Who a handle is, for authentication and authorisation: its roles and active keys. Every
/// account has one; the genesis `admin` handle has one without an account.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Identity {
    /// Roles held.
    pub roles: RoleSet,
    /// Keys that may sign for it now.
    pub keys: BTreeSet<PublicKey>,
}

/// Whose a registered key is. Revoked keys stay, so they are never registered again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyOwner {
    /// Holder.
    pub handle: Handle,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// What changed since the last [`State::take_changes`]: what a store must write back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// The genesis entry set the ledger id and node key.
    pub genesis: bool,
    /// Units created.
    pub units: BTreeSet<UnitCode>,
    /// Accounts created or changed.
    pub accounts: BTreeSet<Handle>,
    /// Identities created or changed (roles, keys).
    pub identities: BTreeSet<Handle>,
    /// Keys registered or revoked.
    pub keys: BTreeSet<PublicKey>,
    /// Transfers created or changed.
    pub transfers: BTreeSet<RequestId>,
    /// Invoices created or changed.
    pub invoices: BTreeSet<RequestId>,
    /// Commons registered.
    pub commons: BTreeSet<CommonsName>,
    /// Declarations made or decided.
    pub declarations: BTreeSet<DeclarationId>,
    /// Clearing runs applied.
    pub clearing_runs: BTreeSet<RequestId>,
    /// Businesses whose agreement was set.
    pub agreements: BTreeSet<Handle>,
    /// Rules proposed, approved or adopted.
    pub rules: BTreeSet<RuleId>,
    /// The rule book's quorum was set.
    pub quorum: bool,
    /// Distributions proposed, approved or executed.
    pub distributions: BTreeSet<DistributionId>,
}

impl Changes {
    /// Adds what `later` changed. Every field is named, so a new kind of change cannot be
    /// forgotten here.
    pub fn merge(&mut self, later: Changes) {
        let Changes {
            genesis,
            units,
            accounts,
            identities,
            keys,
            transfers,
            invoices,
            commons,
            declarations,
            clearing_runs,
            agreements,
            rules,
            quorum,
            distributions,
        } = later;
        self.genesis |= genesis;
        self.units.extend(units);
        self.accounts.extend(accounts);
        self.identities.extend(identities);
        self.keys.extend(keys);
        self.transfers.extend(transfers);
        self.invoices.extend(invoices);
        self.commons.extend(commons);
        self.declarations.extend(declarations);
        self.clearing_runs.extend(clearing_runs);
        self.agreements.extend(agreements);
        self.rules.extend(rules);
        self.quorum |= quorum;
        self.distributions.extend(distributions);
    }
}

/// Something worth telling the caller about a command that was applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warning {
    /// The payment took the account past its soft limit.
    SoftLimitCrossed {
        /// Account.
        account: Handle,
        /// Balance after, formatted.
        balance: String,
        /// Soft limit, formatted.
        soft_limit: String,
    },
}

/// The result of an applied command.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Applied {
    /// Balance changes, summing to zero per unit.
    pub postings: Vec<Posting>,
    /// Warnings for the caller.
    pub warnings: Vec<Warning>,
    /// A collect's report, one line per business it names (empty for other commands).
    pub collection: Vec<CollectLine>,
}

/// The ledger state (or the part of it a batch touches).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    /// Set by the genesis entry.
    pub ledger_id: Option<LedgerId>,
    /// The server's key, set by the genesis entry.
    pub node_key: Option<PublicKey>,
    /// Units by code.
    pub units: HashMap<UnitCode, Unit>,
    /// Accounts by handle.
    pub accounts: HashMap<Handle, Account>,
    /// Roles and keys by handle.
    pub identities: HashMap<Handle, Identity>,
    /// Every key ever registered.
    pub keys: HashMap<PublicKey, KeyOwner>,
    /// Transfers by id.
    pub transfers: HashMap<RequestId, Transfer>,
    /// Invoices by id.
    pub invoices: HashMap<RequestId, Invoice>,
    /// The commons registry, by name.
    pub commons: HashMap<CommonsName, Commons>,
    /// Declarations of work, by id.
    pub declarations: HashMap<DeclarationId, Declaration>,
    /// Clearing runs applied by this state, by id: only until a store writes them (nothing
    /// applied later reads them, so a loader never loads them back).
    pub clearing_runs: HashMap<RequestId, AppliedRun>,
    /// Businesses' agreements with the chamber, by business.
    pub agreements: HashMap<Handle, Agreement>,
    /// Remuneration rules proposed or adopted, by id.
    pub rules: HashMap<RuleId, RuleRecord>,
    /// The quorum and the count of adopted rules; `None` until loaded (a part of the ledger) or
    /// first changed (a replay from genesis), read as the defaults: quorum 1, nothing adopted.
    pub rule_book: Option<RuleBook>,
    /// Distributions proposed or executed, by id.
    pub distributions: HashMap<DistributionId, DistributionRecord>,
    changes: Changes,
}

impl State {
    /// An empty state, before genesis.
    pub fn new() -> Self {
        Self::default()
    }

    /// A state for a ledger already initialised, to be filled by a loader.
    pub fn for_ledger(ledger_id: LedgerId, node_key: PublicKey) -> Self {
        Self { ledger_id: Some(ledger_id), node_key: Some(node_key), ..Self::default() }
    }

    /// Returns and clears what changed.
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changes)
    }

    /// Applies a command whose signatures the caller has verified
    /// ([`SignedCommand::verify_signatures`]) in an entry stamped `timestamp_ms` (milliseconds
    /// since the Unix epoch; request expiry is judged by it, so a replay judges the same). On
    /// refusal nothing changed.
    pub fn apply(&mut self, signed: &SignedCommand, timestamp_ms: i64) -> Result<Applied, Refusal> {
        if let Command::Genesis { admin_key, node_key } = &signed.command {
            return self.genesis(signed, *admin_key, *node_key);
        }
        match self.ledger_id {
            None => return Err(Refusal::NotInitialised),
            Some(id) if id != signed.ledger_id => return Err(Refusal::WrongLedger),
            Some(_) => {}
        }
        let signers = self.signers(signed)?;
        let has_role = |role: Role| signers.iter().any(|(_, roles)| roles.has(role));
        let is = |handle: &Handle| signers.iter().any(|(h, _)| h == handle);
        match &signed.command {
            Command::Genesis { .. } => unreachable!("handled above"),
            Command::CreateUnit { code, scale, name } => {
                require(has_role(Role::Admin), "creating a unit needs the admin role")?;
                if self.units.contains_key(code) {
                    return Err(Refusal::UnitExists(code.clone()));
                }
                let fund = Handle::fund_of(code);
                self.require_free(&fund)?;
                self.units.insert(code.clone(), Unit { code: code.clone(), scale: *scale, name: name.clone() });
                self.changes.units.insert(code.clone());
                let name = DisplayName::parse(&format!("Commons fund ({code})")).expect("short and printable");
                let fund_account = Account {
                    handle: fund.clone(),
                    kind: AccountKind::System,
                    unit: code.clone(),
                    name,
                    balance: 0,
                    // The fund never goes below zero.
                    limits: Limits::default(),
                    status: AccountStatus::Active,
                };
                self.accounts.insert(fund.clone(), fund_account);
                self.changes.accounts.insert(fund);
                Ok(Applied::default())
            }
            Command::OpenAccount { handle, unit, kind, name, public_key, credit_limit, ceiling, soft_limit } => {
                require(has_role(Role::Treasurer), "opening an account needs the treasurer role")?;
                if *kind == AccountKind::System {
                    return Err(Refusal::SystemKindRequested);
                }
                let scale = self.unit(unit)?.scale;
                if handle.is_reserved() {
                    return Err(Refusal::HandleReserved(handle.clone()));
                }
                self.require_free(handle)?;
                self.require_unused_key(public_key)?;
                let limits = Limits { credit_limit: *credit_limit, ceiling: *ceiling, soft_limit: *soft_limit };
                check_limits(&limits, scale)?;
                let account = Account {
                    handle: handle.clone(),
                    kind: *kind,
                    unit: unit.clone(),
                    name: name.clone(),
                    balance: 0,
                    limits,
                    status: AccountStatus::Active,
                };
                self.accounts.insert(handle.clone(), account);
                self.identities.insert(
                    handle.clone(),
                    Identity { roles: RoleSet::default(), keys: BTreeSet::from([*public_key]) },
                );
                self.keys.insert(*public_key, KeyOwner { handle: handle.clone(), revoked: false });
                self.changes.accounts.insert(handle.clone());
                self.changes.identities.insert(handle.clone());
                self.changes.keys.insert(*public_key);
                Ok(Applied::default())
            }
            Command::SetLimits { handle, credit_limit, ceiling, soft_limit, .. } => {
                require(has_role(Role::Treasurer), "changing limits needs the treasurer role")?;
                let account = self.movable_account(handle)?;
                if account.status == AccountStatus::Closed {
                    return Err(Refusal::AccountClosed(handle.clone()));
                }
                let scale = self.unit(&account.unit)?.scale;
                let limits = Limits { credit_limit: *credit_limit, ceiling: *ceiling, soft_limit: *soft_limit };
                check_limits(&limits, scale)?;
                if !limits.admits(account.balance) {
                    return Err(Refusal::LimitsExcludeBalance {
                        account: handle.clone(),
                        balance: format_minor(i128::from(account.balance), scale),
                    });
                }
                self.account_mut(handle).limits = limits;
                Ok(Applied::default())
            }
            Command::SetStatus { handle, status, .. } => {
                require(has_role(Role::Treasurer), "changing an account's status needs the treasurer role")?;
                let account = self.movable_account(handle)?;
                if account.status == AccountStatus::Closed {
                    return Err(Refusal::AccountClosed(handle.clone()));
                }
                if account.status == *status {
                    return Err(Refusal::StatusUnchanged(handle.clone()));
                }
                if *status == AccountStatus::Closed && account.balance != 0 {
                    let scale = self.unit(&account.unit)?.scale;
                    return Err(Refusal::BalanceNotZero {
                        account: handle.clone(),
                        balance: format_minor(i128::from(account.balance), scale),
                    });
                }
                self.account_mut(handle).status = *status;
                Ok(Applied::default())
            }
            Command::GrantRole { handle, role } => {
                require(has_role(Role::Admin), "granting a role needs the admin role")?;
                let identity = self.identity(handle)?;
                if identity.roles.has(*role) {
                    return Err(Refusal::RoleAlreadyHeld { handle: handle.clone(), role: *role });
                }
                self.identity_mut(handle).roles = identity.roles.with(*role);
                Ok(Applied::default())
            }
            Command::RevokeRole { handle, role } => {
                require(has_role(Role::Admin), "revoking a role needs the admin role")?;
                let identity = self.identity(handle)?;
                if !identity.roles.has(*role) {
                    return Err(Refusal::RoleNotHeld { handle: handle.clone(), role: *role });
                }
                if *role == Role::Admin && is(handle) {
                    return Err(Refusal::OwnAdminRole);
                }
                self.identity_mut(handle).roles = identity.roles.without(*role);
                Ok(Applied::default())
            }
            Command::RegisterKey { handle, public_key } => {
                require(is(handle) || has_role(Role::Treasurer), "a key is added by its holder or a treasurer")?;
                self.identity(handle)?;
                self.require_unused_key(public_key)?;
                self.identity_mut(handle).keys.insert(*public_key);
                self.keys.insert(*public_key, KeyOwner { handle: handle.clone(), revoked: false });
                self.changes.keys.insert(*public_key);
                Ok(Applied::default())
            }
            Command::RevokeKey { handle, public_key } => {
                require(is(handle) || has_role(Role::Treasurer), "a key is revoked by its holder or a treasurer")?;
                let identity = self.identity(handle)?;
                if !identity.keys.contains(public_key) {
                    return Err(Refusal::KeyNotHeld { handle: handle.clone(), key: *public_key });
                }
                if identity.keys.len() == 1 {
                    return Err(Refusal::LastKey { handle: handle.clone() });
                }
                self.identity_mut(handle).keys.remove(public_key);
                self.keys.insert(*public_key, KeyOwner { handle: handle.clone(), revoked: true });
                self.changes.keys.insert(*public_key);
                Ok(Applied::default())
            }
            Command::Pay { payer, payee, unit, amount, memo } => {
                self.account(payer)?;
                self.account(payee)?;
                self.unit(unit)?;
                require(is(payer), "only a key of the payer may sign its payment")?;
                self.require_new_transfer(signed.request_id)?;
                let applied = self.pay_levied(signed.request_id, payer, payee, unit, *amount, timestamp_ms)?;
                self.insert_transfer(Transfer {
                    id: signed.request_id,
                    kind: TransferKind::Payment,
                    status: TransferStatus::Committed,
                    payer: payer.clone(),
                    payee: payee.clone(),
                    unit: unit.clone(),
                    amount: *amount,
                    memo: memo.clone(),
                    created_ms: timestamp_ms,
                    expires_at_ms: None,
                    reverses: None,
                    reversed_by: None,
                });
                Ok(applied)
            }
            Command::RequestPayment { payee, payer, unit, amount, memo, lifetime_ms } => {
                self.account(payer)?;
                self.account(payee)?;
                self.unit(unit)?;
                require(is(payee), "only a key of the payee may sign its payment request")?;
                self.require_new_transfer(signed.request_id)?;
                if !(1..=REQUEST_LIFETIME_MAX_MS).contains(lifetime_ms) {
                    return Err(Refusal::InvalidLifetime { max_days: REQUEST_LIFETIME_MAX_MS / DAY_MS });
                }
                // The same checks as a payment, but nothing moves until the payer accepts; limits
                // are checked then, against the balances of that moment.
                self.check_transfer(payer, payee, unit, *amount)?;
                self.insert_transfer(Transfer {
                    id: signed.request_id,
                    kind: TransferKind::Request,
                    status: TransferStatus::Pending,
                    payer: payer.clone(),
                    payee: payee.clone(),
                    unit: unit.clone(),
                    amount: *amount,
                    memo: memo.clone(),
                    created_ms: timestamp_ms,
                    expires_at_ms: Some(timestamp_ms.saturating_add(*lifetime_ms)),
                    reverses: None,
                    reversed_by: None,
                });
                Ok(Applied::default())
            }
            Command::AcceptRequest { request, payer, payee, unit, amount } => {
                let pending = self.pending_request(*request)?;
                require(is(&pending.payer), "only a key of the payer may accept its request")?;
                let same = pending.payer == *payer
                    && pending.payee == *payee
                    && pending.unit == *unit
                    && pending.amount == *amount;
                if !same {
                    return Err(Refusal::TransferMismatch(*request));
                }
                if pending.expired_at(timestamp_ms) {
                    return Err(Refusal::RequestExpired(*request));
                }
                let applied = self.pay_levied(*request, payer, payee, unit, *amount, timestamp_ms)?;
                self.insert_transfer(Transfer { status: TransferStatus::Committed, ..pending });
                Ok(applied)
            }
            Command::RejectRequest { request, payer } => {
                let pending = self.pending_request(*request)?;
                require(is(&pending.payer), "only a key of the payer may reject its request")?;
                if pending.payer != *payer {
                    return Err(Refusal::TransferMismatch(*request));
                }
                self.insert_transfer(Transfer { status: TransferStatus::Rejected, ..pending });
                Ok(Applied::default())
            }
            Command::Reverse { transfer, payer, payee, unit, amount, reason } => {
                let original = self.transfers.get(transfer).cloned().ok_or(Refusal::UnknownTransfer(*transfer))?;
                require(
                    is(&original.payee) || has_role(Role::Treasurer),
                    "a transfer is reversed by its payee (a refund) or a treasurer (a correction)",
                )?;
                self.require_new_transfer(signed.request_id)?;
                let same = original.payee == *payer
                    && original.payer == *payee
                    && original.unit == *unit
                    && original.amount == *amount;
                if !same {
                    return Err(Refusal::TransferMismatch(*transfer));
                }
                if original.kind == TransferKind::Reversal {
                    return Err(Refusal::NotReversible { id: *transfer, why: "it is a reversal itself" });
                }
                if original.kind == TransferKind::Clearing {
                    // It settled invoices that a reversal would not restore.
                    return Err(Refusal::NotReversible { id: *transfer, why: "it settled invoices in a clearing run" });
                }
                if original.status != TransferStatus::Committed {
                    return Err(Refusal::NotReversible { id: *transfer, why: "no value moved" });
                }
                if let Some(by) = original.reversed_by {
                    return Err(Refusal::AlreadyReversed { id: *transfer, by });
                }
                // A reversal is a transfer like any other: both accounts active, both within their
                // limits after it. A treasurer who must correct past a limit changes the limit
                // first (`SetLimits`, with its reason), so no balance is ever outside its limits.
                // A levied payment gives its levy back from the fund in the same entry.
                let applied =
                    self.reverse_levied(*transfer, signed.request_id, payer, payee, unit, *amount, timestamp_ms)?;
                self.insert_transfer(Transfer { reversed_by: Some(signed.request_id), ..original });
                self.insert_transfer(Transfer {
                    id: signed.request_id,
                    kind: TransferKind::Reversal,
                    status: TransferStatus::Committed,
                    payer: payer.clone(),
                    payee: payee.clone(),
                    unit: unit.clone(),
                    amount: *amount,
                    memo: Memo::parse(reason.as_str()).expect("a reason is a valid memo"),
                    created_ms: timestamp_ms,
                    expires_at_ms: None,
                    reverses: Some(*transfer),
                    reversed_by: None,
                });
                Ok(applied)
            }
            Command::ImportTransfers { unit, first_line, rows, row_ids, .. } => {
                require(has_role(Role::Treasurer), "importing transfers needs the treasurer role")?;
                self.unit(unit)?;
                self.import(signed.request_id, *row_ids, unit, *first_line, rows, timestamp_ms)
            }
            Command::IssueInvoice { creditor, debtor, unit, amount, due, reference } => {
                require(is(creditor), "only a key of the creditor may issue its invoice")?;
                self.issue_invoice(signed.request_id, creditor, debtor, unit, *amount, *due, reference, timestamp_ms)
            }
            Command::AcceptInvoice { invoice, debtor, creditor, unit, amount } => {
                let issued = self.issued_invoice(*invoice)?;
                require(is(&issued.debtor), "only a key of the debtor may accept its invoice")?;
                self.accept_invoice(issued, debtor, creditor, unit, *amount)
            }
            Command::RejectInvoice { invoice, debtor } => {
                let issued = self.issued_invoice(*invoice)?;
                require(is(&issued.debtor), "only a key of the debtor may reject its invoice")?;
                self.reject_invoice(issued, debtor)
            }
            Command::ImportInvoices { unit, invoices } => {
                require(has_role(Role::Treasurer), "importing invoices needs the treasurer role")?;
                self.import_invoices(unit, invoices, timestamp_ms)
            }
            Command::ClearingRun { unit, set_offs, credit } => {
                let treasurer = signers.iter().find(|(_, roles)| roles.has(Role::Treasurer)).map(|(h, _)| h.clone());
                let signer =
                    treasurer.ok_or(Refusal::NotAuthorised("applying a clearing run needs the treasurer role"))?;
                self.clearing_run(signed.request_id, signer, unit, set_offs, credit, timestamp_ms)
            }
            Command::AddCommons { commons } => {
                require(has_role(Role::Treasurer), "registering a commons needs the treasurer role")?;
                if self.commons.contains_key(&commons.name) {
                    return Err(Refusal::CommonsExists(commons.name.clone()));
                }
                for steward in commons.stewards.iter() {
                    self.account(steward)?;
                }
                self.changes.commons.insert(commons.name.clone());
                self.commons.insert(commons.name.clone(), commons.clone());
                Ok(Applied::default())
            }
            Command::Declare { contributor, commons, category, quantity, period, note } => {
                check_active(self.account(contributor)?)?;
                self.registered(commons)?;
                require(is(contributor), "only a key of the contributor may declare their work")?;
                let id = DeclarationId::from_uuid(signed.request_id.uuid());
                self.insert_declaration(Declaration {
                    id,
                    contributor: contributor.clone(),
                    commons: commons.clone(),
                    category: category.clone(),
                    quantity: *quantity,
                    period: *period,
                    note: note.clone(),
                    status: DeclarationStatus::Pending,
                    paid_by: None,
                });
                Ok(Applied::default())
            }
            Command::ValidateDeclaration { declaration, commons } => {
                let why = "only a steward of the declaration's commons may validate it";
                self.decide(*declaration, commons, &signers, DeclarationStatus::Validated, why)
            }
            Command::RefuseDeclaration { declaration, commons } => {
                let why = "only a steward of the declaration's commons may refuse it";
                self.decide(*declaration, commons, &signers, DeclarationStatus::Refused, why)
            }
            Command::SetAgreement { agreement } => {
                require(has_role(Role::Treasurer), "setting an agreement needs the treasurer role")?;
                self.set_agreement(agreement)
            }
            Command::Contribute { business, unit, amount, memo } => {
                require(is(business), "only a key of the business may sign its contribution")?;
                self.contribute(signed.request_id, business, unit, *amount, memo, timestamp_ms)
            }
            Command::Collect { unit, period, businesses } => {
                require(has_role(Role::Treasurer), "collecting contributions needs the treasurer role")?;
                self.collect(unit, *period, businesses, timestamp_ms)
            }
            Command::SetQuorum { quorum } => {
                require(has_role(Role::Admin), "setting the quorum of rule approvals needs the admin role")?;
                self.set_quorum(*quorum)
            }
            Command::ProposeRule { unit, rule } => {
                self.unit(unit)?;
                let proposer = signers.iter().find(|(_, roles)| roles.has(Role::Treasurer));
                let (proposer, _) =
                    proposer.ok_or(Refusal::NotAuthorised("proposing a rule needs the treasurer role"))?;
                let id = RuleId::from_uuid(signed.request_id.uuid());
                self.propose_rule(id, unit, rule, proposer.clone())
            }
            Command::ApproveRule { rule } => {
                let approver = signers.iter().find(|(_, roles)| roles.has(Role::Treasurer));
                let (approver, _) =
                    approver.ok_or(Refusal::NotAuthorised("approving a rule needs the treasurer role"))?;
                self.approve_rule(*rule, approver.clone())
            }
            Command::ProposeDistribution { unit, period, rule, distributed, lines_digest } => {
                let proposer = signers.iter().find(|(_, roles)| roles.has(Role::Treasurer));
                let (proposer, _) =
                    proposer.ok_or(Refusal::NotAuthorised("proposing a distribution needs the treasurer role"))?;
                let signed_plan = distributions::SignedPlan {
                    id: DistributionId::from_uuid(signed.request_id.uuid()),
                    unit,
                    period: *period,
                    rule: *rule,
                    distributed: *distributed,
                    lines_digest,
                };
                self.propose_distribution(&signed_plan, proposer.clone(), timestamp_ms)
            }
            Command::ApproveDistribution { distribution } => {
                let approver = signers.iter().find(|(_, roles)| roles.has(Role::Treasurer));
                let (approver, _) =
                    approver.ok_or(Refusal::NotAuthorised("approving a distribution needs the treasurer role"))?;
                self.approve_distribution(*distribution, approver.clone(), timestamp_ms)
            }
        }
    }

    /// A registered commons.
    fn registered(&self, name: &CommonsName) -> Result<&Commons, Refusal> {
        self.commons.get(name).ok_or_else(|| Refusal::UnknownCommons(name.clone()))
    }

    /// A declaration still pending, for the commons the command names.
    fn pending_declaration(&self, id: DeclarationId, commons: &CommonsName) -> Result<Declaration, Refusal> {
        let declaration = self.declarations.get(&id).ok_or(Refusal::UnknownDeclaration(id))?;
        if declaration.commons != *commons {
            return Err(Refusal::DeclarationMismatch { id, commons: declaration.commons.clone() });
        }
        if declaration.status != DeclarationStatus::Pending {
            return Err(Refusal::DeclarationNotPending { id, status: declaration.status.as_str() });
        }
        Ok(declaration.clone())
    }

    fn insert_declaration(&mut self, declaration: Declaration) {
        self.changes.declarations.insert(declaration.id);
        self.declarations.insert(declaration.id, declaration);
    }

    /// A steward's decision on a pending declaration of `commons`: `status` if one of the signers
    /// is a steward of it, refused with `why` otherwise.
    fn decide(
        &mut self,
        declaration: DeclarationId,
        commons: &CommonsName,
        signers: &[(Handle, RoleSet)],
        status: DeclarationStatus,
        why: &'static str,
    ) -> Result<Applied, Refusal> {
        let pending = self.pending_declaration(declaration, commons)?;
        let stewards = &self.registered(commons)?.stewards;
        require(signers.iter().any(|(handle, _)| stewards.contains(handle)), why)?;
        self.insert_declaration(Declaration { status, ..pending });
        Ok(Applied::default())
    }

    /// Applies an import's rows in order, each as a payment would be (active accounts of the
    /// unit, within their limits at that point); the first refused row refuses the whole batch,
    /// naming its line, and leaves the state as it was. The entry's postings are each account's
    /// net change, in the order the accounts first appear (rows are in the signed command, and
    /// each is a transfer of its own). A row whose transfer id is taken (a client chooses the id
    /// of its own transfers) refuses the batch too: callers holding part of the ledger load the
    /// rows' ids first ([`SignedCommand::references`]).
    fn import(
        &mut self,
        batch: RequestId,
        row_ids: RowIds,
        unit: &UnitCode,
        first_line: u32,
        rows: &[ImportRow],
        timestamp_ms: i64,
    ) -> Result<Applied, Refusal> {
        let line = |index: usize| first_line.saturating_add(u32::try_from(index).unwrap_or(u32::MAX));
        let ids = row_ids.ids(batch, rows.len(), timestamp_ms);
        for (index, id) in ids.iter().enumerate() {
            self.require_new_transfer(*id)
                .map_err(|refusal| Refusal::ImportRow { line: line(index), refusal: Box::new(refusal) })?;
        }
        let changes_before = self.changes.clone();
        // Each account's net change so far, which is also what undoes the rows already moved.
        let mut net: Vec<(Handle, i64)> = Vec::new();
        let mut place: HashMap<Handle, usize> = HashMap::new();
        let mut warnings = Vec::new();
        for (index, row) in rows.iter().enumerate() {
            match self.move_balances(&row.payer, &row.payee, unit, row.amount) {
                Ok(warning) => warnings.extend(warning),
                Err(refusal) => {
                    // A refused row moved nothing: `move_balances` checks both sides first.
                    for (handle, delta) in &net {
                        self.accounts.get_mut(handle).expect("moved by an earlier row").balance -= delta;
                    }
                    self.changes = changes_before;
                    return Err(Refusal::ImportRow { line: line(index), refusal: Box::new(refusal) });
                }
            }
            for (handle, delta) in [(&row.payer, -row.amount.minor()), (&row.payee, row.amount.minor())] {
                match place.get(handle) {
                    Some(&at) => net[at].1 += delta,
                    None => {
                        place.insert(handle.clone(), net.len());
                        net.push((handle.clone(), delta));
                    }
                }
            }
        }
        for (row, id) in rows.iter().zip(ids) {
            self.insert_transfer(Transfer {
                id,
                kind: TransferKind::Import,
                status: TransferStatus::Committed,
                payer: row.payer.clone(),
                payee: row.payee.clone(),
                unit: unit.clone(),
                amount: row.amount,
                memo: row.memo.clone(),
                created_ms: timestamp_ms,
                expires_at_ms: None,
                reverses: None,
                reversed_by: None,
            });
        }
        let postings = net
            .into_iter()
            .filter(|(_, delta)| *delta != 0)
            .map(|(account, delta)| Posting { account, unit: unit.clone(), delta })
            .collect();
        Ok(Applied { postings, warnings, collection: Vec::new() })
    }

    /// Checks that `amount` of `unit` may move from `payer` to `payee` (both exist, hold the unit,
    /// are members or businesses and are active), limits aside.
    fn check_transfer(&self, payer: &Handle, payee: &Handle, unit: &UnitCode, amount: Amount) -> Result<(), Refusal> {
        let accounts = self.two_accounts(payer, payee, unit)?;
        if amount.is_zero() {
            return Err(Refusal::ZeroAmount);
        }
        if payer == payee {
            return Err(Refusal::SameAccount);
        }
        check_parties(accounts, unit)
    }

    /// The two accounts a transfer or an invoice is between, once they and the unit are found.
    fn two_accounts(&self, first: &Handle, second: &Handle, unit: &UnitCode) -> Result<[&Account; 2], Refusal> {
        let accounts = [self.account(first)?, self.account(second)?];
        self.unit(unit)?;
        Ok(accounts)
    }

    /// Moves `amount` from `payer` to `payee` within both accounts' limits: the postings, and a
    /// warning when the payer crosses its soft limit.
    fn move_value(
        &mut self,
        payer: &Handle,
        payee: &Handle,
        unit: &UnitCode,
        amount: Amount,
    ) -> Result<Applied, Refusal> {
        let warnings = self.move_balances(payer, payee, unit, amount)?.into_iter().collect();
        let postings = vec![
            Posting { account: payer.clone(), unit: unit.clone(), delta: -amount.minor() },
            Posting { account: payee.clone(), unit: unit.clone(), delta: amount.minor() },
        ];
        Ok(Applied { postings, warnings, collection: Vec::new() })
    }

    /// The balances of [`State::move_value`] without its postings: an import posts the net of its
    /// rows.
    fn move_balances(
        &mut self,
        payer: &Handle,
        payee: &Handle,
        unit: &UnitCode,
        amount: Amount,
    ) -> Result<Option<Warning>, Refusal> {
        self.check_transfer(payer, payee, unit, amount)?;
        let scale = self.unit(unit)?.scale;
        let (payer_after, warning) = balance_after(self.account(payer)?, -amount.minor(), scale)?;
        let (payee_after, _) = balance_after(self.account(payee)?, amount.minor(), scale)?;
        self.account_mut(payer).balance = payer_after;
        self.account_mut(payee).balance = payee_after;
        Ok(warning)
    }

    /// A request still pending (expired or not).
    fn pending_request(&self, id: RequestId) -> Result<Transfer, Refusal> {
        let transfer = self.transfers.get(&id).ok_or(Refusal::UnknownTransfer(id))?;
        if transfer.kind != TransferKind::Request {
            return Err(Refusal::NotARequest(id));
        }
        if transfer.status != TransferStatus::Pending {
            return Err(Refusal::RequestNotPending { id, status: transfer.status.as_str() });
        }
        Ok(transfer.clone())
    }

    /// A transfer's id is the request id of the command that created it, so a second transfer
    /// under an id already taken is refused. The server's idempotency never lets a request id
    /// commit twice; this is the backstop, and what a replay of a tampered journal runs into.
    /// Callers holding part of the ledger load the command's own request id as a transfer
    /// reference ([`SignedCommand::references`]).
    fn require_new_transfer(&self, id: RequestId) -> Result<(), Refusal> {
        if self.transfers.contains_key(&id) {
            return Err(Refusal::TransferExists(id));
        }
        Ok(())
    }

    fn insert_transfer(&mut self, transfer: Transfer) {
        self.changes.transfers.insert(transfer.id);
        self.transfers.insert(transfer.id, transfer);
    }

    fn genesis(
        &mut self,
        signed: &SignedCommand,
        admin_key: PublicKey,
        node_key: PublicKey,
    ) -> Result<Applied, Refusal> {
        if self.ledger_id.is_some() {
            return Err(Refusal::AlreadyInitialised);
        }
        require(signed.signers().any(|key| *key == node_key), "the genesis entry is signed by the node key it names")?;
        if admin_key == node_key {
            return Err(Refusal::KeyInUse(admin_key));
        }
        let admin = admin_handle();
        self.ledger_id = Some(signed.ledger_id);
        self.node_key = Some(node_key);
        let roles = RoleSet::default().with(Role::Admin).with(Role::Treasurer);
        self.identities.insert(admin.clone(), Identity { roles, keys: BTreeSet::from([admin_key]) });
        self.keys.insert(admin_key, KeyOwner { handle: admin.clone(), revoked: false });
        self.changes.genesis = true;
        self.changes.identities.insert(admin);
        self.changes.keys.insert(admin_key);
        Ok(Applied::default())
    }

    /// The handles and roles of a command's signers; every signer must hold an active key.
    fn signers(&self, signed: &SignedCommand) -> Result<Vec<(Handle, RoleSet)>, Refusal> {
        if signed.signatures.is_empty() {
            return Err(crate::command::SignatureError::Missing.into());
        }
        signed
            .signers()
            .map(|key| {
                let owner = self.keys.get(key).ok_or(Refusal::UnknownKey(*key))?;
                if owner.revoked {
                    return Err(Refusal::KeyRevoked(*key));
                }
                let roles = self.identities.get(&owner.handle).map(|i| i.roles).unwrap_or_default();
                Ok((owner.handle.clone(), roles))
            })
            .collect()
    }

    /// Keys are never reused: not a key registered before (even revoked), not the node's key.
    fn require_unused_key(&self, key: &PublicKey) -> Result<(), Refusal> {
        if self.keys.contains_key(key) || self.node_key == Some(*key) {
            return Err(Refusal::KeyInUse(*key));
        }
        Ok(())
    }

    fn require_free(&self, handle: &Handle) -> Result<(), Refusal> {
        if self.accounts.contains_key(handle) || self.identities.contains_key(handle) {
            return Err(Refusal::HandleTaken(handle.clone()));
        }
        Ok(())
    }

    fn unit(&self, code: &UnitCode) -> Result<&Unit, Refusal> {
        self.units.get(code).ok_or_else(|| Refusal::UnknownUnit(code.clone()))
    }

    fn account(&self, handle: &Handle) -> Result<&Account, Refusal> {
        self.accounts.get(handle).ok_or_else(|| Refusal::UnknownAccount(handle.clone()))
    }

    /// An account a treasurer may change: it exists and is not a system account.
    fn movable_account(&self, handle: &Handle) -> Result<Account, Refusal> {
        let account = self.account(handle)?;
        if account.kind == AccountKind::System {
            return Err(Refusal::SystemAccount(handle.clone()));
        }
        Ok(account.clone())
    }

    fn identity(&self, handle: &Handle) -> Result<Identity, Refusal> {
        self.identities.get(handle).cloned().ok_or_else(|| Refusal::UnknownHandle(handle.clone()))
    }

    fn account_mut(&mut self, handle: &Handle) -> &mut Account {
        // Cloned only the first time: an import moves the same accounts row after row.
        if !self.changes.accounts.contains(handle) {
            self.changes.accounts.insert(handle.clone());
        }
        self.accounts.get_mut(handle).expect("checked to exist before any change")
    }

    fn identity_mut(&mut self, handle: &Handle) -> &mut Identity {
        self.changes.identities.insert(handle.clone());
        self.identities.get_mut(handle).expect("checked to exist before any change")
    }

    /// Asserts the ledger's invariants over everything this state holds: balances of each unit
    /// sum to zero (meaningful only for a whole ledger) and every balance is within its limits.
    /// Returns the first violation found.
    pub fn check_invariants(&self, whole_ledger: bool) -> Result<(), String> {
        let mut sums: HashMap<&UnitCode, i128> = HashMap::new();
        for account in self.accounts.values() {
            if !account.limits.admits(account.balance) {
                return Err(format!("{} has balance {} outside its limits", account.handle, account.balance));
            }
            *sums.entry(&account.unit).or_default() += i128::from(account.balance);
        }
        if whole_ledger && let Some((unit, sum)) = sums.into_iter().find(|(_, sum)| *sum != 0) {
            return Err(format!("balances of {unit} sum to {sum}"));
        }
        Ok(())
    }
}

fn require(allowed: bool, why: &'static str) -> Result<(), Refusal> {
    if allowed { Ok(()) } else { Err(Refusal::NotAuthorised(why)) }
}

/// Checks that both parties of a transfer or an invoice of `unit` hold that unit, are members or
/// businesses (not system accounts) and are active.
fn check_parties(accounts: [&Account; 2], unit: &UnitCode) -> Result<(), Refusal> {
    for account in accounts {
        if account.unit != *unit {
            return Err(Refusal::UnitMismatch {
                account: account.handle.clone(),
                account_unit: account.unit.clone(),
                unit: unit.clone(),
            });
        }
        if account.kind == AccountKind::System {
            return Err(Refusal::SystemAccount(account.handle.clone()));
        }
        check_active(account)?;
    }
    Ok(())
}

/// `account`'s balance after `delta`, judged as every move judges it: a fall may not pass its
/// credit limit (nor the balance bound), a rise may not pass its ceiling, and a fall past its soft
/// limit comes with a warning. (Balances are always within their limits, so a rise can never
/// pass the floor nor a fall the ceiling.)
pub(super) fn balance_after(account: &Account, delta: i64, scale: Scale) -> Result<(i64, Option<Warning>), Refusal> {
    let after = account.balance + delta;
    if delta < 0 && (after < account.limits.floor() || after < -BALANCE_MAX) {
        return Err(Refusal::CreditLimitExceeded {
            account: account.handle.clone(),
            balance_after: format_minor(i128::from(after), scale),
            credit_limit: account.limits.credit_limit.format(scale),
        });
    }
    if delta > 0 && after > account.limits.top() {
        return Err(Refusal::CeilingExceeded {
            account: account.handle.clone(),
            balance_after: format_minor(i128::from(after), scale),
            ceiling: format_minor(i128::from(account.limits.top()), scale),
        });
    }
    let warning = (delta < 0 && account.limits.past_soft_limit(after)).then(|| Warning::SoftLimitCrossed {
        account: account.handle.clone(),
        balance: format_minor(i128::from(after), scale),
        soft_limit: account.limits.soft_limit.unwrap_or_default().format(scale),
    });
    Ok((after, warning))
}

fn check_active(account: &Account) -> Result<(), Refusal> {
    match account.status {
        AccountStatus::Active => Ok(()),
        AccountStatus::Frozen => Err(Refusal::AccountFrozen(account.handle.clone())),
        AccountStatus::Closed => Err(Refusal::AccountClosed(account.handle.clone())),
    }
}

fn check_limits(limits: &Limits, scale: Scale) -> Result<(), Refusal> {
    if let Some(soft) = limits.soft_limit
        && soft > limits.credit_limit
    {
        return Err(Refusal::SoftLimitAboveCreditLimit {
            soft_limit: soft.format(scale),
            credit_limit: limits.credit_limit.format(scale),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::AccountKind;
    use crate::amount::Scale;
    use crate::keys::SecretKey;
    use crate::names::{Memo, RequestId};

    struct Ledger {
        state: State,
        id: LedgerId,
        node: SecretKey,
        admin: SecretKey,
        next: u128,
    }

    impl Ledger {
        fn new() -> Self {
            let (node, admin) = (SecretKey::from_seed([1; 32]), SecretKey::from_seed([2; 32]));
            let mut ledger =
                Ledger { state: State::new(), id: LedgerId::from_uuid(uuid::Uuid::from_u128(9)), node, admin, next: 0 };
            let genesis = Command::Genesis { admin_key: ledger.admin.public_key(), node_key: ledger.node.public_key() };
            ledger.apply(genesis, &ledger.node.clone()).unwrap();
            let code = UnitCode::parse("COMMUN").unwrap();
            ledger
                .admin(Command::CreateUnit { code, scale: Scale::new(2).unwrap(), name: DisplayName::default() })
                .unwrap();
            ledger
        }

        fn apply(&mut self, command: Command, key: &SecretKey) -> Result<Applied, Refusal> {
            self.next += 1;
            let signed =
                SignedCommand::sign(self.id, RequestId::from_uuid(uuid::Uuid::from_u128(self.next)), command, key);
            self.state.apply(&signed, 1_000 * self.next as i64)
        }

        fn admin(&mut self, command: Command) -> Result<Applied, Refusal> {
            let admin = self.admin.clone();
            self.apply(command, &admin)
        }

        fn open(&mut self, handle: &str, key: PublicKey) -> Result<Applied, Refusal> {
            self.admin(Command::OpenAccount {
                handle: Handle::parse(handle).unwrap(),
                unit: UnitCode::parse("COMMUN").unwrap(),
                kind: AccountKind::Member,
                name: DisplayName::default(),
                public_key: key,
                credit_limit: Amount::from_minor(10_000).unwrap(),
                ceiling: None,
                soft_limit: None,
            })
        }
    }

    #[test]
    fn a_zero_payment_is_refused() {
        let mut ledger = Ledger::new();
        let alice = SecretKey::from_seed([3; 32]);
        ledger.open("alice", alice.public_key()).unwrap();
        ledger.open("bob", SecretKey::from_seed([4; 32]).public_key()).unwrap();
        let pay = Command::Pay {
            payer: Handle::parse("alice").unwrap(),
            payee: Handle::parse("bob").unwrap(),
            unit: UnitCode::parse("COMMUN").unwrap(),
            amount: Amount::ZERO,
            memo: Memo::default(),
        };
        assert_eq!(ledger.apply(pay, &alice), Err(Refusal::ZeroAmount));
    }

    #[test]
    fn a_second_transfer_under_a_request_id_already_taken_is_refused_and_changes_nothing() {
        let mut ledger = Ledger::new();
        let (alice, bob) = (SecretKey::from_seed([3; 32]), SecretKey::from_seed([4; 32]));
        ledger.open("alice", alice.public_key()).unwrap();
        ledger.open("bob", bob.public_key()).unwrap();
        let (a, b) = (Handle::parse("alice").unwrap(), Handle::parse("bob").unwrap());
        let unit = UnitCode::parse("COMMUN").unwrap();
        let amount = Amount::from_minor(300).unwrap();
        let taken = RequestId::from_uuid(uuid::Uuid::from_u128(1_000));
        let pay =
            Command::Pay { payer: a.clone(), payee: b.clone(), unit: unit.clone(), amount, memo: Memo::default() };
        ledger.state.apply(&SignedCommand::sign(ledger.id, taken, pay.clone(), &alice), 5_000).unwrap();
        ledger.state.take_changes();
        let before = ledger.state.clone();
        let ask = Command::RequestPayment {
            payee: b.clone(),
            payer: a.clone(),
            unit: unit.clone(),
            amount,
            memo: Memo::default(),
            lifetime_ms: 60_000,
        };
        let reason = crate::names::Reason::parse("refund").unwrap();
        let back = Command::Reverse { transfer: taken, payer: b, payee: a, unit, amount, reason };
        for (command, key) in [(pay, &alice), (ask, &bob), (back, &bob)] {
            let signed = SignedCommand::sign(ledger.id, taken, command, key);
            assert!(signed.references(6_000).transfers.contains(&taken), "{:?}", signed.command);
            assert_eq!(ledger.state.apply(&signed, 6_000), Err(Refusal::TransferExists(taken)));
            assert_eq!(ledger.state, before);
        }
    }

    #[test]
    fn fund_handles_and_the_node_key_are_not_for_members() {
        let mut ledger = Ledger::new();
        let key = SecretKey::from_seed([3; 32]).public_key();
        assert!(matches!(ledger.open("fund-hour", key), Err(Refusal::HandleReserved(_))));
        let node_key = ledger.node.public_key();
        assert_eq!(ledger.open("carol", node_key), Err(Refusal::KeyInUse(node_key)));
        ledger.open("carol", key).unwrap();
        let register = Command::RegisterKey { handle: Handle::parse("carol").unwrap(), public_key: node_key };
        assert_eq!(ledger.admin(register), Err(Refusal::KeyInUse(node_key)));
    }

    #[test]
    fn a_request_can_be_accepted_until_the_millisecond_before_its_expiry() {
        let mut ledger = Ledger::new();
        let (alice, bob) = (SecretKey::from_seed([3; 32]), SecretKey::from_seed([4; 32]));
        ledger.open("alice", alice.public_key()).unwrap();
        ledger.open("bob", bob.public_key()).unwrap();
        let (a, b) = (Handle::parse("alice").unwrap(), Handle::parse("bob").unwrap());
        let unit = UnitCode::parse("COMMUN").unwrap();
        let amount = Amount::from_minor(500).unwrap();
        // Each command of the helper is stamped 1000 ms after the previous one.
        for (lifetime_ms, accepted) in [(1_000, false), (1_001, true)] {
            let ask = Command::RequestPayment {
                payee: b.clone(),
                payer: a.clone(),
                unit: unit.clone(),
                amount,
                memo: Memo::default(),
                lifetime_ms,
            };
            ledger.apply(ask, &bob).unwrap();
            let request = RequestId::from_uuid(uuid::Uuid::from_u128(ledger.next));
            let accept =
                Command::AcceptRequest { request, payer: a.clone(), payee: b.clone(), unit: unit.clone(), amount };
            let result = ledger.apply(accept, &alice);
            assert_eq!(result.is_ok(), accepted, "lifetime {lifetime_ms}: {result:?}");
            if !accepted {
                assert_eq!(result, Err(Refusal::RequestExpired(request)));
            }
        }
        assert_eq!(ledger.state.accounts[&a].balance, -500);
    }

    fn import_row(payer: &str, payee: &str, minor: i64) -> ImportRow {
        ImportRow {
            payer: Handle::parse(payer).unwrap(),
            payee: Handle::parse(payee).unwrap(),
            amount: Amount::from_minor(minor).unwrap(),
            memo: Memo::default(),
        }
    }

    fn import(rows: Vec<ImportRow>) -> Command {
        let unit = UnitCode::parse("COMMUN").unwrap();
        Command::ImportTransfers { unit, file_sha256: [5; 32], first_line: 2, rows, row_ids: RowIds::InTimeOrder }
    }

    #[test]
    fn an_import_moves_every_row_with_net_postings_and_one_transfer_per_row() {
        let mut ledger = Ledger::new();
        for (handle, seed) in [("alice", 3), ("bob", 4), ("carol", 5)] {
            ledger.open(handle, SecretKey::from_seed([seed; 32]).public_key()).unwrap();
        }
        let rows = vec![
            import_row("alice", "bob", 3_000),
            import_row("bob", "carol", 1_000),
            import_row("carol", "alice", 1_000),
        ];
        let applied = ledger.admin(import(rows)).unwrap();
        let batch = RequestId::from_uuid(uuid::Uuid::from_u128(ledger.next));
        let deltas: Vec<(&str, i64)> = applied.postings.iter().map(|p| (p.account.as_str(), p.delta)).collect();
        assert_eq!(deltas, [("alice", -2_000), ("bob", 2_000)], "carol's net change is zero: no posting");
        assert_eq!(ledger.state.accounts[&Handle::parse("carol").unwrap()].balance, 0);
        let timestamp_ms = 1_000 * ledger.next as i64;
        for index in 0..3 {
            let transfer = &ledger.state.transfers[&RowIds::InTimeOrder.row_id(batch, index, timestamp_ms)];
            assert_eq!((transfer.kind, transfer.status), (TransferKind::Import, TransferStatus::Committed));
        }
    }

    #[test]
    fn a_row_past_a_limit_refuses_its_batch_by_line_and_changes_nothing() {
        let mut ledger = Ledger::new();
        ledger.open("alice", SecretKey::from_seed([3; 32]).public_key()).unwrap();
        ledger.open("bob", SecretKey::from_seed([4; 32]).public_key()).unwrap();
        ledger.state.take_changes();
        let before = ledger.state.clone();
        // The credit limit is 100.00: the third row takes alice to -100.01.
        let rows =
            vec![import_row("alice", "bob", 6_000), import_row("bob", "alice", 1), import_row("alice", "bob", 4_002)];
        let refused = ledger.admin(import(rows)).unwrap_err();
        assert!(
            matches!(&refused, Refusal::ImportRow { line: 4, refusal } if matches!(**refusal, Refusal::CreditLimitExceeded { .. })),
            "{refused:?}"
        );
        assert_eq!(refused.reason(), "CREDIT_LIMIT_EXCEEDED");
        assert_eq!(ledger.state, before);
    }

    #[test]
    fn a_row_whose_transfer_id_is_taken_refuses_its_batch_by_line_and_changes_nothing() {
        let mut ledger = Ledger::new();
        let alice = SecretKey::from_seed([3; 32]);
        ledger.open("alice", alice.public_key()).unwrap();
        ledger.open("bob", SecretKey::from_seed([4; 32]).public_key()).unwrap();
        // A payment made under the id the import's second row will get at that time.
        let (batch, at) = (RequestId::from_uuid(uuid::Uuid::from_u128(77)), 1_764_576_000_000);
        let taken = RowIds::InTimeOrder.row_id(batch, 1, at);
        let pay = Command::Pay {
            payer: Handle::parse("alice").unwrap(),
            payee: Handle::parse("bob").unwrap(),
            unit: UnitCode::parse("COMMUN").unwrap(),
            amount: Amount::from_minor(500).unwrap(),
            memo: Memo::default(),
        };
        ledger.state.apply(&SignedCommand::sign(ledger.id, taken, pay, &alice), at - 10).unwrap();
        ledger.state.take_changes();
        let before = ledger.state.clone();
        let rows = vec![import_row("bob", "alice", 100), import_row("alice", "bob", 200)];
        let signed = SignedCommand::sign(ledger.id, batch, import(rows), &ledger.admin);
        let refused = ledger.state.apply(&signed, at).unwrap_err();
        assert_eq!(refused, Refusal::ImportRow { line: 3, refusal: Box::new(Refusal::TransferExists(taken)) });
        assert_eq!(ledger.state, before);
    }

    #[test]
    fn a_full_batch_over_distinct_accounts_makes_one_entry() {
        let mut ledger = Ledger::new();
        let count = crate::import::IMPORT_ROWS_MAX;
        for index in 0..2 * count {
            let mut seed = [0_u8; 32];
            seed[..8].copy_from_slice(&(1_000 + index as u64).to_le_bytes());
            ledger.open(&format!("m{index}"), SecretKey::from_seed(seed).public_key()).unwrap();
        }
        let rows = (0..count).map(|i| import_row(&format!("m{}", 2 * i), &format!("m{}", 2 * i + 1), 1)).collect();
        let applied = ledger.admin(import(rows)).unwrap();
        assert_eq!(applied.postings.len(), 2 * count);
        let entry = crate::journal::Entry::seal(
            99,
            0,
            crate::command::EntryKind::Import,
            Vec::new(),
            Vec::new(),
            applied.postings,
            crate::journal::EntryHash::GENESIS_PREV,
        );
        assert_eq!(entry.check(), Ok(()));
    }

    #[test]
    fn only_a_treasurer_imports() {
        let mut ledger = Ledger::new();
        let alice = SecretKey::from_seed([3; 32]);
        ledger.open("alice", alice.public_key()).unwrap();
        ledger.open("bob", SecretKey::from_seed([4; 32]).public_key()).unwrap();
        let refused = ledger.apply(import(vec![import_row("alice", "bob", 100)]), &alice);
        assert!(matches!(refused, Err(Refusal::NotAuthorised(_))), "{refused:?}");
    }
}
