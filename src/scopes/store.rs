//! The scopes catalogue.

use super::ScopeSummary;
use crate::error::{AppError, AppResult};
use crate::on_db;
use crate::storage::{db_error, Tx};
use crate::ui::{ListQuery, Page, PER_PAGE};

const MATCHES: &str = "($1 = '' OR s.name LIKE $2 ESCAPE '\\'
    OR lower(s.description) LIKE $2 ESCAPE '\\')";

pub async fn list(tx: &mut Tx, query: &ListQuery) -> AppResult<Page<ScopeSummary>> {
    let pattern = query.like_pattern();
    let (items, total) = on_db!(tx, |c| {
        let items: Vec<ScopeSummary> = sqlx::query_as(&format!(
            "SELECT s.name, s.description, s.builtin,
                 (SELECT COUNT(*) FROM role_scopes rs WHERE rs.scope = s.name) AS role_count
             FROM scopes s WHERE {MATCHES}
             ORDER BY s.builtin DESC, s.name LIMIT $3 OFFSET $4"
        ))
        .bind(&query.search)
        .bind(&pattern)
        .bind(query.limit())
        .bind(query.offset())
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)?;
        let total: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM scopes s WHERE {MATCHES}"))
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

/// Checks a scope name: lowercase letters, digits, `:`, `.`, `_` and `-`, 1 to 128 characters.
pub fn check_name(name: &str) -> AppResult<()> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, ':' | '.' | '_' | '-')
        });
    if valid {
        Ok(())
    } else {
        Err(AppError::invalid(format!(
            "“{name}” is not a valid scope name: use 1 to 128 lowercase letters, digits, and : . _ -"
        )))
    }
}

/// Adds a custom scope; a duplicate name is a conflict.
pub async fn insert(tx: &mut Tx, name: &str, description: &str, now: i64) -> AppResult<()> {
    check_name(name)?;
    on_db!(tx, |c| {
        sqlx::query(
            "INSERT INTO scopes (name, description, builtin, created_at) VALUES ($1, $2, FALSE, $3)",
        )
        .bind(name)
        .bind(description)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_are_lowercase_words_with_separators() {
        assert!(check_name("reports:read").is_ok());
        assert!(check_name("billing.invoices_v2-export").is_ok());
        assert!(check_name("Reports:read").is_err());
        assert!(check_name("reports read").is_err());
        assert!(check_name("").is_err());
        assert!(check_name(&"a".repeat(129)).is_err());
    }
}

#[derive(sqlx::FromRow)]
pub struct ScopeRow {
    pub name: String,
    pub description: String,
    pub builtin: bool,
}

pub async fn find(tx: &mut Tx, name: &str) -> AppResult<Option<ScopeRow>> {
    on_db!(tx, |c| {
        sqlx::query_as("SELECT name, description, builtin FROM scopes WHERE name = $1")
            .bind(name.trim())
            .fetch_optional(&mut *c)
            .await
            .map_err(db_error)
    })
}

pub async fn set_description(tx: &mut Tx, name: &str, description: &str) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query("UPDATE scopes SET description = $2 WHERE name = $1")
            .bind(name)
            .bind(description)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

/// The names of the roles granting `scope`, by name.
pub async fn roles_granting(tx: &mut Tx, scope: &str) -> AppResult<Vec<String>> {
    on_db!(tx, |c| {
        sqlx::query_scalar(
            "SELECT r.name FROM role_scopes rs JOIN roles r ON r.id = rs.role_id
             WHERE rs.scope = $1 ORDER BY lower(r.name)",
        )
        .bind(scope)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)
    })
}

pub async fn delete(tx: &mut Tx, name: &str) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query("DELETE FROM scopes WHERE name = $1")
            .bind(name)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

/// Every scope name, sorted.
pub async fn names(tx: &mut Tx) -> AppResult<Vec<String>> {
    on_db!(tx, |c| {
        sqlx::query_scalar("SELECT name FROM scopes ORDER BY name LIMIT 5000")
            .fetch_all(&mut *c)
            .await
            .map_err(db_error)
    })
}
