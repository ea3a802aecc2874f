//! Steps 7–8: members declare work for the commons, each signed by the contributor and decided
//! by a steward of that commons with their own key; then the treasurer proposes the
//! remuneration rule for the unit from the period (adopted at once while the quorum is 1).

use std::collections::BTreeMap;

use ledger_core::chamber::{
    BasisPoints, Category, CommonsName, Decision, Note, Quantity, Rule, RuleTerms, Weight, decision_id,
};
use ledger_core::command::Command;
use ledger_core::names::{DeclarationId, Handle};
use serde::Serialize;

use super::Demo;
use super::community::{RULE, Verdict, WORK, Work};
use crate::commands::chamber::rule::terms_message;
use crate::commands::fresh_request_id;
use crate::error::CliError;
use crate::proto;

/// A declaration and the steward's decision.
#[derive(Debug, Serialize)]
pub struct DeclarationReport {
    id: String,
    contributor: String,
    commons: String,
    category: String,
    quantity: String,
    note: String,
    /// The steward who decided.
    steward: String,
    /// validated or refused.
    status: String,
}

/// The rule as proposed.
#[derive(Debug, Serialize)]
pub struct RuleReport {
    /// The rule's id.
    pub id: String,
    /// adopted, or proposed while other treasurers' approvals are needed.
    pub status: String,
    /// Order of adoption; none while proposed.
    version: Option<u32>,
    effective_from: String,
    pool_share: String,
    reserve_share: String,
    approvals: Vec<String>,
    /// Approvals that adopt a rule.
    quorum: u32,
}

/// Step 7: every declaration of the community's work, each then validated or refused.
pub async fn declarations(demo: &Demo) -> Result<Vec<DeclarationReport>, CliError> {
    let mut reports = Vec::new();
    for work in WORK {
        let id = declare(demo, work).await?;
        let decided = decide(demo, work, id).await?;
        reports.push(DeclarationReport {
            id: decided.id,
            contributor: decided.contributor,
            commons: decided.commons,
            category: decided.category,
            quantity: decided.quantity,
            note: decided.note,
            steward: work.steward.to_owned(),
            status: decided.status,
        });
    }
    let validated = reports.iter().filter(|d| d.status == "validated").count();
    let refused: Vec<String> = reports
        .iter()
        .filter(|d| d.status == "refused")
        .map(|d| format!("{}'s at {} by {}", d.contributor, d.commons, d.steward))
        .collect();
    demo.say(&format!(
        "7. declarations for {}: {} declared, {validated} validated by their stewards, {} refused ({})",
        demo.period,
        reports.len(),
        refused.len(),
        refused.join(", ")
    ))?;
    Ok(reports)
}

/// Declares `work`, signed by its contributor; returns the declaration's id.
async fn declare(demo: &Demo, work: &Work) -> Result<DeclarationId, CliError> {
    let valid = "the community's work is valid (see its tests)";
    let contributor = Handle::parse(work.contributor).expect(valid);
    let commons = CommonsName::parse(work.commons).expect(valid);
    let category = Category::parse(work.category).expect(valid);
    let quantity = Quantity::parse(work.hours).expect(valid);
    let note = Note::parse(work.note).expect(valid);
    let request = proto::DeclareRequest {
        request_id: String::new(),
        contributor: contributor.to_string(),
        commons: commons.to_string(),
        category: category.to_string(),
        quantity: quantity.format(),
        period: demo.period.to_string(),
        note: note.as_str().to_owned(),
        signatures: Vec::new(),
    };
    let command = Command::Declare { contributor, commons, category, quantity, period: demo.period, note };
    let client = demo.holder(work.contributor);
    let request_id = fresh_request_id();
    let signed = client.sign(request_id, command);
    let request = proto::DeclareRequest { request_id: signed.request_id, signatures: signed.signatures, ..request };
    client.chamber_commands().declare(request).await?;
    Ok(DeclarationId::from_uuid(request_id.uuid()))
}

