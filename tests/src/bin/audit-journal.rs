//! `audit-journal`: writes a valid journal export of many payments, to measure
//! `ledgerctl audit verify --journal FILE` on a history as long as a real community's.
//!
//! The journal is what a server would have written: a genesis entry, one unit, `--accounts`
//! member accounts opened by the admin, then `--entries` payments between accounts picked by a
//! fixed pseudo-random sequence, each signed by its payer and applied by `State::apply` (so
//! postings and limits are exactly the server's), sealed onto the hash chain. A checkpoint
//! signed by the node key closes the file. Deterministic: the same flags give the same file.
//!
//! Exit codes: 0 written, 1 cannot write, 2 usage error.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ledger_cli::commands::audit_journal::{checkpoint_line, entry_line_of};
use ledger_core::account::AccountKind;
use ledger_core::amount::{Amount, Scale};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::command::{Command, SignedCommand};
use ledger_core::journal::{Entry, EntryHash};
use ledger_core::keys::SecretKey;
use ledger_core::names::{DisplayName, Handle, LedgerId, Memo, RequestId, UnitCode};
use ledger_core::state::State;

/// Writes a journal export of signed payments.
#[derive(Debug, Parser)]
#[command(name = "audit-journal", about)]
struct Args {
    /// Payments to write.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    entries: u64,
    /// Member accounts they move between.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    accounts: u64,
    /// The export file to write.
    #[arg(long)]
    out: PathBuf,
}

/// Builds the chain: signs, applies and seals one command at a time.
struct Chain {
    state: State,
    ledger_id: LedgerId,
    next_request: u64,
    last: Option<Entry>,
}

impl Chain {
    fn push(&mut self, command: Command, key: &SecretKey) -> &Entry {
        self.next_request += 1;
        let request = request_id(self.next_request);
        let signed = SignedCommand::sign(self.ledger_id, request, command, key);
        let (seq, prev_hash) =
            self.last.as_ref().map_or((1, EntryHash::GENESIS_PREV), |last| (last.seq + 1, last.hash));
        let timestamp_ms = 1_767_225_600_000 + seq as i64;
        let applied = self.state.apply(&signed, timestamp_ms).expect("the generated journal is valid");
        self.state.take_changes();
        let entry = Entry::seal(
            seq,
            timestamp_ms,
            signed.command.entry_kind(),
            signed.signing_bytes(),
            signed.signatures,
            applied.postings,
            prev_hash,
        );
        self.last.insert(entry)
    }
}

/// The request id of the `n`th command: a version-4 UUID like those `ledgerctl` draws, spread
/// over the whole id space as random ones are (which is what a verifier's index of request ids
/// meets), yet fixed, so the file is reproducible. The first half is `n` scattered (times an odd
/// constant), the second `n` itself, so no two commands share an id.
fn request_id(n: u64) -> RequestId {
    let mut bytes = [0; 16];
    bytes[..8].copy_from_slice(&n.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes());
    bytes[8..].copy_from_slice(&n.to_be_bytes());
    RequestId::from_uuid(uuid::Builder::from_random_bytes(bytes).into_uuid())
}

/// xorshift64*: a fixed, good enough sequence to pick payers and payees.
struct Picks(u64);

impl Picks {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % below
    }
}

fn seed(n: u64, tag: u8) -> [u8; 32] {
    let mut seed = [tag; 32];
    seed[..8].copy_from_slice(&n.to_be_bytes());
    seed
}

fn main() -> ExitCode {
    let args = Args::parse();
    match write(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("audit-journal: cannot write {}: {error}", args.out.display());
            ExitCode::from(1)
        }
    }
}

fn write(args: &Args) -> std::io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(&args.out)?);
    let node = SecretKey::from_seed(seed(0, 1));
    let admin = SecretKey::from_seed(seed(0, 2));
    let ledger_id = LedgerId::from_uuid(uuid::Uuid::from_u128(0x00c0_ffee));
    let mut chain = Chain { state: State::new(), ledger_id, next_request: 0, last: None };
    let genesis = Command::Genesis { admin_key: admin.public_key(), node_key: node.public_key() };
    writeln!(out, "{}", entry_line_of(chain.push(genesis, &node)))?;
    let unit = UnitCode::parse("COMMUN").expect("a valid code");
    let scale = Scale::new(2).expect("a valid scale");
    let create = Command::CreateUnit { code: unit.clone(), scale, name: DisplayName::default() };
    writeln!(out, "{}", entry_line_of(chain.push(create, &admin)))?;
    let members: Vec<(Handle, SecretKey)> = (0..args.accounts)
        .map(|i| (Handle::parse(&format!("m{i}")).expect("a valid handle"), SecretKey::from_seed(seed(i, 3))))
        .collect();
    for (handle, key) in &members {
        let open = Command::OpenAccount {
            handle: handle.clone(),
            unit: unit.clone(),
            kind: AccountKind::Member,
            name: DisplayName::default(),
            public_key: key.public_key(),
            // Far more than the payments can move, so none is refused.
            credit_limit: Amount::from_minor(1_000_000_000_000).expect("within bounds"),
            ceiling: None,
            soft_limit: None,
        };
        writeln!(out, "{}", entry_line_of(chain.push(open, &admin)))?;
    }
    let mut picks = Picks(0x9e37_79b9_7f4a_7c15);
    for _ in 0..args.entries {
        let payer = picks.next(args.accounts) as usize;
        let payee = (payer + 1 + picks.next(args.accounts - 1) as usize) % members.len();
        let amount = Amount::from_minor(1 + picks.next(10_000) as i64).expect("within bounds");
        let pay = Command::Pay {
            payer: members[payer].0.clone(),
            payee: members[payee].0.clone(),
            unit: unit.clone(),
            amount,
            memo: Memo::default(),
        };
        writeln!(out, "{}", entry_line_of(chain.push(pay, &members[payer].1)))?;
    }
    let last = chain.last.as_ref().expect("at least the genesis entry");
    let checkpoint = Checkpoint::sign(ledger_id, last.seq, last.hash, last.timestamp_ms, &node);
    writeln!(out, "{}", checkpoint_line(&checkpoint))?;
    out.flush()
}
