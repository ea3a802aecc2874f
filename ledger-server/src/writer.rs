//! The writer: the one task through which every state change passes.
//!
//! It takes a bounded batch of pending commands, applies them in order to the state they touch
//! (loaded inside the batch's transaction, so limits are checked against committed balances plus
//! the batch's own earlier commands), appends one entry per accepted command with its hash chain,
//! commits the whole batch in one transaction (one fsync), and answers every caller only once the
//! batch is durable (`release`: on SQLite the log is flushed on a thread of its own, behind the
//! commit, while the writer builds the next batch; readers go through [`DurableReads`], which
//! hold back what they read until it is durable too).
//! A refused command is answered with its refusal and does not disturb the rest of its batch.
//! An atomic group (`submit_atomic`) is applied to a copy of what the batch has built so far: if
//! every command of the group applies, the copy replaces it; at the first refusal the copy is
//! dropped, so none of the group's commands is committed and the rest of the batch is unaffected.
//!
//! A batch whose transaction fails in a way that may pass next time (a lost race with another
//! replica, a dropped connection; [`StoreError::is_retryable`]) is run again from scratch, up to
//! `batch_retries_max` times: a new transaction re-reads the head, the state and which request ids
//! are already committed, so nothing its callers were not told about is ever assumed. That also
//! settles a commit whose answer was lost with its connection: if it did commit, the next attempt
//! finds every one of its request ids and answers with the committed entries. Callers only ever
//! see a batch committed whole or not at all. When the retries run out, callers are told
//! `UNAVAILABLE` and whether nothing was written or, after a commit whose answer was lost and not
//! settled since, the outcome is unknown (a retry with the same request id settles it).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ledger_core::chamber::CollectLine;
use ledger_core::command::{References, SignedCommand};
use ledger_core::entry_signatures::{SignatureChecker, Signed};
use ledger_core::journal::{Entry, EntryHash};
use ledger_core::keys::PublicKey;
use ledger_core::names::{LedgerId, RequestId};
use ledger_core::refusal::Refusal;
use ledger_core::state::{Changes, State, Warning};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::Instrument;

use crate::error::ServerError;
use crate::store::durable_reads::{Durability, DurableReads};
use crate::store::{BatchTx, LogFlush, PendingEntry, Store, StoreError};

mod release;
mod warm;

use release::{Done, Release, Releaser};
use warm::Warm;

/// A command whose signatures were checked. Only [`VerifiedCommand::verify`] and the batched
/// [`VerifiedCommand::verify_many`] make one, so the writer never applies an unverified command.
#[derive(Clone, Debug)]
pub struct VerifiedCommand(SignedCommand);

impl VerifiedCommand {
    /// Checks the signatures (CPU-bound; callers run this in parallel, outside the writer).
    pub fn verify(signed: SignedCommand) -> Result<Self, ServerError> {
        signed.verify_signatures().map_err(Refusal::from)?;
        Ok(Self(signed))
    }

    /// Checks the signatures of many commands at once, in ed25519 batches (about twice as fast as
    /// one by one), with the keys `checker` remembers; one result per command, in order.
    /// CPU-bound: callers run it off the runtime.
    pub fn verify_many(checker: &SignatureChecker, commands: Vec<SignedCommand>) -> Vec<Result<Self, ServerError>> {
        let bytes: Vec<Vec<u8>> = commands.iter().map(SignedCommand::signing_bytes).collect();
        let signed: Vec<Signed> = commands
            .iter()
            .zip(&bytes)
            .map(|(command, message)| Signed { message, signatures: &command.signatures })
            .collect();
        let verdicts = checker.check_signed(&signed);
        commands
            .into_iter()
            .zip(verdicts)
            .map(|(command, verdict)| verdict.map(|()| Self(command)).map_err(|error| Refusal::from(error).into()))
            .collect()
    }

    /// The command.
    pub fn signed(&self) -> &SignedCommand {
        &self.0
    }
}

/// The outcome of a committed command.
#[derive(Clone, Debug)]
pub struct Committed {
    /// The entry that recorded it.
    pub entry: Entry,
    /// Warnings for the caller (empty when replayed).
    pub warnings: Vec<Warning>,
    /// Whether this request id had been committed before and this is the original result.
    pub replayed: bool,
    /// A collect's report, one line per business (empty when replayed, and for other commands).
    pub collection: Vec<CollectLine>,
}

