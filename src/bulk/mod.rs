//! Bulk changes from the user list: give or take a role, add to or remove from a group, for a
//! selection of people or for everyone a filter matches. Always previewed first; applied in one
//! transaction, set-based, with one parent audit event linking one child event per person
//! changed.

pub mod dialog;
#[cfg(feature = "ssr")]
pub mod domain;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::filter::UserFilter;

/// The most people one bulk operation may change. Ten times the largest operation the product
/// is measured on; beyond it an operation should be split (by group, say) so that its preview
/// means something to the person confirming it.
pub const MAX_BULK: usize = 100_000;

/// Who a bulk operation is for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Selection {
    /// These people, picked one by one (possibly across pages).
    Ids { ids: Vec<String> },
    /// Everyone the filter matches when the operation runs; the server resolves it.
    Matching { filter: UserFilter },
}

/// What a bulk operation does to each person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BulkAction {
    AddRole {
        role_id: String,
        expires_at: Option<i64>,
    },
    RemoveRole {
        role_id: String,
    },
    AddToGroup {
        group_id: String,
        expires_at: Option<i64>,
    },
    RemoveFromGroup {
        group_id: String,
    },
    /// Ends every live session of each person (console and applications) now.
    SignOut,
}

impl BulkAction {
    pub fn is_removal(&self) -> bool {
        matches!(
            self,
            BulkAction::RemoveRole { .. }
                | BulkAction::RemoveFromGroup { .. }
                | BulkAction::SignOut
        )
    }
}

/// What happens, or happened, to one person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Gains (or loses) the role or membership.
    Changes,
    /// Keeps the role or membership with a new end.
    EndChanges,
    /// Already so: has it with this end, or does not have it.
    AlreadySo,
    /// Left alone because the account is disabled (only additions skip disabled people).
    SkippedDisabled,
}

impl Outcome {
    pub fn describe(self, removal: bool) -> &'static str {
        match (self, removal) {
            (Outcome::Changes, false) => "added",
            (Outcome::Changes, true) => "removed",
            (Outcome::EndChanges, _) => "end changed",
            (Outcome::AlreadySo, false) => "already had it",
            (Outcome::AlreadySo, true) => "did not have it",
            (Outcome::SkippedDisabled, _) => "skipped: account disabled",
        }
    }

    /// The same for signing people out.
    pub fn describe_sign_out(self) -> &'static str {
        match self {
            Outcome::Changes => "signed out",
            _ => "had no live session",
        }
    }
}

/// One person in a preview or a result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkRow {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub outcome: Outcome,
    /// For a role removal: the groups through which the person keeps the role anyway.
    pub keeps_through: Vec<String>,
}

/// Counts over the whole selection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkCounts {
    pub selected: i64,
    pub changes: i64,
    pub end_changes: i64,
    pub already_so: i64,
    pub skipped_disabled: i64,
    /// Disabled people in the selection, whatever happens to them.
    pub disabled: i64,
    /// For a role removal: people who keep the role through a group.
    pub keep_through_group: i64,
}

/// What confirming would do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkPreview {
    pub counts: BulkCounts,
    /// Whether the action takes something away.
    pub removal: bool,
    /// Whether the action signs people out (`changes` then counts people with live sessions).
    #[serde(default)]
    pub sign_out: bool,
    /// "Add the role Operator", for headings.
    pub action_label: String,
    /// The confirm button's text: "Add Operator to 27 people".
    pub confirm_label: String,
    /// The first people who would change (and, for removals, who keeps the role anyway).
    pub sample: Vec<BulkRow>,
}

/// What was done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkResult {
    pub counts: BulkCounts,
    pub removal: bool,
    #[serde(default)]
    pub sign_out: bool,
    pub message: String,
    /// The parent audit event, if anything changed.
    pub event_id: Option<i64>,
    /// Per person, by name; the first [`RESULT_ROWS`] (the audit log has every one).
    pub rows: Vec<BulkRow>,
    pub takes_effect: Option<String>,
}

/// How many people a preview samples.
pub const SAMPLE_ROWS: usize = 10;
/// How many per-person outcomes a result carries.
pub const RESULT_ROWS: usize = 500;

/// What a bulk operation would do, changing nothing. Needs the scope the operation needs.
#[server(prefix = "/api", endpoint = "users/bulk/preview", input = Json)]
pub async fn preview_bulk(
    selection: Selection,
    action: BulkAction,
) -> Result<BulkPreview, AppError> {
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, _) = authorize(domain::permission(&action))?;
            let mut tx = ctx.state.db.read().await?;
            domain::preview(&mut tx, &selection, &action, ctx.now).await
        }
        .await,
    )
}

/// Applies a bulk operation in one transaction. Needs `roles:write` for roles,
/// `groups:write` for groups and `sessions:revoke` to sign people out.
#[server(prefix = "/api", endpoint = "users/bulk/apply", input = Json)]
pub async fn apply_bulk(selection: Selection, action: BulkAction) -> Result<BulkResult, AppError> {
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, caller) = authorize(domain::permission(&action))?;
            let actor = ctx.actor(&caller);
            let now = ctx.now;
            let result = ctx
                .state
                .db
                .write(|tx| {
                    let (actor, selection, action) =
                        (actor.clone(), selection.clone(), action.clone());
                    Box::pin(async move {
                        crate::access::lapse::sweep(tx, now).await?;
                        domain::apply(tx, &actor, &selection, &action, now).await
                    })
                })
                .await?;
            tracing::info!(
                actor = %actor.id,
                changed = result.counts.changes + result.counts.end_changes,
                selected = result.counts.selected,
                "applied a bulk change"
            );
            crate::server::metrics::bulk_operation(result.counts.selected.max(0) as u64);
            Ok(result)
        }
        .await,
    )
}
