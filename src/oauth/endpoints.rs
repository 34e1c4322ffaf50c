//! The OAuth 2.1 / OpenID Connect endpoints: discovery, JWKS, authorize, token, revocation,
//! introspection and userinfo. Plain axum handlers over `grants` and `store`; they speak the
//! protocol's own error format (RFC 6749 §5.2) rather than Tessera's `AppError`.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;

use super::grants::{self, Answer, OAuthError, Origin};
use super::store;
use super::tokens::{self, AccessClaims};
use crate::auth::session::{hash_token, random_token};
use crate::error::AppError;
use crate::server::context::{CallerSlot, ClientIp, RequestTime};
use crate::server::{metrics, AppState};

/// How long an authorization code can be exchanged.
const CODE_SECS: i64 = 60;

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn oauth_error(error: OAuthError) -> Response {
    let status = error.status();
    let mut response = (status, Json(error)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"tessera\""),
        );
    }
    no_store(response)
}

/// A fault of Tessera's own (the database is down): `server_error` or
/// `temporarily_unavailable`, never the details.
fn fault(error: AppError) -> Response {
    let code = if error.status() == StatusCode::SERVICE_UNAVAILABLE {
        "temporarily_unavailable"
    } else {
        "server_error"
    };
    oauth_error(OAuthError::new(code, error.message))
}

fn answer<T: serde::Serialize>(result: Result<Answer<T>, AppError>) -> Response {
    match result {
        Ok(Ok(body)) => no_store(Json(body).into_response()),
        Ok(Err(refusal)) => oauth_error(refusal),
        Err(error) => fault(error),
    }
}

/// `GET /.well-known/openid-configuration`.
pub async fn discovery(State(state): State<AppState>) -> Response {
    let issuer = state.config.issuer();
    let body = serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "jwks_uri": format!("{issuer}/oauth/jwks"),
        "userinfo_endpoint": format!("{issuer}/oauth/userinfo"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "introspection_endpoint": format!("{issuer}/oauth/introspect"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [super::keys::ALG],
        "token_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": grants::OIDC_SCOPES,
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid",
            "name", "preferred_username", "email"],
        "authorization_response_iss_parameter_supported": true,
    });
    let mut response = Json(body).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

/// `GET /oauth/jwks`.
pub async fn jwks(
    State(state): State<AppState>,
    Extension(RequestTime(now)): Extension<RequestTime>,
) -> Response {
    match state.keys.jwks(now).await {
        Ok(body) => {
            let mut response = Json(body).into_response();
            // Short: a key published after a rotation must reach verifiers before it signs much.
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            );
            response
        }
        Err(error) => fault(error),
    }
}

/// A form body as name → value, refusing repeated parameters (RFC 6749 §3.2).
fn parse_form(headers: &HeaderMap, body: &[u8]) -> Answer<BTreeMap<String, String>> {
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(OAuthError::invalid_request(
            "Send the parameters as application/x-www-form-urlencoded.",
        ));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|_| OAuthError::invalid_request("The form body cannot be read."))?;
    let mut form = BTreeMap::new();
    for (name, value) in pairs {
        if form.insert(name.clone(), value).is_some() {
            return Err(OAuthError::invalid_request(format!(
                "The parameter {name} is repeated."
            )));
        }
    }
    Ok(form)
}

/// The client's credentials: HTTP Basic (RFC 6749 §2.3.1, form-encoded parts) or `client_id`
/// and `client_secret` in the body, never both.
fn client_credentials_of(
    headers: &HeaderMap,
    form: &BTreeMap<String, String>,
) -> Answer<(String, Option<String>)> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    match basic {
        Some(encoded) => {
            if form.contains_key("client_secret") {
                return Err(OAuthError::invalid_request(
                    "Authenticate the client one way only: HTTP Basic or client_secret.",
                ));
            }
            let decoded = STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(OAuthError::invalid_client)?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(OAuthError::invalid_client)?;
            let decode = |part: &str| {
                serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={part}"))
                    .ok()
                    .and_then(|mut v| v.pop())
                    .map(|(_, value)| value)
            };
            let id = decode(id).ok_or_else(OAuthError::invalid_client)?;
            let secret = decode(secret).ok_or_else(OAuthError::invalid_client)?;
            if form.get("client_id").is_some_and(|body_id| *body_id != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the one in the Authorization header.",
                ));
            }
            Ok((id, Some(secret)))
        }
        None => {
            let id = form
                .get("client_id")
                .cloned()
                .ok_or_else(OAuthError::invalid_client)?;
            Ok((id, form.get("client_secret").cloned()))
        }
    }
}

