//! Random scenarios for the model test: a ledger to set up and commands to run on it, named by
//! picks and relative amounts that are resolved against the model when each command is built, so
//! that most commands name things that exist and amounts land on, just inside and just outside
//! the limits.

use ledger_core::account::{AccountKind, AccountStatus, Role};
use ledger_core::amount::{AMOUNT_MAX, Amount};
use ledger_core::command::{Command, SignedCommand, signing_bytes};
use ledger_core::keys::PublicKey;
use ledger_core::names::{DisplayName, LedgerId, Memo, Reason};
use proptest::prelude::*;
use proptest::sample::select;

use crate::model::Model;
use crate::support::{amount, handle, ledger_id, public, request_id, scale, secret_of, unit_code};

/// Handles commands may name. The first six are members, some opened at the start; `ghost` is
/// never opened.
const HANDLES: [&str; 11] =
    ["m0", "m1", "m2", "m3", "m4", "m5", "admin", "fund-commun", "fund-hour", "fund-seed", "ghost"];
const MEMBERS: usize = 6;
const ADMIN_HANDLE: usize = 6;
/// `OpenAccount` picks among the handles before `ghost`.
const OPENABLE: usize = 10;

/// Units commands may name: the first two are created at the start, `SEED` may be created
/// later, `NOPE` never is.
const UNITS: [&str; 4] = ["COMMUN", "HOUR", "SEED", "NOPE"];

/// Key seeds: the node, the genesis admin, members' first keys (`10 + i`), keys to register
/// later, and one never registered.
const NODE_KEY: u8 = 1;
const ADMIN_KEY: u8 = 2;
const MEMBER_KEY: u8 = 10;
const NEW_KEYS: std::ops::RangeInclusive<u8> = 20..=39;
const UNKNOWN_KEY: u8 = 63;

/// Which handle a command names, resolved against the model when it is built, so that most
/// commands name accounts that exist and payments mostly stay within one unit.
#[derive(Clone, Copy, Debug)]
pub enum Pick {
    /// The k-th member account (not a fund) that exists, in the order of `HANDLES`.
    Member(usize),
    /// The k-th member account holding the payer's unit, other than the payer.
    Peer(usize),
    /// `HANDLES[i]`, whatever it is: maybe no account, the admin, a fund or `ghost`.
    Handle(usize),
}

/// A limit, absolute or relative to the account's balance at the time, so that limits landing
/// exactly on, just inside and just outside the balance come up often.
#[derive(Clone, Copy, Debug)]
pub enum Bound {
    Abs(i64),
    /// `-balance + d`: a credit limit around the current debt.
    NearDebt(i64),
    /// `balance + d`: a ceiling around the current balance.
    NearBalance(i64),
}

impl Bound {
    fn resolve(self, balance: i64) -> Amount {
        let value = match self {
            Bound::Abs(v) => v,
            Bound::NearDebt(d) => -balance + d,
            Bound::NearBalance(d) => balance + d,
        };
        amount(value.clamp(0, AMOUNT_MAX))
    }
}

#[derive(Clone, Copy, Debug)]
pub struct LimitsSpec {
    pub credit: Bound,
    pub ceiling: Option<Bound>,
    pub soft: Option<Bound>,
}

/// A payment amount, absolute or relative to the payer's floor or the payee's ceiling.
#[derive(Clone, Copy, Debug)]
pub enum AmountSpec {
    Small(i64),
    /// `payer balance + credit limit + d`: what takes the payer to its floor, ± d.
    ToFloor(i64),
    /// `payee ceiling − payee balance + d`: what takes the payee to its ceiling, ± d (a small
    /// amount when it has no ceiling).
    ToCeiling(i64),
    Max,
}

