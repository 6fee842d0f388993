//! The sorted set type: unique binary members, each with a double score,
//! ordered by score and then by member bytes, in Redis 7.0's two
//! encodings. Small sets are a `listpack` (one compact buffer, linear
//! operations); a set that grows past `zset-max-listpack-entries` entries or
//! gets a member longer than `zset-max-listpack-value` bytes takes the
//! encoding Redis calls `skiplist`, here an order-statistic B+tree with a
//! member index (O(log n) rank and range operations, O(1) score lookups).
//! Like Redis, a set never converts back on its own; commands that build a
//! new set (ZUNIONSTORE, ZRANGESTORE, ...) pick the encoding from its size.
//!
//! Positions ("ranks") are 0-based in ascending order unless a function
//! says otherwise. Scores are never NaN.

mod packed;
mod tree;

pub use packed::PackedZSet;
pub use tree::ScoreTree;

use std::cmp::Ordering;

/// Redis's order of sorted-set entries: by score, ties by member bytes
/// (`-0` and `0` are the same score).
pub fn entry_cmp(score_a: f64, member_a: &[u8], score_b: f64, member_b: &[u8]) -> Ordering {
    match score_a.partial_cmp(&score_b) {
        Some(Ordering::Equal) | None => member_a.cmp(member_b),
        Some(order) => order,
    }
}

/// The `zset-max-listpack-*` thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListpackLimits {
    pub max_entries: u64,
    pub max_value: u64,
}

impl ListpackLimits {
    /// True if a set of `len` entries whose longest member has `longest`
    /// bytes may be a listpack.
    pub fn allow(&self, len: usize, longest: usize) -> bool {
        len as u64 <= self.max_entries && longest as u64 <= self.max_value
    }
}

/// A score interval (ZRANGEBYSCORE's `min max`, `(` making a bound exclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub min_exclusive: bool,
    pub max_exclusive: bool,
}

impl ScoreRange {
    pub fn above_min(&self, score: f64) -> bool {
        if self.min_exclusive {
            score > self.min
        } else {
            score >= self.min
        }
    }

    pub fn below_max(&self, score: f64) -> bool {
        if self.max_exclusive {
            score < self.max
        } else {
            score <= self.max
        }
    }
}

/// One end of a lexicographic range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LexBound<'a> {
    /// `-`: before every member.
    Min,
    /// `+`: after every member.
    Max,
    /// `[member` (inclusive) or `(member` (exclusive).
    Member(&'a [u8], bool),
}

impl LexBound<'_> {
    fn exclusive(&self) -> bool {
        !matches!(self, LexBound::Member(_, false))
    }

    /// How `value` compares with this bound.
    fn cmp_value(&self, value: &[u8]) -> Ordering {
        match self {
            LexBound::Min => Ordering::Greater,
            LexBound::Max => Ordering::Less,
            LexBound::Member(m, _) => value.cmp(m),
        }
    }

    /// How this bound compares with another (Redis's `sdscmplex`).
    fn cmp_bound(&self, other: &LexBound) -> Ordering {
        match (self, other) {
            (LexBound::Min, LexBound::Min) | (LexBound::Max, LexBound::Max) => Ordering::Equal,
            (LexBound::Min, _) | (_, LexBound::Max) => Ordering::Less,
            (LexBound::Max, _) | (_, LexBound::Min) => Ordering::Greater,
            (LexBound::Member(a, _), LexBound::Member(b, _)) => a.cmp(b),
        }
    }
}

/// A member interval (ZRANGEBYLEX's `min max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LexRange<'a> {
    pub min: LexBound<'a>,
    pub max: LexBound<'a>,
}

