//! The SQL of assignments: who holds which role directly, through which group, until when.
//!
//! "Live" everywhere means `expires_at IS NULL OR expires_at > now`: an assignment whose end has
//! passed grants nothing, whether or not a clean-up has removed its row yet.

use super::{GroupMemberRow, GroupRoleRow, InheritedRole, Membership, RoleAssignment};
use crate::error::{AppError, AppResult};
use crate::on_db;
use crate::storage::{db_error, Tx};
use crate::users::UserSummary;

/// A named thing an assignment refers to, checked to exist.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// Parses an id from a request: a malformed one is the caller's mistake, said in words.
pub fn parse_id(kind: &str, id: &str) -> AppResult<String> {
    uuid::Uuid::parse_str(id.trim())
        .map(|u| u.to_string())
        .map_err(|_| AppError::invalid(format!("“{id}” is not a valid {kind} id.")))
}

/// Makes concurrent changes through one role or group (`table` is `roles` or `access_groups`)
/// wait for each other on PostgreSQL, so that each reads what the other committed before
/// deciding what changes. Without it two admins making the same change at once both saw it as
/// new and both audited it. SQLite's write transactions hold its one write lock from the start.
pub async fn lock_for_change(tx: &mut Tx, table: &'static str, id: &str) -> AppResult<()> {
    if !tx.is_postgres() {
        return Ok(());
    }
    let sql = format!("SELECT id FROM {table} WHERE id = $1 FOR UPDATE");
    on_db!(tx, |c| {
        sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *c)
            .await
            .map(|_| ())
    })
    .map_err(db_error)
}

pub async fn user(tx: &mut Tx, id: &str) -> AppResult<UserSummary> {
    let id = parse_id("user", id)?;
    let row: Option<UserSummary> = on_db!(tx, |c| {
        sqlx::query_as(
            "SELECT id, username, display_name, email, disabled, created_at FROM users WHERE id = $1",
        )
        .bind(&id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_error)?
    });
    row.ok_or_else(|| {
        AppError::not_found("There is no user with this id. They may have been deleted.")
    })
}

pub async fn role(tx: &mut Tx, id: &str) -> AppResult<Named> {
    let id = parse_id("role", id)?;
    let row: Option<Named> = on_db!(tx, |c| {
        sqlx::query_as("SELECT id, name FROM roles WHERE id = $1")
            .bind(&id)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_error)?
    });
    row.ok_or_else(|| {
        AppError::not_found("There is no role with this id. It may have been deleted.")
    })
}

pub async fn group(tx: &mut Tx, id: &str) -> AppResult<Named> {
    let id = parse_id("group", id)?;
    let row: Option<Named> = on_db!(tx, |c| {
        sqlx::query_as("SELECT id, name FROM access_groups WHERE id = $1")
            .bind(&id)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_error)?
    });
    row.ok_or_else(|| {
        AppError::not_found("There is no group with this id. It may have been deleted.")
    })
}

