//! Strongly connected components (Tarjan's algorithm, iterative so deep graphs cannot overflow
//! the stack). Arcs between components lie on no cycle, so they can never be set off.

/// The components of a directed graph.
#[derive(Debug)]
pub(super) struct Components {
    /// Component of each node. Components are numbered in the order Tarjan's algorithm closes
    /// them, a reverse topological order: every arc between components goes from a higher
    /// number to a lower one.
    pub of: Vec<u32>,
    /// Number of components.
    pub count: u32,
}

/// The components of the graph with `nodes` nodes and arcs `tail[a] → head[a]`.
pub(super) fn components(nodes: usize, tail: &[u32], head: &[u32]) -> Components {
    const UNSEEN: u32 = u32::MAX;
    // Forward adjacency in compressed rows.
    let mut first = vec![0_u32; nodes + 1];
    for &t in tail {
        first[t as usize + 1] += 1;
    }
    for u in 0..nodes {
        first[u + 1] += first[u];
    }
    let mut next = first.clone();
    let mut out = vec![0_u32; tail.len()];
    for (&t, &h) in tail.iter().zip(head) {
        out[next[t as usize] as usize] = h;
        next[t as usize] += 1;
    }
    drop(next);

    let mut index = vec![UNSEEN; nodes];
    let mut low = vec![0_u32; nodes];
    let mut of = vec![UNSEEN; nodes];
    let mut stack: Vec<u32> = Vec::new();
    // The depth-first path: node and the position of its next arc to explore.
    let mut path: Vec<(u32, u32)> = Vec::new();
    let mut counter = 0_u32;
    let mut count = 0_u32;
    for root in 0..nodes as u32 {
        if index[root as usize] != UNSEEN {
            continue;
        }
        index[root as usize] = counter;
        low[root as usize] = counter;
        counter += 1;
        stack.push(root);
        path.push((root, first[root as usize]));
        while let Some(&mut (u, ref mut arc)) = path.last_mut() {
            if *arc < first[u as usize + 1] {
                let v = out[*arc as usize];
                *arc += 1;
                if index[v as usize] == UNSEEN {
                    index[v as usize] = counter;
                    low[v as usize] = counter;
                    counter += 1;
                    stack.push(v);
                    path.push((v, first[v as usize]));
                } else if of[v as usize] == UNSEEN {
                    // On the stack: a back or cross arc within the current component.
                    low[u as usize] = low[u as usize].min(index[v as usize]);
                }
                continue;
            }
            path.pop();
            if let Some(&(parent, _)) = path.last() {
                low[parent as usize] = low[parent as usize].min(low[u as usize]);
            }
            if low[u as usize] == index[u as usize] {
                loop {
                    let w = stack.pop().expect("u is on the stack");
                    of[w as usize] = count;
                    if w == u {
                        break;
                    }
                }
                count += 1;
            }
        }
    }
    Components { of, count }
}
