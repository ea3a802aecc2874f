//! The Transfers service: payments (one, or many at once, atomically or not), payment requests
//! (ask, accept, reject, list), reversals, and bulk imports ([`super::import`]).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use ledger_core::amount::Scale;
use ledger_core::command::{Command, SignedCommand};
use ledger_core::names::RequestId;
use ledger_core::refusal::Refusal;
use ledger_core::transfer::Answer;
use tokio::sync::watch;
use tonic::metadata::MetadataMap;
use tonic::{Code, Request, Response, Status};

use super::feed::{self, Feed};
use super::{Context, missing_after_commit, submit};
use crate::auth::authenticate_read;
use crate::convert::{self, Scales};
use crate::error::{REASON_HEADER, ServerError};
use crate::proto;
use crate::writer::{Committed, VerifiedCommand};

/// Full gRPC paths of the reads, as signed in read metadata.
mod method {
    pub const GET_TRANSFER: &str = "/ledger.v1.Transfers/GetTransfer";
    pub const LIST_PAYMENT_REQUESTS: &str = "/ledger.v1.Transfers/ListPaymentRequests";
    pub const WATCH_ENTRIES: &str = "/ledger.v1.Transfers/WatchEntries";
}

/// The Transfers service.
pub struct TransfersService {
    ctx: Arc<Context>,
    /// Becomes true when the server starts shutting down; live feeds end then.
    stopping: watch::Receiver<bool>,
}

impl TransfersService {
    /// A service over `ctx`; its live feeds end when `stopping` becomes true.
    pub fn new(ctx: Arc<Context>, stopping: watch::Receiver<bool>) -> Self {
        Self { ctx, stopping }
    }

    async fn create_payment(&self, req: &proto::CreatePaymentRequest) -> Result<proto::Transfer, ServerError> {
        let (signed, scale) = convert::payment(self.ctx.store.as_ref(), self.ctx.ledger_id, req).await?;
        let committed = submit(&self.ctx, signed).await?;
        payment_answer(&committed, scale)
    }

    /// Submits a command that creates or changes one transfer, and answers with that transfer as
    /// it stands after the commit.
    async fn submit_transfer(
        &self,
        signed: SignedCommand,
        transfer: RequestId,
    ) -> Result<proto::Transfer, ServerError> {
        let committed = submit(&self.ctx, signed).await?;
        let store = self.ctx.store.as_ref();
        let record =
            store.transfer(transfer).await?.ok_or_else(|| missing_after_commit(format!("transfer {transfer}")))?;
        let scale = convert::stored_scale(store, &record.unit).await?;
        let entry = (committed.entry.seq, committed.entry.timestamp_ms);
        let mut reply = convert::transfer_record(&record, scale, entry, &committed.warnings, now_ms());
        reply.levy = convert::agreement::levy_posted(&committed.entry, &record.unit, scale);
        Ok(reply)
    }

    async fn request_payment(&self, req: &proto::RequestPaymentRequest) -> Result<proto::Transfer, ServerError> {
        let (signed, _) = convert::request_payment(self.ctx.store.as_ref(), self.ctx.ledger_id, req).await?;
        let id = signed.request_id;
        self.submit_transfer(signed, id).await
    }

    async fn answer_request(
        &self,
        req: &proto::AnswerRequestRequest,
        answer: Answer,
    ) -> Result<proto::Transfer, ServerError> {
        let signed = convert::answer_request(self.ctx.store.as_ref(), self.ctx.ledger_id, req, answer).await?;
        let request = match &signed.command {
            Command::AcceptRequest { request, .. } | Command::RejectRequest { request, .. } => *request,
            _ => unreachable!("convert::answer_request builds an answer"),
        };
        self.submit_transfer(signed, request).await
    }

    async fn reverse_transfer(&self, req: &proto::ReverseTransferRequest) -> Result<proto::Transfer, ServerError> {
        let signed = convert::reverse(self.ctx.store.as_ref(), self.ctx.ledger_id, req).await?;
        let id = signed.request_id;
        self.submit_transfer(signed, id).await
    }

