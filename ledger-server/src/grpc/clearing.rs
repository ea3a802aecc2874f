//! The Clearing service: invoices (issue, accept, reject, import, read, list) and clearing runs
//! (planned, applied, read back). An invoice is trade credit outside the balances; only an
//! applied run with credit moves balances, within every account's limits.

use std::sync::Arc;

use std::collections::HashMap;

use ledger_core::amount::AMOUNT_TEXT_LEN_MAX;
use ledger_core::clearing::run::{RunError, plan, plan_with_credit};
use ledger_core::clearing::settlement::SET_OFFS_MAX;
use ledger_core::command::{Command, SignedCommand};
use ledger_core::invoice::{Invoice, InvoiceStatus};
use ledger_core::journal::POSTINGS_MAX;
use ledger_core::names::{Handle, RequestId};
use ledger_core::transfer::Answer;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use super::{Context, missing_after_commit, submit};
use crate::auth::authenticate_read;
use crate::convert::clearing_run::{self as convert_run, run_name};
use crate::convert::invoice::{self as convert_invoice, invoice_name, invoices_page, invoices_page_start};
use crate::convert::{self, Scales};
use crate::error::ServerError;
use crate::proto;
use crate::store::InvoiceFilter;

/// Full gRPC paths of the reads, as signed in read metadata.
mod method {
    pub const GET_INVOICE: &str = "/ledger.v1.Clearing/GetInvoice";
    pub const LIST_INVOICES: &str = "/ledger.v1.Clearing/ListInvoices";
    pub const RUN_CLEARING: &str = "/ledger.v1.Clearing/RunClearing";
    pub const GET_CLEARING_RUN: &str = "/ledger.v1.Clearing/GetClearingRun";
}

/// How many invoices one store read returns while gathering a unit's open invoices for a run.
const RUN_LOAD_BATCH: u32 = 10_000;

/// The most bytes of one set-off line of an `ApplyClearingRun` request: the line's tag and
/// length (3), an invoice name (`invoices/` and a UUID: 2 + 45) and an amount text (2 + its bound).
const SET_OFF_LINE_BYTES_MAX: usize = 3 + 2 + 45 + 2 + AMOUNT_TEXT_LEN_MAX;
/// The most bytes of one credit line: tag and length (3), a handle and a signed amount text.
const CREDIT_LINE_BYTES_MAX: usize = 3 + 2 + Handle::LEN_MAX + 2 + 1 + AMOUNT_TEXT_LEN_MAX;
/// Room for the rest of a request: request id, unit and up to `SIGNATURES_MAX` signatures.
const REQUEST_FIELDS_BYTES_MAX: usize = 16 * 1024;

/// The largest request the Clearing service decodes: an `ApplyClearingRun` of
/// [`SET_OFFS_MAX`] set-offs and [`POSTINGS_MAX`] credit lines, each as long as the wire allows
/// (about 21 MB). Smaller than this, a run the core accepts could not be sent at all; the
/// request's lines are counted again before any is parsed.
pub const REQUEST_BYTES_MAX: usize =
    SET_OFFS_MAX * SET_OFF_LINE_BYTES_MAX + POSTINGS_MAX * CREDIT_LINE_BYTES_MAX + REQUEST_FIELDS_BYTES_MAX;

/// The Clearing service.
pub struct ClearingService {
    ctx: Arc<Context>,
}

impl ClearingService {
    /// A service over `ctx`.
    pub fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    /// Submits a command that creates or changes one invoice, and answers with that invoice as it
    /// stands after the commit.
    async fn submit_invoice(&self, signed: SignedCommand, id: RequestId) -> Result<proto::Invoice, ServerError> {
        let committed = submit(&self.ctx, signed).await?;
        let store = self.ctx.store.as_ref();
        let record = store.invoice(id).await?.ok_or_else(|| missing_after_commit(format!("invoice {id}")))?;
        let scale = convert::stored_scale(store, &record.unit).await?;
        Ok(convert_invoice::invoice(&record, scale, (committed.entry.seq, committed.entry.timestamp_ms)))
    }

    async fn issue_invoice(&self, req: &proto::IssueInvoiceRequest) -> Result<proto::Invoice, ServerError> {
        let signed = convert_invoice::issue_invoice(self.ctx.store.as_ref(), self.ctx.ledger_id, req).await?;
        let id = signed.request_id;
        self.submit_invoice(signed, id).await
    }

    async fn answer_invoice(
        &self,
        req: &proto::AnswerInvoiceRequest,
        answer: Answer,
    ) -> Result<proto::Invoice, ServerError> {
        let signed = convert_invoice::answer_invoice(self.ctx.store.as_ref(), self.ctx.ledger_id, req, answer).await?;
        let invoice = match &signed.command {
            Command::AcceptInvoice { invoice, .. } | Command::RejectInvoice { invoice, .. } => *invoice,
            _ => unreachable!("convert::invoice::answer_invoice builds an answer"),
        };
        self.submit_invoice(signed, invoice).await
    }