impl LexRange<'_> {
    pub fn above_min(&self, member: &[u8]) -> bool {
        match self.min.cmp_value(member) {
            Ordering::Greater => true,
            Ordering::Equal => !self.min.exclusive(),
            Ordering::Less => false,
        }
    }

    pub fn below_max(&self, member: &[u8]) -> bool {
        match self.max.cmp_value(member) {
            Ordering::Less => true,
            Ordering::Equal => !self.max.exclusive(),
            Ordering::Greater => false,
        }
    }

    /// True when no member can be in the range whatever the set holds.
    fn is_void(&self) -> bool {
        match self.min.cmp_bound(&self.max) {
            Ordering::Greater => true,
            Ordering::Equal => self.min.exclusive() || self.max.exclusive(),
            Ordering::Less => false,
        }
    }
}

/// ZADD's conditions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddFlags {
    /// Add the score to the current one (ZINCRBY, ZADD INCR).
    pub incr: bool,
    /// Only add new members.
    pub nx: bool,
    /// Only update existing members.
    pub xx: bool,
    /// Only update when the new score is greater.
    pub gt: bool,
    /// Only update when the new score is lower.
    pub lt: bool,
}

/// What an add did; each carrying the member's resulting score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AddOutcome {
    Added(f64),
    Updated(f64),
    /// The member was there with that very score.
    Unchanged(f64),
    /// A condition (NX, XX, GT, LT) prevented the change.
    Skipped,
    /// The score, or the incremented score, is not a number.
    NotANumber,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ZSet {
    /// The compact encoding, named as OBJECT ENCODING names it (reddish's
    /// own buffer, not Redis's listpack bytes).
    Listpack(PackedZSet),
    /// The scalable encoding, named as OBJECT ENCODING names it.
    Skiplist(Box<ScoreTree>),
}

impl ZSet {
    /// An empty set for a first member of `member_len` bytes: a listpack
    /// unless the limits already rule it out (as Redis's ZADD decides).
    pub fn new(limits: ListpackLimits, member_len: usize) -> ZSet {
        if limits.max_entries == 0 || member_len as u64 > limits.max_value {
            ZSet::Skiplist(Box::default())
        } else {
            ZSet::Listpack(PackedZSet::default())
        }
    }

    /// A set holding `entries`, given in order without duplicates, encoded
    /// as Redis encodes a computed result (ZUNIONSTORE, ZRANGESTORE...).
    pub fn from_sorted<'a, I>(entries: I, limits: ListpackLimits) -> ZSet
    where
        I: Iterator<Item = (&'a [u8], f64)> + Clone,
    {
        let (len, longest) = entries
            .clone()
            .fold((0, 0), |(n, longest), (m, _)| (n + 1, m.len().max(longest)));
        if limits.allow(len, longest) {
            return ZSet::Listpack(PackedZSet::from_sorted(entries));
        }
        let mut tree = ScoreTree::default();
        for (member, score) in entries {
            tree.insert(member, score);
        }
        ZSet::Skiplist(Box::new(tree))
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(lp) => lp.len(),
            ZSet::Skiplist(sl) => sl.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::Skiplist(_) => "skiplist",
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(lp) => lp.find(member).map(|(_, e)| e.score),
            ZSet::Skiplist(sl) => sl.score(member),
        }
    }

    /// Adds `member` or updates its score under `flags` (Redis's `zsetAdd`),
    /// converting to a skiplist when a new member breaks the limits.
    pub fn add(
        &mut self,
        score: f64,
        member: &[u8],
        flags: AddFlags,
        limits: ListpackLimits,
    ) -> AddOutcome {
        if score.is_nan() {
            return AddOutcome::NotANumber;
        }
        // The current score and, in a compact set, where the entry is.
        let found = match self {
            ZSet::Listpack(lp) => lp.find(member).map(|(_, e)| (e.score, e.at)),
            ZSet::Skiplist(sl) => sl.score(member).map(|score| (score, 0)),
        };
        let Some((current, at)) = found else {
            if flags.xx {
                return AddOutcome::Skipped;
            }
            self.insert_new(member, score, limits);
            return AddOutcome::Added(score);
        };
        if flags.nx {
            return AddOutcome::Skipped;
        }
        let new = if flags.incr { score + current } else { score };
        if new.is_nan() {
            return AddOutcome::NotANumber;
        }
        if (flags.lt && new >= current) || (flags.gt && new <= current) {
            return AddOutcome::Skipped;
        }
        if new == current {
            return AddOutcome::Unchanged(new);
        }
        match self {
            ZSet::Listpack(lp) => {
                lp.remove_run(at, 1);
                lp.insert(member, new);
            }
            ZSet::Skiplist(sl) => sl.set_score(member, new),
        }
        AddOutcome::Updated(new)
    }

