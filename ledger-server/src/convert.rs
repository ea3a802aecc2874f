//! Proto ⇄ ledger-core conversion, all of it in this one file.
//!
//! Requests become validated core values here, each field with a precise `INVALID_ARGUMENT`
//! reason (`MISSING_FIELD`, `INVALID_AMOUNT`, `INVALID_HANDLE`...), so bad input never reaches the
//! writer. Amounts in a request are parsed at the scale of their unit, read from the store. Core
//! values become proto messages here too, amounts formatted at their unit's scale.
//!
//! # Page tokens
//!
//! A page token is the lowercase hex encoding of a short text naming where the next page starts;
//! clients treat it as opaque and send it back unchanged:
//!
//! | list | text | next page |
//! |---|---|---|
//! | units | `units/{last code}` | codes after it |
//! | accounts | `accounts/{last handle}` | handles after it |
//! | history | `accounts/{handle}/history/{seq}` | entries of that account below `seq` |
//! | entries | `entries/{seq}` | entries from `seq` on |
//! | invoices | `invoices/{last id}` | invoices after it, with the same filters |
//!
//! Invoice conversions are in the child module [`invoice`].
//!
//! An empty `next_page_token` means the list is complete. A token that does not decode, or that
//! belongs to another list (or another account's history), is `INVALID_ARGUMENT` /
//! `INVALID_PAGE_TOKEN`.

use std::collections::HashMap;

use ledger_core::account::{Account, AccountKind, AccountStatus, Role, Unit};
use ledger_core::amount::{Amount, AmountError, Scale, format_minor};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::command::{Command, EntryKind, SIGNATURES_MAX, SignatureError, SignedCommand, decode_signing_bytes};
use ledger_core::history;
use ledger_core::journal::Entry;
use ledger_core::keys::{PublicKey, Signature};
use ledger_core::names::{DisplayName, Handle, LedgerId, Memo, NameError, Reason, RequestId, UnitCode};
use ledger_core::refusal::Refusal;
use ledger_core::state::{Identity, Warning};
use ledger_core::transfer::{Answer, Transfer};

use crate::error::ServerError;
use crate::grpc::ApiLimits;

pub mod agreement;
pub mod clearing_run;
pub mod distribution;
pub mod invoice;
pub mod rules;
use crate::proto;
use crate::store::{HistoryFilter, HistoryRow, LedgerMeta, Store, StoreError};

/// The longest error message sent back; input echoed in a message is cut to fit, so a huge
/// field does not come back as a huge status.
const MESSAGE_LEN_MAX: usize = 512;

/// The longest page token accepted, in characters.
const PAGE_TOKEN_LEN_MAX: usize = 256;

/// How many units one store read returns while loading every unit's scale.
const UNITS_LOAD_BATCH: u32 = 1000;

// ------------------------------------------------------------------------------------ errors

fn invalid(reason: &'static str, field: &str, error: impl std::fmt::Display) -> ServerError {
    ServerError::invalid(reason, bounded(format!("{field}: {error}")))
}

fn missing(field: &str) -> ServerError {
    ServerError::invalid("MISSING_FIELD", format!("{field} is required"))
}

/// A stored value that should not be possible: logged once, answered as unavailable.
fn corrupt(message: String) -> ServerError {
    ServerError::from(StoreError::Corrupt(message))
}

fn bounded(mut message: String) -> String {
    if message.len() > MESSAGE_LEN_MAX {
        let mut end = MESSAGE_LEN_MAX;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push('…');
    }
    message
}

fn required<'a>(field: &str, text: &'a str) -> Result<&'a str, ServerError> {
    if text.is_empty() { Err(missing(field)) } else { Ok(text) }
}

// ------------------------------------------------------------------------------ request fields

/// A request id (a UUID).
pub fn request_id(text: &str) -> Result<RequestId, ServerError> {
    let text = required("request_id", text)?;
    RequestId::parse(text).map_err(|error| invalid("INVALID_REQUEST_ID", "request_id", error))
}

/// A bare handle such as `alice`.
pub fn handle(field: &str, text: &str) -> Result<Handle, ServerError> {
    let text = required(field, text)?;
    Handle::parse(text).map_err(|error| invalid("INVALID_HANDLE", field, error))
}

/// An account's resource name `accounts/{handle}`, or the bare handle.
pub fn account_name(field: &str, text: &str) -> Result<Handle, ServerError> {
    handle(field, text.strip_prefix("accounts/").unwrap_or(text))
}

/// A bare unit code such as `COMMUN`.
pub fn unit_code(field: &str, text: &str) -> Result<UnitCode, ServerError> {
    let text = required(field, text)?;
    UnitCode::parse(text).map_err(|error| invalid("INVALID_UNIT", field, error))
}

/// A unit's resource name `units/{code}`, or the bare code.
pub fn unit_name(field: &str, text: &str) -> Result<UnitCode, ServerError> {
    unit_code(field, text.strip_prefix("units/").unwrap_or(text))
}

/// A transfer's resource name `transfers/{id}` or `accounts/{handle}/transfers/{id}`, or the
/// bare id.
pub fn transfer_name(field: &str, text: &str) -> Result<RequestId, ServerError> {
    let text = required(field, text)?;
    let id = match text.strip_prefix("transfers/") {
        Some(id) => id,
        None => match text.strip_prefix("accounts/").and_then(|rest| rest.split_once("/transfers/")) {
            Some((_, id)) => id,
            None => text,
        },
    };
    RequestId::parse(id).map_err(|error| invalid("INVALID_TRANSFER_ID", field, error))
}

/// A hex ed25519 public key.
pub fn public_key(field: &str, text: &str) -> Result<PublicKey, ServerError> {
    let text = required(field, text)?;
    PublicKey::parse(text).map_err(|error| invalid("INVALID_KEY", field, error))
}

/// The signatures of a command. None is not an error here: the domain refuses a command without
/// a signature (`SIGNATURE_MISSING`) when it is verified.
pub fn signatures(signatures: &[proto::Signature]) -> Result<Vec<(PublicKey, Signature)>, ServerError> {
    if signatures.len() > SIGNATURES_MAX {
        // Refused before decoding any of them, so the work per request stays bounded.
        return Err(Refusal::Signature(SignatureError::TooMany).into());
    }
    signatures
        .iter()
        .enumerate()
        .map(|(index, signature)| {
            let key = PublicKey::of_signer(&signature.public_key)
                .map_err(|error| invalid("INVALID_KEY", &format!("signatures[{index}].public_key"), error))?;
            let value = Signature::from_bytes(&signature.signature)
                .map_err(|_| invalid("INVALID_SIGNATURE", &format!("signatures[{index}].signature"), "not 64 bytes"))?;
            Ok((key, value))
        })
        .collect()
}

/// A non-negative amount (a limit) at `scale`.
pub fn amount(field: &str, text: &str, scale: Scale) -> Result<Amount, ServerError> {
    let text = required(field, text)?;
    Amount::parse(text, scale).map_err(|error| amount_error(field, &error))
}

/// A positive amount (a transfer) at `scale`.
pub fn positive_amount(field: &str, text: &str, scale: Scale) -> Result<Amount, ServerError> {
    let text = required(field, text)?;
    Amount::parse_positive(text, scale).map_err(|error| amount_error(field, &error))
}

/// An optional non-negative amount: empty means none.
pub fn optional_amount(field: &str, text: &str, scale: Scale) -> Result<Option<Amount>, ServerError> {
    if text.is_empty() { Ok(None) } else { amount(field, text, scale).map(Some) }
}

/// A credit limit: empty means zero.
pub fn credit_limit(field: &str, text: &str, scale: Scale) -> Result<Amount, ServerError> {
    if text.is_empty() { Ok(Amount::ZERO) } else { amount(field, text, scale) }
}

fn amount_error(field: &str, error: &AmountError) -> ServerError {
    invalid("INVALID_AMOUNT", field, error)
}

/// A payment's memo, possibly empty.
pub fn memo(text: &str) -> Result<Memo, ServerError> {
    Memo::parse(text).map_err(|error| invalid("INVALID_MEMO", "memo", error))
}

/// A display name, possibly empty.
pub fn display_name(field: &str, text: &str) -> Result<DisplayName, ServerError> {
    DisplayName::parse(text).map_err(|error| invalid("INVALID_DISPLAY_NAME", field, error))
}

/// Why a treasurer changed something; never empty.
pub fn reason(text: &str) -> Result<Reason, ServerError> {
    let text = required("reason", text)?;
    Reason::parse(text).map_err(|error| match error {
        NameError::Empty { .. } => missing("reason"),
        other => invalid("INVALID_REASON", "reason", other),
    })
}

/// A role by its lowercase name.
pub fn role(text: &str) -> Result<Role, ServerError> {
    let text = required("role", text)?;
    Role::parse(text).ok_or_else(|| {
        invalid("INVALID_ROLE", "role", format!("{text:?} is not a role: use admin, treasurer, steward or auditor"))
    })
}

/// The kind of an account to open: member (the default when empty) or business. System accounts
/// are opened by the ledger only, refused here as the domain would (`SYSTEM_KIND_REQUESTED`).
pub fn account_kind(text: &str) -> Result<AccountKind, ServerError> {
    match AccountKind::parse(if text.is_empty() { "member" } else { text }) {
        Some(AccountKind::System) => Err(Refusal::SystemKindRequested.into()),
        Some(kind) => Ok(kind),
        None => {
            Err(invalid("INVALID_KIND", "kind", format!("{text:?} is not an account kind: use member or business")))
        }
    }
}

