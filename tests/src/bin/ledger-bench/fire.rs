//! The timed window: C workers over K connections, each sending its next call as soon as its
//! previous one is answered, until the window closes or the calls run out. With a rate, calls
//! are due at fixed times instead (the n-th at n / rate seconds) and a worker waits for its
//! call's time; a call's latency counts from when it was due, so a server that falls behind is
//! charged for the wait too.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tonic::transport::Channel;

/// Failure messages kept for the report; the rest are only counted.
const FAILURES_KEPT_MAX: usize = 5;
/// Clock ticks per second of the CPU times in `/proc/<pid>/stat` (`USER_HZ`, 100 on Linux).
const USER_HZ: f64 = 100.0;

/// What one payment (or, for a no-op call, the call) came back with. A call returns one per
/// payment it carried.
pub enum Answer {
    /// Committed (or, for a no-op call, answered); the index of the payment, if any.
    Committed(Option<usize>),
    /// Refused by the ledger (a limit); the index of the payment.
    Refused(usize),
    /// Anything else.
    Failed(String),
}

/// What the window measured.
pub struct Outcome {
    /// Every call's latency in microseconds, sorted (a batch is one call).
    pub latencies_us: Vec<u32>,
    /// Payments committed (no-op calls answered).
    pub committed: u64,
    /// Payments refused.
    pub refused: u64,
    /// Payments (calls) failed.
    pub failed: u64,
    /// Indices of the payments acknowledged as committed.
    pub acknowledged: Vec<usize>,
    /// Indices of the payments refused.
    pub refused_payments: Vec<usize>,
    /// From the first call to the last answer.
    pub elapsed: Duration,
    /// Whether the calls ran out before the window closed.
    pub ran_out: bool,
    /// Committed payments (answered no-op calls) in each second of the window.
    pub per_second: Vec<u64>,
    /// The first few failure messages.
    pub failures: Vec<String>,
    /// CPU seconds this process used during the window.
    pub client_cpu_s: Option<f64>,
    /// CPU seconds the server process used during the window.
    pub server_cpu_s: Option<f64>,
}

/// Runs `call` on each of `jobs` with at most `concurrency` calls in flight spread over
/// `channels`, for `duration` (calls in flight when it ends are awaited and counted); at `rate`
/// calls per second in all if given, else as fast as answers come back.
pub async fn run<I, F, Fut>(
    channels: &[Channel],
    concurrency: u32,
    rate: Option<f64>,
    duration: Duration,
    jobs: I,
    server_pid: Option<u32>,
    call: F,
) -> Outcome
where
    I: Iterator + Send + 'static,
    I::Item: Send,
    F: Fn(Channel, I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Vec<Answer>> + Send + 'static,
{
    // Each call with its number in firing order (when it is due, with a rate).
    let jobs = Arc::new(Mutex::new(jobs.enumerate()));
    let call = Arc::new(call);
    let client_clock = CpuClock::start(PathBuf::from("/proc/self/stat"));
    let server_clock = server_pid.map(|pid| CpuClock::start(PathBuf::from(format!("/proc/{pid}/stat"))));
    let start = Instant::now();
    let deadline = start + duration;
    let mut workers = Vec::with_capacity(concurrency as usize);
    for worker in 0..concurrency as usize {
        let channel = channels[worker % channels.len()].clone();
        let (jobs, call) = (jobs.clone(), call.clone());
        workers.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            loop {
                if Instant::now() >= deadline {
                    break;
                }
                // The lock is held only to take the next job, never across an await.
                let job = jobs.lock().expect("no worker panics holding the job lock").next();
                let Some((number, job)) = job else {
                    tally.ran_out = true;
                    break;
                };
                let sent = match rate {
                    Some(rate) => {
                        let due = start + Duration::from_secs_f64(number as f64 / rate);
                        if due >= deadline {
                            break;
                        }
                        tokio::time::sleep_until(due.into()).await;
                        due
                    }
                    None => Instant::now(),
                };
                let answers = call(channel.clone(), job).await;
                let answered = Instant::now();
                tally.latencies_us.push(u32::try_from((answered - sent).as_micros()).unwrap_or(u32::MAX));
                for answer in answers {
                    tally.record(answer, (answered - start).as_secs() as usize);
                }
            }
            tally
        }));
    }
    let mut total = Tally::default();
    for worker in workers {
        match worker.await {
            Ok(tally) => total.merge(tally),
            Err(error) => total.fail(format!("a worker task failed: {error}")),
        }
    }
    let elapsed = start.elapsed();
    total.latencies_us.sort_unstable();
    Outcome {
        latencies_us: total.latencies_us,
        committed: total.committed,
        refused: total.refused_payments.len() as u64,
        failed: total.failed,
        acknowledged: total.acknowledged,
        refused_payments: total.refused_payments,
        elapsed,
        ran_out: total.ran_out,
        per_second: total.per_second,
        failures: total.failures,
        client_cpu_s: client_clock.and_then(|clock| clock.seconds()),
        server_cpu_s: server_clock.flatten().and_then(|clock| clock.seconds()),
    }
}

/// One worker's counts, merged at the end so workers share nothing but the job list.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    committed: u64,
    failed: u64,
    acknowledged: Vec<usize>,
    refused_payments: Vec<usize>,
    per_second: Vec<u64>,
    failures: Vec<String>,
    ran_out: bool,
}

impl Tally {
    fn record(&mut self, answer: Answer, second: usize) {
        match answer {
            Answer::Committed(index) => {
                self.committed += 1;
                self.acknowledged.extend(index);
                if self.per_second.len() <= second {
                    self.per_second.resize(second + 1, 0);
                }
                self.per_second[second] += 1;
            }
            Answer::Refused(index) => self.refused_payments.push(index),
            Answer::Failed(message) => self.fail(message),
        }
    }

    fn fail(&mut self, message: String) {
        self.failed += 1;
        if self.failures.len() < FAILURES_KEPT_MAX {
            self.failures.push(message);
        }
    }

    fn merge(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        self.committed += other.committed;
        self.failed += other.failed;
        self.acknowledged.extend(other.acknowledged);
        self.refused_payments.extend(other.refused_payments);
        if self.per_second.len() < other.per_second.len() {
            self.per_second.resize(other.per_second.len(), 0);
        }
        for (total, count) in self.per_second.iter_mut().zip(other.per_second) {
            *total += count;
        }
        for message in other.failures {
            if self.failures.len() < FAILURES_KEPT_MAX {
                self.failures.push(message);
            }
        }
        self.ran_out |= other.ran_out;
    }
}

/// The `q` quantile (0..=1) of sorted microsecond latencies, in milliseconds (nearest rank).
pub fn percentile_ms(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted_us.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted_us.len()) - 1;
    f64::from(sorted_us[index]) / 1000.0
}

/// A process's CPU time (user + system) since the clock started, from `/proc/<pid>/stat`.
/// Linux only; elsewhere, or for a process that is gone, there is simply no figure.
pub struct CpuClock {
    path: PathBuf,
    started_ticks: u64,
}

impl CpuClock {
    fn start(path: PathBuf) -> Option<Self> {
        let started_ticks = cpu_ticks(&path)?;
        Some(Self { path, started_ticks })
    }

    fn seconds(&self) -> Option<f64> {
        let now = cpu_ticks(&self.path)?;
        Some(now.saturating_sub(self.started_ticks) as f64 / USER_HZ)
    }
}

/// utime + stime: fields 14 and 15 of `stat`, counted after the parenthesised command name
/// (which may itself contain spaces).
fn cpu_ticks(path: &PathBuf) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let after_name = &text[text.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}
