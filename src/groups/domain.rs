//! Creating, renaming and deleting groups. Deleting a group takes its roles from every member
//! at once (their next token, or now with "sign them out"), so it is refused when it would leave
//! no active administrator.

use crate::access::domain::{ensure_an_admin_remains, record, Actor, Event, SignedOut};
use crate::access::{store as access, Change, Created};
use crate::error::{AppError, AppResult};
use crate::storage::Tx;

fn check_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 128 {
        return Err(AppError::invalid("A group name needs 1 to 128 characters."));
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

pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    name: &str,
    description: &str,
    now: i64,
) -> AppResult<Created> {
    let (name, description) = (check_name(name)?, check_description(description)?);
    let id = super::store::insert(tx, &name, &description, now).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "group.create",
            target_type: "group",
            target_id: &id,
            target_name: &name,
            summary: format!("{} created the group {name}", actor.name),
            details: serde_json::json!({ "after": { "name": name, "description": description } }),
        },
    )
    .await?;
    Ok(Created {
        id,
        message: format!("Created the group {name}. Add members and roles to it."),
    })
}

/// Renames a group or changes its description.
pub async fn update(
    tx: &mut Tx,
    actor: &Actor,
    group_id: &str,
    edit: crate::access::domain::Edit<'_>,
    now: i64,
) -> AppResult<Change> {
    let group = access::group_header(tx, group_id).await?;
    let (name, description) = (check_name(edit.name)?, check_description(edit.description)?);
    crate::access::Seen::check(
        edit.seen,
        "group",
        (&group.name, &group.description),
        (&name, &description),
    )?;
    if name == group.name && description == group.description {
        return Ok(Change::unchanged(format!(
            "The group {} already has this name and description; nothing changed.",
            group.name
        )));
    }
    super::store::update(tx, &group.id, &name, &description).await?;
    let summary = if name != group.name {
        format!("{} renamed the group {} to {name}", actor.name, group.name)
    } else {
        format!("{} changed the description of the group {name}", actor.name)
    };
    record(
        tx,
        actor,
        now,
        Event {
            action: "group.update",
            target_type: "group",
            target_id: &group.id,
            target_name: &name,
            summary,
            details: serde_json::json!({
                "before": { "name": group.name, "description": group.description },
                "after": { "name": name, "description": description },
            }),
        },
    )
    .await?;
    Ok(Change::changed(format!("Saved the group {name}."), false))
}

/// Deletes a group with its memberships and role assignments; its members keep what they hold
/// in other ways.
pub async fn delete(
    tx: &mut Tx,
    actor: &Actor,
    group_id: &str,
    sign_out: bool,
    now: i64,
) -> AppResult<Change> {
    let group = match access::group_header(tx, group_id).await {
        Ok(group) => group,
        Err(error) if error.code == crate::error::ErrorCode::NotFound => {
            return Ok(Change::unchanged(
                "That group does not exist any more; nothing changed.".into(),
            ))
        }
        Err(error) => return Err(error),
    };
    let members = access::group_members(tx, &group.id, now).await?;
    let roles = access::group_roles(tx, &group.id, now).await?;
    // Before the memberships go: they say whom to sign out.
    let signed_out = SignedOut::of_group(tx, &group.id, sign_out, now).await?;
    super::store::delete(tx, &group.id).await?;
    ensure_an_admin_remains(tx, now).await?;
    let role_names: Vec<&str> = roles.iter().map(|r| r.role_name.as_str()).collect();
    record(
        tx,
        actor,
        now,
        Event {
            action: "group.delete",
            target_type: "group",
            target_id: &group.id,
            target_name: &group.name,
            summary: format!(
                "{} deleted the group {} ({} members, {} roles){}",
                actor.name,
                group.name,
                members.len(),
                roles.len(),
                signed_out
                    .summary()
                    .replace(" signed them out", " signed its members out")
            ),
            details: signed_out.details(serde_json::json!({
                "before": {
                    "name": group.name, "description": group.description,
                    "members": members.len(), "roles": role_names,
                },
            })),
        },
    )
    .await?;
    let done = format!("Deleted the group {}", group.name);
    Ok(if roles.is_empty() {
        Change::ended(format!("{done}."))
    } else {
        signed_out.change_for_many(done, "its members")
    })
}