/// An account status by its lowercase name.
pub fn account_status(text: &str) -> Result<AccountStatus, ServerError> {
    let text = required("status", text)?;
    AccountStatus::parse(text).ok_or_else(|| {
        invalid("INVALID_STATUS", "status", format!("{text:?} is not a status: use active, frozen or closed"))
    })
}

/// A unit's number of decimal places.
pub fn scale(places: u32) -> Result<Scale, ServerError> {
    Scale::new(places).map_err(|error| invalid("INVALID_SCALE", "scale", error))
}

/// The page size to serve: 0 is the default, larger than the maximum is the maximum.
pub fn page_size(requested: i32, limits: &ApiLimits) -> Result<u32, ServerError> {
    let max = limits.page_size_max.max(1);
    match u32::try_from(requested) {
        Err(_) => Err(invalid("INVALID_PAGE_SIZE", "page_size", format!("{requested} is negative"))),
        Ok(0) => Ok(limits.page_size_default.clamp(1, max)),
        Ok(size) => Ok(size.min(max)),
    }
}

// ---------------------------------------------------------------------------------- commands

/// Grant or revoke, for [`change_role`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleChange {
    /// Grants the role.
    Grant,
    /// Revokes the role.
    Revoke,
}

fn signed(
    ledger_id: LedgerId,
    request_id: RequestId,
    command: Command,
    signatures: Vec<(PublicKey, Signature)>,
) -> SignedCommand {
    SignedCommand { ledger_id, request_id, command, signatures }
}

/// `CreateUnit`.
pub fn create_unit(ledger_id: LedgerId, req: &proto::CreateUnitRequest) -> Result<SignedCommand, ServerError> {
    let request_id = request_id(&req.request_id)?;
    let command = Command::CreateUnit {
        code: unit_code("code", &req.code)?,
        scale: scale(req.scale)?,
        name: display_name("display_name", &req.display_name)?,
    };
    Ok(signed(ledger_id, request_id, command, signatures(&req.signatures)?))
}

/// The fields of an `OpenAccount` request that need no store: all but the limits, which are
/// parsed at the scale of the account's unit.
#[derive(Clone, Debug, PartialEq, Eq)]
struct OpenAccountFields {
    /// The request id.
    request_id: RequestId,
    /// The new account's handle.
    handle: Handle,
    /// The unit the account holds; it may not exist.
    unit: UnitCode,
    /// Member or business.
    kind: AccountKind,
    /// The display name.
    name: DisplayName,
    /// The owner's key.
    public_key: PublicKey,
    /// The signatures of the command.
    signatures: Vec<(PublicKey, Signature)>,
}

/// Parses what an `OpenAccount` request says without reading anything, so a malformed request
/// costs no read.
fn open_account_fields(req: &proto::OpenAccountRequest) -> Result<OpenAccountFields, ServerError> {
    Ok(OpenAccountFields {
        request_id: request_id(&req.request_id)?,
        handle: handle("handle", &req.handle)?,
        unit: unit_code("unit", &req.unit)?,
        kind: account_kind(&req.kind)?,
        name: display_name("display_name", &req.display_name)?,
        public_key: public_key("public_key", &req.public_key)?,
        signatures: signatures(&req.signatures)?,
    })
}

/// `OpenAccount`; its limits are parsed at the scale of its unit.
pub async fn open_account(
    store: &dyn Store,
    ledger_id: LedgerId,
    req: &proto::OpenAccountRequest,
) -> Result<SignedCommand, ServerError> {
    let OpenAccountFields { request_id, handle, unit, kind, name, public_key, signatures } = open_account_fields(req)?;
    let scale = requested_unit(store, &unit).await?.scale;
    let command = Command::OpenAccount {
        handle,
        unit,
        kind,
        name,
        public_key,
        credit_limit: credit_limit("credit_limit", &req.credit_limit, scale)?,
        ceiling: optional_amount("ceiling", &req.ceiling, scale)?,
        soft_limit: optional_amount("soft_limit", &req.soft_limit, scale)?,
    };
    Ok(signed(ledger_id, request_id, command, signatures))
}

/// The fields of a `SetLimits` request that need no store: all but the limits, which are parsed
/// at the scale of the account's unit.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SetLimitsFields {
    /// The request id.
    request_id: RequestId,
    /// The account whose limits change; it may not exist.
    handle: Handle,
    /// Why the limits change.
    reason: Reason,
    /// The signatures of the command.
    signatures: Vec<(PublicKey, Signature)>,
}

/// Parses what a `SetLimits` request says without reading anything, so a malformed request costs
/// no read.
fn set_limits_fields(req: &proto::SetLimitsRequest) -> Result<SetLimitsFields, ServerError> {
    Ok(SetLimitsFields {
        request_id: request_id(&req.request_id)?,
        handle: handle("handle", &req.handle)?,
        reason: reason(&req.reason)?,
        signatures: signatures(&req.signatures)?,
    })
}

/// `SetLimits`; the limits are parsed at the scale of the account's unit.
pub async fn set_limits(
    store: &dyn Store,
    ledger_id: LedgerId,
    req: &proto::SetLimitsRequest,
) -> Result<SignedCommand, ServerError> {
    let SetLimitsFields { request_id, handle, reason, signatures } = set_limits_fields(req)?;
    let account = store.account(&handle).await?.ok_or_else(|| Refusal::UnknownAccount(handle.clone()))?;
    let scale = stored_scale(store, &account.unit).await?;
    let command = Command::SetLimits {
        handle,
        credit_limit: credit_limit("credit_limit", &req.credit_limit, scale)?,
        ceiling: optional_amount("ceiling", &req.ceiling, scale)?,
        soft_limit: optional_amount("soft_limit", &req.soft_limit, scale)?,
        reason,
    };
    Ok(signed(ledger_id, request_id, command, signatures))
}

/// `SetStatus`.
pub fn set_status(ledger_id: LedgerId, req: &proto::SetStatusRequest) -> Result<SignedCommand, ServerError> {
    let request_id = request_id(&req.request_id)?;
    let handle = handle("handle", &req.handle)?;
    let status = account_status(&req.status)?;
    let command = Command::SetStatus { handle, status, reason: reason(&req.reason)? };
    Ok(signed(ledger_id, request_id, command, signatures(&req.signatures)?))
}

/// `GrantRole` or `RevokeRole`.
pub fn change_role(
    ledger_id: LedgerId,
    req: &proto::ChangeRoleRequest,
    change: RoleChange,
) -> Result<SignedCommand, ServerError> {
    let request_id = request_id(&req.request_id)?;
    let handle = handle("handle", &req.handle)?;
    let role = role(&req.role)?;
    let command = match change {
        RoleChange::Grant => Command::GrantRole { handle, role },
        RoleChange::Revoke => Command::RevokeRole { handle, role },
    };
    Ok(signed(ledger_id, request_id, command, signatures(&req.signatures)?))
}

/// `RegisterKey`.
pub fn register_key(ledger_id: LedgerId, req: &proto::ChangeKeyRequest) -> Result<SignedCommand, ServerError> {
    let request_id = request_id(&req.request_id)?;
    let command = Command::RegisterKey {
        handle: handle("handle", &req.handle)?,
        public_key: public_key("public_key", &req.public_key)?,
    };
    Ok(signed(ledger_id, request_id, command, signatures(&req.signatures)?))
}

/// The fields of a `CreatePayment` request that need no store: all but the amount, which is
/// parsed at the scale of its unit.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PaymentFields {
    /// The request id, which becomes the transfer id.
    request_id: RequestId,
    /// The paying account.
    payer: Handle,
    /// The receiving account.
    payee: Handle,
    /// The unit paid in; it may not exist.
    unit: UnitCode,
    /// The note to the payee.
    memo: Memo,
    /// The signatures of the command.
    signatures: Vec<(PublicKey, Signature)>,
}

/// Parses what a `CreatePayment` request says without reading anything, so a malformed request
/// costs no read.
fn payment_fields(req: &proto::CreatePaymentRequest) -> Result<PaymentFields, ServerError> {
    Ok(PaymentFields {
        request_id: request_id(&req.request_id)?,
        payer: handle("payer", &req.payer)?,
        payee: handle("payee", &req.payee)?,
        unit: unit_code("unit", &req.unit)?,
        memo: memo(&req.memo)?,
        signatures: signatures(&req.signatures)?,
    })
}

/// `Pay`, and the scale of its unit (to format the answer).
pub async fn payment(
    store: &dyn Store,
    ledger_id: LedgerId,
    req: &proto::CreatePaymentRequest,
) -> Result<(SignedCommand, Scale), ServerError> {
    let PaymentFields { request_id, payer, payee, unit, memo, signatures } = payment_fields(req)?;
    let scale = requested_unit(store, &unit).await?.scale;
    let amount = positive_amount("amount", &req.amount, scale)?;
    let command = Command::Pay { payer, payee, unit, amount, memo };
    Ok((signed(ledger_id, request_id, command, signatures), scale))
}