/// Bounds of the writer.
#[derive(Clone, Copy, Debug)]
pub struct WriterConfig {
    /// Most commands in one batch (one transaction). A call's commands are never split between
    /// batches, so a batch may pass it by the commands of one call.
    pub batch_size_max: usize,
    /// Most calls waiting for the writer (each with its commands); callers beyond it wait for room.
    pub queue_len_max: usize,
    /// Most times a batch is run again after a retryable failure before its callers are told the
    /// database is unavailable.
    pub batch_retries_max: u32,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self { batch_size_max: 1024, queue_len_max: 8192, batch_retries_max: 3 }
    }
}

/// Pause before the first retry of a batch; it doubles with every retry.
const RETRY_BACKOFF_MS: u64 = 5;
/// Longest pause between two attempts of a batch.
const RETRY_BACKOFF_MAX_MS: u64 = 500;

/// What a caller asked the writer to do.
enum Work {
    /// One command, committed or refused on its own.
    One(VerifiedCommand),
    /// Commands each committed or refused on its own, handed over together so that they share
    /// batches: sent one by one, each send woke the writer, which took the few already queued.
    Each(Vec<VerifiedCommand>),
    /// Commands that commit all together or not at all.
    Atomic(Vec<VerifiedCommand>),
}

/// The writer's answer to one [`Work`].
enum Outcome {
    /// For [`Work::One`].
    One(Result<Committed, ServerError>),
    /// For [`Work::Each`]: one answer per command, in order.
    Each(Vec<Result<Committed, ServerError>>),
    /// For [`Work::Atomic`]: every command committed, or the index of the first refused and why
    /// (none of them committed).
    Atomic(Result<Vec<Committed>, (usize, ServerError)>),
}

impl Outcome {
    /// The highest sequence number this outcome committed, if any.
    fn last_seq(&self) -> Option<u64> {
        match self {
            Outcome::One(Ok(committed)) => Some(committed.entry.seq),
            Outcome::Each(answers) => {
                answers.iter().filter_map(|answer| answer.as_ref().ok()).map(|c| c.entry.seq).max()
            }
            Outcome::Atomic(Ok(committed)) => committed.iter().map(|c| c.entry.seq).max(),
            Outcome::One(Err(_)) | Outcome::Atomic(Err(_)) => None,
        }
    }
}

struct Job {
    work: Work,
    reply: oneshot::Sender<Outcome>,
    span: tracing::Span,
}

/// A cheap handle that submits commands to the writer.
#[derive(Clone)]
pub struct WriterHandle {
    jobs: mpsc::Sender<Job>,
    /// The last sequence number this writer committed (0 until its first commit).
    head: watch::Receiver<u64>,
}

impl WriterHandle {
    /// Submits a verified command and waits until its batch committed (or it was refused).
    pub async fn submit(&self, command: VerifiedCommand) -> Result<Committed, ServerError> {
        match self.send(Work::One(command)).await? {
            Outcome::One(answer) => answer,
            Outcome::Each(_) | Outcome::Atomic(_) => unreachable!("the writer answers one command with one outcome"),
        }
    }

    /// Submits commands that commit all together, in order, or not at all: on the first refusal
    /// none of them is committed, and its index and refusal are returned.
    pub async fn submit_atomic(&self, commands: Vec<VerifiedCommand>) -> Result<Vec<Committed>, (usize, ServerError)> {
        match self.send(Work::Atomic(commands)).await.map_err(|error| (0, error))? {
            Outcome::Atomic(answer) => answer,
            Outcome::One(_) | Outcome::Each(_) => unreachable!("the writer answers a group with a group outcome"),
        }
    }

    /// Submits commands each on its own, handed to the writer together so that they share
    /// batches. One answer per command, in order.
    pub async fn submit_each(&self, commands: Vec<VerifiedCommand>) -> Vec<Result<Committed, ServerError>> {
        let count = commands.len();
        match self.send(Work::Each(commands)).await {
            Ok(Outcome::Each(answers)) => answers,
            Ok(Outcome::One(_) | Outcome::Atomic(_)) => unreachable!("the writer answers commands each with theirs"),
            Err(error) => {
                // `send` fails only as unavailable (shutting down): each command is told so.
                let message = error.to_string();
                (0..count).map(|_| Err(ServerError::Unavailable(message.clone()))).collect()
            }
        }
    }

    /// Wakes whoever follows the journal (the live feed) after each commit of this writer. Only a
    /// wake-up: followers read the entries from the store, and poll too, since other replicas may
    /// write to the same database.
    pub fn committed_head(&self) -> watch::Receiver<u64> {
        self.head.clone()
    }

