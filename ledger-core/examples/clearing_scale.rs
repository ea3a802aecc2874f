//! Solves one large synthetic clearing problem and prints solve time (wall clock, and the CPU time
//! of this thread, which other processes sharing the cores do not inflate), certificate check
//! time, totals, share cleared and peak memory. Run in release mode:
//!
//! ```text
//! cargo run --release -p ledger-core --example clearing_scale -- 1000000 [uniform|heavy] [seed]
//! ```
//!
//! The number of members is a tenth of the number of invoices, as in the benchmark.

use std::time::Instant;

use ledger_core::clearing::synthetic::{self, Shape, Spec};
use ledger_core::clearing::{Problem, check, solve};

fn main() {
    let mut args = std::env::args().skip(1);
    let invoices: usize = args.next().map_or(1_000_000, |a| a.parse().expect("invoices: a number"));
    let shape = match args.next().as_deref() {
        None | Some("uniform") => Shape::Uniform,
        Some("heavy") => Shape::HeavyTailed,
        Some(other) => panic!("shape {other:?}: uniform or heavy"),
    };
    let seed: u64 = args.next().map_or(7, |a| a.parse().expect("seed: a number"));
    let nodes = (invoices / 10).max(2) as u32;
    let spec = Spec { nodes, invoices, shape, seed };

    let started = Instant::now();
    let problem = Problem::new(nodes, synthetic::invoices(spec)).expect("synthetic invoices are valid");
    let generated = started.elapsed();
    let (started, cpu_started) = (Instant::now(), thread_cpu_seconds());
    let solution = solve(&problem);
    let (solved, solved_cpu) = (started.elapsed(), thread_cpu_seconds() - cpu_started);
    let started = Instant::now();
    let certified = check(&problem, &solution).expect("the certificate holds");
    let checked = started.elapsed();

    let share = certified.set_off() as f64 / certified.debt_before() as f64;
    println!("invoices {invoices}, members {nodes}, {shape:?}, seed {seed}");
    println!("generated in {:.3} s", generated.as_secs_f64());
    println!(
        "solve time {:.3} s (CPU {:.3} s), certificate checked in {:.3} s",
        solved.as_secs_f64(),
        solved_cpu,
        checked.as_secs_f64()
    );
    println!(
        "debt before {}, set off {} ({:.2}%), after {}, invoices touched {}",
        certified.debt_before(),
        certified.set_off(),
        100.0 * share,
        certified.debt_after(),
        certified.invoices_touched()
    );
    println!("peak memory (VmHWM) {}", peak_memory());
}

/// The process's peak resident memory, from /proc/self/status (Linux only).
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| status.lines().find(|line| line.starts_with("VmHWM:")).map(str::to_owned))
        .map_or_else(|| "unknown".to_owned(), |line| line.trim_start_matches("VmHWM:").trim().to_owned())
}

/// CPU time this thread has run, in seconds, from /proc/thread-self/schedstat (Linux only; 0
/// elsewhere, which makes the CPU figure meaningless there but the run still works).
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|stat| stat.split_whitespace().next().and_then(|ns| ns.parse::<u64>().ok()))
        .map_or(0.0, |ns| ns as f64 / 1e9)
}
