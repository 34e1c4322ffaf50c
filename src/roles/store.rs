//! Roles, their scopes, and the effective scopes of a user.

use super::RoleSummary;
use crate::error::AppResult;
use crate::on_db;
use crate::storage::{db_error, Tx};
use crate::ui::{ListQuery, Page, PER_PAGE};

const MATCHES: &str = "($1 = '' OR lower(r.name) LIKE $2 ESCAPE '\\'
    OR lower(r.description) LIKE $2 ESCAPE '\\')";

pub async fn list(tx: &mut Tx, query: &ListQuery, now: i64) -> AppResult<Page<RoleSummary>> {
    let pattern = query.like_pattern();
    let (items, total) = on_db!(tx, |c| {
        let items: Vec<RoleSummary> = sqlx::query_as(&format!(
            "SELECT r.id, r.name, r.description, r.builtin,
                 (SELECT COUNT(*) FROM role_scopes rs WHERE rs.role_id = r.id) AS scope_count,
                 (SELECT COUNT(*) FROM user_roles ur WHERE ur.role_id = r.id
                     AND (ur.expires_at IS NULL OR ur.expires_at > $5)) AS user_count,
                 (SELECT COUNT(*) FROM group_roles gr WHERE gr.role_id = r.id
                     AND (gr.expires_at IS NULL OR gr.expires_at > $5)) AS group_count
             FROM roles r WHERE {MATCHES}
             ORDER BY r.builtin DESC, lower(r.name), r.id LIMIT $3 OFFSET $4"
        ))
        .bind(&query.search)
        .bind(&pattern)
        .bind(query.limit())
        .bind(query.offset())
        .bind(now)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)?;
        let total: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM roles r WHERE {MATCHES}"))
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

/// The union of the scopes of the user's live direct roles and of the live roles of the groups
/// they are a live member of, at `now`. Sorted.
pub async fn effective_scopes(tx: &mut Tx, user_id: &str, now: i64) -> AppResult<Vec<String>> {
    on_db!(tx, |c| {
        sqlx::query_scalar(
            "SELECT DISTINCT rs.scope FROM role_scopes rs
             WHERE rs.role_id IN (
                 SELECT ur.role_id FROM user_roles ur
                 WHERE ur.user_id = $1 AND (ur.expires_at IS NULL OR ur.expires_at > $2)
                 UNION
                 SELECT gr.role_id FROM group_members gm
                 JOIN group_roles gr ON gr.group_id = gm.group_id
                 WHERE gm.user_id = $1
                   AND (gm.expires_at IS NULL OR gm.expires_at > $2)
                   AND (gr.expires_at IS NULL OR gr.expires_at > $2))
             ORDER BY rs.scope",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)
    })
}

/// Creates a role with the given scopes (which must exist). Returns its id.
pub async fn insert(
    tx: &mut Tx,
    name: &str,
    description: &str,
    scopes: &[&str],
    now: i64,
) -> AppResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    on_db!(tx, |c| {
        sqlx::query(
            "INSERT INTO roles (id, name, description, builtin, created_at)
             VALUES ($1, $2, $3, FALSE, $4)",
        )
        .bind(&id)
        .bind(name)
        .bind(description)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
        for scope in scopes {
            sqlx::query("INSERT INTO role_scopes (role_id, scope) VALUES ($1, $2)")
                .bind(&id)
                .bind(*scope)
                .execute(&mut *c)
                .await
                .map_err(db_error)?;
        }
    });
    Ok(id)
}

/// Gives a user a role directly; does nothing if they hold it already. Returns whether it
/// changed anything.
pub async fn assign_to_user(
    tx: &mut Tx,
    user_id: &str,
    role_id: &str,
    expires_at: Option<i64>,
    now: i64,
) -> AppResult<bool> {
    let changed = on_db!(tx, |c| {
        sqlx::query(
            "INSERT INTO user_roles (user_id, role_id, expires_at, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, role_id) DO NOTHING",
        )
        .bind(user_id)
        .bind(role_id)
        .bind(expires_at)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(changed > 0)
}

/// How many active users hold `role_id`, directly or through a live group, at `now`.
pub async fn active_holders(tx: &mut Tx, role_id: &str, now: i64) -> AppResult<i64> {
    on_db!(tx, |c| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM users u WHERE u.disabled = FALSE AND u.id IN (
                 SELECT ur.user_id FROM user_roles ur
                 WHERE ur.role_id = $1 AND (ur.expires_at IS NULL OR ur.expires_at > $2)
                 UNION
                 SELECT gm.user_id FROM group_roles gr
                 JOIN group_members gm ON gm.group_id = gr.group_id
                 WHERE gr.role_id = $1
                   AND (gr.expires_at IS NULL OR gr.expires_at > $2)
                   AND (gm.expires_at IS NULL OR gm.expires_at > $2))",
        )
        .bind(role_id)
        .bind(now)
        .fetch_one(&mut *c)
        .await
        .map_err(db_error)
    })
}

/// Every role, by name. Organisations have tens or hundreds of roles, not millions.
pub async fn options(tx: &mut Tx) -> AppResult<Vec<super::RoleOption>> {
    on_db!(tx, |c| {
        sqlx::query_as("SELECT id, name, builtin FROM roles ORDER BY lower(name), id LIMIT 2000")
            .fetch_all(&mut *c)
            .await
            .map_err(db_error)
    })
}

/// Renames and re-describes a role. A name another role has is a conflict, reported by name.
pub async fn update(tx: &mut Tx, id: &str, name: &str, description: &str) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query("UPDATE roles SET name = $2, description = $3 WHERE id = $1")
            .bind(id)
            .bind(name)
            .bind(description)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

/// Makes the role grant `scope` (or stop granting it); returns whether anything changed.
pub async fn set_scope(tx: &mut Tx, role_id: &str, scope: &str, grant: bool) -> AppResult<bool> {
    let sql = if grant {
        "INSERT INTO role_scopes (role_id, scope) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM role_scopes WHERE role_id = $1 AND scope = $2"
    };
    let affected = on_db!(tx, |c| {
        sqlx::query(sql)
            .bind(role_id)
            .bind(scope)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(affected > 0)
}

/// Deletes a role; its scopes and assignments go with it (foreign keys cascade).
pub async fn delete(tx: &mut Tx, id: &str) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query("DELETE FROM roles WHERE id = $1")
            .bind(id)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}