    async fn list_payment_requests(
        &self,
        metadata: &MetadataMap,
        req: &proto::ListPaymentRequestsRequest,
    ) -> Result<proto::ListPaymentRequestsResponse, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::LIST_PAYMENT_REQUESTS).await?;
        let handle = convert::account_name("parent", &req.parent)?;
        reader.may_read_account(&handle)?;
        let size = convert::page_size(req.page_size, &self.ctx.limits)?;
        let after = convert::requests_page_start(&req.page_token, &handle)?;
        let store = self.ctx.store.as_ref();
        if store.account(&handle).await?.is_none() {
            return Err(Refusal::UnknownAccount(handle).into());
        }
        let requests = store.pending_requests(&handle, after, convert::fetch_limit(size)).await?;
        let scales = Scales::load(store).await?;
        convert::requests_page(requests, size, &handle, &scales, now_ms())
    }

    /// `CreateTransfers`. Each payment is parsed and its signatures verified here; with `atomic`
    /// any failure fails the call and nothing commits.
    async fn create_transfers(
        &self,
        req: &proto::CreateTransfersRequest,
    ) -> Result<proto::CreateTransfersResponse, Status> {
        let count = req.payments.len();
        if count == 0 || count > TRANSFERS_PER_CALL_MAX {
            let message = format!("a call carries 1 to {TRANSFERS_PER_CALL_MAX} payments, not {count}");
            return Err(ServerError::invalid("INVALID_BATCH_SIZE", message).into());
        }
        let store = self.ctx.store.as_ref();
        let mut converted: Vec<Result<Scale, ServerError>> = Vec::with_capacity(count);
        let mut signed = Vec::with_capacity(count);
        for payment in &req.payments {
            converted.push(convert::payment(store, self.ctx.ledger_id, payment).await.map(|(command, scale)| {
                signed.push(command);
                scale
            }));
        }
        let mut verified = self.ctx.verifier.verify_all(signed).await?.into_iter();
        let prepared: Vec<Result<(VerifiedCommand, Scale), ServerError>> = converted
            .into_iter()
            .map(|scale| {
                let scale = scale?;
                let command = verified.next().expect("one verdict per converted payment")?;
                Ok((command, scale))
            })
            .collect();
        let results = if req.atomic {
            let mut commands = Vec::with_capacity(count);
            let mut scales = Vec::with_capacity(count);
            for (index, item) in prepared.into_iter().enumerate() {
                let (command, scale) = item.map_err(|error| in_batch(index, count, &req.payments[index], error))?;
                commands.push(command);
                scales.push(scale);
            }
            let committed = self
                .ctx
                .writer
                .submit_atomic(commands)
                .await
                .map_err(|(index, error)| in_batch(index, count, &req.payments[index], error))?;
            committed
                .iter()
                .zip(scales)
                .map(|(committed, scale)| payment_answer(committed, scale))
                .map(transfer_result)
                .collect()
        } else {
            let mut answers: Vec<Option<Result<proto::Transfer, ServerError>>> = Vec::with_capacity(count);
            let mut commands = Vec::new();
            let mut scales = Vec::new();
            for item in prepared {
                match item {
                    Ok((command, scale)) => {
                        answers.push(None);
                        commands.push(command);
                        scales.push(scale);
                    }
                    Err(error) => answers.push(Some(Err(error))),
                }
            }
            let mut committed = self.ctx.writer.submit_each(commands).await.into_iter().zip(scales);
            answers
                .into_iter()
                .map(|answer| match answer {
                    Some(refused) => refused,
                    None => {
                        let (result, scale) = committed.next().expect("one answer per submitted payment");
                        result.and_then(|committed| payment_answer(&committed, scale))
                    }
                })
                .map(transfer_result)
                .collect()
        };
        Ok(proto::CreateTransfersResponse { results })
    }

    async fn watch_entries(
        &self,
        metadata: &MetadataMap,
        req: &proto::WatchEntriesRequest,
    ) -> Result<Feed, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::WATCH_ENTRIES).await?;
        let account = if req.account.is_empty() {
            reader.require_reads_all()?;
            None
        } else {
            let handle = convert::account_name("account", &req.account)?;
            reader.may_read_account(&handle)?;
            if self.ctx.store.account(&handle).await?.is_none() {
                return Err(Refusal::UnknownAccount(handle).into());
            }
            Some(handle)
        };
        Ok(feed::follow(self.ctx.clone(), self.stopping.clone(), account, req.from_seq))
    }

    async fn get_transfer(
        &self,
        metadata: &MetadataMap,
        req: &proto::GetTransferRequest,
    ) -> Result<proto::Transfer, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::GET_TRANSFER).await?;
        let id = convert::transfer_name("name", &req.name)?;
        let store = self.ctx.store.as_ref();
        let not_found = || ServerError::not_found("TRANSFER_NOT_FOUND", format!("transfer {id} does not exist"));
        let entry = store.entry_by_request(id).await?.ok_or_else(not_found)?;
        if let Some(record) = store.transfer(id).await? {
            if reader.may_read_account(&record.payer).is_err() {
                reader.may_read_account(&record.payee)?;
            }
            let scale = convert::stored_scale(store, &record.unit).await?;
            let mut reply = convert::transfer_record(&record, scale, (entry.seq, entry.timestamp_ms), &[], now_ms());
            // A levied payment's levy is a transfer of its own, whose id follows from the payment's.
            if let Some(levy) = store.transfer(ledger_core::chamber::levy_id(id)).await? {
                reply.levy = levy.amount.format(scale);
            }
            return Ok(reply);
        }
        // A payment committed before transfers were projected reads back from its entry.
        // A request id that made something other than a payment names no transfer.
        let payment = convert::payment_of(&entry)?.ok_or_else(not_found)?;
        if reader.may_read_account(&payment.payer).is_err() {
            reader.may_read_account(&payment.payee)?;
        }
        let scale = convert::stored_scale(store, &payment.unit).await?;
        Ok(convert::transfer(&entry, &payment, scale, &[]))
    }
}

