//! Disabling and enabling an account. Disabled, a person cannot sign in and every session of
//! theirs ends in the same transaction; they keep their history, roles and groups. Enabled
//! again, they can sign in; their old sessions stay ended.

use crate::access::domain::{ensure_an_admin_remains, record, Actor, Event};
use crate::access::{store as access, Change};
use crate::error::{AppError, AppResult};
use crate::sessions::domain::sessions;
use crate::storage::Tx;

pub async fn set_disabled(
    tx: &mut Tx,
    actor: &Actor,
    user_id: &str,
    disabled: bool,
    now: i64,
) -> AppResult<Change> {
    let user = access::user(tx, user_id).await?;
    if disabled && user.id == actor.id {
        return Err(AppError::conflict(
            "You cannot disable your own account. Ask another administrator.",
        ));
    }
    if user.disabled == disabled {
        return Ok(Change::unchanged(format!(
            "{} is already {}; nothing changed.",
            user.display_name,
            if disabled { "disabled" } else { "active" }
        )));
    }
    super::store::set_disabled(tx, &user.id, disabled, now).await?;
    if !disabled {
        record(
            tx,
            actor,
            now,
            Event {
                action: "user.enable",
                target_type: "user",
                target_id: &user.id,
                target_name: &user.username,
                summary: format!("{} enabled {}", actor.name, user.username),
                details: serde_json::json!({ "before": { "disabled": true }, "after": { "disabled": false } }),
            },
        )
        .await?;
        return Ok(Change::ended(format!(
            "Enabled {}. They can sign in again; their old sessions stay ended.",
            user.display_name
        )));
    }
    ensure_an_admin_remains(tx, now).await?;
    let ended = crate::sessions::store::revoke_all(tx, &user.id, now).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "user.disable",
            target_type: "user",
            target_id: &user.id,
            target_name: &user.username,
            summary: format!(
                "{} disabled {} and ended {}",
                actor.name,
                user.username,
                sessions(ended)
            ),
            details: serde_json::json!({
                "before": { "disabled": false }, "after": { "disabled": true },
                "sessions_ended": ended,
            }),
        },
    )
    .await?;
    Ok(Change::ended(format!(
        "Disabled {}: {} ended, and they cannot sign in until enabled.",
        user.display_name,
        sessions(ended)
    )))
}
