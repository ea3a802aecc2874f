//! Micro-benchmarks of the pieces every payment passes through, so a server figure can be read
//! as a fraction of what the core allows: canonical encoding, signatures (single, batched, and on
//! every core), `State::apply` of a payment, and sealing an entry onto the hash chain.
//!
//! `cargo bench -p ledger-core --bench core`; BENCHMARKS.md at the repository root has figures.

use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ledger_core::account::{Account, AccountKind, AccountStatus, Limits, RoleSet, Unit};
use ledger_core::amount::{Amount, Scale};
use ledger_core::command::{Command, SignedCommand, decode_signing_bytes, signing_bytes};
use ledger_core::entry_signatures::{SignatureChecker, Signed};
use ledger_core::journal::{Entry, EntryHash};
use ledger_core::keys::{PublicKey, SecretKey};
use ledger_core::names::{DisplayName, Handle, LedgerId, Memo, RequestId, UnitCode};
use ledger_core::state::{Identity, KeyOwner, State};
use uuid::Uuid;

/// Batch sizes for `verify_batch`: a small writer batch, and a full one (`batch_size_max`).
const VERIFY_BATCH_SIZES: [usize; 2] = [64, 1024];

fn ledger_id() -> LedgerId {
    LedgerId::from_uuid(Uuid::from_u128(0x6f1c_1f7e_8a4b_4a53_9a40_3f0e_1c2b_9d10))
}

fn request_id(n: u128) -> RequestId {
    RequestId::from_uuid(Uuid::from_u128(n))
}

fn handle(text: &str) -> Handle {
    Handle::parse(text).expect("a valid handle")
}

fn unit() -> UnitCode {
    UnitCode::parse("BENCH").expect("a valid unit code")
}

fn secret(n: u32) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..4].copy_from_slice(&n.to_le_bytes());
    seed[31] = 1;
    SecretKey::from_seed(seed)
}

/// The payment every benchmark uses: realistic handles, two decimals, a short memo.
fn payment() -> Command {
    Command::Pay {
        payer: handle("bench-payer-00042"),
        payee: handle("bench-payee-01234"),
        unit: unit(),
        amount: Amount::parse("12.50", Scale::new(2).expect("valid scale")).expect("valid amount"),
        memo: Memo::parse("vegetables").expect("a valid memo"),
    }
}

fn canonical(c: &mut Criterion) {
    let mut group = c.benchmark_group("canonical");
    group.throughput(Throughput::Elements(1));
    let command = payment();
    group.bench_function("encode_payment", |b| {
        b.iter(|| signing_bytes(black_box(ledger_id()), black_box(request_id(7)), black_box(&command)))
    });
    let bytes = signing_bytes(ledger_id(), request_id(7), &command);
    group.bench_function("decode_payment", |b| b.iter(|| decode_signing_bytes(black_box(&bytes))));
    group.finish();
}

fn signatures(c: &mut Criterion) {
    let mut group = c.benchmark_group("ed25519");
    group.throughput(Throughput::Elements(1));
    let key = secret(1);
    let signed = SignedCommand::sign(ledger_id(), request_id(7), payment(), &key);
    let bytes = signed.signing_bytes();
    let (public, signature) = signed.signatures[0];

    group.bench_function("sign_payment", |b| b.iter(|| key.sign(black_box(&bytes))));
    // What the server does per command: `PublicKey::verify` is `verify_strict`.
    group.bench_function("verify_single", |b| b.iter(|| public.verify(black_box(&bytes), black_box(&signature))));
    // The same, plus rebuilding the canonical bytes, as `SignedCommand::verify_signatures` does.
    group.bench_function("verify_signed_command", |b| b.iter(|| black_box(&signed).verify_signatures()));

    // Distinct keys and messages, as in a real batch of payments from many payers.
    let largest = VERIFY_BATCH_SIZES.iter().copied().max().unwrap_or(1);
    let items: Vec<(ed25519_dalek::VerifyingKey, Vec<u8>, ed25519_dalek::Signature)> = (0..largest)
        .map(|n| {
            let key = secret(n as u32 + 100);
            let bytes = signing_bytes(ledger_id(), request_id(n as u128), &payment());
            let signature = key.sign(&bytes);
            let verifying = ed25519_dalek::VerifyingKey::from_bytes(key.public_key().as_bytes()).expect("a valid key");
            (verifying, bytes, ed25519_dalek::Signature::from_bytes(signature.as_bytes()))
        })
        .collect();
    for size in VERIFY_BATCH_SIZES {
        let keys: Vec<_> = items[..size].iter().map(|(key, _, _)| *key).collect();
        let messages: Vec<&[u8]> = items[..size].iter().map(|(_, bytes, _)| bytes.as_slice()).collect();
        let signatures: Vec<_> = items[..size].iter().map(|(_, _, signature)| *signature).collect();
        group.throughput(Throughput::Elements(size as u64));
        group.bench_with_input(BenchmarkId::new("verify_batch", size), &size, |b, _| {
            b.iter(|| {
                ed25519_dalek::verify_batch(black_box(&messages), black_box(&signatures), black_box(&keys))
                    .expect("every signature verifies")
            })
        });
    }

    // A call's signatures through the checker the server uses: with its keys remembered from
    // earlier calls (one checker shared by every call), and with a new checker each time, which
    // decompresses every key first (as each `CreateTransfers` call once did). The difference is
    // what decompressing a key costs; `public_key_from_bytes` is one decompression on its own.
    let messages: Vec<Vec<u8>> =
        (0..largest).map(|n| signing_bytes(ledger_id(), request_id(n as u128), &payment())).collect();
    let pairs: Vec<[(PublicKey, ledger_core::keys::Signature); 1]> = (0..largest)
        .zip(&messages)
        .map(|(n, message)| {
            let key = secret(n as u32 + 100);
            [(key.public_key(), key.sign(message))]
        })
        .collect();
    let signed: Vec<Signed> =
        messages.iter().zip(&pairs).map(|(message, signatures)| Signed { message, signatures }).collect();
    group.throughput(Throughput::Elements(signed.len() as u64));
    let remembering = SignatureChecker::new();
    remembering.check_signed(&signed);
    group.bench_function(BenchmarkId::new("checker_keys_remembered", signed.len()), |b| {
        b.iter(|| remembering.check_signed(black_box(&signed)))
    });
    group.bench_function(BenchmarkId::new("checker_keys_new", signed.len()), |b| {
        b.iter(|| SignatureChecker::new().check_signed(black_box(&signed)))
    });
    group.throughput(Throughput::Elements(1));
    let key_bytes = *pairs[0][0].0.as_bytes();
    group.bench_function("public_key_from_bytes", |b| b.iter(|| PublicKey::from_bytes(black_box(&key_bytes))));

    // Single verifications spread over every core, as the server's request tasks do: the
    // machine's ceiling for unbatched checks.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let checks: Vec<(PublicKey, Vec<u8>, ledger_core::keys::Signature)> = (0..largest)
        .map(|n| {
            let key = secret(n as u32 + 100);
            let bytes = signing_bytes(ledger_id(), request_id(n as u128), &payment());
            let signature = key.sign(&bytes);
            (key.public_key(), bytes, signature)
        })
        .collect();
    group.throughput(Throughput::Elements(checks.len() as u64));
    group.bench_function(BenchmarkId::new("verify_single_all_cores", threads), |b| {
        b.iter(|| {
            std::thread::scope(|scope| {
                for chunk in checks.chunks(checks.len().div_ceil(threads)) {
                    scope.spawn(move || {
                        for (key, bytes, signature) in chunk {
                            key.verify(bytes, signature).expect("every signature verifies");
                        }
                    });
                }
            })
        })
    });
    group.finish();
}

