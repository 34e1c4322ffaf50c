//! Assignment use cases: each runs in the caller's transaction, checks what it must, changes
//! what it must, and writes its audit event beside the change. Adding what exists and removing
//! what is gone change nothing and write no event.

use super::{store, Change};
use crate::audit::store::{self as audit, NewEvent};
use crate::error::{AppError, AppResult};
use crate::roles::ADMINISTRATOR_ROLE_ID;
use crate::storage::Tx;
use crate::ui::format_time;

/// A rename or a new description of a role or a group, with what the editor showed when the
/// edit began (see [`crate::access::Seen`]).
pub struct Edit<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub seen: Option<&'a crate::access::Seen>,
}

/// Who is acting, for the audit log.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: String,
    pub name: String,
    pub request_id: Option<String>,
}

pub(crate) const TAKES_EFFECT: &str =
    "Takes effect at their next sign-in or token refresh; the console follows at once.";

pub(crate) fn until(expires_at: Option<i64>) -> String {
    match expires_at {
        Some(t) => format!(" until {}", format_time(t)),
        None => String::new(),
    }
}

pub(crate) fn end_text(expires_at: Option<i64>) -> String {
    expires_at.map(format_time).unwrap_or_else(|| "none".into())
}

pub(crate) fn check_end(expires_at: Option<i64>, now: i64) -> AppResult<()> {
    match expires_at {
        Some(t) if t <= now => Err(AppError::invalid(
            "The end time has already passed. Choose a time in the future, or none.",
        )),
        _ => Ok(()),
    }
}

/// How many people one request may name; more is a bulk operation's work.
const MAX_PEOPLE_PER_REQUEST: usize = 1000;

fn check_count(user_ids: &[String]) -> AppResult<()> {
    match user_ids.len() {
        0 => Err(AppError::invalid("Choose at least one person.")),
        n if n > MAX_PEOPLE_PER_REQUEST => Err(AppError::invalid(
            "Choose at most 1,000 people at once; use a bulk operation for more.",
        )),
        _ => Ok(()),
    }
}

/// The anti-lockout rule: run after a change that may take the Administrator role away, inside
/// the same transaction, so a refusal rolls the change back.
pub(crate) async fn ensure_an_admin_remains(tx: &mut Tx, now: i64) -> AppResult<()> {
    if crate::roles::store::active_holders(tx, ADMINISTRATOR_ROLE_ID, now).await? == 0 {
        return Err(AppError::conflict(
            "This would leave no active administrator, and nobody could manage Tessera any more. \
             Make someone else an administrator first.",
        ));
    }
    Ok(())
}

pub(crate) struct Event<'a> {
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub target_name: &'a str,
    pub summary: String,
    pub details: serde_json::Value,
}

pub(crate) async fn record(
    tx: &mut Tx,
    actor: &Actor,
    now: i64,
    event: Event<'_>,
) -> AppResult<()> {
    audit::record(
        tx,
        &NewEvent {
            at: now,
            // An empty id is Tessera itself acting on an operator's command line.
            actor_id: (!actor.id.is_empty()).then_some(actor.id.as_str()),
            actor_name: &actor.name,
            action: event.action,
            target_type: Some(event.target_type),
            target_id: Some(event.target_id),
            target_name: Some(event.target_name),
            parent_id: None,
            summary: event.summary,
            details: event.details,
            request_id: actor.request_id.as_deref(),
        },
    )
    .await
    .map(|_| ())
}

/// Gives a user a role directly, or changes the end of the assignment they have.
pub async fn assign_user_role(
    tx: &mut Tx,
    actor: &Actor,
    user_id: &str,
    role_id: &str,
    expires_at: Option<i64>,
    now: i64,
) -> AppResult<Change> {
    let user = store::user(tx, user_id).await?;
    let role = store::role(tx, role_id).await?;
    store::lock_for_change(tx, "roles", &role.id).await?;
    check_end(expires_at, now)?;
    let live_before = store::live_link(tx, store::USER_ROLE, &user.id, &role.id, now).await?;
    if live_before == Some(expires_at) {
        return Ok(Change::unchanged(format!(
            "{} already has the role {}{}; nothing changed.",
            user.display_name,
            role.name,
            until(expires_at)
        )));
    }
    store::upsert_link(tx, store::USER_ROLE, &user.id, &role.id, expires_at, now).await?;
    let summary = match live_before {
        None => format!(
            "{} gave {} the role {}{}",
            actor.name,
            user.username,
            role.name,
            until(expires_at)
        ),
        Some(_) => format!(
            "{} changed the end of {}'s role {} to {}",
            actor.name,
            user.username,
            role.name,
            end_text(expires_at)
        ),
    };
    record(
        tx,
        actor,
        now,
        Event {
            action: "user.role.assign",
            target_type: "user",
            target_id: &user.id,
            target_name: &user.username,
            summary,
            details: serde_json::json!({
                "role_id": role.id, "role_name": role.name,
                "before": live_before.map(|e| serde_json::json!({ "expires_at": e })),
                "after": { "expires_at": expires_at },
            }),
        },
    )
    .await?;
    Ok(Change::changed(
        format!(
            "{} now has the role {}{}.",
            user.display_name,
            role.name,
            until(expires_at)
        ),
        true,
    ))
}

