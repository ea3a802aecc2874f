//! Proto ⇄ ledger-core conversion for invoices (the Clearing service), with the same rules as the
//! rest of [`crate::convert`]: every field validated with a precise `INVALID_ARGUMENT` reason,
//! amounts parsed and formatted at their unit's scale.

use ledger_core::amount::{Scale, format_minor};
use ledger_core::clearing::run::RunPlan;
use ledger_core::command::{Command, SignedCommand};
use ledger_core::date::Date;
use ledger_core::invoice::{IMPORT_ROWS_MAX, ImportedInvoice, Invoice, InvoiceStatus};
use ledger_core::names::{LedgerId, Reference, RequestId};
use ledger_core::refusal::Refusal;
use ledger_core::transfer::Answer;

use super::{
    Scales, bad_page_token, decode_token, encode_token, handle, invalid, page, positive_amount, request_id,
    requested_unit, required, signatures, signed, unit_code,
};
use crate::error::ServerError;
use crate::proto;
use crate::store::Store;

/// An invoice's resource name `invoices/{id}`, or the bare id.
pub fn invoice_name(field: &str, text: &str) -> Result<RequestId, ServerError> {
    let text = required(field, text)?;
    let id = text.strip_prefix("invoices/").unwrap_or(text);
    RequestId::parse(id).map_err(|error| invalid("INVALID_INVOICE_ID", field, error))
}

/// A due date `YYYY-MM-DD`; empty means none.
pub fn due(field: &str, text: &str) -> Result<Option<Date>, ServerError> {
    if text.is_empty() {
        return Ok(None);
    }
    Date::parse(text).map(Some).map_err(|error| invalid("INVALID_DATE", field, error))
}

/// An invoice's reference, possibly empty.
pub fn reference(field: &str, text: &str) -> Result<Reference, ServerError> {
    Reference::parse(text).map_err(|error| invalid("INVALID_REFERENCE", field, error))
}

/// An invoice status filter: empty means any.
pub fn status_filter(text: &str) -> Result<Option<InvoiceStatus>, ServerError> {
    if text.is_empty() {
        return Ok(None);
    }
    InvoiceStatus::parse(text).map(Some).ok_or_else(|| {
        invalid("INVALID_STATUS", "status", format!("{text:?} is not one of issued, accepted, rejected"))
    })
}

/// `IssueInvoice`.
pub async fn issue_invoice(
    store: &dyn Store,
    ledger_id: LedgerId,
    req: &proto::IssueInvoiceRequest,
) -> Result<SignedCommand, ServerError> {
    let request_id = request_id(&req.request_id)?;
    let creditor = handle("creditor", &req.creditor)?;
    let debtor = handle("debtor", &req.debtor)?;
    let unit = unit_code("unit", &req.unit)?;
    let due = due("due", &req.due)?;
    let reference = reference("reference", &req.reference)?;
    let signatures = signatures(&req.signatures)?;
    let scale = requested_unit(store, &unit).await?.scale;
    let amount = positive_amount("amount", &req.amount, scale)?;
    let command = Command::IssueInvoice { creditor, debtor, unit, amount, due, reference };
    Ok(signed(ledger_id, request_id, command, signatures))
}

/// `AcceptInvoice` or `RejectInvoice`.
pub async fn answer_invoice(
    store: &dyn Store,
    ledger_id: LedgerId,
    req: &proto::AnswerInvoiceRequest,
    answer: Answer,
) -> Result<SignedCommand, ServerError> {
    let request_id = request_id(&req.request_id)?;
    let invoice = invoice_name("invoice", &req.invoice)?;
    let debtor = handle("debtor", &req.debtor)?;
    let signatures = signatures(&req.signatures)?;
    let command = match answer {
        Answer::Reject => Command::RejectInvoice { invoice, debtor },
        Answer::Accept => {
            let creditor = handle("creditor", &req.creditor)?;
            let unit = unit_code("unit", &req.unit)?;
            let scale = requested_unit(store, &unit).await?.scale;
            let amount = positive_amount("amount", &req.amount, scale)?;
            Command::AcceptInvoice { invoice, debtor, creditor, unit, amount }
        }
    };
    Ok(signed(ledger_id, request_id, command, signatures))
}

