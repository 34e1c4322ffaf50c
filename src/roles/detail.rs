//! A role's page: who holds it (people directly, and groups) with add and remove, and the
//! scopes it grants. Each tab is its own URL.

use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_params_map;

use crate::access::{
    assign_group_role, assign_role_to_users, assign_user_role, get_role_detail,
    unassign_group_role, unassign_user_role, RoleDetail,
};
use crate::auth::Permission;
use crate::error::AppError;
use crate::groups::group_options;
use crate::roles::{delete_role, set_role_scope, update_role};
use crate::scopes::scope_options;
use crate::ui::{
    format_time, time_left, Changes, EndEditor, ErrorNotice, PickOneForm, SignOutToggle, Tabs,
    ToastRegion,
};
use crate::users::AddPeopleForm;

#[derive(Clone, Copy)]
struct RoleCtx {
    detail: Resource<Result<RoleDetail, AppError>>,
    changes: Changes,
}

#[component]
pub fn RolePage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let changes = Changes::default();
    let detail = Resource::new(
        move || (id.get(), changes.refresh.get()),
        |(id, _)| get_role_detail(id),
    );
    provide_context(RoleCtx { detail, changes });
    view! {
        <p class="breadcrumb">
            <a href="/roles">"Roles"</a>
        </p>
        <Transition fallback=|| view! { <div class="page-header"><h1 class="skeleton-text">"\u{a0}"</h1></div> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => {
                        let holders = match d.holders_total {
                            1 => "1 active person holds this role, directly or through a group.".to_string(),
                            n => format!("{n} active people hold this role, directly or through a group."),
                        };
                        view! {
                            <leptos_meta::Title text=d.role.name.clone() />
                            <div class="page-header">
                                <h1>
                                    {d.role.name.clone()}
                                    {d.role.builtin.then(|| view! { " " <span class="badge badge-builtin">"Built-in"</span> })}
                                </h1>
                                <p class="lead">{d.role.description.clone()}</p>
                                <p class="lead">{holders}</p>
                                {d.caller_permissions.contains(&Permission::RolesWrite).then(|| view! {
                                    <div class="header-actions">
                                        {view! { <EditRole detail=d.clone() changes /> }.into_any()}
                                        {(!d.role.builtin).then(|| view! { <DeleteRole detail=d.clone() changes /> }.into_any())}
                                    </div>
                                }.into_any())}
                            </div>
                        }
                        .into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
        <Tabs
            label="About this role"
            base=Signal::derive(move || format!("/roles/{}", id.get()))
            tabs=&[("assignments", "Assignments"), ("scopes", "Scopes")]
        />
        <ToastRegion toast=changes.toast />
        <div role="tabpanel" class="tabpanel">
            <Outlet />
        </div>
    }
}

/// Two lists, people and groups, each with add and remove.
#[component]
pub fn RoleAssignmentsTab() -> impl IntoView {
    let Some(ctx) = use_context::<RoleCtx>() else {
        return ().into_any();
    };
    let groups = Resource::new(|| (), |_| group_options());
    let picked = RwSignal::new(Vec::<(String, String)>::new());
    let user_ends = RwSignal::new(String::new());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading assignments…"</p> }>
            {move || Suspend::new(async move {
                let detail = match ctx.detail.await {
                    Ok(detail) => detail,
                    Err(error) => return view! { <ErrorNotice error /> }.into_any(),
                };
                let can_write = detail.caller_permissions.contains(&Permission::RolesWrite);
                let now = detail.now;
                let role_id = detail.role.id.clone();
                let role_name = detail.role.name.clone();
                let holder_ids: Vec<String> = detail.users.iter().map(|h| h.user.user_id.clone()).collect();
                let group_ids: Vec<String> = detail.groups.iter().map(|g| g.group_id.clone()).collect();

                let users = if detail.users.is_empty() {
                    view! { <p class="muted">"Nobody holds this role directly."</p> }.into_any()
                } else {
                    view! {
                        <ul class="rows">
                            {detail.users.clone().into_iter().map(|holder| {
                                let (user_id, role_id) = (holder.user.user_id.clone(), role_id.clone());
                                let label = format!("Remove role {} from {}", role_name, holder.user.display_name);
                                let covered = (!holder.also_through.is_empty()).then(|| {
                                    view! {
                                        <span class="badge" title="This person's group already gives them the role; the direct assignment is redundant.">
                                            {format!("also through {}", holder.also_through.join(", "))}
                                        </span>
                                    }
                                });
                                view! {
                                    <li>
                                        <a class="strong" href=format!("/users/{}/roles", holder.user.user_id)>{holder.user.display_name.clone()}</a>
                                        <span class="mono muted">{holder.user.username.clone()}</span>
                                        {holder.user.disabled.then(|| view! { <span class="badge badge-off">"Disabled"</span> })}
                                        {holder.user.expires_at.map(|e| view! { <span class="chip-time" title=format!("until {}", format_time(e))>{time_left(e, now)}</span> })}
                                        {covered}
                                        {can_write.then(|| {
                                            let (user_id, role_id) = (user_id.clone(), role_id.clone());
                                            view! {
                                                <EndEditor
                                                    label=format!("Change the end of {}'s role", holder.user.display_name)
                                                    current=holder.user.expires_at
                                                    changes=ctx.changes
                                                    on_save=move |end| ctx.changes.run(assign_user_role(user_id.clone(), role_id.clone(), end))
                                                />
                                            }
                                        })}
                                        {can_write.then(|| view! {
                                            <button type="button" class="button" aria-label=label
                                                disabled=move || ctx.changes.busy.get()
                                                on:click=move |_| ctx.changes.run(unassign_user_role(user_id.clone(), role_id.clone(), ctx.changes.sign_out_choice()))>
                                                "Remove"
                                            </button>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                    .into_any()
                };
                let group_list = if detail.groups.is_empty() {
                    view! { <p class="muted">"No group holds this role."</p> }.into_any()
                } else {
                    view! {
                        <ul class="rows">
                            {detail.groups.clone().into_iter().map(|group| {
                                let (group_id, role_id) = (group.group_id.clone(), role_id.clone());
                                let label = format!("Remove role {} from group {}", role_name, group.group_name);
                                view! {
                                    <li>
                                        <a class="strong" href=format!("/groups/{}/members", group.group_id)>{group.group_name.clone()}</a>
                                        <span class="muted">{format!("{} members", group.member_count)}</span>
                                        {group.expires_at.map(|e| view! { <span class="chip-time" title=format!("until {}", format_time(e))>{time_left(e, now)}</span> })}
                                        {can_write.then(|| {
                                            let (group_id, role_id) = (group_id.clone(), role_id.clone());
                                            view! {
                                                <EndEditor
                                                    label=format!("Change the end of the role for group {}", group.group_name)
                                                    current=group.expires_at
                                                    changes=ctx.changes
                                                    on_save=move |end| ctx.changes.run(assign_group_role(group_id.clone(), role_id.clone(), end))
                                                />
                                            }
                                        })}
                                        {can_write.then(|| view! {
                                            <button type="button" class="button" aria-label=label
                                                disabled=move || ctx.changes.busy.get()
                                                on:click=move |_| ctx.changes.run(unassign_group_role(group_id.clone(), role_id.clone(), ctx.changes.sign_out_choice()))>
                                                "Remove"
                                            </button>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                    .into_any()
                };
                let add_users = can_write.then(|| {
                    let role_id = role_id.clone();
                    view! {
                        <AddPeopleForm id="role-find-people" label="Find people to give this role"
                            picked ends=user_ends excluded=holder_ids.clone()
                            excluded_reason="already holds it directly" changes=ctx.changes
                            on_add=move |ids, expires_at| ctx.changes.run(assign_role_to_users(role_id.clone(), ids, expires_at)) />
                    }
                });
                let add_group = if can_write {
                    let options = groups
                        .await
                        .unwrap_or_default()
                        .into_iter()
                        .map(|option| {
                            let already = group_ids.contains(&option.id);
                            let text = if already { format!("{} — already holds it", option.name) } else { option.name.clone() };
                            (option.id, text, already)
                        })
                        .collect();
                    let role_id = role_id.clone();
                    view! {
                        <PickOneForm
                            select_id="role-add-group"
                            label="Give this role to a group"
                            placeholder="Choose a group"
                            options
                            button="Add group"
                            changes=ctx.changes
                            on_pick=move |group_id, expires_at| ctx.changes.run(assign_group_role(group_id, role_id.clone(), expires_at))
                        />
                    }
                    .into_any()
                } else {
                    view! { <p class="muted">"Changing who holds this role needs the roles:write scope."</p> }.into_any()
                };
                let toggle = (can_write && detail.caller_permissions.contains(&Permission::SessionsRevoke))
                    .then(|| view! { <SignOutToggle changes=ctx.changes /> });
                view! {
                    {toggle}
                    <section class="section" aria-labelledby="role-users">
                        <h2 id="role-users">"Users"</h2>
                        {users}
                        {add_users}
                    </section>
                    <section class="section" aria-labelledby="role-groups">
                        <h2 id="role-groups">"Groups"</h2>
                        {group_list}
                        {add_group}
                    </section>
                }
                .into_any()
            })}
        </Transition>
    }
    .into_any()
}

/// The scopes the role grants, with remove and add for custom roles.
#[component]
pub fn RoleScopesTab() -> impl IntoView {
    let Some(ctx) = use_context::<RoleCtx>() else {
        return ().into_any();
    };
    let options = Resource::new(|| (), |_| scope_options());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading scopes…"</p> }>
            {move || Suspend::new(async move {
                let detail = match ctx.detail.await {
                    Ok(detail) => detail,
                    Err(error) => return view! { <ErrorNotice error /> }.into_any(),
                };
                let editable = detail.caller_permissions.contains(&Permission::RolesWrite) && !detail.role.builtin;
                let role_id = detail.role.id.clone();
                let chips = if detail.scopes.is_empty() {
                    view! { <p class="muted">"This role grants no scope yet."</p> }.into_any()
                } else {
                    view! {
                        <ul class="chips">
                            {detail.scopes.clone().into_iter().map(|scope| {
                                let label = format!("Remove scope {scope}");
                                let (role_id, name) = (role_id.clone(), scope.clone());
                                view! {
                                    <li class="chip">
                                        <span class="mono">{scope}</span>
                                        {editable.then(|| view! {
                                            <button type="button" class="chip-remove" aria-label=label
                                                disabled=move || ctx.changes.busy.get()
                                                on:click=move |_| ctx.changes.run(set_role_scope(role_id.clone(), name.clone(), false, ctx.changes.sign_out_choice()))>
                                                "×"
                                            </button>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                    .into_any()
                };
                let toggle = (editable && !detail.scopes.is_empty()
                    && detail.caller_permissions.contains(&Permission::SessionsRevoke))
                    .then(|| view! { <SignOutToggle changes=ctx.changes /> });
                let picker = if editable {
                    let options = options
                        .await
                        .unwrap_or_default()
                        .into_iter()
                        .map(|scope| {
                            let already = detail.scopes.contains(&scope);
                            let text = if already { format!("{scope} — already granted") } else { scope.clone() };
                            (scope, text, already)
                        })
                        .collect();
                    view! {
                        <PickOneForm
                            select_id="role-add-scope"
                            label="Add a scope"
                            placeholder="Choose a scope"
                            options
                            button="Add scope"
                            changes=ctx.changes
                            no_end=true
                            on_pick=move |scope, _| ctx.changes.run(set_role_scope(role_id.clone(), scope, true, None))
                        />
                    }
                    .into_any()
                } else if detail.role.builtin {
                    view! { <p class="muted">"Built-in roles keep their scopes: Tessera's own access depends on them."</p> }.into_any()
                } else {
                    view! { <p class="muted">"Changing a role's scopes needs the roles:write scope."</p> }.into_any()
                };
                view! {
                    {toggle}
                    <section class="section">{chips}</section>
                    <section class="section">{picker}</section>
                }
                .into_any()
            })}
        </Transition>
    }
    .into_any()
}

/// Deleting a custom role, after saying what it takes away.
#[component]
fn DeleteRole(detail: RoleDetail, changes: Changes) -> impl IntoView {
    let asking = RwSignal::new(false);
    let navigate = leptos_router::hooks::use_navigate();
    let name = detail.role.name.clone();
    let impact = format!(
        "Deleting {} takes it from {} active {} — {} directly and through {} {}. This cannot be undone.",
        name,
        detail.holders_total,
        if detail.holders_total == 1 { "person" } else { "people" },
        detail.users.len(),
        detail.groups.len(),
        if detail.groups.len() == 1 { "group" } else { "groups" },
    );
    let confirm_label = format!("Delete role {name}");
    let role_id = detail.role.id.clone();
    // Ending the holders' sessions in the same change needs sessions:revoke, and holders.
    let may_sign_out = detail.holders_total > 0
        && detail
            .caller_permissions
            .contains(&Permission::SessionsRevoke);
    let delete = move |sign_out: bool| {
        let (role_id, navigate) = (role_id.clone(), navigate.clone());
        move |_| {
            let (role_id, navigate) = (role_id.clone(), navigate.clone());
            changes.busy.set(true);
            leptos::task::spawn_local(async move {
                let outcome = delete_role(role_id, sign_out.then_some(true)).await;
                changes.busy.set(false);
                match outcome {
                    Ok(_) => navigate("/roles", Default::default()),
                    Err(error) => changes.fail(error.message),
                }
            });
        }
    };
    view! {
        <Show
            when=move || asking.get()
            fallback=move || view! {
                <button type="button" class="button" on:click=move |_| asking.set(true)>"Delete role…"</button>
            }
        >
            <div class="notice notice-error" role="alertdialog" aria-label="Confirm deletion">
                <p>{impact.clone()}</p>
                <p class="inline-form">
                    <button type="button" class="button button-danger" disabled=move || changes.busy.get()
                        on:click=delete(false)>
                        {confirm_label.clone()}
                    </button>
                    {may_sign_out.then(|| view! {
                        <button type="button" class="button button-danger" disabled=move || changes.busy.get()
                            on:click=delete(true)>
                            "Delete and sign its holders out now"
                        </button>
                    })}
                    <button type="button" class="button" on:click=move |_| asking.set(false)>"Cancel"</button>
                </p>
            </div>
        </Show>
    }
}

/// Renaming a role and changing its description. The form opens in place; a saved change
/// reloads the header, which closes it, and a refused one leaves it open with what was typed.
#[component]
fn EditRole(detail: RoleDetail, changes: Changes) -> impl IntoView {
    let name = RwSignal::new(detail.role.name.clone());
    let description = RwSignal::new(detail.role.description.clone());
    let role_id = detail.role.id.clone();
    let builtin = detail.role.builtin;
    let seen = crate::access::Seen {
        name: detail.role.name.clone(),
        description: detail.role.description.clone(),
    };
    let details = crate::ui::closes_after_change(changes);
    view! {
        <details class="edit-panel" node_ref=details>
            <summary class="button">"Edit role…"</summary>
            <form class="stacked-form" on:submit=move |ev| {
                ev.prevent_default();
                changes.run(update_role(role_id.clone(), name.get_untracked(), description.get_untracked(), Some(seen.clone())));
            }>
                <label for="role-name">"Name"</label>
                <input id="role-name" type="text" maxlength="128" required=true readonly=builtin
                    aria-describedby=builtin.then_some("role-name-note")
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                {builtin.then(|| view! { <p id="role-name-note" class="muted small">"Built-in roles keep their name."</p> })}
                <label for="role-description">"Description"</label>
                <textarea id="role-description" rows="2" maxlength="500"
                    prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                <p class="inline-form">
                    <button type="submit" class="button button-primary" disabled=move || changes.busy.get()>"Save role"</button>
                </p>
            </form>
        </details>
    }
}
