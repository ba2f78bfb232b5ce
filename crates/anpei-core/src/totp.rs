//! Time-based one-time passwords for the second factor of 等保 2.0 level 3:
//! HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA1, 30-second steps and 6 digits, as every
//! authenticator app computes them; the base32 (RFC 4648) form of the secret and the
//! `otpauth://` URI an app scans; and single-use recovery codes.
//!
//! Pure functions, no I/O: the caller passes the time and the random number generator, keeps
//! the secret (encrypted) and the last time step used, and hashes the recovery codes.

use hmac::{Hmac, Mac};
use rand::{Rng, RngCore};
use sha1::Sha1;
use std::fmt::Write as _;

/// Length of a time step, in seconds.
pub const PERIOD: u64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Time steps accepted either side of the current one, for clock drift and typing time.
pub const WINDOW: u64 = 1;
/// Bytes of a generated secret (160 bits, the HMAC-SHA1 block RFC 4226 recommends).
pub const SECRET_LEN: usize = 20;
/// The issuer an authenticator app shows above the code.
pub const ISSUER: &str = "安培";
/// Recovery codes given to a user at a time.
pub const RECOVERY_CODES: usize = 10;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Characters of a recovery code: lower-case letters and digits without `0 o 1 l i`, which
/// are easily confused when read from paper.
const RECOVERY_ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";

