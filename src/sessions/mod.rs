//! Console sessions as an administrator sees them: a person's live sessions, and ending one or
//! all of them "right now".

#[cfg(feature = "ssr")]
pub mod domain;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::access::Change;
use crate::error::AppError;

/// A live session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SessionInfo {
    pub id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub idle_expires_at: i64,
    pub absolute_expires_at: i64,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// The application the session signed in to; `None` for the console.
    pub client_id: Option<String>,
    pub client_name: Option<String>,
}

/// A person's live sessions, and what the caller may do with them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserSessions {
    pub sessions: Vec<SessionInfo>,
    /// The caller's own session, so the page can mark "this session".
    pub current_session_id: String,
    pub can_revoke: bool,
    pub now: i64,
    /// How long access tokens live: those already issued stay valid offline until they expire.
    pub access_token_secs: i64,
}

/// A person's live sessions. Needs `users:read`.
#[server(prefix = "/api", endpoint = "users/sessions")]
pub async fn list_user_sessions(user_id: String) -> Result<UserSessions, AppError> {
    use crate::auth::Permission;
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, caller) = authorize(Permission::UsersRead)?;
            let mut tx = ctx.state.db.read().await?;
            let user = crate::access::store::user(&mut tx, &user_id).await?;
            Ok(UserSessions {
                sessions: store::live_for_user(&mut tx, &user.id, ctx.now).await?,
                current_session_id: caller.session_id.clone(),
                can_revoke: caller.has(Permission::SessionsRevoke),
                now: ctx.now,
                access_token_secs: ctx.state.config.access_token_secs,
            })
        }
        .await,
    )
}

/// Ends one session of a person at once. Needs `sessions:revoke`.
#[server(prefix = "/api", endpoint = "users/sessions/revoke", input = Json)]
pub async fn revoke_session(user_id: String, session_id: String) -> Result<Change, AppError> {
    crate::access::apply_change(
        crate::auth::Permission::SessionsRevoke,
        "ended a session",
        move |tx, actor, now| {
            let (user_id, session_id) = (user_id.clone(), session_id.clone());
            Box::pin(
                async move { domain::revoke_one(tx, &actor, &user_id, &session_id, now).await },
            )
        },
    )
    .await
}

/// Ends every session of a person at once. Needs `sessions:revoke`.
#[server(prefix = "/api", endpoint = "users/sessions/revoke-all", input = Json)]
pub async fn revoke_all_sessions(user_id: String) -> Result<Change, AppError> {
    crate::access::apply_change(
        crate::auth::Permission::SessionsRevoke,
        "ended all sessions of a user",
        move |tx, actor, now| {
            let user_id = user_id.clone();
            Box::pin(async move { domain::revoke_all(tx, &actor, &user_id, now).await })
        },
    )
    .await
}

/// Disables a person's account (ending their sessions) or enables it again. Needs
/// `users:write`.
#[server(prefix = "/api", endpoint = "users/disable", input = Json)]
pub async fn set_user_disabled(user_id: String, disabled: bool) -> Result<Change, AppError> {
    crate::access::apply_change(
        crate::auth::Permission::UsersWrite,
        if disabled {
            "disabled a user"
        } else {
            "enabled a user"
        },
        move |tx, actor, now| {
            let user_id = user_id.clone();
            Box::pin(async move {
                crate::users::domain::set_disabled(tx, &actor, &user_id, disabled, now).await
            })
        },
    )
    .await
}
