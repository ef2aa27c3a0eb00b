/*!
Tiny deterministic pseudo-random number generators (no external crates).

* [`XorShift`] — an xorshift64* stream generator, used for fault injection,
  latency jitter and id suffixes.
* [`splitmix64`] — a counter-based mixer, used where random access into a
  pseudo-random byte stream is needed (generated video bodies, range requests).
*/

/// The splitmix64 finalizer: a bijective, well-mixing function of `z`.
pub(crate) fn splitmix64(z: u64) -> u64 {
    let mut z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// An xorshift64* generator; deterministic for a given seed.
#[derive(Clone, Debug)]
pub(crate) struct XorShift {
    state: u64,
}

impl XorShift {
    /// Creates a generator from any seed (0 included).
    pub(crate) fn new(seed: u64) -> XorShift {
        let s = splitmix64(seed);
        XorShift {
            state: if s == 0 { 0x1234_5678_9ABC_DEF1 } else { s },
        }
    }

    /// The next 64 pseudo-random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A uniform float in `[0, 1)`.
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A value in `[0, n)` (0 when `n == 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// `len` lowercase alphanumeric characters.
    pub(crate) fn alnum(&mut self, len: usize) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| CHARS[self.below(CHARS.len() as u64) as usize] as char)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_in_range() {
        let mut a = XorShift::new(7);
        let mut b = XorShift::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
            let f = a.next_f64();
            assert!((0.0..1.0).contains(&f));
            b.next_f64();
            assert!(a.below(10) < 10);
            b.below(10);
        }
        assert_eq!(XorShift::new(0).alnum(12).len(), 12);
    }
}
