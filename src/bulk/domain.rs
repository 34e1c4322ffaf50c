//! Bulk use cases: what a bulk change would do to each person selected, and doing it with its
//! audit events in the caller's transaction. The SQL (set-based: one statement per step,
//! whatever the selection's size) is in `store.rs`.

use std::collections::BTreeMap;

use super::store::{self, Children, Kind};
use super::{
    BulkAction, BulkCounts, BulkPreview, BulkResult, BulkRow, Outcome, Selection, MAX_BULK,
    RESULT_ROWS, SAMPLE_ROWS,
};
use crate::access::domain::{
    check_end, end_text, ensure_an_admin_remains, until, Actor, TAKES_EFFECT,
};
use crate::access::store as access;
use crate::audit::store::{self as audit, NewEvent};
use crate::auth::Permission;
use crate::error::{AppError, AppResult};
use crate::roles::ADMINISTRATOR_ROLE_ID;
use crate::storage::Tx;

/// The scope an action needs: roles are `roles:write`, memberships `groups:write`, as for
/// the same change made one person at a time.
pub fn permission(action: &BulkAction) -> Permission {
    match action {
        BulkAction::AddRole { .. } | BulkAction::RemoveRole { .. } => Permission::RolesWrite,
        BulkAction::AddToGroup { .. } | BulkAction::RemoveFromGroup { .. } => {
            Permission::GroupsWrite
        }
        BulkAction::SignOut => Permission::SessionsRevoke,
    }
}

/// The role or group an action is about, and the link table that ties people to it.
struct Subject {
    id: String,
    name: String,
    is_role: bool,
    expires_at: Option<i64>,
    removal: bool,
}

impl Subject {
    fn kind(&self) -> Kind {
        if self.is_role {
            Kind::Role
        } else {
            Kind::Group
        }
    }

    fn noun(&self) -> String {
        if self.is_role {
            format!("the role {}", self.name)
        } else {
            format!("the group {}", self.name)
        }
    }
}

async fn subject(tx: &mut Tx, action: &BulkAction, now: i64) -> AppResult<Subject> {
    let (named, is_role, expires_at, removal) = match action {
        BulkAction::AddRole {
            role_id,
            expires_at,
        } => (access::role(tx, role_id).await?, true, *expires_at, false),
        BulkAction::RemoveRole { role_id } => (access::role(tx, role_id).await?, true, None, true),
        BulkAction::AddToGroup {
            group_id,
            expires_at,
        } => (
            access::group(tx, group_id).await?,
            false,
            *expires_at,
            false,
        ),
        BulkAction::RemoveFromGroup { group_id } => {
            (access::group(tx, group_id).await?, false, None, true)
        }
        BulkAction::SignOut => {
            return Err(AppError::internal());
        }
    };
    check_end(expires_at, now)?;
    Ok(Subject {
        id: named.id,
        name: named.name,
        is_role,
        expires_at,
        removal,
    })
}

/// Everyone selected, by name, with what the action would do to them.
async fn classify(
    tx: &mut Tx,
    selection: &Selection,
    subject: &Subject,
    now: i64,
) -> AppResult<Vec<BulkRow>> {
    let rows = store::selected(tx, selection, subject.kind(), &subject.id, now).await?;
    if rows.is_empty() {
        return Err(AppError::invalid(
            "Nobody matches this selection any more. Check the filter and try again.",
        ));
    }
    if rows.len() > MAX_BULK {
        return Err(store::too_many());
    }
    let mut keeps = if subject.is_role && subject.removal {
        store::keepers(tx, selection, &subject.id, now).await?
    } else {
        BTreeMap::new()
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let outcome = match (subject.removal, row.linked) {
                (true, true) => Outcome::Changes,
                (true, false) => Outcome::AlreadySo,
                (false, _) if row.disabled => Outcome::SkippedDisabled,
                (false, true) if row.current_end == subject.expires_at => Outcome::AlreadySo,
                (false, true) => Outcome::EndChanges,
                (false, false) => Outcome::Changes,
            };
            BulkRow {
                keeps_through: keeps.remove(&row.user_id).unwrap_or_default(),
                user_id: row.user_id,
                username: row.username,
                display_name: row.display_name,
                disabled: row.disabled,
                outcome,
            }
        })
        .collect())
}

