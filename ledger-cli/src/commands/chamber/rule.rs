//! `ledgerctl chamber quorum set|show` and `chamber rule propose|approve|list|show`: the rule
//! book. The admin sets how many treasurers' approvals adopt a rule (1 until set); a treasurer
//! proposes a rule from a TOML file (`rule_file`), which counts as its first approval; other
//! treasurers approve it, each once.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use ledger_core::chamber::Quorum;
use ledger_core::command::Command;
use ledger_core::names::{RequestId, RuleId};
use serde::Serialize;

use super::super::{Context, fetch_unit, fresh_request_id, parse};
use super::rule_file::{self, RULE_FILE_BYTES_MAX};
use crate::error::CliError;
use crate::output::Render;
use crate::proto;
use crate::table::{Align, Table};

/// The page size asked for when listing; the server may send fewer.
const LIST_PAGE_SIZE: i32 = 200;
/// The most pages `rule list` follows.
const LIST_PAGES_MAX: usize = 1_000;

/// `chamber quorum`.
#[derive(Debug, Subcommand)]
pub enum QuorumCommand {
    /// Sets how many distinct treasurers' approvals adopt a rule from now on (admin).
    Set(SetQuorumArgs),
    /// Shows the quorum and how many rules have been adopted.
    Show,
}

/// `chamber quorum set`.
#[derive(Debug, Args)]
pub struct SetQuorumArgs {
    /// Approvals needed: 1 to 16.
    #[arg(value_parser = quorum)]
    approvals: Quorum,
}

fn quorum(text: &str) -> Result<Quorum, String> {
    let approvals: u32 = text.parse().map_err(|_| format!("{text:?} is not a whole number"))?;
    Quorum::new(approvals).map_err(|error| error.to_string())
}

/// `chamber rule`.
#[derive(Debug, Subcommand)]
pub enum RuleCommand {
    /// Proposes the rule in a TOML file (treasurer); the proposal is its first approval.
    Propose(ProposeArgs),
    /// Approves a proposed rule (another treasurer); the approval reaching the quorum adopts it.
    Approve(ApproveArgs),
    /// Lists the rules: status, version, effective period, approvals and the quorum.
    List,
    /// Shows one rule's terms.
    Show(ShowRuleArgs),
}

/// `chamber rule propose`.
#[derive(Debug, Args)]
pub struct ProposeArgs {
    /// The rule file (TOML; see README): unit, effective_from, shares, weights, caps.
    file: PathBuf,
    /// The rule id (a UUID); sending it again returns the first result. Default: fresh.
    #[arg(long, value_name = "UUID", value_parser = parse::request_id)]
    id: Option<RequestId>,
}

/// `chamber rule approve`.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The rule's id.
    #[arg(value_parser = RuleId::parse)]
    rule: RuleId,
    /// The request id (a UUID), to retry an approval whose answer was lost. Default: fresh.
    #[arg(long, value_name = "UUID", value_parser = parse::request_id)]
    id: Option<RequestId>,
}

/// `chamber rule show`.
#[derive(Debug, Args)]
pub struct ShowRuleArgs {
    /// The rule's id.
    #[arg(value_parser = RuleId::parse)]
    rule: RuleId,
}

/// The rule book's settings as printed.
#[derive(Debug, Serialize)]
pub struct RuleBookView {
    quorum: u32,
    adopted: u32,
}

impl Render for RuleBookView {
    fn table(&self) -> String {
        format!("quorum   {} approvals\nadopted  {} rules", self.quorum, self.adopted)
    }
}

/// A category's weight as printed.
#[derive(Debug, Serialize)]
pub struct WeightView {
    category: String,
    weight: String,
}

/// A rule as printed.
#[derive(Debug, Serialize)]
pub struct RuleView {
    id: String,
    unit: String,
    status: String,
    /// Order of adoption; null while proposed.
    version: Option<u32>,
    effective_from: String,
    pool_share: String,
    pool_fixed: String,
    reserve_share: String,
    weights: Vec<WeightView>,
    cap_per_unit: String,
    cap_per_contributor: String,
    minimum_payout: String,
    proposer: String,
    approvals: Vec<String>,
    quorum: u32,
}

