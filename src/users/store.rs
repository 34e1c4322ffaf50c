//! The users table.

use super::UserSummary;
use crate::error::{AppError, AppResult};
use crate::on_db;
use crate::storage::{db_error, Tx};
use crate::ui::{ListQuery, Page, PER_PAGE};

const MATCHES: &str = "($1 = '' OR lower(username) LIKE $2 ESCAPE '\\'
    OR lower(display_name) LIKE $2 ESCAPE '\\' OR lower(coalesce(email, '')) LIKE $2 ESCAPE '\\')";

pub async fn list(tx: &mut Tx, query: &ListQuery) -> AppResult<Page<UserSummary>> {
    let pattern = query.like_pattern();
    let (items, total) = on_db!(tx, |c| {
        let items: Vec<UserSummary> = sqlx::query_as(&format!(
            "SELECT id, username, display_name, email, disabled, created_at FROM users
             WHERE {MATCHES} ORDER BY lower(display_name), id LIMIT $3 OFFSET $4"
        ))
        .bind(&query.search)
        .bind(&pattern)
        .bind(query.limit())
        .bind(query.offset())
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)?;
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users WHERE {MATCHES}"))
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

/// A user as a person enters one, checked before it reaches the database.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
}

impl NewUser {
    /// Trims and checks the fields, in words a person can act on.
    pub fn parse(
        username: &str,
        display_name: &str,
        email: Option<&str>,
        password_hash: Option<String>,
    ) -> AppResult<NewUser> {
        let username = username.trim();
        if username.is_empty() || username.chars().count() > 64 {
            return Err(AppError::invalid("A username needs 1 to 64 characters."));
        }
        if !username
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(AppError::invalid(
                "A username may contain letters, digits and . _ - @ only.",
            ));
        }
        let display_name = display_name.trim();
        let display_name = if display_name.is_empty() {
            username
        } else {
            display_name
        };
        if display_name.chars().count() > 128 {
            return Err(AppError::invalid(
                "A display name can have at most 128 characters.",
            ));
        }
        let email = email.map(str::trim).filter(|e| !e.is_empty());
        if let Some(email) = email {
            let plausible = email.len() <= 254
                && email
                    .split_once('@')
                    .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
            if !plausible {
                return Err(AppError::invalid(format!(
                    "“{email}” does not look like an email address."
                )));
            }
        }
        Ok(NewUser {
            username: username.to_string(),
            display_name: display_name.to_string(),
            email: email.map(str::to_string),
            password_hash,
        })
    }
}

/// Inserts a user; a duplicate username or email is a conflict. Returns the new id.
pub async fn insert(tx: &mut Tx, user: &NewUser, now: i64) -> AppResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    on_db!(tx, |c| {
        sqlx::query(
            "INSERT INTO users (id, username, display_name, email, disabled, password_hash,
                 created_at, updated_at)
             VALUES ($1, $2, $3, $4, FALSE, $5, $6, $6)",
        )
        .bind(&id)
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(user.email.as_deref())
        .bind(user.password_hash.as_deref())
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(id)
}

/// Sets a user's password hash (bootstrap of an existing user).
pub async fn set_password_hash(tx: &mut Tx, user_id: &str, hash: &str, now: i64) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(user_id)
            .bind(hash)
            .bind(now)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

/// The id of the user with this username (case-insensitive), if any.
pub async fn id_by_username(tx: &mut Tx, username: &str) -> AppResult<Option<String>> {
    on_db!(tx, |c| {
        sqlx::query_scalar("SELECT id FROM users WHERE lower(username) = lower($1)")
            .bind(username)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_error)
    })
}

pub async fn count(tx: &mut Tx) -> AppResult<i64> {
    on_db!(tx, |c| {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *c)
            .await
            .map_err(db_error)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_users_are_trimmed_and_checked() {
        let user = NewUser::parse("  ada ", "", Some(" ada@example.org "), None).unwrap();
        assert_eq!(user.username, "ada");
        assert_eq!(user.display_name, "ada");
        assert_eq!(user.email.as_deref(), Some("ada@example.org"));
        assert!(NewUser::parse("", "Ada", None, None).is_err());
        assert!(NewUser::parse(&"a".repeat(65), "Ada", None, None).is_err());
        assert!(NewUser::parse("ada lovelace", "Ada", None, None).is_err());
        assert!(NewUser::parse("ada", "Ada", Some("not-an-email"), None).is_err());
        assert_eq!(
            NewUser::parse("ada", "Ada", Some("  "), None)
                .unwrap()
                .email,
            None
        );
    }
}
