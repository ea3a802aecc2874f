//! Steps 5–6: the businesses' agreements from the period, then the period's trade: payments
//! (those to a business carry its levy to the fund in the same entry), a request accepted, a
//! one-off contribution, and the collect of the recurring contribution. Every figure the fund
//! received is summed exactly, in minor units, and set beside the fund's balance.

use ledger_core::amount::{Amount, format_minor};
use ledger_core::chamber::{Agreement, BasisPoints};
use ledger_core::command::Command;
use ledger_core::names::{Handle, Memo, RequestId};
use ledger_core::transfer::{Answer, answer_id};
use serde::Serialize;

use super::Demo;
use super::community::{BUSINESSES, Exchange, GIFT, PAYMENTS, REQUEST};
use crate::commands::{fresh_request_id, server_amount};
use crate::error::CliError;
use crate::proto;

/// How long the demo's request stays open: it is accepted at once, so a day is plenty.
const REQUEST_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

/// An agreement as set.
#[derive(Debug, Serialize)]
pub struct AgreementReport {
    business: String,
    /// Percent with two decimals.
    levy_percent: String,
    /// Per period; none if absent.
    recurring: Option<String>,
    effective_from: String,
}

/// A payment, or a request once accepted.
#[derive(Debug, Serialize)]
pub struct TransferReport {
    /// The transfer id.
    id: String,
    payer: String,
    payee: String,
    amount: String,
    memo: String,
    /// The levy it carried to the fund (a payment to a business).
    levy: Option<String>,
}

/// A contribution to the fund.
#[derive(Debug, Serialize)]
pub struct ContributionReport {
    /// The transfer id.
    id: String,
    business: String,
    amount: String,
    /// one-off or recurring.
    kind: &'static str,
}

/// What the fund received, summed from the transfers above, and its balance read afterwards.
#[derive(Debug, Serialize)]
pub struct FundReport {
    account: String,
    levies: String,
    contributions: String,
    /// levies + contributions.
    total: String,
    balance: String,
}

/// Step 6's report.
#[derive(Debug, Serialize)]
pub struct TradeReport {
    payments: Vec<TransferReport>,
    /// The request, accepted by its payer.
    request: TransferReport,
    contributions: Vec<ContributionReport>,
    fund: FundReport,
}

/// Step 5: each business's agreement, in effect from the period.
pub async fn agreements(demo: &Demo) -> Result<Vec<AgreementReport>, CliError> {
    let mut reports = Vec::new();
    for business in BUSINESSES {
        let handle = Handle::parse(business.handle).expect("the community's handles are valid (see its tests)");
        let levy = BasisPoints::parse_percent(business.levy_percent).expect("the community's levies are valid");
        let recurring = business.recurring.map(|text| demo.amount(text));
        let agreement = Agreement::new(handle.clone(), levy, recurring, demo.period)
            .expect("every business of the community levies or contributes");
        let signed = demo.admin.sign(fresh_request_id(), Command::SetAgreement { agreement });
        let set = demo
            .admin
            .chamber_commands()
            .set_agreement(proto::SetAgreementRequest {
                request_id: signed.request_id,
                business: handle.to_string(),
                levy_basis_points: levy.points(),
                recurring: recurring.map(|amount| demo.format(amount)).unwrap_or_default(),
                effective_from: demo.period.to_string(),
                signatures: signed.signatures,
            })
            .await?
            .into_inner();
        reports.push(AgreementReport {
            business: set.business,
            levy_percent: set.levy_percent,
            recurring: (!set.recurring.is_empty()).then_some(set.recurring),
            effective_from: set.effective_from,
        });
    }
    let terms: Vec<String> = reports
        .iter()
        .map(|a| match &a.recurring {
            Some(recurring) => format!("{} levies {}% and gives {recurring} a month", a.business, a.levy_percent),
            None => format!("{} levies {}%", a.business, a.levy_percent),
        })
        .collect();
    demo.say(&format!("5. agreements from {}: {}", demo.period, terms.join("; ")))?;
    Ok(reports)
}