/// `RequestPayment`, and the scale of its unit (to format the answer).
pub async fn request_payment(
    store: &dyn Store,
    ledger_id: LedgerId,
    req: &proto::RequestPaymentRequest,
) -> Result<(SignedCommand, Scale), ServerError> {
    let request_id = request_id(&req.request_id)?;
    let payee = handle("payee", &req.payee)?;
    let payer = handle("payer", &req.payer)?;
    let unit = unit_code("unit", &req.unit)?;
    let memo = memo(&req.memo)?;
    let signatures = signatures(&req.signatures)?;
    let scale = requested_unit(store, &unit).await?.scale;
    let amount = positive_amount("amount", &req.amount, scale)?;
    let command = Command::RequestPayment { payee, payer, unit, amount, memo, lifetime_ms: req.lifetime_ms };
    Ok((signed(ledger_id, request_id, command, signatures), scale))
}

/// `AcceptRequest` or `RejectRequest`, and the scale of the unit (none for a rejection, which
/// names no unit).
pub async fn answer_request(
    store: &dyn Store,
    ledger_id: LedgerId,
    req: &proto::AnswerRequestRequest,
    answer: Answer,
) -> Result<SignedCommand, ServerError> {
    let request_id = request_id(&req.request_id)?;
    let request = transfer_name("transfer", &req.transfer)?;
    let payer = handle("payer", &req.payer)?;
    let signatures = signatures(&req.signatures)?;
    let command = match answer {
        Answer::Reject => Command::RejectRequest { request, payer },
        Answer::Accept => {
            let payee = handle("payee", &req.payee)?;
            let unit = unit_code("unit", &req.unit)?;
            let scale = requested_unit(store, &unit).await?.scale;
            let amount = positive_amount("amount", &req.amount, scale)?;
            Command::AcceptRequest { request, payer, payee, unit, amount }
        }
    };
    Ok(signed(ledger_id, request_id, command, signatures))
}

/// `Reverse`.
pub async fn reverse(
    store: &dyn Store,
    ledger_id: LedgerId,
    req: &proto::ReverseTransferRequest,
) -> Result<SignedCommand, ServerError> {
    let request_id = request_id(&req.request_id)?;
    let transfer = transfer_name("transfer", &req.transfer)?;
    let payer = handle("payer", &req.payer)?;
    let payee = handle("payee", &req.payee)?;
    let unit = unit_code("unit", &req.unit)?;
    let reason = reason(&req.reason)?;
    let signatures = signatures(&req.signatures)?;
    let scale = requested_unit(store, &unit).await?.scale;
    let amount = positive_amount("amount", &req.amount, scale)?;
    let command = Command::Reverse { transfer, payer, payee, unit, amount, reason };
    Ok(signed(ledger_id, request_id, command, signatures))
}

/// A unit a request names: `NOT_FOUND` / `UNIT_NOT_FOUND` when it does not exist.
pub async fn requested_unit(store: &dyn Store, code: &UnitCode) -> Result<Unit, ServerError> {
    Ok(store.unit(code).await?.ok_or_else(|| Refusal::UnknownUnit(code.clone()))?)
}

/// The scale of a unit the store itself refers to (an account's unit): its absence is corruption.
pub async fn stored_scale(store: &dyn Store, code: &UnitCode) -> Result<Scale, ServerError> {
    match store.unit(code).await? {
        Some(unit) => Ok(unit.scale),
        None => Err(corrupt(format!("unit {code} is referred to but does not exist"))),
    }
}

/// The scale of every unit, for answers that format amounts of several units.
#[derive(Clone, Debug, Default)]
pub struct Scales(HashMap<UnitCode, Scale>);

impl Scales {
    /// Reads every unit (a ledger has few).
    pub async fn load(store: &dyn Store) -> Result<Self, ServerError> {
        let mut scales = HashMap::new();
        let mut after: Option<UnitCode> = None;
        loop {
            let units = store.units(after.as_ref(), UNITS_LOAD_BATCH).await?;
            let complete = units.len() < UNITS_LOAD_BATCH as usize;
            after = units.last().map(|unit| unit.code.clone());
            scales.extend(units.into_iter().map(|unit| (unit.code, unit.scale)));
            if complete || after.is_none() {
                return Ok(Self(scales));
            }
        }
    }

    /// The scale of a unit the store refers to: its absence is corruption.
    pub fn of(&self, code: &UnitCode) -> Result<Scale, ServerError> {
        self.0.get(code).copied().ok_or_else(|| corrupt(format!("unit {code} is referred to but does not exist")))
    }
}

// -------------------------------------------------------------------------------- answers

/// What part of an account a caller may see.
#[derive(Clone, Copy, Debug)]
pub enum AccountView<'a> {
    /// The directory: handle, kind, unit, name, status.
    Directory,
    /// The directory with balance and limits.
    Balance,
    /// Everything, with the holder's roles and keys.
    Full(&'a Identity),
}

/// `GetLedger`'s answer.
pub fn ledger(ledger_id: LedgerId, node_key: &PublicKey, meta: Option<&LedgerMeta>) -> proto::Ledger {
    proto::Ledger {
        ledger_id: ledger_id.to_string(),
        node_public_key: node_key.to_hex(),
        head_seq: meta.map_or(0, |meta| meta.head_seq),
        head_hash: meta.map(|meta| meta.head_hash.to_hex()).unwrap_or_default(),
    }
}

/// A unit.
pub fn unit(unit: &Unit) -> proto::Unit {
    proto::Unit {
        name: format!("units/{}", unit.code),
        code: unit.code.to_string(),
        scale: u32::from(unit.scale.places()),
        display_name: unit.name.as_str().to_owned(),
        fund_account: Handle::fund_of(&unit.code).to_string(),
    }
}

/// A page of units, read with [`fetch_limit`].
pub fn units_page(units: Vec<Unit>, size: u32) -> proto::ListUnitsResponse {
    let (units, more) = page(units, size);
    let next_page_token = match (more, units.last()) {
        (true, Some(last)) => encode_token(&format!("units/{}", last.code)),
        _ => String::new(),
    };
    proto::ListUnitsResponse { units: units.iter().map(unit).collect(), next_page_token }
}

/// An account, showing what `view` allows.
pub fn account(account: &Account, scale: Scale, view: AccountView<'_>) -> proto::Account {
    let mut out = proto::Account {
        name: format!("accounts/{}", account.handle),
        handle: account.handle.to_string(),
        kind: account.kind.as_str().to_owned(),
        unit: account.unit.to_string(),
        display_name: account.name.as_str().to_owned(),
        status: account.status.as_str().to_owned(),
        ..Default::default()
    };
    if let AccountView::Balance | AccountView::Full(_) = view {
        let limits = &account.limits;
        out.balance = format_minor(i128::from(account.balance), scale);
        out.credit_limit = limits.credit_limit.format(scale);
        out.ceiling = limits.ceiling.map(|ceiling| ceiling.format(scale)).unwrap_or_default();
        out.soft_limit = limits.soft_limit.map(|soft| soft.format(scale)).unwrap_or_default();
    }
    if let AccountView::Full(identity) = view {
        out.roles = identity.roles.iter().map(|role| role.as_str().to_owned()).collect();
        out.public_keys = identity.keys.iter().map(PublicKey::to_hex).collect();
    }
    out
}

/// A page of accounts, read with [`fetch_limit`]; `view` says what the caller may see of each.
pub fn accounts_page<'a>(
    accounts: Vec<Account>,
    size: u32,
    scales: &Scales,
    view: impl Fn(&Account) -> AccountView<'a>,
) -> Result<proto::ListAccountsResponse, ServerError> {
    let (accounts, more) = page(accounts, size);
    let next_page_token = match (more, accounts.last()) {
        (true, Some(last)) => encode_token(&format!("accounts/{}", last.handle)),
        _ => String::new(),
    };
    let accounts = accounts
        .iter()
        .map(|one| Ok(account(one, scales.of(&one.unit)?, view(one))))
        .collect::<Result<_, ServerError>>()?;
    Ok(proto::ListAccountsResponse { accounts, next_page_token })
}

/// A handle's roles and active keys.
pub fn identity(handle: &Handle, identity: &Identity) -> proto::Identity {
    proto::Identity {
        handle: handle.to_string(),
        roles: identity.roles.iter().map(|role| role.as_str().to_owned()).collect(),
        public_keys: identity.keys.iter().map(PublicKey::to_hex).collect(),
    }
}

/// An account's balance and limits, as of the entry `as_of_seq`.
pub fn balance(account: &Account, scale: Scale, as_of_seq: u64) -> proto::Balance {
    let limits = &account.limits;
    let available = i128::from(account.balance) + i128::from(limits.credit_limit.minor());
    proto::Balance {
        account: account.handle.to_string(),
        unit: account.unit.to_string(),
        balance: format_minor(i128::from(account.balance), scale),
        credit_limit: limits.credit_limit.format(scale),
        ceiling: limits.ceiling.map(|ceiling| ceiling.format(scale)).unwrap_or_default(),
        soft_limit: limits.soft_limit.map(|soft| soft.format(scale)).unwrap_or_default(),
        available: format_minor(available, scale),
        as_of_seq,
    }
}

/// A page of `subject`'s history, newest first, read with [`fetch_limit`]. `scale` is that of
/// the subject's account; a handle without an account (the genesis admin) has none, and no
/// balance moves.
pub fn history_page(
    rows: Vec<HistoryRow>,
    size: u32,
    subject: &Handle,
    scale: Option<Scale>,
) -> Result<proto::ListHistoryResponse, ServerError> {
    let (rows, more) = page(rows, size);
    let next_page_token = match (more, rows.last()) {
        (true, Some(last)) => encode_token(&format!("accounts/{subject}/history/{}", last.entry.seq)),
        _ => String::new(),
    };
    let items = rows.iter().map(|row| history_item(row, subject, scale)).collect::<Result<_, _>>()?;
    Ok(proto::ListHistoryResponse { items, next_page_token })
}

