//! Deterministic keys and ids, and strategies for valid domain values and commands.

use std::sync::LazyLock;

use ledger_core::account::{AccountKind, AccountStatus, Role};
use ledger_core::amount::{AMOUNT_MAX, Amount, Scale};
use ledger_core::clearing::settlement::{CreditPosting, SetOffLine};
use ledger_core::command::Command;
use ledger_core::date::Date;
use ledger_core::import::{ImportRow, RowIds};
use ledger_core::invoice::ImportedInvoice;
use ledger_core::keys::{PublicKey, SecretKey};
use ledger_core::names::{DisplayName, Handle, LedgerId, Memo, Reason, Reference, RequestId, UnitCode};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::string::string_regex;
use uuid::Uuid;

/// How many deterministic keys the tests use: key `n` has the seed `[n; 32]`.
pub const KEY_COUNT: u8 = 64;

/// Keys are precomputed once: deriving a public key costs a scalar multiplication.
static SECRETS: LazyLock<Vec<SecretKey>> =
    LazyLock::new(|| (0..KEY_COUNT).map(|n| SecretKey::from_seed([n; 32])).collect());

static PUBLICS: LazyLock<Vec<PublicKey>> = LazyLock::new(|| SECRETS.iter().map(SecretKey::public_key).collect());

/// The secret key with seed `[n; 32]`.
pub fn secret(n: u8) -> &'static SecretKey {
    &SECRETS[usize::from(n)]
}

/// The public key of [`secret`]`(n)`.
pub fn public(n: u8) -> PublicKey {
    PUBLICS[usize::from(n)]
}

/// The secret key behind one of the test's public keys.
pub fn secret_of(key: &PublicKey) -> &'static SecretKey {
    let n = PUBLICS.iter().position(|k| k == key).expect("every key in these tests comes from the precomputed table");
    &SECRETS[n]
}

pub fn handle(text: &str) -> Handle {
    Handle::parse(text).expect("test handles are valid")
}

pub fn unit_code(text: &str) -> UnitCode {
    UnitCode::parse(text).expect("test unit codes are valid")
}

pub fn amount(minor: i64) -> Amount {
    Amount::from_minor(minor).expect("test amounts are within 0..=AMOUNT_MAX")
}

pub fn scale(places: u32) -> Scale {
    Scale::new(places).expect("test scales are within 0..=6")
}

pub fn ledger_id(n: u128) -> LedgerId {
    LedgerId::from_uuid(Uuid::from_u128(n))
}

pub fn request_id(n: u128) -> RequestId {
    RequestId::from_uuid(Uuid::from_u128(n))
}

/// Strategies for every field type a command has, so one command strategy serves both the full
/// value space and a tiny one where near-collisions are frequent.
pub struct Fields {
    pub handle: BoxedStrategy<Handle>,
    pub unit: BoxedStrategy<UnitCode>,
    pub amount: BoxedStrategy<Amount>,
    pub scale: BoxedStrategy<Scale>,
    pub name: BoxedStrategy<DisplayName>,
    pub memo: BoxedStrategy<Memo>,
    pub reason: BoxedStrategy<Reason>,
    pub key: BoxedStrategy<PublicKey>,
    pub id: BoxedStrategy<u128>,
}

/// Printable ASCII up to `ascii_max` bytes, or any non-control characters up to `chars_max`
/// (at most 4 bytes each), so both long and multi-byte texts come up.
fn text(ascii_max: usize, chars_max: usize) -> BoxedStrategy<String> {
    prop_oneof![
        string_regex(&format!("[ -~]{{0,{ascii_max}}}")).expect("valid regex"),
        string_regex(&format!("[^\\p{{Cc}}]{{0,{chars_max}}}")).expect("valid regex"),
    ]
    .boxed()
}