/// Base32 (RFC 4648) in upper case without padding, as authenticator apps expect a secret.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buf = 0u32;
    let mut bits = 0u32;
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buf >> bits) & 31) as usize] as char);
        }
        buf &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(BASE32[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decodes base32 (RFC 4648), tolerating lower case, spaces, dashes and `=` padding as people
/// copy a secret by hand. Trailing bits that do not make a whole byte are dropped. `None` if
/// any other character appears.
pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let mut buf = 0u32;
    let mut bits = 0u32;
    for c in s.chars() {
        if c.is_whitespace() || c == '=' || c == '-' {
            continue;
        }
        let c = c.to_ascii_uppercase();
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            '2'..='7' => c as u32 - '2' as u32 + 26,
            _ => return None,
        };
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The HOTP value (RFC 4226) of `counter`: `digits` decimal digits, zero-padded. `digits`
/// is at most 10 (more would only repeat leading zeros).
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    // Dynamic truncation (RFC 4226 §5.3).
    let offset = usize::from(h[19] & 0x0f);
    let binary =
        u32::from_be_bytes([h[offset], h[offset + 1], h[offset + 2], h[offset + 3]]) & 0x7fff_ffff;
    let digits = digits.clamp(1, 10);
    let code = u64::from(binary) % 10u64.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// The time step of `unix_time` (seconds since 1970), with steps of `period` seconds.
pub fn time_step(unix_time: u64, period: u64) -> u64 {
    unix_time / period.max(1)
}

/// The TOTP code (RFC 6238) at `unix_time` with the parameters of authenticator apps:
/// [`PERIOD`] seconds, [`DIGITS`] digits.
pub fn totp(secret: &[u8], unix_time: u64) -> String {
    totp_with(secret, unix_time, PERIOD, DIGITS)
}

/// The TOTP code at `unix_time` with steps of `period` seconds and `digits` digits.
pub fn totp_with(secret: &[u8], unix_time: u64, period: u64, digits: u32) -> String {
    hotp(secret, time_step(unix_time, period), digits)
}

/// Checks a code typed by a user at `unix_time` against the steps within `window` of the
/// current one ([`WINDOW`] is the usual value). Returns the matched time step, which the
/// caller stores and refuses next time (see [`verify_after`]) so that an observed code
/// cannot be replayed. Spaces and dashes in `code` are ignored (`123 456`); anything but
/// [`DIGITS`] digits is refused. The digits are compared in constant time, and every step
/// in the window is computed whichever matches.
pub fn verify(secret: &[u8], code: &str, unix_time: u64, window: u64) -> Option<u64> {
    verify_after(secret, code, unix_time, window, None)
}

/// As [`verify`], but only steps after `last_used` (the step a previous code of this user
/// matched) can match: a code is accepted once.
pub fn verify_after(
    secret: &[u8],
    code: &str,
    unix_time: u64,
    window: u64,
    last_used: Option<u64>,
) -> Option<u64> {
    let typed: Vec<u8> = code.bytes().filter(|b| !matches!(b, b' ' | b'-')).collect();
    if typed.len() != DIGITS as usize || !typed.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let now = time_step(unix_time, PERIOD);
    let first = now.saturating_sub(window);
    let last = now.saturating_add(window);
    let mut matched = None;
    for step in first..=last {
        let expected = hotp(secret, step, DIGITS);
        let fresh = last_used.is_none_or(|used| step > used);
        // No early exit: the comparison and the loop take the same time whatever matches.
        // Of two matching steps (a one-in-a-million coincidence) the later wins, which only
        // makes the replay check stricter.
        if constant_time_eq(expected.as_bytes(), &typed) & fresh {
            matched = Some(step);
        }
    }
    matched
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `otpauth://totp/…` URI that an authenticator app scans (as a QR code, see
/// [`crate::qr`]) or takes as a link, for user `label` (the username) of issuer [`ISSUER`]:
/// `otpauth://totp/%E5%AE%89%E5%9F%B9:zhangsan?secret=…&issuer=%E5%AE%89%E5%9F%B9&algorithm=SHA1&digits=6&period=30`.
pub fn otpauth_uri(secret: &[u8], label: &str) -> String {
    let issuer = percent_encode(ISSUER);
    format!(
        "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={PERIOD}",
        percent_encode(label),
        base32_encode(secret),
    )
}

/// Percent-encodes the UTF-8 bytes of `s`, keeping only the unreserved characters of
/// RFC 3986 (`A–Z a–z 0–9 - . _ ~`).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A new secret of [`SECRET_LEN`] random bytes. Pass a cryptographic generator
/// (`rand::rngs::OsRng` or `rand::thread_rng()`).
pub fn generate_secret(rng: &mut impl RngCore) -> [u8; SECRET_LEN] {
    let mut secret = [0u8; SECRET_LEN];
    rng.fill_bytes(&mut secret);
    secret
}

/// `n` single-use recovery codes such as `k7m2-9xqp`: eight characters of an alphabet without
/// look-alikes (about 40 bits each), shown once to the user. Store them hashed, compared
/// after [`normalize_recovery_code`].
pub fn generate_recovery_codes(rng: &mut impl RngCore, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let mut code = String::with_capacity(9);
            for i in 0..8 {
                if i == 4 {
                    code.push('-');
                }
                let k = rng.gen_range(0..RECOVERY_ALPHABET.len());
                code.push(RECOVERY_ALPHABET[k] as char);
            }
            code
        })
        .collect()
}

/// A recovery code as typed (`K7M2 9XQP`, `k7m29xqp`, `ｋ７ｍ２－９ｘｑｐ`) in the one form
/// to hash and compare: lower case, without spaces or dashes, `k7m29xqp`.
pub fn normalize_recovery_code(typed: &str) -> String {
    typed
        .chars()
        .map(|c| match c {
            // Full-width forms, as a Chinese input method may type them.
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '\u{2010}'..='\u{2015}'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// The secret of RFC 4226 Appendix D and RFC 6238 Appendix B (HMAC-SHA1).
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn hotp_gives_the_values_of_rfc_4226_appendix_d() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, want) in expected.iter().enumerate() {
            assert_eq!(
                hotp(RFC_SECRET, counter as u64, 6),
                *want,
                "counter {counter}"
            );
        }
    }

    #[test]
    fn totp_gives_the_sha1_values_of_rfc_6238_appendix_b() {
        let expected = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (time, want) in expected {
            assert_eq!(totp_with(RFC_SECRET, time, 30, 8), want, "time {time}");
            // Six digits are the last six of eight.
            assert_eq!(totp(RFC_SECRET, time), want[2..], "time {time}");
        }
    }

    #[test]
    fn base32_matches_rfc_4648_and_tolerates_what_people_type() {
        assert_eq!(base32_encode(b""), "");
        assert_eq!(base32_encode(b"f"), "MY");
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(
            base32_encode(RFC_SECRET),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        assert_eq!(base32_decode("MZXW6YTBOI======").unwrap(), b"foobar");
        assert_eq!(base32_decode("mzxw 6ytb oi").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZXW-6YTB-OI").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZXW1YTBOI"), None);
        assert_eq!(base32_decode("MZXW0YTBOI"), None);
        assert_eq!(base32_decode("密钥"), None);
    }

    #[test]
    fn verify_accepts_one_step_either_side_and_no_more() {
        let code = totp(RFC_SECRET, 30); // step 1: 30..=59
        assert_eq!(verify(RFC_SECRET, &code, 30, WINDOW), Some(1));
        assert_eq!(verify(RFC_SECRET, &code, 59, WINDOW), Some(1));
        // Late by one step, up to its last second.
        assert_eq!(verify(RFC_SECRET, &code, 60, WINDOW), Some(1));
        assert_eq!(verify(RFC_SECRET, &code, 89, WINDOW), Some(1));
        assert_eq!(verify(RFC_SECRET, &code, 90, WINDOW), None);
        // Early by one step (the phone's clock ahead).
        assert_eq!(verify(RFC_SECRET, &code, 0, WINDOW), Some(1));
        assert_eq!(verify(RFC_SECRET, &code, 29, WINDOW), Some(1));
        // Without a window, only the step itself.
        assert_eq!(verify(RFC_SECRET, &code, 29, 0), None);
        assert_eq!(verify(RFC_SECRET, &code, 60, 0), None);
        assert_eq!(verify(RFC_SECRET, &code, 45, 0), Some(1));
    }

    #[test]
    fn verify_at_the_epoch_does_not_underflow() {
        let code = totp(RFC_SECRET, 0);
        assert_eq!(verify(RFC_SECRET, &code, 0, 5), Some(0));
        assert_eq!(verify(RFC_SECRET, &code, u64::MAX, 1), None);
    }

    #[test]
    fn verify_after_refuses_a_replayed_step() {
        let t = 1_700_000_000;
        let code = totp(RFC_SECRET, t);
        let step = verify(RFC_SECRET, &code, t, WINDOW).unwrap();
        assert_eq!(step, t / 30);
        // The same code again, in the same step or the next one: refused.
        assert_eq!(verify_after(RFC_SECRET, &code, t, WINDOW, Some(step)), None);
        assert_eq!(
            verify_after(RFC_SECRET, &code, t + 30, WINDOW, Some(step)),
            None
        );
        // The next step's code is fresh.
        let next = totp(RFC_SECRET, t + 30);
        assert_eq!(
            verify_after(RFC_SECRET, &next, t + 30, WINDOW, Some(step)),
            Some(step + 1)
        );
        // A code of the step before the last used one, though within the window: refused.
        let before = totp(RFC_SECRET, t - 30);
        assert_eq!(
            verify_after(RFC_SECRET, &before, t, WINDOW, Some(step)),
            None
        );
        assert_eq!(
            verify_after(RFC_SECRET, &before, t, WINDOW, Some(step - 2)),
            Some(step - 1)
        );
    }

    #[test]
    fn verify_takes_spaces_and_refuses_anything_but_six_digits() {
        let t = 1_111_111_111;
        let code = totp(RFC_SECRET, t); // 050471
        assert_eq!(code, "050471");
        let step = Some(t / 30);
        assert_eq!(verify(RFC_SECRET, "050 471", t, 1), step);
        assert_eq!(verify(RFC_SECRET, "050-471", t, 1), step);
        assert_eq!(verify(RFC_SECRET, "50471", t, 1), None);
        assert_eq!(verify(RFC_SECRET, "0504710", t, 1), None);
        assert_eq!(verify(RFC_SECRET, "14050471", t, 1), None);
        assert_eq!(verify(RFC_SECRET, "０５０４７１", t, 1), None);
        assert_eq!(verify(RFC_SECRET, "", t, 1), None);
        assert_eq!(verify(b"another secret", &code, t, 1), None);
    }

    #[test]
    fn the_otpauth_uri_percent_encodes_issuer_and_label() {
        assert_eq!(
            otpauth_uri(RFC_SECRET, "zhang.san"),
            "otpauth://totp/%E5%AE%89%E5%9F%B9:zhang.san?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=%E5%AE%89%E5%9F%B9&algorithm=SHA1&digits=6&period=30"
        );
        let uri = otpauth_uri(RFC_SECRET, "张三 a:b&c?d");
        assert!(uri
            .starts_with("otpauth://totp/%E5%AE%89%E5%9F%B9:%E5%BC%A0%E4%B8%89%20a%3Ab%26c%3Fd?"));
    }

    #[test]
    fn secrets_are_twenty_random_bytes() {
        let mut rng = StdRng::seed_from_u64(7);
        let a = generate_secret(&mut rng);
        let b = generate_secret(&mut rng);
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
        assert_eq!(base32_encode(&a).len(), 32);
    }

    #[test]
    fn recovery_codes_are_distinct_unambiguous_and_normalise() {
        let mut rng = StdRng::seed_from_u64(42);
        let codes = generate_recovery_codes(&mut rng, RECOVERY_CODES);
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        for code in &codes {
            assert_eq!(code.len(), 9);
            assert_eq!(&code[4..5], "-");
            assert!(code
                .bytes()
                .filter(|&b| b != b'-')
                .all(|b| RECOVERY_ALPHABET.contains(&b)));
            assert!(!code.contains(['0', 'o', '1', 'l', 'i']));
            let plain = code.replace('-', "");
            assert_eq!(normalize_recovery_code(code), plain);
            assert_eq!(normalize_recovery_code(&code.to_uppercase()), plain);
            let spaced = format!(" {} {} ", &code[..4], &code[5..]);
            assert_eq!(normalize_recovery_code(&spaced), plain);
        }
        assert_eq!(normalize_recovery_code("ｋ７ｍ２－９ｘｑｐ"), "k7m29xqp");
    }

    proptest! {
        #[test]
        fn base32_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let encoded = base32_encode(&bytes);
            prop_assert_eq!(encoded.len(), (bytes.len() * 8).div_ceil(5));
            prop_assert!(encoded.bytes().all(|b| BASE32.contains(&b)));
            prop_assert_eq!(base32_decode(&encoded), Some(bytes.clone()));
            prop_assert_eq!(base32_decode(&encoded.to_lowercase()), Some(bytes));
        }

        #[test]
        fn base32_decode_never_panics(s in "\\PC{0,40}") {
            let _ = base32_decode(&s);
        }

        #[test]
        fn a_code_verifies_within_the_window_at_any_time(
            secret in proptest::collection::vec(any::<u8>(), 1..40),
            t in 60u64..4_000_000_000,
            drift in -30i64..=30,
        ) {
            let code = totp(&secret, t);
            let now = t.checked_add_signed(drift).unwrap();
            let step = verify(&secret, &code, now, WINDOW);
            // Within 30 s the step differs by at most one: always accepted, as this step
            // (or, by coincidence, a neighbouring one with the same code).
            prop_assert!(step.is_some());
            prop_assert!(step.unwrap().abs_diff(t / 30) <= 1);
        }
    }
}