/// One line of `subject`'s history.
pub fn history_item(
    row: &HistoryRow,
    subject: &Handle,
    scale: Option<Scale>,
) -> Result<proto::HistoryItem, ServerError> {
    let entry = &row.entry;
    let (_, request_id, command) = decode_command(entry)?;
    let signed_amount = |minor: Option<i64>| -> Result<String, ServerError> {
        match (minor, scale) {
            (None, _) => Ok(String::new()),
            (Some(minor), Some(scale)) => Ok(format_minor(i128::from(minor), scale)),
            (Some(_), None) => {
                Err(corrupt(format!("entry {}: moves the balance of {subject}, which has no account", entry.seq)))
            }
        }
    };
    let amount_text = |amount: Amount| match scale {
        Some(scale) => amount.format(scale),
        None => format!("{} minor units", amount.minor()),
    };
    let mut item = proto::HistoryItem {
        seq: entry.seq,
        timestamp_ms: entry.timestamp_ms,
        kind: entry.kind.as_str().to_owned(),
        id: request_id.to_string(),
        amount: signed_amount(row.delta)?,
        balance_after: signed_amount(row.balance_after)?,
        counterparty: history::counterparty(&command, subject).map(Handle::to_string).unwrap_or_default(),
        memo: history::memo(&command).to_owned(),
        ..Default::default()
    };
    item.description = match command {
        Command::Genesis { .. } => "ledger created".to_owned(),
        Command::CreateUnit { code, scale, .. } => format!("unit {code} created with {scale} decimals"),
        Command::OpenAccount { handle, unit, kind, .. } => {
            format!("{} account {handle} opened in {unit}", kind.as_str())
        }
        Command::SetLimits { credit_limit, ceiling, soft_limit, reason, .. } => format!(
            "limits set: credit limit {}, ceiling {}, soft limit {} ({})",
            amount_text(credit_limit),
            ceiling.map_or_else(|| "none".to_owned(), amount_text),
            soft_limit.map_or_else(|| "none".to_owned(), amount_text),
            reason.as_str()
        ),
        Command::SetStatus { status, reason, .. } => format!("status set to {} ({})", status.as_str(), reason.as_str()),
        Command::GrantRole { role, .. } => format!("role {} granted", role.as_str()),
        Command::RevokeRole { role, .. } => format!("role {} revoked", role.as_str()),
        Command::RegisterKey { public_key, .. } => format!("key {public_key} registered"),
        Command::RevokeKey { public_key, .. } => format!("key {public_key} revoked"),
        Command::Pay { payer, payee, unit, amount, .. } => {
            if &payer == subject {
                format!("paid {} {unit} to {payee}", amount_text(amount))
            } else if &payee != subject {
                format!("levy on {payee}'s payment of {} {unit} from {payer}", amount_text(amount))
            } else {
                format!("received {} {unit} from {payer}", amount_text(amount))
            }
        }
        Command::RequestPayment { payee, payer, unit, amount, .. } => {
            if &payee == subject {
                format!("asked {payer} for {} {unit}", amount_text(amount))
            } else {
                format!("asked by {payee} for {} {unit}", amount_text(amount))
            }
        }
        Command::AcceptRequest { request, payer, payee, unit, amount } => {
            if &payer == subject {
                format!("paid {} {unit} to {payee}, accepting request {request}", amount_text(amount))
            } else {
                format!("received {} {unit} from {payer}, who accepted request {request}", amount_text(amount))
            }
        }
        Command::RejectRequest { request, payer } => {
            if &payer == subject {
                format!("rejected request {request}")
            } else {
                format!("{payer} rejected request {request}")
            }
        }
        Command::Reverse { transfer, payer, payee, unit, amount, reason } => {
            if &payer == subject {
                format!(
                    "paid back {} {unit} to {payee}, reversing {transfer} ({})",
                    amount_text(amount),
                    reason.as_str()
                )
            } else {
                format!(
                    "paid back {} {unit} by {payer}, reversing {transfer} ({})",
                    amount_text(amount),
                    reason.as_str()
                )
            }
        }
        Command::ImportTransfers { unit, first_line, rows, .. } => {
            let mine = rows.iter().filter(|row| &row.payer == subject || &row.payee == subject).count();
            let last_line = u64::from(first_line) + rows.len() as u64 - 1;
            format!("{mine} of {} imported {unit} transfers (lines {first_line}-{last_line} of the file)", rows.len())
        }
        Command::IssueInvoice { creditor, debtor, unit, amount, .. } => {
            if &creditor == subject {
                format!("invoiced {debtor} {} {unit} (invoice {request_id})", amount_text(amount))
            } else {
                format!("invoiced {} {unit} by {creditor} (invoice {request_id})", amount_text(amount))
            }
        }
        Command::AcceptInvoice { invoice, debtor, creditor, unit, amount } => {
            if &debtor == subject {
                format!("accepted invoice {invoice} from {creditor}: owes {} {unit}", amount_text(amount))
            } else {
                format!("{debtor} accepted invoice {invoice}: owes {} {unit}", amount_text(amount))
            }
        }
        Command::RejectInvoice { invoice, debtor } => {
            if &debtor == subject {
                format!("rejected invoice {invoice}")
            } else {
                format!("{debtor} rejected invoice {invoice}")
            }
        }
        Command::ImportInvoices { unit, invoices } => {
            let (owed, owing) = invoices.iter().fold((0_usize, 0_usize), |(owed, owing), row| {
                (owed + usize::from(&row.creditor == subject), owing + usize::from(&row.debtor == subject))
            });
            format!("invoices in {unit} imported: {owed} owed to {subject}, {owing} owed by {subject}")
        }
        Command::ClearingRun { unit, set_offs, credit } => {
            let touched = set_offs.len();
            match credit.iter().find(|posting| &posting.account == subject) {
                Some(posting) => format!(
                    "clearing run {request_id}: {touched} invoices in {unit} set off, {} through credit",
                    signed_amount(Some(posting.delta))?
                ),
                None => format!("clearing run {request_id}: {touched} invoices in {unit} set off"),
            }
        }
        Command::AddCommons { commons } => format!("commons {} registered", commons.name),
        Command::Declare { commons, category, quantity, period, .. } => {
            format!("declared {quantity} of {category} for commons {commons} in {period}")
        }
        Command::ValidateDeclaration { declaration, commons } => {
            format!("declaration {declaration} for commons {commons} validated")
        }
        Command::RefuseDeclaration { declaration, commons } => {
            format!("declaration {declaration} for commons {commons} refused")
        }
        Command::SetAgreement { agreement } => {
            let recurring = agreement.recurring().map_or_else(|| "none".to_owned(), amount_text);
            format!(
                "agreement set: levy {}, recurring {recurring} per period, from {}",
                agreement.levy(),
                agreement.effective_from()
            )
        }
        Command::Contribute { business, unit, amount, .. } => {
            format!("{business} contributed {} {unit} to the commons fund", amount_text(amount))
        }
        Command::Collect { unit, period, businesses } => {
            format!("recurring contributions in {unit} for {period} collected from {} businesses", businesses.len())
        }
        Command::SetQuorum { quorum } => {
            format!("rules are adopted, and distributions executed, by {quorum} treasurers' approvals")
        }
        Command::ProposeRule { unit, rule } => {
            format!("rule {request_id} proposed for the {unit} fund from {}", rule.effective_from())
        }
        Command::ApproveRule { rule } => format!("rule {rule} approved"),
        Command::ProposeDistribution { unit, period, .. } => {
            format!("distribution {request_id} of the {unit} fund proposed for {period}")
        }
        Command::ApproveDistribution { distribution } => format!("distribution {distribution} approved"),
    };
    Ok(item)
}

/// A payment, read back from the entry that committed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    /// The transfer id (the request id).
    pub id: RequestId,
    /// Paying account.
    pub payer: Handle,
    /// Receiving account.
    pub payee: Handle,
    /// Unit.
    pub unit: UnitCode,
    /// Amount.
    pub amount: Amount,
    /// Note to the payee.
    pub memo: Memo,
}

/// The payment an entry committed; none when the entry is not a payment.
pub fn payment_of(entry: &Entry) -> Result<Option<Payment>, ServerError> {
    let (_, id, command) = decode_command(entry)?;
    Ok(match command {
        Command::Pay { payer, payee, unit, amount, memo } => Some(Payment { id, payer, payee, unit, amount, memo }),
        _ => None,
    })
}

/// A committed payment as a transfer, with the warnings of its commit (none when read back).
pub fn transfer(entry: &Entry, payment: &Payment, scale: Scale, warnings: &[Warning]) -> proto::Transfer {
    proto::Transfer {
        name: format!("transfers/{}", payment.id),
        id: payment.id.to_string(),
        kind: entry.kind.as_str().to_owned(),
        status: "committed".to_owned(),
        payer: payment.payer.to_string(),
        payee: payment.payee.to_string(),
        unit: payment.unit.to_string(),
        amount: payment.amount.format(scale),
        memo: payment.memo.as_str().to_owned(),
        seq: entry.seq,
        timestamp_ms: entry.timestamp_ms,
        warnings: warnings.iter().map(warning).collect(),
        ..Default::default()
    }
}