fn required<'a>(form: &'a BTreeMap<String, String>, name: &str) -> Answer<&'a str> {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::invalid_request(format!("The parameter {name} is missing.")))
}

fn origin_of(headers: &HeaderMap, ip: Option<String>) -> Origin {
    Origin {
        ip_address: ip,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    }
}

/// `POST /oauth/token`.
pub async fn token(
    State(state): State<AppState>,
    Extension(RequestTime(now)): Extension<RequestTime>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match parse_form(&headers, &body) {
        Ok(form) => form,
        Err(refusal) => return oauth_error(refusal),
    };
    let (client_id, secret) = match client_credentials_of(&headers, &form) {
        Ok(credentials) => credentials,
        Err(refusal) => return oauth_error(refusal),
    };
    let grant_type = match required(&form, "grant_type") {
        Ok(grant) => grant.to_string(),
        Err(refusal) => return oauth_error(refusal),
    };
    if !matches!(
        grant_type.as_str(),
        "authorization_code" | "refresh_token" | "client_credentials"
    ) {
        metrics::token_grant(&grant_type, "unsupported_grant_type");
        return oauth_error(OAuthError::new(
            "unsupported_grant_type",
            format!("Tessera does not support the grant type “{grant_type}”."),
        ));
    }
    let origin = origin_of(&headers, ip);
    // Client credentials only read: in a read transaction they run side by side, where a write
    // transaction would queue them one at a time behind SQLite's single writer.
    let result = if grant_type == "client_credentials" {
        let scope = form.get("scope").map(String::as_str).unwrap_or("");
        async {
            let mut tx = state.db.read().await?;
            match grants::authenticate_client(&mut tx, &client_id, secret.as_deref()).await? {
                Ok(client) => {
                    grants::client_credentials(&mut tx, &state, &client, scope, now).await
                }
                Err(refusal) => Ok(Err(refusal)),
            }
        }
        .await
    } else {
        state
            .db
            .write(|tx| {
                let (state, form, origin) = (state.clone(), form.clone(), origin.clone());
                let (client_id, secret, grant_type) =
                    (client_id.clone(), secret.clone(), grant_type.clone());
                Box::pin(async move {
                    let client =
                        match grants::authenticate_client(tx, &client_id, secret.as_deref()).await?
                        {
                            Ok(client) => client,
                            Err(refusal) => return Ok(Err(refusal)),
                        };
                    match grant_type.as_str() {
                        "authorization_code" => {
                            let exchange = (|| {
                                Ok::<_, OAuthError>(grants::CodeExchange {
                                    code: required(&form, "code")?,
                                    redirect_uri: required(&form, "redirect_uri")?,
                                    verifier: required(&form, "code_verifier")?,
                                })
                            })();
                            match exchange {
                                Ok(exchange) => {
                                    grants::authorization_code(
                                        tx, &state, &client, &exchange, &origin, now,
                                    )
                                    .await
                                }
                                Err(refusal) => Ok(Err(refusal)),
                            }
                        }
                        // The only other grant here: client credentials were answered above.
                        _ => match required(&form, "refresh_token") {
                            Ok(token) => {
                                let scope = form.get("scope").map(String::as_str);
                                grants::refresh_token(tx, &state, &client, token, scope, now).await
                            }
                            Err(refusal) => Ok(Err(refusal)),
                        },
                    }
                })
            })
            .await
    };
    match &result {
        Ok(Ok(_)) => {
            metrics::token_grant(&grant_type, "issued");
            tracing::info!(%client_id, grant = %grant_type, "issued tokens")
        }
        Ok(Err(refusal)) => {
            metrics::token_grant(&grant_type, refusal.error);
            tracing::warn!(%client_id, grant = %grant_type, error = refusal.error, "token request refused")
        }
        Err(_) => metrics::token_grant(&grant_type, "server_error"),
    }
    answer(result)
}

/// What a token presented to revocation or introspection turns out to be.
enum Presented {
    Access(AccessClaims),
    /// A live refresh token: its session, client and expiry.
    Refresh(String, String, i64),
    Nothing,
}

