//! The SQL of console sessions as an administrator sees them: the live ones of a user, and
//! ending them. "Live" is the rule `auth::session::authenticate` applies: not revoked, neither
//! idle nor absolute expiry passed.

use super::SessionInfo;
use crate::error::AppResult;
use crate::on_db;
use crate::storage::{db_error, Tx};

const LIVE: &str = "revoked_at IS NULL AND idle_expires_at > $2 AND absolute_expires_at > $2";

/// The user's live sessions, most recently used first.
pub async fn live_for_user(tx: &mut Tx, user_id: &str, now: i64) -> AppResult<Vec<SessionInfo>> {
    on_db!(tx, |c| {
        sqlx::query_as(
            "SELECT s.id, s.created_at, s.last_seen_at, s.idle_expires_at, s.absolute_expires_at,
                 s.ip_address, s.user_agent, s.client_id, c.name AS client_name
             FROM sessions s LEFT JOIN oauth_clients c ON c.client_id = s.client_id
             WHERE s.user_id = $1 AND s.revoked_at IS NULL
               AND s.idle_expires_at > $2 AND s.absolute_expires_at > $2
             ORDER BY s.last_seen_at DESC, s.id",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)
    })
}

/// Ends one live session of the user; returns whether there was one to end.
pub async fn revoke(tx: &mut Tx, user_id: &str, session_id: &str, now: i64) -> AppResult<bool> {
    let ended = on_db!(tx, |c| {
        sqlx::query(&format!(
            "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND id = $3 AND {LIVE}"
        ))
        .bind(user_id)
        .bind(now)
        .bind(session_id)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(ended > 0)
}

/// Ends every live session of the user; returns how many there were.
pub async fn revoke_all(tx: &mut Tx, user_id: &str, now: i64) -> AppResult<u64> {
    Ok(on_db!(tx, |c| {
        sqlx::query(&format!(
            "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND {LIVE}"
        ))
        .bind(user_id)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    }))
}

/// Ends every live session of the group's live members; returns how many sessions ended.
pub async fn revoke_all_of_group(tx: &mut Tx, group_id: &str, now: i64) -> AppResult<u64> {
    Ok(on_db!(tx, |c| {
        sqlx::query(&format!(
            "UPDATE sessions SET revoked_at = $2 WHERE {LIVE} AND user_id IN (
                 SELECT user_id FROM group_members
                 WHERE group_id = $1 AND (expires_at IS NULL OR expires_at > $2))"
        ))
        .bind(group_id)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    }))
}

/// Ends every live session of everyone who holds the role now, directly or through a group;
/// returns how many sessions ended.
pub async fn revoke_all_of_role(tx: &mut Tx, role_id: &str, now: i64) -> AppResult<u64> {
    Ok(on_db!(tx, |c| {
        sqlx::query(&format!(
            "UPDATE sessions SET revoked_at = $2 WHERE {LIVE} AND user_id IN (
                 SELECT ur.user_id FROM user_roles ur
                 WHERE ur.role_id = $1 AND (ur.expires_at IS NULL OR ur.expires_at > $2)
                 UNION
                 SELECT gm.user_id FROM group_roles gr
                 JOIN group_members gm ON gm.group_id = gr.group_id
                 WHERE gr.role_id = $1
                   AND (gr.expires_at IS NULL OR gr.expires_at > $2)
                   AND (gm.expires_at IS NULL OR gm.expires_at > $2))"
        ))
        .bind(role_id)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    }))
}
