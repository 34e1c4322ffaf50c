//! The SQL of the token issuer: applications, authorization codes, application sessions and
//! refresh tokens.

use super::Application;
use crate::error::{AppError, AppResult};
use crate::on_db;
use crate::storage::{db_error, Tx};

/// A live session: not revoked, neither expiry passed, its user not disabled.
const LIVE_SESSION: &str = "s.revoked_at IS NULL AND s.idle_expires_at > $2
    AND s.absolute_expires_at > $2 AND u.disabled = FALSE";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClientRow {
    pub client_id: String,
    pub name: String,
    pub confidential: bool,
    pub secret_hash: Option<String>,
    pub redirect_uris: String,
    pub service_user_id: Option<String>,
}

impl ClientRow {
    pub fn redirect_uris(&self) -> Vec<String> {
        serde_json::from_str(&self.redirect_uris).unwrap_or_default()
    }
}

pub async fn client(tx: &mut Tx, client_id: &str) -> AppResult<Option<ClientRow>> {
    on_db!(tx, |c| {
        sqlx::query_as(
            "SELECT client_id, name, confidential, secret_hash, redirect_uris, service_user_id
             FROM oauth_clients WHERE client_id = $1",
        )
        .bind(client_id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_error)
    })
}

#[derive(sqlx::FromRow)]
struct ApplicationRow {
    client_id: String,
    name: String,
    confidential: bool,
    has_secret: bool,
    redirect_uris: String,
    service_user_id: Option<String>,
    secret_rotated_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    live_sessions: i64,
}

impl From<ApplicationRow> for Application {
    fn from(row: ApplicationRow) -> Application {
        Application {
            client_id: row.client_id,
            name: row.name,
            confidential: row.confidential,
            has_secret: row.has_secret,
            redirect_uris: serde_json::from_str(&row.redirect_uris).unwrap_or_default(),
            service_user_id: row.service_user_id,
            secret_rotated_at: row.secret_rotated_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            live_sessions: row.live_sessions,
        }
    }
}

const APPLICATION_COLUMNS: &str = "c.client_id, c.name, c.confidential,
    c.secret_hash IS NOT NULL AS has_secret, c.redirect_uris, c.service_user_id,
    c.secret_rotated_at, c.created_at, c.updated_at,
    (SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.client_id = c.client_id AND s.revoked_at IS NULL AND s.idle_expires_at > $1
       AND s.absolute_expires_at > $1 AND u.disabled = FALSE) AS live_sessions";

/// Every application, by name.
pub async fn applications(tx: &mut Tx, now: i64) -> AppResult<Vec<Application>> {
    let rows: Vec<ApplicationRow> = on_db!(tx, |c| {
        sqlx::query_as(&format!(
            "SELECT {APPLICATION_COLUMNS} FROM oauth_clients c ORDER BY lower(c.name), c.client_id"
        ))
        .bind(now)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)?
    });
    Ok(rows.into_iter().map(Application::from).collect())
}

pub async fn application(tx: &mut Tx, client_id: &str, now: i64) -> AppResult<Application> {
    let row: Option<ApplicationRow> = on_db!(tx, |c| {
        sqlx::query_as(&format!(
            "SELECT {APPLICATION_COLUMNS} FROM oauth_clients c WHERE c.client_id = $2"
        ))
        .bind(now)
        .bind(client_id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_error)?
    });
    row.map(Application::from).ok_or_else(|| {
        AppError::not_found(format!(
            "There is no application “{client_id}”. It may have been deleted."
        ))
    })
}

pub struct NewClient<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    pub confidential: bool,
    pub secret_hash: Option<&'a str>,
    pub redirect_uris: &'a [String],
    pub service_user_id: Option<&'a str>,
    pub now: i64,
}