impl Fields {
    /// Every valid value, with the bounds (empty, longest, zero, largest) favoured.
    pub fn full() -> Self {
        let handle = string_regex("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?").expect("valid regex");
        let unit = string_regex("[A-Z][A-Z0-9]{1,11}").expect("valid regex");
        Self {
            handle: handle.prop_map(|h| self::handle(&h)).boxed(),
            unit: unit.prop_map(|u| unit_code(&u)).boxed(),
            amount: prop_oneof![Just(0), Just(AMOUNT_MAX), 1..=10_000_i64, 0..=AMOUNT_MAX].prop_map(amount).boxed(),
            scale: (0..=6_u32).prop_map(scale).boxed(),
            name: text(DisplayName::LEN_MAX, 25)
                .prop_filter_map("display name", |t| DisplayName::parse(&t).ok())
                .boxed(),
            memo: text(Memo::LEN_MAX, 64).prop_filter_map("memo", |t| Memo::parse(&t).ok()).boxed(),
            reason: text(Reason::LEN_MAX, 64).prop_filter_map("reason", |t| Reason::parse(&t).ok()).boxed(),
            key: (0..KEY_COUNT).prop_map(public).boxed(),
            id: prop_oneof![Just(0), Just(u128::MAX), any::<u128>()].boxed(),
        }
    }

    /// A handful of values per field, chosen so that concatenations collide ("a" + "b" and
    /// "ab" + ""): two random commands are often equal or differ in a single field.
    pub fn small() -> Self {
        let texts = ["", "a", "b", "ab"];
        Self {
            handle: select(vec!["a", "b", "ab", "a-b"]).prop_map(handle).boxed(),
            unit: select(vec!["AB", "ABC", "BC"]).prop_map(unit_code).boxed(),
            amount: select(vec![0, 1, 256, AMOUNT_MAX]).prop_map(amount).boxed(),
            scale: select(vec![0, 1, 6]).prop_map(scale).boxed(),
            name: select(texts.to_vec()).prop_map(|t| DisplayName::parse(t).expect("valid name")).boxed(),
            memo: select(texts.to_vec()).prop_map(|t| Memo::parse(t).expect("valid memo")).boxed(),
            reason: select(vec!["a", "b", "ab"]).prop_map(|t| Reason::parse(t).expect("valid reason")).boxed(),
            key: select(vec![0_u8, 1]).prop_map(public).boxed(),
            id: select(vec![0_u128, 1, 1 << 64]).boxed(),
        }
    }

    fn option_amount(&self) -> BoxedStrategy<Option<Amount>> {
        proptest::option::of(self.amount.clone()).boxed()
    }

