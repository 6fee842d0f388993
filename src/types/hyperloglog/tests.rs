//! Unit tests of the HLL format: the hash, the encodings agreeing with
//! each other, the estimator's edge cases, and the decoder fed random and
//! mutated bytes (it must answer, never panic).

use super::*;

const SPARSE_MAX: usize = 3000;

fn filled(n: u64, sparse_max: usize) -> Vec<u8> {
    let mut hll = new_sparse();
    for i in 0..n {
        let _ = add(&mut hll, format!("element:{i}").as_bytes(), sparse_max);
    }
    hll
}

#[test]
fn murmur_matches_the_reference_values() {
    // Values of Redis's MurmurHash64A (seed 0xadc83b19), computed with it.
    assert_eq!(murmur64a(b"", HASH_SEED), 0xd8df_ea65_85bc_9732);
    assert_eq!(murmur64a(b"a", HASH_SEED), 0x53d2_470a_9b43_b1a7);
    assert_eq!(murmur64a(b"hello world", HASH_SEED), 0xa919_bc30_51f6_24b7);
}

#[test]
fn a_new_value_is_empty_and_sparse() {
    let hll = new_sparse();
    assert_eq!(hll.len(), 18);
    assert_eq!(encoding_of(&hll), Some(Encoding::Sparse));
    assert_eq!(cached(&hll), Some(0));
    assert_eq!(count(&hll), Ok(0));
    assert_eq!(encoding_of(&new_dense()), Some(Encoding::Dense));
}

#[test]
fn header_checks_are_redis_checks() {
    let mut hll = new_sparse();
    assert_eq!(encoding_of(&hll[..15]), None);
    hll[4] = 2;
    assert_eq!(encoding_of(&hll), None);
    hll[4] = 0;
    assert_eq!(encoding_of(&hll), None, "dense of the wrong length");
    hll[4] = 1;
    hll[0] = b'h';
    assert_eq!(encoding_of(&hll), None);
}

#[test]
fn sparse_and_dense_agree_and_promotion_happens() {
    for n in [1u64, 10, 100, 1000, 5000] {
        let mut hll = filled(n, SPARSE_MAX);
        let sparse_count = count(&hll).expect("valid");
        let was_sparse = encoding_of(&hll) == Some(Encoding::Sparse);
        assert_eq!(to_dense(&mut hll), Ok(was_sparse));
        assert_eq!(count(&hll), Ok(sparse_count), "n = {n}");
        let err = (sparse_count as f64 - n as f64).abs() / n as f64;
        assert!(err < 0.05, "n = {n}, estimate {sparse_count}");
    }
    assert_eq!(
        encoding_of(&filled(100, SPARSE_MAX)),
        Some(Encoding::Sparse)
    );
    assert_eq!(
        encoding_of(&filled(5000, SPARSE_MAX)),
        Some(Encoding::Dense)
    );
    assert_eq!(encoding_of(&filled(100, 0)), Some(Encoding::Dense));
}

#[test]
fn merged_registers_count_the_union() {
    let a = filled(1000, SPARSE_MAX);
    let mut b = filled(2000, SPARSE_MAX);
    to_dense(&mut b).expect("valid");
    let mut max = [0u8; REGISTERS];
    merge_into(&mut max, &a).expect("valid");
    merge_into(&mut max, &b).expect("valid");
    assert_eq!(count_registers(&max), count(&b).expect("valid"));
}

#[test]
fn the_cache_has_its_stale_bit() {
    let mut hll = new_sparse();
    store_cached(&mut hll, 1234);
    assert_eq!(cached(&hll), Some(1234));
    assert_eq!(hll[8..16], [0xd2, 0x04, 0, 0, 0, 0, 0, 0]);
    invalidate_cache(&mut hll);
    assert_eq!(cached(&hll), None);
    assert_eq!(hll[15], 0x80);
}

#[test]
fn an_infinite_estimate_is_llong_min_as_in_redis() {
    // Every register at 63 leaves nothing in the sum: Redis divides by 0.
    let mut hll = new_dense();
    let regs = registers_mut(&mut hll);
    for i in 0..REGISTERS {
        dense::put(regs, i, 63);
    }
    assert_eq!(count(&hll), Ok(1 << 63));
}

/// A deterministic generator for the fuzz tests: the hash of a counter.
struct Counter(u64);

impl Counter {
    fn next(&mut self) -> u64 {
        self.0 += 1;
        murmur64a(&self.0.to_le_bytes(), 0x5eed)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Everything a command may do with a value that passed the header checks.
fn exercise(bytes: &[u8], rng: &mut Counter) {
    let _ = encoding_of(bytes);
    let _ = count(bytes);
    let _ = cached(bytes);
    let mut max = [0u8; REGISTERS];
    let _ = merge_into(&mut max, bytes);
    let _ = describe_sparse(bytes);
    let mut copy = bytes.to_vec();
    for _ in 0..8 {
        let index = rng.below(REGISTERS + 2);
        let value = rng.below(64) as u8;
        let _ = set_register(&mut copy, index, value, 1 + rng.below(4000));
    }
    let _ = add(&mut copy, b"x", SPARSE_MAX);
    let mut dense = bytes.to_vec();
    let _ = to_dense(&mut dense);
    let _ = count(&dense);
    let _ = dense_values(&dense).count();
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Counter(42);
    for _ in 0..3000 {
        let len = rng.below(64);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if rng.below(2) == 0 {
            let mut with_header = header(rng.below(3) as u8).to_vec();
            with_header.append(&mut bytes);
            bytes = with_header;
        }
        exercise(&bytes, &mut rng);
    }
}

#[test]
fn mutated_values_never_panic() {
    let mut rng = Counter(7);
    let sparse = filled(200, SPARSE_MAX);
    let dense = filled(3000, SPARSE_MAX);
    for round in 0..600 {
        let mut bytes = if round % 2 == 0 {
            sparse.clone()
        } else {
            dense.clone()
        };
        for _ in 0..1 + rng.below(5) {
            let at = rng.below(bytes.len());
            bytes[at] = rng.next() as u8;
        }
        match rng.below(4) {
            0 => bytes.truncate(rng.below(bytes.len() + 1)),
            1 => bytes.extend((0..rng.below(8)).map(|_| rng.next() as u8)),
            _ => {}
        }
        exercise(&bytes, &mut rng);
    }
}

#[test]
fn corrupt_sparse_values_are_detected() {
    let mut hll = filled(3, SPARSE_MAX);
    hll.extend_from_slice(b"hello");
    assert_eq!(count(&hll), Err(Corrupt));
    let mut max = [0u8; REGISTERS];
    assert_eq!(merge_into(&mut max, &hll), Err(Corrupt));
}

#[test]
fn self_test_registers_pass() {
    let mut rng = Rng::default();
    assert_eq!(self_test_registers(&mut rng), Ok(()));
}