impl From<proto::RemunerationRule> for RuleView {
    fn from(rule: proto::RemunerationRule) -> Self {
        let terms = rule.terms.unwrap_or_default();
        Self {
            id: rule.id,
            unit: rule.unit,
            status: rule.status,
            version: (rule.version > 0).then_some(rule.version),
            effective_from: terms.effective_from,
            pool_share: terms.pool_share,
            pool_fixed: terms.pool_fixed,
            reserve_share: terms.reserve_share,
            weights: terms.weights.into_iter().map(|w| WeightView { category: w.category, weight: w.weight }).collect(),
            cap_per_unit: terms.cap_per_unit,
            cap_per_contributor: terms.cap_per_contributor,
            minimum_payout: terms.minimum_payout,
            proposer: rule.proposer,
            approvals: rule.approvals,
            quorum: rule.quorum,
        }
    }
}

fn or_none(text: &str) -> &str {
    if text.is_empty() { "none" } else { text }
}

impl Render for RuleView {
    fn table(&self) -> String {
        let version = self.version.map_or_else(|| "-".to_owned(), |v| v.to_string());
        let weights: Vec<String> = self.weights.iter().map(|w| format!("{} {}", w.category, w.weight)).collect();
        [
            format!("rule                 {}", self.id),
            format!("status               {} (version {version})", self.status),
            format!("approvals            {} of {}: {}", self.approvals.len(), self.quorum, self.approvals.join(", ")),
            format!("fund                 {}", self.unit),
            format!("effective from       {}", self.effective_from),
            format!("pool                 {}% of the fund + {}", self.pool_share, or_none(&self.pool_fixed)),
            format!("reserve              {}% of the fund", self.reserve_share),
            format!("weights              {}", weights.join(", ")),
            format!("cap per unit         {}", or_none(&self.cap_per_unit)),
            format!("cap per contributor  {}", or_none(&self.cap_per_contributor)),
            format!("minimum payout       {}", or_none(&self.minimum_payout)),
        ]
        .join("\n")
    }
}

/// The rule book as printed by `rule list`.
#[derive(Debug, Serialize)]
pub struct RulesView {
    quorum: u32,
    adopted: u32,
    /// Adopted rules by version, then proposed ones by id.
    rules: Vec<RuleView>,
}

impl Render for RulesView {
    fn table(&self) -> String {
        let mut table = Table::new(&[
            ("RULE", Align::Left),
            ("UNIT", Align::Left),
            ("STATUS", Align::Left),
            ("VERSION", Align::Right),
            ("EFFECTIVE", Align::Left),
            ("APPROVALS", Align::Right),
        ]);
        for rule in &self.rules {
            table.row(vec![
                rule.id.clone(),
                rule.unit.clone(),
                rule.status.clone(),
                rule.version.map_or_else(|| "-".to_owned(), |v| v.to_string()),
                rule.effective_from.clone(),
                format!("{}/{}", rule.approvals.len(), self.quorum),
            ]);
        }
        format!("quorum: {} approvals, {} rules adopted\n{}", self.quorum, self.adopted, table.render())
    }
}

/// Runs a `quorum` verb.
pub async fn run_quorum(command: QuorumCommand, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let book = match command {
        QuorumCommand::Set(args) => {
            let signed = client.sign(fresh_request_id(), Command::SetQuorum { quorum: args.approvals });
            let request = proto::SetQuorumRequest {
                request_id: signed.request_id,
                quorum: args.approvals.approvals(),
                signatures: signed.signatures,
            };
            client.chamber_commands().set_quorum(request).await?.into_inner()
        }
        QuorumCommand::Show => {
            let request = proto::ListRulesRequest { page_size: 1, page_token: String::new() };
            client.chamber().list_rules(request).await?.into_inner().rule_book.unwrap_or_default()
        }
    };
    ctx.emit(&RuleBookView { quorum: book.quorum, adopted: book.adopted })
}

/// Runs a `rule` verb.
pub async fn run(command: RuleCommand, ctx: &Context) -> Result<(), CliError> {
    match command {
        RuleCommand::Propose(args) => propose(args, ctx).await,
        RuleCommand::Approve(args) => approve(args, ctx).await,
        RuleCommand::List => list(ctx).await,
        RuleCommand::Show(args) => {
            let client = ctx.connect().await?;
            let name = args.rule.to_string();
            let rule = client.chamber().get_rule(proto::GetRuleRequest { name }).await?.into_inner();
            ctx.emit(&RuleView::from(rule))
        }
    }
}

