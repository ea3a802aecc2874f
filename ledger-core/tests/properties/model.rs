//! An independent model of the ledger: plain maps keyed by text, updated by the rules as the
//! documentation states them, without `State`. For each command it predicts acceptance (and what
//! it posts) or the set of refusal reasons that hold.

use std::collections::{BTreeSet, HashMap, HashSet};

use ledger_core::account::{AccountKind, AccountStatus, Role};
use ledger_core::amount::{Amount, BALANCE_MAX};
use ledger_core::command::{Command, SignedCommand};
use ledger_core::keys::PublicKey;
use ledger_core::names::{Handle, LedgerId};

/// An account as the model sees it.
#[derive(Clone, Debug)]
pub struct MAccount {
    /// Unit code.
    pub unit: String,
    /// Member, business, or system for a commons fund.
    pub kind: AccountKind,
    /// Minor units.
    pub balance: i64,
    /// How far below zero the balance may go.
    pub credit: i64,
    /// How far above zero it may go; none means up to `BALANCE_MAX`.
    pub ceiling: Option<i64>,
    /// Below minus this, a payment warns.
    pub soft: Option<i64>,
    /// Active, frozen or closed.
    pub status: AccountStatus,
}

impl MAccount {
    pub fn top(&self) -> i64 {
        self.ceiling.unwrap_or(BALANCE_MAX)
    }
}

#[derive(Clone, Debug, Default)]
pub struct MIdentity {
    /// Roles held.
    pub roles: HashSet<Role>,
    /// Active keys.
    pub keys: BTreeSet<PublicKey>,
}

/// The ledger as the model sees it: plain maps keyed by text, updated by the rules as documented.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// Set by the genesis entry.
    pub ledger: Option<LedgerId>,
    /// Set by the genesis entry.
    pub node_key: Option<PublicKey>,
    /// Scale by unit code.
    pub units: HashMap<String, u8>,
    /// Accounts by handle, funds included.
    pub accounts: HashMap<String, MAccount>,
    /// Roles and keys by handle: every member account's, and the genesis admin's.
    pub identities: HashMap<String, MIdentity>,
    /// Owner and whether revoked, for every key ever registered.
    pub keys: HashMap<PublicKey, (String, bool)>,
}

/// What the model predicts for an accepted command.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Predicted {
    /// (account, delta) in order.
    pub postings: Vec<(String, i64)>,
    /// The account whose soft limit the payment crossed.
    pub soft_warning: Option<String>,
}

impl Model {
    pub fn active_keys(&self, handle: &str) -> Vec<PublicKey> {
        self.identities.get(handle).map(|i| i.keys.iter().copied().collect()).unwrap_or_default()
    }

    pub fn revoked_keys(&self) -> Vec<PublicKey> {
        let mut keys: Vec<_> = self.keys.iter().filter(|(_, (_, revoked))| *revoked).map(|(k, _)| *k).collect();
        keys.sort();
        keys
    }

    pub fn handle_taken(&self, handle: &str) -> bool {
        self.accounts.contains_key(handle) || self.identities.contains_key(handle)
    }

