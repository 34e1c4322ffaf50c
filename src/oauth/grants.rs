//! The token endpoint's grants, and the checks every token reader shares. Each grant is one
//! transaction; protocol refusals (`OAuthError`) are answers, not faults, so a refusal that must
//! leave a trace (a replayed refresh token ends its session) still commits.

use std::collections::BTreeSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::store::{self, ClientRow, CodeUse, RefreshUse};
use super::tokens::{self, AccessClaims, IdClaims};
use crate::audit::store::{self as audit, NewEvent};
use crate::auth::session::{hash_token, random_token};
use crate::error::AppResult;
use crate::server::AppState;
use crate::storage::Tx;

/// Scopes with a meaning in OpenID Connect rather than in Tessera's catalogue.
pub const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// An RFC 6749 error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OAuthError {
    pub error: &'static str,
    pub error_description: String,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            error,
            error_description: description.into(),
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> OAuthError {
        Self::new("invalid_request", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> OAuthError {
        Self::new("invalid_grant", description)
    }

    pub fn invalid_client() -> OAuthError {
        Self::new(
            "invalid_client",
            "The client is unknown, or its credentials are wrong or missing.",
        )
    }

    /// RFC 6749 §5.2: 401 for a client that failed to authenticate, 400 for the rest.
    pub fn status(&self) -> http::StatusCode {
        match self.error {
            "invalid_client" => http::StatusCode::UNAUTHORIZED,
            "server_error" => http::StatusCode::INTERNAL_SERVER_ERROR,
            "temporarily_unavailable" => http::StatusCode::SERVICE_UNAVAILABLE,
            _ => http::StatusCode::BAD_REQUEST,
        }
    }
}

/// What the token endpoint answers on success (RFC 6749 §5.1).
#[derive(Clone, Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

pub type Answer<T> = Result<T, OAuthError>;

/// Splits a space-separated scope parameter into its distinct names.
pub fn scope_names(scope: &str) -> Vec<&str> {
    let mut seen = BTreeSet::new();
    scope
        .split(' ')
        .filter(|s| !s.is_empty() && seen.insert(*s))
        .collect()
}

/// The `scope` of a token: the OpenID scopes asked for, then the user's effective scopes —
/// narrowed to those asked for, when any were. Sorted, so equal grants read equal.
pub fn granted_scope(effective: &[String], requested: &str) -> String {
    let asked = scope_names(requested);
    let mut oidc: Vec<&str> = OIDC_SCOPES
        .iter()
        .copied()
        .filter(|s| asked.contains(s))
        .collect();
    let asked_api: Vec<&str> = asked
        .iter()
        .copied()
        .filter(|s| !OIDC_SCOPES.contains(s))
        .collect();
    let mut api: Vec<&str> = effective
        .iter()
        .map(String::as_str)
        .filter(|s| asked_api.is_empty() || asked_api.contains(s))
        .collect();
    api.sort_unstable();
    oidc.append(&mut api);
    oidc.join(" ")
}

/// Refuses a scope parameter naming scopes Tessera does not know, or too long to be sane.
pub async fn check_requested_scope(tx: &mut Tx, scope: &str) -> AppResult<Answer<()>> {
    if scope.len() > 4096 {
        return Ok(Err(OAuthError::new(
            "invalid_scope",
            "The scope parameter is too long.",
        )));
    }
    let asked: Vec<&str> = scope_names(scope)
        .into_iter()
        .filter(|s| !OIDC_SCOPES.contains(s))
        .collect();
    let unknown = store::unknown_scopes(tx, &asked).await?;
    if unknown.is_empty() {
        Ok(Ok(()))
    } else {
        Ok(Err(OAuthError::new(
            "invalid_scope",
            format!("Unknown scope: {}.", unknown.join(", ")),
        )))
    }
}

/// Compares two equal-length hex digests without an early exit.
fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Who is calling the token, revocation or introspection endpoint: a public client names
/// itself; a confidential client must prove it with its secret.
pub async fn authenticate_client(
    tx: &mut Tx,
    client_id: &str,
    secret: Option<&str>,
) -> AppResult<Answer<ClientRow>> {
    if client_id.is_empty() || client_id.len() > 48 {
        return Ok(Err(OAuthError::invalid_client()));
    }
    let Some(client) = store::client(tx, client_id).await? else {
        return Ok(Err(OAuthError::invalid_client()));
    };
    let ok = match (client.confidential, &client.secret_hash, secret) {
        (true, Some(stored), Some(secret)) => same_digest(stored, &hash_token(secret)),
        (false, _, None) => true,
        _ => false,
    };
    if ok {
        Ok(Ok(client))
    } else {
        tracing::warn!(client_id = %client.client_id, "client authentication failed");
        Ok(Err(OAuthError::invalid_client()))
    }
}

/// RFC 7636: the verifier's S256 transform must equal the challenge.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    well_formed && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

fn new_jti() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Everything a grant needs to mint tokens for a subject.
struct Mint<'a> {
    client_id: &'a str,
    user: &'a store::Profile,
    scope: String,
    session_id: Option<&'a str>,
    /// For an ID token: the nonce and the time of authentication.
    id_token: Option<(Option<&'a str>, i64)>,
    refresh_token: Option<String>,
}

async fn mint(state: &AppState, now: i64, m: Mint<'_>) -> AppResult<TokenResponse> {
    let config = &state.config;
    let key = state.keys.signer(now).await?;
    let claims = AccessClaims {
        iss: config.issuer().to_string(),
        sub: m.user.id.clone(),
        aud: vec![config.api_audience(), m.client_id.to_string()],
        client_id: m.client_id.to_string(),
        iat: now,
        exp: now + config.access_token_secs,
        jti: new_jti(),
        scope: m.scope.clone(),
        sid: m.session_id.map(str::to_string),
    };
    let access_token = tokens::sign_access(&key, &claims)?;
    let granted: Vec<&str> = scope_names(&m.scope);
    let id_token = match m.id_token {
        Some((nonce, auth_time)) if granted.contains(&"openid") => {
            let profile = granted.contains(&"profile");
            let id = IdClaims {
                iss: config.issuer().to_string(),
                sub: m.user.id.clone(),
                aud: m.client_id.to_string(),
                iat: now,
                exp: now + config.access_token_secs,
                auth_time,
                nonce: nonce.map(str::to_string),
                sid: m.session_id.map(str::to_string),
                name: profile.then(|| m.user.display_name.clone()),
                preferred_username: profile.then(|| m.user.username.clone()),
                email: if granted.contains(&"email") {
                    m.user.email.clone()
                } else {
                    None
                },
            };
            Some(tokens::sign_id(&key, &id)?)
        }
        _ => None,
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: config.access_token_secs,
        scope: m.scope,
        refresh_token: m.refresh_token,
        id_token,
    })
}

