//! Proto ⇄ ledger-core conversion for applied clearing runs: the signed `ApplyClearingRun`
//! request into a `Command::ClearingRun`, and a stored run into the `ClearingRun` message, with
//! the same rules as the rest of [`crate::convert`].

use std::collections::BTreeMap;

use ledger_core::amount::{AMOUNT_MAX, Scale, format_minor, parse_signed_minor};
use ledger_core::clearing::settlement::{CreditPosting, SET_OFFS_MAX, SetOffLine};
use ledger_core::command::{Command, SignedCommand};
use ledger_core::journal::POSTINGS_MAX;
use ledger_core::names::{Handle, LedgerId, RequestId};
use ledger_core::refusal::Refusal;

use super::invoice::invoice_name;
use super::{handle, invalid, positive_amount, request_id, requested_unit, required, signatures, signed, unit_code};
use crate::error::ServerError;
use crate::proto;
use crate::store::{Store, StoredRun};

/// A clearing run's resource name `clearingRuns/{id}`, or the bare id.
pub fn run_name(field: &str, text: &str) -> Result<RequestId, ServerError> {
    let text = required(field, text)?;
    let id = text.strip_prefix("clearingRuns/").unwrap_or(text);
    RequestId::parse(id).map_err(|error| invalid("INVALID_RUN_ID", field, error))
}

/// `ApplyClearingRun`: each line's fields are named by their index in a refusal
/// (`set_offs[3].amount`).
pub async fn apply_clearing_run(
    store: &dyn Store,
    ledger_id: LedgerId,
    req: &proto::ApplyClearingRunRequest,
) -> Result<SignedCommand, ServerError> {
    let request_id = request_id(&req.request_id)?;
    let unit = unit_code("unit", &req.unit)?;
    let signatures = signatures(&req.signatures)?;
    // Bounded before parsing any line, so the work per request stays bounded.
    if req.set_offs.is_empty() || req.set_offs.len() > SET_OFFS_MAX {
        let count = req.set_offs.len();
        return Err(Refusal::ClearingRunSize { what: "set-offs", count, min: 1, max: SET_OFFS_MAX }.into());
    }
    if req.credit.len() > POSTINGS_MAX {
        let count = req.credit.len();
        return Err(Refusal::ClearingRunSize { what: "credit postings", count, min: 0, max: POSTINGS_MAX }.into());
    }
    let scale = requested_unit(store, &unit).await?.scale;
    let set_offs = req
        .set_offs
        .iter()
        .enumerate()
        .map(|(index, line)| {
            Ok(SetOffLine {
                invoice: invoice_name(&format!("set_offs[{index}].invoice"), &line.invoice)?,
                amount: positive_amount(&format!("set_offs[{index}].amount"), &line.amount, scale)?,
            })
        })
        .collect::<Result<Vec<_>, ServerError>>()?;
    let credit = req
        .credit
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let field = format!("credit[{index}].delta");
            let text = required(&field, &line.delta)?;
            let delta = parse_signed_minor(text, scale).map_err(|error| invalid("INVALID_AMOUNT", &field, error))?;
            if delta == 0 || delta.unsigned_abs() > AMOUNT_MAX.unsigned_abs() {
                return Err(invalid(
                    "INVALID_AMOUNT",
                    &field,
                    "a credit posting is non-zero and within the amount bound",
                ));
            }
            Ok(CreditPosting { account: handle(&format!("credit[{index}].account"), &line.account)?, delta })
        })
        .collect::<Result<Vec<_>, ServerError>>()?;
    Ok(signed(ledger_id, request_id, Command::ClearingRun { unit, set_offs, credit }, signatures))
}

/// What one participant owes and is owed on the run's invoices, and its balance, before and after.
#[derive(Default)]
struct Position {
    owes_before: i128,
    owes_after: i128,
    owed_before: i128,
    owed_after: i128,
    balance: Option<(i64, i64)>,
}

/// A stored run as the API reports it, amounts at the unit's `scale`.
pub fn clearing_run(stored: &StoredRun, scale: Scale, replayed: bool) -> proto::ClearingRun {
    let run = &stored.run;
    let amount = |minor: i128| format_minor(minor, scale);
    let mut positions: BTreeMap<&Handle, Position> = BTreeMap::new();
    for line in &run.set_offs {
        let (before, after) = (i128::from(line.remaining_before), i128::from(line.remaining_before - line.set_off));
        let debtor = positions.entry(&line.debtor).or_default();
        debtor.owes_before += before;
        debtor.owes_after += after;
        let creditor = positions.entry(&line.creditor).or_default();
        creditor.owed_before += before;
        creditor.owed_after += after;
    }
    for line in &run.credit {
        positions.entry(&line.account).or_default().balance =
            Some((line.balance_before, line.balance_before + line.delta));
    }
    let debt_before = run.debt_before();
    let set_off = run.set_off();
    proto::ClearingRun {
        name: format!("clearingRuns/{}", run.id),
        id: run.id.to_string(),
        unit: run.unit.to_string(),
        seq: stored.seq,
        timestamp_ms: run.timestamp_ms,
        signer: run.signer.to_string(),
        debt_before: amount(debt_before),
        set_off: amount(set_off),
        debt_after: amount(debt_before - set_off),
        share_basis_points: if debt_before == 0 {
            0
        } else {
            i64::try_from(set_off * 10_000 / debt_before).expect("at most 10000")
        },
        credit_moved: amount(run.credit_moved()),
        participants: positions
            .into_iter()
            .map(|(handle, p)| proto::ClearingParticipant {
                account: handle.to_string(),
                owes_before: amount(p.owes_before),
                owes_after: amount(p.owes_after),
                owed_before: amount(p.owed_before),
                owed_after: amount(p.owed_after),
                balance_before: p.balance.map(|(before, _)| amount(i128::from(before))).unwrap_or_default(),
                balance_after: p.balance.map(|(_, after)| amount(i128::from(after))).unwrap_or_default(),
            })
            .collect(),
        touched: run
            .set_offs
            .iter()
            .map(|s| proto::InvoiceSetOff {
                invoice: format!("invoices/{}", s.invoice),
                debtor: s.debtor.to_string(),
                creditor: s.creditor.to_string(),
                remaining_before: amount(i128::from(s.remaining_before)),
                set_off: amount(i128::from(s.set_off)),
                remaining_after: amount(i128::from(s.remaining_before - s.set_off)),
            })
            .collect(),
        credit: run
            .credit
            .iter()
            .map(|c| proto::ClearingCredit {
                account: c.account.to_string(),
                delta: amount(i128::from(c.delta)),
                balance_before: amount(i128::from(c.balance_before)),
                balance_after: amount(i128::from(c.balance_before + c.delta)),
            })
            .collect(),
        replayed,
    }
}
