//! Exact min-cost flow with small non-negative integer costs: a primal-dual method.
//!
//! Each phase computes shortest distances on reduced costs from every node with excess to the
//! nearest node with a deficit (Dijkstra), raises the potentials by them so that every shortest
//! path consists of arcs of reduced cost zero (admissible arcs), and then moves as much excess
//! as it can along admissible arcs towards the deficits with push-relabel. Moving flow along
//! admissible arcs keeps every residual arc's reduced cost non-negative, so the flow stays
//! optimal for what it carries; excess that cannot reach a deficit in this phase simply waits
//! where it is for the next one. The costs here are 1 and 3, so distances are small and phases
//! few; push-relabel, unlike augmenting paths, needs no acyclic admissible graph.
//!
//! Arcs are flat arrays in compressed rows (each node's residual arcs contiguous, 16 bytes
//! each), all arithmetic in integers.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A flow network: arcs with capacities and non-negative costs.
pub(super) struct Network<'a> {
    /// Number of nodes.
    pub nodes: usize,
    /// Tail of each arc.
    pub tail: &'a [u32],
    /// Head of each arc.
    pub head: &'a [u32],
    /// Capacity of each arc, ≥ 0.
    pub cap: &'a [i64],
    /// Cost per unit of each arc, ≥ 0.
    pub cost: &'a [i32],
}

/// An optimal flow and the potentials that prove it.
pub(super) struct Optimum {
    /// Flow on each arc of the network, in its order.
    pub flow: Vec<i64>,
    /// Node potentials: every residual arc `u → v` has `cost + p(u) − p(v) ≥ 0`.
    pub potential: Vec<i64>,
}

/// A label meaning "no admissible path to a deficit from here in this phase". Half of `u32::MAX`
/// so that `label + 1` never wraps.
const UNREACHABLE: u32 = u32::MAX / 2;

/// One residual arc.
#[derive(Clone, Copy)]
struct Arc {
    /// Residual capacity.
    res: i64,
    /// Head node.
    to: u32,
    /// Cost per unit (negated on a reverse arc).
    cost: i32,
}

/// The residual graph in compressed rows: node `u`'s arcs are `arcs[first[u]..first[u + 1]]`.
struct Residual {
    first: Vec<u32>,
    arcs: Vec<Arc>,
    /// The reverse of each residual arc.
    twin: Vec<u32>,
    /// The forward residual arc of each network arc.
    forward: Vec<u32>,
}

impl Residual {
    fn new(net: &Network<'_>) -> Self {
        let n = net.nodes;
        let m = net.tail.len();
        assert!(2 * m < u32::MAX as usize, "residual arcs are numbered in u32");
        let mut first = vec![0_u32; n + 1];
        for a in 0..m {
            first[net.tail[a] as usize + 1] += 1;
            first[net.head[a] as usize + 1] += 1;
        }
        for u in 0..n {
            first[u + 1] += first[u];
        }
        let mut next = first.clone();
        let mut arcs = vec![Arc { res: 0, to: 0, cost: 0 }; 2 * m];
        let mut twin = vec![0_u32; 2 * m];
        let mut forward = Vec::with_capacity(m);
        for a in 0..m {
            let (t, h) = (net.tail[a] as usize, net.head[a] as usize);
            let f = next[t];
            next[t] += 1;
            let r = next[h];
            next[h] += 1;
            arcs[f as usize] = Arc { res: net.cap[a], to: h as u32, cost: net.cost[a] };
            arcs[r as usize] = Arc { res: 0, to: t as u32, cost: -net.cost[a] };
            twin[f as usize] = r;
            twin[r as usize] = f;
            forward.push(f);
        }
        Self { first, arcs, twin, forward }
    }

    fn arcs_of(&self, u: usize) -> std::ops::Range<usize> {
        self.first[u] as usize..self.first[u + 1] as usize
    }
}

/// The solver's working state.
struct Solver {
    g: Residual,
    /// Supply not yet delivered (> 0) or demand not yet met (< 0), per node.
    excess: Vec<i64>,
    /// Potentials. A node with unmet demand always has potential 0.
    h: Vec<i64>,
    /// This phase's admissible graph.
    adm: Admissible,
    /// Push-relabel distance labels towards a deficit over admissible arcs.
    label: Vec<u32>,
    /// Push-relabel current arc per node, a position in `adm`.
    cur: Vec<u32>,
    /// Whether a node is in the active queue.
    queued: Vec<bool>,
}