/// Issues a refresh token for a session, expiring after the idle lifetime (never past the
/// session's absolute end).
async fn issue_refresh(
    tx: &mut Tx,
    state: &AppState,
    session_id: &str,
    client_id: &str,
    absolute_expires_at: i64,
    now: i64,
) -> AppResult<String> {
    let token = random_token();
    let expires_at = (now + state.config.refresh_idle_secs).min(absolute_expires_at);
    store::insert_refresh(
        tx,
        &hash_token(&token),
        session_id,
        client_id,
        now,
        expires_at,
    )
    .await?;
    Ok(token)
}

/// Where the request came from, for the session list.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// The parameters of an authorization code exchange.
pub struct CodeExchange<'a> {
    pub code: &'a str,
    pub redirect_uri: &'a str,
    pub verifier: &'a str,
}

/// `grant_type=authorization_code`.
pub async fn authorization_code(
    tx: &mut Tx,
    state: &AppState,
    client: &ClientRow,
    exchange: &CodeExchange<'_>,
    origin: &Origin,
    now: i64,
) -> AppResult<Answer<TokenResponse>> {
    let CodeExchange {
        code,
        redirect_uri,
        verifier,
    } = *exchange;
    let code_hash = hash_token(code);
    let row = match store::use_code(tx, &code_hash, now).await? {
        CodeUse::Fresh(row) => row,
        CodeUse::Replayed(session) => {
            // RFC 6749 §4.1.2: a code used twice revokes what it was exchanged for.
            if let Some(session_id) = session {
                if store::end_session(tx, &session_id, now).await? {
                    tracing::warn!(%session_id, "an authorization code was replayed; ended its session");
                }
            }
            return Ok(Err(OAuthError::invalid_grant(
                "The authorization code has already been used.",
            )));
        }
        CodeUse::Unknown => {
            return Ok(Err(OAuthError::invalid_grant(
                "The authorization code is not valid.",
            )))
        }
    };
    let refusal = if row.client_id != client.client_id {
        Some("The authorization code was issued to another client.")
    } else if row.expires_at <= now {
        Some("The authorization code has expired; start the sign-in again.")
    } else if row.redirect_uri != redirect_uri {
        Some("redirect_uri does not match the one of the authorization request.")
    } else if !pkce_matches(verifier, &row.code_challenge) {
        Some("The code_verifier does not match the code_challenge.")
    } else {
        None
    };
    if let Some(description) = refusal {
        // The code stays used: a failed exchange must not leave it open to guessing.
        return Ok(Err(OAuthError::invalid_grant(description)));
    }
    let user = match store::profile(tx, &row.user_id).await? {
        Some(user) if !user.disabled => user,
        _ => return Ok(Err(OAuthError::invalid_grant("The account is disabled."))),
    };
    let config = &state.config;
    let absolute = now + config.refresh_absolute_secs;
    let session_id = store::insert_app_session(
        tx,
        &store::NewAppSession {
            user_id: &user.id,
            client_id: &client.client_id,
            requested_scope: &row.scope,
            auth_time: row.auth_time,
            second_factor: row.second_factor,
            now,
            idle_expires_at: (now + config.refresh_idle_secs).min(absolute),
            absolute_expires_at: absolute,
            ip_address: origin.ip_address.as_deref(),
            user_agent: origin.user_agent.as_deref(),
        },
    )
    .await?;
    store::set_code_session(tx, &code_hash, &session_id).await?;
    audit::record(
        tx,
        &NewEvent {
            at: now,
            actor_id: Some(&user.id),
            actor_name: &user.username,
            action: "session.app_sign_in",
            target_type: Some("user"),
            target_id: Some(&user.id),
            target_name: Some(&user.username),
            parent_id: None,
            summary: format!("{} signed in to {}", user.username, client.name),
            details: serde_json::json!({ "session_id": session_id, "client_id": client.client_id }),
            request_id: origin.request_id.as_deref(),
        },
    )
    .await?;
    let effective = crate::roles::store::effective_scopes(tx, &user.id, now).await?;
    let refresh = issue_refresh(tx, state, &session_id, &client.client_id, absolute, now).await?;
    let response = mint(
        state,
        now,
        Mint {
            client_id: &client.client_id,
            user: &user,
            scope: granted_scope(&effective, &row.scope),
            session_id: Some(&session_id),
            id_token: Some((row.nonce.as_deref(), row.auth_time)),
            refresh_token: Some(refresh),
        },
    )
    .await?;
    Ok(Ok(response))
}

