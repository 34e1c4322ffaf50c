//! Password hashing: Argon2id at OWASP's recommended parameters, always on the blocking pool so a
//! sign-in never stalls the async workers.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand_core::OsRng;
use secrecy::{ExposeSecret, SecretString};

use crate::error::{AppError, AppResult};

/// Shortest password accepted. Length is what makes a password strong; there are no composition
/// rules, and nothing is truncated.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted; long enough for any passphrase or generated secret.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Passwords that lead the breach lists, lowercased: refused outright. Only those of at least
/// [`MIN_PASSWORD_CHARS`] matter, as shorter ones are refused anyway.
const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");
/// Guessed first by anyone attacking this product in particular.
const PRODUCT_PASSWORDS: &[&str] = &["tessera1", "tessera123", "tessera2026", "administrator"];

fn is_common(password: &str) -> bool {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    let set = SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .chain(PRODUCT_PASSWORDS.iter().copied())
            .collect()
    });
    set.contains(password.to_lowercase().as_str())
}

/// OWASP's Argon2id recommendation: 19 MiB of memory, 2 iterations, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks a new password against the policy, in words a person can act on.
pub fn check_policy(password: &str) -> AppResult<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(format!(
            "The password is too short: use at least {MIN_PASSWORD_CHARS} characters."
        )));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(AppError::invalid(format!(
            "The password is too long: use at most {MAX_PASSWORD_CHARS} characters."
        )));
    }
    if is_common(password) {
        return Err(AppError::invalid(
            "This password is one of the most common ones and would be guessed quickly. Choose another.",
        ));
    }
    Ok(())
}

/// Argon2id runs on at most one thread per core. Each run holds 19 MiB; a burst of sign-ins
/// would otherwise start as many runs as the blocking pool has threads, costing memory the
/// machine may not have and making every one of them slower than waiting in line.
async fn one_per_core() -> tokio::sync::SemaphorePermit<'static> {
    static CORES: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let cores = CORES.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    // The semaphore is never closed, so acquiring cannot fail.
    cores
        .acquire()
        .await
        .expect("the Argon2id semaphore is never closed")
}

/// Hashes a password (PHC string format, random salt).
pub async fn hash(password: SecretString) -> AppResult<String> {
    let _core = one_per_core().await;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing task failed");
        AppError::internal()
    })?
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::internal()
    })
}

/// Verifies `password` against `stored`. When there is no stored hash (unknown user, or a user
/// without a password) it verifies against `dummy` and answers false, so every failure costs
/// the same time as a wrong password.
pub async fn verify(password: SecretString, stored: Option<String>, dummy: &str) -> bool {
    let (hash, real) = match stored {
        Some(hash) => (hash, true),
        None => (dummy.to_string(), false),
    };
    let _core = one_per_core().await;
    let verified = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                argon2()
                    .verify_password(password.expose_secret().as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    verified && real
}

/// A hash of a random password nobody knows, for [`verify`]'s unknown-user path.
pub async fn dummy_hash() -> AppResult<String> {
    let random = crate::auth::session::random_token();
    hash(SecretString::from(random)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_wants_length_not_composition() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("correct horse battery staple").is_ok());
        assert!(check_policy("zq7vkw3m").is_ok());
        assert!(check_policy(&"x".repeat(MAX_PASSWORD_CHARS)).is_ok());
        assert!(check_policy(&"x".repeat(MAX_PASSWORD_CHARS + 1)).is_err());
        assert!(check_policy("Password123").is_err());
    }

    #[test]
    fn thousands_of_common_passwords_are_refused_whatever_their_case() {
        for common in ["starwars", "1qaz2wsx", "TrustNo1", "Sunshine", "tessera123"] {
            let refused = check_policy(common).unwrap_err();
            assert!(refused.message.contains("most common"), "{common}");
        }
        let listed = COMMON_PASSWORDS
            .lines()
            .filter(|l| !l.starts_with('#'))
            .count();
        assert!(listed > 10_000, "{listed}");
        // Every entry is long enough to matter: shorter ones fail on length already.
        assert!(COMMON_PASSWORDS
            .lines()
            .filter(|l| !l.starts_with('#'))
            .all(|l| l.chars().count() >= MIN_PASSWORD_CHARS));
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hashed = hash(SecretString::from("correct horse battery staple"))
            .await
            .unwrap();
        assert!(hashed.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let dummy = dummy_hash().await.unwrap();
        assert!(
            verify(
                "correct horse battery staple".into(),
                Some(hashed.clone()),
                &dummy
            )
            .await
        );
        assert!(!verify("correct horse battery stapl".into(), Some(hashed), &dummy).await);
        // No stored hash: even the dummy's own password does not sign anyone in.
        assert!(!verify("anything".into(), None, &dummy).await);
    }

    #[tokio::test]
    async fn long_passwords_are_not_truncated() {
        let long = "p".repeat(200);
        let hashed = hash(SecretString::from(long.clone())).await.unwrap();
        let dummy = dummy_hash().await.unwrap();
        let mut almost = long.clone();
        almost.pop();
        almost.push('q');
        assert!(verify(long.into(), Some(hashed.clone()), &dummy).await);
        assert!(!verify(almost.into(), Some(hashed), &dummy).await);
    }
}