/// Takes a directly assigned role away from a user.
pub async fn unassign_user_role(
    tx: &mut Tx,
    actor: &Actor,
    user_id: &str,
    role_id: &str,
    sign_out: bool,
    now: i64,
) -> AppResult<Change> {
    let user = store::user(tx, user_id).await?;
    let role = store::role(tx, role_id).await?;
    store::lock_for_change(tx, "roles", &role.id).await?;
    if !store::delete_link(tx, store::USER_ROLE, &user.id, &role.id, now).await? {
        return Ok(Change::unchanged(format!(
            "{} does not have the role {} directly; nothing changed.",
            user.display_name, role.name
        )));
    }
    if role.id == ADMINISTRATOR_ROLE_ID {
        ensure_an_admin_remains(tx, now).await?;
    }
    let signed_out = SignedOut::of_user(tx, &user.id, sign_out, now).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "user.role.remove",
            target_type: "user",
            target_id: &user.id,
            target_name: &user.username,
            summary: format!(
                "{} removed the role {} from {}{}",
                actor.name,
                role.name,
                user.username,
                signed_out.summary()
            ),
            details: signed_out.details(serde_json::json!({
                "role_id": role.id, "role_name": role.name,
            })),
        },
    )
    .await?;
    Ok(signed_out.change(
        format!("Removed the role {} from {}", role.name, user.display_name),
        &user,
    ))
}

/// "Also sign them out now", done inside the change that took access away: the sessions it
/// ended go into the change's own audit event.
pub(crate) struct SignedOut(pub(crate) Option<u64>);

impl SignedOut {
    async fn of_user(tx: &mut Tx, user_id: &str, sign_out: bool, now: i64) -> AppResult<Self> {
        Ok(SignedOut(if sign_out {
            Some(crate::sessions::store::revoke_all(tx, user_id, now).await?)
        } else {
            None
        }))
    }

    pub(crate) async fn of_group(
        tx: &mut Tx,
        group_id: &str,
        sign_out: bool,
        now: i64,
    ) -> AppResult<Self> {
        Ok(SignedOut(if sign_out {
            Some(crate::sessions::store::revoke_all_of_group(tx, group_id, now).await?)
        } else {
            None
        }))
    }

    /// Everyone holding the role now; call it before the role's assignments go.
    pub(crate) async fn of_role(
        tx: &mut Tx,
        role_id: &str,
        sign_out: bool,
        now: i64,
    ) -> AppResult<Self> {
        Ok(SignedOut(if sign_out {
            Some(crate::sessions::store::revoke_all_of_role(tx, role_id, now).await?)
        } else {
            None
        }))
    }

    /// What the answer says when people were signed out, after `done` (no full stop).
    pub(crate) fn ended_message(&self, done: &str, who: &str) -> Option<String> {
        self.0.map(|n| {
            format!(
                "{done} and signed {who} out: {} ended. The change holds right now.",
                crate::sessions::domain::sessions(n)
            )
        })
    }

    pub(crate) fn summary(&self) -> String {
        match self.0 {
            Some(n) => format!(
                " and signed them out ({} ended)",
                crate::sessions::domain::sessions(n)
            ),
            None => String::new(),
        }
    }

    pub(crate) fn details(&self, mut details: serde_json::Value) -> serde_json::Value {
        if let Some(n) = self.0 {
            details["sessions_ended"] = n.into();
        }
        details
    }

    /// The answer: signed out now, or the usual "takes effect at the next token" with the offer.
    fn change(&self, done: String, user: &crate::users::UserSummary) -> Change {
        match self.ended_message(&done, "them") {
            Some(message) => Change::ended(message),
            None => Change::changed(format!("{done}."), true).offering_sign_out(user),
        }
    }

    /// The answer for a change that reached many people (a group's or a role's holders).
    pub(crate) fn change_for_many(&self, done: String, who: &str) -> Change {
        match self.ended_message(&done, who) {
            Some(message) => Change::ended(message),
            None => Change::changed(format!("{done}."), true),
        }
    }
}

