//! The scopes catalogue's use cases: create a custom scope, describe it, delete it while no role
//! grants it. Tessera's built-in scopes are its own permissions and stay as they are.

use super::store;
use crate::access::domain::{record, Actor, Event};
use crate::access::Change;
use crate::error::{AppError, AppResult};
use crate::storage::Tx;

/// Longest description accepted.
const MAX_DESCRIPTION_CHARS: usize = 500;

fn check_description(description: &str) -> AppResult<String> {
    let description = description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(AppError::invalid(format!(
            "A description can have at most {MAX_DESCRIPTION_CHARS} characters."
        )));
    }
    Ok(description.to_string())
}

pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    name: &str,
    description: &str,
    now: i64,
) -> AppResult<Change> {
    let name = name.trim();
    let description = check_description(description)?;
    store::insert(tx, name, &description, now).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "scope.create",
            target_type: "scope",
            target_id: name,
            target_name: name,
            summary: format!("{} created the scope {name}", actor.name),
            details: serde_json::json!({ "after": { "description": description } }),
        },
    )
    .await?;
    Ok(Change::changed(format!("Created the scope {name}."), false))
}

pub async fn describe(
    tx: &mut Tx,
    actor: &Actor,
    name: &str,
    description: &str,
    now: i64,
) -> AppResult<Change> {
    let description = check_description(description)?;
    let Some(scope) = store::find(tx, name).await? else {
        return Err(AppError::not_found(format!(
            "There is no scope named “{name}”."
        )));
    };
    if scope.builtin {
        return Err(AppError::conflict(
            "Built-in scopes name Tessera's own permissions; their descriptions cannot be changed.",
        ));
    }
    if scope.description == description {
        return Ok(Change::unchanged(format!(
            "The scope {name} already has this description; nothing changed."
        )));
    }
    store::set_description(tx, &scope.name, &description).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "scope.update",
            target_type: "scope",
            target_id: &scope.name,
            target_name: &scope.name,
            summary: format!(
                "{} changed the description of the scope {}",
                actor.name, scope.name
            ),
            details: serde_json::json!({
                "before": { "description": scope.description },
                "after": { "description": description },
            }),
        },
    )
    .await?;
    Ok(Change::changed(
        format!("Updated the scope {}.", scope.name),
        false,
    ))
}

pub async fn delete(tx: &mut Tx, actor: &Actor, name: &str, now: i64) -> AppResult<Change> {
    let Some(scope) = store::find(tx, name).await? else {
        return Ok(Change::unchanged(format!(
            "There is no scope named “{name}” any more; nothing changed."
        )));
    };
    if scope.builtin {
        return Err(AppError::conflict(
            "Built-in scopes are Tessera's own permissions and cannot be deleted.",
        ));
    }
    let roles = store::roles_granting(tx, &scope.name).await?;
    if !roles.is_empty() {
        return Err(AppError::conflict(format!(
            "The scope {} is granted by {} {}. Take it out of {} first.",
            scope.name,
            if roles.len() == 1 {
                "the role"
            } else {
                "the roles"
            },
            roles.join(", "),
            if roles.len() == 1 {
                "that role"
            } else {
                "those roles"
            },
        )));
    }
    store::delete(tx, &scope.name).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "scope.delete",
            target_type: "scope",
            target_id: &scope.name,
            target_name: &scope.name,
            summary: format!("{} deleted the scope {}", actor.name, scope.name),
            details: serde_json::json!({ "before": { "description": scope.description } }),
        },
    )
    .await?;
    Ok(Change::changed(
        format!("Deleted the scope {}.", scope.name),
        false,
    ))
}