/// `grant_type=refresh_token`: rotates the token and re-derives the scopes from the user's
/// roles and groups as they are now.
pub async fn refresh_token(
    tx: &mut Tx,
    state: &AppState,
    client: &ClientRow,
    token: &str,
    scope: Option<&str>,
    now: i64,
) -> AppResult<Answer<TokenResponse>> {
    let invalid = || {
        Ok(Err(OAuthError::invalid_grant(
            "The refresh token is not valid, has expired, or its session has ended. Sign in again.",
        )))
    };
    let (session_id, expires_at) =
        match store::use_refresh(tx, &hash_token(token), &client.client_id, now).await? {
            RefreshUse::Fresh {
                session_id,
                expires_at,
            } => (session_id, expires_at),
            RefreshUse::Reused { session_id } => {
                // A used token presented again: it was copied. End the whole session, so the
                // copy and the latest token both stop working.
                if store::end_session(tx, &session_id, now).await? {
                    tracing::warn!(%session_id, client_id = %client.client_id,
                        "a used refresh token was presented again; ended its session");
                }
                return invalid();
            }
            RefreshUse::OtherClient | RefreshUse::Unknown => return invalid(),
        };
    if expires_at <= now {
        return invalid();
    }
    let Some(session) = store::live_session(tx, &session_id, now).await? else {
        return invalid();
    };
    let Some(user) = store::profile(tx, &session.user_id).await? else {
        return invalid();
    };
    let original = session.requested_scope.clone().unwrap_or_default();
    let requested = match scope {
        None | Some("") => original.clone(),
        Some(narrower) => {
            // RFC 6749 §6: a refresh may narrow the scope, never widen it.
            let allowed = scope_names(&original);
            let explicit_api = allowed.iter().any(|s| !OIDC_SCOPES.contains(s));
            let widens = scope_names(narrower)
                .into_iter()
                .any(|s| !allowed.contains(&s) && (OIDC_SCOPES.contains(&s) || explicit_api));
            if widens {
                return Ok(Err(OAuthError::new(
                    "invalid_scope",
                    "A refresh cannot ask for scopes the sign-in did not ask for.",
                )));
            }
            narrower.to_string()
        }
    };
    store::touch_session(tx, &session.id, now, state.config.refresh_idle_secs).await?;
    let effective = crate::roles::store::effective_scopes(tx, &user.id, now).await?;
    let refresh = issue_refresh(
        tx,
        state,
        &session.id,
        &client.client_id,
        session.absolute_expires_at,
        now,
    )
    .await?;
    let response = mint(
        state,
        now,
        Mint {
            client_id: &client.client_id,
            user: &user,
            scope: granted_scope(&effective, &requested),
            session_id: Some(&session.id),
            id_token: Some((None, session.auth_time.unwrap_or(now))),
            refresh_token: Some(refresh),
        },
    )
    .await?;
    Ok(Ok(response))
}

