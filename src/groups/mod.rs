//! Groups: the default way to grant access. Members receive the roles of their groups.

mod detail;
#[cfg(feature = "ssr")]
pub mod domain;
mod manage;
#[cfg(feature = "ssr")]
pub mod store;

pub use detail::{GroupMembersTab, GroupPage, GroupRolesTab};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ui::{
    use_list_params, AccessNav, Changes, DataTable, Page, PageHeader, SearchBox, ToastRegion,
};

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
    let changes = Changes::default();
    let groups = Resource::new(
        move || (search.get(), page.get(), changes.refresh.get()),
        |(search, page, _)| list_groups(search, page),
    );
    let me = Resource::new(|| (), |_| crate::auth::me());
    view! {
        <PageHeader title="Groups" lead="Members of a group hold every role the group holds." />
        <AccessNav />
        <ToastRegion toast=changes.toast />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                me.await
                    .is_ok_and(|me| me.permissions.contains(&crate::auth::Permission::GroupsWrite))
                    .then(|| view! { <manage::NewGroupForm changes /> })
            })}
        </Transition>
        <SearchBox label="Search groups" placeholder="Group name or description" value=search />
        <DataTable
            resource=groups
            columns=&["Group", "Description", "Members", "Roles"]
            noun="groups"
            empty_hint="Create a group above, then add members and give it roles."
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

/// Creates a group. Needs `groups:write`.
#[server(prefix = "/api", endpoint = "groups/create", input = leptos::server_fn::codec::Json)]
pub async fn create_group(
    name: String,
    description: String,
) -> Result<crate::access::Created, AppError> {
    use crate::auth::Permission;
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, caller) = authorize(Permission::GroupsWrite)?;
            let (actor, now) = (ctx.actor(&caller), ctx.now);
            let created = ctx
                .state
                .db
                .write(|tx| {
                    let (actor, name, description) =
                        (actor.clone(), name.clone(), description.clone());
                    Box::pin(
                        async move { domain::create(tx, &actor, &name, &description, now).await },
                    )
                })
                .await?;
            tracing::info!(group_id = %created.id, "created a group");
            Ok(created)
        }
        .await,
    )
}

/// Renames a group or changes its description. Needs `groups:write`.
#[server(prefix = "/api", endpoint = "groups/update", input = leptos::server_fn::codec::Json)]
pub async fn update_group(
    group_id: String,
    name: String,
    description: String,
    seen: Option<crate::access::Seen>,
) -> Result<crate::access::Change, AppError> {
    crate::access::apply_change(
        crate::auth::Permission::GroupsWrite,
        "edited a group",
        move |tx, actor, now| {
            let (group_id, name, description, seen) = (
                group_id.clone(),
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
                domain::update(tx, &actor, &group_id, edit, now).await
            })
        },
    )
    .await
}

/// Deletes a group with its memberships and roles. Needs `groups:write`, and `sessions:revoke`
/// to sign its members out in the same change (`sign_out`).
#[server(prefix = "/api", endpoint = "groups/delete", input = leptos::server_fn::codec::Json)]
pub async fn delete_group(
    group_id: String,
    sign_out: Option<bool>,
) -> Result<crate::access::Change, AppError> {
    let sign_out = crate::access::may_sign_out(sign_out)?;
    crate::access::apply_change(
        crate::auth::Permission::GroupsWrite,
        "deleted a group",
        move |tx, actor, now| {
            let group_id = group_id.clone();
            Box::pin(async move { domain::delete(tx, &actor, &group_id, sign_out, now).await })
        },
    )
    .await
}