/// A state holding one unit and two accounts with keys, as the writer loads it for a payment.
fn state_for_payment(payer_key: &SecretKey) -> State {
    let node = secret(9_999).public_key();
    let mut state = State::for_ledger(ledger_id(), node);
    let scale = Scale::new(2).expect("valid scale");
    let name = DisplayName::parse("Bench").expect("a valid name");
    state.units.insert(unit(), Unit { code: unit(), scale, name: name.clone() });
    let payee_key = secret(2).public_key();
    for (text, key) in [("bench-payer-00042", payer_key.public_key()), ("bench-payee-01234", payee_key)] {
        let h = handle(text);
        state.accounts.insert(
            h.clone(),
            Account {
                handle: h.clone(),
                kind: AccountKind::Member,
                unit: unit(),
                name: name.clone(),
                balance: 0,
                // Room for far more iterations than criterion runs: 1 minor unit per payment.
                limits: Limits {
                    credit_limit: Amount::from_minor(1_000_000_000_000_000).expect("within AMOUNT_MAX"),
                    ceiling: None,
                    soft_limit: None,
                },
                status: AccountStatus::Active,
            },
        );
        state.identities.insert(h.clone(), Identity { roles: RoleSet::default(), keys: BTreeSet::from([key]) });
        state.keys.insert(key, KeyOwner { handle: h, revoked: false });
    }
    state
}

fn apply(c: &mut Criterion) {
    let mut group = c.benchmark_group("state");
    group.throughput(Throughput::Elements(1));
    let key = secret(1);
    let mut state = state_for_payment(&key);
    let command = match payment() {
        Command::Pay { payer, payee, unit, memo, .. } => {
            Command::Pay { payer, payee, unit, amount: Amount::from_minor(1).expect("positive"), memo }
        }
        _ => unreachable!("payment() builds a payment"),
    };
    let signed = SignedCommand::sign(ledger_id(), request_id(7), command, &key);
    group.bench_function("apply_payment", |b| {
        b.iter(|| {
            let applied = state.apply(black_box(&signed), 0).expect("the payment is within limits");
            // The writer takes the changes after every command; so does the benchmark.
            black_box(state.take_changes());
            applied
        })
    });
    group.finish();
}

fn journal(c: &mut Criterion) {
    let mut group = c.benchmark_group("journal");
    group.throughput(Throughput::Elements(1));
    let key = secret(1);
    let mut state = state_for_payment(&key);
    let signed = SignedCommand::sign(ledger_id(), request_id(7), payment(), &key);
    let postings = state.apply(&signed, 0).expect("the payment is within limits").postings;
    let bytes = signed.signing_bytes();
    let prev = EntryHash([7; 32]);
    group.bench_function("seal_payment", |b| {
        b.iter(|| {
            Entry::seal(
                black_box(42),
                1_700_000_000_000,
                signed.command.entry_kind(),
                bytes.clone(),
                signed.signatures.clone(),
                postings.clone(),
                prev,
            )
        })
    });
    let entry =
        Entry::seal(42, 1_700_000_000_000, signed.command.entry_kind(), bytes, signed.signatures, postings, prev);
    group.bench_function("compute_hash", |b| b.iter(|| black_box(&entry).compute_hash()));
    group.bench_function("check_read_back", |b| b.iter(|| black_box(&entry).check()));
    group.finish();
}

fn config() -> Criterion {
    // Short windows: these are steady, CPU-bound loops; `--measurement-time` overrides.
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = canonical, signatures, apply, journal
}
criterion_main!(benches);
