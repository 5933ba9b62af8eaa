//! Owns the generators' random numbers: SplitMix64, seeded, so the same seed gives the same data on
//! every machine and version (no dependency whose stream could change).

pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Self {
        Random(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0), by the multiply-shift method.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as u64) as i64
    }

    /// An index into `weights`, chosen in proportion to them.
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut pick = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if pick < *w {
                return i;
            }
            pick -= w;
        }
        weights.len() - 1
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[cfg(test)]
mod tests {
    use super::Random;

    #[test]
    fn splitmix64_matches_the_reference_stream() {
        // The first outputs of SplitMix64 seeded with 1234567, from the reference C implementation
        // (Vigna, https://prng.di.unimi.it/splitmix64.c).
        let mut r = Random::new(1234567);
        assert_eq!(r.next(), 6457827717110365317);
        assert_eq!(r.next(), 3203168211198807973);
        assert_eq!(r.next(), 9817491932198370423);
    }

    #[test]
    fn below_stays_in_range_and_reaches_both_ends() {
        let mut r = Random::new(7);
        let seen: Vec<u64> = (0..1000).map(|_| r.below(3)).collect();
        assert!(seen.iter().all(|&x| x < 3));
        assert!(seen.contains(&0) && seen.contains(&2));
    }
}
