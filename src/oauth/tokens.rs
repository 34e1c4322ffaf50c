//! The JWTs Tessera mints and reads: access tokens (RFC 9068, `typ: at+jwt`) and OpenID Connect
//! ID tokens. Reading pins the algorithm, checks the key id against Tessera's own keys only, the
//! type, the issuer, the audience and the expiry against the request's clock.

use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use super::keys::{KeyRing, SigningKey};
use crate::error::{AppError, AppResult};
use crate::server::Config;

pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// The claims of an access token.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    /// Tessera's API and the client the token was issued to.
    pub aud: Vec<String>,
    pub client_id: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// Space-separated.
    pub scope: String,
    /// The session the token belongs to; absent for client-credentials tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

impl AccessClaims {
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split(' ').filter(|s| !s.is_empty())
    }
}

/// The claims of an ID token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

fn sign<T: Serialize>(key: &SigningKey, typ: &str, claims: &T) -> AppResult<String> {
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some(typ.to_string());
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).map_err(|error| {
        tracing::error!(%error, kid = %key.kid, "could not sign a token");
        AppError::internal()
    })
}

pub fn sign_access(key: &SigningKey, claims: &AccessClaims) -> AppResult<String> {
    sign(key, ACCESS_TOKEN_TYPE, claims)
}

pub fn sign_id(key: &SigningKey, claims: &IdClaims) -> AppResult<String> {
    sign(key, "JWT", claims)
}

/// Why a presented token was not accepted. Kept apart from `AppError` so that each place that
/// reads tokens can answer in its own protocol; never shown in detail to the presenter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    Malformed,
    WrongType,
    UnknownKey,
    BadSignatureOrClaims,
    Expired,
}

/// Verifies an access token's signature and claims. Whether its session, user or client is
/// still live is the caller's next question (see `grants::live_subject`).
pub async fn verify_access(
    keys: &KeyRing,
    config: &Config,
    token: &str,
    now: i64,
) -> AppResult<Result<AccessClaims, Rejected>> {
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return Ok(Err(Rejected::Malformed));
    };
    // RFC 9068 §4: the type is `at+jwt`, or the same with the media type prefix.
    let typ_ok = header.typ.as_deref().is_some_and(|t| {
        t.eq_ignore_ascii_case(ACCESS_TOKEN_TYPE) || t.eq_ignore_ascii_case("application/at+jwt")
    });
    if !typ_ok {
        return Ok(Err(Rejected::WrongType));
    }
    if header.alg != Algorithm::EdDSA {
        return Ok(Err(Rejected::BadSignatureOrClaims));
    }
    let Some(kid) = header.kid.as_deref() else {
        return Ok(Err(Rejected::UnknownKey));
    };
    // A key id is ours or nothing: a malicious kid is only ever looked up in our own list.
    if kid.len() > 64 {
        return Ok(Err(Rejected::UnknownKey));
    }
    let Some(key) = keys.verifier(kid, now).await? else {
        return Ok(Err(Rejected::UnknownKey));
    };
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[config.issuer()]);
    validation.set_audience(&[config.api_audience()]);
    // Expiry is checked below against the request's clock (tests move it), without leeway.
    validation.validate_exp = false;
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = match jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, &validation) {
        Ok(data) => data.claims,
        Err(_) => return Ok(Err(Rejected::BadSignatureOrClaims)),
    };
    if claims.exp <= now {
        return Ok(Err(Rejected::Expired));
    }
    Ok(Ok(claims))
}