/// Who signs, resolved against the model when the command is built.
#[derive(Clone, Copy, Debug)]
pub enum SignerSpec {
    /// An active key of the command's subject (the payer, or the handle it changes).
    Own(usize),
    /// An active key of the genesis admin.
    Admin,
    /// An active key of `HANDLES[i]`.
    Other(usize, usize),
    /// The subject's key and the admin's key together.
    OwnAndAdmin(usize),
    /// A revoked key, if there is one yet.
    Revoked(usize),
    /// A key never registered.
    Unknown,
    /// Claims the subject's key, but another key made the signature.
    Forged,
    /// The subject's key, over another ledger's id.
    WrongLedger,
}

#[derive(Clone, Copy, Debug)]
pub enum Op {
    Genesis,
    CreateUnit {
        unit: usize,
        scale: u32,
        signer: SignerSpec,
    },
    OpenAccount {
        target: usize,
        unit: usize,
        kind: AccountKind,
        key: u8,
        limits: LimitsSpec,
        signer: SignerSpec,
    },
    SetLimits {
        target: Pick,
        limits: LimitsSpec,
        signer: SignerSpec,
    },
    SetStatus {
        target: Pick,
        status: AccountStatus,
        signer: SignerSpec,
    },
    GrantRole {
        target: Pick,
        role: Role,
        signer: SignerSpec,
    },
    RevokeRole {
        target: Pick,
        role: Role,
        signer: SignerSpec,
    },
    RegisterKey {
        target: Pick,
        key: u8,
        signer: SignerSpec,
    },
    RevokeKey {
        target: Pick,
        /// An index into the target's active keys, or else a key seed.
        key: Result<usize, u8>,
        signer: SignerSpec,
    },
    Pay {
        payer: Pick,
        payee: Pick,
        /// `None`: the payer's unit.
        unit: Option<usize>,
        amount: AmountSpec,
        signer: SignerSpec,
    },
}

/// One of the first members' accounts.
#[derive(Clone, Copy, Debug)]
pub struct Opening {
    /// Index in `UNITS`: one of the two units created at the start.
    unit: usize,
    kind: AccountKind,
    credit: i64,
    ceiling: Option<i64>,
    /// Capped at `credit` when opened, so that the setup always applies.
    soft: Option<i64>,
}

/// A ledger to set up and the commands to run on it.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub ledger: u128,
    pub scales: [u32; 2],
    /// Initial members `m0..`: their unit index, kind and limits.
    pub members: Vec<Opening>,
    pub ops: Vec<Op>,
}

impl Scenario {
    /// The ledger's id.
    pub fn ledger_id(&self) -> LedgerId {
        ledger_id(self.ledger)
    }

    /// The commands that set the ledger up: genesis, two units, the first members' accounts.
    /// Every one of them must apply.
    pub fn setup(&self) -> Vec<Op> {
        let mut setup = vec![Op::Genesis];
        for (i, places) in self.scales.iter().enumerate() {
            setup.push(Op::CreateUnit { unit: i, scale: *places, signer: SignerSpec::Admin });
        }
        for (i, m) in self.members.iter().enumerate() {
            setup.push(Op::OpenAccount {
                target: i,
                unit: m.unit,
                kind: m.kind,
                key: MEMBER_KEY + i as u8,
                limits: LimitsSpec {
                    credit: Bound::Abs(m.credit),
                    ceiling: m.ceiling.map(Bound::Abs),
                    soft: m.soft.map(|s| Bound::Abs(s.min(m.credit))),
                },
                signer: SignerSpec::Admin,
            });
        }
        setup
    }
}

fn bound() -> impl Strategy<Value = Bound> {
    prop_oneof![
        3 => (0..=5_000_i64).prop_map(Bound::Abs),
        1 => Just(Bound::Abs(0)),
        1 => Just(Bound::Abs(AMOUNT_MAX)),
        2 => (-1..=1_i64).prop_map(Bound::NearDebt),
        2 => (-1..=1_i64).prop_map(Bound::NearBalance),
    ]
}

