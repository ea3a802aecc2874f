//! Choosing and pre-signing the payments, before the timed window, on every core.

use ledger_cli::auth::sign_command;
use ledger_cli::proto;
use ledger_core::amount::Amount;
use ledger_core::command::Command;
use ledger_core::names::{LedgerId, Memo, RequestId};

use crate::setup::BenchLedger;

/// Smallest payment, in minor units (0.01 at scale 2).
const AMOUNT_MIN_MINOR: u64 = 1;
/// Largest payment, in minor units (10.00 at scale 2).
const AMOUNT_MAX_MINOR: u64 = 1_000;

/// A payment as planned, kept to check the journal after the run.
#[derive(Clone, Debug)]
pub struct Payment {
    /// The transfer id.
    pub id: RequestId,
    /// Index of the paying account.
    pub payer: u32,
    /// Index of the receiving account.
    pub payee: u32,
    /// Amount in minor units.
    pub amount_minor: i64,
}

/// A pre-signed request and the index of its [`Payment`].
pub type Signed = (usize, proto::CreatePaymentRequest);

/// How transfer ids are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdOrder {
    /// Increasing in the order payments are fired (the run's start in milliseconds, then the
    /// payment's index, then random bits), as `ledgerctl`'s UUIDv7 ids are in time.
    Time,
    /// Uniformly random (UUIDv4): the worst case for the ledger's indexes of ids.
    Random,
}

/// Plans and signs `count` payments among `ledger`'s accounts, splitting the work over every
/// core. With `hot` > 0 every payment has one of the first `hot` accounts on one side (payer or
/// payee, at random) and any other account on the other; else both sides are uniform.
pub fn sign(
    ledger: &BenchLedger,
    ledger_id: LedgerId,
    count: u64,
    hot: u32,
    ids: IdOrder,
) -> (Vec<Payment>, Vec<Signed>) {
    let count = usize::try_from(count).expect("--payments is bounded far below usize::MAX");
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = count.div_ceil(threads).max(1);
    let start_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_millis() as u64;
    let parts: Vec<(Vec<Payment>, Vec<Signed>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..count)
            .step_by(chunk)
            .map(|first| {
                let last = (first + chunk).min(count);
                scope.spawn(move || sign_range(ledger, ledger_id, first..last, hot, ids, start_ms))
            })
            .collect();
        workers.into_iter().map(|worker| worker.join().expect("a signing thread panicked")).collect()
    });
    let mut payments = Vec::with_capacity(count);
    let mut requests = Vec::with_capacity(count);
    for (part_payments, part_requests) in parts {
        payments.extend(part_payments);
        requests.extend(part_requests);
    }
    (payments, requests)
}

fn sign_range(
    ledger: &BenchLedger,
    ledger_id: LedgerId,
    range: std::ops::Range<usize>,
    hot: u32,
    ids: IdOrder,
    start_ms: u64,
) -> (Vec<Payment>, Vec<Signed>) {
    let mut rng = SplitMix64(uuid::Uuid::new_v4().as_u128() as u64);
    let accounts = ledger.accounts.len() as u64;
    let mut payments = Vec::with_capacity(range.len());
    let mut requests = Vec::with_capacity(range.len());
    for index in range {
        let (payer, payee) = if hot == 0 {
            let payer = rng.below(accounts);
            (payer, other_than(payer, rng.below(accounts - 1)))
        } else {
            let hot_side = rng.below(u64::from(hot));
            let other = other_than(hot_side, rng.below(accounts - 1));
            if rng.next() & 1 == 0 { (hot_side, other) } else { (other, hot_side) }
        };
        let amount_minor = (AMOUNT_MIN_MINOR + rng.below(AMOUNT_MAX_MINOR - AMOUNT_MIN_MINOR + 1)) as i64;
        let amount = Amount::from_minor(amount_minor).expect("a small positive amount");
        let id = match ids {
            IdOrder::Random => RequestId::from_uuid(uuid::Builder::from_random_bytes(rng.bytes16()).into_uuid()),
            IdOrder::Time => {
                // 48 bits of milliseconds then 16 of index: increasing, and unique across runs.
                let mut bytes = rng.bytes16();
                bytes[..8].copy_from_slice(&((start_ms << 16) + index as u64).to_be_bytes());
                RequestId::from_uuid(uuid::Builder::from_custom_bytes(bytes).into_uuid())
            }
        };
        let (payer_account, payee_account) = (&ledger.accounts[payer as usize], &ledger.accounts[payee as usize]);
        let command = Command::Pay {
            payer: payer_account.handle.clone(),
            payee: payee_account.handle.clone(),
            unit: ledger.unit.clone(),
            amount,
            memo: Memo::default(),
        };
        let signed = sign_command(ledger_id, id, command, &payer_account.key);
        requests.push((
            index,
            proto::CreatePaymentRequest {
                request_id: signed.request_id,
                payer: payer_account.handle.as_str().to_owned(),
                payee: payee_account.handle.as_str().to_owned(),
                unit: ledger.unit.as_str().to_owned(),
                amount: amount.format(ledger.scale),
                memo: String::new(),
                signatures: signed.signatures,
            },
        ));
        let as_index = |n: u64| u32::try_from(n).expect("--accounts is a u32");
        payments.push(Payment { id, payer: as_index(payer), payee: as_index(payee), amount_minor });
    }
    (payments, requests)
}

/// Maps `n` in `0..accounts - 1` to an account other than `taken`, uniformly.
fn other_than(taken: u64, n: u64) -> u64 {
    if n >= taken { n + 1 } else { n }
}

/// A small, fast generator (Steele, Lea and Flood's SplitMix64), seeded from the OS: the choice
/// of accounts and amounts needs spread, not secrecy. Request ids come from it too; the OS seed
/// makes them unique across runs with overwhelming probability.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (bound ≥ 1); the modulo bias is negligible for these bounds.
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn bytes16(&mut self) -> [u8; 16] {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next().to_le_bytes());
        bytes
    }
}
