//! How clearing runs print: a planned run (`ReportView`, from `RunClearing`) and an applied one
//! (`RunView`, from `ApplyClearingRun` and `GetClearingRun`). JSON field names are stable;
//! amounts are decimal strings at the unit's scale.

use serde::Serialize;

use crate::output::Render;
use crate::proto;
use crate::table::{self, Align, Table};

/// One participant as printed.
#[derive(Debug, Serialize)]
pub struct ParticipantView {
    account: String,
    owes_before: String,
    owes_after: String,
    owed_before: String,
    owed_after: String,
    /// Empty unless the run moves its balance (credit).
    balance_before: String,
    balance_after: String,
}

impl From<proto::ClearingParticipant> for ParticipantView {
    fn from(p: proto::ClearingParticipant) -> Self {
        Self {
            account: p.account,
            owes_before: p.owes_before,
            owes_after: p.owes_after,
            owed_before: p.owed_before,
            owed_after: p.owed_after,
            balance_before: p.balance_before,
            balance_after: p.balance_after,
        }
    }
}

/// One invoice set off, as printed.
#[derive(Debug, Serialize)]
pub struct SetOffView {
    pub invoice: String,
    debtor: String,
    creditor: String,
    remaining_before: String,
    pub set_off: String,
    remaining_after: String,
}

impl From<proto::InvoiceSetOff> for SetOffView {
    fn from(s: proto::InvoiceSetOff) -> Self {
        Self {
            invoice: s.invoice.strip_prefix("invoices/").map(str::to_owned).unwrap_or(s.invoice),
            debtor: s.debtor,
            creditor: s.creditor,
            remaining_before: s.remaining_before,
            set_off: s.set_off,
            remaining_after: s.remaining_after,
        }
    }
}

/// One credit posting as printed: `delta` is signed (received less paid).
#[derive(Debug, Serialize)]
pub struct CreditView {
    account: String,
    delta: String,
    /// Empty in a plan.
    balance_before: String,
    balance_after: String,
}

/// The plan as printed.
#[derive(Debug, Serialize)]
pub struct ReportView {
    unit: String,
    dry_run: bool,
    with_credit: bool,
    /// Open invoices that took part.
    invoices: u64,
    debt_before: String,
    set_off: String,
    debt_after: String,
    /// The share of the debt set off, in percent with two decimals, rounded down.
    share_percent: String,
    credit_moved: String,
    participants: Vec<ParticipantView>,
    touched: Vec<SetOffView>,
    credit: Vec<CreditView>,
}

fn percent(basis_points: i64) -> String {
    format!("{}.{:02}", basis_points / 100, basis_points % 100)
}

impl From<proto::ClearingReport> for ReportView {
    fn from(report: proto::ClearingReport) -> Self {
        Self {
            unit: report.unit,
            dry_run: report.dry_run,
            with_credit: report.with_credit,
            invoices: report.invoices,
            debt_before: report.debt_before,
            set_off: report.set_off,
            debt_after: report.debt_after,
            share_percent: percent(report.share_basis_points),
            credit_moved: report.credit_moved,
            participants: report.participants.into_iter().map(ParticipantView::from).collect(),
            touched: report.touched.into_iter().map(SetOffView::from).collect(),
            credit: report
                .credit
                .into_iter()
                .map(|c| CreditView {
                    account: c.account,
                    delta: c.delta,
                    balance_before: String::new(),
                    balance_after: String::new(),
                })
                .collect(),
        }
    }
}

impl Render for ReportView {
    fn table(&self) -> String {
        let summary = table::fields(&[
            ("unit", self.unit.clone()),
            ("dry run", self.dry_run.to_string()),
            ("with credit", self.with_credit.to_string()),
            ("invoices", self.invoices.to_string()),
            ("debt before", self.debt_before.clone()),
            ("cleared", format!("{} ({}%)", self.set_off, self.share_percent)),
            ("debt after", self.debt_after.clone()),
            ("through credit", self.credit_moved.clone()),
            ("invoices touched", self.touched.len().to_string()),
        ]);
        sections(summary, &self.participants, &self.touched, &self.credit)
    }
}

