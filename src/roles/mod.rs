//! Roles: named sets of scopes, assigned to users directly or through groups.

mod detail;
#[cfg(feature = "ssr")]
pub mod store;

pub use detail::{RoleAssignmentsTab, RolePage, RoleScopesTab};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ui::{use_list_params, AccessNav, DataTable, Page, PageHeader, SearchBox};

/// The built-in Administrator role: every console scope. Created by the migrations.
pub const ADMINISTRATOR_ROLE_ID: &str = "00000000-0000-4000-8000-000000000001";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct RoleSummary {
    pub id: String,
    pub name: String,
    pub description: String,
    pub builtin: bool,
    pub scope_count: i64,
    /// Users holding the role directly (live assignments only).
    pub user_count: i64,
    /// Groups holding the role (live assignments only).
    pub group_count: i64,
}

/// A page of roles matching `search`, by name. Needs `roles:read`.
#[server(prefix = "/api", endpoint = "roles/list")]
pub async fn list_roles(search: String, page: u32) -> Result<Page<RoleSummary>, AppError> {
    use crate::auth::Permission;
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, _) = authorize(Permission::RolesRead)?;
            let mut tx = ctx.state.db.read().await?;
            store::list(&mut tx, &crate::ui::ListQuery::new(&search, page), ctx.now).await
        }
        .await,
    )
}

#[component]
pub fn RolesPage() -> impl IntoView {
    let (search, page) = use_list_params();
    let roles = Resource::new(
        move || (search.get(), page.get()),
        |(search, page)| list_roles(search, page),
    );
    view! {
        <PageHeader title="Roles" lead="A role is a named set of scopes. Give it to groups, or to people directly for the exception." />
        <AccessNav />
        <SearchBox label="Search roles" placeholder="Role name or description" value=search />
        <DataTable
            resource=roles
            columns=&["Role", "Description", "Scopes", "Users", "Groups", "Type"]
            noun="roles"
            empty_hint="The built-in Administrator role is created with the database; custom roles appear here once created."
            search
            row=|role: RoleSummary| {
                view! {
                    <tr>
                        <td class="strong">
                            <a href=format!("/roles/{}/assignments", role.id)>{role.name}</a>
                        </td>
                        <td>{role.description}</td>
                        <td class="num">{role.scope_count}</td>
                        <td class="num">{role.user_count}</td>
                        <td class="num">{role.group_count}</td>
                        <td>
                            {if role.builtin {
                                view! { <span class="badge badge-builtin">"Built-in"</span> }.into_any()
                            } else {
                                view! { <span class="badge">"Custom"</span> }.into_any()
                            }}
                        </td>
                    </tr>
                }
            }
        />
    }
}

/// A role as a picker offers it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct RoleOption {
    pub id: String,
    pub name: String,
    pub builtin: bool,
}

/// Every role, by name, for pickers. Needs `roles:read`.
#[server(prefix = "/api", endpoint = "roles/options")]
pub async fn role_options() -> Result<Vec<RoleOption>, AppError> {
    use crate::auth::Permission;
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, _) = authorize(Permission::RolesRead)?;
            let mut tx = ctx.state.db.read().await?;
            store::options(&mut tx).await
        }
        .await,
    )
}
