//! The Chamber service: the commons registry (add, list, get) and declarations of work (declare,
//! validate, refuse, list). Mutations are signed commands like every other; who may decide on a
//! declaration is judged by `State::apply` (a steward of its commons), never here. The rule
//! book and the distribution dry run are in the child module `rules`, distributions proposed,
//! approved and read in `distributions`.

mod distributions;
mod rules;

use std::sync::Arc;

use ledger_core::account::Role;
use ledger_core::chamber::{
    Category, Commons, CommonsKind, CommonsName, Declaration, DeclarationStatus, Description, Note, Period, Quantity,
    RulesOfUse, Stewards,
};
use ledger_core::command::{Command, SignedCommand};
use ledger_core::names::{DeclarationId, Handle};
use ledger_core::refusal::Refusal;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use super::{Context, agreements, missing_after_commit, submit};
use crate::auth::{Reader, authenticate_read};
use crate::convert;
use crate::error::ServerError;
use crate::proto;
use crate::store::DeclarationFilter;

/// Full gRPC paths of the reads, as signed in read metadata.
mod method {
    pub const LIST_COMMONS: &str = "/ledger.v1.Chamber/ListCommons";
    pub const GET_COMMONS: &str = "/ledger.v1.Chamber/GetCommons";
    pub const GET_DECLARATION: &str = "/ledger.v1.Chamber/GetDeclaration";
    pub const LIST_DECLARATIONS: &str = "/ledger.v1.Chamber/ListDeclarations";
}

/// The Chamber service.
pub struct ChamberService {
    ctx: Arc<Context>,
}

impl ChamberService {
    /// A service over `ctx`.
    pub fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    async fn add_commons(&self, req: &proto::AddCommonsRequest) -> Result<proto::Commons, ServerError> {
        let request_id = convert::request_id(&req.request_id)?;
        let wire = req.commons.as_ref().ok_or_else(|| ServerError::invalid("MISSING_FIELD", "commons is required"))?;
        let stewards = wire
            .stewards
            .iter()
            .map(|text| convert::handle("commons.stewards", text))
            .collect::<Result<Vec<Handle>, _>>()?;
        let commons = Commons {
            name: commons_name("commons.name", &wire.name)?,
            kind: CommonsKind::parse(&wire.kind).map_err(|e| field("INVALID_COMMONS_KIND", "commons.kind", e))?,
            description: Description::parse(&wire.description)
                .map_err(|e| field("INVALID_DESCRIPTION", "commons.description", e))?,
            rules_of_use: RulesOfUse::parse(&wire.rules_of_use)
                .map_err(|e| field("INVALID_RULES_OF_USE", "commons.rules_of_use", e))?,
            stewards: Stewards::new(stewards).map_err(|e| field("INVALID_STEWARDS", "commons.stewards", e))?,
        };
        let name = commons.name.clone();
        let signed = self.signed(request_id, Command::AddCommons { commons }, &req.signatures)?;
        submit(&self.ctx, signed).await?;
        let stored =
            self.ctx.store.commons(&name).await?.ok_or_else(|| missing_after_commit(format!("commons {name}")))?;
        Ok(commons_message(&stored))
    }

    async fn list_commons(
        &self,
        metadata: &MetadataMap,
        req: &proto::ListCommonsRequest,
    ) -> Result<proto::ListCommonsResponse, ServerError> {
        authenticate_read(&self.ctx, metadata, method::LIST_COMMONS).await?;
        let size = convert::page_size(req.page_size, &self.ctx.limits)?;
        let after = convert::page_start(&req.page_token, "commons/")?
            .map(|name| CommonsName::parse(&name).map_err(|_| convert::bad_page_token()))
            .transpose()?;
        let mut commons = self.ctx.store.list_commons(after.as_ref(), convert::fetch_limit(size)).await?;
        let more = commons.len() > size as usize;
        commons.truncate(size as usize);
        let next_page_token = match (more, commons.last()) {
            (true, Some(last)) => convert::page_token(&format!("commons/{}", last.name)),
            _ => String::new(),
        };
        Ok(proto::ListCommonsResponse { commons: commons.iter().map(commons_message).collect(), next_page_token })
    }

