//! The Chamber service's distributions: `ProposeDistribution`, `ApproveDistribution`,
//! `GetDistribution`. Whether a proposal is the plan of its moment, who may approve, and when a
//! distribution executes is judged by `State::apply` inside the writer, never here.

use ledger_core::command::Command;
use ledger_core::names::DistributionId;
use ledger_core::refusal::Refusal;
use tonic::metadata::MetadataMap;

use super::ChamberService;
use crate::auth::authenticate_read;
use crate::convert;
use crate::convert::distribution::{distribution_message, distribution_name, lines_digest};
use crate::error::ServerError;
use crate::grpc::{missing_after_commit, submit};
use crate::proto;

/// Full gRPC paths of the reads, as signed in read metadata.
pub(super) mod method {
    pub const GET_DISTRIBUTION: &str = "/ledger.v1.Chamber/GetDistribution";
}

impl ChamberService {
    pub(super) async fn propose_distribution(
        &self,
        req: &proto::ProposeDistributionRequest,
    ) -> Result<proto::Distribution, ServerError> {
        let request_id = convert::request_id(&req.request_id)?;
        let unit = convert::unit_code("unit", &req.unit)?;
        let scale = convert::requested_unit(self.ctx.store.as_ref(), &unit).await?.scale;
        let command = Command::ProposeDistribution {
            unit,
            period: convert::rules::period("period", &req.period)?,
            rule: convert::rules::rule_name("rule", &req.rule)?,
            distributed: convert::amount("distributed", &req.distributed, scale)?.minor(),
            lines_digest: lines_digest("lines_digest", &req.lines_digest)?,
        };
        let signed = self.signed(request_id, command, &req.signatures)?;
        let committed = submit(&self.ctx, signed).await?;
        self.distribution_after_commit(DistributionId::from_uuid(request_id.uuid()), committed.entry.seq).await
    }

    pub(super) async fn approve_distribution(
        &self,
        req: &proto::ApproveDistributionRequest,
    ) -> Result<proto::Distribution, ServerError> {
        let request_id = convert::request_id(&req.request_id)?;
        let distribution = distribution_name("distribution", &req.distribution)?;
        let signed = self.signed(request_id, Command::ApproveDistribution { distribution }, &req.signatures)?;
        let committed = submit(&self.ctx, signed).await?;
        self.distribution_after_commit(distribution, committed.entry.seq).await
    }

    /// Treasurers, auditors and admins: a distribution shows what every contributor received.
    pub(super) async fn get_distribution(
        &self,
        metadata: &MetadataMap,
        req: &proto::GetDistributionRequest,
    ) -> Result<proto::Distribution, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::GET_DISTRIBUTION).await?;
        reader.require_reads_all()?;
        let id = distribution_name("name", &req.name)?;
        let record = self.ctx.store.distribution(id).await?.ok_or(Refusal::UnknownDistribution(id))?;
        self.distribution_message(&record, 0).await
    }

    async fn distribution_message(
        &self,
        record: &ledger_core::chamber::DistributionRecord,
        seq: u64,
    ) -> Result<proto::Distribution, ServerError> {
        let store = self.ctx.store.as_ref();
        let scale = convert::stored_scale(store, &record.unit).await?;
        let book = store.rule_book().await?;
        Ok(distribution_message(record, scale, book.quorum, seq))
    }

    async fn distribution_after_commit(
        &self,
        id: DistributionId,
        seq: u64,
    ) -> Result<proto::Distribution, ServerError> {
        let record =
            self.ctx.store.distribution(id).await?.ok_or_else(|| missing_after_commit(format!("distribution {id}")))?;
        self.distribution_message(&record, seq).await
    }
}
