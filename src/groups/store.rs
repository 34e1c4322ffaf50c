//! Groups, their members and their roles.

use super::GroupSummary;
use crate::error::AppResult;
use crate::on_db;
use crate::storage::{db_error, Tx};
use crate::ui::{ListQuery, Page, PER_PAGE};

const MATCHES: &str = "($1 = '' OR lower(g.name) LIKE $2 ESCAPE '\\'
    OR lower(g.description) LIKE $2 ESCAPE '\\')";

pub async fn list(tx: &mut Tx, query: &ListQuery, now: i64) -> AppResult<Page<GroupSummary>> {
    let pattern = query.like_pattern();
    let (items, total) = on_db!(tx, |c| {
        let items: Vec<GroupSummary> = sqlx::query_as(&format!(
            "SELECT g.id, g.name, g.description,
                 (SELECT COUNT(*) FROM group_members gm WHERE gm.group_id = g.id
                     AND (gm.expires_at IS NULL OR gm.expires_at > $5)) AS member_count,
                 (SELECT COUNT(*) FROM group_roles gr WHERE gr.group_id = g.id
                     AND (gr.expires_at IS NULL OR gr.expires_at > $5)) AS role_count
             FROM access_groups g WHERE {MATCHES}
             ORDER BY lower(g.name), g.id LIMIT $3 OFFSET $4"
        ))
        .bind(&query.search)
        .bind(&pattern)
        .bind(query.limit())
        .bind(query.offset())
        .bind(now)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)?;
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM access_groups g WHERE {MATCHES}"
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

/// Creates a group; a duplicate name is a conflict. Returns its id.
pub async fn insert(tx: &mut Tx, name: &str, description: &str, now: i64) -> AppResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    on_db!(tx, |c| {
        sqlx::query(
            "INSERT INTO access_groups (id, name, description, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(name)
        .bind(description)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(id)
}

pub async fn update(tx: &mut Tx, id: &str, name: &str, description: &str) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query("UPDATE access_groups SET name = $2, description = $3 WHERE id = $1")
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

/// Deletes a group; its memberships and role assignments go with it (foreign keys).
pub async fn delete(tx: &mut Tx, id: &str) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query("DELETE FROM access_groups WHERE id = $1")
            .bind(id)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

/// Adds a user to a group; does nothing if they are a member already.
pub async fn add_member(tx: &mut Tx, group_id: &str, user_id: &str, now: i64) -> AppResult<bool> {
    let changed = on_db!(tx, |c| {
        sqlx::query(
            "INSERT INTO group_members (group_id, user_id, expires_at, created_at)
             VALUES ($1, $2, NULL, $3) ON CONFLICT (group_id, user_id) DO NOTHING",
        )
        .bind(group_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(changed > 0)
}

/// Gives a group a role; does nothing if it holds it already.
pub async fn add_role(tx: &mut Tx, group_id: &str, role_id: &str, now: i64) -> AppResult<bool> {
    let changed = on_db!(tx, |c| {
        sqlx::query(
            "INSERT INTO group_roles (group_id, role_id, expires_at, created_at)
             VALUES ($1, $2, NULL, $3) ON CONFLICT (group_id, role_id) DO NOTHING",
        )
        .bind(group_id)
        .bind(role_id)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(changed > 0)
}

/// Every group, by name, for pickers.
pub async fn options(tx: &mut Tx) -> AppResult<Vec<super::GroupOption>> {
    on_db!(tx, |c| {
        sqlx::query_as("SELECT id, name FROM access_groups ORDER BY lower(name), id LIMIT 5000")
            .fetch_all(&mut *c)
            .await
            .map_err(db_error)
    })
}
