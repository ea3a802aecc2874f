//! The clearing solver: hand-made graphs with known answers, random graphs against an independent
//! textbook reference, the properties every answer has, and a certificate that rejects tampering.
//!
//! # Layout
//!
//! - helpers: building problems, checking the properties every answer must have;
//! - `reference`: cycle-cancelling with Bellman-Ford on the merged graph, sharing no code with the
//!   solver, slow but obviously right;
//! - hand-made graphs, then the certificate against tampered answers, then proptests.

use ledger_core::amount::Amount;
use ledger_core::clearing::synthetic::{self, Shape, Spec};
use ledger_core::clearing::{
    CertificateError, Certified, HubCapacity, HubFlow, Invoice, Problem, ProblemError, Solution, check, solve,
};
use proptest::prelude::*;

fn invoice(debtor: u32, creditor: u32, amount: i64) -> Invoice {
    Invoice { debtor, creditor, amount: Amount::from_minor(amount).expect("a valid amount") }
}

fn problem(nodes: u32, invoices: &[(u32, u32, i64)]) -> Problem {
    Problem::new(nodes, invoices.iter().map(|&(d, c, a)| invoice(d, c, a)).collect()).expect("a valid problem")
}

fn problem_with_hub(nodes: u32, invoices: &[(u32, u32, i64)], hub: &[(i64, i64)]) -> Problem {
    let invoices = invoices.iter().map(|&(d, c, a)| invoice(d, c, a)).collect();
    let hub = hub.iter().map(|&(may_pay, may_receive)| HubCapacity { may_pay, may_receive }).collect();
    Problem::with_hub(nodes, invoices, hub).expect("a valid problem")
}

/// Solves, and checks everything that must hold of any answer, computed here independently:
/// bounds, hub capacities, unchanged net positions (invoices and balances together), and the
/// certificate. Returns the solution and its certified totals.
fn solve_checked(problem: &Problem) -> (Solution, Certified) {
    let solution = solve(problem);
    assert_eq!(solution.set_off.len(), problem.invoices().len());
    let members = problem.nodes() as usize;
    // Net position: what a member owes on invoices after the run, minus what it is owed, plus
    // its mutual-credit balance change; the run must leave it as it was.
    let mut before = vec![0_i128; members];
    let mut after = vec![0_i128; members];
    for (invoice, &set_off) in problem.invoices().iter().zip(&solution.set_off) {
        let amount = invoice.amount.minor();
        assert!((0..=amount).contains(&set_off), "set-off {set_off} outside 0..={amount}");
        let (d, c) = (invoice.debtor as usize, invoice.creditor as usize);
        before[d] += i128::from(amount);
        before[c] -= i128::from(amount);
        after[d] += i128::from(amount - set_off);
        after[c] -= i128::from(amount - set_off);
    }
    match (problem.hub(), &solution.hub) {
        (None, None) => {}
        (Some(capacities), Some(flows)) => {
            assert_eq!(flows.len(), members);
            for (member, (capacity, flow)) in capacities.iter().zip(flows).enumerate() {
                assert!((0..=capacity.may_pay).contains(&flow.paid), "member {member} pays {flow:?} > {capacity:?}");
                assert!(
                    (0..=capacity.may_receive).contains(&flow.received),
                    "member {member} receives {flow:?} > {capacity:?}"
                );
                // Paying through credit lowers the balance, which raises what the member owes net.
                after[member] += i128::from(flow.paid) - i128::from(flow.received);
            }
        }
        (hub, flows) => panic!("hub {hub:?} but flows {flows:?}"),
    }
    assert_eq!(before, after, "net positions changed");
    assert_eq!(before, problem.net_positions().into_iter().map(i128::from).collect::<Vec<_>>());
    let certified = check(problem, &solution).expect("the certificate accepts the solver's answer");
    let total: i128 = solution.set_off.iter().map(|&s| i128::from(s)).sum();
    assert_eq!(certified.set_off(), total);
    (solution, certified)
}

fn through_credit(solution: &Solution) -> i64 {
    solution.hub.as_ref().map_or(0, |flows| flows.iter().map(|f| f.paid).sum())
}

/// An independent reference: the largest set-off (and then the least credit) by cycle-cancelling.
mod reference {
    use super::*;

    /// One residual-graph arc.
    struct Arc {
        from: usize,
        to: usize,
        /// Set-off (or hub flow) so far, and the most it may be.
        flow: i64,
        cap: i64,
        /// Weight per unit: set-off is worth 3, a unit through the hub costs 1.
        cost: i64,
    }

