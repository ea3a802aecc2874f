//! Exact min-cost flow with non-negative integer costs (prototype: primal-dual).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A flow network: arcs with capacities and non-negative costs, and a supply per node.
pub(super) struct Network<'a> {
    pub nodes: usize,
    pub tail: &'a [u32],
    pub head: &'a [u32],
    pub cap: &'a [i64],
    pub cost: &'a [i32],
}

/// An optimal flow and the potentials that prove it.
pub(super) struct Optimum {
    pub flow: Vec<i64>,
    pub potential: Vec<i64>,
}

struct Residual {
    first: Vec<u32>,
    to: Vec<u32>,
    cost: Vec<i32>,
    res: Vec<i64>,
    twin: Vec<u32>,
    forward: Vec<u32>,
}

impl Residual {
    fn new(net: &Network<'_>) -> Self {
        let n = net.nodes;
        let m = net.tail.len();
        let mut first = vec![0_u32; n + 1];
        for a in 0..m {
            first[net.tail[a] as usize + 1] += 1;
            first[net.head[a] as usize + 1] += 1;
        }
        for u in 0..n {
            first[u + 1] += first[u];
        }
        let mut next = first.clone();
        let mut to = vec![0_u32; 2 * m];
        let mut cost = vec![0_i32; 2 * m];
        let mut res = vec![0_i64; 2 * m];
        let mut twin = vec![0_u32; 2 * m];
        let mut forward = Vec::with_capacity(m);
        for a in 0..m {
            let (t, h) = (net.tail[a] as usize, net.head[a] as usize);
            let f = next[t];
            next[t] += 1;
            let r = next[h];
            next[h] += 1;
            to[f as usize] = h as u32;
            cost[f as usize] = net.cost[a];
            res[f as usize] = net.cap[a];
            twin[f as usize] = r;
            to[r as usize] = t as u32;
            cost[r as usize] = -net.cost[a];
            res[r as usize] = 0;
            twin[r as usize] = f;
            forward.push(f);
        }
        Self { first, to, cost, res, twin, forward }
    }
}

pub(super) fn min_cost_flow(net: &Network<'_>, supply: &[i64]) -> Optimum {
    let n = net.nodes;
    let mut g = Residual::new(net);
    let mut excess = supply.to_vec();
    let mut h = vec![0_i64; n];
    let mut dist = vec![i64::MAX; n];
    let mut touched: Vec<u32> = Vec::new();
    let mut settled: Vec<u32> = Vec::new();
    let mut heap = BinaryHeap::new();
    let mut level = vec![u32::MAX; n];
    let mut cur = vec![0_u32; n];
    let mut queue: Vec<u32> = Vec::new();
    let mut path: Vec<u32> = Vec::new();
    let mut sources: Vec<u32> = (0..n as u32).filter(|&u| excess[u as usize] > 0).collect();

    loop {
        sources.retain(|&u| excess[u as usize] > 0);
        if sources.is_empty() {
            break;
        }

        // Dijkstra on reduced costs from every source, until the nearest sink is known.
        let mut best = i64::MAX;
        for &s in &sources {
            dist[s as usize] = 0;
            touched.push(s);
            heap.push(Reverse((0_i64, s)));
        }
        while let Some(Reverse((d, u))) = heap.pop() {
            if d > dist[u as usize] {
                continue;
            }
            if d >= best {
                break;
            }
            settled.push(u);
            let hu = h[u as usize];
            if excess[u as usize] < 0 {
                best = best.min(d + hu);
            }
            for e in g.first[u as usize] as usize..g.first[u as usize + 1] as usize {
                if g.res[e] == 0 {
                    continue;
                }
                let v = g.to[e] as usize;
                let nd = d + i64::from(g.cost[e]) + hu - h[v];
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
        assert!(best < i64::MAX, "a sink is reachable: the problem is feasible");
        for &u in &settled {
            h[u as usize] += dist[u as usize] - best;
        }
        settled.clear();
        for &u in &touched {
            dist[u as usize] = i64::MAX;
        }
        touched.clear();
        // Dinic on the admissible graph.
        loop {
            queue.clear();
            for &s in &sources {
                if excess[s as usize] > 0 {
                    level[s as usize] = 0;
                    queue.push(s);
                }
            }
            let mut found = u32::MAX;
            let mut head_ix = 0;
            while head_ix < queue.len() {
                let u = queue[head_ix] as usize;
                head_ix += 1;
                if level[u] >= found {
                    break;
                }
                let hu = h[u];
                for e in g.first[u] as usize..g.first[u + 1] as usize {
                    let v = g.to[e] as usize;
                    if g.res[e] > 0 && level[v] == u32::MAX && i64::from(g.cost[e]) + hu == h[v] {
                        level[v] = level[u] + 1;
                        queue.push(v as u32);
                        if excess[v] < 0 && h[v] == 0 {
                            found = found.min(level[v]);
                        }
                    }
                }
            }
            if found == u32::MAX {
                for &u in &queue {
                    level[u as usize] = u32::MAX;
                }
                break;
            }
            for &u in &queue {
                cur[u as usize] = g.first[u as usize];
            }
            for &s in &sources {
                let s = s as usize;
                path.clear();
                let mut u = s;
                while excess[s] > 0 {
                    if u != s && excess[u] < 0 && h[u] == 0 {
                        let mut delta = excess[s].min(-excess[u]);
                        for &e in &path {
                            delta = delta.min(g.res[e as usize]);
                        }
                        let mut cut = path.len();
                        for (k, &e) in path.iter().enumerate() {
                            g.res[e as usize] -= delta;
                            g.res[g.twin[e as usize] as usize] += delta;
                            if g.res[e as usize] == 0 && cut == path.len() {
                                cut = k;
                            }
                        }
                        excess[s] -= delta;
                        excess[u] += delta;
                        if cut == path.len() {
                            cut = 0;
                        }
                        path.truncate(cut);
                        u = path.last().map_or(s, |&e| g.to[e as usize] as usize);
                        continue;
                    }
                    let hu = h[u];
                    let lu = level[u];
                    let end = g.first[u + 1];
                    let mut e = cur[u];
                    while e < end {
                        let v = g.to[e as usize] as usize;
                        if g.res[e as usize] > 0 && level[v] == lu + 1 && i64::from(g.cost[e as usize]) + hu == h[v] {
                            break;
                        }
                        e += 1;
                    }
                    cur[u] = e;
                    if e < end {
                        path.push(e);
                        u = g.to[e as usize] as usize;
                    } else {
                        level[u] = u32::MAX - 1;
                        match path.pop() {
                            Some(back) => {
                                u = g.to[g.twin[back as usize] as usize] as usize;
                                cur[u] += 1;
                            }
                            None => break,
                        }
                    }
                }
            }
            for &u in &queue {
                level[u as usize] = u32::MAX;
            }
        }
    }
    let flow = g.forward.iter().map(|&f| g.res[g.twin[f as usize] as usize]).collect();
    Optimum { flow, potential: h }
}