    /// Commands of every variant, built from these fields.
    pub fn command(&self) -> BoxedStrategy<Command> {
        let kind = select(vec![AccountKind::Member, AccountKind::Business, AccountKind::System]);
        let status = select(vec![AccountStatus::Active, AccountStatus::Frozen, AccountStatus::Closed]);
        let role = select(Role::ALL.to_vec());
        prop_oneof![
            (self.key.clone(), self.key.clone()).prop_map(|(admin_key, node_key)| {
                Command::Genesis {
                    admin_key,
                    node_key,
                }
            }),
            (self.unit.clone(), self.scale.clone(), self.name.clone())
                .prop_map(|(code, scale, name)| Command::CreateUnit { code, scale, name }),
            (
                (
                    self.handle.clone(),
                    self.unit.clone(),
                    kind,
                    self.name.clone()
                ),
                (
                    self.key.clone(),
                    self.amount.clone(),
                    self.option_amount(),
                    self.option_amount()
                ),
            )
                .prop_map(
                    |(
                        (handle, unit, kind, name),
                        (public_key, credit_limit, ceiling, soft_limit),
                    )| {
                        Command::OpenAccount {
                            handle,
                            unit,
                            kind,
                            name,
                            public_key,
                            credit_limit,
                            ceiling,
                            soft_limit,
                        }
                    }
                ),
            (
                self.handle.clone(),
                self.amount.clone(),
                self.option_amount(),
                self.option_amount(),
                self.reason.clone(),
            )
                .prop_map(|(handle, credit_limit, ceiling, soft_limit, reason)| {
                    Command::SetLimits {
                        handle,
                        credit_limit,
                        ceiling,
                        soft_limit,
                        reason,
                    }
                }),
            (self.handle.clone(), status, self.reason.clone()).prop_map(
                |(handle, status, reason)| Command::SetStatus {
                    handle,
                    status,
                    reason,
                }
            ),
            (self.handle.clone(), role.clone())
                .prop_map(|(handle, role)| Command::GrantRole { handle, role }),
            (self.handle.clone(), role)
                .prop_map(|(handle, role)| Command::RevokeRole { handle, role }),
            (self.handle.clone(), self.key.clone())
                .prop_map(|(handle, public_key)| Command::RegisterKey { handle, public_key }),
            (self.handle.clone(), self.key.clone())
                .prop_map(|(handle, public_key)| Command::RevokeKey { handle, public_key }),
            (
                self.handle.clone(),
                self.handle.clone(),
                self.unit.clone(),
                self.amount.clone(),
                self.memo.clone(),
            )
                .prop_map(|(payer, payee, unit, amount, memo)| Command::Pay {
                    payer,
                    payee,
                    unit,
                    amount,
                    memo,
                }),
            (
                self.handle.clone(),
                self.handle.clone(),
                self.unit.clone(),
                self.amount.clone(),
                self.memo.clone(),
                prop_oneof![Just(0_i64), Just(1), any::<i64>()],
            )
                .prop_map(|(payee, payer, unit, amount, memo, lifetime_ms)| Command::RequestPayment {
                    payee,
                    payer,
                    unit,
                    amount,
                    memo,
                    lifetime_ms,
                }),
            (self.id.clone(), self.handle.clone(), self.handle.clone(), self.unit.clone(), self.amount.clone())
                .prop_map(|(id, payer, payee, unit, amount)| Command::AcceptRequest {
                    request: request_id(id),
                    payer,
                    payee,
                    unit,
                    amount,
                }),
            (self.id.clone(), self.handle.clone())
                .prop_map(|(id, payer)| Command::RejectRequest { request: request_id(id), payer }),
            (
                self.id.clone(),
                self.handle.clone(),
                self.handle.clone(),
                self.unit.clone(),
                self.amount.clone(),
                self.reason.clone(),
            )
                .prop_map(|(id, payer, payee, unit, amount, reason)| Command::Reverse {
                    transfer: request_id(id),
                    payer,
                    payee,
                    unit,
                    amount,
                    reason,
                }),
            (
                self.unit.clone(),
                prop_oneof![Just([0_u8; 32]), any::<[u8; 32]>()],
                prop_oneof![Just(2_u32), any::<u32>()],
                proptest::collection::vec(
                    (self.handle.clone(), self.handle.clone(), self.amount.clone(), self.memo.clone()),
                    1..4
                ),
                prop_oneof![Just(RowIds::Hashed), Just(RowIds::InTimeOrder)],
            )
                .prop_map(|(unit, file_sha256, first_line, rows, row_ids)| Command::ImportTransfers {
                    unit,
                    file_sha256,
                    first_line,
                    rows: rows
                        .into_iter()
                        .map(|(payer, payee, amount, memo)| ImportRow { payer, payee, amount, memo })
                        .collect(),
                    row_ids,
                }),
            (
                self.handle.clone(),
                self.handle.clone(),
                self.unit.clone(),
                self.amount.clone(),
                due_date(),
                self.memo.clone(),
            )
                .prop_map(|(creditor, debtor, unit, amount, due, memo)| Command::IssueInvoice {
                    creditor,
                    debtor,
                    unit,
                    amount,
                    due,
                    reference: reference_of(&memo),
                }),
            (self.id.clone(), self.handle.clone(), self.handle.clone(), self.unit.clone(), self.amount.clone())
                .prop_map(|(id, debtor, creditor, unit, amount)| Command::AcceptInvoice {
                    invoice: request_id(id),
                    debtor,
                    creditor,
                    unit,
                    amount,
                }),
            (self.id.clone(), self.handle.clone())
                .prop_map(|(id, debtor)| Command::RejectInvoice { invoice: request_id(id), debtor }),
            (
                self.unit.clone(),
                proptest::collection::vec(
                    (
                        self.id.clone(),
                        self.handle.clone(),
                        self.handle.clone(),
                        self.amount.clone(),
                        due_date(),
                        self.memo.clone()
                    ),
                    0..4
                ),
            )
                .prop_map(|(unit, rows)| Command::ImportInvoices {
                    unit,
                    invoices: rows
                        .into_iter()
                        .map(|(id, creditor, debtor, amount, due, memo)| ImportedInvoice {
                            id: request_id(id),
                            creditor,
                            debtor,
                            amount,
                            due,
                            reference: reference_of(&memo),
                        })
                        .collect(),
                }),
            (
                self.unit.clone(),
                proptest::collection::vec((self.id.clone(), self.amount.clone()), 0..4),
                proptest::collection::vec((self.handle.clone(), -1_000_i64..1_000), 0..3),
            )
                .prop_map(|(unit, set_offs, credit)| Command::ClearingRun {
                    unit,
                    set_offs: set_offs
                        .into_iter()
                        .map(|(id, amount)| SetOffLine { invoice: request_id(id), amount })
                        .collect(),
                    credit: credit.into_iter().map(|(account, delta)| CreditPosting { account, delta }).collect(),
                }),
        ]
        .boxed()
    }

