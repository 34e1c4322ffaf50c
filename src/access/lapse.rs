//! Assignments whose end has passed. They stop counting at that instant (every query reads
//! "live" against the request's now); the sweep here then removes their rows and writes one
//! audit event per lapse, dated at the end itself, so the log shows each lapse at its own time
//! however late the sweep runs.
//!
//! The sweep runs in two places: inside every assignment change, before the change (so a
//! lapsed row that the change replaces is recorded first), and on a timer in `serve`.

use super::store::{self, Lapsed};
use crate::audit::store::{self as audit, NewEvent};
use crate::error::AppResult;
use crate::storage::Tx;
use crate::ui::format_time;

/// The actor named on lapse events: nobody acted, the end time did.
pub const EXPIRY_ACTOR: &str = "Tessera (expiry)";

/// One kind of assignment and how to word its lapse.
struct Kind {
    link: store::Link,
    action: &'static str,
    /// `(target type, target is the left side)`.
    target: (&'static str, bool),
    summary: fn(&Lapsed) -> String,
    /// The ids and names of both sides, under the keys the other events of the kind use.
    keys: (&'static str, &'static str),
}

const KINDS: [Kind; 3] = [
    Kind {
        link: store::USER_ROLE,
        action: "user.role.lapse",
        target: ("user", true),
        summary: |l| format!("{}'s role {} ended", l.left_name, l.right_name),
        keys: ("user", "role"),
    },
    Kind {
        link: store::MEMBERSHIP,
        action: "group.member.lapse",
        target: ("user", false),
        summary: |l| {
            format!(
                "{}'s membership of the group {} ended",
                l.right_name, l.left_name
            )
        },
        keys: ("group", "user"),
    },
    Kind {
        link: store::GROUP_ROLE,
        action: "group.role.lapse",
        target: ("group", true),
        summary: |l| format!("The group {}'s role {} ended", l.left_name, l.right_name),
        keys: ("group", "role"),
    },
];

/// Removes every assignment whose end is at or before `now` and records each lapse. Returns
/// how many lapsed. Runs in the caller's transaction.
pub async fn sweep(tx: &mut Tx, now: i64) -> AppResult<usize> {
    let mut lapsed_total = 0;
    for kind in &KINDS {
        let lapsed = store::lapsed(tx, kind.link, now).await?;
        if lapsed.is_empty() {
            continue;
        }
        let deleted: std::collections::BTreeSet<(String, String)> =
            store::delete_lapsed(tx, kind.link, now)
                .await?
                .into_iter()
                .collect();
        let lapsed: Vec<Lapsed> = lapsed
            .into_iter()
            .filter(|row| deleted.contains(&(row.left_id.clone(), row.right_id.clone())))
            .collect();
        for row in &lapsed {
            let (target_id, target_name) = if kind.target.1 {
                (&row.left_id, &row.left_name)
            } else {
                (&row.right_id, &row.right_name)
            };
            audit::record(
                tx,
                &NewEvent {
                    at: row.expires_at,
                    actor_id: None,
                    actor_name: EXPIRY_ACTOR,
                    action: kind.action,
                    target_type: Some(kind.target.0),
                    target_id: Some(target_id),
                    target_name: Some(target_name),
                    parent_id: None,
                    summary: (kind.summary)(row),
                    details: serde_json::json!({
                        format!("{}_id", kind.keys.0): row.left_id,
                        format!("{}_name", kind.keys.0): row.left_name,
                        format!("{}_id", kind.keys.1): row.right_id,
                        format!("{}_name", kind.keys.1): row.right_name,
                        "before": { "expires_at": row.expires_at },
                        "ended": format_time(row.expires_at),
                    }),
                    request_id: None,
                },
            )
            .await?;
        }
        lapsed_total += lapsed.len();
    }
    Ok(lapsed_total)
}
