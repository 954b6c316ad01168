//! Stable sorting compiled once for every element type.
//!
//! The standard library's sort is generic: each element type sorted gets its own copy, a few
//! kilobytes each, which added up to tens of kilobytes of the device's wasm. These functions sort
//! the elements' positions instead (one copy of the sort, for `usize`, with the comparison behind
//! a `dyn` reference) and then move the elements into that order with swaps. Same result as
//! `slice::sort_by` and friends: stable, equal elements keep their order.

use std::cmp::Ordering;

/// Sorts `items` by `compare`, stably, as [`slice::sort_by`] does.
pub fn sort_by<T>(items: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let order = sorted_positions(items.len(), &|a, b| compare(&items[a], &items[b]));
    permute(items, order);
}

/// Sorts `items` by the key `key` gives, stably, as [`slice::sort_by_key`] does.
pub fn sort_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items`, stably, as [`slice::sort`] does.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// The positions `0..len` in the order `compare` gives them (ties in position order).
fn sorted_positions(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

/// Puts `items[order[k]]` at position `k` for every `k`, following each cycle of the permutation.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..items.len() {
        let mut current = start;
        while order[current] != start {
            let next = order[current];
            items.swap(current, next);
            order[current] = current;
            current = next;
        }
        order[current] = current;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_as_the_standard_library_does_and_keeps_ties_in_order() {
        // A small deterministic generator: many lengths, many repeated keys.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for len in 0..200 {
            let items: Vec<(u64, usize)> = (0..len).map(|i| (next() % 7, i)).collect();
            let mut ours = items.clone();
            let mut theirs = items.clone();
            sort_by_key(&mut ours, |&(key, _)| key);
            theirs.sort_by_key(|&(key, _)| key);
            assert_eq!(ours, theirs, "{len}");

            let mut ours = items.clone();
            let mut theirs = items;
            sort_by(&mut ours, |a, b| b.0.cmp(&a.0));
            theirs.sort_by_key(|&(key, _)| std::cmp::Reverse(key));
            assert_eq!(ours, theirs, "{len}");

            let mut words: Vec<String> = (0..len).map(|_| format!("{}", next() % 50)).collect();
            let mut sorted = words.clone();
            sort(&mut words);
            sorted.sort();
            assert_eq!(words, sorted);
        }
    }
}
