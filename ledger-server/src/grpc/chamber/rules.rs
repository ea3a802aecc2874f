//! The Chamber service's rule book and distribution dry run: `SetQuorum`, `ProposeRule`,
//! `ApproveRule`, `GetRule`, `ListRules`, `PlanDistribution`. Who may propose, approve or set
//! the quorum, and when a rule is adopted, is judged by `State::apply`, never here.

use std::collections::{BTreeMap, BTreeSet};

use ledger_core::chamber::{DECLARATIONS_MAX, DeclarationStatus, PlanError, PlanInput, RuleRecord, plan};
use ledger_core::command::Command;
use ledger_core::names::{Handle, RuleId};
use ledger_core::refusal::Refusal;
use tonic::metadata::MetadataMap;

use super::ChamberService;
use crate::auth::authenticate_read;
use crate::convert;
use crate::convert::rules::{plan_message, rule_message, rule_name};
use crate::error::ServerError;
use crate::grpc::{missing_after_commit, submit};
use crate::proto;
use crate::store::DeclarationFilter;

/// Full gRPC paths of the reads, as signed in read metadata.
pub(super) mod method {
    pub const GET_RULE: &str = "/ledger.v1.Chamber/GetRule";
    pub const LIST_RULES: &str = "/ledger.v1.Chamber/ListRules";
    pub const PLAN_DISTRIBUTION: &str = "/ledger.v1.Chamber/PlanDistribution";
}

/// Rows read per store call when a plan gathers rules and declarations.
const PLAN_LOAD_BATCH: u32 = 10_000;
/// The most rules a plan reads: far beyond any community's rule book, and a bound on the work.
const RULES_MAX: usize = 10_000;

impl ChamberService {
    pub(super) async fn set_quorum(&self, req: &proto::SetQuorumRequest) -> Result<proto::RuleBook, ServerError> {
        let request_id = convert::request_id(&req.request_id)?;
        let quorum = convert::rules::quorum(req.quorum)?;
        let signed = self.signed(request_id, Command::SetQuorum { quorum }, &req.signatures)?;
        submit(&self.ctx, signed).await?;
        let book = self.ctx.store.rule_book().await?;
        Ok(proto::RuleBook { quorum: book.quorum.approvals(), adopted: book.adopted })
    }

    pub(super) async fn propose_rule(
        &self,
        req: &proto::ProposeRuleRequest,
    ) -> Result<proto::RemunerationRule, ServerError> {
        let request_id = convert::request_id(&req.request_id)?;
        let unit = convert::unit_code("unit", &req.unit)?;
        let scale = convert::requested_unit(self.ctx.store.as_ref(), &unit).await?.scale;
        let terms = req.terms.as_ref().ok_or_else(|| ServerError::invalid("MISSING_FIELD", "terms is required"))?;
        let rule = convert::rules::rule(terms, scale)?;
        let signed = self.signed(request_id, Command::ProposeRule { unit, rule }, &req.signatures)?;
        submit(&self.ctx, signed).await?;
        self.rule_after_commit(RuleId::from_uuid(request_id.uuid())).await
    }

    pub(super) async fn approve_rule(
        &self,
        req: &proto::ApproveRuleRequest,
    ) -> Result<proto::RemunerationRule, ServerError> {
        let request_id = convert::request_id(&req.request_id)?;
        let rule = rule_name("rule", &req.rule)?;
        let signed = self.signed(request_id, Command::ApproveRule { rule }, &req.signatures)?;
        submit(&self.ctx, signed).await?;
        self.rule_after_commit(rule).await
    }

    pub(super) async fn get_rule(
        &self,
        metadata: &MetadataMap,
        req: &proto::GetRuleRequest,
    ) -> Result<proto::RemunerationRule, ServerError> {
        authenticate_read(&self.ctx, metadata, method::GET_RULE).await?;
        let id = rule_name("name", &req.name)?;
        let record = self.ctx.store.rule(id).await?.ok_or(Refusal::UnknownRule(id))?;
        self.rule_message(&record).await
    }

