//! Disabling, enabling and offboarding an account. Disabled, a person cannot sign in and every
//! session of theirs ends in the same transaction; they keep their history, roles and groups.
//! Enabled again, they can sign in; their old sessions stay ended. Offboarded, they also lose
//! every direct role and group membership.

use crate::access::domain::{ensure_an_admin_remains, record, Actor, Event};
use crate::access::{store as access, Change, Created};
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

/// What offboarding `user_id` would remove now.
pub async fn offboard_preview(
    tx: &mut Tx,
    user_id: &str,
    now: i64,
) -> AppResult<super::offboard::OffboardPreview> {
    let user = access::user(tx, user_id).await?;
    Ok(super::offboard::OffboardPreview {
        roles: access::direct_roles(tx, &user.id, now).await?,
        groups: access::memberships(tx, &user.id, now).await?,
        live_sessions: crate::sessions::store::live_for_user(tx, &user.id, now)
            .await?
            .len() as i64,
        user_id: user.id,
        display_name: user.display_name,
        disabled: user.disabled,
    })
}

/// Removes every direct role and membership of a person, ends every session, and optionally
/// disables the account: one parent event (`user.offboard`) with a child per removal.
pub async fn offboard(
    tx: &mut Tx,
    actor: &Actor,
    user_id: &str,
    disable: bool,
    now: i64,
) -> AppResult<Change> {
    use crate::access::store::{delete_link, MEMBERSHIP, USER_ROLE};
    use crate::audit::store::{self as audit, NewEvent};

    let plan = offboard_preview(tx, user_id, now).await?;
    if plan.user_id == actor.id {
        return Err(AppError::conflict(
            "You cannot offboard yourself. Ask another administrator.",
        ));
    }
    let user = access::user(tx, &plan.user_id).await?;
    let disabling = disable && !user.disabled;
    if plan.roles.is_empty() && plan.groups.is_empty() && plan.live_sessions == 0 && !disabling {
        return Ok(Change::unchanged(format!(
            "{} has no direct role, no group and no live session{}; nothing changed.",
            user.display_name,
            if user.disabled {
                ", and is disabled"
            } else {
                ""
            }
        )));
    }
    let mut done = vec![
        format!("removed {}", count(plan.roles.len(), "direct role")),
        count(plan.groups.len(), "group membership"),
        format!("ended {}", sessions(plan.live_sessions as u64)),
    ];
    if disabling {
        done.push("disabled the account".to_string());
    }
    let actor_id = (!actor.id.is_empty()).then_some(actor.id.as_str());
    let event = |action: &'static str, summary: String, details, parent| NewEvent {
        at: now,
        actor_id,
        actor_name: &actor.name,
        action,
        target_type: Some("user"),
        target_id: Some(&user.id),
        target_name: Some(&user.username),
        parent_id: parent,
        summary,
        details,
        request_id: actor.request_id.as_deref(),
    };
    let parent = audit::record(
        tx,
        &event(
            "user.offboard",
            format!(
                "{} offboarded {}: {}",
                actor.name,
                user.username,
                done.join(", ")
            ),
            serde_json::json!({
                "roles": plan.roles, "groups": plan.groups,
                "sessions_ended": plan.live_sessions, "disabled": disabling,
            }),
            None,
        ),
    )
    .await?;
    for role in &plan.roles {
        delete_link(tx, USER_ROLE, &user.id, &role.role_id, now).await?;
        audit::record(
            tx,
            &event(
                "user.role.remove",
                format!(
                    "{} removed the role {} from {}",
                    actor.name, role.role_name, user.username
                ),
                serde_json::json!({
                    "role_id": role.role_id, "role_name": role.role_name,
                    "before": { "expires_at": role.expires_at },
                }),
                Some(parent),
            ),
        )
        .await?;
    }
    for group in &plan.groups {
        delete_link(tx, MEMBERSHIP, &group.group_id, &user.id, now).await?;
        audit::record(
            tx,
            &event(
                "group.member.remove",
                format!(
                    "{} removed {} from the group {}",
                    actor.name, user.username, group.group_name
                ),
                serde_json::json!({
                    "group_id": group.group_id, "group_name": group.group_name,
                    "before": { "expires_at": group.expires_at },
                }),
                Some(parent),
            ),
        )
        .await?;
    }
    let ended = crate::sessions::store::revoke_all(tx, &user.id, now).await?;
    if ended > 0 {
        audit::record(
            tx,
            &event(
                "session.revoke_all",
                format!(
                    "{} ended all {} of {}",
                    actor.name,
                    sessions(ended),
                    user.username
                ),
                serde_json::json!({ "sessions_ended": ended }),
                Some(parent),
            ),
        )
        .await?;
    }
    if disabling {
        super::store::set_disabled(tx, &user.id, true, now).await?;
        audit::record(
            tx,
            &event(
                "user.disable",
                format!("{} disabled {}", actor.name, user.username),
                serde_json::json!({ "before": { "disabled": false }, "after": { "disabled": true } }),
                Some(parent),
            ),
        )
        .await?;
    }
    // Taking the Administrator role or a group that carries it, or disabling, may leave nobody.
    ensure_an_admin_remains(tx, now).await?;
    Ok(Change::ended(format!(
        "Offboarded {}: {}.",
        user.display_name,
        done.join(", ")
    )))
}

