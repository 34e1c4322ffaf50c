//! Time-based one-time passwords (RFC 6238) for the console's second factor, and the recovery
//! codes that stand in for a lost phone.
//!
//! The parameters are the ones every authenticator app understands without being told:
//! HMAC-SHA1, 6 digits, 30-second steps. A code is accepted for the step before and after the
//! current one (phones drift), and never twice: the caller stores the last step accepted and
//! passes it back, so a code seen over someone's shoulder is worthless once used.

use aws_lc_rs::hmac;
use rand_core::{OsRng, RngCore};
use secrecy::{ExposeSecret, SecretBox};
use sha2::{Digest, Sha256};

pub const STEP_SECS: i64 = 30;
pub const DIGITS: usize = 6;
/// Steps either side of now that still count.
const DRIFT_STEPS: i64 = 1;
/// 160 bits, the key length RFC 4226 recommends for HMAC-SHA1.
const SECRET_BYTES: usize = 20;
/// How many recovery codes an enrolment hands out.
pub const RECOVERY_CODES: usize = 10;
/// Recovery codes use letters and digits nobody confuses when reading them off paper.
const RECOVERY_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// 16 characters of a 31-letter alphabet: about 79 bits each.
const RECOVERY_CHARS: usize = 16;

/// A TOTP key. It cannot be printed or logged by accident; [`TotpSecret::hex`] is for storage
/// and [`TotpSecret::base32`] for the person typing it into their app.
pub struct TotpSecret(SecretBox<Vec<u8>>);

impl TotpSecret {
    pub fn generate() -> TotpSecret {
        let mut bytes = vec![0u8; SECRET_BYTES];
        OsRng.fill_bytes(&mut bytes);
        TotpSecret(SecretBox::new(Box::new(bytes)))
    }

    /// The stored form, or `None` if the stored text is not one.
    pub fn from_hex(stored: &str) -> Option<TotpSecret> {
        hex::decode(stored)
            .ok()
            .filter(|bytes| !bytes.is_empty())
            .map(|bytes| TotpSecret(SecretBox::new(Box::new(bytes))))
    }

    pub fn hex(&self) -> String {
        hex::encode(self.0.expose_secret())
    }

    /// RFC 4648 base32 without padding: what authenticator apps take for manual entry.
    pub fn base32(&self) -> String {
        base32(self.0.expose_secret())
    }

    /// The `otpauth://` URI a QR code carries (the format Google Authenticator defined and
    /// every app reads). `account` is shown in the app under `issuer`.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let label = format!("{issuer}:{account}");
        format!(
            "otpauth://totp/{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
            percent(&label),
            self.base32(),
            percent(issuer)
        )
    }

    /// The code for time step `step` (Unix time / 30).
    pub fn code_at(&self, step: i64) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, self.0.expose_secret());
        let tag = hmac::sign(&key, &step.to_be_bytes());
        let mac = tag.as_ref();
        // RFC 4226 §5.3, dynamic truncation.
        let offset = usize::from(mac[mac.len() - 1] & 0x0f);
        let binary = u32::from_be_bytes([
            mac[offset] & 0x7f,
            mac[offset + 1],
            mac[offset + 2],
            mac[offset + 3],
        ]);
        format!(
            "{:0width$}",
            binary % 10u32.pow(DIGITS as u32),
            width = DIGITS
        )
    }

    /// The step at which `code` is valid near `now`, provided it is later than `last_step` (the
    /// last step this secret accepted). `None` for a wrong, stale or replayed code.
    pub fn verify(&self, code: &str, now: i64, last_step: Option<i64>) -> Option<i64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let current = now.div_euclid(STEP_SECS);
        // Every candidate is computed and compared, so the time taken says nothing about
        // which step (if any) matched.
        let mut matched = None;
        for step in current - DRIFT_STEPS..=current + DRIFT_STEPS {
            if constant_time_eq(self.code_at(step).as_bytes(), code.as_bytes())
                && last_step.is_none_or(|last| step > last)
                && matched.is_none()
            {
                matched = Some(step);
            }
        }
        matched
    }
}