    /// Total set-off and total paid through the hub of an optimal answer.
    pub fn optimum(problem: &Problem) -> (i64, i64) {
        let members = problem.nodes() as usize;
        let hub = members;
        // Merged invoices: one arc per (debtor, creditor).
        let mut arcs: Vec<Arc> = Vec::new();
        for invoice in problem.invoices() {
            let (from, to) = (invoice.debtor as usize, invoice.creditor as usize);
            match arcs.iter_mut().find(|a| a.from == from && a.to == to) {
                Some(arc) => arc.cap += invoice.amount.minor(),
                None => arcs.push(Arc { from, to, flow: 0, cap: invoice.amount.minor(), cost: -3 }),
            }
        }
        let invoice_arcs = arcs.len();
        if let Some(capacities) = problem.hub() {
            for (member, capacity) in capacities.iter().enumerate() {
                arcs.push(Arc { from: hub, to: member, flow: 0, cap: capacity.may_pay, cost: 1 });
                arcs.push(Arc { from: member, to: hub, flow: 0, cap: capacity.may_receive, cost: 1 });
            }
        }
        let nodes = members + 1;
        // Cancel negative cycles until none is left (Bellman-Ford from a virtual source).
        while let Some(cycle) = negative_cycle(nodes, &arcs) {
            let room = cycle
                .iter()
                .map(|&(a, forward)| if forward { arcs[a].cap - arcs[a].flow } else { arcs[a].flow })
                .min()
                .expect("a cycle has arcs");
            assert!(room > 0);
            for &(a, forward) in &cycle {
                arcs[a].flow += if forward { room } else { -room };
            }
        }
        let set_off = arcs[..invoice_arcs].iter().map(|a| a.flow).sum();
        let paid = arcs[invoice_arcs..].iter().filter(|a| a.from == hub).map(|a| a.flow).sum();
        (set_off, paid)
    }

    /// A negative cycle of the residual graph, as (arc, forward) pairs, if there is one.
    fn negative_cycle(nodes: usize, arcs: &[Arc]) -> Option<Vec<(usize, bool)>> {
        let mut residual: Vec<(usize, usize, i64, usize, bool)> = Vec::new();
        for (a, arc) in arcs.iter().enumerate() {
            if arc.flow < arc.cap {
                residual.push((arc.from, arc.to, arc.cost, a, true));
            }
            if arc.flow > 0 {
                residual.push((arc.to, arc.from, -arc.cost, a, false));
            }
        }
        let mut dist = vec![0_i64; nodes];
        let mut via: Vec<Option<usize>> = vec![None; nodes];
        let mut last = None;
        for _ in 0..nodes {
            last = None;
            for (r, &(from, to, cost, _, _)) in residual.iter().enumerate() {
                if dist[from] + cost < dist[to] {
                    dist[to] = dist[from] + cost;
                    via[to] = Some(r);
                    last = Some(to);
                }
            }
        }
        // A node relaxed in the n-th round has a negative cycle behind it: walk back n steps to
        // land on the cycle, then collect it.
        let mut node = last?;
        for _ in 0..nodes {
            node = residual[via[node].expect("relaxed")].0;
        }
        let start = node;
        let mut cycle = Vec::new();
        loop {
            let r = via[node].expect("on the cycle");
            cycle.push((residual[r].3, residual[r].4));
            node = residual[r].0;
            if node == start {
                break;
            }
        }
        Some(cycle)
    }
}

// ---- hand-made graphs with known answers ----

#[test]
fn a_triangle_clears_its_smallest_invoice_all_round() {
    let p = problem(3, &[(0, 1, 10), (1, 2, 7), (2, 0, 5)]);
    let (solution, certified) = solve_checked(&p);
    assert_eq!(solution.set_off, vec![5, 5, 5]);
    assert_eq!(certified.debt_before(), 22);
    assert_eq!(certified.set_off(), 15);
    assert_eq!(certified.debt_after(), 7);
    assert_eq!(certified.invoices_touched(), 3);
}

#[test]
fn two_cycles_sharing_an_invoice_both_clear_through_it() {
    // 0 → 1 is on both cycles 0 → 1 → 2 → 0 and 0 → 1 → 3 → 0; its 10 carries 4 + 5.
    let p = problem(4, &[(0, 1, 10), (1, 2, 4), (2, 0, 4), (1, 3, 5), (3, 0, 5)]);
    let (solution, certified) = solve_checked(&p);
    assert_eq!(solution.set_off, vec![9, 4, 4, 5, 5]);
    assert_eq!(certified.set_off(), 27);
}

