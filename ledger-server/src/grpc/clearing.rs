//! The Clearing service: invoices (issue, accept, reject, import, read, list) and clearing runs
//! (dry runs, for now). An invoice is trade credit outside the balances, so nothing here moves a
//! balance.

use std::sync::Arc;

use ledger_core::clearing::run::{RunError, plan};
use ledger_core::command::{Command, SignedCommand};
use ledger_core::invoice::{Invoice, InvoiceStatus};
use ledger_core::names::RequestId;
use ledger_core::transfer::Answer;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use super::{Context, missing_after_commit, submit};
use crate::auth::authenticate_read;
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
}

/// How many invoices one store read returns while gathering a unit's open invoices for a run.
const RUN_LOAD_BATCH: u32 = 10_000;

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
    /// `RunClearing`, dry runs only: reads the unit's accepted invoices (page by page, so a run
    /// racing new acceptances may miss the newest; a dry run only informs), plans the run off the
    /// async threads, and reports it. Nothing is written.
    async fn run_clearing(
        &self,
        metadata: &MetadataMap,
        req: &proto::RunClearingRequest,
    ) -> Result<proto::ClearingReport, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::RUN_CLEARING).await?;
        reader.require_reads_all()?;
        let unit = convert::unit_name("unit", &req.unit)?;
        if !req.dry_run {
            return Err(ServerError::invalid(
                "DRY_RUN_ONLY",
                "applying a clearing run is not available yet; ask for a dry run",
            ));
        }
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
        let planned = tokio::task::spawn_blocking(move || plan(&invoices))
            .await
            .map_err(|error| ServerError::Unavailable(format!("the clearing run did not finish: {error}")))?;
        let planned = planned.map_err(|error| match error {
            RunError::Problem(problem) => ServerError::invalid("CLEARING_TOO_LARGE", problem.to_string()),
            RunError::Certificate(certificate) => {
                tracing::error!(%certificate, "the clearing solver's answer failed its certificate");
                ServerError::Unavailable("the clearing run failed its own check; nothing was done".into())
            }
        })?;
        Ok(convert_invoice::clearing_report(unit.as_str(), true, &planned, scale))
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
}
