//! The Transfers service: payments.

use std::sync::Arc;

use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use super::{Context, missing_after_commit, submit};
use crate::auth::authenticate_read;
use crate::convert;
use crate::error::ServerError;
use crate::proto;

/// Full gRPC paths of the reads, as signed in read metadata.
mod method {
    pub const GET_TRANSFER: &str = "/ledger.v1.Transfers/GetTransfer";
}

/// The Transfers service.
pub struct TransfersService {
    ctx: Arc<Context>,
}

impl TransfersService {
    /// A service over `ctx`.
    pub fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    async fn create_payment(&self, req: &proto::CreatePaymentRequest) -> Result<proto::Transfer, ServerError> {
        let (signed, scale) = convert::payment(self.ctx.store.as_ref(), self.ctx.ledger_id, req).await?;
        let committed = submit(&self.ctx, signed).await?;
        let payment = convert::payment_of(&committed.entry)?
            .ok_or_else(|| missing_after_commit(format!("the payment of entry {}", committed.entry.seq)))?;
        Ok(convert::transfer(&committed.entry, &payment, scale, &committed.warnings))
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
}