fn limits() -> impl Strategy<Value = LimitsSpec> {
    (bound(), proptest::option::of(bound()), proptest::option::weighted(0.3, bound()))
        .prop_map(|(credit, ceiling, soft)| LimitsSpec { credit, ceiling, soft })
}

/// Signers: `usual` (the subject for members' commands, the admin for the rest) with weight
/// `weight` against 14 for all the others together.
fn signer(usual: SignerSpec, weight: u32) -> impl Strategy<Value = SignerSpec> {
    prop_oneof![
        weight => Just(usual),
        2 => (0..4_usize).prop_map(SignerSpec::Own),
        2 => Just(SignerSpec::Admin),
        2 => (0..HANDLES.len(), 0..4_usize).prop_map(|(h, k)| SignerSpec::Other(h, k)),
        2 => (0..4_usize).prop_map(SignerSpec::OwnAndAdmin),
        3 => (0..8_usize).prop_map(SignerSpec::Revoked),
        1 => Just(SignerSpec::Unknown),
        1 => Just(SignerSpec::Forged),
        1 => Just(SignerSpec::WrongLedger),
    ]
}

/// Mostly member accounts that exist, sometimes any handle.
fn target() -> impl Strategy<Value = Pick> {
    prop_oneof![
        8 => (0..MEMBERS).prop_map(Pick::Member),
        2 => (0..HANDLES.len()).prop_map(Pick::Handle),
    ]
}

/// Roles are granted to and revoked from members, and often the genesis admin.
fn role_holder() -> impl Strategy<Value = Pick> {
    prop_oneof![
        6 => (0..MEMBERS).prop_map(Pick::Member),
        3 => Just(Pick::Handle(ADMIN_HANDLE)),
        1 => (0..HANDLES.len()).prop_map(Pick::Handle),
    ]
}

/// Almost always a member account that exists.
fn payer() -> impl Strategy<Value = Pick> {
    prop_oneof![
        12 => (0..MEMBERS).prop_map(Pick::Member),
        1 => (0..HANDLES.len()).prop_map(Pick::Handle),
    ]
}

/// Mostly an account of the payer's unit.
fn payee() -> impl Strategy<Value = Pick> {
    prop_oneof![
        14 => (0..MEMBERS).prop_map(Pick::Peer),
        1 => (0..MEMBERS).prop_map(Pick::Member),
        2 => (0..HANDLES.len()).prop_map(Pick::Handle),
    ]
}

fn new_key() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => NEW_KEYS,
        1 => MEMBER_KEY..MEMBER_KEY + MEMBERS as u8,
        1 => Just(ADMIN_KEY),
    ]
}