    fn insert_new(&mut self, member: &[u8], score: f64, limits: ListpackLimits) {
        if let ZSet::Listpack(lp) = self {
            if !limits.allow(lp.len() + 1, member.len()) || lp.len() >= u32::MAX as usize {
                self.convert_to_skiplist();
            }
        }
        match self {
            ZSet::Listpack(lp) => lp.insert(member, score),
            ZSet::Skiplist(sl) => sl.insert(member, score),
        }
    }

    /// Switches a listpack to the skiplist encoding.
    pub fn convert_to_skiplist(&mut self) {
        if let ZSet::Listpack(lp) = self {
            let mut tree = ScoreTree::default();
            for e in lp.iter() {
                tree.insert(e.member, e.score);
            }
            *self = ZSet::Skiplist(Box::new(tree));
        }
    }

    /// Removes a member; true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            ZSet::Listpack(lp) => match lp.find(member) {
                Some((_, e)) => {
                    let at = e.at;
                    lp.remove_run(at, 1);
                    true
                }
                None => false,
            },
            ZSet::Skiplist(sl) => sl.remove(member).is_some(),
        }
    }

    /// The 0-based ascending rank of a member.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match self {
            ZSet::Listpack(lp) => lp.find(member).map(|(rank, _)| rank),
            ZSet::Skiplist(sl) => sl.rank(member),
        }
    }

    /// Entries in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0, false)
    }

    /// Entries from rank `rank` on, ascending, or with `reverse` descending
    /// from the `rank`-th highest.
    pub fn iter_from(&self, rank: usize, reverse: bool) -> Iter<'_> {
        match (self, reverse) {
            (ZSet::Listpack(lp), false) => Iter::Listpack(lp.iter_from(rank)),
            (ZSet::Listpack(lp), true) => {
                let n = lp.len().saturating_sub(rank);
                Iter::ListpackBack {
                    lp,
                    offsets: lp.offsets(n),
                }
            }
            (ZSet::Skiplist(sl), _) => Iter::Skiplist(sl.iter_from(rank, reverse)),
        }
    }

    /// The entries within `range`: (rank of the first, how many).
    pub fn score_span(&self, range: &ScoreRange) -> (usize, usize) {
        match self {
            ZSet::Listpack(lp) => {
                let below = lp.iter().take_while(|e| !range.above_min(e.score)).count();
                let within = lp
                    .iter_from(below)
                    .take_while(|e| range.below_max(e.score))
                    .count();
                (below, within)
            }
            ZSet::Skiplist(sl) => {
                let below = sl.prefix_len(|_, s| !range.above_min(s));
                let through = sl.prefix_len(|_, s| range.below_max(s));
                (below, through.saturating_sub(below))
            }
        }
    }

    /// The entries within a lexicographic range: (rank of the lowest, how
    /// many). Meant for sets whose scores are all equal; otherwise, as in
    /// Redis, the run found from the low end (or with `reverse` from the
    /// high end) of the listpack is what counts.
    pub fn lex_span(&self, range: &LexRange, reverse: bool) -> (usize, usize) {
        match self {
            ZSet::Listpack(lp) => listpack_lex_span(lp, range, reverse),
            ZSet::Skiplist(sl) => {
                let below = sl.prefix_len(|m, _| !range.above_min(m));
                let through = sl.prefix_len(|m, _| range.below_max(m));
                (below, through.saturating_sub(below))
            }
        }
    }

    /// Removes the entries of ranks `start..end`; returns how many.
    pub fn remove_ranks(&mut self, start: usize, end: usize) -> usize {
        match self {
            ZSet::Listpack(lp) => lp.remove_ranks(start, end),
            ZSet::Skiplist(sl) => sl.remove_ranks(start, end, |_, _| {}),
        }
    }

    /// Removes the lowest entry (the highest with `max`), showing it to
    /// `take` first. False when the set is empty.
    pub fn pop(&mut self, max: bool, take: impl FnOnce(&[u8], f64)) -> bool {
        match self {
            ZSet::Listpack(lp) => {
                let last = if max {
                    lp.iter().last()
                } else {
                    lp.iter().next()
                };
                let Some(e) = last else {
                    return false;
                };
                take(e.member, e.score);
                let at = e.at;
                lp.remove_run(at, 1);
            }
            ZSet::Skiplist(sl) => match sl.pop(max) {
                Some((member, score)) => take(&member, score),
                None => return false,
            },
        }
        true
    }

    /// The entry at position `i` of the storage order: rank order for a
    /// listpack, the member index's order for a skiplist. Positions are
    /// dense (`0..len`), for random picks and ZSCAN.
    pub fn slot(&self, i: usize) -> Option<(&[u8], f64)> {
        match self {
            ZSet::Listpack(lp) => lp.iter_from(i).next().map(|e| (e.member, e.score)),
            ZSet::Skiplist(sl) => sl.slot(i),
        }
    }
}