    async fn get_commons(
        &self,
        metadata: &MetadataMap,
        req: &proto::GetCommonsRequest,
    ) -> Result<proto::Commons, ServerError> {
        authenticate_read(&self.ctx, metadata, method::GET_COMMONS).await?;
        let name = commons_name("name", req.name.strip_prefix("commons/").unwrap_or(&req.name))?;
        let commons = self.ctx.store.commons(&name).await?.ok_or(Refusal::UnknownCommons(name))?;
        Ok(commons_message(&commons))
    }

    async fn declare(&self, req: &proto::DeclareRequest) -> Result<proto::Declaration, ServerError> {
        let request_id = convert::request_id(&req.request_id)?;
        let command = Command::Declare {
            contributor: convert::handle("contributor", &req.contributor)?,
            commons: commons_name("commons", &req.commons)?,
            category: Category::parse(&req.category).map_err(|e| field("INVALID_CATEGORY", "category", e))?,
            quantity: Quantity::parse(&req.quantity).map_err(|e| field("INVALID_QUANTITY", "quantity", e))?,
            period: Period::parse(&req.period).map_err(|e| field("INVALID_PERIOD", "period", e))?,
            note: Note::parse(&req.note).map_err(|e| field("INVALID_NOTE", "note", e))?,
        };
        let signed = self.signed(request_id, command, &req.signatures)?;
        submit(&self.ctx, signed).await?;
        self.declaration_after_commit(DeclarationId::from_uuid(request_id.uuid())).await
    }

    /// `ValidateDeclaration` or `RefuseDeclaration`.
    async fn decide(
        &self,
        req: &proto::DecideDeclarationRequest,
        validate: bool,
    ) -> Result<proto::Declaration, ServerError> {
        let request_id = convert::request_id(&req.request_id)?;
        let declaration = declaration_id("declaration", &req.declaration)?;
        let commons = commons_name("commons", &req.commons)?;
        let command = if validate {
            Command::ValidateDeclaration { declaration, commons }
        } else {
            Command::RefuseDeclaration { declaration, commons }
        };
        let signed = self.signed(request_id, command, &req.signatures)?;
        submit(&self.ctx, signed).await?;
        self.declaration_after_commit(declaration).await
    }

    async fn get_declaration(
        &self,
        metadata: &MetadataMap,
        req: &proto::GetDeclarationRequest,
    ) -> Result<proto::Declaration, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::GET_DECLARATION).await?;
        let id = declaration_id("name", &req.name)?;
        let declaration = self.ctx.store.declaration(id).await?.ok_or(Refusal::UnknownDeclaration(id))?;
        let mut own = DeclarationFilter {
            commons: Some(declaration.commons.clone()),
            contributor: Some(declaration.contributor.clone()),
            ..Default::default()
        };
        self.restrict_to_own(&reader, &mut own).await?;
        Ok(declaration_message(&declaration))
    }

    async fn list_declarations(
        &self,
        metadata: &MetadataMap,
        req: &proto::ListDeclarationsRequest,
    ) -> Result<proto::ListDeclarationsResponse, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::LIST_DECLARATIONS).await?;
        let optional = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        let mut filter = DeclarationFilter {
            commons: optional(&req.commons).map(|text| commons_name("commons", &text)).transpose()?,
            period: optional(&req.period)
                .map(|text| Period::parse(&text).map_err(|e| field("INVALID_PERIOD", "period", e)))
                .transpose()?,
            status: optional(&req.status)
                .map(|text| {
                    DeclarationStatus::parse(&text).ok_or_else(|| {
                        field("INVALID_STATUS", "status", format!("{text:?} is not pending, validated or refused"))
                    })
                })
                .transpose()?,
            contributor: optional(&req.contributor).map(|text| convert::handle("contributor", &text)).transpose()?,
        };
        self.restrict_to_own(&reader, &mut filter).await?;
        let size = convert::page_size(req.page_size, &self.ctx.limits)?;
        let after = convert::page_start(&req.page_token, "declarations/")?
            .map(|id| DeclarationId::parse(&id).map_err(|_| convert::bad_page_token()))
            .transpose()?;
        let mut declarations = self.ctx.store.declarations(&filter, after, convert::fetch_limit(size)).await?;
        let more = declarations.len() > size as usize;
        declarations.truncate(size as usize);
        let next_page_token = match (more, declarations.last()) {
            (true, Some(last)) => convert::page_token(&format!("declarations/{}", last.id)),
            _ => String::new(),
        };
        let declarations = declarations.iter().map(declaration_message).collect();
        Ok(proto::ListDeclarationsResponse { declarations, next_page_token })
    }

    /// Narrows `filter` to what `reader` may see. Holders of the steward role and those who read
    /// every account see every declaration; a steward of the commons the filter names sees that
    /// commons' declarations; anyone else only their own.
    async fn restrict_to_own(&self, reader: &Reader, filter: &mut DeclarationFilter) -> Result<(), ServerError> {
        if reader.reads_all() || reader.roles.has(Role::Steward) {
            return Ok(());
        }
        if let Some(name) = &filter.commons
            && let Some(commons) = self.ctx.store.commons(name).await?
            && commons.stewards.contains(&reader.handle)
        {
            return Ok(());
        }
        match &filter.contributor {
            Some(contributor) if *contributor != reader.handle => Err(ServerError::denied(format!(
                "{} may only read their own declarations or those of a commons they steward, not those of \
                 {contributor}",
                reader.handle
            ))),
            _ => {
                filter.contributor = Some(reader.handle.clone());
                Ok(())
            }
        }
    }

    fn signed(
        &self,
        request_id: ledger_core::names::RequestId,
        command: Command,
        signatures: &[proto::Signature],
    ) -> Result<SignedCommand, ServerError> {
        let signatures = convert::signatures(signatures)?;
        Ok(SignedCommand { ledger_id: self.ctx.ledger_id, request_id, command, signatures })
    }

    async fn declaration_after_commit(&self, id: DeclarationId) -> Result<proto::Declaration, ServerError> {
        let declaration =
            self.ctx.store.declaration(id).await?.ok_or_else(|| missing_after_commit(format!("declaration {id}")))?;
        Ok(declaration_message(&declaration))
    }
}

