//! The generator behind a script's `math.random`: Redis replaces Lua's
//! (libc's `rand()`) with its own `redisLrand48`, the 48-bit linear
//! congruential generator of `lrand48`, so scripts draw the same numbers
//! on every platform. One generator serves every script of a server: it
//! starts from the fixed default state and only `math.randomseed` resets
//! it (Redis 7.0 no longer reseeds it before each script).

/// Largest value [`Lrand48::next_value`] returns, plus one (`REDIS_LRAND48_MAX`).
pub const LRAND48_MAX: i64 = i32::MAX as i64;

const MASK: u64 = (1 << 48) - 1;
const MULTIPLIER: u64 = 0x5_DEEC_E66D;
const INCREMENT: u64 = 0xB;
/// The state before any seeding (`X2 X1 X0`).
const DEFAULT_STATE: u64 = 0x1234_ABCD_330E;

/// `redisLrand48`'s state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lrand48 {
    state: u64,
}

impl Default for Lrand48 {
    fn default() -> Self {
        Lrand48 {
            state: DEFAULT_STATE,
        }
    }
}

impl Lrand48 {
    /// `redisSrand48(seed)`: the seed's 32 bits above the fixed low word.
    pub fn seed(&mut self, seed: i32) {
        self.state = ((seed as u32 as u64) << 16) | 0x330E;
    }

    /// The next value, in `0..=i32::MAX`.
    pub fn next_value(&mut self) -> i64 {
        self.state = (self.state.wrapping_mul(MULTIPLIER).wrapping_add(INCREMENT)) & MASK;
        (self.state >> 17) as i64
    }

    /// A number in [0, 1) as `math.random()` returns it.
    pub fn next_fraction(&mut self) -> f64 {
        (self.next_value() % LRAND48_MAX) as f64 / LRAND48_MAX as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_redis_after_seeding_with_one() {
        // Redis 7.0.15: math.randomseed(1); tostring(math.random()) is
        // "0.041630344484761" (Lua prints 14 significant digits).
        let mut rng = Lrand48::default();
        rng.seed(1);
        assert_eq!(format!("{:.15}", rng.next_fraction()), "0.041630344484761");
    }

    #[test]
    fn matches_glibc_lrand48_sequence() {
        // glibc's lrand48() after srand48(0): 366850414, 1610402240, ...
        let mut rng = Lrand48::default();
        rng.seed(0);
        assert_eq!(rng.next_value(), 366_850_414);
        assert_eq!(rng.next_value(), 1_610_402_240);
    }
}