/// The current time step, for tests and for showing a code's lifetime.
pub fn step_of(now: i64) -> i64 {
    now.div_euclid(STEP_SECS)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for the otpauth URI.
fn percent(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A fresh set of recovery codes, as the person sees them ("abcd-efgh-jkmn-pqrs").
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: Vec<char> = (0..RECOVERY_CHARS)
                .map(|_| {
                    // Rejection sampling keeps every letter equally likely.
                    loop {
                        let byte = (OsRng.next_u32() & 0xff) as usize;
                        if byte < 31 * 8 {
                            break char::from(RECOVERY_ALPHABET[byte % 31]);
                        }
                    }
                })
                .collect();
            chars
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// Whether `input` is shaped like a recovery code rather than a six-digit code.
pub fn looks_like_recovery_code(input: &str) -> bool {
    normalize_recovery_code(input).len() == RECOVERY_CHARS
}

/// What is stored for a recovery code: the SHA-256 of its letters, ignoring case, spaces and
/// dashes. The codes carry 79 random bits, so a fast hash is enough (as for session tokens).
pub fn hash_recovery_code(input: &str) -> String {
    hex::encode(Sha256::digest(normalize_recovery_code(input).as_bytes()))
}

fn normalize_recovery_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> TotpSecret {
        // The SHA-1 key of RFC 6238's appendix B.
        TotpSecret::from_hex(&hex::encode(b"12345678901234567890")).unwrap()
    }

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        // Appendix B gives 8 digits; a 6-digit code is their last six.
        let secret = rfc_secret();
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(secret.code_at(step_of(time)), eight[2..], "at {time}");
        }
    }

    #[test]
    fn a_code_counts_one_step_either_side_and_only_once() {
        let secret = rfc_secret();
        let now = 1_234_567_890;
        let code = secret.code_at(step_of(now));
        assert_eq!(secret.verify(&code, now, None), Some(step_of(now)));
        assert_eq!(secret.verify(&code, now + 30, None), Some(step_of(now)));
        assert_eq!(secret.verify(&code, now - 30, None), Some(step_of(now)));
        assert_eq!(secret.verify(&code, now + 60, None), None);
        // Once used, neither it nor an earlier code works again.
        assert_eq!(secret.verify(&code, now, Some(step_of(now))), None);
        let earlier = secret.code_at(step_of(now) - 1);
        assert_eq!(secret.verify(&earlier, now, Some(step_of(now))), None);
        assert_eq!(secret.verify("12345", now, None), None);
        assert_eq!(secret.verify("abcdef", now, None), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(secret.verify(&spaced, now, None), Some(step_of(now)));
    }

    #[test]
    fn secrets_are_160_bits_and_encode_as_base32() {
        let secret = TotpSecret::generate();
        assert_eq!(secret.hex().len(), 40);
        assert_eq!(secret.base32().len(), 32);
        assert_ne!(secret.hex(), TotpSecret::generate().hex());
        // RFC 4648 §10.
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
    }

    #[test]
    fn the_otpauth_uri_names_issuer_and_account() {
        let uri = rfc_secret().otpauth_uri("Tessera", "ada@example.com");
        assert_eq!(
            uri,
            "otpauth://totp/Tessera%3Aada%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Tessera&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn recovery_codes_are_distinct_readable_and_hashed_loosely() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        for code in &codes {
            assert_eq!(code.len(), 19);
            assert!(looks_like_recovery_code(code));
            assert!(!code.contains(['0', '1', 'l', 'o', 'i']));
        }
        let code = &codes[0];
        assert_eq!(
            hash_recovery_code(code),
            hash_recovery_code(&code.to_uppercase().replace('-', " "))
        );
        assert!(!looks_like_recovery_code("123456"));
    }
}