/// An applied run as printed.
#[derive(Debug, Serialize)]
pub struct RunView {
    run_id: String,
    unit: String,
    seq: u64,
    timestamp_ms: i64,
    signer: String,
    /// Whether this run had been applied before under this id and this is its first result.
    replayed: bool,
    /// Over the invoices the run touched.
    debt_before: String,
    set_off: String,
    debt_after: String,
    share_percent: String,
    credit_moved: String,
    participants: Vec<ParticipantView>,
    touched: Vec<SetOffView>,
    credit: Vec<CreditView>,
}

impl From<proto::ClearingRun> for RunView {
    fn from(run: proto::ClearingRun) -> Self {
        Self {
            run_id: run.id,
            unit: run.unit,
            seq: run.seq,
            timestamp_ms: run.timestamp_ms,
            signer: run.signer,
            replayed: run.replayed,
            debt_before: run.debt_before,
            set_off: run.set_off,
            debt_after: run.debt_after,
            share_percent: percent(run.share_basis_points),
            credit_moved: run.credit_moved,
            participants: run.participants.into_iter().map(ParticipantView::from).collect(),
            touched: run.touched.into_iter().map(SetOffView::from).collect(),
            credit: run
                .credit
                .into_iter()
                .map(|c| CreditView {
                    account: c.account,
                    delta: c.delta,
                    balance_before: c.balance_before,
                    balance_after: c.balance_after,
                })
                .collect(),
        }
    }
}

impl Render for RunView {
    fn table(&self) -> String {
        let summary = table::fields(&[
            ("run", self.run_id.clone()),
            ("unit", self.unit.clone()),
            ("entry", self.seq.to_string()),
            ("signed by", self.signer.clone()),
            ("replayed", self.replayed.to_string()),
            ("debt before", self.debt_before.clone()),
            ("cleared", format!("{} ({}%)", self.set_off, self.share_percent)),
            ("debt after", self.debt_after.clone()),
            ("through credit", self.credit_moved.clone()),
            ("invoices touched", self.touched.len().to_string()),
        ]);
        sections(summary, &self.participants, &self.touched, &self.credit)
    }
}

fn sections(
    summary: String,
    participants: &[ParticipantView],
    touched: &[SetOffView],
    credit: &[CreditView],
) -> String {
    let mut people = Table::new(&[
        ("ACCOUNT", Align::Left),
        ("OWES BEFORE", Align::Right),
        ("OWES AFTER", Align::Right),
        ("OWED BEFORE", Align::Right),
        ("OWED AFTER", Align::Right),
        ("BALANCE BEFORE", Align::Right),
        ("BALANCE AFTER", Align::Right),
    ]);
    for p in participants {
        people.row(vec![
            p.account.clone(),
            p.owes_before.clone(),
            p.owes_after.clone(),
            p.owed_before.clone(),
            p.owed_after.clone(),
            p.balance_before.clone(),
            p.balance_after.clone(),
        ]);
    }
    let mut invoices = Table::new(&[
        ("INVOICE", Align::Left),
        ("DEBTOR", Align::Left),
        ("CREDITOR", Align::Left),
        ("BEFORE", Align::Right),
        ("SET OFF", Align::Right),
        ("AFTER", Align::Right),
    ]);
    for s in touched {
        invoices.row(vec![
            s.invoice.clone(),
            s.debtor.clone(),
            s.creditor.clone(),
            s.remaining_before.clone(),
            s.set_off.clone(),
            s.remaining_after.clone(),
        ]);
    }
    let mut out = format!("{summary}\n\n{}\n\n{}", people.render(), invoices.render());
    if !credit.is_empty() {
        let mut postings = Table::new(&[("ACCOUNT", Align::Left), ("CHANGE", Align::Right)]);
        for c in credit {
            postings.row(vec![c.account.clone(), c.delta.clone()]);
        }
        out.push_str(&format!("\n\n{}", postings.render()));
    }
    out
}
