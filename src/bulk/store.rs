//! The SQL of bulk changes. Each statement covers the whole selection: the selection reaches
//! the database as one JSON parameter (picked ids) or as the user list's filter, never as one
//! statement per person.

use std::collections::BTreeMap;

use super::{Selection, MAX_BULK};
use crate::access::store::parse_id;
use crate::error::{AppError, AppResult};
use crate::storage::{db_error, Bind, Sql, Tx};
use crate::{bind_all, on_db};

/// What a bulk change ties people to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Role,
    Group,
}

impl Kind {
    /// `(table, column holding the user, column holding the role or group)`. Constants, never
    /// input, so formatting them into SQL is safe.
    fn link(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Kind::Role => ("user_roles", "user_id", "role_id"),
            Kind::Group => ("group_members", "user_id", "group_id"),
        }
    }
}

pub fn too_many() -> AppError {
    AppError::invalid(
        "A bulk change can cover at most 100,000 people. Narrow the filter, for example by group.",
    )
}

/// The subquery of the selected user ids.
fn target_sql(tx: &Tx, sql: &mut Sql, selection: &Selection, now: i64) -> AppResult<String> {
    match selection {
        Selection::Ids { ids } => {
            if ids.is_empty() {
                return Err(AppError::invalid("Select at least one person."));
            }
            if ids.len() > MAX_BULK {
                return Err(too_many());
            }
            let ids = ids
                .iter()
                .map(|id| parse_id("user", id))
                .collect::<AppResult<Vec<_>>>()?;
            let param = sql.text(serde_json::to_string(&ids).unwrap_or_default());
            Ok(format!(
                "SELECT u.id FROM users u WHERE u.id IN ({})",
                tx.json_strings(&param)
            ))
        }
        Selection::Matching { filter } => {
            let condition = crate::users::store::filter_sql(tx, sql, filter, now)?;
            Ok(format!("SELECT u.id FROM users u WHERE {condition}"))
        }
    }
}

/// A selected person and their live link to the role or group, if any.
#[derive(sqlx::FromRow)]
pub struct Selected {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub linked: bool,
    pub current_end: Option<i64>,
}

/// Everyone selected, by name, with their current link to `subject`. At most one more than
/// [`MAX_BULK`], so the caller can tell "too many" without reading millions.
pub async fn selected(
    tx: &mut Tx,
    selection: &Selection,
    kind: Kind,
    subject: &str,
    now: i64,
) -> AppResult<Vec<Selected>> {
    let mut sql = Sql::default();
    let target = target_sql(tx, &mut sql, selection, now)?;
    let (table, user_col, subject_col) = kind.link();
    let subject = sql.text(subject);
    let now = sql.int(now);
    let limit = sql.int(MAX_BULK as i64 + 1);
    let text = format!(
        "SELECT u.id AS user_id, u.username, u.display_name, u.disabled,
             l.{user_col} IS NOT NULL AS linked, l.expires_at AS current_end
         FROM users u
         LEFT JOIN {table} l ON l.{user_col} = u.id AND l.{subject_col} = {subject}
             AND (l.expires_at IS NULL OR l.expires_at > {now})
         WHERE u.id IN ({target})
         ORDER BY lower(u.display_name), u.id
         LIMIT {limit}"
    );
    on_db!(tx, |c| {
        bind_all!(sqlx::query_as(&text), &sql.binds)
            .fetch_all(&mut *c)
            .await
            .map_err(db_error)
    })
}

/// For a role removal: the groups through which each selected person holds the role anyway.
pub async fn keepers(
    tx: &mut Tx,
    selection: &Selection,
    role: &str,
    now: i64,
) -> AppResult<BTreeMap<String, Vec<String>>> {
    let mut sql = Sql::default();
    let target = target_sql(tx, &mut sql, selection, now)?;
    let role = sql.text(role);
    let now = sql.int(now);
    let text = format!(
        "SELECT gm.user_id, g.name FROM group_roles gr
         JOIN group_members gm ON gm.group_id = gr.group_id
         JOIN access_groups g ON g.id = gr.group_id
         WHERE gr.role_id = {role}
           AND (gr.expires_at IS NULL OR gr.expires_at > {now})
           AND (gm.expires_at IS NULL OR gm.expires_at > {now})
           AND gm.user_id IN ({target})
         ORDER BY lower(g.name)"
    );
    let pairs: Vec<(String, String)> = on_db!(tx, |c| {
        bind_all!(sqlx::query_as(&text), &sql.binds)
            .fetch_all(&mut *c)
            .await
            .map_err(db_error)?
    });
    let mut keeps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (user, group) in pairs {
        keeps.entry(user).or_default().push(group);
    }
    Ok(keeps)
}