/// A transfer and where it stands, with the entry of this answer (`seq`, `timestamp_ms`) and
/// the warnings of its commit. A pending request past its expiry at `now_ms` shows as expired.
pub fn transfer_record(
    transfer: &Transfer,
    scale: Scale,
    entry: (u64, i64),
    warnings: &[Warning],
    now_ms: i64,
) -> proto::Transfer {
    let status = if transfer.expired_at(now_ms) { "expired" } else { transfer.status.as_str() };
    proto::Transfer {
        name: format!("transfers/{}", transfer.id),
        id: transfer.id.to_string(),
        kind: transfer.kind.as_str().to_owned(),
        status: status.to_owned(),
        payer: transfer.payer.to_string(),
        payee: transfer.payee.to_string(),
        unit: transfer.unit.to_string(),
        amount: transfer.amount.format(scale),
        memo: transfer.memo.as_str().to_owned(),
        seq: entry.0,
        timestamp_ms: entry.1,
        warnings: warnings.iter().map(warning).collect(),
        expires_at_ms: transfer.expires_at_ms.unwrap_or_default(),
        reverses: transfer.reverses.map(|id| id.to_string()).unwrap_or_default(),
        reversed_by: transfer.reversed_by.map(|id| id.to_string()).unwrap_or_default(),
        levy: String::new(),
    }
}

/// A page of pending requests, read with [`fetch_limit`].
pub fn requests_page(
    requests: Vec<Transfer>,
    size: u32,
    subject: &Handle,
    scales: &Scales,
    now_ms: i64,
) -> Result<proto::ListPaymentRequestsResponse, ServerError> {
    let (requests, more) = page(requests, size);
    let next_page_token = match (more, requests.last()) {
        (true, Some(last)) => encode_token(&format!("accounts/{subject}/requests/{}", last.id)),
        _ => String::new(),
    };
    let requests = requests
        .iter()
        .map(|request| {
            let scale = scales.of(&request.unit)?;
            Ok(transfer_record(request, scale, (0, request.created_ms), &[], now_ms))
        })
        .collect::<Result<_, ServerError>>()?;
    Ok(proto::ListPaymentRequestsResponse { requests, next_page_token })
}

/// Where a page of `subject`'s pending requests starts: after this id.
pub fn requests_page_start(token: &str, subject: &Handle) -> Result<Option<RequestId>, ServerError> {
    decode_token(token, &format!("accounts/{subject}/requests/"))?
        .map(|id| RequestId::parse(&id).map_err(|_| bad_page_token()))
        .transpose()
}

/// A warning, as a sentence.
pub fn warning(warning: &Warning) -> String {
    match warning {
        Warning::SoftLimitCrossed { account, balance, soft_limit } => {
            format!("{account} is past its soft limit of -{soft_limit}: its balance is now {balance}")
        }
    }
}

/// A page of the journal, read with [`fetch_limit`].
pub fn entries_page(
    entries: Vec<Entry>,
    size: u32,
    scales: &Scales,
) -> Result<proto::ListEntriesResponse, ServerError> {
    let (entries, more) = page(entries, size);
    let next_page_token = match (more, entries.last()) {
        (true, Some(last)) => encode_token(&format!("entries/{}", last.seq.saturating_add(1))),
        _ => String::new(),
    };
    let entries = entries.iter().map(|entry| journal_entry(entry, scales)).collect::<Result<_, _>>()?;
    Ok(proto::ListEntriesResponse { entries, next_page_token })
}

/// A journal entry, with its postings formatted at their units' scales.
pub fn journal_entry(entry: &Entry, scales: &Scales) -> Result<proto::JournalEntry, ServerError> {
    let postings = entry
        .postings
        .iter()
        .map(|posting| {
            Ok(proto::Posting {
                account: posting.account.to_string(),
                unit: posting.unit.to_string(),
                amount: format_minor(i128::from(posting.delta), scales.of(&posting.unit)?),
            })
        })
        .collect::<Result<_, ServerError>>()?;
    Ok(proto::JournalEntry {
        seq: entry.seq,
        timestamp_ms: entry.timestamp_ms,
        kind: entry.kind.as_str().to_owned(),
        command: entry.command_bytes.clone(),
        signatures: entry
            .signatures
            .iter()
            .map(|(key, signature)| proto::Signature {
                public_key: key.as_bytes().to_vec(),
                signature: signature.as_bytes().to_vec(),
            })
            .collect(),
        postings,
        prev_hash: entry.prev_hash.0.to_vec(),
        hash: entry.hash.0.to_vec(),
    })
}

/// The trial balance of `accounts` (ordered by unit, then handle, as the store reads them).
/// Mutual credit sums to zero per unit; a total that does not is logged as an error and shown
/// as it is, since hiding it would help nobody.
pub fn trial_balance(
    as_of_seq: u64,
    accounts: &[Account],
    scales: &Scales,
) -> Result<proto::TrialBalance, ServerError> {
    let mut units: Vec<proto::UnitTrialBalance> = Vec::new();
    for group in accounts.chunk_by(|a, b| a.unit == b.unit) {
        let code = &group[0].unit;
        let scale = scales.of(code)?;
        let (mut positive, mut negative) = (0_i128, 0_i128);
        for account in group {
            let balance = i128::from(account.balance);
            if balance >= 0 {
                positive += balance;
            } else {
                negative += balance;
            }
        }
        let total = positive + negative;
        if total != 0 {
            tracing::error!(unit = %code, total, as_of_seq, "balances do not sum to zero: the ledger is inconsistent");
        }
        units.push(proto::UnitTrialBalance {
            unit: code.to_string(),
            total: format_minor(total, scale),
            positive: format_minor(positive, scale),
            negative: format_minor(negative, scale),
            accounts: group
                .iter()
                .map(|account| proto::AccountBalance {
                    account: account.handle.to_string(),
                    balance: format_minor(i128::from(account.balance), scale),
                    past_soft_limit: account.limits.past_soft_limit(account.balance),
                })
                .collect(),
        });
    }
    Ok(proto::TrialBalance { units, as_of_seq })
}

/// The request id, ledger and command of an entry read back.
pub fn decode_command(entry: &Entry) -> Result<(LedgerId, RequestId, Command), ServerError> {
    decode_signing_bytes(&entry.command_bytes).map_err(|error| corrupt(format!("entry {}: {error}", entry.seq)))
}

// ------------------------------------------------------------------------------------ paging

/// How many items to read for a page of `size`: one more, to learn whether another page follows.
pub fn fetch_limit(size: u32) -> u32 {
    size.saturating_add(1)
}

/// The first `size` items, and whether more were read.
fn page<T>(mut items: Vec<T>, size: u32) -> (Vec<T>, bool) {
    let size = size as usize;
    let more = items.len() > size;
    items.truncate(size);
    (items, more)
}

fn encode_token(text: &str) -> String {
    hex::encode(text)
}

/// The text after `prefix` in a page token; none when the token is empty (the first page).
fn decode_token(token: &str, prefix: &str) -> Result<Option<String>, ServerError> {
    if token.is_empty() {
        return Ok(None);
    }
    if token.len() > PAGE_TOKEN_LEN_MAX {
        return Err(bad_page_token());
    }
    let bytes = hex::decode(token).map_err(|_| bad_page_token())?;
    let text = String::from_utf8(bytes).map_err(|_| bad_page_token())?;
    text.strip_prefix(prefix).map(|rest| Some(rest.to_owned())).ok_or_else(bad_page_token)
}

/// The text after `prefix` in a page token of a list that builds its own tokens with
/// [`page_token`]; none for the first page.
pub fn page_start(token: &str, prefix: &str) -> Result<Option<String>, ServerError> {
    decode_token(token, prefix)
}

/// The page token that resumes a list after `position` (`prefix` then the last item's key).
pub fn page_token(position: &str) -> String {
    encode_token(position)
}

/// The error for a page token this list did not make.
pub fn bad_page_token() -> ServerError {
    invalid("INVALID_PAGE_TOKEN", "page_token", "not a page token of this list; send back next_page_token unchanged")
}

/// Where a page of units starts: after this code.
pub fn units_page_start(token: &str) -> Result<Option<UnitCode>, ServerError> {
    decode_token(token, "units/")?.map(|code| UnitCode::parse(&code).map_err(|_| bad_page_token())).transpose()
}

/// Where a page of accounts starts: after this handle.
pub fn accounts_page_start(token: &str) -> Result<Option<Handle>, ServerError> {
    decode_token(token, "accounts/")?.map(|handle| Handle::parse(&handle).map_err(|_| bad_page_token())).transpose()
}

/// The filters of a history request.
pub fn history_filter(req: &proto::ListHistoryRequest) -> Result<HistoryFilter, ServerError> {
    if req.kinds.len() > EntryKind::ALL.len() {
        return Err(invalid("INVALID_KIND", "kinds", format!("at most {} kinds", EntryKind::ALL.len())));
    }
    let kinds = req
        .kinds
        .iter()
        .map(|text| {
            EntryKind::parse(text).ok_or_else(|| {
                let names: Vec<&str> = EntryKind::ALL.iter().map(|kind| kind.as_str()).collect();
                invalid("INVALID_KIND", "kinds", format!("{text:?} is not an entry kind: use {}", names.join(", ")))
            })
        })
        .collect::<Result<_, _>>()?;
    let bound = |ms: i64| (ms != 0).then_some(ms);
    let filter = HistoryFilter { kinds, from_ms: bound(req.from_ms), to_ms: bound(req.to_ms) };
    if let (Some(from), Some(to)) = (filter.from_ms, filter.to_ms)
        && from >= to
    {
        return Err(invalid("INVALID_TIME_RANGE", "from_ms", "the range is empty: from_ms must be before to_ms"));
    }
    Ok(filter)
}

