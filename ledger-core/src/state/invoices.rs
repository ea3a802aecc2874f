//! Applying the invoice commands. An invoice moves no balance, so none of these makes postings:
//! they check the parties and write the invoice, or refuse and change nothing.

use super::{Applied, State, check_parties};
use crate::amount::Amount;
use crate::date::Date;
use crate::invoice::{IMPORT_ROWS_MAX, ImportedInvoice, Invoice, InvoiceStatus};
use crate::names::{Handle, Reference, RequestId, UnitCode};
use crate::refusal::Refusal;

impl State {
    /// `IssueInvoice`, its signer already checked to be the creditor.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn issue_invoice(
        &mut self,
        id: RequestId,
        creditor: &Handle,
        debtor: &Handle,
        unit: &UnitCode,
        amount: Amount,
        due: Option<Date>,
        reference: &Reference,
        timestamp_ms: i64,
    ) -> Result<Applied, Refusal> {
        if self.invoices.contains_key(&id) {
            return Err(Refusal::InvoiceExists(id));
        }
        self.check_invoice_parties(creditor, debtor, unit, amount)?;
        self.insert_invoice(Invoice {
            id,
            creditor: creditor.clone(),
            debtor: debtor.clone(),
            unit: unit.clone(),
            amount,
            remaining: amount,
            due,
            reference: reference.clone(),
            status: InvoiceStatus::Issued,
            created_ms: timestamp_ms,
        });
        Ok(Applied::default())
    }

    /// `AcceptInvoice`, its signer already checked to be the invoice's debtor. The parties must
    /// still be active: an account frozen since the invoice was issued takes on no new debt.
    pub(super) fn accept_invoice(
        &mut self,
        issued: Invoice,
        debtor: &Handle,
        creditor: &Handle,
        unit: &UnitCode,
        amount: Amount,
    ) -> Result<Applied, Refusal> {
        let same =
            issued.debtor == *debtor && issued.creditor == *creditor && issued.unit == *unit && issued.amount == amount;
        if !same {
            return Err(Refusal::InvoiceMismatch(issued.id));
        }
        self.check_invoice_parties(creditor, debtor, unit, amount)?;
        self.insert_invoice(Invoice { status: InvoiceStatus::Accepted, ..issued });
        Ok(Applied::default())
    }

    /// `RejectInvoice`, its signer already checked to be the invoice's debtor.
    pub(super) fn reject_invoice(&mut self, issued: Invoice, debtor: &Handle) -> Result<Applied, Refusal> {
        if issued.debtor != *debtor {
            return Err(Refusal::InvoiceMismatch(issued.id));
        }
        self.insert_invoice(Invoice { status: InvoiceStatus::Rejected, ..issued });
        Ok(Applied::default())
    }

    /// `ImportInvoices`, its signer already checked to be a treasurer: every row is checked
    /// before any is written, so a refused row leaves the state as it was.
    pub(super) fn import_invoices(
        &mut self,
        unit: &UnitCode,
        rows: &[ImportedInvoice],
        timestamp_ms: i64,
    ) -> Result<Applied, Refusal> {
        if rows.is_empty() || rows.len() > IMPORT_ROWS_MAX {
            return Err(Refusal::ImportSize { count: rows.len(), max: IMPORT_ROWS_MAX });
        }
        self.unit(unit)?;
        let mut seen = std::collections::HashSet::with_capacity(rows.len());
        for (index, row) in rows.iter().enumerate() {
            let at_row = |refusal| Refusal::InvoiceImportRow { row: index + 1, id: row.id, refusal: Box::new(refusal) };
            if self.invoices.contains_key(&row.id) || !seen.insert(row.id) {
                return Err(at_row(Refusal::InvoiceExists(row.id)));
            }
            self.check_invoice_parties(&row.creditor, &row.debtor, unit, row.amount).map_err(at_row)?;
        }
        for row in rows {
            self.insert_invoice(Invoice {
                id: row.id,
                creditor: row.creditor.clone(),
                debtor: row.debtor.clone(),
                unit: unit.clone(),
                amount: row.amount,
                remaining: row.amount,
                due: row.due,
                reference: row.reference.clone(),
                status: InvoiceStatus::Accepted,
                created_ms: timestamp_ms,
            });
        }
        Ok(Applied::default())
    }

    /// An invoice still awaiting its debtor.
    pub(super) fn issued_invoice(&self, id: RequestId) -> Result<Invoice, Refusal> {
        let invoice = self.invoices.get(&id).ok_or(Refusal::UnknownInvoice(id))?;
        if invoice.status != InvoiceStatus::Issued {
            return Err(Refusal::InvoiceNotIssued { id, status: invoice.status.as_str() });
        }
        Ok(invoice.clone())
    }

    /// Both accounts exist, hold `unit`, are members or businesses and are active; they differ;
    /// the amount is positive.
    fn check_invoice_parties(
        &self,
        creditor: &Handle,
        debtor: &Handle,
        unit: &UnitCode,
        amount: Amount,
    ) -> Result<(), Refusal> {
        let accounts = self.two_accounts(creditor, debtor, unit)?;
        if amount.is_zero() {
            return Err(Refusal::ZeroInvoice);
        }
        if creditor == debtor {
            return Err(Refusal::SelfInvoice);
        }
        check_parties(accounts, unit)
    }

    pub(super) fn insert_invoice(&mut self, invoice: Invoice) {
        self.changes.invoices.insert(invoice.id);
        self.invoices.insert(invoice.id, invoice);
    }
}
