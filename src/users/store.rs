//! The users table.

use super::filter::{Position, RoleVia, Sort, Status, UserFilter};
use super::{UserList, UserRow, UserSummary};
use crate::access::store::parse_id;
use crate::error::{AppError, AppResult};
use crate::storage::{db_error, Sql, Tx};
use crate::ui::{ListQuery, Page, PER_PAGE};
use crate::{bind_all, on_db};

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

/// A filter as SQL: conditions on the user row itself, and sets of user ids (members of a
/// group, holders of a role) the user must be in.
struct FilterParts {
    on_row: Vec<String>,
    id_sets: Vec<String>,
}

impl FilterParts {
    fn condition(&self) -> String {
        let mut all = self.on_row.clone();
        all.extend(self.id_sets.iter().map(|set| format!("u.id IN ({set})")));
        if all.is_empty() {
            "TRUE".into()
        } else {
            all.join(" AND ")
        }
    }

    /// How many users match, counted the cheapest way the filter allows: the kept counter for
    /// everyone, the id set alone for one group or one role (memberships and assignments only
    /// name existing users), else the users themselves.
    fn count_sql(&self) -> String {
        match (self.on_row.is_empty(), self.id_sets.as_slice()) {
            (true, []) => "SELECT value FROM counters WHERE name = 'users'".into(),
            (true, [set]) => format!("SELECT COUNT(*) FROM ({set}) matching"),
            _ => format!("SELECT COUNT(*) FROM users u WHERE {}", self.condition()),
        }
    }
}

fn filter_parts(tx: &Tx, sql: &mut Sql, filter: &UserFilter, now: i64) -> AppResult<FilterParts> {
    let filter = filter.cleaned();
    let mut parts = FilterParts {
        on_row: Vec::new(),
        id_sets: Vec::new(),
    };
    if !filter.q.is_empty() {
        if !tx.is_postgres() && filter.q.chars().count() >= 3 {
            // SQLite's trigram index finds a text of three characters or more anywhere in the
            // three fields; the search is one quoted phrase, quotes doubled.
            let phrase = sql.text(format!("\"{}\"", filter.q.replace('"', "\"\"")));
            parts.id_sets.push(format!(
                "SELECT m.user_id FROM users_search_ids m WHERE m.doc IN
                     (SELECT rowid FROM users_search WHERE users_search MATCH {phrase})"
            ));
        } else {
            // PostgreSQL's trigram indexes answer this directly; on SQLite, one or two
            // characters read the rows.
            let pattern = sql.text(ListQuery::new(&filter.q, 1).like_pattern());
            parts.on_row.push(format!(
                "(lower(u.username) LIKE {pattern} ESCAPE '\\' OR lower(u.display_name) LIKE {pattern} ESCAPE '\\'
                  OR lower(coalesce(u.email, '')) LIKE {pattern} ESCAPE '\\')"
            ));
        }
    }
    if !filter.group.is_empty() {
        let group = sql.text(parse_id("group", &filter.group)?);
        let now = sql.int(now);
        // GROUP BY, though the ids are unique already: it makes PostgreSQL plan the set on its
        // own and look its few thousand people up, where it would otherwise walk the name
        // index through a million (115 ms against 20 ms at a million users).
        parts.id_sets.push(format!(
            "SELECT gm.user_id FROM group_members gm WHERE gm.group_id = {group}
                 AND (gm.expires_at IS NULL OR gm.expires_at > {now}) GROUP BY gm.user_id"
        ));
    }
    if !filter.role.is_empty() {
        let role = sql.text(parse_id("role", &filter.role)?);
        let now = sql.int(now);
        let direct = format!(
            "SELECT ur.user_id FROM user_roles ur WHERE ur.role_id = {role}
                 AND (ur.expires_at IS NULL OR ur.expires_at > {now})"
        );
        parts.id_sets.push(match filter.via {
            RoleVia::Direct => format!("{direct} GROUP BY ur.user_id"),
            RoleVia::Effective => format!(
                "{direct}
                 UNION SELECT gm.user_id FROM group_roles gr
                 JOIN group_members gm ON gm.group_id = gr.group_id
                 WHERE gr.role_id = {role}
                   AND (gr.expires_at IS NULL OR gr.expires_at > {now})
                   AND (gm.expires_at IS NULL OR gm.expires_at > {now})"
            ),
        });
    }
    match filter.status {
        Status::Any => {}
        Status::Active => parts.on_row.push("u.disabled = FALSE".into()),
        Status::Disabled => parts.on_row.push("u.disabled = TRUE".into()),
    }
    Ok(parts)
}

/// The `WHERE` condition (on `users u`) that selects the people a filter names, adding its
/// parameters to `sql`. Each filter is a condition an index answers: the name indexes for the
/// text, the membership and assignment indexes for group and role.
pub fn filter_sql(tx: &Tx, sql: &mut Sql, filter: &UserFilter, now: i64) -> AppResult<String> {
    Ok(filter_parts(tx, sql, filter, now)?.condition())
}

/// How a sort orders rows, and how a position in it is written down.
struct Order {
    key: &'static str,
    descending: bool,
    numeric: bool,
}

fn order(sort: Sort) -> Order {
    match sort {
        Sort::Name => Order {
            key: "lower(u.display_name)",
            descending: false,
            numeric: false,
        },
        Sort::Newest => Order {
            key: "u.created_at",
            descending: true,
            numeric: true,
        },
        Sort::Oldest => Order {
            key: "u.created_at",
            descending: false,
            numeric: true,
        },
    }
}