/// The arcs of reduced cost zero in one phase, copied into their own compressed rows: the
/// potentials do not change during a phase, so neither does this set (an arc and its twin are
/// in it together), and push-relabel scans only these, often a small part of the graph.
struct Admissible {
    /// Node `u`'s admissible arcs are `arcs[first[u]..first[u + 1]]`.
    first: Vec<u32>,
    /// Residual capacity and head, updated during the phase.
    arcs: Vec<AdmissibleArc>,
    /// The residual arc each admissible arc copies, to write capacities back.
    origin: Vec<u32>,
    /// Position of a residual arc in `arcs`, valid for admissible arcs only.
    position: Vec<u32>,
}

/// One admissible arc.
#[derive(Clone, Copy)]
struct AdmissibleArc {
    /// Residual capacity.
    res: i64,
    /// Head node.
    to: u32,
    /// Position of the reverse arc in the admissible arcs.
    twin: u32,
}

impl Admissible {
    fn new(nodes: usize, residual_arcs: usize) -> Self {
        Self { first: vec![0; nodes + 1], arcs: Vec::new(), origin: Vec::new(), position: vec![0; residual_arcs] }
    }

    fn arcs_of(&self, u: usize) -> std::ops::Range<usize> {
        self.first[u] as usize..self.first[u + 1] as usize
    }
}

pub(super) fn min_cost_flow(net: &Network<'_>, supply: &[i64]) -> Optimum {
    let n = net.nodes;
    let g = Residual::new(net);
    let adm = Admissible::new(n, g.arcs.len());
    let mut s = Solver {
        g,
        excess: supply.to_vec(),
        h: vec![0; n],
        adm,
        label: vec![UNREACHABLE; n],
        cur: vec![0; n],
        queued: vec![false; n],
    };
    let mut dist = vec![i64::MAX; n];
    let mut heap = BinaryHeap::new();
    let mut touched: Vec<u32> = Vec::new();
    let mut settled: Vec<u32> = Vec::new();
    let mut queue: Vec<u32> = Vec::new();
    loop {
        let sources: Vec<u32> = (0..n as u32).filter(|&u| s.excess[u as usize] > 0).collect();
        if sources.is_empty() {
            break;
        }
        s.raise_potentials(&sources, &mut dist, &mut heap, &mut touched, &mut settled);
        s.collect_admissible();
        s.push_relabel(&mut queue);
        s.write_back();
    }
    debug_assert!(s.excess.iter().all(|&e| e == 0), "every supply met its demand");
    let flow = s.g.forward.iter().map(|&f| s.g.arcs[s.g.twin[f as usize] as usize].res).collect();
    Optimum { flow, potential: s.h }
}

impl Solver {
    /// Dijkstra on reduced costs from every node with excess until the nearest deficit, at
    /// distance `best`, is settled; then `h(u) += dist(u) − best` for every node closer than
    /// that, which keeps reduced costs non-negative, makes every shortest path admissible and
    /// leaves deficits at potential 0.
    fn raise_potentials(
        &mut self,
        sources: &[u32],
        dist: &mut [i64],
        heap: &mut BinaryHeap<Reverse<(i64, u32)>>,
        touched: &mut Vec<u32>,
        settled: &mut Vec<u32>,
    ) {
        let mut best = i64::MAX;
        for &u in sources {
            dist[u as usize] = 0;
            touched.push(u);
            heap.push(Reverse((0, u)));
        }
        while let Some(Reverse((d, u))) = heap.pop() {
            if d > dist[u as usize] {
                continue;
            }
            if d >= best {
                break;
            }
            settled.push(u);
            let hu = self.h[u as usize];
            if self.excess[u as usize] < 0 {
                debug_assert_eq!(hu, 0, "deficits stay at potential 0");
                best = d;
                continue;
            }
            for e in self.g.arcs_of(u as usize) {
                let arc = self.g.arcs[e];
                if arc.res == 0 {
                    continue;
                }
                let v = arc.to as usize;
                let nd = d + i64::from(arc.cost) + hu - self.h[v];
                if nd < dist[v] && nd < best {
                    if dist[v] == i64::MAX {
                        touched.push(v as u32);
                    }
                    dist[v] = nd;
                    heap.push(Reverse((nd, v as u32)));
                }
            }
        }
        heap.clear();
        assert!(best < i64::MAX, "a deficit is reachable: the problem is feasible");
        for &u in settled.iter() {
            self.h[u as usize] += dist[u as usize] - best;
        }
        settled.clear();
        for &u in touched.iter() {
            dist[u as usize] = i64::MAX;
        }
        touched.clear();
    }

    /// Copies the arcs of reduced cost zero into `adm`.
    fn collect_admissible(&mut self) {
        let adm = &mut self.adm;
        adm.arcs.clear();
        adm.origin.clear();
        for u in 0..self.h.len() {
            let hu = self.h[u];
            for e in self.g.arcs_of(u) {
                let arc = self.g.arcs[e];
                if i64::from(arc.cost) + hu == self.h[arc.to as usize] {
                    adm.position[e] = adm.arcs.len() as u32;
                    adm.arcs.push(AdmissibleArc { res: arc.res, to: arc.to, twin: 0 });
                    adm.origin.push(e as u32);
                }
            }
            adm.first[u + 1] = adm.arcs.len() as u32;
        }
        for k in 0..adm.arcs.len() {
            adm.arcs[k].twin = adm.position[self.g.twin[adm.origin[k] as usize] as usize];
        }
    }