/// Adds users to a group (or changes the end of their membership).
pub async fn add_members(
    tx: &mut Tx,
    actor: &Actor,
    group_id: &str,
    user_ids: &[String],
    expires_at: Option<i64>,
    now: i64,
) -> AppResult<Change> {
    let group = store::group(tx, group_id).await?;
    store::lock_for_change(tx, "access_groups", &group.id).await?;
    check_end(expires_at, now)?;
    check_count(user_ids)?;
    let (mut added, mut extended) = (Vec::new(), Vec::new());
    for user_id in user_ids {
        let user = store::user(tx, user_id).await?;
        let live_before = store::live_link(tx, store::MEMBERSHIP, &group.id, &user.id, now).await?;
        if live_before == Some(expires_at) {
            continue;
        }
        store::upsert_link(tx, store::MEMBERSHIP, &group.id, &user.id, expires_at, now).await?;
        record(
            tx,
            actor,
            now,
            Event {
                action: "group.member.add",
                target_type: "user",
                target_id: &user.id,
                target_name: &user.username,
                summary: match live_before {
                    None => format!(
                        "{} added {} to the group {}{}",
                        actor.name,
                        user.username,
                        group.name,
                        until(expires_at)
                    ),
                    Some(_) => format!(
                        "{} changed the end of {}'s membership of {} to {}",
                        actor.name,
                        user.username,
                        group.name,
                        end_text(expires_at)
                    ),
                },
                details: serde_json::json!({
                    "group_id": group.id, "group_name": group.name,
                    "before": live_before.map(|e| serde_json::json!({ "expires_at": e })),
                    "after": { "expires_at": expires_at },
                }),
            },
        )
        .await?;
        match live_before {
            None => added.push(user.display_name),
            Some(_) => extended.push(user.display_name),
        }
    }
    let changed_end = match extended.as_slice() {
        [] => String::new(),
        [one] => format!(" Changed the end of {one}'s membership."),
        many => format!(" Changed the end of {} memberships.", many.len()),
    };
    Ok(match added.as_slice() {
        [] if extended.is_empty() => Change::unchanged(format!(
            "Everyone chosen is already in {}{}; nothing changed.",
            group.name,
            until(expires_at)
        )),
        [] => Change::changed(changed_end.trim_start().to_string(), true),
        [one] => Change::changed(format!("Added {one} to {}.{changed_end}", group.name), true),
        many => Change::changed(
            format!(
                "Added {} people to {}.{changed_end}",
                many.len(),
                group.name
            ),
            true,
        ),
    })
}

/// Removes a user from a group.
pub async fn remove_member(
    tx: &mut Tx,
    actor: &Actor,
    group_id: &str,
    user_id: &str,
    sign_out: bool,
    now: i64,
) -> AppResult<Change> {
    let group = store::group(tx, group_id).await?;
    store::lock_for_change(tx, "access_groups", &group.id).await?;
    let user = store::user(tx, user_id).await?;
    if !store::delete_link(tx, store::MEMBERSHIP, &group.id, &user.id, now).await? {
        return Ok(Change::unchanged(format!(
            "{} is not in {}; nothing changed.",
            user.display_name, group.name
        )));
    }
    ensure_an_admin_remains(tx, now).await?;
    let signed_out = SignedOut::of_user(tx, &user.id, sign_out, now).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "group.member.remove",
            target_type: "user",
            target_id: &user.id,
            target_name: &user.username,
            summary: format!(
                "{} removed {} from the group {}{}",
                actor.name,
                user.username,
                group.name,
                signed_out.summary()
            ),
            details: signed_out.details(serde_json::json!({
                "group_id": group.id, "group_name": group.name,
            })),
        },
    )
    .await?;
    Ok(signed_out.change(
        format!("Removed {} from {}", user.display_name, group.name),
        &user,
    ))
}

/// Gives several people a role directly, from the role's side. One event per person who
/// changed; people who already hold it are counted, not changed.
pub async fn assign_role_to_users(
    tx: &mut Tx,
    actor: &Actor,
    role_id: &str,
    user_ids: &[String],
    expires_at: Option<i64>,
    now: i64,
) -> AppResult<Change> {
    let role = store::role(tx, role_id).await?;
    store::lock_for_change(tx, "roles", &role.id).await?;
    check_count(user_ids)?;
    let mut changed = 0usize;
    let mut last_name = String::new();
    for user_id in user_ids {
        let change = assign_user_role(tx, actor, user_id, &role.id, expires_at, now).await?;
        if change.changed {
            changed += 1;
            last_name = store::user(tx, user_id).await?.display_name;
        }
    }
    let unchanged = user_ids.len() - changed;
    let already = match unchanged {
        0 => String::new(),
        1 => " 1 already had it.".to_string(),
        n => format!(" {n} already had it."),
    };
    Ok(match changed {
        0 => Change::unchanged(format!(
            "Everyone chosen already has the role {}; nothing changed.",
            role.name
        )),
        1 => Change::changed(
            format!("{last_name} now has the role {}.{already}", role.name),
            true,
        ),
        n => Change::changed(
            format!("{n} people now have the role {}.{already}", role.name),
            true,
        ),
    })
}