/// A position is `KEY~ID`: the sort key and id of the row it is next to. Ids hold no `~`.
fn cursor(sort: Sort, user: &UserSummary) -> String {
    match sort {
        Sort::Name => format!("{}~{}", user.display_name.to_lowercase(), user.id),
        Sort::Newest | Sort::Oldest => format!("{}~{}", user.created_at, user.id),
    }
}

fn bind_cursor(sql: &mut Sql, order: &Order, cursor: &str) -> AppResult<(String, String)> {
    let invalid = || AppError::invalid("This page link is damaged. Go back to the first page.");
    let (key, id) = cursor.rsplit_once('~').ok_or_else(invalid)?;
    let id = parse_id("user", id).map_err(|_| invalid())?;
    let key = if order.numeric {
        sql.int(key.parse().map_err(|_| invalid())?)
    } else {
        sql.text(key)
    };
    Ok((key, sql.text(id)))
}

/// One page of the filtered list, by keyset: the page after (or before) a position is found
/// through the sort index however deep it is, where an offset would count every row before it.
pub async fn browse(
    tx: &mut Tx,
    filter: &UserFilter,
    sort: Sort,
    position: &Position,
    now: i64,
) -> AppResult<UserList> {
    let mut sql = Sql::default();
    let parts = filter_parts(tx, &mut sql, filter, now)?;
    let condition = parts.condition();
    let count_sql = parts.count_sql();
    // The counter takes no parameter; the other counts take the filter's.
    let count_binds = if count_sql.contains('$') {
        sql.binds.clone()
    } else {
        Vec::new()
    };

    let order = order(sort);
    let backwards = !position.before.is_empty();
    let mut page_condition = condition;
    let cursor_text = if backwards {
        &position.before
    } else {
        &position.after
    };
    if !cursor_text.is_empty() {
        let (key, id) = bind_cursor(&mut sql, &order, cursor_text)?;
        // Forwards in an ascending order means "greater"; each reversal flips it.
        let greater = order.descending == backwards;
        let op = if greater { ">" } else { "<" };
        page_condition = format!(
            "{page_condition} AND ({}, u.id) {op} ({key}, {id})",
            order.key
        );
    }
    let ascending = order.descending == backwards;
    let direction = if ascending { "ASC" } else { "DESC" };
    let limit = sql.int(i64::from(PER_PAGE) + 1);
    let page_sql = format!(
        "SELECT u.id, u.username, u.display_name, u.email, u.disabled, u.created_at
         FROM users u WHERE {page_condition}
         ORDER BY {key} {direction}, u.id {direction} LIMIT {limit}",
        key = order.key
    );
    let (mut users, total) = on_db!(tx, |c| {
        let users: Vec<UserSummary> = bind_all!(sqlx::query_as(&page_sql), &sql.binds)
            .fetch_all(&mut *c)
            .await
            .map_err(db_error)?;
        let total: i64 = bind_all!(sqlx::query_scalar(&count_sql), &count_binds)
            .fetch_one(&mut *c)
            .await
            .map_err(db_error)?;
        (users, total)
    });
    let more = users.len() > PER_PAGE as usize;
    users.truncate(PER_PAGE as usize);
    if backwards {
        users.reverse();
    }
    let first = users.first().map(|u| cursor(sort, u));
    let last = users.last().map(|u| cursor(sort, u));
    let (prev, next) = match (cursor_text.is_empty(), backwards) {
        (true, _) => (None, if more { last } else { None }),
        (false, false) => (first, if more { last } else { None }),
        (false, true) => (if more { first } else { None }, last),
    };
    let groups = groups_of(tx, &users, now).await?;
    let items = users
        .into_iter()
        .map(|user| {
            let mine: Vec<String> = groups
                .iter()
                .filter(|(id, _)| *id == user.id)
                .map(|(_, name)| name.clone())
                .collect();
            UserRow {
                group_count: mine.len() as i64,
                groups: mine.into_iter().take(3).collect(),
                user,
            }
        })
        .collect();
    Ok(UserList {
        items,
        total,
        prev,
        next,
    })
}

/// `(user id, group name)` of the live memberships of a page of users.
async fn groups_of(
    tx: &mut Tx,
    users: &[UserSummary],
    now: i64,
) -> AppResult<Vec<(String, String)>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::default();
    let ids = sql.text(
        serde_json::to_string(&users.iter().map(|u| &u.id).collect::<Vec<_>>()).unwrap_or_default(),
    );
    let now = sql.int(now);
    let text = format!(
        "SELECT gm.user_id, g.name FROM group_members gm
         JOIN access_groups g ON g.id = gm.group_id
         WHERE gm.user_id IN ({}) AND (gm.expires_at IS NULL OR gm.expires_at > {now})
         ORDER BY lower(g.name)",
        tx.json_strings(&ids)
    );
    on_db!(tx, |c| {
        bind_all!(sqlx::query_as(&text), &sql.binds)
            .fetch_all(&mut *c)
            .await
            .map_err(db_error)
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

/// Deletes a user and, through the foreign keys, their assignments and sessions. Only for
/// service accounts, whose application is deleted with them: people are disabled, not deleted,
/// so that their history keeps its subject.
pub async fn delete(tx: &mut Tx, user_id: &str) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user_id)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
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

/// Changes a person's display name and email.
pub async fn set_profile(
    tx: &mut Tx,
    user_id: &str,
    display_name: &str,
    email: Option<&str>,
    now: i64,
) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query("UPDATE users SET display_name = $2, email = $3, updated_at = $4 WHERE id = $1")
            .bind(user_id)
            .bind(display_name)
            .bind(email)
            .bind(now)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

/// Disables or enables an account.
pub async fn set_disabled(tx: &mut Tx, user_id: &str, disabled: bool, now: i64) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query("UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1")
            .bind(user_id)
            .bind(disabled)
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
