//! Applying what feeds the commons fund: agreements, the levy posted with a payment to a
//! business, its return when the payment is reversed, one-off contributions and the collect of
//! recurring ones.
//!
//! Every movement here goes through [`State::move_net`]: several transfers of one unit checked
//! together, each account's limits judged on its balance after all of them, and one net posting
//! per account. So a levy is never refused for a ceiling the payment alone would cross but the
//! payment less its levy does not, and a business's history shows what it kept.

use super::{Applied, State, balance_after, check_active};
use crate::account::AccountKind;
use crate::amount::Amount;
use crate::chamber::{
    self, Agreement, COLLECT_BUSINESSES_MAX, CollectLine, CollectOutcome, Period, collection_id, levy_id,
    levy_reversal_id,
};
use crate::journal::Posting;
use crate::names::{Handle, Memo, RequestId, UnitCode};
use crate::refusal::Refusal;
use crate::transfer::{Transfer, TransferKind, TransferStatus};

impl State {
    /// `SetAgreement`, its signer already checked to be a treasurer: sets or replaces the
    /// agreement of an active business.
    pub(super) fn set_agreement(&mut self, agreement: &Agreement) -> Result<Applied, Refusal> {
        let business = agreement.business();
        let account = self.account(business)?;
        if account.kind != AccountKind::Business {
            return Err(Refusal::NotABusiness(business.clone()));
        }
        check_active(account)?;
        self.changes.agreements.insert(business.clone());
        self.agreements.insert(business.clone(), agreement.clone());
        Ok(Applied::default())
    }

    /// The levy owed on `amount` received by `payee` in an entry stamped `timestamp_ms`: none
    /// when it has no agreement (the one map look-up every payment pays), when the agreement is
    /// not in effect yet or levies nothing, or when the levy rounds down to zero.
    fn levy_due(&self, payee: &Handle, amount: Amount, timestamp_ms: i64) -> Option<(Amount, chamber::BasisPoints)> {
        let agreement = self.agreements.get(payee)?;
        if agreement.levy().is_zero() || Period::of_timestamp_ms(timestamp_ms)? < agreement.effective_from() {
            return None;
        }
        let levy = chamber::levy(amount, agreement.levy());
        (!levy.is_zero()).then_some((levy, agreement.levy()))
    }

    /// Moves a payment (or an accepted request) `transfer` and, when its payee owes a levy, the
    /// levy from the payee to its unit's fund in the same postings, recorded as a transfer of
    /// kind levy whose id is derived from the payment's.
    pub(super) fn pay_levied(
        &mut self,
        transfer: RequestId,
        payer: &Handle,
        payee: &Handle,
        unit: &UnitCode,
        amount: Amount,
        timestamp_ms: i64,
    ) -> Result<Applied, Refusal> {
        let Some((levy, rate)) = self.levy_due(payee, amount, timestamp_ms) else {
            return self.move_value(payer, payee, unit, amount);
        };
        self.check_transfer(payer, payee, unit, amount)?;
        let fund = Handle::fund_of(unit);
        let applied = self.move_net(unit, &[(payer, payee, amount), (payee, &fund, levy)])?;
        let memo = Memo::parse(&format!("levy of {rate} on {transfer}")).expect("short and printable");
        self.insert_transfer(committed(
            levy_id(transfer),
            TransferKind::Levy,
            payee,
            &fund,
            unit,
            levy,
            memo,
            timestamp_ms,
        ));
        Ok(applied)
    }

