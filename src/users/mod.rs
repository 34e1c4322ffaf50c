//! People: the user list, and (behind `ssr`) creating users.

mod detail;
mod picker;
#[cfg(feature = "ssr")]
pub mod store;

pub use detail::{UserAccessTab, UserGroupsTab, UserPage, UserRolesTab};
pub use picker::{add_label, PeoplePicker};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ui::{format_time, use_list_params, DataTable, Page, PageHeader, SearchBox};

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

#[component]
pub fn UsersPage() -> impl IntoView {
    let (search, page) = use_list_params();
    let users = Resource::new(
        move || (search.get(), page.get()),
        |(search, page)| list_users(search, page),
    );
    view! {
        <PageHeader title="Users" lead="Everyone who can sign in through Tessera." />
        <SearchBox label="Search users" placeholder="Name, username or email" value=search />
        <DataTable
            resource=users
            columns=&["Name", "Username", "Email", "Status", "Created"]
            noun="users"
            empty_hint="Create the first administrator with `tessera bootstrap-admin`, or load the demo organisation with `tessera demo`."
            search
            row=|user: UserSummary| {
                let status = if user.disabled { "Disabled" } else { "Active" };
                view! {
                    <tr>
                        <td class="strong">
                            <a href=format!("/users/{}/roles", user.id)>{user.display_name}</a>
                        </td>
                        <td class="mono">{user.username}</td>
                        <td>{user.email.unwrap_or_default()}</td>
                        <td>
                            <span class=if user.disabled { "badge badge-off" } else { "badge badge-on" }>
                                {status}
                            </span>
                        </td>
                        <td class="nowrap">
                            <time>{format_time(user.created_at)}</time>
                        </td>
                    </tr>
                }
            }
        />
    }
}