fn count(rows: &[BulkRow]) -> BulkCounts {
    let of = |outcome: Outcome| rows.iter().filter(|r| r.outcome == outcome).count() as i64;
    BulkCounts {
        selected: rows.len() as i64,
        changes: of(Outcome::Changes),
        end_changes: of(Outcome::EndChanges),
        already_so: of(Outcome::AlreadySo),
        skipped_disabled: of(Outcome::SkippedDisabled),
        disabled: rows.iter().filter(|r| r.disabled).count() as i64,
        keep_through_group: rows
            .iter()
            .filter(|r| r.outcome == Outcome::Changes && !r.keeps_through.is_empty())
            .count() as i64,
    }
}

fn people(n: i64) -> String {
    match n {
        1 => "1 person".to_string(),
        n => format!("{n} people"),
    }
}

fn action_label(subject: &Subject) -> String {
    match (subject.is_role, subject.removal) {
        (true, false) => format!("Add the role {}{}", subject.name, until(subject.expires_at)),
        (true, true) => format!("Remove the role {}", subject.name),
        (false, false) => format!(
            "Add to the group {}{}",
            subject.name,
            until(subject.expires_at)
        ),
        (false, true) => format!("Remove from the group {}", subject.name),
    }
}

fn confirm_label(subject: &Subject, counts: &BulkCounts) -> String {
    let n = people(counts.changes + counts.end_changes);
    match (subject.is_role, subject.removal) {
        (true, false) => format!("Add {} to {n}", subject.name),
        (true, true) => format!("Remove {} from {n}", subject.name),
        (false, false) => format!("Add {n} to {}", subject.name),
        (false, true) => format!("Remove {n} from {}", subject.name),
    }
}

pub async fn preview(
    tx: &mut Tx,
    selection: &Selection,
    action: &BulkAction,
    now: i64,
) -> AppResult<BulkPreview> {
    if *action == BulkAction::SignOut {
        return preview_sign_out(tx, selection, now).await;
    }
    let subject = subject(tx, action, now).await?;
    let rows = classify(tx, selection, &subject, now).await?;
    let counts = count(&rows);
    let sample = rows
        .into_iter()
        .filter(|r| matches!(r.outcome, Outcome::Changes | Outcome::EndChanges))
        .take(SAMPLE_ROWS)
        .collect();
    Ok(BulkPreview {
        removal: subject.removal,
        sign_out: false,
        action_label: action_label(&subject),
        confirm_label: confirm_label(&subject, &counts),
        counts,
        sample,
    })
}

pub async fn apply(
    tx: &mut Tx,
    actor: &Actor,
    selection: &Selection,
    action: &BulkAction,
    now: i64,
) -> AppResult<BulkResult> {
    if *action == BulkAction::SignOut {
        return apply_sign_out(tx, actor, selection, now).await;
    }
    let subject = subject(tx, action, now).await?;
    store::lock_subject(tx, subject.kind(), &subject.id).await?;
    let rows = classify(tx, selection, &subject, now).await?;
    let counts = count(&rows);
    let ids_of = |outcome: Outcome| -> Vec<&str> {
        rows.iter()
            .filter(|r| r.outcome == outcome)
            .map(|r| r.user_id.as_str())
            .collect()
    };
    let (changing, ending) = (ids_of(Outcome::Changes), ids_of(Outcome::EndChanges));
    let rows_shown = || rows.iter().take(RESULT_ROWS).cloned().collect();
    if changing.is_empty() && ending.is_empty() {
        return Ok(BulkResult {
            removal: subject.removal,
            sign_out: false,
            message: format!(
                "Nothing changed: of {} selected, {} {} already so{}.",
                people(counts.selected),
                counts.already_so,
                if counts.already_so == 1 {
                    "was"
                } else {
                    "were"
                },
                skipped_text(&counts)
            ),
            counts,
            event_id: None,
            rows: rows_shown(),
            takes_effect: None,
        });
    }

    let parent = audit::record(tx, &parent_event(actor, &subject, selection, &counts, now)).await?;
    // Children first: they read each person's end before the link changes.
    let children = |end_change: bool| child_events(actor, &subject, parent, end_change, now);
    store::write_children(tx, &children(false), &changing).await?;
    store::write_children(tx, &children(true), &ending).await?;
    let mut all: Vec<&str> = changing.clone();
    all.extend(&ending);
    store::write_links(
        tx,
        subject.kind(),
        &subject.id,
        &all,
        subject.removal,
        subject.expires_at,
        now,
    )
    .await?;
    if subject.removal && (!subject.is_role || subject.id == ADMINISTRATOR_ROLE_ID) {
        ensure_an_admin_remains(tx, now).await?;
    }

    let done = match (subject.is_role, subject.removal) {
        (true, false) => format!("Gave {} to {}", subject.noun(), people(counts.changes)),
        (true, true) => format!("Removed {} from {}", subject.noun(), people(counts.changes)),
        (false, false) => format!("Added {} to {}", people(counts.changes), subject.noun()),
        (false, true) => format!("Removed {} from {}", people(counts.changes), subject.noun()),
    };
    let mut message = done;
    if counts.end_changes > 0 {
        message.push_str(&format!(
            "; changed the end for {}",
            people(counts.end_changes)
        ));
    }
    if counts.already_so > 0 {
        message.push_str(&format!("; {} already so", counts.already_so));
    }
    message.push_str(&skipped_text(&counts));
    message.push('.');
    Ok(BulkResult {
        removal: subject.removal,
        sign_out: false,
        message,
        counts,
        event_id: Some(parent),
        rows: rows_shown(),
        takes_effect: Some(TAKES_EFFECT.to_string()),
    })
}