    /// Writes the phase's residual capacities back into the residual graph.
    fn write_back(&mut self) {
        for (arc, &e) in self.adm.arcs.iter().zip(&self.adm.origin) {
            self.g.arcs[e as usize].res = arc.res;
        }
    }

    /// Exact labels: breadth-first search backwards from every deficit over admissible arcs
    /// with room.
    fn global_relabel(&mut self, order: &mut Vec<u32>) {
        self.label.fill(UNREACHABLE);
        order.clear();
        for u in 0..self.h.len() {
            if self.excess[u] < 0 && self.h[u] == 0 {
                self.label[u] = 0;
                order.push(u as u32);
            }
        }
        let mut next = 0;
        while next < order.len() {
            let v = order[next] as usize;
            next += 1;
            let lv = self.label[v];
            for k in self.adm.arcs_of(v) {
                // The twin of v's arc k is an arc w → v.
                let arc = self.adm.arcs[k];
                let w = arc.to as usize;
                if self.label[w] == UNREACHABLE && self.adm.arcs[arc.twin as usize].res > 0 {
                    self.label[w] = lv + 1;
                    order.push(w as u32);
                }
            }
        }
        self.cur.copy_from_slice(&self.adm.first[..self.h.len()]);
    }

    /// Moves excess along admissible arcs towards deficits (FIFO push-relabel with global
    /// relabelling) until no node with excess has an admissible path to a deficit.
    fn push_relabel(&mut self, queue: &mut Vec<u32>) {
        let mut order = Vec::new();
        self.global_relabel(&mut order);
        self.queue_by_label(&order, queue);
        // Relabelling work since the last global relabel, in arcs scanned: past the number of
        // arcs, exact labels are cheaper than more local ones.
        let mut work = 0_usize;
        let work_max = self.adm.arcs.len() + self.h.len();
        let mut head = 0;
        while head < queue.len() {
            let u = queue[head] as usize;
            head += 1;
            self.queued[u] = false;
            work += self.discharge(u, queue);
            if work > work_max {
                work = 0;
                for &w in &queue[head..] {
                    self.queued[w as usize] = false;
                }
                self.global_relabel(&mut order);
                self.queue_by_label(&order, queue);
                head = 0;
            }
        }
        queue.clear();
    }

    /// Queues every node with excess that can reach a deficit, nearest first: `order` is the
    /// global relabelling's breadth-first order.
    fn queue_by_label(&mut self, order: &[u32], queue: &mut Vec<u32>) {
        queue.clear();
        for &u in order {
            if self.excess[u as usize] > 0 {
                queue.push(u);
                self.queued[u as usize] = true;
            }
        }
    }

    /// Pushes `u`'s excess along admissible arcs one label down, relabelling `u` when it has
    /// none left, until its excess is gone or it cannot reach a deficit. Returns the arcs
    /// scanned by relabels.
    fn discharge(&mut self, u: usize, queue: &mut Vec<u32>) -> usize {
        let mut work = 0;
        let range = self.adm.arcs_of(u);
        while self.excess[u] > 0 && self.label[u] != UNREACHABLE {
            let lu = self.label[u];
            let mut k = self.cur[u] as usize;
            while k < range.end {
                let arc = self.adm.arcs[k];
                if arc.res > 0 && self.label[arc.to as usize] + 1 == lu {
                    break;
                }
                k += 1;
            }
            if k < range.end {
                self.cur[u] = k as u32;
                let arc = self.adm.arcs[k];
                let v = arc.to as usize;
                let delta = self.excess[u].min(arc.res);
                self.adm.arcs[k].res -= delta;
                self.adm.arcs[arc.twin as usize].res += delta;
                self.excess[u] -= delta;
                let before = self.excess[v];
                self.excess[v] += delta;
                if before <= 0 && self.excess[v] > 0 && !self.queued[v] {
                    self.queued[v] = true;
                    queue.push(v as u32);
                }
            } else {
                let mut lowest = UNREACHABLE;
                for arc in &self.adm.arcs[range.clone()] {
                    if arc.res > 0 {
                        lowest = lowest.min(self.label[arc.to as usize]);
                    }
                }
                work += range.len() + 1;
                self.label[u] = if lowest as usize >= self.h.len() { UNREACHABLE } else { lowest + 1 };
                self.cur[u] = range.start as u32;
            }
        }
        work
    }
}