/// The user's live direct roles, by name.
pub async fn direct_roles(tx: &mut Tx, user_id: &str, now: i64) -> AppResult<Vec<RoleAssignment>> {
    on_db!(tx, |c| {
        sqlx::query_as(
            "SELECT ur.role_id, r.name AS role_name, ur.expires_at
             FROM user_roles ur JOIN roles r ON r.id = ur.role_id
             WHERE ur.user_id = $1 AND (ur.expires_at IS NULL OR ur.expires_at > $2)
             ORDER BY lower(r.name)",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)
    })
}

/// The user's live group memberships, by group name.
pub async fn memberships(tx: &mut Tx, user_id: &str, now: i64) -> AppResult<Vec<Membership>> {
    on_db!(tx, |c| {
        sqlx::query_as(
            "SELECT gm.group_id, g.name AS group_name, gm.expires_at
             FROM group_members gm JOIN access_groups g ON g.id = gm.group_id
             WHERE gm.user_id = $1 AND (gm.expires_at IS NULL OR gm.expires_at > $2)
             ORDER BY lower(g.name)",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)
    })
}

#[derive(sqlx::FromRow)]
struct InheritedRow {
    role_id: String,
    role_name: String,
    group_id: String,
    group_name: String,
    membership_expires_at: Option<i64>,
    role_expires_at: Option<i64>,
}

/// The roles the user holds through live memberships of groups holding them live.
pub async fn inherited_roles(
    tx: &mut Tx,
    user_id: &str,
    now: i64,
) -> AppResult<Vec<InheritedRole>> {
    let rows: Vec<InheritedRow> = on_db!(tx, |c| {
        sqlx::query_as(
            "SELECT gr.role_id, r.name AS role_name, g.id AS group_id, g.name AS group_name,
                 gm.expires_at AS membership_expires_at, gr.expires_at AS role_expires_at
             FROM group_members gm
             JOIN group_roles gr ON gr.group_id = gm.group_id
             JOIN roles r ON r.id = gr.role_id
             JOIN access_groups g ON g.id = gm.group_id
             WHERE gm.user_id = $1
               AND (gm.expires_at IS NULL OR gm.expires_at > $2)
               AND (gr.expires_at IS NULL OR gr.expires_at > $2)
             ORDER BY lower(r.name), lower(g.name)",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)?
    });
    Ok(rows
        .into_iter()
        .map(|row| InheritedRole {
            role_id: row.role_id,
            role_name: row.role_name,
            group_id: row.group_id,
            group_name: row.group_name,
            // The path ends when the first of its two links ends.
            expires_at: match (row.membership_expires_at, row.role_expires_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        })
        .collect())
}

/// `(role_id, scope)` for every scope of the given roles.
pub async fn scopes_of_roles(tx: &mut Tx, role_ids: &[String]) -> AppResult<Vec<(String, String)>> {
    if role_ids.is_empty() {
        return Ok(Vec::new());
    }
    // Roles per user are few; a bound list keeps this one query on both databases.
    let placeholders: Vec<String> = (1..=role_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT role_id, scope FROM role_scopes WHERE role_id IN ({}) ORDER BY scope",
        placeholders.join(", ")
    );
    on_db!(tx, |c| {
        let mut query = sqlx::query_as(&sql);
        for id in role_ids {
            query = query.bind(id);
        }
        query.fetch_all(&mut *c).await.map_err(db_error)
    })
}

/// One of the three assignment tables: a row links `left` to `right`, optionally until
/// `expires_at`. The names are constants, never input, so formatting them into SQL is safe.
#[derive(Clone, Copy, Debug)]
pub struct Link {
    table: &'static str,
    left: &'static str,
    right: &'static str,
}

/// A user's direct role: (user, role).
pub const USER_ROLE: Link = Link {
    table: "user_roles",
    left: "user_id",
    right: "role_id",
};
/// A membership: (group, user).
pub const MEMBERSHIP: Link = Link {
    table: "group_members",
    left: "group_id",
    right: "user_id",
};
/// A group's role: (group, role).
pub const GROUP_ROLE: Link = Link {
    table: "group_roles",
    left: "group_id",
    right: "role_id",
};

/// The live end of a link: `None` if there is no live link, `Some(None)` for one without an
/// end. A row whose end has passed counts as no link.
pub async fn live_link(
    tx: &mut Tx,
    link: Link,
    left: &str,
    right: &str,
    now: i64,
) -> AppResult<Option<Option<i64>>> {
    let sql = format!(
        "SELECT expires_at FROM {} WHERE {} = $1 AND {} = $2",
        link.table, link.left, link.right
    );
    let row: Option<(Option<i64>,)> = on_db!(tx, |c| {
        sqlx::query_as(&sql)
            .bind(left)
            .bind(right)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_error)?
    });
    Ok(row
        .map(|(end,)| end)
        .filter(|end| end.is_none_or(|end| end > now)))
}

/// Creates the link, or replaces a lapsed or differently ending one.
pub async fn upsert_link(
    tx: &mut Tx,
    link: Link,
    left: &str,
    right: &str,
    expires_at: Option<i64>,
    now: i64,
) -> AppResult<()> {
    let sql = format!(
        "INSERT INTO {table} ({l}, {r}, expires_at, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT ({l}, {r}) DO UPDATE SET expires_at = $3, created_at = $4",
        table = link.table,
        l = link.left,
        r = link.right
    );
    on_db!(tx, |c| {
        sqlx::query(&sql)
            .bind(left)
            .bind(right)
            .bind(expires_at)
            .bind(now)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

/// Deletes the link; returns whether a live one was there (a lapsed row goes too, silently).
pub async fn delete_link(
    tx: &mut Tx,
    link: Link,
    left: &str,
    right: &str,
    now: i64,
) -> AppResult<bool> {
    let live = live_link(tx, link, left, right, now).await?.is_some();
    let sql = format!(
        "DELETE FROM {} WHERE {} = $1 AND {} = $2",
        link.table, link.left, link.right
    );
    on_db!(tx, |c| {
        sqlx::query(&sql)
            .bind(left)
            .bind(right)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(live)
}

/// The group's live members, by display name.
pub async fn group_members(
    tx: &mut Tx,
    group_id: &str,
    now: i64,
) -> AppResult<Vec<GroupMemberRow>> {
    on_db!(tx, |c| {
        sqlx::query_as(
            "SELECT u.id AS user_id, u.username, u.display_name, u.disabled, gm.expires_at
             FROM group_members gm JOIN users u ON u.id = gm.user_id
             WHERE gm.group_id = $1 AND (gm.expires_at IS NULL OR gm.expires_at > $2)
             ORDER BY lower(u.display_name), u.id",
        )
        .bind(group_id)
        .bind(now)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)
    })
}

/// The group's live roles, by name.
pub async fn group_roles(tx: &mut Tx, group_id: &str, now: i64) -> AppResult<Vec<GroupRoleRow>> {
    on_db!(tx, |c| {
        sqlx::query_as(
            "SELECT r.id AS role_id, r.name AS role_name, gr.expires_at
             FROM group_roles gr JOIN roles r ON r.id = gr.role_id
             WHERE gr.group_id = $1 AND (gr.expires_at IS NULL OR gr.expires_at > $2)
             ORDER BY lower(r.name)",
        )
        .bind(group_id)
        .bind(now)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)
    })
}

/// A group's name and description.
pub async fn group_header(tx: &mut Tx, id: &str) -> AppResult<super::GroupHeader> {
    let id = parse_id("group", id)?;
    let row: Option<super::GroupHeader> = on_db!(tx, |c| {
        sqlx::query_as("SELECT id, name, description FROM access_groups WHERE id = $1")
            .bind(&id)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_error)?
    });
    row.ok_or_else(|| {
        AppError::not_found("There is no group with this id. It may have been deleted.")
    })
}

/// A role's header: name, description, built-in or not.
pub async fn role_header(tx: &mut Tx, id: &str) -> AppResult<super::RoleHeader> {
    let id = parse_id("role", id)?;
    let row: Option<super::RoleHeader> = on_db!(tx, |c| {
        sqlx::query_as("SELECT id, name, description, builtin FROM roles WHERE id = $1")
            .bind(&id)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_error)?
    });
    row.ok_or_else(|| {
        AppError::not_found("There is no role with this id. It may have been deleted.")
    })
}

pub async fn role_scopes(tx: &mut Tx, role_id: &str) -> AppResult<Vec<String>> {
    on_db!(tx, |c| {
        sqlx::query_scalar("SELECT scope FROM role_scopes WHERE role_id = $1 ORDER BY scope")
            .bind(role_id)
            .fetch_all(&mut *c)
            .await
            .map_err(db_error)
    })
}

/// The people holding the role directly (live), by display name.
pub async fn role_users(
    tx: &mut Tx,
    role_id: &str,
    now: i64,
) -> AppResult<Vec<super::RoleUserRow>> {
    on_db!(tx, |c| {
        sqlx::query_as(
            "SELECT u.id AS user_id, u.username, u.display_name, u.disabled, ur.expires_at
             FROM user_roles ur JOIN users u ON u.id = ur.user_id
             WHERE ur.role_id = $1 AND (ur.expires_at IS NULL OR ur.expires_at > $2)
             ORDER BY lower(u.display_name), u.id",
        )
        .bind(role_id)
        .bind(now)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)
    })
}

/// `(user id, group name)` for direct holders of the role whom a group also gives it: their
/// direct assignment is redundant while they stay in that group.
pub async fn covered_direct_holders(
    tx: &mut Tx,
    role_id: &str,
    now: i64,
) -> AppResult<Vec<(String, String)>> {
    on_db!(tx, |c| {
        sqlx::query_as(
            "SELECT gm.user_id, g.name
             FROM group_roles gr
             JOIN group_members gm ON gm.group_id = gr.group_id
             JOIN access_groups g ON g.id = gr.group_id
             JOIN user_roles ur ON ur.user_id = gm.user_id AND ur.role_id = gr.role_id
             WHERE gr.role_id = $1
               AND (gr.expires_at IS NULL OR gr.expires_at > $2)
               AND (gm.expires_at IS NULL OR gm.expires_at > $2)
               AND (ur.expires_at IS NULL OR ur.expires_at > $2)
             ORDER BY lower(g.name)",
        )
        .bind(role_id)
        .bind(now)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)
    })
}

/// The groups holding the role (live), with their live member counts.
pub async fn role_groups(
    tx: &mut Tx,
    role_id: &str,
    now: i64,
) -> AppResult<Vec<super::RoleGroupRow>> {
    on_db!(tx, |c| {
        sqlx::query_as(
            "SELECT g.id AS group_id, g.name AS group_name, gr.expires_at,
                 (SELECT COUNT(*) FROM group_members gm WHERE gm.group_id = g.id
                     AND (gm.expires_at IS NULL OR gm.expires_at > $2)) AS member_count
             FROM group_roles gr JOIN access_groups g ON g.id = gr.group_id
             WHERE gr.role_id = $1 AND (gr.expires_at IS NULL OR gr.expires_at > $2)
             ORDER BY lower(g.name)",
        )
        .bind(role_id)
        .bind(now)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)
    })
}

/// An assignment whose end has passed, with the names of both sides.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Lapsed {
    pub left_id: String,
    pub left_name: String,
    pub right_id: String,
    pub right_name: String,
    pub expires_at: i64,
}