    async fn send(&self, work: Work) -> Result<Outcome, ServerError> {
        let (reply, answer) = oneshot::channel();
        let job = Job { work, reply, span: tracing::Span::current() };
        self.jobs.send(job).await.map_err(|_| ServerError::Unavailable("the server is shutting down".into()))?;
        answer.await.map_err(|_| ServerError::Unavailable("the writer stopped before answering".into()))
    }
}

/// Starts the writer task. It runs until every [`WriterHandle`] is dropped, finishing the batch
/// in flight and answering its callers; await the returned task for a clean shutdown. Also
/// returns the store everyone else reads through: its reads wait until what they saw is durable.
pub fn spawn(
    store: Arc<dyn Store>,
    config: WriterConfig,
) -> (WriterHandle, tokio::task::JoinHandle<()>, Arc<dyn Store>) {
    let log = store.log_flush();
    spawn_with(store, config, log)
}

/// As [`spawn`], with `log` making the store's commits durable (`None`: they are on their own).
fn spawn_with(
    store: Arc<dyn Store>,
    config: WriterConfig,
    log: Option<Arc<dyn LogFlush>>,
) -> (WriterHandle, tokio::task::JoinHandle<()>, Arc<dyn Store>) {
    let (jobs, receiver) = mpsc::channel(config.queue_len_max.max(1));
    let (head_sender, head) = watch::channel(0);
    let durability = Arc::new(Durability::default());
    // Where a commit is durable on its own, whatever a reader sees is durable already.
    let reads = if log.is_some() { DurableReads::of(store.clone(), durability.clone()) } else { store.clone() };
    let (stopped, stop) = oneshot::channel();
    // Run by a runtime of its own, on a thread of its own. Among the server's tasks, each time a
    // statement returned the writer waited in the workers' queues behind request tasks checking
    // signatures, and a batch waits on dozens of statements; polled on its own thread but with its
    // IO driven by the server's workers, each round trip to PostgreSQL still waited for one of
    // them to look. Here, the connections the writer opens (PostgreSQL's writing connection is
    // opened by the first batch) are watched by the thread that waits for them.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name("ledger-writer")
        .build()
        .expect("the writer's runtime starts");
    std::thread::Builder::new()
        .name("ledger-writer".into())
        .spawn(move || {
            let release = Release { head: head_sender, durability: durability.clone() };
            let (releaser, flushing) = Releaser::new(log, release);
            runtime.block_on(run(store, config, receiver, &durability, releaser));
            // The last batches are released (and the log flushed) before the writer counts as
            // stopped, so that a store closed after it has nothing left to flush.
            if let Some(flushing) = flushing {
                flushing.join().expect("the flushing thread ends cleanly");
            }
            let _ = stopped.send(());
        })
        .expect("the writer's thread starts");
    // Joined like a task: it ends when the thread does, and fails if the thread panicked.
    let task = tokio::spawn(async move { stop.await.expect("the writer's thread panicked") });
    (WriterHandle { jobs, head }, task, reads)
}

async fn run(
    store: Arc<dyn Store>,
    config: WriterConfig,
    mut receiver: mpsc::Receiver<Job>,
    durability: &Durability,
    releaser: Releaser,
) {
    let mut batch = Vec::with_capacity(config.batch_size_max);
    let mut ledger = LedgerIdentity::default();
    let mut warm = Warm::default();
    while let Some(size) = next_batch(&mut receiver, &mut batch, config.batch_size_max.max(1)).await {
        let span = tracing::info_span!("batch", size);
        let outcomes = process(store.as_ref(), &mut ledger, &mut warm, durability, &batch, config.batch_retries_max)
            .instrument(span)
            .await;
        let last_seq = outcomes.iter().filter_map(Outcome::last_seq).max();
        let answers = batch.drain(..).map(|job| job.reply).zip(outcomes).collect();
        releaser.hand_over(Done { answers, last_seq, commits: durability.begun() });
    }
    tracing::info!("writer stopped: no more submitters");
}

/// Waits for a job, then takes every job already queued up to `commands_max` commands (a job of
/// several commands is never split, so a batch may pass it by one job); returns how many commands
/// it took. `None` once every handle is dropped and the queue is empty.
async fn next_batch(receiver: &mut mpsc::Receiver<Job>, batch: &mut Vec<Job>, commands_max: usize) -> Option<usize> {
    let first = receiver.recv().await?;
    let mut size = commands(&first).len();
    batch.push(first);
    while size < commands_max {
        let Ok(job) = receiver.try_recv() else {
            break;
        };
        size += commands(&job).len();
        batch.push(job);
    }
    Some(size)
}

/// The ledger's id and node key once its genesis entry is committed: they never change after, so
/// the writer reads them once rather than once per batch.
#[derive(Default)]
struct LedgerIdentity(Option<(LedgerId, PublicKey)>);

