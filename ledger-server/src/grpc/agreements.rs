//! The Chamber service's contributions to the commons fund: agreements (set, get, list), one-off
//! contributions and the collect of recurring ones. [`super::chamber`] routes these calls here.
//! Who may do what (a treasurer sets agreements and collects, a business contributes) is judged
//! by `State::apply`, never here.

use ledger_core::command::Command;
use ledger_core::names::Handle;
use ledger_core::refusal::Refusal;
use tonic::metadata::MetadataMap;

use super::{Context, missing_after_commit, submit};
use crate::auth::authenticate_read;
use crate::convert::{self, agreement as convert_agreement};
use crate::error::ServerError;
use crate::proto;

/// Full gRPC paths of the reads, as signed in read metadata.
mod method {
    pub const GET_AGREEMENT: &str = "/ledger.v1.Chamber/GetAgreement";
    pub const LIST_AGREEMENTS: &str = "/ledger.v1.Chamber/ListAgreements";
}

/// `SetAgreement`: the agreement as stored after the commit.
pub(super) async fn set_agreement(
    ctx: &Context,
    req: &proto::SetAgreementRequest,
) -> Result<proto::Agreement, ServerError> {
    let store = ctx.store.as_ref();
    let signed = convert_agreement::set_agreement(store, ctx.ledger_id, req).await?;
    let Command::SetAgreement { agreement } = &signed.command else {
        unreachable!("convert::agreement::set_agreement builds a SetAgreement")
    };
    let business = agreement.business().clone();
    let committed = submit(ctx, signed).await?;
    let record = store
        .agreement(&business)
        .await?
        .ok_or_else(|| missing_after_commit(format!("the agreement of {business}")))?;
    let scale = convert::stored_scale(store, &record.unit).await?;
    Ok(convert_agreement::agreement(&record, scale, committed.entry.seq))
}

/// `GetAgreement`: any registered key; agreements are the chamber's public terms.
pub(super) async fn get_agreement(
    ctx: &Context,
    metadata: &MetadataMap,
    req: &proto::GetAgreementRequest,
) -> Result<proto::Agreement, ServerError> {
    authenticate_read(ctx, metadata, method::GET_AGREEMENT).await?;
    let business = convert_agreement::agreement_name("name", &req.name)?;
    let store = ctx.store.as_ref();
    let record = store.agreement(&business).await?.ok_or(Refusal::UnknownAgreement(business))?;
    let scale = convert::stored_scale(store, &record.unit).await?;
    Ok(convert_agreement::agreement(&record, scale, 0))
}

/// `ListAgreements`, by business.
pub(super) async fn list_agreements(
    ctx: &Context,
    metadata: &MetadataMap,
    req: &proto::ListAgreementsRequest,
) -> Result<proto::ListAgreementsResponse, ServerError> {
    authenticate_read(ctx, metadata, method::LIST_AGREEMENTS).await?;
    let size = convert::page_size(req.page_size, &ctx.limits)?;
    let after = convert::page_start(&req.page_token, "agreements/")?
        .map(|handle| Handle::parse(&handle).map_err(|_| convert::bad_page_token()))
        .transpose()?;
    let store = ctx.store.as_ref();
    let mut records = store.agreements(after.as_ref(), convert::fetch_limit(size)).await?;
    let more = records.len() > size as usize;
    records.truncate(size as usize);
    let next_page_token = match (more, records.last()) {
        (true, Some(last)) => convert::page_token(&format!("agreements/{}", last.agreement.business())),
        _ => String::new(),
    };
    let scales = convert::Scales::load(store).await?;
    let agreements = records
        .iter()
        .map(|record| Ok(convert_agreement::agreement(record, scales.of(&record.unit)?, 0)))
        .collect::<Result<Vec<_>, ServerError>>()?;
    Ok(proto::ListAgreementsResponse { agreements, next_page_token })
}

/// `Contribute`: the contribution's transfer as stored after the commit.
pub(super) async fn contribute(ctx: &Context, req: &proto::ContributeRequest) -> Result<proto::Transfer, ServerError> {
    let store = ctx.store.as_ref();
    let (signed, scale) = convert_agreement::contribute(store, ctx.ledger_id, req).await?;
    let id = signed.request_id;
    let committed = submit(ctx, signed).await?;
    let record = store.transfer(id).await?.ok_or_else(|| missing_after_commit(format!("contribution {id}")))?;
    let entry = (committed.entry.seq, committed.entry.timestamp_ms);
    Ok(convert::transfer_record(&record, scale, entry, &committed.warnings, committed.entry.timestamp_ms))
}

/// `Collect`: one line per business named.
pub(super) async fn collect(ctx: &Context, req: &proto::CollectRequest) -> Result<proto::CollectResponse, ServerError> {
    let store = ctx.store.as_ref();
    let (signed, scale) = convert_agreement::collect(store, ctx.ledger_id, req).await?;
    let command = signed.command.clone();
    let committed = submit(ctx, signed).await?;
    convert_agreement::collect_report(store, &committed.entry, &command, &committed.collection, scale).await
}
