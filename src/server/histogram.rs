//! Per-command latency histogram with the bucket layout of HdrHistogram as
//! Redis configures it (values 1ns..1s, two significant digits), so INFO
//! latencystats percentiles and LATENCY HISTOGRAM buckets come out exactly
//! as Redis prints them for the same samples.
//!
//! Layout: 23 power-of-two buckets of 256 sub-buckets, where every bucket
//! after the first only stores its upper half (the lower half is the
//! previous bucket at double resolution): 24 * 128 counters in all.

/// Smallest recordable value (nanoseconds).
const LOWEST: i64 = 1;
/// Largest recordable value (nanoseconds).
const HIGHEST: i64 = 1_000_000_000;
/// log2 of the sub-buckets per bucket (256 gives 2 significant digits).
const SUB_BUCKET_BITS: u32 = 8;
const SUB_BUCKET_COUNT: i64 = 1 << SUB_BUCKET_BITS;
const SUB_BUCKET_HALF_BITS: u32 = SUB_BUCKET_BITS - 1;
const SUB_BUCKET_HALF_COUNT: i64 = 1 << SUB_BUCKET_HALF_BITS;
const SUB_BUCKET_MASK: i64 = SUB_BUCKET_COUNT - 1;
/// Buckets needed to reach `HIGHEST` (256 << 22 > 1e9).
const BUCKET_COUNT: usize = 23;
const COUNTS_LEN: usize = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT as usize;

/// Counts of recorded values by equivalence range.
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64]>,
    total: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Histogram(total={})", self.total)
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; COUNTS_LEN].into_boxed_slice(),
            total: 0,
        }
    }
}

fn bucket_index(value: i64) -> u32 {
    let magnitude = 64 - (value | SUB_BUCKET_MASK).leading_zeros();
    magnitude - (SUB_BUCKET_HALF_BITS + 1)
}

fn sub_bucket_index(value: i64, bucket: u32) -> i64 {
    value >> bucket
}

fn counts_index(value: i64) -> usize {
    let bucket = bucket_index(value);
    let sub = sub_bucket_index(value, bucket);
    let base = (i64::from(bucket) + 1) << SUB_BUCKET_HALF_BITS;
    (base + sub - SUB_BUCKET_HALF_COUNT) as usize
}

/// The lowest value stored in counter `index`.
fn value_at_index(index: usize) -> i64 {
    let index = index as i64;
    let mut bucket = (index >> SUB_BUCKET_HALF_BITS) - 1;
    let mut sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if bucket < 0 {
        sub -= SUB_BUCKET_HALF_COUNT;
        bucket = 0;
    }
    sub << bucket
}

fn lowest_equivalent(value: i64) -> i64 {
    let bucket = bucket_index(value);
    sub_bucket_index(value, bucket) << bucket
}

fn equivalent_range_size(value: i64) -> i64 {
    let bucket = bucket_index(value);
    let sub = sub_bucket_index(value, bucket);
    let adjusted = if sub >= SUB_BUCKET_COUNT {
        bucket + 1
    } else {
        bucket
    };
    1 << adjusted
}

fn highest_equivalent(value: i64) -> i64 {
    lowest_equivalent(value) + equivalent_range_size(value) - 1
}

impl Histogram {
    /// Records one duration in nanoseconds (clamped to 1ns..1s, as Redis does).
    pub fn record(&mut self, nanos: i64) {
        let value = nanos.clamp(LOWEST, HIGHEST);
        if let Some(slot) = self.counts.get_mut(counts_index(value)) {
            *slot += 1;
            self.total += 1;
        }
    }

    /// Number of recorded values.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The value at `percentile` (0..=100), as `hdr_value_at_percentile`.
    pub fn value_at_percentile(&self, percentile: f64) -> i64 {
        let requested = percentile.min(100.0);
        let wanted = ((requested / 100.0) * self.total as f64 + 0.5) as u64;
        let wanted = wanted.max(1);
        let mut seen = 0;
        let mut value = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= wanted {
                value = value_at_index(index);
                break;
            }
        }
        if percentile == 0.0 {
            lowest_equivalent(value)
        } else {
            highest_equivalent(value)
        }
    }

    /// Cumulative distribution at power-of-two steps starting at 1024ns:
    /// (highest value of the step in microseconds, cumulative count), only
    /// for steps where the count grew (what LATENCY HISTOGRAM replies).
    pub fn log_buckets(&self) -> Vec<(i64, u64)> {
        let mut out = Vec::new();
        let mut level: i64 = 1024;
        let mut level_lowest = lowest_equivalent(level);
        let mut index: isize = -1;
        let mut value: i64 = 0;
        let mut highest: i64 = 0;
        let mut cumulative: u64 = 0;
        let mut reported: u64 = 0;
        loop {
            let more =
                cumulative < self.total || value_at_index((index + 1) as usize) > level_lowest;
            if !more {
                return out;
            }
            loop {
                if value >= level_lowest {
                    if cumulative > reported {
                        out.push((highest / 1000, cumulative));
                    }
                    reported = cumulative;
                    level *= 2;
                    level_lowest = lowest_equivalent(level);
                    break;
                }
                index += 1;
                let Some(count) = self.counts.get(index as usize) else {
                    return out;
                };
                cumulative += count;
                value = value_at_index(index as usize);
                highest = highest_equivalent(value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_match_redis_rounding() {
        let mut h = Histogram::default();
        h.record(11_000);
        assert_eq!(h.value_at_percentile(50.0), 11_007);
        assert_eq!(h.value_at_percentile(99.9), 11_007);
        h.record(194_000);
        assert_eq!(h.value_at_percentile(99.0), 194_559);
        assert_eq!(h.total(), 2);
    }

    #[test]
    fn log_buckets_match_redis() {
        let mut h = Histogram::default();
        h.record(11_000);
        assert_eq!(h.log_buckets(), vec![(16, 1)]);
        let mut h = Histogram::default();
        h.record(10_100_000);
        assert_eq!(h.log_buckets(), vec![(16908, 1)]);
        let mut h = Histogram::default();
        h.record(500);
        h.record(3000);
        h.record(3000);
        assert_eq!(h.log_buckets(), vec![(1, 1), (4, 3)]);
    }

    #[test]
    fn extremes_are_clamped() {
        let mut h = Histogram::default();
        h.record(0);
        h.record(i64::MAX);
        assert_eq!(h.total(), 2);
        assert_eq!(h.value_at_percentile(0.0), 1);
        assert!(h.value_at_percentile(100.0) >= HIGHEST);
    }
}