impl LedgerIdentity {
    /// An empty state for this ledger. Read inside the batch's transaction, after its head: a
    /// genesis committed before that (by this process or another replica) is seen.
    async fn state(&mut self, tx: &mut dyn BatchTx) -> Result<State, StoreError> {
        if self.0.is_none() {
            self.0 = tx.meta().await?.map(|meta| (meta.ledger_id, meta.node_key));
        }
        Ok(match self.0 {
            Some((ledger_id, node_key)) => State::for_ledger(ledger_id, node_key),
            None => State::new(),
        })
    }
}

/// How far an attempt at a batch got before it failed, which says what its callers may be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Before it learnt which request ids are already committed: it settles nothing.
    Lookup,
    /// After that and before its commit: nothing of this attempt was written. When none of the
    /// batch's request ids was found committed, no earlier attempt's commit went through either.
    Apply {
        /// Whether the look-up found none of the batch's request ids.
        none_committed: bool,
    },
    /// At its commit, whose answer was lost: it may or may not have committed.
    Commit,
}

impl Stage {
    /// Whether a batch's outcome is unknown after an attempt failed here, given whether it was
    /// unknown before.
    fn in_doubt_after(self, in_doubt_before: bool) -> bool {
        match self {
            Stage::Lookup => in_doubt_before,
            // Some request ids were found committed: "nothing was written" would be false for
            // them, so the batch is answered as unknown, and a retry gives their entries.
            Stage::Apply { none_committed } => !none_committed,
            Stage::Commit => true,
        }
    }
}

/// Applies and commits one batch, running it again after a retryable failure up to
/// `retries_max` times; returns one answer per job, in order.
async fn process(
    store: &dyn Store,
    ledger: &mut LedgerIdentity,
    warm: &mut Warm,
    durability: &Durability,
    batch: &[Job],
    retries_max: u32,
) -> Vec<Outcome> {
    let mut attempt: u32 = 0;
    // Whether some attempt's commit may have gone through unseen, not yet settled by a later
    // attempt looking the request ids up.
    let mut in_doubt = false;
    loop {
        let (error, stage) = match apply_batch(store, ledger, warm, durability, batch).await {
            Ok(answers) => return answers,
            Err(failure) => {
                // What the failed attempt took is gone, and what it committed may be unknown.
                warm.forget();
                failure
            }
        };
        in_doubt = stage.in_doubt_after(in_doubt);
        if error.is_retryable() && attempt < retries_max {
            attempt += 1;
            let backoff_ms = RETRY_BACKOFF_MS.saturating_mul(1 << attempt.min(16)).min(RETRY_BACKOFF_MAX_MS);
            tracing::warn!(%error, attempt, backoff_ms, "batch not committed; running it again");
            tokio::time::sleep(Duration::from_millis(backoff_ms)).await;
            continue;
        }
        tracing::error!(%error, attempts = attempt + 1, in_doubt, "batch not committed");
        let message = if in_doubt {
            "the ledger's database failed while this request may have been committing; whether it was \
             committed is unknown: retry with the same request id to find out"
        } else {
            "the ledger's database is unavailable; nothing was written, retry with the same request id"
        };
        let unavailable = || ServerError::Unavailable(message.into());
        return batch
            .iter()
            .map(|job| match &job.work {
                Work::One(_) => Outcome::One(Err(unavailable())),
                Work::Each(commands) => Outcome::Each(commands.iter().map(|_| Err(unavailable())).collect()),
                Work::Atomic(_) => Outcome::Atomic(Err((0, unavailable()))),
            })
            .collect();
    }
}

/// The commands of a job, in order.
fn commands(job: &Job) -> &[VerifiedCommand] {
    match &job.work {
        Work::One(command) => std::slice::from_ref(command),
        Work::Each(commands) | Work::Atomic(commands) => commands,
    }
}

/// What a batch has built so far inside its transaction: cloned before an atomic group so a
/// refused group leaves no trace.
#[derive(Clone)]
struct Building {
    /// The part of the state the batch touches.
    state: State,
    /// Seq and hash of the last entry, committed or pending.
    head: (u64, EntryHash),
    /// Entries sealed in this batch.
    pending: Vec<PendingEntry>,
    /// Everything the pending entries changed.
    changes: Changes,
    /// Request ids of the pending entries, with their index.
    in_batch: HashMap<RequestId, usize>,
}

