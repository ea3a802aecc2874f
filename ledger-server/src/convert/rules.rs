//! Proto ⇄ ledger-core conversion for the rule book and the distribution dry run: rule terms
//! validated field by field with precise `INVALID_ARGUMENT` reasons, amounts parsed and formatted
//! at the scale of the rule's unit, percentages with two decimals, weights in thousandths.

use std::collections::BTreeMap;

use ledger_core::amount::{Amount, Scale, format_minor};
use ledger_core::chamber::{
    BasisPoints, Category, Period, Plan, Quorum, Rule, RuleRecord, RuleTerms, Weight, Withheld, lines_digest,
};
use ledger_core::names::RuleId;

use super::{invalid, optional_amount, required};
use crate::error::ServerError;
use crate::proto;

/// A rule's resource name `rules/{id}`, or the bare id.
pub fn rule_name(field: &str, text: &str) -> Result<RuleId, ServerError> {
    let text = required(field, text)?;
    let id = text.strip_prefix("rules/").unwrap_or(text);
    RuleId::parse(id).map_err(|error| invalid("INVALID_RULE_ID", field, error))
}

/// A quorum: 1 to [`Quorum::MAX`].
pub fn quorum(approvals: u32) -> Result<Quorum, ServerError> {
    Quorum::new(approvals).map_err(|error| invalid("INVALID_QUORUM", "quorum", error))
}

/// A period `YYYY-MM`.
pub fn period(field: &str, text: &str) -> Result<Period, ServerError> {
    Period::parse(required(field, text)?).map_err(|error| invalid("INVALID_PERIOD", field, error))
}

fn percent(field: &str, text: &str) -> Result<BasisPoints, ServerError> {
    BasisPoints::parse_percent(required(field, text)?).map_err(|error| invalid("INVALID_PERCENT", field, error))
}

/// Rule terms from the wire, checked like any proposed rule (`INVALID_RULE` names what is wrong).
pub fn rule(wire: &proto::RuleTerms, scale: Scale) -> Result<Rule, ServerError> {
    let mut weights = BTreeMap::new();
    for (index, pair) in wire.weights.iter().enumerate() {
        let field = format!("terms.weights[{index}]");
        let category = Category::parse(&pair.category).map_err(|error| invalid("INVALID_CATEGORY", &field, error))?;
        let weight = Weight::parse(&pair.weight).map_err(|error| invalid("INVALID_WEIGHT", &field, error))?;
        if weights.insert(category.clone(), weight).is_some() {
            return Err(invalid("INVALID_RULE", &field, format!("category {category} is weighed twice")));
        }
    }
    let terms = RuleTerms {
        effective_from: period("terms.effective_from", &wire.effective_from)?,
        pool_share: percent("terms.pool_share", &wire.pool_share)?,
        pool_fixed: optional_amount("terms.pool_fixed", &wire.pool_fixed, scale)?,
        reserve_share: percent("terms.reserve_share", &wire.reserve_share)?,
        weights,
        cap_per_unit: optional_amount("terms.cap_per_unit", &wire.cap_per_unit, scale)?,
        cap_per_contributor: optional_amount("terms.cap_per_contributor", &wire.cap_per_contributor, scale)?,
        minimum_payout: optional_amount("terms.minimum_payout", &wire.minimum_payout, scale)?,
    };
    Rule::new(terms).map_err(|error| invalid("INVALID_RULE", "terms", error))
}

/// A percentage with two decimals, as [`BasisPoints::parse_percent`] reads it: `"12.50"`.
pub fn percent_text(rate: BasisPoints) -> String {
    format!("{}.{:02}", rate.points() / 100, rate.points() % 100)
}

fn optional_text(amount: Option<Amount>, scale: Scale) -> String {
    amount.map(|amount| amount.format(scale)).unwrap_or_default()
}

/// Rule terms as sent.
pub fn terms_message(rule: &Rule, scale: Scale) -> proto::RuleTerms {
    let terms = rule.terms();
    proto::RuleTerms {
        effective_from: terms.effective_from.to_string(),
        pool_share: percent_text(terms.pool_share),
        pool_fixed: optional_text(terms.pool_fixed, scale),
        reserve_share: percent_text(terms.reserve_share),
        weights: terms
            .weights
            .iter()
            .map(|(category, weight)| proto::CategoryWeight { category: category.to_string(), weight: weight.format() })
            .collect(),
        cap_per_unit: optional_text(terms.cap_per_unit, scale),
        cap_per_contributor: optional_text(terms.cap_per_contributor, scale),
        minimum_payout: optional_text(terms.minimum_payout, scale),
    }
}

/// A rule as sent, with the quorum in force now.
pub fn rule_message(record: &RuleRecord, scale: Scale, quorum: Quorum) -> proto::RemunerationRule {
    proto::RemunerationRule {
        id: record.id.to_string(),
        unit: record.unit.to_string(),
        terms: Some(terms_message(&record.rule, scale)),
        proposer: record.proposer.to_string(),
        approvals: record.approvals.iter().map(ToString::to_string).collect(),
        status: record.status().as_str().to_owned(),
        version: record.version.unwrap_or(0),
        quorum: quorum.approvals(),
    }
}

fn withheld_message(withheld: &Withheld, scale: Scale) -> proto::Withheld {
    let text = |minor: i64| format_minor(i128::from(minor), scale);
    proto::Withheld {
        cap_per_unit: text(withheld.cap_per_unit),
        cap_per_contributor: text(withheld.cap_per_contributor),
        account_ceiling: text(withheld.account_ceiling),
        minimum_payout: text(withheld.minimum_payout),
        total: text(withheld.total()),
    }
}

/// A planned distribution as sent.
pub fn plan_message(plan: &Plan, unit: &str, scale: Scale) -> proto::DistributionPlan {
    let text = |minor: i64| format_minor(i128::from(minor), scale);
    let allocation = &plan.allocation;
    let named = |totals: Vec<(String, i64)>| {
        totals.into_iter().map(|(name, amount)| proto::NamedTotal { name, amount: text(amount) }).collect()
    };
    proto::DistributionPlan {
        unit: unit.to_owned(),
        period: allocation.period.to_string(),
        rule: plan.rule.to_string(),
        rule_version: plan.version,
        fund_balance: text(allocation.pool.fund_balance),
        reserve: text(allocation.pool.reserve),
        pool_by_share: text(allocation.pool.by_share),
        pool_fixed: text(allocation.pool.fixed),
        pool: text(allocation.pool.amount),
        lines: allocation.lines.iter().map(|line| super::distribution::line_message(line, scale)).collect(),
        skipped: allocation
            .skipped
            .iter()
            .map(|skipped| proto::SkippedDeclaration {
                declaration: skipped.declaration.to_string(),
                reason: skipped.reason.as_str().to_owned(),
            })
            .collect(),
        contributors: allocation
            .by_contributor
            .iter()
            .map(|(handle, total)| proto::ContributorTotal {
                contributor: handle.to_string(),
                share: text(total.share),
                amount: text(total.amount),
                withheld: Some(withheld_message(&total.withheld, scale)),
            })
            .collect(),
        by_commons: named(allocation.by_commons.iter().map(|(name, amount)| (name.to_string(), *amount)).collect()),
        by_category: named(allocation.by_category.iter().map(|(name, amount)| (name.to_string(), *amount)).collect()),
        distributed: text(allocation.distributed),
        withheld: Some(withheld_message(&allocation.withheld, scale)),
        unallocated: text(allocation.unallocated),
        fund_after: text(allocation.fund_after),
        lines_digest: hex::encode(lines_digest(&allocation.lines)),
    }
}
