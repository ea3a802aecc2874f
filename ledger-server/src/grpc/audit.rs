//! The Audit service: the trial balance and the journal, for treasurers, auditors and admins.

use std::sync::Arc;

use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use super::Context;
use crate::auth::authenticate_read;
use crate::convert::{self, Scales};
use crate::error::ServerError;
use crate::proto;

/// Full gRPC paths of the reads, as signed in read metadata.
mod method {
    pub const GET_TRIAL_BALANCE: &str = "/ledger.v1.Audit/GetTrialBalance";
    pub const LIST_ENTRIES: &str = "/ledger.v1.Audit/ListEntries";
}

/// The Audit service.
pub struct AuditService {
    ctx: Arc<Context>,
}

impl AuditService {
    /// A service over `ctx`.
    pub fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    async fn get_trial_balance(
        &self,
        metadata: &MetadataMap,
        req: &proto::GetTrialBalanceRequest,
    ) -> Result<proto::TrialBalance, ServerError> {
        authenticate_read(&self.ctx, metadata, method::GET_TRIAL_BALANCE).await?.require_reads_all()?;
        let store = self.ctx.store.as_ref();
        let unit = match req.unit.as_str() {
            "" => None,
            text => {
                let code = convert::unit_name("unit", text)?;
                Some(convert::requested_unit(store, &code).await?.code)
            }
        };
        let (as_of_seq, accounts) = store.balances(unit.as_ref()).await?;
        let scales = Scales::load(store).await?;
        convert::trial_balance(as_of_seq, &accounts, &scales)
    }

    async fn list_entries(
        &self,
        metadata: &MetadataMap,
        req: &proto::ListEntriesRequest,
    ) -> Result<proto::ListEntriesResponse, ServerError> {
        authenticate_read(&self.ctx, metadata, method::LIST_ENTRIES).await?.require_reads_all()?;
        let size = convert::page_size(req.page_size, &self.ctx.limits)?;
        // The token, when there is one, says where the previous page stopped.
        let from_seq = convert::entries_page_start(&req.page_token)?.unwrap_or(req.from_seq).max(1);
        let store = self.ctx.store.as_ref();
        let entries = store.entries(from_seq, convert::fetch_limit(size)).await?;
        let scales = Scales::load(store).await?;
        convert::entries_page(entries, size, &scales)
    }
}

#[tonic::async_trait]
impl proto::audit_server::Audit for AuditService {
    async fn get_trial_balance(
        &self,
        request: Request<proto::GetTrialBalanceRequest>,
    ) -> Result<Response<proto::TrialBalance>, Status> {
        Ok(Response::new(self.get_trial_balance(request.metadata(), request.get_ref()).await?))
    }

    async fn list_entries(
        &self,
        request: Request<proto::ListEntriesRequest>,
    ) -> Result<Response<proto::ListEntriesResponse>, Status> {
        Ok(Response::new(self.list_entries(request.metadata(), request.get_ref()).await?))
    }
}