#[test]
fn two_cycles_competing_for_an_invoice_take_the_longer() {
    // 0 → 1 (4) can go round 0 → 1 → 0 (2 invoices) or 0 → 1 → 2 → 0 (3 invoices): the longer
    // cycle sets off more per unit, so the optimum sends all 4 that way.
    let p = problem(3, &[(0, 1, 4), (1, 0, 4), (1, 2, 4), (2, 0, 4)]);
    let (solution, certified) = solve_checked(&p);
    assert_eq!(solution.set_off, vec![4, 0, 4, 4]);
    assert_eq!(certified.set_off(), 12);
}

#[test]
fn a_chain_does_not_clear() {
    let p = problem(4, &[(0, 1, 10), (1, 2, 10), (2, 3, 10), (0, 3, 4)]);
    let (solution, certified) = solve_checked(&p);
    assert_eq!(solution.set_off, vec![0, 0, 0, 0]);
    assert_eq!(certified.set_off(), 0);
    assert_eq!(certified.invoices_touched(), 0);
}

#[test]
fn parallel_invoices_are_set_off_in_priority_order() {
    let p = problem(2, &[(0, 1, 3), (1, 0, 5), (0, 1, 4), (0, 1, 6)]);
    let (solution, certified) = solve_checked(&p);
    // 0 → 1 owes 13 over three invoices, 1 → 0 owes 5: 5 is set off each way, the earliest of
    // 0's invoices first.
    assert_eq!(solution.set_off, vec![3, 5, 2, 0]);
    assert_eq!(certified.set_off(), 10);
    assert_eq!(certified.invoices_touched(), 3);
}

#[test]
fn a_cycle_beside_a_chain_clears_only_the_cycle() {
    // Components {0, 1, 2} and {3, 4}, joined by 2 → 3 which is on no cycle.
    let p = problem(5, &[(0, 1, 8), (1, 2, 8), (2, 0, 8), (2, 3, 5), (3, 4, 6), (4, 3, 2)]);
    let (solution, _) = solve_checked(&p);
    assert_eq!(solution.set_off, vec![8, 8, 8, 0, 2, 2]);
}

#[test]
fn an_empty_problem_has_an_empty_answer() {
    let (solution, certified) = solve_checked(&problem(0, &[]));
    assert!(solution.set_off.is_empty());
    assert_eq!(certified.debt_before(), 0);
}

#[test]
fn the_hub_settles_a_chain_within_the_members_limits() {
    // 0 owes 1 ten; 0 may pay 6 through credit, 1 may receive plenty.
    let p = problem_with_hub(2, &[(0, 1, 10)], &[(6, 0), (0, 100)]);
    let (solution, certified) = solve_checked(&p);
    assert_eq!(solution.set_off, vec![6]);
    assert_eq!(solution.hub, Some(vec![HubFlow { paid: 6, received: 0 }, HubFlow { paid: 0, received: 6 }]));
    assert_eq!(certified.through_credit(), 6);
    // The receiving side binds too.
    let p = problem_with_hub(2, &[(0, 1, 10)], &[(100, 0), (0, 3)]);
    let (solution, _) = solve_checked(&p);
    assert_eq!(solution.set_off, vec![3]);
}

#[test]
fn the_hub_comes_after_set_off() {
    // A triangle and plenty of credit: the triangle clears by set-off alone, no credit used.
    let p = problem_with_hub(3, &[(0, 1, 10), (1, 2, 10), (2, 0, 10)], &[(50, 50), (50, 50), (50, 50)]);
    let (solution, certified) = solve_checked(&p);
    assert_eq!(solution.set_off, vec![10, 10, 10]);
    assert_eq!(certified.through_credit(), 0);
    // A cycle 0 → 1 → 2 → 0 of 4 plus 6 more on 0 → 1: the 4 is set off, the 6 paid by 0 and
    // received by 1 through credit.
    let p = problem_with_hub(3, &[(0, 1, 10), (1, 2, 4), (2, 0, 4)], &[(50, 50), (50, 50), (50, 50)]);
    let (solution, certified) = solve_checked(&p);
    assert_eq!(solution.set_off, vec![10, 4, 4]);
    assert_eq!(certified.through_credit(), 6);
    let flows = solution.hub.expect("a run with credit");
    assert_eq!(flows[0], HubFlow { paid: 6, received: 0 });
    assert_eq!(flows[1], HubFlow { paid: 0, received: 6 });
    assert_eq!(flows[2], HubFlow::default());
}