async fn identify(state: &AppState, token: &str, now: i64) -> Result<Presented, AppError> {
    if token.contains('.') {
        return Ok(
            match tokens::verify_access(&state.keys, &state.config, token, now).await? {
                Ok(claims) => Presented::Access(claims),
                Err(_) => Presented::Nothing,
            },
        );
    }
    let mut tx = state.db.read().await?;
    Ok(
        match store::peek_refresh(&mut tx, &hash_token(token), now).await? {
            Some((session, client, exp)) => Presented::Refresh(session, client, exp),
            None => Presented::Nothing,
        },
    )
}

/// The common part of revocation and introspection: who asks, and about what token.
async fn token_request(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(String, Option<String>, Presented), Response> {
    let form = parse_form(headers, body).map_err(oauth_error)?;
    let (client_id, secret) = client_credentials_of(headers, &form).map_err(oauth_error)?;
    let token = required(&form, "token").map_err(oauth_error)?;
    let presented = identify(state, token, now).await.map_err(fault)?;
    Ok((client_id, secret, presented))
}

/// `POST /oauth/revoke` (RFC 7009). Revoking a refresh token, or an access token of a session,
/// ends the session: every token of that sign-in stops working. Unknown tokens get the same 200.
pub async fn revoke(
    State(state): State<AppState>,
    Extension(RequestTime(now)): Extension<RequestTime>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (client_id, secret, presented) = match token_request(&state, &headers, &body, now).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    let result = state
        .db
        .write(|tx| {
            let (client_id, secret) = (client_id.clone(), secret.clone());
            let target = match &presented {
                Presented::Access(claims) => Some((
                    claims.client_id.clone(),
                    claims.sid.clone(),
                    claims.jti.clone(),
                    claims.exp,
                )),
                Presented::Refresh(session, client, exp) => {
                    Some((client.clone(), Some(session.clone()), String::new(), *exp))
                }
                Presented::Nothing => None,
            };
            Box::pin(async move {
                if let Err(refusal) =
                    grants::authenticate_client(tx, &client_id, secret.as_deref()).await?
                {
                    return Ok(Err(refusal));
                }
                // A client may revoke only its own tokens; another's are left alone, silently.
                if let Some((owner, session, jti, exp)) = target {
                    if owner == client_id {
                        match session {
                            Some(session_id) => {
                                store::end_session(tx, &session_id, now).await?;
                            }
                            None => store::revoke_jti(tx, &jti, exp).await?,
                        }
                    }
                }
                Ok(Ok(()))
            })
        })
        .await;
    match result {
        Ok(Ok(())) => no_store(StatusCode::OK.into_response()),
        Ok(Err(refusal)) => oauth_error(refusal),
        Err(error) => fault(error),
    }
}

/// `POST /oauth/introspect` (RFC 7662), for confidential clients. Anything revoked, expired, or
/// belonging to a disabled user or an ended session is `{"active": false}`.
pub async fn introspect(
    State(state): State<AppState>,
    Extension(RequestTime(now)): Extension<RequestTime>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (client_id, secret, presented) = match token_request(&state, &headers, &body, now).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    let result: Result<Answer<serde_json::Value>, AppError> = async {
        let mut tx = state.db.read().await?;
        match grants::authenticate_client(&mut tx, &client_id, secret.as_deref()).await? {
            Ok(client) if client.confidential => {}
            Ok(_) => {
                return Ok(Err(OAuthError::new(
                    "unauthorized_client",
                    "Only a confidential client can introspect tokens.",
                )))
            }
            Err(refusal) => return Ok(Err(refusal)),
        }
        let inactive = serde_json::json!({ "active": false });
        Ok(Ok(match presented {
            Presented::Access(claims) => match grants::live_subject(&mut tx, &claims, now).await? {
                Some(user) => serde_json::json!({
                    "active": true,
                    "token_type": "access_token",
                    "scope": claims.scope,
                    "client_id": claims.client_id,
                    "username": user.username,
                    "sub": claims.sub,
                    "aud": claims.aud,
                    "iss": claims.iss,
                    "exp": claims.exp,
                    "iat": claims.iat,
                    "jti": claims.jti,
                    "sid": claims.sid,
                }),
                None => inactive,
            },
            Presented::Refresh(session_id, client, exp) => {
                match store::live_session(&mut tx, &session_id, now).await? {
                    Some(session) => {
                        let user = store::profile(&mut tx, &session.user_id).await?;
                        serde_json::json!({
                            "active": true,
                            "token_type": "refresh_token",
                            "client_id": client,
                            "sub": session.user_id,
                            "username": user.map(|u| u.username),
                            "exp": exp,
                            "sid": session_id,
                        })
                    }
                    None => inactive,
                }
            }
            Presented::Nothing => inactive,
        }))
    }
    .await;
    answer(result)
}

/// A bearer token's live claims and subject, or the `WWW-Authenticate` answer (RFC 6750).
pub async fn bearer_subject(
    state: &AppState,
    token: &str,
    now: i64,
) -> Result<Option<(AccessClaims, store::Profile)>, AppError> {
    let claims = match tokens::verify_access(&state.keys, &state.config, token, now).await? {
        Ok(claims) => claims,
        Err(reason) => {
            tracing::warn!(?reason, "refused a bearer token");
            return Ok(None);
        }
    };
    let mut tx = state.db.read().await?;
    Ok(grants::live_subject(&mut tx, &claims, now)
        .await?
        .map(|user| (claims, user)))
}

fn invalid_token() -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(serde_json::json!({
            "error": "invalid_token",
            "error_description": "The access token is missing, expired, revoked or not Tessera's.",
        })),
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    no_store(response)
}