/// Everyone selected, by name: `Changes` for those with a live session, `AlreadySo` for the rest.
async fn classify_sessions(
    tx: &mut Tx,
    selection: &Selection,
    now: i64,
) -> AppResult<Vec<BulkRow>> {
    let rows = store::with_sessions(tx, selection, now).await?;
    if rows.is_empty() {
        return Err(AppError::invalid(
            "Nobody matches this selection any more. Check the filter and try again.",
        ));
    }
    if rows.len() > MAX_BULK {
        return Err(store::too_many());
    }
    Ok(rows
        .into_iter()
        .map(|row| BulkRow {
            outcome: if row.live > 0 {
                Outcome::Changes
            } else {
                Outcome::AlreadySo
            },
            user_id: row.user_id,
            username: row.username,
            display_name: row.display_name,
            disabled: row.disabled,
            keeps_through: Vec::new(),
        })
        .collect())
}

async fn preview_sign_out(tx: &mut Tx, selection: &Selection, now: i64) -> AppResult<BulkPreview> {
    let rows = classify_sessions(tx, selection, now).await?;
    let counts = count(&rows);
    Ok(BulkPreview {
        removal: true,
        sign_out: true,
        action_label: "Sign out everywhere".to_string(),
        confirm_label: format!("Sign out {}", people(counts.changes)),
        sample: rows
            .into_iter()
            .filter(|r| r.outcome == Outcome::Changes)
            .take(SAMPLE_ROWS)
            .collect(),
        counts,
    })
}

/// Ends every live session of everyone selected: one parent event, one child per person signed
/// out (with how many sessions ended), one UPDATE.
async fn apply_sign_out(
    tx: &mut Tx,
    actor: &Actor,
    selection: &Selection,
    now: i64,
) -> AppResult<BulkResult> {
    let rows = classify_sessions(tx, selection, now).await?;
    let counts = count(&rows);
    let ids: Vec<&str> = rows
        .iter()
        .filter(|r| r.outcome == Outcome::Changes)
        .map(|r| r.user_id.as_str())
        .collect();
    let rows_shown = rows.iter().take(RESULT_ROWS).cloned().collect();
    if ids.is_empty() {
        return Ok(BulkResult {
            removal: true,
            sign_out: true,
            message: format!(
                "Nothing changed: none of the {} selected has a live session.",
                people(counts.selected)
            ),
            counts,
            event_id: None,
            rows: rows_shown,
            takes_effect: None,
        });
    }
    let selection_detail = match selection {
        Selection::Ids { ids } => serde_json::json!({ "kind": "ids", "count": ids.len() }),
        Selection::Matching { filter } => {
            serde_json::json!({ "kind": "matching", "filter": filter })
        }
    };
    let parent = audit::record(
        tx,
        &NewEvent {
            at: now,
            actor_id: (!actor.id.is_empty()).then_some(actor.id.as_str()),
            actor_name: &actor.name,
            action: "bulk.sessions.revoke",
            target_type: None,
            target_id: None,
            target_name: None,
            parent_id: None,
            summary: format!(
                "{} signed out {} everywhere",
                actor.name,
                people(counts.changes)
            ),
            details: serde_json::json!({ "selection": selection_detail, "counts": counts }),
            request_id: actor.request_id.as_deref(),
        },
    )
    .await?;
    store::write_sign_out_children(tx, actor, parent, &ids, now).await?;
    store::end_sessions(tx, &ids, now).await?;
    Ok(BulkResult {
        removal: true,
        sign_out: true,
        message: format!(
            "Signed out {}: every session ended, console and applications. They must sign in again.",
            people(counts.changes)
        ),
        counts,
        event_id: Some(parent),
        rows: rows_shown,
        takes_effect: None,
    })
}

