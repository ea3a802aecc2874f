//! The Audit service: the trial balance, the journal, its export and signed checkpoints, for
//! treasurers, auditors and admins. Nothing here changes the ledger's state.
//!
//! An export streams the journal as stored, in chunks read one after the other from the store
//! and sent through a bounded channel: neither side ever holds more than a few chunks, however
//! long the journal. It ends at the head as it was when the call started, so it is a consistent
//! prefix of the journal even while payments keep coming.

use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
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
    pub const EXPORT_JOURNAL: &str = "/ledger.v1.Audit/ExportJournal";
    pub const CREATE_CHECKPOINT: &str = "/ledger.v1.Audit/CreateCheckpoint";
}

/// Entries per export chunk: one store read, one message.
const EXPORT_CHUNK_LEN: u32 = 1000;
/// Chunks an export reads ahead of the client.
const EXPORT_CHUNKS_AHEAD: usize = 2;

/// The stream of an export.
type ExportStream = Pin<Box<dyn Stream<Item = Result<proto::ExportJournalChunk, Status>> + Send>>;

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

    async fn export_journal(
        &self,
        metadata: &MetadataMap,
        req: &proto::ExportJournalRequest,
    ) -> Result<ExportStream, ServerError> {
        authenticate_read(&self.ctx, metadata, method::EXPORT_JOURNAL).await?.require_reads_all()?;
        let to_seq = self.ctx.store.meta().await?.map_or(0, |meta| meta.head_seq);
        let (chunks, stream) = mpsc::channel(EXPORT_CHUNKS_AHEAD);
        tokio::spawn(export(self.ctx.store.clone(), req.from_seq.max(1), to_seq, chunks));
        Ok(Box::pin(ReceiverStream::new(stream)))
    }

    async fn create_checkpoint(&self, metadata: &MetadataMap) -> Result<proto::Checkpoint, ServerError> {
        authenticate_read(&self.ctx, metadata, method::CREATE_CHECKPOINT).await?.require_reads_all()?;
        match self.ctx.checkpointer.at_head().await? {
            Some(checkpoint) => Ok(convert::checkpoint(&checkpoint)),
            None => Err(ServerError::not_found("JOURNAL_EMPTY", "the journal has no entry to vouch for")),
        }
    }
}

/// Reads chunks `from_seq..=to_seq` from the store and sends them until done or the client goes
/// away (the send fails).
async fn export(
    store: Arc<dyn crate::store::Store>,
    from_seq: u64,
    to_seq: u64,
    chunks: mpsc::Sender<Result<proto::ExportJournalChunk, Status>>,
) {
    let mut next = from_seq;
    while next <= to_seq {
        let chunk = async {
            let entries = store.entries_as_stored(next, to_seq, EXPORT_CHUNK_LEN).await?;
            let last = entries.last().map_or(to_seq, |entry| entry.seq);
            let checkpoints = store.checkpoints(next, last, EXPORT_CHUNK_LEN).await?;
            Ok::<_, ServerError>((last, checkpoints, entries))
        }
        .await;
        let message = match chunk {
            Ok((last, checkpoints, entries)) => {
                // A deleted row leaves a gap, which the client reports; keep going after it.
                next = last.saturating_add(1);
                Ok(proto::ExportJournalChunk {
                    checkpoints: checkpoints.iter().map(convert::checkpoint).collect(),
                    entries: entries.iter().map(convert::exported_entry).collect(),
                })
            }
            Err(error) => {
                next = u64::MAX;
                Err(Status::from(error))
            }
        };
        if chunks.send(message).await.is_err() {
            return;
        }
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

    type ExportJournalStream = ExportStream;

    async fn export_journal(
        &self,
        request: Request<proto::ExportJournalRequest>,
    ) -> Result<Response<Self::ExportJournalStream>, Status> {
        Ok(Response::new(self.export_journal(request.metadata(), request.get_ref()).await?))
    }

    async fn create_checkpoint(
        &self,
        request: Request<proto::CreateCheckpointRequest>,
    ) -> Result<Response<proto::Checkpoint>, Status> {
        Ok(Response::new(self.create_checkpoint(request.metadata()).await?))
    }
}
