//! Writing and reading the audit log. Events are only ever inserted: the schema refuses updates
//! and deletes, and nothing here offers them.

use super::{AuditEvent, AuditFilter, EventKind};
use crate::error::{AppError, AppResult};
use crate::storage::{db_error, Sql, Tx};
use crate::ui::{ListQuery, Page, PER_PAGE};
use crate::{bind_all, on_db};

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

const COLUMNS: &str = "e.id, e.at, e.actor_id, e.actor_name, e.action, e.target_type, e.target_id,
    e.target_name, e.parent_id, e.summary, e.details, e.request_id,
    (SELECT COUNT(*) FROM audit_events c WHERE c.parent_id = e.id) AS child_count";

/// Unix seconds at the start of a `YYYY-MM-DD` day, UTC.
fn day_start(value: &str, what: &str) -> AppResult<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value.trim(), &format)
        .map(|d| d.midnight().assume_utc().unix_timestamp())
        .map_err(|_| {
            AppError::invalid(format!(
                "“{value}” is not a date for “{what}”; use YYYY-MM-DD."
            ))
        })
}

/// The `WHERE` condition (on `audit_events e`) for a filter. With `top_level`, and without a
/// target or an event, only top-level events match: the per-person events of a bulk change
/// sit under their parent.
pub fn filter_sql(sql: &mut Sql, filter: &AuditFilter, top_level: bool) -> AppResult<String> {
    let mut conditions = Vec::new();
    let q = ListQuery::new(&filter.q, 1);
    if !q.search.is_empty() {
        let p = sql.text(q.like_pattern());
        conditions.push(format!(
            "(lower(e.summary) LIKE {p} ESCAPE '\\' OR lower(e.action) LIKE {p} ESCAPE '\\')"
        ));
    }
    let actor = filter.actor.trim().to_lowercase();
    if !actor.is_empty() {
        let exact = sql.text(actor);
        conditions.push(format!(
            "(lower(e.actor_name) = {exact} OR e.actor_id = {exact})"
        ));
    }
    let target = filter.target.trim();
    if !target.is_empty() {
        let exact = sql.text(target.to_lowercase());
        // As a quoted JSON value, the id or name of a role or group in the details.
        let quoted =
            sql.text(ListQuery::new(&format!("\"{}\"", target.to_lowercase()), 1).like_pattern());
        conditions.push(format!(
            "(lower(e.target_id) = {exact} OR lower(e.target_name) = {exact}
              OR lower(e.details) LIKE {quoted} ESCAPE '\\')"
        ));
    }
    if let Some(pattern) = filter.kind.pattern() {
        let p = sql.text(pattern);
        conditions.push(format!("e.action LIKE {p}"));
    }
    if !filter.from.trim().is_empty() {
        let from = sql.int(day_start(&filter.from, "from")?);
        conditions.push(format!("e.at >= {from}"));
    }
    if !filter.to.trim().is_empty() {
        let to = sql.int(day_start(&filter.to, "to")? + 86_400);
        conditions.push(format!("e.at < {to}"));
    }
    let event = filter.event.trim();
    if !event.is_empty() {
        let id: i64 = event
            .trim_start_matches('#')
            .parse()
            .map_err(|_| AppError::invalid(format!("“{event}” is not an event number.")))?;
        let id = sql.int(id);
        conditions.push(format!("e.id = {id}"));
    } else if target.is_empty() && top_level {
        conditions.push("e.parent_id IS NULL".into());
    }
    Ok(if conditions.is_empty() {
        "TRUE".into()
    } else {
        conditions.join(" AND ")
    })
}

/// A page of events, newest first.
// NOTE: offset paging: deep pages of a very long log cost more than the first ones. The export
// (keyset by id) is the way to read everything; the page is for looking.
pub async fn list(tx: &mut Tx, filter: &AuditFilter, page: u32) -> AppResult<Page<AuditEvent>> {
    let query = ListQuery::new("", page);
    let mut sql = Sql::default();
    let condition = filter_sql(&mut sql, filter, true)?;
    let count_binds = sql.binds.clone();
    let limit = sql.int(query.limit());
    let offset = sql.int(query.offset());
    let items_sql = format!(
        "SELECT {COLUMNS} FROM audit_events e WHERE {condition}
         ORDER BY e.at DESC, e.id DESC LIMIT {limit} OFFSET {offset}"
    );
    let count_sql = format!("SELECT COUNT(*) FROM audit_events e WHERE {condition}");
    let (items, total) = on_db!(tx, |c| {
        let items: Vec<AuditEvent> = bind_all!(sqlx::query_as(&items_sql), &sql.binds)
            .fetch_all(&mut *c)
            .await
            .map_err(db_error)?;
        let total: i64 = bind_all!(sqlx::query_scalar(&count_sql), &count_binds)
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

/// The events a bulk change wrote, one per person, by person.
pub async fn children(tx: &mut Tx, parent: i64, page: u32) -> AppResult<Page<AuditEvent>> {
    let query = ListQuery::new("", page);
    let (items, total) = on_db!(tx, |c| {
        let items: Vec<AuditEvent> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM audit_events e WHERE e.parent_id = $1
             ORDER BY e.id LIMIT $2 OFFSET $3"
        ))
        .bind(parent)
        .bind(query.limit())
        .bind(query.offset())
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)?;
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE parent_id = $1")
                .bind(parent)
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

/// Up to `limit` events matching the filter with ids above `after`, oldest first, children
/// included: the export reads the log in these batches.
pub async fn export_batch(
    tx: &mut Tx,
    filter: &AuditFilter,
    after: i64,
    limit: i64,
) -> AppResult<Vec<AuditEvent>> {
    let mut sql = Sql::default();
    let condition = filter_sql(&mut sql, filter, false)?;
    let after = sql.int(after);
    let limit = sql.int(limit);
    let text = format!(
        "SELECT {COLUMNS} FROM audit_events e WHERE {condition} AND e.id > {after}
         ORDER BY e.id LIMIT {limit}"
    );
    on_db!(tx, |c| {
        bind_all!(sqlx::query_as(&text), &sql.binds)
            .fetch_all(&mut *c)
            .await
            .map_err(db_error)
    })
}

impl EventKind {
    /// The `LIKE` pattern on the action name.
    pub fn pattern(self) -> Option<&'static str> {
        match self {
            EventKind::Any => None,
            EventKind::SignIn => Some("session.%"),
            EventKind::UserRoles => Some("user.role.%"),
            EventKind::Memberships => Some("group.member.%"),
            EventKind::GroupRoles => Some("group.role.%"),
            EventKind::Roles => Some("role.%"),
            EventKind::Scopes => Some("scope.%"),
            EventKind::Bulk => Some("bulk.%"),
            EventKind::Lapses => Some("%.lapse"),
            EventKind::Applications => Some("client.%"),
        }
    }
}
