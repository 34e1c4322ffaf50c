//! Role use cases: create a custom role, rename or describe it, change its scopes, delete it.
//! Built-in roles keep their name and scopes and cannot be deleted: Tessera's own access
//! depends on them.

use crate::access::domain::{record, Actor, Event, SignedOut};
use crate::access::{store as access, Change};
use crate::error::{AppError, AppResult};
use crate::storage::Tx;

fn check_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 128 {
        return Err(AppError::invalid("A role name needs 1 to 128 characters."));
    }
    Ok(name.to_string())
}

fn check_description(description: &str) -> AppResult<String> {
    let description = description.trim();
    if description.chars().count() > 500 {
        return Err(AppError::invalid(
            "A description can have at most 500 characters.",
        ));
    }
    Ok(description.to_string())
}

async fn require_scope(tx: &mut Tx, scope: &str) -> AppResult<()> {
    if crate::scopes::store::find(tx, scope).await?.is_none() {
        return Err(AppError::invalid(format!(
            "There is no scope named “{scope}”. Create it in the scopes catalogue first."
        )));
    }
    Ok(())
}

pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    name: &str,
    description: &str,
    scopes: &[String],
    now: i64,
) -> AppResult<Change> {
    let name = check_name(name)?;
    let description = check_description(description)?;
    let mut scopes: Vec<&str> = scopes.iter().map(|s| s.trim()).collect();
    scopes.sort_unstable();
    scopes.dedup();
    for scope in &scopes {
        require_scope(tx, scope).await?;
    }
    let id = super::store::insert(tx, &name, &description, &scopes, now).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "role.create",
            target_type: "role",
            target_id: &id,
            target_name: &name,
            summary: format!("{} created the role {name}", actor.name),
            details: serde_json::json!({ "after": { "description": description, "scopes": scopes } }),
        },
    )
    .await?;
    Ok(Change::changed(format!("Created the role {name}."), false))
}

/// Renames a role or changes its description. A built-in role keeps its name, which Tessera's
/// documentation and its administrators rely on; its description may change.
pub async fn update(
    tx: &mut Tx,
    actor: &Actor,
    role_id: &str,
    edit: crate::access::domain::Edit<'_>,
    now: i64,
) -> AppResult<Change> {
    let role = access::role_header(tx, role_id).await?;
    let name = check_name(edit.name)?;
    let description = check_description(edit.description)?;
    crate::access::Seen::check(
        edit.seen,
        "role",
        (&role.name, &role.description),
        (&name, &description),
    )?;
    if role.builtin && name != role.name {
        return Err(AppError::conflict(format!(
            "The built-in role {} keeps its name.",
            role.name
        )));
    }
    if name == role.name && description == role.description {
        return Ok(Change::unchanged(format!(
            "The role {} already has this name and description; nothing changed.",
            role.name
        )));
    }
    super::store::update(tx, &role.id, &name, &description).await?;
    let summary = if name != role.name {
        format!("{} renamed the role {} to {name}", actor.name, role.name)
    } else {
        format!("{} changed the description of the role {name}", actor.name)
    };
    record(
        tx,
        actor,
        now,
        Event {
            action: "role.update",
            target_type: "role",
            target_id: &role.id,
            target_name: &name,
            summary,
            details: serde_json::json!({
                "before": { "name": role.name, "description": role.description },
                "after": { "name": name, "description": description },
            }),
        },
    )
    .await?;
    // A role's name is not in any token, so nobody's access changes.
    Ok(Change::changed(format!("Saved the role {name}."), false))
}

/// Adds a scope to a role, or takes one away (`grant` false). Everyone holding the role gains
/// or loses it at their next token.
pub async fn set_scope(
    tx: &mut Tx,
    actor: &Actor,
    role_id: &str,
    scope: &str,
    grant: bool,
    sign_out: bool,
    now: i64,
) -> AppResult<Change> {
    let role = access::role_header(tx, role_id).await?;
    if role.builtin {
        return Err(AppError::conflict(
            "Built-in roles keep their scopes: Tessera's own access depends on them.",
        ));
    }
    let scope = scope.trim();
    require_scope(tx, scope).await?;
    let changed = super::store::set_scope(tx, &role.id, scope, grant).await?;
    if !changed {
        return Ok(Change::unchanged(if grant {
            format!(
                "The role {} already grants {scope}; nothing changed.",
                role.name
            )
        } else {
            format!(
                "The role {} does not grant {scope}; nothing changed.",
                role.name
            )
        }));
    }
    // Only a removal takes access away; adding a scope has nobody to sign out.
    let signed_out = SignedOut::of_role(tx, &role.id, sign_out && !grant, now).await?;
    let (action, summary, message) = if grant {
        (
            "role.scope.add",
            format!(
                "{} added the scope {scope} to the role {}",
                actor.name, role.name
            ),
            format!("The role {} now grants {scope}", role.name),
        )
    } else {
        (
            "role.scope.remove",
            format!(
                "{} removed the scope {scope} from the role {}{}",
                actor.name,
                role.name,
                signed_out
                    .summary()
                    .replace(" signed them out", " signed its holders out")
            ),
            format!("The role {} no longer grants {scope}", role.name),
        )
    };
    record(
        tx,
        actor,
        now,
        Event {
            action,
            target_type: "role",
            target_id: &role.id,
            target_name: &role.name,
            summary,
            details: signed_out.details(serde_json::json!({ "scope": scope })),
        },
    )
    .await?;
    Ok(signed_out.change_for_many(message, "its holders"))
}

/// Deletes a custom role and every assignment of it.
pub async fn delete(
    tx: &mut Tx,
    actor: &Actor,
    role_id: &str,
    sign_out: bool,
    now: i64,
) -> AppResult<Change> {
    let role = match access::role_header(tx, role_id).await {
        Ok(role) => role,
        Err(error) if error.code == crate::error::ErrorCode::NotFound => {
            return Ok(Change::unchanged(
                "This role does not exist any more; nothing changed.".to_string(),
            ))
        }
        Err(error) => return Err(error),
    };
    if role.builtin {
        return Err(AppError::conflict(
            "Built-in roles cannot be deleted: Tessera's own access depends on them.",
        ));
    }
    let holders = super::store::active_holders(tx, &role.id, now).await?;
    let users = access::role_users(tx, &role.id, now).await?.len();
    let groups = access::role_groups(tx, &role.id, now).await?.len();
    // Before the assignments go: they say who holds the role.
    let signed_out = SignedOut::of_role(tx, &role.id, sign_out, now).await?;
    super::store::delete(tx, &role.id).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "role.delete",
            target_type: "role",
            target_id: &role.id,
            target_name: &role.name,
            summary: format!(
                "{} deleted the role {}, held by {holders} people ({users} directly, {groups} groups){}",
                actor.name, role.name,
                signed_out
                    .summary()
                    .replace(" signed them out", " signed its holders out")
            ),
            details: signed_out.details(serde_json::json!({
                "before": { "description": role.description, "direct_users": users, "groups": groups, "holders": holders },
            })),
        },
    )
    .await?;
    Ok(signed_out.change_for_many(format!("Deleted the role {}", role.name), "its holders"))
}
