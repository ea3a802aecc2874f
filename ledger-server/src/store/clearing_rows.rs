//! Clearing runs' stored rows (`clearing_runs`, `clearing_set_offs`, `clearing_credit`) to the
//! domain's [`AppliedRun`], the same for every backend: every field is validated on the way in,
//! so a tampered row surfaces as [`StoreError::Corrupt`] naming its run.

use ledger_core::amount::AMOUNT_MAX;
use ledger_core::clearing::settlement::{AppliedCredit, AppliedRun, AppliedSetOff};
use ledger_core::names::{Handle, RequestId, UnitCode};

use super::rows::{seq_from_row, transfer_id_from_row};
use super::{StoreError, StoredRun};

/// `id, seq, unit, signer, timestamp_ms` of `clearing_runs`.
pub(super) type RunRow = (Vec<u8>, i64, String, String, i64);

/// `invoice, debtor, creditor, remaining_before, set_off` of `clearing_set_offs`, by `idx`.
pub(super) type SetOffRow = (Vec<u8>, String, String, i64, i64);

/// `account, balance_before, delta` of `clearing_credit`, by `idx`.
pub(super) type CreditRow = (String, i64, i64);

/// The columns of `clearing_set_offs` and `clearing_credit` rows of `run`, in the signed order,
/// as written by both backends: `(idx, set-off)` and `(idx, credit)`.
pub(super) fn set_off_rows(run: &AppliedRun) -> impl Iterator<Item = (i64, &AppliedSetOff)> {
    run.set_offs.iter().enumerate().map(|(index, line)| (index as i64, line))
}

/// See [`set_off_rows`].
pub(super) fn credit_rows(run: &AppliedRun) -> impl Iterator<Item = (i64, &AppliedCredit)> {
    run.credit.iter().enumerate().map(|(index, line)| (index as i64, line))
}

pub(super) fn run_from_rows(
    run: RunRow,
    set_offs: Vec<SetOffRow>,
    credit: Vec<CreditRow>,
) -> Result<StoredRun, StoreError> {
    let (id, seq, unit, signer, timestamp_ms) = run;
    let id = transfer_id_from_row("clearing_runs", &id)?;
    let bad = |what: String| StoreError::Corrupt(format!("clearing run {id}: {what}"));
    let handle = |text: &str| Handle::parse(text).map_err(|error| bad(error.to_string()));
    let in_range = |what: &str, minor: i64| {
        if (1..=AMOUNT_MAX).contains(&minor) { Ok(minor) } else { Err(bad(format!("{what} {minor} out of range"))) }
    };
    let set_offs = set_offs
        .into_iter()
        .map(|(invoice, debtor, creditor, remaining_before, set_off)| {
            let invoice: RequestId = transfer_id_from_row(&format!("clearing run {id}"), &invoice)?;
            let set_off = in_range("set-off", set_off)?;
            let remaining_before = in_range("remaining", remaining_before)?;
            if set_off > remaining_before {
                return Err(bad(format!("invoice {invoice}: set-off {set_off} above remaining {remaining_before}")));
            }
            Ok(AppliedSetOff {
                invoice,
                debtor: handle(&debtor)?,
                creditor: handle(&creditor)?,
                remaining_before,
                set_off,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let credit = credit
        .into_iter()
        .map(|(account, balance_before, delta)| {
            in_range("credit posting", delta.saturating_abs())?;
            Ok(AppliedCredit { account: handle(&account)?, balance_before, delta })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    if set_offs.is_empty() {
        return Err(bad("no set-offs".to_owned()));
    }
    let run = AppliedRun {
        id,
        unit: UnitCode::parse(&unit).map_err(|error| bad(error.to_string()))?,
        signer: handle(&signer)?,
        timestamp_ms,
        set_offs,
        credit,
    };
    Ok(StoredRun { seq: seq_from_row(seq)?, run })
}

/// The runs `changes` names, each with the seq of the entry that applied it (its request id is
/// the run's id), to write after the entries.
pub(super) fn runs_to_write(
    entries: &[super::PendingEntry],
    state: &ledger_core::state::State,
    changes: &ledger_core::state::Changes,
) -> Result<Vec<StoredRun>, StoreError> {
    changes
        .clearing_runs
        .iter()
        .map(|id| {
            let run = state.clearing_runs.get(id).ok_or_else(|| super::rows::absent("clearing run", id))?;
            let entry = entries
                .iter()
                .find(|pending| pending.request_id == *id)
                .ok_or_else(|| super::rows::absent("entry of clearing run", id))?;
            Ok(StoredRun { seq: entry.entry.seq, run: run.clone() })
        })
        .collect()
}
