//! A group's page: its members (add several at once, remove) and its roles (every member holds
//! them). Each tab is its own URL.

use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_params_map;

use crate::access::{
    add_group_members, assign_group_role, get_group_detail, remove_group_member,
    unassign_group_role, GroupDetail,
};
use crate::auth::Permission;
use crate::error::AppError;
use crate::roles::role_options;
use crate::ui::{
    format_time, time_left, Changes, EndEditor, ErrorNotice, PickOneForm, SignOutToggle, Tabs,
    ToastRegion,
};
use crate::users::AddPeopleForm;

#[derive(Clone, Copy)]
struct GroupCtx {
    detail: Resource<Result<GroupDetail, AppError>>,
    changes: Changes,
}

#[component]
pub fn GroupPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let changes = Changes::default();
    let detail = Resource::new(
        move || (id.get(), changes.refresh.get()),
        |(id, _)| get_group_detail(id),
    );
    provide_context(GroupCtx { detail, changes });

    view! {
        <p class="breadcrumb">
            <a href="/groups">"Groups"</a>
        </p>
        <Transition fallback=|| view! { <div class="page-header"><h1 class="skeleton-text">"\u{a0}"</h1></div> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! {
                        <leptos_meta::Title text=d.group.name.clone() />
                        <div class="page-header">
                            <h1>{d.group.name.clone()}</h1>
                            <p class="lead">
                                {if d.group.description.is_empty() { "No description.".to_string() } else { d.group.description.clone() }}
                                {format!(" · {} members · {} roles", d.members.len(), d.roles.len())}
                            </p>
                            {d.caller_permissions.contains(&Permission::GroupsWrite).then(|| view! {
                                <super::manage::GroupActions detail=d.clone() changes />
                            }.into_any())}
                        </div>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
        <Tabs
            label="About this group"
            base=Signal::derive(move || format!("/groups/{}", id.get()))
            tabs=&[("members", "Members"), ("roles", "Roles")]
        />
        <ToastRegion toast=changes.toast />
        <div role="tabpanel" class="tabpanel">
            <Outlet />
        </div>
    }
}

/// Members, with remove, and a search that adds several people at once.
#[component]
pub fn GroupMembersTab() -> impl IntoView {
    let Some(ctx) = use_context::<GroupCtx>() else {
        return ().into_any();
    };
    let picked = RwSignal::new(Vec::<(String, String)>::new());
    let ends = RwSignal::new(String::new());

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading members…"</p> }>
            {move || Suspend::new(async move {
                let detail = match ctx.detail.await {
                    Ok(detail) => detail,
                    Err(error) => return view! { <ErrorNotice error /> }.into_any(),
                };
                let can_write = detail.caller_permissions.contains(&Permission::GroupsWrite);
                let now = detail.now;
                let group_id = detail.group.id.clone();
                let group_name = detail.group.name.clone();
                let member_ids: Vec<String> = detail.members.iter().map(|m| m.user_id.clone()).collect();
                let list = if detail.members.is_empty() {
                    view! { <p class="muted">"No members yet."</p> }.into_any()
                } else {
                    view! {
                        <ul class="rows">
                            {detail.members.clone().into_iter().map(|member| {
                                let (group_id, user_id) = (group_id.clone(), member.user_id.clone());
                                let label = format!("Remove {} from {}", member.display_name, group_name);
                                view! {
                                    <li>
                                        <a class="strong" href=format!("/users/{}/roles", member.user_id)>{member.display_name.clone()}</a>
                                        <span class="mono muted">{member.username.clone()}</span>
                                        {member.disabled.then(|| view! { <span class="badge badge-off">"Disabled"</span> })}
                                        {member.expires_at.map(|e| view! { <span class="chip-time" title=format!("until {}", format_time(e))>{time_left(e, now)}</span> })}
                                        {can_write.then(|| {
                                            let (group_id, user_id) = (group_id.clone(), user_id.clone());
                                            view! {
                                                <EndEditor
                                                    label=format!("Change the end of {}'s membership", member.display_name)
                                                    current=member.expires_at
                                                    changes=ctx.changes
                                                    on_save=move |end| ctx.changes.run(add_group_members(group_id.clone(), vec![user_id.clone()], end))
                                                />
                                            }
                                        })}
                                        {can_write.then(|| view! {
                                            <button type="button" class="button" aria-label=label
                                                disabled=move || ctx.changes.busy.get()
                                                on:click=move |_| ctx.changes.run(remove_group_member(group_id.clone(), user_id.clone(), ctx.changes.sign_out_choice()))>
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
                let adder = can_write.then(|| {
                    let group_id = group_id.clone();
                    view! {
                        <AddPeopleForm id="find-people" label="Find people to add" heading="Add members"
                            picked ends excluded=member_ids.clone() excluded_reason="already a member"
                            changes=ctx.changes
                            on_add=move |ids, expires_at| ctx.changes.run(add_group_members(group_id.clone(), ids, expires_at)) />
                    }
                });
                let toggle = (can_write && detail.caller_permissions.contains(&Permission::SessionsRevoke))
                    .then(|| view! { <SignOutToggle changes=ctx.changes /> });
                view! {
                    {toggle}
                    <section class="section">
                        <h2>"Members"</h2>
                        {list}
                    </section>
                    <section class="section">{adder}</section>
                }
                .into_any()
            })}
        </Transition>
    }
    .into_any()
}

/// The group's roles as removable chips, and a picker that adds one.
#[component]
pub fn GroupRolesTab() -> impl IntoView {
    let Some(ctx) = use_context::<GroupCtx>() else {
        return ().into_any();
    };
    let options = Resource::new(|| (), |_| role_options());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading roles…"</p> }>
            {move || Suspend::new(async move {
                let detail = match ctx.detail.await {
                    Ok(detail) => detail,
                    Err(error) => return view! { <ErrorNotice error /> }.into_any(),
                };
                let can_write = detail.caller_permissions.contains(&Permission::RolesWrite);
                let now = detail.now;
                let group_id = detail.group.id.clone();
                let chips = if detail.roles.is_empty() {
                    view! { <p class="muted">"This group grants no role yet."</p> }.into_any()
                } else {
                    view! {
                        <ul class="chips">
                            {detail.roles.clone().into_iter().map(|role| {
                                let (group_id, role_id) = (group_id.clone(), role.role_id.clone());
                                let label = format!("Remove role {}", role.role_name);
                                view! {
                                    <li class="chip">
                                        <span class="chip-name">{role.role_name.clone()}</span>
                                        {role.expires_at.map(|e| view! { <span class="chip-time" title=format!("until {}", format_time(e))>{time_left(e, now)}</span> })}
                                        {can_write.then(|| {
                                            let (group_id, role_id) = (group_id.clone(), role_id.clone());
                                            view! {
                                                <EndEditor
                                                    label=format!("Change the end of role {}", role.role_name)
                                                    current=role.expires_at
                                                    changes=ctx.changes
                                                    on_save=move |end| ctx.changes.run(assign_group_role(group_id.clone(), role_id.clone(), end))
                                                />
                                            }
                                        })}
                                        {can_write.then(|| view! {
                                            <button type="button" class="chip-remove" aria-label=label
                                                disabled=move || ctx.changes.busy.get()
                                                on:click=move |_| ctx.changes.run(unassign_group_role(group_id.clone(), role_id.clone(), ctx.changes.sign_out_choice()))>
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
                let picker = if can_write {
                    let held: Vec<String> = detail.roles.iter().map(|r| r.role_id.clone()).collect();
                    let options = options
                        .await
                        .unwrap_or_default()
                        .into_iter()
                        .map(|option| {
                            let already = held.contains(&option.id);
                            let text = if already { format!("{} — already granted", option.name) } else { option.name.clone() };
                            (option.id, text, already)
                        })
                        .collect();
                    view! {
                        <PickOneForm
                            select_id="group-add-role"
                            label="Add a role"
                            placeholder="Choose a role"
                            options
                            button="Add role"
                            changes=ctx.changes
                            on_pick=move |role_id, expires_at| ctx.changes.run(assign_group_role(group_id.clone(), role_id, expires_at))
                        />
                    }
                    .into_any()
                } else {
                    view! { <p class="muted">"Changing a group's roles needs the roles:write scope."</p> }.into_any()
                };
                let toggle = (can_write && detail.caller_permissions.contains(&Permission::SessionsRevoke))
                    .then(|| view! { <SignOutToggle changes=ctx.changes /> });
                view! {
                    {toggle}
                    <section class="section">
                        <h2>"Roles every member holds"</h2>
                        {chips}
                    </section>
                    <section class="section">{picker}</section>
                }
                .into_any()
            })}
        </Transition>
    }
    .into_any()
}