/// Where a page of `subject`'s history starts: below this sequence number.
pub fn history_page_start(token: &str, subject: &Handle) -> Result<Option<u64>, ServerError> {
    decode_token(token, &format!("accounts/{subject}/history/"))?
        .map(|seq| seq.parse::<u64>().map_err(|_| bad_page_token()))
        .transpose()
}

/// Where a page of the journal starts: at this sequence number.
pub fn entries_page_start(token: &str) -> Result<Option<u64>, ServerError> {
    decode_token(token, "entries/")?.map(|seq| seq.parse::<u64>().map_err(|_| bad_page_token())).transpose()
}

// ---------------------------------------------------------------------------------- audit export

/// A journal entry as stored, postings in minor units, for an export.
pub fn exported_entry(entry: &Entry) -> proto::ExportedEntry {
    proto::ExportedEntry {
        seq: entry.seq,
        timestamp_ms: entry.timestamp_ms,
        kind: entry.kind.as_str().to_owned(),
        command: entry.command_bytes.clone(),
        signatures: entry
            .signatures
            .iter()
            .map(|(key, signature)| proto::Signature {
                public_key: key.as_bytes().to_vec(),
                signature: signature.as_bytes().to_vec(),
            })
            .collect(),
        postings: entry
            .postings
            .iter()
            .map(|posting| proto::ExportedPosting {
                account: posting.account.to_string(),
                unit: posting.unit.to_string(),
                delta: posting.delta,
            })
            .collect(),
        prev_hash: entry.prev_hash.0.to_vec(),
        hash: entry.hash.0.to_vec(),
    }
}