/// `GET|POST /oauth/userinfo` (OpenID Connect Core §5.3).
pub async fn userinfo(
    State(state): State<AppState>,
    Extension(RequestTime(now)): Extension<RequestTime>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return invalid_token();
    };
    let (claims, user) = match bearer_subject(&state, token.trim(), now).await {
        Ok(Some(found)) => found,
        Ok(None) => return invalid_token(),
        Err(error) => return fault(error),
    };
    let granted: Vec<&str> = claims.scopes().collect();
    if !granted.contains(&"openid") {
        let mut response = (
            StatusCode::FORBIDDEN,
            Json(serde_json::json!({
                "error": "insufficient_scope",
                "error_description": "userinfo needs a token with the openid scope.",
            })),
        )
            .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"insufficient_scope\", scope=\"openid\""),
        );
        return no_store(response);
    }
    let mut body = serde_json::json!({ "sub": user.id });
    if granted.contains(&"profile") {
        body["name"] = user.display_name.into();
        body["preferred_username"] = user.username.into();
    }
    if granted.contains(&"email") {
        body["email"] = user.email.into();
    }
    no_store(Json(body).into_response())
}

/// The query of an authorization request. Everything optional: what is missing is an error the
/// person or the client must be told about, not a 400 from the extractor.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    nonce: Option<String>,
    prompt: Option<String>,
}

/// A page for errors that cannot safely go to the redirect URI (an unknown client or a redirect
/// URI that is not registered): sending them there would make Tessera an open redirector.
fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in request refused · Tessera</title>\
         <link rel=\"stylesheet\" href=\"/pkg/tessera.css\"></head><body><main class=\"standalone\">\
         <div class=\"card narrow\"><h1>This sign-in request cannot be completed</h1><p role=\"alert\">{}</p>\
         <p class=\"muted\">The application that sent you here may be misconfigured. Tell its administrator.</p>\
         </div></main></body></html>",
        escape_html(message)
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn found(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    no_store(response)
}

/// Back to the client with `params` added to its redirect URI's query.
fn to_client(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let query = serde_urlencoded::to_string(params).unwrap_or_default();
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    found(&format!("{redirect_uri}{separator}{query}"))
}

