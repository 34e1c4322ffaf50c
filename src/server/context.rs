//! What a server function knows about its request: the shared state, the request's "now", its
//! id, and the caller the session middleware resolved.
//!
//! Every server function starts with [`authorize`]: it refuses an anonymous caller or one whose
//! current effective scopes lack the permission, before any other work happens.

use std::sync::Arc;

use http::request::Parts;
use leptos::prelude::use_context;

use crate::auth::session::Caller;
use crate::auth::Permission;
use crate::error::{AppError, AppResult};
use crate::server::AppState;

/// The request's "now", read once by the middleware so that one request sees one time.
#[derive(Clone, Copy, Debug)]
pub struct RequestTime(pub i64);

/// The client's IP address as the TCP connection shows it (`None` in in-process tests).
#[derive(Clone, Debug, Default)]
pub struct ClientIp(pub Option<String>);

/// The caller the session middleware resolved from the cookie: `None` when signed out.
#[derive(Clone, Debug, Default)]
pub struct CallerSlot(pub Option<Arc<Caller>>);

/// The per-request facts a use case needs besides its arguments.
#[derive(Clone)]
pub struct RequestCtx {
    pub state: AppState,
    pub now: i64,
    pub request_id: Option<String>,
}

impl RequestCtx {
    /// The caller as the audit log names them.
    pub fn actor(&self, caller: &Caller) -> crate::access::domain::Actor {
        crate::access::domain::Actor {
            id: caller.user_id.clone(),
            name: caller.username.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

fn request_ctx() -> AppResult<(RequestCtx, Option<Arc<Caller>>)> {
    let state = use_context::<AppState>().ok_or_else(|| {
        tracing::error!("server function ran without AppState in its context");
        AppError::internal()
    })?;
    let parts = use_context::<Parts>().ok_or_else(|| {
        tracing::error!("server function ran without request parts in its context");
        AppError::internal()
    })?;
    let now = parts
        .extensions
        .get::<RequestTime>()
        .map(|t| t.0)
        .unwrap_or_else(|| state.clock.now());
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let caller = parts
        .extensions
        .get::<CallerSlot>()
        .and_then(|slot| slot.0.clone());
    Ok((
        RequestCtx {
            state,
            now,
            request_id,
        },
        caller,
    ))
}

/// The signed-in caller, whatever their scopes.
pub fn signed_in() -> AppResult<(RequestCtx, Arc<Caller>)> {
    let (ctx, caller) = request_ctx()?;
    match caller {
        Some(caller) => Ok((ctx, caller)),
        None => {
            tracing::warn!("refused: not signed in");
            Err(AppError::unauthenticated())
        }
    }
}

/// The signed-in caller, provided their current effective scopes grant `permission`.
pub fn authorize(permission: Permission) -> AppResult<(RequestCtx, Arc<Caller>)> {
    let (ctx, caller) = signed_in()?;
    if caller.has(permission) {
        Ok((ctx, caller))
    } else {
        tracing::warn!(
            user_id = %caller.user_id,
            scope = permission.scope(),
            "refused: missing scope"
        );
        Err(AppError::forbidden(permission.action()))
    }
}

/// Gives an error its HTTP status before the server function returns it, so that API clients
/// see 401/403/404/409/422/503 rather than a blanket 500.
pub fn finish<T>(result: AppResult<T>) -> AppResult<T> {
    if let Err(error) = &result {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(error.status());
        }
    }
    result
}