impl Building {
    /// Applies one command to the state the batch loaded up front (see [`apply_batch`]).
    fn step(
        &mut self,
        earlier: &HashMap<RequestId, Entry>,
        command: &VerifiedCommand,
        timestamp_ms: i64,
        span: &tracing::Span,
    ) -> Result<Committed, ServerError> {
        let signed = command.signed();
        let bytes = signed.signing_bytes();
        if let Some(&index) = self.in_batch.get(&signed.request_id) {
            return replayed(&self.pending[index].entry, signed, &bytes);
        }
        if let Some(entry) = earlier.get(&signed.request_id) {
            return replayed(entry, signed, &bytes);
        }
        let state = &mut self.state;
        match state.apply(signed, timestamp_ms) {
            Ok(applied) => {
                let changes = state.take_changes();
                let touched: Vec<_> = ledger_core::history::handles(&changes, state).into_iter().collect();
                let balances_after = applied
                    .postings
                    .iter()
                    .map(|p| state.accounts.get(&p.account).expect("a posted account is loaded").balance)
                    .collect();
                let (seq, prev_hash) = (self.head.0 + 1, self.head.1);
                let entry = Entry::seal(
                    seq,
                    timestamp_ms,
                    signed.command.entry_kind(),
                    bytes,
                    signed.signatures.clone(),
                    applied.postings,
                    prev_hash,
                );
                self.head = (seq, entry.hash);
                self.changes.merge(changes);
                self.in_batch.insert(signed.request_id, self.pending.len());
                let committed = Committed {
                    entry: entry.clone(),
                    warnings: applied.warnings,
                    replayed: false,
                    collection: applied.collection,
                };
                self.pending.push(PendingEntry { entry, request_id: signed.request_id, touched, balances_after });
                Ok(committed)
            }
            Err(refusal) => {
                span.in_scope(|| tracing::info!(reason = refusal.reason(), %refusal, "command refused"));
                Err(refusal.into())
            }
        }
    }
}

/// One attempt at a batch; a failure says how far it got.
async fn apply_batch(
    store: &dyn Store,
    ledger: &mut LedgerIdentity,
    warm: &mut Warm,
    durability: &Durability,
    batch: &[Job],
) -> Result<Vec<Outcome>, (StoreError, Stage)> {
    let at = |stage| move |error| (error, stage);
    let started = std::time::Instant::now();
    let mut tx = store.begin().await.map_err(at(Stage::Lookup))?;
    let begun = started.elapsed();
    let head = tx.head().await.map_err(at(Stage::Lookup))?;
    let state = ledger.state(tx.as_mut()).await.map_err(at(Stage::Lookup))?;
    let timestamp_ms = now_ms();

    // Everything the batch needs, asked for once, up front: one round trip per kind of row instead
    // of several per command. It is all a command can need: every command not answered from
    // `earlier` named its references here, nothing else writes while the transaction holds the
    // head, and what an earlier command of the batch creates or changes is in `state` already
    // (loading never overwrites it). Asking again per command would only repeat the look-ups
    // that found nothing (a payee without an agreement), one statement per payment.
    let request_ids: Vec<RequestId> =
        batch.iter().flat_map(commands).map(|command| command.signed().request_id).collect();
    let earlier = tx.find_requests(&request_ids).await.map_err(at(Stage::Lookup))?;
    let applying = Stage::Apply { none_committed: earlier.is_empty() };
    let mut refs = References::default();
    for command in batch.iter().flat_map(commands).filter(|c| !earlier.contains_key(&c.signed().request_id)) {
        refs.extend(references_with_signers(command.signed(), timestamp_ms));
    }
    refs.dedup();
    let mut building =
        Building { state, head, pending: Vec::new(), changes: Changes::default(), in_batch: HashMap::new() };
    let looked_up = started.elapsed();
    warm.lend(head, &mut building.state, &mut refs);
    tx.load(&mut building.state, &refs).await.map_err(at(applying))?;
    let loaded = started.elapsed();

    let mut answers = Vec::with_capacity(batch.len());
    for job in batch {
        match &job.work {
            Work::One(command) => {
                answers.push(Outcome::One(building.step(&earlier, command, timestamp_ms, &job.span)));
            }
            Work::Each(commands) => {
                let each = commands.iter().map(|command| building.step(&earlier, command, timestamp_ms, &job.span));
                answers.push(Outcome::Each(each.collect()));
            }
            Work::Atomic(commands) => {
                // Applied to a copy: the first refusal discards the whole group.
                let mut scratch = building.clone();
                let mut committed = Vec::with_capacity(commands.len());
                let mut refused = None;
                for (index, command) in commands.iter().enumerate() {
                    match scratch.step(&earlier, command, timestamp_ms, &job.span) {
                        Ok(done) => committed.push(done),
                        Err(error) => {
                            refused = Some((index, error));
                            break;
                        }
                    }
                }
                match refused {
                    None => {
                        building = scratch;
                        answers.push(Outcome::Atomic(Ok(committed)));
                    }
                    Some(refusal) => answers.push(Outcome::Atomic(Err(refusal))),
                }
            }
        }
    }
    if let Err(message) = building.state.check_invariants(false) {
        // A bug, never an input error: refuse to commit rather than write a broken ledger.
        return Err((StoreError::Corrupt(format!("batch would break an invariant: {message}")), applying));
    }
    if !building.pending.is_empty() {
        let applied = started.elapsed();
        tx.append(&building.pending, &building.state, &building.changes).await.map_err(at(applying))?;
        let appended = started.elapsed();
        // Counted first: a reader that sees the batch's rows must find it counted.
        durability.commit_begins();
        tx.commit().await.map_err(at(Stage::Commit))?;
        // Where the batch's time went, cumulative from its start (microseconds).
        let us = |elapsed: Duration| elapsed.as_micros() as u64;
        tracing::debug!(
            entries = building.pending.len(),
            head = building.head.0,
            begun_us = us(begun),
            looked_up_us = us(looked_up),
            loaded_us = us(loaded),
            applied_us = us(applied),
            appended_us = us(appended),
            committed_us = us(started.elapsed()),
            "batch committed"
        );
    }
    warm.keep(building.head, building.state, &refs);
    Ok(answers)
}

