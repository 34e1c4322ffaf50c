//! A person's page: their roles (direct and through groups), their groups, and their access
//! with the reasons for it. Each tab is its own URL.

use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_params_map;

use crate::access::{
    add_group_members, assign_user_role, remove_group_member, unassign_user_role, UserAccess,
};
use crate::auth::Permission;
use crate::error::AppError;
use crate::groups::group_options;
use crate::roles::role_options;
use crate::sessions::{list_user_sessions, revoke_all_sessions, revoke_session, set_user_disabled};
use crate::ui::{
    format_time, time_left, Changes, EndEditor, ErrorNotice, PickOneForm, SignOutToggle, Tabs,
    ToastRegion,
};

#[derive(Clone, Copy)]
struct UserCtx {
    access: Resource<Result<UserAccess, AppError>>,
    changes: Changes,
}

#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let changes = Changes::default();
    let access = Resource::new(
        move || (id.get(), changes.refresh.get()),
        |(id, _)| crate::access::get_user_access(id),
    );
    let ctx = UserCtx { access, changes };
    provide_context(ctx);

    view! {
        <p class="breadcrumb">
            <a href="/users">"Users"</a>
        </p>
        <Transition fallback=|| view! { <div class="page-header"><h1 class="skeleton-text">"\u{a0}"</h1></div> }>
            {move || Suspend::new(async move {
                match access.await {
                    Ok(a) => {
                        let status = if a.user.disabled { "Disabled" } else { "Active" };
                        view! {
                            <leptos_meta::Title text=a.user.display_name.clone() />
                            <div class="page-header">
                                <h1>
                                    {a.user.display_name.clone()}
                                    " "
                                    <span class=if a.user.disabled { "badge badge-off" } else { "badge badge-on" }>
                                        {status}
                                    </span>
                                </h1>
                                <p class="lead">
                                    <span class="mono">{a.user.username.clone()}</span>
                                    {a.user.email.clone().map(|e| format!(" · {e}"))}
                                    {format!(" · created {}", format_time(a.user.created_at))}
                                    {if a.second_factor { " · two-step verification on" } else { "" }}
                                </p>
                                {a.caller_permissions.contains(&Permission::UsersWrite).then(|| view! {
                                    <div class="header-actions">
                                        <super::manage::EditProfile user=a.user.clone() changes=ctx.changes />
                                        {(a.user.id != a.caller_id).then(|| view! {
                                            <super::manage::SetPassword user=a.user.clone() changes=ctx.changes />
                                        })}
                                        <AccountStatus user=a.user.clone() changes=ctx.changes />
                                        {a.second_factor.then(|| view! {
                                            <ResetSecondFactor user=a.user.clone() changes=ctx.changes />
                                        })}
                                        {[Permission::RolesWrite, Permission::GroupsWrite, Permission::SessionsRevoke]
                                            .iter()
                                            .all(|p| a.caller_permissions.contains(p))
                                            .then(|| view! { <super::offboard::Offboard user_id=a.user.id.clone() changes=ctx.changes /> })}
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
            label="About this user"
            base=Signal::derive(move || format!("/users/{}", id.get()))
            tabs=&[("roles", "Roles"), ("groups", "Groups"), ("access", "Access"), ("sessions", "Sessions")]
        />
        <ToastRegion toast=ctx.changes.toast />
        <div role="tabpanel" class="tabpanel">
            <Outlet />
        </div>
    }
}

fn user_ctx() -> Option<UserCtx> {
    use_context::<UserCtx>()
}

/// Direct roles as removable chips, roles through groups as chips naming the group, and a
/// picker that adds a direct role.
#[component]
pub fn UserRolesTab() -> impl IntoView {
    let Some(ctx) = user_ctx() else {
        return ().into_any();
    };
    let options = Resource::new(|| (), |_| role_options());

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading roles…"</p> }>
            {move || Suspend::new(async move {
                let access = match ctx.access.await {
                    Ok(access) => access,
                    Err(error) => return view! { <ErrorNotice error /> }.into_any(),
                };
                let can_write = access.caller_permissions.contains(&Permission::RolesWrite);
                let now = access.now;
                let user_id = access.user.id.clone();
                let direct = access.direct.clone();
                let inherited = access.inherited.clone();
                let direct_chips = if direct.is_empty() {
                    view! { <p class="muted">"No direct roles. Groups are the usual way to give access."</p> }.into_any()
                } else {
                    view! {
                        <ul class="chips">
                            {direct
                                .into_iter()
                                .map(|role| {
                                    let label = format!("Remove role {}", role.role_name);
                                    let (user_id, role_id) = (user_id.clone(), role.role_id.clone());
                                    view! {
                                        <li class="chip">
                                            <span class="chip-name">{role.role_name.clone()}</span>
                                            {role.expires_at.map(|e| view! { <span class="chip-time" title=format!("until {}", format_time(e))>{time_left(e, now)}</span> })}
                                            {can_write.then(|| {
                                                let (user_id, role_id) = (user_id.clone(), role_id.clone());
                                                view! {
                                                    <EndEditor
                                                        label=format!("Change the end of role {}", role.role_name)
                                                        current=role.expires_at
                                                        changes=ctx.changes
                                                        on_save=move |end| ctx.changes.run(assign_user_role(user_id.clone(), role_id.clone(), end))
                                                    />
                                                }
                                            })}
                                            {can_write.then(|| view! {
                                                <button
                                                    type="button"
                                                    class="chip-remove"
                                                    aria-label=label
                                                    title="Remove this direct assignment"
                                                    disabled=move || ctx.changes.busy.get()
                                                    on:click=move |_| ctx.changes.run(unassign_user_role(user_id.clone(), role_id.clone(), ctx.changes.sign_out_choice()))
                                                >
                                                    "×"
                                                </button>
                                            })}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                };
                let inherited_chips = if inherited.is_empty() {
                    view! { <p class="muted">"No roles through groups."</p> }.into_any()
                } else {
                    view! {
                        <ul class="chips">
                            {inherited
                                .into_iter()
                                .map(|role| {
                                    view! {
                                        <li class="chip chip-inherited">
                                            <span class="chip-name">{role.role_name.clone()}</span>
                                            {role.expires_at.map(|e| view! { <span class="chip-time" title=format!("until {}", format_time(e))>{time_left(e, now)}</span> })}
                                            <a
                                                class="chip-via"
                                                href=format!("/groups/{}/roles", role.group_id)
                                                title=format!("Granted by the group {}: remove it there", role.group_name)
                                            >
                                                {format!("via {}", role.group_name)}
                                            </a>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                };
                let picker = if can_write {
                    let held: Vec<String> = access.direct.iter().map(|r| r.role_id.clone()).collect();
                    let options = options
                        .await
                        .unwrap_or_default()
                        .into_iter()
                        .map(|option| {
                            let already = held.contains(&option.id);
                            let via: Vec<String> = access
                                .inherited
                                .iter()
                                .filter(|r| r.role_id == option.id)
                                .map(|r| r.group_name.clone())
                                .collect();
                            let text = if already {
                                format!("{} — already assigned", option.name)
                            } else if !via.is_empty() {
                                format!("{} — already granted by {}", option.name, via.join(", "))
                            } else {
                                option.name.clone()
                            };
                            (option.id, text, already)
                        })
                        .collect();
                    let user_id = user_id.clone();
                    view! {
                        <PickOneForm
                            select_id="add-role"
                            label="Add a direct role"
                            placeholder="Choose a role"
                            options
                            button="Add role"
                            changes=ctx.changes
                            on_pick=move |role_id, expires_at| ctx.changes.run(assign_user_role(user_id.clone(), role_id, expires_at))
                        />
                    }
                        .into_any()
                } else {
                    view! { <p class="muted">"You can see these roles but not change them: that needs the roles:write scope."</p> }.into_any()
                };
                let toggle = (can_write && access.caller_permissions.contains(&Permission::SessionsRevoke))
                    .then(|| view! { <SignOutToggle changes=ctx.changes /> });
                view! {
                    {toggle}
                    <section aria-labelledby="direct-roles" class="section">
                        <h2 id="direct-roles">"Direct roles"</h2>
                        {direct_chips}
                    </section>
                    <section aria-labelledby="group-roles" class="section">
                        <h2 id="group-roles">"Through groups"</h2>
                        {inherited_chips}
                    </section>
                    <section class="section">{picker}</section>
                }
                    .into_any()
            })}
        </Transition>
    }
    .into_any()
}

/// The groups a person is in, with remove, and a picker that adds them to another.
#[component]
pub fn UserGroupsTab() -> impl IntoView {
    let Some(ctx) = user_ctx() else {
        return ().into_any();
    };
    let options = Resource::new(|| (), |_| group_options());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading groups…"</p> }>
            {move || Suspend::new(async move {
                let access = match ctx.access.await {
                    Ok(access) => access,
                    Err(error) => return view! { <ErrorNotice error /> }.into_any(),
                };
                let can_write = access.caller_permissions.contains(&Permission::GroupsWrite);
                let now = access.now;
                let user_id = access.user.id.clone();
                let list = if access.groups.is_empty() {
                    view! { <p class="muted">"Not in any group."</p> }.into_any()
                } else {
                    view! {
                        <ul class="rows">
                            {access
                                .groups
                                .clone()
                                .into_iter()
                                .map(|group| {
                                    let (user_id, group_id) = (user_id.clone(), group.group_id.clone());
                                    let label = format!("Remove from {}", group.group_name);
                                    view! {
                                        <li>
                                            <span class="strong">{group.group_name.clone()}</span>
                                            {group.expires_at.map(|e| view! { <span class="chip-time">{time_left(e, now)}</span> })}
                                            {can_write.then(|| view! {
                                                <button
                                                    type="button"
                                                    class="button"
                                                    aria-label=label
                                                    disabled=move || ctx.changes.busy.get()
                                                    on:click=move |_| ctx.changes.run(remove_group_member(group_id.clone(), user_id.clone(), ctx.changes.sign_out_choice()))
                                                >
                                                    "Remove"
                                                </button>
                                            })}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                };
                let picker = if can_write {
                    let member_of: Vec<String> = access.groups.iter().map(|g| g.group_id.clone()).collect();
                    let options = options
                        .await
                        .unwrap_or_default()
                        .into_iter()
                        .map(|option| {
                            let already = member_of.contains(&option.id);
                            let text = if already { format!("{} — already a member", option.name) } else { option.name.clone() };
                            (option.id, text, already)
                        })
                        .collect();
                    let user_id = user_id.clone();
                    view! {
                        <PickOneForm
                            select_id="add-group"
                            label="Add to a group"
                            placeholder="Choose a group"
                            options
                            button="Add to group"
                            changes=ctx.changes
                            on_pick=move |group_id, expires_at| ctx.changes.run(add_group_members(group_id, vec![user_id.clone()], expires_at))
                        />
                    }
                        .into_any()
                } else {
                    view! { <p class="muted">"Changing groups needs the groups:write scope."</p> }.into_any()
                };
                let toggle = (can_write && access.caller_permissions.contains(&Permission::SessionsRevoke))
                    .then(|| view! { <SignOutToggle changes=ctx.changes /> });
                view! {
                    {toggle}
                    <section class="section">
                        <h2>"Groups"</h2>
                        {list}
                    </section>
                    <section class="section">{picker}</section>
                }
                    .into_any()
            })}
        </Transition>
    }
    .into_any()
}

/// Every effective scope, with each path that grants it: "why can this person do that?"
#[component]
pub fn UserAccessTab() -> impl IntoView {
    let Some(ctx) = user_ctx() else {
        return ().into_any();
    };
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading access…"</p> }>
            {move || Suspend::new(async move {
                match ctx.access.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(access) if access.scopes.is_empty() => {
                        view! { <div class="empty"><p class="empty-title">"No scopes."</p><p>"This person holds no role, directly or through a group."</p></div> }.into_any()
                    }
                    Ok(access) => view! {
                        <p class="lead">
                            "What a token minted for this person now would carry, and why. "
                            "A change applies at their next sign-in or token refresh."
                        </p>
                        <div class="table-wrap">
                            <table class="data">
                                <thead>
                                    <tr>
                                        <th scope="col">"Scope"</th>
                                        <th scope="col">"Granted by"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {access
                                        .scopes
                                        .into_iter()
                                        .map(|scope| {
                                            view! {
                                                <tr>
                                                    <td class="mono strong">{scope.scope}</td>
                                                    <td>
                                                        {scope
                                                            .paths
                                                            .into_iter()
                                                            .map(|path| match path.group_name {
                                                                Some(group) => view! { <span class="path">{format!("group {group} → role {}", path.role_name)}</span> }.into_any(),
                                                                None => view! { <span class="path">{format!("direct role {}", path.role_name)}</span> }.into_any(),
                                                            })
                                                            .collect_view()}
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// A short name for a browser from its user agent: enough to tell sessions apart.
fn browser_name(user_agent: &str) -> String {
    let family = ["Edg/", "Firefox/", "Chrome/", "Safari/", "curl/"]
        .iter()
        .find(|marker| user_agent.contains(*marker))
        .map(|marker| match *marker {
            "Edg/" => "Edge",
            "Firefox/" => "Firefox",
            "Chrome/" => "Chrome",
            "Safari/" => "Safari",
            _ => "curl",
        });
    let system = ["Windows", "Mac OS X", "Android", "iPhone", "Linux"]
        .iter()
        .find(|marker| user_agent.contains(*marker))
        .map(|marker| match *marker {
            "Mac OS X" => "macOS",
            "iPhone" => "iOS",
            other => other,
        });
    match (family, system) {
        (Some(f), Some(s)) => format!("{f} on {s}"),
        (Some(f), None) => f.to_string(),
        _ => user_agent.chars().take(40).collect(),
    }
}

/// The person's live console sessions, with "end this one" and "end them all".
#[component]
pub fn UserSessionsTab() -> impl IntoView {
    let Some(ctx) = user_ctx() else {
        return ().into_any();
    };
    let params = leptos_router::hooks::use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let sessions = Resource::new(
        move || (id.get(), ctx.changes.refresh.get()),
        |(id, _)| list_user_sessions(id),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading sessions…"</p> }>
            {move || Suspend::new(async move {
                let list = match sessions.await {
                    Ok(list) => list,
                    Err(error) => return view! { <ErrorNotice error /> }.into_any(),
                };
                let user_id = id.get_untracked();
                let count = list.sessions.len();
                let revoke_all = (list.can_revoke && count > 0).then(|| {
                    let user_id = user_id.clone();
                    view! {
                        <button type="button" class="button button-danger" disabled=move || ctx.changes.busy.get()
                            on:click=move |_| ctx.changes.run(revoke_all_sessions(user_id.clone()))>
                            "Revoke all sessions"
                        </button>
                    }
                });
                let rows = list.sessions.into_iter().map(|session| {
                    let current = session.id == list.current_session_id;
                    let browser = session.user_agent.as_deref().map(browser_name).unwrap_or_else(|| "—".into());
                    let revoke = (list.can_revoke).then(|| {
                        let (user_id, session_id) = (user_id.clone(), session.id.clone());
                        let label = format!("Revoke the session started {}", format_time(session.created_at));
                        view! {
                            <button type="button" class="button" aria-label=label disabled=move || ctx.changes.busy.get()
                                on:click=move |_| ctx.changes.run(revoke_session(user_id.clone(), session_id.clone()))>
                                "Revoke"
                            </button>
                        }
                    });
                    view! {
                        <tr>
                            <td class="nowrap"><time>{format_time(session.created_at)}</time></td>
                            <td class="nowrap"><time>{format_time(session.last_seen_at)}</time></td>
                            <td>
                                {match (session.client_id, session.client_name) {
                                    (Some(id), name) => view! {
                                        <a href=format!("/applications/{id}")>{name.unwrap_or_else(|| id.clone())}</a>
                                    }.into_any(),
                                    _ => view! { "Console" }.into_any(),
                                }}
                                {current.then(|| view! { " " <span class="badge badge-builtin">"This session"</span> })}
                            </td>
                            <td class="mono">{session.ip_address.unwrap_or_else(|| "—".into())}</td>
                            <td title=session.user_agent.unwrap_or_default()>{browser}</td>
                            <td class="nowrap">{time_left(session.idle_expires_at.min(session.absolute_expires_at), list.now)}</td>
                            <td class="actions">{revoke}</td>
                        </tr>
                    }
                }).collect_view();
                view! {
                    <section class="section">
                        <p class="lead">
                            {match count {
                                0 => "No live session: this person is not signed in anywhere.".to_string(),
                                1 => "1 live session.".to_string(),
                                n => format!("{n} live sessions."),
                            }}
                            " Revoking one ends it at its next request: the person is sent to sign in again, "
                            "and the session's refresh tokens stop working. "
                            {format!(
                                "Access tokens an application already holds stay valid where they are checked offline, for at most {} more minutes.",
                                (list.access_token_secs + 59) / 60
                            )}
                        </p>
                        {revoke_all}
                    </section>
                    {(count > 0).then(|| view! {
                        <div class="table-wrap">
                            <table class="data">
                                <thead>
                                    <tr>
                                        <th scope="col">"Started"</th>
                                        <th scope="col">"Last used"</th>
                                        <th scope="col">"Client"</th>
                                        <th scope="col">"IP address"</th>
                                        <th scope="col">"Browser"</th>
                                        <th scope="col">"Ends"</th>
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr>
                                </thead>
                                <tbody>{rows}</tbody>
                            </table>
                        </div>
                    })}
                }
                .into_any()
            })}
        </Transition>
    }
    .into_any()
}

/// Disabling an account after saying what it does, or enabling it again.
#[component]
fn AccountStatus(user: crate::users::UserSummary, changes: Changes) -> impl IntoView {
    let asking = RwSignal::new(false);
    let user_id = user.id.clone();
    if user.disabled {
        return view! {
            <button type="button" class="button" disabled=move || changes.busy.get()
                on:click=move |_| changes.run(set_user_disabled(user_id.clone(), false))>
                "Enable account"
            </button>
        }
        .into_any();
    }
    let name = user.display_name.clone();
    view! {
        <Show
            when=move || asking.get()
            fallback=move || view! {
                <button type="button" class="button" on:click=move |_| asking.set(true)>"Disable account…"</button>
            }
        >
            <div class="notice notice-error" role="alertdialog" aria-label="Confirm disabling">
                <p>{format!("{name} will be signed out of every session at once and cannot sign in until the account is enabled again. Their roles, groups and history stay.")}</p>
                <p class="inline-form">
                    <button type="button" class="button button-danger" disabled=move || changes.busy.get()
                        on:click={
                            let user_id = user_id.clone();
                            move |_| {
                                asking.set(false);
                                changes.run(set_user_disabled(user_id.clone(), true));
                            }
                        }>
                        {format!("Disable {name}")}
                    </button>
                    <button type="button" class="button" on:click=move |_| asking.set(false)>"Cancel"</button>
                </p>
            </div>
        </Show>
    }
    .into_any()
}

/// Removes a person's authenticator after a confirmation: for a lost or replaced phone.
#[component]
fn ResetSecondFactor(user: crate::users::UserSummary, changes: Changes) -> impl IntoView {
    let asking = RwSignal::new(false);
    let (user_id, name) = (user.id.clone(), user.display_name.clone());
    view! {
        <Show
            when=move || asking.get()
            fallback=move || view! {
                <button type="button" class="button" on:click=move |_| asking.set(true)>"Reset two-step verification…"</button>
            }
        >
            <div class="notice notice-error" role="alertdialog" aria-label="Confirm the reset">
                <p>{format!("{name}'s authenticator app and recovery codes stop working. Their next sign-in asks for the password only, until they set up an app again. Do this only once you are sure who is asking.")}</p>
                <p class="inline-form">
                    <button type="button" class="button button-danger" disabled=move || changes.busy.get()
                        on:click={
                            let user_id = user_id.clone();
                            move |_| {
                                asking.set(false);
                                changes.run(crate::account::reset_second_factor(user_id.clone()));
                            }
                        }>
                        {format!("Reset for {name}")}
                    </button>
                    <button type="button" class="button" on:click=move |_| asking.set(false)>"Cancel"</button>
                </p>
            </div>
        </Show>
    }
}
