//! Ending sessions on an administrator's word: one, or all of a person's. Each is audited, and
//! ends the session at its next request (every request re-reads its session).

use crate::access::domain::{record, Actor, Event};
use crate::access::{store as access, Change};
use crate::error::AppResult;
use crate::storage::Tx;

pub(crate) fn sessions(n: u64) -> String {
    match n {
        1 => "1 session".to_string(),
        n => format!("{n} sessions"),
    }
}

pub async fn revoke_one(
    tx: &mut Tx,
    actor: &Actor,
    user_id: &str,
    session_id: &str,
    now: i64,
) -> AppResult<Change> {
    let user = access::user(tx, user_id).await?;
    let session_id = access::parse_id("session", session_id)?;
    if !super::store::revoke(tx, &user.id, &session_id, now).await? {
        return Ok(Change::unchanged(format!(
            "That session of {} has already ended; nothing changed.",
            user.display_name
        )));
    }
    record(
        tx,
        actor,
        now,
        Event {
            action: "session.revoke",
            target_type: "user",
            target_id: &user.id,
            target_name: &user.username,
            summary: format!("{} ended a session of {}", actor.name, user.username),
            details: serde_json::json!({ "session_id": session_id }),
        },
    )
    .await?;
    Ok(Change::ended(format!(
        "Ended the session. {} is signed out of it at their next click.",
        user.display_name
    )))
}

pub async fn revoke_all(tx: &mut Tx, actor: &Actor, user_id: &str, now: i64) -> AppResult<Change> {
    let user = access::user(tx, user_id).await?;
    let ended = super::store::revoke_all(tx, &user.id, now).await?;
    if ended == 0 {
        return Ok(Change::unchanged(format!(
            "{} has no live session; nothing changed.",
            user.display_name
        )));
    }
    record(
        tx,
        actor,
        now,
        Event {
            action: "session.revoke_all",
            target_type: "user",
            target_id: &user.id,
            target_name: &user.username,
            summary: format!(
                "{} ended all {} of {}",
                actor.name,
                sessions(ended),
                user.username
            ),
            details: serde_json::json!({ "sessions_ended": ended }),
        },
    )
    .await?;
    Ok(Change::ended(format!(
        "Ended {} of {}. They are signed out at their next click.",
        sessions(ended),
        user.display_name
    )))
}
