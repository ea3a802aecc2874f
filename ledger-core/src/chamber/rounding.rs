//! Exact proportional shares in integer minor units, rounded by the largest-remainder method.

/// Shares `total` among `weights` in proportion, exactly: each share is the floor of its exact
/// share `total × weight / Σweights`, and the minor units left over (fewer than the number of
/// weights) go one each to the largest remainders, equal remainders to the earlier index.
///
/// The shares sum to exactly `total`, and each is within one minor unit of its exact share.
/// Callers order `weights` by a stable key, which is then the tie-break.
///
/// Panics if `total` is negative, a weight is not positive, or `total × Σweights` would not fit
/// in `i128` (callers bound both far below that).
pub(super) fn largest_remainder(total: i128, weights: &[i128]) -> Vec<i128> {
    assert!(total >= 0, "a negative total cannot be shared");
    assert!(weights.iter().all(|w| *w > 0), "every weight is positive");
    if weights.is_empty() {
        assert_eq!(total, 0, "a positive total needs someone to share it");
        return Vec::new();
    }
    let sum: i128 = weights.iter().sum();
    let mut shares: Vec<i128> = weights.iter().map(|w| total * w / sum).collect();
    let remainders: Vec<i128> = weights.iter().map(|w| total * w % sum).collect();
    let left = total - shares.iter().sum::<i128>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // All remainders share the denominator `sum`, so comparing numerators compares them exactly.
    order.sort_by(|&a, &b| remainders[b].cmp(&remainders[a]).then(a.cmp(&b)));
    let left = usize::try_from(left).expect("fewer minor units are left than there are weights");
    for &index in order.iter().take(left) {
        shares[index] += 1;
    }
    debug_assert_eq!(shares.iter().sum::<i128>(), total);
    shares
}

/// Shares `total` among `weights` in proportion without giving any share more than its cap
/// (`None`: no cap), by water-filling: every share whose proportional part reaches its cap gets
/// exactly its cap, the rest is shared again among the others, until no part reaches its cap;
/// what is then left is shared by [`largest_remainder`]. The shares sum to exactly `total`.
///
/// Rounding never breaks a cap: every share left to round has an exact part strictly below its
/// (integer) cap, so its floor plus the one minor unit it may receive is still within it.
///
/// Panics if the caps add up to less than `total`, which callers rule out by clipping first.
pub(super) fn capped_largest_remainder(total: i128, weights: &[i128], caps: &[Option<i128>]) -> Vec<i128> {
    assert_eq!(weights.len(), caps.len(), "one cap per weight");
    // A cap above the total binds no more than "everything" does; clamping it keeps the products
    // below within i128.
    let caps: Vec<Option<i128>> = caps.iter().map(|cap| cap.map(|cap| cap.min(total))).collect();
    let mut shares = vec![0_i128; weights.len()];
    let mut open: Vec<usize> = (0..weights.len()).collect();
    let mut remaining = total;
    loop {
        let sum: i128 = open.iter().map(|&i| weights[i]).sum();
        let reaches_cap = |i: usize| caps[i].is_some_and(|cap| remaining * weights[i] >= cap * sum);
        let (full, rest): (Vec<usize>, Vec<usize>) = open.iter().partition(|&&i| reaches_cap(i));
        if full.is_empty() {
            break;
        }
        for i in full {
            let cap = caps[i].expect("only capped shares reach a cap");
            shares[i] = cap;
            remaining -= cap;
        }
        open = rest;
    }
    assert!(remaining >= 0, "shares that reach their caps never take more than is left");
    let open_weights: Vec<i128> = open.iter().map(|&i| weights[i]).collect();
    for (i, share) in open.iter().zip(largest_remainder(remaining, &open_weights)) {
        shares[*i] = share;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirds_of_a_hundred() {
        assert_eq!(largest_remainder(10_000, &[1, 1, 1]), [3_334, 3_333, 3_333]);
        assert_eq!(largest_remainder(2, &[1, 1, 1]), [1, 1, 0]);
        assert_eq!(largest_remainder(0, &[5, 7]), [0, 0]);
        // 10 over 1:2:3 is 1.67, 3.33, 5: the largest remainder is the first.
        assert_eq!(largest_remainder(10, &[1, 2, 3]), [2, 3, 5]);
        assert!(largest_remainder(0, &[]).is_empty());
    }

    #[test]
    fn caps_are_filled_and_the_rest_shared() {
        // 100 over 1:1:1 with the first capped at 10: 10, then 45 and 45.
        assert_eq!(capped_largest_remainder(100, &[1, 1, 1], &[Some(10), None, None]), [10, 45, 45]);
        // The first reaches its cap only after the second is capped: 100 over 1:3, caps 40 and 60.
        assert_eq!(capped_largest_remainder(100, &[1, 3], &[Some(40), Some(60)]), [40, 60]);
        // Nothing binds: the same as the plain method.
        assert_eq!(capped_largest_remainder(10, &[1, 2, 3], &[Some(9), Some(9), Some(9)]), [2, 3, 5]);
        // A cap of zero.
        assert_eq!(capped_largest_remainder(7, &[1, 1], &[Some(0), None]), [0, 7]);
    }

    #[test]
    #[should_panic(expected = "a positive total needs someone to share it")]
    fn caps_below_the_total_are_a_bug() {
        capped_largest_remainder(100, &[1], &[Some(10)]);
    }
}
