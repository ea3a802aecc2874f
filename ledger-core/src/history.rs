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
/// concerns its payer and payee). `changes` are the entry's, `state` the state right after it.
pub fn handles(changes: &Changes, state: &State) -> BTreeSet<Handle> {
    let parties = changes
        .transfers
        .iter()
        .filter_map(|id| state.transfers.get(id))
        .flat_map(|transfer| [&transfer.payer, &transfer.payee]);
    changes.accounts.iter().chain(&changes.identities).chain(parties).cloned().collect()
}

/// The other party of a transfer command as `subject` sees it; none for other commands, and for
/// a rejection seen by the payer who rejected.
pub fn counterparty<'a>(command: &'a Command, subject: &Handle) -> Option<&'a Handle> {
    match command {
        Command::Pay { payer, payee, .. }
        | Command::AcceptRequest { payer, payee, .. }
        | Command::Reverse { payer, payee, .. } => Some(if payer == subject { payee } else { payer }),
        Command::RequestPayment { payee, payer, .. } => Some(if payee == subject { payer } else { payee }),
        Command::RejectRequest { payer, .. } => (payer != subject).then_some(payer),
        _ => None,
    }
}

/// The note of a command: a payment's or request's memo, a reversal's reason; empty otherwise.
pub fn memo(command: &Command) -> &str {
    match command {
        Command::Pay { memo, .. } | Command::RequestPayment { memo, .. } => memo.as_str(),
        Command::Reverse { reason, .. } => reason.as_str(),
        _ => "",
    }
}