#[test]
fn the_hub_settles_a_chain_end_to_end() {
    // 0 → 1 → 2, only 0 may pay and only 2 may receive: the whole chain clears through one pass.
    let p = problem_with_hub(3, &[(0, 1, 7), (1, 2, 9)], &[(20, 0), (0, 0), (0, 20)]);
    let (solution, certified) = solve_checked(&p);
    assert_eq!(solution.set_off, vec![7, 7]);
    assert_eq!(certified.through_credit(), 7);
}

#[test]
fn bad_problems_are_refused() {
    assert_eq!(Problem::new(2, vec![invoice(0, 0, 1)]), Err(ProblemError::SelfInvoice { invoice: 0, node: 0 }));
    assert_eq!(
        Problem::new(2, vec![invoice(0, 1, 1), invoice(0, 2, 1)]),
        Err(ProblemError::UnknownNode { invoice: 1, node: 2, nodes: 2 })
    );
    assert_eq!(Problem::new(2, vec![invoice(0, 1, 0)]), Err(ProblemError::ZeroAmount { invoice: 0 }));
    assert_eq!(
        Problem::with_hub(2, vec![], vec![HubCapacity::default()]),
        Err(ProblemError::HubSize { given: 1, nodes: 2 })
    );
    assert_eq!(
        Problem::with_hub(1, vec![], vec![HubCapacity { may_pay: -1, may_receive: 0 }]),
        Err(ProblemError::NegativeHubCapacity { node: 0 })
    );
}

// ---- the certificate rejects what is not a feasible optimum ----

#[test]
fn the_certificate_rejects_a_raised_set_off() {
    let p = problem(3, &[(0, 1, 10), (1, 2, 7), (2, 0, 5), (0, 2, 3)]);
    let (solution, _) = solve_checked(&p);
    let mut raised = solution.clone();
    raised.set_off[0] += 1;
    assert!(matches!(check(&p, &raised), Err(CertificateError::Unbalanced { .. })), "{:?}", check(&p, &raised));
    let mut over = solution.clone();
    over.set_off[2] = 6;
    assert!(matches!(check(&p, &over), Err(CertificateError::SetOffOutOfRange { invoice: 2, .. })));
    let mut negative = solution;
    negative.set_off[3] = -1;
    assert!(matches!(check(&p, &negative), Err(CertificateError::SetOffOutOfRange { invoice: 3, .. })));
}

#[test]
fn the_certificate_rejects_all_zeros_on_a_cycle() {
    let p = problem(3, &[(0, 1, 10), (1, 2, 7), (2, 0, 5)]);
    let (solution, _) = solve_checked(&p);
    let zeros = Solution { set_off: vec![0; 3], ..solution.clone() };
    assert!(matches!(check(&p, &zeros), Err(CertificateError::NotOptimal { .. })));
    // No potentials at all can prove a feasible but smaller set-off optimal.
    for potential in [vec![0, 0, 0], vec![0, 3, 6], vec![6, 3, 0], vec![100, -100, 7]] {
        let zeros = Solution { set_off: vec![0; 3], hub: None, potential };
        assert!(matches!(check(&p, &zeros), Err(CertificateError::NotOptimal { .. })));
    }
    let partial = Solution { set_off: vec![4, 4, 4], ..solution };
    assert!(matches!(check(&p, &partial), Err(CertificateError::NotOptimal { .. })));
}

#[test]
fn the_certificate_rejects_a_changed_potential() {
    let p = problem(3, &[(0, 1, 10), (1, 2, 7), (2, 0, 5)]);
    let (solution, _) = solve_checked(&p);
    for node in 0..3 {
        for change in [-1_000_000, 1_000_000] {
            let mut changed = solution.clone();
            changed.potential[node] += change;
            assert!(matches!(check(&p, &changed), Err(CertificateError::NotOptimal { .. })), "node {node} {change}");
        }
    }
}

