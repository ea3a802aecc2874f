//! The merged graph: parallel invoices (same debtor, same creditor) become one arc whose capacity
//! is their sum, and a merged arc's set-off is handed back to its invoices in priority order.

use super::problem::Invoice;

/// Invoices merged into one arc per (debtor, creditor) pair, arcs sorted by that pair.
#[derive(Debug)]
pub(super) struct Merged {
    /// Debtor of each arc.
    pub tail: Vec<u32>,
    /// Creditor of each arc.
    pub head: Vec<u32>,
    /// Sum of the amounts of the arc's invoices, in minor units.
    pub cap: Vec<i64>,
    /// Invoice indices grouped by arc, each group in priority (input) order.
    order: Vec<u32>,
    /// Arc `a`'s invoices are `order[group[a]..group[a + 1]]`.
    group: Vec<u32>,
}

impl Merged {
    /// Merges `invoices` among `nodes` members. Two stable counting sorts (by creditor, then by
    /// debtor) group them in O(nodes + invoices), keeping input order within a pair.
    pub fn new(nodes: u32, invoices: &[Invoice]) -> Self {
        let by_creditor = counting_sort(nodes, (0..invoices.len() as u32).collect(), |i| invoices[i as usize].creditor);
        let order = counting_sort(nodes, by_creditor, |i| invoices[i as usize].debtor);
        let mut merged = Self { tail: Vec::new(), head: Vec::new(), cap: Vec::new(), order, group: Vec::new() };
        let mut previous: Option<(u32, u32)> = None;
        for (position, &index) in merged.order.iter().enumerate() {
            let invoice = &invoices[index as usize];
            let pair = (invoice.debtor, invoice.creditor);
            if previous != Some(pair) {
                merged.tail.push(pair.0);
                merged.head.push(pair.1);
                merged.cap.push(0);
                merged.group.push(position as u32);
                previous = Some(pair);
            }
            *merged.cap.last_mut().expect("an arc was pushed for this pair") += invoice.amount.minor();
        }
        merged.group.push(merged.order.len() as u32);
        merged
    }

    /// Number of merged arcs.
    pub fn len(&self) -> usize {
        self.tail.len()
    }

    /// Hands each arc's set-off back to its invoices, highest priority first: each invoice is
    /// set off as far as it goes before the next gets anything.
    pub fn split(&self, invoices: &[Invoice], arc_set_off: &[i64]) -> Vec<i64> {
        let mut set_off = vec![0_i64; invoices.len()];
        for (arc, &total) in arc_set_off.iter().enumerate() {
            assert!((0..=self.cap[arc]).contains(&total), "arc set-off within its capacity");
            let mut left = total;
            for &index in &self.order[self.group[arc] as usize..self.group[arc + 1] as usize] {
                let share = left.min(invoices[index as usize].amount.minor());
                set_off[index as usize] = share;
                left -= share;
                if left == 0 {
                    break;
                }
            }
            assert_eq!(left, 0, "an arc's set-off fits its invoices");
        }
        set_off
    }
}

/// Stable counting sort of `items` by `key`, whose values are below `keys`.
fn counting_sort(keys: u32, items: Vec<u32>, key: impl Fn(u32) -> u32) -> Vec<u32> {
    let mut start = vec![0_u32; keys as usize + 1];
    for &item in &items {
        start[key(item) as usize + 1] += 1;
    }
    for k in 0..keys as usize {
        start[k + 1] += start[k];
    }
    let mut sorted = vec![0_u32; items.len()];
    for &item in &items {
        let slot = &mut start[key(item) as usize];
        sorted[*slot as usize] = item;
        *slot += 1;
    }
    sorted
}
