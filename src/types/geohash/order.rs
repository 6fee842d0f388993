//! The two sorts behind the order of GEO search replies, reproduced step
//! for step because their results differ where distances tie (and where a
//! distance is NaN, which compares as "less" both ways):
//!
//! - [`merge_sort`]: glibc's `qsort` (a top-down merge sort: first half
//!   `n / 2` elements, ties taken from the left), what Redis uses when it
//!   returns every result sorted;
//! - [`partial_quicksort`]: Redis's `pqsort` (Bentley and McIlroy's
//!   quicksort that only descends into partitions overlapping the wanted
//!   positions), what it uses when COUNT keeps the first few; not stable.
//!
//! Both take a three-way comparison answering as a C comparator does
//! (negative, zero, positive).

use std::cmp::Ordering;

/// Sorts `items` as glibc's `qsort` does (its merge sort).
pub fn merge_sort<T: Clone>(items: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering) {
    if items.len() <= 1 {
        return;
    }
    let mut scratch = Vec::with_capacity(items.len());
    merge_sort_into(items, cmp, &mut scratch);
}

fn merge_sort_into<T: Clone>(
    items: &mut [T],
    cmp: &impl Fn(&T, &T) -> Ordering,
    scratch: &mut Vec<T>,
) {
    let n = items.len();
    if n <= 1 {
        return;
    }
    let half = n / 2;
    let (left, right) = items.split_at_mut(half);
    merge_sort_into(left, cmp, scratch);
    merge_sort_into(right, cmp, scratch);
    scratch.clear();
    let (mut i, mut j) = (0, 0);
    while let (Some(a), Some(b)) = (left.get(i), right.get(j)) {
        if cmp(a, b) != Ordering::Greater {
            scratch.push(a.clone());
            i += 1;
        } else {
            scratch.push(b.clone());
            j += 1;
        }
    }
    scratch.extend(left.iter().skip(i).cloned());
    // What is left of the right half is already in place.
    for (slot, item) in items.iter_mut().zip(scratch.drain(..)) {
        *slot = item;
    }
}

/// Sorts `items` with Redis's `pqsort` so that positions `first..=last`
/// hold what a full sort would put there (the rest stays partly ordered).
pub fn partial_quicksort<T>(
    items: &mut [T],
    first: usize,
    last: usize,
    cmp: &impl Fn(&T, &T) -> Ordering,
) {
    quicksort_range(items, 0, items.len(), first, last, cmp);
}

/// The median of three positions, by Bentley and McIlroy's comparisons.
fn median_of_three<T>(
    items: &[T],
    a: usize,
    b: usize,
    c: usize,
    cmp: &impl Fn(&T, &T) -> Ordering,
) -> usize {
    let at = |i: usize| &items[i];
    if cmp(at(a), at(b)) == Ordering::Less {
        if cmp(at(b), at(c)) == Ordering::Less {
            b
        } else if cmp(at(a), at(c)) == Ordering::Less {
            c
        } else {
            a
        }
    } else if cmp(at(b), at(c)) == Ordering::Greater {
        b
    } else if cmp(at(a), at(c)) == Ordering::Less {
        a
    } else {
        c
    }
}

/// Swaps the `n` elements from `a` with the `n` from `b`, pair by pair
/// in increasing order (the runs may overlap, as C's `vecswap` allows).
fn swap_runs<T>(items: &mut [T], a: usize, b: usize, n: usize) {
    for k in 0..n {
        items.swap(a + k, b + k);
    }
}

/// True when the run `start..start + len` holds none of the wanted
/// positions and lies wholly on one side of them.
fn outside(start: usize, len: usize, first: usize, last: usize) -> bool {
    (first < start && last < start) || (first >= start + len && last >= start + len)
}

/// Sorts the run of `n` elements from `base` (`pqsort`'s loop: recursion
/// into the left partition, iteration on the right one).
fn quicksort_range<T>(
    items: &mut [T],
    mut base: usize,
    mut n: usize,
    first: usize,
    last: usize,
    cmp: &impl Fn(&T, &T) -> Ordering,
) {
    loop {
        if n < 7 {
            insertion_sort(items, base, n, cmp);
            return;
        }
        let pivot = pick_pivot(items, base, n, cmp);
        items.swap(base, pivot);
        let (pa, pb, pc, pd) = partition(items, base, n, cmp);
        let end = base + n;
        let r = (pa - base).min(pb - pa);
        swap_runs(items, base, pb - r, r);
        let r = (pd - pc).min(end - pd - 1);
        swap_runs(items, pb, end - r, r);
        let left = pb - pa;
        if left > 1 && !outside(base, left, first, last) {
            quicksort_range(items, base, left, first, last, cmp);
        }
        let right = pd - pc;
        if right <= 1 {
            return;
        }
        base = end - right;
        n = right;
        if outside(base, n, first, last) {
            return;
        }
    }
}

fn insertion_sort<T>(items: &mut [T], base: usize, n: usize, cmp: &impl Fn(&T, &T) -> Ordering) {
    for m in base + 1..base + n {
        let mut l = m;
        while l > base && cmp(&items[l - 1], &items[l]) == Ordering::Greater {
            items.swap(l, l - 1);
            l -= 1;
        }
    }
}

