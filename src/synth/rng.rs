//! Deterministic randomness: every stream is a `ChaCha8Rng` seeded from a hash
//! of (seed, stream, day, resource, ...), so output never depends on thread
//! count or scheduling. Also owns the pseudo-random identifier formats.

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub(crate) const STREAM_ORG: u64 = 1;
pub(crate) const STREAM_ACCOUNT: u64 = 2;
pub(crate) const STREAM_DAY: u64 = 3;
pub(crate) const STREAM_ANOMALY: u64 = 4;
pub(crate) const STREAM_WASTE: u64 = 5;
pub(crate) const STREAM_ID: u64 = 6;
pub(crate) const STREAM_COMMIT: u64 = 7;

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Order-sensitive hash of a key tuple.
pub(crate) fn hash(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(0x5EED_CAFE_F00D_u64, |acc, &p| splitmix(acc ^ splitmix(p)))
}

pub(crate) fn rng_for(parts: &[u64]) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(hash(parts))
}

/// Standard normal draw (Box-Muller).
pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Mean-one lognormal factor with log-scale deviation `sigma`.
pub(crate) fn lognormal(rng: &mut ChaCha8Rng, sigma: f64) -> f64 {
    (sigma * normal(rng) - sigma * sigma / 2.0).exp()
}

pub(crate) fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

pub(crate) fn hex(rng: &mut ChaCha8Rng, n: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    (0..n)
        .map(|_| char::from(DIGITS[(rng.next_u32() & 15) as usize]))
        .collect()
}

pub(crate) fn uuid(rng: &mut ChaCha8Rng) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        hex(rng, 8),
        hex(rng, 4),
        hex(rng, 4),
        hex(rng, 4),
        hex(rng, 12)
    )
}

/// 52-character lowercase base32 string derived from a key, the shape of CUR
/// line item identifiers.
pub(crate) fn base32_id(parts: &[u64]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut words = [0u64; 5];
    let mut h = hash(parts);
    for w in &mut words {
        h = splitmix(h);
        *w = h;
    }
    let mut out = String::with_capacity(52);
    for i in 0..52 {
        let bit = i * 5;
        let v = (words[bit / 64] >> (bit % 64)) & 31;
        out.push(char::from(ALPHABET[v as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_stable() {
        let mut a = rng_for(&[1, 2, 3]);
        let mut b = rng_for(&[1, 2, 3]);
        assert_eq!(a.next_u64(), b.next_u64());
        assert_ne!(hash(&[1, 2]), hash(&[2, 1]));
        assert_eq!(base32_id(&[7]).len(), 52);
    }
}
