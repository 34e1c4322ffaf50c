//! Creating people and editing them: the "New user…" panel of the user list, and the profile
//! and password editors of a person's page.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::{create_user, set_user_password, update_user_profile, NewUserInput, UserSummary};
use crate::ui::{closes_after_change, Changes};

/// "New user…": a disclosure above the list, for callers with `users:write`.
#[component]
pub fn NewUserPanel(changes: Changes) -> impl IntoView {
    let (username, display_name, email, password) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = NewUserInput {
            username: username.get_untracked(),
            display_name: display_name.get_untracked(),
            email: email.get_untracked(),
            password: password.get_untracked(),
        };
        let navigate = navigate.clone();
        changes.busy.set(true);
        leptos::task::spawn_local(async move {
            let outcome = create_user(input).await;
            changes.busy.set(false);
            match outcome {
                Ok(created) => {
                    navigate(&format!("/users/{}/roles", created.id), Default::default())
                }
                Err(error) => changes.fail(error.message),
            }
        });
    };
    view! {
        <details class="edit-panel section">
            <summary class="button button-primary">"New user…"</summary>
            <form class="stacked-form" on:submit=submit>
                <label for="new-username">"Username " <span class="muted">"(letters, digits and . _ - @)"</span></label>
                <input id="new-username" type="text" maxlength="64" required=true autocomplete="off"
                    autocapitalize="none" spellcheck="false"
                    prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev)) />
                <label for="new-display-name">"Display name " <span class="muted">"(optional: the username)"</span></label>
                <input id="new-display-name" type="text" maxlength="128"
                    prop:value=move || display_name.get() on:input=move |ev| display_name.set(event_target_value(&ev)) />
                <label for="new-email">"Email " <span class="muted">"(optional)"</span></label>
                <input id="new-email" type="email" maxlength="254"
                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
                <label for="new-password">"First password " <span class="muted">"(optional: at least 8 characters; without one they cannot sign in yet)"</span></label>
                <input id="new-password" type="password" maxlength="1024" autocomplete="new-password"
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                <p class="inline-form">
                    <button type="submit" class="button button-primary" disabled=move || changes.busy.get()>"Create user"</button>
                </p>
            </form>
        </details>
    }
    .into_any()
}

/// "Edit profile…" on a person's page.
#[component]
pub fn EditProfile(user: UserSummary, changes: Changes) -> impl IntoView {
    let display_name = RwSignal::new(user.display_name.clone());
    let email = RwSignal::new(user.email.clone().unwrap_or_default());
    let details = closes_after_change(changes);
    let user_id = user.id.clone();
    view! {
        <details class="edit-panel" node_ref=details>
            <summary class="button">"Edit profile…"</summary>
            <form class="stacked-form" on:submit=move |ev| {
                ev.prevent_default();
                changes.run(update_user_profile(user_id.clone(), display_name.get_untracked(), email.get_untracked()));
            }>
                <label for="profile-display-name">"Display name"</label>
                <input id="profile-display-name" type="text" maxlength="128" required=true
                    prop:value=move || display_name.get() on:input=move |ev| display_name.set(event_target_value(&ev)) />
                <label for="profile-email">"Email " <span class="muted">"(empty for none)"</span></label>
                <input id="profile-email" type="email" maxlength="254"
                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
                <p class="inline-form">
                    <button type="submit" class="button button-primary" disabled=move || changes.busy.get()>"Save profile"</button>
                </p>
            </form>
        </details>
    }
    .into_any()
}

/// "Set password…" on someone else's page: a forgotten or a first password.
#[component]
pub fn SetPassword(user: UserSummary, changes: Changes) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let sign_out = RwSignal::new(true);
    let details = closes_after_change(changes);
    let user_id = user.id.clone();
    view! {
        <details class="edit-panel" node_ref=details>
            <summary class="button">"Set password…"</summary>
            <form class="stacked-form" on:submit=move |ev| {
                ev.prevent_default();
                let chosen = password.get_untracked();
                password.set(String::new());
                changes.run(set_user_password(user_id.clone(), chosen, sign_out.get_untracked()));
            }>
                <label for="set-password">{format!("New password for {}", user.display_name)}</label>
                <input id="set-password" type="password" maxlength="1024" required=true autocomplete="new-password"
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                <label class="checkbox">
                    <input type="checkbox" prop:checked=move || sign_out.get()
                        on:change=move |ev| sign_out.set(event_target_checked(&ev)) />
                    " Also end their sessions now"
                </label>
                <p class="inline-form">
                    <button type="submit" class="button button-primary" disabled=move || changes.busy.get()>"Set password"</button>
                </p>
            </form>
        </details>
    }
    .into_any()
}