/// The pivot's position: the middle element, the median of three for
/// more than 7 elements, the pseudo-median of nine for more than 40.
fn pick_pivot<T>(items: &[T], base: usize, n: usize, cmp: &impl Fn(&T, &T) -> Ordering) -> usize {
    let mut pm = base + n / 2;
    if n > 7 {
        let mut pl = base;
        let mut pn = base + n - 1;
        if n > 40 {
            let d = n / 8;
            pl = median_of_three(items, pl, pl + d, pl + 2 * d, cmp);
            pm = median_of_three(items, pm - d, pm, pm + d, cmp);
            pn = median_of_three(items, pn - 2 * d, pn - d, pn, cmp);
        }
        pm = median_of_three(items, pl, pm, pn, cmp);
    }
    pm
}

/// Bentley and McIlroy's three-way partition around the pivot at `base`:
/// elements equal to it gather at both ends. Returns the final `pa`,
/// `pb`, `pc` and `pd` positions, where `pc` and `pd` may sit one before
/// `base + 1` (kept as `base` then, as the C pointers are).
fn partition<T>(
    items: &mut [T],
    base: usize,
    n: usize,
    cmp: &impl Fn(&T, &T) -> Ordering,
) -> (usize, usize, usize, usize) {
    let mut pa = base + 1;
    let mut pb = base + 1;
    // `pc` and `pd` are kept one past their C positions so they never go
    // below zero.
    let mut pc = base + n;
    let mut pd = base + n;
    loop {
        while pb < pc {
            let order = cmp(&items[pb], &items[base]);
            if order == Ordering::Greater {
                break;
            }
            if order == Ordering::Equal {
                items.swap(pa, pb);
                pa += 1;
            }
            pb += 1;
        }
        while pb < pc {
            let order = cmp(&items[pc - 1], &items[base]);
            if order == Ordering::Less {
                break;
            }
            if order == Ordering::Equal {
                items.swap(pc - 1, pd - 1);
                pd -= 1;
            }
            pc -= 1;
        }
        if pb >= pc {
            break;
        }
        items.swap(pb, pc - 1);
        pb += 1;
        pc -= 1;
    }
    (pa, pb, pc - 1, pd - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Orders pairs by their first field only, so ties show the algorithm.
    fn by_key(a: &(u32, u32), b: &(u32, u32)) -> Ordering {
        a.0.cmp(&b.0)
    }

    fn pseudo_random(n: usize, keys: u32) -> Vec<(u32, u32)> {
        let mut state = 12345u64;
        (0..n as u32)
            .map(|i| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                (((state >> 33) as u32) % keys, i)
            })
            .collect()
    }

    #[test]
    fn merge_sort_is_stable() {
        let mut items = pseudo_random(500, 20);
        let mut expected = items.clone();
        expected.sort_by(by_key);
        merge_sort(&mut items, &by_key);
        assert_eq!(items, expected);
    }

    #[test]
    fn merge_sort_matches_glibc_with_a_nan() {
        // glibc 2.36's qsort, compiled and run with Redis's distance
        // comparator (NaN "less" both ways), leaves this order.
        let keys = [5.0, 1.0, 3.0, 1.0, 2.0, 1.0, 4.0, 1.0, 3.0, f64::NAN, 1.0];
        let mut items: Vec<(f64, u32)> = keys.iter().zip(0..).map(|(&k, i)| (k, i)).collect();
        let by_distance = |a: &(f64, u32), b: &(f64, u32)| {
            if a.0 > b.0 {
                Ordering::Greater
            } else if a.0 == b.0 {
                Ordering::Equal
            } else {
                Ordering::Less
            }
        };
        merge_sort(&mut items, &by_distance);
        let order: Vec<u32> = items.iter().map(|p| p.1).collect();
        assert_eq!(order, [1, 3, 5, 7, 4, 2, 8, 6, 0, 9, 10]);
    }

    #[test]
    fn partial_quicksort_places_the_wanted_positions() {
        for n in [0, 1, 5, 7, 8, 40, 41, 300] {
            for keys in [3, 1000] {
                let items = pseudo_random(n, keys);
                let mut sorted = items.clone();
                sorted.sort_by(by_key);
                let last = n.saturating_sub(1).min(9);
                let mut partial = items.clone();
                partial_quicksort(&mut partial, 0, last, &by_key);
                let keys_of = |v: &[(u32, u32)]| v.iter().map(|p| p.0).collect::<Vec<_>>();
                let wanted = n.min(last + 1);
                assert_eq!(keys_of(&partial[..wanted]), keys_of(&sorted[..wanted]));
                let mut all = partial.clone();
                all.sort();
                let mut original = items.clone();
                original.sort();
                assert_eq!(all, original, "a permutation");
            }
        }
    }

    #[test]
    fn partial_quicksort_matches_redis_on_ties() {
        // Redis 7.0.15's pqsort.c, compiled and run on these keys (their
        // positions as values) for the first three positions, leaves this
        // order.
        let mut items: Vec<(u32, u32)> = [5, 1, 3, 1, 2, 1, 4, 1, 3]
            .iter()
            .enumerate()
            .map(|(i, &k)| (k, i as u32))
            .collect();
        partial_quicksort(&mut items, 0, 2, &by_key);
        let order: Vec<u32> = items.iter().map(|p| p.1).collect();
        assert_eq!(order, PQSORT_TIES);
    }

    /// See `partial_quicksort_matches_redis_on_ties`.
    const PQSORT_TIES: [u32; 9] = [5, 7, 1, 3, 4, 8, 2, 6, 0];
}
