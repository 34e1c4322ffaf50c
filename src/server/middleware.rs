//! Middleware every request passes through: the session, cross-site request refusal, and
//! security headers.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::app::CONSOLE_SECTIONS;
use crate::auth::session::{self, Caller};
use crate::error::{AppError, AppResult};
use crate::server::context::{CallerSlot, ClientIp, RequestTime};
use crate::server::AppState;

/// Files and probes that need no session and get no database round trip.
fn is_public_asset(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path == "/favicon.ico"
        || path == "/healthz"
        || path == "/readyz"
        || path.starts_with("/images/")
}

fn is_console_page(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    path == "/" || CONSOLE_SECTIONS.contains(&first)
}

/// Reads "now" once for the request, resolves the session cookie into the caller (with their
/// current effective scopes), and sends people who are not signed in from a console page to
/// the sign-in page, remembering where they were going.
pub async fn session(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if is_public_asset(&path) {
        return next.run(request).await;
    }
    let now = state.clock.now();
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let ip =
        client_ip(peer, request.headers(), &state.config.trusted_proxies).map(|ip| ip.to_string());
    request.extensions_mut().insert(RequestTime(now));
    request.extensions_mut().insert(ClientIp(ip));

    let token = session::token_from_cookies(request.headers(), state.config.session_cookie_name());
    let bearer = bearer_token(request.headers());
    let caller = match (token, bearer) {
        (Some(token), _) => match resolve(&state, &token, now).await {
            Ok(caller) => caller,
            Err(error) => return error_response(&path, error),
        },
        // The OAuth endpoints read their own tokens; elsewhere a bearer token stands in for the
        // session, as the admin API's way in for scripts.
        (None, Some(bearer)) if !path.starts_with("/oauth/") && path != "/metrics" => {
            match resolve_bearer(&state, &bearer, now).await {
                Ok(Some(caller)) => Some(caller),
                Ok(None) => return invalid_bearer(),
                Err(error) => return error_response(&path, error),
            }
        }
        (None, _) => None,
    };

    let is_read = matches!(*request.method(), Method::GET | Method::HEAD);
    if is_read && caller.is_none() && is_console_page(&path) {
        let target = request
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str().to_string())
            .unwrap_or_else(|| path.clone());
        let next_param =
            serde_urlencoded::to_string([("next", target.as_str())]).unwrap_or_default();
        return redirect(&format!("/sign-in?{next_param}"));
    }
    if is_read && caller.is_some() && path == "/sign-in" {
        return redirect("/users");
    }
    request.extensions_mut().insert(CallerSlot(caller));
    next.run(request).await
}

/// Leptos answers 500 to a server function error raised before the function runs (arguments
/// that do not parse); the body still carries the error's code, so the status comes from it.
pub async fn server_fn_status(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_api || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Error bodies are short (parser complaints are clipped); the cap only guards the buffer.
    let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<crate::error::AppError>(&bytes) {
        parts.status = error.status();
        parts.headers.remove(header::CONTENT_LENGTH);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The address a request came from: the TCP peer, unless the peer is one of the operator's
/// trusted proxies, in which case the nearest address in `X-Forwarded-For` that is not itself
/// a trusted proxy. Addresses further left were written by the client and prove nothing.
pub fn client_ip(
    peer: Option<std::net::IpAddr>,
    headers: &http::HeaderMap,
    trusted: &[std::net::IpAddr],
) -> Option<std::net::IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map_while(|part| part.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .unwrap_or(peer),
    )
}

async fn resolve(state: &AppState, token: &str, now: i64) -> AppResult<Option<Arc<Caller>>> {
    let caller = {
        let mut tx = state.db.read().await?;
        session::authenticate(&mut tx, token, now).await?
    };
    let Some(mut caller) = caller else {
        return Ok(None);
    };
    if state.config.require_second_factor {
        caller.require_second_factor();
    }
    // Mark the session used at most once a minute: enough for the idle timeout, and it keeps
    // a busy console from writing on every request.
    if now - caller.last_seen_at >= 60 {
        let (session_id, idle) = (caller.session_id.clone(), state.config.session_idle_secs);
        state
            .db
            .write(|tx| {
                let session_id = session_id.clone();
                Box::pin(async move { session::touch(tx, &session_id, now, idle).await })
            })
            .await?;
    }
    Ok(Some(Arc::new(caller)))
}

fn bearer_token(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
}

/// The caller behind an access token: its subject (a person, or an application's service
/// account), provided its session (if any) is live and the account active. Its scopes are the
/// subject's effective scopes now, narrowed to those in the token: a role taken away counts at
/// once, a role added reaches the API with the next token.
async fn resolve_bearer(state: &AppState, token: &str, now: i64) -> AppResult<Option<Arc<Caller>>> {
    let Some((claims, user)) = crate::oauth::endpoints::bearer_subject(state, token, now).await?
    else {
        return Ok(None);
    };
    let (live, second_factor) = {
        let mut tx = state.db.read().await?;
        let live = crate::roles::store::effective_scopes(&mut tx, &user.id, now).await?;
        // NOTE: a client-credentials token (no session) is an application acting as itself
        // with a secret, not a person signing in, so the second-factor rule does not apply.
        let second_factor = match &claims.sid {
            Some(sid) => crate::account::store::session_second_factor(&mut tx, sid).await?,
            None => true,
        };
        (live, second_factor)
    };
    let in_token: std::collections::BTreeSet<&str> = claims.scopes().collect();
    let mut caller = Caller {
        session_id: claims.sid.clone().unwrap_or_default(),
        user_id: user.id,
        username: user.username,
        display_name: user.display_name,
        scopes: live
            .into_iter()
            .filter(|s| in_token.contains(s.as_str()))
            .collect(),
        last_seen_at: now,
        signed_in_at: now,
        second_factor,
        withheld: Default::default(),
    };
    if state.config.require_second_factor {
        caller.require_second_factor();
    }
    Ok(Some(Arc::new(caller)))
}

fn invalid_bearer() -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(AppError::new(
            crate::error::ErrorCode::Unauthenticated,
            "The access token is missing, expired, revoked or not Tessera's. Get a new one.",
        )),
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// JSON for API calls, a short page for browsers.
fn error_response(path: &str, error: AppError) -> Response {
    if path.starts_with("/api/") {
        (error.status(), Json(error)).into_response()
    } else {
        let body = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Unavailable · Tessera</title>\
             <link rel=\"stylesheet\" href=\"/pkg/tessera.css\"></head><body><main class=\"standalone\">\
             <div class=\"card narrow\"><h1>Tessera is not available</h1><p role=\"alert\">{}</p>\
             <p><a class=\"button\" href=\"\">Try again</a></p></div></main></body></html>",
            error.message
        );
        let mut response = (error.status(), body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        response
    }
}

/// Endpoints that authenticate with what is in the request itself (a client secret, a code, a
/// token), never with the session cookie: another site's page may call them.
fn is_cookieless_protocol(path: &str) -> bool {
    matches!(
        path,
        "/oauth/token" | "/oauth/revoke" | "/oauth/introspect" | "/oauth/userinfo"
    )
}

/// Refuses state-changing requests that a browser sends on behalf of another site.
///
/// Browsers say where a request comes from in `Sec-Fetch-Site` and `Origin`; a request with
/// neither is not from a browser page (curl, an API client with a bearer token) and passes,
/// since cookies are then not ambient credentials. The sign-in form is covered too, so another
/// site cannot sign a visitor into an account of its choosing.
pub async fn refuse_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || is_cookieless_protocol(request.uri().path())
    {
        return next.run(request).await;
    }
    let headers = request.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());

    let site_ok = match fetch_site {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    };
    let origin_ok = match origin {
        None => true,
        Some(origin) => {
            origin == state.config.public_origin()
                || host.is_some_and(|host| {
                    origin
                        .split_once("://")
                        .is_some_and(|(_, authority)| authority == host)
                })
        }
    };
    if site_ok && origin_ok {
        return next.run(request).await;
    }
    tracing::warn!(
        sec_fetch_site = fetch_site,
        origin = origin,
        "refused a cross-site state-changing request"
    );
    let error = AppError::forbidden("change anything from another site");
    (StatusCode::FORBIDDEN, Json(error)).into_response()
}

