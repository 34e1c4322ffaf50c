//! Writing and reading the audit log. Events are only ever inserted: the schema refuses updates
//! and deletes, and nothing here offers them.

use super::AuditEvent;
use crate::error::AppResult;
use crate::on_db;
use crate::storage::{db_error, Tx};
use crate::ui::{ListQuery, Page, PER_PAGE};

/// An event to record, written in the same transaction as the change it describes.
pub struct NewEvent<'a> {
    pub at: i64,
    pub actor_id: Option<&'a str>,
    /// The actor's username at the time, kept beside the id so the event reads after renames.
    pub actor_name: &'a str,
    /// A stable dotted name such as `session.sign_in` or `role.assign`.
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<&'a str>,
    pub target_name: Option<&'a str>,
    pub parent_id: Option<i64>,
    /// The event as a sentence a person reads.
    pub summary: String,
    /// Before and after values and anything else a reviewer may need, as JSON.
    pub details: serde_json::Value,
    pub request_id: Option<&'a str>,
}

/// Appends an event and returns its id.
pub async fn record(tx: &mut Tx, event: &NewEvent<'_>) -> AppResult<i64> {
    let details = event.details.to_string();
    let id: i64 = on_db!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO audit_events (at, actor_id, actor_name, action, target_type, target_id,
                 target_name, parent_id, summary, details, request_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             RETURNING id",
        )
        .bind(event.at)
        .bind(event.actor_id)
        .bind(event.actor_name)
        .bind(event.action)
        .bind(event.target_type)
        .bind(event.target_id)
        .bind(event.target_name)
        .bind(event.parent_id)
        .bind(&event.summary)
        .bind(&details)
        .bind(event.request_id)
        .fetch_one(&mut *c)
        .await
        .map_err(db_error)?
    });
    Ok(id)
}

const MATCHES: &str = "($1 = '' OR lower(summary) LIKE $2 ESCAPE '\\'
    OR lower(actor_name) LIKE $2 ESCAPE '\\' OR lower(action) LIKE $2 ESCAPE '\\')";

/// Newest first.
pub async fn list(tx: &mut Tx, query: &ListQuery) -> AppResult<Page<AuditEvent>> {
    let pattern = query.like_pattern();
    let (items, total) = on_db!(tx, |c| {
        let items: Vec<AuditEvent> = sqlx::query_as(&format!(
            "SELECT id, at, actor_name, action, summary, parent_id FROM audit_events
             WHERE {MATCHES} ORDER BY at DESC, id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(&query.search)
        .bind(&pattern)
        .bind(query.limit())
        .bind(query.offset())
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)?;
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE {MATCHES}"
        ))
        .bind(&query.search)
        .bind(&pattern)
        .fetch_one(&mut *c)
        .await
        .map_err(db_error)?;
        (items, total)
    });
    Ok(Page {
        items,
        total,
        page: query.page,
        per_page: PER_PAGE,
    })
}
