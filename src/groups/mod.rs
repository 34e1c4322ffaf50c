//! Groups: the default way to grant access. Members receive the roles of their groups.

mod detail;
#[cfg(feature = "ssr")]
pub mod store;

pub use detail::{GroupMembersTab, GroupPage, GroupRolesTab};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ui::{use_list_params, AccessNav, DataTable, Page, PageHeader, SearchBox};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct GroupSummary {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Live members.
    pub member_count: i64,
    /// Live roles.
    pub role_count: i64,
}

/// A page of groups matching `search`, by name. Needs `groups:read`.
#[server(prefix = "/api", endpoint = "groups/list")]
pub async fn list_groups(search: String, page: u32) -> Result<Page<GroupSummary>, AppError> {
    use crate::auth::Permission;
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, _) = authorize(Permission::GroupsRead)?;
            let mut tx = ctx.state.db.read().await?;
            store::list(&mut tx, &crate::ui::ListQuery::new(&search, page), ctx.now).await
        }
        .await,
    )
}

#[component]
pub fn GroupsPage() -> impl IntoView {
    let (search, page) = use_list_params();
    let groups = Resource::new(
        move || (search.get(), page.get()),
        |(search, page)| list_groups(search, page),
    );
    view! {
        <PageHeader title="Groups" lead="Members of a group hold every role the group holds." />
        <AccessNav />
        <SearchBox label="Search groups" placeholder="Group name or description" value=search />
        <DataTable
            resource=groups
            columns=&["Group", "Description", "Members", "Roles"]
            noun="groups"
            empty_hint="Groups appear here once created; the demo organisation has several."
            search
            row=|group: GroupSummary| {
                view! {
                    <tr>
                        <td class="strong">
                            <a href=format!("/groups/{}/members", group.id)>{group.name}</a>
                        </td>
                        <td>{group.description}</td>
                        <td class="num">{group.member_count}</td>
                        <td class="num">{group.role_count}</td>
                    </tr>
                }
            }
        />
    }
}

/// A group as a picker offers it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct GroupOption {
    pub id: String,
    pub name: String,
}

/// Every group, by name, for pickers. Needs `groups:read`.
#[server(prefix = "/api", endpoint = "groups/options")]
pub async fn group_options() -> Result<Vec<GroupOption>, AppError> {
    use crate::auth::Permission;
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, _) = authorize(Permission::GroupsRead)?;
            let mut tx = ctx.state.db.read().await?;
            store::options(&mut tx).await
        }
        .await,
    )
}
