//! Creating, editing and deleting groups from the console.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::{create_group, delete_group, update_group};
use crate::access::GroupDetail;
use crate::auth::Permission;
use crate::ui::{closes_after_change, Changes};

/// The "New group" form above the group list.
#[component]
pub fn NewGroupForm(changes: Changes) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let navigate = use_navigate();
    view! {
        <form class="inline-form section" on:submit=move |ev| {
            ev.prevent_default();
            let navigate = navigate.clone();
            changes.busy.set(true);
            leptos::task::spawn_local(async move {
                let outcome = create_group(name.get_untracked(), description.get_untracked()).await;
                changes.busy.set(false);
                match outcome {
                    Ok(created) => navigate(&format!("/groups/{}/members", created.id), Default::default()),
                    Err(error) => changes.fail(error.message),
                }
            });
        }>
            <label for="new-group">"New group"</label>
            <input id="new-group" type="text" placeholder="Field Engineers" maxlength="128" required=true
                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            <label for="new-group-description">"Description"</label>
            <input id="new-group-description" type="text" maxlength="500"
                prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev)) />
            <button type="submit" class="button button-primary" disabled=move || changes.busy.get()>"Create group"</button>
        </form>
    }
}

/// "Edit group…" and "Delete group…" in a group's header, for callers with `groups:write`.
#[component]
pub fn GroupActions(detail: GroupDetail, changes: Changes) -> impl IntoView {
    let name = RwSignal::new(detail.group.name.clone());
    let description = RwSignal::new(detail.group.description.clone());
    let seen = crate::access::Seen {
        name: detail.group.name.clone(),
        description: detail.group.description.clone(),
    };
    let details = closes_after_change(changes);
    let asking = RwSignal::new(false);
    let group_id = detail.group.id.clone();
    let navigate = use_navigate();
    let may_sign_out = !detail.members.is_empty()
        && !detail.roles.is_empty()
        && detail
            .caller_permissions
            .contains(&Permission::SessionsRevoke);
    let impact = if detail.roles.is_empty() {
        format!(
            "{} members leave the group; it grants no role, so nobody's access changes.",
            detail.members.len()
        )
    } else {
        format!(
            "{} members lose the roles it grants ({}) unless they hold them another way, at their next token.",
            detail.members.len(),
            detail.roles.iter().map(|r| r.role_name.as_str()).collect::<Vec<_>>().join(", ")
        )
    };
    let delete = {
        let group_id = group_id.clone();
        move |sign_out: bool| {
            let (group_id, navigate) = (group_id.clone(), navigate.clone());
            move |_| {
                let (group_id, navigate) = (group_id.clone(), navigate.clone());
                changes.busy.set(true);
                leptos::task::spawn_local(async move {
                    let outcome = delete_group(group_id, sign_out.then_some(true)).await;
                    changes.busy.set(false);
                    match outcome {
                        Ok(_) => navigate("/groups", Default::default()),
                        Err(error) => changes.fail(error.message),
                    }
                });
            }
        }
    };
    let confirm_label = format!("Delete group {}", detail.group.name);
    view! {
        <div class="header-actions">
            <details class="edit-panel" node_ref=details>
                <summary class="button">"Edit group…"</summary>
                <form class="stacked-form" on:submit={
                    let group_id = group_id.clone();
                    move |ev| {
                        ev.prevent_default();
                        changes.run(update_group(group_id.clone(), name.get_untracked(), description.get_untracked(), Some(seen.clone())));
                    }
                }>
                    <label for="group-name">"Name"</label>
                    <input id="group-name" type="text" maxlength="128" required=true
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    <label for="group-description">"Description"</label>
                    <input id="group-description" type="text" maxlength="500"
                        prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev)) />
                    <p class="inline-form">
                        <button type="submit" class="button button-primary" disabled=move || changes.busy.get()>"Save group"</button>
                    </p>
                </form>
            </details>
            <Show
                when=move || asking.get()
                fallback=move || view! {
                    <button type="button" class="button" on:click=move |_| asking.set(true)>"Delete group…"</button>
                }
            >
                <div class="notice notice-error" role="alertdialog" aria-label="Confirm deleting the group">
                    <p>{impact.clone()}</p>
                    <p class="inline-form">
                        <button type="button" class="button button-danger" disabled=move || changes.busy.get()
                            on:click=delete(false)>
                            {confirm_label.clone()}
                        </button>
                        {may_sign_out.then(|| view! {
                            <button type="button" class="button button-danger" disabled=move || changes.busy.get()
                                on:click=delete(true)>
                                "Delete and sign its members out now"
                            </button>
                        })}
                        <button type="button" class="button" on:click=move |_| asking.set(false)>"Cancel"</button>
                    </p>
                </div>
            </Show>
        </div>
    }
    .into_any()
}