#[test]
fn the_certificate_rejects_wrong_shapes_and_hub_tampering() {
    let p = problem_with_hub(3, &[(0, 1, 10), (1, 2, 4), (2, 0, 4)], &[(50, 0), (0, 5), (0, 0)]);
    let (solution, _) = solve_checked(&p);
    assert_eq!(solution.hub.as_ref().expect("with credit")[0], HubFlow { paid: 5, received: 0 });
    let mut short = solution.clone();
    short.set_off.pop();
    assert!(matches!(check(&p, &short), Err(CertificateError::Shape { .. })));
    let mut no_hub = solution.clone();
    no_hub.hub = None;
    assert!(matches!(check(&p, &no_hub), Err(CertificateError::Shape { .. })));
    let mut over = solution.clone();
    let flows = over.hub.as_mut().expect("with credit");
    flows[1].received = 6;
    flows[0].paid = 6;
    over.set_off[0] = 10;
    assert!(matches!(check(&p, &over), Err(CertificateError::HubFlowOutOfRange { node: 1, .. })));
    // Less credit and less set-off is feasible, but not the largest set-off.
    let mut less = solution;
    let flows = less.hub.as_mut().expect("with credit");
    flows[1].received = 2;
    flows[0].paid = 2;
    less.set_off[0] = 6;
    assert!(matches!(
        check(&p, &less),
        Err(CertificateError::HubNotOptimal { .. } | CertificateError::NotOptimal { .. })
    ));
}

#[test]
fn synthetic_graphs_solve_to_a_certified_optimum() {
    for shape in [Shape::Uniform, Shape::HeavyTailed] {
        let spec = Spec { nodes: 300, invoices: 3_000, shape, seed: 11 };
        let invoices = synthetic::invoices(spec);
        assert_eq!(invoices, synthetic::invoices(spec), "the same spec gives the same invoices");
        let p = Problem::new(spec.nodes, invoices).expect("synthetic invoices are valid");
        let (solution, certified) = solve_checked(&p);
        assert!(certified.set_off() > 0);
        assert_eq!(solution, solve(&p), "the solver is deterministic");
    }
}

// ---- random graphs against the reference ----

/// Small random invoice graphs: few members so that cycles are common.
fn small_invoices() -> impl Strategy<Value = (u32, Vec<(u32, u32, i64)>)> {
    (2_u32..7).prop_flat_map(|nodes| {
        let edge = (0..nodes, 1..nodes, 1_i64..40).prop_map(move |(d, step, a)| (d, (d + step) % nodes, a));
        (Just(nodes), prop::collection::vec(edge, 0..16))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_graphs_clear_as_much_as_the_reference((nodes, invoices) in small_invoices()) {
        let p = problem(nodes, &invoices);
        let (solution, certified) = solve_checked(&p);
        let (set_off, _) = reference::optimum(&p);
        prop_assert_eq!(certified.set_off(), i128::from(set_off));
        // Any feasible answer that sets off less is rejected, whatever its potentials.
        if set_off > 0 {
            let zeros = Solution { set_off: vec![0; invoices.len()], ..solution };
            prop_assert!(check(&p, &zeros).is_err());
        }
    }

    #[test]
    fn random_graphs_with_credit_match_the_reference(
        (nodes, invoices) in small_invoices(),
        hub in prop::collection::vec((0_i64..30, 0_i64..30), 7),
    ) {
        let hub = &hub[..nodes as usize];
        let p = problem_with_hub(nodes, &invoices, hub);
        let (solution, certified) = solve_checked(&p);
        let (set_off, paid) = reference::optimum(&p);
        prop_assert_eq!(certified.set_off(), i128::from(set_off));
        prop_assert_eq!(through_credit(&solution), paid);
        prop_assert_eq!(certified.through_credit(), i128::from(paid));
    }

    #[test]
    fn a_tampered_answer_is_rejected((nodes, invoices) in small_invoices(), which in any::<prop::sample::Index>()) {
        prop_assume!(!invoices.is_empty());
        let p = problem(nodes, &invoices);
        let (solution, _) = solve_checked(&p);
        let i = which.index(invoices.len());
        // Raising one set-off unbalances its members or passes its amount.
        let mut raised = solution.clone();
        raised.set_off[i] += 1;
        prop_assert!(check(&p, &raised).is_err());
        // Moving one member's potential far enough breaks some incident arc's reduced cost:
        // up if its outgoing invoice i carries set-off (that arc could move back), down if not.
        let mut moved = solution;
        let debtor = invoices[i].0 as usize;
        moved.potential[debtor] += if moved.set_off[i] > 0 { 1_000_000 } else { -1_000_000 };
        let rejected = matches!(check(&p, &moved), Err(CertificateError::NotOptimal { .. }));
        prop_assert!(rejected);
    }
}
