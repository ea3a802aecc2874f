//! Applying the rule book's commands: `SetQuorum`, `ProposeRule`, `ApproveRule` (see
//! `crate::chamber::rule_book` for what they mean). None makes postings; each either records
//! the change or refuses and changes nothing. The signer's role is checked by the caller.

use std::collections::BTreeSet;

use super::{Applied, State};
use crate::chamber::{Quorum, Rule, RuleBook, RuleRecord};
use crate::names::{Handle, RuleId, UnitCode};
use crate::refusal::Refusal;

impl State {
    /// The rule book as `apply` reads it: the defaults until something was set.
    pub fn rule_book_or_default(&self) -> RuleBook {
        self.rule_book.unwrap_or_default()
    }

    /// `SetQuorum`, its signer already checked to be an admin.
    pub(super) fn set_quorum(&mut self, quorum: Quorum) -> Result<Applied, Refusal> {
        let book = self.rule_book_or_default();
        self.rule_book = Some(RuleBook { quorum, ..book });
        self.changes.quorum = true;
        Ok(Applied::default())
    }

    /// `ProposeRule` by the treasurer `proposer`: the proposal is its first approval.
    pub(super) fn propose_rule(
        &mut self,
        id: RuleId,
        unit: &UnitCode,
        rule: &Rule,
        proposer: Handle,
    ) -> Result<Applied, Refusal> {
        if self.rules.contains_key(&id) {
            return Err(Refusal::RuleExists(id));
        }
        let record = RuleRecord {
            id,
            unit: unit.clone(),
            rule: rule.clone(),
            proposer: proposer.clone(),
            approvals: BTreeSet::from([proposer]),
            version: None,
        };
        let record = self.adopted_if_quorum(record);
        self.record_rule(record);
        Ok(Applied::default())
    }

    /// `ApproveRule` by the treasurer `approver`: once per treasurer, and only while proposed.
    pub(super) fn approve_rule(&mut self, id: RuleId, approver: Handle) -> Result<Applied, Refusal> {
        let mut record = self.rules.get(&id).cloned().ok_or(Refusal::UnknownRule(id))?;
        if let Some(version) = record.version {
            return Err(Refusal::RuleAlreadyAdopted { rule: id, version });
        }
        if record.approvals.contains(&approver) {
            return Err(Refusal::RuleAlreadyApproved { rule: id, by: approver });
        }
        record.approvals.insert(approver);
        let record = self.adopted_if_quorum(record);
        self.record_rule(record);
        Ok(Applied::default())
    }

    /// `record`, adopted with the next version if its approvals reach the quorum now. Adoption
    /// is counted in the rule book, so writing the record is the caller's.
    fn adopted_if_quorum(&mut self, mut record: RuleRecord) -> RuleRecord {
        let book = self.rule_book_or_default();
        // `approvals` holds at most `Quorum::MAX` handles, far below `u32::MAX`.
        let approvals = u32::try_from(record.approvals.len()).unwrap_or(u32::MAX);
        if approvals >= book.quorum.approvals() {
            let version = book.adopted + 1;
            record.version = Some(version);
            self.rule_book = Some(RuleBook { adopted: version, ..book });
        }
        record
    }

    fn record_rule(&mut self, record: RuleRecord) {
        self.changes.rules.insert(record.id);
        self.rules.insert(record.id, record);
    }
}
