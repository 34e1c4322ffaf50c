//! Console sessions. The browser holds a random 256-bit token in an HttpOnly cookie; the database
//! holds only its SHA-256, so a copy of the database cannot be replayed as a session.
//!
//! A session ends when it is signed out or revoked, after `session_idle_secs` without a request,
//! after `session_absolute_secs` in any case, or at once when its user is disabled. Every request
//! re-reads the user's effective scopes, so a role change applies to the very next request.

use std::collections::BTreeSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::audit::store::{self as audit, NewEvent};
use crate::auth::Permission;
use crate::error::AppResult;
use crate::on_db;
use crate::storage::{db_error, Tx};

/// The signed-in person behind a request, with their effective scopes as of this request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub session_id: String,
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub scopes: BTreeSet<String>,
    /// When the session was last marked as used, to write that at most once a minute.
    pub last_seen_at: i64,
    /// When the person signed in: an ID token's `auth_time`.
    pub signed_in_at: i64,
    /// Whether the sign-in behind this session passed a second factor.
    pub second_factor: bool,
    /// Scopes the person holds that do not count here: console write scopes, where the
    /// deployment requires a second factor and this session lacks one.
    pub withheld: BTreeSet<String>,
}

impl Caller {
    pub fn has(&self, permission: Permission) -> bool {
        self.scopes.contains(permission.scope())
    }

    /// Applies the deployment's second-factor rule: without one, console write scopes move
    /// from `scopes` to `withheld`.
    pub fn require_second_factor(&mut self) {
        if self.second_factor {
            return;
        }
        for permission in Permission::WRITES {
            if let Some(scope) = self.scopes.take(permission.scope()) {
                self.withheld.insert(scope);
            }
        }
    }
}

/// 32 random bytes from the operating system, URL-safe base64.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database stores for a token: its SHA-256, hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: String,
    user_id: String,
    username: String,
    display_name: String,
    last_seen_at: i64,
    created_at: i64,
    second_factor: bool,
}

/// The caller holding `token`, or `None` if the token names no live session of an active user.
pub async fn authenticate(tx: &mut Tx, token: &str, now: i64) -> AppResult<Option<Caller>> {
    let token_hash = hash_token(token);
    let row: Option<SessionRow> = on_db!(tx, |c| {
        sqlx::query_as(
            "SELECT s.id, s.user_id, u.username, u.display_name, s.last_seen_at, s.created_at,
                 s.second_factor
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL
               AND s.idle_expires_at > $2 AND s.absolute_expires_at > $2
               AND u.disabled = FALSE",
        )
        .bind(&token_hash)
        .bind(now)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_error)?
    });
    let Some(row) = row else {
        return Ok(None);
    };
    let scopes = crate::roles::store::effective_scopes(tx, &row.user_id, now).await?;
    Ok(Some(Caller {
        session_id: row.id,
        user_id: row.user_id,
        username: row.username,
        display_name: row.display_name,
        scopes: scopes.into_iter().collect(),
        last_seen_at: row.last_seen_at,
        signed_in_at: row.created_at,
        second_factor: row.second_factor,
        withheld: BTreeSet::new(),
    }))
}

/// Marks a session as used now, pushing its idle expiry out (never past its absolute expiry).
pub async fn touch(tx: &mut Tx, session_id: &str, now: i64, idle_secs: i64) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query(
            "UPDATE sessions SET last_seen_at = $2,
                 idle_expires_at = CASE WHEN $3 < absolute_expires_at THEN $3
                                        ELSE absolute_expires_at END
             WHERE id = $1",
        )
        .bind(session_id)
        .bind(now)
        .bind(now + idle_secs)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(())
}

#[derive(Clone, Debug)]
pub struct NewSession {
    pub user_id: String,
    pub user_name: String,
    pub now: i64,
    pub idle_secs: i64,
    pub absolute_secs: i64,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// How the second factor was shown, if one was.
    pub second_factor: Option<&'static str>,
}