/// Headers every response carries.
pub async fn security_headers(request: Request, next: Next) -> Response<Body> {
    let is_asset = request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    // Pages set their own policy with the render's nonce (see `set_page_csp`); everything else
    // (JSON, redirects, files) gets one that allows nothing to run.
    if !headers.contains_key("content-security-policy") {
        // Plain HTML answers (error pages, "returning to the application") may use the
        // stylesheet; nothing else may load anything.
        let html = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        headers.insert(
            "content-security-policy",
            HeaderValue::from_static(if html {
                "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
            } else {
                "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
            }),
        );
    }
    if !is_asset && !headers.contains_key(header::CACHE_CONTROL) {
        // Console pages and API answers hold personal data: never keep them in shared caches.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The policy for a rendered page: scripts only from this origin or carrying this render's
/// nonce (Leptos puts it on its hydration bootstrap and streaming scripts), WebAssembly allowed,
/// no framing, no plugins, forms only to this origin. Called from the shell while it renders.
pub fn set_page_csp() {
    use leptos::prelude::use_context;
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let nonce = leptos::nonce::use_nonce()
        .map(|nonce| format!(" 'nonce-{nonce}'"))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_pages_are_recognised_by_their_first_segment() {
        assert!(is_console_page("/"));
        assert!(is_console_page("/users"));
        assert!(is_console_page("/groups/123/members"));
        assert!(!is_console_page("/sign-in"));
        assert!(!is_console_page("/usersx"));
        assert!(!is_console_page("/api/users/list"));
    }
}

#[cfg(test)]
mod client_ip_tests {
    use super::client_ip;
    use std::net::IpAddr;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn only_a_trusted_proxy_is_believed_about_the_client() {
        let balancer = ip("10.0.0.2");
        let trusted = [balancer, ip("10.0.0.3")];
        let headers = forwarded(&["6.6.6.6, 203.0.113.7"]);
        // Straight from the internet: the header is the client's own claim, ignored.
        assert_eq!(
            client_ip(Some(ip("198.51.100.1")), &headers, &trusted),
            Some(ip("198.51.100.1"))
        );
        // Through the balancer: the entry it appended, not what the client wrote before it.
        assert_eq!(
            client_ip(Some(balancer), &headers, &trusted),
            Some(ip("203.0.113.7"))
        );
        // Two trusted hops: the nearest untrusted entry.
        let two = forwarded(&["203.0.113.7", "10.0.0.3"]);
        assert_eq!(
            client_ip(Some(balancer), &two, &trusted),
            Some(ip("203.0.113.7"))
        );
        // A garbled header from the balancer leaves the balancer's own address.
        let garbled = forwarded(&["not an address"]);
        assert_eq!(
            client_ip(Some(balancer), &garbled, &trusted),
            Some(balancer)
        );
        assert_eq!(client_ip(Some(balancer), &headers, &[]), Some(balancer));
    }
}
