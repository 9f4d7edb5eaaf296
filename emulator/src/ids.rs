//! Seedable id generation. 1Password ids are 26-character base32 strings: users upper-case
//! (`[A-Z2-7]{26}`), groups lower-case, event and integration uuids upper-case.
//!
//! The generator is a SplitMix64 stream: tiny, fast, and reproducible for a given seed, which is
//! all that ids and seeded fault probabilities need (nothing here is security-sensitive).

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A reproducible stream of ids and random numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdGenerator {
    state: u64,
}

impl IdGenerator {
    /// A generator whose output is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        IdGenerator { state: seed }
    }

    /// A generator for one named stream under a seed (e.g. one per tenant), so tenants created in
    /// any order get the same ids for the same seed and name.
    pub fn for_stream(seed: u64, name: &str) -> Self {
        // FNV-1a of the name, mixed with the seed.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        IdGenerator::new(seed ^ h.rotate_left(17))
    }

    /// Where the stream is: with [`IdGenerator::new`] it continues exactly from here. Saved
    /// with a tenant so ids are never drawn twice across restarts.
    pub fn position(&self) -> u64 {
        self.state
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A 26-character upper-case base32 id (users, events, integrations, accounts).
    pub fn upper_id(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        // 130 bits are needed; take 64 from `a` and 66 (wrapping) from `b`.
        let mut out = String::with_capacity(26);
        let bits = (u128::from(a) << 64) | u128::from(b);
        for i in 0..26 {
            let shift = 125usize.saturating_sub(i * 5);
            let idx = ((bits >> shift) & 0x1f) as usize;
            out.push(ALPHABET[idx] as char);
        }
        out
    }

    /// A 26-character lower-case base32 id (groups).
    pub fn lower_id(&mut self) -> String {
        self.upper_id().to_ascii_lowercase()
    }

    /// An RFC 4122 version-4 UUID (lower-case, hyphenated) from the stream's next 128 bits, so
    /// it is as reproducible as the base32 ids.
    pub fn uuid(&mut self) -> String {
        let bits = (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64());
        uuid::Builder::from_random_bytes(bits.to_be_bytes()).into_uuid().to_string()
    }
}

/// Is `s` a 26-char base32 id of either case?
pub fn is_base32_id(s: &str) -> bool {
    s.len() == 26
        && s.bytes()
            .all(|b| b.to_ascii_uppercase().is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_1password_shape() {
        let mut g = IdGenerator::new(1);
        let u = g.upper_id();
        assert_eq!(u.len(), 26);
        assert!(u.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)), "{u}");
        let l = g.lower_id();
        assert!(l.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)), "{l}");
        assert!(is_base32_id(&u) && is_base32_id(&l));
        assert!(!is_base32_id("short") && !is_base32_id(&"1".repeat(26)));
    }

    #[test]
    fn same_seed_same_ids_different_seed_different_ids() {
        let a: Vec<_> = (0..5)
            .map({
                let mut g = IdGenerator::new(7);
                move |_| g.upper_id()
            })
            .collect();
        let b: Vec<_> = (0..5)
            .map({
                let mut g = IdGenerator::new(7);
                move |_| g.upper_id()
            })
            .collect();
        let c: Vec<_> = (0..5)
            .map({
                let mut g = IdGenerator::new(8);
                move |_| g.upper_id()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(IdGenerator::for_stream(1, "t1"), IdGenerator::for_stream(1, "t1"));
        assert_ne!(IdGenerator::for_stream(1, "t1"), IdGenerator::for_stream(1, "t2"));
    }

    #[test]
    fn uuids_are_version_4_and_reproducible() {
        let (mut a, mut b) = (IdGenerator::new(5), IdGenerator::new(5));
        let u = a.uuid();
        assert_eq!(u, b.uuid());
        assert_ne!(u, a.uuid());
        let parsed = uuid::Uuid::parse_str(&u).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(parsed.to_string(), u);
    }

    #[test]
    fn floats_are_in_unit_interval() {
        let mut g = IdGenerator::new(3);
        assert!((0..1000).map(|_| g.next_f64()).all(|f| (0.0..1.0).contains(&f)));
    }
}