/// The steward's decision on a declaration, signed with the steward's key.
async fn decide(demo: &Demo, work: &Work, declaration: DeclarationId) -> Result<proto::Declaration, CliError> {
    let commons = CommonsName::parse(work.commons).expect("the community's commons are valid (see its tests)");
    let (decision, command) = match work.verdict {
        Verdict::Validate => {
            (Decision::Validate, Command::ValidateDeclaration { declaration, commons: commons.clone() })
        }
        Verdict::Refuse => (Decision::Refuse, Command::RefuseDeclaration { declaration, commons: commons.clone() }),
    };
    let steward = demo.holder(work.steward);
    let signed = steward.sign(decision_id(declaration, decision), command);
    let request = proto::DecideDeclarationRequest {
        request_id: signed.request_id,
        declaration: declaration.to_string(),
        commons: commons.to_string(),
        signatures: signed.signatures,
    };
    let chamber = steward.chamber_commands();
    let decided = match decision {
        Decision::Validate => chamber.clone().validate_declaration(request).await?,
        Decision::Refuse => chamber.clone().refuse_declaration(request).await?,
    }
    .into_inner();
    Ok(decided)
}

/// The community's rule for the demo unit, in force from the period.
fn community_rule(demo: &Demo) -> Rule {
    let valid = "the community's rule is valid (see its tests)";
    let weights: BTreeMap<Category, Weight> = RULE
        .weights
        .iter()
        .map(|(category, weight)| (Category::parse(category).expect(valid), Weight::parse(weight).expect(valid)))
        .collect();
    let terms = RuleTerms {
        effective_from: demo.period,
        pool_share: BasisPoints::parse_percent(RULE.pool_share).expect(valid),
        pool_fixed: None,
        reserve_share: BasisPoints::parse_percent(RULE.reserve_share).expect(valid),
        weights,
        cap_per_unit: Some(demo.amount(RULE.cap_per_unit)),
        cap_per_contributor: Some(demo.amount(RULE.cap_per_contributor)),
        minimum_payout: Some(demo.amount(RULE.minimum_payout)),
    };
    Rule::new(terms).expect(valid)
}

/// Step 8: the treasurer proposes the rule; the proposal is its first approval, which adopts it
/// while the quorum is 1.
pub async fn rule(demo: &Demo) -> Result<RuleReport, CliError> {
    let rule = community_rule(demo);
    let terms = terms_message(&rule, demo.scale);
    let signed = demo.admin.sign(fresh_request_id(), Command::ProposeRule { unit: demo.unit.clone(), rule });
    let proposed = demo
        .admin
        .chamber_commands()
        .propose_rule(proto::ProposeRuleRequest {
            request_id: signed.request_id,
            unit: demo.unit.to_string(),
            terms: Some(terms),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    let terms = proposed.terms.unwrap_or_default();
    let report = RuleReport {
        id: proposed.id,
        status: proposed.status,
        version: (proposed.version > 0).then_some(proposed.version),
        effective_from: terms.effective_from,
        pool_share: terms.pool_share,
        reserve_share: terms.reserve_share,
        approvals: proposed.approvals,
        quorum: proposed.quorum,
    };
    let weights: Vec<String> = terms.weights.iter().map(|w| format!("{} {}", w.category, w.weight)).collect();
    let outcome = match report.version {
        Some(version) => format!("adopted at once (quorum {}), version {version}", report.quorum),
        None => format!(
            "awaiting {} more treasurers' approval (chamber rule approve {})",
            report.quorum.saturating_sub(u32::try_from(report.approvals.len()).unwrap_or(u32::MAX)),
            report.id
        ),
    };
    demo.say(&format!(
        "8. rule {} proposed, {outcome}: from {}, {}% of the fund shared, {}% kept, weights {}",
        report.id,
        report.effective_from,
        report.pool_share,
        report.reserve_share,
        weights.join(", ")
    ))?;
    Ok(report)
}