/// A signed checkpoint.
pub fn checkpoint(checkpoint: &Checkpoint) -> proto::Checkpoint {
    proto::Checkpoint {
        ledger_id: checkpoint.ledger_id.to_string(),
        seq: checkpoint.seq,
        hash: checkpoint.hash.0.to_vec(),
        timestamp_ms: checkpoint.timestamp_ms,
        signer: checkpoint.signer.as_bytes().to_vec(),
        signature: checkpoint.signature.as_bytes().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::account::{AccountStatus, Limits};
    use ledger_core::keys::SecretKey;
    use tonic::Code;

    use crate::error::REASON_HEADER;

    /// The gRPC code and reason a conversion error becomes.
    fn status<T: std::fmt::Debug>(result: Result<T, ServerError>) -> (Code, String) {
        let status = tonic::Status::from(result.expect_err("bad input must be refused"));
        let reason = status.metadata().get(REASON_HEADER).expect("a reason").to_str().expect("ASCII").to_owned();
        (status.code(), reason)
    }

    fn invalid_with(reason: &str) -> (Code, String) {
        (Code::InvalidArgument, reason.to_owned())
    }

    fn s2() -> Scale {
        Scale::new(2).unwrap()
    }

    fn ledger_id() -> LedgerId {
        LedgerId::parse("0190f5c0-0000-7000-8000-000000000001").unwrap()
    }

    const REQUEST_ID: &str = "0190f5c0-0000-7000-8000-0000000000aa";

    fn key_hex() -> String {
        SecretKey::from_seed([9; 32]).public_key().to_hex()
    }

    #[test]
    fn bad_amounts_are_invalid_amount() {
        for bad in ["1e3", "12.345", "-5", "abc", "99999999999999999999999", "NaN", " 1", "1.", ".5", "+5", "0x10"] {
            assert_eq!(status(positive_amount("amount", bad, s2())), invalid_with("INVALID_AMOUNT"), "{bad:?}");
            assert_eq!(status(amount("credit_limit", bad, s2())), invalid_with("INVALID_AMOUNT"), "{bad:?}");
        }
        for zero in ["0", "0.00", "000"] {
            assert_eq!(status(positive_amount("amount", zero, s2())), invalid_with("INVALID_AMOUNT"), "{zero:?}");
            assert_eq!(amount("credit_limit", zero, s2()).unwrap(), Amount::ZERO);
        }
        assert_eq!(status(positive_amount("amount", "", s2())), invalid_with("MISSING_FIELD"));
        assert_eq!(positive_amount("amount", "12.5", s2()).unwrap().minor(), 1250);
    }

    #[test]
    fn amount_errors_name_the_field_and_the_problem() {
        let error = positive_amount("amount", "12.345", s2()).unwrap_err();
        let message = error.to_string();
        assert!(message.starts_with("amount: "), "{message}");
        assert!(message.contains("more decimals than the unit's scale of 2"), "{message}");
    }

    #[test]
    fn empty_limits_mean_zero_or_none() {
        assert_eq!(credit_limit("credit_limit", "", s2()).unwrap(), Amount::ZERO);
        assert_eq!(optional_amount("ceiling", "", s2()).unwrap(), None);
        assert_eq!(optional_amount("ceiling", "10", s2()).unwrap().map(Amount::minor), Some(1000));
        assert_eq!(status(optional_amount("soft_limit", "-1", s2())), invalid_with("INVALID_AMOUNT"));
    }

    #[test]
    fn bad_handles_are_invalid_handle() {
        let long = "a".repeat(200);
        for bad in ["Alice", "al ice", "alice ", "-alice", "al_ice", "élise", long.as_str(), "accounts/Alice"] {
            assert_eq!(status(handle("payer", bad)), invalid_with("INVALID_HANDLE"), "{bad:?}");
        }
        assert_eq!(status(handle("payer", "")), invalid_with("MISSING_FIELD"));
        assert_eq!(status(account_name("name", "accounts/")), invalid_with("MISSING_FIELD"));
        assert_eq!(account_name("name", "accounts/alice").unwrap().as_str(), "alice");
        assert_eq!(account_name("name", "alice").unwrap().as_str(), "alice");
    }

    #[test]
    fn huge_input_is_not_echoed_whole() {
        let huge = "A".repeat(1 << 20);
        let message = handle("payer", &huge).unwrap_err().to_string();
        assert!(message.len() <= MESSAGE_LEN_MAX + '…'.len_utf8(), "{}", message.len());
        let multibyte = "é".repeat(1000);
        assert!(bounded(multibyte).len() <= MESSAGE_LEN_MAX + '…'.len_utf8());
    }

    #[test]
    fn bad_names_texts_and_enums() {
        assert_eq!(status(memo(&"x".repeat(257))), invalid_with("INVALID_MEMO"));
        assert_eq!(status(memo("a\nb")), invalid_with("INVALID_MEMO"));
        assert!(memo(&"x".repeat(256)).is_ok());
        assert!(memo("").is_ok());
        for bad in ["commun", "C", "2HOUR", "COMMUN-X", "ABCDEFGHIJKLM", "units/commun"] {
            assert_eq!(status(unit_name("unit", bad)), invalid_with("INVALID_UNIT"), "{bad:?}");
        }
        assert_eq!(unit_name("name", "units/COMMUN").unwrap().as_str(), "COMMUN");
        assert_eq!(status(request_id("not-a-uuid")), invalid_with("INVALID_REQUEST_ID"));
        assert_eq!(status(request_id("")), invalid_with("MISSING_FIELD"));
        assert_eq!(status(public_key("public_key", "zz")), invalid_with("INVALID_KEY"));
        assert_eq!(status(public_key("public_key", &"00".repeat(31))), invalid_with("INVALID_KEY"));
        assert_eq!(status(role("king")), invalid_with("INVALID_ROLE"));
        assert_eq!(status(role("Admin")), invalid_with("INVALID_ROLE"));
        assert_eq!(role("auditor").unwrap(), Role::Auditor);
        assert_eq!(status(account_kind("person")), invalid_with("INVALID_KIND"));
        assert_eq!(status(account_kind("system")), invalid_with("SYSTEM_KIND_REQUESTED"));
        assert_eq!(account_kind("").unwrap(), AccountKind::Member);
        assert_eq!(account_kind("business").unwrap(), AccountKind::Business);
        assert_eq!(status(scale(7)), invalid_with("INVALID_SCALE"));
        assert_eq!(status(reason("")), invalid_with("MISSING_FIELD"));
        assert_eq!(status(reason("   ")), invalid_with("MISSING_FIELD"));
        assert_eq!(status(reason(&"r".repeat(257))), invalid_with("INVALID_REASON"));
        assert_eq!(status(display_name("display_name", "a\u{7}")), invalid_with("INVALID_DISPLAY_NAME"));
        assert_eq!(status(transfer_name("name", "transfers/xyz")), invalid_with("INVALID_TRANSFER_ID"));
        let id = RequestId::parse(REQUEST_ID).unwrap();
        for good in
            [REQUEST_ID.to_owned(), format!("transfers/{REQUEST_ID}"), format!("accounts/alice/transfers/{REQUEST_ID}")]
        {
            assert_eq!(transfer_name("name", &good).unwrap(), id, "{good}");
        }
    }

    #[test]
    fn bad_signatures() {
        let key = SecretKey::from_seed([9; 32]);
        let good = proto::Signature {
            public_key: key.public_key().as_bytes().to_vec(),
            signature: key.sign(b"x").as_bytes().to_vec(),
        };
        assert_eq!(signatures(std::slice::from_ref(&good)).unwrap().len(), 1);
        assert!(signatures(&[]).unwrap().is_empty());
        let short_key = proto::Signature { public_key: vec![1; 31], ..good.clone() };
        assert_eq!(status(signatures(&[short_key])), invalid_with("INVALID_KEY"));
        let short_signature = proto::Signature { signature: vec![1; 63], ..good.clone() };
        assert_eq!(status(signatures(&[short_signature])), invalid_with("INVALID_SIGNATURE"));
        let too_many = vec![good; SIGNATURES_MAX + 1];
        assert_eq!(status(signatures(&too_many)), (Code::Unauthenticated, "TOO_MANY_SIGNATURES".to_owned()));
    }

    #[test]
    fn page_sizes() {
        let limits = ApiLimits { page_size_max: 1000, page_size_default: 100, message_bytes_max: 1 << 20 };
        assert_eq!(page_size(0, &limits).unwrap(), 100);
        assert_eq!(page_size(7, &limits).unwrap(), 7);
        assert_eq!(page_size(5000, &limits).unwrap(), 1000);
        assert_eq!(page_size(i32::MAX, &limits).unwrap(), 1000);
        assert_eq!(status(page_size(-1, &limits)), invalid_with("INVALID_PAGE_SIZE"));
        let small = ApiLimits { page_size_max: 10, ..limits };
        assert_eq!(page_size(0, &small).unwrap(), 10);
    }

    #[test]
    fn page_tokens_round_trip_and_refuse_strangers() {
        let alice = Handle::parse("alice").unwrap();
        let bob = Handle::parse("bob").unwrap();
        let accounts: Vec<Account> = ["alice", "bob", "carol"]
            .iter()
            .map(|handle| Account {
                handle: Handle::parse(handle).unwrap(),
                kind: AccountKind::Member,
                unit: UnitCode::parse("COMMUN").unwrap(),
                name: DisplayName::default(),
                balance: 0,
                limits: Limits::default(),
                status: AccountStatus::Active,
            })
            .collect();
        let scales = Scales(HashMap::from([(UnitCode::parse("COMMUN").unwrap(), s2())]));
        let first = accounts_page(accounts.clone(), 2, &scales, |_| AccountView::Directory).unwrap();
        assert_eq!(first.accounts.len(), 2);
        assert_eq!(accounts_page_start(&first.next_page_token).unwrap(), Some(bob.clone()));
        let last = accounts_page(accounts[2..].to_vec(), 2, &scales, |_| AccountView::Directory).unwrap();
        assert_eq!(last.next_page_token, "");
        assert_eq!(accounts_page_start("").unwrap(), None);

        let history = encode_token(&format!("accounts/{alice}/history/42"));
        assert_eq!(history_page_start(&history, &alice).unwrap(), Some(42));
        assert_eq!(status(history_page_start(&history, &bob)), invalid_with("INVALID_PAGE_TOKEN"));
        assert_eq!(status(units_page_start(&first.next_page_token)), invalid_with("INVALID_PAGE_TOKEN"));
        assert_eq!(entries_page_start(&encode_token("entries/7")).unwrap(), Some(7));
        for bad in ["zz", "abc", &"00".repeat(200), &encode_token("entries/-1"), &encode_token("entries/x")] {
            assert_eq!(status(entries_page_start(bad)), invalid_with("INVALID_PAGE_TOKEN"), "{bad:?}");
        }
    }

    #[test]
    fn requests_without_store_reads_become_commands() {
        let request = proto::ChangeRoleRequest {
            request_id: REQUEST_ID.to_owned(),
            handle: "alice".to_owned(),
            role: "auditor".to_owned(),
            signatures: Vec::new(),
        };
        let signed = change_role(ledger_id(), &request, RoleChange::Revoke).unwrap();
        assert_eq!(
            signed.command,
            Command::RevokeRole { handle: Handle::parse("alice").unwrap(), role: Role::Auditor }
        );
        assert_eq!(signed.ledger_id, ledger_id());
        let bad = proto::ChangeRoleRequest { handle: "Alice".to_owned(), ..request };
        assert_eq!(status(change_role(ledger_id(), &bad, RoleChange::Grant)), invalid_with("INVALID_HANDLE"));
        let key = proto::ChangeKeyRequest {
            request_id: REQUEST_ID.to_owned(),
            handle: "alice".to_owned(),
            public_key: key_hex(),
            signatures: Vec::new(),
        };
        assert!(register_key(ledger_id(), &key).is_ok());
        let unit = proto::CreateUnitRequest {
            request_id: REQUEST_ID.to_owned(),
            code: "COMMUN".to_owned(),
            scale: 9,
            display_name: "Commun".to_owned(),
            signatures: Vec::new(),
        };
        assert_eq!(status(create_unit(ledger_id(), &unit)), invalid_with("INVALID_SCALE"));
    }

    #[test]
    fn balances_and_trial_balances_are_exact() {
        let commun = UnitCode::parse("COMMUN").unwrap();
        let account = |handle: &str, balance: i64, soft: Option<i64>| Account {
            handle: Handle::parse(handle).unwrap(),
            kind: AccountKind::Member,
            unit: commun.clone(),
            name: DisplayName::default(),
            balance,
            limits: Limits {
                credit_limit: Amount::from_minor(10_000).unwrap(),
                ceiling: None,
                soft_limit: soft.and_then(Amount::from_minor),
            },
            status: AccountStatus::Active,
        };
        let alice = account("alice", -3_050, Some(3_000));
        let answer = balance(&alice, s2(), 9);
        assert_eq!((answer.balance.as_str(), answer.available.as_str()), ("-30.50", "69.50"));
        assert_eq!((answer.ceiling.as_str(), answer.as_of_seq), ("", 9));
        let scales = Scales(HashMap::from([(commun.clone(), s2())]));
        let accounts = [alice, account("bob", 3_000, None), account("fund-commun", 50, None)];
        let trial = trial_balance(9, &accounts, &scales).unwrap();
        let unit = &trial.units[0];
        assert_eq!((unit.total.as_str(), unit.positive.as_str(), unit.negative.as_str()), ("0.00", "30.50", "-30.50"));
        assert!(unit.accounts[0].past_soft_limit);
        assert!(!unit.accounts[1].past_soft_limit);
        let directory = super::account(&accounts[0], s2(), AccountView::Directory);
        assert_eq!((directory.balance.as_str(), directory.credit_limit.as_str()), ("", ""));
    }

    /// A real ledger in a fresh SQLite file, written through the writer as the server writes it:
    /// genesis, the unit COMMUN (scale 2) and alice's account in it.
    struct Seeded {
        store: std::sync::Arc<dyn Store>,
        ledger_id: LedgerId,
        /// Holds the database file; removed when the test ends.
        _dir: tempfile::TempDir,
    }

    async fn seeded() -> Seeded {
        use crate::bootstrap::{AdminKey, ensure_genesis};
        use crate::writer::{VerifiedCommand, WriterConfig};

        let dir = tempfile::TempDir::new().expect("a temporary directory");
        let url = format!("sqlite://{}/ledger.db", dir.path().display());
        let store: std::sync::Arc<dyn Store> =
            std::sync::Arc::new(crate::store::sqlite::SqliteStore::open(&url).await.expect("a fresh database"));
        let (writer, writer_task, store) = crate::writer::spawn(store, WriterConfig::default());
        let (node, admin) = (SecretKey::from_seed([1; 32]), SecretKey::from_seed([2; 32]));
        let boot = ensure_genesis(store.as_ref(), &writer, dir.path(), &node, AdminKey::Given(admin.public_key()))
            .await
            .expect("genesis");
        let ledger_id = boot.meta.ledger_id;
        let commun = UnitCode::parse("COMMUN").unwrap();
        let commands = [
            Command::CreateUnit { code: commun.clone(), scale: s2(), name: DisplayName::parse("Commun").unwrap() },
            Command::OpenAccount {
                handle: Handle::parse("alice").unwrap(),
                unit: commun,
                kind: AccountKind::Member,
                name: DisplayName::parse("Alice").unwrap(),
                public_key: SecretKey::from_seed([3; 32]).public_key(),
                credit_limit: Amount::ZERO,
                ceiling: None,
                soft_limit: None,
            },
        ];
        for command in commands {
            let request_id = RequestId::from_uuid(uuid::Uuid::new_v4());
            let signed = SignedCommand::sign(ledger_id, request_id, command, &admin);
            writer.submit(VerifiedCommand::verify(signed).expect("signed by the admin")).await.expect("committed");
        }
        // The writer task ends once its last handle is gone, after committing what it holds.
        drop(writer);
        writer_task.await.expect("the writer stops cleanly");
        Seeded { store, ledger_id, _dir: dir }
    }

    fn pay_request(amount: &str) -> proto::CreatePaymentRequest {
        proto::CreatePaymentRequest {
            request_id: REQUEST_ID.to_owned(),
            payer: "alice".to_owned(),
            payee: "bob".to_owned(),
            unit: "COMMUN".to_owned(),
            amount: amount.to_owned(),
            memo: "vegetables".to_owned(),
            signatures: Vec::new(),
        }
    }

    fn limits_request() -> proto::SetLimitsRequest {
        proto::SetLimitsRequest {
            request_id: REQUEST_ID.to_owned(),
            handle: "alice".to_owned(),
            credit_limit: String::new(),
            ceiling: "1000".to_owned(),
            soft_limit: String::new(),
            reason: "new member".to_owned(),
            signatures: Vec::new(),
        }
    }

    fn open_request() -> proto::OpenAccountRequest {
        proto::OpenAccountRequest {
            request_id: REQUEST_ID.to_owned(),
            handle: "carol".to_owned(),
            unit: "HOUR".to_owned(),
            kind: String::new(),
            display_name: "Carol".to_owned(),
            public_key: key_hex(),
            credit_limit: "100".to_owned(),
            ceiling: String::new(),
            soft_limit: String::new(),
            signatures: Vec::new(),
        }
    }

    #[tokio::test]
    async fn payments_parse_amounts_at_the_units_scale() {
        let ledger = seeded().await;
        let store = ledger.store.as_ref();
        let (signed, scale) = payment(store, ledger.ledger_id, &pay_request("12.5")).await.unwrap();
        assert_eq!(scale, s2());
        let Command::Pay { amount, memo, .. } = &signed.command else { panic!("a payment: {signed:?}") };
        assert_eq!((amount.minor(), memo.as_str()), (1250, "vegetables"));
        // No signature: the domain refuses it when it is verified, before the writer.
        let refused = crate::writer::VerifiedCommand::verify(signed).map(|_| ());
        assert_eq!(status(refused), (Code::Unauthenticated, "SIGNATURE_MISSING".to_owned()));

        for bad in ["1e3", "12.345", "-5", "0", "abc", "99999999999999999999999"] {
            assert_eq!(
                status(payment(store, ledger.ledger_id, &pay_request(bad)).await),
                invalid_with("INVALID_AMOUNT"),
                "{bad:?}"
            );
        }
        let unknown = proto::CreatePaymentRequest { unit: "NOPE".to_owned(), ..pay_request("1") };
        assert_eq!(
            status(payment(store, ledger.ledger_id, &unknown).await),
            (Code::NotFound, "UNIT_NOT_FOUND".to_owned())
        );
    }

    /// The fields that need no store are parsed by functions that take none, before the builders
    /// read anything: a malformed request costs no read by construction.
    #[test]
    fn malformed_fields_are_refused_before_any_read() {
        let parsed = payment_fields(&pay_request("1")).unwrap();
        assert_eq!((parsed.payer.as_str(), parsed.unit.as_str()), ("alice", "COMMUN"));
        let memo = "m".repeat(300);
        let long = "a".repeat(200);
        let cases = [
            (proto::CreatePaymentRequest { request_id: "x".to_owned(), ..pay_request("1") }, "INVALID_REQUEST_ID"),
            (proto::CreatePaymentRequest { payer: "Alice".to_owned(), ..pay_request("1") }, "INVALID_HANDLE"),
            (proto::CreatePaymentRequest { payee: "al ice".to_owned(), ..pay_request("1") }, "INVALID_HANDLE"),
            (proto::CreatePaymentRequest { payee: long, ..pay_request("1") }, "INVALID_HANDLE"),
            (proto::CreatePaymentRequest { unit: "commun".to_owned(), ..pay_request("1") }, "INVALID_UNIT"),
            (proto::CreatePaymentRequest { memo, ..pay_request("1") }, "INVALID_MEMO"),
            (proto::CreatePaymentRequest { payee: String::new(), ..pay_request("1") }, "MISSING_FIELD"),
        ];
        for (request, reason) in cases {
            assert_eq!(status(payment_fields(&request)), invalid_with(reason), "{request:?}");
        }

        assert_eq!(set_limits_fields(&limits_request()).unwrap().handle.as_str(), "alice");
        let bad_handle = proto::SetLimitsRequest { handle: "Alice".to_owned(), ..limits_request() };
        assert_eq!(status(set_limits_fields(&bad_handle)), invalid_with("INVALID_HANDLE"));
        let no_reason = proto::SetLimitsRequest { reason: String::new(), ..limits_request() };
        assert_eq!(status(set_limits_fields(&no_reason)), invalid_with("MISSING_FIELD"));

        assert_eq!(open_account_fields(&open_request()).unwrap().unit.as_str(), "HOUR");
        let bad_unit = proto::OpenAccountRequest { unit: "hour".to_owned(), ..open_request() };
        assert_eq!(status(open_account_fields(&bad_unit)), invalid_with("INVALID_UNIT"));
        let system = proto::OpenAccountRequest { kind: "system".to_owned(), ..open_request() };
        assert_eq!(status(open_account_fields(&system)), invalid_with("SYSTEM_KIND_REQUESTED"));
    }

    #[tokio::test]
    async fn limits_are_parsed_at_the_scale_of_the_account() {
        let ledger = seeded().await;
        let store = ledger.store.as_ref();
        let request = limits_request();
        let signed = set_limits(store, ledger.ledger_id, &request).await.unwrap();
        let Command::SetLimits { credit_limit, ceiling, soft_limit, .. } = signed.command else { panic!("limits") };
        assert_eq!((credit_limit, ceiling.map(Amount::minor), soft_limit), (Amount::ZERO, Some(100_000), None));
        let bad = proto::SetLimitsRequest { credit_limit: "1.005".to_owned(), ..request.clone() };
        assert_eq!(status(set_limits(store, ledger.ledger_id, &bad).await), invalid_with("INVALID_AMOUNT"));
        let unknown = proto::SetLimitsRequest { handle: "nobody".to_owned(), ..request };
        assert_eq!(
            status(set_limits(store, ledger.ledger_id, &unknown).await),
            (Code::NotFound, "ACCOUNT_NOT_FOUND".to_owned())
        );

        let open = open_request();
        assert_eq!(
            status(open_account(store, ledger.ledger_id, &open).await),
            (Code::NotFound, "UNIT_NOT_FOUND".to_owned())
        );
        let open = proto::OpenAccountRequest { unit: "COMMUN".to_owned(), ..open };
        let Command::OpenAccount { credit_limit, kind, .. } =
            open_account(store, ledger.ledger_id, &open).await.unwrap().command
        else {
            panic!("an account")
        };
        assert_eq!((credit_limit.minor(), kind), (10_000, AccountKind::Member));
    }

    #[test]
    fn a_payment_entry_reads_back_as_transfer_and_history() {
        let payer_key = SecretKey::from_seed([5; 32]);
        let (alice, bob, commun) =
            (Handle::parse("alice").unwrap(), Handle::parse("bob").unwrap(), UnitCode::parse("COMMUN").unwrap());
        let command = Command::Pay {
            payer: alice.clone(),
            payee: bob.clone(),
            unit: commun.clone(),
            amount: Amount::from_minor(3_000).unwrap(),
            memo: Memo::parse("vegetables").unwrap(),
        };
        let request_id = RequestId::parse(REQUEST_ID).unwrap();
        let signed = SignedCommand::sign(ledger_id(), request_id, command, &payer_key);
        let postings = vec![
            ledger_core::journal::Posting { account: alice.clone(), unit: commun.clone(), delta: -3_000 },
            ledger_core::journal::Posting { account: bob.clone(), unit: commun.clone(), delta: 3_000 },
        ];
        let entry = Entry::seal(
            7,
            1_700_000_000_000,
            signed.command.entry_kind(),
            signed.signing_bytes(),
            signed.signatures.clone(),
            postings,
            ledger_core::journal::EntryHash::GENESIS_PREV,
        );
        let payment = payment_of(&entry).unwrap().expect("a payment");
        let warning = Warning::SoftLimitCrossed {
            account: alice.clone(),
            balance: "-30.00".to_owned(),
            soft_limit: "20.00".to_owned(),
        };
        let answer = transfer(&entry, &payment, s2(), std::slice::from_ref(&warning));
        assert_eq!(
            (answer.name.as_str(), answer.status.as_str()),
            (format!("transfers/{REQUEST_ID}").as_str(), "committed")
        );
        assert_eq!((answer.amount.as_str(), answer.seq, answer.kind.as_str()), ("30.00", 7, "payment"));
        assert!(answer.warnings[0].contains("soft limit"), "{:?}", answer.warnings);

        let row = HistoryRow { entry: entry.clone(), delta: Some(3_000), balance_after: Some(3_000) };
        let item = history_item(&row, &bob, Some(s2())).unwrap();
        assert_eq!((item.amount.as_str(), item.balance_after.as_str()), ("30.00", "30.00"));
        assert_eq!((item.counterparty.as_str(), item.memo.as_str()), ("alice", "vegetables"));
        assert_eq!(item.description, "received 30.00 COMMUN from alice");
        let row = HistoryRow { entry: entry.clone(), delta: Some(-3_000), balance_after: Some(-3_000) };
        assert_eq!(history_item(&row, &alice, Some(s2())).unwrap().counterparty, "bob");

        let scales = Scales(HashMap::from([(commun, s2())]));
        let journal = journal_entry(&entry, &scales).unwrap();
        assert_eq!(journal.postings[0].amount, "-30.00");
        assert_eq!(journal.hash, entry.hash.0.to_vec());
        let mut broken = entry;
        broken.command_bytes.truncate(10);
        assert_eq!(status(payment_of(&broken)), (Code::Unavailable, "UNAVAILABLE".to_owned()));
    }
}
