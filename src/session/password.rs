//! Session passwords (`ZooKeeperServer.generatePasswd`), made with an exact
//! copy of `java.util.Random` so that a session created on a Java server can
//! reconnect to rzk and the other way round.

/// The constant Java xors into the session id to seed the generator
/// (`ZooKeeperServer.superSecret`).
pub const PASSWORD_SECRET: i64 = 0xB341_5C00;

/// The length of a session password in bytes.
pub const PASSWORD_LEN: usize = 16;

const MULTIPLIER: i64 = 0x5_DEEC_E66D;
const ADDEND: i64 = 0xB;
const MASK: i64 = (1 << 48) - 1;

/// `java.util.Random`: the 48-bit linear congruential generator specified in
/// its Javadoc. Only the parts ZooKeeper uses are here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JavaRandom {
    state: i64,
}

impl JavaRandom {
    /// `new Random(seed)`. Only the low 48 bits of the seed matter.
    pub fn new(seed: i64) -> Self {
        JavaRandom {
            state: (seed ^ MULTIPLIER) & MASK,
        }
    }

    /// `next(bits)`: advances the state and returns its top `bits` bits
    /// (1 ≤ bits ≤ 32; other values are clamped to that range).
    pub fn next_bits(&mut self, bits: u32) -> i32 {
        let bits = bits.clamp(1, 32);
        self.state = self.state.wrapping_mul(MULTIPLIER).wrapping_add(ADDEND) & MASK;
        (self.state >> (48 - bits)) as i32
    }

    /// `nextInt()`.
    pub fn next_int(&mut self) -> i32 {
        self.next_bits(32)
    }

    /// `nextBytes(bytes)`: one `nextInt()` per four bytes, each int's bytes
    /// least-significant first; the last int is only partly used.
    pub fn next_bytes(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(4) {
            let value = self.next_int().to_le_bytes();
            chunk.copy_from_slice(&value[..chunk.len()]);
        }
    }
}

/// The password of a session: `new Random(id ^ 0xB3415C00).nextBytes(16)`.
///
/// `java.util.Random` keeps only the low 48 bits of its seed, so ids that
/// differ only in their top 16 bits (e.g. the same counter on two servers)
/// have the same password.
pub fn generate_password(session_id: i64) -> [u8; PASSWORD_LEN] {
    let mut password = [0u8; PASSWORD_LEN];
    JavaRandom::new(session_id ^ PASSWORD_SECRET).next_bytes(&mut password);
    password
}

/// `ZooKeeperServer.checkPasswd`: false for session id 0, otherwise whether
/// `password` is exactly the session's password (length included).
pub fn check_password(session_id: i64, password: &[u8]) -> bool {
    session_id != 0 && password == generate_password(session_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `new Random(seed).nextBytes(new byte[16])` printed by OpenJDK 17.
    const JAVA_RANDOM_BYTES: &[(i64, &str)] = &[
        (0, "60b420bb3851d9d47acb933dbe70399b"),
        (1, "73d51abbd89cb8196f0efb6892f94d68"),
        (-1, "b36cd944c3228770172024039eff4b8c"),
        (0xB3415C00, "f22acd4a97e69d6d20a49bb638eadb38"),
        (42, "359d41baf78afe0de1bbe7ae28c0450c"),
        (i64::MIN, "60b420bb3851d9d47acb933dbe70399b"),
        (i64::MAX, "b36cd944c3228770172024039eff4b8c"),
        (0x10000153fd20000, "4a5d7ee3da7834ce743757543006e935"),
    ];

    /// `ZooKeeperServer.generatePasswd(id)` of the 3.9.5 jar, called by
    /// reflection on a `new ZooKeeperServer()`.
    const JAVA_PASSWORDS: &[(i64, &str)] = &[
        (0, "f22acd4a97e69d6d20a49bb638eadb38"),
        (1, "054cc74a37327db215e702e20c73f005"),
        (0x10000153fd20000, "5c449d26b9f4c5559a34b40f2a0a9736"),
        (0x0100000000000001, "054cc74a37327db215e702e20c73f005"),
        (-1, "20f62cb5648dc2d771471c8a2486a9ee"),
        (0x7f00000000000000, "f22acd4a97e69d6d20a49bb638eadb38"),
        (i64::MIN, "f22acd4a97e69d6d20a49bb638eadb38"),
    ];

    #[test]
    fn random_matches_java() {
        for &(seed, want) in JAVA_RANDOM_BYTES {
            let mut bytes = [0u8; 16];
            JavaRandom::new(seed).next_bytes(&mut bytes);
            assert_eq!(hex(&bytes), want, "seed {seed}");
        }
        // A length that is not a multiple of four uses part of the last int.
        let mut seven = [0u8; 7];
        JavaRandom::new(5).next_bytes(&mut seven);
        assert_eq!(hex(&seven), "bf5903bb58cb35");
    }

    #[test]
    fn passwords_match_java() {
        for &(id, want) in JAVA_PASSWORDS {
            assert_eq!(hex(&generate_password(id)), want, "id {id:#x}");
        }
    }

    #[test]
    fn check_password_rules() {
        let id = 0x10000153fd20000;
        assert!(check_password(id, &generate_password(id)));
        assert!(!check_password(id, &generate_password(id)[..15]));
        assert!(!check_password(id, &[]));
        let mut wrong = generate_password(id);
        wrong[3] ^= 1;
        assert!(!check_password(id, &wrong));
        // Session 0 never checks, even with its "password" (Java agrees).
        assert!(!check_password(0, &generate_password(0)));
        // Only the low 48 bits of the id matter.
        assert!(check_password(0x0200000000000001, &generate_password(1)));
    }

    proptest! {
        #[test]
        fn password_is_a_function_of_the_low_48_bits(id in any::<i64>(), top in any::<u16>()) {
            let other = (id & MASK) | ((top as i64) << 48);
            prop_assert_eq!(generate_password(id), generate_password(other));
        }

        #[test]
        fn next_bytes_is_next_int_little_endian(seed in any::<i64>(), len in 0usize..40) {
            let mut bytes = vec![0u8; len];
            JavaRandom::new(seed).next_bytes(&mut bytes);
            let mut ints = JavaRandom::new(seed);
            let expected: Vec<u8> = (0..len.div_ceil(4))
                .flat_map(|_| ints.next_int().to_le_bytes())
                .take(len)
                .collect();
            prop_assert_eq!(bytes, expected);
        }
    }
}
