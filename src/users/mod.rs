//! People: the user list, and (behind `ssr`) creating users.

mod detail;
#[cfg(feature = "ssr")]
pub mod domain;
pub mod filter;
mod list;
mod manage;
pub mod offboard;
mod picker;
#[cfg(feature = "ssr")]
pub mod store;

pub use detail::{UserAccessTab, UserGroupsTab, UserPage, UserRolesTab, UserSessionsTab};
pub use list::UsersPage;
pub use picker::{add_label, AddPeopleForm, PeoplePicker};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ui::Page;
use filter::{Position, Sort, UserFilter};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct UserSummary {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
}

/// A page of users matching `search` (username, display name or email), by display name.
/// Needs `users:read`.
#[server(prefix = "/api", endpoint = "users/list")]
pub async fn list_users(search: String, page: u32) -> Result<Page<UserSummary>, AppError> {
    use crate::auth::Permission;
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, _) = authorize(Permission::UsersRead)?;
            let mut tx = ctx.state.db.read().await?;
            store::list(&mut tx, &crate::ui::ListQuery::new(&search, page)).await
        }
        .await,
    )
}

/// A row of the user list: the person and the first few of their groups.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub user: UserSummary,
    /// The first three group names, by name.
    pub groups: Vec<String>,
    pub group_count: i64,
}

/// A page of the filtered user list, with the positions of its neighbours.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserList {
    pub items: Vec<UserRow>,
    /// Everyone matching the filter, on every page.
    pub total: i64,
    /// Where the previous page ends (`before=`), if there is one.
    pub prev: Option<String>,
    /// Where the next page starts (`after=`), if there is one.
    pub next: Option<String>,
}

/// A page of the users matching `filter`, in `sort` order, after or before `position`.
/// Needs `users:read`.
#[server(prefix = "/api", endpoint = "users/browse", input = leptos::server_fn::codec::Json)]
pub async fn browse_users(
    filter: UserFilter,
    sort: Sort,
    position: Position,
) -> Result<UserList, AppError> {
    use crate::auth::Permission;
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, _) = authorize(Permission::UsersRead)?;
            let mut tx = ctx.state.db.read().await?;
            store::browse(&mut tx, &filter, sort, &position, ctx.now).await
        }
        .await,
    )
}

/// A new person as the console's form sends it. An empty password leaves the account without
/// one (it cannot sign in until one is set).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewUserInput {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}

/// The Argon2id hash of a new password, after the policy check; `None` for an empty one when
/// `optional`. Runs on the blocking pool.
#[cfg(feature = "ssr")]
async fn new_password_hash(password: String, optional: bool) -> Result<Option<String>, AppError> {
    use crate::auth::password;
    if password.is_empty() && optional {
        return Ok(None);
    }
    password::check_policy(&password)?;
    password::hash(secrecy::SecretString::from(password))
        .await
        .map(Some)
}

/// Creates a person. Needs `users:write`.
#[server(prefix = "/api", endpoint = "users/create", input = leptos::server_fn::codec::Json)]
pub async fn create_user(input: NewUserInput) -> Result<crate::access::Created, AppError> {
    use crate::auth::Permission;
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            // Before any work, the hash included: refusals must cost the server nothing.
            let (ctx, caller) = authorize(Permission::UsersWrite)?;
            let email = (!input.email.trim().is_empty()).then_some(input.email.as_str());
            let checked = store::NewUser::parse(&input.username, &input.display_name, email, None)?;
            let user = store::NewUser {
                password_hash: new_password_hash(input.password, true).await?,
                ..checked
            };
            let (actor, now) = (ctx.actor(&caller), ctx.now);
            let created = ctx
                .state
                .db
                .write(|tx| {
                    let (actor, user) = (actor.clone(), user.clone());
                    Box::pin(async move { domain::create(tx, &actor, &user, now).await })
                })
                .await?;
            tracing::info!(user_id = %created.id, "created a user");
            Ok(created)
        }
        .await,
    )
}

/// Changes a person's display name and email. Needs `users:write`.
#[server(prefix = "/api", endpoint = "users/update", input = leptos::server_fn::codec::Json)]
pub async fn update_user_profile(
    user_id: String,
    display_name: String,
    email: String,
) -> Result<crate::access::Change, AppError> {
    crate::access::apply_change(
        crate::auth::Permission::UsersWrite,
        "edited a user's profile",
        move |tx, actor, now| {
            let (user_id, display_name, email) =
                (user_id.clone(), display_name.clone(), email.clone());
            Box::pin(async move {
                domain::update_profile(tx, &actor, &user_id, &display_name, &email, now).await
            })
        },
    )
    .await
}

/// Sets a new password for someone else, optionally ending their sessions. Needs `users:write`.
#[server(prefix = "/api", endpoint = "users/password/set", input = leptos::server_fn::codec::Json)]
pub async fn set_user_password(
    user_id: String,
    password: String,
    sign_out: bool,
) -> Result<crate::access::Change, AppError> {
    use crate::auth::Permission;
    use crate::server::context::{authorize, finish};
    let hash = finish(
        async move {
            authorize(Permission::UsersWrite)?;
            new_password_hash(password, false).await
        }
        .await,
    )?
    .unwrap_or_default();
    crate::access::apply_change(
        Permission::UsersWrite,
        "set a user's password",
        move |tx, actor, now| {
            let (user_id, hash) = (user_id.clone(), hash.clone());
            Box::pin(async move {
                domain::set_password(tx, &actor, &user_id, &hash, sign_out, now).await
            })
        },
    )
    .await
}
