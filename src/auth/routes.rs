//! The sign-in and sign-out form endpoints. They are plain HTML form posts answered with a
//! redirect, so the sign-in page works before hydration and without JavaScript.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use secrecy::SecretString;
use serde::Deserialize;

use crate::auth::{password, session, throttle};
use crate::error::AppError;
use crate::server::context::{ClientIp, RequestTime};
use crate::server::AppState;

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct VerifyForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

#[derive(sqlx::FromRow)]
struct Candidate {
    id: String,
    username: String,
    disabled: bool,
    password_hash: Option<String>,
    /// Sign-in asks for an authenticator code after the password.
    second_factor: bool,
}

/// How long a sign-in may wait between the password and the code.
const CHALLENGE_SECS: i64 = 5 * 60;
/// Wrong codes allowed per password sign-in before it must start again.
const MAX_CODE_ATTEMPTS: i64 = 5;

/// Only paths on this site, so the sign-in form cannot be used to bounce people elsewhere.
pub fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control());
    if local && !next.starts_with("/sign-in") && !next.starts_with("/auth/") {
        next
    } else {
        "/users"
    }
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn failed(next: &str) -> Response {
    back_to_sign_in("1", next)
}

/// The sign-in page again, with `error` saying why (see `SignInPage`).
fn back_to_sign_in(error: &str, next: &str) -> Response {
    see_other(&format!(
        "/sign-in?error={error}&next={}",
        form_urlencoded_component(safe_next(next))
    ))
}