    pub(super) async fn list_rules(
        &self,
        metadata: &MetadataMap,
        req: &proto::ListRulesRequest,
    ) -> Result<proto::ListRulesResponse, ServerError> {
        authenticate_read(&self.ctx, metadata, method::LIST_RULES).await?;
        let size = convert::page_size(req.page_size, &self.ctx.limits)?;
        let after = convert::page_start(&req.page_token, "rules/")?
            .map(|id| RuleId::parse(&id).map_err(|_| convert::bad_page_token()))
            .transpose()?;
        let store = self.ctx.store.as_ref();
        let mut records = store.rules(after, convert::fetch_limit(size)).await?;
        let more = records.len() > size as usize;
        records.truncate(size as usize);
        let next_page_token = match (more, records.last()) {
            (true, Some(last)) => convert::page_token(&format!("rules/{}", last.id)),
            _ => String::new(),
        };
        let book = store.rule_book().await?;
        let mut rules = Vec::with_capacity(records.len());
        for record in &records {
            let scale = convert::stored_scale(store, &record.unit).await?;
            rules.push(rule_message(record, scale, book.quorum));
        }
        let rule_book = Some(proto::RuleBook { quorum: book.quorum.approvals(), adopted: book.adopted });
        Ok(proto::ListRulesResponse { rules, next_page_token, rule_book })
    }

    /// The dry run: reads the fund, every rule, the period's declarations and their contributors'
    /// accounts, and plans. Not one snapshot (a dry run only informs): a proposal is planned
    /// again inside the writer and refused unless it is the plan its treasurer signed.
    pub(super) async fn plan_distribution(
        &self,
        metadata: &MetadataMap,
        req: &proto::PlanDistributionRequest,
    ) -> Result<proto::DistributionPlan, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::PLAN_DISTRIBUTION).await?;
        reader.require_reads_all()?;
        let unit = convert::unit_name("unit", &req.unit)?;
        let period = convert::rules::period("period", &req.period)?;
        let store = self.ctx.store.as_ref();
        let scale = convert::requested_unit(store, &unit).await?.scale;
        let fund_handle = Handle::fund_of(&unit);
        let fund =
            store.account(&fund_handle).await?.ok_or_else(|| missing_after_commit(format!("fund {fund_handle}")))?;

        let mut rules: Vec<RuleRecord> = Vec::new();
        let mut after = None;
        loop {
            let page = store.rules(after, PLAN_LOAD_BATCH).await?;
            let complete = page.len() < PLAN_LOAD_BATCH as usize;
            after = page.last().map(|record| record.id);
            rules.extend(page);
            if complete || rules.len() > RULES_MAX {
                break;
            }
        }
        if rules.len() > RULES_MAX {
            return Err(precondition("DISTRIBUTION_TOO_LARGE", format!("more than {RULES_MAX} rules to read")));
        }

        let filter = DeclarationFilter { period: Some(period), ..Default::default() };
        let mut declarations = Vec::new();
        let mut after = None;
        loop {
            let page = store.declarations(&filter, after, PLAN_LOAD_BATCH).await?;
            let complete = page.len() < PLAN_LOAD_BATCH as usize;
            after = page.last().map(|declaration| declaration.id);
            declarations.extend(page);
            if complete || declarations.len() > DECLARATIONS_MAX {
                break;
            }
        }
        let contributors: BTreeSet<Handle> = declarations
            .iter()
            .filter(|declaration| declaration.status == DeclarationStatus::Validated)
            .map(|declaration| declaration.contributor.clone())
            .collect();
        let mut accounts = BTreeMap::new();
        for handle in contributors {
            if let Some(account) = store.account(&handle).await? {
                accounts.insert(handle, account);
            }
        }
        let planned = tokio::task::spawn_blocking(move || {
            plan(&PlanInput {
                unit: &unit,
                period,
                fund: &fund,
                rules: &rules,
                declarations: &declarations,
                accounts: &accounts,
            })
            .map(|plan| (plan, unit))
        })
        .await
        .map_err(|error| ServerError::Unavailable(format!("the distribution plan did not finish: {error}")))?;
        let (planned, unit) = planned.map_err(|error| match error {
            PlanError::NoRuleInForce(_) => precondition("NO_RULE_IN_FORCE", error.to_string()),
            PlanError::NotTheFund(_) => missing_after_commit(error),
            PlanError::Allocation(allocation) => precondition("DISTRIBUTION_NOT_PLANNED", allocation.to_string()),
        })?;
        Ok(plan_message(&planned, unit.as_str(), scale))
    }

    async fn rule_message(&self, record: &RuleRecord) -> Result<proto::RemunerationRule, ServerError> {
        let store = self.ctx.store.as_ref();
        let scale = convert::stored_scale(store, &record.unit).await?;
        let book = store.rule_book().await?;
        Ok(rule_message(record, scale, book.quorum))
    }

    async fn rule_after_commit(&self, id: RuleId) -> Result<proto::RemunerationRule, ServerError> {
        let record = self.ctx.store.rule(id).await?.ok_or_else(|| missing_after_commit(format!("rule {id}")))?;
        self.rule_message(&record).await
    }
}

fn precondition(reason: &'static str, message: impl Into<String>) -> ServerError {
    ServerError::FailedPrecondition { reason, message: message.into() }
}
