//! Signature checks of single commands, made together.
//!
//! A unary mutation (a payment, an account opened) checked its signatures on its own request
//! task: a scalar multiplication per signature and two point decompressions, over half of the
//! request workers' time under load. Sent here instead, the commands of the calls that arrive
//! while a check runs are checked together in one ed25519 batch, about twice as fast a signature,
//! with each key decompressed once and remembered (`SignatureChecker`). A batch that fails is
//! split until the bad signatures are found, so a client's forgeries cost its neighbours little.
//!
//! One thread does it, outside the runtime: at the batch rate one core checks far more
//! signatures a second than the writer commits commands.
//!
//! A `CreateTransfers` call brings its own batch: [`Verifier::verify_all`] checks it on a blocking
//! thread of its own (two calls check on both cores, and a large call does not hold up the unary
//! ones), with the same remembered keys.

use std::sync::Arc;

use ledger_core::command::SignedCommand;
use ledger_core::entry_signatures::SignatureChecker;
use tokio::sync::{mpsc, oneshot};

use crate::error::ServerError;
use crate::writer::VerifiedCommand;

/// Most commands checked in one batch: past a few hundred a batch is no faster a signature, and
/// its first callers would wait for the last.
const BATCH_MAX: usize = 256;

/// Most commands waiting to be checked; callers beyond it wait for room.
const QUEUE_MAX: usize = 4096;

/// Most decompressed keys remembered (under 8 MB): the checker lives as long as the server. A
/// ledger with more active signers decompresses some keys again, a third of a check each.
const KEYS_REMEMBERED_MAX: usize = 16_384;

struct Job {
    command: SignedCommand,
    reply: oneshot::Sender<Result<VerifiedCommand, ServerError>>,
}

/// A cheap handle to the checking thread, which stops once every handle is dropped.
#[derive(Clone)]
pub struct Verifier {
    jobs: mpsc::Sender<Job>,
    /// Shared by the checking thread and the calls' own checks, so a key is decompressed once.
    checker: Arc<SignatureChecker>,
}

impl Verifier {
    /// Starts the checking thread.
    pub fn spawn() -> Verifier {
        let (jobs, receiver) = mpsc::channel(QUEUE_MAX);
        let checker = Arc::new(SignatureChecker::remembering(KEYS_REMEMBERED_MAX));
        let shared = Arc::clone(&checker);
        std::thread::Builder::new()
            .name("ledger-verifier".into())
            .spawn(move || run(receiver, &shared))
            .expect("the verifier's thread starts");
        Verifier { jobs, checker }
    }

    /// Checks the command's signatures, together with those of whatever else is waiting.
    pub async fn verify(&self, command: SignedCommand) -> Result<VerifiedCommand, ServerError> {
        let stopped = || ServerError::Unavailable("the server is shutting down".into());
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { command, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Checks the signatures of one call's commands together; one verdict per command, in order.
    /// A thousand checks take tens of milliseconds: they run on a blocking thread, so the
    /// runtime's workers serve other calls meanwhile.
    pub async fn verify_all(
        &self,
        commands: Vec<SignedCommand>,
    ) -> Result<Vec<Result<VerifiedCommand, ServerError>>, ServerError> {
        let checker = Arc::clone(&self.checker);
        tokio::task::spawn_blocking(move || VerifiedCommand::verify_many(&checker, commands))
            .await
            .map_err(|error| ServerError::Unavailable(format!("signature checks stopped: {error}")))
    }
}

/// Waits for a command, takes every one already waiting (up to [`BATCH_MAX`]), checks them
/// together and answers each; until every handle is dropped.
fn run(mut receiver: mpsc::Receiver<Job>, checker: &SignatureChecker) {
    let mut batch = Vec::with_capacity(BATCH_MAX);
    while let Some(first) = receiver.blocking_recv() {
        batch.push(first);
        while batch.len() < BATCH_MAX {
            let Ok(job) = receiver.try_recv() else {
                break;
            };
            batch.push(job);
        }
        let (commands, replies): (Vec<_>, Vec<_>) = batch.drain(..).map(|job| (job.command, job.reply)).unzip();
        let verdicts = VerifiedCommand::verify_many(checker, commands);
        for (verdict, reply) in verdicts.into_iter().zip(replies) {
            // A caller that went away no longer needs its answer.
            let _ = reply.send(verdict);
        }
    }
}