/// The original result of a request id seen before, or a refusal if the payload differs. The
/// signers must be the same too: anyone can sign bytes they have seen, and the original result
/// (say, an account's limits) belongs only to whoever was authorised to make it.
fn replayed(entry: &Entry, signed: &SignedCommand, bytes: &[u8]) -> Result<Committed, ServerError> {
    let signers = |keys: &mut dyn Iterator<Item = &PublicKey>| keys.copied().collect::<BTreeSet<_>>();
    let same_signers = signers(&mut entry.signatures.iter().map(|(key, _)| key)) == signers(&mut signed.signers());
    if entry.command_bytes == bytes && same_signers {
        Ok(Committed { entry: entry.clone(), warnings: Vec::new(), replayed: true, collection: Vec::new() })
    } else {
        Err(ServerError::RequestIdReused(signed.request_id.to_string()))
    }
}

fn references_with_signers(signed: &SignedCommand, timestamp_ms: i64) -> References {
    let mut refs = signed.references(timestamp_ms);
    refs.keys.extend(signed.signers().copied());
    refs
}

fn now_ms() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).expect("the clock is after 1970");
    i64::try_from(since_epoch.as_millis()).expect("milliseconds fit in i64 until year 292 million")
}

#[cfg(test)]
mod tests {
    use ledger_core::command::{Command, SignedCommand};
    use ledger_core::keys::{SecretKey, Signature};
    use ledger_core::names::{Handle, LedgerId, Memo, RequestId, UnitCode};

    use super::{Stage, VerifiedCommand, references_with_signers};
    use crate::error::ServerError;

    fn payment(n: u8, key: &SecretKey) -> SignedCommand {
        let command = Command::Pay {
            payer: Handle::parse("alice").unwrap(),
            payee: Handle::parse("bob").unwrap(),
            unit: UnitCode::parse("COMMUN").unwrap(),
            amount: ledger_core::amount::Amount::from_minor(100 + i64::from(n)).unwrap(),
            memo: Memo::default(),
        };
        let ids = |byte| uuid::Uuid::from_bytes([byte; 16]);
        SignedCommand::sign(LedgerId::from_uuid(ids(1)), RequestId::from_uuid(ids(n)), command, key)
    }

    #[test]
    fn commands_checked_together_get_the_verdict_each_would_get_alone() {
        let key = SecretKey::from_seed([7; 32]);
        let mut forged = payment(2, &key);
        forged.signatures[0].1 = Signature::from_bytes(&[9; 64]).unwrap();
        let mut unsigned = payment(3, &key);
        unsigned.signatures.clear();
        let commands = vec![payment(1, &key), forged, unsigned, payment(4, &key)];
        let alone: Vec<Result<(), String>> = commands
            .iter()
            .map(|command| VerifiedCommand::verify(command.clone()).map(drop).map_err(|error| error.to_string()))
            .collect();
        let together: Vec<Result<(), String>> =
            VerifiedCommand::verify_many(&ledger_core::entry_signatures::SignatureChecker::new(), commands)
                .into_iter()
                .map(|verdict| verdict.map(drop).map_err(|error: ServerError| error.to_string()))
                .collect();
        assert_eq!(together, alone);
        assert!(together[0].is_ok() && together[3].is_ok(), "{together:?}");
        assert!(together[1].as_ref().unwrap_err().contains("does not verify"), "{together:?}");
        assert!(together[2].as_ref().unwrap_err().contains("no signature"), "{together:?}");
    }