/// The `(find, delete)` SQL of lapsed rows for each link, in [`USER_ROLE`], [`MEMBERSHIP`],
/// [`GROUP_ROLE`] order. Both use the partial index on `expires_at`.
const LAPSED_SQL: [(&str, &str); 3] = [
    (
        "SELECT ur.user_id AS left_id, u.username AS left_name,
                     ur.role_id AS right_id, r.name AS right_name, ur.expires_at
                 FROM user_roles ur
                 JOIN users u ON u.id = ur.user_id
                 JOIN roles r ON r.id = ur.role_id
                 WHERE ur.expires_at IS NOT NULL AND ur.expires_at <= $1
                 ORDER BY ur.expires_at, ur.user_id, ur.role_id",
        "DELETE FROM user_roles WHERE expires_at IS NOT NULL AND expires_at <= $1
         RETURNING user_id, role_id",
    ),
    (
        "SELECT gm.group_id AS left_id, g.name AS left_name,
                     gm.user_id AS right_id, u.username AS right_name, gm.expires_at
                 FROM group_members gm
                 JOIN access_groups g ON g.id = gm.group_id
                 JOIN users u ON u.id = gm.user_id
                 WHERE gm.expires_at IS NOT NULL AND gm.expires_at <= $1
                 ORDER BY gm.expires_at, gm.group_id, gm.user_id",
        "DELETE FROM group_members WHERE expires_at IS NOT NULL AND expires_at <= $1
         RETURNING group_id, user_id",
    ),
    (
        "SELECT gr.group_id AS left_id, g.name AS left_name,
                     gr.role_id AS right_id, r.name AS right_name, gr.expires_at
                 FROM group_roles gr
                 JOIN access_groups g ON g.id = gr.group_id
                 JOIN roles r ON r.id = gr.role_id
                 WHERE gr.expires_at IS NOT NULL AND gr.expires_at <= $1
                 ORDER BY gr.expires_at, gr.group_id, gr.role_id",
        "DELETE FROM group_roles WHERE expires_at IS NOT NULL AND expires_at <= $1
         RETURNING group_id, role_id",
    ),
];

/// Which of the three links, as an index into [`LAPSED_SQL`].
fn lapse_index(link: Link) -> usize {
    match link.table {
        "user_roles" => 0,
        "group_members" => 1,
        _ => 2,
    }
}

/// The rows of `link` whose end is at or before `now`, oldest end first.
pub async fn lapsed(tx: &mut Tx, link: Link, now: i64) -> AppResult<Vec<Lapsed>> {
    let (find, _) = LAPSED_SQL[lapse_index(link)];
    on_db!(tx, |c| {
        sqlx::query_as(find)
            .bind(now)
            .fetch_all(&mut *c)
            .await
            .map_err(db_error)
    })
}

/// Deletes the rows of `link` whose end is at or before `now`; returns the `(left, right)` keys
/// of the rows this statement deleted. Another instance sweeping at the same moment may have
/// deleted some first: only what this one deleted is its to record.
pub async fn delete_lapsed(tx: &mut Tx, link: Link, now: i64) -> AppResult<Vec<(String, String)>> {
    let (_, delete) = LAPSED_SQL[lapse_index(link)];
    on_db!(tx, |c| {
        sqlx::query_as(delete)
            .bind(now)
            .fetch_all(&mut *c)
            .await
            .map_err(db_error)
    })
}