pub async fn insert_client(tx: &mut Tx, new: &NewClient<'_>) -> AppResult<()> {
    let uris = serde_json::to_string(new.redirect_uris).map_err(|_| AppError::internal())?;
    on_db!(tx, |c| {
        sqlx::query(
            "INSERT INTO oauth_clients (client_id, name, confidential, secret_hash, redirect_uris,
                 service_user_id, secret_rotated_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7)",
        )
        .bind(new.client_id)
        .bind(new.name)
        .bind(new.confidential)
        .bind(new.secret_hash)
        .bind(&uris)
        .bind(new.service_user_id)
        .bind(new.now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(())
}

pub async fn update_client(
    tx: &mut Tx,
    client_id: &str,
    name: &str,
    redirect_uris: &[String],
    now: i64,
) -> AppResult<()> {
    let uris = serde_json::to_string(redirect_uris).map_err(|_| AppError::internal())?;
    on_db!(tx, |c| {
        sqlx::query(
            "UPDATE oauth_clients SET name = $2, redirect_uris = $3, updated_at = $4
             WHERE client_id = $1",
        )
        .bind(client_id)
        .bind(name)
        .bind(&uris)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(())
}

pub async fn set_secret(
    tx: &mut Tx,
    client_id: &str,
    secret_hash: &str,
    now: i64,
) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query(
            "UPDATE oauth_clients SET secret_hash = $2, secret_rotated_at = $3, updated_at = $3
             WHERE client_id = $1",
        )
        .bind(client_id)
        .bind(secret_hash)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(())
}

/// Deletes an application; its sessions, codes and refresh tokens go with it.
pub async fn delete_client(tx: &mut Tx, client_id: &str) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query("DELETE FROM oauth_clients WHERE client_id = $1")
            .bind(client_id)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

/// Names among `scopes` that are not in the catalogue.
pub async fn unknown_scopes(tx: &mut Tx, scopes: &[&str]) -> AppResult<Vec<String>> {
    let mut unknown = Vec::new();
    for scope in scopes {
        let found: Option<String> = on_db!(tx, |c| {
            sqlx::query_scalar("SELECT name FROM scopes WHERE name = $1")
                .bind(*scope)
                .fetch_optional(&mut *c)
                .await
                .map_err(db_error)?
        });
        if found.is_none() {
            unknown.push(scope.to_string());
        }
    }
    Ok(unknown)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Profile {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub disabled: bool,
}

pub async fn profile(tx: &mut Tx, user_id: &str) -> AppResult<Option<Profile>> {
    on_db!(tx, |c| {
        sqlx::query_as(
            "SELECT id, username, display_name, email, disabled FROM users WHERE id = $1",
        )
        .bind(user_id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_error)
    })
}

pub struct NewCode<'a> {
    pub code_hash: &'a str,
    pub client_id: &'a str,
    pub user_id: &'a str,
    pub redirect_uri: &'a str,
    pub code_challenge: &'a str,
    pub scope: &'a str,
    pub nonce: Option<&'a str>,
    pub auth_time: i64,
    /// Whether the sign-in behind the code passed a second factor.
    pub second_factor: bool,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn insert_code(tx: &mut Tx, new: &NewCode<'_>) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query(
            "INSERT INTO oauth_codes (code_hash, client_id, user_id, redirect_uri, code_challenge,
                 scope, nonce, auth_time, created_at, expires_at, second_factor)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(new.code_hash)
        .bind(new.client_id)
        .bind(new.user_id)
        .bind(new.redirect_uri)
        .bind(new.code_challenge)
        .bind(new.scope)
        .bind(new.nonce)
        .bind(new.auth_time)
        .bind(new.now)
        .bind(new.expires_at)
        .bind(new.second_factor)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CodeRow {
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub expires_at: i64,
    pub second_factor: bool,
}

pub enum CodeUse {
    /// The code was unused; it is used now.
    Fresh(CodeRow),
    /// The code was used before; the session it was exchanged for, if any.
    Replayed(Option<String>),
    Unknown,
}

/// Marks a code used, once: of two concurrent exchanges only one sees it fresh.
pub async fn use_code(tx: &mut Tx, code_hash: &str, now: i64) -> AppResult<CodeUse> {
    let fresh: Option<CodeRow> = on_db!(tx, |c| {
        sqlx::query_as(
            "UPDATE oauth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL
             RETURNING client_id, user_id, redirect_uri, code_challenge, scope, nonce, auth_time,
                 expires_at, second_factor",
        )
        .bind(code_hash)
        .bind(now)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_error)?
    });
    if let Some(code) = fresh {
        return Ok(CodeUse::Fresh(code));
    }
    let used: Option<Option<String>> = on_db!(tx, |c| {
        sqlx::query_scalar("SELECT session_id FROM oauth_codes WHERE code_hash = $1")
            .bind(code_hash)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_error)?
    });
    Ok(match used {
        Some(session) => CodeUse::Replayed(session),
        None => CodeUse::Unknown,
    })
}

pub async fn set_code_session(tx: &mut Tx, code_hash: &str, session_id: &str) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query("UPDATE oauth_codes SET session_id = $2 WHERE code_hash = $1")
            .bind(code_hash)
            .bind(session_id)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

pub struct NewAppSession<'a> {
    pub user_id: &'a str,
    pub client_id: &'a str,
    pub requested_scope: &'a str,
    pub auth_time: i64,
    pub second_factor: bool,
    pub now: i64,
    pub idle_expires_at: i64,
    pub absolute_expires_at: i64,
    pub ip_address: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Starts an application session and returns its id.
pub async fn insert_app_session(tx: &mut Tx, new: &NewAppSession<'_>) -> AppResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    on_db!(tx, |c| {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, token_hash, created_at, last_seen_at,
                 idle_expires_at, absolute_expires_at, ip_address, user_agent, client_id,
                 requested_scope, auth_time, second_factor)
             VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(new.user_id)
        .bind(format!("app:{id}"))
        .bind(new.now)
        .bind(new.idle_expires_at)
        .bind(new.absolute_expires_at)
        .bind(new.ip_address)
        .bind(
            new.user_agent
                .map(|ua| ua.chars().take(512).collect::<String>()),
        )
        .bind(new.client_id)
        .bind(new.requested_scope)
        .bind(new.auth_time)
        .bind(new.second_factor)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(id)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AppSession {
    pub id: String,
    pub user_id: String,
    pub client_id: Option<String>,
    pub requested_scope: Option<String>,
    pub auth_time: Option<i64>,
    pub absolute_expires_at: i64,
}

/// The session `session_id` if it is live and its user is active.
pub async fn live_session(
    tx: &mut Tx,
    session_id: &str,
    now: i64,
) -> AppResult<Option<AppSession>> {
    on_db!(tx, |c| {
        sqlx::query_as(&format!(
            "SELECT s.id, s.user_id, s.client_id, s.requested_scope, s.auth_time,
                 s.absolute_expires_at
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id = $1 AND {LIVE_SESSION}"
        ))
        .bind(session_id)
        .bind(now)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_error)
    })
}

/// Marks an application session refreshed now, pushing its idle expiry out.
pub async fn touch_session(
    tx: &mut Tx,
    session_id: &str,
    now: i64,
    idle_secs: i64,
) -> AppResult<()> {
    crate::auth::session::touch(tx, session_id, now, idle_secs).await
}

/// Ends a session if it is live; returns whether it was.
pub async fn end_session(tx: &mut Tx, session_id: &str, now: i64) -> AppResult<bool> {
    let ended = on_db!(tx, |c| {
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2
             WHERE id = $1 AND revoked_at IS NULL AND absolute_expires_at > $2",
        )
        .bind(session_id)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(ended > 0)
}

pub async fn insert_refresh(
    tx: &mut Tx,
    token_hash: &str,
    session_id: &str,
    client_id: &str,
    now: i64,
    expires_at: i64,
) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, session_id, client_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(session_id)
        .bind(client_id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(())
}

pub enum RefreshUse {
    /// Unused until now, issued to this client: now used. Carries the session and expiry.
    Fresh {
        session_id: String,
        expires_at: i64,
    },
    /// Used before: someone is replaying it. Carries the session to end.
    Reused {
        session_id: String,
    },
    /// Issued to another client: left as it is.
    OtherClient,
    Unknown,
}

/// Marks a refresh token used, once: of several concurrent refreshes only one sees it fresh
/// (SQLite serialises write transactions; on PostgreSQL the row lock makes the others re-check
/// `used_at IS NULL` after the first commits, and find it set).
pub async fn use_refresh(
    tx: &mut Tx,
    token_hash: &str,
    client_id: &str,
    now: i64,
) -> AppResult<RefreshUse> {
    let fresh: Option<(String, i64)> = on_db!(tx, |c| {
        sqlx::query_as(
            "UPDATE refresh_tokens SET used_at = $3
             WHERE token_hash = $1 AND client_id = $2 AND used_at IS NULL
             RETURNING session_id, expires_at",
        )
        .bind(token_hash)
        .bind(client_id)
        .bind(now)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_error)?
    });
    if let Some((session_id, expires_at)) = fresh {
        return Ok(RefreshUse::Fresh {
            session_id,
            expires_at,
        });
    }
    let seen: Option<(String, String)> = on_db!(tx, |c| {
        sqlx::query_as("SELECT session_id, client_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_error)?
    });
    Ok(match seen {
        Some((_, owner)) if owner != client_id => RefreshUse::OtherClient,
        Some((session_id, _)) => RefreshUse::Reused { session_id },
        None => RefreshUse::Unknown,
    })
}

/// A refresh token's session and client, if it is unused and unexpired (for introspection and
/// revocation, which do not use it up).
pub async fn peek_refresh(
    tx: &mut Tx,
    token_hash: &str,
    now: i64,
) -> AppResult<Option<(String, String, i64)>> {
    on_db!(tx, |c| {
        sqlx::query_as(
            "SELECT session_id, client_id, expires_at FROM refresh_tokens
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_error)
    })
}

/// The service account behind a client-credentials token, if the client still exists, the
/// account is active and the token was not revoked.
pub async fn live_service_account(
    tx: &mut Tx,
    client_id: &str,
    user_id: &str,
    jti: &str,
) -> AppResult<bool> {
    let found: Option<String> = on_db!(tx, |c| {
        sqlx::query_scalar(
            "SELECT u.id FROM oauth_clients oc JOIN users u ON u.id = oc.service_user_id
             WHERE oc.client_id = $1 AND u.id = $2 AND u.disabled = FALSE
               AND NOT EXISTS (SELECT 1 FROM revoked_access_tokens r WHERE r.jti = $3)",
        )
        .bind(client_id)
        .bind(user_id)
        .bind(jti)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_error)?
    });
    Ok(found.is_some())
}

pub async fn revoke_jti(tx: &mut Tx, jti: &str, expires_at: i64) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query(
            "INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2)
             ON CONFLICT (jti) DO NOTHING",
        )
        .bind(jti)
        .bind(expires_at)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(())
}

/// Deletes what can no longer be used: expired codes, refresh tokens past their expiry (a
/// replay of one is then just an unknown token), revocations of tokens that have expired anyway.
pub async fn purge_expired(tx: &mut Tx, now: i64) -> AppResult<u64> {
    let mut removed = 0;
    for sql in [
        "DELETE FROM oauth_codes WHERE expires_at < $1 - 3600",
        "DELETE FROM refresh_tokens WHERE expires_at < $1",
        "DELETE FROM revoked_access_tokens WHERE expires_at < $1",
    ] {
        removed += on_db!(tx, |c| {
            sqlx::query(sql)
                .bind(now)
                .execute(&mut *c)
                .await
                .map_err(db_error)?
                .rows_affected()
        });
    }
    Ok(removed)
}