/// Gives a group a role (every member then holds it), or changes the end of it.
pub async fn assign_group_role(
    tx: &mut Tx,
    actor: &Actor,
    group_id: &str,
    role_id: &str,
    expires_at: Option<i64>,
    now: i64,
) -> AppResult<Change> {
    let group = store::group(tx, group_id).await?;
    store::lock_for_change(tx, "access_groups", &group.id).await?;
    let role = store::role(tx, role_id).await?;
    store::lock_for_change(tx, "roles", &role.id).await?;
    check_end(expires_at, now)?;
    let live_before = store::live_link(tx, store::GROUP_ROLE, &group.id, &role.id, now).await?;
    if live_before == Some(expires_at) {
        return Ok(Change::unchanged(format!(
            "The group {} already has the role {}{}; nothing changed.",
            group.name,
            role.name,
            until(expires_at)
        )));
    }
    store::upsert_link(tx, store::GROUP_ROLE, &group.id, &role.id, expires_at, now).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "group.role.assign",
            target_type: "group",
            target_id: &group.id,
            target_name: &group.name,
            summary: match live_before {
                None => format!(
                    "{} gave the group {} the role {}{}",
                    actor.name,
                    group.name,
                    role.name,
                    until(expires_at)
                ),
                Some(_) => format!(
                    "{} changed the end of the group {}'s role {} to {}",
                    actor.name,
                    group.name,
                    role.name,
                    end_text(expires_at)
                ),
            },
            details: serde_json::json!({
                "role_id": role.id, "role_name": role.name,
                "before": live_before.map(|e| serde_json::json!({ "expires_at": e })),
                "after": { "expires_at": expires_at },
            }),
        },
    )
    .await?;
    Ok(Change::changed(
        format!(
            "Everyone in {} now has the role {}{}.",
            group.name,
            role.name,
            until(expires_at)
        ),
        true,
    ))
}

/// Takes a role away from a group, and so from every member who has it only through it.
pub async fn unassign_group_role(
    tx: &mut Tx,
    actor: &Actor,
    group_id: &str,
    role_id: &str,
    sign_out: bool,
    now: i64,
) -> AppResult<Change> {
    let group = store::group(tx, group_id).await?;
    store::lock_for_change(tx, "access_groups", &group.id).await?;
    let role = store::role(tx, role_id).await?;
    store::lock_for_change(tx, "roles", &role.id).await?;
    if !store::delete_link(tx, store::GROUP_ROLE, &group.id, &role.id, now).await? {
        return Ok(Change::unchanged(format!(
            "The group {} does not have the role {}; nothing changed.",
            group.name, role.name
        )));
    }
    if role.id == ADMINISTRATOR_ROLE_ID {
        ensure_an_admin_remains(tx, now).await?;
    }
    let signed_out = SignedOut::of_group(tx, &group.id, sign_out, now).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "group.role.remove",
            target_type: "group",
            target_id: &group.id,
            target_name: &group.name,
            summary: format!(
                "{} removed the role {} from the group {}{}",
                actor.name,
                role.name,
                group.name,
                signed_out
                    .summary()
                    .replace(" signed them out", " signed its members out")
            ),
            details: signed_out.details(serde_json::json!({
                "role_id": role.id, "role_name": role.name,
            })),
        },
    )
    .await?;
    let done = format!(
        "Removed the role {} from the group {}",
        role.name, group.name
    );
    Ok(signed_out.change_for_many(done, "its members"))
}

impl Change {
    pub(crate) fn unchanged(message: String) -> Change {
        Change {
            changed: false,
            message,
            takes_effect: None,
            sign_out: None,
        }
    }

    /// Offers to sign `user` out now: for changes that took access away from them.
    pub(crate) fn offering_sign_out(mut self, user: &crate::users::UserSummary) -> Change {
        self.sign_out = Some(super::SignOutOffer {
            user_id: user.id.clone(),
            display_name: user.display_name.clone(),
        });
        self
    }

    /// A change that takes effect at once (a session ended, an account disabled): nothing to
    /// wait for.
    pub(crate) fn ended(message: String) -> Change {
        Change {
            changed: true,
            message,
            takes_effect: None,
            sign_out: None,
        }
    }

    pub(crate) fn changed(message: String, alters_scopes: bool) -> Change {
        Change {
            changed: true,
            message,
            takes_effect: alters_scopes.then(|| TAKES_EFFECT.to_string()),
            sign_out: None,
        }
    }
}