/// Starts a session and records the sign-in. Returns the token for the cookie.
pub async fn create(tx: &mut Tx, new: &NewSession) -> AppResult<String> {
    let token = random_token();
    let id = uuid::Uuid::new_v4().to_string();
    on_db!(tx, |c| {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, token_hash, created_at, last_seen_at,
                 idle_expires_at, absolute_expires_at, ip_address, user_agent, second_factor)
             VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&new.user_id)
        .bind(hash_token(&token))
        .bind(new.now)
        .bind(new.now + new.idle_secs.min(new.absolute_secs))
        .bind(new.now + new.absolute_secs)
        .bind(new.ip_address.as_deref())
        .bind(
            new.user_agent
                .as_ref()
                .map(|ua| ua.chars().take(512).collect::<String>()),
        )
        .bind(new.second_factor.is_some())
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    audit::record(
        tx,
        &NewEvent {
            at: new.now,
            actor_id: Some(&new.user_id),
            actor_name: &new.user_name,
            action: "session.sign_in",
            target_type: Some("user"),
            target_id: Some(&new.user_id),
            target_name: Some(&new.user_name),
            parent_id: None,
            summary: match new.second_factor {
                Some(factor) => format!("{} signed in to the console with {factor}", new.user_name),
                None => format!("{} signed in to the console", new.user_name),
            },
            details: serde_json::json!({
                "session_id": id, "second_factor": new.second_factor,
            }),
            request_id: new.request_id.as_deref(),
        },
    )
    .await?;
    Ok(token)
}

/// Ends the session holding `token`, if it is live, and records the sign-out.
pub async fn sign_out(
    tx: &mut Tx,
    token: &str,
    now: i64,
    request_id: Option<&str>,
) -> AppResult<()> {
    let token_hash = hash_token(token);
    let ended: Option<(String, String, String)> = on_db!(tx, |c| {
        sqlx::query_as(
            "UPDATE sessions SET revoked_at = $2
             WHERE token_hash = $1 AND revoked_at IS NULL
             RETURNING id, user_id,
                 (SELECT username FROM users WHERE users.id = sessions.user_id)",
        )
        .bind(&token_hash)
        .bind(now)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_error)?
    });
    if let Some((session_id, user_id, username)) = ended {
        audit::record(
            tx,
            &NewEvent {
                at: now,
                actor_id: Some(&user_id),
                actor_name: &username,
                action: "session.sign_out",
                target_type: Some("user"),
                target_id: Some(&user_id),
                target_name: Some(&username),
                parent_id: None,
                summary: format!("{username} signed out"),
                details: serde_json::json!({ "session_id": session_id }),
                request_id,
            },
        )
        .await?;
    }
    Ok(())
}

/// Reads the session cookie from a `Cookie` header.
pub fn token_from_cookies(headers: &http::HeaderMap, cookie_name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie_name)
        .map(|(_, value)| value.trim_matches('"').to_string())
        .filter(|value| !value.is_empty() && value.len() <= 128)
}

/// The `Set-Cookie` value that stores `token`, or that clears the cookie when `token` is None.
pub fn cookie(config: &crate::server::Config, token: Option<&str>) -> String {
    let name = config.session_cookie_name();
    let secure = if config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    match token {
        Some(token) => format!(
            "{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            config.session_absolute_secs
        ),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

/// The `Set-Cookie` value for a sign-in waiting for its second factor (five minutes), or that
/// clears it.
pub fn challenge_cookie(config: &crate::server::Config, token: Option<&str>) -> String {
    let name = config.challenge_cookie_name();
    let secure = if config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let (value, max_age) = match token {
        Some(token) => (token, 300),
        None => ("", 0),
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_random_bits_and_stored_only_as_a_hash() {
        let a = random_token();
        let b = random_token();
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            "theme=dark; tessera_session=abc123; x=y".parse().unwrap(),
        );
        assert_eq!(
            token_from_cookies(&headers, "tessera_session").as_deref(),
            Some("abc123")
        );
        assert_eq!(token_from_cookies(&headers, "__Host-tessera_session"), None);
    }

    #[test]
    fn cookies_are_http_only_and_secure_under_https() {
        let https = crate::server::Config::new("https://id.example.com");
        let set = cookie(&https, Some("t"));
        assert!(set.starts_with("__Host-tessera_session=t; Path=/; HttpOnly; SameSite=Lax"));
        assert!(set.ends_with("; Secure"));
        let http = crate::server::Config::new("http://127.0.0.1:3000");
        assert!(!cookie(&http, Some("t")).contains("Secure"));
        assert!(cookie(&http, None).contains("Max-Age=0"));
    }
}