/// Step 6: the payments, the request, the one-off contribution and the collect.
pub async fn exchanges(demo: &Demo) -> Result<TradeReport, CliError> {
    let mut payments = Vec::new();
    for exchange in PAYMENTS {
        payments.push(pay(demo, exchange).await?);
    }
    let request = request_and_accept(demo, &REQUEST).await?;
    let mut contributions = vec![contribute(demo).await?];
    contributions.extend(collect(demo).await?);

    // Exact sums in minor units of what this run moved to the fund.
    let minor =
        |text: &str| -> Result<i128, CliError> { Ok(i128::from(server_amount("amount", text, demo.scale)?.minor())) };
    let mut levies: i128 = 0;
    for levy in payments.iter().chain([&request]).filter_map(|t| t.levy.as_deref()) {
        levies += minor(levy)?;
    }
    let mut contributed: i128 = 0;
    for contribution in &contributions {
        contributed += minor(&contribution.amount)?;
    }
    let fund_account = Handle::fund_of(&demo.unit).to_string();
    let balance = demo
        .admin
        .accounts()
        .get_balance(proto::GetBalanceRequest { name: fund_account.clone() })
        .await?
        .into_inner()
        .balance;
    // The unit is the demo's own (the preflight found it free), so its fund holds exactly what
    // this run moved there; anything else means the figures printed would be wrong.
    if i128::from(server_amount("fund balance", &balance, demo.scale)?.minor()) != levies + contributed {
        return Err(CliError::Failed(format!(
            "{fund_account} holds {balance}, not the {} this run moved to it",
            format_minor(levies + contributed, demo.scale)
        )));
    }
    let fund = FundReport {
        account: fund_account,
        levies: format_minor(levies, demo.scale),
        contributions: format_minor(contributed, demo.scale),
        total: format_minor(levies + contributed, demo.scale),
        balance,
    };
    let gifts: Vec<String> =
        contributions.iter().map(|c| format!("{} {} from {}", c.kind, c.amount, c.business)).collect();
    demo.say(&format!(
        "6. trade: {} payments and a request accepted, levies {}; contributions {}; {} holds {}",
        payments.len(),
        fund.levies,
        gifts.join(", "),
        fund.account,
        fund.balance
    ))?;
    Ok(TradeReport { payments, request, contributions, fund })
}

fn handle(text: &str) -> Handle {
    Handle::parse(text).expect("the community's handles are valid (see its tests)")
}

fn memo(text: &str) -> Memo {
    Memo::parse(text).expect("the community's memos are valid (see its tests)")
}

fn report(transfer: proto::Transfer) -> TransferReport {
    TransferReport {
        levy: (!transfer.levy.is_empty()).then_some(transfer.levy),
        id: transfer.id,
        payer: transfer.payer,
        payee: transfer.payee,
        amount: transfer.amount,
        memo: transfer.memo,
    }
}

