//! An entry as a line of account histories: which handles it belongs to, and, for one of them,
//! the other party and the note. The server's history projection and the offline statement
//! (`ledgerctl audit statement --journal`) both read entries through these, so a statement built
//! from an export is line for line the one the server serves.

use std::collections::BTreeSet;

use crate::command::Command;
use crate::names::Handle;
use crate::state::{Changes, State};

/// The handles whose history an entry belongs to: every account and identity it changed, and
/// both parties of every transfer it created or changed (a request changes no account, but
/// concerns its payer and payee), both parties of every invoice it created or changed, and the
/// contributor of every declaration it made or decided, the business of every agreement it set.
/// `changes` are the entry's, `state` the state right after it.
pub fn handles(changes: &Changes, state: &State) -> BTreeSet<Handle> {
    let parties = changes
        .transfers
        .iter()
        .filter_map(|id| state.transfers.get(id))
        .flat_map(|transfer| [&transfer.payer, &transfer.payee]);
    let invoiced = changes
        .invoices
        .iter()
        .filter_map(|id| state.invoices.get(id))
        .flat_map(|invoice| [&invoice.creditor, &invoice.debtor]);
    let contributors = changes
        .declarations
        .iter()
        .filter_map(|id| state.declarations.get(id))
        .map(|declaration| &declaration.contributor);
    // Distinct first, then cloned: an import names the same accounts in row after row.
    let distinct: BTreeSet<&Handle> = changes
        .accounts
        .iter()
        .chain(&changes.identities)
        .chain(parties)
        .chain(invoiced)
        .chain(contributors)
        .chain(&changes.agreements)
        .collect();
    distinct.into_iter().cloned().collect()
}

/// The other party of a transfer command as `subject` sees it; none for other commands, and for
/// a rejection seen by the payer who rejected.
pub fn counterparty<'a>(command: &'a Command, subject: &Handle) -> Option<&'a Handle> {
    match command {
        // The fund, which sees a payment's levy or a reversal's levy given back, sees the
        // business it came from or went back to.
        Command::Pay { payer, payee, .. } | Command::AcceptRequest { payer, payee, .. } => Some(if payer == subject {
            payee
        } else if payee == subject {
            payer
        } else {
            payee
        }),
        Command::Reverse { payer, payee, .. } => Some(if payee == subject {
            payer
        } else if payer == subject {
            payee
        } else {
            payer
        }),
        // The fund sees the business; the business sees no other account (the command names only
        // its unit's fund, which the entry's postings show).
        Command::Contribute { business, .. } => (business != subject).then_some(business),
        Command::RequestPayment { payee, payer, .. } => Some(if payee == subject { payer } else { payee }),
        Command::RejectRequest { payer, .. } => (payer != subject).then_some(payer),
        Command::IssueInvoice { creditor, debtor, .. } | Command::AcceptInvoice { creditor, debtor, .. } => {
            Some(if creditor == subject { debtor } else { creditor })
        }
        Command::RejectInvoice { debtor, .. } => (debtor != subject).then_some(debtor),
        _ => None,
    }
}

/// The note of a command: a payment's or request's memo, a reversal's reason, an invoice's
/// reference; empty otherwise.
pub fn memo(command: &Command) -> &str {
    match command {
        Command::Pay { memo, .. } | Command::RequestPayment { memo, .. } | Command::Contribute { memo, .. } => {
            memo.as_str()
        }
        Command::IssueInvoice { reference, .. } => reference.as_str(),
        Command::Reverse { reason, .. } => reason.as_str(),
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amount::Amount;
    use crate::names::{Memo, Reason, RequestId, UnitCode};

    #[test]
    fn each_party_sees_the_other_and_the_note() {
        let (alice, bob, carol) =
            (Handle::parse("alice").unwrap(), Handle::parse("bob").unwrap(), Handle::parse("carol").unwrap());
        let unit = UnitCode::parse("COMMUN").unwrap();
        let amount = Amount::from_minor(5).unwrap();
        let bread = Memo::parse("bread").unwrap();
        let pay =
            Command::Pay { payer: alice.clone(), payee: bob.clone(), unit: unit.clone(), amount, memo: bread.clone() };
        assert_eq!(counterparty(&pay, &alice), Some(&bob));
        assert_eq!(counterparty(&pay, &bob), Some(&alice));
        assert_eq!(memo(&pay), "bread");
        let ask = Command::RequestPayment {
            payee: bob.clone(),
            payer: alice.clone(),
            unit: unit.clone(),
            amount,
            memo: bread,
            lifetime_ms: 60_000,
        };
        assert_eq!((counterparty(&ask, &bob), counterparty(&ask, &carol)), (Some(&alice), Some(&bob)));
        let request = RequestId::from_uuid(uuid::Uuid::from_u128(1));
        let reject = Command::RejectRequest { request, payer: alice.clone() };
        assert_eq!((counterparty(&reject, &alice), counterparty(&reject, &bob)), (None, Some(&alice)));
        let reason = Reason::parse("mistake").unwrap();
        let back =
            Command::Reverse { transfer: request, payer: bob.clone(), payee: alice.clone(), unit, amount, reason };
        assert_eq!((counterparty(&back, &alice), memo(&back)), (Some(&bob), "mistake"));
        let grant = Command::GrantRole { handle: alice.clone(), role: crate::account::Role::Auditor };
        assert_eq!((counterparty(&grant, &alice), memo(&grant)), (None, ""));
    }
}