fn form_urlencoded_component(value: &str) -> String {
    serde_urlencoded::to_string([("", value)])
        .map(|s| s.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `POST /auth/sign-in`. Unknown user, wrong password, disabled account and a user without a
/// password all take one Argon2id verification and get the same redirect.
pub async fn sign_in(
    State(state): State<AppState>,
    Extension(RequestTime(now)): Extension<RequestTime>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let username = form.username.trim().to_string();
    let waited = async {
        let mut tx = state.db.read().await?;
        throttle::wait(&mut tx, &username, ip.as_deref(), now).await
    };
    match waited.await {
        Ok(0) => {}
        Ok(seconds) => {
            crate::server::metrics::sign_in_failure("throttled");
            tracing::warn!(seconds, "sign-in throttled");
            return see_other(&format!(
                "/sign-in?error=wait&seconds={seconds}&next={}",
                form_urlencoded_component(safe_next(&form.next))
            ));
        }
        Err(error) => return error_page(error),
    }
    let candidate = if username.is_empty() || username.chars().count() > 64 {
        None
    } else {
        match find_candidate(&state, &username).await {
            Ok(candidate) => candidate,
            Err(error) => return error_page(error),
        }
    };

    let stored_hash = candidate.as_ref().and_then(|c| c.password_hash.clone());
    let password_ok = password::verify(
        SecretString::from(form.password),
        stored_hash,
        &state.dummy_hash,
    )
    .await;

    let user = match candidate {
        Some(user) if password_ok && !user.disabled => user,
        other => {
            tracing::warn!(
                user_id = other.as_ref().map(|u| u.id.as_str()),
                "sign-in refused"
            );
            crate::server::metrics::sign_in_failure("credentials");
            let counted = state
                .db
                .write(|tx| {
                    let (username, ip) = (username.clone(), ip.clone());
                    Box::pin(async move {
                        throttle::record_failure(tx, &username, ip.as_deref(), now).await
                    })
                })
                .await;
            if let Err(error) = counted {
                return error_page(error);
            }
            return failed(&form.next);
        }
    };

    if user.second_factor {
        return ask_for_code(&state, &user, &username, ip.as_deref(), now, &form.next).await;
    }
    let new_session = session::NewSession {
        user_id: user.id.clone(),
        user_name: user.username.clone(),
        now,
        idle_secs: state.config.session_idle_secs,
        absolute_secs: state.config.session_absolute_secs,
        ip_address: ip.clone(),
        user_agent: user_agent(&headers),
        request_id: request_id(&headers),
        second_factor: None,
    };
    let created = state
        .db
        .write(|tx| {
            let (new_session, username, ip) = (new_session.clone(), username.clone(), ip.clone());
            Box::pin(async move {
                throttle::record_success(tx, &username, ip.as_deref()).await?;
                session::create(tx, &new_session).await
            })
        })
        .await;
    match created {
        Ok(token) => {
            tracing::info!(user_id = %user.id, "signed in");
            signed_in(&state, &token, &form.next)
        }
        Err(error) => error_page(error),
    }
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Where a successful sign-in goes, with the session cookie set (and any challenge cookie
/// cleared).
fn signed_in(state: &AppState, token: &str, next: &str) -> Response {
    let next = safe_next(next);
    let mut response = if next.starts_with("/oauth/authorize?") {
        continue_to(next)
    } else {
        see_other(next)
    };
    for cookie in [
        session::cookie(&state.config, Some(token)),
        session::challenge_cookie(&state.config, None),
    ] {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The password was right and the account has an authenticator: remember the half-done
/// sign-in (a random token in a short-lived cookie) and ask for the code.
async fn ask_for_code(
    state: &AppState,
    user: &Candidate,
    username: &str,
    ip: Option<&str>,
    now: i64,
    next: &str,
) -> Response {
    let token = session::random_token();
    let token_hash = session::hash_token(&token);
    let user_id = user.id.clone();
    let stored = state
        .db
        .write(|tx| {
            let (token_hash, user_id) = (token_hash.clone(), user_id.clone());
            let (username, ip) = (username.to_string(), ip.map(str::to_string));
            Box::pin(async move {
                throttle::record_success(tx, &username, ip.as_deref()).await?;
                crate::account::store::insert_challenge(
                    tx,
                    &token_hash,
                    &user_id,
                    now,
                    now + CHALLENGE_SECS,
                )
                .await
            })
        })
        .await;
    if let Err(error) = stored {
        return error_page(error);
    }
    tracing::info!(user_id = %user.id, "password accepted; asking for the second factor");
    let mut response = see_other(&format!(
        "/sign-in/verify?next={}",
        form_urlencoded_component(safe_next(next))
    ));
    let cookie = session::challenge_cookie(&state.config, Some(&token));
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

enum Verified {
    Session(String),
    Wrong,
    /// No live half-done sign-in: expired, already finished, or never started.
    Expired,
    TooManyAttempts,
}

/// `POST /auth/verify`: the second step of a sign-in, with an authenticator or recovery code.
/// Each wrong code counts against the sign-in; after a few it must start again from the
/// password.
pub async fn verify(
    State(state): State<AppState>,
    Extension(RequestTime(now)): Extension<RequestTime>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    Form(form): Form<VerifyForm>,
) -> Response {
    let Some(token) = session::token_from_cookies(&headers, state.config.challenge_cookie_name())
    else {
        return back_to_sign_in("expired", &form.next);
    };
    let token_hash = session::hash_token(&token);
    let code: String = form.code.chars().take(64).collect();
    let (ip, user_agent, request_id) = (ip, user_agent(&headers), request_id(&headers));
    let config = state.config.clone();
    let outcome = state
        .db
        .write(|tx| {
            let (token_hash, code, config) = (token_hash.clone(), code.clone(), config.clone());
            let (ip, user_agent, request_id) = (ip.clone(), user_agent.clone(), request_id.clone());
            Box::pin(async move {
                use crate::account::{domain as account, store};
                let Some((user_id, attempts)) =
                    store::attempt_challenge(tx, &token_hash, now).await?
                else {
                    return Ok(Verified::Expired);
                };
                if attempts > MAX_CODE_ATTEMPTS {
                    store::delete_challenge(tx, &token_hash).await?;
                    return Ok(Verified::TooManyAttempts);
                }
                let Some(factor) = account::use_second_factor(tx, &user_id, &code, now).await?
                else {
                    return Ok(Verified::Wrong);
                };
                store::delete_challenge(tx, &token_hash).await?;
                // The account may have been disabled between the two steps.
                let Some(user) = active_user(tx, &user_id).await? else {
                    return Ok(Verified::Expired);
                };
                let new_session = session::NewSession {
                    user_id: user.id,
                    user_name: user.username,
                    now,
                    idle_secs: config.session_idle_secs,
                    absolute_secs: config.session_absolute_secs,
                    ip_address: ip,
                    user_agent,
                    request_id,
                    second_factor: Some(factor.words()),
                };
                Ok(Verified::Session(session::create(tx, &new_session).await?))
            })
        })
        .await;
    match outcome {
        Ok(Verified::Session(token)) => {
            tracing::info!("signed in with a second factor");
            signed_in(&state, &token, &form.next)
        }
        Ok(Verified::Wrong) => {
            crate::server::metrics::sign_in_failure("second_factor");
            tracing::warn!("second factor refused");
            see_other(&format!(
                "/sign-in/verify?error=1&next={}",
                form_urlencoded_component(safe_next(&form.next))
            ))
        }
        Ok(Verified::Expired) => back_to_sign_in("expired", &form.next),
        Ok(Verified::TooManyAttempts) => {
            crate::server::metrics::sign_in_failure("second_factor");
            tracing::warn!("second factor refused too often; the sign-in must start again");
            back_to_sign_in("attempts", &form.next)
        }
        Err(error) => error_page(error),
    }
}

async fn active_user(
    tx: &mut crate::storage::Tx,
    user_id: &str,
) -> Result<Option<Candidate>, AppError> {
    crate::on_db!(tx, |c| {
        sqlx::query_as::<_, Candidate>(&format!(
            "SELECT id, username, disabled, password_hash, {HAS_SECOND_FACTOR} FROM users
             WHERE id = $1 AND disabled = FALSE"
        ))
        .bind(user_id)
        .fetch_optional(&mut *c)
        .await
        .map_err(crate::storage::db_error)
    })
}

const HAS_SECOND_FACTOR: &str = "EXISTS (SELECT 1 FROM totp_credentials t
    WHERE t.user_id = users.id AND t.confirmed_at IS NOT NULL) AS second_factor";

async fn find_candidate(state: &AppState, username: &str) -> Result<Option<Candidate>, AppError> {
    let mut tx = state.db.read().await?;
    crate::on_db!(tx, |c| {
        sqlx::query_as::<_, Candidate>(&format!(
            "SELECT id, username, disabled, password_hash, {HAS_SECOND_FACTOR} FROM users
             WHERE lower(username) = lower($1)"
        ))
        .bind(username)
        .fetch_optional(&mut *c)
        .await
        .map_err(crate::storage::db_error)
    })
}

/// `POST /auth/sign-out`: ends the session (if any) and clears the cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    Extension(RequestTime(now)): Extension<RequestTime>,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = session::token_from_cookies(&headers, state.config.session_cookie_name()) {
        let request_id = request_id(&headers);
        let result = state
            .db
            .write(|tx| {
                let (token, request_id) = (token.clone(), request_id.clone());
                Box::pin(
                    async move { session::sign_out(tx, &token, now, request_id.as_deref()).await },
                )
            })
            .await;
        if let Err(error) = result {
            return error_page(error);
        }
    }
    let mut response = see_other("/sign-in?signed_out=1");
    if let Ok(cookie) = HeaderValue::from_str(&session::cookie(&state.config, None)) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// After a sign-in that an application asked for: a page that moves on to the authorization
/// endpoint by itself. A redirect straight from the form post would carry the form submission on
/// to the application's redirect URI, which the page's `form-action 'self'` policy forbids.
fn continue_to(next: &str) -> Response {
    let href = next.replace('&', "&amp;").replace('"', "&quot;");
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"0;url={href}\"><title>Signed in · Tessera</title>\
         <link rel=\"stylesheet\" href=\"/pkg/tessera.css\"></head><body><main class=\"standalone\">\
         <div class=\"card narrow\"><h1>Signed in</h1><p>Returning to the application…</p>\
         <p><a class=\"button\" href=\"{href}\">Continue</a></p></div></main></body></html>"
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// A plain page for the rare failure of the sign-in machinery itself (the database is down).
fn error_page(error: AppError) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in failed · Tessera</title>\
         <link rel=\"stylesheet\" href=\"/pkg/tessera.css\"></head><body><main class=\"standalone\">\
         <div class=\"card narrow\"><h1>Sign-in failed</h1><p role=\"alert\">{}</p>\
         <p><a class=\"button\" href=\"/sign-in\">Back to sign-in</a></p></div></main></body></html>",
        error.message
    );
    (
        error.status(),
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_accepts_only_local_paths() {
        assert_eq!(safe_next("/groups?q=eng"), "/groups?q=eng");
        assert_eq!(safe_next("https://evil.example/"), "/users");
        assert_eq!(safe_next("//evil.example/"), "/users");
        assert_eq!(safe_next("/\\evil.example/"), "/users");
        assert_eq!(safe_next(""), "/users");
        assert_eq!(safe_next("/sign-in"), "/users");
    }
}