fn count(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// Creates a person. `user.password_hash` is already hashed (off the async threads) by the
/// caller; without one, they cannot sign in until an administrator sets a password.
pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    user: &super::store::NewUser,
    now: i64,
) -> AppResult<Created> {
    let id = super::store::insert(tx, user, now).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "user.create",
            target_type: "user",
            target_id: &id,
            target_name: &user.username,
            summary: format!("{} created the user {}", actor.name, user.username),
            details: serde_json::json!({
                "after": {
                    "username": user.username, "display_name": user.display_name,
                    "email": user.email, "password": user.password_hash.is_some(),
                },
            }),
        },
    )
    .await?;
    let message = if user.password_hash.is_some() {
        format!(
            "Created {}. They can sign in with the password you chose; ask them to change it.",
            user.display_name
        )
    } else {
        format!(
            "Created {}. They cannot sign in until someone sets a password.",
            user.display_name
        )
    };
    Ok(Created { id, message })
}

/// Changes a person's display name and email.
pub async fn update_profile(
    tx: &mut Tx,
    actor: &Actor,
    user_id: &str,
    display_name: &str,
    email: &str,
    now: i64,
) -> AppResult<Change> {
    let before = access::user(tx, user_id).await?;
    let parsed = super::store::NewUser::parse(&before.username, display_name, Some(email), None)?;
    if parsed.display_name == before.display_name && parsed.email == before.email {
        return Ok(Change::unchanged(format!(
            "{} already reads like that; nothing changed.",
            before.display_name
        )));
    }
    super::store::set_profile(
        tx,
        &before.id,
        &parsed.display_name,
        parsed.email.as_deref(),
        now,
    )
    .await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "user.update",
            target_type: "user",
            target_id: &before.id,
            target_name: &before.username,
            summary: format!("{} edited the profile of {}", actor.name, before.username),
            details: serde_json::json!({
                "before": { "display_name": before.display_name, "email": before.email },
                "after": { "display_name": parsed.display_name, "email": parsed.email },
            }),
        },
    )
    .await?;
    Ok(Change::ended(format!(
        "Saved the profile of {}.",
        parsed.display_name
    )))
}

/// Sets a new password for someone else (a forgotten one, or a first one), optionally ending
/// their sessions. The hash is made by the caller, off the async threads.
pub async fn set_password(
    tx: &mut Tx,
    actor: &Actor,
    user_id: &str,
    hash: &str,
    sign_out: bool,
    now: i64,
) -> AppResult<Change> {
    let user = access::user(tx, user_id).await?;
    if user.id == actor.id {
        return Err(AppError::conflict(
            "Change your own password on your account page: it asks for the current one.",
        ));
    }
    super::store::set_password_hash(tx, &user.id, hash, now).await?;
    let ended = if sign_out {
        Some(crate::sessions::store::revoke_all(tx, &user.id, now).await?)
    } else {
        None
    };
    record(
        tx,
        actor,
        now,
        Event {
            action: "user.password.set",
            target_type: "user",
            target_id: &user.id,
            target_name: &user.username,
            summary: match ended {
                Some(n) => format!(
                    "{} set a new password for {} and ended {}",
                    actor.name,
                    user.username,
                    sessions(n)
                ),
                None => format!("{} set a new password for {}", actor.name, user.username),
            },
            details: serde_json::json!({ "sessions_ended": ended }),
        },
    )
    .await?;
    Ok(Change::ended(match ended {
        Some(n) => format!(
            "Set a new password for {} and ended {}. Tell them the password by a safe channel.",
            user.display_name,
            sessions(n)
        ),
        None => format!(
            "Set a new password for {}. Tell them by a safe channel; their sessions go on.",
            user.display_name
        ),
    }))
}
