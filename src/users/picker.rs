//! Picking several people at once: a search box over the user list and a checkbox per match.
//! The picks survive new searches, so an admin can gather people found under different names.

use leptos::prelude::*;

use super::list_users;
use crate::ui::ErrorNotice;

#[component]
pub fn PeoplePicker(
    /// The id of the search input, for its label.
    input_id: &'static str,
    label: &'static str,
    /// `(user id, display name)` of everyone picked so far.
    picked: RwSignal<Vec<(String, String)>>,
    /// People who cannot be picked, and why ("already a member").
    excluded: Vec<String>,
    excluded_reason: &'static str,
) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let matches = Resource::new(
        move || search.get(),
        |q| async move {
            if q.trim().is_empty() {
                Ok(None)
            } else {
                list_users(q, 1).await.map(Some)
            }
        },
    );
    view! {
        <label for=input_id>{label}</label>
        <input
            id=input_id
            type="search"
            placeholder="Name, username or email"
            on:input=move |ev| search.set(event_target_value(&ev))
        />
        <Transition fallback=|| ()>
            {move || {
                let excluded = excluded.clone();
                Suspend::new(async move {
                    match matches.await {
                        Ok(Some(page)) if page.items.is_empty() => {
                            view! { <p class="muted">"Nobody matches."</p> }.into_any()
                        }
                        Ok(Some(page)) => {
                            view! {
                                <ul class="pick-list">
                                    {page
                                        .items
                                        .into_iter()
                                        .map(|user| {
                                            let out = excluded.contains(&user.id);
                                            let (id, name) = (user.id.clone(), user.display_name.clone());
                                            let checked = {
                                                let id = id.clone();
                                                move || picked.with(|p| p.iter().any(|(i, _)| *i == id))
                                            };
                                            view! {
                                                <li>
                                                    <label>
                                                        <input
                                                            type="checkbox"
                                                            disabled=out
                                                            prop:checked=checked
                                                            on:change=move |ev| {
                                                                let on = event_target_checked(&ev);
                                                                picked
                                                                    .update(|p| {
                                                                        p.retain(|(i, _)| *i != id);
                                                                        if on {
                                                                            p.push((id.clone(), name.clone()));
                                                                        }
                                                                    });
                                                            }
                                                        />
                                                        {format!(" {} ", user.display_name)}
                                                        <span class="mono muted">{user.username.clone()}</span>
                                                        {user.disabled.then(|| view! { <span class="badge badge-off">"Disabled"</span> })}
                                                        {out.then(|| view! { <span class="muted small">{format!(" — {excluded_reason}")}</span> })}
                                                    </label>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Ok(None) => ().into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })
            }}
        </Transition>
        {move || {
            let names: Vec<String> = picked.with(|p| p.iter().map(|(_, n)| n.clone()).collect());
            (!names.is_empty()).then(|| view! { <p class="muted small">{format!("Chosen: {}", names.join(", "))}</p> })
        }}
    }
}

/// Adding several people at once, optionally until an end: the people picker, the end time and
/// a button that counts the picks. `on_add` receives the picked ids and the end; the picks are
/// cleared once it is called. The signals live with the page, so picks survive a reload of its
/// data.
#[component]
pub fn AddPeopleForm<F>(
    /// Prefix of the form's element ids.
    id: &'static str,
    label: &'static str,
    picked: RwSignal<Vec<(String, String)>>,
    ends: RwSignal<String>,
    excluded: Vec<String>,
    excluded_reason: &'static str,
    changes: crate::ui::Changes,
    on_add: F,
    /// A heading above the form, when the section has none.
    #[prop(optional)]
    heading: Option<&'static str>,
) -> impl IntoView
where
    F: Fn(Vec<String>, Option<i64>) + 'static,
{
    let end_id = format!("{id}-end");
    view! {
        <form class="adder" on:submit=move |ev| {
            ev.prevent_default();
            let ids: Vec<String> = picked.get_untracked().into_iter().map(|(id, _)| id).collect();
            if ids.is_empty() {
                changes.fail("Choose at least one person.");
                return;
            }
            match crate::ui::parse_end_input(&ends.get_untracked()) {
                Ok(expires_at) => {
                    picked.set(Vec::new());
                    on_add(ids, expires_at);
                }
                Err(message) => changes.fail(message),
            }
        }>
            {heading.map(|h| view! { <h2>{h}</h2> })}
            <PeoplePicker input_id=id label picked excluded excluded_reason />
            <div class="inline-form">
                <label for=end_id.clone()>"Ends (UTC, optional)"</label>
                <input id=end_id type="datetime-local" on:input=move |ev| ends.set(event_target_value(&ev)) />
                <button type="submit" class="button button-primary" disabled=move || changes.busy.get()>
                    {move || add_label(picked.with(Vec::len))}
                </button>
            </div>
        </form>
    }
}

/// "Add 3 people" for a button that acts on the picks.
pub fn add_label(count: usize) -> String {
    match count {
        0 => "Add people".to_string(),
        1 => "Add 1 person".to_string(),
        n => format!("Add {n} people"),
    }
}
