//! Proto ⇄ ledger-core conversion for agreements, contributions and collects (the Chamber
//! service), with the same rules as the rest of [`crate::convert`]: every field validated with a
//! precise `INVALID_ARGUMENT` reason, amounts parsed and formatted at their unit's scale.

use ledger_core::amount::Scale;
use ledger_core::chamber::{
    Agreement, BasisPoints, COLLECT_BUSINESSES_MAX, CollectLine, CollectOutcome, Period, collection_id,
};
use ledger_core::command::{Command, SignedCommand};
use ledger_core::journal::Entry;
use ledger_core::names::{Handle, LedgerId, UnitCode};
use ledger_core::refusal::Refusal;

use super::{
    handle, invalid, memo, optional_amount, positive_amount, request_id, requested_unit, signatures, signed, unit_code,
};
use crate::error::ServerError;
use crate::proto;
use crate::store::{AgreementRecord, Store};

/// A business named by `agreements/{business}` or its bare handle.
pub fn agreement_name(field: &str, text: &str) -> Result<Handle, ServerError> {
    handle(field, text.strip_prefix("agreements/").unwrap_or(text))
}

/// A period `YYYY-MM`.
pub fn period(field: &str, text: &str) -> Result<Period, ServerError> {
    Period::parse(text).map_err(|error| invalid("INVALID_PERIOD", field, error))
}

/// `SetAgreement`: the recurring amount is parsed at the scale of the business's unit, so the
/// business must exist (`ACCOUNT_NOT_FOUND` otherwise).
pub async fn set_agreement(
    store: &dyn Store,
    ledger_id: LedgerId,
    req: &proto::SetAgreementRequest,
) -> Result<SignedCommand, ServerError> {
    let request_id = request_id(&req.request_id)?;
    let business = handle("business", &req.business)?;
    let levy =
        BasisPoints::new(req.levy_basis_points).map_err(|error| invalid("INVALID_LEVY", "levy_basis_points", error))?;
    let effective_from = period("effective_from", &req.effective_from)?;
    let account = store.account(&business).await?.ok_or_else(|| Refusal::UnknownAccount(business.clone()))?;
    let scale = requested_unit(store, &account.unit).await?.scale;
    let recurring = optional_amount("recurring", &req.recurring, scale)?;
    let agreement = Agreement::new(business, levy, recurring, effective_from)
        .map_err(|error| invalid("INVALID_AGREEMENT", "agreement", error))?;
    let command = Command::SetAgreement { agreement };
    Ok(signed(ledger_id, request_id, command, signatures(&req.signatures)?))
}

/// `Contribute`.
pub async fn contribute(
    store: &dyn Store,
    ledger_id: LedgerId,
    req: &proto::ContributeRequest,
) -> Result<(SignedCommand, Scale), ServerError> {
    let request_id = request_id(&req.request_id)?;
    let unit = unit_code("unit", &req.unit)?;
    let scale = requested_unit(store, &unit).await?.scale;
    let command = Command::Contribute {
        business: handle("business", &req.business)?,
        unit,
        amount: positive_amount("amount", &req.amount, scale)?,
        memo: memo(&req.memo)?,
    };
    Ok((signed(ledger_id, request_id, command, signatures(&req.signatures)?), scale))
}

/// `Collect`: 1 to [`COLLECT_BUSINESSES_MAX`] businesses, ascending, each once.
pub async fn collect(
    store: &dyn Store,
    ledger_id: LedgerId,
    req: &proto::CollectRequest,
) -> Result<(SignedCommand, Scale), ServerError> {
    let request_id = request_id(&req.request_id)?;
    let unit = unit_code("unit", &req.unit)?;
    let scale = requested_unit(store, &unit).await?.scale;
    let period = period("period", &req.period)?;
    let businesses = req
        .businesses
        .iter()
        .enumerate()
        .map(|(index, text)| handle(&format!("businesses[{index}]"), text))
        .collect::<Result<Vec<_>, _>>()?;
    let ascending = businesses.windows(2).all(|pair| pair[0] < pair[1]);
    if businesses.is_empty() || businesses.len() > COLLECT_BUSINESSES_MAX || !ascending {
        return Err(Refusal::CollectBusinesses { max: COLLECT_BUSINESSES_MAX }.into());
    }
    let command = Command::Collect { unit, period, businesses };
    Ok((signed(ledger_id, request_id, command, signatures(&req.signatures)?), scale))
}