#[tonic::async_trait]
impl proto::transfers_server::Transfers for TransfersService {
    async fn create_payment(
        &self,
        request: Request<proto::CreatePaymentRequest>,
    ) -> Result<Response<proto::Transfer>, Status> {
        Ok(Response::new(self.create_payment(request.get_ref()).await?))
    }

    async fn get_transfer(
        &self,
        request: Request<proto::GetTransferRequest>,
    ) -> Result<Response<proto::Transfer>, Status> {
        Ok(Response::new(self.get_transfer(request.metadata(), request.get_ref()).await?))
    }

    async fn request_payment(
        &self,
        request: Request<proto::RequestPaymentRequest>,
    ) -> Result<Response<proto::Transfer>, Status> {
        Ok(Response::new(self.request_payment(request.get_ref()).await?))
    }

    async fn accept_request(
        &self,
        request: Request<proto::AnswerRequestRequest>,
    ) -> Result<Response<proto::Transfer>, Status> {
        Ok(Response::new(self.answer_request(request.get_ref(), Answer::Accept).await?))
    }

    async fn reject_request(
        &self,
        request: Request<proto::AnswerRequestRequest>,
    ) -> Result<Response<proto::Transfer>, Status> {
        Ok(Response::new(self.answer_request(request.get_ref(), Answer::Reject).await?))
    }

    async fn list_payment_requests(
        &self,
        request: Request<proto::ListPaymentRequestsRequest>,
    ) -> Result<Response<proto::ListPaymentRequestsResponse>, Status> {
        Ok(Response::new(self.list_payment_requests(request.metadata(), request.get_ref()).await?))
    }

    async fn reverse_transfer(
        &self,
        request: Request<proto::ReverseTransferRequest>,
    ) -> Result<Response<proto::Transfer>, Status> {
        Ok(Response::new(self.reverse_transfer(request.get_ref()).await?))
    }

    type WatchEntriesStream = Feed;

    async fn watch_entries(
        &self,
        request: Request<proto::WatchEntriesRequest>,
    ) -> Result<Response<Self::WatchEntriesStream>, Status> {
        Ok(Response::new(self.watch_entries(request.metadata(), request.get_ref()).await?))
    }

    async fn create_transfers(
        &self,
        request: Request<proto::CreateTransfersRequest>,
    ) -> Result<Response<proto::CreateTransfersResponse>, Status> {
        Ok(Response::new(self.create_transfers(request.get_ref()).await?))
    }

    async fn import_transfers(
        &self,
        request: Request<proto::ImportTransfersRequest>,
    ) -> Result<Response<proto::ImportTransfersResponse>, Status> {
        Ok(Response::new(super::import::import_transfers(&self.ctx, request.get_ref()).await?))
    }
}

/// The most payments one `CreateTransfers` call carries.
pub const TRANSFERS_PER_CALL_MAX: usize = 1000;

/// A committed payment as answered, with the levy its entry posted to the fund.
fn payment_answer(committed: &Committed, scale: Scale) -> Result<proto::Transfer, ServerError> {
    let payment = convert::payment_of(&committed.entry)?
        .ok_or_else(|| missing_after_commit(format!("the payment of entry {}", committed.entry.seq)))?;
    let mut reply = convert::transfer(&committed.entry, &payment, scale, &committed.warnings);
    reply.levy = convert::agreement::levy_posted(&committed.entry, &payment.unit, scale);
    Ok(reply)
}

/// One payment's result in a non-atomic batch.
fn transfer_result(result: Result<proto::Transfer, ServerError>) -> proto::TransferResult {
    match result {
        Ok(transfer) => proto::TransferResult { transfer: Some(transfer), error: None },
        Err(error) => {
            let status = Status::from(error);
            let reason = status.metadata().get(REASON_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
            let error = proto::TransferError {
                code: code_name(status.code()).to_owned(),
                reason: reason.to_owned(),
                message: status.message().to_owned(),
            };
            proto::TransferResult { transfer: None, error: Some(error) }
        }
    }
}

/// The status of an atomic batch refused because of payment `index` (from 0) of `count`: that
/// payment's code and reason, with a message naming it (counted from 1, as people do).
fn in_batch(index: usize, count: usize, payment: &proto::CreatePaymentRequest, error: ServerError) -> Status {
    let status = Status::from(error);
    let message = format!(
        "payment {} of {count} ({}): {}; nothing in this batch was committed",
        index + 1,
        payment.request_id.chars().take(36).collect::<String>(),
        status.message()
    );
    Status::with_metadata(status.code(), message, status.metadata().clone())
}

/// The canonical name of a gRPC code.
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The server's clock, to show a pending request past its expiry as expired. Only shown: whether
/// a request can still be accepted is judged by the accepting entry's timestamp.
fn now_ms() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).expect("the clock is after 1970");
    i64::try_from(since_epoch.as_millis()).expect("milliseconds fit in i64 until year 292 million")
}