    #[test]
    fn an_import_names_the_transfer_ids_its_rows_take_at_the_batch_time() {
        use ledger_core::import::{ImportRow, RowIds};
        let row = ImportRow {
            payer: Handle::parse("alice").unwrap(),
            payee: Handle::parse("bob").unwrap(),
            amount: ledger_core::amount::Amount::from_minor(100).unwrap(),
            memo: Memo::default(),
        };
        let rows = vec![row; 3];
        let unit = UnitCode::parse("COMMUN").unwrap();
        let import =
            Command::ImportTransfers { unit, file_sha256: [1; 32], first_line: 2, rows, row_ids: RowIds::InTimeOrder };
        let batch = RequestId::from_uuid(uuid::Uuid::from_bytes([5; 16]));
        let signed =
            SignedCommand::sign(LedgerId::from_uuid(uuid::Uuid::nil()), batch, import, &SecretKey::from_seed([7; 32]));
        let refs = references_with_signers(&signed, 1_000);
        for id in RowIds::InTimeOrder.ids(batch, 3, 1_000) {
            assert!(refs.transfers.contains(&id), "{id} not loaded: {:?}", refs.transfers);
        }
    }

    /// A log flush that waits for the test's permit, and says when it starts waiting.
    struct GatedFlush {
        started: std::sync::mpsc::SyncSender<()>,
        permits: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
    }

    impl crate::store::LogFlush for GatedFlush {
        fn flush(&self) -> std::io::Result<()> {
            let _ = self.started.try_send(());
            // Once the test drops its sender every flush passes, as the writer's last one must.
            let _ = self.permits.lock().unwrap().recv();
            Ok(())
        }
    }

    /// A writer on a fresh SQLite ledger whose log flushes wait for the test's permits.
    struct Gated {
        store: std::sync::Arc<dyn crate::store::Store>,
        writer: super::WriterHandle,
        writer_task: tokio::task::JoinHandle<()>,
        reads: std::sync::Arc<dyn crate::store::Store>,
        /// One message each time a flush starts waiting.
        started: std::sync::mpsc::Receiver<()>,
        permit: std::sync::mpsc::Sender<()>,
        _dir: tempfile::TempDir,
    }

    impl Gated {
        async fn new() -> Self {
            use std::sync::Arc;
            let dir = tempfile::TempDir::new().unwrap();
            let url = format!("sqlite://{}/ledger.db", dir.path().display());
            let store: Arc<dyn crate::store::Store> =
                Arc::new(crate::store::sqlite::SqliteStore::open(&url).await.unwrap());
            let (started_sender, started) = std::sync::mpsc::sync_channel(8);
            let (permit, permits) = std::sync::mpsc::channel();
            let gate = GatedFlush { started: started_sender, permits: std::sync::Mutex::new(permits) };
            let (writer, writer_task, reads) =
                super::spawn_with(store.clone(), super::WriterConfig::default(), Some(Arc::new(gate)));
            Gated { store, writer, writer_task, reads, started, permit, _dir: dir }
        }

        /// Submits a command signed by `key` (request id: 16 bytes `n`) and waits until its batch's
        /// flush has started.
        async fn submit(&self, n: u8, command: Command, key: &SecretKey) -> tokio::task::JoinHandle<super::Committed> {
            let ids = |byte| uuid::Uuid::from_bytes([byte; 16]);
            let signed = SignedCommand::sign(LedgerId::from_uuid(ids(1)), RequestId::from_uuid(ids(n)), command, key);
            let writer = self.writer.clone();
            let submitting =
                tokio::spawn(async move { writer.submit(VerifiedCommand::verify(signed).unwrap()).await.unwrap() });
            tokio::task::block_in_place(|| self.started.recv()).expect("the batch's flush starts");
            submitting
        }

        /// Submits the genesis entry (the admin key `[2; 32]`) and waits until its flush started.
        async fn submit_genesis(&self) -> tokio::task::JoinHandle<super::Committed> {
            let node = SecretKey::from_seed([1; 32]);
            let genesis = Command::Genesis { admin_key: admin().public_key(), node_key: node.public_key() };
            self.submit(2, genesis, &node).await
        }