fn field(reason: &'static str, name: &str, error: impl std::fmt::Display) -> ServerError {
    ServerError::invalid(reason, format!("{name}: {error}"))
}

fn commons_name(name: &str, text: &str) -> Result<CommonsName, ServerError> {
    if text.is_empty() {
        return Err(ServerError::invalid("MISSING_FIELD", format!("{name} is required")));
    }
    CommonsName::parse(text).map_err(|e| field("INVALID_COMMONS_NAME", name, e))
}

fn declaration_id(name: &str, text: &str) -> Result<DeclarationId, ServerError> {
    let text = text.strip_prefix("declarations/").unwrap_or(text);
    DeclarationId::parse(text).map_err(|e| field("INVALID_DECLARATION_ID", name, e))
}

fn commons_message(commons: &Commons) -> proto::Commons {
    proto::Commons {
        name: commons.name.to_string(),
        kind: commons.kind.to_string(),
        description: commons.description.as_str().to_owned(),
        rules_of_use: commons.rules_of_use.as_str().to_owned(),
        stewards: commons.stewards.iter().map(Handle::to_string).collect(),
    }
}

fn declaration_message(declaration: &Declaration) -> proto::Declaration {
    proto::Declaration {
        id: declaration.id.to_string(),
        contributor: declaration.contributor.to_string(),
        commons: declaration.commons.to_string(),
        category: declaration.category.to_string(),
        quantity: declaration.quantity.format(),
        period: declaration.period.to_string(),
        note: declaration.note.as_str().to_owned(),
        status: declaration.status.as_str().to_owned(),
        paid_by: declaration.paid_by.map(|id| id.to_string()).unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl proto::chamber_server::Chamber for ChamberService {
    async fn add_commons(
        &self,
        request: Request<proto::AddCommonsRequest>,
    ) -> Result<Response<proto::Commons>, Status> {
        Ok(Response::new(self.add_commons(request.get_ref()).await?))
    }

    async fn list_commons(
        &self,
        request: Request<proto::ListCommonsRequest>,
    ) -> Result<Response<proto::ListCommonsResponse>, Status> {
        Ok(Response::new(self.list_commons(request.metadata(), request.get_ref()).await?))
    }

    async fn get_commons(
        &self,
        request: Request<proto::GetCommonsRequest>,
    ) -> Result<Response<proto::Commons>, Status> {
        Ok(Response::new(self.get_commons(request.metadata(), request.get_ref()).await?))
    }

    async fn declare(&self, request: Request<proto::DeclareRequest>) -> Result<Response<proto::Declaration>, Status> {
        Ok(Response::new(self.declare(request.get_ref()).await?))
    }

    async fn validate_declaration(
        &self,
        request: Request<proto::DecideDeclarationRequest>,
    ) -> Result<Response<proto::Declaration>, Status> {
        Ok(Response::new(self.decide(request.get_ref(), true).await?))
    }

    async fn refuse_declaration(
        &self,
        request: Request<proto::DecideDeclarationRequest>,
    ) -> Result<Response<proto::Declaration>, Status> {
        Ok(Response::new(self.decide(request.get_ref(), false).await?))
    }

    async fn get_declaration(
        &self,
        request: Request<proto::GetDeclarationRequest>,
    ) -> Result<Response<proto::Declaration>, Status> {
        Ok(Response::new(self.get_declaration(request.metadata(), request.get_ref()).await?))
    }

    async fn list_declarations(
        &self,
        request: Request<proto::ListDeclarationsRequest>,
    ) -> Result<Response<proto::ListDeclarationsResponse>, Status> {
        Ok(Response::new(self.list_declarations(request.metadata(), request.get_ref()).await?))
    }

    async fn set_agreement(
        &self,
        request: Request<proto::SetAgreementRequest>,
    ) -> Result<Response<proto::Agreement>, Status> {
        Ok(Response::new(agreements::set_agreement(&self.ctx, request.get_ref()).await?))
    }

    async fn get_agreement(
        &self,
        request: Request<proto::GetAgreementRequest>,
    ) -> Result<Response<proto::Agreement>, Status> {
        Ok(Response::new(agreements::get_agreement(&self.ctx, request.metadata(), request.get_ref()).await?))
    }

    async fn list_agreements(
        &self,
        request: Request<proto::ListAgreementsRequest>,
    ) -> Result<Response<proto::ListAgreementsResponse>, Status> {
        Ok(Response::new(agreements::list_agreements(&self.ctx, request.metadata(), request.get_ref()).await?))
    }

    async fn contribute(
        &self,
        request: Request<proto::ContributeRequest>,
    ) -> Result<Response<proto::Transfer>, Status> {
        Ok(Response::new(agreements::contribute(&self.ctx, request.get_ref()).await?))
    }

    async fn collect(
        &self,
        request: Request<proto::CollectRequest>,
    ) -> Result<Response<proto::CollectResponse>, Status> {
        Ok(Response::new(agreements::collect(&self.ctx, request.get_ref()).await?))
    }
    async fn set_quorum(&self, request: Request<proto::SetQuorumRequest>) -> Result<Response<proto::RuleBook>, Status> {
        Ok(Response::new(self.set_quorum(request.get_ref()).await?))
    }

    async fn propose_rule(
        &self,
        request: Request<proto::ProposeRuleRequest>,
    ) -> Result<Response<proto::RemunerationRule>, Status> {
        Ok(Response::new(self.propose_rule(request.get_ref()).await?))
    }

    async fn approve_rule(
        &self,
        request: Request<proto::ApproveRuleRequest>,
    ) -> Result<Response<proto::RemunerationRule>, Status> {
        Ok(Response::new(self.approve_rule(request.get_ref()).await?))
    }

    async fn get_rule(
        &self,
        request: Request<proto::GetRuleRequest>,
    ) -> Result<Response<proto::RemunerationRule>, Status> {
        Ok(Response::new(self.get_rule(request.metadata(), request.get_ref()).await?))
    }

    async fn list_rules(
        &self,
        request: Request<proto::ListRulesRequest>,
    ) -> Result<Response<proto::ListRulesResponse>, Status> {
        Ok(Response::new(self.list_rules(request.metadata(), request.get_ref()).await?))
    }

    async fn plan_distribution(
        &self,
        request: Request<proto::PlanDistributionRequest>,
    ) -> Result<Response<proto::DistributionPlan>, Status> {
        Ok(Response::new(self.plan_distribution(request.metadata(), request.get_ref()).await?))
    }

    async fn propose_distribution(
        &self,
        request: Request<proto::ProposeDistributionRequest>,
    ) -> Result<Response<proto::Distribution>, Status> {
        Ok(Response::new(self.propose_distribution(request.get_ref()).await?))
    }

    async fn approve_distribution(
        &self,
        request: Request<proto::ApproveDistributionRequest>,
    ) -> Result<Response<proto::Distribution>, Status> {
        Ok(Response::new(self.approve_distribution(request.get_ref()).await?))
    }

    async fn get_distribution(
        &self,
        request: Request<proto::GetDistributionRequest>,
    ) -> Result<Response<proto::Distribution>, Status> {
        Ok(Response::new(self.get_distribution(request.metadata(), request.get_ref()).await?))
    }
}