    async fn import_invoices(
        &self,
        req: &proto::ImportInvoicesRequest,
    ) -> Result<proto::ImportInvoicesResponse, ServerError> {
        let signed = convert_invoice::import_invoices(self.ctx.store.as_ref(), self.ctx.ledger_id, req).await?;
        let ids = match &signed.command {
            Command::ImportInvoices { invoices, .. } => invoices.iter().map(|row| row.id.to_string()).collect(),
            _ => unreachable!("convert::invoice::import_invoices builds an import"),
        };
        let committed = submit(&self.ctx, signed).await?;
        Ok(proto::ImportInvoicesResponse {
            ids,
            seq: committed.entry.seq,
            timestamp_ms: committed.entry.timestamp_ms,
            replayed: committed.replayed,
        })
    }

    async fn get_invoice(
        &self,
        metadata: &MetadataMap,
        req: &proto::GetInvoiceRequest,
    ) -> Result<proto::Invoice, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::GET_INVOICE).await?;
        let id = invoice_name("name", &req.name)?;
        let store = self.ctx.store.as_ref();
        let not_found = || ServerError::not_found("INVOICE_NOT_FOUND", format!("invoice {id} does not exist"));
        let record: Invoice = store.invoice(id).await?.ok_or_else(not_found)?;
        if reader.may_read_account(&record.creditor).is_err() {
            reader.may_read_account(&record.debtor)?;
        }
        let scale = convert::stored_scale(store, &record.unit).await?;
        Ok(convert_invoice::invoice(&record, scale, (0, 0)))
    }

    /// `ListInvoices`: a member's list is always narrowed to the invoices where it is a party.
    async fn list_invoices(
        &self,
        metadata: &MetadataMap,
        req: &proto::ListInvoicesRequest,
    ) -> Result<proto::ListInvoicesResponse, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::LIST_INVOICES).await?;
        let party = match req.party.as_str() {
            "" if reader.reads_all() => None,
            "" => Some(reader.handle.clone()),
            text => {
                let party = convert::account_name("party", text)?;
                reader.may_read_account(&party)?;
                Some(party)
            }
        };
        let unit = match req.unit.as_str() {
            "" => None,
            text => Some(convert::unit_name("unit", text)?),
        };
        let filter = InvoiceFilter { unit, status: convert_invoice::status_filter(&req.status)?, party };
        let size = convert::page_size(req.page_size, &self.ctx.limits)?;
        let after = invoices_page_start(&req.page_token)?;
        let store = self.ctx.store.as_ref();
        let invoices = store.invoices(&filter, after, convert::fetch_limit(size)).await?;
        let scales = Scales::load(store).await?;
        invoices_page(invoices, size, &scales)
    }
}