        /// Lets the flush of a submitted command's batch through and waits for its answer.
        async fn commit(&self, submitting: tokio::task::JoinHandle<super::Committed>) -> super::Committed {
            self.permit.send(()).unwrap();
            submitting.await.unwrap()
        }

        /// Reads the ledger's head through the durable reads.
        fn read_meta(&self) -> tokio::task::JoinHandle<Option<crate::store::LedgerMeta>> {
            let reads = self.reads.clone();
            tokio::spawn(async move { reads.meta().await.unwrap() })
        }

        /// Stops the writer, every flush let through; returns the ledger's directory.
        async fn stop(self) -> tempfile::TempDir {
            drop((self.writer, self.permit));
            self.writer_task.await.unwrap();
            self._dir
        }
    }

    fn create_unit(code: &str) -> Command {
        Command::CreateUnit {
            code: UnitCode::parse(code).unwrap(),
            scale: ledger_core::amount::Scale::new(2).unwrap(),
            name: ledger_core::names::DisplayName::parse("Commun").unwrap(),
        }
    }

    fn admin() -> SecretKey {
        SecretKey::from_seed([2; 32])
    }

    /// Long enough for a task that is not held back to have finished.
    async fn a_moment() {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_is_answered_and_shown_to_readers_only_once_its_log_is_flushed() {
        let gated = Gated::new().await;
        let submitting = gated.submit_genesis().await;

        // Committed: the database shows it. Not durable yet: neither its caller nor a reader is told.
        assert_eq!(gated.store.meta().await.unwrap().expect("committed").head_seq, 1);
        let reading = gated.read_meta();
        a_moment().await;
        assert!(!submitting.is_finished(), "answered before its batch was durable");
        assert!(!reading.is_finished(), "a read showed a batch before it was durable");

        assert_eq!(gated.commit(submitting).await.entry.seq, 1);
        assert_eq!(reading.await.unwrap().expect("read once flushed").head_seq, 1);
        gated.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_unit_read_once_durable_is_read_again_without_waiting() {
        let gated = Gated::new().await;
        let genesis = gated.submit_genesis().await;
        gated.commit(genesis).await;
        let commun = UnitCode::parse("COMMUN").unwrap();
        let read_commun = |reads: std::sync::Arc<dyn crate::store::Store>, code: UnitCode| {
            tokio::spawn(async move { reads.unit(&code).await.unwrap() })
        };

        // A unit whose batch is not durable yet is read only once it is.
        let creating = gated.submit(3, create_unit("COMMUN"), &admin()).await;
        let reading = read_commun(gated.reads.clone(), commun.clone());
        a_moment().await;
        assert!(!reading.is_finished(), "a unit shown before it was durable");
        gated.commit(creating).await;
        assert!(reading.await.unwrap().is_some());

        // Another batch not durable yet holds back other reads, but not this unit's, which never changes.
        let other = gated.submit(4, create_unit("AUTRE"), &admin()).await;
        let meta = gated.read_meta();
        let unheld = tokio::time::timeout(std::time::Duration::from_secs(10), read_commun(gated.reads.clone(), commun));
        assert!(unheld.await.expect("a durable unit read without waiting").unwrap().is_some());
        a_moment().await;
        assert!(!meta.is_finished(), "a read showed a batch before it was durable");
        gated.commit(other).await;
        assert_eq!(meta.await.unwrap().expect("read once flushed").head_seq, 3);
        gated.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_closed_store_has_finalized_the_statements_it_kept_and_removed_its_log() {
        let gated = Gated::new().await;
        let genesis = gated.submit_genesis().await;
        gated.commit(genesis).await;
        // A unit and its fund account: rows written by the statements the writing connection keeps.
        let creating = gated.submit(3, create_unit("COMMUN"), &admin()).await;
        gated.commit(creating).await;
        let store = gated.store.clone();
        let dir = gated.stop().await;
        store.close().await;
        // The last connection to close removes the log, which it cannot do while a statement
        // prepared on the writing connection is still open (the checkpoints' connection closes
        // at its next tick).
        let log = dir.path().join("ledger.db-wal");
        for _ in 0..100 {
            if !log.exists() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("{} is still there after the store closed", log.display());
    }

    #[test]
    fn only_a_look_up_that_found_nothing_clears_a_doubt() {
        // A lost commit answer leaves the outcome unknown until a later attempt looks it up.
        assert!(Stage::Commit.in_doubt_after(false));
        assert!(Stage::Lookup.in_doubt_after(true));
        assert!(!Stage::Lookup.in_doubt_after(false));
        assert!(!Stage::Apply { none_committed: true }.in_doubt_after(true));
        assert!(Stage::Apply { none_committed: false }.in_doubt_after(false));
    }
}