fn skipped_text(counts: &BulkCounts) -> String {
    match counts.skipped_disabled {
        0 => String::new(),
        n => format!("; {n} skipped because their account is disabled"),
    }
}

fn parent_event<'a>(
    actor: &'a Actor,
    subject: &'a Subject,
    selection: &Selection,
    counts: &BulkCounts,
    now: i64,
) -> NewEvent<'a> {
    let changed = people(counts.changes + counts.end_changes);
    let (action, summary) = match (subject.is_role, subject.removal) {
        (true, false) => (
            "bulk.role.add",
            format!(
                "{} added the role {} to {changed}{}",
                actor.name,
                subject.name,
                until(subject.expires_at)
            ),
        ),
        (true, true) => (
            "bulk.role.remove",
            format!(
                "{} removed the role {} from {changed}",
                actor.name, subject.name
            ),
        ),
        (false, false) => (
            "bulk.group.add",
            format!(
                "{} added {changed} to the group {}{}",
                actor.name,
                subject.name,
                until(subject.expires_at)
            ),
        ),
        (false, true) => (
            "bulk.group.remove",
            format!(
                "{} removed {changed} from the group {}",
                actor.name, subject.name
            ),
        ),
    };
    // A picked selection is recorded by its size: the children name every person changed.
    let selection = match selection {
        Selection::Ids { ids } => serde_json::json!({ "kind": "ids", "count": ids.len() }),
        Selection::Matching { filter } => {
            serde_json::json!({ "kind": "matching", "filter": filter })
        }
    };
    NewEvent {
        at: now,
        actor_id: Some(&actor.id),
        actor_name: &actor.name,
        action,
        target_type: Some(if subject.is_role { "role" } else { "group" }),
        target_id: Some(&subject.id),
        target_name: Some(&subject.name),
        parent_id: None,
        summary,
        details: serde_json::json!({
            "selection": selection,
            "counts": counts,
            "expires_at": subject.expires_at,
        }),
        request_id: actor.request_id.as_deref(),
    }
}

/// The wording of the child events for one outcome: each child names the person, the action,
/// the role or group, and the person's end before and after.
fn child_events<'a>(
    actor: &'a Actor,
    subject: &'a Subject,
    parent: i64,
    end_change: bool,
    now: i64,
) -> Children<'a> {
    let (action, before, after) = match (subject.is_role, subject.removal, end_change) {
        (true, false, false) => (
            "user.role.assign",
            format!("{} gave ", actor.name),
            format!(" the role {}{}", subject.name, until(subject.expires_at)),
        ),
        (true, false, true) => (
            "user.role.assign",
            format!("{} changed the end of ", actor.name),
            format!(
                "'s role {} to {}",
                subject.name,
                end_text(subject.expires_at)
            ),
        ),
        (true, true, _) => (
            "user.role.remove",
            format!("{} removed the role {} from ", actor.name, subject.name),
            String::new(),
        ),
        (false, false, false) => (
            "group.member.add",
            format!("{} added ", actor.name),
            format!(
                " to the group {}{}",
                subject.name,
                until(subject.expires_at)
            ),
        ),
        (false, false, true) => (
            "group.member.add",
            format!("{} changed the end of ", actor.name),
            format!(
                "'s membership of {} to {}",
                subject.name,
                end_text(subject.expires_at)
            ),
        ),
        (false, true, _) => (
            "group.member.remove",
            format!("{} removed ", actor.name),
            format!(" from the group {}", subject.name),
        ),
    };
    let key = if subject.is_role { "role" } else { "group" };
    // `{"role_id":…,"role_name":…,"before":` + each person's `{"expires_at":N}` or `null` +
    // `,"after":{…}}`, as the single-person events have it.
    let head = serde_json::json!({
        format!("{key}_id"): subject.id,
        format!("{key}_name"): subject.name,
    })
    .to_string();
    let head = head.trim_end_matches('}').to_string() + ",\"before\":";
    let tail = if subject.removal {
        "}".to_string()
    } else {
        format!(
            ",\"after\":{}}}",
            serde_json::json!({ "expires_at": subject.expires_at })
        )
    };
    Children {
        kind: subject.kind(),
        subject: &subject.id,
        at: now,
        actor_id: &actor.id,
        actor_name: &actor.name,
        request_id: actor.request_id.as_deref(),
        action,
        parent,
        before,
        after,
        head,
        tail,
    }
}