/// `grant_type=client_credentials`: a confidential client acting as its service account.
pub async fn client_credentials(
    tx: &mut Tx,
    state: &AppState,
    client: &ClientRow,
    scope: &str,
    now: i64,
) -> AppResult<Answer<TokenResponse>> {
    if !client.confidential {
        return Ok(Err(OAuthError::new(
            "unauthorized_client",
            "Only a confidential client can use the client_credentials grant.",
        )));
    }
    if let Err(refusal) = check_requested_scope(tx, scope).await? {
        return Ok(Err(refusal));
    }
    let account = match &client.service_user_id {
        Some(id) => store::profile(tx, id).await?,
        None => None,
    };
    let Some(account) = account.filter(|a| !a.disabled) else {
        return Ok(Err(OAuthError::new(
            "unauthorized_client",
            "The client's service account is disabled or missing.",
        )));
    };
    let effective = crate::roles::store::effective_scopes(tx, &account.id, now).await?;
    // OpenID scopes mean nothing without a person signing in.
    let api_only: Vec<&str> = scope_names(scope)
        .into_iter()
        .filter(|s| !OIDC_SCOPES.contains(s))
        .collect();
    let response = mint(
        state,
        now,
        Mint {
            client_id: &client.client_id,
            user: &account,
            scope: granted_scope(&effective, &api_only.join(" ")),
            session_id: None,
            id_token: None,
            refresh_token: None,
        },
    )
    .await?;
    Ok(Ok(response))
}

/// The subject of a verified access token, if it is still live: its session not ended (or, for
/// client credentials, its client and service account still there and the token not revoked),
/// and its user not disabled.
pub async fn live_subject(
    tx: &mut Tx,
    claims: &AccessClaims,
    now: i64,
) -> AppResult<Option<store::Profile>> {
    let live = match &claims.sid {
        Some(sid) => store::live_session(tx, sid, now).await?.is_some_and(|s| {
            s.user_id == claims.sub && s.client_id.as_deref() == Some(claims.client_id.as_str())
        }),
        None => {
            store::live_service_account(tx, &claims.client_id, &claims.sub, &claims.jti).await?
        }
    };
    if !live {
        return Ok(None);
    }
    Ok(store::profile(tx, &claims.sub)
        .await?
        .filter(|p| !p.disabled))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_carries_the_effective_scopes_narrowed_to_those_asked_for() {
        let effective = vec!["orders:read".to_string(), "orders:write".to_string()];
        assert_eq!(granted_scope(&effective, ""), "orders:read orders:write");
        assert_eq!(
            granted_scope(&effective, "openid profile"),
            "openid profile orders:read orders:write"
        );
        assert_eq!(
            granted_scope(&effective, "openid orders:write reports:read"),
            "openid orders:write"
        );
    }

    #[test]
    fn pkce_accepts_only_the_s256_transform_of_a_well_formed_verifier() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(challenge, challenge));
        assert!(!pkce_matches("short", challenge));
    }
}