/// The child events of one bulk change for one kind of outcome, alike but for each person's
/// name and current end.
pub struct Children<'a> {
    pub kind: Kind,
    pub subject: &'a str,
    pub at: i64,
    pub actor_id: &'a str,
    pub actor_name: &'a str,
    pub request_id: Option<&'a str>,
    pub action: &'a str,
    pub parent: i64,
    /// The summary is `before + username + after`.
    pub before: String,
    pub after: String,
    /// The details are `head + {"expires_at": N} or null + tail`: each person's end before.
    pub head: String,
    pub tail: String,
}

/// One child event per person in `ids`, in one statement. Run it before the links change: it
/// reads each person's end as it was.
/// Makes concurrent changes of one role or group wait for each other (see
/// [`crate::access::store::lock_for_change`]): two overlapping bulk grants on PostgreSQL both
/// saw the same people as lacking the role and both recorded their change.
pub async fn lock_subject(tx: &mut Tx, kind: Kind, id: &str) -> AppResult<()> {
    let table = match kind {
        Kind::Role => "roles",
        Kind::Group => "access_groups",
    };
    crate::access::store::lock_for_change(tx, table, id).await
}

pub async fn write_children(tx: &mut Tx, children: &Children<'_>, ids: &[&str]) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let (table, user_col, subject_col) = children.kind.link();
    let mut sql = Sql::default();
    let at = sql.int(children.at);
    let actor_id = sql.text(children.actor_id);
    let actor_name = sql.text(children.actor_name);
    let action = sql.text(children.action);
    let parent = sql.int(children.parent);
    let before = sql.text(children.before.clone());
    let after = sql.text(children.after.clone());
    let head = sql.text(children.head.clone());
    let tail = sql.text(children.tail.clone());
    let request = sql.text(children.request_id.unwrap_or_default());
    let subject = sql.text(children.subject);
    let ids = sql.text(serde_json::to_string(ids).unwrap_or_default());
    let text = format!(
        "INSERT INTO audit_events (at, actor_id, actor_name, action, target_type, target_id,
             target_name, parent_id, summary, details, request_id)
         SELECT {at}, {actor_id}, {actor_name}, {action}, 'user', u.id, u.username,
             {parent}, {before} || u.username || {after},
             {head} || CASE WHEN l.{user_col} IS NULL THEN 'null'
                 ELSE '{{\"expires_at\":' || COALESCE(CAST(l.expires_at AS TEXT), 'null') || '}}'
                 END || {tail},
             NULLIF({request}, '')
         FROM users u
         LEFT JOIN {table} l ON l.{user_col} = u.id AND l.{subject_col} = {subject}
         WHERE u.id IN ({ids})
         ORDER BY lower(u.display_name), u.id",
        ids = tx.json_strings(&ids)
    );
    on_db!(tx, |c| {
        bind_all!(sqlx::query(&text), &sql.binds)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

/// Creates or re-ends (`Some(end)` or `None` for "until removed") the links of everyone in
/// `ids`, or deletes them (`removal`), in one statement.
pub async fn write_links(
    tx: &mut Tx,
    kind: Kind,
    subject: &str,
    ids: &[&str],
    removal: bool,
    expires_at: Option<i64>,
    now: i64,
) -> AppResult<()> {
    let (table, user_col, subject_col) = kind.link();
    let mut sql = Sql::default();
    let subject = sql.text(subject);
    let ids = sql.text(serde_json::to_string(ids).unwrap_or_default());
    let ids = tx.json_strings(&ids);
    let text = if removal {
        format!("DELETE FROM {table} WHERE {subject_col} = {subject} AND {user_col} IN ({ids})")
    } else {
        let end = sql.param(Bind::OptInt(expires_at));
        let now = sql.int(now);
        format!(
            "INSERT INTO {table} ({user_col}, {subject_col}, expires_at, created_at)
             SELECT u.id, {subject}, {end}, {now} FROM users u WHERE u.id IN ({ids})
             ON CONFLICT ({user_col}, {subject_col})
             DO UPDATE SET expires_at = excluded.expires_at, created_at = excluded.created_at"
        )
    };
    on_db!(tx, |c| {
        bind_all!(sqlx::query(&text), &sql.binds)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

/// A selected person and how many live sessions they have.
#[derive(sqlx::FromRow)]
pub struct WithSessions {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub live: i64,
}

/// "Live", as `auth::session::authenticate` reads it, for a session aliased `s`.
const LIVE_SESSION: &str =
    "s.revoked_at IS NULL AND s.idle_expires_at > {now} AND s.absolute_expires_at > {now}";

/// Everyone selected, by name, with their number of live sessions. At most one more than
/// [`MAX_BULK`].
pub async fn with_sessions(
    tx: &mut Tx,
    selection: &Selection,
    now: i64,
) -> AppResult<Vec<WithSessions>> {
    let mut sql = Sql::default();
    let target = target_sql(tx, &mut sql, selection, now)?;
    let now = sql.int(now);
    let live = LIVE_SESSION.replace("{now}", &now);
    let limit = sql.int(MAX_BULK as i64 + 1);
    let text = format!(
        "SELECT u.id AS user_id, u.username, u.display_name, u.disabled,
             (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id AND {live}) AS live
         FROM users u
         WHERE u.id IN ({target})
         ORDER BY lower(u.display_name), u.id
         LIMIT {limit}"
    );
    on_db!(tx, |c| {
        bind_all!(sqlx::query_as(&text), &sql.binds)
            .fetch_all(&mut *c)
            .await
            .map_err(db_error)
    })
}

/// One `session.revoke_all` child event per person in `ids`, with the number of sessions it
/// ends, in one statement. Run it before [`end_sessions`].
pub async fn write_sign_out_children(
    tx: &mut Tx,
    actor: &crate::access::domain::Actor,
    parent: i64,
    ids: &[&str],
    now: i64,
) -> AppResult<()> {
    let mut sql = Sql::default();
    let at = sql.int(now);
    let actor_id = sql.text(actor.id.clone());
    let actor_name = sql.text(actor.name.clone());
    let parent = sql.int(parent);
    let request = sql.text(actor.request_id.clone().unwrap_or_default());
    let live = LIVE_SESSION.replace("{now}", &at);
    let ids = sql.text(serde_json::to_string(ids).unwrap_or_default());
    let count = format!("(SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id AND {live})");
    let text = format!(
        "INSERT INTO audit_events (at, actor_id, actor_name, action, target_type, target_id,
             target_name, parent_id, summary, details, request_id)
         SELECT {at}, NULLIF({actor_id}, ''), {actor_name}, 'session.revoke_all', 'user', u.id,
             u.username, {parent},
             {actor_name} || ' ended ' || CASE WHEN {count} = 1 THEN 'the session'
                 ELSE 'all ' || CAST({count} AS TEXT) || ' sessions' END || ' of ' || u.username,
             '{{\"sessions_ended\":' || CAST({count} AS TEXT) || '}}',
             NULLIF({request}, '')
         FROM users u
         WHERE u.id IN ({ids})
         ORDER BY lower(u.display_name), u.id",
        ids = tx.json_strings(&ids)
    );
    on_db!(tx, |c| {
        bind_all!(sqlx::query(&text), &sql.binds)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

/// Ends every live session of everyone in `ids`, in one statement.
pub async fn end_sessions(tx: &mut Tx, ids: &[&str], now: i64) -> AppResult<()> {
    let mut sql = Sql::default();
    let now = sql.int(now);
    let live = LIVE_SESSION.replace("s.", "").replace("{now}", &now);
    let ids = sql.text(serde_json::to_string(ids).unwrap_or_default());
    let text = format!(
        "UPDATE sessions SET revoked_at = {now} WHERE {live} AND user_id IN ({ids})",
        ids = tx.json_strings(&ids)
    );
    on_db!(tx, |c| {
        bind_all!(sqlx::query(&text), &sql.binds)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}