/// An agreement as the wire shows it; `seq` is the entry that set it, or 0 in reads.
pub fn agreement(record: &AgreementRecord, scale: Scale, seq: u64) -> proto::Agreement {
    let terms = &record.agreement;
    let percent = terms.levy().to_string();
    proto::Agreement {
        business: terms.business().to_string(),
        unit: record.unit.to_string(),
        levy_basis_points: terms.levy().points(),
        levy_percent: percent.trim_end_matches('%').to_owned(),
        recurring: terms.recurring().map(|amount| amount.format(scale)).unwrap_or_default(),
        effective_from: terms.effective_from().to_string(),
        seq,
    }
}

/// The levy a payment's (or accepted request's) entry posted to the fund of `unit`, formatted;
/// empty when it posted none.
pub fn levy_posted(entry: &Entry, unit: &UnitCode, scale: Scale) -> String {
    let fund = Handle::fund_of(unit);
    entry
        .postings
        .iter()
        .find(|posting| posting.account == fund && posting.delta > 0)
        .map(|posting| ledger_core::amount::format_minor(i128::from(posting.delta), scale))
        .unwrap_or_default()
}

/// A collect's report. A replayed collect has no report of its own: it is rebuilt from its
/// entry (a business that posted was collected by it) and the transfers now stored (one that did
/// not post but whose contribution exists was collected by another; the rest were not collected
/// by it, for reasons its first answer gave).
pub async fn collect_report(
    store: &dyn Store,
    entry: &Entry,
    command: &Command,
    lines: &[CollectLine],
    scale: Scale,
) -> Result<proto::CollectResponse, ServerError> {
    let Command::Collect { unit, period, businesses } = command else {
        unreachable!("collect_report is called with the collect it answers")
    };
    let mut rebuilt = Vec::new();
    let lines = if lines.is_empty() {
        for business in businesses {
            let posted = entry.postings.iter().find(|posting| posting.account == *business);
            let outcome = match posted {
                Some(posting) => {
                    CollectOutcome::Collected(ledger_core::amount::Amount::from_minor(-posting.delta).ok_or_else(
                        || super::corrupt(format!("entry {}: a collected amount out of range", entry.seq)),
                    )?)
                }
                None if store.transfer(collection_id(business, *period)).await?.is_some() => {
                    CollectOutcome::AlreadyCollected
                }
                None => CollectOutcome::NotCollectable {
                    reason: "NOT_COLLECTED",
                    message: "not collected by this collect (its first answer said why)".to_owned(),
                },
            };
            rebuilt.push(CollectLine { business: business.clone(), outcome });
        }
        &rebuilt[..]
    } else {
        lines
    };
    let mut total: i128 = 0;
    let lines = lines
        .iter()
        .map(|line| {
            let mut wire = proto::CollectLine { business: line.business.to_string(), ..Default::default() };
            match &line.outcome {
                CollectOutcome::Collected(amount) => {
                    total += i128::from(amount.minor());
                    wire.outcome = "collected".to_owned();
                    wire.amount = amount.format(scale);
                    wire.transfer = collection_id(&line.business, *period).to_string();
                }
                CollectOutcome::AlreadyCollected => wire.outcome = "already_collected".to_owned(),
                CollectOutcome::NotCollectable { reason, message } => {
                    wire.outcome = "not_collectable".to_owned();
                    wire.reason = (*reason).to_owned();
                    wire.message = message.clone();
                }
            }
            wire
        })
        .collect();
    Ok(proto::CollectResponse {
        seq: entry.seq,
        unit: unit.to_string(),
        period: period.to_string(),
        lines,
        total: ledger_core::amount::format_minor(total, scale),
    })
}