/// `ImportInvoices`: each row's fields are named by their index in a refusal
/// (`invoices[3].amount`, counted from 0 as in the message).
pub async fn import_invoices(
    store: &dyn Store,
    ledger_id: LedgerId,
    req: &proto::ImportInvoicesRequest,
) -> Result<SignedCommand, ServerError> {
    let request_id = request_id(&req.request_id)?;
    let unit = unit_code("unit", &req.unit)?;
    let signatures = signatures(&req.signatures)?;
    let count = req.invoices.len();
    if count == 0 || count > IMPORT_ROWS_MAX {
        return Err(Refusal::ImportSize { count, max: IMPORT_ROWS_MAX }.into());
    }
    let scale = requested_unit(store, &unit).await?.scale;
    let invoices = req
        .invoices
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let field = |name: &str| format!("invoices[{index}].{name}");
            Ok(ImportedInvoice {
                id: invoice_name(&field("id"), &row.id)?,
                creditor: handle(&field("creditor"), &row.creditor)?,
                debtor: handle(&field("debtor"), &row.debtor)?,
                amount: positive_amount(&field("amount"), &row.amount, scale)?,
                due: due(&field("due"), &row.due)?,
                reference: reference(&field("reference"), &row.reference)?,
            })
        })
        .collect::<Result<Vec<_>, ServerError>>()?;
    Ok(signed(ledger_id, request_id, Command::ImportInvoices { unit, invoices }, signatures))
}

/// An invoice and where it stands, with the entry of this answer (`seq`, `timestamp_ms`; zeros
/// when read back).
pub fn invoice(invoice: &Invoice, scale: Scale, entry: (u64, i64)) -> proto::Invoice {
    proto::Invoice {
        name: format!("invoices/{}", invoice.id),
        id: invoice.id.to_string(),
        status: invoice.status.as_str().to_owned(),
        creditor: invoice.creditor.to_string(),
        debtor: invoice.debtor.to_string(),
        unit: invoice.unit.to_string(),
        amount: invoice.amount.format(scale),
        remaining: invoice.remaining.format(scale),
        due: invoice.due.map(|due| due.to_string()).unwrap_or_default(),
        reference: invoice.reference.as_str().to_owned(),
        created_ms: invoice.created_ms,
        seq: entry.0,
        timestamp_ms: entry.1,
    }
}

/// A page of invoices, read with [`super::fetch_limit`].
pub fn invoices_page(
    invoices: Vec<Invoice>,
    size: u32,
    scales: &Scales,
) -> Result<proto::ListInvoicesResponse, ServerError> {
    let (invoices, more) = page(invoices, size);
    let next_page_token = match (more, invoices.last()) {
        (true, Some(last)) => encode_token(&format!("invoices/{}", last.id)),
        _ => String::new(),
    };
    let invoices = invoices
        .iter()
        .map(|record| Ok(invoice(record, scales.of(&record.unit)?, (0, 0))))
        .collect::<Result<_, ServerError>>()?;
    Ok(proto::ListInvoicesResponse { invoices, next_page_token })
}

/// A clearing run's plan as reported, amounts at the unit's `scale`.
pub fn clearing_report(
    unit: &str,
    (dry_run, with_credit): (bool, bool),
    plan: &RunPlan,
    scale: Scale,
) -> proto::ClearingReport {
    let amount = |minor: i128| format_minor(minor, scale);
    proto::ClearingReport {
        unit: unit.to_owned(),
        dry_run,
        invoices: plan.invoices as u64,
        debt_before: amount(plan.debt_before),
        set_off: amount(plan.set_off),
        debt_after: amount(plan.debt_after),
        share_basis_points: i64::try_from(plan.share_basis_points()).expect("at most 10000"),
        participants: plan
            .participants
            .iter()
            .map(|p| proto::ClearingParticipant {
                account: p.handle.to_string(),
                owes_before: amount(p.owes_before),
                owes_after: amount(p.owes_after),
                owed_before: amount(p.owed_before),
                owed_after: amount(p.owed_after),
                balance_before: String::new(),
                balance_after: String::new(),
            })
            .collect(),
        touched: plan
            .touched
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
        with_credit,
        credit: plan
            .credit
            .iter()
            .map(|c| proto::ClearingCreditLine { account: c.account.to_string(), delta: amount(i128::from(c.delta)) })
            .collect(),
        credit_moved: amount(plan.credit.iter().filter(|c| c.delta > 0).map(|c| i128::from(c.delta)).sum()),
    }
}

/// Where a page of invoices starts: after this id.
pub fn invoices_page_start(token: &str) -> Result<Option<RequestId>, ServerError> {
    decode_token(token, "invoices/")?.map(|id| RequestId::parse(&id).map_err(|_| bad_page_token())).transpose()
}