    /// A ledger id, a request id and a command.
    pub fn signed_parts(&self) -> BoxedStrategy<(LedgerId, RequestId, Command)> {
        (self.id.clone(), self.id.clone(), self.command())
            .prop_map(|(l, r, c)| (ledger_id(l), request_id(r), c))
            .boxed()
    }
}

/// No due date, or one of a few (a leap day among them).
fn due_date() -> BoxedStrategy<Option<Date>> {
    proptest::option::of(select(vec!["2026-11-30", "2028-02-29", "9999-12-31"]))
        .prop_map(|text| text.map(|text| Date::parse(text).expect("a valid date")))
        .boxed()
}

/// A reference with a memo's text (both are at most 256 bytes, without control characters).
fn reference_of(memo: &Memo) -> Reference {
    Reference::parse(memo.as_str()).expect("a memo is a valid reference")
}

fn other_due(due: Option<Date>) -> Option<Date> {
    match due {
        None => Some(Date::parse("2026-11-30").expect("a valid date")),
        Some(_) => None,
    }
}

fn other_handle(h: &Handle) -> Handle {
    // Appending a letter keeps a handle valid unless it is at its longest; then the last
    // letter changes instead.
    let text = h.as_str();
    if text.len() < Handle::LEN_MAX {
        handle(&format!("{text}a"))
    } else {
        let last = if text.ends_with('a') { 'b' } else { 'a' };
        handle(&format!("{}{last}", &text[..text.len() - 1]))
    }
}

fn other_unit(u: &UnitCode) -> UnitCode {
    let text = u.as_str();
    if text.len() < 12 {
        unit_code(&format!("{text}A"))
    } else {
        let last = if text.ends_with('A') { 'B' } else { 'A' };
        unit_code(&format!("{}{last}", &text[..text.len() - 1]))
    }
}

fn other_id(id: RequestId) -> RequestId {
    request_id(id.uuid().as_u128().wrapping_add(1))
}

fn other_amount(a: Amount) -> Amount {
    amount(if a.is_zero() { 1 } else { a.minor() - 1 })
}

/// Both ways an optional amount can change: present/absent, and a different value.
fn other_options(a: Option<Amount>) -> [Option<Amount>; 2] {
    match a {
        None => [Some(Amount::ZERO), Some(amount(AMOUNT_MAX))],
        Some(value) => [None, Some(other_amount(value))],
    }
}

fn other_text(t: &str) -> &'static str {
    if t == "x" { "y" } else { "x" }
}

fn other_key(k: &PublicKey) -> PublicKey {
    if *k == public(0) { public(1) } else { public(0) }
}