impl ClearingService {
    /// `RunClearing`: reads the unit's accepted invoices (page by page, so a plan racing new
    /// acceptances may miss the newest: applying it checks every line again) and, with credit,
    /// the unit's accounts; plans the run off the async threads, and reports it with the lines a
    /// treasurer signs to apply it. Nothing is written.
    async fn run_clearing(
        &self,
        metadata: &MetadataMap,
        req: &proto::RunClearingRequest,
    ) -> Result<proto::ClearingReport, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::RUN_CLEARING).await?;
        reader.require_reads_all()?;
        let unit = convert::unit_name("unit", &req.unit)?;
        let store = self.ctx.store.as_ref();
        let scale = convert::requested_unit(store, &unit).await?.scale;
        let filter = InvoiceFilter { unit: Some(unit.clone()), status: Some(InvoiceStatus::Accepted), party: None };
        let mut invoices = Vec::new();
        let mut after = None;
        loop {
            let page = store.invoices(&filter, after, RUN_LOAD_BATCH).await?;
            let complete = page.len() < RUN_LOAD_BATCH as usize;
            after = page.last().map(|invoice| invoice.id);
            invoices.extend(page);
            if complete {
                break;
            }
        }
        let accounts = if req.with_credit {
            let (_, accounts) = store.balances(Some(&unit)).await?;
            Some(accounts.into_iter().map(|account| (account.handle.clone(), account)).collect::<HashMap<_, _>>())
        } else {
            None
        };
        let planned = tokio::task::spawn_blocking(move || match accounts {
            Some(accounts) => plan_with_credit(&invoices, &accounts),
            None => plan(&invoices),
        })
        .await
        .map_err(|error| ServerError::Unavailable(format!("the clearing run did not finish: {error}")))?;
        let planned = planned.map_err(|error| match error {
            RunError::Problem(problem) => ServerError::invalid("CLEARING_TOO_LARGE", problem.to_string()),
            RunError::Certificate(certificate) => {
                tracing::error!(%certificate, "the clearing solver's answer failed its certificate");
                ServerError::Unavailable("the clearing run failed its own check; nothing was done".into())
            }
        })?;
        // A plan too large for one entry is refused rather than cut: a part of a run would
        // change net positions.
        if planned.touched.len() > SET_OFFS_MAX || planned.credit.len() > POSTINGS_MAX {
            return Err(ServerError::invalid(
                "CLEARING_TOO_LARGE",
                format!(
                    "the run sets off {} invoices with {} credit postings; one run holds at most {SET_OFFS_MAX} and \
                     {POSTINGS_MAX}",
                    planned.touched.len(),
                    planned.credit.len()
                ),
            ));
        }
        Ok(convert_invoice::clearing_report(unit.as_str(), (req.dry_run, req.with_credit), &planned, scale))
    }

    /// `ApplyClearingRun`: the signed run through the writer, then the run as stored.
    async fn apply_clearing_run(
        &self,
        req: &proto::ApplyClearingRunRequest,
    ) -> Result<proto::ClearingRun, ServerError> {
        let store = self.ctx.store.as_ref();
        let signed = convert_run::apply_clearing_run(store, self.ctx.ledger_id, req).await?;
        let id = signed.request_id;
        let committed = submit(&self.ctx, signed).await?;
        let stored = store.clearing_run(id).await?.ok_or_else(|| missing_after_commit(format!("clearing run {id}")))?;
        let scale = convert::stored_scale(store, &stored.run.unit).await?;
        Ok(convert_run::clearing_run(&stored, scale, committed.replayed))
    }

    /// `GetClearingRun`: readers of every account, and the accounts the run touched.
    async fn get_clearing_run(
        &self,
        metadata: &MetadataMap,
        req: &proto::GetClearingRunRequest,
    ) -> Result<proto::ClearingRun, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::GET_CLEARING_RUN).await?;
        let id = run_name("name", &req.name)?;
        let store = self.ctx.store.as_ref();
        let not_found =
            || ServerError::not_found("CLEARING_RUN_NOT_FOUND", format!("clearing run {id} does not exist"));
        let stored = store.clearing_run(id).await?.ok_or_else(not_found)?;
        let run = &stored.run;
        let party = run
            .set_offs
            .iter()
            .flat_map(|line| [&line.debtor, &line.creditor])
            .chain(run.credit.iter().map(|line| &line.account))
            .any(|handle| *handle == reader.handle);
        if !party {
            reader.require_reads_all()?;
        }
        let scale = convert::stored_scale(store, &run.unit).await?;
        Ok(convert_run::clearing_run(&stored, scale, false))
    }
}

#[tonic::async_trait]
impl proto::clearing_server::Clearing for ClearingService {
    async fn issue_invoice(
        &self,
        request: Request<proto::IssueInvoiceRequest>,
    ) -> Result<Response<proto::Invoice>, Status> {
        Ok(Response::new(self.issue_invoice(request.get_ref()).await?))
    }

    async fn accept_invoice(
        &self,
        request: Request<proto::AnswerInvoiceRequest>,
    ) -> Result<Response<proto::Invoice>, Status> {
        Ok(Response::new(self.answer_invoice(request.get_ref(), Answer::Accept).await?))
    }

    async fn reject_invoice(
        &self,
        request: Request<proto::AnswerInvoiceRequest>,
    ) -> Result<Response<proto::Invoice>, Status> {
        Ok(Response::new(self.answer_invoice(request.get_ref(), Answer::Reject).await?))
    }

    async fn get_invoice(
        &self,
        request: Request<proto::GetInvoiceRequest>,
    ) -> Result<Response<proto::Invoice>, Status> {
        Ok(Response::new(self.get_invoice(request.metadata(), request.get_ref()).await?))
    }

    async fn list_invoices(
        &self,
        request: Request<proto::ListInvoicesRequest>,
    ) -> Result<Response<proto::ListInvoicesResponse>, Status> {
        Ok(Response::new(self.list_invoices(request.metadata(), request.get_ref()).await?))
    }

    async fn import_invoices(
        &self,
        request: Request<proto::ImportInvoicesRequest>,
    ) -> Result<Response<proto::ImportInvoicesResponse>, Status> {
        Ok(Response::new(self.import_invoices(request.get_ref()).await?))
    }

    async fn run_clearing(
        &self,
        request: Request<proto::RunClearingRequest>,
    ) -> Result<Response<proto::ClearingReport>, Status> {
        Ok(Response::new(self.run_clearing(request.metadata(), request.get_ref()).await?))
    }

    async fn apply_clearing_run(
        &self,
        request: Request<proto::ApplyClearingRunRequest>,
    ) -> Result<Response<proto::ClearingRun>, Status> {
        Ok(Response::new(self.apply_clearing_run(request.get_ref()).await?))
    }

    async fn get_clearing_run(
        &self,
        request: Request<proto::GetClearingRunRequest>,
    ) -> Result<Response<proto::ClearingRun>, Status> {
        Ok(Response::new(self.get_clearing_run(request.metadata(), request.get_ref()).await?))
    }
}
