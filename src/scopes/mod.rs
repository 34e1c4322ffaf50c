//! Scopes: the permissions roles carry, such as `users:read` or `reports:export`.

#[cfg(feature = "ssr")]
pub mod domain;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::access::apply_change;
use crate::access::Change;
use crate::auth::Permission;
use crate::error::AppError;
use crate::ui::{
    use_list_params, AccessNav, Changes, DataTable, Page, PageHeader, SearchBox, ToastRegion,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ScopeSummary {
    pub name: String,
    pub description: String,
    pub builtin: bool,
    /// How many roles grant this scope.
    pub role_count: i64,
    /// Whether the caller may delete it now: a custom scope no role grants, and `roles:write`.
    #[cfg_attr(feature = "ssr", sqlx(default))]
    pub deletable: bool,
    /// Whether the caller may change its description: a custom scope, and `roles:write`.
    #[cfg_attr(feature = "ssr", sqlx(default))]
    pub editable: bool,
}

/// A page of scopes matching `search`, by name. Needs `roles:read`.
#[server(prefix = "/api", endpoint = "scopes/list")]
pub async fn list_scopes(search: String, page: u32) -> Result<Page<ScopeSummary>, AppError> {
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, caller) = authorize(Permission::RolesRead)?;
            let mut tx = ctx.state.db.read().await?;
            let mut page = store::list(&mut tx, &crate::ui::ListQuery::new(&search, page)).await?;
            let can_write = caller.has(Permission::RolesWrite);
            for scope in &mut page.items {
                scope.deletable = can_write && !scope.builtin && scope.role_count == 0;
                scope.editable = can_write && !scope.builtin;
            }
            Ok(page)
        }
        .await,
    )
}

/// Every scope name, for pickers. Needs `roles:read`.
#[server(prefix = "/api", endpoint = "scopes/options")]
pub async fn scope_options() -> Result<Vec<String>, AppError> {
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, _) = authorize(Permission::RolesRead)?;
            let mut tx = ctx.state.db.read().await?;
            store::names(&mut tx).await
        }
        .await,
    )
}

/// Adds a custom scope. Needs `roles:write`.
#[server(prefix = "/api", endpoint = "scopes/create", input = Json)]
pub async fn create_scope(name: String, description: String) -> Result<Change, AppError> {
    apply_change(
        Permission::RolesWrite,
        "created a scope",
        move |tx, actor, now| {
            let (name, description) = (name.clone(), description.clone());
            Box::pin(async move { domain::create(tx, &actor, &name, &description, now).await })
        },
    )
    .await
}

/// Changes a custom scope's description. Needs `roles:write`.
#[server(prefix = "/api", endpoint = "scopes/describe", input = Json)]
pub async fn describe_scope(name: String, description: String) -> Result<Change, AppError> {
    apply_change(
        Permission::RolesWrite,
        "described a scope",
        move |tx, actor, now| {
            let (name, description) = (name.clone(), description.clone());
            Box::pin(async move { domain::describe(tx, &actor, &name, &description, now).await })
        },
    )
    .await
}

/// Deletes a custom scope that no role grants. Needs `roles:write`.
#[server(prefix = "/api", endpoint = "scopes/delete", input = Json)]
pub async fn delete_scope(name: String) -> Result<Change, AppError> {
    apply_change(
        Permission::RolesWrite,
        "deleted a scope",
        move |tx, actor, now| {
            let name = name.clone();
            Box::pin(async move { domain::delete(tx, &actor, &name, now).await })
        },
    )
    .await
}

#[component]
pub fn ScopesPage() -> impl IntoView {
    let (search, page) = use_list_params();
    let changes = Changes::default();
    let scopes = Resource::new(
        move || (search.get(), page.get(), changes.refresh.get()),
        |(search, page, _)| list_scopes(search, page),
    );
    let me = Resource::new(|| (), |_| crate::auth::me());
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    view! {
        <PageHeader title="Scopes" lead="A scope is one permission. Tokens carry the scopes of their holder's roles." />
        <AccessNav />
        <ToastRegion toast=changes.toast />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let can_write = me
                    .await
                    .is_ok_and(|me| me.permissions.contains(&Permission::RolesWrite));
                can_write.then(|| view! {
                    <form class="inline-form section" on:submit=move |ev| {
                        ev.prevent_default();
                        changes.run(create_scope(name.get_untracked(), description.get_untracked()));
                    }>
                        <label for="new-scope">"New scope"</label>
                        <input id="new-scope" type="text" placeholder="reports:read" maxlength="128"
                            prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                        <label for="new-scope-description">"Description"</label>
                        <input id="new-scope-description" type="text" maxlength="500"
                            prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev)) />
                        <button type="submit" class="button button-primary" disabled=move || changes.busy.get()>"Create scope"</button>
                    </form>
                })
            })}
        </Transition>
        <SearchBox label="Search scopes" placeholder="Scope name or description" value=search />
        <DataTable
            resource=scopes
            columns=&["Scope", "Description", "Roles", "Type", "Actions"]
            noun="scopes"
            empty_hint="Tessera's built-in scopes are created with the database."
            search
            row=move |scope: ScopeSummary| {
                let delete = scope.deletable.then(|| {
                    let (name, label) = (scope.name.clone(), format!("Delete scope {}", scope.name));
                    view! {
                        <button type="button" class="button" aria-label=label
                            disabled=move || changes.busy.get()
                            on:click=move |_| changes.run(delete_scope(name.clone()))>
                            "Delete"
                        </button>
                    }
                });
                let edit = scope.editable.then(|| {
                    let name = scope.name.clone();
                    let label = format!("Description of {}", scope.name);
                    let description = RwSignal::new(scope.description.clone());
                    let details = crate::ui::closes_after_change(changes);
                    let input_id = format!("scope-description-{}", scope.name.replace([':', '.'], "-"));
                    view! {
                        <details class="end-editor" node_ref=details>
                            <summary class="button button-quiet" aria-label=format!("Edit description of {}", scope.name)>"Edit"</summary>
                            <form class="end-editor-form" on:submit=move |ev| {
                                ev.prevent_default();
                                changes.run(describe_scope(name.clone(), description.get_untracked()));
                            }>
                                <label for=input_id.clone()>{label}</label>
                                <input id=input_id type="text" maxlength="500" prop:value=move || description.get()
                                    on:input=move |ev| description.set(event_target_value(&ev)) />
                                <button type="submit" class="button button-primary" disabled=move || changes.busy.get()>"Save"</button>
                            </form>
                        </details>
                    }
                });
                view! {
                    <tr>
                        <td class="mono strong">{scope.name}</td>
                        <td>{scope.description}</td>
                        <td class="num">{scope.role_count}</td>
                        <td>
                            {if scope.builtin {
                                view! { <span class="badge badge-builtin">"Built-in"</span> }.into_any()
                            } else {
                                view! { <span class="badge">"Custom"</span> }.into_any()
                            }}
                        </td>
                        <td class="actions">{edit}{delete}</td>
                    </tr>
                }
            }
        />
    }
}