/// Redis's listpack walk for lex ranges: a quick rejection when the range
/// misses the set's ends, then the first in-range entry from the chosen end
/// and the run of entries after it that stay in range.
fn listpack_lex_span(lp: &PackedZSet, range: &LexRange, reverse: bool) -> (usize, usize) {
    let (Some(first), Some(last)) = (lp.iter().next(), lp.iter().last()) else {
        return (0, 0);
    };
    if range.is_void() || !range.above_min(last.member) || !range.below_max(first.member) {
        return (0, 0);
    }
    let flags: Vec<(bool, bool)> = lp
        .iter()
        .map(|e| (range.above_min(e.member), range.below_max(e.member)))
        .collect();
    if reverse {
        let Some(end) = flags.iter().rposition(|&(_, below)| below) else {
            return (0, 0);
        };
        let run = flags[..=end]
            .iter()
            .rev()
            .take_while(|&&(above, _)| above)
            .count();
        (end + 1 - run, run)
    } else {
        let Some(start) = flags.iter().position(|&(above, _)| above) else {
            return (0, 0);
        };
        let run = flags[start..]
            .iter()
            .take_while(|&&(_, below)| below)
            .count();
        (start, run)
    }
}

/// Entries of a sorted set, in either direction.
#[derive(Clone)]
pub enum Iter<'a> {
    Listpack(packed::Entries<'a>),
    /// Backwards through a listpack, by the offsets of the entries left.
    ListpackBack {
        lp: &'a PackedZSet,
        offsets: Vec<u32>,
    },
    Skiplist(tree::Walk<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<(&'a [u8], f64)> {
        match self {
            Iter::Listpack(it) => it.next().map(|e| (e.member, e.score)),
            Iter::ListpackBack { lp, offsets } => {
                let at = offsets.pop()?;
                lp.entry_at(at as usize).map(|e| (e.member, e.score))
            }
            Iter::Skiplist(it) => it.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ListpackLimits = ListpackLimits {
        max_entries: 4,
        max_value: 8,
    };

    /// A deterministic pseudo-random sequence for the model tests.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    fn entries(z: &ZSet) -> Vec<(Vec<u8>, f64)> {
        z.iter().map(|(m, s)| (m.to_vec(), s)).collect()
    }

    fn add(z: &mut ZSet, score: f64, member: &str) -> AddOutcome {
        z.add(score, member.as_bytes(), AddFlags::default(), LIMITS)
    }

    #[test]
    fn a_sorted_set_value_is_two_words() {
        // Small enough to sit beside a string in `Value` without making
        // every key's object larger.
        assert_eq!(std::mem::size_of::<ZSet>(), 16);
    }

    #[test]
    fn converts_at_the_limits() {
        let mut z = ZSet::new(LIMITS, 1);
        for (i, m) in ["a", "b", "c", "d"].iter().enumerate() {
            add(&mut z, i as f64, m);
        }
        assert_eq!(z.encoding(), "listpack");
        add(&mut z, 9.0, "e");
        assert_eq!(z.encoding(), "skiplist");
        let mut z = ZSet::new(LIMITS, 1);
        add(&mut z, 1.0, "12345678");
        assert_eq!(z.encoding(), "listpack");
        add(&mut z, 1.0, "123456789");
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(ZSet::new(LIMITS, 9).encoding(), "skiplist");
        let none = ListpackLimits {
            max_entries: 0,
            max_value: 64,
        };
        assert_eq!(ZSet::new(none, 1).encoding(), "skiplist");
    }

    #[test]
    fn add_flags_follow_redis() {
        let mut z = ZSet::new(LIMITS, 1);
        assert_eq!(add(&mut z, 1.0, "a"), AddOutcome::Added(1.0));
        assert_eq!(add(&mut z, 1.0, "a"), AddOutcome::Unchanged(1.0));
        let nx = AddFlags {
            nx: true,
            ..Default::default()
        };
        assert_eq!(z.add(5.0, b"a", nx, LIMITS), AddOutcome::Skipped);
        let gt_incr = AddFlags {
            gt: true,
            incr: true,
            ..Default::default()
        };
        assert_eq!(z.add(-1.0, b"a", gt_incr, LIMITS), AddOutcome::Skipped);
        assert_eq!(z.add(2.0, b"a", gt_incr, LIMITS), AddOutcome::Updated(3.0));
        let xx = AddFlags {
            xx: true,
            ..Default::default()
        };
        assert_eq!(z.add(1.0, b"new", xx, LIMITS), AddOutcome::Skipped);
        assert_eq!(add(&mut z, f64::NAN, "a"), AddOutcome::NotANumber);
        add(&mut z, f64::INFINITY, "inf");
        let incr = AddFlags {
            incr: true,
            ..Default::default()
        };
        assert_eq!(
            z.add(f64::NEG_INFINITY, b"inf", incr, LIMITS),
            AddOutcome::NotANumber
        );
        assert_eq!(add(&mut z, -0.0, "a"), AddOutcome::Updated(-0.0));
        assert_eq!(add(&mut z, 0.0, "a"), AddOutcome::Unchanged(0.0));
        // A listpack stores -0 as 0, as Redis's does.
        assert_eq!(z.score(b"a").map(f64::to_bits), Some(0.0f64.to_bits()));
    }

    #[test]
    fn both_encodings_agree_with_a_model() {
        for limits in [
            ListpackLimits {
                max_entries: 1000,
                max_value: 64,
            },
            ListpackLimits {
                max_entries: 0,
                max_value: 0,
            },
        ] {
            let mut rng = Lcg(7);
            let mut z = ZSet::new(limits, 0);
            let mut model: Vec<(Vec<u8>, f64)> = Vec::new();
            for _ in 0..3000 {
                let member = format!("m{}", rng.below(200)).into_bytes();
                let score = rng.below(50) as f64 / 4.0;
                if rng.below(4) == 0 {
                    let removed = z.remove(&member);
                    let before = model.len();
                    model.retain(|(m, _)| *m != member);
                    assert_eq!(removed, model.len() < before);
                } else {
                    z.add(score, &member, AddFlags::default(), limits);
                    model.retain(|(m, _)| *m != member);
                    model.push((member, score));
                }
            }
            model.sort_by(|a, b| entry_cmp(a.1, &a.0, b.1, &b.0));
            assert_eq!(entries(&z), model);
            for (rank, (m, s)) in model.iter().enumerate() {
                assert_eq!(z.rank(m), Some(rank));
                assert_eq!(z.score(m), Some(*s));
            }
            let back: Vec<_> = z.iter_from(3, true).map(|(m, _)| m.to_vec()).collect();
            let expected: Vec<_> = model.iter().rev().skip(3).map(|(m, _)| m.clone()).collect();
            assert_eq!(back, expected);
            let range = ScoreRange {
                min: 2.0,
                max: 5.0,
                min_exclusive: true,
                max_exclusive: false,
            };
            let (first, count) = z.score_span(&range);
            let in_range: Vec<_> = model
                .iter()
                .enumerate()
                .filter(|(_, (_, s))| *s > 2.0 && *s <= 5.0)
                .map(|(i, _)| i)
                .collect();
            assert_eq!(count, in_range.len());
            assert_eq!(Some(first), in_range.first().copied());
            let mut slots: Vec<_> = (0..z.len())
                .filter_map(|i| z.slot(i).map(|(m, _)| m.to_vec()))
                .collect();
            slots.sort();
            let mut all: Vec<_> = model.iter().map(|(m, _)| m.clone()).collect();
            all.sort();
            assert_eq!(slots, all);
            let removed = z.remove_ranks(first, first + count);
            assert_eq!(removed, count);
            assert_eq!(z.len(), model.len() - count);
        }
    }

    #[test]
    fn lex_spans() {
        for limits in [
            LIMITS,
            ListpackLimits {
                max_entries: 0,
                max_value: 0,
            },
        ] {
            let mut z = ZSet::new(limits, 1);
            for m in ["a", "b", "c", "d", "e"] {
                z.add(0.0, m.as_bytes(), AddFlags::default(), limits);
            }
            let range = |min, max| LexRange { min, max };
            let incl = |m: &'static str| LexBound::Member(m.as_bytes(), false);
            let excl = |m: &'static str| LexBound::Member(m.as_bytes(), true);
            for reverse in [false, true] {
                assert_eq!(
                    z.lex_span(&range(LexBound::Min, LexBound::Max), reverse),
                    (0, 5)
                );
                assert_eq!(z.lex_span(&range(incl("b"), excl("d")), reverse), (1, 2));
                assert_eq!(z.lex_span(&range(excl("b"), incl("d")), reverse), (2, 2));
                assert_eq!(z.lex_span(&range(excl("c"), excl("c")), reverse).1, 0);
                assert_eq!(
                    z.lex_span(&range(LexBound::Max, LexBound::Min), reverse).1,
                    0
                );
                assert_eq!(z.lex_span(&range(incl("x"), LexBound::Max), reverse).1, 0);
            }
        }
    }

    #[test]
    fn pops_and_built_sets() {
        let pairs: Vec<(&[u8], f64)> = vec![(b"a", 1.0), (b"b", 2.0), (b"c", 3.0)];
        let mut small = ZSet::from_sorted(pairs.iter().copied(), LIMITS);
        assert_eq!(small.encoding(), "listpack");
        let big_limits = ListpackLimits {
            max_entries: 2,
            max_value: 8,
        };
        let mut big = ZSet::from_sorted(pairs.iter().copied(), big_limits);
        assert_eq!(big.encoding(), "skiplist");
        for z in [&mut small, &mut big] {
            let mut popped = Vec::new();
            let mut take = |m: &[u8], s| popped.push((m.to_vec(), s));
            assert!(z.pop(true, &mut take) && z.pop(false, &mut take) && z.pop(false, &mut take));
            assert!(!z.pop(false, &mut take));
            assert_eq!(
                popped,
                [
                    (b"c".to_vec(), 3.0),
                    (b"a".to_vec(), 1.0),
                    (b"b".to_vec(), 2.0)
                ]
            );
        }
    }
}