fn next_scale(s: Scale) -> Scale {
    scale((u32::from(s.places()) + 1) % 7)
}

fn next_kind(k: AccountKind) -> AccountKind {
    match k {
        AccountKind::Member => AccountKind::Business,
        AccountKind::Business => AccountKind::System,
        AccountKind::System => AccountKind::Member,
    }
}

fn next_status(s: AccountStatus) -> AccountStatus {
    match s {
        AccountStatus::Active => AccountStatus::Frozen,
        AccountStatus::Frozen => AccountStatus::Closed,
        AccountStatus::Closed => AccountStatus::Active,
    }
}

fn next_role(r: Role) -> Role {
    let i = Role::ALL.iter().position(|x| *x == r).expect("a role");
    Role::ALL[(i + 1) % Role::ALL.len()]
}

/// For each field of `command`, copies of it with only that field changed, named by field. A
/// command of another variant with the same field values is included too.
pub fn one_field_changes(command: &Command) -> Vec<(&'static str, Command)> {
    let mut out = Vec::new();
    let mut push = |field: &'static str, changed: Command| {
        assert_ne!(&changed, command, "the change to {field} changed nothing");
        out.push((field, changed));
    };
    match command.clone() {
        Command::Genesis { admin_key, node_key } => {
            let c = |admin_key, node_key| Command::Genesis { admin_key, node_key };
            push("admin_key", c(other_key(&admin_key), node_key));
            push("node_key", c(admin_key, other_key(&node_key)));
        }
        Command::CreateUnit { code, scale, name } => {
            let c = |code, scale, name| Command::CreateUnit { code, scale, name };
            push("code", c(other_unit(&code), scale, name.clone()));
            push("scale", c(code.clone(), next_scale(scale), name.clone()));
            let name2 = DisplayName::parse(other_text(name.as_str())).expect("valid");
            push("name", c(code, scale, name2));
        }
        Command::OpenAccount { handle, unit, kind, name, public_key, credit_limit, ceiling, soft_limit } => {
            let base = Command::OpenAccount {
                handle: handle.clone(),
                unit: unit.clone(),
                kind,
                name: name.clone(),
                public_key,
                credit_limit,
                ceiling,
                soft_limit,
            };
            macro_rules! field {
                ($name:literal, $field:ident, $value:expr) => {{
                    let value = $value;
                    let mut changed = base.clone();
                    if let Command::OpenAccount { $field, .. } = &mut changed {
                        *$field = value;
                    }
                    push($name, changed);
                }};
            }
            field!("handle", handle, other_handle(&handle));
            field!("unit", unit, other_unit(&unit));
            field!("kind", kind, next_kind(kind));
            field!("name", name, DisplayName::parse(other_text(name.as_str())).expect("valid"));
            field!("public_key", public_key, other_key(&public_key));
            field!("credit_limit", credit_limit, other_amount(credit_limit));
            for value in other_options(ceiling) {
                field!("ceiling", ceiling, value);
            }
            for value in other_options(soft_limit) {
                field!("soft_limit", soft_limit, value);
            }
        }
        Command::SetLimits { handle, credit_limit, ceiling, soft_limit, reason } => {
            let base = Command::SetLimits {
                handle: handle.clone(),
                credit_limit,
                ceiling,
                soft_limit,
                reason: reason.clone(),
            };
            macro_rules! field {
                ($name:literal, $field:ident, $value:expr) => {{
                    let value = $value;
                    let mut changed = base.clone();
                    if let Command::SetLimits { $field, .. } = &mut changed {
                        *$field = value;
                    }
                    push($name, changed);
                }};
            }
            field!("handle", handle, other_handle(&handle));
            field!("credit_limit", credit_limit, other_amount(credit_limit));
            for value in other_options(ceiling) {
                field!("ceiling", ceiling, value);
            }
            for value in other_options(soft_limit) {
                field!("soft_limit", soft_limit, value);
            }
            field!("reason", reason, Reason::parse(other_text(reason.as_str())).expect("valid"));
        }
        Command::SetStatus { handle, status, reason } => {
            let c = |handle, status, reason| Command::SetStatus { handle, status, reason };
            push("handle", c(other_handle(&handle), status, reason.clone()));
            push("status", c(handle.clone(), next_status(status), reason.clone()));
            let reason2 = Reason::parse(other_text(reason.as_str())).expect("valid");
            push("reason", c(handle, status, reason2));
        }
        Command::GrantRole { handle, role } => {
            push("handle", Command::GrantRole { handle: other_handle(&handle), role });
            push("role", Command::GrantRole { handle: handle.clone(), role: next_role(role) });
            push("variant", Command::RevokeRole { handle, role });
        }
        Command::RevokeRole { handle, role } => {
            push("handle", Command::RevokeRole { handle: other_handle(&handle), role });
            push("role", Command::RevokeRole { handle: handle.clone(), role: next_role(role) });
            push("variant", Command::GrantRole { handle, role });
        }
        Command::RegisterKey { handle, public_key } => {
            push("handle", Command::RegisterKey { handle: other_handle(&handle), public_key });
            push("public_key", Command::RegisterKey { handle: handle.clone(), public_key: other_key(&public_key) });
            push("variant", Command::RevokeKey { handle, public_key });
        }
        Command::RevokeKey { handle, public_key } => {
            push("handle", Command::RevokeKey { handle: other_handle(&handle), public_key });
            push("public_key", Command::RevokeKey { handle: handle.clone(), public_key: other_key(&public_key) });
            push("variant", Command::RegisterKey { handle, public_key });
        }
        Command::Pay { payer, payee, unit, amount, memo } => {
            let c = |payer, payee, unit, amount, memo| Command::Pay { payer, payee, unit, amount, memo };
            push("payer", c(other_handle(&payer), payee.clone(), unit.clone(), amount, memo.clone()));
            push("payee", c(payer.clone(), other_handle(&payee), unit.clone(), amount, memo.clone()));
            if payer != payee {
                push("payer and payee swapped", c(payee.clone(), payer.clone(), unit.clone(), amount, memo.clone()));
            }
            push("unit", c(payer.clone(), payee.clone(), other_unit(&unit), amount, memo.clone()));
            push("amount", c(payer.clone(), payee.clone(), unit.clone(), other_amount(amount), memo.clone()));
            let memo2 = Memo::parse(other_text(memo.as_str())).expect("valid");
            push("memo", c(payer, payee, unit, amount, memo2));
        }
        Command::RequestPayment { payee, payer, unit, amount, memo, lifetime_ms } => {
            let c = |payee, payer, unit, amount, memo, lifetime_ms| Command::RequestPayment {
                payee,
                payer,
                unit,
                amount,
                memo,
                lifetime_ms,
            };
            let memo2 = Memo::parse(other_text(memo.as_str())).expect("valid");
            push("payee", c(other_handle(&payee), payer.clone(), unit.clone(), amount, memo.clone(), lifetime_ms));
            push("payer", c(payee.clone(), other_handle(&payer), unit.clone(), amount, memo.clone(), lifetime_ms));
            push("unit", c(payee.clone(), payer.clone(), other_unit(&unit), amount, memo.clone(), lifetime_ms));
            push(
                "amount",
                c(payee.clone(), payer.clone(), unit.clone(), other_amount(amount), memo.clone(), lifetime_ms),
            );
            push("memo", c(payee.clone(), payer.clone(), unit.clone(), amount, memo2, lifetime_ms));
            push("lifetime_ms", c(payee, payer, unit, amount, memo, lifetime_ms.wrapping_add(1)));
        }
        Command::AcceptRequest { request, payer, payee, unit, amount } => {
            let c =
                |request, payer, payee, unit, amount| Command::AcceptRequest { request, payer, payee, unit, amount };
            push("request", c(other_id(request), payer.clone(), payee.clone(), unit.clone(), amount));
            push("payer", c(request, other_handle(&payer), payee.clone(), unit.clone(), amount));
            push("payee", c(request, payer.clone(), other_handle(&payee), unit.clone(), amount));
            push("unit", c(request, payer.clone(), payee.clone(), other_unit(&unit), amount));
            push("amount", c(request, payer.clone(), payee.clone(), unit.clone(), other_amount(amount)));
            push("variant", Command::RejectRequest { request, payer });
        }
        Command::RejectRequest { request, payer } => {
            push("request", Command::RejectRequest { request: other_id(request), payer: payer.clone() });
            push("payer", Command::RejectRequest { request, payer: other_handle(&payer) });
        }
        Command::Reverse { transfer, payer, payee, unit, amount, reason } => {
            let c = |transfer, payer, payee, unit, amount, reason| Command::Reverse {
                transfer,
                payer,
                payee,
                unit,
                amount,
                reason,
            };
            push("transfer", c(other_id(transfer), payer.clone(), payee.clone(), unit.clone(), amount, reason.clone()));
            push("payer", c(transfer, other_handle(&payer), payee.clone(), unit.clone(), amount, reason.clone()));
            push("payee", c(transfer, payer.clone(), other_handle(&payee), unit.clone(), amount, reason.clone()));
            push("unit", c(transfer, payer.clone(), payee.clone(), other_unit(&unit), amount, reason.clone()));
            push(
                "amount",
                c(transfer, payer.clone(), payee.clone(), unit.clone(), other_amount(amount), reason.clone()),
            );
            let reason2 = Reason::parse(other_text(reason.as_str())).expect("valid");
            push("reason", c(transfer, payer, payee, unit, amount, reason2));
        }
        Command::ImportTransfers { unit, file_sha256, first_line, rows, row_ids } => {
            let c = |unit, file_sha256, first_line, rows| Command::ImportTransfers {
                unit,
                file_sha256,
                first_line,
                rows,
                row_ids,
            };
            let other_ids = match row_ids {
                RowIds::Hashed => RowIds::InTimeOrder,
                RowIds::InTimeOrder => RowIds::Hashed,
            };
            let ids_changed = Command::ImportTransfers {
                unit: unit.clone(),
                file_sha256,
                first_line,
                rows: rows.clone(),
                row_ids: other_ids,
            };
            push("row_ids", ids_changed);
            push("unit", c(other_unit(&unit), file_sha256, first_line, rows.clone()));
            let mut other_file = file_sha256;
            other_file[31] ^= 1;
            push("file_sha256", c(unit.clone(), other_file, first_line, rows.clone()));
            push("first_line", c(unit.clone(), file_sha256, first_line.wrapping_add(1), rows.clone()));
            let row_change = |change: &dyn Fn(&mut ImportRow)| {
                let mut changed = rows.clone();
                change(changed.last_mut().expect("at least one row"));
                c(unit.clone(), file_sha256, first_line, changed)
            };
            push("rows.payer", row_change(&|row| row.payer = other_handle(&row.payer)));
            push("rows.payee", row_change(&|row| row.payee = other_handle(&row.payee)));
            push("rows.amount", row_change(&|row| row.amount = other_amount(row.amount)));
            push("rows.memo", row_change(&|row| row.memo = Memo::parse(other_text(row.memo.as_str())).expect("valid")));
            let mut more = rows.clone();
            more.push(rows[0].clone());
            push("rows (one more)", c(unit, file_sha256, first_line, more));
        }
        Command::IssueInvoice { creditor, debtor, unit, amount, due, reference } => {
            let c = |creditor, debtor, unit, amount, due, reference| Command::IssueInvoice {
                creditor,
                debtor,
                unit,
                amount,
                due,
                reference,
            };
            let (cr, de, u, r) = (&creditor, &debtor, &unit, &reference);
            push("creditor", c(other_handle(cr), de.clone(), u.clone(), amount, due, r.clone()));
            push("debtor", c(cr.clone(), other_handle(de), u.clone(), amount, due, r.clone()));
            push("unit", c(cr.clone(), de.clone(), other_unit(u), amount, due, r.clone()));
            push("amount", c(cr.clone(), de.clone(), u.clone(), other_amount(amount), due, r.clone()));
            push("due", c(cr.clone(), de.clone(), u.clone(), amount, other_due(due), r.clone()));
            let r2 = Reference::parse(other_text(r.as_str())).expect("valid");
            push("reference", c(creditor, debtor, unit, amount, due, r2));
        }
        Command::AcceptInvoice { invoice, debtor, creditor, unit, amount } => {
            let c = |invoice, debtor, creditor, unit, amount| Command::AcceptInvoice {
                invoice,
                debtor,
                creditor,
                unit,
                amount,
            };
            push("invoice", c(other_id(invoice), debtor.clone(), creditor.clone(), unit.clone(), amount));
            push("debtor", c(invoice, other_handle(&debtor), creditor.clone(), unit.clone(), amount));
            push("creditor", c(invoice, debtor.clone(), other_handle(&creditor), unit.clone(), amount));
            push("unit", c(invoice, debtor.clone(), creditor.clone(), other_unit(&unit), amount));
            push("amount", c(invoice, debtor.clone(), creditor.clone(), unit.clone(), other_amount(amount)));
            push("variant", Command::RejectInvoice { invoice, debtor });
        }
        Command::RejectInvoice { invoice, debtor } => {
            push("invoice", Command::RejectInvoice { invoice: other_id(invoice), debtor: debtor.clone() });
            push("debtor", Command::RejectInvoice { invoice, debtor: other_handle(&debtor) });
        }
        Command::ImportInvoices { unit, invoices } => {
            push("unit", Command::ImportInvoices { unit: other_unit(&unit), invoices: invoices.clone() });
            let mut fewer = invoices.clone();
            if fewer.pop().is_none() {
                fewer.push(ImportedInvoice {
                    id: request_id(1),
                    creditor: handle("alice"),
                    debtor: handle("bob"),
                    amount: amount(1),
                    due: None,
                    reference: Reference::default(),
                });
            }
            push("invoices", Command::ImportInvoices { unit: unit.clone(), invoices: fewer });
            if let Some(first) = invoices.first() {
                let mut changed = invoices.clone();
                changed[0].amount = other_amount(first.amount);
                push("invoices[0].amount", Command::ImportInvoices { unit, invoices: changed });
            }
        }
        Command::ClearingRun { unit, set_offs, credit } => {
            push(
                "unit",
                Command::ClearingRun { unit: other_unit(&unit), set_offs: set_offs.clone(), credit: credit.clone() },
            );
            let mut more = set_offs.clone();
            more.push(SetOffLine { invoice: request_id(1), amount: amount(1) });
            push("set_offs", Command::ClearingRun { unit: unit.clone(), set_offs: more, credit: credit.clone() });
            if let Some(first) = set_offs.first() {
                let mut changed = set_offs.clone();
                changed[0].amount = other_amount(first.amount);
                push(
                    "set_offs[0].amount",
                    Command::ClearingRun { unit: unit.clone(), set_offs: changed, credit: credit.clone() },
                );
            }
            let mut more = credit.clone();
            more.push(CreditPosting { account: handle("alice"), delta: 1 });
            push("credit", Command::ClearingRun { unit, set_offs, credit: more });
        }
        Command::AddCommons { .. }
        | Command::Declare { .. }
        | Command::ValidateDeclaration { .. }
        | Command::RefuseDeclaration { .. }
        | Command::SetAgreement { .. }
        | Command::Contribute { .. }
        | Command::Collect { .. }
        | Command::SetQuorum { .. }
        | Command::ProposeRule { .. }
        | Command::ApproveRule { .. }
        | Command::ProposeDistribution { .. }
        | Command::ApproveDistribution { .. } => {
            unreachable!(
                "the command strategies generate no chamber commands; tests/chamber/, tests/contributions.rs, tests/chamber/rules.rs and tests/chamber/distributions.rs cover them"
            )
        }
    }
    out
}
