//! The sign-in and sign-out form endpoints. They are plain HTML form posts answered with a
//! redirect, so the sign-in page works before hydration and without JavaScript.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use secrecy::SecretString;
use serde::Deserialize;

use crate::auth::{password, session};
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

#[derive(sqlx::FromRow)]
struct Candidate {
    id: String,
    username: String,
    disabled: bool,
    password_hash: Option<String>,
}

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
    see_other(&format!(
        "/sign-in?error=1&next={}",
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
            return failed(&form.next);
        }
    };

    let new_session = session::NewSession {
        user_id: user.id.clone(),
        user_name: user.username.clone(),
        now,
        idle_secs: state.config.session_idle_secs,
        absolute_secs: state.config.session_absolute_secs,
        ip_address: ip,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        request_id: request_id(&headers),
    };
    let created = state
        .db
        .write(|tx| {
            let new_session = new_session.clone();
            Box::pin(async move { session::create(tx, &new_session).await })
        })
        .await;
    match created {
        Ok(token) => {
            tracing::info!(user_id = %user.id, "signed in");
            let next = safe_next(&form.next);
            let mut response = if next.starts_with("/oauth/authorize?") {
                continue_to(next)
            } else {
                see_other(next)
            };
            if let Ok(cookie) = HeaderValue::from_str(&session::cookie(&state.config, Some(&token)))
            {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(error) => error_page(error),
    }
}

async fn find_candidate(state: &AppState, username: &str) -> Result<Option<Candidate>, AppError> {
    let mut tx = state.db.read().await?;
    crate::on_db!(tx, |c| {
        sqlx::query_as::<_, Candidate>(
            "SELECT id, username, disabled, password_hash FROM users
             WHERE lower(username) = lower($1)",
        )
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
