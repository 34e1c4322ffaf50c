//! The HTTP server: configuration, shared state, middleware and the router.

pub mod context;
pub mod metrics;
pub mod middleware;
pub mod router;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use secrecy::SecretString;

use crate::storage::Db;

/// What an operator configures. Built by the CLI from flags and environment variables.
#[derive(Clone, Debug)]
pub struct Config {
    /// The URL people and applications reach Tessera at, e.g. `https://id.example.com`.
    pub public_url: String,
    /// A console session ends after this many seconds without a request…
    pub session_idle_secs: i64,
    /// …and after this many seconds in any case.
    pub session_absolute_secs: i64,
    /// How long an access token (and an ID token) is valid.
    pub access_token_secs: i64,
    /// An application session ends after this many seconds without a refresh…
    pub refresh_idle_secs: i64,
    /// …and after this many seconds in any case.
    pub refresh_absolute_secs: i64,
    /// The active signing key is replaced after this many seconds.
    pub key_rotation_secs: i64,
    /// Console write scopes count only in sessions whose sign-in passed a second factor.
    pub require_second_factor: bool,
    /// The bearer token `/metrics` asks for, if any.
    pub metrics_token: Option<SecretString>,
    /// Load balancers whose `X-Forwarded-For` names the real client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Config {
    pub fn new(public_url: &str) -> Config {
        Config {
            public_url: public_url.trim_end_matches('/').to_string(),
            session_idle_secs: 60 * 60,
            session_absolute_secs: 12 * 60 * 60,
            access_token_secs: 5 * 60,
            refresh_idle_secs: 24 * 60 * 60,
            refresh_absolute_secs: 14 * 24 * 60 * 60,
            key_rotation_secs: 30 * 24 * 60 * 60,
            require_second_factor: false,
            metrics_token: None,
            trusted_proxies: Vec::new(),
        }
    }

    /// The `iss` of every token: the public URL itself.
    pub fn issuer(&self) -> &str {
        &self.public_url
    }

    /// The issuer an authenticator app shows beside a person's codes: the product and the host,
    /// so that two Tessera deployments are told apart.
    pub fn totp_issuer(&self) -> String {
        let origin = self.public_origin();
        let host = origin.split_once("://").map_or(origin, |(_, host)| host);
        format!("Tessera ({host})")
    }

    /// The audience that names Tessera's own API in access tokens.
    pub fn api_audience(&self) -> String {
        format!("{}/api", self.public_url)
    }

    /// How long a retired signing key stays published: past the expiry of the last token it
    /// signed, plus the minute another instance may still sign with it before it re-reads keys.
    pub fn key_overlap_secs(&self) -> i64 {
        self.access_token_secs + 2 * 60
    }

    /// Under https the session cookie is `Secure` and carries the `__Host-` prefix, which the
    /// browser accepts only from a secure origin, for the whole host, without a Domain.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn session_cookie_name(&self) -> &'static str {
        if self.secure_cookies() {
            "__Host-tessera_session"
        } else {
            "tessera_session"
        }
    }

    /// The cookie that carries a sign-in from the password to the second factor.
    pub fn challenge_cookie_name(&self) -> &'static str {
        if self.secure_cookies() {
            "__Host-tessera_sign_in"
        } else {
            "tessera_sign_in"
        }
    }

    /// `scheme://host[:port]` of the public URL, for comparing with an `Origin` header.
    pub fn public_origin(&self) -> &str {
        let after_scheme = self.public_url.find("://").map(|i| i + 3).unwrap_or(0);
        match self.public_url[after_scheme..].find('/') {
            Some(slash) => &self.public_url[..after_scheme + slash],
            None => &self.public_url,
        }
    }
}

/// The time source. Production reads the system clock; tests pin and move it, so expiry and
/// session lifetimes can be tested without waiting.
#[derive(Clone, Debug, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    pub fn system() -> Clock {
        Clock(None)
    }

    pub fn fixed(unix_seconds: i64) -> Clock {
        Clock(Some(Arc::new(AtomicI64::new(unix_seconds))))
    }

    /// Moves a fixed clock forward; does nothing to the system clock.
    pub fn advance(&self, seconds: i64) {
        if let Some(t) = &self.0 {
            t.fetch_add(seconds, Ordering::SeqCst);
        }
    }

    pub fn now(&self) -> i64 {
        match &self.0 {
            Some(t) => t.load(Ordering::SeqCst),
            None => time::OffsetDateTime::now_utc().unix_timestamp(),
        }
    }
}

/// Everything a request handler or server function needs, shared by all requests.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// An Argon2id hash of a random password, verified against when the username is unknown so
    /// that an unknown user costs the same time as a wrong password.
    pub dummy_hash: Arc<String>,
    /// The token signing keys, shared with every other instance through the database.
    pub keys: Arc<crate::oauth::keys::KeyRing>,
}

impl AppState {
    pub async fn new(
        leptos_options: LeptosOptions,
        db: Db,
        config: Config,
        clock: Clock,
    ) -> crate::error::AppResult<AppState> {
        let dummy_hash = crate::auth::password::dummy_hash().await?;
        let keys = crate::oauth::keys::KeyRing::open(&db, clock.now()).await?;
        Ok(AppState {
            keys: Arc::new(keys),
            leptos_options,
            db,
            config: Arc::new(config),
            clock,
            dummy_hash: Arc::new(dummy_hash),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_origin_drops_any_path() {
        assert_eq!(
            Config::new("https://id.example.com/tessera/").public_origin(),
            "https://id.example.com"
        );
        assert_eq!(
            Config::new("http://127.0.0.1:3000").public_origin(),
            "http://127.0.0.1:3000"
        );
    }

    #[test]
    fn cookies_are_host_prefixed_and_secure_only_under_https() {
        assert_eq!(
            Config::new("https://id.example.com").session_cookie_name(),
            "__Host-tessera_session"
        );
        assert_eq!(
            Config::new("http://127.0.0.1:3000").session_cookie_name(),
            "tessera_session"
        );
    }

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let clock = Clock::fixed(1_000);
        clock.advance(60);
        assert_eq!(clock.now(), 1_060);
    }
}