fn status() -> impl Strategy<Value = AccountStatus> {
    prop_oneof![
        2 => Just(AccountStatus::Frozen),
        4 => Just(AccountStatus::Active),
        1 => Just(AccountStatus::Closed),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let own = SignerSpec::Own(0);
    let admin = SignerSpec::Admin;
    let amount = prop_oneof![
        6 => (1..=1_000_i64).prop_map(AmountSpec::Small),
        2 => (-1..=1_i64).prop_map(AmountSpec::ToFloor),
        2 => (-1..=1_i64).prop_map(AmountSpec::ToCeiling),
        1 => Just(AmountSpec::Max),
    ];
    let role = select(Role::ALL.to_vec());
    prop_oneof![
        50 => (payer(), payee(), proptest::option::weighted(0.1, 0..UNITS.len()), amount, signer(own, 40))
            .prop_map(|(payer, payee, unit, amount, signer)| Op::Pay { payer, payee, unit, amount, signer }),
        8 => (target(), limits(), signer(admin, 16))
            .prop_map(|(target, limits, signer)| Op::SetLimits { target, limits, signer }),
        8 => (target(), status(), signer(admin, 16))
            .prop_map(|(target, status, signer)| Op::SetStatus { target, status, signer }),
        3 => (role_holder(), role.clone(), signer(admin, 16))
            .prop_map(|(target, role, signer)| Op::GrantRole { target, role, signer }),
        3 => (role_holder(), role, signer(admin, 16))
            .prop_map(|(target, role, signer)| Op::RevokeRole { target, role, signer }),
        6 => (target(), new_key(), signer(own, 16))
            .prop_map(|(target, key, signer)| Op::RegisterKey { target, key, signer }),
        6 => (target(), prop_oneof![3 => (0..4_usize).prop_map(Ok), 1 => new_key().prop_map(Err)], signer(own, 16))
            .prop_map(|(target, key, signer)| Op::RevokeKey { target, key, signer }),
        3 => (0..OPENABLE, prop_oneof![6 => Just(0), 2 => Just(1), 1 => 2..UNITS.len()],
              select(vec![AccountKind::Member, AccountKind::Business, AccountKind::System]),
              new_key(), limits(), signer(admin, 16))
            .prop_map(|(target, unit, kind, key, limits, signer)| Op::OpenAccount { target, unit, kind, key, limits, signer }),
        1 => (0..UNITS.len() - 1, 0..=6_u32, signer(admin, 16))
            .prop_map(|(unit, scale, signer)| Op::CreateUnit { unit, scale, signer }),
        1 => Just(Op::Genesis),
    ]
}

/// A ledger with two units and 3 to 6 members (`m0` and `m1` in the first unit), then
/// `ops` random commands.
pub fn scenario(ops: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Scenario> {
    let ceiling = prop_oneof![1 => Just(0_i64), 4 => 1_000..=20_000_i64, 1 => Just(AMOUNT_MAX)];
    let member = (
        prop_oneof![3 => Just(0_usize), 1 => Just(1)],
        select(vec![AccountKind::Member, AccountKind::Business]),
        prop_oneof![1 => Just(0_i64), 4 => 1_000..=20_000_i64, 1 => Just(AMOUNT_MAX)],
        proptest::option::weighted(0.4, ceiling),
        proptest::option::weighted(0.4, 0..=5_000_i64),
    )
        .prop_map(|(unit, kind, credit, ceiling, soft)| Opening { unit, kind, credit, ceiling, soft });
    (
        any::<u128>(),
        [0..=6_u32, 0..=6_u32],
        proptest::collection::vec(member, 3..=MEMBERS),
        proptest::collection::vec(op(), ops),
    )
        .prop_map(|(ledger, scales, mut members, ops)| {
            members[0].unit = 0;
            members[1].unit = 0;
            Scenario { ledger, scales, members, ops }
        })
}

impl Model {
    /// The index in `HANDLES` that `pick` names now; `payer` is the payer's index for
    /// `Pick::Peer`.
    fn pick(&self, pick: Pick, payer: Option<usize>) -> usize {
        let members: Vec<usize> = (0..HANDLES.len())
            .filter(|i| self.accounts.get(HANDLES[*i]).is_some_and(|a| a.kind != AccountKind::System))
            .collect();
        let nth = |list: &[usize], k: usize| (!list.is_empty()).then(|| list[k % list.len()]);
        match pick {
            Pick::Handle(i) => i,
            Pick::Member(k) => nth(&members, k).unwrap_or(0),
            Pick::Peer(k) => {
                let unit = payer.and_then(|p| self.accounts.get(HANDLES[p])).map(|a| &a.unit);
                let peers: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|i| Some(*i) != payer && unit == Some(&self.accounts[HANDLES[*i]].unit))
                    .collect();
                nth(&peers, k).or_else(|| nth(&members, k)).unwrap_or(0)
            }
        }
    }

    /// `op` with every pick resolved to `Pick::Handle`.
    fn resolve(&self, op: &Op) -> Op {
        let mut op = *op;
        match &mut op {
            Op::Pay { payer, payee, .. } => {
                let from = self.pick(*payer, None);
                *payee = Pick::Handle(self.pick(*payee, Some(from)));
                *payer = Pick::Handle(from);
            }
            Op::SetLimits { target, .. }
            | Op::SetStatus { target, .. }
            | Op::GrantRole { target, .. }
            | Op::RevokeRole { target, .. }
            | Op::RegisterKey { target, .. }
            | Op::RevokeKey { target, .. } => *target = Pick::Handle(self.pick(*target, None)),
            Op::Genesis | Op::CreateUnit { .. } | Op::OpenAccount { .. } => {}
        }
        op
    }

    /// The subject of a resolved op, whose keys `SignerSpec::Own` means.
    fn subject(op: &Op) -> usize {
        match *op {
            Op::Pay { payer, .. } => at(payer),
            Op::SetLimits { target, .. }
            | Op::SetStatus { target, .. }
            | Op::GrantRole { target, .. }
            | Op::RevokeRole { target, .. }
            | Op::RegisterKey { target, .. }
            | Op::RevokeKey { target, .. } => at(target),
            Op::Genesis | Op::CreateUnit { .. } | Op::OpenAccount { .. } => ADMIN_HANDLE,
        }
    }

    fn key_of(&self, handle: usize, k: usize) -> Option<PublicKey> {
        let keys = self.active_keys(HANDLES[handle]);
        (!keys.is_empty()).then(|| keys[k % keys.len()])
    }

    fn admin_key(&self) -> PublicKey {
        self.key_of(ADMIN_HANDLE, 0).unwrap_or(public(ADMIN_KEY))
    }

    /// Builds the signed command for `op`, resolving relative amounts, limits and signers
    /// against the model. Returns whether its signature was forged.
    pub fn build(&self, op: &Op, ledger: LedgerId, step: usize) -> (SignedCommand, bool) {
        let op = &self.resolve(op);
        let balance_of = |target: usize| self.accounts.get(HANDLES[target]).map_or(0, |account| account.balance);
        let limits = |spec: &LimitsSpec, target: usize| {
            let balance = balance_of(target);
            (
                spec.credit.resolve(balance),
                spec.ceiling.map(|b| b.resolve(balance)),
                spec.soft.map(|b| b.resolve(balance)),
            )
        };
        let reason = Reason::parse("property test").expect("valid");
        let (command, signer) = match *op {
            Op::Genesis => {
                (Command::Genesis { admin_key: public(ADMIN_KEY), node_key: public(NODE_KEY) }, SignerSpec::Admin)
            }
            Op::CreateUnit { unit, scale: places, signer } => (
                Command::CreateUnit {
                    code: unit_code(UNITS[unit]),
                    scale: scale(places),
                    name: DisplayName::parse(UNITS[unit]).expect("valid"),
                },
                signer,
            ),
            Op::OpenAccount { target, unit, kind, key, limits: spec, signer } => {
                let (credit_limit, ceiling, soft_limit) = limits(&spec, target);
                (
                    Command::OpenAccount {
                        handle: handle(HANDLES[target]),
                        unit: unit_code(UNITS[unit]),
                        kind,
                        name: DisplayName::parse(HANDLES[target]).expect("valid"),
                        public_key: public(key),
                        credit_limit,
                        ceiling,
                        soft_limit,
                    },
                    signer,
                )
            }
            Op::SetLimits { target, limits: spec, signer } => {
                let (credit_limit, ceiling, soft_limit) = limits(&spec, at(target));
                (
                    Command::SetLimits {
                        handle: handle(HANDLES[at(target)]),
                        credit_limit,
                        ceiling,
                        soft_limit,
                        reason,
                    },
                    signer,
                )
            }
            Op::SetStatus { target, status, signer } => {
                (Command::SetStatus { handle: handle(HANDLES[at(target)]), status, reason }, signer)
            }
            Op::GrantRole { target, role, signer } => {
                (Command::GrantRole { handle: handle(HANDLES[at(target)]), role }, signer)
            }
            Op::RevokeRole { target, role, signer } => {
                (Command::RevokeRole { handle: handle(HANDLES[at(target)]), role }, signer)
            }
            Op::RegisterKey { target, key, signer } => {
                (Command::RegisterKey { handle: handle(HANDLES[at(target)]), public_key: public(key) }, signer)
            }
            Op::RevokeKey { target, key, signer } => {
                let public_key = match key {
                    Ok(k) => self.key_of(at(target), k).unwrap_or(public(MEMBER_KEY)),
                    Err(seed) => public(seed),
                };
                (Command::RevokeKey { handle: handle(HANDLES[at(target)]), public_key }, signer)
            }
            Op::Pay { payer, payee, unit, amount: spec, signer } => {
                let from = self.accounts.get(HANDLES[at(payer)]);
                let to = self.accounts.get(HANDLES[at(payee)]);
                let unit = match unit {
                    Some(u) => UNITS[u],
                    None => from.map_or(UNITS[0], |a| a.unit.as_str()),
                };
                let minor = match spec {
                    AmountSpec::Small(m) => m,
                    AmountSpec::ToFloor(d) => from.map_or(1_000, |f| f.balance + f.credit + d),
                    AmountSpec::ToCeiling(d) => to.and_then(|t| t.ceiling.map(|c| c - t.balance + d)).unwrap_or(1_000),
                    AmountSpec::Max => AMOUNT_MAX,
                };
                (
                    Command::Pay {
                        payer: handle(HANDLES[at(payer)]),
                        payee: handle(HANDLES[at(payee)]),
                        unit: unit_code(unit),
                        amount: amount(minor.clamp(1, AMOUNT_MAX)),
                        memo: Memo::parse(&format!("step {step}")).expect("valid"),
                    },
                    signer,
                )
            }
        };
        let subject = Self::subject(op);
        let own = |k: usize| self.key_of(subject, k).unwrap_or_else(|| self.admin_key());
        let mut ledger_id = ledger;
        let mut forged = false;
        let keys: Vec<PublicKey> = match (op, signer) {
            (Op::Genesis, _) => vec![public(NODE_KEY)],
            (_, SignerSpec::Own(k)) => vec![own(k)],
            (_, SignerSpec::Admin) => vec![self.admin_key()],
            (_, SignerSpec::Other(h, k)) => {
                vec![self.key_of(h, k).unwrap_or_else(|| self.admin_key())]
            }
            (_, SignerSpec::OwnAndAdmin(k)) => vec![own(k), self.admin_key()],
            (_, SignerSpec::Revoked(k)) => {
                let revoked = self.revoked_keys();
                if revoked.is_empty() { vec![public(UNKNOWN_KEY)] } else { vec![revoked[k % revoked.len()]] }
            }
            (_, SignerSpec::Unknown) => vec![public(UNKNOWN_KEY)],
            (_, SignerSpec::Forged) => {
                forged = true;
                vec![own(0)]
            }
            (_, SignerSpec::WrongLedger) => {
                ledger_id = LedgerId::from_uuid(uuid::Uuid::from_u128(ledger.uuid().as_u128() ^ 1));
                vec![own(0)]
            }
        };
        let request_id = request_id(step as u128 + 1);
        let bytes = signing_bytes(ledger_id, request_id, &command);
        let signatures = keys
            .into_iter()
            .map(|key| {
                let by = if forged { public(UNKNOWN_KEY) } else { key };
                (key, secret_of(&by).sign(&bytes))
            })
            .collect();
        let signed = SignedCommand { ledger_id, request_id, command, signatures };
        (signed, forged)
    }
}

/// The index of a resolved pick.
pub fn at(pick: Pick) -> usize {
    match pick {
        Pick::Handle(i) => i,
        Pick::Member(_) | Pick::Peer(_) => unreachable!("picks are resolved before use"),
    }
}