    /// Moves a reversal `reversal` of `original` and, when `original` was levied, gives its levy
    /// back from the fund in the same postings, so nothing levied on a payment that was undone
    /// stays in the fund. The fund never goes below zero: if it no longer holds the levy (a
    /// distribution paid it out), the reversal is refused like any transfer past a limit.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn reverse_levied(
        &mut self,
        original: RequestId,
        reversal: RequestId,
        payer: &Handle,
        payee: &Handle,
        unit: &UnitCode,
        amount: Amount,
        timestamp_ms: i64,
    ) -> Result<Applied, Refusal> {
        let levied = self
            .transfers
            .get(&levy_id(original))
            .filter(|levy| levy.kind == TransferKind::Levy && levy.reversed_by.is_none())
            .cloned();
        let Some(levy) = levied else {
            return self.move_value(payer, payee, unit, amount);
        };
        self.check_transfer(payer, payee, unit, amount)?;
        let applied = self.move_net(unit, &[(payer, payee, amount), (&levy.payee, &levy.payer, levy.amount)])?;
        let back = levy_reversal_id(reversal);
        let memo = Memo::parse(&format!("levy given back: {original} reversed")).expect("short and printable");
        let mut returned =
            committed(back, TransferKind::Reversal, &levy.payee, &levy.payer, unit, levy.amount, memo, timestamp_ms);
        returned.reverses = Some(levy.id);
        self.insert_transfer(Transfer { reversed_by: Some(back), ..levy });
        self.insert_transfer(returned);
        Ok(applied)
    }

    /// `Contribute`, its signer already checked to be the business: a one-off contribution to
    /// the fund, within the business's limits.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn contribute(
        &mut self,
        id: RequestId,
        business: &Handle,
        unit: &UnitCode,
        amount: Amount,
        memo: &Memo,
        timestamp_ms: i64,
    ) -> Result<Applied, Refusal> {
        if self.account(business)?.kind != AccountKind::Business {
            return Err(Refusal::NotABusiness(business.clone()));
        }
        self.require_new_transfer(id)?;
        let fund = Handle::fund_of(unit);
        let applied = self.move_net(unit, &[(business, &fund, amount)])?;
        let transfer =
            committed(id, TransferKind::Contribution, business, &fund, unit, amount, memo.clone(), timestamp_ms);
        self.insert_transfer(transfer);
        Ok(applied)
    }

    /// `Collect`, its signer already checked to be a treasurer: for each business named, its
    /// recurring contribution due for `period` moves to the fund if it was not collected before
    /// and fits the business's limits; otherwise it is reported and nothing is marked, so a
    /// later collect tries again. One entry, net postings, one report line per business.
    pub(super) fn collect(
        &mut self,
        unit: &UnitCode,
        period: Period,
        businesses: &[Handle],
        timestamp_ms: i64,
    ) -> Result<Applied, Refusal> {
        let ascending = businesses.windows(2).all(|pair| pair[0] < pair[1]);
        if businesses.is_empty() || businesses.len() > COLLECT_BUSINESSES_MAX || !ascending {
            return Err(Refusal::CollectBusinesses { max: COLLECT_BUSINESSES_MAX });
        }
        self.unit(unit)?;
        if Period::of_timestamp_ms(timestamp_ms).is_some_and(|now| period > now) {
            return Err(Refusal::PeriodNotStarted(period));
        }
        let fund = Handle::fund_of(unit);
        self.account(&fund)?;
        let mut net: Vec<Posting> = Vec::new();
        let mut warnings = Vec::new();
        let mut lines = Vec::with_capacity(businesses.len());
        for business in businesses {
            let id = collection_id(business, period);
            let outcome = if self.transfers.contains_key(&id) {
                CollectOutcome::AlreadyCollected
            } else {
                match self.agreements.get(business).map(|agreement| agreement.recurring_due(period)) {
                    None => not_collectable("NO_AGREEMENT", format!("{business} has no agreement")),
                    Some(None) => {
                        not_collectable("NOTHING_DUE", format!("{business} owes no recurring amount for {period}"))
                    }
                    Some(Some(due)) => match self.move_net(unit, &[(business, &fund, due)]) {
                        Ok(applied) => {
                            add_net(&mut net, applied.postings);
                            warnings.extend(applied.warnings);
                            let memo = Memo::parse(&format!("recurring contribution for {period}"))
                                .expect("short and printable");
                            let transfer = committed(
                                id,
                                TransferKind::Contribution,
                                business,
                                &fund,
                                unit,
                                due,
                                memo,
                                timestamp_ms,
                            );
                            self.insert_transfer(transfer);
                            CollectOutcome::Collected(due)
                        }
                        Err(refusal) => not_collectable(refusal.reason(), refusal.to_string()),
                    },
                }
            };
            lines.push(CollectLine { business: business.clone(), outcome });
        }
        net.retain(|posting| posting.delta != 0);
        Ok(Applied { postings: net, warnings, collection: lines })
    }

    /// Moves several amounts of `unit` at once: every party an active account of the unit, a
    /// member or business, or the unit's fund; each account's limits judged on its balance after
    /// all the moves. Returns one net posting per account that moved, in the order accounts
    /// first appear, and a warning for each account that paid and crossed its soft limit. On
    /// refusal nothing changed.
    pub(super) fn move_net(
        &mut self,
        unit: &UnitCode,
        moves: &[(&Handle, &Handle, Amount)],
    ) -> Result<Applied, Refusal> {
        let scale = self.unit(unit)?.scale;
        let mut net: Vec<Posting> = Vec::new();
        for &(payer, payee, amount) in moves {
            self.party(payer, unit)?;
            self.party(payee, unit)?;
            if amount.is_zero() {
                return Err(Refusal::ZeroAmount);
            }
            if payer == payee {
                return Err(Refusal::SameAccount);
            }
            let posting = |account: &Handle, delta| Posting { account: account.clone(), unit: unit.clone(), delta };
            add_net(&mut net, vec![posting(payer, -amount.minor()), posting(payee, amount.minor())]);
        }
        let mut warnings = Vec::new();
        for posting in &net {
            let (_, warning) = balance_after(self.account(&posting.account)?, posting.delta, scale)?;
            warnings.extend(warning);
        }
        net.retain(|posting| posting.delta != 0);
        for posting in &net {
            self.account_mut(&posting.account).balance += posting.delta;
        }
        Ok(Applied { postings: net, warnings, collection: Vec::new() })
    }

    /// An account that may take part in a move of `unit`: it holds the unit and is active, and
    /// is a member, a business, or the unit's own fund (the only system account moved here).
    fn party(&self, handle: &Handle, unit: &UnitCode) -> Result<(), Refusal> {
        let account = self.account(handle)?;
        if account.unit != *unit {
            return Err(Refusal::UnitMismatch {
                account: handle.clone(),
                account_unit: account.unit.clone(),
                unit: unit.clone(),
            });
        }
        if account.kind == AccountKind::System && *handle != Handle::fund_of(unit) {
            return Err(Refusal::SystemAccount(handle.clone()));
        }
        check_active(account)
    }
}

/// Adds `postings` to `net`, one posting per account, in the order accounts first appear.
fn add_net(net: &mut Vec<Posting>, postings: Vec<Posting>) {
    for posting in postings {
        match net.iter_mut().find(|held| held.account == posting.account) {
            Some(held) => held.delta += posting.delta,
            None => net.push(posting),
        }
    }
}

fn not_collectable(reason: &'static str, message: String) -> CollectOutcome {
    CollectOutcome::NotCollectable { reason, message }
}

/// A transfer committed at once.
#[allow(clippy::too_many_arguments)]
pub(super) fn committed(
    id: RequestId,
    kind: TransferKind,
    payer: &Handle,
    payee: &Handle,
    unit: &UnitCode,
    amount: Amount,
    memo: Memo,
    created_ms: i64,
) -> Transfer {
    Transfer {
        id,
        kind,
        status: TransferStatus::Committed,
        payer: payer.clone(),
        payee: payee.clone(),
        unit: unit.clone(),
        amount,
        memo,
        created_ms,
        expires_at_ms: None,
        reverses: None,
        reversed_by: None,
    }
}