/// `GET /oauth/authorize`: the authorization code flow with PKCE (S256 only). A person already
/// signed in to Tessera is not asked again; one who is not goes through the sign-in page and
/// comes back here.
pub async fn authorize(
    State(state): State<AppState>,
    Extension(RequestTime(now)): Extension<RequestTime>,
    Extension(caller): Extension<CallerSlot>,
    uri: axum::http::Uri,
    query: Result<Query<AuthorizeQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "The sign-in request is malformed (a parameter is repeated or not readable).",
        );
    };
    let Some(client_id) = query.client_id.as_deref().filter(|c| !c.is_empty()) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "The request does not name an application (client_id).",
        );
    };
    let client = {
        let lookup = async {
            let mut tx = state.db.read().await?;
            store::client(&mut tx, client_id).await
        };
        match lookup.await {
            Ok(Some(client)) => client,
            Ok(None) => {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    &format!("There is no application “{client_id}” in Tessera."),
                )
            }
            Err(error) => return error_page(error.status(), &error.message),
        }
    };
    let Some(redirect_uri) = query.redirect_uri.clone().filter(|r| !r.is_empty()) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "The request does not say where to return (redirect_uri).",
        );
    };
    if !client.redirect_uris().contains(&redirect_uri) {
        return error_page(
            StatusCode::BAD_REQUEST,
            &format!(
                "“{redirect_uri}” is not a registered redirect URI of {}.",
                client.name
            ),
        );
    }
    // From here on, errors go back to the client, with its state and our issuer (RFC 9207).
    let client_state = query.state.clone().unwrap_or_default();
    let issuer = state.config.issuer().to_string();
    let back = |error: &str, description: &str| {
        let mut params = vec![("error", error), ("error_description", description)];
        if !client_state.is_empty() {
            params.push(("state", client_state.as_str()));
        }
        params.push(("iss", issuer.as_str()));
        to_client(&redirect_uri, &params)
    };
    if query.response_type.as_deref() != Some("code") {
        return back(
            "unsupported_response_type",
            "Only response_type=code is supported.",
        );
    }
    let Some(challenge) = query.code_challenge.as_deref().filter(|c| !c.is_empty()) else {
        return back(
            "invalid_request",
            "PKCE is required: send a code_challenge.",
        );
    };
    if query.code_challenge_method.as_deref() != Some("S256") {
        return back("invalid_request", "code_challenge_method must be S256.");
    }
    if challenge.len() != 43 {
        return back(
            "invalid_request",
            "code_challenge is not an S256 challenge.",
        );
    }
    let scope = query.scope.clone().unwrap_or_default();
    let nonce = query.nonce.clone().filter(|n| !n.is_empty());
    if client_state.len() > 1024 || nonce.as_ref().is_some_and(|n| n.len() > 512) {
        return back("invalid_request", "state or nonce is too long.");
    }
    let checked = async {
        let mut tx = state.db.read().await?;
        grants::check_requested_scope(&mut tx, &scope).await
    };
    match checked.await {
        Ok(Ok(())) => {}
        Ok(Err(refusal)) => return back(refusal.error, &refusal.error_description),
        Err(error) => return back("server_error", &error.message),
    }

    let Some(caller) = caller.0 else {
        if query.prompt.as_deref() == Some("none") {
            return back("login_required", "The person is not signed in to Tessera.");
        }
        let here = uri
            .path_and_query()
            .map(|pq| pq.as_str().to_string())
            .unwrap_or_default();
        let next = serde_urlencoded::to_string([("next", here.as_str())]).unwrap_or_default();
        let mut response = StatusCode::SEE_OTHER.into_response();
        if let Ok(value) = HeaderValue::from_str(&format!("/sign-in?{next}")) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        return no_store(response);
    };

    let code = random_token();
    let code_hash = hash_token(&code);
    let stored = state
        .db
        .write(|tx| {
            let (code_hash, client_id, user_id, auth_time, second_factor) = (
                code_hash.clone(),
                client.client_id.clone(),
                caller.user_id.clone(),
                caller.signed_in_at,
                caller.second_factor,
            );
            let (redirect_uri, challenge, scope, nonce) = (
                redirect_uri.clone(),
                challenge.to_string(),
                scope.clone(),
                nonce.clone(),
            );
            Box::pin(async move {
                store::insert_code(
                    tx,
                    &store::NewCode {
                        code_hash: &code_hash,
                        client_id: &client_id,
                        user_id: &user_id,
                        redirect_uri: &redirect_uri,
                        code_challenge: &challenge,
                        scope: &scope,
                        nonce: nonce.as_deref(),
                        auth_time,
                        second_factor,
                        now,
                        expires_at: now + CODE_SECS,
                    },
                )
                .await
            })
        })
        .await;
    if let Err(error) = stored {
        return back("server_error", &error.message);
    }
    let mut params = vec![("code", code.as_str())];
    if !client_state.is_empty() {
        params.push(("state", client_state.as_str()));
    }
    params.push(("iss", issuer.as_str()));
    to_client(&redirect_uri, &params)
}