    /// Predicts `command`: on acceptance updates the model and returns what it produces; on
    /// refusal returns every reason that holds (the state may name any of them) and changes
    /// nothing.
    pub fn step(&mut self, signed: &SignedCommand, forged: bool) -> Result<Predicted, Vec<&'static str>> {
        // Signatures are checked before anything else, as the server and replay do.
        if forged {
            return Err(vec!["BAD_SIGNATURE"]);
        }
        let mut no: Vec<&'static str> = Vec::new();
        if let Command::Genesis { admin_key, node_key } = &signed.command {
            if self.ledger.is_some() {
                no.push("ALREADY_INITIALISED");
            }
            if !signed.signers().any(|k| k == node_key) {
                no.push("NOT_AUTHORISED");
            }
            if admin_key == node_key {
                no.push("KEY_IN_USE");
            }
            if !no.is_empty() {
                return Err(no);
            }
            self.ledger = Some(signed.ledger_id);
            self.node_key = Some(*node_key);
            let admin =
                MIdentity { roles: HashSet::from([Role::Admin, Role::Treasurer]), keys: BTreeSet::from([*admin_key]) };
            self.identities.insert("admin".into(), admin);
            self.keys.insert(*admin_key, ("admin".into(), false));
            return Ok(Predicted::default());
        }
        let Some(ledger) = self.ledger else {
            return Err(vec!["NOT_INITIALISED"]);
        };
        if ledger != signed.ledger_id {
            no.push("WRONG_LEDGER");
        }
        // Who signed: every key must be registered and active.
        let mut who: Vec<String> = Vec::new();
        let mut roles: HashSet<Role> = HashSet::new();
        for key in signed.signers() {
            match self.keys.get(key) {
                None => no.push("UNKNOWN_KEY"),
                Some((_, true)) => no.push("KEY_REVOKED"),
                Some((owner, false)) => {
                    who.push(owner.clone());
                    if let Some(identity) = self.identities.get(owner) {
                        roles.extend(identity.roles.iter().copied());
                    }
                }
            }
        }
        let is = |h: &Handle| who.iter().any(|w| w == h.as_str());
        let mut predicted = Predicted::default();
        match &signed.command {
            Command::Genesis { .. } => unreachable!("handled above"),
            Command::CreateUnit { code, scale, .. } => {
                if !roles.contains(&Role::Admin) {
                    no.push("NOT_AUTHORISED");
                }
                if self.units.contains_key(code.as_str()) {
                    no.push("UNIT_EXISTS");
                }
                let fund = format!("fund-{}", code.as_str().to_lowercase());
                if self.handle_taken(&fund) {
                    no.push("HANDLE_TAKEN");
                }
                if no.is_empty() {
                    self.units.insert(code.as_str().into(), scale.places());
                    let account = MAccount {
                        unit: code.as_str().into(),
                        kind: AccountKind::System,
                        balance: 0,
                        credit: 0,
                        ceiling: None,
                        soft: None,
                        status: AccountStatus::Active,
                    };
                    self.accounts.insert(fund, account);
                }
            }
            Command::OpenAccount { handle, unit, kind, public_key, credit_limit, ceiling, soft_limit, .. } => {
                if !roles.contains(&Role::Treasurer) {
                    no.push("NOT_AUTHORISED");
                }
                if *kind == AccountKind::System {
                    no.push("SYSTEM_KIND_REQUESTED");
                }
                if !self.units.contains_key(unit.as_str()) {
                    no.push("UNIT_NOT_FOUND");
                }
                if self.handle_taken(handle.as_str()) {
                    no.push("HANDLE_TAKEN");
                }
                if handle.as_str().starts_with("fund-") {
                    no.push("HANDLE_RESERVED");
                }
                if self.keys.contains_key(public_key) || self.node_key == Some(*public_key) {
                    no.push("KEY_IN_USE");
                }
                if soft_limit.is_some_and(|s| s > *credit_limit) {
                    no.push("SOFT_LIMIT_ABOVE_CREDIT_LIMIT");
                }
                if no.is_empty() {
                    let account = MAccount {
                        unit: unit.as_str().into(),
                        kind: *kind,
                        balance: 0,
                        credit: credit_limit.minor(),
                        ceiling: ceiling.map(Amount::minor),
                        soft: soft_limit.map(Amount::minor),
                        status: AccountStatus::Active,
                    };
                    self.accounts.insert(handle.as_str().into(), account);
                    let identity = MIdentity { roles: HashSet::new(), keys: BTreeSet::from([*public_key]) };
                    self.identities.insert(handle.as_str().into(), identity);
                    self.keys.insert(*public_key, (handle.as_str().into(), false));
                }
            }
            Command::SetLimits { handle, credit_limit, ceiling, soft_limit, .. } => {
                if !roles.contains(&Role::Treasurer) {
                    no.push("NOT_AUTHORISED");
                }
                match self.accounts.get(handle.as_str()) {
                    None => no.push("ACCOUNT_NOT_FOUND"),
                    Some(account) => {
                        if account.kind == AccountKind::System {
                            no.push("SYSTEM_ACCOUNT");
                        }
                        if account.status == AccountStatus::Closed {
                            no.push("ACCOUNT_CLOSED");
                        }
                        if soft_limit.is_some_and(|s| s > *credit_limit) {
                            no.push("SOFT_LIMIT_ABOVE_CREDIT_LIMIT");
                        }
                        let top = ceiling.map_or(BALANCE_MAX, Amount::minor);
                        if account.balance < -credit_limit.minor() || account.balance > top {
                            no.push("LIMITS_EXCLUDE_BALANCE");
                        }
                    }
                }
                if no.is_empty() {
                    let account = self.accounts.get_mut(handle.as_str()).expect("exists");
                    account.credit = credit_limit.minor();
                    account.ceiling = ceiling.map(Amount::minor);
                    account.soft = soft_limit.map(Amount::minor);
                }
            }
            Command::SetStatus { handle, status, .. } => {
                if !roles.contains(&Role::Treasurer) {
                    no.push("NOT_AUTHORISED");
                }
                match self.accounts.get(handle.as_str()) {
                    None => no.push("ACCOUNT_NOT_FOUND"),
                    Some(account) => {
                        if account.kind == AccountKind::System {
                            no.push("SYSTEM_ACCOUNT");
                        }
                        if account.status == AccountStatus::Closed {
                            no.push("ACCOUNT_CLOSED");
                        }
                        if account.status == *status {
                            no.push("STATUS_UNCHANGED");
                        }
                        if *status == AccountStatus::Closed && account.balance != 0 {
                            no.push("BALANCE_NOT_ZERO");
                        }
                    }
                }
                if no.is_empty() {
                    self.accounts.get_mut(handle.as_str()).expect("exists").status = *status;
                }
            }
            Command::GrantRole { handle, role } => {
                if !roles.contains(&Role::Admin) {
                    no.push("NOT_AUTHORISED");
                }
                match self.identities.get(handle.as_str()) {
                    None => no.push("HANDLE_NOT_FOUND"),
                    Some(identity) if identity.roles.contains(role) => {
                        no.push("ROLE_ALREADY_HELD");
                    }
                    Some(_) => {}
                }
                if no.is_empty() {
                    let identity = self.identities.get_mut(handle.as_str()).expect("exists");
                    identity.roles.insert(*role);
                }
            }
            Command::RevokeRole { handle, role } => {
                if !roles.contains(&Role::Admin) {
                    no.push("NOT_AUTHORISED");
                }
                match self.identities.get(handle.as_str()) {
                    None => no.push("HANDLE_NOT_FOUND"),
                    Some(identity) if !identity.roles.contains(role) => {
                        no.push("ROLE_NOT_HELD");
                    }
                    Some(_) => {}
                }
                if *role == Role::Admin && is(handle) {
                    no.push("OWN_ADMIN_ROLE");
                }
                if no.is_empty() {
                    let identity = self.identities.get_mut(handle.as_str()).expect("exists");
                    identity.roles.remove(role);
                }
            }
            Command::RegisterKey { handle, public_key } => {
                if !is(handle) && !roles.contains(&Role::Treasurer) {
                    no.push("NOT_AUTHORISED");
                }
                if !self.identities.contains_key(handle.as_str()) {
                    no.push("HANDLE_NOT_FOUND");
                }
                if self.keys.contains_key(public_key) || self.node_key == Some(*public_key) {
                    no.push("KEY_IN_USE");
                }
                if no.is_empty() {
                    let identity = self.identities.get_mut(handle.as_str()).expect("exists");
                    identity.keys.insert(*public_key);
                    self.keys.insert(*public_key, (handle.as_str().into(), false));
                }
            }
            Command::RevokeKey { handle, public_key } => {
                if !is(handle) && !roles.contains(&Role::Treasurer) {
                    no.push("NOT_AUTHORISED");
                }
                match self.identities.get(handle.as_str()) {
                    None => no.push("HANDLE_NOT_FOUND"),
                    Some(identity) if !identity.keys.contains(public_key) => {
                        no.push("KEY_NOT_HELD");
                    }
                    Some(identity) if identity.keys.len() == 1 => no.push("LAST_KEY"),
                    Some(_) => {}
                }
                if no.is_empty() {
                    let identity = self.identities.get_mut(handle.as_str()).expect("exists");
                    identity.keys.remove(public_key);
                    self.keys.insert(*public_key, (handle.as_str().into(), true));
                }
            }
            Command::Pay { payer, payee, unit, amount, .. } => {
                let a = amount.minor();
                let from = self.accounts.get(payer.as_str());
                let to = self.accounts.get(payee.as_str());
                if from.is_none() || to.is_none() {
                    no.push("ACCOUNT_NOT_FOUND");
                }
                if !self.units.contains_key(unit.as_str()) {
                    no.push("UNIT_NOT_FOUND");
                }
                if !is(payer) {
                    no.push("NOT_AUTHORISED");
                }
                if payer == payee {
                    no.push("SAME_ACCOUNT");
                }
                for account in [from, to].into_iter().flatten() {
                    if account.unit != unit.as_str() {
                        no.push("UNIT_MISMATCH");
                    }
                    if account.kind == AccountKind::System {
                        no.push("SYSTEM_ACCOUNT");
                    }
                    match account.status {
                        AccountStatus::Active => {}
                        AccountStatus::Frozen => no.push("ACCOUNT_FROZEN"),
                        AccountStatus::Closed => no.push("ACCOUNT_CLOSED"),
                    }
                }
                if from.is_some_and(|f| f.balance - a < -f.credit) {
                    no.push("CREDIT_LIMIT_EXCEEDED");
                }
                if to.is_some_and(|t| t.balance + a > t.top()) {
                    no.push("CEILING_EXCEEDED");
                }
                if no.is_empty() {
                    let from = self.accounts.get_mut(payer.as_str()).expect("exists");
                    from.balance -= a;
                    if from.soft.is_some_and(|s| from.balance < -s) {
                        predicted.soft_warning = Some(payer.as_str().into());
                    }
                    self.accounts.get_mut(payee.as_str()).expect("exists").balance += a;
                    predicted.postings = vec![(payer.as_str().into(), -a), (payee.as_str().into(), a)];
                }
            }
            Command::RequestPayment { .. }
            | Command::AcceptRequest { .. }
            | Command::RejectRequest { .. }
            | Command::Reverse { .. }
            | Command::IssueInvoice { .. }
            | Command::AcceptInvoice { .. }
            | Command::RejectInvoice { .. }
            | Command::ImportInvoices { .. } => {
                unreachable!("the scenarios generate no workflow or invoice commands; see workflows.rs and invoices.rs")
            }
            Command::ImportTransfers { .. } => {
                unreachable!("the scenarios generate no imports; import.rs checks them against payments")
            }
            Command::ClearingRun { .. } => {
                unreachable!("the scenarios generate no clearing runs; clearing_apply.rs checks them")
            }
            Command::AddCommons { .. }
            | Command::Declare { .. }
            | Command::ValidateDeclaration { .. }
            | Command::RefuseDeclaration { .. }
            | Command::SetAgreement { .. }
            | Command::Contribute { .. }
            | Command::Collect { .. }
            | Command::SetQuorum { .. }
            | Command::ProposeRule { .. }
            | Command::ApproveRule { .. }
            | Command::ProposeDistribution { .. }
            | Command::ApproveDistribution { .. } => {
                unreachable!(
                    "the scenarios generate no chamber commands; tests/chamber/, tests/contributions.rs and tests/chamber/rules.rs check those"
                )
            }
        }
        if no.is_empty() { Ok(predicted) } else { Err(no) }
    }
}
