//! Roles: named sets of scopes, assigned to users directly or through groups.

mod detail;
#[cfg(feature = "ssr")]
pub mod domain;
#[cfg(feature = "ssr")]
pub mod store;

pub use detail::{RoleAssignmentsTab, RolePage, RoleScopesTab};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ui::{
    use_list_params, AccessNav, Changes, DataTable, Page, PageHeader, SearchBox, ToastRegion,
};

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
    let changes = Changes::default();
    let roles = Resource::new(
        move || (search.get(), page.get(), changes.refresh.get()),
        |(search, page, _)| list_roles(search, page),
    );
    let me = Resource::new(|| (), |_| crate::auth::me());
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    view! {
        <PageHeader title="Roles" lead="A role is a named set of scopes. Give it to groups, or to people directly for the exception." />
        <AccessNav />
        <ToastRegion toast=changes.toast />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let can_write = me
                    .await
                    .is_ok_and(|me| me.permissions.contains(&crate::auth::Permission::RolesWrite));
                can_write.then(|| view! {
                    <form class="inline-form section" on:submit=move |ev| {
                        ev.prevent_default();
                        changes.run(create_role(name.get_untracked(), description.get_untracked(), Vec::new()));
                    }>
                        <label for="new-role">"New role"</label>
                        <input id="new-role" type="text" placeholder="Release Manager" maxlength="128"
                            prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                        <label for="new-role-description">"Description"</label>
                        <input id="new-role-description" type="text" maxlength="500"
                            prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev)) />
                        <button type="submit" class="button button-primary" disabled=move || changes.busy.get()>"Create role"</button>
                    </form>
                })
            })}
        </Transition>
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

/// Creates a custom role granting `scopes` (which must exist). Needs `roles:write`.
#[server(prefix = "/api", endpoint = "roles/create", input = leptos::server_fn::codec::Json)]
pub async fn create_role(
    name: String,
    description: String,
    scopes: Vec<String>,
) -> Result<crate::access::Change, AppError> {
    use crate::auth::Permission;
    crate::access::apply_change(
        Permission::RolesWrite,
        "created a role",
        move |tx, actor, now| {
            let (name, description, scopes) = (name.clone(), description.clone(), scopes.clone());
            Box::pin(
                async move { domain::create(tx, &actor, &name, &description, &scopes, now).await },
            )
        },
    )
    .await
}

/// Renames a role or changes its description. Needs `roles:write`.
#[server(prefix = "/api", endpoint = "roles/update", input = leptos::server_fn::codec::Json)]
pub async fn update_role(
    role_id: String,
    name: String,
    description: String,
    seen: Option<crate::access::Seen>,
) -> Result<crate::access::Change, AppError> {
    use crate::auth::Permission;
    crate::access::apply_change(
        Permission::RolesWrite,
        "updated a role",
        move |tx, actor, now| {
            let (role_id, name, description, seen) = (
                role_id.clone(),
                name.clone(),
                description.clone(),
                seen.clone(),
            );
            Box::pin(async move {
                let edit = crate::access::domain::Edit {
                    name: &name,
                    description: &description,
                    seen: seen.as_ref(),
                };
                domain::update(tx, &actor, &role_id, edit, now).await
            })
        },
    )
    .await
}

/// Makes a custom role grant `scope` (`grant` true) or stop granting it. Needs `roles:write`,
/// and `sessions:revoke` to sign the role's holders out in the same change (`sign_out`).
#[server(prefix = "/api", endpoint = "roles/scopes/set", input = leptos::server_fn::codec::Json)]
pub async fn set_role_scope(
    role_id: String,
    scope: String,
    grant: bool,
    sign_out: Option<bool>,
) -> Result<crate::access::Change, AppError> {
    use crate::auth::Permission;
    let sign_out = crate::access::may_sign_out(sign_out)?;
    crate::access::apply_change(
        Permission::RolesWrite,
        "changed a role's scopes",
        move |tx, actor, now| {
            let (role_id, scope) = (role_id.clone(), scope.clone());
            Box::pin(async move {
                domain::set_scope(tx, &actor, &role_id, &scope, grant, sign_out, now).await
            })
        },
    )
    .await
}

/// Deletes a custom role and all its assignments. Needs `roles:write`, and `sessions:revoke` to
/// sign the role's holders out in the same change (`sign_out`).
#[server(prefix = "/api", endpoint = "roles/delete", input = leptos::server_fn::codec::Json)]
pub async fn delete_role(
    role_id: String,
    sign_out: Option<bool>,
) -> Result<crate::access::Change, AppError> {
    use crate::auth::Permission;
    let sign_out = crate::access::may_sign_out(sign_out)?;
    crate::access::apply_change(
        Permission::RolesWrite,
        "deleted a role",
        move |tx, actor, now| {
            let role_id = role_id.clone();
            Box::pin(async move { domain::delete(tx, &actor, &role_id, sign_out, now).await })
        },
    )
    .await
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
