//! People: the user list, and (behind `ssr`) creating users.

mod detail;
#[cfg(feature = "ssr")]
pub mod domain;
pub mod filter;
mod list;
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