/// Reads the file (bounded), checks what needs no server, then reads the amounts at the unit's
/// scale: every problem with the file is a usage error naming its key.
async fn propose(args: ProposeArgs, ctx: &Context) -> Result<(), CliError> {
    let shown = args.file.display().to_string();
    let bad = |what: String| CliError::Usage(format!("{shown}: {what}"));
    let file = std::fs::File::open(&args.file).map_err(|error| bad(format!("cannot read it: {error}")))?;
    let mut text = String::new();
    file.take(RULE_FILE_BYTES_MAX + 1)
        .read_to_string(&mut text)
        .map_err(|error| bad(format!("cannot read it: {error}")))?;
    if text.len() as u64 > RULE_FILE_BYTES_MAX {
        return Err(bad(format!("larger than {RULE_FILE_BYTES_MAX} bytes")));
    }
    let parsed = rule_file::parse(&text).map_err(bad)?;
    let client = ctx.connect().await?;
    let (_, scale) = fetch_unit(&client, &parsed.unit).await?;
    let rule = parsed.rule(scale).map_err(bad)?;
    let terms = terms_message(&rule, scale);
    let unit = parsed.unit;
    let signed =
        client.sign(args.id.unwrap_or_else(fresh_request_id), Command::ProposeRule { unit: unit.clone(), rule });
    let request = proto::ProposeRuleRequest {
        request_id: signed.request_id,
        unit: unit.to_string(),
        terms: Some(terms),
        signatures: signed.signatures,
    };
    let proposed = client.chamber_commands().propose_rule(request).await?.into_inner();
    ctx.emit(&RuleView::from(proposed))
}

/// The terms as the server reads them back into the same rule.
pub(crate) fn terms_message(rule: &ledger_core::chamber::Rule, scale: ledger_core::amount::Scale) -> proto::RuleTerms {
    let terms = rule.terms();
    let percent =
        |rate: ledger_core::chamber::BasisPoints| format!("{}.{:02}", rate.points() / 100, rate.points() % 100);
    let amount = |amount: Option<ledger_core::amount::Amount>| amount.map(|a| a.format(scale)).unwrap_or_default();
    proto::RuleTerms {
        effective_from: terms.effective_from.to_string(),
        pool_share: percent(terms.pool_share),
        pool_fixed: amount(terms.pool_fixed),
        reserve_share: percent(terms.reserve_share),
        weights: terms
            .weights
            .iter()
            .map(|(category, weight)| proto::CategoryWeight { category: category.to_string(), weight: weight.format() })
            .collect(),
        cap_per_unit: amount(terms.cap_per_unit),
        cap_per_contributor: amount(terms.cap_per_contributor),
        minimum_payout: amount(terms.minimum_payout),
    }
}

async fn approve(args: ApproveArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let signed = client.sign(args.id.unwrap_or_else(fresh_request_id), Command::ApproveRule { rule: args.rule });
    let request = proto::ApproveRuleRequest {
        request_id: signed.request_id,
        rule: args.rule.to_string(),
        signatures: signed.signatures,
    };
    let approved = client.chamber_commands().approve_rule(request).await?.into_inner();
    ctx.emit(&RuleView::from(approved))
}

async fn list(ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let mut rules = Vec::new();
    let mut page_token = String::new();
    for _ in 0..LIST_PAGES_MAX {
        let request = proto::ListRulesRequest { page_size: LIST_PAGE_SIZE, page_token: page_token.clone() };
        let page = client.chamber().list_rules(request).await?.into_inner();
        rules.extend(page.rules.into_iter().map(RuleView::from));
        if page.next_page_token.is_empty() {
            let book = page.rule_book.unwrap_or_default();
            // Adopted rules in adoption order, then those still proposed.
            rules.sort_by(|a, b| (a.version.is_none(), a.version, &a.id).cmp(&(b.version.is_none(), b.version, &b.id)));
            return ctx.emit(&RulesView { quorum: book.quorum, adopted: book.adopted, rules });
        }
        if page.next_page_token == page_token {
            return Err(CliError::Failed("the server sent the same page token twice".into()));
        }
        page_token = page.next_page_token;
    }
    Err(CliError::Failed(format!("the list of rules did not end after {LIST_PAGES_MAX} pages")))
}
