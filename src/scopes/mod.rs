//! Scopes: the permissions roles carry, such as `users:read` or `reports:export`.

#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ui::{use_list_params, AccessNav, DataTable, Page, PageHeader, SearchBox};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ScopeSummary {
    pub name: String,
    pub description: String,
    pub builtin: bool,
    /// How many roles grant this scope.
    pub role_count: i64,
}

/// A page of scopes matching `search`, by name. Needs `roles:read`.
#[server(prefix = "/api", endpoint = "scopes/list")]
pub async fn list_scopes(search: String, page: u32) -> Result<Page<ScopeSummary>, AppError> {
    use crate::auth::Permission;
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, _) = authorize(Permission::RolesRead)?;
            let mut tx = ctx.state.db.read().await?;
            store::list(&mut tx, &crate::ui::ListQuery::new(&search, page)).await
        }
        .await,
    )
}

#[component]
pub fn ScopesPage() -> impl IntoView {
    let (search, page) = use_list_params();
    let scopes = Resource::new(
        move || (search.get(), page.get()),
        |(search, page)| list_scopes(search, page),
    );
    view! {
        <PageHeader title="Scopes" lead="A scope is one permission. Tokens carry the scopes of their holder's roles." />
        <AccessNav />
        <SearchBox label="Search scopes" placeholder="Scope name or description" value=search />
        <DataTable
            resource=scopes
            columns=&["Scope", "Description", "Roles", "Type"]
            noun="scopes"
            empty_hint="Tessera's built-in scopes are created with the database."
            search
            row=|scope: ScopeSummary| {
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
                    </tr>
                }
            }
        />
    }
}