/// A payment, signed by its payer.
async fn pay(demo: &Demo, exchange: &Exchange) -> Result<TransferReport, CliError> {
    let (payer, payee, amount, memo) =
        (handle(exchange.payer), handle(exchange.payee), demo.amount(exchange.amount), memo(exchange.memo));
    let client = demo.holder(exchange.payer);
    let command = Command::Pay {
        payer: payer.clone(),
        payee: payee.clone(),
        unit: demo.unit.clone(),
        amount,
        memo: memo.clone(),
    };
    let signed = client.sign(fresh_request_id(), command);
    let transfer = client
        .transfers_commands()
        .create_payment(proto::CreatePaymentRequest {
            request_id: signed.request_id,
            payer: payer.to_string(),
            payee: payee.to_string(),
            unit: demo.unit.to_string(),
            amount: demo.format(amount),
            memo: memo.as_str().to_owned(),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    Ok(report(transfer))
}

/// A request signed by its payee, then accepted by its payer: the value (and the levy) moves on
/// acceptance.
async fn request_and_accept(demo: &Demo, exchange: &Exchange) -> Result<TransferReport, CliError> {
    let (payer, payee, amount, memo) =
        (handle(exchange.payer), handle(exchange.payee), demo.amount(exchange.amount), memo(exchange.memo));
    let asker = demo.holder(exchange.payee);
    let id = fresh_request_id();
    let command = Command::RequestPayment {
        payee: payee.clone(),
        payer: payer.clone(),
        unit: demo.unit.clone(),
        amount,
        memo: memo.clone(),
        lifetime_ms: REQUEST_LIFETIME_MS,
    };
    let signed = asker.sign(id, command);
    asker
        .transfers_commands()
        .request_payment(proto::RequestPaymentRequest {
            request_id: signed.request_id,
            payee: payee.to_string(),
            payer: payer.to_string(),
            unit: demo.unit.to_string(),
            amount: demo.format(amount),
            memo: memo.as_str().to_owned(),
            lifetime_ms: REQUEST_LIFETIME_MS,
            signatures: signed.signatures,
        })
        .await?;
    let accepted = accept(demo, id, &payer, &payee, amount).await?;
    Ok(report(accepted))
}

async fn accept(
    demo: &Demo,
    request: RequestId,
    payer: &Handle,
    payee: &Handle,
    amount: Amount,
) -> Result<proto::Transfer, CliError> {
    let client = demo.holder(payer.as_str());
    let command =
        Command::AcceptRequest { request, payer: payer.clone(), payee: payee.clone(), unit: demo.unit.clone(), amount };
    let signed = client.sign(answer_id(request, Answer::Accept), command);
    let transfer = client
        .transfers_commands()
        .accept_request(proto::AnswerRequestRequest {
            request_id: signed.request_id,
            transfer: request.to_string(),
            payer: payer.to_string(),
            payee: payee.to_string(),
            unit: demo.unit.to_string(),
            amount: demo.format(amount),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    Ok(transfer)
}

/// The one-off contribution, signed by its business.
async fn contribute(demo: &Demo) -> Result<ContributionReport, CliError> {
    let (business, amount, memo) = (handle(GIFT.business), demo.amount(GIFT.amount), memo(GIFT.memo));
    let client = demo.holder(GIFT.business);
    let command =
        Command::Contribute { business: business.clone(), unit: demo.unit.clone(), amount, memo: memo.clone() };
    let signed = client.sign(fresh_request_id(), command);
    let transfer = client
        .chamber_commands()
        .contribute(proto::ContributeRequest {
            request_id: signed.request_id,
            business: business.to_string(),
            unit: demo.unit.to_string(),
            amount: demo.format(amount),
            memo: memo.as_str().to_owned(),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    Ok(ContributionReport { id: transfer.id, business: transfer.payer, amount: transfer.amount, kind: "one-off" })
}

/// The collect for the period, of the businesses with a recurring contribution (handles
/// ascending, as the command requires). A contribution that could not be collected is an error:
/// the community is built so that every one fits.
async fn collect(demo: &Demo) -> Result<Vec<ContributionReport>, CliError> {
    let mut businesses: Vec<Handle> =
        BUSINESSES.iter().filter(|b| b.recurring.is_some()).map(|b| handle(b.handle)).collect();
    businesses.sort_unstable();
    let command = Command::Collect { unit: demo.unit.clone(), period: demo.period, businesses: businesses.clone() };
    let signed = demo.admin.sign(fresh_request_id(), command);
    let collected = demo
        .admin
        .chamber_commands()
        .collect(proto::CollectRequest {
            request_id: signed.request_id,
            unit: demo.unit.to_string(),
            period: demo.period.to_string(),
            businesses: businesses.iter().map(Handle::to_string).collect(),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    collected
        .lines
        .into_iter()
        .map(|line| match line.outcome.as_str() {
            "collected" => Ok(ContributionReport {
                id: line.transfer,
                business: line.business,
                amount: line.amount,
                kind: "recurring",
            }),
            outcome => Err(CliError::Failed(format!(
                "the recurring contribution of {} for {} was {outcome}: {}",
                line.business, demo.period, line.message
            ))),
        })
        .collect()
}
